/* SPDX-License-Identifier: MIT */
/*
 * sysv_block.c - System V calls that block, with real processes: wake-ups,
 * receiver order, direct hand-off, IPC_RMID and IPC_SET under blocked
 * callers, signals, and a many-process stress run.  Every scenario runs on
 * the kernel and on umq and must give the same outcome on both; the kernel
 * is the oracle (spec PART A, A6-A9).
 */
#include "backend.h"
#include "call.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>
#include <time.h>

#define B (&sysv_backends[half])	/* the backend of the running half */

/* ---- Children that call msgsnd/msgrcv ------------------------------------ */

#define TXT 128		/* largest text these scenarios use */
#define WAIT_MS T_WAIT_MS

struct msg {
	long mtype;
	char text[TXT];
};

/* One call made by a child process; the results land in shared memory. */
struct op {
	struct t_call call;
	int snd;		/* msgsnd, else msgrcv */
	int qid;
	long type;		/* mtype to send, or msgtyp */
	size_t sz;
	int flg;
	int on_sig;		/* install a SIGUSR1 handler first */
	int sa_flags;		/* ... with these flags */
	int handled;		/* the SIGUSR1 handler ran */
	long mtype;
	char text[TXT];
};

static volatile sig_atomic_t sig_handled;

static void on_usr1(int sig)
{
	(void)sig;
	sig_handled = 1;
}

static struct op *ops(int n)
{
	return t_shared(n * sizeof(struct op));
}

/* Byte i of a type-t text; a truncated text is a prefix of the full one. */
static char text_byte(long type, size_t i)
{
	return 'a' + (type + i) % 26;
}

static void fill(char *p, size_t n, long type)
{
	for (size_t i = 0; i < n; i++)
		p[i] = text_byte(type, i);
}

static void do_op(struct op *o)
{
	struct msg m = { .mtype = o->type };
	long ret;
	int err;

	if (o->on_sig) {
		struct sigaction sa = { .sa_handler = on_usr1,
					.sa_flags = o->sa_flags };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
	}
	t_call_begin(&o->call);
	errno = 0;
	if (o->snd) {
		fill(m.text, o->sz, o->type);
		ret = B->snd(o->qid, &m, o->sz, o->flg);
	} else {
		ret = B->rcv(o->qid, &m, o->sz, o->type, o->flg);
	}
	err = errno;
#ifdef __SANITIZE_THREAD__
	/* TSan runs a handler at its next interceptor, not as the kernel
	 * does before an uninstrumented system call (msgrcv) returns. */
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
#endif
	o->mtype = m.mtype;
	memcpy(o->text, m.text, TXT);
	o->handled = sig_handled;
	t_call_end(&o->call, ret, err);
}

static void op_run(void *arg)
{
	do_op(arg);
}

static const char *op_name(const void *p)
{
	const struct op *o = p;
	static char s[96];

	if (o->snd)
		snprintf(s, sizeof(s), "msgsnd(type %ld, %zu bytes, %#o)",
			 o->type, o->sz, o->flg);
	else
		snprintf(s, sizeof(s), "msgrcv(msgtyp %ld, size %zu, %#o)",
			 o->type, o->sz, o->flg);
	return s;
}

static const char *op_result(const void *p)
{
	const struct op *o = p;
	static char s[96];

	if (!__atomic_load_n(&o->call.done, __ATOMIC_ACQUIRE))
		return "is still blocked";
	if (o->call.ret == -1)
		snprintf(s, sizeof(s), "returned -1 %s",
			 strerrorname_np(o->call.err) ?: "0");
	else
		snprintf(s, sizeof(s), "returned %ld (mtype %ld)",
			 o->call.ret, o->mtype);
	return s;
}

static const struct t_call_ops calls = { op_run, op_name, op_result };

/*
 * Start o in a child (as uid:gid unless uid is -1) and return once the call
 * sleeps in it.
 */
static void start_as(struct op *o, uid_t uid, gid_t gid)
{
	t_call_launch(&calls, o, uid, gid);
	t_call_sleeps(o);
}

