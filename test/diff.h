/* SPDX-License-Identifier: MIT */
/*
 * diff.h - machinery of the System V differential tests.
 *
 * A scenario is a function that drives one backend (the kernel's message
 * queues or umq's) through the d_* wrappers below.  Every wrapper records
 * a step in a trace: its label, the return value and errno, the message
 * received, the struct msqid_ds or struct msginfo returned, and the value
 * the spec predicts when the scenario states one.  diff_run() runs the
 * scenario once per backend and compares the traces step by step: each
 * step must meet the spec on both sides and agree between them.
 *
 * Each backend runs in a child of its own after its own
 * unshare(CLONE_NEWIPC), so ids start at 0 on both sides, the kernel side
 * never touches the host's queues, and the kernel can stand in for umq
 * (KERNEL_ONLY, see the end of this file).  Traces live in shared memory
 * so that they survive the child and its uid-switched helpers.
 *
 * Only sysv_diff.c includes this file, hence the static definitions.
 */
#ifndef DIFF_H
#define DIFF_H

#include "t.h"

#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <time.h>

#include "umq.h"

/* ---- Backends ------------------------------------------------------------ */

struct backend {
	const char *name;
	int (*setup)(void);	/* if any, in the child, before the scenario */
	key_t (*ftok)(const char *, int);
	int (*get)(key_t, int);
	int (*snd)(int, const void *, size_t, int);
	ssize_t (*rcv)(int, void *, size_t, long, int);
	int (*ctl)(int, int, struct msqid_ds *);
	int (*set_limit)(const char *which, long v);	/* 0 or -1/errno */
};

static int kern_set_limit(const char *which, long v)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", which);
	return t_sysctl_write(path, v);
}

static int umq_setup(void)
{
	return umq_ns_use(t_umq_dir());
}

static int umq_set_limit(const char *which, long v)
{
	struct umq_limits lim;

	if (umq_ns_get_limits(&lim))
		return -1;
	if (!strcmp(which, "msgmax"))
		lim.msgmax = v;
	else if (!strcmp(which, "msgmnb"))
		lim.msgmnb = v;
	else
		lim.msgmni = v;
	return umq_ns_set_limits(&lim);
}

static const struct backend backends[2] = {
	{ "kernel", NULL, ftok, t_k_msgget, t_k_msgsnd, t_k_msgrcv, t_k_msgctl,
	  kern_set_limit },
	{ "umq", umq_setup, umq_ftok, umq_msgget, umq_msgsnd, umq_msgrcv,
	  umq_msgctl, umq_set_limit },
};

/* ---- Traces -------------------------------------------------------------- */

/* What the spec says a call returns. */
enum { WANT_NONE, WANT_SUCCESS, WANT_VALUE, WANT_ERRNO };
struct want {
	int how;
	long ret;
	int err;
};
#define W_ANY		((struct want){ WANT_NONE, 0, 0 })
#define W_SUCCESS	((struct want){ WANT_SUCCESS, 0, 0 })
#define W_RET(v)	((struct want){ WANT_VALUE, (v), 0 })
#define W_ERR(e)	((struct want){ WANT_ERRNO, -1, (e) })

/* struct msqid_ds with times relative to the run's start and pids as roles. */
struct nds {
	long long key, uid, gid, cuid, cgid, mode, seq;
	long long stime, rtime, ctime;
	long long cbytes, qnum, qbytes;
	long long lspid, lrpid;
};
#define T_NEVER LLONG_MIN	/* a time field that is 0 */

enum { F_NUM, F_TIME, F_PID };
#define NDS_F(f, t) { #f, offsetof(struct nds, f), t }
static const struct { const char *name; size_t off; int type; } nds_fields[] = {
	NDS_F(key, F_NUM), NDS_F(uid, F_NUM), NDS_F(gid, F_NUM),
	NDS_F(cuid, F_NUM), NDS_F(cgid, F_NUM), NDS_F(mode, F_NUM),
	NDS_F(seq, F_NUM), NDS_F(stime, F_TIME), NDS_F(rtime, F_TIME),
	NDS_F(ctime, F_TIME), NDS_F(cbytes, F_NUM), NDS_F(qnum, F_NUM),
	NDS_F(qbytes, F_NUM), NDS_F(lspid, F_PID), NDS_F(lrpid, F_PID),
};

