/* SPDX-License-Identifier: MIT */
/*
 * lock_wedge.c - no value in a lock makes a caller wait forever, unless a
 * live holder that checks out holds it (DESIGN.md §3, LOCKING L11); and a
 * namespace is usable by every user it admits from its first use (§1).
 *
 * Wedges: a bad value is written into a System V queue's lock (its file
 * sysv/q.<gen>), the hints file (there is no namespace-wide lock, L1), a
 * POSIX queue's lock or waiters' "alive" mutexes (sysv/m.<gen>), and a
 * fresh process then uses the queues under a deadline: every call must
 * complete with the right result, and every message must survive.  A
 * creator stopped mid-msgget holds nobody up.
 * Holders: a process that really holds a lock and is stopped is waited
 * for (no repair) until it continues, by a call that may block (one that
 * must not gives up: bounded.c); a holder that dies leaves "owner
 * died"; two processes that judge the same bad lock at once repair it
 * once.  Namespaces: created by root, by an ordinary user, by racing
 * users, used by others at once with both APIs, as real users.
 */
#include "t.h"

#include <dirent.h>
#include <linux/futex.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "internal.h"
#include "qfile.h"

#define DEADLINE 10		/* seconds for a fresh process's calls */
#define UID_A 1000
#define UID_B 65534

/* ---- small helpers ------------------------------------------------------- */

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void wait_stopped(pid_t pid)
{
	for (int i = 0; i < 5000; i++) {
		if (t_proc_state(pid) == 'T')
			return;
		t_msleep(1);
	}
	T_FAIL("process %d did not stop", (int)pid);
}

/* The control block of queue qid (unmap sizeof(struct qfile)). */
static struct qctl *q_map(int qid)
{
	return &ctl_of(qid)->q;
}

/* The control page of POSIX queue /name. */
static struct pqctl *pq_map(const char *name)
{
	char path[600], target[64];
	size_t size;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/names/%s", t_umq_dir(), name + 1);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		T_FAIL("readlink %s: %s", path, strerror(errno));
	target[n] = 0;
	snprintf(path, sizeof(path), "posix/%s", target);
	return map_file_at(path, PQ_STORE_OFF, &size);
}

static uint32_t *lock_word(pthread_mutex_t *m)
{
	return (uint32_t *)&m->__data.__lock;
}

struct tmsg {
	long mtype;
	char text[64];
};

static void put(int qid, long type)
{
	struct tmsg m = { type, "" };

	snprintf(m.text, sizeof(m.text), "m%ld", type);
	T_OK(umq_msgsnd(qid, &m, strlen(m.text) + 1, IPC_NOWAIT));
}

/* ---- the fresh process --------------------------------------------------- */

/* What a fresh process found: where it stopped, and why. */
struct res {
	int done;
	char why[240];
	unsigned long repairs;
};

/* The queues a fresh process uses: a System V queue with messages of
 * types 1-3, a POSIX queue with "p1".."p3". */
struct scene {
	key_t key;
	int qid;
	char pname[32];
};

#define F_FAIL(r, ...)                                                  \
	do {                                                            \
		snprintf((r)->why, sizeof((r)->why), __VA_ARGS__);      \
		_exit(1);                                               \
	} while (0)

static void scene_make(struct scene *s, int n)
{
	struct mq_attr a = { .mq_maxmsg = 8, .mq_msgsize = 64 };
	mqd_t mq;

	s->key = 0x10c0 + n;
	s->qid = (int)T_OK(umq_msgget(s->key, IPC_CREAT | 0600));
	for (long t = 1; t <= 3; t++)
		put(s->qid, t);
	snprintf(s->pname, sizeof(s->pname), "/w%d", n);
	mq = (mqd_t)T_OK(umq_mq_open(s->pname, O_CREAT | O_RDWR, 0600, &a));
	for (int i = 1; i <= 3; i++) {
		char b[8];
		snprintf(b, sizeof(b), "p%d", i);
		T_OK(umq_mq_send(mq, b, strlen(b) + 1, 0));
	}
	umq_mq_close(mq);
}

/* Every kind of call, each checked: the queue's three messages and one
 * more come out in order on both sides. */
static void fresh_ops(const struct scene *s, struct res *r)
{
	struct msqid_ds ds;
	struct mq_attr a;
	struct tmsg m;
	char b[64], want[8];
	int id;
	mqd_t mq;

	id = umq_msgget(s->key, 0);
	if (id != s->qid)
		F_FAIL(r, "msgget: %d %s", id, strerrorname_np(errno));
	if (umq_msgctl(id, IPC_STAT, &ds) || ds.msg_qnum != 3)
		F_FAIL(r, "IPC_STAT: %s qnum %lu", strerrorname_np(errno),
		       (unsigned long)ds.msg_qnum);
	m.mtype = 4;
	strcpy(m.text, "m4");
	if (umq_msgsnd(id, &m, 3, IPC_NOWAIT))
		F_FAIL(r, "msgsnd: %s", strerrorname_np(errno));
	for (long t = 1; t <= 4; t++) {
		ssize_t n = umq_msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT);
		snprintf(want, sizeof(want), "m%ld", t);
		if (n != 3 || m.mtype != t || strcmp(m.text, want))
			F_FAIL(r, "msgrcv %ld: %zd %s type %ld", t, n,
			       n < 0 ? strerrorname_np(errno) : m.text,
			       m.mtype);
	}
	mq = umq_mq_open(s->pname, O_RDWR);
	if (mq == (mqd_t)-1)
		F_FAIL(r, "mq_open: %s", strerrorname_np(errno));
	if (umq_mq_getattr(mq, &a) || a.mq_curmsgs != 3)
		F_FAIL(r, "mq_getattr: %s curmsgs %ld",
		       strerrorname_np(errno), a.mq_curmsgs);
	if (umq_mq_send(mq, "p4", 3, 0))
		F_FAIL(r, "mq_send: %s", strerrorname_np(errno));
	for (int i = 1; i <= 4; i++) {
		ssize_t n = umq_mq_receive(mq, b, sizeof(b), NULL);
		snprintf(want, sizeof(want), "p%d", i);
		if (n != 3 || strcmp(b, want))
			F_FAIL(r, "mq_receive %d: %zd %s", i, n,
			       n < 0 ? strerrorname_np(errno) : b);
	}
	umq_mq_close(mq);
	id = umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (id < 0 || umq_msgctl(id, IPC_RMID, NULL))
		F_FAIL(r, "a new queue: %s", strerrorname_np(errno));
}

