/* SPDX-License-Identifier: MIT */
/*
 * posix.c - POSIX queues: names, mq_open/mq_close/mq_unlink, attributes
 * and the resource rules of spec B3-B7, B12, B13.
 *
 * An mqd_t is a descriptor of the queue's FIFO posix/<gen>.p, opened with
 * the caller's access mode: so it is a real descriptor of the process,
 * close-on-exec, dup-able, inherited across fork with its open
 * description, O_NONBLOCK is that description's flag (fcntl and
 * mq_setattr agree), and poll/select/epoll see it readable when the FIFO
 * holds its readiness byte, which it does exactly while the queue holds a
 * message (mqio.c).  Each description holds an OFD lock on its FIFO, so
 * the OS tells us when the last descriptor of an unlinked queue is gone,
 * even after a crash.
 * pdesc.c keeps, per descriptor number, which queue it is.
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "internal.h"

#define HARD_MSGMAX	PQ_HARD_MSGMAX
#define HARD_MSGSIZEMAX	PQ_HARD_MSGSIZEMAX
#define CHARGE_MSG	48	/* sizeof(struct msg_msg), x86_64 */
#define CHARGE_NODE	48	/* sizeof(struct posix_msg_tree_node) */

/* ---- names ------------------------------------------------------------ */

/* glibc's and the kernel's checks, in their order (B3).  *out is the
 * name without its '/'. */
static int check_name(const char *name, const char **out)
{
	long len;

	if (bad_uptr(name))
		return -EFAULT;
	len = ubyte(name);
	if (len < 0)
		return -EFAULT;
	if (len != '/')
		return -EINVAL;
	name++;
	len = ustrnlen(name, PATH_MAX);
	if (len < 0)
		return -EFAULT;
	if (len >= PATH_MAX)	/* the kernel's copy of name + 1 */
		return -ENAMETOOLONG;
	if (!len)
		return -ENOENT;
	*out = name;
	return 0;
}

static int check_component(const char *name)
{
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EACCES;
	if (strlen(name) > PQ_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static void name_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "names/%s", name);
}

/* The generation a name points to: > 0, -ENOENT, or -EACCES when the
 * namespace's names/ cannot be read. */
static int64_t lookup(struct ns *ns, const char *name)
{
	char path[PATH_MAX], target[32];
	uint64_t gen;
	ssize_t n;

	name_path(path, sizeof(path), name);
	n = readlinkat(ns->dirfd, path, target, sizeof(target) - 1);
	if (n < 0 && errno != ENOENT && errno != EINVAL) {
		/* EINVAL: not a symlink, garbage and no queue; the others
		 * say names/ is not what it should be. */
		ns_debug(ns->dir, "cannot read names/: %s", strerror(errno));
		return errno == EACCES ? -EACCES : errno == ENOMEM ? -ENOMEM :
		       -ENOENT;
	}
	if (n <= 0)
		return -ENOENT;
	target[n] = 0;
	/* A generation is 63 bits (ns_new_gen): above, it names nothing. */
	gen = strtoull(target, NULL, 16);
	return gen && gen <= INT64_MAX ? (int64_t)gen : -ENOENT;
}

/* ---- the queue lock --------------------------------------------------- */

/* Rebuild the store from its chunks and recount (L3). */
int pq_mend(struct pview *pv)
{
	struct pqctl *c = pv->ctl;
	uint64_t qnum, qsize;
	int r = qview_follow(pv->ns, &pv->v);

	if (!r)
		r = store_rebuild(&pv->v, keep_inflight, &pv->wp, &qnum,
				  &qsize);
	if (r)
		return r == -ENOMEM ? r : -EUCLEAN;
	c->curmsgs = qnum;
	c->qsize = qsize;
	c->rstate = RS_UNKNOWN;	/* the next call with a descriptor resets it */
	return 0;
}

/* The queue lock; after a holder's death, repair first (L3).  A repair
 * that fails leaves the mutex unmended: the next taker repairs.  The
 * lane as it is. */
static int pq_take(struct pview *pv, bool bounded)
{
	struct pqctl *c = pv->ctl;
	int r = bounded ? lock_take_bounded(&c->lock, &c->lock_ns,
					    &c->lane) :
			  lock_take(&c->lock, &c->lock_ns);

	if (r < 0)
		return r;	/* bounded: the call's bound's error */
	guard_enter(&pv->guard);
	if (likely(r == 0))
		return 0;
	waiters_rebuild(&pv->wp, pv->gen, &c->wl);
	if (pq_mend(pv) == 0) {
		pq_complete_senders(pv);
		lock_mend(&c->lock);
	}
	return 0;
}

/* As lane_settle (registry.c). */
static int lane_settle(struct pview *pv)
{
	int r;

	if (pq_store_sync(pv))
		return 0;
	r = lane_close(&pv->lq);
	if (r == -EUCLEAN && pq_mend(pv) == 0)
		r = lane_close(&pv->lq);
	if (lane_shut(&pv->ctl->lane))
		return 0;
	return r && r != -EUCLEAN ? r : -ENOMEM;	/* the bound's, or ENOMEM */
}

/* Lock a POSIX queue: under its lock the store is the whole queue - or
 * as much of it as could be moved there (callers that must have it all
 * take pq_lock_all). */
void pq_lock(struct pview *pv)
{
	pq_take(pv, false);
	if (unlikely(!lane_shut(&pv->ctl->lane)))
		lane_settle(pv);
}

