/* SPDX-License-Identifier: MIT */
/*
 * stats.c - what `umq top` and `umq metrics` show of a queue: depth,
 * counters (L12) and the callers blocked on it, read without any lock.
 *
 * An operator's tool must never wait for a queue: a stopped lock holder
 * would stop it too (L11 waits for a holder that checks out), and taking
 * a streaming queue's lock every second would cost its users.  So every
 * field is a relaxed load of shared memory, the wait lists are walked
 * read-only and bounded, and a record is believed only while it says it
 * waits on this very queue.  What a reader gets is a snapshot that may
 * be torn between two operations, never a crash or a hang: indices are
 * checked before use, a POSIX control block is checked like any file.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define LD(f) __atomic_load_n(&(f), __ATOMIC_RELAXED)

/*
 * Count the live records waiting on a list of a queue (generation gen),
 * the first pids in line order.  Without the lock the list may change
 * under us: a record that no longer waits here ends the walk, and a
 * record seen twice (a cycle made while we looked) is counted once.
 */
static void walk(struct wpool *wp, uint32_t head, uint64_t gen,
		 uint32_t kind, unsigned *count, pid_t *pids)
{
	static __thread uint8_t seen[Q_WAITERS / 8];
	uint32_t i = head;

	memset(seen, 0, sizeof(seen));
	*count = 0;
	for (uint32_t n = 0; i < Q_WAITERS && n < Q_WAITERS; n++) {
		struct waiter *w = wp_rec(wp, i);
		if (seen[i / 8] & (1u << (i % 8)))
			break;
		seen[i / 8] |= (uint8_t)(1u << (i % 8));
		uint32_t k = LD(w->kind);
		if (LD(w->gen) != gen || !LD(w->linked) || (k != kind &&
		    !(kind == WK_RECV && k == WK_PEEK)))
			break;
		/* A peeker, among the receivers, is none of them. */
		if (k == kind && waiter_holds_alive(w) &&
		    __atomic_load_n(&w->futex,
				__ATOMIC_ACQUIRE) == W_WAITING) {
			pid_t pid = LD(w->pid);
			if (*count < UMQ_STATS_PIDS)
				pids[*count] = pid > 0 ? pid : LD(w->tid);
			(*count)++;
		}
		i = LD(w->next);
	}
}

static unsigned long long derived(uint64_t sent, uint64_t queued)
{
	return sent > queued ? sent - queued : 0;
}

/* ---- System V: the control block, readable by all --------------------- */

/* Index idx, if it holds a live queue (of id, unless id < 0): 0, or
 * -EINVAL.  A queue removed while we read it is as if never seen.  Its
 * blocked callers are in its data file: shown to those who may use the
 * queue (the OS lets them map it), counted 0 for the others. */
static int sysv_fill(struct ns *ns, uint32_t idx, int id,
		     struct umq_qstats *st)
{
	struct sq *s;
	struct qctl *q;
	uint64_t gen, sent, qnum, qbytes;
	uint32_t seq;
	int r = sq_get(ns, idx, &s);

	if (r)
		return r == -ENOMEM ? r : -EINVAL;
	q = s->q;
	seq = LD(q->seq);
	gen = s->gen;
	if (id >= 0 && seq != (uint32_t)id >> IPCMNI_SHIFT) {
		sq_put(s);
		return -EINVAL;
	}
	memset(st, 0, sizeof(*st));
	st->kind = UMQ_KIND_SYSV;
	st->id = (int)(seq << IPCMNI_SHIFT | idx);
	st->key = LD(q->key);
	st->uid = LD(q->uid);
	st->gid = LD(q->gid);
	st->mode = LD(q->mode) & 0777;
	/* sent first: a send counts it before qnum (sysv.c), so that
	 * received = sent - qnum never counts a send as a receive. */
	sent = LD(q->n_sent);
	lane_total(&s->f->lane, lane_ring(s), &s->lq.pg, false, &q->qnum,
		   &q->cbytes, &qnum, &qbytes);
	st->messages = qnum;
	st->bytes = qbytes;
	st->max_messages = st->max_bytes = LD(q->qbytes);
	st->sent = sent;
	st->received = derived(sent, qnum);
	st->handoffs = LD(q->n_handoff);
	st->refused_full = LD(q->n_full);
	st->refused_empty = LD(q->n_empty);
	st->messages_high_water = LD(q->hw_qnum);
	st->bytes_high_water = LD(q->hw_cbytes);
	st->stime = LD(q->stime);
	st->rtime = LD(q->rtime);
	st->ctime = LD(q->ctime);
	st->lspid = LD(q->lspid);
	st->lrpid = LD(q->lrpid);
	if (sq_data(s) == 0) {
		walk(&s->wp, LD(q->wl.shead), gen, WK_SEND,
		     &st->blocked_senders, st->sender_pids);
		walk(&s->wp, LD(q->wl.rhead), gen, WK_RECV,
		     &st->blocked_receivers, st->receiver_pids);
	}
	r = sq_live(s) ? 0 : -EINVAL;
	sq_put(s);
	return r;
}

