/* SPDX-License-Identifier: MIT */
/*
 * spec_diff_posix.c - POSIX message queues, umq against the kernel: what
 * the kernel-semantics spec (part B) states and posix_diff.c does not
 * compare.  Written from the spec alone, by someone who did not write
 * the library: which errno wins when several apply, the flags mq_open
 * must ignore, long arguments whose high bits a 32-bit copy would lose,
 * a bad attr pointer, aliased mq_setattr arguments, boundaries of the
 * sizes, priorities, timeouts and attributes.  Processes, users and
 * threads: spec_diff_posix_procs.c.
 *
 * Same machinery as posix_diff.c (pdiff.h, trace.h): each case runs on
 * the kernel, in a private IPC namespace, and on umq, and every step must
 * meet the spec on both and agree between them.  Linked with libumq.so,
 * as programs load it.  Cases for differences docs/DESIGN.md already
 * lists are built with -DSPEC_KNOWN_DIFFS only.
 *
 *   build/test/spec_diff_posix [case ...]
 *   UMQ_TRACE=1 build/test/spec_diff_posix case	both traces in full
 *
 * The kernel against itself (every case must pass: the scenarios are
 * deterministic and say what the kernel does):
 *   gcc -D_GNU_SOURCE -DKERNEL_ONLY -Iinclude -std=gnu11 -pthread \
 *	-o /tmp/spec_diff_posix test/spec_diff_posix.c test/t.c test/trace.c
 */
/* pdiff.h's helpers are static, for each program: some are unused here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "pdiff.h"


#define ATTR_FAULT ((struct mq_attr *)8)	/* first page: EFAULT */
#define HI32 (1L << 32)		/* lost by a copy into an int */
#define USER_UID 1000
#define RL_UID 4250		/* RLIMIT_MSGQUEUE is charged per uid */

/* "/" and n bytes ch. */
static const char *long_name(char *buf, int n, char ch)
{
	buf[0] = '/';
	memset(buf + 1, ch, n);
	buf[n + 1] = 0;
	return buf;
}

/* ---- mq_open: flags the spec says are irrelevant (B4.8) ------------------ */

static const struct { int flag; const char *name; } ignored[] = {
	{ O_TRUNC, "trunc" }, { O_APPEND, "append" }, { O_SYNC, "sync" },
	{ O_DSYNC, "dsync" }, { O_NOFOLLOW, "nofollow" },
	{ O_NOCTTY, "noctty" }, { O_NOATIME, "noatime" },
	{ O_ASYNC, "async" }, { O_LARGEFILE, "largefile" },
	{ O_DIRECTORY, "directory" }, { O_TMPFILE, "tmpfile" },
};
#define NIGN (sizeof(ignored) / sizeof(ignored[0]))

static void ignored_user(struct ctx *c, void *arg)
{
	char name[32];

	/* No owner check either (O_NOATIME on a file of another user). */
	for (size_t i = 0; i < NIGN; i++) {
		snprintf(name, sizeof(name), "/%s", ignored[i].name);
		mqd_t d = OPEN2(c, name, O_RDWR | ignored[i].flag, W_SUCCESS);
		ATTR(c, d, 0, 2, 16, 1);
		CLOSE(c, d, W_RET(0));
	}
}

