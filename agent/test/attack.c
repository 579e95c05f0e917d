/* SPDX-License-Identifier: MIT */
/*
 * attack.c - what users of a namespace must not get from its agent, a
 * root process (DESIGN §6, the threat model): each case is one way in,
 * tried as the users the table names, with the OS checking the outcome
 * (a file opened by hand, a mode, an answer in time).
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <sys/wait.h>

#include "at.h"
#include "internal.h"
#include "t.h"
#include "umq.h"

#define CREATOR	2001	/* and its group */
#define MEMBER	2003	/* in the creator's group; the namespace owner */
#define OTHER	2005
#define KEY	0x6e760002
#define KEY2	0x6e760003

static int agent_conn(void);

struct shared {
	char gen[32];			/* System V queue */
	char gen2[32];			/* another */
	volatile int written;		/* 1: a request, -1: could not */
	uint64_t pub, priv;		/* POSIX queues */
	int fifo_ok;
};

static struct shared *S;

static void sysv_file(char *buf, size_t n, const char *fmt)
{
	snprintf(buf, n, fmt, t_umq_dir(), S->gen);
}

static void pq_file(char *buf, size_t n, uint64_t gen, const char *suffix)
{
	snprintf(buf, n, "%s/posix/%016llx%s", t_umq_dir(),
		 (unsigned long long)gen, suffix);
}

/* This user must not open path read-write (flags: O_NONBLOCK for a
 * FIFO, as the library opens one): EACCES, the path named if not. */
static void refused(const char *path, int flags)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | flags), e = errno;

	if (fd >= 0) {
		close(fd);
		T_FAIL("%s opened", path);
	}
	if (e != EACCES)
		T_FAIL("%s: %s, expected EACCES", path,
		       strerrorname_np(e) ?: "?");
}

/* The same for a file of System V queue S->gen (fmt as sysv_file's)... */
static void sysv_refused(const char *fmt, int flags)
{
	char path[PATH_MAX];

	sysv_file(path, sizeof(path), fmt);
	refused(path, flags);
}

/* ...and of POSIX queue gen. */
static void pq_refused(uint64_t gen, const char *suffix, int flags)
{
	char path[PATH_MAX];

	pq_file(path, sizeof(path), gen, suffix);
	refused(path, flags);
}

/* fn(arg) in a child as uid:gid, left running for the case to kill or
 * reap, alarm(secs) its bound: it exits T_EXIT_SKIP if it cannot become
 * that user. */
static pid_t fork_as(uid_t uid, gid_t gid, void (*fn)(void *), void *arg,
		     unsigned secs)
{
	pid_t pid = fork();

	if (pid == 0) {
		alarm(secs);
		if (setgid(gid) || setuid(uid))
			_exit(T_EXIT_SKIP);
		fn(arg);
		_exit(T_EXIT_PASS);
	}
	T_ASSERT(pid > 0);
	return pid;
}

/* ---- The agent's start believes no block a member forged --------------- */

/* System V queue key, made with mode: its id; its generation, as its
 * index entry spells it, in gen. */
static int create_sysv(key_t key, int mode, char *gen, size_t n)
{
	int id = T_OK(umq_msgget(key, IPC_CREAT | IPC_EXCL | mode));

	if (t_gen_name(t_umq_dir(), id, gen, n))
		T_FAIL("no index entry: %s", strerror(errno));
	return id;
}

/* Queue KEY, made with the mode *arg; its generation in S->gen. */
static void create_key(void *arg)
{
	create_sysv(KEY, *(int *)arg, S->gen, sizeof(S->gen));
}

/* A member of the queue's group may write its control file: it writes
 * a mode that lets everybody in. */
static void forge_mode(void *arg)
{
	(void)arg;
	at_forge_u32(S->gen, offsetof(struct qfile, q.mode), 0666);
}

static void other_is_out(void *arg)
{
	(void)arg;
	sysv_refused("%s/sysv/m.%s", 0);
	sysv_refused("%s/sysv/q.%s", 0);
}

/*
 * The creator owns its files and applies its own IPC_SET; a block that
 * still names it but differs from the files was written by someone
 * else (any user with write access may).  The agent, at start, must not
 * carry such a block to the files: the member would open the queue to
 * every user, which it cannot do by itself.
 */
