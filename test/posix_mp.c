/* SPDX-License-Identifier: MIT */
/*
 * posix_mp.c - POSIX message queues with real processes: wake-ups, message
 * and waiter order, direct hand-off, mq_notify, descriptors across dup,
 * fork and exec, poll/select/epoll, unlink while open, signals, timeouts,
 * permissions, processes killed mid-way, and a many-process stress run.
 * Every scenario runs on the kernel and on umq, each half in a process of
 * its own, and must give the same outcome on both; the kernel is the
 * oracle (spec PART B, C 19-32, D).  A few umq-only cases cover the
 * clock-selectable timeouts, which the kernel does not have.
 *
 * Against the kernel alone (umq_* mapped to the kernel's calls):
 *   gcc -D_GNU_SOURCE -DKERNEL_ONLY -Iinclude -Isrc -std=gnu11 -Wall \
 *       -Wextra -pthread -o /tmp/posix_mp test/posix_mp.c test/t.c \
 *       test/call.c -lrt
 * (sysv_block and sysv_perm build the same way.)
 */
#include "backend.h"
#include "call.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define B (&mq_backends[half])	/* the backend of the running half */

/* A case for what only umq has (the clock calls). */
#define UMQ(name)							\
	static void s_##name(void);					\
	T_CASE(name)							\
	{								\
		if (UMQ_ON_KERNEL)					\
			t_skip("umq only, and this is a KERNEL_ONLY build"); \
		half = 1;						\
		s_##name();						\
	}								\
	static void s_##name(void)

/* ---- Common helpers ------------------------------------------------------ */

#define MSGSIZE 64	/* mq_msgsize of the scenarios' queues */
#define WAIT_MS T_WAIT_MS
#define GRACE_MS T_GRACE_MS
#define NOTE_SIG SIGUSR2	/* notifications; SIGUSR1 interrupts calls */

static const char *ename(int e)
{
	return strerrorname_np(e) ?: "0";
}

static mqd_t qopen_attr(const char *name, int oflag, mode_t mode,
			long maxmsg)
{
	struct mq_attr a = { .mq_maxmsg = maxmsg, .mq_msgsize = MSGSIZE };
	mqd_t q = B->open(name, oflag, mode, &a);

	if (q == (mqd_t)-1)
		T_FAIL("mq_open(%s, %#o, %#o, maxmsg %ld) failed: %s", name,
		       oflag, mode, maxmsg, ename(errno));
	return q;
}

/* A new queue name (O_RDWR, mode 0600, maxmsg messages of MSGSIZE). */
static mqd_t qnew(const char *name, long maxmsg)
{
	return qopen_attr(name, O_CREAT | O_EXCL | O_RDWR, 0600, maxmsg);
}

/* Another descriptor (open file description) for an existing queue. */
static mqd_t qget(const char *name, int oflag)
{
	mqd_t q = B->open(name, oflag);

	if (q == (mqd_t)-1)
		T_FAIL("mq_open(%s, %#o) failed: %s", name, oflag,
		       ename(errno));
	return q;
}

static struct mq_attr attr(mqd_t q)
{
	struct mq_attr a;

	if (B->getattr(q, &a))
		T_FAIL("mq_getattr(%d) failed: %s", (int)q, ename(errno));
	return a;
}

static long curmsgs(mqd_t q)
{
	return attr(q).mq_curmsgs;
}

static void put(mqd_t q, const char *s, unsigned prio)
{
	if (B->send(q, s, strlen(s), prio))
		T_FAIL("mq_send(\"%s\", prio %u) failed: %s", s, prio,
		       ename(errno));
}

/* The next message must be s with prio (bounded wait, any descriptor). */
static void take(mqd_t q, const char *s, unsigned prio)
{
	char buf[MSGSIZE + 1];
	unsigned p = ~0u;
	struct timespec dl = t_deadline(CLOCK_REALTIME, WAIT_MS);
	ssize_t n = B->timedreceive(q, buf, MSGSIZE, &p, &dl);

	if (n < 0)
		T_FAIL("receiving \"%s\" (prio %u) failed: %s", s, prio,
		       ename(errno));
	buf[n] = 0;
	if (strcmp(buf, s) || p != prio)
		T_FAIL("received \"%s\" prio %u, expected \"%s\" prio %u",
		       buf, p, s, prio);
}

/* The queue must be empty: a receive with a past deadline times out. */
static void empty(mqd_t q)
{
	struct mq_attr a = attr(q);
	struct timespec dl = t_deadline(CLOCK_REALTIME, -1000);
	char buf[a.mq_msgsize];
	ssize_t n;

	T_EQ(a.mq_curmsgs, 0);
	n = B->timedreceive(q, buf, a.mq_msgsize, NULL, &dl);
	if (n != -1 || errno != ETIMEDOUT)
		T_FAIL("receive on a queue that should be empty returned %zd "
		       "%s, expected -1 ETIMEDOUT", n, n < 0 ? ename(errno) :
		       "");
}

static void status_line(mqd_t q, char *buf, size_t len)
{
	ssize_t n = B->status(q, buf, len);

	if (n < 0)
		T_FAIL("status of mqd %d: %s", (int)q, ename(errno));
	if ((size_t)n >= len)
		T_FAIL("status line of %zd bytes", n);
	buf[n] = 0;
}

/* The line as B11 formats it, without its newline for messages. */
static void status_want(char *buf, size_t len, unsigned long qsize,
			int notify, int signo, pid_t pid)
{
	snprintf(buf, len, "QSIZE:%-10lu NOTIFY:%-5d SIGNO:%-5d "
		 "NOTIFY_PID:%-6d\n", qsize, notify, signo, (int)pid);
}

static void expect_line(const char *got, unsigned long qsize, int notify,
			int signo, pid_t pid)
{
	char want[128];

	status_want(want, sizeof(want), qsize, notify, signo, pid);
	if (strcmp(got, want))
		T_FAIL("status line is \"%.*s\", expected \"%.*s\"",
		       (int)strcspn(got, "\n"), got,
		       (int)strcspn(want, "\n"), want);
}

static void expect_status(mqd_t q, unsigned long qsize, int notify,
			  int signo, pid_t pid)
{
	char got[128];

	status_line(q, got, sizeof(got));
	expect_line(got, qsize, notify, signo, pid);
}

static void reap_pid(pid_t pid, int ms, const char *what)
{
	int st = t_wait_child(pid, 0, ms);

	if (st == -1) {
		kill(pid, SIGKILL);
		T_FAIL("%s (pid %d) did not finish in %d ms", what, (int)pid,
		       ms);
	}
	t_exited_ok(pid, st, what);
}

/* Run fn in a child process, which must pass (its T_* checks included). */
static void in_child(void (*fn)(void *), void *arg, const char *what)
{
	reap_pid(t_spawn(fn, arg), WAIT_MS, what);
}

static int wait_value(int *p, int v, int ms)
{
	for (int i = 0; i < ms; i++) {
		if (__atomic_load_n(p, __ATOMIC_ACQUIRE) >= v)
			return 0;
		t_msleep(1);
	}
	return -1;
}

/* Wait for *p >= v while child lives; its own failure comes first. */
static void wait_flag(int *p, int v, pid_t child, const char *what)
{
	for (int i = 0; __atomic_load_n(p, __ATOMIC_ACQUIRE) < v; i++) {
		int st = t_wait_child(child, 0, 1);

		if (st != -1) {
			t_exited_ok(child, st, what);
			T_FAIL("%s ended early", what);
		}
		if (i == WAIT_MS)
			T_FAIL("%s: no progress in %d ms (%d, want %d)", what,
			       WAIT_MS, *p, v);
	}
}

/* Spin for us microseconds: sleeping would line the two sides up. */
static void spin_us(long us)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000 +
	       (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

/* ---- Run ahead of a woken process ---------------------------------------- */

/*
 * What a woken process does first must not hide what the waker left: the
 * woken child is pinned to one CPU and the scenario, as SCHED_FIFO on the
 * same CPU, looks at the queue before the child can run.  Without RT
 * scheduling the checks still run, but a racy implementation may slip by.
 */
static int rt_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	return 0;
}

static cpu_set_t rt_saved;

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		T_FAIL("sched_setaffinity(%d): %s", cpu, strerror(errno));
}

static int rt_enter(void)
{
	struct sched_param sp = { .sched_priority = 1 };

	if (sched_getaffinity(0, sizeof(rt_saved), &rt_saved))
		return 0;
	pin_cpu(rt_cpu());
	if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
		sched_setaffinity(0, sizeof(rt_saved), &rt_saved);
		t_note("no SCHED_FIFO (%s): the woken child may run first",
		       strerror(errno));
		return 0;
	}
	return 1;
}

static void rt_leave(int rt)
{
	struct sched_param sp = { .sched_priority = 0 };

	if (!rt)
		return;
	sched_setscheduler(0, SCHED_OTHER, &sp);
	sched_setaffinity(0, sizeof(rt_saved), &rt_saved);
}

/* ---- Children that make one call ----------------------------------------- */

enum op_kind {
	OP_RECV, OP_SEND, OP_TRECV, OP_TSEND, OP_CRECV, OP_CSEND,
	OP_POLL, OP_SELECT, OP_EPOLL,
};

enum { ACC_RDWR, ACC_RDONLY, ACC_WRONLY };
static const int acc_flag[] = { O_RDWR, O_RDONLY, O_WRONLY };

/* One call made by a child process; the results land in shared memory. */
struct op {
	struct t_call call;
	int kind;
	char name[32];		/* the queue the child opens, "" = use fd */
	int acc;		/* ... with this access mode (ACC_*) */
	mqd_t fd;		/* an inherited descriptor */
	unsigned prio;		/* of the message sent */
	char msg[MSGSIZE];	/* text sent */
	int timeout_ms;		/* timed calls, poll, select, epoll */
	clockid_t clock;	/* OP_CRECV, OP_CSEND */
	int events;		/* poll: POLL*, epoll: EPOLL* */
	int nice;		/* set before the call */
	int pin;		/* run on rt_cpu() only */
	int on_sig;		/* install a SIGUSR1 handler first */
	int sa_flags;		/* ... with these flags */
	char setup[64];		/* why the call could not be made */
	int handled;		/* the SIGUSR1 handler ran */
	unsigned got_prio;
	int revents;		/* poll/epoll events, select: FD_ISSET */
	char got[MSGSIZE + 1];
	long elapsed_ms;	/* from just before the call */
};

static struct op *cur_op;

static void on_usr1(int sig)
{
	(void)sig;
	if (cur_op)
		__atomic_store_n(&cur_op->handled, 1, __ATOMIC_RELEASE);
}

static struct op *ops(int n)
{
	return t_shared(n * sizeof(struct op));
}

static long op_poll(struct op *o, mqd_t q)
{
	struct pollfd p = { .fd = q, .events = o->events };
	long r = poll(&p, 1, o->timeout_ms);

	o->revents = p.revents;
	return r;
}

static long op_select(struct op *o, mqd_t q)
{
	struct timeval tv = { o->timeout_ms / 1000,
			      o->timeout_ms % 1000 * 1000 };
	fd_set set;

	FD_ZERO(&set);
	FD_SET(q, &set);
	long r = select(q + 1, &set, NULL, NULL, &tv);
	o->revents = r > 0 && FD_ISSET(q, &set);
	return r;
}

static long op_epoll(struct op *o, int ep)
{
	struct epoll_event ev = { 0 };
	long r = epoll_wait(ep, &ev, 1, o->timeout_ms);

	o->revents = r > 0 ? (int)ev.events : 0;
	return r;
}

