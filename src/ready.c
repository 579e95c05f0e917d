/* SPDX-License-Identifier: MIT */
/*
 * ready.c - readiness: a FIFO beside each queue that poll, select and
 * epoll see as the kernel's mqueue_poll_file() reports the queue, POLLIN
 * while it holds a message and POLLOUT while it has room (DESIGN.md §7).
 *
 * A pipe's poll counts buffer slots, not bytes (pipe_poll: readable while
 * a slot is used, writable while one is free).  So the FIFO is sized to
 * two slots and holds one-byte buffers, one per slot:
 *
 *	queue	  slots used	a read-write descriptor polls
 *	empty	  0		POLLOUT
 *	partial	  1		POLLIN | POLLOUT
 *	full	  2		POLLIN
 *
 * Bytes go in with vmsplice(), which gives every segment a buffer of its
 * own that no later write merges into, never blocks with
 * SPLICE_F_NONBLOCK even on a blocking descriptor, and refuses anything
 * but a pipe; they come out with read(), bounded by FIONREAD so that it
 * cannot block.  Only a change of state costs system calls.
 *
 * Under the queue lock: the libc calls that are cancellation points are
 * made with cancellation disabled (NOCANCEL), so that a request does not
 * end the thread there, holding the lock.
 *
 * The state the FIFO was last given lives with the queue, under its lock,
 * and is marked unknown while it changes: a holder that dies in between
 * leaves "unknown", and the next holder starts the FIFO afresh.  So does
 * whoever finds the FIFO other than it should be (a pipe freed with its
 * last descriptor, or a foreign read).
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

/* What vmsplice() hands the pipe: its bytes are never looked at. */
static char ballast[RS_FULL];

/* Add n one-byte buffers: 0 or -errno. */
static int put(int fd, uint32_t n)
{
	struct iovec iov[RS_FULL] = {
		{ &ballast[0], 1 }, { &ballast[1], 1 },
	};

	if (!n)
		return 0;
	return NOCANCEL(vmsplice(fd, iov, n, SPLICE_F_NONBLOCK)) ==
	       (ssize_t)n ? 0 :
	       -EAGAIN;
}

/* Bytes in the pipe, or -errno. */
static int held(int fd)
{
	int n;

	return ioctl(fd, FIONREAD, &n) ? -errno : n;
}

int ready_reset(int fd, uint32_t *have, uint32_t want)
{
	int two = 2 * (int)sysconf(_SC_PAGESIZE);
	int size = fcntl(fd, F_GETPIPE_SZ), n, i;
	char buf[256];

	*have = RS_UNKNOWN;
	if (size < 0)
		return -EBADF;	/* not a pipe: never read or write it */
	for (i = 0; i < 4096 && (n = held(fd)) > 0; i++)
		if (NOCANCEL(read(fd, buf, (size_t)n < sizeof(buf) ?
				  (size_t)n : sizeof(buf))) <= 0)
			break;
	if (n)
		return n < 0 ? n : -EAGAIN;
	/* Two slots.  A pipe that cannot shrink (pipe-max-size below two
	 * pages) still gives POLLIN exactly, and POLLOUT always. */
	if (size != two)
		fcntl(fd, F_SETPIPE_SZ, two);
	n = put(fd, want);
	if (!n)
		*have = want;
	return n;
}

/* A FIFO its caller has just made, which nobody has written but under
 * the queue lock (so *have says what it holds): given its two slots. */
int ready_new(int fd, uint32_t *have, uint32_t want)
{
	fcntl(fd, F_SETPIPE_SZ, 2 * (int)sysconf(_SC_PAGESIZE));
	return ready_set(fd, have, want);
}

int ready_set(int fd, uint32_t *have, uint32_t want)
{
	uint32_t h = *have;
	char buf[RS_FULL];
	int r = 0;

	if (h == want)
		return 0;
	if (h > RS_FULL)
		return ready_reset(fd, have, want);
	*have = RS_UNKNOWN;	/* until the pipe says what we write next */
	if (want > h)
		r = put(fd, want - h);
	else if (held(fd) != (int)h ||
		 NOCANCEL(read(fd, buf, h - want)) != (ssize_t)(h - want))
		r = -EAGAIN;
	if (r)
		return ready_reset(fd, have, want);
	*have = want;
	return 0;
}

/* ---- System V queues watched by umq_msgfd() --------------------------- */

void msgfd_path(char *buf, size_t n, uint64_t gen)
{
	snprintf(buf, n, "sysv/m.%016llx.p", (unsigned long long)gen);
}

/* Readable while a message is queued; writable while a one-byte message
 * would fit (msg_fits_inqueue). */
uint32_t msgfd_state(const struct qctl *q)
{
	return rs_of(q->qnum > 0, q->cbytes < q->qbytes &&
		     q->qnum < q->qbytes);
}

/*
 * The queue's FIFO, opened for a moment, or -1.  A FIFO no umq_msgfd()
 * descriptor holds (each holds a read lock, as mqd_t's do) is watched by
 * nobody any more: the queue goes back to costing no system call.
 */
static int watched_fifo(struct ns *ns, struct qctl *q)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[48];
	int fd;

	msgfd_path(path, sizeof(path), q->gen);
	fd = NOCANCEL(fd_open(ns->dirfd, path,
			      O_RDWR | O_NONBLOCK | O_CLOEXEC, 0));
	if (fd < 0) {
		if (errno == ENOENT)
			q->watch = 0;
		return -1;
	}
	if (!fcntl(fd, F_OFD_GETLK, &fl) && fl.l_type == F_UNLCK) {
		q->watch = 0;
		NOCANCEL(close(fd));
		return -1;
	}
	return fd;
}

void msgfd_update(struct sq *s)
{
	struct ns *ns = s->ns;
	struct qctl *q = s->q;
	uint32_t want = msgfd_state(q);
	int fd;

	if (want == q->rstate)
		return;
	fd = watched_fifo(ns, q);
	if (fd >= 0) {
		ready_set(fd, &q->rstate, want);
		NOCANCEL(close(fd));
	}
}

/*
 * IPC_RMID: the descriptors poll readable and writable for good, so that
 * an event loop calls msgrcv or msgsnd and learns (EINVAL) that the queue
 * is gone.  (A FIFO that its own descriptors read and write cannot show
 * POLLHUP or POLLERR.)
 */
void msgfd_gone(struct sq *s)
{
	struct ns *ns = s->ns;
	struct qctl *q = s->q;
	char path[48];
	uint32_t st;
	int fd;

	if (!q->watch)
		return;
	fd = watched_fifo(ns, q);
	if (fd >= 0) {
		ready_reset(fd, &st, RS_SOME);
		NOCANCEL(close(fd));
	}
	msgfd_path(path, sizeof(path), q->gen);
	unlinkat(ns->dirfd, path, 0);
	q->watch = 0;
}
