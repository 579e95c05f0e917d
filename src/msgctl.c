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

static void fill_ds(const struct qctl *q, struct msqid_ds *ds)
{
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
	ds->__msg_cbytes = q->cbytes;
	ds->msg_qnum = q->qnum;
	ds->msg_qbytes = q->qbytes;
	ds->msg_lspid = q->lspid;
	ds->msg_lrpid = q->lrpid;
}

static int copy_ds(struct msqid_ds *buf, const struct msqid_ds *ds)
{
	if (bad_uptr(buf))
		return -EFAULT;
	*buf = *ds;
	return 0;
}

static long info(struct ns *ns, int cmd, struct msqid_ds *buf)
{
	struct msginfo mi = { 0 };
	struct umq_limits lim;
	uint64_t msgs = 0, bytes = 0;
	int max_idx = 0, n = 0;

	ns_limits(ns, &lim);
	mi.msgmax = (int)lim.msgmax;
	mi.msgmnb = (int)lim.msgmnb;
	mi.msgmni = (int)lim.msgmni;
	mi.msgssz = MSGSSZ;
	mi.msgseg = MSGSEG;
	reg_lock(ns);
	for (uint32_t i = 0; i < ns->hdr->hi_idx && i < IPCMNI; i++) {
		struct qctl *q = ns_slot(ns, i);
		if (q->state != SLOT_LIVE)
			continue;
		max_idx = (int)i;
		n++;
		msgs += __atomic_load_n(&q->qnum, __ATOMIC_RELAXED);
		bytes += __atomic_load_n(&q->cbytes, __ATOMIC_RELAXED);
	}
	if (cmd == MSG_INFO) {
		mi.msgpool = n;
		mi.msgmap = msgs > INT_MAX ? INT_MAX : (int)msgs;
		mi.msgtql = bytes > INT_MAX ? INT_MAX : (int)bytes;
	} else {
		mi.msgpool = MSGPOOL;
		mi.msgmap = MSGMAP;
		mi.msgtql = MSGTQL;
	}
	reg_unlock(ns);
	if (bad_uptr(buf))
		return -EFAULT;
	memcpy(buf, &mi, sizeof(mi));
	return max_idx;
}

static long stat_q(struct ns *ns, int id, int cmd, struct msqid_ds *buf)
{
	struct msqid_ds ds;
	struct qctl *q;
	uint32_t idx = (uint32_t)id & (IPCMNI - 1);
	long r;

	if (cmd == IPC_STAT) {
		r = q_lock_id(ns, id, &q);
		if (r < 0)
			return r;
	} else {
		/* MSG_STAT(_ANY): an index, whatever the sequence. */
		q = ns_slot(ns, idx);
		if (__atomic_load_n(&q->state, __ATOMIC_ACQUIRE) != SLOT_LIVE)
			return -EINVAL;
		r = q_lock_id(ns, reg_id(q, idx), &q);
		if (r < 0)
			return r == -EINVAL ? -EIDRM : r;
	}
	r = cmd == MSG_STAT_ANY ? 0 : ipc_perms(q, S_IRUSR | S_IRGRP | S_IROTH);
	if (!r) {
		fill_ds(q, &ds);
		r = cmd == IPC_STAT ? 0 : reg_id(q, idx);
	}
	q_unlock(q);
	if (r < 0)
		return r;
	return copy_ds(buf, &ds) ?: r;
}

/* Keep the OS envelope of the store file in step (cred.c).  Only the
 * file's owner or CAP_FOWNER may; otherwise the envelope stays. */
static void update_envelope(struct ns *ns, const struct qctl *q)
{
	char name[32];

	store_path(name, sizeof(name), q->gen);
	fchmodat(ns->dirfd, name, envelope_mode(q), 0);
}

static long set_q(struct ns *ns, int id, const struct msqid_ds *buf)
{
	struct umq_limits lim;
	struct qctl *q;
	uint32_t mode;
	uid_t uid;
	gid_t gid;
	int qbytes;
	long r;

	if (bad_uptr(buf))
		return -EFAULT;		/* read before the lookup */
	/* Only these four fields are taken; qbytes travels as an int. */
	qbytes = (int)(uint32_t)buf->msg_qbytes;
	uid = buf->msg_perm.uid;
	gid = buf->msg_perm.gid;
	mode = buf->msg_perm.mode;
	r = q_lock_id(ns, id, &q);
	if (r < 0)
		return r;
	ns_limits(ns, &lim);
	r = ipc_owner(q);
	if (!r && (unsigned)qbytes > (unsigned)lim.msgmnb &&
	    !cap_has(CAP_SYS_RESOURCE))
		r = -EPERM;
	if (!r && (uid == (uid_t)-1 || gid == (gid_t)-1))
		r = -EINVAL;
	if (!r) {
		wl_arm(ns, &q->wl, true);	/* LOCKING L6 */
		q->qbytes = (uint64_t)(int64_t)qbytes;
		q->uid = uid;
		q->gid = gid;
		q->mode = (q->mode & ~0777u) | (mode & 0777);
		q->ctime = proc_now();
		q->events++;
		wake_receivers(ns, q);
		wake_senders(ns, q);
		pend_clear();
		update_envelope(ns, q);
		msgfd_sync(ns, q);	/* room follows qbytes */
	}
	q_unlock(q);
	return r;
}

static long rmid(struct ns *ns, int id)
{
	struct qctl *q;
	long r;

	reg_lock(ns);
	r = q_lock_id(ns, id, &q);
	if (r >= 0) {
		r = ipc_owner(q);
		if (!r)
			reg_remove(ns, q);
		q_unlock(q);
	}
	reg_unlock(ns);
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
	return (int)ret_errno(do_msgctl(msqid, cmd, buf));
}
