/* SPDX-License-Identifier: MIT */
/*
 * sysv_diff.c - System V message queues: umq against the kernel.
 *
 * Every case is a scenario run on both backends (see diff.h).  Each step
 * must give what the kernel-semantics spec (part A) predicts, on the
 * kernel as on umq, and the two traces must agree on every return value,
 * errno, message received and msqid_ds/msginfo field (times within 1 s,
 * pids by the role of the process).  Ids are compared exactly: both
 * sides start from an empty namespace.  Cases need a private kernel IPC
 * namespace (root) and skip without one.
 *
 *   build/test/sysv_diff [case ...]	after make build/test/sysv_diff
 *   UMQ_SEED=n build/test/sysv_diff random_env_seed
 *   UMQ_TRACE=1 build/test/sysv_diff case	prints both traces in full
 *
 * To check the scenarios against the kernel alone, without libumq:
 *   gcc -D_GNU_SOURCE -DKERNEL_ONLY -Iinclude -std=gnu11 -pthread \
 *	-o /tmp/sysv_diff test/sysv_diff.c test/t.c test/trace.c
 */
#include "diff.h"

#include <sys/stat.h>

#define K1 0x1001
#define K2 0x1002
#define K3 0x1003
#define K4 0x1004
#define K5 0x1005

#define MSGMAX 8192	/* defaults of a fresh namespace */
#define MSGMNB 16384
#define IDX_SHIFT 15	/* id = seq << 15 | index */

/* ---- ftok and msgget ------------------------------------------------------ */

/* ftok as spec A2 defines it. */
static key_t spec_ftok(const char *path, int proj)
{
	struct stat st;

	if (stat(path, &st))
		T_FAIL("stat %s: %s", path, strerror(errno));
	return (st.st_ino & 0xffff) | ((st.st_dev & 0xff) << 16) |
	       ((unsigned)(proj & 0xff) << 24);
}

DIFF_CASE(ftok_keys)
{
	const char *paths[] = { "/", "/dev/null", "/proc", t_umq_dir() };
	static const int projs[] = { 0, 1, 'A', 0x7f, 0x80, 0xab, 0xff,
				     0x100, 0x1ff, -1 };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		for (size_t j = 0; j < sizeof(projs) / sizeof(projs[0]); j++)
			FTOK(c, paths[i], projs[j],
			     W_RET(spec_ftok(paths[i], projs[j])));
	CHK(c, FTOK(c, "/", 0x80, W_SUCCESS) < 0, 1);
	FTOK(c, "/nonexistent/umq", 1, W_ERR(ENOENT));
	FTOK(c, "", 1, W_ERR(ENOENT));
}

DIFF_CASE(msgget_private)
{
	static const int flags[] = { 0600, IPC_CREAT | IPC_EXCL | 0640, 0,
				     07777 };
	static const int modes[] = { 0600, 0640, 0, 0777 };
	struct msqid_ds *ds = &c->ds;

	/* Always a new queue, whatever the flags: never EEXIST or ENOENT. */
	for (int i = 0; i < 4; i++)
		GET(c, IPC_PRIVATE, flags[i], W_RET(i));
	for (int i = 0; i < 4; i++) {
		STAT(c, i, W_RET(0));
		CHK(c, ds->msg_perm.__key, IPC_PRIVATE);
		CHK(c, ds->msg_perm.mode, modes[i]);
	}
}

DIFF_CASE(msgget_create_lookup)
{
	struct msqid_ds *ds = &c->ds;

	umask(077);	/* must not apply */
	GET(c, K1, 0666, W_ERR(ENOENT));
	GET(c, K1, IPC_EXCL | 0666, W_ERR(ENOENT));
	GET(c, K1, IPC_CREAT | 0666, W_RET(0));
	STAT(c, 0, W_RET(0));
	CHK(c, ds->msg_perm.__key, K1);
	CHK(c, ds->msg_perm.uid, geteuid());
	CHK(c, ds->msg_perm.gid, getegid());
	CHK(c, ds->msg_perm.cuid, geteuid());
	CHK(c, ds->msg_perm.cgid, getegid());
	CHK(c, ds->msg_perm.mode, 0666);
	CHK(c, ds->msg_perm.__seq, 0);
	CHK(c, ds->msg_stime, 0);
	CHK(c, ds->msg_rtime, 0);
	CHK(c, ds->msg_ctime >= c->t0 && ds->msg_ctime <= time(NULL), 1);
	CHK(c, ds->__msg_cbytes, 0);
	CHK(c, ds->msg_qnum, 0);
	CHK(c, ds->msg_qbytes, MSGMNB);
	CHK(c, ds->msg_lspid, 0);
	CHK(c, ds->msg_lrpid, 0);

	GET(c, K1, 0, W_RET(0));
	GET(c, K1, IPC_CREAT, W_RET(0));
	GET(c, K1, IPC_CREAT | 0666, W_RET(0));
	GET(c, K1, IPC_EXCL, W_RET(0));	/* EXCL means nothing alone */
	GET(c, K1, 0444, W_RET(0));
	GET(c, K1, IPC_CREAT | IPC_EXCL, W_ERR(EEXIST));
	GET(c, K1, IPC_CREAT | IPC_EXCL | 0666, W_ERR(EEXIST));
	/* Execute is requested too; only CAP_IPC_OWNER gets it. */
	GET(c, K1, IPC_CREAT | 0777,
	    if_cap(CAP_IPC_OWNER, W_RET(0), W_ERR(EACCES)));

	GET(c, K2, IPC_CREAT | IPC_EXCL | 0640, W_RET(1));
	STAT(c, 1, W_RET(0));
	CHK(c, ds->msg_perm.__key, K2);
	CHK(c, ds->msg_perm.mode, 0640);
	GET(c, K2, 0, W_RET(1));
	GET(c, K1, 0, W_RET(0));
}

static void perm_request_user(struct ctx *c, void *arg)
{
	struct msqid_ds *ds = &c->ds;

	GET(c, K2, 0, W_RET(1));		/* mode 000: nothing asked */
	GET(c, K2, IPC_CREAT, W_RET(1));
	GET(c, K2, 0400, W_ERR(EACCES));
	GET(c, K1, IPC_CREAT | 0777, W_ERR(EACCES));	/* x on 0666 */
	GET(c, K1, 0001, W_ERR(EACCES));
	GET(c, K1, IPC_CREAT | 0666, W_RET(0));
	GET(c, K1, 0222, W_RET(0));
	GET(c, K1, 0004, W_RET(0));
	GET(c, K3, 0600, W_ERR(EACCES));
	/* EEXIST is decided before permissions. */
	GET(c, K3, IPC_CREAT | IPC_EXCL | 0600, W_ERR(EEXIST));
	GET(c, K2, IPC_CREAT | IPC_EXCL, W_ERR(EEXIST));

	GET(c, K4, IPC_CREAT | 0640, W_RET(3));
	STAT(c, 3, W_RET(0));
	CHK(c, ds->msg_perm.uid, 1000);
	CHK(c, ds->msg_perm.gid, 1000);
	CHK(c, ds->msg_perm.cuid, 1000);
	CHK(c, ds->msg_perm.cgid, 1000);
	GET(c, K4, 0040, W_RET(3));	/* folded into "read", owner has it */
	GET(c, K4, 0001, W_ERR(EACCES));
	/* The owner class uses only the owner bits. */
	GET(c, K5, IPC_CREAT | 0077, W_RET(4));
	GET(c, K5, 0400, W_ERR(EACCES));
	GET(c, K5, 0004, W_ERR(EACCES));
}

DIFF_CASE(msgget_perm_request)
{
	need_uid_switch();
	GET(c, K1, IPC_CREAT | 0666, W_RET(0));
	GET(c, K2, IPC_CREAT | 0, W_RET(1));
	GET(c, K3, IPC_CREAT | 0600, W_RET(2));
	GET(c, K2, 0, W_RET(1));
	GET(c, K2, 0400, if_cap(CAP_IPC_OWNER, W_RET(1), W_ERR(EACCES)));
	AS_USER(c, 1000, perm_request_user, NULL);
	GET(c, K4, 0, W_RET(3));
	GET(c, K5, IPC_CREAT | IPC_EXCL, W_ERR(EEXIST));
}