#define MI_F(f) { #f, offsetof(struct msginfo, f) }
static const struct { const char *name; size_t off; } mi_fields[] = {
	MI_F(msgpool), MI_F(msgmap), MI_F(msgmax), MI_F(msgmnb),
	MI_F(msgmni), MI_F(msgssz), MI_F(msgtql),
};

#define HAS_MSG 1
#define HAS_DS 2
#define HAS_MI 4
#define TAG_ANY -3	/* no tag expected */
#define TAG_NONE -1	/* zero-length message */
#define TAG_BAD -2	/* text is not what was sent */
#define NO_RETURN LONG_MIN	/* ret of a blocking call that never returned */

/* One step: a call, or a value the scenario computed (in ret). */
struct ev {
	char step[128];
	int has;		/* HAS_* */
	struct want want;
	long wmtype;		/* expected mtype, 0 if none */
	int wtag;		/* expected tag, TAG_ANY if none */
	long ret;
	int err;
	long mtype;
	int tag;
	uint64_t hash;
	struct nds ds;
	struct msginfo mi;
};

#define TR_MAX 16384
#define TR_ROLES 16
#define SELF 1		/* role of the backend's own process */

struct trace {
	int n;			/* steps completed; ev[n] is the one running */
	int nroles;
	pid_t pids[TR_ROLES];	/* pid of each role, [0] unused */
	struct ev ev[TR_MAX];
};

struct ctx {
	const struct backend *b;
	struct trace *tr;
	time_t t0;
	struct msqid_ds ds;	/* result of the last IPC_STAT/MSG_STAT* */
	struct msqid_ds set;	/* what SET passes to IPC_SET */
	struct msginfo mi;	/* result of the last IPC_INFO/MSG_INFO */
};

#define TEXT_MAX 70000
static struct { long mtype; unsigned char text[TEXT_MAX]; } sbuf, rbuf;

/* ---- Recording ----------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static struct ev *ev_begin(struct ctx *c, int line, const char *fmt, ...)
{
	struct trace *tr = c->tr;
	va_list ap;

	if (tr->n == TR_MAX)
		T_FAIL("trace full: scenario too long");
	struct ev *e = &tr->ev[tr->n];
	memset(e, 0, sizeof(*e));
	int n = snprintf(e->step, sizeof(e->step), "L%d ", line);
	va_start(ap, fmt);
	vsnprintf(e->step + n, sizeof(e->step) - n, fmt, ap);
	va_end(ap);
	e->wtag = TAG_ANY;
	return e;
}

static void ev_result(struct ev *e, long ret, int err)
{
	e->ret = ret;
	e->err = ret == -1 ? err : 0;
}

static void ev_end(struct ctx *c, struct ev *e, struct want w)
{
	e->want = w;
	c->tr->n++;
}

/* Role of a pid seen in msg_lspid/msg_lrpid; unknown pids stay distinct. */
static long long pid_role(const struct ctx *c, pid_t pid)
{
	if (pid == 0)
		return 0;
	for (int r = 1; r <= c->tr->nroles; r++)
		if (c->tr->pids[r] == pid)
			return r;
	return -(long long)pid;
}

static long long rel_time(const struct ctx *c, time_t t)
{
	return t ? t - c->t0 : T_NEVER;
}

static void nds_of(const struct ctx *c, const struct msqid_ds *d,
		   struct nds *n)
{
	n->key = d->msg_perm.__key;
	n->uid = d->msg_perm.uid;
	n->gid = d->msg_perm.gid;
	n->cuid = d->msg_perm.cuid;
	n->cgid = d->msg_perm.cgid;
	n->mode = d->msg_perm.mode;
	n->seq = d->msg_perm.__seq;
	n->stime = rel_time(c, d->msg_stime);
	n->rtime = rel_time(c, d->msg_rtime);
	n->ctime = rel_time(c, d->msg_ctime);
	n->cbytes = d->__msg_cbytes;
	n->qnum = d->msg_qnum;
	n->qbytes = d->msg_qbytes;
	n->lspid = pid_role(c, d->msg_lspid);
	n->lrpid = pid_role(c, d->msg_lrpid);
}