/* As q_settled (registry.c): locked, 0 once the lane is shut, else
 * -ENOMEM (still locked). */
int pq_settled(struct pview *pv)
{
	if (likely(lane_shut(&pv->ctl->lane)))
		return 0;
	return lane_settle(pv);
}

/* pq_lock, or -ENOMEM (or the call's bound's error), not locked, if the
 * lane could not be closed. */
int pq_lock_all(struct pview *pv)
{
	int r = pq_take(pv, true);

	if (r < 0)
		return r;
	if (unlikely(!lane_shut(&pv->ctl->lane)) && (r = lane_settle(pv))) {
		pq_unlock(pv);
		return r;
	}
	return 0;
}

/* pq_lock for a call that must hold the lock and has no "busy" answer:
 * -EDEADLK, not locked, in a signal handler whose interrupted code holds
 * it or a lane side's (DESIGN §8), as q_lock_id for System V. */
int pq_lock_call(struct pview *pv)
{
	if (unlikely(pq_mine(pv)))
		return -EDEADLK;
	return pq_lock_all(pv);
}

/* As q_lock_unless_open (registry.c): 1 with no lock when the lane is
 * open, else 0, locked, or -ENOMEM, not locked. */
int pq_lock_unless_open(struct pview *pv)
{
	int r = pq_take(pv, true);

	if (r < 0)
		return r;
	if (lane_is_open(&pv->ctl->lane)) {
		pq_unlock(pv);
		return 1;
	}
	if (unlikely(!lane_shut(&pv->ctl->lane)) && (r = lane_settle(pv))) {
		pq_unlock(pv);
		return lane_is_open(&pv->ctl->lane) ? 1 : r;
	}
	return 0;
}

void pq_unlock(struct pview *pv)
{
	guard_leave(&pv->guard);
	lock_drop(&pv->ctl->lock);
}

/* ---- permissions: the VFS rules on the queue's mode (B4) -------------- */

int pq_may_open(const struct pqctl *c, int acc)
{
	unsigned want = (acc == O_RDONLY ? 4 : acc == O_WRONLY ? 2 : 6);
	unsigned mode = c->mode, bits;
	uid_t fsuid;
	gid_t fsgid;

	cred_fs_ids(&fsuid, &fsgid);
	if (fsuid == c->uid)
		bits = mode >> 6 & 7;
	else if ((mode >> 3 & 7) != (mode & 7) && cred_in_group(c->gid))
		bits = mode >> 3 & 7;
	else
		bits = mode & 7;
	if ((want & ~bits) == 0 || cap_has(CAP_DAC_OVERRIDE))
		return 0;
	if (want == 4 && cap_has(CAP_DAC_READ_SEARCH))
		return 0;
	return -EACCES;
}

/* ---- creation --------------------------------------------------------- */

static uint64_t charge_of(int64_t maxmsg, int64_t msgsize)
{
	int64_t nodes = maxmsg < 32768 ? maxmsg : 32768;
	return (uint64_t)(maxmsg * CHARGE_MSG + nodes * CHARGE_NODE +
			  maxmsg * msgsize);
}

static int by_gen(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The names of posix/, read at once and the directory closed, so that
 * what follows needs one descriptor at a time: 0 or -errno. */
static int list_posix(struct ns *ns, uint64_t **gens, size_t *n)
{
	size_t cap = 0;
	struct dirent *e;
	int dfd = fd_open(ns->dirfd, "posix", O_RDONLY | O_DIRECTORY |
			  O_CLOEXEC, 0);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	int r = 0;

	*gens = NULL;
	*n = 0;
	if (!d) {
		r = -errno;
		if (dfd >= 0)
			close(dfd);
		return r;
	}
	while ((e = readdir(d))) {
		char *end;
		uint64_t gen = strtoull(e->d_name, &end, 16);
		/* The data files, and the FIFOs: one whose maker died
		 * before making its data file has none. */
		if (end != e->d_name + 16 || (*end && strcmp(end, ".p")) ||
		    !gen)
			continue;
		if (*n == cap) {
			uint64_t *g = realloc(*gens, (cap = cap * 2 + 64) *
					      sizeof(*g));
			if (!g) {
				r = -ENOMEM;
				break;
			}
			*gens = g;
		}
		(*gens)[(*n)++] = gen;
	}
	closedir(d);
	if (*gens) {	/* each queue once */
		size_t k = 0;

		qsort(*gens, *n, sizeof(**gens), by_gen);
		for (size_t i = 0; i < *n; i++)
			if (!k || (*gens)[i] != (*gens)[k - 1])
				(*gens)[k++] = (*gens)[i];
		*n = k;
	}
	return r;
}

/* The generations names/ names, sorted (free()d by the caller); NULL
 * when names/ cannot be read. */
static uint64_t *named_gens(struct ns *ns, size_t *n)
{
	int dfd = fd_open(ns->dirfd, "names", O_RDONLY | O_DIRECTORY |
			  O_CLOEXEC, 0);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	uint64_t *gens = NULL;
	size_t cap = 0;
	struct dirent *e;

	*n = 0;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return NULL;
	}
	while ((e = readdir(d))) {
		int64_t gen;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		gen = lookup(ns, e->d_name);
		if (gen <= 0)
			continue;
		if (*n == cap) {
			uint64_t *g = realloc(gens, (cap = cap * 2 + 64) *
					      sizeof(*g));
			if (!g)
				break;
			gens = g;
		}
		gens[(*n)++] = (uint64_t)gen;
	}
	closedir(d);
	if (!gens)
		gens = malloc(sizeof(*gens));
	if (gens)
		qsort(gens, *n, sizeof(*gens), by_gen);
	return gens;
}

