/* SPDX-License-Identifier: MIT */
/*
 * prog_cancel.c - pthread_cancel() and the blocking calls: msgrcv,
 * msgsnd, mq_receive, mq_send and mq_timedreceive are cancellation points
 * (spec B1).
 *
 *  - a thread blocked in one of them is cancelled: its cleanup handler
 *    runs, pthread_join() gives PTHREAD_CANCELED, and the queue is as if
 *    the call had never been made - no message taken, none sent, and the
 *    next send is not handed to the cancelled caller;
 *  - a request made before the call acts at its start, even when it would
 *    not block (a message waiting, IPC_NOWAIT, O_NONBLOCK): the message
 *    stays queued;
 *  - with cancellation disabled, a request neither ends the wait nor loses
 *    the message that ends it; it acts at the next cancellation point.
 *
 * A case's thread tells the main thread (a pipe) just before its call; the
 * main thread then lets it block (100 ms) before it cancels.  A request
 * that comes before the sleep acts all the same.
 */
#include "prog.h"

#include <pthread.h>

enum api { MSGRCV, MSGSND, MQRECV, MQSEND, MQTIMEDRECV, NAPI };

static const char *const api_names[] = {
	"msgrcv", "msgsnd", "mq_receive", "mq_send", "mq_timedreceive"
};

struct cc {
	enum api api;
	int id;
	mqd_t q;
	int pipe[2];
};

static struct {
	long mtype;
	char mtext[16];
} m;

static void told(void *arg)
{
	(void)arg;
	say("  cleanup handler ran");
}

/* The call that blocks, inside the thread's cleanup handler. */
static void *blocker(void *arg)
{
	struct cc *c = arg;
	char buf[16];
	struct timespec far;
	volatile long long r = 0;	/* kept across the cleanup's setjmp */

	clock_gettime(CLOCK_REALTIME, &far);
	far.tv_sec += 60;
	pthread_cleanup_push(told, NULL);
	if (write(c->pipe[1], "b", 1) != 1)
		_exit(3);
	switch (c->api) {
	case MSGRCV:
		r = msgrcv(c->id, &m, sizeof(m.mtext), 0, 0);
		break;
	case MSGSND:
		m.mtype = 2;
		r = msgsnd(c->id, &m, 8, 0);
		break;
	case MQRECV:
		r = mq_receive(c->q, buf, sizeof(buf), NULL);
		break;
	case MQSEND:
		r = mq_send(c->q, "blocked", 7, 1);
		break;
	case MQTIMEDRECV:
		r = mq_timedreceive(c->q, buf, sizeof(buf), NULL, &far);
		break;
	case NAPI:
		break;
	}
	say("  the call returned %lld: not cancelled", r);
	pthread_cleanup_pop(0);
	return NULL;
}

/* Not CALL(): the thread's cleanup handler may print before we could. */
static void cancel(pthread_t th)
{
	int e;

	say("pthread_cancel");
	e = pthread_cancel(th);
	if (e)
		say("pthread_cancel: %s", ename(e));
}

static void join(pthread_t th)
{
	void *ret;

	CALL(pthread_join(th, &ret));
	say("  joined: %s", ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" :
	    "returned");
}

static void show_queue(struct cc *c, const char *tag)
{
	struct msqid_ds ds;
	struct mq_attr a;

	if (c->api == MSGRCV || c->api == MSGSND) {
		CALL(msgctl(c->id, IPC_STAT, &ds));
		say("  %s: msg_qnum %lu, msg_cbytes %lu", tag,
		    (unsigned long)ds.msg_qnum, (unsigned long)ds.msg_cbytes);
	} else {
		CALL(mq_getattr(c->q, &a));
		say("  %s: mq_curmsgs %ld", tag, (long)a.mq_curmsgs);
	}
}

