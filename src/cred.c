/* SPDX-License-Identifier: MIT */
/*
 * cred.c - the kernel's ipcperms() and ownership rules (spec A5), against
 * the calling thread's credentials and capabilities as they are at this
 * call, however they changed (libc, a raw system call, one thread or all)
 * and however the library was loaded.  Nothing of libc is wrapped.
 *
 * Credentials are per thread.  Each thread keeps a copy (DESIGN.md §4
 * has the kernel's rules this rests on):
 *  - FIXED: real = effective = saved uid, real = effective = saved = fs
 *    gid, and neither CAP_SETUID nor CAP_SETGID in the permitted set (the
 *    effective set is within it).  Its euid, fsgid and groups can never
 *    change: set*id may then only pick among the current ids, setgroups
 *    needs CAP_SETGID, and nothing but execve adds to the permitted set.
 *    The copy serves for the thread's life, without a system call.  The
 *    capabilities are read before the ids, so that equal ids read after
 *    them are final even if a set*id signal of libc came in between.
 *  - LIVE, any other: its euid is read at each check that needs it, its
 *    fsgid and groups when the group class decides, all of it again when
 *    its euid moved (it may have become FIXED).  A probe (below) tells it
 *    has not entered another user namespace under the same euid number.
 *  - ALIEN: first seen, or seen again, in another user namespace than
 *    the library's (home): its ids are that namespace's numbers, so it
 *    gets what every class of the mode has, no more (§8).
 * Capabilities are read only when the rwx check denies, as the kernel's
 * ns_capable() is, not even then when the permitted set lacked them at
 * the last reading (it never grows), and count only at home: a thread
 * found elsewhere when one would grant is "away" for good.
 * What the OS lets each class open of the files is envelope.c's.
 */
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#define CACHED_GROUPS 32
#define BIT(cap) (1ull << (cap))
#define SETID_CAPS (BIT(CAP_SETUID) | BIT(CAP_SETGID))

enum { T_NEW, T_LIVE, T_FIXED, T_ALIEN };

static __thread struct {
	unsigned char state;
	bool away;		/* seen away from home: no capability */
	uid_t euid;		/* FIXED: the euid; LIVE: the last read */
	gid_t fsgid;		/* FIXED only, and so are the groups */
	int ngroups;		/* -1: too many to keep */
	uint64_t permitted;	/* at the last reading; only shrinks */
	gid_t groups[CACHED_GROUPS];
} tc;

/* The user namespace the library was loaded in: home. */
static bool home_known;
static dev_t home_dev;
static ino_t home_ino;

/*
 * The probe: "/" and its owner's ids as home numbers them.  A user
 * namespace an unprivileged process creates maps one uid and one gid, its
 * own, so there the owner reads otherwise (the overflow id, or the one
 * mapped) - unless the thread is that owner under its own numbers, when
 * its ids read right anyway.  So one fstat tells a LIVE thread it has not
 * moved (§8 has the rest).  Immutable records, each keeping the one it
 * replaced: the program may close our descriptor, or dup2 over it.
 *
 * A path would not do: stat("/") follows the thread's root, which a
 * thread in a user namespace of its own may chroot or pivot_root to a
 * directory it owns, where the descriptor keeps the real "/".  So the
 * descriptor is kept, high (fds.c), and its number may move (fd_evict).
 */
struct probe {
	int fd;
	dev_t dev;
	ino_t ino;
	uid_t uid;
	gid_t gid;
	struct probe *prev;
};
static struct probe *probe;

enum { HOME, AWAY, UNKNOWN };

static struct probe *probe_get(void)
{
	return __atomic_load_n(&probe, __ATOMIC_ACQUIRE);
}

/* 1: numbered as at home, 0: another namespace, -1: not our file. */
static int probe_check(const struct probe *p)
{
	struct stat st;

	if (!p || fstat(__atomic_load_n(&p->fd, __ATOMIC_ACQUIRE), &st) ||
	    st.st_dev != p->dev ||
	    st.st_ino != p->ino)
		return -1;
	return st.st_uid == p->uid && st.st_gid == p->gid;
}

/*
 * A new probe; only where the thread is known to be home.  lost: prev's
 * number no longer names our file (it is the program's now).
 */
