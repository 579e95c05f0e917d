/* SPDX-License-Identifier: MIT */
/*
 * prog_fds.c - an mqd_t is a file descriptor, and programs treat it as
 * one: its number (the lowest free), close-on-exec, dup/dup2/dup3,
 * fcntl(F_DUPFD, F_GETFD, F_GETFL, F_SETFL: no O_DIRECT, no O_ASYNC and
 * no SIGIO), ioctl (FIOASYNC: ENOTTY; FIONREAD, FIONBIO), close and
 * close_range, read() of the status line, write(), poll, inheritance
 * across fork and exec; and a program that closes every descriptor it
 * does not know (as daemons do) still has working queues.
 */
#include "prog.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void getattr(const char *tag, mqd_t d)
{
	struct mq_attr a;

	if (CALL(mq_getattr(d, &a)) == 0)
		show_attr(tag, &a);
}

static void rcv(mqd_t d)
{
	char buf[64];
	long long n;

	say("receive from %d", d);
	n = CALL(mq_receive(d, buf, sizeof(buf), NULL));
	if (n >= 0)
		say("  got \"%.*s\"", (int)n, buf);
}

/* The status line, with NOTIFY_PID's value named. */
static void status(mqd_t d)
{
	char buf[256], *p;
	long long n = CALL(read(d, buf, sizeof(buf) - 1));

	if (n <= 0)
		return;
	buf[n] = '\0';
	p = strstr(buf, "NOTIFY_PID:");
	if (p) {
		pid_t pid = atoi(p + 11);
		say("  \"%.*sNOTIFY_PID:%s\" (%lld bytes)", (int)(p - buf), buf,
		    pidstr(pid), n);
	} else {
		say("  \"%s\"", buf);
	}
}

static void show_poll(const char *tag, mqd_t q, mqd_t r, mqd_t w)
{
	struct pollfd p[3] = {
		{ .fd = q, .events = POLLIN | POLLOUT },
		{ .fd = r, .events = POLLIN | POLLOUT },
		{ .fd = w, .events = POLLIN | POLLOUT },
	};

	say("poll %s:", tag);
	CALL(poll(p, 3, 0));
	say("  rdwr %#x, rdonly %#x, wronly %#x", p[0].revents, p[1].revents,
	    p[2].revents);
}

static mqd_t q, r, w;

static void child_send(void *arg)
{
	(void)arg;
	msleep(100);
	CALL(mq_send(w, "later", 5, 0));
}

static void child_inherit(void *arg)
{
	struct mq_attr nb = { .mq_flags = O_NONBLOCK };

	(void)arg;
	getattr("inherited", q);
	CALL(mq_send(q, "from child", 10, 0));
	CALL(mq_setattr(q, &nb, NULL));		/* the shared description */
}

/* After exec: argv[2] kept its descriptor, argv[3] was close-on-exec. */
static int after_exec(char **argv)
{
	mqd_t kept = atoi(argv[2]), gone = atoi(argv[3]);

	prog_init(30);
	say("-- after exec");
	getattr("kept", kept);
	rcv(kept);
	CALL(mq_getattr(gone, &(struct mq_attr){ 0 }));
	CALL(fcntl(gone, F_GETFD));
	return 0;
}