static void start(struct op *o)
{
	start_as(o, -1, -1);
}

static void check_text(const char *p, size_t n, long type)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != text_byte(type, i))
			T_FAIL("byte %zu of a type-%ld text is %#x, expected "
			       "%#x", i, type, p[i], text_byte(type, i));
}

/* o received n bytes of the type-type message. */
static void expect_msg(const struct op *o, long type, size_t n)
{
	t_call_ret(o, n);
	if (o->mtype != type)
		T_FAIL("%s got mtype %ld, expected %ld", op_name(o), o->mtype,
		       type);
	check_text(o->text, n, type);
}

/* ---- Calls made by the scenario's own process ---------------------------- */

static int newq(int mode)
{
	return T_OK(B->get(IPC_PRIVATE, mode));
}

static struct msqid_ds qstat(int q)
{
	struct msqid_ds ds;

	T_OK(B->ctl(q, IPC_STAT, &ds));
	return ds;
}

static void set_qbytes(int q, unsigned long n)
{
	struct msqid_ds ds = qstat(q);

	ds.msg_qbytes = n;
	T_OK(B->ctl(q, IPC_SET, &ds));
}

static void expect_q(int q, unsigned long qnum, unsigned long cbytes)
{
	struct msqid_ds ds = qstat(q);

	if (ds.msg_qnum != qnum || ds.__msg_cbytes != cbytes)
		T_FAIL("queue holds %lu messages, %lu bytes; expected %lu, %lu",
		       ds.msg_qnum, ds.__msg_cbytes, qnum, cbytes);
}

static int put_nowait(int q, long type, size_t n)
{
	struct msg m = { .mtype = type };

	fill(m.text, n, type);
	return B->snd(q, &m, n, IPC_NOWAIT);
}

static void put(int q, long type, size_t n)
{
	T_OK(put_nowait(q, type, n));
}

/* A receive with msgtyp that must find n bytes of the type-type message. */
static void take(int q, long msgtyp, long type, size_t n)
{
	struct msg m;

	T_EQ(T_OK(B->rcv(q, &m, TXT, msgtyp, IPC_NOWAIT)), n);
	T_EQ(m.mtype, type);
	check_text(m.text, n, type);
}

/* ---- 1. Wake-ups --------------------------------------------------------- */

/*
 * A receive of sz bytes (flags flg) blocks on an empty queue; a send of
 * len bytes of type 3 wakes it with got bytes, and the queue stays empty.
 */
static void rcv_woken(size_t sz, int flg, size_t len, size_t got)
{
	struct op *r = ops(1);

	*r = (struct op){ .qid = newq(0600), .sz = sz, .flg = flg };
	start(r);
	put(r->qid, 3, len);
	t_call_reap(r);
	expect_msg(r, 3, got);
	expect_q(r->qid, 0, 0);
}

BOTH(rcv_woken_by_send) { rcv_woken(TXT, 0, 5, 5); }

/*
 * A send of sz bytes of type 2 blocks on the full queue q; receiving the
 * type-1 message of len bytes at its head makes room and completes it.
 */
static void snd_woken(int q, size_t sz, size_t len)
{
	struct op *s = ops(1);

	*s = (struct op){ .snd = 1, .qid = q, .type = 2, .sz = sz };
	start(s);
	take(q, 1, 1, len);
	t_call_reap(s);
	t_call_ret(s, 0);
}

BOTH(snd_full_bytes_woken_by_rcv)
{
	int q = newq(0600);

	set_qbytes(q, 10);
	put(q, 1, 8);
	T_ERR(put_nowait(q, 2, 4), EAGAIN);
	snd_woken(q, 4, 8);
	expect_q(q, 1, 4);
	take(q, 0, 2, 4);
}

