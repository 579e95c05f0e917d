/* SPDX-License-Identifier: MIT */
/*
 * in.c - JetStream -> local queue: fetch from the durable pull consumer,
 * send each message into the local queue (waiting while it is full,
 * telling the server the message is in progress, so that a full queue
 * slows the stream and nothing piles up in the bridge), and only then
 * acknowledge it.
 *
 * A message that comes again after a crash or a lost ack is recognized
 * by its origin and sequence (headers of the out bridge): the state file
 * keeps the highest sequence delivered of the origin, and which of the 64
 * below it were: a repeat is acked and dropped, a lower sequence never
 * delivered is delivered late (and said), and only one more than 64
 * below is taken for a repeat unseen.  The one instant no file can cover
 * is between the local send and the record of it: a "pending" record is
 * written before the send, and after a crash a System V queue's lspid
 * and stime tell whether that bridge sent since; when they cannot
 * (POSIX, or a send of the same second), the message is delivered again
 * and counted as a possible duplicate.
 *
 * Order matters too.  A delivery lost on the way (a connection that died
 * with it) would come again only after AckWait, behind newer ones: so a
 * gap in the consumer's delivery sequence makes the consumer afresh at
 * once, as at start, and whatever was not acked comes again, in order.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"

#define PRIO_MAX 32767			/* MQ_PRIO_MAX - 1 */


static bool hdr_num(natsMsg *nm, const char *key, int base, uint64_t *v)
{
	const char *s = NULL;
	char *end;

	if (natsMsgHeader_Get(nm, key, &s) != NATS_OK || !s || !*s)
		return false;
	errno = 0;
	*v = strtoull(s, &end, base);
	return !errno && !*end;
}

/* Type or priority, symmetric with out.c: a System V mtype goes to
 * priority mtype - 1, a priority to mtype priority + 1. */
static long map_type(natsMsg *nm, bool posix)
{
	const char *subj = natsMsg_GetSubject(nm), *dot = strrchr(subj, '.');
	uint64_t v;
	long t = -1;

	if (hdr_num(nm, posix ? HDR_PRIO : HDR_TYPE, 10, &v))
		t = (long)v;
	else if (hdr_num(nm, posix ? HDR_TYPE : HDR_PRIO, 10, &v))
		t = posix ? (long)v - 1 : (long)v + 1;
	else if (dot && dot[1])
		t = strtol(dot + 1, NULL, 10);
	if (posix)
		return t < 0 ? 0 : t > PRIO_MAX ? PRIO_MAX : t;
	return t < 1 ? 1 : t;
}

#define WINDOW 64

/* Was sequence seq of the current origin delivered (as far as the state
 * can tell)? */
static bool delivered(uint64_t seq)
{
	uint64_t d = bstate.seq - seq;

	if (seq > bstate.seq)
		return false;
	if (d == 0 || d > WINDOW)
		return true;	/* the last one; or too old to tell */
	return bstate.below >> (d - 1) & 1;
}

/* Record seq of origin as delivered, in bstate (saved by the caller). */
static void mark_delivered(uint64_t origin, uint64_t seq)
{
	uint64_t d;

	if (origin != bstate.origin) {
		bstate.origin = origin;
		bstate.seq = seq;
		bstate.below = 0;
	} else if (seq > bstate.seq) {
		d = seq - bstate.seq;	/* the old highest is bit d - 1 */
		bstate.below = d > WINDOW ? 0 :
			       (d == WINDOW ? 0 : bstate.below << d) |
			       1ULL << (d - 1);
		bstate.seq = seq;
	} else if (seq < bstate.seq && bstate.seq - seq <= WINDOW) {
		bstate.below |= 1ULL << (bstate.seq - seq - 1);
	}
}

/* 1: deliver; 0: a repeat of a delivered message (ack, drop). */
static int fresh(struct lq *q, uint64_t origin, uint64_t seq, bool *flag)
{
	struct lstat ls;

	*flag = false;
	if (origin == bstate.origin && delivered(seq)) {
		if (bstate.seq - seq > WINDOW)
			logmsg("%016" PRIx64 "-%" PRIu64 " is more than %d "
			       "below the last delivered (%" PRIu64 "): taken "
			       "for a repeat", origin, seq, WINDOW,
			       bstate.seq);
		return 0;
	}
	if (origin == bstate.origin && seq < bstate.seq)
		logmsg("%016" PRIx64 "-%" PRIu64 " comes after %" PRIu64
		       ", never delivered: delivered late", origin, seq,
		       bstate.seq);
	if (bstate.phase == ST_PENDING && origin == bstate.porigin &&
	    seq == bstate.pseq) {
		bstate.phase = ST_IDLE;
		if (!q->posix && lq_stat(q, &ls) == 0 &&
		    (ls.lspid != bstate.pid || ls.stime < bstate.t0))
			return 1;	/* proven not sent */
		*flag = true;
	}
	return 1;
}

/* While the local queue is full, the lag is what the stream holds for
 * this consumer: ask the server (the messages say it only on arrival). */
static void lag_refresh(struct js *j, const struct opts *o)
{
	jsConsumerInfo *ci = NULL;
	jsOptions jo;

	jsOptions_Init(&jo);
	jo.Wait = 500;
	if (js_GetConsumerInfo(&ci, j->js, o->stream, j->durable, &jo,
			       NULL) == NATS_OK) {
		atomic_store(&ctr.lag, (long long)(ci->NumPending +
						   ci->NumAckPending));
		jsConsumerInfo_Destroy(ci);
	}
}

