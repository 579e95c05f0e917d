/* SPDX-License-Identifier: MIT */
/*
 * preload.c - under LD_PRELOAD (bench -P): libc's names, which the
 * preload takes, against the umq_* functions of the same copy of the
 * library, both reached through dlsym() so that the calls are alike.
 * One process, send-receive pairs that never block, the figure the median
 * of the runs alternating the two; then the system calls the preload's
 * send and receive make.
 */
#include <dlfcn.h>

#include "bench.h"

#define PAIRS	1000	/* a block */
#define BLOCKS	((quick ? 20 : 100) * runs)

static struct backend be_libc = { .name = "libc" };
static struct backend be_direct = { .name = "umq_*" };

static void *sym(const char *name, int *ok)
{
	void *f = dlsym(RTLD_DEFAULT, name);
	Dl_info i;

	/* Both kinds must be the preload's: else the figures mean nothing. */
	if (!f || !dladdr(f, &i) || !strstr(i.dli_fname, "libumq-preload"))
		*ok = 0;
	return f;
}

static int preload_backends(void)
{
	int ok = 1;

#define BIND(field, libc, umq)                                          \
	do {                                                            \
		*(void **)&be_libc.field = sym(libc, &ok);              \
		*(void **)&be_direct.field = sym(umq, &ok);             \
	} while (0)
	BIND(get, "msgget", "umq_msgget");
	BIND(snd, "msgsnd", "umq_msgsnd");
	BIND(rcv, "msgrcv", "umq_msgrcv");
	BIND(ctl, "msgctl", "umq_msgctl");
	BIND(mopen, "mq_open", "umq_mq_open");
	BIND(mclose, "mq_close", "umq_mq_close");
	BIND(munlink, "mq_unlink", "umq_mq_unlink");
	BIND(msend, "mq_send", "umq_mq_send");
	BIND(mrecv, "mq_receive", "umq_mq_receive");
	BIND(msetattr, "mq_setattr", "umq_mq_setattr");
#undef BIND
	return ok ? 0 : -1;
}

/* A queue of each kind for be, that never blocks: 0, or -1. */
struct plq {
	struct backend *be;
	int posix, id;
	mqd_t q;
	char name[48];
};

static int plq_open(struct plq *p)
{
	static char m[SMALL];
	struct mq_attr a = { .mq_flags = O_NONBLOCK, .mq_maxmsg = MQ_MAXMSG,
			     .mq_msgsize = SMALL };

	p->id = -1;
	p->q = -1;
	if (!p->posix) {
		p->id = p->be->get(IPC_PRIVATE, IPC_CREAT | 0600);
		return p->id < 0 ? -1 : 0;
	}
	snprintf(p->name, sizeof(p->name), "/umq-bench-pl.%d.%s",
		 (int)getpid(), p->be == &be_libc ? "libc" : "umq");
	/* Opened as the preload's mq_open opens them. */
	p->q = p->be->mopen(p->name, O_CREAT | O_RDWR | O_NONBLOCK |
			    (p->be == &be_direct ? UMQ_O_NOPOLL : 0), 0600, &a);
	/* one message stays: no send finds the queue empty */
	return p->q < 0 || p->be->msend(p->q, m, SMALL, 0) < 0 ? -1 : 0;
}

static void plq_close(struct plq *p)
{
	if (p->q >= 0) {
		p->be->mclose(p->q);
		p->be->munlink(p->name);
	}
	if (p->id >= 0)
		p->be->ctl(p->id, IPC_RMID, NULL);
}

/* ns per send-receive pair over a block of them; NAN if a call failed. */
static double block_ns(struct plq *p)
{
	static struct qmsg m = { .mtype = 1 };
	struct backend *be = p->be;
	double t0 = now();
	int i, bad = 0;

	for (i = 0; i < PAIRS && !bad; i++) {
		if (p->posix)
			bad = be->msend(p->q, m.mtext, SMALL, 0) < 0 ||
			      be->mrecv(p->q, m.mtext, SMALL, NULL) < 0;
		else
			bad = be->snd(p->id, &m, SMALL, IPC_NOWAIT) < 0 ||
			      be->rcv(p->id, &m, SMALL, 0, IPC_NOWAIT) < 0;
	}
	return bad ? NAN : (now() - t0) / PAIRS * 1e9;
}