/* msg_qbytes also counts messages: zero-length ones fill a slot each. */
BOTH(snd_full_count_woken_by_rcv)
{
	int q = newq(0600);

	set_qbytes(q, 3);
	for (int i = 0; i < 3; i++)
		put(q, 1, 0);
	T_ERR(put_nowait(q, 1, 0), EAGAIN);
	snd_woken(q, 0, 0);
	expect_q(q, 3, 0);
}

/* ---- 2. Receiver order --------------------------------------------------- */

BOTH(rcv_fifo_order)
{
	struct op *r = ops(3);
	int q = newq(0600);

	for (int i = 0; i < 3; i++) {
		r[i] = (struct op){ .qid = q, .sz = TXT };
		start(&r[i]);
	}
	for (int i = 0; i < 3; i++)
		put(q, i + 1, i + 1);
	for (int i = 0; i < 3; i++) {
		t_call_reap(&r[i]);
		expect_msg(&r[i], i + 1, i + 1);
	}
	expect_q(q, 0, 0);
}

BOTH(rcv_first_matching)
{
	static const struct { long type; int flg; } sel[] = {
		{ 5, 0 }, { 7, 0 }, { -3, 0 }, { 5, MSG_EXCEPT },
	};
	struct op *r = ops(4);
	int q = newq(0600);

	for (int i = 0; i < 4; i++) {
		r[i] = (struct op){ .qid = q, .type = sel[i].type,
				    .flg = sel[i].flg, .sz = TXT };
		start(&r[i]);
	}
	/* Each goes to the oldest matching receiver, not to a later one. */
	put(q, 7, 7);
	t_call_reap(&r[1]);
	expect_msg(&r[1], 7, 7);
	put(q, 2, 2);
	t_call_reap(&r[2]);
	expect_msg(&r[2], 2, 2);
	put(q, 5, 5);
	t_call_reap(&r[0]);
	expect_msg(&r[0], 5, 5);
	/* Only "not 5" is left: a 5 is queued and wakes nobody. */
	put(q, 5, 6);
	t_call_blocked(&r[3]);
	expect_q(q, 1, 6);
	put(q, 4, 4);
	t_call_reap(&r[3]);
	expect_msg(&r[3], 4, 4);
	expect_q(q, 1, 6);
	take(q, 0, 5, 6);
}

/* ---- 3. Direct hand-off bookkeeping -------------------------------------- */

/* time() is the coarse clock: a finer one may already be a second on. */
static void expect_time(const char *what, time_t t, time_t t0, time_t t1)
{
	if (t < t0 || t > t1 + 1)
		T_FAIL("%s is %lld, expected %lld..%lld", what, (long long)t,
		       (long long)t0, (long long)t1 + 1);
}

BOTH(handoff_stats)
{
	struct op *r = ops(1);
	int q = newq(0600);
	struct msqid_ds ds = qstat(q);

	T_EQ(ds.msg_stime, 0);
	T_EQ(ds.msg_rtime, 0);
	T_EQ(ds.msg_lspid, 0);
	T_EQ(ds.msg_lrpid, 0);
	time_t ctime0 = ds.msg_ctime;
	*r = (struct op){ .qid = q, .sz = TXT };
	start(r);
	time_t t0 = time(NULL);
	put(q, 1, 9);
	time_t t1 = time(NULL);
	t_call_reap(r);
	expect_msg(r, 1, 9);
	ds = qstat(q);
	T_EQ(ds.msg_qnum, 0);
	T_EQ(ds.__msg_cbytes, 0);
	T_EQ(ds.msg_lspid, getpid());
	T_EQ(ds.msg_lrpid, r->call.pid);
	expect_time("msg_stime", ds.msg_stime, t0, t1);
	expect_time("msg_rtime", ds.msg_rtime, t0, t1);
	T_EQ(ds.msg_ctime, ctime0);
}

struct thr {
	int qid;
	pid_t tid;
	int stage;	/* 1: hand-off received, 2: all done */
	int go;		/* the parent queued the second message */
	long ret[3];
	int err[3];
	long mtype[3];
};

