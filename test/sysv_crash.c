/* SPDX-License-Identifier: MIT */
/*
 * sysv_crash.c - processes killed at any instant must not wedge or corrupt
 * a queue for the others (DESIGN.md §5, LOCKING L3).
 *
 *  - fault_*: a child arms umq_fault_hook to SIGKILL itself at a named point
 *    inside the queue's (or the registry's) critical section, so it dies
 *    holding the lock.  The survivors must not hang, IPC_STAT must agree
 *    with what a drain returns, the earlier messages must come out intact
 *    and in order, and the queue must keep working.
 *  - soak_*: two senders and two receivers on a small queue while a
 *    supervisor SIGKILLs them at random and restarts them; every message
 *    carries (sender, sequence, checksum), so a torn, duplicated, phantom
 *    or lost message is seen.  The only losses allowed are one per receiver
 *    killed inside its msgrcv (the message it was taking dies with it).
 *  - fault_wake_*: a seccomp filter kills a process at its FUTEX_WAKE,
 *    between posting a result to a blocked peer and waking it.
 *  - grow_then_crash_no_ghost: a rebuild after growth must not read the
 *    old index area, now chunks, as messages.
 *  - waiter_*: blocked receivers and senders killed, then sends, receives
 *    and IPC_RMID from the others.
 *
 * Every wait is bounded: an alarm names the step that hung.
 */
#include "backend.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "internal.h"
#include "qfile.h"

/* ---- bounded steps ------------------------------------------------------ */

static const char *volatile step = "setup";

#define STEP(s) (step = (s))

static void on_alarm(int sig)
{
	static const char pre[] = "#   hung (alarm) during: ";
	const char *s = step;
	size_t n = 0;

	(void)sig;
	while (s[n])
		n++;
	/* A lost stderr changes nothing: the exit status tells. */
	(void)!write(2, pre, sizeof(pre) - 1);
	(void)!write(2, s, n);
	(void)!write(2, "\n", 1);
	_exit(T_EXIT_FAIL);
}

/* Fail the case, naming the step, if it is not over within secs. */
static void bound(unsigned secs)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(secs);
}

/*
 * A helper never outlives a hung case: its alarm goes to the handler
 * bound() installed in the case, which names the step.
 */
static pid_t spawn(void (*fn)(void *), void *arg)
{
	return t_spawn_alarm(fn, arg, 20);
}

static void sleeping(pid_t pid, const char *what)
{
	if (t_wait_sleeping(pid))
		T_FAIL("%s (pid %d) should block in the call but does not",
		       what, (int)pid);
}

/* Start fn(arg) in a child and return once it sleeps in its call. */
static pid_t spawn_blocked(void (*fn)(void *), void *arg, const char *what)
{
	pid_t pid = spawn(fn, arg);

	sleeping(pid, what);
	return pid;
}

