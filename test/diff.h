/* SPDX-License-Identifier: MIT */
/*
 * diff.h - the System V side of the differential tests (trace.h has the
 * machinery they share with the POSIX ones).
 *
 * A scenario is a function that drives one backend (the kernel's message
 * queues or umq's) through the d_* wrappers below.  Every wrapper records
 * a step in a trace: its label, the return value and errno, the message
 * received, the struct msqid_ds or struct msginfo returned, and the value
 * the spec predicts when the scenario states one.  diff_run() runs the
 * scenario once per backend and compares the traces step by step: each
 * step must meet the spec on both sides and agree between them.  The
 * kernel can stand in for umq (KERNEL_ONLY, see the end of this file).
 *
 * Only sysv_diff.c, sysv_diff_lane.c and spec_diff_sysv*.c include this
 * file, each in a program of its own, hence the static definitions.
 */
#ifndef DIFF_H
#define DIFF_H

#include "trace.h"

#include <stddef.h>
#include <sys/msg.h>
#include <sys/wait.h>

#include "umq.h"

/* ---- Backends ------------------------------------------------------------ */

struct backend {
	const char *name;
	int (*setup)(void);	/* if any, in the child, before the scenario */
	key_t (*ftok)(const char *, int);
	int (*get)(key_t, int);
	int (*snd)(int, const void *, size_t, int);
	ssize_t (*rcv)(int, void *, size_t, long, int);
	int (*ctl)(int, int, struct msqid_ds *);
	int (*set_limit)(const char *which, long v);	/* 0 or -1/errno */
};

static int kern_set_limit(const char *which, long v)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", which);
	return t_sysctl_write(path, v);
}

static int umq_setup(void)
{
	return umq_ns_use(t_umq_dir());
}

static int umq_set_limit(const char *which, long v)
{
	struct umq_limits lim;

	if (umq_ns_get_limits(&lim))
		return -1;
	if (!strcmp(which, "msgmax"))
		lim.msgmax = v;
	else if (!strcmp(which, "msgmnb"))
		lim.msgmnb = v;
	else
		lim.msgmni = v;
	return umq_ns_set_limits(&lim);
}

static const struct backend backends[2] = {
	{ "kernel", NULL, ftok, t_k_msgget, t_k_msgsnd, t_k_msgrcv, t_k_msgctl,
	  kern_set_limit },
	{ "umq", umq_setup, umq_ftok, umq_msgget, umq_msgsnd, umq_msgrcv,
	  umq_msgctl, umq_set_limit },
};

/* ---- Traces -------------------------------------------------------------- */

/* struct msqid_ds with times relative to the run's start and pids as roles. */
struct nds {
	long long key, uid, gid, cuid, cgid, mode, seq;
	long long stime, rtime, ctime;
	long long cbytes, qnum, qbytes;
	long long lspid, lrpid;
};
#define T_NEVER LLONG_MIN	/* a time field that is 0 */

enum { F_NUM, F_TIME, F_PID };
#define NDS_F(f, t) { #f, offsetof(struct nds, f), t }
static const struct { const char *name; size_t off; int type; } nds_fields[] = {
	NDS_F(key, F_NUM), NDS_F(uid, F_NUM), NDS_F(gid, F_NUM),
	NDS_F(cuid, F_NUM), NDS_F(cgid, F_NUM), NDS_F(mode, F_NUM),
	NDS_F(seq, F_NUM), NDS_F(stime, F_TIME), NDS_F(rtime, F_TIME),
	NDS_F(ctime, F_TIME), NDS_F(cbytes, F_NUM), NDS_F(qnum, F_NUM),
	NDS_F(qbytes, F_NUM), NDS_F(lspid, F_PID), NDS_F(lrpid, F_PID),
};

#define MI_F(f) { #f, offsetof(struct msginfo, f) }
static const struct { const char *name; size_t off; } mi_fields[] = {
	MI_F(msgpool), MI_F(msgmap), MI_F(msgmax), MI_F(msgmnb),
	MI_F(msgmni), MI_F(msgssz), MI_F(msgtql),
};

#define HAS_MSG 1
#define HAS_DS 2
#define HAS_MI 4
#define TAG_ANY -3	/* no tag expected */

