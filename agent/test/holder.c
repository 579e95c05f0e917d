/* SPDX-License-Identifier: MIT */
/*
 * holder.c - a lock's word naming another user's live thread (LOCKING
 * L11, DESIGN §6): thread identities are public, and any user who may
 * write a queue's control file can copy one that checks out - from the
 * lock of any queue it can read, while that thread holds it - into the
 * lock of the queue.  The thread must then also map the queue's file to
 * be waited for; another user's maps only root reads, so the agent
 * looks.  Each case: a looper of user OTHER that takes a lock again and
 * again, a caller of user CREATOR under a deadline.
 */
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "at.h"
#include "internal.h"
#include "t.h"
#include "umq.h"

#define CREATOR	2011
#define OTHER	2012
#define KEY_Q	0x686c0001	/* the caller's queue */
#define KEY_Y	0x686c0002	/* the looper's own */

#define NAME_Q	"/hl-q"
#define NAME_Y	"/hl-y"

struct shared {
	bool posix;		/* the queues are POSIX queues */
	int q, y;		/* System V ids */
	char qgen[32], ygen[32];
	pid_t looper;		/* as its own pid namespace sees it: ours */
	bool looper_reads_q;	/* the looper maps Q's control file, read-only */
	bool call_blocks;	/* the caller's calls may block: only those
				 * wait for a stopped holder (DESIGN §3) */
};

static struct shared *S;
static bool looper_reads_q;	/* for setup() */

/* ---- processes ---------------------------------------------------------- */

static struct {
	uid_t uid;
	void (*fn)(void *);
} as;

static void as_child(void *arg)
{
	if (setgroups(0, NULL) || setresgid(as.uid, as.uid, as.uid) ||
	    setresuid(as.uid, as.uid, as.uid))
		_exit(T_EXIT_SKIP);
	as.fn(arg);
}

/* fn(arg) in a child of uid's, which outlives nothing by more than 60 s. */
static pid_t spawn_as(uid_t uid, void (*fn)(void *), void *arg)
{
	as.uid = uid;
	as.fn = fn;
	return t_spawn_alarm(as_child, arg, 60);
}

/* Queue Q (the caller's) or, with bit 0 of the mode, Y (the looper's). */
static void make(void *arg)
{
	int mode = *(int *)arg, y = mode & 1, id;

	if (S->posix) {
		struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 8 };

		umask(0);
		mqd_t d = T_OK(umq_mq_open(y ? NAME_Y : NAME_Q,
				O_CREAT | O_EXCL | O_RDWR, mode & 0666, &a));
		T_OK(umq_mq_close(d));
		snprintf(y ? S->ygen : S->qgen, sizeof(S->qgen), "%016llx",
			 (unsigned long long)at_gen_of((y ? NAME_Y : NAME_Q) +
						       1));
		return;
	}
	id = T_OK(umq_msgget(y ? KEY_Y : KEY_Q,
			     IPC_CREAT | IPC_EXCL | (mode & 0666)));
	if (t_gen_name(t_umq_dir(), id, y ? S->ygen : S->qgen,
		       sizeof(S->qgen)))
		T_FAIL("no index entry: %s", strerror(errno));
	*(y ? &S->y : &S->q) = id;
}

static const char *q_path(void)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), S->posix ? "%s/posix/%s" : "%s/sysv/q.%s",
		 t_umq_dir(), S->qgen);
	return path;
}

/* Q's control file, mapped read-only, as anyone may map a System V
 * queue's (MSG_STAT_ANY): no way to take its lock. */
static void map_q_read_only(void)
{
	int fd = T_OK(open(q_path(), O_RDONLY | O_CLOEXEC));

	if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED)
		T_FAIL("mmap %s: %s", q_path(), strerror(errno));
	close(fd);
}

/* Send and take one message on queue Y (or Q, *arg true), for ever: its
 * lock is held part of the time. */
