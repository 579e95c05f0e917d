/* SPDX-License-Identifier: MIT */
/*
 * peek.c - queued messages copied out without being received (umq peek),
 * at once or after waiting for them.
 *
 * The messages are found by the store's scan in receive order
 * (store_scan), the path msgrcv's MSG_COPY takes too, under the queue
 * lock as a receive takes it.  Nothing is written but the caller's
 * buffers: no counter, time or pid of the queue changes, no waiter is
 * woken.  Only a damaged store is repaired first, as any caller would.
 *
 * A blocking peek (umq_msgclockpeek, umq_mq_clockpeek) that finds fewer
 * than index + 1 messages waits as a receiver would (§4), with a record
 * of its own kind (WK_PEEK) on the receivers' list: a send that queues a
 * message it selects wakes it, hands it nothing, and goes on to queue the
 * message; a send handed to a receiver never queues it, and wakes no
 * peeker.  So a dead peeker is reaped as a dead receiver is, and a send
 * pays nothing while no one peeks.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define S_IRUGO (S_IRUSR | S_IRGRP | S_IROTH)

struct peek {
	struct qview *v;
	struct umq_peek_msg *msgs;
	size_t n, got;
	size_t index;
	bool posix;			/* key is -priority */
};

/* The caller's entries are read and written through ucopy (EFAULT). */
static long peek_one(void *ctx, uint32_t head)
{
	struct peek *p = ctx;
	struct umq_peek_msg out;
	struct msg *m = store_msg(p->v, head);
	size_t k;
	int r;

	if (ucopy(&out, &p->msgs[p->got], sizeof(out)))
		return -EFAULT;
	k = m->len < out.size ? (size_t)m->len : out.size;
	if (m->len > (uint64_t)p->v->nchunks * p->v->chunk) {
		p->v->st->damaged = 1;	/* a length the store cannot hold */
		return -EUCLEAN;
	}
	r = store_read(p->v, head, out.text, k);
	if (r)
		return r;
	out.len = (size_t)m->len;
	out.copied = k;
	out.type = p->posix ? (long)-m->key : (long)m->key;
	out.index = p->index + p->got;
	out.id = m->seq;
	memset(out.reserved, 0, sizeof(out.reserved));
	if (ucopy(&p->msgs[p->got], &out, sizeof(out)))
		return -EFAULT;
	return ++p->got == p->n;
}

/* The caller's array: every buffer checked before the queue is locked. */
static int check_msgs(const struct umq_peek_msg *msgs, size_t n)
{
	if (!n)
		return 0;
	if (bad_uptr(msgs) || n > SIZE_MAX / sizeof(*msgs))
		return -EFAULT;
	for (size_t i = 0; i < n; i++) {
		struct umq_peek_msg e;
		if (ucopy(&e, &msgs[i], sizeof(e)) ||
		    (e.size && bad_uptr(e.text)))
			return -EFAULT;
	}
	return 0;
}

/* Scan under the lock; -EUCLEAN: the caller mends the store, once. */
static long scan(struct peek *p, int mode, int64_t type)
{
	long r;

	p->got = 0;
	if (!p->n)
		return 0;
	r = store_scan(p->v, mode, type, p->index, peek_one, p);
	return r < 0 ? r : (long)p->got;
}

/* Scan, mending a damaged store once (System V). */
static long sv_scan(struct sq *s, struct peek *p, int mode, int64_t type)
{
	long r = sq_store(s);

	if (r == -EUCLEAN)
		r = q_mend_store(s);
	if (!r) {
		r = scan(p, mode, type);
		if (r == -EUCLEAN) {
			r = q_mend_store(s);
			if (!r)
				r = scan(p, mode, type);
		}
	}
	return r;
}

