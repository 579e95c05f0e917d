/* SPDX-License-Identifier: MIT */
/*
 * signals.c - signals and notifications exactly as the kernel has them
 * (spec A9, B9, B10; DESIGN.md §4, §5, §7).  Every scenario runs on the
 * kernel and on umq (t_both), each half in a process of its own, and must
 * give the same outcome on both.
 *
 *  - intr_*: a handled signal sent at many instants after a caller blocked
 *    in msgrcv, msgsnd, mq_receive or mq_send - 1 s and 2 s after, around
 *    them, and at random offsets - with and without SA_RESTART: System V
 *    calls end with EINTR every time, POSIX ones exactly when SA_RESTART
 *    is off, and otherwise go on waiting and complete later.  SIGSTOP and
 *    SIGCONT at such instants are transparent.
 *  - crash_*: a poster SIGKILLed inside its post (umq_fault_hook; on the
 *    kernel, right after its call) must not leave the sleeper asleep: it
 *    returns the message, or completes its send, with nobody else ever
 *    touching the queue.
 *  - notify_*: a SIGEV_SIGNAL notification is queued before mq_send
 *    returns - a zero-timeout sigtimedwait finds it, in the sender's own
 *    process and in another one told by a pipe; a handler of the sending
 *    thread has run - with the kernel's siginfo; it is delivered (later,
 *    on umq) when the OS would refuse the sender the kill(); it never
 *    reaches a process that took a dead registrant's pid, the sender
 *    itself when the registrant's pid in its own pid namespace is the
 *    sender's, or a victim named by a registration forged in shared memory.
 *
 * Every blocking call runs under a deadline: an alarm in every child, and
 * bounded polling in the parents.
 */
#include "t.h"

#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>

#include "umq.h"
#include "internal.h"

/* ---- Backends ------------------------------------------------------------ */

struct backend {
	const char *name;
	int kernel;		/* runs only in a private IPC namespace */
	T_MSG_CALLS
	mqd_t (*mq_open)(const char *, int, ...);
	int (*mq_close)(mqd_t);
	int (*mq_unlink)(const char *);
	int (*mq_send)(mqd_t, const char *, size_t, unsigned);
	ssize_t (*mq_receive)(mqd_t, char *, size_t, unsigned *);
	int (*mq_notify)(mqd_t, const struct sigevent *);
	int (*mq_getattr)(mqd_t, struct mq_attr *);
};

static const struct backend backends[] = {
	{ "kernel", 1, t_k_msgget, t_k_msgsnd, t_k_msgrcv, t_k_msgctl,
	  mq_open, mq_close, mq_unlink, mq_send, mq_receive, mq_notify,
	  mq_getattr },
	{ "umq", 0, umq_msgget, umq_msgsnd, umq_msgrcv, umq_msgctl,
	  umq_mq_open, umq_mq_close, umq_mq_unlink, umq_mq_send,
	  umq_mq_receive, umq_mq_notify, umq_mq_getattr },
};

/* The backend of the running half (t_both_run). */
#define B (&backends[t_half])

/* A case on both; a hung half fails by SIGALRM. */
#define BOTH(name)							\
	static void s_##name(void);					\
	T_BOTH(name) { alarm(40); s_##name(); }				\
	static void s_##name(void)

static bool on_umq(void)
{
	return !B->kernel;
}

/* ---- Small tools ------------------------------------------------------- */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until(int64_t at)
{
	struct timespec ts = { at / 1000000000LL, at % 1000000000LL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))
		;
}

/* Poll *flag until it is nonzero, for at most ms. */
static bool wait_flag(volatile int *flag, int ms)
{
	int64_t end = now_ns() + ms * 1000000LL;

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
		if (now_ns() > end)
			return false;
		t_msleep(1);
	}
	return true;
}

/* A child never outlives a hung case. */
static pid_t spawn(void (*fn)(void *), void *arg)
{
	return t_spawn_alarm(fn, arg, 30);
}

struct smsg {
	long mtype;
	char text[16];
};

#define MSGSZ 16

/* ---- The blocking calls ------------------------------------------------ */

enum { OP_MSGRCV, OP_MSGSND, OP_MQRECV, OP_MQSEND };

static const char *const op_name[] = { "msgrcv", "msgsnd", "mq_receive",
				       "mq_send" };

/* A queue on which op blocks: empty for a receive, full for a send. */
struct q {
	int op;
	int qid;
	mqd_t mq;
	char name[32];
};

