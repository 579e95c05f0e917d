/* SPDX-License-Identifier: MIT */
/*
 * spec_diff_sysv.c - System V message queues, umq against the kernel:
 * what the kernel-semantics spec (part A) states and sysv_diff.c does not
 * compare.  Written from the spec alone, by someone who did not write
 * the library: flag bits a call must ignore, which errno wins when
 * several apply, long arguments whose high bits a 32-bit copy would lose,
 * msgmax/msgmnb boundaries (MSG_COPY's scratch buffer among them),
 * MSG_STAT's index, unprivileged IPC_SET of msg_qbytes, and the fields a
 * failed call must leave alone.
 *
 * Same machinery as sysv_diff.c (diff.h, trace.h): each case runs on the
 * kernel, in a private IPC namespace, and on umq, and every step must
 * meet the spec on both and agree between them.  Linked with libumq.so,
 * as programs load it.
 *
 *   build/test/spec_diff_sysv [case ...]
 *   UMQ_TRACE=1 build/test/spec_diff_sysv case	both traces in full
 */
/* diff.h's helpers are static, for each program: some are unused here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "diff.h"

#include <grp.h>
#include <pthread.h>
#include <sys/fsuid.h>

#define K1 0x2001
#define K2 0x2002
#define K3 0x2003
#define K4 0x2004

#define MSGMAX 8192	/* defaults of a fresh namespace */
#define MSGMNB 16384
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

/* ---- IPC_SET of msg_qbytes without CAP_SYS_RESOURCE (A8) ----------------- */

static void qbytes_user(struct ctx *c, void *arg)
{
	struct msqid_ds *ds = &c->ds, *set = &c->set;
	int q = GET(c, K1, IPC_CREAT | 0600, W_RET(0));

	STAT_FOR_SET(c, q);
	CHK(c, ds->msg_qbytes, 100);
	set->msg_qbytes = 101;
	SET(c, q, W_ERR(EPERM));
	/* Truncated to 32 bits, then compared with msgmnb. */
	set->msg_qbytes = HI32 | 100;
	SET(c, q, W_RET(0));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qbytes, 100);
	set->msg_qbytes = HI32 | 101;
	SET(c, q, W_ERR(EPERM));
	set->msg_qbytes = 0xffffffffUL;
	SET(c, q, W_ERR(EPERM));
	set->msg_qbytes = 0x80000000UL;
	SET(c, q, W_ERR(EPERM));
	set->msg_qbytes = HI32 | 0x80000000UL;
	SET(c, q, W_ERR(EPERM));
	set->msg_qbytes = HI32;
	SET(c, q, W_RET(0));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qbytes, 0);
	SND(c, q, 1, 1, 0, NW, W_ERR(EAGAIN));
	set->msg_qbytes = 100;
	SET(c, q, W_RET(0));
	SND(c, q, 1, 2, 100, NW, W_RET(0));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_ctime >= c->t0, 1);
}

static void qbytes_user2(struct ctx *c, void *arg)
{
	/* msgmnb is now 200: the ceiling moves with it at once. */
	STAT_FOR_SET(c, 0);
	c->set.msg_qbytes = 200;
	SET(c, 0, W_RET(0));
	c->set.msg_qbytes = 201;
	SET(c, 0, W_ERR(EPERM));
	SND(c, 0, 1, 3, 100, NW, W_RET(0));
}

static void qbytes_user3(struct ctx *c, void *arg)
{
	/* msgmnb is now 50: rewriting the queue's own 200 is refused. */
	STAT_FOR_SET(c, 0);
	c->set.msg_perm.mode = 0640;
	SET(c, 0, W_ERR(EPERM));
	c->set.msg_qbytes = 50;
	SET(c, 0, W_RET(0));
	STAT(c, 0, W_RET(0));
	CHK(c, c->ds.msg_perm.mode, 0640);
	CHK(c, c->ds.msg_qnum, 2);
	SND(c, 0, 1, 4, 0, NW, W_ERR(EAGAIN));	/* 200 bytes queued */
}

DIFF_CASE(ipc_set_qbytes_user)
{
	need_uid_switch();
	LIMIT(c, "msgmnb", 100, W_RET(0));
	AS_USER(c, USER_UID, qbytes_user, NULL);
	LIMIT(c, "msgmnb", 200, W_RET(0));
	AS_USER(c, USER_UID, qbytes_user2, NULL);
	LIMIT(c, "msgmnb", 50, W_RET(0));
	AS_USER(c, USER_UID, qbytes_user3, NULL);
	STAT(c, 0, W_RET(0));
	CHK(c, c->ds.msg_qbytes, 50);
	CHK(c, c->ds.msg_perm.uid, USER_UID);
}

