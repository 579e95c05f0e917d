/* SPDX-License-Identifier: MIT */
/*
 * lock.c - the two primitives every shared structure relies on: robust
 * process-shared locks (a holder that dies hands the next taker "owner
 * died", see LOCKING L3) and futexes in shared memory to sleep on (L6,
 * L7).
 *
 * The locks are ours, over the bytes of a pthread_mutex_t (L11): the
 * kernel's robust-futex protocol on its word, so that the kernel marks
 * the locks of a thread that dies, and none of glibc's mutex code, which
 * trusts the other bytes - a value anyone can write there would make it
 * wait forever, or write through a pointer at unlock.  A waiter judges
 * the word instead: a word no live holder can explain is reset, with a
 * compare-and-swap from the exact bad value, to "owner died", and the
 * taker repairs as after a crash.
 *
 * The sleeps themselves are futex.c's; pend_set() here makes a waker's
 * death wake its sleeper, through the robust list the locks keep.
 */
#include <linux/futex.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#define OWNER_DIED	FUTEX_OWNER_DIED
#define WAITERS		FUTEX_WAITERS
#define TID_MASK	FUTEX_TID_MASK
#define PID_MAX_LIMIT	(1u << 22)	/* no thread id is larger */

/*
 * The bytes of a lock (L11): __lock is the futex word, __count the
 * holder's check value (both written by one 64-bit compare-and-swap), and
 * __list links it on the holder's robust list.  The rest is unused.
 */
_Static_assert(offsetof(pthread_mutex_t, __data.__count) ==
	       offsetof(pthread_mutex_t, __data.__lock) + 4, "lock pair");

static uint32_t *word(pthread_mutex_t *m)
{
	return (uint32_t *)&m->__data.__lock;
}

static uint64_t *pair(pthread_mutex_t *m)
{
	return (uint64_t *)(void *)&m->__data.__lock;
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PAIR(w, c)	((uint64_t)(c) << 32 | (uint32_t)(w))
#define P_WORD(p)	((uint32_t)(p))
#define P_CHECK(p)	((uint32_t)((p) >> 32))
#else
#define PAIR(w, c)	((uint64_t)(w) << 32 | (uint32_t)(c))
#define P_WORD(p)	((uint32_t)((p) >> 32))
#define P_CHECK(p)	((uint32_t)(p))
#endif

/*
 * What a thread knows about itself: its identity as a holder, glibc's
 * robust list head (from the kernel, never from shared memory), and the
 * locks it holds, in the order it took them.  Unlocking relinks the list
 * from this record alone: the links stored in a lock are in a file
 * anyone can write.
 */
#define HELD_MAX 16

struct held {
	pthread_mutex_t *m;
	void *below;		/* the list entry under this one */
	bool dead;		/* taken "owner died", not mended yet */
};

static __thread struct me {
	uint32_t tid;		/* whose record: another tid after a fork */
	uint32_t tag, check;	/* published when taking a lock (L11) */
	struct robust_list_head *head;	/* NULL: no robust list */
	struct held held[HELD_MAX];
} me;

/* How many of held[] are in use: apart, for lock_mine()'s inline look. */
__thread int lock_nheld;
/* The lock grab() is taking or lock_drop() dropping, where its word and
 * held[] disagree: ours all the same for a signal handler that
 * interrupts the thread there (lock_mine). */
__thread const pthread_mutex_t *lock_moving;

/*
 * Work a signal handler could not do because the code it interrupted
 * holds a lock the work needs (DESIGN §8): done when this thread's last
 * lock is dropped, as that code leaves its section.  Only this thread
 * and its handlers touch the list, each update with signals blocked (a
 * nested handler may push too).  Each item runs with cancellation off:
 * it runs inside a call that may have committed already.  A handler
 * that ends the process first leaves the work to its death, as a
 * process killed there would.
 */
#define LATER_MAX 8
static __thread struct later {
	void (*fn)(void *);
	void *arg;
} later[LATER_MAX];
static __thread int lock_nlater;
static __thread bool later_running;	/* an item's own drops: the loop */

static void signals_block(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, old);
}