static long op_call(struct op *o, mqd_t q, int ep)
{
	struct timespec dl = t_deadline(o->kind == OP_CRECV ||
					o->kind == OP_CSEND ? o->clock :
					CLOCK_REALTIME, o->timeout_ms);
	size_t n = strlen(o->msg);

	switch (o->kind) {
	case OP_RECV:
		return B->receive(q, o->got, MSGSIZE, &o->got_prio);
	case OP_SEND:
		return B->send(q, o->msg, n, o->prio);
	case OP_TRECV:
		return B->timedreceive(q, o->got, MSGSIZE, &o->got_prio, &dl);
	case OP_TSEND:
		return B->timedsend(q, o->msg, n, o->prio, &dl);
	case OP_CRECV:
		return umq_mq_clockreceive(q, o->got, MSGSIZE, &o->got_prio,
					   o->clock, &dl);
	case OP_CSEND:
		return umq_mq_clocksend(q, o->msg, n, o->prio, o->clock, &dl);
	case OP_POLL:
		return op_poll(o, q);
	case OP_SELECT:
		return op_select(o, q);
	case OP_EPOLL:
		return op_epoll(o, ep);
	}
	errno = ENOSYS;
	return -1;
}

static int is_send(int kind)
{
	return kind == OP_SEND || kind == OP_TSEND || kind == OP_CSEND;
}

static int is_receive(int kind)
{
	return kind == OP_RECV || kind == OP_TRECV || kind == OP_CRECV;
}

/* Everything before the call; false (with o->setup) if it went wrong. */
/* The nice value the tests run at (t_nice_base): op->nice adds to it. */
static int t_nice0;

static int op_setup(struct op *o, mqd_t *q, int *ep)
{
	struct epoll_event ev = { .events = o->events };

	*q = o->name[0] ? B->open(o->name, acc_flag[o->acc]) : o->fd;
	if (*q == (mqd_t)-1) {
		snprintf(o->setup, sizeof(o->setup), "mq_open(%s): %s",
			 o->name, ename(errno));
		return 0;
	}
	/* Relative to the nice value the tests run at, which only a
	 * privileged process could go below. */
	if (o->nice && setpriority(PRIO_PROCESS, 0, t_nice0 + o->nice)) {
		snprintf(o->setup, sizeof(o->setup), "setpriority(%d): %s",
			 t_nice0 + o->nice, ename(errno));
		return 0;
	}
	if (o->pin)
		pin_cpu(rt_cpu());
	if (o->kind == OP_EPOLL &&
	    ((*ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	     epoll_ctl(*ep, EPOLL_CTL_ADD, *q, &ev))) {
		snprintf(o->setup, sizeof(o->setup), "epoll: %s",
			 ename(errno));
		return 0;
	}
	if (o->on_sig) {
		struct sigaction sa = { .sa_handler = on_usr1,
					.sa_flags = o->sa_flags };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
	}
	return 1;
}

static void do_op(struct op *o)
{
	sigset_t none;
	mqd_t q;
	int ep = -1;

	/* The scenario may block its notification signal; calls may not. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	cur_op = o;
	if (!op_setup(o, &q, &ep)) {
		t_call_begin(&o->call);
		t_call_end(&o->call, 0, 0);
		return;
	}
	long t0 = t_now_ms();
	t_call_begin(&o->call);
	errno = 0;
	long ret = op_call(o, q, ep);
	int err = errno;
	o->elapsed_ms = t_now_ms() - t0;
	if (is_receive(o->kind) && ret >= 0 && ret <= MSGSIZE)
		o->got[ret] = 0;
	t_call_end(&o->call, ret, err);
}

static void op_run(void *arg)
{
	do_op(arg);
}

static const char *op_name(const void *p)
{
	const struct op *o = p;
	static const char *const names[] = {
		"mq_receive", "mq_send", "mq_timedreceive", "mq_timedsend",
		"umq_mq_clockreceive", "umq_mq_clocksend", "poll", "select",
		"epoll_wait",
	};
	static char buf[2][128];	/* two may go into one message */
	static int k;
	char *s = buf[k ^= 1];
	size_t len = sizeof(buf[0]);
	int n;

	n = snprintf(s, len, "%s", names[o->kind]);
	if (is_send(o->kind))
		n += snprintf(s + n, len - n, "(\"%s\", prio %u)", o->msg,
			      o->prio);
	if (o->nice)
		snprintf(s + n, len - n, " at nice %d", o->nice);
	return s;
}

static const char *op_result(const void *p)
{
	const struct op *o = p;
	static char buf[2][160];
	static int k;
	char *s = buf[k ^= 1];
	size_t len = sizeof(buf[0]);

	if (o->setup[0])
		snprintf(s, len, "could not start: %s", o->setup);
	else if (!__atomic_load_n(&o->call.done, __ATOMIC_ACQUIRE))
		return "is still blocked";
	else if (o->call.ret == -1)
		snprintf(s, len, "returned -1 %s after %ld ms",
			 ename(o->call.err), o->elapsed_ms);
	else if (is_receive(o->kind))
		snprintf(s, len, "returned %ld (\"%s\", prio %u)",
			 o->call.ret, o->got, o->got_prio);
	else
		snprintf(s, len, "returned %ld (events %#x) after %ld "
			 "ms", o->call.ret, o->revents, o->elapsed_ms);
	return s;
}

static const struct t_call_ops calls = { op_run, op_name, op_result };

/* Fork o's child (as uid:gid unless uid is -1) and wait for its call. */
static void launch(struct op *o, uid_t uid, gid_t gid)
{
	t_call_launch(&calls, o, uid, gid);
	if (o->setup[0])
		T_FAIL("%s %s", op_name(o), op_result(o));
}

/* Start o in a child and return once the call sleeps in it. */
static void start(struct op *o)
{
	launch(o, -1, -1);
	t_call_sleeps(o);
}

/* o's call, made in a child (as uid:gid unless -1), must complete. */
static void run_as(struct op *o, uid_t uid, gid_t gid)
{
	launch(o, uid, gid);
	t_call_reap(o);
}

static void run(struct op *o)
{
	run_as(o, -1, -1);
}

static void expect_got(const struct op *o, const char *s, unsigned prio)
{
	if (!o->call.done || o->call.ret != (long)strlen(s) ||
	    strcmp(o->got, s) ||
	    o->got_prio != prio)
		T_FAIL("%s %s, expected \"%s\" prio %u", op_name(o),
		       op_result(o), s, prio);
}

/* A child sends s with prio through its own descriptor of name. */
static pid_t send_from_child(const char *name, const char *s, unsigned prio)
{
	struct op *o = ops(1);

	*o = (struct op){ .kind = OP_SEND, .prio = prio };
	snprintf(o->name, sizeof(o->name), "%s", name);
	snprintf(o->msg, sizeof(o->msg), "%s", s);
	run(o);
	t_call_ret(o, 0);
	return o->call.pid;
}

/* ---- Notification signals ------------------------------------------------ */

static void block(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static int reg_signal(mqd_t q, int sig, int val)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL,
			       .sigev_signo = sig,
			       .sigev_value.sival_int = val };

	return B->notify(q, &ev);
}

static int reg_none(mqd_t q)
{
	struct sigevent ev = { .sigev_notify = SIGEV_NONE };

	return B->notify(q, &ev);
}

static void no_sig(int sig, int ms)
{
	siginfo_t si = t_take_sig(sig, ms);

	if (si.si_signo)
		T_FAIL("unexpected signal %d (si_code %d, si_pid %d)",
		       si.si_signo, si.si_code, (int)si.si_pid);
}

/* si must be the notification of a message sent by pid/uid, with val. */
static void check_note(const siginfo_t *si, pid_t pid, uid_t uid, int val)
{
	if (si->si_signo != NOTE_SIG)
		T_FAIL("no notification signal within %d ms", WAIT_MS);
	if (si->si_code != SI_MESGQ || si->si_pid != pid ||
	    si->si_uid != uid || si->si_value.sival_int != val ||
	    si->si_errno != 0)
		T_FAIL("notification: si_code %d si_pid %d si_uid %d "
		       "si_value %d si_errno %d; expected SI_MESGQ (%d) %d %d "
		       "%d 0", si->si_code, (int)si->si_pid, (int)si->si_uid,
		       si->si_value.sival_int, si->si_errno, SI_MESGQ,
		       (int)pid, (int)uid, val);
}

static void expect_note(pid_t pid, uid_t uid, int val)
{
	siginfo_t si = t_take_sig(NOTE_SIG, WAIT_MS);

	check_note(&si, pid, uid, val);
}

/* ---- 1. Wake-ups --------------------------------------------------------- */

BOTH(rcv_woken_by_send)
{
	struct op *r = ops(1);
	mqd_t q = qnew("/q", 4);

	*r = (struct op){ .kind = OP_RECV, .name = "/q" };
	start(r);
	put(q, "hello", 5);
	t_call_reap(r);
	expect_got(r, "hello", 5);
	expect_status(q, 0, 0, 0, 0);
	empty(q);
}

/*
 * A receive from a full queue moves the first blocked sender's message in
 * on its behalf: the queue is full again before the sender even runs.
 */
BOTH(snd_woken_by_rcv)
{
	struct op *s = ops(1);
	mqd_t q = qnew("/q", 2);
	mqd_t nb = qget("/q", O_RDWR | O_NONBLOCK);

	put(q, "a", 1);
	put(q, "bb", 1);
	T_ERR(B->send(nb, "c", 1, 9), EAGAIN);
	*s = (struct op){ .kind = OP_SEND, .name = "/q", .prio = 9,
			  .msg = "ccc", .pin = 1 };
	start(s);
	int rt = rt_enter();
	take(q, "a", 1);
	long n = curmsgs(q);
	char line[128];
	status_line(q, line, sizeof(line));
	rt_leave(rt);
	if (n != 2)
		T_FAIL("right after the receive mq_curmsgs is %ld, expected 2 "
		       "(the blocked sender's message inserted)", n);
	expect_line(line, 5, 0, 0, 0);
	t_call_reap(s);
	t_call_ret(s, 0);
	take(q, "ccc", 9);
	take(q, "bb", 1);
	empty(q);
}

/* ---- 2. Message order ---------------------------------------------------- */

static const struct { const char *s; unsigned prio; } mixed[] = {
	{ "a", 0 }, { "b", 5 }, { "c", 32767 }, { "d", 5 }, { "e", 0 },
	{ "f", 1 }, { "g", 32767 }, { "h", 5 }, { "i", 1 }, { "j", 0 },
};

static void send_mixed(void *arg)
{
	mqd_t q = qget(arg, O_WRONLY);

	for (size_t i = 0; i < sizeof(mixed) / sizeof(mixed[0]); i++)
		put(q, mixed[i].s, mixed[i].prio);
}

BOTH(prio_order)
{
	static const char *const order[] = {
		"c", "g", "b", "d", "h", "f", "i", "a", "e", "j",
	};
	mqd_t q = qnew("/q", 10);

	in_child(send_mixed, "/q", "sender of mixed priorities");
	T_EQ(curmsgs(q), 10);
	expect_status(q, 10, 0, 0, 0);
	for (int i = 0; i < 10; i++) {
		unsigned prio = 0;

		for (size_t k = 0; k < 10; k++)
			if (!strcmp(mixed[k].s, order[i]))
				prio = mixed[k].prio;
		take(q, order[i], prio);
	}
	empty(q);
}

