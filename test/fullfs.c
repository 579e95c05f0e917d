/* SPDX-License-Identifier: MIT */
/*
 * fullfs.c - a namespace on a filesystem that fills up loses no message.
 *
 * A queue's store is a file mapped shared.  Until December 6 it was
 * made with ftruncate(), so sparse: a message stored into a hole of a
 * full filesystem faulted, the page was replaced by zeros (map.c), and
 * the message was lost while mq_send said 0; a new queue's first stores
 * killed mq_open with SIGBUS.  Now every block is allocated when the
 * store is made or grows: the call that cannot have one fails with
 * ENOMEM, and what was sent is received intact.
 *
 * Each case mounts a 512 KiB tmpfs in a mount namespace of its own.
 *
 * Nor does RLIMIT_FSIZE, which binds files, not the kernel's queues:
 * until December 6 a process under `ulimit -f 64` died of SIGXFSZ at
 * its first msgget (found by a hunt).
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

static void text(char *buf, int i)
{
	memset(buf, 'a' + i % 26, MSGSZ);
	snprintf(buf, MSGSZ, "message %d", i);
}

static void send_posix(void *arg)
{
	char buf[MSGSZ];

	for (int i = 0; i < 10; i++) {
		text(buf, i);
		if (umq_mq_send(*(mqd_t *)arg, buf, MSGSZ, 0))
			exit(T_EXIT_FAIL);
	}
}

T_CASE_F(posix_full_filesystem_loses_nothing, T_NO_KERNEL_NS)
{
	struct mq_attr big = { .mq_maxmsg = 90, .mq_msgsize = 8192 };
	struct mq_attr a = { .mq_maxmsg = 10, .mq_msgsize = MSGSZ };
	char buf[MSGSZ], want[MSGSZ];
	unsigned prio;
	mqd_t q;

	small_ns();
	T_OK(umq_ns_set_limits(&(struct umq_limits){
		.msgmax = 8192, .msgmnb = 16384, .msgmni = 32000,
		.msg_max = 100, .msgsize_max = 8192, .msg_default = 10,
		.msgsize_default = 8192, .queues_max = 256 }));
	/* 720 KiB (within RLIMIT_MSGQUEUE) on 512: refused at once,
	 * nothing left behind. */
	T_ERR(umq_mq_open("/big", O_CREAT | O_RDWR, 0600, &big), ENOMEM);
	T_ERR(umq_mq_unlink("/big"), ENOENT);
	q = (mqd_t)T_OK(umq_mq_open("/q", O_CREAT | O_RDWR | O_NONBLOCK,
				    0600, &a));
	fill_up();
	/* Another process sends: a page that a full filesystem could not
	 * give would be a private one of the sender's (map.c), where its
	 * message is lost to everyone else. */
	T_EQ(t_waitpid(t_spawn_alarm(send_posix, &q, 20)), 0);
	for (int i = 0; i < 10; i++) {
		text(want, i);
		T_EQ(umq_mq_receive(q, buf, MSGSZ, &prio), MSGSZ);
		if (memcmp(buf, want, MSGSZ))
			T_FAIL("message %d came back as '%.16s'", i, buf);
	}
	T_ERR(umq_mq_receive(q, buf, MSGSZ, &prio), EAGAIN);
	T_OK(umq_mq_close(q));
}

static struct { int id, sent; } *S;

static void send_sysv(void *arg)
{
	struct { long type; char text[MSGSZ]; } m;

	for (int i = 0; i < 4000; i++) {
		m.type = 1 + i % 3;
		text(m.text, i);
		if (umq_msgsnd(S->id, &m, MSGSZ, IPC_NOWAIT)) {
			if (errno != ENOMEM)
				exit(T_EXIT_FAIL);
			break;
		}
		S->sent++;
	}
}

T_CASE_F(sysv_full_filesystem_loses_nothing, T_NO_KERNEL_NS)
{
	struct { long type; char text[MSGSZ]; } m;
	int id, sent = 0;

	small_ns();
	/* Room in the queue (msgmnb, its msg_qbytes): the disk fills. */
	T_OK(umq_ns_set_limits(&(struct umq_limits){
		.msgmax = 8192, .msgmnb = 4 << 20, .msgmni = 32000,
		.msg_max = 10, .msgsize_max = 8192, .msg_default = 10,
		.msgsize_default = 8192, .queues_max = 256 }));
	id = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	fill_up();
	/* Each send stores its message, or says it could not. */
	S = t_shared(sizeof(*S));
	S->id = id;
	T_EQ(t_waitpid(t_spawn_alarm(send_sysv, NULL, 20)), 0);
	sent = S->sent;
	if (sent == 4000)
		T_FAIL("4 MB sent to a full 512 KiB filesystem");
	/* (msg_qnum may say fewer: the lane's ring holds what the store
	 * could not take, DESIGN §8.) */
	for (int i = 0; i < sent; i++) {
		char want[MSGSZ];

		text(want, i);
		T_EQ(umq_msgrcv(id, &m, MSGSZ, 0, IPC_NOWAIT), MSGSZ);
		if (m.type != 1 + i % 3 || memcmp(m.text, want, MSGSZ))
			T_FAIL("message %d of %d came back as %ld '%.16s'", i,
			       sent, m.type, m.text);
	}
	T_ERR(umq_msgrcv(id, &m, MSGSZ, 0, IPC_NOWAIT), ENOMSG);
	T_OK(umq_msgctl(id, IPC_RMID, NULL));
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
