/* SPDX-License-Identifier: MIT */
/*
 * cred.h - credentials changed under a running program, compared with the
 * kernel: privileges dropped and regained through libc or a raw system
 * call, in one thread or all, groups, capabilities, user namespaces.
 *
 * The same scenarios are built three ways, as programs use the library:
 * cred_static.c links libumq.a, so_cred.c links libumq.so (-lumq, as
 * LD_PRELOAD would too), dl_cred.c loads it with dlopen() (CRED_DLOPEN,
 * the library's path in UMQ_SO).  Each scenario runs on the kernel and on
 * umq (t_both), each half in a process of its own, and asserts the
 * kernel's answers on both.
 */
#ifndef CRED_H
#define CRED_H

#include "t.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "umq.h"

/* ---- The library, linked or loaded --------------------------------------- */

/* The calls the scenarios make, on one side. */
struct backend {
	const char *name;
	int kernel;
	T_MSG_CALLS
	mqd_t (*mq_open)(const char *, int, ...);
	int (*mq_close)(mqd_t);
	int (*mq_send)(mqd_t, const char *, size_t, unsigned int);
};

#ifdef CRED_DLOPEN
#include <dlfcn.h>

static struct backend U = { .name = "umq" };
static int (*u_ns_use)(const char *);

static void *sym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (!p) {
		fprintf(stderr, "#   dlsym(%s): %s\n", name, dlerror());
		_exit(T_EXIT_FAIL);
	}
	return p;
}

/* The harness selects each case's namespace here: the first call loads. */
int umq_ns_use(const char *dir)
{
	if (!u_ns_use) {
		void *h = dlopen(UMQ_SO, RTLD_NOW | RTLD_LOCAL);

		if (!h) {
			fprintf(stderr, "#   dlopen(%s): %s\n", UMQ_SO,
				dlerror());
			_exit(T_EXIT_FAIL);
		}
		*(void **)&u_ns_use = sym(h, "umq_ns_use");
		*(void **)&U.msgget = sym(h, "umq_msgget");
		*(void **)&U.msgsnd = sym(h, "umq_msgsnd");
		*(void **)&U.msgrcv = sym(h, "umq_msgrcv");
		*(void **)&U.msgctl = sym(h, "umq_msgctl");
		*(void **)&U.mq_open = sym(h, "umq_mq_open");
		*(void **)&U.mq_close = sym(h, "umq_mq_close");
		*(void **)&U.mq_send = sym(h, "umq_mq_send");
	}
	return u_ns_use(dir);
}
#else
static const struct backend U = {
	"umq", 0, umq_msgget, umq_msgsnd, umq_msgrcv, umq_msgctl,
	umq_mq_open, umq_mq_close, umq_mq_send,
};
#endif

/* ---- Backends ------------------------------------------------------------ */

static const struct backend K = {
	"kernel", 1, t_k_msgget, t_k_msgsnd, t_k_msgrcv, t_k_msgctl,
	mq_open, mq_close, mq_send,
};

static const struct backend *B;	/* the running half's backend */
static void (*scenario)(void);

static const char *b_name(size_t i)
{
	return i ? "umq" : "kernel";
}

static bool b_kernel(size_t i)
{
	return !i;
}

static void b_run(size_t i)
{
	B = i ? &U : &K;
	umask(0);
	scenario();
}

static void both(void (*fn)(void))
{
	if (geteuid() != 0)
		t_skip("needs root to change credentials");
	scenario = fn;
	t_both(2, b_name, b_kernel, b_run);
}

/* A case named name that runs the body below it on both backends. */
#define BOTH(name)							\
	static void s_##name(void);					\
	T_CASE(name) { both(s_##name); }				\
	static void s_##name(void)

/* ---- Credentials --------------------------------------------------------- */

#define NOBODY	65534
#define USER	1000
#define USER2	2000
#define GROUP	3000

#define CAP(c)	(1ull << (c))

/* Raw system calls: this thread only, unseen by libc. */
static long raw_setresuid(uid_t r, uid_t e, uid_t s)
{
	return syscall(SYS_setresuid, r, e, s);
}

static long raw_setresgid(gid_t r, gid_t e, gid_t s)
{
	return syscall(SYS_setresgid, r, e, s);
}

static long raw_setgroups(size_t n, const gid_t *list)
{
	return syscall(SYS_setgroups, n, list);
}

/* setfsgid() returns the previous fsgid; this returns it after. */
static gid_t raw_setfsgid(gid_t g)
{
	syscall(SYS_setfsgid, g);
	return (gid_t)syscall(SYS_setfsgid, (gid_t)-1);
}

static void caps_get(uint64_t *eff, uint64_t *perm)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	T_OK(syscall(SYS_capget, &h, d));
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
}

static long caps_set(uint64_t eff, uint64_t perm)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)perm, 0 },
		{ (uint32_t)(eff >> 32), (uint32_t)(perm >> 32), 0 },
	};

	return syscall(SYS_capset, &h, d);
}