/* Messages inserted for blocked senders go by their priority too. */
BOTH(prio_order_blocked_senders)
{
	struct op *s = ops(3);
	static const struct { const char *s; unsigned prio; } blocked[] = {
		{ "s1", 5 }, { "s2", 1 }, { "s3", 9 },
	};
	mqd_t q = qnew("/q", 3);

	put(q, "a", 5);
	put(q, "b", 1);
	put(q, "c", 1);
	for (int i = 0; i < 3; i++) {
		s[i] = (struct op){ .kind = OP_SEND, .name = "/q",
				    .prio = blocked[i].prio };
		strcpy(s[i].msg, blocked[i].s);
		start(&s[i]);
	}
	take(q, "a", 5);	/* s1 goes in ahead of b and c */
	t_call_reap(&s[0]);
	t_call_ret(&s[0], 0);
	t_call_blocked(&s[1]);
	T_EQ(curmsgs(q), 3);
	take(q, "s1", 5);	/* s2 goes in behind b and c */
	t_call_reap(&s[1]);
	t_call_ret(&s[1], 0);
	take(q, "b", 1);	/* s3 goes in ahead of everything */
	t_call_reap(&s[2]);
	t_call_ret(&s[2], 0);
	take(q, "s3", 9);
	take(q, "c", 1);
	take(q, "s2", 1);
	empty(q);
}

/* ---- 3. Waiter order ----------------------------------------------------- */

/* The order waiters with these nice values (started in index order) get. */
static void serve_order(const int nice[3], int order[3])
{
	for (int i = 0; i < 3; i++)
		order[i] = i;
	for (int i = 1; i < 3; i++)	/* stable: FIFO among equals */
		for (int k = i; k > 0 && nice[order[k]] < nice[order[k - 1]];
		     k--) {
			int t = order[k];
			order[k] = order[k - 1];
			order[k - 1] = t;
		}
}

static void rcv_waiters(const int nice[3])
{
	struct op *r = ops(3);
	mqd_t q = qnew("/q", 4);
	int order[3];
	char m[8];

	serve_order(nice, order);
	for (int i = 0; i < 3; i++) {
		r[i] = (struct op){ .kind = OP_RECV, .name = "/q",
				    .nice = nice[i] };
		start(&r[i]);
	}
	for (int i = 0; i < 3; i++) {
		snprintf(m, sizeof(m), "m%d", i);
		put(q, m, 1);
		t_call_reap(&r[order[i]]);
		if (!r[order[i]].call.done || strcmp(r[order[i]].got, m))
			T_FAIL("send %d should go to receiver %d (%s), which "
			       "%s", i, order[i], op_name(&r[order[i]]),
			       op_result(&r[order[i]]));
		expect_got(&r[order[i]], m, 1);
		for (int k = i + 1; k < 3; k++)
			if (__atomic_load_n(&r[order[k]].call.done,
					    __ATOMIC_ACQUIRE))
				T_FAIL("receiver %d (%s) %s after send %d",
				       order[k], op_name(&r[order[k]]),
				       op_result(&r[order[k]]), i);
	}
	empty(q);
}

BOTH(rcv_waiters_fifo) { rcv_waiters((const int[]){ 0, 0, 0 }); }
BOTH(rcv_waiters_nice)
{
	t_nice0 = t_nice_base(10);
	rcv_waiters((const int[]){ 10, 0, 5 });
}

static void snd_waiters(const int nice[3])
{
	struct op *s = ops(3);
	mqd_t q = qnew("/q", 1);
	int order[3];

	serve_order(nice, order);
	put(q, "x", 1);
	for (int i = 0; i < 3; i++) {
		s[i] = (struct op){ .kind = OP_SEND, .name = "/q", .prio = 1,
				    .nice = nice[i] };
		snprintf(s[i].msg, sizeof(s[i].msg), "s%d", i);
		start(&s[i]);
	}
	take(q, "x", 1);
	for (int i = 0; i < 3; i++) {
		t_call_reap(&s[order[i]]);
		t_call_ret(&s[order[i]], 0);
		for (int k = i + 1; k < 3; k++)
			if (__atomic_load_n(&s[order[k]].call.done,
					    __ATOMIC_ACQUIRE))
				T_FAIL("sender %d (%s) %s before sender %d",
				       order[k], op_name(&s[order[k]]),
				       op_result(&s[order[k]]), order[i]);
		take(q, s[order[i]].msg, 1);
	}
	empty(q);
}

BOTH(snd_waiters_fifo) { snd_waiters((const int[]){ 0, 0, 0 }); }
BOTH(snd_waiters_nice)
{
	t_nice0 = t_nice_base(10);
	snd_waiters((const int[]){ 10, 0, 5 });
}

/* ---- 4. Direct hand-off -------------------------------------------------- */

static int sig_pending(int sig)
{
	sigset_t set;

	sigpending(&set);
	return sigismember(&set, sig);
}

/*
 * A message for a blocked receiver never enters the queue: mq_curmsgs
 * stays 0 even before the receiver runs, and the registered notification
 * neither fires nor goes away (B8, C24).
 */
BOTH(handoff_invisible)
{
	struct op *r = ops(1);
	mqd_t q = qnew("/q", 4);
	struct mq_attr a;
	char line[128];

	block(NOTE_SIG);
	T_OK(reg_signal(q, NOTE_SIG, 7));
	expect_status(q, 0, 0, NOTE_SIG, getpid());
	*r = (struct op){ .kind = OP_RECV, .name = "/q", .pin = 1 };
	start(r);
	int rt = rt_enter();
	put(q, "direct", 3);
	int got_attr = B->getattr(q, &a);
	status_line(q, line, sizeof(line));
	int pending = sig_pending(NOTE_SIG);
	rt_leave(rt);
	T_EQ(got_attr, 0);
	if (a.mq_curmsgs != 0)
		T_FAIL("mq_curmsgs is %ld right after a send to a blocked "
		       "receiver, expected 0", a.mq_curmsgs);
	expect_line(line, 0, 0, NOTE_SIG, getpid());
	if (pending)
		T_FAIL("a hand-off raised the notification signal");
	t_call_reap(r);
	expect_got(r, "direct", 3);
	no_sig(NOTE_SIG, 2 * GRACE_MS);
	expect_status(q, 0, 0, NOTE_SIG, getpid());
	/* With nobody waiting the same send is queued and notifies. */
	put(q, "queued", 4);
	expect_note(getpid(), getuid(), 7);
	expect_status(q, 6, 0, 0, 0);
	take(q, "queued", 4);
}

/* ---- 5. mq_notify -------------------------------------------------------- */

static void as_user(uid_t uid, gid_t gid, void (*fn)(void *), void *arg)
{
	int r = t_as_user(uid, gid, fn, arg);

	if (r == T_EXIT_SKIP)
		t_skip("cannot switch to %d:%d", (int)uid, (int)gid);
	if (r != T_EXIT_PASS)
		T_FAIL("the checks as %d:%d failed (above)", (int)uid,
		       (int)gid);
}

/* A queue others may use: mode 0666 whatever the umask. */
static mqd_t qnew_public(const char *name)
{
	umask(0);
	return qopen_attr(name, O_CREAT | O_EXCL | O_RDWR, 0666, 4);
}

struct user_owner {
	int ready;	/* registered */
	siginfo_t si;	/* what it got */
};

static void user_owner(void *arg)
{
	struct user_owner *o = arg;
	mqd_t q = qget("/q", O_RDONLY);

	block(NOTE_SIG);
	T_OK(reg_signal(q, NOTE_SIG, 42));
	expect_status(q, 0, 0, NOTE_SIG, getpid());
	__atomic_store_n(&o->ready, 1, __ATOMIC_RELEASE);
	o->si = t_take_sig(NOTE_SIG, WAIT_MS);
}

static void user_owner_run(void *arg)
{
	as_user(1000, 1000, user_owner, arg);
}

/*
 * SIGEV_SIGNAL: the signal describes the sender (pid and real uid, not
 * the owner's) and carries sigev_value; the registration is one-shot, and
 * then the queue is free for a new one (B10, C26).
 */
BOTH(notify_signal_info)
{
	need_root();

	struct user_owner *o = t_shared(sizeof(*o));
	mqd_t q = qnew_public("/q");
	pid_t owner = t_spawn(user_owner_run, o);

	wait_flag(&o->ready, 1, owner, "owner as uid 1000");
	pid_t pid = send_from_child("/q", "n1", 0);
	reap_pid(owner, 2 * WAIT_MS, "owner as uid 1000");
	check_note(&o->si, pid, 0, 42);
	expect_status(q, 2, 0, 0, 0);
	take(q, "n1", 0);
	/* Now root's, for the one-shot part. */
	block(NOTE_SIG);
	T_OK(reg_signal(q, NOTE_SIG, 43));
	pid = send_from_child("/q", "n2", 0);
	expect_note(pid, 0, 43);
	expect_status(q, 2, 0, 0, 0);
	/* Gone: emptying and refilling the queue notifies nobody. */
	take(q, "n2", 0);
	send_from_child("/q", "n3", 0);
	no_sig(NOTE_SIG, 4 * GRACE_MS);
	take(q, "n3", 0);
	T_OK(reg_signal(q, NOTE_SIG, 44));
	pid = send_from_child("/q", "n4", 0);
	expect_note(pid, 0, 44);
}

/*
 * A sender that could not kill() the owner still notifies it: the kernel
 * skips the permission check since 5.7 (B10).
 */
BOTH(notify_signal_from_user)
{
	need_root();

	struct op *s = ops(1);
	mqd_t q = qnew_public("/q");

	block(NOTE_SIG);
	T_OK(reg_signal(q, NOTE_SIG, 42));
	*s = (struct op){ .kind = OP_SEND, .name = "/q", .msg = "u1" };
	run_as(s, 1000, 1000);
	t_call_ret(s, 0);
	expect_note(s->call.pid, 1000, 42);
	expect_status(q, 2, 0, 0, 0);
}

/* Only an empty -> non-empty transition notifies (C24). */
BOTH(notify_transition_only)
{
	mqd_t q = qnew("/q", 4);

	block(NOTE_SIG);
	put(q, "a", 1);
	T_OK(reg_signal(q, NOTE_SIG, 1));
	send_from_child("/q", "b", 1);
	no_sig(NOTE_SIG, 4 * GRACE_MS);
	expect_status(q, 2, 0, NOTE_SIG, getpid());
	take(q, "a", 1);
	take(q, "b", 1);
	no_sig(NOTE_SIG, GRACE_MS);
	expect_status(q, 0, 0, NOTE_SIG, getpid());
	pid_t pid = send_from_child("/q", "c", 1);
	expect_note(pid, getuid(), 1);	/* the child's real uid: ours */
	expect_status(q, 1, 0, 0, 0);
}

static void reg_expect_ebusy(void *arg)
{
	mqd_t q = qget(arg, O_RDONLY);

	T_ERR(reg_signal(q, NOTE_SIG, 1), EBUSY);
	T_ERR(reg_none(q), EBUSY);
}

struct reg_exit {
	const char *name;
	unsigned long qsize;	/* of the queue at the time */
};

static void reg_and_exit(void *arg)
{
	struct reg_exit *r = arg;
	mqd_t q = qget(r->name, O_RDONLY);

	T_OK(reg_none(q));
	expect_status(q, r->qsize, 1, 0, getpid());
}

/* SIGEV_NONE holds the queue until the first transition consumes it. */
BOTH(notify_none)
{
	mqd_t q = qnew("/q", 4);

	T_OK(reg_none(q));
	expect_status(q, 0, 1, 0, getpid());
	in_child(reg_expect_ebusy, "/q", "a second registration");
	send_from_child("/q", "a", 0);
	expect_status(q, 1, 0, 0, 0);
	/* Consumed: another process may register (it exits right after). */
	in_child(reg_and_exit, &(struct reg_exit){ "/q", 1 },
		 "a registration after SIGEV_NONE");
	expect_status(q, 1, 0, 0, 0);
	T_OK(reg_none(q));
	expect_status(q, 1, 1, 0, getpid());
}

