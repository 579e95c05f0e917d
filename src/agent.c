/* SPDX-License-Identifier: MIT */
/*
 * agent.c - asking a namespace's agent (agent/, `umq agent`) to make a
 * queue's files match its permissions when the caller may not.
 *
 * The agent listens on <namespace>/agent.  It is believed only if the
 * OS says root is at the other end (SO_PEERCRED): anyone can make a
 * socket of that name in the sticky directory, nobody else can answer
 * as root.  A call waits for it at most AGENT_WAIT_S: an agent that
 * does not answer is no agent.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

#define AGENT_WAIT_S 1

int agent_sync(struct ns *ns, uint64_t gen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = AGENT_WAIT_S };
	struct agent_req req = {
		.magic = AGENT_MAGIC, .op = AGENT_SYNC_SYSV, .gen = gen,
	};
	struct agent_rep rep;
	struct ucred uc;
	socklen_t len = sizeof(uc);
	int fd, r = -ENOENT;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s",
		 ns->dirfd, AGENT_SOCK);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -ENOENT;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) || uc.uid)
		goto out;
	if (send(fd, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req) ||
	    recv(fd, &rep, sizeof(rep), 0) != sizeof(rep) ||
	    rep.magic != AGENT_MAGIC || rep.err > 0 || rep.err < -4095) {
		ns_debug(ns->dir, "agent: no answer (%s)", strerror(errno));
		goto out;
	}
	r = rep.err;
out:
	close(fd);
	return r;
}
