/* SPDX-License-Identifier: MIT */
/*
 * serve.c - the agent's connections: who asks (the OS says, SO_PEERCRED),
 * what, and the answer.
 *
 * Each connection is served by a child process of its own, which exits
 * when it has answered: the last reference to whatever a user passed
 * (descriptors in its request, or in messages queued after it, or inside
 * a passed socket) is dropped there, and a close that waits (a TCP
 * socket's SO_LINGER, a FUSE file's flush) holds that child only, killed
 * at its deadline; the child leaves the connection read-shut and empty,
 * so that the agent's own close of it, first or last, releases nothing.  The agent itself never receives anything.  At most
 * MAX_CHILDREN at once (more connections wait in the backlog),
 * MAX_PER_UID serving one user's: that user's next connections are
 * closed at once, if nothing is queued on them, else by a child that
 * serves nothing.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "internal.h"

#define RECV_MS		200	/* for a request to arrive */
#define MAX_PASSED	4	/* descriptors a request may carry */
#define MAX_CHILDREN	128
#define MAX_PER_UID	8
#define CHILD_MS	(3 * RECV_MS)	/* receive, work, answer */

/*
 * Close a descriptor a user passed: ours may be its last reference, and
 * the last close of a socket with SO_LINGER and data its peer does not
 * take waits for the linger time (a TCP socket: up to hours), holding
 * this request's answer until its child is killed.  Aborted instead: the
 * data was the sender's.
 */
static void drop_passed(int fd)
{
	struct linger lg = { 1, 0 };

	/* ENOTSOCK for the rest. */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77		/* Linux 6.5 */
#endif

/*
 * Whether what /proc/<pid> said was about the asker: a pid is reused only
 * once its process is gone, so it was if the asker still lives after the
 * look.  The OS pins the asker with a pidfd (SO_PEERPIDFD, taken before
 * the look); a kernel without it leaves the pid alone to go by.
 */
static bool asker_lived(int pidfd)
{
	return pidfd < 0 ||
	       !syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0);
}

/* The descriptors a message received into a buffer of MAX_PASSED
 * carried (more did not fit: the kernel closed them, here), into fds:
 * their count. */
static int passed_fds(struct msghdr *mh, int *fds)
{
	int nfd = 0;

	for (struct cmsghdr *h = CMSG_FIRSTHDR(mh); h;
	     h = CMSG_NXTHDR(mh, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (h->cmsg_len - CMSG_LEN(0)) /
		     sizeof(int) && nfd < MAX_PASSED; i++)
			memcpy(&fds[nfd++], CMSG_DATA(h) + i * sizeof(int),
			       sizeof(int));
	}
	return nfd;
}

/* Answer the request that comes on c (the OS said uc sent it), in a
 * child of its own. */
