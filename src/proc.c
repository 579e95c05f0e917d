/* SPDX-License-Identifier: MIT */
/*
 * proc.c - the caller's pid, tid and the time, as the bookkeeping of
 * msqid_ds needs them, without a system call per message: glibc no longer
 * caches getpid(), so we do, and forget it in the child of a fork.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

void (*umq_fault_hook)(int point);

static pid_t cached_pid;
static __thread pid_t cached_tid;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static uint32_t cached_pidns;

static void forget_ids(void)
{
	cached_pid = 0;
	cached_tid = 0;
	cached_pidns = 0;	/* after unshare(CLONE_NEWPID), a new one */
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

/*
 * How long a caller that would block spins first, watching the queue,
 * before it sleeps: about the cost of a sleep and a wake-up, which a
 * streaming peer on another CPU usually beats.  $UMQ_SPIN_US sets it
 * (0: never spin); a single CPU never spins.
 */
static long spin_ns = -1;

long proc_spin_ns(void)
{
	if (unlikely(spin_ns < 0)) {
		const char *e = getenv("UMQ_SPIN_US");
		long us = e && *e ? strtol(e, NULL, 10) : 20;
		if (us < 0 || sysconf(_SC_NPROCESSORS_ONLN) < 2)
			us = 0;
		spin_ns = us * 1000;
	}
	return spin_ns;
}

/* Spin while *w == old, at most proc_spin_ns(). */
void proc_spin(const uint32_t *w, uint32_t old)
{
	struct timespec t0, t;
	long budget = proc_spin_ns();

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (int i = 0; i < 64; i++) {
			if (__atomic_load_n(w, __ATOMIC_RELAXED) != old)
				return;
			cpu_relax();
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000000L +
		    (t.tv_nsec - t0.tv_nsec) >= budget)
			return;
	}
}

/* Our pid namespace, as an inode number; 0 if /proc cannot tell. */
uint32_t proc_pidns(void)
{
	struct stat st;

	if (unlikely(!cached_pidns)) {
		pthread_once(&atfork_once, install_atfork);
		if (!stat("/proc/self/ns/pid", &st))
			cached_pidns = (uint32_t)st.st_ino;
	}
	return cached_pidns;
}

/*
 * Before a first sleep, spin outside the queue's lock while its events
 * counter does not change (L10).  A caller that spins has not blocked yet:
 * to the others it is one that arrives a moment later, so no rule sees
 * the difference.  Returns with the lock held again; true if the caller
 * should retry.
 */
bool proc_spin_first(const uint32_t *events, void (*unlock)(void *),
		     void (*lock)(void *), void *q, bool *spun)
{
	uint32_t ev = __atomic_load_n(events, __ATOMIC_RELAXED);

	if (*spun || !proc_spin_ns())
		return false;
	*spun = true;
	unlock(q);
	proc_spin(events, ev);
	lock(q);
	return true;
}

/*
 * The kernel's ktime_get_real_seconds() reads the seconds of the last
 * timekeeping tick, as CLOCK_REALTIME_COARSE and time() do: the precise
 * clock can be a second ahead of both right at a second's boundary.
 */
int64_t proc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return ts.tv_sec;
}