static void need_caps(uint64_t caps)
{
	uint64_t eff, perm;

	caps_get(&eff, &perm);
	if ((eff & caps) != caps)
		t_skip("root here lacks a capability the scenario drops");
}

/* ---- What the calling thread may do -------------------------------------- */

struct msg {
	long mtype;
	char text[8];
};

/* A queue of key made by the caller as it is now, holding one message. */
static int make_queue(key_t key, int mode)
{
	struct msg m = { 1, "x" };
	int q = T_OK(B->msgget(key, IPC_CREAT | IPC_EXCL | mode));

	T_OK(B->msgsnd(q, &m, 1, IPC_NOWAIT));
	return q;
}

/* Make it as uid:gid (through the effective ids), then be root again. */
static int make_queue_as(uid_t uid, gid_t gid, key_t key, int mode)
{
	T_OK(setegid(gid));
	T_OK(seteuid(uid));
	int q = make_queue(key, mode);
	T_OK(seteuid(0));
	T_OK(setegid(0));
	return q;
}

/* Reading and writing q, of key, are both allowed or both refused. */
static void expect_rw(int q, key_t key, bool rw)
{
	struct msg m = { 1, "x" };
	struct msqid_ds ds;

	if (rw) {
		T_EQ(T_OK(B->msgget(key, 0666)), q);
		T_OK(B->msgsnd(q, &m, 1, IPC_NOWAIT));
		T_EQ(T_OK(B->msgrcv(q, &m, sizeof(m.text), 0, IPC_NOWAIT)), 1);
		T_OK(B->msgctl(q, IPC_STAT, &ds));
		T_EQ(T_OK(B->msgctl(q % 32768, MSG_STAT, &ds)), q);
	} else {
		T_ERR(B->msgget(key, 0666), EACCES);
		T_ERR(B->msgsnd(q, &m, 1, IPC_NOWAIT), EACCES);
		T_ERR(B->msgrcv(q, &m, sizeof(m.text), 0, IPC_NOWAIT), EACCES);
		T_ERR(B->msgctl(q, IPC_STAT, &ds), EACCES);
		T_ERR(B->msgctl(q % 32768, MSG_STAT, &ds), EACCES);
	}
	/* No permission guards it: the queue is still there, one message. */
	T_EQ(T_OK(B->msgctl(q % 32768, MSG_STAT_ANY, &ds)), q);
	T_EQ(ds.msg_qnum, 1);
}

/* IPC_SET (then, when refused, IPC_RMID) allowed or refused. */
static void expect_own(int q, bool own)
{
	struct msqid_ds ds;

	T_OK(B->msgctl(q % 32768, MSG_STAT_ANY, &ds));
	if (own) {
		T_OK(B->msgctl(q, IPC_SET, &ds));
		return;
	}
	T_ERR(B->msgctl(q, IPC_SET, &ds), EPERM);
	T_ERR(B->msgctl(q, IPC_RMID, NULL), EPERM);
}

static void expect_sysv(int q, key_t key, bool rw, bool own)
{
	expect_rw(q, key, rw);
	expect_own(q, own);
}

/* ---- System V: dropping and regaining ------------------------------------ */

static int libc_seteuid(uid_t u)
{
	return seteuid(u);
}

static int raw_seteuid(uid_t u)
{
	return (int)raw_setresuid(-1, u, -1);
}

/* Root's mode-0600 queue, as nobody and as root again, twice. */
static void drop_and_regain(int (*set_euid)(uid_t))
{
	int q = make_queue(0x5100, 0600);

	expect_sysv(q, 0x5100, true, true);
	for (int round = 0; round < 2; round++) {
		T_OK(set_euid(NOBODY));
		T_EQ(geteuid(), NOBODY);
		expect_sysv(q, 0x5100, false, false);
		T_OK(set_euid(0));
		expect_sysv(q, 0x5100, true, true);
	}
	T_OK(B->msgctl(q, IPC_RMID, NULL));
}

