/* SPDX-License-Identifier: MIT */
/*
 * top.c - `umq top`: every queue of the namespace, refreshed: depth,
 * rates (counter deltas between two looks), high-water marks, refusals,
 * blocked callers and their pids, time since the last send or receive;
 * busiest first.  Then the bridges, when <namespace>/bridges exists.
 *
 * Interactive on a terminal (raw mode through termios, restored at exit
 * and on SIGINT/SIGTERM; ANSI clear; `q` quits, space refreshes); with
 * -b, or when standard input or output is not a terminal, plain frames
 * one after the other, for scripts.  Reading takes no lock (stats.c):
 * top never waits for a queue.
 */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"
#include "snap.h"
#include "table.h"
#include "util.h"

static volatile sig_atomic_t stop_sig;
static struct termios saved_tio;
static bool raw_on;

__attribute__((noreturn)) static void usage(void)
{
	printf("\nUsage:\n %s [--dir DIR] [-b] [-d SECS] [-n ITER]\n\n"
	       "Show every queue of a umq namespace, refreshed: depth, send\n"
	       "and receive rates, high-water marks, blocked callers, idle\n"
	       "time; busiest first.  Keys: q quits, space refreshes.\n\n"
	       "Options:\n"
	       " -b, --batch          plain frames, no terminal control\n"
	       " -d, --delay <secs>   time between frames (default 1)\n"
	       " -n, --iterations <n> stop after n frames\n"
	       "     --dir <dir>      the namespace (default $UMQ_DIR, else\n"
	       "                      /dev/shm/umq)\n"
	       " -h, --help           display this help\n",
	       program_invocation_short_name);
	exit(EXIT_SUCCESS);
}

/* ---- the terminal ----------------------------------------------------- */

static void raw_restore(void)
{
	static const char show[] = "\033[?25h";

	if (!raw_on)
		return;
	raw_on = false;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	if (write(STDOUT_FILENO, show, sizeof(show) - 1) < 0)
		return;
}

static void on_signal(int sig)
{
	stop_sig = sig;
}

static void raw_start(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &saved_tio))
		err(EXIT_FAILURE, "cannot read the terminal's settings");
	/* No SA_RESTART: poll() returns, and the loop restores. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	t = saved_tio;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	raw_on = true;
	atexit(raw_restore);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t))
		err(EXIT_FAILURE, "cannot set the terminal's mode");
	fputs("\033[?25l", stdout);
}

static void term_size(int *rows, int *cols)
{
	struct winsize ws;

	*rows = 24;
	*cols = 80;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

/* ---- formats ---------------------------------------------------------- */

static char *fmt_rate(double r)
{
	if (r <= 0)
		return xstrdup("0");
	if (r < 1000)
		return xasprintf("%.1f", r);
	if (r < 1e6)
		return xasprintf("%.1fk", r / 1e3);
	return xasprintf("%.2fM", r / 1e6);
}

static char *fmt_idle(time_t now, time_t last)
{
	long long d;

	if (!last)
		return xstrdup("-");
	d = now > last ? (long long)(now - last) : 0;
	if (d < 120)
		return xasprintf("%llds", d);
	if (d < 7200)
		return xasprintf("%lldm", d / 60);
	if (d < 172800)
		return xasprintf("%lldh", d / 3600);
	return xasprintf("%lldd", d / 86400);
}

static void add_pids(char *buf, size_t n, const char *tag, unsigned count,
		     const pid_t *pids)
{
	size_t len = strlen(buf);
	unsigned shown = count < UMQ_STATS_PIDS ? count : UMQ_STATS_PIDS;

	if (!count)
		return;
	if (shown > 4)
		shown = 4;
	len += (size_t)snprintf(buf + len, n - len, "%s%s:", len ? " " : "",
				tag);
	for (unsigned i = 0; i < shown && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%d",
					i ? "," : "", (int)pids[i]);
	if (count > shown && len < n)
		snprintf(buf + len, n - len, ",+%u", count - shown);
}

/* A name as shown: control characters (a queue name or a bridge's file
 * may hold any byte) as '?', so that none reaches the terminal. */
