/* SPDX-License-Identifier: MIT */
/*
 * fullfs.c - a queue's files and the limits of files.
 *
 * On a full filesystem a new queue cannot be made: mq_open and msgget
 * fail with ENOMEM.  Until December 6 mq_open died of SIGBUS, as the new
 * file's first stores fell in a hole the filesystem could not fill
 * (found by a hunt).
 *
 * Nor is a message lost when the filesystem fills after the queue was
 * made: a send that needs a page the filesystem cannot give fails with
 * ENOMEM, and every send that returned 0 is received, by another
 * process.  Until December 6 such sends returned 0 and the messages went
 * to a private page of the sender's (100 sent, 4 received); a receiver
 * that slept on such a page was never woken.
 *
 * Nor does RLIMIT_FSIZE, which binds files, not the kernel's queues,
 * stop a queue: until December 6 a process under `ulimit -f 64` died of
 * SIGXFSZ at its first msgget (found by a hunt).
 *
 * The full filesystem is a 512 KiB tmpfs mounted in a mount namespace of
 * the case's own.
 */
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "t.h"
#include "umq.h"

#define MSGSZ	1000


T_CASE_F(no_queue_made_on_a_full_filesystem, T_NO_KERNEL_NS)
{
	struct mq_attr a = { .mq_maxmsg = 10, .mq_msgsize = MSGSZ };

	t_small_ns();	/* the namespace's own files made */
	t_fill_up();
	T_ERR(umq_mq_open("/q", O_CREAT | O_RDWR, 0600, &a), ENOMEM);
	T_ERR(umq_mq_unlink("/q"), ENOENT);
	T_ERR(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600), ENOMEM);
}

/* One message through a new queue of each kind. */
static void round_trip(void)
{
	struct { long type; char text[MSGSZ]; } m = { 7, "sysv" };
	struct mq_attr a = { .mq_maxmsg = 10, .mq_msgsize = 8192 };
	char buf[8192];
	int id = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	mqd_t q = (mqd_t)T_OK(umq_mq_open("/fsize", O_CREAT | O_RDWR, 0600,
					  &a));

	T_OK(umq_msgsnd(id, &m, MSGSZ, 0));
	T_EQ(umq_msgrcv(id, &m, MSGSZ, 7, 0), MSGSZ);
	T_OK(umq_msgctl(id, IPC_RMID, NULL));
	T_OK(umq_mq_send(q, "posix", 5, 1));
	T_EQ(umq_mq_receive(q, buf, sizeof(buf), NULL), 5);
	T_OK(umq_mq_close(q));
	T_OK(umq_mq_unlink("/fsize"));
}

T_CASE(queues_are_no_files_to_rlimit_fsize)
{
	struct rlimit rl = { 0, RLIM_INFINITY };

	/* No file may grow at all: the queues work, as the kernel's. */
	T_OK(setrlimit(RLIMIT_FSIZE, &rl));
	round_trip();
	T_OK(getrlimit(RLIMIT_FSIZE, &rl));
	T_EQ(rl.rlim_cur, (rlim_t)0);	/* put back after each call */
}

#define NSEND	400
#define TEXT	200

/* What the sender did: 1 sent (returned 0), 2 refused with ENOMEM or
 * EAGAIN; per message, System V then POSIX; the first n. */
struct sent {
	unsigned char sysv[NSEND], posix[NSEND];
	int n, other_errno;
};

static void fill_text(char *t, int kind, int i)
{
	memset(t, 'a' + i % 26, TEXT);
	snprintf(t, TEXT, "%d %d", kind, i);
}

/* Sends of both kinds, plain and typed (the lane and the store), and
 * POSIX priorities out of order (the store), none of which may block. */
