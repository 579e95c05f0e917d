/* SPDX-License-Identifier: MIT */
/*
 * internal.h - declarations shared by the library's files.  Nothing here
 * is exported: the build hides every symbol but those of libumq.map.
 *
 * Convention: internal functions return 0 (or a value >= 0) on success and
 * -errno on failure; the public umq_* entry points turn that into -1 and
 * errno once, at the edge (ret_errno).
 */
#ifndef UMQ_INTERNAL_H
#define UMQ_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "umq.h"
#include "layout.h"

#define UMQ_EXPORT __attribute__((visibility("default")))
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* A spinning CPU's hint to its sibling and to the memory system. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/*
 * The edge of every public entry point: -1 and errno on failure; on
 * success errno exactly as the caller left it, as the system calls leave
 * it (the library's own calls fail and succeed all along the way).  So r
 * must be the whole call: errno is saved before r is evaluated, as in
 * return ret_errno(do_msgsnd(...)).
 */
#define ret_errno(r)                                                    \
	({                                                              \
		int saved_errno_ = errno;                               \
		long r_ = (long)(r);                                    \
		if (r_ < 0) {                                           \
			errno = (int)-r_;                               \
			r_ = -1;                                        \
		} else {                                                \
			errno = saved_errno_;                           \
		}                                                       \
		r_;                                                     \
	})

/* A libc call that is a cancellation point, made under a lock: no request
 * acts in it, or the thread would end holding the lock (DESIGN §4). */
#define NOCANCEL(call)                                                  \
	({                                                              \
		int ost_;                                               \
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &ost_);  \
		__auto_type r_ = (call);                                \
		pthread_setcancelstate(ost_, NULL);                     \
		r_;                                                     \
	})

/* A pointer the kernel would refuse with EFAULT without touching memory. */
static inline bool bad_uptr(const void *p)
{
	return (uintptr_t)p < 4096;
}

/*
 * Fault injection for the crash tests: when set, called at each named
 * point inside a critical section (the test's hook kills the process
 * there).  One predictable branch when unset.
 */
enum fault_point {
	FP_SEND_PUT = 1,	/* message written, not yet linked */
	FP_SEND_LINK,		/* linked, counters not yet updated */
	FP_RECV_COPY,		/* copied out, not yet taken */
	FP_RECV_TAKE,		/* taken, counters not yet updated */
	FP_HANDOFF,		/* handed to a receiver, not yet posted */
	FP_GROW,		/* store file grown, indexes half built */
	FP_CREATE,		/* slot claimed, store not yet published */
	FP_POST,		/* a waiter's state posted, not yet woken */
	FP_SPIN,		/* POSIX: counted as spinning, lock dropped */
	FP_LANE_SEND,		/* lane: record written, not yet counted */
	FP_LANE_RECV,		/* lane: copied out, not yet counted */
	FP_LANE_MOVE,		/* lane closing: a message moved to the store */
	FP_LANE_SENT,		/* lane: counted, the call not returned */
	FP_LANE_TAKEN,		/* lane: taken, the call not returned */
	FP_LANE_COUNT,		/* lane: record committed, not yet in put */
	FP_ASLEEP,		/* about to sleep, cancellable (futex.c) */
	FP_WOKEN,		/* woken, still cancellable */
	FP_LANE_RESERVE,	/* lane closing: a block reserved, none linked */
	FP_MAX
};
extern void (*umq_fault_hook)(int point);
#define FAULT(p)                                                        \
	do { if (unlikely(umq_fault_hook)) umq_fault_hook(p); } while (0)

/*
 * Statistics (L12): under the queue lock, by the side that owns the line;
 * relaxed stores, because stats.c reads them without the lock.  STAT_SET
 * writes only a changed value, so that the line stays shared.
 */
#define STAT_ADD(f, n) __atomic_store_n(&(f), (f) + (n), __ATOMIC_RELAXED)
#define STAT_MAX(f, v)                                                  \
	do { if ((v) > (f)) __atomic_store_n(&(f), (v), __ATOMIC_RELAXED); } \
	while (0)
#define STAT_SET(f, v)                                                  \
	do { if ((f) != (v)) __atomic_store_n(&(f), (v), __ATOMIC_RELAXED); } \
	while (0)

/* ---- ucopy.c, fault.c: the caller's memory, EFAULT as the kernel's --- */
/* Our SIGBUS and SIGSEGV handlers (map.c's pages, ucopy's faults),
 * installed by the first call that may need them. */
extern bool fault_ready;
void fault_install(void);
static inline void fault_need(void)
{
	if (unlikely(!__atomic_load_n(&fault_ready, __ATOMIC_ACQUIRE)))
		fault_install();
}
/* The caller's memory: 0 or -EFAULT (DESIGN §6). */
int ucopy_raw(void *dst, const void *src, size_t n);
static inline int ucopy(void *dst, const void *src, size_t n)
{
	fault_need();
	return ucopy_raw(dst, src, n);
}
long ubyte_raw(const void *p);
/* The byte at p, 0..255, or -EFAULT. */
static inline long ubyte(const void *p)
{
	fault_need();
	return ubyte_raw(p);
}
int uprobe(const void *p, size_t n);
long ustrnlen(const char *s, size_t max);

/* ---- proc.c: who and when, without system calls on the fast path ---- */
pid_t proc_pid(void);
pid_t proc_tid(void);
uint32_t proc_gen(void);
int64_t proc_now(void);
int64_t proc_mono_ns(void);	/* CLOCK_MONOTONIC */
uint32_t proc_pidns(void);
long proc_spin_ns(void);
/*
 * The events counter of a queue (L10) in two halves: a message added
 * (receivers spin on it), room made (senders spin on it).  Other changes
 * (IPC_SET, removal) add 1, and a spinner that misses one only relocks at
 * the end of its spin.
 */
#define EV_ADDED	0x00000001u
#define EV_ROOM		0x00010000u
#define EV_RECV_MASK	0x0000ffffu	/* what a receiver waits for */
#define EV_SEND_MASK	0xffff0000u	/* what a sender waits for */
void proc_spin(const uint32_t *w, uint32_t mask, uint32_t old, int64_t end);
bool proc_spin_first(const uint32_t *events, uint32_t mask,
		     void (*unlock)(void *), void (*lock)(void *), void *q,
		     int64_t *end);