static void serve_one(int dirfd, int c, const struct ucred *uc)
{
	struct timeval tv = { 0, RECV_MS * 1000 };
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
	int fds[MAX_PASSED], nfd = 0, out = -1, pidfd;
	socklen_t plen = sizeof(pidfd);
	ssize_t n;

	if (setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return;
	n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)	/* msg_controllen is left as it was: the buffer is
			 * stale, its numbers perhaps our descriptors now */
		mh.msg_controllen = 0;
	nfd = passed_fds(&mh, fds);
	if (getsockopt(c, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &plen))
		pidfd = -1;
	if (n == sizeof(req) && req.magic == AGENT_MAGIC && req.gen) {
		if (req.op == AGENT_SYNC_SYSV && !nfd) {
			rep.err = agent_sync_queue(dirfd, req.gen, uc->uid,
				&(struct env_perm){ .uid = req.uid,
						    .gid = req.gid,
						    .mode = req.mode });
		} else if (req.op == AGENT_CHARGE_POSIX && !nfd) {
			rep.err = agent_posix_charge_of(dirfd, req.gen,
							uc->pid, &rep.value);
		} else if (req.op == AGENT_HOLDER && !nfd) {
			rep.err = agent_holder_maps(dirfd, req.gen, req.mode,
						    uc->pid, req.tid,
						    &rep.value);
		} else if (req.op == AGENT_OPEN_POSIX && nfd == 1) {
			out = agent_reopen_posix(dirfd, req.gen, fds[0]);
			rep.err = out < 0 ? out : 0;
		}
		/* These two read the asker's /proc/<pid>. */
		if ((req.op == AGENT_CHARGE_POSIX || req.op == AGENT_HOLDER) &&
		    !asker_lived(pidfd)) {
			rep.err = -ESRCH;
			rep.value = 0;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	for (int i = 0; i < nfd; i++)
		drop_passed(fds[i]);
	agent_send(c, &rep, sizeof(rep), out);
	if (out >= 0)
		close(out);
	if (agent_verbose && n == sizeof(req) && req.op == AGENT_OPEN_POSIX)
		fprintf(stderr, "umq agent: POSIX queue %016llx opened for "
			"uid %u: %s\n", (unsigned long long)req.gen, uc->uid,
			rep.err ? strerror(-rep.err) : "done");
}

/*
 * Before a child exits: the connection read-shut, so that its peer can
 * queue nothing more, and what is queued received and dropped here.
 * Else the agent's close of its copy, when it came after the child's
 * exit, was the last and released it in the agent: a passed socket's
 * linger held the agent for its time (attack.c, under load).
 */
static void drain(int c)
{
	union {
		char buf[CMSG_SPACE(MAX_PASSED * sizeof(int))];
		struct cmsghdr align;
	} cm;
	char data[sizeof(struct agent_req)];

	shutdown(c, SHUT_RD);
	for (int round = 0; round < 4096; round++) {
		struct iovec iov = { data, sizeof(data) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cm.buf,
				     .msg_controllen = sizeof(cm.buf) };
		ssize_t n = recvmsg(c, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		int fds[MAX_PASSED], nfd;

		if (n < 0)
			return;
		nfd = passed_fds(&mh, fds);
		for (int i = 0; i < nfd; i++)
			drop_passed(fds[i]);
		if (n == 0 && !mh.msg_controllen)
			return;		/* nothing left */
	}
}

struct child {
	pid_t pid;
	uid_t uid;
	long until;		/* ms, CLOCK_MONOTONIC */
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/*
 * Close a connection here, unserved, if nothing is queued on it: what a
 * queued message carries would be released here, in the agent (above).
 * Read-shut first, so that nothing can be queued after the look.
 */
static bool drop_empty(int fd)
{
	int queued = 1;

	if (shutdown(fd, SHUT_RD) || ioctl(fd, FIONREAD, &queued) || queued)
		return false;
	close(fd);
	return true;
}

static void take_new(int dirfd, int lfd, struct child *cs, int *n,
		     const sigset_t *unblocked)
{
	/* A bounded round: reaping and deadlines come between. */
	for (int round = 0; round < MAX_CHILDREN && *n < MAX_CHILDREN;
	     round++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), same = 0;
		struct ucred uc;
		socklen_t len = sizeof(uc);
		bool serve = true;
		pid_t pid;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				usleep(10000);
			if (errno != ECONNABORTED)
				return;
			continue;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len))
			serve = false;
		for (int i = 0; serve && i < *n; i++)
			same += cs[i].uid == uc.uid;
		if (same >= MAX_PER_UID)
			serve = false;
		/* Not served: closed here if it is empty, else by a child
		 * all the same (the cap on children still holds). */
		if (!serve && drop_empty(fd))
			continue;
		pid = fork();
		if (pid == 0) {
			close(lfd);
			sigprocmask(SIG_SETMASK, unblocked, NULL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			if (serve)
				serve_one(dirfd, fd, &uc);
			drain(fd);
			_exit(0);
		}
		close(fd);	/* empty once the child is done (drain) */
		if (pid > 0)
			cs[(*n)++] = (struct child){ pid, uc.uid,
						     now_ms() + CHILD_MS };
	}
}

void agent_serve(int dirfd, int lfd, volatile sig_atomic_t *stop,
		 const sigset_t *unblocked)
{
	static struct child cs[MAX_CHILDREN];
	int n = 0;

	for (;;) {
		struct pollfd pf = {
			.fd = *stop || n == MAX_CHILDREN ? -1 : lfd,
			.events = POLLIN,
		};
		long now = now_ms(), wait = -1;
		struct timespec ts;

		for (int i = n - 1; i >= 0; i--) {
			int st;

			if (waitpid(cs[i].pid, &st, WNOHANG) == cs[i].pid) {
				cs[i] = cs[--n];
				continue;
			}
			if (*stop || cs[i].until <= now)
				kill(cs[i].pid, SIGKILL);	/* too late */
			else if (wait < 0 || cs[i].until - now < wait)
				wait = cs[i].until - now;
		}
		if (*stop && !n)
			break;
		if (*stop)
			wait = 10;	/* killed: reaped next time round */
		ts = (struct timespec){ wait / 1000, wait % 1000 * 1000000 };
		if (ppoll(&pf, 1, wait < 0 ? NULL : &ts, unblocked) < 0)
			continue;	/* EINTR: stop or a child */
		/* At MAX_CHILDREN, new connections wait in the backlog: any
		 * may carry descriptors, so none is closed here unread. */
		if (pf.revents && !*stop)
			take_new(dirfd, lfd, cs, &n, unblocked);
	}
}