int lock_later(void (*fn)(void *), void *arg)
{
	sigset_t old;
	int r = 0;

	signals_block(&old);
	if (lock_nlater == LATER_MAX)
		r = -ENOSPC;
	else
		later[lock_nlater++] = (struct later){ fn, arg };
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

static void later_run(void)
{
	for (;;) {
		struct later l;
		sigset_t old;
		int cs;

		signals_block(&old);
		if (later_running || !lock_nlater) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			return;
		}
		l = later[--lock_nlater];
		later_running = true;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cs);
		l.fn(l.arg);
		pthread_setcancelstate(cs, NULL);
		later_running = false;
	}
}

/* How many times lock_take() returned "owner died": for the tests. */
unsigned long lock_repairs;

static struct me *me_get(void)
{
	uint32_t tid = (uint32_t)proc_tid();

	if (likely(me.tid == tid))
		return &me;
	/* A new thread, or the child of a fork, which holds no lock - and
	 * runs no later item, even if the fork was made inside one (by a
	 * handler, or by the item): its own items are run as they come. */
	lock_nheld = 0;
	later_running = false;
	me.head = NULL;
#if __PTHREAD_MUTEX_HAVE_PREV
	struct robust_list_head *h;
	size_t len;
	if (!syscall(SYS_get_robust_list, 0, &h, &len) && h &&
	    len == sizeof(*h) && h->futex_offset ==
	    (long)offsetof(pthread_mutex_t, __data.__lock) -
	    (long)offsetof(pthread_mutex_t, __data.__list.__next))
		me.head = h;
#endif
	holder_self(tid, &me.tag, &me.check);
	me.tid = tid;
	return &me;
}

static struct held *held_of(struct me *s, pthread_mutex_t *m)
{
	for (int i = lock_nheld - 1; i >= 0; i--)
		if (s->held[i].m == m)
			return &s->held[i];
	return NULL;
}

/*
 * Does this thread hold m?  Only when a signal handler's call meets a
 * lock the code it interrupted holds: the call can neither go on (that
 * section is half done) nor wait (for itself), and fails instead.
 */
bool lock_mine_look(const pthread_mutex_t *m)
{
	return me.tid == (uint32_t)proc_tid() &&
	       (lock_moving == m || held_of(&me, (pthread_mutex_t *)m));
}

static void **next_of(pthread_mutex_t *m)
{
	return (void **)&m->__data.__list.__next;
}

/* The __prev field of the list entry e (an address of a __next field,
 * or the list head, whose "__prev" is the word before it, as in glibc). */
static void **prev_at(void *e)
{
	return (void **)((uintptr_t)e & ~(uintptr_t)1) - 1;
}

/*
 * The kernel's pending entry names the lock during our operation on it
 * (so that our death halfway is seen); after, it names again what it
 * named before - a waiter record a post has armed (pend_set, L6) stays
 * armed across the locks its poster takes.  The value before is kept by
 * the caller, so that operations nested by a signal handler unwind in
 * order.
 */
static struct robust_list *pending_set(struct me *s, pthread_mutex_t *m)
{
	struct robust_list *before = NULL;

	if (s->head) {
		before = __atomic_load_n(&s->head->list_op_pending,
					 __ATOMIC_RELAXED);
		__atomic_store_n(&s->head->list_op_pending,
				 (struct robust_list *)next_of(m),
				 __ATOMIC_RELAXED);
	}
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return before;
}

static void pending_restore(struct me *s, struct robust_list *before)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (s->head)
		__atomic_store_n(&s->head->list_op_pending, before,
				 __ATOMIC_RELAXED);
}

/*
 * Link m at the head of our robust list, as glibc links its mutexes: the
 * kernel walks it when we die and marks the locks we hold "owner died".
 */
