/* SPDX-License-Identifier: MIT */
/*
 * prog_errno.c - a successful call leaves errno alone (every call of every
 * program here is made with errno set to a sentinel, and the trace flags a
 * change).  This one goes through the successful paths where a library is
 * most tempted to leave its own errno behind: the first call of a process
 * (a namespace to find or create), calls that sleep and are woken, timed
 * calls, calls from another thread, notifications, credential changes.
 */
#include "prog.h"

#include <pthread.h>

static struct {
	long mtype;
	char mtext[64];
} m = { 1, "hello" };

static int id;
static mqd_t q;

static void first_msgget(void *arg)
{
	(void)arg;
	CALL(msgget(0x4552, IPC_CREAT | 0600));
}

static void first_mq_open(void *arg)
{
	(void)arg;
	CALLOK(mq_open("/errno", O_RDWR | O_CREAT, 0600, NULL));
}

static void first_msgctl(void *arg)
{
	struct msginfo mi;

	(void)arg;
	CALL(msgctl(0, MSG_INFO, (struct msqid_ds *)&mi));
}

static void first_ftok(void *arg)
{
	(void)arg;
	CALLOK(ftok("/", 7));
}

static void send_later(void *arg)
{
	(void)arg;
	msleep(200);
	CALL(msgsnd(id, &m, 5, 0));
	CALL(mq_send(q, "later", 5, 3));
}

static void receive_later(void *arg)
{
	char buf[64];

	(void)arg;
	msleep(200);
	CALL(msgrcv(id, &m, sizeof(m.mtext), 0, 0));
	CALL(mq_receive(q, buf, sizeof(buf), NULL));
}

/* The thread's results, shown by main after the join (one order). */
static long long tr[2];
static int te[2];

static void *thread_receive(void *arg)
{
	char buf[64];

	(void)arg;
	errno = SENTINEL;
	tr[0] = mq_receive(q, buf, sizeof(buf), NULL);
	te[0] = errno;
	errno = SENTINEL;
	tr[1] = msgrcv(id, &m, sizeof(m.mtext), 0, 0);
	te[1] = errno;
	return NULL;
}

static void on_notify(union sigval v)
{
	(void)v;
}

int main(void)
{
	struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 64 }, old;
	struct msqid_ds ds;
	struct msginfo mi;
	struct timespec ts;
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
				.sigev_signo = SIGUSR2 };
	sigset_t set;
	char buf[64];
	pthread_t t;
	pid_t kid;
	mqd_t r;

	prog_init(60);
	pid_name(getpid(), "main");
	set = block_signal(SIGUSR2);

	say("-- the first call of a process");
	reap(spawn("first1", first_msgget, NULL));
	reap(spawn("first2", first_mq_open, NULL));
	reap(spawn("first3", first_msgctl, NULL));
	reap(spawn("first4", first_ftok, NULL));
	reap(spawn("first1b", first_msgget, NULL));	/* it exists now */
	reap(spawn("first2b", first_mq_open, NULL));
	CALL(mq_unlink("/errno"));

	say("-- System V");
	id = CALL(msgget(0x4552, 0));
	CALL(msgsnd(id, &m, 5, IPC_NOWAIT));
	CALL(msgrcv(id, &m, sizeof(m.mtext), 0, IPC_NOWAIT));
	CALL(msgsnd(id, &m, 5, 0));
	CALL(msgrcv(id, &m, 3, 0, MSG_NOERROR));
	CALL(msgsnd(id, &m, 5, 0));
	CALL(msgrcv(id, &m, sizeof(m.mtext), 0, MSG_COPY | IPC_NOWAIT));
	CALL(msgrcv(id, &m, sizeof(m.mtext), 2, MSG_EXCEPT));
	CALL(msgctl(id, IPC_STAT, &ds));
	ds.msg_qbytes = 5;
	CALL(msgctl(id, IPC_SET, &ds));
	CALL(msgctl(0, IPC_INFO, (struct msqid_ds *)&mi));
	CALL(msgctl(0, MSG_INFO, (struct msqid_ds *)&mi));
	CALL(msgctl(id, MSG_STAT, &ds));
	CALL(msgctl(id, MSG_STAT_ANY, &ds));

	say("-- POSIX");
	q = CALLOK(mq_open("/errno", O_RDWR | O_CREAT | O_EXCL, 0600, &a));
	r = CALLOK(mq_open("/errno", O_RDONLY));
	CALL(mq_close(r));
	CALL(mq_send(q, "x", 1, 1));
	CALL(mq_getattr(q, &a));
	CALL(mq_receive(q, buf, sizeof(buf), NULL));
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 30;
	CALL(mq_timedsend(q, "y", 1, 1, &ts));
	CALL(mq_timedreceive(q, buf, sizeof(buf), NULL, &ts));
	a.mq_flags = O_NONBLOCK;
	CALL(mq_setattr(q, &a, &old));
	a.mq_flags = 0;
	CALL(mq_setattr(q, &a, &old));
	CALL(mq_notify(q, &sev));
	CALL(mq_notify(q, NULL));
	CALL(mq_notify(q, &sev));
	CALL(mq_send(q, "z", 1, 1));		/* fires */
	CALL(sigtimedwait(&set, NULL, &(struct timespec){ 5, 0 }));
	CALL(mq_receive(q, buf, sizeof(buf), NULL));
	CALL(mq_notify(q, &(struct sigevent){
		.sigev_notify = SIGEV_THREAD,
		.sigev_notify_function = on_notify }));
	CALL(mq_send(q, "t", 1, 1));
	CALL(mq_receive(q, buf, sizeof(buf), NULL));

	say("-- woken after sleeping");
	kid = spawn("sender", send_later, NULL);
	CALL(msgrcv(id, &m, sizeof(m.mtext), 0, 0));
	CALL(mq_receive(q, buf, sizeof(buf), NULL));
	reap(kid);
	CALL(msgsnd(id, &m, 5, 0));		/* full now (qbytes 5) */
	CALL(mq_send(q, "full", 4, 0));
	kid = spawn("receiver", receive_later, NULL);
	CALL(msgsnd(id, &m, 5, 0));
	CALL(mq_send(q, "more", 4, 0));
	reap(kid);
	CALL(mq_timedreceive(q, buf, sizeof(buf), NULL, &ts));
	CALL(msgrcv(id, &m, sizeof(m.mtext), 0, 0));

	say("-- another thread");
	CALL(pthread_create(&t, NULL, thread_receive, NULL));
	msleep(100);
	CALL(mq_send(q, "to thread", 9, 0));
	CALL(msgsnd(id, &m, 5, 0));
	CALL(pthread_join(t, NULL));
	prog_call("thread: mq_receive(q, buf, sizeof(buf), NULL)", tr[0], te[0],
		  P_VALUE);
	prog_call("thread: msgrcv(id, &m, sizeof(m.mtext), 0, 0)", tr[1], te[1],
		  P_VALUE);

	say("-- credentials");
	CALL(seteuid(65534));
	CALL(msgctl(id, MSG_STAT_ANY, &ds));
	CALL(seteuid(0));
	CALL(setegid(65534));
	CALL(setegid(0));
	CALL(setresuid(0, 0, 0));
	CALL(setuid(0));

	say("-- removal");
	CALL(msgctl(id, IPC_RMID, NULL));
	CALL(mq_close(q));
	CALL(mq_unlink("/errno"));
	return 0;
}
