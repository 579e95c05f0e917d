/* SPDX-License-Identifier: MIT */
/*
 * lock.c - the two primitives every shared structure relies on: robust
 * process-shared mutexes (a holder that dies hands the next taker
 * EOWNERDEAD, see LOCKING L3) and futexes in shared memory to sleep on
 * (L6, L7).
 *
 * How a sleep ends on a signal differs between System V (always EINTR)
 * and POSIX (restarted per SA_RESTART); futex_sleep() picks the futex
 * operation whose restart rule is the wanted one.
 */
#include <linux/futex.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

int lock_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int r;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	r = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return -r;
}

static int lock_result(pthread_mutex_t *m, int r)
{
	if (likely(r == 0))
		return 0;
	if (r == EOWNERDEAD)
		return 1;
	/*
	 * ENOTRECOVERABLE (a repairer died too) or an error that only
	 * garbage in the mutex can cause: the data it guards is repaired by
	 * whoever holds it next, so start the mutex afresh (L3).
	 */
	lock_init(m);
	r = pthread_mutex_lock(m);
	return r == 0 || r == EOWNERDEAD ? 1 : lock_result(m, r);
}

/*
 * Critical sections are a few hundred nanoseconds, far less than a sleep
 * and a wake-up, and glibc's robust mutexes never spin: so try a little
 * first, as an adaptive mutex would.
 */
#define LOCK_SPINS 64

int lock_take(pthread_mutex_t *m)
{
	unsigned backoff = 1;

	for (int i = 0; i < LOCK_SPINS; i++) {
		/* Try only when the word looks free: a failing trylock is a
		 * write that steals the line from the holder. */
		if (__atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) == 0) {
			int r = pthread_mutex_trylock(m);
			if (likely(r != EBUSY))
				return lock_result(m, r);
		}
		/* Back off, more each time: the holder's side then runs a
		 * few operations on lines still in its cache. */
		for (unsigned k = 0; k < backoff; k++)
			__builtin_ia32_pause();
		if (backoff < 64)
			backoff <<= 1;
	}
	return lock_result(m, pthread_mutex_lock(m));
}

int lock_try(pthread_mutex_t *m)
{
	int r = pthread_mutex_trylock(m);
	if (r == EBUSY || r == EDEADLK)
		return -EBUSY;
	return lock_result(m, r);
}

void lock_mend(pthread_mutex_t *m)
{
	pthread_mutex_consistent(m);
}

void lock_drop(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
}

int futex_sleep(uint32_t *w, uint32_t val, int kind,
		const struct deadline *dl)
{
	struct futex_waitv wv = {
		.val = val, .uaddr = (uintptr_t)w, .flags = FUTEX_32,
	};
	struct timespec forever;
	long r;

	/* Shared futexes (no FUTEX_PRIVATE_FLAG): the words are in file
	 * mappings that other processes wait on too. */
	if (kind == SLEEP_POSIX && !dl) {
		/* No timeout: the kernel restarts it per SA_RESTART. */
		r = syscall(SYS_futex, w, FUTEX_WAIT, val, NULL, NULL, 0);
	} else if (kind == SLEEP_POSIX) {
		/* futex_waitv restarts per SA_RESTART, keeping the deadline. */
		r = syscall(SYS_futex_waitv, &wv, 1, 0, &dl->at, dl->clk);
	} else {
		/* A timed FUTEX_WAIT_BITSET ends in the restart block: EINTR
		 * after any handler, transparent after a stop.  So System V
		 * sleeps always carry a deadline, if only a far one. */
		if (!dl) {
			clock_gettime(CLOCK_MONOTONIC, &forever);
			forever.tv_sec += 1L << 30;
		}
		r = syscall(SYS_futex, w, FUTEX_WAIT_BITSET |
			    (dl && dl->clk == CLOCK_REALTIME ?
			     FUTEX_CLOCK_REALTIME : 0),
			    val, dl ? &dl->at : &forever, NULL,
			    FUTEX_BITSET_MATCH_ANY);
	}
	if (r >= 0 || errno == EAGAIN)
		return 0;
	return errno == EINTR || errno == ETIMEDOUT ? -errno : 0;
}

int deadline_make(struct deadline *dl, clockid_t clk,
		  const struct timespec *abs)
{
	if (bad_uptr(abs))
		return -EFAULT;
	if (abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000L ||
	    abs->tv_sec < 0)
		return -EINVAL;
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC)
		return -EINVAL;
	dl->clk = clk;
	dl->at = *abs;
	return 0;
}

void futex_wake(uint32_t *w, int n)
{
	syscall(SYS_futex, w, FUTEX_WAKE, n, NULL, NULL, 0);
}
