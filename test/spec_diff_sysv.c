/* SPDX-License-Identifier: MIT */
/*
 * spec_diff_sysv.c - System V message queues, umq against the kernel:
 * what the kernel-semantics spec (part A) states and sysv_diff.c does not
 * compare.  Written from the spec alone, by someone who did not write
 * the library: flag bits a call must ignore, which errno wins when
 * several apply, long arguments whose high bits a 32-bit copy would lose,
 * msgmax/msgmnb boundaries (MSG_COPY's scratch buffer among them),
 * MSG_STAT's index, ids in a namespace of many queues, and the fields a
 * failed call must leave alone.  Users, processes and threads:
 * spec_diff_sysv_procs.c.
 *
 * Same machinery as sysv_diff.c (diff.h, trace.h): each case runs on the
 * kernel, in a private IPC namespace, and on umq, and every step must
 * meet the spec on both and agree between them.  Linked with libumq.so,
 * as programs load it.
 *
 *   build/test/spec_diff_sysv [case ...]
 *   UMQ_TRACE=1 build/test/spec_diff_sysv case	both traces in full
 *
 * The kernel against itself (every case must pass: the scenarios are
 * deterministic and say what the kernel does):
 *   gcc -D_GNU_SOURCE -DKERNEL_ONLY -Iinclude -std=gnu11 -pthread \
 *	-o /tmp/spec_diff_sysv test/spec_diff_sysv.c test/t.c test/trace.c
 */
/* diff.h's helpers are static, for each program: some are unused here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "diff.h"


#define K1 0x2001
#define K2 0x2002
#define K3 0x2003
#define K4 0x2004

#define MSGMAX 8192	/* the default of a fresh namespace */
#define IDX_SHIFT 15
#define HI32 (1L << 32)	/* lost by a copy into an int */
#define USER_UID 1000
#define NW IPC_NOWAIT

/* ---- Flag bits a call does not use (A4, A6, A7) -------------------------- */

DIFF_CASE(msgget_flag_bits)
{
	struct msqid_ds *ds = &c->ds;

	/* Only the low 9 bits are the mode; the rest is not looked at. */
	GET(c, K1, IPC_CREAT | 07777, W_RET(0));
	STAT(c, 0, W_RET(0));
	CHK(c, ds->msg_perm.mode, 0777);
	GET(c, K2, IPC_CREAT | NW | MSG_NOERROR | MSG_EXCEPT | MSG_COPY | 0640,
	    W_RET(1));
	STAT(c, 1, W_RET(0));
	CHK(c, ds->msg_perm.mode, 0640);
	GET(c, K2, NW, W_RET(1));
	GET(c, K2, MSG_COPY | MSG_EXCEPT | 0100000, W_RET(1));
	/* -1 is IPC_CREAT|IPC_EXCL with mode 0777. */
	GET(c, K3, -1, W_RET(2));
	STAT(c, 2, W_RET(0));
	CHK(c, ds->msg_perm.mode, 0777);
	GET(c, K3, -1, W_ERR(EEXIST));
	GET(c, K2, -1 & ~IPC_EXCL,
	    if_cap(CAP_IPC_OWNER, W_RET(1), W_ERR(EACCES)));
	GET(c, K4, INT_MIN, W_ERR(ENOENT));
	GET(c, K4, INT_MIN | IPC_CREAT | 0600, W_RET(3));
	STAT(c, 3, W_RET(0));
	CHK(c, ds->msg_perm.mode, 0600);
	GET(c, IPC_PRIVATE, -1, W_RET(4));
	STAT(c, 4, W_RET(0));
	CHK(c, ds->msg_perm.mode, 0777);
	CHK(c, ds->msg_perm.__key, IPC_PRIVATE);
}