PDIFF_CASE(open_ignored_flags)
{
	char name[32];
	mqd_t q[NIGN];

	need_uid_switch();
	umask(0);
	for (size_t i = 0; i < NIGN; i++) {
		int fl = ignored[i].flag;

		snprintf(name, sizeof(name), "/%s", ignored[i].name);
		q[i] = OPEN(c, name, O_CREAT | O_EXCL | O_RDWR | fl, 0666,
			    AT(2, 16), W_SUCCESS);
		ATTR(c, q[i], 0, 2, 16, 0);
		SEND(c, q[i], 3, 1, (int)i + 1, W_RET(0));
		/* O_TRUNC on an existing queue empties nothing. */
		mqd_t d = OPEN(c, name, O_CREAT | O_RDWR | fl, 0666, AT(1, 1),
			       W_SUCCESS);
		ATTR(c, d, 0, 2, 16, 1);
		CLOSE(c, d, W_RET(0));
		d = OPEN2(c, name, O_RDONLY | NB | fl, W_SUCCESS);
		ATTR(c, d, NB, 2, 16, 1);
		CLOSE(c, d, W_RET(0));
	}
	CHILD(c, USER(USER_UID), ignored_user, NULL);
	for (size_t i = 0; i < NIGN; i++) {
		RECV_GOT(c, q[i], 16, 3, 1, (int)i + 1);
		CLOSE(c, q[i], W_RET(0));
	}
}

/* ---- mq_open: a bad attr pointer (B4.2) ---------------------------------- */

PDIFF_CASE(open_attr_fault)
{
	static char n256[300];
	mqd_t q = OPEN(c, "/e", O_CREAT | O_RDWR, 0600, AT(2, 16), W_SUCCESS);

	long_name(n256, 256, 'f');
	/* attr is copied before the name is looked at. */
	OPEN(c, "/new", O_CREAT | O_RDWR, 0600, ATTR_FAULT, W_ERR(EFAULT));
	OPEN2(c, "/new", O_RDWR, W_ERR(ENOENT));
	OPEN(c, "/e", O_CREAT | O_RDWR, 0600, ATTR_FAULT, W_ERR(EFAULT));
	OPEN(c, "/e", O_CREAT | O_EXCL | O_RDWR, 0600, ATTR_FAULT,
	     W_ERR(EFAULT));
	OPEN(c, "/e", O_CREAT | O_ACCMODE, 0600, ATTR_FAULT, W_ERR(EFAULT));
	OPEN(c, "/a/b", O_CREAT | O_RDWR, 0600, ATTR_FAULT, W_ERR(EFAULT));
	OPEN(c, "/", O_CREAT | O_RDWR, 0600, ATTR_FAULT, W_ERR(EFAULT));
	OPEN(c, n256, O_CREAT | O_RDWR, 0600, ATTR_FAULT, W_ERR(EFAULT));
	/* glibc's check of the '/' comes first. */
	OPEN(c, "e", O_CREAT | O_RDWR, 0600, ATTR_FAULT, W_ERR(EINVAL));
	/* Without O_CREAT glibc does not pass attr at all. */
	mqd_t d = OPEN(c, "/e", O_RDWR, 0600, ATTR_FAULT, W_SUCCESS);
	ATTR(c, d, 0, 2, 16, 0);
	OPEN(c, "/new", O_RDWR, 0600, ATTR_FAULT, W_ERR(ENOENT));
	CLOSE(c, d, W_RET(0));
	CLOSE(c, q, W_RET(0));
}

/* ---- mq_open: which errno wins (B3, B4, B5) ------------------------------ */

static void order_user(struct ctx *c, void *arg)
{
	/* Root's "/o" is 0600: the access mode is looked at first. */
	OPEN2(c, "/o", O_ACCMODE, W_ERR(EINVAL));
	OPEN(c, "/o", O_CREAT | O_ACCMODE, 0666, AT(0, 0), W_ERR(EINVAL));
	OPEN2(c, "/o", O_RDONLY, W_ERR(EACCES));
	OPEN(c, "/o", O_CREAT | O_WRONLY, 0666, AT(-1, -1), W_ERR(EACCES));
	OPEN(c, "/o", O_CREAT | O_EXCL | O_RDONLY, 0666, AT(0, 0),
	     W_ERR(EEXIST));
	UNLINK(c, "/o", W_ERR(EACCES));
	UNLINK(c, "/missing", W_ERR(ENOENT));
	/* A creator gets its access even with mode 0. */
	mqd_t u = OPEN(c, "/u0", O_CREAT | O_EXCL | O_RDWR, 0, AT(2, 8),
		       W_SUCCESS);
	SEND(c, u, 8, 3, 8, W_RET(0));
	RECV_GOT(c, u, 8, 8, 3, 8);
	OPEN2(c, "/u0", O_RDONLY, W_ERR(EACCES));
	OPEN2(c, "/u0", O_ACCMODE, W_ERR(EINVAL));
	UNLINK(c, "/u0", W_RET(0));
	CLOSE(c, u, W_RET(0));
}

