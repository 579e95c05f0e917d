/* SPDX-License-Identifier: MIT */
/*
 * prog_poll.c - a queue descriptor's readiness, by each way a program asks
 * for it: poll, __poll_chk, ppoll, __ppoll_chk, select, pselect and epoll.
 *
 * For each: a child opens the queue by name and sends N messages with
 * mq_send, more than it holds, while the parent waits for POLLIN (5 s at
 * most) and receives each; then, with the queue empty and full, what the
 * call sees at once (POLLIN clear when empty, POLLOUT clear when full).
 * The parent's descriptor is non-blocking, so that a readiness that never
 * comes ends the case at the wait's deadline, not in mq_receive.  A pipe
 * rides along in every set: not a queue, it must not change errno.
 * Last, poll on a descriptor received in a message (SCM_RIGHTS), which
 * the process has never used before, at a number that poll saw as a
 * plain file before fclose freed it (the preload remembers numbers that
 * are not queues).
 */
#include "prog.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>

#define QNAME	"/prog_poll"
#define MAXMSG	4
#define N	10

/* The fortified calls, declared by <bits/poll2.h> under _FORTIFY_SOURCE
 * only: called by name, as a fortified program calls them. */
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t len);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
		const sigset_t *mask, size_t len);

enum how { POLL, POLL_CHK, PPOLL, PPOLL_CHK, SELECT, PSELECT, EPOLL, NHOW };

static const char *const how_names[] = {
	"poll", "__poll_chk", "ppoll", "__ppoll_chk", "select", "pselect",
	"epoll"
};

static int pfd[2];		/* the pipe: not a queue */
static int ep = -1;		/* EPOLL's set: q added, then modified */

static const char *evstr(int ev)
{
	return (ev & POLLIN) && (ev & POLLOUT) ? "in|out" :
	       ev & POLLIN ? "in" : ev & POLLOUT ? "out" : "none";
}

/* q's readiness among events (POLLIN, POLLOUT) after at most ms, as how
 * sees it; prints the call.  -1: the call failed. */
static int ready(enum how how, mqd_t q, int events, int ms)
{
	struct pollfd fds[2] = {
		{ .fd = pfd[0], .events = POLLIN },
		{ .fd = q, .events = (short)events },
	};
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct epoll_event ev = { .events = 0 }, got[2];
	fd_set r, w;
	long long n;
	int out = 0;

	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(pfd[0], &r);
	if (events & POLLIN)
		FD_SET(q, &r);
	if (events & POLLOUT)
		FD_SET(q, &w);
	switch (how) {
	case POLL:
		n = CALL(poll(fds, 2, ms));
		break;
	case POLL_CHK:
		n = CALL(__poll_chk(fds, 2, ms, sizeof(fds)));
		break;
	case PPOLL:
		n = CALL(ppoll(fds, 2, &ts, NULL));
		break;
	case PPOLL_CHK:
		n = CALL(__ppoll_chk(fds, 2, &ts, NULL, sizeof(fds)));
		break;
	case SELECT:
		n = CALL(select((q > pfd[0] ? q : pfd[0]) + 1, &r, &w, NULL,
				&tv));
		break;
	case PSELECT:
		n = CALL(pselect((q > pfd[0] ? q : pfd[0]) + 1, &r, &w, NULL,
				 &ts, NULL));
		break;
	case EPOLL:
		ev.events = (events & POLLIN ? EPOLLIN : 0) |
			    (events & POLLOUT ? EPOLLOUT : 0);
		ev.data.fd = q;
		if (ep < 0) {
			ep = CALLOK(epoll_create1(EPOLL_CLOEXEC));
			CALL(epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &(struct
				epoll_event){ .events = EPOLLIN,
					      .data.fd = pfd[0] }));
			CALL(epoll_ctl(ep, EPOLL_CTL_ADD, q, &ev));
		} else {
			CALL(epoll_ctl(ep, EPOLL_CTL_MOD, q, &ev));
		}
		n = CALL(epoll_wait(ep, got, 2, ms));
		for (long long i = 0; i < n; i++)
			if (got[i].data.fd == q)
				out = (got[i].events & EPOLLIN ? POLLIN : 0) |
				      (got[i].events & EPOLLOUT ? POLLOUT : 0);
		break;
	default:
		abort();
	}
	if (n < 0)
		return -1;
	if (how == SELECT || how == PSELECT)
		out = (FD_ISSET(q, &r) ? POLLIN : 0) |
		      (FD_ISSET(q, &w) ? POLLOUT : 0);
	else if (how != EPOLL)
		out = fds[1].revents;
	return out;
}

