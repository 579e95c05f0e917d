/* SPDX-License-Identifier: MIT */
/*
 * cred.c - the kernel's ipcperms() and ownership rules (spec A5), against
 * the caller's credentials and capabilities as they are at this call.
 *
 * Credentials change only through the set*id family, so each thread keeps
 * a copy of its euid, fsgid and groups, valid while a process-wide
 * generation is unchanged; this library wraps the set*id calls to advance
 * the generation (then calls libc's).  So a check costs no system call,
 * yet sees a seteuid() made between two calls.  Capabilities are
 * consulted only when the rwx check denies, as the kernel's ns_capable()
 * is, and read afresh then.
 *
 * Not seen: ids changed by a raw syscall(SYS_set*id, ...) rather than the
 * libc functions.
 *
 * The OS enforces an envelope of the IPC mode on the store file: a class
 * with any IPC permission may open it read-write (receiving writes too),
 * a class with none cannot open it at all - but for the file's owner.
 */
#include <dlfcn.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#define CACHED_GROUPS 32

static uint64_t cred_gen = 1;

static __thread struct {
	uint64_t gen;
	uid_t euid;
	gid_t fsgid;
	int ngroups;			/* -1: too many to keep */
	gid_t groups[CACHED_GROUPS];
} tc;

static void refresh(void)
{
	uint64_t gen = __atomic_load_n(&cred_gen, __ATOMIC_ACQUIRE);

	if (likely(tc.gen == gen))
		return;
	tc.euid = geteuid();
	/* The raw call: setfsgid() is our own wrapper, which would bump the
	 * generation.  An invalid id changes nothing and returns the fsgid. */
	tc.fsgid = (gid_t)syscall(SYS_setfsgid, (gid_t)-1);
	tc.ngroups = getgroups(CACHED_GROUPS, tc.groups);
	tc.gen = gen;
}

/*
 * The set*id wrappers: call libc's function, then advance the generation
 * so every thread re-reads its credentials at its next check.
 */
#define WRAP(name, params, args)                                        \
	UMQ_EXPORT int name params                                      \
	{                                                               \
		static int (*real) params;                              \
		int ret_;                                               \
		if (!real)                                              \
			real = (int (*) params)dlsym(RTLD_NEXT, #name); \
		if (!real) {                                            \
			errno = ENOSYS;                                 \
			return -1;                                      \
		}                                                       \
		ret_ = real args;                                       \
		__atomic_add_fetch(&cred_gen, 1, __ATOMIC_RELEASE);     \
		return ret_;                                            \
	}

WRAP(setuid, (uid_t u), (u))
WRAP(setgid, (gid_t g), (g))
WRAP(seteuid, (uid_t u), (u))
WRAP(setegid, (gid_t g), (g))
WRAP(setreuid, (uid_t ru, uid_t eu), (ru, eu))
WRAP(setregid, (gid_t rg, gid_t eg), (rg, eg))
WRAP(setresuid, (uid_t ru, uid_t eu, uid_t su), (ru, eu, su))
WRAP(setresgid, (gid_t rg, gid_t eg, gid_t sg), (rg, eg, sg))
WRAP(setfsuid, (uid_t u), (u))
WRAP(setfsgid, (gid_t g), (g))
WRAP(setgroups, (size_t n, const gid_t *l), (n, l))
WRAP(initgroups, (const char *user, gid_t g), (user, g))

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

	if (tc.fsgid == g)
		return true;
	if (tc.ngroups >= 0) {
		for (int i = 0; i < tc.ngroups; i++)
			if (tc.groups[i] == g)
				return true;
		return false;
	}
	n = getgroups(NGROUPS_MAX, list);
	for (int i = 0; i < n; i++)
		if (list[i] == g)
			return true;
	return false;
}

static unsigned class_bits(const struct qctl *q, unsigned mode)
{
	uid_t euid;

	refresh();
	euid = tc.euid;

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
	uid_t euid;

	refresh();
	euid = tc.euid;

	if (euid == q->cuid || euid == q->uid || cap_has(CAP_SYS_ADMIN))
		return 0;
	return -EPERM;
}

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

unsigned envelope_mode(const struct qctl *q)
{
	unsigned m = q->mode & 0777, env = mode_envelope(m);

	/*
	 * An owner or group handed over by IPC_SET is not the file's owner
	 * or group, so the OS can only let them in as "other".
	 */
	if ((q->uid != q->cuid && (m >> 6 & 7)) ||
	    (q->gid != q->cgid && (m >> 3 & 7)))
		env |= 06;
	return env;
}