static void loop(void *arg)
{
	struct { long type; char c; } m = { 1, 'x' };
	bool on_q = *(bool *)arg;
	mqd_t d = S->posix ? T_OK(umq_mq_open(on_q ? NAME_Q : NAME_Y,
					      O_RDWR | O_NONBLOCK)) : -1;

	if (S->looper_reads_q)
		map_q_read_only();
	S->looper = getpid();
	for (;;) {
		if (S->posix) {
			umq_mq_send(d, "x", 1, 0);
			umq_mq_receive(d, &m.c, 8, NULL);
		} else {
			umq_msgsnd(on_q ? S->q : S->y, &m, 1, IPC_NOWAIT);
			umq_msgrcv(on_q ? S->q : S->y, &m, 1, 1, IPC_NOWAIT);
		}
	}
}

/* The caller's: one message through queue Q, of a type (System V) the
 * looper does not take; on POSIX, taken back unless the looper shares Q. */
static void call(void *arg)
{
	struct { long type; char c[8]; } m = { 2, "y" };
	bool shared = *(bool *)arg;
	int nb = S->call_blocks ? 0 : IPC_NOWAIT;

	if (S->posix) {
		mqd_t d = T_OK(umq_mq_open(NAME_Q, O_RDWR |
					   (nb ? O_NONBLOCK : 0)));
		struct mq_attr a;

		T_OK(umq_mq_send(d, "y", 1, 5));
		if (shared)
			T_OK(umq_mq_getattr(d, &a));
		else
			T_EQ(umq_mq_receive(d, m.c, 8, NULL), 1);
	} else {
		T_OK(umq_msgsnd(S->q, &m, 1, nb));
		T_EQ(umq_msgrcv(S->q, &m, 1, 2, nb), 1);
	}
	T_EQ(m.c[0], 'y');
}

/* ---- the control files -------------------------------------------------- */

/* A queue's lock, in its control file: its word and check, and the
 * namespace tag beside it. */
struct lk {
	uint64_t *pair;
	uint32_t *tag;
};

static struct lk lock_of(const char *gen)
{
	char path[PATH_MAX];
	void *p;
	int fd;

	snprintf(path, sizeof(path), S->posix ? "%s/posix/%s" : "%s/sysv/q.%s",
		 t_umq_dir(), gen);
	fd = T_OK(open(path, O_RDWR | O_CLOEXEC));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		T_FAIL("mmap %s: %s", path, strerror(errno));
	if (S->posix)
		return (struct lk){
			(uint64_t *)(void *)&((struct pqctl *)p)->lock,
			&((struct pqctl *)p)->lock_ns };
	return (struct lk){ (uint64_t *)(void *)&((struct qctl *)p)->lock,
			    &((struct qctl *)p)->lock_ns };
}

static uint32_t word_of(uint64_t p)
{
	return (uint32_t)p & FUTEX_TID_MASK;	/* little-endian: the word */
}

/* Copy the looper's word and check, and its namespace tag, from the lock
 * of y while it holds it into the lock of q. */
static void copy_holder(struct lk y, struct lk q)
{
	for (long end = t_now_ms() + 5000; t_now_ms() < end;) {
		uint64_t p = __atomic_load_n(y.pair, __ATOMIC_RELAXED);
		uint32_t tag = __atomic_load_n(y.tag, __ATOMIC_RELAXED);

		if (word_of(p) != (uint32_t)S->looper || !tag ||
		    __atomic_load_n(y.pair, __ATOMIC_RELAXED) != p)
			continue;
		*q.tag = tag;
		__atomic_store_n(q.pair, p & ~(uint64_t)FUTEX_WAITERS,
				 __ATOMIC_RELAXED);
		return;
	}
	T_FAIL("the looper was never seen holding its lock");
}

