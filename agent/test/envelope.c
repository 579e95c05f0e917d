/* SPDX-License-Identifier: MIT */
/*
 * envelope.c - who the OS lets open a System V queue's files, against who
 * the kernel lets use the same queue, after each IPC_SET (DESIGN §6).
 *
 * Every step is made on the kernel and on umq (through libumq.so) by the
 * same user; then each probe user, a fresh process of its own, asks the
 * kernel (msgget with read, then write) and opens umq's files by hand.
 * Exact: a user opens the files if and only if the kernel grants it read
 * or write, or it is the creator or the owner (who may IPC_SET itself in
 * anyway, as the creator could chmod the files).  Wide: everybody opens them - what a queue handed to
 * another owner gets when no agent serves the namespace.
 */
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "at.h"
#include "internal.h"
#include "t.h"
#include "umq.h"

#define CREATOR	2001	/* and its group */
#define OWNER	2002
#define GROUP	3000	/* a group handed over */
#define KEY	0x6e760001

static const struct user {
	uid_t uid;
	gid_t gid;
	const char *who;
	gid_t supp;		/* a supplementary group, or 0 */
} probes[] = {
	{ CREATOR, CREATOR, "creator", 0 },
	{ OWNER, OWNER, "owner", 0 },
	{ 2003, CREATOR, "member of the creator's group", 0 },
	{ 2004, GROUP, "member of the queue's group", 0 },
	{ 2005, 2005, "other", 0 },
	/* Both the kernel (in_group_p) and the ACL's group entries look at
	 * supplementary groups too. */
	{ 2006, 2006, "supplementary member of the creator's group",
	  CREATOR },
	{ 2007, 2007, "supplementary member of the queue's group", GROUP },
	{ OWNER, OWNER, "owner, supplementary member of the queue's group",
	  GROUP },
};

enum reach { EXACT, WIDE };

struct q {
	int kid, uid;			/* kernel's and umq's ids */
	char gen[32];
	uid_t set_uid;			/* the IPC_SET of set_perm() */
	gid_t set_gid;
	unsigned set_mode;
	enum reach reach;		/* what probe() expects */
	int wrong;			/* probes that found otherwise */
	int fake_requests;		/* fake agent: requests it got */
	bool quiet;			/* a mismatch is expected */
};

static struct q *Q;

static void use_ns(void)
{
	if (umq_ns_use(t_umq_dir()))
		T_FAIL("umq_ns_use: %s", strerror(errno));
}

static void create(void *arg)
{
	(void)arg;
	use_ns();
	Q->kid = T_OK(t_k_msgget(KEY, IPC_CREAT | IPC_EXCL | 0600));
	Q->uid = T_OK(umq_msgget(KEY, IPC_CREAT | IPC_EXCL | 0600));
	if (t_gen_name(t_umq_dir(), Q->uid, Q->gen, sizeof(Q->gen)))
		T_FAIL("no index entry: %s", strerror(errno));
}

static void set_one(int (*ctl)(int, int, struct msqid_ds *), int id)
{
	struct msqid_ds ds;

	/* MSG_STAT_ANY: the caller may have no read permission. */
	T_OK(ctl(id & 0x7fff, MSG_STAT_ANY, &ds));
	ds.msg_perm.uid = Q->set_uid;
	ds.msg_perm.gid = Q->set_gid;
	ds.msg_perm.mode = (unsigned short)Q->set_mode;
	T_OK(ctl(id, IPC_SET, &ds));
}

static void set_perm_child(void *arg)
{
	(void)arg;
	use_ns();
	set_one(t_k_msgctl, Q->kid);
	set_one(umq_msgctl, Q->uid);
}

/* As user `by`, IPC_SET owner uid, group gid, mode on both queues, in
 * child (set_perm_child or one that sets them otherwise). */