/* wait: block while nothing is at index, until dl (NULL: no limit). */
static long do_msgpeek(int id, long type, int flg, size_t index,
		       struct umq_peek_msg *msgs, size_t n, bool wait,
		       const struct deadline *dl)
{
	struct peek p = { .msgs = msgs, .n = n, .index = index };
	struct bound b = { 0, dl };
	const struct bound *outer;
	struct waiter *w = NULL;
	uint32_t me = NIL;
	int64_t spun = 0;
	struct sq *s;
	struct ns *ns;
	uint64_t gen;
	long r;
	int mode;

	if (id < 0 || (flg & ~(wait ? MSG_EXCEPT | IPC_NOWAIT : MSG_EXCEPT)) ||
	    (wait && !n))
		return -EINVAL;
	wait = wait && !(flg & IPC_NOWAIT);
	r = check_msgs(msgs, n);
	if (r)
		return r;
	mode = convert_mode(&type, flg & MSG_EXCEPT);
	r = ns_get(&ns);
	if (r)
		return ns_errno((int)r, NSE_ID);
	/* A timed peek does not wait past its deadline for a stopped
	 * holder's lock (lock_bound). */
	outer = bound_enter(&b);
	r = q_lock_id(ns, id, &s);
	if (r < 0)
		goto done;
	p.v = &s->v;
	gen = s->q->gen;
	for (;;) {
		r = ipc_perms(s->q, S_IRUGO);
		if (!r && !same_queue(s->q, gen))
			r = -EIDRM;
		if (!r)
			r = q_settled(s);	/* taken again: a spin, a sleep */
		if (!r)
			r = sv_scan(s, &p, mode, type);
		if (r || !wait)
			break;
		if (!w && sv_spin_first(s, &spun, EV_RECV_MASK))
			continue;
		if (!w) {
			w = waiter_take(&s->wp, WK_PEEK, &me, &r);
			if (!w)
				break;
			w->sel_mode = SEL_PEEK | mode;
			w->sel_type = type;
		}
		r = sv_wait_on(s, w, me, true, dl);
		if (!same_queue(s->q, gen)) {
			r = -EIDRM;
			break;
		}
		sv_leave_list(s, w, me, true, r);
		if (r)
			break;		/* EINTR whatever SA_RESTART, as msgrcv */
	}
	if (w)
		sv_drop_record(s, gen, w, me, true);
	q_done(s);
done:
	bound_leave(outer);
	return r;
}

/* Scan, mending a damaged store once (POSIX). */
static long pq_scan(struct pview *pv, struct peek *p)
{
	long r = pq_store_sync(pv);

	if (!r)
		r = pq_settled(pv);	/* taken again: a spin, a sleep */
	if (!r) {
		r = scan(p, SEARCH_LESSEQUAL, INT64_MAX);
		if (r == -EUCLEAN) {
			r = pq_mend(pv);
			if (!r)
				r = scan(p, SEARCH_LESSEQUAL, INT64_MAX);
		}
	}
	return r;
}

/*
 * Handed a message, as a receiver: by the sender of a library older than
 * peekers (same layout), which takes any record on the receivers' list
 * for one.  Not ours to take: queued, as the send would have queued it
 * (at the tail of its priority: a message sent since may now go first).
 */
static void requeue(struct pview *pv, struct waiter *w, uint32_t me)
{
	struct pqctl *c = pv->ctl;
	uint32_t h = w->msg;

	w->msg = NIL;
	if (pq_store_sync(pv) || h >= pv->v.nchunks ||
	    store_msg(&pv->v, h)->state != CH_INFLIGHT ||
	    store_msg(&pv->v, h)->owner != me)
		return;
	store_link(&pv->v, h);
	c->curmsgs++;
	c->qsize += store_msg(&pv->v, h)->len;
	c->events += EV_ADDED;
}