static void q_make(struct q *q, int op, int n)
{
	struct smsg m = { 1, "filler" };

	q->op = op;
	if (op == OP_MSGRCV || op == OP_MSGSND) {
		struct msqid_ds ds;

		q->qid = T_OK(B->msgget(IPC_PRIVATE, 0600));
		if (op == OP_MSGSND) {
			T_OK(B->msgctl(q->qid, IPC_STAT, &ds));
			ds.msg_qbytes = MSGSZ;
			T_OK(B->msgctl(q->qid, IPC_SET, &ds));
			T_OK(B->msgsnd(q->qid, &m, MSGSZ, IPC_NOWAIT));
		}
	} else {
		struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = MSGSZ };

		snprintf(q->name, sizeof(q->name), "/sig%d", n);
		B->mq_unlink(q->name);
		q->mq = (mqd_t)T_OK(B->mq_open(q->name, O_CREAT | O_RDWR,
					       0600, &a));
		if (op == OP_MQSEND)
			T_OK(B->mq_send(q->mq, "filler", 6, 0));
	}
}

static void q_drop(struct q *q)
{
	if (q->op == OP_MSGRCV || q->op == OP_MSGSND) {
		B->msgctl(q->qid, IPC_RMID, NULL);
	} else {
		B->mq_close(q->mq);
		B->mq_unlink(q->name);
	}
}

/* The blocking call itself: a receive of anything, or a send of "blk". */
static long q_block(struct q *q, char *buf)
{
	struct smsg m = { 2, "blk" };

	switch (q->op) {
	case OP_MSGRCV:
		return B->msgrcv(q->qid, buf, MSGSZ, 0, 0);
	case OP_MSGSND:
		return B->msgsnd(q->qid, &m, MSGSZ, 0);
	case OP_MQRECV:
		return B->mq_receive(q->mq, buf, 64, NULL);
	default:
		return B->mq_send(q->mq, "blk", 3, 0);
	}
}

/* What lets q_block() complete: a message for a receiver (text), room for
 * a sender. */
static void q_unblock(struct q *q, const char *text)
{
	struct smsg m = { 1, "" };
	char buf[64];

	snprintf(m.text, sizeof(m.text), "%s", text);
	switch (q->op) {
	case OP_MSGRCV:
		T_OK(B->msgsnd(q->qid, &m, MSGSZ, IPC_NOWAIT));
		break;
	case OP_MSGSND:
		T_OK(B->msgrcv(q->qid, &m, MSGSZ, 0, IPC_NOWAIT));
		break;
	case OP_MQRECV:
		T_OK(B->mq_send(q->mq, text, strlen(text), 0));
		break;
	default:
		T_OK(B->mq_receive(q->mq, buf, sizeof(buf), NULL));
		break;
	}
}

/* ---- 1. A handled signal at many instants ------------------------------ */

enum { K_HANDLED, K_STOP };

struct trial {
	struct q q;
	int kind, restart;
	int64_t offset_ns;		/* after the call */
	int64_t called_at, blocked_at, sent_at;
	int started, done, handled, err;
	long ret;
	pid_t pid;
};

static struct trial *me;

static void on_usr1(int sig)
{
	(void)sig;
	__atomic_add_fetch(&me->handled, 1, __ATOMIC_RELAXED);
}

static void trial_child(void *arg)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	char buf[64];
	long r;

	me = arg;
	sa.sa_flags = me->restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	me->called_at = now_ns();
	__atomic_store_n(&me->started, 1, __ATOMIC_RELEASE);
	r = q_block(&me->q, buf);
	me->err = errno;
	me->ret = r;
	__atomic_store_n(&me->done, 1, __ATOMIC_RELEASE);
}

static bool eintr_expected(const struct trial *t)
{
	return t->kind == K_HANDLED &&
	       (t->q.op == OP_MSGRCV || t->q.op == OP_MSGSND || !t->restart);
}

static int by_event(const void *a, const void *b)
{
	const struct trial *x = *(struct trial *const *)a;
	const struct trial *y = *(struct trial *const *)b;
	int64_t ex = x->called_at + x->offset_ns;
	int64_t ey = y->called_at + y->offset_ns;

	return ex < ey ? -1 : ex > ey;
}

/* Offsets, in microseconds after the call: densely just after the whole
 * seconds (the slices of an earlier design ended there, a few tens of
 * microseconds late), and a few at random. */
