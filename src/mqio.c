/* SPDX-License-Identifier: MIT */
/*
 * mqio.c - mq_send and mq_receive, plain, timed and on a chosen clock
 * (spec B8, B9): checks in the kernel's order, messages by priority then
 * FIFO, waiters by scheduling priority then FIFO, and the kernel's
 * pipelining both ways: a send to a queue with a blocked receiver hands
 * the message over, and a receive from a full queue with a blocked sender
 * inserts that sender's message, parked in the store when it blocked, and
 * completes its call.
 *
 * Readiness: the queue's FIFO polls as the queue would on the kernel
 * (ready.c).  A call that changes the queue's state - empty, partial,
 * full - updates it through the caller's descriptor, under the queue
 * lock, before it returns or sleeps; no other send or receive makes a
 * system call for it.  While another caller spins outside the lock, the
 * update is left to that caller, which makes it before it returns or
 * sleeps (L13): a streaming pair or a ping-pong whose peer is in its call
 * makes none.
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* What the FIFO should hold: the queue's state while a descriptor may
 * be polled, else nothing (pwatch.c). */
static uint32_t mqd_state(const struct pview *pv)
{
	const struct pqctl *c = pv->ctl;

	if (!c->watch)
		return RS_EMPTY;
	return rs_of(c->curmsgs > 0, c->curmsgs < (uint64_t)pv->maxmsg);
}

/* Microseconds of CLOCK_MONOTONIC, as spin_until counts them (L13). */
static uint32_t spin_clock(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint32_t)((uint64_t)t.tv_sec * 1000000u +
			  (uint64_t)t.tv_nsec / 1000);
}

/* A place whose spinner is still spinning: its deadline is ahead, within
 * the longest spin.  Anything else (0, passed, garbage, a spinner that
 * died, one in another time namespace) is free. */
static bool spin_live(uint32_t until, uint32_t now)
{
	int32_t left = (int32_t)(until - now);

	return until && left > 0 &&
	       (uint32_t)left <= 2 * (uint32_t)(proc_spin_ns() / 1000);
}

/*
 * Will a caller spinning outside the lock lock the queue again, and
 * update the FIFO before it returns or sleeps (L13)?
 */
static bool spinner_syncs(const struct pqctl *c)
{
	uint32_t now = 0;

	for (int i = 0; i < PQ_SPINNERS; i++) {
		uint32_t u = __atomic_load_n(&c->spin_until[i],
					     __ATOMIC_RELAXED);
		if (!u)
			continue;
		if (!now)
			now = spin_clock();
		if (spin_live(u, now))
			return true;
	}
	return false;
}

void mqd_sync(struct pview *pv, int fd)
{
	struct pqctl *c = pv->ctl;
	uint32_t want = mqd_state(pv);

	/* fd < 0: the caller's descriptor is gone (pq_wait_on); the next
	 * call that changes nothing still finds rstate behind, and syncs. */
	if (unlikely(want != c->rstate) && fd >= 0 && !spinner_syncs(c))
		ready_set(fd, &c->rstate, want);
}

void mqd_reset(struct pview *pv, int fd)
{
	ready_reset(fd, &pv->ctl->rstate, mqd_state(pv));
}

void mqd_new(struct pview *pv, int fd)
{
	ready_new(fd, &pv->ctl->rstate, mqd_state(pv));
}

/* The kernel's task priority, lower first: RT 0..98, then 100 + 20 + nice. */
static int32_t sched_prio(void)
{
	struct sched_param sp;
	int pol = sched_getscheduler(0);

	if ((pol == SCHED_FIFO || pol == SCHED_RR) && !sched_getparam(0, &sp))
		return 99 - sp.sched_priority;
	errno = 0;
	int nice = getpriority(PRIO_PROCESS, 0);
	return 120 + (errno ? 0 : nice);
}

/* O_NONBLOCK of the open description, which fcntl() may change behind
 * our back: read when a call would block, and kept as a hint. */
bool pq_nonblocking(struct pdesc *d, int fd)
{
	int fl = fcntl(fd, F_GETFL);

	d->nb = fl >= 0 && (fl & O_NONBLOCK);
	return d->nb;
}

