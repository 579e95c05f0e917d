/* SPDX-License-Identifier: MIT */
/*
 * fd.c - descriptors: close, dup, dup2, dup3, fcntl's F_DUPFD,
 * close_range and closefrom keep the library's per-descriptor table
 * (src/pdesc.c) true.  On the kernel an mqd_t is an ordinary descriptor,
 * so these calls reach queues too: closing any descriptor of a queue
 * drops the closing process's notification registration on it
 * (mqueue_flush_file, B10), also when dup2 replaces it, and the last
 * close of an unlinked queue destroys it.  Everything else passes
 * through: a descriptor the table does not know costs one load.
 *
 * At start-up the descriptors inherited through exec are recognized, so
 * that read() and write() on them (rw.c) answer as the kernel's would.
 *
 * The library's own descriptors (src/fds.c) are not there on the kernel:
 * these calls do not reach them (EBADF, as for a number not open), a
 * range skips them, and a dup2 onto one of their numbers moves ours
 * away first.  F_GETFL on a queue descriptor says what the kernel's
 * would: its access mode, not the FIFO's marks (internal.h), and no
 * O_LARGEFILE (mq_open sets none).  F_SETFL takes what the mqueue file
 * takes: O_DIRECT is EINVAL (it has no direct I/O; a FIFO would take it
 * for packets), and O_ASYNC is not kept (it has no fasync; the FIFO's
 * would send SIGIO, which kills, at each change of a watched queue).
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

int pl_notified;

/* A record taken out of the table while its descriptor goes. */
struct gone {
	struct pview *pv;
	int acc;
};

/*
 * fd is about to be closed or replaced: take its record.  A queue this
 * process has not used through fd (one received in a message, say) still
 * loses the process's registration when fd closes, so once the process
 * has registered one, an unknown descriptor is looked at.
 */
static struct gone leaving(int fd)
{
	struct pdesc *d = dslot(fd, false);
	struct gone g = { NULL, 0 };

	if (d)
		g.acc = d->acc;
	g.pv = pdesc_take(fd);
	if (!g.pv && unlikely(__atomic_load_n(&pl_notified, __ATOMIC_RELAXED)) &&
	    !pdesc_get(fd, &d)) {
		g.acc = d->acc;
		g.pv = pdesc_take(fd);
	}
	return g;
}

/* The close or the replacement failed: fd still is what it was. */
static void stayed(int fd, const struct gone *g)
{
	if (g->pv)
		desc_set(fd, g->pv, g->acc);
}

/* It happened: what the kernel's flush and release do (posix.c). */
static void left(int fd, const struct gone *g)
{
	int e = errno;

	if (g->pv)
		pq_closed(g->pv);
	rpos_forget(fd);
	notq_forget(fd);
	errno = e;
}

/* newfd, a fresh number, now names what fd names. */
static void duped(int fd, int newfd)
{
	struct gone g = { pdesc_take(newfd), 0 };	/* stale, if any */

	left(newfd, &g);
	pdesc_dup(fd, newfd);
	rpos_dup(fd, newfd);
}

/* One of the library's: not open, as far as the program can tell. */
static bool hidden(int fd)
{
	if (likely(!fd_own(fd)))
		return false;
	errno = EBADF;
	return true;
}

INTERPOSE(int, close, int fd)
{
	struct gone g;
	int r;

	if (hidden(fd))
		return -1;
	g = leaving(fd);
	r = libc_close(fd);

	/* Even EBADF: the record outlived its descriptor. */
	left(fd, &g);
	return r;
}

INTERPOSE(int, dup, int fd)
{
	int r = hidden(fd) ? -1 : libc_dup(fd);

	if (r >= 0)
		duped(fd, r);
	return r;
}