static void probe_open(struct probe *prev, bool lost)
{
	struct probe *p = malloc(sizeof(*p));
	struct stat st;
	int fd;

	if (prev && lost)
		fd_forget(prev->fd);
	if (!p)
		return;
	fd = fd_open(AT_FDCWD, "/", O_PATH | O_CLOEXEC, 0);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		free(p);
		return;
	}
	fd_keep(fd, &p->fd);
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	p->uid = st.st_uid;
	p->gid = st.st_gid;
	p->prev = prev;
	__atomic_store_n(&probe, p, __ATOMIC_RELEASE);
}

static int userns_of_thread(dev_t *dev, ino_t *ino)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/user", &st))
		return -1;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

__attribute__((constructor)) static void cred_home(void)
{
	home_known = userns_of_thread(&home_dev, &home_ino) == 0;
	probe_open(NULL, false);
}

/* Where the thread is; without /proc only the probe can tell. */
static int where(void)
{
	dev_t dev;
	ino_t ino;

	if (home_known && !userns_of_thread(&dev, &ino))
		return dev == home_dev && ino == home_ino ? HOME : AWAY;
	return probe_check(probe_get()) == 0 ? AWAY : UNKNOWN;
}

static int caps_read(uint64_t *eff, uint64_t *perm)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	return 0;
}

/* Read the thread's credentials whole (see the top of the file). */
static void load(void)
{
	uint64_t eff, perm;
	uid_t ru, eu, su, fu;
	gid_t rg, eg, sg, fg;
	struct probe *p;
	bool fixed;
	int w = where(), c;

	if (w == AWAY) {
		tc.state = T_ALIEN;	/* for good: no way back (§4) */
		return;
	}
	p = probe_get();
	if (w == HOME && (c = probe_check(p)) != 1)
		probe_open(p, c < 0);
	if (caps_read(&eff, &perm))
		perm = ~0ull;	/* unknown: asked again when needed */
	fixed = !(perm & SETID_CAPS);
	tc.permitted = perm;
	if (getresuid(&ru, &eu, &su) || getresgid(&rg, &eg, &sg)) {
		eu = geteuid();
		fixed = false;
	}
	/* setfs*id with an invalid id changes nothing, returns the fs id. */
	fg = (gid_t)syscall(SYS_setfsgid, (gid_t)-1);
	fu = (uid_t)syscall(SYS_setfsuid, (uid_t)-1);
	fixed = fixed && ru == eu && eu == su && su == fu && rg == eg &&
		eg == sg && sg == fg;
	tc.euid = eu;
	if (!fixed) {
		tc.state = T_LIVE;
		return;
	}
	tc.fsgid = fg;
	tc.ngroups = getgroups(CACHED_GROUPS, tc.groups);
	tc.state = T_FIXED;
}

/* The thread's state, its credentials read as needed; *euid: its euid. */
static int current(uid_t *euid)
{
	if (likely(tc.state == T_FIXED)) {
		*euid = tc.euid;
		return T_FIXED;
	}
	if (tc.state == T_LIVE) {
		*euid = geteuid();
		if (*euid == tc.euid && probe_check(probe_get()) == 1)
			return T_LIVE;
	}
	if (tc.state != T_ALIEN)
		load();
	*euid = tc.euid;
	return tc.state;
}

/* a or b among the supplementary groups, read now. */
static bool groups_have(gid_t a, gid_t b)
{
	gid_t small[64], *list = small;
	bool found = false;
	int n = getgroups(64, small);

	if (n < 0) {
		n = getgroups(0, NULL);
		list = n > 0 ? malloc((size_t)n * sizeof(*list)) : NULL;
		n = list ? getgroups(n, list) : -1;
	}
	for (int i = 0; i < n && !found; i++)
		found = list[i] == a || list[i] == b;
	if (list != small)
		free(list);
	return found;
}

/* in_group_p() for a or b: the fsgid or a supplementary group. */
static bool in_group(int state, gid_t a, gid_t b)
{
	gid_t fsgid;

	if (state == T_FIXED) {
		if (tc.fsgid == a || tc.fsgid == b)
			return true;
		if (tc.ngroups < 0)
			return groups_have(a, b);
		for (int i = 0; i < tc.ngroups; i++)
			if (tc.groups[i] == a || tc.groups[i] == b)
				return true;
		return false;
	}
	fsgid = (gid_t)syscall(SYS_setfsgid, (gid_t)-1);
	return fsgid == a || fsgid == b || groups_have(a, b);
}