static void sender(void *arg)
{
	char text[16];
	mqd_t q;

	(void)arg;
	q = CALLOK(mq_open(QNAME, O_WRONLY));
	for (int i = 0; i < N; i++) {
		snprintf(text, sizeof(text), "m%d", i);
		CALL(mq_send(q, text, strlen(text) + 1, 0));
	}
	CALL(mq_close(q));
}

/* A child sends N; each is waited for and received. */
static void waited(enum how how, mqd_t q)
{
	char buf[64];
	pid_t kid;
	int ev;

	say("-- %s: waits for each of %d messages", how_names[how], N);
	kid = spawn("sender", sender, NULL);
	for (int i = 0; i < N; i++) {
		ev = ready(how, q, POLLIN, 5000);
		say("  ready: %s", ev < 0 ? "error" : evstr(ev & POLLIN));
		if (ev <= 0 || !(ev & POLLIN)) {
			say("  no message in 5 s: case ends");
			kill(kid, SIGKILL);	/* blocked on a full queue */
			break;
		}
		if (CALL(mq_receive(q, buf, sizeof(buf), NULL)) > 0)
			say("  got \"%s\"", buf);
	}
	reap(kid);
}

/* What the call sees at once, empty, full, and empty again. */
static void states(enum how how, mqd_t q)
{
	char buf[64];
	int i;

	say("-- %s: empty, full, empty", how_names[how]);
	say("  empty: %s", evstr(ready(how, q, POLLIN | POLLOUT, 0)));
	for (i = 0; i < MAXMSG; i++)
		CALL(mq_send(q, "x", 2, 0));
	say("  full: %s", evstr(ready(how, q, POLLIN | POLLOUT, 0)));
	CALL(mq_receive(q, buf, sizeof(buf), NULL));
	say("  one out: %s", evstr(ready(how, q, POLLIN | POLLOUT, 0)));
	for (i = 1; i < MAXMSG; i++)
		CALL(mq_receive(q, buf, sizeof(buf), NULL));
	say("  empty: %s", evstr(ready(how, q, POLLIN | POLLOUT, 0)));
}

/* q, through a socket to ourselves: a new number for its description. */
static int passed(mqd_t q)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = "", byte = 0;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int sv[2], fd = -1;

	struct pollfd pf = { .events = POLLIN };
	FILE *f;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	f = fopen("/dev/null", "re");
	if (!f)
		return -1;
	pf.fd = fileno(f);
	CALL(poll(&pf, 1, 0));
	fclose(f);		/* libc's own close: pf.fd is free */
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &q, sizeof(int));
	if (sendmsg(sv[0], &mh, 0) == 1 &&
	    recvmsg(sv[1], &mh, MSG_CMSG_CLOEXEC) == 1 &&
	    (cm = CMSG_FIRSTHDR(&mh)) && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	say("received at the number fclose freed: %s",
	    fd == pf.fd ? "yes" : "no");
	close(sv[0]);
	close(sv[1]);
	return fd;
}

int main(void)
{
	struct mq_attr a = { .mq_maxmsg = MAXMSG, .mq_msgsize = 16 };
	mqd_t q;

	prog_init(120);
	if (pipe(pfd))
		return 1;
	mq_unlink(QNAME);
	q = CALLOK(mq_open(QNAME, O_RDWR | O_CREAT, 0600, &a));
	if (q < 0)
		return 1;
	CALL(mq_close(q));
	/* A description of its own for each: one that an earlier way
	 * made pollable would hide a way that does not. */
	for (int how = 0; how < NHOW; how++) {
		q = CALLOK(mq_open(QNAME, O_RDWR | O_NONBLOCK));
		if (q < 0)
			break;
		waited(how, q);
		states(how, q);
		if (ep >= 0)
			CALL(close(ep));
		ep = -1;
		CALL(mq_close(q));
	}
	say("-- a descriptor received in a message");
	q = CALLOK(mq_open(QNAME, O_RDWR | O_NONBLOCK));
	if (q >= 0) {
		mqd_t r = CALLOK(passed(q));

		CALL(mq_close(q));
		if (r >= 0) {
			waited(POLL, r);
			states(POLL, r);
			CALL(mq_close(r));
		}
	}
	CALL(mq_unlink(QNAME));
	return 0;
}
