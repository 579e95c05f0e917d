/* SPDX-License-Identifier: MIT */
/*
 * sq.c - this process's mappings of System V queues, one struct sq per
 * queue generation, and the table that finds the current one by index.
 *
 * A queue's files are sysv/q.<gen> (its control block) and sysv/m.<gen>
 * (its waiter records, its lane's ring, then its store).  Whoever may write the queue maps
 * both; anyone else maps the control block read-only, which is what
 * MSG_STAT_ANY and listings read, and can do nothing else: the OS keeps
 * the files' modes at the queue's envelope (cred.c).
 *
 * The table ns->sq[idx] holds the mapping last found at each index, with
 * a split reference count: the entry packs the pointer with a count of
 * the references taken through it, so that taking one is a single atomic
 * add, and replacing the entry hands that count to the struct it leaves
 * (sq->refs), which is unmapped when both reach zero.  So a caller never
 * sees a mapping disappear under it, and nothing is locked.
 *
 * Each thread also keeps one reference of its own on the queue it used
 * last (struct lent): while the table still holds that mapping, a call
 * on the same queue borrows it with no atomic operation - two fewer per
 * call, a fifth of a lane send and receive alone.  References are
 * interchangeable, so the accounting is a count: of this thread's
 * current uses of the lent queue, `borrowed` are covered by its one
 * reference and the others hold references of their own; sq_put() of
 * the lent queue gives back a borrowed use first.  Another queue is
 * lent only when no use is borrowed and neither borrow() nor lend() is
 * under way (`busy`, raised before the lent queue is read), so a signal
 * handler's calls in between never swap it underneath (the syscalls umq
 * stands for are async-signal-safe).  `busy` is not `borrowed`: a
 * handler's put of the lent queue at such an instant is of a reference
 * of its own, and must give it back.
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define PTR_MASK	((1ull << 48) - 1)
#define ONE_REF		(1ull << 48)

static struct sq *ptr_of(uint64_t e)
{
	return (struct sq *)(uintptr_t)(e & PTR_MASK);
}

static void destroy(struct sq *s)
{
	if (s->v.st)
		map_unmap(s->v.st, s->v.size);
	pages_fini(&s->v.pg);
	if (s->wbase)
		map_unmap(s->wbase, M_STORE_OFF);
	map_unmap(s->f, sizeof(*s->f));
	free(s);
}

static void unref(struct sq *s, int64_t n)
{
	if (__atomic_sub_fetch(&s->refs, n, __ATOMIC_ACQ_REL) == 0)
		destroy(s);
}

static __thread struct lent {
	struct sq *s;		/* with one reference of this thread's */
	unsigned borrowed;	/* uses of s covered by that reference */
	unsigned busy;		/* in borrow() or lend(): s stays */
} lent;

static void put_ref(struct sq *s);

/* At thread exit: its lent queue's reference goes back. */
static pthread_key_t lent_key = (pthread_key_t)-1;

static void lent_exit(void *unused)
{
	struct sq *s = lent.s;

	(void)unused;
	if (s && !lent.borrowed && !lent.busy) {
		lent.s = NULL;
		put_ref(s);
	}
}

/* At load, not on a first call: pthread_once() would make a system
 * call (FUTEX_WAKE) in the middle of someone's msgsnd. */
__attribute__((constructor)) static void lent_init(void)
{
	pthread_key_t k;

	if (!pthread_key_create(&k, lent_exit))
		lent_key = k;
}

/* Borrow the lent queue if the table at idx still holds it, live. */
static struct sq *borrow(uint64_t *slot)
{
	struct sq *s;

	lent.busy++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	s = lent.s;
	if (s && ptr_of(__atomic_load_n(slot, __ATOMIC_ACQUIRE)) == s &&
	    sq_live(s))
		lent.borrowed++;
	else
		s = NULL;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	lent.busy--;
	return s;
}

/* s, taken with a reference, becomes the lent queue if no use of the
 * current one is borrowed: that reference is then the lent one. */
static void lend(struct sq *s)
{
	struct sq *old;

	if (lent.borrowed || lent.busy || lent.s == s)
		return;
	if (lent_key == (pthread_key_t)-1 ||
	    pthread_setspecific(lent_key, &lent))
		return;			/* no exit hook: nothing lent */
	lent.busy = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	old = lent.s;
	lent.s = s;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	lent.borrowed = 1;		/* the caller's use, from here */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	lent.busy = 0;
	if (old)
		put_ref(old);
}

