/* SPDX-License-Identifier: MIT */
/*
 * msgio.h - what `umq peek` (peek.c) and `umq send`, `recv`, `purge`
 * (msgio.c, recv.c) share: the queue named on the command line, and its
 * errors.
 */
#ifndef UMQ_MSGIO_H
#define UMQ_MSGIO_H

#include <mqueue.h>
#include <stdbool.h>
#include <time.h>

#define EXIT_TIMEOUT 124
enum { OPT_EXCEPT = 0x101 };

/* The queue named on the command line. */
struct target {
	const char *arg;
	const char *name;	/* POSIX: "/NAME"; NULL: System V */
	int id;
};

/* An id or a "/NAME"; exits with a message when it is neither, or when
 * a selector (--type, --except: System V's) goes with a name. */
void parse_target(const char *s, struct target *t, bool selector);
/* A failed call on the queue (errno): one line, exit 1. */
__attribute__((noreturn)) void fail(const struct target *t, const char *what);
/* A number (strtol base 0), or exit 1 with "msg: 'str'". */
long parse_long(const char *s, const char *msg);
/* --timeout SECS as an absolute CLOCK_MONOTONIC deadline in *at; returns
 * SECS, or exits 1 with a message when it is not a number >= 0. */
double parse_timeout(const char *s, struct timespec *at);
/* --timeout ran out (secs 0: the queue was empty, or full): one line,
 * exit 124. */
__attribute__((noreturn)) void timed_out(const struct target *t, bool send,
					 double secs);
/* The POSIX queue t, never polled; its mq_msgsize in *msgsize if asked.
 * Exits with a message if it cannot be opened. */
mqd_t open_mq(const struct target *t, int oflag, long *msgsize);
/* The namespace's msgmax; exits with a message if it cannot be read. */
long sysv_msgmax(void);
/* `umq recv`'s loop (recv.c): count messages to standard output. */
void recv_messages(const struct target *t, long type, int flg, long count,
		   double secs, const struct timespec *at);

#endif
