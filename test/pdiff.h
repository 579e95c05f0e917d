/* SPDX-License-Identifier: MIT */
/*
 * pdiff.h - the POSIX side of the differential tests (trace.h has the
 * machinery they share with the System V ones).
 *
 * The approach of diff.h (System V), for mq_*: a scenario drives one
 * backend (the kernel's POSIX queues or umq's) through the d_* wrappers
 * below.  Every wrapper records a step in a trace: its label, the return
 * value and errno, and what the call gave back (the message received, a
 * struct mq_attr, the status line, fstat of the descriptor, a signal),
 * with the values the spec predicts where the scenario states them.
 * pdiff_run() runs the scenario once per backend, each in a child of its
 * own after its own unshare(CLONE_NEWIPC), and compares the traces step
 * by step: each step must meet the spec on both sides and agree between
 * them.
 *
 * Descriptors are numbers that differ between the backends (umq's are
 * FIFOs of its namespace, and it may hold descriptors of its own), so a
 * successful mq_open is recorded as 0 and scenarios name descriptors by
 * their variable; pids in the status line and in siginfo are recorded as
 * the role of the process (SELF, or the n-th child the scenario forked).
 *
 * The kernel backend makes the system calls itself, with what glibc's
 * wrappers add (the leading '/' of names, EPERM as EACCES for
 * mq_unlink): the sanitizers, or a libumq that also exports mq_open for
 * LD_PRELOAD, then cannot stand between the test and the kernel.
 *
 * Only posix_diff.c and spec_diff_posix.c include this file, each in a
 * program of its own, hence the static definitions.
 */
#ifndef PDIFF_H
#define PDIFF_H

#include "trace.h"

#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "umq.h"

/* ---- The kernel, with glibc's wrappers ----------------------------------- */

/* The queue file's line; the file position moves, so read at 0. */
static ssize_t k_status(mqd_t d, char *buf, size_t len)
{
	return syscall(SYS_pread64, d, buf, len, 0);
}

static int k_set_limit(const char *which, long v)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/sys/fs/mqueue/%s", which);
	return t_sysctl_write(path, v);
}

static long k_get_limit(const char *which)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/sys/fs/mqueue/%s", which);
	return t_sysctl_read(path);
}

/* ---- umq ----------------------------------------------------------------- */

/* What posix_diff_lane.c adds to every umq open (UMQ_O_NOPOLL). */
#ifndef PDIFF_OFLAGS
#define PDIFF_OFLAGS 0
#endif

static mqd_t u_open(const char *name, int oflag, mode_t mode,
		    struct mq_attr *attr)
{
	return umq_mq_open(name, oflag | PDIFF_OFLAGS, mode, attr);
}

static long *lim_field(struct umq_limits *l, const char *which)
{
	if (!strcmp(which, "msg_max"))
		return &l->msg_max;
	if (!strcmp(which, "msgsize_max"))
		return &l->msgsize_max;
	if (!strcmp(which, "msg_default"))
		return &l->msg_default;
	if (!strcmp(which, "msgsize_default"))
		return &l->msgsize_default;
	if (!strcmp(which, "queues_max"))
		return &l->queues_max;
	T_FAIL("unknown limit %s", which);
}

static int u_set_limit(const char *which, long v)
{
	struct umq_limits lim;

	if (umq_ns_get_limits(&lim))
		return -1;
	*lim_field(&lim, which) = v;
	return umq_ns_set_limits(&lim);
}

static long u_get_limit(const char *which)
{
	struct umq_limits lim;

	if (umq_ns_get_limits(&lim))
		return -1;
	return *lim_field(&lim, which);
}

static const char *const lim_names[] = {
	"msg_max", "msgsize_max", "msg_default", "msgsize_default",
	"queues_max",
};
#define NLIM (sizeof(lim_names) / sizeof(lim_names[0]))

/*
 * umq's namespace starts with the host's limits, a fresh kernel
 * namespace with the kernel's defaults: give umq those of the kernel
 * namespace the backend's child has just entered, so that both start
 * alike whatever the host was set to.
 */
static int u_setup(void)
{
	struct umq_limits lim;
	int differ = 0;

	if (umq_ns_use(t_umq_dir()) || umq_ns_get_limits(&lim))
		return -1;
	for (size_t i = 0; i < NLIM; i++) {
		long *f = lim_field(&lim, lim_names[i]), k;

		k = k_get_limit(lim_names[i]);
		if (k >= 0 && *f != k) {
			*f = k;
			differ = 1;
		}
	}
	return differ ? umq_ns_set_limits(&lim) : 0;
}

/* ---- Backends ------------------------------------------------------------ */

struct pbackend {
	const char *name;
	int (*setup)(void);	/* in the backend's child, first */
	mqd_t (*open)(const char *, int, mode_t, struct mq_attr *);
	T_MQ_CALLS
	ssize_t (*status)(mqd_t, char *, size_t);
	int (*set_limit)(const char *, long);
	long (*get_limit)(const char *);
};

static const struct pbackend pbackends[2] = {
	{ "kernel", NULL, t_k_mq_open, t_k_mq_close, t_k_mq_unlink, t_k_mq_send, t_k_mq_timedsend,
	  t_k_mq_receive, t_k_mq_timedreceive, t_k_mq_getattr, t_k_mq_setattr, t_k_mq_notify,
	  k_status, k_set_limit, k_get_limit },
	{ "umq", u_setup, u_open, umq_mq_close, umq_mq_unlink, umq_mq_send,
	  umq_mq_timedsend, umq_mq_receive, umq_mq_timedreceive,
	  umq_mq_getattr, umq_mq_setattr, umq_mq_notify, umq_mq_status,
	  u_set_limit, u_get_limit },
};