/* Stop the looper while it holds q's lock. */
static void stop_holding(pid_t looper, struct lk q)
{
	for (int i = 0; i < 2000; i++) {
		kill(looper, SIGSTOP);
		if (t_wait_child(looper, WUNTRACED, 5000) == -1)
			T_FAIL("the looper did not stop");
		if (word_of(__atomic_load_n(q.pair, __ATOMIC_RELAXED)) ==
		    (uint32_t)looper)
			return;
		kill(looper, SIGCONT);
		t_msleep(i % 3);
	}
	T_FAIL("the looper was never stopped holding the lock");
}

/* Q, made by CREATOR with qmode, and the looper of OTHER on Y (its
 * own, made here) or on Q (on_q); returns the looper. */
static pid_t setup(bool posix, int qmode, bool *on_q)
{
	int m = qmode & ~1;
	pid_t looper;

	S = t_shared(sizeof(*S));
	S->posix = posix;
	S->looper_reads_q = looper_reads_q;
	at_as(CREATOR, CREATOR, make, &m, "creating Q");
	m = 0600 | 1;
	if (!*on_q)
		at_as(OTHER, OTHER, make, &m, "creating Y");
	looper = spawn_as(OTHER, loop, on_q);
	for (int i = 0; i < 500 && !S->looper; i++)
		t_msleep(10);
	if (!S->looper)
		T_FAIL("the looper did not start");
	return looper;
}

/* The caller's result within ms: 1 done, 0 still waiting (then killed). */
static int caller_within(pid_t caller, int ms)
{
	int st = t_wait_child(caller, 0, ms);

	if (st == -1)
		return 0;
	t_exited_ok(caller, st, "the caller");
	return 1;
}

/* ---- cases ---------------------------------------------------------------- */

/*
 * OTHER's live thread, copied into the lock of CREATOR's queue, which
 * OTHER's process does not map: with the agent, the caller finds out
 * and repairs the lock, in about two looks (0.5 s).
 */
static void forged_with_agent(bool posix)
{
	bool on_q = false;
	pid_t looper = setup(posix, 0600, &on_q), agent = at_start(), caller;
	struct lk q = lock_of(S->qgen);
	long t0;

	copy_holder(lock_of(S->ygen), q);
	t0 = t_now_ms();
	caller = spawn_as(CREATOR, call, &on_q);
	if (!caller_within(caller, 8000))
		T_FAIL("a forged holder of another user wedged the queue");
	t_note("repaired in %ld ms", t_now_ms() - t0);
	T_EQ(word_of(*q.pair), 0);
	t_reap(looper, 0);
	at_stop(agent);
}

T_CASE(forged_holder_of_another_user_with_agent_sysv)
{
	forged_with_agent(false);
}

T_CASE(forged_holder_of_another_user_with_agent_posix)
{
	forged_with_agent(true);
}

/*
 * Without the agent, another user's maps cannot be read: the caller
 * waits as for a holder that checks out (DESIGN §8), and goes on once
 * the word is put right.
 */
T_CASE(forged_holder_of_another_user_without_agent)
{
	bool on_q = false;
	pid_t looper = setup(false, 0600, &on_q), caller;
	struct lk q = lock_of(S->qgen);

	copy_holder(lock_of(S->ygen), q);
	caller = spawn_as(CREATOR, call, &on_q);
	T_EQ(caller_within(caller, 1500), 0);
	__atomic_store_n(q.pair, 0, __ATOMIC_RELAXED);
	if (!caller_within(caller, 8000))
		T_FAIL("the caller did not go on once the word was cleared");
	t_reap(looper, 0);
}

/*
 * The other side: OTHER's process really holds the lock of a queue
 * both may use, and is stopped.  The agent says it maps the queue, so
 * the caller, whose calls may block, waits, however long, until it goes
 * on (calls that must not block give up: test/bounded.c).
 */