BOTH(sysv_libc_seteuid) { drop_and_regain(libc_seteuid); }
BOTH(sysv_raw_setresuid) { drop_and_regain(raw_seteuid); }

/*
 * Every id and group dropped for good by raw calls: nobody is refused
 * root's queue, owns what it creates, and cannot come back.
 */
BOTH(sysv_raw_drop_for_good)
{
	gid_t g = NOBODY;
	int q = make_queue(0x5200, 0600);
	struct msqid_ds ds;

	expect_sysv(q, 0x5200, true, true);
	T_OK(raw_setgroups(1, &g));
	T_OK(raw_setresgid(NOBODY, NOBODY, NOBODY));
	T_OK(raw_setresuid(NOBODY, NOBODY, NOBODY));
	expect_sysv(q, 0x5200, false, false);
	T_ERR(raw_seteuid(0), EPERM);
	expect_sysv(q, 0x5200, false, false);

	int mine = make_queue(0x5201, 0600);
	T_OK(B->msgctl(mine, IPC_STAT, &ds));
	T_EQ(ds.msg_perm.cuid, NOBODY);
	T_EQ(ds.msg_perm.cgid, NOBODY);
	expect_sysv(mine, 0x5201, true, true);
	T_OK(B->msgctl(mine, IPC_RMID, NULL));
}

/*
 * A mode-0060 queue of group GROUP, by uid 1000 in that group or not:
 * through a supplementary group, the egid, the fsgid (which is what
 * counts: not the egid).
 */
BOTH(sysv_group_class)
{
	gid_t g = GROUP;
	/* The creator's group counts too: not root's. */
	int q = make_queue_as(0, USER2, 0x5300, 0600);
	struct msqid_ds ds;

	T_OK(B->msgctl(q, IPC_STAT, &ds));
	ds.msg_perm.gid = GROUP;
	ds.msg_perm.mode = 0060;
	T_OK(B->msgctl(q, IPC_SET, &ds));

	T_OK(setgroups(1, &g));
	T_OK(seteuid(USER));
	expect_sysv(q, 0x5300, true, false);
	T_OK(seteuid(0));

	T_OK(setgroups(0, NULL));
	T_OK(seteuid(USER));
	expect_sysv(q, 0x5300, false, false);
	T_OK(seteuid(0));

	T_OK(setegid(GROUP));
	T_OK(raw_seteuid(USER));
	expect_sysv(q, 0x5300, true, false);
	T_OK(raw_seteuid(0));

	/* The egid stays GROUP; the fsgid alone moves. */
	T_EQ(raw_setfsgid(0), 0);
	T_OK(raw_seteuid(USER));
	T_EQ(getegid(), GROUP);
	expect_sysv(q, 0x5300, false, false);
	T_OK(raw_seteuid(0));
	T_EQ(raw_setfsgid(GROUP), GROUP);
	T_OK(raw_seteuid(USER));
	expect_sysv(q, 0x5300, true, false);

	/* A raw setgroups, the fsgid elsewhere again. */
	T_OK(raw_seteuid(0));
	T_EQ(raw_setfsgid(0), 0);
	T_OK(raw_setgroups(1, &g));
	T_OK(raw_seteuid(USER));
	expect_sysv(q, 0x5300, true, false);
	T_OK(raw_seteuid(0));
	T_OK(setegid(0));
	T_OK(B->msgctl(q, IPC_RMID, NULL));
}

/*
 * Root and another user's 0600 queue: CAP_IPC_OWNER gives access,
 * CAP_SYS_ADMIN ownership; capset takes them away and gives them back,
 * and once out of the permitted set they are gone.
 */
BOTH(sysv_capset)
{
	uint64_t eff, perm, own = CAP(CAP_IPC_OWNER), adm = CAP(CAP_SYS_ADMIN);
	int q;

	need_caps(own | adm);
	q = make_queue_as(USER2, USER2, 0x5400, 0600);
	caps_get(&eff, &perm);
	expect_sysv(q, 0x5400, true, true);
	T_OK(caps_set(eff & ~own, perm));
	expect_sysv(q, 0x5400, false, true);
	T_OK(caps_set(eff & ~own & ~adm, perm));
	expect_sysv(q, 0x5400, false, false);
	T_OK(caps_set(eff, perm));
	expect_sysv(q, 0x5400, true, true);
	T_OK(caps_set(eff & ~adm, perm & ~adm));
	expect_sysv(q, 0x5400, true, false);
	T_ERR(caps_set(eff, perm), EPERM);
	expect_sysv(q, 0x5400, true, false);
	T_OK(caps_set(eff & ~adm & ~own, perm & ~adm & ~own));
	expect_sysv(q, 0x5400, false, false);
}