/* ---- Traces -------------------------------------------------------------- */

/* What a step gave back besides its return value. */
enum { K_NONE, K_MSG, K_ATTR, K_OLD, K_STATUS, K_STAT, K_SIG, K_NKINDS };
#define NF 6
#define ANY LONG_MIN		/* a field the spec does not predict */
#define NOPRIO -1L		/* msg_prio was NULL, or left as it was */

/* Field names and formats: d decimal, o octal, x hex, p pid role. */
static const struct { const char *name; char fmt; } kfields[K_NKINDS][NF] = {
	[K_MSG] = { { "msg_prio", 'd' }, { "message tag", 'd' },
		    { "message hash", 'x' } },
	[K_ATTR] = { { "mq_flags", 'o' }, { "mq_maxmsg", 'd' },
		     { "mq_msgsize", 'd' }, { "mq_curmsgs", 'd' },
		     { "mq_attr reserved words", 'x' } },
	[K_OLD] = { { "oldattr mq_flags", 'o' }, { "oldattr mq_maxmsg", 'd' },
		    { "oldattr mq_msgsize", 'd' },
		    { "oldattr mq_curmsgs", 'd' },
		    { "oldattr reserved words", 'x' } },
	[K_STATUS] = { { "QSIZE", 'd' }, { "NOTIFY", 'd' }, { "SIGNO", 'd' },
		       { "NOTIFY_PID", 'p' },
		       { "line has the kernel's format", 'd' } },
	[K_STAT] = { { "file type", 'o' }, { "mode", 'o' }, { "uid", 'd' },
		     { "gid", 'd' }, { "size", 'd' } },
	[K_SIG] = { { "si_signo", 'd' }, { "si_code", 'd' },
		    { "si_pid", 'p' }, { "si_uid", 'd' },
		    { "si_value", 'd' } },
};

struct pev {
	struct tr_ev h;
	int kind;		/* K_* */
	long f[NF];		/* what the call gave back */
	long w[NF];		/* what the spec predicts, or ANY */
	char line[112];		/* the status line as read */
};

#define TR_MAX 20000

struct ctx {
	const struct pbackend *b;
	struct trace *tr;
	struct mq_attr attr;	/* result of the last getattr */
	/* How the next blocking call's process is set up (see bg_fork). */
	int bg_handler;		/* SIGUSR1: 0 blocked, 1 caught, 2 SA_RESTART */
	int bg_nice;		/* its nice value, above nice0 */
	int nice0;		/* the case's own (t_nice_base) */
};

#define TEXT_MAX (1 << 20)
static char sbuf[TEXT_MAX], rbuf[TEXT_MAX];

/* ---- Recording ----------------------------------------------------------- */

static void ev_init(struct tr_ev *h)
{
	struct pev *e = (struct pev *)h;

	for (int i = 0; i < NF; i++)
		e->w[i] = ANY;
}

#define ev_begin(c, line, ...) \
	((struct pev *)tr_begin((c)->tr, line, __VA_ARGS__))
#define ev_result(e, ret, err)	tr_result(&(e)->h, ret, err)
#define ev_end(c, e, w)		tr_end((c)->tr, &(e)->h, w)

/* Role of a pid; unknown pids stay distinct and visible. */
static long pid_role(const struct ctx *c, pid_t pid)
{
	return tr_role(c->tr, pid);
}

/* The label of a name: quoted, escaped, long ones abridged. */
static const char *name_str(char *s, size_t n, const char *name)
{
	size_t len = strlen(name), o = 0;

	s[o++] = '"';
	for (size_t i = 0; i < len && o + 24 < n; i++) {
		unsigned char ch = name[i];

		if (i == 10 && len > 20) {
			o += snprintf(s + o, n - o, "...(%zu chars)", len);
			break;
		}
		if (ch == '\n')
			o += snprintf(s + o, n - o, "\\n");
		else if (ch < 32 || ch >= 127)
			o += snprintf(s + o, n - o, "\\x%02x", ch);
		else
			s[o++] = ch;
	}
	snprintf(s + o, n - o, "\"");
	return s;
}

static const char *oflag_str(char *s, size_t n, int oflag)
{
	static const char *const acc[] = { "RDONLY", "WRONLY", "RDWR",
					   "ACCMODE3" };
	size_t len = snprintf(s, n, "%s", acc[oflag & O_ACCMODE]);

	oflag &= ~O_ACCMODE;
	if (oflag & O_CREAT)
		len += snprintf(s + len, n - len, "|CREAT");
	if (oflag & O_EXCL)
		len += snprintf(s + len, n - len, "|EXCL");
	if (oflag & O_NONBLOCK)
		len += snprintf(s + len, n - len, "|NONBLOCK");
	oflag &= ~(O_CREAT | O_EXCL | O_NONBLOCK);
	if (oflag)
		snprintf(s + len, n - len, "|%#o", oflag);
	return s;
}

static const char *attr_str(char *s, size_t n, const struct mq_attr *a)
{
	if (!a)
		return "NULL";
	if ((uintptr_t)a < 4096) {	/* a pointer meant to fault */
		snprintf(s, n, "attr %p", (void *)a);
		return s;
	}
	snprintf(s, n, "{maxmsg %ld, msgsize %ld}", a->mq_maxmsg,
		 a->mq_msgsize);
	return s;
}