static void sender(void *arg)
{
	struct sent *o = arg;
	struct { long type; char text[TEXT]; } m;
	int id = (int)T_OK(umq_msgget(0x5eed, 0));
	mqd_t q = (mqd_t)T_OK(umq_mq_open("/filling", O_WRONLY | O_NONBLOCK));

	for (int i = 0; i < o->n; i++) {
		m.type = 1 + i % 3;
		fill_text(m.text, 0, i);
		if (!umq_msgsnd(id, &m, TEXT, IPC_NOWAIT))
			o->sysv[i] = 1;
		else if (errno == ENOMEM || errno == EAGAIN)
			o->sysv[i] = 2;
		else
			o->other_errno = errno;
		fill_text(m.text, 1, i);
		if (!umq_mq_send(q, m.text, TEXT, (unsigned)(i * 7 % 5)))
			o->posix[i] = 1;
		else if (errno == ENOMEM || errno == EAGAIN)
			o->posix[i] = 2;
		else
			o->other_errno = errno;
	}
	umq_mq_close(q);
}

/* A message received: the one its text names, whole, not seen before. */
static void take(unsigned char seen[2][NSEND], const char *text, ssize_t len)
{
	char want[TEXT];
	int kind, i;

	T_EQ(len, TEXT);
	T_EQ(sscanf(text, "%d %d", &kind, &i), 2);
	T_ASSERT(kind >= 0 && kind <= 1 && i >= 0 && i < NSEND);
	fill_text(want, kind, i);
	T_OK(memcmp(text, want, TEXT));
	T_EQ(seen[kind][i]++, 0);
}

/* Every message sent is received once, whole; returns how many. */
static int drain(int id, mqd_t q, const struct sent *o)
{
	struct { long type; char text[TEXT]; } m;
	unsigned char seen[2][NSEND] = { { 0 } };
	int i, n = 0;
	ssize_t len;

	/* A typed receive first, which needs the lane's messages in the
	 * store: one of its type, or ENOMEM while the store has no page
	 * for them; never "no message" while there is one. */
	len = umq_msgrcv(id, &m, TEXT, 2, IPC_NOWAIT);
	if (len >= 0) {
		T_EQ(m.type, 2);
		take(seen, m.text, len);
		n++;
	} else if (errno != ENOMEM) {
		T_EQ(errno, ENOMSG);
		for (i = 1; i < o->n; i += 3)
			T_ASSERT(o->sysv[i] != 1);
	}
	for (;;) {
		len = umq_msgrcv(id, &m, TEXT, 0, IPC_NOWAIT);
		if (len < 0) {
			T_EQ(errno, ENOMSG);
			len = umq_mq_receive(q, m.text, sizeof(m.text), NULL);
			if (len < 0) {
				T_EQ(errno, EAGAIN);
				break;
			}
		}
		take(seen, m.text, len);
		n++;
	}
	for (i = 0; i < NSEND; i++) {
		if (o->sysv[i] == 1 && !seen[0][i])
			T_FAIL("System V message %d sent, not received", i);
		if (o->posix[i] == 1 && !seen[1][i])
			T_FAIL("POSIX message %d sent, not received", i);
	}
	return n;
}

static void send_all(struct sent *o, int n)
{
	pid_t pid;

	memset(o, 0, sizeof(*o));
	o->n = n;
	pid = t_spawn_alarm(sender, o, 20);
	t_exited_ok(pid, t_reap(pid, 30000), "sender");
	T_EQ(o->other_errno, 0);
}

T_CASE_F(no_message_lost_on_a_filesystem_that_fills, T_NO_KERNEL_NS)
{
	struct mq_attr a = { .mq_maxmsg = NSEND, .mq_msgsize = TEXT };
	struct umq_limits lim;
	struct sent *o = t_shared(sizeof(*o));
	int id, n, sent = 0;
	mqd_t q;

	t_small_ns();
	/* Room in the queues for every message: only the filesystem may
	 * refuse one. */
	T_OK(umq_ns_get_limits(&lim));
	lim.msgmnb = NSEND * TEXT;
	lim.msg_max = NSEND;
	T_OK(umq_ns_set_limits(&lim));
	id = (int)T_OK(umq_msgget(0x5eed, IPC_CREAT | 0600));
	q = (mqd_t)T_OK(umq_mq_open("/filling", O_CREAT | O_RDONLY |
				    O_NONBLOCK, 0600, &a));
	/* Some pages given already: the sends then go through, until they
	 * need one more. */
	send_all(o, NSEND / 8);
	T_EQ(drain(id, q, o), 2 * (NSEND / 8));
	t_fill_up();
	send_all(o, NSEND);
	for (int i = 0; i < NSEND; i++)
		sent += (o->sysv[i] == 1) + (o->posix[i] == 1);
	n = drain(id, q, o);
	T_EQ(n, sent);
	/* With room again, every send goes through. */
	t_room();
	send_all(o, NSEND);
	for (int i = 0; i < NSEND; i++) {
		T_EQ(o->sysv[i], 1);
		T_EQ(o->posix[i], 1);
	}
	T_EQ(drain(id, q, o), 2 * NSEND);
	T_OK(umq_mq_close(q));
}

