/* SPDX-License-Identifier: MIT */
/*
 * cred.c - the kernel's ipcperms() and ownership rules (spec A5), against
 * the caller's credentials and capabilities as they are at this call.
 *
 * A send or receive on a queue whose mode grants the access to all three
 * classes needs no credentials at all, so it makes no system call; other
 * modes read the effective uid (and the groups only when the group bits
 * decide).  Capabilities are consulted only when the rwx check denies,
 * as the kernel's ns_capable() is.
 *
 * The OS enforces an envelope of the IPC mode on the store file: a class
 * with any IPC permission may open it read-write (receiving writes too),
 * a class with none cannot open it at all.
 */
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

bool cap_has(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return false;
	return d[cap / 32].effective & (1u << (cap % 32));
}

void cred_ids(uid_t *euid, gid_t *egid)
{
	*euid = geteuid();
	*egid = getegid();
}

/* in_group_p(): the fsgid or a supplementary group. */
static bool in_group(gid_t g)
{
	gid_t list[NGROUPS_MAX];
	int n;

	if ((gid_t)setfsgid((gid_t)-1) == g)
		return true;
	n = getgroups(NGROUPS_MAX, list);
	for (int i = 0; i < n; i++)
		if (list[i] == g)
			return true;
	return false;
}

static unsigned class_bits(const struct qctl *q, unsigned mode)
{
	uid_t euid = geteuid();

	if (euid == q->cuid || euid == q->uid)
		return mode >> 6;
	/* Group and other classes agree: no need to ask for the groups. */
	if (((mode >> 3) & 7) != (mode & 7) &&
	    (in_group(q->cgid) || in_group(q->gid)))
		return mode >> 3;
	return mode;
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
	uid_t euid = geteuid();

	if (euid == q->cuid || euid == q->uid || cap_has(CAP_SYS_ADMIN))
		return 0;
	return -EPERM;
}

unsigned envelope_mode(const struct qctl *q)
{
	unsigned m = q->mode & 0777, env = 0;

	for (int c = 0; c < 3; c++)
		if (m >> (3 * c) & 7)
			env |= 06u << (3 * c);
	/*
	 * An owner or group handed over by IPC_SET is not the file's owner
	 * or group, so the OS can only let them in as "other".
	 */
	if ((q->uid != q->cuid && (m >> 6 & 7)) ||
	    (q->gid != q->cgid && (m >> 3 & 7)))
		env |= 06;
	return env;
}
