/* SPDX-License-Identifier: MIT */
/*
 * prog_order.c - which message a receive takes: System V types (0, > 0,
 * < 0, MSG_EXCEPT, MSG_COPY), truncation and E2BIG, POSIX priorities, and
 * the order in which blocked receivers are served.
 */
#include "prog.h"

#include <limits.h>

struct msg {
	long mtype;
	char mtext[8192];
};

static struct msg m;		/* big enough for every size used below */
static int qid;
static mqd_t pq;

static void snd(long type, const char *text)
{
	m.mtype = type;
	strcpy(m.mtext, text);
	say("send type %ld \"%s\"", type, text);
	CALL(msgsnd(qid, &m, strlen(text), IPC_NOWAIT));
}

/* Receive and show what came. */
static void rcv(size_t size, long type, int flags)
{
	long long n;

	memset(&m, 0, sizeof(m));
	say("receive size %zu type %ld flags %#o", size, type, flags);
	n = CALL(msgrcv(qid, &m, size, type, flags));
	if (n >= 0)
		say("  got type %ld \"%.*s\"", m.mtype, (int)n, m.mtext);
}

static void psnd(const char *text, unsigned prio)
{
	say("send prio %u \"%s\"", prio, text);
	CALL(mq_send(pq, text, strlen(text), prio));
}

static void prcv(size_t len)
{
	char buf[256] = "";
	unsigned prio = 12345;
	long long n;

	say("receive len %zu", len);
	n = CALL(mq_receive(pq, buf, len, &prio));
	if (n >= 0)
		say("  got prio %u \"%.*s\"", prio, (int)n, buf);
}

static void sysv_types(void)
{
	struct msqid_ds ds;

	say("-- System V selectors");
	qid = CALL(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	snd(3, "three-a");
	snd(1, "one-a");
	snd(2, "two-a");
	snd(1, "one-b");
	snd(3, "three-b");
	snd(2, "two-b");
	snd(5, "");
	rcv(64, 0, IPC_NOWAIT);			/* oldest: three-a */
	rcv(64, 2, IPC_NOWAIT);			/* first of type 2 */
	rcv(64, -2, IPC_NOWAIT);		/* lowest type <= 2 */
	rcv(64, 1, IPC_NOWAIT | MSG_EXCEPT);	/* oldest not of type 1 */
	rcv(64, 4, IPC_NOWAIT);			/* none: ENOMSG */
	rcv(64, -LONG_MAX, IPC_NOWAIT);		/* lowest type overall */
	rcv(64, LONG_MIN, IPC_NOWAIT);		/* |LONG_MIN| overflows */
	snd(7, "seven-a");
	snd(6, "six");
	snd(7, "seven-b");
	rcv(64, 0, IPC_NOWAIT | MSG_COPY);	/* copy of message 0 */
	rcv(64, 2, IPC_NOWAIT | MSG_COPY);	/* copy of message 2 */
	rcv(64, 9, IPC_NOWAIT | MSG_COPY);	/* no such index */
	rcv(3, 1, IPC_NOWAIT | MSG_COPY);	/* E2BIG, stays */
	CALL(msgrcv(qid, &m, 64, 0, MSG_COPY));	/* MSG_COPY without NOWAIT */
	CALL(msgrcv(qid, &m, 64, 0,
		    IPC_NOWAIT | MSG_COPY | MSG_EXCEPT));
	rcv(3, 7, IPC_NOWAIT);			/* too long: E2BIG, stays */
	rcv(3, 7, IPC_NOWAIT | MSG_NOERROR);	/* truncated, taken */
	rcv(3, -6, IPC_NOWAIT);			/* lowest <= 6: the empty one */
	rcv(64, 6, IPC_NOWAIT | MSG_EXCEPT);	/* seven-b */
	rcv(0, 6, IPC_NOWAIT);			/* size 0: E2BIG */
	CALL(msgctl(qid, IPC_STAT, &ds));
	show_msqid("after", &ds);
	rcv(64, 0, IPC_NOWAIT);
	rcv(64, 0, IPC_NOWAIT);
	CALL(msgrcv(qid, &m, (size_t)-1, 0, IPC_NOWAIT));	/* EINVAL */
	CALL(msgrcv(-1, &m, 64, 0, IPC_NOWAIT));
	m.mtype = 0;
	CALL(msgsnd(qid, &m, 1, IPC_NOWAIT));	/* mtype < 1 */
	m.mtype = -7;
	CALL(msgsnd(qid, &m, 1, IPC_NOWAIT));
	m.mtype = 1;
	CALL(msgsnd(qid, &m, 8193, IPC_NOWAIT));	/* > msgmax */
	CALL(msgsnd(qid, &m, (size_t)-1, IPC_NOWAIT));
	CALL(msgctl(qid, IPC_STAT, &ds));
	show_msqid("end", &ds);
	CALL(msgctl(qid, IPC_RMID, NULL));
}

static void sysv_capacity(void)
{
	struct msqid_ds ds;

	say("-- System V capacity: qbytes counts messages too");
	qid = CALL(msgget(0x4f52, IPC_CREAT | IPC_EXCL | 0600));
	CALL(msgctl(qid, IPC_STAT, &ds));
	ds.msg_qbytes = 3;
	CALL(msgctl(qid, IPC_SET, &ds));
	snd(1, "");
	snd(1, "");
	snd(1, "a");
	snd(1, "");				/* 4 messages > qbytes 3 */
	rcv(8, 0, IPC_NOWAIT);
	snd(1, "bb");				/* 1 + 2 bytes > 3 */
	snd(1, "");
	CALL(msgctl(qid, IPC_STAT, &ds));
	show_msqid("full", &ds);
	CALL(msgctl(qid, IPC_RMID, NULL));
}

/* Blocked System V receivers: a child each, blocked in this order. */
struct waiter {
	long type;
	size_t size;
	int flags;
};

static void sysv_waiter(void *arg)
{
	struct waiter *w = arg;
	long long n;

	memset(&m, 0, sizeof(m));
	n = CALL(msgrcv(qid, &m, w->size, w->type, w->flags));
	if (n >= 0)
		say("  %s got type %ld \"%.*s\"", pidstr(getpid()), m.mtype,
		    (int)n, m.mtext);
}

static void sysv_waiters(void)
{
	static struct waiter ws[] = {
		{ 0, 64, 0 }, { 2, 64, 0 }, { -1, 64, 0 }, { 0, 2, 0 },
		{ 0, 64, 0 }, { 3, 64, MSG_EXCEPT },
	};
	pid_t pids[6];
	char name[16];
	struct msqid_ds ds;

	say("-- System V: blocked receivers, in the order they blocked");
	qid = CALL(msgget(IPC_PRIVATE, 0600));
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "waiter%d", i);
		pids[i] = spawn(name, sysv_waiter, &ws[i]);
		if (wait_state(pids[i], "S") != 'S')
			say("%s did not block", name);
	}
	/* Type 1 goes to waiter0 (type 0); "long" (4 bytes) fails waiter3's
	 * 2-byte buffer with E2BIG on the way to waiter4. */
	snd(1, "first");
	snd(2, "second");
	snd(1, "third");
	snd(3, "long");
	snd(3, "fifth");
	snd(4, "sixth");
	snd(3, "kept");
	for (int i = 0; i < 6; i++)
		reap(pids[i]);
	CALL(msgctl(qid, IPC_STAT, &ds));
	show_msqid("after", &ds);
	rcv(64, 0, IPC_NOWAIT);
	rcv(64, 0, IPC_NOWAIT);
	CALL(msgctl(qid, IPC_RMID, NULL));
}