/*
 * A queue whose file we may not read (another user's) counts while it
 * exists, which we cannot tell from its name, in that file.  Unnamed and
 * held by nobody (held.c), it is gone as far as the kernel would say:
 * its owner's next collection removes it.  *names: names/'s generations,
 * read at the first such queue.
 */
static bool unread_counts(struct ns *ns, uint64_t gen, const char *fifo,
			  uint64_t **names, size_t *nnames)
{
	if (!*names)
		*names = named_gens(ns, nnames);
	if (!*names || bsearch(&gen, *names, *nnames, sizeof(gen), by_gen))
		return true;
	return fifo_held_listed(ns->dirfd, fifo);
}

/*
 * Destroy unlinked queues nobody holds any more, then count the queues
 * and this user's charge: all of posix/ (only < 0), which is for when the
 * hints would refuse a creation, or one queue.  A queue being created
 * is not collected: its maker holds its FIFO from before its data file
 * is made (create()); what a dead maker left is.  0, or -errno when
 * posix/ cannot be read.
 */
static int gc_and_count(struct ns *ns, int64_t only, long *count,
			uint64_t *usage, uid_t ruid)
{
	uint64_t *names = NULL;
	size_t nnames = 0;
	uint64_t one = (uint64_t)only, *gens = &one;
	size_t n = 1;
	int r = only > 0 ? 0 : list_posix(ns, &gens, &n);

	*count = 0;
	*usage = 0;
	for (size_t i = 0; !r && i < n; i++) {
		uint64_t gen = gens[i];
		char data[64], fifo[64];
		struct pqctl c;
		struct stat st;
		ssize_t got;
		int fd;
		pq_path(data, sizeof(data), gen, PQ_DATA);
		pq_path(fifo, sizeof(fifo), gen, PQ_FIFO);
		/* O_NONBLOCK: a FIFO put in its place must not hang us. */
		fd = fd_open(ns->dirfd, data, O_RDONLY | O_NONBLOCK |
			     O_CLOEXEC, 0);
		if (fd < 0) {
			/* Someone's we may not read: we cannot collect it,
			 * nor tell its charge (the namespace's agent can:
			 * made by a process of our real uid whose fsuid was
			 * another's, it is ours). */
			int e = errno;

			/* A FIFO alone, unheld for a minute (its maker holds
			 * it a system call after making it): its maker died
			 * before making the data file (until December 6 it
			 * stayed for good). */
			if (e == ENOENT && !fstatat(ns->dirfd, fifo, &st,
						    AT_SYMLINK_NOFOLLOW) &&
			    S_ISFIFO(st.st_mode) &&
			    st.st_mtime + 60 < proc_now() &&
			    !fifo_held(ns->dirfd, fifo))
				unlinkat(ns->dirfd, fifo, 0);
			if (e != ENOENT &&
			    unread_counts(ns, gen, fifo, &names, &nnames)) {
				(*count)++;
				if (e == EACCES)
					*usage += agent_posix_charge(ns, gen);
			}
			continue;
		}
		memset(&c, 0, sizeof(c));	/* a short file: no magic */
		got = fstat(fd, &st) || !S_ISREG(st.st_mode) ? -1 :
		      pread(fd, &c, offsetof(struct pqctl, name) +
			    PQ_NAME_MAX + 1, 0);
		close(fd);
		/* Its maker, which held the FIFO from before the file was
		 * made, died before the magic. */
		if (got >= 0 && (!got || !c.magic) &&
		    !fifo_held(ns->dirfd, fifo)) {
			unlinkat(ns->dirfd, fifo, 0);
			unlinkat(ns->dirfd, data, 0);
			continue;
		}
		if (got <= 0 || c.magic != PQ_MAGIC || c.gen != gen)
			continue;
		c.name[PQ_NAME_MAX] = 0;
		if (lookup(ns, c.name) != (int64_t)gen &&
		    !fifo_held(ns->dirfd, fifo)) {
			unlinkat(ns->dirfd, fifo, 0);
			/* Whoever removes the file gives back its count and
			 * charge: one remover only. */
			if (!unlinkat(ns->dirfd, data, 0)) {
				hint_add(ns, H_PQ_COUNT, -1);
				hint_charge(ns, c.charge_uid,
					    -(int64_t)c.charge);
			}
			pq_path(data, sizeof(data), gen, PQ_NOTE);
			unlinkat(ns->dirfd, data, 0);
			continue;
		}
		(*count)++;
		if (c.charge_uid == ruid)
			*usage += c.charge;
	}
	if (gens != &one)
		free(gens);
	free(names);
	return r;
}

/*
 * What the umask takes off a new queue's mode.  The OS applies it to the
 * file made 0777, but not under a default ACL on posix/ (its owner, the
 * namespace's, may set one): then the thread's umask as /proc shows it
 * (umask() would change it, for a moment, for every thread), or, without
 * /proc, group and other.
 */
