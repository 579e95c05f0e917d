/* SPDX-License-Identifier: MIT */
/*
 * futex.c - sleeping on a word of shared memory until it changes or a
 * deadline passes, and waking the sleepers (LOCKING L6, L7), with the
 * deadlines callers give.
 *
 * How a sleep ends on a signal differs between System V (always EINTR)
 * and POSIX (restarted per SA_RESTART); futex_sleep() picks the futex
 * operation whose restart rule is the wanted one.  Built with
 * -fexceptions (Makefile): a cancellation unwinds through its cleanup.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#ifndef __EXCEPTIONS
#error "futex.c needs -fexceptions: see futex_sleep_cancel"
#endif

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

/* No ASan in the frames a cancellation can abandon (sleep_cancellable):
 * their redzones would stay poisoned under the frames that run next. */
#define CANCEL_FRAME __attribute__((no_sanitize_address))

CANCEL_FRAME int futex_sleep(uint32_t *w, uint32_t val, int kind,
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

/*
 * The wait with asynchronous cancellation on, in a frame of its own: a
 * request may act at any of its instructions, which the unwinder steps
 * over (asynchronous unwind tables), while the caller's frame, whose
 * cleanup must run, is then always at this call.  A request already made
 * acts in pthread_setcanceltype(); one made during the wait sends the
 * signal that ends it.
 */
static __attribute__((noinline)) CANCEL_FRAME int sleep_cancellable(
		uint32_t *w, uint32_t val, int kind, const struct deadline *dl)
{
	int r, type;

	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &type);
	FAULT(FP_ASLEEP);
	r = futex_sleep(w, val, kind, dl);
	FAULT(FP_WOKEN);
	pthread_setcanceltype(type, NULL);
	return r;
}

struct undo {
	void (*fn)(void *);
	void *arg;
	int nheld;		/* our locks when the wait began */
};

/*
 * A signal handler that interrupted the wait runs in its asynchronous
 * mode: a request may act inside a umq call it makes, with a lock held
 * and that call's section half done.  Then the locks are left to the
 * thread's exit, which marks them "owner died" for their repair (L3),
 * and so is the waiting call's record (L8): undo would wait on a lock
 * this thread holds.
 */
static void cancelled(void *arg)
{
	struct undo *u = arg;

	/* The request unwinds every frame of the call, bound_leave's too:
	 * the undo is not the call's to give up, and the cleanups that
	 * follow may call umq (lock_bound would name a dead frame). */
	lock_bound = NULL;
	if (lock_nheld <= u->nheld)
		u->fn(u->arg);
}

/* The cleanup is a cleanup attribute (-fexceptions, Makefile), not
 * glibc's setjmp buffer, which ASan cannot follow.  undo also gives back
 * a message handed over before the request acted: glibc 2.36's own
 * cancellable calls can be cancelled just after the system call
 * returned, and what it received is lost. */
int futex_sleep_cancel(uint32_t *w, uint32_t val, int kind,
		       const struct deadline *dl, void (*undo)(void *),
		       void *arg)
{
	struct undo u = { undo, arg, lock_nheld };
	int r;

	pthread_cleanup_push(cancelled, &u);
	r = sleep_cancellable(w, val, kind, dl);
	pthread_cleanup_pop(0);
	return r;
}

int deadline_make(struct deadline *dl, clockid_t clk,
		  const struct timespec *abs)
{
	struct timespec at;

	if (bad_uptr(abs) || ucopy(&at, abs, sizeof(at)))
		return -EFAULT;
	if (at.tv_nsec < 0 || at.tv_nsec >= 1000000000L || at.tv_sec < 0)
		return -EINVAL;
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC)
		return -EINVAL;
	dl->clk = clk;
	dl->at = at;
	return 0;
}

int64_t deadline_left_ms(const struct deadline *dl)
{
	struct timespec t;
	int64_t s;

	clock_gettime(dl->clk, &t);
	s = (int64_t)dl->at.tv_sec - t.tv_sec;
	/* Any tv_sec >= 0 is a deadline ("never": LONG_MAX): the product
	 * would overflow into the past. */
	if (s > INT64_MAX / 1000 - 1)
		return INT64_MAX;
	/* Rounded up: a sleep to the deadline ends at or after it. */
	return s * 1000 + (dl->at.tv_nsec - t.tv_nsec + 999999) / 1000000;
}

void futex_wake(uint32_t *w, int n)
{
	syscall(SYS_futex, w, FUTEX_WAKE, n, NULL, NULL, 0);
}
