/* SPDX-License-Identifier: MIT */
/*
 * sysv_garbage_store.c - garbage in a System V queue's store
 * (garbage_sysv.h), sysv/m.<gen> from M_STORE_OFF: after garbage in its
 * chunks, its indexes, free lists or derived header fields the queue is
 * repaired; noise in its geometry, a wrong magic or version, gives clean
 * errors, and a keyed queue keeps its key.
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
#include "garbage_store.h"

/* ---- the store, mapped ------------------------------------------------- */

/* The store of queue qid, mapped whole: sysv/m.<gen> from M_STORE_OFF. */
struct store {
	void *file;		/* the mapping of m.<gen>, from its start */
	size_t file_size;
	struct store_view sv;
};

static void store_of(int qid, struct store *s)
{
	s->file = qfile_map(qid, "m.", &s->file_size);
	if (s->file_size < M_STORE_OFF + STORE_HDR_SIZE)
		T_FAIL("test bug: m.<gen> is %zu bytes", s->file_size);
	if (!store_view_of(&s->sv, (char *)s->file + M_STORE_OFF,
			   s->file_size - M_STORE_OFF))
		T_FAIL("test bug: the store's layout is not what layout.h says");
}

static void store_unmap(struct store *s)
{
	munmap(s->file, s->file_size);
}

/* ---- rounds of damage -------------------------------------------------- */

/* System V keys are message types (garbage_store.h). */
static void damage_chunks_types(const struct store_view *v)
{
	damage_chunks(v, 1);
}

static void damage_index_types(const struct store_view *v)
{
	damage_index(v, 1);
}

/* What a round damages, and how its queue is made and judged. */
struct kind {
	const char *name;
	uint32_t rounds, salt;
	uint32_t more, take;	/* 4 + below(more) messages, below(take)
				 * of them received again (if take) */
	bool twice;		/* damage once or twice, else once */
	bool repair;		/* what it damages is derived: repaired */
	void (*damage)(const struct store_view *v);
};

/* The kind the case's rounds do (each round is a child of the case). */
static const struct kind *kind;

/* A new queue, garbage in its store, then the calls (and the repair). */
static void round_store(uint32_t seed)
{
	const struct kind *k = kind;
	struct store s;
	int qid;

	seed_rng(seed, k->salt);
	op("setup");
	qid = new_queue();
	populate(qid, 4 + (int)below(k->more));
	if (k->take)
		take_some(qid, (int)below(k->take));
	store_of(qid, &s);
	for (int n = k->twice ? 1 + (int)below(2) : 1; n--;)
		k->damage(&s.sv);
	store_unmap(&s);
	fresh_view(seed);
	use(qid);
	if (k->repair)
		repaired(qid);
	rmid(qid);
}

static void store_rounds(const struct kind *k)
{
	kind = k;
	rounds(k->name, k->rounds, round_store);
}

/* The chunk area, the indexes and free lists: repaired. */
T_CASE(garbage_store_chunks)
{
	store_rounds(&(const struct kind){
		.name = "chunk area", .rounds = 200, .salt = 0xc,
		.more = 30, .take = 3, .twice = true, .repair = true,
		.damage = damage_chunks_types });
}

T_CASE(garbage_store_index)
{
	store_rounds(&(const struct kind){
		.name = "index area and free lists", .rounds = 200,
		.salt = 0xd, .more = 30, .take = 4, .twice = true,
		.repair = true, .damage = damage_index_types });
}

/*
 * The header's derived fields (allocation mark, sequence source, bucket
 * count, damage flag): rebuilt like the indexes.
 */
T_CASE(garbage_store_header_derived)
{
	store_rounds(&(const struct kind){
		.name = "derived header fields", .rounds = 120, .salt = 0xe,
		.more = 30, .take = 4, .repair = true,
		.damage = damage_header_derived });
}