static mode_t umask_off(struct ns *ns)
{
	char buf[4096], *p;
	ssize_t n;
	int fd = fd_open(AT_FDCWD, "/proc/thread-self/status",
			 O_RDONLY | O_CLOEXEC, 0);

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			p = strstr(buf, "\nUmask:");
			if (p)
				return (mode_t)strtoul(p + 7, NULL, 8) & 0777;
		}
	}
	fd = fd_open(ns->dirfd, "posix", O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		     0);
	n = fd < 0 ? -1 : fgetxattr(fd, "system.posix_acl_default", NULL, 0);
	if (fd >= 0)
		close(fd);
	return n > 0 || (n < 0 && errno != ENODATA && errno != EOPNOTSUPP) ?
	       077 : 0;
}

/* Size queue file fd and write its block and empty store through one
 * mapping, which is returned in *base (*size bytes) for its view. */
static int init_queue(int fd, uint64_t gen, const char *name, mode_t mode,
		      int64_t maxmsg, int64_t msgsize, uint64_t charge,
		      uid_t ruid, uint64_t fifo_ino, void **base,
		      size_t *size)
{
	uint32_t chunk = (uint32_t)((sizeof(struct msg) + msgsize + 63) & ~63);
	uint32_t nchunks = (uint32_t)maxmsg + 1;
	size_t total = PQ_STORE_OFF + store_size(chunk, nchunks);
	struct pqctl *c;
	uid_t fsuid;
	gid_t fsgid;

	/* Sparse, but for what is written now: the header and the store's
	 * (on a full filesystem, a store into a hole faults - SIGBUS, as
	 * the mapping is not watched yet - where mq_open must fail). */
	if (fd_size(fd, (off_t)total) ||
	    fd_alloc(fd, 0, (off_t)sizeof(struct pqctl)) ||
	    fd_alloc(fd, PQ_STORE_OFF, STORE_HDR_SIZE))
		return -ENOMEM;
	c = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (c == MAP_FAILED)
		return -ENOMEM;
	store_format((char *)c + PQ_STORE_OFF, gen, chunk, nchunks);
	if (lock_init(&c->lock) || lock_init(&c->lane.slock) ||
	    lock_init(&c->lane.rlock)) {
		munmap(c, total);
		return -ENOMEM;
	}
	c->lock_ns = holder_ident();
	c->lane.slock_ns = c->lane.rlock_ns = c->lock_ns;
	c->lane.gate = LANE_CLOSED;	/* opened by pq_reopen (pwatch.c) */
	c->wl.rhead = c->wl.rtail = c->wl.shead = c->wl.stail = NIL;
	c->notify_rec = NIL;
	c->version = UMQ_LAYOUT_VERSION;
	c->hdr_size = sizeof(*c);
	c->gen = gen;
	c->maxmsg = maxmsg;
	c->msgsize = msgsize;
	c->mode = mode;
	cred_fs_ids(&fsuid, &fsgid);
	c->uid = fsuid;
	c->gid = fsgid;
	c->charge_uid = ruid;
	c->charge = charge;
	strcpy(c->name, name);
	c->fifo_ino = fifo_ino;
	__atomic_store_n(&c->magic, PQ_MAGIC, __ATOMIC_RELEASE);
	*base = c;
	*size = total;
	return 0;
}

/*
 * posix/ cannot be used to create a queue (errno e): the kernel's errno
 * for mq_open.  No descriptor left is EMFILE there too.
 */
static int create_errno(struct ns *ns, int e)
{
	if (e == EMFILE || e == ENFILE)
		return -e;
	ns_debug(ns->dir, "cannot create a queue in posix/%s: %s",
		 e == ENOENT ? " (its owner has not made it yet)" : "",
		 strerror(e));
	if (e == EACCES || e == EPERM || e == ENOENT || e == ENOTDIR)
		return -EACCES;
	return e == EROFS ? -EROFS : -ENOMEM;
}

static int check_attr(const struct umq_limits *lim, int64_t maxmsg,
		      int64_t msgsize)
{
	if (maxmsg <= 0 || msgsize <= 0)
		return -EINVAL;
	if (cap_has(CAP_SYS_RESOURCE) ?
	    (maxmsg > HARD_MSGMAX || msgsize > HARD_MSGSIZEMAX) :
	    (maxmsg > lim->msg_max || msgsize > lim->msgsize_max))
		return -EINVAL;
	return 0;
}

/* Create queue `name` (B4 step 6).  Returns its generation, and in
 * *guard the caller's descriptor of its FIFO, opened with access acc and
 * holding its lock from before the queue has a name: a collection
 * running meanwhile (gc_and_count) leaves a held queue alone. */