static void enqueue(struct me *s, pthread_mutex_t *m, bool dead)
{
	struct robust_list_head *h = s->head;
	void *below = h ? (void *)h->list.next : NULL;

	if (lock_nheld == HELD_MAX)
		return;	/* deeper than we ever nest: held off the list */
	s->held[lock_nheld++] = (struct held){ m, below, dead };
	if (!h)
		return;
	*next_of(m) = below;
	m->__data.__list.__prev = (void *)h;
	*prev_at(below) = next_of(m);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	h->list.next = (struct robust_list *)next_of(m);
}

/* Unlink m, with the neighbours our own record names. */
static void dequeue(struct me *s, struct held *e)
{
	struct robust_list_head *h = s->head;
	int i = (int)(e - s->held);

	if (h) {
		void *above = i + 1 < lock_nheld ? (void *)next_of(e[1].m) :
						 (void *)h;
		/* Someone else's lock above ours (a signal handler's): we
		 * cannot know the links, so leave ours in place. */
		if (above == (void *)h &&
		    (void *)h->list.next != (void *)next_of(e->m))
			goto out;
		*(void **)above = e->below;
		*prev_at(e->below) = above;
		e->m->__data.__list.__prev = NULL;
		*next_of(e->m) = NULL;
		if (i + 1 < lock_nheld)
			e[1].below = e->below;
	}
out:
	memmove(e, e + 1, (size_t)(lock_nheld - i - 1) * sizeof(*e));
	lock_nheld--;
}

/*
 * Take the word if it is free (seen 0) or its owner died (seen has
 * OWNER_DIED): one compare-and-swap from the exact value seen, writing
 * our id and our check together.  keep: FUTEX_WAITERS if others may
 * sleep on it.  0 or 1 (owner died) with the lock held, -1 if the word
 * changed.
 */