/*
 * Noise in the header's geometry: no repair is possible, so only clean
 * errors (EUCLEAN), and IPC_STAT, MSG_INFO, IPC_RMID still work since
 * they need no store.
 */
T_CASE(garbage_store_header_noise)
{
	store_rounds(&(const struct kind){
		.name = "store header", .rounds = 120, .salt = 0xf,
		.more = 20, .damage = damage_header_noise });
}

/* ---- the store's magic and version ------------------------------------- */

/*
 * msgsnd and msgrcv in a child, bounded: through a fresh view of the
 * namespace (fresh), or through the view this process has (inherited).
 */
static void calls_in_child(int qid, bool fresh, struct verdict *v,
			   const char *what)
{
	v->qid = qid;
	v->fresh = fresh;
	v->rcv_too = true;
	int st = bounded_child(verdict_calls, v);
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		T_FAIL("%s: msgsnd/msgrcv through %s view hung", what,
		       fresh ? "a fresh" : "the old");
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		T_FAIL("%s: msgsnd/msgrcv through %s view hung (5 s)", what,
		       fresh ? "a fresh" : "the old");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("%s: msgsnd/msgrcv through %s view: status %#x", what,
		       fresh ? "a fresh" : "the old", st);
}

/*
 * A store whose header is wrong in some field: a process that maps it
 * afresh refuses it with err; a process that mapped it before may go on
 * (its geometry was checked then) or refuse it too.  The queue's control
 * block is not in the store, so IPC_STAT, MSG_INFO and IPC_RMID work.
 */
