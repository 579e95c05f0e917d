/* SPDX-License-Identifier: MIT */
/*
 * registry.c - System V keys and ids, kept by the filesystem (LOCKING L1).
 *
 * sysv/ is a sticky directory: an entry there can be removed or replaced
 * only by the user who made it (or the namespace owner, or root).  So a
 * user can make entries for its own queues, and nothing for anyone
 * else's.  An index is taken by symlink("<gen>", "i.<idx>"), a key by
 * symlink("<gen>", "k.<key>"): exclusive, one system call, no lock, and
 * no operation waits for another queue's.
 *
 * Ids are built as the kernel builds them (spec A3): index in the low 15
 * bits, sequence above, the index chosen by the kernel's cyclic allocator
 * over a window of max(64, 1.5 * queues) indexes from the last one given,
 * the sequence advanced when the cursor wraps.  The cursor and the count
 * are hints in the shared "ns" file: anyone may write them, so they only
 * choose among free indexes, and a count that would refuse a creation is
 * first recounted from sysv/.
 */
#include <dirent.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define STORE_CHUNK	128
#define STORE_CHUNKS	448		/* a first store of about 64 KiB */

static void key_name(char *buf, size_t n, key_t key)
{
	snprintf(buf, n, "k.%08x", (unsigned)key);
}

static void idx_name(char *buf, size_t n, uint32_t idx)
{
	snprintf(buf, n, "i.%u", idx);
}

static void gen_text(char *buf, size_t n, uint64_t gen)
{
	snprintf(buf, n, "%016llx", (unsigned long long)gen);
}

int reg_id(const struct sq *s)
{
	/* 16 bits of sequence: an id is never negative, whatever the
	 * block holds. */
	return (int)((s->q->seq & 0xffff) << IPCMNI_SHIFT | s->idx);
}

/* The index entries of sysv/, read at once: each an index, or -1 for
 * one that is not well formed.  -errno if it cannot be read. */
static int list_indexes(struct ns *ns, int32_t **out);

