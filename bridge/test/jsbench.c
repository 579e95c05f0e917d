/* SPDX-License-Identifier: MIT */
/*
 * jsbench - the baseline of `make bench-bridge`: the same payloads sent
 * through JetStream with libnats directly, as the bridge does it (a
 * synchronous js_PublishMsg with a Nats-Msg-Id per message, waiting for
 * its PubAck; a durable pull consumer, explicit acks, fetching up to 64
 * with MaxAckPending 256, each message acked), without umq.  SIZE bytes
 * of payload, as tq sends; the bridge's own headers (type, origin, host,
 * pid, expected stream) are part of what it costs.  The send time is
 * taken after the pacing sleep, right before the publish, as tq does.
 * The consumer is a process of its own with its own connection, as a
 * producer and a consumer on two machines would be, and as the two
 * bridges are: one connection would carry the PubAck and the delivery
 * in one read, to one process.
 *
 *   jsbench -s URLS [-R REPLICAS] [-n N] [-z SIZE] [-r RATE]
 *   jsbench -s URLS -T STREAM/CONSUMER
 *   jsbench -s URLS -I STREAM/CONSUMER
 *   jsbench -s URLS -P SUBJECT -O ORIGIN SEQ...
 *
 * -T, for cluster.sh: fetch one message from that durable pull consumer
 * (waiting up to 10 s), print its payload, and never ack it: a delivery
 * its bridge never sees, as one lost on a dying connection.
 * -I, for cluster.sh's post-mortems: one line of what the stream holds
 * and one of where that consumer stands.
 * -P, for cluster.sh: publish to SUBJECT one message per SEQ, in the
 * order given, as an out bridge of epoch ORIGIN (hex) would number them
 * (headers Umq-Origin, Umq-Seq), each with the text "seq=SEQ".
 *
 * Prints "rate_per_s T p50_us P p99_us Q": messages per second at the
 * consumer, and publish-to-consume latencies.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <nats/nats.h>

static jsCtx *js;
static long n = 5000;
static long long *lats;
static long long first, last;

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static void consume(natsSubscription *sub)
{
	long got = 0;

	while (got < n) {
		natsMsgList l = { 0 };

		if (natsSubscription_Fetch(&l, sub, 64, 1000, NULL) != NATS_OK)
			continue;
		for (int i = 0; i < l.Count; i++) {
			long long ts = atoll(natsMsg_GetData(l.Msgs[i]) + 3);
			long long t = now_ns();

			natsMsg_Ack(l.Msgs[i], NULL);
			if (!first)
				first = t;
			last = t;
			if (got < n)
				lats[got++] = t - ts;
		}
		natsMsgList_Destroy(&l);
	}
}

/* The consumer's process: its own connection; a byte on ready once it is
 * subscribed; prints the result line. */
static int consumer(const char *urls, int ready)
{
	natsConnection *nc = NULL;
	natsSubscription *sub = NULL;
	jsSubOptions so;

	if (natsConnection_ConnectTo(&nc, urls) != NATS_OK ||
	    natsConnection_JetStream(&js, nc, NULL) != NATS_OK) {
		fprintf(stderr, "jsbench: consumer cannot connect to %s\n",
			urls);
		return 1;
	}
	lats = calloc(n, sizeof(*lats));
	jsSubOptions_Init(&so);
	so.Stream = "JSBENCH";
	so.Config.AckPolicy = js_AckExplicit;
	so.Config.MaxAckPending = 256;
	if (!lats || js_PullSubscribe(&sub, js, "jsb.>", "jsbench", NULL, &so,
				      NULL) != NATS_OK) {
		fprintf(stderr, "jsbench: cannot subscribe\n");
		return 1;
	}
	if (write(ready, "r", 1) != 1)
		return 1;
	close(ready);
	consume(sub);
	qsort(lats, n, sizeof(*lats), cmp_ll);
	printf("rate_per_s %.0f p50_us %lld p99_us %lld\n",
	       last > first ? n * 1e9 / (last - first) : 0.0,
	       lats[n / 2] / 1000, lats[n * 99 / 100] / 1000);
	natsSubscription_Destroy(sub);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	nats_Close();
	free(lats);
	return 0;
}