static void kill_wait(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* ---- messages that prove themselves intact ------------------------------ */

#define TXT_MAX 2048

struct tmsg {
	long mtype;
	unsigned char text[TXT_MAX];
};

/* The text of every message: this header, then len pattern bytes. */
struct body {
	uint32_t who, seq, len, sum;
	int64_t mtype;		/* as sent, so a message under another type shows */
};

#define BODY sizeof(struct body)
#define PROBE 0xffffu		/* who of the soak's probe messages */

static uint8_t pat(uint32_t who, uint32_t seq, uint32_t i)
{
	uint32_t x = who * 0x9e3779b1u ^ seq * 0x85ebca77u ^ i * 0xc2b2ae3du;

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return (uint8_t)x;
}

static uint32_t body_sum(const struct body *b, const uint8_t *d)
{
	uint32_t s = 2166136261u ^ b->who ^ b->seq << 1 ^ b->len << 2 ^
		     (uint32_t)b->mtype ^ (uint32_t)((uint64_t)b->mtype >> 32);

	for (uint32_t i = 0; i < b->len; i++)
		s = (s ^ d[i]) * 16777619u;
	return s;
}

/* The mtype a message is sent with by default: three buckets. */
static long type_of(uint32_t who, uint32_t seq)
{
	return 1 + (who + seq) % 3;
}

static size_t mk_typed(struct tmsg *m, long type, uint32_t who, uint32_t seq,
		       uint32_t len)
{
	struct body b = { who, seq, len, 0, type };
	uint8_t *d = m->text + BODY;

	m->mtype = type;
	for (uint32_t i = 0; i < len; i++)
		d[i] = pat(who, seq, i);
	b.sum = body_sum(&b, d);
	memcpy(m->text, &b, BODY);
	return BODY + len;
}

static size_t mk(struct tmsg *m, uint32_t who, uint32_t seq, uint32_t len)
{
	return mk_typed(m, type_of(who, seq), who, seq, len);
}

/* Is m, as msgrcv returned it (n bytes), a whole message?  Its header. */
static bool intact(const struct tmsg *m, ssize_t n, struct body *out)
{
	const uint8_t *d = m->text + BODY;
	struct body b;

	if (n < (ssize_t)BODY || n > TXT_MAX)
		return false;
	memcpy(&b, m->text, BODY);
	if ((size_t)n != BODY + b.len || b.sum != body_sum(&b, d) ||
	    m->mtype != b.mtype)
		return false;
	for (uint32_t i = 0; i < b.len; i++)
		if (d[i] != pat(b.who, b.seq, i))
			return false;
	*out = b;
	return true;
}

/* ---- the expected content of a queue ------------------------------------ */

#define EXP_MAX 2048

struct expect {
	int n;
	struct { uint32_t who, seq, len; long type; } m[EXP_MAX];
};

static void exp_add_typed(struct expect *e, long type, uint32_t who,
			  uint32_t seq, uint32_t len)
{
	if (e->n == EXP_MAX)
		T_FAIL("test bug: expect list full");
	e->m[e->n].who = who;
	e->m[e->n].seq = seq;
	e->m[e->n].len = len;
	e->m[e->n].type = type;
	e->n++;
}

static void exp_add(struct expect *e, uint32_t who, uint32_t seq,
		    uint32_t len)
{
	exp_add_typed(e, type_of(who, seq), who, seq, len);
}

/* Where msgrcv(msgtyp, flg) finds its message in e, or -1. */
static int exp_find(const struct expect *e, long msgtyp, int flg)
{
	int best = -1;

	for (int i = 0; i < e->n; i++) {
		long t = e->m[i].type;

		if (msgtyp == 0)
			return i;
		if (msgtyp > 0 && (flg & MSG_EXCEPT ? t != msgtyp :
						      t == msgtyp))
			return i;
		if (msgtyp < 0 && t <= -msgtyp &&
		    (best < 0 || t < e->m[best].type))
			best = i;
	}
	return best;
}

static void exp_del(struct expect *e, int i)
{
	memmove(&e->m[i], &e->m[i + 1],
		(size_t)(e->n - i - 1) * sizeof(e->m[0]));
	e->n--;
}

static int get_q(void)
{
	return (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
}

static void send_typed(int qid, long type, uint32_t who, uint32_t seq,
		       uint32_t len, struct expect *e)
{
	struct tmsg m;
	size_t sz = mk_typed(&m, type, who, seq, len);

	if (umq_msgsnd(qid, &m, sz, IPC_NOWAIT))
		T_FAIL("msgsnd(%u/%u, %zu bytes): %s", who, seq, sz,
		       strerrorname_np(errno));
	if (e)
		exp_add_typed(e, type, who, seq, len);
}

static void send_one(int qid, uint32_t who, uint32_t seq, uint32_t len,
		     struct expect *e)
{
	send_typed(qid, type_of(who, seq), who, seq, len, e);
}

/* Messages of every size class: one chunk, two, many. */
static uint32_t len_of(uint32_t seq)
{
	static const uint32_t lens[] = { 0, 5, 63, 64, 120, 300, 700, 1500 };

	return lens[seq % (sizeof(lens) / sizeof(lens[0]))];
}

static void prefill(int qid, struct expect *e, uint32_t who, int n)
{
	for (int i = 0; i < n; i++)
		send_one(qid, who, (uint32_t)i, len_of((uint32_t)i), e);
}

static void stat_q(int qid, uint64_t *qnum, uint64_t *cbytes)
{
	struct msqid_ds ds;

	T_OK(umq_msgctl(qid, IPC_STAT, &ds));
	*qnum = ds.msg_qnum;
	*cbytes = ds.__msg_cbytes;
}

static void set_qbytes(int qid, unsigned long qbytes)
{
	struct msqid_ds ds;

	T_OK(umq_msgctl(qid, IPC_STAT, &ds));
	ds.msg_qbytes = qbytes;
	T_OK(umq_msgctl(qid, IPC_SET, &ds));
}

/*
 * The queue must hold exactly e, in order, and IPC_STAT must say so:
 * drain it and compare message by message.
 */
static void check_drain(int qid, const struct expect *e, const char *when)
{
	uint64_t qnum, cbytes, bytes = 0;
	struct tmsg m;
	struct body b;
	int n = 0;

	STEP("IPC_STAT after the crash");
	stat_q(qid, &qnum, &cbytes);
	STEP("draining after the crash");
	for (;;) {
		ssize_t r = umq_msgrcv(qid, &m, TXT_MAX, 0, IPC_NOWAIT);

		if (r < 0) {
			if (errno != ENOMSG)
				T_FAIL("%s: drain msgrcv #%d: %s", when, n,
				       strerrorname_np(errno));
			break;
		}
		if (!intact(&m, r, &b))
			T_FAIL("%s: message #%d (mtype %ld, %zd bytes) is torn "
			       "or foreign", when, n, m.mtype, r);
		if (n >= e->n)
			T_FAIL("%s: unexpected message #%d: %u/%u", when, n,
			       b.who, b.seq);
		if (b.who != e->m[n].who || b.seq != e->m[n].seq)
			T_FAIL("%s: message #%d is %u/%u, expected %u/%u", when,
			       n, b.who, b.seq, e->m[n].who, e->m[n].seq);
		bytes += (uint64_t)r;
		n++;
	}
	if (n != e->n)
		T_FAIL("%s: drained %d messages, expected %d (first missing: "
		       "%u/%u)", when, n, e->n, e->m[n].who, e->m[n].seq);
	if (qnum != (uint64_t)n || cbytes != bytes)
		T_FAIL("%s: IPC_STAT said qnum %llu cbytes %llu, the drain "
		       "returned %d messages, %llu bytes", when,
		       (unsigned long long)qnum, (unsigned long long)cbytes, n,
		       (unsigned long long)bytes);
	stat_q(qid, &qnum, &cbytes);
	if (qnum || cbytes)
		T_FAIL("%s: drained queue says qnum %llu cbytes %llu", when,
		       (unsigned long long)qnum, (unsigned long long)cbytes);
}

/*
 * The queue works after a crash: every selector finds the message the
 * kernel's rules name, the counters follow, and the store takes messages
 * of every size.
 */
static void check_alive(int qid)
{
	static const struct { long typ; int flg; } sel[] = {
		{ 2, 0 }, { -1, 0 }, { 1, MSG_EXCEPT }, { -3, 0 }, { 0, 0 },
		{ 3, 0 },
	};
	struct expect e = { 0 };
	struct tmsg m;
	struct body b;

	STEP("using the queue after the crash");
	for (uint32_t i = 0; i < 16; i++)
		send_one(qid, 7, i, len_of(i), &e);
	for (size_t k = 0; k < sizeof(sel) / sizeof(sel[0]); k++) {
		int want = exp_find(&e, sel[k].typ, sel[k].flg);
		ssize_t r = umq_msgrcv(qid, &m, TXT_MAX, sel[k].typ,
				       sel[k].flg | IPC_NOWAIT);

		if (r < 0)
			T_FAIL("msgrcv(msgtyp %ld, %#o) after the crash: %s",
			       sel[k].typ, sel[k].flg, strerrorname_np(errno));
		if (!intact(&m, r, &b) || b.who != 7)
			T_FAIL("msgrcv(msgtyp %ld) after the crash returned a "
			       "torn or foreign message", sel[k].typ);
		if (want < 0 || e.m[want].seq != b.seq)
			T_FAIL("msgrcv(msgtyp %ld, %#o) after the crash returned "
			       "7/%u, expected 7/%u", sel[k].typ, sel[k].flg,
			       b.seq, want < 0 ? 0 : e.m[want].seq);
		exp_del(&e, want);
	}
	check_drain(qid, &e, "new messages after the crash");
}

/* The end of a crash case: the queue holds e, works, and is removed. */
static void check_last(int qid, const struct expect *e, const char *when)
{
	check_drain(qid, e, when);
	check_alive(qid);
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

/* ---- fault injection ---------------------------------------------------- */

static int fp_point, fp_left;

/* Die the fp_left-th time the point is reached. */
static void fp_die(int point)
{
	if (point == fp_point && --fp_left == 0)
		raise(SIGKILL);
}

/* A point of the store's path is reached with the lane shut in this
 * process: its calls take the queue lock, and their first one moves
 * whatever others put in the lane into the store. */
static void arm(int point, int nth)
{
	fp_point = point;
	fp_left = nth;
	umq_lane_off = point < FP_LANE_SEND;
	umq_fault_hook = fp_die;
}

static const char *fp_name(int p)
{
	static const char *const n[FP_MAX] = {
		[FP_SEND_PUT] = "FP_SEND_PUT", [FP_SEND_LINK] = "FP_SEND_LINK",
		[FP_RECV_COPY] = "FP_RECV_COPY", [FP_RECV_TAKE] = "FP_RECV_TAKE",
		[FP_HANDOFF] = "FP_HANDOFF", [FP_GROW] = "FP_GROW",
		[FP_CREATE] = "FP_CREATE", [FP_LANE_SEND] = "FP_LANE_SEND",
		[FP_LANE_RECV] = "FP_LANE_RECV", [FP_LANE_MOVE] = "FP_LANE_MOVE",
		[FP_LANE_SENT] = "FP_LANE_SENT",
		[FP_LANE_TAKEN] = "FP_LANE_TAKEN",
		[FP_LANE_COUNT] = "FP_LANE_COUNT",
		[FP_LANE_RESERVE] = "FP_LANE_RESERVE",
	};
	return p > 0 && p < FP_MAX && n[p] ? n[p] : "no fault point";
}

/*
 * What a child is asked to do, and how far it got.  A failed call ends
 * the job with ret -1 and its errno; the parent judges.
 */
struct job {
	int qid, point, nth;
	key_t key;
	long msgtyp;
	int fixed;		/* every message len bytes, else len_of() */
	uint32_t who, count, len;
	int done;		/* calls that succeeded */
	pid_t pid;		/* run_armed()'s child */
	long ret;
	int err;
	struct tmsg m;
};

static void expect_killed(pid_t pid, const struct job *j)
{
	int st = t_wait_child(pid, 0, 10000);

	if (st == -1)
		T_FAIL("child armed at %s still runs after 10 s",
		       fp_name(j->point));
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		T_FAIL("child armed at %s (hit %d) did not die there: status "
		       "%#x after %d calls (last %ld %s)", fp_name(j->point),
		       j->nth, st, j->done, j->ret,
		       strerrorname_np(j->err) ?: "0");
}

/* Wait for a job that must end by itself; false if it still runs. */
static bool job_ends(pid_t pid, int ms, const char *what)
{
	int st = t_wait_child(pid, 0, ms);

	if (st == -1)
		return false;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != T_EXIT_PASS)
		T_FAIL("%s: pid %d ended with status %#x", what, (int)pid, st);
	return true;
}

/* Receive job j got an intact message from who, number seq (-1: any). */
static void expect_got(const struct job *j, long who, long seq,
		       const char *what)
{
	struct body b;

	if (j->ret < 0 || !intact(&j->m, j->ret, &b) ||
	    (who >= 0 && b.who != who) || (seq >= 0 && b.seq != seq))
		T_FAIL("%s %ld %s", what, j->ret,
		       strerrorname_np(j->err) ?: "(wrong message)");
}

/*
 * Whether a job's process, to be woken by a peer that died, ends within
 * ms by itself.  If not, a third party takes the queue lock (IPC_STAT,
 * which repairs; *qnum and *cbytes are what it said) and *woke says
 * whether that woke it; the process is gone either way.
 */
static bool ends_unaided(pid_t pid, int ms, const char *what, int qid,
			 bool *woke, uint64_t *qnum, uint64_t *cbytes)
{
	if (job_ends(pid, ms, what))
		return true;
	stat_q(qid, qnum, cbytes);
	*woke = job_ends(pid, 1000, what);
	if (!*woke)
		kill_wait(pid);
	return false;
}

static void job_send(void *arg)
{
	struct job *j = arg;
	struct tmsg m;

	if (j->point)
		arm(j->point, j->nth);
	for (uint32_t i = 0; i < j->count; i++) {
		size_t sz = mk(&m, j->who, i, j->fixed ? j->len : len_of(i));

		errno = 0;
		j->ret = umq_msgsnd(j->qid, &m, sz, 0);
		j->err = errno;
		if (j->ret)
			return;
		__atomic_store_n(&j->done, (int)i + 1, __ATOMIC_RELEASE);
	}
}

static void job_recv(void *arg)
{
	struct job *j = arg;

	if (j->point)
		arm(j->point, j->nth);
	for (uint32_t i = 0; i < j->count; i++) {
		errno = 0;
		j->ret = umq_msgrcv(j->qid, &j->m, TXT_MAX, j->msgtyp, 0);
		j->err = errno;
		if (j->ret < 0)
			return;
		__atomic_store_n(&j->done, (int)i + 1, __ATOMIC_RELEASE);
	}
}

static void job_create(void *arg)
{
	struct job *j = arg;

	arm(j->point, j->nth);
	errno = 0;
	j->ret = umq_msgget(j->key, IPC_CREAT | 0600);
	j->err = errno;
}

static struct job *new_job(int qid)
{
	struct job *j = t_shared(sizeof(*j));

	j->qid = qid;
	j->count = 1;
	return j;
}

/* A job that dies at its nth pass through the fault point. */
static struct job *armed_job(int qid, int point, int nth)
{
	struct job *j = new_job(qid);

	j->point = point;
	j->nth = nth;
	return j;
}

/* A job that sends who's messages of 100 bytes: one fills a full_q(). */
static struct job *sender_job(int qid, uint32_t who)
{
	struct job *j = new_job(qid);

	j->who = who;
	j->fixed = 1;
	j->len = 100;
	return j;
}

/* A queue full with one message 0/0 of 100 bytes (type 1). */
static int full_q(void)
{
	int qid = get_q();

	set_qbytes(qid, BODY + 100);
	send_one(qid, 0, 0, 100, NULL);
	return qid;
}

/* A sender 1 blocked on a new full_q(); returns its pid. */
static pid_t blocked_sender(int *qid, struct job **s)
{
	*qid = full_q();
	*s = sender_job(*qid, 1);
	return spawn_blocked(job_send, *s, "a sender on a full queue");
}

/* The full_q() holds e; it gets its default size back and must work. */
static void check_full_q(int qid, const struct expect *e, const char *when)
{
	check_drain(qid, e, when);
	set_qbytes(qid, 16384);
	check_alive(qid);
}

static uint32_t gate_of(int qid)
{
	struct qfile *f = ctl_of(qid);
	uint32_t g = __atomic_load_n(&f->lane.gate, __ATOMIC_ACQUIRE);

	munmap(f, sizeof(*f));
	return g;
}

static void expect_gate(int qid, uint32_t want, const char *when)
{
	uint32_t g = gate_of(qid);

	if (g != want)
		T_FAIL("%s: the lane's gate is %#x, expected %#x", when, g,
		       want);
}

/*
 * The armed job of a new queue prefilled with n messages of sender 0 (in
 * e), run until it dies at its nth pass through point after nth - 1
 * calls that completed: a sender's (who 1) are added to e, a receiver's
 * (msgtyp) taken out of it.
 */
static struct job *run_armed(int point, int nth, bool send, long msgtyp,
			     int n, struct expect *e)
{
	struct job *j;

	bound(30);
	j = armed_job(get_q(), point, nth);
	prefill(j->qid, e, 0, n);
	if (point >= FP_LANE_SEND)
		expect_gate(j->qid, LANE_OPEN, "after the prefill");
	j->who = 1;
	j->msgtyp = msgtyp;
	j->count = (uint32_t)nth + 5;
	STEP(send ? "the armed sender" : "the armed receiver");
	j->pid = spawn(send ? job_send : job_recv, j);
	expect_killed(j->pid, j);
	if (j->done != nth - 1)
		T_FAIL("the %s completed %d calls before dying, expected %d",
		       send ? "sender" : "receiver", j->done, nth - 1);
	for (uint32_t i = 0; i < (uint32_t)nth - 1; i++) {
		if (send)
			exp_add(e, 1, i, len_of(i));
		else
			exp_del(e, exp_find(e, msgtyp, 0));
	}
	return j;
}

/*
 * A caller that died right after its commit left its stamps (L14): the
 * message it counted, or took, carries its pid.  Looked at before any
 * other call of ours changes them.
 */
static void expect_stamp(const struct job *j, bool send, const char *point)
{
	struct msqid_ds ds;
	pid_t got;

	T_OK(umq_msgctl(j->qid, IPC_STAT, &ds));
	got = send ? ds.msg_lspid : ds.msg_lrpid;
	if (got != j->pid || !(send ? ds.msg_stime : ds.msg_rtime))
		T_FAIL("%s: %s is %d, expected the dead %s's %d", point,
		       send ? "msg_lspid" : "msg_lrpid", (int)got,
		       send ? "sender" : "receiver", (int)j->pid);
}

/*
 * A sender dies at FP_SEND_PUT (message written, not linked: it was never
 * sent) or FP_SEND_LINK (linked, counters stale: it was sent, the commit
 * being the chunk's state word, DESIGN.md §5).  Its nth send is the one
 * cut short; the earlier ones are in the queue.
 */
static void fault_send(int point, int nth)
{
	struct expect *e = t_shared(sizeof(*e));
	struct job *j = run_armed(point, nth, true, 0, 16, e);

	if (point == FP_SEND_LINK) {	/* committed before it died */
		expect_stamp(j, true, "FP_SEND_LINK");
		exp_add(e, 1, (uint32_t)nth - 1, len_of((uint32_t)nth - 1));
	}
	check_last(j->qid, e, fp_name(point));
}

T_CASE(fault_send_put) { fault_send(FP_SEND_PUT, 1); }
T_CASE(fault_send_put_7th) { fault_send(FP_SEND_PUT, 7); }
T_CASE(fault_send_link) { fault_send(FP_SEND_LINK, 1); }
T_CASE(fault_send_link_7th) { fault_send(FP_SEND_LINK, 7); }

/*
 * A receiver dies at FP_RECV_COPY (copied out, not taken: the message
 * stays) or FP_RECV_TAKE (taken: it is lost with its receiver, as on the
 * kernel).  msgtyp 0 takes the queue's head, 2 a bucket's head from the
 * middle, -2 the lowest type's.
 */
static void fault_recv(int point, long msgtyp, int nth)
{
	struct expect *e = t_shared(sizeof(*e));
	struct job *j = run_armed(point, nth, false, msgtyp, 24, e);

	if (point == FP_RECV_TAKE) {
		expect_stamp(j, false, "FP_RECV_TAKE");
		exp_del(e, exp_find(e, msgtyp, 0));
	}
	check_last(j->qid, e, fp_name(point));
}

T_CASE(fault_recv_copy) { fault_recv(FP_RECV_COPY, 0, 1); }
T_CASE(fault_recv_copy_typed) { fault_recv(FP_RECV_COPY, 2, 1); }
T_CASE(fault_recv_take) { fault_recv(FP_RECV_TAKE, 0, 1); }
T_CASE(fault_recv_take_typed) { fault_recv(FP_RECV_TAKE, 2, 3); }
T_CASE(fault_recv_take_lowest) { fault_recv(FP_RECV_TAKE, -2, 4); }

/* ---- the lane (lane.c, L14) ---------------------------------------------- */

/* A receive takes e's head, intact, or the case fails (what: which). */
static void recv_head(int qid, struct expect *e, const char *what)
{
	struct body b = { 0 };
	struct tmsg m;
	ssize_t r = umq_msgrcv(qid, &m, TXT_MAX, 0, IPC_NOWAIT);

	if (r < 0 || !intact(&m, r, &b) || b.who != e->m[0].who ||
	    b.seq != e->m[0].seq)
		T_FAIL("%s got %zd %s (%u/%u), expected %u/%u", what, r,
		       r < 0 ? strerrorname_np(errno) : "", b.who, b.seq,
		       e->m[0].who, e->m[0].seq);
	exp_del(e, 0);
}

/*
 * A sender dies in the lane with its record written, not counted: it was
 * never sent.  The senders' lock it held is "owner died": the next lane
 * sender takes it and goes on, its message after the others.
 */
static void fault_lane_send(int nth)
{
	struct expect *e = t_shared(sizeof(*e));
	struct job *j = run_armed(FP_LANE_SEND, nth, true, 0, 16, e);

	STEP("a lane send after the death");
	expect_gate(j->qid, LANE_OPEN, "after the death");
	send_one(j->qid, 2, 0, 300, e);
	expect_gate(j->qid, LANE_OPEN, "after the next send");
	check_last(j->qid, e, "FP_LANE_SEND");
}

T_CASE(fault_lane_send) { fault_lane_send(1); }
T_CASE(fault_lane_send_9th) { fault_lane_send(9); }

/*
 * A receiver dies in the lane with the message copied out, not counted:
 * it stays, the head for the next receiver, who takes the dead one's
 * lock.
 */
static void fault_lane_recv(int nth)
{
	struct expect *e = t_shared(sizeof(*e));
	struct job *j = run_armed(FP_LANE_RECV, nth, false, 0, 24, e);

	STEP("a lane receive after the death");
	expect_gate(j->qid, LANE_OPEN, "after the death");
	recv_head(j->qid, e, "the receive after the death");
	expect_gate(j->qid, LANE_OPEN, "after the next receive");
	check_last(j->qid, e, "FP_LANE_RECV");
}

T_CASE(fault_lane_recv) { fault_lane_recv(1); }
T_CASE(fault_lane_recv_7th) { fault_lane_recv(7); }

/*
 * A lane sender dies right after its commit (it was sent: the message is
 * there, after the others, with its stamps), or a lane receiver right
 * after its own (taken: lost with it, as on the kernel, and stamped).
 */
static void fault_lane_done(bool send, int nth)
{
	struct expect *e = t_shared(sizeof(*e));
	int point = send ? FP_LANE_SENT : FP_LANE_TAKEN;
	struct job *j = run_armed(point, nth, send, 0, 16, e);

	expect_gate(j->qid, LANE_OPEN, "after the death");
	expect_stamp(j, send, fp_name(point));	/* closes the gate */
	if (send)
		exp_add(e, 1, (uint32_t)nth - 1, len_of((uint32_t)nth - 1));
	else
		exp_del(e, exp_find(e, 0, 0));
	check_last(j->qid, e, fp_name(point));
}

T_CASE(fault_lane_sent) { fault_lane_done(true, 1); }
T_CASE(fault_lane_sent_5th) { fault_lane_done(true, 5); }
T_CASE(fault_lane_taken) { fault_lane_done(false, 1); }
T_CASE(fault_lane_taken_5th) { fault_lane_done(false, 5); }

/*
 * A lane sender dies between its record's commit and its count (L14): it
 * was sent.  Either the next lock counts it (IPC_STAT closes the gate,
 * and the senders' lock it takes is "owner died"), or lane receives take
 * it first, which runs taken one record ahead of put, and the next lane
 * send counts it before its own.
 */
static void fault_lane_count(int nth, bool take_first)
{
	struct expect *e = t_shared(sizeof(*e));
	struct job *j = run_armed(FP_LANE_COUNT, nth, true, 0, 16, e);

	expect_gate(j->qid, LANE_OPEN, "after the death");
	exp_add(e, 1, (uint32_t)nth - 1, len_of((uint32_t)nth - 1));
	if (!take_first) {
		expect_stamp(j, true, "FP_LANE_COUNT");	/* closes the gate */
	} else {
		STEP("lane receives of every message, the dead one's too");
		while (e->n)
			recv_head(j->qid, e, "a lane receive");
		expect_gate(j->qid, LANE_OPEN, "after the receives");
		STEP("a lane send after them");
		send_one(j->qid, 2, 0, 300, e);
		expect_gate(j->qid, LANE_OPEN, "after the next send");
	}
	check_last(j->qid, e, "FP_LANE_COUNT");
}

T_CASE(fault_lane_count) { fault_lane_count(1, false); }
T_CASE(fault_lane_count_4th) { fault_lane_count(4, false); }
T_CASE(fault_lane_count_taken) { fault_lane_count(1, true); }
T_CASE(fault_lane_count_taken_6th) { fault_lane_count(6, true); }

static void job_stat(void *arg)
{
	struct job *j = arg;
	struct msqid_ds ds;

	arm(j->point, j->nth);
	errno = 0;
	j->ret = umq_msgctl(j->qid, IPC_STAT, &ds);
	j->err = errno;
}

/*
 * A caller of the queue lock (IPC_STAT here) dies while it moves the
 * lane's messages into the store, with the queue's lock and both side
 * locks held: the next taker repairs the store, skips the messages
 * already moved (their marks) and moves the rest.  Each message is
 * there once, in order, and the counters agree.
 */
static void fault_lane_close(int point, int nth, bool typed_next)
{
	struct expect *e = t_shared(sizeof(*e));
	struct job *j;

	bound(30);
	j = armed_job(get_q(), point, nth);
	prefill(j->qid, e, 0, 24);
	expect_gate(j->qid, LANE_OPEN, "after the prefill");
	STEP("the armed closer");
	expect_killed(spawn(job_stat, j), j);
	expect_gate(j->qid, LANE_CLOSING, "after the closer died");
	if (typed_next) {
		/* A typed receive is the next to take the lock. */
		struct tmsg m;
		struct body b = { 0 };
		int want = exp_find(e, 2, 0);
		ssize_t r = umq_msgrcv(j->qid, &m, TXT_MAX, 2, IPC_NOWAIT);

		if (want < 0 || r < 0 || !intact(&m, r, &b) ||
		    b.seq != e->m[want].seq)
			T_FAIL("msgrcv(2) after the closer died: %zd", r);
		exp_del(e, want);
	} else {
		uint64_t qnum, cbytes;

		stat_q(j->qid, &qnum, &cbytes);
		if (qnum != (uint64_t)e->n)
			T_FAIL("IPC_STAT after the closer died: qnum %llu, "
			       "expected %d", (unsigned long long)qnum, e->n);
	}
	expect_gate(j->qid, LANE_CLOSED, "after the next lock");
	check_last(j->qid, e, fp_name(point));
}

T_CASE(fault_lane_move_first) { fault_lane_close(FP_LANE_MOVE, 1, false); }
T_CASE(fault_lane_move_10th) { fault_lane_close(FP_LANE_MOVE, 10, false); }
T_CASE(fault_lane_move_last_typed)
{
	fault_lane_close(FP_LANE_MOVE, 24, true);
}

/* A closer that dies reserving (none linked): its blocks are freed by
 * the repair its death brings, and its successor moves them all. */
T_CASE(fault_lane_reserve_first)
{
	fault_lane_close(FP_LANE_RESERVE, 1, false);
}
T_CASE(fault_lane_reserve_last_typed)
{
	fault_lane_close(FP_LANE_RESERVE, 24, true);
}

/*
 * Kill this process at its first FUTEX_WAKE.  A caller that completes a
 * blocked peer's operation posts the result into the peer's record, then
 * wakes it (LOCKING L6); with no contention the wake is its first futex
 * call, so this kills it between the two - an instant no fault point
 * names.  Whether the wake is issued under the queue lock or after it,
 * the peer must not be left asleep: nobody else may ever touch the queue.
 */
static void die_at_futex_wake(void)
{
#if defined(__x86_64__)
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_futex, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[1])),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, FUTEX_CMD_MASK),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FUTEX_WAKE, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		_exit(T_EXIT_SKIP);
#else
	_exit(T_EXIT_SKIP);
