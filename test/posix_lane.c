/* SPDX-License-Identifier: MIT */
/*
 * posix_lane.c - a POSIX queue's lane (lane.c, LOCKING L14), from its
 * semantics: descriptors opened with UMQ_O_NOPOLL send and receive
 * through the lane while nobody watches, waits or awaits a notification.
 *
 *  - fault_*: a child dies at a lane fault point; the queue then holds
 *    each message committed exactly once, in priority-then-FIFO order,
 *    and mq_getattr and umq_mq_stats agree with a drain.
 *  - prio_*: priorities through the lane, against the rule.
 *  - watcher_*: readiness as soon as a watcher arrives, and the lane
 *    back once it leaves.
 *  - notify_*: no notification lost to a lane send.
 *  - stream_2x2: two senders, two receivers, 200k messages.
 *
 * Every case runs under an alarm.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>

#include "t.h"
#include "umq.h"
#include "internal.h"
#include "qview.h"

#define QNAME	"/lane"
#define MAXMSG	10
#define MSGSZ	64

struct tmsg {
	uint32_t who, seq;
};

/* What a drain must return, in order; shared with children. */
struct expect {
	int n;
	struct { unsigned prio; uint32_t who, seq; } m[256];
};

static mqd_t open_q(bool nopoll)
{
	struct mq_attr a = { .mq_maxmsg = MAXMSG, .mq_msgsize = MSGSZ };

	return (mqd_t)T_OK(umq_mq_open(QNAME, O_RDWR | O_CREAT | O_NONBLOCK |
				       (nopoll ? UMQ_O_NOPOLL : 0), 0600, &a));
}

/* A new queue, empty, with a receive that fails: its lane is open (the
 * open opened it already: pq_watch_check). */
static mqd_t new_q(void)
{
	mqd_t d = open_q(true);
	char buf[MSGSZ];

	T_ERR(umq_mq_receive(d, buf, sizeof(buf), NULL), EAGAIN);
	return d;
}

static uint32_t gate_of(mqd_t d)
{
	return __atomic_load_n(&pq_of(d)->ctl->lane.gate, __ATOMIC_ACQUIRE);
}

static void expect_gate(mqd_t d, uint32_t want, const char *when)
{
	uint32_t g = gate_of(d);

	if (g != want)
		T_FAIL("%s: the lane's gate is %#x, expected %#x", when, g,
		       want);
}

/* Insert where a receive will take it: after every message of its
 * priority or higher. */
static void exp_add(struct expect *e, unsigned prio, uint32_t who,
		    uint32_t seq)
{
	int i = e->n;

	T_ASSERT(e->n < 256);
	while (i > 0 && e->m[i - 1].prio < prio) {
		e->m[i] = e->m[i - 1];
		i--;
	}
	e->m[i].prio = prio;
	e->m[i].who = who;
	e->m[i].seq = seq;
	e->n++;
}

static void exp_pop(struct expect *e)
{
	memmove(&e->m[0], &e->m[1], sizeof(e->m[0]) * (size_t)--e->n);
}

static int send_msg(mqd_t d, unsigned prio, uint32_t who, uint32_t seq)
{
	struct tmsg m = { who, seq };

	return umq_mq_send(d, (const char *)&m, sizeof(m), prio);
}

static void send_exp(mqd_t d, struct expect *e, unsigned prio, uint32_t who,
		     uint32_t seq)
{
	T_OK(send_msg(d, prio, who, seq));
	exp_add(e, prio, who, seq);
}

/* Receive one: the head of e, which it leaves. */
static void recv_exp(mqd_t d, struct expect *e, const char *when)
{
	struct tmsg m = { 0 };
	unsigned prio = ~0u;
	ssize_t r = umq_mq_receive(d, (char *)&m, MSGSZ, &prio);

	if (!e->n)
		T_FAIL("%s: nothing expected", when);
	if (r != sizeof(m) || prio != e->m[0].prio || m.who != e->m[0].who ||
	    m.seq != e->m[0].seq)
		T_FAIL("%s: got %zd %s prio %u %u/%u, expected prio %u %u/%u",
		       when, r, r < 0 ? strerrorname_np(errno) : "", prio,
		       m.who, m.seq, e->m[0].prio, e->m[0].who, e->m[0].seq);
	exp_pop(e);
}

