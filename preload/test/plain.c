/* SPDX-License-Identifier: MIT */
/*
 * plain.c - a program that knows nothing of umq: built against
 * <sys/msg.h> and <mqueue.h> alone, linked with libc alone.  pl_clients
 * runs it on the kernel and under the preload and compares what it
 * prints, line for line.
 *
 *   plain          System V and POSIX calls, all undone at the end
 *   plain keep     leave the queue key 0x77 and "/kept", one message each
 *   plain fd N     what read, write, mq_send and mq_receive do on the
 *                  inherited descriptor N
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *en(void)
{
	return errno ? strerrorname_np(errno) : "0";
}

#define SHOW(fmt, expr)                                                 \
	do {                                                            \
		errno = 0;                                              \
		long long r_ = (long long)(expr);                       \
		printf("%-28s " fmt " %s\n", #expr, r_, en());          \
	} while (0)

/* The status line, its NOTIFY_PID field blanked: pids differ. */
static void status(int fd)
{
	char b[128];
	ssize_t n;

	errno = 0;
	n = read(fd, b, sizeof(b) - 1);
	if (n < 0) {
		printf("read: %s\n", en());
		return;
	}
	b[n] = 0;
	char *p = strstr(b, "NOTIFY_PID:");
	if (p)
		strcpy(p, "NOTIFY_PID:-\n");
	printf("read %zd: %s", n, b);
	printf("read again: %zd\n", read(fd, b, sizeof(b)));
}

static int sysv(void)
{
	struct { long type; char text[16]; } m = { 5, "hello" };
	struct msqid_ds ds;
	int id;

	SHOW("%lld", id = msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	SHOW("%lld", msgsnd(id, &m, 6, 0));
	SHOW("%lld", msgctl(id, IPC_STAT, &ds));
	printf("qnum %lu cbytes %lu\n", (unsigned long)ds.msg_qnum,
	       (unsigned long)ds.msg_cbytes);
	SHOW("%lld", msgrcv(id, &m, sizeof(m.text), 0, 0));
	printf("text %s type %ld\n", m.text, m.type);
	SHOW("%lld", msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT));
	SHOW("%lld", msgctl(id, IPC_RMID, NULL));
	SHOW("%lld", msgsnd(id, &m, 6, 0));
	if (geteuid() == 0) {
		/* Credentials changed through libc's own names. */
		SHOW("%lld", id = msgget(IPC_PRIVATE, 0600));
		SHOW("%lld", seteuid(65534));
		SHOW("%lld", msgsnd(id, &m, 6, IPC_NOWAIT));
		SHOW("%lld", seteuid(0));
		SHOW("%lld", msgsnd(id, &m, 6, IPC_NOWAIT));
		SHOW("%lld", msgctl(id, IPC_RMID, NULL));
	}
	return 0;
}

static int posix(void)
{
	struct mq_attr a = { .mq_maxmsg = 3, .mq_msgsize = 32 };
	char b[64];
	unsigned prio;
	mqd_t q, d;

	SHOW("%lld", (q = mq_open("/plain", O_CREAT | O_EXCL | O_RDWR, 0600,
				  &a)) >= 0);
	SHOW("%lld", mq_send(q, "abc", 3, 4));
	SHOW("%lld", mq_send(q, "de", 2, 9));
	status(q);
	SHOW("%lld", write(q, "x", 1));
	SHOW("%lld", mq_getattr(q, &a));
	printf("curmsgs %ld maxmsg %ld msgsize %ld\n", a.mq_curmsgs,
	       a.mq_maxmsg, a.mq_msgsize);
	SHOW("%lld", mq_receive(q, b, sizeof(b), &prio));
	printf("prio %u\n", prio);
	SHOW("%lld", (d = dup(q)) >= 0);
	SHOW("%lld", close(q));
	SHOW("%lld", mq_send(q, "x", 1, 0));
	SHOW("%lld", mq_receive(d, b, sizeof(b), &prio));
	printf("prio %u\n", prio);
	SHOW("%lld", mq_close(d));
	SHOW("%lld", mq_unlink("/plain"));
	SHOW("%lld", mq_unlink("/plain"));
	/* The system call's own convention: no leading slash. */
	SHOW("%lld", (q = (mqd_t)syscall(SYS_mq_open, "raw",
					 O_CREAT | O_RDWR, 0600, NULL)) >= 0);
	SHOW("%lld", syscall(SYS_mq_timedsend, q, "r", 1, 3, NULL));
	SHOW("%lld", syscall(SYS_mq_timedreceive, q, b, sizeof(b), &prio,
			     NULL));
	SHOW("%lld", syscall(SYS_mq_unlink, "/raw"));
	SHOW("%lld", syscall(SYS_mq_unlink, "raw"));
	SHOW("%lld", syscall(SYS_close, q));
	return 0;
}

static int keep(void)
{
	struct { long type; char text[4]; } m = { 3, "k" };
	int id = msgget(0x77, IPC_CREAT | 0600);
	mqd_t q = mq_open("/kept", O_CREAT | O_RDWR, 0600, NULL);

	if (id < 0 || q < 0 || msgsnd(id, &m, 2, 0) ||
	    mq_send(q, "kept", 4, 1)) {
		perror("plain keep");
		return 1;
	}
	return 0;
}

static int fd(int n)
{
	char b[8192];
	unsigned prio;

	status(n);
	SHOW("%lld", write(n, "x", 1));
	SHOW("%lld", mq_send(n, "sent", 4, 2));
	SHOW("%lld", mq_receive(n, b, sizeof(b), &prio));
	SHOW("%lld", mq_close(n));
	SHOW("%lld", mq_send(n, "sent", 4, 2));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "keep"))
		return keep();
	if (argc == 3 && !strcmp(argv[1], "fd"))
		return fd(atoi(argv[2]));
	return sysv() || posix();
}