#endif
}

static void job_send_wake_dies(void *arg)
{
	die_at_futex_wake();
	job_send(arg);
}

static void job_recv_wake_dies(void *arg)
{
	die_at_futex_wake();
	job_recv(arg);
}

static void expect_died_at_wake(pid_t pid, const char *what)
{
	int st = t_wait_child(pid, 0, 10000);

	if (st == -1)
		T_FAIL("%s: still runs after 10 s", what);
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_SKIP)
		t_skip("no seccomp filter here");
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
		T_FAIL("%s did not die at its FUTEX_WAKE: status %#x", what, st);
}

/*
 * A sender hands its message to a blocked receiver, posts it, and dies
 * before the wake-up.  The hand-off is done (the message is the
 * receiver's), so the receiver must return it, not sleep on.
 */
T_CASE(fault_wake_lost_handoff)
{
	uint64_t qnum, cbytes;
	struct job *r;
	bool woke;
	pid_t rp;
	int qid;

	bound(30);
	qid = get_q();
	r = new_job(qid);
	rp = spawn_blocked(job_recv, r, "a receiver");
	STEP("a sender that dies before waking the receiver");
	expect_died_at_wake(spawn(job_send_wake_dies, sender_job(qid, 1)),
			    "the sender");
	if (!ends_unaided(rp, 3000, "the receiver", qid, &woke, &qnum,
			  &cbytes))
		T_FAIL("a receiver handed a message by a sender that died at "
		       "its FUTEX_WAKE still slept 3 s later, %s", woke ?
		       "until another process took the queue lock (IPC_STAT): "
		       "it depends on a third party to be woken" :
		       "and even after another process took the queue lock");
	expect_got(r, 1, -1, "the receiver returned");
	check_alive(qid);
}

