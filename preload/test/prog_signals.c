/* SPDX-License-Identifier: MIT */
/*
 * prog_signals.c - signals reaching a caller blocked in msgrcv, msgsnd,
 * mq_receive or mq_send, at several instants after it blocked (at once,
 * 250 ms, and whole seconds: 1 s, 2 s), with a handler installed without
 * and with SA_RESTART, an ignored signal, and a stop and continue.
 *
 * The kernel's rules: System V calls fail with EINTR after a handler
 * whatever SA_RESTART says; POSIX calls restart after an SA_RESTART
 * handler and fail with EINTR otherwise; an ignored signal, or a stop
 * and continue, is not seen at all.
 *
 * Each case runs in a process of its own, all at once (the trace shows
 * them in a fixed order): a waiter blocks, the case's process signals it,
 * then (if the waiter should still be blocked) completes its call, and
 * looks at what is left in the queue.
 */
#include "prog.h"

#include <poll.h>

enum api { MSGRCV, MSGSND, MQRECV, MQSEND, NAPI };
enum mode { HANDLER, RESTART, IGNORED, STOPCONT };

static const char *const api_names[] = {
	"msgrcv", "msgsnd", "mq_receive", "mq_send"
};
static const char *const mode_names[] = {
	"handler", "handler with SA_RESTART", "ignored signal",
	"stop and continue"
};

struct scase {
	enum api api;
	enum mode mode;
	int delay_ms;
	/* Set up by the case's process before it starts the waiter. */
	int id;
	mqd_t q;
	int hpipe[2];
};

static struct {
	long mtype;
	char mtext[16];
} m;

static volatile sig_atomic_t handled;
static int hfd = -1;

static void on_signal(int sig)
{
	int e = errno;

	(void)sig;
	handled++;
	if (write(hfd, "h", 1) < 0)
		_exit(3);
	errno = e;
}

static void waiter(void *arg)
{
	struct scase *c = arg;
	struct sigaction sa = { .sa_handler = on_signal };
	char buf[16];
	long long r;

	hfd = c->hpipe[1];
	if (c->mode == RESTART)
		sa.sa_flags = SA_RESTART;
	if (c->mode == IGNORED)
		sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR1, &sa, NULL);
	switch (c->api) {
	case MSGRCV:
		r = CALL(msgrcv(c->id, &m, sizeof(m.mtext), 0, 0));
		if (r >= 0)
			say("  got \"%.*s\"", (int)r, m.mtext);
		break;
	case MSGSND:
		m.mtype = 1;
		memcpy(m.mtext, "mine", 4);
		CALL(msgsnd(c->id, &m, 4, 0));
		break;
	case MQRECV:
		r = CALL(mq_receive(c->q, buf, sizeof(buf), NULL));
		if (r >= 0)
			say("  got \"%.*s\"", (int)r, buf);
		break;
	case MQSEND:
		CALL(mq_send(c->q, "mine", 4, 0));
		break;
	default:
		break;
	}
	say("  the handler ran %d time(s)", (int)handled);
}

/* The kernel's rule: does the waiter's call go on after the signal? */
static bool continues(const struct scase *c)
{
	if (c->mode == IGNORED || c->mode == STOPCONT)
		return true;
	return c->mode == RESTART && (c->api == MQRECV || c->api == MQSEND);
}

/* Let a waiter that is still blocked complete: give it what it waits for. */
static void unblock(const struct scase *c)
{
	char buf[16];
	long long r;

	switch (c->api) {
	case MSGRCV:
		m.mtype = 2;
		memcpy(m.mtext, "wake", 4);
		CALL(msgsnd(c->id, &m, 4, IPC_NOWAIT));
		break;
	case MSGSND:
		r = CALL(msgrcv(c->id, &m, sizeof(m.mtext), 0, IPC_NOWAIT));
		if (r >= 0)
			say("  got \"%.*s\"", (int)r, m.mtext);
		break;
	case MQRECV:
		CALL(mq_send(c->q, "wake", 4, 0));
		break;
	case MQSEND:
		r = CALL(mq_receive(c->q, buf, sizeof(buf), NULL));
		if (r >= 0)
			say("  got \"%.*s\"", (int)r, buf);
		break;
	default:
		break;
	}
}

