/* SPDX-License-Identifier: MIT */
/*
 * spec_diff_sysv_procs.c - System V message queues, umq against the
 * kernel: what the kernel-semantics spec (part A) states about users,
 * processes and threads that sysv_diff.c does not compare.  Written from
 * the spec alone, by someone who did not write the library: IPC_SET of
 * msg_qbytes and of the ids by an unprivileged owner, split credentials
 * (euid for owners, fsgid for groups, fs uid for nothing), blocked
 * senders woken by room (and checking their permission again), msg_lrpid
 * the receiving thread's TID on a hand-off.
 *
 * Same machinery as spec_diff_sysv.c (diff.h, trace.h), linked with
 * libumq.so.
 *
 *   build/test/spec_diff_sysv_procs [case ...]
 *   UMQ_TRACE=1 build/test/spec_diff_sysv_procs case	both traces in full
 *
 * The kernel against itself (every case must pass: the scenarios are
 * deterministic and say what the kernel does):
 *   gcc -D_GNU_SOURCE -DKERNEL_ONLY -Iinclude -std=gnu11 -pthread \
 *	-o /tmp/spec_diff_sysv_procs test/spec_diff_sysv_procs.c test/t.c test/trace.c
 */
/* diff.h's helpers are static, for each program: some are unused here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "diff.h"

#include <grp.h>
#include <pthread.h>
#include <sys/fsuid.h>
#include <sys/stat.h>

#define K1 0x2001

#define HI32 (1L << 32)	/* lost by a copy into an int */
#define USER_UID 1000
#define NW IPC_NOWAIT

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
	tr_become_split(c->tr, SPLIT_R, SPLIT_G);
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

/* ---- IPC_SET's mode and gid admit callers that never used the queue ---- */

static void first_use_other(struct ctx *c, void *arg)
{
	/* 0: root's, 0604 now; 1: root's, 0660 with our group; 2: 0600. */
	GET(c, K1, 0004, W_RET(0));
	RCV_GOT(c, 0, 64, 0, NW, 4, 1, 1);
	SND(c, 0, 1, 2, 4, NW, W_ERR(EACCES));
	RCV_GOT(c, 1, 64, 0, NW, 5, 2, 3);
	SND(c, 1, 2, 4, 5, NW, W_RET(0));
	STAT(c, 2, W_ERR(EACCES));
	RCV(c, 2, 64, 0, NW, W_ERR(EACCES));
	CTL(c, 2, MSG_STAT_ANY, W_RET(2));
	CHK(c, c->ds.msg_qnum, 1);
}

static void first_use_again(struct ctx *c, void *arg)
{
	/* Closed to us now, 2 opened: after using the others above. */
	RCV(c, 0, 64, 0, NW, W_ERR(EACCES));
	RCV(c, 1, 64, 0, NW, W_ERR(EACCES));
	RCV_GOT(c, 2, 64, 0, NW, 6, 3, 5);
}

DIFF_CASE(ipc_set_first_use)
{
	static const struct who user = { USER_UID, USER_UID, 0, { 0 } };

	need_uid_switch();
	for (int i = 0; i < 3; i++)
		GET(c, K1 + i, IPC_CREAT | 0600, W_RET(i));
	SND(c, 0, 1, 1, 4, NW, W_RET(0));
	SND(c, 1, 2, 3, 5, NW, W_RET(0));
	SND(c, 2, 3, 5, 6, NW, W_RET(0));
	STAT_FOR_SET(c, 0);
	c->set.msg_perm.mode = 0604;
	SET(c, 0, W_RET(0));
	STAT_FOR_SET(c, 1);
	c->set.msg_perm.mode = 0660;
	c->set.msg_perm.gid = USER_UID;
	SET(c, 1, W_RET(0));
	d_chk(c, __LINE__, "child", tr_child(c, c->tr, &user,
	      first_use_other, NULL, &(int){ 0 }), 0);
	for (int i = 0; i < 3; i++) {
		STAT_FOR_SET(c, i);
		c->set.msg_perm.mode = i == 2 ? 0666 : 0600;
		SET(c, i, W_RET(0));
	}
	d_chk(c, __LINE__, "child", tr_child(c, c->tr, &user,
	      first_use_again, NULL, &(int){ 0 }), 0);
	STAT(c, 1, W_RET(0));
	CHK(c, c->ds.msg_qnum, 1);
}

/* ---- No umask for System V queues (A4), whoever creates them ------------- */

static void umask_creator(struct ctx *c, void *arg)
{
	umask(0777);
	GET(c, K1, IPC_CREAT | 0666, W_RET(0));
	GET(c, IPC_PRIVATE, 0606, W_RET(1));
	SND(c, 0, 1, 1, 4, NW, W_RET(0));
	STAT(c, 0, W_RET(0));
	CHK(c, c->ds.msg_perm.mode, 0666);
}

static void umask_other(struct ctx *c, void *arg)
{
	/* Another user, the "other" class of both. */
	GET(c, K1, 0666, W_RET(0));
	RCV_GOT(c, 0, 64, 0, NW, 4, 1, 1);
	SND(c, 0, 2, 2, 5, NW, W_RET(0));
	SND(c, 1, 3, 3, 6, NW, W_RET(0));
	RCV_GOT(c, 1, 64, 0, NW, 6, 3, 3);
	STAT(c, 1, W_RET(0));
	CHK(c, c->ds.msg_perm.mode, 0606);
}

DIFF_CASE(no_umask_other_users)
{
	need_uid_switch();
	AS_USER(c, USER_UID, umask_creator, NULL);
	AS_USER(c, USER_UID + 1, umask_other, NULL);
	STAT(c, 0, W_RET(0));
	CHK(c, c->ds.msg_qnum, 1);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
