/* SPDX-License-Identifier: MIT */
/*
 * msgfd.c - umq_msgfd(): a pollable descriptor for a System V queue,
 * which the kernel does not have.  Readable exactly while the queue holds
 * a message, writable exactly while a one-byte message would fit; wakes
 * sleepers in other processes; read permission needed (EACCES), EINVAL
 * for an id that names no queue; readable and writable for good after
 * IPC_RMID; close-on-exec; and no system call in msgsnd or msgrcv unless
 * a descriptor watches the queue - counted with a seccomp filter.
 */
#include "t.h"
#include "syscount.h"

#include <grp.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "umq.h"
#include "internal.h"

#define WAIT_MS 5000
#define IN	(POLLIN | POLLRDNORM)
#define OUT	(POLLOUT | POLLWRNORM)
#define ALL	(POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLPRI)

struct m {
	long mtype;
	char text[64];
};

static int revents(int fd)
{
	struct pollfd p = { .fd = fd, .events = ALL };

	if (poll(&p, 1, 0) < 0)
		T_FAIL("poll: %s", strerror(errno));
	return p.revents;
}

#define EXPECT(fd, want, what)                                          \
	do {                                                            \
		int got_ = revents(fd);                                 \
		if (got_ != (want))                                     \
			T_FAIL("%s: revents %#x, expected %#x", what,   \
			       got_, (want));                           \
	} while (0)

static int qnew(int mode)
{
	return (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | mode));
}

static void snd(int id, size_t n)
{
	struct m m = { 1, "" };

	T_OK(umq_msgsnd(id, &m, n, IPC_NOWAIT));
}

static void rcv(int id)
{
	struct m m;

	T_OK(umq_msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT));
}

static void set_qbytes(int id, unsigned long qbytes)
{
	struct msqid_ds ds;

	T_OK(umq_msgctl(id, IPC_STAT, &ds));
	ds.msg_qbytes = qbytes;
	T_OK(umq_msgctl(id, IPC_SET, &ds));
}

/* ---- readiness ----------------------------------------------------------- */

T_CASE(readable_iff_a_message_is_queued)
{
	int id = qnew(0600), fd = (int)T_OK(umq_msgfd(id));
	struct m m;

	EXPECT(fd, OUT, "empty");
	snd(id, 5);
	EXPECT(fd, IN | OUT, "one message");
	snd(id, 5);
	EXPECT(fd, IN | OUT, "two messages");
	/* MSG_COPY reads without taking: nothing changes. */
	T_OK(umq_msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT | MSG_COPY));
	EXPECT(fd, IN | OUT, "after MSG_COPY");
	rcv(id);
	EXPECT(fd, IN | OUT, "one left");
	rcv(id);
	EXPECT(fd, OUT, "drained");
	T_ERR(umq_msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT), ENOMSG);
	EXPECT(fd, OUT, "after ENOMSG");
	/* A second descriptor sees the same, from the start. */
	snd(id, 1);
	int fd2 = (int)T_OK(umq_msgfd(id));
	EXPECT(fd2, IN | OUT, "second descriptor");
	close(fd);
	rcv(id);
	EXPECT(fd2, OUT, "second descriptor, drained");
	close(fd2);
}

/* Room follows msg_qbytes, in bytes and in messages, and IPC_SET. */
T_CASE(writable_iff_a_byte_fits)
{
	int id = qnew(0600), fd = (int)T_OK(umq_msgfd(id));

	set_qbytes(id, 8);
	snd(id, 5);
	EXPECT(fd, IN | OUT, "5 of 8 bytes");
	snd(id, 3);
	EXPECT(fd, IN, "8 of 8 bytes");
	set_qbytes(id, 9);
	EXPECT(fd, IN | OUT, "8 of 9 bytes after IPC_SET");
	set_qbytes(id, 8);
	EXPECT(fd, IN, "8 of 8 bytes after IPC_SET");
	rcv(id);
	EXPECT(fd, IN | OUT, "3 of 8 bytes");
	rcv(id);
	EXPECT(fd, OUT, "empty");
	/* qnum counts against qbytes too (msg_fits_inqueue). */
	set_qbytes(id, 2);
	snd(id, 0);
	EXPECT(fd, IN | OUT, "one empty message of 2");
	snd(id, 0);
	EXPECT(fd, IN, "two empty messages of 2");
	rcv(id);
	EXPECT(fd, IN | OUT, "one empty message of 2 again");
}

