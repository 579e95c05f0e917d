/* SPDX-License-Identifier: MIT */
/*
 * pl_syscall.c - libc's syscall() under the preload: the message-queue
 * numbers reach umq with the system calls' own conventions (names
 * without their '/', mq_getsetattr both ways, the raw sigevent with its
 * netlink SIGEV_THREAD, EPERM from mq_unlink), the descriptor numbers
 * the preload follows reach its close/dup/read, and everything else
 * passes through untouched.
 *
 * The scenarios run once with libc's own syscall() (the kernel) and once
 * with the program's (the preload), and their traces must agree.
 */
#include "pt.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "umq.h"

#pragma GCC diagnostic ignored "-Wnonnull"

typedef long (*sys_fn)(long, ...);

#define STEP PT_STEP
#define READ PT_READ

static void both(void (*fn)(sys_fn sys, int side))
{
	if (!t_kernel_ns())
		t_skip("no private IPC namespace");
	for (int i = 0; i < 2; i++) {
		pt_side(i);
		fn(i ? syscall : K(syscall), i);
	}
	pt_compare();
}

static void s_sysv(sys_fn sys, int side)
{
	struct { long type; char text[16]; } m = { 3, "hello" };
	struct msqid_ds ds;
	long id;

	id = STEP(sys(SYS_msgget, 0x42, IPC_CREAT | 0600));
	STEP(sys(SYS_msgget, 0x42, IPC_CREAT | IPC_EXCL | 0600));
	STEP(sys(SYS_msgget, 0x43, 0));
	STEP(sys(SYS_msgsnd, id, &m, 6, 0));
	STEP(sys(SYS_msgsnd, id, &m, -1L, 0));
	STEP(sys(SYS_msgsnd, id, NULL, 6, 0));
	STEP(sys(SYS_msgctl, id, IPC_STAT, &ds));
	pt_note("  qnum %lu cbytes %lu mode %o\n", (unsigned long)ds.msg_qnum,
		(unsigned long)ds.msg_cbytes, (unsigned)ds.msg_perm.mode);
	STEP(sys(SYS_msgctl, id, IPC_STAT | 0x100, &ds));
	STEP(sys(SYS_msgctl, id, 99, &ds));
	READ(sys(SYS_msgrcv, id, &m, 16, 0, IPC_NOWAIT), m.text);
	STEP(sys(SYS_msgrcv, id, &m, 16, 0, IPC_NOWAIT));
	STEP(sys(SYS_msgrcv, id, &m, 16, -5, IPC_NOWAIT | MSG_EXCEPT));
	STEP(sys(SYS_msgctl, id, IPC_RMID, NULL));
	STEP(sys(SYS_msgsnd, id, &m, 6, 0));
	(void)side;
}

T_CASE(sysv_numbers) { both(s_sysv); }

/* They reach umq: it has the queue, and libc's kernel has none. */
T_CASE(numbers_reach_umq)
{
	struct mq_attr a;
	long id, q;

	if (!t_kernel_ns())
		t_skip("no private IPC namespace");
	id = T_OK(syscall(SYS_msgget, 0x44, IPC_CREAT | 0600));
	T_OK(umq_msgctl((int)id, IPC_STAT, &(struct msqid_ds){ 0 }));
	T_ERR(K(msgget)(0x44, 0), ENOENT);
	q = T_OK(syscall(SYS_mq_open, "here", O_CREAT | O_RDWR, 0600, NULL));
	T_OK(umq_mq_getattr((mqd_t)q, &a));
	T_ERR(K(mq_open)("/here", O_RDWR), ENOENT);
	T_OK(umq_mq_unlink("/here"));
	T_OK(close((int)q));
}

