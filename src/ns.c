/* SPDX-License-Identifier: MIT */
/*
 * ns.c - a namespace is a directory.  This file finds or creates it,
 * reads its limits ("limits") and keeps its hints ("ns"); see layout.h
 * for what each file holds and who may write it.
 *
 * Files are published atomically: they are built under a temporary name
 * and link()ed into place, so a process sees either no file or a complete
 * one, and of two racing creators exactly one wins.
 */
#include <fcntl.h>
#include <stddef.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define DEFAULT_DIR UMQ_DEFAULT_DIR

static struct ns *_Atomic cur;
static pthread_mutex_t cur_mu = PTHREAD_MUTEX_INITIALIZER;
static struct umq_limits host;		/* when a namespace has no file */

/* ---- when a namespace cannot be used ---------------------------------- */

void ns_debug(const char *dir, const char *fmt, ...)
{
	static int on = -1;	/* read once; racing readers agree */
	char line[PATH_MAX + 256];
	int v = __atomic_load_n(&on, __ATOMIC_RELAXED), n;
	va_list ap;

	if (v < 0) {
		const char *e = getenv("UMQ_DEBUG");
		v = e && *e && strcmp(e, "0");
		__atomic_store_n(&on, v, __ATOMIC_RELAXED);
	}
	if (!v)
		return;
	n = snprintf(line, sizeof(line), "umq: namespace %s: ", dir);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	/* One write, so that lines of several threads do not mix. */
	(void)!write(STDERR_FILENO, line, strlen(line));
}

int ns_errno(int r, int call)
{
	bool perm = r == -EACCES || r == -EPERM || r == -EROFS;

	if (r == -EUCLEAN || r == -EPROTO)
		return r;
	switch (call) {
	case NSE_ID:
		return -EINVAL;
	case NSE_LOOKUP:
		return perm ? -EACCES : -ENOENT;
	default:
		return perm ? -EACCES : -ENOMEM;
	}
}

