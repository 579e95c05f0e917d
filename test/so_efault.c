/* SPDX-License-Identifier: MIT */
/*
 * so_efault.c - bad addresses that are not NULL, kernel and umq side by
 * side, umq as programs load it (libumq.so): a buffer that runs into an
 * unmapped page, or a read-only one for a call that writes, gives EFAULT
 * at the point where the kernel's copy would fault, and leaves the queue
 * as the kernel's leaves it (a send queues nothing; a receive has taken
 * its message and lost it; MSG_COPY has taken nothing) - never a crash.
 * errno_diff.c covers NULL and the first page.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"

#define MSGSIZE 16

/* The running cut's calls (backend.h): System V, POSIX. */
#define SV (&sysv_backends[half])
#define MQ (&mq_backends[half])

/* expr must give ret and, if ret is -1, errno e. */
#define GIVES(expr, ret, e)                                             \
	do {                                                            \
		errno = 0;                                              \
		long long g_r_ = (long long)(expr);                     \
		int g_e_ = errno;                                       \
		if (g_r_ != (ret) || ((ret) == -1 && g_e_ != (e)))      \
			T_FAIL("%s: %s gave %lld %s, expected %lld %s", \
			       MQ->name, #expr, g_r_,                    \
			       strerrorname_np(g_e_) ?: "0",            \
			       (long long)(ret),                        \
			       (ret) == -1 ? strerrorname_np(e) : "");  \
	} while (0)

/*
 * The end of a readable and writable page that nothing follows: an
 * object of n bytes at edge(n) ends there, one at edge(n) + k runs k
 * bytes into the hole.  The other page is read-only.
 */
static char *hole, *ro;

static char *pages(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 3 * (size_t)pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	/* PROT_NONE, not unmapped: no mapping of the library's may land
	 * in the hole. */
	T_ASSERT(p != MAP_FAILED);
	T_ASSERT(!mprotect(p + pg, (size_t)pg, PROT_NONE));
	T_ASSERT(!mprotect(p + 2 * pg, (size_t)pg, PROT_READ));
	hole = p + pg;
	ro = p + 2 * pg;
	return hole;
}

static uint64_t qnum(int id)
{
	struct msqid_ds ds;

	T_ASSERT(SV->ctl(id, IPC_STAT, &ds) == 0);
	return ds.msg_qnum;
}

static long curmsgs(mqd_t q)
{
	struct mq_attr a;

	T_ASSERT(MQ->getattr(q, &a) == 0);
	return a.mq_curmsgs;
}

struct m {
	long mtype;
	char text[MSGSIZE];
};

BOTH(sysv_send_from_bad_memory)
{
	int id = SV->get(IPC_PRIVATE, 0600);
	char *tail = pages() - sizeof(long) - 8;	/* 8 of 16 text bytes */

	T_ASSERT(id >= 0);
	*(long *)tail = 1;
	GIVES(SV->snd(id, tail, MSGSIZE, IPC_NOWAIT), -1, EFAULT);
	GIVES(SV->snd(id, tail, 8, IPC_NOWAIT), 0, 0);	/* fits */
	GIVES(SV->snd(id, hole, 0, IPC_NOWAIT), -1, EFAULT);	/* mtype */
	T_EQ(qnum(id), 1);
	/* The text is read before the queue is looked for... */
	GIVES(SV->snd(id + 1, tail, MSGSIZE, 0), -1, EFAULT);
	/* ...after the size and mtype are checked. */
	GIVES(SV->snd(id, tail, 1 << 20, 0), -1, EINVAL);
	*(long *)tail = 0;
	GIVES(SV->snd(id, tail, MSGSIZE, 0), -1, EINVAL);
	T_EQ(qnum(id), 1);
	GIVES(SV->ctl(id, IPC_RMID, NULL), 0, 0);
}

BOTH(sysv_receive_into_bad_memory)
{
	int id = SV->get(IPC_PRIVATE, 0600);
	struct m m = { 5, "0123456789abcdef" };
	char *tail = pages() - sizeof(long) - 8;

	T_ASSERT(id >= 0);
	for (int i = 0; i < 5; i++)
		GIVES(SV->snd(id, &m, MSGSIZE, 0), 0, 0);
	/* MSG_COPY takes nothing, whatever the copy does. */
	GIVES(SV->rcv(id, tail, MSGSIZE, 0, IPC_NOWAIT | MSG_COPY), -1,
	      EFAULT);
	/* It reads min(msgsz, msgmax) bytes of the buffer first: EFAULT
	 * before the queue and the index are looked for. */
	GIVES(SV->rcv(id, tail, 100, 7, IPC_NOWAIT | MSG_COPY), -1, EFAULT);
	GIVES(SV->rcv(id + 1, tail, 100, 0, IPC_NOWAIT | MSG_COPY), -1,
	      EFAULT);
	T_EQ(qnum(id), 5);
	/* A receive has taken the message when its copy faults: lost. */
	GIVES(SV->rcv(id, tail, MSGSIZE, 0, IPC_NOWAIT), -1, EFAULT);
	T_EQ(qnum(id), 4);
	GIVES(SV->rcv(id, hole, MSGSIZE, 0, IPC_NOWAIT), -1, EFAULT);
	T_EQ(qnum(id), 3);
	GIVES(SV->rcv(id, ro, MSGSIZE, 0, IPC_NOWAIT), -1, EFAULT);
	T_EQ(qnum(id), 2);
	/* What fits before the hole is received. */
	GIVES(SV->rcv(id, tail, 8, 0, IPC_NOWAIT | MSG_NOERROR), 8, 0);
	T_EQ(memcmp(tail + sizeof(long), "01234567", 8), 0);
	T_EQ(qnum(id), 1);
	GIVES(SV->ctl(id, IPC_RMID, NULL), 0, 0);
}

