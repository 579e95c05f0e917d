/* SPDX-License-Identifier: MIT */
/*
 * recv.c - `umq recv`: messages taken from a queue and written to
 * standard output, none lost on the way.
 *
 * A receive takes a message for good, and a write can fail after it (a
 * reader gone, a full disk) or a signal end the tool between the two;
 * until December 6 either lost the message.  So:
 *  - the signals that would end the tool are caught instead: one that
 *    comes while the tool waits ends the wait (EINTR: nothing taken),
 *    one that comes after a message was taken waits until it is written
 *    out; then the tool ends by that signal, as it would have;
 *  - before each receive, standard output must still have a reader (a
 *    pipe whose reader is gone says so), and each message is flushed;
 *  - should a write fail all the same, the message is sent back (to the
 *    end of its type or priority: the only place a send can put it) and
 *    the tool says so; only if that fails too is it lost, and it says so.
 * The tool stays a real receiver (counted as blocked, handed messages,
 * holding back mq_notify), as scripts and `umq top` expect.  Only SIGKILL
 * between the take and the write loses a message, as it would the
 * message of any program's msgrcv.
 */
#include "cmd.h"
#include "msgio.h"
#include "util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rq {
	const struct target *t;
	long type;		/* System V: the selector */
	int flg;		/* System V: MSG_EXCEPT */
	double secs;		/* < 0: no limit; 0: do not wait */
	const struct timespec *at;
	mqd_t q;		/* POSIX: open for reading */
	size_t room;		/* the buffer's text room */
	struct msgbuf *mb;	/* System V: type and text; POSIX: text */
};

static volatile sig_atomic_t ended_by;
static const int ending[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGALRM,
			      SIGUSR1, SIGUSR2 };

static void on_end(int sig)
{
	ended_by = sig;
}

/* Catch the signals that end the tool: no SA_RESTART, so that a wait
 * returns EINTR.  One ignored when the tool started stays ignored. */
static void catch_ending(void)
{
	struct sigaction sa = { .sa_handler = on_end }, old;

	signal(SIGPIPE, SIG_IGN);	/* a closed pipe: an error to report */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(ending) / sizeof(ending[0]); i++)
		if (!sigaction(ending[i], NULL, &old) &&
		    old.sa_handler != SIG_IGN)
			sigaction(ending[i], &sa, NULL);
}

/* End as the caught signal would have ended the tool. */
static void end_if_signalled(void)
{
	int sig = ended_by;

	if (!sig)
		return;
	fflush(stdout);
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

/* Standard output cannot be written: closed (held read-only by
 * tool_start), EBADF, or a pipe whose reader is gone (POLLERR), EPIPE;
 * else 0. */
static int out_gone(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
	int fl = fcntl(STDOUT_FILENO, F_GETFL);

	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
		return EBADF;
	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)))
		return EPIPE;
	return 0;
}

/* Put a taken message back: -1 with errno if it could not be. */
static int put_back(const struct rq *r, long type, size_t len)
{
	struct timespec at;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &at);
	at.tv_sec += 5;		/* a full queue may take a moment */
	if (r->t->name) {
		mqd_t w = umq_mq_open(r->t->name, O_WRONLY | UMQ_O_NOPOLL);

		if (w == (mqd_t)-1)
			return -1;
		ret = umq_mq_clocksend(w, (char *)r->mb, len, (unsigned)type,
				       CLOCK_MONOTONIC, &at);
		int e = errno;
		umq_mq_close(w);
		errno = e;
		return ret;
	}
	r->mb->mtype = type;
	return umq_msgclocksnd(r->t->id, r->mb, len, 0, CLOCK_MONOTONIC, &at);
}

