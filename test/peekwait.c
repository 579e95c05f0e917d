/* SPDX-License-Identifier: MIT */
/*
 * peekwait.c - umq_msgclockpeek and umq_mq_clockpeek: a peek that blocks
 * as a receiver would, until enough messages match, and takes none.
 *
 * A peeker waits on the receivers' list in a record of its own kind
 * (WK_PEEK): a send that queues a message it selects wakes it, one that
 * hands its message to a receiver wakes none, and a send with no peeker
 * makes no system call.  Dead peekers are reaped as dead receivers are.
 * Every blocking call has a deadline; children run under an alarm.
 */
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <time.h>

#include "t.h"
#include "qview.h"
#include "syscount.h"
#include "umq.h"
#include "internal.h"

#define TXT 16

struct m {
	long type;
	char text[TXT];
};

/* What a child's call returned, for the parent. */
struct res {
	long r;
	int err;
	long type;
	size_t len;
	unsigned long index;
	char text[TXT];
};

static void snd(int id, long type, const char *text)
{
	struct m m = { type, "" };

	strcpy(m.text, text);
	T_OK(umq_msgsnd(id, &m, strlen(text) + 1, IPC_NOWAIT));
}

/* How many records the pool can still give: all of them, once the dead
 * are reclaimed (what a crash must not leak). */
static uint32_t claimable(struct wpool *wp)
{
	uint32_t got[Q_WAITERS], n = 0;

	while (n < Q_WAITERS && waiter_alloc(wp, &got[n]) == 0)
		n++;
	for (uint32_t i = 0; i < n; i++)
		waiter_free(wp, got[i]);
	return n;
}

/* ---- System V ----------------------------------------------------------- */

struct sv_job {
	int id;
	long type;
	int flg;
	size_t index;
	long ms;
	struct res res;
};

static void sv_peek_job(void *arg)
{
	struct sv_job *j = arg;
	struct timespec t = t_deadline(CLOCK_MONOTONIC, j->ms);
	struct umq_peek_msg pm = { .text = j->res.text, .size = TXT };

	j->res.r = umq_msgclockpeek(j->id, j->type, j->flg, j->index, &pm, 1,
				    CLOCK_MONOTONIC, &t);
	j->res.err = errno;
	j->res.type = pm.type;
	j->res.len = pm.len;
	j->res.index = pm.index;
}

static void sv_recv_job(void *arg)
{
	struct sv_job *j = arg;
	struct timespec t = t_deadline(CLOCK_MONOTONIC, j->ms);
	struct m m;

	j->res.r = umq_msgclockrcv(j->id, &m, TXT, j->type, 0,
				   CLOCK_MONOTONIC, &t);
	j->res.err = errno;
	j->res.type = m.type;
	memcpy(j->res.text, m.text, TXT);
}

static struct sv_job *sv_job(int id, long type, int flg, size_t index)
{
	struct sv_job *j = t_shared(sizeof(*j));

	j->id = id;
	j->type = type;
	j->flg = flg;
	j->index = index;
	j->ms = 10000;
	j->res.r = -2;
	return j;
}

static void ends_ok(pid_t pid, const char *what)
{
	int st = t_wait_child(pid, 0, 5000);

	if (st == -1)
		T_FAIL("%s did not return", what);
	t_exited_ok(pid, st, what);
}

/*
 * A record on the list is seen before its futex sleep begins; a handler
 * run in between cannot end the call (DESIGN.md §8), so a test that
 * means to interrupt a sleep waits until the sleeper really sleeps.
 */
static void in_futex(pid_t pid)
{
	if (t_wait_sleeping(pid))
		T_FAIL("the peeker never went to sleep");
}

static void still_waits(pid_t pid, const char *what)
{
	if (t_wait_child(pid, WNOHANG, 100) != -1)
		T_FAIL("%s returned", what);
}

static void qstat(int id, struct msqid_ds *ds)
{
	T_OK(umq_msgctl(id, IPC_STAT, ds));
}

