/* SPDX-License-Identifier: MIT */
/*
 * sysv_garbage_ctl.c - garbage in a System V queue's control block
 * (sysv/q.<gen>), in its waiter records (the start of sysv/m.<gen>) and
 * in its lane (its words in the control block, its ring after the
 * records), garbage_sysv.h: clean errors, never a crash or a hang, and
 * another queue does not notice.
 */
#include "t.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "garbage_sysv.h"

/* The other queue of a round still sends and receives, after what. */
static void other_works(int other, const char *what)
{
	struct tmsg m;
	ssize_t r;

	op("the other queue");
	mk(&m, 5, 500);
	if (umq_msgsnd(other, &m, 500, IPC_NOWAIT))
		R_FAIL("another queue after %s: msgsnd: %s", what,
		       strerrorname_np(errno));
	memset(&m, 0, sizeof(m));
	r = umq_msgrcv(other, &m, TXT_MAX, 5, IPC_NOWAIT);
	if (!intact(&m, r, 5, 500))
		R_FAIL("another queue after %s: msgrcv: %zd %s", what, r,
		       r < 0 ? strerrorname_np(errno) : "(torn)");
}

/* ---- a queue's control block (sysv/q.<gen>) ---------------------------- */

/*
 * The noise of the case's rounds (each round is a child of the case).
 * keep: leave the control block's identity (state, seq, gen, key) so the
 * id still names it and the calls reach the noise; lock: the noise covers
 * the lock too (else the lock is left a valid free mutex).
 */
static struct {
	uint32_t salt;
	bool keep, lock;
} noise;

/* Noise over a queue's control block: another queue must not notice. */
static void round_qctl(uint32_t seed)
{
	bool keep = noise.keep, lock = noise.lock;
	struct qctl *q, save;
	struct qfile *f;
	int qid, other;

	seed_rng(seed, noise.salt);
	op("setup");
	qid = new_queue();
	other = new_queue();
	populate(qid, 3 + (int)below(10));
	populate(other, 3);
	f = ctl_of(qid);
	q = &f->q;
	save = *q;
	fill_random(lock ? (void *)q : (void *)&q->qnum,
		    lock ? sizeof(*q) :
			   sizeof(*q) - offsetof(struct qctl, qnum));
	if (keep) {
		q->state = save.state;
		q->seq = save.seq;
		q->gen = save.gen;
		q->key = save.key;
	}
	did("control block of queue %d random%s%s", qid,
	    keep ? ", identity kept" : "",
	    lock ? ", lock included" : ", lock kept");
	munmap(f, sizeof(*f));
	fresh_view(seed);
	use(qid);
	op("msgget(IPC_PRIVATE) beside the damaged control block");
	judge(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600), LOG->op);
	rmid(qid);
	other_works(other, "a control block's damage");
}

static void qctl_rounds(const char *name, uint32_t n, uint32_t salt,
			bool keep, bool lock)
{
	noise.salt = salt;
	noise.keep = keep;
	noise.lock = lock;
	rounds(name, n, round_qctl);
}

T_CASE(garbage_qctl)
{
	qctl_rounds("control block", 40, 0x51, false, true);
}

T_CASE(garbage_qctl_fields)
{
	qctl_rounds("control block fields, identity kept", 60, 0x52, true,
		    false);
}

T_CASE(garbage_qctl_lock)
{
	qctl_rounds("control block with its lock, identity kept", 20, 0x53,
		    true, true);
}

/*
 * Directed: a queue lock whose word names a thread that does not exist, as
 * garbage would (no FUTEX_OWNER_DIED: no robust list ever saw it).  L3
 * says a mutex whose bytes are garbage is re-initialized; a call must end
 * (success or a clean errno) within a bound.  kind: glibc's mutex kind
 * bits to leave in the word as well (0: keep the real ones).
 */
static void dead_owner_lock(int kind, const char *what)
{
	struct verdict *v = t_shared(sizeof(*v));
	struct qfile *f;
	struct qctl *q;
	pid_t dead;
	int qid;

	LOG = t_shared(sizeof(*LOG));
	qid = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	dead = t_dead_pid();
	f = ctl_of(qid);
	q = &f->q;
	q->lock.__data.__lock = dead;
	if (kind)
		q->lock.__data.__kind = kind;
	munmap(f, sizeof(*f));

	v->qid = qid;
	int st = bounded_child(verdict_calls, v);
	if (WIFSIGNALED(st) && (WTERMSIG(st) == SIGALRM ||
				WTERMSIG(st) == SIGKILL))
		T_FAIL("%s: msgsnd hung (lock word: tid %d, gone)", what,
		       (int)dead);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("%s: msgsnd crashed: status %#x", what, st);
	if (v->snd && !clean_errno(v->snd_err))
		T_FAIL("%s: msgsnd: %s", what, strerrorname_np(v->snd_err));
}

