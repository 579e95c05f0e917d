/* SPDX-License-Identifier: MIT */
/*
 * sysv_garbage.c - shared memory is untrusted (DESIGN.md §6): garbage in
 * any file of a namespace gives a clean error (EUCLEAN for a damaged
 * store or registry that cannot be repaired, EPROTO for another layout
 * version) or a repaired queue - never a crash, never a hang.
 *
 * A queue with messages is corrupted through a mapping of its files -
 * the store's header, chunks and indexes (sysv/m.<gen> from WPOOL_SIZE),
 * its control block (sysv/q.<gen>), a waiter record (the start of
 * m.<gen>) - and then used: msgsnd and msgrcv with IPC_NOWAIT,
 * IPC_STAT, MSG_INFO, IPC_RMID.  Each call must succeed or fail with a
 * clean errno.  After garbage in the chunks or the indexes the queue must
 * also be repaired: drained to empty, its counters zero, and a new message
 * must go through.
 *
 * The limits file is refused when damaged (EUCLEAN) or of another
 * layout (EPROTO); the hints file "ns", anyone's to write, is never
 * believed: no value in it, no size, no kind of file in its place refuses
 * the namespace or a call.  The registry's entries in sysv/ are anyone's
 * to make: an entry that lies (to no queue, to another queue, a file or
 * a FIFO in its place, a control block forged by another user) gives the
 * kernel's errno for "no such queue", never a crash, a hang, or another
 * queue.
 *
 * Random corruption runs as numbered rounds, each in a process of its
 * own with a deadline, so a crash or a hang is counted against its seed
 * and the other rounds still run.  UMQ_T_SEED=n runs round n alone and
 * shows what it did.
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

#include "garbage.h"
#include "garbage_store.h"
#include "internal.h"

/* ---- rounds: one process each (garbage.c) ------------------------------ */

#define ROUND_MS 3000

static void rounds_prep(const char *name, uint32_t n, void (*fn)(uint32_t),
			void (*prep)(void))
{
	garbage_rounds(name, n, fn, prep, ROUND_MS / 1000);
}

static void rounds(const char *name, uint32_t n, void (*fn)(uint32_t))
{
	rounds_prep(name, n, fn, NULL);
}

/*
 * Run fn(arg) in a child that an alarm ends after 5 s; returns its wait
 * status, that of a SIGKILL if it still ran 8 s later.
 */
static int bounded_child(void (*fn)(void *), void *arg)
{
	pid_t pid = t_spawn_alarm(fn, arg, 5);
	int st = t_wait_child(pid, 0, 8000);

	if (st == -1) {
		kill(pid, SIGKILL);
		st = t_waitpid(pid);
	}
	return st;
}

/* ---- the files ----------------------------------------------------------- */

static void *map_file(const char *name, size_t *size)
{
	char path[512];
	struct stat st;
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t_umq_dir(), name);
	fd = open(path, O_RDWR);
	if (fd < 0)
		T_FAIL("open %s: %s", path, strerror(errno));
	if (fstat(fd, &st))
		T_FAIL("fstat %s: %s", path, strerror(errno));
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		T_FAIL("mmap %s: %s", path, strerror(errno));
	*size = (size_t)st.st_size;
	return p;
}

/* A file of queue qid: sysv/<prefix><gen>. */
static void *qfile_map(int qid, const char *prefix, size_t *size)
{
	char name[64];

	snprintf(name, sizeof(name), "sysv/%s%016llx", prefix,
		 (unsigned long long)t_umq_gen(qid));
	return map_file(name, size);
}

/* The control block of queue qid (sysv/q.<gen>), unmapped with
 * munmap(q, sizeof(struct qfile)). */
static struct qfile *ctl_of(int qid)
{
	size_t size;
	struct qfile *f = qfile_map(qid, "q.", &size);

	if (size != sizeof(*f))
		T_FAIL("test bug: q.<gen> is %zu bytes", size);
	return f;
}

/* The waiter records of queue qid: the start of sysv/m.<gen>, unmapped
 * with munmap(pool, WPOOL_SIZE). */
static void *pool_of(int qid)
{
	char path[512];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/sysv/m.%016llx", t_umq_dir(),
		 (unsigned long long)t_umq_gen(qid));
	fd = open(path, O_RDWR);
	if (fd < 0)
		T_FAIL("open %s: %s", path, strerror(errno));
	p = mmap(NULL, WPOOL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		T_FAIL("mmap %s: %s", path, strerror(errno));
	return p;
}

static struct waiter *waiter_at(void *pool, uint32_t i)
{
	return (struct waiter *)((char *)pool + WPOOL_REC_OFF) + i;
}

/* The store of queue qid, mapped whole: sysv/m.<gen> from WPOOL_SIZE. */
struct store {
	void *file;		/* the mapping of m.<gen>, from its start */
	size_t file_size;
	struct store_view sv;
};

static void store_of(int qid, struct store *s)
{
	s->file = qfile_map(qid, "m.", &s->file_size);
	if (s->file_size < WPOOL_SIZE + STORE_HDR_SIZE)
		T_FAIL("test bug: m.<gen> is %zu bytes", s->file_size);
	if (!store_view_of(&s->sv, (char *)s->file + WPOOL_SIZE,
			   s->file_size - WPOOL_SIZE))
		T_FAIL("test bug: the store's layout is not what layout.h says");
}

static void store_unmap(struct store *s)
{
	munmap(s->file, s->file_size);
}

/* ---- messages ------------------------------------------------------------ */

#define TXT_MAX 8192
#define GUARD 64

struct tmsg {
	long mtype;
	unsigned char text[TXT_MAX];
	unsigned char guard[GUARD];
};

static uint8_t pat(long type, uint32_t i)
{
	return (uint8_t)(type * 131 + i * 7 + (i >> 8));
}

static size_t mk(struct tmsg *m, long type, size_t len)
{
	m->mtype = type;
	for (size_t i = 0; i < len; i++)
		m->text[i] = pat(type, (uint32_t)i);
	return len;
}

static bool intact(const struct tmsg *m, ssize_t n, long type, size_t len)
{
	if (n != (ssize_t)len || m->mtype != type)
		return false;
	for (size_t i = 0; i < len; i++)
		if (m->text[i] != pat(type, (uint32_t)i))
			return false;
	return true;
}

