/* SPDX-License-Identifier: MIT */
/*
 * js.c - the NATS side: one connection that reconnects for ever (the
 * callbacks keep `connected` and `reconnects_total`), the stream
 * (created with work-queue retention and file storage, or checked), and
 * for the in side a durable pull consumer with explicit acks.  Every step
 * that needs the cluster returns -EAGAIN while it cannot answer, and the
 * caller tries again: a bridge never gives up on an outage.  js_check()
 * makes the stream or consumer again when a cluster lost them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge.h"

const char *js_err(natsStatus s)
{
	const char *t = nats_GetLastError(NULL);

	return t && *t ? t : natsStatus_GetText(s);
}

/* A lasting failure is said once every 10 s, not at every retry. */
static bool say(time_t *last, const struct opts *o)
{
	time_t now = time(NULL);

	if (!o->verbose && now < *last + 10)
		return false;
	*last = now;
	return true;
}

static void on_disconnected(natsConnection *nc, void *arg)
{
	atomic_store(&ctr.connected, 0);
	logmsg("disconnected from the cluster: waiting for it");
}

static void on_reconnected(natsConnection *nc, void *arg)
{
	char url[256] = "";

	natsConnection_GetConnectedUrl(nc, url, sizeof(url));
	atomic_fetch_add(&ctr.reconnects, 1);
	atomic_store(&ctr.connected, 1);
	logmsg("reconnected to %s", url);
}

static void on_connected(natsConnection *nc, void *arg)
{
	atomic_store(&ctr.connected, 1);
}