static void thr_rcv(struct thr *t, int i, long msgtyp, int flg)
{
	struct msg m = { 0 };

	errno = 0;
	t->ret[i] = B->rcv(t->qid, &m, TXT, msgtyp, flg);
	t->err[i] = errno;
	t->mtype[i] = m.mtype;
}

static int wait_value(int *p, int v)
{
	for (int i = 0; i < WAIT_MS; i++) {
		if (__atomic_load_n(p, __ATOMIC_ACQUIRE) == v)
			return 0;
		t_msleep(1);
	}
	return -1;
}

/* A non-main thread: hand-off receive, normal receive, then a send. */
static void *receiver_thread(void *arg)
{
	struct thr *t = arg;
	struct msg m = { .mtype = 3 };

	__atomic_store_n(&t->tid, gettid(), __ATOMIC_RELEASE);
	thr_rcv(t, 0, 1, 0);
	__atomic_store_n(&t->stage, 1, __ATOMIC_RELEASE);
	if (wait_value(&t->go, 1))
		return NULL;
	thr_rcv(t, 1, 2, IPC_NOWAIT);
	errno = 0;
	t->ret[2] = B->snd(t->qid, &m, 4, IPC_NOWAIT);
	t->err[2] = errno;
	__atomic_store_n(&t->stage, 2, __ATOMIC_RELEASE);
	return NULL;
}

static void thr_expect(const struct thr *t, int i, long ret, long mtype)
{
	if (t->ret[i] != ret || (ret > 0 && t->mtype[i] != mtype))
		T_FAIL("thread call %d returned %ld %s (mtype %ld), expected "
		       "%ld (mtype %ld)", i, t->ret[i],
		       strerrorname_np(t->err[i]) ?: "", t->mtype[i], ret,
		       mtype);
}

/* lrpid is the receiving thread's TID on hand-off, its PID otherwise. */
BOTH(handoff_lrpid_tid)
{
	struct thr *t = t_shared(sizeof(*t));
	pthread_t th;

	t->qid = newq(0600);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		if (pthread_create(&th, NULL, receiver_thread, t))
			_exit(T_EXIT_FAIL);
		pthread_join(th, NULL);
		_exit(T_EXIT_PASS);
	}
	for (int i = 0; !__atomic_load_n(&t->tid, __ATOMIC_ACQUIRE); i++)
		if (i == WAIT_MS || t_wait_child(pid, 0, 1) != -1)
			T_FAIL("the receiver thread never started");
	T_ASSERT(t->tid != pid);
	if (t_wait_sleeping(t->tid))
		T_FAIL("the receiver thread did not block");
	put(t->qid, 1, 4);
	if (wait_value(&t->stage, 1))
		T_FAIL("the blocked thread did not get the message");
	thr_expect(t, 0, 4, 1);
	T_EQ(qstat(t->qid).msg_lrpid, t->tid);
	put(t->qid, 2, 4);
	__atomic_store_n(&t->go, 1, __ATOMIC_RELEASE);
	int st = t_wait_child(pid, 0, WAIT_MS);
	if (st == -1)
		T_FAIL("the receiver process did not finish");
	t_exited_ok(pid, st, "receiver process");
	thr_expect(t, 1, 4, 2);
	thr_expect(t, 2, 0, 0);
	struct msqid_ds ds = qstat(t->qid);
	T_EQ(ds.msg_lrpid, pid);
	T_EQ(ds.msg_lspid, pid);
	T_EQ(ds.msg_qnum, 1);
}

/* ---- 4. E2BIG on hand-off ------------------------------------------------ */

BOTH(handoff_e2big)
{
	struct op *r = ops(4);
	int q = newq(0600);

	r[0] = (struct op){ .qid = q, .sz = 4 };
	r[1] = (struct op){ .qid = q, .sz = 4 };
	r[2] = (struct op){ .qid = q, .sz = TXT };
	for (int i = 0; i < 3; i++)
		start(&r[i]);
	/* One send fails both small buffers and goes on to the third. */
	put(q, 1, 10);
	for (int i = 0; i < 3; i++)
		t_call_reap(&r[i]);
	t_call_err(&r[0], E2BIG);
	t_call_err(&r[1], E2BIG);
	expect_msg(&r[2], 1, 10);
	expect_q(q, 0, 0);
	/* With no other receiver the message is queued. */
	r[3] = (struct op){ .qid = q, .sz = 4 };
	start(&r[3]);
	put(q, 2, 10);
	t_call_reap(&r[3]);
	t_call_err(&r[3], E2BIG);
	expect_q(q, 1, 10);
	take(q, 0, 2, 10);
}

