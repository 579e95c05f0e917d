/* SPDX-License-Identifier: MIT */
/* at.h - what the agent's tests share: running umq-agent on the case's
 * namespace, and speaking its protocol as the library does. */
#ifndef UMQ_AT_H
#define UMQ_AT_H

#include <mqueue.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "t.h"

/* POSIX queue calls, the kernel's or umq's (through libumq.so). */
struct at_api {
	const char *name;
	mqd_t (*open)(const char *, int, ...);
	T_MQ_CALLS
};
extern const struct at_api at_kernel, at_umq;

/* This build's umq-agent. */
extern const char UMQ_AGENT_PATH[];
/* <namespace>/agent of the running case. */
void at_path(struct sockaddr_un *sa);
/* Start this build's umq-agent on the case's namespace; returns once it
 * listens (fails the case after 5 s). */
pid_t at_start(void);
/* Start it without waiting for it to listen, its messages dropped. */
pid_t at_spawn_quiet(void);
/* Stop it with SIGTERM: it must exit 0 and remove its socket. */
void at_stop(pid_t pid);
/* One request as src/agent.c makes it (a sync: after an IPC_SET that
 * set what the control block now says), passing descriptor pass (or -1):
 * the answer (0 or -errno), or 1 when nothing answered; a descriptor it
 * carried in *got (or -1; got may be NULL), its value in *value (may be
 * NULL). */
int at_ask(uint32_t op, uint64_t gen, int pass, int *got, uint64_t *value);
/* The same for AGENT_HOLDER: does thread tid's process map queue gen? */
int at_ask_holder(uint64_t gen, bool posix, uint32_t tid, uint64_t *maps);

/* The generation POSIX queue name (no '/') has in the case's namespace. */
uint64_t at_gen_of(const char *name);

/* fn(arg) in a child as uid:gid: fails the case if it fails, skips it
 * if the child cannot become that user. */
void at_as(uid_t uid, gid_t gid, void (*fn)(void *), void *arg,
	   const char *what);

/* Write v at offset off of System V queue gen's control file (gen as
 * sysv/i.<idx> spells it), as the calling user. */
void at_forge_u32(const char *gen, size_t off, uint32_t v);

#endif
