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
#include <mqueue.h>
#include <signal.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UMQ_VERSION_MAJOR 0
#define UMQ_VERSION_MINOR 5

/* ---- System V message queues ------------------------------------------ */

key_t umq_ftok(const char *pathname, int proj_id);
int umq_msgget(key_t key, int msgflg);
int umq_msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg);
ssize_t umq_msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp,
		   int msgflg);
int umq_msgctl(int msqid, int cmd, struct msqid_ds *buf);

/* ---- POSIX message queues ---------------------------------------------- */

/*
 * An mqd_t is a file descriptor of the process: close-on-exec, dup-able,
 * inherited across fork with the open-description semantics, and pollable
 * as on the kernel (POLLIN while the queue holds a message, POLLOUT while
 * it has room, whatever the access mode).  Close it with umq_mq_close():
 * a plain close() leaves this library's record of it.
 *
 * Keeping poll exact costs every send and receive: while any descriptor
 * of a queue may be polled, the queue's calls take its lock and its
 * readiness FIFO follows each change.  UMQ_O_NOPOLL in oflag says this
 * descriptor will not be given to poll, select or epoll: while no
 * descriptor of a queue may be, its sends and receives take not the
 * queue's lock but one of their side's, and make no system call (DESIGN
 * §7), and its descriptors poll POLLOUT only.  umq_mq_watch() makes a descriptor pollable after all, for the
 * life of its open description (its dups, and across fork); the preload
 * opens every queue with UMQ_O_NOPOLL and calls it on each descriptor a
 * program passes to poll, ppoll, select, pselect or epoll_ctl.
 */
#define UMQ_O_NOPOLL	0x40000000
mqd_t umq_mq_open(const char *name, int oflag, ...);
/* 0, or -1 with errno EBADF (not a queue's descriptor), ENOLCK, or
 * ENOMEM (a full filesystem: the queue's messages found no room). */
int umq_mq_watch(mqd_t mqdes);
int umq_mq_close(mqd_t mqdes);
int umq_mq_unlink(const char *name);
int umq_mq_send(mqd_t mqdes, const char *msg_ptr, size_t msg_len,
		unsigned int msg_prio);
int umq_mq_timedsend(mqd_t mqdes, const char *msg_ptr, size_t msg_len,
		     unsigned int msg_prio, const struct timespec *abs_timeout);
ssize_t umq_mq_receive(mqd_t mqdes, char *msg_ptr, size_t msg_len,
		       unsigned int *msg_prio);
ssize_t umq_mq_timedreceive(mqd_t mqdes, char *msg_ptr, size_t msg_len,
			    unsigned int *msg_prio,
			    const struct timespec *abs_timeout);
int umq_mq_getattr(mqd_t mqdes, struct mq_attr *attr);
int umq_mq_setattr(mqd_t mqdes, const struct mq_attr *newattr,
		   struct mq_attr *oldattr);
int umq_mq_notify(mqd_t mqdes, const struct sigevent *sevp);

/*
 * The line the mqueue filesystem shows for a queue ("QSIZE:... NOTIFY:...
 * SIGNO:... NOTIFY_PID:...\n", exactly as the kernel formats it) into buf;
 * returns its length, or -1 with errno.
 */
ssize_t umq_mq_status(mqd_t mqdes, char *buf, size_t len);

/* ---- Beyond the kernel: timeouts on a clock of the caller's choice ----- */

/*
 * As mq_timedsend/mq_timedreceive/msgsnd/msgrcv, with an absolute timeout
 * on clockid (CLOCK_MONOTONIC or CLOCK_REALTIME), in the style of
 * pthread_cond_clockwait(): CLOCK_MONOTONIC ignores jumps of the wall
 * clock.  A timeout is ETIMEDOUT; another clock is EINVAL.
 */
int umq_mq_clocksend(mqd_t mqdes, const char *msg_ptr, size_t msg_len,
		     unsigned int msg_prio, clockid_t clockid,
		     const struct timespec *abstime);
