/* SPDX-License-Identifier: MIT */
/*
 * holder.c - whether a thread that seems to hold a queue's lock could:
 * does its process map the queue's file?  (LOCKING L11.)
 *
 * Thread identities are public, so a user of a queue can write a live
 * thread's into the lock's word.  A waiter reads the thread's maps
 * itself when that thread is its own user's; another user's are root's
 * to read.  The answer is about the file at the queue's name in this
 * namespace, for a thread of the asker's pid namespace, which must be
 * ours (a thread id means nothing in another), and goes only to a
 * process that maps that file itself, shared and writable: a user of the
 * queue, who may see who else uses it (msg_lspid, msg_lrpid) anyway.
 * serve.c makes sure the asker outlived the look.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "internal.h"

static bool same_pidns(pid_t pid)
{
	struct stat a, b;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	return !stat(path, &a) && !stat("/proc/self/ns/pid", &b) &&
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

int agent_holder_maps(int dirfd, uint64_t gen, bool posix, pid_t asker,
		      uint32_t tid, uint64_t *maps)
{
	struct maps_file id;
	struct stat st;
	char name[64];
	void *p = MAP_FAILED;
	int fd, r;

	*maps = 0;
	if (!tid || tid > (1u << 22))
		return -EINVAL;
	if (!same_pidns(asker))
		return -EXDEV;
	if (posix)
		pq_path(name, sizeof(name), gen, PQ_DATA);
	else
		ctl_path(name, sizeof(name), gen);
	/* Mapped here too, to be named as the holder's maps name it
	 * (procmaps.c): one page, read-only; O_NONBLOCK, a FIFO put there
	 * would not hold us. */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size >= 4096)
		p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -EINVAL;
	r = maps_file_at(p, &id, NULL, NULL);
	munmap(p, 4096);
	/* Only a user of the queue learns who else maps it. */
	if (!r && maps_shares((uint32_t)asker, &id) != 1)
		r = -EPERM;
	if (!r)
		r = maps_shares(tid, &id);
	if (r < 0)
		return r;
	*maps = (uint64_t)r;
	return 0;
}
