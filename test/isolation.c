/* SPDX-License-Identifier: MIT */
/*
 * isolation.c - two real users, A and B, in one namespace (DESIGN §6).
 *
 * A owns a System V queue and a POSIX queue, both mode 0600, holding
 * known messages.  B, an ordinary user, tries every API call on them and
 * every write it can make in the namespace directory: the files it can
 * open, the entries it can make, rename or remove.  Afterwards A's queues
 * hold exactly their messages and A's calls complete (none blocks: every
 * call is IPC_NOWAIT / O_NONBLOCK, and each user's run has an alarm).
 *
 * A removed queue stays removed: B, who may write A's public queue,
 * keeps links to its files and a mapping of its block, and once A has
 * removed it puts the files back under their names, writes the block of
 * a live private queue with another key and makes that key's entries.
 * A's msgget of the key, and the old id, must not find it (until
 * December 5 they did: a queue of A's, mode 0600, that B reads).
 */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/mman.h>

#include "t.h"
#include "umq.h"
#include "internal.h"

#define A_UID	1000
#define B_UID	65534
#define NMSG	5

struct iso {
	char dir[160];
	key_t key;
	int id;
	char sgen[32];		/* the System V queue's generation */
	char pgen[32];		/* the POSIX queue's */
	char rgen[32];		/* the public queue A removes */
	int rid;
	volatile int revived;	/* 1: B is done, -1: B could not */
};

static struct iso *S;

struct m {
	long type;
	char text[16];
};

static void use_ns(void)
{
	alarm(60);
	if (umq_ns_use(S->dir))
		T_FAIL("umq_ns_use(%s): %s", S->dir, strerror(errno));
}

static void at(char *buf, size_t n, const char *fmt, const char *arg)
{
	char rel[96];

	snprintf(rel, sizeof(rel), fmt, arg);
	snprintf(buf, n, "%s/%s", S->dir, rel);
}

static void a_setup(void *arg)
{
	struct mq_attr attr = { .mq_maxmsg = 8, .mq_msgsize = 16 };
	char path[300];
	ssize_t n;
	mqd_t q;

	use_ns();
	S->id = (int)T_OK(umq_msgget(S->key, IPC_CREAT | 0600));
	for (int i = 0; i < NMSG; i++) {
		struct m m = { i + 1, "" };
		snprintf(m.text, sizeof(m.text), "a%d", i);
		T_OK(umq_msgsnd(S->id, &m, sizeof(m.text), IPC_NOWAIT));
	}
	q = (mqd_t)T_OK(umq_mq_open("/a-q", O_CREAT | O_RDWR, 0600, &attr));
	for (int i = 0; i < 3; i++)
		T_OK(umq_mq_send(q, "p", 2, (unsigned)i));
	umq_mq_close(q);
	snprintf(path, sizeof(path), "%s/sysv/i.%d", S->dir, S->id & 32767);
	n = readlink(path, S->sgen, sizeof(S->sgen) - 1);
	T_ASSERT(n > 0);
	snprintf(path, sizeof(path), "%s/names/a-q", S->dir);
	n = readlink(path, S->pgen, sizeof(S->pgen) - 1);
	T_ASSERT(n > 0);
	exit(T_EXIT_PASS);
}

/* Every call of both APIs on A's queues: refused as the kernel refuses. */
static void b_api(void)
{
	struct msqid_ds ds;
	struct umq_peek_msg pk[2];
	struct m m = { 1, "b" };

	T_EQ(umq_msgget(S->key, 0), S->id);	/* asks for nothing */
	T_ERR(umq_msgget(S->key, 0400), EACCES);
	T_ERR(umq_msgget(S->key, IPC_CREAT | 0666), EACCES);
	T_ERR(umq_msgsnd(S->id, &m, 2, IPC_NOWAIT), EACCES);
	T_ERR(umq_msgrcv(S->id, &m, sizeof(m.text), 0, IPC_NOWAIT), EACCES);
	T_ERR(umq_msgctl(S->id, IPC_STAT, &ds), EACCES);
	memset(&ds, 0, sizeof(ds));
	ds.msg_perm.mode = 0666;
	T_ERR(umq_msgctl(S->id, IPC_SET, &ds), EPERM);
	T_ERR(umq_msgctl(S->id, IPC_RMID, NULL), EPERM);
	T_ERR(umq_msgpeek(S->id, 0, 0, 0, pk, 2), EACCES);
	T_ERR(umq_msgfd(S->id), EACCES);
	/* MSG_STAT_ANY shows every queue, as on the kernel. */
	T_EQ(umq_msgctl(S->id & 32767, MSG_STAT_ANY, &ds), S->id);
	T_EQ(ds.msg_qnum, NMSG);
	T_EQ(ds.msg_perm.uid, A_UID);
	T_ERR(umq_mq_open("/a-q", O_RDONLY), EACCES);
	T_ERR(umq_mq_open("/a-q", O_WRONLY), EACCES);
	T_ERR(umq_mq_unlink("/a-q"), EACCES);
}