/* A receiver that must sleep needs a waiter record: on a full filesystem
 * it sleeps on one every process sees (woken by a send), or is refused
 * with ENOMEM; never asleep where no sender can wake it. */
static void sleeper(void *arg)
{
	struct { long type; char text[TEXT]; } m;
	int id = (int)T_OK(umq_msgget(0x5eed, 0));
	ssize_t len = umq_msgrcv(id, &m, TEXT, 0, 0);

	*(int *)arg = len == TEXT ? 0 : errno;
}

T_CASE_F(a_sleeper_on_a_full_filesystem_is_woken, T_NO_KERNEL_NS)
{
	struct { long type; char text[TEXT]; } m = { 1, "wake" };
	int *got = t_shared(sizeof(*got));
	int id, st;
	pid_t pid;

	t_small_ns();
	id = (int)T_OK(umq_msgget(0x5eed, IPC_CREAT | 0600));
	t_fill_up();
	*got = -1;
	pid = t_spawn_alarm(sleeper, got, 10);
	t_wait_sleeping(pid);
	/* Asleep, or refused: room again, and a send. */
	t_room();
	T_OK(umq_msgsnd(id, &m, TEXT, IPC_NOWAIT));
	st = t_reap(pid, 5000);
	t_exited_ok(pid, st, "sleeper");
	if (*got == ENOMEM)	/* the message is still there */
		T_EQ(umq_msgrcv(id, &m, TEXT, 0, IPC_NOWAIT), TEXT);
	else
		T_EQ(*got, 0);
}

/* mq_getattr counts a record committed at put and not yet counted: it
 * reads the ring at put, a page no send may have touched yet.  On a
 * full filesystem that read was SIGBUS, mended with a private page that
 * this process's next send then wrote its message to: sent (0), never
 * received.  Until December 6 (found by a review). */
static void getattr_then_send(void *arg)
{
	struct mq_attr a;
	mqd_t q = (mqd_t)T_OK(umq_mq_open("/getattr", O_WRONLY | O_NONBLOCK |
					  UMQ_O_NOPOLL));

	T_OK(umq_mq_getattr(q, &a));
	*(int *)arg = umq_mq_send(q, "sent", 4, 0) ? errno : 0;
}

T_CASE_F(a_count_on_a_full_filesystem_loses_no_send, T_NO_KERNEL_NS)
{
	struct mq_attr a = { .mq_maxmsg = 10, .mq_msgsize = TEXT };
	int *got = t_shared(sizeof(*got));
	char buf[TEXT];
	pid_t pid;
	mqd_t q;

	t_small_ns();
	q = (mqd_t)T_OK(umq_mq_open("/getattr", O_CREAT | O_RDWR |
				    O_NONBLOCK | UMQ_O_NOPOLL, 0600, &a));
	/* Through the lane, to the first record of the ring's second page
	 * (records of 4 units, 64 to a page). */
	memset(buf, 'x', TEXT);
	for (int i = 0; i < 16; i++) {
		T_OK(umq_mq_send(q, buf, TEXT, 0));
		T_EQ(umq_mq_receive(q, buf, TEXT, NULL), TEXT);
	}
	t_fill_up();
	*got = -1;
	pid = t_spawn_alarm(getattr_then_send, got, 10);
	t_exited_ok(pid, t_reap(pid, 10000), "sender");
	t_room();
	if (*got == 0)
		T_EQ(umq_mq_receive(q, buf, TEXT, NULL), 4);
	else
		T_EQ(*got, ENOMEM);
	T_ERR(umq_mq_receive(q, buf, TEXT, NULL), EAGAIN);
	T_OK(umq_mq_close(q));
	T_OK(umq_mq_unlink("/getattr"));
}

