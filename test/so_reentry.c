/* SPDX-License-Identifier: MIT */
/*
 * so_reentry.c - a signal handler's calls on the queue that the code it
 * interrupted is using (DESIGN §4, §8).
 *
 * The kernel's call is one system call: a handler's msgsnd to the queue
 * the program is sending to and receiving from happens after it.  umq's
 * call may be interrupted inside a section, holding the queue's lock or a
 * lane side's; a handler's call that needed that lock waited on itself
 * for ever.  It now fails as a call that may not block would on a busy
 * queue (EAGAIN), or with EINTR if it may block.  A timer whose handler
 * sends while the main loop sends and receives on the same queue, for a
 * second, armed again 50 us after each handler returns (a 20 kHz period
 * left the loop no time where a handler's IPC_SET took longer): no hang, each handler call sent or got EAGAIN, and every
 * message sent, by either, is received once.  The System V handler also
 * asks IPC_STAT, which then reads the queue unlocked, as a listing does.
 * Calls that must hold the lock and cannot fail as busy - IPC_SET, a
 * peek, mq_notify, umq_mq_stat - succeed or fail with EDEADLK, never
 * hang.  A handler's mq_close is done, its locked part once the
 * interrupted call lets go.  Linked with libumq.so, as programs load it.
 */
#include <errno.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "t.h"
#include "umq.h"

struct m {
	long type;
	char text[8];
};

static struct {
	int id;
	mqd_t q;
	volatile mqd_t q2;	/* for the handler to close */
	long sent, refused, other, deadlk, closed;
	volatile sig_atomic_t stop;	/* the timer is not armed again */
} h;

/* The next SIGALRM, 50 us after this; each handler ends here. */
static void arm(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 50 } };

	if (!h.stop)
		setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };

	h.stop = 1;
	setitimer(ITIMER_REAL, &it, NULL);
}

/* A call that needs the lock: done, or refused as it would wait on
 * itself. */
static void locking(long r)
{
	if (r < 0 && errno == EDEADLK)
		h.deadlk++;
	else if (r < 0)
		h.other++;
}

static void count(int r)
{
	if (!r)
		h.sent++;
	else if (errno == EAGAIN)
		h.refused++;
	else
		h.other++;
}

static void sysv_handler(int sig)
{
	struct m m = { 2, "h" };
	char text[8];
	struct umq_peek_msg pm = { .text = text, .size = sizeof(text) };
	struct msqid_ds ds;
	int e = errno;

	(void)sig;
	count(umq_msgsnd(h.id, &m, 2, IPC_NOWAIT));
	/* Read unlocked when the lock is the interrupted code's. */
	if (umq_msgctl(h.id, IPC_STAT, &ds))
		h.other++;
	else
		locking(umq_msgctl(h.id, IPC_SET, &ds));
	locking(umq_msgpeek(h.id, 0, 0, 0, &pm, 1));
	arm();
	errno = e;
}

static void posix_handler(int sig)
{
	char text[8];
	struct umq_peek_msg pm = { .text = text, .size = sizeof(text) };
	struct umq_mq_info info;
	struct mq_attr a;
	int e = errno;

	(void)sig;
	count(umq_mq_send(h.q, "h", 1, 2));
	if (umq_mq_getattr(h.q, &a))
		h.other++;
	locking(umq_mq_peek(h.q, 0, &pm, 1));
	locking(umq_mq_notify(h.q, NULL));
	locking(umq_mq_stat("/reentry", &info));
	arm();
	errno = e;
}

/* Closes the second descriptor: the drop of its registration waits, if
 * the interrupted receive holds the lock, until the receive lets go. */
static void closing_handler(int sig)
{
	char text[8];
	struct umq_peek_msg pm = { .text = text, .size = sizeof(text) };
	int e = errno;
	mqd_t q2 = h.q2;

	(void)sig;
	if (q2 != (mqd_t)-1) {
		/* EDEADLK: the lock is held, the close is deferred */
		locking(umq_mq_peek(h.q, 0, &pm, 1));
		if (umq_mq_close(q2))
			h.other++;
		else
			h.closed++;
		h.q2 = (mqd_t)-1;
	}
	arm();
	errno = e;
}

/* For a second: register through a second descriptor, receive from the
 * empty queue (under its lock: a registration shuts the lane) until the
 * handler has closed it, then register through the first, which must
 * find the registration gone (the kernel drops it with the descriptor). */
static void closing_child(void *arg)
{
	struct sigaction sa = { .sa_handler = closing_handler };
	struct sigevent ev = { .sigev_notify = SIGEV_NONE };
	struct mq_attr a = { .mq_maxmsg = 10, .mq_msgsize = 8 };
	long end = t_now_ms() + 1000, left = 0;
	char buf[8];

	(void)arg;
	h.q = umq_mq_open("/reentry", O_RDWR | O_NONBLOCK | O_CREAT, 0600, &a);
	h.q2 = (mqd_t)-1;
	if (h.q == (mqd_t)-1)
		_exit(2);
	sigaction(SIGALRM, &sa, NULL);
	arm();
	while (t_now_ms() < end) {
		mqd_t q2 = umq_mq_open("/reentry", O_RDONLY);

		if (q2 == (mqd_t)-1 || umq_mq_notify(q2, &ev))
			_exit(2);
		h.q2 = q2;
		while (h.q2 != (mqd_t)-1)
			if (umq_mq_receive(h.q, buf, sizeof(buf), NULL) >= 0 ||
			    errno != EAGAIN)
				h.other++;
		if (umq_mq_notify(h.q, &ev))
			left++;		/* the closed descriptor's, kept */
		else if (umq_mq_notify(h.q, NULL))
			h.other++;
	}
	disarm();
	umq_mq_close(h.q);
	_exit(left ? 11 : h.other ? 12 : h.closed < 100 || !h.deadlk ? 13 : 0);
}