/* The errnos a call on a damaged namespace may give. */
static const int CLEAN[] = {
	EUCLEAN, EPROTO, EIDRM, EINVAL, ENOMSG, EAGAIN, E2BIG, EACCES, ENOMEM,
	EPERM,	/* garbage owner fields, a caller without CAP_SYS_ADMIN */
	0
};

static bool clean_errno(int e)
{
	return errno_in(e, CLEAN);
}

/* A call's result: success, or -1 with a clean errno.  Else the round
 * fails.  Returns the errno (0 on success). */
static int judge(long r, const char *call)
{
	return judge_in(r, call, CLEAN);
}

static void guard_set(struct tmsg *m)
{
	memset(m->guard, 0xa5, GUARD);
}

static void guard_check(const struct tmsg *m, ssize_t r, size_t sz)
{
	for (int i = 0; i < GUARD; i++)
		if (m->guard[i] != 0xa5)
			R_FAIL("msgrcv wrote past the caller's buffer");
	if (r > (ssize_t)sz)
		R_FAIL("msgrcv returned %zd for a buffer of %zu", r, sz);
}

/*
 * Fill a queue with n messages of random types (1..4) and sizes, within
 * the default 16384 bytes.  strict: every send must succeed.
 */
static void populate_as(int qid, int n, bool strict)
{
	size_t total = 0;
	struct tmsg m;

	for (int i = 0; i < n; i++) {
		long type = 1 + (long)below(4);
		size_t len = below(5) ? below(300) : below(2000);

		if (total + len > 12000)
			break;
		total += len;
		mk(&m, type, len);
		if (!umq_msgsnd(qid, &m, len, IPC_NOWAIT))
			continue;
		if (strict)
			R_FAIL("populate msgsnd: %s", strerrorname_np(errno));
		judge(-1, "populate msgsnd");
	}
}

static void populate(int qid, int n)
{
	populate_as(qid, n, true);
}

/* Receive some, so the free lists hold chunks. */
static void take_some(int qid, int n)
{
	struct tmsg m;

	for (int i = 0; i < n; i++)
		if (umq_msgrcv(qid, &m, TXT_MAX, 0, IPC_NOWAIT) < 0)
			R_FAIL("take_some msgrcv: %s", strerrorname_np(errno));
}

/*
 * The bounded set of calls every round makes on the damaged queue.  Each
 * must succeed or fail cleanly; no check of content (garbage may have
 * become a message).
 */
static void use(int qid)
{
	static const struct { long typ; int flg; } sel[] = {
		{ 0, 0 }, { 2, 0 }, { -2, 0 }, { 3, MSG_EXCEPT },
		{ 0, MSG_NOERROR }, { 4, 0 }, { -4, MSG_NOERROR },
		{ 1, MSG_EXCEPT | MSG_NOERROR },
	};
	struct msqid_ds ds;
	struct msginfo mi;
	struct tmsg m;
	ssize_t r;

	op("IPC_STAT");
	judge(umq_msgctl(qid, IPC_STAT, &ds), "IPC_STAT");
	for (size_t k = 0; k < sizeof(sel) / sizeof(sel[0]); k++) {
		size_t sz = k % 2 ? 64 : TXT_MAX;

		op("msgrcv(msgtyp %ld, size %zu, %#o)", sel[k].typ, sz,
		   sel[k].flg);
		guard_set(&m);
		r = umq_msgrcv(qid, &m, sz, sel[k].typ,
			       sel[k].flg | IPC_NOWAIT);
		judge(r, LOG->op);
		guard_check(&m, r, sz);
	}
	for (long n = 0; n < 3; n++) {
		op("msgrcv(MSG_COPY %ld)", n);
		guard_set(&m);
		r = umq_msgrcv(qid, &m, TXT_MAX, n, MSG_COPY | IPC_NOWAIT);
		judge(r, LOG->op);
		guard_check(&m, r, TXT_MAX);
	}
	for (int k = 0; k < 4; k++) {
		size_t len = k * 400;

		op("msgsnd(mtype %d, %zu bytes)", k + 1, len);
		mk(&m, k + 1, len);
		judge(umq_msgsnd(qid, &m, len, IPC_NOWAIT), LOG->op);
	}
	op("msgrcv(0) after the sends");
	guard_set(&m);
	r = umq_msgrcv(qid, &m, TXT_MAX, 0, IPC_NOWAIT | MSG_NOERROR);
	judge(r, LOG->op);
	guard_check(&m, r, TXT_MAX);
	op("MSG_INFO");
	judge(umq_msgctl(0, MSG_INFO, (struct msqid_ds *)&mi), "MSG_INFO");
	op("IPC_STAT");
	judge(umq_msgctl(qid, IPC_STAT, &ds), "IPC_STAT");
}

/*
 * After garbage in the chunks or the indexes the queue is repaired
 * (rebuilt from its chunks): it drains to empty with its counters at
 * zero, and a new message goes through intact.
 */
static void repaired(int qid)
{
	struct msqid_ds ds;
	struct tmsg m;
	int n, eu = 0;
	ssize_t r;

	for (n = 0; n < 4000; n++) {
		op("drain msgrcv #%d", n);
		guard_set(&m);
		r = umq_msgrcv(qid, &m, TXT_MAX, 0, IPC_NOWAIT | MSG_NOERROR);
		guard_check(&m, r, TXT_MAX);
		if (r >= 0)
			continue;
		if (errno == ENOMSG)
			break;
		if (judge(r, LOG->op) == EUCLEAN && ++eu <= 2)
			continue;	/* a rebuild may take a call */
		R_FAIL("drain: msgrcv keeps failing: %s",
		       strerrorname_np(errno));
	}
	if (n == 4000)
		R_FAIL("the drain does not end");
	op("IPC_STAT after the drain");
	if (umq_msgctl(qid, IPC_STAT, &ds))
		R_FAIL("IPC_STAT after the drain: %s", strerrorname_np(errno));
	if (ds.msg_qnum || ds.__msg_cbytes)
		R_FAIL("drained to ENOMSG, but IPC_STAT says qnum %lu cbytes "
		       "%lu", (unsigned long)ds.msg_qnum,
		       (unsigned long)ds.__msg_cbytes);
	op("msgsnd of a new message after the repair");
	mk(&m, 99, 1000);
	if (umq_msgsnd(qid, &m, 1000, IPC_NOWAIT))
		R_FAIL("a new message after the repair: msgsnd: %s",
		       strerrorname_np(errno));
	op("msgrcv of the new message");
	memset(&m, 0, sizeof(m));
	r = umq_msgrcv(qid, &m, TXT_MAX, 99, IPC_NOWAIT);
	if (!intact(&m, r, 99, 1000))
		R_FAIL("the new message after the repair came back as %zd "
		       "(%s)", r, r < 0 ? strerrorname_np(errno) : "torn");
}

