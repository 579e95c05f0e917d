/* SPDX-License-Identifier: MIT */
/*
 * proc.c - the caller's pid, tid and the time, as the bookkeeping of
 * msqid_ds needs them, without a system call per message: glibc no longer
 * caches getpid(), so we do, and forget it in the child of a fork.
 */
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

static pid_t cached_pid;
static __thread pid_t cached_tid;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void forget_ids(void)
{
	cached_pid = 0;
	cached_tid = 0;
}

static void install_atfork(void)
{
	pthread_atfork(NULL, NULL, forget_ids);
}

pid_t proc_pid(void)
{
	if (unlikely(!cached_pid)) {
		pthread_once(&atfork_once, install_atfork);
		cached_pid = getpid();
	}
	return cached_pid;
}

pid_t proc_tid(void)
{
	if (unlikely(!cached_tid)) {
		pthread_once(&atfork_once, install_atfork);
		cached_tid = (pid_t)syscall(SYS_gettid);
	}
	return cached_tid;
}

/* Seconds of CLOCK_REALTIME, like the kernel's ktime_get_real_seconds(). */
int64_t proc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}
