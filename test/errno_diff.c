/* SPDX-License-Identifier: MIT */
/*
 * errno_diff.c - what a call leaves in errno, kernel and umq side by side:
 *
 *  - a call that succeeds leaves errno as it was, on every path (create,
 *    open, unlink, close, send and receive fast and blocking, notify,
 *    msgget, msgctl...) of both APIs, and every umq_* extension;
 *  - no descriptor left is EMFILE for mq_open before any other error,
 *    also at RLIMIT_NOFILE 0, and one free descriptor is enough;
 *  - NULL arguments get what the kernel (through glibc's wrappers) gives;
 *  - a descriptor that is not a queue's is EBADF for every mq_* call;
 *  - a namespace directory that cannot be used gives the kernel's errno
 *    for each call, a line on stderr with UMQ_DEBUG=1, never a hang.
 *
 * The kernel's calls are made directly, with what glibc's wrappers add
 * (the name's '/' check, EPERM as EACCES for mq_unlink); glibc crashes on
 * a NULL name where the system call says EFAULT, which is what umq says.
 */
#include "t.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "umq.h"

#define SENTINEL 4242	/* an errno no call sets */
#define MSGSIZE 16
#define WAIT_MS 5000

/* ---- Backends -------------------------------------------------------------- */

static mqd_t u_open(const char *name, int oflag, mode_t mode,
		    struct mq_attr *attr)
{
	return umq_mq_open(name, oflag, mode, attr);
}

static key_t k_ftok(const char *path, int id)
{
	return ftok(path, id);
}

struct backend {
	const char *name;
	mqd_t (*open)(const char *, int, mode_t, struct mq_attr *);
	T_MQ_CALLS
	int (*msgget)(key_t, int);
	int (*msgsnd)(int, const void *, size_t, int);
	ssize_t (*msgrcv)(int, void *, size_t, long, int);
	int (*msgctl)(int, int, struct msqid_ds *);
	key_t (*ftok)(const char *, int);
	bool kernel;
};

static const struct backend backends[] = {
	{ "kernel", t_k_mq_open, t_k_mq_close, t_k_mq_unlink, t_k_mq_send, t_k_mq_timedsend, t_k_mq_receive,
	  t_k_mq_timedreceive, t_k_mq_getattr, t_k_mq_setattr, t_k_mq_notify, t_k_msgget,
	  t_k_msgsnd, t_k_msgrcv, t_k_msgctl, k_ftok, true },
	{ "umq", u_open, umq_mq_close, umq_mq_unlink, umq_mq_send,
	  umq_mq_timedsend, umq_mq_receive, umq_mq_timedreceive,
	  umq_mq_getattr, umq_mq_setattr, umq_mq_notify, umq_msgget,
	  umq_msgsnd, umq_msgrcv, umq_msgctl, umq_ftok, false },
};

/* The backend of the running half (t_both_run). */
#define B (&backends[t_half])
#define BOTH T_BOTH

static const char *ename(int e)
{
	static char buf[16];

	if (strerrorname_np(e))
		return strerrorname_np(e);
	snprintf(buf, sizeof(buf), "%d", e);
	return buf;
}

