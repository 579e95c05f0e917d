/* SPDX-License-Identifier: MIT */
/*
 * sysv.c - msgget, msgsnd and msgrcv with the kernel's checks in the
 * kernel's order (spec A4, A6, A7), and its blocking rules (A9):
 * receivers wait in FIFO order and a send hands its message straight to
 * the first matching one (pipelined send); senders wait until a receive
 * or IPC_SET makes room, then retry.
 *
 * Nobody waiting means no system call: the queue lock is a futex-based
 * mutex, pids are cached, the clock is the vDSO's, and a wake-up is
 * issued only for a waiter record that exists.
 */
#include <sys/stat.h>

#include "internal.h"

#define S_IRUGO (S_IRUSR | S_IRGRP | S_IROTH)
#define S_IWUGO (S_IWUSR | S_IWGRP | S_IWOTH)

int convert_mode(long *type, int flg)
{
	if (flg & MSG_COPY)
		return SEARCH_NUMBER;
	if (*type == 0)
		return SEARCH_ANY;
	if (*type < 0) {
		*type = *type == LONG_MIN ? LONG_MAX : -*type;
		return SEARCH_LESSEQUAL;
	}
	return flg & MSG_EXCEPT ? SEARCH_NOTEQUAL : SEARCH_EQUAL;
}

/* msg_fits_inqueue(): qbytes bounds the bytes and the message count. */
static bool fits(const struct qctl *q, size_t sz)
{
	return sz + q->cbytes <= q->qbytes && 1 + q->qnum <= q->qbytes;
}

/* ss_wakeup(): wake every sender whose message fits now; move the others
 * to the tail, stopping when the first of those comes round again.  The
 * caller armed on a sender before the change (wl_arm, L6). */
void wake_senders(struct sq *s)
{
	struct qctl *q = s->q;
	uint32_t stop = NIL, next;

	for (uint32_t i = q->wl.shead, n = 0; i < Q_WAITERS && n < Q_WAITERS;
	     i = next, n++) {
		struct waiter *w = wp_rec(&s->wp, i);
		next = w->next;
		if (i == stop)
			break;
		if (waiter_reap(&s->wp, &q->wl.shead, &q->wl.stail, i))
			continue;
		if (!fits(q, w->msgsz)) {
			if (stop == NIL)
				stop = i;
			wl_remove(&s->wp, &q->wl.shead, &q->wl.stail, i);
			wl_append(&s->wp, &q->wl.shead, &q->wl.stail, i);
			continue;
		}
		/* Woken already and not back yet: the kernel's wake_q_add()
		 * of a task already woken is a no-op, ours a system call. */
		if (__atomic_load_n(&w->futex, __ATOMIC_RELAXED) != W_WOKEN)
			post(w, W_WOKEN);
	}
}

/* expunge_all(-EAGAIN) after IPC_SET: every receiver re-checks. */
void wake_receivers(struct sq *s)
{
	struct qctl *q = s->q;
	uint32_t next;

	for (uint32_t i = q->wl.rhead, n = 0; i < Q_WAITERS && n < Q_WAITERS;
	     i = next, n++) {
		next = wp_rec(&s->wp, i)->next;
		if (!waiter_reap(&s->wp, &q->wl.rhead, &q->wl.rtail, i))
			post(wp_rec(&s->wp, i), W_WOKEN);
	}
}

/*
 * pipelined_send(): give the message, already in the store, to the first
 * blocked receiver whose selector matches; receivers whose buffer is too
 * small get E2BIG on the way and leave the list.  False if nobody took it;
 * *peeker is then the first peeker asleep on the way that it would wake
 * (NIL: none, and a send with no peeker does nothing more).
 */
