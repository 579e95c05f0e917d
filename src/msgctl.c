/* SPDX-License-Identifier: MIT */
/*
 * msgctl.c - the commands of msgctl(), with the kernel's order of checks
 * (spec A8): IPC_STAT writes the caller's buffer last, IPC_SET reads it
 * first, MSG_STAT and MSG_STAT_ANY take an index, IPC_INFO and MSG_INFO
 * report the highest index in use.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

/* Constants IPC_INFO reports (include/uapi/linux/msg.h). */
#define MSGPOOL 512000
#define MSGMAP	16384
#define MSGTQL	16384
#define MSGSSZ	16
#define MSGSEG	65535

static void fill_ds(const struct sq *s, struct msqid_ds *ds)
{
	const struct qctl *q = s->q;
	uint64_t n, b;

	/* Under the queue lock the lane is closed: the store's counts. */
	lane_total(&s->f->lane, NULL, NULL, false, &q->qnum, &q->cbytes, &n,
		   &b);
	memset(ds, 0, sizeof(*ds));
	ds->msg_perm.__key = q->key;
	ds->msg_perm.uid = q->uid;
	ds->msg_perm.gid = q->gid;
	ds->msg_perm.cuid = q->cuid;
	ds->msg_perm.cgid = q->cgid;
	ds->msg_perm.mode = (unsigned short)q->mode;
	ds->msg_perm.__seq = (unsigned short)q->seq;
	ds->msg_stime = q->stime;
	ds->msg_rtime = q->rtime;
	ds->msg_ctime = q->ctime;
	ds->__msg_cbytes = b;
	ds->msg_qnum = n;
	ds->msg_qbytes = q->qbytes;
	ds->msg_lspid = q->lspid;
	ds->msg_lrpid = q->lrpid;
}

static int copy_ds(struct msqid_ds *buf, const struct msqid_ds *ds)
{
	if (bad_uptr(buf) || ucopy(buf, ds, sizeof(*buf)))
		return -EFAULT;
	return 0;
}

struct totals {
	int n, max_idx;
	uint64_t msgs, bytes;
};

static int add_up(struct sq *s, void *ctx)
{
	struct totals *t = ctx;
	uint64_t n, b;

	if ((int)s->idx > t->max_idx)
		t->max_idx = (int)s->idx;
	t->n++;
	lane_total(&s->f->lane, lane_ring(s), &s->lq.pg, false, &s->q->qnum,
		   &s->q->cbytes, &n, &b);
	t->msgs += n;
	t->bytes += b;
	return 0;
}

static long info(struct ns *ns, int cmd, struct msqid_ds *buf)
{
	struct msginfo mi = { 0 };
	struct umq_limits lim;
	struct totals t = { 0 };

	ns_limits(ns, &lim);
	mi.msgmax = (int)lim.msgmax;
	mi.msgmnb = (int)lim.msgmnb;
	mi.msgmni = (int)lim.msgmni;
	mi.msgssz = MSGSSZ;
	mi.msgseg = MSGSEG;
	reg_each(ns, add_up, &t);
	if (cmd == MSG_INFO) {
		mi.msgpool = t.n;
		mi.msgmap = t.msgs > INT_MAX ? INT_MAX : (int)t.msgs;
		mi.msgtql = t.bytes > INT_MAX ? INT_MAX : (int)t.bytes;
	} else {
		mi.msgpool = MSGPOOL;
		mi.msgmap = MSGMAP;
		mi.msgtql = MSGTQL;
	}
	if (bad_uptr(buf) || ucopy(buf, &mi, sizeof(mi)))
		return -EFAULT;
	return t.max_idx;
}

/*
 * IPC_STAT needs read permission and the id's sequence; MSG_STAT(_ANY)
 * take an index, whatever the sequence, and MSG_STAT_ANY no permission:
 * the control block is readable by all (layout.h).  Those who may write
 * it read it under the lock; the others, as it is (L9).
 */
static long stat_q(struct ns *ns, int id, int cmd, struct msqid_ds *buf)
{
	struct msqid_ds ds;
	struct sq *s;
	long r = sq_get(ns, (uint32_t)id & (IPCMNI - 1), &s);

	if (r)
		return r == -ENOMEM || r == -EUCLEAN || r == -EPROTO ? r :
		       -EINVAL;
	if (cmd == IPC_STAT && s->q->seq != (uint32_t)id >> IPCMNI_SHIFT) {
		sq_put(s);
		return -EINVAL;
	}
	r = cmd == MSG_STAT_ANY ? 0 : ipc_perms(s->q, S_IRUSR | S_IRGRP |
						 S_IROTH);
	/* A signal handler's IPC_STAT on the queue the code it interrupted
	 * holds reads it unlocked, as a listing does (L9). */
	if (!r && sq_data(s) == 0 && !sq_mine(s)) {
		q_lock(s);
		r = sq_live(s) ? 0 : -EIDRM;
		if (!r)
			fill_ds(s, &ds);
		q_unlock(s);
	} else if (!r) {
		fill_ds(s, &ds);
	}
	if (!r)
		r = cmd == IPC_STAT ? 0 : reg_id(s);
	sq_put(s);
	if (r < 0)
		return r;
	return copy_ds(buf, &ds) ?: r;
}