static int grab(struct me *s, pthread_mutex_t *m, uint32_t seen,
		uint32_t keep)
{
	uint64_t old = __atomic_load_n(pair(m), __ATOMIC_RELAXED);
	bool dead = seen & OWNER_DIED;
	struct robust_list *before = pending_set(s, m);
	const pthread_mutex_t *outer = lock_moving;	/* a handler's own */

	lock_moving = m;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	for (;;) {
		if (P_WORD(old) != seen) {
			lock_moving = outer;
			pending_restore(s, before);
			return -1;
		}
		if (__atomic_compare_exchange_n(pair(m), &old,
				PAIR(s->tid | keep | (seen & WAITERS), s->check),
				false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
	}
	enqueue(s, m, dead);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	lock_moving = outer;
	pending_restore(s, before);
	return dead;
}

/*
 * Words no holder can explain, whatever the rest says: waiters and no
 * owner, an id no kernel hands out, or our own id and check on a lock we
 * do not hold.  (Our id alone may be another namespace's thread: judge()
 * looks at that.  Owner died is not garbage: grab() takes it.)
 */
static bool garbage(struct me *s, pthread_mutex_t *m, uint64_t p)
{
	uint32_t tid = P_WORD(p) & TID_MASK;

	return !tid || tid > PID_MAX_LIMIT ||
	       (tid == s->tid && P_CHECK(p) == s->check && !held_of(s, m));
}

/* Reset a bad word to "owner died", only if it is still the value we
 * judged: of two judges, one wins, and no later holder is robbed. */
static void reset(pthread_mutex_t *m, uint64_t bad)
{
	__atomic_compare_exchange_n(pair(m), &bad,
		PAIR(OWNER_DIED | (P_WORD(bad) & WAITERS), P_CHECK(bad)),
		false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

int lock_init(pthread_mutex_t *m)
{
	memset(m, 0, sizeof(*m));
	return 0;
}

/*
 * Critical sections are a few hundred nanoseconds, far less than a sleep
 * and a wake-up: so try a little first, as an adaptive mutex would - but
 * never longer than a sleep and a wake-up cost (LOCK_SPIN_NS): a holder
 * that keeps the lock that long is not running (more processes than
 * CPUs), and spinning only keeps it off the CPU.
 */
#define LOCK_SPINS	64
#define LOCK_SPIN_NS	20000
/* A waiter looks at a holder that keeps the lock this long, and again
 * each time, twice as long after each look that found it good, up to
 * JUDGE_MAX_MS; one it cannot check at all it waits for this long. */
#define JUDGE_MS	250
#define JUDGE_MAX_MS	4000
#define UNSURE_MS	10000

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * One holder seen by a waiter: its word (without FUTEX_WAITERS), check
 * and namespace tag, since when, when it was last looked at and when it
 * is next, and whether a look found it bad.
 */
struct watch {
	uint64_t key;
	uint32_t tag;
	int64_t since, looked, every;
	bool bad;
};

/*
 * May we wait on for this holder of m?  A holder that checks out (L11),
 * and whose process maps m's file, is waited for as long as it holds,
 * like any mutex's, even stopped.  One that fails twice, a look apart,
 * is garbage: twice, because a taker writes its tag just after its word,
 * and a first look may fall between.  One that cannot be checked is
 * given UNSURE_MS.
 */
static bool judge(struct watch *wt, uint64_t p, const uint32_t *tag,
		  const pthread_mutex_t *m)
{
	uint64_t key = p & ~PAIR(WAITERS, 0);
	uint32_t t = tag ? __atomic_load_n(tag, __ATOMIC_RELAXED) : 0;
	int64_t now = now_ms();

	if (key != wt->key || t != wt->tag) {
		*wt = (struct watch){ key, t, now, now, JUDGE_MS, false };
		return true;
	}
	if (now - wt->looked < wt->every)
		return true;
	wt->looked = now;
	/* Reads of /proc (or the agent), maybe under another lock: no
	 * request acts in them (NOCANCEL). */
	switch (NOCANCEL(holder_judge(P_WORD(p) & TID_MASK, P_CHECK(p), t,
				      m))) {
	case HOLDER_OK:
		/* Looking costs a read of its maps, or the agent's time. */
		if (wt->every < JUDGE_MAX_MS)
			wt->every *= 2;
		wt->bad = false;
		return true;
	case HOLDER_BAD:
		if (wt->bad)
			return false;
		wt->bad = true;
		wt->every = JUDGE_MS;
		return true;
	default:
		return now - wt->since < UNSURE_MS;
	}
}

/*
 * The running call's bound (internal.h): the next sleep's length in ms,
 * or -1 when the call must not wait on: this holder will not let go
 * until someone continues it, and the call must not block (*err the
 * call's busy answer) or its deadline passed (*err -ETIMEDOUT).  A
 * holder that merely runs slowly (preempted, more processes than CPUs)
 * is waited for, as the kernel's spinlock would be, past a deadline too:
 * the kernel's call looks at its timeout only when it would block.  A
 * stopped one is looked for after STOP_LOOK_MS of waiting, then twice as
 * late each time.
 */
#define STOP_LOOK_MS	1
#define STOP_LOOK_MAX	64

/* Is m held by a thread that is stopped or frozen? */
static bool held_stopped(pthread_mutex_t *m, const uint32_t *tag)
{
	uint64_t p = __atomic_load_n(pair(m), __ATOMIC_RELAXED);
	uint32_t w = P_WORD(p);

	return (w & TID_MASK) && !(w & OWNER_DIED) &&
	       holder_stopped(w & TID_MASK, P_CHECK(p),
			      __atomic_load_n(tag, __ATOMIC_RELAXED));
}

/* Does a close of the lane wait on a stopped side's holder?  The lock's
 * own holder may be that closer (the queue lock, the senders' lock it
 * holds while it waits for the receivers'), sleeping, not stopped.  One
 * that must not block (LANE_CLOSING_NB) gives up on it at once: wait. */
static bool close_stuck(struct lane *l)
{
	return l && __atomic_load_n(&l->gate, __ATOMIC_RELAXED) ==
		    LANE_CLOSING &&
	       (held_stopped(&l->slock, &l->slock_ns) ||
		held_stopped(&l->rlock, &l->rlock_ns));
}

static long bound_sleep(const struct bound *b, uint64_t p,
			const uint32_t *tag, struct lane *l, long *look,
			int *err)
{
	uint32_t t = tag ? __atomic_load_n(tag, __ATOMIC_RELAXED) : 0;
	bool past = false;
	long ms = JUDGE_MS;

	if (b->dl) {
		int64_t left = deadline_left_ms(b->dl);

		past = left <= 0;
		if (!past && left < ms)
			ms = (long)left;
	}
	if (b->busy || past) {
		/* Reads of /proc, maybe under the queue lock: no request
		 * acts in them (NOCANCEL). */
		if (*look && NOCANCEL(holder_stopped(P_WORD(p) & TID_MASK,
						     P_CHECK(p), t) ||
				      close_stuck(l))) {
			/* One that must not block never looks at its
			 * deadline: its busy answer, as the kernel's. */
			*err = b->busy ? b->busy : -ETIMEDOUT;
			return -1;
		}
		*look = *look ? (*look < STOP_LOOK_MAX ? *look * 2 : *look) :
			STOP_LOOK_MS;
		if (*look < ms)
			ms = *look;
	}
	return ms;
}

static int take_slow(struct me *s, pthread_mutex_t *m, uint32_t *tag,
		     const struct bound *b, struct lane *l)
{
	struct watch wt = { 0 };
	uint32_t keep = 0;
	long look = 0, ms = JUDGE_MS;
	int r;

	for (;;) {
		uint64_t p = __atomic_load_n(pair(m), __ATOMIC_RELAXED);
		uint32_t w = P_WORD(p);

		if (!w || (w & OWNER_DIED)) {
			r = grab(s, m, w, keep);
			if (r >= 0)
				return r;
			continue;
		}
		if (garbage(s, m, p) || !judge(&wt, p, tag, m)) {
			reset(m, p);
			continue;
		}
		if (!(w & WAITERS) &&
		    !__atomic_compare_exchange_n(word(m), &w, w | WAITERS,
						 false, __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED))
			continue;
		/* Others may sleep with us: keep the flag when we take it,
		 * so that our unlock wakes them. */
		keep = WAITERS;
		if (b && (ms = bound_sleep(b, p, tag, l, &look, &r)) < 0)
			return r;	/* the flag stays: one spurious wake */
		/* A bounded sleep, so that a word nobody will ever change
		 * is judged again; a signal just goes round. */
		struct timespec rel = { ms / 1000, ms % 1000 * 1000000L };
		syscall(SYS_futex, word(m), FUTEX_WAIT, w | WAITERS, &rel,
			NULL, 0);
	}
}

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int take(pthread_mutex_t *m, uint32_t *tag, const struct bound *b,
		struct lane *l)
{
	struct me *s = me_get();
	unsigned backoff = 1;
	int64_t until = 0;
	int r = -1;

	for (int i = 0; i < LOCK_SPINS && r < 0; i++) {
		/* Try only when the word looks free: a failing try is a
		 * write that steals the line from the holder. */
		if (__atomic_load_n(word(m), __ATOMIC_RELAXED) == 0)
			r = grab(s, m, 0, 0);
		if (r >= 0)
			break;
		/* Back off, more each time: the holder's side then runs a
		 * few operations on lines still in its cache. */
		for (unsigned k = 0; k < backoff; k++)
			cpu_relax();
		if (backoff < 64) {
			backoff <<= 1;
		} else if (!until) {	/* a long wait: from here, timed */
			until = now_ns() + LOCK_SPIN_NS;
		} else if (now_ns() >= until) {
			break;
		}
	}
	if (r < 0)
		r = take_slow(s, m, tag, b, l);
	if (r < 0)
		return r;
	if (tag)
		__atomic_store_n(tag, s->tag, __ATOMIC_RELAXED);
	if (r)
		__atomic_fetch_add(&lock_repairs, 1, __ATOMIC_RELAXED);
	return r;
}

int lock_take(pthread_mutex_t *m, uint32_t *tag)
{
	return take(m, tag, NULL, NULL);
}

__thread const struct bound *lock_bound;

int lock_take_bounded(pthread_mutex_t *m, uint32_t *tag, struct lane *l)
{
	return take(m, tag, lock_bound, l);
}

/*
 * Without waiting: only a free word or a dead owner's is taken.  Any
 * other word counts as held - for a waiter's "alive" mutex, the caller's
 * question is whether its owner lives, and a garbage word there does not
 * prove that it died (L5).
 */
int lock_try(pthread_mutex_t *m)
{
	struct me *s = me_get();

	for (int i = 0; i < 16; i++) {
		uint32_t w = __atomic_load_n(word(m), __ATOMIC_RELAXED);
		int r;

		if (w && !(w & OWNER_DIED))
			break;
		r = grab(s, m, w, 0);
		if (r >= 0)
			return r;
	}
	return -EBUSY;
}

void lock_mend(pthread_mutex_t *m)
{
	struct held *e = held_of(&me, m);

	if (e)
		e->dead = false;
}

/*
 * Unlock: unlink from our robust list, then free the word - if it still
 * holds our id and check (a judge may have reset it) - or, if a repair
 * was not completed, leave it "owner died" for the next taker.
 */
/*
 * L4.  A queue lock's word is in a file every user of the queue can
 * write: forged free while a thread of ours holds the lock, it lets
 * another thread of ours in, which could grow - move - the store mapping
 * the first is copying from.  The guard is in this process's memory,
 * where no other user writes: that second thread waits here until the
 * first has left.  A guard taken in the parent by a thread that fork()
 * did not copy names another process generation: it is taken over.
 */
static bool guard_gone(uint64_t g)
{
	int saved = errno;
	bool gone = syscall(SYS_tgkill, proc_pid(), (pid_t)(uint32_t)g, 0) &&
		    errno == ESRCH;

	errno = saved;
	return gone;
}

void guard_enter(uint64_t *g)
{
	uint64_t mine = (uint64_t)proc_gen() << 32 | (uint32_t)proc_tid();
	uint64_t cur = 0;

	for (unsigned i = 0; !__atomic_compare_exchange_n(g, &cur, mine, false,
			__ATOMIC_ACQUIRE, __ATOMIC_RELAXED); i++) {
		if (cur >> 32 != mine >> 32)
			continue;	/* the parent's: from cur, ours */
		/* A thread of ours that ended inside its section (cancelled
		 * at a read() there): its lock was repaired, its guard is
		 * ours.  Asked now and then, once the wait is long. */
		if (i >= 1000 && i % 64 == 0 && guard_gone(cur))
			continue;	/* from cur, ours */
		cur = 0;
		if (i < 1000)
			cpu_relax();
		else
			sched_yield();
	}
}

void lock_drop(pthread_mutex_t *m)
{
	struct me *s = me_get();
	struct held *e = held_of(s, m);
	bool dead = e && e->dead;
	struct robust_list *before = pending_set(s, m);
	const pthread_mutex_t *outer = lock_moving;	/* as grab() */
	uint64_t p;

	lock_moving = m;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (e)
		dequeue(s, e);
	p = __atomic_load_n(pair(m), __ATOMIC_RELAXED);
	/* Ours only with our check too: after a reset, a thread of another
	 * pid namespace with our id may hold it. */
	while ((P_WORD(p) & TID_MASK) == s->tid && P_CHECK(p) == s->check) {
		uint32_t w = P_WORD(p);
		/* The check goes with the word: our id written back later
		 * does not make us the holder again. */
		if (__atomic_compare_exchange_n(pair(m), &p,
				PAIR(dead ? OWNER_DIED | (w & WAITERS) : 0, 0),
				false, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
			if (w & WAITERS)
				futex_wake(word(m), 1);
			break;
		}
	}
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	lock_moving = outer;
	pending_restore(s, before);
	if (unlikely(lock_nlater) && !lock_nheld && !outer)
		later_run();
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