/* One step: a call, or a value the scenario computed (in h.ret). */
struct ev {
	struct tr_ev h;
	int has;		/* HAS_* */
	long wmtype;		/* expected mtype, 0 if none */
	int wtag;		/* expected tag, TAG_ANY if none */
	long mtype;
	int tag;
	uint64_t hash;
	struct nds ds;
	struct msginfo mi;
};

#define TR_MAX 16384

struct ctx {
	const struct backend *b;
	struct trace *tr;
	time_t t0;
	struct msqid_ds ds;	/* result of the last IPC_STAT/MSG_STAT* */
	struct msqid_ds set;	/* what SET passes to IPC_SET */
	struct msginfo mi;	/* result of the last IPC_INFO/MSG_INFO */
};

#define TEXT_MAX 70000
static struct { long mtype; unsigned char text[TEXT_MAX]; } sbuf, rbuf;

/* ---- Recording ----------------------------------------------------------- */

static void ev_init(struct tr_ev *e)
{
	((struct ev *)e)->wtag = TAG_ANY;
}

#define ev_begin(c, line, ...) \
	((struct ev *)tr_begin((c)->tr, line, __VA_ARGS__))
#define ev_result(e, ret, err)	tr_result(&(e)->h, ret, err)
#define ev_end(c, e, w)		tr_end((c)->tr, &(e)->h, w)

/* Role of a pid seen in msg_lspid/msg_lrpid; unknown pids stay distinct. */
static long long pid_role(const struct ctx *c, pid_t pid)
{
	return tr_role(c->tr, pid);
}

static long long rel_time(const struct ctx *c, time_t t)
{
	return t ? t - c->t0 : T_NEVER;
}

static void nds_of(const struct ctx *c, const struct msqid_ds *d,
		   struct nds *n)
{
	n->key = d->msg_perm.__key;
	n->uid = d->msg_perm.uid;
	n->gid = d->msg_perm.gid;
	n->cuid = d->msg_perm.cuid;
	n->cgid = d->msg_perm.cgid;
	n->mode = d->msg_perm.mode;
	n->seq = d->msg_perm.__seq;
	n->stime = rel_time(c, d->msg_stime);
	n->rtime = rel_time(c, d->msg_rtime);
	n->ctime = rel_time(c, d->msg_ctime);
	n->cbytes = d->__msg_cbytes;
	n->qnum = d->msg_qnum;
	n->qbytes = d->msg_qbytes;
	n->lspid = pid_role(c, d->msg_lspid);
	n->lrpid = pid_role(c, d->msg_lrpid);
}

static const char *flag_str(char *s, size_t n, int flg)
{
	static const struct { int bit; const char *name; } names[] = {
		{ IPC_CREAT, "CREAT" }, { IPC_EXCL, "EXCL" },
		{ IPC_NOWAIT, "NOWAIT" }, { MSG_NOERROR, "NOERROR" },
		{ MSG_EXCEPT, "EXCEPT" }, { MSG_COPY, "COPY" },
	};
	size_t len = 0;

	s[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (flg & names[i].bit) {
			len += snprintf(s + len, n - len, "%s|", names[i].name);
			flg &= ~names[i].bit;
		}
	}
	if (flg || !len)
		snprintf(s + len, n - len, "%#o", flg);
	else
		s[len - 1] = 0;
	return s;
}

static long d_get(struct ctx *c, int line, key_t key, int flg, struct want w)
{
	char f[64];
	struct ev *e = ev_begin(c, line, "msgget(key %#x, %s)", key,
				flag_str(f, sizeof(f), flg));

	errno = 0;
	int r = c->b->get(key, flg);
	ev_result(e, r, errno);
	ev_end(c, e, w);
	return r;
}

static key_t d_ftok(struct ctx *c, int line, const char *path, int proj,
		    struct want w)
{
	struct ev *e = ev_begin(c, line, "ftok(%s, %#x)", path, proj);

	errno = 0;
	key_t k = c->b->ftok(path, proj);
	ev_result(e, k, errno);
	ev_end(c, e, w);
	return k;
}

/* msgsnd of a message of type mtype whose text is len bytes tagged tag. */
static struct ev *snd_begin(struct ctx *c, int line, const char *how, int id,
			    void *buf, long mtype, int tag, size_t len, int flg)
{
	char f[64];

	sbuf.mtype = mtype;
	tr_fill(sbuf.text, len < TEXT_MAX ? len : TEXT_MAX, tag);
	return ev_begin(c, line, "%smsgsnd(id %d, %s, type %ld, tag %d, "
			"len %zu, %s)", how, id, buf ? "buf" : "NULL", mtype,
			tag, len, flag_str(f, sizeof(f), flg));
}

