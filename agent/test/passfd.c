/* SPDX-License-Identifier: MIT */
/*
 * passfd.c - a POSIX queue descriptor passed (SCM_RIGHTS) to a process of
 * a user who may not open the queue (DESIGN §6, §8).
 *
 * On the kernel the descriptor is the open queue and works there.  umq's
 * is the queue's FIFO, and the receiver must map the queue's file too:
 * with the namespace's agent it gets it, as on the kernel; without one
 * every call gives EBADF.  Each half runs the same script through
 * libumq.so or the kernel's system calls; the receiver is a process of
 * another user, forked before the queue existed.
 */
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "at.h"
#include "internal.h"
#include "t.h"
#include "umq.h"

#define CREATOR	2001
#define USER	2002		/* the receiver: no permission on the queue */

struct pass {
	const struct at_api *api;
	int sock;
	int expect;		/* 0: the calls work; else their errno */
	bool no_fd;		/* the receiver has no descriptor left */
};

/* The receiver: every call on the descriptor it was given. */
static void receiver(void *arg)
{
	const struct pass *p = arg;
	const struct at_api *a = p->api;
	struct mq_attr at;
	unsigned prio;
	char buf[16];
	mqd_t d;

	if (setgid(USER) || setuid(USER))
		_exit(T_EXIT_SKIP);
	T_EQ(t_recv_fd(p->sock, buf, 1, &d), 1);
	T_ASSERT(d >= 0);
	T_ERR(a->open("/pass", O_RDWR), EACCES);	/* not by name */
	if (p->no_fd) {
		/* Every number below the soft limit taken (the hard one
		 * higher): the kernel's calls need none; the library may
		 * go above the limit for a moment (src/fds.c). */
		struct rlimit rl;
		int low = dup(0);

		T_ASSERT(low >= 0);
		close(low);
		T_OK(getrlimit(RLIMIT_NOFILE, &rl));
		if (rl.rlim_max <= (rlim_t)low + 8)
			_exit(T_EXIT_SKIP);
		rl.rlim_cur = (rlim_t)low;
		T_OK(setrlimit(RLIMIT_NOFILE, &rl));
		T_ERR(dup(0), EMFILE);
	}
	if (p->expect) {
		T_ERR(a->getattr(d, &at), p->expect);
		T_ERR(a->receive(d, buf, sizeof(buf), &prio), p->expect);
		return;
	}
	T_OK(a->getattr(d, &at));
	T_EQ(at.mq_curmsgs, 1);
	T_EQ(a->receive(d, buf, sizeof(buf), &prio), 5);
	T_ASSERT(!memcmp(buf, "hello", 5));
	T_EQ(prio, 3);
	at = (struct mq_attr){ .mq_flags = O_NONBLOCK };
	T_OK(a->setattr(d, &at, NULL));
	T_ERR(a->receive(d, buf, sizeof(buf), &prio), EAGAIN);
	T_OK(a->send(d, "back", 4, 2));
	T_OK(a->notify(d, &(struct sigevent){ .sigev_notify = SIGEV_NONE }));
	T_OK(a->notify(d, NULL));
	T_OK(a->close(d));
}

static void pass(const struct at_api *a, int expect, bool no_fd)
{
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 16 };
	struct pass p = { a, -1, expect, no_fd };
	unsigned prio;
	char buf[16];
	int sv[2];
	pid_t pid;
	mqd_t q;

	T_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	p.sock = sv[1];
	pid = t_spawn_alarm(receiver, &p, 30);
	q = (mqd_t)T_OK(a->open("/pass", O_CREAT | O_EXCL | O_RDWR, 0600,
				&attr));
	T_OK(a->send(q, "hello", 5, 3));
	T_EQ(t_send_fd(sv[0], "q", 1, q), 1);
	t_exited_ok(pid, t_reap(pid, 30000), "receiver");
	if (!expect) {
		T_EQ(a->receive(q, buf, sizeof(buf), &prio), 4);
		T_EQ(prio, 2);
		T_ASSERT(!memcmp(buf, "back", 4));
	}
	T_OK(a->close(q));
	T_OK(a->unlink("/pass"));
	close(sv[0]);
	close(sv[1]);
}

