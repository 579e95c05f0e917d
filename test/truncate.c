/* SPDX-License-Identifier: MIT */
/*
 * truncate.c - a queue's files shrunk under its users (map.c).
 *
 * Every user of a queue may write its files, so any of them may
 * ftruncate() one; the others then touch pages that are gone.  They must
 * get correct results or clean errors, never SIGBUS.  A SIGBUS in a
 * mapping that is not the library's still goes where it went before:
 * the program's handler, or the default action.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "t.h"
#include "umq.h"
#include "internal.h"

struct m {
	long type;
	char text[64];
};

/* An answer is a result or one of these errors. */
static void clean(long long r, const char *what)
{
	static const int ok[] = {
		EUCLEAN, EIDRM, EINVAL, ENOMSG, EAGAIN, ETIMEDOUT, ENOMEM,
		EACCES, EPERM, E2BIG, EBADF, EMSGSIZE, ENOENT,
	};

	if (r >= 0)
		return;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (errno == ok[i])
			return;
	T_FAIL("%s: %s", what, strerrorname_np(errno) ?: "?");
}

/* ---- System V ------------------------------------------------------------ */

struct sv {
	int qid;
	char path[PATH_MAX];	/* the file to shrink */
	off_t size;
};

static void sysv_calls(int qid)
{
	struct timespec t = { 0, 50 * 1000 * 1000 };
	struct msqid_ds ds;
	struct m m = { 1, "after" };

	clean(umq_msgsnd(qid, &m, sizeof(m.text), IPC_NOWAIT), "msgsnd");
	clean(umq_msgrcv(qid, &m, sizeof(m.text), 0, IPC_NOWAIT), "msgrcv");
	clean(umq_msgrcv(qid, &m, sizeof(m.text), -5, IPC_NOWAIT),
	      "msgrcv -5");
	clean(umq_msgclockrcv(qid, &m, sizeof(m.text), 7, 0, CLOCK_MONOTONIC,
			      &t), "msgclockrcv");
	clean(umq_msgctl(qid, IPC_STAT, &ds), "IPC_STAT");
	clean(umq_msgctl(qid & 0x7fff, MSG_STAT_ANY, &ds), "MSG_STAT_ANY");
	clean(umq_msgsnd(qid, &m, sizeof(m.text), IPC_NOWAIT), "msgsnd");
}

/* Another process of the queue shrinks a file and goes on using it. */
static void sysv_shrinker(void *arg)
{
	struct sv *a = arg;

	T_OK(truncate(a->path, a->size));
	sysv_calls(a->qid);
}

static void sysv_case(const char *file, off_t size)
{
	struct m m = { 1, "before" };
	struct sv *a = t_shared(sizeof(*a));
	uint64_t gen;
	pid_t pid;

	a->qid = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	for (int i = 0; i < 5; i++)
		T_OK(umq_msgsnd(a->qid, &m, sizeof(m.text), 0));
	gen = t_umq_gen(a->qid);
	snprintf(a->path, sizeof(a->path), "%s/sysv/%s.%016llx", t_umq_dir(),
		 file, (unsigned long long)gen);
	a->size = size;
	pid = t_spawn_alarm(sysv_shrinker, a, 20);
	t_exited_ok(pid, t_waitpid(pid), "the process that shrank it");
	sysv_calls(a->qid);		/* and this one, mapped before */
	clean(umq_msgctl(a->qid, IPC_RMID, NULL), "IPC_RMID");
	t_note("%s.<gen> to %lld B: %lu page(s) read as zeros here",
	       file, (long long)size, map_replaced());
}

T_CASE(sysv_control_block_emptied) { sysv_case("q", 0); }
T_CASE(sysv_control_block_halved) { sysv_case("q", 2048); }
T_CASE(sysv_data_emptied) { sysv_case("m", 0); }
T_CASE(sysv_records_halved) { sysv_case("m", 8192); }
T_CASE(sysv_store_cut) { sysv_case("m", M_STORE_OFF + 100); }

/* The same with thousands of other queues mapped: each mapping is found
 * in the watch table among the others'. */
T_CASE(sysv_data_emptied_among_many)
{
	struct m m = { 1, "x" };
	static int ids[3000];

	for (int i = 0; i < 3000; i++) {
		ids[i] = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
		T_OK(umq_msgsnd(ids[i], &m, 1, 0));
	}
	sysv_case("m", 0);
	for (int i = 0; i < 3000; i++)
		T_OK(umq_msgctl(ids[i], IPC_RMID, NULL));
}

/* ---- POSIX --------------------------------------------------------------- */

struct px {
	char name[32];
	char path[PATH_MAX];
	off_t size;
};

