/* SPDX-License-Identifier: MIT */
/*
 * compat.c - symbols of earlier releases that no longer do anything of
 * ours.
 *
 * Release 0.1 exported wrappers of libc's set*id family as name@UMQ_0.1,
 * to know when credentials changed; credentials are now read as each
 * thread has them (cred.c), so nothing is wrapped.  A program linked
 * against 0.1 still references name@UMQ_0.1: these forward to libc's
 * function unchanged.  They are non-default versions (one '@'), so no new
 * program binds to them.
 */
#include <grp.h>
#include <sys/fsuid.h>
#include <unistd.h>

#include "internal.h"

#define COMPAT(ret, name, params, args)                                 \
	UMQ_EXPORT ret umq_compat_##name params;                        \
	UMQ_EXPORT ret umq_compat_##name params                         \
	{                                                               \
		return name args;                                       \
	}                                                               \
	__asm__(".symver umq_compat_" #name ", " #name "@UMQ_0.1")

COMPAT(int, setuid, (uid_t u), (u));
COMPAT(int, setgid, (gid_t g), (g));
COMPAT(int, seteuid, (uid_t u), (u));
COMPAT(int, setegid, (gid_t g), (g));
COMPAT(int, setreuid, (uid_t r, uid_t e), (r, e));
COMPAT(int, setregid, (gid_t r, gid_t e), (r, e));
COMPAT(int, setresuid, (uid_t r, uid_t e, uid_t s), (r, e, s));
COMPAT(int, setresgid, (gid_t r, gid_t e, gid_t s), (r, e, s));
COMPAT(int, setfsuid, (uid_t u), (u));
COMPAT(int, setfsgid, (gid_t g), (g));
COMPAT(int, setgroups, (size_t n, const gid_t *l), (n, l));
COMPAT(int, initgroups, (const char *user, gid_t g), (user, g));
