/* SPDX-License-Identifier: MIT */
/* agent.h - umq-agent's parts (DESIGN §6). */
#ifndef UMQ_AGENT_H
#define UMQ_AGENT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

extern bool agent_verbose;

/* Answer the requests that reach listening socket lfd until *stop. */
void agent_serve(int dirfd, int lfd, volatile sig_atomic_t *stop);

/* Give System V queue gen of the namespace at dirfd its exact envelope,
 * asked by uid who: 0 or -errno.  start: asked by nobody, at start. */
int agent_sync_queue(int dirfd, uint64_t gen, uid_t who, bool start);
/* The same for every queue, at start: changes made while no agent ran. */
void agent_sync_all(int dirfd);
/* POSIX queue gen's file, for the holder of fifo, a descriptor of its
 * FIFO: a read-write descriptor, or -errno. */
int agent_reopen_posix(int dirfd, uint64_t gen, int fifo);
/* What POSIX queue gen charges to the real uid of process pid: 0 and
 * *charge (0 when it is another's), or -errno. */
int agent_posix_charge_of(int dirfd, uint64_t gen, pid_t pid,
			  uint64_t *charge);

#endif
