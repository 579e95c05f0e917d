/* SPDX-License-Identifier: MIT */
/*
 * out.c - local queue -> JetStream, at least once, nothing lost.
 *
 * One message at a time.  Peek the head.  Unless it has one, give it the
 * next sequence N and record that (state.c) before anything leaves;
 * publish it with Nats-Msg-Id "<epoch>-<N>" and wait for the stream's ack,
 * retrying the same id for as long as it takes (the stream drops a repeat
 * within its duplicate window).  Peek again: a POSIX head may have been
 * overtaken by a higher priority meanwhile, and then keeps its sequence
 * (acked: it will not go again) until it is the head once more.  Record
 * "pending" (fingerprint, qnum, time), receive exactly the message peeked
 * (umq_*_peeked: never one sent meanwhile), forget it.  The bridge must
 * be the queue's only receiver.
 *
 * Killed before the pending record: the message is still queued and
 * goes again under its recorded id (deduplicated).  Killed after it: did
 * the receive happen?  Proven yes when the queue shrank, or (System V) the
 * head differs, or (POSIX) no queued message has those bytes; proven no
 * when (System V) lrpid or rtime show no receive by that bridge since;
 * otherwise the message goes again under a new sequence, marked
 * Umq-Maybe-Dup, and is counted as a possible duplicate: never lost.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"

static char host[256], pid[16];	/* the Umq-Host and Umq-Pid headers */
static long long failing, checked;	/* publish failing since; js_check */

static int asg_find(uint64_t fp)
{
	for (uint32_t i = 0; i < bstate.nasg; i++)
		if (bstate.asg[i].fp == fp)
			return i;
	return -1;
}

static void asg_drop(int k)
{
	bstate.asg[k] = bstate.asg[--bstate.nasg];
}

/* A sequence for a message first seen at the head (recorded by the
 * caller's next state_save, before it is published). */
static int asg_add(uint64_t fp, uint64_t maybe)
{
	if (bstate.nasg == NASG) {
		/* NASG messages overtaken and still queued: forget the
		 * oldest, which may then go twice (flagged) */
		logmsg("%d overtaken messages: one may be published twice",
		       NASG);
		uint64_t s = bstate.asg[0].seq;

		asg_drop(0);
		return asg_add(fp, s);
	}
	bstate.asg[bstate.nasg] = (struct asg){ .fp = fp,
		.seq = bstate.seq++, .maybe = maybe };
	return bstate.nasg++;
}

/*
 * Before assignment k is published: sequences reach the stream in
 * increasing order.  One overtaken before its publish succeeded, with a
 * higher one published since, is given a new sequence (marked as maybe
 * repeating the old one, if that may be stored); recorded before the
 * publish.
 */
static int ready(int k)
{
	struct asg *a = &bstate.asg[k];

	if (a->acked || (a->seq == bstate.hipub && a->tried))
		return 0;
	if (a->seq < bstate.hipub) {
		if (a->tried)
			a->maybe = a->seq;
		a->seq = bstate.seq++;
	}
	a->tried = 1;
	bstate.hipub = a->seq;
	return state_save(&bstate);
}

/* After a crash in the pending window: was the message received? */
static int resolve(struct lq *q, struct lmsg *m)
{
	struct lstat ls;
	int k = asg_find(bstate.fp), have, r;
	const char *why = NULL;

	if ((have = lq_peek(q, m)) < 0)
		return have;
	if ((r = lq_stat(q, &ls)))
		return r;
	if (ls.qnum < bstate.qnum)
		why = "the queue shrank";
	else if (!have)
		why = "the queue is empty";
	else if (!q->posix && lmsg_fp(m) != bstate.fp)
		why = "the head changed";
	else if (q->posix && (r = lq_holds(q, bstate.fp, m)) <= 0) {
		if (r < 0)
			return r;
		why = "no such message queued";
	}
	if (why) {
		logmsg("restart: message %" PRIu64 " was received (%s)",
		       bstate.pseq, why);
		if (k >= 0)
			asg_drop(k);
	} else if (!q->posix && (ls.lrpid != bstate.pid ||
				 ls.rtime < bstate.t0)) {
		logmsg("restart: message %" PRIu64 " is still queued",
		       bstate.pseq);
	} else {
		logmsg("restart: cannot tell whether message %" PRIu64
		       " was received: it goes again as %" PRIu64 ", marked "
		       HDR_MAYBE_DUP, bstate.pseq, bstate.seq);
		if (k >= 0)
			asg_drop(k);
		asg_add(bstate.fp, bstate.pseq);
		atomic_fetch_add(&ctr.duplicates, 1);
	}
	bstate.phase = ST_IDLE;
	return state_save(&bstate);
}