static mqd_t d_open(struct ctx *c, int line, const char *name, int oflag,
		    mode_t mode, struct mq_attr *attr, struct want w)
{
	char ns[64], fs[64], as[64];
	struct pev *e = ev_begin(c, line, "mq_open(%s, %s, %#o, %s)",
				 name_str(ns, sizeof(ns), name),
				 oflag_str(fs, sizeof(fs), oflag), mode,
				 attr_str(as, sizeof(as), attr));

	errno = 0;
	mqd_t d = c->b->open(name, oflag, mode, attr);
	/* The descriptor's number is the backend's business. */
	ev_result(e, d == -1 ? -1 : d >= 0 ? 0 : d, errno);
	ev_end(c, e, w);
	if (d != -1 && (oflag & O_CREAT))
		tr_note_name(c->tr, name);
	return d;
}

static long d_close(struct ctx *c, int line, const char *dn, mqd_t d,
		    struct want w)
{
	struct pev *e = ev_begin(c, line, "mq_close(%s)", dn);

	errno = 0;
	int r = c->b->close(d);
	ev_result(e, r, errno);
	ev_end(c, e, w);
	return r;
}

static long d_unlink(struct ctx *c, int line, const char *name,
		     struct want w)
{
	char ns[64];
	struct pev *e = ev_begin(c, line, "mq_unlink(%s)",
				 name_str(ns, sizeof(ns), name));

	errno = 0;
	int r = c->b->unlink(name);
	ev_result(e, r, errno);
	ev_end(c, e, w);
	return r;
}

static const char *ts_str(char *s, size_t n, const struct timespec *ts)
{
	if (!ts)
		return "no timeout";
	if ((uintptr_t)ts < 4096) {
		snprintf(s, n, "timeout %p", (void *)ts);
		return s;
	}
	snprintf(s, n, "timeout {%lld, %ld}", (long long)ts->tv_sec,
		 ts->tv_nsec);
	return s;
}

#define TS_NONE ((const struct timespec *)-1)	/* mq_send, not timed */

/* A deadline ms from now on CLOCK_REALTIME, as the calls want. */
static struct timespec in_ms(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += ms % 1000 * 1000000L;
	ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	return ts;
}

/*
 * mq_send (ts TS_NONE) or mq_timedsend of len bytes tagged tag from buf
 * (sbuf, or a bad pointer).
 */
static long d_send(struct ctx *c, int line, const char *dn, mqd_t d,
		   const char *buf, size_t len, unsigned prio, int tag,
		   const struct timespec *ts, struct want w)
{
	char ts_s[48], bs[32] = "";
	struct pev *e;

	if (buf == sbuf)
		tr_fill(sbuf, len < TEXT_MAX ? len : TEXT_MAX, tag);
	else
		snprintf(bs, sizeof(bs), "buf %p, ", (void *)buf);
	e = ev_begin(c, line, "%s(%s, %stag %d, len %zu, prio %u%s%s)",
		     ts == TS_NONE ? "mq_send" : "mq_timedsend", dn, bs, tag,
		     len, prio, ts == TS_NONE ? "" : ", ",
		     ts == TS_NONE ? "" : ts_str(ts_s, sizeof(ts_s), ts));
	errno = 0;
	int r = ts == TS_NONE ? c->b->send(d, buf, len, prio) :
		c->b->timedsend(d, buf, len, prio, ts);
	ev_result(e, r, errno);
	ev_end(c, e, w);
	return r;
}

/* Expected message of a receive: its priority and tag, or ANY. */
struct wmsg {
	long prio, tag;
};
#define M_ANY ((struct wmsg){ ANY, ANY })
#define M(p, t) ((struct wmsg){ (p), (t) })

static struct pev *recv_begin(struct ctx *c, int line, const char *how,
			      const char *dn, const char *buf, size_t len,
			      const unsigned *pp, const struct timespec *ts)
{
	char ts_s[48], bs[32] = "", ps[32] = "";

	if (buf != rbuf)
		snprintf(bs, sizeof(bs), "buf %p, ", (void *)buf);
	if (!pp)
		snprintf(ps, sizeof(ps), ", msg_prio NULL");
	else if ((uintptr_t)pp < 4096)
		snprintf(ps, sizeof(ps), ", msg_prio %p", (void *)pp);
	return ev_begin(c, line, "%s%s(%s, %slen %zu%s%s%s)", how,
			ts == TS_NONE ? "mq_receive" : "mq_timedreceive", dn,
			bs, len, ps, ts == TS_NONE ? "" : ", ",
			ts == TS_NONE ? "" : ts_str(ts_s, sizeof(ts_s), ts));
}

static void recv_call(struct ctx *c, struct pev *e, mqd_t d, char *buf,
		      size_t len, unsigned *pp, const struct timespec *ts)
{
	unsigned prio = 0xdeadbeef;
	/* A valid msg_prio is our own, to see what the call wrote. */
	unsigned *p = pp && (uintptr_t)pp >= 4096 ? &prio : pp;

	memset(rbuf, 0xa5, 256);
	errno = 0;
	ssize_t r = ts == TS_NONE ? c->b->receive(d, buf, len, p) :
		    c->b->timedreceive(d, buf, len, p, ts);
	ev_result(e, r, errno);
	/* Also on failure: the priority is written before the text. */
	e->kind = K_MSG;
	e->f[0] = p == &prio && prio != 0xdeadbeef ? (long)prio : NOPRIO;
	e->f[1] = r >= 0 && buf == rbuf ? tr_tag(rbuf, r) : ANY;
	e->f[2] = r >= 0 && buf == rbuf ? (long)(tr_fnv(rbuf, r) >> 1) : ANY;
}