T_CASE(start_ignores_a_block_forged_by_a_member)
{
	pid_t agent;

	S = t_shared(sizeof(*S));
	at_as(CREATOR, CREATOR, create_key, &(int){ 0660 }, "create");
	at_as(MEMBER, CREATOR, forge_mode, NULL, "forging the mode");
	at_as(OTHER, OTHER, other_is_out, NULL, "before the agent");
	agent = at_start();
	at_as(OTHER, OTHER, other_is_out, NULL, "after the agent started");
	at_stop(agent);
}

/*
 * A request left for the agent's start is a file of its maker's, which
 * the OS says is theirs.  Another user who may write a queue of the
 * creator's (0666) links its data file where a request of the creator's
 * goes, for another queue, the creator's private one; once the creator
 * removed the public queue, that link is the file's only one, and the
 * user writes into it a request to open the private queue to all.  The
 * agent must not take it for the creator's (it did until December 5).
 */
static void create_public_private(void *arg)
{
	(void)arg;
	create_sysv(KEY2, 0666, S->gen2, sizeof(S->gen2));
	create_sysv(KEY, 0600, S->gen, sizeof(S->gen));
}

static void pending_name(char *buf, size_t n)
{
	snprintf(buf, n, "%s/sysv/s.%s.%u", t_umq_dir(), S->gen, CREATOR);
}

/* As that user, in a process that lives on: the link and a descriptor
 * of it, and once the creator removed the queue (the link alone left:
 * the file is mode 0 now, the descriptor still writes), the request. */
static void write_request(int fd)
{
	struct agent_pending pd = {
		.magic = AGENT_PENDING_MAGIC,
		.gen = strtoull(S->gen, NULL, 16),
		.uid = OTHER, .gid = OTHER, .mode = 0666,
	};
	struct stat st;

	for (int i = 0; i < 10000 && !fstat(fd, &st) && st.st_nlink > 1; i++)
		usleep(1000);
	S->written = !fstat(fd, &st) && st.st_nlink == 1 &&
		     !ftruncate(fd, 0) &&
		     pwrite(fd, &pd, sizeof(pd), 0) == (ssize_t)sizeof(pd) ?
		     1 : -1;
	_exit(0);
}

static void link_public(void *arg)
{
	char from[PATH_MAX], to[PATH_MAX];
	int fd;

	(void)arg;
	snprintf(from, sizeof(from), "%s/sysv/m.%s", t_umq_dir(), S->gen2);
	pending_name(to, sizeof(to));
	if (link(from, to))
		t_skip("cannot link the public queue's file: %s (is "
		       "fs.protected_hardlinks on?)", strerror(errno));
	fd = T_OK(open(to, O_WRONLY | O_CLOEXEC));
	if (fork() == 0) {
		alarm(20);
		write_request(fd);
	}
}

static void remove_public(void *arg)
{
	int id = T_OK(umq_msgget(KEY2, 0));

	(void)arg;
	T_OK(umq_msgctl(id, IPC_RMID, NULL));
}

T_CASE(start_ignores_a_request_written_into_a_linked_queue_file)
{
	char path[PATH_MAX];
	struct stat st;
	pid_t agent;

	S = t_shared(sizeof(*S));
	at_as(CREATOR, CREATOR, create_public_private, NULL, "create");
	at_as(OTHER, OTHER, link_public, NULL, "linking");
	at_as(CREATOR, CREATOR, remove_public, NULL, "removing");
	for (int i = 0; i < 15000 && !S->written; i++)
		usleep(1000);
	if (S->written != 1)
		T_FAIL("the request was not written into the linked file");
	pending_name(path, sizeof(path));
	T_OK(stat(path, &st));
	T_EQ(st.st_nlink, 1);
	agent = at_start();
	at_as(OTHER, OTHER, other_is_out, NULL, "after the agent started");
	at_stop(agent);
}

/*
 * The same member, writing the mode while the creator makes an IPC_SET:
 * the files must get the creator's mode, not what the block says a
 * moment later.  The member keeps storing 0666 into the block; the
 * creator sets 0660 again and again, and looks at its store's mode.
 */
