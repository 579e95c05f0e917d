/* SPDX-License-Identifier: MIT */
/*
 * cancel.c - pthread_cancel() of a caller asleep in umq: what only the
 * library's insides show (futex_sleep_cancel; DESIGN §4).  The behaviour a
 * program sees is compared with the kernel's by preload/test/prog_cancel.c.
 *
 *  - a message handed to a receiver that is cancelled before its call
 *    returns goes back to the queue, for the next receive: the fault hook
 *    cancels the thread at FP_WOKEN, just after the hand-off woke it (a
 *    POSIX queue filled meanwhile has no room for it: lost, sound);
 *  - a request that acts just before the futex wait (FP_ASLEEP), the
 *    record already on the list, takes the record off;
 *  - a blocked POSIX sender cancelled leaves no parked message behind;
 *  - a blocking peek, System V or POSIX, is cancelled as a receive is;
 *  - a request acting inside a umq call of a signal handler that
 *    interrupted the wait (so in its asynchronous mode) leaves the locks
 *    that call held to the thread's exit: no hang, the queue repaired;
 *  - cancelled sleepers give back their waiter records and their
 *    references on the queue: 50 cancellations leave both counts where
 *    they were.
 */
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "t.h"
#include "umq.h"
#include "internal.h"
#include "qview.h"

struct job {
	int id;			/* System V queue, or -1 */
	mqd_t q;		/* POSIX queue */
	bool send;
	bool peek;		/* a blocking peek instead */
	int cancel_at;		/* a fault point where it cancels itself */
	pid_t tid;
};

static __thread int cancel_at;
static mqd_t fill_first = -1;	/* a POSIX queue cancel_me fills first */

/* Asynchronous there (futex_sleep_cancel): the request acts at once. */
static void cancel_me(int point)
{
	if (point != cancel_at)
		return;
	if (fill_first >= 0 && umq_mq_send(fill_first, "filler", 6, 0))
		T_FAIL("the filler: %s", strerror(errno));
	pthread_cancel(pthread_self());
}

static struct {
	long type;
	char text[32];
} m;

static void *sleeper(void *arg)
{
	struct job *j = arg;
	struct { long type; char text[32]; } b = { 1, "blocked" };

	cancel_at = j->cancel_at;
	__atomic_store_n(&j->tid, (pid_t)syscall(SYS_gettid),
			 __ATOMIC_RELEASE);
	struct umq_peek_msg pm = { 0 };
	struct timespec far = t_deadline(CLOCK_MONOTONIC, 60000);

	if (j->peek && j->id >= 0)
		umq_msgclockpeek(j->id, 0, 0, 0, &pm, 1, CLOCK_MONOTONIC,
				 &far);
	else if (j->peek)
		umq_mq_clockpeek(j->q, 0, &pm, 1, CLOCK_MONOTONIC, &far);
	else if (j->id >= 0 && j->send)
		umq_msgsnd(j->id, &b, 8, 0);
	else if (j->id >= 0)
		umq_msgrcv(j->id, &b, sizeof(b.text), 0, 0);
	else if (j->send)
		umq_mq_send(j->q, "blocked", 7, 1);
	else
		umq_mq_receive(j->q, b.text, sizeof(b.text), NULL);
	return NULL;		/* not cancelled */
}

static pthread_t start(struct job *j)
{
	pthread_t th;

	j->tid = 0;
	T_EQ(pthread_create(&th, NULL, sleeper, j), 0);
	for (int i = 0; i < 5000 && !__atomic_load_n(&j->tid,
						      __ATOMIC_ACQUIRE); i++)
		t_msleep(1);
	return th;
}

static void joined_cancelled(pthread_t th)
{
	void *ret;

	T_EQ(pthread_join(th, &ret), 0);
	if (ret != PTHREAD_CANCELED)
		T_FAIL("the thread returned: its call was not cancelled");
}

/* The records of a pool in use. */
static int records_used(const struct wpool *wp)
{
	int n = 0;

	for (int i = 0; i < Q_WAITERS / 64; i++)
		n += __builtin_popcountll(__atomic_load_n(&wp->map[i],
							  __ATOMIC_ACQUIRE));
	return n;
}

static int sv_records(int id)
{
	struct sq *s = sv_q(id);
	int n = records_used(&s->wp);

	sq_put(s);
	return n;
}