/* ---- IPC_SET's ids: any the namespace can map, (uid_t)-1 excepted (A8) --- */

static void set_ids_user(struct ctx *c, void *arg)
{
	memset(&c->set, 0, sizeof(c->set));
	c->set.msg_qbytes = 10;
	SET(c, 0, W_ERR(EPERM));
	STAT(c, 0, W_RET(0));		/* "other" class: 0604 */
}

DIFF_CASE(ipc_set_ids)
{
	struct msqid_ds *ds = &c->ds, *set = &c->set;
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));

	need_uid_switch();
	STAT_FOR_SET(c, q);
	set->msg_perm.uid = 0xfffffffe;
	set->msg_perm.gid = 0xfffffffe;
	SET(c, q, W_RET(0));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_perm.uid, 0xfffffffe);
	CHK(c, ds->msg_perm.gid, 0xfffffffe);
	set->msg_perm.uid = 65535;
	set->msg_perm.gid = 65534;
	set->msg_perm.mode = 01604;
	SET(c, q, W_RET(0));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_perm.uid, 65535);
	CHK(c, ds->msg_perm.gid, 65534);
	CHK(c, ds->msg_perm.mode, 0604);
	CHK(c, ds->msg_perm.cuid, 0);
	set->msg_perm.uid = 0xffffffff;
	SET(c, q, W_ERR(EINVAL));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_perm.uid, 65535);
	AS_USER(c, USER_UID, set_ids_user, NULL);
	RMID(c, q, W_RET(0));
}

/* ---- Split credentials: euid for owners, fsgid for groups (A4, A5) ------- */

#define SPLIT_R 4300	/* real and fs uid; the effective one is +1 */
#define SPLIT_G 5000	/* real and fs gid; the effective one is +1 */

/* ruid = fsuid = SPLIT_R, euid = SPLIT_R + 1; the gids alike. */
static void become_split_ids(struct ctx *c)
{
	CHK(c, setgroups(0, NULL) ||
	       setresgid(SPLIT_G, SPLIT_G + 1, SPLIT_G + 1) ||
	       setresuid(SPLIT_R, SPLIT_R + 1, SPLIT_R + 1), 0);
	setfsgid(SPLIT_G);
	setfsuid(SPLIT_R);
	CHK(c, (int)setfsuid(-1), SPLIT_R);
	CHK(c, (int)setfsgid(-1), SPLIT_G);
}

static void split_perm_user(struct ctx *c, void *arg)
{
	become_split_ids(c);
	/* The group class by the fsgid (or a supplementary group)... */
	STAT(c, 0, W_RET(0));
	/* ...not by the egid. */
	STAT(c, 1, W_ERR(EACCES));
	/* The owner class by the euid. */
	STAT(c, 2, W_RET(0));
	STAT_FOR_SET(c, 2);
	SET(c, 2, W_RET(0));
	RCV(c, 2, 64, 0, NW, W_ERR(ENOMSG));
	SND(c, 2, 1, 1, 4, NW, W_ERR(EACCES));	/* mode 0400 */
}

DIFF_CASE(split_credentials_perms)
{
	need_uid_switch();
	for (int i = 0; i < 3; i++)
		GET(c, K1 + i, IPC_CREAT | (i == 2 ? 0400 : 0040), W_RET(i));
	STAT_FOR_SET(c, 0);
	c->set.msg_perm.gid = SPLIT_G;
	SET(c, 0, W_RET(0));
	STAT_FOR_SET(c, 1);
	c->set.msg_perm.gid = SPLIT_G + 1;
	SET(c, 1, W_RET(0));
	STAT_FOR_SET(c, 2);
	c->set.msg_perm.uid = SPLIT_R + 1;
	SET(c, 2, W_RET(0));
	d_chk(c, __LINE__, "split child", tr_child(c, c->tr, &SAME_USER,
	      split_perm_user, NULL, &(int){ 0 }), 0);
}

static void split_create_user(struct ctx *c, void *arg)
{
	struct msqid_ds *ds = &c->ds;

	become_split_ids(c);
	/* Owner and creator are the euid and the egid; no fs id counts. */
	int q = GET(c, K1, IPC_CREAT | 0600, W_RET(0));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_perm.uid, SPLIT_R + 1);
	CHK(c, ds->msg_perm.cuid, SPLIT_R + 1);
	CHK(c, ds->msg_perm.gid, SPLIT_G + 1);
	CHK(c, ds->msg_perm.cgid, SPLIT_G + 1);
	SND(c, q, 1, 1, 4, NW, W_RET(0));
	SND(c, q, 1, 2, 4, NW, W_RET(0));
}

