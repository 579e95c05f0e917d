/* SPDX-License-Identifier: MIT */
/*
 * wakeups.c - the system calls a wake-up costs (umq only).
 *
 * ss_wakeup(): after a receive, every blocked sender whose message fits
 * is woken, and stays on the list until it runs.  The kernel's
 * wake_q_add() of a task already woken costs nothing; umq's FUTEX_WAKE is
 * a system call, so a sender already woken and not yet back must not be
 * woken again.  With 32 senders on a full queue, waking them again at
 * every receive cost 11 wake-ups a message (DESIGN.md §11).
 *
 * The senders are stopped (SIGSTOP) once asleep, so that the woken ones
 * cannot run: the count is exact, whatever the machine's load.
 */
#include "t.h"
#include "syscount.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "umq.h"
#include "internal.h"

#define SENDERS	4
#define SIZE	16
#define ROUNDS	10

struct m {
	long type;
	char text[SIZE];
};

/* Senders of the queue asleep in their records (W_WAITING, linked). */
static int asleep(int id)
{
	struct ns *ns;
	struct sq *s;
	int n = 0;

	if (ns_get(&ns) || sq_get(ns, (uint32_t)id & (IPCMNI - 1), &s))
		T_FAIL("the queue's mapping");
	q_lock(s);
	for (uint32_t i = s->q->wl.shead, k = 0; i < Q_WAITERS &&
	     k < Q_WAITERS; i = wp_rec(&s->wp, i)->next, k++)
		n += __atomic_load_n(&wp_rec(&s->wp, i)->futex,
				     __ATOMIC_ACQUIRE) == W_WAITING;
	q_unlock(s);
	sq_put(s);
	return n;
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

	nanosleep(&ts, NULL);
}

T_CASE(woken_sender_not_woken_again)
{
	struct msqid_ds ds;
	struct m m = { 1, "x" };
	static struct counter counter;
	struct counter *c;
	const char *why;
	pid_t pid[SENDERS];
	long first, again = 0;
	int id, i, st;

	t_half = 1;	/* umq only */
	/* Mode 0666: a root caller's permission checks make no call. */
	id = umq_msgget(IPC_PRIVATE, IPC_CREAT | 0666);
	if (id < 0 || umq_msgctl(id, IPC_STAT, &ds))
		T_FAIL("msgget: %s", strerror(errno));
	ds.msg_qbytes = SIZE;		/* one message fills it */
	if (umq_msgctl(id, IPC_SET, &ds) || umq_msgsnd(id, &m, SIZE, 0))
		T_FAIL("setting up: %s", strerror(errno));
	for (i = 0; i < SENDERS; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			alarm(60);
			_exit(umq_msgsnd(id, &m, SIZE, 0) ? 1 : 0);
		}
	}
	for (i = 0; asleep(id) < SENDERS; i++) {
		if (i == 30000)
			T_FAIL("the senders did not block");
		msleep(1);
	}
	for (i = 0; i < SENDERS; i++)
		kill(pid[i], SIGSTOP);
	if (syscount_start(&counter, &why))
		t_skip("%s: %s", why, strerror(errno));
	c = &counter;

	/* Room: every sender is woken, once. */
	long before = atomic_load(&c->n);
	if (umq_msgrcv(id, &m, SIZE, 0, IPC_NOWAIT) != SIZE)
		T_FAIL("first receive: %s", strerror(errno));
	first = atomic_load(&c->n) - before;
	/* Room again, the woken senders still stopped: nobody to wake. */
	for (i = 0; i < ROUNDS; i++) {
		before = atomic_load(&c->n);
		if (umq_msgsnd(id, &m, SIZE, IPC_NOWAIT) ||
		    umq_msgrcv(id, &m, SIZE, 0, IPC_NOWAIT) != SIZE)
			T_FAIL("round %d: %s", i, strerror(errno));
		again += atomic_load(&c->n) - before;
	}
	for (i = 0; i < SENDERS; i++)
		kill(pid[i], SIGCONT);
	/* Let them all finish: each needs the room of one receive. */
	for (i = 0; i < SENDERS; i++) {
		long r;
		for (int k = 0; (r = umq_msgrcv(id, &m, SIZE, 0, IPC_NOWAIT))
		     < 0 && k < 30000; k++)
			msleep(1);
		if (r != SIZE)
			T_FAIL("sender %d never sent", i);
	}
	for (i = 0; i < SENDERS; i++)
		if (waitpid(pid[i], &st, 0) != pid[i] || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			T_FAIL("sender %d: status %#x", i, st);
	if (first < SENDERS)
		T_FAIL("the first receive made %ld system calls, expected a "
		       "wake-up for each of %d senders", first, SENDERS);
	if (again)
		T_FAIL("%d receives with %d senders already woken made %ld "
		       "system calls, expected none", ROUNDS, SENDERS, again);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
