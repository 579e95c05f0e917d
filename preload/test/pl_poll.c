/* SPDX-License-Identifier: MIT */
/*
 * pl_poll.c - the preload's readiness calls (preload/poll.c) beyond what
 * prog_poll compares with the kernel: the message already there when a
 * descriptor is first polled shows at once, by libc's calls and by
 * syscall() alike; a bad address is libc's EFAULT, not a crash; errno is
 * the program's after a set of descriptors that are not queues; on a full
 * filesystem a queue that cannot be watched fails the call (ENOMEM) where
 * it hung until December 6.
 */
#include "pt.h"

#include <fcntl.h>
#include <errno.h>
#include <mqueue.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <unistd.h>

#define QNAME	"/pl_poll"

enum how { POLL, PPOLL, SELECT, PSELECT, EPOLL, SYS_POLL_, SYS_PPOLL_,
	   SYS_SELECT_, SYS_PSELECT_, SYS_EPOLL_, NHOW };

static const char *const names[] = {
	"poll", "ppoll", "select", "pselect", "epoll", "SYS_poll",
	"SYS_ppoll", "SYS_select", "SYS_pselect6", "SYS_epoll_ctl"
};

/* Is q readable at once, as how sees it? */
static bool readable(enum how how, mqd_t q)
{
	struct pollfd p = { .fd = q, .events = POLLIN };
	struct timespec ts = { 0, 0 };
	struct timeval tv = { 0, 0 };
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = q };
	fd_set r;
	int ep, n;

	FD_ZERO(&r);
	FD_SET(q, &r);
	switch (how) {
	case POLL:
		return T_OK(poll(&p, 1, 0)) == 1 && (p.revents & POLLIN);
	case PPOLL:
		return T_OK(ppoll(&p, 1, &ts, NULL)) == 1 &&
		       (p.revents & POLLIN);
	case SYS_POLL_:
		return T_OK(syscall(SYS_poll, &p, 1, 0)) == 1 &&
		       (p.revents & POLLIN);
	case SYS_PPOLL_:
		return T_OK(syscall(SYS_ppoll, &p, 1, &ts, NULL, 8)) == 1 &&
		       (p.revents & POLLIN);
	case SELECT:
		return T_OK(select(q + 1, &r, NULL, NULL, &tv)) == 1;
	case PSELECT:
		return T_OK(pselect(q + 1, &r, NULL, NULL, &ts, NULL)) == 1;
	case SYS_SELECT_:
		return T_OK(syscall(SYS_select, q + 1, &r, NULL, NULL,
				    &tv)) == 1;
	case SYS_PSELECT_:
		return T_OK(syscall(SYS_pselect6, q + 1, &r, NULL, NULL, &ts,
				    NULL)) == 1;
	case EPOLL:
	case SYS_EPOLL_:
		ep = (int)T_OK(epoll_create1(EPOLL_CLOEXEC));
		if (how == EPOLL)
			T_OK(epoll_ctl(ep, EPOLL_CTL_ADD, q, &ev));
		else
			T_OK(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, q, &ev));
		n = (int)T_OK(epoll_wait(ep, &ev, 1, 0));
		close(ep);
		return n == 1 && (ev.events & EPOLLIN);
	default:
		abort();
	}
}

/*
 * A message sent while nothing watches leaves the FIFO empty; the first
 * readiness call on a new description must see it.  Each way on a
 * description of its own, opened after the last watcher closed.
 */
T_CASE(a_message_before_the_first_poll)
{
	struct mq_attr a = { .mq_maxmsg = 2, .mq_msgsize = 8 };
	mqd_t q;

	mq_unlink(QNAME);
	q = (mqd_t)T_OK(mq_open(QNAME, O_RDWR | O_CREAT, 0600, &a));
	T_OK(mq_send(q, "m", 1, 0));
	T_OK(mq_close(q));
	for (int how = 0; how < NHOW; how++) {
		q = (mqd_t)T_OK(mq_open(QNAME, O_RDWR | O_NONBLOCK));
		if (!readable(how, q))
			T_FAIL("%s: the queued message does not show",
			       names[how]);
		T_OK(mq_close(q));
	}
	T_OK(mq_unlink(QNAME));
}

