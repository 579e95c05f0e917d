/* SPDX-License-Identifier: MIT */
/*
 * bench.c - umq against the kernel's message queues, System V and POSIX.
 *
 * Every timed figure comes from two processes doing blocking msgsnd and
 * msgrcv, or mq_send and mq_receive, as real programs do.  The parent only
 * creates and removes queues and supervises the children with a deadline:
 * a side that fails, crashes or hangs gets its peer killed and is
 * reported, instead of leaving the benchmark blocked, and every queue is
 * removed on the way out.
 *
 * The last section runs the bench again under LD_PRELOAD=libumq-preload.so
 * (-P) and compares libc's names, which the preload takes, with the
 * umq_* functions of the same copy of the library.
 *
 * Usage: bench [-uv] [-r RUNS] [-t SECONDS_PER_RUN]
 */
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "umq.h"

#define MAX_RUNS	15
#define RUN_TIMEOUT	5.0	/* s; a healthy run takes run_secs */
#define SMALL		64
#define BIG		8192
#define MEM_MSGS	1000
#define COUNT_MSGS	200	/* * 64 B: fits in a default queue */
#define MQ_MAXMSG	10	/* the kernel's msg_max: no CAP_SYS_RESOURCE */
#define MQ_NAMES	4
#define STOP		1	/* POSIX: first byte of the last message */

struct backend {
	const char *name;
	int (*get)(key_t, int);
	int (*snd)(int, const void *, size_t, int);
	ssize_t (*rcv)(int, void *, size_t, long, int);
	int (*ctl)(int, int, struct msqid_ds *);
	mqd_t (*mopen)(const char *, int, ...);
	int (*mclose)(mqd_t);
	int (*munlink)(const char *);
	int (*msend)(mqd_t, const char *, size_t, unsigned int);
	ssize_t (*mrecv)(mqd_t, char *, size_t, unsigned int *);
	int (*msetattr)(mqd_t, const struct mq_attr *, struct mq_attr *);
	int broken;	/* a umq child died: it may have held a lock */
	int failed;	/* some operation failed: exit status 1 */
};

static struct backend be_kernel = {
	"kernel", msgget, msgsnd, msgrcv, msgctl,
	mq_open, mq_close, mq_unlink, mq_send, mq_receive, mq_setattr, 0, 0
};
static struct backend be_umq = {
	"umq", umq_msgget, umq_msgsnd, umq_msgrcv, umq_msgctl,
	umq_mq_open, umq_mq_close, umq_mq_unlink, umq_mq_send,
	umq_mq_receive, umq_mq_setattr, 0, 0
};
static struct backend *backends[] = { &be_kernel, &be_umq };

struct qmsg {
	long mtype;
	char mtext[BIG];
};

/* What a child reports; lives in memory shared with the parent. */
struct result {
	double secs;
	long count;
	long extra[2];
	char err[200];
	char detail[200];
};

struct job {
	struct backend *be;
	const struct api *api;	/* what the roles send and receive with */
	int qid;
	/* POSIX: [0] carries the data (or the pings), [1] the pongs */
	mqd_t mq[2];
	char mq_name[2][48];
	size_t size;
};

typedef int (*role_fn)(const struct job *, struct result *);

static struct result *res;
static double run_secs = 0.3;
static int runs = 5;
static int verbose;
static int pin_cpu[2] = { -1, -1 };

static sigset_t chld_set, orig_mask;
static volatile pid_t kids[2];
static volatile int kqueues[8];
/* the kernel's POSIX queues to unlink if we are interrupted */
static char kmq_names[MQ_NAMES][48];
static volatile sig_atomic_t kmq_used[MQ_NAMES];
static volatile sig_atomic_t interrupted;
static char ns_parent[64], ns_dir[96];
static char notes[16][256];
static int nnotes;