/* ---- POSIX: the first page of posix/<gen> ----------------------------- */

/* Queue `name` (without its '/'): 0, or -errno with st->err set and the
 * identity filled in. */
static int posix_fill(struct ns *ns, const char *name, struct umq_qstats *st)
{
	char path[64];
	struct pqctl *c;
	struct stat ls, fs;
	uint64_t sent, cur, qbytes;
	int64_t gen;
	int fd, r;

	memset(st, 0, sizeof(*st));
	st->kind = UMQ_KIND_POSIX;
	st->id = -1;
	snprintf(st->name, sizeof(st->name), "/%s", name);
	gen = pq_name_gen(ns, name, &ls);
	if (gen < 0)
		return gen == -EINVAL ? -ENOENT : (int)gen;
	st->uid = ls.st_uid;
	st->gid = ls.st_gid;
	pq_path(path, sizeof(path), (uint64_t)gen, PQ_DATA);
	fd = openat(ns->dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	c = fstat(fd, &fs) || !S_ISREG(fs.st_mode) ||
	    fs.st_size < (off_t)PQ_STORE_OFF ? MAP_FAILED :
	    map_shared(PQ_STORE_OFF, PROT_READ, fd, 0);
	close(fd);
	if (c == MAP_FAILED) {
		r = -ENOENT;
		goto fail;
	}
	if (LD(c->magic) != PQ_MAGIC || LD(c->gen) != (uint64_t)gen ||
	    strncmp(c->name, name, PQ_NAME_MAX + 1)) {
		r = -ENOENT;		/* not what the name says: gone */
	} else if (LD(c->version) != UMQ_LAYOUT_VERSION) {
		r = -EPROTO;
	} else {
		r = pq_may_open(c, O_RDONLY);
	}
	if (r) {
		map_unmap(c, PQ_STORE_OFF);
		goto fail;
	}
	st->uid = c->uid;
	st->gid = c->gid;
	st->mode = c->mode & 07777;
	sent = LD(c->n_sent);
	lane_total(&c->lane, (char *)c + PQ_LANE_OFF, NULL, true, &c->curmsgs,
		   &c->qsize, &cur, &qbytes);
	st->messages = cur;
	st->bytes = qbytes;
	st->max_messages = (unsigned long long)LD(c->maxmsg);
	st->max_bytes = st->max_messages * (unsigned long long)LD(c->msgsize);
	st->sent = sent;
	st->received = derived(sent, cur);
	st->handoffs = LD(c->n_handoff);
	st->refused_full = LD(c->n_full);
	st->refused_empty = LD(c->n_empty);
	st->messages_high_water = LD(c->hw_curmsgs);
	st->bytes_high_water = LD(c->hw_qsize);
	st->stime = LD(c->stime);
	st->rtime = LD(c->rtime);
	st->lspid = LD(c->spid);
	st->lrpid = LD(c->rpid);
	struct wpool wp;
	wpool_at(&wp, (char *)c + PQ_WPOOL_OFF);
	walk(&wp, LD(c->wl.shead), (uint64_t)gen, WK_SEND,
	     &st->blocked_senders, st->sender_pids);
	walk(&wp, LD(c->wl.rhead), (uint64_t)gen, WK_RECV,
	     &st->blocked_receivers, st->receiver_pids);
	map_unmap(c, PQ_STORE_OFF);
	return 0;
fail:
	st->err = -r;
	return r;
}

/* ---- the entry points ------------------------------------------------- */

static int do_msg_stats(int id, struct umq_qstats *st)
{
	struct umq_qstats t;
	struct ns *ns;
	int r;

	if (id < 0)
		return -EINVAL;
	if (bad_uptr(st))
		return -EFAULT;
	r = ns_get(&ns);
	if (r)
		return ns_errno(r, NSE_ID);
	r = sysv_fill(ns, (uint32_t)id & (IPCMNI - 1), id, &t);
	return r ? r : ucopy(st, &t, sizeof(t));
}

UMQ_EXPORT int umq_msg_stats(int msqid, struct umq_qstats *st)
{
	return (int)ret_errno(do_msg_stats(msqid, st));
}

static int do_mq_stats(const char *name, struct umq_qstats *st)
{
	struct umq_qstats t;
	struct ns *ns;
	int r;

	if (bad_uptr(name) || bad_uptr(st))
		return -EFAULT;
	r = pq_name_check(&name);
	if (r)
		return r;
	r = ns_get(&ns);
	if (r)
		return ns_errno(r, NSE_LOOKUP);
	r = posix_fill(ns, name, &t);
	return r ? r : ucopy(st, &t, sizeof(t));
}

UMQ_EXPORT int umq_mq_stats(const char *name, struct umq_qstats *st)
{
	return (int)ret_errno(do_mq_stats(name, st));
}

struct umq_stats_list {
	struct ns *ns;
	int32_t *idx;			/* System V indexes, in order */
	int nidx, next;
	DIR *dir;			/* names/, NULL: none (yet) */
	bool posix;			/* System V done */
};

UMQ_EXPORT struct umq_stats_list *umq_stats_list_open(void)
{
	struct umq_stats_list *l;
	struct ns *ns;
	int saved = errno, r = ns_get(&ns), fd;

	if (r) {
		errno = -r;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		errno = ENOMEM;
		return NULL;
	}
	l->ns = ns;
	l->nidx = reg_indexes(ns, &l->idx);
	if (l->nidx < 0)
		l->nidx = 0;
	fd = openat(ns->dirfd, "names", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		l->dir = fdopendir(fd);
		if (!l->dir)
			close(fd);
	}
	if (!l->dir && errno != ENOENT) {	/* ENOENT: no POSIX queue yet */
		r = errno;
		free(l->idx);
		free(l);
		errno = r;
		return NULL;
	}
	errno = saved;
	return l;
}

UMQ_EXPORT int umq_stats_list_next(struct umq_stats_list *l,
				   struct umq_qstats *st)
{
	int saved = errno;
	struct umq_qstats t;
	struct dirent *e;

	if (bad_uptr(l) || bad_uptr(st))
		return (int)ret_errno(-EFAULT);
	while (!l->posix && l->next < l->nidx) {
		int32_t i = l->idx[l->next++];
		if (i >= 0 && !sysv_fill(l->ns, (uint32_t)i, -1, &t)) {
			if (ucopy(st, &t, sizeof(t)))
				return (int)ret_errno(-EFAULT);
			errno = saved;
			return 1;
		}
	}
	l->posix = true;
	while (l->dir) {
		errno = 0;
		e = readdir(l->dir);
		if (!e) {
			if (errno)
				return -1;
			break;
		}
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		/* Gone since readdir: left out.  Any other failure shows the
		 * name, with st->err. */
		if (strlen(e->d_name) <= PQ_NAME_MAX &&
		    posix_fill(l->ns, e->d_name, &t) != -ENOENT) {
			if (ucopy(st, &t, sizeof(t)))
				return (int)ret_errno(-EFAULT);
			errno = saved;
			return 1;
		}
	}
	errno = saved;
	return 0;
}

UMQ_EXPORT void umq_stats_list_close(struct umq_stats_list *l)
{
	if (!l)
		return;
	if (l->dir)
		closedir(l->dir);
	free(l->idx);
	free(l);
}
