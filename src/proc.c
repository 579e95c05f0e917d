/* SPDX-License-Identifier: MIT */
/*
 * proc.c - the caller's pid, tid and the time, as the bookkeeping of
 * msqid_ds needs them, without a system call per message: glibc no longer
 * caches getpid(), so we do, and forget it in the child of any fork.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

void (*umq_fault_hook)(int point);

/*
 * What a process knows of itself, on a page the kernel zeroes in the
 * child of any fork (MADV_WIPEONFORK): _Fork(), a raw fork or clone run
 * no atfork handler, and a child that went on with its parent's pid and
 * tid would stamp them on lock words (which its death would then never
 * mark, L3), on lspid and on notifications.  gen tells the threads' tid
 * caches apart from the parent's: a new one each time the page is found
 * empty.  Where the kernel has no MADV_WIPEONFORK, an atfork handler
 * empties the page instead (fork() only).
 */
struct self {
	uint64_t gen;
	pid_t pid;
	uint32_t pidns;
};

static struct self *self, self_fallback;
static uint64_t self_gens;	/* inherited: a child's gen is new */
static pthread_once_t self_once = PTHREAD_ONCE_INIT;
static __thread struct {
	uint64_t gen;
	pid_t tid;
} tc;

static void forget_self(void)
{
	__atomic_store_n(&self->gen, 0, __ATOMIC_RELAXED);
}

static void self_init(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED && !madvise(p, 4096, MADV_WIPEONFORK)) {
		__atomic_store_n(&self, p, __ATOMIC_RELEASE);
		return;
	}
	if (p != MAP_FAILED)
		munmap(p, 4096);
	pthread_atfork(NULL, NULL, forget_self);
	__atomic_store_n(&self, &self_fallback, __ATOMIC_RELEASE);
}

/*
 * The page is read without a lock by every thread, and the threads of a
 * new child may all find it empty at once: each writes the same pid, and
 * the first to publish its gen wins.  The fields are written first and
 * gen last with release order, read with acquire before them (as L6's
 * word), so no thread sees a gen with the pid still 0; self itself is
 * published the same way past the pthread_once.
 */
static struct self *self_get(void)
{
	struct self *s = __atomic_load_n(&self, __ATOMIC_ACQUIRE);

	if (unlikely(!s)) {
		pthread_once(&self_once, self_init);
		s = __atomic_load_n(&self, __ATOMIC_ACQUIRE);
	}
	if (unlikely(!__atomic_load_n(&s->gen, __ATOMIC_ACQUIRE))) {
		uint64_t none = 0;
		uint64_t gen = __atomic_add_fetch(&self_gens, 1,
						  __ATOMIC_RELAXED);

		__atomic_store_n(&s->pid, getpid(), __ATOMIC_RELAXED);
		__atomic_store_n(&s->pidns, 0, __ATOMIC_RELAXED);
		__atomic_compare_exchange_n(&s->gen, &none, gen, false,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	}
	return s;
}

pid_t proc_pid(void)
{
	return __atomic_load_n(&self_get()->pid, __ATOMIC_RELAXED);
}

/* This process's generation: another in each child of a fork. */
uint32_t proc_gen(void)
{
	return (uint32_t)__atomic_load_n(&self_get()->gen, __ATOMIC_RELAXED);
}

pid_t proc_tid(void)
{
	uint64_t gen = __atomic_load_n(&self_get()->gen, __ATOMIC_RELAXED);

	if (unlikely(tc.gen != gen)) {
		tc.tid = (pid_t)syscall(SYS_gettid);
		tc.gen = gen;
	}
	return tc.tid;
}

/*
 * How long a caller that would block spins first, watching the queue,
 * before it sleeps: about the cost of a sleep and a wake-up, which a
 * streaming peer on another CPU usually beats.  $UMQ_SPIN_US sets it
 * (0: never spin); a single CPU never spins.
 */
static long spin_ns = -1;

long proc_spin_ns(void)
{
	long ns = __atomic_load_n(&spin_ns, __ATOMIC_RELAXED);

	/* Threads that find it unset each store the same answer. */
	if (unlikely(ns < 0)) {
		const char *e = getenv("UMQ_SPIN_US");
		long us = e && *e ? strtol(e, NULL, 10) : 20;
		if (us < 0 || sysconf(_SC_NPROCESSORS_ONLN) < 2)
			us = 0;
		ns = us * 1000;
		__atomic_store_n(&spin_ns, ns, __ATOMIC_RELAXED);
	}
	return ns;
}

int64_t proc_mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Spin while *w & mask == old, until the time end (CLOCK_MONOTONIC ns). */
void proc_spin(const uint32_t *w, uint32_t mask, uint32_t old, int64_t end)
{
	for (;;) {
		for (int i = 0; i < 64; i++) {
			if ((__atomic_load_n(w, __ATOMIC_RELAXED) & mask) != old)
				return;
			cpu_relax();
		}
		if (proc_mono_ns() >= end)
			return;
	}
}

/* Our pid namespace, as an inode number; 0 if /proc cannot tell. */
uint32_t proc_pidns(void)
{
	struct self *me = self_get();
	struct stat st;

	uint32_t ns = __atomic_load_n(&me->pidns, __ATOMIC_RELAXED);

	/* Threads that find it unknown each store the same answer. */
	if (unlikely(!ns) && !stat("/proc/self/ns/pid", &st)) {
		ns = (uint32_t)st.st_ino;
		__atomic_store_n(&me->pidns, ns, __ATOMIC_RELAXED);
	}
	return ns;
}

/*
 * Before a first sleep, spin outside the queue's lock while its events
 * counter does not change (L10).  A caller that spins has not blocked yet:
 * to the others it is one that arrives a moment later, so no rule sees
 * the difference.  Only the half of the counter that could let it go on
 * is watched (EV_*).  A change that did not let the caller go on (another
 * receiver's message taken, say) sends it back to spinning for the rest
 * of one budget, *end (0 before the first spin).  Returns with the lock
 * held again; true if the caller should retry.
 */
bool proc_spin_first(const uint32_t *events, uint32_t mask,
		     void (*unlock)(void *), void (*lock)(void *), void *q,
		     int64_t *end)
{
	uint32_t ev = __atomic_load_n(events, __ATOMIC_RELAXED) & mask;
	long budget = proc_spin_ns();
	int64_t now;

	if (!budget)
		return false;
	now = proc_mono_ns();
	if (!*end)
		*end = now + budget;
	else if (now >= *end)
		return false;
	unlock(q);
	proc_spin(events, mask, ev, *end);
	lock(q);
	return true;
}

/*
 * The kernel's ktime_get_real_seconds() reads the seconds of the last
 * timekeeping tick, as CLOCK_REALTIME_COARSE and time() do: the precise
 * clock can be a second ahead of both right at a second's boundary.
 */
int64_t proc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return ts.tv_sec;
}