static void set_perm_in(void (*child)(void *), const char *what, uid_t by,
			gid_t bygid, uid_t uid, gid_t gid, unsigned mode)
{
	Q->set_uid = uid;
	Q->set_gid = gid;
	Q->set_mode = mode;
	at_as(by, bygid, child, NULL, what);
}

static void set_perm(uid_t by, gid_t bygid, uid_t uid, gid_t gid,
		     unsigned mode)
{
	set_perm_in(set_perm_child, "IPC_SET", by, bygid, uid, gid, mode);
}

static bool opens(const char *fmt, int flags)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), fmt, t_umq_dir(), Q->gen);
	fd = open(path, flags | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

static void probe_child(void *arg)
{
	const struct user *u = arg;
	bool k = t_k_msgget(KEY, 0400) >= 0 || t_k_msgget(KEY, 0200) >= 0;
	bool want = Q->reach == WIDE || k || u->uid == CREATOR ||
		    u->uid == Q->set_uid;
	bool store = opens("%s/sysv/m.%s", O_RDWR);
	bool ctl = opens("%s/sysv/q.%s", O_RDWR);
	bool fifo = opens("%s/sysv/m.%s.p", O_RDWR | O_NONBLOCK);

	if ((store != want || ctl != want || fifo != want) && !Q->quiet) {
		fprintf(stderr, "#   %s (uid %d), mode %04o: kernel grants "
			"%s; opens store %d, control %d, FIFO %d (expected "
			"%d)\n", u->who, (int)u->uid, Q->set_mode,
			k ? "access" : "nothing", store, ctl, fifo, want);
	}
	if (store != want || ctl != want || fifo != want)
		__atomic_add_fetch(&Q->wrong, 1, __ATOMIC_SEQ_CST);
	/* The control block stays readable by all (MSG_STAT_ANY). */
	if (!opens("%s/sysv/q.%s", O_RDONLY))
		T_FAIL("%s cannot read the control file", u->who);
}

static int probe_run(enum reach reach)
{
	Q->reach = reach;
	Q->wrong = 0;
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		const struct user *u = &probes[i];
		int rc = t_as_user_groups(u->uid, u->gid, u->supp ? 1 : 0,
					  &u->supp,
					  (void (*)(void *))probe_child,
					  (void *)u);
		if (rc == T_EXIT_SKIP)
			t_skip("cannot become %d", (int)probes[i].uid);
		if (rc != T_EXIT_PASS)
			T_FAIL("probe as %s failed", probes[i].who);
	}
	return Q->wrong;
}

#define PROBE(reach, what)						\
	do {								\
		if (probe_run(reach))					\
			T_FAIL("%s: the files admit other users than "	\
			       "the kernel (above)", what);		\
	} while (0)

static void setup(void)
{
	Q = t_shared(sizeof(*Q));
	at_as(CREATOR, CREATOR, create, NULL, "create");
	PROBE(EXACT, "new queue, mode 0600");
}

/* setup(), an agent started, and the queue handed over by its creator
 * to OWNER, group gid, mode: the agent. */
static pid_t setup_handed_over(gid_t gid, unsigned mode, const char *what)
{
	pid_t agent;

	setup();
	agent = at_start();
	set_perm(CREATOR, CREATOR, OWNER, gid, mode);
	PROBE(EXACT, what);
	return agent;
}

/* ---- Cases --------------------------------------------------------------- */

/* With the creator as owner, the creator (or root) makes every IPC_SET
 * and can set an ACL: a group handed over is exact without an agent. */
T_CASE(group_handoff_exact_without_agent)
{
	static const unsigned modes[] = { 0660, 0606, 0066, 0640, 0000 };

	setup();
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		set_perm(CREATOR, CREATOR, CREATOR, GROUP, modes[i]);
		PROBE(EXACT, "group handed over");
	}
	set_perm(CREATOR, CREATOR, CREATOR, CREATOR, 0620);
	PROBE(EXACT, "group handed back");
	set_perm(0, 0, CREATOR, GROUP, 0604);
	PROBE(EXACT, "group handed over by root");
}

