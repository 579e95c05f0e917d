/* SPDX-License-Identifier: MIT */
/* agent.h - umq-agent's parts (DESIGN §6). */
#ifndef UMQ_AGENT_H
#define UMQ_AGENT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

extern bool agent_verbose;

/* Answer the requests that reach listening socket lfd until *stop.
 * The signals that set it, and SIGCHLD, are blocked but while waiting
 * (unblocked is the mask then), so none comes unseen. */
void agent_serve(int dirfd, int lfd, volatile sig_atomic_t *stop,
		 const sigset_t *unblocked);

/* Give System V queue gen of the namespace at dirfd its exact envelope,
 * asked by uid who after an IPC_SET that set owner, group and mode as
 * set says (its cuid and cgid are not read): 0 or -errno. */
struct env_perm;
int agent_sync_queue(int dirfd, uint64_t gen, uid_t who,
		     const struct env_perm *set);
/* At start: the changes left while no agent answered (sysv/s.*). */
void agent_sync_all(int dirfd);
/* POSIX queue gen's file, for the holder of fifo, a descriptor of its
 * FIFO: a read-write descriptor, or -errno. */
int agent_reopen_posix(int dirfd, uint64_t gen, int fifo);
/* What POSIX queue gen charges to the real uid of process pid: 0 and
 * *charge (0 when it is another's), or -errno. */
int agent_posix_charge_of(int dirfd, uint64_t gen, pid_t pid,
			  uint64_t *charge);
/* Does thread tid (of process asker's pid namespace) belong to a
 * process that maps queue gen's file?  0 and *maps (1 or 0), or -errno. */
int agent_holder_maps(int dirfd, uint64_t gen, bool posix, pid_t asker,
		      uint32_t tid, uint64_t *maps);

#endif