/* What is queued, oldest first (highest priority first), emptying it. */
static void drain(struct cc *c)
{
	char buf[16];
	unsigned prio;
	long long n;

	if (c->api == MSGRCV || c->api == MSGSND) {
		while ((n = CALL(msgrcv(c->id, &m, sizeof(m.mtext), 0,
					IPC_NOWAIT))) >= 0)
			say("  got type %ld \"%.*s\"", m.mtype, (int)n,
			    m.mtext);
	} else {
		while ((n = CALL(mq_receive(c->q, buf, sizeof(buf),
					    &prio))) >= 0)
			say("  got prio %u \"%.*s\"", prio, (int)n, buf);
	}
}

static void open_queue(struct cc *c, bool full)
{
	struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 16 };
	struct msqid_ds ds;

	if (c->api == MSGRCV || c->api == MSGSND) {
		c->id = CALLOK(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
		CALL(msgctl(c->id, IPC_STAT, &ds));
		ds.msg_qbytes = 8;
		CALL(msgctl(c->id, IPC_SET, &ds));
		if (full) {
			m.mtype = 1;
			memcpy(m.mtext, "queued!!", 8);
			CALL(msgsnd(c->id, &m, 8, IPC_NOWAIT));
		}
	} else {
		mq_unlink("/prog_cancel");
		c->q = CALLOK(mq_open("/prog_cancel", O_RDWR | O_CREAT |
				      O_EXCL | O_NONBLOCK, 0600, &a));
		CALL(mq_unlink("/prog_cancel"));
		if (full)
			CALL(mq_send(c->q, "queued", 6, 0));
		/* Blocking from here: the calls of the case wait. */
		a.mq_flags = 0;
		CALL(mq_setattr(c->q, &a, NULL));
	}
}

static void close_queue(struct cc *c)
{
	if (c->api == MSGRCV || c->api == MSGSND)
		CALL(msgctl(c->id, IPC_RMID, NULL));
	else
		CALL(mq_close(c->q));
}

/* Start fn(c) in a thread, let it block in its call, and cancel it. */
static pthread_t start_blocked_and_cancel(struct cc *c, void *(*fn)(void *))
{
	pthread_t th;
	char b;

	if (pipe(c->pipe) || pthread_create(&th, NULL, fn, c))
		_exit(3);
	if (read(c->pipe[0], &b, 1) != 1)
		_exit(3);
	msleep(100);
	cancel(th);
	return th;
}

/* Block, get cancelled, and leave the queue as it was. */
static void cancel_blocked(enum api api)
{
	struct cc c = { .api = api };
	bool send = api == MSGSND || api == MQSEND;

	say("-- %s blocked, then cancelled", api_names[api]);
	open_queue(&c, send);
	join(start_blocked_and_cancel(&c, blocker));
	show_queue(&c, "after the cancel");
	/* Not handed to the cancelled receiver, nor behind its send. */
	if (api == MSGRCV) {
		m.mtype = 3;
		memcpy(m.mtext, "after", 5);
		CALL(msgsnd(c.id, &m, 5, IPC_NOWAIT));
	} else if (!send) {
		CALL(mq_setattr(c.q, &(struct mq_attr){ .mq_flags =
						O_NONBLOCK }, NULL));
		CALL(mq_send(c.q, "after", 5, 3));
	}
	if (api == MQSEND)
		CALL(mq_setattr(c.q, &(struct mq_attr){ .mq_flags =
						O_NONBLOCK }, NULL));
	drain(&c);
	close_queue(&c);
	close(c.pipe[0]);
	close(c.pipe[1]);
}

