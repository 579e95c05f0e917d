/* SPDX-License-Identifier: MIT */
/* garbage_mq_use.c - the calls a round makes on its damaged POSIX queue:
 * see garbage_mq.h. */
#include "t.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>

#include "garbage_mq.h"

static void guard_set(char *buf)
{
	memset(buf + RBUF, 0x5c, GUARD);
}

static void guard_check(const char *buf, ssize_t r, size_t sz,
			const char *call)
{
	for (int i = 0; i < GUARD; i++)
		if ((uint8_t)buf[RBUF + i] != 0x5c)
			R_FAIL("%s wrote past the caller's buffer", call);
	if (r > (ssize_t)sz)
		R_FAIL("%s returned %zd for a buffer of %zu", call, r, sz);
}

ssize_t recv_one(mqd_t d, char *buf, size_t sz, const char *call,
			const struct timespec *ts)
{
	unsigned prio = 0;
	ssize_t r;

	guard_set(buf);
	r = ts ? umq_mq_timedreceive(d, buf, sz, &prio, ts) :
		 umq_mq_receive(d, buf, sz, &prio);
	judge(r, call);
	guard_check(buf, r, sz, call);
	if (r >= 0)
		count_out(buf, r, prio, call);
	return r;
}

void send_one(mqd_t d, const struct timespec *ts, const char *call)
{
	char buf[RBUF];
	uint32_t prio = some_prio(),
		 len = 4 + below((uint32_t)SU.msgsize - 3);

	int id = mk(buf, prio, len);
	if (!judge(ts ? umq_mq_timedsend(d, buf, len, prio, ts) :
			umq_mq_send(d, buf, len, prio), call))
		SENT->queued[id] = 1;
}

struct timespec soon(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000000;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	return ts;
}

/* What umq_mq_stat and a listing say of the namespace: anything, but
 * cleanly. */
static void inspect(void)
{
	struct umq_mq_info info;
	struct umq_mq_list *l;
	int r, n = 0;

	op("umq_mq_stat");
	judge(umq_mq_stat(QNAME, &info), LOG->op);
	op("umq_mq_list_open");
	l = umq_mq_list_open();
	if (!l) {
		judge(-1, LOG->op);
		return;
	}
	do {
		op("umq_mq_list_next #%d", n);
		r = umq_mq_list_next(l, &info);
		judge(r, LOG->op);
	} while (r == 1 && ++n < 100);
	umq_mq_list_close(l);
}

/* The queue could not be opened: what else a user would try. */
void refused(void)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	mqd_t d;

	op("mq_open(O_CREAT) of the name of a refused queue");
	d = umq_mq_open(QNAME, O_CREAT | O_RDWR | O_NONBLOCK, 0600, &a);
	if (!judge(d, LOG->op)) {
		op("mq_send on the queue mq_open(O_CREAT) gave");
		send_one(d, NULL, LOG->op);
		op("mq_close after mq_open(O_CREAT)");
		judge(umq_mq_close(d), LOG->op);
	}
	inspect();
	op("umq_mq_peek_name of a refused queue");
	{
		struct umq_peek_msg pm = { 0 };
		judge(umq_mq_peek_name(QNAME, 0, &pm, 1), LOG->op);
	}
}

static void peek(mqd_t d)
{
	static char bufs[4][RBUF];
	struct umq_peek_msg pm[4];
	ssize_t n;

	memset(pm, 0, sizeof(pm));
	for (int i = 0; i < 4; i++) {
		pm[i].text = bufs[i];
		pm[i].size = i == 3 ? 8 : RBUF;
	}
	op("umq_mq_peek");
	n = umq_mq_peek(d, 0, pm, 4);
	judge(n, LOG->op);
	if (n > 4)
		R_FAIL("umq_mq_peek returned %zd for 4 places", n);
	for (ssize_t i = 0; i < n; i++) {
		if (pm[i].copied > pm[i].size || pm[i].copied > pm[i].len)
			R_FAIL("umq_mq_peek copied %zu of %zu into %zu",
			       pm[i].copied, pm[i].len, pm[i].size);
		if (pm[i].size == RBUF && pm[i].len <= RBUF)
			check_msg(bufs[i], (ssize_t)pm[i].len,
				  (unsigned)pm[i].type, "umq_mq_peek");
	}
}

