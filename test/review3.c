/* SPDX-License-Identifier: MIT */
/*
 * review3.c - reproducers of the third review's defects (blocking peeks,
 * the L4 guard, the spin before a first look), kept as tests.
 *
 * - A record woken and not back yet (a peeker, or a sender woken by
 *   room) stays linked; a repair after a lock holder's death rebuilt the
 *   lists without it but left it "linked", so that its return unlinked
 *   it again through stale links, cutting off whoever had queued since:
 *   a receiver no send ever found.
 *
 * - A thread that ends inside a critical section (then: cancelled at
 *   the read() of the readiness FIFO there, which is no longer a
 *   cancellation point for umq; now: pthread_exit() from the fault hook,
 *   as from a signal handler) left the L4 guard naming it: the next
 *   thread of
 *   the process to lock the queue, after the lock's repair, spun on the
 *   guard for ever, holding the lock against every process.
 *
 * Every blocking call has a deadline; children run under an alarm.
 */
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <time.h>

#include "t.h"
#include "qview.h"
#include "umq.h"
#include "internal.h"

#define TXT 16

struct m {
	long type;
	char text[TXT];
};

struct job {
	int id;
	long type;
	long ms;
	long r;
	int err;
	long got;
};

static struct job *job(int id, long type, long ms)
{
	struct job *j = t_shared(sizeof(*j));

	j->id = id;
	j->type = type;
	j->ms = ms;
	j->r = -2;
	return j;
}

static void peek_job(void *arg)
{
	struct job *j = arg;
	struct timespec t = t_deadline(CLOCK_MONOTONIC, j->ms);
	char text[TXT];
	struct umq_peek_msg pm = { .text = text, .size = TXT };

	j->r = umq_msgclockpeek(j->id, j->type, 0, 0, &pm, 1,
				CLOCK_MONOTONIC, &t);
	j->err = errno;
	j->got = pm.type;
}

static void recv_job(void *arg)
{
	struct job *j = arg;
	struct timespec t = t_deadline(CLOCK_MONOTONIC, j->ms);
	struct m m = { 0, "" };

	j->r = umq_msgclockrcv(j->id, &m, TXT, j->type, 0, CLOCK_MONOTONIC,
			       &t);
	j->err = errno;
	j->got = m.type;
}

static void send_job(void *arg)
{
	struct job *j = arg;
	struct timespec t = t_deadline(CLOCK_MONOTONIC, j->ms);
	struct m m = { j->type, "full" };

	j->r = umq_msgclocksnd(j->id, &m, TXT, 0, CLOCK_MONOTONIC, &t);
	j->err = errno;
}

static void snd(int id, long type)
{
	struct m m = { type, "x" };

	T_OK(umq_msgsnd(id, &m, 2, IPC_NOWAIT));
}

static void stopped(pid_t p)
{
	for (int i = 0; t_proc_state(p) != 'T'; i++) {
		if (i == 5000)
			T_FAIL("pid %d never stopped", (int)p);
		t_msleep(1);
	}
}

static void holder_dies(int *id)
{
	struct m m;

	send_and_die(*id);
	/* The repair runs here; the dying send's message is taken. */
	T_EQ(umq_msgrcv(*id, &m, TXT, 9, IPC_NOWAIT), 6);
}

/*
 * A peeker woken by a send, stopped before it is back; a lock holder
 * dies and the next taker repairs; a receiver queues; the peeker comes
 * back.  The receiver must still be in line for the next send.
 */
T_CASE(woken_peeker_back_after_repair)
{
	int *id = t_shared(sizeof(*id));
	struct job *pj, *rj;
	struct m m;
	pid_t p, r;

	*id = (int)T_OK(umq_msgget(IPC_PRIVATE, 0600));
	pj = job(*id, 0, 10000);
	rj = job(*id, 0, 3000);
	p = t_spawn_alarm(peek_job, pj, 20);
	sv_until(*id, WK_PEEK, 1);
	kill(p, SIGSTOP);
	stopped(p);
	snd(*id, 1);		/* wakes the peeker: W_WOKEN, still linked */
	T_EQ(umq_msgrcv(*id, &m, TXT, 1, IPC_NOWAIT), 2);
	holder_dies(id);
	r = t_spawn_alarm(recv_job, rj, 20);
	sv_until(*id, WK_RECV, 1);
	kill(p, SIGCONT);
	sv_until(*id, WK_PEEK, 1);	/* back, and asleep again */
	T_EQ(sv_asleep(*id, WK_RECV), 1);
	snd(*id, 2);
	t_waitpid(r);
	T_EQ(rj->r, 2);
	T_EQ(rj->got, 2);
	snd(*id, 5);		/* queued: the peeker sees it */
	t_waitpid(p);
	T_EQ(pj->r, 1);
	T_EQ(pj->got, 5);
}

