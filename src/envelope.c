/* SPDX-License-Identifier: MIT */
/*
 * envelope.c - what the OS lets each user open of a System V queue's
 * files: the envelope of its IPC permissions (DESIGN §6).
 *
 * ipcperms() has five parties: creator and owner (owner bits), the
 * creator's group and the queue's group (group bits), everybody else.
 * The files belong to the creator and its group, so plain modes speak
 * for three of them; an owner or group handed over by IPC_SET gets a
 * POSIX ACL entry of its own (tmpfs keeps ACLs), which makes the
 * envelope exact: a party may open the files read-write when its class
 * has read or write (a receive writes too), else not at all.  The
 * control file is readable by all (MSG_STAT_ANY), and its ACL entry for
 * an owner other than the creator carries the execute bit: the record,
 * which only the files' owner or root can write, of who that owner is
 * (the agent believes it, agent/).
 *
 * Only the files' owner or CAP_FOWNER may set modes and ACLs.  An owner
 * handed over is neither, and may later set any mode: without an agent
 * to apply it, the envelope of such a queue must already admit whatever
 * that owner could, so it is "wide" (every class).
 */
#include <fcntl.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "internal.h"

#define ACL_XATTR "system.posix_acl_access"
#define ACL_MAX 6

unsigned mode_envelope(unsigned mode)
{
	/* The owner always: it could chmod the file anyway, so denying it
	 * would protect nothing.  Execute alone needs no file access. */
	unsigned env = 0600;

	for (int c = 0; c < 3; c++)
		if (mode >> (3 * c) & 6)
			env |= 06u << (3 * c);
	return env;
}

/* The wide envelope, in plain modes, of a queue whose new owner or group
 * the files cannot name. */
static unsigned wide_mode(const struct env_perm *p)
{
	unsigned m = p->mode & 0777, env = mode_envelope(m);

	/*
	 * An owner handed over may set any mode without the power to chmod
	 * the files: every class, group too (the new owner, or a user the
	 * new mode admits as "other", may be in the files' group).  A group
	 * handed over: its members are "other" to the OS, so "other" gets
	 * what either class has; the files' group is the creator's.
	 */
	if (p->uid != p->cuid)
		return 0666;
	if (p->gid != p->cgid && ((m >> 3 | m) & 6))
		env |= 06;
	return env;
}

unsigned envelope_mode(const struct qctl *q)
{
	struct env_perm p = {
		.uid = q->uid, .gid = q->gid, .cuid = q->cuid,
		.cgid = q->cgid, .mode = q->mode,
	};

	return wide_mode(&p);
}

/* rw- if the class with bits c (rwx) has read or write, else ---. */
static uint16_t env_bits(unsigned c)
{
	return c & 6 ? ACL_READ | ACL_WRITE : 0;
}

static struct posix_acl_xattr_entry *entry(struct posix_acl_xattr_entry *e,
					   uint16_t tag, uint16_t perm,
					   uint32_t id)
{
	e->e_tag = tag;
	e->e_perm = perm;
	e->e_id = id;
	return e + 1;
}

/*
 * The exact envelope as an ACL, entries in the order the kernel wants
 * (by tag).  extra is or-ed into every entry (read, for the control
 * file); the owner's entry of the control file gets the record bit.
 */
static size_t build_acl(void *buf, const struct env_perm *p, uint16_t extra,
			bool ctl)
{
	struct posix_acl_xattr_header *h = buf;
	struct posix_acl_xattr_entry *e = (void *)(h + 1), *start = e;
	unsigned m = p->mode & 0777;
	uint16_t own, grp = env_bits(m >> 3) | extra;
	/* Execute in the mask grants nothing (no entry has it, but the
	 * record's), but keeps it from being empty: Linux consults the ACL
	 * only when the mode's group bits (the mask) are not, and otherwise
	 * lets a member of a named group in as "other". */
	uint16_t mask = grp | ACL_EXECUTE;

	h->a_version = POSIX_ACL_XATTR_VERSION;
	e = entry(e, ACL_USER_OBJ, ACL_READ | ACL_WRITE | extra,
		  ACL_UNDEFINED_ID);
	if (p->uid != p->cuid) {
		/* rw as the creator's: it could IPC_SET itself in anyway. */
		own = ACL_READ | ACL_WRITE | (ctl ? ACL_EXECUTE : 0);
		e = entry(e, ACL_USER, own, p->uid);
		mask |= own;
	}
	e = entry(e, ACL_GROUP_OBJ, grp, ACL_UNDEFINED_ID);
	if (p->gid != p->cgid)
		e = entry(e, ACL_GROUP, grp, p->gid);
	if (p->uid != p->cuid || p->gid != p->cgid)
		e = entry(e, ACL_MASK, mask, ACL_UNDEFINED_ID);
	e = entry(e, ACL_OTHER, env_bits(m) | extra, ACL_UNDEFINED_ID);
	return sizeof(*h) + (size_t)(e - start) * sizeof(*e);
}

