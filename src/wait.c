/* SPDX-License-Identifier: MIT */
/*
 * wait.c - waiter records: the shared-memory stand-in for a task on a
 * kernel wait queue.  A blocked sender or receiver owns one record, linked
 * on its queue's sender or receiver list in FIFO order; whoever completes
 * the operation for it posts the result into the record (LOCKING L5-L7).
 *
 * Records come from a pool in the queue's own file, claimed without a
 * lock (L8): only the queue's users can reach them.
 * A thread that dies while it waits leaves its record's "alive" mutex
 * owner-dead; the next thread that scans the list reaps it, so a message
 * is never handed to a dead receiver.
 */
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define WMAP_WORDS (Q_WAITERS / 64)

static bool ok(uint32_t idx)
{
	return idx < Q_WAITERS;
}

static int claim(struct wpool *wp, uint32_t idx)
{
	uint64_t *word = &wp->map[idx / 64], bit = 1ull << (idx % 64);
	struct waiter *w = wp_rec(wp, idx);
	uint32_t never = 0;
	int r;

	if (__atomic_load_n(&w->inited, __ATOMIC_ACQUIRE) != 2) {
		if (!__atomic_compare_exchange_n(&w->inited, &never, 1, false,
						 __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE))
			return -EBUSY;	/* another claimer sets it up */
		r = lock_init(&w->alive);
		__atomic_store_n(&w->inited, r ? 0 : 2, __ATOMIC_RELEASE);
		if (r)
			return r;
	}
	r = lock_try(&w->alive);

	if (r < 0)
		return r;
	if (r == 1)
		lock_mend(&w->alive);
	if (__atomic_fetch_or(word, bit, __ATOMIC_ACQ_REL) & bit) {
		/* Someone else's (or a dead owner's, reaped in reclaim()). */
		lock_drop(&w->alive);
		return -EBUSY;
	}
	return 0;
}

/* The pool's bit map, asked for before it is read (pages.c): false if
 * it is a hole the filesystem cannot fill, where no record is claimed. */
static bool map_ready(struct wpool *wp)
{
	return !pages_ready(&wp->pg, wp->map, 0,
			    WMAP_WORDS * sizeof(*wp->map));
}

/* Free the records of dead owners that are on no list (L8). */
static void reclaim(struct wpool *wp)
{
	uint64_t *map = wp->map;

	for (uint32_t i = 0; i < Q_WAITERS; i++) {
		if (!(__atomic_load_n(&map[i / 64], __ATOMIC_ACQUIRE) &
		      (1ull << (i % 64))))
			continue;
		struct waiter *w = wp_rec(wp, i);
		int r = lock_try(&w->alive);
		if (r < 0)
			continue;
		bool linked = __atomic_load_n(&w->linked, __ATOMIC_ACQUIRE);
		/* Still on a list: dropped unmended, it says "owner died"
		 * again, which is how a list walk knows it dead (L5). */
		if (r == 1 && !linked)
			lock_mend(&w->alive);
		if (!linked)
			__atomic_fetch_and(&map[i / 64], ~(1ull << (i % 64)),
					   __ATOMIC_RELEASE);
		lock_drop(&w->alive);
	}
}

void post_arm(struct waiter *w)
{
	pend_set(&w->futex);
}

void post(struct waiter *w, uint32_t state)
{
	pend_set(&w->futex);
	__atomic_store_n(&w->futex, state, __ATOMIC_RELEASE);
	FAULT(FP_POST);
	futex_wake(&w->futex, 1);
	pend_clear();
}

