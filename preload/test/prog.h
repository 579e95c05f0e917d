/* SPDX-License-Identifier: MIT */
/*
 * prog.h - what the differential programs (prog_*.c) share.
 *
 * A program performs a scenario with the system's <sys/msg.h> and
 * <mqueue.h> calls only - it knows nothing of umq - and prints a trace:
 * every call, its result and errno, and the fields of msqid_ds, mq_attr
 * and siginfo that do not depend on the run (times, pids and keys are
 * masked).  preload/test/progs.sh runs it on the kernel and on umq and
 * compares the traces.
 *
 * Every call is made with errno set to a sentinel first, so a successful
 * call that changes errno shows in the trace.
 */
#ifndef PROG_H
#define PROG_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define SENTINEL 24158		/* no errno value is this */

enum { P_VALUE, P_OK };

/*
 * CALL(expr) prints "expr = <value>", or "expr = -1 <ENAME>"; CALLOK(expr)
 * prints "= ok" for a value that may differ between runs (a descriptor
 * whose number is not the point, a key, a pid).
 * Both return the value.  A success that changed errno is flagged.
 */
#define CALL_(expr, text, how)                                          \
	({                                                              \
		errno = SENTINEL;                                       \
		long long r_ = (long long)(expr);                       \
		int e_ = errno;                                         \
		prog_call(text, r_, e_, how);                           \
		r_;                                                     \
	})
#define CALL(expr) CALL_(expr, #expr, P_VALUE)
#define CALLOK(expr) CALL_(expr, #expr, P_OK)

/* Set up stdout and a watchdog of `secs` seconds for this process. */
void prog_init(unsigned secs);
void prog_call(const char *expr, long long r, int e, int how);
__attribute__((format(printf, 1, 2))) void say(const char *fmt, ...);
const char *ename(int e);

/* Block sig (threads and children started later inherit the mask): the
 * set of sig alone, for sigtimedwait. */
sigset_t block_signal(int sig);

/* Name a pid, so that traces show the name ("parent", "child1"). */
void pid_name(pid_t pid, const char *name);
const char *pidstr(pid_t pid);
/* "0", "recent" (since the program started), or "odd". */
const char *timestr(time_t t);

void show_msqid(const char *tag, const struct msqid_ds *ds);
void show_attr(const char *tag, const struct mq_attr *a);
void show_siginfo(const char *tag, const siginfo_t *si);

/*
 * Processes.  spawn() flushes stdout and runs fn(arg) in a child, which
 * exits 0 after it.  The child's output is kept aside and shown by reap(),
 * which waits for the child (30 s, then kills it and says so) and returns
 * its wait status: the trace has one order whatever order children ran in.
 */
pid_t spawn(const char *name, void (*fn)(void *), void *arg);
int reap(pid_t pid);
int reap_within(pid_t pid, int secs);
/* Wait until pid's state is one of `states` (e.g. "S"), or it is a zombie
 * or gone: returns the state seen, or 0 after 20 s. */
int wait_state(pid_t pid, const char *states);
void msleep(int ms);

#endif