static void keep_forging(void *arg)
{
	char path[PATH_MAX];
	struct qfile *f;
	int fd;

	(void)arg;
	sysv_file(path, sizeof(path), "%s/sysv/q.%s");
	fd = T_OK(open(path, O_RDWR | O_CLOEXEC));
	f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	T_ASSERT(f != MAP_FAILED);
	__atomic_store_n(&S->fifo_ok, 1, __ATOMIC_RELEASE);
	for (;;)
		__atomic_store_n(&f->q.mode, 0666u, __ATOMIC_RELAXED);
}

#define SETS 200

static void set_again_and_again(void *arg)
{
	char path[PATH_MAX];
	struct msqid_ds ds;
	struct stat st;
	int id = T_OK(umq_msgget(KEY, 0));

	(void)arg;
	sysv_file(path, sizeof(path), "%s/sysv/m.%s");
	for (int i = 0; i < SETS; i++) {
		T_OK(umq_msgctl(id, IPC_STAT, &ds));
		ds.msg_perm.uid = CREATOR;
		ds.msg_perm.gid = CREATOR;
		ds.msg_perm.mode = 0660;
		T_OK(umq_msgctl(id, IPC_SET, &ds));
		T_OK(stat(path, &st));
		if (st.st_mode & 07)
			T_FAIL("IPC_SET %d of 0660: the store is %04o", i + 1,
			       st.st_mode & 0777);
	}
}

static void race_forger(bool agent)
{
	pid_t forger, a = -1;

	S = t_shared(sizeof(*S));
	at_as(CREATOR, CREATOR, create_key, &(int){ 0660 }, "create");
	if (agent)
		a = at_start();
	forger = fork_as(MEMBER, CREATOR, keep_forging, NULL, 60);
	for (long end = t_now_ms() + 5000;
	     !__atomic_load_n(&S->fifo_ok, __ATOMIC_ACQUIRE); t_msleep(2))
		if (t_now_ms() > end)
			T_FAIL("the forger did not start");
	at_as(CREATOR, CREATOR, set_again_and_again, NULL, "IPC_SET");
	kill(forger, SIGKILL);
	t_reap(forger, 5000);
	if (agent)
		at_stop(a);
}

T_CASE(ipc_set_applies_its_own_mode_not_a_forgers)
{
	race_forger(false);
}

T_CASE(ipc_set_through_the_agent_applies_its_own_mode)
{
	race_forger(true);
}

/* ---- The namespace owner: renames, and the agent's socket --------------- */

/* The namespace as MEMBER would own it, had it made it: the directory,
 * its sticky subdirectories and its files. */
static void give_namespace(uid_t uid)
{
	static const char *const sub[] = { "", "/sysv", "/posix", "/names",
					   "/ns", "/limits" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", t_umq_dir(), sub[i]);
		if (lchown(path, uid, uid) && errno != ENOENT)
			T_FAIL("chown %s: %s", path, strerror(errno));
	}
}


static void create_two(void *arg)
{
	mqd_t q;

	(void)arg;
	q = (mqd_t)T_OK(umq_mq_open("/pub", O_CREAT | O_RDWR, 0666, NULL));
	T_OK(umq_mq_close(q));
	q = (mqd_t)T_OK(umq_mq_open("/priv", O_CREAT | O_RDWR, 0600, NULL));
	T_OK(umq_mq_send(q, "secret", 6, 1));
	T_OK(umq_mq_close(q));
}

/*
 * The namespace owner may rename any entry of posix/ (sticky, its own).
 * It holds a read-write descriptor of a public queue's FIFO, renames
 * that FIFO to the name of the private queue's, and asks the agent for
 * the private queue's file: the same creator made both, so the FIFO's
 * owner matches the file's.  Holding a FIFO proves nothing about a file
 * the FIFO is not the queue of.
 */