static const int64_t fixed_us[] = {
	999990, 1000010, 1000030, 1000050, 1000070, 1000090, 1000120,
	1000160, 2000050, 2000100, 2000150, 2000200, 2000300,
};
#define N_RANDOM 4
#define N_HANDLED (sizeof(fixed_us) / sizeof(fixed_us[0]) + N_RANDOM)
#define N_STOP 2
#define N_TRIALS (2 * N_HANDLED + N_STOP)

static void intr_scenario(int op)
{
	struct trial *t = t_shared(N_TRIALS * sizeof(*t)), *order[N_TRIALS];
	unsigned seed = (unsigned)now_ns();
	int64_t end;
	size_t n = 0;

	srand(seed);
	prctl(PR_SET_TIMERSLACK, 1);	/* the instants, as exact as we can */
	for (int restart = 0; restart < 2; restart++) {
		for (size_t i = 0; i < N_HANDLED; i++, n++) {
			t[n].kind = K_HANDLED;
			t[n].restart = restart;
			t[n].offset_ns = 1000LL * (i < N_HANDLED - N_RANDOM ?
				fixed_us[i] : 50000 + rand() % 2150000);
		}
	}
	for (size_t i = 0; i < N_STOP; i++, n++) {
		t[n].kind = K_STOP;
		t[n].offset_ns = 1000000LL * (1300 + 1000 * (int64_t)i);
	}
	for (size_t i = 0; i < n; i++) {
		q_make(&t[i].q, op, (int)i);
		t[i].pid = spawn(trial_child, &t[i]);
		order[i] = &t[i];
	}
	/* When each caller is seen asleep in its call. */
	end = now_ns() + 10000000000LL;
	for (size_t left = n; left;) {
		if (now_ns() > end)
			T_FAIL("%zu %s callers never blocked", left,
			       op_name[op]);
		for (size_t i = 0; i < n; i++) {
			if (t[i].blocked_at ||
			    !__atomic_load_n(&t[i].started, __ATOMIC_ACQUIRE))
				continue;
			if (t[i].done)
				T_FAIL("%s returned %ld (%s) without blocking",
				       op_name[op], t[i].ret,
				       strerrorname_np(t[i].err) ?: "0");
			if (t_proc_state(t[i].pid) == 'S') {
				t[i].blocked_at = now_ns();
				left--;
			}
		}
		usleep(100);
	}
	qsort(order, n, sizeof(order[0]), by_event);
	for (size_t i = 0; i < n; i++) {
		struct trial *x = order[i];

		sleep_until(x->called_at + x->offset_ns);
		x->sent_at = now_ns();
		if (x->kind == K_HANDLED) {
			kill(x->pid, SIGUSR1);
			continue;
		}
		kill(x->pid, SIGSTOP);
		while (t_proc_state(x->pid) != 'T') {
			if (now_ns() > x->sent_at + 10000000000LL)
				T_FAIL("SIGSTOP did not stop the caller");
			usleep(200);
		}
		kill(x->pid, SIGCONT);
	}
	t_msleep(300);
	for (size_t i = 0; i < n; i++) {
		struct trial *x = &t[i];
		double at = (double)x->offset_ns / 1e6;
		const char *how = x->kind == K_STOP ? "SIGSTOP/SIGCONT" :
				  x->restart ? "a handler (SA_RESTART)" :
				  "a handler (no SA_RESTART)";

		if (x->kind == K_HANDLED && !wait_flag(&x->handled, 5000))
			T_FAIL("%s: the handler never ran", op_name[op]);
		if (eintr_expected(x)) {
			if (!wait_flag(&x->done, 5000))
				T_FAIL("%s still blocked after %s %.3f ms after "
				       "it blocked (seed %u)", op_name[op], how,
				       at, seed);
			if (x->ret != -1 || x->err != EINTR)
				T_FAIL("%s returned %ld %s after %s %.3f ms "
				       "after it blocked, expected EINTR",
				       op_name[op], x->ret,
				       strerrorname_np(x->err) ?: "0", how, at);
		} else {
			if (x->done)
				T_FAIL("%s returned %ld %s after %s %.3f ms "
				       "after it blocked (seed %u), expected it "
				       "to wait on", op_name[op], x->ret,
				       strerrorname_np(x->err) ?: "0", how, at,
				       seed);
			q_unblock(&x->q, "go");
			if (!wait_flag(&x->done, 5000))
				T_FAIL("%s did not complete once it could, "
				       "after %s", op_name[op], how);
			if (x->ret < 0)
				T_FAIL("%s failed %s after %s, then room",
				       op_name[op],
				       strerrorname_np(x->err) ?: "0", how);
			if (x->kind == K_STOP && x->handled)
				T_FAIL("a handler ran for a stop");
		}
		int st = t_reap(x->pid, 5000);
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
			T_FAIL("a %s caller ended badly: %#x", op_name[op], st);
		q_drop(&x->q);
	}
}