T_CASE(sysv_woken_by_send)
{
	int id = (int)T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv_job *j[3];
	struct msqid_ds ds;
	pid_t p[3];

	for (int i = 0; i < 3; i++) {
		j[i] = sv_job(id, 0, 0, 0);
		p[i] = t_spawn_alarm(sv_peek_job, j[i], 20);
	}
	sv_until(id, WK_PEEK, 3);
	snd(id, 7, "hello");
	for (int i = 0; i < 3; i++) {
		ends_ok(p[i], "peeker");
		T_EQ(j[i]->res.r, 1);
		T_EQ(j[i]->res.type, 7);
		T_EQ(j[i]->res.len, 6);
		T_ASSERT(!strcmp(j[i]->res.text, "hello"));
	}
	/* Taken by none: still queued, no receive recorded. */
	qstat(id, &ds);
	T_EQ(ds.msg_qnum, 1);
	T_EQ(ds.msg_lrpid, 0);
	T_EQ(ds.msg_rtime, 0);
	T_EQ(sv_asleep(id, WK_PEEK), 0);
}

/* A typed peeker sleeps through messages it does not select. */
static void typed(long type, int flg, long miss, long hit)
{
	int id = (int)T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv_job *j = sv_job(id, type, flg, 0);
	pid_t p = t_spawn_alarm(sv_peek_job, j, 20);

	sv_until(id, WK_PEEK, 1);
	snd(id, miss, "miss");
	still_waits(p, "a peeker sent a message it does not select");
	T_EQ(sv_asleep(id, WK_PEEK), 1);
	snd(id, hit, "hit");
	ends_ok(p, "peeker");
	T_EQ(j->res.r, 1);
	T_EQ(j->res.type, hit);
	T_ASSERT(!strcmp(j->res.text, "hit"));
}

T_CASE(sysv_typed_equal) { typed(2, 0, 1, 2); }
T_CASE(sysv_typed_lesseq) { typed(-2, 0, 3, 2); }
T_CASE(sysv_typed_except) { typed(1, MSG_EXCEPT, 1, 4); }

T_CASE(sysv_index_waits_for_enough)
{
	int id = (int)T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv_job *j = sv_job(id, 0, 0, 2);
	pid_t p = t_spawn_alarm(sv_peek_job, j, 20);

	sv_until(id, WK_PEEK, 1);
	snd(id, 1, "a");
	snd(id, 1, "b");
	still_waits(p, "a peeker of index 2 with 2 messages queued");
	snd(id, 1, "c");
	ends_ok(p, "peeker");
	T_EQ(j->res.r, 1);
	T_EQ(j->res.index, 2);
	T_ASSERT(!strcmp(j->res.text, "c"));
}

/*
 * A receiver and a peeker both asleep, in either order: the send is
 * handed to the receiver (never queued), and the peeker, not woken,
 * waits on for a message that is queued.
 */
static void recv_and_peek(bool peeker_first)
{
	int id = (int)T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv_job *pj = sv_job(id, 0, 0, 0), *rj = sv_job(id, 0, 0, 0);
	struct msqid_ds ds;
	pid_t pp, rp;

	if (peeker_first) {
		pp = t_spawn_alarm(sv_peek_job, pj, 20);
		sv_until(id, WK_PEEK, 1);
		rp = t_spawn_alarm(sv_recv_job, rj, 20);
		sv_until(id, WK_RECV, 1);
	} else {
		rp = t_spawn_alarm(sv_recv_job, rj, 20);
		sv_until(id, WK_RECV, 1);
		pp = t_spawn_alarm(sv_peek_job, pj, 20);
		sv_until(id, WK_PEEK, 1);
	}
	snd(id, 3, "first");
	ends_ok(rp, "receiver");
	T_EQ(rj->res.r, 6);
	T_ASSERT(!strcmp(rj->res.text, "first"));
	still_waits(pp, "a peeker after a hand-off");
	T_EQ(sv_asleep(id, WK_PEEK), 1);
	qstat(id, &ds);
	T_EQ(ds.msg_qnum, 0);
	struct umq_qstats st;
	T_OK(umq_msg_stats(id, &st));
	T_EQ(st.handoffs, 1);
	T_EQ(st.blocked_receivers, 0);	/* a peeker is none */
	snd(id, 4, "second");
	ends_ok(pp, "peeker");
	T_EQ(pj->res.r, 1);
	T_ASSERT(!strcmp(pj->res.text, "second"));
}

T_CASE(sysv_handoff_past_peeker) { recv_and_peek(true); }
T_CASE(sysv_handoff_before_peeker) { recv_and_peek(false); }