static long snd_call(struct ctx *c, struct ev *e, int id, void *buf,
		     size_t len, int flg)
{
	errno = 0;
	int r = c->b->snd(id, buf, len, flg);
	ev_result(e, r, errno);
	return r;
}

static long d_snd_buf(struct ctx *c, int line, int id, void *buf, long mtype,
		      int tag, size_t len, int flg, struct want w)
{
	struct ev *e = snd_begin(c, line, "", id, buf, mtype, tag, len, flg);
	long r = snd_call(c, e, id, buf, len, flg);

	ev_end(c, e, w);
	return r;
}

static struct ev *rcv_begin(struct ctx *c, int line, const char *how, int id,
			    void *buf, size_t sz, long typ, int flg,
			    long wmtype, int wtag)
{
	char f[64];
	struct ev *e = ev_begin(c, line, "%smsgrcv(id %d, %s, sz %zu, "
				"typ %ld, %s)", how, id, buf ? "buf" : "NULL",
				sz, typ, flag_str(f, sizeof(f), flg));

	e->wmtype = wmtype;
	e->wtag = wtag;
	return e;
}

/* msgrcv into buf (rbuf or NULL). */
static long rcv_call(struct ctx *c, struct ev *e, int id, void *buf, size_t sz,
		     long typ, int flg)
{
	memset(&rbuf, 0xa5, sizeof(rbuf.mtype) + 64);
	errno = 0;
	long r = c->b->rcv(id, buf, sz, typ, flg);
	ev_result(e, r, errno);
	if (r >= 0 && buf) {
		size_t len = r < TEXT_MAX ? r : TEXT_MAX;

		e->has = HAS_MSG;
		e->mtype = rbuf.mtype;
		e->tag = tr_tag(rbuf.text, len);
		e->hash = tr_fnv(rbuf.text, len);
	}
	return r;
}

static long d_rcv_buf(struct ctx *c, int line, int id, void *buf, size_t sz,
		      long typ, int flg, struct want w, long wmtype, int wtag)
{
	struct ev *e = rcv_begin(c, line, "", id, buf, sz, typ, flg, wmtype,
				 wtag);
	long r = rcv_call(c, e, id, buf, sz, typ, flg);

	ev_end(c, e, w);
	return r;
}

static const char *cmd_str(int cmd)
{
	static const char *names[] = {
		[IPC_RMID] = "IPC_RMID", [IPC_SET] = "IPC_SET",
		[IPC_STAT] = "IPC_STAT", [IPC_INFO] = "IPC_INFO",
		[MSG_STAT] = "MSG_STAT", [MSG_INFO] = "MSG_INFO",
		[MSG_STAT_ANY] = "MSG_STAT_ANY",
	};
	static char other[16];

	if (cmd >= 0 && cmd <= MSG_STAT_ANY && names[cmd])
		return names[cmd];
	snprintf(other, sizeof(other), "cmd %d", cmd);
	return other;
}

/*
 * msgctl with the buffer the command calls for (c->mi for the INFO
 * commands, c->set for IPC_SET, c->ds otherwise), or NULL.
 */
static long d_ctl(struct ctx *c, int line, int id, int cmd, int null_buf,
		  struct want w)
{
	int info = cmd == IPC_INFO || cmd == MSG_INFO;
	int stat = cmd == IPC_STAT || cmd == MSG_STAT || cmd == MSG_STAT_ANY;
	void *buf = info ? (void *)&c->mi : cmd == IPC_SET ? (void *)&c->set :
		    (void *)&c->ds;
	struct ev *e = ev_begin(c, line, "msgctl(%d, %s, %s)", id,
				cmd_str(cmd), null_buf ? "NULL" : "buf");

	if (null_buf)
		buf = NULL;
	else if (info || stat)
		memset(buf, 0x5a, info ? sizeof(c->mi) : sizeof(c->ds));
	errno = 0;
	int r = c->b->ctl(id, cmd, buf), err = errno;
	if (r != -1 && buf && stat) {
		e->has = HAS_DS;
		nds_of(c, &c->ds, &e->ds);
	} else if (r != -1 && buf && info) {
		e->has = HAS_MI;
		e->mi = c->mi;
	}
	ev_result(e, r, err);
	ev_end(c, e, w);
	return r;
}