/* ---- a handed message outlives its cancelled receiver ------------------ */

static void handed_then_cancelled(struct job *j)
{
	pthread_t th;

	j->cancel_at = FP_WOKEN;
	umq_fault_hook = cancel_me;
	th = start(j);
	if (j->id >= 0)
		sv_until(j->id, WK_RECV, 1);
	else
		mq_until(j->q, WK_RECV, 1);
	/* Handed over to the sleeper, which is cancelled as it wakes. */
	if (j->id >= 0) {
		m.type = 5;
		strcpy(m.text, "handed");
		T_OK(umq_msgsnd(j->id, &m, 6, IPC_NOWAIT));
	} else {
		T_OK(umq_mq_send(j->q, "handed", 6, 5));
	}
	joined_cancelled(th);
	umq_fault_hook = NULL;
}

T_CASE(sysv_handed_message_outlives_its_cancelled_receiver)
{
	struct job j = { .id = T_OK(umq_msgget(IPC_PRIVATE, 0600)) };
	struct msqid_ds ds;

	struct sq *s;

	handed_then_cancelled(&j);
	s = sv_q(j.id);
	T_EQ(s->q->n_handoff, 1);	/* handed, not queued */
	sq_put(s);
	T_OK(umq_msgctl(j.id, IPC_STAT, &ds));
	T_EQ(ds.msg_qnum, 1);
	T_EQ(umq_msgrcv(j.id, &m, sizeof(m.text), 0, IPC_NOWAIT), 6);
	T_EQ(m.type, 5);
	T_EQ(memcmp(m.text, "handed", 6), 0);
	T_EQ(sv_records(j.id), 0);
	T_OK(umq_msgctl(j.id, IPC_RMID, NULL));
}

T_CASE(posix_handed_message_outlives_its_cancelled_receiver)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 32 };
	struct job j = { .id = -1 };
	unsigned prio = 0;
	char buf[32];

	umq_mq_unlink("/cancel_handed");
	j.q = T_OK(umq_mq_open("/cancel_handed", O_RDWR | O_CREAT, 0600, &a));
	handed_then_cancelled(&j);
	T_EQ(pq_of(j.q)->ctl->n_handoff, 1);	/* handed, not queued */
	T_OK(umq_mq_getattr(j.q, &a));
	T_EQ(a.mq_curmsgs, 1);
	T_EQ(umq_mq_timedreceive(j.q, buf, sizeof(buf), &prio,
				 &(struct timespec){ 0 }), 6);
	T_EQ(prio, 5);
	T_EQ(memcmp(buf, "handed", 6), 0);
	T_EQ(records_used(&pq_of(j.q)->wp), 0);
	T_OK(umq_mq_close(j.q));
	T_OK(umq_mq_unlink("/cancel_handed"));
}

/* The queue filled between the hand-off and the cancellation: no room to
 * give the message back, and a count above mq_maxmsg would be damage. It
 * is lost, as glibc's own calls lose it; the queue stays sound. */
T_CASE(posix_handed_message_to_a_queue_filled_since)
{
	struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 32 };
	struct job j = { .id = -1 };
	char buf[32];

	umq_mq_unlink("/cancel_filled");
	j.q = T_OK(umq_mq_open("/cancel_filled", O_RDWR | O_CREAT, 0600, &a));
	fill_first = j.q;
	handed_then_cancelled(&j);
	fill_first = -1;
	T_OK(umq_mq_getattr(j.q, &a));
	T_EQ(a.mq_curmsgs, 1);
	T_EQ(umq_mq_timedreceive(j.q, buf, sizeof(buf), NULL,
				 &(struct timespec){ 0 }), 6);
	T_EQ(memcmp(buf, "filler", 6), 0);
	T_EQ(records_used(&pq_of(j.q)->wp), 0);
	T_OK(umq_mq_close(j.q));
	T_OK(umq_mq_unlink("/cancel_filled"));
}

/* ---- a request acting just before the wait ------------------------------ */

/*
 * Start j and have it cancelled - by itself at j->cancel_at, else by us
 * once it sleeps as kind - then check that it left nothing: no record, no
 * reference on a System V queue, and the next message queued, not
 * handed to it.
 */