PDIFF_CASE(open_errno_order)
{
	static char n255[300], n256[300];

	need_uid_switch();
	long_name(n255, 255, 'o');
	long_name(n256, 256, 'o');
	mqd_t q = OPEN(c, "/o", O_CREAT | O_RDWR, 0600, AT(2, 16), W_SUCCESS);
	/* Missing: ENOENT without O_CREAT, whatever else is wrong. */
	OPEN2(c, "/m", O_ACCMODE, W_ERR(ENOENT));
	OPEN(c, "/m", O_ACCMODE | O_EXCL, 0600, AT(0, 0), W_ERR(ENOENT));
	OPEN(c, "/m", O_CREAT | O_ACCMODE, 0600, AT(0, 16), W_ERR(EINVAL));
	OPEN(c, "/m", O_CREAT | O_EXCL | O_RDWR, 0600, AT(11, 16),
	     W_ERR(EINVAL));
	OPEN2(c, "/m", O_RDWR, W_ERR(ENOENT));
	/* Existing: EEXIST before the access mode and the attributes. */
	OPEN(c, "/o", O_CREAT | O_EXCL | O_ACCMODE, 0600, AT(0, 0),
	     W_ERR(EEXIST));
	OPEN(c, "/o", O_CREAT | O_ACCMODE, 0600, AT(0, 0), W_ERR(EINVAL));
	/* The name before everything the kernel decides after it. */
	OPEN(c, n256, O_CREAT | O_ACCMODE, 0600, AT(0, 0),
	     W_ERR(ENAMETOOLONG));
	OPEN(c, "/a/b", O_CREAT | O_EXCL | O_RDWR, 0600, AT(0, 0),
	     W_ERR(EACCES));
	OPEN(c, "//x", O_CREAT | O_RDWR, 0600, AT(0, 0), W_ERR(EACCES));
	OPEN(c, "/x/", O_CREAT | O_RDWR, 0600, AT(2, 16), W_ERR(EACCES));
	OPEN(c, "/", O_CREAT | O_EXCL | O_RDWR, 0600, AT(0, 0),
	     W_ERR(ENOENT));
	OPEN(c, "x", O_CREAT | O_RDWR, 0600, ATTR_FAULT, W_ERR(EINVAL));
	UNLINK(c, "//x", W_ERR(EACCES));
	UNLINK(c, "x", W_ERR(EINVAL));
	UNLINK(c, n255, W_ERR(ENOENT));
	mqd_t l = OPEN(c, n255, O_CREAT | O_EXCL | O_ACCMODE, 0600, AT(1, 1),
		       W_SUCCESS);
	OPEN2(c, n255, O_ACCMODE, W_ERR(EINVAL));
	UNLINK(c, n255, W_RET(0));
	CHILD(c, USER(USER_UID), order_user, NULL);
	CLOSE(c, l, W_RET(0));
	CLOSE(c, q, W_RET(0));
}

/* ---- Names: a '/' inside before the length (B3, B4.5) -------------------- */