static unsigned class_bits(const struct qctl *q, unsigned mode)
{
	uid_t euid;
	int state = current(&euid);

	/* Numbers of another namespace: what every class has. */
	if (state == T_ALIEN)
		return mode & mode >> 3 & mode >> 6;
	if (euid == q->cuid || euid == q->uid)
		return mode >> 6;
	/* Group and other classes agree: no need to ask for the groups. */
	if (((mode >> 3) & 7) != (mode & 7) && in_group(state, q->cgid, q->gid))
		return mode >> 3;
	return mode;
}

bool cap_has(int cap)
{
	uint64_t eff, perm;

	if (tc.state == T_NEW)
		load();
	if (tc.state == T_ALIEN || tc.away || !(tc.permitted & BIT(cap)))
		return false;
	if (caps_read(&eff, &perm))
		return false;
	tc.permitted = perm;
	/* Without CAP_SETUID and CAP_SETGID it may have become FIXED. */
	if (tc.state == T_LIVE && !(perm & SETID_CAPS))
		load();
	if (!(eff & BIT(cap)))
		return false;
	/*
	 * Capabilities held in another user namespace do not count here,
	 * for good: there is no way back (§4).  The ids still do: FIXED
	 * ones are kept, LIVE ones checked by the probe.
	 */
	if (tc.state != T_ALIEN && where() == AWAY)
		tc.away = true;
	return tc.state != T_ALIEN && !tc.away;
}

void cred_ids(uid_t *euid, gid_t *egid)
{
	/* FIXED: all the gids are equal.  ALIEN: its own numbers (§8). */
	*egid = current(euid) == T_FIXED ? tc.fsgid : getegid();
}

/* The ids files and POSIX queues are checked against, and whether the
 * thread is in group g (fsgid or supplementary): free when FIXED. */
void cred_fs_ids(uid_t *fsuid, gid_t *fsgid)
{
	uid_t euid;

	if (current(&euid) == T_FIXED) {
		*fsuid = euid;
		*fsgid = tc.fsgid;
		return;
	}
	*fsuid = (uid_t)syscall(SYS_setfsuid, (uid_t)-1);
	*fsgid = (gid_t)syscall(SYS_setfsgid, (gid_t)-1);
}

/*
 * A System V queue's creator and owner are the caller's euid and egid,
 * and the OS judges its files by their owner (the creator: layout.h) and
 * by the caller's fsuid and fsgid.  A thread whose fs ids differ (a
 * setfsuid() of its own) makes, opens, changes and removes those files
 * as its euid and egid, as the kernel judges System V calls: setting
 * the fs ids to the effective ones is always allowed.  Not from fsuid 0,
 * whose change would clear the effective capabilities and bring back
 * those permitted when undone.
 */
void cred_fs_enter(struct fs_as *a)
{
	uid_t euid;
	gid_t egid;

	a->on = false;
	if (current(&euid) != T_LIVE)
		return;
	cred_ids(&euid, &egid);
	cred_fs_ids(&a->uid, &a->gid);
	if ((a->uid == euid && a->gid == egid) || a->uid == 0)
		return;
	syscall(SYS_setfsgid, egid);
	syscall(SYS_setfsuid, euid);
	a->on = true;
}

void cred_fs_leave(const struct fs_as *a)
{
	int e = errno;

	if (!a->on)
		return;
	syscall(SYS_setfsuid, a->uid);
	syscall(SYS_setfsgid, a->gid);
	errno = e;
}

bool cred_in_group(gid_t g)
{
	uid_t euid;

	return in_group(current(&euid), g, g);
}

int ipc_perms(const struct qctl *q, int flag)
{
	unsigned req = ((unsigned)flag >> 6 | (unsigned)flag >> 3 |
			(unsigned)flag) & 7;
	unsigned mode = q->mode & 0777;

	if (!req)
		return 0;
	/* Every class has the bits: the answer is the same for anyone. */
	if ((mode >> 6 & req) == req && (mode >> 3 & req) == req &&
	    (mode & req) == req)
		return 0;
	if ((req & ~class_bits(q, mode) & 7) == 0)
		return 0;
	return cap_has(CAP_IPC_OWNER) ? 0 : -EACCES;
}

int ipc_owner(const struct qctl *q)
{
	uid_t euid;
	int state = current(&euid);

	if (state != T_ALIEN && (euid == q->cuid || euid == q->uid))
		return 0;
	return cap_has(CAP_SYS_ADMIN) ? 0 : -EPERM;
}
