/* SPDX-License-Identifier: MIT */
/*
 * prog_notify.c - mq_notify as programs depend on it: the signal is
 * pending when mq_send returns (sigtimedwait with a zero timeout sees it),
 * with the sender's pid and real uid; a registration fires once, only on
 * an empty -> non-empty insertion (not on a hand-off); EBUSY for a second
 * registrant; mq_notify(NULL) and a close of any descriptor of the queue
 * drop it, exit too; SIGEV_NONE and signal 0 are consumed; SIGEV_THREAD
 * calls the function; bad requests fail in the kernel's order.
 */
#include "prog.h"

#include <poll.h>
#include <pthread.h>

static mqd_t q;
static sigset_t usr1;
static struct sigevent sev = {
	.sigev_notify = SIGEV_SIGNAL,
	.sigev_signo = SIGUSR1,
	.sigev_value.sival_int = 42,
};

/* Is a notification pending, right now (or within wait)? */
static void pending_within(const char *when, const struct timespec *wait)
{
	siginfo_t si;

	say("pending %s?", when);
	if (CALL(sigtimedwait(&usr1, &si, wait)) > 0)
		show_siginfo("  signal", &si);
}

static void pending(const char *when)
{
	static const struct timespec zero;

	pending_within(when, &zero);
}

static void rcv(void)
{
	char buf[16];
	long long n = CALL(mq_receive(q, buf, sizeof(buf), NULL));

	if (n >= 0)
		say("  got \"%.*s\"", (int)n, buf);
}

static void child_register(void *arg)
{
	(void)arg;
	CALL(mq_notify(q, &sev));
}

static void child_busy(void *arg)
{
	(void)arg;
	CALL(mq_notify(q, &sev));
	CALL(mq_notify(q, NULL));	/* not the owner: 0, no effect */
}

static void child_send(void *arg)
{
	if (arg)
		CALL(setresuid(65534, 65534, 65534));
	CALL(mq_send(q, "from child", 10, 0));
}

static void child_receive(void *arg)
{
	struct mq_attr a = { 0 };
	char buf[16];
	long long n;

	(void)arg;
	CALL(mq_setattr(q, &a, NULL));		/* blocking */
	n = CALL(mq_receive(q, buf, sizeof(buf), NULL));
	if (n >= 0)
		say("  got \"%.*s\"", (int)n, buf);
}

static void try_register(const char *when)
{
	say("can a child register %s?", when);
	reap(spawn("registrant", child_register, NULL));
}

static int tpipe[2];

static void on_thread(union sigval v)
{
	int x = v.sival_int;

	if (write(tpipe[1], &x, sizeof(x)) != sizeof(x))
		_exit(3);
}