static long read_long(const char *path, long dflt)
{
	char buf[32];
	int fd = fd_open(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	ssize_t n;

	if (fd < 0)
		return dflt;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return dflt;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

void host_limits(struct umq_limits *l)
{
	l->msgmax = read_long("/proc/sys/kernel/msgmax", 8192);
	l->msgmnb = read_long("/proc/sys/kernel/msgmnb", 16384);
	l->msgmni = read_long("/proc/sys/kernel/msgmni", 32000);
	l->msg_max = read_long("/proc/sys/fs/mqueue/msg_max", 10);
	l->msgsize_max = read_long("/proc/sys/fs/mqueue/msgsize_max", 8192);
	l->msg_default = read_long("/proc/sys/fs/mqueue/msg_default", 10);
	l->msgsize_default =
		read_long("/proc/sys/fs/mqueue/msgsize_default", 8192);
	l->queues_max = read_long("/proc/sys/fs/mqueue/queues_max", 256);
}

/* The kernel's sysctl ranges (spec A10, B2).  queues_max has none: any
 * int, compared as unsigned (-1: no limit). */
static bool limits_valid(const struct umq_limits *l)
{
	return l->msgmax >= 0 && l->msgmax <= INT_MAX &&
	       l->msgmnb >= 0 && l->msgmnb <= INT_MAX &&
	       l->msgmni >= 0 && l->msgmni <= IPCMNI &&
	       l->msg_max >= 1 && l->msg_max <= 65536 &&
	       l->msgsize_max >= 128 && l->msgsize_max <= 16777216 &&
	       l->msg_default >= 1 && l->msg_default <= 65536 &&
	       l->msgsize_default >= 128 &&
	       l->msgsize_default <= 16777216 &&
	       l->queues_max >= INT_MIN && l->queues_max <= INT_MAX;
}

void ns_limits(const struct ns *ns, struct umq_limits *l)
{
	const struct lim_file *f = ns->lim;

	if (!f) {
		*l = host;
		return;
	}
	l->msgmax = __atomic_load_n(&f->msgmax, __ATOMIC_RELAXED);
	l->msgmnb = __atomic_load_n(&f->msgmnb, __ATOMIC_RELAXED);
	l->msgmni = __atomic_load_n(&f->msgmni, __ATOMIC_RELAXED);
	l->msg_max = __atomic_load_n(&f->msg_max, __ATOMIC_RELAXED);
	l->msgsize_max = __atomic_load_n(&f->msgsize_max, __ATOMIC_RELAXED);
	l->msg_default = __atomic_load_n(&f->msg_default, __ATOMIC_RELAXED);
	l->msgsize_default =
		__atomic_load_n(&f->msgsize_default, __ATOMIC_RELAXED);
	l->queues_max = __atomic_load_n(&f->queues_max, __ATOMIC_RELAXED);
	if (unlikely(!limits_valid(l)))
		*l = host;	/* untrusted like all shared memory */
}


static void lim_fill(struct lim_file *f, const struct umq_limits *l)
{
	memset(f, 0, sizeof(*f));
	f->magic = UMQ_LIM_MAGIC;
	f->version = UMQ_LAYOUT_VERSION;
	f->size = sizeof(*f);
	f->msgmax = l->msgmax;
	f->msgmnb = l->msgmnb;
	f->msgmni = l->msgmni;
	f->msg_max = l->msg_max;
	f->msgsize_max = l->msgsize_max;
	f->msg_default = l->msg_default;
	f->msgsize_default = l->msgsize_default;
	f->queues_max = l->queues_max;
}

/*
 * Create dirfd/name from a buffer built by fill(), atomically: write a
 * temporary file, then link() it into place.  0, or -EEXIST when another
 * process won the race (its file is as good as ours), or -errno.
 */
static int publish(int dirfd, const char *name, mode_t mode, size_t size,
		   int (*fill)(void *, size_t, const void *), const void *arg)
{
	char tmp[64];
	int fd, r = 0;
	void *p;

	snprintf(tmp, sizeof(tmp), ".%s.%d.%lx", name, (int)proc_pid(),
		 (unsigned long)random());
	fd = fd_open(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode)) {
		r = -errno;
		goto out;
	}
	if ((r = fd_alloc(fd, 0, (off_t)size)))
		goto out;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		r = -ENOMEM;
		goto out;
	}
	r = fill(p, size, arg);
	munmap(p, size);
	if (!r && linkat(dirfd, tmp, dirfd, name, 0))
		r = -errno;
out:
	unlinkat(dirfd, tmp, 0);
	close(fd);
	return r;
}

static int hints_fill(void *p, size_t size, const void *arg)
{
	int32_t *w = p;

	w[H_LAST_IDX] = -1;
	return 0;
}

/* ---- hints: pread/pwrite, never mapped (layout.h) ---------------------- */

/* Words first .. first + n - 1 in one call. */
void hints_get(struct ns *ns, int first, int32_t *v, int n)
{
	size_t len = (size_t)n * sizeof(*v);

	if (pread(ns->hintfd, v, len, (off_t)first * 4) != (ssize_t)len)
		for (int i = 0; i < n; i++)
			v[i] = first + i == H_LAST_IDX ? -1 : 0;
}

void hints_set(struct ns *ns, int first, const int32_t *v, int n)
{
	(void)!fd_pwrite(ns->hintfd, v, (size_t)n * sizeof(*v),
			 (off_t)first * 4);
}

int32_t hint_get(struct ns *ns, int which)
{
	int32_t v;

	hints_get(ns, which, &v, 1);
	return v;
}

void hint_set(struct ns *ns, int which, int32_t v)
{
	hints_set(ns, which, &v, 1);
}

/* Not atomic between processes: two at once may lose one change, which
 * a hint may. */
int32_t hint_add(struct ns *ns, int which, int32_t delta)
{
	/* Wrapping: anyone may have written INT32_MAX there. */
	int32_t v = (int32_t)((uint32_t)hint_get(ns, which) + (uint32_t)delta);

	hint_set(ns, which, v);
	return v;
}