static void bad_header(size_t off, const void *bytes, size_t n, int err,
		       const char *what)
{
	struct verdict *v = t_shared(sizeof(*v));
	struct msqid_ds ds;
	struct msginfo mi;
	struct tmsg m;
	struct store s;
	ssize_t r;
	int qid;

	LOG = t_shared(sizeof(*LOG));
	qid = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	for (int i = 0; i < 5; i++) {
		mk(&m, 1 + i, 100);
		T_OK(umq_msgsnd(qid, &m, 100, IPC_NOWAIT));
	}
	store_of(qid, &s);
	memcpy((uint8_t *)s.sv.st + off, bytes, n);
	store_unmap(&s);

	calls_in_child(qid, true, v, what);
	if (v->snd != -1 || v->snd_err != err)
		T_FAIL("%s: msgsnd through a fresh view returned %ld %s, "
		       "expected -1 %s", what, v->snd,
		       strerrorname_np(v->snd_err) ?: "0",
		       strerrorname_np(err));
	if (v->rcv != -1 || v->rcv_err != err)
		T_FAIL("%s: msgrcv through a fresh view returned %ld %s, "
		       "expected -1 %s", what, v->rcv,
		       strerrorname_np(v->rcv_err) ?: "0",
		       strerrorname_np(err));

	/* A process that mapped the store before the damage. */
	calls_in_child(qid, false, v, what);
	if (v->snd && v->snd_err != err)
		T_FAIL("%s: msgsnd through the old view: %s", what,
		       strerrorname_np(v->snd_err) ?: "?");
	if (v->rcv < 0 && v->rcv_err != err)
		T_FAIL("%s: msgrcv through the old view: %s", what,
		       strerrorname_np(v->rcv_err) ?: "?");

	T_OK(umq_msgctl(qid, IPC_STAT, &ds));
	if (ds.msg_qnum < 4 || ds.msg_qnum > 6)
		T_FAIL("%s: IPC_STAT qnum %lu", what,
		       (unsigned long)ds.msg_qnum);
	T_OK(umq_msgctl(0, MSG_INFO, (struct msqid_ds *)&mi));
	T_EQ(mi.msgpool, 1);
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
	T_ERR(umq_msgsnd(qid, &m, 10, IPC_NOWAIT), EINVAL);

	/* The next queue has a store of its own. */
	qid = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	mk(&m, 7, 300);
	T_OK(umq_msgsnd(qid, &m, 300, IPC_NOWAIT));
	memset(&m, 0, sizeof(m));
	r = umq_msgrcv(qid, &m, TXT_MAX, 0, IPC_NOWAIT);
	if (!intact(&m, r, 7, 300))
		T_FAIL("a new queue after a damaged one does not work");
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

T_CASE(garbage_store_magic)
{
	uint64_t x = 0x6b6e756a6b6e756aull;

	bad_header(offsetof(struct store_hdr, magic), &x, sizeof(x), EUCLEAN,
		   "store magic");
}

T_CASE(garbage_store_version)
{
	uint32_t x = UMQ_LAYOUT_VERSION + 1;

	bad_header(offsetof(struct store_hdr, version), &x, sizeof(x), EPROTO,
		   "store version");
}

T_CASE(garbage_store_geometry)
{
	uint32_t chunk = 100, big = 1u << 29, hs = 64;
	uint64_t gen = 12345;

	bad_header(offsetof(struct store_hdr, chunk_size), &chunk,
		   sizeof(chunk), EUCLEAN, "store chunk size 100");
	bad_header(offsetof(struct store_hdr, nchunks), &big, sizeof(big),
		   EUCLEAN, "store nchunks 2^29");
	bad_header(offsetof(struct store_hdr, hdr_size), &hs, sizeof(hs),
		   EUCLEAN, "store hdr_size 64");
	bad_header(offsetof(struct store_hdr, gen), &gen, sizeof(gen),
		   EUCLEAN, "store of another generation");
}

/*
 * A keyed queue whose store is damaged still has its key: a fresh view
 * may refuse the queue (EUCLEAN) but must not find the key free, and
 * msgget(IPC_CREAT) must not make a second queue with it.
 */
struct keyed {
	int id, found, found_err, made, made_err;
};

static void keyed_calls(void *arg)
{
	struct keyed *k = arg;

	if (umq_ns_use(t_umq_dir()))
		_exit(T_EXIT_FAIL);
	k->found = umq_msgget(0x6060, 0);
	k->found_err = k->found < 0 ? errno : 0;
	k->made = umq_msgget(0x6060, IPC_CREAT | 0600);
	k->made_err = k->made < 0 ? errno : 0;
}

T_CASE(garbage_store_keeps_its_key)
{
	struct keyed *k = t_shared(sizeof(*k));
	uint64_t magic = 0x6b6e756a6b6e756aull;
	struct store s;
	struct tmsg m;
	int st;

	LOG = t_shared(sizeof(*LOG));
	k->id = (int)T_OK(umq_msgget(0x6060, IPC_CREAT | 0600));
	mk(&m, 1, 100);
	T_OK(umq_msgsnd(k->id, &m, 100, IPC_NOWAIT));
	store_of(k->id, &s);
	memcpy(&s.sv.st->magic, &magic, sizeof(magic));
	store_unmap(&s);
	st = bounded_child(keyed_calls, k);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != T_EXIT_PASS)
		T_FAIL("msgget on a damaged keyed queue: status %#x", st);
	if (k->found != k->id && k->found_err != EUCLEAN)
		T_FAIL("msgget(key, 0) gave %d %s: expected %d or EUCLEAN",
		       k->found, strerrorname_np(k->found_err) ?: "",
		       k->id);
	if (k->made != k->id && k->made_err != EUCLEAN)
		T_FAIL("msgget(key, IPC_CREAT) gave %d %s: expected %d or "
		       "EUCLEAN, not a second queue with the key", k->made,
		       strerrorname_np(k->made_err) ?: "", k->id);
	T_EQ(umq_msgget(0x6060, 0), k->id);
}

/* nchunks past 2^30: the sizes computed from it must not run away. */
T_CASE(garbage_store_nchunks_huge)
{
	uint32_t big = 0x80000001u;

	bad_header(offsetof(struct store_hdr, nchunks), &big, sizeof(big),
		   EUCLEAN, "store nchunks 2^31 + 1");
}

