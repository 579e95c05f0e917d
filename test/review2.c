/* SPDX-License-Identifier: MIT */
/*
 * review2.c - reproducers of defects found by the second review of the
 * SIGBUS protection (map.c), the store's blocks (store.c) and the file
 * envelope (cred.c), kept as tests.
 *
 * - The helper thread of mq_notify ran with SIGBUS blocked: a queue file
 *   shrunk under it killed the whole process (a blocked fault is fatal).
 * - A SIGBUS sent by kill() to a program without a handler of its own was
 *   swallowed, and took the library's handler with it: the next shrunk
 *   file killed the program.
 * - A program's SA_RESETHAND handler was called again at every repeat of
 *   its fault, so a program that meant to die hung.
 * - A bucket table made full by hand turned the removal of a bucket into
 *   a walk of O(buckets^2) steps, under the queue lock.
 * - Handing a queue's group over opened its files to the creator's group
 *   even where the mode gives that group nothing (ipcperms refuses it).
 * - A first mapping of a queue's file was read (its header checked)
 *   before it was watched: a file shrunk in between killed the process.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "t.h"
#include "umq.h"
#include "internal.h"

struct m {
	long type;
	char text[8];
};

/* ---- the mq_notify helper and a shrunk file ------------------------------ */

struct nh {
	char name[32];
	int ready, go;
};

static void notify_victim(void *arg)
{
	struct nh *a = arg;
	struct mq_attr at = { .mq_maxmsg = 4, .mq_msgsize = 16 };
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	mqd_t q = (mqd_t)T_OK(umq_mq_open(a->name, O_CREAT | O_EXCL | O_RDWR,
					  0600, &at));

	T_OK(umq_mq_notify(q, &sev));	/* its helper sleeps on its record */
	__atomic_store_n(&a->ready, 1, __ATOMIC_RELEASE);
	/* Touch nothing of the queue from here on: the helper must be the
	 * first of this process to find its pages gone. */
	for (int i = 0; i < 10000 && !__atomic_load_n(&a->go, __ATOMIC_ACQUIRE);
	     i++)
		t_msleep(1);
}

T_CASE(notify_helper_survives_shrunk_file)
{
	struct nh *a = t_shared(sizeof(*a));
	char link[PATH_MAX], path[PATH_MAX], target[32];
	ssize_t n;
	pid_t pid;
	int st;

	snprintf(a->name, sizeof(a->name), "/helper");
	pid = t_spawn_alarm(notify_victim, a, 30);
	for (int i = 0; i < 5000 && !__atomic_load_n(&a->ready,
						      __ATOMIC_ACQUIRE); i++)
		t_msleep(1);
	T_ASSERT(a->ready);
	snprintf(link, sizeof(link), "%s/names/helper", t_umq_dir());
	n = readlink(link, target, sizeof(target) - 1);
	T_ASSERT(n > 0);
	target[n] = 0;
	snprintf(path, sizeof(path), "%s/posix/%s", t_umq_dir(), target);
	T_OK(truncate(path, 0));
	/* A stop and a continue restart the helper's futex wait, which now
	 * finds the page gone (EFAULT), and the helper reads its word. */
	T_OK(kill(pid, SIGSTOP));
	T_ASSERT(t_wait_child(pid, WUNTRACED, 5000) != -1);
	T_OK(kill(pid, SIGCONT));
	t_msleep(200);
	__atomic_store_n(&a->go, 1, __ATOMIC_RELEASE);
	st = t_waitpid(pid);
	t_exited_ok(pid, st, "the process whose helper sleeps on the queue");
}

/* ---- SIGBUS that is not a fault of ours ----------------------------------- */

/*
 * These run as fresh programs (this one, exec'd with --child), so that the
 * program's own disposition is set before the library installs its
 * handler, as in a program that calls umq later: a forked case process
 * has the library's handler already (t.c uses a namespace first).
 */
