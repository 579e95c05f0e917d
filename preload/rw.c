/* SPDX-License-Identifier: MIT */
/*
 * rw.c - read, write and lseek on a queue descriptor, as on the mqueue
 * filesystem (B6, B11): reading returns the queue's status line
 * ("QSIZE:... NOTIFY:... SIGNO:... NOTIFY_PID:...\n", formatted anew at
 * each read) from the file position, as simple_read_from_buffer() does,
 * so a second read returns 0 until lseek goes back; lseek is
 * default_llseek() on a file of 80 bytes; there is no write operation
 * (EINVAL), and the access mode is checked first (EBADF).  Of ioctl,
 * only the VFS's generic requests act on that file: FIONREAD is the
 * bytes from the position to its size, and FIOASYNC turning O_ASYNC on
 * is ENOTTY (no fasync); the FIFO's own answers (its readiness bytes,
 * and SIGIO - which kills - at each change of a watched queue) would
 * differ.  The rest pass through.
 *
 * The position belongs to the open description, shared by its dups: here
 * a record shared by the descriptors this process made with dup, dup2,
 * dup3 and F_DUPFD.  A forked child gets a copy, not the same record.
 *
 * Other descriptors pass through at the cost of one table load.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "preload.h"

#define FILENT_SIZE	80	/* the inode's size (mqueue_get_inode) */

struct rpos {
	unsigned refs;
	off_t pos;
};

#define RPAGE 1024
static struct rpos **rpages[1024];	/* fds up to 1M, like pdesc.c */
static pthread_mutex_t rmu = PTHREAD_MUTEX_INITIALIZER;

/* Across fork (fd.c, L15). */
void rw_fork_lock(bool take)
{
	if (take)
		pthread_mutex_lock(&rmu);
	else
		pthread_mutex_unlock(&rmu);
}

/* fd's slot; make: allocate its page.  Under rmu. */
static struct rpos **rslot(int fd, bool make)
{
	struct rpos **page;

	if (fd < 0 || fd >= RPAGE * 1024)
		return NULL;
	page = rpages[fd / RPAGE];
	if (!page && make) {
		page = calloc(RPAGE, sizeof(*page));
		__atomic_store_n(&rpages[fd / RPAGE], page, __ATOMIC_RELEASE);
	}
	return page ? &page[fd % RPAGE] : NULL;
}

static void rpos_put(struct rpos **s)
{
	if (s && *s && !--(*s)->refs)
		free(*s);
	if (s)
		*s = NULL;
}

