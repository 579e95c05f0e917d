/* SPDX-License-Identifier: MIT */
/*
 * roles.c - what the processes of a timed run do: one-way data that an
 * end message closes, or pings each answered by a pong until a quit, on
 * System V, POSIX or Boost.Interprocess queues.
 */
#include "bench.h"

struct backend be_kernel = {
	"kernel", msgget, msgsnd, msgrcv, msgctl,
	mq_open, mq_close, mq_unlink, mq_send, mq_receive, mq_setattr,
	NULL, NULL, NULL, 0, 0
};
struct backend be_umq = {
	"umq", umq_msgget, umq_msgsnd, umq_msgrcv, umq_msgctl,
	umq_mq_open, umq_mq_close, umq_mq_unlink, umq_mq_send,
	umq_mq_receive, umq_mq_setattr, NULL, NULL, NULL, 0, 0
};
struct backend *backends[2] = { &be_kernel, &be_umq };

int fail(struct result *r, const char *what)
{
	snprintf(r->err, sizeof(r->err), "%s: %s", what, strerror(errno));
	return 1;
}

/*
 * System V, one queue: data type 1 and the end type 2; pings type 1 and
 * pongs type 2, the quit a ping whose text starts with 1.
 */
static int sv_send(const struct job *j, struct qmsg *m, int k)
{
	m->mtype = k == M_END || k == M_PONG ? 2 : 1;
	if (k == M_QUIT)
		m->mtext[0] = 1;
	return j->be->snd(j->qid, m, j->size, 0);
}

static ssize_t sv_recv(const struct job *j, struct qmsg *m, int k)
{
	long type = k == M_PING ? 1 : k == M_PONG ? 2 : 0;

	return j->be->rcv(j->qid, m, j->size, type, 0);
}

static int sv_ends(const struct qmsg *m, int k)
{
	return k == M_DATA ? m->mtype == 2 : m->mtext[0] != 0;
}

const struct api sysv_api = {
	"msgsnd", "msgrcv", sv_send, sv_recv, sv_ends,
};

/*
 * POSIX, priority 0: data, pings and the end on mq[0], pongs on mq[1];
 * the end (and the quit) is a message whose text starts with STOP.
 */
static int px_send(const struct job *j, struct qmsg *m, int k)
{
	if (k == M_END || k == M_QUIT)
		m->mtext[0] = STOP;
	return j->be->msend(j->mq[k == M_PONG], m->mtext, j->size, 0);
}

static ssize_t px_recv(const struct job *j, struct qmsg *m, int k)
{
	return j->be->mrecv(j->mq[k == M_PONG], m->mtext, j->size, NULL);
}

static int px_ends(const struct qmsg *m, int k)
{
	return m->mtext[0] == STOP;
}

const struct api posix_api = {
	"mq_send", "mq_receive", px_send, px_recv, px_ends,
};

/* Boost, as POSIX: data, pings and the end on bq[0], pongs on bq[1]. */
static int bx_send(const struct job *j, struct qmsg *m, int k)
{
	if (k == M_END || k == M_QUIT)
		m->mtext[0] = STOP;
	return boost_mq_send(j->bq[k == M_PONG], m->mtext, j->size);
}

static ssize_t bx_recv(const struct job *j, struct qmsg *m, int k)
{
	return boost_mq_recv(j->bq[k == M_PONG], m->mtext, j->size);
}

const struct api boost_api = {
	"send", "receive", bx_send, bx_recv, px_ends,
};

/* A Boost queue of j->depth messages of j->size bytes. */
static int bq_new(struct job *j, int k, char *why, size_t len)
{
	static unsigned int seq;
	char *path = j->mq_name[k];

	snprintf(path, sizeof(j->mq_name[k]), BOOST_DIR "umq-bench-boost.%d.%u",
		 (int)getpid(), seq++);
	track_mq(path, 1);
	j->bq[k] = boost_mq_create(path + sizeof(BOOST_DIR) - 1, j->depth,
				   j->size, why, len);
	if (j->bq[k])
		return 0;
	track_mq(path, 0);
	path[0] = 0;
	return -1;
}

static void bq_del(struct job *j, int k)
{
	char *path = j->mq_name[k];

	if (!path[0])
		return;
	boost_mq_destroy(j->bq[k], path + sizeof(BOOST_DIR) - 1);
	j->bq[k] = NULL;
	track_mq(path, 0);
	path[0] = 0;
}