static unsigned prio_slot;	/* any valid msg_prio pointer */
#define PRIO_PTR (&prio_slot)

/* mq_receive (ts TS_NONE) or mq_timedreceive into buf, msg_prio pp. */
static long d_recv(struct ctx *c, int line, const char *dn, mqd_t d,
		   char *buf, size_t len, unsigned *pp,
		   const struct timespec *ts, struct want w, struct wmsg m)
{
	struct pev *e = recv_begin(c, line, "", dn, buf, len, pp, ts);

	recv_call(c, e, d, buf, len, pp, ts);
	e->w[0] = m.prio;
	e->w[1] = m.tag;
	ev_end(c, e, w);
	return e->h.ret;
}

static void attr_fields(long *f, const struct mq_attr *a)
{
	f[0] = a->mq_flags;
	f[1] = a->mq_maxmsg;
	f[2] = a->mq_msgsize;
	f[3] = a->mq_curmsgs;
	f[4] = a->__pad[0] | a->__pad[1] | a->__pad[2] | a->__pad[3];
}

/* Expected struct mq_attr: flags, maxmsg, msgsize, curmsgs (or ANY). */
struct wattr {
	long v[4];
};
#define A_ANY ((struct wattr){ { ANY, ANY, ANY, ANY } })
#define A(fl, mx, sz, cur) ((struct wattr){ { (fl), (mx), (sz), (cur) } })

static void attr_want(struct pev *e, struct wattr a)
{
	for (int i = 0; i < 4; i++)
		e->w[i] = a.v[i];
	e->w[4] = 0;
}

static long d_getattr(struct ctx *c, int line, const char *dn, mqd_t d,
		      struct want w, struct wattr a)
{
	struct pev *e = ev_begin(c, line, "mq_getattr(%s)", dn);

	memset(&c->attr, 0x5a, sizeof(c->attr));
	errno = 0;
	int r = c->b->getattr(d, &c->attr);
	ev_result(e, r, errno);
	if (r != -1) {
		e->kind = K_ATTR;
		attr_fields(e->f, &c->attr);
		attr_want(e, a);
	}
	ev_end(c, e, w);
	return r;
}

/* mq_setattr with newattr NULL (flags no scenario passes: LONG_MIN is) */
#define NEW_NULL (LONG_MIN + 1)

/*
 * mq_setattr with newattr {flags, garbage the call must ignore} (or NULL)
 * and oldattr (or NULL when old_null); a is the expected oldattr.
 */
static long d_setattr(struct ctx *c, int line, const char *dn, mqd_t d,
		      long flags, int old_null, struct want w, struct wattr a)
{
	struct mq_attr na = { .mq_flags = flags, .mq_maxmsg = 99,
			      .mq_msgsize = 99, .mq_curmsgs = 99 }, oa;
	char fs[32];

	if (flags == NEW_NULL)
		snprintf(fs, sizeof(fs), "NULL");
	else
		snprintf(fs, sizeof(fs), "{flags %#lo}", flags);
	struct pev *e = ev_begin(c, line, "mq_setattr(%s, %s, %s)", dn, fs,
				 old_null ? "NULL" : "old");

	memset(&oa, 0x5a, sizeof(oa));
	errno = 0;
	int r = c->b->setattr(d, flags == NEW_NULL ? NULL : &na,
			      old_null ? NULL : &oa);
	ev_result(e, r, errno);
	if (r != -1 && !old_null) {
		e->kind = K_OLD;
		attr_fields(e->f, &oa);
		attr_want(e, a);
	}
	ev_end(c, e, w);
	return r;
}

enum { SEV_NULL = -100 };	/* sevp NULL */

/* SIGEV_THREAD: the function writes the byte sival_int to this pipe. */
static int thread_pipe[2] = { -1, -1 };

static void on_notify(union sigval v)
{
	char ch = v.sival_int;

	if (write(thread_pipe[1], &ch, 1) != 1)
		abort();
}

/* how SIGEV_THREAD passes signo as sival_int. */
static long d_notify(struct ctx *c, int line, const char *dn, mqd_t d,
		     int how, int signo, struct want w)
{
	struct sigevent sev = { .sigev_notify = how, .sigev_signo = signo,
				.sigev_value.sival_int = 42 };
	struct pev *e;

	if (how == SIGEV_THREAD) {
		if (thread_pipe[0] == -1 && pipe2(thread_pipe, O_CLOEXEC))
			T_FAIL("pipe: %s", strerror(errno));
		sev.sigev_signo = 0;
		sev.sigev_value.sival_int = signo;
		sev.sigev_notify_function = on_notify;
	}
	if (how == SEV_NULL)
		e = ev_begin(c, line, "mq_notify(%s, NULL)", dn);
	else if (how == SIGEV_THREAD)
		e = ev_begin(c, line, "mq_notify(%s, {SIGEV_THREAD, value %d})",
			     dn, signo);
	else
		e = ev_begin(c, line, "mq_notify(%s, {notify %d, signo %d})",
			     dn, how, signo);
	errno = 0;
	int r = c->b->notify(d, how == SEV_NULL ? NULL : &sev);
	ev_result(e, r, errno);
	ev_end(c, e, w);
	return r;
}