/* The queue holds e exactly: count, order, and nothing after. */
static void check_drain(mqd_t d, struct expect *e, const char *when)
{
	struct mq_attr a;
	char buf[MSGSZ];

	T_OK(umq_mq_getattr(d, &a));
	if (a.mq_curmsgs != e->n)
		T_FAIL("%s: mq_curmsgs %ld, expected %d", when, a.mq_curmsgs,
		       e->n);
	while (e->n)
		recv_exp(d, e, when);
	T_ERR(umq_mq_receive(d, buf, sizeof(buf), NULL), EAGAIN);
	T_OK(umq_mq_getattr(d, &a));
	T_EQ(a.mq_curmsgs, 0);
}

/*
 * The stats count sent messages committed, received ones taken: exactly,
 * or, after a crash in a send (slack 1), both one more - L12 allows a
 * crash inside a critical section to leave them off by one, and a lane
 * send counts itself before its commit (a phantom send and receive).
 */
static void check_stats_slack(uint64_t sent, uint64_t received, int slack,
			      const char *when)
{
	struct umq_qstats st;
	uint64_t over;

	T_OK(umq_mq_stats(QNAME, &st));
	over = st.sent - sent;
	if (st.sent < sent || over > (uint64_t)slack ||
	    st.received != received + over || st.messages != sent - received)
		T_FAIL("%s: stats sent %llu received %llu messages %llu, "
		       "expected %llu %llu", when, st.sent, st.received,
		       st.messages, (unsigned long long)sent,
		       (unsigned long long)received);
	if (over)
		t_note("%s: sent and received one over (L12)", when);
}

static void check_stats(uint64_t sent, uint64_t received, const char *when)
{
	check_stats_slack(sent, received, 0, when);
}

/* ---- fault points --------------------------------------------------- */

static int fp_point, fp_left;

static void fp_die(int point)
{
	if (point == fp_point && --fp_left == 0)
		raise(SIGKILL);
}

struct job {
	mqd_t d;		/* the parent's, inherited: an open would
				 * take the queue lock, closing the lane */
	int point, nth, op;	/* op: what the child does, JOB_* */
	int done;		/* calls that returned */
	unsigned prio;
};

enum { JOB_SEND, JOB_RECV, JOB_WATCH, JOB_NOTIFY };

static void job_run(void *arg)
{
	struct job *j = arg;
	mqd_t d = j->d;
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	char buf[MSGSZ];

	fp_point = j->point;
	fp_left = j->nth;
	umq_fault_hook = fp_die;
	for (uint32_t i = 0; i < 64; i++, j->done++) {
		switch (j->op) {
		case JOB_SEND:
			T_OK(send_msg(d, j->prio, 1, i));
			break;
		case JOB_RECV:
			T_OK(umq_mq_receive(d, buf, sizeof(buf), NULL));
			break;
		case JOB_WATCH:
			T_OK(umq_mq_watch(d));
			break;
		case JOB_NOTIFY:
			T_OK(umq_mq_notify(d, &sev));
			break;
		}
	}
	_exit(T_EXIT_FAIL);	/* never reached the point */
}