uint64_t hint_charge(struct ns *ns, uid_t uid, int64_t delta)
{
	struct { uint32_t uid, pad; uint64_t bytes; } e[NS_UIDS];
	ssize_t n = pread(ns->hintfd, e, sizeof(e), NS_CHARGE_OFF);
	int at = -1, free_at = -1;

	if (n != (ssize_t)sizeof(e))
		return 0;
	for (int i = 0; i < NS_UIDS && at < 0; i++) {
		if (e[i].uid == uid && e[i].bytes)
			at = i;
		else if (!e[i].bytes && free_at < 0)
			free_at = i;
	}
	if (at < 0 && (delta <= 0 || free_at < 0))
		return 0;	/* nothing to release, or no room: unknown */
	if (at < 0) {
		at = free_at;
		e[at].uid = uid;
		e[at].bytes = 0;
	}
	e[at].bytes = delta < 0 && (uint64_t)-delta > e[at].bytes ? 0 :
		      e[at].bytes + (uint64_t)delta;
	(void)!fd_pwrite(ns->hintfd, &e[at], sizeof(e[at]),
			 NS_CHARGE_OFF + (off_t)at * (off_t)sizeof(e[at]));
	return e[at].bytes;
}

uint64_t ns_new_gen(void)
{
	uint64_t g = 0;

	/* 63 bits: a generation travels as a positive int64_t. */
	while (!(g & INT64_MAX))
		if (getrandom(&g, sizeof(g), 0) != sizeof(g))
			g = 0;
	return g & INT64_MAX;
}

/*
 * The limits file, opened to write: its mode decides who may (the OS
 * checks).  Not through a link, and only the owner's regular file: the
 * directory's owner may put anything under the name between our looks,
 * and a root or another user writing there must not write into a file
 * of its own.  -errno as open's, -EPERM for anything else.
 */
static int limits_wronly(struct ns *ns)
{
	struct stat st;
	int fd = fd_open(ns->dirfd, "limits", O_WRONLY | O_NOFOLLOW |
			 O_NONBLOCK | O_CLOEXEC, 0);

	if (fd < 0)
		return errno == EACCES || errno == ELOOP ? -EPERM : -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_uid != ns->owner) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

void ns_mark_removed(struct ns *ns)
{
	uint32_t one = 1;
	int fd = limits_wronly(ns);

	if (fd < 0)
		return;
	(void)!fd_pwrite(fd, &one, sizeof(one),
			 offsetof(struct lim_file, removed));
	close(fd);
}

static int lim_fill_cb(void *p, size_t size, const void *arg)
{
	lim_fill(p, arg);
	return 0;
}

static int map_file(int dirfd, const char *name, int oflag, void **p,
		    size_t *size)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO put in the file's place must not hang us. */
	int fd = fd_open(dirfd, name, oflag | O_NONBLOCK | O_NOCTTY |
			 O_CLOEXEC, 0);
	int prot = (oflag & O_ACCMODE) == O_RDONLY ? PROT_READ :
		   PROT_READ | PROT_WRITE;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		int r = -errno;
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EUCLEAN;
	}
	*size = (size_t)st.st_size;
	*p = *size ? mmap(NULL, *size, prot, MAP_SHARED, fd, 0) : MAP_FAILED;
	close(fd);
	return *p == MAP_FAILED ? -EUCLEAN : 0;
}

static int open_limits(struct ns *ns)
{
	struct umq_limits l;
	void *p;
	size_t size;
	/* No link: the owner's would have everyone open its target. */
	int r = map_file(ns->dirfd, "limits", O_RDONLY | O_NOFOLLOW, &p,
			 &size);

	if (r == -ENOENT && geteuid() == ns->owner) {
		host_limits(&l);
		r = publish(ns->dirfd, "limits", 0644, sizeof(struct lim_file),
			    lim_fill_cb, &l);
		if (r && r != -EEXIST)
			return r;
		r = map_file(ns->dirfd, "limits", O_RDONLY | O_NOFOLLOW, &p,
			     &size);
	}
	if (r == -ENOENT)	/* not ours to create: the host's values */
		return 0;
	if (r == -ELOOP)
		return -EUCLEAN;
	if (r)
		return r;
	struct stat st;
	if (fstatat(ns->dirfd, "limits", &st, AT_SYMLINK_NOFOLLOW) ||
	    st.st_uid != ns->owner) {
		munmap(p, size);	/* not the owner's: not the limits */
		return 0;
	}
	const struct lim_file *f = p;
	/* Magic and version first: an older layout's file may be smaller
	 * than ours, and is EPROTO, not damage. */
	if (size < offsetof(struct lim_file, msgmax) ||
	    f->magic != UMQ_LIM_MAGIC) {
		munmap(p, size);
		return -EUCLEAN;
	}
	if (f->version != UMQ_LAYOUT_VERSION || f->size != sizeof(*f)) {
		munmap(p, size);
		return -EPROTO;
	}
	if (size < sizeof(*f)) {
		munmap(p, size);
		return -EUCLEAN;
	}
	map_watch(p, sizeof(*f));	/* map.c; unwatched if it cannot be */
	ns->lim = f;
	return 0;
}