/* IPC_RMID frees a full filesystem's room: it may not need any.  With
 * messages in the lane and no page for them in the store, the close of
 * the lane failed and IPC_RMID with it (ENOMEM), until December 6
 * (found by a review). */
T_CASE_F(rmid_on_a_full_filesystem, T_NO_KERNEL_NS)
{
	struct { long type; char text[TEXT]; } m = { 1, "x" };
	struct msqid_ds ds;
	int id;

	t_small_ns();
	id = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	for (int i = 0; i < 3; i++)
		T_OK(umq_msgsnd(id, &m, TEXT, 0));	/* the lane */
	t_fill_up();
	T_OK(umq_msgctl(id, IPC_STAT, &ds));
	T_EQ(ds.msg_qnum, 3);
	T_OK(umq_msgctl(id, IPC_RMID, NULL));
	T_ERR(umq_msgsnd(id, &m, TEXT, IPC_NOWAIT), EINVAL);
	T_ERR(umq_msgrcv(id, &m, TEXT, 0, IPC_NOWAIT), EINVAL);
}

/* A watch (poll) needs the lane shut: lane sends move no FIFO.  When the
 * lock could not shut it (the lane's messages found no page in the
 * store), the watch was made all the same, its FIFO said empty with
 * three messages queued, and poll never saw POLLIN, even with room again
 * and a fourth sent; until December 6 (found by a review).  Now the
 * watch fails with ENOMEM, and is made once there is room. */
T_CASE_F(a_watch_on_a_full_filesystem_sees_the_messages, T_NO_KERNEL_NS)
{
	struct mq_attr a = { .mq_maxmsg = 10, .mq_msgsize = TEXT };
	struct pollfd p;
	char buf[TEXT];
	mqd_t q;

	t_small_ns();
	q = (mqd_t)T_OK(umq_mq_open("/watch", O_CREAT | O_RDWR |
				    O_NONBLOCK | UMQ_O_NOPOLL, 0600, &a));
	memset(buf, 'x', TEXT);
	for (int i = 0; i < 3; i++)
		T_OK(umq_mq_send(q, buf, TEXT, 0));	/* the lane */
	t_fill_up();
	p = (struct pollfd){ .fd = q, .events = POLLIN };
	if (umq_mq_watch(q)) {
		T_EQ(errno, ENOMEM);
		t_room();
		T_OK(umq_mq_watch(q));
	}
	T_EQ(poll(&p, 1, 2000), 1);
	T_EQ(p.revents & POLLIN, POLLIN);
	for (int i = 0; i < 3; i++)
		T_EQ(umq_mq_receive(q, buf, TEXT, NULL), TEXT);
	T_ERR(umq_mq_receive(q, buf, TEXT, NULL), EAGAIN);
	T_OK(umq_mq_close(q));
	T_OK(umq_mq_unlink("/watch"));
}

/* A typed receive that spins (sv_spin_first) drops the lock; the lane
 * may reopen meanwhile and take a send, and the lock taken again then
 * cannot close it (no page in the store for its message).  The receive
 * went to sleep with the lane open, where no send wakes it: asleep for
 * ever with its message queued, until December 6 (found by a review). */
struct spinner {
	int id, got, fds[2];
};

static void spinning_receiver(void *arg)
{
	struct spinner *o = arg;
	struct { long type; char text[TEXT]; } m;
	char c;

	setenv("UMQ_SPIN_US", "1500000", 1);
	/* A first sleep: this process's waiter record has its page. */
	T_EQ(umq_msgrcv(o->id, &m, TEXT, 7, 0), TEXT);
	T_EQ(read(o->fds[0], &c, 1), 1);
	o->got = umq_msgrcv(o->id, &m, TEXT, 5, 0) == TEXT ? 0 : errno;
}

