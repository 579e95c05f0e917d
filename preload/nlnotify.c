/* SPDX-License-Identifier: MIT */
/*
 * nlnotify.c - SYS_mq_notify with SIGEV_THREAD, the kernel's way: the
 * caller gives a netlink socket (sigev_signo) and a 32-byte cookie
 * (sigev_value.sival_ptr); when the notification fires, the kernel queues
 * the cookie, its last byte NOTIFY_WOKENUP, on that socket, and the
 * caller's own thread (glibc's, or musl's) reads it and starts the
 * function.  Here the registration is umq's SIGEV_THREAD, whose function
 * sends the cookie to the socket's port from a socket of the same
 * protocol.
 *
 * Not done: the kernel also sends the cookie, marked NOTIFY_REMOVED, when
 * a registration ends without firing; here nothing is sent then.
 */
#include <fcntl.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload.h"

#define NOTIFY_WOKENUP		1	/* <linux/mqueue.h> */
#define NOTIFY_COOKIE_LEN	32

/* Where one queue's registration of this process sends its cookie.  A
 * queue has at most one, so its record is reused, and kept like the
 * process's view of the queue. */
struct nlreg {
	struct nlreg *next;
	struct pview *pv;
	int proto;
	uint32_t port;
	unsigned char cookie[NOTIFY_COOKIE_LEN];
};

/* Held from a registration until its record is filled: a notification
 * that fires meanwhile waits for it. */
static pthread_mutex_t nlmu = PTHREAD_MUTEX_INITIALIZER;
static struct nlreg *regs;

/* Across fork (fd.c, L15). */
void nl_fork_lock(bool take)
{
	if (take)
		pthread_mutex_lock(&nlmu);
	else
		pthread_mutex_unlock(&nlmu);
}

static void send_cookie(union sigval v)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	unsigned char c[NOTIFY_COOKIE_LEN];
	struct nlreg *r = v.sival_ptr;
	int s, proto;

	pthread_mutex_lock(&nlmu);
	memcpy(c, r->cookie, sizeof(c));
	to.nl_pid = r->port;
	proto = r->proto;
	pthread_mutex_unlock(&nlmu);
	c[NOTIFY_COOKIE_LEN - 1] = NOTIFY_WOKENUP;
	s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, proto);
	if (s < 0)
		return;
	(void)!sendto(s, c, sizeof(c), MSG_DONTWAIT, (struct sockaddr *)&to,
		      sizeof(to));
	libc_close(s);
}

/* The netlink socket fd's protocol and port (bound now if it had none):
 * 0 or the kernel's errno for a descriptor that is not one. */
static int nl_target(int fd, int *proto, uint32_t *port)
{
	struct sockaddr_nl sa;
	socklen_t len = sizeof(sa);
	struct stat st;

	if (libc_fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	if (fstat(fd, &st) || !S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &len) ||
	    sa.nl_family != AF_NETLINK)
		return -EINVAL;
	len = sizeof(*proto);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, proto, &len))
		return -ECONNREFUSED;
	if (!sa.nl_pid) {
		/* Unbound: the kernel needs no port, a sender does. */
		struct sockaddr_nl any = { .nl_family = AF_NETLINK };
		len = sizeof(sa);
		if (bind(fd, (struct sockaddr *)&any, sizeof(any)) ||
		    getsockname(fd, (struct sockaddr *)&sa, &len))
			return -ECONNREFUSED;
	}
	*port = sa.nl_pid;
	return 0;
}

/* In the kernel's order (B10): the cookie, the socket, the queue. */
long pl_raw_notify(int mqd, const struct sigevent *sev)
{
	unsigned char cookie[NOTIFY_COOKIE_LEN];
	struct sigevent t;
	struct nlreg *r;
	struct pdesc *d;
	uint32_t port;
	int proto, err;
	long ret;

	if (bad_uptr(sev->sigev_value.sival_ptr))
		return ret_errno(-EFAULT);
	memcpy(cookie, sev->sigev_value.sival_ptr, sizeof(cookie));
	err = nl_target(sev->sigev_signo, &proto, &port);
	if (!err)
		err = pdesc_get(mqd, &d);
	if (err)
		return ret_errno(err);
	pthread_mutex_lock(&nlmu);
	for (r = regs; r && r->pv != d->pv; r = r->next)
		;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r) {
			pthread_mutex_unlock(&nlmu);
			return ret_errno(-ENOMEM);
		}
		r->pv = d->pv;
		r->next = regs;
		regs = r;
	}
	memset(&t, 0, sizeof(t));
	t.sigev_notify = SIGEV_THREAD;
	t.sigev_notify_function = send_cookie;
	t.sigev_value.sival_ptr = r;
	ret = umq_mq_notify(mqd, &t);
	if (!ret) {
		/* Only now: an EBUSY must leave the live one's cookie. */
		memcpy(r->cookie, cookie, sizeof(cookie));
		r->proto = proto;
		r->port = port;
		__atomic_store_n(&pl_notified, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&nlmu);
	return ret;
}
