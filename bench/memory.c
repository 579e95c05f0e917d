/* SPDX-License-Identifier: MIT */
/*
 * memory.c - memory per queued message and per empty queue: umq's
 * namespace files (st_blocks of every file under the directory) beside
 * the kernel's msg_msg accounting.
 */
#include <ftw.h>

#include "bench.h"

static long long du_bytes;
static int du_files;

static int du_one(const char *path, const struct stat *st, int type,
		  struct FTW *f)
{
	if (type == FTW_F) {
		du_bytes += (long long)st->st_blocks * 512;
		du_files++;
	}
	return 0;
}

static long long ns_usage(int *files)
{
	du_bytes = 0;
	du_files = 0;
	if (nftw(ns_dir, du_one, 16, FTW_PHYS) < 0)
		return -1;
	*files = du_files;
	return du_bytes;
}

/* Queue as many as MEM_MSGS 64-byte messages as fit; returns how many. */
static int fill(struct backend *be, int qid)
{
	static struct qmsg m = { .mtype = 1 };
	int n;

	for (n = 0; n < MEM_MSGS; n++)
		if (be->snd(qid, &m, SMALL, IPC_NOWAIT) < 0)
			break;
	return n;
}

static void memory_kernel(void)
{
	struct msqid_ds ds;
	char why[256] = "";
	int qid, n, raised;

	qid = queue_new(&be_kernel, why, sizeof(why));
	if (qid < 0) {
		printf("  kernel: not measured: %s\n", why);
		return;
	}
	msgctl(qid, IPC_STAT, &ds);
	ds.msg_qbytes = MEM_MSGS * SMALL;
	raised = msgctl(qid, IPC_SET, &ds) == 0;
	n = fill(&be_kernel, qid);
	msgctl(qid, IPC_STAT, &ds);
	printf("  kernel: %d messages queued, msg_cbytes %lu B of msg_qbytes "
	       "%lu B\n", n, (unsigned long)ds.msg_cbytes,
	       (unsigned long)ds.msg_qbytes);
	printf("          (text bytes only: the kernel's own memory per "
	       "message is not visible)\n");
	if (!raised)
		printf("          (raising msg_qbytes to %d B was refused: "
		       "needs CAP_SYS_RESOURCE)\n", MEM_MSGS * SMALL);
	queue_del(&be_kernel, qid, why, sizeof(why));
}

static void memory_umq(void)
{
	struct umq_limits lim;
	struct msqid_ds ds;
	long long empty, full, base;
	char why[256] = "";
	int qid, n, files;

	if (be_umq.broken || interrupted) {
		printf("  umq:    not measured\n");
		return;
	}
	/* the namespace is ours, so its owner may give queues room for all */
	if (umq_ns_get_limits(&lim) == 0 && lim.msgmnb < MEM_MSGS * SMALL) {
		lim.msgmnb = MEM_MSGS * SMALL;
		if (umq_ns_set_limits(&lim) < 0)
			note("umq: raising msgmnb: %s", strerror(errno));
	}
	base = ns_usage(&files);
	qid = queue_new(&be_umq, why, sizeof(why));
	if (qid < 0) {
		printf("  umq:    not measured: %s\n", why);
		be_umq.failed = 1;
		return;
	}
	empty = ns_usage(&files);
	n = fill(&be_umq, qid);
	full = ns_usage(&files);
	umq_msgctl(qid, IPC_STAT, &ds);
	printf("  umq:    %d messages queued, msg_cbytes %lu B of msg_qbytes "
	       "%lu B\n", n, (unsigned long)ds.msg_cbytes,
	       (unsigned long)ds.msg_qbytes);
	printf("          blocks allocated to the %d namespace files "
	       "(st_blocks):\n", files);
	printf("          %.1f KiB before this msgget, %.1f KiB with the "
	       "queue empty,\n", base / 1024.0, empty / 1024.0);
	printf("          %.1f KiB with it full: %+.1f KiB for the messages\n",
	       full / 1024.0, (full - empty) / 1024.0);
	if (queue_del(&be_umq, qid, why, sizeof(why)) < 0) {
		note("umq: %s", why);
		be_umq.failed = 1;
	}
}


void memory_section(void)
{
	printf("\nmemory of one queue holding up to %d messages of 64 B:\n",
	       MEM_MSGS);
	memory_kernel();
	memory_umq();
}
