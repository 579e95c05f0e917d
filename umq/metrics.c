/* SPDX-License-Identifier: MIT */
/*
 * metrics.c - `umq metrics`: the namespace's queues, limits and bridges in
 * the Prometheus text exposition format (0.0.4), once on standard output,
 * or served at GET /metrics with --listen ADDR:PORT.
 *
 * The server is one thread around poll(): a few connections at a time,
 * each with a deadline for its request and its answer, so that a slow or
 * silent client costs a slot for a few seconds and nothing else; one
 * request per connection (Connection: close).  Every scrape is a fresh
 * look (snap.c), which takes no lock.
 */
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "snap.h"
#include "util.h"

enum { OPT_LISTEN = 0x101 };

#define MAX_CONN	16
#define REQ_MAX		8192	/* request head */
#define CONN_SECS	10	/* a connection's whole life */

__attribute__((noreturn)) static void usage(void)
{
	printf("\nUsage:\n %s [--dir DIR] [--listen ADDR:PORT]\n\n"
	       "Print the namespace's queues, limits and bridges in the\n"
	       "Prometheus text format, or serve them at /metrics.\n\n"
	       "Options:\n"
	       "     --listen <addr:port>  serve over HTTP (port 0: any free\n"
	       "                           port; the address is printed)\n"
	       "     --dir <dir>           the namespace (default $UMQ_DIR,\n"
	       "                           else /dev/shm/umq)\n"
	       " -h, --help                display this help\n",
	       program_invocation_short_name);
	exit(EXIT_SUCCESS);
}

/* ---- the exposition --------------------------------------------------- */

/*
 * A label value: backslash, double quote and newline escaped, and each
 * byte that is not part of a UTF-8 character as U+FFFD, since the format
 * is UTF-8 and a queue's or a bridge's name may hold any byte.
 */
static void label(FILE *out, const char *name, const char *v, bool first)
{
	size_t n = strlen(v), k;

	fprintf(out, "%s%s=\"", first ? "" : ",", name);
	for (size_t i = 0; i < n; i += k) {
		k = utf8_len(v + i, n - i);
		if (!k) {
			fputs("\xef\xbf\xbd", out);
			k = 1;
		} else if (v[i] == '\\' || v[i] == '"') {
			fprintf(out, "\\%c", v[i]);
		} else if (v[i] == '\n') {
			fputs("\\n", out);
		} else {
			fwrite(v + i, 1, k, out);
		}
	}
	fputc('"', out);
}

