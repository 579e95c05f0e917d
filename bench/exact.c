/* SPDX-License-Identifier: MIT */
/*
 * exact.c - a floor for issue 9's goals 1 and 2: the least a System V
 * queue must do per message with no lock at all (DESIGN §11).  Not a
 * queue umq has: a prototype, measured by the same roles and processes.
 *
 * What it keeps of the kernel's rules, and what each costs in lines that
 * cross between the CPUs:
 * - exact accounting: a send fits only if msg_cbytes + size and
 *   msg_qnum + 1 stay within msg_qbytes.  Senders count what they put in
 *   (messages and bytes, one 64-bit word, compare-and-swap), receivers
 *   what they took out, each side in a line of its own that the other
 *   only reads, as the SPSC ring's indices: msg_qnum and msg_cbytes are
 *   the differences, exact for the senders' check, since the receivers'
 *   count only grows;
 * - any number of senders and receivers: a slot is claimed by a
 *   compare-and-swap of its header from "free at lap n" to the claimer's
 *   thread id, the form the kernel's robust-futex list marks "owner died"
 *   when the claimer dies (a thread-local pointer stands for that list's
 *   pending entry); the tail and head indices are moved by
 *   compare-and-swap;
 * - msg_lspid, msg_stime, msg_lrpid, msg_rtime, written when they change.
 * It leaves out what a real queue adds on top: typed receives, blocking
 * with futexes, waiters, hand-offs to a blocked receiver, the repair.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "bench.h"

#define S_PUB	0x80000000u	/* published: no thread id bits */

struct xslot {
	_Atomic uint64_t hdr;	/* lap << 32 | 0, claimer's tid, or S_PUB */
	uint32_t size;
	uint32_t pad;
	char text[];
};

struct xq {
	/* senders' line: messages << 32 | bytes put in, the tail */
	_Alignas(64) _Atomic uint64_t in;
	_Atomic uint32_t tail;
	int32_t lspid;
	int64_t stime;
	/* receivers' line: taken out, the head */
	_Alignas(64) _Atomic uint64_t out;
	_Atomic uint32_t head;
	int32_t lrpid;
	int64_t rtime;
	_Alignas(64) _Atomic uint32_t slock;	/* two-lock: senders' lock */
	_Alignas(64) _Atomic uint32_t rlock;	/* receivers' lock */
	_Alignas(64) uint32_t depth, qbytes;
	size_t slot, bytes;
	_Alignas(64) char slots[];
};

static __thread _Atomic uint64_t *pending;	/* the robust list's entry */
static __thread uint32_t my_tid;
static int32_t my_pid;		/* the processes never fork */

static void cpu_relax(void)
{
	__builtin_ia32_pause();
}

static struct xslot *slot_at(struct xq *q, uint32_t i)
{
	return (struct xslot *)(q->slots + (size_t)(i % q->depth) * q->slot);
}

static int64_t coarse_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return ts.tv_sec;
}

/* A waiting side's turn: spin, yielding now and then (a loaded machine). */
static void backoff(uint32_t *spins)
{
	if (++*spins % 4096)
		cpu_relax();
	else
		sched_yield();
}

static void who_am_i(void)
{
	if (!my_tid) {
		my_tid = (uint32_t)syscall(SYS_gettid);
		my_pid = getpid();
	}
}

/* msg_lspid and msg_stime, or msg_lrpid and msg_rtime: written when
 * they change, as umq does (L12). */
static void stamp(int32_t *pid, int64_t *time)
{
	int64_t now = coarse_now();

	if (*pid != my_pid)
		*pid = my_pid;
	if (*time != now)
		*time = now;
}

