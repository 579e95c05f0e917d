/* SPDX-License-Identifier: MIT */
/*
 * spec_diff_posix_procs.c - POSIX message queues, umq against the kernel:
 * what the kernel-semantics spec (part B) states about processes, users
 * and threads that posix_diff.c does not compare.  Written from the spec
 * alone, by someone who did not write the library: RLIMIT_MSGQUEUE
 * charged to the real uid for as long as the queue exists, split
 * credentials (the fs ids own and open queues), blocked calls (a blocked
 * sender's message at its priority's place, deadlines, an unlinked
 * queue), notification owners that exit or act through threads.
 *
 * Same machinery as spec_diff_posix.c (pdiff.h, trace.h), linked with
 * libumq.so.
 *
 *   build/test/spec_diff_posix_procs [case ...]
 *   UMQ_TRACE=1 build/test/spec_diff_posix_procs case	both traces in full
 *
 * The kernel against itself (every case must pass: the scenarios are
 * deterministic and say what the kernel does):
 *   gcc -D_GNU_SOURCE -DKERNEL_ONLY -Iinclude -std=gnu11 -pthread \
 *	-o /tmp/spec_diff_posix_procs test/spec_diff_posix_procs.c test/t.c test/trace.c
 */
/* pdiff.h's helpers are static, for each program: some are unused here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "pdiff.h"

#include <grp.h>
#include <pthread.h>
#include <sys/fsuid.h>
#include <sys/socket.h>

#define USER_UID 1000

/* ---- RLIMIT_MSGQUEUE is charged to the real uid (B13) -------------------- */

#define RUID 4260	/* this case's real uid, charged */

/* Become ruid with effective (and fs) uid euid, limit 97 bytes. */
static void become_split(struct ctx *c, uid_t ruid, uid_t euid)
{
	struct rlimit rl;

	CHK(c, setgroups(0, NULL) || setresgid(euid, euid, euid) ||
	       setresuid(ruid, euid, euid), 0);
	getrlimit(RLIMIT_MSGQUEUE, &rl);
	rl.rlim_cur = 97;
	CHK(c, setrlimit(RLIMIT_MSGQUEUE, &rl), 0);
}

