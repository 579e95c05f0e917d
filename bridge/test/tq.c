/* SPDX-License-Identifier: MIT */
/*
 * tq - the bridge tests' producer and checker, on the namespace of
 * $UMQ_DIR.  QUEUE is a System V key (made if missing) or a POSIX /name.
 *
 *   tq send QUEUE N [-t TYPES] [-s SIZE] [-r RATE]
 *	N messages i = 0..N-1 of type 1 + i % TYPES, each carrying its
 *	index, type, send time (taken right before the send) and a
 *	checksum of its filler: SIZE bytes (a 64-byte header and SIZE - 64
 *	of filler), at RATE per second.
 *   tq recv QUEUE N [-w SECONDS] [-g GRACE] [-l]
 *	Receive until all N were seen (then GRACE seconds more, to catch
 *	late duplicates) or SECONDS passed; check every checksum and that,
 *	per type, first arrivals come in index order.  Prints one line:
 *	"received R distinct D duplicates X corrupt C disorder O missing M"
 *	(-l: and "p50_us P p99_us Q rate_per_s T"); exit 0 when nothing is
 *	missing, corrupt or out of order.  On stderr, the indices of the
 *	first 10 missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "umq.h"

#define MAXTEXT 8192

struct qh {
	int posix, id;
	mqd_t mqd;
};

static long long now_ns(int clk)
{
	struct timespec t;

	clock_gettime(clk, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static unsigned fnv(const char *p, size_t n)
{
	unsigned h = 2166136261u;

	while (n--)
		h = (h ^ (unsigned char)*p++) * 16777619u;
	return h;
}

static void open_q(struct qh *q, const char *s, int wr)
{
	if (s[0] == '/') {
		struct mq_attr a = { .mq_maxmsg = 10, .mq_msgsize = MAXTEXT };

		q->posix = 1;
		q->mqd = umq_mq_open(s, (wr ? O_WRONLY : O_RDONLY) | O_CREAT,
				     0600, &a);
		if (q->mqd == (mqd_t)-1) {
			perror("tq: mq_open");
			exit(2);
		}
		return;
	}
	q->id = umq_msgget((key_t)strtol(s, NULL, 0), IPC_CREAT | 0600);
	if (q->id < 0) {
		perror("tq: msgget");
		exit(2);
	}
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static int do_send(struct qh *q, long n, int types, int size, long rate)
{
	struct { long mtype; char text[MAXTEXT]; } m;
	long long start = now_ns(CLOCK_MONOTONIC);

	for (long i = 0; i < n; i++) {
		char fill[MAXTEXT];
		int hl, fl = size > 64 ? size - 64 : 16;
		long type = 1 + i % types;

		for (int k = 0; k < fl; k++)
			fill[k] = 'a' + (i * 31 + k * 7) % 26;
		if (rate > 0) {
			long long due = start + i * 1000000000LL / rate;
			long long d = due - now_ns(CLOCK_MONOTONIC);

			if (d > 0) {
				struct timespec t = { d / 1000000000LL,
						      d % 1000000000LL };
				nanosleep(&t, NULL);
			}
		}
		/* stamped after the pacing sleep, right before the send: the
		 * latency is the message's, not the sender's wait */
		/* a 64-byte header: SIZE bytes in all, as jsbench sends */
		hl = snprintf(m.text, sizeof(m.text),
			      "i=%012ld t=%04ld ts=%019lld n=%05d c=%08x|", i,
			      type, now_ns(CLOCK_REALTIME), fl, fnv(fill, fl));
		memcpy(m.text + hl, fill, fl);
		m.mtype = type;
		if (q->posix ? umq_mq_send(q->mqd, m.text, hl + fl,
					   (unsigned)type)
			     : umq_msgsnd(q->id, &m, hl + fl, 0)) {
			perror("tq: send");
			return 2;
		}
	}
	return 0;
}

