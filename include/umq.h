/* SPDX-License-Identifier: MIT */
/*
 * umq.h - Linux message queues (System V and POSIX) in user space.
 *
 * This is the only public header.  Every umq_* call has exactly the
 * signature, structures, flags and errno behaviour of the call it is named
 * after (<sys/msg.h>), so porting a program is a rename.  Like the system
 * calls, they return -1 and set errno on failure.
 *
 * Queues live in a namespace: a directory (default /dev/shm/umq, or
 * $UMQ_DIR), whose owner sets its limits.  See umq(7) and docs/DESIGN.md.
 */
#ifndef UMQ_H
#define UMQ_H

#include <sys/types.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UMQ_VERSION_MAJOR 0
#define UMQ_VERSION_MINOR 1

/* ---- System V message queues ------------------------------------------ */

key_t umq_ftok(const char *pathname, int proj_id);
int umq_msgget(key_t key, int msgflg);
int umq_msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg);
ssize_t umq_msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp,
		   int msgflg);
int umq_msgctl(int msqid, int cmd, struct msqid_ds *buf);

/* ---- Namespaces --------------------------------------------------------- */

/*
 * The limits of a namespace.  They start at the host kernel's values
 * (/proc/sys/kernel/msg..., /proc/sys/fs/mqueue/...) when the namespace is
 * created, and only the namespace's owner may change them.
 */
struct umq_limits {
	long msgmax;		/* System V: largest message text */
	long msgmnb;		/* System V: msg_qbytes of a new queue */
	long msgmni;		/* System V: most queues (<= 32768) */
	long msg_max;		/* POSIX: ceiling of mq_maxmsg */
	long msgsize_max;	/* POSIX: ceiling of mq_msgsize */
	long msg_default;	/* POSIX: mq_maxmsg when attr is NULL */
	long msgsize_default;	/* POSIX: mq_msgsize when attr is NULL */
	long queues_max;	/* POSIX: most queues */
};

/*
 * Select the namespace directory used by this process from now on.  NULL
 * means $UMQ_DIR, or /dev/shm/umq when that is unset.  The directory is
 * created on first use (mode 01777, like /dev/shm).  Ids obtained in one
 * namespace mean nothing in another.
 */
int umq_ns_use(const char *dir);

/* The directory of the namespace in use (after umq_ns_use or first use). */
const char *umq_ns_path(void);

int umq_ns_get_limits(struct umq_limits *lim);

/*
 * Change the limits of the namespace in use.  Only the owner of the
 * namespace directory may (EPERM otherwise); values out of the kernel's
 * sysctl ranges give EINVAL.  Existing queues keep what they were created
 * with, as on the kernel.
 */
int umq_ns_set_limits(const struct umq_limits *lim);

/*
 * Remove a namespace and every queue in it.  Blocked callers get EIDRM.
 * Only the directory's owner (or a caller the OS lets unlink the files).
 */
int umq_ns_remove(const char *dir);

#ifdef __cplusplus
}
#endif
#endif /* UMQ_H */
