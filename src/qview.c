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

static int open_store(struct ns *ns, uint64_t gen, int *fd)
{
	char name[32];

	store_path(name, sizeof(name), gen);
	*fd = openat(ns->dirfd, name, O_RDWR | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	return errno == EACCES ? -EACCES : errno == ENOENT ? -EIDRM : -errno;
}

/* Map the store of generation gen (the whole file) into v. */
static int map_store(struct ns *ns, struct qview *v, uint64_t gen)
{
	struct stat st;
	void *p;
	int fd, r = open_store(ns, gen, &fd);

	if (r)
		return r;
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	p = st.st_size >= STORE_HDR_SIZE ?
		    mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0) : MAP_FAILED;
	close(fd);
	if (p == MAP_FAILED)
		return -EUCLEAN;
	v->st = p;
	v->size = (size_t)st.st_size;
	r = store_geometry(v, gen);
	if (r) {
		munmap(p, v->size);
		v->st = NULL;
		return r;
	}
	v->gen = gen;
	return 0;
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
	if (v->gen == q->gen && v->st &&
	    store_size(v->chunk, v->st->nchunks) <= v->size)
		return store_geometry(v, q->gen);
	/* Another queue in the slot, or the store grew elsewhere. */
	drop_mapping(v);
	v->gen = 0;
	r = map_store(ns, v, q->gen);
	return r;
}

int qview_grow(struct ns *ns, struct qview *v, size_t size)
{
	int fd, r = open_store(ns, v->gen, &fd);
	void *p;

	if (r)
		return r;
	if (ftruncate(fd, (off_t)size)) {
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