static void rmid(int qid)
{
	op("IPC_RMID");
	judge(umq_msgctl(qid, IPC_RMID, NULL), "IPC_RMID");
}

/* Half the rounds look through a fresh mapping of everything. */
static void fresh_view(uint32_t seed)
{
	if (seed % 2)
		return;
	op("umq_ns_use (a fresh view)");
	if (umq_ns_use(t_umq_dir()))
		R_FAIL("umq_ns_use: %s", strerrorname_np(errno));
}

static int new_queue(void)
{
	int qid = umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600);

	if (qid < 0)
		R_FAIL("msgget: %s", strerrorname_np(errno));
	return qid;
}

/*
 * A round's queue, to be damaged through its store, mapped in s: new,
 * with 4 + below(more) messages of which below(take) (if take) are
 * received again.
 */
static int round_queue(uint32_t seed, uint32_t salt, uint32_t more,
		       uint32_t take, struct store *s)
{
	int qid;

	seed_rng(seed, salt);
	op("setup");
	qid = new_queue();
	populate(qid, 4 + (int)below(more));
	if (take)
		take_some(qid, (int)below(take));
	store_of(qid, s);
	return qid;
}

/* The damage is done: the round's calls, and (if repair) the repair. */
static void round_use(uint32_t seed, int qid, struct store *s, bool repair)
{
	store_unmap(s);
	fresh_view(seed);
	use(qid);
	if (repair)
		repaired(qid);
	rmid(qid);
}

/* ---- (c) the chunk area -------------------------------------------------- */

/* System V keys are message types (garbage_store.h). */
#define KEYS 1

/* Garbage in a store, once or twice, then the calls and the repair. */
static void round_store(uint32_t seed, uint32_t salt, uint32_t take,
			void (*damage)(const struct store_view *, int))
{
	struct store s;
	int qid = round_queue(seed, salt, 30, take, &s);

	for (int k = 1 + (int)below(2); k--;)
		damage(&s.sv, KEYS);
	round_use(seed, qid, &s, true);
}

static void round_chunks(uint32_t seed)
{
	round_store(seed, 0xc, 3, damage_chunks);
}

T_CASE(garbage_store_chunks)
{
	rounds("chunk area", 200, round_chunks);
}

/* ---- (d) the indexes and the free lists ---------------------------------- */

static void round_index(uint32_t seed)
{
	round_store(seed, 0xd, 4, damage_index);
}

T_CASE(garbage_store_index)
{
	rounds("index area and free lists", 200, round_index);
}

/*
 * The header's derived fields (allocation mark, sequence source, bucket
 * count, damage flag): rebuilt like the indexes.
 */
static void round_header_derived(uint32_t seed)
{
	struct store s;
	int qid = round_queue(seed, 0xe, 30, 4, &s);

	damage_header_derived(&s.sv);
	round_use(seed, qid, &s, true);
}

T_CASE(garbage_store_header_derived)
{
	rounds("derived header fields", 120, round_header_derived);
}

/*
 * Noise in the header's geometry: no repair is possible, so only clean
 * errors (EUCLEAN), and IPC_STAT, MSG_INFO, IPC_RMID still work since
 * they need no store.
 */
static void round_header_noise(uint32_t seed)
{
	struct store s;
	int qid = round_queue(seed, 0xf, 20, 0, &s);

	damage_header_noise(&s.sv);
	round_use(seed, qid, &s, false);
}

T_CASE(garbage_store_header_noise)
{
	rounds("store header", 120, round_header_noise);
}

/* ---- (a), (b) the store's magic and version ------------------------------ */

struct verdict {
	int qid;
	bool fresh;		/* through a fresh view of the namespace */
	bool rcv_too;		/* msgrcv after the msgsnd */
	long snd, rcv;
	int snd_err, rcv_err;
};

/* In a child: msgsnd (and msgrcv) on the queue, the results in v. */
static void verdict_calls(void *arg)
{
	struct verdict *v = arg;
	struct tmsg m;

	if (v->fresh && umq_ns_use(t_umq_dir()))
		_exit(T_EXIT_FAIL);
	mk(&m, 1, 10);
	errno = 0;
	v->snd = umq_msgsnd(v->qid, &m, 10, IPC_NOWAIT);
	v->snd_err = errno;
	if (!v->rcv_too)
		return;
	errno = 0;
	v->rcv = umq_msgrcv(v->qid, &m, TXT_MAX, 0, IPC_NOWAIT);
	v->rcv_err = errno;
}

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

/* ---- directed: derived values the library trusts ------------------------ */

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

/* ---- (e) the limits file ------------------------------------------------ */

static void ns_use_call(void *arg)
{
	int *e = arg;

	*e = umq_ns_use(t_umq_dir()) ? errno : 0;
}

/* umq_ns_use on the case's directory, in a child: its errno, 0 if it
 * worked. */
static int ns_use_errno(void)
{
	int *e = t_shared(sizeof(*e));
	int st = bounded_child(ns_use_call, e);

	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		T_FAIL("umq_ns_use on a damaged namespace hung");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("umq_ns_use on a damaged namespace: status %#x", st);
	return *e;
}

