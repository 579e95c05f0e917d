/* SPDX-License-Identifier: MIT */
/*
 * poll.c - readiness calls see queue descriptors exactly.
 *
 * The preload opens every queue UMQ_O_NOPOLL (mq.c), so a descriptor's
 * FIFO shows POLLOUT only until its description watches (src/pwatch.c).
 * poll, ppoll, select, pselect, epoll_ctl's EPOLL_CTL_ADD and
 * EPOLL_CTL_MOD, and the fortified __poll_chk and __ppoll_chk make each
 * queue descriptor they are given a watcher first, then call libc's
 * function with everything untouched: timeouts, EINTR, results and errno
 * are libc's.
 *
 * The cost for other descriptors: one table load for a number the
 * library has a record of, and a flag once it watches.  A number it has
 * no record of may still be a queue (one received in a message): the
 * library recognizes it by its FIFO (src/pdesc.c's discover, an fstat
 * first), and a number found not to be one is remembered as such, so
 * that the next call costs three loads, until the number is closed or
 * replaced (fd.c) or a descriptor may have arrived unseen (recv.c,
 * syscall.c): each such arrival forgets every number at once.  What
 * stays unseen is a number closed behind libc's back (fclose) and then
 * given a queue by a raw system call or io_uring; a call on the queue
 * there (mq_receive ...) records it all the same.
 *
 * The program's arrays are read as the kernel reads them (ucopy): a bad
 * address is left to libc's call, and its EFAULT.
 */
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "preload.h"

/* The kernel allows no more descriptors than this (fs.nr_open's top);
 * nor does the library's table (pdesc.c). */
#define FD_TOP	(1 << 20)

/* pollfds read in chunks, on the stack. */
#define CHUNK	64

/*
 * Per number, the era + 1 in which it was found not to be a queue (0:
 * not known); notq_flush() starts a new era.  Untouched pages cost no
 * memory.  A verdict is stamped with the era read before it was reached,
 * so an arrival meanwhile voids it.
 */
static unsigned notq[FD_TOP];
static unsigned era;

void notq_forget(int fd)
{
	if (fd >= 0 && fd < FD_TOP &&
	    __atomic_load_n(&notq[fd], __ATOMIC_RELAXED))
		__atomic_store_n(&notq[fd], 0, __ATOMIC_RELAXED);
}

void notq_flush(void)
{
	__atomic_add_fetch(&era, 1, __ATOMIC_ACQ_REL);
}

/* -1 if fd is a queue that cannot be watched for want of memory (its
 * lane could not be closed, on a full filesystem): its readiness would
 * not show a message, so the call fails with ENOMEM, as the kernel's
 * do when they cannot allocate. */
static int watch(int fd)
{
	struct pdesc *d = dslot(fd, false);
	unsigned e, n;

	if (d && __atomic_load_n(&d->pv, __ATOMIC_ACQUIRE)) {
		if (!d->watched && umq_mq_watch(fd) && errno == ENOMEM)
			return -1;
		return 0;
	}
	if (fd >= FD_TOP)
		return umq_mq_watch(fd) && errno == ENOMEM ? -1 : 0;
	e = __atomic_load_n(&era, __ATOMIC_ACQUIRE) + 1;
	n = __atomic_load_n(&notq[fd], __ATOMIC_RELAXED);
	if (n && n == e)
		return 0;
	if (!umq_mq_watch(fd))
		return 0;
	if (errno == EBADF)	/* not a queue */
		__atomic_store_n(&notq[fd], e, __ATOMIC_RELEASE);
	return errno == ENOMEM ? -1 : 0;
}

