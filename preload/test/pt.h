/* SPDX-License-Identifier: MIT */
/*
 * pt.h - what the preload's tests share.
 *
 * A test program here is an ordinary test/t.h program that runs itself
 * again under LD_PRELOAD=libumq-preload.so before its first case, so
 * every message-queue call it makes by libc's names - and every close,
 * dup2, read ... - goes through the preload, as an unmodified program's
 * would.  It reaches the kernel's queues, for comparison, through libc's
 * own functions (pt_libc: a dlsym() on libc's handle, which the preload
 * cannot stand in front of).  It is linked with libumq.so, so that its
 * umq_* calls (and t.c's umq_ns_use) show what the preload's copy of the
 * library sees.
 *
 * The Makefile defines PT_PRELOAD (the library), PT_LD_PRELOAD (what
 * LD_PRELOAD must hold: the sanitizer's runtime first under SAN=1) and
 * PT_PLAIN (plain.c, a program built against <sys/msg.h> and <mqueue.h>
 * alone).
 */
#ifndef PT_H
#define PT_H

#include "t.h"

#include <stdbool.h>
#include <stddef.h>

/* Run this program again under the preload, once, and check it took. */
void pt_reexec(int argc, char **argv);

/* libc's own function, past the preload: the kernel's queues. */
void *pt_libc(const char *name);
#define K(name) ((__typeof__(&name))pt_libc(#name))

/* Is addr inside libumq-preload.so? */
bool pt_in_preload(const void *addr);
/* Or, under SAN=1, in the sanitizer's runtime, loaded first, whose
 * interceptors (read, msgsnd ...) call the next definition: ours. */
bool pt_bound(const void *addr);

/*
 * Run argv (argv[0] a path) with UMQ_DIR set to the case's namespace, in
 * the case's IPC namespace, under the preload or not; its stdout and
 * stderr into out (NUL-terminated, cut to n).  Returns its exit status,
 * or 128 + the signal that killed it; fails the case after 60 s.
 */
int pt_run(bool preload, char *const argv[], char *out, size_t n);

/*
 * Traces, for scenarios run once on the kernel's queues (side 0) and once
 * on umq's (side 1): each step's text, result, errno and what it read go
 * into the side's trace, and pt_compare() fails the case if the two
 * differ, showing both.
 */
void pt_side(int side);
__attribute__((format(printf, 1, 2))) void pt_note(const char *fmt, ...);
void pt_compare(void);
#define PT_STEP(expr)                                                   \
	({                                                              \
		errno = 0;                                              \
		long long r_ = (long long)(expr);                       \
		pt_note("%s = %lld %s\n", #expr, r_,                    \
			errno ? strerrorname_np(errno) : "");           \
		r_;                                                     \
	})
/* A step that reads into buf: the bytes it read too. */
#define PT_READ(expr, buf)                                              \
	do {                                                            \
		memset(buf, 0, sizeof(buf));                            \
		long long n_ = PT_STEP(expr);                           \
		if (n_ > 0)                                             \
			pt_note("  \"%.*s\"\n", (int)n_, (char *)(buf)); \
	} while (0)

/* Whether file is executable, and a module importable by python. */
bool pt_have(const char *file);

#endif
