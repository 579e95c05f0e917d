/* SPDX-License-Identifier: MIT */
/*
 * trace.h - recording and comparing traces: the machinery that the two
 * differential suites share (diff.h for System V, pdiff.h for POSIX).
 *
 * A scenario drives one backend (the kernel's queues or umq's) through a
 * suite's d_* wrappers.  Every wrapper records a step in a trace: its
 * label, the return value and errno, the value the spec predicts when the
 * scenario states one, and whatever else the call gave back.  tr_run()
 * runs the scenario once per backend, each in a child of its own after
 * its own unshare(CLONE_NEWIPC) (so ids start at 0 on both sides and the
 * kernel side never touches the host's queues), and compares the traces
 * step by step: each step must meet the spec on both sides and agree
 * between them.  Traces live in shared memory so that they survive the
 * child and the processes it forks.
 *
 * What a step gave back besides its return value is the suite's: its
 * step type starts with a struct tr_ev, and its struct tr_suite says how
 * to set up a step and how to compare the rest.  struct ctx, the state a
 * scenario runs with, is the suite's too; this file only passes it on.
 */
#ifndef TRACE_H
#define TRACE_H

#include "t.h"

#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

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

#define NO_RETURN LONG_MIN	/* ret of a blocked call that never ended */
#define TAG_NONE -1		/* zero-length message */
#define TAG_BAD -2		/* text is not what was sent */

/* The head of every step; a suite's step type starts with one. */
struct tr_ev {
	char step[160];		/* "L<line> call(args)" */
	struct want want;
	long ret;
	int err;
};

#define TR_ROLES 16
#define TR_NAMES 64
#define SELF 1		/* role of the backend's own process */

struct tr_suite;

struct trace {
	const struct tr_suite *s;
	int n;			/* steps done; step n is running */
	int nroles;
	pid_t pids[TR_ROLES];	/* pid of each role, [0] unused */
	int nnames;		/* names created, removed at the end */
	char names[TR_NAMES][260];
	_Alignas(16) unsigned char ev[];	/* s->max steps of s->esize */
};

struct ctx;	/* the suite's */
typedef void (*scenario_fn)(struct ctx *c, void *arg);

struct tr_suite {
	size_t esize;		/* size of a step, struct tr_ev first */
	int max;		/* steps a trace holds */
	/* Set up a new step (zeroed, its label written). */
	void (*init)(struct tr_ev *e);
	/* Why e misses the spec beyond its return value, or NULL. */
	const char *(*spec_miss)(const struct tr_ev *e, char *s, size_t n);
	/* Why the backends' steps differ beyond their return value, or NULL. */
	const char *(*pair_miss)(const struct tr_ev *k, const struct tr_ev *u,
				 char *s, size_t n);
	/* Whether umq's step is not to be compared (may be NULL)... */
	int (*moot)(const struct tr_ev *u);
	const char *moot_note;	/* ... and the note counting them (%d) */
	/*
	 * In backend i's child, in its fresh IPC namespace: set up, run
	 * fn(c, arg) with the suite's struct ctx, clean up.
	 */
	void (*side)(int i, struct trace *tr, scenario_fn fn, void *arg);
};

/* ---- Recording ----------------------------------------------------------- */

struct tr_ev *tr_ev(const struct trace *tr, int i);
/* Start the next step, labelled "L<line> " and fmt. */
__attribute__((format(printf, 3, 4)))
struct tr_ev *tr_begin(struct trace *tr, int line, const char *fmt, ...);
void tr_result(struct tr_ev *e, long ret, int err);
/* The step is complete, and w is what the spec says of it. */
void tr_end(struct trace *tr, struct tr_ev *e, struct want w);
/* A value the scenario computed, and the one the spec gives. */
long tr_chk(struct trace *tr, int line, const char *what, long got, long v);
/* Set a limit of the namespace with set(which, v): "set which = v". */
long tr_limit(struct trace *tr, int line, int (*set)(const char *, long),
	      const char *which, long v, struct want w);