void rpos_forget(int fd)
{
	/* Unlocked look first: the common close() has nothing here. */
	if (fd < 0 || fd >= RPAGE * 1024 ||
	    !__atomic_load_n(&rpages[fd / RPAGE], __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&rmu);
	rpos_put(rslot(fd, false));
	pthread_mutex_unlock(&rmu);
}

/* fd's record, made on demand.  Under rmu. */
static struct rpos *rpos_of(int fd)
{
	struct rpos **s = rslot(fd, true);

	if (s && !*s && (*s = calloc(1, sizeof(**s))))
		(*s)->refs = 1;
	return s ? *s : NULL;
}

void rpos_dup(int oldfd, int newfd)
{
	struct pdesc *d = dslot(oldfd, false);
	struct rpos *r, **s;

	if (!d || !__atomic_load_n(&d->pv, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&rmu);
	r = rpos_of(oldfd);
	s = rslot(newfd, true);
	if (r && s) {
		rpos_put(s);
		r->refs++;
		*s = r;
	}
	pthread_mutex_unlock(&rmu);
}

static bool readable(const struct pdesc *d)
{
	return d->acc == O_RDONLY || d->acc == O_RDWR;
}

static bool writable(const struct pdesc *d)
{
	return d->acc == O_WRONLY || d->acc == O_RDWR;
}

/*
 * simple_read_from_buffer() of the status line at *pos.  The caller
 * checked the access mode and that *pos >= 0.
 */
static ssize_t read_at(int fd, void *buf, size_t n, off_t *pos)
{
	char line[FILENT_SIZE];
	ssize_t len = umq_mq_status(fd, line, sizeof(line));

	if (len < 0)
		return -1;
	if (*pos >= len || !n)
		return 0;
	if ((size_t)(len - *pos) < n)
		n = (size_t)(len - *pos);
	if (bad_uptr(buf))
		return ret_errno(-EFAULT);
	memcpy(buf, line + *pos, n);
	*pos += (off_t)n;
	return (ssize_t)n;
}

/* A read at the description's position, which it advances. */
static ssize_t read_pos(int fd, void *buf, size_t n)
{
	struct rpos *r;
	off_t pos;
	ssize_t got;

	pthread_mutex_lock(&rmu);
	r = rpos_of(fd);
	if (!r) {
		pthread_mutex_unlock(&rmu);
		return ret_errno(-ENOMEM);
	}
	pos = r->pos;
	got = read_at(fd, buf, n, &pos);
	r->pos = pos;
	pthread_mutex_unlock(&rmu);
	return got;
}

INTERPOSE(ssize_t, read, int fd, void *buf, size_t n)
{
	struct pdesc *d = queue_fd(fd);

	if (likely(!d))
		return libc_read(fd, buf, n);
	if (!readable(d))
		return ret_errno(-EBADF);
	return read_pos(fd, buf, n);
}

INTERPOSE(ssize_t, pread, int fd, void *buf, size_t n, off_t off)
{
	struct pdesc *d = queue_fd(fd);

	if (likely(!d))
		return libc_pread(fd, buf, n, off);
	if (off < 0)
		return ret_errno(-EINVAL);
	if (!readable(d))
		return ret_errno(-EBADF);
	return read_at(fd, buf, n, &off);
}
UMQ_EXPORT ssize_t pread64(int fd, void *buf, size_t n, off_t off)
	__attribute__((alias("pl_pread")));

/* do_loop_readv_writev(): segment by segment, up to a short one. */
INTERPOSE(ssize_t, readv, int fd, const struct iovec *iov, int cnt)
{
	struct pdesc *d = queue_fd(fd);
	ssize_t got = 0, r;

	if (likely(!d))
		return libc_readv(fd, iov, cnt);
	if (!readable(d))
		return ret_errno(-EBADF);
	if (cnt < 0 || cnt > IOV_MAX)
		return ret_errno(-EINVAL);
	if (cnt && bad_uptr(iov))
		return ret_errno(-EFAULT);
	for (int i = 0; i < cnt; i++)	/* import_iovec() */
		if ((ssize_t)iov[i].iov_len < 0)
			return ret_errno(-EINVAL);
	for (int i = 0; i < cnt; i++) {
		int e = errno;
		r = read_pos(fd, iov[i].iov_base, iov[i].iov_len);
		if (r < 0 && got)
			errno = e;	/* a fault after some bytes is no error */
		if (r < 0)
			return got ? got : r;
		got += r;
		if ((size_t)r != iov[i].iov_len)
			break;
	}
	return got;
}

/* No write operation: EINVAL once the access mode allows writing. */
static ssize_t no_write(const struct pdesc *d)
{
	return ret_errno(writable(d) ? -EINVAL : -EBADF);
}

INTERPOSE(ssize_t, write, int fd, const void *buf, size_t n)
{
	struct pdesc *d = queue_fd(fd);

	if (likely(!d))
		return libc_write(fd, buf, n);
	return no_write(d);
}

INTERPOSE(ssize_t, pwrite, int fd, const void *buf, size_t n, off_t off)
{
	struct pdesc *d = queue_fd(fd);

	if (likely(!d))
		return libc_pwrite(fd, buf, n, off);
	if (off < 0)
		return ret_errno(-EINVAL);
	return no_write(d);
}
UMQ_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
	__attribute__((alias("pl_pwrite")));

INTERPOSE(ssize_t, writev, int fd, const struct iovec *iov, int cnt)
{
	struct pdesc *d = queue_fd(fd);

	if (likely(!d))
		return libc_writev(fd, iov, cnt);
	return no_write(d);
}

INTERPOSE(int, ioctl, int fd, unsigned long req, ...)
{
	struct pdesc *d;
	struct rpos *r;
	va_list ap;
	void *arg;
	off_t pos;
	int v;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (unlikely(fd_own(fd)))	/* the library's: not open (fd.c) */
		return (int)ret_errno(-EBADF);
	d = queue_fd(fd);
	if (likely(!d) || (req != FIOASYNC && req != FIONREAD))
		return libc_ioctl(fd, req, arg);
	if (bad_uptr(arg))
		return (int)ret_errno(-EFAULT);
	if (req == FIOASYNC) {
		if (ucopy(&v, arg, sizeof(v)))
			return (int)ret_errno(-EFAULT);
		return v ? (int)ret_errno(-ENOTTY) : 0;
	}
	pthread_mutex_lock(&rmu);
	r = rpos_of(fd);
	pos = r ? r->pos : 0;
	pthread_mutex_unlock(&rmu);
	v = (int)(FILENT_SIZE - pos);	/* as put_user of the loff_t */
	memcpy(arg, &v, sizeof(v));
	return 0;
}

/* default_llseek() on a file of FILENT_SIZE bytes. */
INTERPOSE(off_t, lseek, int fd, off_t off, int whence)
{
	struct pdesc *d = queue_fd(fd);
	struct rpos *r;
	off_t ret = -EINVAL;

	if (likely(!d))
		return libc_lseek(fd, off, whence);
	if (whence < SEEK_SET || whence > SEEK_HOLE)
		return ret_errno(-EINVAL);
	pthread_mutex_lock(&rmu);
	r = rpos_of(fd);
	if (!r) {
		ret = -ENOMEM;
		goto out;
	}
	switch (whence) {
	case SEEK_END:
		/* The kernel's sum wraps to a negative offset: EINVAL. */
		if (__builtin_add_overflow(off, FILENT_SIZE, &off))
			goto out;
		break;
	case SEEK_CUR:
		if (!off) {
			ret = r->pos;
			goto out;
		}
		if (__builtin_add_overflow(off, r->pos, &off))
			goto out;
		break;
	case SEEK_DATA:
		if (off >= FILENT_SIZE) {
			ret = -ENXIO;
			goto out;
		}
		break;
	case SEEK_HOLE:
		if (off >= FILENT_SIZE) {
			ret = -ENXIO;
			goto out;
		}
		off = FILENT_SIZE;
		break;
	}
	if (off >= 0)
		ret = r->pos = off;
out:
	pthread_mutex_unlock(&rmu);
	return ret_errno(ret);
}
UMQ_EXPORT off_t lseek64(int fd, off_t off, int whence)
	__attribute__((alias("pl_lseek")));