#define GET(c, k, f, w)		d_get(c, __LINE__, k, f, w)
#define FTOK(c, p, id, w)	d_ftok(c, __LINE__, p, id, w)
#define SND(c, id, t, tag, len, f, w) \
	d_snd_buf(c, __LINE__, id, &sbuf, t, tag, len, f, w)
#define SND_NULL(c, id, len, f, w) \
	d_snd_buf(c, __LINE__, id, NULL, 1, 0, len, f, w)
#define RCV(c, id, sz, typ, f, w) \
	d_rcv_buf(c, __LINE__, id, &rbuf, sz, typ, f, w, 0, TAG_ANY)
#define RCV_NULL(c, id, sz, typ, f, w) \
	d_rcv_buf(c, __LINE__, id, NULL, sz, typ, f, w, 0, TAG_ANY)
/* Receive must succeed with len bytes of the message (mtype, tag). */
#define RCV_GOT(c, id, sz, typ, f, len, mt, tag) \
	d_rcv_buf(c, __LINE__, id, &rbuf, sz, typ, f, W_RET(len), mt, tag)
#define CTL(c, id, cmd, w)	d_ctl(c, __LINE__, id, cmd, 0, w)
#define CTL_NULL(c, id, cmd, w)	d_ctl(c, __LINE__, id, cmd, 1, w)
#define STAT(c, id, w)		CTL(c, id, IPC_STAT, w)
#define SET(c, id, w)		CTL(c, id, IPC_SET, w)
#define RMID(c, id, w)		CTL(c, id, IPC_RMID, w)

/* ---- Other users --------------------------------------------------------- */

/*
 * Run fn as uid:gid (no capabilities) in a child that records into the
 * same trace.  Returns the role its pid gets in msg_lspid/msg_lrpid.
 */
static int d_as_user(struct ctx *c, int line, uid_t uid, scenario_fn fn,
		     void *arg)
{
	int role, st = tr_child(c, c->tr, &USER(uid), fn, arg, &role);

	tr_chk(c->tr, line, "exit status of the child as another user", st, 0);
	return role;
}
#define AS_USER(c, uid, fn, arg) d_as_user(c, __LINE__, uid, fn, arg)

/* ---- Calls that block ---------------------------------------------------- */

/*
 * Fork the process of a call that is meant to block (tr_bg_fork), as uid
 * unless it is -1.
 */
static pid_t bg_fork(struct ctx *c, struct ev *e, struct want w, uid_t uid)
{
	pid_t pid = tr_bg_fork(c->tr, &e->h, w);

	if (pid == 0) {
		tr_catch_usr1(SA_RESTART);
		if (tr_become(&USER(uid)))
			_exit(T_EXIT_FAIL);
	}
	return pid;
}

static pid_t d_bg_rcv(struct ctx *c, int line, uid_t uid, int id, size_t sz,
		      long typ, int flg, struct want w, long wmtype, int wtag)
{
	struct ev *e = rcv_begin(c, line, "blocking ", id, &rbuf, sz, typ, flg,
				 wmtype, wtag);
	pid_t pid = bg_fork(c, e, w, uid);

	if (pid)
		return pid;
	rcv_call(c, e, id, &rbuf, sz, typ, flg);
	_exit(T_EXIT_PASS);
}

static pid_t d_bg_snd(struct ctx *c, int line, uid_t uid, int id, long mtype,
		      int tag, size_t len, int flg, struct want w)
{
	struct ev *e = snd_begin(c, line, "blocking ", id, &sbuf, mtype, tag,
				 len, flg);
	pid_t pid = bg_fork(c, e, w, uid);

	if (pid)
		return pid;
	snd_call(c, e, id, &sbuf, len, flg);
	_exit(T_EXIT_PASS);
}

#define BG_RCV(c, id, sz, typ, f, w) \
	d_bg_rcv(c, __LINE__, -1, id, sz, typ, f, w, 0, TAG_ANY)
