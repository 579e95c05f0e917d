/* SPDX-License-Identifier: MIT */
/*
 * syscount.h - count the system calls of the calling thread (test
 * harness): a seccomp filter hands each one to a thread made before it
 * (so not filtered), which counts it and lets it go on.  Only in a child
 * of the case: the filter cannot be removed.  Skips the case when the
 * kernel cannot.
 */
#ifndef T_SYSCOUNT_H
#define T_SYSCOUNT_H

#include <stdatomic.h>

struct counter {
	atomic_long n;
	atomic_int fd;
};

struct counter *count_start(void);

#endif