static int deliver(const struct opts *o, struct js *j, struct lq *q,
		   natsMsg *nm, struct lmsg *m)
{
	uint64_t origin = 0, seq = 0, ss = 0, cs = 0;
	bool tagged, flag = false;
	jsMsgMetaData *meta = NULL;
	int len = natsMsg_GetDataLength(nm), r;

	atomic_fetch_add(&ctr.consumed, 1);
	if (natsMsg_GetMetaData(&meta, nm) == NATS_OK) {
		cs = meta->Sequence.Consumer;
		ss = meta->Sequence.Stream;

		/* the bridge made the consumer: deliveries from 1 */
		if (cs > j->cseq + 1) {
			logmsg("deliveries %" PRIu64 "-%" PRIu64 " of consumer "
			       "%s never came: making it afresh, so that what "
			       "was not acked comes again in order",
			       j->cseq + 1, cs - 1, j->durable);
			jsMsgMetaData_Destroy(meta);
			return -ESTALE;
		}
		j->cseq = cs;
		if (meta->NumDelivered > 1)
			atomic_fetch_add(&ctr.redelivered, 1);
		atomic_store(&ctr.lag, (long long)meta->NumPending);
		jsMsgMetaData_Destroy(meta);
	}
	tagged = hdr_num(nm, HDR_ORIGIN, 16, &origin) &&
		 hdr_num(nm, HDR_SEQ, 10, &seq);
	if (tagged && !fresh(q, origin, seq, &flag)) {
		if (o->verbose)
			logmsg("delivery %" PRIu64 " (stream message %" PRIu64
			       "): %016" PRIx64 "-%" PRIu64 " is a repeat: "
			       "acked, dropped", cs, ss, origin, seq);
		atomic_fetch_add(&ctr.duplicates, 1);
		natsMsg_Ack(nm, NULL);
		return 0;
	}
	if (flag || natsMsgHeader_Get(nm, HDR_MAYBE_DUP, &(const char *){0})
		    == NATS_OK) {
		logmsg("possible duplicate: origin %016" PRIx64 " seq %" PRIu64
		       " delivered (it may have been delivered before)",
		       origin, seq);
		if (flag)
			atomic_fetch_add(&ctr.duplicates, 1);
	}
	if (len > q->msgsize) {
		logmsg("message of %d bytes, larger than the queue's %ld: "
		       "terminated", len, q->msgsize);
		natsMsg_Term(nm, NULL);
		return 0;
	}
	m->type = map_type(nm, q->posix);
	m->len = len;
	memcpy(m->text, natsMsg_GetData(nm), len);
	if (tagged) {
		bstate.phase = ST_PENDING;
		bstate.porigin = origin;
		bstate.pseq = seq;
		bstate.t0 = time(NULL);
		bstate.pid = bridge_pid;
		if ((r = state_save(&bstate)))
			return r;
	}
	while ((r = lq_send(q, m, 1000)) == -EAGAIN) {
		natsMsg_InProgress(nm, NULL);	/* full: hold the stream */
		lag_refresh(j, o);
		if (bridge_stop) {
			bstate.phase = ST_IDLE;	/* not sent: no doubt */
			state_save(&bstate);
			return -EINTR;
		}
	}
	if (r)
		return r;
	atomic_fetch_add(&ctr.delivered, 1);
	if (o->verbose)
		logmsg("delivery %" PRIu64 " (stream message %" PRIu64 "): "
		       "%016" PRIx64 "-%" PRIu64 " sent", cs, ss, origin, seq);
	if (tagged) {
		bstate.phase = ST_IDLE;
		mark_delivered(origin, seq);
		if ((r = state_save(&bstate)))
			return r;
	}
	if (natsMsg_Ack(nm, NULL) == NATS_OK)
		atomic_fetch_add(&ctr.acked, 1);
	return 0;
}

int bridge_in(const struct opts *o, struct lq *q, struct js *j)
{
	unsigned long long seen = atomic_load(&ctr.reconnects);
	long long check = 0;		/* when to js_check; 0: flowing */
	struct lmsg m;
	int r;

	if ((r = lmsg_alloc(&m)))
		return r;
	while (!bridge_stop) {
		natsMsgList list = { 0 };
		jsErrCode je = 0;
		natsStatus s;

		/* A fetch from a consumer the cluster lost only times out:
		 * while idle or failing, every 5 s, and after a reconnect,
		 * make sure it is there. */
		if (!j->sub || (check && mono_ms() >= check) ||
		    atomic_load(&ctr.reconnects) != seen) {
			seen = atomic_load(&ctr.reconnects);
			check = mono_ms() + 5000;
			if ((r = js_check(j, o)) == -EAGAIN)
				r = 0;		/* the cluster cannot say yet */
			if (r)
				break;
			if (!j->sub) {
				nap_ms(500);
				continue;
			}
		}
		s = natsSubscription_Fetch(&list, j->sub, o->batch, 1000, &je);
		if (s != NATS_OK) {
			if (s == NATS_TIMEOUT)
				atomic_store(&ctr.lag, 0);
			else if (o->verbose)
				logmsg("fetch: %s", js_err(s));
			if (!check)
				check = mono_ms() + 5000;
			if (s != NATS_TIMEOUT)
				nap_ms(200);
			continue;
		}
		check = 0;
		for (int i = 0; i < list.Count && r == 0; i++)
			r = deliver(o, j, q, list.Msgs[i], &m);
		natsMsgList_Destroy(&list);	/* the rest: not acked */
		if (r == -ESTALE) {
			natsSubscription_Destroy(j->sub);
			j->sub = NULL;		/* js_check makes it afresh */
			r = 0;
		}
		if (r == -EINTR)
			r = 0;
		if (r)
			break;
	}
	lmsg_free(&m);
	return r;
}
