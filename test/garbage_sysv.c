/* SPDX-License-Identifier: MIT */
/* garbage_sysv.c - the rounds of sysv_garbage_*.c: see garbage_sysv.h. */
#include "t.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "garbage_sysv.h"

/* ---- rounds: one process each (garbage.c) ------------------------------ */

void rounds(const char *name, uint32_t n, void (*fn)(uint32_t))
{
	garbage_rounds(name, n, fn, NULL, ROUND_MS / 1000);
}

/*
 * Run fn(arg) in a child that an alarm ends after 5 s; returns its wait
 * status, that of a SIGKILL if it still ran 8 s later.
 */
int bounded_child(void (*fn)(void *), void *arg)
{
	pid_t pid = t_spawn_alarm(fn, arg, 5);
	int st = t_wait_child(pid, 0, 8000);

	if (st == -1) {
		kill(pid, SIGKILL);
		st = t_waitpid(pid);
	}
	return st;
}

/* ---- messages ------------------------------------------------------------ */

static uint8_t pat(long type, uint32_t i)
{
	return (uint8_t)(type * 131 + i * 7 + (i >> 8));
}

size_t mk(struct tmsg *m, long type, size_t len)
{
	m->mtype = type;
	for (size_t i = 0; i < len; i++)
		m->text[i] = pat(type, (uint32_t)i);
	return len;
}

bool intact(const struct tmsg *m, ssize_t n, long type, size_t len)
{
	if (n != (ssize_t)len || m->mtype != type)
		return false;
	for (size_t i = 0; i < len; i++)
		if (m->text[i] != pat(type, (uint32_t)i))
			return false;
	return true;
}

/* The errnos a call on a damaged namespace may give. */
static const int CLEAN[] = {
	EUCLEAN, EPROTO, EIDRM, EINVAL, ENOMSG, EAGAIN, E2BIG, EACCES, ENOMEM,
	EPERM,	/* garbage owner fields, a caller without CAP_SYS_ADMIN */
	0
};

bool clean_errno(int e)
{
	return errno_in(e, CLEAN);
}

/* A call's result: success, or -1 with a clean errno.  Else the round
 * fails.  Returns the errno (0 on success). */
int judge(long r, const char *call)
{
	return judge_in(r, call, CLEAN);
}

static void guard_set(struct tmsg *m)
{
	memset(m->guard, 0xa5, GUARD);
}

static void guard_check(const struct tmsg *m, ssize_t r, size_t sz)
{
	for (int i = 0; i < GUARD; i++)
		if (m->guard[i] != 0xa5)
			R_FAIL("msgrcv wrote past the caller's buffer");
	if (r > (ssize_t)sz)
		R_FAIL("msgrcv returned %zd for a buffer of %zu", r, sz);
}

/*
 * Fill a queue with n messages of random types (1..4) and sizes, within
 * the default 16384 bytes.  strict: every send must succeed.
 */
static void populate_as(int qid, int n, bool strict)
{
	size_t total = 0;
	struct tmsg m;

	for (int i = 0; i < n; i++) {
		long type = 1 + (long)below(4);
		size_t len = below(5) ? below(300) : below(2000);

		if (total + len > 12000)
			break;
		total += len;
		mk(&m, type, len);
		if (!umq_msgsnd(qid, &m, len, IPC_NOWAIT))
			continue;
		if (strict)
			R_FAIL("populate msgsnd: %s", strerrorname_np(errno));
		judge(-1, "populate msgsnd");
	}
}

void populate(int qid, int n)
{
	populate_as(qid, n, true);
}

/* Receive some, so the free lists hold chunks. */
void take_some(int qid, int n)
{
	struct tmsg m;

	for (int i = 0; i < n; i++)
		if (umq_msgrcv(qid, &m, TXT_MAX, 0, IPC_NOWAIT) < 0)
			R_FAIL("take_some msgrcv: %s", strerrorname_np(errno));
}

/*
 * The bounded set of calls every round makes on the damaged queue.  Each
 * must succeed or fail cleanly; no check of content (garbage may have
 * become a message).
 */