int main(int argc, char **argv)
{
	struct mq_attr a = { .mq_maxmsg = 2, .mq_msgsize = 16 };
	struct mq_attr nb = { .mq_flags = O_NONBLOCK };
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
				.sigev_signo = SIGUSR1 };
	pid_t kid;
	mqd_t d, keep;
	int st, id;

	if (argc == 4 && !strcmp(argv[1], "after-exec"))
		return after_exec(argv);
	prog_init(60);
	pid_name(getpid(), "main");
	block_signal(SIGUSR1);

	say("-- numbers");
	d = CALL(dup(0));			/* the lowest free number */
	CALL(close(d));
	q = CALL(mq_open("/fds", O_RDWR | O_CREAT, 0600, &a));
	r = CALL(mq_open("/fds", O_RDONLY));
	w = CALL(mq_open("/fds", O_WRONLY | O_NONBLOCK));
	CALL(fcntl(q, F_GETFD));
	CALL(fcntl(q, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
	CALL(fcntl(r, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
	CALL(fcntl(w, F_GETFL) & (O_ACCMODE | O_NONBLOCK));

	say("-- dup, dup2, dup3, F_DUPFD");
	d = CALL(dup(q));
	CALL(fcntl(d, F_GETFD));
	CALL(mq_send(d, "via dup", 7, 0));
	getattr("q", q);
	CALL(dup2(q, 10));
	rcv(10);
	CALL(dup2(q, q));
	CALL(dup3(q, 11, O_CLOEXEC));
	CALL(fcntl(11, F_GETFD));
	CALL(fcntl(q, F_DUPFD, 20));
	CALL(fcntl(q, F_DUPFD_CLOEXEC, 20));
	CALL(fcntl(21, F_GETFD));
	CALL(mq_send(21, "via 21", 6, 0));
	rcv(20);

	say("-- O_NONBLOCK belongs to the open description");
	CALL(mq_setattr(d, &nb, NULL));
	getattr("q after setattr on its dup", q);
	getattr("r, another description", r);
	CALL(fcntl(q, F_SETFL, 0));
	getattr("dup after F_SETFL on q", d);

	say("-- F_GETFL whole; F_SETFL of what the mqueue file has no use for");
	CALL(fcntl(q, F_GETFL));
	CALL(fcntl(w, F_GETFL));
	CALL(fcntl(q, F_SETFL, O_NONBLOCK | O_DIRECT));	/* no direct I/O */
	CALL(fcntl(q, F_GETFL));
	/* No fasync: O_ASYNC is not kept, and a change of a polled queue
	 * sends no SIGIO (which would kill). */
	CALL(fcntl(q, F_SETOWN, getpid()));
	CALL(fcntl(q, F_SETFL, O_ASYNC));
	CALL(fcntl(q, F_GETFL));
	{
		struct pollfd p = { .fd = q, .events = POLLIN };

		CALL(poll(&p, 1, 0));
	}
	CALL(mq_send(q, "no SIGIO", 8, 0));
	rcv(q);
	CALL(fcntl(q, F_SETFL, 0));
	{
		int on = 1, off = 0, n = -1;

		CALL(ioctl(q, FIOASYNC, &on));		/* no fasync */
		CALL(ioctl(q, FIOASYNC, &off));
		CALL(ioctl(q, FIONREAD, &n));		/* the file size left */
		say("  FIONREAD %d", n);
		CALL(ioctl(q, FIONBIO, &on));		/* the VFS's own */
		getattr("q after FIONBIO", q);
		CALL(ioctl(q, FIONBIO, &off));
		CALL(mq_send(q, "no SIGIO", 8, 0));
		rcv(q);
	}

	say("-- close");
	CALL(close(d));
	CALL(mq_send(d, "x", 1, 0));
	CALL(mq_getattr(d, &a));
	CALL(close(d));
	CALL(mq_close(d));
	d = CALL(dup(0));			/* the number is free again */
	CALL(close(d));

	say("-- read and write");
	CALL(mq_setattr(r, &nb, NULL));
	status(r);
	status(r);				/* end of file */
	CALL(lseek(r, 0, SEEK_SET));
	CALL(mq_send(q, "hello", 5, 0));
	status(r);
	CALL(lseek(q, 0, SEEK_SET));
	CALL(mq_notify(q, &sev));
	status(q);
	CALL(mq_notify(q, NULL));
	CALL(read(w, (char[8]){ 0 }, 8));
	CALL(write(q, "x", 1));
	CALL(write(w, "x", 1));
	CALL(write(r, "x", 1));

	say("-- poll");
	show_poll("one message", q, r, w);
	CALL(mq_send(q, "two", 3, 0));
	show_poll("full", q, r, w);
	rcv(r);
	rcv(r);
	show_poll("empty", q, r, w);
	kid = spawn("sender", child_send, NULL);
	{
		struct pollfd p = { .fd = r, .events = POLLIN };
		CALL(poll(&p, 1, 20000));
		say("  revents %#x", p.revents);
	}
	reap(kid);
	rcv(r);

	say("-- fork");
	reap(spawn("child", child_inherit, NULL));
	getattr("q after the child's setattr", q);
	rcv(q);
	CALL(fcntl(q, F_SETFL, 0));

	say("-- exec");
	keep = CALL(dup(q));
	CALL(mq_send(q, "across exec", 11, 0));
	fflush(stdout);
	kid = fork();
	if (kid == 0) {
		char k[16], g[16];

		snprintf(k, sizeof(k), "%d", keep);
		snprintf(g, sizeof(g), "%d", q);
		execl("/proc/self/exe", "prog_fds", "after-exec", k, g,
		      (char *)NULL);
		say("exec: %s", ename(errno));
		_exit(1);
	}
	waitpid(kid, &st, 0);
	say("exec'd child: status %d", st);
	CALL(close(keep));

	say("-- close_range");
	CALL(close_range(10, 20, 0));
	CALL(mq_send(10, "x", 1, 0));
	CALL(mq_send(11, "x", 1, 0));
	CALL(mq_send(20, "x", 1, 0));
	CALL(mq_send(21, "in 21", 5, 0));
	CALL(close_range(q + 1, ~0U, CLOSE_RANGE_CLOEXEC));
	CALL(fcntl(21, F_GETFD));
	CALL(fcntl(r, F_GETFD));
	CALL(fcntl(q, F_GETFD));

	say("-- a daemon closes every descriptor above 2");
	id = CALL(msgget(0x4644, IPC_CREAT | 0600));
	CALL(close_range(3, ~0U, 0));
	CALL(mq_getattr(q, &a));
	CALL(mq_getattr(21, &a));
	{
		struct { long t; char s[8]; } m = { 1, "sysv" };
		CALL(msgsnd(id, &m, 4, 0));
		CALL(msgrcv(id, &m, sizeof(m.s), 0, 0));
		CALL(msgget(0x4644, 0));
		CALL(msgget(0x4645, IPC_CREAT | 0600));
		CALL(msgctl(id, IPC_RMID, NULL));
	}
	q = CALL(mq_open("/fds", O_RDWR | O_NONBLOCK));
	getattr("reopened", q);
	rcv(q);
	rcv(q);
	CALL(mq_close(q));
	CALL(mq_unlink("/fds"));
	return 0;
}