BOTH(handoff_noerror_truncates) { rcv_woken(4, MSG_NOERROR, 10, 4); }

/* ---- 5. Capacity is checked before the hand-off -------------------------- */

BOTH(capacity_before_handoff)
{
	struct op *o = ops(2), *r = &o[0], *s = &o[1];
	int q = newq(0600);

	set_qbytes(q, 10);
	put(q, 1, 8);
	*r = (struct op){ .qid = q, .type = 2, .sz = TXT };
	start(r);
	T_ERR(put_nowait(q, 2, 4), EAGAIN);
	*s = (struct op){ .snd = 1, .qid = q, .type = 2, .sz = 4 };
	start(s);
	t_call_blocked(r);
	take(q, 1, 1, 8);
	t_call_reap(s);
	t_call_ret(s, 0);
	t_call_reap(r);
	expect_msg(r, 2, 4);
	expect_q(q, 0, 0);
}

/* ---- 6. IPC_RMID under blocked callers ----------------------------------- */

BOTH(rmid_wakes_all)
{
	struct op *o = ops(4);
	key_t key = 0x5eed;
	int q = T_OK(B->get(key, IPC_CREAT | IPC_EXCL | 0600));
	struct msg m = { .mtype = 1 };

	set_qbytes(q, 10);
	put(q, 1, 10);
	struct msqid_ds ds = qstat(q);
	o[0] = (struct op){ .qid = q, .type = 2, .sz = TXT };
	o[1] = (struct op){ .qid = q, .type = 5, .sz = 4, .flg = MSG_NOERROR };
	o[2] = (struct op){ .snd = 1, .qid = q, .type = 2, .sz = 1 };
	o[3] = (struct op){ .snd = 1, .qid = q, .type = 3, .sz = 1 };
	for (int i = 0; i < 4; i++)
		start(&o[i]);
	T_OK(B->ctl(q, IPC_RMID, NULL));
	for (int i = 0; i < 4; i++) {
		t_call_reap(&o[i]);
		t_call_err(&o[i], EIDRM);
	}
	/* Later calls never see EIDRM, and the key is free at once. */
	T_ERR(put_nowait(q, 1, 1), EINVAL);
	T_ERR(B->snd(q, &m, 1, 0), EINVAL);
	T_ERR(B->rcv(q, &m, TXT, 0, 0), EINVAL);
	T_ERR(B->ctl(q, IPC_STAT, &ds), EINVAL);
	T_ERR(B->ctl(q, IPC_SET, &ds), EINVAL);
	T_ERR(B->ctl(q, IPC_RMID, NULL), EINVAL);
	T_ERR(B->get(key, 0), ENOENT);
	int q2 = T_OK(B->get(key, IPC_CREAT | IPC_EXCL | 0600));
	T_ASSERT(q2 != q);
	T_ERR(B->ctl(q, IPC_STAT, &ds), EINVAL);
}

/* ---- 7. IPC_SET under blocked callers ------------------------------------ */

/* Receivers re-check their permission; the one that lost it fails. */
BOTH(set_revokes_read)
{
	need_root();

	struct op *o = ops(2), *user = &o[0], *root = &o[1];
	int q = newq(0644);

	*user = (struct op){ .qid = q, .sz = TXT };
	*root = (struct op){ .qid = q, .sz = TXT };
	start_as(user, 1000, 1000);
	start(root);
	struct msqid_ds ds = qstat(q);
	ds.msg_perm.mode = 0600;
	T_OK(B->ctl(q, IPC_SET, &ds));
	t_call_reap(user);
	t_call_err(user, EACCES);
	t_call_blocked(root);
	put(q, 1, 3);
	t_call_reap(root);
	expect_msg(root, 1, 3);
}

