/* SPDX-License-Identifier: MIT */
/*
 * qview.c - this process's mapping of each queue's store.
 *
 * A view is created on first use of a slot and never freed; it maps the
 * store of one queue generation at a time.  It is read and replaced only
 * under the queue lock (LOCKING L4), so the lock that makes the store
 * stable makes the mapping stable too.
 *
 * A receiver that sleeps may be handed a message and find, on waking,
 * that the queue was removed and another thread of this process has
 * already moved the view on to a newer queue in the slot.  Its message is
 * still in the old store, so while anyone sleeps on a slot, a replaced
 * mapping is retired rather than unmapped, and found again by generation.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

struct retired {
	struct qview v;
	struct retired *next;
};

int store_path(char *buf, size_t n, uint64_t gen)
{
	return snprintf(buf, n, "msg.%016llx", (unsigned long long)gen);
}

static struct qview *view_of(struct ns *ns, uint32_t idx)
{
	struct qview *v = __atomic_load_n(&ns->views[idx], __ATOMIC_ACQUIRE);
	struct qview *nv, *expect = NULL;

	if (likely(v))
		return v;
	nv = calloc(1, sizeof(*nv));
	if (!nv)
		return NULL;
	if (__atomic_compare_exchange_n(&ns->views[idx], &expect, nv, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return nv;
	free(nv);
	return expect;
}

static void drop_mapping(struct qview *v)
{
	if (!v->st)
		return;
	if (v->sleepers) {
		struct retired *r = malloc(sizeof(*r));
		if (r) {
			r->v = *v;
			r->next = v->retired;
			v->retired = r;
			v->st = NULL;
			return;
		}
	}
	munmap(v->st, v->size);
	v->st = NULL;
}

static int open_store(struct ns *ns, const char *path, int *fd)
{
	*fd = fd_open(ns->dirfd, path, O_RDWR | O_CLOEXEC, 0);
	if (*fd >= 0)
		return 0;
	/* No descriptor left: msgsnd/msgrcv know no EMFILE, and the
	 * kernel's errno for "cannot get the memory" is ENOMEM. */
	return errno == EACCES ? -EACCES : errno == ENOENT ? -EIDRM :
	       errno == EMFILE || errno == ENFILE ? -ENOMEM : -errno;
}

int qview_map(struct qview *v, int fd, off_t off, uint64_t gen)
{
	struct stat st;
	void *p;
	int r;

	if (fstat(fd, &st))
		return -errno;
	if (st.st_size < off + STORE_HDR_SIZE)
		return -EUCLEAN;
	p = mmap(NULL, (size_t)(st.st_size - off), PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, off);
	if (p == MAP_FAILED)
		return -ENOMEM;
	v->st = p;
	v->size = (size_t)(st.st_size - off);
	v->off = off;
	r = store_geometry(v, gen);
	if (r) {
		munmap(p, v->size);
		v->st = NULL;
		return r;
	}
	v->gen = gen;
	return 0;
}

/* Map the store of System V queue generation gen into v. */
static int map_store(struct ns *ns, struct qview *v, uint64_t gen)
{
	int fd, r;

	store_path(v->path, sizeof(v->path), gen);
	r = open_store(ns, v->path, &fd);
	if (r)
		return r;
	r = qview_map(v, fd, 0, gen);
	close(fd);
	return r;
}

int qview_sync(struct ns *ns, uint32_t idx, const struct qctl *q,
	       struct qview **out)
{
	struct qview *v = view_of(ns, idx);
	int r;

	if (!v)
		return -ENOMEM;
	*out = v;
	if (likely(v->gen == q->gen && v->st &&
		   v->st->nchunks == v->nchunks))
		return 0;
	if (v->gen == q->gen && v->st)
		return qview_follow(ns, v);
	/* Another queue in the slot. */
	drop_mapping(v);
	v->gen = 0;
	r = map_store(ns, v, q->gen);
	return r;
}

/* The header's nchunks moved under us: it grew elsewhere (remap), or the
 * header is garbage (store_geometry refuses it). */
int qview_follow(struct ns *ns, struct qview *v)
{
	/* A store only ever grows, with the same chunks. */
	if (v->st->chunk_size != v->chunk || v->st->nchunks < v->nchunks ||
	    v->st->nchunks > (1u << 30))
		return -EUCLEAN;
	if (store_size(v->chunk, v->st->nchunks) <= v->size)
		return store_geometry(v, v->gen);
	return qview_refresh(ns, v);
}

/* Same generation, but the store grew elsewhere: follow it. */
int qview_refresh(struct ns *ns, struct qview *v)
{
	struct qview nv = *v;
	int fd, r = open_store(ns, v->path, &fd);

	if (r)
		return r;
	r = qview_map(&nv, fd, v->off, v->gen);
	close(fd);
	if (r)
		return r;
	munmap(v->st, v->size);
	v->st = nv.st;
	v->size = nv.size;
	return store_geometry(v, v->gen);
}

int qview_grow(struct ns *ns, struct qview *v, size_t size)
{
	int fd, r = open_store(ns, v->path, &fd);
	void *p;

	if (r)
		return r;
	if (ftruncate(fd, v->off + (off_t)size)) {
		close(fd);
		return -ENOMEM;
	}
	close(fd);
	p = mremap(v->st, v->size, size, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return -ENOMEM;
	v->st = p;
	v->size = size;
	return 0;
}

struct qview *qview_retired(struct qview *v, uint64_t gen)
{
	if (v->gen == gen && v->st)
		return v;
	for (struct retired *r = v->retired; r; r = r->next)
		if (r->v.gen == gen)
			return &r->v;
	return NULL;
}

void qview_sleep(struct qview *v)
{
	v->sleepers++;
}

void qview_wake(struct qview *v)
{
	if (--v->sleepers)
		return;
	while (v->retired) {
		struct retired *r = v->retired;
		v->retired = r->next;
		munmap(r->v.st, r->v.size);
		free(r);
	}
}