static const char *flag_str(char *s, size_t n, int flg)
{
	static const struct { int bit; const char *name; } names[] = {
		{ IPC_CREAT, "CREAT" }, { IPC_EXCL, "EXCL" },
		{ IPC_NOWAIT, "NOWAIT" }, { MSG_NOERROR, "NOERROR" },
		{ MSG_EXCEPT, "EXCEPT" }, { MSG_COPY, "COPY" },
	};
	size_t len = 0;

	s[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (flg & names[i].bit) {
			len += snprintf(s + len, n - len, "%s|", names[i].name);
			flg &= ~names[i].bit;
		}
	}
	if (flg || !len)
		snprintf(s + len, n - len, "%#o", flg);
	else
		s[len - 1] = 0;
	return s;
}

static long d_get(struct ctx *c, int line, key_t key, int flg, struct want w)
{
	char f[64];
	struct ev *e = ev_begin(c, line, "msgget(key %#x, %s)", key,
				flag_str(f, sizeof(f), flg));

	errno = 0;
	int r = c->b->get(key, flg);
	ev_result(e, r, errno);
	ev_end(c, e, w);
	return r;
}

static key_t d_ftok(struct ctx *c, int line, const char *path, int proj,
		    struct want w)
{
	struct ev *e = ev_begin(c, line, "ftok(%s, %#x)", path, proj);

	errno = 0;
	key_t k = c->b->ftok(path, proj);
	ev_result(e, k, errno);
	ev_end(c, e, w);
	return k;
}

/* The text of a message tagged t: byte i is t + i, so truncation keeps it. */
static void fill_text(unsigned char *p, size_t len, int tag)
{
	for (size_t i = 0; i < len; i++)
		p[i] = tag + i;
}

static int text_tag(const unsigned char *p, size_t len)
{
	if (!len)
		return TAG_NONE;
	for (size_t i = 1; i < len; i++)
		if (p[i] != (unsigned char)(p[0] + i))
			return TAG_BAD;
	return p[0];
}

static uint64_t fnv(const unsigned char *p, size_t len)
{
	uint64_t h = 14695981039346656037ull;

	while (len--)
		h = (h ^ *p++) * 1099511628211ull;
	return h;
}

/* msgsnd of a message of type mtype whose text is len bytes tagged tag. */
static struct ev *snd_begin(struct ctx *c, int line, const char *how, int id,
			    void *buf, long mtype, int tag, size_t len, int flg)
{
	char f[64];

	sbuf.mtype = mtype;
	fill_text(sbuf.text, len < TEXT_MAX ? len : TEXT_MAX, tag);
	return ev_begin(c, line, "%smsgsnd(id %d, %s, type %ld, tag %d, "
			"len %zu, %s)", how, id, buf ? "buf" : "NULL", mtype,
			tag, len, flag_str(f, sizeof(f), flg));
}

static long snd_call(struct ctx *c, struct ev *e, int id, void *buf,
		     size_t len, int flg)
{
	errno = 0;
	int r = c->b->snd(id, buf, len, flg);
	ev_result(e, r, errno);
	return r;
}

static long d_snd_buf(struct ctx *c, int line, int id, void *buf, long mtype,
		      int tag, size_t len, int flg, struct want w)
{
	struct ev *e = snd_begin(c, line, "", id, buf, mtype, tag, len, flg);
	long r = snd_call(c, e, id, buf, len, flg);

	ev_end(c, e, w);
	return r;
}

static struct ev *rcv_begin(struct ctx *c, int line, const char *how, int id,
			    void *buf, size_t sz, long typ, int flg,
			    long wmtype, int wtag)
{
	char f[64];
	struct ev *e = ev_begin(c, line, "%smsgrcv(id %d, %s, sz %zu, "
				"typ %ld, %s)", how, id, buf ? "buf" : "NULL",
				sz, typ, flag_str(f, sizeof(f), flg));

	e->wmtype = wmtype;
	e->wtag = wtag;
	return e;
}