/*
 * A fresh process, forked now and held until go(): so that its own id
 * can be the bad value.
 */
struct fresh {
	pid_t pid;
	int go;
	struct res *r;
};

static void fresh_start(struct fresh *f, void (*fn)(void *, struct res *),
			void *arg, int deadline)
{
	int p[2];

	f->r = t_shared(sizeof(*f->r));
	if (pipe(p))
		T_FAIL("pipe: %s", strerror(errno));
	fflush(NULL);
	f->pid = fork();
	if (f->pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (f->pid == 0) {
		char c;
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(2);
		alarm((unsigned)deadline);
		fn(arg, f->r);
		f->r->repairs = lock_repairs;
		f->r->done = 1;
		_exit(0);
	}
	close(p[0]);
	f->go = p[1];
}

static void fresh_go(struct fresh *f)
{
	if (write(f->go, "g", 1) != 1)
		T_FAIL("write: %s", strerror(errno));
	close(f->go);
}

/* Its end, within the deadline and a margin: 0, or a reason. */
static const char *fresh_end(struct fresh *f, int deadline)
{
	static char why[300];
	int st = t_reap(f->pid, (deadline + 5) * 1000);

	if (st == -1)
		return "still running after its deadline";
	if (WIFSIGNALED(st)) {
		snprintf(why, sizeof(why), "killed by signal %d%s",
			 WTERMSIG(st), WTERMSIG(st) == SIGALRM ?
			 " (deadline: it hung)" : "");
		return why;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) || !f->r->done) {
		snprintf(why, sizeof(why), "failed: %s", f->r->why);
		return why;
	}
	return NULL;
}

/* A fresh process that runs fn(arg, r) at once, under DEADLINE: why it
 * failed, or NULL. */
static const char *fresh_run(struct fresh *f,
			     void (*fn)(void *, struct res *), void *arg)
{
	fresh_start(f, fn, arg, DEADLINE);
	fresh_go(f);
	return fresh_end(f, DEADLINE);
}

static void run_ops(void *arg, struct res *r)
{
	fresh_ops(arg, r);
}

/* ---- bad values ---------------------------------------------------------- */

enum bad {
	B_WAITERS,		/* 0x80000000: waiters, no owner */
	B_DIED,			/* 0x40000000 */
	B_DIED_WAITERS,		/* 0xC0000000 */
	B_LIVE,			/* a live process that never held it */
	B_LIVE_WAITERS,
	B_SELF,			/* the fresh process's own id */
	B_LAST_HOLDER,		/* the live process that held it last */
	B_ABOVE_PID_MAX,
	B_TID_MASK,		/* 0x3fffffff */
	B_DEAD,			/* a process that exited */
	B_FIELDS,		/* free word, garbage in every other byte */
	B_FIELDS_LIVE,		/* a live id, garbage in every other byte */
	B_LIVE_CHECKED,		/* a live process's id, check and tag: one
				 * that does not map the queue */
	B_RANDOM1, B_RANDOM2, B_RANDOM3,
	B_COUNT
};

static const char *bad_name[B_COUNT] = {
	"waiters bit alone", "owner-died bit alone",
	"owner-died and waiters bits", "live unrelated process",
	"live unrelated process, waiters bit", "the caller's own id",
	"the last holder, alive", "above pid_max", "every id bit",
	"a process that exited", "garbage beside a free word",
	"garbage beside a live id",
	"a live process's whole identity, queue not mapped", "random bytes 1", "random bytes 2",
	"random bytes 3",
};

static pid_t live_pid(void)
{
	static pid_t live;

	if (!live) {
		fflush(NULL);
		live = fork();
		if (live < 0)
			T_FAIL("fork: %s", strerror(errno));
		if (live == 0) {
			for (;;)
				pause();
		}
	}
	return live;
}

/* A live process that has never mapped a queue: sleep(1), exec'd, and
 * killed when we exit. */