static int do_recv(struct qh *q, long n, int wait_s, int grace_s, int lat)
{
	struct { long mtype; char text[MAXTEXT + 1]; } m;
	unsigned char *seen = calloc(n, 1);
	long long *lats = calloc(n, sizeof(long long));
	long last[1024], recv = 0, distinct = 0, dups = 0, bad = 0, dis = 0;
	long long deadline = now_ns(CLOCK_MONOTONIC) + wait_s * 1000000000LL;
	long long first = 0, lastt = 0;

	for (int k = 0; k < 1024; k++)
		last[k] = -1;
	while (now_ns(CLOCK_MONOTONIC) < deadline) {
		struct timespec t;
		long long ts, abs = now_ns(CLOCK_MONOTONIC) + 200000000LL;
		long i, type;
		unsigned c, prio;
		int fl, hl;
		ssize_t len;

		t.tv_sec = abs / 1000000000LL;
		t.tv_nsec = abs % 1000000000LL;
		if (q->posix) {
			len = umq_mq_clockreceive(q->mqd, m.text, MAXTEXT,
						  &prio, CLOCK_MONOTONIC, &t);
			m.mtype = prio;
		} else {
			len = umq_msgclockrcv(q->id, &m, MAXTEXT, 0, 0,
					      CLOCK_MONOTONIC, &t);
		}
		if (len < 0) {
			if (errno != ETIMEDOUT && errno != EINTR) {
				perror("tq: receive");
				return 2;
			}
			continue;
		}
		m.text[len] = '\0';
		recv++;
		lastt = now_ns(CLOCK_REALTIME);
		if (!first)
			first = lastt;
		if (sscanf(m.text, "i=%ld t=%ld ts=%lld n=%d c=%x|%n", &i,
			   &type, &ts, &fl, &c, &hl) != 5 || i < 0 || i >= n ||
		    type != m.mtype || type < 1 || type >= 1024 ||
		    hl + fl != len || fnv(m.text + hl, fl) != c) {
			bad++;
			continue;
		}
		if (seen[i]) {
			dups++;
			continue;
		}
		seen[i] = 1;
		lats[distinct++] = lastt - ts;
		if (i < last[type])
			dis++;
		last[type] = i;
		if (distinct == n) {
			long long g = now_ns(CLOCK_MONOTONIC) +
				      grace_s * 1000000000LL;

			if (g < deadline)
				deadline = g;
		}
	}
	/* for a post-mortem: which ones (the first 10) */
	for (long k = 0, said = 0; k < n && said < 10; k++)
		if (!seen[k] && ++said)
			fprintf(stderr, "%s%ld",
				said > 1 ? " " : "missing: i=", k);
	if (distinct < n)
		fprintf(stderr, "\n");
	printf("received %ld distinct %ld duplicates %ld corrupt %ld "
	       "disorder %ld missing %ld", recv, distinct, dups, bad, dis,
	       n - distinct);
	if (lat && distinct > 0) {
		qsort(lats, distinct, sizeof(long long), cmp_ll);
		printf(" p50_us %lld p99_us %lld rate_per_s %.0f",
		       lats[distinct / 2] / 1000,
		       lats[distinct * 99 / 100] / 1000,
		       lastt > first ? distinct * 1e9 / (lastt - first) : 0.0);
	}
	printf("\n");
	fflush(stdout);
	free(seen);
	free(lats);
	return distinct == n && !bad && !dis ? 0 : 1;
}

int main(int argc, char **argv)
{
	int types = 4, size = 128, wait_s = 60, grace_s = 2, lat = 0, c;
	long rate = 0, n;
	struct qh q = { 0 };

	if (argc < 4) {
		fputs("usage: tq send|recv QUEUE N [options]\n", stderr);
		return 2;
	}
	n = atol(argv[3]);
	optind = 4;
	while ((c = getopt(argc, argv, "t:s:r:w:g:l")) != -1) {
		switch (c) {
		case 't': types = atoi(optarg); break;
		case 's': size = atoi(optarg); break;
		case 'r': rate = atol(optarg); break;
		case 'w': wait_s = atoi(optarg); break;
		case 'g': grace_s = atoi(optarg); break;
		case 'l': lat = 1; break;
		default: return 2;
		}
	}
	if (n < 1 || types < 1 || types > 1000 || size > MAXTEXT - 64)
		return 2;
	open_q(&q, argv[2], !strcmp(argv[1], "send"));
	if (!strcmp(argv[1], "send"))
		return do_send(&q, n, types, size, rate);
	return do_recv(&q, n, wait_s, grace_s, lat);
}