__attribute__((format(printf, 1, 2)))
static void note(const char *fmt, ...)
{
	va_list ap;

	if (nnotes == 16)
		return;
	va_start(ap, fmt);
	vsnprintf(notes[nnotes++], sizeof(notes[0]), fmt, ap);
	va_end(ap);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- children ----------------------------------------------------------- */

static int fail(struct result *r, const char *what)
{
	snprintf(r->err, sizeof(r->err), "%s: %s", what, strerror(errno));
	return 1;
}

/*
 * The roles, on either API: one-way data that an end message closes, or
 * pings each answered by a pong, until a quit.
 */
enum { M_DATA, M_END, M_PING, M_PONG, M_QUIT };

struct api {
	const char *snd, *rcv;	/* the calls, for errors */
	/* Send j->size bytes of m as a message of kind k. */
	int (*send)(const struct job *j, struct qmsg *m, int k);
	/* Receive a message of kind k (M_DATA: data or the end) into m. */
	ssize_t (*recv)(const struct job *j, struct qmsg *m, int k);
	/* Whether m, received as kind k, is the end (or the quit). */
	int (*ends)(const struct qmsg *m, int k);
};

/*
 * System V, one queue: data type 1 and the end type 2; pings type 1 and
 * pongs type 2, the quit a ping whose text starts with 1.
 */
static int sv_send(const struct job *j, struct qmsg *m, int k)
{
	m->mtype = k == M_END || k == M_PONG ? 2 : 1;
	if (k == M_QUIT)
		m->mtext[0] = 1;
	return j->be->snd(j->qid, m, j->size, 0);
}

static ssize_t sv_recv(const struct job *j, struct qmsg *m, int k)
{
	long type = k == M_PING ? 1 : k == M_PONG ? 2 : 0;

	return j->be->rcv(j->qid, m, j->size, type, 0);
}

static int sv_ends(const struct qmsg *m, int k)
{
	return k == M_DATA ? m->mtype == 2 : m->mtext[0] != 0;
}

static const struct api sysv_api = {
	"msgsnd", "msgrcv", sv_send, sv_recv, sv_ends,
};

/*
 * POSIX, priority 0: data, pings and the end on mq[0], pongs on mq[1];
 * the end (and the quit) is a message whose text starts with STOP.
 */
static int px_send(const struct job *j, struct qmsg *m, int k)
{
	if (k == M_END || k == M_QUIT)
		m->mtext[0] = STOP;
	return j->be->msend(j->mq[k == M_PONG], m->mtext, j->size, 0);
}

static ssize_t px_recv(const struct job *j, struct qmsg *m, int k)
{
	return j->be->mrecv(j->mq[k == M_PONG], m->mtext, j->size, NULL);
}

static int px_ends(const struct qmsg *m, int k)
{
	return m->mtext[0] == STOP;
}

static const struct api posix_api = {
	"mq_send", "mq_receive", px_send, px_recv, px_ends,
};

/* A failed call of the job's API (its send if snd, else its receive). */
static int call_failed(const struct job *j, struct result *r, int snd,
		       const char *what)
{
	int e = errno;
	char call[64];

	snprintf(call, sizeof(call), "%s%s", snd ? j->api->snd : j->api->rcv,
		 what);
	errno = e;
	return fail(r, call);
}

static int sender(const struct job *j, struct result *r)
{
	static struct qmsg m;
	double deadline = now() + run_secs;
	long n = 0;
	int i;

	memset(m.mtext, 'x', j->size);
	do {
		for (i = 0; i < 64; i++)
			if (j->api->send(j, &m, M_DATA) < 0)
				return call_failed(j, r, 1, "");
		n += 64;
	} while (now() < deadline);
	if (j->api->send(j, &m, M_END) < 0)
		return call_failed(j, r, 1, " (stop)");
	r->count = n;
	return 0;
}

/* Times from the first message to the end message: steady state only. */
static int receiver(const struct job *j, struct result *r)
{
	static struct qmsg m;
	double t0 = 0;
	long n = 0;
	ssize_t got;

	for (;;) {
		got = j->api->recv(j, &m, M_DATA);
		if (got < 0)
			return call_failed(j, r, 0, "");
		if (got != (ssize_t)j->size) {
			snprintf(r->err, sizeof(r->err),
				 "%s returned %zd bytes, sent %zu",
				 j->api->rcv, got, j->size);
			return 1;
		}
		if (!t0)
			t0 = now();
		if (j->api->ends(&m, M_DATA))
			break;
		n++;
	}
	r->secs = now() - t0;
	r->count = n;
	return 0;
}

static int pinger(const struct job *j, struct result *r)
{
	static struct qmsg m;
	double t0 = 0, deadline = 0;
	long n = 0;
	int i;

	do {
		for (i = 0; i < 64; i++) {
			if (j->api->send(j, &m, M_PING) < 0)
				return call_failed(j, r, 1, " (ping)");
			if (j->api->recv(j, &m, M_PONG) < 0)
				return call_failed(j, r, 0, " (pong)");
		}
		/* the first 64 rounds wait for the peer to start: not timed */
		if (!t0) {
			t0 = now();
			deadline = t0 + run_secs;
			continue;
		}
		n += 64;
	} while (now() < deadline);
	r->secs = now() - t0;
	r->count = n;
	if (j->api->send(j, &m, M_QUIT) < 0)
		return call_failed(j, r, 1, " (stop)");
	return 0;
}

static int ponger(const struct job *j, struct result *r)
{
	static struct qmsg m;

	for (;;) {
		if (j->api->recv(j, &m, M_PING) < 0)
			return call_failed(j, r, 0, " (ping)");
		if (j->api->ends(&m, M_PING))
			return 0;
		if (j->api->send(j, &m, M_PONG) < 0)
			return call_failed(j, r, 1, " (pong)");
	}
}

/*
 * Counting system calls: a seccomp filter hands every system call of this
 * thread to a helper thread, which counts it and lets it go on.  Exact,
 * and the kernel backend (one call each) shows that the count is right.
 */
#define NR_SEEN	512

struct counter {
	atomic_long n;
	atomic_int fd;
	atomic_int seen[NR_SEEN];	/* by system call number */
};

static void *count_thread(void *arg)
{
	struct counter *c = arg;
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	int fd;

	while ((fd = atomic_load(&c->fd)) < 0)
		sched_yield();
	for (;;) {
		memset(&req, 0, sizeof(req));
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		atomic_fetch_add(&c->n, 1);
		if (req.data.nr >= 0 && req.data.nr < NR_SEEN)
			atomic_fetch_add(&c->seen[req.data.nr], 1);
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

static int count_start(struct counter *c, struct result *r)
{
	struct sock_filter all = BPF_STMT(BPF_RET | BPF_K,
					  SECCOMP_RET_USER_NOTIF);
	struct sock_fprog prog = { .len = 1, .filter = &all };
	pthread_t t;
	int fd;

	memset(c, 0, sizeof(*c));
	atomic_init(&c->fd, -1);
	if ((errno = pthread_create(&t, NULL, count_thread, c)))
		return fail(r, "pthread_create");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(r, "prctl(NO_NEW_PRIVS)");
	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		     SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd < 0)
		return fail(r, "seccomp(NEW_LISTENER)");
	atomic_store(&c->fd, fd);
	return 0;
}

#define NR(name)	{ SYS_##name, #name }

static const char *nr_name(int nr)
{
	static const struct { int nr; const char *name; } names[] = {
		NR(futex), NR(getpid), NR(gettid), NR(clock_gettime),
		NR(sched_yield), NR(mmap), NR(munmap), NR(fstat), NR(openat),
		NR(close), NR(getuid), NR(geteuid), NR(getgid), NR(getegid),
		NR(getgroups), NR(setfsuid), NR(setfsgid), NR(msgsnd),
		NR(msgrcv), NR(newfstatat), NR(capget), NR(getresuid),
		NR(getresgid),
	};
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].nr == nr)
			return names[i].name;
	return NULL;
}

/* Which calls were made, for -v: "futex 200, getpid 200". */
static void describe_seen(struct counter *c, struct result *r)
{
	size_t off = 0;
	const char *name;
	int nr, n;

	for (nr = 0; nr < NR_SEEN && off < sizeof(r->detail); nr++) {
		n = atomic_load(&c->seen[nr]);
		if (!n)
			continue;
		name = nr_name(nr);
		if (name)
			off += snprintf(r->detail + off,
					sizeof(r->detail) - off, "%s%s %d",
					off ? ", " : "", name, n);
		else
			off += snprintf(r->detail + off,
					sizeof(r->detail) - off, "%snr%d %d",
					off ? ", " : "", nr, n);
	}
}