int waiter_alloc(struct wpool *wp, uint32_t *out)
{
	uint64_t *map = wp->map;
	uint32_t start = (uint32_t)proc_tid() % WMAP_WORDS;

	/* The pool's pages are given as records are first used: asked for
	 * before they are touched (pages.c). */
	if (pages_ready(&wp->pg, map, 0, WMAP_WORDS * sizeof(*map)))
		return -ENOMEM;
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t n = 0; n < WMAP_WORDS; n++) {
			uint32_t wi = (start + n) % WMAP_WORDS;
			uint64_t free = ~__atomic_load_n(&map[wi],
							 __ATOMIC_ACQUIRE);
			while (free) {
				uint32_t b = (uint32_t)__builtin_ctzll(free);
				free &= free - 1;
				if (pages_ready(&wp->pg, map, WPOOL_REC_OFF +
						(wi * 64 + b) *
						sizeof(struct waiter),
						sizeof(struct waiter)))
					return -ENOMEM;
				if (claim(wp, wi * 64 + b) == 0) {
					*out = wi * 64 + b;
					return 0;
				}
			}
		}
		reclaim(wp);
	}
	return -ENOMEM;
}

struct waiter *waiter_take(struct wpool *wp, uint32_t kind, uint32_t *idx,
			   long *err)
{
	struct waiter *w;

	*err = waiter_alloc(wp, idx);
	if (*err)
		return NULL;
	w = wp_rec(wp, *idx);
	w->kind = kind;
	w->msg = NIL;
	return w;
}

void waiter_free(struct wpool *wp, uint32_t idx)
{
	struct waiter *w = wp_rec(wp, idx);

	/* Bit first, then the mutex: see L8. */
	__atomic_fetch_and(&wp->map[idx / 64], ~(1ull << (idx % 64)),
			   __ATOMIC_RELEASE);
	lock_drop(&w->alive);
}

void wl_append(struct wpool *wp, uint32_t *head, uint32_t *tail, uint32_t idx)
{
	struct waiter *w = wp_rec(wp, idx);

	w->next = NIL;
	w->prev = *tail;
	if (ok(*tail))
		wp_rec(wp, *tail)->next = idx;
	else
		*head = idx;
	*tail = idx;
	__atomic_store_n(&w->linked, 1, __ATOMIC_RELEASE);
}

void wl_remove(struct wpool *wp, uint32_t *head, uint32_t *tail, uint32_t idx)
{
	struct waiter *w = wp_rec(wp, idx);

	if (ok(w->prev))
		wp_rec(wp, w->prev)->next = w->next;
	else
		*head = ok(w->next) ? w->next : NIL;
	if (ok(w->next))
		wp_rec(wp, w->next)->prev = w->prev;
	else
		*tail = ok(w->prev) ? w->prev : NIL;
	w->next = w->prev = NIL;
	__atomic_store_n(&w->linked, 0, __ATOMIC_RELEASE);
}

bool waiter_alive(struct wpool *wp, uint32_t idx)
{
	struct waiter *w = wp_rec(wp, idx);
	int r = lock_try(&w->alive);

	if (r == -EBUSY)
		return true;
	/* Dropped unmended: it stays "owner died" for every later look
	 * (L5); reclaim() frees it. */
	if (r >= 0)
		lock_drop(&w->alive);
	return false;
}

/* The owner holds "alive": read, not taken (L5, L6).  A live owner's
 * thread id is always in the word, so a word without one - 0, a record
 * nobody holds, or FUTEX_OWNER_DIED alone, the kernel's doing at a death -
 * proves no live owner; any word with one, garbage included, counts as
 * alive. */
static bool holds_alive(struct waiter *w)
{
	uint32_t v = (uint32_t)__atomic_load_n(&w->alive.__data.__lock,
					       __ATOMIC_ACQUIRE);

	return (v & FUTEX_TID_MASK) != 0;
}

bool waiter_holds_alive(struct waiter *w)
{
	return holds_alive(w);
}

bool waiter_reap(struct wpool *wp, uint32_t *head, uint32_t *tail, uint32_t idx)
{
	struct waiter *w = wp_rec(wp, idx);

	if (holds_alive(w) && __atomic_load_n(&w->futex, __ATOMIC_ACQUIRE) !=
	    W_READY)
		return false;
	wl_remove(wp, head, tail, idx);	/* a dead one: reclaim() frees it */
	return true;
}

