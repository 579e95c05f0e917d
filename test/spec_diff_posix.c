/* SPDX-License-Identifier: MIT */
/*
 * spec_diff_posix.c - POSIX message queues, umq against the kernel: what
 * the kernel-semantics spec (part B) states and posix_diff.c does not
 * compare.  Written from the spec alone, by someone who did not write
 * the library: which errno wins when several apply, the flags mq_open
 * must ignore, long arguments whose high bits a 32-bit copy would lose,
 * a bad attr pointer, aliased mq_setattr arguments, boundaries of the
 * sizes, priorities and timeouts.
 *
 * Same machinery as posix_diff.c (pdiff.h, trace.h): each case runs on
 * the kernel, in a private IPC namespace, and on umq, and every step must
 * meet the spec on both and agree between them.  Linked with libumq.so,
 * as programs load it.  Cases for differences docs/DESIGN.md already
 * lists are built with -DSPEC_KNOWN_DIFFS only.
 *
 *   build/test/spec_diff_posix [case ...]
 *   UMQ_TRACE=1 build/test/spec_diff_posix case	both traces in full
 */
/* pdiff.h's helpers are static, for each program: some are unused here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "pdiff.h"

#include <grp.h>
#include <pthread.h>
#include <sys/fsuid.h>

#define NB O_NONBLOCK
#define AT(mx, sz) (&(struct mq_attr){ .mq_maxmsg = (mx), .mq_msgsize = (sz) })
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

/* ---- RLIMIT_MSGQUEUE is charged to the real uid (B13) -------------------- */

#define RUID 4260	/* this case's real uid, charged */

/* Become ruid with effective (and fs) uid euid, limit 97 bytes. */
static void become_split(struct ctx *c, uid_t ruid, uid_t euid)
{
	struct rlimit rl;

	CHK(c, setgroups(0, NULL) || setresgid(euid, euid, euid) ||
	       setresuid(ruid, euid, euid), 0);
	getrlimit(RLIMIT_MSGQUEUE, &rl);
	rl.rlim_cur = 97;
	CHK(c, setrlimit(RLIMIT_MSGQUEUE, &rl), 0);
}