DIFF_CASE(msgget_negative_key)
{
	key_t k = FTOK(c, t_umq_dir(), 0xab, W_SUCCESS);

	CHK(c, k < 0, 1);
	GET(c, k, IPC_CREAT | 0600, W_RET(0));
	STAT(c, 0, W_RET(0));
	CHK(c, c->ds.msg_perm.__key, k);
	GET(c, k, 0, W_RET(0));
	GET(c, k, IPC_CREAT | IPC_EXCL, W_ERR(EEXIST));
	GET(c, -1, IPC_CREAT | 0600, W_RET(1));
	GET(c, INT_MIN, IPC_CREAT | 0600, W_RET(2));
	STAT(c, 2, W_RET(0));
	CHK(c, c->ds.msg_perm.__key, INT_MIN);
	GET(c, -1, 0, W_RET(1));
	GET(c, -2, 0, W_ERR(ENOENT));
}

DIFF_CASE(msgget_enospc)
{
	LIMIT(c, "msgmni", 2, W_RET(0));
	CTL(c, 0, IPC_INFO, W_RET(0));
	CHK(c, c->mi.msgmni, 2);
	GET(c, IPC_PRIVATE, 0600, W_RET(0));
	GET(c, K1, IPC_CREAT | 0600, W_RET(1));
	GET(c, K2, IPC_CREAT | 0600, W_ERR(ENOSPC));
	GET(c, K2, IPC_CREAT | IPC_EXCL | 0600, W_ERR(ENOSPC));
	GET(c, IPC_PRIVATE, 0600, W_ERR(ENOSPC));
	/* Only creation is limited. */
	GET(c, K1, 0, W_RET(1));
	GET(c, K1, IPC_CREAT | 0600, W_RET(1));
	GET(c, K1, IPC_CREAT | IPC_EXCL, W_ERR(EEXIST));
	GET(c, K2, 0, W_ERR(ENOENT));
	RMID(c, 0, W_RET(0));
	GET(c, K2, IPC_CREAT | 0600, W_RET(2));

	LIMIT(c, "msgmni", 0, W_RET(0));
	GET(c, K1, 0, W_RET(1));
	GET(c, K1, IPC_CREAT | IPC_EXCL, W_ERR(EEXIST));
	GET(c, K3, IPC_CREAT | 0600, W_ERR(ENOSPC));
	GET(c, IPC_PRIVATE, 0600, W_ERR(ENOSPC));
	SND(c, 1, 1, 7, 3, IPC_NOWAIT, W_RET(0));
	LIMIT(c, "msgmni", 3, W_RET(0));
	GET(c, K3, IPC_CREAT | 0600, W_RET(3));
	GET(c, K4, IPC_CREAT | 0600, W_ERR(ENOSPC));
	LIMIT(c, "msgmni", 32768, W_RET(0));
	LIMIT(c, "msgmni", 32769, W_ERR(EINVAL));
	LIMIT(c, "msgmni", -1, W_ERR(EINVAL));
	GET(c, K4, IPC_CREAT | 0600, W_RET(4));
}

/* Create and remove a queue n times; every id, seq and stale id checked. */
static void churn(struct ctx *c, struct idmodel *m, int n)
{
	for (int i = 0; i < n; i++) {
		int id = GET(c, IPC_PRIVATE, 0600, W_RET(idm_alloc(m)));

		STAT(c, id, W_RET(0));
		CHK(c, c->ds.msg_perm.__seq, id >> IDX_SHIFT);
		if (id >> IDX_SHIFT)	/* the slot's previous id is stale */
			STAT(c, id - (1 << IDX_SHIFT), W_ERR(EINVAL));
		RMID(c, id, W_RET(0));
		idm_free(m, id);
	}
}

DIFF_CASE(msgget_id_churn)
{
	struct idmodel m = { .last = -1 };

	churn(c, &m, 70);
	int kept = GET(c, K1, IPC_CREAT | 0600, W_RET(idm_alloc(&m)));
	for (int i = 0; i < 3; i++)
		GET(c, IPC_PRIVATE, 0600, W_RET(idm_alloc(&m)));
	churn(c, &m, 70);
	RMID(c, kept, W_RET(0));
	idm_free(&m, kept);
	churn(c, &m, 70);
	STAT(c, kept, W_ERR(EINVAL));
}

/* ---- msgsnd -------------------------------------------------------------- */

DIFF_CASE(msgsnd_errors)
{
	struct msqid_ds *ds = &c->ds;
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));
	int gone = GET(c, IPC_PRIVATE, 0600, W_RET(1));

	RMID(c, gone, W_RET(0));
	/* mtype is read before anything is validated. */
	SND_NULL(c, -1, 5, 0, W_ERR(EFAULT));
	SND_NULL(c, q, 5, IPC_NOWAIT, W_ERR(EFAULT));
	SND_NULL(c, q, MSGMAX + 1, 0, W_ERR(EFAULT));
	SND(c, q, 1, 0, MSGMAX + 1, IPC_NOWAIT, W_ERR(EINVAL));
	SND(c, q, 1, 0, (size_t)-1, IPC_NOWAIT, W_ERR(EINVAL));
	SND(c, q, 1, 0, (size_t)SSIZE_MAX + 1, IPC_NOWAIT, W_ERR(EINVAL));
	SND(c, -1, 1, 0, 5, IPC_NOWAIT, W_ERR(EINVAL));
	SND(c, INT_MIN, 1, 0, 5, IPC_NOWAIT, W_ERR(EINVAL));
	SND(c, q, 0, 0, 5, IPC_NOWAIT, W_ERR(EINVAL));
	SND(c, q, -1, 0, 5, IPC_NOWAIT, W_ERR(EINVAL));
	SND(c, q, LONG_MIN, 0, 5, IPC_NOWAIT, W_ERR(EINVAL));
	SND(c, gone, 1, 0, 5, IPC_NOWAIT, W_ERR(EINVAL));
	SND(c, 5, 1, 0, 5, IPC_NOWAIT, W_ERR(EINVAL));	/* never used */
	SND(c, q + (1 << IDX_SHIFT), 1, 0, 5, IPC_NOWAIT, W_ERR(EINVAL));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 0);
	CHK(c, ds->msg_stime, 0);
	CHK(c, ds->msg_lspid, 0);

	SND(c, q, 1, 10, 0, 0, W_RET(0));
	SND(c, q, 2, 11, MSGMAX, 0, W_RET(0));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 2);
	CHK(c, ds->__msg_cbytes, MSGMAX);
	CHK(c, ds->msg_stime != 0, 1);
	CHK(c, pid_role(c, ds->msg_lspid), SELF);
	CHK(c, ds->msg_rtime, 0);
	CHK(c, ds->msg_lrpid, 0);

	SND(c, q, 3, 12, MSGMAX, IPC_NOWAIT, W_RET(0));	/* bytes full */
	SND(c, q, 3, 13, 1, IPC_NOWAIT, W_ERR(EAGAIN));
	SND(c, q, 3, 14, 0, IPC_NOWAIT, W_RET(0));	/* costs no byte */
	SND(c, q, LONG_MAX, 15, 0, IPC_NOWAIT, W_RET(0));
	/* Argument errors come before the capacity test. */
	SND(c, q, 3, 16, MSGMAX + 1, IPC_NOWAIT, W_ERR(EINVAL));
	SND(c, q, 0, 17, 1, IPC_NOWAIT, W_ERR(EINVAL));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 5);
	CHK(c, ds->__msg_cbytes, MSGMNB);
}

DIFF_CASE(msgsnd_capacity)
{
	struct msqid_ds *ds = &c->ds;
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));

	/* qbytes also counts messages: three zero-length ones fill 3. */
	SET_QBYTES(c, q, 3);
	for (int i = 0; i < 3; i++)
		SND(c, q, 1, i, 0, IPC_NOWAIT, W_RET(0));
	SND(c, q, 1, 3, 0, IPC_NOWAIT, W_ERR(EAGAIN));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 3);
	CHK(c, ds->__msg_cbytes, 0);
	RCV_GOT(c, q, 16, 0, IPC_NOWAIT, 0, 1, TAG_NONE);
	SND(c, q, 1, 5, 1, IPC_NOWAIT, W_RET(0));
	SND(c, q, 1, 6, 0, IPC_NOWAIT, W_ERR(EAGAIN));
	for (int i = 0; i < 3; i++)
		RCV(c, q, 16, 0, IPC_NOWAIT, W_SUCCESS);
	SND(c, q, 1, 7, 3, IPC_NOWAIT, W_RET(0));
	SND(c, q, 1, 8, 0, IPC_NOWAIT, W_RET(0));
	SND(c, q, 1, 9, 1, IPC_NOWAIT, W_ERR(EAGAIN));

	int q2 = GET(c, IPC_PRIVATE, 0600, W_RET(1));
	SET_QBYTES(c, q2, 0);		/* nothing ever fits */
	SND(c, q2, 1, 0, 0, IPC_NOWAIT, W_ERR(EAGAIN));
	SND(c, q2, 1, 0, 1, IPC_NOWAIT, W_ERR(EAGAIN));

	/* Bigger than qbytes but not than msgmax: EAGAIN, not EINVAL. */
	int q3 = GET(c, IPC_PRIVATE, 0600, W_RET(2));
	SET_QBYTES(c, q3, 10);
	SND(c, q3, 1, 20, 11, IPC_NOWAIT, W_ERR(EAGAIN));
	SND(c, q3, 1, 21, 10, IPC_NOWAIT, W_RET(0));
	/* Lowering qbytes under the content keeps the messages. */
	SET_QBYTES(c, q3, 5);
	STAT(c, q3, W_RET(0));
	CHK(c, ds->msg_qbytes, 5);
	CHK(c, ds->msg_qnum, 1);
	CHK(c, ds->__msg_cbytes, 10);
	SND(c, q3, 1, 22, 0, IPC_NOWAIT, W_ERR(EAGAIN));
	RCV_GOT(c, q3, 16, 0, IPC_NOWAIT, 10, 1, 21);
	SND(c, q3, 1, 23, 5, IPC_NOWAIT, W_RET(0));
}