static bool pipelined_send(struct sq *s, uint32_t head, int64_t mtype,
			   size_t sz, uint32_t *peeker)
{
	struct qctl *q = s->q;
	uint32_t next;

	*peeker = NIL;
	for (uint32_t i = q->wl.rhead, n = 0; i < Q_WAITERS && n < Q_WAITERS;
	     i = next, n++) {
		struct waiter *w = wp_rec(&s->wp, i);
		next = w->next;
		if (waiter_reap(&s->wp, &q->wl.rhead, &q->wl.rtail, i))
			continue;
		if (unlikely(w->kind == WK_PEEK)) {
			if (*peeker == NIL && peeker_wants(w, mtype))
				*peeker = i;
			continue;
		}
		if (!testmsg(mtype, w->sel_type, w->sel_mode))
			continue;
		post_arm(w);	/* from here, our death wakes it (L6) */
		wl_remove(&s->wp, &q->wl.rhead, &q->wl.rtail, i);
		if (w->maxsize < sz) {
			w->result = -E2BIG;
			post(w, W_READY);
			continue;
		}
		store_inflight(&s->v, head, i);
		FAULT(FP_HANDOFF);
		w->msg = head;
		w->len = sz;
		w->mtype = mtype;
		w->result = 0;
		q->lrpid = w->tid;
		q->rtime = proc_now();
		post(w, W_READY);
		return true;
	}
	return false;
}

/* For proc_spin_first(): the queue lock of a System V queue. */
static void sq_unlock_cb(void *p)
{
	q_unlock(p);
}

static void sq_lock_cb(void *p)
{
	q_lock(p);
}

bool sv_spin_first(struct sq *s, int64_t *spun, uint32_t mask)
{
	return proc_spin_first(&s->q->events, mask, sq_unlock_cb, sq_lock_cb,
			       s, spun);
}

/* A message in the store, counted as sent, not yet queued: to the first
 * blocked receiver that takes it, else into the queue.  again: handed
 * over once already (sv_cancelled), so not counted again, and without
 * room - senders filled the queue since - it is lost, as msg_qbytes is
 * kept. */
static void deliver(struct sq *s, uint32_t head, int64_t mtype, size_t sz,
		    bool again)
{
	struct qctl *q = s->q;
	uint32_t pk;

	if (pipelined_send(s, head, mtype, sz, &pk)) {
		if (!again)
			STAT_ADD(q->n_handoff, 1);
		return;
	}
	if (again && !fits(q, sz)) {
		store_free(&s->v, head);
		return;
	}
	/* A peeker waits for it: from here our death wakes it (L6). */
	if (unlikely(pk != NIL))
		post_arm(wp_rec(&s->wp, pk));
	store_link(&s->v, head);
	FAULT(FP_SEND_LINK);
	q->cbytes += sz;
	q->qnum++;
	/* After qnum and n_sent: spin_before_look() reads them after it
	 * (L10). */
	__atomic_store_n(&q->events, q->events + EV_ADDED, __ATOMIC_RELEASE);
	if (q->qnum == 1) {		/* L10's hint */
		q->solo_type = mtype;
		q->solo_sent = q->n_sent;
	}
	STAT_MAX(q->hw_qnum, q->qnum);
	STAT_MAX(q->hw_cbytes, q->cbytes);
	if (unlikely(pk != NIL))
		wake_peekers(&s->wp, pk, mtype);
}

/*
 * A signal handler's call on a queue whose lock, or a lane side's, the
 * code it interrupted holds: the call fails as one that may not block
 * would on a busy queue, or with EINTR - the kernel's would simply
 * happen after the interrupted one.
 */
static long reentered(struct sq *s, int flg, long busy)
{
	if (likely(!sq_mine(s)))
		return 0;
	sq_put(s);
	return flg & IPC_NOWAIT ? busy : -EINTR;
}

/* Under the queue lock, at the end of a call that may leave the store
 * empty: the lane takes traffic again if nobody waits or watches (L14). */
static void sv_reopen(struct sq *s)
{
	const struct qctl *q = s->q;

	if (sq_live(s) && !q->qnum && q->wl.rhead == NIL &&
	    q->wl.shead == NIL && !q->watch)
		lane_reopen(&s->lq);
}