PDIFF_CASE(name_checks_order)
{
	static char n[5000];

	long_name(n, 300, 'a');
	n[150] = '/';
	OPEN(c, n, O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EACCES));
	OPEN2(c, n, O_RDWR, W_ERR(EACCES));
	UNLINK(c, n, W_ERR(EACCES));
	long_name(n, 256, 'b');
	n[256] = '/';
	OPEN(c, n, O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EACCES));
	UNLINK(c, n, W_ERR(EACCES));
	long_name(n, 256, 'c');
	n[1] = '/';		/* "//ccc...": 256 after the first '/' */
	OPEN2(c, n, O_RDWR, W_ERR(EACCES));
	/* Too long for a path at all: refused when it is copied. */
	long_name(n, 4200, 'd');
	n[10] = '/';
	OPEN(c, n, O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(ENAMETOOLONG));
	UNLINK(c, n, W_ERR(ENAMETOOLONG));
	/* 4095 bytes with the '/': 4094 reach the kernel, it may copy them. */
	long_name(n, 4094, 'e');
	n[10] = '/';
	OPEN2(c, n, O_RDWR, W_ERR(EACCES));
	n[10] = 'e';
	OPEN2(c, n, O_RDWR, W_ERR(ENAMETOOLONG));
	/* ".." and "." only as whole names; longer dotted names are names. */
	mqd_t d = OPEN(c, "/..a", O_CREAT | O_EXCL | O_RDWR, 0600, AT(1, 1),
		       W_SUCCESS);
	CLOSE(c, d, W_RET(0));
	UNLINK(c, "/..a", W_RET(0));
	OPEN(c, "/./", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EACCES));
	OPEN(c, "/../x", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EACCES));
}

/* ---- O_CREAT / O_EXCL in sequence (B4.6, B4.7, B7) ----------------------- */

PDIFF_CASE(create_excl_sequence)
{
	mqd_t a = OPEN(c, "/x", O_CREAT | O_EXCL | O_RDWR, 0600, AT(2, 16),
		       W_SUCCESS);
	OPEN(c, "/x", O_CREAT | O_EXCL | O_RDWR, 0600, AT(2, 16),
	     W_ERR(EEXIST));
	mqd_t b = OPEN(c, "/x", O_CREAT | O_RDWR, 0600, AT(5, 50), W_SUCCESS);
	ATTR(c, b, 0, 2, 16, 0);
	SEND(c, a, 16, 9, 1, W_RET(0));
	UNLINK(c, "/x", W_RET(0));
	mqd_t n = OPEN(c, "/x", O_CREAT | O_EXCL | O_RDONLY, 0600, AT(3, 32),
		       W_SUCCESS);
	ATTR(c, n, 0, 3, 32, 0);
	ATTR(c, a, 0, 2, 16, 1);
	ATTR(c, b, 0, 2, 16, 1);
	SEND(c, n, 1, 0, 2, W_ERR(EBADF));
	mqd_t w = OPEN(c, "/x", O_CREAT | O_WRONLY | NB, 0600, AT(1, 1),
		       W_SUCCESS);
	ATTR(c, w, NB, 3, 32, 0);
	SEND(c, w, 32, 1, 3, W_RET(0));
	SEND(c, w, 33, 1, 4, W_ERR(EMSGSIZE));
	RECV_GOT(c, n, 32, 32, 1, 3);
	RECV_GOT(c, b, 16, 16, 9, 1);
	UNLINK(c, "/x", W_RET(0));
	UNLINK(c, "/x", W_ERR(ENOENT));
	OPEN(c, "/x", O_EXCL | O_RDWR, 0600, AT(1, 1), W_ERR(ENOENT));
	mqd_t t[] = { a, b, n, w };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CLOSE(c, t[i], W_RET(0));
}

/* ---- Long arguments: all 64 bits count (B5, B8, B9, B12) ----------------- */

