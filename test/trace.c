/* SPDX-License-Identifier: MIT */
/* trace.c - see trace.h. */
#include "trace.h"

#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/wait.h>

static const char *const side_name[2] = { "kernel", "umq" };

/* ---- Recording ----------------------------------------------------------- */

struct tr_ev *tr_ev(const struct trace *tr, int i)
{
	return (struct tr_ev *)(tr->ev + (size_t)i * tr->s->esize);
}

struct tr_ev *tr_begin(struct trace *tr, int line, const char *fmt, ...)
{
	va_list ap;

	if (tr->n == tr->s->max)
		T_FAIL("trace full: scenario too long");
	struct tr_ev *e = tr_ev(tr, tr->n);
	memset(e, 0, tr->s->esize);
	int n = snprintf(e->step, sizeof(e->step), "L%d ", line);
	va_start(ap, fmt);
	vsnprintf(e->step + n, sizeof(e->step) - n, fmt, ap);
	va_end(ap);
	tr->s->init(e);
	return e;
}

void tr_result(struct tr_ev *e, long ret, int err)
{
	e->ret = ret;
	e->err = ret == -1 ? err : 0;
}

void tr_end(struct trace *tr, struct tr_ev *e, struct want w)
{
	e->want = w;
	tr->n++;
}

long tr_chk(struct trace *tr, int line, const char *what, long got, long v)
{
	struct tr_ev *e = tr_begin(tr, line, "%s", what);

	tr_result(e, got, 0);
	tr_end(tr, e, W_RET(v));
	return got;
}

long tr_limit(struct trace *tr, int line, int (*set)(const char *, long),
	      const char *which, long v, struct want w)
{
	struct tr_ev *e = tr_begin(tr, line, "set %s = %ld", which, v);

	errno = 0;
	int r = set(which, v);
	tr_result(e, r, errno);
	tr_end(tr, e, w);
	return r;
}

long tr_role(const struct trace *tr, pid_t pid)
{
	if (pid == 0)
		return 0;
	for (int r = 1; r <= tr->nroles; r++)
		if (tr->pids[r] == pid)
			return r;
	return -(long)pid;
}

int tr_new_role(struct trace *tr)
{
	if (tr->nroles + 1 == TR_ROLES)
		T_FAIL("too many roles");
	return ++tr->nroles;
}

void tr_role_str(char *s, size_t n, long v)
{
	if (v == SELF)
		snprintf(s, n, "self");
	else if (v > SELF)
		snprintf(s, n, "child %ld", v);
	else if (v < 0)
		snprintf(s, n, "unknown pid %ld", -v);
	else
		snprintf(s, n, "%ld", v);
}

void tr_note_name(struct trace *tr, const char *name)
{
	for (int i = 0; i < tr->nnames; i++)
		if (!strcmp(tr->names[i], name))
			return;
	if (tr->nnames < TR_NAMES && strlen(name) < sizeof(tr->names[0]))
		strcpy(tr->names[tr->nnames++], name);
}

void tr_fill(void *p, size_t len, int tag)
{
	unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		b[i] = tag + i;
}

int tr_tag(const void *p, size_t len)
{
	const unsigned char *b = p;

	if (!len)
		return TAG_NONE;
	for (size_t i = 1; i < len; i++)
		if (b[i] != (unsigned char)(b[0] + i))
			return TAG_BAD;
	return b[0];
}

uint64_t tr_fnv(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = 14695981039346656037ull;

	while (len--)
		h = (h ^ *b++) * 1099511628211ull;
	return h;
}

/* ---- Other processes ----------------------------------------------------- */

int tr_become(const struct who *w)
{
	if (w->uid == (uid_t)-1)
		return 0;
	return setgroups(w->ngroups, w->groups) ||
	       setresgid(w->gid, w->gid, w->gid) ||
	       setresuid(w->uid, w->uid, w->uid) ? -1 : 0;
}

/* What a child of the scenario runs, and where. */
struct child {
	struct ctx *c;
	struct trace *tr;
	int role;
	const struct who *w;
	scenario_fn fn;
	void *arg;
};

static void child_run(void *p)
{
	const struct child *ch = p;

	ch->tr->pids[ch->role] = getpid();
	if (tr_become(ch->w)) {
		fprintf(stderr, "#   cannot become %d:%d: %s\n",
			(int)ch->w->uid, (int)ch->w->gid, strerror(errno));
		_exit(T_EXIT_SKIP);
	}
	ch->fn(ch->c, ch->arg);
}