static int counted_nowait(const struct job *j, struct result *r)
{
	static struct qmsg m = { .mtype = 1 };
	/* static: the counting thread outlives this frame */
	static struct counter c;
	long c0, c1;
	int i;

	/* one untimed round first: the library may map the queue lazily */
	if (j->be->snd(j->qid, &m, j->size, IPC_NOWAIT) < 0 ||
	    j->be->rcv(j->qid, &m, j->size, 0, IPC_NOWAIT) < 0)
		return fail(r, "warm-up");
	if (count_start(&c, r))
		return 1;
	c0 = atomic_load(&c.n);
	for (i = 0; i < COUNT_MSGS; i++)
		if (j->be->snd(j->qid, &m, j->size, IPC_NOWAIT) < 0)
			return fail(r, "msgsnd");
	c1 = atomic_load(&c.n);
	r->extra[0] = c1 - c0;
	for (i = 0; i < COUNT_MSGS; i++)
		if (j->be->rcv(j->qid, &m, j->size, 0, IPC_NOWAIT) < 0)
			return fail(r, "msgrcv");
	r->extra[1] = atomic_load(&c.n) - c1;
	r->count = COUNT_MSGS;
	describe_seen(&c, r);
	return 0;
}

/*
 * POSIX, O_NONBLOCK: one message stays queued throughout, so no send
 * finds the queue empty (no notification to check) and no receive
 * empties it.  Only the calls themselves are counted.
 */
static int counted_mq(const struct job *j, struct result *r)
{
	static char m[BIG];
	static struct counter c;
	struct mq_attr nb = { .mq_flags = O_NONBLOCK };
	long c0, snd = 0, rcv = 0;
	int i;

	/* untimed: the library may map the queue lazily */
	if (j->be->msetattr(j->mq[0], &nb, NULL) < 0 ||
	    j->be->msend(j->mq[0], m, j->size, 0) < 0 ||
	    j->be->msend(j->mq[0], m, j->size, 0) < 0 ||
	    j->be->mrecv(j->mq[0], m, j->size, NULL) < 0)
		return fail(r, "warm-up");
	if (count_start(&c, r))
		return 1;
	for (i = 0; i < COUNT_MSGS; i++) {
		c0 = atomic_load(&c.n);
		if (j->be->msend(j->mq[0], m, j->size, 0) < 0)
			return fail(r, "mq_send");
		snd += atomic_load(&c.n) - c0;
		c0 = atomic_load(&c.n);
		if (j->be->mrecv(j->mq[0], m, j->size, NULL) < 0)
			return fail(r, "mq_receive");
		rcv += atomic_load(&c.n) - c0;
	}
	r->extra[0] = snd;
	r->extra[1] = rcv;
	r->count = COUNT_MSGS;
	describe_seen(&c, r);
	return 0;
}

/* ---- supervision -------------------------------------------------------- */

/* The kernel's queues still in use (system calls only: signal-safe). */
static void remove_kernel_queues(void)
{
	int i;

	for (i = 0; i < 8; i++)
		if (kqueues[i] >= 0)
			msgctl(kqueues[i], IPC_RMID, NULL);
	for (i = 0; i < MQ_NAMES; i++)
		if (kmq_used[i])
			mq_unlink(kmq_names[i]);
}