static int x_send(const struct job *j, struct qmsg *m, int k)
{
	struct xq *q = j->bq[0];
	uint32_t size = (uint32_t)j->size, t, spins = 0;
	uint64_t a = atomic_load_explicit(&q->in, memory_order_relaxed), o;
	struct xslot *s;

	who_am_i();
	if (k == M_END || k == M_QUIT)
		m->mtext[0] = STOP;
	/* Room, exactly as the kernel counts it, charged in the same step. */
	for (;;) {
		uint32_t qn, cb;

		o = atomic_load_explicit(&q->out, memory_order_acquire);
		qn = (uint32_t)(a >> 32) - (uint32_t)(o >> 32);
		cb = (uint32_t)a - (uint32_t)o;
		if (cb + size <= q->qbytes && qn + 1 <= q->qbytes &&
		    qn < q->depth) {
			if (atomic_compare_exchange_weak(&q->in, &a,
					a + ((uint64_t)1 << 32) + size))
				break;
			continue;
		}
		backoff(&spins);
		a = atomic_load_explicit(&q->in, memory_order_relaxed);
	}
	/* A slot: claimed in its header, under our thread id. */
	for (;;) {
		uint64_t h;

		t = atomic_load_explicit(&q->tail, memory_order_relaxed);
		s = slot_at(q, t);
		h = atomic_load_explicit(&s->hdr, memory_order_acquire);
		if (h == (uint64_t)t << 32) {
			pending = &s->hdr;
			if (atomic_compare_exchange_strong(&s->hdr, &h,
					(uint64_t)t << 32 | my_tid)) {
				atomic_compare_exchange_strong(&q->tail, &t,
							       t + 1);
				break;
			}
			pending = NULL;
		} else if (h >> 32 == t && (uint32_t)h) {
			/* taken at this lap: help its claimer move on */
			atomic_compare_exchange_strong(&q->tail, &t, t + 1);
		} else {
			cpu_relax();	/* a receiver still frees it */
		}
	}
	memcpy(s->text, m->mtext, size);
	s->size = size;
	atomic_store_explicit(&s->hdr, (uint64_t)t << 32 | S_PUB,
			      memory_order_release);
	pending = NULL;
	stamp(&q->lspid, &q->stime);
	return 0;
}

static ssize_t x_recv(const struct job *j, struct qmsg *m, int k)
{
	struct xq *q = j->bq[0];
	uint32_t h, spins = 0, size;
	struct xslot *s;

	(void)k;
	who_am_i();
	for (;;) {
		h = atomic_load_explicit(&q->head, memory_order_relaxed);
		s = slot_at(q, h);
		if (atomic_load_explicit(&s->hdr, memory_order_acquire) ==
		    ((uint64_t)h << 32 | S_PUB)) {
			if (atomic_compare_exchange_strong(&q->head, &h,
							   h + 1))
				break;
			continue;
		}
		backoff(&spins);
	}
	size = s->size;
	memcpy(m->mtext, s->text, size);
	/* free for the next lap, then the room back */
	atomic_store_explicit(&s->hdr, (uint64_t)(h + q->depth) << 32,
			      memory_order_release);
	atomic_fetch_add(&q->out, ((uint64_t)1 << 32) + size);
	stamp(&q->lrpid, &q->rtime);
	return (ssize_t)size;
}

/*
 * The same queue as a two-lock queue (Michael and Scott, 1996): senders
 * take a lock of their own, receivers another, so that a sender and a
 * receiver never meet on one; a send commits by its store of the count
 * put in, a receive by its store of the count taken out, so that a side
 * that dies holding its lock leaves a state its successor can finish or
 * drop - the form a robust lock per side would give umq's path.
 */
static void side_lock(_Atomic uint32_t *l)
{
	uint32_t free_ = 0;

	while (!atomic_compare_exchange_weak_explicit(l, &free_, my_tid,
			memory_order_acquire, memory_order_relaxed)) {
		free_ = 0;
		cpu_relax();
	}
}

static void side_unlock(_Atomic uint32_t *l)
{
	atomic_store_explicit(l, 0, memory_order_release);
}

