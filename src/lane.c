/* SPDX-License-Identifier: MIT */
/*
 * lane.c - a queue's lane: System V's plain sends and msgtyp-0
 * receives, POSIX sends and receives, that take no queue lock (LOCKING
 * L14, DESIGN §2).
 *
 * While the gate is open - the store empty, nobody asleep, peeking or
 * watching the queue - a send appends a record to a ring under the
 * senders' lock and a receive takes the oldest under the receivers'
 * lock, so a sender and a receiver never take the same lock: the
 * queue's lock and its lines stay where they are.  A record carries its
 * own commit, the senders' count it was written at (seq), stored last:
 * a receiver waits on the record it will take, a line the sender writes
 * anyway, and never reads the senders' count.  Each side then stores
 * its packed count (messages, bytes, ring units), so a side that dies
 * holding its lock leaves little to repair: its successor overwrites an
 * uncommitted record, counts a committed one, or takes again one not
 * taken.  msg_qnum and msg_cbytes (mq_curmsgs) are the differences of
 * the two counts, exact for a sender's room check.  A POSIX lane holds
 * its messages in the order a receive takes them: a send of a higher
 * priority than the last one put goes to the store, unless the lane is
 * empty.
 *
 * Every other operation takes the queue lock, and q_lock() closes the
 * gate first (lane_close): it takes both side locks and moves the
 * lane's messages into the store, in order, each marked with its place
 * in the lane, so that a successor of a closer that died midway
 * (LANE_CLOSING) drops the copies already made.  The gate opens again
 * (lane_reopen) at the end of a plain send or receive that leaves the
 * store empty and nobody waiting or watching.  Everything read from the
 * ring or the counts is checked before use; a lane that does not check
 * out sends the caller to the slow path, whose close drops what is
 * garbage.
 */
#include <sys/stat.h>

#include "internal.h"

#define S_IRUGO (S_IRUSR | S_IRGRP | S_IROTH)
#define S_IWUGO (S_IWUSR | S_IWGRP | S_IWOTH)

int umq_lane_off;

/* ---- packed counts: messages (20 bits), bytes (24), units (20) ------- */

#define N_MASK	0xfffffu
#define B_MASK	0xffffffu
#define U_MASK	0xfffffu

static inline uint32_t lw_n(uint64_t w) { return (uint32_t)(w >> 44) & N_MASK; }
static inline uint32_t lw_b(uint64_t w) { return (uint32_t)(w >> 20) & B_MASK; }
static inline uint32_t lw_u(uint64_t w) { return (uint32_t)w & U_MASK; }

static uint64_t lw_add(uint64_t w, uint32_t n, uint64_t b, uint32_t u)
{
	return (uint64_t)((lw_n(w) + n) & N_MASK) << 44 |
	       (uint64_t)((lw_b(w) + (uint32_t)b) & B_MASK) << 20 |
	       ((lw_u(w) + u) & U_MASK);
}

/* What the lane holds between taken and put; false if no lane could. */
struct fill {
	uint32_t n, b, u;
};

static bool lw_fill(uint64_t put, uint64_t taken, struct fill *f)
{
	f->n = (lw_n(put) - lw_n(taken)) & N_MASK;
	f->b = (lw_b(put) - lw_b(taken)) & B_MASK;
	f->u = (lw_u(put) - lw_u(taken)) & U_MASK;
	return f->u <= LANE_UNITS && f->n <= f->u &&
	       f->b <= f->u * LANE_UNIT;
}

static uint32_t units_of(size_t len)
{
	return (uint32_t)((sizeof(struct lrec) + len + LANE_UNIT - 1) /
			  LANE_UNIT);
}

static struct lrec *rec_at(const struct lq *lq, uint32_t unit)
{
	return (struct lrec *)(lq->ring +
			       (size_t)(unit % LANE_UNITS) * LANE_UNIT);
}

/* The ring's pages from unit for units, asked for before they are first
 * touched (pages.c): false if the filesystem cannot give them. */
static bool ring_ready(struct lq *lq, uint32_t unit, uint32_t units)
{
	return !pages_ready(&lq->pg, lq->ring,
			    (size_t)(unit % LANE_UNITS) * LANE_UNIT,
			    (size_t)units * LANE_UNIT);
}