struct sleeper {
	struct sq *s;
	struct waiter *w;
	uint64_t gen;
	uint32_t me;
	bool recv;
};

/*
 * A caller cancelled in its sleep (futex_sleep_cancel): its call ends as
 * it would have returned, but for a message a sender handed it meanwhile,
 * which goes back to the queue - behind those sent since, or to another
 * receiver - rather than being lost with the thread.
 */
static void sv_cancelled(void *arg)
{
	struct sleeper *c = arg;
	struct sq *s = c->s;
	struct waiter *w = c->w;
	struct msg *m;
	uint32_t h;

	/* The request may have acted before a post that came since: what
	 * the record holds is read under the lock. */
	q_lock(s);
	h = w->msg;
	if (c->recv && same_queue(s->q, c->gen) &&
	    __atomic_load_n(&w->futex, __ATOMIC_ACQUIRE) == W_READY &&
	    w->result == 0 && !sq_store(s) && h < s->v.nchunks &&
	    (m = store_msg(&s->v, h))->state == CH_INFLIGHT &&
	    m->owner == c->me)
		deliver(s, h, m->key, m->len, true);
	sv_drop_record(s, c->gen, w, c->me, c->recv);
	if (same_queue(s->q, c->gen)) {
		msgfd_sync(s);
		/* As the call's own end: a typed receive leaves it shut. */
		if (!c->recv || w->sel_mode == SEARCH_ANY)
			sv_reopen(s);
	}
	q_done(s);
}

/* Enqueue the caller's record on a wait list and sleep until posted. */
long sv_wait_on(struct sq *s, struct waiter *w, uint32_t me, bool recv,
		const struct deadline *dl)
{
	struct qctl *q = s->q;
	struct sleeper c = { s, w, q->gen, me, recv };
	long r;

	w->msg = NIL;
	w->result = 0;
	__atomic_store_n(&w->futex, W_WAITING, __ATOMIC_RELAXED);
	if (!w->linked) {	/* else still in line after a spurious wake */
		w->gen = q->gen;
		w->tid = proc_tid();
		w->pid = proc_pid();
		w->order = q->wl.order++;
		if (recv)
			wl_append(&s->wp, &q->wl.rhead, &q->wl.rtail, me);
		else
			wl_append(&s->wp, &q->wl.shead, &q->wl.stail, me);
	}
	q_unlock(s);
	r = futex_sleep_cancel(&w->futex, W_WAITING, SLEEP_SYSV, dl,
			       sv_cancelled, &c);
	q_lock(s);
	return r;
}

/*
 * After a wake-up that did not complete the call: leave the wait list,
 * unless nothing happened to us (still W_WAITING, no signal, no timeout:
 * a spurious wake-up, or a repair's, L6), in which case we keep our place
 * and look again.  The kernel also takes a woken sender (ss_wakeup) or
 * receiver (expunge_all) off its list, and queues it again at the tail.
 */
void sv_leave_list(struct sq *s, struct waiter *w, uint32_t me, bool recv,
		   long r)
{
	struct qctl *q = s->q;

	if (!w->linked || (!r && __atomic_load_n(&w->futex, __ATOMIC_ACQUIRE)
			   == W_WAITING))
		return;
	if (recv)
		wl_remove(&s->wp, &q->wl.rhead, &q->wl.rtail, me);
	else
		wl_remove(&s->wp, &q->wl.shead, &q->wl.stail, me);
}

/* Done with the record: off the list (if its queue is still ours), freed. */
void sv_drop_record(struct sq *s, uint64_t gen, struct waiter *w,
		    uint32_t me, bool recv)
{
	struct qctl *q = s->q;

	if (w->linked && same_queue(q, gen)) {
		if (recv)
			wl_remove(&s->wp, &q->wl.rhead, &q->wl.rtail, me);
		else
			wl_remove(&s->wp, &q->wl.shead, &q->wl.stail, me);
	}
	waiter_free(&s->wp, me);
}

