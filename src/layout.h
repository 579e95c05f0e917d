/* SPDX-License-Identifier: MIT */
/*
 * layout.h - everything umq keeps in shared memory, and the rules for
 * touching it.
 *
 * Checklist: any change to a structure in this file changes its size or
 * meaning for processes that map the same files, so it must bump
 * UMQ_LAYOUT_VERSION.  Files of another version are refused (EPROTO).
 *
 * A namespace directory (sticky, like /tmp) holds:
 *   limits       the namespace's limits and its layout version.  Owned by
 *                the namespace owner, mode 0644: the OS lets only the
 *                owner change them.  Its version decides EPROTO.
 *   ns           hints every user may write (mode 0666): the id
 *                allocator's cursor and counts of queues.  Nothing in it
 *                is believed: a value out of range is reset, a count that
 *                would refuse a creation is recounted from the directories.
 *   sysv/        sticky, the namespace owner's.  The registry of System V
 *                queues, one file or symlink per fact, each owned by the
 *                user who made it, so that the OS lets no one else remove
 *                or replace it:
 *     i.<idx>      symlink -> "<gen>": index idx is taken by generation gen
 *     k.<key>[~n]  symlink -> "<gen>": key (8 hex digits) names gen; ~n
 *                  when an earlier entry is stale and not ours to remove
 *     q.<gen>      the queue's control block (struct qfile): lock, ipc_perm,
 *                  msqid_ds, wait lists.  Mode: the envelope of the
 *                  queue's permissions (envelope.c: modes, or an ACL
 *                  once an owner or group was handed over), plus read
 *                  for all (MSG_STAT_ANY)
 *     m.<gen>      its waiter records (struct waiter, WPOOL_SIZE bytes),
 *                  its lane's ring (LANE_SIZE), then its message store.
 *                  Mode: the envelope
 *     m.<gen>.p    the FIFO of umq_msgfd() descriptors (ready.c)
 *     s.<gen>.<uid>  an IPC_SET uid could not apply to the files, for
 *                  the agent's start (envelope.c, agent/sync.c)
 *   agent        the socket of the namespace's agent, if one runs (agent/)
 *   names/, posix/  POSIX queues (posix.c): posix/<gen> holds the control
 *                block, the waiter records and the store.
 *
 * A generation is a random 64-bit number, never 0: files are created with
 * O_EXCL, so no one can make a queue's file in advance.  A file's owner is
 * the OS's word for who created it: the creator's uid in a control block
 * is believed only if it is the file's owner.
 *
 * Everything read from these files is untrusted: an index is checked
 * against the mapped size before use, a list is followed for at most as
 * many steps as there are chunks, and a failed check is reported as
 * EUCLEAN after an attempt to rebuild the store (store.c).
 *
 * ---------------------------------------------------------------------
 * LOCKING AND MEMORY ORDERING
 *
 * L1. There is no namespace-wide lock.  The registry is the directory
 *     sysv/: an entry is made by symlink() (exclusive: of two racing
 *     makers one wins) and removed by unlink(); a queue is LIVE from the
 *     store of SLOT_LIVE into its control block until the store of
 *     SLOT_REMOVED, both under its lock.  Entries are made after the
 *     control block (idx entry, then LIVE, then key entry: the commit)
 *     and removed after SLOT_REMOVED, so an entry that leads to a block
 *     that is not LIVE, or that names another key or index, is stale and
 *     means nothing.  A creation holds an OFD write lock on its m.<gen>
 *     from before q.<gen> exists until it is done or undone; a block
 *     that is not LIVE and whose m.<gen> nobody locks was left by a
 *     crash, and reg_sweep() collects it (the lock is looked at first:
 *     once the maker let go, the state is final).
 * L2. A queue lock (qctl.lock) protects everything of its queue: the
 *     qctl fields, the whole message store, and the wait lists with the
 *     records linked on them.  Never two queue locks.
 * L3. A queue lock is a robust process-shared lock (L11).  The thread
 *     that gets "owner died" repairs before anything else
 *     (store_rebuild() and a wait-list rebuild), then marks the lock
 *     mended; a holder that unlocks without mending leaves it "owner
 *     died" for the next taker.  So every update under a lock needs only
 *     to be safe against being cut short at any instruction: the state it
 *     leaves must be repairable from the authoritative fields alone
 *     (message chunk states and sequence numbers, waiter records).  All
 *     other fields are derived and are rebuilt.
 * L4. A process-local view of a store (struct qview) is read and replaced
 *     only under that queue's lock and the view's guard (guard_enter(),
 *     lock.c): the lock makes the mapping's base and size as stable as
 *     the store itself, and the guard, in process memory, keeps a second
 *     thread of the process out even when the lock's word was forged
 *     free under the first.
 * L5. A waiter record is owned by the thread that allocated it, which
 *     holds its robust "alive" mutex for the record's whole life.  Another
 *     thread may unlink a record from a wait list and post a result into
 *     it only under the queue lock; a lock_try() of "alive" that finds
 *     it "owner died" proves the owner died.  Any other word counts as
 *     alive: a garbage word is no proof of death, and taking the record
 *     from a live owner would leave it asleep forever.  A walker of a
 *     wait list reads the word instead (no lock operation, L6): a live
 *     owner's has its thread id; one with none (0: held by nobody, or
 *     FUTEX_OWNER_DIED alone: a dead owner's) waits for nothing.
 * L6. Posting a result, under the queue lock: the poster arms its
 *     thread's robust-list pending entry on the record's futex word
 *     (pend_set), writes result, msg, len and mtype (a hand-off first
 *     marks the message in flight for the record), stores the word with
 *     release order, issues FUTEX_WAKE, and disarms; the waiter reads
 *     the word with acquire order before those fields.  While armed, the
 *     poster's death at any instant makes the kernel wake the sleeper
 *     (exit_robust_list wakes a waiter of a pending word that has no
 *     owner bits, and no waiter state has any).  glibc uses the same
 *     entry in its robust mutex operations: none between arming and
 *     disarming, so walkers read "alive" words (L5).  A change that lets
 *     sleepers go on before any is posted (room made by a receive,
 *     IPC_SET) is made armed on the first live sleeper (wl_arm), which
 *     the first post or pend_clear disarms: from the change on, the
 *     holder's death wakes a sleeper, and a woken sleeper takes the lock.
 *     A sleeper woken with its word still W_WAITING takes the queue lock
 *     and re-evaluates, keeping its place in line; the repair after a
 *     holder's death (L3) wakes every record of the queue, relinks those
 *     still waiting, and completes a hand-off whose sender died before
 *     posting it (keep_inflight).
 * L7. No lost wake-up: a waiter sleeps with FUTEX_WAIT on the value it
 *     read under the queue lock (W_WAITING); a post that happened after
 *     the unlock changes the word, so the wait returns at once.  A sleep
 *     is one wait, to the caller's deadline: nothing wakes a sleeper but
 *     a post, a signal, its deadline, or a waker's death.
 * L8. Waiter pool allocation is lock-free: claim a record by trylocking
 *     "alive", then set its bit (CAS); free by clearing the bit, then
 *     unlocking.  A record's mutex is set up by its first claimer (inited
 *     0 -> 1 by CAS, then 2), so a namespace touches only the records it
 *     uses; one whose claimer died mid-setup stays unused.  A record
 *     whose bit is set while "alive" is free or dead and which is on no
 *     list is reclaimed by whoever finds it.
 * L9. state, seq, key and the ipc_perm are read without the lock by
 *     lookups (msgget, MSG_STAT_ANY, listings), with acquire loads, and
 *     a stale answer is accepted as the kernel's readers accept one from
 *     a queue removed just after they looked; every operation on a queue
 *     checks state again under the lock.
 * L11. A lock is the bytes of a pthread_mutex_t used by lock.c, not by
 *     glibc: __lock is the futex word (0, or the holder's thread id with
 *     FUTEX_WAITERS, or FUTEX_OWNER_DIED: the kernel's robust-futex
 *     protocol, so a dying holder's locks are marked by the kernel);
 *     __count is the holder's check, a hash of its namespace tag, thread
 *     id and thread start time, written with the word by one 64-bit
 *     compare-and-swap and cleared with it at unlock; __list links the
 *     lock on the holder's robust list and is read by nobody else.  The
 *     other bytes are unused.  Beside the lock (lock_ns), the taker then
 *     writes its namespace tag: pid and time namespaces, 0 if /proc
 *     cannot check thread ids here.  A waiter trusts no value: a word
 *     with waiters and no owner, an id above the kernel's limit, or its
 *     own id and check on a lock it does not hold is reset at once; a
 *     holder whose word stays put is looked at every 250 ms in /proc,
 *     and a word that fails the check twice (a thread that does not
 *     exist or exited, or whose start time does not give the check) is
 *     reset; one it cannot check (another tag, no /proc, hidden) is
 *     reset after 10 s.  A holder
 *     that checks out must map the lock's file: its maps, or the agent
 *     when they are another user's (holder.c), showing that it does not
 *     is a failed check too; another user's in a removed queue (no name
 *     for the agent) cannot be checked.  A
 *     reset is a compare-and-swap of the word and check from the exact
 *     pair judged to FUTEX_OWNER_DIED: of two judges one wins, a new
 *     holder is never robbed, and the next taker repairs (L3).  A holder
 *     that checks out (or cannot be shown not to map the file) is waited
 *     for as long as it holds, even stopped.
 * L10. qctl.events is a hint, written under the queue lock and read
 *     without it by a caller spinning before it sleeps: a change only
 *     sends the spinner back to retry under the lock, and a missed change
 *     only makes it sleep (and be woken) as it would have anyway.  Its
 *     low half counts messages added (receivers watch it), its high half
 *     room made (senders watch it): a spinner is not sent back by changes
 *     that cannot let it go on.  A blocking call may spin before it
 *     first takes the lock when the counters say it cannot go on yet (a
 *     send: no room; a POSIX receive: empty; a System V receive: empty,
 *     or qnum 1 and qctl.solo_* - the type of the message a send left
 *     alone in the queue, and n_sent then - naming a type it does not
 *     take); these are hints of the same kind.
 * L12. Statistics (n_*, hw_*, and POSIX stime/rtime/spid/rpid) are
 *     written under the queue lock, each by the side that already owns
 *     its line: a send's counters in a line only sends write (System V
 *     line 3, POSIX line 2), a refused receive's in the line of the
 *     wait lists (line 1), the last pids and times (POSIX line 8) only
 *     when the pid or the second changes, so that a streaming sender
 *     and receiver share no line they did not share before.  Received
 *     messages are derived (n_sent - qnum): no receive writes a counter.
 *     They are read without any lock (stats.c), with relaxed loads: a
 *     reader may see one operation half counted, and a crash inside a
 *     critical section may leave them off by one (the repair recounts
 *     qnum, not them).
 *     A new queue's file starts them at 0.
 * L13. pqctl.spin_until: a POSIX caller about to spin outside the lock
 *     (L10) - after a look under it, or before its first look - takes a
 *     free place with a CAS, writing the end of its spin
 *     (CLOCK_MONOTONIC microseconds, never 0), and clears it when it
 *     has the lock again; it then updates the FIFO (ready.c) before it
 *     returns or sleeps.  So a holder that changes the queue's state
 *     while a place is live leaves the FIFO to that spinner.  A place is
 *     live only while its end is ahead and no further than twice the
 *     longest spin: garbage, a spinner that died, or one whose clock is
 *     another time namespace's counts for nothing within 2 x 20 us, and
 *     then the next call sets the FIFO right.  Cleared places and
 *     unannounced spinners (no free place) only cost system calls.
 * L14. A queue's lane (struct lane, lane.c), System V or POSIX.  Its ring and
 *     put are written only under the senders' lock, taken only under
 *     the receivers' lock, each lock robust as the queue's (L11).  A
 *     send commits with one 64-bit store, release, of its record's seq
 *     (put's value before it), then counts the record in put; a receive
 *     takes the record at taken once it reads (acquire) seq == taken,
 *     and commits with one release store of taken.  A sender that took
 *     the senders' lock "owner died" first counts a record committed at
 *     put (its predecessor died between the two stores), then goes on;
 *     until then msg_qnum counts one message fewer than a receive can
 *     take, and taken may run one record ahead of put.  A side acts only
 *     if it sees the gate LANE_OPEN under its own lock.  Lock order:
 *     the queue's, the senders', the receivers'; a side never takes
 *     the queue's while holding its own.  The gate moves only under
 *     the queue lock: CLOSED -> OPEN when the store is empty and no
 *     record is on a wait list nor a descriptor watching, and (POSIX) no
 *     notification is registered (the lane is
 *     then empty, and no side writes while it is closed); OPEN ->
 *     CLOSING (before the side locks: no side starts anew), then, with
 *     both side locks, the lane's messages linked into the store, each
 *     with its mark, taken set to put, CLOSED.  Whoever takes the queue
 *     lock closes the gate first (q_lock, pq_lock), so under the queue lock the
 *     store is the whole queue, as before the lane.  A gate found
 *     CLOSING (a closer died, or its store could not take a message)
 *     is closed again by the next taker, which skips the messages its
 *     marks show moved.  While the gate is open the lane's senders
 *     write the senders' counters and stamps of struct qctl (L12), its
 *     receivers the receivers', as the queue lock's holders would; and
 *     every send and receive, in the lane or the store, writes its
 *     stamps (lspid and stime, lrpid and rtime) before its commit, so
 *     that a message counted or taken by a caller that died at once
 *     carries that caller's stamps: a stamp not the caller's proves
 *     its call did not commit (what the bridge's restart relies on).
 *     POSIX: the lane holds messages in the order a receive takes
 *     them, so a send puts in no message of a higher priority than
 *     lane.last_prio (written under the senders' lock) unless the lane
 *     is empty; such a send takes the queue lock instead.
 * L15. The process's own mutexes (in no shared memory) nest in one order:
 *     cur_mu (ns.c), pmu (pdesc.c), note_mu (notify.c), then fds_mu and
 *     room_mu (fds.c), which never nest; the preload's nlmu and rmu come
 *     before them all.  fork() takes them all in that order first
 *     (atfork.c), so that no child starts with one held by a thread it
 *     does not have.
 * ---------------------------------------------------------------------
 */
