/* SPDX-License-Identifier: MIT */
/*
 * mqlist.c - what an operator sees of POSIX queues: the names of the
 * namespace (the names/ directory) and, for each, what the mqueue
 * filesystem would show - owner, mode, times, the status line - with
 * its attributes.  For tools (umq lsipc, umq cat mqueue); nothing here
 * is on a queue's fast path.
 *
 * A queue is read through this process's view of it (pdesc.c), under its
 * lock, so the counters and the registration agree with each other and a
 * dead lock holder's damage is repaired first (pq_lock).  Reading never
 * opens a descriptor: it holds no OFD lock, so it keeps no unlinked queue
 * alive, and a queue collected while we read it is simply left out.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

struct umq_mq_list {
	struct ns *ns;
	DIR *dir;			/* names/, NULL when it does not exist */
};

/* The generation names/<name> points to (as posix.c's lookup). */
int64_t pq_name_gen(struct ns *ns, const char *name, struct stat *st)
{
	char path[PATH_MAX], target[32];
	uint64_t gen;
	ssize_t n;

	snprintf(path, sizeof(path), "names/%s", name);
	if (fstatat(ns->dirfd, path, st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	n = readlinkat(ns->dirfd, path, target, sizeof(target) - 1);
	if (n <= 0)
		return n ? -errno : -ENOENT;
	target[n] = 0;
	/* A generation is 63 bits (ns_new_gen): above, it names nothing. */
	gen = strtoull(target, NULL, 16);
	return gen && gen <= INT64_MAX ? (int64_t)gen : -ENOENT;
}

static struct timespec later(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec ||
	       (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec) ? a : b;
}

/*
 * Read queue `name` into *info: 0, -ENOENT if it is gone (or was never
 * a queue), or another -errno with info->err set and the name's owner
 * filled in.
 */
static int fill(struct ns *ns, const char *name, struct umq_mq_info *info)
{
	char data[64], fifo[64];
	struct stat ls, st, fs;
	struct timespec stamp = { 0, 0 };
	struct pview *pv;
	struct pqctl *c;
	int64_t gen;
	int fd, r;

	memset(info, 0, sizeof(*info));
	if (strlen(name) > PQ_NAME_MAX)
		return -ENAMETOOLONG;
	snprintf(info->name, sizeof(info->name), "/%s", name);
	gen = pq_name_gen(ns, name, &ls);
	if (gen < 0)
		return gen == -ENOENT || gen == -EINVAL ? -ENOENT : (int)gen;
	/* What stat() of /dev/mqueue/NAME would tell anyone. */
	info->uid = ls.st_uid;
	info->gid = ls.st_gid;
	pq_path(data, sizeof(data), (uint64_t)gen, false);
	/* O_NONBLOCK: a FIFO put in its place must not hang us; what is
	 * not a file we may open is no queue (as pdesc.c's open_data). */
	fd = openat(ns->dirfd, data, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = errno == EMFILE || errno == ENFILE || errno == EACCES ||
		    errno == ENOMEM ? -errno : -ENOENT;
		goto fail;
	}
	r = fstat(fd, &st) ? -errno : pview_get(ns, (uint64_t)gen, fd, &pv);
	close(fd);
	if (r == -EIDRM)
		return -ENOENT;		/* its FIFO is gone: collected */
	if (r)
		goto fail;
	c = pv->ctl;
	if ((r = pq_lock_call(pv))) {
		pview_unref(pv);
		goto fail;
	}
	if (strncmp(c->name, name, PQ_NAME_MAX + 1)) {
		pq_unlock(pv);		/* not what the name says: garbage */
		pview_unref(pv);
		return -ENOENT;
	}
	info->uid = c->uid;
	info->gid = c->gid;
	info->mode = c->mode & 07777;
	info->maxmsg = (long)pv->maxmsg;
	info->msgsize = (long)pv->msgsize;
	info->curmsgs = (long)c->curmsgs;
	info->qsize = c->qsize;
	stamp.tv_sec = c->stime > c->rtime ? c->stime : c->rtime;
	notify_status(pv, info->status, sizeof(info->status));
	/* notify_status() dropped a registration whose owner died. */
	if (c->notify_pid) {
		info->notify_pid = c->notify_pid;
		info->notify = c->notify_kind;
		info->notify_signo = c->notify_kind == SIGEV_SIGNAL ?
				     c->notify_signo : 0;
	}
	pq_unlock(pv);
	pview_unref(pv);
	/*
	 * The kernel stamps a queue's inode at every send and receive: so
	 * do sends and receives here, to the second (L12); the data file
	 * (created, grown) and the FIFO (the queue turned empty, partial or
	 * full) give the fraction when it was they that changed last.
	 */
	info->mtime = later(st.st_mtim, stamp);
	pq_path(fifo, sizeof(fifo), (uint64_t)gen, true);
	if (!fstatat(ns->dirfd, fifo, &fs, 0))
		info->mtime = later(info->mtime, fs.st_mtim);
	return 0;
fail:
	info->err = -r;
	return r;
}

UMQ_EXPORT struct umq_mq_list *umq_mq_list_open(void)
{
	struct umq_mq_list *l;
	struct ns *ns;
	int r = ns_get(&ns), fd;

	if (r) {
		errno = -r;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		errno = ENOMEM;
		return NULL;
	}
	l->ns = ns;
	fd = openat(ns->dirfd, "names", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {	/* ENOENT: no POSIX queue yet */
		r = errno;
		free(l);
		errno = r;
		return NULL;
	}
	if (fd >= 0) {
		l->dir = fdopendir(fd);
		if (!l->dir) {
			r = errno;
			close(fd);
			free(l);
			errno = r;
			return NULL;
		}
	}
	return l;
}

UMQ_EXPORT int umq_mq_list_next(struct umq_mq_list *l,
				struct umq_mq_info *info)
{
	struct umq_mq_info i;
	struct dirent *e;

	if (bad_uptr(l) || bad_uptr(info))
		return (int)ret_errno(-EFAULT);
	if (!l->dir)
		return 0;
	for (;;) {
		errno = 0;
		e = readdir(l->dir);
		if (!e)
			return errno ? -1 : 0;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		/* Gone since readdir: as if it had never been listed.  Any
		 * other failure still shows the name, with info->err. */
		if (UNBOUNDED(fill(l->ns, e->d_name, &i)) != -ENOENT)
			return ucopy(info, &i, sizeof(i)) ?
			       (int)ret_errno(-EFAULT) : 1;
	}
}

UMQ_EXPORT void umq_mq_list_close(struct umq_mq_list *l)
{
	if (!l)
		return;
	if (l->dir)
		closedir(l->dir);
	free(l);
}

/* mq_open's checks of a name (posix.c), for the calls that look. */
int pq_name_check(const char **name)
{
	const char *n = *name;
	long len = ubyte(n);

	if (len < 0)
		return -EFAULT;
	if (len != '/')
		return -EINVAL;
	n++;
	len = ustrnlen(n, PATH_MAX);
	if (len < 0)
		return -EFAULT;
	if (len >= PATH_MAX || len > PQ_NAME_MAX)
		return -ENAMETOOLONG;
	if (!len)
		return -ENOENT;
	if (strchr(n, '/') || !strcmp(n, ".") || !strcmp(n, ".."))
		return -EACCES;
	*name = n;
	return 0;
}

UMQ_EXPORT int umq_mq_stat(const char *name, struct umq_mq_info *info)
{
	struct umq_mq_info i;
	struct ns *ns;
	int r;

	if (bad_uptr(name) || bad_uptr(info))
		return (int)ret_errno(-EFAULT);
	r = pq_name_check(&name);
	if (!r)
		r = ns_get(&ns);
	if (!r)
		r = UNBOUNDED(fill(ns, name, &i));
	if (!r)
		r = ucopy(info, &i, sizeof(i));
	return (int)ret_errno(r);
}
