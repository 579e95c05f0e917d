/* SPDX-License-Identifier: MIT */
/*
 * posix_garbage.c - shared memory is untrusted (DESIGN.md §6), POSIX
 * queues: garbage in any file a queue's user can write gives a clean
 * error (EUCLEAN for damage that cannot be repaired, EPROTO for another
 * layout version, or the kernel's errnos) or a repaired queue - never a
 * crash, never a hang, and a message that comes out is one that was sent,
 * intact, unless the damage was in its own text.
 *
 * The files of a queue (layout.h): posix/<gen> (struct pqctl, the waiter
 * pool from PQ_WPOOL_OFF, the store from PQ_STORE_OFF), its FIFO
 * posix/<gen>.p, its name names/<name>.  Each round makes a queue with
 * messages in a process that then exits, damages the files through a
 * mapping of its own (or replaces, truncates or extends them), and then
 * uses the queue from a process that never mapped it: mq_open, sends and
 * receives (O_NONBLOCK, and timed with short timeouts on a blocking
 * descriptor), mq_getattr, mq_setattr, mq_notify, umq_mq_peek, poll,
 * mq_close, mq_unlink, umq_mq_stat and a listing, and a new queue beside
 * the damaged one.  Every round is a process of its own under an alarm,
 * as in sysv_garbage.c, so a crash or a hang is counted against its seed.
 * UMQ_T_SEED=n runs round n alone and shows what it did.
 *
 * Every message's text says which one it is, so whatever comes out is
 * checked against what was sent (unless the damage was in the chunks,
 * where nothing can tell); after damage to what is derived (counters,
 * wait lists, free records, indexes) every message sent comes out, once.
 * mq_getattr must say what a queue can be.  Garbage in a registration
 * signals nobody but the registrant; a block that claims another owner
 * lets nobody in (the files' modes decide).
 *
 * Truncating a file that a process has mapped makes that process's next
 * access SIGBUS (DESIGN §6 "Residual"): files are truncated here only
 * while no process maps them, which the library must check before it
 * maps them.
 */
#include "t.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "internal.h"

/* ---- rounds: one process each, its fate recorded ------------------------- */

struct round_log {
	char op[160];		/* the call in progress */
	char what[300];		/* the damage done */
	char why[300];		/* a failed check */
};

static struct round_log *LOG;
static bool verbose;

__attribute__((format(printf, 1, 2)))
static void op(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(LOG->op, sizeof(LOG->op), fmt, ap);
	va_end(ap);
	if (verbose)
		t_note("op: %s", LOG->op);
}

__attribute__((format(printf, 1, 2)))
static void did(const char *fmt, ...)
{
	size_t n = strlen(LOG->what);
	va_list ap;

	if (n && n < sizeof(LOG->what) - 2)
		LOG->what[n++] = ';', LOG->what[n++] = ' ';
	va_start(ap, fmt);
	vsnprintf(LOG->what + n, sizeof(LOG->what) - n, fmt, ap);
	va_end(ap);
	if (verbose)
		t_note("damage: %s", LOG->what);
}

/* How a round ends, besides passing: a failed check, a deadline.  Any
 * other status (a signal, a sanitizer's exit) is a crash. */
#define R_FAILED 4
#define R_HUNG 3

#define R_FAIL(...)                                                     \
	do {                                                            \
		snprintf(LOG->why, sizeof(LOG->why), __VA_ARGS__);      \
		if (verbose)                                            \
			t_note("%s:%d: %s", __FILE__, __LINE__, LOG->why); \
		_exit(R_FAILED);                                        \
	} while (0)

static void on_alarm(int sig)
{
	(void)sig;
	_exit(R_HUNG);	/* the parent reads "hung" and LOG->op */
}

struct tally {
	int rounds, crashed, hung, failed;
	char first[3][800];	/* the first of each kind, for the report */
};

#define SHOW_MAX 12		/* failed rounds listed one per line */

static void tally_note(struct tally *t, int kind, uint32_t seed,
		       const char *fate)
{
	if (t->crashed + t->hung + t->failed < SHOW_MAX)
		t_note("seed %u %s during [%.160s]%s%.300s", seed, fate,
		       LOG->op, LOG->why[0] ? ": " : "", LOG->why);
	if (!t->first[kind][0])
		snprintf(t->first[kind], sizeof(t->first[kind]),
			 "seed %u %.40s during [%.160s] after [%.250s]%s%.300s",
			 seed, fate, LOG->op, LOG->what,
			 LOG->why[0] ? ": " : "", LOG->why);
}

static void tally(struct tally *t, uint32_t seed, int st)
{
	char f[40];

	t->rounds++;
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_PASS)
		return;
	if (WIFEXITED(st) && WEXITSTATUS(st) == R_HUNG) {
		tally_note(t, 1, seed, "hung");
		t->hung++;
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == R_FAILED) {
		tally_note(t, 2, seed, "failed");
		t->failed++;
	} else {
		if (WIFSIGNALED(st))
			snprintf(f, sizeof(f), "crashed (signal %d)",
				 WTERMSIG(st));
		else
			snprintf(f, sizeof(f), "crashed (exit %d: sanitizer?)",
				 WEXITSTATUS(st));
		tally_note(t, 0, seed, f);
		t->crashed++;
	}
}

/* Stop early after this many hangs: each costs its deadline. */
#define MAX_HUNG 3
#define ROUND_S 10

/*
 * Remove every POSIX queue's files, between rounds: a damaged queue may
 * be beyond mq_unlink, and its count would refuse creations at last.
 */
static void wipe_dir(const char *sub)
{
	char path[512];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", t_umq_dir(), sub);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) &&
		    (errno == EISDIR || errno == EPERM))
			unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

static void wipe(void)
{
	wipe_dir("names");
	wipe_dir("posix");
}

/*
 * Run fn(seed) for each seed in a child of its own, which makes its own
 * process group, so helpers it forks go with it; the namespace's POSIX
 * queues are wiped before each.
 */
static void rounds(const char *name, uint32_t n, void (*fn)(uint32_t))
{
	struct tally t = { 0 };
	const char *only = getenv("UMQ_T_SEED");
	uint32_t first = 1, last = n;

	LOG = t_shared(sizeof(*LOG));
	if (only) {
		first = last = (uint32_t)strtoul(only, NULL, 0);
		verbose = true;
	}
	for (uint32_t seed = first; seed <= last && t.hung < MAX_HUNG;
	     seed++) {
		memset(LOG, 0, sizeof(*LOG));
		wipe();
		fflush(NULL);
		pid_t pid = fork();
		if (pid < 0)
			T_FAIL("fork: %s", strerror(errno));
		if (pid == 0) {
			struct sigaction sa = { .sa_handler = on_alarm };

			setpgid(0, 0);
			sigemptyset(&sa.sa_mask);
			sigaction(SIGALRM, &sa, NULL);
			alarm(ROUND_S);
			fn(seed);
			_exit(T_EXIT_PASS);
		}
		int st = t_wait_child(pid, 0, ROUND_S * 1000 + 3000);
		kill(-pid, SIGKILL);	/* its helpers */
		if (st == -1) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			st = R_HUNG << 8;
		}
		tally(&t, seed, st);
	}
	t_note("%s: %d rounds, %d crashed, %d hung%s, %d failed a check", name,
	       t.rounds, t.crashed, t.hung,
	       t.hung >= MAX_HUNG ? " (stopped there)" : "", t.failed);
	for (int k = 0; k < 3; k++)
		if (t.first[k][0])
			t_note("first %s: %s", k == 0 ? "crash" : k == 1 ?
			       "hang" : "failure", t.first[k]);
	if (t.crashed || t.hung || t.failed)
		T_FAIL("%s: %d of %d rounds crashed, hung or failed (rerun one "
		       "with UMQ_T_SEED=<seed>)", name,
		       t.crashed + t.hung + t.failed, t.rounds);
}

/* ---- a small deterministic generator ------------------------------------ */

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static void seed_rng(uint32_t seed, uint32_t salt)
{
	rng = 0x9e3779b97f4a7c15ull * (seed + 1) ^ salt;
	for (int i = 0; i < 8; i++)
		rnd();
}

static void fill_random(void *p, size_t n)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rnd();
}

static uint64_t plausible64(uint64_t old)
{
	switch (below(7)) {
	case 0:
		return old + 1;
	case 1:
		return old - 1;
	case 2:
		return old * 2 + below(300);
	case 3:
		return below(20000);
	case 4:
		return 0;
	case 5:
		return (uint64_t)1 << (32 + below(31));
	}
	return rnd();
}

/* ---- messages: each one says who it is ----------------------------------- */

/*
 * A message's text: a mark, its number in the round's table, its
 * priority's low byte, then a pattern of the number.  Every message sent
 * is in the table (shared with the processes of the round), so any
 * message that comes out is checked against what was sent.
 */
#define MSG_MARK 0xa7
#define SENT_MAX 250
#define RBUF 16384
#define GUARD 64

struct sent {
	int n;
	bool text_damaged;	/* the round wrote into message text */
	bool lossless;		/* the damage loses no message */
	struct { uint32_t prio, len; } m[SENT_MAX];
	uint8_t queued[SENT_MAX];	/* its send succeeded */
};

static struct sent *SENT;

static uint8_t pat(uint32_t id, uint32_t i)
{
	return (uint8_t)(id * 131 + i * 7 + (i >> 8));
}

/* A new message of len >= 4 bytes at priority prio, in buf: its id. */
static int mk(char *buf, uint32_t prio, uint32_t len)
{
	int id = SENT->n;

	if (id >= SENT_MAX)
		R_FAIL("test bug: more than %d messages", SENT_MAX);
	SENT->m[id].prio = prio;
	SENT->m[id].len = len;
	SENT->n++;
	buf[0] = (char)MSG_MARK;
	buf[1] = (char)id;
	buf[2] = (char)prio;
	buf[3] = (char)(len & 0xff);
	for (uint32_t i = 4; i < len; i++)
		buf[i] = (char)pat((uint32_t)id, i);
	return id;
}

/* A message that came out (n bytes, priority prio) is one that was sent,
 * intact: its id, or -1. */
