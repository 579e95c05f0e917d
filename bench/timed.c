/* SPDX-License-Identifier: MIT */
/*
 * timed.c - the main table: throughput and round trips of the kernel,
 * umq and Boost.Interprocess side by side, medians of the runs with their
 * spread, and the ratios; then the floors of this machine (floor.c) and
 * how far each figure is from them.
 */
#include <strings.h>

#include "bench.h"

struct test {
	const char *group;	/* SYSV or POSIX */
	const char *label;
	size_t size;
	int nmq;	/* POSIX queues it needs; 0: one System V queue */
	int rtt;	/* round trips: p50, p99, mean; else msg/s */
	long depth;	/* messages a queue holds; 0: System V's msg_qbytes
			 * of a new queue, POSIX MQ_MAXMSG */
	int asleep;	/* umq's callers never spin ($UMQ_SPIN_US=0): each
			 * message wakes a sleeper, as the futex floor's */
	int polled;	/* umq's POSIX descriptors are opened without
			 * UMQ_O_NOPOLL: poll stays exact, no lane */
};

static const struct test tests[] = {
	{ SYSV, "one-way, 64 B", SMALL, 0, 0, 0, 0, 0 },
	/* POSIX's depth: the figure POSIX's one-way is compared with */
	{ SYSV, "one-way, 64 B", SMALL, 0, 0, MQ_MAXMSG, 0, 0 },
	{ SYSV, "one-way, 8000 B", BIG, 0, 0, 0, 0, 0 },
	{ SYSV, "round trip, 8 B", TINY, 0, 1, 0, 0, 0 },
	{ SYSV, "rtt asleep, 8 B", TINY, 0, 1, 0, 1, 0 },
	{ POSIX, "one-way, 64 B", SMALL, 1, 0, 0, 0, 0 },
	{ POSIX, "one-way, 8000 B", BIG, 1, 0, 0, 0, 0 },
	{ POSIX, "round trip, 8 B", TINY, 2, 1, 0, 0, 0 },
	{ POSIX, "one-way, 64 B, polled", SMALL, 1, 0, 0, 0, 1 },
	{ POSIX, "round trip, 8 B, polled", TINY, 2, 1, 0, 0, 1 },
};
#define NTESTS	(sizeof(tests) / sizeof(tests[0]))
#define NFIG	3	/* figures of a test: msg/s; or p50, p99, mean */
#define NBE	7	/* kernel, umq, Boost; the ring, futex, lock-free
			 * and two-lock floors */

static const char *const fig_name[2][NFIG] = {
	{ "msg/s" }, { "p50 us", "p99 us", "mean us" }
};

static struct backend *const table_be[NBE] = {
	&be_kernel, &be_umq, &be_boost, &be_ring, &be_futex, &be_exact,
	&be_twolock
};
enum { B_KERNEL, B_UMQ, B_BOOST, B_RING, B_FUTEX, B_EXACT, B_TWOLOCK };

static long kernel_qbytes;
/* -c: system calls per message (or round trip) of each side, last run */
static double calls[NTESTS][NBE][2];
static char calls_seen[NTESTS][NBE][2][200];
static char boost_why[200];

/* Boost's and the ring's depth: the kernel's capacity in messages, or
 * mq_maxmsg. */
static long depth_of(const struct test *t)
{
	long d = kernel_qbytes / (long)t->size;

	if (t->depth)
		return t->depth;
	if (t->nmq)
		return MQ_MAXMSG;
	return d < 1 ? 1 : d;
}

/* The figures of one run, from the results its children left. */
static void figures(const struct test *t, double *f)
{
	const struct result *r = &res[t->rtt];
	int i;

	for (i = 0; i < NFIG; i++)
		f[i] = NAN;
	if (r->count <= 0 || r->secs <= 0)
		return;
	if (!t->rtt) {
		f[0] = r->count / r->secs;
		return;
	}
	f[0] = r->p50;
	f[1] = r->p99;
	f[2] = r->secs / r->count * 1e6;
}

/* Every run's figures: v[test][backend][figure][run]; NAN where none. */
static double v[NTESTS][NBE][NFIG][MAX_RUNS];
static int skip[NTESTS][NBE];