static long set_q(struct ns *ns, int id, const struct msqid_ds *buf)
{
	struct msqid_ds in;
	struct umq_limits lim;
	struct qctl *q;
	struct sq *s;
	uint32_t mode;
	uid_t uid;
	gid_t gid;
	int qbytes;
	long r;

	/* Read whole, before the lookup, as the kernel does. */
	if (bad_uptr(buf) || ucopy(&in, buf, sizeof(in)))
		return -EFAULT;
	/* Only these four fields are taken; qbytes travels as an int. */
	qbytes = (int)(uint32_t)in.msg_qbytes;
	uid = in.msg_perm.uid;
	gid = in.msg_perm.gid;
	mode = in.msg_perm.mode;
	r = q_lock_id(ns, id, &s);
	if (r < 0)	/* removed meanwhile: the kernel's rwsem says EINVAL */
		return r == -EACCES ? -EPERM : r == -EIDRM ? -EINVAL : r;
	q = s->q;
	ns_limits(ns, &lim);
	r = ipc_owner(q);
	if (!r && (unsigned)qbytes > (unsigned)lim.msgmnb &&
	    !cap_has(CAP_SYS_RESOURCE))
		r = -EPERM;
	if (!r && (uid == (uid_t)-1 || gid == (gid_t)-1))
		r = -EINVAL;
	if (!r) {
		wl_arm(&s->wp, &q->wl, true);	/* LOCKING L6 */
		q->qbytes = (uint64_t)(int64_t)qbytes;
		q->uid = uid;
		q->gid = gid;
		q->mode = (q->mode & ~0777u) | (mode & 0777);
		q->ctime = proc_now();
		q->events++;
		wake_receivers(s);
		wake_senders(s);
		pend_clear();
		/* The files follow (envelope.c): what was set, not what
		 * the block says a moment later. */
		env_update(s, uid, gid, mode & 0777);
		msgfd_sync(s);	/* room follows qbytes */
	}
	q_done(s);
	return r;
}

static long rmid_now(struct ns *ns, int id);

/* The entries and files go as euid (cred.c). */
static long rmid(struct ns *ns, int id)
{
	struct fs_as as;
	long r;

	cred_fs_enter(&as);
	r = rmid_now(ns, id);
	cred_fs_leave(&as);
	return r;
}

static long rmid_now(struct ns *ns, int id)
{
	struct sq *s;
	long r = q_lock_id_any(ns, id, &s);

	/* Removed meanwhile: the kernel serializes IPC_RMID, so the later
	 * one finds no queue (EINVAL), never EIDRM. */
	if (r == -EUCLEAN) {
		r = reg_remove_damaged(ns, id);
		return r == -EIDRM ? -EINVAL : r;
	}
	if (r < 0)
		return r == -EACCES ? -EPERM : r == -EIDRM ? -EINVAL : r;
	r = ipc_owner(s->q);
	if (!r)
		reg_remove(s);
	q_unlock(s);
	if (!r)
		reg_unlink(s);
	sq_put(s);
	return r;
}

static long do_msgctl(int msqid, int cmd, struct msqid_ds *buf)
{
	struct ns *ns;
	long r;

	if (msqid < 0 || cmd < 0)
		return -EINVAL;
	r = ns_get(&ns);
	if (r)
		return ns_errno((int)r, NSE_ID);
	switch (cmd) {
	case IPC_INFO:
	case MSG_INFO:
		r = info(ns, cmd, buf);
		break;
	case IPC_STAT:
	case MSG_STAT:
	case MSG_STAT_ANY:
		r = stat_q(ns, msqid, cmd, buf);
		break;
	case IPC_SET:
		r = set_q(ns, msqid, buf);
		break;
	case IPC_RMID:
		r = rmid(ns, msqid);
		break;
	default:
		r = -EINVAL;
	}
	return r;
}

UMQ_EXPORT int umq_msgctl(int msqid, int cmd, struct msqid_ds *buf)
{
	return (int)ret_errno(UNBOUNDED(do_msgctl(msqid, cmd, buf)));
}
