/* SPDX-License-Identifier: MIT */
/*
 * reopen.c - a POSIX queue's file for the holder of one of its
 * descriptors.
 *
 * On the kernel a descriptor is the open queue: passed to a process of
 * any user (SCM_RIGHTS), it works there.  umq's descriptor is the queue's
 * FIFO, and the process must map the queue's file too, which its own
 * permissions may not allow.  Holding a read-write description of that
 * FIFO is the proof: only a user the queue's envelope admits could open
 * it (an O_PATH descriptor, which anyone can make, proves nothing), so
 * the agent opens the file for whoever passes one.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "internal.h"

int agent_reopen_posix(int dirfd, uint64_t gen, int fifo)
{
	struct stat st, ls, ds;
	struct pqctl c;
	char name[64];
	int fl, fd;

	fl = fcntl(fifo, F_GETFL);
	if (fl < 0 || (fl & O_PATH) || (fl & O_ACCMODE) != O_RDWR ||
	    fstat(fifo, &st) || !S_ISFIFO(st.st_mode))
		return -EBADF;
	/* The queue's FIFO now, not a file that had its name once. */
	pq_path(name, sizeof(name), gen, PQ_FIFO);
	if (fstatat(dirfd, name, &ls, AT_SYMLINK_NOFOLLOW) ||
	    ls.st_dev != st.st_dev || ls.st_ino != st.st_ino)
		return -EBADF;
	pq_path(name, sizeof(name), gen, PQ_DATA);
	fd = openat(dirfd, name, O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	/* Made with this FIFO: its block, which only users the queue
	 * admits can write, names the FIFO's inode.  Names prove nothing:
	 * the namespace's owner may rename any entry of posix/, another
	 * queue's FIFO to this one's name too.  And no link to another
	 * file placed there. */
	if (fstat(fd, &ds) || !S_ISREG(ds.st_mode) || ds.st_nlink != 1 ||
	    ds.st_uid != ls.st_uid || ds.st_dev != st.st_dev ||
	    pread(fd, &c, sizeof(c), 0) != (ssize_t)sizeof(c) ||
	    c.magic != PQ_MAGIC || c.version != UMQ_LAYOUT_VERSION ||
	    c.gen != gen || !c.fifo_ino || c.fifo_ino != (uint64_t)st.st_ino) {
		close(fd);
		return -EBADF;
	}
	return fd;
}
