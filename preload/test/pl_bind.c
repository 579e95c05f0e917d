/* SPDX-License-Identifier: MIT */
/*
 * pl_bind.c - every intercepted symbol binds to the preload, by every
 * road a program takes to it: a direct call (the versions this program
 * was linked with), a reference to the GLIBC_2.3.4 and GLIBC_2.7 compat
 * versions (.symver), dlsym(RTLD_DEFAULT), dlsym(RTLD_NEXT) and dlvsym();
 * and each call lands in umq, not in the kernel.  (Under SAN=1 the
 * sanitizer's runtime comes first and intercepts some of the names; its
 * interceptors call ours, which the calls' landing in umq shows.)
 */
#include "pt.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "umq.h"

/* Program-side references to the old versions, as a program linked
 * against glibc < 2.34's librt (or with _FORTIFY_SOURCE) makes them. */
#define OLD(ret, name, ver, ...)                                        \
	ret old_##name(__VA_ARGS__);                                    \
	__asm__(".symver old_" #name ", " #name "@" ver)
OLD(mqd_t, mq_open, "GLIBC_2.3.4", const char *, int, ...);
OLD(mqd_t, __mq_open_2, "GLIBC_2.7", const char *, int);
OLD(int, mq_close, "GLIBC_2.3.4", mqd_t);
OLD(int, mq_unlink, "GLIBC_2.3.4", const char *);
OLD(int, mq_send, "GLIBC_2.3.4", mqd_t, const char *, size_t, unsigned);
OLD(int, mq_timedsend, "GLIBC_2.3.4", mqd_t, const char *, size_t,
    unsigned, const struct timespec *);
OLD(ssize_t, mq_receive, "GLIBC_2.3.4", mqd_t, char *, size_t, unsigned *);
OLD(ssize_t, mq_timedreceive, "GLIBC_2.3.4", mqd_t, char *, size_t,
    unsigned *, const struct timespec *);
OLD(int, mq_getattr, "GLIBC_2.3.4", mqd_t, struct mq_attr *);
OLD(int, mq_setattr, "GLIBC_2.3.4", mqd_t, const struct mq_attr *,
    struct mq_attr *);
OLD(int, mq_notify, "GLIBC_2.3.4", mqd_t, const struct sigevent *);
mqd_t __mq_open_2(const char *, int);

static const struct {
	const char *name, *ver;
} syms[] = {
	{ "msgget", "GLIBC_2.2.5" }, { "msgsnd", "GLIBC_2.2.5" },
	{ "msgrcv", "GLIBC_2.2.5" }, { "msgctl", "GLIBC_2.2.5" },
#define MQ(n) { n, "GLIBC_2.34" }, { n, "GLIBC_2.3.4" }
	MQ("mq_open"), MQ("mq_close"), MQ("mq_unlink"), MQ("mq_send"),
	MQ("mq_timedsend"), MQ("mq_receive"), MQ("mq_timedreceive"),
	MQ("mq_getattr"), MQ("mq_setattr"), MQ("mq_notify"),
	{ "__mq_open_2", "GLIBC_2.34" }, { "__mq_open_2", "GLIBC_2.7" },
	{ "syscall", "GLIBC_2.2.5" },
	{ "close", "GLIBC_2.2.5" }, { "dup", "GLIBC_2.2.5" },
	{ "dup2", "GLIBC_2.2.5" }, { "dup3", "GLIBC_2.9" },
	{ "fcntl", "GLIBC_2.2.5" }, { "fcntl64", "GLIBC_2.28" },
	{ "ioctl", "GLIBC_2.2.5" },
	{ "close_range", "GLIBC_2.34" }, { "closefrom", "GLIBC_2.34" },
	{ "read", "GLIBC_2.2.5" }, { "write", "GLIBC_2.2.5" },
	{ "pread", "GLIBC_2.2.5" }, { "pread64", "GLIBC_2.2.5" },
	{ "pwrite", "GLIBC_2.2.5" }, { "pwrite64", "GLIBC_2.2.5" },
	{ "readv", "GLIBC_2.2.5" }, { "writev", "GLIBC_2.2.5" },
	{ "lseek", "GLIBC_2.2.5" }, { "lseek64", "GLIBC_2.2.5" },
};
#define NSYMS (sizeof(syms) / sizeof(syms[0]))

/* Each lookup finds the preload's definition, under a version libc
 * really has (else the claim of binding there would be hollow). */
T_CASE(lookups)
{
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);

	T_ASSERT(libc);
	for (size_t i = 0; i < NSYMS; i++) {
		const char *n = syms[i].name, *v = syms[i].ver;

		if (!dlvsym(libc, n, v))
			T_FAIL("libc has no %s@%s", n, v);
		if (!pt_in_preload(dlvsym(RTLD_DEFAULT, n, v)))
			T_FAIL("dlvsym(RTLD_DEFAULT, %s, %s) is not the "
			       "preload's", n, v);
		if (!pt_bound(dlsym(RTLD_DEFAULT, n)))
			T_FAIL("dlsym(RTLD_DEFAULT, %s) is not the preload's",
			       n);
		/* From the program, the next object is the preload. */
		if (!pt_bound(dlsym(RTLD_NEXT, n)))
			T_FAIL("dlsym(RTLD_NEXT, %s) is not the preload's", n);
	}
}