static void snd_perm_user(struct ctx *c, void *arg)
{
	SND(c, 0, 1, 1, 4, IPC_NOWAIT, W_ERR(EACCES));
	SND(c, 2, 1, 1, 4, IPC_NOWAIT, W_ERR(EACCES));	/* before EAGAIN */
	SND(c, 0, 0, 1, 4, IPC_NOWAIT, W_ERR(EINVAL));	/* before EACCES */
	SND(c, 0, 1, 1, MSGMAX + 1, IPC_NOWAIT, W_ERR(EINVAL));
	SND(c, 1, 2, 3, 6, IPC_NOWAIT, W_RET(0));
	RCV(c, 1, 64, 0, IPC_NOWAIT, W_ERR(EACCES));
	STAT(c, 1, W_ERR(EACCES));
	STAT(c, 0, W_RET(0));
}

DIFF_CASE(msgsnd_perm)
{
	struct msqid_ds *ds = &c->ds;

	need_uid_switch();
	GET(c, K1, IPC_CREAT | 0644, W_RET(0));
	GET(c, K2, IPC_CREAT | 0622, W_RET(1));
	GET(c, K3, IPC_CREAT | 0644, W_RET(2));
	SET_QBYTES(c, 2, 0);
	int user = AS_USER(c, 1000, snd_perm_user, NULL);
	STAT(c, 1, W_RET(0));
	CHK(c, ds->msg_qnum, 1);
	CHK(c, pid_role(c, ds->msg_lspid), user);
	GET(c, K4, IPC_CREAT | 0, W_RET(3));
	SND(c, 3, 1, 1, 1, IPC_NOWAIT,
	    if_cap(CAP_IPC_OWNER, W_RET(0), W_ERR(EACCES)));
}

/* ---- msgrcv -------------------------------------------------------------- */

/* Queue messages of the given types, tagged first, first+1, ...; len = tag+1. */
static void fill(struct ctx *c, int q, const long *types, int n, int first)
{
	for (int i = 0; i < n; i++)
		SND(c, q, types[i], first + i, first + i + 1, IPC_NOWAIT,
		    W_RET(0));
}

DIFF_CASE(msgrcv_selectors)
{
	static const long t1[] = { 3, 2, 5, 2, 1, 4 };
	static const long t2[] = { 7, 3, 9, 3, LONG_MAX };
	static const long t3[] = { 2, 1, 1 };
	struct msqid_ds *ds = &c->ds;
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));
	const int nw = IPC_NOWAIT;

	fill(c, q, t1, 6, 0);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 6);
	CHK(c, ds->__msg_cbytes, 21);
	RCV_GOT(c, q, 64, -2, nw, 5, 1, 4);	/* lowest type <= 2 */
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 5);
	CHK(c, ds->__msg_cbytes, 16);
	CHK(c, ds->msg_rtime != 0, 1);
	CHK(c, pid_role(c, ds->msg_lrpid), SELF);
	RCV_GOT(c, q, 64, -2, nw, 2, 2, 1);	/* oldest of the ties */
	RCV(c, q, 64, -1, nw, W_ERR(ENOMSG));
	RCV_GOT(c, q, 64, 0, nw | MSG_EXCEPT, 1, 3, 0);	/* EXCEPT ignored */
	RCV_GOT(c, q, 64, 5, nw | MSG_EXCEPT, 4, 2, 3);
	RCV_GOT(c, q, 64, -10, nw | MSG_EXCEPT, 6, 4, 5);
	RCV(c, q, 64, 4, nw, W_ERR(ENOMSG));
	RCV(c, q, 64, 5, nw | MSG_EXCEPT, W_ERR(ENOMSG));
	RCV_GOT(c, q, 64, 5, nw, 3, 5, 2);
	RCV(c, q, 64, 0, nw, W_ERR(ENOMSG));
	RCV(c, q, 64, -5, nw, W_ERR(ENOMSG));
	RCV(c, q, 64, LONG_MIN, nw, W_ERR(ENOMSG));
	RCV(c, q, 64, 3, nw | MSG_EXCEPT, W_ERR(ENOMSG));

	fill(c, q, t2, 5, 10);
	RCV_GOT(c, q, 64, LONG_MIN, nw, 12, 3, 11);	/* "any lowest" */
	RCV_GOT(c, q, 64, -LONG_MAX, nw, 14, 3, 13);
	RCV_GOT(c, q, 64, 7, nw | MSG_EXCEPT, 13, 9, 12);
	RCV_GOT(c, q, 64, LONG_MAX, nw, 15, LONG_MAX, 14);
	RCV(c, q, 64, -6, nw, W_ERR(ENOMSG));
	RCV_GOT(c, q, 64, -7, nw, 11, 7, 10);

	fill(c, q, t3, 3, 20);
	RCV_GOT(c, q, 64, -3, nw, 22, 1, 21);
	RCV_GOT(c, q, 64, 1, nw | MSG_EXCEPT, 21, 2, 20);
	RCV_GOT(c, q, 64, -1, nw, 23, 1, 22);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 0);
	CHK(c, ds->__msg_cbytes, 0);
}

DIFF_CASE(msgrcv_sizes)
{
	struct msqid_ds *ds = &c->ds;
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));
	int gone = GET(c, IPC_PRIVATE, 0600, W_RET(1));
	const int nw = IPC_NOWAIT;

	RMID(c, gone, W_RET(0));
	SND(c, q, 1, 30, 10, nw, W_RET(0));
	RCV(c, q, 5, 0, nw, W_ERR(E2BIG));
	RCV(c, q, 9, 1, nw, W_ERR(E2BIG));
	RCV(c, q, 0, -5, nw, W_ERR(E2BIG));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 1);
	CHK(c, ds->__msg_cbytes, 10);
	CHK(c, ds->msg_rtime, 0);
	CHK(c, ds->msg_lrpid, 0);
	RCV_GOT(c, q, 5, 0, nw | MSG_NOERROR, 5, 1, 30);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 0);
	CHK(c, ds->__msg_cbytes, 0);
	CHK(c, ds->msg_rtime != 0, 1);
	CHK(c, pid_role(c, ds->msg_lrpid), SELF);

	SND(c, q, 2, 31, 10, nw, W_RET(0));
	RCV_GOT(c, q, 10, 0, nw, 10, 2, 31);
	SND(c, q, 2, 32, 0, nw, W_RET(0));
	RCV_GOT(c, q, 0, 0, nw, 0, 2, TAG_NONE);
	SND(c, q, 3, 33, 1, nw, W_RET(0));
	RCV(c, q, 0, 0, nw, W_ERR(E2BIG));
	RCV_GOT(c, q, 0, 0, nw | MSG_NOERROR, 0, 3, TAG_NONE);

	/* A too-big first match blocks that selector; others still work. */
	SND(c, q, 1, 34, 20, nw, W_RET(0));
	SND(c, q, 2, 35, 2, nw, W_RET(0));
	RCV(c, q, 4, 0, nw, W_ERR(E2BIG));
	RCV_GOT(c, q, 4, 2, nw, 2, 2, 35);
	RCV(c, q, 4, -9, nw, W_ERR(E2BIG));
	RCV_GOT(c, q, 100, 0, nw, 20, 1, 34);
	RCV(c, q, 64, 0, nw, W_ERR(ENOMSG));
	RCV(c, q, 64, 7, nw, W_ERR(ENOMSG));

	SND(c, q, 1, 36, 3, nw, W_RET(0));
	RCV(c, -1, 64, 0, nw, W_ERR(EINVAL));
	RCV(c, INT_MIN, 64, 0, nw, W_ERR(EINVAL));
	RCV(c, q, (size_t)-1, 0, nw, W_ERR(EINVAL));
	RCV(c, q, (size_t)SSIZE_MAX + 1, 0, nw, W_ERR(EINVAL));
	RCV(c, gone, 64, 0, nw, W_ERR(EINVAL));
	RCV(c, 7, 64, 0, nw, W_ERR(EINVAL));
	RCV(c, q + (1 << IDX_SHIFT), 64, 0, nw, W_ERR(EINVAL));
	/* No upper bound on msgsz: only the message's bytes are copied. */
	RCV_GOT(c, q, SSIZE_MAX, 0, nw, 3, 1, 36);
	RCV(c, q, (size_t)-1, 0, nw, W_ERR(EINVAL));	/* before ENOMSG */
}