/* msgrcv into buf (rbuf or NULL). */
static long rcv_call(struct ctx *c, struct ev *e, int id, void *buf, size_t sz,
		     long typ, int flg)
{
	memset(&rbuf, 0xa5, sizeof(rbuf.mtype) + 64);
	errno = 0;
	long r = c->b->rcv(id, buf, sz, typ, flg);
	ev_result(e, r, errno);
	if (r >= 0 && buf) {
		size_t len = r < TEXT_MAX ? r : TEXT_MAX;

		e->has = HAS_MSG;
		e->mtype = rbuf.mtype;
		e->tag = text_tag(rbuf.text, len);
		e->hash = fnv(rbuf.text, len);
	}
	return r;
}

static long d_rcv_buf(struct ctx *c, int line, int id, void *buf, size_t sz,
		      long typ, int flg, struct want w, long wmtype, int wtag)
{
	struct ev *e = rcv_begin(c, line, "", id, buf, sz, typ, flg, wmtype,
				 wtag);
	long r = rcv_call(c, e, id, buf, sz, typ, flg);

	ev_end(c, e, w);
	return r;
}

static const char *cmd_str(int cmd)
{
	static const char *names[] = {
		[IPC_RMID] = "IPC_RMID", [IPC_SET] = "IPC_SET",
		[IPC_STAT] = "IPC_STAT", [IPC_INFO] = "IPC_INFO",
		[MSG_STAT] = "MSG_STAT", [MSG_INFO] = "MSG_INFO",
		[MSG_STAT_ANY] = "MSG_STAT_ANY",
	};
	static char other[16];

	if (cmd >= 0 && cmd <= MSG_STAT_ANY && names[cmd])
		return names[cmd];
	snprintf(other, sizeof(other), "cmd %d", cmd);
	return other;
}

/*
 * msgctl with the buffer the command calls for (c->mi for the INFO
 * commands, c->set for IPC_SET, c->ds otherwise), or NULL.
 */
static long d_ctl(struct ctx *c, int line, int id, int cmd, int null_buf,
		  struct want w)
{
	int info = cmd == IPC_INFO || cmd == MSG_INFO;
	int stat = cmd == IPC_STAT || cmd == MSG_STAT || cmd == MSG_STAT_ANY;
	void *buf = info ? (void *)&c->mi : cmd == IPC_SET ? (void *)&c->set :
		    (void *)&c->ds;
	struct ev *e = ev_begin(c, line, "msgctl(%d, %s, %s)", id,
				cmd_str(cmd), null_buf ? "NULL" : "buf");

	if (null_buf)
		buf = NULL;
	else if (info || stat)
		memset(buf, 0x5a, info ? sizeof(c->mi) : sizeof(c->ds));
	errno = 0;
	int r = c->b->ctl(id, cmd, buf), err = errno;
	if (r != -1 && buf && stat) {
		e->has = HAS_DS;
		nds_of(c, &c->ds, &e->ds);
	} else if (r != -1 && buf && info) {
		e->has = HAS_MI;
		e->mi = c->mi;
	}
	ev_result(e, r, err);
	ev_end(c, e, w);
	return r;
}

static long d_limit(struct ctx *c, int line, const char *which, long v,
		    struct want w)
{
	struct ev *e = ev_begin(c, line, "set %s = %ld", which, v);

	errno = 0;
	int r = c->b->set_limit(which, v);
	ev_result(e, r, errno);
	ev_end(c, e, w);
	return r;
}

/* A value the scenario computed, and the one the spec gives. */
static void d_chk(struct ctx *c, int line, const char *what, long long got,
		  long long v)
{
	struct ev *e = ev_begin(c, line, "%s", what);

	ev_result(e, got, 0);
	ev_end(c, e, W_RET(v));
}

#define GET(c, k, f, w)		d_get(c, __LINE__, k, f, w)
#define FTOK(c, p, id, w)	d_ftok(c, __LINE__, p, id, w)
#define SND(c, id, t, tag, len, f, w) \
	d_snd_buf(c, __LINE__, id, &sbuf, t, tag, len, f, w)
#define SND_NULL(c, id, len, f, w) \
	d_snd_buf(c, __LINE__, id, NULL, 1, 0, len, f, w)
#define RCV(c, id, sz, typ, f, w) \
	d_rcv_buf(c, __LINE__, id, &rbuf, sz, typ, f, w, 0, TAG_ANY)
