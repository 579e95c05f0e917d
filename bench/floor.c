/* SPDX-License-Identifier: MIT */
/*
 * floor.c - what this machine allows at best, measured by the same roles
 * and processes as the queues: a single-producer single-consumer ring in
 * shared memory whose sides spin (the ring floor), the same ring whose
 * waiting side sleeps in FUTEX_WAIT at once and is woken by FUTEX_WAKE
 * (the futex hand-off floor), a memcpy, a system call.
 */
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "bench.h"

/*
 * head counts messages put, tail messages taken, each on its own line;
 * a side that waits on the other's counter sets the waiters word first
 * (futex mode).  Counters are 32 bits: they are the futex words.
 */
struct ring {
	_Alignas(64) atomic_uint head;
	atomic_uint head_waiters;
	_Alignas(64) atomic_uint tail;
	atomic_uint tail_waiters;
	_Alignas(64) unsigned int depth, sleep;
	size_t slot, size;
	_Alignas(64) char slots[];
};

static void cpu_relax(void)
{
	__builtin_ia32_pause();
}

/* Wait for *w to differ from old: spin (yielding now and then, for a
 * loaded machine), or sleep on it at once. */
static void wait_change(const struct ring *r, atomic_uint *w,
			atomic_uint *waiters, unsigned int old)
{
	unsigned int spins = 0;

	if (r->sleep) {
		while (atomic_load(w) == old) {
			atomic_store(waiters, 1);
			if (atomic_load(w) != old)
				break;
			syscall(SYS_futex, w, FUTEX_WAIT, old, NULL, NULL, 0);
		}
		return;
	}
	while (atomic_load_explicit(w, memory_order_acquire) == old)
		if (++spins % 4096)
			cpu_relax();
		else
			sched_yield();
}

static void publish(atomic_uint *w, atomic_uint *waiters)
{
	atomic_fetch_add(w, 1);
	if (atomic_load(waiters) && atomic_exchange(waiters, 0))
		syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static int ring_send(const struct job *j, struct qmsg *m, int k)
{
	struct ring *r = j->bq[k == M_PONG];
	unsigned int h = atomic_load_explicit(&r->head, memory_order_relaxed);
	unsigned int t;

	if (k == M_END || k == M_QUIT)
		m->mtext[0] = STOP;
	while (h - (t = atomic_load_explicit(&r->tail,
					     memory_order_acquire)) >= r->depth)
		wait_change(r, &r->tail, &r->tail_waiters, t);
	memcpy(r->slots + (size_t)(h % r->depth) * r->slot, m->mtext, r->size);
	publish(&r->head, &r->head_waiters);
	return 0;
}

static ssize_t ring_recv(const struct job *j, struct qmsg *m, int k)
{
	struct ring *r = j->bq[k == M_PONG];
	unsigned int t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	while (atomic_load_explicit(&r->head, memory_order_acquire) == t)
		wait_change(r, &r->head, &r->head_waiters, t);
	memcpy(m->mtext, r->slots + (size_t)(t % r->depth) * r->slot, r->size);
	publish(&r->tail, &r->tail_waiters);
	return (ssize_t)r->size;
}

static int ring_ends(const struct qmsg *m, int k)
{
	return m->mtext[0] == STOP;
}

static const struct api ring_api = {
	"ring put", "ring take", ring_send, ring_recv, ring_ends,
};

/* Shared, made before the fork: the children inherit it. */
static int ring_new(struct job *j, int k, char *why, size_t len)
{
	size_t slot = (j->size + 63) & ~(size_t)63;
	size_t bytes = sizeof(struct ring) + slot * j->depth;
	struct ring *r;

	r = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		return -1;
	}
	r->depth = j->depth;
	r->slot = slot;
	r->size = j->size;
	r->sleep = j->be == &be_futex;
	j->bq[k] = r;
	return 0;
}

static void ring_del(struct job *j, int k)
{
	struct ring *r = j->bq[k];

	munmap(r, sizeof(struct ring) + r->slot * r->depth);
	j->bq[k] = NULL;
}

struct backend be_ring = {
	.name = "ring", .api = &ring_api, .qnew = ring_new, .qdel = ring_del,
};
struct backend be_futex = {
	.name = "futex", .api = &ring_api, .qnew = ring_new, .qdel = ring_del,
};

/* ns per copy of size bytes between two buffers in cache: the median of
 * blocks. */
double floor_memcpy_ns(size_t size)
{
	static char a[8192], b[8192];
	double v[MAX_RUNS * 4];
	int i, k, n = runs * 4;

	for (k = 0; k < n; k++) {
		double t0 = now();

		for (i = 0; i < 10000; i++) {
			memcpy(i & 1 ? a : b, i & 1 ? b : a, size);
			__asm__ volatile("" ::: "memory");
		}
		v[k] = (now() - t0) / 10000 * 1e9;
	}
	return spread_of(v, n).med;
}

double floor_syscall_ns(void)
{
	double v[MAX_RUNS * 4];
	int i, k, n = runs * 4;

	for (k = 0; k < n; k++) {
		double t0 = now();

		for (i = 0; i < 10000; i++)
			syscall(SYS_getppid);
		v[k] = (now() - t0) / 10000 * 1e9;
	}
	return spread_of(v, n).med;
}