/* A key a message of this queue can have: System V mtype > 0, POSIX
 * -priority. */
static bool key_ok(const struct lq *lq, int64_t key)
{
	return lq->posix ? key <= 0 && key > -(int64_t)MQ_PRIO_MAX : key >= 1;
}

/*
 * The record at count w: the message whose seq is w, after a skip (its
 * units in *skip) if one is there, checked against what the lane holds
 * (f).  NULL, with *wait the seq word to wait on: not sent yet; with
 * *wait NULL: garbage.
 */
static struct lrec *rec_next(const struct lq *lq, uint64_t w,
			     const struct fill *f, uint32_t *skip,
			     struct lrec *out, uint64_t **wait)
{
	uint32_t pos = lw_u(w) % LANE_UNITS;
	struct lrec *r = rec_at(lq, pos);

	*skip = 0;
	*wait = &r->seq;
	if (__atomic_load_n(&r->seq, __ATOMIC_ACQUIRE) != w)
		return NULL;
	out->units = __atomic_load_n(&r->units, __ATOMIC_RELAXED);
	out->len = __atomic_load_n(&r->len, __ATOMIC_RELAXED);
	if (out->len == LREC_SKIP) {
		*wait = NULL;
		if (out->units != LANE_UNITS - pos || out->units >= f->u)
			return NULL;
		*skip = out->units;
		pos = 0;
		r = rec_at(lq, 0);
		*wait = &r->seq;
		if (__atomic_load_n(&r->seq, __ATOMIC_ACQUIRE) != w)
			return NULL;
		out->units = __atomic_load_n(&r->units, __ATOMIC_RELAXED);
		out->len = __atomic_load_n(&r->len, __ATOMIC_RELAXED);
	}
	*wait = NULL;
	out->mtype = __atomic_load_n(&r->mtype, __ATOMIC_RELAXED);
	if (out->len > f->b || out->units != units_of(out->len) ||
	    *skip + out->units > f->u || pos + out->units > LANE_UNITS ||
	    !key_ok(lq, out->mtype) || !f->n)
		return NULL;
	return r;
}

/* The most a record the lane can take may hold: a receiver's bounds,
 * which does not read put.  No message longer than the queue takes
 * (System V: msg_qbytes, which moves only with the lane closed). */
static struct fill most(const struct lq *lq)
{
	uint64_t b = lq->posix ? (uint64_t)lq->msgsize :
		     __atomic_load_n(&lq->q->qbytes, __ATOMIC_RELAXED);

	return (struct fill){ 1, b < B_MASK ? (uint32_t)b : B_MASK,
			      LANE_UNITS };
}

/* ---- the two sides ------------------------------------------------------ */

/* The sides' locks are taken within the call's bound (lock_bound): 0,
 * or its error, not locked. */
static int side_lock(struct lane *l, pthread_mutex_t *m, uint32_t *tag)
{
	int r = lock_take_bounded(m, tag, l);

	/* A receiver that died holding it left nothing half done. */
	if (r == 1)
		lock_mend(m);
	return r < 0 ? r : 0;
}

/* The senders' lock.  Taken "owner died", a sender may have died between
 * its record's commit and its count: count the record (L14). */
static int senders_lock(struct lq *lq)
{
	struct lane *l = lq->l;
	uint64_t put, *wait;
	struct fill lim;
	struct lrec h;
	uint32_t skip;
	int r = lock_take_bounded(&l->slock, &l->slock_ns, l);

	if (r != 1)
		return r < 0 ? r : 0;
	put = l->put;
	lim = most(lq);
	/* A record never written may lie in a page never touched: one the
	 * filesystem cannot give holds no record. */
	if (ring_ready(lq, lw_u(put), 1) && ring_ready(lq, 0, 1) &&
	    rec_next(lq, put, &lim, &skip, &h, &wait))
		__atomic_store_n(&l->put, lw_add(put, 1, h.len, skip + h.units),
				 __ATOMIC_RELEASE);
	lock_mend(&l->slock);
	return 0;
}

/* Spin outside the side's lock while *w stays old and the gate open,
 * until *end (set from the spin budget on first use).  False when the
 * budget is spent or the gate closed. */
