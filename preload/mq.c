/* SPDX-License-Identifier: MIT */
/*
 * mq.c - POSIX message queues: libc's mq_* (GLIBC_2.34, and the
 * GLIBC_2.3.4 of librt that programs linked before glibc 2.34 ask for)
 * and __mq_open_2 (what _FORTIFY_SOURCE makes of a two-argument mq_open;
 * GLIBC_2.34 and GLIBC_2.7) go to umq.
 *
 * Each function is defined once under a private name, pl_<name>, and
 * given both versions with .symver; preload.map declares the nodes and
 * keeps the pl_ names local.
 *
 * Every queue is opened UMQ_O_NOPOLL: a program's descriptor becomes a
 * watcher only when it reaches poll, select or epoll (poll.c), so that
 * a queue nobody polls keeps its lock-free lane.
 */
#include <fcntl.h>
#include <mqueue.h>

#include "preload.h"

#define VERSIONS(name, cur, old)                                        \
	extern UMQ_EXPORT __typeof__(pl_##name) pl_##name##_old         \
		__attribute__((alias("pl_" #name)));                    \
	__asm__(".symver pl_" #name ", " #name "@@" cur);               \
	__asm__(".symver pl_" #name "_old, " #name "@" old)
#define MQ_VERSIONS(name) VERSIONS(name, "GLIBC_2.34", "GLIBC_2.3.4")

/* Exported (for .symver), prototyped for -Wmissing-prototypes. */
#define PL(ret, name, ...)                                              \
	UMQ_EXPORT ret pl_##name(__VA_ARGS__);                          \
	UMQ_EXPORT ret pl_##name(__VA_ARGS__)

/* A new open description: its read position starts at 0 (rw.c). */
static mqd_t opened(mqd_t q)
{
	if (q >= 0)
		rpos_forget(q);
	return q;
}

/* As glibc: mode and attr are read only with O_CREAT (B1). */
PL(mqd_t, mq_open, const char *name, int oflag, ...)
{
	struct mq_attr *attr = NULL;
	mode_t mode = 0;
	va_list ap;

	if (oflag & O_CREAT) {
		va_start(ap, oflag);
		mode = (mode_t)va_arg(ap, unsigned int);
		attr = va_arg(ap, struct mq_attr *);
		va_end(ap);
	}
	return opened(umq_mq_open(name, oflag | UMQ_O_NOPOLL, mode, attr));
}
MQ_VERSIONS(mq_open);

/* O_CREAT without its arguments is glibc's fortify abort: libc's own
 * function gives it, message and all. */
PL(mqd_t, __mq_open_2, const char *name, int oflag)
{
	if (oflag & O_CREAT) {
		mqd_t (*real)(const char *, int) = libc_sym("__mq_open_2");
		return real(name, oflag);
	}
	return opened(umq_mq_open(name, oflag | UMQ_O_NOPOLL));
}
VERSIONS(__mq_open_2, "GLIBC_2.34", "GLIBC_2.7");

PL(int, mq_close, mqd_t mqdes)
{
	int r = umq_mq_close(mqdes);

	rpos_forget(mqdes);
	return r;
}
MQ_VERSIONS(mq_close);

PL(int, mq_unlink, const char *name)
{
	return umq_mq_unlink(name);
}
MQ_VERSIONS(mq_unlink);

PL(int, mq_send, mqd_t mqdes, const char *msg, size_t len, unsigned prio)
{
	return umq_mq_send(mqdes, msg, len, prio);
}
MQ_VERSIONS(mq_send);

PL(int, mq_timedsend, mqd_t mqdes, const char *msg, size_t len,
   unsigned prio, const struct timespec *abs_timeout)
{
	return umq_mq_timedsend(mqdes, msg, len, prio,
					   abs_timeout);
}
MQ_VERSIONS(mq_timedsend);

PL(ssize_t, mq_receive, mqd_t mqdes, char *msg, size_t len, unsigned *prio)
{
	return umq_mq_receive(mqdes, msg, len, prio);
}
MQ_VERSIONS(mq_receive);

PL(ssize_t, mq_timedreceive, mqd_t mqdes, char *msg, size_t len,
   unsigned *prio, const struct timespec *abs_timeout)
{
	return umq_mq_timedreceive(mqdes, msg, len, prio,
					      abs_timeout);
}
MQ_VERSIONS(mq_timedreceive);

PL(int, mq_getattr, mqd_t mqdes, struct mq_attr *attr)
{
	return umq_mq_getattr(mqdes, attr);
}
MQ_VERSIONS(mq_getattr);

PL(int, mq_setattr, mqd_t mqdes, const struct mq_attr *newattr,
   struct mq_attr *oldattr)
{
	return umq_mq_setattr(mqdes, newattr, oldattr);
}
MQ_VERSIONS(mq_setattr);

PL(int, mq_notify, mqd_t mqdes, const struct sigevent *sev)
{
	int r = umq_mq_notify(mqdes, sev);

	if (!r && sev)
		__atomic_store_n(&pl_notified, 1, __ATOMIC_RELAXED);
	return r;
}
MQ_VERSIONS(mq_notify);
