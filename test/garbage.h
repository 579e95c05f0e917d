/* SPDX-License-Identifier: MIT */
/*
 * garbage.h - rounds of damage to shared memory (test harness, for
 * sysv_garbage_*.c and posix_garbage_*.c).  Each round, and each directed
 * scene, is a process of its own under a deadline, in a process group of
 * its own (so helpers it forks go with it): a crash or a hang is counted
 * against its seed, and the other rounds still run.  UMQ_T_SEED=n runs
 * round n alone and shows what it did.
 */
#ifndef T_GARBAGE_H
#define T_GARBAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "t.h"

/* What the round is doing, shared with the process that judges it. */
struct round_log {
	char op[160];		/* the call in progress */
	char what[300];		/* the damage done */
	char why[300];		/* a failed check */
};

extern struct round_log *LOG;
/* UMQ_T_SEED was given: every step is noted. */
extern bool verbose;

/* The call in progress, for the report of a crash or a hang. */
__attribute__((format(printf, 1, 2))) void op(const char *fmt, ...);
/* One more piece of damage done ("a; b; c"). */
__attribute__((format(printf, 1, 2))) void did(const char *fmt, ...);

/* How a round ends, besides passing: a failed check, a deadline.  Any
 * other status (a signal, a sanitizer's exit) is a crash. */
#define R_FAILED 4
#define R_HUNG 3

/* A failed check inside a round: recorded, the round ends. */
#define R_FAIL(...)                                                     \
	do {                                                            \
		snprintf(LOG->why, sizeof(LOG->why), __VA_ARGS__);      \
		if (verbose)                                            \
			t_note("%s:%d: %s", __FILE__, __LINE__, LOG->why); \
		_exit(R_FAILED);                                        \
	} while (0)

/* fork() inside a round, stdio flushed first; the round fails if it
 * cannot. */
pid_t r_fork(void);

/*
 * Run fn(seed) for seeds 1..n (UMQ_T_SEED alone if set), each after
 * prep() (if any) in the parent, in a child under an alarm of secs.
 * Stops after 3 hangs (each costs its deadline); fails the case if any
 * round crashed, hung or failed a check, naming the first of each.
 */
void garbage_rounds(const char *name, uint32_t n, void (*fn)(uint32_t),
		    void (*prep)(void), unsigned secs);

/* One directed scene, fn(arg), the same way: a failed check, a crash or a
 * hang fails the case; a child's T_EXIT_SKIP (cannot switch users)
 * skips it. */
void garbage_scene(const char *what, void (*fn)(const void *),
		   const void *arg, void (*prep)(void), unsigned secs);

/* ---- a small deterministic generator (per process) ---------------------- */

uint64_t rnd64(void);
/* 0 .. n-1 (0 when n is 0). */
uint32_t below(uint32_t n);
void seed_rng(uint32_t seed, uint32_t salt);
void fill_random(void *p, size_t n);

/*
 * A call's result: success, or -1 with an errno in clean (0-terminated).
 * Else the round fails.  Returns the errno (0 on success).
 */
int judge_in(long r, const char *call, const int *clean);
/*
 * Receive until the queue is empty: one(arg) receives a message (>= 0)
 * or fails (-1, errno), and judges the errno itself; empty is the errno
 * of an empty queue.  Two EUCLEAN may come first (a rebuild may take a
 * call); any other failure, or no end in max calls, fails the round.
 */
void drain(const char *call, ssize_t (*one)(void *arg), void *arg,
	   int empty, int max);
/* e is in set (0-terminated). */
bool errno_in(int e, const int *set);

#endif