ssize_t umq_mq_clockreceive(mqd_t mqdes, char *msg_ptr, size_t msg_len,
			    unsigned int *msg_prio, clockid_t clockid,
			    const struct timespec *abstime);
int umq_msgclocksnd(int msqid, const void *msgp, size_t msgsz, int msgflg,
		    clockid_t clockid, const struct timespec *abstime);
ssize_t umq_msgclockrcv(int msqid, void *msgp, size_t msgsz, long msgtyp,
			int msgflg, clockid_t clockid,
			const struct timespec *abstime);

/* ---- Beyond the kernel: a pollable System V queue (UMQ_0.2) ------------ */

/*
 * A descriptor that poll, select and epoll see readable (POLLIN) while
 * the queue holds a message and writable (POLLOUT) while a one-byte
 * message would fit (qnum < msg_qbytes and cbytes < msg_qbytes).  It is
 * close-on-exec and closed with close(); reading or writing it is not
 * part of the interface.  After IPC_RMID it stays readable and writable,
 * so that an event loop calls msgrcv or msgsnd and gets EINVAL.
 * Errors as IPC_STAT: EINVAL (no such id), EIDRM (removed meanwhile),
 * EACCES (no read permission); EMFILE and ENFILE as open().
 */
int umq_msgfd(int msqid);

/* ---- Namespaces --------------------------------------------------------- */

/* The namespace directory when $UMQ_DIR is unset or empty. */
#define UMQ_DEFAULT_DIR "/dev/shm/umq"

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

/* ---- Inspecting POSIX queues (UMQ_0.2) -------------------------------- */

/*
 * What the mqueue filesystem shows of a queue (stat of /dev/mqueue/NAME
 * and the line read from it), plus its attributes.  err is 0, or the
 * errno that kept the library from reading the queue's control block
 * (EACCES: the caller has no permission on the queue, as reading
 * /dev/mqueue/NAME needs); only name, uid and gid are then set.
 */
struct umq_mq_info {
	char name[257];			/* "/name" */
	int err;
	uid_t uid;			/* owner (the creator) */
	gid_t gid;
	mode_t mode;			/* permission bits, after the umask */
	struct timespec mtime;		/* last change seen (see umq(7)) */
	long maxmsg, msgsize, curmsgs;	/* as mq_getattr() */
	unsigned long long qsize;	/* bytes of message text queued */
	pid_t notify_pid;		/* registered process, 0: none */
	int notify;			/* its SIGEV_*, 0 when none */
	int notify_signo;		/* its signal for SIGEV_SIGNAL, else 0 */
	char status[80];		/* "QSIZE:... NOTIFY_PID:...\n" */
};

struct umq_mq_list;

/*
 * Iterate over the POSIX queues of the namespace in use, in directory
 * order: open, then next until it returns 0 (1: *info is a queue; -1:
 * errno), then close.  Each queue is read under its lock; a queue
 * removed meanwhile is left out.  Creates nothing and opens no queue.
 */
struct umq_mq_list *umq_mq_list_open(void);
int umq_mq_list_next(struct umq_mq_list *list, struct umq_mq_info *info);
void umq_mq_list_close(struct umq_mq_list *list);

/* One queue by name ("/name"): 0, or -1 with errno as mq_open() would
 * give (ENOENT, EINVAL, ENAMETOOLONG, EACCES). */
int umq_mq_stat(const char *name, struct umq_mq_info *info);

/* ---- Looking at queued messages (UMQ_0.2) ------------------------------ */

/*
 * One message seen without being received.  The caller sets text and
 * size (text may be NULL, size 0: the length and type only); the call
 * fills in the rest.  The store keeps no sender pid or send time per
 * message: reserved is zeroed, for when it does.
 */
