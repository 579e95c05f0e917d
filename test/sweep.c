/* SPDX-License-Identifier: MIT */
/*
 * sweep.c - what a creation killed midway leaves is collected.
 *
 * A System V creation makes the store sysv/m.<gen> (locked while it
 * works) and its FIFO, then the control file sysv/q.<gen>; a POSIX one
 * the FIFO posix/<gen>.p (held while it works), then the data file
 * posix/<gen>, its magic written last.  Until December 6 a maker killed
 * before its control file, or before writing it, or before its data
 * file or magic, left files nothing ever removed (found by a hunt: 1-5
 * a run of 200 killed `umq ipcmk`).  Here the leftovers are made by
 * hand, as the dead makers left them, and the namespace is used.
 */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "t.h"
#include "umq.h"

static void at(char *buf, size_t n, const char *fmt, unsigned long long gen)
{
	char rel[64];

	snprintf(rel, sizeof(rel), fmt, gen);
	snprintf(buf, n, "%s/%s", t_umq_dir(), rel);
}

static void make_file(const char *fmt, unsigned long long gen, size_t size)
{
	char path[300];
	int fd;

	at(path, sizeof(path), fmt, gen);
	fd = (int)T_OK(open(path, O_RDWR | O_CREAT | O_EXCL, 0600));
	T_OK(ftruncate(fd, (off_t)size));
	close(fd);
}

static void make_fifo(const char *fmt, unsigned long long gen)
{
	char path[300];

	at(path, sizeof(path), fmt, gen);
	T_OK(mkfifo(path, 0600));
}

/* As a maker that died two minutes ago left it. */
static void backdate(const char *fmt, unsigned long long gen)
{
	struct timespec t[2] = { { 0, UTIME_OMIT }, { time(NULL) - 120, 0 } };
	char path[300];

	at(path, sizeof(path), fmt, gen);
	T_OK(utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW));
}

static bool gone(const char *fmt, unsigned long long gen)
{
	char path[300];
	struct stat st;

	at(path, sizeof(path), fmt, gen);
	return lstat(path, &st) && errno == ENOENT;
}

#define G1 0x1111111111111111ull
#define G2 0x2222222222222222ull
#define G3 0x3333333333333333ull

T_CASE(sysv_creations_killed_midway_are_collected)
{
	long end;
	int id;

	/* Killed before the control file, and before writing it. */
	make_file("sysv/m.%016llx", G1, 8192);
	make_fifo("sysv/m.%016llx.p", G1);
	make_file("sysv/m.%016llx", G2, 8192);
	make_fifo("sysv/m.%016llx.p", G2);
	make_file("sysv/q.%016llx", G2, 0);
	backdate("sysv/m.%016llx", G1);	/* older than a live maker's */
	/* One creation in about 64 sweeps, at most once a second. */
	end = t_now_ms() + 10000;
	while (!(gone("sysv/m.%016llx", G1) && gone("sysv/m.%016llx", G2)) &&
	       t_now_ms() < end) {
		id = (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
		T_OK(umq_msgctl(id, IPC_RMID, NULL));
	}
	T_ASSERT(gone("sysv/m.%016llx", G1));
	T_ASSERT(gone("sysv/m.%016llx.p", G1));
	T_ASSERT(gone("sysv/m.%016llx", G2));
	T_ASSERT(gone("sysv/m.%016llx.p", G2));
	T_ASSERT(gone("sysv/q.%016llx", G2));
}

T_CASE(posix_creations_killed_midway_are_collected)
{
	struct mq_attr a = { .mq_maxmsg = 2, .mq_msgsize = 16 };
	struct rlimit rl;

	/* Killed before the data file; before its magic; at its making. */
	make_fifo("posix/%016llx.p", G1);
	make_fifo("posix/%016llx.p", G2);
	make_file("posix/%016llx", G2, 65536);
	make_fifo("posix/%016llx.p", G3);
	make_file("posix/%016llx", G3, 0);
	backdate("posix/%016llx.p", G1);
	/* posix/ is read when a creation would pass RLIMIT_MSGQUEUE. */
	T_OK(getrlimit(RLIMIT_MSGQUEUE, &rl));
	rl.rlim_cur = 1;
	T_OK(setrlimit(RLIMIT_MSGQUEUE, &rl));
	T_ERR(umq_mq_open("/one", O_CREAT | O_RDWR, 0600, &a), EMFILE);
	for (unsigned long long g = G1; g <= G3; g += G1) {
		T_ASSERT(gone("posix/%016llx.p", g));
		T_ASSERT(gone("posix/%016llx", g));
	}
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