#ifndef UMQ_LAYOUT_H
#define UMQ_LAYOUT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define UMQ_LAYOUT_VERSION 9u	/* 9: lane records carry their commit */
#define UMQ_NS_MAGIC	0x736e2d716d75ull	/* "umq-ns" */
#define UMQ_LIM_MAGIC	0x6d696c2d716d75ull	/* "umq-lim" */
#define UMQ_STORE_MAGIC 0x6f74732d716d75ull	/* "umq-sto" */

#define NIL 0xffffffffu

/* Kernel constants (include/linux/ipc.h, ipc/util.h). */
#define IPCMNI		32768
#define IPCMNI_SHIFT	15
#define SEQ_MAX		65535	/* seq wraps to 0 when it reaches this */

/* ---- the limits file ---------------------------------------------------- */

struct lim_file {
	uint64_t magic;
	uint32_t version;
	uint32_t size;
	int64_t msgmax, msgmnb, msgmni;
	int64_t msg_max, msgsize_max, msg_default, msgsize_default;
	int64_t queues_max;
	uint32_t removed;		/* umq_ns_remove() ran */
	uint32_t pad;
};

/* ---- waiter records ----------------------------------------------------- */

/* The futex word.  No state has owner bits (FUTEX_TID_MASK), so that a
 * dying poster's pending entry only wakes (L6). */