static int64_t create(struct ns *ns, const char *name, mode_t mode,
		      const struct mq_attr *attr, int acc, int oflag,
		      int *guard, void **base, size_t *size)
{
	struct flock lk = {
		.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_len = 1,
	};
	struct umq_limits lim;
	struct rlimit rl;
	struct stat st, fst;
	char data[64], fifo[64], npath[PATH_MAX], target[20];
	int64_t maxmsg, msgsize, r;
	uint64_t usage, charge, gen;
	uid_t ruid = getuid();
	long count;
	unsigned int qmax;
	int fd, tries = 0;

	ns_limits(ns, &lim);
	if (attr) {
		maxmsg = attr->mq_maxmsg;
		msgsize = attr->mq_msgsize;
	} else {
		maxmsg = lim.msg_max < lim.msg_default ? lim.msg_max :
							 lim.msg_default;
		msgsize = lim.msgsize_max < lim.msgsize_default ?
			  lim.msgsize_max : lim.msgsize_default;
	}
	/* The hints say how many queues there are and what this user has
	 * charged, at least (layout.h): counted before the files are made,
	 * given back when they go.  When they would refuse, posix/ itself
	 * is counted, which also collects what crashed holders left. */
	count = (long)hint_add(ns, H_PQ_COUNT, 1) - 1;
	qmax = (unsigned int)lim.queues_max;	/* as the kernel's */
	if ((count < 0 || (unsigned long)count >= qmax) &&
	    !cap_has(CAP_SYS_RESOURCE)) {
		r = gc_and_count(ns, -1, &count, &usage, ruid);
		if (r) {
			hint_add(ns, H_PQ_COUNT, -1);
			return create_errno(ns, (int)-r);
		}
		hint_set(ns, H_PQ_COUNT, (int32_t)count + 1);
		if ((unsigned long)count >= qmax) {
			hint_add(ns, H_PQ_COUNT, -1);
			return -ENOSPC;
		}
	}
	r = check_attr(&lim, maxmsg, msgsize);
	if (r) {
		hint_add(ns, H_PQ_COUNT, -1);
		return r;
	}
	charge = charge_of(maxmsg, msgsize);
	getrlimit(RLIMIT_MSGQUEUE, &rl);
	usage = hint_charge(ns, ruid, (int64_t)charge);
	if (rl.rlim_cur != RLIM_INFINITY && usage > rl.rlim_cur) {
		uint64_t hinted = usage - charge;
		r = gc_and_count(ns, -1, &count, &usage, ruid);
		/* Put the hint right: what posix/ says, plus this queue. */
		hint_charge(ns, ruid, (int64_t)usage - (int64_t)hinted);
		if (r || usage + charge > rl.rlim_cur) {
			hint_charge(ns, ruid, -(int64_t)charge);
			hint_add(ns, H_PQ_COUNT, -1);
			return r ? create_errno(ns, (int)-r) : -EMFILE;
		}
	}
again:
	gen = ns_new_gen();
	pq_path(data, sizeof(data), gen, PQ_DATA);
	pq_path(fifo, sizeof(fifo), gen, PQ_FIFO);
	/* The FIFO first, held as a descriptor holds it: a collection
	 * running meanwhile (gc_and_count) leaves a held queue alone. */
	if (mkfifoat(ns->dirfd, fifo, 0600)) {
		if (errno == EEXIST && ++tries < 8)
			goto again;	/* not ours */
		r = create_errno(ns, errno);
		goto fail_hints;
	}
	/* The caller's descriptor to be (make_desc), opened as it opens it
	 * (a FIFO opened read-write does not block; and it is ours: posix/
	 * is sticky). */
	*guard = openat(ns->dirfd, fifo, mqd_oflags(acc) |
			(oflag & O_NONBLOCK) | O_CLOEXEC);
	if (*guard < 0 || fcntl(*guard, F_OFD_SETLK, &lk)) {
		r = *guard < 0 && (errno == EMFILE || errno == ENFILE) ?
		    -errno : -ENOMEM;
		goto fail_fifo;
	}
	/* Created 0777 so that the OS applies the umask (umask_off()
	 * too): what remains is the mode, and the file then gets its
	 * envelope. */
	fd = fd_open(ns->dirfd, data, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		     0777);
	if (fd < 0) {
		r = create_errno(ns, errno);
		goto fail_fifo;
	}
	if (fstat(fd, &st) || fstat(*guard, &fst)) {
		r = -errno;
		goto fail;
	}
	mode &= 07777 & ~(0777 & ~st.st_mode) & ~umask_off(ns);
	r = init_queue(fd, gen, name, mode, maxmsg, msgsize, charge, ruid,
		       (uint64_t)fst.st_ino, base, size);
	if (r)
		goto fail;
	if (env_strip(fd) || env_strip(*guard) ||
	    fchmod(fd, mode_envelope(mode)) ||
	    fchmod(*guard, mode_envelope(mode))) {
		r = -ENOMEM;
		goto fail_map;
	}
	/* Publishing the name is the commit. */
	snprintf(target, sizeof(target), "%016llx", (unsigned long long)gen);
	name_path(npath, sizeof(npath), name);
	if (symlinkat(target, ns->dirfd, npath)) {
		r = errno == EEXIST ? -EEXIST : -ENOMEM;
		goto fail_map;
	}
	close(fd);
	return (int64_t)gen;
fail_map:
	munmap(*base, *size);
fail:
	close(fd);
	unlinkat(ns->dirfd, data, 0);
fail_fifo:
	if (*guard >= 0)
		close(*guard);
	*guard = -1;
	unlinkat(ns->dirfd, fifo, 0);
fail_hints:
	hint_charge(ns, ruid, -(int64_t)charge);
	hint_add(ns, H_PQ_COUNT, -1);
	return r;
}

/* ---- mq_open ---------------------------------------------------------- */

/*
 * Open the FIFO as the descriptor the caller gets: read-write whatever
 * acc says (mqd_oflags marks acc), holding its read lock, the
 * description's mark that it is open (see header), and with the FIFO
 * given the queue's state (ready.c): the pipe is new if no descriptor of
 * the queue was left open.  guard >= 0: the FIFO create() just made,
 * opened with the caller's flags and locked - a new pipe.
 */
