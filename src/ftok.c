/* SPDX-License-Identifier: MIT */
/* ftok.c - glibc's ftok(), bit for bit (spec A2). */
#include <sys/stat.h>

#include "internal.h"

UMQ_EXPORT key_t umq_ftok(const char *pathname, int proj_id)
{
	struct stat st;

	if (stat(pathname, &st) < 0)
		return -1;
	return (key_t)((st.st_ino & 0xffff) | ((st.st_dev & 0xff) << 16) |
		       ((unsigned)(proj_id & 0xff) << 24));
}