T_CASE(sysv_deadline_and_flags)
{
	int id = (int)T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct umq_peek_msg pm = { 0 };
	struct timespec t = t_deadline(CLOCK_MONOTONIC, 100), bad = { 0, -1 };
	long t0 = t_now_ms();

	T_ERR(umq_msgclockpeek(id, 0, 0, 0, &pm, 1, CLOCK_MONOTONIC, &t),
	      ETIMEDOUT);
	T_ASSERT(t_now_ms() - t0 >= 90);
	t = t_deadline(CLOCK_REALTIME, 50);
	T_ERR(umq_msgclockpeek(id, 0, 0, 0, &pm, 1, CLOCK_REALTIME, &t),
	      ETIMEDOUT);
	T_ERR(umq_msgclockpeek(id, 0, 0, 0, &pm, 0, CLOCK_MONOTONIC, &t),
	      EINVAL);
	T_ERR(umq_msgclockpeek(id, 0, 0, 0, &pm, 1, CLOCK_MONOTONIC, &bad),
	      EINVAL);
	T_ERR(umq_msgclockpeek(id, 0, 0, 0, &pm, 1, CLOCK_PROCESS_CPUTIME_ID,
			       NULL), EINVAL);
	T_ERR(umq_msgclockpeek(id, 0, MSG_NOERROR, 0, &pm, 1,
			       CLOCK_MONOTONIC, NULL), EINVAL);
	T_ERR(umq_msgclockpeek(id + 1, 0, 0, 0, &pm, 1, CLOCK_MONOTONIC,
			       NULL), EINVAL);
	/* IPC_NOWAIT: the non-blocking peek's answers. */
	T_EQ(umq_msgclockpeek(id, 0, IPC_NOWAIT, 0, &pm, 1, CLOCK_MONOTONIC,
			      NULL), 0);
	snd(id, 1, "x");
	T_EQ(umq_msgclockpeek(id, 0, IPC_NOWAIT, 0, &pm, 1, CLOCK_MONOTONIC,
			      NULL), 1);
	/* Already there: no wait, even past the deadline. */
	t = (struct timespec){ 0, 0 };
	T_EQ(umq_msgclockpeek(id, 0, 0, 0, &pm, 1, CLOCK_MONOTONIC, &t), 1);
	T_EQ(sv_asleep(id, WK_PEEK), 0);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void sv_peek_signalled(void *arg)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };

	sigaction(SIGUSR1, &sa, NULL);
	sv_peek_job(arg);
}

T_CASE(sysv_signal_is_eintr)
{
	int id = (int)T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv_job *j = sv_job(id, 0, 0, 0);
	pid_t p = t_spawn_alarm(sv_peek_signalled, j, 20);

	sv_until(id, WK_PEEK, 1);
	in_futex(p);
	kill(p, SIGUSR1);
	ends_ok(p, "peeker");
	T_EQ(j->res.r, -1);
	T_EQ(j->res.err, EINTR);	/* even with SA_RESTART, as msgrcv */
	T_EQ(sv_asleep(id, WK_PEEK), 0);
}

T_CASE(sysv_rmid_is_eidrm)
{
	int id = (int)T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv_job *j = sv_job(id, 0, 0, 0);
	pid_t p = t_spawn_alarm(sv_peek_job, j, 20);

	sv_until(id, WK_PEEK, 1);
	T_OK(umq_msgctl(id, IPC_RMID, NULL));
	ends_ok(p, "peeker");
	T_EQ(j->res.r, -1);
	T_EQ(j->res.err, EIDRM);
}

T_CASE(sysv_killed_peeker)
{
	int id = (int)T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv_job *j = sv_job(id, 0, 0, 0), *r = sv_job(id, 0, 0, 0);
	struct msqid_ds ds;
	struct m m;
	pid_t p = t_spawn_alarm(sv_peek_job, j, 20), rp;

	sv_until(id, WK_PEEK, 1);
	kill(p, SIGKILL);
	t_waitpid(p);
	/* Queued, past the dead peeker; then received. */
	snd(id, 5, "after");
	qstat(id, &ds);
	T_EQ(ds.msg_qnum, 1);
	T_EQ(umq_msgrcv(id, &m, TXT, 0, IPC_NOWAIT), 6);
	T_ASSERT(!strcmp(m.text, "after"));
	/* A receiver behind a dead peeker is handed the next one. */
	p = t_spawn_alarm(sv_peek_job, sv_job(id, 0, 0, 0), 20);
	sv_until(id, WK_PEEK, 1);
	kill(p, SIGKILL);
	t_waitpid(p);
	rp = t_spawn_alarm(sv_recv_job, r, 20);
	sv_until(id, WK_RECV, 1);
	snd(id, 6, "handed");
	ends_ok(rp, "receiver");
	T_EQ(r->res.r, 7);
	/* Nothing linked any more, and no record leaked. */
	struct sq *s = sv_q(id);
	q_lock(s);
	T_EQ(s->q->wl.rhead, NIL);
	q_unlock(s);
	T_EQ(claimable(&s->wp), Q_WAITERS);
	sq_put(s);
}