/* expr must succeed and leave errno as it was. */
#define KEEP(expr)                                                      \
	({                                                              \
		errno = SENTINEL;                                       \
		long long k_r_ = (long long)(expr);                     \
		int k_e_ = errno;                                       \
		if (k_r_ == -1)                                         \
			T_FAIL("%s: %s failed: %s", B->name, #expr,     \
			       ename(k_e_));                            \
		if (k_e_ != SENTINEL)                                   \
			T_FAIL("%s: %s succeeded but set errno to %s",  \
			       B->name, #expr, ename(k_e_));            \
		k_r_;                                                   \
	})

/* expr must give ret and, if ret is -1, errno e. */
#define GIVES(expr, ret, e)                                             \
	do {                                                            \
		errno = SENTINEL;                                       \
		long long g_r_ = (long long)(expr);                     \
		int g_e_ = errno;                                       \
		if (g_r_ != (ret) || ((ret) == -1 && g_e_ != (e)))      \
			T_FAIL("%s: %s gave %lld %s, expected %lld %s", \
			       B->name, #expr, g_r_, ename(g_e_),       \
			       (long long)(ret),                        \
			       (ret) == -1 ? ename(e) : "");            \
	} while (0)

static struct timespec in_ms(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += ms % 1000 * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

static void reap_ok(pid_t pid, const char *what)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			T_FAIL("waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("%s: %s: status %#x", B->name, what, st);
}

/* In a child: fail it (exit 1) with a note. */
#define CHILD_ASSERT(c)                                                 \
	do {                                                            \
		if (!(c)) {                                             \
			fprintf(stderr, "#   %s: child: %s (errno %s)\n",   \
				B->name, #c, ename(errno));             \
			_exit(1);                                       \
		}                                                       \
	} while (0)

static struct mq_attr attr2 = { .mq_maxmsg = 2, .mq_msgsize = MSGSIZE };

/* ---- 1. errno is kept by every call that succeeds ------------------------ */

static volatile int thread_calls;

static void note_thread(union sigval v)
{
	(void)v;
	__atomic_add_fetch(&thread_calls, 1, __ATOMIC_SEQ_CST);
}

BOTH(errno_kept_posix)
{
	struct mq_attr a, nb = { .mq_flags = O_NONBLOCK };
	struct timespec later = in_ms(WAIT_MS);
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
				.sigev_signo = SIGUSR1 };
	char buf[MSGSIZE];
	unsigned prio;
	sigset_t set;
	mqd_t q, q2, q3, d;
	pid_t pid;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	q = KEEP(B->open("/e", O_CREAT | O_EXCL | O_RDWR, 0600, &attr2));
	q2 = KEEP(B->open("/e", O_RDWR, 0, NULL));
	q3 = KEEP(B->open("/e", O_CREAT | O_WRONLY, 0600, NULL));
	KEEP(B->getattr(q, &a));
	KEEP(B->getattr(q, NULL));
	KEEP(B->setattr(q, &nb, &a));
	KEEP(B->setattr(q, NULL, &a));
	KEEP(B->setattr(q, &nb, NULL));
	/* Every change of state: empty, partial, full and back. */
	KEEP(B->send(q, "a", 1, 0));
	KEEP(B->timedsend(q3, "b", 1, 1, &later));
	KEEP(B->receive(q, buf, sizeof(buf), &prio));
	KEEP(B->timedreceive(q2, buf, sizeof(buf), NULL, &later));
	/* A descriptor the library has not seen (umq: found by its FIFO). */
	d = dup(q);
	KEEP(B->send(d, "c", 1, 0));
	KEEP(B->receive(d, buf, sizeof(buf), NULL));
	KEEP(B->close(d));
	/* Notifications: register, drop, a non-owner's NULL, one fired. */
	KEEP(B->notify(q, &sev));
	KEEP(B->notify(q, NULL));
	KEEP(B->notify(q, NULL));
	KEEP(B->notify(q, &sev));
	KEEP(B->send(q, "d", 1, 0));
	struct timespec ts = { WAIT_MS / 1000, 0 };
	T_EQ(sigtimedwait(&set, NULL, &ts), SIGUSR1);
	KEEP(B->receive(q, buf, sizeof(buf), NULL));
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = note_thread;
	KEEP(B->notify(q, &sev));
	KEEP(B->send(q, "e", 1, 0));
	for (int i = 0; i < WAIT_MS && !thread_calls; i++)
		t_msleep(1);
	T_EQ(thread_calls, 1);
	KEEP(B->receive(q, buf, sizeof(buf), NULL));

	/* Blocking, both sides: a receiver handed a message, a sender whose
	 * message a receive inserts, each as the one that slept and as the
	 * one that completed it. */
	struct mq_attr blocking = { 0 };
	KEEP(B->setattr(q2, &blocking, NULL));
	pid = fork();
	if (pid == 0) {
		alarm(10);
		errno = SENTINEL;
		CHILD_ASSERT(B->receive(q2, buf, sizeof(buf), NULL) == 1);
		CHILD_ASSERT(errno == SENTINEL);
		_exit(0);
	}
	if (t_wait_sleeping(pid))
		T_FAIL("the receiver did not block");
	t_msleep(20);
	KEEP(B->send(q, "f", 1, 0));
	reap_ok(pid, "blocked receiver");
	KEEP(B->send(q, "g", 1, 0));
	KEEP(B->send(q, "h", 1, 0));
	pid = fork();
	if (pid == 0) {
		alarm(10);
		errno = SENTINEL;
		CHILD_ASSERT(B->send(q2, "i", 1, 0) == 0);
		CHILD_ASSERT(errno == SENTINEL);
		_exit(0);
	}
	if (t_wait_sleeping(pid))
		T_FAIL("the sender did not block");
	t_msleep(20);
	KEEP(B->receive(q, buf, sizeof(buf), NULL));
	reap_ok(pid, "blocked sender");
	KEEP(B->receive(q, buf, sizeof(buf), NULL));
	KEEP(B->receive(q, buf, sizeof(buf), NULL));
	pid = fork();
	if (pid == 0) {
		t_msleep(100);
		_exit(B->send(q, "j", 1, 0) ? 1 : 0);
	}
	KEEP(B->receive(q2, buf, sizeof(buf), NULL));	/* sleeps */
	reap_ok(pid, "sender");
	KEEP(B->send(q, "k", 1, 0));
	KEEP(B->send(q, "l", 1, 0));
	pid = fork();
	if (pid == 0) {
		t_msleep(100);
		_exit(B->receive(q, buf, sizeof(buf), NULL) == 1 ? 0 : 1);
	}
	KEEP(B->timedsend(q2, "m", 1, 0, &later));	/* sleeps */
	reap_ok(pid, "receiver");

	/* Close, unlink, and the last close of an unlinked queue. */
	KEEP(B->close(q3));
	KEEP(B->close(q2));
	KEEP(B->unlink("/e"));
	KEEP(B->close(q));
	/* mq_close is close(): of any descriptor. */
	KEEP(B->close(eventfd(0, EFD_CLOEXEC)));
}

struct m {
	long mtype;
	char text[MSGSIZE];
};

BOTH(errno_kept_sysv)
{
	struct m m = { 1, "abc" };
	struct msqid_ds ds;
	key_t key = KEEP(B->ftok("/", 'e'));
	int id, id2;
	pid_t pid;

	id = KEEP(B->msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	id2 = KEEP(B->msgget(key, IPC_CREAT | IPC_EXCL | 0600));
	KEEP(B->msgget(key, 0));
	KEEP(B->msgget(key, IPC_CREAT | 0600));
	KEEP(B->msgsnd(id, &m, 3, 0));
	m.mtype = 2;
	KEEP(B->msgsnd(id, &m, 3, IPC_NOWAIT));
	KEEP(B->msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT | MSG_COPY));
	KEEP(B->msgrcv(id, &m, sizeof(m.text), 1, MSG_EXCEPT));
	KEEP(B->msgrcv(id, &m, 1, -5, MSG_NOERROR));
	KEEP(B->msgctl(id, IPC_STAT, &ds));
	ds.msg_qbytes = 8;
	KEEP(B->msgctl(id, IPC_SET, &ds));
	KEEP(B->msgctl(id & 0x7fff, MSG_STAT, &ds));
	KEEP(B->msgctl(id & 0x7fff, MSG_STAT_ANY, &ds));
	KEEP(B->msgctl(0, IPC_INFO, &ds));
	KEEP(B->msgctl(0, MSG_INFO, &ds));

	/* Blocking: a receiver handed a message (both ends), a sender let
	 * in by a receive (both ends). */
	pid = fork();
	if (pid == 0) {
		struct m r;
		alarm(10);
		errno = SENTINEL;
		CHILD_ASSERT(B->msgrcv(id, &r, sizeof(r.text), 7, 0) == 3);
		CHILD_ASSERT(errno == SENTINEL);
		_exit(0);
	}
	if (t_wait_sleeping(pid))
		T_FAIL("the receiver did not block");
	t_msleep(20);
	m.mtype = 7;
	KEEP(B->msgsnd(id, &m, 3, 0));
	reap_ok(pid, "blocked receiver");
	KEEP(B->msgsnd(id, &m, 8, 0));		/* full: 8 of 8 bytes */
	pid = fork();
	if (pid == 0) {
		struct m s = { 1, "x" };
		alarm(10);
		errno = SENTINEL;
		CHILD_ASSERT(B->msgsnd(id, &s, 1, 0) == 0);
		CHILD_ASSERT(errno == SENTINEL);
		_exit(0);
	}
	if (t_wait_sleeping(pid))
		T_FAIL("the sender did not block");
	t_msleep(20);
	KEEP(B->msgrcv(id, &m, sizeof(m.text), 7, 0));
	reap_ok(pid, "blocked sender");
	KEEP(B->msgrcv(id, &m, sizeof(m.text), 0, 0));
	pid = fork();
	if (pid == 0) {
		struct m s = { 3, "y" };
		t_msleep(100);
		_exit(B->msgsnd(id, &s, 1, 0) ? 1 : 0);
	}
	KEEP(B->msgrcv(id, &m, sizeof(m.text), 3, 0));	/* sleeps */
	reap_ok(pid, "sender");
	KEEP(B->msgsnd(id, &m, 8, 0));
	pid = fork();
	if (pid == 0) {
		struct m r;
		t_msleep(100);
		_exit(B->msgrcv(id, &r, sizeof(r.text), 0, 0) == 8 ? 0 : 1);
	}
	KEEP(B->msgsnd(id, &m, 8, 0));			/* sleeps */
	reap_ok(pid, "receiver");
	KEEP(B->msgctl(id, IPC_RMID, NULL));
	KEEP(B->msgctl(id2, IPC_RMID, NULL));
}

/* umq's own calls keep errno too, namespace creation included. */
T_CASE(errno_kept_umq_extensions)
{
	struct umq_limits lim;
	struct timespec later;
	struct m m = { 1, "abc" };
	char buf[MSGSIZE], dir[128], status[128];
	mqd_t q;
	int id;

	t_half = 1;	/* umq only */
	clock_gettime(CLOCK_MONOTONIC, &later);
	later.tv_sec += 5;
	snprintf(dir, sizeof(dir), "%s/fresh", t_umq_dir());
	KEEP(umq_ns_use(dir));			/* created here */
	errno = SENTINEL;
	T_ASSERT(umq_ns_path() != NULL);
	T_EQ(errno, SENTINEL);
	KEEP(umq_ns_get_limits(&lim));
	KEEP(umq_ns_set_limits(&lim));
	q = KEEP(umq_mq_open("/u", O_CREAT | O_RDWR, 0600, &attr2));
	KEEP(umq_mq_clocksend(q, "a", 1, 0, CLOCK_MONOTONIC, &later));
	KEEP(umq_mq_status(q, status, sizeof(status)));
	KEEP(umq_mq_clockreceive(q, buf, sizeof(buf), NULL, CLOCK_MONOTONIC,
				 &later));
	KEEP(umq_mq_close(q));
	KEEP(umq_mq_unlink("/u"));
	id = KEEP(umq_msgget(IPC_PRIVATE, 0600));
	KEEP(umq_msgclocksnd(id, &m, 3, 0, CLOCK_MONOTONIC, &later));
	int fd = KEEP(umq_msgfd(id));
	KEEP(umq_msgclockrcv(id, &m, sizeof(m.text), 0, 0, CLOCK_MONOTONIC,
			     &later));
	close(fd);
	KEEP(umq_msgctl(id, IPC_RMID, NULL));
	KEEP(umq_ftok("/", 1));
	KEEP(umq_ns_use(t_umq_dir()));
	KEEP(umq_ns_remove(dir));
}

/* ---- 2. no descriptor left --------------------------------------------- */

static struct rlimit nofile_was;

/* RLIMIT_NOFILE's soft limit to n (0 included), then back. */
static void nofile(rlim_t n)
{
	struct rlimit rl;

	getrlimit(RLIMIT_NOFILE, &nofile_was);
	rl = nofile_was;
	rl.rlim_cur = n;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		T_FAIL("setrlimit: %s", strerror(errno));
}

static void nofile_restore(void)
{
	if (setrlimit(RLIMIT_NOFILE, &nofile_was))
		T_FAIL("setrlimit: %s", strerror(errno));
}

/* What mq_open says with no free descriptor: EMFILE before any name or
 * existence error, but after the name's own checks (B4 steps 1-4). */
static void expect_no_fd(void)
{
	GIVES(B->open("/new", O_CREAT | O_RDWR, 0600, &attr2), -1, EMFILE);
	GIVES(B->open("/exist", O_RDWR, 0, NULL), -1, EMFILE);
	GIVES(B->open("/missing", O_RDONLY, 0, NULL), -1, EMFILE);
	GIVES(B->open("/a/b", O_RDONLY, 0, NULL), -1, EMFILE);
	GIVES(B->open("/exist", O_CREAT | O_EXCL | O_RDWR, 0600, NULL), -1,
	      EMFILE);
	GIVES(B->open("noslash", O_RDONLY, 0, NULL), -1, EINVAL);
	GIVES(B->open("/", O_RDONLY, 0, NULL), -1, ENOENT);
}

BOTH(emfile_at_rlimit_zero)
{
	mqd_t q = B->open("/exist", O_CREAT | O_RDWR, 0600, &attr2);
	mqd_t d = dup(q);
	char buf[MSGSIZE];

	T_ASSERT(q >= 0 && d >= 0);
	nofile(0);
	expect_no_fd();
	/* A descriptor the process has is usable without a new one. */
	GIVES(B->send(q, "a", 1, 0), 0, 0);
	GIVES(B->receive(d, buf, sizeof(buf), NULL), 1, 0);
	nofile_restore();
}

BOTH(emfile_when_all_are_used_and_one_is_enough)
{
	mqd_t q = B->open("/exist", O_CREAT | O_RDWR, 0600, &attr2);
	mqd_t d = dup(q), n;
	char buf[MSGSIZE];
	int fds[256], used = 0, fd;

	T_ASSERT(q >= 0 && d >= 0);
	nofile(200);
	while ((fd = dup(0)) >= 0)
		fds[used++] = fd;
	T_EQ(errno, EMFILE);
	expect_no_fd();
	GIVES(B->send(q, "a", 1, 0), 0, 0);
	GIVES(B->receive(d, buf, sizeof(buf), NULL), 1, 0);
	/* One free descriptor: enough to create, and to open. */
	close(fds[--used]);
	n = B->open("/new", O_CREAT | O_EXCL | O_RDWR, 0600, &attr2);
	if (n < 0)
		T_FAIL("%s: creating with one descriptor free: %s", B->name,
		       ename(errno));
	GIVES(B->send(n, "b", 1, 0), 0, 0);
	GIVES(B->open("/exist", O_RDWR, 0, NULL), -1, EMFILE);
	GIVES(B->close(n), 0, 0);
	n = B->open("/exist", O_RDONLY, 0, NULL);
	if (n < 0)
		T_FAIL("%s: opening with one descriptor free: %s", B->name,
		       ename(errno));
	GIVES(B->close(n), 0, 0);
	n = B->open("/new", O_RDONLY, 0, NULL);
	if (n < 0)
		T_FAIL("%s: opening with one descriptor free: %s", B->name,
		       ename(errno));
	GIVES(B->receive(n, buf, sizeof(buf), NULL), 1, 0);
	while (used)
		close(fds[--used]);
	nofile_restore();
}

/* A queue made by another process: this one has not mapped it yet. */
static void make_other(void *arg)
{
	int *id = arg;

	*id = umq_msgget(IPC_PRIVATE, 0600);
}

static int other_process_queue(void)
{
	int *id = t_shared(sizeof(*id));

	*id = -1;
	T_EQ(t_waitpid(t_spawn(make_other, id)), 0);
	if (*id < 0)
		T_FAIL("msgget in another process failed");
	return *id;
}

/* System V needs no descriptor on the kernel.  umq needs one for a
 * moment to map a queue's files the first time (a queue made by another
 * process; its creator maps it at creation): at EMFILE it takes one
 * above the soft limit (src/fds.c), and the limit is as it was after. */
T_CASE(umq_sysv_without_descriptors)
{
	struct m m = { 1, "abc" };
	int id = (int)T_OK(umq_msgget(IPC_PRIVATE, 0600));
	int other = other_process_queue();
	struct rlimit rl;
	int third;

	t_half = 1;	/* umq only */
	T_OK(umq_msgsnd(id, &m, 3, 0));
	nofile(0);
	third = umq_msgget(IPC_PRIVATE, 0600);
	if (third < 0)
		T_FAIL("msgget at EMFILE: %s", ename(errno));
	GIVES(umq_msgsnd(other, &m, 3, 0), 0, 0);
	GIVES(umq_msgsnd(third, &m, 3, 0), 0, 0);
	GIVES(umq_msgsnd(id, &m, 3, 0), 0, 0);
	GIVES(umq_msgrcv(id, &m, sizeof(m.text), 0, 0), 3, 0);
	GIVES(umq_msgrcv(other, &m, sizeof(m.text), 0, 0), 3, 0);
	GIVES(umq_msgctl(other, IPC_RMID, NULL), 0, 0);
	GIVES(umq_msgctl(third, IPC_RMID, NULL), 0, 0);
	T_OK(getrlimit(RLIMIT_NOFILE, &rl));
	T_EQ(rl.rlim_cur, 0);
	GIVES(dup(0), -1, EMFILE);
	nofile_restore();
}

/* No room above the soft limit either (it is the hard limit): ENOMEM,
 * msgget's and msgsnd's errno for "cannot allocate", never EMFILE, on a
 * queue this process has not mapped (made by another).  A queue already
 * mapped needs no descriptor. */
T_CASE(umq_sysv_without_descriptors_at_the_hard_limit)
{
	struct m m = { 1, "abc" };
	int id = (int)T_OK(umq_msgget(IPC_PRIVATE, 0600));
	int other = other_process_queue();
	struct rlimit rl = { 0, 0 };

	t_half = 1;	/* umq only */
	T_OK(umq_msgsnd(id, &m, 3, 0));
	getrlimit(RLIMIT_NOFILE, &nofile_was);
	T_OK(setrlimit(RLIMIT_NOFILE, &rl));	/* this case's child only */
	GIVES(umq_msgget(IPC_PRIVATE, 0600), -1, ENOMEM);
	GIVES(umq_msgsnd(other, &m, 3, 0), -1, ENOMEM);
	/* Nor can msgctl reach a queue never mapped: a file per queue
	 * needs a descriptor to be mapped.  ENOMEM, an errno the kernel's
	 * msgctl never gives. */
	GIVES(umq_msgctl(other, IPC_RMID, NULL), -1, ENOMEM);
	GIVES(umq_msgsnd(id, &m, 3, 0), 0, 0);
	GIVES(umq_msgrcv(id, &m, sizeof(m.text), 0, 0), 3, 0);
	GIVES(umq_msgctl(id, IPC_RMID, NULL), 0, 0);
	/* Raising the hard limit again needs CAP_SYS_RESOURCE. */
	if (setrlimit(RLIMIT_NOFILE, &nofile_was) == 0)
		GIVES(umq_msgctl(other, IPC_RMID, NULL), 0, 0);
}

/* ---- 3. NULL arguments ------------------------------------------------- */

BOTH(null_arguments_posix)
{
	struct mq_attr a, old, blocking = { 0 };
	char buf[MSGSIZE];
	mqd_t q, dflt;

	q = B->open("/n", O_CREAT | O_RDWR | O_NONBLOCK, 0600, &attr2);
	T_ASSERT(q >= 0);
	/* attr NULL: the namespace's defaults. */
	dflt = B->open("/d", O_CREAT | O_RDWR, 0600, NULL);
	T_ASSERT(dflt >= 0);
	GIVES(B->getattr(dflt, &a), 0, 0);
	T_EQ(a.mq_maxmsg, 10);
	T_EQ(a.mq_msgsize, 8192);
	/* mq_getattr/mq_setattr: a NULL out pointer is not written. */
	GIVES(B->getattr(q, NULL), 0, 0);
	GIVES(B->getattr(-1, NULL), -1, EBADF);
	GIVES(B->getattr(q, (struct mq_attr *)8), -1, EFAULT);
	GIVES(B->setattr(q, NULL, NULL), 0, 0);
	GIVES(B->setattr(q, NULL, &old), 0, 0);
	T_EQ(old.mq_flags, O_NONBLOCK);
	GIVES(B->setattr(q, &blocking, NULL), 0, 0);
	GIVES(B->getattr(q, &a), 0, 0);
	T_EQ(a.mq_flags, 0);
	/* The change is made before the old attributes are written. */
	a.mq_flags = O_NONBLOCK;
	GIVES(B->setattr(q, &a, (struct mq_attr *)8), -1, EFAULT);
	GIVES(B->getattr(q, &old), 0, 0);
	T_EQ(old.mq_flags, O_NONBLOCK);
	GIVES(B->setattr(q, (struct mq_attr *)8, NULL), -1, EFAULT);
	/* Names. */
	GIVES(B->open(NULL, O_RDONLY, 0, NULL), -1, EFAULT);
	GIVES(B->open(NULL, O_CREAT | O_RDWR, 0600, NULL), -1, EFAULT);
	GIVES(B->unlink(NULL), -1, EFAULT);
	GIVES(B->open("/n", O_CREAT | O_RDWR, 0600, (struct mq_attr *)8),
	      -1, EFAULT);
	/* Messages: NULL text of length 0 is fine, of length 1 is not. */
	GIVES(B->send(q, NULL, 0, 0), 0, 0);
	GIVES(B->send(q, NULL, 1, 0), -1, EFAULT);
	GIVES(B->getattr(q, &a), 0, 0);
	T_EQ(a.mq_curmsgs, 1);
	GIVES(B->receive(q, NULL, MSGSIZE, NULL), 0, 0);	/* empty one */
	GIVES(B->timedsend(q, "x", 1, 0, NULL), 0, 0);	/* no timeout */
	GIVES(B->receive(q, NULL, MSGSIZE, NULL), -1, EFAULT);
	GIVES(B->getattr(q, &a), 0, 0);
	T_EQ(a.mq_curmsgs, 0);		/* taken, then lost (B9) */
	GIVES(B->receive(q, NULL, MSGSIZE, NULL), -1, EAGAIN);
	GIVES(B->timedsend(q, "y", 1, 0, NULL), 0, 0);
	GIVES(B->receive(q, buf, MSGSIZE, (unsigned *)8), -1, EFAULT);
	GIVES(B->timedsend(q, "z", 1, 3, NULL), 0, 0);
	GIVES(B->timedreceive(q, buf, MSGSIZE, NULL, NULL), 1, 0);
	GIVES(B->timedsend(q, "w", 1, 0, (struct timespec *)8), -1, EFAULT);
	GIVES(B->timedreceive(q, buf, MSGSIZE, NULL, (struct timespec *)8),
	      -1, EFAULT);
	/* mq_notify: NULL by a non-owner is a no-op. */
	GIVES(B->notify(q, NULL), 0, 0);
	GIVES(B->notify(q, (struct sigevent *)8), -1, EFAULT);
	GIVES(B->notify(-1, NULL), -1, EBADF);
	B->close(q);
	B->close(dflt);
}

BOTH(null_arguments_sysv)
{
	struct m m = { 1, "" };
	int id = B->msgget(IPC_PRIVATE, 0600);

	T_ASSERT(id >= 0);
	GIVES(B->msgsnd(id, NULL, 0, 0), -1, EFAULT);
	GIVES(B->msgsnd(-1, NULL, 1, 0), -1, EFAULT);	/* mtype first */
	GIVES(B->msgrcv(id, NULL, 8, 0, IPC_NOWAIT), -1, ENOMSG);
	GIVES(B->msgsnd(id, &m, 0, 0), 0, 0);
	/* MSG_COPY of an empty message into no buffer: the mtype faults. */
	GIVES(B->msgrcv(id, NULL, 0, 0, IPC_NOWAIT | MSG_COPY), -1, EFAULT);
	GIVES(B->msgrcv(id, NULL, 8, 0, IPC_NOWAIT), -1, EFAULT);
	GIVES(B->msgrcv(id, &m, 8, 0, IPC_NOWAIT), -1, ENOMSG);  /* lost */
	GIVES(B->msgctl(id, IPC_STAT, NULL), -1, EFAULT);
	GIVES(B->msgctl(id, IPC_SET, NULL), -1, EFAULT);
	GIVES(B->msgctl(id + 1, IPC_STAT, NULL), -1, EINVAL);
	GIVES(B->msgctl(id + 1, IPC_SET, NULL), -1, EFAULT);
	GIVES(B->msgctl(0, IPC_INFO, NULL), -1, EFAULT);
	GIVES(B->msgctl(0, MSG_INFO, NULL), -1, EFAULT);
	GIVES(B->msgctl(id, IPC_RMID, NULL), 0, 0);
	GIVES(B->msgctl(id, IPC_RMID, NULL), -1, EINVAL);
}

/* ---- 4. descriptors that are not a queue's ------------------------------- */

static void expect_ebadf(int fd, const char *what)
{
	struct timespec later = in_ms(1000);
	struct sigevent none = { .sigev_notify = SIGEV_NONE };
	struct mq_attr a, nb = { .mq_flags = O_NONBLOCK };
	char buf[8192];

	errno = 0;
	if (B->send(fd, "a", 1, 0) != -1 || errno != EBADF ||
	    B->timedsend(fd, "a", 1, 0, &later) != -1 || errno != EBADF ||
	    B->receive(fd, buf, sizeof(buf), NULL) != -1 || errno != EBADF ||
	    B->timedreceive(fd, buf, sizeof(buf), NULL, &later) != -1 ||
	    errno != EBADF ||
	    B->getattr(fd, &a) != -1 || errno != EBADF ||
	    B->getattr(fd, NULL) != -1 || errno != EBADF ||
	    B->setattr(fd, &nb, &a) != -1 || errno != EBADF ||
	    B->setattr(fd, NULL, NULL) != -1 || errno != EBADF ||
	    B->notify(fd, &none) != -1 || errno != EBADF ||
	    B->notify(fd, NULL) != -1 || errno != EBADF)
		T_FAIL("%s: %s (fd %d): a call did not fail with EBADF (%s)",
		       B->name, what, fd, ename(errno));
}

/* The other backend's queue descriptor: a umq one for the kernel, a
 * kernel one for umq. */
static int foreign_mqd(void)
{
	struct mq_attr a = attr2;

	if (B->kernel)
		return umq_mq_open("/foreign", O_CREAT | O_RDWR, 0600, &a);
	return (int)syscall(SYS_mq_open, "foreign", O_CREAT | O_RDWR, 0600,
			    &a);
}

BOTH(ebadf_for_what_is_not_a_queue)
{
	char path[256];
	int p[2], s[2], fd;
	mqd_t q;

	snprintf(path, sizeof(path), "%s/file-%s", t_umq_dir(), B->name);
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	expect_ebadf(fd, "a regular file");
	close(fd);
	fd = open(path, O_PATH | O_CLOEXEC);
	expect_ebadf(fd, "an O_PATH descriptor");
	close(fd);
	fd = open(t_umq_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	expect_ebadf(fd, "a directory");
	close(fd);
	T_OK(pipe2(p, O_CLOEXEC));
	expect_ebadf(p[0], "a pipe's read end");
	expect_ebadf(p[1], "a pipe's write end");
	close(p[0]);
	close(p[1]);
	snprintf(path, sizeof(path), "%s/fifo-%s", t_umq_dir(), B->name);
	T_OK(mkfifo(path, 0600));
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	expect_ebadf(fd, "a FIFO");
	close(fd);
	fd = open(path, O_PATH | O_CLOEXEC);
	expect_ebadf(fd, "an O_PATH FIFO");
	close(fd);
	T_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s));
	expect_ebadf(s[0], "a socket");
	close(s[0]);
	close(s[1]);
	fd = eventfd(0, EFD_CLOEXEC);
	expect_ebadf(fd, "an eventfd");
	close(fd);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	expect_ebadf(fd, "/dev/null");
	close(fd);
	expect_ebadf(-1, "-1");
	expect_ebadf(1000, "a number never opened");
	expect_ebadf(INT_MAX, "INT_MAX");
	expect_ebadf((1 << 20) + 3, "a number beyond any table");
	fd = foreign_mqd();
	if (fd < 0)
		T_FAIL("%s: the other backend's queue: %s", B->name,
		       ename(errno));
	expect_ebadf(fd, "the other backend's queue");
	close(fd);
	/* Closed with mq_close: EBADF, even when the number comes back as
	 * another file. */
	q = B->open("/c", O_CREAT | O_RDWR, 0600, &attr2);
	T_ASSERT(q >= 0);
	GIVES(B->close(q), 0, 0);
	expect_ebadf(q, "a closed queue descriptor");
	snprintf(path, sizeof(path), "%s/file-%s", t_umq_dir(), B->name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	T_ASSERT(fd >= 0);
	if (fd != q) {		/* the number itself, whatever came first */
		T_EQ(dup3(fd, q, O_CLOEXEC), q);
		close(fd);
		fd = q;
	}
	expect_ebadf(fd, "a closed queue's number, now a file");
	/* mq_close is close(): of anything, once. */
	GIVES(B->close(fd), 0, 0);
	GIVES(B->close(fd), -1, EBADF);
	GIVES(B->close(-1), -1, EBADF);
}

/* umq: a descriptor of a queue's FIFO that mq_open did not make (opened
 * by hand, or O_PATH) is not a queue descriptor. */
T_CASE(umq_ebadf_for_its_fifo_opened_by_hand)
{
	char path[PATH_MAX];
	mqd_t q = umq_mq_open("/h", O_CREAT | O_RDWR, 0600, &attr2);
	struct stat st;
	int fd;

	t_half = 1;	/* umq only */
	T_ASSERT(q >= 0);
	T_OK(fstat(q, &st));
	/* names/h -> <gen>; the FIFO is posix/<gen>.p. */
	char name[PATH_MAX], gen[64];
	struct stat fs;
	ssize_t n;
	snprintf(name, sizeof(name), "%s/names/h", t_umq_dir());
	n = readlink(name, gen, sizeof(gen) - 1);
	T_ASSERT(n > 0);
	gen[n] = 0;
	snprintf(path, sizeof(path), "%s/posix/%s.p", t_umq_dir(), gen);
	T_OK(stat(path, &fs));
	T_EQ(fs.st_ino, st.st_ino);	/* the queue descriptor's file */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	T_ASSERT(fd >= 0);
	expect_ebadf(fd, "the FIFO opened O_RDONLY");
	close(fd);
	fd = open(path, O_PATH | O_CLOEXEC);
	expect_ebadf(fd, "the FIFO opened O_PATH");
	close(fd);
}

/* ---- 5. a namespace that cannot be used ---------------------------------- */

/*
 * The probe: a fresh program (no namespace chosen yet, $UMQ_DIR set by
 * the caller) that makes each call once and prints "call errno".
 */
static void probe_line(const char *call, long r)
{
	printf("%s %s\n", call, r == -1 ? ename(errno) : "ok");
}

static int probe(void)
{
	struct m m = { 1, "" };
	struct msqid_ds ds;

	probe_line("msgget_create", umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	probe_line("msgget_lookup", umq_msgget(0x1234, 0600));
	probe_line("msgsnd", umq_msgsnd(0, &m, 1, IPC_NOWAIT));
	probe_line("msgrcv", umq_msgrcv(0, &m, 8, 0, IPC_NOWAIT));
	probe_line("msgctl", umq_msgctl(0, IPC_STAT, &ds));
	probe_line("msgfd", umq_msgfd(0));
	probe_line("mq_open_create",
		   umq_mq_open("/p", O_CREAT | O_RDWR, 0600, NULL));
	probe_line("mq_open", umq_mq_open("/p", O_RDWR));
	probe_line("mq_unlink", umq_mq_unlink("/p"));
	fflush(stdout);
	return 0;
}

struct probe_out {
	char out[2048], err[2048];
};

/* Run the probe with $UMQ_DIR dir as uid, debug on or off. */
static void run_probe(const char *dir, uid_t uid, bool debug,
		      struct probe_out *po)
{
	int o[2], e[2], st;
	pid_t pid;
	ssize_t n;

	T_OK(pipe(o));
	T_OK(pipe(e));
	pid = fork();
	if (pid == 0) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		setenv("UMQ_DIR", dir, 1);
		if (debug)
			setenv("UMQ_DEBUG", "1", 1);
		else
			unsetenv("UMQ_DEBUG");
		if (uid && (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
			    setresuid(uid, uid, uid)))
			_exit(77);
		alarm(20);	/* a hang is a failure, not a stuck run */
		execl("/proc/self/exe", "errno_diff", "--probe",
		      (char *)NULL);
		_exit(78);
	}
	close(o[1]);
	close(e[1]);
	n = read(o[0], po->out, sizeof(po->out) - 1);
	po->out[n > 0 ? n : 0] = 0;
	n = read(e[0], po->err, sizeof(po->err) - 1);
	po->err[n > 0 ? n : 0] = 0;
	close(o[0]);
	close(e[0]);
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("probe in %s: status %#x (a signal is a crash or a "
		       "hang)", dir, st);
}

/* Check the probe gave want for call. */
static void expect_line(const struct probe_out *po, const char *dir,
			const char *call, const char *want)
{
	char line[128];

	snprintf(line, sizeof(line), "%s %s\n", call, want);
	if (!strstr(po->out, line))
		T_FAIL("namespace %s: expected \"%s %s\", the probe said:\n%s",
		       dir, call, want, po->out);
}

/*
 * For each broken namespace: each call's errno; with UMQ_DEBUG=1 a line
 * on stderr that names the directory and says why; without, silence.
 */
static void check_broken(const char *dir, uid_t uid, bool perm,
			 const char *why)
{
	struct probe_out po;

	run_probe(dir, uid, false, &po);
	if (po.err[0])
		T_FAIL("namespace %s: stderr without UMQ_DEBUG: %s", dir,
		       po.err);
	expect_line(&po, dir, "msgget_create", perm ? "EACCES" : "ENOMEM");
	expect_line(&po, dir, "msgget_lookup", perm ? "EACCES" : "ENOENT");
	expect_line(&po, dir, "msgsnd", "EINVAL");
	expect_line(&po, dir, "msgrcv", "EINVAL");
	expect_line(&po, dir, "msgctl", "EINVAL");
	expect_line(&po, dir, "msgfd", "EINVAL");
	expect_line(&po, dir, "mq_open_create", perm ? "EACCES" : "ENOMEM");
	expect_line(&po, dir, "mq_open", perm ? "EACCES" : "ENOENT");
	expect_line(&po, dir, "mq_unlink", perm ? "EACCES" : "ENOENT");
	run_probe(dir, uid, true, &po);
	if (!strstr(po.err, "umq: namespace ") || !strstr(po.err, why))
		T_FAIL("namespace %s: with UMQ_DEBUG=1, stderr says:\n%s", dir,
		       po.err);
}

T_CASE_F(umq_unusable_namespaces, T_NO_KERNEL_NS)
{
	char file[256], dir[256], sub[300];

	if (geteuid() != 0)
		t_skip("needs root to act as another user");
	/* A regular file where the directory should be. */
	snprintf(file, sizeof(file), "%s/file", t_umq_dir());
	close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	check_broken(file, 0, false, "Not a directory");
	/* A file in the way of its parent. */
	snprintf(sub, sizeof(sub), "%s/ns", file);
	check_broken(sub, 0, false, "Not a directory");
	/* A parent that does not exist. */
	snprintf(sub, sizeof(sub), "%s/none/ns", t_umq_dir());
	check_broken(sub, 0, false, "No such file or directory");
	/* No permission to enter it. */
	snprintf(dir, sizeof(dir), "%s/closed", t_umq_dir());
	T_OK(mkdir(dir, 0700));
	check_broken(dir, 1000, true, "Permission denied");
	/* Not writable, and no registry yet. */
	snprintf(dir, sizeof(dir), "%s/ro", t_umq_dir());
	T_OK(mkdir(dir, 0555));
	check_broken(dir, 1000, true, "Permission denied");
}

/* Replace file name of dir (a path inside it) with a FIFO. */
static void fifo_for(const char *dir, const char *name)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	T_OK(unlink(path));
	T_OK(mkfifo(path, 0666));
}

/*
 * A namespace, the case's directory's sub, whose System V queue 0 (id 0,
 * index 0) has its file sysv/<prefix><gen> replaced by a FIFO; probed
 * there, where queue 0 is still made.
 */
static void queue0_fifo(char *dir, size_t n, const char *sub,
			const char *prefix, struct probe_out *po)
{
	char path[600], name[80], gen[64];
	ssize_t k;

	snprintf(dir, n, "%s/%s", t_umq_dir(), sub);
	T_OK(umq_ns_use(dir));
	T_EQ(umq_msgget(IPC_PRIVATE, 0600), 0);
	snprintf(path, sizeof(path), "%s/sysv/i.0", dir);
	k = readlink(path, gen, sizeof(gen) - 1);
	T_ASSERT(k > 0);
	gen[k] = 0;
	snprintf(name, sizeof(name), "sysv/%s%s", prefix, gen);
	fifo_for(dir, name);
	run_probe(dir, 0, false, po);
	expect_line(po, dir, "msgget_create", "ok");
}

/*
 * Files of the wrong kind inside: refused (EUCLEAN), or, for the hints
 * file, ignored (layout.h: only hints); never waited on.
 */
T_CASE_F(umq_namespace_with_fifos_inside, T_NO_KERNEL_NS)
{
	char dir[256], path[300];
	struct probe_out po;

	/* A directory whose hints file is a FIFO: no hints, no harm. */
	snprintf(dir, sizeof(dir), "%s/fifo-ns", t_umq_dir());
	T_OK(mkdir(dir, 01777));
	snprintf(path, sizeof(path), "%s/ns", dir);
	T_OK(mkfifo(path, 0666));
	/* The hints are only hints (layout.h): a FIFO in their place is
	 * never opened for them, and the namespace works without. */
	run_probe(dir, 0, true, &po);
	expect_line(&po, dir, "msgget_create", "ok");
	expect_line(&po, dir, "msgsnd", "ok");
	expect_line(&po, dir, "mq_open_create", "ok");
	expect_line(&po, dir, "mq_unlink", "ok");
	expect_line(&po, dir, "mq_open", "ok");
	/* A good namespace whose limits file is then a FIFO. */
	snprintf(dir, sizeof(dir), "%s/fifo-limits", t_umq_dir());
	T_OK(umq_ns_use(dir));
	T_OK(umq_msgget(IPC_PRIVATE, 0600));
	fifo_for(dir, "limits");
	run_probe(dir, 0, true, &po);
	expect_line(&po, dir, "msgget_create", "EUCLEAN");
	if (!strstr(po.err, "limits"))
		T_FAIL("stderr says: %s", po.err);
	/* Queue 0's control block a FIFO: no queue 0 (EINVAL); others
	 * are made. */
	queue0_fifo(dir, sizeof(dir), "fifo-q", "q.", &po);
	expect_line(&po, dir, "msgsnd", "EINVAL");
	expect_line(&po, dir, "msgctl", "EINVAL");
	expect_line(&po, dir, "msgfd", "EINVAL");
}

/* Queue 0's data file a FIFO: a damaged store (EUCLEAN, layout.h), no
 * hang; IPC_STAT reads the control block, not the store: it works, or
 * says the queue is damaged - never that there is no queue. */
T_CASE_F(umq_store_file_a_fifo, T_NO_KERNEL_NS)
{
	char dir[256];
	struct probe_out po;

	queue0_fifo(dir, sizeof(dir), "fifo-m", "m.", &po);
	expect_line(&po, dir, "msgsnd", "EUCLEAN");
	if (!strstr(po.out, "msgctl ok\n"))
		expect_line(&po, dir, "msgctl", "EUCLEAN");
}

/* sysv/ itself a FIFO: a damaged registry, the namespace refused as for
 * a limits file that is a FIFO (EUCLEAN), never waited on. */
T_CASE_F(umq_sysv_dir_a_fifo, T_NO_KERNEL_NS)
{
	char dir[256], path[300];
	struct probe_out po;

	snprintf(dir, sizeof(dir), "%s/fifo-sysv", t_umq_dir());
	T_OK(umq_ns_use(dir));
	snprintf(path, sizeof(path), "%s/sysv", dir);
	T_OK(rmdir(path));
	T_OK(mkfifo(path, 0666));
	run_probe(dir, 0, true, &po);
	expect_line(&po, dir, "msgget_create", "EUCLEAN");
	expect_line(&po, dir, "msgget_lookup", "EUCLEAN");
	if (!strstr(po.err, "sysv/"))
		T_FAIL("stderr says: %s", po.err);
}

/* names/, posix/ and sysv/ are made by the namespace's owner (the owner
 * of a sticky directory may unlink anything in it): until then, others
 * cannot use it (EACCES for what would create or look up, EINVAL for an
 * id), and say why. */
T_CASE_F(umq_registry_dirs_not_made_yet, T_NO_KERNEL_NS)
{
	char dir[256];

	if (geteuid() != 0)
		t_skip("needs root to act as another user");
	snprintf(dir, sizeof(dir), "%s/shared", t_umq_dir());
	T_OK(mkdir(dir, 01777));
	T_OK(chmod(dir, 01777));
	check_broken(dir, 1000, true, "sysv/");
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--probe"))
		return probe();
	return t_main(argc, argv);
}
