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
 * private zero page in place of the missing one and returns; a SIGBUS
 * anywhere else goes to the handler the program had, or kills as it
 * would have.
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
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct sigaction before;		/* the program's handler */
static size_t page;
static unsigned long replaced;		/* pages read as zeros since */
static bool spent;			/* its SA_RESETHAND handler ran */

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

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	/* A fault comes again when we return; a signal sent by kill() or
	 * an asynchronous memory error does not. */
	bool fault = si->si_code > 0 && si->si_code < BUS_MCEERR_AO;
	void (*h)(int) = before.sa_handler;

	if (si->si_code == BUS_ADRERR && watched(a)) {
		void *pg = (void *)(a & ~(uintptr_t)(page - 1));
		if (raw_mmap(pg, page, PROT_READ | PROT_WRITE,
			     MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS) == pg) {
			__atomic_add_fetch(&replaced, 1, __ATOMIC_RELAXED);
			return;
		}
	}
	/* Not ours: as if we were not there.  A one-shot handler of the
	 * program's is the default once it ran, as the kernel would have
	 * made it. */
	if ((before.sa_flags & SA_RESETHAND) &&
	    __atomic_exchange_n(&spent, true, __ATOMIC_RELAXED))
		h = SIG_DFL;
	if (h != SIG_DFL && h != SIG_IGN) {
		if (before.sa_flags & SA_SIGINFO)
			before.sa_sigaction(sig, si, ctx);
		else
			h(sig);
	} else if (h == SIG_DFL || fault) {
		/* The default action kills: a fault does so when it comes
		 * again (an ignored one too, as the kernel forces it); a
		 * sent signal, raised again, once we return (it is blocked
		 * until then). */
		signal(SIGBUS, SIG_DFL);
		if (!fault)
			raise(SIGBUS);
	}
	/* else ignored, as it was, and the handler stays ours */
}

static void install(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO | SA_ONSTACK |
					    SA_RESTART };

	page = (size_t)sysconf(_SC_PAGESIZE);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &before);
}

/* Watch [p, p + len): 0, or -ENOMEM. */
int map_watch(void *p, size_t len)
{
	uint32_t h = slot_of((uintptr_t)p);

	pthread_once(&once, install);
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