static void stopped_holder(bool posix)
{
	bool on_q = true;
	pid_t looper = setup(posix, 0666, &on_q), agent = at_start(), caller;
	struct lk q = lock_of(S->qgen);

	stop_holding(looper, q);
	S->call_blocks = true;
	caller = spawn_as(CREATOR, call, &on_q);
	if (caller_within(caller, 2500))
		T_FAIL("the caller took the lock of a stopped holder");
	T_EQ(word_of(*q.pair), (uint32_t)looper);
	kill(looper, SIGCONT);
	if (!caller_within(caller, 8000))
		T_FAIL("the caller did not go on after the holder");
	t_reap(looper, 0);
	at_stop(agent);
}

T_CASE(stopped_holder_of_another_user_is_waited_for_sysv)
{
	stopped_holder(false);
}

T_CASE(stopped_holder_of_another_user_is_waited_for_posix)
{
	stopped_holder(true);
}

/* The agent tells only a process that maps the queue itself. */
static void ask_as_outsider(void *arg)
{
	uint64_t maps = 2;

	(void)arg;
	T_EQ(at_ask_holder(strtoull(S->qgen, NULL, 16), false,
			   (uint32_t)S->looper, &maps), -EPERM);
	T_EQ(maps, 0);
}

static void ask_as_user(void *arg)
{
	struct msqid_ds ds;
	uint64_t maps = 2;

	(void)arg;
	T_OK(umq_msgctl(S->q, IPC_STAT, &ds));	/* maps it */
	T_EQ(at_ask_holder(strtoull(S->qgen, NULL, 16), false,
			   (uint32_t)S->looper, &maps), 0);
	T_EQ(maps, 0);
	T_EQ(at_ask_holder(strtoull(S->qgen, NULL, 16), false,
			   (uint32_t)getpid(), &maps), 0);
	T_EQ(maps, 1);
	T_EQ(at_ask_holder(strtoull(S->ygen, NULL, 16), false,
			   (uint32_t)S->looper, &maps), -EPERM);
}

T_CASE(agent_tells_only_users_of_the_queue)
{
	bool on_q = false;
	pid_t looper = setup(false, 0600, &on_q), agent = at_start();

	at_as(OTHER, OTHER, ask_as_outsider, NULL, "asking about Q");
	at_as(CREATOR, CREATOR, ask_as_user, NULL, "asking about Q and Y");
	t_reap(looper, 0);
	at_stop(agent);
}

/*
 * A System V queue's control file is readable by all: a process that
 * only maps it read-only is no user of the queue.  It learns nothing.
 */
static void ask_as_reader(void *arg)
{
	uint64_t maps = 2;

	(void)arg;
	map_q_read_only();
	T_EQ(at_ask_holder(strtoull(S->qgen, NULL, 16), false,
			   (uint32_t)S->looper, &maps), -EPERM);
	T_EQ(maps, 0);
}

T_CASE(agent_tells_no_mere_reader_of_the_control_file)
{
	bool on_q = false;
	pid_t looper = setup(false, 0600, &on_q), agent = at_start();

	at_as(OTHER, OTHER, ask_as_reader, NULL, "asking about Q");
	t_reap(looper, 0);
	at_stop(agent);
}

/*
 * A holder whose process maps the queue's control file only read-only
 * (MSG_STAT_ANY, anyone's) cannot hold its lock: a forged word naming
 * it is repaired like one naming a process that does not map it.
 */
T_CASE(forged_holder_that_maps_the_queue_read_only)
{
	bool on_q = false;
	pid_t looper, agent, caller;
	struct lk q;

	looper_reads_q = true;
	looper = setup(false, 0600, &on_q);
	agent = at_start();
	q = lock_of(S->qgen);
	copy_holder(lock_of(S->ygen), q);
	caller = spawn_as(CREATOR, call, &on_q);
	if (!caller_within(caller, 8000))
		T_FAIL("a forged holder that maps the queue read-only wedged it");
	T_EQ(word_of(*q.pair), 0);
	t_reap(looper, 0);
	at_stop(agent);
}