static struct {
	int calls;
	pid_t pid, tid;
	void *value;
} nt;

static void nt_fn(union sigval v)
{
	nt.pid = getpid();
	nt.tid = gettid();
	nt.value = v.sival_ptr;
	__atomic_add_fetch(&nt.calls, 1, __ATOMIC_RELEASE);
}

/* SIGEV_THREAD: a new thread of the registering process, with the value. */
BOTH(notify_thread)
{
	mqd_t q = qnew("/q", 4);
	static int cookie;
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD,
			       .sigev_notify_function = nt_fn,
			       .sigev_value.sival_ptr = &cookie };

	T_OK(B->notify(q, &ev));
	expect_status(q, 0, 2, 0, getpid());
	in_child(reg_expect_ebusy, "/q", "a second registration");
	send_from_child("/q", "a", 0);
	if (wait_value(&nt.calls, 1, WAIT_MS))
		T_FAIL("the notification function was not called in %d ms",
		       WAIT_MS);
	T_EQ(nt.pid, getpid());
	T_ASSERT(nt.tid != gettid());
	T_ASSERT(nt.value == &cookie);
	expect_status(q, 1, 0, 0, 0);
	/* One-shot. */
	take(q, "a", 0);
	send_from_child("/q", "b", 0);
	t_msleep(4 * GRACE_MS);
	T_EQ(__atomic_load_n(&nt.calls, __ATOMIC_ACQUIRE), 1);
}

struct fork_reg {
	mqd_t q;
	pid_t owner;
};

/* A fork child holds the owner's descriptor but not its registration. */
static void not_owner(void *arg)
{
	struct fork_reg *f = arg;

	T_ERR(reg_signal(f->q, NOTE_SIG, 2), EBUSY);
	T_OK(B->notify(f->q, NULL));	/* silently nothing */
	expect_status(f->q, 0, 0, NOTE_SIG, f->owner);
	T_OK(B->close(f->q));
}

BOTH(notify_fork_child_not_owner)
{
	struct fork_reg f = { .q = qnew("/q", 4), .owner = getpid() };

	block(NOTE_SIG);
	T_OK(reg_signal(f.q, NOTE_SIG, 1));
	in_child(not_owner, &f, "fork child");
	/* Nor did its close or its exit drop the registration. */
	expect_status(f.q, 0, 0, NOTE_SIG, getpid());
	T_ERR(reg_signal(f.q, NOTE_SIG, 1), EBUSY);	/* the owner too */
	pid_t pid = send_from_child("/q", "a", 0);
	expect_note(pid, getuid(), 1);
	T_OK(reg_signal(f.q, NOTE_SIG, 1));
	T_OK(B->notify(f.q, NULL));
	expect_status(f.q, 1, 0, 0, 0);
}

/* The owner closing any descriptor of the queue drops it (C25). */
BOTH(notify_dropped_on_close)
{
	mqd_t q = qnew("/q", 4);
	mqd_t other = qnew("/other", 4);

	block(NOTE_SIG);
	T_OK(reg_signal(q, NOTE_SIG, 1));
	T_OK(B->close(other));	/* another queue: no effect */
	expect_status(q, 0, 0, NOTE_SIG, getpid());
	mqd_t d = T_OK(dup(q));
	T_OK(B->close(d));
	expect_status(q, 0, 0, 0, 0);

	T_OK(reg_signal(q, NOTE_SIG, 1));
	mqd_t q2 = qget("/q", O_WRONLY);
	T_OK(B->close(q2));
	expect_status(q, 0, 0, 0, 0);

	/* Registered through the other descriptor, closing the first. */
	q2 = qget("/q", O_RDONLY);
	T_OK(reg_signal(q2, NOTE_SIG, 1));
	expect_status(q, 0, 0, NOTE_SIG, getpid());
	T_OK(B->close(q));
	expect_status(q2, 0, 0, 0, 0);
	T_OK(reg_none(q2));
	expect_status(q2, 0, 1, 0, getpid());
}

static void reg_and_sleep(void *arg)
{
	int *ready = arg;
	mqd_t q = qget("/q", O_RDONLY);

	T_OK(reg_signal(q, NOTE_SIG, 1));
	__atomic_store_n(ready, 1, __ATOMIC_RELEASE);
	t_msleep(10 * WAIT_MS);
}

/* A dead owner's registration is gone, however it died. */
BOTH(notify_owner_dies)
{
	mqd_t q = qnew("/q", 4);
	int *ready = t_shared(sizeof(int));

	in_child(reg_and_exit, &(struct reg_exit){ "/q", 0 },
		 "owner that exits");
	expect_status(q, 0, 0, 0, 0);
	T_OK(reg_none(q));
	T_OK(B->notify(q, NULL));

	pid_t pid = t_spawn(reg_and_sleep, ready);
	if (wait_value(ready, 1, WAIT_MS))
		T_FAIL("the owner did not register");
	expect_status(q, 0, 0, NOTE_SIG, pid);
	T_OK(kill(pid, SIGKILL));
	int st = t_wait_child(pid, 0, WAIT_MS);
	if (st == -1 || !WIFSIGNALED(st))
		T_FAIL("the owner did not die: status %#x", st);
	expect_status(q, 0, 0, 0, 0);
	T_OK(reg_none(q));
	expect_status(q, 0, 1, 0, getpid());
}

/* ---- 6. Descriptors ------------------------------------------------------ */

BOTH(desc_close)
{
	mqd_t q = qnew("/q", 4);
	struct mq_attr a;
	char buf[MSGSIZE];

	put(q, "kept", 1);
	T_OK(B->close(q));
	T_ERR(B->send(q, "x", 1, 0), EBADF);
	T_ERR(B->receive(q, buf, MSGSIZE, NULL), EBADF);
	T_ERR(B->getattr(q, &a), EBADF);
	T_ERR(B->notify(q, NULL), EBADF);
	T_ERR(fcntl(q, F_GETFD), EBADF);
	T_ERR(B->close(q), EBADF);
	/* The queue and its message outlive the descriptor. */
	struct op *r = ops(1);
	*r = (struct op){ .kind = OP_RECV, .name = "/q" };
	run(r);
	expect_got(r, "kept", 1);
}

struct dup_child {
	mqd_t d;
};

static void use_inherited(void *arg)
{
	struct dup_child *c = arg;

	put(c->d, "from child", 2);
}

BOTH(desc_dup)
{
	mqd_t q = qnew("/q", 4);
	mqd_t d = T_OK(dup(q));
	struct mq_attr nb = { .mq_flags = O_NONBLOCK }, old;
	char buf[MSGSIZE];

	T_ASSERT(d != q);
	put(d, "via dup", 1);
	take(q, "via dup", 1);
	/* One open file description: one O_NONBLOCK flag. */
	T_OK(B->setattr(d, &nb, &old));
	T_EQ(old.mq_flags, 0);
	T_EQ(attr(q).mq_flags, O_NONBLOCK);
	T_ASSERT(T_OK(fcntl(q, F_GETFL)) & O_NONBLOCK);
	T_ERR(B->receive(q, buf, MSGSIZE, NULL), EAGAIN);
	T_OK(B->close(q));
	struct dup_child c = { d };
	in_child(use_inherited, &c, "child with the dup");
	take(d, "from child", 2);
	T_ERR(B->receive(d, buf, MSGSIZE, NULL), EAGAIN);
}

struct flag_child {
	mqd_t q;
	long want;	/* the flags the child must see first */
	long set;	/* then sets */
	int use_fcntl;
};

static void flip_flags(void *arg)
{
	struct flag_child *c = arg;
	struct mq_attr a = { .mq_flags = c->set };

	T_EQ(attr(c->q).mq_flags, c->want);
	if (c->use_fcntl) {
		int fl = T_OK(fcntl(c->q, F_GETFL));

		fl = c->set ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
		T_OK(fcntl(c->q, F_SETFL, fl));
	} else {
		T_OK(B->setattr(c->q, &a, NULL));
	}
	put(c->q, "child", 3);
}

/*
 * A fork child shares the open file description: O_NONBLOCK set or
 * cleared there (by mq_setattr or by fcntl) is the parent's too, while a
 * separately opened descriptor keeps its own.
 */
BOTH(desc_fork_shared_flags)
{
	struct flag_child c = { .q = qnew("/q", 4), .want = 0,
				.set = O_NONBLOCK };
	mqd_t own = qget("/q", O_RDWR);
	char buf[MSGSIZE];

	in_child(flip_flags, &c, "child setting O_NONBLOCK");
	T_EQ(attr(c.q).mq_flags, O_NONBLOCK);
	T_ASSERT(T_OK(fcntl(c.q, F_GETFL)) & O_NONBLOCK);
	T_EQ(attr(own).mq_flags, 0);
	take(c.q, "child", 3);
	long t0 = t_now_ms();
	T_ERR(B->receive(c.q, buf, MSGSIZE, NULL), EAGAIN);
	T_ASSERT(t_now_ms() - t0 < 1000);

	c = (struct flag_child){ .q = c.q, .want = O_NONBLOCK, .set = 0,
				 .use_fcntl = 1 };
	in_child(flip_flags, &c, "child clearing O_NONBLOCK by fcntl");
	T_EQ(attr(c.q).mq_flags, 0);
	T_ASSERT(!(T_OK(fcntl(c.q, F_GETFL)) & O_NONBLOCK));
	take(c.q, "child", 3);
}

/* fcntl(F_SETFL, O_NONBLOCK) is mq_flags (C30). */
BOTH(desc_fcntl_nonblock)
{
	mqd_t q = qnew("/q", 4);
	struct mq_attr zero = { 0 }, old;
	char buf[MSGSIZE];
	int fl = T_OK(fcntl(q, F_GETFL));

	T_ASSERT(!(fl & O_NONBLOCK));
	T_OK(fcntl(q, F_SETFL, fl | O_NONBLOCK));
	T_EQ(attr(q).mq_flags, O_NONBLOCK);
	T_ERR(B->receive(q, buf, MSGSIZE, NULL), EAGAIN);
	T_OK(B->setattr(q, &zero, &old));
	T_EQ(old.mq_flags, O_NONBLOCK);
	T_ASSERT(!(T_OK(fcntl(q, F_GETFL)) & O_NONBLOCK));
	mqd_t nb = qget("/q", O_RDWR | O_NONBLOCK);
	T_ASSERT(T_OK(fcntl(nb, F_GETFL)) & O_NONBLOCK);
	T_EQ(attr(nb).mq_flags, O_NONBLOCK);
	T_EQ(attr(q).mq_flags, 0);
}

/* ---- 6b. exec ------------------------------------------------------------ */

#define HELPER "--posix-mp-exec-helper"

/*
 * After execve: argv[2] says what to check, argv[3] the backend, argv[4]
 * the umq namespace, argv[5] the descriptor number, argv[6] a queue name.
 * Failures print through t_fail_at and exit 1.
 */
static int helper_main(int argc, char **argv)
{
	if (argc != 7)
		T_FAIL("exec helper: %d arguments", argc);
	const char *mode = argv[2];
	int fd = atoi(argv[5]);

	half = !strcmp(argv[3], "kernel") ? 0 : 1;
	if (!B->kernel && umq_ns_use(argv[4]))
		T_FAIL("exec helper: umq_ns_use(%s): %s", argv[4],
		       ename(errno));
	if (!strcmp(mode, "closed")) {
		errno = 0;
		int fl = fcntl(fd, F_GETFD);
		if (fl != -1 || errno != EBADF)
			T_FAIL("exec helper: mqd %d is still open after "
			       "execve (F_GETFD %#x): FD_CLOEXEC not set?",
			       fd, fl);
	} else if (!strcmp(mode, "use")) {
		take(fd, "ping", 1);
		put(fd, "pong", 2);
	} else if (!strcmp(mode, "notify")) {
		mqd_t q = qget(argv[6], O_RDONLY);

		expect_status(q, 0, 0, 0, 0);
	} else {
		T_FAIL("exec helper: mode %s", mode);
	}
	return T_EXIT_PASS;
}