static int which(const char *buf, ssize_t n, unsigned prio)
{
	const uint8_t *b = (const uint8_t *)buf;
	int id;

	if (n < 4 || b[0] != MSG_MARK || b[1] >= SENT->n)
		return -1;
	id = b[1];
	if (SENT->m[id].len != (uint32_t)n || SENT->m[id].prio != prio ||
	    b[2] != (uint8_t)prio || b[3] != (uint8_t)(n & 0xff))
		return -1;
	for (uint32_t i = 4; i < (uint32_t)n; i++)
		if (b[i] != pat((uint32_t)id, i))
			return -1;
	return id;
}

/* A message received: intact, unless its text may have been damaged. */
static void check_msg(const char *buf, ssize_t n, unsigned prio,
		      const char *call)
{
	if (SENT->text_damaged || which(buf, n, prio) >= 0)
		return;
	R_FAIL("%s returned %zd bytes at priority %u that were never sent "
	       "(first bytes %02x %02x %02x %02x)", call, n, prio,
	       n > 0 ? (uint8_t)buf[0] : 0, n > 1 ? (uint8_t)buf[1] : 0,
	       n > 2 ? (uint8_t)buf[2] : 0, n > 3 ? (uint8_t)buf[3] : 0);
}

static bool clean_errno(int e)
{
	switch (e) {
	case EUCLEAN: case EPROTO:	/* damage, another layout */
	case EAGAIN: case ETIMEDOUT: case EMSGSIZE: case EBUSY:
	case ENOENT: case EACCES: case EINVAL: case EEXIST: case ENOMEM:
	case ENOSPC: case EMFILE:
		return true;
	}
	return false;
}

/* A call's result: success, or -1 with a clean errno.  Else the round
 * fails.  Returns the errno (0 on success). */
static int judge(long r, const char *call)
{
	int e = errno;

	if (r >= 0)
		return 0;
	if (r != -1 || !clean_errno(e))
		R_FAIL("%s returned %ld errno %s", call, r,
		       strerrorname_np(e) ?: "?");
	return e;
}

/* ---- the files ----------------------------------------------------------- */

static void ns_path(char *path, size_t n, const char *name)
{
	snprintf(path, n, "%s/%s", t_umq_dir(), name);
}

/* The generation names/<name> points to (name without '/'), 0 if none. */
static uint64_t gen_of(const char *name)
{
	char path[512], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/names/%s", t_umq_dir(), name);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = 0;
	return strtoull(target, NULL, 16);
}

static void data_path(char *path, size_t n, uint64_t gen, const char *sfx)
{
	snprintf(path, n, "%s/posix/%016llx%s", t_umq_dir(),
		 (unsigned long long)gen, sfx);
}

/* A queue's data file, mapped whole. */
struct qmap {
	uint8_t *base;
	size_t size;
	struct pqctl *c;
	uint64_t *bitmap;
	struct waiter *rec;
	/* the store */
	struct store_hdr *st;
	size_t ssize;
	uint32_t chunk, nchunks, hcap;
	uint8_t *chunks;	/* chunk 0 */
	uint8_t *index;		/* buckets, then the two heaps */
	size_t index_size, buckets_size;
};

static void qmap_of(uint64_t gen, struct qmap *q)
{
	char path[512];
	struct stat st;
	int fd;

	data_path(path, sizeof(path), gen, "");
	fd = open(path, O_RDWR);
	if (fd < 0 || fstat(fd, &st))
		R_FAIL("open %.200s: %s", path, strerror(errno));
	if ((size_t)st.st_size < PQ_STORE_OFF + STORE_HDR_SIZE)
		R_FAIL("test bug: %.200s is %lld bytes", path,
		       (long long)st.st_size);
	q->size = (size_t)st.st_size;
	q->base = mmap(NULL, q->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       0);
	close(fd);
	if (q->base == MAP_FAILED)
		R_FAIL("mmap %.200s: %s", path, strerror(errno));
	q->c = (struct pqctl *)q->base;
	q->bitmap = (uint64_t *)(q->base + PQ_WPOOL_OFF);
	q->rec = (struct waiter *)(q->base + PQ_WPOOL_OFF + WPOOL_REC_OFF);
	q->st = (struct store_hdr *)(q->base + PQ_STORE_OFF);
	q->ssize = q->size - PQ_STORE_OFF;
	q->chunk = q->st->chunk_size;
	q->nchunks = q->st->nchunks;
	/* layout.h: hcap is the power of two >= 2 * nchunks (16 at least). */
	for (q->hcap = 16; q->hcap < 2 * q->nchunks; q->hcap <<= 1)
		;
	q->chunks = (uint8_t *)q->st + STORE_HDR_SIZE;
	q->index = q->chunks + (size_t)q->nchunks * q->chunk;
	q->buckets_size = (size_t)q->hcap * sizeof(struct bucket);
	q->index_size = q->buckets_size + 2 * (size_t)q->nchunks * 4;
	if ((size_t)(q->index - (uint8_t *)q->st) + q->index_size > q->ssize)
		R_FAIL("test bug: the store's layout is not what layout.h "
		       "says");
}

static void qmap_unmap(struct qmap *q)
{
	munmap(q->base, q->size);
}

/* ---- a round's queue ----------------------------------------------------- */

#define QNAME "/g"
#define MAXMSG 8

struct setup {
	long msgsize;
	int nsend, ntake;
};

static struct setup SU;
static uint8_t *OUT;		/* per message id: times it came out */

static void count_out(const char *buf, ssize_t n, unsigned prio,
		      const char *call)
{
	int id;

	check_msg(buf, n, prio, call);
	id = which(buf, n, prio);
	if (id < 0 || SENT->text_damaged)
		return;
	if (++OUT[id] > 1)
		R_FAIL("%s: message %d came out twice", call, id);
}

/* Fork fn(arg) and wait for it (bounded by the round's alarm): a failed
 * check there fails the round. */
static void in_child(void (*fn)(void *), void *arg)
{
	int st;

	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		R_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		fn(arg);
		_exit(T_EXIT_PASS);
	}
	if (waitpid(pid, &st, 0) != pid)
		R_FAIL("waitpid: %s", strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_PASS)
		return;
	if (WIFEXITED(st) && (WEXITSTATUS(st) == R_FAILED ||
			      WEXITSTATUS(st) == R_HUNG))
		_exit(WEXITSTATUS(st));
	R_FAIL("a helper process ended with status %#x", st);
}

static uint32_t some_prio(void)
{
	return below(4) ? below(6) : below(32768);
}

/* Make the queue and its messages, then exit: nobody maps it after. */
static void setup_queue(void *arg)
{
	struct mq_attr a = { .mq_maxmsg = MAXMSG, .mq_msgsize = SU.msgsize };
	char buf[RBUF];
	unsigned prio;
	mqd_t d;

	(void)arg;
	op("setup: mq_open(O_CREAT)");
	d = umq_mq_open(QNAME, O_CREAT | O_EXCL | O_RDWR | O_NONBLOCK, 0600,
			&a);
	if (d == (mqd_t)-1)
		R_FAIL("setup mq_open: %s", strerrorname_np(errno));
	for (int i = 0; i < SU.nsend; i++) {
		uint32_t p = some_prio(),
			 len = 4 + below((uint32_t)SU.msgsize - 3);
		int id = mk(buf, p, len);
		op("setup: mq_send #%d", i);
		if (umq_mq_send(d, buf, len, p))
			R_FAIL("setup mq_send: %s", strerrorname_np(errno));
		SENT->queued[id] = 1;
	}
	for (int i = 0; i < SU.ntake; i++) {
		op("setup: mq_receive #%d", i);
		ssize_t r = umq_mq_receive(d, buf, RBUF, &prio);
		if (r < 0)
			R_FAIL("setup mq_receive: %s", strerrorname_np(errno));
		count_out(buf, r, prio, "setup mq_receive");
	}
	if (umq_mq_close(d))
		R_FAIL("setup mq_close: %s", strerrorname_np(errno));
}

/* A round's queue, made by a process that is gone: its generation. */
static uint64_t round_queue(uint32_t seed, uint32_t salt, int nsend,
			    int ntake)
{
	uint64_t gen;

	seed_rng(seed, salt);
	SENT = t_shared(sizeof(*SENT));
	OUT = t_shared(SENT_MAX);
	SU.msgsize = below(2) ? 100 : 1000;
	SU.nsend = nsend;
	SU.ntake = ntake;
	in_child(setup_queue, NULL);
	rnd();		/* the child drew from a copy of the generator */
	seed_rng(seed, salt ^ 0x5a5a);
	gen = gen_of(QNAME + 1);
	if (!gen)
		R_FAIL("setup: no names/%s", QNAME + 1);
	return gen;
}

/* ---- the calls ----------------------------------------------------------- */

static void guard_set(char *buf)
{
	memset(buf + RBUF, 0x5c, GUARD);
}

static void guard_check(const char *buf, ssize_t r, size_t sz,
			const char *call)
{
	for (int i = 0; i < GUARD; i++)
		if ((uint8_t)buf[RBUF + i] != 0x5c)
			R_FAIL("%s wrote past the caller's buffer", call);
	if (r > (ssize_t)sz)
		R_FAIL("%s returned %zd for a buffer of %zu", call, r, sz);
}

static ssize_t recv_one(mqd_t d, char *buf, size_t sz, const char *call,
			const struct timespec *ts)
{
	unsigned prio = 0;
	ssize_t r;

	guard_set(buf);
	r = ts ? umq_mq_timedreceive(d, buf, sz, &prio, ts) :
		 umq_mq_receive(d, buf, sz, &prio);
	judge(r, call);
	guard_check(buf, r, sz, call);
	if (r >= 0)
		count_out(buf, r, prio, call);
	return r;
}

static void send_one(mqd_t d, const struct timespec *ts, const char *call)
{
	char buf[RBUF];
	uint32_t prio = some_prio(),
		 len = 4 + below((uint32_t)SU.msgsize - 3);

	int id = mk(buf, prio, len);
	if (!judge(ts ? umq_mq_timedsend(d, buf, len, prio, ts) :
			umq_mq_send(d, buf, len, prio), call))
		SENT->queued[id] = 1;
}

