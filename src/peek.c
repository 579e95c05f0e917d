/* SPDX-License-Identifier: MIT */
/*
 * peek.c - queued messages copied out without being received (umq peek).
 *
 * The messages are found by the store's scan in receive order
 * (store_scan), the path msgrcv's MSG_COPY takes too, under the queue
 * lock as a receive takes it.  Nothing is written but the caller's
 * buffers: no counter, time or pid of the queue changes, no waiter is
 * woken.  Only a damaged store is repaired first, as any caller would.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define S_IRUGO (S_IRUSR | S_IRGRP | S_IROTH)

struct peek {
	struct qview *v;
	struct umq_peek_msg *msgs;
	size_t n, got;
	size_t index;
	bool posix;			/* key is -priority */
};

static long peek_one(void *ctx, uint32_t head)
{
	struct peek *p = ctx;
	struct umq_peek_msg *out = &p->msgs[p->got];
	struct msg *m = store_msg(p->v, head);
	size_t k = m->len < out->size ? (size_t)m->len : out->size;

	if (m->len > (uint64_t)p->v->nchunks * p->v->chunk) {
		p->v->st->damaged = 1;	/* a length the store cannot hold */
		return -EUCLEAN;
	}
	if (store_read(p->v, head, out->text, k))
		return -EUCLEAN;
	out->len = (size_t)m->len;
	out->copied = k;
	out->type = p->posix ? (long)-m->key : (long)m->key;
	out->index = p->index + p->got;
	out->id = m->seq;
	memset(out->reserved, 0, sizeof(out->reserved));
	return ++p->got == p->n;
}

/* The caller's array: every buffer checked before the queue is locked. */
static int check_msgs(const struct umq_peek_msg *msgs, size_t n)
{
	if (!n)
		return 0;
	if (bad_uptr(msgs) || n > SIZE_MAX / sizeof(*msgs))
		return -EFAULT;
	for (size_t i = 0; i < n; i++)
		if (msgs[i].size && bad_uptr(msgs[i].text))
			return -EFAULT;
	return 0;
}

/* Scan under the lock; -EUCLEAN: the caller mends the store, once. */
static long scan(struct peek *p, int mode, int64_t type)
{
	long r;

	p->got = 0;
	if (!p->n)
		return 0;
	r = store_scan(p->v, mode, type, p->index, peek_one, p);
	return r < 0 ? r : (long)p->got;
}

static long do_msgpeek(int id, long type, int flg, size_t index,
		       struct umq_peek_msg *msgs, size_t n)
{
	struct peek p = { .msgs = msgs, .n = n, .index = index };
	struct sq *s;
	struct ns *ns;
	long r;
	int mode;

	if (id < 0 || (flg & ~MSG_EXCEPT))
		return -EINVAL;
	r = check_msgs(msgs, n);
	if (r)
		return r;
	mode = convert_mode(&type, flg);
	r = ns_get(&ns);
	if (r)
		return ns_errno((int)r, NSE_ID);
	r = q_lock_id(ns, id, &s);
	if (r < 0)
		return r;
	p.v = &s->v;
	r = ipc_perms(s->q, S_IRUGO);
	if (!r)
		r = sq_store(s);
	if (r == -EUCLEAN)
		r = q_mend_store(s);
	if (!r) {
		r = scan(&p, mode, type);
		if (r == -EUCLEAN) {
			r = q_mend_store(s);
			if (!r)
				r = scan(&p, mode, type);
		}
	}
	q_done(s);
	return r;
}

static long do_mq_peek(mqd_t fd, size_t index, struct umq_peek_msg *msgs,
		       size_t n)
{
	struct peek p = { .msgs = msgs, .n = n, .index = index,
			  .posix = true };
	struct pdesc *d;
	struct pview *pv;
	long r;

	r = pdesc_get(fd, &d);
	if (r)
		return r;
	if (d->acc != O_RDONLY && d->acc != O_RDWR)
		return -EBADF;
	r = check_msgs(msgs, n);
	if (r)
		return r;
	pv = d->pv;
	p.v = &pv->v;
	pq_lock(pv);
	r = pq_store_sync(pv);
	if (!r) {
		r = scan(&p, SEARCH_LESSEQUAL, INT64_MAX);
		if (r == -EUCLEAN) {
			r = pq_mend(pv);
			if (!r)
				r = scan(&p, SEARCH_LESSEQUAL, INT64_MAX);
		}
	}
	pq_unlock(pv);
	return r;
}

UMQ_EXPORT ssize_t umq_msgpeek(int msqid, long msgtyp, int msgflg,
			       size_t index, struct umq_peek_msg *msgs,
			       size_t n)
{
	return ret_errno(do_msgpeek(msqid, msgtyp, msgflg, index, msgs, n));
}

UMQ_EXPORT ssize_t umq_mq_peek(mqd_t mqdes, size_t index,
			       struct umq_peek_msg *msgs, size_t n)
{
	return ret_errno(do_mq_peek(mqdes, index, msgs, n));
}

/* By name: a descriptor opened for reading, for the call only, so that
 * the permission check and every error are mq_open's. */
UMQ_EXPORT ssize_t umq_mq_peek_name(const char *name, size_t index,
				    struct umq_peek_msg *msgs, size_t n)
{
	int saved = errno;
	mqd_t fd;
	long r;

	r = check_msgs(msgs, n);
	if (r)
		return ret_errno(r);
	fd = umq_mq_open(name, O_RDONLY | O_NONBLOCK);
	if (fd == (mqd_t)-1)
		return -1;
	r = do_mq_peek(fd, index, msgs, n);
	umq_mq_close(fd);
	errno = saved;
	return ret_errno(r);
}