static pid_t live_exec_pid(void)
{
	static pid_t live;
	char path[64], comm[32] = "";

	if (live)
		return live;
	fflush(NULL);
	live = fork();
	if (live < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (live == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execlp("sleep", "sleep", "3600", (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)live);
	for (int i = 0; i < 5000 && strcmp(comm, "sleep\n"); i++) {
		int fd = open(path, O_RDONLY);
		ssize_t n = fd < 0 ? 0 : read(fd, comm, sizeof(comm) - 1);

		if (fd >= 0)
			close(fd);
		comm[n > 0 ? n : 0] = 0;
		t_msleep(1);
	}
	if (strcmp(comm, "sleep\n"))
		T_FAIL("sleep did not start");
	return live;
}

static void garbage_fields(pthread_mutex_t *m, uint64_t seed)
{
	uint8_t *b = (uint8_t *)m;

	for (size_t i = sizeof(int); i < sizeof(*m); i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		b[i] = (uint8_t)(seed >> 56);
	}
}

/* Write bad value v into m, and tag beside it (NULL: none); self: the
 * fresh process. */
static void apply(pthread_mutex_t *m, uint32_t *tag, enum bad v, pid_t self)
{
	uint32_t *w = lock_word(m), check;

	switch (v) {
	case B_LIVE_CHECKED:
		/* What a user who can write the lock can copy from a lock
		 * that process holds, or compute from /proc. */
		if (holder_check((uint32_t)live_exec_pid(), &check))
			T_FAIL("no check for a live process");
		if (tag)
			*tag = holder_ident();
		m->__data.__count = (int)check;
		*w = (uint32_t)live_exec_pid();
		break;
	case B_WAITERS: *w = 0x80000000u; break;
	case B_DIED: *w = 0x40000000u; break;
	case B_DIED_WAITERS: *w = 0xC0000000u; break;
	case B_LIVE: *w = (uint32_t)live_pid(); break;
	case B_LIVE_WAITERS: *w = (uint32_t)live_pid() | 0x80000000u; break;
	case B_SELF: *w = (uint32_t)self; break;
	case B_LAST_HOLDER: *w = (uint32_t)getpid(); break;
	case B_ABOVE_PID_MAX:
		*w = (uint32_t)t_sysctl_read("/proc/sys/kernel/pid_max") + 1;
		break;
	case B_TID_MASK: *w = 0x3fffffffu; break;
	case B_DEAD: *w = (uint32_t)t_dead_pid(); break;
	case B_FIELDS:
		*w = 0;
		garbage_fields(m, 7);
		break;
	case B_FIELDS_LIVE:
		*w = (uint32_t)live_pid();
		garbage_fields(m, 11);
		break;
	default:
		garbage_fields(m, (uint64_t)v * 0x9e3779b9u);
		*w = 0;
		for (int i = 0; i < 4; i++)
			*w = *w << 8 | ((uint8_t *)m)[8 + i];
		break;
	}
}

enum which { L_QUEUE, L_HINTS, L_POSIX, L_LANE_SEND, L_LANE_RECV };

/* The hints file's first words (the id cursor, the sequence, the counts:
 * layout.h), through a lock-sized buffer. */
static void hints_io(pthread_mutex_t *m, bool write)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/ns", t_umq_dir());
	fd = open(path, O_RDWR);
	if (fd < 0)
		T_FAIL("open %s: %s", path, strerror(errno));
	if ((write ? pwrite(fd, m, sizeof(*m), 0) :
	     pread(fd, m, sizeof(*m), 0)) != sizeof(*m))
		T_FAIL("%s %s: %s", write ? "pwrite" : "pread", path,
		       strerror(errno));
	close(fd);
}

/*
 * For each bad value in the lock `which`: a fresh process's calls.
 * L_HINTS: there is no namespace-wide lock (L1); the registry's one
 * shared file every user may write is the hints file, so the same bytes
 * go into its words, and the calls (a creation among them) must not
 * mind.
 */
static void wedge(enum which which)
{
	int failed = 0;

	for (int v = 0; v < B_COUNT; v++) {
		struct scene s;
		struct fresh f;
		pthread_mutex_t *m, hints;
		struct qctl *q;
		const char *why;

		scene_make(&s, v);
		q = q_map(s.qid);
		fresh_start(&f, run_ops, &s, DEADLINE);
		struct pqctl *pc = pq_map(s.pname);
		struct lane *l = &((struct qfile *)q)->lane;
		m = which == L_QUEUE ? &q->lock :
		    which == L_HINTS ? &hints :
		    which == L_LANE_SEND ? &l->slock :
		    which == L_LANE_RECV ? &l->rlock : &pc->lock;
		if (which == L_HINTS)
			hints_io(m, false);
		apply(m, which == L_QUEUE ? &q->lock_ns :
			 which == L_POSIX ? &pc->lock_ns :
			 which == L_LANE_SEND ? &l->slock_ns :
			 which == L_LANE_RECV ? &l->rlock_ns : NULL,
		      (enum bad)v, f.pid);
		if (which == L_HINTS)
			hints_io(m, true);
		fresh_go(&f);
		why = fresh_end(&f, DEADLINE);
		if (why) {
			t_note("%s: %s", bad_name[v], why);
			failed++;
		} else if (which != L_HINTS && *lock_word(m)) {
			t_note("%s: lock word %#x after the calls", bad_name[v],
			       *lock_word(m));
			failed++;
		}
		munmap(pc, PQ_STORE_OFF);
		munmap(q, sizeof(struct qfile));
	}
	if (failed)
		T_FAIL("%d of %d bad values wedged or broke the queues", failed,
		       B_COUNT);
}

T_CASE(wedge_sysv_queue_lock) { wedge(L_QUEUE); }
T_CASE(wedge_hints) { wedge(L_HINTS); }
T_CASE(wedge_posix_queue_lock) { wedge(L_POSIX); }
/* The lane's side locks (L14): its plain sends and receives take them. */
T_CASE(wedge_lane_senders_lock) { wedge(L_LANE_SEND); }
T_CASE(wedge_lane_receivers_lock) { wedge(L_LANE_RECV); }

/*
 * A holder's namespace tag that is not ours: nothing can be checked, so
 * the caller waits a bounded time (10 s), then repairs.
 */
T_CASE(wedge_foreign_namespace_tag)
{
	struct scene s;
	struct fresh f;
	const char *why;
	struct qctl *q;

	scene_make(&s, 0);
	q = q_map(s.qid);
	fresh_start(&f, run_ops, &s, 30);
	q->lock.__data.__lock = (int)live_pid();
	q->lock_ns ^= 0x5a5a5a5a;
	fresh_go(&f);
	why = fresh_end(&f, 30);
	if (why)
		T_FAIL("a lock whose holder is in another namespace: %s", why);
	if (q->lock.__data.__lock)
		T_FAIL("lock word %#x after the calls", q->lock.__data.__lock);
}

/* The caller's own id and check on a lock it does not hold: garbage at
 * once, whatever namespace tag is beside it (a tag it cannot check would
 * otherwise cost 10 s, past this deadline). */
T_CASE(wedge_own_id_and_check)
{
	pthread_mutex_t a, b;
	uint32_t tag = 0;

	alarm(5);
	lock_init(&a);
	lock_init(&b);
	T_EQ(lock_take(&a, NULL), 0);
	memcpy(&b, &a, 8);	/* our word and check */
	lock_drop(&a);
	T_EQ(lock_take(&b, &tag), 1);
	lock_mend(&b);
	lock_drop(&b);
	T_EQ(*lock_word(&b), 0);
	T_EQ(lock_take(&b, &tag), 0);
	lock_drop(&b);
}

/* ---- waiters' "alive" mutexes -------------------------------------------- */

struct alive_arg {
	int qid;
	int sender_go;		/* a helper sends type 7 after this */
};

/* Sends to the blocked receiver, then blocks itself (its record comes
 * from a pool whose first records are bad) until a helper sends. */
static void alive_ops(void *p, struct res *r)
{
	struct alive_arg *a = p;
	struct msqid_ds ds;
	struct tmsg m = { 9, "x" };

	if (umq_msgsnd(a->qid, &m, 2, IPC_NOWAIT))
		F_FAIL(r, "msgsnd to the receiver: %s", strerrorname_np(errno));
	m.mtype = 5;
	strcpy(m.text, "y");
	if (umq_msgsnd(a->qid, &m, 2, IPC_NOWAIT))
		F_FAIL(r, "msgsnd: %s", strerrorname_np(errno));
	if (umq_msgrcv(a->qid, &m, sizeof(m.text), 5, IPC_NOWAIT) != 2 ||
	    strcmp(m.text, "y"))
		F_FAIL(r, "msgrcv: %s", strerrorname_np(errno));
	if (write(a->sender_go, "g", 1) != 1)
		F_FAIL(r, "write");
	if (umq_msgrcv(a->qid, &m, sizeof(m.text), 7, 0) != 2 ||
	    strcmp(m.text, "z"))
		F_FAIL(r, "blocking msgrcv: %s", strerrorname_np(errno));
	if (umq_msgctl(a->qid, IPC_STAT, &ds))
		F_FAIL(r, "IPC_STAT: %s", strerrorname_np(errno));
}

T_CASE(wedge_waiter_alive)
{
	int failed = 0;

	for (int v = 0; v < B_COUNT; v++) {
		struct blocked *rcv;
		void *h;
		struct alive_arg a;
		struct fresh f;
		struct tmsg m;
		const char *why;
		int sp[2], rec;
		pid_t snd;

		a.qid = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
		rcv = blocked_msgrcv(a.qid, 9, DEADLINE + 10);
		if (!rcv)
			T_FAIL("the receiver did not block");
		h = pool_of(a.qid);
		rec = record_of(h, rcv->pid);
		if (rec < 0)
			T_FAIL("no record for the blocked receiver");
		if (pipe(sp))
			T_FAIL("pipe: %s", strerror(errno));
		a.sender_go = sp[1];
		fflush(NULL);
		snd = fork();
		if (snd == 0) {
			char c;
			struct tmsg z = { 7, "z" };
			alarm(DEADLINE + 10);
			if (read(sp[0], &c, 1) != 1)
				_exit(1);
			t_msleep(100);
			_exit(umq_msgsnd(a.qid, &z, 2, 0) ? 1 : 0);
		}
		fresh_start(&f, alive_ops, &a, DEADLINE);
		/* The receiver's record, and the 64 records where the fresh
		 * process starts looking for one of its own (wait.c). */
		apply(&waiter_at(h, (uint32_t)rec)->alive, NULL, (enum bad)v,
		      f.pid);
		uint32_t first = (uint32_t)f.pid % (Q_WAITERS / 64) * 64;
		for (uint32_t i = first; i < first + 64; i++) {
			struct waiter *w = waiter_at(h, i);
			if ((int)i == rec || w->linked)
				continue;
			w->inited = 2;
			apply(&w->alive, NULL, (enum bad)v, f.pid);
		}
		fresh_go(&f);
		why = fresh_end(&f, DEADLINE);
		if (why) {
			t_note("%s: %s", bad_name[v], why);
			failed++;
		}
		/* "x" is with the receiver, or still queued. */
		int st = t_reap(rcv->pid, 1000);
		if (st == -1) {
			if (umq_msgrcv(a.qid, &m, sizeof(m.text), 9,
				       IPC_NOWAIT) != 2 || strcmp(m.text, "x")) {
				t_note("%s: the message to the receiver is "
				       "lost", bad_name[v]);
				failed++;
			}
		} else if (!WIFEXITED(st) || WEXITSTATUS(st) ||
			   rcv->ret != 2 || strcmp(rcv->text, "x")) {
			t_note("%s: the receiver ended with %#x, got '%s'",
			       bad_name[v], st, rcv->text);
			failed++;
		}
		t_reap(snd, 1000);
		close(sp[0]);
		close(sp[1]);
		umq_msgctl(a.qid, IPC_RMID, NULL);
		munmap(h, WPOOL_SIZE);
	}
	if (failed)
		T_FAIL("%d of %d bad values lost a message or wedged", failed,
		       B_COUNT);
}

/* ---- live holders -------------------------------------------------------- */

struct hold {
	pthread_mutex_t *m;
	uint32_t *tag;
};

static void hold_child(void *arg)
{
	struct hold *h = arg;

	if (lock_take(h->m, h->tag))
		_exit(3);	/* a repair we did not expect */
	raise(SIGSTOP);
	lock_drop(h->m);
}

/* A child that takes lock m the library's way, then stops. */
static pid_t holder(pthread_mutex_t *m, uint32_t *tag)
{
	struct hold h = { m, tag };
	pid_t pid = t_spawn_alarm(hold_child, &h, 60);

	wait_stopped(pid);
	return pid;
}

/*
 * The fresh process f waits for the stopped holder hold (2 s of it),
 * then completes once the holder goes on and ends, and repairs nothing.
 */
static void fresh_waits_for(struct fresh *f, pid_t hold)
{
	const char *why;
	int st;

	t_msleep(2000);
	st = t_wait_child(f->pid, 0, 1);
	if (st != -1) {
		reap(hold);
		T_FAIL("the fresh process did not wait for a stopped holder "
		       "(status %#x: %s)", st, f->r->why);
	}
	kill(hold, SIGCONT);
	st = t_wait_child(hold, 0, 5000);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("the holder ended with status %#x", st);
	why = fresh_end(f, DEADLINE);
	if (why)
		T_FAIL("after the holder went on: %s", why);
	if (f->r->repairs)
		T_FAIL("%lu repairs of a lock whose holder was alive",
		       f->r->repairs);
}

/*
 * While a stopped holder really holds the lock, a fresh process waits,
 * through many looks at the holder, and repairs nothing; it completes
 * once the holder continues and unlocks.  garbage: meanwhile write
 * garbage everywhere in the lock but its word and check, which the
 * holder's unlock must survive.
 */
static void stopped_holder(enum which which, bool garbage)
{
	struct scene s;
	struct fresh f;
	pthread_mutex_t *m;
	uint32_t *tag;
	pid_t hold;

	scene_make(&s, 0);
	struct pqctl *pc = pq_map(s.pname);
	struct qctl *q = q_map(s.qid);
	m = which == L_QUEUE ? &q->lock : &pc->lock;
	tag = which == L_QUEUE ? &q->lock_ns : &pc->lock_ns;
	hold = holder(m, tag);
	fresh_start(&f, run_ops, &s, DEADLINE + 5);
	fresh_go(&f);
	if (garbage) {
		uint64_t save = *(uint64_t *)(void *)m;
		garbage_fields(m, 3);
		*(uint64_t *)(void *)m = save;
	}
	fresh_waits_for(&f, hold);
}

T_CASE(holder_stopped_sysv_queue_lock) { stopped_holder(L_QUEUE, false); }
T_CASE(holder_stopped_posix_queue_lock) { stopped_holder(L_POSIX, false); }
T_CASE(holder_stopped_garbage_beside) { stopped_holder(L_QUEUE, true); }

/*
 * One file, two names: through an overlay and through its upper
 * directory.  Since Linux 6.8 maps show the first under the overlay's
 * device (holder.c): a holder that maps the file by one name is still
 * waited for by a caller that maps it by the other, and a holder that
 * dies still hands over "owner died".
 */
static char ov_dir[600];

static pthread_mutex_t *ov_map(const char *name)
{
	char path[700];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/g", ov_dir, name);
	fd = open(path, O_RDWR);
	if (fd < 0)
		T_FAIL("open %s: %s", path, strerror(errno));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		T_FAIL("mmap %s: %s", path, strerror(errno));
	return p;
}

static void ov_hold(void *arg)
{
	pthread_mutex_t *m = ov_map(arg);

	T_EQ(lock_take(m, (uint32_t *)((char *)m + 256)), 0);
	for (;;)
		pause();
}

static void ov_both(const char *holder, const char *waiter)
{
	pthread_mutex_t *m;
	pid_t hold, wait;
	int st;

	hold = t_spawn_alarm(ov_hold, (void *)holder, 30);
	m = ov_map(waiter);
	for (int i = 0; i < 5000 && !*lock_word(m); i++)
		t_msleep(1);
	T_ASSERT(*lock_word(m) == (uint32_t)hold);
	wait = fork();
	if (wait == 0) {
		alarm(20);
		_exit(lock_take(m, (uint32_t *)((char *)m + 256)) == 1 ? 0 : 3);
	}
	/* Four looks at the holder, each of which could have robbed it. */
	if (t_wait_child(wait, 0, 1500) != -1)
		T_FAIL("%s robbed a live holder through %s", waiter, holder);
	reap(hold);
	st = t_reap(wait, 5000);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("no \"owner died\" after the holder died: %#x", st);
	*lock_word(m) = 0;
	munmap(m, 4096);
}

T_CASE(holder_through_an_overlay_is_waited_for)
{
	static const char *const sub[] = { "l", "u", "w", "m" };
	char opts[2200], path[700];
	pid_t run;
	int st;

	if (geteuid())
		t_skip("mounting an overlay needs root");
	snprintf(ov_dir, sizeof(ov_dir), "%s/ov", t_umq_dir());
	T_OK(mkdir(ov_dir, 0700));
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", ov_dir, sub[i]);
		T_OK(mkdir(path, 0700));
	}
	snprintf(path, sizeof(path), "%s/u/g", ov_dir);
	st = T_OK(open(path, O_RDWR | O_CREAT, 0600));
	T_OK(ftruncate(st, 4096));
	close(st);
	snprintf(opts, sizeof(opts), "lowerdir=%s/l,upperdir=%s/u,workdir=%s/w",
		 ov_dir, ov_dir, ov_dir);
	snprintf(path, sizeof(path), "%s/m", ov_dir);
	if (mount("overlay", path, "overlay", 0, opts))
		t_skip("no overlay here: %s", strerror(errno));
	/* In a child, so that the overlay is unmounted whatever happens. */
	run = fork();
	if (run == 0) {
		ov_both("u", "m");
		ov_both("m", "u");
		_exit(0);
	}
	st = t_reap(run, 30000);
	umount2(path, MNT_DETACH);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("see above (status %#x)", st);
}

