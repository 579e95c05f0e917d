/* SPDX-License-Identifier: MIT */
/*
 * out.c - local queue -> JetStream, at least once, nothing lost.
 *
 * One message at a time: peek the head; publish it with Nats-Msg-Id
 * "<epoch>-<seq>" and wait for the stream's ack (retrying the same id
 * for as long as it takes: the stream drops a repeat within its
 * duplicate window); record "pending" (the head's fingerprint, the
 * queue's qnum, the time); receive the head; record seq + 1.  The bridge
 * must be the queue's only receiver.
 *
 * Killed before the pending record: the head is still queued, and the
 * restarted bridge publishes it again under the same id (deduplicated).
 * Killed after the pending record: did the receive happen?  The head
 * answers when it differs from the pending message, qnum when it
 * dropped, and for System V lrpid and rtime when they show no receive
 * since; otherwise (the next message has the same bytes and type, the
 * queue did not shrink, a receive in that second) it cannot be known:
 * the head is published under seq + 1 with Umq-Maybe-Dup, counted as a
 * possible duplicate.  At least once, never lost.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"

static uint64_t maybe_dup;	/* a message that may repeat this seq */
static uint64_t maybe_fp;	/* has this fingerprint */
static char host[256];

static void nap(int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/* After a crash in the pending window: was the head received? */
static int resolve(struct lq *q, struct lmsg *m)
{
	struct lstat ls;
	int have = lq_peek(q, m), r;
	const char *why = NULL;

	if (have < 0)
		return have;
	if ((r = lq_stat(q, &ls)))
		return r;
	if (have == 0)
		why = "queue empty";
	else if (lmsg_fp(m) != bstate.fp)
		why = "head changed";
	else if (ls.qnum < bstate.qnum)
		why = "queue shrank";
	if (why) {
		logmsg("restart: message %" PRIu64 " was received (%s)",
		       bstate.seq, why);
		bstate.seq++;
	} else if (!q->posix && (ls.lrpid != bstate.pid || ls.rtime < bstate.t0)) {
		logmsg("restart: message %" PRIu64 " is still queued",
		       bstate.seq);
	} else {
		logmsg("restart: cannot tell whether message %" PRIu64
		       " was received: the head goes as %" PRIu64
		       " marked " HDR_MAYBE_DUP, bstate.seq, bstate.seq + 1);
		maybe_dup = bstate.seq++;
		maybe_fp = bstate.fp;
		atomic_fetch_add(&ctr.duplicates, 1);
	}
	bstate.phase = ST_IDLE;
	return state_save(&bstate);
}

static int publish(struct js *j, const struct opts *o, struct lq *q,
		   const struct lmsg *m)
{
	char subj[512], id[64], num[32], origin[32], pid[16];
	jsPubOptions po;
	jsPubAck *pa = NULL;
	jsErrCode je = 0;
	natsMsg *nm = NULL;
	natsStatus s;

	snprintf(subj, sizeof(subj), "%s.%ld", o->subject, m->type);
	snprintf(id, sizeof(id), "%016" PRIx64 "-%" PRIu64, bstate.epoch, bstate.seq);
	snprintf(origin, sizeof(origin), "%016" PRIx64, bstate.epoch);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	s = natsMsg_Create(&nm, subj, NULL, m->text, (int)m->len);
	snprintf(num, sizeof(num), "%ld", m->type);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(nm, q->posix ? HDR_PRIO : HDR_TYPE, num);
	snprintf(num, sizeof(num), "%" PRIu64, bstate.seq);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(nm, HDR_SEQ, num);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(nm, HDR_ORIGIN, origin);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(nm, HDR_HOST, host);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(nm, HDR_PID, pid);
	if (s == NATS_OK && maybe_dup && lmsg_fp(m) == maybe_fp) {
		snprintf(num, sizeof(num), "%" PRIu64, maybe_dup);
		s = natsMsgHeader_Set(nm, HDR_MAYBE_DUP, num);
	}
	if (s != NATS_OK) {
		natsMsg_Destroy(nm);
		return -ENOMEM;
	}
	jsPubOptions_Init(&po);
	po.MsgId = id;
	po.ExpectStream = o->stream;
	po.MaxWait = 2000;
	atomic_fetch_add(&ctr.published, 1);
	s = js_PublishMsg(&pa, j->js, nm, &po, &je);
	natsMsg_Destroy(nm);
	if (s != NATS_OK) {
		if (o->verbose)
			logmsg("publish %s: %s", id, js_err(s));
		return -EAGAIN;
	}
	atomic_fetch_add(&ctr.acked, 1);
	if (pa->Duplicate)
		atomic_fetch_add(&ctr.duplicates, 1);
	jsPubAck_Destroy(pa);
	return 0;
}

/* The head was published and acknowledged: take it off the queue. */
static int take(struct lq *q, struct lmsg *m, struct lmsg *got)
{
	struct lstat ls;
	int r = lq_stat(q, &ls);

	if (r)
		return r;
	bstate.phase = ST_PENDING;
	bstate.fp = lmsg_fp(m);
	bstate.qnum = ls.qnum;
	bstate.t0 = time(NULL);
	bstate.pid = getpid();
	if ((r = state_save(&bstate)))
		return r;
	r = lq_recv(q, got);
	if (r < 0)
		return r;
	if (r == 0 || lmsg_fp(got) != bstate.fp) {
		/* Another receiver, or (POSIX) a message of higher priority
		 * sent between the peek and the receive: put it back, and
		 * let the head go again under a new id (a repeat, marked). */
		logmsg("the head changed under the bridge (is it the "
		       "queue's only receiver?)");
		if (r == 1 && lq_send(q, got, 1000))
			logmsg("could not put a message back: lost");
		maybe_dup = bstate.seq;
		maybe_fp = bstate.fp;
		atomic_fetch_add(&ctr.duplicates, 1);
	} else if (bstate.fp == maybe_fp) {
		maybe_dup = 0;
	}
	atomic_fetch_add(&ctr.consumed, 1);
	bstate.seq++;
	bstate.phase = ST_IDLE;
	atomic_store(&ctr.lag, ls.qnum > 0 ? ls.qnum - 1 : 0);
	return state_save(&bstate);
}

int bridge_out(const struct opts *o, struct lq *q, struct js *j)
{
	struct lmsg m, got;
	struct lstat ls;
	int r;

	gethostname(host, sizeof(host) - 1);
	if ((r = lmsg_alloc(&m)) || (r = lmsg_alloc(&got)))
		return r;
	if (bstate.phase == ST_PENDING && (r = resolve(q, &m)))
		goto out;
	while (!bridge_stop) {
		if (!atomic_load(&ctr.connected)) {
			nap(100);	/* stop draining: senders block */
			continue;
		}
		r = lq_peek(q, &m);
		if (r < 0)
			break;
		if (r == 0) {
			if (lq_stat(q, &ls) == 0)
				atomic_store(&ctr.lag, ls.qnum);
			if ((r = lq_wait(q, 500)) < 0)
				break;
			continue;
		}
		if (publish(j, o, q, &m)) {
			nap(100);
			continue;
		}
		if ((r = take(q, &m, &got)))
			break;
	}
out:
	lmsg_free(&m);
	lmsg_free(&got);
	return r < 0 ? r : 0;
}