/* ---- Credentials of one thread ------------------------------------------- */

static int thread_q;
static sem_t to_main, to_thread;

static void sem_wait_ok(sem_t *s)
{
	while (sem_wait(s))
		if (errno != EINTR)
			T_FAIL("sem_wait: %s", strerror(errno));
}

/* Nobody by a raw call (this thread only), while main checks it is root. */
static void *dropping_thread(void *arg)
{
	T_OK(raw_seteuid(NOBODY));
	expect_sysv(thread_q, 0x5500, false, false);
	sem_post(&to_main);
	sem_wait_ok(&to_thread);
	expect_sysv(thread_q, 0x5500, false, false);
	T_OK(raw_seteuid(0));
	expect_sysv(thread_q, 0x5500, true, true);
	return arg;
}

/* Everything dropped for good in this thread only. */
static void *leaving_thread(void *arg)
{
	gid_t g = NOBODY;

	T_OK(raw_setgroups(1, &g));
	T_OK(raw_setresgid(NOBODY, NOBODY, NOBODY));
	T_OK(raw_setresuid(NOBODY, NOBODY, NOBODY));
	expect_sysv(thread_q, 0x5500, false, false);
	sem_post(&to_main);
	sem_wait_ok(&to_thread);
	expect_sysv(thread_q, 0x5500, false, false);
	return arg;
}

/* Created while main was nobody: nobody too, whatever main does next. */
static void *born_nobody_thread(void *arg)
{
	T_EQ(geteuid(), NOBODY);
	expect_sysv(thread_q, 0x5500, false, false);
	sem_post(&to_main);
	sem_wait_ok(&to_thread);
	T_EQ(geteuid(), NOBODY);
	expect_sysv(thread_q, 0x5500, false, false);
	T_OK(raw_seteuid(0));
	expect_sysv(thread_q, 0x5500, true, true);
	return arg;
}

static void with_thread(void *(*fn)(void *), bool main_root)
{
	pthread_t t;

	T_EQ(pthread_create(&t, NULL, fn, NULL), 0);
	sem_wait_ok(&to_main);
	if (main_root)
		T_OK(raw_seteuid(0));
	T_EQ(geteuid(), 0);
	expect_sysv(thread_q, 0x5500, true, true);
	sem_post(&to_thread);
	T_EQ(pthread_join(t, NULL), 0);
	expect_sysv(thread_q, 0x5500, true, true);
}

BOTH(sysv_per_thread)
{
	sem_init(&to_main, 0, 0);
	sem_init(&to_thread, 0, 0);
	thread_q = make_queue(0x5500, 0600);
	/* Each thread has its snapshot already: the changes come after. */
	expect_sysv(thread_q, 0x5500, true, true);
	with_thread(dropping_thread, false);
	with_thread(leaving_thread, false);
	T_OK(raw_seteuid(NOBODY));
	expect_sysv(thread_q, 0x5500, false, false);
	with_thread(born_nobody_thread, true);
	T_OK(B->msgctl(thread_q, IPC_RMID, NULL));
}

/* ---- POSIX: permissions at mq_open --------------------------------------- */

static mqd_t mq_make(const char *name, int mode)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 16 };

	return (mqd_t)T_OK(B->mq_open(name, O_CREAT | O_EXCL | O_RDWR, mode,
				    &a));
}

/* Opening name with acc: allowed, or EACCES. */
static void expect_open(const char *name, int acc, bool ok)
{
	if (ok) {
		mqd_t d = (mqd_t)T_OK(B->mq_open(name, acc));
		T_OK(B->mq_close(d));
	} else {
		T_ERR(B->mq_open(name, acc), EACCES);
	}
}

static void expect_mq(const char *name, bool r, bool w)
{
	expect_open(name, O_RDONLY, r);
	expect_open(name, O_WRONLY, w);
	expect_open(name, O_RDWR, r && w);
}

