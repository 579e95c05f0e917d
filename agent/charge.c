/* SPDX-License-Identifier: MIT */
/*
 * charge.c - what a POSIX queue charges to the asker's real uid.
 *
 * RLIMIT_MSGQUEUE is the creator's real uid's, and the library counts it
 * from the queue files (posix.c).  A process whose real uid is not its
 * fsuid makes a queue file of the fsuid: a later process of the real uid
 * may not be able to read it, and would not see its charge.  The agent
 * reads it for the asker, and tells only its own: the real uid the OS
 * gives for the asking process, or nothing.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "internal.h"

/* The real uid of process pid, or -1. */
static long real_uid(pid_t pid)
{
	char path[64], line[256];
	long uid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %ld", &uid) == 1)
			break;
	fclose(f);
	return uid;
}

int agent_posix_charge_of(int dirfd, uint64_t gen, pid_t pid,
			  uint64_t *charge)
{
	struct pqctl c;
	struct stat st;
	char name[64];
	ssize_t n;
	long ruid;
	int fd;

	*charge = 0;
	pq_path(name, sizeof(name), gen, PQ_DATA);
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	n = fstat(fd, &st) || !S_ISREG(st.st_mode) ? -1 :
	    pread(fd, &c, offsetof(struct pqctl, name), 0);
	close(fd);
	if (n != (ssize_t)offsetof(struct pqctl, name) ||
	    c.magic != PQ_MAGIC || c.gen != gen)
		return -EINVAL;
	/* Asked while the asker waits for the answer: its pid is its own. */
	ruid = real_uid(pid);
	if (ruid >= 0 && c.charge_uid == (uint32_t)ruid)
		*charge = c.charge;
	return 0;
}
