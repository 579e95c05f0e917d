/* SPDX-License-Identifier: MIT */
/*
 * libc.c - the real libc functions behind the interposers.
 *
 * The linker's --wrap sends every call the library's objects make to an
 * interposed name (close, read, syscall ...) here, and the interposers
 * come here for the function they wrap.  Each is looked up once with
 * RTLD_NEXT - the next definition after this library, which is libc's or
 * another interposer's loaded after us - or, should none follow, libc's
 * own.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "preload.h"


void *libc_sym(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name), *libc;

	if (!f) {
		libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
		f = libc ? dlsym(libc, name) : NULL;
	}
	if (!f) {
		/* No libc function to call: nothing sensible remains. */
		fprintf(stderr, "libumq-preload: no %s in libc\n", name);
		abort();
	}
	return f;
}

/*
 * libc's functions, found at load time (a first call of syscall() in a
 * signal handler must not run dlsym there), or on first use by a call
 * that comes before that (another library's constructor).  Every racer
 * finds the same function.
 */
#define REALS(X)                                                        \
	X(close) X(dup) X(dup2) X(dup3) X(fcntl) X(ioctl) X(close_range) \
	X(closefrom) X(read) X(write) X(pread) X(pwrite) X(readv)       \
	X(writev) X(lseek) X(syscall) X(poll) X(ppoll) X(select)       \
	X(pselect) X(epoll_ctl) X(__poll_chk) X(__ppoll_chk) X(recvmsg)  \
	X(recvmmsg) X(pidfd_getfd)
#define POINTER(name) static __typeof__(name) *real_##name;
REALS(POINTER)

#define REAL(name)                                                      \
	({                                                              \
		__typeof__(name) *f_ = __atomic_load_n(&real_##name,    \
						       __ATOMIC_RELAXED); \
		if (unlikely(!f_)) {                                    \
			f_ = (__typeof__(name) *)libc_sym(#name);       \
			__atomic_store_n(&real_##name, f_,              \
					 __ATOMIC_RELAXED);             \
		}                                                       \
		f_;                                                     \
	})

#define RESOLVE(name) (void)REAL(name);
__attribute__((constructor)) static void resolve(void)
{
	REALS(RESOLVE)
}

int libc_close(int fd)
{
	return REAL(close)(fd);
}

int libc_dup(int fd)
{
	return REAL(dup)(fd);
}

int libc_dup2(int fd, int fd2)
{
	return REAL(dup2)(fd, fd2);
}

int libc_dup3(int fd, int fd2, int flags)
{
	return REAL(dup3)(fd, fd2, flags);
}

/* As glibc's fcntl: the third argument is an int or a pointer, passed on
 * as a pointer-sized word. */
int libc_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return REAL(fcntl)(fd, cmd, arg);
}

/* As glibc's ioctl: the third argument, if any, is one word. */
int libc_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	return REAL(ioctl)(fd, req, arg);
}

int libc_close_range(unsigned first, unsigned last, int flags)
{
	return REAL(close_range)(first, last, flags);
}

void libc_closefrom(int fd)
{
	REAL(closefrom)(fd);
}

ssize_t libc_read(int fd, void *buf, size_t n)
{
	return REAL(read)(fd, buf, n);
}

ssize_t libc_write(int fd, const void *buf, size_t n)
{
	return REAL(write)(fd, buf, n);
}

ssize_t libc_pread(int fd, void *buf, size_t n, off_t off)
{
	return REAL(pread)(fd, buf, n, off);
}

ssize_t libc_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return REAL(pwrite)(fd, buf, n, off);
}

ssize_t libc_readv(int fd, const struct iovec *iov, int n)
{
	return REAL(readv)(fd, iov, n);
}

ssize_t libc_writev(int fd, const struct iovec *iov, int n)
{
	return REAL(writev)(fd, iov, n);
}

off_t libc_lseek(int fd, off_t off, int whence)
{
	return REAL(lseek)(fd, off, whence);
}

/* Six words, as glibc's syscall() takes them whatever the call. */
PL_ALL_WORDS long libc_syscall(long nr, ...)
{
	va_list ap;
	long a[6];

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* The readiness calls (poll.c); poll is also the library's (agent.c). */
int libc_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	return REAL(poll)(fds, n, timeout);
}

int libc_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
	       const sigset_t *mask)
{
	return REAL(ppoll)(fds, n, ts, mask);
}

int libc_select(int n, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
	return REAL(select)(n, r, w, x, tv);
}

int libc_pselect(int n, fd_set *r, fd_set *w, fd_set *x,
		 const struct timespec *ts, const sigset_t *mask)
{
	return REAL(pselect)(n, r, w, x, ts, mask);
}

int libc_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	return REAL(epoll_ctl)(epfd, op, fd, ev);
}

int libc_poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t len)
{
	return REAL(__poll_chk)(fds, n, timeout, len);
}

int libc_ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
		   const sigset_t *mask, size_t len)
{
	return REAL(__ppoll_chk)(fds, n, ts, mask, len);
}

/* Descriptors that arrive (recv.c); recvmsg is also the library's
 * (fds.c). */
ssize_t libc_recvmsg(int fd, struct msghdr *mh, int flags)
{
	return REAL(recvmsg)(fd, mh, flags);
}

int libc_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags,
		  struct timespec *ts)
{
	return REAL(recvmmsg)(fd, v, n, flags, ts);
}

int libc_pidfd_getfd(int pidfd, int fd, unsigned flags)
{
	return REAL(pidfd_getfd)(pidfd, fd, flags);
}