/* Root's 0600 queue opened as nobody: refused; a descriptor opened before
 * the drop keeps working (permission is checked at open only). */
static void mq_drop_and_regain(int (*set_euid)(uid_t))
{
	mqd_t d = mq_make("/cred", 0600);

	expect_mq("/cred", true, true);
	T_OK(set_euid(NOBODY));
	expect_mq("/cred", false, false);
	T_OK(B->mq_send(d, "x", 1, 0));
	T_OK(set_euid(0));
	expect_mq("/cred", true, true);
	T_OK(B->mq_close(d));
}

BOTH(posix_libc_seteuid) { mq_drop_and_regain(libc_seteuid); }
BOTH(posix_raw_setresuid) { mq_drop_and_regain(raw_seteuid); }

/* Group class at open: the fsgid or a supplementary group. */
BOTH(posix_group_class)
{
	gid_t g = GROUP;

	T_OK(setegid(GROUP));
	T_OK(B->mq_close(mq_make("/cred-g", 0040)));
	T_OK(setegid(0));
	T_OK(raw_setgroups(1, &g));
	T_OK(raw_seteuid(USER));
	expect_mq("/cred-g", true, false);
	T_OK(raw_seteuid(0));
	T_OK(raw_setgroups(0, NULL));
	T_OK(raw_seteuid(USER));
	expect_mq("/cred-g", false, false);
	T_OK(raw_seteuid(0));
	T_EQ(raw_setfsgid(GROUP), GROUP);
	T_OK(raw_seteuid(USER));
	expect_mq("/cred-g", true, false);
	T_OK(raw_seteuid(0));
}

/*
 * Another user's 0600 queue: CAP_DAC_OVERRIDE opens it.  (With
 * CAP_DAC_READ_SEARCH alone the kernel opens it for reading; umq must
 * open the queue's file read-write even to read, which the OS refuses.)
 */
BOTH(posix_capset)
{
	uint64_t eff, perm, ovr = CAP(CAP_DAC_OVERRIDE),
		 rs = CAP(CAP_DAC_READ_SEARCH);

	need_caps(ovr | rs);
	T_OK(setegid(USER2));
	T_OK(seteuid(USER2));
	T_OK(B->mq_close(mq_make("/cred-c", 0600)));
	T_OK(seteuid(0));
	T_OK(setegid(0));
	caps_get(&eff, &perm);
	expect_mq("/cred-c", true, true);
	T_OK(caps_set(eff & ~ovr & ~rs, perm));
	expect_mq("/cred-c", false, false);
	T_OK(caps_set(eff & ~rs, perm));
	expect_mq("/cred-c", true, true);
	T_OK(caps_set(eff, perm));
	expect_mq("/cred-c", true, true);
	T_OK(caps_set(eff & ~ovr & ~rs, perm & ~ovr & ~rs));
	expect_mq("/cred-c", false, false);
}

/* ---- User namespaces ----------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		T_FAIL("writing %s: %s", path, strerror(errno));
	close(fd);
}

/* Into a new user namespace, mapping uid/gid to 0 there (if map). */
static void new_userns(bool map, uid_t uid, gid_t gid)
{
	char line[64];

	if (unshare(CLONE_NEWUSER))
		t_skip("unshare(CLONE_NEWUSER): %s", strerror(errno));
	if (!map)
		return;
	write_file("/proc/self/setgroups", "deny");
	snprintf(line, sizeof(line), "0 %d 1", (int)uid);
	write_file("/proc/self/uid_map", line);
	snprintf(line, sizeof(line), "0 %d 1", (int)gid);
	write_file("/proc/self/gid_map", line);
}

/* fn in a child process; its skip is the case's. */
static void in_child(void (*fn)(void *))
{
	int st = t_waitpid(t_spawn(fn, NULL));

	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_SKIP)
		t_skip("the child skipped");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != T_EXIT_PASS)
		T_FAIL("the child failed");
}

static int q_own, q_other;
static bool used_before;

static void *other_refused(void *arg)
{
	expect_sysv(q_other, 0x5601, false, false);
	return arg;
}

/*
 * Uid 1000, which cannot change its ids, creates a user namespace and is
 * root there: the kernel still sees uid 1000 without capabilities, so
 * its own queue stays open to it and another user's closed.  When umq
 * first sees the thread there (used_before false) it cannot tell its
 * numbers: it grants what every class has, which is less (DESIGN §8).
 */
