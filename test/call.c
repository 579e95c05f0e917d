/* SPDX-License-Identifier: MIT */
/* call.c - see call.h. */
#include "call.h"

void t_call_begin(struct t_call *c)
{
	__atomic_store_n(&c->pid, getpid(), __ATOMIC_RELEASE);
}

void t_call_end(struct t_call *c, long ret, int err)
{
	c->ret = ret;
	c->err = err;
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
}

static const char *name(const void *op)
{
	return ((const struct t_call *)op)->ops->name(op);
}

static const char *result(const void *op)
{
	return ((const struct t_call *)op)->ops->result(op);
}

void t_call_launch(const struct t_call_ops *ops, void *op, uid_t uid,
		   gid_t gid)
{
	struct t_call *c = op;

	c->ops = ops;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		if (uid != (uid_t)-1)
			_exit(t_as_user(uid, gid, ops->run, op));
		ops->run(op);
		_exit(T_EXIT_PASS);
	}
	c->child = pid;	/* c is shared: the child must not write this */
	for (int i = 0; !__atomic_load_n(&c->pid, __ATOMIC_ACQUIRE); i++) {
		int st = t_wait_child(c->child, 0, 1);

		if (st != -1) {
			c->reaped = 1;
			c->status = st;
			/* It may have made a quick call and gone since. */
			if (__atomic_load_n(&c->pid, __ATOMIC_ACQUIRE))
				break;
			t_exited_ok(c->child, st, name(op));
			T_FAIL("%s ended before its call", name(op));
		}
		if (i == T_WAIT_MS)
			T_FAIL("%s: the child never started", name(op));
	}
}

void t_call_sleeps(const void *op)
{
	const struct t_call *c = op;

	if (t_wait_sleeping(c->pid))
		T_FAIL("%s in pid %d should block but %s", name(op),
		       (int)c->pid, result(op));
}

void t_call_reap(void *op)
{
	struct t_call *c = op;
	int st = c->reaped ? c->status : t_wait_child(c->child, 0, T_WAIT_MS);

	if (st == -1)
		T_FAIL("%s in pid %d still blocked after %d ms", name(op),
		       (int)c->pid, T_WAIT_MS);
	t_exited_ok(c->child, st, name(op));
}

void t_call_blocked(const void *op)
{
	const struct t_call *c = op;

	t_msleep(T_GRACE_MS);
	if (__atomic_load_n(&c->done, __ATOMIC_ACQUIRE) ||
	    t_wait_sleeping(c->pid))
		T_FAIL("%s should still block but %s", name(op), result(op));
}

void t_call_ret(const void *op, long ret)
{
	const struct t_call *c = op;

	if (!c->done || c->ret != ret)
		T_FAIL("%s %s, expected %ld", name(op), result(op), ret);
}

void t_call_err(const void *op, int err)
{
	const struct t_call *c = op;

	if (!c->done || c->ret != -1 || c->err != err)
		T_FAIL("%s %s, expected -1 %s", name(op), result(op),
		       strerrorname_np(err));
}