#define W_WAITING	0u
#define W_READY		0x40000000u
#define W_WOKEN		0x80000000u
/* WK_PEEK: a blocking peek, on the receivers' list.  A send that queues
 * a message it selects wakes it (W_WOKEN) and hands it nothing; its
 * sel_mode has SEL_PEEK, which no receiver's has (internal.h). */
enum { WK_RECV = 1, WK_SEND = 2, WK_NOTIFY = 3, WK_PEEK = 4 };

struct waiter {
	union {
	struct {
	pthread_mutex_t alive;		/* L5 */
	uint32_t futex;			/* W_*, L6/L7 */
	int32_t result;			/* 0 or -errno, valid once W_READY */
	uint32_t next, prev;		/* wait list links */
	uint32_t kind;			/* WK_* */
	uint64_t gen;			/* generation of that queue */
	uint64_t order;			/* enqueue stamp, for rebuilds */
	int32_t tid;
	int32_t pid;			/* its process, for umq top (stats.c) */
	/* a receiver's selector */
	int32_t sel_mode;
	int64_t sel_type;
	uint64_t maxsize;		/* UINT64_MAX with MSG_NOERROR */
	/* a sender's message size */
	uint64_t msgsz;
	int32_t prio;			/* POSIX: scheduling priority, lower first */
	uint32_t pad_;
	/* a hand-off, or a POSIX sender's parked message: chunk, length
	 * and type (System V mtype, POSIX -prio) */
	uint32_t msg;
	uint32_t linked;		/* on a wait list */
	uint64_t len;
	int64_t mtype;
	/* a fired notification: the sender, for si_pid and si_uid */
	int32_t spid;
	uint32_t suid;
	/* 0: never used, 1: being set up, 2: "alive" initialized (L8) */
	uint32_t inited;
	};
	uint8_t raw_[256];
	};
};
_Static_assert(sizeof(struct waiter) == 256, "waiter layout");