/* The registries' directories, and the bridges' (bridge/), made with
 * the namespace: the owner of a sticky directory may unlink anything in
 * it, so it must be the namespace's. */
static int ensure_dirs(int dirfd)
{
	static const char *dirs[] = { "names", "posix", "sysv", "bridges" };

	for (int i = 0; i < 4; i++)
		if (!mkdirat(dirfd, dirs[i], 01777))
			fchmodat(dirfd, dirs[i], 01777, 0);
		else if (errno != EEXIST)
			return -errno;
	return 0;
}

static void unbuild(int parent, const char *tmp, int dfd)
{
	unlinkat(dfd, "ns", 0);
	unlinkat(dfd, "limits", 0);
	unlinkat(dfd, "names", AT_REMOVEDIR);
	unlinkat(dfd, "posix", AT_REMOVEDIR);
	unlinkat(dfd, "sysv", AT_REMOVEDIR);
	unlinkat(dfd, "bridges", AT_REMOVEDIR);
	unlinkat(parent, tmp, AT_REMOVEDIR);
}

/*
 * A new namespace is built whole under a temporary name beside it - its
 * POSIX directories, registry and limits, all its creator's - and then
 * renamed into place: so it is complete for every user from its first
 * use, whoever creates it, and of two racing creators one wins.
 * 0, -EEXIST (it exists), or -errno.
 */