DIFF_CASE(msgsnd_flag_bits)
{
	static const int flags[] = { MSG_EXCEPT, MSG_COPY, MSG_NOERROR,
				     IPC_CREAT | IPC_EXCL | 0777, 0100000,
				     -1, INT_MIN };
	const int n = sizeof(flags) / sizeof(flags[0]);
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));

	for (int i = 0; i < n; i++)
		SND(c, q, i + 1, i, 2, flags[i], W_RET(0));
	STAT(c, q, W_RET(0));
	CHK(c, c->ds.msg_qnum, n);
	SET_QBYTES(c, q, n);
	/* Full: only IPC_NOWAIT (in -1 too) decides; nothing else blocks. */
	SND(c, q, 1, 20, 0, -1, W_ERR(EAGAIN));
	SND(c, q, 1, 21, 0, MSG_COPY | MSG_EXCEPT | NW, W_ERR(EAGAIN));
	for (int i = 0; i < n; i++)
		RCV_GOT(c, q, 64, 0, NW, 2, i + 1, i);
}

DIFF_CASE(msgrcv_flag_bits)
{
	static const long types[] = { 1, 2, 3, 4 };
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));

	for (int i = 0; i < 4; i++)
		SND(c, q, types[i], 10 + i, 4, NW, W_RET(0));
	RCV_GOT(c, q, 64, 0, NW | IPC_CREAT | IPC_EXCL | 0777, 4, 1, 10);
	RCV_GOT(c, q, 64, 2, NW | 0100000 | 0777, 4, 2, 11);
	/* -1 has MSG_COPY and MSG_EXCEPT. */
	RCV(c, q, 64, 0, -1, W_ERR(EINVAL));
	/* Without MSG_COPY: MSG_EXCEPT|MSG_NOERROR|IPC_NOWAIT. */
	RCV_GOT(c, q, 2, 3, -1 & ~MSG_COPY, 2, 4, 13);
	/* Without MSG_EXCEPT: MSG_COPY of position 0, truncation refused. */
	RCV_GOT(c, q, 64, 0, -1 & ~MSG_EXCEPT, 4, 3, 12);
	RCV(c, q, 2, 0, -1 & ~MSG_EXCEPT, W_ERR(EINVAL));
	RCV_GOT(c, q, 64, 0, INT_MIN, 4, 3, 12);	/* a message: no wait */
}

/* ---- Which errno wins (A6, A7, A8) --------------------------------------- */

static void order_user(struct ctx *c, void *arg)
{
	struct msqid_ds *set = &c->set;

	/* 0: root's, mode 0600, a 10-byte message queued; 1: mode 0644. */
	RCV(c, 0, 1, 0, NW, W_ERR(EACCES));		/* before E2BIG */
	RCV(c, 0, 64, 5, NW, W_ERR(EACCES));		/* before ENOMSG */
	RCV(c, 0, 64, 0, NW | MSG_COPY, W_ERR(EACCES));
	RCV(c, 0, 64, 0, MSG_COPY, W_ERR(EINVAL));	/* before EACCES */
	RCV(c, 0, 64, 0, NW | MSG_COPY | MSG_EXCEPT, W_ERR(EINVAL));
	RCV(c, 0, (size_t)-1, 0, NW | MSG_COPY, W_ERR(EINVAL));
	SND(c, 1, 1, 1, 1, NW, W_ERR(EACCES));
	SND(c, 1, 1, 1, MSGMAX + 1, NW, W_ERR(EINVAL));
	/* Permission before the buffer is written. */
	CTL_NULL(c, 0, IPC_STAT, W_ERR(EACCES));
	CTL_NULL(c, 0, MSG_STAT, W_ERR(EACCES));
	CTL_NULL(c, 0, MSG_STAT_ANY, W_ERR(EFAULT));
	CTL_NULL(c, 99, MSG_STAT_ANY, W_ERR(EINVAL));
	CTL_NULL(c, 1, IPC_STAT, W_ERR(EFAULT));
	/* Ownership before qbytes and the ids. */
	memset(set, 0, sizeof(*set));
	set->msg_perm.uid = (uid_t)-1;
	set->msg_qbytes = ULONG_MAX;
	SET(c, 0, W_ERR(EPERM));
	CTL_NULL(c, 0, IPC_RMID, W_ERR(EPERM));
	CTL_NULL(c, 1, IPC_SET, W_ERR(EFAULT));
	/* msqid < 0 before the buffer, for the INFO commands too. */
	CTL_NULL(c, -1, IPC_INFO, W_ERR(EINVAL));
	CTL_NULL(c, -1, MSG_INFO, W_ERR(EINVAL));
	CTL_NULL(c, 0, IPC_INFO, W_ERR(EFAULT));
	CTL(c, 99, MSG_INFO, W_RET(1));
	CTL(c, INT_MAX, IPC_INFO, W_RET(1));
	STAT(c, 1, W_RET(0));
	CHK(c, c->ds.msg_qnum, 0);
}