static struct timespec soon(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000000;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	return ts;
}

/* What umq_mq_stat and a listing say of the namespace: anything, but
 * cleanly. */
static void inspect(void)
{
	struct umq_mq_info info;
	struct umq_mq_list *l;
	int r, n = 0;

	op("umq_mq_stat");
	judge(umq_mq_stat(QNAME, &info), LOG->op);
	op("umq_mq_list_open");
	l = umq_mq_list_open();
	if (!l) {
		judge(-1, LOG->op);
		return;
	}
	do {
		op("umq_mq_list_next #%d", n);
		r = umq_mq_list_next(l, &info);
		judge(r, LOG->op);
	} while (r == 1 && ++n < 100);
	umq_mq_list_close(l);
}

/* The queue could not be opened: what else a user would try. */
static void refused(void)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	mqd_t d;

	op("mq_open(O_CREAT) of the name of a refused queue");
	d = umq_mq_open(QNAME, O_CREAT | O_RDWR | O_NONBLOCK, 0600, &a);
	if (!judge(d, LOG->op)) {
		op("mq_send on the queue mq_open(O_CREAT) gave");
		send_one(d, NULL, LOG->op);
		op("mq_close after mq_open(O_CREAT)");
		judge(umq_mq_close(d), LOG->op);
	}
	inspect();
	op("umq_mq_peek_name of a refused queue");
	{
		struct umq_peek_msg pm = { 0 };
		judge(umq_mq_peek_name(QNAME, 0, &pm, 1), LOG->op);
	}
}

static void peek(mqd_t d)
{
	static char bufs[4][RBUF];
	struct umq_peek_msg pm[4];
	ssize_t n;

	memset(pm, 0, sizeof(pm));
	for (int i = 0; i < 4; i++) {
		pm[i].text = bufs[i];
		pm[i].size = i == 3 ? 8 : RBUF;
	}
	op("umq_mq_peek");
	n = umq_mq_peek(d, 0, pm, 4);
	judge(n, LOG->op);
	if (n > 4)
		R_FAIL("umq_mq_peek returned %zd for 4 places", n);
	for (ssize_t i = 0; i < n; i++) {
		if (pm[i].copied > pm[i].size || pm[i].copied > pm[i].len)
			R_FAIL("umq_mq_peek copied %zu of %zu into %zu",
			       pm[i].copied, pm[i].len, pm[i].size);
		if (pm[i].size == RBUF && pm[i].len <= RBUF)
			check_msg(bufs[i], (ssize_t)pm[i].len,
				  (unsigned)pm[i].type, "umq_mq_peek");
	}
}

/* What mq_getattr says is something a queue can be: maxmsg and msgsize
 * as some creator could have asked, no more messages than maxmsg. */
static void getattr(mqd_t d)
{
	struct mq_attr a;

	if (!judge(umq_mq_getattr(d, &a), LOG->op) &&
	    (a.mq_maxmsg < 1 || a.mq_maxmsg > 65536 || a.mq_msgsize < 1 ||
	     a.mq_msgsize > (16 << 20) || a.mq_curmsgs < 0 ||
	     a.mq_curmsgs > a.mq_maxmsg || (a.mq_flags & ~O_NONBLOCK)))
		R_FAIL("mq_getattr says flags %#lx maxmsg %ld msgsize %ld "
		       "curmsgs %ld", a.mq_flags, a.mq_maxmsg, a.mq_msgsize,
		       a.mq_curmsgs);
}

/*
 * The bounded set of calls every round makes on the damaged queue, from
 * this process, which never mapped it.  Each must succeed or fail
 * cleanly, and a message that comes out must be one that was sent.
 * Returns whether the queue could be opened.
 */
static bool use(void)
{
	static char buf[RBUF + GUARD];
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	struct mq_attr a, na = { 0 };
	struct pollfd pfd;
	struct timespec ts;
	char line[128];
	sigset_t usr2;
	mqd_t d, b;

	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, NULL);

	op("mq_open(O_RDWR | O_NONBLOCK)");
	d = umq_mq_open(QNAME, O_RDWR | O_NONBLOCK);
	if (judge(d, LOG->op)) {
		refused();
		return false;
	}
	op("mq_getattr");
	getattr(d);
	inspect();
	peek(d);
	for (int k = 0; k < 3; k++) {
		op("mq_receive #%d", k);
		recv_one(d, buf, RBUF, LOG->op, NULL);
	}
	op("mq_receive into 8 bytes");
	recv_one(d, buf, 8, LOG->op, NULL);
	for (int k = 0; k < 3; k++) {
		op("mq_send #%d", k);
		send_one(d, NULL, LOG->op);
	}
	op("poll");
	pfd.fd = d;
	pfd.events = POLLIN | POLLOUT;
	if (poll(&pfd, 1, 0) < 0 || (pfd.revents & POLLNVAL))
		R_FAIL("poll on the mqd: %s, revents %#x",
		       strerrorname_np(errno), pfd.revents);
	op("mq_setattr(0)");
	judge(umq_mq_setattr(d, &na, &a), LOG->op);
	na.mq_flags = O_NONBLOCK;
	op("mq_setattr(O_NONBLOCK)");
	judge(umq_mq_setattr(d, &na, NULL), LOG->op);

	op("mq_open(O_RDWR), blocking");
	b = umq_mq_open(QNAME, O_RDWR);
	if (!judge(b, LOG->op)) {
		op("mq_timedreceive, 20 ms");
		ts = soon(20);
		recv_one(b, buf, RBUF, LOG->op, &ts);
		op("mq_timedsend, 20 ms");
		ts = soon(20);
		send_one(b, &ts, LOG->op);
		op("mq_timedreceive, a timeout in the past");
		ts = soon(-1000);
		recv_one(b, buf, RBUF, LOG->op, &ts);
		op("mq_close of the blocking descriptor");
		judge(umq_mq_close(b), LOG->op);
	}

	op("mq_notify(SIGEV_NONE)");
	judge(umq_mq_notify(d, &sev), LOG->op);
	op("mq_notify(NULL)");
	judge(umq_mq_notify(d, NULL), LOG->op);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR2;
	op("mq_notify(SIGEV_SIGNAL)");
	judge(umq_mq_notify(d, &sev), LOG->op);
	for (int k = 0; k < 2; k++) {
		op("mq_receive after mq_notify #%d", k);
		recv_one(d, buf, RBUF, LOG->op, NULL);
	}
	op("mq_send after mq_notify");
	send_one(d, NULL, LOG->op);
	op("umq_mq_status");
	judge(umq_mq_status(d, line, sizeof(line)), LOG->op);
	op("mq_getattr, last");
	getattr(d);
	op("mq_close");
	judge(umq_mq_close(d), LOG->op);
	return true;
}

/*
 * After damage the library can repair (the store: chunks, indexes,
 * derived header fields; the control block's counters): the queue drains
 * to empty with mq_getattr saying so, and a new message goes through
 * intact.
 */
static void repaired(void)
{
	static char buf[RBUF + GUARD];
	struct mq_attr a;
	int n, eu = 0;
	ssize_t r;
	mqd_t d;

	op("mq_open for the repair");
	d = umq_mq_open(QNAME, O_RDWR | O_NONBLOCK);
	if (d == (mqd_t)-1)
		R_FAIL("a repairable queue cannot be opened: %s",
		       strerrorname_np(errno));
	for (n = 0; n < 1000; n++) {
		op("drain mq_receive #%d", n);
		r = recv_one(d, buf, RBUF, LOG->op, NULL);
		if (r >= 0)
			continue;
		if (errno == EAGAIN)
			break;
		if (errno == EUCLEAN && ++eu <= 2)
			continue;	/* a rebuild may take a call */
		R_FAIL("drain: mq_receive keeps failing: %s",
		       strerrorname_np(errno));
	}
	if (n == 1000)
		R_FAIL("the drain does not end");
	op("mq_getattr after the drain");
	if (umq_mq_getattr(d, &a))
		R_FAIL("mq_getattr after the drain: %s",
		       strerrorname_np(errno));
	if (a.mq_curmsgs)
		R_FAIL("drained to EAGAIN, but mq_getattr says %ld messages",
		       a.mq_curmsgs);
	if (SENT->lossless && !SENT->text_damaged) {
		char lost[200] = "";
		int nl = 0;

		for (int i = 0; i < SENT->n; i++)
			if (SENT->queued[i] && !OUT[i] && nl++ < 20)
				snprintf(lost + strlen(lost),
					 sizeof(lost) - strlen(lost), " %d", i);
		if (nl)
			R_FAIL("drained to EAGAIN, but %d messages sent never "
			       "came out:%s", nl, lost);
	}
	op("mq_send of a new message after the repair");
	int id = mk(buf, 7, 50);
	if (umq_mq_send(d, buf, 50, 7))
		R_FAIL("a new message after the repair: mq_send: %s",
		       strerrorname_np(errno));
	op("mq_receive of the new message");
	memset(buf, 0, 64);
	unsigned prio = 0;
	r = umq_mq_receive(d, buf, RBUF, &prio);
	if (r != 50 || prio != 7 || which(buf, r, prio) != id)
		R_FAIL("the new message after the repair came back as %zd "
		       "(%s)", r, r < 0 ? strerrorname_np(errno) : "torn");
	op("mq_close after the repair");
	if (umq_mq_close(d))
		R_FAIL("mq_close: %s", strerrorname_np(errno));
}

/* The end of every round: the name goes, and a new queue works. */
static void finish(void)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	char buf[RBUF];
	unsigned prio;
	ssize_t r;
	mqd_t d;

	op("mq_unlink");
	judge(umq_mq_unlink(QNAME), LOG->op);
	op("a new queue beside the damaged one");
	d = umq_mq_open("/fresh", O_CREAT | O_EXCL | O_RDWR | O_NONBLOCK,
			0600, &a);
	if (d == (mqd_t)-1)
		R_FAIL("a new queue after the damage: mq_open: %s",
		       strerrorname_np(errno));
	int id = mk(buf, 2, 40);
	if (umq_mq_send(d, buf, 40, 2))
		R_FAIL("a new queue after the damage: mq_send: %s",
		       strerrorname_np(errno));
	r = umq_mq_receive(d, buf, RBUF, &prio);
	if (r != 40 || which(buf, r, prio) != id)
		R_FAIL("a new queue after the damage: mq_receive: %zd %s", r,
		       r < 0 ? strerrorname_np(errno) : "(torn)");
	if (umq_mq_close(d) || umq_mq_unlink("/fresh"))
		R_FAIL("a new queue after the damage: close/unlink: %s",
		       strerrorname_np(errno));
}

