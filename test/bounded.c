/* SPDX-License-Identifier: MIT */
/*
 * bounded.c - a call that must not block (IPC_NOWAIT, O_NONBLOCK), or
 * not past its deadline, does not wait for a lock whose holder is stopped
 * or frozen (DESIGN §3, "A call's bound").  It answers as the kernel's
 * call does when it cannot go on now: msgsnd and mq_* EAGAIN, msgrcv
 * ENOMSG, a timed call ETIMEDOUT at its deadline, not before.  A blocking
 * call still waits for the holder, and once it continues nothing is lost.
 *
 * The holders stop at fault points inside each lock's critical section:
 * the lane's senders' and receivers' locks and the queue lock, for both
 * APIs; one is frozen by a cgroup instead.  And beside a busy sender
 * stopped at random instants, on the kernel and on umq alike, every
 * non-blocking call completes at once.
 */
#include "backend.h"

#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "internal.h"

#define AT_ONCE_MS	1000	/* a call that must not wait took less */
#define TIMED_MS	300	/* a timed call's deadline, from its start */

struct tmsg {
	long mtype;
	char text[16];
};

static void wait_stopped(pid_t pid)
{
	for (int i = 0; i < 5000; i++) {
		if (t_proc_state(pid) == 'T')
			return;
		t_msleep(1);
	}
	T_FAIL("process %d did not stop (state %c)", (int)pid,
	       t_proc_state(pid) ?: '0');
}

/* ---- a holder stopped inside a critical section -------------------------- */

static int stop_point;

static void stop_here(int point)
{
	if (point == stop_point) {
		umq_fault_hook = NULL;
		raise(SIGSTOP);
	}
}

/* A child that stops at fault point fp in fn(arg), then exits 0 if fn
 * returned 0 once continued. */
static pid_t stopped_in(int fp, bool lane_off, int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		alarm(60);
		umq_lane_off = lane_off;
		stop_point = fp;
		umq_fault_hook = stop_here;
		_exit(fn(arg) ? 1 : 0);
	}
	wait_stopped(pid);
	return pid;
}

/* Let the holder go on; it must end well. */
static void go_on(pid_t hold)
{
	int st;

	kill(hold, SIGCONT);
	st = t_reap(hold, 10000);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("the holder ended with status %#x", st);
}

/* expr fails with errno e, and took at least min_ms and under
 * AT_ONCE_MS more than that. */
#define BOUNDED(expr, e, min_ms) do {					\
	long t0_ = t_now_ms();						\
	T_ERR(expr, e);							\
	long ms_ = t_now_ms() - t0_;					\
	if (ms_ < (min_ms) - 20 || ms_ > (min_ms) + AT_ONCE_MS)		\
		T_FAIL("%s: %ld ms, expected %d", #expr, ms_, (min_ms));	\
} while (0)

static struct timespec in_ms(long ms)
{
	return t_deadline(CLOCK_MONOTONIC, ms);
}

/* ---- System V ------------------------------------------------------------ */

struct sv {
	int qid;
	long mtype;
};

static int sv_send(void *arg)
{
	struct sv *a = arg;
	struct tmsg m = { a->mtype, "held" };

	return umq_msgsnd(a->qid, &m, sizeof(m.text), 0);
}

static int sv_recv(void *arg)
{
	struct sv *a = arg;
	struct tmsg m;

	return umq_msgrcv(a->qid, &m, sizeof(m.text), 0, 0) < 0;
}

static void sv_put(int qid, long mtype)
{
	struct tmsg m = { mtype, "" };

	snprintf(m.text, sizeof(m.text), "m%ld", mtype);
	T_OK(umq_msgsnd(qid, &m, sizeof(m.text), IPC_NOWAIT));
}

static long sv_take(int qid, long type, int flg)
{
	struct tmsg m;

	if (umq_msgrcv(qid, &m, sizeof(m.text), type, flg) < 0)
		return -errno;
	return m.mtype;
}

/* A blocking sender's child: it must still be waiting after 500 ms. */
static void blocking_send(void *arg)
{
	struct sv *a = arg;
	struct tmsg m = { a->mtype, "blocking" };

	if (umq_msgsnd(a->qid, &m, sizeof(m.text), 0))
		_exit(1);
}

static pid_t waits_for_holder(void (*fn)(void *), void *arg)
{
	pid_t pid = t_spawn_alarm(fn, arg, 30);

	t_msleep(500);
	if (t_wait_child(pid, WNOHANG, 1) != -1)
		T_FAIL("a blocking call did not wait for the stopped holder");
	return pid;
}

/* What every stopped sender leaves callers that must not wait: sends
 * refused at once, receives of what is there, then none; timed calls
 * ETIMEDOUT at their deadline. */