static int by_index(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

int reg_indexes(struct ns *ns, int32_t **out)
{
	int n = list_indexes(ns, out);

	if (n > 0)
		qsort(*out, (size_t)n, sizeof(**out), by_index);
	return n;
}

static int list_indexes(struct ns *ns, int32_t **out)
{
	int dfd = fd_open(ns->sysvfd, ".", O_RDONLY | O_DIRECTORY |
			  O_CLOEXEC, 0);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *e;
	int32_t *v = NULL;
	int n = 0, cap = 0;

	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return -ENOMEM;
	}
	while ((e = readdir(d))) {
		char *end;
		unsigned long i;
		if (e->d_name[0] != 'i' || e->d_name[1] != '.')
			continue;
		i = strtoul(e->d_name + 2, &end, 10);
		if (n == cap) {
			int32_t *nv = realloc(v, (size_t)(cap = cap * 2 + 64) *
					      sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[n++] = *end || i >= IPCMNI ? -1 : (int32_t)i;
	}
	closedir(d);
	*out = v;
	return n;
}

int reg_count(struct ns *ns)
{
	int32_t *v;
	int n = list_indexes(ns, &v);

	if (n > 0)
		free(v);
	return n < 0 ? 0 : n;
}

int reg_each(struct ns *ns, int (*fn)(struct sq *s, void *ctx), void *ctx)
{
	int32_t *v = NULL;
	int n = list_indexes(ns, &v), r = 0;

	for (int i = 0; i < n && !r; i++) {
		struct sq *s;
		if (v[i] < 0 || sq_get(ns, (uint32_t)v[i], &s))
			continue;
		r = fn(s, ctx);
		sq_put(s);
	}
	free(v);
	return n < 0 ? n : r;
}

/* The generation an entry names (and, for a key entry, the index it
 * says the queue has): > 0, -ENOENT, -EUCLEAN. */
static int64_t entry_gen_idx(struct ns *ns, const char *name, uint32_t *idx)
{
	char target[32], *end;
	ssize_t n = readlinkat(ns->sysvfd, name, target, sizeof(target) - 1);
	uint64_t gen;

	if (n < 0 && errno == EINVAL)
		return -EUCLEAN;	/* not a symlink: nothing of ours */
	if (n <= 0)
		return n < 0 && errno != ENOENT ? -errno : -ENOENT;
	target[n] = 0;
	gen = strtoull(target, &end, 16);
	*idx = *end == ':' ? (uint32_t)strtoul(end + 1, NULL, 10) : NIL;
	return gen && gen <= INT64_MAX ? (int64_t)gen : -EUCLEAN;
}

static int64_t entry_gen(struct ns *ns, const char *name)
{
	uint32_t idx;

	return entry_gen_idx(ns, name, &idx);
}

/*
 * Remove entry name if it still names gen (as entry_gen() says): 0, or
 * -errno (-ENOENT: it is gone, -EAGAIN: it names another now).  Never
 * by name after a look: in between, another may have removed it and a
 * creator made a live one there.  So the entry, seen to name gen, is
 * moved out of the way (atomic, only what was there), looked at again,
 * and put back if it is not the one meant.  (Moved without the first
 * look, another's live entry would be missing for a moment.)
 */
static int entry_drop(struct ns *ns, const char *name, int64_t gen)
{
	char tmp[48];
	int r = -EAGAIN;

	snprintf(tmp, sizeof(tmp), "x.%016llx.%d", (unsigned long long)gen,
		 (int)proc_tid());
	if (entry_gen(ns, name) != gen)
		return -EAGAIN;
	if (renameat2(ns->sysvfd, name, ns->sysvfd, tmp, RENAME_NOREPLACE)) {
		if (errno != EINVAL)
			return errno == EEXIST ? -EAGAIN : -errno;
		/* No RENAME_NOREPLACE here: look, then remove. */
		if (entry_gen(ns, name) != gen)
			return -EAGAIN;
		return unlinkat(ns->sysvfd, name, 0) ? -errno : 0;
	}
	if (entry_gen(ns, tmp) == gen) {
		if (!unlinkat(ns->sysvfd, tmp, 0))
			return 0;
		r = -errno;
	}
	/* Someone's new entry (or one we cannot remove): back where it
	 * was.  Made again meanwhile (a third creator), that one stays. */
	if (renameat2(ns->sysvfd, tmp, ns->sysvfd, name, RENAME_NOREPLACE))
		unlinkat(ns->sysvfd, tmp, 0);
	return r;
}

/* The queue a key entry names, if it is live and really has the key. */
static int key_lookup(struct ns *ns, const char *name, key_t key,
		      struct sq **out, int64_t *seen)
{
	uint32_t idx;
	int64_t gen = entry_gen_idx(ns, name, &idx);
	struct sq *s;
	int r;

	*seen = gen;
	if (gen == -ENOENT)
		return -ENOENT;
	if (gen < 0)
		return gen == -EUCLEAN ? -ESTALE : (int)gen;
	/* The index's mapping, if it is this generation: no new mapping.
	 * Else the index the entry claims is checked against the block. */
	s = sq_cached(ns, idx, (uint64_t)gen);
	if (!s) {
		r = sq_open(ns, (uint64_t)gen, &s);
		if (r)
			return r == -ENOMEM || r == -EACCES ? r : -ESTALE;
		if (s->idx != idx || !sq_live(s) || s->q->key != key) {
			sq_put(s);
			return -ESTALE;
		}
		/* For the calls on it that follow: the index's mapping. */
		sq_publish(s);
	}
	if (!sq_live(s) || s->q->key != key) {
		sq_put(s);
		return -ESTALE;
	}
	*out = s;
	return 0;
}

int reg_find_key(struct ns *ns, key_t key, struct sq **out)
{
	char name[16];
	struct sq *s;
	int64_t seen;
	int r;

	key_name(name, sizeof(name), key);
	r = key_lookup(ns, name, key, &s, &seen);
	if (r)
		return r == -ESTALE ? -ENOENT : r;
	*out = s;
	return 0;
}

/* idr_alloc_cyclic() over [0, window) from the cursor, then ipc_idr_alloc's
 * sequence rule; an index is ours once its entry is.  -ENOSPC if none.
 * Each index is written to *claim (the block's idx) before its entry is
 * made, so that reg_sweep() finds the entry of a maker that dies then. */
static int alloc_index(struct ns *ns, uint64_t gen, int in_use,
		       uint32_t *seq, uint32_t *claim)
{
	uint32_t window = (uint32_t)in_use * 3 / 2;
	int32_t h[2];			/* H_LAST_IDX, H_SEQ */
	char target[24], name[16];

	hints_get(ns, H_LAST_IDX, h, 2);
	int32_t last = h[0];
	uint32_t s = (uint32_t)h[1];

	if (window < 64)
		window = 64;
	if (window > IPCMNI)
		window = IPCMNI;
	if (last < -1 || last >= IPCMNI)
		last = -1;
	if (s >= SEQ_MAX)
		s = 0;
	gen_text(target, sizeof(target), gen);
	uint32_t start = (uint32_t)(last + 1) < window ? (uint32_t)(last + 1) : 0;

	for (uint32_t n = 0; n < window; n++) {
		uint32_t i = (start + n) % window;
		idx_name(name, sizeof(name), i);
		__atomic_store_n(claim, i, __ATOMIC_RELAXED);
		if (symlinkat(target, ns->sysvfd, name)) {
			if (errno == EEXIST)
				continue;
			return errno == ENOSPC || errno == EDQUOT ? -ENOSPC :
			       errno == EACCES || errno == EPERM ? -EACCES :
			       -ENOMEM;
		}
		if ((int32_t)i <= last && ++s >= SEQ_MAX)
			s = 0;
		h[0] = (int32_t)i;
		h[1] = (int32_t)s;
		hints_set(ns, H_LAST_IDX, h, 2);
		*seq = s;
		return (int)i;
	}
	return -ENOSPC;
}

static void unmake_files(struct ns *ns, uint64_t gen);
static int bind_files(struct ns *ns, uint64_t gen, int fd, int cfd);

/* The FIFO just made: no inherited ACL, mode env (envelope.c).  Its
 * mode first, by name as before: the umask may have left the creator no
 * access, which env always gives it. */
static int fifo_set(struct ns *ns, const char *name, unsigned env)
{
	int fd, r;

	if (fchmodat(ns->dirfd, name, env, 0))
		return -1;
	fd = fd_open(ns->dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW |
		     O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	r = env_strip(fd) || fchmod(fd, env) ? -1 : 0;
	close(fd);
	return r;
}

/*
 * Make the files of a new queue, written with pwrite and mapped once
 * afterwards: m.<gen> (records and store) and q.<gen> (its control block,
 * CREATING).  Through the creating descriptors only, since the envelope
 * may deny the creator itself (mode 0077), as the kernel's rules then do.
 * The mapping, with a reference, in *out.
 */
static int make_files(struct ns *ns, uint64_t gen, key_t key, int msgflg,
		      struct sq **out, int *hold)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	size_t size = store_size(STORE_CHUNK, STORE_CHUNKS);
	unsigned env = mode_envelope((unsigned)msgflg & 0777);
	char name[48], hdr[STORE_HDR_SIZE];
	struct umq_limits lim;
	struct qfile *f;
	struct qctl *q;
	uid_t euid;
	gid_t egid;
	int fd, cfd, r = -ENOMEM;

	ns_limits(ns, &lim);
	cred_ids(&euid, &egid);
	store_path(name, sizeof(name), gen);
	fd = fd_open(ns->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		     0600);
	if (fd < 0)
		return errno == EEXIST ? -EEXIST : errno == EACCES ||
		       errno == EPERM ? -EACCES : -ENOMEM;
	store_format(hdr, gen, STORE_CHUNK, STORE_CHUNKS);
	/* Held until the creation is done or undone: reg_sweep() leaves
	 * alone a queue whose maker is at work, and collects one whose
	 * maker died (the OS drops the lock). */
	if (fcntl(fd, F_OFD_SETLK, &lk) || env_strip(fd) ||
	    fchmod(fd, env) || fd_size(fd, (off_t)(M_STORE_OFF + size)) ||
	    fd_pwrite(fd, hdr, sizeof(hdr), (off_t)M_STORE_OFF) != sizeof(hdr)) {
		close(fd);
		unlinkat(ns->dirfd, name, 0);
		return -ENOMEM;
	}
	/* The FIFO of umq_msgfd() descriptors, made now by the creator:
	 * made later by whoever came first, it could be anyone's. */
	msgfd_path(name, sizeof(name), gen);
	if (mkfifoat(ns->dirfd, name, 0600) || fifo_set(ns, name, env)) {
		close(fd);
		unmake_files(ns, gen);
		return -ENOMEM;
	}
	ctl_path(name, sizeof(name), gen);
	cfd = fd_open(ns->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		      0600);
	f = calloc(1, sizeof(*f));
	if (cfd < 0 || !f)
		goto fail;
	q = &f->q;
	lock_init(&q->lock);
	q->lock_ns = holder_ident();
	lock_init(&f->lane.slock);
	lock_init(&f->lane.rlock);
	/* As the queue lock's: a forged word on a lock nobody took yet is
	 * judged in our namespace, not as one that cannot be checked. */
	f->lane.slock_ns = f->lane.rlock_ns = q->lock_ns;
	f->lane.gate = LANE_OPEN;	/* empty, and nobody waits (L14) */
	q->gen = gen;
	q->key = key;
	q->mode = (uint32_t)msgflg & 0777;
	q->uid = q->cuid = euid;
	q->gid = q->cgid = egid;
	q->ctime = proc_now();
	q->qbytes = (uint64_t)lim.msgmnb;
	q->wl.rhead = q->wl.rtail = q->wl.shead = q->wl.stail = NIL;
	q->state = SLOT_CREATING;
	f->magic = Q_MAGIC;
	f->version = UMQ_LAYOUT_VERSION;
	f->idx = 0;		/* set when taken */
	/* Read for all: MSG_STAT_ANY shows every queue's msqid_ds. */
	if (fd_pwrite(cfd, f, sizeof(*f), 0) != sizeof(*f) || env_strip(cfd) ||
	    fchmod(cfd, env | 0444) || bind_files(ns, gen, fd, cfd))
		goto fail;
	r = sq_map(ns, gen, cfd, true, euid, fd, M_STORE_OFF + size, out);
	if (r)
		goto fail;
	free(f);
	close(cfd);
	*hold = fd;
	return 0;
fail:
	free(f);
	if (cfd >= 0)
		close(cfd);
	close(fd);
	unmake_files(ns, gen);
	return r == -EUCLEAN ? -ENOMEM : r;
}

/* The store records the control file's and the FIFO's inodes (layout.h
 * struct store_hdr). */
static int bind_files(struct ns *ns, uint64_t gen, int fd, int cfd)
{
	uint64_t ino[2];
	struct stat cst, fst;
	char name[48];

	msgfd_path(name, sizeof(name), gen);
	if (fstat(cfd, &cst) ||
	    fstatat(ns->dirfd, name, &fst, AT_SYMLINK_NOFOLLOW))
		return -1;
	ino[0] = (uint64_t)cst.st_ino;
	ino[1] = (uint64_t)fst.st_ino;
	return fd_pwrite(fd, ino, sizeof(ino), (off_t)M_STORE_OFF +
			 (off_t)offsetof(struct store_hdr, ctl_ino)) ==
	       (ssize_t)sizeof(ino) ? 0 : -1;
}

/*
 * The files go dead before they go (§6): mode 0, which no queue's files
 * have and only their owner or root can undo, so that a user who may
 * write them and keeps a link to them cannot put them back under their
 * names later, as a queue of their creator's with a block of its own
 * (sq_open refuses them).  A remover killed in between leaves dead
 * files, which a sweep removes (sweep_one).
 */
static void unmake_files(struct ns *ns, uint64_t gen)
{
	char name[48];

	ctl_path(name, sizeof(name), gen);
	file_kill(ns->dirfd, name);
	unlinkat(ns->dirfd, name, 0);
	store_path(name, sizeof(name), gen);
	file_kill(ns->dirfd, name);
	unlinkat(ns->dirfd, name, 0);
	msgfd_path(name, sizeof(name), gen);
	unlinkat(ns->dirfd, name, 0);
}

/*
 * Put our entry (target, naming gen mine) in place of name if name still
 * names gen stale: 0, -EAGAIN (it names another now), -errno.  One
 * exchange, so the key is never missing: removing the stale entry, then
 * making ours, would let a third creator in between, and a remover who
 * looked first would remove a live entry made since (entry_drop()).
 */
static int entry_replace(struct ns *ns, const char *name, int64_t stale,
			 const char *target, uint64_t mine)
{
	char tmp[48];
	int r;

	snprintf(tmp, sizeof(tmp), "x.%016llx.%d", (unsigned long long)mine,
		 (int)proc_tid());
	if (entry_gen(ns, name) != stale)
		return -EAGAIN;
	if (symlinkat(target, ns->sysvfd, tmp))
		return -errno;
	if (renameat2(ns->sysvfd, tmp, ns->sysvfd, name, RENAME_EXCHANGE)) {
		r = errno == ENOENT ? -EAGAIN : -errno;
		unlinkat(ns->sysvfd, tmp, 0);
		if (r != -EINVAL)
			return r;
		/* No RENAME_EXCHANGE here: remove, and make ours. */
		r = entry_drop(ns, name, stale);
		return r && r != -ENOENT ? r : -EAGAIN;
	}
	if (entry_gen(ns, tmp) == stale) {
		unlinkat(ns->sysvfd, tmp, 0);
		return 0;
	}
	/* A live entry made since: given back (nobody else replaces ours,
	 * which names a live queue), and ours goes. */
	if (!renameat2(ns->sysvfd, tmp, ns->sysvfd, name, RENAME_EXCHANGE))
		unlinkat(ns->sysvfd, tmp, 0);
	return -EAGAIN;
}

/*
 * Take the key for gen.  A stale entry in the way is removed if the OS
 * lets us (its maker's, or the namespace owner's, or root's to remove);
 * else the key stays taken until one of them comes (DESIGN §8).
 * 0, -EEXIST (a live queue has the key: *other), or -errno.
 */
static int take_key(struct ns *ns, key_t key, struct sq *s,
		    struct sq **other)
{
	char name[16], target[32];
	int64_t seen;
	int r;

	key_name(name, sizeof(name), key);
	snprintf(target, sizeof(target), "%016llx:%u",
		 (unsigned long long)s->gen, s->idx);
	/* Each lost round is another caller's progress on that entry: a
	 * key is only ever refused for real reasons (the kernel never says
	 * ENOSPC here), unless the churn outlasts a thousand rounds. */
	for (int tries = 0; tries < 1000; tries++) {
		if (tries >= 4)
			sched_yield();
		if (!symlinkat(target, ns->sysvfd, name))
			return 0;
		if (errno != EEXIST)
			return errno == EACCES || errno == EPERM ? -EACCES :
			       -ENOMEM;
		r = key_lookup(ns, name, key, other, &seen);
		if (r == 0)
			return -EEXIST;
		if (r != -ESTALE && r != -ENOENT)
			return r;
		/* Stale, and someone else's to remove: as if another
		 * user's queue had the key (the kernel's EACCES).  Only
		 * the entry judged stale is replaced, never one made
		 * since. */
		r = r == -ESTALE ? entry_replace(ns, name, seen, target,
						 s->gen) : -EAGAIN;
		if (r == 0)
			return 0;
		if (r != -ENOENT && r != -EAGAIN)
			return r == -EPERM || r == -EACCES || r == -EISDIR ?
			       -EACCES : -ENOMEM;
	}
	return -ENOSPC;
}

/*
 * A queue of ours that is not to be: the entries made, then the files.
 * Once LIVE it may have been removed by its id meanwhile, its index
 * freed (and uncounted) and taken by another creation: only an entry
 * still naming our gen is ours to drop, and to uncount.
 */
static void uncreate(struct sq *s, bool indexed)
{
	struct ns *ns = s->ns;
	char name[16];
	bool counted = true;

	__atomic_store_n(&s->q->state, SLOT_REMOVED, __ATOMIC_RELEASE);
	if (indexed) {
		idx_name(name, sizeof(name), s->idx);
		counted = !entry_drop(ns, name, (int64_t)s->gen);
	}
	unmake_files(ns, s->gen);
	sq_put(s);
	if (counted)
		hint_add(ns, H_IN_USE, -1);
}

/* Is a creation at work on gen (its data file's lock held)?  Yes when
 * it cannot tell: only the certainly dead is collected. */
static bool maker_at_work(struct ns *ns, uint64_t gen)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char name[48];
	int fd, r;

	store_path(name, sizeof(name), gen);
	fd = fd_open(ns->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		     O_CLOEXEC, 0);
	if (fd < 0)
		return errno != ENOENT;
	r = fcntl(fd, F_OFD_GETLK, &lk);
	close(fd);
	return r || lk.l_type != F_UNLCK;
}

/* The store was last written over a minute ago: a maker that made it
 * has locked it since (maker_at_work) - a system call later - unless it
 * died, or was stopped as long. */
static bool store_old(struct ns *ns, uint64_t gen)
{
	char name[48];
	struct stat st;

	store_path(name, sizeof(name), gen);
	return !fstatat(ns->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
	       st.st_mtime + 60 < proc_now();
}

static void sweep_one(struct ns *ns, uint64_t gen)
{
	struct qfile f;
	char name[48];
	int fd;
	ssize_t n;

	/* The control file, then the lock, then the file's state: a maker
	 * locks the store before it makes the control file and lets go
	 * only once it is written, so a file there before an unheld lock
	 * is final. */
	ctl_path(name, sizeof(name), gen);
	fd = fd_open(ns->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		     O_CLOEXEC, 0);
	if (maker_at_work(ns, gen)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fd < 0) {
		/* Dead: its remover, killed before the unlink, had dropped
		 * its entries already.  Missing: its maker died before it
		 * made it (the store and FIFO were left; until December 6
		 * for good), or a remover is at work: no entry is its. */
		if ((errno == EACCES && file_dead(ns->dirfd, name)) ||
		    (errno == ENOENT && store_old(ns, gen)))
			unmake_files(ns, gen);
		return;
	}
	n = pread(fd, &f, offsetof(struct qfile, pad), 0);
	close(fd);
	if (n == 0) {	/* its maker died before writing it: no entry */
		unmake_files(ns, gen);
		return;
	}
	if (n != (ssize_t)offsetof(struct qfile, pad) || f.magic != Q_MAGIC ||
	    f.q.gen != gen)
		return;
	/* Live is committed, but for a keyed queue whose key entry is not
	 * its own: its maker died between LIVE and that entry (the commit),
	 * and nobody can have found it by its key. */
	if (f.q.state == SLOT_LIVE) {
		if (f.q.key == IPC_PRIVATE)
			return;
		key_name(name, sizeof(name), f.q.key);
		if (entry_gen(ns, name) == (int64_t)gen)
			return;
	}
	/* A creation or a removal cut short: its entries, if they are
	 * still its, then its files (ours to remove, or not: L1). */
	if (f.q.state == SLOT_REMOVED && f.q.key != IPC_PRIVATE) {
		key_name(name, sizeof(name), f.q.key);
		entry_drop(ns, name, (int64_t)gen);
	}
	if (f.idx < IPCMNI) {
		idx_name(name, sizeof(name), f.idx);
		if (!entry_drop(ns, name, (int64_t)gen))
			hint_add(ns, H_IN_USE, -1);
	}
	unmake_files(ns, gen);
}

static int gen_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Collect the files of creations and removals cut short by a crash:
 * control blocks neither live nor held by a maker at work (L1).
 * O(queues): run by one creation in so many (reg_create), so amortized
 * O(1).
 */
void reg_sweep(struct ns *ns)
{
	/* At most once a second in a process: it reads all of sysv/. */
	static int64_t last = -1;
	int64_t now = proc_now();

	if (__atomic_exchange_n(&last, now, __ATOMIC_RELAXED) == now)
		return;
	int dfd = fd_open(ns->sysvfd, ".", O_RDONLY | O_DIRECTORY |
			  O_CLOEXEC, 0);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	uint64_t *gens = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;

	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	while ((e = readdir(d))) {
		struct stat st;
		char *end;
		uint64_t gen;
		/* An entry moved aside for a moment (entry_drop) by a thread
		 * that died then: junk, once it is old. */
		if (e->d_name[0] == 'x' && e->d_name[1] == '.' &&
		    !fstatat(ns->sysvfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISLNK(st.st_mode) && st.st_mtime + 10 < now)
			unlinkat(ns->sysvfd, e->d_name, 0);
		/* The control files, and the stores: one whose maker died
		 * before making its control file has none. */
		if ((e->d_name[0] != 'q' && e->d_name[0] != 'm') ||
		    e->d_name[1] != '.')
			continue;
		gen = strtoull(e->d_name + 2, &end, 16);
		if (*end || !gen || gen > INT64_MAX)
			continue;
		if (n == cap) {
			uint64_t *g = realloc(gens, (cap = cap * 2 + 64) *
					      sizeof(*g));
			if (!g)
				break;
			gens = g;
		}
		gens[n++] = gen;
	}
	closedir(d);
	if (n)		/* gens may be NULL */
		qsort(gens, n, sizeof(*gens), gen_cmp);
	for (size_t i = 0; i < n; i++)
		if (!i || gens[i] != gens[i - 1])	/* q. and m. */
			sweep_one(ns, gens[i]);
	free(gens);
}

static int create(struct ns *ns, key_t key, int msgflg, struct sq **out);
static int q_take(struct sq *s, bool bounded);
static int q_live_or_done(struct sq *s);

int reg_create(struct ns *ns, key_t key, int msgflg, struct sq **out)
{
	struct fs_as as;
	int r;

	cred_fs_enter(&as);
	r = create(ns, key, msgflg, out);
	cred_fs_leave(&as);
	return r;
}

static int create(struct ns *ns, key_t key, int msgflg, struct sq **out)
{
	struct umq_limits lim;
	struct sq *s, *other;
	uint64_t gen;
	uint32_t seq;
	int32_t in_use;
	int idx, r, tries = 0, hold = -1;

	ns_limits(ns, &lim);
	/* Counted before the files are made, so that a crash leaves the
	 * count high, never low: high only costs a recount. */
	in_use = (int32_t)((uint32_t)hint_add(ns, H_IN_USE, 1) - 1u);
	if (in_use < 0 || in_use >= (lim.msgmni < IPCMNI ? lim.msgmni :
				     IPCMNI)) {
		in_use = reg_count(ns);
		hint_set(ns, H_IN_USE, in_use + 1);
		if (in_use >= (lim.msgmni < IPCMNI ? lim.msgmni : IPCMNI)) {
			hint_add(ns, H_IN_USE, -1);
			return -ENOSPC;
		}
	}
	/* One creation in about 64 + in_use (the generation is random)
	 * collects what crashes left: amortized O(1). */
	gen = ns_new_gen();
	if (gen % (64 + (uint32_t)in_use) == 0)
		reg_sweep(ns);
	while ((r = make_files(ns, gen, key, msgflg, &s, &hold)) == -EEXIST &&
	       ++tries < 8)
		gen = ns_new_gen();
	if (r) {
		hint_add(ns, H_IN_USE, -1);
		return r == -EEXIST ? -ENOMEM : r;
	}
	FAULT(FP_CREATE);
	idx = alloc_index(ns, s->gen, in_use, &seq, &s->f->idx);
	if (idx == -ENOSPC)		/* the hint lied: look for real */
		idx = alloc_index(ns, s->gen, reg_count(ns) + 64, &seq,
				  &s->f->idx);
	if (idx < 0) {
		uncreate(s, false);
		close(hold);
		return idx;
	}
	s->idx = s->f->idx = (uint32_t)idx;
	s->q->seq = seq;
	__atomic_store_n(&s->q->state, SLOT_LIVE, __ATOMIC_RELEASE);
	if (key != IPC_PRIVATE) {
		r = take_key(ns, key, s, &other);
		if (r) {
			/* Live, it may have been found by its id (MSG_STAT,
			 * a guess): it goes as by IPC_RMID, its sleepers
			 * woken with EIDRM. */
			q_lock(s);
			if (sq_live(s))
				reg_remove(s);
			q_unlock(s);
			uncreate(s, true);
			close(hold);
			if (r != -EEXIST)
				return r;
			/* Another creator was first: msgget on its queue. */
			*out = other;
			return -EEXIST;
		}
		/* Removed by its id before the key was ours: its remover
		 * found no key entry to drop, and no sweep looks at an
		 * entry whose queue has no files.  Ours goes, and the id is
		 * returned, as the kernel's creation is whole before any
		 * removal.  Under the lock: a remover yet to mark it
		 * REMOVED drops the entry itself (reg_unlink), after.  The
		 * lane stays open: this only looks (L14). */
		q_take(s, false);
		bool live = sq_live(s);
		q_unlock(s);
		if (!live) {
			char name[16];
			key_name(name, sizeof(name), key);
			entry_drop(ns, name, (int64_t)s->gen);
		}
	}
	close(hold);
	sq_publish(s);
	*out = s;
	return reg_id(s);
}

/*
 * Rebuild the store from its chunks (L3), after a crash of a lock holder
 * or a failed check.  The counters follow what is really there.
 */
int q_mend_store(struct sq *s)
{
	uint64_t qnum, cbytes;
	int r = qview_follow(s->ns, &s->v);

	if (!r)
		r = store_rebuild(&s->v, keep_inflight, &s->wp, &qnum,
				  &cbytes);
	if (r)
		return r == -ENOMEM ? r : -EUCLEAN;
	s->q->qnum = qnum;
	s->q->cbytes = cbytes;
	return 0;
}

static bool sq_lane_shut(const struct sq *s)
{
	return lane_shut(&s->f->lane) || s->q->state != SLOT_LIVE;
}

/* Close the lane (L14): its messages join the store, which a closer
 * that finds it damaged mends first, once.  -ENOMEM if they could not
 * (no page for them on a full filesystem: the lane is open again, and
 * still the queue, or left closing for the next holder to finish); the
 * call's bound's error if a side's holder kept its lock past it. */
static int lane_settle(struct sq *s)
{
	int r;

	if (!s->wbase || !s->v.st || sq_store(s))
		return 0;
	r = lane_close(&s->lq);
	if (r == -EUCLEAN && q_mend_store(s) == 0)
		r = lane_close(&s->lq);
	if (sq_lane_shut(s))
		return 0;
	return r && r != -EUCLEAN ? r : -ENOMEM;	/* the bound's, or ENOMEM */
}

/* The queue lock, repaired after a holder's death; the lane as it is.
 * bounded: within the call's bound (its error, not locked), for the
 * callers that can give up. */
static int q_take(struct sq *s, bool bounded)
{
	struct qctl *q = s->q;
	int r = bounded ? lock_take_bounded(&q->lock, &q->lock_ns,
					    &s->f->lane) :
			  lock_take(&q->lock, &q->lock_ns);

	if (r < 0)
		return r;
	guard_enter(&s->guard);
	if (likely(r == 0))
		return 0;
	/* The holder died (L3): rebuild what it may have left half done.
	 * A repair that fails (a store we cannot fix) leaves the mutex
	 * unmended, so that the next taker repairs. */
	if (q->state != SLOT_LIVE) {
		lock_mend(&q->lock);
		return 0;
	}
	waiters_rebuild(&s->wp, s->gen, &q->wl);
	if (q_mend_store(s) == 0)
		lock_mend(&q->lock);
	return 0;
}

/* q_take(s, true), the reference dropped when not locked. */
static int q_take_bounded(struct sq *s)
{
	int r = q_take(s, true);

	if (r < 0)
		sq_put(s);
	return r;
}

/* Locked, after the lock was dropped and taken again (a spin, a sleep):
 * q_lock() leaves the lane open when its messages found no page in the
 * store, and a holder that then sleeps as a waiter, or stores, while
 * lane sends go on is never woken, or puts a message behind the lane's.
 * 0 with the lane shut, else -ENOMEM. */
int q_settled(struct sq *s)
{
	if (likely(sq_lane_shut(s)))
		return 0;
	return lane_settle(s);
}

void q_lock(struct sq *s)
{
	q_take(s, false);
	if (unlikely(!sq_lane_shut(s)))
		lane_settle(s);
}

/* Under the lock just taken: 0 with the lane closed (the store the whole
 * queue); if it could not be, not locked: 1 if lane_ok and the lane is
 * open again (still the queue, the caller's to try; its reference
 * kept), else -ENOMEM; or q_live_or_done()'s -EIDRM. */
static int settled(struct sq *s, bool lane_ok)
{
	int r;

	if (likely(sq_lane_shut(s)) || !(r = lane_settle(s)))
		return q_live_or_done(s);
	if (lane_ok && lane_is_open(&s->f->lane)) {
		q_unlock(s);
		return 1;
	}
	q_done(s);
	return r;
}

/* A send that found the gate shut often waits here for the holder that
 * opens it: closing it again would keep the two sides off the lane. */
int q_lock_unless_open(struct sq *s)
{
	int r = q_take_bounded(s);

	if (r < 0)
		return r;
	if (lane_is_open(&s->f->lane) && sq_live(s)) {
		q_unlock(s);
		return 1;
	}
	return settled(s, true);
}

int q_lock_lane(struct sq *s)
{
	int r = q_take_bounded(s);

	return r < 0 ? r : settled(s, true);
}

void q_unlock(struct sq *s)
{
	guard_leave(&s->guard);
	lock_drop(&s->q->lock);
}

void q_done(struct sq *s)
{
	q_unlock(s);
	sq_put(s);
}

/* q_lock_id, q_lock_id_any: the lane shut (q_lock_found, -ENOMEM if it
 * cannot be), or as q_lock leaves it (all false). */
static int lock_id(struct ns *ns, int id, struct sq **out, bool all)
{
	int r = q_find_id(ns, id, out);

	if (r)
		return r;
	/* A signal handler's call on a queue whose lock the code it
	 * interrupted holds would wait on itself (DESIGN §8). */
	if (unlikely(sq_mine(*out))) {
		sq_put(*out);
		return -EDEADLK;
	}
	if (all)
		return q_lock_found(*out);
	q_lock(*out);
	return q_live_or_done(*out);
}

int q_lock_id(struct ns *ns, int id, struct sq **out)
{
	return lock_id(ns, id, out, true);
}

int q_lock_id_any(struct ns *ns, int id, struct sq **out)
{
	return lock_id(ns, id, out, false);
}

int q_find_id(struct ns *ns, int id, struct sq **out)
{
	struct sq *s;
	int r;

	if (id < 0)
		return -EINVAL;
	r = sq_get(ns, (uint32_t)id & (IPCMNI - 1), &s);
	if (r)
		return r;
	if (s->q->seq != (uint32_t)id >> IPCMNI_SHIFT) {
		sq_put(s);
		return -EINVAL;
	}
	r = sq_data(s);
	if (r && r != -EACCES) {
		sq_put(s);
		return r == -ENOENT ? -EIDRM : r;
	}
	if (r) {
		/* The OS refuses us the files: the kernel's check says why,
		 * or, if it would let us in, the envelope is narrower than
		 * the mode (DESIGN §6), and the OS has the last word. */
		sq_put(s);
		return -EACCES;
	}
	*out = s;
	return 0;
}

/* Locked: 0 if the queue is live, else -EIDRM with the lock dropped. */
static int q_live_or_done(struct sq *s)
{
	if (!sq_live(s)) {
		q_done(s);
		return -EIDRM;
	}
	return 0;
}

int q_lock_found(struct sq *s)
{
	int r = q_take_bounded(s);

	return r < 0 ? r : settled(s, false);
}

/*
 * IPC_RMID of a queue whose store cannot be mapped (damaged): its lock
 * and records are enough to remove it; nothing is repaired, it goes.
 */
int reg_remove_damaged(struct ns *ns, int id)
{
	struct sq *s;
	int r = sq_get(ns, (uint32_t)id & (IPCMNI - 1), &s);

	if (r)
		return r == -ENOMEM ? r : -EINVAL;
	if (s->q->seq != (uint32_t)id >> IPCMNI_SHIFT) {
		sq_put(s);
		return -EINVAL;
	}
	if (!s->rw) {
		sq_put(s);
		return -EPERM;
	}
	if (lock_take(&s->q->lock, &s->q->lock_ns) == 1)
		lock_mend(&s->q->lock);
	r = !sq_live(s) ? -EIDRM : ipc_owner(s->q);
	if (!r) {
		__atomic_store_n(&s->q->state, SLOT_REMOVED, __ATOMIC_RELEASE);
		if (s->wbase)
			waiters_post_all(&s->wp, s->gen, -EIDRM);
		s->q->events++;
	}
	lock_drop(&s->q->lock);
	if (!r)
		reg_unlink(s);
	sq_put(s);
	return r;
}

/*
 * IPC_RMID: every blocked receiver and sender returns EIDRM; the id and
 * the key are free once reg_unlink() has run.  Caller holds the lock.
 */
void reg_remove(struct sq *s)
{
	struct qctl *q = s->q;

	msgfd_gone(s);
	__atomic_store_n(&q->state, SLOT_REMOVED, __ATOMIC_RELEASE);
	/* A lane whose messages could not join the store (a full
	 * filesystem, q_lock_id_any) is open still: shut, its sides go to
	 * the slow path, which says EIDRM. */
	if (!lane_shut(&s->f->lane))
		__atomic_store_n(&s->f->lane.gate, LANE_CLOSED,
				 __ATOMIC_RELEASE);
	waiters_post_all(&s->wp, s->gen, -EIDRM);
	q->wl.rhead = q->wl.rtail = q->wl.shead = q->wl.stail = NIL;
	q->qnum = q->cbytes = 0;
	q->events++;
}

/* The entries first (the key and the index are free at once), then the
 * files; ours to remove if we made them (sticky sysv/). */
void reg_unlink(struct sq *s)
{
	struct ns *ns = s->ns;
	char name[16];

	if (s->q->key != IPC_PRIVATE) {
		key_name(name, sizeof(name), s->q->key);
		entry_drop(ns, name, (int64_t)s->gen);
	}
	idx_name(name, sizeof(name), s->idx);
	if (!entry_drop(ns, name, (int64_t)s->gen))
		hint_add(ns, H_IN_USE, -1);
	unmake_files(ns, s->gen);
}

/*
 * Empty the directory dfd (closed here), one level of subdirectories
 * deep (the namespace's layout).  A subdirectory is opened without
 * following a link: its owner may swap one in at any time, and we may be
 * root.  0 or the first -errno.
 */
static int rm_contents(int dfd, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	int r = 0, sub;

	if (!d) {
		r = -errno;
		close(dfd);
		return r;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!unlinkat(dfd, e->d_name, 0))
			continue;
		if (errno != EISDIR || !depth) {
			r = r ?: -errno;
			continue;
		}
		sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY |
			     O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			/* no longer a directory: a link, removed as one */
			if ((errno == ELOOP || errno == ENOTDIR) &&
			    !unlinkat(dfd, e->d_name, 0))
				continue;
			r = r ?: -errno;
			continue;
		}
		r = rm_contents(sub, depth - 1) ?: r;
		if (unlinkat(dfd, e->d_name, AT_REMOVEDIR))
			r = r ?: -errno;
	}
	closedir(d);
	return r;
}

static int remove_one(struct sq *s, void *ctx)
{
	if (sq_data(s) == 0) {
		q_lock(s);
		if (sq_live(s))
			reg_remove(s);
		q_unlock(s);
	}
	reg_unlink(s);
	return 0;
}

/* rmdir of dir, if its name still leads to the directory st describes:
 * through its parent, with no link followed at the last step. */
static int rmdir_same(const char *dir, const struct stat *st)
{
	char buf[PATH_MAX], *base;
	struct stat now;
	size_t n = strlen(dir);
	int pfd, r = 0;

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, dir, n + 1);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = 0;
	base = strrchr(buf, '/');
	if (base) {
		*base++ = 0;
		pfd = open(*buf ? buf : "/", O_RDONLY | O_DIRECTORY |
			   O_CLOEXEC);
	} else {
		base = buf;
		pfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (pfd < 0)
		return -errno;
	if (fstatat(pfd, base, &now, AT_SYMLINK_NOFOLLOW) ||
	    now.st_dev != st->st_dev || now.st_ino != st->st_ino)
		r = -EAGAIN;	/* the name leads elsewhere now */
	else if (unlinkat(pfd, base, AT_REMOVEDIR))
		r = -errno;
	close(pfd);
	return r;
}

/*
 * Every System V queue goes as by IPC_RMID, so that its sleepers return
 * EIDRM; then the directory.  The directory named, never where a link
 * leads (a link's owner may make it lead to a directory of root's), and
 * only a namespace already (nothing is made in another directory), then
 * used by its descriptor: the owner of a directory on the path may make
 * the path lead elsewhere at any time.
 */
static int ns_remove(const char *dir)
{
	struct stat st, sub, now;
	char path[64];
	struct ns *ns;
	int r, dfd;

	if (bad_uptr(dir))
		return -EFAULT;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return errno == ELOOP ? -ENOTDIR : -errno;
	if (fstat(dfd, &st)) {
		r = -errno;
		goto out;
	}
	/* Before anything is touched: the directory's owner only. */
	r = -EPERM;
	if (geteuid() != st.st_uid && !cap_has(CAP_FOWNER))
		goto out;
	r = -EINVAL;
	if (fstatat(dfd, "sysv", &sub, AT_SYMLINK_NOFOLLOW) ||
	    !S_ISDIR(sub.st_mode))
		goto out;
	/* The very directory, through /proc if it is there. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", dfd);
	r = ns_open(access(path, F_OK) ? dir : path, &ns);
	if (r)
		goto out;
	if (fstat(ns->dirfd, &now) || now.st_dev != st.st_dev ||
	    now.st_ino != st.st_ino) {
		ns_close(ns);
		r = -EAGAIN;
		goto out;
	}
	reg_each(ns, remove_one, NULL);
	ns_mark_removed(ns);
	ns_close(ns);
	r = rm_contents(dfd, 1);	/* closes dfd */
	dfd = -1;
	int rd = rmdir_same(dir, &st);
	r = r ?: rd;
out:
	if (dfd >= 0)
		close(dfd);
	return r == -EACCES ? -EPERM : r;
}

UMQ_EXPORT int umq_ns_remove(const char *dir)
{
	return (int)ret_errno(ns_remove(dir));
}