/* A failed call of the job's API (its send if snd, else its receive). */
static int call_failed(const struct job *j, struct result *r, int snd,
		       const char *what)
{
	int e = errno;
	char call[64];

	snprintf(call, sizeof(call), "%s%s", snd ? j->api->snd : j->api->rcv,
		 what);
	errno = e;
	return fail(r, call);
}

/*
 * With -c, each role counts its own system calls (count.c) from its start
 * to its end, the first and last messages included: extra[0] the calls,
 * detail which.
 */
static struct counter counter;

static int counting(struct result *r)
{
	return count_roles ? count_start(&counter, r) : 0;
}

static void counted(struct result *r)
{
	if (!count_roles)
		return;
	r->extra[0] = atomic_load(&counter.n);
	describe_seen(&counter, r);
}

int sender(const struct job *j, struct result *r)
{
	static struct qmsg m;
	double deadline = now() + run_secs;
	long n = 0;
	int i;

	memset(m.mtext, 'x', j->size);
	if (counting(r))
		return 1;
	do {
		for (i = 0; i < 64; i++)
			if (j->api->send(j, &m, M_DATA) < 0)
				return call_failed(j, r, 1, "");
		n += 64;
	} while (now() < deadline);
	if (j->api->send(j, &m, M_END) < 0)
		return call_failed(j, r, 1, " (stop)");
	r->count = n;
	counted(r);
	return 0;
}

/* Times from the first message to the end message: steady state only. */
int receiver(const struct job *j, struct result *r)
{
	static struct qmsg m;
	double t0 = 0;
	long n = 0;
	ssize_t got;

	if (counting(r))
		return 1;
	for (;;) {
		got = j->api->recv(j, &m, M_DATA);
		if (got < 0)
			return call_failed(j, r, 0, "");
		if (got != (ssize_t)j->size) {
			snprintf(r->err, sizeof(r->err),
				 "%s returned %zd bytes, sent %zu",
				 j->api->rcv, got, j->size);
			return 1;
		}
		if (!t0)
			t0 = now();
		if (j->api->ends(&m, M_DATA))
			break;
		n++;
	}
	r->t1 = now();
	r->t0 = t0;
	r->secs = r->t1 - t0;
	r->count = n;
	counted(r);
	return 0;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/*
 * Each round trip timed on its own as well (the clock is the vDSO's, some
 * 20 ns), for its median and 99th percentile.
 */
int pinger(const struct job *j, struct result *r)
{
	static struct qmsg m;
	static float lat[MAX_LAT];
	double t0 = 0, deadline = 0, a, b;
	long n = 0, nlat = 0;
	int i;

	if (counting(r))
		return 1;
	do {
		for (i = 0; i < 64; i++) {
			a = now();
			if (j->api->send(j, &m, M_PING) < 0)
				return call_failed(j, r, 1, " (ping)");
			if (j->api->recv(j, &m, M_PONG) < 0)
				return call_failed(j, r, 0, " (pong)");
			b = now();
			if (t0 && nlat < MAX_LAT)
				lat[nlat++] = (float)((b - a) * 1e6);
		}
		/* the first 64 rounds wait for the peer to start: not timed */
		if (!t0) {
			t0 = now();
			deadline = t0 + run_secs;
			continue;
		}
		n += 64;
	} while (now() < deadline);
	r->secs = now() - t0;
	r->count = n;
	qsort(lat, nlat, sizeof(lat[0]), cmp_float);
	r->p50 = nlat ? lat[nlat / 2] : NAN;
	r->p99 = nlat ? lat[nlat * 99 / 100] : NAN;
	counted(r);
	if (j->api->send(j, &m, M_QUIT) < 0)
		return call_failed(j, r, 1, " (stop)");
	return 0;
}

int ponger(const struct job *j, struct result *r)
{
	static struct qmsg m;

	if (counting(r))
		return 1;
	for (;;) {
		if (j->api->recv(j, &m, M_PING) < 0)
			return call_failed(j, r, 0, " (ping)");
		if (j->api->ends(&m, M_PING))
			break;
		if (j->api->send(j, &m, M_PONG) < 0)
			return call_failed(j, r, 1, " (pong)");
		r->count++;
	}
	counted(r);
	return 0;
}

/* Only a name and its queues: they are reached through boost_api. */
struct backend be_boost = {
	.name = "Boost", .api = &boost_api, .qnew = bq_new, .qdel = bq_del,
};