int tr_child(struct ctx *c, struct trace *tr, const struct who *w,
	     scenario_fn fn, void *arg, int *role)
{
	struct child ch = { c, tr, tr_new_role(tr), w, fn, arg };
	pid_t pid = t_spawn(child_run, &ch);

	*role = ch.role;
	tr->pids[ch.role] = pid;
	int st = t_waitpid(pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_SKIP)
		t_skip("cannot switch to uid %d", (int)w->uid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void need_uid_switch(void)
{
	if (!t_have_cap(CAP_SETUID) || !t_have_cap(CAP_SETGID))
		t_skip("cannot switch users");
}

struct want if_cap(int cap, struct want yes, struct want no)
{
	return t_have_cap(cap) ? yes : no;
}

/* ---- Calls that block ---------------------------------------------------- */

pid_t tr_bg_fork(struct trace *tr, struct tr_ev *e, struct want w)
{
	int role = tr_new_role(tr);

	e->want = w;
	e->ret = NO_RETURN;
	tr->n++;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		alarm(20);
		return 0;
	}
	tr->pids[role] = pid;
	t_wait_sleeping(pid);	/* returned at once? its step says */
	return pid;
}

static void on_signal(int sig)
{
}

void tr_catch_usr1(int sa_flags)
{
	struct sigaction sa = { .sa_handler = on_signal,
				.sa_flags = sa_flags };
	sigset_t set;

	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

void bg_wait(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

void bg_stop_cont(pid_t pid)
{
	int st;

	kill(pid, SIGSTOP);
	while (waitpid(pid, &st, WUNTRACED) < 0 && errno == EINTR)
		;
	kill(pid, SIGCONT);
	t_msleep(10);
	t_wait_sleeping(pid);
}

void bg_interrupt(pid_t pid)
{
	kill(pid, SIGUSR1);
	t_msleep(20);
	t_wait_sleeping(pid);
}

void wait_until(time_t t)
{
	while (time(NULL) < t)
		t_msleep(50);
}

uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- Comparing ----------------------------------------------------------- */

const char *tr_res_str(char *s, size_t n, long ret, int err)
{
	if (ret == NO_RETURN)
		snprintf(s, n, "no return (still blocked or killed)");
	else if (ret == -1)
		snprintf(s, n, "-1 %s", strerrorname_np(err) ?: "0");
	else
		snprintf(s, n, "%ld", ret);
	return s;
}

static const char *want_str(char *s, size_t n, struct want w)
{
	if (w.how == WANT_SUCCESS)
		return "success";
	return tr_res_str(s, n, w.ret, w.err);
}

static int want_met(const struct tr_ev *e)
{
	switch (e->want.how) {
	case WANT_SUCCESS:
		return e->ret != -1 && e->ret != NO_RETURN;
	case WANT_VALUE:
		return e->ret == e->want.ret;
	case WANT_ERRNO:
		return e->ret == -1 && e->err == e->want.err;
	}
	return 1;
}

/* Why e disagrees with the spec's prediction, or NULL. */
static const char *spec_miss(const struct trace *tr, const struct tr_ev *e,
			     char *s, size_t n)
{
	char a[64], b[64];

	if (!want_met(e)) {
		snprintf(s, n, "got %s, spec says %s",
			 tr_res_str(a, sizeof(a), e->ret, e->err),
			 want_str(b, sizeof(b), e->want));
		return s;
	}
	return tr->s->spec_miss(e, s, n);
}

/* Why the two backends' results for one step differ, or NULL. */
static const char *pair_miss(const struct trace *tr, const struct tr_ev *k,
			     const struct tr_ev *u, char *s, size_t n)
{
	char a[64], b[64];

	if (k->ret != u->ret || k->err != u->err) {
		snprintf(s, n, "kernel %s, umq %s",
			 tr_res_str(a, sizeof(a), k->ret, k->err),
			 tr_res_str(b, sizeof(b), u->ret, u->err));
		return s;
	}
	return tr->s->pair_miss(k, u, s, n);
}

#define SHOW_MAX 6	/* differing steps printed in full */

static int show(int shown, int i, const struct tr_ev *e, const char *who,
		const char *why)
{
	if (shown < SHOW_MAX)
		fprintf(stderr, "#   step %d \"%s\": %s%s\n", i, e->step, who,
			why);
	return shown + 1;
}

/* Every step of both traces, for a post-mortem. */
static void dump(const struct trace *k, const struct trace *u)
{
	int n = k->n > u->n ? k->n : u->n;
	char a[64], b[64];

	for (int i = 0; i < n; i++) {
		const struct tr_ev *x = tr_ev(k, i), *y = tr_ev(u, i);

		fprintf(stderr, "#   %5d %-70s | %-16s | %s\n", i,
			i < k->n ? x->step : y->step,
			i < k->n ? tr_res_str(a, sizeof(a), x->ret, x->err) :
			"",
			i < u->n ? tr_res_str(b, sizeof(b), y->ret, y->err) :
			"");
	}
}

/* Print every step where a trace misses the spec or the two differ. */
static int compare(const struct trace *k, const struct trace *u)
{
	const struct tr_suite *s = k->s;
	int n = k->n < u->n ? k->n : u->n, bad = 0, moot = 0;
	char why_s[320];

	for (int i = 0; i < n; i++) {
		const struct tr_ev *x = tr_ev(k, i), *y = tr_ev(u, i);
		const char *why;

		if ((why = spec_miss(k, x, why_s, sizeof(why_s)))) {
			bad = show(bad, i, x,
				   "kernel does not match the spec: ", why);
		} else if (s->moot && s->moot(y)) {
			moot++;
		} else if ((why = spec_miss(u, y, why_s, sizeof(why_s)))) {
			bad = show(bad, i, y, "umq does not match the spec: ",
				   why);
		} else if ((why = pair_miss(k, x, y, why_s, sizeof(why_s)))) {
			bad = show(bad, i, y, "", why);
		}
	}
	if (bad > SHOW_MAX)
		fprintf(stderr, "#   ... and %d more differing steps\n",
			bad - SHOW_MAX);
	if (moot)
		t_note(s->moot_note, moot);
	return bad;
}

/* ---- Running ------------------------------------------------------------- */

static size_t trace_size(const struct tr_suite *s)
{
	return sizeof(struct trace) + (size_t)s->max * s->esize;
}

static struct trace *trace_new(const struct tr_suite *s)
{
	struct trace *tr = mmap(NULL, trace_size(s), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (tr == MAP_FAILED)
		T_FAIL("mmap: %s", strerror(errno));
	tr->s = s;
	return tr;
}

/* What backend i's child runs. */
struct side {
	int i;
	struct trace *tr;
	scenario_fn fn;
	void *arg;
};

static void side_run(void *p)
{
	const struct side *sd = p;

	if (unshare(CLONE_NEWIPC))
		T_FAIL("unshare(CLONE_NEWIPC): %s", strerror(errno));
	sd->tr->nroles = SELF;
	sd->tr->pids[SELF] = getpid();
	alarm(30);	/* a call that blocks by mistake names its step */
	sd->tr->s->side(sd->i, sd->tr, sd->fn, sd->arg);
}

/* Run the scenario on backend i in a child; returns its wait status. */
static int run_side(int i, struct trace *tr, scenario_fn fn, void *arg)
{
	struct side sd = { i, tr, fn, arg };
	int st = t_waitpid(t_spawn(side_run, &sd));

	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_SKIP)
		t_skip("%s side skipped", side_name[i]);
	return st;
}

/* Did the backend's child finish the scenario?  Says why not. */
static int run_ok(int i, const struct trace *tr, int st)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_PASS)
		return 1;
	if (WIFSIGNALED(st))
		fprintf(stderr, "#   %s side killed by signal %d%s",
			side_name[i], WTERMSIG(st),
			WTERMSIG(st) == SIGALRM ? " (timeout)" : "");
	else
		fprintf(stderr, "#   %s side exited with %d", side_name[i],
			WEXITSTATUS(st));
	fprintf(stderr, " during step %d \"%s\"\n", tr->n,
		tr->n < tr->s->max ? tr_ev(tr, tr->n)->step : "");
	return 0;
}

void tr_run(const struct tr_suite *s, scenario_fn fn, void *arg)
{
	struct trace *tr[2];
	int st[2], ok = 1;

	if (!t_kernel_ns())
		t_skip("no private kernel IPC namespace");
	for (int i = 0; i < 2; i++) {
		tr[i] = trace_new(s);
		st[i] = run_side(i, tr[i], fn, arg);
	}
	if (getenv("UMQ_TRACE"))
		dump(tr[0], tr[1]);
	int bad = compare(tr[0], tr[1]);
	for (int i = 0; i < 2; i++)
		ok &= run_ok(i, tr[i], st[i]);
	if (ok && tr[0]->n != tr[1]->n)
		T_FAIL("kernel ran %d steps, umq %d", tr[0]->n, tr[1]->n);
	if (bad || !ok)
		T_FAIL("%d of %d steps differ%s", bad, tr[0]->n,
		       ok ? "" : ", and a side did not finish");
	for (int i = 0; i < 2; i++)
		munmap(tr[i], trace_size(s));
}

void tr_become_split(struct trace *tr, uid_t r, gid_t g)
{
	tr_chk(tr, __LINE__, "setgroups, setresgid, setresuid",
	       setgroups(0, NULL) || setresgid(g, g + 1, g + 1) ||
	       setresuid(r, r + 1, r + 1), 0);
	setfsgid(g);
	setfsuid(r);
	tr_chk(tr, __LINE__, "fsuid", (int)setfsuid(-1), (long)r);
	tr_chk(tr, __LINE__, "fsgid", (int)setfsgid(-1), (long)g);
}