/*
 * Each queue's file has a pool of records at a fixed place, mapped once
 * and never moved (glibc and the kernel find a robust mutex by address):
 * a bitmap of the records in use (L8), then the records.  A queue has at
 * most Q_WAITERS blocked threads at once (ENOMEM beyond); the pages of
 * records never used are never touched, so cost no memory.
 */
#define Q_WAITERS	1024
#define WPOOL_REC_OFF	4096
#define WPOOL_SIZE	(WPOOL_REC_OFF + (size_t)Q_WAITERS * sizeof(struct waiter))

/* ---- wait lists (waiter pool indices), in both kinds of queue ---------- */

struct wlists {
	uint32_t rhead, rtail;		/* receivers */
	uint32_t shead, stail;		/* senders */
	uint64_t order;			/* stamp source for waiter.order */
};

/* ---- System V queue control block -------------------------------------- */

enum { SLOT_FREE = 0, SLOT_CREATING = 1, SLOT_LIVE = 2, SLOT_REMOVED = 3 };

struct qctl {
	union {
	struct {
	/* Line 0: the lock and what every send and receive writes. */
	pthread_mutex_t lock;		/* L2 */
	uint64_t qnum, cbytes;
	uint32_t events;		/* bumped by every change; L10 */
	uint32_t lock_ns;		/* holder's namespace tag; L11 */
	/* Line 1: written when a caller of another pid or second comes. */
	int64_t stime, rtime;
	int32_t lspid, lrpid;
	struct wlists wl;
	/* Counters (L12) of receivers, written only by a refused receive. */
	uint64_t n_empty;		/* ENOMSG refusals (IPC_NOWAIT) */
	uint64_t pad1;
	/* Line 2: read-mostly. */
	uint32_t state;			/* SLOT_*, L1 + L9 */
	uint32_t seq;
	uint64_t gen;			/* unique per queue ever created */
	int32_t key;			/* ipc_perm */
	uint32_t mode;
	uint32_t uid, gid, cuid, cgid;
	int64_t ctime;
	uint64_t qbytes;
	/* umq_msgfd (msgfd.c, ready.c): a descriptor may be watching, so a
	 * change of state updates the FIFO sysv/m.<gen>.p; its RS_* state. */
	uint32_t watch;
	uint32_t rstate;
	/* Line 3: the senders' counters (L12): written by sends only. */
	uint64_t n_sent;		/* messages sent (hand-offs included) */
	uint64_t n_handoff;		/* given to a blocked receiver */
	uint64_t n_full;		/* EAGAIN refusals (IPC_NOWAIT) */
	uint64_t hw_qnum, hw_cbytes;	/* high-water marks */
	/* L10's hint of what the queue holds, for a receive that has not
	 * looked yet: the type of the message a send left alone in the
	 * queue, and n_sent then (so: still alone while n_sent is that and
	 * qnum 1).  0: none.  Written by sends only. */
	int64_t solo_type;
	uint64_t solo_sent;
	};
	uint8_t raw_[256];
	};
};
_Static_assert(offsetof(struct qctl, stime) == 64, "qctl line 1");
_Static_assert(offsetof(struct qctl, n_empty) < 128, "qctl line 1");
_Static_assert(offsetof(struct qctl, n_sent) == 192, "qctl line 3");
_Static_assert(offsetof(struct qctl, rstate) < 192, "qctl line 2");
_Static_assert(offsetof(struct qctl, state) == 128, "qctl line 2");
_Static_assert(sizeof(struct qctl) == 256, "qctl layout");