/* One run of test ti on each backend it uses. */
static void run_once(const struct test *t, int ti, const int *use, int r)
{
	static const role_fn oneway[2] = { receiver, sender };
	static const role_fn rtt[2] = { ponger, pinger };
	double f[NFIG];
	char why[256];
	int b, i;

	roles_asleep = t->asleep;
	roles_polled = t->polled;
	for (b = 0; b < NBE; b++) {
		struct backend *be = table_be[b];

		for (i = 0; i < NFIG; i++)
			v[ti][b][i][r] = NAN;
		if (!use[b] || skip[ti][b] || be->broken || interrupted)
			continue;
		why[0] = 0;
		if (run_job_depth(be, t->size, depth_of(t), t->nmq,
				  t->rtt ? rtt : oneway, 2, why, sizeof(why))) {
			skip[ti][b] = be->failed = 1;
			note("%s, %s %s: %s", be->name, t->group, t->label,
			     why);
			continue;
		}
		figures(t, f);
		for (i = 0; i < NFIG; i++)
			v[ti][b][i][r] = f[i];
		for (i = 0; count_roles && i < 2; i++) {
			calls[ti][b][i] = (double)res[i].extra[0] /
					  res[t->rtt].count;
			memcpy(calls_seen[ti][b][i], res[i].detail,
			       sizeof(res[i].detail));
		}
	}
	roles_asleep = roles_polled = 0;
}

/* Medians and spreads of test ti's runs: s[b][i], figure i of backend b. */
static void spreads(const struct test *t, int ti, const int *use,
		    struct spread s[NBE][NFIG])
{
	int b, i, r;

	for (b = 0; b < NBE; b++) {
		for (i = 0; i < NFIG; i++)
			s[b][i] = spread_of(v[ti][b][i], use[b] ? runs : 0);
		if (verbose && use[b]) {
			printf("  %-8s %-16s %-9s", t->group, t->label,
			       table_be[b]->name);
			for (r = 0; r < runs; r++)
				printf(" %9.4g", v[ti][b][0][r]);
			printf("\n");
		}
	}
}

static struct spread med[NTESTS][NBE][NFIG];

static void row(const char *label, const struct spread *s, int fig,
		int lower, const char *depth)
{
	char c[3][40], rk[16], rb[16];
	int b;

	for (b = 0; b < 3; b++)
		fmt_spread(c[b], sizeof(c[b]), s[b * NFIG + fig]);
	fmt_ratio(rk, sizeof(rk), s[B_UMQ * NFIG + fig].med,
		  s[B_KERNEL * NFIG + fig].med, lower);
	fmt_ratio(rb, sizeof(rb), s[B_UMQ * NFIG + fig].med,
		  s[B_BOOST * NFIG + fig].med, lower);
	printf("  %-32s %-21s %-21s %-21s %7s %7s %5s\n", label, c[0], c[1],
	       c[2], rk, rb, depth);
}

static void main_table(void)
{
	char label[48], depth[24];
	unsigned int i;
	int f;

	printf("%-34s %-21s %-21s %-21s %7s %7s %5s\n", "", "kernel", "umq",
	       "Boost", "/kern", "/Boost", "depth");
	for (i = 0; i < NTESTS; i++) {
		const struct test *t = &tests[i];

		if (!i || strcmp(t->group, tests[i - 1].group))
			printf("%s\n", t->nmq ? POSIX " (mq_send/mq_receive; "
			       "Boost message_queue)" : SYSV " (msgsnd/msgrcv;"
			       " Boost message_queue)");
		snprintf(depth, sizeof(depth), "%ld", depth_of(t));
		for (f = 0; f < (t->rtt ? NFIG : 1); f++) {
			snprintf(label, sizeof(label), "%s, %s", t->label,
				 fig_name[t->rtt][f]);
			row(label, &med[i][0][0], f, t->rtt, depth);
		}
	}
	printf("(median of %d runs (min-max); msg/s: messages per second, one "
	       "sender and one\n receiver process; us: microseconds per round "
	       "trip between two processes,\n each timed alone: p50, p99, and "
	       "the mean of all; /kern, /Boost: how many\n times better umq's "
	       "median is (above 1: umq ahead); depth: Boost's max_num_msg,\n "
	       "for System V the kernel's msg_qbytes (%ld B) / size, for POSIX "
	       "mq_maxmsg;\n System V round trip: pings type 1, pongs type 2 on "
	       "one queue; POSIX and\n Boost: a queue each way; rtt asleep: "
	       "the same with umq's spin off\n ($UMQ_SPIN_US=0), so that each "
	       "message wakes a sleeper; umq's POSIX descriptors are\n opened "
	       "UMQ_O_NOPOLL, as the preload opens them until a program polls "
	       "one;\n polled: opened without it, so that poll stays exact "
	       "and no call uses the lane)\n",
	       runs, kernel_qbytes);
	if (boost_why[0])
		printf("Boost column not measured: %s\n", boost_why);
}