/*
 * The same in a scenario: the suite's struct ctx has the trace in tr and
 * its backend's set_limit in b.
 */
#define d_limit(c, line, which, v, w) \
	tr_limit((c)->tr, line, (c)->b->set_limit, which, v, w)
#define d_chk(c, line, what, got, v) tr_chk((c)->tr, line, what, got, v)
#define LIMIT(c, which, v, w)	d_limit(c, __LINE__, which, v, w)
#define CHK(c, expr, v)		d_chk(c, __LINE__, #expr, (expr), (v))

/* Split credentials: real and fs ids r and g, effective and saved ones
 * r + 1 and g + 1, no supplementary groups (checked steps). */
void tr_become_split(struct trace *tr, uid_t r, gid_t g);

/* Role of a pid; unknown pids stay distinct (and negative). */
long tr_role(const struct trace *tr, pid_t pid);
int tr_new_role(struct trace *tr);
/* A role as a field value: 0, "self", "child n", "unknown pid n". */
void tr_role_str(char *s, size_t n, long v);
/* Remember a name the scenario may have created, to remove it at the end. */
void tr_note_name(struct trace *tr, const char *name);

/* A text tagged tag: byte i is tag + i, so a truncated one keeps it. */
void tr_fill(void *p, size_t len, int tag);
/* The tag of a text, TAG_NONE if empty, TAG_BAD if not a tagged text. */
int tr_tag(const void *p, size_t len);
uint64_t tr_fnv(const void *p, size_t len);

/* ---- Other processes ----------------------------------------------------- */

/* Who a child runs as: uid -1 keeps the caller's credentials. */
struct who {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[4];
};
#define SAME_USER ((struct who){ (uid_t)-1, (gid_t)-1, 0, { 0 } })
#define USER(u) ((struct who){ (u), (u), 0, { 0 } })

int tr_become(const struct who *w);

/*
 * Run fn(c, arg) in a child process as w, recording into the same trace,
 * under a new role (*role); skips the case if w cannot be taken on.
 * Returns the child's exit status, 128 + the signal that killed it.
 */
int tr_child(struct ctx *c, struct trace *tr, const struct who *w,
	     scenario_fn fn, void *arg, int *role);

void need_uid_switch(void);
/* The spec's answer depends on a capability the process may have. */
struct want if_cap(int cap, struct want yes, struct want no);

/* ---- Calls that block ---------------------------------------------------- */

/*
 * Fork the process of a call that is meant to block, under a new role.
 * Step e keeps the trace slot it has now (so the trace order does not
 * depend on when the call returns): completed as NO_RETURN until the
 * child records its result.  Returns 0 in the child; in the parent the
 * child's pid, once the child sleeps.
 */
pid_t tr_bg_fork(struct trace *tr, struct tr_ev *e, struct want w);
/* In a blocking call's process: SIGUSR1 runs a no-op handler. */
void tr_catch_usr1(int sa_flags);
/* Wait for a blocking call's process, which has recorded its result. */
void bg_wait(pid_t pid);
/* Stop and continue pid: a stop without a handler must not end the call. */
void bg_stop_cont(pid_t pid);
/* Interrupt pid with SIGUSR1; give a restarted call time to sleep again. */
void bg_interrupt(pid_t pid);

/* Seconds since the run started are compared; make some pass. */
void wait_until(time_t t);

/* Deterministic generator (splitmix64): same draws on both backends. */
uint64_t rnd(uint64_t *s);
#define RND(s, n) ((long)(rnd(s) % (n)))

/* ---- Running ------------------------------------------------------------- */

/* "-1 ENOENT", "5", or "no return (still blocked or killed)". */
const char *tr_res_str(char *s, size_t n, long ret, int err);

/*
 * Run fn on both backends in fresh namespaces and fail the case if a step
 * misses the spec or the backends disagree.  With $UMQ_TRACE set, every
 * step of both traces is shown.
 */
void tr_run(const struct tr_suite *s, scenario_fn fn, void *arg);

#endif /* TRACE_H */