/*
 * A System V queue's lane (lane.c, L14): a ring of records in m.<gen>
 * that plain sends and msgtyp-0 receives use, each side under a lock of
 * its own, while the gate is open.  Its words live in the control file,
 * so that listings (read for all) count its messages.
 *
 * put and taken are packed counts, each field modulo its width: messages
 * (20 bits), text bytes (24), ring units (20).  The lane never holds as
 * many as a field wraps at, so differences are exact.
 */
#define LANE_UNIT	64
#define LANE_UNITS	1024u
#define LANE_SIZE	((size_t)LANE_UNITS * LANE_UNIT)
#define LANE_OFF	WPOOL_SIZE		/* in m.<gen> */
#define M_STORE_OFF	(LANE_OFF + LANE_SIZE)	/* the store, in m.<gen> */

enum {
	LANE_CLOSED = 0,		/* the store is the queue */
	LANE_OPEN = 0x6e65706f,		/* "open": the lane takes traffic */
	LANE_CLOSING = 0x65736f6c,	/* a closer is at work, or died */
	/* "busy": as CLOSING, but its closer, a call that must not block,
	 * gives up on a stopped side's holder (lock.c close_stuck) */
	LANE_CLOSING_NB = 0x79737562,
};

struct lane {
	/* Line 0: the senders' own (lock, and their copy of taken). */
	union {
	struct {
	pthread_mutex_t slock;		/* L11, L14 */
	uint32_t slock_ns;
	uint32_t last_prio;		/* POSIX: of the last message put */
	uint64_t taken_seen;
	};
	uint8_t line0_[64];
	};
	/* Line 1: the receivers' own. */
	union {
	struct {
	pthread_mutex_t rlock;
	uint32_t rlock_ns;
	uint32_t pad1;
	};
	uint8_t line1_[64];
	};
	/* Lines 2 and 3: what each side publishes, apart from its lock, so
	 * that the other side's reads do not take the lock's line away. */
	uint64_t put;			/* packed: what senders put in */
	uint8_t pad2[56];
	uint64_t taken;			/* packed: what receivers took out */
	uint8_t pad3[56];
	/* Line 4: read by both sides, written when the gate moves. */
	uint32_t gate;			/* LANE_* */
	uint8_t pad4[60];
};
_Static_assert(sizeof(struct lane) == 320, "lane layout");
_Static_assert(offsetof(struct lane, put) == 128, "lane line 2");
_Static_assert(offsetof(struct lane, gate) == 256, "lane line 4");

