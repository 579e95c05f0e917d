/* SPDX-License-Identifier: MIT */
/*
 * fullfs.c - a queue's files and the limits of files.
 *
 * On a full filesystem a new queue cannot be made: mq_open and msgget
 * fail with ENOMEM.  Until December 6 mq_open died of SIGBUS, as the new
 * file's first stores fell in a hole the filesystem could not fill
 * (found by a hunt).  (A message stored into a hole of a filesystem that
 * filled after the queue was made is still lost: DESIGN §8.)
 *
 * Nor does RLIMIT_FSIZE, which binds files, not the kernel's queues,
 * stop a queue: until December 6 a process under `ulimit -f 64` died of
 * SIGXFSZ at its first msgget (found by a hunt).
 *
 * The full filesystem is a 512 KiB tmpfs mounted in a mount namespace of
 * the case's own.
 */
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"
#include "umq.h"

#define MSGSZ	1000

static char small[200];

/* A namespace on a tmpfs of its own, 512 KiB. */
static void small_ns(void)
{
	char ns[260];

	if (unshare(CLONE_NEWNS) ||
	    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL))
		t_skip("needs a mount namespace of its own (root)");
	snprintf(small, sizeof(small), "%s/small", t_umq_dir());
	T_OK(mkdir(small, 0755));
	T_OK(mount("tmpfs", small, "tmpfs", 0, "size=512k"));
	snprintf(ns, sizeof(ns), "%s/ns", small);
	T_OK(umq_ns_use(ns));
}

/* Take what is left of the filesystem: a file written until ENOSPC. */
static void fill_up(void)
{
	char path[260], block[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/ballast", small);
	fd = (int)T_OK(open(path, O_WRONLY | O_CREAT | O_APPEND, 0600));
	memset(block, 'b', sizeof(block));
	while (write(fd, block, sizeof(block)) > 0)
		;
	while (write(fd, block, 1) > 0)
		;
	close(fd);
}

T_CASE_F(no_queue_made_on_a_full_filesystem, T_NO_KERNEL_NS)
{
	struct mq_attr a = { .mq_maxmsg = 10, .mq_msgsize = MSGSZ };

	small_ns();	/* the namespace's own files made */
	fill_up();
	T_ERR(umq_mq_open("/q", O_CREAT | O_RDWR, 0600, &a), ENOMEM);
	T_ERR(umq_mq_unlink("/q"), ENOENT);
	T_ERR(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600), ENOMEM);
}

/* One message through a new queue of each kind. */
static void round_trip(void)
{
	struct { long type; char text[MSGSZ]; } m = { 7, "sysv" };
	struct mq_attr a = { .mq_maxmsg = 10, .mq_msgsize = 8192 };
	char buf[8192];
	int id = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	mqd_t q = (mqd_t)T_OK(umq_mq_open("/fsize", O_CREAT | O_RDWR, 0600,
					  &a));

	T_OK(umq_msgsnd(id, &m, MSGSZ, 0));
	T_EQ(umq_msgrcv(id, &m, MSGSZ, 7, 0), MSGSZ);
	T_OK(umq_msgctl(id, IPC_RMID, NULL));
	T_OK(umq_mq_send(q, "posix", 5, 1));
	T_EQ(umq_mq_receive(q, buf, sizeof(buf), NULL), 5);
	T_OK(umq_mq_close(q));
	T_OK(umq_mq_unlink("/fsize"));
}

T_CASE(queues_are_no_files_to_rlimit_fsize)
{
	struct rlimit rl = { 0, RLIM_INFINITY };

	/* No file may grow at all: the queues work, as the kernel's. */
	T_OK(setrlimit(RLIMIT_FSIZE, &rl));
	round_trip();
	T_OK(getrlimit(RLIMIT_FSIZE, &rl));
	T_EQ(rl.rlim_cur, (rlim_t)0);	/* put back after each call */
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