BOTH(intr_msgrcv) { intr_scenario(OP_MSGRCV); }
BOTH(intr_msgsnd) { intr_scenario(OP_MSGSND); }
BOTH(intr_mq_receive) { intr_scenario(OP_MQRECV); }
BOTH(intr_mq_send) { intr_scenario(OP_MQSEND); }

/* ---- 2. A poster killed inside its post -------------------------------- */

struct crash {
	struct q q;
	int point;			/* umq: where the poster dies */
	int started, done, err, hit;
	long ret;
	char got[64];
};

static struct crash *cr;

static void die_here(int point)
{
	if (point != cr->point)
		return;
	__atomic_store_n(&cr->hit, 1, __ATOMIC_RELEASE);
	kill(getpid(), SIGKILL);
}

static void crash_sleeper(void *arg)
{
	struct crash *c = arg;
	char buf[64] = "";
	long r;

	__atomic_store_n(&c->started, 1, __ATOMIC_RELEASE);
	r = q_block(&c->q, buf);
	c->err = errno;
	c->ret = r;
	if (c->q.op == OP_MSGRCV)
		memcpy(c->got, buf + sizeof(long), MSGSZ);
	else if (c->q.op == OP_MQRECV && r > 0)
		memcpy(c->got, buf, (size_t)r);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
}

/* The poster: completes the sleeper's call; on umq dies inside it at the
 * fault point, on the kernel right after it. */
static void crash_poster(void *arg)
{
	cr = arg;
	if (on_umq())
		umq_fault_hook = die_here;
	q_unblock(&cr->q, "posted");
	kill(getpid(), SIGKILL);
}

static void crash_scenario(int op, int point)
{
	struct crash *c = t_shared(sizeof(*c));
	pid_t s, p;
	int st;

	q_make(&c->q, op, 0);
	c->point = point;
	s = spawn(crash_sleeper, c);
	if (!wait_flag(&c->started, 5000) || t_wait_sleeping(s))
		T_FAIL("the %s caller did not block", op_name[op]);
	p = spawn(crash_poster, c);
	st = t_reap(p, 10000);
	if (st == -1 || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		T_FAIL("the poster did not die by SIGKILL: %#x", st);
	if (on_umq() && !c->hit)
		T_FAIL("the poster never reached its fault point");
	/* Nobody else touches the queue until the sleeper is done. */
	if (!wait_flag(&c->done, 5000)) {
		kill(s, SIGKILL);
		waitpid(s, NULL, 0);
		T_FAIL("%s still slept 5 s after its poster died inside the "
		       "post", op_name[op]);
	}
	if (c->ret < 0)
		T_FAIL("%s failed: %s", op_name[op],
		       strerrorname_np(c->err) ?: "?");
	if ((op == OP_MSGRCV || op == OP_MQRECV) && strcmp(c->got, "posted"))
		T_FAIL("%s returned \"%s\", expected \"posted\"", op_name[op],
		       c->got);
	t_reap(s, 5000);
	/* A completed send left its message, and only it, in the queue. */
	if (op == OP_MSGSND) {
		struct smsg m;
		T_EQ(B->msgrcv(c->q.qid, &m, MSGSZ, 0, IPC_NOWAIT), MSGSZ);
		T_ASSERT(!strcmp(m.text, "blk"));
		T_ERR(B->msgrcv(c->q.qid, &m, MSGSZ, 0, IPC_NOWAIT), ENOMSG);
	} else if (op == OP_MQSEND) {
		char buf[64];
		struct mq_attr a;
		T_OK(B->mq_getattr(c->q.mq, &a));
		T_EQ(a.mq_curmsgs, 1);
		T_EQ(B->mq_receive(c->q.mq, buf, sizeof(buf), NULL), 3);
		T_ASSERT(!memcmp(buf, "blk", 3));
	}
	q_drop(&c->q);
}

/* System V: the hand-off marked, not posted; posted, not woken; a woken
 * sender's post; a receive that made room, before its posts. */
BOTH(crash_msgsnd_handoff) { crash_scenario(OP_MSGRCV, FP_HANDOFF); }
BOTH(crash_msgsnd_post) { crash_scenario(OP_MSGRCV, FP_POST); }
BOTH(crash_msgrcv_post) { crash_scenario(OP_MSGSND, FP_POST); }
BOTH(crash_msgrcv_take) { crash_scenario(OP_MSGSND, FP_RECV_TAKE); }
/* POSIX: the hand-off to a receiver; the pipelined receive's post; a
 * receive that made room, before it inserted the sender's message. */
BOTH(crash_mq_send_handoff) { crash_scenario(OP_MQRECV, FP_HANDOFF); }
BOTH(crash_mq_send_post) { crash_scenario(OP_MQRECV, FP_POST); }
BOTH(crash_mq_receive_post) { crash_scenario(OP_MQSEND, FP_POST); }
BOTH(crash_mq_receive_take) { crash_scenario(OP_MQSEND, FP_RECV_TAKE); }

/* ---- 3. mq_notify(SIGEV_SIGNAL) ----------------------------------------- */

#define NOTE_SIG (SIGRTMIN + 3)

static void block_sig(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static const char *check_info(const siginfo_t *si, pid_t pid, uid_t uid,
			      int val)
{
	static char why[160];

	if (si->si_signo != NOTE_SIG)
		return "no notification signal";
	if (si->si_code == SI_MESGQ && si->si_pid == pid &&
	    si->si_uid == uid && si->si_value.sival_int == val &&
	    si->si_errno == 0)
		return NULL;
	snprintf(why, sizeof(why), "si_code %d si_pid %d si_uid %d si_value "
		 "%d; expected SI_MESGQ (%d) %d %d %d", si->si_code,
		 (int)si->si_pid, (int)si->si_uid, si->si_value.sival_int,
		 SI_MESGQ, (int)pid, (int)uid, val);
	return why;
}

static mqd_t note_queue(const char *name, mode_t mode)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = MSGSZ };

	umask(0);
	B->mq_unlink(name);
	return (mqd_t)T_OK(B->mq_open(name, O_CREAT | O_RDWR, mode, &a));
}