#define RCV_NULL(c, id, sz, typ, f, w) \
	d_rcv_buf(c, __LINE__, id, NULL, sz, typ, f, w, 0, TAG_ANY)
/* Receive must succeed with len bytes of the message (mtype, tag). */
#define RCV_GOT(c, id, sz, typ, f, len, mt, tag) \
	d_rcv_buf(c, __LINE__, id, &rbuf, sz, typ, f, W_RET(len), mt, tag)
#define CTL(c, id, cmd, w)	d_ctl(c, __LINE__, id, cmd, 0, w)
#define CTL_NULL(c, id, cmd, w)	d_ctl(c, __LINE__, id, cmd, 1, w)
#define STAT(c, id, w)		CTL(c, id, IPC_STAT, w)
#define SET(c, id, w)		CTL(c, id, IPC_SET, w)
#define RMID(c, id, w)		CTL(c, id, IPC_RMID, w)
#define LIMIT(c, which, v, w)	d_limit(c, __LINE__, which, v, w)
#define CHK(c, expr, v)		d_chk(c, __LINE__, #expr, (expr), (v))

/* ---- Other users --------------------------------------------------------- */

typedef void (*scenario_fn)(struct ctx *c, void *arg);

struct as_arg {
	struct ctx *c;
	int role;
	scenario_fn fn;
	void *arg;
};

static void as_trampoline(void *p)
{
	struct as_arg *a = p;

	a->c->tr->pids[a->role] = getpid();
	a->fn(a->c, a->arg);
}

/*
 * Run fn as uid:gid (no capabilities) in a child that records into the
 * same trace.  Returns the role its pid gets in msg_lspid/msg_lrpid.
 */
static int d_as_user(struct ctx *c, int line, uid_t uid, scenario_fn fn,
		     void *arg)
{
	if (c->tr->nroles + 1 == TR_ROLES)
		T_FAIL("too many roles");
	struct as_arg a = { c, ++c->tr->nroles, fn, arg };
	int st = t_as_user(uid, uid, as_trampoline, &a);

	if (st == T_EXIT_SKIP)
		t_skip("cannot switch to uid %d", (int)uid);
	d_chk(c, line, "exit status of the child as another user", st, 0);
	return a.role;
}
#define AS_USER(c, uid, fn, arg) d_as_user(c, __LINE__, uid, fn, arg)

/* The spec's answer depends on a capability the process may have. */
static struct want if_cap(int cap, struct want yes, struct want no)
{
	return t_have_cap(cap) ? yes : no;
}

static void need_uid_switch(void)
{
	if (!t_have_cap(CAP_SETUID) || !t_have_cap(CAP_SETGID))
		t_skip("cannot switch users");
}

/* ---- Calls that block ---------------------------------------------------- */

static void on_signal(int sig)
{
}

/*
 * Fork the process of a call that is meant to block, as uid unless it is
 * -1.  The call's step keeps the trace slot it has now (so the trace
 * order does not depend on when the call returns), and the process gets
 * the next role.  Returns 0 in the child; in the parent the child's pid,
 * once the child sleeps.
 */
static pid_t bg_fork(struct ctx *c, struct ev *e, struct want w, uid_t uid)
{
	if (c->tr->nroles + 1 == TR_ROLES)
		T_FAIL("too many roles");
	int role = ++c->tr->nroles;

	e->want = w;
	e->ret = NO_RETURN;
	c->tr->n++;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_signal,
					.sa_flags = SA_RESTART };

		sigaction(SIGUSR1, &sa, NULL);
		alarm(20);
		if (uid != (uid_t)-1 && (setgroups(0, NULL) ||
		    setresgid(uid, uid, uid) || setresuid(uid, uid, uid)))
			_exit(T_EXIT_FAIL);
		return 0;
	}
	c->tr->pids[role] = pid;
	t_wait_sleeping(pid);	/* if it returned at once, its step says so */
	return pid;
}

static pid_t d_bg_rcv(struct ctx *c, int line, uid_t uid, int id, size_t sz,
		      long typ, int flg, struct want w, long wmtype, int wtag)
{
	struct ev *e = rcv_begin(c, line, "blocking ", id, &rbuf, sz, typ, flg,
				 wmtype, wtag);
	pid_t pid = bg_fork(c, e, w, uid);

	if (pid)
		return pid;
	rcv_call(c, e, id, &rbuf, sz, typ, flg);
	_exit(T_EXIT_PASS);
}

