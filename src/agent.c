/* SPDX-License-Identifier: MIT */
/*
 * agent.c - asking a namespace's agent (agent/, `umq agent`) for what
 * the OS does not let the caller do itself: make a System V queue's files
 * match its permissions after an IPC_SET, open a POSIX queue's file for
 * a process that holds one of its descriptors (passed to it by a process
 * that could open the queue), tell what a POSIX queue the caller may
 * not read charges to its real uid (RLIMIT_MSGQUEUE), or whether another
 * user's thread that seems to hold a queue's lock could (holder.c).
 *
 * The agent listens on <namespace>/agent.  It is believed only if the
 * OS says root is at the other end (SO_PEERCRED): anyone can make a
 * socket of that name in the sticky directory, nobody else can answer
 * as root.  A call waits for it at most AGENT_WAIT_S: an agent that
 * does not answer is no agent.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

#define AGENT_WAIT_S 1

/* A connection to the namespace's agent, or -1. */
static int agent_connect(int dirfd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = AGENT_WAIT_S };
	struct ucred uc;
	socklen_t len = sizeof(uc);
	struct stat st;
	int fd, at;

	/*
	 * The name itself, not what it leads to: while no agent runs,
	 * anyone may put a symlink there to another root's socket.  Only a
	 * socket of root's, which no one else can replace in the sticky
	 * directory, is connected to, through this very inode.
	 */
	at = fd_open(dirfd, AGENT_SOCK, O_PATH | O_NOFOLLOW | O_CLOEXEC,
		     0);
	if (at < 0)
		return -1;
	if (fstat(at, &st) || !S_ISSOCK(st.st_mode) || st.st_uid) {
		close(at);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d", at);
	fd = fd_socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC);
	if (fd >= 0 &&
	    (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	     setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	     connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	     getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) || uc.uid)) {
		close(fd);
		fd = -1;
	}
	close(at);
	return fd;
}

ssize_t agent_send(int sock, const void *buf, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL);
}

/*
 * One request, with a descriptor to pass (or -1), and its answer: 0 or
 * -errno, and the descriptor it carries in *got (or -1).  -ENOENT when
 * no agent answers.
 */
static int agent_ask(int dirfd, const char *dir, const struct agent_req *req,
		     int pass, int *got, uint64_t *value)
{
	struct agent_rep rep;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { &rep, sizeof(rep) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cm.buf,
			     .msg_controllen = sizeof(cm.buf) };
	struct cmsghdr *c;
	int fd = agent_connect(dirfd), r = -ENOENT;

	if (got)
		*got = -1;
	if (fd < 0)
		return -ENOENT;
	if (agent_send(fd, req, sizeof(*req), pass) != sizeof(*req))
		goto out;
	/* Waited for here, taken with room for the descriptor it may
	 * carry: an mq_* call needs none on the kernel. */
	if (poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1,
		 AGENT_WAIT_S * 1000) != 1 ||
	    fd_recvmsg(fd, &mh, MSG_CMSG_CLOEXEC) != sizeof(rep) ||
	    rep.magic != AGENT_MAGIC || rep.err > 0 || rep.err < -4095) {
		ns_debug(dir, "agent: no answer (%s)", strerror(errno));
		goto out;
	}
	r = rep.err;
	if (value)
		*value = rep.value;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		int n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		memcpy(&n, CMSG_DATA(c), sizeof(int));
		if (got && *got < 0 && !r)
			*got = n;
		else
			close(n);
	}
	if (!r && got && *got < 0)	/* none left even above the limit */
		r = mh.msg_flags & MSG_CTRUNC ? -EMFILE : -EPROTO;
out:
	close(fd);
	return r;
}

int agent_sync(struct ns *ns, uint64_t gen, const struct env_perm *p)
{
	struct agent_req req = {
		.magic = AGENT_MAGIC, .op = AGENT_SYNC_SYSV, .gen = gen,
		.uid = p->uid, .gid = p->gid, .mode = p->mode & 0777,
	};

	return agent_ask(ns->dirfd, ns->dir, &req, -1, NULL, NULL);
}

int agent_open_posix(struct ns *ns, uint64_t gen, int fifo)
{
	struct agent_req req = {
		.magic = AGENT_MAGIC, .op = AGENT_OPEN_POSIX, .gen = gen,
	};
	int got, r = agent_ask(ns->dirfd, ns->dir, &req, fifo, &got,
				NULL);

	return r ? r : got;
}

uint64_t agent_posix_charge(struct ns *ns, uint64_t gen)
{
	struct agent_req req = {
		.magic = AGENT_MAGIC, .op = AGENT_CHARGE_POSIX, .gen = gen,
	};
	uint64_t v = 0;

	return agent_ask(ns->dirfd, ns->dir, &req, -1, NULL, &v) ? 0 : v;
}

int agent_holder(const char *dir, uint64_t gen, bool posix, uint32_t tid)
{
	struct agent_req req = {
		.magic = AGENT_MAGIC, .op = AGENT_HOLDER, .gen = gen,
		.mode = posix, .tid = tid,
	};
	int dirfd = fd_open(AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC,
			    0), r;
	uint64_t v = 0;

	if (dirfd < 0)
		return -errno;
	r = agent_ask(dirfd, dir, &req, -1, NULL, &v);
	close(dirfd);
	return r ? r : v == 1;
}
