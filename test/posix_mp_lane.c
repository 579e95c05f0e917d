/* SPDX-License-Identifier: MIT */
/*
 * posix_mp_lane.c - posix_mp.c's cases again, with every umq descriptor
 * opened UMQ_O_NOPOLL and watched only once it is polled, as the preload
 * does (preload/poll.c): so that the lane (lane.c, LOCKING L14) carries
 * the traffic of the stream, kill and stress cases whenever it is open,
 * and a poll must still see what the kernel's does.
 *
 *   build/test/posix_mp_lane [case ...]
 */
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "umq.h"

/* umq_mq_watch, keeping errno: EBADF for a kernel queue's descriptor or
 * a pipe's, which need nothing. */
static void watch_fd(int fd)
{
	int e = errno;

	umq_mq_watch(fd);
	errno = e;
}

static int lane_poll(struct pollfd *f, nfds_t n, int ms)
{
	for (nfds_t i = 0; i < n; i++)
		watch_fd(f[i].fd);
	return poll(f, n, ms);
}

static int lane_select(int n, fd_set *r, fd_set *w, fd_set *x,
		       struct timeval *tv)
{
	for (int fd = 0; fd < n; fd++)
		if ((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) ||
		    (x && FD_ISSET(fd, x)))
			watch_fd(fd);
	return select(n, r, w, x, tv);
}

static int lane_epoll_ctl(int ep, int op, int fd, struct epoll_event *ev)
{
	if (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD)
		watch_fd(fd);
	return epoll_ctl(ep, op, fd, ev);
}

#define poll lane_poll
#define select lane_select
#define epoll_ctl lane_epoll_ctl
#define T_MQ_OFLAGS UMQ_O_NOPOLL
#include "posix_mp.c"
