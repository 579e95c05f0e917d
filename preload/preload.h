/* SPDX-License-Identifier: MIT */
/*
 * preload.h - declarations shared by the files of libumq-preload.so.
 *
 * The preload is the library's own objects plus these files, linked with
 * -Wl,--wrap for every libc function it interposes (see the Makefile): the
 * library's calls to close, read, syscall ... then reach the libc_*
 * functions below (named __wrap_* for the linker), never the interposers,
 * and so does the preload itself when it means libc's function.
 */
#ifndef UMQ_PRELOAD_H
#define UMQ_PRELOAD_H

#include <stdarg.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "internal.h"

/* ---- libc.c: libc's own functions -------------------------------------- */
int libc_close(int fd) __asm__("__wrap_close");
int libc_dup(int fd) __asm__("__wrap_dup");
int libc_dup2(int fd, int fd2) __asm__("__wrap_dup2");
int libc_dup3(int fd, int fd2, int flags) __asm__("__wrap_dup3");
int libc_fcntl(int fd, int cmd, ...) __asm__("__wrap_fcntl");
int libc_ioctl(int fd, unsigned long req, ...) __asm__("__wrap_ioctl");
int libc_close_range(unsigned first, unsigned last, int flags)
	__asm__("__wrap_close_range");
void libc_closefrom(int fd) __asm__("__wrap_closefrom");
ssize_t libc_read(int fd, void *buf, size_t n) __asm__("__wrap_read");
ssize_t libc_write(int fd, const void *buf, size_t n) __asm__("__wrap_write");
ssize_t libc_pread(int fd, void *buf, size_t n, off_t off)
	__asm__("__wrap_pread");
ssize_t libc_pwrite(int fd, const void *buf, size_t n, off_t off)
	__asm__("__wrap_pwrite");
ssize_t libc_readv(int fd, const struct iovec *iov, int n)
	__asm__("__wrap_readv");
ssize_t libc_writev(int fd, const struct iovec *iov, int n)
	__asm__("__wrap_writev");
off_t libc_lseek(int fd, off_t off, int whence) __asm__("__wrap_lseek");
long libc_syscall(long nr, ...) __asm__("__wrap_syscall");
/* The readiness calls (poll.c) and the calls a descriptor arrives by
 * (recv.c); poll and recvmsg are also the library's own. */
struct pollfd;
struct epoll_event;
struct msghdr;
struct mmsghdr;
int libc_poll(struct pollfd *fds, unsigned long n, int timeout)
	__asm__("__wrap_poll");
int libc_ppoll(struct pollfd *fds, unsigned long n, const struct timespec *ts,
	       const sigset_t *mask);
int libc_poll_chk(struct pollfd *fds, unsigned long n, int timeout,
		  size_t len);
int libc_ppoll_chk(struct pollfd *fds, unsigned long n,
		   const struct timespec *ts, const sigset_t *mask, size_t len);
int libc_select(int n, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv);
int libc_pselect(int n, fd_set *r, fd_set *w, fd_set *x,
		 const struct timespec *ts, const sigset_t *mask);
int libc_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
ssize_t libc_recvmsg(int fd, struct msghdr *mh, int flags)
	__asm__("__wrap_recvmsg");
int libc_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags,
		  struct timespec *ts);
int libc_pidfd_getfd(int pidfd, int fd, unsigned flags);
/* The fortified poll and ppoll (<bits/poll2.h> declares them only under
 * _FORTIFY_SOURCE). */
int __poll_chk(struct pollfd *fds, unsigned long n, int timeout,
	       size_t len);
int __ppoll_chk(struct pollfd *fds, unsigned long n,
		const struct timespec *ts, const sigset_t *mask, size_t len);
/* libc's function called name (RTLD_NEXT, else libc's own). */
void *libc_sym(const char *name);

/*
 * syscall() takes six words whatever the call, as glibc's (assembly)
 * does: a caller that passed fewer leaves the last on its stack, so
 * reading them is beyond what AddressSanitizer lets C read.
 */
#define PL_ALL_WORDS __attribute__((no_sanitize_address))


/*
 * An interposer is defined as pl_<name> and exported as <name>, an alias:
 * the preload's other files call pl_<name>, since --wrap sends their
 * calls of <name> to libc.
 */
#define INTERPOSE(ret, name, ...)                                       \
	ret pl_##name(__VA_ARGS__);                                     \
	extern UMQ_EXPORT __typeof__(pl_##name) name                    \
		__attribute__((alias("pl_" #name)));                    \
	ret pl_##name(__VA_ARGS__)

/* The record of a queue descriptor this process knows, or NULL. */
static inline struct pdesc *queue_fd(int fd)
{
	struct pdesc *d = dslot(fd, false);

	return d && __atomic_load_n(&d->pv, __ATOMIC_ACQUIRE) ? d : NULL;
}

/* ---- fd.c, rw.c: the interposers syscall() also reaches ---------------- */
int pl_close(int fd);
int pl_dup(int fd);
int pl_dup2(int fd, int fd2);
int pl_dup3(int fd, int fd2, int flags);
int pl_fcntl(int fd, int cmd, ...);
int pl_ioctl(int fd, unsigned long req, ...);
int pl_close_range(unsigned first, unsigned last, int flags);
ssize_t pl_read(int fd, void *buf, size_t n);
ssize_t pl_write(int fd, const void *buf, size_t n);
ssize_t pl_pread(int fd, void *buf, size_t n, off_t off);
ssize_t pl_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t pl_readv(int fd, const struct iovec *iov, int cnt);
ssize_t pl_writev(int fd, const struct iovec *iov, int cnt);
off_t pl_lseek(int fd, off_t off, int whence);

/* ---- fd.c -------------------------------------------------------------- */
/* Set once this process registered a notification: from then on a close
 * of a descriptor the table does not know is looked at (B10). */
extern int pl_notified;

/* ---- rw.c: the mqueue file's read position ----------------------------- */
void rpos_forget(int fd);
void rpos_dup(int oldfd, int newfd);
void rw_fork_lock(bool take);	/* around fork (fd.c, L15) */

/* ---- poll.c: queue descriptors made watchers (umq_mq_watch) ------------ */
/* 0, or -1 with errno ENOMEM: a queue among them cannot be watched. */
int watch_pollfds(const struct pollfd *fds, unsigned long n);
int watch_fdsets(int n, fd_set *const sets[3]);
int watch_epoll(int op, int fd);
/* fd was closed or replaced: what it was found to be holds no more. */
void notq_forget(int fd);
/* A descriptor may have arrived unseen, or numbers were closed in bulk
 * (recv.c, fd.c, syscall.c): any number may be a queue now. */
void notq_flush(void);

/* ---- nlnotify.c: mq_notify's raw SIGEV_THREAD (netlink cookie) --------- */
long pl_raw_notify(int mqd, const struct sigevent *sev);
void nl_fork_lock(bool take);	/* around fork (fd.c, L15) */

#endif
