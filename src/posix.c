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
#include <unistd.h>

#include "internal.h"

#define HARD_MSGMAX	65536
#define HARD_MSGSIZEMAX	(16 << 20)
#define CHARGE_MSG	48	/* sizeof(struct msg_msg), x86_64 */
#define CHARGE_NODE	48	/* sizeof(struct posix_msg_tree_node) */

/* ---- names ------------------------------------------------------------ */

/* glibc's and the kernel's checks, in their order (B3).  *out is the
 * name without its '/'. */
static int check_name(const char *name, const char **out)
{
	size_t len;

	if (bad_uptr(name))
		return -EFAULT;
	if (name[0] != '/')
		return -EINVAL;
	name++;
	len = strnlen(name, PATH_MAX);
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

/* The generation a name points to: > 0, or -ENOENT. */
static int64_t lookup(struct ns *ns, const char *name)
{
	char path[PATH_MAX], target[32];
	ssize_t n;

	name_path(path, sizeof(path), name);
	n = readlinkat(ns->dirfd, path, target, sizeof(target) - 1);
	if (n <= 0)
		return errno == ENOENT || n == 0 ? -ENOENT : -errno;
	target[n] = 0;
	return (int64_t)strtoull(target, NULL, 16) ?: -ENOENT;
}

/* ---- the queue lock --------------------------------------------------- */

/* Rebuild the store from its chunks and recount (L3). */
int pq_mend(struct pview *pv)
{
	struct pqctl *c = pv->ctl;
	uint64_t qnum, qsize;
	int r = qview_follow(pv->ns, &pv->v);

	if (!r)
		r = store_rebuild(&pv->v, keep_inflight, pv->ns, &qnum,
				  &qsize);
	if (r)
		return r == -ENOMEM ? r : -EUCLEAN;
	c->curmsgs = qnum;
	c->qsize = qsize;
	readiness_sync(pv);
	return 0;
}

/* Lock a POSIX queue; after a holder's death, repair first (L3).  A
 * repair that fails leaves the mutex unmended: the next taker repairs. */
void pq_lock(struct pview *pv)
{
	struct pqctl *c = pv->ctl;

	if (likely(lock_take(&c->lock, &c->lock_ns) == 0))
		return;
	waiters_rebuild(pv->ns, NIL, pv->gen, &c->wl);
	if (pq_mend(pv) == 0) {
		pq_complete_senders(pv);
		lock_mend(&c->lock);
	}
}

void pq_unlock(struct pview *pv)
{
	lock_drop(&pv->ctl->lock);
}

/* ---- permissions: the VFS rules on the queue's mode (B4) -------------- */

static int may_open(const struct pqctl *c, int acc)
{
	unsigned want = (acc == O_RDONLY ? 4 : acc == O_WRONLY ? 2 : 6);
	unsigned mode = c->mode, bits;
	uid_t fsuid = (uid_t)syscall(SYS_setfsuid, (uid_t)-1);
	gid_t fsgid = (gid_t)syscall(SYS_setfsgid, (gid_t)-1);

	if (fsuid == c->uid) {
		bits = mode >> 6 & 7;
	} else {
		gid_t list[NGROUPS_MAX];
		int n = fsgid == c->gid ? -1 : getgroups(NGROUPS_MAX, list);
		bool in = n < 0;
		for (int i = 0; i < n && !in; i++)
			in = list[i] == c->gid;
		bits = in ? mode >> 3 & 7 : mode & 7;
	}
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

/*
 * Destroy unlinked queues nobody holds any more, then count the queues
 * and this user's charge.  Caller holds the registry lock (so no queue is
 * half created).
 */
static void gc_and_count(struct ns *ns, int64_t only, long *count,
			 uint64_t *usage, uid_t ruid)
{
	struct dirent *e;
	int dfd = openat(ns->dirfd, "posix", O_RDONLY | O_DIRECTORY |
			 O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;

	*count = 0;
	*usage = 0;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	while ((e = readdir(d))) {
		struct pqctl c;
		char fifo[32];
		int fd;
		if (strlen(e->d_name) != 16)
			continue;
		uint64_t gen = strtoull(e->d_name, NULL, 16);
		if (only > 0 && gen != (uint64_t)only)
			continue;
		fd = openat(dfd, e->d_name, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			/* Someone's we may not read: it exists, and counts; we
			 * cannot tell its charge or collect it. */
			(*count)++;
			continue;
		}
		ssize_t n = pread(fd, &c, offsetof(struct pqctl, name) +
				  PQ_NAME_MAX + 1, 0);
		close(fd);
		if (n <= 0 || c.magic != PQ_MAGIC || c.gen != gen)
			continue;
		c.name[PQ_NAME_MAX] = 0;
		snprintf(fifo, sizeof(fifo), "%s.p", e->d_name);
		if (lookup(ns, c.name) != (int64_t)gen && !fifo_held(dfd, fifo)) {
			unlinkat(dfd, fifo, 0);
			unlinkat(dfd, e->d_name, 0);
			fifo[17] = 'n';		/* notify.c's lock file */
			unlinkat(dfd, fifo, 0);
			continue;
		}
		(*count)++;
		if (c.charge_uid == ruid)
			*usage += c.charge;
	}
	closedir(d);
}

/* Is an open description holding its OFD lock on this FIFO? */
bool fifo_held(int dfd, const char *fifo)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = openat(dfd, fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	bool held;

	if (fd < 0)
		return false;
	held = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
	close(fd);
	return held;
}

static int init_queue(int fd, uint64_t gen, const char *name, mode_t mode,
		      int64_t maxmsg, int64_t msgsize, uint64_t charge)
{
	uint32_t chunk = (uint32_t)((sizeof(struct msg) + msgsize + 63) & ~63);
	uint32_t nchunks = (uint32_t)maxmsg + 1;
	size_t size = store_size(chunk, nchunks);
	struct pqctl *c;
	void *st;

	if (ftruncate(fd, PQ_STORE_OFF + (off_t)size))
		return -ENOMEM;
	c = mmap(NULL, PQ_STORE_OFF, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	if (c == MAP_FAILED)
		return -ENOMEM;
	st = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		  PQ_STORE_OFF);
	if (st == MAP_FAILED) {
		munmap(c, PQ_STORE_OFF);
		return -ENOMEM;
	}
	store_format(st, gen, chunk, nchunks);
	munmap(st, size);
	if (lock_init(&c->lock)) {
		munmap(c, PQ_STORE_OFF);
		return -ENOMEM;
	}
	c->lock_ns = proc_pidns();
	c->wl.rhead = c->wl.rtail = c->wl.shead = c->wl.stail = NIL;
	c->notify_rec = NIL;
	c->version = UMQ_LAYOUT_VERSION;
	c->hdr_size = sizeof(*c);
	c->gen = gen;
	c->maxmsg = maxmsg;
	c->msgsize = msgsize;
	c->mode = mode;
	c->uid = (uint32_t)syscall(SYS_setfsuid, (uid_t)-1);
	c->gid = (uint32_t)syscall(SYS_setfsgid, (gid_t)-1);
	c->charge_uid = getuid();
	c->charge = charge;
	strcpy(c->name, name);
	__atomic_store_n(&c->magic, PQ_MAGIC, __ATOMIC_RELEASE);
	munmap(c, PQ_STORE_OFF);
	return 0;
}

/* Create queue `name` (B4 step 6).  Returns its generation. */
static int64_t create(struct ns *ns, const char *name, mode_t mode,
		      const struct mq_attr *attr)
{
	struct umq_limits lim;
	struct rlimit rl;
	struct stat st;
	char data[64], fifo[64], npath[PATH_MAX], target[20];
	int64_t maxmsg, msgsize, r;
	uint64_t usage, charge, gen;
	long count;
	int fd;

	ns_limits(ns, &lim);
	gc_and_count(ns, -1, &count, &usage, getuid());
	if (count >= lim.queues_max && !cap_has(CAP_SYS_RESOURCE))
		return -ENOSPC;
	if (attr) {
		maxmsg = attr->mq_maxmsg;
		msgsize = attr->mq_msgsize;
	} else {
		maxmsg = lim.msg_max < lim.msg_default ? lim.msg_max :
							 lim.msg_default;
		msgsize = lim.msgsize_max < lim.msgsize_default ?
			  lim.msgsize_max : lim.msgsize_default;
	}
	if (maxmsg <= 0 || msgsize <= 0)
		return -EINVAL;
	if (cap_has(CAP_SYS_RESOURCE) ?
	    (maxmsg > HARD_MSGMAX || msgsize > HARD_MSGSIZEMAX) :
	    (maxmsg > lim.msg_max || msgsize > lim.msgsize_max))
		return -EINVAL;
	charge = charge_of(maxmsg, msgsize);
	getrlimit(RLIMIT_MSGQUEUE, &rl);
	if (rl.rlim_cur != RLIM_INFINITY && usage + charge > rl.rlim_cur)
		return -EMFILE;
	gen = __atomic_add_fetch(&ns->hdr->gen, 1, __ATOMIC_RELAXED);
	pq_path(data, sizeof(data), gen, false);
	pq_path(fifo, sizeof(fifo), gen, true);
	/* Created 0777 so that the OS applies the umask: what remains is
	 * the mode, and the file then gets its envelope. */
	fd = openat(ns->dirfd, data, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		    0777);
	if (fd < 0)	/* ENOENT: the owner never made posix/ (ns.c) */
		return errno == EACCES || errno == ENOENT ? -EACCES : -ENOMEM;
	if (fstat(fd, &st)) {
		r = -errno;
		goto fail;
	}
	mode &= 07777 & ~(0777 & ~st.st_mode);
	r = init_queue(fd, gen, name, mode, maxmsg, msgsize, charge);
	if (!r && (fchmod(fd, mode_envelope(mode)) ||
		   mkfifoat(ns->dirfd, fifo, 0600) ||
		   fchmodat(ns->dirfd, fifo, mode_envelope(mode), 0)))
		r = -ENOMEM;
	if (r)
		goto fail;
	/* Publishing the name is the commit: before it, gc_and_count()
	 * would take the files for an unlinked queue nobody holds. */
	snprintf(target, sizeof(target), "%016llx", (unsigned long long)gen);
	name_path(npath, sizeof(npath), name);
	if (symlinkat(target, ns->dirfd, npath)) {
		r = errno == EEXIST ? -EEXIST : -ENOMEM;
		goto fail;
	}
	close(fd);
	return (int64_t)gen;
fail:
	close(fd);
	unlinkat(ns->dirfd, fifo, 0);
	unlinkat(ns->dirfd, data, 0);
	return r;
}

/* ---- mq_open ---------------------------------------------------------- */

/* Open the FIFO as the descriptor the caller gets, at number `slot`. */
static int make_desc(struct ns *ns, struct pview *pv, int acc, int oflag,
		     int slot)
{
	char fifo[64];
	int fd, fl;

	pq_path(fifo, sizeof(fifo), pv->gen, true);
	/* B4 quirk, a descriptor with no access: read-write on the FIFO
	 * (pollable, holding its lock like any other), marked by O_APPEND,
	 * which a FIFO ignores and the description keeps across dup and
	 * exec. */
	fd = openat(ns->dirfd, fifo, (acc == 3 ? O_RDWR | O_APPEND : acc) |
		    O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	fl = fcntl(fd, F_GETFL);
	if (!(oflag & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	/* The description's mark that it is open (see header). */
	for (int i = 0;; i++) {
		struct flock lk = {
			.l_type = acc == O_WRONLY ? F_WRLCK : F_RDLCK,
			.l_whence = SEEK_SET, .l_len = 1,
			.l_start = (off_t)(((uint64_t)random() << 20 ^
					    (uint64_t)random()) &
					   0x3fffffffffffull),
		};
		if (!fcntl(fd, F_OFD_SETLK, &lk))
			break;
		if (i == 8) {
			close(fd);
			return -ENOMEM;
		}
	}
	if (dup3(fd, slot, O_CLOEXEC) < 0) {
		close(fd);
		return -errno;
	}
	close(fd);
	desc_set(slot, pv, acc);
	return slot;
}

static int do_mq_open(const char *name, int oflag, mode_t mode,
		      const struct mq_attr *uattr)
{
	struct mq_attr attr;
	struct pview *pv;
	struct ns *ns;
	char data[64];
	int acc = oflag & O_ACCMODE, slot, fd, r;
	int64_t gen;

	/* glibc's slash check, then the kernel's copy of attr, then of the
	 * name (B4 steps 1-3). */
	if (!bad_uptr(name) && name[0] != '/')
		return -EINVAL;
	if (uattr) {
		if (bad_uptr(uattr))
			return -EFAULT;
		attr = *uattr;
	}
	r = check_name(name, &name);
	if (r)
		return r;
	r = ns_get(&ns);
	if (r)
		return r;
	/* The kernel takes a descriptor first: EMFILE beats every other
	 * error (B4 step 4).  We keep the number for the mqd_t. */
	slot = fcntl(ns->dirfd, F_DUPFD_CLOEXEC, 0);
	if (slot < 0)
		return -errno;
	r = check_component(name);
	if (r)
		goto fail;
	/* Held until the descriptor holds its OFD lock: else an mq_unlink
	 * and its collection could take a queue we are opening. */
	reg_lock(ns);
	gen = lookup(ns, name);
	if (gen == -ENOENT && (oflag & O_CREAT))
		gen = create(ns, name, mode, uattr ? &attr : NULL);
	else if (gen > 0 && (oflag & (O_CREAT | O_EXCL)) ==
		 (O_CREAT | O_EXCL))
		gen = -EEXIST;
	else if (gen > 0 && acc == 3)
		gen = -EINVAL;
	else if (gen > 0)
		oflag &= ~O_CREAT;	/* existing: check the access below */
	if (gen < 0) {
		r = (int)gen;
		goto unlock;
	}
	pq_path(data, sizeof(data), (uint64_t)gen, false);
	fd = openat(ns->dirfd, data, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = errno == EMFILE || errno == ENFILE || errno == EACCES ?
			    -errno : -ENOENT;
		goto unlock;
	}
	r = pview_get(ns, (uint64_t)gen, fd, &pv);
	close(fd);
	if (r)
		goto unlock;
	/* The creator gets its access even with mode 0 (B4 step 6.7). */
	if (!(oflag & O_CREAT))
		r = may_open(pv->ctl, acc);
	if (!r)
		r = make_desc(ns, pv, acc, oflag, slot);
	if (r < 0)
		pview_unref(pv);
unlock:
	reg_unlock(ns);
	if (r >= 0)
		return r;
fail:
	close(slot);
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

	reg_lock(ns);
	gc_and_count(ns, (int64_t)gen, &count, &usage, (uid_t)-1);
	reg_unlock(ns);
}

UMQ_EXPORT int umq_mq_close(mqd_t mqdes)
{
	struct pdesc *d;
	struct pview *pv;
	uint64_t gen;
	int r;

	if (pdesc_get(mqdes, &d))	/* not a queue: close() it all the same */
		return close(mqdes);
	pv = d->pv;
	gen = pv->gen;
	/* Closing any descriptor of the queue drops the caller's
	 * registration (B10). */
	pq_lock(pv);
	notify_drop_own(pv);
	pq_unlock(pv);
	__atomic_store_n(&d->pv, NULL, __ATOMIC_RELEASE);
	r = close(mqdes);
	struct ns *ns = pv->ns;
	pview_unref(pv);
	gc_one(ns, gen);
	return r;
}

UMQ_EXPORT int umq_mq_unlink(const char *name)
{
	char path[PATH_MAX];
	struct ns *ns;
	int64_t gen;
	int r = check_name(name, &name);

	if (!r)
		r = ns_get(&ns);
	if (!r)
		r = check_component(name);
	if (r)
		return (int)ret_errno(r);
	reg_lock(ns);
	gen = lookup(ns, name);
	name_path(path, sizeof(path), name);
	if (gen < 0)
		r = (int)gen;
	else if (unlinkat(ns->dirfd, path, 0))
		/* The sticky directory's rule; glibc turns EPERM into
		 * EACCES (B7). */
		r = errno == EPERM || errno == EACCES ? -EACCES : -errno;
	reg_unlock(ns);
	if (!r)
		gc_one(ns, (uint64_t)gen);
	return (int)ret_errno(r);
}

/* ---- attributes and status -------------------------------------------- */

UMQ_EXPORT int umq_mq_getattr(mqd_t mqdes, struct mq_attr *attr)
{
	struct pdesc *d;
	struct pqctl *c;
	int r = pdesc_get(mqdes, &d), fl;

	if (r)
		return (int)ret_errno(r);
	if (bad_uptr(attr))
		return (int)ret_errno(-EFAULT);
	fl = fcntl(mqdes, F_GETFL);
	c = d->pv->ctl;
	memset(attr, 0, sizeof(*attr));
	attr->mq_flags = fl > 0 ? fl & O_NONBLOCK : 0;
	attr->mq_maxmsg = c->maxmsg;
	attr->mq_msgsize = c->msgsize;
	attr->mq_curmsgs = (long)__atomic_load_n(&c->curmsgs, __ATOMIC_RELAXED);
	return 0;
}

UMQ_EXPORT int umq_mq_setattr(mqd_t mqdes, const struct mq_attr *newattr,
			      struct mq_attr *oldattr)
{
	struct mq_attr old;
	struct pdesc *d;
	int r, fl;

	/* NULL: only read the attributes, as mq_getsetattr allows. */
	if (newattr && bad_uptr(newattr))
		return (int)ret_errno(-EFAULT);
	if (newattr && newattr->mq_flags & ~O_NONBLOCK)	/* before EBADF */
		return (int)ret_errno(-EINVAL);
	r = pdesc_get(mqdes, &d);
	if (r)
		return (int)ret_errno(r);
	umq_mq_getattr(mqdes, &old);
	if (newattr) {
		fl = fcntl(mqdes, F_GETFL);
		fl = newattr->mq_flags & O_NONBLOCK ? fl | O_NONBLOCK :
						      fl & ~O_NONBLOCK;
		fcntl(mqdes, F_SETFL, fl);
	}
	if (oldattr) {
		if (bad_uptr(oldattr))
			return (int)ret_errno(-EFAULT);
		*oldattr = old;
	}
	return 0;
}

UMQ_EXPORT ssize_t umq_mq_status(mqd_t mqdes, char *buf, size_t len)
{
	struct pdesc *d;
	char line[128];
	int r = pdesc_get(mqdes, &d), n;

	if (r)
		return ret_errno(r);
	pq_lock(d->pv);
	n = notify_status(d->pv, line, sizeof(line));
	pq_unlock(d->pv);
	if ((size_t)n > len)
		n = (int)len;
	if (n && bad_uptr(buf))
		return ret_errno(-EFAULT);
	memcpy(buf, line, (size_t)n);
	return n;
}