DIFF_CASE(errno_order)
{
	need_uid_switch();
	GET(c, K1, IPC_CREAT | 0600, W_RET(0));
	GET(c, K2, IPC_CREAT | 0644, W_RET(1));
	SND(c, 0, 1, 5, 10, NW, W_RET(0));
	AS_USER(c, USER_UID, order_user, NULL);
	CTL_NULL(c, -1, 99, W_ERR(EINVAL));
	CTL_NULL(c, 0, 99, W_ERR(EINVAL));
	CTL_NULL(c, 7, IPC_RMID, W_ERR(EINVAL));
	SND_NULL(c, 7, MSGMAX + 1, NW, W_ERR(EFAULT));
	STAT(c, 0, W_RET(0));
	CHK(c, c->ds.msg_qnum, 1);
	CHK(c, c->ds.msg_lrpid, 0);
}

/* ---- Long arguments: all 64 bits count (A6, A7) -------------------------- */

DIFF_CASE(long_args)
{
	struct msqid_ds *ds = &c->ds;
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));

	SND(c, q, 1, 1, (size_t)HI32 | 5, NW, W_ERR(EINVAL));
	SND(c, q, 1, 1, (size_t)HI32, NW, W_ERR(EINVAL));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_stime, 0);
	/* mtype and msgtyp are longs. */
	SND(c, q, HI32 | 1, 2, 5, NW, W_RET(0));
	SND(c, q, HI32, 3, 6, NW, W_RET(0));
	SND(c, q, 1, 4, 7, NW, W_RET(0));
	RCV(c, q, 64, 2, NW, W_ERR(ENOMSG));
	RCV_GOT(c, q, 64, HI32 | 1, NW, 5, HI32 | 1, 2);
	RCV_GOT(c, q, 64, 1, NW, 7, 1, 4);
	RCV(c, q, 64, -(HI32 - 1), NW, W_ERR(ENOMSG));
	SND(c, q, 1, 5, 7, NW, W_RET(0));
	RCV_GOT(c, q, 64, HI32 | 1, NW | MSG_EXCEPT, 6, HI32, 3);
	/* A MSG_COPY position is a long too. */
	RCV(c, q, 64, HI32, NW | MSG_COPY, W_ERR(ENOMSG));
	RCV(c, q, 64, HI32 | 1, NW | MSG_COPY, W_ERR(ENOMSG));
	/* msgsz: no upper bound for a receive, only the text is copied. */
	RCV_GOT(c, q, (size_t)HI32 | 2, 0, NW | MSG_COPY, 7, 1, 5);
	RCV_GOT(c, q, (size_t)HI32 | 2, 0, NW, 7, 1, 5);
	SND(c, q, 3, 6, 9, NW, W_RET(0));
	RCV_GOT(c, q, (size_t)HI32, -3, NW, 9, 3, 6);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 0);
	CHK(c, ds->__msg_cbytes, 0);
}

/* ---- msgmax and msgmnb at their ends (A6, A7, A10) ----------------------- */

