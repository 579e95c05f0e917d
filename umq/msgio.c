/* SPDX-License-Identifier: MIT */
/*
 * msgio.c - `umq send`, `umq recv` (its loop: recv.c) and `umq purge`:
 * the messages of one queue, for scripts (and what `umq peek`, peek.c,
 * shares with them).  A queue is a System V id (a number) or a POSIX
 * name ("/NAME").
 *
 * Exit status: 0 success, 1 an error (a one-line message), 124 (as
 * timeout(1)) when --timeout ran out - or, with --timeout 0, when the
 * queue was empty (recv) or full (send).
 */
#include "cmd.h"
#include "msgio.h"
#include "util.h"

#include <ctype.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void parse_target(const char *s, struct target *t, bool selector)
{
	char *end = NULL;
	long v;

	t->arg = s;
	t->name = NULL;
	if (s[0] == '/') {
		if (!s[1] || strchr(s + 1, '/'))
			errx(EXIT_FAILURE, "invalid queue name '%s'", s);
		if (strlen(s) > NAME_MAX + 1)
			errx(EXIT_FAILURE, "name `%s' too long", s);
		if (selector)
			errx(EXIT_FAILURE,
			     "--type and --except are for System V queues");
		t->name = s;
		return;
	}
	errno = 0;
	v = isdigit((unsigned char)s[0]) ? strtol(s, &end, 10) : -1;
	if (v < 0 || errno || *end || v > INT_MAX)
		errx(EXIT_FAILURE, "invalid id or name: '%s'", s);
	t->id = (int)v;
}

/* A failed call on the queue: one line, exit 1. */
void fail(const struct target *t, const char *what)
{
	int e = errno;

	if (t->name) {
		if (e == ENOENT)
			errx(EXIT_FAILURE, "queue `%s' not found", t->name);
		if (e == EACCES)
			errx(EXIT_FAILURE, "permission denied for name `%s'",
			     t->name);
	} else {
		if (e == EINVAL)	/* type and size checked before */
			errx(EXIT_FAILURE, "id %d not found", t->id);
		if (e == EACCES)
			errx(EXIT_FAILURE, "permission denied for id %d", t->id);
		if (e == EIDRM)
			errx(EXIT_FAILURE, "already removed id %d", t->id);
	}
	errno = e;
	err(EXIT_FAILURE, "cannot %s %s", what, t->arg);
}

long parse_long(const char *s, const char *msg)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = *s ? strtol(s, &end, 0) : 0;
	if (!*s || errno || *end)
		errx(EXIT_FAILURE, "%s: '%s'", msg, s);
	return v;
}

double parse_timeout(const char *s, struct timespec *at)
{
	char *end = NULL;
	double d;

	errno = 0;
	d = *s ? strtod(s, &end) : -1;
	if (!*s || errno || *end || !(d >= 0) || d > 1e9)
		errx(EXIT_FAILURE, "invalid timeout: '%s'", s);
	clock_gettime(CLOCK_MONOTONIC, at);
	at->tv_sec += (time_t)d;
	at->tv_nsec += (long)((d - floor(d)) * 1e9);
	if (at->tv_nsec >= 1000000000) {
		at->tv_sec++;
		at->tv_nsec -= 1000000000;
	}
	return d;
}

mqd_t open_mq(const struct target *t, int oflag, long *msgsize)
{
	struct mq_attr a;
	/* Never polled: the queue keeps its lane (DESIGN §7). */
	mqd_t q = umq_mq_open(t->name, oflag | UMQ_O_NOPOLL);

	if (q == (mqd_t)-1)
		fail(t, "open");
	if (msgsize) {
		if (umq_mq_getattr(q, &a))
			fail(t, "open");
		*msgsize = a.mq_msgsize;
	}
	return q;
}

long sysv_msgmax(void)
{
	struct umq_limits lim;

	if (umq_ns_get_limits(&lim))
		err(EXIT_FAILURE, "cannot read the namespace's limits");
	return lim.msgmax;
}

/* ---- send, recv --------------------------------------------------------- */