T_CASE_F(a_spinning_receiver_on_a_full_filesystem_is_woken,
	 T_NO_KERNEL_NS)
{
	struct { long type; char text[TEXT]; } m = { 7, "x" };
	struct spinner *o = t_shared(sizeof(*o));
	pid_t pid;

	t_small_ns();
	o->id = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	o->got = -1;
	T_OK(umq_msgsnd(o->id, &m, TEXT, 0));		/* the ring's page */
	T_EQ(umq_msgrcv(o->id, &m, TEXT, 0, 0), TEXT);
	T_OK(pipe(o->fds));
	pid = t_spawn_alarm(spinning_receiver, o, 15);
	usleep(2000000);		/* past its spin: asleep */
	T_OK(umq_msgsnd(o->id, &m, TEXT, 0));
	usleep(200000);
	t_fill_up();
	/* The lane open, the receiver in; it closes the lane, finds no
	 * type 5 and spins, unlocked. */
	T_ERR(umq_msgrcv(o->id, &m, TEXT, 0, IPC_NOWAIT), ENOMSG);
	T_EQ(write(o->fds[1], "x", 1), 1);
	usleep(300000);
	T_OK(kill(pid, SIGSTOP));
	T_ERR(umq_msgrcv(o->id, &m, TEXT, 0, IPC_NOWAIT), ENOMSG); /* opens */
	m.type = 1;
	T_OK(umq_msgsnd(o->id, &m, TEXT, IPC_NOWAIT));	/* the lane */
	T_OK(kill(pid, SIGCONT));
	usleep(1700000);		/* the spin over */
	t_room();
	m.type = 5;
	T_OK(umq_msgsnd(o->id, &m, TEXT, IPC_NOWAIT));
	t_exited_ok(pid, t_reap(pid, 5000), "receiver");
	if (o->got == ENOMEM)	/* refused: the message is still there */
		T_EQ(umq_msgrcv(o->id, &m, TEXT, 5, IPC_NOWAIT), TEXT);
	else
		T_EQ(o->got, 0);
	T_EQ(umq_msgrcv(o->id, &m, TEXT, 1, IPC_NOWAIT), TEXT);
	T_OK(umq_msgctl(o->id, IPC_RMID, NULL));
}

/* A peek walks the bucket table up to its last entry in use, through
 * pages no send touched: on a full filesystem each was SIGBUS, mended
 * with a private page, and the peeker's next send of a priority whose
 * bucket fell there kept the bucket where no other process saw it: the
 * store damaged, the receiver refused (ENOMEM) with two messages queued;
 * until December 6 (found by a review). */
#define PEEK_MAX	1000

static unsigned bucket_page(unsigned prio)
{
	/* store.c's hash of the key -prio, in a table of 2048 entries of
	 * 32 bytes (maxmsg 1000). */
	return (unsigned)(((uint64_t)-(int64_t)prio * 0x9E3779B97F4A7C15ull) >>
			  32) % 2048 / 128;
}

static void peek_then_send(void *arg)
{
	unsigned *prio = arg;
	struct umq_peek_msg pm = { .text = NULL };
	mqd_t q = (mqd_t)T_OK(umq_mq_open("/peeked", O_WRONLY | O_NONBLOCK));

	T_EQ(umq_mq_peek_name("/peeked", 0, &pm, 1), 1);
	prio[1] = umq_mq_send(q, "new", 3, prio[0]) ? (unsigned)errno : 0;
}

T_CASE_F(a_peek_on_a_full_filesystem_keeps_no_bucket_private,
	 T_NO_KERNEL_NS)
{
	struct mq_attr a = { .mq_maxmsg = PEEK_MAX, .mq_msgsize = 64 };
	unsigned *prio = t_shared(2 * sizeof(*prio)), hi = 0, got;
	struct umq_limits lim;
	char buf[64];
	pid_t pid;
	mqd_t q;

	t_small_ns();
	T_OK(umq_ns_get_limits(&lim));
	lim.msg_max = PEEK_MAX;
	T_OK(umq_ns_set_limits(&lim));
	/* A bucket in the table's last page; the new one in its sixth. */
	for (unsigned p = 1; !hi; p++)
		if (bucket_page(p) == 15)
			hi = p;
	prio[0] = 0;
	for (unsigned p = 1; p < hi && !prio[0]; p++)
		if (bucket_page(p) == 5)
			prio[0] = p;
	T_ASSERT(prio[0]);
	q = (mqd_t)T_OK(umq_mq_open("/peeked", O_CREAT | O_RDWR |
				    O_NONBLOCK, 0600, &a));
	memset(buf, 'h', sizeof(buf));
	T_OK(umq_mq_send(q, buf, 64, hi));
	T_OK(umq_mq_send(q, buf, 64, hi));
	T_EQ(umq_mq_receive(q, buf, 64, NULL), 64);	/* a block free */
	t_fill_up();
	prio[1] = (unsigned)-1;
	pid = t_spawn_alarm(peek_then_send, prio, 10);
	t_exited_ok(pid, t_reap(pid, 10000), "peeker");
	T_EQ(umq_mq_receive(q, buf, 64, &got), 64);
	T_EQ(got, hi);
	if (prio[1] == 0) {
		T_EQ(umq_mq_receive(q, buf, 64, &got), 3);
		T_EQ(got, prio[0]);
	} else {
		T_EQ(prio[1], ENOMEM);
	}
	T_ERR(umq_mq_receive(q, buf, 64, NULL), EAGAIN);
	T_OK(umq_mq_close(q));
	T_OK(umq_mq_unlink("/peeked"));
}