#define BG_RCV_AS(c, uid, id, sz, typ, f, w) \
	d_bg_rcv(c, __LINE__, uid, id, sz, typ, f, w, 0, TAG_ANY)
#define BG_RCV_GOT(c, id, sz, typ, f, len, mt, tag) \
	d_bg_rcv(c, __LINE__, -1, id, sz, typ, f, W_RET(len), mt, tag)
#define BG_SND(c, id, t, tag, len, f, w) \
	d_bg_snd(c, __LINE__, -1, id, t, tag, len, f, w)
#define BG_SND_AS(c, uid, id, t, tag, len, f, w) \
	d_bg_snd(c, __LINE__, uid, id, t, tag, len, f, w)

/* ---- Comparing ----------------------------------------------------------- */

/* Why e's message disagrees with the spec's prediction, or NULL. */
static const char *spec_miss(const struct tr_ev *h, char *s, size_t n)
{
	const struct ev *e = (const struct ev *)h;

	if (!(e->has & HAS_MSG))
		return NULL;
	if (e->wmtype && e->mtype != e->wmtype) {
		snprintf(s, n, "got mtype %ld, spec says %ld", e->mtype,
			 e->wmtype);
		return s;
	}
	if (e->wtag != TAG_ANY && e->tag != e->wtag) {
		snprintf(s, n, "got message tag %d, spec says %d", e->tag,
			 e->wtag);
		return s;
	}
	return NULL;
}

static int time_eq(long long a, long long b)
{
	if (a == T_NEVER || b == T_NEVER)
		return a == b;
	return a - b <= 1 && b - a <= 1;
}

static void field_str(char *s, size_t n, int type, long long v)
{
	if (type == F_TIME && v == T_NEVER)
		snprintf(s, n, "0");
	else if (type == F_TIME)
		snprintf(s, n, "start%+lld s", v);
	else if (type == F_PID)
		tr_role_str(s, n, v);
	else
		snprintf(s, n, "%lld", v);
}

/* Why the two backends' data for one step differ, or NULL. */
static const char *pair_miss(const struct tr_ev *kh, const struct tr_ev *uh,
			     char *s, size_t n)
{
	const struct ev *k = (const struct ev *)kh, *u = (const struct ev *)uh;
	char a[48], b[48];

	if (k->has != u->has) {
		snprintf(s, n, "kernel returned data %#x, umq %#x", k->has,
			 u->has);
		return s;
	}
	if ((k->has & HAS_MSG) && (k->mtype != u->mtype ||
	    k->tag != u->tag || k->hash != u->hash)) {
		snprintf(s, n, "message: kernel mtype %ld tag %d hash %016llx, "
			 "umq mtype %ld tag %d hash %016llx", k->mtype, k->tag,
			 (unsigned long long)k->hash, u->mtype, u->tag,
			 (unsigned long long)u->hash);
		return s;
	}
	for (size_t i = 0; (k->has & HAS_DS) && i < sizeof(nds_fields) /
	     sizeof(nds_fields[0]); i++) {
		long long x = *(long long *)((char *)&k->ds + nds_fields[i].off);
		long long y = *(long long *)((char *)&u->ds + nds_fields[i].off);

		if (nds_fields[i].type == F_TIME ? time_eq(x, y) : x == y)
			continue;
		field_str(a, sizeof(a), nds_fields[i].type, x);
		field_str(b, sizeof(b), nds_fields[i].type, y);
		snprintf(s, n, "msqid_ds.%s: kernel %s, umq %s",
			 nds_fields[i].name, a, b);
		return s;
	}
	for (size_t i = 0; (k->has & HAS_MI) && i < sizeof(mi_fields) /
	     sizeof(mi_fields[0]); i++) {
		int x = *(int *)((char *)&k->mi + mi_fields[i].off);
		int y = *(int *)((char *)&u->mi + mi_fields[i].off);

		if (x != y) {
			snprintf(s, n, "msginfo.%s: kernel %d, umq %d",
				 mi_fields[i].name, x, y);
			return s;
		}
	}
	if ((k->has & HAS_MI) && k->mi.msgseg != u->mi.msgseg) {
		snprintf(s, n, "msginfo.msgseg: kernel %u, umq %u",
			 k->mi.msgseg, u->mi.msgseg);
		return s;
	}
	return NULL;
}

/* ---- Running ------------------------------------------------------------- */