/* Run before the exec, in the child that will exec. */
static void (*before_exec)(mqd_t);

static void exec_helper(const char *mode, mqd_t fd, const char *name)
{
	char fdbuf[16];
	char *argv[] = { "posix_mp", HELPER, (char *)mode,
			 (char *)B->name, (char *)t_umq_dir(), fdbuf,
			 (char *)name, NULL };

	snprintf(fdbuf, sizeof(fdbuf), "%d", (int)fd);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		if (before_exec)
			before_exec(fd);
		execv("/proc/self/exe", argv);
		fprintf(stderr, "#   execv: %s\n", strerror(errno));
		_exit(126);
	}
	char what[64];
	snprintf(what, sizeof(what), "exec helper \"%s\"", mode);
	reap_pid(pid, WAIT_MS, what);
}

static void register_then_exec(mqd_t q)
{
	T_OK(reg_signal(q, NOTE_SIG, 1));
	expect_status(q, 0, 0, NOTE_SIG, getpid());
}

/*
 * An mqd_t is close-on-exec (B4 step 8, C30); with FD_CLOEXEC cleared it
 * survives exec and works there; the implicit close at exec drops the
 * exec'ing owner's registration (B6).
 */
BOTH(desc_exec)
{
	mqd_t q = qnew("/q", 4);
	int fl = T_OK(fcntl(q, F_GETFD));

	if (!(fl & FD_CLOEXEC))
		T_FAIL("F_GETFD of a new mqd_t is %#x: no FD_CLOEXEC", fl);
	exec_helper("closed", q, "/q");
	T_OK(fcntl(q, F_SETFD, 0));
	put(q, "ping", 1);
	exec_helper("use", q, "/q");
	take(q, "pong", 2);
	empty(q);
	T_OK(fcntl(q, F_SETFD, FD_CLOEXEC));
	before_exec = register_then_exec;
	exec_helper("notify", q, "/q");
	before_exec = NULL;
	expect_status(q, 0, 0, 0, 0);
}

/* ---- 7. poll, select, epoll ---------------------------------------------- */

/* poll fd for events with no wait: revents must be want exactly. */
static void expect_poll(int fd, int events, int want, const char *when)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, 0);

	if (n < 0)
		T_FAIL("poll: %s", strerror(errno));
	if (p.revents != want)
		T_FAIL("%s: poll(fd %d, %#x) gave revents %#x, expected %#x",
		       when, fd, events, p.revents, want);
}

/*
 * Readable exactly when the queue holds a message, on O_RDONLY and
 * O_RDWR descriptors; writable while it has room (umq also says writable
 * when full, a documented difference, so that is not asserted).
 */
BOTH(poll_readable)
{
	mqd_t q = qnew("/q", 2);
	mqd_t rd = qget("/q", O_RDONLY);
	mqd_t wr = qget("/q", O_WRONLY);

	expect_poll(rd, POLLIN, 0, "empty");
	expect_poll(q, POLLIN, 0, "empty");
	expect_poll(wr, POLLOUT, POLLOUT, "empty");
	expect_poll(q, POLLOUT, POLLOUT, "empty");
	send_from_child("/q", "a", 1);
	expect_poll(rd, POLLIN, POLLIN, "one message");
	expect_poll(q, POLLIN, POLLIN, "one message");
	expect_poll(wr, POLLOUT, POLLOUT, "one message of two");
	expect_poll(q, POLLIN | POLLOUT, POLLIN | POLLOUT,
		    "one message of two");
	send_from_child("/q", "b", 1);
	expect_poll(rd, POLLIN, POLLIN, "full");
	take(rd, "a", 1);
	expect_poll(rd, POLLIN, POLLIN, "one message left");
	take(q, "b", 1);
	expect_poll(rd, POLLIN, 0, "drained");
	expect_poll(q, POLLIN, 0, "drained");
	expect_poll(wr, POLLOUT, POLLOUT, "drained");
}

/* o, asleep in poll, select or epoll_wait in another process, wakes up. */
static void waiter_woken(struct op *o, mqd_t q, int want)
{
	o->timeout_ms = WAIT_MS;
	start(o);
	put(q, "wake", 1);
	t_call_reap(o);
	if (o->call.ret != 1 || o->revents != want)
		T_FAIL("%s (access %d) %s, expected 1 with %#x", op_name(o),
		       o->acc, op_result(o), want);
	if (o->elapsed_ms >= WAIT_MS)
		T_FAIL("%s woke after %ld ms: by its timeout", op_name(o),
		       o->elapsed_ms);
	take(q, "wake", 1);
}

BOTH(poll_wakes_other_process)
{
	struct op *w = ops(2);
	mqd_t q = qnew("/q", 4);

	w[0] = (struct op){ .kind = OP_POLL, .name = "/q", .acc = ACC_RDONLY,
			    .events = POLLIN };
	waiter_woken(&w[0], q, POLLIN);
	w[1] = (struct op){ .kind = OP_POLL, .name = "/q", .acc = ACC_RDWR,
			    .events = POLLIN };
	waiter_woken(&w[1], q, POLLIN);
	expect_poll(q, POLLIN, 0, "drained");
}

#define PW_ROUNDS 300

struct pw {
	int acked;
};

static void pw_child(void *arg)
{
	struct pw *p = arg;
	mqd_t q = qget("/q", O_RDONLY | O_NONBLOCK);
	char buf[MSGSIZE + 1], want[16];

	for (int i = 0; i < PW_ROUNDS; i++) {
		struct pollfd pf = { .fd = q, .events = POLLIN };
		int n = poll(&pf, 1, WAIT_MS);

		if (n != 1 || pf.revents != POLLIN)
			T_FAIL("round %d: poll returned %d (revents %#x) with "
			       "%ld message(s) queued: a lost wake-up", i, n,
			       pf.revents, curmsgs(q));
		ssize_t r = B->receive(q, buf, MSGSIZE, NULL);
		if (r < 0)
			T_FAIL("round %d: readable, but the receive failed: "
			       "%s", i, ename(errno));
		buf[r] = 0;
		snprintf(want, sizeof(want), "r%d", i);
		if (strcmp(buf, want))
			T_FAIL("round %d: received \"%s\"", i, buf);
		__atomic_store_n(&p->acked, i + 1, __ATOMIC_RELEASE);
	}
}



/*
 * Sends at random moments against a poll loop in another process: every
 * send must wake it, whatever point of entering poll it is at.
 */
BOTH(poll_no_lost_wakeup)
{
	struct pw *p = t_shared(sizeof(*p));
	mqd_t q = qnew("/q", 4);
	unsigned seed = 1;
	char m[16];

	pid_t pid = t_spawn(pw_child, p);
	for (int i = 0; i < PW_ROUNDS; i++) {
		spin_us(rand_r(&seed) % 300);
		snprintf(m, sizeof(m), "r%d", i);
		put(q, m, 1);
		wait_flag(&p->acked, i + 1, pid, "poll loop");
	}
	reap_pid(pid, WAIT_MS, "poll loop");
	empty(q);
}

/* epoll_wait(ep, ms) must report want (0: nothing). */
static void expect_epoll(int ep, int ms, unsigned want, const char *when)
{
	struct epoll_event ev = { 0 };
	int n = epoll_wait(ep, &ev, 1, ms);

	if (n < 0)
		T_FAIL("epoll_wait: %s", strerror(errno));
	if ((n ? ev.events : 0) != want)
		T_FAIL("%s: epoll_wait gave %d event(s) %#x, expected %#x",
		       when, n, n ? ev.events : 0, want);
}

static int epoll_on(mqd_t q, unsigned events)
{
	int ep = T_OK(epoll_create1(EPOLL_CLOEXEC));
	struct epoll_event ev = { .events = events };

	T_OK(epoll_ctl(ep, EPOLL_CTL_ADD, q, &ev));
	return ep;
}

BOTH(epoll_level)
{
	mqd_t q = qnew("/q", 4);
	mqd_t rd = qget("/q", O_RDONLY);
	int ep = epoll_on(rd, EPOLLIN);

	expect_epoll(ep, 0, 0, "empty");
	send_from_child("/q", "a", 1);
	expect_epoll(ep, WAIT_MS, EPOLLIN, "one message");
	expect_epoll(ep, 0, EPOLLIN, "one message, level-triggered");
	take(rd, "a", 1);
	expect_epoll(ep, 0, 0, "drained");
	/* Blocked in another process, level-triggered. */
	struct op *w = ops(1);
	*w = (struct op){ .kind = OP_EPOLL, .name = "/q", .acc = ACC_RDONLY,
			  .events = EPOLLIN };
	waiter_woken(w, q, EPOLLIN);
}

/*
 * Each empty -> non-empty transition is one edge.  (The kernel also
 * reports an edge for a send to a non-empty queue; that is not asserted.)
 */
BOTH(epoll_edge)
{
	mqd_t q = qnew("/q", 4);
	mqd_t rd = qget("/q", O_RDONLY);
	int ep = epoll_on(rd, EPOLLIN | EPOLLET);

	expect_epoll(ep, 0, 0, "empty");
	send_from_child("/q", "a", 1);
	expect_epoll(ep, WAIT_MS, EPOLLIN, "first transition");
	expect_epoll(ep, 0, 0, "first edge already reported");
	take(rd, "a", 1);
	expect_epoll(ep, 0, 0, "drained");
	send_from_child("/q", "b", 1);
	expect_epoll(ep, WAIT_MS, EPOLLIN, "second transition");
	expect_epoll(ep, 0, 0, "second edge already reported");
	take(rd, "b", 1);
	expect_epoll(ep, 0, 0, "drained again");
	struct op *w = ops(1);
	*w = (struct op){ .kind = OP_EPOLL, .name = "/q", .acc = ACC_RDONLY,
			  .events = EPOLLIN | EPOLLET };
	waiter_woken(w, q, EPOLLIN);
}

#define HIGH_FD 1000	/* below FD_SETSIZE (1024), far above the rest */

/* select(nfds, read set, write set) on fd alone, no wait. */
static void expect_select(int fd, int rd, int want, const char *when)
{
	struct timeval tv = { 0, 0 };
	fd_set set;

	FD_ZERO(&set);
	FD_SET(fd, &set);
	int n = select(fd + 1, rd ? &set : NULL, rd ? NULL : &set, NULL, &tv);
	if (n < 0)
		T_FAIL("select: %s", strerror(errno));
	if (n != want || !!FD_ISSET(fd, &set) != want)
		T_FAIL("%s: select(%s fd %d) gave %d, expected %d", when,
		       rd ? "read" : "write", fd, n, want);
}

BOTH(select_high_fd)
{
	struct rlimit rl;

	T_OK(getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur <= HIGH_FD) {
		rl.rlim_cur = rl.rlim_max < 1024 ? rl.rlim_max : 1024;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur <= HIGH_FD)
			t_skip("RLIMIT_NOFILE too low for fd %d", HIGH_FD);
	}
	mqd_t q = qnew("/q", 2);
	T_EQ(dup2(q, HIGH_FD), HIGH_FD);
	T_OK(B->close(q));
	expect_select(HIGH_FD, 1, 0, "empty");
	expect_select(HIGH_FD, 0, 1, "empty");
	send_from_child("/q", "a", 1);
	expect_select(HIGH_FD, 1, 1, "one message");
	take(HIGH_FD, "a", 1);
	expect_select(HIGH_FD, 1, 0, "drained");
	/* Asleep in another process, on the inherited fd 1000. */
	struct op *w = ops(1);
	*w = (struct op){ .kind = OP_SELECT, .fd = HIGH_FD };
	waiter_woken(w, HIGH_FD, 1);
	expect_select(HIGH_FD, 1, 0, "drained again");
}

