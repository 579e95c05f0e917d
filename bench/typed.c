/* SPDX-License-Identifier: MIT */
/*
 * typed.c - msgrcv's selectors against the number of queued messages.
 *
 * A queue holds n filler messages of type 3 (8 B each); each timed step
 * sends one message of type 1, which goes to the tail, and receives it
 * with a selector that must pass over every filler to reach it on a list:
 * msgtyp 1, msgtyp -2 (lowest type <= 2) and msgtyp 3 with MSG_EXCEPT.
 * msgtyp 0 (send a filler, receive the head) is the scan-free reference.
 * The kernel's msgmnb is raised for this in a private IPC namespace
 * (ipcns.c), umq's in its namespace (restored after); a fill that stops
 * early says how far it went and why.
 */
#include "bench.h"

#define TSIZE		8
#define FILLER		3
#define MAX_STEPS	100000

static const long counts_full[] = { 10, 1000, 100000, 1000000 };
static const long counts_quick[] = { 10, 1000, 100000 };
static const long *counts;
static int ncounts;

static const struct sel {
	const char *label;
	long send_type, msgtyp;
	int flags;
} sels[] = {
	{ "msgtyp 0 (head)", FILLER, 0, 0 },
	{ "msgtyp > 0 (1)", 1, 1, 0 },
	{ "msgtyp < 0 (-2)", 1, -2, 0 },
	{ "MSG_EXCEPT (3)", 1, FILLER, MSG_EXCEPT },
};
#define NSELS	(sizeof(sels) / sizeof(sels[0]))

struct tmsg {
	long mtype;
	char mtext[TSIZE];
};

/* us per send + selected receive: the median of runs blocks of ~budget s
 * each (at least 3 steps); NAN if a call failed. */
static struct spread time_sel(struct backend *be, int q, const struct sel *s,
			      double budget)
{
	struct tmsg m = { 0 };
	double v[MAX_RUNS], t0;
	int r;
	long k;

	for (r = 0; r < runs; r++) {
		v[r] = NAN;
		t0 = now();
		for (k = 0; k < MAX_STEPS && (k < 3 || now() - t0 < budget);
		     k++) {
			m.mtype = s->send_type;
			if (be->snd(q, &m, TSIZE, IPC_NOWAIT) < 0 ||
			    be->rcv(q, &m, TSIZE, s->msgtyp,
				    IPC_NOWAIT | s->flags) < 0 ||
			    m.mtype != s->send_type) {
				note("%s, typed receive %s: %s", be->name,
				     s->label, strerror(errno));
				return spread_of(v, 0);
			}
		}
		v[r] = (now() - t0) / k * 1e6;
	}
	return spread_of(v, runs);
}

/* Up to n queued fillers; returns how many are queued. */
static long fill_to(struct backend *be, int q, long have, long n, int *err)
{
	struct tmsg m = { FILLER, { 0 } };

	for (*err = 0; have < n; have++)
		if (be->snd(q, &m, TSIZE, IPC_NOWAIT) < 0) {
			*err = errno;
			break;
		}
	return have;
}

static struct spread cell[2][4][NSELS];
static long reached[2];
static int fill_err[2];

static void curve(int b, struct backend *be, const char *kernel_why)
{
	double budget = quick ? 0.01 : 0.04;
	struct msqid_ds ds;
	char why[256];
	long have = 0;
	unsigned int i, s;
	int q;

	if (b == 0 && kernel_why)
		return;
	q = be->get(IPC_PRIVATE, IPC_CREAT | 0600);
	if (q < 0) {
		note("%s, typed receive: msgget: %s", be->name,
		     strerror(errno));
		be->failed = 1;
		return;
	}
	if (be->ctl(q, IPC_STAT, &ds) == 0) {
		/* room for the largest count (msgmnb was raised for it) */
		ds.msg_qbytes = (counts[ncounts - 1] + 16) * TSIZE;
		if (be->ctl(q, IPC_SET, &ds) < 0)
			note("%s, typed receive: IPC_SET msg_qbytes %lu: %s",
			     be->name, (unsigned long)ds.msg_qbytes,
			     strerror(errno));
	}
	for (i = 0; i < (unsigned int)ncounts && !interrupted; i++) {
		have = fill_to(be, q, have, counts[i], &fill_err[b]);
		reached[b] = have;
		if (have < counts[i])
			break;
		for (s = 0; s < NSELS; s++)
			cell[b][i][s] = time_sel(be, q, &sels[s], budget);
	}
	if (be->ctl(q, IPC_RMID, NULL) < 0) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		note("%s, typed receive: IPC_RMID: %s", be->name, why);
		be->failed = 1;
	}
}

static void typed_child(const char *kernel_why)
{
	static struct backend *const be[2] = { &be_kernel, &be_umq };
	char c[2][40], ratio[16];
	unsigned int i, s;
	int b;

	for (b = 0; b < 2; b++)
		for (i = 0; i < 4; i++)
			for (s = 0; s < NSELS; s++)
				cell[b][i][s] = spread_of(NULL, 0);
	for (b = 0; b < 2; b++)
		curve(b, be[b], kernel_why);
	printf("\ntyped receive: us per msgsnd + msgrcv (IPC_NOWAIT, 8 B) "
	       "with n messages of type %d\nqueued ahead of the one received "
	       "(median of %d blocks (min-max)):\n", FILLER, runs);
	printf("  %-9s %-17s %-21s %-21s %6s\n", "n", "selector", "kernel",
	       "umq", "/kern");
	for (i = 0; i < (unsigned int)ncounts; i++) {
		for (s = 0; s < NSELS; s++) {
			for (b = 0; b < 2; b++)
				fmt_spread(c[b], sizeof(c[b]), cell[b][i][s]);
			fmt_ratio(ratio, sizeof(ratio), cell[1][i][s].med,
				  cell[0][i][s].med, 1);
			printf("  %-9ld %-17s %-21s %-21s %6s\n", counts[i],
			       sels[s].label, c[0], c[1], ratio);
		}
	}
	if (kernel_why)
		printf("  kernel: not measured: %s\n", kernel_why);
	for (b = 0; b < 2; b++)
		if ((b || !kernel_why) && reached[b] < counts[ncounts - 1])
			printf("  %s: held only %ld messages: msgsnd: %s\n",
			       be[b]->name, reached[b],
			       fill_err[b] ? strerror(fill_err[b]) :
			       "interrupted");
}

void typed_section(void)
{
	struct umq_limits old, lim;
	int raised = 0;
	long need;
	struct sysctl_set set[] = {
		{ "/proc/sys/kernel/msgmnb", 0 }, { NULL, 0 }
	};

	counts = quick ? counts_quick : counts_full;
	ncounts = quick ? 3 : 4;
	need = (counts[ncounts - 1] + 16) * TSIZE;
	set[0].value = need;
	if (umq_ns_get_limits(&old) == 0) {
		lim = old;
		if (lim.msgmnb < need)
			lim.msgmnb = need;
		raised = umq_ns_set_limits(&lim) == 0;
		if (!raised)
			note("umq: raising msgmnb to %ld: %s", need,
			     strerror(errno));
	}
	in_private_ipc(0, 1, set, typed_child);
	if (raised && umq_ns_set_limits(&old) < 0)
		note("umq: restoring the limits: %s", strerror(errno));
}
