/* SPDX-License-Identifier: MIT */
/*
 * msgfd.c - umq_msgfd(): a descriptor that poll, select and epoll see
 * readable while a System V queue holds a message and writable while a
 * one-byte message would fit, the readiness of POSIX descriptors
 * (ready.c) given to a queue the kernel offers no descriptor for.
 *
 * It is a read-write descriptor of the FIFO sysv/m.<gen>.p, made with the
 * queue, holding a read lock that says it is open.  The queue's
 * control block says a descriptor may be watching (watch); only then do
 * msgsnd, msgrcv and IPC_SET update the FIFO, at a change of state, and
 * the first of them to find that no descriptor holds the FIFO any more
 * clears the flag.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define S_IRUGO (S_IRUSR | S_IRGRP | S_IROTH)

/* The FIFO, made if need be, opened as the caller's descriptor. */
static int open_fifo(struct ns *ns, const struct qctl *q)
{
	struct flock lk = {
		.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_len = 1,
	};
	struct stat st;
	char path[48];
	int fd, e;

	msgfd_path(path, sizeof(path), q->gen);
	/* Made with the queue, by its creator (registry.c), with the data
	 * file's envelope: a class with no access cannot open it either. */
	fd = openat(ns->dirfd, path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		ns_debug(ns->dir, "cannot open %s: %s", path, strerror(e));
		return e == EMFILE || e == ENFILE || e == EACCES ? -e :
		       -ENOMEM;
	}
	if (fstat(fd, &st) || !S_ISFIFO(st.st_mode) || st.st_uid != q->cuid) {
		close(fd);	/* something else in its place */
		return -EUCLEAN;
	}
	if (fcntl(fd, F_OFD_SETLK, &lk)) {
		close(fd);
		return -ENOMEM;
	}
	return fd;
}

static int do_msgfd(int id)
{
	struct qctl *q;
	struct sq *s;
	struct ns *ns;
	int fd, r;

	if (id < 0)
		return -EINVAL;
	r = ns_get(&ns);
	if (r)
		return ns_errno(r, NSE_ID);
	r = q_lock_id(ns, id, &s);
	if (r < 0)
		return r;
	q = s->q;
	r = ipc_perms(q, S_IRUGO);
	fd = r ? r : open_fifo(ns, q);
	if (fd >= 0) {
		/* Its lock is held: no update drops the watch from now. */
		ready_reset(fd, &q->rstate, msgfd_state(q));
		q->watch = 1;
	}
	q_done(s);
	return fd;
}

UMQ_EXPORT int umq_msgfd(int msqid)
{
	return (int)ret_errno(UNBOUNDED(do_msgfd(msqid)));
}