static char *own_mapping(const char *dir)
{
	char path[PATH_MAX];
	char *p;
	int fd;

	snprintf(path, sizeof(path), "%s/own.%d", dir, (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 8192))
		_exit(4);
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || ftruncate(fd, 0))
		_exit(4);
	close(fd);
	unlink(path);
	return p;
}

static void returns(int sig)
{
	(void)sig;	/* the fault comes again */
}

static int child(char **argv)
{
	const char *what = argv[0], *dir = argv[1];
	bool umq = argv[2][0] == '1';
	struct sigaction sa = { .sa_handler = returns,
				.sa_flags = SA_RESETHAND };
	struct m m = { 1, "x" };
	char path[PATH_MAX];
	volatile char *p;
	int qid = -1;

	alarm(5);
	if (!strcmp(what, "ignored"))
		signal(SIGBUS, SIG_IGN);
	if (!strcmp(what, "resethand")) {
		sigemptyset(&sa.sa_mask);
		sigaction(SIGBUS, &sa, NULL);
	}
	if (umq) {	/* the library's handler goes in now */
		if (umq_ns_use(dir))
			return 4;
		qid = umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		if (qid < 0 || umq_msgsnd(qid, &m, 1, 0))
			return 4;
	}
	if (!strcmp(what, "kill") || !strcmp(what, "ignored"))
		kill(getpid(), SIGBUS);
	if (!strcmp(what, "ignored")) {	/* and a file shrunk */
		char gen[32];

		if (t_gen_name(dir, qid, gen, sizeof(gen)))
			return 4;
		snprintf(path, sizeof(path), "%s/sysv/m.%s", dir, gen);
		if (truncate(path, 0))
			return 4;
		umq_msgsnd(qid, &m, 1, IPC_NOWAIT);
		umq_msgrcv(qid, &m, sizeof(m.text), 0, IPC_NOWAIT);
		return 0;
	}
	if (!strcmp(what, "resethand")) {
		p = own_mapping(dir);
		p[100] = 1;
	}
	return 3;
}

static int run_child(const char *what, bool umq)
{
	pid_t pid = fork();
	int st;

	T_ASSERT(pid >= 0);
	if (!pid) {
		execl("/proc/self/exe", "review2", "--child", what,
		      t_umq_dir(), umq ? "1" : "0", (char *)NULL);
		_exit(4);
	}
	st = t_waitpid(pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 4)
		T_FAIL("%s: the child could not set up", what);
	return st;
}

/* The same program ends the same way with and without the library. */
static void same_end(const char *what)
{
	int without = run_child(what, false), with = run_child(what, true);

	t_note("%s: without umq status %#x, with %#x", what, without, with);
	if (with != without)
		T_FAIL("%s: with umq the program ended with status %#x, "
		       "without %#x", what, with, without);
}

/* kill -BUS ends a program that has no handler for it. */
T_CASE(sigbus_from_kill_still_kills) { same_end("kill"); }

/* A one-shot handler runs once; the fault then kills. */
T_CASE(sigbus_resethand_runs_once) { same_end("resethand"); }

/* A program that ignores SIGBUS and is sent one keeps the library's
 * protection against shrunk files. */