/* ---- the control block --------------------------------------------------- */

static uint32_t plausible_rec(void)
{
	switch (below(4)) {
	case 0:
		return NIL;
	case 1:
		return below(8);
	case 2:
		return below(Q_WAITERS + 2);
	}
	return (uint32_t)rnd();
}

static int64_t plausible_size(void)
{
	static const int64_t v[] = { 0, -1, 1, 2, 3, 64, MAXMSG + 1, 8192,
				     65536, 1 << 24, INT32_MAX, INT64_MAX,
				     INT64_MIN };

	return below(3) ? v[below(sizeof(v) / sizeof(v[0]))] :
			  (int64_t)rnd();
}

/*
 * Fields of the control block a user of the queue can write.  Returns
 * whether what was damaged is derived (counters, lists, readiness,
 * registration) and so repairable.
 */
static bool damage_field(struct pqctl *c)
{
	switch (below(14)) {
	case 0:
		c->curmsgs = plausible64(c->curmsgs);
		did("curmsgs = %llu", (unsigned long long)c->curmsgs);
		break;
	case 1:
		c->qsize = plausible64(c->qsize);
		did("qsize = %llu", (unsigned long long)c->qsize);
		break;
	case 2:
		c->wl.rhead = plausible_rec();
		c->wl.rtail = plausible_rec();
		did("receivers' list %u..%u", c->wl.rhead, c->wl.rtail);
		break;
	case 3:
		c->wl.shead = plausible_rec();
		c->wl.stail = plausible_rec();
		did("senders' list %u..%u", c->wl.shead, c->wl.stail);
		break;
	case 4:
		c->wl.order = rnd();
		c->events = (uint32_t)rnd();
		c->lock_ns = (uint32_t)rnd();
		did("order, events, lock_ns random");
		break;
	case 5:
		c->rstate = below(2) ? below(6) : (uint32_t)rnd();
		did("rstate = %u", c->rstate);
		break;
	case 6:
		c->notify_pid = below(2) ? (int32_t)getpid() :
			below(2) ? 1 : (int32_t)rnd();
		c->notify_rec = plausible_rec();
		did("notify_pid = %d, notify_rec = %u", c->notify_pid,
		    c->notify_rec);
		break;
	case 7:
		c->notify_pid = below(2) ? (int32_t)getpid() : (int32_t)rnd();
		c->notify_kind = below(2) ? (int32_t)below(4) : (int32_t)rnd();
		c->notify_signo = below(2) ? (int32_t)below(70) :
					     (int32_t)rnd();
		c->notify_ns = (uint32_t)rnd();
		c->notify_rec = plausible_rec();
		did("notification {pid %d kind %d signo %d rec %u}",
		    c->notify_pid, c->notify_kind, c->notify_signo,
		    c->notify_rec);
		break;
	case 8:
		c->pad1[below(sizeof(c->pad1))] = (uint8_t)rnd();
		c->pad2 = (uint32_t)rnd();
		did("padding bytes");
		break;
	case 9:
		c->maxmsg = plausible_size();
		did("maxmsg = %lld", (long long)c->maxmsg);
		return false;
	case 10:
		c->msgsize = plausible_size();
		did("msgsize = %lld", (long long)c->msgsize);
		return false;
	case 11:
		c->mode = below(2) ? below(01000) : (uint32_t)rnd();
		c->uid = below(2) ? 1000 : (uint32_t)rnd();
		c->gid = below(2) ? 1000 : (uint32_t)rnd();
		did("mode %#o uid %u gid %u", c->mode, c->uid, c->gid);
		return false;
	case 12:
		c->charge_uid = (uint32_t)rnd();
		c->charge = plausible64(c->charge);
		did("charge_uid %u charge %llu", c->charge_uid,
		    (unsigned long long)c->charge);
		return false;
	default:
		c->lock.__data.__lock = below(2) ? (int)rnd() :
					(int)(below(1u << 22) | 0x80000000u);
		c->lock.__data.__count = (unsigned)rnd();
		did("lock word %#x, check %#x", (unsigned)c->lock.__data.__lock,
		    c->lock.__data.__count);
	}
	return true;
}

static void round_ctl_fields(uint32_t seed)
{
	struct qmap q;
	bool derived = true;
	uint64_t gen = round_queue(seed, 0xc1, 2 + (int)below(MAXMSG - 1),
				   (int)below(2));

	qmap_of(gen, &q);
	for (int k = 1 + (int)below(3); k--;)
		derived &= damage_field(q.c);
	qmap_unmap(&q);
	SENT->lossless = derived;
	if (use() && derived)
		repaired();
	finish();
}

T_CASE(garbage_pqctl_fields)
{
	rounds("control block fields", 200, round_ctl_fields);
}

/* Noise over the control block: identity kept (magic, version, hdr_size,
 * gen, name), so that the calls reach the noise; the lock included in
 * half the rounds. */
static void round_ctl_noise(uint32_t seed)
{
	struct pqctl save, *c;
	struct qmap q;
	size_t from = seed % 2 ? 0 : sizeof(pthread_mutex_t);
	uint64_t gen = round_queue(seed, 0xc2, 2 + (int)below(MAXMSG - 1),
				   (int)below(2));

	qmap_of(gen, &q);
	c = q.c;
	save = *c;
	size_t off = from + below((uint32_t)(PQ_CTL_SIZE - from));
	size_t len = below(3) ? 1 + below(64) : PQ_CTL_SIZE - off;
	if (off + len > PQ_CTL_SIZE)
		len = PQ_CTL_SIZE - off;
	fill_random((uint8_t *)c + off, len);
	if (below(4)) {
		c->magic = save.magic;
		c->version = save.version;
		c->hdr_size = save.hdr_size;
		c->gen = save.gen;
		memcpy(c->name, save.name, sizeof(c->name));
		did("control block bytes [%zu, +%zu) random, identity kept",
		    off, len);
	} else {
		did("control block bytes [%zu, +%zu) random", off, len);
	}
	qmap_unmap(&q);
	use();
	finish();
}

T_CASE(garbage_pqctl_noise)
{
	rounds("control block noise", 100, round_ctl_noise);
}

/*
 * The identity of the control block: a fresh process refuses the queue
 * with the errno given (EUCLEAN for damage, EPROTO for another layout,
 * ENOENT when the queue is of another name), and mq_unlink still
 * removes the name.
 */
struct ident {
	size_t off;
	uint8_t bytes[16];
	size_t n;
	int err;
	const char *what;
};

static void ident_round(const struct ident *id)
{
	struct qmap q;
	mqd_t d;
	uint64_t gen = round_queue(1, 0xc3, 3, 0);

	qmap_of(gen, &q);
	memcpy((uint8_t *)q.c + id->off, id->bytes, id->n);
	did("%s", id->what);
	qmap_unmap(&q);
	op("mq_open of a queue whose %s", id->what);
	errno = 0;
	d = umq_mq_open(QNAME, O_RDWR | O_NONBLOCK);
	if (d != (mqd_t)-1 || errno != id->err)
		R_FAIL("mq_open of a queue whose %s returned %d %s, expected "
		       "-1 %s", id->what, d, d == (mqd_t)-1 ?
		       strerrorname_np(errno) : "", strerrorname_np(id->err));
	refused();
	op("mq_unlink of a queue whose %s", id->what);
	if (umq_mq_unlink(QNAME))
		R_FAIL("mq_unlink of a queue whose %s: %s", id->what,
		       strerrorname_np(errno));
	op("mq_open after the mq_unlink");
	errno = 0;
	d = umq_mq_open(QNAME, O_RDWR);
	if (d != (mqd_t)-1 || errno != ENOENT)
		R_FAIL("mq_open after mq_unlink of a queue whose %s: %d %s",
		       id->what, d, strerrorname_np(errno) ?: "");
	op("a new queue");
	{
		struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
		d = umq_mq_open(QNAME, O_CREAT | O_EXCL | O_RDWR, 0600, &a);
		if (d == (mqd_t)-1)
			R_FAIL("a new queue of the name: %s",
			       strerrorname_np(errno));
		umq_mq_close(d);
	}
	finish();
}

static unsigned scene_s = ROUND_S;	/* a scene's alarm */

/* One directed scene in a process of its own, under an alarm: a failed
 * check, a crash or a hang fails the case. */
static void scene(const char *what, void (*fn)(const void *), const void *arg)
{
	int st;

	if (!LOG)
		LOG = t_shared(sizeof(*LOG));
	memset(LOG, 0, sizeof(*LOG));
	wipe();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_alarm };

		setpgid(0, 0);
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
		alarm(scene_s);
		fn(arg);
		_exit(T_EXIT_PASS);
	}
	st = t_wait_child(pid, 0, (int)scene_s * 1000 + 3000);
	kill(-pid, SIGKILL);
	if (st == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		st = R_HUNG << 8;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_PASS)
		return;
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_SKIP)
		t_skip("%s: cannot switch users", what);
	if (WIFEXITED(st) && WEXITSTATUS(st) == R_FAILED)
		T_FAIL("%s: during [%s]: %s", what, LOG->op, LOG->why);
	if (WIFEXITED(st) && WEXITSTATUS(st) == R_HUNG)
		T_FAIL("%s: hung during [%s]", what, LOG->op);
	T_FAIL("%s: crashed (status %#x) during [%s]", what, st, LOG->op);
}

static void ident_scene(const void *arg)
{
	ident_round(arg);
}

