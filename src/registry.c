/* SPDX-License-Identifier: MIT */
/*
 * registry.c - System V keys and ids, and the slots behind them.
 *
 * Ids are built as the kernel builds them (spec A3): index in the low 15
 * bits, sequence above, the index chosen by the kernel's cyclic allocator
 * over a window of max(64, 1.5 * queues) indexes, the sequence advanced
 * when the cursor wraps.  So ids are not reused at once, and a scan by
 * index (MSG_STAT, ipcs) sees what it would see on the kernel.
 *
 * Each slot also carries a 64-bit generation, unique to the queue ever
 * created in it: it names the queue's store file and lets a sleeper tell
 * its queue from a later one in the same slot.
 */
#include <dirent.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define STORE_CHUNK	128
#define STORE_CHUNKS	448		/* a first store of about 64 KiB */

static void reg_repair(struct ns *ns)
{
	struct ns_hdr *h = ns->hdr;
	int32_t n = 0;

	for (uint32_t i = 0; i < h->hi_idx && i < IPCMNI; i++) {
		struct qctl *q = ns_slot(ns, i);
		if (q->state != SLOT_FREE && q->state != SLOT_CREATING &&
		    q->state != SLOT_LIVE)
			q->state = SLOT_FREE;	/* garbage: nobody's */
		if (q->state == SLOT_CREATING) {
			/* Its creator died before publishing it. */
			char name[32];
			store_path(name, sizeof(name), q->gen);
			unlinkat(ns->dirfd, name, 0);
			__atomic_store_n(&q->state, SLOT_FREE,
					 __ATOMIC_RELEASE);
		}
		if (q->state == SLOT_LIVE)
			n++;
	}
	h->in_use = n;
}

void reg_lock(struct ns *ns)
{
	struct ns_hdr *h = ns->hdr;

	if (lock_take(&h->lock, &h->lock_ns) == 1) {
		reg_repair(ns);
		lock_mend(&h->lock);
	}
	/* Untrusted like the rest: keep the allocator's state in range. */
	if (h->seq >= SEQ_MAX)
		h->seq = 0;
	if (h->last_idx < -1 || h->last_idx >= IPCMNI)
		h->last_idx = -1;
	if (h->hi_idx > IPCMNI)
		h->hi_idx = IPCMNI;
}

void reg_unlock(struct ns *ns)
{
	lock_drop(&ns->hdr->lock);
}

int reg_id(const struct qctl *q, uint32_t idx)
{
	/* 16 bits of sequence: an id is never negative, whatever the slot
	 * holds. */
	return (int)((q->seq & 0xffff) << IPCMNI_SHIFT | idx);
}

int reg_find_key(struct ns *ns, key_t key)
{
	uint32_t hi = ns->hdr->hi_idx;

	for (uint32_t i = 0; i < hi && i < IPCMNI; i++) {
		struct qctl *q = ns_slot(ns, i);
		if (q->state == SLOT_LIVE && q->key == key)
			return (int)i;
	}
	return -1;
}

static bool slot_free(struct ns *ns, uint32_t i)
{
	return ns_slot(ns, i)->state == SLOT_FREE;
}

/* idr_alloc_cyclic() over [0, window) from the cursor, then ipc_idr_alloc's
 * sequence rule. */
static int alloc_index(struct ns *ns)
{
	struct ns_hdr *h = ns->hdr;
	uint32_t window = (uint32_t)(h->in_use * 3 / 2);
	uint32_t start = (uint32_t)(h->last_idx + 1);
	int idx = -1;

	if (window < 64)
		window = 64;
	if (window > IPCMNI)
		window = IPCMNI;
	for (uint32_t i = start; i < window; i++)
		if (slot_free(ns, i)) {
			idx = (int)i;
			break;
		}
	for (uint32_t i = 0; idx < 0 && i < window; i++)
		if (slot_free(ns, i))
			idx = (int)i;
	if (idx < 0)
		return -ENOSPC;
	if (idx <= h->last_idx && ++h->seq >= SEQ_MAX)
		h->seq = 0;
	h->last_idx = idx;
	return idx;
}