/* What the queue holds at the end (emptying it). */
static void drain(const struct scase *c)
{
	struct mq_attr nb = { .mq_flags = O_NONBLOCK };
	char buf[16];
	long long r;

	if (c->api == MQRECV || c->api == MQSEND)
		CALL(mq_setattr(c->q, &nb, NULL));
	do {
		if (c->api == MSGRCV || c->api == MSGSND)
			r = CALL(msgrcv(c->id, &m, sizeof(m.mtext), 0,
					IPC_NOWAIT));
		else
			r = CALL(mq_receive(c->q, buf, sizeof(buf), NULL));
		if (r >= 0)
			say("  left \"%.*s\"", (int)r,
			    c->api < MQRECV ? m.mtext : buf);
	} while (r >= 0);
}

static void run_case(void *arg)
{
	struct scase *c = arg;
	struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 16 };
	struct msqid_ds ds;
	struct pollfd pfd;
	char name[32];
	pid_t w;
	int st;

	say("-- %s, %s, %d ms after blocking", api_names[c->api],
	    mode_names[c->mode], c->delay_ms);
	if (pipe(c->hpipe))
		say("pipe: %s", ename(errno));
	if (c->api == MSGRCV || c->api == MSGSND) {
		c->id = CALLOK(msgget(IPC_PRIVATE, 0600));
		CALL(msgctl(c->id, IPC_STAT, &ds));
		ds.msg_qbytes = 4;
		CALL(msgctl(c->id, IPC_SET, &ds));
	} else {
		snprintf(name, sizeof(name), "/sig%d.%d.%d", c->api, c->mode,
			 c->delay_ms);
		c->q = CALLOK(mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600,
				      &a));
		CALL(mq_unlink(name));
	}
	if (c->api == MSGSND) {		/* full: 4 bytes of 4 */
		m.mtype = 1;
		memcpy(m.mtext, "full", 4);
		CALL(msgsnd(c->id, &m, 4, IPC_NOWAIT));
	}
	if (c->api == MQSEND)
		CALL(mq_send(c->q, "full", 4, 0));

	w = spawn("waiter", waiter, c);
	close(c->hpipe[1]);
	if (wait_state(w, "S") != 'S')
		say("the waiter did not block");
	msleep(c->delay_ms);
	switch (c->mode) {
	case HANDLER:
	case RESTART:
	case IGNORED:
		kill(w, SIGUSR1);
		if (c->mode == IGNORED)
			break;
		pfd = (struct pollfd){ .fd = c->hpipe[0], .events = POLLIN };
		if (poll(&pfd, 1, 20000) != 1)
			say("the handler did not run");
		break;
	case STOPCONT:
		kill(w, SIGSTOP);
		st = wait_state(w, "T");
		say("stopped: %s", st == 'T' ? "yes" : "no");
		kill(w, SIGCONT);
		break;
	}
	if (continues(c)) {
		/* Blocked again (or, wrongly, finished: then it shows). */
		if (wait_state(w, "S") != 'S')
			say("the waiter is not blocked after the signal");
		unblock(c);
	}
	reap(w);
	drain(c);
}

static struct scase cases[64];
static int ncases;

static void add(enum api api, enum mode mode, int delay_ms)
{
	cases[ncases++] = (struct scase){
		.api = api, .mode = mode, .delay_ms = delay_ms,
	};
}

int main(void)
{
	static const int delays[] = { 0, 250, 1000, 2000 };
	pid_t pids[64];

	prog_init(120);
	pid_name(getpid(), "main");
	for (int api = 0; api < NAPI; api++) {
		for (int d = 0; d < 4; d++) {
			add(api, HANDLER, delays[d]);
			add(api, RESTART, delays[d]);
		}
		add(api, IGNORED, 0);
		add(api, STOPCONT, 0);
		add(api, STOPCONT, 1000);
	}
	for (int i = 0; i < ncases; i++)
		pids[i] = spawn("case", run_case, &cases[i]);
	for (int i = 0; i < ncases; i++)	/* longer than the waiters' */
		reap_within(pids[i], 60);
	return 0;
}