/* A request made before the call: it acts at the call's start. */
static void *pending_first(void *arg)
{
	struct cc *c = arg;
	char buf[16];
	long long r;
	char b;

	pthread_cleanup_push(told, NULL);
	/* A first call of this thread, which may have cancellation points
	 * of its own (umq reads the thread's start time in /proc): the one
	 * that follows is the entry's alone. */
	show_queue(c, "first");
	CALL(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL));
	if (write(c->pipe[1], "p", 1) != 1 || read(c->pipe[0], &b, 1) != 1)
		_exit(3);
	say("  a request is pending; enabled, then the call, which would "
	    "not block:");
	/* Nothing printed in between: write() is a cancellation point. */
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	if (c->api == MSGRCV)
		r = msgrcv(c->id, &m, sizeof(m.mtext), 0, IPC_NOWAIT);
	else
		r = mq_receive(c->q, buf, sizeof(buf), NULL);
	say("  the call returned %lld: not cancelled", r);
	pthread_cleanup_pop(0);
	return NULL;
}

static void cancel_pending(enum api api)
{
	struct cc c = { .api = api };
	int to[2];
	pthread_t th;
	char b;

	say("-- %s with a request already pending, a message queued",
	    api_names[api]);
	open_queue(&c, true);
	if (api == MQRECV)
		CALL(mq_setattr(c.q, &(struct mq_attr){ .mq_flags =
						O_NONBLOCK }, NULL));
	/* The thread writes to c.pipe, reads what we write to `to`. */
	if (pipe(c.pipe) || pipe(to))
		_exit(3);
	int keep = c.pipe[0];
	c.pipe[0] = to[0];
	if (pthread_create(&th, NULL, pending_first, &c))
		_exit(3);
	if (read(keep, &b, 1) != 1)
		_exit(3);
	cancel(th);
	if (write(to[1], "g", 1) != 1)
		_exit(3);
	join(th);
	show_queue(&c, "after");
	drain(&c);
	close_queue(&c);
	close(keep);
	close(to[0]);
	close(to[1]);
	close(c.pipe[1]);
}

/* Cancellation disabled: the request waits for the next cancellation
 * point, and the message that ends the wait is received. */
static void *disabled(void *arg)
{
	struct cc *c = arg;
	char buf[16];
	long long n;

	pthread_cleanup_push(told, NULL);
	CALL(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL));
	if (write(c->pipe[1], "d", 1) != 1)
		_exit(3);
	if (c->api == MSGRCV) {
		n = CALL(msgrcv(c->id, &m, sizeof(m.mtext), 0, 0));
		if (n >= 0)
			say("  got type %ld \"%.*s\"", m.mtype, (int)n,
			    m.mtext);
	} else {
		n = CALL(mq_receive(c->q, buf, sizeof(buf), NULL));
		if (n >= 0)
			say("  got \"%.*s\"", (int)n, buf);
	}
	say("  enabled again, then pthread_testcancel:");
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	pthread_testcancel();
	say("  not cancelled");
	pthread_cleanup_pop(0);
	return NULL;
}

static void cancel_disabled(enum api api)
{
	struct cc c = { .api = api };
	pthread_t th;

	say("-- %s blocked with cancellation disabled", api_names[api]);
	open_queue(&c, false);
	th = start_blocked_and_cancel(&c, disabled);
	msleep(100);
	/* Not CALL(): the woken thread's line would race with its own. */
	say("send \"wakes\"");
	if (api == MSGRCV) {
		static struct { long mtype; char mtext[8]; } w = { 4, "wakes" };
		if (msgsnd(c.id, &w, 5, IPC_NOWAIT))
			say("msgsnd: %s", ename(errno));
	} else if (mq_send(c.q, "wakes", 5, 0)) {
		say("mq_send: %s", ename(errno));
	}
	join(th);
	show_queue(&c, "after");
	close_queue(&c);
	close(c.pipe[0]);
	close(c.pipe[1]);
}

int main(void)
{
	prog_init(60);
	for (int a = 0; a < NAPI; a++)
		cancel_blocked(a);
	cancel_pending(MSGRCV);
	cancel_pending(MQRECV);
	cancel_disabled(MSGRCV);
	cancel_disabled(MQRECV);
	return 0;
}
