/* SPDX-License-Identifier: MIT */
/*
 * sync.c - the agent's one decision: may this caller have this queue's
 * files made to match its control block, and then do it (envelope.c).
 *
 * The control block is shared memory any user of the queue can write,
 * so what it says is believed only as far as the OS already lets its
 * writers go.  Who owns the queue is what the files record, which only
 * their owner (the creator) or root can write: the ACL's owner entry
 * (env_recorded_owner), else the creator.  So the creator, the recorded
 * owner and root may have what their IPC_SET set applied, as
 * ipc_owner() lets them IPC_SET; and, for a queue whose files every
 * user may already write (a wide envelope, or a mode that gives "other"
 * write), the block's own owner too: believing it gives nobody more than
 * they had.  At start, with no caller, only what such a user left in a
 * file of its own while no agent answered (src/envelope.c), as its
 * request: never the block, which anyone with access may have forged.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "internal.h"

bool agent_verbose;

static int read_ctl(int dirfd, uint64_t gen, struct qfile *f, struct stat *st,
		    uid_t *recorded)
{
	char name[48];
	ssize_t n;
	int fd;

	ctl_path(name, sizeof(name), gen);
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	n = pread(fd, f, offsetof(struct qfile, pad), 0);
	/* Mode 0: a removed queue's (src/registry.c), never widened. */
	if (fstat(fd, st) || !S_ISREG(st->st_mode) || st->st_nlink != 1 ||
	    (st->st_mode & 0600) != 0600 ||
	    n != (ssize_t)offsetof(struct qfile, pad) || f->magic != Q_MAGIC ||
	    f->version != UMQ_LAYOUT_VERSION || f->q.gen != gen ||
	    f->q.cuid != st->st_uid || f->q.cgid != st->st_gid) {
		close(fd);
		return -EINVAL;		/* not a queue's control file */
	}
	*recorded = env_recorded_owner(fd, st->st_uid);
	close(fd);
	return __atomic_load_n(&f->q.state, __ATOMIC_ACQUIRE) == SLOT_LIVE ?
	       0 : -EIDRM;
}

/* Every user may write the store already. */
static bool open_to_all(int dirfd, uint64_t gen)
{
	struct stat st;
	char name[48];

	store_path(name, sizeof(name), gen);
	return !fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
	       (st.st_mode & S_IWOTH);
}

/* Forget uid's change left for the agent's start (src/envelope.c):
 * what comes after it has reached the files. */
static void drop_pending(int dirfd, uint64_t gen, uid_t uid)
{
	char name[64];

	pending_path(name, sizeof(name), gen, uid);
	unlinkat(dirfd, name, 0);
}

int agent_sync_queue(int dirfd, uint64_t gen, uid_t who,
		     const struct env_perm *set)
{
	struct env_perm p;
	struct qfile f;
	struct stat st;
	uid_t owner;
	bool may;
	int r;

	r = read_ctl(dirfd, gen, &f, &st, &owner);
	if (r < 0)
		return r;
	p = (struct env_perm){
		.uid = f.q.uid, .gid = f.q.gid, .cuid = f.q.cuid,
		.cgid = f.q.cgid, .mode = f.q.mode,
	};
	may = who == 0 || who == p.cuid || who == owner;
	if (!may && who == p.uid)
		may = open_to_all(dirfd, gen);
	if (!may) {
		if (agent_verbose)
			fprintf(stderr, "umq agent: queue %016llx: uid %u is "
				"not its owner (%u): refused\n",
				(unsigned long long)gen, who, owner);
		return -EPERM;
	}
	/* What the caller set, not the block a moment later. */
	p.uid = set->uid;
	p.gid = set->gid;
	p.mode = set->mode & 0777;
	r = env_apply(dirfd, gen, &p, true, &st);
	if (!r)
		drop_pending(dirfd, gen, who);
	if (agent_verbose || r)
		fprintf(stderr, "umq agent: queue %016llx: uid %u gid %u "
			"mode %04o%s%s\n", (unsigned long long)gen, p.uid,
			p.gid, p.mode & 0777, r ? ": " : "",
			r ? strerror(-r) : "");
	return r;
}

/*
 * The change pending file name (sysv/s.<gen>.<uid>) left, applied as a
 * request of the file's owner, then removed.  Its owner is the OS's
 * word for who made it, and its mode, 0400, that the library made it as
 * one (src/envelope.c): another user could link there a file of that
 * uid's that they may write, a queue's, and write a request into it.  A
 * file that is not that uid's, not made so, or not whole, is only
 * removed.
 */
static void apply_pending(int dirfd, int sfd, const char *name)
{
	struct agent_pending pd;
	unsigned long long gen;
	unsigned long uid;
	struct stat st;
	char *end;
	ssize_t n = -1;
	int fd;

	gen = strtoull(name + 2, &end, 16);
	if (*end != '.' || end != name + 18)
		return;
	uid = strtoul(end + 1, &end, 10);
	if (*end)
		return;
	fd = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	if (fd >= 0) {
		if (!fstat(fd, &st) && S_ISREG(st.st_mode) &&
		    st.st_nlink == 1 && st.st_uid == uid &&
		    (st.st_mode & 07777) == 0400)
			n = pread(fd, &pd, sizeof(pd), 0);
		close(fd);
	}
	if (n == (ssize_t)sizeof(pd) && pd.magic == AGENT_PENDING_MAGIC &&
	    pd.gen == gen && gen)
		agent_sync_queue(dirfd, gen, (uid_t)uid, &(struct env_perm){
			.uid = pd.uid, .gid = pd.gid, .mode = pd.mode });
	unlinkat(sfd, name, 0);
}

void agent_sync_all(int dirfd)
{
	int sfd = openat(dirfd, "sysv", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = sfd < 0 ? NULL : fdopendir(sfd);
	struct dirent *e;

	if (!d) {
		if (sfd >= 0)
			close(sfd);
		return;
	}
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "s.", 2))
			apply_pending(dirfd, sfd, e->d_name);
	closedir(d);
}