/* The program's own references: the addresses it calls. */
T_CASE(direct_references)
{
	const void *fns[] = {
		(void *)msgget, (void *)msgsnd, (void *)msgrcv,
		(void *)msgctl, (void *)mq_open, (void *)mq_close,
		(void *)mq_unlink, (void *)mq_send, (void *)mq_timedsend,
		(void *)mq_receive, (void *)mq_timedreceive,
		(void *)mq_getattr, (void *)mq_setattr, (void *)mq_notify,
		(void *)__mq_open_2, (void *)old_mq_open,
		(void *)old___mq_open_2, (void *)old_mq_close,
		(void *)old_mq_unlink, (void *)old_mq_send,
		(void *)old_mq_timedsend, (void *)old_mq_receive,
		(void *)old_mq_timedreceive, (void *)old_mq_getattr,
		(void *)old_mq_setattr, (void *)old_mq_notify,
		(void *)syscall, (void *)close, (void *)dup2, (void *)read,
		(void *)umq_msgget, (void *)umq_mq_open,
	};

	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (!pt_bound(fns[i]))
			T_FAIL("reference %zu is not bound to the preload", i);
}

/* System V through libc's names: umq has the queue, the kernel not. */
T_CASE(sysv_calls)
{
	struct { long type; char text[8]; } m = { 7, "abc" };
	struct msqid_ds ds;
	int id;

	if (!t_kernel_ns())
		t_skip("no private IPC namespace to compare with");
	id = T_OK(msgget(0x1234, IPC_CREAT | 0600));
	T_OK(msgsnd(id, &m, 4, 0));
	T_OK(umq_msgctl(id, IPC_STAT, &ds));
	T_EQ(ds.msg_qnum, 1);
	T_ERR(K(msgget)(0x1234, 0), ENOENT);
	T_OK(msgctl(id, IPC_STAT, &ds));
	T_EQ(ds.msg_qnum, 1);
	memset(&m, 0, sizeof(m));
	T_EQ(msgrcv(id, &m, 8, 0, IPC_NOWAIT), 4);
	T_EQ(m.type, 7);
	T_OK(msgctl(id, IPC_RMID, NULL));
	T_ERR(umq_msgctl(id, IPC_STAT, &ds), EINVAL);
}

struct mqfns {
	mqd_t (*open)(const char *, int, ...);
	mqd_t (*open2)(const char *, int);
	int (*close)(mqd_t);
	int (*unlink)(const char *);
	int (*send)(mqd_t, const char *, size_t, unsigned);
	int (*tsend)(mqd_t, const char *, size_t, unsigned,
		     const struct timespec *);
	ssize_t (*recv)(mqd_t, char *, size_t, unsigned *);
	ssize_t (*trecv)(mqd_t, char *, size_t, unsigned *,
			 const struct timespec *);
	int (*getattr)(mqd_t, struct mq_attr *);
	int (*setattr)(mqd_t, const struct mq_attr *, struct mq_attr *);
	int (*notify)(mqd_t, const struct sigevent *);
};