static void posix_calls(const char *name)
{
	struct timespec t;
	struct mq_attr at;
	char buf[128];
	mqd_t q = umq_mq_open(name, O_RDWR | O_NONBLOCK);

	clean(q, "mq_open");
	if (q < 0)
		return;
	clean(umq_mq_send(q, "after", 5, 1), "mq_send");
	clean(umq_mq_receive(q, buf, sizeof(buf), NULL), "mq_receive");
	clean(umq_mq_getattr(q, &at), "mq_getattr");
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec = 0;
	t.tv_sec++;
	clean(umq_mq_timedreceive(q, buf, sizeof(buf), NULL, &t),
	      "mq_timedreceive");
	clean(umq_mq_close(q), "mq_close");
}

static void posix_shrinker(void *arg)
{
	struct px *a = arg;

	T_OK(truncate(a->path, a->size));
	posix_calls(a->name);
}

static void posix_case(off_t size)
{
	struct mq_attr at = { .mq_maxmsg = 8, .mq_msgsize = 64 };
	struct px *a = t_shared(sizeof(*a));
	char link[PATH_MAX], target[32];
	ssize_t n;
	mqd_t q;
	pid_t pid;

	snprintf(a->name, sizeof(a->name), "/trunc%lld", (long long)size);
	q = (mqd_t)T_OK(umq_mq_open(a->name, O_CREAT | O_EXCL | O_RDWR |
				    O_NONBLOCK, 0600, &at));
	for (int i = 0; i < 5; i++)
		T_OK(umq_mq_send(q, "before", 6, (unsigned)i));
	snprintf(link, sizeof(link), "%s/names/%s", t_umq_dir(), a->name + 1);
	n = readlink(link, target, sizeof(target) - 1);
	T_ASSERT(n > 0);
	target[n] = 0;
	snprintf(a->path, sizeof(a->path), "%s/posix/%s", t_umq_dir(),
		 target);
	a->size = size;
	pid = t_spawn_alarm(posix_shrinker, a, 20);
	t_exited_ok(pid, t_waitpid(pid), "the process that shrank it");
	posix_calls(a->name);		/* mapped before */
	clean(umq_mq_close(q), "mq_close");
	clean(umq_mq_unlink(a->name), "mq_unlink");
}

T_CASE(posix_file_emptied) { posix_case(0); }
T_CASE(posix_control_block_halved) { posix_case(2048); }
T_CASE(posix_store_cut) { posix_case(PQ_STORE_OFF + 100); }

/* ---- SIGBUS that is not ours ---------------------------------------------- */

/* A mapping of the program's own, shrunk: SIGBUS as without umq. */
static char *own_mapping(bool umq)
{
	char path[PATH_MAX];
	char *p;
	int fd;

	/* The library's handler is in place once it has mapped a queue. */
	if (umq)
		T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	snprintf(path, sizeof(path), "%s/own.%d", t_umq_dir(), (int)getpid());
	fd = (int)T_OK(open(path, O_RDWR | O_CREAT | O_TRUNC, 0600));
	T_OK(ftruncate(fd, 8192));
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	T_ASSERT(p != MAP_FAILED);
	T_OK(ftruncate(fd, 0));
	close(fd);
	unlink(path);
	return p;
}

static void touch_own(void *arg)
{
	volatile char *p = own_mapping(arg != NULL);

	p[100] = 1;
	_exit(3);	/* not reached */
}

/* The same program ends the same way with and without the library's
 * handler: killed by SIGBUS (or, under a sanitizer, as its handler
 * ends it). */
T_CASE(foreign_sigbus_still_kills)
{
	pid_t pid = t_spawn_alarm(touch_own, NULL, 20);
	int without = t_waitpid(pid), with;

	pid = t_spawn_alarm(touch_own, "umq", 20);
	with = t_waitpid(pid);
	if (with != without)
		T_FAIL("with umq the child ended with status %#x, without "
		       "%#x", with, without);
	if (WIFEXITED(with) && WEXITSTATUS(with) == 3)
		T_FAIL("the child survived its SIGBUS");
}

static sigjmp_buf back;
static volatile sig_atomic_t seen;

static void own_handler(int sig, siginfo_t *si, void *ctx)
{
	seen = si->si_code == BUS_ADRERR;
	siglongjmp(back, 1);
}

static void handled_own(void *arg)
{
	struct sigaction sa = { .sa_sigaction = own_handler,
				.sa_flags = SA_SIGINFO };
	volatile char *p;

	sigemptyset(&sa.sa_mask);
	T_OK(sigaction(SIGBUS, &sa, NULL));	/* before the library's */
	p = own_mapping(true);
	if (!sigsetjmp(back, 1))
		p[100] = 1;
	if (!seen)
		T_FAIL("the program's handler did not get its SIGBUS");
}

T_CASE(foreign_sigbus_to_program_handler)
{
	pid_t pid = t_spawn_alarm(handled_own, NULL, 20);

	t_exited_ok(pid, t_waitpid(pid), "a program with a SIGBUS handler");
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