static int ns_create(const char *dir)
{
	char parent[PATH_MAX], name[NAME_MAX + 1], tmp[NAME_MAX + 1];
	const char *base;
	struct umq_limits l;
	struct stat st;
	size_t len = strlen(dir);
	int pfd, dfd, r;

	if (!stat(dir, &st))
		return -EEXIST;
	if (errno != ENOENT)
		return -errno;
	while (len > 1 && dir[len - 1] == '/')
		len--;
	for (base = dir + len; base > dir && base[-1] != '/'; base--)
		;
	snprintf(parent, sizeof(parent), "%.*s", (int)(base - dir), dir);
	if (snprintf(name, sizeof(name), "%.*s",
		     (int)(len - (size_t)(base - dir)), base) >=
	    (int)sizeof(name) ||
	    snprintf(tmp, sizeof(tmp), ".%s.new.%d.%lx", name,
		     (int)proc_pid(), (unsigned long)random()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	pfd = fd_open(AT_FDCWD, *parent ? parent : ".",
		      O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (pfd < 0)
		return -errno;
	if (mkdirat(pfd, tmp, 0700)) {
		r = -errno;
		close(pfd);
		return r;
	}
	dfd = fd_open(pfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	r = dfd < 0 ? -errno : ensure_dirs(dfd);
	if (!r)
		r = publish(dfd, "ns", 0666, NS_HINTS_SIZE, hints_fill, NULL);
	if (!r) {
		host_limits(&l);
		r = publish(dfd, "limits", 0644, sizeof(struct lim_file),
			    lim_fill_cb, &l);
	}
	/* Shared like /dev/shm, past the umask. */
	if (!r && fchmod(dfd, 01777))
		r = -errno;
	if (!r && renameat2(pfd, tmp, pfd, name, RENAME_NOREPLACE)) {
		r = -errno;
		if (r == -EINVAL)	/* no RENAME_NOREPLACE here */
			r = renameat(pfd, tmp, pfd, name) ? -errno : 0;
		if (r == -ENOTEMPTY)
			r = -EEXIST;
	}
	if (r)
		unbuild(pfd, tmp, dfd);
	if (dfd >= 0)
		close(dfd);
	close(pfd);
	return r;
}

/* What ns_open made, whatever it got to. */
static void ns_free(struct ns *ns)
{
	if (ns->lim)
		map_unmap((void *)ns->lim, sizeof(*ns->lim));
	fd_release(&ns->hintfd);
	fd_release(&ns->sysvfd);
	fd_release(&ns->dirfd);
	free(ns->sq);
	free(ns);
}

int ns_open(const char *dir, struct ns **out)
{
	const char *why = "cannot open the directory";
	struct ns *ns;
	struct stat st;
	int r, fd;

	fault_need();	/* before the first mapping (map.c) */
	atfork_install();	/* before a lock of ours is taken (L15) */
	if (strlen(dir) >= PATH_MAX) {
		ns_debug("(too long)", "the path has PATH_MAX bytes or more");
		return -ENAMETOOLONG;
	}
	r = ns_create(dir);
	if (r && r != -EEXIST) {
		ns_debug(dir, "cannot create the namespace: %s", strerror(-r));
		return r;
	}
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	ns->dirfd = ns->sysvfd = ns->hintfd = -1;
	if (!realpath(dir, ns->dir))
		strcpy(ns->dir, dir);
	/* Kept for the process's life: out of the program's numbers. */
	fd = fd_open(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0 || fstat(fd, &st)) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	fd_keep(fd, &ns->dirfd);
	why = "cannot make names/, posix/ and sysv/ in it";
	ns->owner = st.st_uid;
	/* A directory made otherwise than by ns_create() is completed by
	 * its owner only: the owner of a sticky directory may unlink
	 * anything in it.  Others cannot create queues there until the
	 * owner has come. */
	if (geteuid() == ns->owner) {
		r = ensure_dirs(ns->dirfd);
		if (r)
			goto fail;
	}
	host_limits(&host);
	why = "cannot read its limits file";
	r = open_limits(ns);
	if (r)
		goto fail;
	why = "cannot open sysv/";
	fd = fd_open(ns->dirfd, "sysv", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		     O_CLOEXEC, 0);
	if (fd < 0) {
		r = errno == ENOENT ? -EACCES : errno == ENOTDIR ||
		    errno == ELOOP ? -EUCLEAN : -errno;
		goto fail;
	}
	fd_keep(fd, &ns->sysvfd);
	/* The hints: anyone's to write; missing, anyone makes them. */
	fd = fd_open(ns->dirfd, "ns", O_RDWR | O_NOFOLLOW | O_NONBLOCK |
		     O_CLOEXEC, 0);
	if (fd < 0 && errno == ENOENT) {
		publish(ns->dirfd, "ns", 0666, NS_HINTS_SIZE, hints_fill,
			NULL);
		fd = fd_open(ns->dirfd, "ns", O_RDWR | O_NOFOLLOW |
			     O_NONBLOCK | O_CLOEXEC, 0);
	}
	if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;	/* not a file: no hints, no harm */
	}
	if (fd >= 0)
		fd_keep(fd, &ns->hintfd);
	ns->sq = calloc(IPCMNI, sizeof(*ns->sq));
	if (!ns->sq) {
		r = -ENOMEM;
		goto fail;
	}
	*out = ns;
	return 0;
fail:
	ns_debug(dir, "%s: %s", why, strerror(-r));
	ns_free(ns);
	return r;
}

/* Only for a namespace nobody else in the process uses: its queues'
 * mappings go with it. */
void ns_close(struct ns *ns)
{
	sq_forget_all(ns);
	ns_free(ns);
}

/* A namespace by directory, opened once per process: the one in use, or
 * another one a descriptor inherited through exec belongs to. */
int ns_find(const char *dir, struct ns **out)
{
	static struct ns *others;	/* under cur_mu; never freed */
	struct ns *ns = atomic_load_explicit(&cur, memory_order_acquire);
	char real[PATH_MAX];
	int r = 0;

	if (!realpath(dir, real))
		return -errno;
	atfork_install();	/* before the first lock of ours (L15) */
	pthread_mutex_lock(&cur_mu);
	if (ns && !strcmp(ns->dir, real))
		goto out;
	for (ns = others; ns; ns = ns->next)
		if (!strcmp(ns->dir, real))
			goto out;
	r = ns_open(real, &ns);
	if (!r) {
		ns->next = others;
		others = ns;
	}
out:
	pthread_mutex_unlock(&cur_mu);
	*out = ns;
	return r;
}

static const char *default_dir(void)
{
	const char *d = getenv("UMQ_DIR");
	return d && *d ? d : DEFAULT_DIR;
}

/*
 * The namespace in use.  A namespace, once opened, is never unmapped: a
 * thread may still be using it when another selects a new one.
 */
int ns_get(struct ns **out)
{
	struct ns *ns = atomic_load_explicit(&cur, memory_order_acquire);
	int r = 0;

	if (likely(ns && !(ns->lim && __atomic_load_n(&ns->lim->removed,
							__ATOMIC_RELAXED)))) {
		*out = ns;
		return 0;
	}
	atfork_install();	/* before the first lock of ours (L15) */
	pthread_mutex_lock(&cur_mu);
	ns = atomic_load_explicit(&cur, memory_order_relaxed);
	if (!ns || (ns->lim && ns->lim->removed)) {
		/* First use, or umq_ns_remove() took ours: start afresh. */
		r = ns_open(ns ? ns->dir : default_dir(), &ns);
		if (!r)
			atomic_store_explicit(&cur, ns, memory_order_release);
	}
	pthread_mutex_unlock(&cur_mu);
	*out = ns;
	return r;
}

/* Across fork (atfork.c). */
void ns_fork_lock(bool take)
{
	if (take)
		pthread_mutex_lock(&cur_mu);
	else
		pthread_mutex_unlock(&cur_mu);
}

static int ns_use(const char *dir)
{
	struct ns *ns;
	int r = ns_open(dir ? dir : default_dir(), &ns);

	if (r)
		return r;
	pthread_mutex_lock(&cur_mu);
	atomic_store_explicit(&cur, ns, memory_order_release);
	pthread_mutex_unlock(&cur_mu);
	return 0;
}

UMQ_EXPORT int umq_ns_use(const char *dir)
{
	return (int)ret_errno(ns_use(dir));
}

UMQ_EXPORT const char *umq_ns_path(void)
{
	struct ns *ns;
	int saved = errno, r = ns_get(&ns);

	errno = r ? -r : saved;
	return r ? NULL : ns->dir;
}

static int get_limits(struct umq_limits *lim)
{
	struct ns *ns;
	int r;

	struct umq_limits l;

	if (bad_uptr(lim))
		return -EFAULT;
	r = ns_get(&ns);
	if (r)
		return r;
	ns_limits(ns, &l);
	return ucopy(lim, &l, sizeof(l));
}

UMQ_EXPORT int umq_ns_get_limits(struct umq_limits *lim)
{
	return (int)ret_errno(get_limits(lim));
}

static int set_limits(const struct umq_limits *ulim)
{
	struct umq_limits in, *lim = &in;
	struct lim_file f;
	struct ns *ns;
	int fd, r;

	if (bad_uptr(ulim) || ucopy(&in, ulim, sizeof(in)))
		return -EFAULT;
	if (!limits_valid(lim))
		return -EINVAL;
	r = ns_get(&ns);
	if (r)
		return r;
	if (!ns->lim) {
		/* Only the owner creates the file (open_limits). */
		if (geteuid() != ns->owner)
			return -EPERM;
		r = open_limits(ns);
		if (r || !ns->lim)
			return r ? r : -EPERM;
	}
	fd = limits_wronly(ns);
	if (fd < 0)
		return fd;
	lim_fill(&f, lim);
	r = fd_pwrite(fd, &f, sizeof(f), 0) == (ssize_t)sizeof(f) ? 0 : -EIO;
	close(fd);
	return r;
}

UMQ_EXPORT int umq_ns_set_limits(const struct umq_limits *lim)
{
	return (int)ret_errno(set_limits(lim));
}
