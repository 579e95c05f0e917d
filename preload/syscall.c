/* SPDX-License-Identifier: MIT */
/*
 * syscall.c - libc's syscall() with the message-queue system-call
 * numbers goes to umq, with the system calls' own conventions where they
 * differ from libc's functions:
 *
 *  - SYS_mq_open and SYS_mq_unlink take the name without its leading '/'
 *    (glibc strips it): "x" is the queue "/x", and a name with a '/' is
 *    EACCES like any other; SYS_mq_open copies a non-NULL attr (EFAULT)
 *    even without O_CREAT.
 *  - SYS_mq_unlink refused by the sticky directory is EPERM (glibc's
 *    mq_unlink makes it EACCES).
 *  - SYS_mq_getsetattr is both mq_getattr and mq_setattr.
 *  - SYS_mq_notify's SIGEV_THREAD is the kernel's: a netlink socket and a
 *    cookie (nlnotify.c).
 *
 * The descriptor calls the preload follows (close, dup*, fcntl,
 * close_range, read, write, lseek ...) go where the libc functions of the
 * same name go (fd.c, rw.c), so that a queue descriptor behaves the same
 * by either road.  The readiness calls make their queue descriptors
 * watchers, and the calls a descriptor may arrive by tell so, as their
 * libc functions do (poll.c, recv.c), and then pass through with their
 * system calls' own conventions.  Every other number passes through to
 * libc's syscall() unchanged.
 */
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload.h"

/* The kernel's name (no '/') as the library's: "/" + name, in buf.  A
 * name without a NUL in PATH_MAX bytes stays too long.  -1: EFAULT. */
static int with_slash(char *buf, const char *name)
{
	size_t len;

	if (bad_uptr(name))
		return -1;
	len = strnlen(name, PATH_MAX);
	buf[0] = '/';
	memcpy(buf + 1, name, len);
	buf[len + 1] = 0;
	return 0;
}

static long raw_mq_open(const char *name, int oflag, mode_t mode,
			struct mq_attr *attr)
{
	char buf[PATH_MAX + 2];
	mqd_t q;

	if (attr && bad_uptr(attr))
		return ret_errno(-EFAULT);
	if (with_slash(buf, name))
		return ret_errno(-EFAULT);
	/* As mq_open (mq.c): watched once it reaches poll.c's calls. */
	q = umq_mq_open(buf, oflag | UMQ_O_NOPOLL, mode, attr);
	if (q >= 0)
		rpos_forget(q);		/* a new description: position 0 */
	return q;
}

static long raw_mq_unlink(const char *name)
{
	char buf[PATH_MAX + 2];
	const char *c = buf + 1;
	long r;

	if (with_slash(buf, name))
		return ret_errno(-EFAULT);
	r = umq_mq_unlink(buf);
	/* EACCES for the name itself stays; the sticky directory's refusal
	 * is the kernel's EPERM. */
	if (r && errno == EACCES && !strchr(c, '/') && strcmp(c, ".") &&
	    strcmp(c, ".."))
		errno = EPERM;
	return r;
}

static long raw_mq_notify(mqd_t mqd, const struct sigevent *sev)
{
	long r;

	if (sev && !bad_uptr(sev) && sev->sigev_notify == SIGEV_THREAD)
		return pl_raw_notify(mqd, sev);
	r = umq_mq_notify(mqd, sev);
	if (!r && sev)
		__atomic_store_n(&pl_notified, 1, __ATOMIC_RELAXED);
	return r;
}

/* Six words, as glibc's syscall() takes them whatever the call. */
UMQ_EXPORT PL_ALL_WORDS long syscall(long nr, ...)
{
	va_list ap;
	long a[6], r;
	int e = errno;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	switch (nr) {
	case SYS_msgget:
		r = umq_msgget((key_t)a[0], (int)a[1]);
		break;
	case SYS_msgsnd:
		r = umq_msgsnd((int)a[0], (const void *)a[1], (size_t)a[2],
			       (int)a[3]);
		break;
	case SYS_msgrcv:
		r = umq_msgrcv((int)a[0], (void *)a[1], (size_t)a[2], a[3],
			       (int)a[4]);
		break;
	case SYS_msgctl:
		r = umq_msgctl((int)a[0], (int)a[1], (struct msqid_ds *)a[2]);
		break;
	case SYS_mq_open:
		r = raw_mq_open((const char *)a[0], (int)a[1], (mode_t)a[2],
				(struct mq_attr *)a[3]);
		break;
	case SYS_mq_unlink:
		r = raw_mq_unlink((const char *)a[0]);
		break;
	case SYS_mq_timedsend:
		r = umq_mq_timedsend((mqd_t)a[0], (const char *)a[1],
				     (size_t)a[2], (unsigned)a[3],
				     (const struct timespec *)a[4]);
		break;
	case SYS_mq_timedreceive:
		r = umq_mq_timedreceive((mqd_t)a[0], (char *)a[1],
					(size_t)a[2], (unsigned *)a[3],
					(const struct timespec *)a[4]);
		break;
	case SYS_mq_notify:
		r = raw_mq_notify((mqd_t)a[0], (const struct sigevent *)a[1]);
		break;
	case SYS_mq_getsetattr:
		r = umq_mq_setattr((mqd_t)a[0], (const struct mq_attr *)a[1],
				   (struct mq_attr *)a[2]);
		break;
	case SYS_close:
		return pl_close((int)a[0]);
	case SYS_dup:
		return pl_dup((int)a[0]);
	case SYS_dup2:
		return pl_dup2((int)a[0], (int)a[1]);
	case SYS_dup3:
		return pl_dup3((int)a[0], (int)a[1], (int)a[2]);
	case SYS_fcntl:
		return pl_fcntl((int)a[0], (int)a[1], a[2]);
	case SYS_ioctl:
		return pl_ioctl((int)a[0], (unsigned long)a[1], a[2]);
	case SYS_close_range:
		return pl_close_range((unsigned)a[0], (unsigned)a[1],
				      (int)a[2]);
	case SYS_read:
		return pl_read((int)a[0], (void *)a[1], (size_t)a[2]);
	case SYS_write:
		return pl_write((int)a[0], (const void *)a[1], (size_t)a[2]);
	case SYS_pread64:
		return pl_pread((int)a[0], (void *)a[1], (size_t)a[2], a[3]);
	case SYS_pwrite64:
		return pl_pwrite((int)a[0], (const void *)a[1], (size_t)a[2],
				 a[3]);
	case SYS_readv:
		return pl_readv((int)a[0], (const struct iovec *)a[1],
				(int)a[2]);
	case SYS_writev:
		return pl_writev((int)a[0], (const struct iovec *)a[1],
				 (int)a[2]);
	case SYS_lseek:
		return pl_lseek((int)a[0], a[1], (int)a[2]);
	case SYS_poll:
	case SYS_ppoll:
		if (watch_pollfds((const struct pollfd *)a[0],
				  (unsigned long)a[1]))
			return -1;
		return libc_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	case SYS_select:
	case SYS_pselect6:
		if (watch_fdsets((int)a[0], (fd_set *const[3]){
				 (fd_set *)a[1], (fd_set *)a[2],
				 (fd_set *)a[3] }))
			return -1;
		return libc_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	case SYS_epoll_ctl:
		if (watch_epoll((int)a[1], (int)a[2]))
			return -1;
		return libc_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	case SYS_recvmsg:
	case SYS_recvmmsg:
	case SYS_pidfd_getfd:
		r = libc_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		if (r >= 0)
			notq_flush();
		return r;
	default:
		return libc_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	if (r != -1)
		errno = e;
	return r;
}