/*
 * Create the store through the creating descriptor only: the envelope may
 * deny the creator itself (mode 0077), as the kernel's rules then do.
 */
static int create_store(struct ns *ns, struct qctl *q)
{
	size_t size = store_size(STORE_CHUNK, STORE_CHUNKS);
	char name[32];
	void *p;
	int fd, r = 0;

	store_path(name, sizeof(name), q->gen);
	fd = fd_open(ns->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		     0600);
	if (fd < 0)
		return errno == EACCES || errno == EPERM ? -EACCES : -ENOMEM;
	if (fchmod(fd, envelope_mode(q)) || ftruncate(fd, (off_t)size)) {
		r = -ENOMEM;
		goto out;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		r = -ENOMEM;
		goto out;
	}
	store_format(p, q->gen, STORE_CHUNK, STORE_CHUNKS);
	munmap(p, size);
out:
	close(fd);
	if (r)
		unlinkat(ns->dirfd, name, 0);
	return r;
}

/* Caller holds the registry lock. */
int reg_create(struct ns *ns, key_t key, int msgflg)
{
	struct ns_hdr *h = ns->hdr;
	struct umq_limits lim;
	struct qctl *q;
	uid_t euid;
	gid_t egid;
	int idx, r;

	ns_limits(ns, &lim);
	reg_repair(ns);		/* in_use, recounted: it is not trusted */
	if (h->in_use >= (lim.msgmni < IPCMNI ? lim.msgmni : IPCMNI))
		return -ENOSPC;
	idx = alloc_index(ns);
	if (idx < 0)
		return idx;
	q = ns_slot(ns, (uint32_t)idx);
	if (!q->gen) {			/* first use of this slot */
		r = lock_init(&q->lock);
		if (r)
			return r;
	}
	q->lock_ns = holder_ident();
	cred_ids(&euid, &egid);
	q->gen = ++h->gen;
	q->seq = h->seq;
	q->key = key;
	q->mode = (uint32_t)msgflg & 0777;
	q->uid = q->cuid = euid;
	q->gid = q->cgid = egid;
	q->stime = q->rtime = 0;
	q->ctime = proc_now();
	q->cbytes = q->qnum = 0;
	q->qbytes = (uint64_t)lim.msgmnb;
	q->lspid = q->lrpid = 0;
	stats_reset(q);
	q->wl.rhead = q->wl.rtail = q->wl.shead = q->wl.stail = NIL;
	q->wl.order = 0;
	__atomic_store_n(&q->state, SLOT_CREATING, __ATOMIC_RELEASE);
	if ((uint32_t)idx >= h->hi_idx)
		h->hi_idx = (uint32_t)idx + 1;
	FAULT(FP_CREATE);
	r = create_store(ns, q);
	if (r) {
		__atomic_store_n(&q->state, SLOT_FREE, __ATOMIC_RELEASE);
		return r;
	}
	h->in_use++;
	__atomic_store_n(&q->state, SLOT_LIVE, __ATOMIC_RELEASE);
	return reg_id(q, (uint32_t)idx);
}

/*
 * Rebuild the store from its chunks (L3), after a crash of a lock holder
 * or a failed check.  The counters follow what is really there.
 */
int q_mend_store(struct ns *ns, uint32_t idx, struct qctl *q,
		 struct qview **out)
{
	struct qview *v;
	uint64_t qnum, cbytes;
	int r = qview_sync(ns, idx, q, &v);

	if (!r)
		r = store_rebuild(v, keep_inflight, ns, &qnum, &cbytes);
	if (r)
		return r == -ENOMEM ? r : -EUCLEAN;
	q->qnum = qnum;
	q->cbytes = cbytes;
	*out = v;
	return 0;
}

