/* SPDX-License-Identifier: MIT */
/* at.c - see at.h. */
#include <fcntl.h>
#include <stdarg.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "at.h"
#include "internal.h"
#include "umq.h"

const char UMQ_AGENT_PATH[] = UMQ_AGENT;

static mqd_t k_open(const char *name, int oflag, ...)
{
	struct mq_attr *attr = NULL;
	mode_t mode = 0;
	va_list ap;

	va_start(ap, oflag);
	if (oflag & O_CREAT) {
		mode = va_arg(ap, mode_t);
		attr = va_arg(ap, struct mq_attr *);
	}
	va_end(ap);
	return t_k_mq_open(name, oflag, mode, attr);
}

const struct at_api at_kernel = {
	"kernel", k_open, t_k_mq_close, t_k_mq_unlink, t_k_mq_send,
	t_k_mq_timedsend, t_k_mq_receive, t_k_mq_timedreceive,
	t_k_mq_getattr, t_k_mq_setattr, t_k_mq_notify,
};
const struct at_api at_umq = {
	"umq", umq_mq_open, umq_mq_close, umq_mq_unlink, umq_mq_send,
	umq_mq_timedsend, umq_mq_receive, umq_mq_timedreceive,
	umq_mq_getattr, umq_mq_setattr, umq_mq_notify,
};

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
		execl(UMQ_AGENT_PATH, "umq-agent", "--dir", t_umq_dir(),
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

static int ask(const struct agent_req *req, int pass, int *got,
	       uint64_t *value);

int at_ask(uint32_t op, uint64_t gen, int pass, int *got, uint64_t *value)
{
	struct agent_req req = { .magic = AGENT_MAGIC, .op = op, .gen = gen };

	if (op == AGENT_SYNC_SYSV)
		block_perm(gen, &req);
	return ask(&req, pass, got, value);
}

int at_ask_holder(uint64_t gen, bool posix, uint32_t tid, uint64_t *maps)
{
	struct agent_req req = { .magic = AGENT_MAGIC, .op = AGENT_HOLDER,
				 .gen = gen, .mode = posix, .tid = tid };

	return ask(&req, -1, NULL, maps);
}

static int ask(const struct agent_req *req, int pass, int *got,
	       uint64_t *value)
{
	struct agent_rep rep;
	/* An answer late by seconds is still one (a loaded, sanitized run
	 * forks slowly); a frozen agent does not answer at all. */
	struct timeval tv = { 5, 0 };
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), n, r = 1;

	if (got)
		*got = -1;
	at_path(&sa);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    t_send_fd(fd, req, sizeof(*req), pass) == sizeof(*req) &&
	    t_recv_fd(fd, &rep, sizeof(rep), &n) == sizeof(rep)) {
		r = rep.err;
		if (value)
			*value = rep.value;
		if (got)
			*got = n;
		else if (n >= 0)
			close(n);
	}
	close(fd);
	return r;
}

uint64_t at_gen_of(const char *name)
{
	char path[PATH_MAX], gen[32];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/names/%s", t_umq_dir(), name);
	n = readlink(path, gen, sizeof(gen) - 1);
	T_ASSERT(n > 0);
	gen[n] = 0;
	return strtoull(gen, NULL, 16);
}

void at_as(uid_t uid, gid_t gid, void (*fn)(void *), void *arg,
	   const char *what)
{
	int rc = t_as_user(uid, gid, fn, arg);

	if (rc == T_EXIT_SKIP)
		t_skip("cannot become %d:%d", (int)uid, (int)gid);
	if (rc != T_EXIT_PASS)
		T_FAIL("as %d:%d: %s failed", (int)uid, (int)gid, what);
}

void at_forge_u32(const char *gen, size_t off, uint32_t v)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/sysv/q.%s", t_umq_dir(), gen);
	fd = T_OK(open(path, O_RDWR | O_CLOEXEC));
	T_EQ(pwrite(fd, &v, sizeof(v), (off_t)off), sizeof(v));
	close(fd);
}