/* -c: what the timed runs' processes called, per message. */
static void calls_table(void)
{
	unsigned int i;
	int b, k;

	printf("\nsystem calls per message (one-way: sender, receiver) or per "
	       "round trip\n(pinger, ponger), counted in the timed runs (-c, "
	       "which slows them):\n");
	for (i = 0; i < NTESTS; i++)
		for (b = 0; b < NBE; b++) {
			if (isnan(med[i][b][0].med))
				continue;
			printf("  %-8s %-16s %-9s %7.2f %7.2f\n",
			       tests[i].group, tests[i].label,
			       table_be[b]->name, calls[i][b][1],
			       calls[i][b][0]);
			for (k = 1; verbose && k >= 0; k--)
				printf("      %s\n", calls_seen[i][b][k]);
		}
}

/* Where the table stands against this machine's floors and issue 9's
 * goals: printed, never asserted (the machine is shared and noisy). */
static void floor_table(void)
{
	struct spread *sv64 = med[0][0], *sv64d = med[1][0], *sv8k = med[2][0];
	struct spread *svrt = med[3][0], *svas = med[4][0];
	struct spread *px64 = med[5][0], *px8k = med[6][0], *pxrt = med[7][0];
	struct spread *pp64 = med[8][0], *pprt = med[9][0];
	char a[40], b[40], c[40], d[40];
	double mc = floor_memcpy_ns(BIG), sc = floor_syscall_ns();

#define M(s, be, fig)	((s)[(be) * NFIG + (fig)].med)
	printf("\nfloors on this machine (the same two processes, pinned alike, "
	       "no queue):\n");
	fmt_spread(a, sizeof(a), sv64[B_RING * NFIG]);
	fmt_spread(b, sizeof(b), sv8k[B_RING * NFIG]);
	printf("  SPSC ring one-way, 64 B, depth %ld:  %s msg/s\n",
	       depth_of(&tests[0]), a);
	printf("  SPSC ring one-way, 8000 B, depth %ld: %s msg/s\n",
	       depth_of(&tests[2]), b);
	fmt_spread(a, sizeof(a), sv64[B_EXACT * NFIG]);
	fmt_spread(b, sizeof(b), sv8k[B_EXACT * NFIG]);
	fmt_ratio(c, sizeof(c), M(sv64, B_EXACT, 0), M(sv64, B_BOOST, 0), 0);
	printf("  queues keeping the kernel's exact accounting, no queue lock "
	       "(bench/exact.c), one-way:\n    lock-free, 64 B: %s msg/s (%s "
	       "Boost); 8000 B: %s msg/s\n", a, c, b);
	fmt_spread(a, sizeof(a), sv64[B_TWOLOCK * NFIG]);
	fmt_spread(b, sizeof(b), sv8k[B_TWOLOCK * NFIG]);
	fmt_ratio(c, sizeof(c), M(sv64, B_TWOLOCK, 0), M(sv64, B_BOOST, 0), 0);
	printf("    two-lock,  64 B: %s msg/s (%s Boost); 8000 B: %s msg/s\n",
	       a, c, b);
	fmt_spread(a, sizeof(a), svrt[B_RING * NFIG]);
	fmt_spread(b, sizeof(b), svrt[B_RING * NFIG + 1]);
	fmt_spread(c, sizeof(c), svas[B_FUTEX * NFIG]);
	fmt_spread(d, sizeof(d), svas[B_FUTEX * NFIG + 1]);
	printf("  ring ping-pong, 8 B, spinning:         p50 %s us, p99 %s us\n",
	       a, b);
	printf("  futex hand-off ping-pong, each sleeps: p50 %s us, p99 %s us\n",
	       c, d);
	printf("  memcpy of 8000 B (in cache): %.0f ns; a system call "
	       "(getppid): %.0f ns\n", mc, sc);

	printf("\nissue 9's goals, from this run (figures, not assertions):\n");
	fmt_ratio(a, sizeof(a), M(sv64, B_UMQ, 0), M(sv64, B_BOOST, 0), 0);
	fmt_ratio(b, sizeof(b), M(sv64, B_UMQ, 0), M(sv64, B_KERNEL, 0), 0);
	printf("  1. System V 64 B one-way: umq %s Boost (goal 2x), %s the "
	       "kernel (goal 20x)\n", a, b);
	fmt_ratio(a, sizeof(a), M(sv8k, B_UMQ, 0), M(sv8k, B_KERNEL, 0), 0);
	fmt_ratio(b, sizeof(b), M(sv8k, B_UMQ, 0), M(sv8k, B_RING, 0), 0);
	printf("  2. 8000 B one-way: umq %s the kernel (goal 3x); umq / ring "
	       "floor %s (goal 0.50x)\n", a, b);
	fmt_ratio(a, sizeof(a), M(svas, B_UMQ, 0), M(svas, B_FUTEX, 0), 1);
	printf("  3. System V round trip 8 B: umq p50 %.3g us (goal <= 1), "
	       "p99 %.3g us (goal <= 5);\n     both asleep: umq p50 %.3g us, "
	       "%s the futex hand-off floor's %.3g us\n     (goal: within "
	       "1.1x, i.e. >= 0.91x)\n", M(svrt, B_UMQ, 0), M(svrt, B_UMQ, 1),
	       M(svas, B_UMQ, 0), a, M(svas, B_FUTEX, 0));
	fmt_ratio(a, sizeof(a), M(px64, B_UMQ, 0), M(sv64d, B_UMQ, 0), 0);
	fmt_ratio(b, sizeof(b), M(px8k, B_UMQ, 0), M(sv8k, B_UMQ, 0), 0);
	fmt_ratio(c, sizeof(c), M(pxrt, B_UMQ, 0), M(svrt, B_UMQ, 0), 1);
	fmt_ratio(d, sizeof(d), M(pxrt, B_UMQ, 1), M(svrt, B_UMQ, 1), 1);
	printf("  4. umq POSIX / System V (goal >= 0.83x each): one-way 64 B "
	       "%s, 8000 B %s,\n     round trip p50 %s, p99 %s (one-way 64 B: "
	       "both at depth %d)\n", a, b, c, d, MQ_MAXMSG);
	fmt_ratio(a, sizeof(a), M(pp64, B_UMQ, 0), M(sv64d, B_UMQ, 0), 0);
	fmt_ratio(b, sizeof(b), M(pprt, B_UMQ, 0), M(svrt, B_UMQ, 0), 1);
	printf("     descriptors that may be polled (no UMQ_O_NOPOLL): "
	       "one-way 64 B %s,\n     round trip p50 %s\n", a, b);
	printf("  5. typed receive and 6. memory: the sections below\n");
#undef M
}