DIFF_CASE(msgrcv_copy)
{
	static const long types[] = { 1, 2, 3 };
	struct msqid_ds *ds = &c->ds;
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));
	const int cp = MSG_COPY | IPC_NOWAIT;

	fill(c, q, types, 3, 40);	/* lengths 41, 42, 43 */
	RCV_GOT(c, q, 64, 0, cp, 41, 1, 40);
	RCV_GOT(c, q, 64, 1, cp, 42, 2, 41);
	RCV_GOT(c, q, 64, 2, cp, 43, 3, 42);
	RCV_GOT(c, q, 64, 0, cp, 41, 1, 40);	/* nothing was removed */
	RCV(c, q, 64, 3, cp, W_ERR(ENOMSG));
	RCV(c, q, 64, -1, cp, W_ERR(ENOMSG));
	RCV(c, q, 64, 0, MSG_COPY, W_ERR(EINVAL));
	RCV(c, q, 64, 1, cp | MSG_EXCEPT, W_ERR(EINVAL));
	RCV(c, q, 10, 1, cp, W_ERR(E2BIG));
	RCV(c, q, 10, 1, cp | MSG_NOERROR, W_ERR(EINVAL));	/* no truncation */
	RCV_GOT(c, q, 64, 1, cp | MSG_NOERROR, 42, 2, 41);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 3);
	CHK(c, ds->__msg_cbytes, 126);
	CHK(c, ds->msg_rtime, 0);
	CHK(c, ds->msg_lrpid, 0);

	RCV_GOT(c, q, 64, 0, IPC_NOWAIT, 41, 1, 40);
	RCV_GOT(c, q, 64, 0, cp, 42, 2, 41);	/* positions moved up */
	RCV(c, q, 64, 2, cp, W_ERR(ENOMSG));
	RCV_GOT(c, q, 64, 0, IPC_NOWAIT, 42, 2, 41);
	RCV_GOT(c, q, 64, 0, IPC_NOWAIT, 43, 3, 42);
	RCV(c, q, 64, 0, cp, W_ERR(ENOMSG));
	RCV(c, q, 64, 0, MSG_COPY, W_ERR(EINVAL));	/* never blocks */
	RCV(c, -1, 64, 0, MSG_COPY, W_ERR(EINVAL));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 0);
	CHK(c, pid_role(c, ds->msg_lrpid), SELF);
}

static void rcv_perm_user(struct ctx *c, void *arg)
{
	RCV(c, 0, 64, 0, IPC_NOWAIT, W_ERR(EACCES));
	RCV(c, 0, 64, 0, IPC_NOWAIT | MSG_COPY, W_ERR(EACCES));
	RCV(c, 2, 64, 0, IPC_NOWAIT, W_ERR(EACCES));	/* before ENOMSG */
	RCV(c, 0, (size_t)-1, 0, IPC_NOWAIT, W_ERR(EINVAL));
	RCV_GOT(c, 1, 64, 0, IPC_NOWAIT, 6, 1, 5);
	STAT(c, 1, W_RET(0));
	CHK(c, pid_role(c, c->ds.msg_lrpid), c->tr->nroles);
}

DIFF_CASE(msgrcv_perm)
{
	struct msqid_ds *ds = &c->ds;

	need_uid_switch();
	GET(c, K1, IPC_CREAT | 0622, W_RET(0));
	GET(c, K2, IPC_CREAT | 0644, W_RET(1));
	GET(c, K3, IPC_CREAT | 0600, W_RET(2));
	SND(c, 0, 1, 4, 4, IPC_NOWAIT, W_RET(0));
	SND(c, 1, 1, 5, 6, IPC_NOWAIT, W_RET(0));
	int user = AS_USER(c, 1000, rcv_perm_user, NULL);
	STAT(c, 1, W_RET(0));
	CHK(c, ds->msg_qnum, 0);
	CHK(c, pid_role(c, ds->msg_lrpid), user);
	STAT(c, 0, W_RET(0));
	CHK(c, ds->msg_qnum, 1);
	CHK(c, ds->msg_lrpid, 0);
}

struct mmsg {
	long type;
	int tag, len;
};

/* Which queued message a selector takes (spec A7), or -1. */
static int model_find(const struct mmsg *q, int n, long typ, int flg)
{
	int best = -1;

	if (flg & MSG_COPY)
		return typ >= 0 && typ < n ? typ : -1;
	if (typ == 0)
		return n ? 0 : -1;
	if (typ < 0) {
		long lim = typ == LONG_MIN ? LONG_MAX : -typ;

		for (int i = 0; i < n; i++)
			if (q[i].type <= lim &&
			    (best < 0 || q[i].type < q[best].type))
				best = i;
		return best;
	}
	for (int i = 0; i < n; i++)
		if ((q[i].type == typ) != !!(flg & MSG_EXCEPT))
			return i;
	return -1;
}

static void random_selector(uint64_t *s, long *typ, int *flg)
{
	*flg = IPC_NOWAIT;
	switch (RND(s, 6)) {
	case 0:
		*typ = 0;
		break;
	case 1:
		*typ = 1 + RND(s, 9);
		break;
	case 2:
		*typ = -(1 + RND(s, 9));
		break;
	case 3:
		*typ = 1 + RND(s, 9);
		*flg |= MSG_EXCEPT;
		break;
	case 4:
		*typ = RND(s, 2) ? LONG_MIN : -RND(s, 9);
		*flg |= MSG_EXCEPT;	/* ignored for typ <= 0 */
		break;
	default:
		*typ = RND(s, 5) - 1;
		*flg |= MSG_COPY;
	}
}

/* Receive with one selector and check the result against the model. */
static void model_rcv(struct ctx *c, int id, struct mmsg *q, int *n,
		      uint64_t *s)
{
	long typ;
	int flg;

	random_selector(s, &typ, &flg);
	size_t sz = RND(s, 3) ? 64 : RND(s, 12);
	if (!(flg & MSG_COPY) && RND(s, 2))
		flg |= MSG_NOERROR;
	int i = model_find(q, *n, typ, flg);
	if (i < 0) {
		RCV(c, id, sz, typ, flg, W_ERR(ENOMSG));
		return;
	}
	int len = q[i].len;
	if (sz < (size_t)len && !(flg & MSG_NOERROR)) {
		RCV(c, id, sz, typ, flg, W_ERR(E2BIG));
		return;
	}
	len = sz < (size_t)len ? (int)sz : len;
	d_rcv_buf(c, __LINE__, id, &rbuf, sz, typ, flg, W_RET(len), q[i].type,
		  len ? q[i].tag : TAG_NONE);
	if (!(flg & MSG_COPY))
		memmove(&q[i], &q[i + 1], (--*n - i) * sizeof(*q));
}

DIFF_CASE(msgrcv_random_order)
{
	struct mmsg q[200];
	uint64_t s = 0x5eed;
	int n = 0, bytes = 0, id = GET(c, IPC_PRIVATE, 0600, W_RET(0));

	for (; n < 200; n++) {
		q[n].type = 1 + RND(&s, 8);
		q[n].len = RND(&s, 24);
		q[n].tag = n;
		bytes += q[n].len;
		SND(c, id, q[n].type, n, q[n].len, IPC_NOWAIT, W_RET(0));
	}
	STAT(c, id, W_RET(0));
	CHK(c, c->ds.msg_qnum, 200);
	CHK(c, c->ds.__msg_cbytes, bytes);
	for (int i = 0; i < 5000 && n; i++)
		model_rcv(c, id, q, &n, &s);
	CHK(c, n, 0);
	STAT(c, id, W_RET(0));
	CHK(c, c->ds.msg_qnum, 0);
}