static int steal(natsConnection *nc, char *what)
{
	char *consumer = strchr(what, '/');
	natsSubscription *sub = NULL;
	natsMsgList l = { 0 };
	jsSubOptions so;

	if (!consumer)
		return 2;
	*consumer++ = '\0';
	jsSubOptions_Init(&so);
	so.Stream = what;
	so.Consumer = consumer;		/* bind: the bridge's own consumer */
	if (js_PullSubscribe(&sub, js, NULL, NULL, NULL, &so, NULL) != NATS_OK ||
	    natsSubscription_Fetch(&l, sub, 1, 10000, NULL) != NATS_OK) {
		fprintf(stderr, "jsbench: nothing stolen from %s/%s\n", what,
			consumer);
		return 1;
	}
	printf("%.*s\n", natsMsg_GetDataLength(l.Msgs[0]),
	       natsMsg_GetData(l.Msgs[0]));
	natsMsgList_Destroy(&l);	/* not acked */
	natsSubscription_Destroy(sub);
	return 0;
}

static int info(char *what)
{
	char *consumer = strchr(what, '/');
	jsConsumerInfo *ci = NULL;
	jsStreamInfo *si = NULL;
	jsErrCode je = 0;

	if (consumer)
		*consumer++ = '\0';
	if (js_GetStreamInfo(&si, js, what, NULL, &je) != NATS_OK) {
		printf("stream %s: no answer (error %d)\n", what, (int)je);
		return 1;
	}
	printf("stream %s: %llu messages, sequences %llu-%llu, %llu deleted, "
	       "%d lost, leader %s\n", what,
	       (unsigned long long)si->State.Msgs,
	       (unsigned long long)si->State.FirstSeq,
	       (unsigned long long)si->State.LastSeq,
	       (unsigned long long)si->State.NumDeleted,
	       si->State.Lost ? si->State.Lost->MsgsLen : 0,
	       si->Cluster && si->Cluster->Leader ? si->Cluster->Leader : "-");
	jsStreamInfo_Destroy(si);
	if (!consumer)
		return 0;
	if (js_GetConsumerInfo(&ci, js, what, consumer, NULL, &je) !=
	    NATS_OK) {
		printf("consumer %s: no answer (error %d)\n", consumer,
		       (int)je);
		return 1;
	}
	printf("consumer %s: delivered %llu (stream %llu), ack floor %llu "
	       "(stream %llu), %lld pending, %lld awaiting ack, %lld "
	       "redelivered\n", consumer,
	       (unsigned long long)ci->Delivered.Consumer,
	       (unsigned long long)ci->Delivered.Stream,
	       (unsigned long long)ci->AckFloor.Consumer,
	       (unsigned long long)ci->AckFloor.Stream,
	       (long long)ci->NumPending, (long long)ci->NumAckPending,
	       (long long)ci->NumRedelivered);
	jsConsumerInfo_Destroy(ci);
	return 0;
}