PDIFF_CASE(long_args)
{
	mqd_t q = OPEN(c, "/l", O_CREAT | O_RDWR, 0600, AT(2, 16), W_SUCCESS);

	/* mq_maxmsg and mq_msgsize are compared as longs. */
	OPEN(c, "/m", O_CREAT | O_RDWR, 0600, AT(HI32 | 2, 16), W_ERR(EINVAL));
	OPEN(c, "/m", O_CREAT | O_RDWR, 0600, AT(2, HI32 | 16), W_ERR(EINVAL));
	OPEN(c, "/m", O_CREAT | O_RDWR, 0600, AT(HI32, 16), W_ERR(EINVAL));
	OPEN(c, "/m", O_CREAT | O_RDWR, 0600, AT(2, -HI32 + 16),
	     W_ERR(EINVAL));
	OPEN2(c, "/m", O_RDWR, W_ERR(ENOENT));
	/* A length is a size_t. */
	SEND(c, q, (size_t)HI32 | 1, 0, 1, W_ERR(EMSGSIZE));
	SEND(c, q, (size_t)HI32, 0, 1, W_ERR(EMSGSIZE));
	ATTR(c, q, 0, 2, 16, 0);
	SEND(c, q, 5, 7, 2, W_RET(0));
	RECV(c, q, (size_t)HI32 | 1, W_RET(5), M(7, 2));
	SEND(c, q, 6, 8, 3, W_RET(0));
	RECV(c, q, SIZE_MAX, W_RET(6), M(8, 3));
	SEND(c, q, 0, 9, 0, W_RET(0));
	RECV(c, q, (size_t)HI32, W_RET(0), M(9, TAG_NONE));
	/* mq_flags is a long too. */
	SETATTR(c, q, HI32 | NB, W_ERR(EINVAL), A_ANY);
	SETATTR(c, q, HI32, W_ERR(EINVAL), A_ANY);
	SETATTR(c, q, (long)INT_MIN, W_ERR(EINVAL), A_ANY);
	ATTR(c, q, 0, 2, 16, 0);
	CLOSE(c, q, W_RET(0));
}

/* ---- Sizes, priorities and deadlines at their ends (B2, B8, B9) ---------- */

PDIFF_CASE(bounds)
{
	const struct timespec far = { LONG_MAX, 999999999 };
	const struct timespec last_ns = { 0, 999999999 }, zero = { 0, 0 };
	mqd_t q = OPEN(c, "/b", O_CREAT | O_RDWR, 0600, AT(2, 16), W_SUCCESS);

	SEND(c, q, 16, 32767, 1, W_RET(0));
	SEND(c, q, 16, 32768, 2, W_ERR(EINVAL));
	SEND(c, q, 17, 32768, 2, W_ERR(EINVAL));
	SEND(c, q, 17, 32767, 2, W_ERR(EMSGSIZE));
	TSEND(c, q, 0, 0, 0, &far, W_RET(0));
	/* Full now: a valid past deadline times out, the far one is valid. */
	TSEND(c, q, 1, 0, 3, &last_ns, W_ERR(ETIMEDOUT));
	TSEND(c, q, 1, 0, 3, &zero, W_ERR(ETIMEDOUT));
	TSEND(c, q, 17, 0, 3, &zero, W_ERR(EMSGSIZE));
	TSEND(c, q, 1, 32768, 3, &zero, W_ERR(EINVAL));
	ATTR(c, q, 0, 2, 16, 2);
	RECV(c, q, 15, W_ERR(EMSGSIZE), M_ANY);
	TRECV(c, q, 16, &zero, W_RET(16), M(32767, 1));
	TRECV(c, q, 16, &far, W_RET(0), M(0, TAG_NONE));
	TRECV(c, q, 16, &last_ns, W_ERR(ETIMEDOUT), M_ANY);
	TRECV(c, q, 15, &last_ns, W_ERR(EMSGSIZE), M_ANY);
	SETATTR(c, q, NB, W_RET(0), A(0, 2, 16, 0));
	TRECV(c, q, 16, &far, W_ERR(EAGAIN), M_ANY);
	TRECV(c, q, 16, &zero, W_ERR(EAGAIN), M_ANY);
	/* maxmsg 1 and msgsize 1 are the smallest queue. */
	mqd_t s = OPEN(c, "/s", O_CREAT | O_RDWR | NB, 0600, AT(1, 1),
		       W_SUCCESS);
	SEND(c, s, 1, 0, 4, W_RET(0));
	SEND(c, s, 0, 0, 5, W_ERR(EAGAIN));
	RECV(c, s, 0, W_ERR(EMSGSIZE), M_ANY);
	RECV_GOT(c, s, 1, 1, 0, 4);
	CLOSE(c, s, W_RET(0));
	CLOSE(c, q, W_RET(0));
}

