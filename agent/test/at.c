/* SPDX-License-Identifier: MIT */
/* at.c - see at.h. */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "at.h"
#include "internal.h"
#include "t.h"

void at_path(struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s", t_umq_dir(),
		 AGENT_SOCK);
}

pid_t at_start(void)
{
	struct sockaddr_un sa;
	pid_t pid = fork();

	if (pid == 0) {
		execl(UMQ_AGENT, "umq-agent", "--dir", t_umq_dir(),
		      (char *)NULL);
		_exit(127);
	}
	T_ASSERT(pid > 0);
	at_path(&sa);
	for (long end = t_now_ms() + 5000; t_now_ms() < end; t_msleep(5)) {
		int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		int ok = !connect(fd, (struct sockaddr *)&sa, sizeof(sa));

		close(fd);
		if (ok)
			return pid;
		if (t_wait_child(pid, WNOHANG, 0) != -1)
			T_FAIL("umq-agent exited at start");
	}
	t_reap(pid, 0);
	T_FAIL("umq-agent did not listen within 5 s");
}

pid_t at_spawn_quiet(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null >= 0)
			dup2(null, 2);
		execl(UMQ_AGENT, "umq-agent", "--dir", t_umq_dir(),
		      (char *)NULL);
		_exit(127);
	}
	T_ASSERT(pid > 0);
	return pid;
}

void at_stop(pid_t pid)
{
	struct sockaddr_un sa;

	T_OK(kill(pid, SIGTERM));
	t_exited_ok(pid, t_reap(pid, 5000), "umq-agent");
	at_path(&sa);
	T_ERR(access(sa.sun_path, F_OK), ENOENT);
}

/* What an IPC_SET that set what the block says sends (the block is
 * readable by all). */
static void block_perm(uint64_t gen, struct agent_req *req)
{
	char path[PATH_MAX];
	struct qfile f;
	int fd;

	snprintf(path, sizeof(path), "%s/sysv/q.%016llx", t_umq_dir(),
		 (unsigned long long)gen);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (pread(fd, &f, sizeof(f), 0) == (ssize_t)sizeof(f)) {
		req->uid = f.q.uid;
		req->gid = f.q.gid;
		req->mode = f.q.mode & 0777;
	}
	close(fd);
}

int at_ask(uint32_t op, uint64_t gen, int pass, int *got)
{
	struct agent_req req = { .magic = AGENT_MAGIC, .op = op, .gen = gen };
	struct agent_rep rep;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm = { { 0 } };
	struct iovec iov = { &req, sizeof(req) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct timeval tv = { 2, 0 };
	struct sockaddr_un sa;
	struct cmsghdr *h;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), r = 1;

	if (got)
		*got = -1;
	if (op == AGENT_SYNC_SYSV)
		block_perm(gen, &req);
	at_path(&sa);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (pass >= 0) {
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		h = CMSG_FIRSTHDR(&mh);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &pass, sizeof(int));
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    sendmsg(fd, &mh, 0) != sizeof(req))
		goto out;
	iov = (struct iovec){ &rep, sizeof(rep) };
	mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cm.buf,
			      .msg_controllen = sizeof(cm.buf) };
	if (recvmsg(fd, &mh, MSG_CMSG_CLOEXEC) != sizeof(rep))
		goto out;
	r = rep.err;
	h = CMSG_FIRSTHDR(&mh);
	if (h && h->cmsg_type == SCM_RIGHTS) {
		int n;

		memcpy(&n, CMSG_DATA(h), sizeof(int));
		if (got)
			*got = n;
		else
			close(n);
	}
out:
	close(fd);
	return r;
}