struct umq_peek_msg {
	void *text;		/* in: where to copy the text, or NULL */
	size_t size;		/* in: room there */
	size_t len;		/* the message's length */
	size_t copied;		/* bytes copied: the lesser of len and size */
	long type;		/* System V: mtype; POSIX: priority */
	unsigned long index;	/* its place in receive order, from 0 */
	unsigned long long id;	/* which message it is in its queue (never
				 * reused there): for *_receive_peeked */
	long reserved[3];
};

/*
 * Copy up to n queued messages into msgs, without removing them, in the
 * order a series of receives would take them, from the index-th on (0:
 * the next receive's message).  Returns how many were filled (0: none at
 * that index), or -1 with errno.  Nothing of the queue changes (no
 * rtime, lrpid, qnum, mq_getattr change).  One call is one snapshot,
 * taken under the queue's lock as a receive is.
 *
 * umq_msgpeek: msgtyp and msgflg select as msgrcv's (0: any; > 0: that
 * type, or any other with MSG_EXCEPT; < 0: lowest type <= -msgtyp
 * first); MSG_EXCEPT is the only flag (else EINVAL).  Errors as msgrcv:
 * EINVAL (no such id), EIDRM, EACCES (no read permission).
 * umq_mq_peek: mqdes must be open for reading (EBADF), as mq_receive;
 * type is the priority, highest first.  umq_mq_peek_name: by name,
 * with mq_open(name, O_RDONLY)'s checks and errors; opens no descriptor
 * that outlives the call.  A sender blocked on a full queue has not
 * queued its message yet: it is not shown.
 */
ssize_t umq_msgpeek(int msqid, long msgtyp, int msgflg, size_t index,
		    struct umq_peek_msg *msgs, size_t n);
ssize_t umq_mq_peek(mqd_t mqdes, size_t index, struct umq_peek_msg *msgs,
		    size_t n);
ssize_t umq_mq_peek_name(const char *name, size_t index,
			 struct umq_peek_msg *msgs, size_t n);

/*
 * Receive exactly the message a peek described (msg->type and msg->id),
 * if it is still the first of its type (System V) or priority (POSIX),
 * which is what a receive of that type would take: so a program can look
 * at a message, act on it, then take that very message, whatever was
 * sent meanwhile.  Never blocks: ENOMSG if that message is no longer
 * there.  Otherwise as msgrcv (msgflg: MSG_NOERROR only) and mq_receive.
 */
ssize_t umq_msgrcv_peeked(int msqid, void *msgp, size_t msgsz, int msgflg,
			  const struct umq_peek_msg *msg);
ssize_t umq_mq_receive_peeked(mqd_t mqdes, char *msg_ptr, size_t msg_len,
			      unsigned *msg_prio,
			      const struct umq_peek_msg *msg);

/* ---- Waiting for queued messages without taking them (UMQ_0.4) -------- */

/*
 * As umq_msgpeek and umq_mq_peek, but while fewer than index + 1
 * messages match, block as a receiver would, without taking any: return
 * as soon as one is there (n >= 1: how many were filled, at least 1).
 * A message sent to a receiver that waits meanwhile is handed to it and
 * never queued: the peek sees nothing of it and waits on.  Nothing of
 * the queue changes, and a sender pays nothing when nobody peeks.
 *
 * abstime: an absolute deadline on clockid (CLOCK_MONOTONIC or
 * CLOCK_REALTIME), ETIMEDOUT once it passed; NULL: no limit.  n must be
 * at least 1 (EINVAL).
 *
 * umq_msgclockpeek: msgflg MSG_EXCEPT and IPC_NOWAIT (then as
 * umq_msgpeek: 0 when nothing is there); a handled signal is EINTR
 * whatever SA_RESTART says, EIDRM if the queue is removed, as msgrcv.
 * umq_mq_clockpeek: a descriptor open for reading; if it is O_NONBLOCK,
 * as umq_mq_peek (0 when nothing is there).  Restarted after a handler
 * with SA_RESTART, else EINTR, as mq_receive; an mq_unlink does not end
 * it.  A waiting peek is no receiver: a message that reaches an empty
 * queue still fires an mq_notify registration.
 */
