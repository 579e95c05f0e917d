/* SPDX-License-Identifier: MIT */
/*
 * main.c - umq-bridge, run as `umq bridge out|in QUEUE [options]` (the
 * umq command executes it, so that umq itself does not need libnats).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"

volatile sig_atomic_t bridge_stop;
pid_t bridge_pid;
struct counters ctr;

void logmsg(const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "umq bridge: %s\n", buf);
}

long long mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

void nap_ms(int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

static void on_signal(int sig)
{
	bridge_stop = 1;
}

static __attribute__((noreturn)) void usage(int rc)
{
	FILE *f = rc ? stderr : stdout;

	if (rc) {
		fputs("Try 'umq bridge --help' for more information.\n", f);
		exit(rc);
	}
	fputs("Usage:\n"
	      " umq bridge out|in QUEUE [options]\n"
	      "\n"
	      "Relay a queue to (out) or from (in) a NATS JetStream stream,\n"
	      "at least once.  QUEUE is a System V id, a key with --key, or\n"
	      "a POSIX /NAME.  Runs until SIGINT or SIGTERM.\n"
	      "\n"
	      "Options:\n"
	      " -s, --servers URLS    nats://host:port,... ($NATS_URL, else\n"
	      "                       nats://127.0.0.1:4222)\n"
	      "     --stream NAME     the stream (default UMQ)\n"
	      "     --subject BASE    messages go to BASE.<type> (default\n"
	      "                       umq.<queue>)\n"
	      "     --replicas N      replicas of a stream it creates (1)\n"
	      "     --dup-window SEC  duplicate window of such a stream (120)\n"
	      "     --name NAME       status and state file name (default\n"
	      "                       <direction>-<queue>)\n"
	      " -k, --key             QUEUE is a System V key\n"
	      " -c, --create          create the local queue if missing\n"
	      " -b, --batch N         in: messages fetched at once (64)\n"
	      "     --dir DIR         the umq namespace\n"
	      " -v, --verbose         say more: every failure, every message\n"
	      " -h, --help            display this help\n", f);
	exit(0);
}

/* A subject token and file name from the queue: "/jobs" -> "jobs". */
static void queue_token(const struct opts *o, char *buf, size_t n)
{
	const char *q = o->queue[0] == '/' ? o->queue + 1 : o->queue;

	snprintf(buf, n, "%s%s", o->queue[0] == '/' ? "" :
		 o->by_key ? "key" : "id", q);
	for (char *p = buf; *p; p++)
		if (*p == '.' || *p == '*' || *p == '>' || *p == ' ' ||
		    *p == '/')
			*p = '_';
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "servers", required_argument, NULL, 's' },
		{ "stream", required_argument, NULL, 'S' },
		{ "subject", required_argument, NULL, 'J' },
		{ "replicas", required_argument, NULL, 'R' },
		{ "dup-window", required_argument, NULL, 'D' },
		{ "name", required_argument, NULL, 'N' },
		{ "key", no_argument, NULL, 'k' },
		{ "create", no_argument, NULL, 'c' },
		{ "batch", required_argument, NULL, 'b' },
		{ "dir", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static char subj[300], name[300];
	char tok[256];
	int c;

	memset(o, 0, sizeof(*o));
	o->servers = getenv("NATS_URL");
	if (!o->servers || !*o->servers)
		o->servers = "nats://127.0.0.1:4222";
	o->stream = "UMQ";
	o->replicas = 1;
	o->dup_window_s = 120;
	o->batch = 64;
	while ((c = getopt_long(argc, argv, "s:kcb:vh", lo, NULL)) != -1) {
		switch (c) {
		case 's': o->servers = optarg; break;
		case 'S': o->stream = optarg; break;
		case 'J': o->subject = optarg; break;
		case 'R': o->replicas = atoi(optarg); break;
		case 'D': o->dup_window_s = atoll(optarg); break;
		case 'N': o->name = optarg; break;
		case 'k': o->by_key = true; break;
		case 'c': o->create = true; break;
		case 'b': o->batch = atoi(optarg); break;
		case 'd': o->ns = optarg; break;
		case 'v': o->verbose = true; break;
		case 'h': usage(0);
		default: usage(1);
		}
	}
	if (argc - optind != 2) {
		fputs("umq bridge: expected out|in and a queue\n", stderr);
		usage(1);
	}
	if (!strcmp(argv[optind], "out"))
		o->dir = DIR_OUT;
	else if (!strcmp(argv[optind], "in"))
		o->dir = DIR_IN;
	else {
		fprintf(stderr, "umq bridge: unknown direction '%s'\n",
			argv[optind]);
		usage(1);
	}
	o->queue = argv[optind + 1];
	if (o->replicas < 1 || o->replicas > 5 || o->batch < 1 ||
	    o->batch > 4096 || o->dup_window_s < 1) {
		fputs("umq bridge: --replicas 1-5, --batch 1-4096, "
		      "--dup-window >= 1\n", stderr);
		usage(1);
	}
	queue_token(o, tok, sizeof(tok));
	if (!o->subject) {
		snprintf(subj, sizeof(subj), "umq.%s", tok);
		o->subject = subj;
	}
	if (!o->name) {
		snprintf(name, sizeof(name), "%s-%s",
			 o->dir == DIR_OUT ? "out" : "in", tok);
		o->name = name;
	}
	if (!o->name[0] || o->name[0] == '.' || strchr(o->name, '/')) {
		fputs("umq bridge: --name: no '/', not starting with '.'\n",
		      stderr);
		usage(1);
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec nap = { 1, 0 };
	struct opts o;
	struct lq q;
	struct js j = { 0 };
	int r;

	parse(argc, argv, &o);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (o.ns && umq_ns_use(o.ns)) {
		logmsg("namespace %s: %s", o.ns, strerror(errno));
		return 1;
	}
	r = lq_open(&q, &o, o.dir == DIR_IN);
	if (r) {
		logmsg("queue %s: %s", o.queue, strerror(-r));
		return 1;
	}
	if ((r = state_open(o.name, &bstate))) {
		if (r == -EBUSY)
			logmsg("another bridge named %s runs on this "
			       "namespace", o.name);
		else if (r != -EPERM)	/* which file: said by state.c */
			logmsg("state file: %s", strerror(-r));
		return 1;
	}
	if (js_start(&j, &o))
		return 1;
	/* Each step is retried for as long as the cluster cannot answer: a
	 * bridge started during an outage, or cut by one while it sets up,
	 * waits for the cluster (the in side once gave up here). */
	while (!bridge_stop && (r = js_stream(&j, &o)) == -EAGAIN)
		nanosleep(&nap, NULL);
	if (!r && o.dir == DIR_IN)
		while (!bridge_stop && (r = js_consumer(&j, &o)) == -EAGAIN)
			nanosleep(&nap, NULL);
	if (bridge_stop) {
		r = 0;
		goto out;
	}
	if (r) {
		logmsg("stopped: %s", strerror(-r));
		goto out;
	}
	if ((r = status_start(&o, q.label))) {
		logmsg("status file: %s", strerror(-r));
		goto out;
	}
	logmsg("%s %s %s %s.> (stream %s), pid %d",
	       o.dir == DIR_OUT ? "relaying" : "receiving into", q.label,
	       o.dir == DIR_OUT ? "to" : "from", o.subject, o.stream,
	       (int)(bridge_pid = getpid()));
	r = o.dir == DIR_OUT ? bridge_out(&o, &q, &j) : bridge_in(&o, &q, &j);
	if (r)
		logmsg("stopped: %s", strerror(-r));
	bridge_stop = 1;
	status_stop();
out:
	js_stop(&j);
	lq_close(&q);
	nats_Close();
	return r ? 1 : 0;
}
