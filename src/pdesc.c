/* SPDX-License-Identifier: MIT */
/*
 * pdesc.c - what this process knows of POSIX queues: one mapping per
 * queue (struct pview), and per descriptor number which queue it is and
 * its access mode, so that a send or receive makes no system call to find
 * out.  A descriptor it has not seen - a dup, or one inherited through
 * exec - is recognized on first use by the path of its FIFO.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static pthread_mutex_t pmu = PTHREAD_MUTEX_INITIALIZER;
/* By generation (random, so its low bits spread them): O(1) however many
 * queues the process has opened.  Under pmu. */
#define PV_HASH 4096
static struct pview *views[PV_HASH];

#define DPAGE 1024
static struct pdesc *dpages[1024];	/* fds up to 1M; pages never freed */

/* posix/<gen>, its FIFO posix/<gen>.p or its notification lock file
 * posix/<gen>.n, in the namespace. */
void pq_path(char *buf, size_t n, uint64_t gen, enum pq_file f)
{
	static const char *const sfx[] = { "", ".p", ".n" };

	snprintf(buf, n, "posix/%016llx%s", (unsigned long long)gen, sfx[f]);
}

/* ---- process-local views of queues ------------------------------------ */

/*
 * Views are kept for the life of the process, even at no descriptor: a
 * thread may still be inside a call on a queue another thread closes
 * (its sleep reads the queue's lock), and nothing cheaper than keeping
 * the mapping tells when it has left.  A queue opened again finds it.
 */
static void pview_put(struct pview *pv)
{
	unsigned n = __atomic_load_n(&pv->refs, __ATOMIC_RELAXED);

	while (n && !__atomic_compare_exchange_n(&pv->refs, &n, n - 1, false,
						 __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED))
		;
}

/* Open the data file of queue gen: the descriptor, or -errno. */
static int open_data(struct ns *ns, uint64_t gen)
{
	char path[64];
	int fd;

	pq_path(path, sizeof(path), gen, PQ_DATA);
	fd = fd_open(ns->dirfd, path, O_RDWR | O_NONBLOCK | O_CLOEXEC, 0);
	if (fd >= 0)
		return fd;
	return errno == EMFILE || errno == ENFILE || errno == EACCES ?
	       -errno : errno == ENOMEM ? -ENOMEM : -ENOENT;
}

/*
 * The view of queue gen from its whole file mapped at base (size bytes),
 * if the block checks out; under pmu.  The mapping is the view's, or
 * gone.
 */
static int pview_new(struct ns *ns, uint64_t gen, void *base, size_t size,
		     struct pview **out)
{
	struct pview *pv = calloc(1, sizeof(*pv));
	struct pqctl *c = base;
	int r = 0;

	/* Watched before it is read: the file may have shrunk since its
	 * size was taken (map.c). */
	if (!pv || map_watch(c, PQ_STORE_OFF)) {
		munmap(base, size);
		free(pv);
		return -ENOMEM;
	}
	if (c->magic != PQ_MAGIC || c->gen != gen ||
	    c->hdr_size != sizeof(struct pqctl))
		r = -EUCLEAN;
	else if (c->version != UMQ_LAYOUT_VERSION)
		r = -EPROTO;
	/* Fixed at creation: read once, within what any creator may ask
	 * (posix.c's check_attr), so that garbage written later is not
	 * believed. */
	else if (c->maxmsg < 1 || c->maxmsg > PQ_HARD_MSGMAX ||
		 c->msgsize < 1 || c->msgsize > PQ_HARD_MSGSIZEMAX)
		r = -EUCLEAN;
	if (!r) {
		pv->ns = ns;
		pv->gen = gen;
		pv->ctl = c;
		pv->maxmsg = c->maxmsg;
		pv->msgsize = c->msgsize;
		wpool_at(&pv->wp, (char *)c + PQ_WPOOL_OFF);
		pq_path(pv->v.path, sizeof(pv->v.path), gen, PQ_DATA);
		r = qview_adopt(&pv->v, (char *)base + PQ_STORE_OFF,
				size - PQ_STORE_OFF, PQ_STORE_OFF, gen);
		lane_posix(&pv->lq, pv);
	}
	if (r) {
		map_forget(c, PQ_STORE_OFF);
		munmap(base, size);
		free(pv);
		return r;
	}
	pv->refs = 1;
	pv->next = views[gen % PV_HASH];
	views[gen % PV_HASH] = pv;
	*out = pv;
	return 0;
}

