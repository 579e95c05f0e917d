/* SPDX-License-Identifier: MIT */
/*
 * garbage_mq.h - shared memory is untrusted (DESIGN.md §6), POSIX queues:
 * the rounds of posix_garbage_*.c (ctl, store, wait, files).  Garbage in
 * any file a queue's user can write gives a clean error (EUCLEAN for
 * damage that cannot be repaired, EPROTO for another layout version, or
 * the kernel's errnos) or a repaired queue - never a crash, never a hang,
 * and a message that comes out is one that was sent, intact, unless the
 * damage was in its own text.
 *
 * The files of a queue (layout.h): posix/<gen> (struct pqctl, the waiter
 * pool from PQ_WPOOL_OFF, the store from PQ_STORE_OFF), its FIFO
 * posix/<gen>.p, its name names/<name>.  Each round makes a queue with
 * messages in a process that then exits (round_queue), damages the files
 * through a mapping of its own (qmap_of) or replaces, truncates or
 * extends them, and then uses the queue from a process that never mapped
 * it (use): mq_open, sends and receives (O_NONBLOCK, and timed with short
 * timeouts on a blocking descriptor), mq_getattr, mq_setattr, mq_notify,
 * umq_mq_peek, poll, mq_close, mq_unlink, umq_mq_stat and a listing, and
 * a new queue beside the damaged one (finish).  Every round is a process
 * of its own under an alarm (garbage.h), so a crash or a hang is counted
 * against its seed.  UMQ_T_SEED=n runs round n alone and shows what it
 * did.
 *
 * Every message's text says which one it is, so whatever comes out is
 * checked against what was sent (unless the damage was in the chunks,
 * where nothing can tell); after damage to what is derived (counters,
 * wait lists, free records, indexes) every message sent comes out, once
 * (repaired).  mq_getattr must say what a queue can be.
 *
 * Truncating a file that a process has mapped makes that process's next
 * access SIGBUS (DESIGN §6 "Residual"): files are truncated here only
 * while no process maps them, which the library must check before it
 * maps them.
 */
#ifndef T_GARBAGE_MQ_H
#define T_GARBAGE_MQ_H

#include <mqueue.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "garbage.h"
#include "garbage_store.h"
#include "internal.h"

#define ROUND_S 10		/* a round's alarm */
#define QNAME "/g"		/* the round's queue */
#define MAXMSG 8		/* its mq_maxmsg */

/* rounds() of fn, and scene()s, with the namespace's POSIX queues wiped
 * before each. */
void rounds(const char *name, uint32_t n, void (*fn)(uint32_t));
void scene(const char *what, void (*fn)(const void *), const void *arg);
extern unsigned scene_s;	/* a scene's alarm, ROUND_S unless set */

/* ---- messages: each one says who it is ----------------------------------- */

/*
 * A message's text: a mark, its number in the round's table, its
 * priority's low byte, then a pattern of the number.  Every message sent
 * is in the table (shared with the processes of the round), so any
 * message that comes out is checked against what was sent.
 */
#define MSG_MARK 0xa7
#define SENT_MAX 250
#define RBUF 16384
#define GUARD 64

struct sent {
	int n;
	bool text_damaged;	/* the round wrote into message text */
	bool lossless;		/* the damage loses no message */
	struct { uint32_t prio, len; } m[SENT_MAX];
	uint8_t queued[SENT_MAX];	/* its send succeeded */
};

extern struct sent *SENT;
extern uint8_t *OUT;		/* per message id: times it came out */

/* A new message of len >= 4 bytes at priority prio, in buf: its id. */
int mk(char *buf, uint32_t prio, uint32_t len);
/* A message that came out (n bytes, priority prio) is one that was sent,
 * intact: its id, or -1. */
int which(const char *buf, ssize_t n, unsigned prio);
/* A message received: intact, unless its text may have been damaged. */
void check_msg(const char *buf, ssize_t n, unsigned prio, const char *call);
/* The same, and counted out: a message that comes out twice fails. */
void count_out(const char *buf, ssize_t n, unsigned prio, const char *call);
/* A call's result: success, or -1 with a clean errno.  Else the round
 * fails.  Returns the errno (0 on success). */
int judge(long r, const char *call);

/* ---- the files ----------------------------------------------------------- */

/* path = the namespace's directory / name. */
void ns_path(char *path, size_t n, const char *name);
/* The generation names/<name> points to (name without '/'), 0 if none. */
uint64_t gen_of(const char *name);
/* posix/<gen><sfx>. */
void data_path(char *path, size_t n, uint64_t gen, const char *sfx);

/* A queue's data file, mapped whole. */
struct qmap {
	uint8_t *base;
	size_t size;
	struct pqctl *c;
	uint64_t *bitmap;
	struct waiter *rec;
	struct store_view sv;	/* the store, from PQ_STORE_OFF */
};

void qmap_of(uint64_t gen, struct qmap *q);
void qmap_unmap(struct qmap *q);

/* ---- a round's queue ----------------------------------------------------- */

struct setup {
	long msgsize;
	int nsend, ntake;
};

extern struct setup SU;

/* A round's queue QNAME with nsend messages sent and ntake taken, made by
 * a process that is gone: its generation.  Seeds the generator. */
uint64_t round_queue(uint32_t seed, uint32_t salt, int nsend, int ntake);
/* A priority: mostly small, sometimes up to 32767. */
uint32_t some_prio(void);
/* Fork fn(arg) and wait for it (bounded by the round's alarm): a failed
 * check there fails the round. */
void in_child(void (*fn)(void *), void *arg);
/* A process that holds the queue open (so that its FIFO keeps what is
 * written into it), until killed. */
pid_t holder(void);

/* ---- the calls (garbage_mq_use.c) ---------------------------------------- */

/* Receive into buf (RBUF + GUARD bytes), sz at most, timed if ts: judged,
 * checked and counted out.  Its result. */
ssize_t recv_one(mqd_t d, char *buf, size_t sz, const char *call,
		 const struct timespec *ts);
/* Send a new message, timed if ts; judged. */
void send_one(mqd_t d, const struct timespec *ts, const char *call);
/* CLOCK_REALTIME ms from now. */
struct timespec soon(int ms);
/* The queue could not be opened: what else a user would try. */
void refused(void);
/* The bounded set of calls every round makes on the damaged queue:
 * whether the queue could be opened. */
bool use(void);
/* The queue drains to empty, every message sent comes out (if the damage
 * was lossless), and a new message goes through. */
void repaired(void);
/* The end of every round: the name goes, and a new queue works. */
void finish(void);
/*
 * mq_open of QNAME from this process: with err, it must fail with err
 * (or alt, if not 0) - "mq_open of a queue whose <what>"; without, it
 * must succeed (and the descriptor is closed).
 */
void expect_open(const char *what, int err, int alt);

/* ---- damage shared by several programs (garbage_mq_damage.c) ------------- */

/*
 * The identity of a header (the control block's or the store's): bytes
 * written at off; a fresh process's mq_open then fails with err.
 */
struct ident {
	size_t off;
	uint8_t bytes[16];
	size_t n;
	int err;
	const char *what;
};

/* A waiter record's index: NIL, small, around the pool, or anything. */
uint32_t plausible_rec(void);
/*
 * Fields of the control block a user of the queue can write.  Returns
 * whether what was damaged is derived (counters, lists, readiness,
 * registration) and so repairable.
 */
bool damage_field(struct pqctl *c);

#endif
