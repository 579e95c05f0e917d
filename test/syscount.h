/* SPDX-License-Identifier: MIT */
/*
 * syscount.h - count the system calls of the calling thread: a seccomp
 * filter hands each one to a thread made before it (so not filtered),
 * which counts it, by number too, and lets it go on.  Only in a process
 * that may keep the filter: it cannot be removed.  No test harness in
 * it: the tests and bench/ both link it.
 */
#ifndef SYSCOUNT_H
#define SYSCOUNT_H

#include <stdatomic.h>

#define NR_SEEN	512

struct counter {
	atomic_long n;
	atomic_int fd;
	atomic_int seen[NR_SEEN];	/* by system call number */
};

/*
 * Count the calling thread's system calls in c, which must outlive it
 * (static): 0, or -1 with errno set and *what naming the step that
 * failed (the kernel may not have seccomp user notification).
 */
int syscount_start(struct counter *c, const char **what);

#endif