/*
 * The preload opens queues unwatched (UMQ_O_NOPOLL) and watches one at
 * its first readiness call, which needs the queue's lane shut - its
 * messages moved into the store.  On a full filesystem the store may
 * have no page for them: then each way fails with ENOMEM (until December
 * 6 it went on unwatched, and a poll for POLLIN slept through the queued
 * messages); with room again, each sees them.
 */
T_CASE_F(a_queue_that_cannot_be_watched_is_enomem, T_NO_KERNEL_NS)
{
	struct mq_attr a = { .mq_maxmsg = 10, .mq_msgsize = 200 };
	char buf[200] = "x";
	mqd_t q;

	t_small_ns();
	q = (mqd_t)T_OK(mq_open(QNAME, O_RDWR | O_CREAT | O_NONBLOCK, 0600,
				&a));
	for (int i = 0; i < 3; i++)
		T_OK(mq_send(q, buf, sizeof(buf), 0));	/* the lane */
	t_fill_up();
	{
		struct pollfd p = { .fd = q, .events = POLLIN };
		struct epoll_event ev = { .events = EPOLLIN };
		struct timeval tv = { 0, 0 };
		int ep = (int)T_OK(epoll_create1(EPOLL_CLOEXEC));
		fd_set r;

		FD_ZERO(&r);
		FD_SET(q, &r);
		T_ERR(poll(&p, 1, 0), ENOMEM);
		T_ERR(syscall(SYS_poll, &p, 1, 0), ENOMEM);
		T_ERR(select(q + 1, &r, NULL, NULL, &tv), ENOMEM);
		T_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, q, &ev), ENOMEM);
		close(ep);
	}
	t_room();
	for (int how = 0; how < NHOW; how++)
		if (!readable(how, q))
			T_FAIL("%s: the queued messages do not show",
			       names[how]);
	T_OK(mq_close(q));
	T_OK(mq_unlink(QNAME));
}

/* A page that is not there: the kernel's EFAULT, through libc's call. */
T_CASE(bad_addresses_are_efault)
{
	struct timespec ts = { 0, 0 };
	struct timeval tv = { 0, 0 };
	long pg = sysconf(_SC_PAGESIZE);
	void *bad = mmap(NULL, (size_t)pg, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	T_ASSERT(bad != MAP_FAILED);
	munmap(bad, (size_t)pg);
	T_ERR(poll(bad, 1, 0), EFAULT);
	T_ERR(ppoll(bad, 1, &ts, NULL), EFAULT);
	T_ERR(syscall(SYS_poll, bad, 1, 0), EFAULT);
	T_ERR(select(3, bad, NULL, NULL, &tv), EFAULT);
	T_ERR(pselect(3, NULL, bad, NULL, &ts, NULL), EFAULT);
	T_ERR(syscall(SYS_select, 3, NULL, NULL, bad, &tv), EFAULT);
}

/* Descriptors that are no queues, one of them not open: the EBADF the
 * library gives for each stays out of errno. */
T_CASE(errno_after_other_descriptors)
{
	struct pollfd p[3] = { { .events = POLLIN }, { .events = POLLOUT },
			       { .fd = 900, .events = POLLIN } };
	struct timeval tv = { 0, 0 };
	int pfd[2];
	fd_set w;

	T_OK(pipe(pfd));
	p[0].fd = pfd[0];
	p[1].fd = pfd[1];
	for (int i = 0; i < 2; i++) {	/* the second from memory */
		errno = EDOM;
		T_EQ(poll(p, 3, 0), 2);		/* POLLOUT, POLLNVAL */
		T_EQ(errno, EDOM);
		T_EQ(p[2].revents, POLLNVAL);
		FD_ZERO(&w);
		FD_SET(pfd[1], &w);
		errno = EDOM;
		T_EQ(select(pfd[1] + 1, NULL, &w, NULL, &tv), 1);
		T_EQ(errno, EDOM);
	}
	close(pfd[0]);
	close(pfd[1]);
}

int main(int argc, char **argv)
{
	pt_reexec(argc, argv);
	return t_main(argc, argv);
}