int watch_pollfds(const struct pollfd *fds, nfds_t n)
{
	struct pollfd buf[CHUNK];
	int e = errno, r = 0;

	if (bad_uptr(fds))
		return 0;
	if (n > FD_TOP)		/* EINVAL from the kernel */
		n = FD_TOP;
	for (nfds_t i = 0; i < n; i += CHUNK) {
		nfds_t k = n - i < CHUNK ? n - i : CHUNK;

		if (ucopy(buf, fds + i, k * sizeof(*buf)))
			break;
		for (nfds_t j = 0; j < k; j++)
			if (buf[j].fd >= 0 &&	/* poll skips the others */
			    watch(buf[j].fd))
				r = -1;
	}
	errno = r ? ENOMEM : e;
	return r;
}

/* The descriptors below n in any of the sets, as select reads them: the
 * words that hold n bits. */
int watch_fdsets(int n, fd_set *const sets[3])
{
	enum { BITS = 8 * sizeof(unsigned long), WORDS = 16 };
	unsigned long w[3][WORDS];
	int e = errno, r = 0;

	if (n > FD_TOP)
		n = FD_TOP;
	for (int base = 0; base < n; base += WORDS * BITS) {
		size_t words = ((size_t)(n - base) + BITS - 1) / BITS;

		if (words > WORDS)
			words = WORDS;
		for (int s = 0; s < 3; s++)
			if (!sets[s] || bad_uptr(sets[s]) ||
			    ucopy(w[s], (char *)sets[s] + base / 8,
				  words * sizeof(w[s][0])))
				memset(w[s], 0, sizeof(w[s]));
		for (size_t i = 0; i < words; i++) {
			unsigned long m = w[0][i] | w[1][i] | w[2][i];

			for (; m; m &= m - 1) {
				int fd = base + (int)i * BITS +
					 __builtin_ctzl(m);

				if (fd < n && watch(fd))
					r = -1;
			}
		}
	}
	errno = r ? ENOMEM : e;
	return r;
}

INTERPOSE(int, poll, struct pollfd *fds, nfds_t n, int timeout)
{
	if (watch_pollfds(fds, n))
		return -1;
	return libc_poll(fds, n, timeout);
}

INTERPOSE(int, ppoll, struct pollfd *fds, nfds_t n, const struct timespec *ts,
	  const sigset_t *mask)
{
	if (watch_pollfds(fds, n))
		return -1;
	return libc_ppoll(fds, n, ts, mask);
}

/* Only as much of the array as the buffer holds: past it, libc's check
 * aborts. */
INTERPOSE(int, __poll_chk, struct pollfd *fds, nfds_t n, int timeout,
	  size_t len)
{
	if (watch_pollfds(fds, n < len / sizeof(*fds) ? n : len / sizeof(*fds)))
		return -1;
	return libc_poll_chk(fds, n, timeout, len);
}

INTERPOSE(int, __ppoll_chk, struct pollfd *fds, nfds_t n,
	  const struct timespec *ts, const sigset_t *mask, size_t len)
{
	if (watch_pollfds(fds, n < len / sizeof(*fds) ? n : len / sizeof(*fds)))
		return -1;
	return libc_ppoll_chk(fds, n, ts, mask, len);
}

INTERPOSE(int, select, int n, fd_set *r, fd_set *w, fd_set *x,
	  struct timeval *tv)
{
	if (watch_fdsets(n, (fd_set *const[3]){ r, w, x }))
		return -1;
	return libc_select(n, r, w, x, tv);
}

INTERPOSE(int, pselect, int n, fd_set *r, fd_set *w, fd_set *x,
	  const struct timespec *ts, const sigset_t *mask)
{
	if (watch_fdsets(n, (fd_set *const[3]){ r, w, x }))
		return -1;
	return libc_pselect(n, r, w, x, ts, mask);
}

int watch_epoll(int op, int fd)
{
	int e = errno, r = 0;

	if ((op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) && watch(fd))
		r = -1;
	errno = r ? ENOMEM : e;
	return r;
}

INTERPOSE(int, epoll_ctl, int epfd, int op, int fd, struct epoll_event *ev)
{
	if (watch_epoll(op, fd))
		return -1;
	return libc_epoll_ctl(epfd, op, fd, ev);
}
