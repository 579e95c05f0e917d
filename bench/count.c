/* SPDX-License-Identifier: MIT */
/*
 * count.c - system calls per operation.  A seccomp filter hands every
 * system call of this thread to a helper thread, which counts it and lets
 * it go on (test/syscount.c, which the tests use too).  Exact, and the
 * kernel backend (one call each) shows that the count is right.
 */
#include <sys/syscall.h>

#include "bench.h"

int count_start(struct counter *c, struct result *r)
{
	const char *what;

	return syscount_start(c, &what) ? fail(r, what) : 0;
}

#define NR(name)	{ SYS_##name, #name }

static const char *nr_name(int nr)
{
	static const struct { int nr; const char *name; } names[] = {
		NR(futex), NR(getpid), NR(gettid), NR(clock_gettime),
		NR(sched_yield), NR(mmap), NR(munmap), NR(fstat), NR(openat),
		NR(close), NR(getuid), NR(geteuid), NR(getgid), NR(getegid),
		NR(getgroups), NR(setfsuid), NR(setfsgid), NR(msgsnd),
		NR(msgrcv), NR(newfstatat), NR(capget), NR(getresuid),
		NR(getresgid), NR(read), NR(write), NR(ioctl), NR(fcntl),
		NR(mremap), NR(madvise), NR(ftruncate), NR(vmsplice),
		NR(futex_waitv), NR(getpriority), NR(sched_getscheduler),
		NR(get_robust_list), NR(set_robust_list), NR(brk), NR(sysinfo),
		NR(poll), NR(ppoll), NR(sched_getaffinity), NR(mq_timedsend),
		NR(mq_timedreceive),
	};
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].nr == nr)
			return names[i].name;
	return NULL;
}

/* Which calls were made, for -v: "futex 200, getpid 200". */
void describe_seen(struct counter *c, struct result *r)
{
	size_t off = 0;
	const char *name;
	int nr, n;

	for (nr = 0; nr < NR_SEEN && off < sizeof(r->detail); nr++) {
		n = atomic_load(&c->seen[nr]);
		if (!n)
			continue;
		name = nr_name(nr);
		if (name)
			off += snprintf(r->detail + off,
					sizeof(r->detail) - off, "%s%s %d",
					off ? ", " : "", name, n);
		else
			off += snprintf(r->detail + off,
					sizeof(r->detail) - off, "%snr%d %d",
					off ? ", " : "", nr, n);
	}
}

int counted_nowait(const struct job *j, struct result *r)
{
	static struct qmsg m = { .mtype = 1 };
	/* static: the counting thread outlives this frame */
	static struct counter c;
	long c0, c1;
	int i;

	/* one untimed round first: the library may map the queue lazily */
	if (j->be->snd(j->qid, &m, j->size, IPC_NOWAIT) < 0 ||
	    j->be->rcv(j->qid, &m, j->size, 0, IPC_NOWAIT) < 0)
		return fail(r, "warm-up");
	if (count_start(&c, r))
		return 1;
	c0 = atomic_load(&c.n);
	for (i = 0; i < COUNT_MSGS; i++)
		if (j->be->snd(j->qid, &m, j->size, IPC_NOWAIT) < 0)
			return fail(r, "msgsnd");
	c1 = atomic_load(&c.n);
	r->extra[0] = c1 - c0;
	for (i = 0; i < COUNT_MSGS; i++)
		if (j->be->rcv(j->qid, &m, j->size, 0, IPC_NOWAIT) < 0)
			return fail(r, "msgrcv");
	r->extra[1] = atomic_load(&c.n) - c1;
	r->count = COUNT_MSGS;
	describe_seen(&c, r);
	return 0;
}

/*
 * POSIX, O_NONBLOCK: one message stays queued throughout, so no send
 * finds the queue empty (no notification to check) and no receive
 * empties it.  Only the calls themselves are counted.
 */
int counted_mq(const struct job *j, struct result *r)
{
	static char m[BIG];
	static struct counter c;
	struct mq_attr nb = { .mq_flags = O_NONBLOCK };
	long c0, snd = 0, rcv = 0;
	int i;

	/* untimed: the library may map the queue lazily */
	if (j->be->msetattr(j->mq[0], &nb, NULL) < 0 ||
	    j->be->msend(j->mq[0], m, j->size, 0) < 0 ||
	    j->be->msend(j->mq[0], m, j->size, 0) < 0 ||
	    j->be->mrecv(j->mq[0], m, j->size, NULL) < 0)
		return fail(r, "warm-up");
	if (count_start(&c, r))
		return 1;
	for (i = 0; i < COUNT_MSGS; i++) {
		c0 = atomic_load(&c.n);
		if (j->be->msend(j->mq[0], m, j->size, 0) < 0)
			return fail(r, "mq_send");
		snd += atomic_load(&c.n) - c0;
		c0 = atomic_load(&c.n);
		if (j->be->mrecv(j->mq[0], m, j->size, NULL) < 0)
			return fail(r, "mq_receive");
		rcv += atomic_load(&c.n) - c0;
	}
	r->extra[0] = snd;
	r->extra[1] = rcv;
	r->count = COUNT_MSGS;
	describe_seen(&c, r);
	return 0;
}

/* One line per backend: "kernel 1.00 per msgsnd, 1.00 per msgrcv". */
void count_calls(int nmq, role_fn fn, const char *snd,
			const char *rcv)
{
	char why[256];
	int b;

	for (b = 0; b < 2; b++) {
		struct backend *be = backends[b];

		printf("    %-7s", be->name);
		why[0] = 0;
		if (be->broken || interrupted) {
			printf("not measured\n");
			continue;
		}
		if (run_job(be, SMALL, nmq, &fn, 1, why, sizeof(why))) {
			printf("not measured: %s\n", why);
			be->failed = 1;
			continue;
		}
		printf("%.2f per %s, %.2f per %s%s\n",
		       (double)res[0].extra[0] / res[0].count, snd,
		       (double)res[0].extra[1] / res[0].count, rcv,
		       be == &be_kernel ? "   (the check: 1 each)" : "");
		if (verbose)
			printf("           calls: %s\n", res[0].detail);
	}
}

void syscall_counts(void)
{
	printf("\nsystem calls per operation, one process, %d x 64 B, "
	       "nobody waiting\n"
	       "(each system call of the thread counted by a seccomp "
	       "user-notification filter):\n", COUNT_MSGS);
	printf("  " SYSV ", IPC_NOWAIT:\n");
	count_calls(0, counted_nowait, "msgsnd", "msgrcv");
	printf("  " POSIX ", O_NONBLOCK, the queue never empty:\n");
	count_calls(1, counted_mq, "mq_send", "mq_receive");
}

