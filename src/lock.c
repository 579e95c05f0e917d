/* SPDX-License-Identifier: MIT */
/*
 * lock.c - the two primitives every shared structure relies on: robust
 * process-shared mutexes (a holder that dies hands the next taker
 * EOWNERDEAD, see LOCKING L3) and futexes in shared memory to sleep on
 * (L6, L7).
 *
 * How a sleep ends on a signal differs between System V (always EINTR)
 * and POSIX (restarted per SA_RESTART); futex_sleep() picks the futex
 * operation whose restart rule is the wanted one.  pend_set() makes a
 * waker's death wake its sleeper.
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

/*
 * Sleeps are whole: one futex wait until the caller's deadline, or
 * forever.  A handled signal ends the wait inside the kernel at any
 * instant (there is no instant between two waits to miss it), and a stop
 * is transparent.  A sleeper never has to look around for a waker that
 * died: the waker arms its robust list on our word (pend_set), so its
 * death wakes us (LOCKING L6).
 *
 * System V: a timed FUTEX_WAIT_BITSET, with a deadline at the end of
 * time if the caller has none, ends in the restart block: EINTR after any
 * handler, transparent after a stop (A9).  POSIX: futex_waitv is
 * restarted after a handler with SA_RESTART and keeps its absolute
 * deadline (B9).  Shared futexes (no FUTEX_PRIVATE_FLAG): the words are
 * in file mappings that other processes wait on too.
 */
static const struct timespec never = { (time_t)1 << 40, 0 };

int futex_sleep(uint32_t *w, uint32_t val, int kind,
		const struct deadline *dl)
{
	clockid_t clk = dl ? dl->clk : CLOCK_MONOTONIC;
	long r;

	if (kind == SLEEP_POSIX) {
		struct futex_waitv wv = {
			.val = val, .uaddr = (uintptr_t)w, .flags = FUTEX_32,
		};
		r = syscall(SYS_futex_waitv, &wv, 1, 0, dl ? &dl->at : NULL,
			    clk);
	} else {
		r = syscall(SYS_futex, w, FUTEX_WAIT_BITSET |
			    (clk == CLOCK_REALTIME ? FUTEX_CLOCK_REALTIME : 0),
			    val, dl ? &dl->at : &never, NULL,
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

/*
 * A waker's death wakes its sleeper (L6).  glibc registers a robust list
 * for every thread; when a thread ends, the kernel (exit_robust_list)
 * also looks at the list's list_op_pending entry, and if the word it
 * names has no owner bits, wakes one waiter on it (handle_futex_death:
 * glibc's own guard for a lock whose unlocker dies before its wake-up).
 * Waiter states have no owner bits, so naming a record's word there
 * before touching the record makes the poster's death at any instant
 * wake the record's sleeper.  glibc uses the same entry inside its robust
 * mutex operations, so none may run between pend_set and pend_clear;
 * what was there before is put back.
 */
static __thread struct robust_list_head *rl_head;
static __thread struct robust_list *rl_saved;
static __thread bool rl_armed;

static struct robust_list_head *robust_head(void)
{
	if (unlikely(!rl_head)) {
		struct robust_list_head *h = NULL;
		size_t len = 0;

		/* Registered once per thread, at the same address in the
		 * child of a fork. */
		if (syscall(SYS_get_robust_list, 0, &h, &len) || !h ||
		    len != sizeof(*h))
			h = (struct robust_list_head *)1;	/* none */
		rl_head = h;
	}
	return rl_head == (struct robust_list_head *)1 ? NULL : rl_head;
}

void pend_set(uint32_t *w)
{
	struct robust_list_head *h = robust_head();
	uintptr_t e;

	if (!h)
		return;
	e = (uintptr_t)w - (uintptr_t)h->futex_offset;
	if (e & 1)
		return;		/* bit 0 would say "PI futex" */
	if (!rl_armed) {
		rl_saved = h->list_op_pending;
		rl_armed = true;
	}
	__atomic_store_n(&h->list_op_pending, (struct robust_list *)e,
			 __ATOMIC_RELAXED);
	/* Before the writes it covers: only this thread's death reads it. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

void pend_clear(void)
{
	if (!rl_armed)
		return;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&rl_head->list_op_pending, rl_saved,
			 __ATOMIC_RELAXED);
	rl_armed = false;
}