T_CASE(passed_to_another_user_kernel)
{
	pass(&at_kernel, 0, false);
}

/* The difference DESIGN §8 lists when no agent serves the namespace. */
T_CASE(passed_to_another_user_without_agent)
{
	pass(&at_umq, EBADF, false);
}

T_CASE(passed_to_another_user_with_agent)
{
	pid_t agent = at_start();

	pass(&at_umq, 0, false);
	at_stop(agent);
}

/* The same where the receiver has no descriptor left below its soft
 * limit: the kernel's calls need none, the agent's answer carries one. */
T_CASE(passed_to_a_user_with_no_descriptor_left_kernel)
{
	pass(&at_kernel, 0, true);
}

T_CASE(passed_to_a_user_with_no_descriptor_left_with_agent)
{
	pid_t agent = at_start();

	pass(&at_umq, 0, true);
	at_stop(agent);
}

/* ---- What the agent refuses ---------------------------------------------- */

struct proof {
	uint64_t gen, other;	/* a queue, and one of the receiver's own */
};

static void fifo_path(char *buf, size_t n, uint64_t gen)
{
	/* layout.h: posix/<gen>.p */
	snprintf(buf, n, "%s/posix/%016llx.p", t_umq_dir(),
		 (unsigned long long)gen);
}


/*
 * A user with no permission on the queue can make an O_PATH descriptor
 * of its FIFO, and holds read-write ones of its own queues' FIFOs: none
 * of them gets it the queue's file.
 */
static void no_proof(void *arg)
{
	const struct proof *pr = arg;
	char path[PATH_MAX];
	int fd, got;

	if (setgid(USER) || setuid(USER))
		_exit(T_EXIT_SKIP);
	fifo_path(path, sizeof(path), pr->gen);
	T_ERR(open(path, O_RDWR | O_NONBLOCK), EACCES);
	fd = T_OK(open(path, O_PATH | O_CLOEXEC));
	T_EQ(at_ask(AGENT_OPEN_POSIX, pr->gen, fd, &got, NULL), -EBADF);
	T_EQ(got, -1);
	T_ERR(umq_mq_getattr(fd, &(struct mq_attr){ 0 }), EBADF);
	close(fd);
	fifo_path(path, sizeof(path), pr->other);
	fd = T_OK(open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC));
	T_EQ(at_ask(AGENT_OPEN_POSIX, pr->gen, fd, &got, NULL), -EBADF);
	T_EQ(got, -1);
	/* Its own queue's, it gets: it may open that one anyway. */
	T_EQ(at_ask(AGENT_OPEN_POSIX, pr->other, fd, &got, NULL), 0);
	T_ASSERT(got >= 0);
	close(got);
	/* No descriptor at all. */
	T_EQ(at_ask(AGENT_OPEN_POSIX, pr->gen, -1, &got, NULL), -EINVAL);
	close(fd);
}

static void own_queue(void *arg)
{
	mqd_t q;

	(void)arg;
	if (setgid(USER) || setuid(USER))
		_exit(T_EXIT_SKIP);
	q = (mqd_t)T_OK(umq_mq_open("/mine", O_CREAT | O_RDWR, 0600, NULL));
	T_OK(umq_mq_close(q));
}

T_CASE(agent_opens_only_for_a_descriptor_of_the_queue)
{
	struct proof *pr = t_shared(sizeof(*pr));
	mqd_t q = (mqd_t)T_OK(umq_mq_open("/theirs", O_CREAT | O_RDWR, 0600,
					  NULL));
	pid_t agent, pid;

	T_OK(umq_mq_close(q));
	pid = t_spawn_alarm(own_queue, NULL, 30);
	t_exited_ok(pid, t_reap(pid, 30000), "making its own queue");
	pr->gen = at_gen_of("theirs");
	pr->other = at_gen_of("mine");
	agent = at_start();
	pid = t_spawn_alarm(no_proof, pr, 30);
	t_exited_ok(pid, t_reap(pid, 30000), "asking without proof");
	at_stop(agent);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