static void s_names(sys_fn sys, int side)
{
	struct mq_attr a = { .mq_maxmsg = 2, .mq_msgsize = 8 };
	struct mq_attr junk = { .mq_maxmsg = -1, .mq_msgsize = -1 };
	static char n255[256], n256[257], huge[PATH_MAX + 8];
	long q, r;

	memset(n255, 'a', 255);
	memset(n256, 'b', 256);
	memset(huge, 'c', sizeof(huge) - 1);
	q = STEP(sys(SYS_mq_open, "sq", O_CREAT | O_RDWR, 0600, &a));
	STEP(sys(SYS_mq_open, "sq", O_CREAT | O_EXCL | O_RDWR, 0600, NULL));
	/* attr is copied without O_CREAT too, but not used */
	r = STEP(sys(SYS_mq_open, "sq", O_RDONLY, 0, &junk));
	STEP(sys(SYS_mq_open, "sq", O_RDONLY, 0, (void *)8));
	STEP(sys(SYS_mq_open, "/sq", O_RDWR, 0, NULL));
	STEP(sys(SYS_mq_open, "", O_RDWR, 0, NULL));
	STEP(sys(SYS_mq_open, ".", O_RDWR, 0, NULL));
	STEP(sys(SYS_mq_open, "..", O_RDWR, 0, NULL));
	STEP(sys(SYS_mq_open, "a/b", O_CREAT | O_RDWR, 0600, NULL));
	STEP(sys(SYS_mq_open, n255, O_RDWR, 0, NULL));
	STEP(sys(SYS_mq_open, n256, O_CREAT | O_RDWR, 0600, NULL));
	STEP(sys(SYS_mq_open, huge, O_RDWR, 0, NULL));
	STEP(sys(SYS_mq_open, NULL, O_RDWR, 0, NULL));
	STEP(sys(SYS_mq_open, NULL, O_RDWR, 0, (void *)8));
	STEP(sys(SYS_mq_unlink, "/sq"));
	STEP(sys(SYS_mq_unlink, ""));
	STEP(sys(SYS_mq_unlink, "."));
	STEP(sys(SYS_mq_unlink, NULL));
	STEP(sys(SYS_mq_unlink, n256));
	STEP(sys(SYS_mq_unlink, "nosuch"));
	STEP(sys(SYS_mq_unlink, "sq"));
	STEP(sys(SYS_mq_unlink, "sq"));
	STEP(sys(SYS_close, q));
	STEP(sys(SYS_close, r));
	(void)side;
}

T_CASE(mq_names_without_slash) { both(s_names); }

static void s_io(sys_fn sys, int side)
{
	struct mq_attr a = { .mq_maxmsg = 2, .mq_msgsize = 8 };
	struct mq_attr nb = { .mq_flags = O_NONBLOCK }, old;
	struct mq_attr bad = { .mq_flags = 1 };
	struct timespec past = { 1, 0 }, neg = { 0, -1 };
	char buf[16];
	unsigned prio = 0;
	long q;

	q = STEP(sys(SYS_mq_open, "io", O_CREAT | O_RDWR, 0600, &a));
	STEP(sys(SYS_mq_timedsend, q, "abc", 3, 5, NULL));
	STEP(sys(SYS_mq_timedsend, q, "d", 1, 32768, NULL));
	STEP(sys(SYS_mq_timedsend, q, "defghijkl", 9, 1, NULL));
	STEP(sys(SYS_mq_timedsend, q, "de", 2, 1, &past));
	STEP(sys(SYS_mq_timedsend, q, "f", 1, 1, &past));	/* full */
	STEP(sys(SYS_mq_timedsend, q, "f", 1, 1, &neg));
	READ(sys(SYS_mq_timedreceive, q, buf, sizeof(buf), &prio, NULL), buf);
	pt_note("  prio %u\n", prio);
	STEP(sys(SYS_mq_timedreceive, q, buf, 4, &prio, NULL));
	STEP(sys(SYS_mq_getsetattr, q, NULL, &old));
	pt_note("  flags %ld maxmsg %ld msgsize %ld curmsgs %ld\n",
		old.mq_flags, old.mq_maxmsg, old.mq_msgsize, old.mq_curmsgs);
	STEP(sys(SYS_mq_getsetattr, q, &nb, &old));
	pt_note("  old flags %ld\n", old.mq_flags);
	STEP(sys(SYS_mq_getsetattr, q, NULL, &old));
	pt_note("  flags %ld\n", old.mq_flags);
	STEP(sys(SYS_mq_getsetattr, q, &bad, NULL));
	STEP(sys(SYS_mq_getsetattr, -1, &bad, NULL));
	STEP(sys(SYS_mq_getsetattr, -1, NULL, NULL));
	STEP(sys(SYS_mq_getsetattr, q, NULL, NULL));
	READ(sys(SYS_mq_timedreceive, q, buf, sizeof(buf), NULL, NULL), buf);
	STEP(sys(SYS_mq_timedreceive, q, buf, sizeof(buf), NULL, NULL));
	STEP(sys(SYS_mq_timedreceive, q, buf, sizeof(buf), NULL, &neg));
	STEP(sys(SYS_mq_timedsend, -1, "x", 1, 0, NULL));
	STEP(sys(SYS_mq_unlink, "io"));
	STEP(sys(SYS_close, q));
	(void)side;
}