/* ---- 8. Unlink while open ------------------------------------------------ */

struct ul {
	mqd_t inherited;
	int step, ack;
};

static void ul_child(void *arg)
{
	struct ul *u = arg;
	mqd_t own = qget("/u", O_RDWR);

	__atomic_store_n(&u->ack, 1, __ATOMIC_RELEASE);
	if (wait_value(&u->step, 1, WAIT_MS))
		T_FAIL("unlink child: step 1 never came");
	/* Unlinked and replaced: this descriptor is still the old queue. */
	take(own, "old", 1);
	T_EQ(attr(own).mq_maxmsg, 4);
	put(own, "from child", 2);
	__atomic_store_n(&u->ack, 2, __ATOMIC_RELEASE);
	if (wait_value(&u->step, 2, WAIT_MS))
		T_FAIL("unlink child: step 2 never came");
	/* The parent closed its descriptor: the old queue lives on. */
	put(u->inherited, "still", 3);
	take(own, "still", 3);
	T_EQ(attr(u->inherited).mq_maxmsg, 4);
	mqd_t now = qget("/u", O_RDONLY);
	struct mq_attr a = attr(now);
	T_EQ(a.mq_maxmsg, 2);
	T_EQ(a.mq_curmsgs, 1);
	T_OK(B->close(now));
	T_OK(B->close(own));
	T_OK(B->close(u->inherited));
}

BOTH(unlink_while_open)
{
	struct ul *u = t_shared(sizeof(*u));
	mqd_t q = qnew("/u", 4);

	put(q, "old", 1);
	u->inherited = q;
	pid_t pid = t_spawn(ul_child, u);
	wait_flag(&u->ack, 1, pid, "unlink child");
	T_OK(B->unlink("/u"));
	T_ERR(B->open("/u", O_RDWR), ENOENT);
	T_ERR(B->unlink("/u"), ENOENT);
	mqd_t n = qnew("/u", 2);	/* O_EXCL: the name is free */
	T_EQ(attr(n).mq_maxmsg, 2);
	T_EQ(curmsgs(n), 0);
	put(n, "new", 1);
	T_EQ(curmsgs(q), 1);
	__atomic_store_n(&u->step, 1, __ATOMIC_RELEASE);
	wait_flag(&u->ack, 2, pid, "unlink child");
	take(q, "from child", 2);
	empty(q);
	T_OK(B->close(q));
	__atomic_store_n(&u->step, 2, __ATOMIC_RELEASE);
	reap_pid(pid, WAIT_MS, "unlink child");
	take(n, "new", 1);
	empty(n);
	T_OK(B->unlink("/u"));
}

/* ---- 9. Signals ---------------------------------------------------------- */

/* A blocked call of this kind on a fresh queue; the queue is returned. */
static mqd_t blocked(struct op *o, int kind)
{
	mqd_t q = qnew("/q", 1);

	if (is_send(kind))
		put(q, "full", 1);
	o->kind = kind;
	strcpy(o->name, "/q");
	strcpy(o->msg, "late");
	o->prio = 2;
	o->timeout_ms = 4000;
	start(o);
	return q;
}

/* Let the blocked call o complete: make room or send it a message. */
static void complete(struct op *o, mqd_t q)
{
	if (is_send(o->kind)) {
		take(q, "full", 1);
		t_call_reap(o);
		t_call_ret(o, 0);
		take(q, "late", 2);
	} else {
		put(q, "late", 2);
		t_call_reap(o);
		expect_got(o, "late", 2);
	}
	empty(q);
}

/*
 * A handled signal: EINTR without SA_RESTART; with it the call restarts
 * transparently and completes later (B9, C28).
 */
static void sig_case(int kind, int sa_flags)
{
	struct op *o = ops(1);

	o->on_sig = 1;
	o->sa_flags = sa_flags;
	mqd_t q = blocked(o, kind);
	T_OK(kill(o->call.pid, SIGUSR1));
	if (wait_value(&o->handled, 1, WAIT_MS))
		T_FAIL("the SIGUSR1 handler of %s did not run", op_name(o));
	if (!(sa_flags & SA_RESTART)) {
		t_call_reap(o);
		t_call_err(o, EINTR);
		if (is_send(kind)) {
			T_EQ(curmsgs(q), 1);	/* its message is dropped */
			take(q, "full", 1);
		} else {
			put(q, "after", 1);	/* nobody takes it */
			T_EQ(curmsgs(q), 1);
			take(q, "after", 1);
		}
		empty(q);
		return;
	}
	if (t_wait_sleeping(o->call.pid))
		T_FAIL("%s did not sleep again after the handler: %s",
		       op_name(o), op_result(o));
	t_call_blocked(o);
	complete(o, q);
}

BOTH(sig_rcv_eintr) { sig_case(OP_RECV, 0); }
BOTH(sig_rcv_restart) { sig_case(OP_RECV, SA_RESTART); }
BOTH(sig_timedrcv_eintr) { sig_case(OP_TRECV, 0); }
BOTH(sig_timedrcv_restart) { sig_case(OP_TRECV, SA_RESTART); }
BOTH(sig_snd_eintr) { sig_case(OP_SEND, 0); }
BOTH(sig_snd_restart) { sig_case(OP_SEND, SA_RESTART); }
BOTH(sig_timedsnd_eintr) { sig_case(OP_TSEND, 0); }
BOTH(sig_timedsnd_restart) { sig_case(OP_TSEND, SA_RESTART); }

/* The restarted call keeps its absolute deadline, not a fresh timeout. */
BOTH(sig_timedrcv_restart_keeps_deadline)
{
	struct op *o = ops(1);

	*o = (struct op){ .kind = OP_TRECV, .name = "/q", .timeout_ms = 1000,
			  .on_sig = 1, .sa_flags = SA_RESTART };
	qnew("/q", 1);
	start(o);
	t_msleep(400);
	T_OK(kill(o->call.pid, SIGUSR1));
	t_call_reap(o);
	t_call_err(o, ETIMEDOUT);
	T_EQ(o->handled, 1);
	if (o->elapsed_ms < 990 || o->elapsed_ms >= 1300)
		T_FAIL("timed out after %ld ms, expected about 1000",
		       o->elapsed_ms);
}

static void stop_and_continue(struct op *o)
{
	T_OK(kill(o->call.pid, SIGSTOP));
	int st = t_wait_child(o->call.child, WUNTRACED, WAIT_MS);
	if (st == -1 || !WIFSTOPPED(st))
		T_FAIL("%s did not stop: status %#x", op_name(o), st);
	T_OK(kill(o->call.pid, SIGCONT));
	if (t_wait_sleeping(o->call.pid))
		T_FAIL("%s after SIGCONT: %s", op_name(o), op_result(o));
}

/* No handler runs for SIGSTOP/SIGCONT: the call goes on as if nothing. */
static void stop_cont(int kind)
{
	struct op *o = ops(1);
	mqd_t q = blocked(o, kind);

	stop_and_continue(o);
	t_call_blocked(o);
	complete(o, q);
}

BOTH(sigstop_rcv) { stop_cont(OP_RECV); }
BOTH(sigstop_timedrcv) { stop_cont(OP_TRECV); }
BOTH(sigstop_snd) { stop_cont(OP_SEND); }

/* ---- 10. Timeouts -------------------------------------------------------- */

static const char *clock_name(clockid_t c)
{
	return c == CLOCK_MONOTONIC ? "CLOCK_MONOTONIC" : "CLOCK_REALTIME";
}

/* A deadline 200 ms away on clock c, in *dl: when it was set. */
static long in_200ms(clockid_t c, struct timespec *dl)
{
	*dl = t_deadline(c, 200);
	return t_now_ms();
}

/* call, on clock c, timed out: about 200 ms after t0. */
static void expect_elapsed(long t0, const char *call, clockid_t c)
{
	long ms = t_now_ms() - t0;

	if (ms < 190 || ms >= 2000)
		T_FAIL("%s(%s) timed out after %ld ms, expected about 200",
		       call, clock_name(c), ms);
}

BOTH(timed_rcv_timeout)
{
	mqd_t q = qnew("/q", 4);
	char buf[MSGSIZE];
	struct timespec dl;
	long t0 = in_200ms(CLOCK_REALTIME, &dl);

	T_ERR(B->timedreceive(q, buf, MSGSIZE, NULL, &dl), ETIMEDOUT);
	expect_elapsed(t0, "mq_timedreceive", CLOCK_REALTIME);
	empty(q);
}

BOTH(timed_snd_timeout)
{
	mqd_t q = qnew("/q", 1);
	struct timespec dl = t_deadline(CLOCK_REALTIME, 200);

	put(q, "x", 1);
	long t0 = t_now_ms();
	T_ERR(B->timedsend(q, "y", 1, 1, &dl), ETIMEDOUT);
	expect_elapsed(t0, "mq_timedsend", CLOCK_REALTIME);
	T_EQ(curmsgs(q), 1);
	take(q, "x", 1);
	empty(q);
}

/* A past deadline only matters when the call would block. */
BOTH(timed_past_deadline)
{
	mqd_t q = qnew("/q", 1);
	struct timespec past = t_deadline(CLOCK_REALTIME, -1000);
	struct timespec epoch = { 0, 0 };
	char buf[MSGSIZE + 1];
	unsigned prio;

	T_OK(B->timedsend(q, "p", 1, 3, &past));
	long t0 = t_now_ms();
	T_ERR(B->timedsend(q, "q", 1, 3, &epoch), ETIMEDOUT);
	T_ERR(B->timedsend(q, "q", 1, 3, &past), ETIMEDOUT);
	T_EQ(T_OK(B->timedreceive(q, buf, MSGSIZE, &prio, &epoch)), 1);
	T_EQ(buf[0], 'p');
	T_EQ(prio, 3);
	T_ERR(B->timedreceive(q, buf, MSGSIZE, &prio, &past), ETIMEDOUT);
	T_ERR(B->timedreceive(q, buf, MSGSIZE, &prio, &epoch), ETIMEDOUT);
	if (t_now_ms() - t0 >= 1000)
		T_FAIL("past deadlines took %ld ms to time out",
		       t_now_ms() - t0);
}

BOTH(timed_rcv_woken)
{
	struct op *o = ops(1);

	o->timeout_ms = WAIT_MS;
	mqd_t q = blocked(o, OP_TRECV);
	complete(o, q);
	T_ASSERT(o->elapsed_ms < 4000);
}

BOTH(timed_snd_woken)
{
	struct op *o = ops(1);
	mqd_t q = blocked(o, OP_TSEND);

	complete(o, q);
	T_ASSERT(o->elapsed_ms < 4000);
}

/* ---- 10b. umq's clock-selectable timeouts (umq only) --------------------- */

static const clockid_t clocks[] = { CLOCK_MONOTONIC, CLOCK_REALTIME };