/*
 * Without /proc (a chroot, a container that does not mount it) the files
 * follow the creator's IPC_SET all the same: a narrowed mode must close
 * them to the users it no longer admits.
 */
static void set_perm_without_proc(void *arg)
{
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("none", "/proc", "tmpfs", 0, NULL))
		_exit(T_EXIT_SKIP);
	if (setgroups(0, NULL) || setgid(CREATOR) || setuid(CREATOR))
		_exit(T_EXIT_SKIP);
	T_ERR(access("/proc/self", F_OK), ENOENT);
	set_perm_child(arg);
}

T_CASE(creator_ipc_set_without_proc)
{
	pid_t pid;
	int st;

	setup();
	set_perm(CREATOR, CREATOR, CREATOR, CREATOR, 0666);
	PROBE(EXACT, "opened to all");
	Q->set_mode = 0600;
	pid = t_spawn_alarm(set_perm_without_proc, NULL, 30);
	st = t_reap(pid, 30000);
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_SKIP)
		t_skip("cannot hide /proc");
	t_exited_ok(pid, st, "IPC_SET without /proc");
	PROBE(EXACT, "closed again without /proc");
}

/*
 * With no descriptor left below the soft limit (the hard one higher),
 * the library's calls that need none on the kernel still work, System
 * V's all (src/fds.c): an IPC_SET's files follow it all the same.
 */
static void set_perm_no_fd_child(void *arg)
{
	struct rlimit rl;
	int low = dup(0);

	(void)arg;
	use_ns();
	T_ASSERT(low >= 0);
	close(low);
	T_OK(getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_max <= (rlim_t)low + 8)
		_exit(T_EXIT_SKIP);
	set_one(t_k_msgctl, Q->kid);
	rl.rlim_cur = (rlim_t)low;	/* every number below is taken */
	T_OK(setrlimit(RLIMIT_NOFILE, &rl));
	T_ERR(dup(0), EMFILE);
	set_one(umq_msgctl, Q->uid);
}

/* set_perm, umq's IPC_SET made with no descriptor left. */
static void set_perm_no_fd(uid_t by, gid_t bygid, uid_t uid, gid_t gid,
			   unsigned mode)
{
	set_perm_in(set_perm_no_fd_child, "IPC_SET, no descriptor", by, bygid,
		    uid, gid, mode);
}

T_CASE(ipc_set_with_no_descriptor_left)
{
	pid_t agent;

	setup();
	set_perm(CREATOR, CREATOR, CREATOR, CREATOR, 0666);
	PROBE(EXACT, "opened to all");
	set_perm_no_fd(CREATOR, CREATOR, CREATOR, CREATOR, 0600);
	PROBE(EXACT, "closed by the creator with no descriptor left");
	agent = at_start();
	set_perm(CREATOR, CREATOR, OWNER, CREATOR, 0666);
	PROBE(EXACT, "handed over, opened to all");
	set_perm_no_fd(OWNER, OWNER, OWNER, CREATOR, 0600);
	PROBE(EXACT, "closed by the owner with no descriptor left");
	at_stop(agent);
}

/* The owner handed over cannot chmod the creator's files: without an
 * agent the files must admit whatever that owner may later set. */
T_CASE(owner_handoff_wide_without_agent)
{
	setup();
	set_perm(CREATOR, CREATOR, OWNER, CREATOR, 0600);
	PROBE(WIDE, "owner handed over");
	set_perm(OWNER, OWNER, OWNER, GROUP, 0660);
	PROBE(WIDE, "mode set by the new owner");
	set_perm(OWNER, OWNER, CREATOR, CREATOR, 0600);
	PROBE(WIDE, "handed back by the new owner (cannot chmod)");
	set_perm(CREATOR, CREATOR, CREATOR, CREATOR, 0600);
	PROBE(EXACT, "mode set by the creator again");
}

/* With the agent, every IPC_SET, whoever makes it, leaves the files
 * admitting exactly the kernel's users. */