static void cancel_and_check(struct job *j, uint32_t kind)
{
	int64_t before = 0;
	pthread_t th;

	if (j->id >= 0) {
		T_EQ(sv_records(j->id), 0);	/* and our lent queue */
		before = sv_refs(j->id);
	}
	umq_fault_hook = j->cancel_at ? cancel_me : NULL;
	th = start(j);
	if (!j->cancel_at) {
		if (j->id >= 0)
			sv_until(j->id, kind, 1);
		else
			mq_until(j->q, kind, 1);
		T_EQ(pthread_cancel(th), 0);
	}
	joined_cancelled(th);
	umq_fault_hook = NULL;
	if (j->id >= 0) {
		struct msqid_ds ds;

		T_EQ(sv_records(j->id), 0);
		T_EQ(sv_refs(j->id), before);
		m.type = 2;
		T_OK(umq_msgsnd(j->id, &m, 4, IPC_NOWAIT));
		T_OK(umq_msgctl(j->id, IPC_STAT, &ds));
		T_EQ(ds.msg_qnum, 1);
	} else {
		struct mq_attr a;

		T_EQ(records_used(&pq_of(j->q)->wp), 0);
		T_OK(umq_mq_send(j->q, "next", 4, 0));
		T_OK(umq_mq_getattr(j->q, &a));
		T_EQ(a.mq_curmsgs, 1);
	}
}

/* A POSIX queue of the case's own, and its end. */
static mqd_t pq_fresh(const char *name)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 32 };

	umq_mq_unlink(name);
	return T_OK(umq_mq_open(name, O_RDWR | O_CREAT, 0600, &a));
}

static void pq_done(mqd_t q, const char *name)
{
	T_OK(umq_mq_close(q));
	T_OK(umq_mq_unlink(name));
}

/* Cancelled with its record on the list, not yet asleep (FP_ASLEEP). */
T_CASE(sysv_cancelled_just_before_its_wait)
{
	struct job j = { .id = T_OK(umq_msgget(IPC_PRIVATE, 0600)),
			 .cancel_at = FP_ASLEEP };

	cancel_and_check(&j, WK_RECV);
	T_OK(umq_msgctl(j.id, IPC_RMID, NULL));
}

T_CASE(posix_cancelled_just_before_its_wait)
{
	struct job j = { .id = -1, .cancel_at = FP_ASLEEP,
			 .q = pq_fresh("/cancel_before") };

	cancel_and_check(&j, WK_RECV);
	pq_done(j.q, "/cancel_before");
}

/* ---- blocking peeks ------------------------------------------------------- */

/* A peek asleep is cancelled as a receive is. */
T_CASE(blocking_peeks_cancelled)
{
	struct job sj = { .id = T_OK(umq_msgget(IPC_PRIVATE, 0600)),
			  .peek = true };
	struct job pj = { .id = -1, .peek = true,
			  .q = pq_fresh("/cancel_peek") };

	cancel_and_check(&sj, WK_PEEK);
	T_OK(umq_msgctl(sj.id, IPC_RMID, NULL));
	cancel_and_check(&pj, WK_PEEK);
	pq_done(pj.q, "/cancel_peek");
}

/* ---- a signal handler's calls inside the window -------------------------- */

/*
 * A handler that interrupts the wait runs in its asynchronous mode; a
 * request acting in a umq call it makes ends the thread with that call's
 * lock held.  The wait's cleanup must then leave it (and the record) to
 * the thread's exit and the repairs, not wait on a lock the thread holds.
 */
static int handler_q;
static int in_handler;	/* __atomic: another thread's handler sets it */

static void receive_in_handler(int sig)
{
	struct { long type; char text[8]; } b;

	(void)sig;
	__atomic_store_n(&in_handler, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 200000; i++)
		umq_msgrcv(handler_q, &b, sizeof(b.text), 0, IPC_NOWAIT);
	__atomic_store_n(&in_handler, 0, __ATOMIC_RELEASE);
}

static void cancel_during_handlers(void *arg)
{
	struct sigaction sa = { .sa_handler = receive_in_handler };
	struct job j = { .id = *(int *)arg };

	handler_q = j.id;
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < 10; i++) {
		pthread_t th = start(&j);

		sv_until(j.id, WK_RECV, 1);
		__atomic_store_n(&in_handler, 0, __ATOMIC_RELEASE);
		pthread_kill(th, SIGUSR1);
		while (!__atomic_load_n(&in_handler, __ATOMIC_ACQUIRE))
			;
		t_msleep(1);
		pthread_cancel(th);
		joined_cancelled(th);
		/* The queue works on, repaired if need be. */
		m.type = 1;
		T_OK(umq_msgsnd(j.id, &m, 4, IPC_NOWAIT));
		T_EQ(umq_msgrcv(j.id, &m, sizeof(m.text), 0, IPC_NOWAIT), 4);
	}
}