/* ---- lock.c: robust locks ----------------------------------------------- */
int lock_init(pthread_mutex_t *m);
/* 0: locked; 1: locked, but the previous owner died or the lock word was
 * garbage (repair, then lock_mend).  Never returns without the lock; waits
 * only for a holder that checks out (L11).  tag: the holder's namespace
 * beside the lock. */
int lock_take(pthread_mutex_t *m, uint32_t *tag);
/*
 * A call's bound on waiting for a lock (DESIGN §3, "A call's bound"):
 * set by a call that must not block (busy: its "would block" answer,
 * -EAGAIN or -ENOMSG) or not past a deadline (dl), for its duration, in
 * lock_bound; lock_take_bounded() then gives up with busy when the
 * holder is stopped or frozen, with -ETIMEDOUT at the deadline.  Only
 * the locks a call can give up on are taken that way (their callers
 * handle the failure): the lane's sides, and the queue lock of the calls
 * that return an error.
 */
struct deadline;
struct bound {
	int busy;
	const struct deadline *dl;
};
extern __thread const struct bound *lock_bound;
/* l: the lane of m's queue; a closer of it that waits on a stopped
 * side's holder counts as stopped, since it waits until that goes on. */
struct lane;
int lock_take_bounded(pthread_mutex_t *m, uint32_t *tag, struct lane *l);
static inline const struct bound *bound_enter(const struct bound *b)
{
	const struct bound *outer = lock_bound;	/* a handler's call nests */

	lock_bound = b;
	return outer;
}
static inline void bound_leave(const struct bound *outer)
{
	lock_bound = outer;
}
/* A call with no "busy" answer (msgctl, a peek without deadline...):
 * none of the bound of a call that its signal handler interrupted. */
#define UNBOUNDED(call)                                                 \
	({                                                              \
		const struct bound *ob_ = bound_enter(NULL);            \
		__auto_type rb_ = (call);                               \
		bound_leave(ob_);                                       \
		rb_;                                                    \
	})
void lock_mend(pthread_mutex_t *m);
void lock_drop(pthread_mutex_t *m);
/* L4's guard of a process-local view: entered after its queue's lock is
 * taken, left before it is dropped. */
void guard_enter(uint64_t *g);
static inline void guard_leave(uint64_t *g)
{
	__atomic_store_n(g, 0, __ATOMIC_RELEASE);
}
/* -EBUSY: held (or not provably dead); 0/1 as lock_take. */
int lock_try(pthread_mutex_t *m);
/* Held by this thread: a signal handler's call met the lock of the code
 * it interrupted (DESIGN §4). */
extern __thread int lock_nheld;
extern __thread const pthread_mutex_t *lock_moving;	/* lock.c */
bool lock_mine_look(const pthread_mutex_t *m);
static inline bool lock_mine(const pthread_mutex_t *m)
{
	/* none held, taken or dropped: no call */
	return (lock_nheld || lock_moving) && lock_mine_look(m);
}
extern unsigned long lock_repairs;	/* lock_take() results of 1 */
/* For a signal handler whose interrupted code holds a lock the call
 * needs: fn(arg) once this thread holds no lock (0), or -ENOSPC. */
int lock_later(void (*fn)(void *), void *arg);

/* ---- procmaps.c: which files a process maps (L11) ---------------------- */
/* A mapped file as /proc/<pid>/maps names it. */
struct maps_file {
	unsigned maj, min;
	uint64_t ino;
};
/* The file of our mapping at addr, and that mapping's range (lo, hi may
 * be NULL): 0, or -ENOENT (none, or anonymous memory). */
int maps_file_at(const void *addr, struct maps_file *id, uintptr_t *lo,
		 uintptr_t *hi);
/* Does thread tid's process map file id shared and writable, as a
 * holder of a lock in it must?  1, 0, or -errno (-EAGAIN: an overlay
 * leaves it open). */
int maps_shares(uint32_t tid, const struct maps_file *id);

/* ---- holder.c: checking a lock's holder (L11) --------------------------- */
enum { HOLDER_OK, HOLDER_BAD, HOLDER_UNSURE };
uint32_t holder_ident(void);
/* What the calling thread publishes as a holder: tag and check. */
void holder_self(uint32_t tid, uint32_t *tag, uint32_t *check);
/* The check thread tid would publish: 0, -ESRCH (no such live thread)
 * or -EAGAIN (not ours to see). */
int holder_check(uint32_t tid, uint32_t *check);
/* HOLDER_*: may tid, publishing check and tag, hold the lock at addr
 * (NULL: a lock in no file's mapping)? */
int holder_judge(uint32_t tid, uint32_t check, uint32_t tag,
		 const void *addr);
/* Is tid, of the namespace tag and publishing check, stopped (SIGSTOP,
 * a tracer) or frozen (a cgroup freezer)?  False when it cannot tell. */
bool holder_stopped(uint32_t tid, uint32_t check, uint32_t tag);

/* ---- futex.c: sleeping on a shared word, deadlines ----------------------- */
/*
 * Sleep while *w == val, until an absolute deadline on clk (or forever if
 * deadline is NULL), in one wait.  0 (woken, or the value changed: the
 * caller re-evaluates), -EINTR, -ETIMEDOUT.
 * SLEEP_SYSV: a handled signal is EINTR whatever SA_RESTART says (A9);
 * SLEEP_POSIX: the sleep is restarted after a handler with SA_RESTART and
 * keeps its deadline (B9).
 */
enum { SLEEP_SYSV, SLEEP_POSIX };
struct deadline {
	clockid_t clk;
	struct timespec at;
};
int futex_sleep(uint32_t *w, uint32_t val, int kind,
		const struct deadline *dl);
/* Milliseconds to the deadline, rounded up; <= 0 once it passed. */
int64_t deadline_left_ms(const struct deadline *dl);
/*
 * futex_sleep() as a cancellation point, as the system call it stands for
 * is (spec B1): asynchronous cancellation only around the wait, where the
 * caller holds no lock and its call's state is its waiter record.  If the
 * thread is cancelled there, undo(arg) runs before it unwinds, and ends
 * the call as its own return would.
 */
int futex_sleep_cancel(uint32_t *w, uint32_t val, int kind,
		       const struct deadline *dl, void (*undo)(void *),
		       void *arg);
void futex_wake(uint32_t *w, int n);
/* Until pend_clear(), this thread's death wakes a waiter of w (L6).  No
 * glibc robust mutex operation in between. */