T_CASE(owner_handoff_exact_with_agent)
{
	static const unsigned modes[] = { 0600, 0606, 0660, 0066, 0000 };
	pid_t agent;

	agent = setup_handed_over(CREATOR, 0600, "owner handed over");
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		set_perm(OWNER, OWNER, OWNER, GROUP, modes[i]);
		PROBE(EXACT, "mode set by the new owner");
	}
	set_perm(OWNER, OWNER, 2005, 2005, 0640);
	PROBE(EXACT, "handed on by the new owner");
	set_perm(CREATOR, CREATOR, CREATOR, CREATOR, 0600);
	PROBE(EXACT, "taken back by the creator");
	set_perm(0, 0, OWNER, GROUP, 0604);
	PROBE(EXACT, "handed over by root");
	at_stop(agent);
}

/* Changes the new owner made while no agent ran reach the files when
 * one starts. */
T_CASE(agent_start_applies_changes_made_without_it)
{
	pid_t agent;

	agent = setup_handed_over(CREATOR, 0600, "owner handed over");
	at_stop(agent);
	set_perm(OWNER, OWNER, OWNER, GROUP, 0606);
	Q->quiet = true;
	T_ASSERT(probe_run(EXACT) > 0);	/* the files could not follow */
	Q->quiet = false;
	agent = at_start();
	PROBE(EXACT, "after the agent started");
	at_stop(agent);
}

/*
 * While no agent runs, a user with write access may write a block that
 * still names the recorded owner, with another mode: the agent's start
 * applies only changes an owner left (sysv/s.<gen>.<uid>, its own file),
 * never the block.
 */
static void forge_mode_0666(void *arg)
{
	(void)arg;
	at_forge_u32(Q->gen, offsetof(struct qfile, q.mode), 0666);
}

T_CASE(agent_start_ignores_a_block_forged_with_the_recorded_owner)
{
	pid_t agent;

	agent = setup_handed_over(GROUP, 0660, "owner and group handed over");
	at_stop(agent);
	at_as(2004, GROUP, forge_mode_0666, NULL, "forging the mode");
	agent = at_start();
	PROBE(EXACT, "after the agent started");	/* the kernel's 0660 */
	at_stop(agent);
}

/*
 * A user with write access can write anything into the control block,
 * its owner too: the agent believes the files' record of the owner, not
 * the block, so that user is refused and the files stay as they were.
 */
static void forge_and_ask(void *arg)
{
	(void)arg;
	at_forge_u32(Q->gen, offsetof(struct qfile, q.uid),
		     (uint32_t)getuid());
	T_EQ(at_ask(AGENT_SYNC_SYSV, strtoull(Q->gen, NULL, 16), -1, NULL,
		    NULL), -EPERM);
}

static void creator_asks(void *arg)
{
	(void)arg;
	T_EQ(at_ask(AGENT_SYNC_SYSV, strtoull(Q->gen, NULL, 16), -1, NULL,
		    NULL), 0);
}

T_CASE(agent_believes_the_files_not_the_block)
{
	pid_t agent;

	agent = setup_handed_over(GROUP, 0660, "owner and group handed over");
	at_as(2004, GROUP, forge_and_ask, NULL, "forging the owner");
	Q->reach = EXACT;
	/* The kernel's queue is not forged: the probes still agree. */
	PROBE(EXACT, "after a refused request");
	/* The creator may: the block, forged owner and all, is applied. */
	at_as(CREATOR, CREATOR, creator_asks, NULL, "asking as the creator");
	at_stop(agent);
}

/*
 * Anyone can bind <namespace>/agent before the real one starts.  The
 * library believes only root at the other end, so such a socket gets no
 * request and the files are as without an agent.
 */
struct fake {
	int ready;
	char path[108];		/* where it listens */
	uid_t uid;		/* as whom (0: root) */
};

