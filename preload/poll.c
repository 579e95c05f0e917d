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
 * library has a record of, and for one it has none of, the fstat with
 * which the library recognizes a queue it has not seen (src/pdesc.c's
 * discover: a number may name a queue received in a message or made by
 * a raw system call, and nothing local tells).  A descriptor that
 * watches already costs a flag; one that is not a queue, EBADF, which
 * the program does not see.
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

static void watch(int fd)
{
	struct pdesc *d = dslot(fd, false);

	if (d && __atomic_load_n(&d->pv, __ATOMIC_ACQUIRE) && d->watched)
		return;
	umq_mq_watch(fd);	/* EBADF: not a queue */
}

static void watch_pollfds(const struct pollfd *fds, nfds_t n)
{
	struct pollfd buf[CHUNK];
	int e = errno;

	if (bad_uptr(fds))
		return;
	if (n > FD_TOP)		/* EINVAL from the kernel */
		n = FD_TOP;
	for (nfds_t i = 0; i < n; i += CHUNK) {
		nfds_t k = n - i < CHUNK ? n - i : CHUNK;

		if (ucopy(buf, fds + i, k * sizeof(*buf)))
			break;
		for (nfds_t j = 0; j < k; j++)
			if (buf[j].fd >= 0)	/* poll skips the others */
				watch(buf[j].fd);
	}
	errno = e;
}

/* The descriptors below n in any of the sets, as select reads them: the
 * words that hold n bits. */
static void watch_fdsets(int n, fd_set *const sets[3])
{
	enum { BITS = 8 * sizeof(unsigned long), WORDS = 16 };
	unsigned long w[3][WORDS];
	int e = errno;

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

				if (fd < n)
					watch(fd);
			}
		}
	}
	errno = e;
}

INTERPOSE(int, poll, struct pollfd *fds, nfds_t n, int timeout)
{
	watch_pollfds(fds, n);
	return libc_poll(fds, n, timeout);
}

INTERPOSE(int, ppoll, struct pollfd *fds, nfds_t n, const struct timespec *ts,
	  const sigset_t *mask)
{
	watch_pollfds(fds, n);
	return libc_ppoll(fds, n, ts, mask);
}

/* Only as much of the array as the buffer holds: past it, libc's check
 * aborts. */
INTERPOSE(int, __poll_chk, struct pollfd *fds, nfds_t n, int timeout,
	  size_t len)
{
	watch_pollfds(fds, n < len / sizeof(*fds) ? n : len / sizeof(*fds));
	return libc_poll_chk(fds, n, timeout, len);
}

INTERPOSE(int, __ppoll_chk, struct pollfd *fds, nfds_t n,
	  const struct timespec *ts, const sigset_t *mask, size_t len)
{
	watch_pollfds(fds, n < len / sizeof(*fds) ? n : len / sizeof(*fds));
	return libc_ppoll_chk(fds, n, ts, mask, len);
}

INTERPOSE(int, select, int n, fd_set *r, fd_set *w, fd_set *x,
	  struct timeval *tv)
{
	watch_fdsets(n, (fd_set *const[3]){ r, w, x });
	return libc_select(n, r, w, x, tv);
}

INTERPOSE(int, pselect, int n, fd_set *r, fd_set *w, fd_set *x,
	  const struct timespec *ts, const sigset_t *mask)
{
	watch_fdsets(n, (fd_set *const[3]){ r, w, x });
	return libc_pselect(n, r, w, x, ts, mask);
}

INTERPOSE(int, epoll_ctl, int epfd, int op, int fd, struct epoll_event *ev)
{
	if (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) {
		int e = errno;

		watch(fd);
		errno = e;
	}
	return libc_epoll_ctl(epfd, op, fd, ev);
}