static void euid_user(struct ctx *c, void *arg)
{
	/* Plain SPLIT_R + 1 owns queue 0. */
	GET(c, K1, 0600, W_RET(0));
	RCV_GOT(c, 0, 64, 0, NW, 4, 1, 1);
	SND(c, 0, 1, 3, 4, NW, W_RET(0));
	STAT_FOR_SET(c, 0);
	c->set.msg_perm.mode = 0660;
	SET(c, 0, W_RET(0));
}

static void fsuid_user(struct ctx *c, void *arg)
{
	/* Plain SPLIT_R, the fs uid of the creator, is nobody to it. */
	GET(c, K1, 0400, W_ERR(EACCES));
	RCV(c, 0, 64, 0, NW, W_ERR(EACCES));
	STAT(c, 0, W_ERR(EACCES));
	RMID(c, 0, W_ERR(EPERM));
}

static void egid_user(struct ctx *c, void *arg)
{
	/* In the egid of the creator (mode 0660 now): the group class. */
	RCV_GOT(c, 0, 64, 0, NW, 4, 1, 2);
}

/*
 * A queue made by a process whose fs uid is not its euid (setfsuid) is
 * the euid's: umq loses it once its creator is gone (EINVAL for all).
 */
DIFF_CASE(split_credentials_create)
{
	static const struct who egid = { 4310, SPLIT_G + 1, 0, { 0 } };

	need_uid_switch();
	d_chk(c, __LINE__, "split child", tr_child(c, c->tr, &SAME_USER,
	      split_create_user, NULL, &(int){ 0 }), 0);
	STAT(c, 0, W_RET(0));
	CHK(c, c->ds.msg_qnum, 2);
	AS_USER(c, SPLIT_R + 1, euid_user, NULL);
	AS_USER(c, SPLIT_R, fsuid_user, NULL);
	d_chk(c, __LINE__, "egid child", tr_child(c, c->tr, &egid,
	      egid_user, NULL, &(int){ 0 }), 0);
	STAT(c, 0, W_RET(0));
	CHK(c, c->ds.msg_qnum, 1);
	RMID(c, 0, W_RET(0));
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

/* ---- Blocked senders (A6, A8 step 9, A9) --------------------------------- */

DIFF_CASE(sender_wakeups)
{
	struct msqid_ds *ds = &c->ds;
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));
	pid_t a, b;

	/* Woken are those whose message fits: a small one overtakes. */
	SET_QBYTES(c, q, 10);
	SND(c, q, 1, 1, 5, NW, W_RET(0));
	SND(c, q, 1, 2, 5, NW, W_RET(0));
	a = BG_SND(c, q, 2, 3, 8, 0, W_RET(0));
	b = BG_SND(c, q, 3, 4, 3, 0, W_RET(0));
	RCV_GOT(c, q, 64, 0, NW, 5, 1, 1);
	bg_wait(b);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 2);
	CHK(c, ds->__msg_cbytes, 8);
	CHK(c, pid_role(c, ds->msg_lspid), pid_role(c, b));
	RCV_GOT(c, q, 64, 0, NW, 5, 1, 2);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 1);		/* 3 + 8 > 10: a waits on */
	RCV_GOT(c, q, 64, 0, NW, 3, 3, 4);
	bg_wait(a);
	RCV_GOT(c, q, 64, 0, NW, 8, 2, 3);

	/* IPC_SET that makes room wakes a sender... */
	SND(c, q, 1, 5, 10, NW, W_RET(0));
	a = BG_SND(c, q, 2, 6, 5, 0, W_RET(0));
	SET_QBYTES(c, q, 15);
	bg_wait(a);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 2);
	/* ...even one whose message was bigger than qbytes (not EINVAL). */
	a = BG_SND(c, q, 3, 7, 20, 0, W_RET(0));
	SET_QBYTES(c, q, 10);		/* under the content: kept */
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 2);
	CHK(c, ds->__msg_cbytes, 15);
	SET_QBYTES(c, q, 35);
	bg_wait(a);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 3);
	CHK(c, ds->__msg_cbytes, 35);
	/* Full to the byte: the next sender waits until the removal. */
	b = BG_SND(c, q, 4, 8, 1, 0, W_ERR(EIDRM));
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 3);
	RMID(c, q, W_RET(0));
	bg_wait(b);
}