static int path_desc(struct ns *ns, uint64_t gen)
{
	char fifo[64];
	struct stat st;
	int fd;

	pq_path(fifo, sizeof(fifo), gen, PQ_FIFO);
	fd = openat(ns->dirfd, fifo, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == EMFILE || errno == ENFILE ? -errno : -ENOENT;
	if (fstat(fd, &st) || !S_ISFIFO(st.st_mode)) {
		close(fd);
		return -EUCLEAN;
	}
	return fd;
}

/* Under the queue lock: a descriptor opened without UMQ_O_NOPOLL may be
 * polled (pwatch.c); one opened with it asks whether anyone still may. */
static int open_watch(struct pview *pv, int fd, int oflag)
{
	if (oflag & UMQ_O_NOPOLL) {
		pq_watch_check(pv, fd);
		return 0;
	}
	return pq_watch_locked(pv, fd) ? -ENOMEM : 0;	/* ENOLCK, ENOMEM */
}

static int make_desc(struct ns *ns, struct pview *pv, int acc, int oflag,
		     int guard)
{
	struct flock lk = {
		.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_len = 1,
	};
	char fifo[64];
	int fd = guard, r;

	if (guard >= 0) {
		pq_lock(pv);
		mqd_new(pv, fd);
		r = open_watch(pv, fd, oflag);
		pq_unlock(pv);
		if (r) {
			close(fd);
			return r;
		}
		desc_set(fd, pv, acc);
		dslot(fd, false)->watched = !(oflag & UMQ_O_NOPOLL);
		dslot(fd, false)->nb = oflag & O_NONBLOCK;	/* the hint */
		return fd;
	}
	pq_path(fifo, sizeof(fifo), pv->gen, PQ_FIFO);
	fd = openat(ns->dirfd, fifo, mqd_oflags(acc) | O_NONBLOCK |
		    O_CLOEXEC);
	if (fd < 0)
		return errno == EMFILE || errno == ENFILE ? -errno :
		       errno == EACCES ? -EACCES : errno == ENOMEM ?
		       -ENOMEM : errno == ELOOP ? -EUCLEAN : -ENOENT;
	/* A file or a symlink put in the FIFO's place (by a user of the
	 * queue: posix/ is sticky) is no queue's descriptor.  (O_NOFOLLOW
	 * is one of the access marks, so: fstat.) */
	struct stat st;
	if (fstat(fd, &st) || !S_ISFIFO(st.st_mode)) {
		close(fd);
		return -EUCLEAN;
	}
	if (fcntl(fd, F_OFD_SETLK, &lk)) {
		close(fd);
		return -ENOMEM;		/* the kernel's lock table is full */
	}
	pq_lock(pv);
	mqd_reset(pv, fd);
	r = open_watch(pv, fd, oflag);
	pq_unlock(pv);
	if (r) {
		close(fd);
		return r;
	}
	/* F_SETFL changes none of the other flags we opened it with. */
	if (!(oflag & O_NONBLOCK))
		fcntl(fd, F_SETFL, mqd_oflags(acc));
	desc_set(fd, pv, acc);
	dslot(fd, false)->watched = !(oflag & UMQ_O_NOPOLL);
	dslot(fd, false)->nb = oflag & O_NONBLOCK;
	return fd;
}

static void gc_one(struct ns *ns, uint64_t gen);

/* Undo a creation the caller will not get a descriptor of (as if it had
 * unlinked the queue at once), unless the name was unlinked and made
 * again meanwhile: that queue is not ours to remove.  (Between the look
 * and the unlink, only a process that may remove our entry - ours, the
 * sticky directory's owner, root - can slip a new one in.) */
static void uncreate(struct ns *ns, const char *name, uint64_t gen)
{
	char npath[PATH_MAX];

	name_path(npath, sizeof(npath), name);
	if (lookup(ns, name) == (int64_t)gen)
		unlinkat(ns->dirfd, npath, 0);
	gc_one(ns, gen);
}

/* Is a descriptor free?  (F_DUPFD says EINVAL when RLIMIT_NOFILE is 0.) */
static bool fd_spare(int any)
{
	int fd = fcntl(any, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int do_mq_open(const char *name, int oflag, mode_t mode,
		      const struct mq_attr *uattr)
{
	struct mq_attr attr;
	struct pview *pv;
	struct ns *ns;
	int acc = oflag & O_ACCMODE, r, guard = -1;
	bool created = false, kept = false;
	size_t size = 0;
	void *base = NULL;
	int64_t gen = 0;

	/* glibc's slash check, then the kernel's copy of attr, then of the
	 * name (B4 steps 1-3). */
	if (!bad_uptr(name) && (r = (int)ubyte(name)) >= 0 && r != '/')
		return -EINVAL;
	if (uattr && (bad_uptr(uattr) || ucopy(&attr, uattr, sizeof(attr))))
		return -EFAULT;
	r = check_name(name, &name);
	if (r)
		return r;
	r = ns_get(&ns);
	if (r)
		return r == -EMFILE || r == -ENFILE ? r :
		       ns_errno(r, oflag & O_CREAT ? NSE_CREATE : NSE_LOOKUP);
	r = check_component(name);
	if (r)
		goto out;
	/* No lock: an mq_unlink and its collection racing with us leave
	 * us a queue whose files are gone, which fails below with ENOENT as
	 * if the unlink came first, or one we hold (the FIFO's lock) that
	 * lives on unnamed, as if we opened it first.  Both are orders the
	 * kernel could have chosen. */
	for (int tries = 0;; tries++) {
		gen = lookup(ns, name);
		if (gen == -ENOENT && (oflag & O_CREAT)) {
			gen = create(ns, name, mode, uattr ? &attr : NULL,
				     acc, oflag, &guard, &base, &size);
			created = gen > 0;
			/* Another creator was first: open its queue. */
			if (gen == -EEXIST && !(oflag & O_EXCL) && tries < 8)
				continue;
		} else if (gen > 0 && (oflag & (O_CREAT | O_EXCL)) ==
			   (O_CREAT | O_EXCL)) {
			gen = -EEXIST;
		} else if (gen > 0 && acc == 3) {
			gen = -EINVAL;
		} else if (gen > 0) {
			oflag &= ~O_CREAT;	/* existing: check the access */
		}
		break;
	}
	if (gen < 0) {
		r = (int)gen;
		goto out;
	}
	r = created ? pview_made(ns, (uint64_t)gen, base, size, &pv) :
		      pview_get(ns, (uint64_t)gen, -1, &pv);
	if (r)
		goto out;
	/* A name is anyone's to make: one that leads to a queue of another
	 * name (someone's symlink to it) names nothing. */
	if (strncmp(pv->ctl->name, name, PQ_NAME_MAX + 1)) {
		pview_unref(pv);
		r = -ENOENT;
		goto out;
	}
	/* The creator gets its access even with mode 0 (B4 step 6.7). */
	if (!(oflag & O_CREAT))
		r = pq_may_open(pv->ctl, acc);
	/* After the checks (and a creation, which stays), the kernel's open
	 * of the queue's file: O_PATH gives a descriptor that names the
	 * queue and that no mq_* call takes (EBADF) - here, of its FIFO,
	 * known to no table - and O_DIRECT is refused. */
	if (!r && (oflag & O_PATH)) {
		r = path_desc(ns, pv->gen);
		pview_unref(pv);
		kept = true;
		goto out;
	}
	if (!r && (oflag & O_DIRECT)) {
		r = -EINVAL;
		kept = true;
	}
	if (!r) {
		r = make_desc(ns, pv, acc, oflag, guard);
		guard = -1;	/* it is the caller's now, or closed */
	}
	if (r < 0)
		pview_unref(pv);
out:
	if (guard >= 0)
		close(guard);
	/*
	 * The kernel takes a descriptor first: EMFILE beats every error
	 * from here on (B4 step 4).  Only a failure needs to ask (a success
	 * got its descriptor, or EMFILE); the caller's descriptor is opened
	 * last, so that, as on the kernel, one free descriptor is enough.
	 */
	if (r < 0 && r != -EMFILE && !fd_spare(ns->dirfd))
		r = -EMFILE;
	if (r < 0 && created && (!kept || r == -EMFILE))
		uncreate(ns, name, (uint64_t)gen);
	return r;
}

UMQ_EXPORT mqd_t umq_mq_open(const char *name, int oflag, ...)
{
	struct mq_attr *attr = NULL;
	mode_t mode = 0;
	va_list ap;

	/* glibc reads mode and attr only with O_CREAT (B1). */
	if (oflag & O_CREAT) {
		va_start(ap, oflag);
		mode = (mode_t)va_arg(ap, unsigned int);
		attr = va_arg(ap, struct mq_attr *);
		va_end(ap);
	}
	return (mqd_t)ret_errno(do_mq_open(name, oflag, mode, attr));
}

/* ---- mq_close, mq_unlink ---------------------------------------------- */

static void gc_one(struct ns *ns, uint64_t gen)
{
	long count;
	uint64_t usage;

	gc_and_count(ns, (int64_t)gen, &count, &usage, (uid_t)-1);
}

static void closed_later(void *pv)
{
	pq_closed(pv);
}

/*
 * A descriptor of queue pv was closed or replaced (by mq_close, or by the
 * preload's close, dup2 or close_range): what the kernel's flush and
 * release do.  Closing any descriptor of the queue drops the caller's
 * registration (B10); an unlinked queue goes with its last descriptor.
 */
void pq_closed(struct pview *pv)
{
	struct ns *ns = pv->ns;
	uint64_t gen = pv->gen;

	char name[PQ_NAME_MAX + 1];

	/* A signal handler's close while the code it interrupted holds the
	 * queue's lock or a side's (§8): the descriptor is gone, the rest is
	 * done as that code lets go.  (With no room for it: the view's
	 * reference only; the registration then lasts until the process
	 * ends, the watch word until the queue's next open or close.) */
	if (unlikely(pq_mine(pv))) {
		if (lock_later(closed_later, pv))
			pview_unref(pv);
		return;
	}
	pq_lock(pv);
	notify_drop_own(pv);
	pq_watch_check(pv, -1);		/* was it the last watcher? */
	memcpy(name, pv->ctl->name, sizeof(name));
	pq_unlock(pv);
	pview_unref(pv);
	/* Still named, so nothing to collect: one readlink.  (A garbage
	 * name names something else, and the collection looks closer.) */
	name[PQ_NAME_MAX] = 0;
	if (lookup(ns, name) != (int64_t)gen)
		gc_one(ns, gen);
}

static int do_close(mqd_t mqdes)
{
	struct pdesc *d;
	struct pview *pv;
	int r;

	/* Not a queue: close() it all the same, as mq_close is close. */
	if (pdesc_get(mqdes, &d))
		return close(mqdes) ? -errno : 0;
	pv = pdesc_take(mqdes);
	r = close(mqdes) ? -errno : 0;
	if (pv)
		pq_closed(pv);
	return r;
}

UMQ_EXPORT int umq_mq_close(mqd_t mqdes)
{
	return (int)ret_errno(do_close(mqdes));
}

static int do_unlink(const char *name)
{
	char path[PATH_MAX];
	struct ns *ns;
	int64_t gen;
	int r = check_name(name, &name);

	if (!r)
		r = check_component(name);
	if (r)
		return r;
	r = ns_get(&ns);
	if (r)
		return ns_errno(r, NSE_LOOKUP);
	gen = lookup(ns, name);
	name_path(path, sizeof(path), name);
	if (gen < 0)
		r = (int)gen;
	else if (unlinkat(ns->dirfd, path, 0))
		/* The sticky directory's rule; glibc turns EPERM into
		 * EACCES (B7). */
		r = errno == EPERM || errno == EACCES ? -EACCES : -ENOENT;
	if (!r)
		gc_one(ns, (uint64_t)gen);
	return r;
}

UMQ_EXPORT int umq_mq_unlink(const char *name)
{
	return (int)ret_errno(do_unlink(name));
}

/* ---- attributes and status -------------------------------------------- */

/* mq_getsetattr(): what the descriptor and its queue say now.  attr NULL
 * reads nothing and succeeds, as the system call does. */
static int getattr(mqd_t mqdes, struct mq_attr *attr)
{
	struct mq_attr a;
	struct pdesc *d;
	struct pqctl *c;
	int r = pdesc_get(mqdes, &d), fl;

	if (r)
		return r;
	if (!attr)
		return 0;
	if (bad_uptr(attr))
		return -EFAULT;
	fl = fcntl(mqdes, F_GETFL);
	c = d->pv->ctl;
	memset(&a, 0, sizeof(a));
	a.mq_flags = fl > 0 ? fl & O_NONBLOCK : 0;
	a.mq_maxmsg = d->pv->maxmsg;
	a.mq_msgsize = d->pv->msgsize;
	uint64_t n, b;
	uint32_t g = lane_total(&c->lane, (char *)c + PQ_LANE_OFF,
				&d->pv->lq.pg, true, &c->curmsgs, &c->qsize,
				&n, &b);
	a.mq_curmsgs = (long)n;
	/* A close moving the lane into the store, or a count no queue can
	 * have (damage): count under the lock, which finishes the close -
	 * unless this is a signal handler's call and the code it interrupted
	 * holds the queue's lock or a side's, which the close may be waiting
	 * for (§8): then the count as read, as IPC_STAT's. */
	if (unlikely((g != LANE_OPEN && g != LANE_CLOSED) ||
		     (uint64_t)a.mq_curmsgs > (uint64_t)a.mq_maxmsg) &&
	    !pq_mine(d->pv)) {
		pq_lock(d->pv);
		if (c->curmsgs > (uint64_t)d->pv->maxmsg)
			pq_mend(d->pv);
		mqd_sync(d->pv, mqdes);
		a.mq_curmsgs = (long)c->curmsgs;
		pq_unlock(d->pv);
	}
	if ((uint64_t)a.mq_curmsgs > (uint64_t)a.mq_maxmsg)
		return -EUCLEAN;
	return ucopy(attr, &a, sizeof(a));
}

UMQ_EXPORT int umq_mq_getattr(mqd_t mqdes, struct mq_attr *attr)
{
	return (int)ret_errno(getattr(mqdes, attr));
}

static int setattr(mqd_t mqdes, const struct mq_attr *newattr,
		   struct mq_attr *oldattr)
{
	struct mq_attr old, in;
	int r, fl;

	/* NULL: only read the attributes, as mq_getsetattr allows. */
	if (newattr && (bad_uptr(newattr) || ucopy(&in, newattr, sizeof(in))))
		return -EFAULT;
	if (newattr)
		newattr = &in;
	if (newattr && newattr->mq_flags & ~O_NONBLOCK)	/* before EBADF */
		return -EINVAL;
	r = getattr(mqdes, &old);
	if (r)
		return r;
	if (newattr) {
		fl = fcntl(mqdes, F_GETFL);
		fl = newattr->mq_flags & O_NONBLOCK ? fl | O_NONBLOCK :
						      fl & ~O_NONBLOCK;
		fcntl(mqdes, F_SETFL, fl);
	}
	/* Written last, after the change, as the kernel does. */
	if (oldattr && (bad_uptr(oldattr) ||
			ucopy(oldattr, &old, sizeof(old))))
		return -EFAULT;
	return 0;
}

UMQ_EXPORT int umq_mq_setattr(mqd_t mqdes, const struct mq_attr *newattr,
			      struct mq_attr *oldattr)
{
	return (int)ret_errno(setattr(mqdes, newattr, oldattr));
}

static ssize_t status(mqd_t mqdes, char *buf, size_t len)
{
	struct pdesc *d;
	char line[128];
	int r = pdesc_get(mqdes, &d), n;

	if (r)
		return r;
	if ((r = pq_lock_call(d->pv)))
		return r;
	n = notify_status(d->pv, line, sizeof(line));
	mqd_sync(d->pv, mqdes);
	pq_unlock(d->pv);
	if ((size_t)n > len)
		n = (int)len;
	if (n && (bad_uptr(buf) || ucopy(buf, line, (size_t)n)))
		return -EFAULT;
	return n;
}

UMQ_EXPORT ssize_t umq_mq_status(mqd_t mqdes, char *buf, size_t len)
{
	return ret_errno(UNBOUNDED(status(mqdes, buf, len)));
}