static void family(FILE *out, const char *name, const char *type,
		   const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void queue_labels(FILE *out, const struct umq_qstats *q)
{
	char buf[32];

	fputc('{', out);
	if (q->kind == UMQ_KIND_SYSV) {
		label(out, "kind", "sysv", true);
		label(out, "key", key_str(q->key, buf, sizeof(buf)), false);
		snprintf(buf, sizeof(buf), "%d", q->id);
		label(out, "id", buf, false);
	} else {
		label(out, "kind", "posix", true);
		label(out, "name", q->name, false);
	}
}

enum field {
	F_MESSAGES, F_BYTES, F_MAX_MESSAGES, F_MAX_BYTES, F_HW_MESSAGES,
	F_HW_BYTES, F_SENT, F_RECEIVED, F_HANDOFFS, F_BLOCKED_S, F_BLOCKED_R,
	F_STIME, F_RTIME,
};

static const struct qmetric {
	const char *name, *type, *help;
	enum field f;
} qmetrics[] = {
	{ "umq_queue_messages", "gauge", "Messages queued.", F_MESSAGES },
	{ "umq_queue_bytes", "gauge", "Bytes of message text queued.",
	  F_BYTES },
	{ "umq_queue_max_messages", "gauge",
	  "Most messages the queue holds (System V: msg_qbytes; POSIX: mq_maxmsg).",
	  F_MAX_MESSAGES },
	{ "umq_queue_max_bytes", "gauge",
	  "Most bytes the queue holds (System V: msg_qbytes; POSIX: mq_maxmsg * mq_msgsize).",
	  F_MAX_BYTES },
	{ "umq_queue_messages_high_water", "gauge",
	  "Most messages ever queued at once.", F_HW_MESSAGES },
	{ "umq_queue_bytes_high_water", "gauge",
	  "Most bytes ever queued at once.", F_HW_BYTES },
	{ "umq_sent_messages_total", "counter",
	  "Messages sent, hand-offs included.", F_SENT },
	{ "umq_received_messages_total", "counter",
	  "Messages received (sent minus queued).", F_RECEIVED },
	{ "umq_handoffs_total", "counter",
	  "Messages sent straight to a blocked receiver.", F_HANDOFFS },
	{ "umq_blocked_senders", "gauge", "Senders blocked on a full queue.",
	  F_BLOCKED_S },
	{ "umq_blocked_receivers", "gauge",
	  "Receivers blocked on an empty queue.", F_BLOCKED_R },
	{ "umq_last_send_timestamp_seconds", "gauge",
	  "Time of the last send (0: none).", F_STIME },
	{ "umq_last_receive_timestamp_seconds", "gauge",
	  "Time of the last receive (0: none).", F_RTIME },
};

static unsigned long long qvalue(const struct umq_qstats *q, enum field f)
{
	switch (f) {
	case F_MESSAGES: return q->messages;
	case F_BYTES: return q->bytes;
	case F_MAX_MESSAGES: return q->max_messages;
	case F_MAX_BYTES: return q->max_bytes;
	case F_HW_MESSAGES: return q->messages_high_water;
	case F_HW_BYTES: return q->bytes_high_water;
	case F_SENT: return q->sent;
	case F_RECEIVED: return q->received;
	case F_HANDOFFS: return q->handoffs;
	case F_BLOCKED_S: return q->blocked_senders;
	case F_BLOCKED_R: return q->blocked_receivers;
	case F_STIME: return (unsigned long long)q->stime;
	case F_RTIME: return (unsigned long long)q->rtime;
	}
	return 0;
}

static void limits(FILE *out)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} lim[] = {
#define L(f, h) { "umq_limit_" #f, h, offsetof(struct umq_limits, f) }
		L(msgmax, "System V: largest message text (kernel.msgmax)."),
		L(msgmnb, "System V: msg_qbytes of a new queue (kernel.msgmnb)."),
		L(msgmni, "System V: most queues (kernel.msgmni)."),
		L(msg_max, "POSIX: ceiling of mq_maxmsg (fs.mqueue.msg_max)."),
		L(msgsize_max, "POSIX: ceiling of mq_msgsize (fs.mqueue.msgsize_max)."),
		L(msg_default, "POSIX: mq_maxmsg by default (fs.mqueue.msg_default)."),
		L(msgsize_default, "POSIX: mq_msgsize by default (fs.mqueue.msgsize_default)."),
		L(queues_max, "POSIX: most queues (fs.mqueue.queues_max, "
				"read unsigned as the kernel compares it)."),
#undef L
	};
	struct umq_limits l;

	if (umq_ns_get_limits(&l))
		return;
	/* -1, "no limit" to the kernel, would make a usage ratio negative */
	l.queues_max = (unsigned int)l.queues_max;
	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		family(out, lim[i].name, "gauge", lim[i].help);
		fprintf(out, "%s %ld\n", lim[i].name,
			*(const long *)((const char *)&l + lim[i].off));
	}
}

static void bridge_labels(FILE *out, const struct bridge *b)
{
	fputc('{', out);
	label(out, "bridge", b->name, true);
	label(out, "direction", b->direction, false);
}

static void bridges(FILE *out, const struct snap *s)
{
	static const char *const help[BR_NCOUNTERS] = {
		"Messages published to NATS.", "Publications acknowledged.",
		"Messages consumed from NATS.", "Messages delivered to the queue.",
		"Messages redelivered by NATS.", "Duplicates dropped.",
		"Reconnections to NATS.",
	};
	char name[64];

	if (!s->nb)
		return;
	family(out, "umq_bridge_info", "gauge",
	       "A running bridge: its queue, subject and stream.");
	for (size_t i = 0; i < s->nb; i++) {
		fputs("umq_bridge_info", out);
		bridge_labels(out, &s->b[i]);
		label(out, "queue", s->b[i].queue, false);
		label(out, "subject", s->b[i].subject, false);
		label(out, "stream", s->b[i].stream, false);
		fprintf(out, "} 1\n");
	}
	family(out, "umq_bridge_connected", "gauge",
	       "1 while the bridge is connected to NATS.");
	for (size_t i = 0; i < s->nb; i++)
		if (s->b[i].connected >= 0) {
			fputs("umq_bridge_connected", out);
			bridge_labels(out, &s->b[i]);
			fprintf(out, "} %d\n", s->b[i].connected);
		}
	for (int c = 0; c < BR_NCOUNTERS; c++) {
		snprintf(name, sizeof(name), "umq_bridge_%s", br_counter_key[c]);
		family(out, name, "counter", help[c]);
		for (size_t i = 0; i < s->nb; i++)
			if (s->b[i].has[c]) {
				fputs(name, out);
				bridge_labels(out, &s->b[i]);
				fprintf(out, "} %llu\n", s->b[i].counter[c]);
			}
	}
	family(out, "umq_bridge_lag", "gauge",
	       "Messages behind (as the bridge reports it).");
	for (size_t i = 0; i < s->nb; i++)
		if (s->b[i].lag >= 0) {
			fputs("umq_bridge_lag", out);
			bridge_labels(out, &s->b[i]);
			fprintf(out, "} %lld\n", s->b[i].lag);
		}
	family(out, "umq_bridge_updated_timestamp_seconds", "gauge",
	       "When the bridge last wrote its status.");
	for (size_t i = 0; i < s->nb; i++)
		if (s->b[i].updated) {
			fputs("umq_bridge_updated_timestamp_seconds", out);
			bridge_labels(out, &s->b[i]);
			fprintf(out, "} %lld\n", s->b[i].updated);
		}
}