static int reg_signal(mqd_t q, int sig, int val)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL,
			       .sigev_signo = sig,
			       .sigev_value.sival_int = val };

	return B->mq_notify(q, &ev);
}

/* The sender's own process: there when mq_send returns. */
BOTH(notify_self_at_once)
{
	mqd_t q = note_queue("/n", 0600);
	siginfo_t si;
	const char *why;

	block_sig(NOTE_SIG);
	T_OK(reg_signal(q, NOTE_SIG, 7));
	T_OK(B->mq_send(q, "m", 1, 0));
	si = t_take_sig(NOTE_SIG, 0);
	if ((why = check_info(&si, getpid(), getuid(), 7)))
		T_FAIL("right after mq_send: %s", why);
	/* One-shot. */
	char buf[64];
	T_OK(B->mq_receive(q, buf, sizeof(buf), NULL));
	T_OK(B->mq_send(q, "m", 1, 0));
	si = t_take_sig(NOTE_SIG, 200);
	T_EQ(si.si_signo, 0);
	B->mq_close(q);
	B->mq_unlink("/n");
}

static volatile sig_atomic_t handled;
static siginfo_t handled_si;

static void on_note(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	handled_si = *si;
	handled++;
}

/* A handler of the sending thread has run when mq_send returns. */
BOTH(notify_self_handler_ran)
{
	struct sigaction sa = { .sa_sigaction = on_note,
				.sa_flags = SA_SIGINFO };
	mqd_t q = note_queue("/n", 0600);
	const char *why;

	sigemptyset(&sa.sa_mask);
	sigaction(NOTE_SIG, &sa, NULL);
	T_OK(reg_signal(q, NOTE_SIG, 8));
	T_OK(B->mq_send(q, "m", 1, 0));
	if (handled != 1)
		T_FAIL("the handler ran %d times when mq_send returned",
		       (int)handled);
	if ((why = check_info(&handled_si, getpid(), getuid(), 8)))
		T_FAIL("%s", why);
	B->mq_close(q);
	B->mq_unlink("/n");
}

/* Another process: registered, told "sent" by a pipe, finds it at once. */
struct other {
	int to_owner[2], to_sender[2];
	int zero_wait;			/* look without waiting */
	siginfo_t si;
};