BOTH(set_qbytes_wakes_sender)
{
	struct op *s = ops(1);
	int q = newq(0600);

	set_qbytes(q, 8);
	put(q, 1, 8);
	*s = (struct op){ .snd = 1, .qid = q, .type = 2, .sz = 4 };
	start(s);
	set_qbytes(q, 11);
	t_call_blocked(s);
	set_qbytes(q, 12);
	t_call_reap(s);
	t_call_ret(s, 0);
	expect_q(q, 2, 12);
}

/* ---- 8. Signals ---------------------------------------------------------- */

/* A handled signal gives EINTR, SA_RESTART or not, and leaves no trace. */
static void eintr(int snd, int sa_flags)
{
	struct op *o = ops(1);
	int q = newq(0600);

	if (snd) {
		set_qbytes(q, 4);
		put(q, 1, 4);
	}
	*o = (struct op){ .snd = snd, .qid = q, .type = 2,
			  .sz = snd ? 1 : TXT, .on_sig = 1,
			  .sa_flags = sa_flags };
	start(o);
	T_OK(kill(o->call.pid, SIGUSR1));
	t_call_reap(o);
	t_call_err(o, EINTR);
	T_EQ(o->handled, 1);
	if (snd) {
		expect_q(q, 1, 4);
	} else {
		/* The interrupted receiver must not take this one. */
		put(q, 2, 3);
		expect_q(q, 1, 3);
	}
}

BOTH(signal_rcv_eintr_sa_restart) { eintr(0, SA_RESTART); }
BOTH(signal_rcv_eintr) { eintr(0, 0); }
BOTH(signal_snd_eintr_sa_restart) { eintr(1, SA_RESTART); }
BOTH(signal_snd_eintr) { eintr(1, 0); }

static void stop(const struct op *o)
{
	T_OK(kill(o->call.pid, SIGSTOP));
	int st = t_wait_child(o->call.child, WUNTRACED, WAIT_MS);
	if (st == -1 || !WIFSTOPPED(st))
		T_FAIL("%s did not stop: status %#x", op_name(o), st);
}

/* No handler runs for SIGSTOP/SIGCONT: the call goes on as if nothing. */
static void stop_cont(int snd)
{
	struct op *o = ops(1);
	int q = newq(0600);

	if (snd) {
		set_qbytes(q, 4);
		put(q, 1, 4);
	}
	*o = (struct op){ .snd = snd, .qid = q, .type = 2,
			  .sz = snd ? 1 : TXT };
	start(o);
	stop(o);
	T_OK(kill(o->call.pid, SIGCONT));
	if (t_wait_sleeping(o->call.pid))
		T_FAIL("%s after SIGCONT: %s", op_name(o), op_result(o));
	t_call_blocked(o);
	if (snd) {
		take(q, 1, 1, 4);
		t_call_reap(o);
		t_call_ret(o, 0);
		expect_q(q, 1, 1);
	} else {
		put(q, 2, 3);
		t_call_reap(o);
		expect_msg(o, 2, 3);
		expect_q(q, 0, 0);
	}
}

BOTH(sigstop_rcv_keeps_blocking) { stop_cont(0); }
BOTH(sigstop_snd_keeps_blocking) { stop_cont(1); }

/* ---- 9. Sender wake-ups -------------------------------------------------- */

/*
 * After a receive every blocked sender that fits is woken, and one that
 * does not fit stays blocked, so small messages overtake a large one.
 */
