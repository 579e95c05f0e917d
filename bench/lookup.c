/* SPDX-License-Identifier: MIT */
/*
 * lookup.c - the cost of finding, creating and removing a queue against
 * the number of queues in the namespace (issue 7, item 3).
 *
 * For each count, the namespace first holds that many System V queues
 * (keys) and as many POSIX queues (names, no descriptor open); then each
 * operation is timed alone, in blocks, on a key or name chosen at random
 * among them or on a new one, so that the count stays put: msgget of an
 * existing key; msgget(IPC_CREAT | IPC_EXCL) of a new key and its
 * IPC_RMID; mq_open of an existing name and its mq_close; mq_open(O_CREAT
 * | O_EXCL) of a new name and its mq_unlink.  A lookup of an existing
 * queue is timed twice over: the first in the process (umq opens and
 * maps the queue's file then) and again (the process has it mapped), so
 * that the curve is the namespace's size, not how many of its queues one
 * process has touched; each run is a fresh process.
 *
 * The kernel runs in a private IPC and mount namespace with msgmni and
 * queues_max raised (ipcns.c), umq in its namespace with its limits
 * raised (restored after).  RLIMIT_MSGQUEUE charges each user some 100 B
 * per POSIX queue even at one message of one byte, and raising it needs
 * CAP_SYS_RESOURCE: so, as root, the POSIX queues are made half by root
 * and half by uid 1000 (mode 0666), and the timed operations run as uid
 * 65534, as the other timed sections.  Filling a namespace has a time
 * budget per step: a count not reached in time is reported as such, and
 * the operations are timed at the count reached.
 */
#include <grp.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "bench.h"

#define KEY_BASE	0x756d0000
#define MAX_Q		10000
#define OTHER_UID	1000	/* makes half the POSIX queues */

static const int counts_full[] = { 10, 100, 1000, 10000 };
static const int counts_quick[] = { 10, 100, 1000 };
static const int *counts;
static int ncounts;

static const char *const op_name[] = {
	"msgget existing, first", "msgget existing, again",
	"msgget IPC_CREAT|IPC_EXCL new", "IPC_RMID",
	"mq_open existing, first", "mq_open existing, again", "mq_close",
	"mq_open O_CREAT|O_EXCL new", "mq_unlink",
};
enum { O_GET1, O_GET, O_CREATE, O_RMID, O_MQOPEN1, O_MQOPEN, O_MQCLOSE,
       O_MQCREATE, O_MQUNLINK, NOP };

/* Shared with the children that make queues and time operations. */
static struct shared {
	struct spread cell[2][4][NOP];
	double v[NOP][MAX_RUNS];	/* the runs of the cell being timed */
	int at[2][4][2];	/* the count each cell was timed at */
	int reached[2][2];	/* [backend][posix]: queues made */
	double fill_secs[2][2];
	char stop_why[2][2][160];
	int failed;
} *sh;

static void mq_name(char *buf, size_t len, int i)
{
	snprintf(buf, len, "/umq-bench-lk.%d", i);
}

/* Make queues [from, to) until the deadline; returns where it stopped. */
static int make_queues(struct backend *be, int b, int posix, int from,
		       int to, double deadline)
{
	struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 1 };
	char name[48];
	int i;
	mqd_t d;

	umask(0);
	for (i = from; i < to && !interrupted; i++) {
		if (now() > deadline) {
			snprintf(sh->stop_why[b][posix],
				 sizeof(sh->stop_why[b][posix]),
				 "out of time for this step");
			break;
		}
		if (!posix) {
			if (be->get(KEY_BASE + i, IPC_CREAT | IPC_EXCL |
				    0666) < 0)
				goto failed;
			continue;
		}
		mq_name(name, sizeof(name), i);
		d = be->mopen(name, O_CREAT | O_EXCL | O_RDWR, 0666, &a);
		if (d == (mqd_t)-1 || be->mclose(d) < 0)
			goto failed;
	}
	return i;
failed:
	snprintf(sh->stop_why[b][posix], sizeof(sh->stop_why[b][posix]),
		 "%s (uid %d): %s", posix ? "mq_open" : "msgget", (int)getuid(),
		 strerror(errno));
	return i;
}