/*
 * A holder whose check is overwritten while it is stopped no longer
 * checks out: it is robbed (DESIGN.md §3).  When it goes on, its unlock
 * must neither crash nor free the lock of whoever holds it now.
 */
T_CASE(holder_robbed_unlocks_nothing)
{
	struct qctl *q;
	struct scene s;
	struct fresh f;
	const char *why;
	pthread_mutex_t *m;
	pid_t robbed, now;
	int st;

	scene_make(&s, 0);
	q = q_map(s.qid);
	m = &q->lock;
	robbed = holder(m, &q->lock_ns);
	m->__data.__count ^= 0x5a5a5a5a;
	why = fresh_run(&f, run_ops, &s);
	if (why)
		T_FAIL("beside a robbed holder: %s", why);
	if (f.r->repairs != 1)
		T_FAIL("%lu repairs, expected 1", f.r->repairs);
	now = holder(m, &q->lock_ns);
	kill(robbed, SIGCONT);
	st = t_wait_child(robbed, 0, 5000);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("the robbed holder ended with status %#x", st);
	if ((*lock_word(m) & FUTEX_TID_MASK) != (uint32_t)now)
		T_FAIL("lock word %#x: the robbed holder's unlock freed the "
		       "lock of %d", *lock_word(m), (int)now);
	kill(now, SIGCONT);
	st = t_wait_child(now, 0, 5000);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("the holder ended with status %#x", st);
	T_EQ(*lock_word(m), 0);
}