#define STATUS_FMT "QSIZE:%-10lu NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n"

/*
 * The status line, parsed; pid is a role.  The expected length and line
 * come from the spec's format with the real pid of the role.
 */
static long d_status(struct ctx *c, int line, const char *dn, mqd_t d,
		     long qsize, long notify, long signo, long role)
{
	struct pev *e = ev_begin(c, line, "status line of %s", dn);
	char want[112];
	unsigned long q;
	int nt, sg, pid;

	errno = 0;
	ssize_t r = c->b->status(d, e->line, sizeof(e->line) - 1);
	ev_result(e, r, errno);
	if (r >= 0) {
		e->line[r] = 0;
		e->kind = K_STATUS;
		if (sscanf(e->line, "QSIZE:%lu NOTIFY:%d SIGNO:%d "
			   "NOTIFY_PID:%d", &q, &nt, &sg, &pid) == 4) {
			char again[112];

			e->f[0] = q;
			e->f[1] = nt;
			e->f[2] = sg;
			e->f[3] = pid_role(c, pid);
			snprintf(again, sizeof(again), STATUS_FMT, q, nt, sg,
				 pid);
			e->f[4] = !strcmp(again, e->line);
		} else {
			for (int i = 0; i < 5; i++)
				e->f[i] = -2;
		}
		e->w[0] = qsize;
		e->w[1] = notify;
		e->w[2] = signo;
		e->w[3] = role;
		e->w[4] = 1;
	}
	if (qsize != ANY && notify != ANY && signo != ANY && role >= 0 &&
	    role <= c->tr->nroles) {
		int n = snprintf(want, sizeof(want), STATUS_FMT, qsize,
				 (int)notify, (int)signo,
				 role ? c->tr->pids[role] : 0);
		ev_end(c, e, W_RET(n));
	} else {
		ev_end(c, e, W_SUCCESS);
	}
	return r;
}

/* fstat of a descriptor: type, permission bits, owner, size. */
static long d_fstat(struct ctx *c, int line, const char *dn, mqd_t d,
		    long mode, long uid, long gid)
{
	struct pev *e = ev_begin(c, line, "fstat(%s)", dn);
	struct stat st;

	errno = 0;
	int r = fstat(d, &st);
	ev_result(e, r, errno);
	if (r == 0) {
		e->kind = K_STAT;
		e->f[0] = st.st_mode & S_IFMT;
		e->f[1] = st.st_mode & 07777;
		e->f[2] = st.st_uid;
		e->f[3] = st.st_gid;
		e->f[4] = st.st_size;
		e->w[0] = S_IFREG;
		e->w[1] = mode;
		e->w[2] = uid;
		e->w[3] = gid;
		e->w[4] = 80;
	}
	ev_end(c, e, W_RET(0));
	return r;
}

/* Signals a notification may use; blocked in the backend's process. */
static void notify_sigset(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigaddset(set, s);
}

/*
 * Take a pending notification signal, waiting up to ms: the expected
 * signo (or W_ERR(EAGAIN) for none), code, sender role, uid, value.
 */
static long d_sigwait(struct ctx *c, int line, int ms, struct want w,
		      long code, long role, long uid, long value)
{
	struct pev *e = ev_begin(c, line, "notification signal within %d ms",
				 ms);
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };
	siginfo_t si;
	sigset_t set;

	notify_sigset(&set);
	errno = 0;
	int r = sigtimedwait(&set, &si, &ts);
	ev_result(e, r, errno);
	if (r > 0) {
		e->kind = K_SIG;
		e->f[0] = si.si_signo;
		e->f[1] = si.si_code;
		e->f[2] = pid_role(c, si.si_pid);
		e->f[3] = si.si_uid;
		e->f[4] = si.si_value.sival_int;
		e->w[0] = w.how == WANT_VALUE ? w.ret : ANY;
		e->w[1] = code;
		e->w[2] = role;
		e->w[3] = uid;
		e->w[4] = value;
	}
	ev_end(c, e, w);
	return r;
}

/* The value a SIGEV_THREAD function got within ms, or -1 EAGAIN. */
static long d_thread_ran(struct ctx *c, int line, int ms, struct want w)
{
	struct pev *e = ev_begin(c, line, "SIGEV_THREAD function ran within "
				 "%d ms", ms);
	struct pollfd p = { .fd = thread_pipe[0], .events = POLLIN };
	unsigned char ch;
	long r = -1;

	errno = EAGAIN;
	if (poll(&p, 1, ms) == 1 && read(thread_pipe[0], &ch, 1) == 1)
		r = ch;
	ev_result(e, r, errno);
	ev_end(c, e, w);
	return r;
}

#define NB O_NONBLOCK
#define AT(mx, sz) (&(struct mq_attr){ .mq_maxmsg = (mx), .mq_msgsize = (sz) })
#define OPEN(c, n, fl, mode, attr, w) \
	d_open(c, __LINE__, n, fl, mode, attr, w)