/*
 * Run fn(arg) in a child, as uid if we are root (else as who we are):
 * the parent keeps its own ids, and maps none of the queues the child
 * makes or looks up, so that each timed child's lookups are its first.
 */
static void as_uid(uid_t uid, void (*fn)(void *), void *arg)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (geteuid() == 0 && (setgroups(0, NULL) ||
		    setresgid(uid, uid, uid) || setresuid(uid, uid, uid)))
			_exit(1);
		fn(arg);
		fflush(NULL);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		sh->failed = 1;
}

struct fill {
	struct backend *be;
	int b, posix, from, to;
	double deadline;
};

static void fill_fn(void *arg)
{
	struct fill *f = arg;

	sh->reached[f->b][f->posix] = make_queues(f->be, f->b, f->posix,
						  f->from, f->to, f->deadline);
}

/* Queues up to n within the budget, made by children (as_uid); returns
 * how many there are. */
static int populate(struct backend *be, int b, int posix, int n,
		    double budget)
{
	double t0 = now();
	struct fill f = { be, b, posix, sh->reached[b][posix], n,
			  t0 + budget };
	int half = MAX_Q / 2;

	/* System V, and POSIX up to half: as who we are */
	if (!posix || geteuid() != 0 || f.from >= half || n <= half) {
		as_uid(geteuid(), fill_fn, &f);
	} else {
		f.to = half;
		as_uid(0, fill_fn, &f);
		if (sh->reached[b][posix] == half) {
			f.from = half;
			f.to = n;
			as_uid(OTHER_UID, fill_fn, &f);
		}
	}
	sh->fill_secs[b][posix] += now() - t0;
	return sh->reached[b][posix];
}

struct timing {
	struct backend *be;
	int b, ci, n, posix, run;
	double budget;
};

/* An existing queue this process has not looked up yet (first), or one
 * it has (again); -1: none left. */
static int pick(int *order, int n, int *used, bool first)
{
	if (first)
		return *used < n ? order[(*used)++] : -1;
	return *used ? order[rand() % *used] : -1;
}

/* Lookups of existing queues, first and again, into sum[] and cnt[]. */
static int time_lookups(const struct timing *tm, int *order, int *used,
			double *sum, int *cnt)
{
	struct backend *be = tm->be;
	char name[48];
	double t;
	int f, i, o, id;
	mqd_t d;

	for (f = 1; f >= 0; f--) {
		if ((i = pick(order, tm->n, used, f)) < 0)
			continue;
		o = tm->posix ? (f ? O_MQOPEN1 : O_MQOPEN) : f ? O_GET1 : O_GET;
		if (!tm->posix) {
			t = now();
			id = be->get(KEY_BASE + i, 0);
			sum[o] += now() - t;
			cnt[o]++;
			if (id < 0)
				return -1;
			continue;
		}
		mq_name(name, sizeof(name), i);
		t = now();
		d = be->mopen(name, O_RDWR);
		sum[o] += now() - t;
		cnt[o]++;
		if (d == (mqd_t)-1)
			return -1;
		t = now();
		if (be->mclose(d) < 0)
			return -1;
		sum[O_MQCLOSE] += now() - t;
		cnt[O_MQCLOSE]++;
	}
	return 0;
}

/* Creation and removal of a new queue, into sum[] and cnt[]. */
static int time_create(const struct timing *tm, int nu, double *sum,
		       int *cnt)
{
	struct backend *be = tm->be;
	struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 1 };
	char name[48];
	double t;
	int id;
	mqd_t d;

	if (!tm->posix) {
		t = now();
		id = be->get(KEY_BASE + nu, IPC_CREAT | IPC_EXCL | 0600);
		sum[O_CREATE] += now() - t;
		if (id < 0)
			return -1;
		t = now();
		if (be->ctl(id, IPC_RMID, NULL) < 0)
			return -1;
		sum[O_RMID] += now() - t;
		cnt[O_CREATE]++;
		cnt[O_RMID]++;
		return 0;
	}
	mq_name(name, sizeof(name), nu);
	t = now();
	d = be->mopen(name, O_CREAT | O_EXCL | O_RDWR, 0600, &a);
	sum[O_MQCREATE] += now() - t;
	if (d == (mqd_t)-1 || be->mclose(d) < 0)
		return -1;
	t = now();
	if (be->munlink(name) < 0)
		return -1;
	sum[O_MQUNLINK] += now() - t;
	cnt[O_MQCREATE]++;
	cnt[O_MQUNLINK]++;
	return 0;
}