/* Lost in copy-out: a receive into a bad buffer has dequeued already. */
DIFF_CASE(msgrcv_efault)
{
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));

	SND(c, q, 1, 50, 4, IPC_NOWAIT, W_RET(0));
	SND(c, q, 2, 51, 4, IPC_NOWAIT, W_RET(0));
	RCV_NULL(c, q, 16, 0, IPC_NOWAIT, W_ERR(EFAULT));
	STAT(c, q, W_RET(0));
	CHK(c, c->ds.msg_qnum, 1);
	RCV_GOT(c, q, 16, 0, IPC_NOWAIT, 4, 2, 51);
	RCV_NULL(c, q, 16, 5, IPC_NOWAIT, W_ERR(ENOMSG));
	/* MSG_COPY reads the buffer first, even before the id lookup. */
	SND(c, q, 3, 52, 4, IPC_NOWAIT, W_RET(0));
	RCV_NULL(c, q, 16, 0, MSG_COPY | IPC_NOWAIT, W_ERR(EFAULT));
	RCV_NULL(c, 7, 16, 0, MSG_COPY | IPC_NOWAIT, W_ERR(EFAULT));
	STAT(c, q, W_RET(0));
	CHK(c, c->ds.msg_qnum, 1);
}

/* ---- Blocked callers ----------------------------------------------------- */

DIFF_CASE(block_handoff)
{
	struct msqid_ds *ds = &c->ds;
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));
	pid_t r = BG_RCV_GOT(c, q, 64, 0, 0, 5, 1, 1);

	SND(c, q, 1, 1, 5, 0, W_RET(0));
	bg_wait(r);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 0);
	CHK(c, ds->__msg_cbytes, 0);
	CHK(c, pid_role(c, ds->msg_lspid), SELF);
	CHK(c, pid_role(c, ds->msg_lrpid), pid_role(c, r));
	CHK(c, ds->msg_rtime != 0, 1);
	CTL(c, 0, MSG_INFO, W_RET(0));
	CHK(c, c->mi.msgmap, 0);

	/* Receivers are served in the order they blocked, by selector. */
	pid_t r1 = BG_RCV_GOT(c, q, 64, 2, 0, 3, 2, 11);
	pid_t r2 = BG_RCV_GOT(c, q, 64, 0, 0, 2, 1, 10);
	pid_t r3 = BG_RCV_GOT(c, q, 64, 0, 0, 4, 3, 12);
	pid_t r4 = BG_RCV_GOT(c, q, 64, 1, MSG_EXCEPT, 5, 5, 13);
	SND(c, q, 1, 10, 2, 0, W_RET(0));
	SND(c, q, 2, 11, 3, 0, W_RET(0));
	SND(c, q, 3, 12, 4, 0, W_RET(0));
	SND(c, q, 1, 14, 1, 0, W_RET(0));	/* matches nobody: queued */
	SND(c, q, 5, 13, 5, 0, W_RET(0));
	bg_wait(r1);
	bg_wait(r2);
	bg_wait(r3);
	bg_wait(r4);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 1);
	CHK(c, ds->__msg_cbytes, 1);
	CHK(c, pid_role(c, ds->msg_lrpid), pid_role(c, r4));
}

DIFF_CASE(block_e2big)
{
	struct msqid_ds *ds = &c->ds;
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));

	/* One send fails every matching receiver too small for it. */
	pid_t r1 = BG_RCV(c, q, 2, 0, 0, W_ERR(E2BIG));
	pid_t r2 = BG_RCV(c, q, 4, 0, 0, W_ERR(E2BIG));
	pid_t r3 = BG_RCV_GOT(c, q, 64, 0, 0, 10, 1, 20);
	SND(c, q, 1, 20, 10, 0, W_RET(0));
	bg_wait(r1);
	bg_wait(r2);
	bg_wait(r3);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 0);
	CHK(c, pid_role(c, ds->msg_lrpid), pid_role(c, r3));

	pid_t r4 = BG_RCV(c, q, 2, 0, 0, W_ERR(E2BIG));
	SND(c, q, 1, 21, 10, 0, W_RET(0));	/* then it is queued */
	bg_wait(r4);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 1);
	CHK(c, pid_role(c, ds->msg_lrpid), pid_role(c, r3));
	pid_t r5 = BG_RCV_GOT(c, q, 2, 2, MSG_NOERROR, 2, 2, 22);
	SND(c, q, 2, 22, 10, 0, W_RET(0));
	bg_wait(r5);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 1);
	CHK(c, pid_role(c, ds->msg_lrpid), pid_role(c, r5));
}

DIFF_CASE(block_sender)
{
	struct msqid_ds *ds = &c->ds;
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));

	SET_QBYTES(c, q, 10);
	SND(c, q, 1, 40, 10, IPC_NOWAIT, W_RET(0));
	pid_t s = BG_SND(c, q, 2, 41, 5, 0, W_RET(0));
	RCV_GOT(c, q, 64, 0, IPC_NOWAIT, 10, 1, 40);
	bg_wait(s);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 1);
	CHK(c, ds->__msg_cbytes, 5);
	CHK(c, pid_role(c, ds->msg_lspid), pid_role(c, s));
	RCV_GOT(c, q, 64, 0, IPC_NOWAIT, 5, 2, 41);
}

DIFF_CASE(block_rmid)
{
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));

	SET_QBYTES(c, q, 0);
	pid_t r = BG_RCV(c, q, 64, 0, 0, W_ERR(EIDRM));
	/* Full is full, even with a receiver waiting for this message. */
	SND(c, q, 1, 30, 0, IPC_NOWAIT, W_ERR(EAGAIN));
	pid_t s = BG_SND(c, q, 1, 31, 4, 0, W_ERR(EIDRM));
	RMID(c, q, W_RET(0));
	bg_wait(r);
	bg_wait(s);
	GET(c, IPC_PRIVATE, 0600, W_RET(1));
}

DIFF_CASE(block_signals)
{
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));
	int full = GET(c, IPC_PRIVATE, 0600, W_RET(1));

	/* A handler means EINTR, even with SA_RESTART. */
	pid_t r = BG_RCV(c, q, 64, 0, 0, W_ERR(EINTR));
	kill(r, SIGUSR1);
	bg_wait(r);
	SET_QBYTES(c, full, 0);
	pid_t s = BG_SND(c, full, 1, 50, 1, 0, W_ERR(EINTR));
	kill(s, SIGUSR1);
	bg_wait(s);
	STAT(c, full, W_RET(0));
	CHK(c, c->ds.msg_lspid, 0);
	/* Without a handler the call goes on. */
	pid_t r2 = BG_RCV_GOT(c, q, 64, 0, 0, 3, 1, 51);
	bg_stop_cont(r2);
	SND(c, q, 1, 51, 3, 0, W_RET(0));
	bg_wait(r2);
	STAT(c, q, W_RET(0));
	CHK(c, c->ds.msg_qnum, 0);
}

DIFF_CASE(block_ipc_set)
{
	int q = GET(c, K1, IPC_CREAT | 0644, W_RET(0));

	need_uid_switch();
	/* IPC_SET makes blocked receivers check their permission again. */
	pid_t r = BG_RCV_AS(c, 1000, q, 64, 0, 0, W_ERR(EACCES));
	STAT_FOR_SET(c, q);
	c->set.msg_perm.mode = 0600;
	SET(c, q, W_RET(0));
	bg_wait(r);
	c->set.msg_perm.mode = 0644;
	SET(c, q, W_RET(0));
	pid_t r2 = BG_RCV_AS(c, 1000, q, 64, 0, 0, W_RET(6));
	c->set.msg_qbytes = 100;
	SET(c, q, W_RET(0));		/* still readable: it waits on */
	SND(c, q, 1, 60, 6, 0, W_RET(0));
	bg_wait(r2);
	STAT(c, q, W_RET(0));
	CHK(c, c->ds.msg_qnum, 0);
	CHK(c, pid_role(c, c->ds.msg_lrpid), pid_role(c, r2));
}

/* ---- msgctl -------------------------------------------------------------- */