/* A message handed straight to a blocked receiver never makes the queue
 * readable. */
T_CASE(handoff_leaves_it_empty)
{
	int id = qnew(0600), fd = (int)T_OK(umq_msgfd(id));
	pid_t pid = fork();

	if (pid == 0) {
		struct m m;
		alarm(10);
		_exit(umq_msgrcv(id, &m, sizeof(m.text), 0, 0) == 3 ? 0 : 1);
	}
	if (t_wait_sleeping(pid))
		T_FAIL("the receiver did not block");
	t_msleep(20);
	snd(id, 3);
	int st;
	waitpid(pid, &st, 0);
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT(fd, OUT, "after a hand-off");
}

/* ---- other processes ----------------------------------------------------- */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A sleeper in poll or epoll_wait in this process, a sender in another:
 * the sleeper wakes with POLLIN, not by its timeout. */
T_CASE(poll_and_epoll_wake_on_a_send_elsewhere)
{
	int id = qnew(0600), fd = (int)T_OK(umq_msgfd(id));

	for (int use_epoll = 0; use_epoll < 2; use_epoll++) {
		int ep = epoll_create1(EPOLL_CLOEXEC), n, ev_got;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
		pid_t pid = fork();
		long t0 = now_ms();

		if (pid == 0) {
			t_msleep(100);
			snd(id, 4);
			_exit(0);
		}
		if (use_epoll) {
			T_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
			n = epoll_wait(ep, &ev, 1, WAIT_MS);
			ev_got = (int)ev.events;
		} else {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			n = poll(&p, 1, WAIT_MS);
			ev_got = p.revents;
		}
		waitpid(pid, NULL, 0);
		if (n != 1 || ev_got != POLLIN)
			T_FAIL("%s gave %d, events %#x", use_epoll ? "epoll" :
			       "poll", n, ev_got);
		if (now_ms() - t0 >= WAIT_MS)
			T_FAIL("woken by the timeout");
		rcv(id);
		close(ep);
	}
}

/* A descriptor inherited across fork is the same one; one the child
 * makes is its own, and closing it leaves the parent's working. */
T_CASE(descriptors_in_several_processes)
{
	int id = qnew(0600), fd = (int)T_OK(umq_msgfd(id)), st;
	pid_t pid = fork();

	if (pid == 0) {
		int mine = umq_msgfd(id);
		if (mine < 0 || revents(fd) != OUT || revents(mine) != OUT)
			_exit(1);
		snd(id, 1);
		if (revents(fd) != (IN | OUT) || revents(mine) != (IN | OUT))
			_exit(2);
		close(mine);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("child: status %#x", st);
	EXPECT(fd, IN | OUT, "after the child's send");
	rcv(id);
	EXPECT(fd, OUT, "after the parent's receive");
}

/* ---- errors, removal, exec --------------------------------------------- */

T_CASE(bad_ids_are_einval)
{
	int id = qnew(0600);

	T_ERR(umq_msgfd(-1), EINVAL);
	T_ERR(umq_msgfd(id + 1), EINVAL);
	T_ERR(umq_msgfd(id + IPCMNI), EINVAL);	/* another sequence */
	T_OK(umq_msgctl(id, IPC_RMID, NULL));
	T_ERR(umq_msgfd(id), EINVAL);
}

struct perm_case {
	int id;
	int want;	/* 0: a descriptor, else the errno */
};

static void try_msgfd(void *arg)
{
	struct perm_case *c = arg;
	int fd = umq_msgfd(c->id);

	if (c->want ? fd != -1 || errno != c->want : fd < 0) {
		fprintf(stderr, "#   umq_msgfd as uid 1000: %d %s, expected "
			"%s\n", fd, strerrorname_np(errno),
			c->want ? strerrorname_np(c->want) : "a descriptor");
		_exit(T_EXIT_FAIL);
	}
	if (!c->want && revents(fd) != (IN | OUT))
		_exit(T_EXIT_FAIL);
}

/* Read permission, as IPC_STAT wants it: write alone is not enough. */
T_CASE(read_permission_needed)
{
	struct perm_case none = { qnew(0600), EACCES };
	struct perm_case wonly = { qnew(0602), EACCES };
	struct perm_case ronly = { qnew(0604), 0 };

	if (getuid() != 0)
		t_skip("needs root to act as another user");
	snd(ronly.id, 1);
	T_EQ(t_as_user(1000, 1000, try_msgfd, &none), T_EXIT_PASS);
	T_EQ(t_as_user(1000, 1000, try_msgfd, &wonly), T_EXIT_PASS);
	T_EQ(t_as_user(1000, 1000, try_msgfd, &ronly), T_EXIT_PASS);
}

/* IPC_RMID: the descriptor becomes readable and writable for good, a
 * sleeper wakes, and msgrcv then says EINVAL. */
T_CASE(removal_wakes_and_stays_ready)
{
	int id = qnew(0600), fd = (int)T_OK(umq_msgfd(id));
	struct pollfd p = { .fd = fd, .events = POLLIN };
	pid_t pid = fork();
	struct m m;
	long t0 = now_ms();

	if (pid == 0) {
		t_msleep(100);
		_exit(umq_msgctl(id, IPC_RMID, NULL) ? 1 : 0);
	}
	T_EQ(poll(&p, 1, WAIT_MS), 1);
	T_EQ(p.revents, POLLIN);
	waitpid(pid, NULL, 0);
	if (now_ms() - t0 >= WAIT_MS)
		T_FAIL("woken by the timeout");
	EXPECT(fd, IN | OUT, "after IPC_RMID");
	T_ERR(umq_msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT), EINVAL);
	/* A new queue in the same slot has a FIFO of its own. */
	int id2 = qnew(0600);
	snd(id2, 1);
	rcv(id2);
	EXPECT(fd, IN | OUT, "after another queue's traffic");
	close(fd);
}