static int do_msgget(key_t key, int msgflg)
{
	struct sq *s = NULL;
	struct ns *ns;
	int r = ns_get(&ns);

	if (r)
		return ns_errno(r, key == IPC_PRIVATE || (msgflg & IPC_CREAT) ?
			       NSE_CREATE : NSE_LOOKUP);
	if (key == IPC_PRIVATE) {
		r = reg_create(ns, key, msgflg, &s);
	} else {
		r = reg_find_key(ns, key, &s);
		if (r == -ENOENT && (msgflg & IPC_CREAT))
			/* -EEXIST and s: another creator was first. */
			r = reg_create(ns, key, msgflg, &s);
		else if (r == 0)
			r = -EEXIST;
		if (r == -EEXIST && s)
			r = (msgflg & IPC_CREAT) && (msgflg & IPC_EXCL) ?
			    -EEXIST :	/* before the permission check */
			    ipc_perms(s->q, msgflg) ?: reg_id(s);
	}
	if (s)
		sq_put(s);
	return r;
}

UMQ_EXPORT int umq_msgget(key_t key, int msgflg)
{
	return (int)ret_errno(do_msgget(key, msgflg));
}

/* The sender's side of spin_before_look() (below): a send the counters
 * say cannot fit yet spins before it first takes the lock, until room is
 * made. */
static void spin_before_room(struct sq *s, size_t sz, int64_t *spun)
{
	const struct qctl *q = s->q;
	uint32_t ev = __atomic_load_n(&q->events, __ATOMIC_ACQUIRE);
	uint64_t qb = __atomic_load_n(&q->qbytes, __ATOMIC_RELAXED);
	long budget;

	if (*spun || lane_is_open(&s->f->lane))
		return;		/* the lane spun, or will look for room */
	if (sz + __atomic_load_n(&q->cbytes, __ATOMIC_RELAXED) <= qb &&
	    1 + __atomic_load_n(&q->qnum, __ATOMIC_RELAXED) <= qb)
		return;
	budget = proc_spin_ns();
	if (!budget || ipc_perms(q, S_IWUGO))
		return;
	*spun = proc_mono_ns() + budget;
	proc_spin(&q->events, EV_SEND_MASK, ev & EV_SEND_MASK, *spun);
}