/* Run job j in a child that must die by SIGKILL at its point. */
static void run_dying(struct job *j)
{
	pid_t pid = t_spawn_alarm(job_run, j, 20);
	int st = t_wait_child(pid, 0, 10000);

	if (st == -1 || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		T_FAIL("child armed at point %d (hit %d) did not die there: "
		       "status %#x after %d calls", j->point, j->nth, st,
		       j->done);
	/* At FP_LANE_MOVE the first call dies, at its nth message moved. */
	if (j->point != FP_LANE_MOVE && j->done != j->nth - 1)
		T_FAIL("the child completed %d calls, expected %d", j->done,
		       j->nth - 1);
}

/* A fresh queue, prefilled through the lane with n messages of sender 0:
 * priorities non-increasing, so that all stay in the lane. */
static mqd_t prefill(struct expect *e, int n)
{
	mqd_t d;

	alarm(30);
	d = new_q();
	for (int i = 0; i < n; i++)
		send_exp(d, e, (unsigned)(n - i) / 3 + 1, 0, (uint32_t)i);
	expect_gate(d, LANE_OPEN, "after the prefill");
	return d;
}

static void finish(mqd_t d)
{
	/* The queue works, its lane open again, once it is empty. */
	struct expect *e = t_shared(sizeof(*e));

	send_exp(d, e, 4, 2, 0);
	expect_gate(d, LANE_OPEN, "a send after the drain");
	check_drain(d, e, "after the drain");
	T_OK(umq_mq_close(d));
	T_OK(umq_mq_unlink(QNAME));
}

/*
 * A sender (op JOB_SEND) or receiver (JOB_RECV) dies before its commit
 * (FP_LANE_SEND: not sent; FP_LANE_RECV: not taken) or after it
 * (FP_LANE_COUNT, before its count, and FP_LANE_SENT: sent once;
 * FP_LANE_TAKEN: taken, lost with it, as on the kernel), at its nth call.  A sender that dies before its commit may
 * leave sent one over (L12).
 */
static void fault_lane(int op, int point, int nth, const char *name)
{
	struct expect *e = t_shared(sizeof(*e));
	struct job *j = t_shared(sizeof(*j));
	bool send = op == JOB_SEND;
	int slack = point == FP_LANE_SEND;
	int done = nth - (point == FP_LANE_SEND || point == FP_LANE_RECV);
	mqd_t d = prefill(e, send ? 4 : 9);
	uint64_t sent = send ? (uint64_t)(4 + done) : 9;

	*j = (struct job){ .d = d, .point = point, .nth = nth, .op = op,
			   .prio = 1 };
	run_dying(j);
	for (int i = 0; i < done; i++) {
		if (send)
			exp_add(e, 1, 1, (uint32_t)i);
		else
			exp_pop(e);
	}
	check_stats_slack(sent, send ? 0 : (uint64_t)done, slack,
			  "after the death");
	check_drain(d, e, name);
	check_stats_slack(sent, sent, slack, "drained");
	finish(d);
}

#define FAULT_CASE(name, op, point, nth)				\
	T_CASE(name) { fault_lane(op, point, nth, #point); }
FAULT_CASE(fault_send, JOB_SEND, FP_LANE_SEND, 1)
FAULT_CASE(fault_send_5th, JOB_SEND, FP_LANE_SEND, 5)
FAULT_CASE(fault_sent, JOB_SEND, FP_LANE_SENT, 1)
FAULT_CASE(fault_sent_5th, JOB_SEND, FP_LANE_SENT, 5)
FAULT_CASE(fault_count, JOB_SEND, FP_LANE_COUNT, 1)
FAULT_CASE(fault_count_3rd, JOB_SEND, FP_LANE_COUNT, 3)
FAULT_CASE(fault_recv, JOB_RECV, FP_LANE_RECV, 1)
FAULT_CASE(fault_recv_4th, JOB_RECV, FP_LANE_RECV, 4)
FAULT_CASE(fault_taken, JOB_RECV, FP_LANE_TAKEN, 1)
FAULT_CASE(fault_taken_4th, JOB_RECV, FP_LANE_TAKEN, 4)

/* Whoever takes the queue lock (op) dies while it moves the lane's nth
 * message into the store; the next caller (a receive) finishes the
 * move.  A higher priority send's message was never sent. */
static void fault_move(int op, int nth)
{
	struct expect *e = t_shared(sizeof(*e));
	struct job *j = t_shared(sizeof(*j));
	mqd_t d = prefill(e, 9);

	*j = (struct job){ .d = d, .point = FP_LANE_MOVE, .nth = nth, .op = op,
			   .prio = 30 };
	run_dying(j);
	expect_gate(d, LANE_CLOSING, "after the closer died");
	recv_exp(d, e, "the receive after the closer died");
	expect_gate(d, LANE_CLOSED, "after the next lock");
	check_stats(9, 1, "after the next lock");
	check_drain(d, e, "FP_LANE_MOVE");
	check_stats(9, 9, "drained");
	finish(d);
}

T_CASE(fault_move_watch_first) { fault_move(JOB_WATCH, 1); }
T_CASE(fault_move_watch_5th) { fault_move(JOB_WATCH, 5); }
T_CASE(fault_move_notify_last) { fault_move(JOB_NOTIFY, 9); }
T_CASE(fault_move_high_send_3rd) { fault_move(JOB_SEND, 3); }

/* ---- priorities ------------------------------------------------------ */

/*
 * Mixed priorities from two NOPOLL descriptors, each round from an empty
 * queue with the lane open: the lane takes the sends while priorities do
 * not rise; a higher one arriving while it holds messages closes it (the
 * store takes it and what follows).  Highest first, FIFO within each.
 * No send finds the queue full: a non-blocking one would close the lane.
 */
T_CASE(prio_order)
{
	static const unsigned pr[][8] = {
		{ 3, 3, 1, 7, 1, 3, 9, 0 },
		{ 5, 5, 5, 4, 4, 0, 6, 5 },
		{ 0, 0, 0, 0, 1, 0, 2, 2 },
		{ 9, 8, 7, 6, 5, 4, 3, 2 },
	};
	struct expect *e = t_shared(sizeof(*e));
	mqd_t a, b;

	alarm(20);
	a = open_q(true);
	b = new_q();
	for (size_t r = 0; r < sizeof(pr) / sizeof(pr[0]); r++) {
		expect_gate(a, LANE_OPEN, "a round's start");
		for (uint32_t i = 0; i < 8; i++)
			send_exp(i & 1 ? b : a, e, pr[r][i], i & 1, i);
		/* Some out, then more in among what is left. */
		for (int i = 0; i < 3; i++)
			recv_exp(i & 1 ? a : b, e, "some out");
		for (uint32_t i = 0; i < 2; i++)
			send_exp(a, e, pr[r][i * 3 + 1], 2, i);
		check_drain(b, e, "prio_order");
	}
	T_OK(umq_mq_close(a));
	T_OK(umq_mq_close(b));
	T_OK(umq_mq_unlink(QNAME));
}

/*
 * A non-blocking send to a full lane and receive from an empty one fail
 * with EAGAIN in the lane, counted, and leave it open; a descriptor made
 * blocking behind the library's back (fcntl: its hint is stale) waits,
 * as its description now says, rather than fail.
 */
static void *late_recv(void *arg)
{
	char buf[MSGSZ];

	usleep(100 * 1000);
	T_EQ(umq_mq_receive(*(mqd_t *)arg, buf, sizeof(buf), NULL),
	     (ssize_t)sizeof(struct tmsg));
	return NULL;
}

T_CASE(nonblocking_refused_in_the_lane)
{
	struct umq_qstats st;
	struct tmsg m = { 0, 0 };
	pthread_t t;
	mqd_t d, r;

	alarm(20);
	d = new_q();
	r = open_q(true);
	T_ERR(umq_mq_receive(d, (char *)&m, MSGSZ, NULL), EAGAIN);
	expect_gate(d, LANE_OPEN, "after a refused receive");
	for (uint32_t i = 0; i < MAXMSG; i++)
		T_OK(send_msg(d, 0, 0, i));
	T_ERR(send_msg(d, 0, 0, MAXMSG), EAGAIN);
	T_ERR(send_msg(d, 0, 0, MAXMSG), EAGAIN);
	expect_gate(d, LANE_OPEN, "after refused sends");
	T_OK(umq_mq_stats(QNAME, &st));
	T_EQ(st.refused_full, 2);
	T_EQ(st.refused_empty, 2);	/* new_q's and ours */
	T_EQ(st.messages, MAXMSG);
	/* Blocking now, by the description's flag alone. */
	T_OK(fcntl(d, F_SETFL, fcntl(d, F_GETFL) & ~O_NONBLOCK));
	T_EQ(pthread_create(&t, NULL, late_recv, &r), 0);
	T_OK(send_msg(d, 0, 0, MAXMSG));	/* waits for late_recv */
	T_EQ(pthread_join(t, NULL), 0);
	T_OK(umq_mq_stats(QNAME, &st));
	T_EQ(st.refused_full, 2);
	T_EQ(st.messages, MAXMSG);
	T_OK(umq_mq_close(d));
	T_OK(umq_mq_close(r));
	T_OK(umq_mq_unlink(QNAME));
}

/* ---- watchers --------------------------------------------------------- */

static short revents(mqd_t d)
{
	struct pollfd p = { .fd = d, .events = POLLIN | POLLOUT };

	T_OK(poll(&p, 1, 0));
	return p.revents;
}

static void expect_poll(mqd_t d, short want, const char *when)
{
	short r = revents(d);

	if (r != want)
		T_FAIL("%s: poll gives %#x, expected %#x", when, r, want);
}

/* A watcher arriving (a plain open, or umq_mq_watch) sees the lane's
 * messages at once; after it leaves, the lane takes the traffic again. */
static void watcher_arrives(bool by_watch)
{
	struct expect *e = t_shared(sizeof(*e));
	mqd_t a, w;

	alarm(20);
	a = new_q();
	for (uint32_t i = 0; i < 3; i++)
		send_exp(a, e, 2, 0, i);
	expect_gate(a, LANE_OPEN, "streaming");
	expect_poll(a, POLLOUT, "a NOPOLL descriptor");
	w = open_q(by_watch);
	if (by_watch)
		T_OK(umq_mq_watch(w));
	expect_poll(w, POLLIN | POLLOUT, "the watcher's first look");
	while (e->n < MAXMSG)
		send_exp(a, e, 2, 0, (uint32_t)e->n);
	expect_poll(w, POLLIN, "full");
	recv_exp(a, e, "one out");
	expect_poll(w, POLLIN | POLLOUT, "one out");
	while (e->n)
		recv_exp(w, e, "drain");
	expect_poll(w, POLLOUT, "drained");
	T_OK(umq_mq_close(w));
	/* The next open or close learns nobody watches: the lane again. */
	send_exp(a, e, 2, 0, 100);
	recv_exp(a, e, "after the watcher left");
	send_exp(a, e, 2, 0, 101);
	expect_gate(a, LANE_OPEN, "after the watcher left");
	expect_poll(a, POLLOUT, "a NOPOLL descriptor, the lane again");
	check_drain(a, e, "watcher_arrives");
	T_OK(umq_mq_close(a));
	T_OK(umq_mq_unlink(QNAME));
}

T_CASE(watcher_open) { watcher_arrives(false); }
T_CASE(watcher_watch) { watcher_arrives(true); }

/* The same, with the sender another process that keeps its lane
 * descriptor all along. */
static void stream_three(void *arg)
{
	mqd_t d = open_q(true);

	(void)arg;
	for (uint32_t i = 0; i < 3; i++)
		T_OK(send_msg(d, 2, 0, i));
	_exit(T_EXIT_PASS);
}

T_CASE(watcher_other_process)
{
	struct expect *e = t_shared(sizeof(*e));
	mqd_t w;

	alarm(20);
	t_exited_ok(-1, t_waitpid(t_spawn_alarm(stream_three, NULL, 10)),
		    "the sender");
	for (uint32_t i = 0; i < 3; i++)
		exp_add(e, 2, 0, i);
	w = open_q(false);
	expect_poll(w, POLLIN | POLLOUT, "the watcher's first look");
	check_drain(w, e, "watcher_other_process");
	expect_poll(w, POLLOUT, "drained");
	T_OK(umq_mq_close(w));
	T_OK(umq_mq_unlink(QNAME));
}

/* ---- notification ----------------------------------------------------- */

static void send_one_nopoll(void *arg)
{
	mqd_t d = open_q(true);

	(void)arg;
	T_OK(send_msg(d, 1, 3, 0));
	_exit(T_EXIT_PASS);
}

/* Registered on an empty queue whose lane was in use: another NOPOLL
 * process's send must fire it. */
/* SIGUSR1 blocked, to be taken with t_take_sig; the queue opened. */
static const struct sigevent note_sev = { .sigev_notify = SIGEV_SIGNAL,
					  .sigev_signo = SIGUSR1 };

static mqd_t notify_start(void)
{
	sigset_t set;

	alarm(20);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return open_q(true);
}

static void notify_case(int before)
{
	struct expect *e = t_shared(sizeof(*e));
	mqd_t d = notify_start();
	siginfo_t si;

	/* Lane traffic first, drained: the queue is empty again. */
	for (int i = 0; i < before; i++)
		send_exp(d, e, 1, 0, (uint32_t)i);
	while (e->n)
		recv_exp(d, e, "before");
	T_OK(umq_mq_notify(d, &note_sev));
	T_ASSERT(gate_of(d) != LANE_OPEN);
	t_exited_ok(-1, t_waitpid(t_spawn_alarm(send_one_nopoll, NULL, 10)),
		    "the sender");
	si = t_take_sig(SIGUSR1, 5000);
	if (si.si_signo != SIGUSR1)
		T_FAIL("no notification after a NOPOLL send");
	T_EQ(si.si_code, SI_MESGQ);
	exp_add(e, 1, 3, 0);
	check_drain(d, e, "notify");
	/* The registration is spent: the lane again. */
	send_exp(d, e, 1, 0, 0);
	expect_gate(d, LANE_OPEN, "after the notification");
	check_drain(d, e, "notify, after");
	T_OK(umq_mq_close(d));
	T_OK(umq_mq_unlink(QNAME));
}

T_CASE(notify_fresh) { notify_case(0); }
T_CASE(notify_after_lane) { notify_case(5); }

/* Registered while the lane holds messages: the queue is not empty, so
 * nothing fires until it empties and a message arrives. */
T_CASE(notify_lane_full)
{
	struct expect *e = t_shared(sizeof(*e));
	mqd_t d = notify_start();
	siginfo_t si;

	for (uint32_t i = 0; i < 4; i++)
		send_exp(d, e, 1, 0, i);
	T_OK(umq_mq_notify(d, &note_sev));
	send_exp(d, e, 1, 0, 4);
	si = t_take_sig(SIGUSR1, 200);
	if (si.si_signo == SIGUSR1)
		T_FAIL("notified of a send to a queue not empty");
	check_drain(d, e, "drain");
	t_exited_ok(-1, t_waitpid(t_spawn_alarm(send_one_nopoll, NULL, 10)),
		    "the sender");
	si = t_take_sig(SIGUSR1, 5000);
	if (si.si_signo != SIGUSR1)
		T_FAIL("no notification after the queue emptied");
	exp_add(e, 1, 3, 0);
	check_drain(d, e, "notify_lane_full");
	T_OK(umq_mq_close(d));
	T_OK(umq_mq_unlink(QNAME));
}

/* ---- several processes ------------------------------------------------ */

#define STREAM_N	100000u		/* per sender */

struct stream {
	uint64_t got[2][2];	/* [receiver][sender] */
};

static struct stream *sh;

static void stream_send(void *arg)
{
	uint32_t who = (uint32_t)(uintptr_t)arg;
	struct mq_attr a = { .mq_maxmsg = MAXMSG, .mq_msgsize = MSGSZ };
	mqd_t d = (mqd_t)T_OK(umq_mq_open(QNAME, O_WRONLY | UMQ_O_NOPOLL,
					  0600, &a));

	for (uint32_t i = 0; i < STREAM_N; i++)
		T_OK(send_msg(d, 1, who, i));
	_exit(T_EXIT_PASS);
}

/* Each receiver sees each sender's sequence rising; the counts, summed
 * over both receivers, are STREAM_N each. */
static void stream_recv(void *arg)
{
	uint32_t me = (uint32_t)(uintptr_t)arg;
	mqd_t d = (mqd_t)T_OK(umq_mq_open(QNAME, O_RDONLY | UMQ_O_NOPOLL));
	int64_t last[2] = { -1, -1 };
	struct tmsg m;

	for (;;) {
		struct timespec ts = t_deadline(CLOCK_REALTIME, 1000);
		ssize_t r = umq_mq_timedreceive(d, (char *)&m, MSGSZ, NULL,
						&ts);

		if (r < 0 && errno == ETIMEDOUT)
			break;	/* the senders are done */
		T_EQ(r, sizeof(m));
		if (m.who > 1 || (int64_t)m.seq <= last[m.who])
			T_FAIL("receiver %u: %u/%u after %lld", me, m.who,
			       m.seq, (long long)last[m.who]);
		last[m.who] = m.seq;
		sh->got[me][m.who]++;
	}
	_exit(T_EXIT_PASS);
}

T_CASE(stream_2x2)
{
	struct mq_attr a = { .mq_maxmsg = MAXMSG, .mq_msgsize = MSGSZ };
	int open_seen = 0, looks = 0, st;
	pid_t p[4];
	mqd_t d;

	sh = t_shared(sizeof(*sh));
	alarm(120);
	d = (mqd_t)T_OK(umq_mq_open(QNAME, O_RDWR | O_CREAT | UMQ_O_NOPOLL,
				    0600, &a));
	for (int i = 0; i < 2; i++)
		p[i] = t_spawn_alarm(stream_recv, (void *)(uintptr_t)i, 110);
	for (int i = 0; i < 2; i++)
		p[2 + i] = t_spawn_alarm(stream_send, (void *)(uintptr_t)i,
					 110);
	/* The lane is seen open now and then: the traffic is the lane's. */
	while (waitpid(p[2], &st, WNOHANG) == 0) {
		open_seen += gate_of(d) == LANE_OPEN;
		looks++;
		t_msleep(1);
	}
	t_exited_ok(p[2], st, "a sender");
	for (int i = 0; i < 4; i++)
		if (i != 2)
			t_exited_ok(p[i], t_waitpid(p[i]), i < 2 ?
				    "a receiver" : "a sender");
	for (int w = 0; w < 2; w++)
		if (sh->got[0][w] + sh->got[1][w] != STREAM_N)
			T_FAIL("sender %d: %llu + %llu received, expected %u",
			       w, (unsigned long long)sh->got[0][w],
			       (unsigned long long)sh->got[1][w], STREAM_N);
	check_stats(2 * STREAM_N, 2 * STREAM_N, "after the stream");
	t_note("receivers got %llu and %llu; the lane open at %d of %d looks",
	       (unsigned long long)(sh->got[0][0] + sh->got[0][1]),
	       (unsigned long long)(sh->got[1][0] + sh->got[1][1]),
	       open_seen, looks);
	if (!open_seen)
		T_FAIL("the lane was never seen open");
	T_OK(umq_mq_close(d));
	T_OK(umq_mq_unlink(QNAME));
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
