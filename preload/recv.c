/* SPDX-License-Identifier: MIT */
/*
 * recv.c - descriptors that arrive without the library making them: a
 * message's SCM_RIGHTS (recvmsg, recvmmsg) and pidfd_getfd.  Any of them
 * may be a queue's, at a number poll.c found to be none before: each
 * such call that may have brought one makes poll.c look again.  The
 * calls themselves pass through untouched.
 */
#include <sys/pidfd.h>
#include <sys/socket.h>

#include "preload.h"

/*
 * Descriptors came with a message the kernel wrote back: its control
 * data is there to read.  Only SCM_RIGHTS brings any, so that a program
 * given credentials or packet information with every message keeps
 * poll.c's memory.
 */
static void arrived(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			notq_flush();
			return;
		}
}

INTERPOSE(ssize_t, recvmsg, int fd, struct msghdr *mh, int flags)
{
	ssize_t r = libc_recvmsg(fd, mh, flags);

	if (r >= 0 && mh->msg_controllen)
		arrived(mh);
	return r;
}

INTERPOSE(int, recvmmsg, int fd, struct mmsghdr *v, unsigned n, int flags,
	  struct timespec *ts)
{
	int r = libc_recvmmsg(fd, v, n, flags, ts);

	for (int i = 0; i < r; i++)
		if (v[i].msg_hdr.msg_controllen)
			arrived(&v[i].msg_hdr);
	return r;
}

INTERPOSE(int, pidfd_getfd, int pidfd, int fd, unsigned flags)
{
	int r = libc_pidfd_getfd(pidfd, fd, flags);

	if (r >= 0)
		notq_flush();
	return r;
}