static void stop_here(int point)
{
	if (point == FP_SEND_LINK) {
		umq_fault_hook = NULL;
		raise(SIGSTOP);
	}
}

/* The same, stopped inside a real critical section (a send); the fresh
 * send blocks (IPC_NOWAIT would give up: bounded.c). */
static void send_one_waiting(void *p, struct res *r);

T_CASE(holder_stopped_in_msgsnd)
{
	struct msqid_ds ds;
	struct scene s;
	struct fresh f;
	pid_t hold;

	scene_make(&s, 0);
	fflush(NULL);
	hold = fork();
	if (hold == 0) {
		struct tmsg m = { 8, "m8" };
		alarm(60);
		umq_lane_off = 1;	/* the queue lock's critical section */
		umq_fault_hook = stop_here;
		_exit(umq_msgsnd(s.qid, &m, 3, 0) ? 1 : 0);
	}
	wait_stopped(hold);
	fresh_start(&f, send_one_waiting, &s, DEADLINE + 5);
	fresh_go(&f);
	fresh_waits_for(&f, hold);
	T_OK(umq_msgctl(s.qid, IPC_STAT, &ds));
	T_EQ(ds.msg_qnum, 5);
}

static void stop_in_create(int point)
{
	if (point == FP_CREATE) {
		umq_fault_hook = NULL;
		raise(SIGSTOP);
	}
}

