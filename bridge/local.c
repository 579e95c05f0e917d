/* SPDX-License-Identifier: MIT */
/*
 * local.c - the bridge's local queue, through the public umq API only:
 * a System V queue by id or key, or a POSIX queue by /name.  The out
 * side peeks the head and removes it only after JetStream acknowledged
 * it, and waits for one with a blocking peek (woken by the send itself);
 * both sides block with a deadline, so that an empty or full queue
 * (flow control) keeps the bridge from neither its status nor signals.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge.h"

static int parse_long(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 0);
	return (errno || !*s || *end) ? -EINVAL : 0;
}

int lq_open(struct lq *q, const struct opts *o, bool for_send)
{
	long v;

	memset(q, 0, sizeof(*q));
	q->msgsize = MSG_MAX;
	if (o->queue[0] == '/') {
		struct mq_attr a;
		/* Blocking: the out side's peek waits on it (lq_peek_wait).
		 * Never polled: the queue's own traffic keeps its lane. */
		int fl = (for_send ? O_WRONLY : O_RDWR) |
			 (o->create ? O_CREAT : 0) | UMQ_O_NOPOLL;

		q->posix = true;
		q->mqd = umq_mq_open(o->queue, fl, 0600, NULL);
		if (q->mqd == (mqd_t)-1)
			return -errno;
		if (umq_mq_getattr(q->mqd, &a))
			return -errno;
		if (a.mq_msgsize > MSG_MAX)
			return -EMSGSIZE;
		q->msgsize = a.mq_msgsize;
		snprintf(q->label, sizeof(q->label), "%s", o->queue);
		return 0;
	}
	if (parse_long(o->queue, &v))
		return -EINVAL;
	if (o->by_key) {
		q->id = umq_msgget((key_t)v, o->create ? IPC_CREAT | 0600 : 0);
		if (q->id < 0)
			return -errno;
		snprintf(q->label, sizeof(q->label), "key 0x%08x",
			 (unsigned)(key_t)v);
	} else {
		struct msqid_ds ds;

		q->id = (int)v;
		if (umq_msgctl(q->id, IPC_STAT, &ds))
			return -errno;
		snprintf(q->label, sizeof(q->label), "id %d", q->id);
	}
	return 0;
}

void lq_close(struct lq *q)
{
	if (q->posix)
		umq_mq_close(q->mqd);
}

int lmsg_alloc(struct lmsg *m)
{
	memset(m, 0, sizeof(*m));
	m->buf = malloc(sizeof(long) + MSG_MAX);
	if (!m->buf)
		return -ENOMEM;
	m->text = m->buf + sizeof(long);
	return 0;
}

void lmsg_free(struct lmsg *m)
{
	free(m->buf);
	m->buf = m->text = NULL;
}

/* ms from now on CLOCK_MONOTONIC. */
static struct timespec after_ms(int ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* What a peek of the head returned (n), into m. */
static int peeked(ssize_t n, const struct umq_peek_msg *pm, struct lmsg *m)
{
	if (n <= 0)
		return n < 0 ? -errno : 0;
	if (pm->len > pm->size)
		return -E2BIG;
	m->type = pm->type;
	m->id = pm->id;
	m->len = pm->len;
	return 1;
}

int lq_peek(struct lq *q, struct lmsg *m)
{
	struct umq_peek_msg pm = { .text = m->text, .size = MSG_MAX };

	return peeked(q->posix ? umq_mq_peek(q->mqd, 0, &pm, 1)
			       : umq_msgpeek(q->id, 0, 0, 0, &pm, 1), &pm, m);
}

int lq_peek_wait(struct lq *q, struct lmsg *m, int ms)
{
	struct umq_peek_msg pm = { .text = m->text, .size = MSG_MAX };
	struct timespec t = after_ms(ms);
	ssize_t n;

	n = q->posix ? umq_mq_clockpeek(q->mqd, 0, &pm, 1, CLOCK_MONOTONIC, &t)
		     : umq_msgclockpeek(q->id, 0, 0, 0, &pm, 1,
					CLOCK_MONOTONIC, &t);
	if (n < 0 && (errno == ETIMEDOUT || errno == EINTR))
		return 0;
	return peeked(n, &pm, m);
}

int lq_holds(struct lq *q, uint64_t fp, struct lmsg *m)
{
	struct umq_peek_msg pm = { .text = m->text, .size = MSG_MAX };

	for (size_t i = 0;; i++) {
		ssize_t n = q->posix ? umq_mq_peek(q->mqd, i, &pm, 1)
				     : umq_msgpeek(q->id, 0, 0, i, &pm, 1);

		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		m->type = pm.type;
		m->len = pm.copied;
		if (pm.len == pm.copied && lmsg_fp(m) == fp)
			return 1;
	}
}

int lq_recv(struct lq *q, const struct lmsg *seen, struct lmsg *m)
{
	struct umq_peek_msg pm = { .type = seen->type, .id = seen->id };
	ssize_t n;

	if (q->posix) {
		unsigned prio;

		n = umq_mq_receive_peeked(q->mqd, m->text, q->msgsize, &prio,
					  &pm);
		if (n < 0)
			return errno == ENOMSG ? 0 : -errno;
		m->type = prio;
	} else {
		n = umq_msgrcv_peeked(q->id, m->buf, MSG_MAX, 0, &pm);
		if (n < 0)
			return errno == ENOMSG ? 0 : -errno;
		memcpy(&m->type, m->buf, sizeof(long));
	}
	m->len = n;
	return 1;
}

int lq_send(struct lq *q, const struct lmsg *m, int ms)
{
	struct timespec t = after_ms(ms);
	int r;

	if (q->posix) {
		r = umq_mq_clocksend(q->mqd, m->text, m->len, m->type,
				     CLOCK_MONOTONIC, &t);
	} else {
		memcpy(m->buf, &m->type, sizeof(long));
		r = umq_msgclocksnd(q->id, m->buf, m->len, 0,
				    CLOCK_MONOTONIC, &t);
	}
	if (r == 0)
		return 0;
	return errno == ETIMEDOUT || errno == EINTR ? -EAGAIN : -errno;
}

int lq_stat(struct lq *q, struct lstat *st)
{
	st->lrpid = st->lspid = -1;
	st->rtime = st->stime = -1;
	if (q->posix) {
		struct mq_attr a;

		if (umq_mq_getattr(q->mqd, &a))
			return -errno;
		st->qnum = a.mq_curmsgs;
	} else {
		struct msqid_ds ds;

		if (umq_msgctl(q->id, IPC_STAT, &ds))
			return -errno;
		st->qnum = ds.msg_qnum;
		st->lrpid = ds.msg_lrpid;
		st->lspid = ds.msg_lspid;
		st->rtime = ds.msg_rtime;
		st->stime = ds.msg_stime;
	}
	return 0;
}

/* FNV-1a over type, length and text: tells two messages apart. */
uint64_t lmsg_fp(const struct lmsg *m)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	long long hdr[2] = { m->type, (long long)m->len };
	const unsigned char *p = (const unsigned char *)hdr;

	for (size_t i = 0; i < sizeof(hdr); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	p = (const unsigned char *)m->text;
	for (size_t i = 0; i < m->len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}
