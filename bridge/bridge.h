/* SPDX-License-Identifier: MIT */
/*
 * bridge.h - `umq bridge`: relays a local umq queue to and from a NATS
 * JetStream stream (DESIGN.md §12).  Built on the public umq API and
 * libnats only; one concern per file:
 *
 *   local.c   the local queue (System V by key or id, POSIX by name):
 *             wait, peek the head, receive it, send, stats
 *   state.c   the persisted sequence (two slots, flock: one bridge a name)
 *   status.c  <namespace>/bridges/<name>, rewritten once a second
 *   js.c      connection, reconnect counting, the stream and consumer
 *   out.c     local queue -> JetStream, in.c  JetStream -> local queue
 *   main.c    options, signals
 */
#ifndef UMQ_BRIDGE_H
#define UMQ_BRIDGE_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <nats/nats.h>

#include "umq.h"

/* Headers of a bridged message (DESIGN.md §12, umq(1)). */
#define HDR_TYPE	"Umq-Type"	/* System V mtype */
#define HDR_PRIO	"Umq-Priority"	/* POSIX priority */
#define HDR_ORIGIN	"Umq-Origin"	/* the out bridge's epoch (hex) */
#define HDR_SEQ		"Umq-Seq"	/* its per-queue sequence */
#define HDR_MAYBE_DUP	"Umq-Maybe-Dup"	/* may repeat the message of this seq */
#define HDR_HOST	"Umq-Host"
#define HDR_PID		"Umq-Pid"

#define MSG_MAX		(1 << 20)	/* largest text relayed */

enum dir { DIR_OUT, DIR_IN };

struct opts {
	enum dir dir;
	const char *ns;			/* --dir, else $UMQ_DIR, else default */
	const char *queue;		/* as given: id, /NAME; or key */
	bool by_key;			/* --key */
	bool create;			/* --create: make the local queue */
	const char *servers;		/* comma-separated nats:// URLs */
	const char *stream;
	const char *subject;		/* base: messages go to <subject>.<type> */
	const char *name;		/* status/state file name */
	int replicas;
	int64_t dup_window_s;
	int batch;			/* in: fetch size */
	bool verbose;
};

/* Counters of the status file; written by one thread, read by another. */
struct counters {
	atomic_ullong published, acked, consumed, delivered, redelivered,
		duplicates, reconnects;
	atomic_llong lag;
	atomic_int connected;
};

extern volatile sig_atomic_t bridge_stop;
extern pid_t bridge_pid;		/* getpid(), a system call, once */
extern struct counters ctr;

void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* CLOCK_MONOTONIC in milliseconds */
long long mono_ms(void);
void nap_ms(int ms);

/* ---- local.c ---- */
struct lq {
	bool posix;
	int id;				/* System V */
	mqd_t mqd;			/* POSIX */
	long msgsize;			/* POSIX mq_msgsize, else MSG_MAX */
	char label[300];		/* "key 0x..", "id N", "/name" */
};

struct lmsg {
	long type;			/* mtype, or priority */
	unsigned long long id;		/* lq_peek's: which message it is */
	size_t len;
	char *text;			/* MSG_MAX bytes (+ a long in front) */
	char *buf;
};

/* Is a message with this fingerprint queued (POSIX: anywhere)?  1, 0,
 * -errno. */
int lq_holds(struct lq *q, uint64_t fp, struct lmsg *tmp);
/* Queue statistics used to tell, after a crash, whether a receive or a
 * send happened; what the API cannot say is -1. */
struct lstat {
	long qnum;
	pid_t lrpid, lspid;
	long long rtime, stime;
};

int lq_open(struct lq *q, const struct opts *o, bool for_send);
void lq_close(struct lq *q);
int lmsg_alloc(struct lmsg *m);
void lmsg_free(struct lmsg *m);
/* The head without removing it: 1, 0 when empty, -errno. */
int lq_peek(struct lq *q, struct lmsg *m);
/* The same, waiting up to ms for a head (a blocking peek, woken by the
 * send): 0 when there is none by then or a signal came. */
