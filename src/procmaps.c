/* SPDX-License-Identifier: MIT */
/*
 * procmaps.c - which files a process maps, as /proc/<pid>/maps says: the
 * evidence that a thread named in a lock could hold it (holder.c, the
 * agent's agent/holder.c, LOCKING L11).
 *
 * Maps lines are read for their numbers only (a path there is escaped:
 * a newline shows as "\012").  Reading another process's maps needs the
 * OS's leave (its user, a dumpable process; or root).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/* One line of a maps file: "lo-hi perms offset maj:min inode  path",
 * but for its path (map_files names it as is). */
struct mline {
	uintptr_t lo, hi;
	char perms[5];		/* "rw-s": read, write, exec, shared */
	unsigned maj, min;
	uint64_t ino;
};

static bool mline_parse(const char *s, struct mline *l)
{
	int n = 0;

	return sscanf(s, "%" SCNxPTR "-%" SCNxPTR " %4s %*s %x:%x %" SCNu64
		      "%n", &l->lo, &l->hi, l->perms, &l->maj, &l->min,
		      &l->ino, &n) == 6 && n && strlen(l->perms) == 4;
}

/*
 * Call fn on each line of the maps file at path until it returns
 * nonzero: that value, 0 at the end, or -errno.  A line longer than the
 * buffer is read by its start, where its numbers are.
 */
static int maps_each(const char *path, int (*fn)(const struct mline *, void *),
		     void *arg)
{
	char buf[PATH_MAX + 256];
	size_t have = 0;
	bool skip = false;	/* the rest of a line too long */
	int fd = fd_open(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
		char *line = buf, *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		have += (size_t)n;
		buf[have] = 0;
		while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
			struct mline l;

			*nl = 0;
			if (!skip && mline_parse(line, &l) &&
			    (r = fn(&l, arg)))
				goto out;
			skip = false;
			line = nl + 1;
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1) {	/* no end in sight */
			struct mline l;

			buf[have] = 0;
			if (!skip && mline_parse(buf, &l) &&
			    (r = fn(&l, arg)))
				goto out;
			skip = true;
			have = 0;
		}
	}
out:
	close(fd);
	return r;
}

/* The file mapped at an address, as maps files name it. */
struct file_at {
	struct maps_file id;
	uintptr_t at, lo, hi;
};

static int find_addr(const struct mline *l, void *arg)
{
	struct file_at *f = arg;

	if (f->at < l->lo || f->at >= l->hi)
		return 0;
	f->id = (struct maps_file){ l->maj, l->min, l->ino };
	f->lo = l->lo;
	f->hi = l->hi;
	return 1;
}

/*
 * Overlays (DESIGN §3).  Since Linux 6.8 a file mapped through an overlay
 * shows in maps under the overlay's device and inode, not the file's
 * below: the same pages, another name.  Without xino the inode number is
 * the one below; with it, another.  So a mapping with our inode number
 * on an overlay, or on a device our mount namespace does not show (a
 * container's overlay), is taken for ours; one on an overlay with another
 * number leaves the answer open; and our own on an overlay decides
 * nothing.  Only exact matches count on the devices we know otherwise:
 * tmpfs instances number their inodes alike.
 */
#define MAX_MOUNTS 512

struct mounts {
	unsigned n;
	bool full;		/* more than we keep: any device may be one */
	struct { unsigned maj, min; bool overlay; } d[MAX_MOUNTS];
};

static void mounts_load(struct mounts *m)
{
	char buf[1024], *line, *next, *sep;
	int fd = fd_open(AT_FDCWD, "/proc/self/mountinfo",
			 O_RDONLY | O_CLOEXEC, 0);
	size_t have = 0;
	ssize_t n;

	m->n = 0;
	m->full = fd < 0;
	if (fd < 0)
		return;
	/* "id parent maj:min root point opts [tags] - fstype source ..." */
	while ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0 ||
	       (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		have += (size_t)n;
		buf[have] = 0;
		for (line = buf; (next = strchr(line, '\n')); line = next + 1) {
			unsigned maj, min;

			*next = 0;
			sep = strstr(line, " - ");
			if (!sep || sscanf(line, "%*u %*u %u:%u", &maj,
					   &min) != 2)
				continue;
			if (m->n == MAX_MOUNTS) {
				m->full = true;
				continue;
			}
			m->d[m->n].maj = maj;
			m->d[m->n].min = min;
			m->d[m->n++].overlay = !strncmp(sep + 3, "overlay ", 8);
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1) {	/* a line past all reason */
			m->full = true;
			have = 0;
		}
	}
	close(fd);
}

/* 1: an overlay (or, past MAX_MOUNTS, perhaps one); 0: a device we
 * know as no overlay; -1: one our mount namespace does not show. */
static int overlay(const struct mounts *m, unsigned maj, unsigned min)
{
	int r = -1;

	for (unsigned i = 0; i < m->n; i++)
		if (m->d[i].maj == maj && m->d[i].min == min) {
			if (m->d[i].overlay)
				return 1;
			r = 0;
		}
	if (!r)
		return 0;	/* one superblock, one kind */
	return m->full ? 1 : -1;	/* not seen: it may be one */
}

struct look {
	const struct maps_file *f;
	struct mounts m;
	bool open;		/* an overlay's mapping we cannot place */
};

/* A shared, writable mapping of the file: the lock is taken through
 * one.  Anyone may map a System V queue's control file read-only
 * (MSG_STAT_ANY, layout.h), which makes no user of the queue. */
static int find_file(const struct mline *l, void *arg)
{
	struct look *k = arg;
	int ov;

	if (l->perms[1] != 'w' || l->perms[3] != 's')
		return 0;
	if (l->ino == k->f->ino && l->maj == k->f->maj && l->min == k->f->min)
		return 1;
	if (l->maj == k->f->maj && l->min == k->f->min)
		return 0;		/* another file of ours */
	ov = overlay(&k->m, l->maj, l->min);
	if (l->ino == k->f->ino && ov)	/* an overlay's, or unknown */
		return 1;
	if (ov > 0)
		k->open = true;
	return 0;
}

int maps_file_at(const void *addr, struct maps_file *id, uintptr_t *lo,
		 uintptr_t *hi)
{
	struct file_at f = { .at = (uintptr_t)addr };
	int r = maps_each("/proc/self/maps", find_addr, &f);

	if (r == 1 && !f.id.ino)	/* anonymous memory */
		r = -ENOENT;
	*id = f.id;
	if (lo)
		*lo = f.lo;
	if (hi)
		*hi = f.hi;
	return r == 1 ? 0 : r ? r : -ENOENT;
}

int maps_shares(uint32_t tid, const struct maps_file *id)
{
	/* Off the stack, which may be a small thread's; mmap, not malloc:
	 * a lock may be waited for in a signal handler's msgsnd. */
	struct look *k = mmap(NULL, sizeof(*k), PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char path[32];
	int r = -EAGAIN;

	if (k == MAP_FAILED)
		return -ENOMEM;
	k->f = id;
	k->open = false;
	mounts_load(&k->m);
	if (overlay(&k->m, id->maj, id->min) <= 0) {	/* else ours is
							 * through one */
		snprintf(path, sizeof(path), "/proc/%u/maps", tid);
		r = maps_each(path, find_file, k);
		if (!r && k->open)
			r = -EAGAIN;
	}
	munmap(k, sizeof(*k));
	return r;
}