T_CASE(mq_send_receive_getsetattr) { both(s_io); }

static void s_notify_signal(sys_fn sys, int side)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
				.sigev_signo = SIGUSR2,
				.sigev_value.sival_int = 42 };
	struct sigevent bad = sev;
	struct timespec ts = { 10, 0 };
	sigset_t set;
	siginfo_t si;
	char line[128];
	long q;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	q = STEP(sys(SYS_mq_open, "ns", O_CREAT | O_RDWR, 0600, NULL));
	bad.sigev_notify = 7;
	STEP(sys(SYS_mq_notify, -1, &bad));
	bad.sigev_notify = SIGEV_SIGNAL;
	bad.sigev_signo = 65;
	STEP(sys(SYS_mq_notify, q, &bad));
	STEP(sys(SYS_mq_notify, q, (void *)8));
	STEP(sys(SYS_mq_notify, q, &sev));
	STEP(sys(SYS_mq_notify, q, &sev));
	STEP(pread((int)q, line, sizeof(line), 0) > 0);
	pt_note("  %.*s", (int)(strstr(line, " NOTIFY_PID") - line), line);
	STEP(sys(SYS_mq_timedsend, q, "x", 1, 0, NULL));
	STEP(sigtimedwait(&set, &si, &ts));
	pt_note("  code %d value %d pid is mine %d\n", si.si_code,
		si.si_value.sival_int, si.si_pid == getpid());
	STEP(sys(SYS_mq_notify, q, NULL));	/* gone: not the owner */
	STEP(sys(SYS_mq_notify, q, &sev));
	STEP(sys(SYS_mq_notify, q, NULL));	/* the owner's: removed */
	STEP(sys(SYS_mq_notify, q, &sev));
	STEP(sys(SYS_mq_unlink, "ns"));
	STEP(sys(SYS_close, q));
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void)side;
}

T_CASE(mq_notify_signal) { both(s_notify_signal); }

/* The kernel's SIGEV_THREAD: a cookie on a netlink socket. */
static void s_notify_netlink(sys_fn sys, int side)
{
	unsigned char cookie[32], got_c[64];
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD };
	struct pollfd pf;
	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int p[2], u[2];
	long q;

	if (nl < 0 || pipe(p) || socketpair(AF_UNIX, SOCK_DGRAM, 0, u))
		T_FAIL("sockets: %s", strerror(errno));
	for (int i = 0; i < 32; i++)
		cookie[i] = (unsigned char)('A' + i);
	q = STEP(sys(SYS_mq_open, "nt", O_CREAT | O_RDWR, 0600, NULL));
	sev.sigev_value.sival_ptr = NULL;
	sev.sigev_signo = nl;
	STEP(sys(SYS_mq_notify, q, &sev));
	sev.sigev_value.sival_ptr = cookie;
	sev.sigev_signo = -1;
	STEP(sys(SYS_mq_notify, q, &sev));
	sev.sigev_signo = p[0];
	STEP(sys(SYS_mq_notify, q, &sev));
	sev.sigev_signo = u[0];
	STEP(sys(SYS_mq_notify, q, &sev));
	sev.sigev_signo = nl;
	STEP(sys(SYS_mq_notify, -1, &sev));
	STEP(sys(SYS_mq_notify, q, &sev));
	STEP(sys(SYS_mq_notify, q, &sev));
	STEP(sys(SYS_mq_timedsend, q, "x", 1, 0, NULL));
	pf = (struct pollfd){ .fd = nl, .events = POLLIN };
	STEP(poll(&pf, 1, 10000));
	memset(got_c, 0, sizeof(got_c));
	STEP(recv(nl, got_c, sizeof(got_c), MSG_DONTWAIT));
	pt_note("  \"%.31s\" last %d\n", got_c, got_c[31]);
	/* Fired: a new registration is possible. */
	STEP(sys(SYS_mq_notify, q, &sev));
	STEP(sys(SYS_mq_unlink, "nt"));
	STEP(sys(SYS_close, q));
	close(nl);
	close(p[0]);
	close(p[1]);
	close(u[0]);
	close(u[1]);
	(void)side;
}