#define OPEN2(c, n, fl, w)	d_open(c, __LINE__, n, fl, 0, NULL, w)
#define CLOSE(c, d, w)		d_close(c, __LINE__, #d, d, w)
#define UNLINK(c, n, w)		d_unlink(c, __LINE__, n, w)
#define SEND(c, d, len, prio, tag, w) \
	d_send(c, __LINE__, #d, d, sbuf, len, prio, tag, TS_NONE, w)
#define TSEND(c, d, len, prio, tag, ts, w) \
	d_send(c, __LINE__, #d, d, sbuf, len, prio, tag, ts, w)
#define SEND_PTR(c, d, p, len, prio, w) \
	d_send(c, __LINE__, #d, d, p, len, prio, 0, TS_NONE, w)
#define TSEND_PTR(c, d, p, len, prio, ts, w) \
	d_send(c, __LINE__, #d, d, p, len, prio, 0, ts, w)
#define RECV(c, d, len, w, m) \
	d_recv(c, __LINE__, #d, d, rbuf, len, PRIO_PTR, TS_NONE, w, m)
/* Receive must return the message of len bytes, priority p, tag t. */
#define RECV_GOT(c, d, bufsz, len, p, t) \
	RECV(c, d, bufsz, W_RET(len), M(p, t))
#define RECV_NP(c, d, len, w, t) \
	d_recv(c, __LINE__, #d, d, rbuf, len, NULL, TS_NONE, w, M(NOPRIO, t))
#define TRECV(c, d, len, ts, w, m) \
	d_recv(c, __LINE__, #d, d, rbuf, len, PRIO_PTR, ts, w, m)
#define RECV_BUF(c, d, buf, len, pp, w, m) \
	d_recv(c, __LINE__, #d, d, buf, len, pp, TS_NONE, w, m)
#define ATTR(c, d, fl, mx, sz, cur) \
	d_getattr(c, __LINE__, #d, d, W_RET(0), A(fl, mx, sz, cur))
#define GETATTR(c, d, w)	d_getattr(c, __LINE__, #d, d, w, A_ANY)
#define SETATTR(c, d, fl, w, old) \
	d_setattr(c, __LINE__, #d, d, fl, 0, w, old)
#define SETATTR_NOOLD(c, d, fl, w) \
	d_setattr(c, __LINE__, #d, d, fl, 1, w, A_ANY)
#define NOTIFY(c, d, how, signo, w) \
	d_notify(c, __LINE__, #d, d, how, signo, w)
#define NOTIFY_NULL(c, d, w)	d_notify(c, __LINE__, #d, d, SEV_NULL, 0, w)
#define NOTIFY_THREAD(c, d, v, w) \
	d_notify(c, __LINE__, #d, d, SIGEV_THREAD, v, w)
#define THREAD_RAN(c, ms, v)	d_thread_ran(c, __LINE__, ms, W_RET(v))
#define NO_THREAD(c, ms)	d_thread_ran(c, __LINE__, ms, W_ERR(EAGAIN))
#define STATUS(c, d, q, nt, sg, role) \
	d_status(c, __LINE__, #d, d, q, nt, sg, role)
#define FSTAT(c, d, mode, uid, gid) d_fstat(c, __LINE__, #d, d, mode, uid, gid)
#define SIGWAIT(c, ms, signo, code, role, uid, value) \
	d_sigwait(c, __LINE__, ms, W_RET(signo), code, role, uid, value)
#define NO_SIGNAL(c, ms) \
	d_sigwait(c, __LINE__, ms, W_ERR(EAGAIN), ANY, ANY, ANY, ANY)

/* ---- Other processes ----------------------------------------------------- */

/*
 * Run fn in a child process as w, recording into the same trace; returns
 * the child's role (for NOTIFY_PID and si_pid).
 */
static int d_child(struct ctx *c, int line, struct who w, scenario_fn fn,
		   void *arg)
{
	int role, st = tr_child(c, c->tr, &w, fn, arg, &role);

	tr_chk(c->tr, line, "exit status of a child", st, 0);
	return role;
}
#define CHILD(c, w, fn, arg) d_child(c, __LINE__, w, fn, arg)

/* ---- Calls that block ---------------------------------------------------- */

/*
 * Fork the process of a call that is meant to block (tr_bg_fork), with
 * the SIGUSR1 handler and nice value that c asks for.
 */
static pid_t bg_fork(struct ctx *c, struct pev *e, struct want w)
{
	pid_t pid = tr_bg_fork(c->tr, &e->h, w);

	if (pid)
		return pid;
	if (c->bg_handler)
		tr_catch_usr1(c->bg_handler == 2 ? SA_RESTART : 0);
	if (c->bg_nice && setpriority(PRIO_PROCESS, 0, c->nice0 + c->bg_nice))
		T_FAIL("setpriority: %s", strerror(errno));
	return 0;
}

static pid_t d_bg_recv(struct ctx *c, int line, const char *dn, mqd_t d,
		       size_t len, const struct timespec *ts, struct want w,
		       struct wmsg m)
{
	struct pev *e = recv_begin(c, line, "blocking ", dn, rbuf, len,
				   PRIO_PTR, ts);

	e->w[0] = m.prio;
	e->w[1] = m.tag;
	pid_t pid = bg_fork(c, e, w);
	if (pid)
		return pid;
	recv_call(c, e, d, rbuf, len, PRIO_PTR, ts);
	_exit(T_EXIT_PASS);
}

static pid_t d_bg_send(struct ctx *c, int line, const char *dn, mqd_t d,
		       size_t len, unsigned prio, int tag,
		       const struct timespec *ts, struct want w)
{
	char ts_s[48];

	tr_fill(sbuf, len, tag);
	struct pev *e = ev_begin(c, line, "blocking mq_%ssend(%s, tag %d, "
				 "len %zu, prio %u%s%s)",
				 ts == TS_NONE ? "" : "timed", dn, tag, len,
				 prio, ts == TS_NONE ? "" : ", ",
				 ts == TS_NONE ? "" :
				 ts_str(ts_s, sizeof(ts_s), ts));
	pid_t pid = bg_fork(c, e, w);
	if (pid)
		return pid;
	errno = 0;
	long r = ts == TS_NONE ? c->b->send(d, sbuf, len, prio) :
		 c->b->timedsend(d, sbuf, len, prio, ts);
	ev_result(e, r, errno);
	_exit(T_EXIT_PASS);
}

/*
 * revents of a poll for reading (POLLOUT readiness is a documented
 * difference: umq's descriptors are always writable).
 */
static long poll_in(mqd_t d, int ms)
{
	struct pollfd p = { .fd = d, .events = POLLIN | POLLRDNORM };
	int r;

#if PDIFF_OFLAGS
	/* As the preload's poll: the descriptor is watched from now on
	 * (EBADF for a kernel queue's, which needs nothing). */
	int e = errno;
	umq_mq_watch(d);
	errno = e;
#endif
	r = poll(&p, 1, ms);

	return r < 0 ? -1 : p.revents & ~(POLLOUT | POLLWRNORM);
}

/* A poll for reading that is meant to block until a send. */
static pid_t d_bg_poll(struct ctx *c, int line, const char *dn, mqd_t d,
		       long want)
{
	struct pev *e = ev_begin(c, line, "blocking poll(%s) for reading",
				 dn);
	pid_t pid = bg_fork(c, e, W_RET(want));

	if (pid)
		return pid;
	ev_result(e, poll_in(d, 10000), errno);
	_exit(T_EXIT_PASS);
}

#define BG_RECV(c, d, len, w, m) \
	d_bg_recv(c, __LINE__, #d, d, len, TS_NONE, w, m)
#define BG_TRECV(c, d, len, ts, w, m) \
	d_bg_recv(c, __LINE__, #d, d, len, ts, w, m)
#define BG_SEND(c, d, len, prio, tag, w) \
	d_bg_send(c, __LINE__, #d, d, len, prio, tag, TS_NONE, w)
#define BG_TSEND(c, d, len, prio, tag, ts, w) \
	d_bg_send(c, __LINE__, #d, d, len, prio, tag, ts, w)
#define BG_POLL(c, d, want) d_bg_poll(c, __LINE__, #d, d, want)

/* ---- Comparing ----------------------------------------------------------- */

static const char *field_str(char *s, size_t n, char fmt, long v)
{
	if (v == ANY)
		snprintf(s, n, "(none)");
	else if (fmt == 'o')
		snprintf(s, n, "%#lo", v);
	else if (fmt == 'x')
		snprintf(s, n, "%#lx", v);
	else if (fmt == 'p')
		tr_role_str(s, n, v);
	else
		snprintf(s, n, "%ld", v);
	return s;
}

/* A status line, printable. */
static const char *line_str(char *s, size_t n, const char *line)
{
	size_t o = 0;

	for (; *line && o + 3 < n; line++) {
		if (*line == '\n') {
			s[o++] = '\\';
			s[o++] = 'n';
		} else {
			s[o++] = *line;
		}
	}
	s[o] = 0;
	return s;
}

/* Why what e gave back disagrees with the spec's prediction, or NULL. */
static const char *spec_miss(const struct tr_ev *h, char *s, size_t n)
{
	const struct pev *e = (const struct pev *)h;
	char a[128], b[64];

	if (e->kind == K_STATUS && e->w[4] == 1 && e->f[4] != 1) {
		snprintf(s, n, "got \"%s\", not in the kernel's format",
			 line_str(a, sizeof(a), e->line));
		return s;
	}
	for (int i = 0; e->kind && i < NF; i++) {
		char fmt = kfields[e->kind][i].fmt;

		if (e->w[i] == ANY || e->f[i] == e->w[i])
			continue;
		snprintf(s, n, "got %s %s, spec says %s",
			 kfields[e->kind][i].name,
			 field_str(a, sizeof(a), fmt, e->f[i]),
			 field_str(b, sizeof(b), fmt, e->w[i]));
		return s;
	}
	return NULL;
}

/* Why what the two backends gave back for one step differs, or NULL. */
static const char *pair_miss(const struct tr_ev *kh, const struct tr_ev *uh,
			     char *s, size_t n)
{
	const struct pev *k = (const struct pev *)kh;
	const struct pev *u = (const struct pev *)uh;
	char a[64], b[64];

	if (k->kind != u->kind) {
		snprintf(s, n, "kernel gave data of kind %d, umq %d", k->kind,
			 u->kind);
		return s;
	}
	for (int i = 0; k->kind && i < NF; i++) {
		char fmt = kfields[k->kind][i].fmt;

		if (k->f[i] == u->f[i])
			continue;
		if (k->kind == K_STATUS) {
			char x[128], y[128];

			snprintf(s, n, "%s: kernel \"%s\", umq \"%s\"",
				 kfields[k->kind][i].name,
				 line_str(x, sizeof(x), k->line),
				 line_str(y, sizeof(y), u->line));
			return s;
		}
		snprintf(s, n, "%s: kernel %s, umq %s",
			 kfields[k->kind][i].name,
			 field_str(a, sizeof(a), fmt, k->f[i]),
			 field_str(b, sizeof(b), fmt, u->f[i]));
		return s;
	}
	return NULL;
}

/*
 * fstat tells the mode only when the descriptor is the queue's file; umq's
 * may be another file (a FIFO), and then the permissions the mode implies
 * are tested by opening as another user instead.
 */
static int umq_stat_moot(const struct tr_ev *h)
{
	const struct pev *u = (const struct pev *)h;

	return u->kind == K_STAT && u->f[0] != S_IFREG;
}

/* ---- Running ------------------------------------------------------------- */

/*
 * Remove the queues the scenario created: their RLIMIT_MSGQUEUE charge
 * is per user and system-wide on the kernel, released when an unlinked
 * queue's last descriptor closes (at exit here), while a namespace's
 * queues are only freed later, asynchronously.
 */
static void remove_names(struct ctx *c)
{
	for (int i = 0; i < c->tr->nnames; i++)
		c->b->unlink(c->tr->names[i]);
}

static void side(int i, struct trace *tr, scenario_fn fn, void *arg)
{
	struct ctx c = { .b = &pbackends[i], .tr = tr };
	sigset_t set;

	if (c.b->setup && c.b->setup())
		T_FAIL("%s: setup: %s", c.b->name, strerror(errno));
	notify_sigset(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	umask(022);
	fn(&c, arg);
	remove_names(&c);
}

static const struct tr_suite suite = {
	.esize = sizeof(struct pev),
	.max = TR_MAX,
	.init = ev_init,
	.spec_miss = spec_miss,
	.pair_miss = pair_miss,
	.moot = umq_stat_moot,
	.moot_note = "%d fstat steps not compared: umq's descriptor is not "
		     "the queue's file",
	.side = side,
};

/*
 * Run fn on both backends in fresh namespaces and fail the case if a step
 * misses the spec or the backends disagree.
 */
static void pdiff_run(scenario_fn fn, void *arg)
{
	tr_run(&suite, fn, arg);
}

/* Descriptor d is close-on-exec (glibc's mq_open adds O_CLOEXEC). */
#define CLOEXEC(c, d) \
	d_chk(c, __LINE__, "FD_CLOEXEC of " #d, \
	      (fcntl(d, F_GETFD) & FD_CLOEXEC) != 0, 1)

#define PDIFF_CASE(name)                                                \
	static void sc_##name(struct ctx *c, void *arg);                \
	T_CASE(name) { pdiff_run(sc_##name, NULL); }                    \
	static void sc_##name(struct ctx *c, void *arg)

/*
 * ---- KERNEL_ONLY: umq_* as the kernel calls -------------------------------
 *
 * Built with -DKERNEL_ONLY the program compares the kernel with itself:
 * every case must pass, which shows that the scenarios are deterministic
 * and that what they say the spec predicts is what the kernel does.
 */

#ifdef KERNEL_ONLY
mqd_t umq_mq_open(const char *name, int oflag, ...)
{
	mode_t mode = 0;
	struct mq_attr *attr = NULL;

	if (oflag & O_CREAT) {
		va_list ap;

		va_start(ap, oflag);
		mode = va_arg(ap, mode_t);
		attr = va_arg(ap, struct mq_attr *);
		va_end(ap);
	}
	return t_k_mq_open(name, oflag, mode, attr);
}

int umq_mq_close(mqd_t d)
{
	return t_k_mq_close(d);
}

int umq_mq_unlink(const char *name)
{
	return t_k_mq_unlink(name);
}

int umq_mq_send(mqd_t d, const char *p, size_t n, unsigned prio)
{
	return t_k_mq_send(d, p, n, prio);
}

int umq_mq_timedsend(mqd_t d, const char *p, size_t n, unsigned prio,
		     const struct timespec *ts)
{
	return t_k_mq_timedsend(d, p, n, prio, ts);
}

ssize_t umq_mq_receive(mqd_t d, char *p, size_t n, unsigned *prio)
{
	return t_k_mq_receive(d, p, n, prio);
}

ssize_t umq_mq_timedreceive(mqd_t d, char *p, size_t n, unsigned *prio,
			    const struct timespec *ts)
{
	return t_k_mq_timedreceive(d, p, n, prio, ts);
}

int umq_mq_getattr(mqd_t d, struct mq_attr *a)
{
	return t_k_mq_getattr(d, a);
}

int umq_mq_setattr(mqd_t d, const struct mq_attr *na, struct mq_attr *oa)
{
	return t_k_mq_setattr(d, na, oa);
}

int umq_mq_notify(mqd_t d, const struct sigevent *sev)
{
	return t_k_mq_notify(d, sev);
}

ssize_t umq_mq_status(mqd_t d, char *buf, size_t len)
{
	return k_status(d, buf, len);
}

/* The backend's child has its own kernel namespace already. */
int umq_ns_use(const char *dir)
{
	return 0;
}

int umq_ns_get_limits(struct umq_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	for (size_t i = 0; i < NLIM; i++)
		*lim_field(lim, lim_names[i]) = k_get_limit(lim_names[i]);
	return 0;
}

/* Writes every POSIX sysctl, as umq's call sets every limit at once. */
int umq_ns_set_limits(const struct umq_limits *lim)
{
	struct umq_limits l = *lim;

	for (size_t i = 0; i < NLIM; i++)
		if (k_set_limit(lim_names[i], *lim_field(&l, lim_names[i])))
			return -1;
	return 0;
}
#endif

#endif /* PDIFF_H */