/*
 * A file just made: without an ACL of its own.  It may have inherited
 * one from its directory's default ACL, which the namespace's owner may
 * set: entries for users the queue does not admit, even what looks like
 * the record of an owner.  0 or -errno.
 */
int env_strip(int fd)
{
	if (fremovexattr(fd, ACL_XATTR) && errno != ENODATA &&
	    errno != EOPNOTSUPP)
		return -errno;
	return 0;
}

/* The owner the files record (build_acl), or cuid when none. */
uid_t env_recorded_owner(int ctlfd, uid_t cuid)
{
	char buf[sizeof(struct posix_acl_xattr_header) +
		 32 * sizeof(struct posix_acl_xattr_entry)];
	const struct posix_acl_xattr_entry *e;
	ssize_t n;

	n = fgetxattr(ctlfd, ACL_XATTR, buf, sizeof(buf));
	if (n < (ssize_t)sizeof(struct posix_acl_xattr_header))
		return cuid;
	e = (const void *)(buf + sizeof(struct posix_acl_xattr_header));
	for (; (const char *)(e + 1) <= buf + n; e++)
		if (e->e_tag == ACL_USER && (e->e_perm & ACL_EXECUTE))
			return e->e_id;
	return cuid;
}

/*
 * Give one file its envelope: wide in plain modes, or exact as an ACL
 * (which the kernel folds back into the mode when it names nobody).
 * Through a descriptor of the file checked to be the queue's (not a
 * /proc/self/fd path: there may be no /proc).
 */
static int apply_one(int fd, const struct env_perm *p, bool exact, bool ctl)
{
	char acl[sizeof(struct posix_acl_xattr_header) +
		 ACL_MAX * sizeof(struct posix_acl_xattr_entry)];
	unsigned extra = ctl ? 0444 : 0;

	if (exact) {
		size_t n = build_acl(acl, p, ctl ? ACL_READ : 0, ctl);

		if (!fsetxattr(fd, ACL_XATTR, acl, n, 0))
			return 0;
		if (errno != EOPNOTSUPP)
			return -errno;
		/* No ACLs here: plain modes, wide when they cannot name
		 * the new owner or group. */
	} else if (fremovexattr(fd, ACL_XATTR) && errno != ENODATA &&
		   errno != EOPNOTSUPP) {
		return -errno;
	}
	return fchmod(fd, wide_mode(p) | extra) ? -errno : 0;
}

/* The same file, opened for real: xattrs and modes cannot be set
 * through O_PATH.  Read-only, without blocking (a FIFO), and only once
 * the O_PATH descriptor showed it is the queue's, so that nothing else
 * is ever opened (a device's open may act). */
static int reopen_checked(int dirfd, const char *name, const struct stat *st)
{
	struct stat now;
	int fd = fd_open(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW |
			 O_NOCTTY | O_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &now) || now.st_dev != st->st_dev ||
	    now.st_ino != st->st_ino) {
		close(fd);
		return -EUCLEAN;	/* replaced meanwhile */
	}
	return fd;
}

/* File i (control, store, FIFO) of queue gen, opened read-only, if it is
 * the creator's, linked once, of its type: else -errno (-ENOENT:
 * removed meanwhile). */
static int open_file(int dirfd, uint64_t gen, int i, uid_t cuid,
		     struct stat *st)
{
	char name[48];
	int fd, r;

	if (i == 0)
		ctl_path(name, sizeof(name), gen);
	else if (i == 1)
		store_path(name, sizeof(name), gen);
	else
		msgfd_path(name, sizeof(name), gen);
	/* fd_open: an IPC_SET needs no descriptor on the kernel. */
	fd = fd_open(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) || st->st_uid != cuid || st->st_nlink != 1 ||
	    (i == 2 ? !S_ISFIFO(st->st_mode) : !S_ISREG(st->st_mode)))
		r = -EUCLEAN;
	else
		r = reopen_checked(dirfd, name, st);
	close(fd);
	return r;
}

/* The store at fd records these control file and FIFO (registry.c):
 * they are the queue's, not another's renamed to its names. */
static bool bound(int fd, uint64_t gen, const struct stat *ctl,
		  const struct stat *fifo)
{
	struct store_hdr h;

	return pread(fd, &h, sizeof(h), M_STORE_OFF) == (ssize_t)sizeof(h) &&
	       h.magic == UMQ_STORE_MAGIC && h.gen == gen && h.ctl_ino &&
	       h.ctl_ino == (uint64_t)ctl->st_ino &&
	       (!fifo || h.fifo_ino == (uint64_t)fifo->st_ino);
}