/* A record in the ring: the header, then the text, in whole units; a
 * record that would cross the ring's end is preceded by a skip (len
 * LREC_SKIP) to the end.  seq is the lane's put count the record was
 * written at, stored last: a record whose seq is the receivers' taken
 * count is sent (L14), and receivers wait on it, not on put. */
#define LREC_SKIP	0xffffffffu
struct lrec {
	uint32_t units;
	uint32_t len;
	int64_t mtype;
	uint64_t seq;			/* the commit: put when written */
};
_Static_assert(sizeof(struct lrec) == 24, "lrec layout");

/* The file sysv/q.<gen>: one page. */
#define Q_MAGIC		0x71712d716d75ull	/* "umq-qq" */
struct qfile {
	struct qctl q;
	uint64_t magic;
	uint32_t version;
	uint32_t idx;			/* the index it was created at */
	uint8_t pad0[48];
	struct lane lane;		/* lines 5-9 */
	uint8_t pad[4096 - 640];
};
_Static_assert(offsetof(struct qfile, lane) == 320, "qfile lane");
_Static_assert(sizeof(struct qfile) == 4096, "qfile layout");

/* ---- POSIX queue control block ----------------------------------------- */

/*
 * A POSIX queue is the file posix/<gen>: this block in its first page,
 * then its waiter records and its lane's ring, mapped together so that
 * the lock never moves (glibc links robust mutexes by address), then the
 * store from PQ_STORE_OFF, mapped apart because it may grow.  Its name is the symlink names/<name> -> <gen>,
 * owned by the creator, so that the sticky directory gives mq_unlink the
 * kernel's rule.  Beside it, the FIFO posix/<gen>.p: an mqd_t is a
 * descriptor of it (see posix.c).
 */
#define PQ_MAGIC	0x71702d716d75ull	/* "umq-pq" */
#define PQ_SPINNERS	4
#define PQ_CTL_SIZE	4096
#define PQ_WPOOL_OFF	PQ_CTL_SIZE
#define PQ_LANE_OFF	(PQ_WPOOL_OFF + WPOOL_SIZE)
#define PQ_STORE_OFF	(PQ_LANE_OFF + LANE_SIZE)