static void on_signal(int sig)
{
	int i;

	for (i = 0; i < 2; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
	remove_kernel_queues();
	interrupted = sig;
}

static void on_chld(int sig)
{
}

/* Cross-core placement, every run alike: else it is up to the scheduler. */
static void pin(int role)
{
	cpu_set_t set;

	if (pin_cpu[role] < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(pin_cpu[role], &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void child_start(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigprocmask(SIG_SETMASK, &orig_mask, NULL);
}

static void describe_exit(struct backend *be, int st, const struct result *r,
			  char *why, size_t len)
{
	if (WIFEXITED(st)) {
		snprintf(why, len, "%s", r->err[0] ? r->err : "child failed");
		return;
	}
	be->broken = be != &be_kernel;
	snprintf(why, len, "child killed by signal %d", WTERMSIG(st));
}

static void kill_all(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (kids[i] <= 0)
			continue;
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
		kids[i] = 0;
	}
}

/* Wait for the children; on the first failure or at the deadline kill all. */
static int supervise(struct backend *be, int n, char *why, size_t len)
{
	double deadline = now() + RUN_TIMEOUT, left;
	struct timespec ts;
	int i, st, live = n, bad = 0;

	while (live && !bad) {
		for (i = 0; i < n; i++) {
			if (kids[i] <= 0 || waitpid(kids[i], &st, WNOHANG) <= 0)
				continue;
			kids[i] = 0;
			live--;
			if (!WIFEXITED(st) || WEXITSTATUS(st)) {
				describe_exit(be, st, &res[i], why, len);
				bad = 1;
			}
		}
		left = deadline - now();
		if (!live || bad)
			break;
		if (interrupted) {
			snprintf(why, len, "interrupted");
			bad = 1;
		} else if (left <= 0) {
			snprintf(why, len, "no progress in %.0f s (deadlock?)",
				 RUN_TIMEOUT);
			be->broken = be != &be_kernel;
			bad = 1;
		} else {
			ts.tv_sec = (time_t)left;
			ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
			sigtimedwait(&chld_set, NULL, &ts);
		}
	}
	kill_all(n);
	return bad ? -1 : 0;
}

static int run_roles(const struct job *j, const role_fn *fn, int n,
		     char *why, size_t len)
{
	int i;

	memset(res, 0, 2 * sizeof(*res));
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			snprintf(why, len, "fork: %s", strerror(errno));
			kill_all(i);
			return -1;
		}
		if (pid == 0) {
			child_start();
			pin(i);
			_exit(fn[i](j, &res[i]));
		}
		kids[i] = pid;
	}
	return supervise(j->be, n, why, len);
}

static void track(int id, int on)
{
	int i;

	for (i = 0; i < 8; i++) {
		if (on && kqueues[i] < 0) {
			kqueues[i] = id;
			return;
		}
		if (!on && kqueues[i] == id)
			kqueues[i] = -1;
	}
}

static int queue_new(struct backend *be, char *why, size_t len)
{
	int id = be->get(IPC_PRIVATE, IPC_CREAT | 0600);

	if (id < 0)
		snprintf(why, len, "msgget: %s", strerror(errno));
	else if (be == &be_kernel)
		track(id, 1);
	return id;
}

static int queue_del(struct backend *be, int id, char *why, size_t len)
{
	int rc = 0;

	/* a killed child may have held a umq lock: the namespace goes whole */
	if (be->broken)
		return 0;
	if (be->ctl(id, IPC_RMID, NULL) < 0) {
		snprintf(why, len, "IPC_RMID: %s", strerror(errno));
		rc = -1;
	}
	if (be == &be_kernel)
		track(id, 0);
	return rc;
}

/* Noted before mq_open: a signal right after it still finds the name. */
static void track_mq(const char *name, int on)
{
	int i;

	for (i = 0; i < MQ_NAMES; i++) {
		if (on && !kmq_used[i]) {
			snprintf(kmq_names[i], sizeof(kmq_names[i]), "%s",
				 name);
			kmq_used[i] = 1;
			return;
		}
		if (!on && kmq_used[i] && !strcmp(kmq_names[i], name))
			kmq_used[i] = 0;
	}
}

/* A POSIX queue for messages of size bytes, named in j->mq_name[k]. */
static int mq_new(struct job *j, int k, char *why, size_t len)
{
	static unsigned int seq;
	struct backend *be = j->be;
	struct mq_attr a = { .mq_maxmsg = MQ_MAXMSG };
	char *name = j->mq_name[k];

	a.mq_msgsize = j->size;
	snprintf(name, sizeof(j->mq_name[k]), "/umq-bench.%d.%u",
		 (int)getpid(), seq++);
	if (be == &be_kernel)
		track_mq(name, 1);
	j->mq[k] = be->mopen(name, O_CREAT | O_EXCL | O_RDWR, 0600, &a);
	if (j->mq[k] != (mqd_t)-1)
		return 0;
	snprintf(why, len, "mq_open(%s): %s", name, strerror(errno));
	if (be == &be_kernel)
		track_mq(name, 0);
	name[0] = 0;
	return -1;
}

static int mq_del(struct job *j, int k, char *why, size_t len)
{
	struct backend *be = j->be;
	char *name = j->mq_name[k];
	int rc = 0;

	if (!name[0])
		return 0;
	/* a killed child may have held a umq lock: the namespace goes whole */
	if (be->broken)
		return 0;
	if (be->mclose(j->mq[k]) < 0) {
		snprintf(why, len, "mq_close: %s", strerror(errno));
		rc = -1;
	}
	if (be->munlink(name) < 0) {
		snprintf(why, len, "mq_unlink(%s): %s", name, strerror(errno));
		rc = -1;
	}
	if (be == &be_kernel)
		track_mq(name, 0);
	name[0] = 0;
	return rc;
}

/* Fresh queues for a job: one System V queue, or nmq POSIX ones. */
static int job_queues(struct job *j, int nmq, char *why, size_t len)
{
	int k;

	if (!nmq) {
		j->qid = queue_new(j->be, why, len);
		return j->qid < 0 ? -1 : 0;
	}
	for (k = 0; k < nmq; k++)
		if (mq_new(j, k, why, len) < 0)
			return -1;
	return 0;
}

/* Removes whatever job_queues made, even after a failure there. */
static int job_queues_del(struct job *j, char *why, size_t len)
{
	int k, rc = 0;

	if (j->qid >= 0 && queue_del(j->be, j->qid, why, len) < 0)
		rc = -1;
	for (k = 0; k < 2; k++)
		if (mq_del(j, k, why, len) < 0)
			rc = -1;
	return rc;
}

/* One run of a two- (or one-) process job on fresh queues. */
static int run_job(struct backend *be, size_t size, int nmq,
		   const role_fn *fn, int n, char *why, size_t len)
{
	struct job j = { .be = be, .api = nmq ? &posix_api : &sysv_api,
			 .qid = -1, .size = size };
	char del_why[128];
	int rc;

	rc = job_queues(&j, nmq, why, len);
	if (!rc)
		rc = run_roles(&j, fn, n, why, len);
	if (job_queues_del(&j, del_why, sizeof(del_why)) < 0) {
		if (!rc)
			snprintf(why, len, "%s", del_why);
		rc = -1;
	}
	return rc;
}

/* ---- measurements ------------------------------------------------------- */

struct test {
	const char *group;
	const char *label;
	const char *unit;
	int lower_is_better;
	size_t size;
	int nmq;	/* POSIX queues it needs; 0: one System V queue */
	role_fn fn[2];
	int figure;	/* which child's result holds the figure */
};

#define SYSV	"System V"
#define POSIX	"POSIX"

static const struct test tests[] = {
	{ SYSV, "one-way, 64 B messages", "msg/s", 0, SMALL, 0,
	  { receiver, sender }, 0 },
	{ SYSV, "one-way, 8 KiB messages", "msg/s", 0, BIG, 0,
	  { receiver, sender }, 0 },
	{ SYSV, "round trip, 64 B, 2 types", "us", 1, SMALL, 0,
	  { ponger, pinger }, 1 },
	{ POSIX, "one-way, 64 B messages", "msg/s", 0, SMALL, 1,
	  { receiver, sender }, 0 },
	{ POSIX, "one-way, 8 KiB messages", "msg/s", 0, BIG, 1,
	  { receiver, sender }, 0 },
	{ POSIX, "round trip, 64 B, 2 queues", "us", 1, SMALL, 2,
	  { ponger, pinger }, 1 },
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

static double figure(const struct test *t)
{
	const struct result *r = &res[t->figure];

	if (r->count <= 0 || r->secs <= 0)
		return NAN;
	if (t->lower_is_better)
		return r->secs / r->count * 1e6;
	return r->count / r->secs;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void print_runs(const struct test *t, const struct backend *be,
		       const double *v)
{
	int i;

	printf("  %-8s %-26s %-6s", t->group, t->label, be->name);
	for (i = 0; i < runs; i++)
		printf(" %10.4g", v[i]);
	printf("  %s\n", t->unit);
}

/* Median of the runs, alternating backends so drift hits both alike. */
static void measure(const struct test *t, double med[2])
{
	double v[2][MAX_RUNS];
	int skip[2] = { 0, 0 };
	char why[256];
	int r, b;

	for (b = 0; b < 2; b++)
		med[b] = NAN;
	for (r = 0; r < runs; r++) {
		for (b = 0; b < 2; b++) {
			struct backend *be = backends[b];

			v[b][r] = NAN;
			if (skip[b] || be->broken || interrupted)
				continue;
			why[0] = 0;
			if (run_job(be, t->size, t->nmq, t->fn, 2, why,
				    sizeof(why))) {
				skip[b] = be->failed = 1;
				note("%s, %s: %s", be->name, t->label, why);
				continue;
			}
			v[b][r] = figure(t);
			skip[b] = isnan(v[b][r]);
		}
	}
	for (b = 0; b < 2; b++) {
		if (verbose)
			print_runs(t, backends[b], v[b]);
		if (skip[b] || isnan(v[b][0]))
			continue;
		qsort(v[b], runs, sizeof(double), cmp_double);
		med[b] = v[b][runs / 2];
	}
}

static void fmt_value(char *buf, size_t len, double v, const char *unit)
{
	if (isnan(v))
		snprintf(buf, len, "FAILED");
	else if (strcmp(unit, "us"))
		snprintf(buf, len, v >= 1e6 ? "%.2f M %s" : "%.0f k %s",
			 v >= 1e6 ? v / 1e6 : v / 1e3, unit);
	else
		snprintf(buf, len, "%.2f %s", v, unit);
}

static void fmt_ratio(char *buf, size_t len, const struct test *t,
		      const double med[2])
{
	double x = med[1] / med[0];

	if (isnan(x)) {
		snprintf(buf, len, "-");
		return;
	}
	if (t->lower_is_better)
		x = 1 / x;
	if (x >= 1)
		snprintf(buf, len, x < 2 ? "x%.2f faster" : "x%.1f faster", x);
	else
		snprintf(buf, len, x > 0.5 ? "x%.2f slower" : "x%.1f slower",
			 1 / x);
}

static void timed_tests(void)
{
	char k[32], u[32], ratio[32];
	double med[NTESTS][2];
	unsigned int i;

	if (verbose)
		printf("every run (%d of %.2f s each):\n", runs, run_secs);
	for (i = 0; i < NTESTS; i++)
		measure(&tests[i], med[i]);
	if (verbose)
		printf("\n");
	printf("%-30s %16s %16s %16s\n", "", "kernel", "umq", "umq vs kernel");
	for (i = 0; i < NTESTS; i++) {
		if (!i || strcmp(tests[i].group, tests[i - 1].group))
			printf("%s\n", tests[i].nmq ?
			       POSIX " (mq_send/mq_receive)" :
			       SYSV " (msgsnd/msgrcv)");
		fmt_value(k, sizeof(k), med[i][0], tests[i].unit);
		fmt_value(u, sizeof(u), med[i][1], tests[i].unit);
		fmt_ratio(ratio, sizeof(ratio), &tests[i], med[i]);
		printf("  %-28s %16s %16s %16s\n", tests[i].label, k, u,
		       ratio);
	}
	printf("(msg/s: messages per second, one sender and one receiver "
	       "process;\n us: microseconds per round trip between two "
	       "processes;\n POSIX queues: mq_maxmsg %d, mq_msgsize the "
	       "message size, priority 0)\n", MQ_MAXMSG);
}

/*
 * Run fn as an ordinary user, in a child that drops root for good: a
 * process that may change its ids pays for reading its credentials at
 * each permission check (cred.c; the credential table below shows what),
 * which is not what a program of an ordinary user pays.  The kernel's
 * side runs in the same child, so both are measured as that user.  Not
 * root: fn runs here.
 */
static void as_user(void (*fn)(void))
{
	pid_t pid;
	int st;

	if (geteuid() != 0) {
		fn();
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534)) {
			fprintf(stderr, "bench: dropping to uid 65534: %s\n",
				strerror(errno));
			_exit(1);
		}
		fn();
		remove_kernel_queues();
		fflush(NULL);
		_exit(be_kernel.failed || be_umq.failed || be_umq.broken ||
		      be_kernel.broken || interrupted ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		be_umq.failed = 1;
}

/* One line per backend: "kernel 1.00 per msgsnd, 1.00 per msgrcv". */
static void count_calls(int nmq, role_fn fn, const char *snd,
			const char *rcv)
{
	char why[256];
	int b;

	for (b = 0; b < 2; b++) {
		struct backend *be = backends[b];

		printf("    %-7s", be->name);
		why[0] = 0;
		if (be->broken || interrupted) {
			printf("not measured\n");
			continue;
		}
		if (run_job(be, SMALL, nmq, &fn, 1, why, sizeof(why))) {
			printf("not measured: %s\n", why);
			be->failed = 1;
			continue;
		}
		printf("%.2f per %s, %.2f per %s%s\n",
		       (double)res[0].extra[0] / res[0].count, snd,
		       (double)res[0].extra[1] / res[0].count, rcv,
		       be == &be_kernel ? "   (the check: 1 each)" : "");
		if (verbose)
			printf("           calls: %s\n", res[0].detail);
	}
}

static void syscall_counts(void)
{
	printf("\nsystem calls per operation, one process, %d x 64 B, "
	       "nobody waiting\n"
	       "(each system call of the thread counted by a seccomp "
	       "user-notification filter):\n", COUNT_MSGS);
	printf("  " SYSV ", IPC_NOWAIT:\n");
	count_calls(0, counted_nowait, "msgsnd", "msgrcv");
	printf("  " POSIX ", O_NONBLOCK, the queue never empty:\n");
	count_calls(1, counted_mq, "mq_send", "mq_receive");
}

/* ---- credentials --------------------------------------------------------- */

static int cred_mode, cred_drop;

/*
 * One process on a queue of its own of mode cred_mode, as invoked or
 * dropped for good to uid 65534: msgsnd+msgrcv pairs timed, then the
 * system calls of COUNT_MSGS pairs counted.
 */
static int cred_pairs(const struct job *j, struct result *r)
{
	static struct qmsg m = { .mtype = 1 };
	static struct counter c;
	double t0, deadline;
	long n = 0, c0;
	int q, i;

	if (cred_drop && (setgroups(0, NULL) ||
			  setresgid(65534, 65534, 65534) ||
			  setresuid(65534, 65534, 65534)))
		return fail(r, "dropping to uid 65534");
	q = j->be->get(IPC_PRIVATE, IPC_CREAT | cred_mode);
	if (q < 0)
		return fail(r, "msgget");
	t0 = now();
	deadline = t0 + run_secs;
	do {
		for (i = 0; i < 64; i++)
			if (j->be->snd(q, &m, j->size, IPC_NOWAIT) < 0 ||
			    j->be->rcv(q, &m, j->size, 0, IPC_NOWAIT) < 0)
				return fail(r, "msgsnd/msgrcv");
		n += 64;
	} while (now() < deadline);
	r->secs = now() - t0;
	r->count = n;
	if (count_start(&c, r))
		return 1;
	c0 = atomic_load(&c.n);
	for (i = 0; i < COUNT_MSGS; i++)
		if (j->be->snd(q, &m, j->size, IPC_NOWAIT) < 0 ||
		    j->be->rcv(q, &m, j->size, 0, IPC_NOWAIT) < 0)
			return fail(r, "msgsnd/msgrcv (counted)");
	r->extra[0] = atomic_load(&c.n) - c0;
	if (j->be->ctl(q, IPC_RMID, NULL) < 0)
		return fail(r, "IPC_RMID");
	return 0;
}

/* "0.31 us, 0 calls": median time and system calls of a pair. */
static void cred_cell(char *buf, size_t len)
{
	struct job j = { .be = &be_umq, .qid = -1, .size = SMALL };
	role_fn fn = cred_pairs;
	double v[MAX_RUNS];
	long calls = 0;
	char why[256];
	int r;

	for (r = 0; r < runs; r++) {
		why[0] = 0;
		if (be_umq.broken || interrupted ||
		    run_roles(&j, &fn, 1, why, sizeof(why))) {
			snprintf(buf, len, "FAILED");
			if (why[0])
				note("umq, credentials: %s", why);
			be_umq.failed = 1;
			return;
		}
		v[r] = res[0].secs / res[0].count * 1e6;
		calls = res[0].extra[0];
	}
	qsort(v, runs, sizeof(double), cmp_double);
	snprintf(buf, len, "%.2f us, %.2f calls", v[runs / 2],
		 (double)calls / COUNT_MSGS);
}

/* What a permission check costs a process that may change its ids. */
static void cred_costs(void)
{
	static const int modes[] = { 0666, 0600 };
	char cell[2][48], who[32];
	int m;

	printf("\ncredential checks (umq): msgsnd+msgrcv of 64 B, IPC_NOWAIT, "
	       "one process\non a queue of its own; median time and system "
	       "calls per pair:\n");
	printf("  %-28s %22s %22s\n", "", "mode 0666", "mode 0600");
	/* uid 65534 must reach the namespace inside our directory */
	if (!geteuid())
		chmod(ns_parent, 0711);
	for (cred_drop = 0; cred_drop < 2; cred_drop++) {
		if (cred_drop)
			snprintf(who, sizeof(who), "uid 65534 (cannot change)");
		else if (!geteuid())
			snprintf(who, sizeof(who), "root (may change its ids)");
		else
			snprintf(who, sizeof(who), "uid %d", (int)geteuid());
		if (cred_drop && geteuid()) {
			printf("  %-28s not measured (needs root)\n", who);
			break;
		}
		for (m = 0; m < 2; m++) {
			cred_mode = modes[m];
			cred_cell(cell[m], sizeof(cell[m]));
		}
		printf("  %-28s %22s %22s\n", who, cell[0], cell[1]);
	}
	printf("(0666: the mode admits everyone, no credential is read; 0600: "
	       "those of a process\n that may change its ids are read at each "
	       "check, the others' once)\n");
}

/* ---- the preload ------------------------------------------------------- */

/*
 * Under LD_PRELOAD (bench -P): libc's names, which the preload takes,
 * against the umq_* functions of the same copy of the library, both
 * reached through dlsym() so that the calls are alike.  One process,
 * send-receive pairs that never block, the figure the median of the runs
 * alternating the two; then the system calls the preload's send and
 * receive make.
 */
#define PAIRS	1000	/* a block */
#define BLOCKS	(100 * runs)

static struct backend be_libc = { .name = "libc" };
static struct backend be_direct = { .name = "umq_*" };

static void *sym(const char *name, int *ok)
{
	void *f = dlsym(RTLD_DEFAULT, name);
	Dl_info i;

	/* Both kinds must be the preload's: else the figures mean nothing. */
	if (!f || !dladdr(f, &i) || !strstr(i.dli_fname, "libumq-preload"))
		*ok = 0;
	return f;
}

static int preload_backends(void)
{
	int ok = 1;

#define BIND(field, libc, umq)                                          \
	do {                                                            \
		*(void **)&be_libc.field = sym(libc, &ok);              \
		*(void **)&be_direct.field = sym(umq, &ok);             \
	} while (0)
	BIND(get, "msgget", "umq_msgget");
	BIND(snd, "msgsnd", "umq_msgsnd");
	BIND(rcv, "msgrcv", "umq_msgrcv");
	BIND(ctl, "msgctl", "umq_msgctl");
	BIND(mopen, "mq_open", "umq_mq_open");
	BIND(mclose, "mq_close", "umq_mq_close");
	BIND(munlink, "mq_unlink", "umq_mq_unlink");
	BIND(msend, "mq_send", "umq_mq_send");
	BIND(mrecv, "mq_receive", "umq_mq_receive");
	BIND(msetattr, "mq_setattr", "umq_mq_setattr");
#undef BIND
	return ok ? 0 : -1;
}

/* A queue of each kind for be, that never blocks: 0, or -1. */
struct plq {
	struct backend *be;
	int posix, id;
	mqd_t q;
	char name[48];
};

static int plq_open(struct plq *p)
{
	static char m[SMALL];
	struct mq_attr a = { .mq_flags = O_NONBLOCK, .mq_maxmsg = MQ_MAXMSG,
			     .mq_msgsize = SMALL };

	p->id = -1;
	p->q = -1;
	if (!p->posix) {
		p->id = p->be->get(IPC_PRIVATE, IPC_CREAT | 0600);
		return p->id < 0 ? -1 : 0;
	}
	snprintf(p->name, sizeof(p->name), "/umq-bench-pl.%d.%s",
		 (int)getpid(), p->be == &be_libc ? "libc" : "umq");
	p->q = p->be->mopen(p->name, O_CREAT | O_RDWR | O_NONBLOCK, 0600, &a);
	/* one message stays: no send finds the queue empty */
	return p->q < 0 || p->be->msend(p->q, m, SMALL, 0) < 0 ? -1 : 0;
}

static void plq_close(struct plq *p)
{
	if (p->q >= 0) {
		p->be->mclose(p->q);
		p->be->munlink(p->name);
	}
	if (p->id >= 0)
		p->be->ctl(p->id, IPC_RMID, NULL);
}

/* ns per send-receive pair over a block of them; NAN if a call failed. */
static double block_ns(struct plq *p)
{
	static struct qmsg m = { .mtype = 1 };
	struct backend *be = p->be;
	double t0 = now();
	int i, bad = 0;

	for (i = 0; i < PAIRS && !bad; i++) {
		if (p->posix)
			bad = be->msend(p->q, m.mtext, SMALL, 0) < 0 ||
			      be->mrecv(p->q, m.mtext, SMALL, NULL) < 0;
		else
			bad = be->snd(p->id, &m, SMALL, IPC_NOWAIT) < 0 ||
			      be->rcv(p->id, &m, SMALL, 0, IPC_NOWAIT) < 0;
	}
	return bad ? NAN : (now() - t0) / PAIRS * 1e9;
}

/*
 * On a loaded machine the noise dwarfs a few nanoseconds: the two are
 * timed in short blocks, side by side (in ABBA order), and the figure is
 * the median of each one's blocks and of the ratios of neighbours.
 */
static void preload_cost(const char *label, int posix)
{
	struct plq p[2] = { { .be = &be_direct, .posix = posix },
			    { .be = &be_libc, .posix = posix } };
	static double v[2][100 * MAX_RUNS], ratio[100 * MAX_RUNS];
	double med[2];
	int k, b, bad = plq_open(&p[0]) || plq_open(&p[1]);

	for (k = 0; k < BLOCKS && !bad; k++) {
		for (b = 0; b < 2; b++) {
			int w = k & 1 ? 1 - b : b;
			v[w][k] = block_ns(&p[w]);
			bad |= isnan(v[w][k]);
		}
		ratio[k] = v[1][k] / v[0][k];
	}
	plq_close(&p[0]);
	plq_close(&p[1]);
	if (bad) {
		printf("  %-30s not measured: %s\n", label, strerror(errno));
		be_libc.failed = 1;
		return;
	}
	for (b = 0; b < 2; b++) {
		qsort(v[b], BLOCKS, sizeof(double), cmp_double);
		med[b] = v[b][BLOCKS / 2];
	}
	qsort(ratio, BLOCKS, sizeof(double), cmp_double);
	printf("  %-30s %8.1f ns %8.1f ns %+8.1f %%\n", label, med[0], med[1],
	       (ratio[BLOCKS / 2] - 1) * 100);
}

/* In the process started under the preload. */
static int preload_child(void)
{
	if (preload_backends()) {
		printf("  not measured: the preload is not loaded\n");
		return 1;
	}
	printf("cost per call, one process, send-receive pairs of 64 B that "
	       "never block\n(medians of %d blocks of %d pairs each, the two "
	       "side by side):\n", BLOCKS, PAIRS);
	printf("  %-30s %11s %11s %10s\n", "", "umq_*", "libc names",
	       "difference");
	preload_cost("msgsnd + msgrcv, IPC_NOWAIT", 0);
	preload_cost("mq_send + mq_receive", 1);
	printf("system calls per operation under the preload, %d x 64 B, "
	       "nobody waiting\n(umq_*: the library's functions; libc: "
	       "libc's names, which the preload takes):\n", COUNT_MSGS);
	backends[0] = &be_direct;
	backends[1] = &be_libc;
	printf("  " SYSV ", IPC_NOWAIT:\n");
	count_calls(0, counted_nowait, "msgsnd", "msgrcv");
	printf("  " POSIX ", O_NONBLOCK, the queue never empty:\n");
	count_calls(1, counted_mq, "mq_send", "mq_receive");
	return be_libc.failed || be_direct.failed;
}

/* Run this program again under the preload, in our namespace. */
static void preload_section(char *argv0)
{
	char r[16], t[32];
	int st;
	pid_t pid;

	printf("\nLD_PRELOAD=libumq-preload.so: libc's names against umq_*, "
	       "the same copy:\n");
	fflush(stdout);
	snprintf(r, sizeof(r), "%d", runs);
	snprintf(t, sizeof(t), "%g", run_secs);
	pid = fork();
	if (pid == 0) {
		child_start();
		setenv("LD_PRELOAD", UMQ_PRELOAD, 1);
		setenv("UMQ_DIR", ns_dir, 1);
		execl("/proc/self/exe", argv0, "-P", "-r", r, "-t", t,
		      verbose ? "-v" : NULL, (char *)NULL);
		printf("  not measured: exec: %s\n", strerror(errno));
		_exit(1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st)) {
		note("preload: the measuring process failed");
		be_umq.failed = 1;
	}
}

/* ---- memory ------------------------------------------------------------- */

static long long du_bytes;
static int du_files;

static int du_one(const char *path, const struct stat *st, int type,
		  struct FTW *f)
{
	if (type == FTW_F) {
		du_bytes += (long long)st->st_blocks * 512;
		du_files++;
	}
	return 0;
}

static long long ns_usage(int *files)
{
	du_bytes = 0;
	du_files = 0;
	if (nftw(ns_dir, du_one, 16, FTW_PHYS) < 0)
		return -1;
	*files = du_files;
	return du_bytes;
}

/* Queue as many as MEM_MSGS 64-byte messages as fit; returns how many. */
static int fill(struct backend *be, int qid)
{
	static struct qmsg m = { .mtype = 1 };
	int n;

	for (n = 0; n < MEM_MSGS; n++)
		if (be->snd(qid, &m, SMALL, IPC_NOWAIT) < 0)
			break;
	return n;
}

static void memory_kernel(void)
{
	struct msqid_ds ds;
	char why[256] = "";
	int qid, n, raised;

	qid = queue_new(&be_kernel, why, sizeof(why));
	if (qid < 0) {
		printf("  kernel: not measured: %s\n", why);
		return;
	}
	msgctl(qid, IPC_STAT, &ds);
	ds.msg_qbytes = MEM_MSGS * SMALL;
	raised = msgctl(qid, IPC_SET, &ds) == 0;
	n = fill(&be_kernel, qid);
	msgctl(qid, IPC_STAT, &ds);
	printf("  kernel: %d messages queued, msg_cbytes %lu B of msg_qbytes "
	       "%lu B\n", n, (unsigned long)ds.msg_cbytes,
	       (unsigned long)ds.msg_qbytes);
	printf("          (text bytes only: the kernel's own memory per "
	       "message is not visible)\n");
	if (!raised)
		printf("          (raising msg_qbytes to %d B was refused: "
		       "needs CAP_SYS_RESOURCE)\n", MEM_MSGS * SMALL);
	queue_del(&be_kernel, qid, why, sizeof(why));
}

static void memory_umq(void)
{
	struct umq_limits lim;
	struct msqid_ds ds;
	long long empty, full, base;
	char why[256] = "";
	int qid, n, files;

	if (be_umq.broken || interrupted) {
		printf("  umq:    not measured\n");
		return;
	}
	/* the namespace is ours, so its owner may give queues room for all */
	if (umq_ns_get_limits(&lim) == 0 && lim.msgmnb < MEM_MSGS * SMALL) {
		lim.msgmnb = MEM_MSGS * SMALL;
		if (umq_ns_set_limits(&lim) < 0)
			note("umq: raising msgmnb: %s", strerror(errno));
	}
	base = ns_usage(&files);
	qid = queue_new(&be_umq, why, sizeof(why));
	if (qid < 0) {
		printf("  umq:    not measured: %s\n", why);
		be_umq.failed = 1;
		return;
	}
	empty = ns_usage(&files);
	n = fill(&be_umq, qid);
	full = ns_usage(&files);
	umq_msgctl(qid, IPC_STAT, &ds);
	printf("  umq:    %d messages queued, msg_cbytes %lu B of msg_qbytes "
	       "%lu B\n", n, (unsigned long)ds.msg_cbytes,
	       (unsigned long)ds.msg_qbytes);
	printf("          blocks allocated to the %d namespace files "
	       "(st_blocks):\n", files);
	printf("          %.1f KiB before this msgget, %.1f KiB with the "
	       "queue empty,\n", base / 1024.0, empty / 1024.0);
	printf("          %.1f KiB with it full: %+.1f KiB for the messages\n",
	       full / 1024.0, (full - empty) / 1024.0);
	if (queue_del(&be_umq, qid, why, sizeof(why)) < 0) {
		note("umq: %s", why);
		be_umq.failed = 1;
	}
}

/* ---- setup and cleanup -------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *f)
{
	return remove(path) < 0 ? -1 : 0;
}

static void cleanup(void)
{
	remove_kernel_queues();
	if (!ns_parent[0])
		return;
	if (!be_umq.broken && umq_ns_remove(ns_dir) < 0 && errno != ENOENT)
		fprintf(stderr, "bench: umq_ns_remove: %s\n", strerror(errno));
	/* whatever the library left (or could not remove) goes too */
	if (nftw(ns_parent, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 &&
	    errno != ENOENT)
		fprintf(stderr, "bench: removing %s: %s\n", ns_parent,
			strerror(errno));
	ns_parent[0] = 0;
}

static void setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;	/* a second ^C ends it for good */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* a handler, so SIGCHLD is pending for sigtimedwait, not discarded */
	sa.sa_handler = on_chld;
	sa.sa_flags = 0;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&chld_set);
	sigaddset(&chld_set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld_set, &orig_mask);
}

static int setup_umq(void)
{
	strcpy(ns_parent, "/dev/shm/umq-bench.XXXXXX");
	if (!mkdtemp(ns_parent)) {
		ns_parent[0] = 0;
		return -1;
	}
	snprintf(ns_dir, sizeof(ns_dir), "%s/ns", ns_parent);
	return umq_ns_use(ns_dir);
}

static long qbytes_of(struct backend *be)
{
	struct msqid_ds ds;
	char why[256];
	long qb = -1;
	int id = queue_new(be, why, sizeof(why));

	if (id < 0)
		return -1;
	if (be->ctl(id, IPC_STAT, &ds) == 0)
		qb = ds.msg_qbytes;
	queue_del(be, id, why, sizeof(why));
	return qb;
}

static void choose_cpus(int unpinned)
{
	cpu_set_t cpus;
	int cpu, n = 0;

	CPU_ZERO(&cpus);
	if (unpinned || sched_getaffinity(0, sizeof(cpus), &cpus) < 0 ||
	    CPU_COUNT(&cpus) < 2)
		return;
	for (cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++)
		if (CPU_ISSET(cpu, &cpus))
			pin_cpu[n++] = cpu;
}

static void header(void)
{
	cpu_set_t cpus;
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&cpus);
	sched_getaffinity(0, sizeof(cpus), &cpus);
	printf("umq bench: System V and POSIX message queues, umq against "
	       "the kernel\n");
	printf("cores: %ld online, %d usable by this process; median of %d "
	       "runs of %.2f s each\n", online, CPU_COUNT(&cpus), runs,
	       run_secs);
	if (pin_cpu[0] >= 0)
		printf("the two processes of a run are pinned to CPUs %d and "
		       "%d (-u: leave it to the scheduler)\n", pin_cpu[0],
		       pin_cpu[1]);
	else
		printf("processes not pinned to CPUs\n");
	printf("queue capacity (msg_qbytes of a new queue): kernel %ld B, "
	       "umq %ld B\n", qbytes_of(&be_kernel), qbytes_of(&be_umq));
	printf("umq namespace: %s\n", ns_dir);
	if (geteuid() == 0)
		printf("timed runs and system-call counts as uid 65534, as an "
		       "ordinary user's program\n(root's own permission "
		       "checks: see the credential table)\n");
	printf("\n");
}