/* The sender dies after queueing, before its wake-up: armed on the
 * peeker (L6), its death wakes it, and the repair shows the message. */
T_CASE(sysv_sender_dies_before_waking)
{
	int *id = t_shared(sizeof(*id));
	struct sv_job *j;
	pid_t p;

	*id = (int)T_OK(umq_msgget(IPC_PRIVATE, 0600));
	j = sv_job(*id, 0, 0, 0);
	p = t_spawn_alarm(sv_peek_job, j, 20);
	sv_until(*id, WK_PEEK, 1);
	send_and_die(*id);
	ends_ok(p, "peeker");
	T_EQ(j->res.r, 1);
	T_EQ(j->res.type, 9);
}

/* A send with no peeker makes no system call; with one asleep, one (its
 * wake-up); with one woken already and not back, none again. */
T_CASE(sysv_send_costs)
{
	static struct counter counter;
	int id = (int)T_OK(umq_msgget(IPC_PRIVATE, 0666));
	struct m m = { 1, "x" };
	const char *why;
	long before, none, one, again;
	pid_t p;

	uint32_t word = 0;

	snd(id, 1, "warm");		/* maps the queue, reads credentials */
	/* A typed receive closes the lane: "warm" goes to the store, whose
	 * pages this process then asks for once (pages.c), not below. */
	T_ERR(umq_msgrcv(id, &m, TXT, 5, IPC_NOWAIT), ENOMSG);
	pend_set(&word);		/* finds the thread's robust list, once */
	pend_clear();
	p = t_spawn_alarm(sv_peek_job, sv_job(id, 0, 0, 1), 20);
	sv_until(id, WK_PEEK, 1);
	kill(p, SIGSTOP);
	if (syscount_start(&counter, &why))
		t_skip("%s: %s", why, strerror(errno));
	before = atomic_load(&counter.n);
	T_OK(umq_msgsnd(id, &m, 2, IPC_NOWAIT));
	one = atomic_load(&counter.n) - before;
	before = atomic_load(&counter.n);
	T_OK(umq_msgsnd(id, &m, 2, IPC_NOWAIT));
	again = atomic_load(&counter.n) - before;
	kill(p, SIGCONT);
	ends_ok(p, "peeker");
	while (umq_msgrcv(id, &m, TXT, 0, IPC_NOWAIT) > 0)
		;
	before = atomic_load(&counter.n);
	T_OK(umq_msgsnd(id, &m, 2, IPC_NOWAIT));
	none = atomic_load(&counter.n) - before;
	T_EQ(one, 1);
	T_EQ(again, 0);
	T_EQ(none, 0);
}

/* ---- POSIX -------------------------------------------------------------- */

struct mq_job {
	char name[32];
	size_t index;
	int restart;		/* SA_RESTART on the SIGUSR1 handler */
	struct res res;
};

static mqd_t mq_make(const char *name, int maxmsg)
{
	struct mq_attr a = { .mq_maxmsg = maxmsg, .mq_msgsize = TXT };
	mqd_t d = umq_mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);

	if (d == (mqd_t)-1)
		T_FAIL("mq_open %s: %s", name, strerror(errno));
	return d;
}

static void mq_peek_job(void *arg)
{
	struct mq_job *j = arg;
	struct timespec t = t_deadline(CLOCK_MONOTONIC, 10000);
	struct umq_peek_msg pm = { .text = j->res.text, .size = TXT };
	struct sigaction sa = { .sa_handler = on_usr1,
				.sa_flags = j->restart ? SA_RESTART : 0 };
	mqd_t d = umq_mq_open(j->name, O_RDONLY);

	sigaction(SIGUSR1, &sa, NULL);
	j->res.r = umq_mq_clockpeek(d, j->index, &pm, 1, CLOCK_MONOTONIC, &t);
	j->res.err = errno;
	j->res.type = pm.type;
	j->res.index = pm.index;
}

static struct mq_job *mq_job(const char *name, size_t index)
{
	struct mq_job *j = t_shared(sizeof(*j));

	strcpy(j->name, name);
	j->index = index;
	j->res.r = -2;
	return j;
}