static void expect_ns_refused(const char *file, size_t off, const void *bytes,
			      size_t n, int err, const char *what)
{
	uint8_t save[64];
	size_t size;
	uint8_t *p = map_file(file, &size);
	int e;

	if (n > sizeof(save) || off + n > size)
		T_FAIL("test bug: %s", what);
	memcpy(save, p + off, n);
	memcpy(p + off, bytes, n);
	e = ns_use_errno();
	memcpy(p + off, save, n);
	munmap(p, size);
	if (e != err)
		T_FAIL("%s: umq_ns_use returned %s, expected -1 %s", what,
		       e ? strerrorname_np(e) : "0", strerrorname_np(err));
	if (ns_use_errno())
		T_FAIL("%s: the namespace is refused after the repair", what);
}

T_CASE(garbage_limits_header)
{
	uint64_t magic = 0x6b6e756a6b6e756aull;
	uint32_t version = UMQ_LAYOUT_VERSION + 1, size = 64;

	T_EQ(ns_use_errno(), 0);
	expect_ns_refused("limits", offsetof(struct lim_file, magic), &magic,
			  sizeof(magic), EUCLEAN, "limits magic");
	expect_ns_refused("limits", offsetof(struct lim_file, version),
			  &version, sizeof(version), EPROTO, "limits version");
	expect_ns_refused("limits", offsetof(struct lim_file, size), &size,
			  sizeof(size), EPROTO, "limits size");
}

/* Rewrite the limits file whole (n bytes of p), as it was made. */
static void limits_write(const void *p, size_t n)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/limits", t_umq_dir());
	fd = open(path, O_RDWR);
	if (fd < 0 || ftruncate(fd, 0) ||
	    pwrite(fd, p, n, 0) != (ssize_t)n)
		T_FAIL("rewrite %s: %s", path, strerror(errno));
	close(fd);
}

/*
 * The limits file of an older layout (version 2, 80 bytes: smaller than
 * this one's): EPROTO, the answer for another version (layout.h), not
 * EUCLEAN.
 */
T_CASE(garbage_limits_older_layout)
{
	struct lim_file cur;
	uint8_t old[80] = { 0 };
	uint32_t version = 2, size = sizeof(old);
	uint64_t magic = UMQ_LIM_MAGIC;
	size_t n;
	void *p;

	T_EQ(ns_use_errno(), 0);
	p = map_file("limits", &n);
	T_EQ(n, sizeof(cur));
	memcpy(&cur, p, sizeof(cur));
	munmap(p, n);
	memcpy(old, &magic, sizeof(magic));
	memcpy(old + 8, &version, sizeof(version));
	memcpy(old + 12, &size, sizeof(size));
	limits_write(old, sizeof(old));
	int e = ns_use_errno();
	limits_write(&cur, sizeof(cur));
	if (e != EPROTO)
		T_FAIL("limits of layout 2: umq_ns_use returned %s, expected "
		       "-1 EPROTO", e ? strerrorname_np(e) : "0");
	T_EQ(ns_use_errno(), 0);
}

/* A limits file cut short, or empty: EUCLEAN, not a fault. */
T_CASE(garbage_limits_truncated)
{
	char path[512];
	size_t sizes[] = { 0, 8 };

	snprintf(path, sizeof(path), "%s/limits", t_umq_dir());
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (truncate(path, (off_t)sizes[i]))
			T_FAIL("truncate: %s", strerror(errno));
		int e = ns_use_errno();
		if (e != EUCLEAN)
			T_FAIL("limits cut to %zu bytes: umq_ns_use returned "
			       "%s, expected EUCLEAN", sizes[i],
			       e ? strerrorname_np(e) : "0");
	}
}

/* ---- (e) the hints file "ns": only hints, never a refusal ---------------- */

static void hints_path(char *path, size_t n)
{
	snprintf(path, n, "%s/ns", t_umq_dir());
}

static void hint_put(int which, int32_t v)
{
	char path[512];
	int fd;

	hints_path(path, sizeof(path));
	fd = open(path, O_RDWR);
	if (fd < 0 || pwrite(fd, &v, sizeof(v), (off_t)which * 4) != 4)
		T_FAIL("pwrite %s: %s", path, strerror(errno));
	close(fd);
}

/*
 * In a child with a fresh view: the namespace is used, a System V queue
 * and a POSIX queue are created, used and removed, each call strict.  In
 * a round, R_FAIL; the same checks serve the directed cases.
 */
static void hints_calls(void *arg)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	struct msqid_ds ds;
	struct tmsg m;
	char b[64];
	ssize_t r;
	int qid;
	mqd_t mq;

	(void)arg;
	op("umq_ns_use with garbage hints");
	if (umq_ns_use(t_umq_dir()))
		R_FAIL("umq_ns_use refused hints: %s", strerrorname_np(errno));
	op("msgget(IPC_CREAT) with garbage hints");
	qid = umq_msgget(0x4242, IPC_CREAT | 0600);
	if (qid < 0)
		R_FAIL("msgget: %s", strerrorname_np(errno));
	op("the new id");
	if (umq_msgctl(qid, IPC_STAT, &ds))
		R_FAIL("msgget returned id %d, which names no queue: %s", qid,
		       strerrorname_np(errno));
	if (umq_msgget(0x4242, 0) != qid)
		R_FAIL("msgget(key) does not find the new queue: %s",
		       strerrorname_np(errno));
	mk(&m, 3, 200);
	if (umq_msgsnd(qid, &m, 200, IPC_NOWAIT))
		R_FAIL("msgsnd: %s", strerrorname_np(errno));
	memset(&m, 0, sizeof(m));
	r = umq_msgrcv(qid, &m, TXT_MAX, 0, IPC_NOWAIT);
	if (!intact(&m, r, 3, 200))
		R_FAIL("msgrcv: %zd %s", r, r < 0 ? strerrorname_np(errno) :
		       "(torn)");
	op("MSG_INFO with garbage hints");
	judge(umq_msgctl(0, MSG_INFO, &ds), LOG->op);
	if (umq_msgctl(qid, IPC_RMID, NULL))
		R_FAIL("IPC_RMID: %s", strerrorname_np(errno));
	op("mq_open(O_CREAT) with garbage hints");
	mq = umq_mq_open("/hints", O_CREAT | O_EXCL | O_RDWR, 0600, &a);
	if (mq == (mqd_t)-1)
		R_FAIL("mq_open: %s", strerrorname_np(errno));
	if (umq_mq_send(mq, "hint", 5, 1) ||
	    umq_mq_receive(mq, b, sizeof(b), NULL) != 5 ||
	    umq_mq_close(mq) || umq_mq_unlink("/hints"))
		R_FAIL("POSIX calls: %s", strerrorname_np(errno));
}