static int publish(struct js *j, const struct opts *o, struct lq *q,
		   const struct lmsg *m, const struct asg *a)
{
	char subj[512], id[64], num[32], origin[32];
	jsPubOptions po;
	jsPubAck *pa = NULL;
	jsErrCode je = 0;
	natsMsg *nm = NULL;
	natsStatus s;

	snprintf(subj, sizeof(subj), "%s.%ld", o->subject, m->type);
	snprintf(id, sizeof(id), "%016" PRIx64 "-%" PRIu64, bstate.epoch,
		 a->seq);
	snprintf(origin, sizeof(origin), "%016" PRIx64, bstate.epoch);
	s = natsMsg_Create(&nm, subj, NULL, m->text, (int)m->len);
	snprintf(num, sizeof(num), "%ld", m->type);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(nm, q->posix ? HDR_PRIO : HDR_TYPE, num);
	snprintf(num, sizeof(num), "%" PRIu64, a->seq);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(nm, HDR_SEQ, num);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(nm, HDR_ORIGIN, origin);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(nm, HDR_HOST, host);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(nm, HDR_PID, pid);
	if (s == NATS_OK && a->maybe) {
		snprintf(num, sizeof(num), "%" PRIu64, a->maybe);
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
		static time_t said;	/* a lasting error, every 10 s */
		long long now = mono_ms();

		if (o->verbose || time(NULL) >= said + 10) {
			logmsg("publish %s: %s (retrying)", id, js_err(s));
			said = time(NULL);
		}
		/* failing for 3 s: is the stream still there?  (A cluster
		 * back without it answers no publish, for ever.) */
		if (!failing)
			failing = now;
		else if (now - failing >= 3000 && now >= checked + 5000) {
			checked = now;
			js_check(j, o);	/* says what is wrong */
		}
		return -EAGAIN;
	}
	failing = 0;
	atomic_fetch_add(&ctr.acked, 1);
	if (pa->Duplicate)
		atomic_fetch_add(&ctr.duplicates, 1);
	if (o->verbose)
		logmsg("published %s as stream message %" PRIu64 "%s", id,
		       pa->Sequence, pa->Duplicate ? " (a repeat: the stream "
		       "had it)" : "");
	jsPubAck_Destroy(pa);
	return 0;
}

/* The message of assignment k was acknowledged: take it off the queue
 * if it is still the head.  0: taken or overtaken meanwhile; 2: another
 * message was received instead, in *got. */
static int take(const struct opts *o, struct lq *q, int k, struct lmsg *m,
		struct lmsg *got)
{
	struct lstat ls;
	int r;