struct pqctl {
	union {
	struct {
	/* Line 0: the lock and what every send and receive writes. */
	pthread_mutex_t lock;		/* L2 */
	uint64_t curmsgs, qsize;	/* messages and text bytes queued */
	uint32_t events;		/* L10 */
	uint32_t lock_ns;		/* L11 */
	/* Line 1: wait lists, sorted by scheduling priority; what the FIFO
	 * holds (RS_*, ready.c). */
	struct wlists wl;
	uint32_t rstate;
	/* Callers spinning outside the lock: until when, in microseconds
	 * of CLOCK_MONOTONIC, 0: a free place (L13). */
	uint32_t spin_until[PQ_SPINNERS];
	uint64_t n_empty;		/* EAGAIN refusals of an empty queue */
	/* A descriptor may be polled (posix.c's watchers): a change of
	 * state updates the FIFO, and the lane stays shut. */
	uint32_t watch;
	uint32_t pad1;
	/* Line 2: the notification registration (notify.c). */
	int32_t notify_pid;		/* owner process, 0: none */
	int32_t notify_kind;		/* SIGEV_* */
	int32_t notify_signo;
	uint32_t notify_rec;		/* the owner's helper's waiter record */
	uint32_t notify_ns;		/* the owner's pid namespace (L11) */
	/* The senders' counters (L12): written by sends only (and, rarely,
	 * mq_notify: a registration is made or dropped). */
	uint32_t pad2;
	uint64_t n_sent;		/* messages sent (hand-offs included) */
	uint64_t n_handoff;		/* given to a blocked receiver */
	uint64_t n_full;		/* EAGAIN refusals (O_NONBLOCK) */
	uint64_t hw_curmsgs, hw_qsize;	/* high-water marks */
	/* Line 3: read-mostly. */
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_size;
	uint64_t gen;
	int64_t maxmsg, msgsize;
	uint32_t mode, uid, gid;	/* as created: mode after the umask */
	uint32_t charge_uid;		/* real uid charged (RLIMIT_MSGQUEUE) */
	uint64_t charge;		/* bytes charged */
	/* Line 4 on: the name, without its '/'.  The queue is unlinked when
	 * names/<name> no longer points to it (derived: a crash cannot
	 * leave a stale flag); it is destroyed when, in addition, no open
	 * description holds an OFD lock on its FIFO. */
	char name[256];
	/* Line 8: written when a caller of another pid or second comes
	 * (L12): the last receive and send. */
	int32_t rpid;
	int32_t spid;
	int64_t rtime;
	int64_t stime;
	uint8_t pad8[40];
	/* Line 9: written once, by the creator.  The inode of the FIFO
	 * made with this file: what ties the file to a descriptor for the
	 * agent (agent/reopen.c), since names can be renamed by the
	 * namespace's owner; 0 in files made before it was kept. */
	uint64_t fifo_ino;
	uint8_t pad9[56];
	/* Lines 10-14: the lane (L14), its ring at PQ_LANE_OFF. */
	struct lane lane;
	};
	uint8_t raw_[PQ_CTL_SIZE];
	};
};
_Static_assert(offsetof(struct pqctl, wl) == 64, "pqctl line 1");
_Static_assert(offsetof(struct pqctl, notify_pid) == 128, "pqctl line 2");
_Static_assert(offsetof(struct pqctl, magic) == 192, "pqctl line 3");
_Static_assert(offsetof(struct pqctl, name) == 256, "pqctl line 4");
_Static_assert(offsetof(struct pqctl, rpid) == 512, "pqctl line 8");
_Static_assert(offsetof(struct pqctl, fifo_ino) == 576, "pqctl line 9");
_Static_assert(offsetof(struct pqctl, lane) == 640, "pqctl line 10");
_Static_assert(offsetof(struct pqctl, n_empty) < 128, "pqctl line 1");
_Static_assert(offsetof(struct pqctl, hw_qsize) < 192, "pqctl line 2");
#define PQ_NAME_MAX 255

/* ---- the hints file "ns" ----------------------------------------------- */

/*
 * Every user writes it, so it is never mapped (a user could shrink it
 * under our feet) but read and written with pread/pwrite, and each value
 * is a hint, checked before use.  int32 words at these indexes:
 */
enum { H_LAST_IDX, H_SEQ, H_IN_USE, H_PQ_COUNT, H_WORDS };
/* then NS_UIDS POSIX charges by real uid: { uint32 uid, uint32 pad,
 * uint64 bytes } at NS_CHARGE_OFF. */
#define NS_UIDS		64
#define NS_CHARGE_OFF	64
#define NS_HINTS_SIZE	(NS_CHARGE_OFF + NS_UIDS * 16)

/* ---- message store (one per queue) ------------------------------------- */