static void owner_child(void *arg)
{
	struct other *o = arg;
	mqd_t q = (mqd_t)B->mq_open("/n", O_RDONLY);
	char c = 0;

	if (q == (mqd_t)-1)
		_exit(T_EXIT_FAIL);
	block_sig(NOTE_SIG);
	if (reg_signal(q, NOTE_SIG, 9))
		_exit(T_EXIT_FAIL);
	if (write(o->to_sender[1], "r", 1) != 1 ||
	    read(o->to_owner[0], &c, 1) != 1)
		_exit(T_EXIT_FAIL);
	o->si = t_take_sig(NOTE_SIG, o->zero_wait ? 0 : 5000);
}

static pid_t start_owner(struct other *o)
{
	char c;

	if (pipe(o->to_owner) || pipe(o->to_sender))
		T_FAIL("pipe: %s", strerror(errno));
	pid_t pid = spawn(owner_child, o);
	if (read(o->to_sender[0], &c, 1) != 1)
		T_FAIL("the owner did not register");
	return pid;
}

static void finish_owner(struct other *o, pid_t pid)
{
	if (write(o->to_owner[1], "s", 1) != 1)
		T_FAIL("write: %s", strerror(errno));
	int st = t_reap(pid, 10000);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("the owner ended badly: %#x", st);
}

BOTH(notify_other_at_once)
{
	struct other *o = t_shared(sizeof(*o));
	mqd_t q = note_queue("/n", 0600);
	const char *why;

	o->zero_wait = 1;
	pid_t owner = start_owner(o);
	T_OK(B->mq_send(q, "m", 1, 0));
	finish_owner(o, owner);
	if ((why = check_info(&o->si, getpid(), getuid(), 9)))
		T_FAIL("in the owner, right after mq_send: %s", why);
	B->mq_close(q);
	B->mq_unlink("/n");
}

/*
 * A sender the OS would not let kill() the owner: the kernel delivers
 * anyway (it does not ask); umq's sender cannot, so the owner's helper
 * does, a moment later (DESIGN §7).  Delivery and siginfo are compared;
 * the instant is not.
 */
struct user_send {
	pid_t pid;
	int ret, err;
};

static void user_sender(void *arg)
{
	struct user_send *u = arg;
	mqd_t q = (mqd_t)B->mq_open("/n", O_WRONLY);

	u->pid = getpid();
	u->ret = q == (mqd_t)-1 ? -1 : B->mq_send(q, "u", 1, 0);
	u->err = errno;
}

BOTH(notify_other_refused_sender)
{
	struct other *o = t_shared(sizeof(*o));
	struct user_send *u = t_shared(sizeof(*u));
	mqd_t q = note_queue("/n", 0666);
	const char *why;

	if (getuid() != 0)
		t_skip("needs root, to send as another user");
	pid_t owner = start_owner(o);
	int r = t_as_user(1000, 1000, user_sender, u);
	if (r == T_EXIT_SKIP)
		t_skip("cannot become uid 1000");
	if (r != T_EXIT_PASS || u->ret)
		T_FAIL("mq_send as uid 1000: %d %s", u->ret,
		       strerrorname_np(u->err) ?: "?");
	finish_owner(o, owner);
	if ((why = check_info(&o->si, u->pid, 1000, 9)))
		T_FAIL("in the owner: %s", why);
	B->mq_close(q);
	B->mq_unlink("/n");
}

/* Run fn in a child of a fresh pid namespace (its init); skip if none. */
static void in_pid_ns(void (*fn)(void *), void *arg)
{
	pid_t pid;
	int st;

	if (unshare(CLONE_NEWPID))
		t_skip("no pid namespace: %s", strerror(errno));
	pid = spawn(fn, arg);
	st = t_reap(pid, 30000);
	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_SKIP)
		t_skip("see above");
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("the pid namespace's init failed: %#x", st);
}

/*
 * A registrant that died, whose pid a new process then took: the new one
 * gets nothing (the registration died with its owner).
 */
struct reuse {
	int to_owner[2], to_sender[2];
	siginfo_t si;
	pid_t first, second;
};

static void reuse_owner(void *arg)
{
	struct reuse *r = arg;
	mqd_t q = (mqd_t)B->mq_open("/n", O_RDONLY);

	block_sig(NOTE_SIG);
	if (q == (mqd_t)-1 || reg_signal(q, NOTE_SIG, 10) ||
	    write(r->to_sender[1], "r", 1) != 1)
		_exit(T_EXIT_FAIL);
	pause();
}