static long msgsnd_in(int id, const void *msgp, size_t sz, int flg,
		      const struct deadline *dl)
{
	struct umq_limits lim;
	struct waiter *w = NULL;
	struct qctl *q;
	struct qview *v;
	struct ns *ns;
	struct sq *s;
	uint32_t me = NIL, head;
	int64_t spun = 0;
	int64_t mtype;
	uint64_t gen;
	long r;

	if (bad_uptr(msgp) || ucopy(&mtype, msgp, sizeof(long)))
		return -EFAULT;
	r = ns_get(&ns);
	if (r)
		return ns_errno((int)r, NSE_ID);
	ns_limits(ns, &lim);
	if (sz > (size_t)lim.msgmax || (ssize_t)sz < 0 || id < 0 || mtype < 1)
		return -EINVAL;
	/* The kernel copies the text in before it looks for the queue. */
	if (uprobe((const long *)msgp + 1, sz))
		return -EFAULT;
	r = q_find_id(ns, id, &s);
	if (r < 0)
		return r;
	r = reentered(s, flg, -EAGAIN);
	if (r)
		return r;
	for (int tries = 0;; tries++) {
		r = lane_send(&s->lq, mtype, (const long *)msgp + 1, sz, flg,
			      &spun);
		if (r != LANE_PASS && r != LANE_SHUT) {
			sq_put(s);
			return r;
		}
		if (r == LANE_SHUT && tries < 3) {
			r = q_lock_unless_open(s);
			if (r > 0)
				continue;	/* opened meanwhile */
			if (r < 0)
				return r;
			break;			/* locked */
		}
		if (!(flg & IPC_NOWAIT))
			spin_before_room(s, sz, &spun);
		r = q_lock_found(s);
		if (r < 0)
			return r;
		break;
	}
	q = s->q;
	v = &s->v;
	gen = q->gen;
	for (;;) {
		r = ipc_perms(q, S_IWUGO);
		if (!r)
			r = q_settled(s);	/* taken again: a spin, a sleep */
		if (r)
			goto out;
		if (!same_queue(q, gen)) {
			r = -EIDRM;
			goto out;
		}
		if (fits(q, sz))
			break;
		if (flg & IPC_NOWAIT) {
			STAT_ADD(q->n_full, 1);		/* L12 */
			r = -EAGAIN;
			goto out;
		}
		if (!w && sv_spin_first(s, &spun, EV_SEND_MASK))
			continue;
		if (!w) {
			w = waiter_take(&s->wp, WK_SEND, &me, &r);
			if (!w)
				goto out;
			w->msgsz = sz;
		}
		r = sv_wait_on(s, w, me, false, dl);
		if (!same_queue(q, gen)) {
			r = -EIDRM;
			goto out;
		}
		sv_leave_list(s, w, me, false, r);
		if (r)
			goto out;	/* EINTR: never restarted (A9) */
	}
	r = sq_store(s);
	if (!r)
		r = store_put(ns, v, mtype, (const long *)msgp + 1, sz, &head);
	if (r == -EUCLEAN) {	/* damaged: rebuild it and try once more */
		r = q_mend_store(s);
		if (!r)
			r = store_put(ns, v, mtype, (const long *)msgp + 1, sz,
				      &head);
	}
	if (r)
		goto out;
	FAULT(FP_SEND_PUT);
	set_if_changed32(&q->lspid, proc_pid());
	set_if_changed64(&q->stime, proc_now());
	STAT_ADD(q->n_sent, 1);		/* before qnum: received = sent - qnum */
	deliver(s, head, mtype, sz, false);
out:
	if (w)
		sv_drop_record(s, gen, w, me, false);
	if (same_queue(q, gen)) {
		msgfd_sync(s);
		sv_reopen(s);
	}
	q_done(s);
	return r;
}

/* IPC_NOWAIT does not wait for a stopped holder's lock, nor a timed call
 * past its deadline (lock_bound). */
long do_msgsnd(int id, const void *msgp, size_t sz, int flg,
	       const struct deadline *dl)
{
	struct bound b = { flg & IPC_NOWAIT ? -EAGAIN : 0, dl };
	const struct bound *outer;
	long r;

	/* A cancellation point (futex_sleep_cancel), before the bound: a
	 * request acting here unwinds past bound_leave. */
	pthread_testcancel();
	outer = bound_enter(&b);
	r = msgsnd_in(id, msgp, sz, flg, dl);

	bound_leave(outer);
	return r;
}

UMQ_EXPORT int umq_msgsnd(int msqid, const void *msgp, size_t msgsz,
			  int msgflg)
{
	return (int)ret_errno(do_msgsnd(msqid, msgp, msgsz, msgflg, NULL));
}

/* Copy a message out as msgrcv returns it: mtype, then the text. */
static long copy_out(struct qview *v, uint32_t head, int64_t mtype,
		     void *msgp, size_t n)
{
	long t = (long)mtype;

	if (bad_uptr(msgp) || ucopy(msgp, &t, sizeof(t)))
		return -EFAULT;
	return store_read(v, head, (long *)msgp + 1, n);
}