static void usage(void)
{
	fprintf(stderr, "usage: bench [-uv] [-r RUNS (1..%d)] [-t SECONDS]\n",
		MAX_RUNS);
	exit(2);
}

int main(int argc, char **argv)
{
	int i, c, unpinned = 0, under_preload = 0;

	while ((c = getopt(argc, argv, "uvr:t:P")) != -1) {
		if (c == 'P')
			under_preload = 1;
		else if (c == 'u')
			unpinned = 1;
		else if (c == 'v')
			verbose = 1;
		else if (c == 'r')
			runs = atoi(optarg);
		else if (c == 't')
			run_secs = atof(optarg);
		else
			usage();
	}
	if (runs < 1 || runs > MAX_RUNS || !(run_secs > 0 && run_secs < 10))
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	choose_cpus(unpinned);
	for (i = 0; i < 8; i++)
		kqueues[i] = -1;
	res = mmap(NULL, 2 * sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		perror("bench: mmap");
		return 1;
	}
	setup_signals();
	if (under_preload)
		return preload_child();
	atexit(cleanup);
	if (setup_umq() < 0) {
		fprintf(stderr, "bench: umq namespace in /dev/shm: %s\n",
			strerror(errno));
		return 1;
	}
	header();
	as_user(timed_tests);
	if (!interrupted)
		as_user(syscall_counts);
	if (!interrupted)
		cred_costs();
	if (!interrupted) {
		printf("\nmemory of one queue holding up to %d messages of "
		       "64 B:\n", MEM_MSGS);
		memory_kernel();
		memory_umq();
	}
	if (!interrupted)
		preload_section(argv[0]);
	for (i = 0; i < nnotes; i++)
		printf("%s%s\n", i ? "" : "\nnotes:\n", notes[i]);
	if (interrupted) {
		fprintf(stderr, "bench: interrupted\n");
		return 128 + interrupted;
	}
	return be_kernel.failed || be_umq.failed || be_umq.broken ||
	       be_kernel.broken;
}