T_CASE(cancelled_inside_a_handlers_call)
{
	int *id = t_shared(sizeof(*id));
	pid_t p;

	*id = T_OK(umq_msgget(IPC_PRIVATE, 0600));
	p = t_spawn_alarm(cancel_during_handlers, id, 60);
	int st = t_reap(p, 90000);
	if (st == -1)
		T_FAIL("a cancelled thread's join never returned");
	t_exited_ok(p, st, "canceller");
	T_OK(umq_msgctl(*id, IPC_RMID, NULL));
}

/* ---- nothing left behind ----------------------------------------------- */

/* 25 receivers on the empty queue, 25 senders on the full one, each
 * cancelled asleep: the counts after are those before. */
T_CASE(sysv_cancelled_sleepers_leave_nothing_behind)
{
	struct job j = { .id = T_OK(umq_msgget(IPC_PRIVATE, 0600)) };
	struct msqid_ds ds;
	int64_t before;

	T_OK(umq_msgctl(j.id, IPC_STAT, &ds));
	ds.msg_qbytes = 8;
	T_OK(umq_msgctl(j.id, IPC_SET, &ds));
	before = sv_refs(j.id);
	for (int i = 0; i < 25; i++) {
		j.send = false;
		pthread_t r = start(&j);
		sv_until(j.id, WK_RECV, 1);
		T_EQ(pthread_cancel(r), 0);
		joined_cancelled(r);
		m.type = 1;
		T_OK(umq_msgsnd(j.id, &m, 8, IPC_NOWAIT));
		j.send = true;
		pthread_t th = start(&j);
		sv_until(j.id, WK_SEND, 1);
		T_EQ(pthread_cancel(th), 0);
		joined_cancelled(th);
		T_EQ(umq_msgrcv(j.id, &m, sizeof(m.text), 0, IPC_NOWAIT), 8);
	}
	T_OK(umq_msgctl(j.id, IPC_STAT, &ds));
	T_EQ(ds.msg_qnum, 0);
	T_EQ(sv_records(j.id), 0);
	if (sv_refs(j.id) != before)
		T_FAIL("references on the queue: %lld, %lld before",
		       (long long)sv_refs(j.id), (long long)before);
	T_OK(umq_msgctl(j.id, IPC_RMID, NULL));
}

T_CASE(posix_cancelled_sleepers_leave_nothing_behind)
{
	struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 32 };
	struct job j = { .id = -1 };
	struct pview *pv;
	uint32_t bump = 0;
	char buf[32];

	umq_mq_unlink("/cancel_rounds");
	j.q = T_OK(umq_mq_open("/cancel_rounds", O_RDWR | O_CREAT, 0600, &a));
	pv = pq_of(j.q);
	for (int i = 0; i < 25; i++) {
		/* A parked message left behind would take a new block each
		 * round: the store's high mark tells. */
		if (i == 1)
			bump = pv->v.st->bump;
		j.send = false;
		pthread_t th = start(&j);
		mq_until(j.q, WK_RECV, 1);
		T_EQ(pthread_cancel(th), 0);
		joined_cancelled(th);
		T_OK(umq_mq_send(j.q, "full", 4, 0));
		j.send = true;
		th = start(&j);
		mq_until(j.q, WK_SEND, 1);
		T_EQ(pthread_cancel(th), 0);
		joined_cancelled(th);
		/* The queue holds "full" alone: the parked one went. */
		T_EQ(umq_mq_timedreceive(j.q, buf, sizeof(buf), NULL,
					 &(struct timespec){ 0 }), 4);
	}
	T_OK(umq_mq_getattr(j.q, &a));
	T_EQ(a.mq_curmsgs, 0);
	T_EQ(records_used(&pv->wp), 0);
	if (pv->v.st->bump != bump)
		T_FAIL("the store's high mark moved from %u to %u",
		       bump, (unsigned)pv->v.st->bump);
	T_OK(umq_mq_close(j.q));
	T_OK(umq_mq_unlink("/cancel_rounds"));
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