/*
 * There is no namespace-wide lock (L1): a creator stopped in the middle
 * of msgget(IPC_CREAT), its files made and no index taken yet, holds
 * nobody up.  A fresh process's calls, a creation among them, complete
 * while it is stopped; then it completes too, with a queue of its own.
 */
T_CASE(creator_stopped_holds_nobody)
{
	struct scene s;
	struct fresh f;
	const char *why;
	int *id = t_shared(sizeof(*id));
	pid_t hold;
	int st;

	scene_make(&s, 0);
	fflush(NULL);
	hold = fork();
	if (hold == 0) {
		alarm(60);
		umq_fault_hook = stop_in_create;
		*id = umq_msgget(0x7777, IPC_CREAT | 0600);
		_exit(*id < 0 ? 1 : 0);
	}
	wait_stopped(hold);
	why = fresh_run(&f, run_ops, &s);
	if (why) {
		reap(hold);
		T_FAIL("beside a stopped creator: %s", why);
	}
	if (f.r->repairs)
		T_FAIL("%lu repairs beside a live creator", f.r->repairs);
	T_ERR(umq_msgget(0x7777, 0), ENOENT);
	kill(hold, SIGCONT);
	st = t_wait_child(hold, 0, 5000);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("the creator ended with status %#x", st);
	T_EQ(umq_msgget(0x7777, 0), *id);
	if (*id == s.qid)
		T_FAIL("the creator got the id of a live queue");
}

/* A holder that dies: the kernel marks the locks on its robust list
 * "owner died" at once, in and out of order of taking. */
T_CASE(holder_dies_owner_died)
{
	struct scene s, s2;
	struct qctl *q, *q2;
	pid_t pid;

	scene_make(&s, 0);
	scene_make(&s2, 1);
	q = q_map(s.qid);
	q2 = q_map(s2.qid);	/* another queue's: no namespace lock (L1) */
	struct pqctl *pc = pq_map(s.pname);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		pthread_mutex_t extra;
		lock_init(&extra);
		/* other queue, queue, POSIX, extra; drop the queue and
		 * extra out of order, then die holding two. */
		if (lock_take(&q2->lock, &q2->lock_ns) ||
		    lock_take(&q->lock, &q->lock_ns) ||
		    lock_take(&pc->lock, &pc->lock_ns) ||
		    lock_take(&extra, NULL))
			_exit(3);
		lock_drop(&q->lock);
		lock_drop(&extra);
		_exit(0);
	}
	if (t_wait_child(pid, 0, 5000) == -1)
		T_FAIL("the holder did not end");
	if (!(*lock_word(&q2->lock) & FUTEX_OWNER_DIED) ||
	    !(*lock_word(&pc->lock) & FUTEX_OWNER_DIED))
		T_FAIL("lock words %#x %#x: not marked owner-died",
		       *lock_word(&q2->lock), *lock_word(&pc->lock));
	if (*lock_word(&q->lock))
		T_FAIL("a lock dropped before death: word %#x",
		       *lock_word(&q->lock));
	struct fresh f;
	const char *why = fresh_run(&f, run_ops, &s);
	if (why)
		T_FAIL("after the holder's death: %s", why);
	if (f.r->repairs != 1)
		T_FAIL("%lu repairs, expected 1 (the POSIX queue)",
		       f.r->repairs);
	why = fresh_run(&f, run_ops, &s2);
	if (why)
		T_FAIL("the other queue, after the holder's death: %s", why);
	if (f.r->repairs != 1)
		T_FAIL("%lu repairs, expected 1 (the other System V queue)",
		       f.r->repairs);
}

/*
 * The application's own robust mutexes share the thread's robust list
 * with ours: taking and dropping ours, in and out of order with theirs,
 * must leave theirs working - a thread that dies holding one of them
 * still hands it over "owner died".
 */
struct app {
	pthread_mutex_t a, b;
	struct scene s;
};

static void app_ops(struct app *p)
{
	struct tmsg m;

	put(p->s.qid, 9);
	if (umq_msgrcv(p->s.qid, &m, sizeof(m.text), 9, IPC_NOWAIT) < 0)
		T_FAIL("msgrcv: %s", strerror(errno));
}