void pend_set(uint32_t *w);
void pend_clear(void);

/* ---- fds.c: the library's own descriptors ----------------------------- */

/*
 * Keep fd (opened by the library, or -1) for longer than a call: moved
 * high, out of the numbers the program expects, stored in *where and
 * recorded.  The number kept.  fd_release() closes it, fd_forget() only
 * drops the record (a number no longer ours).
 */
int fd_keep(int fd, int *where);
void fd_release(int *where);
void fd_forget(int fd);
/* openat() for a moment, given a number above the soft limit when none
 * is left below it (EMFILE). */
int fd_open(int dirfd, const char *path, int flags, mode_t mode);
/* socket(domain, type, 0) likewise. */
int fd_socket(int domain, int type);
/* A queue file's size (sparse), the blocks of a range allocated, and
 * pwrite() to one, whatever RLIMIT_FSIZE's soft limit says (the kernel's
 * queues are no files): 0 or -errno; pwrite's return. */
int fd_size(int fd, off_t size);
int fd_alloc(int fd, off_t off, off_t len);
ssize_t fd_pwrite(int fd, const void *buf, size_t n, off_t off);
/* recvmsg() without waiting, with room above the soft limit for the
 * descriptors the message carries. */
struct msghdr;
ssize_t fd_recvmsg(int fd, struct msghdr *mh, int flags);
/* For the preload: is fd the library's, the first of ours >= fd (or -1),
 * and move ours off a number the program is about to take (its old
 * number, or -1: not ours). */
bool fd_own(int fd);
int fd_own_next(int fd);
int fd_evict(int fd);

/* ---- ns.c: the namespace in use ---------------------------------------- */
struct sq;

struct ns {
	char dir[PATH_MAX];
	int dirfd;
	int sysvfd;			/* sysv/ */
	uid_t owner;			/* owner of the directory */
	int hintfd;			/* "ns": untrusted hints (layout.h) */
	const struct lim_file *lim;	/* NULL: the host kernel's values */
	uint64_t *sq;			/* IPCMNI entries: sq.c */
	struct ns *next;		/* ns_find()'s list */
};

int ns_get(struct ns **out);
/* The process-local mutexes, taken (true) or let go around a fork, in
 * the order of L15: atfork.c registers them all at once. */
void atfork_install(void);
void ns_fork_lock(bool take);
void pdesc_fork_lock(bool take);
void notify_fork_lock(bool take);
void fds_fork_lock(bool take);
int ns_open(const char *dir, struct ns **out);
int ns_find(const char *dir, struct ns **out);
/* Unmap a namespace nobody else uses (one opened by ns_open). */
void ns_close(struct ns *ns);
void ns_limits(const struct ns *ns, struct umq_limits *out);
void host_limits(struct umq_limits *out);
/* A random generation, never 0. */
uint64_t ns_new_gen(void);
/* The hints (layout.h): a value, or 0 if it cannot be read. */
void hints_get(struct ns *ns, int first, int32_t *v, int n);
void hints_set(struct ns *ns, int first, const int32_t *v, int n);
int32_t hint_get(struct ns *ns, int which);
void hint_set(struct ns *ns, int which, int32_t v);
int32_t hint_add(struct ns *ns, int which, int32_t delta);
/* Add delta to the bytes charged to uid; the new total (clamped at 0). */
uint64_t hint_charge(struct ns *ns, uid_t uid, int64_t delta);
/* umq_ns_remove(): tell every process of the namespace (limits file). */
void ns_mark_removed(struct ns *ns);

/*
 * A call that cannot have its namespace (ns_get's -errno r) fails with
 * the kernel's errno for that call: no queue has the id (NSE_ID), none
 * has the key or name (NSE_LOOKUP), none can be created (NSE_CREATE).
 * A damaged or foreign file keeps its EUCLEAN or EPROTO.
 */
enum { NSE_ID, NSE_LOOKUP, NSE_CREATE };
int ns_errno(int r, int call);
/* With UMQ_DEBUG=1 in the environment: one line on stderr saying why a
 * namespace cannot be used. */
__attribute__((format(printf, 2, 3)))
void ns_debug(const char *dir, const char *fmt, ...);

/* ---- envelope.c: what the OS lets each user open (§6) ---------------- */
struct env_perm {
	uid_t uid, cuid;
	gid_t gid, cgid;
	unsigned mode;
};
/* rw for each class with read or write in mode, and for the owner. */
unsigned mode_envelope(unsigned mode);
/* The wide envelope of q in plain modes. */
unsigned envelope_mode(const struct qctl *q);
struct stat;
int env_apply(int dirfd, uint64_t gen, const struct env_perm *p, bool exact,
	      const struct stat *ctl);
uid_t env_recorded_owner(int ctlfd, uid_t cuid);
int env_strip(int fd);
struct sq;
/* After an IPC_SET of s, which set uid, gid and mode. */
void env_update(struct sq *s, uid_t uid, gid_t gid, unsigned mode);

/* ---- agent.c: the namespace's agent, if one serves it (agent/) -------- */
#define AGENT_SOCK	"agent"
#define AGENT_MAGIC	0x61716d75u	/* "umqa" */
#define AGENT_SYNC_SYSV	1
#define AGENT_OPEN_POSIX 2	/* passes the FIFO, gets the data file */
#define AGENT_CHARGE_POSIX 3	/* the asker's charge in a queue's file */
#define AGENT_HOLDER	4	/* does thread tid's process map the queue? */
struct agent_req {
	uint32_t magic, op;
	uint64_t gen;
	/* AGENT_SYNC_SYSV: what the IPC_SET set (the block is anyone's
	 * to write meanwhile). */
	uint32_t uid, gid, mode;
	uint32_t tid;		/* AGENT_HOLDER; its mode: 1 for POSIX */
};
struct agent_rep {
	uint32_t magic;
	int32_t err;		/* 0 or -errno */
	uint64_t value;		/* AGENT_CHARGE_POSIX: bytes; AGENT_HOLDER:
				 * 1 if it maps the queue's file, else 0 */
};
/*
 * An IPC_SET the caller could neither apply to the files nor have the
 * agent apply (none answered): sysv/s.<gen>.<uid>, the caller's own file
 * (sticky directory), for the agent's start to apply as a request of
 * that uid, then remove.
 */