/* What the OS refuses B in the directory. */
static void b_files(void)
{
	static const char *const theirs[] = {
		"sysv/q.%s", "sysv/m.%s", "sysv/m.%s.p", "posix/%s",
		"posix/%s.p",
	};
	const size_t nsysv = 3;
	char p[300], junk[300], e[64];

	for (size_t i = 0; i < sizeof(theirs) / sizeof(*theirs); i++) {
		at(p, sizeof(p), theirs[i], i < nsysv ? S->sgen : S->pgen);
		T_ERR(open(p, O_RDWR | O_NONBLOCK), EACCES);
		if (i != 0)	/* the control block is readable by all */
			T_ERR(open(p, O_RDONLY | O_NONBLOCK), EACCES);
	}
	at(p, sizeof(p), "%s", "limits");
	T_ERR(open(p, O_WRONLY), EACCES);
	/* Remove, rename, replace: A's entries and files in the sticky
	 * directories are not B's to touch. */
	snprintf(e, sizeof(e), "sysv/i.%d", S->id & 32767);
	const char *entries[] = { e, "names/a-q" };
	char kname[32];
	snprintf(kname, sizeof(kname), "sysv/k.%08x", (unsigned)S->key);
	for (int i = 0; i < 3; i++) {
		const char *rel = i < 2 ? entries[i] : kname;
		at(p, sizeof(p), "%s", rel);
		T_ERR(unlink(p), EPERM);
		at(junk, sizeof(junk), "%s.b", rel);
		T_ERR(rename(p, junk), EPERM);
		T_OK(symlink("0000000000000001", junk));
		T_ERR(rename(junk, p), EPERM);
		T_OK(unlink(junk));
	}
	for (size_t i = 0; i < sizeof(theirs) / sizeof(*theirs); i++) {
		at(p, sizeof(p), theirs[i], i < nsysv ? S->sgen : S->pgen);
		T_ERR(unlink(p), EPERM);
	}
}

/* What B can write: the hints, and entries of its own that lie. */
static void b_writes(void)
{
	char p[300], t[64];
	unsigned char garbage[4096];
	struct msqid_ds ds;
	int fd;

	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (unsigned char)(i * 131 + 7);
	at(p, sizeof(p), "%s", "ns");
	fd = (int)T_OK(open(p, O_RDWR));
	T_OK(pwrite(fd, garbage, sizeof(garbage), 0));
	close(fd);
	/* An index entry and a key entry of B's naming A's queue. */
	snprintf(t, sizeof(t), "%s:%d", S->sgen, S->id & 32767);
	at(p, sizeof(p), "%s", "sysv/k.0b0b0b0b");
	T_OK(symlink(t, p));
	at(p, sizeof(p), "%s", "sysv/i.4242");
	T_OK(symlink(S->sgen, p));
	/* A control block of B's that claims to be A's. */
	at(p, sizeof(p), "%s", "sysv/i.4243");
	T_OK(symlink("0000000000000abc", p));
	at(p, sizeof(p), "%s", "sysv/q.0000000000000abc");
	fd = (int)T_OK(open(p, O_CREAT | O_RDWR, 0644));
	T_OK(pwrite(fd, garbage, sizeof(garbage), 0));
	close(fd);
	at(p, sizeof(p), "%s", "sysv/i.4244");
	T_OK(mkfifo(p, 0666));
	at(p, sizeof(p), "%s", "names/b-alias");
	T_OK(symlink(S->pgen, p));

	use_ns();
	/* None of them leads anywhere. */
	T_ERR(umq_msgget(0x0b0b0b0b, 0), ENOENT);
	T_ERR(umq_msgctl(4242, MSG_STAT_ANY, &ds), EINVAL);
	T_ERR(umq_msgctl(4243, MSG_STAT_ANY, &ds), EINVAL);
	T_ERR(umq_msgctl(4244, MSG_STAT_ANY, &ds), EINVAL);
	T_ERR(umq_mq_open("/b-alias", O_RDONLY), EACCES);
	/* B's own queues still work beside all that. */
	int id = (int)T_OK(umq_msgget(IPC_PRIVATE, 0600));
	T_OK(umq_msgctl(id, IPC_RMID, NULL));
}