static void posix_prio(void)
{
	struct mq_attr a = { .mq_maxmsg = 5, .mq_msgsize = 16 };
	mqd_t w, r;

	say("-- POSIX priorities");
	pq = CALLOK(mq_open("/order", O_RDWR | O_CREAT | O_EXCL, 0600, &a));
	psnd("p1", 1);
	psnd("p5a", 5);
	psnd("p3", 3);
	psnd("p5b", 5);
	psnd("p0", 0);
	CALL(mq_getattr(pq, &a));
	show_attr("full", &a);
	a.mq_flags = O_NONBLOCK;
	CALL(mq_setattr(pq, &a, NULL));
	CALL(mq_send(pq, "x", 1, 0));			/* EAGAIN */
	CALL(mq_send(pq, "x", 1, MQ_PRIO_MAX));		/* EINVAL first? */
	CALL(mq_send(pq, "0123456789abcdefg", 17, 0));	/* EMSGSIZE */
	prcv(15);					/* EMSGSIZE */
	prcv(16);
	prcv(200);
	prcv(16);
	prcv(16);
	prcv(16);
	prcv(16);					/* EAGAIN */
	CALL(mq_send(pq, "", 0, MQ_PRIO_MAX - 1));
	prcv(16);
	w = CALLOK(mq_open("/order", O_WRONLY));
	r = CALLOK(mq_open("/order", O_RDONLY | O_NONBLOCK));
	CALL(mq_send(r, "x", 1, 0));			/* EBADF */
	CALL(mq_receive(w, (char *)&m, 16, NULL));	/* EBADF */
	CALL(mq_send(w, "y", 1, 2));
	prcv(16);
	CALL(mq_close(w));
	CALL(mq_close(r));
	CALL(mq_close(pq));
	CALL(mq_unlink("/order"));
}

static void posix_waiter(void *arg)
{
	char buf[16];
	unsigned prio;
	long long n;

	(void)arg;
	n = CALL(mq_receive(pq, buf, sizeof(buf), &prio));
	if (n >= 0)
		say("  %s got prio %u \"%.*s\"", pidstr(getpid()), prio, (int)n,
		    buf);
}

static void posix_waiters(void)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 16 };
	pid_t pids[3];
	char name[16];

	say("-- POSIX: blocked receivers of equal priority, FIFO");
	pq = CALLOK(mq_open("/orderw", O_RDWR | O_CREAT, 0600, &a));
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "preader%d", i);
		pids[i] = spawn(name, posix_waiter, NULL);
		if (wait_state(pids[i], "S") != 'S')
			say("%s did not block", name);
	}
	psnd("one", 1);
	psnd("two", 9);
	psnd("three", 4);
	for (int i = 0; i < 3; i++)
		reap(pids[i]);
	CALL(mq_getattr(pq, &a));
	show_attr("after", &a);
	CALL(mq_close(pq));
	CALL(mq_unlink("/orderw"));
}

int main(void)
{
	prog_init(120);
	pid_name(getpid(), "main");
	sysv_types();
	sysv_capacity();
	sysv_waiters();
	posix_prio();
	posix_waiters();
	return 0;
}