#define AGENT_PENDING_MAGIC 0x676e69646e65702dull	/* "-pending" */
struct agent_pending {
	uint64_t magic, gen;
	uint32_t uid, gid, mode, pad;
};
/* Have the agent give System V queue gen the exact envelope of owner,
 * group and mode of p: 0, or -ENOENT when no agent answers, or its
 * refusal. */
int agent_sync(struct ns *ns, uint64_t gen, const struct env_perm *p);
/* POSIX queue gen's data file, read-write, for the holder of fifo (a
 * descriptor of its FIFO): the descriptor, or -errno (-ENOENT: none). */
int agent_open_posix(struct ns *ns, uint64_t gen, int fifo);
/* What POSIX queue gen's file charges to the caller's real uid, which
 * the caller may not read: bytes, 0 when no agent answers. */
uint64_t agent_posix_charge(struct ns *ns, uint64_t gen);
/* Does thread tid's process map queue gen's file (POSIX or System V) of
 * the namespace at dir?  1 or 0, or -errno (-ENOENT: no agent). */
int agent_holder(const char *dir, uint64_t gen, bool posix, uint32_t tid);
/* sendmsg of len bytes with descriptor fd attached (none if fd < 0). */
ssize_t agent_send(int sock, const void *buf, size_t len, int fd);

/* ---- cred.c: the calling thread's credentials as they are now (§4) ---- */
int ipc_perms(const struct qctl *q, int flag);	/* 0 or -EACCES */
int ipc_owner(const struct qctl *q);		/* 0 or -EPERM */
bool cap_has(int cap);
void cred_ids(uid_t *euid, gid_t *egid);
void cred_fs_ids(uid_t *fsuid, gid_t *fsgid);
bool cred_in_group(gid_t g);
/* System V files made, opened, changed and removed as euid/egid. */
struct fs_as {
	uid_t uid;
	gid_t gid;
	bool on;
};
void cred_fs_enter(struct fs_as *a);
void cred_fs_leave(const struct fs_as *a);

/* ---- store.c: the message store of one queue --------------------------- */

/* Selectors, as the kernel names them. */
enum { SEARCH_ANY = 1, SEARCH_EQUAL, SEARCH_NOTEQUAL, SEARCH_LESSEQUAL,
       SEARCH_NUMBER };

/* pages.c: which pages of a mapped range this process has asked the
 * filesystem for (a queue's files are sparse).  Bits in few[] for a
 * range of up to 128 pages, else in bits (made at first use). */
struct pages {
	uint64_t *bits;
	size_t npages;			/* bits kept: len's pages, one more */
	size_t len;			/* of the range */
	unsigned shift;			/* of the page size */
	uint64_t few[2];
};

void pages_init(struct pages *pg, size_t len);
void pages_fini(struct pages *pg);
/* Forget what was asked for: the range's pages may be holes again. */
void pages_forget(struct pages *pg);
int pages_ask(struct pages *pg, void *base, size_t off, size_t len);

/* Ask for the pages of [off, off + len) from base that are not known to
 * be there yet: 0, or -ENOMEM if the filesystem cannot give them.  The
 * common case, on every store operation, inline: one page, known. */
static inline int pages_ready(struct pages *pg, void *base, size_t off,
			      size_t len)
{
	/* Counted from the page base is in (it need not start one). */
	size_t skew = (uintptr_t)base & (((size_t)1 << pg->shift) - 1);
	size_t i = (off + skew) >> pg->shift;
	const uint64_t *w = __atomic_load_n(&pg->bits, __ATOMIC_ACQUIRE);

	if (!w && pg->npages <= 128)
		w = pg->few;
	if (__builtin_expect(w && len && i < pg->npages &&
			     i == (off + skew + len - 1) >> pg->shift &&
			     (__atomic_load_n(&w[i / 64], __ATOMIC_RELAXED) >>
			      (i % 64)) & 1, 1))
		return 0;
	return pages_ask(pg, base, off, len);
}

struct qview {
	uint64_t gen;			/* queue generation mapped, 0: none */
	struct store_hdr *st;		/* the mapping */
	size_t size;			/* bytes mapped */
	off_t off;			/* where the store starts in its file */
	char path[48];			/* the file, in the namespace directory */
	/* Geometry, checked against size when mapped: the header may
	 * change under us, these may not (untrusted input). */
	uint32_t chunk, nchunks, hcap;
	struct pages pg;		/* of the mapping (pages.c) */
};

size_t store_size(uint32_t chunk, uint32_t nchunks);
void store_format(void *base, uint64_t gen, uint32_t chunk, uint32_t nchunks);
/* Take the geometry of a mapped store: 0 or -EUCLEAN / -EPROTO. */
int store_geometry(struct qview *v, uint64_t gen);
/* Reserve chunks for a message and copy its text in (CH_RESERVED). */
int store_put(struct ns *ns, struct qview *v, int64_t key, const void *text,
	      size_t len, uint32_t *head);
void store_link(struct qview *v, uint32_t head);
/* The index pages store_link() of each of heads[] in turn touches,
 * asked for (pages.c): 0 or -ENOMEM. */
int store_link_ready(struct qview *v, const uint32_t *heads, uint32_t n);
void store_inflight(struct qview *v, uint32_t head, uint32_t owner);
/* A queued message: >= 0 chunk, -ENOMSG, or -EUCLEAN. */
long store_find(struct qview *v, int mode, int64_t type);
long store_nth(struct qview *v, uint64_t n);
long store_scan(struct qview *v, int mode, int64_t type, uint64_t skip,
		long (*visit)(void *ctx, uint32_t head), void *ctx);
static inline struct msg *store_msg(struct qview *v, uint32_t head)
{
	return (struct msg *)((char *)v->st + STORE_HDR_SIZE +
			      (size_t)head * v->chunk);
}
int store_read(struct qview *v, uint32_t head, void *dst, size_t n);
void store_take(struct qview *v, uint32_t head);
void store_free(struct qview *v, uint32_t head);
/* Recovery: keep(ctx, gen, owner, head, m) says whether a message in
 * flight still belongs to a live waiter. */
int store_rebuild(struct qview *v,
		  bool (*keep)(void *ctx, uint64_t gen, uint32_t owner,
			     uint32_t head, const struct msg *m),
		  void *ctx, uint64_t *qnum, uint64_t *cbytes);

