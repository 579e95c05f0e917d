/* SPDX-License-Identifier: MIT */
/*
 * memory.c - memory per queued 64 B message and per empty queue.
 *
 * umq: the blocks allocated (st_blocks) to every file under the
 * namespace directory, whatever files a queue has, before and after
 * queueing MEM_MSGS messages in one queue, and before and after making
 * MEM_QUEUES empty queues of each kind.  tmpfs allocates whole pages as
 * they are touched, so the figures are averages over many.
 *
 * The kernel: a queued message is one kmalloc of struct msg_msg (48 B)
 * plus its text, so 64 B of text take the 128 B size class: computed.
 * Measured beside it, as root, from /proc/slabinfo, in a private IPC
 * namespace whose msgmnb admits MEM_MSGS messages: the bytes of the
 * msg_msg-* caches (the kernel's own buckets for messages, since 6.11;
 * older kernels use kmalloc-cg-*) before and after queueing, and of the
 * kmalloc-cg-* caches (struct msg_queue, GFP_KERNEL_ACCOUNT) before and
 * after making empty queues.  Other processes allocate from those caches
 * too: the measured figures are noisy, the computed one is exact.
 */
#include <ftw.h>
#include <sys/mman.h>

#include "bench.h"

#define MEM_QUEUES	200
#define MSG_MSG		48	/* sizeof(struct msg_msg), x86-64 */

static long long du_blocks, du_size;
static int du_files;

static int du_one(const char *path, const struct stat *st, int type,
		  struct FTW *f)
{
	if (type == FTW_F) {
		du_blocks += (long long)st->st_blocks * 512;
		du_size += st->st_size;
		du_files++;
	}
	return 0;
}

/* Bytes allocated to all files under the namespace; -1 on error. */
static long long ns_usage(void)
{
	du_blocks = du_size = 0;
	du_files = 0;
	if (nftw(ns_dir, du_one, 16, FTW_PHYS) < 0)
		return -1;
	return du_blocks;
}

/* Bytes in the kernel's caches whose names start with prefix; -1 if
 * /proc/slabinfo cannot be read, -2 if there is no such cache. */
static long long slab_bytes(const char *prefix)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512], name[64];
	long long sum = 0;
	long active, total, size;
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld %ld %ld", name, &active, &total,
			   &size) == 4 && !strncmp(name, prefix, strlen(prefix))) {
			sum += (long long)active * size;
			found = 1;
		}
	fclose(f);
	return found ? sum : -2;
}

/* The kmalloc size class of n bytes (power of two, or 96 and 192). */
static long kmalloc_class(long n)
{
	long c = 8;

	if (n > 64 && n <= 96)
		return 96;
	if (n > 128 && n <= 192)
		return 192;
	while (c < n)
		c *= 2;
	return c;
}

/* Queue up to n 64-byte messages; returns how many. */
static int fill(struct backend *be, int qid, int n)
{
	static struct qmsg m = { .mtype = 1 };
	int i;

	for (i = 0; i < n; i++)
		if (be->snd(qid, &m, SMALL, IPC_NOWAIT) < 0)
			break;
	return i;
}

/* Give queue qid room for MEM_MSGS messages of 64 B. */
static void room(struct backend *be, int qid)
{
	struct msqid_ds ds;

	if (be->ctl(qid, IPC_STAT, &ds) == 0) {
		ds.msg_qbytes = MEM_MSGS * SMALL;
		be->ctl(qid, IPC_SET, &ds);
	}
}

/* Make (or remove) MEM_QUEUES empty queues of be: System V ids in ids[],
 * POSIX names from the pid.  Returns how many were made. */
static int queues(struct backend *be, int posix, int *ids, int make)
{
	struct mq_attr a = { .mq_maxmsg = MQ_MAXMSG, .mq_msgsize = SMALL };
	char name[48];
	int i;
	mqd_t d;

	for (i = 0; i < MEM_QUEUES; i++) {
		snprintf(name, sizeof(name), "/umq-bench-mem.%d.%d",
			 (int)getpid(), i);
		if (!make) {
			if (posix)
				be->munlink(name);
			else
				be->ctl(ids[i], IPC_RMID, NULL);
			continue;
		}
		if (posix) {
			d = be->mopen(name, O_CREAT | O_EXCL | O_RDWR, 0600,
				      &a);
			if (d == (mqd_t)-1 || be->mclose(d) < 0)
				break;
		} else if ((ids[i] = be->get(IPC_PRIVATE, IPC_CREAT | 0600)) <
			   0) {
			break;
		}
	}
	return i;
}

