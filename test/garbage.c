/* SPDX-License-Identifier: MIT */
/* garbage.c - see garbage.h. */
#include "t.h"

#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>

#include "garbage.h"

struct round_log *LOG;
bool verbose;

void op(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(LOG->op, sizeof(LOG->op), fmt, ap);
	va_end(ap);
	if (verbose)
		t_note("op: %s", LOG->op);
}

void did(const char *fmt, ...)
{
	size_t n = strlen(LOG->what);
	va_list ap;

	if (n && n < sizeof(LOG->what) - 2)
		LOG->what[n++] = ';', LOG->what[n++] = ' ';
	va_start(ap, fmt);
	vsnprintf(LOG->what + n, sizeof(LOG->what) - n, fmt, ap);
	va_end(ap);
	if (verbose)
		t_note("damage: %s", LOG->what);
}

static void on_alarm(int sig)
{
	(void)sig;
	_exit(R_HUNG);	/* the parent reads "hung" and LOG->op */
}

/*
 * fn(arg) in a child that makes its own process group, under an alarm of
 * secs; its wait status, R_HUNG's if it outlives the alarm by 3 s.  Its
 * helpers are killed with it.
 */
static int round_child(void (*fn)(const void *), const void *arg,
		       void (*prep)(void), unsigned secs)
{
	int st;

	if (!LOG)
		LOG = t_shared(sizeof(*LOG));
	memset(LOG, 0, sizeof(*LOG));
	if (prep)
		prep();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_alarm };

		setpgid(0, 0);
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
		alarm(secs);
		fn(arg);
		_exit(T_EXIT_PASS);
	}
	st = t_wait_child(pid, 0, (int)secs * 1000 + 3000);
	kill(-pid, SIGKILL);	/* its helpers */
	if (st == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		st = R_HUNG << 8;
	}
	return st;
}

pid_t r_fork(void)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		R_FAIL("fork: %s", strerror(errno));
	return pid;
}

/* How rounds ended. */
struct tally {
	int rounds, crashed, hung, failed;
	char first[3][800];	/* the first of each kind, for the report */
};

#define SHOW_MAX 12		/* failed rounds listed one per line */

static void tally_note(struct tally *t, int kind, uint32_t seed,
		       const char *fate)
{
	if (t->crashed + t->hung + t->failed < SHOW_MAX)
		t_note("seed %u %s during [%.160s]%s%.300s", seed, fate,
		       LOG->op, LOG->why[0] ? ": " : "", LOG->why);
	if (!t->first[kind][0])
		snprintf(t->first[kind], sizeof(t->first[kind]),
			 "seed %u %.40s during [%.160s] after [%.250s]%s%.300s",
			 seed, fate, LOG->op, LOG->what,
			 LOG->why[0] ? ": " : "", LOG->why);
}

static void tally(struct tally *t, uint32_t seed, int st)
{
	char f[40];

	t->rounds++;
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_PASS)
		return;
	if (WIFEXITED(st) && WEXITSTATUS(st) == R_HUNG) {
		tally_note(t, 1, seed, "hung");
		t->hung++;
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == R_FAILED) {
		tally_note(t, 2, seed, "failed");
		t->failed++;
	} else {
		if (WIFSIGNALED(st))
			snprintf(f, sizeof(f), "crashed (signal %d)",
				 WTERMSIG(st));
		else
			snprintf(f, sizeof(f), "crashed (exit %d: sanitizer?)",
				 WEXITSTATUS(st));
		tally_note(t, 0, seed, f);
		t->crashed++;
	}
}

/* Stop early after this many hangs: each costs its deadline. */
#define MAX_HUNG 3

static void (*seed_fn)(uint32_t);

static void seed_round(const void *arg)
{
	seed_fn(*(const uint32_t *)arg);
}

void garbage_rounds(const char *name, uint32_t n, void (*fn)(uint32_t),
		    void (*prep)(void), unsigned secs)
{
	struct tally t = { 0 };
	const char *only = getenv("UMQ_T_SEED");
	uint32_t first = 1, last = n;

	if (only) {
		first = last = (uint32_t)strtoul(only, NULL, 0);
		verbose = true;
	}
	seed_fn = fn;
	for (uint32_t seed = first; seed <= last && t.hung < MAX_HUNG;
	     seed++)
		tally(&t, seed, round_child(seed_round, &seed, prep, secs));
	t_note("%s: %d rounds, %d crashed, %d hung%s, %d failed a check", name,
	       t.rounds, t.crashed, t.hung,
	       t.hung >= MAX_HUNG ? " (stopped there)" : "", t.failed);
	for (int k = 0; k < 3; k++)
		if (t.first[k][0])
			t_note("first %s: %s", k == 0 ? "crash" : k == 1 ?
			       "hang" : "failure", t.first[k]);
	if (t.crashed || t.hung || t.failed)
		T_FAIL("%s: %d of %d rounds crashed, hung or failed (rerun one "
		       "with UMQ_T_SEED=<seed>)", name,
		       t.crashed + t.hung + t.failed, t.rounds);
}

void garbage_scene(const char *what, void (*fn)(const void *),
		   const void *arg, void (*prep)(void), unsigned secs)
{
	int st = round_child(fn, arg, prep, secs);

	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_PASS)
		return;
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_SKIP)
		t_skip("%s: cannot switch users", what);
	if (WIFEXITED(st) && WEXITSTATUS(st) == R_FAILED)
		T_FAIL("%s: during [%s]: %s", what, LOG->op, LOG->why);
	if (WIFEXITED(st) && WEXITSTATUS(st) == R_HUNG)
		T_FAIL("%s: hung during [%s]", what, LOG->op);
	T_FAIL("%s: crashed (status %#x) during [%s]", what, st, LOG->op);
}

/* ---- a small deterministic generator ------------------------------------ */

static uint64_t rng;

uint64_t rnd64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

void seed_rng(uint32_t seed, uint32_t salt)
{
	rng = 0x9e3779b97f4a7c15ull * (seed + 1) ^ salt;
	for (int i = 0; i < 8; i++)
		rnd64();
}

void fill_random(void *p, size_t n)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rnd64();
}

bool errno_in(int e, const int *set)
{
	for (; *set; set++)
		if (*set == e)
			return true;
	return false;
}

void drain(const char *call, ssize_t (*one)(void *arg), void *arg,
	   int empty, int max)
{
	int eu = 0;

	for (int n = 0; n < max; n++) {
		op("drain %s #%d", call, n);
		if (one(arg) >= 0)
			continue;
		if (errno == empty)
			return;
		if (errno == EUCLEAN && ++eu <= 2)
			continue;	/* a rebuild may take a call */
		R_FAIL("drain: %s keeps failing: %s", call,
		       strerrorname_np(errno));
	}
	R_FAIL("the drain does not end");
}

int judge_in(long r, const char *call, const int *clean)
{
	int e = errno;

	if (r >= 0)
		return 0;
	if (r == -1 && errno_in(e, clean))
		return e;
	R_FAIL("%s returned %ld errno %s", call, r, strerrorname_np(e) ?: "?");
}