UMQ(clock_mq_timeout)
{
	mqd_t q = qnew("/q", 1);
	char buf[MSGSIZE + 1];
	struct timespec dl;
	unsigned prio;

	for (int i = 0; i < 2; i++) {
		clockid_t c = clocks[i];
		long t0 = in_200ms(c, &dl);

		T_ERR(umq_mq_clockreceive(q, buf, MSGSIZE, NULL, c, &dl),
		      ETIMEDOUT);
		expect_elapsed(t0, "umq_mq_clockreceive", c);
		dl = t_deadline(c, -1000);	/* past, but there is room */
		T_OK(umq_mq_clocksend(q, "c", 1, 4, c, &dl));
		t0 = in_200ms(c, &dl);
		T_ERR(umq_mq_clocksend(q, "d", 1, 4, c, &dl), ETIMEDOUT);
		expect_elapsed(t0, "umq_mq_clocksend", c);
		dl = t_deadline(c, -1000);	/* past, but a message */
		T_EQ(T_OK(umq_mq_clockreceive(q, buf, MSGSIZE, &prio, c,
					       &dl)), 1);
		T_EQ(buf[0], 'c');
		T_EQ(prio, 4);
	}
	dl = t_deadline(CLOCK_REALTIME, 200);
	T_ERR(umq_mq_clockreceive(q, buf, MSGSIZE, NULL,
				  CLOCK_PROCESS_CPUTIME_ID, &dl), EINVAL);
	empty(q);
}

UMQ(clock_mq_woken)
{
	struct op *o = ops(2);

	o[0] = (struct op){ .clock = CLOCK_MONOTONIC, .timeout_ms = WAIT_MS };
	mqd_t q = blocked(&o[0], OP_CRECV);
	complete(&o[0], q);
	T_OK(B->close(q));
	T_OK(B->unlink("/q"));
	o[1] = (struct op){ .clock = CLOCK_MONOTONIC, .timeout_ms = WAIT_MS };
	q = blocked(&o[1], OP_CSEND);
	complete(&o[1], q);
}

struct sv_msg {
	long mtype;
	char text[16];
};

UMQ(clock_sysv_timeout)
{
	int id = T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct sv_msg m = { .mtype = 1, .text = "12345678" };
	struct msqid_ds ds;
	struct timespec dl;

	T_OK(umq_msgctl(id, IPC_STAT, &ds));
	ds.msg_qbytes = 8;
	T_OK(umq_msgctl(id, IPC_SET, &ds));
	for (int i = 0; i < 2; i++) {
		clockid_t c = clocks[i];
		long t0 = in_200ms(c, &dl);

		T_ERR(umq_msgclockrcv(id, &m, 16, 0, 0, c, &dl), ETIMEDOUT);
		expect_elapsed(t0, "umq_msgclockrcv", c);
		dl = t_deadline(c, -1000);
		T_OK(umq_msgclocksnd(id, &m, 8, 0, c, &dl));
		t0 = in_200ms(c, &dl);
		T_ERR(umq_msgclocksnd(id, &m, 4, 0, c, &dl), ETIMEDOUT);
		expect_elapsed(t0, "umq_msgclocksnd", c);
		dl = t_deadline(c, -1000);
		T_EQ(T_OK(umq_msgclockrcv(id, &m, 16, 0, 0, c, &dl)), 8);
	}
	T_OK(umq_msgctl(id, IPC_RMID, NULL));
}

struct sv_wait {
	int id;
	pid_t pid;
	int done;
	long ret;
	int err;
	struct sv_msg m;
};

static void sv_receiver(void *arg)
{
	struct sv_wait *w = arg;
	struct timespec dl = t_deadline(CLOCK_MONOTONIC, WAIT_MS);

	__atomic_store_n(&w->pid, getpid(), __ATOMIC_RELEASE);
	errno = 0;
	w->ret = umq_msgclockrcv(w->id, &w->m, 16, 0, 0, CLOCK_MONOTONIC,
				 &dl);
	w->err = errno;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
}

UMQ(clock_sysv_woken)
{
	struct sv_wait *w = t_shared(sizeof(*w));
	struct sv_msg m = { .mtype = 7, .text = "wake" };

	w->id = T_OK(umq_msgget(IPC_PRIVATE, 0600));
	pid_t pid = t_spawn(sv_receiver, w);
	if (wait_value(&w->pid, 1, WAIT_MS) || t_wait_sleeping(pid))
		T_FAIL("umq_msgclockrcv did not block");
	T_OK(umq_msgsnd(w->id, &m, 5, 0));
	reap_pid(pid, WAIT_MS, "umq_msgclockrcv");
	if (w->ret != 5 || w->m.mtype != 7 || strcmp(w->m.text, "wake"))
		T_FAIL("umq_msgclockrcv returned %ld %s (mtype %ld), "
		       "expected 5 (mtype 7)", w->ret, ename(w->err),
		       w->m.mtype);
	T_OK(umq_msgctl(w->id, IPC_RMID, NULL));
}

/* ---- 11. Permissions ----------------------------------------------------- */

static const struct { const char *name; mode_t mode; } pq[] = {
	{ "/m600", 0600 }, { "/m644", 0644 }, { "/m666", 0666 },
	{ "/m622", 0622 }, { "/m640", 0640 }, { "/m604", 0604 },
	{ "/m660", 0660 }, { "/m000", 0 },
};

/* One open as the user; want is success or EACCES. */
static void perm_open(const char *name, mode_t mode, int oflag, int ok)
{
	struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 1 };
	mqd_t d;

	errno = 0;
	d = oflag & O_CREAT ? B->open(name, oflag, 0666, &a) :
		B->open(name, oflag);
	if (ok && d == (mqd_t)-1)
		T_FAIL("as %d:%d mq_open(%s [%04o], %#o) failed: %s, expected "
		       "success", (int)getuid(), (int)getgid(), name, mode,
		       oflag, ename(errno));
	if (!ok && (d != (mqd_t)-1 || errno != EACCES))
		T_FAIL("as %d:%d mq_open(%s [%04o], %#o) returned %d %s, "
		       "expected -1 EACCES", (int)getuid(), (int)getgid(),
		       name, mode, oflag, (int)d, ename(errno));
	if (d != (mqd_t)-1)
		T_OK(B->close(d));
}

static void perm_user(void *arg)
{
	static const int acc[] = { O_RDONLY, O_WRONLY, O_RDWR };
	static const int need[] = { 4, 2, 6 };
	int in_group = *(int *)arg;

	for (size_t i = 0; i < sizeof(pq) / sizeof(pq[0]); i++) {
		int bits = in_group ? (pq[i].mode >> 3) & 7 : pq[i].mode & 7;

		for (int k = 0; k < 3; k++) {
			int ok = (bits & need[k]) == need[k];

			perm_open(pq[i].name, pq[i].mode, acc[k], ok);
			perm_open(pq[i].name, pq[i].mode, acc[k] | O_CREAT,
				  ok);
		}
	}
	/* Not the owner: no unlink, whatever the mode (B7). */
	T_ERR(B->unlink("/m666"), EACCES);
	T_ERR(B->unlink("/m000"), EACCES);
	if (in_group)
		return;
	take(qget("/m644", O_RDONLY), "root", 1);
	put(qget("/m622", O_WRONLY), "user", 2);
	put(qopen_attr("/mine", O_CREAT | O_EXCL | O_RDWR, 0600, 4), "mine",
	    3);
}

static void unlink_denied(void *arg)
{
	T_ERR(B->unlink(arg), EACCES);
}

/* An ordinary user against root's queues: the mode bits decide (C29). */
BOTH(perm_user_vs_root)
{
	need_root();

	mqd_t q[sizeof(pq) / sizeof(pq[0])];
	int in_group;

	umask(0);
	for (size_t i = 0; i < sizeof(pq) / sizeof(pq[0]); i++)
		q[i] = qopen_attr(pq[i].name, O_CREAT | O_EXCL | O_RDWR,
				  pq[i].mode, 4);
	put(q[1], "root", 1);
	in_group = 0;
	as_user(1000, 1000, perm_user, &in_group);
	in_group = 1;
	as_user(1000, 0, perm_user, &in_group);
	empty(q[1]);
	take(q[3], "user", 2);
	/* Root reads the user's 0600 queue; another user cannot unlink it. */
	take(qget("/mine", O_RDWR), "mine", 3);
	as_user(1001, 1001, unlink_denied, "/mine");
	T_OK(B->unlink("/mine"));
	T_ERR(B->open("/mine", O_RDWR), ENOENT);
}

/* ---- 12. Processes killed mid-way ---------------------------------------- */

static void kill_op(struct op *o)
{
	T_OK(kill(o->call.pid, SIGKILL));
	int st = t_wait_child(o->call.child, 0, WAIT_MS);
	if (st == -1 || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		T_FAIL("%s did not die of SIGKILL: status %#x", op_name(o),
		       st);
}

/* A receiver killed while blocked takes nothing with it. */
BOTH(kill_blocked_receiver)
{
	struct op *r = ops(4);
	mqd_t q = qnew("/q", 4);

	for (int i = 0; i < 4; i++)
		r[i] = (struct op){ .kind = OP_RECV, .name = "/q" };
	start(&r[0]);
	kill_op(&r[0]);
	put(q, "m0", 1);
	T_EQ(curmsgs(q), 1);
	run(&r[1]);
	expect_got(&r[1], "m0", 1);
	start(&r[2]);
	start(&r[3]);
	kill_op(&r[2]);
	put(q, "m1", 1);
	t_call_reap(&r[3]);
	expect_got(&r[3], "m1", 1);
	put(q, "m2", 1);
	put(q, "m3", 2);
	T_EQ(curmsgs(q), 2);
	expect_status(q, 4, 0, 0, 0);
	take(q, "m3", 2);
	take(q, "m2", 1);
	empty(q);
}

/* A sender killed while blocked on a full queue leaves no message. */
BOTH(kill_blocked_sender)
{
	struct op *s = ops(2);
	mqd_t q = qnew("/q", 1);

	put(q, "x", 1);
	for (int i = 0; i < 2; i++) {
		s[i] = (struct op){ .kind = OP_SEND, .name = "/q", .prio = 1 };
		snprintf(s[i].msg, sizeof(s[i].msg), "s%d", i);
		start(&s[i]);
	}
	kill_op(&s[0]);
	take(q, "x", 1);
	t_call_reap(&s[1]);
	t_call_ret(&s[1], 0);
	T_EQ(curmsgs(q), 1);
	expect_status(q, 2, 0, 0, 0);
	take(q, "s1", 1);
	empty(q);
}

/* Checksummed messages: sender, per-sender sequence, priority, data. */
#define PAY_DATA 100
#define PAY_SIZE 128	/* mq_msgsize of the queues that carry them */

struct pay {
	int snd;
	int seq;
	unsigned prio;
	unsigned sum;
	unsigned char data[PAY_DATA];
};

#define PAY_HDR offsetof(struct pay, data)

static size_t pay_len(int s, int seq)
{
	return PAY_HDR + (size_t)(seq * 37 + s * 11) % (PAY_DATA + 1);
}

static unsigned pay_sum(const struct pay *p, size_t n)
{
	unsigned h = (unsigned)p->snd * 65599u + (unsigned)p->seq * 31u +
		     p->prio;

	for (size_t i = 0; i < n; i++)
		h = h * 31 + p->data[i];
	return h;
}

static size_t pay_make(struct pay *p, int s, int seq, unsigned prio)
{
	size_t len = pay_len(s, seq), n = len - PAY_HDR;

	p->snd = s;
	p->seq = seq;
	p->prio = prio;
	for (size_t i = 0; i < n; i++)
		p->data[i] = s * 131 + seq * 7 + i;
	p->sum = pay_sum(p, n);
	return len;
}

/* Why p (n bytes, received with prio) is not an untorn message, or NULL. */
static const char *pay_check(const struct pay *p, ssize_t n, unsigned prio,
			     int nsnd, int nseq)
{
	if (n < (ssize_t)PAY_HDR || p->snd < 0 || p->snd >= nsnd ||
	    p->seq < 0 || p->seq >= nseq)
		return "bad header";
	if ((size_t)n != pay_len(p->snd, p->seq))
		return "wrong length";
	if (p->prio != prio)
		return "received with another priority";
	if (p->sum != pay_sum(p, n - PAY_HDR))
		return "bad checksum";
	return NULL;
}

static mqd_t pay_queue(const char *name, long maxmsg)
{
	struct mq_attr a = { .mq_maxmsg = maxmsg, .mq_msgsize = PAY_SIZE };
	mqd_t q = B->open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &a);

	if (q == (mqd_t)-1)
		T_FAIL("mq_open(%s, maxmsg %ld, msgsize %d): %s", name, maxmsg,
		       PAY_SIZE, ename(errno));
	return q;
}