static int expose(FILE *out)
{
	struct snap s;
	unsigned n[3] = { 0, 0, 0 };

	if (snap_take(&s))
		return -1;
	for (size_t i = 0; i < s.nq; i++)
		if (!s.q[i].err)
			n[s.q[i].kind == UMQ_KIND_SYSV ? 1 : 2]++;
	family(out, "umq_queues", "gauge", "Queues of the namespace.");
	fprintf(out, "umq_queues{kind=\"sysv\"} %u\n", n[1]);
	fprintf(out, "umq_queues{kind=\"posix\"} %u\n", n[2]);
	for (size_t m = 0; m < sizeof(qmetrics) / sizeof(qmetrics[0]); m++) {
		family(out, qmetrics[m].name, qmetrics[m].type,
		       qmetrics[m].help);
		for (size_t i = 0; i < s.nq; i++) {
			if (s.q[i].err)
				continue;	/* not ours to read */
			fputs(qmetrics[m].name, out);
			queue_labels(out, &s.q[i]);
			fprintf(out, "} %llu\n", qvalue(&s.q[i], qmetrics[m].f));
		}
	}
	family(out, "umq_refused_total", "counter",
	       "Non-blocking calls refused: full (send) or empty (receive).");
	for (size_t i = 0; i < s.nq; i++) {
		if (s.q[i].err)
			continue;
		fputs("umq_refused_total", out);
		queue_labels(out, &s.q[i]);
		fprintf(out, ",reason=\"full\"} %llu\n", s.q[i].refused_full);
		fputs("umq_refused_total", out);
		queue_labels(out, &s.q[i]);
		fprintf(out, ",reason=\"empty\"} %llu\n", s.q[i].refused_empty);
	}
	limits(out);
	bridges(out, &s);
	snap_free(&s);
	return 0;
}

/* ---- the server ------------------------------------------------------- */

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

struct conn {
	int fd;				/* -1: free */
	time_t deadline;		/* CLOCK_MONOTONIC seconds */
	char req[REQ_MAX];
	size_t nreq;
	char *out;			/* the answer, once known */
	size_t nout, sent;
};

static time_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
}

static void respond(struct conn *c, const char *status, const char *body,
		    size_t len, bool head)
{
	FILE *m = open_memstream(&c->out, &c->nout);

	if (!m) {
		conn_close(c);
		return;
	}
	fprintf(m, "HTTP/1.1 %s\r\n"
		"Content-Type: %s\r\n"
		"Content-Length: %zu\r\n"
		"Connection: close\r\n\r\n", status,
		strncmp(status, "200", 3) ? "text/plain; charset=utf-8" :
		"text/plain; version=0.0.4; charset=utf-8", len);
	if (!head)
		fwrite(body, 1, len, m);
	fclose(m);
	c->sent = 0;
}

static void error_page(struct conn *c, const char *status)
{
	char body[128];
	int n = snprintf(body, sizeof(body), "%s\n", status);

	respond(c, status, body, (size_t)n, false);
}

/* A whole request head is in: answer it. */
static void handle(struct conn *c)
{
	char method[16], target[1024], version[16];
	char *body = NULL;
	size_t len = 0;
	bool head;
	FILE *m;

	c->req[c->nreq] = 0;
	if (sscanf(c->req, "%15s %1023s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7)) {
		error_page(c, "400 Bad Request");
		return;
	}
	head = !strcmp(method, "HEAD");
	if (!head && strcmp(method, "GET")) {
		error_page(c, "405 Method Not Allowed");
		return;
	}
	if (strcmp(target, "/metrics") && strncmp(target, "/metrics?", 9)) {
		error_page(c, "404 Not Found");
		return;
	}
	m = open_memstream(&body, &len);
	if (!m || expose(m)) {
		if (m)
			fclose(m);
		free(body);
		error_page(c, "500 Internal Server Error");
		return;
	}
	fclose(m);
	respond(c, "200 OK", body, len, head);
	free(body);
}

static void on_readable(struct conn *c)
{
	ssize_t n = recv(c->fd, c->req + c->nreq, REQ_MAX - 1 - c->nreq, 0);

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			conn_close(c);	/* gone before asking */
		return;
	}
	if (memchr(c->req + c->nreq, 0, (size_t)n)) {
		error_page(c, "400 Bad Request");
		return;
	}
	c->nreq += (size_t)n;
	c->req[c->nreq] = 0;
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n"))
		handle(c);
	else if (c->nreq >= REQ_MAX - 1)
		error_page(c, "431 Request Header Fields Too Large");
}