static int publish_seqs(const char *subj, const char *origin, char **seqs,
			int count)
{
	for (int i = 0; i < count; i++) {
		char text[64];
		natsMsg *m = NULL;
		int len = snprintf(text, sizeof(text), "seq=%s", seqs[i]);

		if (natsMsg_Create(&m, subj, NULL, text, len) != NATS_OK ||
		    natsMsgHeader_Set(m, "Umq-Origin", origin) != NATS_OK ||
		    natsMsgHeader_Set(m, "Umq-Seq", seqs[i]) != NATS_OK ||
		    js_PublishMsg(NULL, js, m, NULL, NULL) != NATS_OK) {
			fprintf(stderr, "jsbench: cannot publish %s\n", text);
			natsMsg_Destroy(m);
			return 1;
		}
		natsMsg_Destroy(m);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *urls = "nats://127.0.0.1:4222", *subjects[] = { "jsb.>" };
	int replicas = 1, size = 128, c, go[2], ready[2], st = 1;
	long rate = 0;
	natsConnection *nc = NULL;
	jsStreamConfig sc;
	pid_t child = -1;
	char *buf, b;

	char *thief = NULL, *look = NULL, *pub = NULL, *origin = "0";

	while ((c = getopt(argc, argv, "s:R:n:z:r:T:I:P:O:")) != -1) {
		switch (c) {
		case 'T': thief = optarg; break;
		case 'I': look = optarg; break;
		case 'P': pub = optarg; break;
		case 'O': origin = optarg; break;
		case 's': urls = optarg; break;
		case 'R': replicas = atoi(optarg); break;
		case 'n': n = atol(optarg); break;
		case 'z': size = atoi(optarg); break;
		case 'r': rate = atol(optarg); break;
		default: return 2;
		}
	}
	if (n < 1)
		return 2;
	/* The consumer forks before either side touches libnats (whose
	 * threads a fork would leave behind), and connects once the stream
	 * is made (a byte on go). */
	if (!thief && !look && !pub) {
		if (pipe(go) || pipe(ready) || (child = fork()) < 0) {
			perror("jsbench");
			return 1;
		}
		if (child == 0) {
			close(go[1]);
			close(ready[0]);
			if (read(go[0], &b, 1) != 1)
				_exit(1);	/* the producer failed */
			exit(consumer(urls, ready[1]));
		}
		close(go[0]);
		close(ready[1]);
	}
	if (natsConnection_ConnectTo(&nc, urls) != NATS_OK ||
	    natsConnection_JetStream(&js, nc, NULL) != NATS_OK) {
		fprintf(stderr, "jsbench: cannot connect to %s\n", urls);
		goto out;
	}
	if (thief)
		return steal(nc, thief);
	if (look)
		return info(look);
	if (pub)
		return publish_seqs(pub, origin, argv + optind, argc - optind);
	buf = malloc(size + 64);
	js_DeleteStream(js, "JSBENCH", NULL, NULL);
	jsStreamConfig_Init(&sc);
	sc.Name = "JSBENCH";
	sc.Subjects = subjects;
	sc.SubjectsLen = 1;
	sc.Retention = js_WorkQueuePolicy;
	sc.Storage = js_FileStorage;
	sc.Replicas = replicas;
	if (!buf || js_AddStream(NULL, js, &sc, NULL, NULL) != NATS_OK) {
		fprintf(stderr, "jsbench: cannot create the stream\n");
		goto out;
	}
	if (write(go[1], "g", 1) != 1 || read(ready[0], &b, 1) != 1)
		goto out;		/* the consumer said why */
	long long start = now_ns();
	for (long i = 0; i < n; i++) {
		char id[32], subj[32];
		jsPubOptions po;
		natsMsg *m = NULL;
		int hl;

		if (rate > 0) {
			long long d = start + i * 1000000000LL / rate - now_ns();

			if (d > 0) {
				struct timespec t = { d / 1000000000LL,
						      d % 1000000000LL };
				nanosleep(&t, NULL);
			}
		}
		hl = snprintf(buf, 64, "ts=%lld|", now_ns());
		memset(buf + hl, 'x', size > hl ? size - hl : 0);
		snprintf(id, sizeof(id), "b-%ld", i);
		snprintf(subj, sizeof(subj), "jsb.%ld", 1 + i % 4);
		natsMsg_Create(&m, subj, NULL, buf, size > hl ? size : hl);
		natsMsgHeader_Set(m, "Umq-Seq", id + 2);
		jsPubOptions_Init(&po);
		po.MsgId = id;
		while (js_PublishMsg(NULL, js, m, &po, NULL) != NATS_OK)
			;
		natsMsg_Destroy(m);
	}
	if (waitpid(child, &c, 0) == child && WIFEXITED(c))
		st = WEXITSTATUS(c);
	child = -1;
	js_DeleteStream(js, "JSBENCH", NULL, NULL);
	free(buf);
out:
	if (child > 0) {
		close(go[1]);		/* a consumer still waiting: go away */
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	if (js)
		jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	nats_Close();
	return st;
}