/* The same with a sender woken by room (wake_senders leaves it linked):
 * a second sender blocked since must stay in line. */
T_CASE(woken_sender_back_after_repair)
{
	int *id = t_shared(sizeof(*id));
	struct msqid_ds ds;
	struct job *j1, *j2;
	struct m m;
	pid_t p1, p2;

	*id = (int)T_OK(umq_msgget(IPC_PRIVATE, 0600));
	T_OK(umq_msgctl(*id, IPC_STAT, &ds));
	ds.msg_qbytes = 2 * TXT;
	T_OK(umq_msgctl(*id, IPC_SET, &ds));
	struct m full = { 1, "full" };
	T_OK(umq_msgsnd(*id, &full, TXT, IPC_NOWAIT));
	T_OK(umq_msgsnd(*id, &full, TXT, IPC_NOWAIT));
	j1 = job(*id, 3, 10000);
	j2 = job(*id, 4, 3000);
	p1 = t_spawn_alarm(send_job, j1, 20);	/* TXT bytes: no room */
	sv_until(*id, WK_SEND, 1);
	kill(p1, SIGSTOP);
	stopped(p1);
	T_EQ(umq_msgrcv(*id, &m, TXT, 1, IPC_NOWAIT), TXT);	/* wakes it */
	holder_dies(id);
	T_OK(umq_msgsnd(*id, &full, TXT, IPC_NOWAIT));	/* full again */
	p2 = t_spawn_alarm(send_job, j2, 20);
	sv_until(*id, WK_SEND, 1);
	kill(p1, SIGCONT);
	for (int i = 0; i < 100 && t_proc_state(p1) != 'S'; i++)
		t_msleep(1);
	t_msleep(50);		/* back, and asleep again (no room) */
	T_EQ(sv_asleep(*id, WK_SEND), 2);
	/* Room for both, one after the other. */
	char buf[64];
	T_OK(umq_msgrcv(*id, buf, sizeof(buf) - 8, 0, IPC_NOWAIT));
	T_OK(umq_msgrcv(*id, buf, sizeof(buf) - 8, 0, IPC_NOWAIT));
	t_waitpid(p1);
	t_waitpid(p2);
	T_EQ(j1->r, 0);
	T_EQ(j2->r, 0);
}

static __thread bool end_in_section;

/* The receive has taken the message, under the lock. */
static void end_here(int point)
{
	if (point == FP_RECV_TAKE && end_in_section)
		pthread_exit(PTHREAD_CANCELED);
}

static void *receive_cancelled(void *arg)
{
	char buf[8];

	if (umq_mq_send(*(mqd_t *)arg, "x", 1, 0))
		return NULL;
	end_in_section = true;
	umq_fault_hook = end_here;
	umq_mq_receive(*(mqd_t *)arg, buf, sizeof(buf), NULL);
	return NULL;
}

static void cancelled_then_receive(void *arg)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 8 };
	mqd_t d = umq_mq_open("/r3cancel", O_RDWR | O_CREAT, 0600, &a);
	struct timespec t;
	pthread_t th;
	void *ret;
	char buf[8];
	int *ok = arg;

	if (d == (mqd_t)-1)
		_exit(2);
	pthread_create(&th, NULL, receive_cancelled, &d);
	pthread_join(th, &ret);
	umq_fault_hook = NULL;
	*ok = ret == PTHREAD_CANCELED ? 1 : 3;
	unsigned long repairs = lock_repairs;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += 2;
	/* The queue works on (empty: the deadline ends the wait), once its
	 * lock, left held, is repaired. */
	umq_mq_timedreceive(d, buf, sizeof(buf), NULL, &t);
	if (*ok == 1)
		*ok = lock_repairs > repairs ? 4 : 5;
}

/* ok: 4; 3: the thread did not end in the section; 5: no repair. */
T_CASE(thread_ends_in_a_section)
{
	int *ok = t_shared(sizeof(*ok));
	pid_t p = t_spawn_alarm(cancelled_then_receive, ok, 20);
	int st = t_reap(p, 8000);

	if (st == -1)
		T_FAIL("the next lock of the queue never returned (state %d)",
		       *ok);
	T_EQ(*ok, 4);
	t_exited_ok(p, st, "receiver");
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