/* What mq_getattr says is something a queue can be: maxmsg and msgsize
 * as some creator could have asked, no more messages than maxmsg. */
static void getattr(mqd_t d)
{
	struct mq_attr a;

	if (!judge(umq_mq_getattr(d, &a), LOG->op) &&
	    (a.mq_maxmsg < 1 || a.mq_maxmsg > 65536 || a.mq_msgsize < 1 ||
	     a.mq_msgsize > (16 << 20) || a.mq_curmsgs < 0 ||
	     a.mq_curmsgs > a.mq_maxmsg || (a.mq_flags & ~O_NONBLOCK)))
		R_FAIL("mq_getattr says flags %#lx maxmsg %ld msgsize %ld "
		       "curmsgs %ld", a.mq_flags, a.mq_maxmsg, a.mq_msgsize,
		       a.mq_curmsgs);
}

/*
 * The bounded set of calls every round makes on the damaged queue, from
 * this process, which never mapped it.  Each must succeed or fail
 * cleanly, and a message that comes out must be one that was sent.
 * Returns whether the queue could be opened.
 */
bool use(void)
{
	static char buf[RBUF + GUARD];
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	struct mq_attr a, na = { 0 };
	struct pollfd pfd;
	struct timespec ts;
	char line[128];
	sigset_t usr2;
	mqd_t d, b;

	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, NULL);

	op("mq_open(O_RDWR | O_NONBLOCK)");
	d = umq_mq_open(QNAME, O_RDWR | O_NONBLOCK);
	if (judge(d, LOG->op)) {
		refused();
		return false;
	}
	op("mq_getattr");
	getattr(d);
	inspect();
	peek(d);
	for (int k = 0; k < 3; k++) {
		op("mq_receive #%d", k);
		recv_one(d, buf, RBUF, LOG->op, NULL);
	}
	op("mq_receive into 8 bytes");
	recv_one(d, buf, 8, LOG->op, NULL);
	for (int k = 0; k < 3; k++) {
		op("mq_send #%d", k);
		send_one(d, NULL, LOG->op);
	}
	op("poll");
	pfd.fd = d;
	pfd.events = POLLIN | POLLOUT;
	if (poll(&pfd, 1, 0) < 0 || (pfd.revents & POLLNVAL))
		R_FAIL("poll on the mqd: %s, revents %#x",
		       strerrorname_np(errno), pfd.revents);
	op("mq_setattr(0)");
	judge(umq_mq_setattr(d, &na, &a), LOG->op);
	na.mq_flags = O_NONBLOCK;
	op("mq_setattr(O_NONBLOCK)");
	judge(umq_mq_setattr(d, &na, NULL), LOG->op);

	op("mq_open(O_RDWR), blocking");
	b = umq_mq_open(QNAME, O_RDWR);
	if (!judge(b, LOG->op)) {
		op("mq_timedreceive, 20 ms");
		ts = soon(20);
		recv_one(b, buf, RBUF, LOG->op, &ts);
		op("mq_timedsend, 20 ms");
		ts = soon(20);
		send_one(b, &ts, LOG->op);
		op("mq_timedreceive, a timeout in the past");
		ts = soon(-1000);
		recv_one(b, buf, RBUF, LOG->op, &ts);
		op("mq_close of the blocking descriptor");
		judge(umq_mq_close(b), LOG->op);
	}

	op("mq_notify(SIGEV_NONE)");
	judge(umq_mq_notify(d, &sev), LOG->op);
	op("mq_notify(NULL)");
	judge(umq_mq_notify(d, NULL), LOG->op);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR2;
	op("mq_notify(SIGEV_SIGNAL)");
	judge(umq_mq_notify(d, &sev), LOG->op);
	for (int k = 0; k < 2; k++) {
		op("mq_receive after mq_notify #%d", k);
		recv_one(d, buf, RBUF, LOG->op, NULL);
	}
	op("mq_send after mq_notify");
	send_one(d, NULL, LOG->op);
	op("umq_mq_status");
	judge(umq_mq_status(d, line, sizeof(line)), LOG->op);
	op("mq_getattr, last");
	getattr(d);
	op("mq_close");
	judge(umq_mq_close(d), LOG->op);
	return true;
}

/* One receive of the drain (repaired), counted and judged. */
static ssize_t drain_one(void *arg)
{
	static char buf[RBUF + GUARD];

	return recv_one(*(mqd_t *)arg, buf, RBUF, LOG->op, NULL);
}