static void fake_agent(void *arg)
{
	struct fake *f = arg;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	alarm(60);
	if (f->uid && (setgid(f->uid) || setuid(f->uid)))
		_exit(T_EXIT_SKIP);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	T_OK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	T_OK(chmod(sa.sun_path, 0666));
	T_OK(listen(fd, 8));
	__atomic_store_n(&f->ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		struct agent_rep rep = { AGENT_MAGIC, 0, 0 };
		char req[64];
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			continue;
		if (recv(c, req, sizeof(req), 0) > 0) {
			__atomic_add_fetch(&Q->fake_requests, 1,
					   __ATOMIC_SEQ_CST);
			send(c, &rep, sizeof(rep), MSG_NOSIGNAL);
		}
		close(c);
	}
}

/* The hand-over and a change by the new owner with f listening: the
 * library sends it nothing, and the files are as without an agent. */
static void hand_over_beside(struct fake *f)
{
	pid_t fake = t_spawn(fake_agent, f);

	for (long end = t_now_ms() + 5000;
	     !__atomic_load_n(&f->ready, __ATOMIC_ACQUIRE); t_msleep(2))
		if (t_now_ms() > end)
			T_FAIL("the fake agent did not start");
	set_perm(CREATOR, CREATOR, OWNER, CREATOR, 0600);
	PROBE(WIDE, "owner handed over, a fake agent listening");
	set_perm(OWNER, OWNER, OWNER, OWNER, 0600);
	PROBE(WIDE, "mode set by the new owner, a fake agent listening");
	T_EQ(Q->fake_requests, 0);
	t_reap(fake, 0);
}

/* Anyone can bind <namespace>/agent while no agent runs: the library
 * believes only root at the other end. */
T_CASE(agent_socket_of_another_user_ignored)
{
	struct fake *f;
	struct sockaddr_un sa;

	setup();
	f = t_shared(sizeof(*f));
	at_path(&sa);
	snprintf(f->path, sizeof(f->path), "%s", sa.sun_path);
	f->uid = 2005;
	hand_over_beside(f);
}

/* Or put a symlink there to a socket of another root process: the
 * library connects only to a socket of root's at that very name. */
static void link_to_fake(void *arg)
{
	struct sockaddr_un sa;

	if (setgid(2005) || setuid(2005))
		_exit(T_EXIT_SKIP);
	at_path(&sa);
	T_OK(symlink(((struct fake *)arg)->path, sa.sun_path));
}

T_CASE(agent_symlink_to_another_root_socket_ignored)
{
	struct fake *f;

	setup();
	f = t_shared(sizeof(*f));
	snprintf(f->path, sizeof(f->path), "/tmp/umq-fake.%d", (int)getpid());
	unlink(f->path);
	at_as(2005, 2005, link_to_fake, f, "linking the agent's name");
	hand_over_beside(f);
	unlink(f->path);
}

/* One agent per namespace; a directory another user made at its name
 * is moved aside. */
static void squat(void *arg)
{
	char path[PATH_MAX];
	int fd;

	(void)arg;
	if (setgid(2005) || setuid(2005))
		_exit(T_EXIT_SKIP);
	snprintf(path, sizeof(path), "%s/agent", t_umq_dir());
	T_OK(mkdir(path, 0755));
	snprintf(path, sizeof(path), "%s/agent/x", t_umq_dir());
	fd = T_OK(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	close(fd);
}

T_CASE(agent_one_per_namespace_and_squatters_moved_aside)
{
	pid_t agent, second;
	int st;

	setup();
	agent = at_start();
	second = fork();
	if (second == 0) {
		execl(UMQ_AGENT_PATH, "umq-agent", "--dir", t_umq_dir(),
		      (char *)NULL);
		_exit(127);
	}
	st = t_reap(second, 5000);
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	at_stop(agent);
	at_as(2005, 2005, squat, NULL, "squatting the agent's name");
	agent = at_start();
	set_perm(CREATOR, CREATOR, OWNER, CREATOR, 0600);
	PROBE(EXACT, "owner handed over, after the squatter");
	at_stop(agent);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