/*
 * On a loaded machine the noise dwarfs a few nanoseconds: the two are
 * timed in short blocks, side by side (in ABBA order), and the figure is
 * the median of each one's blocks and of the ratios of neighbours.
 */
static void preload_cost(const char *label, int posix)
{
	struct plq p[2] = { { .be = &be_direct, .posix = posix },
			    { .be = &be_libc, .posix = posix } };
	static double v[2][100 * MAX_RUNS], ratio[100 * MAX_RUNS];
	double med[2];
	int k, b, bad = plq_open(&p[0]) || plq_open(&p[1]);

	for (k = 0; k < BLOCKS && !bad; k++) {
		for (b = 0; b < 2; b++) {
			int w = k & 1 ? 1 - b : b;
			v[w][k] = block_ns(&p[w]);
			bad |= isnan(v[w][k]);
		}
		ratio[k] = v[1][k] / v[0][k];
	}
	plq_close(&p[0]);
	plq_close(&p[1]);
	if (bad) {
		printf("  %-30s not measured: %s\n", label, strerror(errno));
		be_libc.failed = 1;
		return;
	}
	for (b = 0; b < 2; b++) {
		qsort(v[b], BLOCKS, sizeof(double), cmp_double);
		med[b] = v[b][BLOCKS / 2];
	}
	qsort(ratio, BLOCKS, sizeof(double), cmp_double);
	printf("  %-30s %8.1f ns %8.1f ns %+8.1f %%\n", label, med[0], med[1],
	       (ratio[BLOCKS / 2] - 1) * 100);
}

/* In the process started under the preload. */
int preload_child(void)
{
	if (preload_backends()) {
		printf("  not measured: the preload is not loaded\n");
		return 1;
	}
	printf("cost per call, one process, send-receive pairs of 64 B that "
	       "never block\n(medians of %d blocks of %d pairs each, the two "
	       "side by side):\n", BLOCKS, PAIRS);
	printf("  %-30s %11s %11s %10s\n", "", "umq_*", "libc names",
	       "difference");
	preload_cost("msgsnd + msgrcv, IPC_NOWAIT", 0);
	preload_cost("mq_send + mq_receive", 1);
	printf("system calls per operation under the preload, %d x 64 B, "
	       "nobody waiting\n(umq_*: the library's functions; libc: "
	       "libc's names, which the preload takes):\n", COUNT_MSGS);
	backends[0] = &be_direct;
	backends[1] = &be_libc;
	printf("  " SYSV ", IPC_NOWAIT:\n");
	count_calls(0, counted_nowait, "msgsnd", "msgrcv");
	printf("  " POSIX ", O_NONBLOCK, the queue never empty:\n");
	count_calls(1, counted_mq, "mq_send", "mq_receive");
	return be_libc.failed || be_direct.failed;
}

/* Run this program again under the preload, in our namespace. */
void preload_section(char *argv0)
{
	char r[16], t[32];
	int st;
	pid_t pid;

	printf("\nLD_PRELOAD=libumq-preload.so: libc's names against umq_*, "
	       "the same copy%s:\n", geteuid() ? "" : ", as uid 65534");
	/* uid 65534 must reach the namespace inside our directory */
	if (!geteuid())
		chmod(ns_parent, 0711);
	fflush(stdout);
	snprintf(r, sizeof(r), "%d", runs);
	snprintf(t, sizeof(t), "%g", run_secs);
	pid = fork();
	if (pid == 0) {
		child_start();
		/* timed as an ordinary user's program, as the others */
		if (geteuid() == 0 && drop_to_nobody())
			_exit(1);
		setenv("LD_PRELOAD", UMQ_PRELOAD, 1);
		setenv("UMQ_DIR", ns_dir, 1);
		execl("/proc/self/exe", argv0, "-P", quick ? "-q" : "-P",
		      "-r", r, "-t", t, verbose ? "-v" : NULL, (char *)NULL);
		printf("  not measured: exec: %s\n", strerror(errno));
		_exit(1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st)) {
		note("preload: the measuring process failed");
		be_umq.failed = 1;
	}
}