T_CASE(sigbus_ignored_keeps_protection)
{
	int st = run_child("ignored", true);

	if (!WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("a program that ignores SIGBUS ended with status %#x",
		       st);
}

/* ---- a full bucket table -------------------------------------------------- */

/* A key whose home slot (store.c's hslot) is slot, in a table of mask+1. */
static int64_t key_at(uint32_t slot)
{
	const uint64_t c = 0x9E3779B97F4A7C15ull;
	uint64_t inv = c;

	for (int i = 0; i < 6; i++)	/* c * inv == 1 mod 2^64 */
		inv *= 2 - c * inv;
	return (int64_t)(((uint64_t)slot << 32) * inv);
}

static void full_table(void *arg)
{
	struct m m = { 1, "x" };
	const uint32_t n = 1u << 17, chunk = 128, hcap = 1u << 18;
	size_t size = store_size(chunk, n);
	char path[PATH_MAX];
	struct store_hdr *st;
	struct bucket *t;
	struct msg *m0;
	uint32_t *hk, *hs, home;
	long t0;
	int qid, fd;

	umq_lane_off = 1;	/* the message in the store, at chunk 0 */
	qid = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	T_OK(umq_msgsnd(qid, &m, 1, 0));
	snprintf(path, sizeof(path), "%s/sysv/m.%016llx", t_umq_dir(),
		 (unsigned long long)t_umq_gen(qid));
	fd = (int)T_OK(open(path, O_RDWR));
	T_OK(ftruncate(fd, (off_t)(M_STORE_OFF + size)));
	st = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		  M_STORE_OFF);
	T_ASSERT(st != MAP_FAILED);
	close(fd);
	m0 = (struct msg *)((char *)st + STORE_HDR_SIZE);
	T_ASSERT(st->chunk_size == chunk && m0->state == CH_QUEUED &&
		 m0->key == 1 && m0->bnext == NIL);
	/* A grown store whose table is full: every entry one slot before
	 * its home, but the message's bucket, at its own home. */
	t = (struct bucket *)((char *)st + STORE_HDR_SIZE +
			      (size_t)n * chunk);
	hk = (uint32_t *)(t + hcap);
	hs = hk + n;
	for (uint32_t i = 0; i < hcap; i++)
		t[i] = (struct bucket){ .key = key_at((i + 1) & (hcap - 1)),
					.head = 1 };
	home = (uint32_t)(((uint64_t)1 * 0x9E3779B97F4A7C15ull) >> 32) &
	       (hcap - 1);
	t[home] = (struct bucket){ .key = 1, .head = 1, .tail = 0,
				   .hseq = m0->seq };
	hk[0] = hs[0] = home;
	st->nbuckets = 1;
	__atomic_store_n(&st->nchunks, n, __ATOMIC_RELEASE);
	munmap(st, size);
	t0 = t_now_ms();
	umq_msgrcv(qid, &m, sizeof(m.text), 0, IPC_NOWAIT);
	t_note("the receive took %ld ms", t_now_ms() - t0);
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

T_CASE(store_full_table_drop_is_bounded)
{
	pid_t pid = t_spawn_alarm(full_table, NULL, 20);

	t_exited_ok(pid, t_waitpid(pid), "a receive from a full table");
}

/* ---- the envelope after a group hand-over --------------------------------- */

/*
 * ipcperms' classes, seen through the files: the files' owner is the
 * creator, their group the creator's (cgid).  A member of the files'
 * group is always in IPC class group (in_group_p(cgid)); anybody else is
 * IPC group if in the queue's gid, else other.  A class of the files
 * needs read-write when some user in it has any IPC access, and only
 * then.
 */
static unsigned model_envelope(unsigned m, bool handed)
{
	unsigned env = 0600;

	if (m >> 3 & 6)
		env |= 060;
	if ((m & 6) || (handed && (m >> 3 & 6)))
		env |= 06;
	return env;
}

T_CASE(envelope_group_handoff)
{
	struct qctl q = { .uid = 2000, .cuid = 2000, .cgid = 2000 };

	for (unsigned m = 0; m <= 0777; m++)
		for (int handed = 0; handed < 2; handed++) {
			q.mode = m;
			q.gid = handed ? 3000 : 2000;
			if (envelope_mode(&q) != model_envelope(m, handed))
				T_FAIL("mode %04o, group %s: envelope %04o, "
				       "ipcperms needs %04o", m,
				       handed ? "handed over" : "the creator's",
				       envelope_mode(&q),
				       model_envelope(m, handed));
		}
}

/* The same through the OS: a member of the creator's group, whom the
 * kernel refuses (mode 0604, group handed over), cannot open the store. */
struct env {
	int qid;
	char path[PATH_MAX];
};

static void make_handed(void *arg)
{
	struct env *e = arg;
	struct msqid_ds ds;

	T_OK(umq_ns_use(t_umq_dir()));
	e->qid = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	T_OK(umq_msgctl(e->qid, IPC_STAT, &ds));
	ds.msg_perm.mode = 0604;
	ds.msg_perm.gid = 3000;
	T_OK(umq_msgctl(e->qid, IPC_SET, &ds));
}

static void open_refused(void *arg)
{
	const struct env *e = arg;
	struct m m;
	int fd = open(e->path, O_RDWR);

	if (fd >= 0)
		T_FAIL("the creator's group opens %s, which ipcperms refuses "
		       "it", e->path);
	T_OK(umq_ns_use(t_umq_dir()));
	T_ERR(umq_msgrcv(e->qid, &m, sizeof(m.text), 0, IPC_NOWAIT), EACCES);
}

T_CASE(envelope_group_handoff_files)
{
	struct env *e = t_shared(sizeof(*e));
	gid_t g = 2000;
	int rc;

	if (geteuid())
		t_skip("needs root to act as other users");
	rc = t_as_user(2000, 2000, make_handed, e);
	if (rc == T_EXIT_SKIP)
		t_skip("cannot become 2000");
	T_EQ(rc, T_EXIT_PASS);
	snprintf(e->path, sizeof(e->path), "%s/sysv/m.%016llx", t_umq_dir(),
		 (unsigned long long)t_umq_gen(e->qid));
	rc = t_as_user_groups(1000, 1000, 1, &g, open_refused, e);
	if (rc == T_EXIT_SKIP)
		t_skip("cannot become 1000 in group 2000");
	T_EQ(rc, T_EXIT_PASS);
}


/* ---- a file shrunk while it is being mapped -------------------------------- */

struct race {
	char path[PATH_MAX];
	off_t size;
	int stop;
};

static void shrinker(void *arg)
{
	struct race *a = arg;

	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		truncate(a->path, 0);
		truncate(a->path, a->size);
	}
}