/* Record the first bad message seen by anyone. */
static void bad_msg(int *bad, char *why, size_t len, const char *what,
		    const struct pay *p, ssize_t n)
{
	if (__atomic_fetch_add(bad, 1, __ATOMIC_ACQ_REL) == 0)
		snprintf(why, len, "%s (sender %d seq %d, %zd bytes)", what,
			 p->snd, p->seq, n);
}

#define KS_NAME "/ks"
#define KS_LIVE 1500	/* messages of the sender that lives */
#define KS_MAX 100000	/* of the victim: far more than it gets to send */
#define KS_TAIL 3	/* sent by the live one once the receivers left */
#define KS_RCV 2

struct ks {
	int sent[2];	/* [0] the victim, [1] the live sender */
	int tail_go;
	int bad;
	char why[128];
	unsigned char seen[2][KS_MAX];
};

static void ks_send(struct ks *k, mqd_t q, int s, int from, int to)
{
	struct pay p;

	for (int seq = from; seq < to; seq++) {
		size_t len = pay_make(&p, s, seq, 1);

		if (B->send(q, (char *)&p, len, 1))
			T_FAIL("sender %d, seq %d: %s", s, seq, ename(errno));
		__atomic_store_n(&k->sent[s], seq + 1, __ATOMIC_RELEASE);
	}
}

static void ks_victim(void *arg)
{
	ks_send(arg, qget(KS_NAME, O_WRONLY), 0, 0, KS_MAX);
}

static void ks_live(void *arg)
{
	struct ks *k = arg;
	mqd_t q = qget(KS_NAME, O_WRONLY);

	ks_send(k, q, 1, 0, KS_LIVE);
	if (wait_value(&k->tail_go, 1, 4 * WAIT_MS))
		T_FAIL("live sender: no go for the tail");
	ks_send(k, q, 1, KS_LIVE, KS_LIVE + KS_TAIL);
}

static void ks_note(struct ks *k, const struct pay *p, ssize_t n,
		    unsigned prio, int last[2])
{
	const char *why = pay_check(p, n, prio, 2, KS_MAX);

	if (!why && p->seq <= last[p->snd])
		why = "out of order for its sender";
	if (why) {
		bad_msg(&k->bad, k->why, sizeof(k->why), why, p, n);
		return;
	}
	last[p->snd] = p->seq;
	__atomic_fetch_add(&k->seen[p->snd][p->seq], 1, __ATOMIC_RELAXED);
}

static void ks_receiver(void *arg)
{
	struct ks *k = arg;
	mqd_t q = qget(KS_NAME, O_RDONLY);
	int last[2] = { -1, -1 };
	struct pay p;
	unsigned prio;

	for (;;) {
		ssize_t n = B->receive(q, (char *)&p, PAY_SIZE, &prio);

		if (n < 0)
			T_FAIL("receiver: %s", ename(errno));
		if (n == 0)	/* the parent's stop message */
			return;
		ks_note(k, &p, n, prio, last);
	}
}

/* Kill the victim after at least min sends, at a random moment. */
static int ks_kill(struct ks *k, pid_t victim, int min, unsigned *seed)
{
	wait_flag(&k->sent[0], min, victim, "victim sender");
	spin_us(rand_r(seed) % 1000);
	T_OK(kill(victim, SIGKILL));
	int st = t_wait_child(victim, 0, WAIT_MS);
	if (st == -1 || !WIFSIGNALED(st))
		T_FAIL("the victim sender did not die of SIGKILL: %#x", st);
	return __atomic_load_n(&k->sent[0], __ATOMIC_ACQUIRE);
}

/* After the receivers stopped: what is queued is exactly what drains. */
static void ks_drain(struct ks *k, mqd_t q)
{
	int last[2] = { -1, -1 };
	struct timespec past = t_deadline(CLOCK_REALTIME, -1000);
	long queued = curmsgs(q), drained = 0;
	struct pay p;
	unsigned prio;
	ssize_t n;

	while ((n = B->timedreceive(q, (char *)&p, PAY_SIZE, &prio,
				    &past)) >= 0) {
		ks_note(k, &p, n, prio, last);
		drained++;
	}
	if (errno != ETIMEDOUT)
		T_FAIL("drain: %s", ename(errno));
	if (drained != queued)
		T_FAIL("mq_curmsgs said %ld, the drain returned %ld", queued,
		       drained);
	T_EQ(queued, KS_TAIL);
	expect_status(q, 0, 0, 0, 0);
}

static void ks_verify(struct ks *k, int vsent)
{
	int v = 0;

	if (k->bad)
		T_FAIL("%d bad message(s), first: %s", k->bad, k->why);
	for (int i = 0; i < KS_LIVE + KS_TAIL; i++)
		if (k->seen[1][i] != 1)
			T_FAIL("live sender's message %d received %d times",
			       i, k->seen[1][i]);
	while (v < KS_MAX && k->seen[0][v] == 1)
		v++;
	for (int i = v; i < KS_MAX; i++)
		if (k->seen[0][i])
			T_FAIL("victim's message %d received %d times, but "
			       "%d was not", i, k->seen[0][i], v);
	/* Its last send may have gone in just before the kill. */
	if (v != vsent && v != vsent + 1)
		T_FAIL("the victim completed %d sends, %d of its messages "
		       "arrived", vsent, v);
}

static void ks_round(int round, unsigned *seed)
{
	struct ks *k = t_shared(sizeof(*k));
	mqd_t q = pay_queue(KS_NAME, 4);
	pid_t r[KS_RCV];

	for (int i = 0; i < KS_RCV; i++)
		r[i] = t_spawn(ks_receiver, k);
	pid_t live = t_spawn(ks_live, k);
	pid_t victim = t_spawn(ks_victim, k);
	int vsent = ks_kill(k, victim, 200 + 150 * round, seed);
	wait_flag(&k->sent[1], KS_LIVE, live, "live sender");
	/* Nobody sends now: the receivers empty the queue for good. */
	for (int i = 0; curmsgs(q); i++) {
		if (i == WAIT_MS)
			T_FAIL("the receivers left %ld message(s)", curmsgs(q));
		t_msleep(1);
	}
	for (int i = 0; i < KS_RCV; i++)
		T_OK(B->send(q, "", 0, 32767));
	for (int i = 0; i < KS_RCV; i++)
		reap_pid(r[i], WAIT_MS, "receiver");
	empty(q);
	__atomic_store_n(&k->tail_go, 1, __ATOMIC_RELEASE);
	reap_pid(live, WAIT_MS, "live sender");
	ks_drain(k, q);
	ks_verify(k, vsent);
	T_OK(B->close(q));
	T_OK(B->unlink(KS_NAME));
	munmap(k, sizeof(*k));
}

/*
 * A sender killed at a random point of a stream: the other sender and the
 * receivers carry on, nothing is torn or duplicated, the victim's
 * messages are a prefix of its stream, and the counters match a drain.
 */
BOTH(kill_sender_stream)
{
	unsigned seed = 7;

	for (int round = 0; round < 3; round++)
		ks_round(round, &seed);
}

/* ---- 13. Stress ---------------------------------------------------------- */

#define ST_SND 3
#define ST_RCV 3
#define ST_N 2000
#define ST_PRIOS 4
#define ST_WAIT_MS 25000

struct stress {
	int received;
	int bad;
	char why[128];
	unsigned char seen[ST_SND][ST_N];
};

static int st_index;	/* the sender's number, set before its fork */

static void st_send(void *arg)
{
	mqd_t q = qget("/st", O_WRONLY);
	int s = st_index;
	unsigned seed = s + 1;
	struct pay p;

	(void)arg;
	for (int seq = 0; seq < ST_N; seq++) {
		unsigned prio = rand_r(&seed) % ST_PRIOS;
		size_t len = pay_make(&p, s, seq, prio);

		if (B->send(q, (char *)&p, len, prio))
			T_FAIL("sender %d, seq %d: %s", s, seq, ename(errno));
	}
}

static void st_receive(void *arg)
{
	struct stress *st = arg;
	mqd_t q = qget("/st", O_RDONLY);
	int last[ST_SND][ST_PRIOS];
	struct pay p;
	unsigned prio;

	memset(last, 0xff, sizeof(last));
	for (;;) {
		ssize_t n = B->receive(q, (char *)&p, PAY_SIZE, &prio);
		const char *why;

		if (n < 0)
			T_FAIL("receiver: %s", ename(errno));
		if (n == 0)	/* the parent's stop message */
			return;
		why = pay_check(&p, n, prio, ST_SND, ST_N);
		if (!why && p.seq <= last[p.snd][prio])
			why = "out of order for its sender and priority";
		if (why) {
			bad_msg(&st->bad, st->why, sizeof(st->why), why, &p,
				n);
		} else {
			last[p.snd][prio] = p.seq;
			__atomic_fetch_add(&st->seen[p.snd][p.seq], 1,
					   __ATOMIC_RELAXED);
		}
		__atomic_fetch_add(&st->received, 1, __ATOMIC_RELEASE);
	}
}

/*
 * 3 senders and 3 receivers on a queue of 4 messages, so that both sides
 * block often: every message arrives once, untorn, and in order for its
 * sender and priority.
 */
BOTH(stress)
{
	struct stress *st = t_shared(sizeof(*st));
	mqd_t q = pay_queue("/st", 4);
	pid_t r[ST_RCV], s[ST_SND];
	int total = ST_SND * ST_N;

	for (int i = 0; i < ST_RCV; i++)
		r[i] = t_spawn(st_receive, st);
	for (int i = 0; i < ST_SND; i++) {
		st_index = i;
		s[i] = t_spawn(st_send, NULL);
	}
	for (int ms = 0; __atomic_load_n(&st->received, __ATOMIC_ACQUIRE) <
	     total; ms += 10) {
		if (ms >= ST_WAIT_MS)
			T_FAIL("%d of %d messages received after %d ms "
			       "(mq_curmsgs %ld)", st->received, total,
			       ST_WAIT_MS, curmsgs(q));
		t_msleep(10);
	}
	for (int i = 0; i < ST_SND; i++)
		reap_pid(s[i], WAIT_MS, "sender");
	for (int i = 0; i < ST_RCV; i++)
		T_OK(B->send(q, "", 0, 0));
	for (int i = 0; i < ST_RCV; i++)
		reap_pid(r[i], WAIT_MS, "receiver");
	if (st->bad)
		T_FAIL("%d bad message(s), first: %s", st->bad, st->why);
	for (int i = 0; i < ST_SND; i++)
		for (int k = 0; k < ST_N; k++)
			if (st->seen[i][k] != 1)
				T_FAIL("message %d of sender %d received %d "
				       "times", k, i, st->seen[i][k]);
	empty(q);
	expect_status(q, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], HELPER))
		return helper_main(argc, argv);
	return t_main(argc, argv);
}
