/* SPDX-License-Identifier: MIT */
/*
 * map.c - mappings of files that other processes may shrink.
 *
 * A queue's files are writable by every user of the queue, and tmpfs has
 * no seals for named files: any of them may ftruncate() one, and every
 * other process then takes SIGBUS at its next access past the new end.
 * Shared memory is untrusted input anyway (DESIGN §6), so a page that is
 * gone may as well read as zeros: the library's checks then see garbage
 * and answer EUCLEAN or repair, as for any other damage.  So the ranges
 * the library maps are watched, and a SIGBUS in one of them puts a
 * private zero page in place of the missing one and returns (fault.c's
 * handler asks map_mend()); a SIGBUS anywhere else is not ours.
 *
 * The watch list is read by the signal handler: slots claimed and
 * cleared with atomic stores, in tables that are never freed, no lock.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* A table of spans by start address, open addressing: O(1) to add and
 * drop however many queues the process maps.  Start 0: never used; 1:
 * dropped (reusable).  Tables are 1 MiB of address space, touched as
 * used; another is chained when a probe window is full. */
#define SLOTS	65536u
#define PROBES	64u
#define GONE	((uintptr_t)1)

struct block {
	struct block *next;
	uintptr_t start[SLOTS];
	size_t len[SLOTS];
};

static uint32_t slot_of(uintptr_t p)
{
	return (uint32_t)(((uint64_t)(p >> 12) * 0x9E3779B97F4A7C15ull) >>
			  48) & (SLOTS - 1);
}

static struct block *blocks;
static size_t page;
static unsigned long replaced;		/* pages read as zeros since */

/* mmap without the interposers a sanitizer may put on mmap(): this runs
 * in a signal handler. */
static void *raw_mmap(void *p, size_t len, int prot, int flags)
{
	return (void *)syscall(SYS_mmap, p, len, prot, flags, -1, 0L);
}

/* In the handler only (rare): every slot. */
static bool watched(uintptr_t a)
{
	for (struct block *b = __atomic_load_n(&blocks, __ATOMIC_ACQUIRE); b;
	     b = b->next)
		for (uint32_t i = 0; i < SLOTS; i++) {
			uintptr_t s = __atomic_load_n(&b->start[i],
						      __ATOMIC_ACQUIRE);
			if (s > GONE && a >= s && a - s < __atomic_load_n(
					&b->len[i], __ATOMIC_ACQUIRE))
				return true;
		}
	return false;
}

/* In fault.c's SIGBUS handler: a page of a watched range that is gone
 * is replaced by a private zero page (true), or the fault is not ours. */
bool map_mend(const siginfo_t *si)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	size_t pg = __atomic_load_n(&page, __ATOMIC_RELAXED);

	if (si->si_code != BUS_ADRERR || !pg || !watched(a))
		return false;
	void *p = (void *)(a & ~(uintptr_t)(pg - 1));
	if (raw_mmap(p, pg, PROT_READ | PROT_WRITE,
		     MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS) != p)
		return false;
	__atomic_add_fetch(&replaced, 1, __ATOMIC_RELAXED);
	return true;
}

/* Watch [p, p + len): 0, or -ENOMEM. */
int map_watch(void *p, size_t len)
{
	uint32_t h = slot_of((uintptr_t)p);

	if (!__atomic_load_n(&page, __ATOMIC_RELAXED))
		__atomic_store_n(&page, (size_t)sysconf(_SC_PAGESIZE),
				 __ATOMIC_RELAXED);
	for (;;) {
		struct block *b = __atomic_load_n(&blocks, __ATOMIC_ACQUIRE);
		for (; b; b = b->next)
			for (uint32_t k = 0; k < PROBES; k++) {
				uint32_t i = (h + k) & (SLOTS - 1);
				uintptr_t s = __atomic_load_n(&b->start[i],
							      __ATOMIC_RELAXED);
				if (s > GONE ||
				    !__atomic_compare_exchange_n(
					    &b->start[i], &s, (uintptr_t)p,
					    false, __ATOMIC_ACQ_REL,
					    __ATOMIC_RELAXED))
					continue;
				__atomic_store_n(&b->len[i], len,
						 __ATOMIC_RELEASE);
				return 0;
			}
		struct block *nb = raw_mmap(NULL, sizeof(*nb),
					    PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS);
		if (nb == MAP_FAILED)
			return -ENOMEM;
		nb->next = __atomic_load_n(&blocks, __ATOMIC_ACQUIRE);
		if (!__atomic_compare_exchange_n(&blocks, &nb->next, nb, false,
						 __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE))
			munmap(nb, sizeof(*nb));
	}
}

/* Stop watching [p, p + len), as map_watch() was given it. */
void map_forget(void *p, size_t len)
{
	uint32_t h = slot_of((uintptr_t)p);

	for (struct block *b = __atomic_load_n(&blocks, __ATOMIC_ACQUIRE); b;
	     b = b->next)
		for (uint32_t k = 0; k < PROBES; k++) {
			uint32_t i = (h + k) & (SLOTS - 1);
			uintptr_t s = __atomic_load_n(&b->start[i],
						      __ATOMIC_ACQUIRE);
			if (!s)
				break;		/* never used: not further */
			if (s == (uintptr_t)p && b->len[i] == len) {
				__atomic_store_n(&b->len[i], 0,
						 __ATOMIC_RELEASE);
				__atomic_store_n(&b->start[i], GONE,
						 __ATOMIC_RELEASE);
				return;
			}
		}
}

/* mmap(MAP_SHARED) of a queue's file, watched: the mapping or
 * MAP_FAILED. */
void *map_shared(size_t len, int prot, int fd, off_t off)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, off);

	if (p != MAP_FAILED && map_watch(p, len)) {
		munmap(p, len);
		return MAP_FAILED;
	}
	return p;
}

void map_unmap(void *p, size_t len)
{
	map_forget(p, len);
	munmap(p, len);
}

/* mremap(MREMAP_MAYMOVE) of a watched range.  (Only its user touches
 * it meanwhile: a store is remapped under its queue lock, L4.)  If the
 * new range cannot be watched, it is still returned: unwatched. */
void *map_remap(void *p, size_t len, size_t nlen)
{
	void *np = mremap(p, len, nlen, MREMAP_MAYMOVE);

	if (np != MAP_FAILED) {
		map_forget(p, len);
		map_watch(np, nlen);
	}
	return np;
}

/* Pages of queue files that had gone and read as zeros, so far. */
unsigned long map_replaced(void)
{
	return __atomic_load_n(&replaced, __ATOMIC_RELAXED);
}