static long do_mq_peek(mqd_t fd, size_t index, struct umq_peek_msg *msgs,
		       size_t n, bool wait, const struct deadline *dl)
{
	struct peek p = { .msgs = msgs, .n = n, .index = index,
			  .posix = true };
	struct bound b = { 0, dl };
	const struct bound *outer;
	struct waiter *w = NULL;
	uint32_t me = NIL;
	int64_t spun = 0;
	struct pdesc *d;
	struct pview *pv;
	long r;

	r = pdesc_get(fd, &d);
	if (r)
		return r;
	if (d->acc != O_RDONLY && d->acc != O_RDWR)
		return -EBADF;
	if (wait && !n)
		return -EINVAL;
	r = check_msgs(msgs, n);
	if (r)
		return r;
	pv = d->pv;
	p.v = &pv->v;
	outer = bound_enter(&b);	/* as do_msgpeek */
	if ((r = pq_lock_call(pv)))
		goto done;
	for (;;) {
		r = pq_scan(pv, &p);
		if (r || !wait)
			break;
		/* As mq_receive: spin, unless the descriptor is O_NONBLOCK
		 * (then: nothing there, 0, as umq_mq_peek). */
		bool nb = d->nb && pq_nonblocking(d, fd);
		if (!w && !nb && pq_spin_first(pv, &spun, EV_RECV_MASK))
			continue;
		if (nb || pq_nonblocking(d, fd))
			break;
		if (!w) {
			w = waiter_take(&pv->wp, WK_PEEK, &me, &r);
			if (!w)
				break;
			w->sel_mode = SEL_PEEK | SEARCH_ANY;
			w->sel_type = 0;
		}
		w->msg = NIL;
		r = pq_wait_on(pv, &fd, w, me, true, dl);
		if (unlikely(__atomic_load_n(&w->futex, __ATOMIC_ACQUIRE) ==
			     W_READY))
			requeue(pv, w, me);
		pq_leave_list(pv, w, me, true, r, false);
		if (r)
			break;		/* restarted per SA_RESTART, as mq_receive */
	}
	if (w) {
		pq_leave_list(pv, w, me, true, 0, true);
		waiter_free(&pv->wp, me);
	}
	/* The FIFO, if a spinner left it to us (L13). */
	mqd_sync(pv, fd);
	pq_unlock(pv);
done:
	bound_leave(outer);
	return r;
}

UMQ_EXPORT ssize_t umq_msgpeek(int msqid, long msgtyp, int msgflg,
			       size_t index, struct umq_peek_msg *msgs,
			       size_t n)
{
	return ret_errno(do_msgpeek(msqid, msgtyp, msgflg, index, msgs, n,
				    false, NULL));
}

UMQ_EXPORT ssize_t umq_mq_peek(mqd_t mqdes, size_t index,
			       struct umq_peek_msg *msgs, size_t n)
{
	return ret_errno(do_mq_peek(mqdes, index, msgs, n, false, NULL));
}

/* By name: a descriptor opened for reading, for the call only, so that
 * the permission check and every error are mq_open's. */
UMQ_EXPORT ssize_t umq_mq_peek_name(const char *name, size_t index,
				    struct umq_peek_msg *msgs, size_t n)
{
	int saved = errno;
	mqd_t fd;
	long r;

	r = check_msgs(msgs, n);
	if (r)
		return ret_errno(r);
	fd = umq_mq_open(name, O_RDONLY | O_NONBLOCK);
	if (fd == (mqd_t)-1)
		return -1;
	r = do_mq_peek(fd, index, msgs, n, false, NULL);
	umq_mq_close(fd);
	errno = saved;
	return ret_errno(r);
}

/* abstime NULL: no limit. */
static int peek_deadline(struct deadline *dl, clockid_t clk,
			 const struct timespec *abstime)
{
	return abstime ? deadline_make(dl, clk, abstime) :
	       clk == CLOCK_REALTIME || clk == CLOCK_MONOTONIC ? 0 : -EINVAL;
}

UMQ_EXPORT ssize_t umq_msgclockpeek(int msqid, long msgtyp, int msgflg,
				    size_t index, struct umq_peek_msg *msgs,
				    size_t n, clockid_t clockid,
				    const struct timespec *abstime)
{
	struct deadline dl;
	int r = peek_deadline(&dl, clockid, abstime);

	return ret_errno(r ? r : do_msgpeek(msqid, msgtyp, msgflg, index, msgs,
					    n, true, abstime ? &dl : NULL));
}

UMQ_EXPORT ssize_t umq_mq_clockpeek(mqd_t mqdes, size_t index,
				    struct umq_peek_msg *msgs, size_t n,
				    clockid_t clockid,
				    const struct timespec *abstime)
{
	struct deadline dl;
	int r = peek_deadline(&dl, clockid, abstime);

	return ret_errno(r ? r : do_mq_peek(mqdes, index, msgs, n, true,
					    abstime ? &dl : NULL));
}