/* A woken sender checks its permission again (A6 step 6a). */
DIFF_CASE(sender_perm_recheck)
{
	int q = GET(c, K1, IPC_CREAT | 0666, W_RET(0));
	pid_t a, b;

	need_uid_switch();
	SET_QBYTES(c, q, 4);
	SND(c, q, 1, 1, 4, NW, W_RET(0));
	a = BG_SND_AS(c, USER_UID, q, 2, 2, 4, 0, W_ERR(EACCES));
	b = BG_SND_AS(c, USER_UID, q, 3, 3, 4, 0, W_ERR(EACCES));
	/* Write permission gone, no room yet: they sleep on. */
	STAT_FOR_SET(c, q);
	c->set.msg_perm.mode = 0644;
	SET(c, q, W_RET(0));
	STAT(c, q, W_RET(0));
	CHK(c, c->ds.msg_qnum, 1);
	/* Room by IPC_SET: a wakes, finds no permission. */
	c->set.msg_qbytes = 8;
	SET(c, q, W_RET(0));
	bg_wait(a);
	/* Room by a receive: b likewise. */
	RCV_GOT(c, q, 64, 0, NW, 4, 1, 1);
	bg_wait(b);
	STAT(c, q, W_RET(0));
	CHK(c, c->ds.msg_qnum, 0);
	CHK(c, pid_role(c, c->ds.msg_lspid), SELF);
	/* Permission back while one sleeps: it goes in when there is room. */
	c->set.msg_perm.mode = 0666;
	c->set.msg_qbytes = 4;
	SET(c, q, W_RET(0));
	SND(c, q, 1, 4, 4, NW, W_RET(0));
	a = BG_SND_AS(c, USER_UID, q, 5, 5, 4, 0, W_RET(0));
	RCV_GOT(c, q, 64, 0, NW, 4, 1, 4);
	bg_wait(a);
	STAT(c, q, W_RET(0));
	CHK(c, pid_role(c, c->ds.msg_lspid), pid_role(c, a));
	RMID(c, q, W_RET(0));
}

/* ---- msg_lrpid is the thread on a hand-off, msg_lspid the process (A9) --- */

struct rcv_thread {
	struct ctx *c;
	int q, flg;
	pid_t tid;
	long r;
	struct { long mtype; char text[64]; } buf;
};

static void *rcv_thread_main(void *arg)
{
	struct rcv_thread *t = arg;

	__atomic_store_n(&t->tid, gettid(), __ATOMIC_RELEASE);
	t->r = t->c->b->rcv(t->q, &t->buf, sizeof(t->buf.text), 0, t->flg);
	return NULL;
}

static void *snd_thread_main(void *arg)
{
	struct rcv_thread *t = arg;

	t->tid = gettid();
	t->buf.mtype = 3;
	t->r = t->c->b->snd(t->q, &t->buf, 4, NW);
	return NULL;
}

DIFF_CASE(thread_pids)
{
	struct msqid_ds *ds = &c->ds;
	int q = GET(c, IPC_PRIVATE, 0600, W_RET(0));
	struct rcv_thread t = { .c = c, .q = q };
	pthread_t th;

	/* Handed to a blocked thread: its TID. */
	if (pthread_create(&th, NULL, rcv_thread_main, &t))
		T_FAIL("pthread_create");
	while (!__atomic_load_n(&t.tid, __ATOMIC_ACQUIRE))
		t_msleep(1);
	t_wait_sleeping(t.tid);
	/* The thread is a role of its own, for the comparison of pids. */
	int role = tr_new_role(c->tr);
	c->tr->pids[role] = t.tid;
	SND(c, q, 1, 7, 5, 0, W_RET(0));
	pthread_join(th, NULL);
	CHK(c, t.r, 5);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 0);
	CHK(c, pid_role(c, ds->msg_lrpid), role);
	CHK(c, pid_role(c, ds->msg_lspid), SELF);
	/* Taken from the queue by a thread: the process. */
	SND(c, q, 2, 8, 6, 0, W_RET(0));
	t.tid = 0;
	t.flg = NW;
	if (pthread_create(&th, NULL, rcv_thread_main, &t))
		T_FAIL("pthread_create");
	pthread_join(th, NULL);
	CHK(c, t.r, 6);
	STAT(c, q, W_RET(0));
	CHK(c, pid_role(c, ds->msg_lrpid), SELF);
	/* Sent by a thread: the process. */
	if (pthread_create(&th, NULL, snd_thread_main, &t))
		T_FAIL("pthread_create");
	pthread_join(th, NULL);
	CHK(c, t.r, 0);
	STAT(c, q, W_RET(0));
	CHK(c, ds->msg_qnum, 1);
	CHK(c, pid_role(c, ds->msg_lspid), SELF);
	CHK(c, ds->msg_lspid != t.tid, 1);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}

