/* SPDX-License-Identifier: MIT */
/*
 * call.h - a call made by a child process and watched by the case: it
 * should block, stay blocked, wake up, return this or fail with that.
 *
 * A test keeps the record of such a call in shared memory (t_shared): a
 * struct of its own that starts with a struct t_call, with what the call
 * takes and gives back.  The child marks t_call.pid just before the call
 * and done after it (t_call_begin, t_call_end); the case launches it,
 * checks it and reaps it with the functions below, which name the call
 * in their messages through the test's struct t_call_ops.
 */
#ifndef CALL_H
#define CALL_H

#include "t.h"

#define T_WAIT_MS 5000	/* longest wait for something that must happen */
#define T_GRACE_MS 50	/* time a wrong wake-up gets to show */

struct t_call_ops {
	void (*run)(void *op);		/* in the child: make the call */
	const char *(*name)(const void *op);	/* "mq_send(...)" */
	const char *(*result)(const void *op);	/* "returned 5", ... */
};

struct t_call {
	const struct t_call_ops *ops;	/* set by t_call_launch */
	pid_t child;		/* what the parent reaps */
	int reaped, status;	/* the child ended during t_call_launch */
	pid_t pid;		/* the caller (a grandchild when as a user) */
	int done;		/* the call returned ret, errno err */
	long ret;
	int err;
};

/* In the child: the call starts now; it returned ret, errno err. */
void t_call_begin(struct t_call *c);
void t_call_end(struct t_call *c, long ret, int err);

/*
 * Fork a child that makes op's call (as uid:gid unless uid is -1) and
 * return once the call has started.  op starts with a struct t_call.
 */
void t_call_launch(const struct t_call_ops *ops, void *op, uid_t uid,
		   gid_t gid);
/* The call must be asleep in it. */
void t_call_sleeps(const void *op);
/* The call must end within T_WAIT_MS, and its child pass. */
void t_call_reap(void *op);
/* The call must still be blocked after T_GRACE_MS. */
void t_call_blocked(const void *op);
/* The call must have returned ret; have failed with err. */
void t_call_ret(const void *op, long ret);
void t_call_err(const void *op, int err);

#endif
