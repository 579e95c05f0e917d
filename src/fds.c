/* SPDX-License-Identifier: MIT */
/*
 * fds.c - the library's own descriptors, kept out of the program's way.
 *
 * A program expects open() to return the lowest free number, and to have
 * every number below RLIMIT_NOFILE for itself.  So:
 *  - A descriptor the library keeps across calls (a namespace's
 *    directory, the probe of cred.c, a queue's notification file) is
 *    moved high, below the soft limit or below 1024 when the limit allows
 *    more (fd_keep), as shells do with theirs; a low limit leaves it where
 *    it was.  It is recorded, so that the preload can keep the program's
 *    close, close_range and dup2 off it (preload/fd.c).
 *  - A descriptor opened for a moment (open, mmap or read, close) takes
 *    the lowest free number, and when there is none (EMFILE), a number
 *    just above the soft limit: the limit is raised for the one open and
 *    put back (fd_open), so that the library's calls that need no
 *    descriptor on the kernel (all of System V's) do not fail for the
 *    want of one.  A descriptor above the limit stays valid; the program
 *    can never be given its number.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

#define KEEP_TOP	1024	/* kept descriptors stay below this */
#define KEEP_SPAN	64	/* ... in the last KEEP_SPAN numbers */
#define OWN_MAX		64	/* recorded for the preload */
#define ROOM_MAX	64	/* numbers above the limit fd_open tries */

/*
 * The record: fd + 1 (0: a free entry) and where the library stores the
 * number.  Read without a lock by the preload's close (one load when
 * the number is below own_lo), written under fds_mu.
 */
static struct {
	int fd1;
	int *where;
} own[OWN_MAX];
static int own_lo = INT_MAX;
static pthread_mutex_t fds_mu = PTHREAD_MUTEX_INITIALIZER;

/* Raising the limit and putting it back is one step for every thread of
 * the library, and a fork waits for it: the child gets the real limit. */
static pthread_mutex_t room_mu = PTHREAD_MUTEX_INITIALIZER;

static void room_lock(void)
{
	atfork_install();
	pthread_mutex_lock(&room_mu);
}

static void room_unlock(void)
{
	pthread_mutex_unlock(&room_mu);
}

/* Across fork (atfork.c): both, which never nest. */
void fds_fork_lock(bool take)
{
	if (take) {
		pthread_mutex_lock(&fds_mu);
		pthread_mutex_lock(&room_mu);
	} else {
		pthread_mutex_unlock(&room_mu);
		pthread_mutex_unlock(&fds_mu);
	}
}

/* Under fds_mu. */
static void own_lo_update(void)
{
	int lo = INT_MAX;

	for (int i = 0; i < OWN_MAX; i++) {
		int fd1 = __atomic_load_n(&own[i].fd1, __ATOMIC_RELAXED);
		if (fd1 && fd1 - 1 < lo)
			lo = fd1 - 1;
	}
	__atomic_store_n(&own_lo, lo, __ATOMIC_RELEASE);
}

static void own_add(int fd, int *where)
{
	pthread_mutex_lock(&fds_mu);
	for (int i = 0; i < OWN_MAX; i++)
		if (!own[i].fd1) {
			own[i].where = where;
			__atomic_store_n(&own[i].fd1, fd + 1, __ATOMIC_RELEASE);
			break;
		}
	/* More than OWN_MAX: kept, not recorded (DESIGN.md §9). */
	own_lo_update();
	pthread_mutex_unlock(&fds_mu);
}

/* The first number the kept descriptors may take, or -1: none. */
static int keep_floor(void)
{
	struct rlimit rl;
	rlim_t top;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	top = rl.rlim_cur < KEEP_TOP ? rl.rlim_cur : KEEP_TOP;
	return top >= 2 * KEEP_SPAN ? (int)(top - KEEP_SPAN) : -1;
}