void timed_tests(void)
{
	int use[NBE] = { 1, 1, 1, 1, 1, 1, 1 }, use_ring, use_futex, use_exact;
	int use_of[NTESTS][NBE], use_twolock, b, f, r;
	const char *bv = NULL;
	char name[64];
	unsigned int i;

	for (i = 0; i < NTESTS; i++)
		for (b = 0; b < NBE; b++)
			for (f = 0; f < NFIG; f++)
				med[i][b][f] = spread_of(NULL, 0);

	kernel_qbytes = qbytes_of(&be_kernel);
	if (kernel_qbytes <= 0)
		kernel_qbytes = 16384;
	if (!boost_version)
		snprintf(boost_why, sizeof(boost_why), "the bench was built "
			 "without a C++ compiler (bench/boost.cc)");
	else
		bv = boost_version(boost_why, sizeof(boost_why));
	use[B_BOOST] = bv != NULL;
	printf("Boost.Interprocess: %s\n", bv ? bv : "not measured (below)");
	if (verbose)
		printf("every run (%d of %.2f s each), first figure:\n", runs,
		       run_secs);
	for (b = 0; b < NBE; b++)
		if (only_be && strcasecmp(only_be, table_be[b]->name))
			use[b] = 0;
	use_ring = use[B_RING];
	use_futex = use[B_FUTEX];
	use_exact = use[B_EXACT];
	use_twolock = use[B_TWOLOCK];
	for (i = 0; i < NTESTS; i++) {
		int *u = use_of[i];

		memcpy(u, use, sizeof(use));
		snprintf(name, sizeof(name), "%s %s", tests[i].group,
			 tests[i].label);
		/* the floors' one-way at System V's depth only */
		u[B_RING] = use_ring && !tests[i].nmq && !tests[i].depth &&
			    !tests[i].asleep;
		u[B_EXACT] = use_exact && !tests[i].nmq && !tests[i].depth &&
			     !tests[i].rtt;
		u[B_TWOLOCK] = use_twolock && !tests[i].nmq &&
			       !tests[i].depth && !tests[i].rtt;
		u[B_FUTEX] = use_futex && tests[i].asleep;
		if (only_test && !strstr(name, only_test))
			memset(u, 0, sizeof(use));
	}
	/*
	 * Round by round, each round a run of every test on every backend,
	 * so that a change of the machine's speed during the bench (this
	 * VM's come and go over minutes) hits every figure alike and the
	 * ratios between tests (issue 9's goal 4) stay like for like.
	 */
	for (r = 0; r < runs; r++)
		for (i = 0; i < NTESTS; i++)
			run_once(&tests[i], (int)i, use_of[i], r);
	for (i = 0; i < NTESTS; i++)
		spreads(&tests[i], (int)i, use_of[i], med[i]);
	if (verbose)
		printf("\n");
	main_table();
	if (count_roles)
		calls_table();
	floor_table();
}