T_CASE(posix_woken_by_send)
{
	mqd_t d = mq_make("/pw", 8);
	struct mq_job *j[3];
	struct mq_attr a;
	pid_t p[3];

	for (int i = 0; i < 3; i++) {
		j[i] = mq_job("/pw", 0);
		p[i] = t_spawn_alarm(mq_peek_job, j[i], 20);
	}
	mq_until(d, WK_PEEK, 3);
	T_OK(umq_mq_send(d, "hi", 3, 5));
	for (int i = 0; i < 3; i++) {
		ends_ok(p[i], "peeker");
		T_EQ(j[i]->res.r, 1);
		T_EQ(j[i]->res.type, 5);
		T_ASSERT(!strcmp(j[i]->res.text, "hi"));
	}
	T_OK(umq_mq_getattr(d, &a));
	T_EQ(a.mq_curmsgs, 1);
}

T_CASE(posix_index_and_nonblock)
{
	mqd_t d = mq_make("/pi", 8), nb;
	struct mq_job *j = mq_job("/pi", 1);
	struct umq_peek_msg pm = { 0 };
	pid_t p = t_spawn_alarm(mq_peek_job, j, 20);

	mq_until(d, WK_PEEK, 1);
	T_OK(umq_mq_send(d, "a", 2, 1));
	still_waits(p, "a peeker of index 1 with 1 message queued");
	T_OK(umq_mq_send(d, "b", 2, 0));
	ends_ok(p, "peeker");
	T_EQ(j->res.r, 1);
	T_EQ(j->res.index, 1);
	T_ASSERT(!strcmp(j->res.text, "b"));
	/* O_NONBLOCK: as umq_mq_peek, at once. */
	nb = umq_mq_open("/pi", O_RDONLY | O_NONBLOCK);
	T_ASSERT(nb != (mqd_t)-1);
	T_EQ(umq_mq_clockpeek(nb, 5, &pm, 1, CLOCK_MONOTONIC, NULL), 0);
	T_EQ(umq_mq_clockpeek(nb, 0, &pm, 1, CLOCK_MONOTONIC, NULL), 1);
	/* Write-only: EBADF, as mq_receive. */
	mqd_t wo = umq_mq_open("/pi", O_WRONLY);
	T_ERR(umq_mq_clockpeek(wo, 0, &pm, 1, CLOCK_MONOTONIC, NULL), EBADF);
	T_ERR(umq_mq_clockpeek(nb, 0, &pm, 0, CLOCK_MONOTONIC, NULL), EINVAL);
	struct timespec t = t_deadline(CLOCK_REALTIME, 50);
	T_ERR(umq_mq_clockpeek(d, 5, &pm, 1, CLOCK_REALTIME, &t), ETIMEDOUT);
}

T_CASE(posix_receiver_and_peeker)
{
	mqd_t d = mq_make("/pr", 8);
	struct mq_job *j = mq_job("/pr", 0);
	struct timespec t = t_deadline(CLOCK_MONOTONIC, 10000);
	char buf[TXT];
	pid_t p = t_spawn_alarm(mq_peek_job, j, 20), r;

	mq_until(d, WK_PEEK, 1);
	r = fork();
	if (r == 0) {
		alarm(20);
		mqd_t rd = umq_mq_open("/pr", O_RDONLY);
		_exit(umq_mq_clockreceive(rd, buf, TXT, NULL, CLOCK_MONOTONIC,
					  &t) == 6 ? 0 : 1);
	}
	mq_until(d, WK_RECV, 1);
	T_OK(umq_mq_send(d, "first", 6, 0));
	ends_ok(r, "receiver");
	still_waits(p, "a peeker after a hand-off");
	T_OK(umq_mq_send(d, "second", 7, 0));
	ends_ok(p, "peeker");
	T_ASSERT(!strcmp(j->res.text, "second"));
}

/* SA_RESTART: the peek goes on (as mq_receive); without: EINTR. */
T_CASE(posix_signals)
{
	mqd_t d = mq_make("/ps", 8);
	struct mq_job *a = mq_job("/ps", 0), *b = mq_job("/ps", 0);
	pid_t pa, pb;

	b->restart = 1;
	pa = t_spawn_alarm(mq_peek_job, a, 20);
	pb = t_spawn_alarm(mq_peek_job, b, 20);
	mq_until(d, WK_PEEK, 2);
	in_futex(pa);
	in_futex(pb);
	kill(pa, SIGUSR1);
	kill(pb, SIGUSR1);
	ends_ok(pa, "peeker without SA_RESTART");
	T_EQ(a->res.r, -1);
	T_EQ(a->res.err, EINTR);
	still_waits(pb, "a peeker with SA_RESTART");
	mq_until(d, WK_PEEK, 1);
	T_OK(umq_mq_send(d, "go", 3, 0));
	ends_ok(pb, "peeker with SA_RESTART");
	T_EQ(b->res.r, 1);
}