int lq_peek_wait(struct lq *q, struct lmsg *m, int ms);
/* Remove the message lq_peek put in seen (by its id), into m: 1, 0 when
 * it is gone, -errno.  A message sent meanwhile, even of a higher
 * priority, is never taken in its place. */
int lq_recv(struct lq *q, const struct lmsg *seen, struct lmsg *m);
/* Send, waiting at most ms for room: 0, -EAGAIN on timeout, -errno. */
int lq_send(struct lq *q, const struct lmsg *m, int ms);
int lq_stat(struct lq *q, struct lstat *st);
uint64_t lmsg_fp(const struct lmsg *m);

/* ---- state.c: the per-bridge record that survives a crash ---- */
enum { ST_IDLE, ST_PENDING };
#define NASG 32
struct state {
	uint64_t epoch;			/* random, made with the file */
	uint64_t seq;			/* out: the next sequence to assign;
					 * in: last delivered origin sequence */
	uint64_t origin;		/* in: that sequence's origin epoch */
	uint32_t phase;			/* ST_PENDING: between check and commit */
	uint64_t porigin, pseq;		/* the message being received/sent */
	uint64_t fp;			/* out: its fingerprint */
	long long qnum, t0;		/* queue's qnum, time before the step */
	int32_t pid;			/* the bridge that wrote it */
	/* out: sequences given to queued messages, by fingerprint, before
	 * they are first published; a POSIX head can be overtaken by a
	 * higher priority and come back later, and must then go again
	 * under the same id (or not at all once acked). */
	uint32_t nasg;
	struct asg {
		uint64_t fp, seq;
		uint64_t maybe;		/* may repeat this sequence */
		uint32_t acked;
		uint32_t tried;		/* published, maybe stored */
	} asg[NASG];
	/* out: the highest sequence published: the stream must see them in
	 * order (the in side delivers late what comes out of it, and drops
	 * only exact repeats, within its window) */
	uint64_t hipub;
	/* in: bit i set when sequence seq - 1 - i of that origin was
	 * delivered: a lower sequence that comes late is told from a
	 * repeat */
	uint64_t below;
};

/* <namespace>/bridges into buf, made mode 1777 if missing by root or
 * the namespace's owner: -EPERM (said) if missing for another user, or
 * unless root, the namespace's owner or this user owns it. */
int bridges_dir(char *buf, size_t n);
/* Open (create) <ns>/bridges/.<name>.state, locked: -EBUSY when another
 * bridge holds it, -EPERM (said) when it or bridges/ is not to be
 * trusted. */
int state_open(const char *name, struct state *st);
int state_save(const struct state *st);
/* out: the message held between a receive and its publish, in the
 * state file. */
int held_save(const struct lmsg *m, uint64_t seq);
int held_load(struct lmsg *m, uint64_t *seq);
void held_drop(void);
/* The running bridge's, opened by main() before anything shows it. */
extern struct state bstate;

/* ---- status.c ---- */
int status_start(const struct opts *o, const char *queue_label);
void status_stop(void);

/* ---- js.c ---- */
struct js {
	natsConnection *nc;
	jsCtx *js;
	natsSubscription *sub;
	char durable[256];		/* in: the consumer's name */
	uint64_t cseq;			/* in: its last delivery's sequence */
};
int js_start(struct js *j, const struct opts *o);
/* Create or check the stream, saying what it did (stderr). */
int js_stream(struct js *j, const struct opts *o);
/* A fresh durable pull consumer <name> (replaces a stale one, so that
 * unacknowledged messages come again at once and in order). */
int js_consumer(struct js *j, const struct opts *o);
/* The stream (out) or the consumer (in) still there, else made again:
 * after an outage that lost them.  0, -EAGAIN, -errno. */
int js_check(struct js *j, const struct opts *o);
void js_stop(struct js *j);
const char *js_err(natsStatus s);

/* ---- the two directions ---- */
int bridge_out(const struct opts *o, struct lq *q, struct js *j);
int bridge_in(const struct opts *o, struct lq *q, struct js *j);

#endif