static char *safe(const char *s)
{
	char *d = xstrdup(s);

	for (unsigned char *p = (unsigned char *)d; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	return d;
}

/* ---- one frame -------------------------------------------------------- */

struct row {
	const struct umq_qstats *q;
	double send, recv;
};

static int by_activity(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	double rx = x->send + x->recv, ry = y->send + y->recv;

	if (rx != ry)
		return rx > ry ? -1 : 1;
	if (x->q->messages != y->q->messages)
		return x->q->messages > y->q->messages ? -1 : 1;
	if (x->q->kind != y->q->kind)
		return x->q->kind - y->q->kind;
	if (x->q->kind == UMQ_KIND_SYSV)
		return (x->q->id > y->q->id) - (x->q->id < y->q->id);
	return strcmp(x->q->name, y->q->name);
}

static void queues(FILE *out, const struct snap *prev, const struct snap *s)
{
	double dt = snap_dt(prev, s);
	struct table *tb = tb_new();
	struct row *rows = calloc(s->nq ? s->nq : 1, sizeof(*rows));
	char buf[128];

	if (!rows)
		err(EXIT_FAILURE, "cannot allocate memory");
	for (size_t i = 0; i < s->nq; i++) {
		const struct umq_qstats *p = snap_find(prev, &s->q[i]);
		rows[i].q = &s->q[i];
		if (p && !s->q[i].err) {
			rows[i].send = rate(s->q[i].sent, p->sent, dt);
			rows[i].recv = rate(s->q[i].received, p->received, dt);
		}
	}
	qsort(rows, s->nq, sizeof(*rows), by_activity);
	tb_add_column(tb, "KIND", 0);
	tb_add_column(tb, "QUEUE", 0);
	tb_add_column(tb, "MSGS", TB_RIGHT);
	tb_add_column(tb, "BYTES", TB_RIGHT);
	tb_add_column(tb, "HI-MSGS", TB_RIGHT);
	tb_add_column(tb, "HI-BYTES", TB_RIGHT);
	tb_add_column(tb, "SEND/s", TB_RIGHT);
	tb_add_column(tb, "RECV/s", TB_RIGHT);
	tb_add_column(tb, "FULL", TB_RIGHT);
	tb_add_column(tb, "EMPTY", TB_RIGHT);
	tb_add_column(tb, "WAIT-S", TB_RIGHT);
	tb_add_column(tb, "WAIT-R", TB_RIGHT);
	tb_add_column(tb, "IDLE", TB_RIGHT);
	tb_add_column(tb, "BLOCKED", 0);
	for (size_t i = 0; i < s->nq; i++) {
		const struct umq_qstats *q = rows[i].q;
		time_t last = q->stime > q->rtime ? q->stime : q->rtime;

		tb_add_row(tb);
		tb_set(tb, 0, xstrdup(q->kind == UMQ_KIND_SYSV ? "sysv" :
				      "posix"));
		if (q->kind == UMQ_KIND_SYSV)
			tb_setf(tb, 1, "%d %s", q->id,
				key_str(q->key, buf, sizeof(buf)));
		else
			tb_set(tb, 1, safe(q->name));
		if (q->err) {
			tb_setf(tb, 13, "(%s)", strerror(q->err));
			continue;
		}
		tb_setf(tb, 2, "%llu", q->messages);
		tb_setf(tb, 3, "%llu", q->bytes);
		tb_setf(tb, 4, "%llu", q->messages_high_water);
		tb_setf(tb, 5, "%llu", q->bytes_high_water);
		tb_set(tb, 6, prev ? fmt_rate(rows[i].send) : xstrdup("-"));
		tb_set(tb, 7, prev ? fmt_rate(rows[i].recv) : xstrdup("-"));
		tb_setf(tb, 8, "%llu", q->refused_full);
		tb_setf(tb, 9, "%llu", q->refused_empty);
		tb_setf(tb, 10, "%u", q->blocked_senders);
		tb_setf(tb, 11, "%u", q->blocked_receivers);
		tb_set(tb, 12, fmt_idle(s->now, last));
		buf[0] = 0;
		add_pids(buf, sizeof(buf), "s", q->blocked_senders,
			 q->sender_pids);
		add_pids(buf, sizeof(buf), "r", q->blocked_receivers,
			 q->receiver_pids);
		if (buf[0])
			tb_set(tb, 13, xstrdup(buf));
	}
	if (s->nq)
		tb_print(tb, out, TB_NORMAL, false);
	else
		fputs("(no queues)\n", out);
	tb_free(tb);
	free(rows);
}

static void bridges(FILE *out, const struct snap *prev, const struct snap *s)
{
	static const int shown[] = { BR_PUBLISHED, BR_ACKED, BR_CONSUMED,
				     BR_DELIVERED };
	static const char *const head[] = { "PUB/s", "ACK/s", "CONS/s",
					    "DELIV/s" };
	double dt = snap_dt(prev, s);
	struct table *tb;

	if (!s->bridges_dir)
		return;
	fputs("\n", out);
	if (!s->nb) {
		fputs("(no bridges)\n", out);
		return;
	}
	tb = tb_new();
	tb_add_column(tb, "BRIDGE", 0);
	tb_add_column(tb, "DIR", 0);
	tb_add_column(tb, "QUEUE", 0);
	tb_add_column(tb, "SUBJECT", 0);
	tb_add_column(tb, "CONN", 0);
	for (int k = 0; k < 4; k++)
		tb_add_column(tb, head[k], TB_RIGHT);
	tb_add_column(tb, "REDELIV", TB_RIGHT);
	tb_add_column(tb, "DUPS", TB_RIGHT);
	tb_add_column(tb, "RECONN", TB_RIGHT);
	tb_add_column(tb, "LAG", TB_RIGHT);
	tb_add_column(tb, "PID", TB_RIGHT);
	tb_add_column(tb, "UPDATED", TB_RIGHT);
	for (size_t i = 0; i < s->nb; i++) {
		const struct bridge *b = &s->b[i];
		const struct bridge *p = snap_find_bridge(prev, b);

		tb_add_row(tb);
		tb_set(tb, 0, safe(b->name));
		tb_set(tb, 1, safe(b->direction));
		tb_set(tb, 2, safe(b->queue));
		tb_set(tb, 3, safe(b->subject[0] ? b->subject : "-"));
		tb_set(tb, 4, xstrdup(b->connected < 0 ? "?" :
				      b->connected ? "yes" : "no"));
		for (int k = 0; k < 4; k++) {
			int c = shown[k];
			if (!b->has[c])
				tb_set(tb, 5 + (size_t)k, xstrdup("-"));
			else if (!p || !p->has[c])
				tb_set(tb, 5 + (size_t)k, xstrdup("-"));
			else
				tb_set(tb, 5 + (size_t)k,
				       fmt_rate(rate(b->counter[c],
						     p->counter[c], dt)));
		}
		tb_setf(tb, 9, "%llu", b->counter[BR_REDELIVERED]);
		tb_setf(tb, 10, "%llu", b->counter[BR_DUPLICATES]);
		tb_setf(tb, 11, "%llu", b->counter[BR_RECONNECTS]);
		if (b->lag >= 0)
			tb_setf(tb, 12, "%lld", b->lag);
		if (b->pid)
			tb_setf(tb, 13, "%lld", b->pid);
		tb_set(tb, 14, b->updated ? fmt_idle(s->now, b->updated) :
		       xstrdup("-"));
	}
	tb_print(tb, out, TB_NORMAL, false);
	tb_free(tb);
}

static void frame(FILE *out, const struct snap *prev, const struct snap *s,
		  double delay)
{
	unsigned long long msgs = 0, bytes = 0;
	unsigned sv = 0, px = 0, bs = 0, br = 0;
	char when[32];
	struct tm tm;

	for (size_t i = 0; i < s->nq; i++) {
		const struct umq_qstats *q = &s->q[i];
		*(q->kind == UMQ_KIND_SYSV ? &sv : &px) += 1;
		msgs += q->messages;
		bytes += q->bytes;
		bs += q->blocked_senders;
		br += q->blocked_receivers;
	}
	localtime_r(&s->now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(out, "umq top - %s  %s  every %gs\n", when, umq_ns_path(),
		delay);
	fprintf(out, "queues: %u System V, %u POSIX; messages: %llu, "
		"bytes: %llu; blocked: %u senders, %u receivers\n\n",
		sv, px, msgs, bytes, bs, br);
	queues(out, prev, s);
	bridges(out, prev, s);
}

/* ---- the loop --------------------------------------------------------- */

static void sleep_secs(double d)
{
	struct timespec ts = { (time_t)d, (long)((d - (double)(time_t)d) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR && !stop_sig)
		;
}

/* Print a frame on the terminal: cleared, cut to its size. */
static void show(const char *text)
{
	int rows, cols, row = 0;
	const char *p = text;

	term_size(&rows, &cols);
	fputs("\033[H\033[2J", stdout);
	while (*p && row < rows - 1) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		fprintf(stdout, "%.*s\r\n", len < cols ? len : cols, p);
		row++;
		p = nl ? nl + 1 : p + len;
	}
	fflush(stdout);
}

/* Wait for the delay or a key: false to quit. */
static bool wait_key(double delay)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	struct timespec t0, t;
	char c;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		double left;
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = delay - ((double)(t.tv_sec - t0.tv_sec) +
				(double)(t.tv_nsec - t0.tv_nsec) / 1e9);
		if (stop_sig)
			return false;
		if (left <= 0)
			return true;
		if (poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
			continue;	/* timeout, or a signal: look again */
		if (read(STDIN_FILENO, &c, 1) != 1)
			return pfd.revents & POLLHUP ? false : true;
		if (c == 'q' || c == 'Q' || c == 3 /* ^C without ISIG */)
			return false;
		if (c == ' ')
			return true;
	}
}

int umq_cmd_top(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct snap snaps[2], *prev = NULL, *cur;
	const char *dir = NULL;
	bool batch = false;
	double delay = 1;
	long iters = -1;
	char *end;
	int opt;

	tool_start(argv);
	while ((opt = getopt_long(argc, argv, "bd:n:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'b': batch = true; break;
		case 'd':
			errno = 0;
			delay = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(delay >= 0.1) ||
			    delay > 86400)
				errx(EXIT_FAILURE, "invalid delay: '%s'", optarg);
			break;
		case 'n':
			iters = parse_s32(optarg, "invalid iterations");
			if (iters < 1)
				errx(EXIT_FAILURE, "invalid iterations: '%s'",
				     optarg);
			break;
		case OPT_DIR: dir = optarg; break;
		case 'h': usage();
		default: try_help(EXIT_FAILURE);
		}
	}
	check_operands(argc, argv, 0);
	tool_ns(dir, false);
	if (!batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		batch = true;
	if (!batch)
		raw_start();
	/* A first look a moment before the first frame, for its rates. */
	if (snap_take(&snaps[1]))
		err(EXIT_FAILURE, "cannot read namespace %s", umq_ns_path());
	prev = &snaps[1];
	sleep_secs(delay < 0.2 ? delay : 0.2);
	for (long n = 0; !stop_sig && (iters < 0 || n < iters); n++) {
		cur = prev == &snaps[0] ? &snaps[1] : &snaps[0];
		if (n && (batch ? (sleep_secs(delay), stop_sig) :
			  !wait_key(delay)))
			break;
		if (snap_take(cur))
			err(EXIT_FAILURE, "cannot read namespace %s",
			    umq_ns_path());
		if (batch) {
			if (n)
				fputc('\n', stdout);
			frame(stdout, prev, cur, delay);
			fflush(stdout);
		} else {
			char *text = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&text, &len);
			if (!m)
				err(EXIT_FAILURE, "cannot allocate memory");
			frame(m, prev, cur, delay);
			fclose(m);
			show(text);
			free(text);
		}
		snap_free(prev);
		prev = cur;
	}
	snap_free(prev);
	if (!batch) {
		raw_restore();
		fputs("\n", stdout);
	}
	if (stop_sig) {		/* the terminal restored: now die of it */
		fflush(stdout);
		signal(stop_sig, SIG_DFL);
		raise(stop_sig);
	}
	return 0;
}