/*
 * A store is a header followed by nchunks fixed-size chunks, then its
 * indexes, whose place and size follow from nchunks alone (hcap is the
 * power of two >= 2 * nchunks):
 *
 *   [store hdr][chunk 0 .. nchunks-1][buckets: hcap x struct bucket]
 *   [kheap: nchunks u32][sheap: nchunks u32]
 *
 * Chunks are handed out in blocks: a block of order k is 2^k chunks
 * starting at a multiple of 2^k.  A message takes one block, the smallest
 * that holds its header (struct msg) and its text, which follows the
 * header contiguously (one memcpy each way).  Below the mark bump, the
 * blocks tile the chunks: each block's first word is its state - a message
 * state, whose len gives its order, or CH_FREE | order - and the words
 * inside a block are never read as states (they are text).  Chunks >= bump
 * were never used (or given back by a repair) and are carved into blocks
 * on demand, each block's state written before bump moves past it.  Free
 * blocks wait on a list per order and are not merged when freed: an
 * allocation that finds no block of its order or above and no room above
 * bump first rewrites the free space as the largest blocks it holds (the
 * same walk as the repair's), and only then grows the store (doubling).
 * So the store never reports "full" while the accounting (cbytes/qnum
 * against qbytes) has room: it coalesces or grows instead.
 *
 * Every change of the tiling is one store of a state word: a block is
 * split by writing its upper halves' states (inside it, so unseen) before
 * its own; blocks are merged by writing the state of the first with the
 * larger order (the others' become text).  So a walk from chunk 0 meets
 * exactly the blocks, whatever instant a crash stopped an update at, and
 * a message's text, however it is crafted, is never taken for a message.
 *
 * Authoritative: the block states below bump, and the seq, key, len and
 * owner of message blocks.  Everything else - buckets, heaps, bucket
 * links, the free lists - is derived and rebuilt by store_rebuild() (L3).
 *
 * Buckets: the queued messages of one key (System V mtype, or POSIX
 * priority stored as -prio) in FIFO order.  Every receive takes the head
 * of some bucket (the oldest message of all is the oldest of its key), so
 * a bucket is a singly linked chain of messages, and its description -
 * key, head, tail, the head's seq, its heap places - lives in the hash
 * table entry, not in a chunk: a sender appending and a receiver taking
 * the head touch different cache lines.  The hash finds a bucket by key
 * (msgtyp > 0); kheap orders buckets by key (msgtyp < 0, POSIX priority);
 * sheap orders them by the seq of their head (msgtyp 0: the root;
 * MSG_EXCEPT: the root or one of its children, bucket keys being
 * distinct).
 */
enum {
	CH_FREE = 0x46524500,		/* | order: a free block */
	CH_RESERVED = 0x52534552,	/* allocated, being written */
	CH_QUEUED = 0x51554555,		/* a queued message */
	CH_INFLIGHT = 0x494e464c,	/* a handed-off message */
};
#define STORE_ORDERS	31		/* orders 0..30: nchunks <= 2^30 */

struct msg {
	uint32_t state;
	uint32_t next_chunk;		/* CH_FREE: next block on its list */
	uint64_t seq;
	int64_t key;
	uint64_t len;
	uint32_t bnext;			/* next in the bucket */
	uint32_t owner;			/* CH_INFLIGHT: waiter record */
	uint64_t mark;			/* moved from a lane: LANE_MARK | n */
};
#define LANE_MARK	0x6c616e6500000000ull	/* "lane" */
_Static_assert(sizeof(struct msg) == 48, "msg layout");

struct bucket {
	int64_t key;
	uint32_t head;			/* first chunk + 1; 0: empty entry */
	uint32_t tail;			/* last chunk */
	uint64_t hseq;			/* seq of the head */
	uint32_t kpos, spos;		/* places in the heaps */
};

struct store_hdr {
	/* Line 0: read-mostly. */
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_size;
	uint64_t gen;			/* the queue's generation */
	uint32_t chunk_size;
	uint32_t nchunks;		/* the commit point of a growth */
	uint32_t damaged;		/* a check failed: rebuild before use */
	uint32_t nbuckets;		/* derived */
	/* Written once by the creator: the inodes of the queue's control
	 * file and FIFO, which tie the three files together for the agent
	 * (envelope.c): names can be renamed by the namespace's owner.  0
	 * in stores made before they were kept. */
	uint64_t ctl_ino, fifo_ino;
	uint8_t pad0[8];
	/* Lines 1-3: allocation (a sender's side). */
	uint32_t bump;			/* authoritative: the tiled part */
	uint32_t pad1;
	uint64_t next_seq;		/* derived, like all that follows */
	uint32_t afree[STORE_ORDERS];	/* free blocks ready to allocate */
	uint8_t pad2[52];
	/* Lines 4-5: freeing (a receiver's side); allocation takes a whole
	 * list when its own of that order is empty, so the two sides share
	 * no line. */
	uint32_t ffree[STORE_ORDERS];
	uint32_t pad3;
};

#define STORE_HDR_SIZE	384
_Static_assert(offsetof(struct store_hdr, bump) == 64, "store line 1");
_Static_assert(offsetof(struct store_hdr, ffree) == 256, "store line 4");
_Static_assert(sizeof(struct store_hdr) == STORE_HDR_SIZE, "store header");

#endif /* UMQ_LAYOUT_H */