/*
 * A signal handler's call on a queue whose lock the code it interrupted
 * holds: it fails as a non-blocking call would on a busy queue, or with
 * EINTR - the kernel's would simply happen after the interrupted one.
 */
static long reentered(struct pdesc *d, int fd)
{
	return pq_nonblocking(d, fd) ? -EAGAIN : -EINTR;
}

/* A parked message still owned by record idx, not yet committed. */
static bool parked(struct qview *v, uint32_t head, uint32_t idx)
{
	return head < v->nchunks && store_msg(v, head)->state == CH_INFLIGHT &&
	       store_msg(v, head)->owner == idx;
}

/*
 * After a holder's death (L3): a blocked sender whose parked message a
 * receive had already committed - the receiver died before posting to it
 * - has completed; post it, rather than let it go back on the list and
 * link its message a second time.
 */
void pq_complete_senders(struct pview *pv)
{
	struct pqctl *c = pv->ctl;
	uint32_t next;

	for (uint32_t i = c->wl.shead, n = 0; i < Q_WAITERS &&
	     n < Q_WAITERS; i = next, n++) {
		struct waiter *w = wp_rec(&pv->wp, i);
		next = w->next;
		if (parked(&pv->v, w->msg, i))
			continue;
		wl_remove(&pv->wp, &c->wl.shead, &c->wl.stail, i);
		w->result = 0;
		post(w, W_READY);
	}
}

/* Under the queue lock: the store may have grown in another process
 * (L4), or be damaged; follow it, or mend it. */
int pq_store_sync(struct pview *pv)
{
	struct qview *v = &pv->v;

	if (likely(v->st->nchunks == v->nchunks && !v->st->damaged))
		return 0;
	if (qview_follow(pv->ns, v))
		return -EUCLEAN;
	return v->st->damaged ? pq_mend(pv) : 0;
}

/*
 * Around a spin (L13): in a place of spin_until while it lasts, so that
 * callers changing the state leave the FIFO to us; we update it before we
 * return or sleep.  No free place: we spin unannounced, and others update
 * the FIFO themselves.
 */
struct spin_ctx {
	struct pview *pv;
	int place;
};

/* A place of spin_until for a spin starting now, or -1: claimed with a
 * CAS, since a spin before the first look claims one without the lock. */