void use(int qid)
{
	static const struct { long typ; int flg; } sel[] = {
		{ 0, 0 }, { 2, 0 }, { -2, 0 }, { 3, MSG_EXCEPT },
		{ 0, MSG_NOERROR }, { 4, 0 }, { -4, MSG_NOERROR },
		{ 1, MSG_EXCEPT | MSG_NOERROR },
	};
	struct msqid_ds ds;
	struct msginfo mi;
	struct tmsg m;
	ssize_t r;

	op("IPC_STAT");
	judge(umq_msgctl(qid, IPC_STAT, &ds), "IPC_STAT");
	for (size_t k = 0; k < sizeof(sel) / sizeof(sel[0]); k++) {
		size_t sz = k % 2 ? 64 : TXT_MAX;

		op("msgrcv(msgtyp %ld, size %zu, %#o)", sel[k].typ, sz,
		   sel[k].flg);
		guard_set(&m);
		r = umq_msgrcv(qid, &m, sz, sel[k].typ,
			       sel[k].flg | IPC_NOWAIT);
		judge(r, LOG->op);
		guard_check(&m, r, sz);
	}
	for (long n = 0; n < 3; n++) {
		op("msgrcv(MSG_COPY %ld)", n);
		guard_set(&m);
		r = umq_msgrcv(qid, &m, TXT_MAX, n, MSG_COPY | IPC_NOWAIT);
		judge(r, LOG->op);
		guard_check(&m, r, TXT_MAX);
	}
	for (int k = 0; k < 4; k++) {
		size_t len = k * 400;

		op("msgsnd(mtype %d, %zu bytes)", k + 1, len);
		mk(&m, k + 1, len);
		judge(umq_msgsnd(qid, &m, len, IPC_NOWAIT), LOG->op);
	}
	op("msgrcv(0) after the sends");
	guard_set(&m);
	r = umq_msgrcv(qid, &m, TXT_MAX, 0, IPC_NOWAIT | MSG_NOERROR);
	judge(r, LOG->op);
	guard_check(&m, r, TXT_MAX);
	op("MSG_INFO");
	judge(umq_msgctl(0, MSG_INFO, (struct msqid_ds *)&mi), "MSG_INFO");
	op("IPC_STAT");
	judge(umq_msgctl(qid, IPC_STAT, &ds), "IPC_STAT");
}

/* One receive of the drain (repaired): its guard kept, its errno judged. */
static ssize_t drain_one(void *arg)
{
	struct tmsg m;
	ssize_t r;

	guard_set(&m);
	r = umq_msgrcv(*(int *)arg, &m, TXT_MAX, 0, IPC_NOWAIT | MSG_NOERROR);
	guard_check(&m, r, TXT_MAX);
	if (r < 0 && errno != ENOMSG)
		judge(r, LOG->op);
	return r;
}

/*
 * After garbage in the chunks or the indexes the queue is repaired
 * (rebuilt from its chunks): it drains to empty with its counters at
 * zero, and a new message goes through intact.
 */
void repaired(int qid)
{
	struct msqid_ds ds;
	struct tmsg m;
	ssize_t r;

	drain("msgrcv", drain_one, &qid, ENOMSG, 4000);
	op("IPC_STAT after the drain");
	if (umq_msgctl(qid, IPC_STAT, &ds))
		R_FAIL("IPC_STAT after the drain: %s", strerrorname_np(errno));
	if (ds.msg_qnum || ds.__msg_cbytes)
		R_FAIL("drained to ENOMSG, but IPC_STAT says qnum %lu cbytes "
		       "%lu", (unsigned long)ds.msg_qnum,
		       (unsigned long)ds.__msg_cbytes);
	op("msgsnd of a new message after the repair");
	mk(&m, 99, 1000);
	if (umq_msgsnd(qid, &m, 1000, IPC_NOWAIT))
		R_FAIL("a new message after the repair: msgsnd: %s",
		       strerrorname_np(errno));
	op("msgrcv of the new message");
	memset(&m, 0, sizeof(m));
	r = umq_msgrcv(qid, &m, TXT_MAX, 99, IPC_NOWAIT);
	if (!intact(&m, r, 99, 1000))
		R_FAIL("the new message after the repair came back as %zd "
		       "(%s)", r, r < 0 ? strerrorname_np(errno) : "torn");
}

void rmid(int qid)
{
	op("IPC_RMID");
	judge(umq_msgctl(qid, IPC_RMID, NULL), "IPC_RMID");
}

/* Half the rounds look through a fresh mapping of everything. */
void fresh_view(uint32_t seed)
{
	if (seed % 2)
		return;
	op("umq_ns_use (a fresh view)");
	if (umq_ns_use(t_umq_dir()))
		R_FAIL("umq_ns_use: %s", strerrorname_np(errno));
}

int new_queue(void)
{
	int qid = umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600);

	if (qid < 0)
		R_FAIL("msgget: %s", strerrorname_np(errno));
	return qid;
}

/* ---- calls in a child, the namespace's hints --------------------------- */

/* In a child: msgsnd (and msgrcv) on the queue, the results in v. */
void verdict_calls(void *arg)
{
	struct verdict *v = arg;
	struct tmsg m;

	if (v->fresh && umq_ns_use(t_umq_dir()))
		_exit(T_EXIT_FAIL);
	mk(&m, 1, 10);
	errno = 0;
	v->snd = umq_msgsnd(v->qid, &m, 10, IPC_NOWAIT);
	v->snd_err = errno;
	if (!v->rcv_too)
		return;
	errno = 0;
	v->rcv = umq_msgrcv(v->qid, &m, TXT_MAX, 0, IPC_NOWAIT);
	v->rcv_err = errno;
}

void hints_path(char *path, size_t n)
{
	snprintf(path, n, "%s/ns", t_umq_dir());
}

void hint_put(int which, int32_t v)
{
	char path[512];
	int fd;

	hints_path(path, sizeof(path));
	fd = open(path, O_RDWR);
	if (fd < 0 || pwrite(fd, &v, sizeof(v), (off_t)which * 4) != 4)
		T_FAIL("pwrite %s: %s", path, strerror(errno));
	close(fd);
}