static bool spin_change(const uint64_t *w, uint64_t old, const struct lane *l,
			int64_t *end)
{
	long budget = proc_spin_ns();

	if (!budget)
		return false;
	if (!*end)
		*end = proc_mono_ns() + budget;
	for (;;) {
		for (int i = 0; i < 64; i++) {
			if (__atomic_load_n(w, __ATOMIC_RELAXED) != old)
				return lane_is_open(l);
			cpu_relax();
		}
		if (!lane_is_open(l) || proc_mono_ns() >= *end)
			return false;
	}
}

/* ROOM; FULL: the queue is; RING: the queue has room, the ring not (yet);
 * NO_LANE: garbage, or a message the lane must not take. */
enum room { ROOM, FULL, RING, NO_LANE };

/* msg_fits_inqueue() (System V) or mq_maxmsg (POSIX) over the lane's
 * messages, then room in the ring: need units, and a skip to the end
 * first if they would cross it. */
static enum room room_for(const struct lq *lq, uint64_t put, uint64_t taken,
			  size_t sz, uint32_t need, uint32_t *skip,
			  struct fill *f)
{
	uint32_t pos = lw_u(put) % LANE_UNITS;

	if (!lw_fill(put, taken, f))
		return NO_LANE;
	if (lq->posix) {
		if (f->n + 1 > (uint64_t)lq->maxmsg)
			return FULL;
	} else {
		uint64_t qb = lq->q->qbytes;
		if (sz + f->b > qb || 1 + (uint64_t)f->n > qb)
			return FULL;
	}
	*skip = pos + need > LANE_UNITS ? LANE_UNITS - pos : 0;
	return f->u + *skip + need <= LANE_UNITS ? ROOM : RING;
}

/* Senders' lock held: may a message of this key go in after those the
 * lane holds (f)?  POSIX: not one of a higher priority than the last. */
static bool in_order(const struct lq *lq, int64_t key, const struct fill *f)
{
	return !lq->posix || !f->n ||
	       (uint64_t)-key <= lq->l->last_prio;
}