T_CASE(close_on_exec)
{
	int id = qnew(0600), fd = (int)T_OK(umq_msgfd(id));

	T_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	T_OK(close(fd));
}

/* A holder that died mid-change leaves the FIFO wrong and its state
 * unknown: the next change sets it right. */
T_CASE(resync_after_a_holder_died)
{
	int id = qnew(0600), fd = (int)T_OK(umq_msgfd(id)), st;
	struct ns *ns;
	struct qctl *q;
	struct sq *s;
	pid_t pid;

	snd(id, 1);
	EXPECT(fd, IN | OUT, "one message");
	T_EQ(ns_get(&ns), 0);
	T_EQ(sq_get(ns, (uint32_t)id & (IPCMNI - 1), &s), 0);
	q = s->q;
	pid = fork();
	if (pid == 0) {
		char b[4];
		pthread_mutex_lock(&q->lock);
		q->rstate = RS_UNKNOWN;
		_exit(read(fd, b, sizeof(b)) == 1 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT(fd, OUT, "damaged");
	snd(id, 1);
	EXPECT(fd, IN | OUT, "two messages, repaired");
	sq_put(s);
}

/* ---- system calls -------------------------------------------------------- */

/* System calls made by one send and one receive that fill and empty the
 * queue (a change of state each). */
static long calls_per_round(struct counter *c, int id)
{
	struct m m = { 1, "" };
	long before = atomic_load(&c->n);

	if (umq_msgsnd(id, &m, 1, IPC_NOWAIT) ||
	    umq_msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT) != 1)
		_exit(90);
	return atomic_load(&c->n) - before;
}

static void count_case(void)
{
	static struct counter counter;
	struct counter *c;
	const char *why;
	long n[5];
	int id, fd;

	/* A caller that cannot change its ids: its permission checks make
	 * no system call either (cred.c), so only msgfd's would show. */
	if (geteuid() == 0 &&
	    (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	     setresuid(65534, 65534, 65534)))
		_exit(90);
	id = umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (id < 0)
		_exit(91);
	if (syscount_start(&counter, &why))
		t_skip("%s: %s", why, strerror(errno));
	c = &counter;
	calls_per_round(c, id);			/* warm up */
	n[0] = calls_per_round(c, id);		/* never watched */
	fd = umq_msgfd(id);
	if (fd < 0)
		_exit(92);
	n[1] = calls_per_round(c, id);		/* watched */
	close(fd);
	n[2] = calls_per_round(c, id);		/* finds nobody watching */
	n[3] = calls_per_round(c, id);		/* forgotten */
	n[4] = calls_per_round(c, id);
	fprintf(stderr, "#   system calls per send and receive: never "
		"watched %ld, watched %ld, last descriptor closed %ld, then "
		"%ld and %ld\n", n[0], n[1], n[2], n[3], n[4]);
	_exit(n[0] == 0 && n[1] > 0 && n[3] == 0 && n[4] == 0 ? 0 : 1);
}

T_CASE(no_system_call_unless_watched)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		count_case();
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_SKIP)
		t_skip("cannot count system calls here");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("status %#x", st);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