struct stamp {
	int32_t prio;
	uint64_t order;
	uint32_t idx;
};

static int by_prio_order(const void *a, const void *b)
{
	const struct stamp *x = a, *y = b;

	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Recovery of a queue whose holder died (L3): the wait lists may be cut
 * anywhere, so relink them from the records themselves, in the order they
 * were enqueued (POSIX: by priority first; System V records all have
 * priority 0); peekers go back among the receivers.  Every record of the
 * queue still waiting goes back on its list - the dead holder may have
 * unlinked it without posting - and every record is woken: a posted one
 * may have missed its wake-up, and one still waiting may find room or a
 * message that nobody posted to it (L6).
 */
void waiters_rebuild(struct wpool *wp, uint64_t gen,
		     struct wlists *wl)
{
	struct stamp *s = malloc(Q_WAITERS * sizeof(*s));
	uint64_t *map = wp->map;
	bool mapped = map_ready(wp);

	wl->rhead = wl->rtail = wl->shead = wl->stail = NIL;
	if (!s)
		return;		/* lists stay empty: waiters time out */
	for (uint32_t kind = WK_RECV; kind <= WK_SEND; kind++) {
		uint32_t cnt = 0;
		for (uint32_t i = 0; i < Q_WAITERS && mapped; i++) {
			/* The bit first: a record never claimed may be in a
			 * page never touched, whose read on a full filesystem
			 * would put a private page there, where this
			 * process's own record could then go (pages.c). */
			if (!(__atomic_load_n(&map[i / 64], __ATOMIC_ACQUIRE) &
			      (1ull << (i % 64))))
				continue;
			struct waiter *w = wp_rec(wp, i);
			uint32_t k = w->kind == WK_PEEK ? WK_RECV : w->kind;
			if (w->gen != gen || k != kind)
				continue;
			futex_wake(&w->futex, 1);
			if (__atomic_load_n(&w->futex, __ATOMIC_ACQUIRE) !=
			    W_WAITING) {
				/* Woken and not back (left linked by
				 * wake_senders, wake_peekers): on no list
				 * now, so its return unlinks nothing through
				 * stale links, and a dead one is reclaimed. */
				w->next = w->prev = NIL;
				__atomic_store_n(&w->linked, 0,
						 __ATOMIC_RELEASE);
				continue;
			}
			s[cnt].prio = w->prio;
			s[cnt].order = w->order;
			s[cnt].idx = i;
			cnt++;
		}
		qsort(s, cnt, sizeof(*s), by_prio_order);
		for (uint32_t j = 0; j < cnt; j++) {
			uint32_t *h = kind == WK_RECV ? &wl->rhead : &wl->shead;
			uint32_t *t = kind == WK_RECV ? &wl->rtail : &wl->stail;
			wl_append(wp, h, t, s[j].idx);
			if (s[j].order >= wl->order)
				wl->order = s[j].order + 1;
		}
	}
	free(s);
	/* Dead owners among them are reaped by the next list walk. */
}

/*
 * A send queued a message of type mtype (and armed on peeker `from`, the
 * first it found asleep that wants it, L6): wake every peeker from there
 * on that wants it.  They stay linked, as the senders wake_senders()
 * wakes: each takes itself off, looks again, and sleeps again at the tail
 * if the message is gone or not enough.  One woken already and not back
 * yet is not woken twice.
 */
void wake_peekers(struct wpool *wp, uint32_t from, int64_t mtype)
{
	uint32_t i = from;

	for (uint32_t n = 0; ok(i) && n < Q_WAITERS; n++) {
		struct waiter *w = wp_rec(wp, i);
		if (w->kind == WK_PEEK && holds_alive(w) &&
		    peeker_wants(w, mtype))
			post(w, W_WOKEN);
		i = w->next;
	}
	pend_clear();
}

/*
 * IPC_RMID: wake every record waiting on the queue, before it goes (L6):
 * each finds its queue gone and returns err (EIDRM); if the remover dies
 * before the removal, they find it still there and wait on.  Found in the
 * pool rather than through the lists, so that no list damage can leave a
 * waiter asleep; a record already handed a message keeps it (A9).
 */
void waiters_post_all(struct wpool *wp, uint64_t gen, int err)
{
	uint64_t *map = wp->map;

	(void)err;
	if (!map_ready(wp))
		return;		/* a hole: nobody ever waited */

	for (uint32_t i = 0; i < Q_WAITERS; i++) {
		struct waiter *w = wp_rec(wp, i);
		if (!(__atomic_load_n(&map[i / 64], __ATOMIC_ACQUIRE) &
		      (1ull << (i % 64))) || w->gen != gen ||
		    __atomic_load_n(&w->futex, __ATOMIC_ACQUIRE) == W_READY)
			continue;
		__atomic_store_n(&w->linked, 0, __ATOMIC_RELEASE);
		post(w, W_WOKEN);
	}
}

/*
 * The repair's question for a message in flight (L3, L6): is it still a
 * live waiter's?  A posted receiver's, to copy out; a POSIX sender's
 * parked one.  A receiver still waiting was never posted: its sender died
 * between marking the message and posting it, so the repair posts it, as
 * the sender would have (the message was chosen for it, and it is first
 * in line).  Anything else - its owner died - is dropped.
 */
bool keep_inflight(void *ctx, uint64_t gen, uint32_t owner, uint32_t head,
		   const struct msg *m)
{
	struct wpool *wp = ctx;
	struct waiter *w;
	uint32_t st;

	if (owner >= Q_WAITERS)
		return false;
	w = wp_rec(wp, owner);
	if (w->gen != gen || !waiter_alive(wp, owner))
		return false;
	st = __atomic_load_n(&w->futex, __ATOMIC_ACQUIRE);
	if (st == W_WAITING && w->kind == WK_RECV && m->len <= w->maxsize) {
		post_arm(w);
		w->msg = head;
		w->len = m->len;
		w->mtype = m->key;
		w->result = 0;
		post(w, W_READY);
		return true;
	}
	return w->msg == head && (st == W_READY || w->kind == WK_SEND);
}

/*
 * Before a change that lets sleepers go on before any is posted (L6): our
 * death from here wakes the first live one, whose repair wakes the rest.
 */
void wl_arm(struct wpool *wp, struct wlists *wl, bool receivers)
{
	uint32_t *h[2] = { &wl->shead, &wl->rhead };
	uint32_t *t[2] = { &wl->stail, &wl->rtail };

	for (int k = 0; k < (receivers ? 2 : 1); k++) {
		for (uint32_t n = 0; ok(*h[k]) && n < Q_WAITERS; n++) {
			if (waiter_reap(wp, h[k], t[k], *h[k]))
				continue;
			post_arm(wp_rec(wp, *h[k]));
			return;
		}
	}
}

/* Insert after the last record of the same or a higher priority: the
 * kernel's order for POSIX waiters (B9), FIFO among equals. */
void wl_insert_prio(struct wpool *wp, uint32_t *head, uint32_t *tail,
		    uint32_t idx)
{
	struct waiter *w = wp_rec(wp, idx);
	uint32_t at = *head;

	for (uint32_t n = 0; ok(at) && n < Q_WAITERS; n++) {
		if (wp_rec(wp, at)->prio > w->prio)
			break;
		at = wp_rec(wp, at)->next;
	}
	if (!ok(at)) {
		wl_append(wp, head, tail, idx);
		return;
	}
	struct waiter *a = wp_rec(wp, at);
	w->next = at;
	w->prev = a->prev;
	if (ok(a->prev))
		wp_rec(wp, a->prev)->next = idx;
	else
		*head = idx;
	a->prev = idx;
	__atomic_store_n(&w->linked, 1, __ATOMIC_RELEASE);
}