static void memory_kernel(const char *why)
{
	long long s0, s1, s2;
	const char *cache = "msg_msg-";
	char per[64] = "not measured";
	int ids[MEM_QUEUES], qid, n, k;

	printf("  kernel, computed: a 64 B message is one kmalloc of "
	       "struct msg_msg (%d B) + text:\n    %ld B (size class of %d B)"
	       " per queued 64 B message\n", MSG_MSG,
	       kmalloc_class(MSG_MSG + SMALL), MSG_MSG + SMALL);
	if (why) {
		printf("  kernel, measured: not measured: %s\n", why);
		return;
	}
	s0 = slab_bytes(cache);
	/* no msg_msg-* buckets: an older kernel, kmalloc's own */
	if (s0 == -2)
		s0 = slab_bytes(cache = "kmalloc-cg-");
	if (s0 < 0) {
		printf("  kernel, measured: /proc/slabinfo: %s\n",
		       strerror(errno));
		return;
	}
	qid = be_kernel.get(IPC_PRIVATE, IPC_CREAT | 0600);
	if (qid < 0) {
		printf("  kernel, measured: msgget: %s\n", strerror(errno));
		return;
	}
	room(&be_kernel, qid);
	s1 = slab_bytes(cache);
	n = fill(&be_kernel, qid, MEM_MSGS);
	s2 = slab_bytes(cache);
	be_kernel.ctl(qid, IPC_RMID, NULL);
	if (n)
		snprintf(per, sizeof(per), "%.0f B per queued message (%d "
			 "queued)", (double)(s2 - s1) / n, n);
	printf("  kernel, measured (/proc/slabinfo, %s*, noisy): %s\n",
	       cache, per);
	s0 = slab_bytes("kmalloc-cg-");
	k = queues(&be_kernel, 0, ids, 1);
	s1 = slab_bytes("kmalloc-cg-");
	queues(&be_kernel, 0, ids, 0);
	printf("    %.0f B per empty System V queue (kmalloc-cg-*; %d made)\n",
	       k ? (double)(s1 - s0) / k : NAN, k);
}

static void memory_umq(void)
{
	long long base, empty, full, q0, q1, p1;
	struct msqid_ds ds;
	int ids[MEM_QUEUES], qid, n, k, kp, files;

	if (be_umq.broken || interrupted) {
		printf("  umq: not measured\n");
		return;
	}
	base = ns_usage();
	qid = be_umq.get(IPC_PRIVATE, IPC_CREAT | 0600);
	if (base < 0 || qid < 0) {
		printf("  umq: not measured: %s\n", strerror(errno));
		be_umq.failed = 1;
		return;
	}
	room(&be_umq, qid);
	empty = ns_usage();
	n = fill(&be_umq, qid, MEM_MSGS);
	full = ns_usage();
	files = du_files;
	be_umq.ctl(qid, IPC_STAT, &ds);
	be_umq.ctl(qid, IPC_RMID, NULL);
	q0 = ns_usage();
	k = queues(&be_umq, 0, ids, 1);
	q1 = ns_usage();
	queues(&be_umq, 0, ids, 0);
	kp = queues(&be_umq, 1, ids, 1);
	p1 = ns_usage();
	queues(&be_umq, 1, ids, 0);
	printf("  umq, measured (st_blocks of all %d files under the "
	       "namespace directory):\n", files);
	printf("    %.0f B per queued 64 B message (%d queued, msg_qbytes "
	       "%lu B; %.1f KiB for the queue empty)\n",
	       n ? (double)(full - empty) / n : NAN, n,
	       (unsigned long)ds.msg_qbytes, (empty - base) / 1024.0);
	printf("    %.0f B per empty System V queue, %.0f B per empty POSIX "
	       "queue (mq_maxmsg %d,\n    mq_msgsize %d) (%d and %d made)\n",
	       k ? (double)(q1 - q0) / k : NAN,
	       kp ? (double)(p1 - q1) / kp : NAN, MQ_MAXMSG, SMALL, k, kp);
}

static void memory_child(const char *kernel_why)
{
	printf("\nmemory per queued 64 B message (%d in one queue) and per "
	       "empty queue (%d made):\n", MEM_MSGS, MEM_QUEUES);
	memory_kernel(kernel_why);
	memory_umq();
}

void memory_section(void)
{
	struct umq_limits old, lim;
	int raised = 0;
	struct sysctl_set set[] = {
		{ "/proc/sys/kernel/msgmnb", MEM_MSGS * SMALL }, { NULL, 0 }
	};

	if (umq_ns_get_limits(&old) == 0) {
		lim = old;
		if (lim.msgmnb < MEM_MSGS * SMALL)
			lim.msgmnb = MEM_MSGS * SMALL;
		raised = umq_ns_set_limits(&lim) == 0;
	}
	/* root: /proc/slabinfo is root's to read */
	in_private_ipc(1, 0, set, memory_child);
	if (raised && umq_ns_set_limits(&old) < 0)
		note("umq: restoring the limits: %s", strerror(errno));
}