static struct pview *pview_find(struct ns *ns, uint64_t gen)
{
	for (struct pview *pv = views[gen % PV_HASH]; pv; pv = pv->next)
		if (pv->gen == gen && pv->ns == ns)
			return pv;
	return NULL;
}

/* Across fork (atfork.c). */
void pdesc_fork_lock(bool take)
{
	if (take)
		pthread_mutex_lock(&pmu);
	else
		pthread_mutex_unlock(&pmu);
}

/*
 * Map queue gen once per process, from its data file open as fd, or
 * opened here (fd -1) if it is not mapped yet: so that a queue this
 * process knows costs no descriptor.
 */
int pview_get(struct ns *ns, uint64_t gen, int fd, struct pview **out)
{
	struct pview *pv;
	size_t size = 0;
	void *base;
	int r = 0, own = -1;

	pthread_mutex_lock(&pmu);
	pv = pview_find(ns, gen);
	if (pv) {
		__atomic_add_fetch(&pv->refs, 1, __ATOMIC_RELAXED);
		goto out;
	}
	if (fd < 0) {
		fd = own = open_data(ns, gen);
		if (fd < 0) {
			r = fd;
			goto out;
		}
	}
	base = map_queue_file(fd, PQ_STORE_OFF + STORE_HDR_SIZE, &size);
	r = base ? pview_new(ns, gen, base, size, &pv) : (int)(ssize_t)size;
out:
	pthread_mutex_unlock(&pmu);
	if (own >= 0)
		close(own);
	*out = r ? NULL : pv;
	return r;
}

/* The view of a queue this process has just made, mapped whole at base
 * (size bytes): the mapping becomes the view's, or goes. */
int pview_made(struct ns *ns, uint64_t gen, void *base, size_t size,
	       struct pview **out)
{
	struct pview *pv;
	int r;

	pthread_mutex_lock(&pmu);
	pv = pview_find(ns, gen);	/* opened by name meanwhile */
	if (pv) {
		__atomic_add_fetch(&pv->refs, 1, __ATOMIC_RELAXED);
		munmap(base, size);
		r = 0;
	} else {
		r = pview_new(ns, gen, base, size, &pv);
	}
	pthread_mutex_unlock(&pmu);
	*out = r ? NULL : pv;
	return r;
}

/* A count only (views are kept, above), so without pmu: a signal
 * handler's close may interrupt a holder of pmu in its own thread. */
void pview_ref(struct pview *pv)
{
	__atomic_add_fetch(&pv->refs, 1, __ATOMIC_RELAXED);
}

void pview_unref(struct pview *pv)
{
	pview_put(pv);
}

struct pdesc *dslot(int fd, bool make)
{
	struct pdesc *page;

	if (fd < 0 || fd >= DPAGE * 1024)
		return NULL;
	page = __atomic_load_n(&dpages[fd / DPAGE], __ATOMIC_ACQUIRE);
	if (!page && make) {
		struct pdesc *np = calloc(DPAGE, sizeof(*np)), *exp = NULL;
		if (!np)
			return NULL;
		if (!__atomic_compare_exchange_n(&dpages[fd / DPAGE], &exp, np,
						 false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE))
			free(np);
		page = __atomic_load_n(&dpages[fd / DPAGE], __ATOMIC_ACQUIRE);
	}
	return page ? &page[fd % DPAGE] : NULL;
}

void desc_set(int fd, struct pview *pv, int acc)
{
	struct pdesc *d = dslot(fd, true);

	if (!d)
		return;
	d->acc = acc;
	d->nb = false;
	d->watched = false;
	__atomic_store_n(&d->pv, pv, __ATOMIC_RELEASE);
}

/*
 * A descriptor this process has not seen: a dup, or one from before an
 * exec, perhaps of another namespace than ours.  Its FIFO's path names
 * both the namespace (two levels up) and the queue.  Recognize it, or
 * EBADF: only a read-write description of the FIFO is an mqd_t (an
 * O_PATH one, or one the FIFO was opened as by hand, is not).
 */