static void reuse_decoy(void *arg)
{
	struct reuse *r = arg;
	char c;

	block_sig(NOTE_SIG);
	if (write(r->to_sender[1], "d", 1) != 1 ||
	    read(r->to_owner[0], &c, 1) != 1)
		_exit(T_EXIT_FAIL);
	r->si = t_take_sig(NOTE_SIG, 300);
}

static void reuse_init(void *arg)
{
	struct reuse *r = arg;
	mqd_t q = note_queue("/n", 0600);
	char c;
	int fd;

	if (pipe(r->to_owner) || pipe(r->to_sender))
		_exit(T_EXIT_FAIL);
	r->first = spawn(reuse_owner, r);
	if (read(r->to_sender[0], &c, 1) != 1)
		_exit(T_EXIT_FAIL);
	kill(r->first, SIGKILL);
	waitpid(r->first, NULL, 0);
	/* The next pid is the dead owner's. */
	fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
	char num[16];
	int n = snprintf(num, sizeof(num), "%d", (int)r->first - 1);
	if (fd < 0 || write(fd, num, (size_t)n) != n) {
		fprintf(stderr, "#   skipped: cannot set ns_last_pid\n");
		_exit(T_EXIT_SKIP);
	}
	close(fd);
	r->second = spawn(reuse_decoy, r);
	if (r->second != r->first) {
		fprintf(stderr, "#   skipped: the pid was not reused\n");
		kill(r->second, SIGKILL);
		_exit(T_EXIT_SKIP);
	}
	if (read(r->to_sender[0], &c, 1) != 1)
		_exit(T_EXIT_FAIL);
	if (B->mq_send(q, "m", 1, 0))
		_exit(T_EXIT_FAIL);
	if (write(r->to_owner[1], "s", 1) != 1)
		_exit(T_EXIT_FAIL);
	int st = t_reap(r->second, 10000);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
		_exit(T_EXIT_FAIL);
	B->mq_close(q);
	B->mq_unlink("/n");
}

BOTH(notify_dead_owner_pid_reused)
{
	struct reuse *r = t_shared(sizeof(*r));

	in_pid_ns(reuse_init, r);
	if (r->si.si_signo)
		T_FAIL("the process that took the dead owner's pid %d got "
		       "the notification (si_code %d)", (int)r->first,
		       r->si.si_code);
}

/*
 * A registrant in a child pid namespace, whose pid there (1) is the
 * sender's own in its namespace: the registrant gets the notification,
 * the sender nothing.  (Its si_pid differs: the kernel gives the sender's
 * pid as the registrant sees it, 0 here; umq its own, DESIGN §8.)
 */
struct nested {
	int to_owner[2], to_sender[2];
	siginfo_t owner_si, sender_si;
	pid_t owner_pid;
};

static void nested_owner(void *arg)
{
	struct nested *x = arg;
	mqd_t q = (mqd_t)B->mq_open("/n", O_RDONLY);
	char c;

	x->owner_pid = getpid();
	block_sig(NOTE_SIG);
	if (q == (mqd_t)-1 || reg_signal(q, NOTE_SIG, 11) ||
	    write(x->to_sender[1], "r", 1) != 1 ||
	    read(x->to_owner[0], &c, 1) != 1)
		_exit(T_EXIT_FAIL);
	x->owner_si = t_take_sig(NOTE_SIG, 5000);
}

static void nested_mid(void *arg)
{
	if (unshare(CLONE_NEWPID))
		_exit(T_EXIT_SKIP);
	pid_t pid = spawn(nested_owner, arg);
	int st = t_reap(pid, 20000);
	_exit(st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : T_EXIT_FAIL);
}

static void nested_init(void *arg)
{
	struct nested *x = arg;
	mqd_t q = note_queue("/n", 0600);
	char c;

	block_sig(NOTE_SIG);
	if (pipe(x->to_owner) || pipe(x->to_sender))
		_exit(T_EXIT_FAIL);
	pid_t mid = spawn(nested_mid, x);
	if (read(x->to_sender[0], &c, 1) != 1)
		_exit(T_EXIT_FAIL);
	if (B->mq_send(q, "m", 1, 0))
		_exit(T_EXIT_FAIL);
	x->sender_si = t_take_sig(NOTE_SIG, 0);
	if (write(x->to_owner[1], "s", 1) != 1)
		_exit(T_EXIT_FAIL);
	int st = t_reap(mid, 20000);
	if (st == -1 || !WIFEXITED(st))
		_exit(T_EXIT_FAIL);
	B->mq_close(q);
	B->mq_unlink("/n");
	_exit(WEXITSTATUS(st));
}

