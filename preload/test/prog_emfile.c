/* SPDX-License-Identifier: MIT */
/*
 * prog_emfile.c - a process out of descriptors (RLIMIT_NOFILE): mq_open
 * fails with EMFILE before anything else, and gets the freed number when
 * one is closed; System V calls, which use no descriptor, go on working,
 * whether the process used queues before it ran out or not.
 */
#include "prog.h"

#include <sys/resource.h>

static struct {
	long mtype;
	char mtext[16];
} m = { 1, "abc" };

/* Open /dev/null until EMFILE; returns the last descriptor opened. */
static int exhaust(void)
{
	struct rlimit rl;
	int n = 0, fd, last = -1;

	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = 32;
	CALL(setrlimit(RLIMIT_NOFILE, &rl));
	while ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		last = fd;
		n++;
	}
	say("opened %d descriptors, then %s", n, ename(errno));
	return last;
}

static void calls(const char *name, int last)
{
	struct mq_attr a = { .mq_maxmsg = 2, .mq_msgsize = 8 };
	struct msqid_ds ds;
	mqd_t q;
	int id;

	id = CALL(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	CALL(msgsnd(id, &m, 3, IPC_NOWAIT));
	CALL(msgrcv(id, &m, sizeof(m.mtext), 0, IPC_NOWAIT));
	CALL(msgctl(id, IPC_STAT, &ds));
	CALL(msgctl(id, IPC_RMID, NULL));
	CALL(mq_open(name, O_RDWR | O_CREAT, 0600, &a));
	CALL(mq_open(name, O_RDONLY));
	CALL(mq_open("/none", O_RDONLY));	/* EMFILE before ENOENT */
	CALL(mq_open("none", O_RDONLY));	/* EINVAL: glibc's check */
	CALL(mq_unlink(name));
	CALL(close(last));
	q = CALL(mq_open(name, O_RDWR | O_CREAT, 0600, &a));
	CALL(mq_send(q, "x", 1, 0));
	CALL(mq_getattr(q, &a));
	show_attr("in the last slot", &a);
	CALL(mq_open(name, O_RDWR));
	CALL(dup(q));
	CALL(mq_close(q));
	CALL(mq_unlink(name));
}

static void fresh(void *arg)
{
	(void)arg;
	say("-- out of descriptors before any queue call");
	calls("/emfile1", exhaust());
}

static void used(void *arg)
{
	struct mq_attr a = { .mq_maxmsg = 2, .mq_msgsize = 8 };
	mqd_t q;
	int id, last;

	(void)arg;
	say("-- out of descriptors after using queues");
	id = CALL(msgget(0x454d, IPC_CREAT | 0600));
	CALL(msgsnd(id, &m, 3, IPC_NOWAIT));
	q = CALL(mq_open("/emfile2", O_RDWR | O_CREAT, 0600, &a));
	CALL(mq_send(q, "kept", 4, 0));
	last = exhaust();
	CALL(msgrcv(id, &m, sizeof(m.mtext), 0, IPC_NOWAIT));
	CALL(msgctl(id, IPC_RMID, NULL));
	CALL(mq_receive(q, (char[8]){ 0 }, 8, NULL));
	CALL(mq_close(q));			/* frees one */
	CALL(open("/dev/null", O_RDONLY));	/* takes it back */
	calls("/emfile2", last);
}

int main(void)
{
	prog_init(60);
	pid_name(getpid(), "main");
	reap(spawn("fresh", fresh, NULL));
	reap(spawn("used", used, NULL));
	return 0;
}