T_CASE(garbage_pqctl_identity)
{
	static struct ident ids[] = {
		{ offsetof(struct pqctl, magic), "junkjunk", 8, EUCLEAN,
		  "magic is wrong" },
		{ offsetof(struct pqctl, version), { UMQ_LAYOUT_VERSION + 1 },
		  4, EPROTO, "version is the next layout's" },
		{ offsetof(struct pqctl, version), { 2 }, 4, EPROTO,
		  "version is layout 2's" },
		{ offsetof(struct pqctl, hdr_size), { 64 }, 4, EUCLEAN,
		  "hdr_size is 64" },
		{ offsetof(struct pqctl, gen), { 1, 2, 3 }, 8, EUCLEAN,
		  "gen is another queue's" },
		{ offsetof(struct pqctl, name), "other", 6, ENOENT,
		  "name is another" },
		{ offsetof(struct pqctl, name) + 1, "xxxxxxxxxxxxxxxx", 16,
		  ENOENT, "name has no end where it should" },
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		scene(ids[i].what, ident_scene, &ids[i]);
}

/*
 * Another user is let in by the files' modes, which the OS keeps, never
 * by the control block's: a root queue of mode 0600 whose block claims
 * mode 0666 and owner uid 1000 still refuses uid 1000 (EACCES).
 */
static void intruder(void *arg)
{
	struct umq_peek_msg pm = { 0 };
	struct umq_mq_info info;
	mqd_t d;
	int r;

	(void)arg;
	for (int acc = O_RDONLY; acc <= O_RDWR; acc++) {
		op("uid 1000: mq_open(%d) of a block that claims it", acc);
		errno = 0;
		d = umq_mq_open(QNAME, acc | O_NONBLOCK);
		if (d != (mqd_t)-1 || errno != EACCES)
			R_FAIL("%s returned %d %s, expected -1 EACCES", LOG->op,
			       d, d == (mqd_t)-1 ? strerrorname_np(errno) : "");
	}
	op("uid 1000: umq_mq_peek_name");
	errno = 0;
	if (umq_mq_peek_name(QNAME, 0, &pm, 1) != -1 || errno != EACCES)
		R_FAIL("%s: %s, expected EACCES", LOG->op,
		       strerrorname_np(errno) ?: "success");
	op("uid 1000: umq_mq_stat");
	r = umq_mq_stat(QNAME, &info);
	if (!(r == -1 && errno == EACCES) && !(r == 0 && info.err == EACCES))
		R_FAIL("%s: %d %s, err %d: expected EACCES", LOG->op, r,
		       strerrorname_np(errno) ?: "", info.err);
	op("uid 1000: mq_unlink");
	errno = 0;
	if (umq_mq_unlink(QNAME) != -1 || errno != EACCES)
		R_FAIL("%s: %s, expected EACCES", LOG->op,
		       strerrorname_np(errno) ?: "success");
}

static void owner_scene(const void *arg)
{
	struct qmap q;
	int st;
	uint64_t gen = round_queue(6, 0x0e, 3, 0);

	(void)arg;
	qmap_of(gen, &q);
	q.c->mode = 0666;
	q.c->uid = 1000;
	q.c->gid = 1000;
	did("mode 0666 uid 1000 gid 1000 in a root queue's block");
	qmap_unmap(&q);
	st = t_as_user(1000, 1000, intruder, NULL);
	if (st == T_EXIT_SKIP)
		_exit(T_EXIT_SKIP);
	if (st == R_FAILED)
		_exit(R_FAILED);
	if (st != T_EXIT_PASS)
		R_FAIL("uid 1000's calls ended with %d", st);
	if (!use())
		R_FAIL("root cannot open its queue after the damage");
	finish();
}

T_CASE(garbage_pqctl_owner)
{
	if (geteuid() != 0)
		t_skip("needs root to be two users");
	scene("a block that claims another owner", owner_scene, NULL);
}

/*
 * The queue lock's word names a thread that does not exist (no robust
 * list ever marked it): the next taker resets it (L11) - after two looks
 * in /proc when the holder's namespace tag is ours, after 10 s when the
 * tag is garbage too - and goes on.  Not a hang.
 */
struct lockcase {
	bool tag;		/* garbage in the tag as well */
	int within_ms;
	const char *what;
};

static void lock_scene(const void *arg)
{
	const struct lockcase *lc = arg;
	struct qmap q;
	pid_t dead;
	long t0;
	uint64_t gen = round_queue(7, 0x10c, 3, 0);

	fflush(NULL);
	dead = fork();
	if (dead < 0)
		R_FAIL("fork: %s", strerror(errno));
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	qmap_of(gen, &q);
	q.c->lock.__data.__lock = dead;
	q.c->lock.__data.__count = 0x12345678;
	if (lc->tag)
		q.c->lock_ns = 0xdeadbeef;
	did("lock word: thread %d, gone%s", (int)dead,
	    lc->tag ? ", tag garbage" : "");
	qmap_unmap(&q);
	t0 = t_now_ms();
	if (!use())
		R_FAIL("the queue cannot be opened");
	if (t_now_ms() - t0 > lc->within_ms)
		R_FAIL("the calls took %ld ms", t_now_ms() - t0);
	repaired();
	finish();
}

T_CASE(garbage_pqctl_lock_dead_owner)
{
	static const struct lockcase cases[] = {
		{ false, 4000, "a lock held by a thread that is gone" },
		{ true, 16000, "the same, with a garbage namespace tag" },
	};

	scene_s = 20;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		scene(cases[i].what, lock_scene, &cases[i]);
}

/* ---- the store: chunks, indexes, header ---------------------------------- */

static uint32_t plausible32(const struct qmap *q)
{
	static const uint32_t states[] = {
		CH_FREE, CH_FREE | 6, CH_RESERVED, CH_QUEUED, CH_INFLIGHT, NIL,
	};

	switch (below(4)) {
	case 0:
		return states[below(sizeof(states) / sizeof(states[0]))];
	case 1:
		return below(q->st->bump + 2);
	case 2:
		return below(q->nchunks * 2);
	}
	return (uint32_t)rnd();
}

static void damage_chunks(struct qmap *q)
{
	uint32_t used = q->st->bump ? q->st->bump : 1;
	size_t area = (size_t)used * q->chunk;

	if (used > q->nchunks)
		used = q->nchunks, area = (size_t)used * q->chunk;
	switch (below(6)) {
	case 0: {	/* a run of random bytes in the used chunks */
		size_t len = 1 + below(512), off = below((uint32_t)area);

		if (off + len > area)
			len = area - off;
		fill_random(q->chunks + off, len);
		SENT->text_damaged = true;
		did("random bytes [%zu, +%zu) of the chunk area", off, len);
		break;
	}
	case 1:		/* fields of message heads: no text touched */
	case 2:
		for (int k = 1 + (int)below(4); k--;) {
			uint32_t c = below(used);
			struct msg *m = (struct msg *)(q->chunks +
						       (size_t)c * q->chunk);

			switch (below(6)) {
			case 0:
				m->state = plausible32(q);
				did("chunk %u state = %#x", c, m->state);
				break;
			case 1:
				m->next_chunk = plausible32(q);
				did("chunk %u next = %u", c, m->next_chunk);
				break;
			case 2:
				m->len = plausible64(m->len);
				did("chunk %u len = %llu", c,
				    (unsigned long long)m->len);
				break;
			case 3:
				m->seq = plausible64(m->seq);
				did("chunk %u seq = %llu", c,
				    (unsigned long long)m->seq);
				break;
			case 4:
				m->key = below(2) ? -(int64_t)below(40000) :
					 (int64_t)plausible64((uint64_t)m->key);
				did("chunk %u key = %lld", c,
				    (long long)m->key);
				break;
			default:
				m->bnext = plausible32(q);
				m->owner = plausible32(q);
				did("chunk %u bnext = %u owner = %u", c,
				    m->bnext, m->owner);
			}
		}
		/* A length or a chain that changed gives other bytes, a
		 * state that changed brings back a message received:
		 * nothing in the store can tell. */
		SENT->text_damaged = true;
		break;
	case 3: {	/* one chunk copied over another: twins */
		uint32_t a = below(used), b = below(used);

		memcpy(q->chunks + (size_t)b * q->chunk,
		       q->chunks + (size_t)a * q->chunk, q->chunk);
		SENT->text_damaged = true;
		did("chunk %u copied over chunk %u", a, b);
		break;
	}
	case 4: {	/* whole chunks of noise */
		uint32_t c = below(used), k = 1 + below(4);

		if (c + k > used)
			k = used - c;
		fill_random(q->chunks + (size_t)c * q->chunk,
			    (size_t)k * q->chunk);
		SENT->text_damaged = true;
		did("chunks %u..%u random", c, c + k - 1);
		break;
	}
	default:	/* everything used is noise */
		fill_random(q->chunks, area);
		SENT->text_damaged = true;
		did("all %u used chunks random", used);
	}
}

static void damage_index(struct qmap *q)
{
	struct store_hdr *st = q->st;
	uint32_t *heaps = (uint32_t *)(q->index + q->buckets_size);
	struct bucket *b = (struct bucket *)q->index;

	switch (below(6)) {
	case 0: {	/* a run of random bytes in the bucket table */
		size_t len = 1 + below(256),
		       off = below((uint32_t)q->buckets_size);

		if (off + len > q->buckets_size)
			len = q->buckets_size - off;
		fill_random(q->index + off, len);
		did("random bytes [%zu, +%zu) of the buckets", off, len);
		break;
	}
	case 1:		/* random heap entries */
		for (int k = 1 + (int)below(4); k--;) {
			uint32_t i = below(2 * q->nchunks), v;

			v = below(2) ? below(q->hcap + 4) : (uint32_t)rnd();
			heaps[i] = v;
			did("heap word %u = %u", i, v);
		}
		break;
	case 2:		/* plausible values in live bucket entries */
		for (int k = 1 + (int)below(3); k--;) {
			uint32_t i = below(q->hcap);

			for (uint32_t n = 0; n < q->hcap && !b[i].head; n++)
				i = (i + 1) & (q->hcap - 1);
			switch (below(5)) {
			case 0:
				b[i].head = below(q->nchunks + 3);
				break;
			case 1:
				b[i].tail = plausible32(q);
				break;
			case 2:
				b[i].kpos = below(8);
				b[i].spos = below(8);
				break;
			case 3:
				b[i].hseq = plausible64(b[i].hseq);
				break;
			default:
				b[i].key = -(int64_t)below(6);
			}
			did("bucket %u = {key %lld head %u tail %u kpos %u "
			    "spos %u}", i, (long long)b[i].key, b[i].head,
			    b[i].tail, b[i].kpos, b[i].spos);
		}
		break;
	case 3:		/* the free lists */
		{
			uint32_t k = below(3) ? below(8) : below(STORE_ORDERS);

			st->afree[k] = plausible32(q);
			st->ffree[k] = plausible32(q);
			did("afree[%u] %u, ffree %u", k, st->afree[k],
			    st->ffree[k]);
		}
		break;
	case 4:		/* all the indexes are noise */
		fill_random(q->index, q->index_size);
		did("the whole index area random");
		break;
	default:	/* every bucket entry occupied */
		for (uint32_t i = 0; i < q->hcap; i++)
			if (!b[i].head)
				b[i].head = 1 + below(q->nchunks);
		did("every bucket entry non-empty");
	}
}

static void damage_header_derived(struct qmap *q)
{
	switch (below(4)) {
	case 0:
		q->st->bump = below(3) ? below(q->nchunks + 2) :
					 (uint32_t)rnd();
		did("bump = %u", q->st->bump);
		break;
	case 1:
		q->st->next_seq = plausible64(q->st->next_seq);
		did("next_seq = %llu", (unsigned long long)q->st->next_seq);
		break;
	case 2:
		q->st->nbuckets = below(3) ? below(8) : (uint32_t)rnd();
		did("nbuckets = %u", q->st->nbuckets);
		break;
	default:
		q->st->damaged = (uint32_t)rnd();
		did("damaged = %u", q->st->damaged);
	}
}

static void round_store(uint32_t seed, uint32_t salt,
			void (*damage)(struct qmap *))
{
	struct qmap q;
	uint64_t gen = round_queue(seed, salt, 3 + (int)below(MAXMSG - 2),
				   (int)below(3));

	qmap_of(gen, &q);
	for (int k = 1 + (int)below(2); k--;)
		damage(&q);
	qmap_unmap(&q);
	SENT->lossless = true;	/* the chunks say it all */
	if (!use())
		R_FAIL("a queue whose store is damaged cannot be opened: %s",
		       LOG->op);
	repaired();
	finish();
}

static void round_chunks(uint32_t seed)
{
	round_store(seed, 0x5c, damage_chunks);
}

static void round_index(uint32_t seed)
{
	round_store(seed, 0x5d, damage_index);
}

static void round_header_derived(uint32_t seed)
{
	round_store(seed, 0x5e, damage_header_derived);
}

T_CASE(garbage_store_chunks)
{
	rounds("chunk area", 200, round_chunks);
}

T_CASE(garbage_store_index)
{
	rounds("index area and free lists", 200, round_index);
}

T_CASE(garbage_store_header_derived)
{
	rounds("derived header fields", 100, round_header_derived);
}

/* Noise in the store header's geometry: no repair is possible, only
 * clean errors. */
static void round_header_noise(uint32_t seed)
{
	struct qmap q;
	size_t off, len;
	uint64_t gen = round_queue(seed, 0x5f, 4, 0);

	qmap_of(gen, &q);
	off = below(STORE_HDR_SIZE);
	len = 1 + below(STORE_HDR_SIZE - (uint32_t)off);
	fill_random((uint8_t *)q.st + off, len);
	did("random bytes [%zu, +%zu) of the store header", off, len);
	qmap_unmap(&q);
	use();
	finish();
}

T_CASE(garbage_store_header_noise)
{
	rounds("store header", 100, round_header_noise);
}

/* The store header's identity and geometry: a fresh process refuses the
 * queue at mq_open. */
static void store_ident_scene(const void *arg)
{
	const struct ident *id = arg;
	struct qmap q;
	mqd_t d;
	uint64_t gen = round_queue(3, 0x60, 3, 0);

	qmap_of(gen, &q);
	memcpy((uint8_t *)q.st + id->off, id->bytes, id->n);
	did("store %s", id->what);
	qmap_unmap(&q);
	op("mq_open of a queue whose store %s", id->what);
	errno = 0;
	d = umq_mq_open(QNAME, O_RDWR | O_NONBLOCK);
	if (d != (mqd_t)-1 || errno != id->err)
		R_FAIL("mq_open of a queue whose store %s returned %d %s, "
		       "expected -1 %s", id->what, d, d == (mqd_t)-1 ?
		       strerrorname_np(errno) : "", strerrorname_np(id->err));
	refused();
	finish();
}

T_CASE(garbage_store_identity)
{
	static struct ident ids[] = {
		{ offsetof(struct store_hdr, magic), "junkjunk", 8, EUCLEAN,
		  "magic is wrong" },
		{ offsetof(struct store_hdr, version),
		  { UMQ_LAYOUT_VERSION + 1 }, 4, EPROTO,
		  "version is the next layout's" },
		{ offsetof(struct store_hdr, hdr_size), { 64 }, 4, EUCLEAN,
		  "hdr_size is 64" },
		{ offsetof(struct store_hdr, gen), { 9 }, 8, EUCLEAN,
		  "gen is another queue's" },
		{ offsetof(struct store_hdr, chunk_size), { 100 }, 4, EUCLEAN,
		  "chunk size is 100" },
		{ offsetof(struct store_hdr, nchunks), { 0, 0, 0, 0x20 }, 4,
		  EUCLEAN, "nchunks is 2^29" },
		{ offsetof(struct store_hdr, nchunks), { 1, 0, 0, 0x80 }, 4,
		  EUCLEAN, "nchunks is 2^31 + 1" },
		{ offsetof(struct store_hdr, nchunks), { 0 }, 4, EUCLEAN,
		  "nchunks is 0" },
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		scene(ids[i].what, store_ident_scene, &ids[i]);
}

/* ---- the waiter pool ----------------------------------------------------- */

/* Noise in the pool with nobody waiting: the bitmap, records, and the
 * wait lists pointed at them.  Then calls that block (timed) allocate
 * records from it. */
static void round_wpool(uint32_t seed)
{
	bool lossless = true;
	struct qmap q;
	uint64_t gen = round_queue(seed, 0x77, 1 + (int)below(MAXMSG),
				   (int)below(2));

	qmap_of(gen, &q);
	for (int k = 1 + (int)below(3); k--;) {
		switch (below(5)) {
		case 0: {
			uint32_t w = below(Q_WAITERS / 64);

			q.bitmap[w] = below(2) ? ~0ull : rnd();
			did("bitmap word %u = %#llx", w,
			    (unsigned long long)q.bitmap[w]);
			break;
		}
		case 1:
			for (uint32_t w = 0; w < Q_WAITERS / 64; w++)
				q.bitmap[w] = ~0ull;
			did("every record taken");
			break;
		case 2: {
			uint32_t i = below(8);
			struct waiter *w = &q.rec[i];
			size_t off = below(sizeof(*w)),
			       len = 1 + below((uint32_t)(sizeof(*w) - off));

			fill_random((uint8_t *)w + off, len);
			did("record %u bytes [%zu, +%zu) random", i, off, len);
			/* A garbage "alive" word counts as a live owner
			 * (L5): a message handed to it is lost. */
			lossless &= off >= sizeof(w->alive);
			break;
		}
		case 3: {
			uint32_t i = below(8);
			struct waiter *w = &q.rec[i];

			fill_random(w, sizeof(*w));
			w->inited = below(2) ? 2 : w->inited;
			w->linked = 1;
			w->futex = below(2) ? W_WAITING : w->futex;
			w->kind = 1 + below(3);
			w->gen = gen;
			w->msg = plausible32(&q);
			did("record %u random, inited %u kind %u msg %u", i,
			    w->inited, w->kind, w->msg);
			lossless = false;
			break;
		}
		default: {
			uint32_t i = below(8);

			if (below(2)) {
				q.c->wl.rhead = i;
				q.c->wl.rtail = below(8);
			} else {
				q.c->wl.shead = i;
				q.c->wl.stail = below(8);
			}
			q.rec[i].next = plausible_rec();
			q.rec[i].prev = plausible_rec();
			did("a wait list at record %u, next %u prev %u", i,
			    q.rec[i].next, q.rec[i].prev);
		}
		}
	}
	qmap_unmap(&q);
	SENT->lossless = lossless;
	if (!use())
		R_FAIL("a queue whose waiter pool is damaged cannot be opened");
	repaired();
	finish();
}

T_CASE(garbage_wpool)
{
	rounds("waiter pool", 100, round_wpool);
}

/* A process blocked in a timed call on the queue (recv: a receive, else
 * a send), its result in *res: 0, or an errno. */
static pid_t blocked(bool recv, int *res)
{
	fflush(NULL);
	pid_t pid = fork();

	if (pid < 0)
		R_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		static char buf[RBUF + GUARD];
		struct timespec ts = soon(1500);
		mqd_t d = umq_mq_open(QNAME, O_RDWR);

		alarm(ROUND_S);
		if (d == (mqd_t)-1)
			R_FAIL("a waiter's mq_open: %s",
			       strerrorname_np(errno));
		*res = -1;
		if (recv) {
			ssize_t r = recv_one(d, buf, RBUF, "a blocked "
					     "receiver's mq_timedreceive", &ts);
			*res = r < 0 ? errno : 0;
		} else {
			uint32_t len = 4 + below((uint32_t)SU.msgsize - 3);
			int id = mk(buf, 1, len);
			*res = umq_mq_timedsend(d, buf, len, 1, &ts) ? errno :
								       0;
			SENT->queued[id] = !*res;
		}
		_exit(T_EXIT_PASS);
	}
	if (t_wait_sleeping(pid))
		R_FAIL("a waiter did not block");
	return pid;
}

/* A blocked process is its process's only thread: its tid is its pid. */
static int record_of(struct qmap *q, pid_t pid)
{
	for (uint32_t i = 0; i < Q_WAITERS; i++)
		if (q->rec[i].linked && q->rec[i].tid == pid)
			return (int)i;
	return -1;
}

/* A waiter's end: within its deadline and a margin, cleanly. */
static void waiter_end(pid_t pid, const int *res, bool damaged,
		       const char *who)
{
	int st = t_wait_child(pid, 0, damaged ? 500 : 3000);

	if (st == -1) {
		if (!damaged)
			R_FAIL("%s still blocked 3 s after its 1.5 s "
			       "deadline", who);
		kill(pid, SIGKILL);	/* its own record: it may sleep on */
		waitpid(pid, &st, 0);
		return;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == R_FAILED)
		_exit(R_FAILED);	/* LOG->why says */
	if (damaged && WIFSIGNALED(st) && WTERMSIG(st) != SIGALRM)
		R_FAIL("%s, whose record was damaged, crashed: signal %d",
		       who, WTERMSIG(st));
	if (!damaged && (!WIFEXITED(st) || WEXITSTATUS(st) != T_EXIT_PASS))
		R_FAIL("%s ended with status %#x", who, st);
	if (!damaged && *res && *res != ETIMEDOUT && *res != EUCLEAN)
		R_FAIL("%s ended with %s", who, strerrorname_np(*res) ?: "?");
}

/*
 * Two processes blocked on the queue, receivers on an empty queue or
 * senders on a full one (their messages parked in the store); noise over
 * the first one's record, or over a free record, or the list.  Then the
 * calls: the other waiter must end cleanly (with a message that was sent,
 * or its timeout), the damaged one must not crash, and every message
 * that comes out is one that was sent.
 */
static void round_waiters(uint32_t seed)
{
	bool recv = seed % 2;
	int *res = t_shared(2 * sizeof(int));
	struct qmap q;
	pid_t b1, b2;
	int idx;
	uint64_t gen = round_queue(seed, 0x78, recv ? 0 : MAXMSG, 0);

	b1 = blocked(recv, &res[0]);
	b2 = blocked(recv, &res[1]);
	qmap_of(gen, &q);
	idx = record_of(&q, b1);
	if (idx < 0)
		R_FAIL("no waiter record for the blocked %s",
		       recv ? "receiver" : "sender");
	if (seed % 6 == 0)		/* a free record instead */
		idx = (int)((uint32_t)(idx + 2 + below(100)) % Q_WAITERS);
	struct waiter *w = &q.rec[idx];
	bool lossless = recv, derived = true;
	if (seed % 5 == 4) {	/* the control block instead */
		derived = damage_field(q.c);
		lossless &= derived;
		idx = -1;
	} else switch (seed % 3) {
	case 0: {
		size_t off = below(sizeof(*w));
		size_t len = 1 + below((uint32_t)(sizeof(*w) - off));

		fill_random((uint8_t *)w + off, len);
		did("record %d bytes [%zu, +%zu) random", idx, off, len);
		break;
	}
	case 1:
		w->msg = plausible32(&q);
		w->len = plausible64(w->len);
		w->mtype = -(int64_t)below(40000);
		w->next = plausible_rec();
		did("record %d msg %u len %llu next %u", idx, w->msg,
		    (unsigned long long)w->len, w->next);
		break;
	default:
		w->futex = below(2) ? W_READY : (uint32_t)rnd();
		w->result = (int32_t)rnd();
		w->prio = (int32_t)rnd();
		w->order = rnd();
		did("record %d futex %#x result %d prio %d", idx, w->futex,
		    w->result, w->prio);
	}
	qmap_unmap(&q);
	/* A damaged sender's own message may be lost: its call may even
	 * say it was sent. */
	SENT->lossless = lossless;

	if (!use() && derived)
		R_FAIL("a queue whose waiter record is damaged cannot be "
		       "opened");
	op("the waiters' ends");
	waiter_end(b2, &res[1], false, "the healthy waiter");
	waiter_end(b1, &res[0], seed % 6 != 0 && idx >= 0,
		   "the damaged waiter");
	if (derived)
		repaired();
	finish();
}

T_CASE(garbage_waiters)
{
	rounds("waiter records of blocked processes", 40, round_waiters);
}

/* ---- a live registration's fields ---------------------------------------- */

/*
 * Whom a notification signals, and with what, must not come from shared
 * memory (notify.c): garbage in the registration's fields - the pid of
 * a bystander, of the caller, of the test itself; SIGKILL for the
 * signal; another kind, record or pid namespace - signals nobody but the
 * registrant, and it only with the signal it asked for, once.
 */
struct nlog {
	int ready;		/* the registrant registered */
	int got;		/* SIGUSR1s the registrant got */
	int code;		/* the si_code of the last */
	int stray;		/* SIGUSR1s anyone else got */
};

static struct nlog *NL;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	__atomic_add_fetch(&NL->got, 1, __ATOMIC_RELAXED);
	NL->code = si->si_code;
}