BOTH(sysv_msgctl_bad_memory)
{
	int id = SV->get(IPC_PRIVATE, 0600);
	struct msqid_ds *cut = (struct msqid_ds *)(pages() - 16);
	struct msqid_ds ds;

	T_ASSERT(id >= 0);
	GIVES(SV->ctl(id, IPC_STAT, cut), -1, EFAULT);
	GIVES(SV->ctl(id, IPC_STAT, (struct msqid_ds *)ro), -1, EFAULT);
	GIVES(SV->ctl(id, IPC_SET, cut), -1, EFAULT);
	GIVES(SV->ctl(id + 1, IPC_SET, cut), -1, EFAULT);	/* first */
	GIVES(SV->ctl(0, IPC_INFO, cut), -1, EFAULT);
	GIVES(SV->ctl(0, MSG_INFO, (struct msqid_ds *)ro), -1, EFAULT);
	GIVES(SV->ctl(id, IPC_STAT, &ds), 0, 0);
	T_EQ(ds.msg_perm.mode, 0600);
	GIVES(SV->ctl(id, IPC_RMID, NULL), 0, 0);
}

BOTH(posix_send_and_receive_bad_memory)
{
	struct mq_attr a = { .mq_maxmsg = 8, .mq_msgsize = MSGSIZE };
	char *tail = pages() - 8;
	unsigned prio;
	mqd_t q;

	q = MQ->open("/f", O_CREAT | O_RDWR | O_NONBLOCK, 0600, &a);
	T_ASSERT(q >= 0);
	GIVES(MQ->send(q, tail, MSGSIZE, 1), -1, EFAULT);
	GIVES(MQ->send(q, hole, 1, 1), -1, EFAULT);
	T_EQ(curmsgs(q), 0);
	for (int i = 0; i < 5; i++)
		GIVES(MQ->send(q, "0123456789abcdef", MSGSIZE, 1), 0, 0);
	/* Taken, then lost, as the kernel's. */
	GIVES(MQ->receive(q, tail, MSGSIZE, NULL), -1, EFAULT);
	T_EQ(curmsgs(q), 4);
	GIVES(MQ->receive(q, ro, MSGSIZE, NULL), -1, EFAULT);
	T_EQ(curmsgs(q), 3);
	GIVES(MQ->receive(q, tail - 8, MSGSIZE, (unsigned *)hole), -1, EFAULT);
	T_EQ(curmsgs(q), 2);
	GIVES(MQ->receive(q, tail - 8, MSGSIZE, &prio), MSGSIZE, 0);
	T_EQ(prio, 1);
	T_EQ(memcmp(tail - 8, "0123456789abcdef", MSGSIZE), 0);
	/* The timeout is read first, whether or not the call would wait. */
	GIVES(MQ->timedsend(q, "x", 1, 0, (struct timespec *)(hole - 8)), -1,
	      EFAULT);
	GIVES(MQ->timedreceive(q, tail, MSGSIZE, NULL,
			      (struct timespec *)(hole - 8)), -1, EFAULT);
	T_EQ(curmsgs(q), 1);
	MQ->close(q);
	GIVES(MQ->unlink("/f"), 0, 0);
}