static int claim_place(struct pqctl *c)
{
	uint32_t now = spin_clock();
	uint32_t end = (now + (uint32_t)(proc_spin_ns() / 1000) + 1) ?: 1;

	for (int i = 0; i < PQ_SPINNERS; i++) {
		uint32_t u = __atomic_load_n(&c->spin_until[i],
					     __ATOMIC_RELAXED);
		if (!spin_live(u, now) &&
		    __atomic_compare_exchange_n(&c->spin_until[i], &u, end,
						false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return i;
	}
	return -1;
}

static void pv_unlock(void *p)
{
	struct spin_ctx *sc = p;

	sc->place = claim_place(sc->pv->ctl);
	pq_unlock(sc->pv);
	FAULT(FP_SPIN);
}

/*
 * As System V's spin before the first look (sysv.c): a call the queue
 * cannot serve yet by its counters - a receive on an empty queue, a send
 * on a full one - spins before it first takes the lock, until the half of
 * events it waits for moves, so that it does not take the lock from the
 * caller about to make it room or a message.  In a place (L13), like any
 * spinner: it updates the FIFO before it returns or sleeps.  Returns the
 * place, for pre_spin_end() once the lock is held.
 */
static int pre_spin(struct pview *pv, bool recv, int64_t *spun)
{
	struct pqctl *c = pv->ctl;
	uint32_t mask = recv ? EV_RECV_MASK : EV_SEND_MASK;
	uint32_t ev = __atomic_load_n(&c->events, __ATOMIC_ACQUIRE);
	int64_t n = __atomic_load_n(&c->curmsgs, __ATOMIC_RELAXED);
	long budget = proc_spin_ns();
	int place;

	if (*spun || !budget || (recv ? n != 0 : n < pv->maxmsg))
		return -1;		/* the lane spun, or no need */
	place = claim_place(c);
	FAULT(FP_SPIN);
	*spun = proc_mono_ns() + budget;
	proc_spin(&c->events, mask, ev & mask, *spun);
	return place;
}

static void pre_spin_end(struct pview *pv, int place)
{
	if (place >= 0)
		__atomic_store_n(&pv->ctl->spin_until[place], 0,
				 __ATOMIC_RELAXED);
}

static void pv_lock(void *p)
{
	struct spin_ctx *sc = p;

	pq_lock(sc->pv);
	if (sc->place >= 0)
		__atomic_store_n(&sc->pv->ctl->spin_until[sc->place], 0,
				 __ATOMIC_RELAXED);
}

/* proc_spin_first() on a POSIX queue's lock. */
bool pq_spin_first(struct pview *pv, int64_t *spun, uint32_t mask)
{
	struct spin_ctx sc = { pv, -1 };

	return proc_spin_first(&pv->ctl->events, mask, pv_unlock, pv_lock,
			       &sc, spun);
}

/*
 * Take a record, queue it by priority, sleep until posted.  The kernel's
 * call holds the open queue: another thread may close the descriptor and
 * have its number given to another file meanwhile, and the call goes on.
 * Ours goes on too, but must not sync the readiness of that file: *fd
 * becomes -1 when the number no longer names the FIFO it named.
 */
/* fd if it still names the file it named when *was was taken, else -1:
 * another thread may close it while we sleep, and its number name another
 * file (the kernel's call holds the open queue). */
static int same_file(int fd, const struct stat *was)
{
	struct stat is;

	return fd >= 0 && !fstat(fd, &is) && is.st_ino == was->st_ino &&
	       is.st_dev == was->st_dev ? fd : -1;
}

struct pq_sleeper {
	struct pview *pv;
	struct waiter *w;
	uint32_t me;
	bool recv;
	int fd;
	struct stat was;
};
static void pq_cancelled(void *arg);

long pq_wait_on(struct pview *pv, int *fd, struct waiter *w, uint32_t me,
		bool recv, const struct deadline *dl)
{
	struct wlists *wl = &pv->ctl->wl;
	struct pq_sleeper c = { pv, w, me, recv, -1, { 0 } };
	long r;

	w->result = 0;
	__atomic_store_n(&w->futex, W_WAITING, __ATOMIC_RELAXED);
	if (!w->linked) {	/* else still in line after a spurious wake */
		w->gen = pv->gen;
		w->tid = proc_tid();
		w->pid = proc_pid();
		w->prio = sched_prio();
		w->order = wl->order++;
		if (recv)
			wl_insert_prio(&pv->wp, &wl->rhead, &wl->rtail, me);
		else
			wl_insert_prio(&pv->wp, &wl->shead, &wl->stail, me);
	}
	mqd_sync(pv, *fd);	/* what a spinner left us, before we sleep */
	pq_unlock(pv);
	if (*fd >= 0 && fstat(*fd, &c.was))
		*fd = -1;
	c.fd = *fd;
	r = futex_sleep_cancel(&w->futex, W_WAITING, SLEEP_POSIX, dl,
			       pq_cancelled, &c);
	*fd = same_file(*fd, &c.was);
	pq_lock(pv);
	return r;
}

/* Off the wait list, unless a spurious wake-up left us in line to look
 * again (as sysv.c's leave_list); always, with off. */
void pq_leave_list(struct pview *pv, struct waiter *w, uint32_t me,
		   bool recv, long r, bool off)
{
	struct wlists *wl = &pv->ctl->wl;

	if (!w->linked || (!off && !r && __atomic_load_n(&w->futex,
				__ATOMIC_ACQUIRE) == W_WAITING))
		return;
	if (recv)
		wl_remove(&pv->wp, &wl->rhead, &wl->rtail, me);
	else
		wl_remove(&pv->wp, &wl->shead, &wl->stail, me);
}

/* The first live waiter of a list, unlinked; NIL if none. */
static uint32_t first_waiter(struct wpool *wp, uint32_t *head,
			     uint32_t *tail)
{
	while (*head < Q_WAITERS) {
		uint32_t i = *head;
		if (waiter_reap(wp, head, tail, i))
			continue;
		wl_remove(wp, head, tail, i);
		return i;
	}
	return NIL;
}

/* The first live receiver, unlinked; NIL if none.  *peeker: the first
 * peeker asleep on the way, whom the message wakes if it is queued. */
static uint32_t first_receiver(struct pview *pv, uint32_t *peeker)
{
	struct wlists *wl = &pv->ctl->wl;
	uint32_t next;

	*peeker = NIL;
	for (uint32_t i = wl->rhead, n = 0; i < Q_WAITERS && n < Q_WAITERS;
	     i = next, n++) {
		struct waiter *w = wp_rec(&pv->wp, i);
		next = w->next;
		if (waiter_reap(&pv->wp, &wl->rhead, &wl->rtail, i))
			continue;
		if (unlikely(w->kind == WK_PEEK)) {
			if (*peeker == NIL && peeker_wants(w, 0))
				*peeker = i;
			continue;
		}
		wl_remove(&pv->wp, &wl->rhead, &wl->rtail, i);
		return i;
	}
	return NIL;
}

/* A message in the store, counted as sent, not yet queued: to the first
 * blocked receiver, else into the queue (B8).  again: handed over once
 * already (pq_cancelled), not counted again. */
static void pq_deliver(struct pview *pv, uint32_t head, size_t len,
		       int64_t key, struct notice *nt, bool again)
{
	struct pqctl *c = pv->ctl;
	uint32_t r_i, pk;

	r_i = first_receiver(pv, &pk);
	if (r_i != NIL) {
		/* Pipelined send: no queueing, no notification (B8). */
		struct waiter *rw = wp_rec(&pv->wp, r_i);
		post_arm(rw);	/* from here, our death wakes it (L6) */
		store_inflight(&pv->v, head, r_i);
		FAULT(FP_HANDOFF);
		rw->msg = head;
		rw->len = len;
		rw->mtype = key;
		rw->result = 0;
		post(rw, W_READY);
		if (!again)
			STAT_ADD(c->n_handoff, 1);
		return;
	}
	/* A peeker waits for it: from here our death wakes it (L6).  It is
	 * no receiver: the notification fires all the same. */
	if (unlikely(pk != NIL))
		post_arm(wp_rec(&pv->wp, pk));
	store_link(&pv->v, head);
	c->qsize += len;
	if (unlikely(pk != NIL))
		wake_peekers(&pv->wp, pk, 0);
	if (++c->curmsgs == 1)
		notify_fire(pv, nt);
	/* After curmsgs (L10): a receive about to spin before its look
	 * (pre_spin) that reads this bump reads the message counted, and
	 * does not spin for nothing on it. */
	__atomic_store_n(&c->events, c->events + EV_ADDED, __ATOMIC_RELEASE);
	STAT_MAX(c->hw_curmsgs, c->curmsgs);
	STAT_MAX(c->hw_qsize, c->qsize);
}

/*
 * A caller cancelled in its sleep (futex_sleep_cancel): its call ends as
 * it would have returned - a blocked sender's parked message discarded,
 * unless a receive took it (then the send is done) - but for a message
 * handed to a receiver meanwhile, which goes back to the queue, behind
 * those of its priority sent since, or to another receiver, rather than
 * being lost with the thread (if the queue has room).  w->msg: the
 * sender's parked message, the receiver's handed one, or NIL.
 */
static void pq_cancelled(void *arg)
{
	struct pq_sleeper *c = arg;
	struct pview *pv = c->pv;
	struct waiter *w = c->w;
	struct notice nt = { 0 };
	int fd = same_file(c->fd, &c->was);
	bool ready;

	/* The request may have acted before a post that came since: the
	 * record is read under the lock. */
	pq_lock(pv);
	ready = __atomic_load_n(&w->futex, __ATOMIC_ACQUIRE) == W_READY;
	if (!pq_store_sync(pv) && parked(&pv->v, w->msg, c->me)) {
		struct msg *m = store_msg(&pv->v, w->msg);
		/* No room left (senders filled the queue since the hand-off):
		 * lost, as with glibc's own calls; a count above mq_maxmsg is
		 * damage. */
		if (c->recv && ready &&
		    pv->ctl->curmsgs < (uint64_t)pv->maxmsg)
			pq_deliver(pv, w->msg, m->len, m->key, &nt, true);
		else if (c->recv || !ready)	/* a sender posted: sent */
			store_free(&pv->v, w->msg);
	}
	w->msg = NIL;
	pq_leave_list(pv, w, c->me, c->recv, 0, true);
	waiter_free(&pv->wp, c->me);
	mqd_sync(pv, fd);
	pq_reopen(pv);		/* as the call's own end */
	pq_unlock(pv);
	if (nt.signo)
		notify_send(&nt);
}

static long do_send(mqd_t fd, const char *p, size_t len, unsigned prio,
		    const struct deadline *dl)
{
	struct notice nt = { 0 };
	struct waiter *w = NULL;
	struct pdesc *d;
	struct pview *pv;
	struct pqctl *c;
	uint32_t me = NIL, head = NIL;
	const struct bound *outer;
	struct bound bd;
	int64_t spun = 0;
	long r;

	pthread_testcancel();	/* a cancellation point (futex_sleep_cancel) */
	if (prio >= MQ_PRIO_MAX)		/* before EBADF (B8) */
		return -EINVAL;
	r = pdesc_get(fd, &d);
	if (r)
		return r;
	if (d->acc != O_WRONLY && d->acc != O_RDWR)
		return -EBADF;
	pv = d->pv;
	c = pv->ctl;
	if (len > (size_t)pv->msgsize)
		return -EMSGSIZE;
	/* The kernel copies the text in before it takes the lock. */
	if (len && (bad_uptr(p) || uprobe(p, len)))
		return -EFAULT;
	if (unlikely(pq_mine(pv)))
		return reentered(d, fd);
	/* A non-blocking descriptor (as last looked at) does not wait for
	 * a stopped holder's lock, nor a timed call past its deadline. */
	bd = (struct bound){ d->nb ? -EAGAIN : 0, dl };
	outer = bound_enter(&bd);
	for (int tries = 0;; tries++) {
		r = lane_send(&pv->lq, -(int64_t)prio, p, len,
			      d->nb ? LANE_NOSPIN : 0, &spun);
		if (r == LANE_BLOCK)	/* full: still non-blocking? */
			r = lane_send(&pv->lq, -(int64_t)prio, p, len,
				      pq_nonblocking(d, fd) ? IPC_NOWAIT : 0,
				      &spun);
		if (r != LANE_PASS && r != LANE_SHUT)
			goto done;
		if (r == LANE_SHUT && tries < 3) {
			r = pq_lock_unless_open(pv);
			if (r > 0)
				continue;	/* opened meanwhile */
			if (r < 0)
				goto done;
			break;			/* locked */
		}
		if (!d->nb) {
			int place = pre_spin(pv, false, &spun);
			r = pq_lock_all(pv);
			pre_spin_end(pv, place);
		} else {
			r = pq_lock_all(pv);
		}
		if (r)
			goto done;
		break;
	}
	r = pq_store_sync(pv);
	while (!r && c->curmsgs >= (uint64_t)pv->maxmsg) {
		/* A descriptor that blocked when last looked at spins before
		 * it looks again: a spin makes the call one that came a
		 * moment later, whatever its flag. */
		bool nb = d->nb && pq_nonblocking(d, fd);
		if (!w && !nb && pq_spin_first(pv, &spun, EV_SEND_MASK)) {
			r = pq_store_sync(pv);
			if (!r)
				r = pq_settled(pv);	/* taken again */
			continue;
		}
		if (nb || pq_nonblocking(d, fd)) {
			STAT_ADD(c->n_full, 1);		/* L12 */
			r = -EAGAIN;
			break;
		}
		if (!w) {
			/* Park the message in the store, so that a receive
			 * can insert it on our behalf (pipelined receive). */
			w = waiter_take(&pv->wp, WK_SEND, &me, &r);
			if (!w)
				break;
			r = store_put(pv->ns, &pv->v, -(int64_t)prio, p, len,
				      &head);
			if (r)
				break;
			w->msg = head;
			w->len = len;
			w->mtype = -(int64_t)prio;
			store_inflight(&pv->v, head, me);
		}
		r = pq_wait_on(pv, &fd, w, me, false, dl);
		if (__atomic_load_n(&w->futex, __ATOMIC_ACQUIRE) == W_READY) {
			r = 0;		/* inserted: the call is complete */
			STAT_SET(c->spid, proc_pid());
			STAT_SET(c->stime, proc_now());
			head = NIL;
			goto out;
		}
		pq_leave_list(pv, w, me, false, r, false);
		if (!r)
			r = pq_store_sync(pv);
		if (!r)
			r = pq_settled(pv);	/* taken again */
	}
	if (w)
		pq_leave_list(pv, w, me, false, 0, true);
	if (r) {
		/* Discarded (B8) - unless a receive committed it meanwhile,
		 * which makes the call a success after all. */
		if (head != NIL && parked(&pv->v, head, me))
			store_free(&pv->v, head);
		else if (head != NIL && r != -ENOMEM)
			r = 0;
		goto out;
	}
	if (head == NIL) {
		r = store_put(pv->ns, &pv->v, -(int64_t)prio, p, len, &head);
		if (r)
			goto out;
	}
	STAT_SET(c->spid, proc_pid());
	STAT_SET(c->stime, proc_now());
	STAT_ADD(c->n_sent, 1);		/* before curmsgs (L12) */
	pq_deliver(pv, head, len, -(int64_t)prio, &nt, false);
	head = NIL;
out:
	if (w)
		waiter_free(&pv->wp, me);
	mqd_sync(pv, fd);
	pq_reopen(pv);
	pq_unlock(pv);
	if (nt.signo)
		notify_send(&nt);	/* queued before we return (B10) */
done:
	bound_leave(outer);
	return r;
}

/* Copy a message out as the kernel does: the priority first, then the
 * text; a fault loses the message (B9).  The length comes from shared
 * memory: more than the caller's buffer is damage, never an overflow. */
static long copy_msg(struct qview *v, uint32_t h, char *p, size_t len,
		     unsigned *prio)
{
	struct msg *m = store_msg(v, h);
	uint64_t n = m->len;
	int r;

	if (n > len) {
		v->st->damaged = 1;
		return -EUCLEAN;
	}
	/* The kernel's order: the priority, then the text. */
	if (prio) {
		unsigned pr = (unsigned)-m->key;
		if (bad_uptr(prio) || ucopy(prio, &pr, sizeof(pr)))
			return -EFAULT;
	}
	if (bad_uptr(p) && n)
		return -EFAULT;
	r = store_read(v, h, p, n);
	return r ? r : (long)n;
}


/* which: NULL, or receive only that message (umq_mq_receive_peeked). */
static long do_receive(mqd_t fd, char *p, size_t len, unsigned *prio,
		       const struct deadline *dl,
		       const struct umq_peek_msg *which)
{
	struct waiter *w = NULL;
	struct pdesc *d;
	struct pview *pv;
	struct pqctl *c;
	uint32_t me = NIL, s_i;
	bool mended = false;
	const struct bound *outer;
	struct bound bd;
	int64_t spun = 0;
	long r, h;

	if (!which)
		pthread_testcancel();	/* as do_send */
	r = pdesc_get(fd, &d);
	if (r)
		return r;
	if (d->acc != O_RDONLY && d->acc != O_RDWR)
		return -EBADF;
	pv = d->pv;
	c = pv->ctl;
	if (len < (size_t)pv->msgsize)	/* even when empty (B9) */
		return -EMSGSIZE;
	if (unlikely(pq_mine(pv)))
		return reentered(d, fd);
	/* As do_send; a receive of the message peeked waits as before. */
	bd = (struct bound){ d->nb && !which ? -EAGAIN : 0, dl };
	outer = bound_enter(&bd);
	for (int tries = 0;; tries++) {
		if (!which) {
			r = lane_recv(&pv->lq, p, len, prio,
				      d->nb ? LANE_NOSPIN : 0, &spun);
			if (r == LANE_BLOCK)	/* empty: as do_send */
				r = lane_recv(&pv->lq, p, len, prio,
					      pq_nonblocking(d, fd) ?
					      IPC_NOWAIT : 0, &spun);
			if (r != LANE_PASS)
				goto done;
		}
		if (!d->nb && !which) {
			int place = pre_spin(pv, true, &spun);
			r = pq_lock_all(pv);
			pre_spin_end(pv, place);
		} else {
			r = pq_lock_all(pv);
		}
		/* A lane that could not move into the store (a full
		 * filesystem) is open again: its messages are taken there. */
		if (r && !which && tries < 3 && lane_is_open(&c->lane))
			continue;
		if (r)
			goto done;
		break;
	}
	for (;;) {
		r = pq_store_sync(pv);
		if (!r)
			r = pq_settled(pv);	/* taken again: a spin, a sleep */
		if (r)
			goto out;
		if (c->curmsgs) {
			h = which ? store_find(&pv->v, SEARCH_EQUAL,
					       -(int64_t)which->type) :
				    store_find(&pv->v, SEARCH_LESSEQUAL,
					       INT64_MAX);
			if (which && (h == -ENOMSG || (h >= 0 &&
			    store_msg(&pv->v, (uint32_t)h)->seq != which->id))) {
				r = -ENOMSG;	/* not there any more */
				goto out;
			}
			if (h < 0 && !mended) {
				/* Store and counters disagree: rebuild, which
				 * recounts, and look again. */
				mended = true;
				r = pq_mend(pv);
				if (r)
					goto out;
				continue;
			}
			if (h < 0) {
				r = h == -ENOMSG ? -EUCLEAN : h;
				goto out;
			}
			uint64_t n = store_msg(&pv->v, (uint32_t)h)->len;
			r = copy_msg(&pv->v, (uint32_t)h, p, len, prio);
			/* Room for a blocked sender: from here our death
			 * must wake one (L6). */
			wl_arm(&pv->wp, &c->wl, false);
			store_take(&pv->v, (uint32_t)h);
			FAULT(FP_RECV_TAKE);
			if (unlikely(c->qsize < n ||
				     (c->curmsgs == 1 && c->qsize != n))) {
				pq_mend(pv);
				wl_arm(&pv->wp, &c->wl, false);
			} else {
				c->curmsgs--;
				c->qsize -= n;
			}
			c->events += EV_ROOM;
			/* Pipelined receive: the first blocked sender's
			 * message takes the freed place (B9). */
			s_i = first_waiter(&pv->wp, &c->wl.shead, &c->wl.stail);
			while (s_i != NIL &&
			       !parked(&pv->v, wp_rec(&pv->wp, s_i)->msg, s_i))
				/* garbage: not a parked message of its own */
				s_i = first_waiter(&pv->wp, &c->wl.shead,
						   &c->wl.stail);
			if (s_i != NIL) {
				struct waiter *sw = wp_rec(&pv->wp, s_i);
				post_arm(sw);	/* L6 */
				/* its send, counted here (L12) */
				STAT_ADD(c->n_sent, 1);
				store_link(&pv->v, sw->msg);
				c->curmsgs++;
				c->qsize += sw->len;
				STAT_MAX(c->hw_qsize, c->qsize);
				sw->result = 0;
				post(sw, W_READY);
			}
			STAT_SET(c->rpid, proc_pid());
			STAT_SET(c->rtime, proc_now());
			pend_clear();
			goto out;
		}
		if (which) {
			r = -ENOMSG;
			goto out;
		}
		bool nb = d->nb && pq_nonblocking(d, fd);	/* as do_send */
		if (!w && !nb && pq_spin_first(pv, &spun, EV_RECV_MASK))
			continue;
		if (nb || pq_nonblocking(d, fd)) {
			STAT_ADD(c->n_empty, 1);	/* L12 */
			r = -EAGAIN;
			goto out;
		}
		if (!w) {
			w = waiter_take(&pv->wp, WK_RECV, &me, &r);
			if (!w)
				goto out;
			w->maxsize = len;
		}
		w->msg = NIL;
		r = pq_wait_on(pv, &fd, w, me, true, dl);
		if (__atomic_load_n(&w->futex, __ATOMIC_ACQUIRE) == W_READY) {
			/* Handed over: it wins over a signal or a timeout. */
			r = pq_store_sync(pv);
			/* Only a message in flight to this very record: a
			 * forged one frees no chunk of another message. */
			if (!r && parked(&pv->v, w->msg, me)) {
				r = copy_msg(&pv->v, w->msg, p, len, prio);
				store_free(&pv->v, w->msg);
				STAT_SET(c->rpid, proc_pid());
				STAT_SET(c->rtime, proc_now());
			} else if (!r) {
				r = -EUCLEAN;
			}
			goto out;
		}
		pq_leave_list(pv, w, me, true, r, false);
		if (r)
			goto out;
	}
out:
	if (w) {
		pq_leave_list(pv, w, me, true, 0, true);
		waiter_free(&pv->wp, me);
	}
	mqd_sync(pv, fd);
	pq_reopen(pv);
	pq_unlock(pv);
done:
	bound_leave(outer);
	return r;
}

/* ---- the entry points ------------------------------------------------- */

/* The timeout is checked first, even when nothing would block (B8, B9). */
UMQ_EXPORT int umq_mq_send(mqd_t mqdes, const char *msg_ptr, size_t msg_len,
			   unsigned int msg_prio)
{
	return (int)ret_errno(do_send(mqdes, msg_ptr, msg_len, msg_prio,
				      NULL));
}

/* A NULL timeout blocks without limit, as the system call does. */
UMQ_EXPORT int umq_mq_timedsend(mqd_t mqdes, const char *msg_ptr,
				size_t msg_len, unsigned int msg_prio,
				const struct timespec *abs_timeout)
{
	if (!abs_timeout)
		return umq_mq_send(mqdes, msg_ptr, msg_len, msg_prio);
	return umq_mq_clocksend(mqdes, msg_ptr, msg_len, msg_prio,
				CLOCK_REALTIME, abs_timeout);
}

UMQ_EXPORT int umq_mq_clocksend(mqd_t mqdes, const char *msg_ptr,
				size_t msg_len, unsigned int msg_prio,
				clockid_t clockid,
				const struct timespec *abstime)
{
	struct deadline dl;
	int r;

	pthread_testcancel();	/* before the timeout's check, as do_send */
	r = deadline_make(&dl, clockid, abstime);
	return (int)ret_errno(r ? r : do_send(mqdes, msg_ptr, msg_len,
					      msg_prio, &dl));
}

UMQ_EXPORT ssize_t umq_mq_receive(mqd_t mqdes, char *msg_ptr, size_t msg_len,
				  unsigned int *msg_prio)
{
	return ret_errno(do_receive(mqdes, msg_ptr, msg_len, msg_prio, NULL,
				    NULL));
}

UMQ_EXPORT ssize_t umq_mq_timedreceive(mqd_t mqdes, char *msg_ptr,
				       size_t msg_len, unsigned int *msg_prio,
				       const struct timespec *abs_timeout)
{
	if (!abs_timeout)
		return umq_mq_receive(mqdes, msg_ptr, msg_len, msg_prio);
	return umq_mq_clockreceive(mqdes, msg_ptr, msg_len, msg_prio,
				   CLOCK_REALTIME, abs_timeout);
}

UMQ_EXPORT ssize_t umq_mq_clockreceive(mqd_t mqdes, char *msg_ptr,
				       size_t msg_len, unsigned int *msg_prio,
				       clockid_t clockid,
				       const struct timespec *abstime)
{
	struct deadline dl;
	int r;

	pthread_testcancel();	/* as umq_mq_clocksend */
	r = deadline_make(&dl, clockid, abstime);
	return ret_errno(r ? r : do_receive(mqdes, msg_ptr, msg_len, msg_prio,
					    &dl, NULL));
}

UMQ_EXPORT ssize_t umq_mq_receive_peeked(mqd_t mqdes, char *msg_ptr,
					 size_t msg_len, unsigned int *msg_prio,
					 const struct umq_peek_msg *msg)
{
	if (bad_uptr(msg))
		return ret_errno(-EFAULT);
	if (msg->type < 0 || msg->type >= MQ_PRIO_MAX)
		return ret_errno(-EINVAL);
	return ret_errno(do_receive(mqdes, msg_ptr, msg_len, msg_prio, NULL,
				    msg));
}