/* ---- qview.c: process-local mappings of stores ------------------------- */
int qview_grow(struct ns *ns, struct qview *v, size_t size);
/* Map fd's store at off into v (checked). */
int qview_map(struct qview *v, int fd, off_t off, uint64_t gen);
/* map.c: mappings of queue files, which a SIGBUS cannot kill us in. */
bool map_mend(const siginfo_t *si);
int map_watch(void *p, size_t len);
void map_forget(void *p, size_t len);
void *map_shared(size_t len, int prot, int fd, off_t off);
void map_unmap(void *p, size_t len);
void *map_remap(void *p, size_t len, size_t nlen);
unsigned long map_replaced(void);
int qview_adopt(struct qview *v, void *st, size_t size, off_t off,
		uint64_t gen);
void *map_queue_file(int fd, size_t min, size_t *size);
int qview_refresh(struct ns *ns, struct qview *v);
/* Follow a store that grew elsewhere (under its queue lock, L4). */
int qview_follow(struct ns *ns, struct qview *v);
/* The files of System V queue gen, relative to the namespace directory. */
int store_path(char *buf, size_t n, uint64_t gen);
int ctl_path(char *buf, size_t n, uint64_t gen);
/* sysv/s.<gen>.<uid>: an IPC_SET left for the agent (struct agent_pending). */
int pending_path(char *buf, size_t n, uint64_t gen, uid_t uid);
/* A removed queue's file, made dead before it is unlinked (DESIGN §6):
 * mode 0, which no live queue's file has.  file_kill() makes path so if
 * the OS lets us (its owner, root); file_dead() asks whether it is. */
void file_kill(int dirfd, const char *path);
bool file_dead(int dirfd, const char *path);

/* ---- wait.c: waiter records and wait lists ----------------------------- */

/* A queue's pool of records (layout.h), as mapped by this process. */
struct wpool {
	uint64_t *map;
	struct waiter *rec;
	struct pages pg;		/* asked for (pages.c) */
};

static inline void wpool_at(struct wpool *wp, void *base)
{
	wp->map = base;
	wp->rec = (struct waiter *)((char *)base + WPOOL_REC_OFF);
	pages_init(&wp->pg, WPOOL_SIZE);
}

static inline struct waiter *wp_rec(struct wpool *wp, uint32_t i)
{
	return wp->rec + i;
}

/*
 * Under the queue lock (L6): post_arm() before the first write to a
 * record that will be posted (a hand-off's message in flight, say);
 * post() stores the state and wakes the record.  From the first of them
 * to the end of post(), the poster's death wakes the record's sleeper.
 */
void post_arm(struct waiter *w);
void post(struct waiter *w, uint32_t state);

int waiter_alloc(struct wpool *wp, uint32_t *idx);
/* A record of kind for the caller, or NULL and *err. */
struct waiter *waiter_take(struct wpool *wp, uint32_t kind, uint32_t *idx,
			   long *err);
void waiter_free(struct wpool *wp, uint32_t idx);
/* Is the record's owner alive?  (Takes nothing.) */
bool waiter_alive(struct wpool *wp, uint32_t idx);
/* Under the queue lock, walking a list: is the record out of line - its
 * owner gone, or already posted a result (by a repair)?  If so it has been
 * unlinked.  No glibc mutex operation (L6): pool reclaim frees the dead. */
bool waiter_reap(struct wpool *wp, uint32_t *head, uint32_t *tail,
		 uint32_t idx);
/* Does the record's owner hold "alive" (read, not taken: L5)? */
bool waiter_holds_alive(struct waiter *w);
void wl_append(struct wpool *wp, uint32_t *head, uint32_t *tail,
	       uint32_t idx);
void wl_remove(struct wpool *wp, uint32_t *head, uint32_t *tail,
	       uint32_t idx);
void waiters_rebuild(struct wpool *wp, uint64_t gen, struct wlists *wl);
void wl_insert_prio(struct wpool *wp, uint32_t *head, uint32_t *tail,
		    uint32_t idx);
/* Before a change that may let sleepers go on before any is posted (room
 * made, IPC_SET): arm on the first live sender (or receiver, if also
 * receivers) (L6).  The first post() or pend_clear() disarms. */
void wl_arm(struct wpool *wp, struct wlists *wl, bool receivers);
void waiters_post_all(struct wpool *wp, uint64_t gen, int err);
/* For store_rebuild(): ctx is the queue's pool. */
bool keep_inflight(void *ctx, uint64_t gen, uint32_t owner, uint32_t head,
		   const struct msg *m);

/* Does a message of type mtype match selector (type, mode)? (msgrcv's) */
static inline bool testmsg(int64_t mtype, int64_t type, int mode)
{
	switch (mode) {
	case SEARCH_ANY:
	case SEARCH_NUMBER:
		return true;
	case SEARCH_LESSEQUAL:
		return mtype <= type;
	case SEARCH_EQUAL:
		return mtype == type;
	case SEARCH_NOTEQUAL:
		return mtype != type;
	}
	return false;
}

/*
 * A blocking peek's record (WK_PEEK) waits on the receivers' list for a
 * message it selects; its sel_mode is the selector with SEL_PEEK, which
 * testmsg() matches with nothing, so that only a walker that knows
 * peekers ever looks at one.  A send that queues the message wakes the
 * peekers asleep from the first one it found on (wake_peekers), leaving
 * them linked; each takes itself off and looks again.  A send that hands
 * its message to a receiver wakes none: it was never queued.
 */
#define SEL_PEEK	0x100
static inline bool peeker_wants(const struct waiter *w, int64_t mtype)
{
	return __atomic_load_n(&w->futex, __ATOMIC_RELAXED) == W_WAITING &&
	       testmsg(mtype, w->sel_type, w->sel_mode & ~SEL_PEEK);
}
void wake_peekers(struct wpool *wp, uint32_t from, int64_t mtype);

/*
 * A queue's lane as lane.c sees it, System V or POSIX: set once when the
 * queue's records are mapped (sq.c, pdesc.c), so that a call builds
 * nothing.  The counters are the queue's own (L12).
 */
struct pview;
struct lq {
	struct lane *l;
	char *ring;			/* LANE_SIZE bytes */
	bool posix;
	const struct qctl *q;		/* System V: perms and qbytes, live */
	int64_t maxmsg;			/* POSIX: room, in messages */
	int64_t msgsize;		/* POSIX: the longest message */
	struct ns *ns;
	struct qview *v;		/* the store a close moves into */
	uint64_t *qnum, *qbytes;	/* the store's counts (queue lock) */
	uint32_t *events;		/* L10 */
	uint64_t *n_sent, *n_full, *n_empty, *hw_n, *hw_b;
	int32_t *spid, *rpid;
	int64_t *stime, *rtime;
	struct pages pg;		/* of the ring, asked for (pages.c) */
};