static void steal_by_rename(void *arg)
{
	char pub[PATH_MAX], priv[PATH_MAX], aside[PATH_MAX];
	int fifo, got, r;

	(void)arg;
	pq_refused(S->priv, "", 0);
	pq_file(pub, sizeof(pub), S->pub, ".p");
	fifo = T_OK(open(pub, O_RDWR | O_NONBLOCK | O_CLOEXEC));
	pq_file(priv, sizeof(priv), S->priv, ".p");
	pq_file(aside, sizeof(aside), S->priv, ".aside");
	T_OK(rename(priv, aside));
	T_OK(rename(pub, priv));
	r = at_ask(AGENT_OPEN_POSIX, S->priv, fifo, &got, NULL);
	if (got >= 0) {
		close(got);
		T_FAIL("the agent gave the private queue's file (%d)", r);
	}
	T_EQ(r, -EBADF);
	close(fifo);
}

T_CASE(namespace_owner_gets_no_queue_by_renaming_its_fifo)
{
	pid_t agent;

	S = t_shared(sizeof(*S));
	give_namespace(MEMBER);
	at_as(CREATOR, CREATOR, create_two, NULL, "create");
	S->pub = at_gen_of("pub");
	S->priv = at_gen_of("priv");
	agent = at_start();
	at_as(MEMBER, MEMBER, steal_by_rename, NULL, "renaming");
	at_stop(agent);
}

/*
 * The same owner of the namespace, handed a System V queue of the user
 * who also has a private one: it writes the other queue's generation
 * (and mode 0666) into its own queue's block, renames that control file
 * to the private queue's name, and asks the agent, as the recorded owner
 * of the control file found there, to apply it.  The private queue's
 * store and FIFO must not change.
 */

struct two_sysv {
	int mine, priv;			/* umq ids */
	char gmine[32], gpriv[32];
};

static void create_and_hand_over(void *arg)
{
	struct two_sysv *t = arg;
	struct msqid_ds ds;
	struct { long type; char text[8]; } m = { 1, "secret" };

	t->mine = create_sysv(KEY, 0600, t->gmine, sizeof(t->gmine));
	t->priv = create_sysv(KEY2, 0600, t->gpriv, sizeof(t->gpriv));
	T_OK(umq_msgsnd(t->priv, &m, sizeof(m.text), 0));
	T_OK(umq_msgctl(t->mine, IPC_STAT, &ds));
	ds.msg_perm.uid = MEMBER;
	T_OK(umq_msgctl(t->mine, IPC_SET, &ds));
}

static void steal_sysv_by_rename(void *arg)
{
	struct two_sysv *t = arg;
	char mine[PATH_MAX], priv[PATH_MAX], aside[PATH_MAX + 8];
	uint64_t gen = strtoull(t->gpriv, NULL, 16);
	uint32_t mode = 0666;
	int fd, r;

	snprintf(priv, sizeof(priv), "%s/sysv/m.%s", t_umq_dir(), t->gpriv);
	refused(priv, 0);
	snprintf(mine, sizeof(mine), "%s/sysv/q.%s", t_umq_dir(), t->gmine);
	fd = T_OK(open(mine, O_RDWR | O_CLOEXEC));
	T_EQ(pwrite(fd, &gen, sizeof(gen), offsetof(struct qfile, q.gen)),
	     sizeof(gen));
	T_EQ(pwrite(fd, &mode, sizeof(mode), offsetof(struct qfile, q.mode)),
	     sizeof(mode));
	close(fd);
	snprintf(priv, sizeof(priv), "%s/sysv/q.%s", t_umq_dir(), t->gpriv);
	snprintf(aside, sizeof(aside), "%s.aside", priv);
	T_OK(rename(priv, aside));
	T_OK(rename(mine, priv));
	r = at_ask(AGENT_SYNC_SYSV, gen, -1, NULL, NULL);
	snprintf(priv, sizeof(priv), "%s/sysv/m.%s", t_umq_dir(), t->gpriv);
	fd = open(priv, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		T_FAIL("the private queue's store opened (agent: %d)", r);
	}
	T_EQ(errno, EACCES);
}

T_CASE(namespace_owner_gets_no_sysv_queue_by_renaming_a_control_file)
{
	struct two_sysv *t = t_shared(sizeof(*t));
	pid_t agent;

	give_namespace(MEMBER);
	agent = at_start();
	at_as(CREATOR, CREATOR, create_and_hand_over, t, "create");
	at_as(MEMBER, MEMBER, steal_sysv_by_rename, t, "renaming");
	at_stop(agent);
}