static void open_once(void *arg)
{
	mqd_t q = umq_mq_open(arg, O_RDWR | O_NONBLOCK);

	if (q >= 0)
		umq_mq_close(q);
}

static void make_pq(void *arg)
{
	struct mq_attr at = { .mq_maxmsg = 4, .mq_msgsize = 16 };

	T_OK(umq_mq_open(arg, O_CREAT | O_EXCL | O_RDWR, 0600, &at));
}

/* A process maps a queue's file for the first time while another user
 * shrinks it: its first reads of the mapping are watched too. */
T_CASE(first_mapping_watched_before_read)
{
	struct race *a = t_shared(sizeof(*a));
	char link[PATH_MAX], target[32];
	struct stat sb;
	int killed = 0, runs = 400;
	ssize_t n;
	pid_t s;

	t_exited_ok(0, t_waitpid(t_spawn(make_pq, "/race")), "the creator");
	snprintf(link, sizeof(link), "%s/names/race", t_umq_dir());
	n = readlink(link, target, sizeof(target) - 1);
	T_ASSERT(n > 0);
	target[n] = 0;
	snprintf(a->path, sizeof(a->path), "%s/posix/%s", t_umq_dir(), target);
	T_OK(stat(a->path, &sb));
	a->size = sb.st_size;
	s = t_spawn_alarm(shrinker, a, 50);
	for (int i = 0; i < runs; i++) {
		int st = t_waitpid(t_spawn_alarm(open_once, "/race", 10));
		if (!WIFEXITED(st) || WEXITSTATUS(st))	/* SIGBUS, or a
							 * sanitizer's end */
			killed++;
	}
	__atomic_store_n(&a->stop, 1, __ATOMIC_RELEASE);
	t_waitpid(s);
	t_note("%d of %d first mappings ended by SIGBUS", killed, runs);
	if (killed)
		T_FAIL("%d of %d processes mapping a shrunk queue were ended "
		       "by SIGBUS", killed, runs);
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "--child"))
		return child(argv + 2);
	return t_main(argc, argv);
}