static int discover(int fd, struct pdesc **out)
{
	char link[64], path[PATH_MAX], data[64];
	struct pview *pv;
	struct stat st, ls;
	struct ns *ns;
	uint64_t gen;
	ssize_t n;
	int r, fl;

	if (fstat(fd, &st) || !S_ISFIFO(st.st_mode))
		return -EBADF;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_PATH) || (fl & O_ACCMODE) != O_RDWR)
		return -EBADF;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 26)
		return -EBADF;
	path[n] = 0;
	char *base = path + n - 25;	/* "/posix/" + 16 hex + ".p" */
	if (strncmp(base, "/posix/", 7) || strcmp(base + 23, ".p"))
		return -EBADF;
	gen = strtoull(base + 7, NULL, 16);
	*base = 0;
	r = ns_find(path, &ns);
	if (r)	/* out of descriptors: the kernel would not fail so */
		return r == -EMFILE || r == -ENFILE || r == -ENOMEM ?
		       -ENOMEM : -EBADF;
	pq_path(data, sizeof(data), gen, PQ_FIFO);
	/* The same FIFO, not one that took its name since. */
	if (fstatat(ns->dirfd, data, &ls, 0) || ls.st_ino != st.st_ino ||
	    ls.st_dev != st.st_dev)
		return -EBADF;
	r = pview_get(ns, gen, -1, &pv);
	if (r == -EACCES) {
		/* Passed by someone who could open the queue: the agent,
		 * if one serves the namespace, opens it for the holder of
		 * its FIFO, as the kernel's descriptor is the open queue. */
		int dfd = agent_open_posix(ns, gen, fd);

		if (dfd >= 0) {
			r = pview_get(ns, gen, dfd, &pv);
			close(dfd);
		} else if (dfd == -EMFILE || dfd == -ENFILE) {
			r = dfd;	/* ENOMEM, below */
		}
	}
	if (r)
		return r == -EMFILE || r == -ENFILE || r == -ENOMEM ?
		       -ENOMEM : -EBADF;
	desc_set(fd, pv, mqd_acc(fl));
	*out = dslot(fd, false);
	return *out ? 0 : -EBADF;
}

int pdesc_get(int fd, struct pdesc **out)
{
	struct pdesc *d = dslot(fd, false);

	if (likely(d && __atomic_load_n(&d->pv, __ATOMIC_ACQUIRE))) {
		*out = d;
		return 0;
	}
	return discover(fd, out);
}

/* ---- descriptors that change hands behind the library ------------------ */

/*
 * The preload's close, dup2 and close_range (preload/fd.c) tell the table
 * when a number stops or starts naming a queue, so that no stale record
 * outlives its descriptor.
 */

/* Forget fd: the view its record held (the caller releases it), or NULL. */
struct pview *pdesc_take(int fd)
{
	struct pdesc *d = dslot(fd, false);

	return d ? __atomic_exchange_n(&d->pv, NULL, __ATOMIC_ACQ_REL) : NULL;
}

/* newfd is now a duplicate of oldfd: the same queue and access. */
void pdesc_dup(int oldfd, int newfd)
{
	struct pdesc *d = dslot(oldfd, false);
	struct pview *pv = d ? __atomic_load_n(&d->pv, __ATOMIC_ACQUIRE) : NULL;

	if (!pv || !dslot(newfd, true))
		return;		/* unknown: recognized on first use */
	pview_ref(pv);
	desc_set(newfd, pv, d->acc);
	dslot(newfd, false)->watched = d->watched;	/* one description */
}

/* The first descriptor >= fd with a record, or -1. */
int pdesc_next(int fd)
{
	for (fd = fd < 0 ? 0 : fd; fd < DPAGE * 1024; fd++) {
		struct pdesc *page = __atomic_load_n(&dpages[fd / DPAGE],
						     __ATOMIC_ACQUIRE);
		if (!page) {
			fd |= DPAGE - 1;
			continue;
		}
		if (__atomic_load_n(&page[fd % DPAGE].pv, __ATOMIC_ACQUIRE))
			return fd;
	}
	return -1;
}
