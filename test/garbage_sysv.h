/* SPDX-License-Identifier: MIT */
/*
 * garbage_sysv.h - shared memory is untrusted (DESIGN.md §6), System V
 * queues: the rounds of sysv_garbage_*.c (store, ns, ctl, entries).
 * Garbage in any file of a namespace gives a clean error (EUCLEAN for a
 * damaged store or registry that cannot be repaired, EPROTO for another
 * layout version) or a repaired queue - never a crash, never a hang.
 *
 * A damaged queue is then used: msgsnd and msgrcv with IPC_NOWAIT,
 * IPC_STAT, MSG_INFO, IPC_RMID (use).  Each call must succeed or fail
 * with a clean errno.  After garbage in what is derived the queue must
 * also be repaired: drained to empty, its counters zero, and a new
 * message must go through (repaired).
 *
 * Random corruption runs as numbered rounds, each in a process of its
 * own with a deadline (garbage.h), so a crash or a hang is counted
 * against its seed and the other rounds still run.  UMQ_T_SEED=n runs
 * round n alone and shows what it did.
 */
#ifndef T_GARBAGE_SYSV_H
#define T_GARBAGE_SYSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "garbage.h"
#include "internal.h"
#include "qfile.h"

#define ROUND_MS 3000		/* a round's alarm */

/* garbage_rounds() of fn, n rounds under ROUND_MS each. */
void rounds(const char *name, uint32_t n, void (*fn)(uint32_t));
/* fn(arg) in a child that an alarm ends after 5 s: its wait status, that
 * of a SIGKILL if it still ran 8 s later. */
int bounded_child(void (*fn)(void *), void *arg);

/* ---- messages: each one's text is a pattern of its type ----------------- */

#define TXT_MAX 8192
#define GUARD 64

struct tmsg {
	long mtype;
	unsigned char text[TXT_MAX];
	unsigned char guard[GUARD];
};

/* A message of type and len bytes in m: len. */
size_t mk(struct tmsg *m, long type, size_t len);
/* msgrcv gave n bytes in m: the message mk(type, len) made, intact. */
bool intact(const struct tmsg *m, ssize_t n, long type, size_t len);
/* e is an errno a call on a damaged namespace may give. */
bool clean_errno(int e);
/* A call's result: success, or -1 with a clean errno.  Else the round
 * fails.  Returns the errno (0 on success). */
int judge(long r, const char *call);

/* ---- a round's queue ----------------------------------------------------- */

/* n messages of random types and sizes; every send must succeed. */
void populate(int qid, int n);
/* n messages received, so the free lists hold chunks. */
void take_some(int qid, int n);
/* The bounded set of calls every round makes on the damaged queue. */
void use(int qid);
/* The queue drains to empty with its counters at zero, and a new message
 * goes through intact. */
void repaired(int qid);
void rmid(int qid);
/* Half the seeds look through a fresh mapping of everything. */
void fresh_view(uint32_t seed);
/* A new private queue (or the round fails): its id. */
int new_queue(void);

/* ---- calls in a child, the namespace's hints --------------------------- */

/* What msgsnd (and msgrcv) on a queue gave, in a child (verdict_calls). */
struct verdict {
	int qid;
	bool fresh;		/* through a fresh view of the namespace */
	bool rcv_too;		/* msgrcv after the msgsnd */
	long snd, rcv;
	int snd_err, rcv_err;
};

/* In a child: msgsnd (and msgrcv) on the queue, the results in arg, a
 * struct verdict. */
void verdict_calls(void *arg);

/* The namespace's hints file "ns" (layout.h, H_*). */
void hints_path(char *path, size_t n);
/* Word which of the hints file = v. */
void hint_put(int which, int32_t v);

#endif