/*
 * A namespace directory whose name holds a newline, which maps files
 * show as "\012" (and a space, shown as is): the caller still finds
 * the agent to ask.
 */
static void forged_in_odd_dir(bool posix)
{
	if (t_umq_subdir("odd\nname here"))
		T_FAIL("namespace in a subdirectory: %s", strerror(errno));
	forged_with_agent(posix);
}

T_CASE(forged_holder_in_a_directory_with_a_newline_sysv)
{
	forged_in_odd_dir(false);
}

T_CASE(forged_holder_in_a_directory_with_a_newline_posix)
{
	forged_in_odd_dir(true);
}

/* A receiver on Q that blocks, until Q goes. */
static void receive_until_removed(void *arg)
{
	struct { long type; char c[8]; } m;

	(void)arg;
	T_EQ(umq_msgrcv(S->q, &m, 1, 0, 0), -1);
	T_EQ(errno, EIDRM);
}

/*
 * Q is removed while a receiver sleeps in it, and a forged word naming
 * OTHER's live thread goes into its lock before the receiver wakes and
 * takes the lock to leave.  Q's file has no name left for the agent to
 * open: the holder cannot be checked, and is given what any holder that
 * cannot be is (10 s), not forever.
 */
T_CASE(forged_holder_of_a_removed_queue)
{
	bool on_q = false;
	pid_t looper = setup(false, 0600, &on_q), agent = at_start(), caller;
	struct lk q = lock_of(S->qgen);

	caller = spawn_as(CREATOR, receive_until_removed, NULL);
	t_msleep(300);
	kill(caller, SIGSTOP);
	if (t_wait_child(caller, WUNTRACED, 5000) == -1)
		T_FAIL("the receiver did not stop");
	T_OK(umq_msgctl(S->q, IPC_RMID, NULL));
	copy_holder(lock_of(S->ygen), q);
	kill(caller, SIGCONT);
	if (!caller_within(caller, 15000))
		T_FAIL("a forged holder wedged a removed queue's receiver");
	t_reap(looper, 0);
	at_stop(agent);
}

/*
 * The agent reads the asker's /proc/<pid>, which after the asker's end
 * could be another process's: it answers only an asker that outlived
 * the look (SO_PEERPIDFD).  Here the asker connects, hands the
 * connection over and exits; the request then comes on it.
 */
static int handover[2];

static void connect_and_go(void *arg)
{
	struct sockaddr_un sa;
	struct msqid_ds ds;
	int fd;

	(void)arg;
	T_OK(umq_msgctl(S->q, IPC_STAT, &ds));	/* a user of Q */
	at_path(&sa);
	fd = T_OK(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
	T_OK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
	T_EQ(t_send_fd(handover[1], "s", 1, fd), 1);
}

T_CASE(agent_answers_no_asker_that_is_gone)
{
	bool on_q = false;
	pid_t looper = setup(false, 0600, &on_q), agent = at_start();
	struct agent_req req = {
		.magic = AGENT_MAGIC, .op = AGENT_HOLDER,
		.gen = strtoull(S->qgen, NULL, 16), .tid = (uint32_t)looper,
	};
	struct timeval tv = { 5, 0 };
	struct agent_rep rep;
	char c;
	int fd;

	T_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, handover));
	at_as(CREATOR, CREATOR, connect_and_go, NULL, "connecting");
	T_EQ(t_recv_fd(handover[0], &c, 1, &fd), 1);
	T_ASSERT(fd >= 0);
	T_OK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	T_EQ(send(fd, &req, sizeof(req), 0), (ssize_t)sizeof(req));
	T_EQ(recv(fd, &rep, sizeof(rep), 0), (ssize_t)sizeof(rep));
	T_EQ(rep.err, -ESRCH);
	T_EQ(rep.value, 0);
	close(fd);
	t_reap(looper, 0);
	at_stop(agent);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