BOTH(sender_wakeup)
{
	struct op *o = ops(3), *big = &o[0], *a = &o[1], *b = &o[2];
	int q = newq(0600);

	set_qbytes(q, 20);
	put(q, 1, 10);
	put(q, 1, 10);
	*big = (struct op){ .snd = 1, .qid = q, .type = 2, .sz = 15 };
	*a = (struct op){ .snd = 1, .qid = q, .type = 3, .sz = 5 };
	*b = (struct op){ .snd = 1, .qid = q, .type = 4, .sz = 5 };
	start(big);
	start(a);
	start(b);
	take(q, 1, 1, 10);
	t_call_reap(a);
	t_call_reap(b);
	t_call_ret(a, 0);
	t_call_ret(b, 0);
	t_call_blocked(big);
	expect_q(q, 3, 20);
	take(q, 1, 1, 10);
	t_call_blocked(big);
	take(q, 3, 3, 5);
	t_call_reap(big);
	t_call_ret(big, 0);
	expect_q(q, 2, 20);
	take(q, 0, 4, 5);
	take(q, 0, 2, 15);
}

/* ---- 10. Stress ---------------------------------------------------------- */

#define ST_SND 4
#define ST_RCV 4
#define ST_N 1000
#define ST_QBYTES 256
#define ST_DATA 64
#define ST_WAIT_MS 30000

struct st_text {
	int snd;
	int seq;
	unsigned sum;
	unsigned char data[ST_DATA];
};

struct st_msg {
	long mtype;
	struct st_text t;
};

struct stress {
	int qid;
	int received;
	unsigned char seen[ST_SND][ST_N];
	struct {
		long msgtyp;
		int flg;
		int bad;
		int end_err;
		char why[96];
	} r[ST_RCV];
	struct {
		int sent;
		int err;
	} s[ST_SND];
};

/* Sender s sends two types of its own, so per-type order is checkable. */
static long st_type(int s, int seq)
{
	return 2 * s + 1 + (seq & 1);
}

static size_t st_len(int s, int seq)
{
	return offsetof(struct st_text, data) + (seq * 37 + s * 11) % ST_DATA;
}

static unsigned st_sum(const struct st_text *t, size_t n)
{
	unsigned h = (unsigned)t->snd * 65599u + (unsigned)t->seq;

	for (size_t i = 0; i < n; i++)
		h = h * 31 + t->data[i];
	return h;
}

static void st_send(struct stress *st, int s)
{
	struct st_msg m;

	for (int i = 0; i < ST_N; i++) {
		size_t len = st_len(s, i);
		size_t n = len - offsetof(struct st_text, data);

		m.mtype = st_type(s, i);
		m.t.snd = s;
		m.t.seq = i;
		for (size_t k = 0; k < n; k++)
			m.t.data[k] = s * 131 + i * 7 + k;
		m.t.sum = st_sum(&m.t, n);
		if (B->snd(st->qid, &m, len, 0)) {
			st->s[s].err = errno;
			return;
		}
		st->s[s].sent++;
	}
}

static int st_selected(long msgtyp, int flg, long type)
{
	if (msgtyp == 0)
		return 1;
	if (msgtyp < 0)
		return type <= -msgtyp;
	return flg & MSG_EXCEPT ? type != msgtyp : type == msgtyp;
}

/* Why m (n bytes) is not an untorn message for this receiver, or NULL. */
static const char *st_check(const struct st_msg *m, ssize_t n, long msgtyp,
			    int flg, int last[ST_SND][2])
{
	const struct st_text *t = &m->t;

	if (n < (ssize_t)offsetof(struct st_text, data) || t->snd < 0 ||
	    t->snd >= ST_SND || t->seq < 0 || t->seq >= ST_N)
		return "bad header";
	if (m->mtype != st_type(t->snd, t->seq))
		return "mtype does not match the header";
	if ((size_t)n != st_len(t->snd, t->seq))
		return "wrong length";
	if (t->sum != st_sum(t, n - offsetof(struct st_text, data)))
		return "bad checksum";
	if (!st_selected(msgtyp, flg, m->mtype))
		return "type not selected by this receiver";
	if (t->seq <= last[t->snd][t->seq & 1])
		return "out of order for its sender and type";
	last[t->snd][t->seq & 1] = t->seq;
	return NULL;
}