static void on_stray(int sig)
{
	(void)sig;
	__atomic_add_fetch(&NL->stray, 1, __ATOMIC_RELAXED);
}

static void catch_stray(void)
{
	struct sigaction sa = { .sa_handler = on_stray };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

/* A process that sleeps until killed, counting stray SIGUSR1s. */
static pid_t bystander(void)
{
	fflush(NULL);
	pid_t pid = fork();

	if (pid < 0)
		R_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		catch_stray();
		alarm(ROUND_S);
		for (;;)
			pause();
	}
	return pid;
}

/* A process registered for SIGUSR1 on the queue, counting them. */
static pid_t registrant(void)
{
	fflush(NULL);
	pid_t pid = fork();

	if (pid < 0)
		R_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		struct sigaction sa = { .sa_sigaction = on_usr1,
					.sa_flags = SA_SIGINFO };
		struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
					.sigev_signo = SIGUSR1 };
		mqd_t d;

		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
		alarm(ROUND_S);
		d = umq_mq_open(QNAME, O_RDONLY);
		if (d == (mqd_t)-1 || umq_mq_notify(d, &sev))
			R_FAIL("the registrant's mq_open/mq_notify: %s",
			       strerrorname_np(errno));
		__atomic_store_n(&NL->ready, 1, __ATOMIC_RELEASE);
		for (;;)
			pause();
	}
	for (int i = 0; i < 400 && !__atomic_load_n(&NL->ready,
						     __ATOMIC_ACQUIRE); i++)
		t_msleep(5);
	if (!NL->ready)
		R_FAIL("the registrant did not register");
	return pid;
}