BOTH(posix_attr_name_and_event_bad_memory)
{
	struct mq_attr a = { .mq_maxmsg = 2, .mq_msgsize = MSGSIZE };
	struct mq_attr *cut = (struct mq_attr *)(pages() - 16), old;
	char *name = hole - 3;
	mqd_t q;

	memcpy(name, "/ab", 3);		/* no NUL before the hole */
	GIVES(MQ->open(name, O_CREAT | O_RDWR, 0600, &a), -1, EFAULT);
	GIVES(MQ->open(name, O_RDWR, 0, NULL), -1, EFAULT);
	GIVES(MQ->unlink(name), -1, EFAULT);
	GIVES(MQ->open("/g", O_CREAT | O_RDWR, 0600, cut), -1, EFAULT);
	GIVES(MQ->open("/g", O_RDWR, 0, NULL), -1, ENOENT);	/* none made */
	q = MQ->open("/g", O_CREAT | O_RDWR, 0600, &a);
	T_ASSERT(q >= 0);
	GIVES(MQ->getattr(q, cut), -1, EFAULT);
	GIVES(MQ->getattr(q, (struct mq_attr *)ro), -1, EFAULT);
	GIVES(MQ->setattr(q, cut, NULL), -1, EFAULT);
	/* The change is made, then the old attributes fault. */
	old.mq_flags = O_NONBLOCK;
	GIVES(MQ->setattr(q, &old, cut), -1, EFAULT);
	GIVES(MQ->getattr(q, &old), 0, 0);
	T_EQ(old.mq_flags, O_NONBLOCK);
	/* What glibc's wrapper reads is there (SIGEV_SIGNAL); the rest of
	 * the event, which the kernel copies, is not. */
	struct sigevent *ev = (struct sigevent *)(hole - 16);
	ev->sigev_notify = SIGEV_SIGNAL;
	ev->sigev_signo = SIGUSR1;
	GIVES(MQ->notify(q, ev), -1, EFAULT);
	GIVES(MQ->notify(q, NULL), 0, 0);
	MQ->close(q);
	GIVES(MQ->unlink("/g"), 0, 0);
}

/* umq's own calls, by the same rule. */
T_CASE(umq_extensions_bad_memory)
{
	struct m m = { 3, "0123456789abcdef" };
	struct umq_peek_msg *pm = (struct umq_peek_msg *)(pages() - 8);
	int id = umq_msgget(IPC_PRIVATE, 0600);
	char *name = hole - 3;

	T_ASSERT(id >= 0);
	T_EQ(umq_msgsnd(id, &m, MSGSIZE, 0), 0);
	GIVES(umq_msgpeek(id, 0, 0, 0, pm, 1), -1, EFAULT);
	GIVES(umq_msgpeek(id, 0, 0, 0, (struct umq_peek_msg *)ro, 1), -1,
	      EFAULT);
	GIVES(umq_ns_get_limits((struct umq_limits *)(hole - 8)), -1,
	      EFAULT);
	GIVES(umq_ns_set_limits((struct umq_limits *)(hole - 8)), -1,
	      EFAULT);
	GIVES(umq_msg_stats(id, (struct umq_qstats *)(hole - 8)), -1, EFAULT);
	memcpy(name, "/ab", 3);
	GIVES(umq_mq_stat(name, (struct umq_mq_info *)ro), -1, EFAULT);
	GIVES(umq_mq_stat("/none", (struct umq_mq_info *)ro), -1, ENOENT);
	T_EQ(umq_msgctl(id, IPC_RMID, NULL), 0);
}

/*
 * A program's own SIGSEGV handler, installed before umq's first call,
 * still gets the faults that are not the library's, and the library's
 * EFAULT works in front of it.  In a fresh image (the harness has made
 * umq calls already): this program, exec'd with "chain".
 */
static volatile sig_atomic_t caught;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	caught = si->si_addr == (void *)hole;
	mprotect(hole, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE);
}

static int chain_child(void)
{
	struct sigaction sa = { .sa_sigaction = on_segv,
				.sa_flags = SA_SIGINFO };
	struct m m = { 1, "" };
	int id;

	alarm(30);
	pages();
	sigaction(SIGSEGV, &sa, NULL);
	if (umq_ns_use(getenv("UMQ_T_DIR")))
		return 10;
	id = umq_msgget(IPC_PRIVATE, 0600);
	if (id < 0)
		return 11;
	if (umq_msgsnd(id, hole, 0, 0) != -1 || errno != EFAULT)
		return 12;
	if (caught)
		return 13;	/* the library's fault reached the program */
	*(volatile char *)hole = 1;	/* the program's own */
	if (!caught)
		return 14;
	if (umq_msgsnd(id, &m, 0, 0) || umq_msgctl(id, IPC_RMID, NULL))
		return 15;
	return 0;
}

T_CASE(umq_program_handler_kept)
{
	char dir[64];
	int st;
	pid_t pid;

	/* Named as the harness's own, which removes it after the case. */
	snprintf(dir, sizeof(dir), "/dev/shm/umq-t.%d.chainXXXXXX",
		 (int)getpid());
	T_ASSERT(mkdtemp(dir));
	pid = fork();
	if (pid == 0) {
		setenv("UMQ_T_DIR", dir, 1);
		execl("/proc/self/exe", "so_efault", "chain", (char *)NULL);
		_exit(9);
	}
	st = t_reap(pid, 30000);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("the exec'd program: wait status %#x (exit code %d: "
		       "see chain_child)", st, WIFEXITED(st) ?
		       WEXITSTATUS(st) : -1);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "chain"))
		return chain_child();
	return t_main(argc, argv);
}
