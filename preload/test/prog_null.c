/* SPDX-License-Identifier: MIT */
/*
 * prog_null.c - NULL where a pointer may or may not be NULL: optional
 * arguments the kernel accepts (mq_getattr(q, NULL), mq_setattr's old or
 * new attributes, a NULL priority, attr or timeout, a NULL buffer of
 * length 0) and required ones it refuses with EFAULT (and what became of
 * the message then).
 */
#include "prog.h"

/* glibc declares these pointers nonnull; passing NULL is the point. */
#pragma GCC diagnostic ignored "-Wnonnull"

static void qstate(mqd_t q)
{
	struct mq_attr a;

	if (CALL(mq_getattr(q, &a)) == 0)
		show_attr("  queue", &a);
}

static void sysv_state(int id)
{
	struct msqid_ds ds;

	if (CALL(msgctl(id, IPC_STAT, &ds)) == 0)
		say("  qnum=%lu cbytes=%lu", (unsigned long)ds.msg_qnum,
		    (unsigned long)ds.__msg_cbytes);
}

int main(void)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 8 }, old;
	struct {
		long mtype;
		char mtext[8];
	} m = { 1, "abc" };
	mqd_t q;
	int id;

	prog_init(60);
	pid_name(getpid(), "main");

	say("-- POSIX");
	q = CALLOK(mq_open("/null", O_RDWR | O_CREAT | O_NONBLOCK, 0600,
			   NULL));
	qstate(q);				/* the defaults */
	CALL(mq_close(q));
	CALL(mq_unlink("/null"));
	q = CALLOK(mq_open("/null", O_RDWR | O_CREAT | O_NONBLOCK, 0600, &a));
	CALL(mq_getattr(q, NULL));
	CALL(mq_getattr(-1, NULL));
	CALL(mq_setattr(q, NULL, NULL));
	memset(&old, 0x5a, sizeof(old));
	CALL(mq_setattr(q, NULL, &old));
	show_attr("  old", &old);
	a.mq_flags = 0;
	CALL(mq_setattr(q, &a, NULL));
	qstate(q);
	a.mq_flags = O_NONBLOCK;
	CALL(mq_setattr(q, &a, NULL));
	CALL(mq_send(q, NULL, 0, 0));		/* an empty message */
	CALL(mq_send(q, NULL, 1, 0));
	qstate(q);
	CALL(mq_receive(q, NULL, 8, NULL));	/* the empty one: fine */
	qstate(q);
	CALL(mq_send(q, "abc", 3, 1));
	CALL(mq_receive(q, NULL, 7, NULL));	/* EMSGSIZE first */
	CALL(mq_receive(q, NULL, 8, NULL));	/* EFAULT: message lost? */
	qstate(q);
	CALL(mq_send(q, "def", 3, 1));
	CALL(mq_timedsend(q, "ghi", 3, 2, NULL));
	CALL(mq_timedreceive(q, (char[8]){ 0 }, 8, NULL, NULL));
	CALL(mq_receive(q, (char[8]){ 0 }, 8, NULL));
	CALL(mq_timedreceive(q, (char[8]){ 0 }, 8, NULL, NULL));  /* EAGAIN */
	CALL(mq_notify(q, NULL));
	CALL(mq_close(q));
	CALL(mq_unlink("/null"));
	q = CALLOK(mq_open("/null", O_RDWR | O_CREAT | O_EXCL, 0600,
			   (struct mq_attr *)NULL));
	CALL(mq_close(q));
	CALL(mq_unlink("/null"));

	say("-- System V");
	id = CALL(msgget(IPC_PRIVATE, 0600));
	CALL(msgsnd(id, NULL, 0, IPC_NOWAIT));
	CALL(msgsnd(id, &m, 3, IPC_NOWAIT));
	sysv_state(id);
	CALL(msgrcv(id, NULL, 8, 0, IPC_NOWAIT));	/* EFAULT: lost? */
	sysv_state(id);
	CALL(msgrcv(id, NULL, 8, 0, IPC_NOWAIT));	/* empty: ENOMSG */
	CALL(msgctl(id, IPC_STAT, NULL));
	CALL(msgctl(id, IPC_SET, NULL));
	CALL(msgctl(id, MSG_STAT, NULL));
	CALL(msgctl(id, MSG_STAT_ANY, NULL));
	CALL(msgctl(0, IPC_INFO, NULL));
	CALL(msgctl(0, MSG_INFO, NULL));
	CALL(msgctl(id, IPC_RMID, NULL));
	CALL(msgctl(id, IPC_STAT, NULL));
	return 0;
}