static void sv_bounded_calls(int qid, bool lane_recv_free)
{
	struct umq_peek_msg pm = { 0 };
	struct tmsg m = { 3, "x" };
	struct timespec dl;

	BOUNDED(umq_msgsnd(qid, &m, sizeof(m.text), IPC_NOWAIT), EAGAIN, 0);
	if (lane_recv_free)
		T_EQ(sv_take(qid, 0, IPC_NOWAIT), 1);	/* queued before */
	BOUNDED(umq_msgrcv(qid, &m, sizeof(m.text), 0, IPC_NOWAIT), ENOMSG,
		0);
	/* A typed receive needs the lane closed: the senders' lock. */
	BOUNDED(umq_msgrcv(qid, &m, sizeof(m.text), 7, IPC_NOWAIT), ENOMSG,
		0);
	dl = in_ms(TIMED_MS);
	BOUNDED(umq_msgclocksnd(qid, &m, sizeof(m.text), 0, CLOCK_MONOTONIC,
				&dl), ETIMEDOUT, TIMED_MS);
	dl = in_ms(TIMED_MS);
	BOUNDED(umq_msgclockrcv(qid, &m, sizeof(m.text), 7, 0,
				CLOCK_MONOTONIC, &dl), ETIMEDOUT, TIMED_MS);
	dl = in_ms(TIMED_MS);
	BOUNDED(umq_msgclockpeek(qid, 7, 0, 0, &pm, 1, CLOCK_MONOTONIC, &dl),
		ETIMEDOUT, TIMED_MS);
}

/* A sender stopped inside the lane's senders' lock (lane true) or the
 * queue lock (lane false). */
