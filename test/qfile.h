/* SPDX-License-Identifier: MIT */
/*
 * qfile.h - a System V queue's files in the case's namespace, seen from
 * outside (layout.h): mapped to be read or damaged, its waiter records
 * found, and a receiver blocked on it to give a record an owner.  Shared
 * by the tests that write into a namespace (lock_wedge.c, garbage_sysv.c
 * and sysv_garbage_*.c).
 */
#ifndef T_QFILE_H
#define T_QFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal.h"

/* A file of the namespace (its name relative to the directory), mapped
 * read-write: its first len bytes, all of it if len is 0; the bytes
 * mapped in *size. */
void *map_file_at(const char *name, size_t len, size_t *size);
/* All of it. */
void *map_file(const char *name, size_t *size);
/* All of a file of queue qid: sysv/<prefix><gen>. */
void *qfile_map(int qid, const char *prefix, size_t *size);
/* The control block of queue qid, sysv/q.<gen> (unmap sizeof(struct
 * qfile)). */
struct qfile *ctl_of(int qid);
/* The waiter records of queue qid: the start of sysv/m.<gen> (unmap
 * WPOOL_SIZE). */
void *pool_of(int qid);
struct waiter *waiter_at(void *pool, uint32_t i);
/* The linked record of the waiter whose tid is tid, or -1. */
int record_of(void *pool, pid_t tid);

/* What a receiver that blocked got (in shared memory). */
struct blocked {
	pid_t pid;		/* its only thread: its tid too */
	long ret;		/* msgrcv's return, or -1 with err */
	int err;
	char text[16];		/* the start of what it received */
};

/*
 * A child blocked in umq_msgrcv(qid, type) that an alarm of secs ends;
 * it exits 0 after the call.  NULL if it did not block within about 5 s
 * (the alarm ends it).
 */
struct blocked *blocked_msgrcv(int qid, long type, unsigned secs);

#endif