/* ---- sq.c: System V queues as this process maps them ------------------ */

/*
 * One generation of a queue, mapped: its control block (read-only when
 * the OS lets us no further: MSG_STAT_ANY still works), and, when we may
 * write, its waiter records and store.  Counted references: the index's
 * entry in ns->sq holds one, each call using it another, and it is
 * unmapped when the last goes, so a thread asleep on a removed queue
 * still has its records and its handed-off message.
 */
struct sq {
	struct ns *ns;
	uint64_t gen;
	uint32_t idx;
	bool rw;			/* control, records and store writable */
	struct qfile *f;
	struct qctl *q;			/* &f->q */
	void *wbase;			/* the records' mapping */
	struct wpool wp;
	struct qview v;			/* the store: moves as it grows (L4) */
	uint64_t guard;			/* L4: guard_enter() */
	struct lq lq;			/* set when the records are mapped */
	int64_t refs;			/* besides those counted in ns->sq */
	int data;			/* sq_data(): 1 mapped, 0 not yet, -errno */
};

/* The queue at index idx, whatever its sequence: a reference, or -EINVAL
 * (none there), -ENOMEM. */
int sq_get(struct ns *ns, uint32_t idx, struct sq **out);
/* The queue of generation gen (a registry entry named it): a reference,
 * or -ENOENT (no such queue), -EUCLEAN (not a control block). */
int sq_open(struct ns *ns, uint64_t gen, struct sq **out);
/* Map it from descriptors already open (datafd -1: open it if rw). */
int sq_map(struct ns *ns, uint64_t gen, int fd, bool rw, uid_t owner,
	   int datafd, size_t datasize, struct sq **out);
struct sq *sq_cached(struct ns *ns, uint32_t idx, uint64_t gen);
/* Map the records and the store, if not yet: before taking the lock. */
int sq_data(struct sq *s);
void sq_publish(struct sq *s);
void sq_put(struct sq *s);
/* The lane's ring, for unlocked counts (lane_total); NULL: not mapped. */
static inline const char *lane_ring(struct sq *s)
{
	return __atomic_load_n(&s->data, __ATOMIC_ACQUIRE) == 1 ? s->lq.ring :
								  NULL;
}
void sq_forget_all(struct ns *ns);
/* Under the queue lock: follow the store if it grew elsewhere (L4). */
static inline int sq_store(struct sq *s)
{
	if (likely(s->v.st->nchunks == s->v.nchunks))
		return 0;
	return qview_follow(s->ns, &s->v);
}

static inline bool sq_live(const struct sq *s)
{
	return __atomic_load_n(&s->q->state, __ATOMIC_ACQUIRE) == SLOT_LIVE;
}

/* Does this thread hold the queue's lock or a lane side's?  Only a
 * signal handler's call can find it so (DESIGN §8): one that needs the
 * lock must not wait for it. */
static inline bool sq_mine(const struct sq *s)
{
	return lock_mine(&s->q->lock) || lock_mine(&s->f->lane.slock) ||
	       lock_mine(&s->f->lane.rlock);
}

/* ---- lane.c: plain sends and receives without the queue lock (L14) ---- */

void lane_sysv(struct lq *lq, struct sq *s);
void lane_posix(struct lq *lq, struct pview *pv);

#define LANE_PASS	(-0x10000)	/* not the lane's: take the queue lock (no errno) */
#define LANE_SHUT	(-0x10001)	/* the same, because the gate is shut */
#define LANE_BLOCK	(-0x10002)	/* LANE_NOSPIN's call would block */
/* In lane_send's and lane_recv's flags: a POSIX call on a descriptor
 * that was non-blocking when last looked at: where the call would block
 * it returns LANE_BLOCK, for the caller to ask the descriptor and call
 * again with IPC_NOWAIT (refused in the lane: EAGAIN, counted) or 0. */
#define LANE_NOSPIN	0x1000000
/* 0, -errno, LANE_PASS or LANE_SHUT; *spun as proc_spin_first's end.
 * key: System V mtype, POSIX -priority. */
int lane_send(struct lq *lq, int64_t key, const void *text, size_t sz,
	      int flg, int64_t *spun);
/* The length received, -errno, or LANE_PASS.  System V: mtype and text
 * at msgp; POSIX: text at msgp, priority at *prio (if not NULL). */
long lane_recv(struct lq *lq, void *msgp, size_t sz, unsigned *prio,
	       int flg, int64_t *spun);
/* Under the queue lock, its store followed: move the lane's messages
 * into the store and keep the lane shut; 0 or -errno (the lane then
 * stays closing, or, where a side's lock was not had within the call's
 * bound, as it was). */
int lane_close(struct lq *lq);
/* Under the queue lock, at the end of a plain send or receive, when the
 * store is empty and nobody waits or watches (the caller's to say):
 * open the gate. */
void lane_reopen(struct lq *lq);
static inline bool lane_is_open(const struct lane *l)
{
	return __atomic_load_n(&l->gate, __ATOMIC_ACQUIRE) == LANE_OPEN;
}
static inline bool lane_shut(const struct lane *l)
{
	return __atomic_load_n(&l->gate, __ATOMIC_RELAXED) == LANE_CLOSED;
}
/* Unlocked readers (L9's kind of answer): what the queue holds, from the
 * lane while it is open (the store is then empty), else from the
 * store's counts *qnum and *qbytes; and the gate seen: LANE_OPEN or
 * LANE_CLOSED, exact at some instant of the call; anything else, a
 * close was moving the lane into the store (the store's part only).
 * ring: the lane's ring, or NULL if not mapped (then a record committed
 * and not yet counted, L14, is not counted either); pg: the pages of it
 * this process asked for (pages.c), or NULL for a mapping unmapped after
 * the call, whose pages a read of a hole may mend at no cost. */
uint32_t lane_total(const struct lane *l, const char *ring,
		    struct pages *pg, bool posix,
		    const uint64_t *qnum, const uint64_t *qbytes,
		    uint64_t *msgs, uint64_t *bytes);
/* Tests: this process's calls never use the lane. */
extern int umq_lane_off;