static void sv_stopped_sender(bool lane)
{
	int qid = T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv held = { qid, 2 }, later = { qid, 4 };
	pid_t hold, blocked;

	sv_put(qid, 1);
	hold = stopped_in(lane ? FP_LANE_SEND : FP_SEND_LINK, !lane, sv_send,
			  &held);
	sv_bounded_calls(qid, lane);
	blocked = waits_for_holder(blocking_send, &later);
	go_on(hold);
	t_exited_ok(blocked, t_reap(blocked, 10000), "the blocking send");
	/* Nothing lost: what the holder and the blocked sender sent. */
	if (!lane)
		T_EQ(sv_take(qid, 1, IPC_NOWAIT), 1);
	T_EQ(sv_take(qid, 2, IPC_NOWAIT), 2);
	T_EQ(sv_take(qid, 4, IPC_NOWAIT), 4);
	T_EQ(sv_take(qid, 0, IPC_NOWAIT), -ENOMSG);
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

T_CASE(sysv_nowait_beside_stopped_lane_sender) { sv_stopped_sender(true); }
T_CASE(sysv_nowait_beside_stopped_queue_lock) { sv_stopped_sender(false); }

/* IPC_NOWAIT with a deadline already past: the call never blocks, so the
 * kernel never looks at its timeout, and answers "would block". */
T_CASE(sysv_nowait_past_deadline_is_busy)
{
	int qid = T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv held = { qid, 2 };
	struct tmsg m = { 3, "x" };
	struct timespec dl = in_ms(-100);
	pid_t hold;

	hold = stopped_in(FP_SEND_LINK, true, sv_send, &held);
	BOUNDED(umq_msgclocksnd(qid, &m, sizeof(m.text), IPC_NOWAIT,
				CLOCK_MONOTONIC, &dl), EAGAIN, 0);
	BOUNDED(umq_msgclockrcv(qid, &m, sizeof(m.text), 7, IPC_NOWAIT,
				CLOCK_MONOTONIC, &dl), ENOMSG, 0);
	go_on(hold);
	T_EQ(sv_take(qid, 2, IPC_NOWAIT), 2);
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

/* A receiver stopped inside the receivers' lock: sends go on, receives
 * that must not wait are refused. */
T_CASE(sysv_nowait_beside_stopped_receiver)
{
	int qid = T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv a = { qid, 0 };
	struct tmsg m;
	struct timespec dl;
	pid_t hold;

	sv_put(qid, 1);
	sv_put(qid, 2);
	hold = stopped_in(FP_LANE_RECV, false, sv_recv, &a);
	sv_put(qid, 3);
	BOUNDED(umq_msgrcv(qid, &m, sizeof(m.text), 0, IPC_NOWAIT), ENOMSG,
		0);
	dl = in_ms(TIMED_MS);
	BOUNDED(umq_msgclockrcv(qid, &m, sizeof(m.text), 0, 0,
				CLOCK_MONOTONIC, &dl), ETIMEDOUT, TIMED_MS);
	go_on(hold);
	T_EQ(sv_take(qid, 0, IPC_NOWAIT), 2);
	T_EQ(sv_take(qid, 0, IPC_NOWAIT), 3);
	T_EQ(sv_take(qid, 0, IPC_NOWAIT), -ENOMSG);
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

/* A deadline as far as a timespec goes ("never"): the call waits for the
 * stopped holder as a blocking one, not ETIMEDOUT at once. */
static void far_send(void *arg)
{
	struct sv *a = arg;
	struct tmsg m = { a->mtype, "far" };
	struct timespec dl = { .tv_sec = (time_t)LONG_MAX };

	if (umq_msgclocksnd(a->qid, &m, sizeof(m.text), 0, CLOCK_MONOTONIC,
			    &dl))
		_exit(1);
}

T_CASE(sysv_far_deadline_waits_for_stopped_holder)
{
	int qid = T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv held = { qid, 2 }, later = { qid, 4 };
	pid_t hold, timed;

	sv_put(qid, 1);
	hold = stopped_in(FP_SEND_LINK, true, sv_send, &held);
	timed = waits_for_holder(far_send, &later);
	go_on(hold);
	t_exited_ok(timed, t_reap(timed, 10000), "the far-deadline send");
	T_EQ(sv_take(qid, 1, IPC_NOWAIT), 1);
	T_EQ(sv_take(qid, 2, IPC_NOWAIT), 2);
	T_EQ(sv_take(qid, 4, IPC_NOWAIT), 4);
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

/* A call cancelled inside its bound leaves none behind: the thread's
 * cleanup handlers may call umq, with the call's frame gone. */
struct after_cancel {
	int qid;
	const struct bound *left;	/* lock_bound in the cleanup */
	int r, e;
};

static void cleanup_stat(void *arg)
{
	struct after_cancel *a = arg;
	struct msqid_ds ds;

	a->left = lock_bound;
	a->r = umq_msgctl(a->qid, IPC_STAT, &ds);
	a->e = errno;
}

static void *cancelled_send(void *arg)
{
	struct after_cancel *a = arg;
	struct tmsg m = { 5, "never" };

	pthread_cleanup_push(cleanup_stat, a);
	/* Pending: it acts at the call's first cancellation point. */
	pthread_cancel(pthread_self());
	umq_msgsnd(a->qid, &m, sizeof(m.text), IPC_NOWAIT);
	pthread_cleanup_pop(0);
	return NULL;
}

T_CASE(sysv_cancelled_call_leaves_no_bound)
{
	int qid = T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv held = { qid, 2 };
	struct after_cancel a = { qid, NULL, -2, 0 };
	pthread_t th;
	pid_t hold;

	sv_put(qid, 1);
	hold = stopped_in(FP_SEND_LINK, true, sv_send, &held);
	T_EQ(pthread_create(&th, NULL, cancelled_send, &a), 0);
	t_msleep(500);
	T_EQ(__atomic_load_n(&a.r, __ATOMIC_RELAXED), -2);	/* waits */
	go_on(hold);
	T_EQ(pthread_join(th, NULL), 0);
	if (a.r)
		T_FAIL("msgctl in the cleanup: %s", strerror(a.e));
	T_ASSERT(a.left == NULL);
	T_EQ(sv_take(qid, 0, IPC_NOWAIT), 1);
	T_EQ(sv_take(qid, 0, IPC_NOWAIT), 2);
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

/* And one cancelled asleep: the request acts inside the wait. */
static void *cancelled_asleep(void *arg)
{
	struct after_cancel *a = arg;
	struct timespec dl = in_ms(60000);
	struct tmsg m;

	pthread_cleanup_push(cleanup_stat, a);
	umq_msgclockrcv(a->qid, &m, sizeof(m.text), 0, 0, CLOCK_MONOTONIC,
			&dl);
	pthread_cleanup_pop(0);
	return NULL;
}

T_CASE(sysv_cancelled_sleep_leaves_no_bound)
{
	int qid = T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct after_cancel a = { qid, NULL, -2, 0 };
	pthread_t th;

	T_EQ(pthread_create(&th, NULL, cancelled_asleep, &a), 0);
	t_msleep(200);
	T_EQ(pthread_cancel(th), 0);
	T_EQ(pthread_join(th, NULL), 0);
	T_OK(a.r);
	T_ASSERT(a.left == NULL);
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

/* A signal handler's call without a "busy" answer (msgctl's IPC_SET)
 * made while a bounded call waits is no call of that bound's: it waits,
 * as it would anywhere, rather than fail with an errno msgctl never
 * gives. */
static int h_qid;
static struct msqid_ds h_ds;
static volatile int h_r = -2, h_e;

static void set_handler(int sig)
{
	int saved = errno;

	(void)sig;
	h_e = 0;
	h_r = umq_msgctl(h_qid, IPC_SET, &h_ds);
	if (h_r)
		h_e = errno;
	errno = saved;
}

static void *timed_send(void *arg)
{
	struct sv *a = arg;
	struct tmsg m = { a->mtype, "timed" };
	struct timespec dl = in_ms(TIMED_MS);

	umq_msgclocksnd(a->qid, &m, sizeof(m.text), 0, CLOCK_MONOTONIC, &dl);
	return NULL;
}

T_CASE(sysv_handler_call_has_no_bound)
{
	int qid = T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv held = { qid, 2 }, later = { qid, 4 };
	struct sigaction sa = { .sa_handler = set_handler };
	pthread_t th;
	pid_t hold;

	h_qid = qid;
	T_OK(umq_msgctl(qid, IPC_STAT, &h_ds));
	T_OK(sigaction(SIGUSR1, &sa, NULL));
	sv_put(qid, 1);
	hold = stopped_in(FP_SEND_LINK, true, sv_send, &held);
	T_EQ(pthread_create(&th, NULL, timed_send, &later), 0);
	t_msleep(TIMED_MS / 3);
	T_EQ(pthread_kill(th, SIGUSR1), 0);
	t_msleep(TIMED_MS + 500);
	if (h_r != -2)
		T_FAIL("msgctl in the handler did not wait: %d (%s)", h_r,
		       strerror(h_e));
	go_on(hold);
	T_EQ(pthread_join(th, NULL), 0);
	T_EQ(h_r, 0);
	T_EQ(sv_take(qid, 1, IPC_NOWAIT), 1);
	T_EQ(sv_take(qid, 2, IPC_NOWAIT), 2);
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

/* A holder that runs (preempted, slow) is waited for, as the kernel's
 * spinlock would be, whatever the caller's deadline: a timed call whose
 * deadline has passed still takes the message that is there, as the
 * kernel's, which looks at its timeout only when it would block. */
#define RUN_MS	300

static volatile uint32_t *thaw_flag;	/* go on; in the hook */

static void run_here(int point)
{
	if (point == FP_SEND_LINK) {
		long t0 = t_now_ms();

		umq_fault_hook = NULL;
		__atomic_store_n(&thaw_flag[1], 1, __ATOMIC_RELEASE);
		while (t_now_ms() - t0 < RUN_MS)
			;	/* running, holding the queue lock */
	}
}

static void running_child(void *arg)
{
	struct sv *a = arg;
	struct tmsg m = { 2, "running" };

	umq_lane_off = true;
	umq_fault_hook = run_here;
	if (umq_msgsnd(a->qid, &m, sizeof(m.text), 0))
		_exit(1);
}

T_CASE(sysv_past_deadline_waits_for_running_holder)
{
	int qid = T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv a = { qid, 0 };
	struct timespec dl = in_ms(0);
	struct tmsg m;
	pid_t hold;

	thaw_flag = t_shared(2 * sizeof(*thaw_flag));
	sv_put(qid, 1);
	hold = t_spawn_alarm(running_child, &a, 60);
	for (int i = 0; i < 5000 && !__atomic_load_n(&thaw_flag[1],
						    __ATOMIC_ACQUIRE); i++)
		t_msleep(1);
	T_ASSERT(thaw_flag[1]);	/* it holds the lock, running */
	T_EQ(umq_msgclockrcv(qid, &m, sizeof(m.text), 1, 0, CLOCK_MONOTONIC,
			     &dl), sizeof(m.text));
	T_EQ(m.mtype, 1);
	t_exited_ok(hold, t_reap(hold, 10000), "the running sender");
	T_EQ(sv_take(qid, 0, IPC_NOWAIT), 2);
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

/* A cancellation request does not act in a look at the holder (a read of
 * /proc), where the call may hold the queue lock: its thread would end
 * with it, for the next taker to repair. */
static void *typed_nowait_loop(void *arg)
{
	struct sv *a = arg;

	for (;;)
		sv_take(a->qid, 7, IPC_NOWAIT);
	return NULL;
}

/* A queue holding message 1, beside a sender of message 2 stopped in the
 * lane's senders' lock. */
static pid_t beside_stopped_sender(struct sv *held)
{
	held->qid = T_OK(umq_msgget(IPC_PRIVATE, 0600));
	held->mtype = 2;
	sv_put(held->qid, 1);
	return stopped_in(FP_LANE_SEND, false, sv_send, held);
}

/* After a cancelled thread: no lock left for a repair (round: which
 * one). */
static void no_lock_left(const struct sv *held, int round)
{
	unsigned long before = lock_repairs;

	T_EQ(sv_take(held->qid, 7, IPC_NOWAIT), -ENOMSG);
	if (lock_repairs != before)
		T_FAIL("round %d: a cancelled thread ended holding a lock",
		       round);
}

/* Once the sender goes on, both messages there. */
static void both_there(const struct sv *held, pid_t hold)
{
	go_on(hold);
	T_EQ(sv_take(held->qid, 0, IPC_NOWAIT), 1);
	T_EQ(sv_take(held->qid, 0, IPC_NOWAIT), 2);
	T_OK(umq_msgctl(held->qid, IPC_RMID, NULL));
}

T_CASE(sysv_cancel_in_a_look_leaves_no_lock)
{
	struct sv held;
	pthread_t th;
	pid_t hold = beside_stopped_sender(&held);

	for (int i = 0; i < 10; i++) {
		T_EQ(pthread_create(&th, NULL, typed_nowait_loop, &held), 0);
		t_msleep(20 + i);
		T_EQ(pthread_cancel(th), 0);
		T_EQ(pthread_join(th, NULL), 0);
		no_lock_left(&held, i);
	}
	both_there(&held, hold);
}

/* A blocking typed receive closes the lane holding the queue lock and
 * waits for the senders' lock, which a stopped sender holds: the looks
 * at that holder (every JUDGE_MS) read /proc, under the queue lock, and
 * a cancellation request must not act in them either. */
static void *typed_blocking(void *arg)
{
	struct sv *a = arg;

	sv_take(a->qid, 7, 0);
	return NULL;
}

T_CASE(sysv_cancel_in_a_judge_leaves_no_lock)
{
	struct sv held;
	pthread_t th;
	pid_t hold = beside_stopped_sender(&held);

	T_EQ(pthread_create(&th, NULL, typed_blocking, &held), 0);
	t_msleep(100);		/* it waits for the senders' lock */
	T_EQ(pthread_cancel(th), 0);
	t_msleep(700);		/* past two looks at the holder */
	go_on(hold);
	T_EQ(pthread_join(th, NULL), 0);
	no_lock_left(&held, 0);
	T_EQ(sv_take(held.qid, 0, IPC_NOWAIT), 1);
	T_EQ(sv_take(held.qid, 0, IPC_NOWAIT), 2);
	T_OK(umq_msgctl(held.qid, IPC_RMID, NULL));
}

/* A blocking typed receive waits, holding the queue lock, for the lane's
 * senders' lock that a stopped sender holds: the non-blocking calls that
 * need the queue lock then wait on that receiver, asleep, not stopped. */
static void typed_recv(void *arg)
{
	struct sv *a = arg;

	if (sv_take(a->qid, 7, 0) != 7)
		_exit(1);
}

static void nowait_typed(void *arg)
{
	struct sv *a = arg;

	alarm(2);
	_exit(sv_take(a->qid, 5, IPC_NOWAIT) == -ENOMSG ? 0 : 1);
}

T_CASE(sysv_nowait_beside_receiver_waiting_on_stopped_sender)
{
	int qid = T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv held = { qid, 2 }, a = { qid, 0 };
	pid_t hold, rcv, nw;
	int st;

	sv_put(qid, 1);
	hold = stopped_in(FP_LANE_SEND, false, sv_send, &held);
	rcv = t_spawn_alarm(typed_recv, &a, 30);
	t_msleep(300);		/* it holds the queue lock, asleep */
	nw = t_spawn_alarm(nowait_typed, &a, 30);
	st = t_reap(nw, 5000);
	go_on(hold);
	sv_put(qid, 7);
	t_exited_ok(rcv, t_reap(rcv, 10000), "the typed receiver");
	t_exited_ok(nw, st, "the non-blocking receive");
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

/* Beside a stopped receiver, non-blocking typed receives each close the
 * lane and give up on the receivers' lock: a non-blocking send that
 * meets such a closer waits the moment it takes, and goes in. */
static void nowait_typed_loop(void *arg)
{
	struct sv *a = arg;

	for (;;)
		sv_take(a->qid, 7, IPC_NOWAIT);
}

T_CASE(sysv_nowait_send_beside_nowait_closer)
{
	int qid = T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv a = { qid, 0 };
	struct tmsg m = { 3, "x" };
	int refused = 0;
	pid_t hold, cl;

	sv_put(qid, 1);
	sv_put(qid, 2);
	hold = stopped_in(FP_LANE_RECV, false, sv_recv, &a);
	cl = t_spawn_alarm(nowait_typed_loop, &a, 30);
	t_msleep(50);
	for (int i = 0; i < 200; i++)
		if (umq_msgsnd(qid, &m, sizeof(m.text), IPC_NOWAIT))
			refused++;
	kill(cl, SIGKILL);
	t_reap(cl, 10000);
	go_on(hold);
	if (refused)
		T_FAIL("%d of 200 sends refused beside a closer that gives "
		       "up", refused);
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

/* ---- POSIX --------------------------------------------------------------- */

#define PX_NAME	"/bounded"

static int px_flags;	/* UMQ_O_NOPOLL: through the lane */

static mqd_t px_open(int flags)
{
	struct mq_attr at = { .mq_maxmsg = 8, .mq_msgsize = 16 };

	return umq_mq_open(PX_NAME, flags | px_flags | O_CREAT, 0600, &at);
}

/* The holders use the test's blocking descriptor, opened before: an
 * open of their own would close the lane, which then stays shut while
 * it holds a message. */
static int px_send(void *arg)
{
	/* No higher than what the lane holds: a higher one would not be
	 * the lane's (its order). */
	return umq_mq_send(*(mqd_t *)arg, "held", 5, 1);
}

static int px_recv(void *arg)
{
	char buf[16];

	return umq_mq_receive(*(mqd_t *)arg, buf, sizeof(buf), NULL) < 0;
}

/* The calls that must not wait, beside a stopped holder: nb and bl
 * descriptors of the queue, non-blocking and blocking; queued: the
 * priority of a message that a receive can take first, or 0. */
static void px_bounded_calls(mqd_t nb, mqd_t bl, unsigned queued)
{
	char buf[16];
	struct timespec dl;
	unsigned prio;

	BOUNDED(umq_mq_send(nb, "x", 2, 0), EAGAIN, 0);
	if (queued) {
		T_EQ(umq_mq_receive(nb, buf, sizeof(buf), &prio), 3);
		T_EQ(prio, queued);
	}
	BOUNDED(umq_mq_receive(nb, buf, sizeof(buf), NULL), EAGAIN, 0);
	dl = t_deadline(CLOCK_REALTIME, TIMED_MS);	/* mq_timedsend's clock */
	BOUNDED(umq_mq_timedsend(bl, "x", 2, 0, &dl), ETIMEDOUT, TIMED_MS);
	dl = in_ms(TIMED_MS);
	BOUNDED(umq_mq_clockreceive(bl, buf, sizeof(buf), NULL,
				    CLOCK_MONOTONIC, &dl), ETIMEDOUT,
		TIMED_MS);
}

/* lane: a sender stopped in the lane's senders' lock (descriptors that
 * take the lane); else a receiver stopped under the queue lock. */
static void px_stopped(bool lane)
{
	mqd_t nb, bl;
	char buf[16];
	unsigned prio;
	pid_t hold;

	px_flags = lane ? UMQ_O_NOPOLL : 0;
	nb = T_OK(px_open(O_RDWR | O_NONBLOCK));
	bl = T_OK(px_open(O_RDWR));
	/* The lane opens once the queue is empty at a call's end. */
	T_OK(umq_mq_send(nb, "m0", 3, 1));
	T_EQ(umq_mq_receive(nb, buf, sizeof(buf), NULL), 3);
	T_OK(umq_mq_send(nb, "m1", 3, 1));
	if (!lane)
		T_OK(umq_mq_send(nb, "m3", 3, 3));
	hold = lane ? stopped_in(FP_LANE_SEND, false, px_send, &bl) :
		      stopped_in(FP_RECV_TAKE, true, px_recv, &bl);
	px_bounded_calls(nb, bl, lane ? 1 : 0);
	go_on(hold);
	/* Nothing lost: the stopped sender's message, or what the stopped
	 * receiver left. */
	T_EQ(umq_mq_receive(nb, buf, sizeof(buf), &prio), lane ? 5 : 3);
	T_EQ(prio, 1);
	T_ERR(umq_mq_receive(nb, buf, sizeof(buf), NULL), EAGAIN);
	T_OK(umq_mq_close(nb));
	T_OK(umq_mq_close(bl));
	T_OK(umq_mq_unlink(PX_NAME));
}

/* A blocking send of a higher priority than the lane's closes it: it
 * holds the senders' lock while it waits for the receivers', which a
 * stopped receiver holds.  A non-blocking send then waits on it. */
static mqd_t px_bl, px_nb;

static void px_high_send(void *arg)
{
	(void)arg;
	if (umq_mq_send(px_bl, "high", 5, 5))
		_exit(1);
}

static void px_nowait_send(void *arg)
{
	(void)arg;
	alarm(2);
	_exit(umq_mq_send(px_nb, "x", 2, 1) && errno != EAGAIN);
}

T_CASE(posix_nonblocking_beside_closer_waiting_on_stopped_receiver)
{
	char buf[16];
	pid_t hold, snd, nw;
	int st;

	px_flags = UMQ_O_NOPOLL;
	px_nb = T_OK(px_open(O_RDWR | O_NONBLOCK));
	px_bl = T_OK(px_open(O_RDWR));
	T_OK(umq_mq_send(px_nb, "m0", 3, 1));
	T_EQ(umq_mq_receive(px_nb, buf, sizeof(buf), NULL), 3);
	T_OK(umq_mq_send(px_nb, "m1", 3, 1));
	T_OK(umq_mq_send(px_nb, "m2", 3, 1));
	hold = stopped_in(FP_LANE_RECV, false, px_recv, &px_bl);
	snd = t_spawn_alarm(px_high_send, NULL, 30);
	t_msleep(300);		/* it closes the lane, waiting */
	nw = t_spawn_alarm(px_nowait_send, NULL, 30);
	st = t_reap(nw, 5000);
	go_on(hold);
	t_exited_ok(snd, t_reap(snd, 10000), "the blocking send");
	t_exited_ok(nw, st, "the non-blocking send");
	while (umq_mq_receive(px_nb, buf, sizeof(buf), NULL) > 0)
		;
	T_OK(umq_mq_close(px_nb));
	T_OK(umq_mq_close(px_bl));
	T_OK(umq_mq_unlink(PX_NAME));
}

T_CASE(posix_nonblocking_beside_stopped_lane_sender) { px_stopped(true); }
T_CASE(posix_nonblocking_beside_stopped_queue_lock) { px_stopped(false); }

/* As sysv_nowait_past_deadline_is_busy: O_NONBLOCK comes first. */
T_CASE(posix_nonblocking_past_deadline_is_busy)
{
	struct timespec dl = t_deadline(CLOCK_REALTIME, -100);
	char buf[16];
	mqd_t nb, bl;
	pid_t hold;

	px_flags = 0;
	nb = T_OK(px_open(O_RDWR | O_NONBLOCK));
	bl = T_OK(px_open(O_RDWR));
	T_OK(umq_mq_send(nb, "m1", 3, 1));
	hold = stopped_in(FP_RECV_TAKE, true, px_recv, &bl);
	BOUNDED(umq_mq_timedsend(nb, "x", 2, 0, &dl), EAGAIN, 0);
	BOUNDED(umq_mq_timedreceive(nb, buf, sizeof(buf), NULL, &dl), EAGAIN,
		0);
	go_on(hold);
	T_OK(umq_mq_close(nb));
	T_OK(umq_mq_close(bl));
	T_OK(umq_mq_unlink(PX_NAME));
}

/* ---- a holder frozen by a cgroup ----------------------------------------- */

static void spin_here(int point)
{
	if (point == FP_LANE_SEND) {
		umq_fault_hook = NULL;
		__atomic_store_n(&thaw_flag[1], 1, __ATOMIC_RELEASE);
		while (!__atomic_load_n(thaw_flag, __ATOMIC_ACQUIRE))
			;	/* running, holding the lock, until frozen */
	}
}

static void frozen_child(void *arg)
{
	struct sv *a = arg;
	struct tmsg m = { 2, "frozen" };

	umq_fault_hook = spin_here;
	if (umq_msgsnd(a->qid, &m, sizeof(m.text), 0))
		_exit(1);
}

static bool write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	bool ok = f && fputs(s, f) >= 0;

	return f && !fclose(f) && ok;
}

/* path holds a line beginning with what. */
static bool file_has(const char *path, const char *what)
{
	char buf[256];
	FILE *f = fopen(path, "r");
	bool yes = false;

	while (f && fgets(buf, sizeof(buf), f))
		yes |= !strncmp(buf, what, strlen(what));
	if (f)
		fclose(f);
	return yes;
}

/* A freezer: v2's files in a cgroup of the unified hierarchy, or v1's. */
struct freezer {
	bool v2;
	char dir[320];
};

static const char *fz_file(const struct freezer *z, const char *name)
{
	static char path[400];

	snprintf(path, sizeof(path), "%s/%s", z->dir, name);
	return path;
}

/* A cgroup of our own under the hierarchy's mount (skips without). */
static void fz_make(struct freezer *z, bool v2)
{
	char line[512], dev[128], mnt[256], type[32], opts[256];
	FILE *f = fopen("/proc/self/mounts", "r");
	bool found = false;

	z->v2 = v2;
	while (!found && f && fgets(line, sizeof(line), f))
		found = sscanf(line, "%127s %255s %31s %255s", dev, mnt, type,
			       opts) == 4 &&
			(v2 ? !strcmp(type, "cgroup2") :
			      !strcmp(type, "cgroup") &&
			      strstr(opts, "freezer"));
	if (f)
		fclose(f);
	if (!found)
		t_skip("no cgroup %s freezer mounted", v2 ? "v2" : "v1");
	snprintf(z->dir, sizeof(z->dir), "%s/umq-t.bounded.%d", mnt,
		 (int)getpid());
	if (mkdir(z->dir, 0755))
		t_skip("no cgroup of our own (%s): %s", z->dir,
		       strerror(errno));
	if (access(fz_file(z, v2 ? "cgroup.freeze" : "freezer.state"),
		   W_OK)) {
		rmdir(z->dir);
		t_skip("no freezer in %s", z->dir);
	}
}

/*
 * Whatever becomes of the case: once its process is gone, thaw the
 * cgroup (a frozen process cannot even die), kill what is in it and
 * remove it - from a process of its own session, which the end of the
 * case does not kill.
 */
static void fz_guard(const struct freezer *z)
{
	pid_t self = getpid();
	pid_t g;

	fflush(NULL);
	g = fork();
	if (g < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (g) {
		waitpid(g, NULL, 0);
		return;
	}
	if (fork())
		_exit(0);	/* the case does not wait for its end */
	setsid();
	for (int i = 0; i < 20 * 120 && !kill(self, 0); i++)
		t_msleep(50);
	write_file(fz_file(z, z->v2 ? "cgroup.freeze" : "freezer.state"),
		   z->v2 ? "0" : "THAWED");
	for (int i = 0; i < 100 && rmdir(z->dir) && errno == EBUSY; i++) {
		FILE *f = fopen(fz_file(z, "cgroup.procs"), "r");
		int pid;

		while (f && fscanf(f, "%d", &pid) == 1)
			kill(pid, SIGKILL);
		if (f)
			fclose(f);
		t_msleep(50);
	}
	_exit(0);
}

static void fz_freeze(struct freezer *z, pid_t pid, bool on)
{
	char pid_s[16];

	snprintf(pid_s, sizeof(pid_s), "%d", (int)pid);
	if (on)
		T_ASSERT(write_file(fz_file(z, "cgroup.procs"), pid_s));
	T_ASSERT(write_file(fz_file(z, z->v2 ? "cgroup.freeze" :
					       "freezer.state"),
			    z->v2 ? (on ? "1" : "0") :
				    (on ? "FROZEN" : "THAWED")));
	for (int i = 0; i < 500 && on; i++) {
		if (z->v2 ? file_has(fz_file(z, "cgroup.events"), "frozen 1") :
			    file_has(fz_file(z, "freezer.state"), "FROZEN"))
			return;
		t_msleep(10);
	}
	if (on)
		T_FAIL("%s did not freeze", z->dir);
}

/* A sender frozen while it holds the senders' lock, running: its state
 * is no stop, its cgroup says it is frozen. */
static void frozen_sender(bool v2)
{
	int qid = T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv a = { qid, 0 };
	struct freezer z;
	pid_t hold;

	fz_make(&z, v2);
	fz_guard(&z);
	thaw_flag = t_shared(2 * sizeof(*thaw_flag));	/* go on; in the hook */
	sv_put(qid, 1);
	hold = t_spawn_alarm(frozen_child, &a, 60);
	for (int i = 0; i < 5000 && !__atomic_load_n(&thaw_flag[1],
						    __ATOMIC_ACQUIRE); i++)
		t_msleep(1);
	T_ASSERT(thaw_flag[1]);	/* spinning with the lock */
	fz_freeze(&z, hold, true);
	sv_bounded_calls(qid, true);
	fz_freeze(&z, hold, false);
	__atomic_store_n(thaw_flag, 1, __ATOMIC_RELEASE);
	t_exited_ok(hold, t_reap(hold, 10000), "the frozen sender");
	T_EQ(sv_take(qid, 0, IPC_NOWAIT), 2);
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

T_CASE(sysv_nowait_beside_sender_frozen_v2) { frozen_sender(true); }
T_CASE(sysv_nowait_beside_sender_frozen_v1) { frozen_sender(false); }

/* ---- stops at random instants, on the kernel and umq -------------------- */

#define B (&sysv_backends[half])
#define ROUNDS 40

static void busy(int qid)
{
	struct tmsg m = { 1, "busy" };

	alarm(60);
	for (;;) {
		B->snd(qid, &m, sizeof(m.text), IPC_NOWAIT);
		B->rcv(qid, &m, sizeof(m.text), 1, IPC_NOWAIT);
		m.mtype = 1;
	}
}

/* A fresh process's non-blocking calls, each pair of which completes;
 * none waits on the stopped process. */
static void fresh_calls(int qid)
{
	struct tmsg m = { 2, "fresh" };

	alarm(2);
	for (int i = 0; i < 100; i++) {
		if (B->snd(qid, &m, sizeof(m.text), IPC_NOWAIT) &&
		    errno != EAGAIN)
			_exit(2);
		if (B->rcv(qid, &m, sizeof(m.text), 2, IPC_NOWAIT) < 0 &&
		    errno != ENOMSG)
			_exit(3);
		m.mtype = 2;
	}
	_exit(0);
}

BOTH(nowait_beside_sender_stopped_anywhere)
{
	int qid = T_OK(B->get(IPC_PRIVATE, 0600));
	int stalled = 0, st;
	pid_t bz, f;

	fflush(NULL);
	bz = fork();
	if (bz == 0)
		busy(qid);
	for (int r = 0; r < ROUNDS; r++) {
		t_msleep(5 + r % 7);
		kill(bz, SIGSTOP);
		wait_stopped(bz);
		fflush(NULL);
		f = fork();
		if (f == 0)
			fresh_calls(qid);
		st = t_waitpid(f);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			stalled++;
		kill(bz, SIGCONT);
	}
	t_reap(bz, 0);
	T_OK(B->ctl(qid, IPC_RMID, NULL));
	if (stalled)
		T_FAIL("%s: %d of %d rounds stalled or failed beside a "
		       "stopped sender", B->name, stalled, ROUNDS);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