/* mq_unlink ends no wait: the queue lives while a descriptor does. */
T_CASE(posix_unlink_waits_on)
{
	mqd_t d = mq_make("/pu", 8);
	struct mq_job *j = mq_job("/pu", 0);
	pid_t p = t_spawn_alarm(mq_peek_job, j, 20);

	mq_until(d, WK_PEEK, 1);
	T_OK(umq_mq_unlink("/pu"));
	still_waits(p, "a peeker after mq_unlink");
	T_OK(umq_mq_send(d, "late", 5, 0));
	ends_ok(p, "peeker");
	T_EQ(j->res.r, 1);
}

/* A peeker is no receiver: the registration still fires. */
T_CASE(posix_notify_fires_past_peeker)
{
	mqd_t d = mq_make("/pn", 8);
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
				.sigev_signo = SIGUSR2 };
	struct mq_job *j = mq_job("/pn", 0);
	struct timespec t = { 5, 0 };
	siginfo_t si;
	sigset_t ss;
	pid_t p;

	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR2);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	T_OK(umq_mq_notify(d, &sev));
	p = t_spawn_alarm(mq_peek_job, j, 20);
	mq_until(d, WK_PEEK, 1);
	T_OK(umq_mq_send(d, "n", 2, 0));
	T_EQ(sigtimedwait(&ss, &si, &t), SIGUSR2);
	ends_ok(p, "peeker");
	T_EQ(j->res.r, 1);
}

T_CASE(posix_killed_peeker)
{
	mqd_t d = mq_make("/pk", 8);
	struct pview *pv = pq_of(d);
	struct mq_attr a;
	char buf[TXT];
	pid_t p = t_spawn_alarm(mq_peek_job, mq_job("/pk", 0), 20);

	mq_until(d, WK_PEEK, 1);
	kill(p, SIGKILL);
	t_waitpid(p);
	T_OK(umq_mq_send(d, "x", 2, 0));
	T_OK(umq_mq_getattr(d, &a));
	T_EQ(a.mq_curmsgs, 1);
	T_EQ(umq_mq_receive(d, buf, TXT, NULL), 2);
	pq_lock(pv);
	T_EQ(pv->ctl->wl.rhead, NIL);
	pq_unlock(pv);
	T_EQ(claimable(&pv->wp), Q_WAITERS);
}

/* What a sender of a library older than peekers does: hand its message
 * to the first live record on the receivers' list, whatever its kind. */
static void old_send(mqd_t d, const char *text, unsigned prio)
{
	struct pview *pv = pq_of(d);
	struct wlists *wl = &pv->ctl->wl;
	uint32_t i, head;

	pq_lock(pv);
	i = wl->rhead;
	T_ASSERT(i < Q_WAITERS);
	T_OK(store_put(pv->ns, &pv->v, -(int64_t)prio, text,
		       strlen(text) + 1, &head) ? -1 : 0);
	wl_remove(&pv->wp, &wl->rhead, &wl->rtail, i);
	struct waiter *w = wp_rec(&pv->wp, i);
	post_arm(w);
	store_inflight(&pv->v, head, i);
	w->msg = head;
	w->len = strlen(text) + 1;
	w->mtype = -(int64_t)prio;
	w->result = 0;
	post(w, W_READY);
	pq_unlock(pv);
}

/* Handed a message by such a sender, a peeker queues it: nothing lost. */
T_CASE(posix_old_sender_handoff_queued)
{
	mqd_t d = mq_make("/po", 8);
	struct mq_job *j = mq_job("/po", 0);
	struct mq_attr a;
	char buf[TXT];
	unsigned prio;
	pid_t p = t_spawn_alarm(mq_peek_job, j, 20);

	mq_until(d, WK_PEEK, 1);
	old_send(d, "old", 3);
	ends_ok(p, "peeker");
	T_EQ(j->res.r, 1);
	T_ASSERT(!strcmp(j->res.text, "old"));
	T_OK(umq_mq_getattr(d, &a));
	T_EQ(a.mq_curmsgs, 1);
	T_EQ(umq_mq_receive(d, buf, TXT, &prio), 4);
	T_EQ(prio, 3);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