/* A line that only changes when the value does stays shared between the
 * CPUs of a sender and a receiver. */
static inline void set_if_changed32(int32_t *f, int32_t v)
{
	if (*f != v)
		*f = v;
}

static inline void set_if_changed64(int64_t *f, int64_t v)
{
	if (*f != v)
		*f = v;
}

/* ---- registry.c: keys, ids and the queues behind them ------------------ */
/* The live queue with key: a reference, or -ENOENT. */
int reg_find_key(struct ns *ns, key_t key, struct sq **out);
/* Create a queue: its id (and a reference in *out), or -errno. */
int reg_create(struct ns *ns, key_t key, int msgflg, struct sq **out);
int reg_id(const struct sq *s);
/* Lock the queue an id names: 0 with its lock and a reference held,
 * -EINVAL if the id names no queue, -EACCES if the OS lets us not write
 * it (after the permission check, which the caller may not repeat),
 * -EDEADLK in a signal handler whose interrupted code holds it (§8). */
int q_lock_id(struct ns *ns, int id, struct sq **out);
/* q_lock_id(), but locked even if the lane's messages could not join the
 * store (no -ENOMEM; the lane may then be open still): for IPC_RMID,
 * which drops them all, and must free a full filesystem's room. */
int q_lock_id_any(struct ns *ns, int id, struct sq **out);
/* q_lock_id() in two: the queue, mapped, unlocked; then locked (q_done()
 * on failure: -EIDRM). */
int q_find_id(struct ns *ns, int id, struct sq **out);
/* -ENOMEM (not locked): the lane's messages could not join the store. */
int q_lock_found(struct sq *s);
/* As q_lock_found, but 1 (not locked) if the lane could not be closed
 * and is open again: a msgtyp-0 receive takes from it. */
int q_lock_lane(struct sq *s);
void q_lock(struct sq *s);
/* Locked: 0 once the lane is shut, -ENOMEM if it could not be (still
 * locked): for a loop that took the lock again with q_lock(). */
int q_settled(struct sq *s);
/* A caller the lane turned away as shut: true if a holder opened it
 * meanwhile (the lock is not held), else false with the lock held, as
 * q_lock_found() (-EIDRM: not held). */
int q_lock_unless_open(struct sq *s);
void q_unlock(struct sq *s);
/* q_unlock and sq_put. */
void q_done(struct sq *s);
/* IPC_RMID, under the queue lock; then reg_unlink once it is dropped. */
void reg_remove(struct sq *s);
void reg_unlink(struct sq *s);
int reg_remove_damaged(struct ns *ns, int id);
/* Collect what creations and removals cut short left (O(queues)). */
void reg_sweep(struct ns *ns);
/* The namespace's System V queue count, as the directory says. */
int reg_count(struct ns *ns);
/* The indexes in sysv/, in order (malloc'ed in *out): their count. */
int reg_indexes(struct ns *ns, int32_t **out);
/* fn on every live queue, in no order, until it returns non-zero. */
int reg_each(struct ns *ns, int (*fn)(struct sq *s, void *ctx), void *ctx);

int q_mend_store(struct sq *s);

/* ---- posix.c, mqio.c, notify.c: POSIX queues --------------------------- */

/* The ceilings of mq_maxmsg and mq_msgsize, even with CAP_SYS_RESOURCE. */
#define PQ_HARD_MSGMAX		65536
#define PQ_HARD_MSGSIZEMAX	(16 << 20)

/* This process's view of one POSIX queue. */
struct pview {
	struct ns *ns;
	uint64_t gen;
	struct pqctl *ctl;		/* first page: never moves (L3) */
	int64_t maxmsg, msgsize;	/* ctl's, checked once: fixed for life */
	struct wpool wp;		/* its waiter records, mapped with it */
	struct qview v;			/* the store: may move when it grows */
	uint64_t guard;			/* L4: guard_enter() */
	struct lq lq;			/* its lane (lane.c) */
	unsigned refs;			/* descriptors (and helpers) using it */
	struct pnote *note;		/* notify.c's, under the queue lock */
	struct pview *next;
};

/* What this process knows of one descriptor number. */
struct pdesc {
	struct pview *pv;		/* NULL: not a queue we know */
	int acc;			/* O_RDONLY, O_WRONLY, O_RDWR or 3 */
	bool nb;			/* O_NONBLOCK when last looked at */
	bool watched;			/* its description watches (pwatch.c) */
};

/*
 * An mqd_t is a read-write descriptor of the queue's FIFO, whatever its
 * access mode, so that poll sees POLLIN and POLLOUT as on the kernel
 * (ready.c).  The access mode is marked in its open description by flags
 * a FIFO ignores and F_SETFL cannot change: it survives dup, fork and
 * exec, and cannot be widened with fcntl().
 */
#define MQD_NOREAD	O_NOFOLLOW
#define MQD_NOWRITE	O_DSYNC

static inline int mqd_oflags(int acc)
{
	return O_RDWR | (acc == O_WRONLY || acc == 3 ? MQD_NOREAD : 0) |
	       (acc == O_RDONLY || acc == 3 ? MQD_NOWRITE : 0);
}

static inline int mqd_acc(int fl)
{
	static const int acc[2][2] = { { O_RDWR, O_RDONLY },
				       { O_WRONLY, 3 } };

	return acc[!!(fl & MQD_NOREAD)][!!(fl & MQD_NOWRITE)];
}

int pdesc_get(int fd, struct pdesc **out);
struct pdesc *dslot(int fd, bool make);
void desc_set(int fd, struct pview *pv, int acc);
int pview_get(struct ns *ns, uint64_t gen, int fd, struct pview **out);
int pview_made(struct ns *ns, uint64_t gen, void *base, size_t size,
	       struct pview **out);
enum pq_file { PQ_DATA, PQ_FIFO, PQ_NOTE };
int pq_store_sync(struct pview *pv);
/* mq_open's permission check of acc (O_RDONLY...) on a queue: 0/-EACCES. */
int pq_may_open(const struct pqctl *c, int acc);
/* mq_open's checks of a name; *name is then without its '/' (mqlist.c). */
int pq_name_check(const char **name);
struct stat;
/* The generation names/<name> points to, or -errno (mqlist.c). */
int64_t pq_name_gen(struct ns *ns, const char *name, struct stat *st);
void pq_path(char *buf, size_t n, uint64_t gen, enum pq_file f);
void pq_lock(struct pview *pv);
int pq_lock_all(struct pview *pv);
int pq_settled(struct pview *pv);
int pq_lock_call(struct pview *pv);
int pq_lock_unless_open(struct pview *pv);
int pq_mend(struct pview *pv);
void pq_complete_senders(struct pview *pv);
void pq_unlock(struct pview *pv);
/* held.c: is a POSIX queue open somewhere (its FIFO's OFD locks)?  When
 * it cannot tell, yes.  _listed: by /proc/locks alone. */
