/* SPDX-License-Identifier: MIT */
/*
 * backend.h - the kernel and umq as the two backends of scenarios that
 * run on both with real processes (sysv_block, sysv_perm, posix_mp, the
 * soak of sysv_crash): a table of each API's calls, and BOTH(name), a
 * case whose body runs once per backend (t_both), each half in a process
 * of its own with B (the including file's pointer into its table) at the
 * half's entry.
 *
 * The definitions are static so that a -DKERNEL_ONLY build of the
 * including file maps umq_* to the kernel's calls: the scenarios are then
 * checked kernel against kernel, without the library.
 */
#ifndef BACKEND_H
#define BACKEND_H

#include "t.h"

#include <fcntl.h>
#include <mqueue.h>
#include <stdarg.h>

#include "umq.h"

#ifdef KERNEL_ONLY
#define umq_msgget t_k_msgget
#define umq_msgsnd t_k_msgsnd
#define umq_msgrcv t_k_msgrcv
#define umq_msgctl t_k_msgctl
#define umq_mq_open mq_open
#define umq_mq_close mq_close
#define umq_mq_unlink mq_unlink
#define umq_mq_send mq_send
#define umq_mq_timedsend mq_timedsend
#define umq_mq_receive mq_receive
#define umq_mq_timedreceive mq_timedreceive
#define umq_mq_getattr mq_getattr
#define umq_mq_setattr mq_setattr
#define umq_mq_notify mq_notify
#define umq_mq_status k_mq_status

int umq_ns_use(const char *dir)
{
	(void)dir;
	return 0;
}

/* What only umq has: the cases that use it skip before calling these. */
int umq_mq_clocksend(mqd_t q, const char *p, size_t n, unsigned prio,
		     clockid_t c, const struct timespec *t)
{
	(void)q; (void)p; (void)n; (void)prio; (void)c; (void)t;
	errno = ENOSYS;
	return -1;
}

ssize_t umq_mq_clockreceive(mqd_t q, char *p, size_t n, unsigned *prio,
			    clockid_t c, const struct timespec *t)
{
	(void)q; (void)p; (void)n; (void)prio; (void)c; (void)t;
	errno = ENOSYS;
	return -1;
}

int umq_msgclocksnd(int id, const void *p, size_t n, int flg, clockid_t c,
		    const struct timespec *t)
{
	(void)id; (void)p; (void)n; (void)flg; (void)c; (void)t;
	errno = ENOSYS;
	return -1;
}

ssize_t umq_msgclockrcv(int id, void *p, size_t n, long type, int flg,
			clockid_t c, const struct timespec *t)
{
	(void)id; (void)p; (void)n; (void)type; (void)flg; (void)c; (void)t;
	errno = ENOSYS;
	return -1;
}

#define UMQ_ON_KERNEL 1
#else
#define UMQ_ON_KERNEL 0
#endif

/* ---- The tables ---------------------------------------------------------- */

struct sysv_backend {
	const char *name;
	int (*get)(key_t, int);
	int (*snd)(int, const void *, size_t, int);
	ssize_t (*rcv)(int, void *, size_t, long, int);
	int (*ctl)(int, int, struct msqid_ds *);
	int kernel;	/* runs only in a private IPC namespace */
};

__attribute__((unused))
static const struct sysv_backend sysv_backends[2] = {
	{ "kernel", t_k_msgget, t_k_msgsnd, t_k_msgrcv, t_k_msgctl, 1 },
	{ "umq", umq_msgget, umq_msgsnd, umq_msgrcv, umq_msgctl,
	  UMQ_ON_KERNEL },
};

/* The status line of a kernel queue: read() of a readable descriptor. */
__attribute__((unused))
static ssize_t k_mq_status(mqd_t q, char *buf, size_t len)
{
	ssize_t n = pread(q, buf, len - 1, 0);

	if (n >= 0)
		buf[n] = 0;
	return n;
}

/* What a variant (posix_mp_lane.c) adds to every umq open: T_MQ_OFLAGS. */
#ifdef T_MQ_OFLAGS
static mqd_t t_umq_open(const char *name, int oflag, ...)
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
	return umq_mq_open(name, oflag | T_MQ_OFLAGS, mode, attr);
}
#define T_UMQ_OPEN t_umq_open
#else
#define T_UMQ_OPEN umq_mq_open
#endif

struct mq_backend {
	const char *name;
	mqd_t (*open)(const char *, int, ...);
	T_MQ_CALLS
	/* Only on a readable descriptor: that is all the kernel offers. */
	ssize_t (*status)(mqd_t, char *, size_t);
	int kernel;	/* runs only in a private IPC namespace */
};

__attribute__((unused))
static const struct mq_backend mq_backends[2] = {
	{ "kernel", mq_open, mq_close, mq_unlink, mq_send, mq_timedsend,
	  mq_receive, mq_timedreceive, mq_getattr, mq_setattr, mq_notify,
	  k_mq_status, 1 },
	{ "umq", T_UMQ_OPEN, umq_mq_close, umq_mq_unlink, umq_mq_send,
	  umq_mq_timedsend, umq_mq_receive, umq_mq_timedreceive,
	  umq_mq_getattr, umq_mq_setattr, umq_mq_notify, umq_mq_status,
	  UMQ_ON_KERNEL },
};

/* ---- Running on both ----------------------------------------------------- */

static size_t half;	/* the running half's entry: 0 the kernel, 1 umq */

/* Each half runs the scenario with half set (t_both). */
static void (*scenario)(void);

__attribute__((unused))
static const char *b_name(size_t i)
{
	return sysv_backends[i].name;
}

__attribute__((unused))
static bool b_kernel(size_t i)
{
	return sysv_backends[i].kernel;
}

__attribute__((unused))
static void b_run(size_t i)
{
	half = i;
	scenario();
}

__attribute__((unused))
static void both(void (*fn)(void))
{
	scenario = fn;
	t_both(2, b_name, b_kernel, b_run);
}

__attribute__((unused))
static void need_root(void)
{
	if (geteuid() != 0)
		t_skip("needs root to act as other users");
}

/* A case named name that runs pre, then the body below it on both. */
#define BOTH_IF(name, pre)						\
	static void s_##name(void);					\
	T_CASE(name) { pre; both(s_##name); }				\
	static void s_##name(void)
#define BOTH(name) BOTH_IF(name, (void)0)
/* The same for a case that acts as other users. */
#define BOTH_ROOT(name) BOTH_IF(name, need_root())

#endif