/* ---- Hard limits of the attributes (B2, B5, B13) ------------------------- */

static void hard_user(struct ctx *c, void *arg)
{
	/* Valid but more than the default RLIMIT_MSGQUEUE: EMFILE. */
	OPEN(c, "/h", O_CREAT | O_RDWR, 0600, AT(65536, 1), W_ERR(EMFILE));
	OPEN(c, "/h", O_CREAT | O_RDWR, 0600, AT(1, 16777216), W_ERR(EMFILE));
	OPEN(c, "/h", O_CREAT | O_RDWR, 0600, AT(65537, 1), W_ERR(EINVAL));
	OPEN(c, "/h", O_CREAT | O_RDWR, 0600, AT(1, 16777217), W_ERR(EINVAL));
	/* 8000 * (96 + 6) = 816000 fits in 819200. */
	mqd_t d = OPEN(c, "/h", O_CREAT | O_RDWR, 0600, AT(8000, 6),
		       W_SUCCESS);
	ATTR(c, d, 0, 8000, 6, 0);
	OPEN(c, "/h2", O_CREAT | O_RDWR, 0600, AT(33, 1), W_ERR(EMFILE));
	mqd_t e = OPEN(c, "/h2", O_CREAT | O_RDWR, 0600, AT(32, 1), W_SUCCESS);
	CLOSE(c, e, W_RET(0));
	UNLINK(c, "/h2", W_RET(0));
	CLOSE(c, d, W_RET(0));
	UNLINK(c, "/h", W_RET(0));
}

PDIFF_CASE(attr_hard_limits)
{
	need_uid_switch();
	LIMIT(c, "msg_max", 65536, W_RET(0));
	LIMIT(c, "msgsize_max", 16777216, W_RET(0));
	CHILD(c, USER(RL_UID), hard_user, NULL);
}

/* ---- mq_setattr with one struct for both (B12) --------------------------- */

/* mq_setattr(d, &a, &a) with a.mq_flags = flags: a must get the old state. */
static long d_setattr_same(struct ctx *c, int line, const char *dn, mqd_t d,
			   long flags, struct wattr old)
{
	struct mq_attr a = { .mq_flags = flags, .mq_maxmsg = 99,
			     .mq_msgsize = 99, .mq_curmsgs = 99 };
	struct pev *e = ev_begin(c, line, "mq_setattr(%s, &a, &a), a.mq_flags "
				 "%#lo", dn, flags);

	errno = 0;
	int r = c->b->setattr(d, &a, &a);
	ev_result(e, r, errno);
	if (r != -1) {
		e->kind = K_OLD;
		attr_fields(e->f, &a);
		attr_want(e, old);
	}
	ev_end(c, e, W_RET(0));
	return r;
}
#define SETATTR_SAME(c, d, fl, old) d_setattr_same(c, __LINE__, #d, d, fl, old)

PDIFF_CASE(setattr_aliased)
{
	mqd_t q = OPEN(c, "/a", O_CREAT | O_RDWR, 0600, AT(3, 12), W_SUCCESS);

	SEND(c, q, 2, 1, 1, W_RET(0));
	SETATTR_SAME(c, q, NB, A(0, 3, 12, 1));
	ATTR(c, q, NB, 3, 12, 1);
	SETATTR_SAME(c, q, NB, A(NB, 3, 12, 1));
	SETATTR_SAME(c, q, 0, A(NB, 3, 12, 1));
	ATTR(c, q, 0, 3, 12, 1);
	SETATTR_SAME(c, q, 0, A(0, 3, 12, 1));
	CLOSE(c, q, W_RET(0));
}