int main(void)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 16 };
	struct sigevent bad = sev;
	struct pollfd pfd;
	mqd_t q2;
	int v;

	prog_init(60);
	pid_name(getpid(), "main");
	usr1 = block_signal(SIGUSR1);
	q = CALLOK(mq_open("/notify", O_RDWR | O_CREAT | O_NONBLOCK, 0600, &a));

	say("-- registration, EBUSY");
	CALL(mq_notify(q, &sev));
	CALL(mq_notify(q, &sev));
	reap(spawn("other", child_busy, NULL));
	pending("before a send");

	say("-- fires at the first send, at once, once");
	CALL(mq_send(q, "a", 1, 0));
	pending("right after the send");
	pending("again");
	rcv();
	CALL(mq_send(q, "b", 1, 0));
	pending("after a second empty -> non-empty send");

	say("-- registered on a non-empty queue");
	CALL(mq_notify(q, &sev));
	CALL(mq_send(q, "c", 1, 0));
	pending("after a send to a non-empty queue");
	rcv();
	rcv();
	CALL(mq_send(q, "d", 1, 0));
	pending("after the queue emptied and filled");
	rcv();

	say("-- the sender is another process, or another user");
	CALL(mq_notify(q, &sev));
	reap(spawn("sender", child_send, NULL));
	pending("after the child's send");
	rcv();
	CALL(mq_notify(q, &sev));
	reap(spawn("sender2", child_send, "as nobody"));
	/* umq: a sender that may not signal the owner has the owner's
	 * helper thread queue it, a moment after mq_send returns
	 * (DESIGN.md §8); the kernel's is already pending. */
	pending_within("after nobody's send",
		       &(struct timespec){ .tv_sec = 5 });
	rcv();

	say("-- a hand-off to a blocked receiver does not notify");
	CALL(mq_notify(q, &sev));
	{
		pid_t r = spawn("receiver", child_receive, NULL);
		if (wait_state(r, "S") != 'S')
			say("the receiver did not block");
		CALL(mq_send(q, "e", 1, 0));
		reap(r);
	}
	pending("after the hand-off");
	CALL(mq_notify(q, &sev));		/* still registered */
	CALL(mq_setattr(q, &(struct mq_attr){ .mq_flags = O_NONBLOCK },
			NULL));

	say("-- removal: mq_notify(NULL), closing any descriptor, exit");
	CALL(mq_notify(q, NULL));
	CALL(mq_notify(q, NULL));
	try_register("after mq_notify(NULL)");
	CALL(mq_notify(q, &sev));		/* the child exited */
	q2 = CALLOK(mq_open("/notify", O_RDONLY));
	CALL(mq_close(q2));
	try_register("after mq_close of another descriptor");
	CALL(mq_notify(q, &sev));
	q2 = CALLOK(mq_open("/notify", O_WRONLY));
	CALL(close(q2));
	try_register("after close() of another descriptor");
	CALL(mq_notify(q, &sev));
	q2 = CALLOK(dup(q));
	CALL(close(q2));
	try_register("after close() of a dup");
	CALL(mq_notify(q, &sev));
	CALL(mq_unlink("/notify"));		/* does not remove it */
	CALL(mq_send(q, "f", 1, 0));
	pending("after a send to the unlinked queue");
	rcv();

	say("-- SIGEV_NONE and signal 0 are consumed by a send");
	CALL(mq_notify(q, &(struct sigevent){ .sigev_notify = SIGEV_NONE }));
	CALL(mq_notify(q, &sev));
	CALL(mq_send(q, "g", 1, 0));
	pending("after SIGEV_NONE fired");
	CALL(mq_notify(q, &sev));		/* free again */
	CALL(mq_notify(q, NULL));
	rcv();
	bad.sigev_signo = 0;
	CALL(mq_notify(q, &bad));
	CALL(mq_send(q, "h", 1, 0));
	pending("after signal 0 fired");
	CALL(mq_notify(q, &sev));
	CALL(mq_notify(q, NULL));
	rcv();

	say("-- SIGEV_THREAD");
	if (pipe(tpipe))
		say("pipe: %s", ename(errno));
	CALL(mq_notify(q, &(struct sigevent){
		.sigev_notify = SIGEV_THREAD,
		.sigev_notify_function = on_thread,
		.sigev_value.sival_int = 7,
	}));
	CALL(mq_send(q, "i", 1, 0));
	pfd = (struct pollfd){ .fd = tpipe[0], .events = POLLIN };
	if (poll(&pfd, 1, 20000) == 1 && read(tpipe[0], &v, sizeof(v)) == 4)
		say("  the thread was called with %d", v);
	else
		say("  the thread was not called");
	rcv();
	CALL(mq_notify(q, &sev));		/* free again */
	CALL(mq_notify(q, NULL));

	say("-- bad requests");
	bad = sev;
	bad.sigev_notify = 99;
	CALL(mq_notify(q, &bad));
	CALL(mq_notify(-1, &bad));		/* EINVAL before EBADF */
	bad = sev;
	bad.sigev_signo = 65;
	CALL(mq_notify(q, &bad));
	bad.sigev_signo = 64;
	CALL(mq_notify(q, &bad));
	CALL(mq_notify(q, NULL));
	bad.sigev_notify = SIGEV_THREAD_ID;
	CALL(mq_notify(q, &bad));
	CALL(mq_notify(-1, &sev));
	CALL(mq_notify(-1, NULL));
	CALL(mq_notify(0, &sev));		/* not a queue */
	CALL(mq_close(q));
	return 0;
}