T_CASE(garbage_qctl_lock_dead_owner)
{
	dead_owner_lock(0, "queue lock held by a thread that does not exist");
}

/* glibc's kind bits (pthreadP.h): robust 16, priority inheritance 32,
 * process-shared 128. */
T_CASE(garbage_qctl_lock_pi_kind)
{
	dead_owner_lock(16 | 32 | 128,
			"queue lock of robust PI kind, owner gone");
}

/* ---- the lane (lane.c, L14) --------------------------------------------- */

static struct {
	uint32_t salt;
	bool words, locks, ring, gate;
} lnoise;

/*
 * A queue whose lane holds messages (and has moved on: some taken), then
 * noise over its words (with or without the side locks) or over the
 * records of its ring.  The first calls after it are the lane's own: the
 * plain receives and sends that read what the noise wrote.
 */
#define BIG (1u << 20)

static void round_lane(uint32_t seed)
{
	static char big[sizeof(long) + BIG];
	struct tmsg m;
	ssize_t r;
	struct qfile *f;
	int qid, other;
	uint8_t *d;
	size_t size;

	seed_rng(seed, lnoise.salt);
	op("setup");
	qid = new_queue();
	other = new_queue();
	populate(qid, 4 + (int)below(10));
	take_some(qid, 1 + (int)below(3));
	populate(other, 3);
	f = ctl_of(qid);
	if (__atomic_load_n(&f->lane.gate, __ATOMIC_ACQUIRE) != LANE_OPEN)
		R_FAIL("test bug: the lane of a new queue is not open");
	if (lnoise.words) {
		size_t from = lnoise.locks ? 0 : offsetof(struct lane, last_prio);
		fill_random((uint8_t *)&f->lane + from, 64 - from);
		from = lnoise.locks ? 64 : offsetof(struct lane, pad1);
		fill_random((uint8_t *)&f->lane + from, 128 - from);
		fill_random(&f->lane.put, sizeof(f->lane.put));
		fill_random(&f->lane.taken, sizeof(f->lane.taken));
		if (below(2))
			f->lane.gate = LANE_OPEN;
		did("lane words random%s", lnoise.locks ? ", side locks too" :
		    "");
	}
	if (lnoise.gate) {
		/* Only the gate: the lane's messages are all good. */
		f->lane.gate = below(4) ? (uint32_t)rnd64() : LANE_CLOSING;
		did("lane gate %#x", f->lane.gate);
	}
	munmap(f, sizeof(*f));
	if (lnoise.ring) {
		size_t off = below(8) * LANE_UNIT, len = 1 + below(512);
		d = qfile_map(qid, "m.", &size);
		if (size < M_STORE_OFF)
			R_FAIL("test bug: m.<gen> is %zu bytes", size);
		if (below(2))
			fill_random(d + LANE_OFF + off, len);
		else	/* a plausible header: one field wrong */
			fill_random(d + LANE_OFF + off + 4 * below(4), 4);
		did("ring bytes [%zu, +%zu) random", off, len);
		munmap(d, size);
	}
	fresh_view(seed);
	for (int k = 0; k < 6; k++) {
		op("lane msgrcv #%d", k);
		judge(umq_msgrcv(qid, &m, k % 2 ? 64 : TXT_MAX, 0,
				 IPC_NOWAIT | (k % 3 ? 0 : MSG_NOERROR)),
		      LOG->op);
		/* A record's length is believed only within what the lane
		 * holds: never a message longer than msg_qbytes. */
		op("lane msgrcv #%d, a buffer larger than the queue", k);
		r = umq_msgrcv(qid, big, BIG, 0, IPC_NOWAIT | MSG_NOERROR);
		judge(r, LOG->op);
		if (r > 16384)
			R_FAIL("a lane receive gave %zd bytes from a queue of "
			       "16384", r);
		op("lane msgsnd #%d", k);
		mk(&m, 1 + k, 100);
		judge(umq_msgsnd(qid, &m, 100, IPC_NOWAIT), LOG->op);
	}
	/* A gate that is neither open nor closed is a closer's that died:
	 * the next lock moves the lane's messages on, none stays behind
	 * (counted by IPC_STAT but never received). */
	if (lnoise.gate)
		repaired(qid);
	use(qid);
	rmid(qid);
	other_works(other, "a lane's damage");
}

static void lane_rounds(const char *name, uint32_t n, uint32_t salt,
			bool words, bool locks, bool ring, bool gate)
{
	lnoise.salt = salt;
	lnoise.words = words;
	lnoise.locks = locks;
	lnoise.ring = ring;
	lnoise.gate = gate;
	rounds(name, n, round_lane);
}