/* Every call of one road, each checked in umq and against the kernel. */
static void posix_road(const struct mqfns *f)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 16 }, b;
	struct timespec far = { time(NULL) + 60, 0 };
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	char buf[16], line[128];
	unsigned prio;
	mqd_t q, r;

	if (!t_kernel_ns())
		t_skip("no private IPC namespace to compare with");
	q = T_OK(f->open("/road", O_CREAT | O_RDWR, 0600, &a));
	T_ERR(K(mq_open)("/road", O_RDWR), ENOENT);
	T_OK(umq_mq_getattr(q, &b));
	T_EQ(b.mq_maxmsg, 4);
	r = T_OK(f->open2("/road", O_RDONLY));
	T_OK(f->send(q, "one", 3, 1));
	T_OK(f->tsend(q, "two", 3, 2, &far));
	T_OK(f->getattr(r, &b));
	T_EQ(b.mq_curmsgs, 2);
	T_EQ(f->recv(r, buf, sizeof(buf), &prio), 3);
	T_EQ(prio, 2);
	T_EQ(f->trecv(q, buf, sizeof(buf), &prio, &far), 3);
	T_EQ(prio, 1);
	b.mq_flags = O_NONBLOCK;
	T_OK(f->setattr(r, &b, NULL));
	T_ERR(f->recv(r, buf, sizeof(buf), NULL), EAGAIN);
	T_OK(f->notify(q, &sev));
	T_OK(umq_mq_status(q, line, sizeof(line)));
	T_ASSERT(strstr(line, "NOTIFY:1 "));
	T_OK(f->notify(q, NULL));
	T_OK(f->close(r));
	T_ERR(umq_mq_getattr(r, &b), EBADF);
	T_OK(f->unlink("/road"));
	T_ERR(umq_mq_unlink("/road"), ENOENT);
	T_OK(f->close(q));
}

T_CASE(posix_calls)
{
	const struct mqfns f = {
		mq_open, __mq_open_2, mq_close, mq_unlink, mq_send,
		mq_timedsend, mq_receive, mq_timedreceive, mq_getattr,
		mq_setattr, mq_notify,
	};
	posix_road(&f);
}

T_CASE(posix_compat_versions)
{
	const struct mqfns f = {
		old_mq_open, old___mq_open_2, old_mq_close, old_mq_unlink,
		old_mq_send, old_mq_timedsend, old_mq_receive,
		old_mq_timedreceive, old_mq_getattr, old_mq_setattr,
		old_mq_notify,
	};
	posix_road(&f);
}

T_CASE(posix_dlsym)
{
	const struct mqfns f = {
		dlsym(RTLD_DEFAULT, "mq_open"),
		dlsym(RTLD_DEFAULT, "__mq_open_2"),
		dlsym(RTLD_DEFAULT, "mq_close"),
		dlsym(RTLD_DEFAULT, "mq_unlink"),
		dlsym(RTLD_DEFAULT, "mq_send"),
		dlsym(RTLD_DEFAULT, "mq_timedsend"),
		dlsym(RTLD_DEFAULT, "mq_receive"),
		dlsym(RTLD_DEFAULT, "mq_timedreceive"),
		dlsym(RTLD_DEFAULT, "mq_getattr"),
		dlsym(RTLD_DEFAULT, "mq_setattr"),
		dlsym(RTLD_DEFAULT, "mq_notify"),
	};
	posix_road(&f);
}

/* _FORTIFY_SOURCE's O_CREAT without mode and attr: glibc's abort. */
T_CASE(fortify_abort)
{
	int st;
	pid_t pid = fork();

	if (!pid) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 2);	/* glibc's message */
		__mq_open_2("/f", O_CREAT | O_RDWR);
		_exit(0);
	}
	T_OK(waitpid(pid, &st, 0));
	T_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
}

/*
 * A program linked with libumq.so runs on the preload's copy alone: its
 * umq_* calls and libc's names meet the same queues, and its set*id
 * calls (bound to libumq.so's wrappers at link time) reach the copy whose
 * credential cache they must refresh.
 */
T_CASE(linked_with_libumq)
{
	struct { long type; char text[4]; } m = { 1, "x" };
	int id = T_OK(msgget(0x55, IPC_CREAT | 0600));

	T_EQ(umq_msgget(0x55, 0), id);
	if (!t_have_cap(CAP_SETUID))
		t_skip("cannot change uid");
	T_OK(msgsnd(id, &m, 1, 0));	/* as root: fills the cache */
	T_OK(setresuid(-1, 65534, -1));
	T_ERR(msgsnd(id, &m, 1, 0), EACCES);
	T_ERR(umq_msgsnd(id, &m, 1, 0), EACCES);
	T_OK(setresuid(-1, 0, -1));
	T_OK(msgsnd(id, &m, 1, 0));
}

/* The documented way around the preload: a handle on libc itself. */
T_CASE(libc_handle_reaches_kernel)
{
	mqd_t k;

	if (!t_kernel_ns())
		t_skip("no private IPC namespace");
	k = T_OK(K(mq_open)("/kq", O_CREAT | O_RDWR, 0600, NULL));
	T_ERR(mq_open("/kq", O_RDWR), ENOENT);	/* umq has none */
	T_OK(K(mq_unlink)("/kq"));
	T_OK(close(k));
}

int main(int argc, char **argv)
{
	pt_reexec(argc, argv);
	return t_main(argc, argv);
}