/*
 * The owner of the namespace owns sysv/, and may give it a default ACL,
 * which every file made there inherits: an entry for itself, with
 * execute, is what the files' record of an owner looks like (envelope.c).
 * The agent must not take it for one, nor may it let the namespace's
 * owner into the queue.
 */
static void set_default_acl(void *arg)
{
	struct {
		struct posix_acl_xattr_header h;
		struct posix_acl_xattr_entry e[5];
	} acl = { { POSIX_ACL_XATTR_VERSION }, {
		{ ACL_USER_OBJ, 7, ACL_UNDEFINED_ID },
		{ ACL_USER, 7, MEMBER },
		{ ACL_GROUP_OBJ, 7, ACL_UNDEFINED_ID },
		{ ACL_MASK, 7, ACL_UNDEFINED_ID },
		{ ACL_OTHER, 7, ACL_UNDEFINED_ID },
	} };
	char path[PATH_MAX];

	(void)arg;
	snprintf(path, sizeof(path), "%s/sysv", t_umq_dir());
	if (setxattr(path, "system.posix_acl_default", &acl, sizeof(acl), 0))
		_exit(T_EXIT_SKIP);
	snprintf(path, sizeof(path), "%s/posix", t_umq_dir());
	T_OK(setxattr(path, "system.posix_acl_default", &acl, sizeof(acl), 0));
}


static void ask_open_to_all(void *arg)
{
	struct agent_req req = { .magic = AGENT_MAGIC, .op = AGENT_SYNC_SYSV,
				 .gen = strtoull(S->gen, NULL, 16),
				 .uid = CREATOR, .gid = CREATOR, .mode = 0666 };
	struct agent_rep rep = { 0 };
	char path[PATH_MAX];
	int c = agent_conn(), fd;

	(void)arg;
	T_EQ(send(c, &req, sizeof(req), 0), sizeof(req));
	T_EQ(recv(c, &rep, sizeof(rep), 0), sizeof(rep));
	close(c);
	sysv_file(path, sizeof(path), "%s/sysv/m.%s");
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		T_FAIL("the namespace's owner opened a 0600 queue's store "
		       "(agent: %d)", rep.err);
	}
	T_EQ(errno, EACCES);
}

/* A queue open to its group: the inherited entry, masked by the group
 * bits, let the namespace's owner in without any agent. */
static void create_for_group(void *arg)
{
	mqd_t q;

	(void)arg;
	q = (mqd_t)T_OK(umq_mq_open("/grp", O_CREAT | O_RDWR, 0660, NULL));
	T_OK(umq_mq_close(q));
	create_sysv(KEY2, 0660, S->gen, sizeof(S->gen));
}

/* Under a default ACL the OS does not apply the umask: the creator's
 * 077 must still take other users' bits off a POSIX queue's mode, as
 * the kernel's mq_open does. */
static void create_with_umask(void *arg)
{
	mqd_t q;

	(void)arg;
	umask(077);
	q = (mqd_t)T_OK(umq_mq_open("/um", O_CREAT | O_RDWR, 0666, NULL));
	T_OK(umq_mq_close(q));
}

static void other_refused(void *arg)
{
	(void)arg;
	T_ERR(umq_mq_open("/um", O_RDWR), EACCES);
}

static void not_in_the_group(void *arg)
{
	(void)arg;
	sysv_refused("%s/sysv/m.%s", 0);
	sysv_refused("%s/sysv/m.%s.p", O_NONBLOCK);
	pq_refused(S->pub, "", 0);
	pq_refused(S->pub, ".p", O_NONBLOCK);
}

T_CASE(namespace_owner_default_acl_records_no_owner)
{
	pid_t agent;

	S = t_shared(sizeof(*S));
	give_namespace(MEMBER);
	at_as(MEMBER, MEMBER, set_default_acl, NULL, "default ACL");
	at_as(CREATOR, CREATOR, create_for_group, NULL, "create 0660");
	S->pub = at_gen_of("grp");
	at_as(MEMBER, MEMBER, not_in_the_group, NULL, "opening");
	at_as(CREATOR, CREATOR, create_with_umask, NULL, "create, umask 077");
	at_as(OTHER, OTHER, other_refused, NULL, "opening by name");
	agent = at_start();
	at_as(CREATOR, CREATOR, create_key, &(int){ 0600 }, "create 0600");
	at_as(MEMBER, MEMBER, ask_open_to_all, NULL, "asking");
	at_stop(agent);
}