bool fifo_held(int dfd, const char *fifo);
bool fifo_held_listed(int dfd, const char *fifo);
void pview_ref(struct pview *pv);
void pview_unref(struct pview *pv);
/* For the preload's close/dup hooks (pdesc.c, posix.c). */
struct pview *pdesc_take(int fd);
void pdesc_dup(int oldfd, int newfd);
int pdesc_next(int fd);
void pq_closed(struct pview *pv);
/* Under the queue lock: give the FIFO the queue's state, through fd, a
 * descriptor of it (ready.c).  mqd_sync costs nothing unless it changed. */
void mqd_sync(struct pview *pv, int fd);
void mqd_reset(struct pview *pv, int fd);
void mqd_new(struct pview *pv, int fd);

/* pwatch.c, under the queue lock: make fd's description a watcher (0,
 * -ENOLCK, -ENOMEM if the lock could not shut the lane); clear the queue's watch word if no description is one any
 * more, asking through fd (a descriptor of the FIFO that watches not
 * itself) or, if -1, one opened for it, and open the lane if it may. */
int pq_watch_locked(struct pview *pv, int fd);
void pq_watch_check(struct pview *pv, int fd);
/* Under the queue lock, at the end of a call that may have emptied the
 * store: the lane takes traffic again, if nobody waits, watches or is to
 * be notified (L14). */
void pq_reopen(struct pview *pv);
/* Does this thread hold the queue's lock or a lane side's (sq_mine)? */
static inline bool pq_mine(const struct pview *pv)
{
	return lock_mine(&pv->ctl->lock) ||
	       lock_mine(&pv->ctl->lane.slock) ||
	       lock_mine(&pv->ctl->lane.rlock);
}

/* The wait of a blocked caller, for mqio.c and peek.c: as sysv.c's, with
 * the descriptor's O_NONBLOCK read when a call would block. */
bool pq_nonblocking(struct pdesc *d, int fd);
bool pq_spin_first(struct pview *pv, int64_t *spun, uint32_t mask);
long pq_wait_on(struct pview *pv, int *fd, struct waiter *w, uint32_t me,
		bool recv, const struct deadline *dl);
void pq_leave_list(struct pview *pv, struct waiter *w, uint32_t me,
		   bool recv, long r, bool off);

/* Under the queue lock: a message made the queue non-empty.  A signal
 * for this very process is left in *nt, for notify_send() once the lock
 * is dropped (a handler may use the queue). */
struct notice {
	int signo;			/* 0: nothing to send */
	union sigval value;
};
void notify_fire(struct pview *pv, struct notice *nt);
void notify_send(const struct notice *nt);
void notify_drop_own(struct pview *pv);
int notify_status(struct pview *pv, char *buf, size_t n);

/* ---- ready.c: readiness FIFOs (POSIX descriptors, System V msgfd) ----- */

/* What a queue's FIFO holds: one slot per state above empty. */
enum { RS_EMPTY = 0, RS_SOME = 1, RS_FULL = 2, RS_UNKNOWN = 3 };

static inline uint32_t rs_of(bool some, bool room)
{
	return !some ? RS_EMPTY : room ? RS_SOME : RS_FULL;
}

/*
 * Under the queue lock, fd a descriptor of the queue's FIFO: make it hold
 * `want`, *have being what it was last given (RS_UNKNOWN while changing).
 * ready_set costs nothing when the state is unchanged, one or two system
 * calls when it changes; ready_reset starts the FIFO afresh.  0 or -errno
 * (*have is then RS_UNKNOWN, for the next holder to retry).
 */
int ready_set(int fd, uint32_t *have, uint32_t want);
int ready_reset(int fd, uint32_t *have, uint32_t want);
int ready_new(int fd, uint32_t *have, uint32_t want);

/* System V queues watched by umq_msgfd(): the FIFO sysv/m.<gen>.p. */
void msgfd_path(char *buf, size_t n, uint64_t gen);
uint32_t msgfd_state(const struct qctl *q);
void msgfd_update(struct sq *s);
void msgfd_gone(struct sq *s);

/* Under the queue lock, after qnum, cbytes or qbytes may have changed:
 * one load and no system call unless a umq_msgfd() descriptor watches
 * and the state changed. */
static inline void msgfd_sync(struct sq *s)
{
	if (unlikely(s->q->watch))
		msgfd_update(s);
}

/* ---- stats.c ---------------------------------------------------------- */
/* A System V slot taken by a new queue: its counters start at 0. */

/* ---- sysv.c ------------------------------------------------------------ */

/* msgrcv's (msgtyp, msgflg) as a store selector; *type made positive. */
int convert_mode(long *type, int flg);
static inline bool same_queue(const struct qctl *q, uint64_t gen)
{
	return q->state == SLOT_LIVE && q->gen == gen;
}
/* The wait of a blocked caller, for sysv.c and peek.c (§4): spin, then
 * sleep on the record linked on its list (the receivers' with recv);
 * off the list after a wake-up that did not complete the call; done. */
bool sv_spin_first(struct sq *s, int64_t *spun, uint32_t mask);
long sv_wait_on(struct sq *s, struct waiter *w, uint32_t me, bool recv,
		const struct deadline *dl);
void sv_leave_list(struct sq *s, struct waiter *w, uint32_t me, bool recv,
		   long r);
void sv_drop_record(struct sq *s, uint64_t gen, struct waiter *w,
		    uint32_t me, bool recv);
void wake_senders(struct sq *s);
void wake_receivers(struct sq *s);
long do_msgsnd(int id, const void *msgp, size_t sz, int flg,
	       const struct deadline *dl);
long do_msgrcv(int id, void *msgp, size_t sz, long type, int flg,
	       const struct deadline *dl);
/* Check a caller's (clock, timeout) pair: 0 or -EINVAL/-EFAULT. */
int deadline_make(struct deadline *dl, clockid_t clk,
		  const struct timespec *abs);

#endif