static pid_t d_bg_snd(struct ctx *c, int line, int id, long mtype, int tag,
		      size_t len, int flg, struct want w)
{
	struct ev *e = snd_begin(c, line, "blocking ", id, &sbuf, mtype, tag,
				 len, flg);
	pid_t pid = bg_fork(c, e, w, -1);

	if (pid)
		return pid;
	snd_call(c, e, id, &sbuf, len, flg);
	_exit(T_EXIT_PASS);
}

/* Wait for a blocking call's process, which has recorded its result. */
static void bg_wait(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Stop and continue pid: a stop without a handler must not end the call. */
static void bg_stop_cont(pid_t pid)
{
	int st;

	kill(pid, SIGSTOP);
	while (waitpid(pid, &st, WUNTRACED) < 0 && errno == EINTR)
		;
	kill(pid, SIGCONT);
	t_msleep(10);
	t_wait_sleeping(pid);
}

#define BG_RCV(c, id, sz, typ, f, w) \
	d_bg_rcv(c, __LINE__, -1, id, sz, typ, f, w, 0, TAG_ANY)
#define BG_RCV_AS(c, uid, id, sz, typ, f, w) \
	d_bg_rcv(c, __LINE__, uid, id, sz, typ, f, w, 0, TAG_ANY)
#define BG_RCV_GOT(c, id, sz, typ, f, len, mt, tag) \
	d_bg_rcv(c, __LINE__, -1, id, sz, typ, f, W_RET(len), mt, tag)
#define BG_SND(c, id, t, tag, len, f, w) \
	d_bg_snd(c, __LINE__, id, t, tag, len, f, w)

/* Seconds since the run started are compared; make some pass. */
static void wait_until(time_t t)
{
	while (time(NULL) < t)
		t_msleep(50);
}

/* Deterministic generator (splitmix64): same draws on both backends. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#define RND(s, n) ((long)(rnd(s) % (n)))

/* ---- Comparing ----------------------------------------------------------- */

static const char *res_str(char *s, size_t n, long ret, int err)
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
	return res_str(s, n, w.ret, w.err);
}

static int want_met(const struct ev *e)
{
	switch (e->want.how) {
	case WANT_SUCCESS:
		return e->ret != -1;
	case WANT_VALUE:
		return e->ret == e->want.ret;
	case WANT_ERRNO:
		return e->ret == -1 && e->err == e->want.err;
	}
	return 1;
}

/* Why e disagrees with the spec's prediction, or NULL. */
static const char *spec_miss(const struct ev *e, char *s, size_t n)
{
	char a[48], b[48];

	if (!want_met(e)) {
		snprintf(s, n, "got %s, spec says %s",
			 res_str(a, sizeof(a), e->ret, e->err),
			 want_str(b, sizeof(b), e->want));
		return s;
	}
	if (!(e->has & HAS_MSG))
		return NULL;
	if (e->wmtype && e->mtype != e->wmtype) {
		snprintf(s, n, "got mtype %ld, spec says %ld", e->mtype,
			 e->wmtype);
		return s;
	}
	if (e->wtag != TAG_ANY && e->tag != e->wtag) {
		snprintf(s, n, "got message tag %d, spec says %d", e->tag,
			 e->wtag);
		return s;
	}
	return NULL;
}

static int time_eq(long long a, long long b)
{
	if (a == T_NEVER || b == T_NEVER)
		return a == b;
	return a - b <= 1 && b - a <= 1;
}

static void field_str(char *s, size_t n, int type, long long v)
{
	if (type == F_TIME && v == T_NEVER)
		snprintf(s, n, "0");
	else if (type == F_TIME)
		snprintf(s, n, "start%+lld s", v);
	else if (type == F_PID && v == SELF)
		snprintf(s, n, "self");
	else if (type == F_PID && v > SELF)
		snprintf(s, n, "child %lld", v);
	else if (type == F_PID && v < 0)
		snprintf(s, n, "unknown pid %lld", -v);
	else
		snprintf(s, n, "%lld", v);
}