void q_lock(struct ns *ns, uint32_t idx, struct qctl *q)
{
	struct qview *v;

	if (likely(lock_take(&q->lock, &q->lock_ns) == 0))
		return;
	/* The holder died (L3): rebuild what it may have left half done.
	 * A repair that fails (no access to the store, say) leaves the
	 * mutex unmended, so that the next taker repairs. */
	if (q->state != SLOT_LIVE) {
		lock_mend(&q->lock);
		return;
	}
	waiters_rebuild(ns, idx, q->gen, &q->wl);
	if (q_mend_store(ns, idx, q, &v) == 0)
		lock_mend(&q->lock);
}

void q_unlock(struct qctl *q)
{
	lock_drop(&q->lock);
}

int q_lock_id(struct ns *ns, int id, struct qctl **out)
{
	uint32_t idx = (uint32_t)id & (IPCMNI - 1);
	struct qctl *q;
	uint64_t gen;

	if (id < 0)
		return -EINVAL;
	q = ns_slot(ns, idx);
	if (__atomic_load_n(&q->state, __ATOMIC_ACQUIRE) != SLOT_LIVE ||
	    q->seq != (uint32_t)id >> IPCMNI_SHIFT)
		return -EINVAL;
	gen = q->gen;
	q_lock(ns, idx, q);
	if (q->state != SLOT_LIVE || q->gen != gen) {
		q_unlock(q);
		return -EIDRM;
	}
	*out = q;
	return (int)idx;
}

/*
 * IPC_RMID: every blocked receiver and sender returns EIDRM; the id and
 * the key are free at once.  Caller holds the registry lock and the queue
 * lock.
 */
void reg_remove(struct ns *ns, struct qctl *q)
{
	char name[32];
	uint32_t idx = (uint32_t)(q - ns_slot(ns, 0));

	msgfd_gone(ns, q);
	waiters_post_all(ns, idx, q->gen, -EIDRM);
	q->wl.rhead = q->wl.rtail = q->wl.shead = q->wl.stail = NIL;
	__atomic_store_n(&q->state, SLOT_FREE, __ATOMIC_RELEASE);
	q->key = 0;
	q->qnum = q->cbytes = 0;
	q->events++;
	ns->hdr->in_use--;
	store_path(name, sizeof(name), q->gen);
	unlinkat(ns->dirfd, name, 0);
}

/* Remove dir and what it holds, one level of subdirectories deep (the
 * namespace's layout).  0 or the first -errno. */
static int rm_tree(int parent, const char *dir, int depth)
{
	int dfd = openat(parent, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *e;
	int r = 0;

	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return -errno;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (e->d_type == DT_DIR && depth)
			r = rm_tree(dfd, e->d_name, depth - 1) ?: r;
		else if (unlinkat(dfd, e->d_name, 0) && !r)
			r = -errno;
	}
	closedir(d);
	if (unlinkat(parent, dir, AT_REMOVEDIR) && !r)
		r = -errno;
	return r;
}

static int ns_remove(const char *dir)
{
	struct stat st;
	struct ns *ns;
	int r;

	if (bad_uptr(dir))
		return -EFAULT;
	if (stat(dir, &st))
		return -errno;
	/* Before anything is touched: the directory's owner only. */
	if (geteuid() != st.st_uid && !cap_has(CAP_FOWNER))
		return -EPERM;
	r = ns_open(dir, &ns);
	if (r)
		return r;
	reg_lock(ns);
	for (uint32_t i = 0; i < ns->hdr->hi_idx && i < IPCMNI; i++) {
		struct qctl *q = ns_slot(ns, i);
		if (q->state != SLOT_LIVE)
			continue;
		q_lock(ns, i, q);
		if (q->state == SLOT_LIVE)
			reg_remove(ns, q);
		q_unlock(q);
	}
	__atomic_store_n(&ns->hdr->removed, 1, __ATOMIC_RELEASE);
	reg_unlock(ns);
	ns_close(ns);
	r = rm_tree(AT_FDCWD, dir, 1);
	return r == -EACCES ? -EPERM : r;
}

UMQ_EXPORT int umq_ns_remove(const char *dir)
{
	return (int)ret_errno(ns_remove(dir));
}