/* All of stdin, at most max bytes. */
static char *read_all(size_t max, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *p = malloc(cap);
	ssize_t r;

	for (;;) {
		if (!p)
			err(EXIT_FAILURE, "cannot allocate");
		if (n == cap) {
			cap *= 2;
			p = realloc(p, cap);
			continue;
		}
		r = read(STDIN_FILENO, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err(EXIT_FAILURE, "cannot read standard input");
		if (!r)
			break;
		n += (size_t)r;
		if (n > max)
			errx(EXIT_FAILURE, "message too long (at most %zu bytes)",
			     max);
	}
	*len = n;
	return p;
}

void timed_out(const struct target *t, bool send, double secs)
{
	if (secs == 0)
		errx(EXIT_TIMEOUT, send ? "queue %s is full" :
					  "no message in queue %s", t->arg);
	errx(EXIT_TIMEOUT, "timed out after %gs waiting to %s %s", secs,
	     send ? "send to" : "receive from", t->arg);
}

__attribute__((noreturn)) static void usage_msgio(bool send)
{
	if (send)
		printf("\nUsage:\n"
		       " %s [--dir DIR] [options] <id>|/<name> [<text>]\n\n"
		       "Send one message: <text>, or else all of standard input\n"
		       "(any bytes).  Waits for room, as msgsnd and mq_send do.\n\n"
		       "Options:\n"
		       " -t, --type <type>        System V mtype (default 1)\n"
		       " -p, --prio <prio>        POSIX priority (default 0)\n",
		       program_invocation_short_name);
	else
		printf("\nUsage:\n"
		       " %s [--dir DIR] [options] <id>|/<name>\n\n"
		       "Receive messages and write their text to standard output:\n"
		       "one message as its bytes exactly; with -n, each followed\n"
		       "by a newline.\n\n"
		       "Options:\n"
		       " -t, --type <type>        System V: msgrcv's selector\n"
		       "     --except             with --type >0: any other type\n"
		       " -n, --count <n>          receive n messages (default 1)\n",
		       program_invocation_short_name);
	printf(" -T, --timeout <secs>     give up after secs (0: do not wait);\n"
	       "                          exit status 124 then\n"
	       "     --dir <dir>          the namespace (default $UMQ_DIR, else\n"
	       "                          /dev/shm/umq)\n\n"
	       " -h, --help               display this help\n");
	exit(EXIT_SUCCESS);
}

static void do_send(const struct target *t, const char *arg, long type,
		    unsigned prio, double secs, const struct timespec *at)
{
	size_t len;
	char *text;

	if (t->name) {
		long msgsize;
		mqd_t q = open_mq(t, O_WRONLY | (secs == 0 ? O_NONBLOCK : 0),
				  &msgsize);
		text = arg ? xstrdup(arg) : read_all((size_t)msgsize, &len);
		len = arg ? strlen(arg) : len;
		if ((secs > 0 ? umq_mq_clocksend(q, text, len, prio,
						 CLOCK_MONOTONIC, at) :
				umq_mq_send(q, text, len, prio))) {
			if (errno == EAGAIN || errno == ETIMEDOUT)
				timed_out(t, true, secs);
			if (errno == EMSGSIZE)
				errx(EXIT_FAILURE, "message too long (at most %ld bytes)",
				     msgsize);
			fail(t, "send to");
		}
		free(text);
		return;
	}
	long max = sysv_msgmax();
	if (arg) {
		len = strlen(arg);
		if (len > (size_t)max)
			errx(EXIT_FAILURE, "message too long (at most %ld bytes)",
			     max);
		text = xstrdup(arg);
	} else {
		text = read_all((size_t)max, &len);
	}
	struct msgbuf *mb = malloc(sizeof(long) + len + 1);
	if (!mb)
		err(EXIT_FAILURE, "cannot allocate");
	mb->mtype = type;
	memcpy(mb->mtext, text, len);
	int r = secs > 0 ? umq_msgclocksnd(t->id, mb, len, 0, CLOCK_MONOTONIC,
					   at) :
			   umq_msgsnd(t->id, mb, len, secs == 0 ? IPC_NOWAIT : 0);
	if (r) {
		if (errno == EAGAIN || errno == ETIMEDOUT)
			timed_out(t, true, secs);
		fail(t, "send to");
	}
	free(mb);
	free(text);
}

static int msgio(int argc, char **argv, bool send)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "except", no_argument, NULL, OPT_EXCEPT },
		{ "prio", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "count", required_argument, NULL, 'n' },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL;
	struct timespec at;
	double secs = -1;
	long type = send ? 1 : 0, prio = 0, count = 1;
	bool typed = false, prioed = false;
	int c, flg = 0, nargs;
	struct target t;

	tool_start(argv);
	while ((c = getopt_long(argc, argv, send ? "t:p:T:h" : "t:T:n:h",
				opts, NULL)) != -1) {
		switch (c) {
		case 't':
			type = parse_long(optarg, "invalid type");
			typed = true;
			break;
		case OPT_EXCEPT:
			if (send)
				try_help(EXIT_FAILURE);
			flg |= MSG_EXCEPT;
			break;
		case 'p':
			if (!send)
				try_help(EXIT_FAILURE);
			prio = parse_long(optarg, "invalid priority");
			if (prio < 0 || prio > UINT_MAX)
				errx(EXIT_FAILURE, "invalid priority: '%s'",
				     optarg);
			prioed = true;
			break;
		case 'T':
			secs = parse_timeout(optarg, &at);
			break;
		case 'n':
			if (send)
				try_help(EXIT_FAILURE);
			count = parse_long(optarg, "invalid count");
			if (count < 1)
				errx(EXIT_FAILURE, "invalid count: '%s'",
				     optarg);
			break;
		case OPT_DIR:
			dir = optarg;
			break;
		case 'h':
			usage_msgio(send);
		default:
			try_help(EXIT_FAILURE);
		}
	}
	check_operands(argc, argv, send ? 2 : 1);
	nargs = argc - optind;
	parse_target(argv[optind], &t, typed || flg);
	if (!t.name && prioed)
		errx(EXIT_FAILURE, "--prio is for POSIX queues");
	if (send && !t.name && type <= 0)
		errx(EXIT_FAILURE, "invalid type: '%ld' (must be > 0)", type);
	/* The deadline runs from the start, namespace opening included. */
	tool_ns(dir, false);
	if (send)
		do_send(&t, nargs == 2 ? argv[optind + 1] : NULL, type,
			(unsigned)prio, secs, &at);
	else
		recv_messages(&t, type, flg, count, secs, &at);
	return EXIT_SUCCESS;
}