static void unprivileged_userns(void *arg)
{
	T_OK(setgroups(0, NULL));
	T_OK(setresgid(USER, USER, USER));
	T_OK(setresuid(USER, USER, USER));
	T_OK(prctl(PR_SET_DUMPABLE, 1));	/* to write its own maps */
	if (used_before) {
		expect_sysv(q_own, 0x5600, true, true);
		expect_sysv(q_other, 0x5601, false, false);
	}
	new_userns(true, USER, USER);
	T_EQ(geteuid(), 0);
	expect_sysv(q_other, 0x5601, false, false);
	if (B->kernel || used_before) {
		expect_rw(q_own, 0x5600, true);
	} else {
		expect_rw(q_own, 0x5600, false);
		T_ERR(B->msgctl(q_own, IPC_RMID, NULL), EPERM);
	}
	/* A thread born there: first seen there. */
	pthread_t t;
	T_EQ(pthread_create(&t, NULL, other_refused, NULL), 0);
	T_EQ(pthread_join(t, NULL), 0);
}

static void userns_unprivileged(bool before)
{
	used_before = before;
	q_own = make_queue_as(USER, USER, 0x5600, 0600);
	q_other = make_queue_as(USER2, USER2, 0x5601, 0600);
	in_child(unprivileged_userns);
	T_OK(B->msgctl(q_own, IPC_RMID, NULL));
	T_OK(B->msgctl(q_other, IPC_RMID, NULL));
}

BOTH(userns_after_first_use) { userns_unprivileged(true); }
BOTH(userns_before_first_use) { userns_unprivileged(false); }

/*
 * Root, having used the queues (its snapshot says root), drops to uid
 * 1000 and maps itself back to 0 in a new user namespace before its next
 * call: the same euid number, another user for the kernel.
 */
static void root_drops_into_userns(void *arg)
{
	T_OK(setgroups(0, NULL));
	T_OK(setresgid(USER, USER, USER));
	T_OK(setresuid(USER, USER, USER));
	T_OK(prctl(PR_SET_DUMPABLE, 1));
	new_userns(true, USER, USER);
	T_EQ(geteuid(), 0);
	expect_sysv(q_other, 0x5601, false, false);
	/* umq cannot tell its numbers any more: less than the kernel. */
	expect_rw(q_own, 0x5600, B->kernel);
}

BOTH(userns_root_drops_and_maps_back)
{
	q_own = make_queue_as(USER, USER, 0x5600, 0600);
	q_other = make_queue(0x5601, 0600);	/* root's */
	expect_sysv(q_other, 0x5601, true, true);
	in_child(root_drops_into_userns);
	T_OK(B->msgctl(q_own, IPC_RMID, NULL));
	T_OK(B->msgctl(q_other, IPC_RMID, NULL));
}

/*
 * Root, staying root, enters a new user namespace mapped 0 to 0: its ids
 * keep their numbers, but the capabilities it has there do not count
 * for another user's queue.  Once with all its capabilities (its ids
 * may change), once without CAP_SETUID and CAP_SETGID (they cannot).
 */
static bool drop_setid;

static void root_into_userns(void *arg)
{
	uint64_t eff, perm, setid = CAP(CAP_SETUID) | CAP(CAP_SETGID);

	if (drop_setid) {
		caps_get(&eff, &perm);
		T_OK(caps_set(eff & ~setid, perm & ~setid));
	}
	expect_sysv(q_other, 0x5700, true, true);
	expect_sysv(q_own, 0x5701, true, true);
	new_userns(true, 0, 0);
	expect_sysv(q_other, 0x5700, false, false);
	expect_rw(q_own, 0x5701, true);
}

static void userns_root(bool fixed)
{
	need_caps(CAP(CAP_IPC_OWNER) | CAP(CAP_SYS_ADMIN));
	drop_setid = fixed;
	q_other = make_queue_as(USER2, USER2, 0x5700, 0600);
	q_own = make_queue(0x5701, 0600);
	in_child(root_into_userns);
	T_OK(B->msgctl(q_other, IPC_RMID, NULL));
	T_OK(B->msgctl(q_own, IPC_RMID, NULL));
}

BOTH(userns_root_keeps_ids) { userns_root(false); }
BOTH(userns_root_fixed_ids) { userns_root(true); }

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}

#endif
