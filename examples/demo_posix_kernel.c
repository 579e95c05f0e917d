/* SPDX-License-Identifier: MIT */
/* demo_posix.c on the kernel: the same walkthrough, for comparison. */
#define DEMO_KERNEL 1
#include "demo_posix.c"