/* A holder killed on a full filesystem: the next taker rebuilds the wait
 * lists from the pool, and read every record, claimed or not, through
 * pages no waiter touched: each was SIGBUS, mended with a private page,
 * where the taker's own waiter record then went (asked for, given: the
 * private page).  It slept where no sender could wake it, until December
 * 6 (found by a review). */
static void die_linking(int point)
{
	if (point == FP_SEND_LINK)
		raise(SIGKILL);
}

static void killed_holder(void *arg)
{
	struct { long type; char text[TEXT]; } m = { 1, "x" };

	umq_fault_hook = die_linking;
	umq_msgsnd(*(int *)arg, &m, TEXT, IPC_NOWAIT);
	_exit(3);	/* not killed */
}

static void sleep_on(void *arg)
{
	struct { long type; char text[TEXT]; } m;
	int *o = arg;

	o[1] = umq_msgrcv(o[0], &m, TEXT, o[2], 0) == TEXT ? 0 : errno;
}

T_CASE_F(a_taker_after_a_death_on_a_full_filesystem_is_woken,
	 T_NO_KERNEL_NS)
{
	struct { long type; char text[TEXT]; } m = { 1, "x" };
	int *o = t_shared(3 * sizeof(*o)), st;
	pid_t pid;

	t_small_ns();
	o[0] = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	/* The store (the lane shut by a typed look) and its pages given. */
	T_ERR(umq_msgrcv(o[0], &m, TEXT, 99, IPC_NOWAIT), ENOMSG);
	T_OK(umq_msgsnd(o[0], &m, TEXT, 0));
	T_EQ(umq_msgrcv(o[0], &m, TEXT, 1, 0), TEXT);
	/* A first sleeper: the pool's bit map given. */
	o[2] = 7;
	pid = t_spawn_alarm(sleep_on, o, 10);
	t_wait_sleeping(pid);
	m.type = 7;
	T_OK(umq_msgsnd(o[0], &m, TEXT, 0));
	t_exited_ok(pid, t_reap(pid, 5000), "first sleeper");
	t_fill_up();
	pid = t_spawn_alarm(killed_holder, o, 10);
	st = t_reap(pid, 5000);
	T_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	o[1] = -1;
	o[2] = 5;
	pid = t_spawn_alarm(sleep_on, o, 10);
	usleep(500000);		/* asleep, or refused */
	t_room();
	m.type = 5;
	T_OK(umq_msgsnd(o[0], &m, TEXT, IPC_NOWAIT));
	t_exited_ok(pid, t_reap(pid, 5000), "sleeper");
	if (o[1] == ENOMEM)	/* refused: the message is still there */
		T_EQ(umq_msgrcv(o[0], &m, TEXT, 5, IPC_NOWAIT), TEXT);
	else
		T_EQ(o[1], 0);
	T_OK(umq_msgctl(o[0], IPC_RMID, NULL));
}

/* pages.c counts pages from the one a range starts in: a store or a ring
 * need not start on a page (with pages larger than 4 KiB, M_STORE_OFF
 * and PQ_LANE_OFF are not multiples of one).  Counted from the range's
 * start, madvise() was given addresses inside pages (EINVAL), and every
 * first touch failed with ENOMEM: every send into the store, on such a
 * machine.  Until December 6 (found by a review).  A 4 KiB machine sees
 * it with a range that starts inside a page. */