BOTH(notify_owner_in_child_pid_ns)
{
	struct nested *x = t_shared(sizeof(*x));

	in_pid_ns(nested_init, x);
	if (x->owner_pid != 1)
		T_FAIL("the owner is pid %d in its namespace, expected 1",
		       (int)x->owner_pid);
	if (x->sender_si.si_signo)
		T_FAIL("the sender, pid 1 in its own namespace, got the "
		       "notification");
	if (x->owner_si.si_signo != NOTE_SIG ||
	    x->owner_si.si_code != SI_MESGQ ||
	    x->owner_si.si_value.sival_int != 11)
		T_FAIL("the owner got signal %d si_code %d si_value %d",
		       x->owner_si.si_signo, x->owner_si.si_code,
		       x->owner_si.si_value.sival_int);
}

/*
 * umq only: a registration forged in the queue's shared memory (any user
 * of the queue may write it) names a victim; a sender must not signal it.
 * The forger points it at its own live registration record.
 */
struct forged {
	int to_victim[2], to_main[2];
	siginfo_t victim_si;
};

static void victim(void *arg)
{
	struct forged *f = arg;
	char c;

	block_sig(NOTE_SIG);
	block_sig(SIGUSR2);
	if (write(f->to_main[1], "v", 1) != 1 ||
	    read(f->to_victim[0], &c, 1) != 1)
		_exit(T_EXIT_FAIL);
	f->victim_si = t_take_sig(SIGUSR2, 300);
	if (!f->victim_si.si_signo)
		f->victim_si = t_take_sig(NOTE_SIG, 0);
}

static struct pqctl *map_ctl(void)
{
	char dir[300], path[600];
	struct dirent *e;
	void *p = MAP_FAILED;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/posix", t_umq_dir());
	d = opendir(dir);
	if (!d)
		T_FAIL("opendir %s: %s", dir, strerror(errno));
	while ((e = readdir(d)))
		if (strlen(e->d_name) == 16) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			int fd = open(path, O_RDWR);
			if (fd >= 0) {
				p = mmap(NULL, PQ_STORE_OFF,
					 PROT_READ | PROT_WRITE, MAP_SHARED,
					 fd, 0);
				close(fd);
			}
			break;
		}
	closedir(d);
	if (p == MAP_FAILED)
		T_FAIL("cannot map the queue's control block");
	return p;
}

T_CASE(notify_forged_registration_umq)
{
	struct forged *f = t_shared(sizeof(*f));
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = MSGSZ };
	mqd_t q;
	char c;

	t_half = 1;	/* umq only */
	alarm(40);
	q = (mqd_t)T_OK(umq_mq_open("/n", O_CREAT | O_RDWR, 0600, &a));
	if (pipe(f->to_victim) || pipe(f->to_main))
		T_FAIL("pipe: %s", strerror(errno));
	pid_t v = spawn(victim, f);
	if (read(f->to_main[0], &c, 1) != 1)
		T_FAIL("the victim did not start");
	/* A genuine registration of ours, then the forgery: the victim's
	 * pid, another signal. */
	block_sig(NOTE_SIG);
	T_OK(reg_signal(q, NOTE_SIG, 12));
	struct pqctl *ctl = map_ctl();
	__atomic_store_n(&ctl->notify_pid, (int32_t)v, __ATOMIC_RELEASE);
	ctl->notify_signo = SIGUSR2;
	/* A sender in a third process. */
	pid_t s = fork();
	if (s == 0) {
		_exit(umq_mq_send(q, "m", 1, 0) ? T_EXIT_FAIL : T_EXIT_PASS);
	}
	int st = t_reap(s, 10000);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("the sender failed: %#x", st);
	if (write(f->to_victim[1], "s", 1) != 1)
		T_FAIL("write: %s", strerror(errno));
	st = t_reap(v, 10000);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("the victim ended badly: %#x", st);
	if (f->victim_si.si_signo)
		T_FAIL("the victim of a forged registration got signal %d "
		       "(si_code %d)", f->victim_si.si_signo,
		       f->victim_si.si_code);
	/* Ours still fires, through our own helper. */
	siginfo_t si = t_take_sig(NOTE_SIG, 5000);
	T_EQ(si.si_signo, NOTE_SIG);
	T_EQ(si.si_value.sival_int, 12);
	umq_mq_close(q);
	umq_mq_unlink("/n");
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
