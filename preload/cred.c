/* SPDX-License-Identifier: MIT */
/*
 * cred.c - the library's set*id wrappers (src/cred.c), which keep its
 * credential cache true, are exported under libc's names and version
 * (preload.map), which unmodified programs call.  A program linked with
 * libumq.so calls them as name@UMQ_0.1 instead, bound to libumq.so's copy
 * when it was linked: the same names under that version here send it to
 * this copy's wrappers.
 */
#include <grp.h>
#include <sys/fsuid.h>
#include <unistd.h>

#include "preload.h"

#define UMQ_SYM(ret, name, params, args)                                \
	UMQ_EXPORT ret pl_umq_##name params;                            \
	UMQ_EXPORT ret pl_umq_##name params                             \
	{                                                               \
		return name args;                                       \
	}                                                               \
	__asm__(".symver pl_umq_" #name ", " #name "@UMQ_0.1")

UMQ_SYM(int, setuid, (uid_t u), (u));
UMQ_SYM(int, setgid, (gid_t g), (g));
UMQ_SYM(int, seteuid, (uid_t u), (u));
UMQ_SYM(int, setegid, (gid_t g), (g));
UMQ_SYM(int, setreuid, (uid_t r, uid_t e), (r, e));
UMQ_SYM(int, setregid, (gid_t r, gid_t e), (r, e));
UMQ_SYM(int, setresuid, (uid_t r, uid_t e, uid_t s), (r, e, s));
UMQ_SYM(int, setresgid, (gid_t r, gid_t e, gid_t s), (r, e, s));
UMQ_SYM(int, setfsuid, (uid_t u), (u));
UMQ_SYM(int, setfsgid, (gid_t g), (g));
UMQ_SYM(int, setgroups, (size_t n, const gid_t *l), (n, l));
UMQ_SYM(int, initgroups, (const char *user, gid_t g), (user, g));