T_CASE(mq_notify_netlink_thread) { both(s_notify_netlink); }

/* The descriptor numbers: close, dup, dup2, fcntl, read by syscall. */
static void s_fds(sys_fn sys, int side)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	char line[128];
	long q, d, e;
	int n = open("/dev/null", O_RDWR);

	q = STEP(sys(SYS_mq_open, "fd", O_CREAT | O_RDWR, 0600, NULL));
	d = sys(SYS_dup, q);
	STEP(d >= 0);
	e = sys(SYS_fcntl, q, F_DUPFD_CLOEXEC, 90);
	STEP(e >= 90);
	STEP(sys(SYS_mq_notify, d, &sev));
	READ(sys(SYS_read, q, line, 30), line);
	READ(sys(SYS_read, e, line, 8), line);
	STEP(sys(SYS_lseek, d, 0, SEEK_CUR));
	STEP(sys(SYS_close, d));		/* drops the registration */
	READ(sys(SYS_pread64, q, line, 60, 12), line);
	STEP(sys(SYS_mq_timedsend, d, "x", 1, 0, NULL));
	STEP(sys(SYS_dup2, n, e) == e);		/* e: /dev/null */
	STEP(sys(SYS_mq_timedsend, e, "x", 1, 0, NULL));
	STEP(sys(SYS_write, e, "x", 1));
	STEP(sys(SYS_write, q, "x", 1));
	STEP(sys(SYS_mq_unlink, "fd"));
	STEP(sys(SYS_close, q));
	STEP(sys(SYS_close, q));
	close((int)e);
	close(n);
	(void)side;
}

T_CASE(descriptor_numbers) { both(s_fds); }

/* mq_unlink refused by the sticky directory: EPERM raw, EACCES in libc. */
static void as_nobody(void *arg)
{
	int side = *(int *)arg;
	sys_fn sys = side ? syscall : K(syscall);
	int (*unl)(const char *) = side ? mq_unlink : K(mq_unlink);

	T_ERR(sys(SYS_mq_unlink, "mine"), EPERM);
	T_ERR(unl("/mine"), EACCES);
}

T_CASE(mq_unlink_eperm)
{
	if (!t_kernel_ns())
		t_skip("no private IPC namespace");
	if (!t_have_cap(CAP_SETUID))
		t_skip("cannot change uid");
	for (int side = 0; side < 2; side++) {
		sys_fn sys = side ? syscall : K(syscall);
		long q = T_OK(sys(SYS_mq_open, "mine", O_CREAT | O_RDWR, 0644,
				  NULL));
		T_EQ(t_as_user(65534, 65534, as_nobody, &side), T_EXIT_PASS);
		T_OK(sys(SYS_mq_unlink, "mine"));
		T_OK(close((int)q));
	}
}

/* Every other number, untouched: results, errno, six arguments. */
T_CASE(passthrough)
{
	char buf[8] = "";
	int p[2];
	void *m;

	T_OK(pipe(p));
	errno = 1234;
	T_EQ(syscall(SYS_getpid), getpid());
	T_EQ(errno, 1234);
	T_EQ(syscall(SYS_gettid), gettid());
	T_EQ(syscall(SYS_write, p[1], "abc", 3), 3);
	T_EQ(syscall(SYS_read, p[0], buf, sizeof(buf)), 3);
	T_ASSERT(!strcmp(buf, "abc"));
	m = (void *)syscall(SYS_mmap, NULL, 8192, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(m != MAP_FAILED);
	memset(m, 1, 8192);
	T_OK(syscall(SYS_munmap, m, 8192));
	T_ERR(syscall(SYS_close, -1), EBADF);
	T_ERR(syscall(SYS_mmap, NULL, 0, PROT_READ,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	T_ERR(syscall(100000), ENOSYS);
	/* Other IPC families are the kernel's. */
	T_OK(syscall(SYS_semget, IPC_PRIVATE, 1, 0600));
	close(p[0]);
	close(p[1]);
}

int main(int argc, char **argv)
{
	pt_reexec(argc, argv);
	return t_main(argc, argv);
}