/* Under the timer for a second: main sends and drains; returns what it
 * received. */
static long run(bool posix, int *status)
{
	struct sigaction sa = { .sa_handler = posix ? posix_handler :
					      sysv_handler };
	long sent = 0, got = 0, end = t_now_ms() + 1000;
	struct m m = { 1, "m" }, r;
	char buf[8];

	sigaction(SIGALRM, &sa, NULL);
	arm();
	while (t_now_ms() < end) {
		for (int i = 0; i < 1000; i++) {
			if (!(posix ? umq_mq_send(h.q, "m", 1, 1) :
				      umq_msgsnd(h.id, &m, 2, IPC_NOWAIT)))
				sent++;
			while (posix ? umq_mq_receive(h.q, buf, sizeof(buf),
						      NULL) > 0 :
				       umq_msgrcv(h.id, &r, sizeof(r.text), 0,
						  IPC_NOWAIT) > 0)
				got++;
		}
	}
	disarm();
	while (posix ? umq_mq_receive(h.q, buf, sizeof(buf), NULL) > 0 :
		       umq_msgrcv(h.id, &r, sizeof(r.text), 0, IPC_NOWAIT) > 0)
		got++;
	*status = got == sent + h.sent && !h.other && h.sent > 0 &&
		  h.deadlk > 0 ? 0 :
		  got != sent + h.sent ? 1 : h.other ? 2 : h.sent ? 4 : 3;
	return got;
}

static void sysv_child(void *arg)
{
	int st;

	h.id = *(int *)arg;
	run(false, &st);
	if (st)
		_exit(10 + st);
}

/* Another thread takes the queue lock over and over (the status line),
 * so that a close of the lane may be waiting for the side lock the
 * interrupted loop holds when the handler asks mq_getattr. */
static int closing_stop;	/* __atomic: the closer thread reads it */

static void *closer(void *arg)
{
	char line[128];
	sigset_t alrm;

	(void)arg;
	/* The handler interrupts the loop only: one run on this thread
	 * could count its send after the loop has added up. */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	while (!__atomic_load_n(&closing_stop, __ATOMIC_ACQUIRE))
		umq_mq_status(h.q, line, sizeof(line));
	return NULL;
}

/* arg: flags of the open (UMQ_O_NOPOLL: the loop's calls use the lane,
 * so the handler interrupts a side lock's holder as well). */
static void posix_child(void *arg)
{
	struct mq_attr a = { .mq_maxmsg = 10, .mq_msgsize = 8 };
	pthread_t t;
	int st;

	h.q = umq_mq_open("/reentry", O_RDWR | O_NONBLOCK | O_CREAT |
			  *(int *)arg, 0600, &a);
	if (h.q == (mqd_t)-1)
		_exit(2);
	if (pthread_create(&t, NULL, closer, NULL))
		_exit(2);
	run(true, &st);
	__atomic_store_n(&closing_stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	umq_mq_close(h.q);
	if (st)
		_exit(10 + st);
}

/* 11: a message lost or doubled; 12: another errno; 13: the handler
 * never sent, 14: never met the lock held (EDEADLK; some hundreds to
 * thousands a run): the case did not test anything. */
static void in_child(void (*fn)(void *), void *arg)
{
	pid_t p = t_spawn_alarm(fn, arg, 20);
	int st = t_reap(p, 30000);

	if (st == -1)
		T_FAIL("the loop never ended: a handler's call hung");
	t_exited_ok(p, st, "sender");
}

T_CASE(sysv_handler_sends_to_the_queue_in_use)
{
	int *id = t_shared(sizeof(*id));

	*id = T_OK(umq_msgget(IPC_PRIVATE, 0600));
	in_child(sysv_child, id);
	T_OK(umq_msgctl(*id, IPC_RMID, NULL));
}

static void posix_case(int oflags)
{
	umq_mq_unlink("/reentry");
	in_child(posix_child, &oflags);
	T_OK(umq_mq_unlink("/reentry"));
}

T_CASE(posix_handler_sends_to_the_queue_in_use) { posix_case(0); }
T_CASE(posix_handler_sends_to_the_lane_in_use) { posix_case(UMQ_O_NOPOLL); }

/* 11: a registration outlived its descriptor; 12: another errno; 13:
 * fewer than 100 closes, or none deferred (some thousands of each a
 * run). */
T_CASE(posix_handler_closes_a_descriptor_of_the_queue_in_use)
{
	umq_mq_unlink("/reentry");
	in_child(closing_child, NULL);
	T_OK(umq_mq_unlink("/reentry"));
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