DIFF_CASE(msgctl_errors)
{
	static const int bad_cmds[] = { -1, INT_MIN, 4, 10, 14, 99,
					IPC_STAT | 0x100 };
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));

	STAT_FOR_SET(c, q);
	static const int cmds[] = { IPC_STAT, IPC_SET, IPC_RMID, IPC_INFO,
				    MSG_INFO, MSG_STAT, MSG_STAT_ANY };
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		CTL(c, -1, cmds[i], W_ERR(EINVAL));
	for (size_t i = 0; i < sizeof(bad_cmds) / sizeof(bad_cmds[0]); i++)
		CTL(c, q, bad_cmds[i], W_ERR(EINVAL));
	STAT(c, 7, W_ERR(EINVAL));
	STAT(c, q + (1 << IDX_SHIFT), W_ERR(EINVAL));
	SET(c, 7, W_ERR(EINVAL));
	RMID(c, 7, W_ERR(EINVAL));
	/* IPC_STAT writes buf last, IPC_SET reads it first. */
	CTL_NULL(c, 7, IPC_STAT, W_ERR(EINVAL));
	CTL_NULL(c, q, IPC_STAT, W_ERR(EFAULT));
	CTL_NULL(c, 7, IPC_SET, W_ERR(EFAULT));
	CTL_NULL(c, q, IPC_SET, W_ERR(EFAULT));
	CTL_NULL(c, q, IPC_INFO, W_ERR(EFAULT));
	CTL_NULL(c, q, MSG_INFO, W_ERR(EFAULT));
	CTL_NULL(c, q, MSG_STAT, W_ERR(EFAULT));
	CTL_NULL(c, q, MSG_STAT_ANY, W_ERR(EFAULT));
	CTL_NULL(c, 5, MSG_STAT, W_ERR(EINVAL));
	CTL_NULL(c, 7, IPC_RMID, W_ERR(EINVAL));
	CTL_NULL(c, q, IPC_RMID, W_RET(0));	/* buf unused */
	STAT(c, q, W_ERR(EINVAL));
}

DIFF_CASE(msgctl_ipc_set)
{
	struct msqid_ds *ds = &c->ds, *set = &c->set;
	int q = GET(c, K1, IPC_CREAT | 0644, W_RET(0));
	struct want eperm = if_cap(CAP_SYS_RESOURCE, W_RET(0), W_ERR(EPERM));

	SND(c, q, 1, 60, 7, IPC_NOWAIT, W_RET(0));
	/* Only uid, gid, the low 9 mode bits and qbytes are taken. */
	STAT_FOR_SET(c, q);
	set->msg_perm.mode = 0170600;
	set->msg_perm.cuid = set->msg_perm.cgid = 4321;
	set->msg_perm.__key = 999;
	set->msg_perm.__seq = 77;
	set->msg_qnum = set->__msg_cbytes = 50;
	set->msg_stime = set->msg_rtime = set->msg_ctime = 1;
	set->msg_lspid = set->msg_lrpid = 1;
	set->msg_qbytes = 1000;
	SET(c, q, W_RET(0));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_perm.mode, 0600);
	CHK(c, ds->msg_perm.cuid, geteuid());
	CHK(c, ds->msg_perm.__key, K1);
	CHK(c, ds->msg_perm.__seq, 0);
	CHK(c, ds->msg_qnum, 1);
	CHK(c, ds->__msg_cbytes, 7);
	CHK(c, ds->msg_rtime, 0);
	CHK(c, pid_role(c, ds->msg_lspid), SELF);
	CHK(c, ds->msg_lrpid, 0);
	CHK(c, ds->msg_qbytes, 1000);

	/* qbytes: 32-bit truncation, then compared with msgmnb. */
	STAT_FOR_SET(c, q);
	set->msg_qbytes = MSGMNB + 1;
	SET(c, q, eperm);
	set->msg_qbytes = (1UL << 32) + 5;
	SET(c, q, W_RET(0));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qbytes, 5);
	set->msg_qbytes = 1UL << 31;
	SET(c, q, eperm);
	set->msg_qbytes = ULONG_MAX;
	SET(c, q, eperm);
	set->msg_qbytes = 1UL << 32;
	SET(c, q, W_RET(0));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qbytes, 0);
	SND(c, q, 1, 61, 0, IPC_NOWAIT, W_ERR(EAGAIN));
	set->msg_qbytes = MSGMNB;	/* raising back up to msgmnb is fine */
	SET(c, q, W_RET(0));

	/* There is no "-1 = unchanged"; qbytes is checked before ids. */
	set->msg_perm.uid = (uid_t)-1;
	SET(c, q, W_ERR(EINVAL));
	set->msg_qbytes = MSGMNB + 1;
	SET(c, q, if_cap(CAP_SYS_RESOURCE, W_ERR(EINVAL), W_ERR(EPERM)));
	STAT_FOR_SET(c, q);
	set->msg_perm.gid = (gid_t)-1;
	SET(c, q, W_ERR(EINVAL));
	set->msg_perm.gid = 1000;
	set->msg_perm.uid = 1000;
	SET(c, q, W_RET(0));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_perm.uid, 1000);
	CHK(c, ds->msg_perm.gid, 1000);
	CHK(c, ds->msg_perm.cuid, geteuid());
	CHK(c, ds->msg_perm.cgid, getegid());
	set->msg_perm.uid = set->msg_perm.gid = 0;
	SET(c, q, W_RET(0));
}

static void owner_other(struct ctx *c, void *arg)
{
	memset(&c->set, 0, sizeof(c->set));
	c->set.msg_perm.uid = 1001;
	c->set.msg_perm.mode = 0666;
	c->set.msg_qbytes = 100;
	STAT(c, 0, W_ERR(EACCES));
	SET(c, 0, W_ERR(EPERM));
	RMID(c, 0, W_ERR(EPERM));
	SET(c, 1, W_ERR(EPERM));	/* owned by 1000, not by us */
	CTL_NULL(c, 0, IPC_SET, W_ERR(EFAULT));	/* before EPERM */
	RMID(c, 7, W_ERR(EINVAL));		/* before EPERM */
}

static void owner_1000(struct ctx *c, void *arg)
{
	/* Owner but not creator of 1 and 2. */
	SET_QBYTES(c, 1, 10);
	c->set.msg_qbytes = MSGMNB;
	SET(c, 1, W_RET(0));
	c->set.msg_qbytes = MSGMNB + 1;
	SET(c, 1, W_ERR(EPERM));
	c->set.msg_qbytes = MSGMNB;
	c->set.msg_perm.mode = 0640;
	c->set.msg_perm.uid = 1001;	/* give it away */
	SET(c, 1, W_RET(0));
	STAT(c, 1, W_RET(0));		/* as group 1000 now */
	SET(c, 1, W_ERR(EPERM));
	RMID(c, 2, W_RET(0));
	RMID(c, 0, W_ERR(EPERM));

	/* A creator keeps control after giving ownership away. */
	GET(c, K4, IPC_CREAT | 0600, W_RET(3));
	STAT_FOR_SET(c, 3);
	c->set.msg_perm.uid = c->set.msg_perm.gid = 2000;
	SET(c, 3, W_RET(0));
	STAT_FOR_SET(c, 3);
	CHK(c, c->ds.msg_perm.uid, 2000);
	CHK(c, c->ds.msg_perm.cuid, 1000);
	c->set.msg_perm.mode = 0;
	SET(c, 3, W_RET(0));
	RMID(c, 3, W_RET(0));
}

DIFF_CASE(msgctl_owner)
{
	struct msqid_ds *ds = &c->ds;

	need_uid_switch();
	GET(c, K1, IPC_CREAT | 0600, W_RET(0));
	for (int q = 1; q <= 2; q++) {
		GET(c, K1 + q, IPC_CREAT | 0600, W_RET(q));
		STAT_FOR_SET(c, q);
		c->set.msg_perm.uid = c->set.msg_perm.gid = 1000;
		SET(c, q, W_RET(0));
	}
	AS_USER(c, 1001, owner_other, NULL);
	AS_USER(c, 1000, owner_1000, NULL);
	STAT(c, 1, W_RET(0));
	CHK(c, ds->msg_perm.uid, 1001);
	CHK(c, ds->msg_perm.mode, 0640);
	CHK(c, ds->msg_qbytes, MSGMNB);
	STAT(c, 2, W_ERR(EINVAL));
	STAT(c, 3, W_ERR(EINVAL));

	/* The limit is msgmnb, so rewriting an untouched qbytes can fail. */
	LIMIT(c, "msgmnb", 1000, W_RET(0));
	STAT_FOR_SET(c, 0);
	c->set.msg_perm.mode = 0640;
	SET(c, 0, if_cap(CAP_SYS_RESOURCE, W_RET(0), W_ERR(EPERM)));
}