static void side(int i, struct trace *tr, scenario_fn fn, void *arg)
{
	struct ctx c = { .b = &backends[i], .tr = tr };

	if (c.b->setup && c.b->setup())
		T_FAIL("%s: setup: %s", c.b->name, strerror(errno));
	c.t0 = time(NULL);
	fn(&c, arg);
}

static const struct tr_suite suite = {
	.esize = sizeof(struct ev),
	.max = TR_MAX,
	.init = ev_init,
	.spec_miss = spec_miss,
	.pair_miss = pair_miss,
	.side = side,
};

/*
 * Run fn on both backends in fresh namespaces and fail the case if a step
 * misses the spec or the backends disagree.
 */
static void diff_run(scenario_fn fn, void *arg)
{
	tr_run(&suite, fn, arg);
}

/* The cyclic id allocator of spec A3, for the expected ids. */
#define IDM_MAX 1024	/* indexes modelled */
struct idmodel {
	unsigned char used[IDM_MAX];
	int last, seq, in_use;
};

static int idm_free_from(const struct idmodel *m, int from, int end)
{
	for (int i = from; i < end; i++)
		if (!m->used[i])
			return i;
	return -1;
}

static int idm_alloc(struct idmodel *m)
{
	int w = m->in_use * 3 / 2 > 64 ? m->in_use * 3 / 2 : 64;
	int idx;

	if (w > IDM_MAX)
		T_FAIL("id model: window %d beyond %d", w, IDM_MAX);
	idx = idm_free_from(m, m->last + 1, w);
	if (idx < 0)
		idx = idm_free_from(m, 0, w);
	if (idx <= m->last)
		m->seq = (m->seq + 1) % 65535;
	m->used[idx] = 1;
	m->in_use++;
	m->last = idx;
	return m->seq << 15 | idx;
}

static void idm_free(struct idmodel *m, int id)
{
	m->used[id & 0x7fff] = 0;
	m->in_use--;
}

#define DIFF_CASE(name)                                                 \
	static void sc_##name(struct ctx *c, void *arg);                \
	T_CASE(name) { diff_run(sc_##name, NULL); }                     \
	static void sc_##name(struct ctx *c, void *arg)

/* IPC_STAT id into c->ds and copy it to c->set for a following IPC_SET. */
#define STAT_FOR_SET(c, id) (STAT(c, id, W_RET(0)), (c)->set = (c)->ds)
/* msg_qbytes of id set to n, which must work. */
#define SET_QBYTES(c, id, n) \
	(STAT_FOR_SET(c, id), (c)->set.msg_qbytes = (n), SET(c, id, W_RET(0)))

/*
 * ---- KERNEL_ONLY: umq_* as the kernel calls -------------------------------
 *
 * Built with -DKERNEL_ONLY the program compares the kernel with itself:
 * every case must pass, which shows that the scenarios are deterministic
 * and that what they say the spec predicts is what the kernel does.
 */

#ifdef KERNEL_ONLY
key_t umq_ftok(const char *p, int id)
{
	return ftok(p, id);
}

int umq_msgget(key_t k, int f)
{
	return t_k_msgget(k, f);
}

int umq_msgsnd(int id, const void *p, size_t n, int f)
{
	return t_k_msgsnd(id, p, n, f);
}

ssize_t umq_msgrcv(int id, void *p, size_t n, long t, int f)
{
	return t_k_msgrcv(id, p, n, t, f);
}

int umq_msgctl(int id, int cmd, struct msqid_ds *b)
{
	return t_k_msgctl(id, cmd, b);
}

/* The backend's child has its own kernel namespace already. */
int umq_ns_use(const char *dir)
{
	return 0;
}

int umq_ns_get_limits(struct umq_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->msgmax = t_sysctl_read("/proc/sys/kernel/msgmax");
	lim->msgmnb = t_sysctl_read("/proc/sys/kernel/msgmnb");
	lim->msgmni = t_sysctl_read("/proc/sys/kernel/msgmni");
	return 0;
}

int umq_ns_set_limits(const struct umq_limits *lim)
{
	return kern_set_limit("msgmax", lim->msgmax) ||
	       kern_set_limit("msgmnb", lim->msgmnb) ||
	       kern_set_limit("msgmni", lim->msgmni) ? -1 : 0;
}
#endif

#endif /* DIFF_H */
