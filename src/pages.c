/* SPDX-License-Identifier: MIT */
/*
 * pages.c - pages of a queue's files asked for before they are touched.
 *
 * A queue's files are sparse: tmpfs gives a page at its first touch,
 * read or write.  On a full filesystem it cannot, the touch is SIGBUS,
 * and map.c's mend puts a private page there, which this process alone
 * then sees: a message stored there was lost to every other process, a
 * waiter record there never woken.  So before the library first touches
 * a page that may be a hole (a chunk of the store, an index page, the
 * lane's ring, a waiter record), it asks the filesystem for it
 * (MADV_POPULATE_WRITE), and the operation fails with ENOMEM, the
 * kernel's answer when it cannot allocate, if the page cannot be given.
 * A page once given stays for the file's life, but for the pages a
 * store's growth gives back (store.c forgets them), so each process
 * remembers the pages it has asked for, one bit each: a system call per
 * page per process, never on a path that has run before.
 *
 * The bits are set with atomic ORs: the lane's two sides and the lock-
 * free claim of waiter records share them.  A bit read as 0 that another
 * thread just set costs a system call, no more.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static unsigned pgshift;		/* log2 of the page size, 0: not known */
static int unsupported;		/* a kernel before 5.14 (or a filter):
				 * pages touched as before */

static unsigned page_shift(void)
{
	unsigned sh = __atomic_load_n(&pgshift, __ATOMIC_RELAXED);

	if (!sh) {
		sh = (unsigned)__builtin_ctzl((unsigned long)sysconf(
							_SC_PAGESIZE));
		__atomic_store_n(&pgshift, sh, __ATOMIC_RELAXED);
	}
	return sh;
}

void pages_init(struct pages *pg, size_t len)
{
	unsigned sh = page_shift();

	pg->bits = NULL;
	pg->shift = sh;
	/* A range need not start on a page (a store at M_STORE_OFF, a ring
	 * at PQ_LANE_OFF, with pages larger than 4 KiB): counted from the
	 * page it starts in, it may reach one page more. */
	pg->npages = len ? ((len + ((size_t)1 << sh) - 1) >> sh) + 1 : 0;
	pg->len = len;
	pg->few[0] = pg->few[1] = 0;
}

void pages_fini(struct pages *pg)
{
	free(pg->bits);
	pages_init(pg, 0);
}

void pages_forget(struct pages *pg)
{
	free(pg->bits);
	pg->bits = NULL;
	pg->few[0] = pg->few[1] = 0;
}

/* The words of the bits: few[] for a small range, else made at first
 * use; NULL if no memory (then nothing is remembered). */
static uint64_t *words(struct pages *pg, bool make)
{
	uint64_t *w = __atomic_load_n(&pg->bits, __ATOMIC_ACQUIRE), *none;

	if (w || pg->npages <= 64 * 2)
		return w ? w : pg->few;
	if (!make)
		return NULL;
	w = calloc((pg->npages + 63) / 64, sizeof(*w));
	if (!w)
		return NULL;
	none = NULL;
	if (!__atomic_compare_exchange_n(&pg->bits, &none, w, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		free(w);
		w = none;
	}
	return w;
}

static bool known(const uint64_t *w, size_t i)
{
	return w && (__atomic_load_n(&w[i / 64], __ATOMIC_RELAXED) >>
		     (i % 64)) & 1;
}

/* Is MADV_POPULATE_WRITE known here?  A page of our own stack, always
 * writable, tells an old kernel (EINVAL) from a range we may not write. */
static bool supported(void)
{
	size_t ps = (size_t)1 << page_shift();
	char probe;

	return !madvise((void *)((uintptr_t)&probe & ~(ps - 1)), ps,
			MADV_POPULATE_WRITE) || errno != EINVAL;
}

/* 0: the pages are there, or cannot be asked for (an old kernel, a
 * seccomp filter, a range not writable: the touch goes on as before);
 * -ENOMEM: the filesystem cannot give them (EFAULT: the touch would be
 * SIGBUS) or there is no memory. */
static int populate(char *p, size_t len)
{
	int e = errno, r = 0;

	while (madvise(p, len, MADV_POPULATE_WRITE)) {
		if (errno == EINTR)
			continue;
		if (errno == EFAULT || errno == ENOMEM)
			r = -ENOMEM;
		else if (errno != EINVAL || !supported())
			__atomic_store_n(&unsupported, 1, __ATOMIC_RELAXED);
		break;
	}
	errno = e;
	return r;
}

/* The pages not known among first..last, asked for in runs. */
static int ask(struct pages *pg, char *base, size_t first, size_t last)
{
	uint64_t *w = words(pg, true);

	for (size_t i = first; i <= last; i++) {
		if (known(w, i))
			continue;
		size_t j = i + 1;
		while (j <= last && !known(w, j))
			j++;
		/* Where madvise cannot ask, the pages count as known: the
		 * touch goes on as before, and the inline test stays fast. */
		int r = __atomic_load_n(&unsupported, __ATOMIC_RELAXED) ? 0 :
			populate(base + (i << pg->shift), (j - i) << pg->shift);
		if (r)
			return r;
		for (; w && i < j; i++)
			__atomic_fetch_or(&w[i / 64], 1ull << (i % 64),
					  __ATOMIC_RELAXED);
		i = j - 1;
	}
	return 0;
}

int pages_ask(struct pages *pg, void *base, size_t off, size_t len)
{
	/* Pages are counted from the one base is in: madvise() takes a
	 * page's address, and base need not be one. */
	size_t skew = (uintptr_t)base & (((size_t)1 << pg->shift) - 1);
	size_t first, last;

	base = (char *)base - skew;
	off += skew;
	first = off >> pg->shift;
	if (!len || !pg->npages)
		return 0;
	last = (off + len - 1) >> pg->shift;
	if (last > (skew + pg->len - 1) >> pg->shift)	/* beyond the range */
		last = (skew + pg->len - 1) >> pg->shift;
	if (first > last)
		return 0;
	return ask(pg, base, first, last);
}