/*
 * The agent binds <namespace>/agent, then makes it 0666 by its name:
 * the namespace owner may replace any entry of its directory, with a
 * symlink too, and root's chmod then follows it.  The owner keeps
 * putting a symlink to a file of root's in place while the agent
 * starts; that file must keep its mode.
 */
static void swap_in_symlink(void *arg)
{
	const char *target = arg;
	char tmp[PATH_MAX], sock[PATH_MAX];
	char ev[4096] __attribute__((aligned(8)));
	int in = inotify_init1(IN_CLOEXEC);

	snprintf(tmp, sizeof(tmp), "%s/agent.tmp", t_umq_dir());
	snprintf(sock, sizeof(sock), "%s/agent", t_umq_dir());
	if (in < 0 || inotify_add_watch(in, t_umq_dir(), IN_CREATE) < 0)
		_exit(T_EXIT_FAIL);
	for (;;) {
		if (symlink(target, tmp) && errno != EEXIST)
			_exit(T_EXIT_FAIL);
		/* The agent's bind made its socket: in its place at once. */
		ssize_t n = read(in, ev, sizeof(ev));
		for (ssize_t o = 0; o < n;) {
			const struct inotify_event *e = (void *)(ev + o);

			if (e->len && !strcmp(e->name, "agent"))
				rename(tmp, sock);
			o += (ssize_t)(sizeof(*e) + e->len);
		}
	}
}

/* One start of the agent, stopped after ms. */
static void agent_flash(int ms)
{
	pid_t pid = at_spawn_quiet();

	t_msleep(ms);
	kill(pid, SIGTERM);
	t_reap(pid, 5000);
}

#define FLASHES 300

T_CASE(agent_start_chmods_nothing_of_the_namespace_owners)
{
	char target[PATH_MAX];
	struct stat st;
	pid_t swapper;
	int i;

	snprintf(target, sizeof(target), "%s/roots", t_umq_dir());
	close(T_OK(open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)));
	give_namespace(MEMBER);
	swapper = fork_as(MEMBER, MEMBER, swap_in_symlink, target, 60);
	for (i = 0; i < FLASHES; i++) {
		agent_flash(3);
		T_OK(stat(target, &st));
		if ((st.st_mode & 0777) != 0600)
			break;
	}
	kill(swapper, SIGKILL);
	t_reap(swapper, 5000);
	if (i < FLASHES)
		T_FAIL("root's file made %04o at the agent's start %d",
		       st.st_mode & 0777, i + 1);
}

/* ---- Descriptors passed to the agent ------------------------------------ */

/*
 * Any user may pass the agent descriptors, which it closes.  A TCP
 * socket whose peer reads nothing, with unsent data and SO_LINGER set,
 * makes the last close wait for the linger time: the agent, one request
 * at a time, must not.
 */
static int lingering_socket(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct linger lg = { 1, 30 };
	socklen_t len = sizeof(sa);
	static char junk[65536];
	int l = T_OK(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	int s = T_OK(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	int small = 4096;

	/* Listening, never accepting nor reading: the window closes. */
	T_OK(setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	T_OK(bind(l, (struct sockaddr *)&sa, sizeof(sa)));
	T_OK(getsockname(l, (struct sockaddr *)&sa, &len));
	T_OK(listen(l, 1));
	T_OK(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)));
	T_OK(connect(s, (struct sockaddr *)&sa, sizeof(sa)));
	T_OK(fcntl(s, F_SETFL, O_NONBLOCK));
	for (long end = t_now_ms() + 5000; t_now_ms() < end;)
		if (send(s, junk, sizeof(junk), MSG_NOSIGNAL) < 0 &&
		    errno == EAGAIN) {
			t_msleep(50);	/* in flight, acknowledged or not */
			if (send(s, junk, sizeof(junk), MSG_NOSIGNAL) < 0 &&
			    errno == EAGAIN)
				break;
		}
	T_OK(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	/* The listener stays open (in this process): the peer lives. */
	return s;
}

static int agent_conn(void)
{
	struct timeval tv = { 2, 0 };
	struct sockaddr_un sa;
	int fd = T_OK(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));

	at_path(&sa);
	T_OK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	T_OK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
	return fd;
}

/* A request passing fd, which this process then closes: the agent's is
 * the last reference. */
static void send_req_giving(int c, uint32_t op, uint64_t gen, int fd)
{
	struct agent_req req = { .magic = AGENT_MAGIC, .op = op, .gen = gen };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm = { { 0 } };
	struct iovec iov = { &req, sizeof(req) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cm.buf,
			     .msg_controllen = sizeof(cm.buf) };
	struct cmsghdr *h = CMSG_FIRSTHDR(&mh);

	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof(int));
	T_EQ(sendmsg(c, &mh, 0), sizeof(req));
	close(fd);
}

