/* SPDX-License-Identifier: MIT */
/*
 * serve.c - the agent's connections: who asks (the OS says, SO_PEERCRED),
 * what, and the answer.
 *
 * Requests are one SOCK_SEQPACKET record each way, so a connection is
 * served when its record is there, in any order.  A connection gets
 * CONN_MS for its record, and a user at most PER_UID connections at a
 * time: one that opens many and sends nothing holds its own slots, not
 * everyone's.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "internal.h"

#define MAX_CONNS	64
#define PER_UID		4
#define CONN_MS		200
#define MAX_PASSED	4	/* descriptors a request may carry */

struct conn {
	int fd;
	struct ucred who;
	long deadline;		/* ms, CLOCK_MONOTONIC */
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The record of connection c, there now: answer it.  Descriptors it
 * should not carry are closed. */
static void serve_one(int dirfd, const struct conn *c)
{
	struct agent_rep rep = { .magic = AGENT_MAGIC, .err = -EINVAL };
	struct agent_req req;
	union {
		char buf[CMSG_SPACE(MAX_PASSED * sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { &req, sizeof(req) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cm.buf,
			     .msg_controllen = sizeof(cm.buf) };
	int fds[MAX_PASSED], nfd = 0, out = -1;
	ssize_t n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);

	for (struct cmsghdr *h = n < 0 ? NULL : CMSG_FIRSTHDR(&mh); h;
	     h = CMSG_NXTHDR(&mh, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (h->cmsg_len - CMSG_LEN(0)) /
		     sizeof(int) && nfd < MAX_PASSED; i++)
			memcpy(&fds[nfd++], CMSG_DATA(h) + i * sizeof(int),
			       sizeof(int));
	}
	if (n != sizeof(req)) {
		for (int i = 0; i < nfd; i++)
			close(fds[i]);
		return;		/* no record, or not ours: no answer */
	}
	if (req.magic == AGENT_MAGIC && req.gen) {
		if (req.op == AGENT_SYNC_SYSV && !nfd) {
			rep.err = agent_sync_queue(dirfd, req.gen, c->who.uid,
						   false);
		} else if (req.op == AGENT_CHARGE_POSIX && !nfd) {
			rep.err = agent_posix_charge_of(dirfd, req.gen,
							c->who.pid,
							&rep.value);
		} else if (req.op == AGENT_OPEN_POSIX && nfd == 1) {
			out = agent_reopen_posix(dirfd, req.gen, fds[0]);
			rep.err = out < 0 ? out : 0;
		}
	}
	for (int i = 0; i < nfd; i++)
		close(fds[i]);
	agent_send(c->fd, &rep, sizeof(rep), out);
	if (out >= 0)
		close(out);
	if (agent_verbose && req.op == AGENT_OPEN_POSIX)
		fprintf(stderr, "umq agent: POSIX queue %016llx opened for "
			"uid %u: %s\n", (unsigned long long)req.gen,
			c->who.uid, rep.err ? strerror(-rep.err) : "done");
}

/* Take the connections waiting on lfd, as many as the limits let in. */
static int take_new(int lfd, struct conn *cs, int n)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		socklen_t len = sizeof(cs[0].who);
		struct ucred who;
		int mine = 0;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				usleep(10000);	/* let some go first */
			return n;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &who, &len)) {
			close(fd);
			continue;
		}
		for (int i = 0; i < n; i++)
			mine += cs[i].who.uid == who.uid;
		if (n == MAX_CONNS || mine >= PER_UID) {
			close(fd);	/* the asker sees no answer */
			continue;
		}
		cs[n++] = (struct conn){ fd, who, now_ms() + CONN_MS };
	}
}

void agent_serve(int dirfd, int lfd, volatile sig_atomic_t *stop)
{
	struct conn cs[MAX_CONNS];
	struct pollfd pf[MAX_CONNS + 1];
	int n = 0;

	while (!*stop) {
		long now = now_ms(), wait = -1;

		for (int i = n - 1; i >= 0; i--) {
			if (cs[i].deadline <= now) {
				close(cs[i].fd);
				cs[i] = cs[--n];
			}
		}
		pf[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < n; i++) {
			pf[i + 1] = (struct pollfd){ .fd = cs[i].fd,
						     .events = POLLIN };
			if (wait < 0 || cs[i].deadline - now < wait)
				wait = cs[i].deadline - now;
		}
		if (poll(pf, (nfds_t)n + 1, (int)wait) < 0)
			continue;	/* EINTR: a signal, maybe stop */
		/* Downwards: the last entry, moved into a served one's
		 * place, has been looked at already. */
		for (int i = n - 1; i >= 0; i--) {
			if (!pf[i + 1].revents)
				continue;
			if (pf[i + 1].revents & POLLIN)
				serve_one(dirfd, &cs[i]);
			close(cs[i].fd);
			cs[i] = cs[--n];
		}
		if (pf[0].revents & POLLIN)
			n = take_new(lfd, cs, n);
	}
	for (int i = 0; i < n; i++)
		close(cs[i].fd);
}