static void b_attack(void *arg)
{
	use_ns();
	b_api();
	b_files();
	b_writes();
	b_api();	/* and nothing B wrote let it in */
	exit(T_EXIT_PASS);
}

static void a_check(void *arg)
{
	struct mq_attr attr;
	struct msqid_ds ds;
	char buf[16];
	unsigned prio;
	mqd_t q;

	use_ns();
	T_EQ(umq_msgget(S->key, 0), S->id);
	T_OK(umq_msgctl(S->id, IPC_STAT, &ds));
	T_EQ(ds.msg_qnum, NMSG);
	T_EQ(ds.msg_perm.mode & 0777, 0600);
	for (int i = 0; i < NMSG; i++) {
		struct m m;
		char want[16];
		T_EQ(umq_msgrcv(S->id, &m, sizeof(m.text), 0, IPC_NOWAIT),
		     sizeof(m.text));
		snprintf(want, sizeof(want), "a%d", i);
		T_EQ(m.type, i + 1);
		T_ASSERT(!strcmp(m.text, want));
	}
	T_ERR(umq_msgrcv(S->id, buf, 8, 0, IPC_NOWAIT), ENOMSG);
	q = (mqd_t)T_OK(umq_mq_open("/a-q", O_RDWR | O_NONBLOCK));
	T_OK(umq_mq_getattr(q, &attr));
	T_EQ(attr.mq_curmsgs, 3);
	for (int i = 2; i >= 0; i--) {
		T_EQ(umq_mq_receive(q, buf, sizeof(buf), &prio), 2);
		T_EQ(prio, i);
	}
	umq_mq_close(q);
	/* B's name for A's queue leads A nowhere either. */
	T_ERR(umq_mq_open("/b-alias", O_RDWR), ENOENT);
	/* And A creates and removes as before. */
	int id = (int)T_OK(umq_msgget(S->key + 1, IPC_CREAT | 0600));
	T_OK(umq_msgctl(id, IPC_RMID, NULL));
	T_OK(umq_msgctl(S->id, IPC_RMID, NULL));
	T_OK(umq_mq_unlink("/a-q"));
	exit(T_EXIT_PASS);
}

/* A namespace for both users, made by root, as an administrator would. */
static void shared_ns(void)
{
	if (!t_have_cap(7 /* CAP_SETUID */))
		t_skip("needs root to become two users");
	S = t_shared(sizeof(*S));
	snprintf(S->dir, sizeof(S->dir), "%s/shared", t_umq_dir());
	T_OK(umq_ns_use(S->dir));
	T_OK(chmod(t_umq_dir(), 0755));
}

T_CASE_F(two_users_a_queue_b_cannot_reach, T_NO_KERNEL_NS)
{
	shared_ns();
	S->key = 0x150;
	T_EQ(t_as_user(A_UID, A_UID, a_setup, NULL), T_EXIT_PASS);
	T_EQ(t_as_user(B_UID, B_UID, b_attack, NULL), T_EXIT_PASS);
	T_EQ(t_as_user(A_UID, A_UID, a_check, NULL), T_EXIT_PASS);
}

#define PUB_KEY		0x160
#define REVIVED_KEY	0x161

static void sysv_at(char *buf, size_t n, const char *what)
{
	snprintf(buf, n, "%s/sysv/%s.%s", S->dir, what, S->rgen);
}

static void a_public(void *arg)
{
	char path[300];

	use_ns();
	S->rid = (int)T_OK(umq_msgget(PUB_KEY, IPC_CREAT | 0666));
	snprintf(path, sizeof(path), "%s/sysv/i.%d", S->dir, S->rid & 32767);
	T_ASSERT(readlink(path, S->rgen, sizeof(S->rgen) - 1) > 0);
	exit(T_EXIT_PASS);
}

/* B, in a process that lives on: links and a mapping, then, once A has
 * removed the queue, the files back and the block of a live queue. */