/* Write a taken message out; on failure, send it back and exit 1. */
static void write_out(const struct rq *r, const char *text, long type,
		      size_t len, bool newline)
{
	int e;

	if (fwrite(text, 1, len, stdout) == len &&
	    (!newline || putchar('\n') != EOF) && !fflush(stdout))
		return;
	e = errno;
	__fpurge(stdout);	/* nothing left for the exit to report */
	clearerr(stdout);
	if (!put_back(r, type, len)) {
		errno = e;
		err(EXIT_FAILURE, "write error; the message went back to the "
		    "end of %s", r->t->arg);
	}
	warn("could not send it back");
	errno = e;
	err(EXIT_FAILURE, "write error; a message of %zu bytes from %s "
	    "is lost", len, r->t->arg);
}

static void grow(struct rq *r, size_t room)
{
	free(r->mb);
	r->mb = malloc(sizeof(long) + room + 1);
	if (!r->mb)
		err(EXIT_FAILURE, "cannot allocate");
	r->room = room;
}

/* Receive one message into r->mb (text_of): its length, and its type
 * or priority in *type. */
static ssize_t receive(struct rq *r, long *type)
{
	const struct timespec *at = r->secs > 0 ? r->at : NULL;
	struct umq_peek_msg pm = { 0 };
	unsigned prio;
	ssize_t n;

	if (r->t->name) {
		n = at ? umq_mq_clockreceive(r->q, (char *)r->mb, r->room,
					     &prio, CLOCK_MONOTONIC, at) :
			 umq_mq_receive(r->q, (char *)r->mb, r->room, &prio);
		*type = prio;
		return n;
	}
	for (;;) {
		n = at ? umq_msgclockrcv(r->t->id, r->mb, r->room, r->type,
					 r->flg, CLOCK_MONOTONIC, at) :
			 umq_msgrcv(r->t->id, r->mb, r->room, r->type, r->flg |
				    (r->secs == 0 ? IPC_NOWAIT : 0));
		/* Larger than msgmax is now (it was lowered since): as
		 * large as the message. */
		if (n >= 0 || errno != E2BIG ||
		    umq_msgpeek(r->t->id, r->type, r->flg & MSG_EXCEPT, 0,
				&pm, 1) != 1 || pm.len <= r->room)
			break;
		grow(r, pm.len);
	}
	*type = r->mb->mtype;
	return n;
}

/* Where receive() put the text: after the type for System V, which a
 * put_back() then sends in place. */
static char *text_of(const struct rq *r)
{
	return r->t->name ? (char *)r->mb : r->mb->mtext;
}

void recv_messages(const struct target *t, long type, int flg, long count,
		   double secs, const struct timespec *at)
{
	struct rq r = { t, type, flg, secs, at, (mqd_t)-1, 0, NULL };
	sigset_t held, old;
	long msgsize;

	catch_ending();
	sigemptyset(&held);
	for (size_t i = 0; i < sizeof(ending) / sizeof(ending[0]); i++)
		sigaddset(&held, ending[i]);
	if (t->name) {
		r.q = open_mq(t, O_RDONLY | (secs == 0 ? O_NONBLOCK : 0),
			      &msgsize);
		grow(&r, (size_t)msgsize);
	} else {
		grow(&r, (size_t)sysv_msgmax());
	}
	for (long i = 0; i < count; i++) {
		long mtype;
		ssize_t n;

		end_if_signalled();
		if ((errno = out_gone()))
			err(EXIT_FAILURE, "write error");
		n = receive(&r, &mtype);
		if (n < 0) {
			int e = errno;

			end_if_signalled();
			fflush(stdout);
			errno = e;
			if (e == EAGAIN || e == ENOMSG || e == ETIMEDOUT)
				timed_out(t, false, secs);
			fail(t, "receive from");
		}
		/* Held until the message is out: a signal must not
		 * interrupt its write (EINTR), only end the tool after. */
		sigprocmask(SIG_BLOCK, &held, &old);
		write_out(&r, text_of(&r), mtype, (size_t)n, count > 1);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	end_if_signalled();
	free(r.mb);
	if (t->name)
		umq_mq_close(r.q);
}