static bool alive(pid_t pid, const char *who)
{
	int st;
	pid_t r = waitpid(pid, &st, WNOHANG);

	if (r == 0)
		return true;
	if (r == pid && WIFSIGNALED(st))
		R_FAIL("%s was killed by signal %d", who, WTERMSIG(st));
	if (r == pid && WIFEXITED(st) && WEXITSTATUS(st) == R_FAILED)
		_exit(R_FAILED);
	R_FAIL("%s ended: status %#x", who, st);
}

static void round_notify(uint32_t seed)
{
	struct qmap q;
	pid_t reg, by;
	uint64_t gen = round_queue(seed, 0x90, (int)below(3), 0);

	NL = t_shared(sizeof(*NL));
	catch_stray();
	if (SU.nsend) {		/* empty it: the next send fires */
		char buf[RBUF];
		unsigned prio;
		mqd_t d = umq_mq_open(QNAME, O_RDONLY | O_NONBLOCK);
		ssize_t r;
		while (d != (mqd_t)-1 &&
		       (r = umq_mq_receive(d, buf, RBUF, &prio)) >= 0)
			count_out(buf, r, prio, "emptying");
		if (d != (mqd_t)-1)
			umq_mq_close(d);
	}
	by = bystander();
	reg = registrant();
	qmap_of(gen, &q);
	for (int k = 1 + (int)below(3); k--;) {
		struct pqctl *c = q.c;
		static const int sigs[] = { SIGKILL, SIGSEGV, SIGUSR2, 0,
					    SIGUSR1, 65, -1 };

		switch (below(5)) {
		case 0: {
			pid_t pids[] = { by, getpid(), getppid(), 1, reg,
					 (pid_t)rnd() };
			c->notify_pid = pids[below(6)];
			did("notify_pid = %d (registrant %d, bystander %d, "
			    "caller %d, test %d)", c->notify_pid, reg, by,
			    getpid(), getppid());
			break;
		}
		case 1:
			c->notify_signo = sigs[below(7)];
			did("notify_signo = %d", c->notify_signo);
			break;
		case 2:
			c->notify_kind = below(2) ? (int)below(4) : (int)rnd();
			did("notify_kind = %d", c->notify_kind);
			break;
		case 3:
			c->notify_rec = plausible_rec();
			did("notify_rec = %u", c->notify_rec);
			break;
		default:
			c->notify_ns = below(2) ? 0 : (uint32_t)rnd();
			did("notify_ns = %u", c->notify_ns);
		}
	}
	qmap_unmap(&q);

	use();
	op("the processes after the notification");
	t_msleep(100);
	alive(by, "the bystander");
	alive(reg, "the registrant");
	if (verbose)
		t_note("the registrant got %d, strays %d", NL->got, NL->stray);
	if (NL->stray)
		R_FAIL("%d SIGUSR1 went to a process that never asked",
		       NL->stray);
	if (NL->got > 1)
		R_FAIL("the registrant got %d notifications for one "
		       "registration", NL->got);
	if (NL->got && NL->code != SI_MESGQ)
		R_FAIL("the registrant's signal has si_code %d", NL->code);
	kill(reg, SIGKILL);
	kill(by, SIGKILL);
	waitpid(reg, NULL, 0);
	waitpid(by, NULL, 0);
	finish();
}

T_CASE(garbage_notify)
{
	rounds("registration fields", 60, round_notify);
}

/* ---- the FIFO ------------------------------------------------------------ */

/* A process that holds the queue open (so that its FIFO keeps what is
 * written into it), until killed. */
static pid_t holder(void)
{
	fflush(NULL);
	pid_t pid = fork();

	if (pid < 0)
		R_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		if (umq_mq_open(QNAME, O_RDONLY) == (mqd_t)-1)
			_exit(T_EXIT_FAIL);
		alarm(ROUND_S);
		pause();
		_exit(T_EXIT_PASS);
	}
	return pid;
}

