/* SPDX-License-Identifier: MIT */
/*
 * held.c - whether a POSIX queue is still open somewhere: every open
 * description of a queue holds an OFD read lock on its FIFO (DESIGN §7),
 * which the OS drops when the description goes, however its process
 * ended.  A caller that may open the FIFO asks F_OFD_GETLK; one that may
 * not (another user's queue) reads /proc/locks, which lists every lock
 * by device and inode, for all to read.  Either way, a queue whose state
 * cannot be told is held: a queue is let go only when nobody holds it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"

bool fifo_held(int dfd, const char *fifo)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = fd_open(dfd, fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC, 0);
	bool held;

	if (fd < 0)
		return errno == EACCES ? fifo_held_listed(dfd, fifo) :
		       errno != ENOENT;
	held = fcntl(fd, F_OFD_GETLK, &fl) != 0 || fl.l_type != F_UNLCK;
	close(fd);
	return held;
}

/* A lock line: "N: OFDLCK ADVISORY READ -1 MAJ:MIN:INODE START END",
 * the device in hex, the inode in decimal; a blocked waiter's line has
 * " -> " after its number (it holds nothing). */
bool fifo_held_listed(int dfd, const char *fifo)
{
	char line[256], kind[16];
	unsigned maj, min;
	unsigned long long ino;
	struct stat st;
	bool held = false;
	FILE *f;

	if (fstatat(dfd, fifo, &st, AT_SYMLINK_NOFOLLOW))
		return errno != ENOENT;
	f = fopen("/proc/locks", "re");
	if (!f)
		return true;
	while (!held && fgets(line, sizeof(line), f)) {
		if (strstr(line, "->") ||
		    sscanf(line, "%*d: %15s %*s %*s %*d %x:%x:%llu", kind, &maj,
			   &min, &ino) != 4)
			continue;
		held = !strcmp(kind, "OFDLCK") && ino == st.st_ino &&
		       makedev(maj, min) == st.st_dev;
	}
	fclose(f);
	return held;
}