/* Why the two backends' results for one step differ, or NULL. */
static const char *pair_miss(const struct ev *k, const struct ev *u, char *s,
			     size_t n)
{
	char a[48], b[48];

	if (k->ret != u->ret || k->err != u->err) {
		snprintf(s, n, "kernel %s, umq %s",
			 res_str(a, sizeof(a), k->ret, k->err),
			 res_str(b, sizeof(b), u->ret, u->err));
		return s;
	}
	if (k->has != u->has) {
		snprintf(s, n, "kernel returned data %#x, umq %#x", k->has,
			 u->has);
		return s;
	}
	if ((k->has & HAS_MSG) && (k->mtype != u->mtype ||
	    k->tag != u->tag || k->hash != u->hash)) {
		snprintf(s, n, "message: kernel mtype %ld tag %d hash %016llx, "
			 "umq mtype %ld tag %d hash %016llx", k->mtype, k->tag,
			 (unsigned long long)k->hash, u->mtype, u->tag,
			 (unsigned long long)u->hash);
		return s;
	}
	for (size_t i = 0; (k->has & HAS_DS) && i < sizeof(nds_fields) /
	     sizeof(nds_fields[0]); i++) {
		long long x = *(long long *)((char *)&k->ds + nds_fields[i].off);
		long long y = *(long long *)((char *)&u->ds + nds_fields[i].off);

		if (nds_fields[i].type == F_TIME ? time_eq(x, y) : x == y)
			continue;
		field_str(a, sizeof(a), nds_fields[i].type, x);
		field_str(b, sizeof(b), nds_fields[i].type, y);
		snprintf(s, n, "msqid_ds.%s: kernel %s, umq %s",
			 nds_fields[i].name, a, b);
		return s;
	}
	for (size_t i = 0; (k->has & HAS_MI) && i < sizeof(mi_fields) /
	     sizeof(mi_fields[0]); i++) {
		int x = *(int *)((char *)&k->mi + mi_fields[i].off);
		int y = *(int *)((char *)&u->mi + mi_fields[i].off);

		if (x != y) {
			snprintf(s, n, "msginfo.%s: kernel %d, umq %d",
				 mi_fields[i].name, x, y);
			return s;
		}
	}
	if ((k->has & HAS_MI) && k->mi.msgseg != u->mi.msgseg) {
		snprintf(s, n, "msginfo.msgseg: kernel %u, umq %u",
			 k->mi.msgseg, u->mi.msgseg);
		return s;
	}
	return NULL;
}

#define SHOW_MAX 6	/* differing steps printed in full */

static int show(int shown, int i, const struct ev *e, const char *who,
		const char *why)
{
	if (shown < SHOW_MAX)
		fprintf(stderr, "#   step %d \"%s\": %s%s\n", i, e->step, who,
			why);
	return shown + 1;
}

/* Print every step where a trace misses the spec or the two differ. */
static int compare(const struct trace *k, const struct trace *u)
{
	int n = k->n < u->n ? k->n : u->n, bad = 0;
	char s[256];

	for (int i = 0; i < n; i++) {
		const struct ev *x = &k->ev[i], *y = &u->ev[i];
		const char *why;

		if ((why = spec_miss(x, s, sizeof(s))))
			bad = show(bad, i, x, "kernel does not match the spec: ",
				   why);
		else if ((why = spec_miss(y, s, sizeof(s))))
			bad = show(bad, i, y, "umq does not match the spec: ",
				   why);
		else if ((why = pair_miss(x, y, s, sizeof(s))))
			bad = show(bad, i, y, "", why);
	}
	if (bad > SHOW_MAX)
		fprintf(stderr, "#   ... and %d more differing steps\n",
			bad - SHOW_MAX);
	return bad;
}

/* ---- Running ------------------------------------------------------------- */