	bstate.asg[k].acked = 1;
	if ((r = lq_peek(q, m)) < 0)
		return r;
	if (r == 0) {
		logmsg("the head vanished (is the bridge the queue's only "
		       "receiver?)");
		asg_drop(k);
		return state_save(&bstate);
	}
	if ((r = lq_stat(q, &ls)))
		return r;
	if (lmsg_fp(m) != bstate.asg[k].fp) {
		state_save(&bstate);	/* overtaken: acked, still queued */
		return 0;
	}
	bstate.phase = ST_PENDING;
	bstate.fp = bstate.asg[k].fp;
	bstate.pseq = bstate.asg[k].seq;
	bstate.qnum = ls.qnum;
	bstate.t0 = time(NULL);
	bstate.pid = bridge_pid;
	if ((r = state_save(&bstate)))
		return r;
	r = lq_recv(q, m, got);
	if (r < 0)
		return r;
	if (r == 1 && lmsg_fp(got) != bstate.fp) {
		/* The exact receive takes only what was peeked: this is a
		 * damaged queue; the message goes now, from the bridge's
		 * hands (journalled), as a message must never be lost. */
		bstate.phase = ST_IDLE;
		return 2;
	} else if (r == 1) {
		if (o->verbose)
			logmsg("message %" PRIu64 " taken off the queue",
			       bstate.pseq);
		asg_drop(k);
		atomic_fetch_add(&ctr.consumed, 1);
	} else {
		logmsg("the head vanished (is the bridge the queue's only "
		       "receiver?)");
		asg_drop(k);
	}
	bstate.phase = ST_IDLE;
	atomic_store(&ctr.lag, ls.qnum > 0 ? ls.qnum - 1 : 0);
	return state_save(&bstate) ?: r;
}

/*
 * Publish a message the bridge holds (received, not yet in the stream):
 * journalled first, so that a crash leaves it to the next bridge.  seq 0:
 * give it a sequence.  Returns 0 once the stream has it, or at a stop
 * (the journal keeps it).
 */
static int hold(const struct opts *o, struct lq *q, struct js *j,
		struct lmsg *m, uint64_t seq)
{
	struct asg a = { .fp = lmsg_fp(m), .seq = seq };
	int r;

	if (!seq) {
		/* the journal first: microseconds after the receive */
		a.seq = bstate.seq++;
		if ((r = held_save(m, a.seq)))
			return r;
		atomic_fetch_add(&ctr.consumed, 1);
	} else if (seq >= bstate.seq) {
		bstate.seq = seq + 1;	/* killed before the record below */
	}
	if (a.seq > bstate.hipub)
		bstate.hipub = a.seq;
	bstate.phase = ST_IDLE;
	if ((r = state_save(&bstate)))
		return r;
	while (publish(j, o, q, m, &a))
		if (bridge_stop)
			return 0;
		else
			nap_ms(100);
	held_drop();
	return 0;
}

int bridge_out(const struct opts *o, struct lq *q, struct js *j)
{
	struct lmsg m, got;
	struct lstat ls;
	uint64_t seq;
	int r, k;

	gethostname(host, sizeof(host) - 1);
	snprintf(pid, sizeof(pid), "%d", (int)bridge_pid);
	if ((r = lmsg_alloc(&m)) || (r = lmsg_alloc(&got)))
		return r;
	if ((r = held_load(&got, &seq)) < 0)
		goto out;
	if (r == 1) {
		logmsg("restart: publishing the held message %" PRIu64, seq);
		if ((r = hold(o, q, j, &got, seq)))
			goto out;
	}
	if (bstate.phase == ST_PENDING && (r = resolve(q, &m)))
		goto out;
	while (!bridge_stop) {
		if (!atomic_load(&ctr.connected)) {
			nap_ms(100);	/* stop draining: senders block */
			continue;
		}
		r = lq_peek_wait(q, &m, 500);
		if (r < 0)
			break;
		if (r == 0) {
			if (lq_stat(q, &ls) == 0)
				atomic_store(&ctr.lag, ls.qnum);
			continue;
		}
		if ((k = asg_find(lmsg_fp(&m))) < 0)
			k = asg_add(lmsg_fp(&m), 0);
		if ((r = ready(k)))
			break;
		if (!bstate.asg[k].acked && publish(j, o, q, &m,
						    &bstate.asg[k])) {
			nap_ms(100);
			continue;
		}
		if ((r = take(o, q, k, &m, &got)) < 0)
			break;
		if (r == 2 && (r = hold(o, q, j, &got, 0)))
			break;
		r = 0;
	}
out:
	lmsg_free(&m);
	lmsg_free(&got);
	return r < 0 ? r : 0;
}