int umq_cmd_send(int argc, char **argv)
{
	return msgio(argc, argv, true);
}

int umq_cmd_recv(int argc, char **argv)
{
	return msgio(argc, argv, false);
}

/* ---- purge -------------------------------------------------------------- */

int umq_cmd_purge(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL;
	unsigned long n = 0, queued;
	struct target t;
	int c;

	tool_start(argv);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DIR:
			dir = optarg;
			break;
		case 'h':
			printf("\nUsage:\n"
			       " %s [--dir DIR] <id>|/<name>\n\n"
			       "Remove every message queued now, as receiving them\n"
			       "would, and print how many.\n\n"
			       "Options:\n"
			       "     --dir <dir>          the namespace (default $UMQ_DIR, else\n"
			       "                          /dev/shm/umq)\n\n"
			       " -h, --help               display this help\n",
			       program_invocation_short_name);
			exit(EXIT_SUCCESS);
		default:
			try_help(EXIT_FAILURE);
		}
	}
	check_operands(argc, argv, 1);
	parse_target(argv[optind], &t, false);
	tool_ns(dir, false);
	/* As many as are queued now: senders that keep going do not keep
	 * the purge going. */
	if (t.name) {
		struct mq_attr a;
		mqd_t q = open_mq(&t, O_RDONLY | O_NONBLOCK, NULL);
		if (umq_mq_getattr(q, &a))
			fail(&t, "purge");
		char *buf = malloc((size_t)a.mq_msgsize + 1);
		if (!buf)
			err(EXIT_FAILURE, "cannot allocate");
		for (queued = (unsigned long)a.mq_curmsgs; n < queued; n++)
			if (umq_mq_receive(q, buf, (size_t)a.mq_msgsize,
					   NULL) < 0)
				break;
		if (n < queued && errno != EAGAIN)
			fail(&t, "purge");
		free(buf);
		umq_mq_close(q);
	} else {
		struct msqid_ds ds;
		long mtype;
		if (umq_msgctl(t.id, IPC_STAT, &ds))
			fail(&t, "purge");
		/* A zero-byte buffer: MSG_NOERROR drops each text. */
		for (queued = ds.msg_qnum; n < queued; n++)
			if (umq_msgrcv(t.id, &mtype, 0, 0,
				       IPC_NOWAIT | MSG_NOERROR) < 0)
				break;
		if (n < queued && errno != ENOMSG)
			fail(&t, "purge");
	}
	printf("%lu\n", n);
	return EXIT_SUCCESS;
}
