/* SPDX-License-Identifier: MIT */
/*
 * notify_pidns.c - an mq_notify registration belongs to its owner, not
 * to a pid number: a process of another pid namespace that has the same
 * pid (both are pid 1 here) drops nothing with mq_notify(NULL) or a
 * close, as on the kernel, whose owner is a pid object.  Until December
 * 6 either dropped the owner's registration (found by a hunt).
 */
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "umq.h"

static volatile int *registered;

/* fn as pid 1 of a new pid namespace: the pid of the process waiting
 * for it, whose exit status is fn's. */
static pid_t as_pid1(void (*fn)(int), int how)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	if (unshare(CLONE_NEWPID))
		_exit(T_EXIT_SKIP);
	pid_t g = fork();
	if (!g) {
		alarm(20);
		fn(how);
		_exit(T_EXIT_PASS);
	}
	int st;
	waitpid(g, &st, 0);
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : T_EXIT_FAIL);
}

static void owner(int how)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL,
			       .sigev_signo = SIGUSR1 };
	struct timespec ts = { 10, 0 };
	sigset_t ss;
	mqd_t q;

	(void)how;
	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR1);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	q = umq_mq_open("/pidns", O_RDWR);
	if (getpid() != 1 || q == (mqd_t)-1 || umq_mq_notify(q, &ev))
		_exit(T_EXIT_FAIL);
	*registered = 1;
	if (sigtimedwait(&ss, NULL, &ts) != SIGUSR1)
		_exit(T_EXIT_FAIL);
}

static void other(int how)
{
	mqd_t q = umq_mq_open("/pidns", O_RDWR);

	if (getpid() != 1 || q == (mqd_t)-1)
		_exit(T_EXIT_FAIL);
	if (how == 0 && umq_mq_notify(q, NULL))
		_exit(T_EXIT_FAIL);
	if (umq_mq_close(q))
		_exit(T_EXIT_FAIL);
}

T_CASE_F(another_pid_namespaces_pid_1_drops_no_registration,
	 T_NO_KERNEL_NS)
{
	struct mq_attr a = { .mq_maxmsg = 2, .mq_msgsize = 8 };

	if (!t_have_cap(21 /* CAP_SYS_ADMIN */))
		t_skip("needs CAP_SYS_ADMIN for pid namespaces");
	registered = t_shared(sizeof(*registered));
	for (int how = 0; how < 2; how++) {
		mqd_t q = (mqd_t)T_OK(umq_mq_open("/pidns", O_CREAT | O_RDWR,
						  0600, &a));
		pid_t a1, b1;
		int st;

		*registered = 0;
		a1 = as_pid1(owner, how);
		for (int i = 0; i < 2000 && !*registered; i++)
			t_msleep(5);
		T_ASSERT(*registered);
		b1 = as_pid1(other, how);
		st = t_waitpid(b1);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_PASS);
		T_OK(umq_mq_send(q, "x", 1, 0));
		st = t_waitpid(a1);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != T_EXIT_PASS)
			T_FAIL("%s by the other pid 1: the owner got no "
			       "signal", how ? "mq_close" : "mq_notify(NULL)");
		T_OK(umq_mq_close(q));
		T_OK(umq_mq_unlink("/pidns"));
	}
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