static struct trace *trace_new(void)
{
	struct trace *tr = mmap(NULL, sizeof(*tr), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (tr == MAP_FAILED)
		T_FAIL("mmap: %s", strerror(errno));
	return tr;
}

static void backend_child(const struct backend *b, struct trace *tr,
			  scenario_fn fn, void *arg)
{
	struct ctx c = { .b = b, .tr = tr };

	if (unshare(CLONE_NEWIPC))
		T_FAIL("unshare(CLONE_NEWIPC): %s", strerror(errno));
	if (b->setup && b->setup())
		T_FAIL("%s: setup: %s", b->name, strerror(errno));
	tr->nroles = SELF;
	tr->pids[SELF] = getpid();
	c.t0 = time(NULL);
	alarm(30);	/* a call that blocks by mistake names its step */
	fn(&c, arg);
	fflush(NULL);
	_exit(T_EXIT_PASS);
}

/* Run the scenario on b in a child; returns its wait status. */
static int run_backend(const struct backend *b, struct trace *tr,
		       scenario_fn fn, void *arg)
{
	int st;

	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (pid == 0)
		backend_child(b, tr, fn, arg);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			T_FAIL("waitpid: %s", strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_SKIP)
		t_skip("%s side skipped", b->name);
	return st;
}

/* Did the backend's child finish the scenario?  Says why not. */
static int run_ok(const struct backend *b, const struct trace *tr, int st)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_PASS)
		return 1;
	if (WIFSIGNALED(st))
		fprintf(stderr, "#   %s side killed by signal %d%s",
			b->name, WTERMSIG(st),
			WTERMSIG(st) == SIGALRM ? " (timeout)" : "");
	else
		fprintf(stderr, "#   %s side exited with %d", b->name,
			WEXITSTATUS(st));
	fprintf(stderr, " during step %d \"%s\"\n", tr->n,
		tr->n < TR_MAX ? tr->ev[tr->n].step : "");
	return 0;
}

/*
 * Run fn on both backends in fresh namespaces and fail the case if a step
 * misses the spec or the backends disagree.
 */
static void diff_run(scenario_fn fn, void *arg)
{
	struct trace *tr[2];
	int st[2], ok = 1;

	if (!t_kernel_ns())
		t_skip("no private kernel IPC namespace");
	for (int i = 0; i < 2; i++) {
		tr[i] = trace_new();
		st[i] = run_backend(&backends[i], tr[i], fn, arg);
	}
	int bad = compare(tr[0], tr[1]);
	for (int i = 0; i < 2; i++)
		ok &= run_ok(&backends[i], tr[i], st[i]);
	if (ok && tr[0]->n != tr[1]->n)
		T_FAIL("kernel ran %d steps, umq %d", tr[0]->n, tr[1]->n);
	if (bad || !ok)
		T_FAIL("%d of %d steps differ%s", bad, tr[0]->n,
		       ok ? "" : ", and a side did not finish");
	for (int i = 0; i < 2; i++)
		munmap(tr[i], sizeof(*tr[i]));
}

/*
 * ---- KERNEL_ONLY: umq_* as the kernel calls -------------------------------
 *
 * Built with -DKERNEL_ONLY the program compares the kernel with itself:
 * every case must pass, which shows that the scenarios are deterministic
 * and that what they say the spec predicts is what the kernel does.
 */

#ifdef KERNEL_ONLY
key_t umq_ftok(const char *p, int id)
{
	return ftok(p, id);
}

int umq_msgget(key_t k, int f)
{
	return t_k_msgget(k, f);
}

int umq_msgsnd(int id, const void *p, size_t n, int f)
{
	return t_k_msgsnd(id, p, n, f);
}

ssize_t umq_msgrcv(int id, void *p, size_t n, long t, int f)
{
	return t_k_msgrcv(id, p, n, t, f);
}

int umq_msgctl(int id, int cmd, struct msqid_ds *b)
{
	return t_k_msgctl(id, cmd, b);
}

/* The backend's child has its own kernel namespace already. */
int umq_ns_use(const char *dir)
{
	return 0;
}

int umq_ns_get_limits(struct umq_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->msgmax = t_sysctl_read("/proc/sys/kernel/msgmax");
	lim->msgmnb = t_sysctl_read("/proc/sys/kernel/msgmnb");
	lim->msgmni = t_sysctl_read("/proc/sys/kernel/msgmni");
	return 0;
}

int umq_ns_set_limits(const struct umq_limits *lim)
{
	return kern_set_limit("msgmax", lim->msgmax) ||
	       kern_set_limit("msgmnb", lim->msgmnb) ||
	       kern_set_limit("msgmni", lim->msgmni) ? -1 : 0;
}
#endif

#endif /* DIFF_H */