/*
 * One run, in a fresh process: each operation of a block timed on its
 * own; the run's figure is the mean per operation (sh->v), the cell the
 * median of the runs.  Every created queue is removed in the same step,
 * so the count stays.
 */
static void time_ops(void *arg)
{
	const struct timing *tm = arg;
	double sum[NOP] = { 0 }, warm[NOP], t0;
	int cnt[NOP] = { 0 };
	int fresh = 2 * MAX_Q + ((tm->b * 4 + tm->ci) * 2 + tm->posix) *
		    20000 + tm->run * 1000;
	int *order, used = 0, k, o, j;

	order = malloc(tm->n * sizeof(*order));
	if (!order)
		goto failed;
	srand((tm->ci + 1) * 16 + tm->run);
	for (k = 0; k < tm->n; k++)
		order[k] = k;
	for (k = tm->n - 1; k > 0; k--) {
		j = rand() % (k + 1);
		o = order[k];
		order[k] = order[j];
		order[j] = o;
	}
	/* Not timed: selecting the namespace (the process's first call)
	 * and warming the code of a create, so that the first lookups, all
	 * made early when there are few queues, do not pay for them. */
	if (time_create(tm, fresh++, warm, cnt))
		goto failed;
	memset(cnt, 0, sizeof(cnt));
	t0 = now();
	for (k = 0; k < 1000 && (k < 3 || now() - t0 < tm->budget); k++)
		if (time_lookups(tm, order, &used, sum, cnt) ||
		    time_create(tm, fresh++, sum, cnt))
			goto failed;
	for (o = 0; o < NOP; o++)
		sh->v[o][tm->run] = cnt[o] ? sum[o] / cnt[o] * 1e6 : 0;
	free(order);
	return;
failed:
	note("%s, lookup with %d queues: %s: %s", tm->be->name, tm->n,
	     tm->posix ? POSIX : SYSV, strerror(errno));
	sh->failed = 1;
	free(order);
}

/* Every run of one cell, each in a fresh process as uid 65534. */
static void time_cell(struct timing *tm)
{
	int o, lo = tm->posix ? O_MQOPEN1 : 0;
	int hi = tm->posix ? NOP : O_MQOPEN1;

	for (tm->run = 0; tm->run < runs && !interrupted; tm->run++)
		as_uid(65534, time_ops, tm);
	for (o = lo; o < hi; o++)
		sh->cell[tm->b][tm->ci][o] = spread_of(sh->v[o], tm->run);
	sh->at[tm->b][tm->ci][tm->posix] = tm->n;
}

/* Whatever populate() made, in this namespace. */
static void depopulate(struct backend *be, int b)
{
	char name[48];
	int i, id;

	for (i = 0; i < sh->reached[b][0]; i++)
		if ((id = be->get(KEY_BASE + i, 0)) >= 0)
			be->ctl(id, IPC_RMID, NULL);
	for (i = 0; i < sh->reached[b][1]; i++) {
		mq_name(name, sizeof(name), i);
		be->munlink(name);
	}
}

static void curve(int b, struct backend *be)
{
	double fill_budget = quick ? 3 : 30;
	struct timing tm = { be, b, 0, 0, 0, 0, quick ? 0.01 : 0.05 };
	int i, posix, short_of;

	for (i = 0; i < ncounts && !interrupted; i++) {
		for (posix = 0; posix < 2; posix++) {
			/* a count not reached: no larger one */
			short_of = i && sh->reached[b][posix] < counts[i - 1];
			if (short_of)
				continue;
			tm.ci = i;
			tm.posix = posix;
			tm.n = populate(be, b, posix, counts[i], fill_budget);
			if (tm.n > 0)
				time_cell(&tm);
		}
	}
	depopulate(be, b);
}