static void st_receive(struct stress *st, int k)
{
	int last[ST_SND][2];
	struct st_msg m;

	memset(last, 0xff, sizeof(last));
	for (;;) {
		ssize_t n = B->rcv(st->qid, &m, sizeof(m.t), st->r[k].msgtyp,
				   st->r[k].flg);
		const char *why;

		if (n < 0) {
			st->r[k].end_err = errno;
			return;
		}
		why = st_check(&m, n, st->r[k].msgtyp, st->r[k].flg, last);
		if (why && !st->r[k].bad++)
			snprintf(st->r[k].why, sizeof(st->r[k].why),
				 "%s (mtype %ld, %zd bytes)", why, m.mtype, n);
		if (!why)
			__atomic_fetch_add(&st->seen[m.t.snd][m.t.seq], 1,
					   __ATOMIC_RELAXED);
		__atomic_fetch_add(&st->received, 1, __ATOMIC_RELEASE);
	}
}

static pid_t st_spawn(void (*fn)(struct stress *, int), struct stress *st,
		      int k)
{
	fflush(NULL);
	pid_t pid = fork();

	if (pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		fn(st, k);
		_exit(T_EXIT_PASS);
	}
	return pid;
}

static void st_reap(pid_t pid, const char *what, int k)
{
	int st = t_wait_child(pid, 0, WAIT_MS);

	if (st == -1)
		T_FAIL("%s %d did not finish", what, k);
	t_exited_ok(pid, st, what);
}

/*
 * 4 senders and 4 receivers with mixed selectors on a queue small enough
 * that both sides block often: every message arrives once, untorn, in
 * order per sender and type, and the queue ends empty.
 */
BOTH(stress)
{
	static const struct { long msgtyp; int flg; } sel[ST_RCV] = {
		{ 0, 0 }, { 3, 0 }, { 6, 0 }, { -2, 0 },
	};
	struct stress *st = t_shared(sizeof(*st));
	pid_t rpid[ST_RCV], spid[ST_SND];
	int total = ST_SND * ST_N;

	st->qid = newq(0600);
	set_qbytes(st->qid, ST_QBYTES);
	for (int k = 0; k < ST_RCV; k++) {
		st->r[k].msgtyp = sel[k].msgtyp;
		st->r[k].flg = sel[k].flg;
		rpid[k] = st_spawn(st_receive, st, k);
	}
	for (int s = 0; s < ST_SND; s++)
		spid[s] = st_spawn(st_send, st, s);
	for (int ms = 0; __atomic_load_n(&st->received, __ATOMIC_ACQUIRE) <
	     total; ms += 10) {
		if (ms >= ST_WAIT_MS)
			T_FAIL("%d of %d messages received after %d ms",
			       st->received, total, ST_WAIT_MS);
		t_msleep(10);
	}
	for (int s = 0; s < ST_SND; s++) {
		st_reap(spid[s], "sender", s);
		if (st->s[s].sent != ST_N)
			T_FAIL("sender %d stopped after %d messages: %s", s,
			       st->s[s].sent, strerrorname_np(st->s[s].err));
	}
	expect_q(st->qid, 0, 0);
	T_OK(B->ctl(st->qid, IPC_RMID, NULL));
	for (int k = 0; k < ST_RCV; k++) {
		st_reap(rpid[k], "receiver", k);
		if (st->r[k].bad)
			T_FAIL("receiver %d (msgtyp %ld): %d bad messages, "
			       "first: %s", k, st->r[k].msgtyp, st->r[k].bad,
			       st->r[k].why);
		if (st->r[k].end_err != EIDRM)
			T_FAIL("receiver %d ended with %s, expected EIDRM", k,
			       strerrorname_np(st->r[k].end_err) ?: "0");
	}
	for (int s = 0; s < ST_SND; s++)
		for (int i = 0; i < ST_N; i++)
			if (st->seen[s][i] != 1)
				T_FAIL("message %d of sender %d received %d "
				       "times", i, s, st->seen[s][i]);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