DIFF_CASE(msgctl_ctime)
{
	struct msqid_ds *ds = &c->ds;
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));

	STAT(c, q, W_RET(0));
	time_t ctime0 = ds->msg_ctime;
	CHK(c, ctime0 >= c->t0, 1);
	wait_until(c->t0 + 2);
	SND(c, q, 1, 70, 3, IPC_NOWAIT, W_RET(0));
	RCV(c, q, 64, 0, IPC_NOWAIT | MSG_COPY, W_RET(3));
	STAT_FOR_SET(c, q);
	CHK(c, ds->msg_ctime == ctime0, 1);	/* only IPC_SET moves it */
	CHK(c, ds->msg_stime >= c->t0 + 2, 1);
	CHK(c, ds->msg_rtime, 0);
	SET(c, q, W_RET(0));		/* changes nothing, still bumps */
	STAT(c, q, W_RET(0));
	time_t ctime1 = ds->msg_ctime;
	CHK(c, ctime1 >= c->t0 + 2, 1);
	wait_until(c->t0 + 4);
	c->set.msg_perm.uid = (uid_t)-1;
	SET(c, q, W_ERR(EINVAL));	/* a failed IPC_SET does not */
	RCV(c, q, 64, 0, IPC_NOWAIT, W_RET(3));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_ctime == ctime1, 1);
	CHK(c, ds->msg_rtime >= c->t0 + 4, 1);
}

DIFF_CASE(msgctl_rmid)
{
	int q = GET(c, K1, IPC_CREAT | 0600, W_RET(0));
	int other = GET(c, IPC_PRIVATE, 0600, W_RET(1));

	SND(c, q, 1, 80, 5, IPC_NOWAIT, W_RET(0));
	SND(c, q, 2, 81, 6, IPC_NOWAIT, W_RET(0));
	SND(c, other, 1, 82, 7, IPC_NOWAIT, W_RET(0));
	STAT_FOR_SET(c, q);
	RMID(c, q, W_RET(0));
	/* The old id is gone for good: EINVAL, never EIDRM. */
	SND(c, q, 1, 83, 1, IPC_NOWAIT, W_ERR(EINVAL));
	RCV(c, q, 64, 0, IPC_NOWAIT, W_ERR(EINVAL));
	RCV(c, q, 64, 0, IPC_NOWAIT | MSG_COPY, W_ERR(EINVAL));
	STAT(c, q, W_ERR(EINVAL));
	SET(c, q, W_ERR(EINVAL));
	RMID(c, q, W_ERR(EINVAL));
	CTL(c, q, MSG_STAT, W_ERR(EINVAL));
	/* The key is free at once and gets a new id. */
	GET(c, K1, 0, W_ERR(ENOENT));
	GET(c, K1, IPC_CREAT | 0600, W_RET(2));
	STAT(c, 2, W_RET(0));
	CHK(c, c->ds.msg_qnum, 0);
	CTL(c, 0, MSG_INFO, W_RET(2));
	CHK(c, c->mi.msgpool, 2);
	CHK(c, c->mi.msgmap, 1);
	CHK(c, c->mi.msgtql, 7);
	STAT(c, other, W_RET(0));
	CHK(c, c->ds.msg_qnum, 1);
}

/* IPC_INFO's constant fields (spec A8). */
static void chk_ipc_info(struct ctx *c)
{
	struct msginfo *mi = &c->mi;

	CHK(c, mi->msgpool, 512000);
	CHK(c, mi->msgmap, 16384);
	CHK(c, mi->msgssz, 16);
	CHK(c, mi->msgtql, 16384);
	CHK(c, mi->msgseg, 65535);
}

DIFF_CASE(msgctl_info)
{
	struct msginfo *mi = &c->mi;

	CTL(c, 0, IPC_INFO, W_RET(0));
	chk_ipc_info(c);
	CHK(c, mi->msgmax, MSGMAX);
	CHK(c, mi->msgmnb, MSGMNB);
	CHK(c, mi->msgmni, 32000);
	CTL(c, 0, MSG_INFO, W_RET(0));
	CHK(c, mi->msgpool, 0);
	CHK(c, mi->msgmap, 0);
	CHK(c, mi->msgtql, 0);
	CHK(c, mi->msgmax, MSGMAX);
	CHK(c, mi->msgssz, 16);
	CHK(c, mi->msgseg, 65535);

	for (int q = 0; q < 3; q++)
		GET(c, IPC_PRIVATE, 0600, W_RET(q));
	SND(c, 0, 1, 90, 5, IPC_NOWAIT, W_RET(0));
	SND(c, 0, 1, 91, 7, IPC_NOWAIT, W_RET(0));
	SND(c, 2, 1, 92, 0, IPC_NOWAIT, W_RET(0));
	RMID(c, 1, W_RET(0));
	CTL(c, 0, MSG_INFO, W_RET(2));	/* highest index in use */
	CHK(c, mi->msgpool, 2);
	CHK(c, mi->msgmap, 3);
	CHK(c, mi->msgtql, 12);
	CTL(c, 12345, IPC_INFO, W_RET(2));	/* msqid ignored */
	chk_ipc_info(c);

	LIMIT(c, "msgmax", 100, W_RET(0));
	LIMIT(c, "msgmnb", 200, W_RET(0));
	LIMIT(c, "msgmni", 5, W_RET(0));
	CTL(c, 0, IPC_INFO, W_RET(2));
	chk_ipc_info(c);
	CHK(c, mi->msgmax, 100);
	CHK(c, mi->msgmnb, 200);
	CHK(c, mi->msgmni, 5);
	RCV(c, 0, 64, 0, IPC_NOWAIT, W_RET(5));
	RMID(c, 2, W_RET(0));
	CTL(c, 0, MSG_INFO, W_RET(0));
	CHK(c, mi->msgpool, 1);
	CHK(c, mi->msgmap, 1);
	CHK(c, mi->msgtql, 7);
	CHK(c, mi->msgmnb, 200);
	RMID(c, 0, W_RET(0));
	CTL(c, 0, MSG_INFO, W_RET(0));
	CHK(c, mi->msgpool, 0);
}

static void msg_stat_user(struct ctx *c, void *arg)
{
	const int b = 1 << IDX_SHIFT | 1, z = 1 << IDX_SHIFT | 2;

	CTL(c, 1, MSG_STAT, W_ERR(EACCES));
	CTL(c, 1, MSG_STAT_ANY, W_RET(b));
	CHK(c, c->ds.msg_perm.mode, 0640);
	CTL(c, 2, MSG_STAT_ANY, W_RET(z));
	CTL(c, 3, MSG_STAT_ANY, W_ERR(EINVAL));
	CTL(c, 0, IPC_INFO, W_RET(2));
	CTL(c, 0, MSG_INFO, W_RET(2));
	CHK(c, c->mi.msgpool, 3);
}

DIFF_CASE(msgctl_msg_stat)
{
	const int b = 1 << IDX_SHIFT | 1, z = 1 << IDX_SHIFT | 2;
	struct idmodel m = { .last = -1 };

	need_uid_switch();
	GET(c, IPC_PRIVATE, 0600, W_RET(idm_alloc(&m)));
	churn(c, &m, 63);	/* indexes 1..63: the next ids have seq 1 */
	GET(c, K1, IPC_CREAT | 0640, W_RET(b));
	GET(c, K2, IPC_CREAT | 0, W_RET(z));

	CTL(c, 0, MSG_STAT, W_RET(0));
	CHK(c, c->ds.msg_perm.__key, IPC_PRIVATE);
	CTL(c, 1, MSG_STAT, W_RET(b));
	CHK(c, c->ds.msg_perm.__key, K1);
	CHK(c, c->ds.msg_perm.__seq, 1);
	/* Only the low 15 bits are an index. */
	CTL(c, 1 | 5 << IDX_SHIFT, MSG_STAT, W_RET(b));
	CTL(c, b, MSG_STAT, W_RET(b));
	CTL(c, 1 | 65535 << IDX_SHIFT, MSG_STAT, W_RET(b));
	CTL(c, 40000, MSG_STAT, W_ERR(EINVAL));	/* index 7232 */
	CTL(c, 3, MSG_STAT, W_ERR(EINVAL));
	CTL(c, 3, MSG_STAT_ANY, W_ERR(EINVAL));
	CTL(c, 1, MSG_STAT_ANY, W_RET(b));
	CTL(c, 2, MSG_STAT, if_cap(CAP_IPC_OWNER, W_RET(z), W_ERR(EACCES)));
	CTL(c, 1, IPC_STAT, W_ERR(EINVAL));	/* an index is not an id */
	CTL(c, 0, IPC_INFO, W_RET(2));
	AS_USER(c, 1000, msg_stat_user, NULL);
}

/* ---- Limits -------------------------------------------------------------- */