static void *app_thread(void *arg)
{
	struct app *p = arg;

	T_ASSERT(pthread_mutex_lock(&p->a) == 0);
	app_ops(p);
	T_ASSERT(pthread_mutex_lock(&p->b) == 0);
	app_ops(p);
	T_ASSERT(pthread_mutex_unlock(&p->a) == 0);
	app_ops(p);
	return NULL;	/* dies holding b */
}

T_CASE(app_robust_mutexes_kept)
{
	struct app *p = t_shared(sizeof(*p));
	pthread_mutexattr_t at;
	pthread_t t;

	pthread_mutexattr_init(&at);
	pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&p->a, &at);
	pthread_mutex_init(&p->b, &at);
	scene_make(&p->s, 0);
	for (int i = 0; i < 3; i++) {
		pthread_create(&t, NULL, app_thread, p);
		pthread_join(t, NULL);
		T_EQ(pthread_mutex_lock(&p->b), EOWNERDEAD);
		T_EQ(pthread_mutex_consistent(&p->b), 0);
		T_EQ(pthread_mutex_unlock(&p->b), 0);
		T_EQ(pthread_mutex_lock(&p->a), 0);
		T_EQ(pthread_mutex_unlock(&p->a), 0);
	}
	/* And ours still work in this thread, around theirs. */
	T_EQ(pthread_mutex_lock(&p->a), 0);
	app_ops(p);
	T_EQ(pthread_mutex_unlock(&p->a), 0);
	app_ops(p);
}

/* ---- one repair ---------------------------------------------------------- */

/*
 * Two processes find the same bad lock at once: one resets it (a
 * compare-and-swap from the bad value), one repairs, the other waits and
 * then finds it sound.
 */
static void send_flags(const struct scene *s, struct res *r, int flg)
{
	struct tmsg m = { 9, "m9" };

	umq_lane_off = 1;	/* a send that takes the queue lock */
	if (umq_msgsnd(s->qid, &m, 3, flg))
		F_FAIL(r, "msgsnd: %s", strerrorname_np(errno));
}

static void send_one(void *p, struct res *r)
{
	send_flags(p, r, IPC_NOWAIT);
}

static void send_one_waiting(void *p, struct res *r)
{
	send_flags(p, r, 0);
}

static void one_repair(uint32_t value)
{
	struct msqid_ds ds;
	struct fresh f[2];
	struct scene s;

	scene_make(&s, 0);
	for (int i = 0; i < 2; i++)
		fresh_start(&f[i], send_one, &s, DEADLINE);
	*lock_word(&q_map(s.qid)->lock) = value;
	for (int i = 0; i < 2; i++)
		fresh_go(&f[i]);
	for (int i = 0; i < 2; i++) {
		const char *why = fresh_end(&f[i], DEADLINE);
		if (why)
			T_FAIL("process %d: %s", i, why);
	}
	if (f[0].r->repairs + f[1].r->repairs != 1)
		T_FAIL("%lu + %lu repairs, expected one", f[0].r->repairs,
		       f[1].r->repairs);
	T_OK(umq_msgctl(s.qid, IPC_STAT, &ds));
	T_EQ(ds.msg_qnum, 5);
}

T_CASE(one_repair_waiters_bit) { one_repair(0x80000000u); }
T_CASE(one_repair_dead_holder) { one_repair((uint32_t)t_dead_pid()); }

/* ---- namespaces as real users -------------------------------------------- */

static void need_root(void)
{
	if (geteuid() != 0)
		t_skip("needs root to act as other users");
}

static char *sub(const char *name)
{
	static char path[4][300];
	static int n;
	char *p = path[n++ % 4];

	snprintf(p, 300, "%s/%s", t_umq_dir(), name);
	return p;
}

/* Both APIs from a first use: create, send, receive, remove. */
static void use_both(void *arg)
{
	const char *dir = arg;
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 32 };
	struct tmsg m = { 3, "hello" };
	char name[32], b[32];
	int id;
	mqd_t mq;

	if (umq_ns_use(dir))
		T_FAIL("uid %d: umq_ns_use(%s): %s", (int)getuid(), dir,
		       strerror(errno));
	id = umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (id < 0 || umq_msgsnd(id, &m, 6, IPC_NOWAIT) ||
	    umq_msgrcv(id, &m, sizeof(m.text), 3, IPC_NOWAIT) != 6 ||
	    umq_msgctl(id, IPC_RMID, NULL))
		T_FAIL("uid %d: System V: %s", (int)getuid(), strerror(errno));
	snprintf(name, sizeof(name), "/u%d.%d", (int)getuid(), (int)getpid());
	mq = umq_mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &a);
	if (mq == (mqd_t)-1 || umq_mq_send(mq, "hi", 3, 1) ||
	    umq_mq_receive(mq, b, sizeof(b), NULL) != 3 ||
	    umq_mq_close(mq) || umq_mq_unlink(name))
		T_FAIL("uid %d: POSIX: %s", (int)getuid(), strerror(errno));
}

/* Queues of both kinds left for others, mode 0666. */
static void leave_queues(void *arg)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 32 };
	struct tmsg m = { 1, "left" };
	mqd_t mq;
	int id;

	umask(0);
	if (umq_ns_use(arg))
		T_FAIL("umq_ns_use: %s", strerror(errno));
	id = umq_msgget(0x5151, IPC_CREAT | 0666);
	if (id < 0 || umq_msgsnd(id, &m, 5, IPC_NOWAIT))
		T_FAIL("System V: %s", strerror(errno));
	mq = umq_mq_open("/left", O_CREAT | O_RDWR, 0666, &a);
	if (mq == (mqd_t)-1 || umq_mq_send(mq, "left", 5, 0))
		T_FAIL("POSIX: %s", strerror(errno));
}

static void take_left(void *arg)
{
	struct tmsg m;
	char b[32];
	int id;
	mqd_t mq;

	if (umq_ns_use(arg))
		T_FAIL("umq_ns_use: %s", strerror(errno));
	id = umq_msgget(0x5151, 0);
	if (id < 0 || umq_msgrcv(id, &m, sizeof(m.text), 1, IPC_NOWAIT) != 5)
		T_FAIL("System V: %s", strerror(errno));
	mq = umq_mq_open("/left", O_RDWR);
	if (mq == (mqd_t)-1 || umq_mq_receive(mq, b, sizeof(b), NULL) != 5)
		T_FAIL("POSIX: %s", strerror(errno));
}