/* ---- O_DIRECT: refused when the file is opened (B4.8) -------------------- */

static void direct_user(struct ctx *c, void *arg)
{
	/* The access check comes before the open. */
	OPEN2(c, "/d", O_RDWR | O_DIRECT, W_ERR(EACCES));
	OPEN2(c, "/d", O_ACCMODE | O_DIRECT, W_ERR(EINVAL));
	OPEN2(c, "/r", O_RDONLY | O_DIRECT, W_ERR(EINVAL));
}

/* Being fixed in umq as this is written: may fail until then. */
PDIFF_CASE(open_direct_order)
{
	need_uid_switch();
	mqd_t q = OPEN(c, "/d", O_CREAT | O_RDWR, 0600, AT(2, 16), W_SUCCESS);
	mqd_t r = OPEN(c, "/r", O_CREAT | O_RDWR, 0644, AT(2, 16), W_SUCCESS);
	OPEN(c, "/d", O_CREAT | O_EXCL | O_RDWR | O_DIRECT, 0600, NULL,
	     W_ERR(EEXIST));
	OPEN(c, "/n", O_CREAT | O_RDWR | O_DIRECT, 0600, AT(0, 16),
	     W_ERR(EINVAL));
	OPEN2(c, "/n", O_RDWR, W_ERR(ENOENT));
	CHILD(c, USER(USER_UID), direct_user, NULL);
	/* Created, then refused: the queue stays, with its attributes. */
	LIMIT(c, "queues_max", 3, W_RET(0));
	OPEN(c, "/n", O_CREAT | O_EXCL | O_WRONLY | O_DIRECT, 0600, AT(3, 5),
	     W_ERR(EINVAL));
	mqd_t n = OPEN2(c, "/n", O_RDONLY, W_SUCCESS);
	ATTR(c, n, 0, 3, 5, 0);
	OPEN(c, "/o", O_CREAT | O_RDWR | O_DIRECT, 0600, AT(1, 1),
	     W_ERR(ENOSPC));
	UNLINK(c, "/n", W_RET(0));
	CLOSE(c, n, W_RET(0));
	CLOSE(c, r, W_RET(0));
	CLOSE(c, q, W_RET(0));
}

/* O_PATH: the kernel gives a descriptor that mq_* refuse with EBADF,
 * after the same checks, and one made with O_CREAT leaves its queue. */
PDIFF_CASE(open_path)
{
	mqd_t q = OPEN(c, "/p", O_CREAT | O_RDWR, 0600, AT(2, 16), W_SUCCESS);
	mqd_t p = OPEN2(c, "/p", O_RDWR | O_PATH, W_SUCCESS);

	CLOEXEC(c, p);
	SEND(c, p, 1, 0, 1, W_ERR(EBADF));
	GETATTR(c, p, W_ERR(EBADF));
	CLOSE(c, p, W_RET(0));
	OPEN2(c, "/p", O_ACCMODE | O_PATH, W_ERR(EINVAL));
	OPEN2(c, "/none", O_RDONLY | O_PATH, W_ERR(ENOENT));
	p = OPEN2(c, "/p", O_RDONLY | O_PATH | O_DIRECT, W_SUCCESS);
	CLOSE(c, p, W_RET(0));
	p = OPEN(c, "/p2", O_CREAT | O_RDWR | O_PATH, 0600, AT(2, 16),
		 W_SUCCESS);
	CLOSE(c, p, W_RET(0));
	OPEN(c, "/p2", O_CREAT | O_EXCL | O_RDWR, 0600, NULL, W_ERR(EEXIST));
	UNLINK(c, "/p2", W_RET(0));
	CLOSE(c, q, W_RET(0));
	UNLINK(c, "/p", W_RET(0));
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