ssize_t umq_msgclockpeek(int msqid, long msgtyp, int msgflg, size_t index,
			 struct umq_peek_msg *msgs, size_t n,
			 clockid_t clockid, const struct timespec *abstime);
ssize_t umq_mq_clockpeek(mqd_t mqdes, size_t index,
			 struct umq_peek_msg *msgs, size_t n,
			 clockid_t clockid, const struct timespec *abstime);

/* ---- Counters and waiters of a queue (UMQ_0.3) -------------------------- */

#define UMQ_KIND_SYSV	1
#define UMQ_KIND_POSIX	2
#define UMQ_STATS_PIDS	8

/*
 * What an operator sees of one queue: its depth, its counters since it
 * was created, and who is blocked on it.  The counters live in the
 * queue's shared memory, written by the operations themselves under the
 * queue's lock; they are read without any lock, so a reader may see an
 * operation half counted (one counter and not yet another), and a
 * process killed inside an operation may leave them off by one.
 * received is derived (sent - messages) and clamped at 0.
 */
struct umq_qstats {
	int kind;			/* UMQ_KIND_SYSV or UMQ_KIND_POSIX */
	int err;			/* 0, or why only the identity is set */
	int id;				/* System V: the msqid; POSIX: -1 */
	key_t key;			/* System V: the key; POSIX: 0 */
	char name[257];			/* POSIX: "/name"; System V: "" */
	uid_t uid;			/* owner */
	gid_t gid;
	mode_t mode;			/* permission bits */
	unsigned long long messages;	/* queued now: msg_qnum, mq_curmsgs */
	unsigned long long bytes;	/* text queued: msg_cbytes, QSIZE */
	unsigned long long max_messages; /* msg_qbytes; mq_maxmsg */
	unsigned long long max_bytes;	/* msg_qbytes; mq_maxmsg * mq_msgsize */
	unsigned long long sent;	/* messages sent, hand-offs included */
	unsigned long long received;	/* messages received (derived) */
	unsigned long long handoffs;	/* sent straight to a blocked receiver */
	unsigned long long refused_full;  /* EAGAIN: full, non-blocking send */
	unsigned long long refused_empty; /* ENOMSG/EAGAIN: non-blocking receive */
	unsigned long long messages_high_water; /* most messages ever queued */
	unsigned long long bytes_high_water;	/* most bytes ever queued */
	time_t stime, rtime;		/* last send, receive (0: none) */
	time_t ctime;			/* System V: last change; POSIX: 0 */
	pid_t lspid, lrpid;		/* last sender, receiver (0: none) */
	unsigned blocked_senders, blocked_receivers;
	pid_t sender_pids[UMQ_STATS_PIDS];	/* the first blocked, in */
	pid_t receiver_pids[UMQ_STATS_PIDS];	/* the order they are served */
	long reserved[16];		/* zero, for later counters */
};

/*
 * umq_msg_stats: the System V queue msqid, for anyone (as MSG_STAT_ANY):
 * 0, or -1 with EINVAL (no such queue) or EFAULT.
 * umq_mq_stats: the POSIX queue name, for a caller who may open it for
 * reading: 0, or -1 with errno as mq_open(name, O_RDONLY) would give.
 * umq_stats_list_*: every queue of the namespace in use, System V first
 * (by index), then POSIX (directory order); next returns 1 (*st is a
 * queue; a POSIX queue the caller may not read has only its identity,
 * kind and err set), 0 at the end, -1 with errno.  None of these calls
 * takes a lock, creates anything or opens a queue.
 */
struct umq_stats_list;
int umq_msg_stats(int msqid, struct umq_qstats *st);
int umq_mq_stats(const char *name, struct umq_qstats *st);
struct umq_stats_list *umq_stats_list_open(void);
int umq_stats_list_next(struct umq_stats_list *list, struct umq_qstats *st);
void umq_stats_list_close(struct umq_stats_list *list);

#ifdef __cplusplus
}
#endif
#endif /* UMQ_H */
