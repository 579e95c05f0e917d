/* SPDX-License-Identifier: MIT */
/*
 * cred.c - what a permission check costs umq, for a process that may
 * change its ids (root) and for one that cannot (uid 65534).
 */
#include <grp.h>

#include "bench.h"

static int cred_mode, cred_drop;

/*
 * One process on a queue of its own of mode cred_mode, as invoked or
 * dropped for good to uid 65534: msgsnd+msgrcv pairs timed, then the
 * system calls of COUNT_MSGS pairs counted.
 */
static int cred_pairs(const struct job *j, struct result *r)
{
	static struct qmsg m = { .mtype = 1 };
	static struct counter c;
	double t0, deadline;
	long n = 0, c0;
	int q, i;

	if (cred_drop && (setgroups(0, NULL) ||
			  setresgid(65534, 65534, 65534) ||
			  setresuid(65534, 65534, 65534)))
		return fail(r, "dropping to uid 65534");
	q = j->be->get(IPC_PRIVATE, IPC_CREAT | cred_mode);
	if (q < 0)
		return fail(r, "msgget");
	t0 = now();
	deadline = t0 + run_secs;
	do {
		for (i = 0; i < 64; i++)
			if (j->be->snd(q, &m, j->size, IPC_NOWAIT) < 0 ||
			    j->be->rcv(q, &m, j->size, 0, IPC_NOWAIT) < 0)
				return fail(r, "msgsnd/msgrcv");
		n += 64;
	} while (now() < deadline);
	r->secs = now() - t0;
	r->count = n;
	if (count_start(&c, r))
		return 1;
	c0 = atomic_load(&c.n);
	for (i = 0; i < COUNT_MSGS; i++)
		if (j->be->snd(q, &m, j->size, IPC_NOWAIT) < 0 ||
		    j->be->rcv(q, &m, j->size, 0, IPC_NOWAIT) < 0)
			return fail(r, "msgsnd/msgrcv (counted)");
	r->extra[0] = atomic_load(&c.n) - c0;
	if (j->be->ctl(q, IPC_RMID, NULL) < 0)
		return fail(r, "IPC_RMID");
	return 0;
}

/* "0.31 us, 0 calls": median time and system calls of a pair. */
static void cred_cell(char *buf, size_t len)
{
	struct job j = { .be = &be_umq, .qid = -1, .size = SMALL };
	role_fn fn = cred_pairs;
	double v[MAX_RUNS];
	long calls = 0;
	char why[256];
	int r;

	for (r = 0; r < runs; r++) {
		why[0] = 0;
		if (be_umq.broken || interrupted ||
		    run_roles(&j, &fn, 1, why, sizeof(why))) {
			snprintf(buf, len, "FAILED");
			if (why[0])
				note("umq, credentials: %s", why);
			be_umq.failed = 1;
			return;
		}
		v[r] = res[0].secs / res[0].count * 1e6;
		calls = res[0].extra[0];
	}
	qsort(v, runs, sizeof(double), cmp_double);
	snprintf(buf, len, "%.2f us, %.2f calls", v[runs / 2],
		 (double)calls / COUNT_MSGS);
}

/* What a permission check costs a process that may change its ids. */
void cred_costs(void)
{
	static const int modes[] = { 0666, 0600 };
	char cell[2][48], who[32];
	int m;

	printf("\ncredential checks (umq): msgsnd+msgrcv of 64 B, IPC_NOWAIT, "
	       "one process\non a queue of its own; median time and system "
	       "calls per pair:\n");
	printf("  %-28s %22s %22s\n", "", "mode 0666", "mode 0600");
	/* uid 65534 must reach the namespace inside our directory */
	if (!geteuid())
		chmod(ns_parent, 0711);
	for (cred_drop = 0; cred_drop < 2; cred_drop++) {
		if (cred_drop)
			snprintf(who, sizeof(who), "uid 65534 (cannot change)");
		else if (!geteuid())
			snprintf(who, sizeof(who), "root (may change its ids)");
		else
			snprintf(who, sizeof(who), "uid %d", (int)geteuid());
		if (cred_drop && geteuid()) {
			printf("  %-28s not measured (needs root)\n", who);
			break;
		}
		for (m = 0; m < 2; m++) {
			cred_mode = modes[m];
			cred_cell(cell[m], sizeof(cell[m]));
		}
		printf("  %-28s %22s %22s\n", who, cell[0], cell[1]);
	}
	printf("(0666: the mode admits everyone, no credential is read; 0600: "
	       "those of a process\n that may change its ids are read at each "
	       "check, the others' once)\n");
}