int js_start(struct js *j, const struct opts *o)
{
	char *urls = strdup(o->servers), *save = NULL, *u;
	const char *list[64];
	int n = 0;
	natsOptions *no = NULL;
	natsStatus s;
	jsOptions jo;

	memset(j, 0, sizeof(*j));
	if (!urls)
		return -ENOMEM;
	for (u = strtok_r(urls, ",", &save); u && n < 64;
	     u = strtok_r(NULL, ",", &save))
		list[n++] = u;
	s = natsOptions_Create(&no);
	if (s == NATS_OK)
		s = natsOptions_SetServers(no, list, n);
	if (s == NATS_OK)
		s = natsOptions_SetName(no, o->name);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(no, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(no, 200);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(no, 2000);
	if (s == NATS_OK)	/* a dead server is noticed within seconds */
		s = natsOptions_SetPingInterval(no, 1000);
	if (s == NATS_OK)
		s = natsOptions_SetMaxPingsOut(no, 3);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(no, on_disconnected, NULL);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(no, on_reconnected, NULL);
	if (s == NATS_OK)	/* start even while the cluster is down */
		s = natsOptions_SetRetryOnFailedConnect(no, true,
							on_connected, NULL);
	if (s == NATS_OK) {
		s = natsConnection_Connect(&j->nc, no);
		if (s == NATS_NOT_YET_CONNECTED)
			s = NATS_OK;
		else if (s == NATS_OK)
			atomic_store(&ctr.connected, 1);
	}
	natsOptions_Destroy(no);
	free(urls);
	if (s != NATS_OK) {
		logmsg("cannot connect to %s: %s", o->servers, js_err(s));
		return -EIO;
	}
	jsOptions_Init(&jo);
	jo.Wait = 3000;
	s = natsConnection_JetStream(&j->js, j->nc, &jo);
	if (s != NATS_OK) {
		logmsg("JetStream: %s", js_err(s));
		return -EIO;
	}
	return 0;
}

void js_stop(struct js *j)
{
	if (j->sub)
		natsSubscription_Destroy(j->sub);
	if (j->js)
		jsCtx_Destroy(j->js);
	if (j->nc) {
		natsConnection_Close(j->nc);
		natsConnection_Destroy(j->nc);
	}
	memset(j, 0, sizeof(*j));
}

static const char *retention(jsRetentionPolicy r)
{
	return r == js_WorkQueuePolicy ? "work-queue" :
	       r == js_InterestPolicy ? "interest" : "limits";
}

int js_stream(struct js *j, const struct opts *o)
{
	char subj[512];
	const char *subjects[1] = { subj };
	jsStreamInfo *si = NULL;
	jsStreamConfig sc;
	jsErrCode je = 0;
	natsStatus s;
	int r = 0;

	snprintf(subj, sizeof(subj), "%s.>", o->subject);
	s = js_GetStreamInfo(&si, j->js, o->stream, NULL, &je);
	if (s == NATS_OK) {
		jsStreamConfig *c = si->Config;
		bool covers = false;

		for (int i = 0; i < c->SubjectsLen; i++)
			if (!strcmp(c->Subjects[i], subj) ||
			    !strcmp(c->Subjects[i], ">"))
				covers = true;
		logmsg("stream %s exists: %s, %s storage, %d replica(s), "
		       "duplicate window %llds", o->stream,
		       retention(c->Retention),
		       c->Storage == js_FileStorage ? "file" : "memory",
		       (int)c->Replicas,
		       (long long)(c->Duplicates / 1000000000LL));
		if (!covers) {
			logmsg("stream %s does not take subject %s",
			       o->stream, subj);
			r = -EINVAL;
		} else if (c->Retention != js_WorkQueuePolicy) {
			logmsg("stream %s: retention is %s, not work-queue",
			       o->stream, retention(c->Retention));
			r = -EINVAL;
		} else if (c->Replicas != o->replicas) {
			logmsg("stream %s has %d replica(s), not %d: kept",
			       o->stream, (int)c->Replicas, o->replicas);
		}
		jsStreamInfo_Destroy(si);
		return r;
	}
	if (s != NATS_NOT_FOUND && je != JSStreamNotFoundErr) {
		static time_t said;

		if (say(&said, o))
			logmsg("stream %s: %s (retrying)", o->stream,
			       js_err(s));
		return -EAGAIN;
	}
	jsStreamConfig_Init(&sc);
	sc.Name = o->stream;
	sc.Subjects = subjects;
	sc.SubjectsLen = 1;
	sc.Retention = js_WorkQueuePolicy;
	sc.Storage = js_FileStorage;
	sc.Replicas = o->replicas;
	sc.Duplicates = o->dup_window_s * 1000000000LL;
	s = js_AddStream(&si, j->js, &sc, NULL, &je);
	if (s != NATS_OK) {
		if (je == JSStreamNameExistErr) /* the other side was first */
			return js_stream(j, o);
		static time_t said;

		if (say(&said, o))
			logmsg("cannot create stream %s: %s (retrying)",
			       o->stream, js_err(s));
		return -EAGAIN;
	}
	logmsg("stream %s created: subjects %s, work-queue, file storage, "
	       "%d replica(s), duplicate window %llds", o->stream, subj,
	       o->replicas, (long long)o->dup_window_s);
	jsStreamInfo_Destroy(si);
	return 0;
}

int js_consumer(struct js *j, const struct opts *o)
{
	static time_t said;
	char subj[512], *durable = j->durable;
	jsSubOptions so;
	jsErrCode je = 0;
	natsStatus s;

	snprintf(subj, sizeof(subj), "%s.>", o->subject);
	snprintf(durable, sizeof(j->durable), "%s", o->name);
	for (char *p = durable; *p; p++)
		if (*p == '.' || *p == '*' || *p == '>' || *p == ' ')
			*p = '_';
	s = js_DeleteConsumer(j->js, o->stream, durable, NULL, &je);
	if (s == NATS_OK)
		logmsg("consumer %s replaced: unacknowledged messages come "
		       "again now, in order", durable);
	else if (s != NATS_NOT_FOUND && je != JSConsumerNotFoundErr) {
		if (say(&said, o))
			logmsg("consumer %s: %s (retrying)", durable,
			       js_err(s));
		return -EAGAIN;
	}
	jsSubOptions_Init(&so);
	so.Stream = o->stream;
	so.Config.AckPolicy = js_AckExplicit;
	so.Config.AckWait = 30 * 1000000000LL;
	so.Config.DeliverPolicy = js_DeliverAll;
	so.Config.MaxAckPending = o->batch * 4;
	s = js_PullSubscribe(&j->sub, j->js, subj, durable, NULL, &so, &je);
	if (s != NATS_OK) {
		if (say(&said, o))
			logmsg("consumer %s: %s (retrying)", durable,
			       js_err(s));
		return -EAGAIN;
	}
	logmsg("durable pull consumer %s on %s, explicit acks", durable,
	       subj);
	j->cseq = 0;
	return 0;
}

/*
 * Are the stream and (in) the consumer still there?  A cluster can come
 * back from an outage without them (restarted without its store, or
 * recreated), and then a publish finds no responder and a fetch only
 * times out, for ever: make them again, as at start.  0, or -EAGAIN while
 * the cluster cannot say; in: the consumer's lag into ctr.
 */
int js_check(struct js *j, const struct opts *o)
{
	jsConsumerInfo *ci = NULL;
	jsStreamInfo *si = NULL;
	jsErrCode je = 0;
	jsOptions jo;
	natsStatus s;
	int r;

	jsOptions_Init(&jo);
	jo.Wait = 1000;
	if (o->dir == DIR_OUT) {
		s = js_GetStreamInfo(&si, j->js, o->stream, &jo, &je);
		if (s == NATS_OK)
			jsStreamInfo_Destroy(si);
		if (s == NATS_OK || je != JSStreamNotFoundErr)
			return s == NATS_OK ? 0 : -EAGAIN;
		logmsg("stream %s is gone: making it again", o->stream);
		return js_stream(j, o);
	}
	s = js_GetConsumerInfo(&ci, j->js, o->stream, j->durable, &jo, &je);
	if (s == NATS_OK) {
		atomic_store(&ctr.lag, (long long)(ci->NumPending +
						   ci->NumAckPending));
		jsConsumerInfo_Destroy(ci);
		/* no subscription: the consumer is to be made afresh */
		return j->sub ? 0 : js_consumer(j, o);
	}
	if (je != JSConsumerNotFoundErr && je != JSStreamNotFoundErr)
		return -EAGAIN;
	logmsg("%s %s is gone: making it again",
	       je == JSStreamNotFoundErr ? "stream" : "consumer",
	       je == JSStreamNotFoundErr ? o->stream : j->durable);
	if (je == JSStreamNotFoundErr && (r = js_stream(j, o)))
		return r;
	natsSubscription_Destroy(j->sub);
	j->sub = NULL;
	return js_consumer(j, o);
}