static void split_a(struct ctx *c, void *arg)
{
	become_split(c, RUID, RUID + 1);
	mqd_t d = OPEN(c, "/ra", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	OPEN(c, "/rb", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	CLOSE(c, d, W_RET(0));
}

static void split_b(struct ctx *c, void *arg)
{
	/*
	 * The real uid itself: the same account, although the queue is
	 * owned by the other uid (0600) and this one may not open it.
	 */
	become_split(c, RUID, RUID);
	OPEN2(c, "/ra", O_RDWR, W_ERR(EACCES));
	OPEN(c, "/rc", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	OPEN(c, "/rc", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
}

static void split_c(struct ctx *c, void *arg)
{
	/* The first one's effective uid, another real one: a new account. */
	become_split(c, RUID + 3, RUID + 1);
	mqd_t d = OPEN(c, "/rd", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	mqd_t a = OPEN2(c, "/ra", O_RDWR, W_SUCCESS);
	OPEN(c, "/re", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	/* The owner (euid) unlinks; the charge goes with the last close. */
	UNLINK(c, "/ra", W_RET(0));
	CLOSE(c, a, W_RET(0));
	CLOSE(c, d, W_RET(0));
}

static void split_d(struct ctx *c, void *arg)
{
	become_split(c, RUID, RUID + 2);
	mqd_t d = OPEN(c, "/rf", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	CLOSE(c, d, W_RET(0));
	UNLINK(c, "/rf", W_RET(0));
}

#ifdef SPEC_KNOWN_DIFFS
/* Known difference without the namespace's agent (DESIGN §8): the charge
 * of a queue the real uid may not read is not seen by its later creations
 * (agent/test/charge.c runs it with the agent). */
PDIFF_CASE(rlimit_real_uid)
{
	need_uid_switch();
	CHILD(c, SAME_USER, split_a, NULL);
	CHILD(c, SAME_USER, split_b, NULL);
	CHILD(c, SAME_USER, split_c, NULL);
	CHILD(c, SAME_USER, split_d, NULL);
	UNLINK(c, "/rd", W_RET(0));
}
#endif

static void exit_a(struct ctx *c, void *arg)
{
	become_split(c, RUID + 10, RUID + 10);
	mqd_t d = OPEN(c, "/xa", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	OPEN(c, "/xb", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	CLOSE(c, d, W_RET(0));
	OPEN(c, "/xb", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
}

static void exit_b(struct ctx *c, void *arg)
{
	/* The same user, later: the queue still exists, so does its charge. */
	become_split(c, RUID + 10, RUID + 10);
	OPEN(c, "/xb", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	UNLINK(c, "/xa", W_RET(0));
	mqd_t d = OPEN(c, "/xb", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	CLOSE(c, d, W_RET(0));
	UNLINK(c, "/xb", W_RET(0));
}

/* A queue's charge outlives the process that created it. */
PDIFF_CASE(rlimit_after_exit)
{
	need_uid_switch();
	CHILD(c, SAME_USER, exit_a, NULL);
	CHILD(c, SAME_USER, exit_b, NULL);
}

static void mode0_user(struct ctx *c, void *arg)
{
	/* Queues of mode 0: their creator may not open them again. */
	become_split(c, RUID + 20, RUID + 20);
	mqd_t a = OPEN(c, "/z1", O_CREAT | O_RDWR, 0, AT(1, 1), W_SUCCESS);
	CLOSE(c, a, W_RET(0));
	OPEN2(c, "/z1", O_RDONLY, W_ERR(EACCES));
	/* Still charged: 97 of 97. */
	OPEN(c, "/z2", O_CREAT | O_RDWR, 0, AT(1, 1), W_ERR(EMFILE));
	OPEN(c, "/z2", O_CREAT | O_RDWR, 0, AT(1, 1), W_ERR(EMFILE));
	UNLINK(c, "/z1", W_RET(0));
	a = OPEN(c, "/z2", O_CREAT | O_RDWR, 0, AT(1, 1), W_SUCCESS);
	CLOSE(c, a, W_RET(0));
	UNLINK(c, "/z2", W_RET(0));
}

/* The charge of a queue its creator cannot open counts all the same. */
PDIFF_CASE(rlimit_mode0)
{
	need_uid_switch();
	CHILD(c, SAME_USER, mode0_user, NULL);
}

/* ---- Split credentials: the fs ids are the owner's (B4.6, B4.7, B7) ------ */

#define SPLIT_R 4320	/* real and fs uid; the effective one is +1 */
#define SPLIT_G 5020	/* real and fs gid; the effective one is +1 */

static void split_creator(struct ctx *c, void *arg)
{
	tr_become_split(c->tr, SPLIT_R, SPLIT_G);
	mqd_t d = OPEN(c, "/sc", O_CREAT | O_RDWR, 0640, AT(2, 16), W_SUCCESS);
	FSTAT(c, d, 0640, SPLIT_R, SPLIT_G);
	SEND(c, d, 3, 1, 1, W_RET(0));
	CLOSE(c, d, W_RET(0));
	/* Opening: the fs uid decides (the euid's queue is 0600). */
	OPEN2(c, "/e", O_RDONLY, W_ERR(EACCES));
	d = OPEN2(c, "/sc", O_RDWR, W_SUCCESS);
	SEND(c, d, 3, 2, 2, W_RET(0));
	CLOSE(c, d, W_RET(0));
	UNLINK(c, "/e", W_ERR(EACCES));
}

static void split_euid(struct ctx *c, void *arg)
{
	/* Plain SPLIT_R + 1: another user to "/sc". */
	mqd_t e = OPEN(c, "/e", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	CLOSE(c, e, W_RET(0));
}

static void split_euid2(struct ctx *c, void *arg)
{
	/* Plain SPLIT_R + 1, the creator's euid: another user to "/sc". */
	OPEN2(c, "/sc", O_RDONLY, W_ERR(EACCES));
	UNLINK(c, "/sc", W_ERR(EACCES));
}

static void split_fsuid(struct ctx *c, void *arg)
{
	/* Plain SPLIT_R owns it. */
	mqd_t d = OPEN2(c, "/sc", O_RDWR, W_SUCCESS);
	RECV_GOT(c, d, 16, 3, 1, 1);
	CLOSE(c, d, W_RET(0));
	UNLINK(c, "/sc", W_RET(0));
}

static void split_group(struct ctx *c, void *arg)
{
	/* In the creator's fs gid: the group class (read). */
	mqd_t d = OPEN2(c, "/sc", O_RDONLY, W_SUCCESS);
	RECV_GOT(c, d, 16, 3, 2, 2);
	CLOSE(c, d, W_RET(0));
	OPEN2(c, "/sc", O_WRONLY, W_ERR(EACCES));
}

PDIFF_CASE(split_credentials)
{
	static const struct who fsgid = { 4330, SPLIT_G, 0, { 0 } };

	need_uid_switch();
	CHILD(c, USER(SPLIT_R + 1), split_euid, NULL);
	CHILD(c, SAME_USER, split_creator, NULL);
	mqd_t d = OPEN2(c, "/sc", O_RDONLY, W_SUCCESS);
	ATTR(c, d, 0, 2, 16, 2);
	CLOSE(c, d, W_RET(0));
	CHILD(c, USER(SPLIT_R + 1), split_euid2, NULL);
	CHILD(c, fsgid, split_group, NULL);
	CHILD(c, USER(SPLIT_R), split_fsuid, NULL);
	UNLINK(c, "/e", W_RET(0));
}

/* ---- Blocked calls (B8, B9, B7) ------------------------------------------ */

PDIFF_CASE(blocked_calls)
{
	mqd_t q = OPEN(c, "/bs", O_CREAT | O_RDWR, 0600, AT(2, 16), W_SUCCESS);
	struct timespec soon, later;
	pid_t p;

	/* A blocked sender's message goes in at its priority's place. */
	SEND(c, q, 4, 1, 1, W_RET(0));
	SEND(c, q, 4, 3, 2, W_RET(0));
	p = BG_SEND(c, q, 5, 2, 3, W_RET(0));
	RECV_GOT(c, q, 16, 4, 3, 2);
	bg_wait(p);
	ATTR(c, q, 0, 2, 16, 2);
	RECV_GOT(c, q, 16, 5, 2, 3);
	RECV_GOT(c, q, 16, 4, 1, 1);
	/* A deadline that passes: ETIMEDOUT, the text discarded. */
	SEND(c, q, 1, 0, 4, W_RET(0));
	SEND(c, q, 1, 0, 5, W_RET(0));
	soon = in_ms(200);
	p = BG_TSEND(c, q, 1, 7, 6, &soon, W_ERR(ETIMEDOUT));
	bg_wait(p);
	ATTR(c, q, 0, 2, 16, 2);
	RECV_GOT(c, q, 16, 1, 0, 4);
	RECV_GOT(c, q, 16, 1, 0, 5);
	/* A timed receive handed a message before its deadline. */
	later = in_ms(5000);
	p = BG_TRECV(c, q, 16, &later, W_RET(3), M(9, 7));
	SEND(c, q, 3, 9, 7, W_RET(0));
	bg_wait(p);
	ATTR(c, q, 0, 2, 16, 0);
	soon = in_ms(200);
	p = BG_TRECV(c, q, 16, &soon, W_ERR(ETIMEDOUT), M_ANY);
	bg_wait(p);
	/* Unlinked under a blocked receiver: it waits on, on the old queue. */
	p = BG_RECV(c, q, 16, W_RET(2), M(4, 8));
	UNLINK(c, "/bs", W_RET(0));
	OPEN2(c, "/bs", O_RDWR, W_ERR(ENOENT));
	mqd_t n = OPEN(c, "/bs", O_CREAT | O_EXCL | O_RDWR, 0600, AT(1, 1),
		       W_SUCCESS);
	SEND(c, n, 1, 0, 9, W_RET(0));
	ATTR(c, q, 0, 2, 16, 0);
	SEND(c, q, 2, 4, 8, W_RET(0));
	bg_wait(p);
	ATTR(c, q, 0, 2, 16, 0);
	RECV_GOT(c, n, 1, 1, 0, 9);
	CLOSE(c, n, W_RET(0));
	CLOSE(c, q, W_RET(0));
}

/* ---- Notification owners: processes that exit, threads (B10) ------------ */

static void notify_exit_child(struct ctx *c, void *arg)
{
	mqd_t q = *(mqd_t *)arg;

	/* Registered on the inherited descriptor, then exits. */
	NOTIFY(c, q, SIGEV_NONE, 0, W_RET(0));
	STATUS(c, q, 0, SIGEV_NONE, 0, c->tr->nroles);
}

static void notify_exit_child2(struct ctx *c, void *arg)
{
	/* Its own descriptor, never closed but by the exit. */
	mqd_t d = OPEN2(c, "/ne", O_RDONLY, W_SUCCESS);

	NOTIFY(c, d, SIGEV_SIGNAL, SIGUSR1, W_RET(0));
	STATUS(c, d, 0, SIGEV_SIGNAL, SIGUSR1, c->tr->nroles);
}

PDIFF_CASE(notify_owner_exit)
{
	mqd_t q = OPEN(c, "/ne", O_CREAT | O_RDWR, 0600, AT(2, 16), W_SUCCESS);

	CHILD(c, SAME_USER, notify_exit_child, &q);
	STATUS(c, q, 0, 0, 0, 0);
	NOTIFY(c, q, SIGEV_NONE, 0, W_RET(0));
	STATUS(c, q, 0, SIGEV_NONE, 0, SELF);
	NOTIFY_NULL(c, q, W_RET(0));
	CHILD(c, SAME_USER, notify_exit_child2, NULL);
	STATUS(c, q, 0, 0, 0, 0);
	SEND(c, q, 1, 0, 1, W_RET(0));
	STATUS(c, q, 1, 0, 0, 0);
	RECV_GOT(c, q, 16, 1, 0, 1);
	NOTIFY(c, q, SIGEV_SIGNAL, SIGUSR2, W_RET(0));
	SEND(c, q, 1, 0, 2, W_RET(0));
	SIGWAIT(c, 2000, SIGUSR2, SI_MESGQ, SELF, 0, 42);
	CLOSE(c, q, W_RET(0));
}

struct in_thread {
	struct ctx *c;
	mqd_t q;
	void (*fn)(struct ctx *c, mqd_t q);
};

static void *thread_main(void *arg)
{
	struct in_thread *t = arg;

	t->fn(t->c, t->q);
	return NULL;
}

/* fn(c, q) in another thread of the process (which waits for it). */
static void in_thread(struct ctx *c, mqd_t q, void (*fn)(struct ctx *, mqd_t))
{
	struct in_thread t = { c, q, fn };
	pthread_t th;

	if (pthread_create(&th, NULL, thread_main, &t))
		T_FAIL("pthread_create");
	pthread_join(th, NULL);
}

static void thread_register(struct ctx *c, mqd_t q)
{
	NOTIFY(c, q, SIGEV_NONE, 0, W_RET(0));
}

static void thread_register_sig(struct ctx *c, mqd_t q)
{
	NOTIFY(c, q, SIGEV_SIGNAL, SIGUSR2, W_RET(0));
}

static void thread_close_dup(struct ctx *c, mqd_t q)
{
	mqd_t d = dup(q);

	CHK(c, d >= 0, 1);
	CLOSE(c, d, W_RET(0));
}

static void thread_null(struct ctx *c, mqd_t q)
{
	NOTIFY_NULL(c, q, W_RET(0));
}

/* The owner is the process: any of its threads acts for it. */
PDIFF_CASE(notify_threads)
{
	mqd_t q = OPEN(c, "/nt", O_CREAT | O_RDWR, 0600, AT(2, 16), W_SUCCESS);

	in_thread(c, q, thread_register);
	STATUS(c, q, 0, SIGEV_NONE, 0, SELF);
	NOTIFY(c, q, SIGEV_NONE, 0, W_ERR(EBUSY));
	NOTIFY_NULL(c, q, W_RET(0));
	STATUS(c, q, 0, 0, 0, 0);
	NOTIFY(c, q, SIGEV_NONE, 0, W_RET(0));
	in_thread(c, q, thread_null);
	STATUS(c, q, 0, 0, 0, 0);
	in_thread(c, q, thread_register_sig);
	in_thread(c, q, thread_close_dup);
	STATUS(c, q, 0, 0, 0, 0);
	in_thread(c, q, thread_register_sig);
	SEND(c, q, 3, 0, 1, W_RET(0));
	SIGWAIT(c, 2000, SIGUSR2, SI_MESGQ, SELF, 0, 42);
	STATUS(c, q, 3, 0, 0, 0);
	CLOSE(c, q, W_RET(0));
}

/* ---- A descriptor is a descriptor: passed, or kept across set*id (B1) ---- */

/*
 * A process forked before the queue existed, as uid, gets a descriptor
 * of it through a socket, and uses it: no permission is checked again.
 */
static void passed_user(struct ctx *c, int sock, uid_t uid)
{
	if (uid != geteuid() && tr_become(&USER(uid)))
		_exit(T_EXIT_FAIL);
	char byte, go;
	int d;
	/* Then wait for the sender's word: its step recorded first, so
	 * that both backends' traces list the steps in one order. */
	bool got = t_recv_fd(sock, &byte, 1, &d) == 1 && d >= 0 &&
		   read(sock, &go, 1) == 1;

	CHK(c, got, 1);
	ATTR(c, d, 0, 2, 16, 1);
	RECV_GOT(c, d, 16, 3, 1, 1);
	SEND(c, d, 4, 2, 2, W_RET(0));
	SETATTR(c, d, NB, W_RET(0), A(0, 2, 16, 1));
	NOTIFY(c, d, SIGEV_NONE, 0, W_RET(0));
	CLOSE(c, d, W_RET(0));
	_exit(T_EXIT_PASS);
}

static void pass_to(struct ctx *c, const char *name, uid_t uid)
{
	int sv[2], st;

	CHK(c, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		passed_user(c, sv[1], uid);
	mqd_t q = OPEN(c, name, O_CREAT | O_EXCL | O_RDWR, 0600, AT(2, 16),
		       W_SUCCESS);
	SEND(c, q, 3, 1, 1, W_RET(0));
	bool sent = t_send_fd(sv[0], "q", 1, q) == 1;

	CHK(c, sent, 1);
	/* Recorded: the receiver may go on (unchecked here: if the word is
	 * lost, the receiver's step says so). */
	ssize_t w = write(sv[0], "g", 1);
	(void)w;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	CHK(c, st, 0);
	ATTR(c, q, NB, 2, 16, 1);
	RECV_GOT(c, q, 16, 4, 2, 2);
	CLOSE(c, q, W_RET(0));
	close(sv[0]);
	close(sv[1]);
}

PDIFF_CASE(descriptor_passed)
{
	pass_to(c, "/p0", geteuid());
}

#ifdef SPEC_KNOWN_DIFFS
/* The receiver may not open the queue (0600, root's): a known difference
 * without the namespace's agent (DESIGN §8), umq's descriptor is not the
 * queue's file (agent/test/passfd.c runs it with the agent). */
PDIFF_CASE(descriptor_passed_other_user)
{
	need_uid_switch();
	pass_to(c, "/p1", USER_UID);
}
#endif

static void setuid_child(struct ctx *c, void *arg)
{
	mqd_t q = *(mqd_t *)arg;

	/* Inherited, then the ids dropped for good. */
	CHK(c, setgroups(0, NULL) || setresgid(USER_UID, USER_UID, USER_UID) ||
	       setresuid(USER_UID, USER_UID, USER_UID), 0);
	RECV_GOT(c, q, 16, 3, 1, 1);
	SEND(c, q, 5, 0, 5, W_RET(0));
	OPEN2(c, "/su", O_RDONLY, W_ERR(EACCES));
	UNLINK(c, "/su", W_ERR(EACCES));
}

PDIFF_CASE(descriptor_across_setuid)
{
	need_uid_switch();
	mqd_t q = OPEN(c, "/su", O_CREAT | O_RDWR, 0600, AT(2, 16), W_SUCCESS);

	SEND(c, q, 3, 1, 1, W_RET(0));
	CHILD(c, SAME_USER, setuid_child, &q);
	/* The effective uid for a while, in this process. */
	CHK(c, seteuid(USER_UID), 0);
	SEND(c, q, 4, 2, 2, W_RET(0));
	ATTR(c, q, 0, 2, 16, 2);
	OPEN2(c, "/su", O_RDWR, W_ERR(EACCES));
	mqd_t m = OPEN(c, "/mine", O_CREAT | O_RDWR, 0600, AT(1, 1),
		       W_SUCCESS);
	CHK(c, seteuid(0), 0);
	RECV_GOT(c, q, 16, 4, 2, 2);
	RECV_GOT(c, q, 16, 5, 0, 5);
	mqd_t r = OPEN2(c, "/su", O_RDONLY, W_SUCCESS);
	FSTAT(c, m, 0600, USER_UID, 0);
	CLOSE(c, r, W_RET(0));
	CLOSE(c, m, W_RET(0));
	CLOSE(c, q, W_RET(0));
}

/* ---- An unlinked queue goes with its last holder, whoever that was (B7) -- */

static void unlink_hold_exit(struct ctx *c, void *arg)
{
	mode_t mode = *(mode_t *)arg;

	/* Created, unlinked, still held: gone when this process exits. */
	mqd_t d = OPEN(c, "/g", O_CREAT | O_EXCL | O_RDWR, mode, AT(1, 1),
		       W_SUCCESS);
	UNLINK(c, "/g", W_RET(0));
	OPEN(c, "/h", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(ENOSPC));
	SEND(c, d, 1, 0, 1, W_RET(0));
}

static void create_after(struct ctx *c, void *arg)
{
	mqd_t d = OPEN(c, "/h", O_CREAT | O_EXCL | O_RDWR, 0600, AT(1, 1),
		       W_SUCCESS);
	CLOSE(c, d, W_RET(0));
	UNLINK(c, "/h", W_RET(0));
}

PDIFF_CASE(unlinked_gone_at_exit)
{
	/* 0600 fails on umq: it cannot collect what it cannot read. */
	static const mode_t modes[] = { 0644, 0666, 0600 };

	need_uid_switch();
	LIMIT(c, "queues_max", 1, W_RET(0));
	for (int i = 0; i < 3; i++) {
		CHILD(c, USER(USER_UID), unlink_hold_exit, (void *)&modes[i]);
		/* Another user: the queue is no more, nothing to count. */
		CHILD(c, USER(USER_UID + 1), create_after, NULL);
	}
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