/*
 * A receiver makes room on a full queue, posts the blocked sender and
 * dies before the wake-up.  The sender must not sleep on while its
 * message fits.
 */
T_CASE(fault_wake_lost_sender)
{
	struct expect *e = t_shared(sizeof(*e));
	uint64_t qnum, cbytes;
	struct job *s;
	bool woke;
	pid_t sp;
	int qid;

	bound(30);
	sp = blocked_sender(&qid, &s);
	STEP("a receiver that dies before waking the sender");
	expect_died_at_wake(spawn(job_recv_wake_dies, new_job(qid)),
			    "the receiver");
	if (!ends_unaided(sp, 3000, "the sender", qid, &woke, &qnum, &cbytes))
		T_FAIL("a sender posted by a receiver that died at its "
		       "FUTEX_WAKE still slept 3 s later with room in the queue "
		       "(qnum %llu cbytes %llu, qbytes %zu), %s",
		       (unsigned long long)qnum, (unsigned long long)cbytes,
		       BODY + 100, woke ? "until another process took the "
		       "queue lock (IPC_STAT): it depends on a third party to "
		       "be woken" : "and even after another process took the "
		       "queue lock");
	T_EQ(s->ret, 0);
	exp_add(e, 1, 0, 100);	/* 0/0 died with its receiver */
	check_full_q(qid, e, "after a lost wake-up");
}

/*
 * A sender dies at FP_HANDOFF: it has chosen a blocked receiver (taken off
 * the wait list) and marked the message in flight for it, but not posted
 * it.  The sender died inside msgsnd, so its message may be lost; the
 * receiver, a bystander, must not be: the next message of its type must
 * still reach it, and the queued messages of other types are untouched.
 */
