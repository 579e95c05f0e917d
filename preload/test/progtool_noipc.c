/* SPDX-License-Identifier: MIT */
/*
 * progtool_noipc.c - `progtool_noipc CMD ARGS...`: run CMD where every
 * message-queue system call fails with ENOSYS (a seccomp filter, inherited
 * by CMD's children and kept across exec).  The differential tests run
 * the umq side under it: a call that escaped the preload library and
 * reached the kernel shows as ENOSYS, instead of silently producing the
 * kernel's result - which is the very result it is compared with.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define NATIVE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define NATIVE AUDIT_ARCH_I386
#endif

#define DENY(nr)                                                        \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),                \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS)

int main(int argc, char **argv)
{
#ifdef NATIVE
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		/* Another ABI (32-bit calls from a 64-bit process): none. */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
#ifdef __X32_SYSCALL_BIT
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
#endif
		DENY(SYS_msgget), DENY(SYS_msgsnd), DENY(SYS_msgrcv),
		DENY(SYS_msgctl), DENY(SYS_mq_open), DENY(SYS_mq_unlink),
		DENY(SYS_mq_timedsend), DENY(SYS_mq_timedreceive),
		DENY(SYS_mq_notify), DENY(SYS_mq_getsetattr),
#ifdef SYS_ipc
		DENY(SYS_ipc),
#endif
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(f) / sizeof(f[0]),
		.filter = f,
	};

	if (argc < 2) {
		fputs("usage: progtool_noipc command [argument...]\n", stderr);
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		fprintf(stderr, "progtool_noipc: seccomp: %s\n",
			strerror(errno));
		return 77;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "progtool_noipc: %s: %s\n", argv[1], strerror(errno));
	return errno == ENOENT ? 127 : 126;
#else
	fputs("progtool_noipc: no seccomp filter for this architecture\n",
	      stderr);
	return 77;
#endif
}