/* dup2 and dup3 onto another number: that number's queue is closed. */
static int replace(int fd, int fd2, int flags, bool three)
{
	struct gone g;
	int r, ours;

	if (hidden(fd))
		return -1;
	ours = fd_own(fd2) ? fd_evict(fd2) : -1;
	g = leaving(fd2);
	r = three ? libc_dup3(fd, fd2, flags) : libc_dup2(fd, fd2);
	if (r < 0) {
		if (ours >= 0)	/* no longer the library's: moved */
			libc_close(ours);
		stayed(fd2, &g);
		return r;
	}
	left(fd2, &g);
	pdesc_dup(fd, fd2);
	rpos_dup(fd, fd2);
	return r;
}

INTERPOSE(int, dup2, int fd, int fd2)
{
	if (fd == fd2)		/* nothing closes */
		return hidden(fd) ? -1 : libc_dup2(fd, fd2);
	return replace(fd, fd2, 0, false);
}

INTERPOSE(int, dup3, int fd, int fd2, int flags)
{
	if (fd == fd2)		/* EINVAL */
		return hidden(fd) ? -1 : libc_dup3(fd, fd2, flags);
	return replace(fd, fd2, flags, true);
}

/* The flag every open() of a 64-bit program gets from the kernel and
 * mq_open() does not: O_LARGEFILE, whose value is the architecture's
 * (glibc's is 0 there), asked of an open() at start-up. */
static int largefile;

static void largefile_learn(void)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), fl;

	if (fd < 0)
		return;
	fl = libc_fcntl(fd, F_GETFL);
	if (fl > 0)
		largefile = fl & ~(O_ACCMODE | O_DIRECTORY);
	libc_close(fd);
}

/*
 * F_GETFL of a queue descriptor, whose FIFO is read-write with its access
 * mode marked (internal.h): what the kernel's mqueue file would show.
 * A descriptor the table does not know is looked at only if marked (an
 * unmarked one is read-write, and shows so already).
 */
static int getfl(int fd, int fl)
{
	struct pdesc *d = dslot(fd, false);
	int e;

	if (!d || !__atomic_load_n(&d->pv, __ATOMIC_ACQUIRE)) {
		if (likely(!(fl & (MQD_NOREAD | MQD_NOWRITE))))
			return fl;
		e = errno;
		if (pdesc_get(fd, &d)) {
			errno = e;
			return fl;
		}
		errno = e;
	}
	return (fl & ~(O_ACCMODE | MQD_NOREAD | MQD_NOWRITE | largefile)) |
	       (d->acc & O_ACCMODE);
}

/* F_SETFL's flags *arg (an int) for fd, made what a queue's file takes:
 * false (EINVAL) if it refuses them. */
static bool setfl(int fd, void **arg)
{
	int fl = (int)(intptr_t)*arg;

	if (!queue_fd(fd))
		return true;
	if (fl & O_DIRECT) {
		errno = EINVAL;
		return false;
	}
	*arg = (void *)(intptr_t)(fl & ~O_ASYNC);
	return true;
}

/* As glibc's: the third argument is an int or a pointer. */
INTERPOSE(int, fcntl, int fd, int cmd, ...)
{
	va_list ap;
	void *arg;
	int r;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (hidden(fd))
		return -1;
	if (cmd == F_SETFL && !setfl(fd, &arg))
		return -1;
	r = libc_fcntl(fd, cmd, arg);
	if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		duped(fd, r);
	else if (r >= 0 && cmd == F_GETFL)
		r = getfl(fd, r);
	return r;
}
/* _FILE_OFFSET_BITS=64 programs call it by this name (GLIBC_2.28). */
UMQ_EXPORT int fcntl64(int fd, int cmd, ...) __attribute__((alias("pl_fcntl")));

/*
 * Recognize the queue descriptors in [first, last] that the table does
 * not know: at start-up, those inherited through exec; before a range
 * closes, those that must drop a registration.  Their FIFOs' paths say
 * what they are (pdesc.c).
 */