/* hints_calls, bounded, in a child: a failed check fails the case. */
static void hints_ok(const char *what)
{
	int st;

	LOG = t_shared(sizeof(*LOG));
	st = bounded_child(hints_calls, NULL);
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_PASS)
		return;
	if (WIFEXITED(st) && WEXITSTATUS(st) == R_FAILED)
		T_FAIL("%s: %s", what, LOG->why);
	T_FAIL("%s: status %#x during [%s]", what, st, LOG->op);
}

/* Each word at values a lying user might write. */
T_CASE(garbage_hints_words)
{
	static const int32_t bad[] = { -1, INT32_MIN, INT32_MAX, IPCMNI,
				       IPCMNI - 1, SEQ_MAX, 0x10000,
				       0x20000 };
	static const char *word[H_WORDS] = { "last index", "seq", "in use",
					     "POSIX count" };
	char what[80];

	for (int w = 0; w < H_WORDS; w++)
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			hint_put(w, bad[i]);
			snprintf(what, sizeof(what), "hint %s = %d", word[w],
				 (int)bad[i]);
			hints_ok(what);
		}
}

/* The file cut short, or not a file at all: no hints, no harm. */
T_CASE(garbage_hints_not_there)
{
	static const size_t sizes[] = { 0, 3, 100 };
	char path[512];

	hints_path(path, sizeof(path));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char what[64];
		if (truncate(path, (off_t)sizes[i]))
			T_FAIL("truncate: %s", strerror(errno));
		snprintf(what, sizeof(what), "ns cut to %zu bytes", sizes[i]);
		hints_ok(what);
	}
	T_OK(unlink(path));
	T_OK(mkfifo(path, 0666));
	hints_ok("ns a FIFO");
	T_OK(unlink(path));
	T_OK(mkdir(path, 0777));
	hints_ok("ns a directory");
	T_OK(rmdir(path));
	T_OK(symlink("/nonexistent/umq-hints", path));
	hints_ok("ns a dangling symlink");
	T_OK(unlink(path));
	hints_ok("ns missing");
}

/* Noise over the whole file: accepted, every call as if it were right. */
static void round_hints_noise(uint32_t seed)
{
	char path[512];
	uint8_t buf[NS_HINTS_SIZE];
	size_t off, len;
	int fd;

	seed_rng(seed, 0x5);
	op("setup");
	hints_path(path, sizeof(path));
	off = seed % 2 ? 0 : below(NS_HINTS_SIZE);
	len = 1 + below((uint32_t)(NS_HINTS_SIZE - off));
	fill_random(buf, len);
	fd = open(path, O_RDWR);
	if (fd < 0 || pwrite(fd, buf, len, (off_t)off) != (ssize_t)len)
		R_FAIL("pwrite ns: %s", strerror(errno));
	close(fd);
	did("random bytes [%zu, +%zu) of the hints", off, len);
	hints_calls(NULL);
}

T_CASE(garbage_hints_noise)
{
	rounds("hints noise", 100, round_hints_noise);
}

/*
 * The sequence hint out of the kernel's range (< SEQ_MAX): msgget must
 * not return an id that names no queue, nor fail with an errno that is
 * no errno.
 */
static void ns_seq(uint32_t seq)
{
	struct msqid_ds ds;
	int qid;

	hint_put(H_SEQ, (int32_t)seq);
	errno = 0;
	qid = umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (qid < 0)
		T_FAIL("hint seq %#x: msgget failed with errno %d (%s)", seq,
		       errno, strerrorname_np(errno) ?: "not an errno");
	if (umq_msgctl(qid, IPC_STAT, &ds))
		T_FAIL("hint seq %#x: msgget returned id %d, which names "
		       "no queue: IPC_STAT %s", seq, qid,
		       strerrorname_np(errno));
}

T_CASE(garbage_ns_seq_wraps_id) { ns_seq(0x20000); }
T_CASE(garbage_ns_seq_sign) { ns_seq(0x10000); }

/* ---- (f) a queue's control block (sysv/q.<gen>) -------------------------- */

/*
 * Noise over a queue's control block.  keep: leave its identity (state, seq, gen,
 * key) so the id still names it and the calls reach the noise; lock: the
 * noise covers the lock too (else the lock is left a valid free mutex).
 * Another queue must not notice.
 */
static void qctl_noise(uint32_t seed, bool keep, bool lock)
{
	struct qctl *q, save;
	struct qfile *f;
	struct tmsg m;
	int qid, other;
	ssize_t r;

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

	op("the other queue");
	mk(&m, 5, 500);
	if (umq_msgsnd(other, &m, 500, IPC_NOWAIT))
		R_FAIL("another queue after a control block's damage: msgsnd: %s",
		       strerrorname_np(errno));
	memset(&m, 0, sizeof(m));
	r = umq_msgrcv(other, &m, TXT_MAX, 5, IPC_NOWAIT);
	if (!intact(&m, r, 5, 500))
		R_FAIL("another queue after a control block's damage: msgrcv: %zd %s",
		       r, r < 0 ? strerrorname_np(errno) : "(torn)");
}

static void round_qctl(uint32_t seed)
{
	seed_rng(seed, 0x51);
	qctl_noise(seed, false, true);
}

static void round_qctl_keep(uint32_t seed)
{
	seed_rng(seed, 0x52);
	qctl_noise(seed, true, false);
}

static void round_qctl_keep_lock(uint32_t seed)
{
	seed_rng(seed, 0x53);
	qctl_noise(seed, true, true);
}

T_CASE(garbage_qctl)
{
	rounds("control block", 40, round_qctl);
}

T_CASE(garbage_qctl_fields)
{
	rounds("control block fields, identity kept", 60, round_qctl_keep);
}