static void on_writable(struct conn *c)
{
	ssize_t n = send(c->fd, c->out + c->sent, c->nout - c->sent,
			 MSG_NOSIGNAL);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_close(c);
		return;
	}
	c->sent += (size_t)n;
	if (c->sent == c->nout) {
		shutdown(c->fd, SHUT_WR);
		conn_close(c);
	}
}

static int listen_on(const char *spec)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai;
	char host[256], port[16], shown[300];
	const char *colon = strrchr(spec, ':');
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	size_t hl;
	int fd, one = 1, r;

	/* The port: digits, at most 65535, checked here because
	 * getaddrinfo() takes it modulo 65536 (65536: any free port). */
	if (!colon || strlen(colon + 1) >= sizeof(port) || !colon[1] ||
	    colon[strspn(colon + 1, "0123456789") + 1] ||
	    strtoul(colon + 1, NULL, 10) > 65535 ||
	    (hl = (size_t)(colon - spec)) >= sizeof(host))
		errx(EXIT_FAILURE, "invalid address: '%s' (ADDR:PORT, PORT "
		     "from 0 to 65535)", spec);
	memcpy(host, spec, hl);
	host[hl] = 0;
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = 0;
	}
	strcpy(port, colon + 1);
	r = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (r)
		errx(EXIT_FAILURE, "invalid address: '%s': %s", spec,
		     gai_strerror(r));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		err(EXIT_FAILURE, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64))
		err(EXIT_FAILURE, "cannot listen on %s", spec);
	freeaddrinfo(ai);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) ||
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port,
			sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV))
		err(EXIT_FAILURE, "getsockname");
	snprintf(shown, sizeof(shown), strchr(host, ':') ? "[%s]:%s" : "%s:%s",
		 host, port);
	printf("listening on http://%s/metrics\n", shown);
	fflush(stdout);
	return fd;
}

static int serve(const char *spec)
{
	struct sigaction sa = { .sa_handler = on_signal };
	static struct conn conns[MAX_CONN];
	struct pollfd pfd[MAX_CONN + 1];
	int lfd = listen_on(spec);

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < MAX_CONN; i++)
		conns[i].fd = -1;
	while (!stop_sig) {
		int n = 0, busy = 0;
		time_t now = mono();

		for (int i = 0; i < MAX_CONN; i++) {
			struct conn *c = &conns[i];
			if (c->fd < 0)
				continue;
			if (now >= c->deadline) {
				conn_close(c);	/* too slow: dropped */
				continue;
			}
			busy++;
		}
		pfd[n].fd = busy < MAX_CONN ? lfd : -1;
		pfd[n++].events = POLLIN;
		for (int i = 0; i < MAX_CONN; i++) {
			pfd[n].fd = conns[i].fd;
			pfd[n++].events = conns[i].out ? POLLOUT : POLLIN;
		}
		if (poll(pfd, (nfds_t)n, 1000) < 0) {
			if (errno == EINTR)
				continue;
			err(EXIT_FAILURE, "poll");
		}
		for (int i = 0; i < MAX_CONN; i++) {
			struct conn *c = &conns[i];
			short ev = pfd[i + 1].revents;
			if (c->fd < 0 || !ev)
				continue;
			if (c->out)
				on_writable(c);
			else if (ev & (POLLIN | POLLHUP | POLLERR))
				on_readable(c);
		}
		if (pfd[0].revents & POLLIN) {
			for (int i = 0; i < MAX_CONN; i++) {
				struct conn *c = &conns[i];
				if (c->fd >= 0)
					continue;
				c->fd = accept4(lfd, NULL, NULL,
						SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (c->fd < 0)
					break;
				c->deadline = mono() + CONN_SECS;
				c->nreq = 0;
			}
		}
	}
	for (int i = 0; i < MAX_CONN; i++)
		if (conns[i].fd >= 0)
			conn_close(&conns[i]);
	close(lfd);
	return 0;
}

int umq_cmd_metrics(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *listen_spec = NULL;
	int opt;

	tool_start(argv);
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_LISTEN: listen_spec = optarg; break;
		case OPT_DIR: dir = optarg; break;
		case 'h': usage();
		default: try_help(EXIT_FAILURE);
		}
	}
	check_operands(argc, argv, 0);
	tool_ns(dir, false);
	if (listen_spec)
		return serve(listen_spec);
	if (expose(stdout))
		err(EXIT_FAILURE, "cannot read namespace %s", umq_ns_path());
	return 0;
}