static void recognize(unsigned first, unsigned last)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	struct pdesc *d;

	if (!dir)
		return;
	while ((e = readdir(dir))) {
		char link[64], path[PATH_MAX];
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		ssize_t n;

		if (*end || end == e->d_name || fd < first || fd > last ||
		    fd == dirfd(dir) || (d = dslot((int)fd, false), d && d->pv))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%ld", fd);
		n = readlink(link, path, sizeof(path) - 1);
		if (n < 3 || strncmp(path + n - 2, ".p", 2) ||
		    !memmem(path, (size_t)n, "/posix/", 7))
			continue;
		pdesc_get((int)fd, &d);
	}
	closedir(dir);
}

/* Close every recorded descriptor in [first, last] after the range did. */
static void range_left(unsigned first, unsigned last)
{
	for (int fd = pdesc_next((int)(first > INT_MAX ? INT_MAX : first));
	     fd >= 0 && (unsigned)fd <= last; fd = pdesc_next(fd + 1)) {
		struct gone g = { pdesc_take(fd), 0 };
		left(fd, &g);
	}
}

/*
 * close_range() around the library's descriptors, in pieces; the last
 * piece is [*next, last], left to the caller (next > last: none).
 */
static int pieces(unsigned first, unsigned last, int flags, unsigned *next)
{
	int own;

	*next = first;
	for (own = fd_own_next((int)(first > INT_MAX ? INT_MAX : first));
	     own >= 0 && (unsigned)own <= last;
	     own = fd_own_next(own + 1)) {
		if ((unsigned)own > *next &&
		    libc_close_range(*next, (unsigned)own - 1, flags))
			return -1;
		*next = (unsigned)own + 1;
	}
	return 0;
}

INTERPOSE(int, close_range, unsigned first, unsigned last, int flags)
{
	unsigned next;
	int r;

	if (flags & CLOSE_RANGE_CLOEXEC)	/* marks, closes nothing */
		return libc_close_range(first, last, flags);
	if (__atomic_load_n(&pl_notified, __ATOMIC_RELAXED) && first <= last)
		recognize(first, last);
	r = first <= last ? pieces(first, last, flags, &next) : 0;
	/* Past the last of ours, or nothing left: the flags still get
	 * their EINVAL, as the kernel's (a number never open is closed). */
	if (!r)
		r = first > last || next <= last ?
		    libc_close_range(first > last ? first : next, last, flags) :
		    libc_close_range(~0u, ~0u, flags);
	if (!r) {
		range_left(first, last);
		notq_flush();	/* cheaper than a number at a time */
	}
	return r;
}

INTERPOSE(void, closefrom, int lowfd)
{
	unsigned first = lowfd < 0 ? 0 : (unsigned)lowfd, next = first;

	if (__atomic_load_n(&pl_notified, __ATOMIC_RELAXED))
		recognize(first, ~0u);
	/* Without close_range (before Linux 5.9), glibc's way: one by one. */
	if (pieces(first, ~0u, 0, &next))
		for (unsigned fd = next; fd < (unsigned)INT_MAX; fd++) {
			if (fd_own((int)fd))
				next = fd + 1;
			else if (fd_own_next((int)fd) < 0)
				break;
			else
				libc_close((int)fd);
		}
	if (next <= INT_MAX)
		libc_closefrom((int)next);	/* never fails: glibc aborts */
	range_left(first, ~0u);
	notq_flush();
}

/* The preload's mutexes across fork come before the library's (L15):
 * registered after them, their prepare runs first. */
static void pl_prepare(void)
{
	nl_fork_lock(true);
	rw_fork_lock(true);
}

static void pl_release(void)
{
	rw_fork_lock(false);
	nl_fork_lock(false);
}

__attribute__((constructor)) static void inherited(void)
{
	int e = errno;

	atfork_install();
	pthread_atfork(pl_prepare, pl_release, pl_release);
	largefile_learn();
	recognize(0, ~0u);
	errno = e;
}