int lane_send(struct lq *lq, int64_t key, const void *text, size_t sz,
	      int flg, int64_t *spun)
{
	struct lane *l = lq->l;
	uint32_t need = units_of(sz), skip = 0;
	uint64_t put, taken;
	struct lrec *m;
	struct fill f;
	enum room rm;
	int r = LANE_PASS;

	if (umq_lane_off || need > LANE_UNITS / 4)
		return LANE_PASS;
	if (!lane_is_open(l))
		return LANE_SHUT;
	if ((r = senders_lock(lq)) < 0)
		return r;
	r = LANE_PASS;
	for (;;) {
		if (!lane_is_open(l)) {
			r = LANE_SHUT;
			goto out;
		}
		if (!lq->posix && ipc_perms(lq->q, S_IWUGO))
			goto out;		/* the slow path says why */
		put = l->put;
		taken = l->taken_seen;
		rm = room_for(lq, put, taken, sz, need, &skip, &f);
		if (rm == ROOM && in_order(lq, key, &f))
			break;
		taken = __atomic_load_n(&l->taken, __ATOMIC_ACQUIRE);
		STAT_SET(l->taken_seen, taken);
		rm = room_for(lq, put, taken, sz, need, &skip, &f);
		if (rm == NO_LANE || !in_order(lq, key, &f))
			goto out;		/* the store takes it */
		if (rm == ROOM)
			break;
		if (flg & LANE_NOSPIN) {
			if (rm == FULL)
				r = LANE_BLOCK;
			goto out;
		}
		if (rm == FULL && (flg & IPC_NOWAIT)) {
			STAT_ADD(*lq->n_full, 1);	/* L12 */
			r = -EAGAIN;
			goto out;
		}
		if (rm == RING && (flg & IPC_NOWAIT))
			goto out;	/* there is room: in the store */
		lock_drop(&l->slock);
		if (!spin_change(&l->taken, taken, l, spun))
			return LANE_PASS;	/* the slow path sleeps */
		if ((r = senders_lock(lq)) < 0)
			return r;
		r = LANE_PASS;
	}
	if ((skip && !ring_ready(lq, lw_u(put), 1)) ||
	    !ring_ready(lq, lw_u(put) + skip, need))
		goto out;		/* the store says ENOMEM */
	m = rec_at(lq, lw_u(put) + skip);
	if (sz && ucopy(m + 1, text, sz)) {
		r = -EFAULT;		/* nothing sent, as load_msg() */
		goto out;
	}
	m->units = need;
	m->len = (uint32_t)sz;
	m->mtype = key;
	if (lq->posix)
		l->last_prio = (uint32_t)-key;
	STAT_ADD(*lq->n_sent, 1);		/* before the commit: L12 */
	/* The stamps before the commit (L14): a message sent is one whose
	 * sender's stamps are there, even if it died right after. */
	set_if_changed32(lq->spid, proc_pid());
	set_if_changed64(lq->stime, proc_now());
	FAULT(FP_LANE_SEND);
	if (skip) {
		struct lrec *k = rec_at(lq, lw_u(put));
		k->units = skip;
		k->len = LREC_SKIP;
		__atomic_store_n(&k->seq, put, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&m->seq, put, __ATOMIC_RELEASE);	/* the commit */
	FAULT(FP_LANE_COUNT);
	__atomic_store_n(&l->put, lw_add(put, 1, sz, skip + need),
			 __ATOMIC_RELEASE);
	FAULT(FP_LANE_SENT);
	/* f may count messages taken since taken_seen: a new high-water
	 * mark is checked against taken itself. */
	if (f.n + 1 > *lq->hw_n || f.b + sz > *lq->hw_b) {
		taken = __atomic_load_n(&l->taken, __ATOMIC_ACQUIRE);
		if (lw_fill(put, taken, &f)) {
			STAT_MAX(*lq->hw_n, (uint64_t)f.n + 1);
			STAT_MAX(*lq->hw_b, (uint64_t)f.b + sz);
		}
	}
	r = 0;
out:
	lock_drop(&l->slock);
	return r;
}

/* Copy record m (h) out to the caller, as the kernel does: System V the
 * type then the text, POSIX the priority then the text.  A fault loses
 * the message, as on the kernel (and the slow path). */
static long copy_out(const struct lq *lq, const struct lrec *m,
		     const struct lrec *h, void *msgp, size_t n,
		     unsigned *prio)
{
	if (lq->posix) {
		unsigned pr = (unsigned)-h->mtype;
		if (prio && (bad_uptr(prio) || ucopy(prio, &pr, sizeof(pr))))
			return -EFAULT;
		if (n && (bad_uptr(msgp) || ucopy(msgp, m + 1, n)))
			return -EFAULT;
		return (long)n;
	}
	long t = (long)h->mtype;
	if (bad_uptr(msgp) || ucopy(msgp, &t, sizeof(t)) ||
	    (n && ucopy((long *)msgp + 1, m + 1, n)))
		return -EFAULT;
	return (long)n;
}

/* No record at taken, and the caller will not wait: is the lane empty?
 * put ahead of taken says a record was committed there: unless its seq
 * (*wait) has come just now, the lane is damaged.  put behind taken is
 * a sender between its commit and its count, or one that died there. */
enum look { EMPTY, NOW_THERE, DAMAGED };

static enum look look_again(const struct lane *l, uint64_t taken,
			    const uint64_t *wait)
{
	uint64_t put = __atomic_load_n(&l->put, __ATOMIC_ACQUIRE);
	struct fill f;

	if (__atomic_load_n(wait, __ATOMIC_ACQUIRE) == taken)
		return NOW_THERE;
	return lw_fill(put, taken, &f) && f.n ? DAMAGED : EMPTY;
}

long lane_recv(struct lq *lq, void *msgp, size_t sz, unsigned *prio,
	       int flg, int64_t *spun)
{
	struct lane *l = lq->l;
	uint64_t taken, *wait, old;
	struct lrec *m, h;
	uint32_t skip;
	struct fill lim;
	long r = LANE_PASS;

	if (umq_lane_off || !lane_is_open(l))
		return LANE_PASS;
	if ((r = side_lock(l, &l->rlock, &l->rlock_ns)) < 0)
		return r;
	r = LANE_PASS;
	for (;;) {
		if (!lane_is_open(l) ||
		    (!lq->posix && ipc_perms(lq->q, S_IRUGO)))
			goto out;
		taken = l->taken;
		lim = most(lq);
		/* The record it reads may be one no sender wrote yet, and
		 * after a skip the first. */
		if (!ring_ready(lq, lw_u(taken), 1) || !ring_ready(lq, 0, 1))
			goto out;
		m = rec_next(lq, taken, &lim, &skip, &h, &wait);
		if (m)
			break;
		if (!wait)
			goto out;	/* garbage: the close drops it */
		if (flg & (LANE_NOSPIN | IPC_NOWAIT)) {
			enum look k = look_again(l, taken, wait);

			if (k == NOW_THERE)
				continue;
			if (k == DAMAGED)
				goto out;	/* the close drops it */
			if (flg & LANE_NOSPIN) {
				r = LANE_BLOCK;
				goto out;
			}
			STAT_ADD(*lq->n_empty, 1);	/* L12 */
			r = lq->posix ? -EAGAIN : -ENOMSG;
			goto out;
		}
		/* Wait on the record's seq, not on put: the line the sender
		 * writes anyway.  A damaged lane spends the spin, and the slow
		 * path's close drops what does not check out. */
		old = __atomic_load_n(wait, __ATOMIC_RELAXED);
		if (old == taken)
			continue;	/* committed just now */
		lock_drop(&l->rlock);
		if (!spin_change(wait, old, l, spun))
			return LANE_PASS;	/* the slow path sleeps */
		if ((r = side_lock(l, &l->rlock, &l->rlock_ns)) < 0)
			return r;
		r = LANE_PASS;
	}
	if (sz < h.len && !(flg & MSG_NOERROR)) {
		r = lq->posix ? LANE_PASS : -E2BIG;	/* it stays queued */
		goto out;
	}
	r = copy_out(lq, m, &h, msgp, h.len < sz ? h.len : sz, prio);
	FAULT(FP_LANE_RECV);
	set_if_changed64(lq->rtime, proc_now());	/* before: L14 */
	set_if_changed32(lq->rpid, proc_pid());
	__atomic_store_n(&l->taken, lw_add(taken, 1, h.len, skip + h.units),
			 __ATOMIC_RELEASE);	/* the commit */
	FAULT(FP_LANE_TAKEN);
out:
	lock_drop(&l->rlock);
	return r;
}

/* ---- the gate, under the queue lock ------------------------------------ */

struct marks {
	struct qview *v;
	uint32_t base, count, done;
};

static long see_mark(void *ctx, uint32_t head)
{
	struct marks *k = ctx;
	uint64_t mk = store_msg(k->v, head)->mark;
	uint32_t d = ((uint32_t)mk - k->base) & N_MASK;

	if ((mk & ~(uint64_t)N_MASK) == LANE_MARK && d < k->count &&
	    d + 1 > k->done)
		k->done = d + 1;
	return 0;
}

/*
 * Move the lane's messages into the store, oldest first, each marked
 * with its count; the first *done were moved already by a closer that
 * died (found by their marks when dedupe).  Records that do not check
 * out end the lane: what follows them is dropped.
 *
 * In two passes: every message gets its block (reserved, unlinked), then
 * all are linked.  A block that cannot be had (no memory, no page on a
 * full filesystem) frees those reserved: the store is as it was, and a
 * lane that was open opens again - still the queue, its receivers keep
 * taking from it - while the closer's caller fails.  A closer that dies
 * between the passes leaves reserved blocks, which the repair its death
 * brings (L3) frees, and no marks: its successor moves them all again.
 */
static int absorb(struct lq *lq, bool dedupe)
{
	struct lane *l = lq->l;
	uint64_t put = l->put, cur = l->taken;
	struct marks k = { .v = lq->v };
	uint32_t skip, heads[LANE_UNITS], n = 0;	/* a unit at least each */
	struct fill f;
	int r = 0;

	if (lw_fill(put, cur, &f) && f.n && dedupe) {
		long x;
		k.base = lw_n(cur);
		k.count = f.n;
		x = store_scan(lq->v, SEARCH_ANY, 0, 0, see_mark, &k);
		if (x < 0)
			return (int)x;
	}
	for (uint32_t i = 0; cur != put && n < LANE_UNITS; i++) {
		struct lrec h, *m;
		uint64_t *wait;

		if (!lw_fill(put, cur, &f))
			break;
		/* A page that cannot be had: a record past the real ones (put
		 * is untrusted), or no memory now for a real one's - kept,
		 * as everything else, for a close that can have it. */
		if (!ring_ready(lq, lw_u(cur), 1) || !ring_ready(lq, 0, 1)) {
			r = -ENOMEM;
			break;
		}
		if (!(m = rec_next(lq, cur, &f, &skip, &h, &wait)))
			break;
		if (i >= k.done) {
			r = store_put(lq->ns, lq->v, h.mtype, m + 1, h.len,
				      &heads[n]);
			if (r)
				break;
			store_msg(lq->v, heads[n++])->mark =
				LANE_MARK | lw_n(cur);
			FAULT(FP_LANE_RESERVE);
		}
		cur = lw_add(cur, 1, h.len, skip + h.units);
	}
	/* Every index page the links touch, before the first: a link
	 * cannot fail, and one that found a hole would leave the store
	 * damaged with the lane counted as moved. */
	if (!r)
		r = store_link_ready(lq->v, heads, n);
	if (r) {
		while (n)
			store_free(lq->v, heads[--n]);
		if (r == -ENOMEM && !dedupe && !*lq->qnum)
			__atomic_store_n(&l->gate, LANE_OPEN,
					 __ATOMIC_RELEASE);
		return r;
	}
	for (uint32_t j = 0; j < n; j++) {
		store_link(lq->v, heads[j]);
		*lq->qbytes += store_msg(lq->v, heads[j])->len;
		(*lq->qnum)++;
		FAULT(FP_LANE_MOVE);
	}
	__atomic_store_n(&l->taken, put, __ATOMIC_RELEASE);
	l->taken_seen = put;
	return 0;
}

int lane_close(struct lq *lq)
{
	struct lane *l = lq->l;
	uint32_t g = __atomic_load_n(&l->gate, __ATOMIC_RELAXED);
	int r;

	if (g == LANE_CLOSED)
		return 0;
	/* Before the side locks: a side that takes its lock from now on
	 * leaves, and one spinning outside it stops.  A closer that must
	 * not block says so: it will not wait on a stopped side, so a call
	 * waiting on it need not give up (close_stuck). */
	__atomic_store_n(&l->gate, lock_bound && lock_bound->busy ?
			 LANE_CLOSING_NB : LANE_CLOSING, __ATOMIC_RELAXED);
	r = senders_lock(lq);
	if (!r && (r = side_lock(l, &l->rlock, &l->rlock_ns)) < 0)
		lock_drop(&l->slock);
	if (r < 0) {
		/* The call's bound (a side's holder stopped): nothing moved,
		 * the lane as it was, still the queue. */
		__atomic_store_n(&l->gate, g, __ATOMIC_RELEASE);
		return r;
	}
	__atomic_store_n(&l->gate, LANE_CLOSING, __ATOMIC_RELAXED);
	r = absorb(lq, g != LANE_OPEN);
	if (!r)
		__atomic_store_n(&l->gate, LANE_CLOSED, __ATOMIC_RELEASE);
	lock_drop(&l->rlock);
	lock_drop(&l->slock);
	return r;
}

void lane_reopen(struct lq *lq)
{
	struct lane *l = lq->l;
	uint64_t put;

	if (umq_lane_off || l->gate != LANE_CLOSED)
		return;
	/* Closed, the lane is empty; nothing else writes it now (L14). */
	put = l->put;
	if (l->taken != put)
		__atomic_store_n(&l->taken, put, __ATOMIC_RELAXED);
	STAT_SET(l->taken_seen, put);
	__atomic_store_n(&l->gate, LANE_OPEN, __ATOMIC_RELEASE);
	/* After the gate (L10): a receive spinning outside the lock - a
	 * typed one, which closed the lane - sees no lane send, so it looks
	 * again now rather than at the end of its spin. */
	__atomic_store_n(lq->events, *lq->events + EV_ADDED,
			 __ATOMIC_RELEASE);
}

static uint32_t lane_count(const struct lane *l, const char *ring,
			   struct pages *pg, bool posix, uint64_t *msgs,
			   uint64_t *bytes)
{
	uint32_t g = __atomic_load_n(&l->gate, __ATOMIC_ACQUIRE);
	struct fill x;

	*msgs = *bytes = 0;
	if (g != LANE_OPEN)
		return g;
	/* taken first: a count read after it is never behind it. */
	uint64_t taken = __atomic_load_n(&l->taken, __ATOMIC_ACQUIRE);
	uint64_t put = __atomic_load_n(&l->put, __ATOMIC_ACQUIRE);

	/* The record at put is in a page no send may have touched yet: a
	 * read of it on a full filesystem would put a private page there,
	 * where this process's next send would write (pages.c).  A page the
	 * filesystem cannot give holds no record. */
	if (ring && (!pg || !pages_ready(pg, (char *)ring,
					 (size_t)(lw_u(put) % LANE_UNITS) *
					 LANE_UNIT, sizeof(struct lrec)))) {
		/* A record committed at put, not counted yet (L14): a
		 * receive may already have taken it, taken then ahead. */
		struct lq lq = { .l = (struct lane *)l, .ring = (char *)ring,
				 .posix = posix };
		struct fill lim = { 1, B_MASK, LANE_UNITS };
		uint64_t *wait;
		uint32_t skip;
		struct lrec h;

		if (rec_next(&lq, put, &lim, &skip, &h, &wait))
			put = lw_add(put, 1, h.len, skip + h.units);
	}
	if (lw_fill(put, taken, &x)) {
		*msgs = x.n;
		*bytes = x.b;
	}
	/* Still open: no close has moved any of them to the store yet. */
	return __atomic_load_n(&l->gate, __ATOMIC_ACQUIRE);
}

uint32_t lane_total(const struct lane *l, const char *ring,
		    struct pages *pg, bool posix,
		    const uint64_t *qnum, const uint64_t *qbytes,
		    uint64_t *msgs, uint64_t *bytes)
{
	uint32_t g = lane_count(l, ring, pg, posix, msgs, bytes);

	if (g != LANE_OPEN) {
		*msgs = __atomic_load_n(qnum, __ATOMIC_RELAXED);
		*bytes = __atomic_load_n(qbytes, __ATOMIC_RELAXED);
	}
	return g;
}

/* ---- the two kinds ------------------------------------------------------ */

void lane_sysv(struct lq *lq, struct sq *s)
{
	struct qctl *q = s->q;

	*lq = (struct lq){
		.l = &s->f->lane, .ring = (char *)s->wbase + LANE_OFF,
		.q = q, .ns = s->ns, .v = &s->v,
		.qnum = &q->qnum, .qbytes = &q->cbytes, .events = &q->events,
		.n_sent = &q->n_sent, .n_full = &q->n_full,
		.n_empty = &q->n_empty, .hw_n = &q->hw_qnum,
		.hw_b = &q->hw_cbytes, .spid = &q->lspid, .rpid = &q->lrpid,
		.stime = &q->stime, .rtime = &q->rtime,
	};
	pages_init(&lq->pg, LANE_SIZE);
}

void lane_posix(struct lq *lq, struct pview *pv)
{
	struct pqctl *c = pv->ctl;

	*lq = (struct lq){
		.l = &c->lane, .ring = (char *)c + PQ_LANE_OFF, .posix = true,
		.maxmsg = pv->maxmsg, .msgsize = pv->msgsize, .ns = pv->ns,
		.v = &pv->v,
		.qnum = &c->curmsgs, .qbytes = &c->qsize, .events = &c->events,
		.n_sent = &c->n_sent, .n_full = &c->n_full,
		.n_empty = &c->n_empty, .hw_n = &c->hw_curmsgs,
		.hw_b = &c->hw_qsize, .spid = &c->spid, .rpid = &c->rpid,
		.stime = &c->stime, .rtime = &c->rtime,
	};
	pages_init(&lq->pg, LANE_SIZE);
}