DIFF_CASE(size_bounds)
{
	struct msqid_ds *ds = &c->ds;

	LIMIT(c, "msgmax", 16, W_RET(0));
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));
	SND(c, q, 1, 1, 16, NW, W_RET(0));
	SND(c, q, 1, 2, 17, NW, W_ERR(EINVAL));
	RCV(c, q, 15, 0, NW, W_ERR(E2BIG));
	RCV(c, q, 15, 0, NW | MSG_COPY, W_ERR(E2BIG));
	/* MSG_COPY's scratch is min(msgsz, msgmax): enough here. */
	RCV_GOT(c, q, 16, 0, NW | MSG_COPY, 16, 1, 1);
	RCV_GOT(c, q, 100, 0, NW | MSG_COPY, 16, 1, 1);
	/* ...and with MSG_NOERROR a short one is EINVAL, not a truncation. */
	RCV(c, q, 15, 0, NW | MSG_COPY | MSG_NOERROR, W_ERR(EINVAL));
	/* A message longer than today's msgmax. */
	LIMIT(c, "msgmax", 64, W_RET(0));
	SND(c, q, 2, 3, 20, NW, W_RET(0));
	LIMIT(c, "msgmax", 16, W_RET(0));
	RCV(c, q, 100, 1, NW | MSG_COPY, W_ERR(EINVAL));
	RCV(c, q, 19, 1, NW | MSG_COPY, W_ERR(E2BIG));
	RCV(c, q, 19, 1, NW | MSG_COPY | MSG_NOERROR, W_ERR(EINVAL));
	RCV_GOT(c, q, 16, 0, NW | MSG_NOERROR, 16, 1, 1);
	RCV_GOT(c, q, 19, 0, NW | MSG_NOERROR, 19, 2, 3);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 0);

	/* qbytes == msgmnb == msgmax: one full message, then no room. */
	LIMIT(c, "msgmnb", 16, W_RET(0));
	int r = GET(c, IPC_PRIVATE, 0600, W_RET(1));
	STAT(c, r, W_RET(0));
	CHK(c, ds->msg_qbytes, 16);
	SND(c, r, 1, 4, 16, NW, W_RET(0));
	SND(c, r, 1, 5, 0, NW, W_RET(0));	/* 16 + 0 <= 16, 2 <= 16 */
	SND(c, r, 1, 6, 1, NW, W_ERR(EAGAIN));
	SND(c, r, 1, 7, 17, NW, W_ERR(EINVAL));
	RCV_GOT(c, r, 16, 0, NW, 16, 1, 4);
	SND(c, r, 1, 8, 16, NW, W_RET(0));
	STAT(c, r, W_RET(0));
	CHK(c, ds->msg_qnum, 2);
	CHK(c, ds->__msg_cbytes, 16);
}

/* ---- MSG_STAT's index, the INFO commands' msqid (A8) --------------------- */

DIFF_CASE(msg_stat_index)
{
	GET(c, IPC_PRIVATE, 0600, W_RET(0));
	GET(c, K1, IPC_CREAT | 0600, W_RET(1));
	CTL(c, 1 << IDX_SHIFT, MSG_STAT, W_RET(0));
	CTL(c, (1 << IDX_SHIFT) | 1, MSG_STAT_ANY, W_RET(1));
	CHK(c, c->ds.msg_perm.__key, K1);
	CTL(c, INT_MAX, MSG_STAT, W_ERR(EINVAL));	/* index 32767 */
	CTL(c, INT_MAX, MSG_STAT_ANY, W_ERR(EINVAL));
	CTL(c, 32767, MSG_STAT, W_ERR(EINVAL));
	CTL(c, 2, MSG_STAT, W_ERR(EINVAL));
	CTL(c, -(1 << IDX_SHIFT), MSG_STAT, W_ERR(EINVAL));
	CTL(c, INT_MIN, MSG_STAT_ANY, W_ERR(EINVAL));
	CTL(c, INT_MAX, IPC_INFO, W_RET(1));
	CTL(c, INT_MAX, MSG_INFO, W_RET(1));
	CHK(c, c->mi.msgpool, 2);
	RMID(c, 1, W_RET(0));
	CTL(c, 1, MSG_STAT, W_ERR(EINVAL));
	CTL(c, 0, MSG_INFO, W_RET(0));
	CHK(c, c->mi.msgpool, 1);
	/* IPC_STAT takes an id, not an index. */
	STAT(c, 1 << IDX_SHIFT, W_ERR(EINVAL));
}