DIFF_CASE(limits)
{
	struct msqid_ds *ds = &c->ds;
	const int nw = IPC_NOWAIT;
	struct want eperm = if_cap(CAP_SYS_RESOURCE, W_RET(0), W_ERR(EPERM));

	GET(c, IPC_PRIVATE, 0600, W_RET(0));
	LIMIT(c, "msgmax", 100, W_RET(0));
	LIMIT(c, "msgmnb", 500, W_RET(0));
	GET(c, IPC_PRIVATE, 0600, W_RET(1));
	STAT(c, 1, W_RET(0));
	CHK(c, ds->msg_qbytes, 500);
	STAT(c, 0, W_RET(0));
	CHK(c, ds->msg_qbytes, MSGMNB);	/* old queues keep theirs */
	SND(c, 0, 1, 1, 101, nw, W_ERR(EINVAL));
	SND(c, 0, 1, 2, 100, nw, W_RET(0));
	SND(c, 1, 1, 3, 101, nw, W_ERR(EINVAL));
	STAT_FOR_SET(c, 1);
	c->set.msg_qbytes = 501;
	SET(c, 1, eperm);
	STAT_FOR_SET(c, 0);
	SET(c, 0, eperm);	/* its 16384 is above the new msgmnb */

	LIMIT(c, "msgmax", 0, W_RET(0));
	SND(c, 0, 1, 4, 0, nw, W_RET(0));
	SND(c, 0, 1, 5, 1, nw, W_ERR(EINVAL));
	LIMIT(c, "msgmax", 65536, W_RET(0));
	SND(c, 0, 9, 6, 9000, nw, W_RET(0));
	/* A shorter msgmax caps MSG_COPY's buffer, not normal receives. */
	LIMIT(c, "msgmax", 100, W_RET(0));
	RCV(c, 0, 65536, 2, nw | MSG_COPY, W_ERR(EINVAL));
	RCV_GOT(c, 0, 65536, 9, nw, 9000, 9, 6);

	LIMIT(c, "msgmnb", 0, W_RET(0));
	GET(c, IPC_PRIVATE, 0600, W_RET(2));
	SND(c, 2, 1, 7, 0, nw, W_ERR(EAGAIN));
	LIMIT(c, "msgmax", -1, W_ERR(EINVAL));
	LIMIT(c, "msgmnb", -1, W_ERR(EINVAL));
	LIMIT(c, "msgmax", (long)INT_MAX + 1, W_ERR(EINVAL));
	LIMIT(c, "msgmax", INT_MAX, W_RET(0));
	CTL(c, 0, IPC_INFO, W_RET(2));
	CHK(c, c->mi.msgmax, INT_MAX);
	CHK(c, c->mi.msgmnb, 0);
}

/* ---- Random operations ------------------------------------------------- */

#define RIDS 16

struct rstate {
	uint64_t s;
	int live[RIDS], nlive;
	int dead[RIDS], ndead;	/* removed ids; the oldest are dropped */
};

static int rnd_id(struct rstate *r)
{
	static const int strays[] = { -1, 0, 1, 5, 1 << IDX_SHIFT, 12345,
				      INT_MAX };
	long p = RND(&r->s, 100);

	if (r->nlive && p < 80)
		return r->live[RND(&r->s, r->nlive)];
	if (r->ndead && p < 90)
		return r->dead[RND(&r->s, r->ndead < RIDS ? r->ndead : RIDS)];
	return strays[RND(&r->s, sizeof(strays) / sizeof(strays[0]))];
}

/* Note that id exists, or has just been removed. */
static void track(struct rstate *r, int id, int removed)
{
	for (int i = 0; i < r->nlive; i++) {
		if (r->live[i] != id)
			continue;
		if (removed) {
			r->live[i] = r->live[--r->nlive];
			r->dead[r->ndead++ % RIDS] = id;
		}
		return;
	}
	if (!removed && r->nlive < RIDS)
		r->live[r->nlive++] = id;
}

static int rnd_get(struct ctx *c, struct rstate *r)
{
	static const key_t keys[] = { IPC_PRIVATE, K1, K2, K3 };
	static const int modes[] = { 0600, 0666, 0, 0444 };
	int flg = modes[RND(&r->s, 4)];

	flg |= RND(&r->s, 3) ? IPC_CREAT : 0;
	flg |= RND(&r->s, 4) ? 0 : IPC_EXCL;
	int id = GET(c, keys[RND(&r->s, 4)], flg, W_ANY);
	if (id >= 0)
		track(r, id, 0);
	return id;
}

static int rnd_snd(struct ctx *c, struct rstate *r)
{
	int id = rnd_id(r);
	long type = RND(&r->s, 20) ? 1 + RND(&r->s, 6) : -RND(&r->s, 2);
	size_t len = RND(&r->s, 5) ? RND(&r->s, 64) : RND(&r->s, 300);

	SND(c, id, type, RND(&r->s, 256), len, IPC_NOWAIT, W_ANY);
	return id;
}

static int rnd_rcv(struct ctx *c, struct rstate *r)
{
	int id = rnd_id(r), flg;
	long typ;

	random_selector(&r->s, &typ, &flg);
	flg |= RND(&r->s, 3) ? 0 : MSG_NOERROR;
	if ((flg & MSG_COPY) && !RND(&r->s, 10))
		flg &= ~IPC_NOWAIT;	/* EINVAL, it cannot block */
	RCV(c, id, RND(&r->s, 3) ? 64 + RND(&r->s, 240) : RND(&r->s, 16),
	    typ, flg, W_ANY);
	return id;
}

static void rnd_set(struct ctx *c, struct rstate *r, int id)
{
	static const unsigned long qbytes[] = { 0, 1, 3, 17, 100, 512, 1024,
						1025, (1UL << 32) + 9 };
	static const uid_t uids[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				      0, 0, 1000, (uid_t)-1 };

	memset(&c->set, 0, sizeof(c->set));
	c->b->ctl(id, IPC_STAT, &c->set);	/* recorded after the step */
	c->set.msg_perm.mode = RND(&r->s, 2) ? 0600 : RND(&r->s, 01000);
	c->set.msg_qbytes = RND(&r->s, 2) ? qbytes[RND(&r->s, 9)] :
			    (unsigned long)RND(&r->s, 1100);
	c->set.msg_perm.uid = uids[RND(&r->s, 16)];
	c->set.msg_perm.gid = uids[RND(&r->s, 16)];
	SET(c, id, W_ANY);
}

static int rnd_ctl(struct ctx *c, struct rstate *r)
{
	int id = rnd_id(r), cmd;

	switch (RND(&r->s, 16)) {
	case 0 ... 5:
		rnd_set(c, r, id);
		break;
	case 6 ... 9:
		if (!RMID(c, id, W_ANY))
			track(r, id, 1);
		break;
	case 10 ... 12:
		CTL(c, RND(&r->s, 2) ? id : RND(&r->s, 64),
		    RND(&r->s, 2) ? MSG_STAT : MSG_STAT_ANY, W_ANY);
		break;
	case 13:
		CTL(c, id, IPC_INFO, W_ANY);
		break;
	default:
		cmd = RND(&r->s, 20) - 5;
		if (!CTL(c, id, cmd, W_ANY) && cmd == IPC_RMID)
			track(r, id, 1);
	}
	return id;
}

/* ~2000 random non-blocking calls; every result and the touched queue. */
static void sc_random(struct ctx *c, void *arg)
{
	struct rstate r = { .s = *(uint64_t *)arg };

	LIMIT(c, "msgmni", 6, W_RET(0));
	LIMIT(c, "msgmax", 256, W_RET(0));
	LIMIT(c, "msgmnb", 1024, W_RET(0));
	for (int i = 0; i < 2000; i++) {
		long op = RND(&r.s, 100);
		int id = op < 10 ? rnd_get(c, &r) : op < 45 ? rnd_snd(c, &r) :
			 op < 80 ? rnd_rcv(c, &r) : rnd_ctl(c, &r);

		STAT(c, id, W_ANY);
		CTL(c, 0, MSG_INFO, W_ANY);
	}
	for (int i = 0; i < r.nlive; i++)
		STAT(c, r.live[i], W_ANY);
	CTL(c, 0, IPC_INFO, W_ANY);
}

static void random_case(uint64_t seed)
{
	t_note("seed %#llx (UMQ_SEED=%#llx reruns it)",
	       (unsigned long long)seed, (unsigned long long)seed);
	diff_run(sc_random, &seed);
}

T_CASE(random_fixed_seed)
{
	random_case(0x756d71);
}

T_CASE(random_env_seed)
{
	const char *s = getenv("UMQ_SEED");

	if (!s)
		t_skip("UMQ_SEED not set");
	random_case(strtoull(s, NULL, 0));
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
