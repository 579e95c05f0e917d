/* SPDX-License-Identifier: MIT */
/*
 * readiness.c - poll, select and epoll on POSIX queue descriptors, on the
 * kernel and on umq side by side.  The kernel's mqueue_poll_file() says
 * POLLIN|POLLRDNORM while the queue holds a message and
 * POLLOUT|POLLWRNORM while it has room, whatever the descriptor's access
 * mode; every scenario checks exactly that on both backends, at every
 * fill level, through state changes in both directions, across
 * processes, fork and exec, with blocking descriptors, and (umq) after a
 * lock holder died in the middle of a change.
 *
 * Edge-triggered epoll: the kernel wakes its pollers at every send and
 * receive, umq at a change of state only (DESIGN.md §7); the scenarios
 * assert what both give - an edge whenever POLLIN or POLLOUT appears -
 * and that any event reports the state exactly.
 */
#include "t.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "umq.h"
#include "internal.h"

#define WAIT_MS 5000	/* longest wait for something that must happen */
#define MSGSIZE 16
#define IN	(POLLIN | POLLRDNORM)
#define OUT	(POLLOUT | POLLWRNORM)
#define ALL	(POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLPRI)

/* ---- Backends: the kernel's calls made directly, glibc's checks added -- */

static mqd_t k_open(const char *name, int oflag, mode_t mode,
		    struct mq_attr *attr)
{
	if (name[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	return syscall(SYS_mq_open, name + 1, oflag, mode,
		       oflag & O_CREAT ? attr : NULL);
}

static int k_close(mqd_t d)
{
	return syscall(SYS_close, d);
}

static int k_unlink(const char *name)
{
	return syscall(SYS_mq_unlink, name + 1);
}

static int k_send(mqd_t d, const char *p, size_t n, unsigned prio)
{
	return syscall(SYS_mq_timedsend, d, p, n, prio, NULL);
}

static ssize_t k_receive(mqd_t d, char *p, size_t n, unsigned *prio)
{
	return syscall(SYS_mq_timedreceive, d, p, n, prio, NULL);
}

static int k_setattr(mqd_t d, const struct mq_attr *na, struct mq_attr *oa)
{
	return syscall(SYS_mq_getsetattr, d, na, oa);
}

static mqd_t u_open(const char *name, int oflag, mode_t mode,
		    struct mq_attr *attr)
{
	return umq_mq_open(name, oflag, mode, attr);
}

struct backend {
	const char *name;
	mqd_t (*open)(const char *, int, mode_t, struct mq_attr *);
	int (*close)(mqd_t);
	int (*unlink)(const char *);
	int (*send)(mqd_t, const char *, size_t, unsigned);
	ssize_t (*receive)(mqd_t, char *, size_t, unsigned *);
	int (*setattr)(mqd_t, const struct mq_attr *, struct mq_attr *);
	bool kernel;
};

static const struct backend backends[] = {
	{ "kernel", k_open, k_close, k_unlink, k_send, k_receive, k_setattr,
	  true },
	{ "umq", u_open, umq_mq_close, umq_mq_unlink, umq_mq_send,
	  umq_mq_receive, umq_mq_setattr, false },
};

/* The backend of the running half (t_both_run). */
#define B (&backends[t_half])
#define BOTH T_BOTH

/* ---- Helpers ----------------------------------------------------------- */

static mqd_t qcreate(const char *name, int acc, long maxmsg)
{
	struct mq_attr a = { .mq_maxmsg = maxmsg, .mq_msgsize = MSGSIZE };
	mqd_t q = B->open(name, O_CREAT | O_EXCL | O_NONBLOCK | acc, 0600,
			  &a);

	if (q < 0)
		T_FAIL("%s: mq_open(%s, create) failed: %s", B->name, name,
		       strerrorname_np(errno));
	return q;
}

static mqd_t qget(const char *name, int oflag)
{
	mqd_t q = B->open(name, oflag | O_NONBLOCK, 0, NULL);

	if (q < 0)
		T_FAIL("%s: mq_open(%s, %#o) failed: %s", B->name, name, oflag,
		       strerrorname_np(errno));
	return q;
}

static void put(mqd_t q)
{
	if (B->send(q, "m", 1, 0))
		T_FAIL("%s: mq_send failed: %s", B->name,
		       strerrorname_np(errno));
}

static void take(mqd_t q)
{
	char buf[MSGSIZE];

	if (B->receive(q, buf, sizeof(buf), NULL) != 1)
		T_FAIL("%s: mq_receive failed: %s", B->name,
		       strerrorname_np(errno));
}

/* What the kernel's mqueue_poll_file() says at n messages of max. */
static int state(long n, long max)
{
	return (n > 0 ? IN : 0) | (n < max ? OUT : 0);
}

static int revents(int fd, int events)
{
	struct pollfd p = { .fd = fd, .events = (short)events };

	if (poll(&p, 1, 0) < 0)
		T_FAIL("poll: %s", strerror(errno));
	return p.revents;
}

static void expect_poll(int fd, int want, const char *what, long n)
{
	int got = revents(fd, ALL);

	if (got != want)
		T_FAIL("%s: poll(%s) at %ld messages: revents %#x, expected "
		       "%#x", B->name, what, n, got, want);
	got = revents(fd, POLLIN);
	if (got != (want & POLLIN))
		T_FAIL("%s: poll(%s, POLLIN) at %ld messages: revents %#x",
		       B->name, what, n, got);
	got = revents(fd, POLLOUT);
	if (got != (want & POLLOUT))
		T_FAIL("%s: poll(%s, POLLOUT) at %ld messages: revents %#x",
		       B->name, what, n, got);
}

static void expect_select(int fd, int want, const char *what, long n)
{
	struct timeval tv = { 0, 0 };
	fd_set r, w;

	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(fd, &r);
	FD_SET(fd, &w);
	if (select(fd + 1, &r, &w, NULL, &tv) < 0)
		T_FAIL("select: %s", strerror(errno));
	if (!!FD_ISSET(fd, &r) != !!(want & POLLIN) ||
	    !!FD_ISSET(fd, &w) != !!(want & POLLOUT))
		T_FAIL("%s: select(%s) at %ld messages: read %d write %d, "
		       "expected %#x", B->name, what, n, !!FD_ISSET(fd, &r),
		       !!FD_ISSET(fd, &w), want);
}

/* Every kind of descriptor: no access (created so), read, write, both. */
struct descs {
	mqd_t fd[4];
	const char *what[4];
};

static struct descs open_all(const char *name, long maxmsg)
{
	struct descs d = { .what = { "no access", "O_RDONLY", "O_WRONLY",
				     "O_RDWR" } };

	d.fd[0] = qcreate(name, O_WRONLY | O_RDWR, maxmsg);
	d.fd[1] = qget(name, O_RDONLY);
	d.fd[2] = qget(name, O_WRONLY);
	d.fd[3] = qget(name, O_RDWR);
	return d;
}

static void expect_all(const struct descs *d, long n, long max)
{
	for (int i = 0; i < 4; i++) {
		expect_poll(d->fd[i], state(n, max), d->what[i], n);
		expect_select(d->fd[i], state(n, max), d->what[i], n);
	}
}

/* ---- poll and select --------------------------------------------------- */

/* Up to full and back down, one message at a time, for 1, 2 and 3
 * messages of room: every descriptor polls as the kernel's queue. */
BOTH(poll_every_level)
{
	for (long max = 1; max <= 3; max++) {
		char name[16];
		snprintf(name, sizeof(name), "/q%ld", max);
		struct descs d = open_all(name, max);
		expect_all(&d, 0, max);
		for (long n = 1; n <= max; n++) {
			put(d.fd[2]);
			expect_all(&d, n, max);
		}
		if (B->send(d.fd[3], "x", 1, 0) != -1 || errno != EAGAIN)
			T_FAIL("%s: a send to a full queue did not fail "
			       "EAGAIN", B->name);
		expect_all(&d, max, max);
		for (long n = max - 1; n >= 0; n--) {
			take(d.fd[1]);
			expect_all(&d, n, max);
		}
		for (int i = 0; i < 4; i++)
			B->close(d.fd[i]);
		B->unlink(name);
	}
}

/* The same with descriptors that block: the library's own bookkeeping
 * must never wait on them. */
BOTH(poll_blocking_descriptors)
{
	struct descs d = open_all("/q", 2);
	struct mq_attr blocking = { 0 };

	for (int i = 0; i < 4; i++)
		if (B->setattr(d.fd[i], &blocking, NULL))
			T_FAIL("mq_setattr: %s", strerrorname_np(errno));
	alarm(30);
	for (int round = 0; round < 3; round++) {
		put(d.fd[3]);
		expect_all(&d, 1, 2);
		put(d.fd[2]);
		expect_all(&d, 2, 2);
		take(d.fd[3]);
		expect_all(&d, 1, 2);
		take(d.fd[1]);
		expect_all(&d, 0, 2);
	}
	alarm(0);
}

/* The queue outlives its descriptors (kernel persistence): a descriptor
 * opened later polls as the queue is. */
BOTH(poll_after_every_descriptor_closed)
{
	mqd_t q = qcreate("/q", O_RDWR, 2);

	put(q);
	B->close(q);
	q = qget("/q", O_RDONLY);
	expect_poll(q, state(1, 2), "reopened O_RDONLY", 1);
	B->close(q);
	q = qget("/q", O_WRONLY);
	put(q);
	B->close(q);
	q = qget("/q", O_WRONLY);
	expect_poll(q, state(2, 2), "reopened O_WRONLY", 2);
	B->close(q);
}

/* ---- epoll --------------------------------------------------------------- */

static int ep_add(int ep, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		T_FAIL("epoll_ctl: %s", strerror(errno));
	return fd;
}

/* Level-triggered: every wait reports every descriptor's state. */
BOTH(epoll_level_triggered)
{
	struct descs d = open_all("/q", 2);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev[8];

	for (int i = 0; i < 4; i++)
		ep_add(ep, d.fd[i], EPOLLIN | EPOLLOUT);
	for (int step = 0; step < 5; step++) {
		long n = step <= 2 ? step : 4 - step;
		int got = epoll_wait(ep, ev, 8, 0);
		if (got != 4)	/* each is readable or writable */
			T_FAIL("%s: epoll_wait at %ld messages gave %d", B->name,
			       n, got);
		for (int i = 0; i < got; i++)
			if ((int)ev[i].events != (state(n, 2) & (POLLIN |
								  POLLOUT)))
				T_FAIL("%s: epoll at %ld messages: events %#x",
				       B->name, n, ev[i].events);
		if (step < 2)
			put(d.fd[3]);
		else if (step < 4)
			take(d.fd[3]);
	}
	close(ep);
}

/*
 * Edge-triggered: an edge whenever POLLIN or POLLOUT appears, and any
 * event reports the state it polls; no event without a call between.
 */
static void et_expect(int ep, long n, long max, bool edge, const char *op)
{
	struct epoll_event ev[2];
	int want = state(n, max) & (POLLIN | POLLOUT);
	int got = epoll_wait(ep, ev, 2, 0);

	if (got < 0 || got > 1)
		T_FAIL("%s: epoll_wait after %s: %d", B->name, op, got);
	if (edge && got != 1)
		T_FAIL("%s: no edge after %s (%ld of %ld)", B->name, op, n,
		       max);
	if (got == 1 && (int)ev[0].events != want)
		T_FAIL("%s: edge after %s reports %#x, the state is %#x",
		       B->name, op, ev[0].events, want);
	if (epoll_wait(ep, ev, 2, 0) != 0)
		T_FAIL("%s: a second edge after %s", B->name, op);
}

BOTH(epoll_edge_triggered)
{
	for (long max = 1; max <= 3; max++) {
		char name[16];
		snprintf(name, sizeof(name), "/q%ld", max);
		for (int i = 0; i < 4; i++) {
			struct descs d = open_all(name, max);
			int ep = epoll_create1(EPOLL_CLOEXEC);
			long n = 0;
			ep_add(ep, d.fd[i], EPOLLIN | EPOLLOUT | EPOLLET);
			et_expect(ep, 0, max, true, "epoll_ctl");
			while (n < max) {
				put(d.fd[3]);
				n++;
				/* POLLIN appears with the first message. */
				et_expect(ep, n, max, n == 1, "a send");
			}
			while (n > 0) {
				take(d.fd[3]);
				n--;
				/* POLLOUT appears with the first room. */
				et_expect(ep, n, max, n == max - 1,
					  "a receive");
			}
			close(ep);
			for (int k = 0; k < 4; k++)
				B->close(d.fd[k]);
			B->unlink(name);
		}
	}
}

/* ---- other processes --------------------------------------------------- */

struct shared_ret {
	int ret, revents, err;
};

static struct shared_ret *shared(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		T_FAIL("mmap: %s", strerror(errno));
	return p;
}

/* A child opens name as acc, sleeps in poll(events) or epoll_wait, and
 * reports what woke it. */
static pid_t poller(const char *name, int acc, int events, bool use_epoll,
		    struct shared_ret *out)
{
	pid_t pid = fork();

	if (pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		mqd_t q = qget(name, acc);
		if (use_epoll) {
			struct epoll_event ev;
			int ep = epoll_create1(0);
			ep_add(ep, q, (uint32_t)events);
			out->ret = epoll_wait(ep, &ev, 1, WAIT_MS);
			out->revents = (int)ev.events;
		} else {
			struct pollfd p = { .fd = q, .events = (short)events };
			out->ret = poll(&p, 1, WAIT_MS);
			out->revents = p.revents;
		}
		out->err = errno;
		_exit(0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			T_FAIL("waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("%s: the poller failed (status %#x)", B->name, st);
}

/* A poller of "/q" opened acc sleeps for events: change(q) must wake it,
 * before its timeout, with exactly those events. */
static void woken_by(mqd_t q, int acc, int events, bool use_epoll,
		     void (*change)(mqd_t))
{
	struct shared_ret *r = shared();
	pid_t pid = poller("/q", acc, events, use_epoll, r);
	long t0;

	if (t_wait_sleeping(pid))
		T_FAIL("the poller did not go to sleep");
	t_msleep(20);
	t0 = t_now_ms();
	change(q);
	reap(pid);
	if (r->ret != 1 || r->revents != events)
		T_FAIL("%s: %s for %s gave %d, revents %#x", B->name,
		       use_epoll ? "epoll" : "poll",
		       events == POLLIN ? "POLLIN" : "POLLOUT", r->ret,
		       r->revents);
	if (t_now_ms() - t0 >= WAIT_MS)
		T_FAIL("%s: woken by the timeout", B->name);
	munmap(r, 4096);
}

/* A sleeper in poll or epoll wakes when another process makes POLLOUT
 * appear on a full queue (its descriptor read-only: the kernel does not
 * care), or POLLIN on an empty one (its descriptor write-only). */
BOTH(sleepers_wake_on_state_change)
{
	for (int use_epoll = 0; use_epoll < 2; use_epoll++) {
		mqd_t q = qcreate("/q", O_RDWR, 1);

		put(q);
		woken_by(q, O_RDONLY, POLLOUT, use_epoll, take);
		woken_by(q, O_WRONLY, POLLIN, use_epoll, put);
		take(q);
		B->close(q);
		B->unlink("/q");
	}
}

/* ---- fork and exec ------------------------------------------------------ */

static const char *self_exe;

/* After exec: poll the inherited descriptor, expecting want, then take a
 * message through it (umq finds the descriptor it has not seen) and
 * expect want2.  Exit 0 if all was as expected. */
static int exec_helper(char **argv)
{
	int fd = atoi(argv[2]), want = atoi(argv[3]), want2 = atoi(argv[4]);
	char buf[MSGSIZE];
	ssize_t n;

	if (revents(fd, ALL) != want)
		return 10;
	n = argv[1][0] == 'k' ?
	    syscall(SYS_mq_timedreceive, fd, buf, sizeof(buf), NULL, NULL) :
	    umq_mq_receive(fd, buf, sizeof(buf), NULL);
	if (n != 1)
		return 11;
	return revents(fd, ALL) == want2 ? 0 : 12;
}

BOTH(inherited_across_fork_and_exec)
{
	mqd_t q = qcreate("/q", O_RDWR, 3);
	pid_t pid;
	int st;

	put(q);
	put(q);
	pid = fork();
	if (pid == 0) {
		/* The same open description: the same readiness. */
		if (revents(q, ALL) != state(2, 3))
			_exit(20);
		put(q);
		_exit(revents(q, ALL) == state(3, 3) ? 0 : 21);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("%s: forked child: status %#x", B->name, st);
	expect_poll(q, state(3, 3), "after the child's send", 3);

	pid = fork();
	if (pid == 0) {
		char fd[16], w1[16], w2[16];
		fcntl(q, F_SETFD, 0);	/* keep it across exec */
		snprintf(fd, sizeof(fd), "%d", q);
		snprintf(w1, sizeof(w1), "%d", state(3, 3));
		snprintf(w2, sizeof(w2), "%d", state(2, 3));
		execl(self_exe, self_exe, "--exec-helper", B->name, fd, w1, w2,
		      (char *)NULL);
		_exit(30);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("%s: exec'd child: status %#x", B->name, st);
	expect_poll(q, state(2, 3), "after the exec'd child's receive", 2);
}

/* ---- umq: the FIFO set right after damage ------------------------------- */

static struct pqctl *ctl_of(mqd_t q)
{
	struct pdesc *d;

	if (pdesc_get(q, &d))
		T_FAIL("pdesc_get: not a umq descriptor");
	return d->pv->ctl;
}

/*
 * A lock holder that dies in the middle of a change of state leaves the
 * FIFO half done: here a child takes the lock, marks the state changing,
 * takes the FIFO's bytes and dies.  The next call that locks the queue
 * repairs it, and the FIFO is right again.
 */
T_CASE(umq_resync_after_holder_died)
{
	struct mq_attr a = { .mq_maxmsg = 2, .mq_msgsize = MSGSIZE };
	mqd_t q = umq_mq_open("/q", O_CREAT | O_RDWR | O_NONBLOCK, 0600, &a);
	struct pqctl *c;
	char status[128];
	pid_t pid;
	int st;

	t_half = 1;	/* umq only */
	if (q < 0)
		T_FAIL("mq_open: %s", strerrorname_np(errno));
	put(q);
	put(q);
	expect_poll(q, state(2, 2), "full", 2);
	c = ctl_of(q);
	pid = fork();
	if (pid == 0) {
		char buf[8];
		pthread_mutex_lock(&c->lock);
		c->rstate = RS_UNKNOWN;
		if (read(q, buf, sizeof(buf)) != 2)
			_exit(1);
		_exit(0);	/* holding the lock */
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("the child could not take the FIFO's bytes");
	/* The damage shows until somebody locks the queue... */
	expect_poll(q, state(0, 2), "damaged", 2);
	if (umq_mq_status(q, status, sizeof(status)) < 0)
		T_FAIL("mq_status: %s", strerrorname_np(errno));
	/* ...which repairs it. */
	expect_poll(q, state(2, 2), "repaired", 2);
	take(q);
	expect_poll(q, state(1, 2), "after a receive", 1);
	take(q);
	expect_poll(q, state(0, 2), "after a receive", 0);
}

/*
 * A read() of an mqd_t reaches the FIFO (without the LD_PRELOAD layer) and
 * takes its bytes: no later call may wait on the FIFO, and the next change
 * of state sets it right.
 */
T_CASE(umq_foreign_read_heals)
{
	struct mq_attr a = { .mq_maxmsg = 3, .mq_msgsize = MSGSIZE };
	struct mq_attr blocking = { 0 };
	mqd_t q = umq_mq_open("/q", O_CREAT | O_RDWR, 0600, &a);
	char buf[8];

	t_half = 1;	/* umq only */
	if (q < 0 || umq_mq_setattr(q, &blocking, NULL))
		T_FAIL("mq_open: %s", strerrorname_np(errno));
	alarm(30);
	put(q);
	if (read(q, buf, sizeof(buf)) != 1)
		T_FAIL("read() of the descriptor took no byte");
	expect_poll(q, state(0, 3), "after the foreign read", 1);
	put(q);		/* no change of state: still wrong */
	take(q);
	take(q);	/* partial to empty: found wrong, set right */
	expect_poll(q, state(0, 3), "empty again", 0);
	put(q);
	expect_poll(q, state(1, 3), "one message", 1);
	put(q);
	put(q);
	expect_poll(q, state(3, 3), "full", 3);
	if (read(q, buf, 1) != 1)
		T_FAIL("read() of the descriptor took no byte");
	take(q);	/* full to partial: found wrong, set right */
	expect_poll(q, state(2, 3), "partial", 2);
	alarm(0);
}

/* A write() into an mqd_t (no LD_PRELOAD layer to refuse it) adds a byte
 * the state does not count: the partial-to-empty change finds more than
 * it expected and sets the FIFO right, so no POLLIN outlives the last
 * message. */
T_CASE(umq_foreign_write_heals)
{
	struct mq_attr a = { .mq_maxmsg = 3, .mq_msgsize = MSGSIZE };
	mqd_t q = umq_mq_open("/q", O_CREAT | O_RDWR | O_NONBLOCK, 0600, &a);

	t_half = 1;	/* umq only */
	if (q < 0)
		T_FAIL("mq_open: %s", strerrorname_np(errno));
	put(q);
	if (write(q, "x", 1) != 1)
		T_FAIL("write() of the descriptor: %s", strerrorname_np(errno));
	take(q);	/* partial to empty: found wrong, set right */
	expect_poll(q, state(0, 3), "empty after a foreign write", 0);
	put(q);
	expect_poll(q, state(1, 3), "one message", 1);
	take(q);
	expect_poll(q, state(0, 3), "empty again", 0);
}

/*
 * L13: a caller spinning outside the lock has a place in spin_until, and
 * a caller that changes the state meanwhile leaves the FIFO to it.  A
 * place is believed only while its deadline is ahead and within the
 * longest spin: a spinner killed in its spin, or garbage in the places,
 * delays the FIFO at most until the first call after that (about 40 us).
 */
static uint32_t mono_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint32_t)((uint64_t)t.tv_sec * 1000000u +
			  (uint64_t)t.tv_nsec / 1000);
}

static void die_here(int point)
{
	if (point == FP_SPIN)
		raise(SIGKILL);
}

T_CASE(umq_dead_spinner)
{
	struct mq_attr a = { .mq_maxmsg = 3, .mq_msgsize = MSGSIZE };
	mqd_t q = umq_mq_open("/q", O_CREAT | O_RDWR, 0600, &a);
	struct pqctl *c;
	pid_t pid;
	int st;

	t_half = 1;	/* umq only */
	if (q < 0)
		T_FAIL("mq_open: %s", strerrorname_np(errno));
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		t_skip("one CPU: nobody spins");
	c = ctl_of(q);
	pid = fork();
	if (pid == 0) {
		char buf[MSGSIZE];
		alarm(10);
		umq_fault_hook = die_here;
		umq_mq_receive(q, buf, sizeof(buf), NULL);
		_exit(1);	/* no spin: nothing was tested */
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		t_skip("the receiver slept without spinning (UMQ_SPIN_US=0?)");
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		T_FAIL("the child did not die spinning: status %#x", st);
	bool placed = false;
	for (int i = 0; i < PQ_SPINNERS; i++)
		placed |= c->spin_until[i] != 0;
	if (!placed)
		T_FAIL("the dead spinner left no place in spin_until");
	/* Right after the death the FIFO may lag; past the longest spin
	 * the place counts for nothing, and every call sets it right. */
	put(q);
	usleep(50000);
	put(q);
	expect_poll(q, state(2, 3), "after the dead spinner's time", 2);
	take(q);
	expect_poll(q, state(1, 3), "after a receive", 1);
	take(q);
	expect_poll(q, state(0, 3), "empty again", 0);
	for (int n = 1; n <= 3; n++) {
		put(q);
		expect_poll(q, state(n, 3), "filling", n);
	}
}

T_CASE(umq_spinner_garbage)
{
	struct mq_attr a = { .mq_maxmsg = 2, .mq_msgsize = MSGSIZE };
	mqd_t q = umq_mq_open("/q", O_CREAT | O_RDWR | O_NONBLOCK, 0600, &a);
	static const uint32_t far[] = { 0xffffffffu, 0x80000000u, 1u };
	struct pqctl *c;

	t_half = 1;	/* umq only */
	if (q < 0)
		T_FAIL("mq_open: %s", strerrorname_np(errno));
	c = ctl_of(q);
	/* Deadlines that no spin has: believed by nobody, at once. */
	for (unsigned k = 0; k < sizeof(far) / sizeof(far[0]); k++) {
		for (int i = 0; i < PQ_SPINNERS; i++)
			c->spin_until[i] = mono_us() + far[k] + 1000000u;
		put(q);
		expect_poll(q, state(1, 2), "garbage places, one message", 1);
		put(q);
		expect_poll(q, state(2, 2), "garbage places, full", 2);
		take(q);
		take(q);
		expect_poll(q, state(0, 2), "garbage places, empty", 0);
	}
	/* A deadline within a spin, forged: the FIFO may lag until it
	 * passes, then the next call sets it right. */
	for (int i = 0; i < PQ_SPINNERS; i++)
		c->spin_until[i] = mono_us() + 15;
	put(q);
	usleep(50000);
	put(q);
	expect_poll(q, state(2, 2), "after a forged spin", 2);
	take(q);
	take(q);
	expect_poll(q, state(0, 2), "after a forged spin, empty", 0);
}

int main(int argc, char **argv)
{
	self_exe = "/proc/self/exe";
	if (argc == 6 && !strcmp(argv[1], "--exec-helper"))
		return exec_helper(argv + 1);
	return t_main(argc, argv);
}