T_CASE(pages_of_a_range_that_starts_inside_one)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	char path[260];
	struct pages pg;
	struct stat st;
	char *p;
	int fd;

	snprintf(path, sizeof(path), "%s/sparse", t_umq_dir());
	fd = (int)T_OK(open(path, O_RDWR | O_CREAT | O_TRUNC, 0600));
	T_OK(ftruncate(fd, (off_t)(4 * ps)));
	p = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	T_ASSERT(p != MAP_FAILED);
	pages_init(&pg, 2 * ps);
	/* The range: [p + 100, p + 100 + 2 ps), in pages 0, 1 and 2. */
	T_EQ(pages_ready(&pg, p + 100, 0, 10), 0);
	T_EQ(pages_ready(&pg, p + 100, 2 * ps - 1, 1), 0);
	T_EQ(pages_ready(&pg, p + 100, 2 * ps - 1, 2 * ps), 0);	/* cut */
	T_OK(fstat(fd, &st));
	T_EQ((size_t)st.st_blocks * 512, 2 * ps);	/* pages 0 and 2 */
	T_EQ(pages_ready(&pg, p + 100, ps, 1), 0);
	T_OK(fstat(fd, &st));
	T_EQ((size_t)st.st_blocks * 512, 3 * ps);	/* page 3: never */
	pages_fini(&pg);
	munmap(p, 4 * ps);
	close(fd);
	T_OK(unlink(path));
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}

/* The lane's close reserves a block for every message, then links them
 * all.  The reserving pass asked each message's index pages against the
 * index with none linked: the buckets of many types take heap entries
 * past the first page, which nobody asked for.  On a full filesystem the
 * links found a hole there and left the store damaged, the lane counted
 * as moved, until December 6 (found by a review). */
T_CASE_F(a_lane_of_many_types_closes_on_a_full_filesystem, T_NO_KERNEL_NS)
{
	enum { N = 1000 };
	struct { long type; char text[8]; } m = { 1, "" };
	int id, n = 0;
	ssize_t len;

	t_small_ns();
	id = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	/* The store's chunks for N messages, one type: one heap entry. */
	for (int i = 0; i < N; i++)
		T_OK(umq_msgsnd(id, &m, 0, 0));
	for (int i = 0; i < N; i++)
		T_EQ(umq_msgrcv(id, &m, 0, 1, IPC_NOWAIT), 0);
	/* Every type's bucket page, one bucket at a time. */
	for (long t = 2; t < N + 2; t++) {
		m.type = t;
		T_OK(umq_msgsnd(id, &m, 0, 0));
		T_EQ(umq_msgrcv(id, &m, 0, t, IPC_NOWAIT), 0);
	}
	/* A plain receive that leaves the store empty opens the lane. */
	T_OK(umq_msgsnd(id, &m, 0, 0));
	T_EQ(umq_msgrcv(id, &m, 0, 0, IPC_NOWAIT), 0);
	for (long t = 2; t < N + 2; t++) {
		m.type = t;
		T_OK(umq_msgsnd(id, &m, 0, 0));
	}
	t_fill_up();
	len = umq_msgrcv(id, &m, 0, N + 1, IPC_NOWAIT);
	if (len < 0) {
		T_EQ(errno, ENOMEM);
		/* The store as it was, the lane open again: a plain
		 * receive still takes from it (the store was left damaged,
		 * and its repair had no page either: ENOMEM). */
		T_EQ(umq_msgrcv(id, &m, 0, 0, IPC_NOWAIT), 0);
		T_EQ(m.type, 2);
	} else {
		T_EQ(m.type, N + 1);
	}
	t_room();
	for (long t = len < 0 ? 3 : 2; t < N + 2; t++) {
		if (t == N + 1 && len == 0)
			continue;
		T_EQ(umq_msgrcv(id, &m, 0, 0, IPC_NOWAIT), 0);
		T_EQ(m.type, t);
		n++;
	}
	T_ERR(umq_msgrcv(id, &m, 0, 0, IPC_NOWAIT), ENOMSG);
	T_OK(umq_msgctl(id, IPC_RMID, NULL));
}