static void round_fifo(uint32_t seed)
{
	static uint8_t junk[70000];
	char path[512], other[512];
	int fd = -1, kind = (int)(seed % 8);
	uint64_t gen = round_queue(seed, 0xf1, (int)below(MAXMSG + 1), 0);
	pid_t h = -1;

	data_path(path, sizeof(path), gen, ".p");
	if (kind <= 2 && below(2))
		h = holder();
	switch (kind) {
	case 0:
	case 1: {	/* bytes written into it, held by us */
		size_t n = kind ? sizeof(junk) : 1 + below(5);

		fd = open(path, O_RDWR | O_NONBLOCK);
		if (fd < 0)
			R_FAIL("open %.200s: %s", path, strerror(errno));
		fill_random(junk, n);
		ssize_t w = write(fd, junk, n);
		did("%zd bytes written into the FIFO%s", w,
		    h > 0 ? ", held by a descriptor" : "");
		break;
	}
	case 2:		/* its bytes read out */
		fd = open(path, O_RDWR | O_NONBLOCK);
		if (fd < 0)
			R_FAIL("open %.200s: %s", path, strerror(errno));
		ssize_t r = read(fd, junk, sizeof(junk));
		did("the FIFO read (%zd bytes)%s", r,
		    h > 0 ? ", held by a descriptor" : "");
		break;
	case 3:		/* a regular file in its place */
		unlink(path);
		fd = open(path, O_CREAT | O_RDWR, 0600);
		fill_random(junk, 100);
		if (fd < 0 || write(fd, junk, 100) != 100)
			R_FAIL("write %.200s: %s", path, strerror(errno));
		close(fd);
		fd = -1;
		did("a regular file for the FIFO");
		break;
	case 4:
		unlink(path);
		if (mkdir(path, 0700))
			R_FAIL("mkdir %.200s: %s", path, strerror(errno));
		did("a directory for the FIFO");
		break;
	case 5:
		unlink(path);
		did("the FIFO removed");
		break;
	case 6:		/* a symlink to itself */
		unlink(path);
		if (symlink(path, path))
			R_FAIL("symlink %.200s: %s", path, strerror(errno));
		did("a symlink loop for the FIFO");
		break;
	default:	/* a symlink to a FIFO nobody reads */
		unlink(path);
		ns_path(other, sizeof(other), "stray.p");
		unlink(other);
		if (mkfifo(other, 0600) || symlink(other, path))
			R_FAIL("mkfifo/symlink: %s", strerror(errno));
		did("a symlink to a stray FIFO for the FIFO");
	}
	use();
	if (h > 0) {
		kill(h, SIGKILL);
		waitpid(h, NULL, 0);
	}
	if (fd >= 0)
		close(fd);
	finish();
}

T_CASE(garbage_fifo)
{
	rounds("FIFO", 48, round_fifo);
}

/* ---- the name ------------------------------------------------------------ */

struct lie {
	int kind;
	const char *what;
};

static void name_scene(const void *arg)
{
	const struct lie *l = arg;
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	char path[512], target[300], buf[RBUF];
	uint64_t gen = round_queue(4, 0x4e, 3, 0), hgen;
	unsigned prio;
	ssize_t r;
	int fd, id;
	mqd_t h;

	/* Another queue, which must come to no harm. */
	op("the other queue");
	h = umq_mq_open("/h", O_CREAT | O_EXCL | O_RDWR | O_NONBLOCK, 0600,
			&a);
	if (h == (mqd_t)-1)
		R_FAIL("mq_open /h: %s", strerrorname_np(errno));
	id = mk(buf, 3, 30);
	if (umq_mq_send(h, buf, 30, 3))
		R_FAIL("mq_send /h: %s", strerrorname_np(errno));
	hgen = gen_of("h");

	snprintf(path, sizeof(path), "%s/names/g", t_umq_dir());
	unlink(path);
	switch (l->kind) {
	case 0:
		snprintf(target, sizeof(target), "%016llx",
			 (unsigned long long)hgen);
		break;
	case 1:
		snprintf(target, sizeof(target), "%016llx",
			 (unsigned long long)gen ^ 1);
		break;
	case 2:
		strcpy(target, "zz:y");
		break;
	case 3:
		strcpy(target, "0");
		break;
	case 4:
		strcpy(target, "ffffffffffffffff");
		break;
	case 5:
		memset(target, '7', 280);
		target[280] = 0;
		break;
	case 6:
		snprintf(target, sizeof(target), "../posix/%016llx",
			 (unsigned long long)gen);
		break;
	case 7:
		snprintf(target, sizeof(target), "%016llx.p",
			 (unsigned long long)gen);
		break;
	case 8:
		fd = open(path, O_CREAT | O_RDWR, 0600);
		if (fd < 0)
			R_FAIL("open %.200s: %s", path, strerror(errno));
		close(fd);
		break;
	case 9:
		if (mkfifo(path, 0600))
			R_FAIL("mkfifo %.200s: %s", path, strerror(errno));
		break;
	case 10:
		if (mkdir(path, 0700))
			R_FAIL("mkdir %.200s: %s", path, strerror(errno));
		break;
	}
	if (l->kind <= 7 && symlink(target, path))
		R_FAIL("symlink %.200s: %s", path, strerror(errno));
	did("names/g %s", l->what);

	use();
	op("the other queue, after");
	prio = 0;
	r = umq_mq_receive(h, buf, RBUF, &prio);
	if (r != 30 || which(buf, r, prio) != id)
		R_FAIL("the other queue's message: %zd %s", r,
		       r < 0 ? strerrorname_np(errno) : "(torn)");
	umq_mq_close(h);
	if (gen_of("h") != hgen)
		R_FAIL("the other queue's name changed");
	op("mq_unlink of the lying name");
	judge(umq_mq_unlink(QNAME), LOG->op);
	if (l->kind == 10)
		rmdir(path);
	else
		unlink(path);
	op("mq_unlink /h");
	if (umq_mq_unlink("/h"))
		R_FAIL("mq_unlink /h: %s", strerrorname_np(errno));
	finish();
}

T_CASE(garbage_names)
{
	static const struct lie lies[] = {
		{ 0, "points to another queue" },
		{ 1, "points to a generation that does not exist" },
		{ 2, "points to text that is no number" },
		{ 3, "points to generation 0" },
		{ 4, "points to generation 2^64 - 1" },
		{ 5, "points to a long target" },
		{ 6, "points to a path" },
		{ 7, "points to the FIFO's name" },
		{ 8, "is a regular file" },
		{ 9, "is a FIFO" },
		{ 10, "is a directory" },
	};

	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++)
		scene(lies[i].what, name_scene, &lies[i]);
}

/* ---- the file's size and kind -------------------------------------------- */

struct size_case {
	int64_t size;		/* < 0: from the end */
	int kind;		/* 0: truncate, 1: FIFO, 2: directory,
				 * 3: extend by size bytes */
	int err;		/* mq_open's errno, 0: it opens */
	const char *what;
	int alt;		/* another errno as good */
};

static void size_scene(const void *arg)
{
	const struct size_case *sc = arg;
	char path[512];
	struct stat st;
	mqd_t d;
	uint64_t gen = round_queue(5, 0x51, 5, 1);

	data_path(path, sizeof(path), gen, "");
	if (stat(path, &st))
		R_FAIL("stat %.200s: %s", path, strerror(errno));
	if (sc->kind == 1 || sc->kind == 2) {
		unlink(path);
		if (sc->kind == 1 ? mkfifo(path, 0600) : mkdir(path, 0700))
			R_FAIL("mkfifo/mkdir %.200s: %s", path, strerror(errno));
	} else {
		off_t size = sc->size < 0 || sc->kind == 3 ?
			     st.st_size + sc->size : sc->size;
		if (truncate(path, size))
			R_FAIL("truncate %.200s: %s", path, strerror(errno));
	}
	did("the data file %s", sc->what);
	op("mq_open of a queue whose file %s", sc->what);
	errno = 0;
	d = umq_mq_open(QNAME, O_RDWR | O_NONBLOCK);
	if (sc->err && (d != (mqd_t)-1 || (errno != sc->err &&
					   (!sc->alt || errno != sc->alt))))
		R_FAIL("mq_open of a queue whose file %s returned %d %s, "
		       "expected -1 %s", sc->what, d, d == (mqd_t)-1 ?
		       strerrorname_np(errno) : "", strerrorname_np(sc->err));
	if (!sc->err && d == (mqd_t)-1)
		R_FAIL("mq_open of a queue whose file %s: %s", sc->what,
		       strerrorname_np(errno));
	if (d != (mqd_t)-1)
		umq_mq_close(d);
	if (use() && sc->kind == 3)
		repaired();
	if (sc->kind == 2)
		rmdir(path);
	finish();
}

T_CASE(garbage_file_size)
{
	static const struct size_case cases[] = {
		{ 0, 0, EUCLEAN, "is empty", 0 },
		{ 100, 0, EUCLEAN, "is cut to 100 bytes", 0 },
		{ PQ_CTL_SIZE, 0, EUCLEAN, "is cut to the control block", 0 },
		{ PQ_STORE_OFF, 0, EUCLEAN, "is cut before the store", 0 },
		{ PQ_STORE_OFF + STORE_HDR_SIZE - 1, 0, EUCLEAN,
		  "is cut inside the store header", 0 },
		{ PQ_STORE_OFF + STORE_HDR_SIZE, 0, EUCLEAN,
		  "is cut after the store header", 0 },
		{ PQ_STORE_OFF + STORE_HDR_SIZE + 1000, 0, EUCLEAN,
		  "is cut inside the chunks", 0 },
		{ -1, 0, EUCLEAN, "lost its last byte", 0 },
		{ 1, 3, 0, "has a byte more", 0 },
		{ 1 << 20, 3, 0, "is 1 MiB longer", 0 },
		{ 1ll << 32, 3, 0, "is 4 GiB longer (sparse)", 0 },
		{ 0, 1, EUCLEAN, "is a FIFO", 0 },
		/* open(O_RDWR) says EISDIR: no queue file there */
		{ 0, 2, EUCLEAN, "is a directory", ENOENT },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		scene(cases[i].what, size_scene, &cases[i]);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