/* The agent, past what held it, answers the next request: no queue 1
 * (-ENOENT), where a hung agent would not answer at all. */
static void next_request_answered(void)
{
	long t0 = t_now_ms();
	int r = at_ask(AGENT_SYNC_SYSV, 1, -1, NULL, NULL);

	if (r == 1)
		T_FAIL("the agent did not answer the next request (%ld ms)",
		       t_now_ms() - t0);
	T_EQ(r, -ENOENT);
}

struct linger_case {
	pid_t agent;
	int sent;
	int how;		/* 0: with the request, 1: after it */
};

static void pass_lingering(void *arg)
{
	struct linger_case *lc = arg;
	int s = lingering_socket(), c;

	/* The agent stopped meanwhile, so that ours is closed before it
	 * takes the request: its close is then the last. */
	c = agent_conn();
	if (lc->how == 0) {
		/* A request that takes no descriptor: the agent closes it
		 * unused. */
		send_req_giving(c, AGENT_SYNC_SYSV, 1, s);
	} else {
		/* Or a request, and then a message the agent never reads,
		 * carrying it: closing the connection releases it. */
		T_EQ(send(c, &(struct agent_req){ .magic = AGENT_MAGIC,
			  .op = AGENT_SYNC_SYSV, .gen = 1 },
			  sizeof(struct agent_req), 0),
		     sizeof(struct agent_req));
		send_req_giving(c, AGENT_SYNC_SYSV, 1, s);
	}
	__atomic_store_n(&lc->sent, 1, __ATOMIC_RELEASE);
	close(c);
	t_msleep(300);
	next_request_answered();
}

static void cont_when_sent(void *arg)
{
	struct linger_case *lc = arg;

	for (long end = t_now_ms() + 10000;
	     !__atomic_load_n(&lc->sent, __ATOMIC_ACQUIRE); t_msleep(2))
		if (t_now_ms() > end)
			break;
	kill(lc->agent, SIGCONT);
}

static void linger_case(int how)
{
	struct linger_case *lc = t_shared(sizeof(*lc));
	pid_t cont;

	lc->how = how;
	lc->agent = at_start();
	T_OK(kill(lc->agent, SIGSTOP));
	cont = t_spawn_alarm(cont_when_sent, lc, 30);
	at_as(OTHER, OTHER, pass_lingering, lc, "passing a socket");
	t_reap(cont, 5000);
	at_stop(lc->agent);
}

T_CASE(agent_closing_a_passed_socket_does_not_hang)
{
	linger_case(0);
}

T_CASE(agent_closing_a_connection_with_a_socket_queued_does_not_hang)
{
	linger_case(1);
}

/*
 * A user's connections past the ones being served for it are not
 * served: closed by the agent itself, what a message queued on one
 * carries would be released in the agent.  The user fills its share
 * with idle connections (their children stopped here, so that they stay
 * counted), then queues a lingering socket on one more connection.
 */
struct over_case {
	pid_t agent;
	int step;		/* 1: connected, 2: all stopped, 3: sent */
};

#define SHARE 8			/* agent/main.c MAX_PER_UID */