/*
 * Give the files of System V queue gen (under dirfd) their envelope.
 * Each must be the creator's and linked once (no other file reached by
 * a link someone placed there), the FIFO a FIFO: anything else is left.
 * ctl, for the agent (root): the control file must be that one, the one
 * it read, and the store must record it and the FIFO, else nothing is
 * changed - the namespace's owner may rename another queue's control
 * file to this one's name.
 */
int env_apply(int dirfd, uint64_t gen, const struct env_perm *p, bool exact,
	      const struct stat *ctl)
{
	struct stat st[3];
	int fd[3], r = 0;

	for (int i = 0; i < 3; i++)	/* control, store, FIFO */
		fd[i] = open_file(dirfd, gen, i, p->cuid, &st[i]);
	if (ctl && (fd[0] < 0 || fd[1] < 0 || st[0].st_dev != ctl->st_dev ||
		    st[0].st_ino != ctl->st_ino ||
		    !bound(fd[1], gen, &st[0], fd[2] >= 0 ? &st[2] : NULL)))
		r = -EUCLEAN;
	for (int i = 0; i < 3; i++) {
		int e = fd[i];

		if (fd[i] >= 0) {
			e = r ? 0 : apply_one(fd[i], p, exact, i == 0);
			close(fd[i]);
		} else if (e == -ENOENT) {
			e = 0;		/* removed meanwhile */
		}
		r = r ?: e;
	}
	return r;
}

/* Leave what this IPC_SET set for the agent's start (agent/sync.c). */
static void leave_pending(struct sq *s, const struct env_perm *p)
{
	struct agent_pending pd = {
		.magic = AGENT_PENDING_MAGIC, .gen = s->gen,
		.uid = p->uid, .gid = p->gid, .mode = p->mode & 0777,
	};
	char name[64];
	bool recorded;
	uid_t euid;
	gid_t egid;
	int fd;

	/* Only for files an agent made exact (they record an owner handed
	 * over): wide ones admit whatever this change could, and a
	 * namespace no agent serves gets no such files. */
	ctl_path(name, sizeof(name), s->gen);
	fd = fd_open(s->ns->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		     O_CLOEXEC, 0);
	if (fd < 0)
		return;
	recorded = env_recorded_owner(fd, p->cuid) != p->cuid;
	close(fd);
	if (!recorded)
		return;
	cred_ids(&euid, &egid);
	pending_path(name, sizeof(name), s->gen, euid);
	/* Made new, mode 0400, which no queue file of ours ever has: a
	 * file of ours that others may write (a queue's, 0666), linked
	 * here under our name, is not a request of ours (agent/sync.c). */
	unlinkat(s->ns->dirfd, name, 0);
	fd = fd_open(s->ns->dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
		     O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0400);
	if (fd < 0)
		return;
	if (fchmod(fd, 0400) ||		/* past the umask */
	    fd_pwrite(fd, &pd, sizeof(pd), 0) != (ssize_t)sizeof(pd))
		ftruncate(fd, 0);	/* nothing half written is believed */
	close(fd);
}

/*
 * After an IPC_SET, under the queue lock: keep the files in step.  The
 * agent, when one serves the namespace, makes the envelope exact
 * whoever asks (agent/); else the files' owner or root does what it
 * may (exact while the owner is the creator), and anyone else leaves
 * it for the agent's start (on files an agent made exact; wide ones
 * admit it already).
 */
void env_update(struct sq *s, uid_t uid, gid_t gid, unsigned mode)
{
	/* Not read back from the block: any user with write access to
	 * the files may be writing another mode there right now. */
	const struct qctl *q = s->q;
	struct env_perm p = {
		.uid = uid, .gid = gid, .mode = mode,
		.cuid = __atomic_load_n(&q->cuid, __ATOMIC_RELAXED),
		.cgid = __atomic_load_n(&q->cgid, __ATOMIC_RELAXED),
	};
	struct fs_as as;
	int r;

	r = agent_sync(s->ns, s->gen, &p);
	if (!r)
		return;
	cred_fs_enter(&as);	/* as euid (cred.c) */
	/* The files' owner or root applies it; anyone else, with no agent
	 * answering, leaves it for the agent's start. */
	if (env_apply(s->ns->dirfd, s->gen, &p, p.uid == p.cuid, NULL) ==
	    -EPERM && r == -ENOENT)
		leave_pending(s, &p);
	cred_fs_leave(&as);
}
