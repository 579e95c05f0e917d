/* SPDX-License-Identifier: MIT */
/*
 * ucopy.c - the caller's memory, read and written as the kernel's
 * copy_from_user() and copy_to_user() do: a bad address gives EFAULT,
 * where memcpy() would kill the process.
 *
 * As in the kernel, each access that may fault is one instruction at a
 * known address, with a landing beside it that returns -EFAULT: a fault
 * there (SIGSEGV; SIGBUS from a file mapped past its end) is mended by
 * fault.c, which moves the thread on to the landing.  Nothing is paid on
 * the way when nothing faults.  Elsewhere than x86-64 the accesses are
 * plain ones, and a bad address faults as it would in memcpy().
 */
#include <string.h>

#include "internal.h"

#if defined(__x86_64__)
/*
 * long umq_ucopy_raw(void *dst, const void *src, size_t n): 0 or -EFAULT.
 * long umq_uread1_raw(const void *p): the byte at p (0..255) or -EFAULT.
 * Leaves that touch no stack: a fault anywhere between umq_ucopy_raw and
 * umq_ucopy_end may go straight to the landing, which returns -EFAULT.
 * Small copies move 16 and 8 bytes at a time (the last ones overlapping,
 * never past the end); rep movsb, slow to start, only from 512 bytes.
 */
__asm__(".text\n"
	".globl umq_ucopy_raw\n.hidden umq_ucopy_raw\n"
	".type umq_ucopy_raw,@function\n"
	"umq_ucopy_raw:\n"
	"	endbr64\n"
	"	xor %eax, %eax\n"
	"	cmp $512, %rdx\n"
	"	jae 5f\n"
	"	cmp $16, %rdx\n"
	"	jb 3f\n"
	"	movups -16(%rsi,%rdx), %xmm1\n"	/* the last 16 */
	"	lea -16(%rdi,%rdx), %r8\n"
	"1:	cmp $16, %rdx\n"
	"	jbe 2f\n"
	"	movups (%rsi), %xmm0\n"
	"	movups %xmm0, (%rdi)\n"
	"	add $16, %rsi\n"
	"	add $16, %rdi\n"
	"	sub $16, %rdx\n"
	"	jmp 1b\n"
	"2:	movups %xmm1, (%r8)\n"
	"	ret\n"
	"3:	cmp $8, %rdx\n"
	"	jb 4f\n"
	"	mov -8(%rsi,%rdx), %rcx\n"		/* 8..15: two, overlapping */
	"	mov (%rsi), %r8\n"
	"	mov %r8, (%rdi)\n"
	"	mov %rcx, -8(%rdi,%rdx)\n"
	"	ret\n"
	"4:	test %rdx, %rdx\n"
	"	jz 6f\n"
	"	movzbl (%rsi), %ecx\n"
	"	mov %cl, (%rdi)\n"
	"	inc %rsi\n"
	"	inc %rdi\n"
	"	dec %rdx\n"
	"	jmp 4b\n"
	"5:	mov %rdx, %rcx\n"
	"	rep movsb\n"
	"6:	ret\n"
	".size umq_ucopy_raw, .-umq_ucopy_raw\n"
	".globl umq_uread1_raw\n.hidden umq_uread1_raw\n"
	".type umq_uread1_raw,@function\n"
	"umq_uread1_raw:\n"
	"	endbr64\n"
	"	movzbl (%rdi), %eax\n"
	"	ret\n"
	".size umq_uread1_raw, .-umq_uread1_raw\n"
	".globl umq_ucopy_end\n.hidden umq_ucopy_end\n"
	"umq_ucopy_end:\n"
	".globl umq_ucopy_land\n.hidden umq_ucopy_land\n"
	".type umq_ucopy_land,@function\n"
	"umq_ucopy_land:\n"
	"	mov $-14, %rax\n"
	"	ret\n"
	".size umq_ucopy_land, .-umq_ucopy_land\n");

long umq_ucopy_raw(void *dst, const void *src, size_t n);
long umq_uread1_raw(const void *p);
_Static_assert(EFAULT == 14, "the landing returns -14");

int ucopy_raw(void *dst, const void *src, size_t n)
{
	return (int)umq_ucopy_raw(dst, src, n);
}

long ubyte_raw(const void *p)
{
	return umq_uread1_raw(p);
}
#else
int ucopy_raw(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
	return 0;
}

long ubyte_raw(const void *p)
{
	return *(const unsigned char *)p;
}
#endif

/* Every page of [p, p + n) can be read: 0 or -EFAULT.  (A send reads its
 * text before it looks for the queue, as the kernel's load_msg() does.) */
int uprobe(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p, end;

	if (!n)
		return 0;
	fault_need();
	if (__builtin_add_overflow(a, n - 1, &end))
		return -EFAULT;
	for (;;) {
		if (ubyte_raw((const void *)a) < 0)
			return -EFAULT;
		if ((a | 4095) >= end)
			break;
		a = (a | 4095) + 1;
	}
	return ubyte_raw((const void *)end) < 0 ? -EFAULT : 0;
}

/* The caller's string: its length below max (max if it has none there),
 * or -EFAULT, reading no byte past its end (strnlen_user()). */
long ustrnlen(const char *s, size_t max)
{
	fault_need();
	for (size_t i = 0; i < max; i++) {
		long c = ubyte_raw(s + i);
		if (c <= 0)
			return c < 0 ? -EFAULT : (long)i;
	}
	return (long)max;
}