static int t_send(const struct job *j, struct qmsg *m, int k)
{
	struct xq *q = j->bq[0];
	uint32_t size = (uint32_t)j->size, spins = 0, qn, cb;
	uint64_t a, o;
	struct xslot *s;

	who_am_i();
	if (k == M_END || k == M_QUIT)
		m->mtext[0] = STOP;
	side_lock(&q->slock);
	a = atomic_load_explicit(&q->in, memory_order_relaxed);
	for (;;) {
		o = atomic_load_explicit(&q->out, memory_order_acquire);
		qn = (uint32_t)(a >> 32) - (uint32_t)(o >> 32);
		cb = (uint32_t)a - (uint32_t)o;
		if (cb + size <= q->qbytes && qn + 1 <= q->qbytes &&
		    qn < q->depth)
			break;
		backoff(&spins);
	}
	s = slot_at(q, (uint32_t)(a >> 32));
	/* the slot's last receiver may still be freeing it */
	while (atomic_load_explicit(&s->hdr, memory_order_acquire) !=
	       (a & ~(uint64_t)UINT32_MAX))
		cpu_relax();
	memcpy(s->text, m->mtext, size);
	s->size = size;
	atomic_store_explicit(&q->in, a + ((uint64_t)1 << 32) + size,
			      memory_order_release);		/* commit */
	atomic_store_explicit(&s->hdr, (a & ~(uint64_t)UINT32_MAX) | S_PUB,
			      memory_order_release);
	stamp(&q->lspid, &q->stime);
	side_unlock(&q->slock);
	return 0;
}

static ssize_t t_recv(const struct job *j, struct qmsg *m, int k)
{
	struct xq *q = j->bq[0];
	uint32_t spins = 0, size, h;
	struct xslot *s;
	uint64_t o;

	(void)k;
	who_am_i();
	side_lock(&q->rlock);
	o = atomic_load_explicit(&q->out, memory_order_relaxed);
	h = (uint32_t)(o >> 32);
	s = slot_at(q, h);
	while (atomic_load_explicit(&s->hdr, memory_order_acquire) !=
	       ((uint64_t)h << 32 | S_PUB)) {
		backoff(&spins);
	}
	size = s->size;
	memcpy(m->mtext, s->text, size);
	atomic_store_explicit(&s->hdr, (uint64_t)(h + q->depth) << 32,
			      memory_order_release);
	atomic_store_explicit(&q->out, o + ((uint64_t)1 << 32) + size,
			      memory_order_release);		/* commit */
	stamp(&q->lrpid, &q->rtime);
	side_unlock(&q->rlock);
	return (ssize_t)size;
}

static int x_ends(const struct qmsg *m, int k)
{
	(void)k;
	return m->mtext[0] == STOP;
}

static const struct api x_api = {
	"exact put", "exact take", x_send, x_recv, x_ends,
};
static const struct api t_api = {
	"two-lock put", "two-lock take", t_send, t_recv, x_ends,
};

/* Shared, made before the fork: the children inherit it.  msg_qbytes:
 * the depth's worth of messages, as System V's tests have. */
static int x_new(struct job *j, int k, char *why, size_t len)
{
	size_t slot = (sizeof(struct xslot) + j->size + 63) & ~(size_t)63;
	size_t bytes = sizeof(struct xq) + slot * (size_t)j->depth;
	struct xq *q;

	q = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		return -1;
	}
	q->depth = (uint32_t)j->depth;
	q->qbytes = (uint32_t)(j->size * (size_t)j->depth);
	q->slot = slot;
	q->bytes = bytes;
	for (uint32_t i = 0; i < q->depth; i++)
		atomic_store(&slot_at(q, i)->hdr, (uint64_t)i << 32);
	j->bq[k] = q;
	return 0;
}

static void x_del(struct job *j, int k)
{
	struct xq *q = j->bq[k];

	munmap(q, q->bytes);
	j->bq[k] = NULL;
}

struct backend be_exact = {
	.name = "lock-free", .api = &x_api, .qnew = x_new, .qdel = x_del,
};
struct backend be_twolock = {
	.name = "two-lock", .api = &t_api, .qnew = x_new, .qdel = x_del,
};