T_CASE(garbage_qctl_lock)
{
	rounds("control block with its lock, identity kept", 20, round_qctl_keep_lock);
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
	fflush(NULL);
	dead = fork();
	if (dead < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
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

/* ---- (f) a waiter record ------------------------------------------------- */

/* A child blocked in msgrcv(msgtyp): its pid. */
static pid_t blocked_receiver(int qid, long msgtyp, int *out)
{
	fflush(NULL);
	pid_t pid = fork();

	if (pid < 0)
		R_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		struct tmsg m;
		long r;

		alarm(ROUND_MS / 1000 + 1);
		r = umq_msgrcv(qid, &m, TXT_MAX, msgtyp, 0);
		*out = r < 0 ? errno : 0;
		_exit(T_EXIT_PASS);
	}
	if (t_wait_sleeping(pid))
		R_FAIL("a receiver did not block");
	return pid;
}

/* A blocked receiver is its process's only thread: its tid is its pid. */
static int record_of(void *h, pid_t pid)
{
	for (uint32_t i = 0; i < Q_WAITERS; i++) {
		struct waiter *w = waiter_at(h, i);

		if (w->linked && w->tid == pid)
			return (int)i;
	}
	return -1;
}

/*
 * Two receivers blocked on a queue; noise over the first one's record
 * (its owner may suffer, nobody else may), or over a free record.  Then
 * sends, receives, IPC_RMID: the second receiver must end cleanly - with
 * a message or EIDRM - and the first must not crash.
 */
static void round_waiter(uint32_t seed)
{
	int *res = t_shared(2 * sizeof(int));
	struct tmsg m;
	pid_t b1, b2;
	void *h;
	int qid, idx;

	seed_rng(seed, 0x77);
	op("setup");
	qid = new_queue();
	res[0] = res[1] = -1;
	populate(qid, 3);
	b1 = blocked_receiver(qid, 9, &res[0]);
	b2 = blocked_receiver(qid, 9, &res[1]);
	h = pool_of(qid);
	idx = record_of(h, b1);
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
	int *res3 = t_shared(sizeof(int));
	*res3 = -1;
	pid_t b3 = blocked_receiver(qid, 10, res3);
	mk(&m, 10, 50);
	judge(umq_msgsnd(qid, &m, 50, IPC_NOWAIT), "msgsnd(mtype 10)");
	rmid(qid);

	op("the receivers after IPC_RMID");
	int st = t_wait_child(b2, 0, 1000);
	if (st == -1)
		R_FAIL("a healthy receiver still blocked 1 s after IPC_RMID");
	if (!WIFEXITED(st) || (res[1] && res[1] != EIDRM && res[1] != EUCLEAN))
		R_FAIL("the healthy receiver ended with status %#x, %s", st,
		       strerrorname_np(res[1]) ?: "?");
	st = t_wait_child(b3, 0, 1000);
	if (st == -1)
		R_FAIL("a receiver that blocked after the damage still blocks "
		       "1 s after IPC_RMID");
	if (!WIFEXITED(st) || (*res3 && *res3 != EIDRM && *res3 != EUCLEAN))
		R_FAIL("the new receiver ended with status %#x, %s", st,
		       strerrorname_np(*res3) ?: "?");
	st = t_wait_child(b1, 0, 300);
	if (st != -1 && WIFSIGNALED(st) && WTERMSIG(st) != SIGALRM)
		R_FAIL("the receiver whose record was damaged crashed: "
		       "signal %d", WTERMSIG(st));
	if (st == -1)
		kill(b1, SIGKILL);	/* its own record: it may sleep on */

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

/* ---- (g) the registry's entries in sysv/ --------------------------------- */

/*
 * Any user may make entries in sysv/ (a sticky directory, like /tmp): an
 * entry made by someone else, for a queue that is not there or that is
 * another, must mean nothing.  The scene: a live queue `real` (key
 * REAL_KEY, one message); a planted entry at index BAD_IDX or key
 * BAD_KEY; the cursor hint just before BAD_IDX, so that creations come
 * its way.
 */
#define BAD_IDX 100
#define REAL_KEY 0x5150
#define BAD_KEY 0x5151

struct scene {
	int real;
	uint64_t gen;
	int planted_id;		/* the id the planted index entry would give */
};

static struct scene *scene_make(void)
{
	struct scene *sc = t_shared(sizeof(*sc));
	struct tmsg m;

	LOG = t_shared(sizeof(*LOG));
	sc->real = (int)T_OK(umq_msgget(REAL_KEY, IPC_CREAT | 0666));
	mk(&m, 5, 100);
	T_OK(umq_msgsnd(sc->real, &m, 100, IPC_NOWAIT));
	sc->gen = t_umq_gen(sc->real);
	sc->planted_id = BAD_IDX;
	return sc;
}

static void entry_path(char *path, size_t n, const char *name)
{
	snprintf(path, n, "%s/sysv/%s", t_umq_dir(), name);
}

static void plant_link(const char *name, const char *target)
{
	char path[512];

	entry_path(path, sizeof(path), name);
	unlink(path);
	if (symlink(target, path))
		T_FAIL("symlink %s: %s", path, strerror(errno));
}

static void plant_gen(const char *name, uint64_t gen, int idx)
{
	char target[64];

	if (idx < 0)
		snprintf(target, sizeof(target), "%016llx",
			 (unsigned long long)gen);
	else
		snprintf(target, sizeof(target), "%016llx:%d",
			 (unsigned long long)gen, idx);
	plant_link(name, target);
}

/* Expect -1 and err from a call (the name, for the report). */
static void expect_err(long r, int err, const char *call)
{
	int e = errno;

	if (r != -1 || e != err)
		R_FAIL("%s returned %ld %s, expected -1 %s", call, r,
		       r == -1 ? strerrorname_np(e) ?: "?" : "",
		       strerrorname_np(err));
}

/*
 * In a child, through a fresh view: the planted index names no queue
 * (every call on its id is EINVAL, IPC_RMID too, which must not remove
 * anything); the real queue is whole; a listing sees it; new queues are
 * created (beside the planted index) and work; the planted key is not
 * found, and can be created.
 */
static void entry_calls(void *arg)
{
	struct scene *sc = arg;
	struct msqid_ds ds;
	struct tmsg m;
	ssize_t r;
	int id, seen = 0;

	op("umq_ns_use");
	if (umq_ns_use(t_umq_dir()))
		R_FAIL("umq_ns_use: %s", strerrorname_np(errno));
	op("calls on the planted index's id");
	expect_err(umq_msgctl(sc->planted_id, IPC_STAT, &ds), EINVAL,
		   "IPC_STAT");
	mk(&m, 1, 10);
	expect_err(umq_msgsnd(sc->planted_id, &m, 10, IPC_NOWAIT), EINVAL,
		   "msgsnd");
	expect_err(umq_msgrcv(sc->planted_id, &m, TXT_MAX, 0, IPC_NOWAIT),
		   EINVAL, "msgrcv");
	expect_err(umq_msgctl(BAD_IDX, MSG_STAT, &ds), EINVAL, "MSG_STAT");
	expect_err(umq_msgctl(BAD_IDX, MSG_STAT_ANY, &ds), EINVAL,
		   "MSG_STAT_ANY");
	expect_err(umq_msgctl(sc->planted_id, IPC_RMID, NULL), EINVAL,
		   "IPC_RMID");

	op("the real queue");
	if (umq_msgget(REAL_KEY, 0) != sc->real)
		R_FAIL("msgget(REAL_KEY): %s", strerrorname_np(errno));
	if (umq_msgctl(sc->real, IPC_STAT, &ds) || ds.msg_qnum != 1)
		R_FAIL("IPC_STAT of the real queue: %s, qnum %lu",
		       strerrorname_np(errno), (unsigned long)ds.msg_qnum);
	op("a listing by MSG_STAT_ANY");
	for (int i = 0; i < 200; i++) {
		id = umq_msgctl(i, MSG_STAT_ANY, &ds);
		if (id == sc->real)
			seen++;
		else if (id < 0 && errno != EINVAL)
			R_FAIL("MSG_STAT_ANY %d: %s", i,
			       strerrorname_np(errno));
	}
	if (seen != 1)
		R_FAIL("the listing shows the real queue %d times", seen);
	op("MSG_INFO");
	judge(umq_msgctl(0, MSG_INFO, &ds), LOG->op);

	op("new queues beside the planted entry");
	for (int i = 0; i < 3; i++) {
		id = umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		if (id < 0)
			R_FAIL("msgget(IPC_PRIVATE): %s",
			       strerrorname_np(errno));
		if (id == sc->real || (id & (IPCMNI - 1)) == BAD_IDX)
			R_FAIL("a new queue got the id %d", id);
		mk(&m, 2, 40);
		if (umq_msgsnd(id, &m, 40, IPC_NOWAIT) ||
		    !intact(&m, umq_msgrcv(id, &m, TXT_MAX, 2, IPC_NOWAIT),
			    2, 40) ||
		    umq_msgctl(id, IPC_RMID, NULL))
			R_FAIL("a new queue: %s", strerrorname_np(errno));
	}
	op("the planted key");
	expect_err(umq_msgget(BAD_KEY, 0), ENOENT, "msgget(BAD_KEY)");
	errno = 0;
	id = umq_msgget(BAD_KEY, IPC_CREAT | 0600);
	/* An entry we cannot remove holds the key, as another user's
	 * queue would: EACCES. */
	if (id < 0 && errno != EACCES)
		R_FAIL("msgget(BAD_KEY, IPC_CREAT): %s",
		       strerrorname_np(errno));
	if (id >= 0 && (id == sc->real || umq_msgget(BAD_KEY, 0) != id))
		R_FAIL("msgget(BAD_KEY, IPC_CREAT) gave %d, found as %d", id,
		       umq_msgget(BAD_KEY, 0));
	op("the real queue, last");
	memset(&m, 0, sizeof(m));
	r = umq_msgrcv(sc->real, &m, TXT_MAX, 0, IPC_NOWAIT);
	if (!intact(&m, r, 5, 100))
		R_FAIL("the real queue's message: %zd %s", r,
		       r < 0 ? strerrorname_np(errno) : "(torn)");
	if (umq_msgsnd(sc->real, &m, 100, IPC_NOWAIT))	/* for the next */
		R_FAIL("msgsnd to the real queue: %s", strerrorname_np(errno));
}

/* entry_calls, bounded, in a child. */
static void entries_ok(struct scene *sc, const char *what)
{
	int st;

	hint_put(H_LAST_IDX, BAD_IDX - 1);
	memset(LOG, 0, sizeof(*LOG));
	st = bounded_child(entry_calls, sc);
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_PASS)
		return;
	if (WIFEXITED(st) && WEXITSTATUS(st) == R_FAILED)
		T_FAIL("%s: during [%s]: %s", what, LOG->op, LOG->why);
	T_FAIL("%s: status %#x during [%s]", what, st, LOG->op);
}

/* Every kind of lie, at the index and at the key, one at a time. */
T_CASE(garbage_entries)
{
	struct scene *sc = scene_make();
	char name[32], kname[32], path[512], real_idx[16];
	struct { const char *what; int kind; } lies[] = {
		{ "to a generation that does not exist", 0 },
		{ "to the real queue's generation", 1 },
		{ "to generation 0", 2 },
		{ "to a generation above INT64_MAX", 3 },
		{ "to text that is no number", 4 },
		{ "to a long target", 5 },
		{ "a regular file", 6 },
		{ "a FIFO", 7 },
		{ "a directory", 8 },
	};
	char long_target[200];

	snprintf(name, sizeof(name), "i.%d", BAD_IDX);
	snprintf(kname, sizeof(kname), "k.%08x", BAD_KEY);
	snprintf(real_idx, sizeof(real_idx), "%d", sc->real & (IPCMNI - 1));
	memset(long_target, '7', sizeof(long_target) - 1);
	long_target[sizeof(long_target) - 1] = 0;
	for (size_t l = 0; l < sizeof(lies) / sizeof(lies[0]); l++) {
		for (int at_key = 0; at_key < 2; at_key++) {
			const char *n = at_key ? kname : name;
			char what[120];
			int kind = lies[l].kind;

			entry_path(path, sizeof(path), n);
			switch (kind) {
			case 0: plant_gen(n, 0x0123456789abcdefull,
					  at_key ? BAD_IDX : -1); break;
			case 1: plant_gen(n, sc->gen, at_key ?
					  sc->real & (IPCMNI - 1) : -1); break;
			case 2: plant_link(n, "0"); break;
			case 3: plant_link(n, "ffffffffffffffff"); break;
			case 4: plant_link(n, "zz:y"); break;
			case 5: plant_link(n, long_target); break;
			case 6: {
				int fd = open(path, O_CREAT | O_RDWR, 0666);
				T_OK(fd);
				T_OK(close(fd));
				break;
			}
			case 7: T_OK(mkfifo(path, 0666)); break;
			case 8: T_OK(mkdir(path, 0777)); break;
			}
			snprintf(what, sizeof(what), "%s %s", n, lies[l].what);
			entries_ok(sc, what);
			if (kind == 8)
				rmdir(path);
			else
				unlink(path);
			/* A creation of BAD_KEY that worked: gone again. */
			int id = umq_msgget(BAD_KEY, 0);
			if (id >= 0)
				T_OK(umq_msgctl(id, IPC_RMID, NULL));
		}
	}
	/* The real queue's own index, entry and key entry are untouched. */
	T_EQ(umq_msgget(REAL_KEY, 0), sc->real);
}

/* Copy file `from` of the namespace to `to` (O_EXCL). */
static void copy_file(const char *from, const char *to)
{
	char a[512], b[512], buf[65536];
	ssize_t n;
	off_t off = 0;
	int in, out;

	snprintf(a, sizeof(a), "%s/%s", t_umq_dir(), from);
	snprintf(b, sizeof(b), "%s/%s", t_umq_dir(), to);
	in = open(a, O_RDONLY);
	out = open(b, O_WRONLY | O_CREAT | O_EXCL, 0666);
	if (in < 0 || out < 0)
		T_FAIL("copy %s to %s: %s", a, b, strerror(errno));
	while ((n = pread(in, buf, sizeof(buf), off)) > 0) {
		if (pwrite(out, buf, (size_t)n, off) != n)
			T_FAIL("write %s: %s", b, strerror(errno));
		off += n;
	}
	close(in);
	close(out);
}

/* In a child, a fresh view: what IPC_STAT on id says (0 or errno), and
 * what msgget(key) finds. */
struct forged {
	int id;
	key_t key;
	int stat_err, found;
};

static void forged_calls(void *arg)
{
	struct forged *f = arg;
	struct msqid_ds ds;

	if (umq_ns_use(t_umq_dir()))
		_exit(T_EXIT_FAIL);
	f->stat_err = umq_msgctl(f->id, IPC_STAT, &ds) ? errno : 0;
	f->found = umq_msgget(f->key, 0);
}

static void forged_check(struct forged *f)
{
	int st = bounded_child(forged_calls, f);

	if (!WIFEXITED(st) || WEXITSTATUS(st) != T_EXIT_PASS)
		T_FAIL("calls on a forged queue: status %#x", st);
}

/*
 * A control block not owned by the creator it claims: another user's
 * copy of a root queue's files, at an index and a key of its own, with
 * cuid 0 and mode 0666 inside.  Owned by root (the control: the copy is
 * otherwise sound), the id and key work; owned by the forger, neither
 * names a queue.
 */
T_CASE(garbage_forged_control_block)
{
	struct forged *f = t_shared(sizeof(*f));
	char from[64], to[64], name[32];
	uint64_t gen, fgen;
	struct qfile *q;
	size_t size;
	uint32_t seq;
	int real;

	LOG = t_shared(sizeof(*LOG));
	if (geteuid() != 0)
		t_skip("needs root to give a file to another user");
	real = (int)T_OK(umq_msgget(REAL_KEY, IPC_CREAT | 0666));
	gen = t_umq_gen(real);
	fgen = gen ^ 0x5a5a5a5a5a5aull;
	snprintf(from, sizeof(from), "sysv/q.%016llx",
		 (unsigned long long)gen);
	snprintf(to, sizeof(to), "sysv/q.%016llx", (unsigned long long)fgen);
	copy_file(from, to);
	q = map_file(to, &size);
	q->q.gen = fgen;
	q->q.key = BAD_KEY;
	q->idx = BAD_IDX;
	seq = q->q.seq;
	munmap(q, size);
	snprintf(from, sizeof(from), "sysv/m.%016llx",
		 (unsigned long long)gen);
	snprintf(to, sizeof(to), "sysv/m.%016llx", (unsigned long long)fgen);
	copy_file(from, to);
	uint8_t *m = map_file(to, &size);
	memcpy(m + WPOOL_SIZE + offsetof(struct store_hdr, gen), &fgen,
	       sizeof(fgen));
	munmap(m, size);
	snprintf(name, sizeof(name), "i.%d", BAD_IDX);
	plant_gen(name, fgen, -1);
	snprintf(name, sizeof(name), "k.%08x", BAD_KEY);
	plant_gen(name, fgen, BAD_IDX);

	f->id = (int)(seq << IPCMNI_SHIFT | BAD_IDX);
	f->key = BAD_KEY;
	forged_check(f);
	if (f->stat_err || f->found != f->id)
		T_FAIL("the control: a sound copy owned by its creator is not "
		       "a queue (IPC_STAT %s, msgget %d)",
		       f->stat_err ? strerrorname_np(f->stat_err) : "ok",
		       f->found);

	snprintf(to, sizeof(to), "%s/sysv/q.%016llx", t_umq_dir(),
		 (unsigned long long)fgen);
	T_OK(chown(to, 1000, 1000));
	forged_check(f);
	if (f->stat_err != EINVAL)
		T_FAIL("a control block owned by uid 1000 claiming cuid 0: "
		       "IPC_STAT %s, expected EINVAL",
		       f->stat_err ? strerrorname_np(f->stat_err) : "ok");
	if (f->found != -1)
		T_FAIL("a control block owned by uid 1000 claiming cuid 0: "
		       "msgget(key) found %d", f->found);
	/* The real queue is untouched. */
	T_EQ(umq_msgget(REAL_KEY, 0), real);
	T_OK(umq_msgctl(real, IPC_RMID, NULL));
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