/* The message a sender handed us while we slept (or its error). */
static long take_posted(struct sq *s, struct waiter *w, uint32_t me,
			uint64_t gen, void *msgp, size_t sz)
{
	/* Ours even if the queue was removed meanwhile: we hold s. */
	struct qview *mv = &s->v;
	size_t n = w->len < sz ? w->len : sz;
	uint32_t h = w->msg;
	long r = w->result;
	struct qctl *q = s->q;

	if (r < 0)
		return r;
	if (same_queue(q, gen) && sq_store(s))
		mv = NULL;
	if (!mv || h >= mv->nchunks || store_msg(mv, h)->state !=
	    CH_INFLIGHT || store_msg(mv, h)->owner != me)
		return same_queue(q, gen) ? -EUCLEAN : -EIDRM;
	r = copy_out(mv, h, w->mtype, msgp, n);
	if (same_queue(q, gen))
		store_free(mv, h);
	return r ? r : (long)n;
}

/*
 * Before its first look, a receive that the queue's hints (L10) say
 * cannot be served yet - the queue empty, or holding only the message a
 * send left alone there, of a type it does not take - spins outside the
 * lock until a message is added: the caller about to add it then does
 * not wait for our look (a ping-pong on one queue, each side's receive
 * right after its send).  A wrong hint only costs the spin, which counts
 * against the same budget as spin_first's; the look under the lock
 * decides.
 */
static void spin_before_look(struct sq *s, int64_t type, int mode,
			     int64_t *spun)
{
	const struct qctl *q = s->q;
	uint32_t ev = __atomic_load_n(&q->events, __ATOMIC_ACQUIRE);
	uint64_t n = __atomic_load_n(&q->qnum, __ATOMIC_RELAXED);
	long budget;

	/* The lane spun, or holds what the store's hints do not show. */
	if (*spun || lane_is_open(&s->f->lane))
		return;
	if (n > 1 || (n == 1 && (__atomic_load_n(&q->solo_sent,
	    __ATOMIC_RELAXED) != __atomic_load_n(&q->n_sent,
	    __ATOMIC_RELAXED) || testmsg(__atomic_load_n(&q->solo_type,
	    __ATOMIC_RELAXED), type, mode))))
		return;
	budget = proc_spin_ns();
	/* A caller the look will refuse does not wait for it. */
	if (!budget || ipc_perms(q, S_IRUGO))
		return;
	*spun = proc_mono_ns() + budget;
	proc_spin(&q->events, EV_RECV_MASK, ev & EV_RECV_MASK, *spun);
}

/* which: NULL, or receive only that message (umq_msgrcv_peeked): the
 * first of its type, if it is still which->id. */