static void fill_share_then_queue(void *arg)
{
	struct over_case *oc = arg;
	int s = lingering_socket(), c[SHARE + 1];

	for (int i = 0; i < SHARE; i++)
		c[i] = agent_conn();
	__atomic_store_n(&oc->step, 1, __ATOMIC_RELEASE);
	for (long end = t_now_ms() + 5000;
	     __atomic_load_n(&oc->step, __ATOMIC_ACQUIRE) < 2; t_msleep(1))
		if (t_now_ms() > end)
			T_FAIL("never stopped");
	c[SHARE] = agent_conn();
	send_req_giving(c[SHARE], AGENT_SYNC_SYSV, 1, s);
	__atomic_store_n(&oc->step, 3, __ATOMIC_RELEASE);
	t_msleep(3000);		/* the peers of the sockets live on */
}

/* The agent's children, into pids: how many. */
static int children_of(pid_t parent, pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	T_ASSERT(d);
	while ((e = readdir(d)) && n < max) {
		char path[300], buf[512], *p;
		int fd, ppid;
		ssize_t len;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = 0;
		p = strrchr(buf, ')');
		if (p && sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == parent)
			pids[n++] = atoi(e->d_name);
	}
	closedir(d);
	return n;
}

static void wait_step(struct over_case *oc, int step)
{
	for (long end = t_now_ms() + 5000;
	     __atomic_load_n(&oc->step, __ATOMIC_ACQUIRE) < step; t_msleep(1))
		if (t_now_ms() > end)
			T_FAIL("the user did not reach step %d", step);
}

T_CASE(agent_closes_no_connection_with_a_socket_queued)
{
	struct over_case *oc = t_shared(sizeof(*oc));
	pid_t pids[SHARE * 2], att;
	int n = 0;

	oc->agent = at_start();
	att = fork_as(OTHER, OTHER, fill_share_then_queue, oc, 30);
	wait_step(oc, 1);
	for (long end = t_now_ms() + 150; n < SHARE && t_now_ms() < end;
	     t_msleep(1))
		n = children_of(oc->agent, pids, SHARE * 2);
	if (n < SHARE)
		T_FAIL("%d children for %d connections", n, SHARE);
	T_OK(kill(oc->agent, SIGSTOP));
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGSTOP);
	__atomic_store_n(&oc->step, 2, __ATOMIC_RELEASE);
	wait_step(oc, 3);
	T_OK(kill(oc->agent, SIGCONT));
	t_msleep(50);
	next_request_answered();
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGCONT);
	kill(att, SIGKILL);
	t_reap(att, 5000);
	at_stop(oc->agent);
}

/*
 * Any user may connect and send nothing.  Each such connection may hold
 * the agent 200 ms, and one at a time five of them make every request
 * behind them wait past the library's 1 s: the library then leaves the
 * files as they were (a revoked group keeps its access).  A user keeps
 * opening idle connections; others' requests must still be answered.
 */
static void keep_connecting(void *arg)
{
	struct sockaddr_un sa;
	int held[64], n = 0;

	(void)arg;
	for (int i = 0; i < 64; i++)
		held[i] = -1;
	at_path(&sa);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
				SOCK_CLOEXEC, 0);

		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa,
				       sizeof(sa)) && errno != EAGAIN) {
			close(fd);
			fd = -1;
		}
		if (n == 64)	/* each kept for about a second */
			n = 0;
		if (held[n] >= 0)
			close(held[n]);
		held[n++] = fd;
		t_msleep(15);
	}
}

T_CASE(agent_answers_while_a_user_holds_idle_connections)
{
	pid_t agent = at_start(), idler;

	idler = fork_as(OTHER, OTHER, keep_connecting, NULL, 60);
	t_msleep(500);
	for (int i = 0; i < 5; i++) {
		long t0 = t_now_ms();
		int r = at_ask(AGENT_SYNC_SYSV, 1, -1, NULL, NULL);
		long ms = t_now_ms() - t0;

		if (r == 1 || ms > 500)
			T_FAIL("request %d: %s after %ld ms", i + 1,
			       r == 1 ? "no answer" : "answered", ms);
		T_EQ(r, -ENOENT);
		t_msleep(100);
	}
	kill(idler, SIGKILL);
	t_reap(idler, 5000);
	at_stop(agent);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
