/* SPDX-License-Identifier: MIT */
/*
 * pwatch.c - who may poll a POSIX queue, and so when its lane may take
 * its traffic (DESIGN §7, LOCKING L14).
 *
 * The readiness FIFO (ready.c) is kept exact only while the queue is
 * watched: while some open description of its FIFO holds a read lock on
 * byte WATCH_BYTE (byte 0's lock says that the description is open,
 * posix.c).  pqctl.watch says "perhaps watched": set under the queue
 * lock by a new watcher, once it holds its byte, and cleared under the
 * queue lock by whoever learns from the OS that no description holds
 * the byte any more - at a close, or at an open that does not watch.
 * The OS drops a description's lock with its last descriptor, so a
 * watcher that died is no watcher; a word left set by it costs speed,
 * never an event, until that next close or open.
 *
 * While the word is set the lane stays shut and every change of state
 * updates the FIFO; while it is clear the FIFO holds nothing (POLLOUT
 * only) and no call makes a system call for it.
 *
 * Who watches: a descriptor umq_mq_open() gave without UMQ_O_NOPOLL (a
 * program may poll whatever it holds), and one given to umq_mq_watch() -
 * which the preload calls on every queue descriptor a program passes to
 * poll, ppoll, select, pselect or epoll_ctl.
 */
#include <fcntl.h>
#include <unistd.h>

#include "internal.h"

#define WATCH_BYTE	1

int pq_watch_locked(struct pview *pv, int fd)
{
	struct flock lk = {
		.l_type = F_RDLCK, .l_whence = SEEK_SET,
		.l_start = WATCH_BYTE, .l_len = 1,
	};

	/* A watch keeps the lane shut (lane sends move no FIFO): a lane
	 * the lock could not close (its messages found no page in the
	 * store on a full filesystem) is open still, and the watch would
	 * see an empty queue, and no send, for ever. */
	if (!lane_shut(&pv->ctl->lane))
		return -ENOMEM;
	if (fcntl(fd, F_OFD_SETLK, &lk))
		return errno == EBADF ? -EBADF : -ENOLCK;
	__atomic_store_n(&pv->ctl->watch, 1, __ATOMIC_RELAXED);
	mqd_sync(pv, fd);		/* the FIFO as the queue is now */
	return 0;
}

void pq_watch_check(struct pview *pv, int fd)
{
	struct flock lk = {
		.l_type = F_WRLCK, .l_whence = SEEK_SET,
		.l_start = WATCH_BYTE, .l_len = 1,
	};
	struct pqctl *c = pv->ctl;
	char fifo[64];
	int own = -1;

	if (c->watch && fd < 0) {
		pq_path(fifo, sizeof(fifo), pv->gen, PQ_FIFO);
		fd = own = NOCANCEL(fd_open(pv->ns->dirfd, fifo, O_RDWR |
					    O_NONBLOCK | O_CLOEXEC, 0));
	}
	/* No descriptor: the next close or open tells. */
	if (c->watch && fd >= 0 && !fcntl(fd, F_OFD_GETLK, &lk) &&
	    lk.l_type == F_UNLCK) {
		c->watch = 0;
		mqd_sync(pv, fd);	/* empty: POLLOUT only */
	}
	if (own >= 0)
		NOCANCEL(close(own));
	/* The lock this took closed the lane: open it now, if it may be,
	 * rather than at the next call that empties the queue. */
	pq_reopen(pv);
}

void pq_reopen(struct pview *pv)
{
	const struct pqctl *c = pv->ctl;

	if (!c->curmsgs && c->wl.rhead == NIL && c->wl.shead == NIL &&
	    !c->watch && !c->notify_pid)
		lane_reopen(&pv->lq);
}

UMQ_EXPORT int umq_mq_watch(mqd_t mqdes)
{
	struct pdesc *d;
	int r = pdesc_get(mqdes, &d);

	if (r)
		return (int)ret_errno(r);
	if (d->watched)
		return 0;
	if (pq_mine(d->pv))	/* a signal handler's, in a call (§8) */
		return (int)ret_errno(-EINTR);
	pq_lock(d->pv);
	r = pq_watch_locked(d->pv, mqdes);
	pq_unlock(d->pv);
	if (!r)
		d->watched = true;
	return (int)ret_errno(r);
}