static long msgrcv_in(int id, void *msgp, size_t sz, long type, int flg,
		      const struct deadline *dl,
		      const struct umq_peek_msg *which)
{
	struct umq_limits lim;
	struct waiter *w = NULL;
	struct qctl *q;
	struct qview *v;
	struct ns *ns;
	struct sq *s;
	size_t copy_max = 0;
	bool mended = false;
	int64_t spun = 0;
	uint32_t me = NIL;
	uint64_t gen;
	long r, h;
	int mode;

	if (id < 0 || (ssize_t)sz < 0)
		return -EINVAL;
	mode = convert_mode(&type, flg);
	r = ns_get(&ns);
	if (r)
		return ns_errno((int)r, NSE_ID);
	if (flg & MSG_COPY) {
		if ((flg & MSG_EXCEPT) || !(flg & IPC_NOWAIT))
			return -EINVAL;
		ns_limits(ns, &lim);
		copy_max = sz < (size_t)lim.msgmax ? sz : (size_t)lim.msgmax;
		/* The kernel reads that much of the buffer first
		 * (prepare_copy), before it looks for the queue. */
		if (copy_max && (bad_uptr(msgp) || uprobe(msgp, copy_max)))
			return -EFAULT;
	}
	r = q_find_id(ns, id, &s);
	if (r < 0)
		return r;
	r = reentered(s, flg, -ENOMSG);
	if (r)
		return r;
	for (int tries = 0;; tries++) {
		bool lane = mode == SEARCH_ANY && !which;

		if (lane) {
			r = lane_recv(&s->lq, msgp, sz, NULL, flg, &spun);
			if (r != LANE_PASS) {
				sq_put(s);
				return r;
			}
		}
		if (!tries && !(flg & (IPC_NOWAIT | MSG_COPY)) && !which)
			spin_before_look(s, type, mode, &spun);
		/* A lane that could not move into the store (a full
		 * filesystem) is open again: its messages are taken there. */
		r = lane && tries < 3 ? q_lock_lane(s) : q_lock_found(s);
		if (r > 0)
			continue;
		if (r < 0)
			return r;
		break;
	}
	q = s->q;
	v = &s->v;
	gen = q->gen;
	for (;;) {
		r = ipc_perms(q, S_IRUGO);
		if (!r)
			r = q_settled(s);	/* taken again: a spin, a sleep */
		if (r)
			goto out;
		if (!same_queue(q, gen)) {
			r = -EIDRM;
			goto out;
		}
		r = sq_store(s);
		if (r == -EUCLEAN)
			r = q_mend_store(s);
		if (r)
			goto out;
		if (mode == SEARCH_NUMBER)
			h = type < 0 ? -ENOMSG : store_nth(v, (uint64_t)type);
		else
			h = store_find(v, mode, type);
		if (which && (h == -ENOMSG || (h >= 0 &&
		    store_msg(v, (uint32_t)h)->seq != which->id))) {
			r = -ENOMSG;	/* not there any more */
			goto out;
		}
		/* The store and the counters must agree: a store that has
		 * nothing while qnum says otherwise is damaged, and the
		 * rebuild recounts (once: then the store is believed). */
		if (h == -EUCLEAN ||
		    (h == -ENOMSG && mode == SEARCH_ANY && q->qnum && !mended)) {
			mended = true;
			r = q_mend_store(s);
			if (r)
				goto out;
			continue;
		}
		if (h >= 0) {
			struct msg *m = store_msg(v, (uint32_t)h);
			uint64_t len = m->len;
			size_t n = len < sz ? len : sz;
			if (sz < len && !(flg & MSG_NOERROR)) {
				r = -E2BIG;	/* it stays queued */
			} else if (mode == SEARCH_NUMBER) {
				r = copy_max < len ? -EINVAL :
				    copy_out(v, (uint32_t)h, m->key, msgp, len);
				r = r ? r : (long)len;
			} else {
				/* Copy before the commit: a receiver that dies
				 * mid-copy loses no message.  A fault after it
				 * loses it, as on the kernel. */
				r = copy_out(v, (uint32_t)h, m->key, msgp, n);
				FAULT(FP_RECV_COPY);
				/* The stamps before the take, as a send's
				 * before its link (L14's rule). */
				set_if_changed64(&q->rtime, proc_now());
				set_if_changed32(&q->lrpid, proc_pid());
				/* Room for the senders: from here our death
				 * must wake one of them (L6). */
				wl_arm(&s->wp, &q->wl, false);
				store_take(v, (uint32_t)h);
				FAULT(FP_RECV_TAKE);
				/* Counters that would go wrong (a corrupted
				 * length) are recounted from the store. */
				if (unlikely(!q->qnum || q->cbytes < len ||
					     (q->qnum == 1 && q->cbytes != len))) {
					q_mend_store(s);
					wl_arm(&s->wp, &q->wl, false);
				} else {
					q->qnum--;
					q->cbytes -= len;
				}
				q->events += EV_ROOM;
				wake_senders(s);
				pend_clear();
				r = r ? r : (long)n;
			}
			goto out;
		}
		if (h != -ENOMSG) {
			r = h;
			goto out;
		}
		if (flg & IPC_NOWAIT) {
			if (mode != SEARCH_NUMBER)	/* MSG_COPY: no receive */
				STAT_ADD(q->n_empty, 1);	/* L12 */
			r = -ENOMSG;
			goto out;
		}
		if (!w && sv_spin_first(s, &spun, EV_RECV_MASK))
			continue;
		if (!w) {
			w = waiter_take(&s->wp, WK_RECV, &me, &r);
			if (!w)
				goto out;
			w->sel_mode = mode;
			w->sel_type = type;
			w->maxsize = flg & MSG_NOERROR ? UINT64_MAX : sz;
		}
		r = sv_wait_on(s, w, me, true, dl);
		if (__atomic_load_n(&w->futex, __ATOMIC_ACQUIRE) == W_READY) {
			/* Posted: it wins over a signal or a timeout. */
			r = take_posted(s, w, me, gen, msgp, sz);
			goto out;
		}
		if (!same_queue(q, gen)) {
			r = -EIDRM;
			goto out;
		}
		sv_leave_list(s, w, me, true, r);
		if (r)
			goto out;
	}
out:
	if (w)
		sv_drop_record(s, gen, w, me, true);
	if (same_queue(q, gen)) {
		msgfd_sync(s);
		if (mode == SEARCH_ANY)
			sv_reopen(s);
	}
	q_done(s);
	return r;
}