/* A namespace being closed: this thread's lent queue, if it is one of
 * that namespace's (nobody else in the process uses it, ns_close). */
static void lent_forget(struct ns *ns)
{
	struct sq *s = lent.s;

	if (s && s->ns == ns && !lent.borrowed && !lent.busy) {
		lent.s = NULL;
		put_ref(s);
	}
}

/*
 * A put of the lent queue while uses of it are borrowed gives one of
 * them back, whether this use was borrowed or held a reference of its
 * own (which then covers one that was).  Done by a signal handler
 * between this thread's load and store of `borrowed`, that would be
 * lost; so sq_get and sq_cached hand out no reference of their own on
 * the queue lent when they look (they borrow it, or give theirs back):
 * a handler's puts of the lent queue are of its borrowed uses only
 * (short of a handler interrupted by another).
 */
void sq_put(struct sq *s)
{
	if (s == lent.s && lent.borrowed) {
		lent.borrowed--;
		return;
	}
	put_ref(s);
}

static void put_ref(struct sq *s)
{
	uint64_t *slot = &s->ns->sq[s->idx];
	uint64_t e = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	/* Taken through the entry: given back there while it still holds
	 * us, else to the struct, which then holds the entry's count. */
	while (ptr_of(e) == s && e >= ONE_REF)
		if (__atomic_compare_exchange_n(slot, &e, e - ONE_REF, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return;
	unref(s, 1);
}

/* Put s in the table at its index; the caller's reference stays its
 * own.  The struct it replaces loses the table's reference and gets the
 * count of those taken through the entry. */
static void install(struct sq *s)
{
	uint64_t old;

	/* A pointer that does not fit the entry (an address above 2^48,
	 * LA57 with a high mmap hint) is not cached: every call maps. */
	if ((uintptr_t)s & ~PTR_MASK)
		return;
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);	/* the table's */
	old = __atomic_exchange_n(&s->ns->sq[s->idx], (uint64_t)(uintptr_t)s,
				  __ATOMIC_ACQ_REL);
	if (ptr_of(old))
		unref(ptr_of(old), 1 - (int64_t)(old >> 48));
}

/* A reference through the entry, or NULL if it is empty or its count is
 * full (65,535 references at once: the caller maps the queue anew). */
static struct sq *take(uint64_t *slot)
{
	uint64_t e = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	while (ptr_of(e) && e < ~PTR_MASK)
		if (__atomic_compare_exchange_n(slot, &e, e + ONE_REF, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return ptr_of(e);
	return NULL;
}

static int open_ctl(struct ns *ns, uint64_t gen, int *fd, bool *rw)
{
	char path[48];
	struct fs_as as;

	ctl_path(path, sizeof(path), gen);
	cred_fs_enter(&as);	/* as euid (cred.c) */
	/* O_NONBLOCK: a FIFO in its place must not hang us. */
	*fd = fd_open(ns->dirfd, path, O_RDWR | O_NOFOLLOW | O_NONBLOCK |
		      O_CLOEXEC, 0);
	*rw = *fd >= 0;
	if (*fd < 0 && errno == EACCES)
		*fd = fd_open(ns->dirfd, path, O_RDONLY | O_NOFOLLOW |
			      O_NONBLOCK | O_CLOEXEC, 0);
	cred_fs_leave(&as);
	if (*fd >= 0)
		return 0;
	/* Readable by all while live: refused, a removed queue's, between
	 * its remover's chmod and unlink (unmake_files): no queue. */
	if (errno == EACCES && file_dead(ns->dirfd, path))
		return -ESTALE;
	return errno == ENOENT || errno == ELOOP ? -ENOENT :
	       errno == EMFILE || errno == ENFILE ? -ENOMEM : -errno;
}

/*
 * The records and the store, mapped at once: for those the OS lets write
 * them.  A store that does not check out leaves the records mapped (the
 * queue can still be removed, its sleepers woken).
 */
static int map_data(struct sq *s, int fd, size_t size)
{
	void *p;
	int r;

	store_path(s->v.path, sizeof(s->v.path), s->gen);
	/* Mapped already by a try whose store could not be: kept. */
	if (s->wbase)
		return qview_map(&s->v, fd, (off_t)M_STORE_OFF, s->gen);
	p = map_queue_file(fd, M_STORE_OFF, &size);
	if (!p)
		return (int)(ssize_t)size;
	if (map_watch(p, M_STORE_OFF)) {		/* map.c */
		munmap(p, size);
		return -ENOMEM;
	}
	s->wbase = p;
	wpool_at(&s->wp, p);
	lane_sysv(&s->lq, s);
	if (size < M_STORE_OFF + STORE_HDR_SIZE)
		r = -EUCLEAN;
	else
		r = qview_adopt(&s->v, (char *)p + M_STORE_OFF,
				size - M_STORE_OFF, (off_t)M_STORE_OFF, s->gen);
	if (r && size > M_STORE_OFF)
		munmap((char *)p + M_STORE_OFF, size - M_STORE_OFF);
	return r;
}

static int open_data(struct ns *ns, uint64_t gen)
{
	struct fs_as as;
	char path[48];
	int fd;

	store_path(path, sizeof(path), gen);
	cred_fs_enter(&as);	/* as euid (cred.c) */
	fd = fd_open(ns->dirfd, path, O_RDWR | O_NOFOLLOW | O_NONBLOCK |
		     O_CLOEXEC, 0);
	cred_fs_leave(&as);
	if (fd < 0)
		return errno == EACCES ? -EACCES : errno == ENOENT ||
		       errno == ELOOP ? -ENOENT : -ENOMEM;
	return fd;
}

/*
 * Map generation gen from its control block's descriptor (read-write if
 * rw), whose owner the OS says is owner; and, if datafd >= 0, its data
 * file, of datasize bytes (0: ask the OS).  The descriptors stay the
 * caller's.
 */
int sq_map(struct ns *ns, uint64_t gen, int fd, bool rw, uid_t owner,
	   int datafd, size_t datasize, struct sq **out)
{
	struct sq *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->ns = ns;
	s->gen = gen;
	s->f = map_shared(sizeof(*s->f), rw ? PROT_READ | PROT_WRITE :
			  PROT_READ, fd, 0);
	if (s->f == MAP_FAILED) {
		free(s);
		return -ENOMEM;
	}
	s->refs = 1;
	s->q = &s->f->q;
	s->idx = __atomic_load_n(&s->f->idx, __ATOMIC_RELAXED);
	/* The creator is whoever the OS says made the file (layout.h). */
	if (s->f->magic != Q_MAGIC || s->f->version != UMQ_LAYOUT_VERSION ||
	    s->idx >= IPCMNI || s->q->gen != gen || s->q->cuid != owner) {
		/* Not a queue's control block: the entry is stale. */
		r = s->f->magic == Q_MAGIC && s->f->version !=
		    UMQ_LAYOUT_VERSION ? -EPROTO : -ESTALE;
		goto fail;
	}
	s->rw = rw;
	if (datafd >= 0) {
		r = map_data(s, datafd, datasize);
		if (r)
			goto fail;
		__atomic_store_n(&s->data, 1, __ATOMIC_RELEASE);
	}
	*out = s;
	return 0;
fail:
	unref(s, 1);
	return r;
}

int sq_open(struct ns *ns, uint64_t gen, struct sq **out)
{
	struct stat st;
	bool rw;
	int fd, r = open_ctl(ns, gen, &fd, &rw);

	if (r)
		return r;
	/* Mapped beyond the file's end, the block would be SIGBUS.  A
	 * queue's files always let their owner read and write: without,
	 * they are a removed queue's (unmake_files, registry.c). */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size != sizeof(struct qfile) ||
	    (st.st_mode & 0600) != 0600)
		r = -ESTALE;
	else
		r = sq_map(ns, gen, fd, rw, st.st_uid, -1, 0, out);
	close(fd);
	return r;
}

/* s->data while a thread of process pid maps: below every -errno. */
#define CLAIM_BASE	(INT_MIN / 2)
#define CLAIM(pid)	(CLAIM_BASE - (int)(pid))

/*
 * The records and the store, mapped at the first call that needs them
 * (a lookup needs only the control block): 0, or -EACCES when the OS
 * lets us not write them (s->rw is then false), -errno.
 *
 * One thread maps; s->data says which process it is in, not a mutex: the
 * child of a fork() made meanwhile has no such thread, and takes over
 * instead of waiting for it for ever (the pid is fresh in any child,
 * proc.c).  What the lost thread had mapped stays, unused, in the child.
 */
int sq_data(struct sq *s)
{
	int r, fd, me;

	r = __atomic_load_n(&s->data, __ATOMIC_ACQUIRE);
	if (likely(r == 1))
		return 0;
	if (!s->rw)
		return -EACCES;
	me = CLAIM(proc_pid());
	for (;;) {
		if (r == 1)
			return 0;
		if (r < 0 && r > CLAIM_BASE)
			return r;		/* an error for good */
		if (r == me) {			/* another thread of ours */
			struct timespec ts = { 0, 1000000 };
			syscall(SYS_futex, &s->data, FUTEX_WAIT_PRIVATE, r,
				&ts, NULL, 0);
			r = __atomic_load_n(&s->data, __ATOMIC_ACQUIRE);
			continue;
		}
		/* Nobody's, or a claim from before a fork: ours. */
		if (__atomic_compare_exchange_n(&s->data, &r, me, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_ACQUIRE))
			break;
	}
	fd = open_data(s->ns, s->gen);
	r = fd < 0 ? fd : map_data(s, fd, 0);
	if (fd >= 0)
		close(fd);
	if (r == -EACCES)
		s->rw = false;	/* the store's envelope is narrower */
	__atomic_store_n(&s->data, r == 0 ? 1 : r == -EACCES ||
			 r == -ENOENT || r == -EUCLEAN || r == -EPROTO ? r : 0,
			 __ATOMIC_RELEASE);
	syscall(SYS_futex, &s->data, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL,
		0);
	return r;
}

/* The table's mapping of index idx if it is generation gen: a
 * reference, or NULL. */
struct sq *sq_cached(struct ns *ns, uint32_t idx, uint64_t gen)
{
	struct sq *s;

	if (idx >= IPCMNI)
		return NULL;
	s = borrow(&ns->sq[idx]);
	if (!s) {
		s = take(&ns->sq[idx]);
		if (s && s == lent.s) {	/* gone, or lent since: see sq_put */
			put_ref(s);
			s = NULL;
		}
	}
	if (s && s->gen != gen) {
		sq_put(s);
		s = NULL;
	}
	return s;
}

/* Give the table a new queue's mapping (reg_create). */
void sq_publish(struct sq *s)
{
	install(s);
}

/* The generation an index entry names: > 0, or -ENOENT. */
static int64_t idx_entry(struct ns *ns, uint32_t idx)
{
	char name[24], target[24];
	ssize_t n;

	snprintf(name, sizeof(name), "i.%u", idx);
	n = readlinkat(ns->sysvfd, name, target, sizeof(target) - 1);
	if (n <= 0)
		return -ENOENT;
	target[n] = 0;
	return (int64_t)strtoull(target, NULL, 16) ?: -ENOENT;
}

int sq_get(struct ns *ns, uint32_t idx, struct sq **out)
{
	struct sq *s = borrow(&ns->sq[idx]);
	int64_t gen;
	int r;

	if (likely(s)) {
		*out = s;
		return 0;
	}
	s = take(&ns->sq[idx]);
	if (likely(s && sq_live(s))) {
		lend(s);
		*out = s;
		return 0;
	}
	/* Nothing mapped, or what is mapped is gone: ask the registry. */
	gen = idx_entry(ns, idx);
	if (s && (gen < 0 || s->gen == (uint64_t)gen)) {
		put_ref(s);		/* a stale entry: no queue */
		return -EINVAL;
	}
	if (s)
		put_ref(s);
	if (gen < 0)
		return -EINVAL;
	r = sq_open(ns, (uint64_t)gen, &s);
	/* A queue whose store is damaged is there, and says so. */
	if (r)
		return r == -ENOMEM || r == -EUCLEAN || r == -EPROTO ? r :
		       -EINVAL;
	if (s->idx != idx) {		/* an entry that lies */
		sq_put(s);
		return -EINVAL;
	}
	/* Two threads doing this at once each install theirs: the first
	 * one's goes when its users are done. */
	install(s);
	if (!sq_live(s)) {
		sq_put(s);
		return -EINVAL;
	}
	*out = s;
	return 0;
}

/* The table's references, for a namespace being closed. */
void sq_forget_all(struct ns *ns)
{
	lent_forget(ns);
	for (uint32_t i = 0; i < IPCMNI; i++) {
		uint64_t e = __atomic_exchange_n(&ns->sq[i], 0,
						 __ATOMIC_ACQ_REL);
		if (ptr_of(e))
			unref(ptr_of(e), 1 - (int64_t)(e >> 48));
	}
}