static void as(uid_t uid, void (*fn)(void *), void *arg)
{
	int r = t_as_user(uid, uid == UID_B ? 65534 : uid, fn, arg);

	if (r == T_EXIT_SKIP)
		t_skip("cannot become uid %d", (int)uid);
	if (r)
		T_FAIL("as uid %d: failed", (int)uid);
}

static void owned_by(const char *dir, const char *name, uid_t uid)
{
	char path[600];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (lstat(path, &st))
		T_FAIL("%s: %s", path, strerror(errno));
	if (st.st_uid != uid)
		T_FAIL("%s: owned by %d, expected %d", path, (int)st.st_uid,
		       (int)uid);
}

static void complete(const char *dir, uid_t uid)
{
	static const char *parts[] = { ".", "names", "posix", "sysv", "ns",
				       "limits" };

	for (int i = 0; i < 6; i++)
		owned_by(dir, parts[i], uid);
}

T_CASE(ns_created_by_root_used_by_user)
{
	char *dir = sub("byroot");

	need_root();
	T_OK(umq_ns_use(dir));
	complete(dir, 0);
	as(UID_A, use_both, dir);
	as(UID_B, use_both, dir);
}

/* The default namespace ($UMQ_DIR here), created by root on first use. */
T_CASE(ns_default_created_by_root)
{
	char *dir = sub("default");

	need_root();
	setenv("UMQ_DIR", dir, 1);
	T_OK(umq_ns_use(NULL));
	T_ASSERT(!strcmp(umq_ns_path(), dir));
	complete(dir, 0);
	as(UID_A, use_both, NULL);
	as(UID_B, use_both, NULL);
}

/* An ordinary user comes first: it owns the namespace (and its limits,
 * and could delete others' files, as the owner of a sticky directory);
 * everything else works for everyone. */
static void set_limits(void *arg)
{
	struct umq_limits l;

	if (umq_ns_use(arg) || umq_ns_get_limits(&l))
		T_FAIL("limits: %s", strerror(errno));
	l.msgmnb = 12345;
	if (umq_ns_set_limits(&l))
		T_FAIL("the owner's umq_ns_set_limits: %s", strerror(errno));
}

static void set_limits_denied(void *arg)
{
	struct umq_limits l;

	if (umq_ns_use(arg) || umq_ns_get_limits(&l))
		T_FAIL("limits: %s", strerror(errno));
	if (l.msgmnb != 12345)
		T_FAIL("msgmnb %ld: the owner's limits are not seen",
		       (long)l.msgmnb);
	errno = 0;
	if (umq_ns_set_limits(&l) != -1 || errno != EPERM)
		T_FAIL("another user's umq_ns_set_limits: %s",
		       strerror(errno));
}

T_CASE(ns_created_by_user_first)
{
	char *dir = sub("byuser");

	need_root();
	as(UID_A, use_both, dir);
	complete(dir, UID_A);
	as(UID_A, leave_queues, dir);
	as(UID_B, use_both, dir);
	as(UID_B, take_left, dir);
	use_both(dir);		/* root, too */
	as(UID_A, set_limits, dir);
	as(UID_B, set_limits_denied, dir);
}

/* Creators racing: one namespace, every one of them uses it at once,
 * nothing left behind. */
T_CASE(ns_racing_creators)
{
	static const uid_t who[] = { UID_A, UID_B, 0, UID_A, UID_B, 0 };
	char *dir = sub("race");
	pid_t pid[6];
	int p[2];

	need_root();
	if (pipe(p))
		T_FAIL("pipe: %s", strerror(errno));
	for (int i = 0; i < 6; i++) {
		fflush(NULL);
		pid[i] = fork();
		if (pid[i] == 0) {
			char c;
			close(p[1]);
			if (read(p[0], &c, 1) != 0)
				_exit(2);
			_exit(t_as_user(who[i], who[i] == UID_B ? 65534 :
					who[i], use_both, dir));
		}
	}
	close(p[0]);
	close(p[1]);		/* all go */
	for (int i = 0; i < 6; i++) {
		int st = t_wait_child(pid[i], 0, 20000);
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
			T_FAIL("creator %d (uid %d): status %#x", i,
			       (int)who[i], st);
	}
	struct stat st;
	T_OK(stat(dir, &st));
	complete(dir, st.st_uid);	/* whole, and one creator's */
	DIR *d = opendir(t_umq_dir());
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, ".race.new.", 10))
			T_FAIL("left behind: %s", e->d_name);
	if (d)
		closedir(d);
}

/* A directory made outside umq (mkdir) is not a namespace yet: its
 * registries (names/, posix/, sysv/) must be its owner's, who alone may
 * complete it (DESIGN.md §1).  Until then another user cannot use it, and
 * leaves nothing in it. */
static void use_denied(void *arg)
{
	errno = 0;
	if (umq_ns_use(arg) != -1 || errno != EACCES)
		T_FAIL("umq_ns_use of an incomplete namespace: %s",
		       strerror(errno));
}

T_CASE(ns_made_outside_umq)
{
	char *dir = sub("bare");

	need_root();
	if (mkdir(dir, 0) || chmod(dir, 01777))
		T_FAIL("mkdir: %s", strerror(errno));
	as(UID_A, use_denied, dir);
	T_ERR(access(sub("bare/sysv"), F_OK), ENOENT);
	T_ERR(access(sub("bare/names"), F_OK), ENOENT);
	T_OK(umq_ns_use(dir));	/* its owner comes */
	owned_by(dir, "names", 0);
	owned_by(dir, "posix", 0);
	owned_by(dir, "sysv", 0);
	owned_by(dir, "limits", 0);
	as(UID_A, use_both, dir);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