/* ---- directed: derived values the library trusts ----------------------- */

/* The first queued message's head chunk (store order: chunk 0). */
static struct msg *first_head(struct store *s)
{
	struct msg *m = (struct msg *)s->sv.chunks;

	if (m->state != CH_QUEUED)
		T_FAIL("test bug: chunk 0 is not a queued message's head");
	return m;
}

/*
 * A queued message's length, off by one within its chunks.  Whatever the
 * receive returns, the queue must end up consistent: drained, its
 * counters are zero, and an empty message fits in an empty queue.  (The
 * counters are derived; the length is the untrusted input.)
 */
static void len_skew(int64_t delta)
{
	struct msqid_ds ds;
	struct tmsg m;
	struct store s;
	int qid;

	LOG = t_shared(sizeof(*LOG));
	alarm(20);
	qid = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	mk(&m, 1, 100);		/* two chunks: 80 + 120 bytes of room */
	T_OK(umq_msgsnd(qid, &m, 100, IPC_NOWAIT));
	store_of(qid, &s);
	first_head(&s)->len = (uint64_t)(100 + delta);
	store_unmap(&s);

	ssize_t r = umq_msgrcv(qid, &m, TXT_MAX, 0, IPC_NOWAIT);
	if (r < 0 && !clean_errno(errno))
		T_FAIL("msgrcv: %s", strerrorname_np(errno));
	T_ERR(umq_msgrcv(qid, &m, TXT_MAX, 0, IPC_NOWAIT), ENOMSG);
	T_OK(umq_msgctl(qid, IPC_STAT, &ds));
	if (ds.msg_qnum || ds.__msg_cbytes)
		T_FAIL("len %lld instead of 100: the queue is empty, but "
		       "IPC_STAT says qnum %lu cbytes %lu (msgrcv returned "
		       "%zd)", (long long)(100 + delta),
		       (unsigned long)ds.msg_qnum,
		       (unsigned long)ds.__msg_cbytes, r);
	m.mtype = 1;
	if (umq_msgsnd(qid, &m, 0, IPC_NOWAIT))
		T_FAIL("an empty queue refuses an empty message: %s",
		       strerrorname_np(errno));
}

T_CASE(garbage_len_longer) { len_skew(+1); }
T_CASE(garbage_len_shorter) { len_skew(-1); }

/*
 * The header's bucket count says 0 while messages are queued: a receive
 * must not report ENOMSG for ever while IPC_STAT counts them (rebuild, or
 * at least see the disagreement).
 */
T_CASE(garbage_nbuckets_zero)
{
	struct msqid_ds ds;
	struct tmsg m;
	struct store s;
	ssize_t r = -1;
	int qid, e = 0;

	LOG = t_shared(sizeof(*LOG));
	alarm(20);
	qid = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	for (int i = 0; i < 4; i++) {
		mk(&m, 1 + i % 2, 50);
		T_OK(umq_msgsnd(qid, &m, 50, IPC_NOWAIT));
	}
	store_of(qid, &s);
	s.sv.st->nbuckets = 0;
	store_unmap(&s);
	for (int i = 0; i < 4; i++) {
		r = umq_msgrcv(qid, &m, TXT_MAX, 0, IPC_NOWAIT);
		e = errno;
		if (r < 0 && e != EUCLEAN)
			break;
	}
	T_OK(umq_msgctl(qid, IPC_STAT, &ds));
	if (r < 0 && ds.msg_qnum)
		T_FAIL("msgrcv says %s while IPC_STAT counts %lu messages",
		       strerrorname_np(e), (unsigned long)ds.msg_qnum);
}

int main(int argc, char **argv)
{
	/* The store is what these rounds damage: this process's messages
	 * go there, not to the lane (whose garbage test/lane.c makes). */
	umq_lane_off = 1;
	return t_main(argc, argv);
}