static void print_curve(void)
{
	static const char *const bname[2] = { "kernel", "umq" };
	char c[2][48], ratio[16];
	int i, o, b, p;

	printf("  %-6s %-31s %-21s %-21s %6s\n", "queues", "operation",
	       "kernel", "umq", "/kern");
	for (i = 0; i < ncounts; i++)
		for (o = 0; o < NOP; o++) {
			p = o >= O_MQOPEN1;
			for (b = 0; b < 2; b++) {
				int at = sh->at[b][i][p];

				fmt_spread(c[b], sizeof(c[b]),
					   sh->cell[b][i][o]);
				if (at && at != counts[i])
					snprintf(c[b] + strlen(c[b]),
						 sizeof(c[b]) - strlen(c[b]),
						 " at %d", at);
			}
			fmt_ratio(ratio, sizeof(ratio), sh->cell[1][i][o].med,
				  sh->cell[0][i][o].med, 1);
			printf("  %-6d %-31s %-21s %-21s %6s\n", counts[i],
			       op_name[o], c[0], c[1], ratio);
		}
	for (b = 0; b < 2; b++)
		for (p = 0; p < 2; p++)
			if (sh->stop_why[b][p][0])
				printf("  %s, %s: stopped at %d queues: %s\n",
				       bname[b], p ? POSIX : SYSV,
				       sh->reached[b][p], sh->stop_why[b][p]);
	printf("  (making the queues took: kernel %.1f s System V, %.1f s "
	       "POSIX; umq %.1f s, %.1f s)\n", sh->fill_secs[0][0],
	       sh->fill_secs[0][1], sh->fill_secs[1][0], sh->fill_secs[1][1]);
}

static void lookup_child(const char *kernel_why)
{
	int i, o, b;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		printf("\nlookups: not measured: mmap: %s\n", strerror(errno));
		be_umq.failed = 1;
		return;
	}
	for (b = 0; b < 2; b++)
		for (i = 0; i < 4; i++)
			for (o = 0; o < NOP; o++)
				sh->cell[b][i][o] = spread_of(NULL, 0);
	if (!kernel_why)
		curve(0, &be_kernel);
	curve(1, &be_umq);
	printf("\nlookups: us per operation with n System V and n POSIX queues "
	       "in one namespace\n(each timed alone, as uid 65534; median of "
	       "%d blocks (min-max); /kern above 1:\numq ahead; \"at N\": the "
	       "count reached when filling ran out of time):\n", runs);
	if (kernel_why)
		printf("  kernel: not measured: %s\n", kernel_why);
	print_curve();
	if (sh->failed)
		be_umq.failed = 1;
}

void lookup_section(void)
{
	struct umq_limits old, lim;
	int raised = 0;
	struct sysctl_set set[] = {
		{ "/proc/sys/kernel/msgmni", 32000 },
		{ "/proc/sys/fs/mqueue/queues_max", 4 * MAX_Q },
		{ NULL, 0 }
	};

	counts = quick ? counts_quick : counts_full;
	ncounts = quick ? 3 : 4;
	if (umq_ns_get_limits(&old) == 0) {
		lim = old;
		if (lim.msgmni < 2 * MAX_Q)
			lim.msgmni = 2 * MAX_Q;
		if (lim.queues_max < 4 * MAX_Q)
			lim.queues_max = 4 * MAX_Q;
		raised = umq_ns_set_limits(&lim) == 0;
		if (!raised)
			note("umq: raising msgmni and queues_max: %s",
			     strerror(errno));
	}
	/* uid 1000 and 65534 must reach the namespace in our directory */
	if (geteuid() == 0)
		chmod(ns_parent, 0711);
	in_private_ipc(1, 0, set, lookup_child);
	if (raised && umq_ns_set_limits(&old) < 0)
		note("umq: restoring the limits: %s", strerror(errno));
}
