/* SPDX-License-Identifier: MIT */
/*
 * prog_stat.c - the bookkeeping a program reads: IPC_STAT after sends,
 * receives, a hand-off and IPC_SET; IPC_INFO and MSG_INFO (limits, totals,
 * highest index); MSG_STAT and MSG_STAT_ANY by index; ids after removal.
 */
#include "prog.h"

static struct {
	long mtype;
	char mtext[256];
} m;

static void info(const char *tag)
{
	struct msginfo mi;
	long long r;

	memset(&mi, 0xa5, sizeof(mi));
	r = CALL(msgctl(0, IPC_INFO, (struct msqid_ds *)&mi));
	if (r >= 0)
		say("%s IPC_INFO: pool=%d map=%d max=%d mnb=%d mni=%d ssz=%d "
		    "tql=%d seg=%u", tag, mi.msgpool, mi.msgmap, mi.msgmax,
		    mi.msgmnb, mi.msgmni, mi.msgssz, mi.msgtql, mi.msgseg);
	memset(&mi, 0xa5, sizeof(mi));
	r = CALL(msgctl(12345, MSG_INFO, (struct msqid_ds *)&mi));
	if (r >= 0)
		say("%s MSG_INFO: queues=%d messages=%d max=%d mnb=%d mni=%d "
		    "ssz=%d bytes=%d seg=%u", tag, mi.msgpool, mi.msgmap,
		    mi.msgmax, mi.msgmnb, mi.msgmni, mi.msgssz, mi.msgtql,
		    mi.msgseg);
}

static void stat_id(const char *tag, int id)
{
	struct msqid_ds ds;

	memset(&ds, 0xa5, sizeof(ds));
	if (CALL(msgctl(id, IPC_STAT, &ds)) == 0)
		show_msqid(tag, &ds);
}

static void send_text(int id, long type, const char *text)
{
	m.mtype = type;
	strcpy(m.mtext, text);
	say("send type %ld \"%s\"", type, text);
	CALL(msgsnd(id, &m, strlen(text), IPC_NOWAIT));
}

static int hid;

static void receiver(void *arg)
{
	(void)arg;
	CALL(msgrcv(hid, &m, sizeof(m.mtext), 0, 0));
}

int main(void)
{
	struct msqid_ds ds;
	int a, b, c;
	pid_t kid;

	prog_init(60);
	pid_name(getpid(), "main");

	say("-- an empty namespace");
	info("empty");
	CALL(msgctl(0, MSG_STAT, &ds));
	CALL(msgctl(0, MSG_STAT_ANY, &ds));
	CALL(msgctl(-1, IPC_INFO, (struct msqid_ds *)&ds));
	CALL(msgctl(0, -1, &ds));
	CALL(msgctl(0, 99, &ds));

	say("-- three queues, one removed");
	a = CALL(msgget(0x5701, IPC_CREAT | 0640));
	b = CALL(msgget(0x5702, IPC_CREAT | 0604));
	c = CALL(msgget(IPC_PRIVATE, 0600));
	CALL(msgget(0x5701, 0));
	CALL(msgget(0x5701, IPC_CREAT));
	CALL(msgget(0x5701, IPC_CREAT | IPC_EXCL | 0600));
	CALL(msgget(0x5703, 0));
	stat_id("new a", a);
	send_text(a, 1, "hello");
	send_text(a, 2, "");
	send_text(a, 9, "world!");
	send_text(b, 1, "bee");
	stat_id("a", a);
	info("sent");
	CALL(msgrcv(a, &m, sizeof(m.mtext), 0, IPC_NOWAIT));
	stat_id("a after a receive", a);
	info("received");
	CALL(msgctl(b, IPC_RMID, NULL));
	info("b removed");
	stat_id("b removed", b);
	CALL(msgctl(1, MSG_STAT, &ds));
	CALL(msgctl(a, MSG_STAT, &ds));		/* an id is index | seq */
	CALL(msgctl(2, MSG_STAT, &ds));
	show_msqid("index 2", &ds);
	CALL(msgctl(2 + 32768 * 3, MSG_STAT_ANY, &ds));
	CALL(msgctl(32767, MSG_STAT, &ds));
	b = CALL(msgget(0x5702, IPC_CREAT | 0600));	/* a new id */
	stat_id("b again", b);

	say("-- IPC_SET");
	CALL(msgctl(a, IPC_STAT, &ds));
	ds.msg_perm.mode = 0123 | 010000;
	ds.msg_perm.uid = 1000;
	ds.msg_perm.gid = 100;
	ds.msg_qbytes = 100;
	ds.msg_qnum = 77;		/* ignored */
	CALL(msgctl(a, IPC_SET, &ds));
	stat_id("a set", a);
	ds.msg_qbytes = 1ul << 32 | 20;	/* truncated to 32 bits */
	CALL(msgctl(a, IPC_SET, &ds));
	stat_id("a truncated qbytes", a);
	ds.msg_qbytes = 1ul << 31;
	CALL(msgctl(a, IPC_SET, &ds));
	ds.msg_qbytes = 0;
	ds.msg_perm.uid = (uid_t)-1;
	CALL(msgctl(a, IPC_SET, &ds));
	ds.msg_perm.uid = 0;
	ds.msg_perm.mode = 0600;
	CALL(msgctl(a, IPC_SET, &ds));
	send_text(a, 1, "");			/* qbytes 0: nothing fits */
	stat_id("a qbytes 0", a);
	CALL(msgctl(a, IPC_SET, NULL));
	CALL(msgctl(9999, IPC_SET, NULL));	/* EFAULT before the id */
	CALL(msgctl(9999, IPC_STAT, NULL));	/* EINVAL before EFAULT */

	say("-- a hand-off to a blocked receiver");
	hid = c;
	kid = spawn("receiver", receiver, NULL);
	if (wait_state(kid, "S") != 'S')
		say("the receiver did not block");
	send_text(c, 4, "direct");
	reap(kid);
	stat_id("c after a hand-off", c);
	info("hand-off");

	say("-- removal");
	CALL(msgctl(a, IPC_RMID, NULL));
	CALL(msgctl(a, IPC_RMID, NULL));
	CALL(msgctl(c, IPC_RMID, NULL));
	info("two removed");
	CALL(msgctl(b, IPC_RMID, NULL));
	info("all removed");
	a = CALL(msgget(0x5701, IPC_CREAT | 0600));
	stat_id("a again", a);
	CALL(msgctl(a, IPC_RMID, NULL));
	return 0;
}