/* ---- What a failed call leaves alone (A6, A7 fields) --------------------- */

DIFF_CASE(failed_calls_keep_fields)
{
	struct msqid_ds *ds = &c->ds;
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));

	SET_QBYTES(c, q, 0);
	SND(c, q, 1, 1, 0, NW, W_ERR(EAGAIN));
	SND(c, q, 0, 1, 0, NW, W_ERR(EINVAL));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_stime, 0);
	CHK(c, ds->msg_lspid, 0);
	SET_QBYTES(c, q, 100);
	SND(c, q, 2, 2, 10, NW, W_RET(0));
	RCV(c, q, 5, 0, NW, W_ERR(E2BIG));
	RCV(c, q, 64, 3, NW, W_ERR(ENOMSG));
	RCV(c, q, 64, 2, NW | MSG_EXCEPT, W_ERR(ENOMSG));
	RCV_GOT(c, q, 64, 0, NW | MSG_COPY, 10, 2, 2);
	RCV(c, q, 64, 1, NW | MSG_COPY, W_ERR(ENOMSG));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_rtime, 0);
	CHK(c, ds->msg_lrpid, 0);
	CHK(c, ds->msg_qnum, 1);
	CHK(c, ds->__msg_cbytes, 10);
	CHK(c, pid_role(c, ds->msg_lspid), SELF);
	CTL(c, 0, MSG_INFO, W_RET(0));
	CHK(c, c->mi.msgmap, 1);
	CHK(c, c->mi.msgtql, 10);
}

/* ---- Ids with many queues: the window grows with them (A3) -------------- */

/* The highest index in use, what IPC_INFO and MSG_INFO return. */
static int idm_highest(const struct idmodel *m)
{
	for (int i = IDM_MAX - 1; i > 0; i--)
		if (m->used[i])
			return i;
	return 0;
}

DIFF_CASE(id_window)
{
	struct idmodel m = { .last = -1 };
	static int live[IDM_MAX];
	int nlive = 0;
	uint64_t s = 0x1d5;

	/* 150 queues: the window is then 225 wide, not 64. */
	for (int i = 0; i < 150; i++)
		live[nlive++] = GET(c, i % 3 ? IPC_PRIVATE : 0x3000 + i,
				    IPC_CREAT | 0600, W_RET(idm_alloc(&m)));
	for (int i = 0; i < 600; i++) {
		if (nlive > 40 && (RND(&s, 100) < 50 || nlive > 400)) {
			int j = RND(&s, nlive);

			RMID(c, live[j], W_RET(0));
			idm_free(&m, live[j]);
			live[j] = live[--nlive];
		} else {
			live[nlive++] = GET(c, IPC_PRIVATE, 0600,
					    W_RET(idm_alloc(&m)));
		}
		if (i % 50 == 0) {
			CTL(c, 0, MSG_INFO, W_RET(idm_highest(&m)));
			CHK(c, c->mi.msgpool, m.in_use);
		}
	}
	/* msgmni: in_use >= msgmni refuses a creation, nothing else. */
	LIMIT(c, "msgmni", m.in_use + 1, W_RET(0));
	live[nlive++] = GET(c, IPC_PRIVATE, 0600, W_RET(idm_alloc(&m)));
	GET(c, IPC_PRIVATE, 0600, W_ERR(ENOSPC));
	RMID(c, live[0], W_RET(0));
	idm_free(&m, live[0]);
	live[0] = GET(c, IPC_PRIVATE, 0600, W_RET(idm_alloc(&m)));
	CTL(c, 0, IPC_INFO, W_RET(idm_highest(&m)));
	CHK(c, c->mi.msgmni, m.in_use);
	for (int j = 0; j < nlive; j++)
		STAT(c, live[j], W_RET(0));
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}