int fd_keep(int fd, int *where)
{
	int floor = keep_floor(), nfd;

	if (fd >= 0 && floor >= 0 && fd < floor) {
		nfd = fcntl(fd, F_DUPFD_CLOEXEC, floor);
		if (nfd >= 0) {		/* else it stays where it is */
			close(fd);
			fd = nfd;
		}
	}
	__atomic_store_n(where, fd, __ATOMIC_RELEASE);
	if (fd >= 0)
		own_add(fd, where);
	return fd;
}

void fd_forget(int fd)
{
	pthread_mutex_lock(&fds_mu);
	for (int i = 0; i < OWN_MAX; i++)
		if (fd >= 0 && own[i].fd1 == fd + 1)
			__atomic_store_n(&own[i].fd1, 0, __ATOMIC_RELEASE);
	own_lo_update();
	pthread_mutex_unlock(&fds_mu);
}

void fd_release(int *where)
{
	int fd = __atomic_exchange_n(where, -1, __ATOMIC_ACQ_REL);

	if (fd < 0)
		return;
	fd_forget(fd);
	close(fd);
}

/* ---- for the preload ---------------------------------------------------- */

int fd_own_next(int fd)
{
	int best = -1;

	if (fd < __atomic_load_n(&own_lo, __ATOMIC_ACQUIRE)) {
		fd = __atomic_load_n(&own_lo, __ATOMIC_ACQUIRE);
		if (fd == INT_MAX)
			return -1;
	}
	for (int i = 0; i < OWN_MAX; i++) {
		int o = __atomic_load_n(&own[i].fd1, __ATOMIC_ACQUIRE) - 1;
		if (o >= fd && (best < 0 || o < best))
			best = o;
	}
	return best;
}

bool fd_own(int fd)
{
	return fd >= __atomic_load_n(&own_lo, __ATOMIC_RELAXED) &&
	       fd_own_next(fd) == fd;
}

/*
 * The program is about to put another file at fd, one of ours: ours
 * moves to another number first (the program's dup2 then closes the old
 * one).  The old number, or -1 if fd was not ours.  Without room to move,
 * the library forgets it (its store reads -1: calls that need it fail).
 */
int fd_evict(int fd)
{
	int floor = keep_floor(), nfd, r = -1;

	pthread_mutex_lock(&fds_mu);
	for (int i = 0; i < OWN_MAX; i++) {
		if (own[i].fd1 != fd + 1 || fd < 0)
			continue;
		nfd = fcntl(fd, F_DUPFD_CLOEXEC, floor > fd ? floor : fd + 1);
		if (nfd < 0 && floor >= 0)
			nfd = fcntl(fd, F_DUPFD_CLOEXEC, floor);
		__atomic_store_n(own[i].where, nfd, __ATOMIC_RELEASE);
		__atomic_store_n(&own[i].fd1, nfd + 1, __ATOMIC_RELEASE);
		r = fd;
		break;
	}
	own_lo_update();
	pthread_mutex_unlock(&fds_mu);
	return r;
}

/* ---- descriptors for a moment ------------------------------------------ */

struct open_args {
	int dirfd;
	const char *path;
	int flags;
	mode_t mode;
	int domain, type;	/* a socket when path is NULL */
};

static int make_fd(const struct open_args *a)
{
	return a->path ? openat(a->dirfd, a->path, a->flags, a->mode) :
	       socket(a->domain, a->type, 0);
}

/* openat() or socket() with the soft limit raised by a little, then put
 * back. */
