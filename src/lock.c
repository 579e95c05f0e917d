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
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
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

/*
 * Could these bytes be one of our mutexes?  Its kind is what lock_init()
 * makes, and its owner is a thread id the kernel can hand out.  Bytes
 * that fail this are garbage (L3): glibc would abort or wait forever on
 * them.
 */
#define PID_MAX_LIMIT (1 << 22)

static int our_kind = -1;

static bool lock_sane(pthread_mutex_t *m)
{
	if (unlikely(our_kind < 0)) {
		pthread_mutex_t t;
		lock_init(&t);
		our_kind = t.__data.__kind;
		pthread_mutex_destroy(&t);
	}
	return __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED) ==
		       our_kind &&
	       ((unsigned)__atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) &
		FUTEX_TID_MASK) <= PID_MAX_LIMIT;
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
	futex_wake((uint32_t *)&m->__data.__lock, INT_MAX);
	r = pthread_mutex_lock(m);
	return r == 0 || r == EOWNERDEAD ? 1 : lock_result(m, r);
}

/*
 * Critical sections are a few hundred nanoseconds, far less than a sleep
 * and a wake-up, and glibc's robust mutexes never spin: so try a little
 * first, as an adaptive mutex would.
 */
#define LOCK_SPINS 64

/* L11: a holder that does not exist, checkable from here? */
static bool holder_gone(pthread_mutex_t *m, uint32_t *tag)
{
	unsigned w = (unsigned)__atomic_load_n(&m->__data.__lock,
					       __ATOMIC_RELAXED);
	pid_t tid = (pid_t)(w & FUTEX_TID_MASK);

	if (!tag || !tid || __atomic_load_n(tag, __ATOMIC_RELAXED) !=
	    proc_pidns() || !proc_pidns())
		return false;
	/* kill() takes any thread's id and answers for its process. */
	return kill(tid, 0) < 0 && errno == ESRCH;
}

int lock_take(pthread_mutex_t *m, uint32_t *tag)
{
	unsigned backoff = 1;
	struct timespec at;
	int r;

	if (unlikely(!lock_sane(m)))
		return lock_result(m, EINVAL);	/* start it afresh */
	for (int i = 0; i < LOCK_SPINS; i++) {
		/* Try only when the word looks free: a failing trylock is a
		 * write that steals the line from the holder. */
		if (__atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) == 0) {
			r = pthread_mutex_trylock(m);
			if (likely(r != EBUSY))
				goto got;
		}
		/* Back off, more each time: the holder's side then runs a
		 * few operations on lines still in its cache. */
		for (unsigned k = 0; k < backoff; k++)
			cpu_relax();
		if (backoff < 64)
			backoff <<= 1;
	}
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &at);
		at.tv_sec += 2;
		r = pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &at);
		if (r != ETIMEDOUT)
			break;
		if (holder_gone(m, tag)) {
			r = EINVAL;	/* garbage: start it afresh */
			break;
		}
	}
got:
	r = lock_result(m, r);
	if (tag)
		__atomic_store_n(tag, proc_pidns(), __ATOMIC_RELAXED);
	return r;
}

int lock_try(pthread_mutex_t *m)
{
	if (unlikely(!lock_sane(m)))
		return lock_result(m, EINVAL);
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

static int sleep_once(uint32_t *w, uint32_t val, int kind, clockid_t clk,
		      const struct timespec *at)
{
	struct futex_waitv wv = {
		.val = val, .uaddr = (uintptr_t)w, .flags = FUTEX_32,
	};
	long r;

	/* Shared futexes (no FUTEX_PRIVATE_FLAG): the words are in file
	 * mappings that other processes wait on too. */
	if (kind == SLEEP_POSIX)
		/* futex_waitv restarts per SA_RESTART, keeping the deadline. */
		r = syscall(SYS_futex_waitv, &wv, 1, 0, at, clk);
	else
		/* A timed FUTEX_WAIT_BITSET ends in the restart block: EINTR
		 * after any handler, transparent after a stop (A9). */
		r = syscall(SYS_futex, w, FUTEX_WAIT_BITSET |
			    (clk == CLOCK_REALTIME ? FUTEX_CLOCK_REALTIME : 0),
			    val, at, NULL, FUTEX_BITSET_MATCH_ANY);
	if (r >= 0 || errno == EAGAIN)
		return 0;
	return errno == EINTR || errno == ETIMEDOUT ? -errno : 0;
}

/*
 * Sleeps are cut in slices of a second: between two, a sleeper looks at
 * its queue's lock, and if the holder died there (one that posted to us
 * and died before its wake-up, L6) it returns, so that the caller takes
 * the lock and the repair runs.  No third party needed.
 */
#define SLICE_NS 1000000000L

int futex_sleep(uint32_t *w, uint32_t val, int kind,
		const struct deadline *dl, pthread_mutex_t *lock)
{
	struct timespec now, at;
	int r;

	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		at = now;
		at.tv_sec += SLICE_NS / 1000000000L;
		if (dl && dl->clk == CLOCK_MONOTONIC &&
		    (dl->at.tv_sec < at.tv_sec ||
		     (dl->at.tv_sec == at.tv_sec &&
		      dl->at.tv_nsec < at.tv_nsec)))
			at = dl->at;
		if (dl && dl->clk == CLOCK_REALTIME) {
			/* A slice on the real-time clock, ending no later
			 * than the deadline: a clock jump is the kernel's. */
			clock_gettime(CLOCK_REALTIME, &now);
			at = now;
			at.tv_sec += SLICE_NS / 1000000000L;
			if (dl->at.tv_sec < at.tv_sec ||
			    (dl->at.tv_sec == at.tv_sec &&
			     dl->at.tv_nsec < at.tv_nsec))
				at = dl->at;
		}
		r = sleep_once(w, val, kind,
			       dl ? dl->clk : CLOCK_MONOTONIC, &at);
		if (r != -ETIMEDOUT)
			return r;
		if (dl && at.tv_sec == dl->at.tv_sec &&
		    at.tv_nsec == dl->at.tv_nsec)
			return -ETIMEDOUT;	/* the caller's deadline */
		if (__atomic_load_n(w, __ATOMIC_ACQUIRE) != val ||
		    (lock && (__atomic_load_n(&lock->__data.__lock,
					      __ATOMIC_RELAXED) &
			      FUTEX_OWNER_DIED)))
			return 0;
	}
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