static void split_a(struct ctx *c, void *arg)
{
	become_split(c, RUID, RUID + 1);
	mqd_t d = OPEN(c, "/ra", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	OPEN(c, "/rb", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	CLOSE(c, d, W_RET(0));
}

static void split_b(struct ctx *c, void *arg)
{
	/*
	 * The real uid itself: the same account, although the queue is
	 * owned by the other uid (0600) and this one may not open it.
	 */
	become_split(c, RUID, RUID);
	OPEN2(c, "/ra", O_RDWR, W_ERR(EACCES));
	OPEN(c, "/rc", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	OPEN(c, "/rc", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
}

static void split_c(struct ctx *c, void *arg)
{
	/* The first one's effective uid, another real one: a new account. */
	become_split(c, RUID + 3, RUID + 1);
	mqd_t d = OPEN(c, "/rd", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	mqd_t a = OPEN2(c, "/ra", O_RDWR, W_SUCCESS);
	OPEN(c, "/re", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	/* The owner (euid) unlinks; the charge goes with the last close. */
	UNLINK(c, "/ra", W_RET(0));
	CLOSE(c, a, W_RET(0));
	CLOSE(c, d, W_RET(0));
}

static void split_d(struct ctx *c, void *arg)
{
	become_split(c, RUID, RUID + 2);
	mqd_t d = OPEN(c, "/rf", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	CLOSE(c, d, W_RET(0));
	UNLINK(c, "/rf", W_RET(0));
}

PDIFF_CASE(rlimit_real_uid)
{
	need_uid_switch();
	CHILD(c, SAME_USER, split_a, NULL);
	CHILD(c, SAME_USER, split_b, NULL);
	CHILD(c, SAME_USER, split_c, NULL);
	CHILD(c, SAME_USER, split_d, NULL);
	UNLINK(c, "/rd", W_RET(0));
}

static void exit_a(struct ctx *c, void *arg)
{
	become_split(c, RUID + 10, RUID + 10);
	mqd_t d = OPEN(c, "/xa", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	OPEN(c, "/xb", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	CLOSE(c, d, W_RET(0));
	OPEN(c, "/xb", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
}

static void exit_b(struct ctx *c, void *arg)
{
	/* The same user, later: the queue still exists, so does its charge. */
	become_split(c, RUID + 10, RUID + 10);
	OPEN(c, "/xb", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	UNLINK(c, "/xa", W_RET(0));
	mqd_t d = OPEN(c, "/xb", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	CLOSE(c, d, W_RET(0));
	UNLINK(c, "/xb", W_RET(0));
}

/* A queue's charge outlives the process that created it. */
PDIFF_CASE(rlimit_after_exit)
{
	need_uid_switch();
	CHILD(c, SAME_USER, exit_a, NULL);
	CHILD(c, SAME_USER, exit_b, NULL);
}

static void mode0_user(struct ctx *c, void *arg)
{
	/* Queues of mode 0: their creator may not open them again. */
	become_split(c, RUID + 20, RUID + 20);
	mqd_t a = OPEN(c, "/z1", O_CREAT | O_RDWR, 0, AT(1, 1), W_SUCCESS);
	CLOSE(c, a, W_RET(0));
	OPEN2(c, "/z1", O_RDONLY, W_ERR(EACCES));
	/* Still charged: 97 of 97. */
	OPEN(c, "/z2", O_CREAT | O_RDWR, 0, AT(1, 1), W_ERR(EMFILE));
	OPEN(c, "/z2", O_CREAT | O_RDWR, 0, AT(1, 1), W_ERR(EMFILE));
	UNLINK(c, "/z1", W_RET(0));
	a = OPEN(c, "/z2", O_CREAT | O_RDWR, 0, AT(1, 1), W_SUCCESS);
	CLOSE(c, a, W_RET(0));
	UNLINK(c, "/z2", W_RET(0));
}

/* The charge of a queue its creator cannot open counts all the same. */
PDIFF_CASE(rlimit_mode0)
{
	need_uid_switch();
	CHILD(c, SAME_USER, mode0_user, NULL);
}

/* ---- Split credentials: the fs ids are the owner's (B4.6, B4.7, B7) ------ */

#define SPLIT_R 4320	/* real and fs uid; the effective one is +1 */
#define SPLIT_G 5020	/* real and fs gid; the effective one is +1 */

static void split_creator(struct ctx *c, void *arg)
{
	CHK(c, setgroups(0, NULL) ||
	       setresgid(SPLIT_G, SPLIT_G + 1, SPLIT_G + 1) ||
	       setresuid(SPLIT_R, SPLIT_R + 1, SPLIT_R + 1), 0);
	setfsgid(SPLIT_G);
	setfsuid(SPLIT_R);
	CHK(c, (int)setfsuid(-1), SPLIT_R);
	mqd_t d = OPEN(c, "/sc", O_CREAT | O_RDWR, 0640, AT(2, 16), W_SUCCESS);
	FSTAT(c, d, 0640, SPLIT_R, SPLIT_G);
	SEND(c, d, 3, 1, 1, W_RET(0));
	CLOSE(c, d, W_RET(0));
	/* Opening: the fs uid decides (the euid's queue is 0600). */
	OPEN2(c, "/e", O_RDONLY, W_ERR(EACCES));
	d = OPEN2(c, "/sc", O_RDWR, W_SUCCESS);
	SEND(c, d, 3, 2, 2, W_RET(0));
	CLOSE(c, d, W_RET(0));
	UNLINK(c, "/e", W_ERR(EACCES));
}

static void split_euid(struct ctx *c, void *arg)
{
	/* Plain SPLIT_R + 1: another user to "/sc". */
	mqd_t e = OPEN(c, "/e", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	CLOSE(c, e, W_RET(0));
}

static void split_euid2(struct ctx *c, void *arg)
{
	/* Plain SPLIT_R + 1, the creator's euid: another user to "/sc". */
	OPEN2(c, "/sc", O_RDONLY, W_ERR(EACCES));
	UNLINK(c, "/sc", W_ERR(EACCES));
}

static void split_fsuid(struct ctx *c, void *arg)
{
	/* Plain SPLIT_R owns it. */
	mqd_t d = OPEN2(c, "/sc", O_RDWR, W_SUCCESS);
	RECV_GOT(c, d, 16, 3, 1, 1);
	CLOSE(c, d, W_RET(0));
	UNLINK(c, "/sc", W_RET(0));
}

static void split_group(struct ctx *c, void *arg)
{
	/* In the creator's fs gid: the group class (read). */
	mqd_t d = OPEN2(c, "/sc", O_RDONLY, W_SUCCESS);
	RECV_GOT(c, d, 16, 3, 2, 2);
	CLOSE(c, d, W_RET(0));
	OPEN2(c, "/sc", O_WRONLY, W_ERR(EACCES));
}

PDIFF_CASE(split_credentials)
{
	static const struct who fsgid = { 4330, SPLIT_G, 0, { 0 } };

	need_uid_switch();
	CHILD(c, USER(SPLIT_R + 1), split_euid, NULL);
	CHILD(c, SAME_USER, split_creator, NULL);
	mqd_t d = OPEN2(c, "/sc", O_RDONLY, W_SUCCESS);
	ATTR(c, d, 0, 2, 16, 2);
	CLOSE(c, d, W_RET(0));
	CHILD(c, USER(SPLIT_R + 1), split_euid2, NULL);
	CHILD(c, fsgid, split_group, NULL);
	CHILD(c, USER(SPLIT_R), split_fsuid, NULL);
	UNLINK(c, "/e", W_RET(0));
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

/* ---- Blocked calls (B8, B9, B7) ------------------------------------------ */

PDIFF_CASE(blocked_calls)
{
	mqd_t q = OPEN(c, "/bs", O_CREAT | O_RDWR, 0600, AT(2, 16), W_SUCCESS);
	struct timespec soon, later;
	pid_t p;

	/* A blocked sender's message goes in at its priority's place. */
	SEND(c, q, 4, 1, 1, W_RET(0));
	SEND(c, q, 4, 3, 2, W_RET(0));
	p = BG_SEND(c, q, 5, 2, 3, W_RET(0));
	RECV_GOT(c, q, 16, 4, 3, 2);
	bg_wait(p);
	ATTR(c, q, 0, 2, 16, 2);
	RECV_GOT(c, q, 16, 5, 2, 3);
	RECV_GOT(c, q, 16, 4, 1, 1);
	/* A deadline that passes: ETIMEDOUT, the text discarded. */
	SEND(c, q, 1, 0, 4, W_RET(0));
	SEND(c, q, 1, 0, 5, W_RET(0));
	soon = in_ms(200);
	p = BG_TSEND(c, q, 1, 7, 6, &soon, W_ERR(ETIMEDOUT));
	bg_wait(p);
	ATTR(c, q, 0, 2, 16, 2);
	RECV_GOT(c, q, 16, 1, 0, 4);
	RECV_GOT(c, q, 16, 1, 0, 5);
	/* A timed receive handed a message before its deadline. */
	later = in_ms(5000);
	p = BG_TRECV(c, q, 16, &later, W_RET(3), M(9, 7));
	SEND(c, q, 3, 9, 7, W_RET(0));
	bg_wait(p);
	ATTR(c, q, 0, 2, 16, 0);
	soon = in_ms(200);
	p = BG_TRECV(c, q, 16, &soon, W_ERR(ETIMEDOUT), M_ANY);
	bg_wait(p);
	/* Unlinked under a blocked receiver: it waits on, on the old queue. */
	p = BG_RECV(c, q, 16, W_RET(2), M(4, 8));
	UNLINK(c, "/bs", W_RET(0));
	OPEN2(c, "/bs", O_RDWR, W_ERR(ENOENT));
	mqd_t n = OPEN(c, "/bs", O_CREAT | O_EXCL | O_RDWR, 0600, AT(1, 1),
		       W_SUCCESS);
	SEND(c, n, 1, 0, 9, W_RET(0));
	ATTR(c, q, 0, 2, 16, 0);
	SEND(c, q, 2, 4, 8, W_RET(0));
	bg_wait(p);
	ATTR(c, q, 0, 2, 16, 0);
	RECV_GOT(c, n, 1, 1, 0, 9);
	CLOSE(c, n, W_RET(0));
	CLOSE(c, q, W_RET(0));
}

/* ---- Notification owners: processes that exit, threads (B10) ------------ */

static void notify_exit_child(struct ctx *c, void *arg)
{
	mqd_t q = *(mqd_t *)arg;

	/* Registered on the inherited descriptor, then exits. */
	NOTIFY(c, q, SIGEV_NONE, 0, W_RET(0));
	STATUS(c, q, 0, SIGEV_NONE, 0, c->tr->nroles);
}

static void notify_exit_child2(struct ctx *c, void *arg)
{
	/* Its own descriptor, never closed but by the exit. */
	mqd_t d = OPEN2(c, "/ne", O_RDONLY, W_SUCCESS);

	NOTIFY(c, d, SIGEV_SIGNAL, SIGUSR1, W_RET(0));
	STATUS(c, d, 0, SIGEV_SIGNAL, SIGUSR1, c->tr->nroles);
}

PDIFF_CASE(notify_owner_exit)
{
	mqd_t q = OPEN(c, "/ne", O_CREAT | O_RDWR, 0600, AT(2, 16), W_SUCCESS);

	CHILD(c, SAME_USER, notify_exit_child, &q);
	STATUS(c, q, 0, 0, 0, 0);
	NOTIFY(c, q, SIGEV_NONE, 0, W_RET(0));
	STATUS(c, q, 0, SIGEV_NONE, 0, SELF);
	NOTIFY_NULL(c, q, W_RET(0));
	CHILD(c, SAME_USER, notify_exit_child2, NULL);
	STATUS(c, q, 0, 0, 0, 0);
	SEND(c, q, 1, 0, 1, W_RET(0));
	STATUS(c, q, 1, 0, 0, 0);
	RECV_GOT(c, q, 16, 1, 0, 1);
	NOTIFY(c, q, SIGEV_SIGNAL, SIGUSR2, W_RET(0));
	SEND(c, q, 1, 0, 2, W_RET(0));
	SIGWAIT(c, 2000, SIGUSR2, SI_MESGQ, SELF, 0, 42);
	CLOSE(c, q, W_RET(0));
}

struct in_thread {
	struct ctx *c;
	mqd_t q;
	void (*fn)(struct ctx *c, mqd_t q);
};

static void *thread_main(void *arg)
{
	struct in_thread *t = arg;

	t->fn(t->c, t->q);
	return NULL;
}

/* fn(c, q) in another thread of the process (which waits for it). */
static void in_thread(struct ctx *c, mqd_t q, void (*fn)(struct ctx *, mqd_t))
{
	struct in_thread t = { c, q, fn };
	pthread_t th;

	if (pthread_create(&th, NULL, thread_main, &t))
		T_FAIL("pthread_create");
	pthread_join(th, NULL);
}

static void thread_register(struct ctx *c, mqd_t q)
{
	NOTIFY(c, q, SIGEV_NONE, 0, W_RET(0));
}

static void thread_register_sig(struct ctx *c, mqd_t q)
{
	NOTIFY(c, q, SIGEV_SIGNAL, SIGUSR2, W_RET(0));
}

static void thread_close_dup(struct ctx *c, mqd_t q)
{
	mqd_t d = dup(q);

	CHK(c, d >= 0, 1);
	CLOSE(c, d, W_RET(0));
}

static void thread_null(struct ctx *c, mqd_t q)
{
	NOTIFY_NULL(c, q, W_RET(0));
}

/* The owner is the process: any of its threads acts for it. */
PDIFF_CASE(notify_threads)
{
	mqd_t q = OPEN(c, "/nt", O_CREAT | O_RDWR, 0600, AT(2, 16), W_SUCCESS);

	in_thread(c, q, thread_register);
	STATUS(c, q, 0, SIGEV_NONE, 0, SELF);
	NOTIFY(c, q, SIGEV_NONE, 0, W_ERR(EBUSY));
	NOTIFY_NULL(c, q, W_RET(0));
	STATUS(c, q, 0, 0, 0, 0);
	NOTIFY(c, q, SIGEV_NONE, 0, W_RET(0));
	in_thread(c, q, thread_null);
	STATUS(c, q, 0, 0, 0, 0);
	in_thread(c, q, thread_register_sig);
	in_thread(c, q, thread_close_dup);
	STATUS(c, q, 0, 0, 0, 0);
	in_thread(c, q, thread_register_sig);
	SEND(c, q, 3, 0, 1, W_RET(0));
	SIGWAIT(c, 2000, SIGUSR2, SI_MESGQ, SELF, 0, 42);
	STATUS(c, q, 3, 0, 0, 0);
	CLOSE(c, q, W_RET(0));
}

#ifdef SPEC_KNOWN_DIFFS
/* O_PATH: the kernel gives a descriptor that mq_* refuse with EBADF. */
PDIFF_CASE(open_path)
{
	mqd_t q = OPEN(c, "/p", O_CREAT | O_RDWR, 0600, AT(2, 16), W_SUCCESS);
	mqd_t p = OPEN2(c, "/p", O_RDWR | O_PATH, W_SUCCESS);

	SEND(c, p, 1, 0, 1, W_ERR(EBADF));
	GETATTR(c, p, W_ERR(EBADF));
	CLOSE(c, p, W_RET(0));
	CLOSE(c, q, W_RET(0));
}
#endif

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