/* As do_msgsnd, "no message" the busy answer; a receive of the message
 * peeked waits as before. */
static long msgrcv_sel(int id, void *msgp, size_t sz, long type, int flg,
		       const struct deadline *dl,
		       const struct umq_peek_msg *which)
{
	struct bound b = { (flg & IPC_NOWAIT) && !which ? -ENOMSG : 0, dl };
	const struct bound *outer;
	long r;

	if (!which)
		pthread_testcancel();	/* as do_msgsnd */
	outer = bound_enter(&b);
	r = msgrcv_in(id, msgp, sz, type, flg, dl, which);

	bound_leave(outer);
	return r;
}

long do_msgrcv(int id, void *msgp, size_t sz, long type, int flg,
	       const struct deadline *dl)
{
	return msgrcv_sel(id, msgp, sz, type, flg, dl, NULL);
}

UMQ_EXPORT ssize_t umq_msgrcv(int msqid, void *msgp, size_t msgsz,
			      long msgtyp, int msgflg)
{
	return ret_errno(do_msgrcv(msqid, msgp, msgsz, msgtyp, msgflg, NULL));
}

UMQ_EXPORT ssize_t umq_msgrcv_peeked(int msqid, void *msgp, size_t msgsz,
				     int msgflg,
				     const struct umq_peek_msg *msg)
{
	if (bad_uptr(msg))
		return ret_errno(-EFAULT);
	if (msg->type < 1 || (msgflg & ~MSG_NOERROR))
		return ret_errno(-EINVAL);
	return ret_errno(msgrcv_sel(msqid, msgp, msgsz, msg->type,
				    msgflg | IPC_NOWAIT, NULL, msg));
}

UMQ_EXPORT int umq_msgclocksnd(int msqid, const void *msgp, size_t msgsz,
			       int msgflg, clockid_t clockid,
			       const struct timespec *abstime)
{
	struct deadline dl;
	int r;

	pthread_testcancel();	/* before the timeout's check, as do_msgsnd */
	r = deadline_make(&dl, clockid, abstime);
	return (int)ret_errno(r ? r : do_msgsnd(msqid, msgp, msgsz, msgflg,
						&dl));
}

UMQ_EXPORT ssize_t umq_msgclockrcv(int msqid, void *msgp, size_t msgsz,
				   long msgtyp, int msgflg, clockid_t clockid,
				   const struct timespec *abstime)
{
	struct deadline dl;
	int r;

	pthread_testcancel();	/* as umq_msgclocksnd */
	r = deadline_make(&dl, clockid, abstime);
	return ret_errno(r ? r : do_msgrcv(msqid, msgp, msgsz, msgtyp, msgflg,
					   &dl));
}