T_CASE(fault_handoff)
{
	struct expect *e = t_shared(sizeof(*e));
	bool stranded = false;
	struct job *s, *r;
	struct body b;
	pid_t rp;
	int qid;

	bound(30);
	qid = get_q();
	s = armed_job(qid, FP_HANDOFF, 1);
	r = new_job(qid);
	/* Types 1 and 3 only: the receiver waits for type 2. */
	for (uint32_t i = 0; e->n < 10; i++)
		if (type_of(0, i) != 2)
			send_one(qid, 0, i, len_of(i), e);
	r->msgtyp = 2;
	rp = spawn_blocked(job_recv, r, "msgrcv(msgtyp 2)");
	s->who = 1;		/* 1/0 has type 2 */
	s->fixed = 1;
	s->len = 200;
	STEP("the sender armed at FP_HANDOFF");
	expect_killed(spawn(job_send, s), s);

	STEP("a new type-2 message after the FP_HANDOFF crash");
	send_one(qid, 1, 3, 40, NULL);		/* 1/3 has type 2 */
	if (!job_ends(rp, 3000, "the blocked receiver")) {
		/* Look at the queue anyway, then report. */
		stranded = true;
		kill_wait(rp);
		exp_add(e, 1, 3, 40);
	} else if (r->ret < 0) {
		T_FAIL("the blocked receiver failed: %s",
		       strerrorname_np(r->err));
	} else if (!intact(&r->m, r->ret, &b)) {
		T_FAIL("the receiver got a torn message (%ld bytes)", r->ret);
	} else if (b.who == 1 && b.seq == 0) {
		exp_add(e, 1, 3, 40);	/* the new one stays queued */
	} else if (b.who != 1 || b.seq != 3) {
		T_FAIL("the receiver got %u/%u, expected 1/0 or 1/3", b.who,
		       b.seq);
	}
	check_drain(qid, e, "FP_HANDOFF");
	if (stranded)
		T_FAIL("the receiver blocked in msgrcv(msgtyp 2) when the "
		       "sender died at FP_HANDOFF was never served: a later "
		       "type-2 message stayed queued for 3 s while it slept");
	check_alive(qid);
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

/*
 * A receiver dies at FP_RECV_TAKE on a full queue with a sender blocked:
 * it took the message (room is made) but never woke the sender.  The
 * sender must not sleep on while its message fits.
 */
T_CASE(fault_recv_take_blocked_sender)
{
	struct expect *e = t_shared(sizeof(*e));
	uint64_t qnum, cbytes;
	struct job *s, *r;
	bool woke;
	pid_t sp;
	int qid;

	bound(30);
	sp = blocked_sender(&qid, &s);
	r = armed_job(qid, FP_RECV_TAKE, 1);
	STEP("a receiver armed at FP_RECV_TAKE");
	expect_killed(spawn(job_recv, r), r);
	if (!ends_unaided(sp, 2000, "the sender", qid, &woke, &qnum, &cbytes))
		T_FAIL("a sender blocked on a full queue slept on after a "
		       "receiver died at FP_RECV_TAKE having made room, %s "
		       "(qnum %llu cbytes %llu, qbytes %zu)", woke ?
		       "until another process took the queue lock (IPC_STAT)" :
		       "and even after another process took the queue lock "
		       "and repaired it",
		       (unsigned long long)qnum, (unsigned long long)cbytes,
		       BODY + 100);
	T_EQ(s->ret, 0);
	exp_add(e, 1, 0, 100);
	check_full_q(qid, e, "FP_RECV_TAKE with a blocked sender");
}

/*
 * Zero-length messages named by their mtype (1, 2, ...): each takes one
 * chunk and one unit of qbytes' message count, so 16384 of them fit in a
 * default queue and the store grows at 448, 896, 1792 messages.  Each has
 * a bucket of its own, so growth moves many bucket entries.
 */
static void job_send_empty(void *arg)
{
	struct job *j = arg;
	long m;

	arm(j->point, j->nth);
	for (uint32_t i = 0; i < j->count; i++) {
		m = (long)i + 1;
		errno = 0;
		j->ret = umq_msgsnd(j->qid, &m, 0, IPC_NOWAIT);
		j->err = errno;
		if (j->ret)
			return;
		__atomic_store_n(&j->done, (int)i + 1, __ATOMIC_RELEASE);
	}
}

/* The queue holds exactly the empty messages first..last, in order. */
static void check_empty(int qid, long first, long last, const char *when)
{
	uint64_t qnum, cbytes;
	long m, n = 0;

	STEP("IPC_STAT of a queue of empty messages");
	stat_q(qid, &qnum, &cbytes);
	if (qnum != (uint64_t)(last - first + 1) || cbytes)
		T_FAIL("%s: IPC_STAT says qnum %llu cbytes %llu, expected "
		       "%ld, 0", when, (unsigned long long)qnum,
		       (unsigned long long)cbytes, last - first + 1);
	STEP("draining a queue of empty messages");
	for (;;) {
		ssize_t r = umq_msgrcv(qid, &m, 0, 0, IPC_NOWAIT);

		if (r < 0) {
			if (errno != ENOMSG)
				T_FAIL("%s: drain: %s", when,
				       strerrorname_np(errno));
			break;
		}
		if (r != 0 || m != first + n)
			T_FAIL("%s: message #%ld has mtype %ld, %zd bytes; "
			       "expected mtype %ld, empty", when, n, m, r,
			       first + n);
		n++;
	}
	if (n != last - first + 1)
		T_FAIL("%s: drained %ld messages, expected %ld", when, n,
		       last - first + 1);
}

/*
 * The store grows and the grower dies with the file extended and the new
 * indexes not yet built, before the commit (nchunks).  The message being
 * sent was never written; all earlier ones must come out in order, and
 * the store must grow again later.
 */
static void fault_grow(int nth)
{
	struct job *j;
	long m;

	bound(40);
	j = armed_job(get_q(), FP_GROW, nth);
	j->count = 4000;
	STEP("the armed sender filling the store");
	expect_killed(spawn(job_send_empty, j), j);
	if (j->done < 400)
		T_FAIL("the store grew after %d messages only", j->done);
	t_note("died at growth %d after %d messages", nth, j->done);
	check_empty(j->qid, 1, j->done, "FP_GROW");

	/* Again, without a crash: the store grows past where it died. */
	STEP("growing the store after the FP_GROW crash");
	for (long i = 1; i <= 2 * j->done + 100; i++) {
		m = i;
		if (umq_msgsnd(j->qid, &m, 0, IPC_NOWAIT))
			T_FAIL("empty message %ld after FP_GROW: %s", i,
			       strerrorname_np(errno));
	}
	check_empty(j->qid, 1, 2 * j->done + 100, "growth after FP_GROW");
	check_alive(j->qid);
	T_OK(umq_msgctl(j->qid, IPC_RMID, NULL));
}

T_CASE(fault_grow_first) { fault_grow(1); }
T_CASE(fault_grow_second) { fault_grow(2); }
T_CASE(fault_grow_third) { fault_grow(3); }

/*
 * A rebuild after growth.  Growth leaves the old index area in what are
 * now chunks of the new layout, above the allocation mark; a rebuild must
 * not take any of those bytes for a message.  A bucket entry holds its key
 * (the mtype) where a chunk holds its state word, so mtypes whose low half
 * is CH_QUEUED try to make one look like a queued message.  The slot of a
 * bucket depends on the hash, so many keys and rounds are tried.
 */
T_CASE(grow_then_crash_no_ghost)
{
	struct expect *e = t_shared(sizeof(*e));
	int ghosts = 0;

	bound(50);
	for (uint32_t k = 0; k < 24; k++) {
		struct job *j;
		int qid = get_q();

		e->n = 0;
		/* The oldest message's bucket is the seq heap's root. */
		send_typed(qid, (long)CH_QUEUED + ((long)(k + 1) << 32), 3, 0,
			   0, e);
		for (uint32_t i = 1; i < 460; i++)
			send_typed(qid, 1, 3, i, 0, e);
		j = armed_job(qid, FP_SEND_PUT, 1);
		j->who = 4;
		STEP("crash after growth");
		expect_killed(spawn(job_send, j), j);
		/* check_drain fails at the first ghost: count them first. */
		uint64_t qnum, cbytes;
		stat_q(qid, &qnum, &cbytes);
		if (qnum != (uint64_t)e->n) {
			t_note("round %u (mtype %#lx): qnum %llu after the "
			       "rebuild, %d messages were sent", k,
			       (long)CH_QUEUED + ((long)(k + 1) << 32),
			       (unsigned long long)qnum, e->n);
			ghosts++;
		}
		check_drain(qid, e, "rebuild after growth");
		T_OK(umq_msgctl(qid, IPC_RMID, NULL));
	}
	T_EQ(ghosts, 0);
}

/* ---- creation cut short ------------------------------------------------ */

/* A queue's data file in the registry: sysv/m.<gen> (not the FIFO
 * m.<gen>.p). */
static bool is_store(const char *name)
{
	return !strncmp(name, "m.", 2) && !strchr(name + 2, '.');
}

static int queues_in_use(void)
{
	struct msginfo mi;

	T_OK(umq_msgctl(0, MSG_INFO, (struct msqid_ds *)&mi));
	return mi.msgpool;
}

/*
 * msgget(IPC_CREAT) dies at FP_CREATE: the queue's files made (q.<gen>
 * CREATING, m.<gen>), no index or key entry yet.  The key is not found,
 * MSG_INFO counts only real queues, and the key can be created.  The files
 * of the creation cut short stay until a creation sweeps (one in about
 * 64 + the queues in use, drawn at random: here, creations are made until
 * one does), which collects them since their maker's lock is gone.
 */
static void fault_create(key_t key)
{
	struct expect *e = t_shared(sizeof(*e));
	struct job *j = armed_job(-1, FP_CREATE, 1);
	int a, b, c;

	bound(30);
	a = (int)T_OK(umq_msgget(0x1001, IPC_CREAT | 0600));
	b = (int)T_OK(umq_msgget(0x1002, IPC_CREAT | 0600));
	prefill(a, e, 0, 6);
	j->key = key;
	STEP("msgget armed at FP_CREATE");
	expect_killed(spawn(job_create, j), j);

	STEP("the registry after the FP_CREATE crash");
	if (key != IPC_PRIVATE)
		T_ERR(umq_msgget(key, 0), ENOENT);
	T_EQ(queues_in_use(), 2);
	T_EQ(t_umq_files("sysv", is_store), 3);
	T_EQ(umq_msgget(0x1001, 0), a);
	t_msleep(1100);		/* a process sweeps once a second at most */
	for (int i = 0; t_umq_files("sysv", is_store) != 2; i++) {
		int t;
		if (i == 100000)
			T_FAIL("no creation swept in %d", i);
		t = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
		T_OK(umq_msgctl(t, IPC_RMID, NULL));
	}
	T_EQ(queues_in_use(), 2);
	c = (int)T_OK(umq_msgget(key, IPC_CREAT | IPC_EXCL | 0600));
	if (c == a || c == b)
		T_FAIL("the new queue got the id %d of a live queue", c);
	T_EQ(queues_in_use(), 3);
	T_EQ(t_umq_files("sysv", is_store), 3);
	check_alive(c);
	check_drain(a, e, "a queue that existed before FP_CREATE");
	T_OK(umq_msgctl(a, IPC_RMID, NULL));
	T_OK(umq_msgctl(b, IPC_RMID, NULL));
	T_OK(umq_msgctl(c, IPC_RMID, NULL));
	T_EQ(queues_in_use(), 0);
	T_EQ(t_umq_files("sysv", is_store), 0);
	if (key != IPC_PRIVATE)
		T_ERR(umq_msgget(key, 0), ENOENT);
}

T_CASE(fault_create_key) { fault_create(0x1003); }
T_CASE(fault_create_private) { fault_create(IPC_PRIVATE); }

/* ---- waiters that die --------------------------------------------------- */

/*
 * A blocked receiver is killed.  A message sent afterwards goes to the
 * live receiver behind it, or, if none, stays queued for the next caller:
 * never to the dead one.
 */
T_CASE(waiter_recv_killed)
{
	struct job *r1, *r2, *r3, *r4;
	uint64_t qnum, cbytes;
	int qid;
	pid_t p1, p2, p3, p4;

	bound(30);
	qid = get_q();
	r1 = new_job(qid);
	r2 = new_job(qid);
	p1 = spawn_blocked(job_recv, r1, "receiver 1");
	p2 = spawn_blocked(job_recv, r2, "receiver 2");
	kill_wait(p1);
	STEP("sending past a dead receiver");
	send_one(qid, 1, 0, 100, NULL);
	if (!job_ends(p2, 3000, "receiver 2"))
		T_FAIL("the live receiver behind a killed one was not served");
	expect_got(r2, 1, 0, "receiver 2:");
	stat_q(qid, &qnum, &cbytes);
	T_EQ(qnum, 0);

	/* No live receiver: the message waits for the next one. */
	r3 = new_job(qid);
	p3 = spawn_blocked(job_recv, r3, "receiver 3");
	kill_wait(p3);
	send_one(qid, 1, 1, 1000, NULL);
	stat_q(qid, &qnum, &cbytes);
	if (qnum != 1 || cbytes != BODY + 1000)
		T_FAIL("after a send past a dead receiver, qnum %llu cbytes "
		       "%llu, expected 1, %zu", (unsigned long long)qnum,
		       (unsigned long long)cbytes, BODY + 1000);
	r4 = new_job(qid);
	p4 = spawn(job_recv, r4);
	if (!job_ends(p4, 3000, "receiver 4"))
		T_FAIL("a queued message was not received");
	expect_got(r4, -1, 1, "receiver 4:");
	check_alive(qid);
}

/*
 * A sender blocked on a full queue is killed: its message was never put;
 * the live sender behind it is woken when room is made.
 */
T_CASE(waiter_send_killed)
{
	struct expect *e = t_shared(sizeof(*e));
	struct job *s1, *s2;
	struct tmsg m;
	pid_t p1, p2;
	int qid;

	bound(30);
	qid = full_q();
	s1 = sender_job(qid, 1);
	s2 = sender_job(qid, 2);
	p1 = spawn_blocked(job_send, s1, "sender 1 on a full queue");
	p2 = spawn_blocked(job_send, s2, "sender 2 on a full queue");
	kill_wait(p1);
	STEP("making room past a dead sender");
	T_EQ(umq_msgrcv(qid, &m, TXT_MAX, 0, IPC_NOWAIT), BODY + 100);
	if (!job_ends(p2, 3000, "sender 2"))
		T_FAIL("the live sender behind a killed one was not woken");
	T_EQ(s2->ret, 0);
	exp_add(e, 2, 0, 100);
	check_full_q(qid, e, "after a blocked sender was killed");
}

/*
 * Receivers and senders blocked, some killed, new ones blocked after the
 * kills, then IPC_RMID: every live one gets EIDRM, none hangs; then a
 * new queue serves new waiters.
 */
T_CASE(waiter_killed_then_rmid)
{
	struct job *j[6];
	pid_t p[6];
	int qid;

	bound(40);
	qid = full_q();		/* its message has type 1: no type 2 */
	for (int i = 0; i < 6; i++) {
		j[i] = sender_job(qid, 10 + (uint32_t)i);
		j[i]->msgtyp = 2;
	}
	/* 0, 1: receivers; 2, 3: senders; 4, 5: new ones after kills. */
	for (int i = 0; i < 4; i++)
		p[i] = spawn_blocked(i < 2 ? job_recv : job_send, j[i],
				     i < 2 ? "a receiver" : "a sender");
	kill_wait(p[0]);
	kill_wait(p[2]);
	p[4] = spawn_blocked(job_recv, j[4], "a receiver after the kills");
	p[5] = spawn_blocked(job_send, j[5], "a sender after the kills");
	STEP("IPC_RMID with dead waiters");
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
	for (int i = 1; i < 6; i++) {
		if (i == 2)
			continue;
		if (!job_ends(p[i], 3000, "a waiter"))
			T_FAIL("waiter %d still blocked 3 s after IPC_RMID", i);
		if (j[i]->ret != -1 || j[i]->err != EIDRM)
			T_FAIL("waiter %d returned %ld %s, expected EIDRM", i,
			       j[i]->ret, strerrorname_np(j[i]->err) ?: "0");
	}
	T_EQ(queues_in_use(), 0);

	STEP("a new queue with new waiters");
	qid = get_q();
	j[0] = new_job(qid);
	p[0] = spawn_blocked(job_recv, j[0], "a receiver on the new queue");
	send_one(qid, 5, 5, 10, NULL);
	if (!job_ends(p[0], 3000, "the new receiver"))
		T_FAIL("a receiver on a new queue was not served");
	T_EQ(j[0]->ret, BODY + 10);
	check_alive(qid);
}

/* ---- random kills under load ------------------------------------------- */

#define BE_UMQ (&sysv_backends[1])
#define BE_KERNEL (&sysv_backends[0])	/* a control: same invariants */

#define SK_SEND 2
#define SK_RECV 2
#define SK_W (SK_SEND + SK_RECV)
#define SK_SEQS (1u << 22)	/* more than 3 s of sending */
#define SK_QBYTES 2048		/* about 8 messages: both sides block */
#define SK_LEN 400
#define SK_CHAOS_MS 3000
#define SK_KILLS 30
#define SK_RESTARTS 400

/*
 * The soak's shared state.  A sender claims a sequence number (next[])
 * before its msgsnd and marks it sent once msgsnd returned 0; a restarted
 * sender goes on after the claimed one, whose fate is unknown.  A receiver
 * raises in_rcv[] before msgrcv and lowers it after recording what it
 * got, so a receiver killed with in_rcv[] up may have taken one message
 * to its grave; no other loss is allowed.
 */
struct soak {
	const struct sysv_backend *be;
	int qid;
	int hooks;		/* workers also die at random fault points */
	int hook_on;
	int stop_send, stop_recv;
	uint32_t next[SK_SEND];
	int in_rcv[SK_RECV], parked[SK_RECV];
	int died_at[SK_W];	/* fault point a worker killed itself at */
	uint32_t probes, torn, dup, phantom, bad;
	char why[256];
	uint8_t sent[SK_SEND][SK_SEQS];
	uint8_t got[SK_SEND][SK_SEQS];
};

static struct soak *S;
static unsigned hook_seed;
static int sk_me;		/* the worker this process is */

static void sk_problem(uint32_t *counter, const char *fmt, ...)
{
	char none = 0;
	va_list ap;

	__atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST);
	/* The first problem's description wins. */
	if (!__atomic_compare_exchange_n(&S->why[0], &none, '?', false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return;
	va_start(ap, fmt);
	vsnprintf(S->why, sizeof(S->why), fmt, ap);
	va_end(ap);
}

/* What a receiver, or the final drain (r < 0), got. */
static void sk_account(const struct tmsg *m, ssize_t n, int r)
{
	struct body b;

	if (!intact(m, n, &b)) {
		sk_problem(&S->torn, "torn message: mtype %ld, %zd bytes, "
			   "who %u seq %u", m->mtype, n,
			   ((const struct body *)m->text)->who,
			   ((const struct body *)m->text)->seq);
		return;
	}
	if (b.who == PROBE) {
		if (r >= 0)
			__atomic_store_n(&S->parked[r], 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&S->probes, 1, __ATOMIC_SEQ_CST);
		return;
	}
	if (b.who >= SK_SEND ||
	    b.seq >= __atomic_load_n(&S->next[b.who], __ATOMIC_SEQ_CST)) {
		sk_problem(&S->phantom, "phantom message %u/%u", b.who, b.seq);
		return;
	}
	if (__atomic_fetch_add(&S->got[b.who][b.seq], 1, __ATOMIC_SEQ_CST))
		sk_problem(&S->dup, "message %u/%u received twice", b.who,
			   b.seq);
}

static void sk_hook(int point)
{
	if (__atomic_load_n(&S->hook_on, __ATOMIC_RELAXED) &&
	    rand_r(&hook_seed) % 3000 == 0) {
		__atomic_store_n(&S->died_at[sk_me], point, __ATOMIC_SEQ_CST);
		raise(SIGKILL);
	}
}

static void on_usr1(int sig)
{
	(void)sig;
}

/*
 * Installed in the supervisor, so a worker has it from its first
 * instruction.  No SA_RESTART: a stop request interrupts a blocked call.
 */
static void sk_catch_usr1(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

static void sk_worker_setup(int w)
{
	sk_me = w;
	S->died_at[w] = 0;
	hook_seed = (unsigned)getpid() * 2654435761u;
	if (S->hooks)
		umq_fault_hook = sk_hook;
}

static void sk_sender(int i)
{
	unsigned seed = (unsigned)getpid();
	struct tmsg m;

	for (;;) {
		uint32_t seq = S->next[i];

		if (__atomic_load_n(&S->stop_send, __ATOMIC_SEQ_CST))
			_exit(T_EXIT_PASS);
		if (seq >= SK_SEQS) {
			t_msleep(1);
			continue;
		}
		__atomic_store_n(&S->next[i], seq + 1, __ATOMIC_SEQ_CST);
		size_t sz = mk(&m, (uint32_t)i, seq, rand_r(&seed) % SK_LEN);
		if (!S->be->snd(S->qid, &m, sz, 0))
			__atomic_store_n(&S->sent[i][seq], 1, __ATOMIC_SEQ_CST);
		else if (errno != EINTR) {
			sk_problem(&S->bad, "sender %d: msgsnd: %s", i,
				   strerrorname_np(errno));
			_exit(T_EXIT_FAIL);
		}
	}
}

static void sk_receiver(int i)
{
	/* FIFO, and lowest type first: both indexes are used. */
	long msgtyp = i ? -3 : 0;
	struct tmsg m;

	for (;;) {
		if (__atomic_load_n(&S->stop_recv, __ATOMIC_SEQ_CST))
			_exit(T_EXIT_PASS);
		if (__atomic_load_n(&S->parked[i], __ATOMIC_SEQ_CST)) {
			t_msleep(1);
			continue;
		}
		__atomic_store_n(&S->in_rcv[i], 1, __ATOMIC_SEQ_CST);
		ssize_t n = S->be->rcv(S->qid, &m, TXT_MAX, msgtyp, 0);
		if (n < 0) {
			int e = errno;

			__atomic_store_n(&S->in_rcv[i], 0, __ATOMIC_SEQ_CST);
			if (e == EINTR)
				continue;
			sk_problem(&S->bad, "receiver %d: msgrcv: %s", i,
				   strerrorname_np(e));
			_exit(T_EXIT_FAIL);
		}
		sk_account(&m, n, i);
		__atomic_store_n(&S->in_rcv[i], 0, __ATOMIC_SEQ_CST);
	}
}

/* The supervisor's side. */
struct sk_run {
	pid_t pid[SK_W];
	int victims;		/* workers the supervisor kills: 0 .. victims-1 */
	int kills, self_kills, restarts, allowed;
	unsigned seed;
};

static void sk_start(struct sk_run *k, int w)
{
	fflush(NULL);
	k->pid[w] = fork();
	if (k->pid[w] < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (k->pid[w] == 0) {
		bound(60);
		sk_worker_setup(w);
		if (w < SK_SEND)
			sk_sender(w);
		sk_receiver(w - SK_SEND);
	}
}

static const char *sk_name(int w)
{
	return w < SK_SEND ? "sender" : "receiver";
}

/* Worker w ended with status st: account for it. */
static void sk_ended(struct sk_run *k, int w, int st)
{
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
		if (w >= SK_SEND) {
			int *in = &S->in_rcv[w - SK_SEND];
			int at = S->died_at[w];

			/* Copied out but not taken: the message stays. */
			if (at != FP_RECV_COPY)
				k->allowed += __atomic_load_n(in,
							      __ATOMIC_SEQ_CST);
			__atomic_store_n(in, 0, __ATOMIC_SEQ_CST);
		}
		k->pid[w] = 0;
		return;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_PASS) {
		k->pid[w] = 0;
		return;
	}
	T_FAIL("%s %d (pid %d) ended with status %#x: %s", sk_name(w), w,
	       (int)k->pid[w], st, S->why[0] ? S->why : "?");
}

/* Restart the workers that killed themselves at a fault point. */
static void sk_poll(struct sk_run *k, bool restart)
{
	for (int w = 0; w < SK_W; w++) {
		int st;

		if (!k->pid[w] || waitpid(k->pid[w], &st, WNOHANG) !=
		    k->pid[w])
			continue;
		sk_ended(k, w, st);
		k->self_kills++;
		if (restart && k->restarts++ < SK_RESTARTS)
			sk_start(k, w);
	}
}

static void sk_kill(struct sk_run *k, int w)
{
	int st;

	if (!k->pid[w])
		return;
	kill(k->pid[w], SIGKILL);
	st = t_wait_child(k->pid[w], 0, 5000);
	if (st == -1)
		T_FAIL("%s %d survived SIGKILL for 5 s", sk_name(w), w);
	sk_ended(k, w, st);
	k->kills++;
	k->restarts++;
	sk_start(k, w);
}

/* Ask worker w to stop (flag set by the caller), interrupting its call. */
static void sk_stop(struct sk_run *k, int w)
{
	long end = t_now_ms() + 5000;
	int st;

	while (k->pid[w]) {
		pid_t r = waitpid(k->pid[w], &st, WNOHANG);

		if (r == k->pid[w]) {
			sk_ended(k, w, st);
			return;
		}
		if (t_now_ms() > end)
			T_FAIL("%s %d (pid %d) does not stop: stuck in its "
			       "call for 5 s despite signals", sk_name(w), w,
			       (int)k->pid[w]);
		kill(k->pid[w], SIGUSR1);
		t_msleep(2);
	}
}

static void sk_stat(uint64_t *qnum, uint64_t *cbytes)
{
	struct msqid_ds ds;

	if (S->be->ctl(S->qid, IPC_STAT, &ds))
		T_FAIL("IPC_STAT: %s", strerrorname_np(errno));
	*qnum = ds.msg_qnum;
	*cbytes = ds.__msg_cbytes;
}

static void sk_chaos(struct sk_run *k)
{
	long end = t_now_ms() + SK_CHAOS_MS;

	STEP("soak: random kills");
	while (t_now_ms() < end && k->restarts < SK_RESTARTS) {
		t_msleep(5 + (int)(rand_r(&k->seed) % 60));
		sk_poll(k, true);
		if (k->kills < SK_KILLS && rand_r(&k->seed) % 2)
			sk_kill(k, (int)(rand_r(&k->seed) % k->victims));
	}
	__atomic_store_n(&S->hook_on, 0, __ATOMIC_SEQ_CST);
	sk_poll(k, true);
}

/*
 * Every receiver still listens: with the queue empty and each receiver
 * asleep in msgrcv, one probe per receiver parks each one that gets it.
 * A receiver taken off the wait list but never served (stranded) leaves
 * a probe queued.
 */
static int sk_probe(struct sk_run *k)
{
	uint64_t qnum, cbytes;
	struct tmsg m;
	long end;

	STEP("soak: receivers drain the queue");
	for (end = t_now_ms() + 5000;; t_msleep(2)) {
		sk_stat(&qnum, &cbytes);
		if (!qnum)
			break;
		if (t_now_ms() > end)
			T_FAIL("the receivers left %llu messages queued for 5 s",
			       (unsigned long long)qnum);
	}
	STEP("soak: receivers asleep");
	for (int r = 0; r < SK_RECV; r++) {
		for (end = t_now_ms() + 5000;
		     !__atomic_load_n(&S->in_rcv[r], __ATOMIC_SEQ_CST);
		     t_msleep(1))
			if (t_now_ms() > end)
				T_FAIL("receiver %d never called msgrcv", r);
		sleeping(k->pid[SK_SEND + r], "a receiver on an empty queue");
	}
	STEP("soak: probes");
	for (uint32_t i = 0; i < SK_RECV; i++) {
		size_t sz = mk_typed(&m, 1, PROBE, i, 8);

		if (S->be->snd(S->qid, &m, sz, IPC_NOWAIT))
			T_FAIL("probe msgsnd: %s", strerrorname_np(errno));
	}
	for (end = t_now_ms() + 3000;
	     __atomic_load_n(&S->probes, __ATOMIC_SEQ_CST) < SK_RECV;
	     t_msleep(2))
		if (t_now_ms() > end) {
			sk_stat(&qnum, &cbytes);
			t_note("%u of %d probes received, qnum %llu, with every "
			       "receiver asleep in msgrcv", S->probes, SK_RECV,
			       (unsigned long long)qnum);
			return SK_RECV - (int)S->probes;
		}
	return 0;
}

/* Drain what is left; qnum and cbytes must be what comes out. */
static void sk_drain(struct sk_run *k)
{
	uint32_t last[SK_SEND];
	uint64_t qnum, cbytes, bytes = 0, n = 0;
	struct tmsg m;
	struct body b;

	memset(last, 0xff, sizeof(last));
	STEP("soak: final drain");
	sk_stat(&qnum, &cbytes);
	for (;;) {
		ssize_t r = S->be->rcv(S->qid, &m, TXT_MAX, 0, IPC_NOWAIT);

		if (r < 0) {
			if (errno != ENOMSG)
				T_FAIL("drain: %s", strerrorname_np(errno));
			break;
		}
		sk_account(&m, r, -1);
		/* What is left of one sender is in its order. */
		if (intact(&m, r, &b) && b.who < SK_SEND) {
			if (last[b.who] != UINT32_MAX && b.seq <= last[b.who])
				T_FAIL("drain: %u/%u after %u/%u", b.who, b.seq,
				       b.who, last[b.who]);
			last[b.who] = b.seq;
		}
		bytes += (uint64_t)r;
		n++;
	}
	if (n != qnum || bytes != cbytes)
		T_FAIL("IPC_STAT said qnum %llu cbytes %llu; the drain returned "
		       "%llu messages, %llu bytes", (unsigned long long)qnum,
		       (unsigned long long)cbytes, (unsigned long long)n,
		       (unsigned long long)bytes);
	t_note("%s: final drain of %llu messages", S->be->name,
	       (unsigned long long)n);
	(void)k;
}

static void sk_verdict(struct sk_run *k)
{
	uint64_t sent = 0, got = 0, lost = 0;

	for (int s = 0; s < SK_SEND; s++)
		for (uint32_t q = 0; q < S->next[s] && q < SK_SEQS; q++) {
			sent += S->sent[s][q];
			got += S->got[s][q] != 0;
			lost += S->sent[s][q] && !S->got[s][q];
		}
	t_note("%s: %d kills, %d self-kills at fault points, %llu sent, "
	       "%llu received, %llu lost (%d allowed)", S->be->name, k->kills,
	       k->self_kills, (unsigned long long)sent,
	       (unsigned long long)got, (unsigned long long)lost, k->allowed);
	if (S->torn || S->dup || S->phantom || S->bad)
		T_FAIL("%u torn, %u duplicated, %u phantom, %u errors; first: "
		       "%s", S->torn, S->dup, S->phantom, S->bad, S->why);
	if (lost > (uint64_t)k->allowed)
		T_FAIL("%llu messages lost whose msgsnd returned 0; only %d "
		       "receivers died inside msgrcv",
		       (unsigned long long)lost, k->allowed);
	if (sent < 500)
		T_FAIL("the soak sent only %llu messages", (unsigned long long)sent);
}

/*
 * hooks: workers also kill themselves at random fault points.  The
 * supervisor then kills only senders: a receiver stranded by a dead
 * sender stays so until the probes find it.
 */
static void soak(const struct sysv_backend *be, bool hooks)
{
	struct sk_run k = { .seed = 12345, .victims = hooks ? SK_SEND : SK_W };
	struct msqid_ds ds;
	int stranded;

	bound(50);
	sk_catch_usr1();
	S = t_shared(sizeof(*S));
	S->be = be;
	S->hooks = hooks;
	S->hook_on = hooks;
	S->qid = be->get(IPC_PRIVATE, IPC_CREAT | 0600);
	if (S->qid < 0)
		T_FAIL("%s msgget: %s", be->name, strerrorname_np(errno));
	if (be->ctl(S->qid, IPC_STAT, &ds))
		T_FAIL("IPC_STAT: %s", strerrorname_np(errno));
	ds.msg_qbytes = SK_QBYTES;
	if (be->ctl(S->qid, IPC_SET, &ds))
		T_FAIL("IPC_SET: %s", strerrorname_np(errno));
	for (int w = 0; w < SK_W; w++)
		sk_start(&k, w);
	sk_chaos(&k);

	/* Senders stop; the receivers drain, then must all still listen. */
	STEP("soak: stopping the senders");
	__atomic_store_n(&S->stop_send, 1, __ATOMIC_SEQ_CST);
	for (int w = 0; w < SK_SEND; w++)
		sk_stop(&k, w);
	sk_poll(&k, true);
	stranded = sk_probe(&k);
	STEP("soak: stopping the receivers");
	__atomic_store_n(&S->stop_recv, 1, __ATOMIC_SEQ_CST);
	for (int w = SK_SEND; w < SK_W; w++)
		sk_stop(&k, w);

	/* Senders alone fill the queue and block; some are killed there. */
	STEP("soak: senders on a full queue");
	__atomic_store_n(&S->stop_send, 0, __ATOMIC_SEQ_CST);
	for (int w = 0; w < SK_SEND; w++)
		sk_start(&k, w);
	for (int i = 0; i < 6; i++) {
		t_msleep(30);
		sk_kill(&k, i % SK_SEND);
	}
	t_msleep(30);
	__atomic_store_n(&S->stop_send, 1, __ATOMIC_SEQ_CST);
	for (int w = 0; w < SK_SEND; w++)
		sk_stop(&k, w);
	sk_drain(&k);
	sk_verdict(&k);
	if (stranded)
		T_FAIL("%d receiver(s) stranded: asleep in msgrcv, off the "
		       "wait list, never served (a probe stayed queued)",
		       stranded);

	/* And the queue still works. */
	STEP("soak: the queue afterwards");
	if (be == BE_UMQ) {
		set_qbytes(S->qid, 16384);
		check_alive(S->qid);
	}
	if (be->ctl(S->qid, IPC_RMID, NULL))
		T_FAIL("IPC_RMID: %s", strerrorname_np(errno));
}

T_CASE(soak_random_kill) { soak(BE_UMQ, false); }
T_CASE(soak_random_kill_fault_points) { soak(BE_UMQ, true); }

T_CASE(soak_kernel_control)
{
	if (!t_kernel_ns())
		t_skip("no private IPC namespace for the kernel control");
	soak(BE_KERNEL, false);
}

/*
 * A receiver blocked in msgrcv is killed during a busy exchange; the
 * messages sent after its death reach the other receiver, none is lost.
 */
T_CASE(waiter_recv_killed_under_load)
{
	struct expect *e = t_shared(sizeof(*e));
	struct job *j[3];
	pid_t p[3];
	int qid;

	bound(30);
	qid = get_q();
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 3; i++) {
			j[i] = new_job(qid);
			p[i] = spawn_blocked(job_recv, j[i], "a receiver");
		}
		/* Kill the one in the middle of the wait list. */
		kill_wait(p[1]);
		STEP("sending to receivers one of which is dead");
		for (uint32_t s = 0; s < 3; s++)
			send_one(qid, 1, (uint32_t)round * 3 + s, 50, NULL);
		for (int i = 0; i < 3; i += 2) {
			struct body b;

			if (!job_ends(p[i], 3000, "a live receiver"))
				T_FAIL("round %d: live receiver %d not served",
				       round, i);
			if (j[i]->ret < 0 || !intact(&j[i]->m, j[i]->ret, &b) ||
			    b.seq != (uint32_t)round * 3 + (i ? 1 : 0))
				T_FAIL("round %d: receiver %d got the wrong "
				       "message", round, i);
		}
		/* The third message found no live receiver: it is queued. */
		e->n = 0;
		exp_add(e, 1, (uint32_t)round * 3 + 2, 50);
		check_drain(qid, e, "after a receiver was killed");
	}
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