T_CASE(garbage_lane_words)
{
	lane_rounds("lane words", 60, 0x61, true, false, false, false);
}

T_CASE(garbage_lane_locks)
{
	lane_rounds("lane words and side locks", 20, 0x62, true, true, false,
		    false);
}

T_CASE(garbage_lane_ring)
{
	lane_rounds("lane ring records", 60, 0x63, false, false, true, false);
}

/* The words above leave the gate open: here it alone is garbage. */
T_CASE(garbage_lane_gate)
{
	lane_rounds("lane gate", 40, 0x64, false, false, false, true);
}

/* ---- a waiter record --------------------------------------------------- */

/* A child blocked in msgrcv(msgtyp) for the rest of the round. */
static struct blocked *receiver(int qid, long msgtyp)
{
	struct blocked *b = blocked_msgrcv(qid, msgtyp, ROUND_MS / 1000 + 1);

	if (!b)
		R_FAIL("a receiver did not block");
	return b;
}

/* It received a message, or the queue's removal ended its wait. */
static bool ended_clean(const struct blocked *b)
{
	return b->ret >= 0 || b->err == EIDRM || b->err == EUCLEAN;
}

/*
 * Two receivers blocked on a queue; noise over the first one's record
 * (its owner may suffer, nobody else may), or over a free record.  Then
 * sends, receives, IPC_RMID: the second receiver must end cleanly - with
 * a message or EIDRM - and the first must not crash.
 */
static void round_waiter(uint32_t seed)
{
	struct blocked *b1, *b2, *b3;
	struct tmsg m;
	void *h;
	int qid, idx;

	seed_rng(seed, 0x77);
	op("setup");
	qid = new_queue();
	populate(qid, 3);
	b1 = receiver(qid, 9);
	b2 = receiver(qid, 9);
	h = pool_of(qid);
	idx = record_of(h, b1->pid);
	if (idx < 0)
		R_FAIL("no waiter record for the blocked receiver");
	if (seed % 4 == 0)		/* a free record instead */
		idx = (int)((uint32_t)(idx + 1 + below(100)) % Q_WAITERS);
	struct waiter *w = waiter_at(h, (uint32_t)idx);
	size_t off = seed % 3 ? below(sizeof(*w)) : 0;
	size_t len = seed % 3 ? 1 + below((uint32_t)(sizeof(*w) - off)) :
				sizeof(*w);
	fill_random((uint8_t *)w + off, len);
	did("waiter record %d (%s) bytes [%zu, +%zu) random", idx,
	    seed % 4 ? "a blocked receiver's" : "a free one", off, len);
	munmap(h, WPOOL_SIZE);

	use(qid);
	op("msgsnd(mtype 9) to the blocked receivers");
	mk(&m, 9, 50);
	judge(umq_msgsnd(qid, &m, 50, IPC_NOWAIT), LOG->op);
	op("a new blocked receiver after the damage");
	b3 = receiver(qid, 10);
	mk(&m, 10, 50);
	judge(umq_msgsnd(qid, &m, 50, IPC_NOWAIT), "msgsnd(mtype 10)");
	rmid(qid);

	op("the receivers after IPC_RMID");
	int st = t_wait_child(b2->pid, 0, 1000);
	if (st == -1)
		R_FAIL("a healthy receiver still blocked 1 s after IPC_RMID");
	if (!WIFEXITED(st) || !ended_clean(b2))
		R_FAIL("the healthy receiver ended with status %#x, %s", st,
		       strerrorname_np(b2->err) ?: "?");
	st = t_wait_child(b3->pid, 0, 1000);
	if (st == -1)
		R_FAIL("a receiver that blocked after the damage still blocks "
		       "1 s after IPC_RMID");
	if (!WIFEXITED(st) || !ended_clean(b3))
		R_FAIL("the new receiver ended with status %#x, %s", st,
		       strerrorname_np(b3->err) ?: "?");
	st = t_wait_child(b1->pid, 0, 300);
	if (st != -1 && WIFSIGNALED(st) && WTERMSIG(st) != SIGALRM)
		R_FAIL("the receiver whose record was damaged crashed: "
		       "signal %d", WTERMSIG(st));
	if (st == -1)
		kill(b1->pid, SIGKILL);	/* its own record: it may sleep on */

	op("a new queue after the damage");
	qid = new_queue();
	mk(&m, 3, 30);
	if (umq_msgsnd(qid, &m, 30, IPC_NOWAIT) ||
	    !intact(&m, umq_msgrcv(qid, &m, TXT_MAX, 3, IPC_NOWAIT), 3, 30))
		R_FAIL("a new queue does not work after a waiter's damage");
}

T_CASE(garbage_waiter)
{
	rounds("waiter record", 40, round_waiter);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
