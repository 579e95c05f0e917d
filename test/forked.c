/* SPDX-License-Identifier: MIT */
/*
 * forked.c - fork() beside threads inside library calls.
 *
 * The library's own mutexes (L15) guard process-local tables: a fork
 * while another thread held one left it held for ever in the child,
 * whose first call needing it hung - 1 to 3 children in 200, forked
 * beside a thread looping on mq_open and mq_close (found by a hunt,
 * December 6).  fork() now takes them all first (atfork.c).
 */
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "umq.h"

#define CHILDREN 400

static int stop;	/* __atomic: read by the threads */

static void *churn_posix(void *arg)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 16 };
	char name[32];

	for (int i = 0; !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); i++) {
		snprintf(name, sizeof(name), "/churn-%d", i % 8);
		mqd_t q = umq_mq_open(name, O_CREAT | O_RDWR | O_NONBLOCK,
				      0600, &a);
		if (q != (mqd_t)-1)
			umq_mq_close(q);
	}
	return arg;
}

static void *churn_sysv(void *arg)
{
	struct { long type; char text[4]; } m = { 1, "x" };

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		int id = umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		if (id >= 0) {
			umq_msgsnd(id, &m, 1, IPC_NOWAIT);
			umq_msgctl(id, IPC_RMID, NULL);
		}
	}
	return arg;
}

/* The child's first calls, each needing the mutexes the threads take. */
static void child(void)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 16 };
	mqd_t q;

	alarm(5);	/* a hung child dies of SIGALRM */
	q = umq_mq_open("/child", O_CREAT | O_RDWR, 0600, &a);
	if (q == (mqd_t)-1 || umq_mq_close(q) ||
	    umq_msgget(0x4242, IPC_CREAT | 0600) < 0)
		_exit(1);
	_exit(0);
}

T_CASE(fork_beside_library_calls_never_hangs_the_child)
{
	pthread_t tp, ts;
	int hung = 0, failed = 0;

	T_EQ(pthread_create(&tp, NULL, churn_posix, NULL), 0);
	T_EQ(pthread_create(&ts, NULL, churn_sysv, NULL), 0);
	for (int i = 0; i < CHILDREN; i++) {
		pid_t pid = fork();
		int st;

		T_ASSERT(pid >= 0);
		if (!pid)
			child();
		st = t_waitpid(pid);
		hung += WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM;
		failed += !WIFEXITED(st) || WEXITSTATUS(st);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(tp, NULL);
	pthread_join(ts, NULL);
	if (hung || failed)
		T_FAIL("of %d children forked beside the calls, %d hung, %d "
		       "failed", CHILDREN, hung, failed - hung);
}

/*
 * The threads of a new child find the process's page (proc.c: pid, gen,
 * pid namespace; wiped at the fork) empty at once, and all fill it: each
 * publishes it whole, so that none stamps a pid of 0 (under TSan: no
 * race in the filling; cancel.c's handler case found one, December 6).
 */
#define FIRST_THREADS 4

static int first_q;
static pthread_barrier_t first_bar;

static void *first_call(void *arg)
{
	struct { long type; char text[4]; } m = { 1, "x" };

	pthread_barrier_wait(&first_bar);
	return umq_msgsnd(first_q, &m, 1, IPC_NOWAIT) ? arg : NULL;
}

static void first_calls_child(void)
{
	pthread_t t[FIRST_THREADS];
	struct msqid_ds ds;
	int bad = 0;

	alarm(10);
	pthread_barrier_init(&first_bar, NULL, FIRST_THREADS);
	for (int i = 0; i < FIRST_THREADS; i++)
		if (pthread_create(&t[i], NULL, first_call, &bad))
			_exit(2);
	for (int i = 0; i < FIRST_THREADS; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad |= r != NULL;
	}
	if (bad || umq_msgctl(first_q, IPC_STAT, &ds) ||
	    ds.msg_lspid != getpid() || ds.msg_qnum != FIRST_THREADS)
		_exit(1);
	_exit(0);
}

T_CASE(a_childs_threads_first_calls_at_once)
{
	first_q = T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	for (int i = 0; i < 20; i++) {
		pid_t pid = fork();

		T_ASSERT(pid >= 0);
		if (!pid)
			first_calls_child();
		T_EQ(t_waitpid(pid), 0);
		T_OK(umq_msgctl(first_q, IPC_RMID, NULL));
		first_q = T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	}
	T_OK(umq_msgctl(first_q, IPC_RMID, NULL));
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
