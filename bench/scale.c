/* SPDX-License-Identifier: MIT */
/*
 * scale.c - many processes on one queue: half send 64 B messages, half
 * receive them (msgtyp 0), for run_secs; each sender then sends one end
 * message and each receiver stops at one, so the queue drains.  The
 * figure is every message received over the span from the first
 * receiver's first message to the last one's end: send-receive pairs per
 * second.
 */
#include <strings.h>

#include "bench.h"

#define PROCS	64

static double pairs_per_sec(void)
{
	double t0 = INFINITY, t1 = 0;
	long n = 0, calls = 0;
	int i;

	for (i = 0; i < PROCS; i += 2) {
		if (res[i].t0 <= 0)
			return NAN;
		n += res[i].count;
		t0 = res[i].t0 < t0 ? res[i].t0 : t0;
		t1 = res[i].t1 > t1 ? res[i].t1 : t1;
	}
	for (i = 0; count_roles && i < PROCS; i++)
		calls += res[i].extra[0];
	if (verbose)
		printf("  %ld messages in %.3f s\n", n, t1 - t0);
	if (count_roles)
		printf("  %.2f system calls per message (-c), all processes; "
		       "a receiver's: %s\n  a sender's: %s\n",
		       (double)calls / n, res[0].detail, res[1].detail);
	return t1 > t0 ? n / (t1 - t0) : NAN;
}

void scaling_section(void)
{
	static struct backend *const be[3] = { &be_kernel, &be_umq, &be_boost };
	role_fn fn[PROCS];
	double v[3][MAX_RUNS];
	char cell[3][40], rk[16], rb[16], why[256];
	int r, b, skip[3] = { 0, 0, !boost_version || !boost_version(why, 1) };
	long depth = qbytes_of(&be_kernel) / SMALL;

	for (r = 0; r < PROCS; r++)
		fn[r] = r & 1 ? sender : receiver;
	no_pin = 1;
	for (r = 0; r < runs; r++)
		for (b = 0; b < 3; b++) {
			v[b][r] = NAN;
			if (skip[b] || be[b]->broken || interrupted ||
			    (only_be && strcasecmp(only_be, be[b]->name)))
				continue;
			why[0] = 0;
			if (run_job_depth(be[b], SMALL, depth > 0 ? depth : 256,
					  0, fn, PROCS, why, sizeof(why))) {
				skip[b] = be[b]->failed = 1;
				note("%s, %d processes: %s", be[b]->name, PROCS,
				     why);
				continue;
			}
			v[b][r] = pairs_per_sec();
		}
	no_pin = 0;
	for (b = 0; b < 3; b++)
		fmt_spread(cell[b], sizeof(cell[b]),
			   spread_of(v[b], skip[b] ? 0 : runs));
	fmt_ratio(rk, sizeof(rk), spread_of(v[1], runs).med,
		  spread_of(v[0], runs).med, 0);
	fmt_ratio(rb, sizeof(rb), spread_of(v[1], runs).med,
		  spread_of(v[2], runs).med, 0);
	printf("\nscaling: %d processes on one System V queue (%d senders, %d "
	       "receivers, 64 B,\nmsgtyp 0; Boost: one message_queue of depth "
	       "%ld), not pinned; send-receive pairs/s:\n", PROCS, PROCS / 2,
	       PROCS / 2, depth);
	printf("  %-21s %-21s %-21s %6s %6s\n", "kernel", "umq", "Boost",
	       "/kern", "/Boost");
	printf("  %-21s %-21s %-21s %6s %6s\n", cell[0], cell[1], cell[2], rk,
	       rb);
}