static void b_revive(struct qfile *f, const char *keepq, const char *keepm)
{
	char path[300], name[48], target[48];
	uint32_t idx = f->idx;
	uint64_t gen = f->q.gen;

	/* A's removal done: the block says so, the names are gone. */
	sysv_at(path, sizeof(path), "m");
	for (int i = 0; i < 10000 && (f->q.state == SLOT_LIVE ||
					!access(path, F_OK)); i++)
		t_msleep(1);
	if (rename(keepm, path))
		S->revived = -1;
	sysv_at(path, sizeof(path), "q");
	if (rename(keepq, path))
		S->revived = -2;
	f->q.key = REVIVED_KEY;
	f->q.mode = 0600;
	f->q.state = SLOT_LIVE;
	snprintf(path, sizeof(path), "%s/sysv/i.%u", S->dir, idx);
	snprintf(target, sizeof(target), "%016llx", (unsigned long long)gen);
	if (symlink(target, path))
		S->revived = -3;
	snprintf(name, sizeof(name), "k.%08x", REVIVED_KEY);
	snprintf(path, sizeof(path), "%s/sysv/%s", S->dir, name);
	snprintf(target, sizeof(target), "%016llx:%u",
		 (unsigned long long)gen, idx);
	if (symlink(target, path))
		S->revived = -4;
	if (!S->revived)
		S->revived = 1;
	_exit(0);
}

static void b_keep(void *arg)
{
	char q[300], m[300], keepq[300], keepm[300];
	struct qfile *f;
	int fd;

	/* In a directory of B's: in sysv/, sticky, B could not move them,
	 * A's files. */
	snprintf(keepq, sizeof(keepq), "%s/sysv/keep", S->dir);
	T_OK(mkdir(keepq, 0700));
	snprintf(keepq, sizeof(keepq), "%s/sysv/keep/q", S->dir);
	snprintf(keepm, sizeof(keepm), "%s/sysv/keep/m", S->dir);
	sysv_at(q, sizeof(q), "q");
	sysv_at(m, sizeof(m), "m");
	if (link(q, keepq) || link(m, keepm))
		t_skip("B cannot link A's public queue files: %s (is "
		       "fs.protected_hardlinks on?)", strerror(errno));
	fd = (int)T_OK(open(q, O_RDWR | O_CLOEXEC));
	f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	T_ASSERT(f != MAP_FAILED);
	close(fd);
	if (fork() == 0) {
		alarm(30);
		b_revive(f, keepq, keepm);
	}
	exit(T_EXIT_PASS);
}

static void a_remove(void *arg)
{
	use_ns();
	T_OK(umq_msgctl(S->rid, IPC_RMID, NULL));
	exit(T_EXIT_PASS);
}

/* B's entries name no queue: the key is not found, or B's to free, as
 * a key B took for a queue of its own would be (EACCES); a queue A makes
 * with it is a new one; the old id is gone. */
static void a_removed_stays(void *arg)
{
	char path[300], gen[32] = "";
	struct msqid_ds ds;
	int id;

	use_ns();
	errno = 0;
	id = umq_msgget(REVIVED_KEY, 0);
	if (id >= 0 || (errno != ENOENT && errno != EACCES))
		T_FAIL("msgget of B's key: %d %s", id, strerrorname_np(errno));
	id = umq_msgget(REVIVED_KEY, IPC_CREAT | 0600);
	if (id >= 0) {
		snprintf(path, sizeof(path), "%s/sysv/i.%d", S->dir,
			 id & 32767);
		T_ASSERT(readlink(path, gen, sizeof(gen) - 1) > 0);
		if (!strcmp(gen, S->rgen))
			T_FAIL("A's new queue is the removed one");
		T_OK(umq_msgctl(id, IPC_RMID, NULL));
	} else if (errno != EACCES) {
		T_FAIL("msgget(IPC_CREAT) of B's key: %s",
		       strerrorname_np(errno));
	}
	T_ERR(umq_msgctl(S->rid, IPC_STAT, &ds), EINVAL);
	exit(T_EXIT_PASS);
}

T_CASE_F(a_removed_queue_b_kept_links_to_stays_removed, T_NO_KERNEL_NS)
{
	shared_ns();
	T_EQ(t_as_user(A_UID, A_UID, a_public, NULL), T_EXIT_PASS);
	T_EQ(t_as_user(B_UID, B_UID, b_keep, NULL), T_EXIT_PASS);
	T_EQ(t_as_user(A_UID, A_UID, a_remove, NULL), T_EXIT_PASS);
	for (int i = 0; i < 5000 && !S->revived; i++)
		t_msleep(1);
	if (S->revived != 1)
		T_FAIL("B could not put the removed queue back (step %d)",
		       S->revived);
	T_EQ(t_as_user(A_UID, A_UID, a_removed_stays, NULL), T_EXIT_PASS);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