static int open_above(const struct open_args *a)
{
	struct rlimit rl, up;
	int fd = -1, e = EMFILE;

	room_lock();
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		for (rlim_t more = 1; more <= ROOM_MAX && e == EMFILE;
		     more *= 2) {
			up = rl;
			up.rlim_cur += more;
			if (up.rlim_cur > rl.rlim_max ||
			    setrlimit(RLIMIT_NOFILE, &up))
				break;
			fd = make_fd(a);
			e = fd < 0 ? errno : 0;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	room_unlock();
	if (fd < 0)
		errno = e;
	return fd;
}

int fd_open(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_args a = { dirfd, path, flags, mode, 0, 0 };
	int fd = make_fd(&a);

	if (unlikely(fd < 0 && errno == EMFILE))
		fd = open_above(&a);
	return fd;
}

ssize_t fd_recvmsg(int fd, struct msghdr *mh, int flags)
{
	struct rlimit rl, up;
	bool raised = false;
	ssize_t n;
	int e;

	room_lock();
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		up = rl;
		up.rlim_cur = rl.rlim_max - rl.rlim_cur < ROOM_MAX ?
			      rl.rlim_max : rl.rlim_cur + ROOM_MAX;
		raised = !setrlimit(RLIMIT_NOFILE, &up);
	}
	n = recvmsg(fd, mh, flags | MSG_DONTWAIT);
	e = errno;
	if (raised)
		setrlimit(RLIMIT_NOFILE, &rl);
	room_unlock();
	errno = e;
	return n;
}

/*
 * The kernel's queues are no files, so RLIMIT_FSIZE does not bind them;
 * ours are, and a write or allocation past its soft limit would fail and
 * send SIGXFSZ, which kills.  So its soft limit is raised for the one
 * call reaching end, as the descriptors' above, room_mu held from the
 * look at the limit to its return (fsize_back), so that no thread reads
 * another's raised limit as the real one: *raised if it was (*rl to put
 * back); -EFBIG past the hard limit, where the call must not be made.
 */
static int fsize_up(off_t end, struct rlimit *rl, bool *raised)
{
	struct rlimit up;

	*raised = false;
	room_lock();
	if (getrlimit(RLIMIT_FSIZE, rl) || rl->rlim_cur == RLIM_INFINITY ||
	    (rlim_t)end <= rl->rlim_cur)
		return 0;
	if (rl->rlim_max != RLIM_INFINITY && (rlim_t)end > rl->rlim_max)
		return -EFBIG;
	up = *rl;
	up.rlim_cur = rl->rlim_max;
	if (setrlimit(RLIMIT_FSIZE, &up))
		return -EFBIG;
	*raised = true;
	return 0;
}

/* After fsize_up, whatever it returned. */
static void fsize_back(const struct rlimit *rl, bool raised)
{
	if (raised)
		setrlimit(RLIMIT_FSIZE, rl);
	room_unlock();
}

/* The file's size, its blocks allocated only as they are written. */
int fd_size(int fd, off_t size)
{
	struct rlimit rl;
	bool raised;
	int r = fsize_up(size, &rl, &raised);

	if (!r && ftruncate(fd, size))
		r = -errno;
	fsize_back(&rl, raised);
	return r;
}

/* Every block of [off, off + len) allocated, the file grown to its end
 * if shorter: for what is written through a mapping at once, where a
 * hole a full filesystem cannot fill would be SIGBUS.  0 or -errno. */
int fd_alloc(int fd, off_t off, off_t len)
{
	struct rlimit rl;
	bool raised;
	int r = fsize_up(off + len, &rl, &raised);

	if (!r)
		r = -posix_fallocate(fd, off, len);
	fsize_back(&rl, raised);
	return r;
}

ssize_t fd_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	struct rlimit rl;
	bool raised;
	ssize_t w;
	int r = fsize_up(off + (off_t)n, &rl, &raised), e;

	w = r ? -1 : pwrite(fd, buf, n, off);
	e = r ? -r : errno;
	fsize_back(&rl, raised);
	errno = e;
	return w;
}

int fd_socket(int domain, int type)
{
	struct open_args a = { -1, NULL, 0, 0, domain, type };
	int fd = make_fd(&a);

	if (unlikely(fd < 0 && errno == EMFILE))
		fd = open_above(&a);
	return fd;
}
