/* SPDX-License-Identifier: MIT */
/*
 * prog_privdrop.c - a daemon's privilege drop: root creates 0600 queues,
 * then seteuid(65534) (nobody) and every access is refused as the kernel
 * refuses it; seteuid(0) and everything works again.  Also what nobody
 * creates, and the owner and group of a queue that changed hands.
 * Needs root (the driver runs it only as root).
 */
#include "prog.h"

#define NOBODY 65534

static struct {
	long mtype;
	char mtext[64];
} m = { 1, "x" };

static void sysv_as_nobody(int id)
{
	struct msqid_ds ds;

	CALL(msgget(0x5052, 0));		/* no access asked: allowed */
	CALL(msgget(0x5052, 0600));
	CALL(msgget(0x5052, 0400));
	CALL(msgget(0x5052, IPC_CREAT | 0600));
	CALL(msgsnd(id, &m, 1, IPC_NOWAIT));
	CALL(msgrcv(id, &m, sizeof(m.mtext), 0, IPC_NOWAIT));
	CALL(msgrcv(id, &m, sizeof(m.mtext), 0, IPC_NOWAIT | MSG_COPY));
	CALL(msgctl(id, IPC_STAT, &ds));
	CALL(msgctl(id, MSG_STAT, &ds));
	CALL(msgctl(id, MSG_STAT_ANY, &ds));	/* no check */
	show_msqid("stat any", &ds);
	CALL(msgctl(id, IPC_SET, &ds));
	CALL(msgctl(id, IPC_RMID, NULL));
	CALL(msgctl(0, IPC_INFO, &ds));
}

static void posix_as_nobody(void)
{
	struct mq_attr a = { .mq_maxmsg = 2, .mq_msgsize = 8 };
	mqd_t q;

	CALL(mq_open("/priv", O_RDONLY));
	CALL(mq_open("/priv", O_WRONLY));
	CALL(mq_open("/priv", O_RDWR));
	CALL(mq_open("/priv", O_RDWR | O_CREAT, 0666, &a));
	CALL(mq_open("/priv", O_RDWR | O_CREAT | O_EXCL, 0666, &a));
	CALL(mq_unlink("/priv"));
	/* A queue of nobody's own. */
	q = CALLOK(mq_open("/nobody", O_RDWR | O_CREAT | O_EXCL, 0600, &a));
	CALL(mq_send(q, "n", 1, 0));
	CALL(mq_close(q));
}

int main(void)
{
	struct mq_attr a = { .mq_maxmsg = 2, .mq_msgsize = 8 };
	struct msqid_ds ds;
	mqd_t q, q2;
	int id, own;

	prog_init(60);
	pid_name(getpid(), "main");

	say("-- root creates 0600 queues");
	id = CALL(msgget(0x5052, IPC_CREAT | 0600));
	CALL(msgsnd(id, &m, 1, IPC_NOWAIT));
	q = CALLOK(mq_open("/priv", O_RDWR | O_CREAT, 0600, &a));
	CALL(mq_send(q, "r", 1, 0));

	say("-- seteuid(nobody)");
	CALL(seteuid(NOBODY));
	CALL(geteuid());
	sysv_as_nobody(id);
	/* An open descriptor keeps the access it was opened with. */
	CALL(mq_send(q, "s", 1, 0));
	CALL(mq_getattr(q, &a));
	show_attr("kept descriptor", &a);
	posix_as_nobody();
	own = CALL(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	CALL(msgsnd(own, &m, 1, IPC_NOWAIT));

	say("-- seteuid(0)");
	CALL(seteuid(0));
	CALL(geteuid());
	CALL(msgctl(id, IPC_STAT, &ds));
	show_msqid("root's", &ds);
	CALL(msgctl(own, IPC_STAT, &ds));
	show_msqid("nobody's", &ds);
	CALL(msgrcv(id, &m, sizeof(m.mtext), 0, IPC_NOWAIT));
	q2 = CALLOK(mq_open("/nobody", O_RDWR));	/* root: any mode */

	say("-- a queue given to nobody, mode 0600: root drops again");
	CALL(msgctl(id, IPC_STAT, &ds));
	ds.msg_perm.uid = NOBODY;
	CALL(msgctl(id, IPC_SET, &ds));
	CALL(setegid(NOBODY));
	CALL(seteuid(NOBODY));
	CALL(msgsnd(id, &m, 1, IPC_NOWAIT));	/* the owner now */
	CALL(msgctl(id, IPC_STAT, &ds));
	show_msqid("given", &ds);
	CALL(msgctl(own, IPC_RMID, NULL));
	CALL(mq_unlink("/nobody"));
	CALL(msgrcv(id, &m, sizeof(m.mtext), 0, IPC_NOWAIT));
	CALL(msgctl(id, IPC_RMID, NULL));	/* the owner may */
	CALL(seteuid(0));
	CALL(setegid(0));

	say("-- cleaning up as root");
	CALL(mq_close(q2));
	CALL(mq_close(q));
	CALL(mq_unlink("/priv"));
	CALL(mq_unlink("/nobody"));
	return 0;
}