/*
 * After damage the library can repair (the store: chunks, indexes,
 * derived header fields; the control block's counters): the queue drains
 * to empty with mq_getattr saying so, and a new message goes through
 * intact.
 */
void repaired(void)
{
	static char buf[RBUF + GUARD];
	struct mq_attr a;
	ssize_t r;
	mqd_t d;

	op("mq_open for the repair");
	d = umq_mq_open(QNAME, O_RDWR | O_NONBLOCK);
	if (d == (mqd_t)-1)
		R_FAIL("a repairable queue cannot be opened: %s",
		       strerrorname_np(errno));
	drain("mq_receive", drain_one, &d, EAGAIN, 1000);
	op("mq_getattr after the drain");
	if (umq_mq_getattr(d, &a))
		R_FAIL("mq_getattr after the drain: %s",
		       strerrorname_np(errno));
	if (a.mq_curmsgs)
		R_FAIL("drained to EAGAIN, but mq_getattr says %ld messages",
		       a.mq_curmsgs);
	if (SENT->lossless && !SENT->text_damaged) {
		char lost[200] = "";
		int nl = 0;

		for (int i = 0; i < SENT->n; i++)
			if (SENT->queued[i] && !OUT[i] && nl++ < 20)
				snprintf(lost + strlen(lost),
					 sizeof(lost) - strlen(lost), " %d", i);
		if (nl)
			R_FAIL("drained to EAGAIN, but %d messages sent never "
			       "came out:%s", nl, lost);
	}
	op("mq_send of a new message after the repair");
	int id = mk(buf, 7, 50);
	if (umq_mq_send(d, buf, 50, 7))
		R_FAIL("a new message after the repair: mq_send: %s",
		       strerrorname_np(errno));
	op("mq_receive of the new message");
	memset(buf, 0, 64);
	unsigned prio = 0;
	r = umq_mq_receive(d, buf, RBUF, &prio);
	if (r != 50 || prio != 7 || which(buf, r, prio) != id)
		R_FAIL("the new message after the repair came back as %zd "
		       "(%s)", r, r < 0 ? strerrorname_np(errno) : "torn");
	op("mq_close after the repair");
	if (umq_mq_close(d))
		R_FAIL("mq_close: %s", strerrorname_np(errno));
}

/* The end of every round: the name goes, and a new queue works. */
void finish(void)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	char buf[RBUF];
	unsigned prio;
	ssize_t r;
	mqd_t d;

	op("mq_unlink");
	judge(umq_mq_unlink(QNAME), LOG->op);
	op("a new queue beside the damaged one");
	d = umq_mq_open("/fresh", O_CREAT | O_EXCL | O_RDWR | O_NONBLOCK,
			0600, &a);
	if (d == (mqd_t)-1)
		R_FAIL("a new queue after the damage: mq_open: %s",
		       strerrorname_np(errno));
	int id = mk(buf, 2, 40);
	if (umq_mq_send(d, buf, 40, 2))
		R_FAIL("a new queue after the damage: mq_send: %s",
		       strerrorname_np(errno));
	r = umq_mq_receive(d, buf, RBUF, &prio);
	if (r != 40 || which(buf, r, prio) != id)
		R_FAIL("a new queue after the damage: mq_receive: %zd %s", r,
		       r < 0 ? strerrorname_np(errno) : "(torn)");
	if (umq_mq_close(d) || umq_mq_unlink("/fresh"))
		R_FAIL("a new queue after the damage: close/unlink: %s",
		       strerrorname_np(errno));
}

void expect_open(const char *what, int err, int alt)
{
	mqd_t d;

	op("mq_open of a queue whose %s", what);
	errno = 0;
	d = umq_mq_open(QNAME, O_RDWR | O_NONBLOCK);
	if (err && (d != (mqd_t)-1 || (errno != err && (!alt || errno != alt))))
		R_FAIL("mq_open of a queue whose %s returned %d %s, expected "
		       "-1 %s", what, d, d == (mqd_t)-1 ?
		       strerrorname_np(errno) : "", strerrorname_np(err));
	if (!err && d == (mqd_t)-1)
		R_FAIL("mq_open of a queue whose %s: %s", what,
		       strerrorname_np(errno));
	if (d != (mqd_t)-1)
		umq_mq_close(d);
}
