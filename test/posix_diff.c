/* SPDX-License-Identifier: MIT */
/*
 * posix_diff.c - POSIX message queues: umq against the kernel.
 *
 * Every case is a scenario run on both backends (see pdiff.h).  Each step
 * must give what the kernel-semantics spec (part B, part C items 19-32)
 * predicts, on the kernel as on umq, and the two traces must agree on
 * every return value, errno, message received, struct mq_attr, status
 * line (pids by the role of the process) and notification signal.  Cases
 * need a private kernel IPC namespace (root) and skip without one.
 *
 *   build/test/posix_diff [case ...]	after make build/test/posix_diff
 *   UMQ_SEED=n build/test/posix_diff random_env_seed random_queue_env_seed
 *   UMQ_TRACE=1 build/test/posix_diff case	prints both traces in full
 *
 * To check the scenarios against the kernel alone, without libumq:
 *   gcc -D_GNU_SOURCE -DKERNEL_ONLY -Iinclude -std=gnu11 -pthread \
 *	-o /tmp/posix_diff test/posix_diff.c test/t.c test/trace.c
 *
 * Not compared, as accepted differences: POLLOUT readiness, read() and
 * write() on a umq descriptor (umq_mq_status stands in for read), and
 * notification signals across users; fstat of a umq descriptor when it is
 * not the queue's file (the mode is then checked by opening as another
 * user).  poll_readable_any_access and accmode3_lifetime check kernel
 * behaviour that umq's DESIGN.md lists among its differences: they are
 * cases of their own so that the rest stays meaningful either way.
 */
#include "pdiff.h"

#define DEF_MAX 10	/* defaults of a fresh namespace */
#define DEF_SIZE 8192
#define BADFD (-1)

static const struct timespec ts_past = { 1, 0 }, ts_epoch = { 0, 0 };
static const struct timespec ts_bad[] = {
	{ 0, -1 }, { 0, 1000000000 }, { -1, 0 }, { LONG_MIN, 0 },
	{ LONG_MAX, 1000000000 }, { 1, LONG_MIN },
};
#define NBAD (sizeof(ts_bad) / sizeof(ts_bad[0]))
#define TS_FAULT ((const struct timespec *)8)	/* first page: EFAULT */
#define P_FAULT ((char *)8)
#define PRIO_FAULT ((unsigned *)8)

/* Descriptors that are not queues: a pipe's ends and /dev/null. */
struct others {
	int rd, wr, null;
};

static void others_open(struct others *o)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		T_FAIL("pipe: %s", strerror(errno));
	o->rd = p[0];
	o->wr = p[1];
	o->null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (o->null < 0)
		T_FAIL("/dev/null: %s", strerror(errno));
}

static char *long_name(char *buf, int n, char ch)
{
	buf[0] = '/';
	memset(buf + 1, ch, n);
	buf[n + 1] = 0;
	return buf;
}

/* ---- Names (B3, B7) ------------------------------------------------------ */

static const char *const bad_names[] = { "/a/b", "//a", "/a/", "/.", "/.." };
static const char *const odd_names[] = {
	"/with space", "/new\nline", "/tab\there", "/...", "/.a", "/-",
	"/\xff\x01", "/a.", "/ ",
};
#define NODD (sizeof(odd_names) / sizeof(odd_names[0]))

PDIFF_CASE(names)
{
	static char n255[300], n256[300], nlong[5000];
	mqd_t q[NODD];

	long_name(n255, 255, 'a');
	long_name(n256, 256, 'b');
	long_name(nlong, 4200, 'c');
	/* glibc: the name must start with '/'. */
	OPEN(c, "abc", O_CREAT | O_RDWR, 0600, AT(2, 16), W_ERR(EINVAL));
	OPEN2(c, "abc", O_RDWR, W_ERR(EINVAL));
	OPEN(c, "", O_CREAT | O_RDWR, 0600, AT(2, 16), W_ERR(EINVAL));
	OPEN(c, " /x", O_CREAT | O_RDWR, 0600, AT(2, 16), W_ERR(EINVAL));
	/* The kernel is given an empty name. */
	OPEN2(c, "/", O_RDWR, W_ERR(ENOENT));
	OPEN(c, "/", O_CREAT | O_RDWR, 0600, AT(2, 16), W_ERR(ENOENT));
	OPEN(c, "/", O_CREAT | O_EXCL | O_RDWR, 0600, NULL, W_ERR(ENOENT));
	/* Not a name in the queues' flat directory. */
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		OPEN2(c, bad_names[i], O_RDWR, W_ERR(EACCES));
		OPEN(c, bad_names[i], O_CREAT | O_RDWR, 0600, AT(2, 16),
		     W_ERR(EACCES));
		UNLINK(c, bad_names[i], W_ERR(EACCES));
	}
	/* At most 255 bytes after the slash. */
	mqd_t l = OPEN(c, n255, O_CREAT | O_EXCL | O_RDWR, 0600, AT(2, 16),
		       W_SUCCESS);
	SEND(c, l, 3, 1, 7, W_RET(0));
	mqd_t l2 = OPEN2(c, n255, O_RDONLY, W_SUCCESS);
	ATTR(c, l2, 0, 2, 16, 1);
	OPEN(c, n256, O_CREAT | O_RDWR, 0600, AT(2, 16), W_ERR(ENAMETOOLONG));
	OPEN2(c, n256, O_RDWR, W_ERR(ENAMETOOLONG));
	OPEN(c, nlong, O_CREAT | O_RDWR, 0600, AT(2, 16), W_ERR(ENAMETOOLONG));
	UNLINK(c, n256, W_ERR(ENAMETOOLONG));
	UNLINK(c, nlong, W_ERR(ENAMETOOLONG));
	/* Any other byte is part of a name; each name its own queue. */
	for (size_t i = 0; i < NODD; i++) {
		q[i] = OPEN(c, odd_names[i], O_CREAT | O_EXCL | O_RDWR, 0600,
			    AT(2, 16), W_SUCCESS);
		SEND(c, q[i], i, 0, i, W_RET(0));
	}
	for (size_t i = 0; i < NODD; i++) {
		mqd_t d = OPEN2(c, odd_names[i], O_RDONLY, W_SUCCESS);

		RECV_GOT(c, d, 16, i, 0, i ? (long)i : TAG_NONE);
		ATTR(c, q[i], 0, 2, 16, 0);
		CLOSE(c, d, W_RET(0));
	}
	/* The same rules for mq_unlink. */
	UNLINK(c, "abc", W_ERR(EINVAL));
	UNLINK(c, "", W_ERR(EINVAL));
	UNLINK(c, "/", W_ERR(ENOENT));
	UNLINK(c, "/missing", W_ERR(ENOENT));
	UNLINK(c, n255, W_RET(0));
	UNLINK(c, n255, W_ERR(ENOENT));
	OPEN2(c, n255, O_RDWR, W_ERR(ENOENT));
	for (size_t i = 0; i < NODD; i++) {
		UNLINK(c, odd_names[i], W_RET(0));
		OPEN2(c, odd_names[i], O_RDWR, W_ERR(ENOENT));
		CLOSE(c, q[i], W_RET(0));
	}
	ATTR(c, l, 0, 2, 16, 1);	/* unlinked, still open */
	CLOSE(c, l, W_RET(0));
	CLOSE(c, l2, W_RET(0));
}

/* ---- mq_open (B4, B6) ---------------------------------------------------- */


PDIFF_CASE(open_flags)
{
	OPEN2(c, "/q", O_RDWR, W_ERR(ENOENT));
	OPEN2(c, "/q", O_EXCL | O_RDWR, W_ERR(ENOENT));
	mqd_t q = OPEN(c, "/q", O_CREAT | O_EXCL | O_RDWR, 0666, NULL,
		       W_SUCCESS);
	CLOEXEC(c, q);
	ATTR(c, q, 0, DEF_MAX, DEF_SIZE, 0);
	OPEN(c, "/q", O_CREAT | O_EXCL | O_RDWR, 0666, NULL, W_ERR(EEXIST));
	/* EEXIST comes before the access mode is looked at. */
	OPEN(c, "/q", O_CREAT | O_EXCL | O_ACCMODE, 0666, NULL,
	     W_ERR(EEXIST));
	OPEN(c, "/q", O_CREAT | O_EXCL | O_RDWR, 0666, AT(0, 0),
	     W_ERR(EEXIST));
	/* O_EXCL alone means nothing. */
	mqd_t r = OPEN2(c, "/q", O_EXCL | O_RDONLY, W_SUCCESS);
	CLOEXEC(c, r);
	/* For an existing queue attr and mode are ignored, even invalid. */
	mqd_t w = OPEN(c, "/q", O_CREAT | O_WRONLY, 0, AT(-1, -1), W_SUCCESS);
	ATTR(c, w, 0, DEF_MAX, DEF_SIZE, 0);
	mqd_t w2 = OPEN(c, "/q", O_CREAT | O_WRONLY | NB, 07777, AT(1, 1),
			W_SUCCESS);
	ATTR(c, w2, NB, DEF_MAX, DEF_SIZE, 0);
	FSTAT(c, q, 0644, 0, 0);
	OPEN2(c, "/q", O_ACCMODE, W_ERR(EINVAL));
	OPEN(c, "/q", O_CREAT | O_ACCMODE, 0666, NULL, W_ERR(EINVAL));
	/* Only O_NONBLOCK of the other flags shows. */
	mqd_t n = OPEN2(c, "/q", O_RDONLY | NB | O_APPEND | O_CLOEXEC,
			W_SUCCESS);
	ATTR(c, n, NB, DEF_MAX, DEF_SIZE, 0);
	ATTR(c, q, 0, DEF_MAX, DEF_SIZE, 0);
	/* Each descriptor works as its access mode says. */
	SEND(c, w, 1, 0, 1, W_RET(0));
	SEND(c, r, 1, 0, 2, W_ERR(EBADF));
	RECV(c, w, DEF_SIZE, W_ERR(EBADF), M_ANY);
	RECV_GOT(c, r, DEF_SIZE, 1, 0, 1);
	/* Created with access mode 3: neither read nor write. */
	mqd_t x = OPEN(c, "/x", O_CREAT | O_ACCMODE, 0600, AT(2, 16),
		       W_SUCCESS);
	CLOEXEC(c, x);
	SEND(c, x, 1, 0, 1, W_ERR(EBADF));
	RECV(c, x, 16, W_ERR(EBADF), M_ANY);
	ATTR(c, x, 0, 2, 16, 0);
	SETATTR(c, x, NB, W_RET(0), A(0, 2, 16, 0));
	ATTR(c, x, NB, 2, 16, 0);
	NOTIFY(c, x, SIGEV_NONE, 0, W_RET(0));
	NOTIFY_NULL(c, x, W_RET(0));
	OPEN2(c, "/x", O_ACCMODE, W_ERR(EINVAL));
	mqd_t x2 = OPEN2(c, "/x", O_RDWR, W_SUCCESS);
	SEND(c, x2, 2, 3, 4, W_RET(0));
	ATTR(c, x, NB, 2, 16, 1);
	/* A queue outlives its descriptors until unlinked. */
	CLOSE(c, x, W_RET(0));
	CLOSE(c, x2, W_RET(0));
	x = OPEN2(c, "/x", O_RDONLY, W_SUCCESS);
	RECV_GOT(c, x, 16, 2, 3, 4);
	CLOSE(c, x, W_RET(0));
	CLOSE(c, x, W_ERR(EBADF));
	CLOSE(c, BADFD, W_ERR(EBADF));
	CLOSE(c, q, W_RET(0));
	CLOSE(c, r, W_RET(0));
	CLOSE(c, w, W_RET(0));
	CLOSE(c, w2, W_RET(0));
	CLOSE(c, n, W_RET(0));
}

/* The mqueue file refuses O_DIRECT when it is opened: after the lookup
 * and the checks, and after a creation, which stays. */
PDIFF_CASE(open_direct)
{
	OPEN2(c, "/d", O_RDWR | O_DIRECT, W_ERR(ENOENT));
	OPEN(c, "/d", O_CREAT | O_RDWR | O_DIRECT, 0600, AT(2, 16),
	     W_ERR(EINVAL));
	OPEN(c, "/d", O_CREAT | O_EXCL | O_RDWR, 0600, NULL, W_ERR(EEXIST));
	OPEN2(c, "/d", O_RDONLY | O_DIRECT, W_ERR(EINVAL));
	OPEN2(c, "/d", O_ACCMODE | O_DIRECT, W_ERR(EINVAL));
	mqd_t q = OPEN2(c, "/d", O_RDWR, W_SUCCESS);
	ATTR(c, q, 0, 2, 16, 0);
	CLOSE(c, q, W_RET(0));
}

/* ---- Attributes (B5) and limits (B2) ------------------------------------- */

static const long bad_attr[][2] = {
	{ 0, 16 }, { 2, 0 }, { -1, 16 }, { 2, -1 }, { 0, 0 },
	{ DEF_MAX + 1, 16 }, { 2, DEF_SIZE + 1 }, { LONG_MAX, 1 },
	{ 1, LONG_MAX }, { LONG_MIN, 1 }, { 1, LONG_MIN },
	{ DEF_MAX + 1, DEF_SIZE + 1 },
};

PDIFF_CASE(open_attr)
{
	for (size_t i = 0; i < sizeof(bad_attr) / sizeof(bad_attr[0]); i++)
		OPEN(c, "/a", O_CREAT | O_RDWR, 0600,
		     AT(bad_attr[i][0], bad_attr[i][1]), W_ERR(EINVAL));
	OPEN2(c, "/a", O_RDWR, W_ERR(ENOENT));	/* nothing was created */
	mqd_t d = OPEN(c, "/a", O_CREAT | O_RDWR, 0600, NULL, W_SUCCESS);
	ATTR(c, d, 0, DEF_MAX, DEF_SIZE, 0);
	mqd_t e = OPEN(c, "/b", O_CREAT | O_RDWR, 0600, AT(DEF_MAX, DEF_SIZE),
		       W_SUCCESS);
	ATTR(c, e, 0, DEF_MAX, DEF_SIZE, 0);
	mqd_t f = OPEN(c, "/c", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	ATTR(c, f, 0, 1, 1, 0);
	/* mq_flags and mq_curmsgs of attr are ignored. */
	struct mq_attr junk = { .mq_flags = -1, .mq_maxmsg = 3,
				.mq_msgsize = 128, .mq_curmsgs = 5,
				.__pad = { 1, 2, 3, 4 } };
	mqd_t g = OPEN(c, "/d", O_CREAT | O_RDWR, 0600, &junk, W_SUCCESS);
	ATTR(c, g, 0, 3, 128, 0);
	mqd_t h = OPEN(c, "/e", O_CREAT | O_RDWR | NB, 0600, AT(DEF_MAX, 1),
		       W_SUCCESS);
	ATTR(c, h, NB, DEF_MAX, 1, 0);
	/* maxmsg 1 holds one message; msgsize 1 takes one byte. */
	SEND(c, f, 2, 0, 1, W_ERR(EMSGSIZE));
	SEND(c, f, 1, 0, 1, W_RET(0));
	TSEND(c, f, 1, 0, 2, &ts_past, W_ERR(ETIMEDOUT));
	ATTR(c, f, 0, 1, 1, 1);
	/* Attributes stay those of the creation. */
	mqd_t f2 = OPEN(c, "/c", O_CREAT | O_RDWR, 0600, AT(5, 5), W_SUCCESS);
	ATTR(c, f2, 0, 1, 1, 1);
	mqd_t tab[] = { d, e, f, f2, g, h };
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		CLOSE(c, tab[i], W_RET(0));
}

/* A limit as the backend reads it back. */
#define LIMIT_IS(c, which, v) \
	d_chk(c, __LINE__, "limit " which, (c)->b->get_limit(which), v)

static const struct { const char *which; long v; int ok; } lim_writes[] = {
	{ "msg_max", 0, 0 }, { "msg_max", -1, 0 }, { "msg_max", 65537, 0 },
	{ "msg_max", 1, 1 }, { "msg_max", 65536, 1 },
	{ "msg_default", 0, 0 }, { "msg_default", 65537, 0 },
	{ "msg_default", 1, 1 }, { "msg_default", 65536, 1 },
	{ "msgsize_max", 127, 0 }, { "msgsize_max", 16777217, 0 },
	{ "msgsize_max", 128, 1 }, { "msgsize_max", 16777216, 1 },
	{ "msgsize_default", 127, 0 }, { "msgsize_default", 16777217, 0 },
	{ "msgsize_default", 128, 1 }, { "msgsize_default", 16777216, 1 },
	{ "queues_max", 0, 1 }, { "queues_max", -1, 1 },
	{ "queues_max", 256, 1 },
};

PDIFF_CASE(limits)
{
	/* attr NULL: the smaller of the default and the ceiling. */
	LIMIT(c, "msg_default", 3, W_RET(0));
	LIMIT(c, "msgsize_default", 200, W_RET(0));
	mqd_t a = OPEN(c, "/a", O_CREAT | O_RDWR, 0600, NULL, W_SUCCESS);
	ATTR(c, a, 0, 3, 200, 0);
	LIMIT(c, "msg_max", 2, W_RET(0));
	mqd_t b = OPEN(c, "/b", O_CREAT | O_RDWR, 0600, NULL, W_SUCCESS);
	ATTR(c, b, 0, 2, 200, 0);
	LIMIT(c, "msgsize_max", 150, W_RET(0));
	mqd_t d = OPEN(c, "/c", O_CREAT | O_RDWR, 0600, NULL, W_SUCCESS);
	ATTR(c, d, 0, 2, 150, 0);
	/* The ceilings bound attr. */
	mqd_t e = OPEN(c, "/d", O_CREAT | O_RDWR, 0600, AT(2, 150), W_SUCCESS);
	ATTR(c, e, 0, 2, 150, 0);
	OPEN(c, "/e", O_CREAT | O_RDWR, 0600, AT(3, 150), W_ERR(EINVAL));
	OPEN(c, "/e", O_CREAT | O_RDWR, 0600, AT(2, 151), W_ERR(EINVAL));
	LIMIT(c, "msg_max", 50, W_RET(0));
	LIMIT(c, "msgsize_max", 100000, W_RET(0));
	mqd_t f = OPEN(c, "/e", O_CREAT | O_RDWR, 0600, AT(50, 150), W_SUCCESS);
	ATTR(c, f, 0, 50, 150, 0);
	OPEN(c, "/f", O_CREAT | O_RDWR, 0600, AT(51, 1), W_ERR(EINVAL));
	mqd_t g = OPEN(c, "/f", O_CREAT | O_RDWR, 0600, AT(1, 100000),
		       W_SUCCESS);
	ATTR(c, g, 0, 1, 100000, 0);
	OPEN(c, "/g", O_CREAT | O_RDWR, 0600, AT(1, 100001), W_ERR(EINVAL));
	mqd_t h = OPEN(c, "/g", O_CREAT | O_RDWR, 0600, NULL, W_SUCCESS);
	ATTR(c, h, 0, 3, 200, 0);
	/* Queues keep what they were created with. */
	ATTR(c, a, 0, 3, 200, 0);
	ATTR(c, b, 0, 2, 200, 0);
	/* The sysctls' ranges; a refused value changes nothing. */
	LIMIT_IS(c, "msg_max", 50);
	LIMIT_IS(c, "msgsize_max", 100000);
	LIMIT_IS(c, "msg_default", 3);
	LIMIT_IS(c, "msgsize_default", 200);
	LIMIT_IS(c, "queues_max", 256);
	for (size_t i = 0; i < sizeof(lim_writes) / sizeof(lim_writes[0]);
	     i++) {
		const char *which = lim_writes[i].which;
		long before = c->b->get_limit(which);

		LIMIT(c, which, lim_writes[i].v,
		      lim_writes[i].ok ? W_RET(0) : W_ERR(EINVAL));
		d_chk(c, __LINE__, which, c->b->get_limit(which),
		      lim_writes[i].ok ? lim_writes[i].v : before);
	}
	/* 65536 default messages of 16 MiB: more than RLIMIT_MSGQUEUE. */
	OPEN(c, "/h", O_CREAT | O_RDWR, 0600, NULL, W_ERR(EMFILE));
	LIMIT(c, "msg_default", 1, W_RET(0));
	LIMIT(c, "msgsize_default", 128, W_RET(0));
	mqd_t k = OPEN(c, "/h", O_CREAT | O_RDWR, 0600, NULL, W_SUCCESS);
	ATTR(c, k, 0, 1, 128, 0);
	mqd_t tab[] = { a, b, d, e, f, g, h, k };
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		CLOSE(c, tab[i], W_RET(0));
}

PDIFF_CASE(queues_max)
{
	LIMIT(c, "queues_max", 3, W_RET(0));
	mqd_t a = OPEN(c, "/a", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	mqd_t b = OPEN(c, "/b", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	mqd_t d = OPEN(c, "/c", O_CREAT | O_RDWR, 0600, NULL, W_SUCCESS);
	OPEN(c, "/d", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(ENOSPC));
	/* Before the attributes are looked at. */
	OPEN(c, "/d", O_CREAT | O_RDWR, 0600, AT(0, 0), W_ERR(ENOSPC));
	OPEN(c, "/d", O_CREAT | O_RDWR, 0600, AT(DEF_MAX + 1, 1),
	     W_ERR(ENOSPC));
	/* After the name: no O_CREAT, no creation, no ENOSPC. */
	OPEN2(c, "/d", O_RDWR, W_ERR(ENOENT));
	OPEN(c, "/d", O_CREAT | O_RDWR, 0600, NULL, W_ERR(ENOSPC));
	OPEN(c, "/a/b", O_CREAT | O_RDWR, 0600, NULL, W_ERR(EACCES));
	/* Existing queues open as usual at the limit. */
	mqd_t a2 = OPEN(c, "/a", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	OPEN(c, "/a", O_CREAT | O_EXCL | O_RDWR, 0600, AT(1, 1),
	     W_ERR(EEXIST));
	/* An unlinked queue counts until its last descriptor is closed. */
	UNLINK(c, "/a", W_RET(0));
	OPEN(c, "/d", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(ENOSPC));
	CLOSE(c, a, W_RET(0));
	OPEN(c, "/d", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(ENOSPC));
	CLOSE(c, a2, W_RET(0));
	mqd_t e = OPEN(c, "/d", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	OPEN(c, "/e", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(ENOSPC));
	/* A closed queue that keeps its name counts too. */
	CLOSE(c, b, W_RET(0));
	OPEN(c, "/e", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(ENOSPC));
	/* Lowering the limit below the count. */
	LIMIT(c, "queues_max", 0, W_RET(0));
	OPEN(c, "/e", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(ENOSPC));
	mqd_t b2 = OPEN2(c, "/b", O_RDWR, W_SUCCESS);
	LIMIT(c, "queues_max", 2, W_RET(0));
	UNLINK(c, "/b", W_RET(0));
	OPEN(c, "/e", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(ENOSPC));
	CLOSE(c, b2, W_RET(0));
	OPEN(c, "/e", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(ENOSPC));
	UNLINK(c, "/c", W_RET(0));
	CLOSE(c, d, W_RET(0));
	mqd_t f = OPEN(c, "/e", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	OPEN(c, "/f", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(ENOSPC));
	/* Any int is taken, and compared as unsigned: -1 is no limit. */
	LIMIT(c, "queues_max", -1, W_RET(0));
	mqd_t g = OPEN(c, "/f", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	UNLINK(c, "/f", W_RET(0));
	CLOSE(c, g, W_RET(0));
	CLOSE(c, e, W_RET(0));
	CLOSE(c, f, W_RET(0));
}

/* ---- Modes (B4.6, C29) --------------------------------------------------- */

static void mode_user(struct ctx *c, void *arg)
{
	/* 0777 & ~022 */
	mqd_t r = OPEN2(c, "/m755", O_RDONLY, W_SUCCESS);
	CLOSE(c, r, W_RET(0));
	OPEN2(c, "/m755", O_WRONLY, W_ERR(EACCES));
	OPEN2(c, "/m755", O_RDWR, W_ERR(EACCES));
	r = OPEN2(c, "/m4755", O_RDONLY, W_SUCCESS);
	CLOSE(c, r, W_RET(0));
	OPEN2(c, "/m4755", O_WRONLY, W_ERR(EACCES));
	OPEN2(c, "/m0", O_RDONLY, W_ERR(EACCES));
	OPEN2(c, "/mtype", O_WRONLY, W_ERR(EACCES));
	r = OPEN2(c, "/mtype", O_RDONLY, W_SUCCESS);
	CLOSE(c, r, W_RET(0));
	mqd_t w = OPEN2(c, "/m666", O_WRONLY, W_SUCCESS);	/* umask 0 */
	SEND(c, w, 1, 0, 1, W_RET(0));
	CLOSE(c, w, W_RET(0));
	OPEN2(c, "/m600", O_RDONLY, W_ERR(EACCES));	/* umask 077 */
	/* Owned by the creator's fsuid/fsgid; the umask applies. */
	mqd_t u = OPEN(c, "/mine", O_CREAT | O_RDWR, 0666, AT(1, 1), W_SUCCESS);
	FSTAT(c, u, 0644, 1000, 1000);
	CLOSE(c, u, W_RET(0));
}

PDIFF_CASE(umask_mode)
{
	static const struct {
		const char *name;
		mode_t umask, mode, is;
	} m[] = {
		{ "/m755", 022, 0777, 0755 }, { "/m4755", 022, 04777, 04755 },
		{ "/m7755", 022, 07777, 07755 }, { "/m0", 022, 0, 0 },
		{ "/mtype", 022, 0170644, 0644 }, { "/m666", 0, 0666, 0666 },
		{ "/m600", 077, 0666, 0600 }, { "/m640", 0, 0640, 0640 },
	};
	mqd_t q[8];

	need_uid_switch();
	for (int i = 0; i < 8; i++) {
		umask(m[i].umask);
		q[i] = OPEN(c, m[i].name, O_CREAT | O_RDWR, m[i].mode,
			    AT(1, 1), W_SUCCESS);
		FSTAT(c, q[i], m[i].is, 0, 0);
	}
	umask(022);
	/* mode is ignored for an existing queue. */
	mqd_t r = OPEN(c, "/m0", O_CREAT | O_RDONLY, 0777, NULL, W_SUCCESS);
	FSTAT(c, r, 0, 0, 0);
	CLOSE(c, r, W_RET(0));
	CHILD(c, USER(1000), mode_user, NULL);
	RECV_GOT(c, q[5], 1, 1, 0, 1);
	mqd_t u = OPEN2(c, "/mine", O_RDWR, W_SUCCESS);
	FSTAT(c, u, 0644, 1000, 1000);
	CLOSE(c, u, W_RET(0));
	for (int i = 0; i < 8; i++)
		CLOSE(c, q[i], W_RET(0));
}

/* ---- RLIMIT_MSGQUEUE (B13, C22) ------------------------------------------ */

/*
 * The kernel charges queues to the creator's real uid system-wide: each
 * case uses a uid of its own so nothing else on the machine shares it.
 */
#define RL_UID 4242

static long set_rlimit(rlim_t v)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MSGQUEUE, &rl))
		return -1;
	rl.rlim_cur = v;
	return setrlimit(RLIMIT_MSGQUEUE, &rl);
}

#define RLIMIT(c, v) d_chk(c, __LINE__, "setrlimit(RLIMIT_MSGQUEUE, " #v ")", \
			   set_rlimit(v), 0)

/* One (1, 1) queue costs 1 * 48 + 1 * 48 + 1 = 97 bytes on x86_64. */
static void rlimit_small_user(struct ctx *c, void *arg)
{
	RLIMIT(c, 96);
	OPEN(c, "/r1", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	/* Attributes are validated first. */
	OPEN(c, "/r1", O_CREAT | O_RDWR, 0600, AT(0, 1), W_ERR(EINVAL));
	OPEN(c, "/r1", O_CREAT | O_RDWR, 0600, AT(DEF_MAX + 1, 1),
	     W_ERR(EINVAL));
	RLIMIT(c, 97);
	mqd_t a = OPEN(c, "/r1", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	OPEN(c, "/r2", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	/* Opening an existing queue costs nothing. */
	mqd_t a2 = OPEN2(c, "/r1", O_RDWR, W_SUCCESS);
	mqd_t a3 = OPEN(c, "/r1", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	/* The charge stays while the queue exists... */
	CLOSE(c, a, W_RET(0));
	CLOSE(c, a2, W_RET(0));
	CLOSE(c, a3, W_RET(0));
	OPEN(c, "/r2", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	mqd_t b = OPEN2(c, "/r1", O_RDWR, W_SUCCESS);
	UNLINK(c, "/r1", W_RET(0));
	OPEN(c, "/r2", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	/* ...until the unlinked queue's last close. */
	CLOSE(c, b, W_RET(0));
	mqd_t d = OPEN(c, "/r2", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	CLOSE(c, d, W_RET(0));
	UNLINK(c, "/r2", W_RET(0));
	/* (2, 1) costs 194. */
	RLIMIT(c, 193);
	OPEN(c, "/r3", O_CREAT | O_RDWR, 0600, AT(2, 1), W_ERR(EMFILE));
	RLIMIT(c, 194);
	d = OPEN(c, "/r3", O_CREAT | O_RDWR, 0600, AT(2, 1), W_SUCCESS);
	CLOSE(c, d, W_RET(0));
	UNLINK(c, "/r3", W_RET(0));
	RLIMIT(c, 0);
	OPEN(c, "/r4", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
}

PDIFF_CASE(rlimit_small)
{
	need_uid_switch();
	CHILD(c, USER(RL_UID), rlimit_small_user, NULL);
}

/* A default queue costs 10 * (96 + 8192) = 82880: nine fit in 819200. */
static void rlimit_default_user(struct ctx *c, void *arg)
{
	char name[16];
	mqd_t d[9];

	RLIMIT(c, 819200);
	for (int i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "/rd%d", i);
		d[i] = OPEN(c, name, O_CREAT | O_RDWR, 0600, NULL, W_SUCCESS);
	}
	OPEN(c, "/rd9", O_CREAT | O_RDWR, 0600, NULL, W_ERR(EMFILE));
	/* 73280 bytes are left: 10 * (96 + 7232) exactly. */
	OPEN(c, "/rd9", O_CREAT | O_RDWR, 0600, AT(10, 7233), W_ERR(EMFILE));
	mqd_t x = OPEN(c, "/rd9", O_CREAT | O_RDWR, 0600, AT(10, 7232),
		       W_SUCCESS);
	OPEN(c, "/rd10", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	mqd_t y = OPEN2(c, "/rd0", O_RDWR, W_SUCCESS);
	UNLINK(c, "/rd0", W_RET(0));
	OPEN(c, "/rd10", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	CLOSE(c, d[0], W_RET(0));
	OPEN(c, "/rd10", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	CLOSE(c, y, W_RET(0));
	mqd_t z = OPEN(c, "/rd10", O_CREAT | O_RDWR, 0600, NULL, W_SUCCESS);
	OPEN(c, "/rd11", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	for (int i = 1; i < 9; i++)
		CLOSE(c, d[i], W_RET(0));
	CLOSE(c, x, W_RET(0));
	CLOSE(c, z, W_RET(0));
}

PDIFF_CASE(rlimit_default)
{
	need_uid_switch();
	CHILD(c, USER(RL_UID + 1), rlimit_default_user, NULL);
}

/* queues_max (ENOSPC) is decided before RLIMIT_MSGQUEUE (EMFILE). */
static void rlimit_order_user(struct ctx *c, void *arg)
{
	RLIMIT(c, 0);
	OPEN(c, "/o1", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(EMFILE));
	RLIMIT(c, 97);
	mqd_t d = OPEN(c, "/o1", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	OPEN(c, "/o2", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(ENOSPC));
	OPEN(c, "/o2", O_CREAT | O_RDWR, 0600, AT(0, 0), W_ERR(ENOSPC));
	CLOSE(c, d, W_RET(0));
	UNLINK(c, "/o1", W_RET(0));
}

PDIFF_CASE(rlimit_order)
{
	need_uid_switch();
	LIMIT(c, "queues_max", 1, W_RET(0));
	CHILD(c, USER(RL_UID + 2), rlimit_order_user, NULL);
}

/* ---- mq_send (B8, C19, C20) ---------------------------------------------- */

PDIFF_CASE(send_errors)
{
	struct others o;
	mqd_t q = OPEN(c, "/s", O_CREAT | O_RDWR, 0600, AT(2, 16), W_SUCCESS);
	mqd_t r = OPEN2(c, "/s", O_RDONLY, W_SUCCESS);
	mqd_t x = OPEN(c, "/s3", O_CREAT | O_ACCMODE, 0600, AT(2, 16),
		       W_SUCCESS);

	others_open(&o);
	/* A bad timeout is EINVAL before anything else, room or not. */
	for (size_t i = 0; i < NBAD; i++) {
		TSEND(c, q, 1, 0, 1, &ts_bad[i], W_ERR(EINVAL));
		TSEND(c, BADFD, 1, 0, 1, &ts_bad[i], W_ERR(EINVAL));
		TSEND(c, q, 1, 32768, 1, &ts_bad[i], W_ERR(EINVAL));
		TSEND(c, r, 1, 0, 1, &ts_bad[i], W_ERR(EINVAL));
		TSEND(c, o.rd, 1, 0, 1, &ts_bad[i], W_ERR(EINVAL));
		TSEND(c, q, 17, 0, 1, &ts_bad[i], W_ERR(EINVAL));
		TSEND_PTR(c, q, NULL, 1, 0, &ts_bad[i], W_ERR(EINVAL));
	}
	TSEND(c, q, 1, 0, 1, TS_FAULT, W_ERR(EFAULT));
	TSEND(c, BADFD, 1, 32768, 1, TS_FAULT, W_ERR(EFAULT));
	ATTR(c, q, 0, 2, 16, 0);
	/* The priority next, before the descriptor. */
	SEND(c, BADFD, 1, 32768, 1, W_ERR(EINVAL));
	SEND(c, r, 1, 32768, 1, W_ERR(EINVAL));
	SEND(c, o.null, 1, 32768, 1, W_ERR(EINVAL));
	SEND(c, q, 1, 32768, 1, W_ERR(EINVAL));
	SEND(c, q, 1, UINT_MAX, 1, W_ERR(EINVAL));
	SEND(c, q, 17, 40000, 1, W_ERR(EINVAL));
	SEND_PTR(c, q, NULL, 1, 32768, W_ERR(EINVAL));
	TSEND(c, q, 1, 32768, 1, &ts_past, W_ERR(EINVAL));
	/* Then the descriptor: bad, not a queue, not open for writing. */
	SEND(c, BADFD, 1, 0, 1, W_ERR(EBADF));
	SEND(c, INT_MAX, 1, 0, 1, W_ERR(EBADF));
	SEND(c, o.rd, 1, 0, 1, W_ERR(EBADF));
	SEND(c, o.wr, 1, 0, 1, W_ERR(EBADF));
	SEND(c, o.null, 1, 0, 1, W_ERR(EBADF));
	SEND(c, r, 1, 0, 1, W_ERR(EBADF));
	SEND(c, x, 1, 0, 1, W_ERR(EBADF));
	SEND(c, r, 17, 0, 1, W_ERR(EBADF));
	SEND_PTR(c, r, NULL, 1, 0, W_ERR(EBADF));
	TSEND(c, r, 1, 0, 1, &ts_past, W_ERR(EBADF));
	/* Then the size, before the text is read. */
	SEND(c, q, 17, 0, 1, W_ERR(EMSGSIZE));
	SEND(c, q, SIZE_MAX, 0, 1, W_ERR(EMSGSIZE));
	SEND_PTR(c, q, NULL, 17, 0, W_ERR(EMSGSIZE));
	SEND_PTR(c, q, NULL, 1, 0, W_ERR(EFAULT));
	SEND_PTR(c, q, P_FAULT, 16, 0, W_ERR(EFAULT));
	ATTR(c, q, 0, 2, 16, 0);
	/* Nothing to read: a NULL text of length 0 is a message. */
	SEND_PTR(c, q, NULL, 0, 5, W_RET(0));
	SEND(c, q, 16, 32767, 9, W_RET(0));
	ATTR(c, q, 0, 2, 16, 2);
	/* Full: a past deadline times out at once, O_NONBLOCK is EAGAIN. */
	TSEND(c, q, 1, 0, 1, &ts_past, W_ERR(ETIMEDOUT));
	TSEND(c, q, 1, 0, 1, &ts_epoch, W_ERR(ETIMEDOUT));
	TSEND(c, q, 17, 0, 1, &ts_past, W_ERR(EMSGSIZE));
	TSEND_PTR(c, q, NULL, 1, 0, &ts_past, W_ERR(EFAULT));
	SETATTR(c, q, NB, W_RET(0), A(0, 2, 16, 2));
	SEND(c, q, 1, 0, 1, W_ERR(EAGAIN));
	TSEND(c, q, 1, 0, 1, &ts_past, W_ERR(EAGAIN));
	TSEND(c, q, 1, 0, 1, &ts_bad[0], W_ERR(EINVAL));
	SEND(c, q, 17, 0, 1, W_ERR(EMSGSIZE));
	SEND_PTR(c, q, NULL, 1, 0, W_ERR(EFAULT));
	mqd_t w = OPEN2(c, "/s", O_WRONLY | NB, W_SUCCESS);
	SEND(c, w, 0, 0, 0, W_ERR(EAGAIN));
	ATTR(c, q, NB, 2, 16, 2);
	/* Room again: a past deadline does not matter. */
	RECV_GOT(c, r, 16, 16, 32767, 9);
	TSEND(c, q, 3, 7, 3, &ts_past, W_RET(0));
	RECV_GOT(c, r, 16, 3, 7, 3);
	RECV_GOT(c, r, 16, 0, 5, TAG_NONE);
	mqd_t t[] = { q, r, x, w };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CLOSE(c, t[i], W_RET(0));
}

/* ---- mq_receive (B9, C19, C21) ------------------------------------------- */

PDIFF_CASE(receive_errors)
{
	struct others o;
	mqd_t q = OPEN(c, "/r", O_CREAT | O_RDWR, 0600, AT(3, 32), W_SUCCESS);
	mqd_t w = OPEN2(c, "/r", O_WRONLY, W_SUCCESS);
	mqd_t x = OPEN(c, "/r3", O_CREAT | O_ACCMODE, 0600, AT(2, 16),
		       W_SUCCESS);

	others_open(&o);
	SEND(c, q, 5, 3, 1, W_RET(0));
	/* A bad timeout first, even with a message waiting. */
	for (size_t i = 0; i < NBAD; i++) {
		TRECV(c, q, 32, &ts_bad[i], W_ERR(EINVAL), M_ANY);
		TRECV(c, BADFD, 32, &ts_bad[i], W_ERR(EINVAL), M_ANY);
		TRECV(c, q, 1, &ts_bad[i], W_ERR(EINVAL), M_ANY);
		TRECV(c, w, 32, &ts_bad[i], W_ERR(EINVAL), M_ANY);
		TRECV(c, o.wr, 32, &ts_bad[i], W_ERR(EINVAL), M_ANY);
	}
	TRECV(c, q, 32, TS_FAULT, W_ERR(EFAULT), M_ANY);
	TRECV(c, BADFD, 1, TS_FAULT, W_ERR(EFAULT), M_ANY);
	ATTR(c, q, 0, 3, 32, 1);
	/* Then the descriptor. */
	RECV(c, BADFD, 32, W_ERR(EBADF), M_ANY);
	RECV(c, INT_MAX, 32, W_ERR(EBADF), M_ANY);
	RECV(c, o.rd, 32, W_ERR(EBADF), M_ANY);
	RECV(c, o.wr, 32, W_ERR(EBADF), M_ANY);
	RECV(c, o.null, 32, W_ERR(EBADF), M_ANY);
	RECV(c, w, 32, W_ERR(EBADF), M_ANY);
	RECV(c, x, 32, W_ERR(EBADF), M_ANY);
	RECV(c, w, 1, W_ERR(EBADF), M_ANY);
	TRECV(c, w, 32, &ts_past, W_ERR(EBADF), M_ANY);
	/* Then the buffer must hold mq_msgsize, whatever is queued. */
	RECV(c, q, 31, W_ERR(EMSGSIZE), M_ANY);
	RECV(c, q, 5, W_ERR(EMSGSIZE), M_ANY);
	RECV(c, q, 0, W_ERR(EMSGSIZE), M_ANY);
	RECV_BUF(c, q, NULL, 1, PRIO_PTR, W_ERR(EMSGSIZE), M_ANY);
	ATTR(c, q, 0, 3, 32, 1);
	RECV_GOT(c, q, 32, 5, 3, 1);
	RECV(c, q, 31, W_ERR(EMSGSIZE), M_ANY);
	/* Empty: a past deadline times out, O_NONBLOCK is EAGAIN. */
	TRECV(c, q, 32, &ts_past, W_ERR(ETIMEDOUT), M_ANY);
	TRECV(c, q, 32, &ts_epoch, W_ERR(ETIMEDOUT), M_ANY);
	struct timespec soon = in_ms(50);
	TRECV(c, q, 32, &soon, W_ERR(ETIMEDOUT), M_ANY);
	SETATTR(c, q, NB, W_RET(0), A(0, 3, 32, 0));
	RECV(c, q, 32, W_ERR(EAGAIN), M_ANY);
	TRECV(c, q, 32, &ts_past, W_ERR(EAGAIN), M_ANY);
	RECV(c, q, 31, W_ERR(EMSGSIZE), M_ANY);
	RECV_BUF(c, q, NULL, 32, PRIO_PTR, W_ERR(EAGAIN), M_ANY);
	SETATTR(c, q, 0, W_RET(0), A(NB, 3, 32, 0));
	/* A message and a past deadline: the message. */
	SEND(c, w, 32, 0, 2, W_RET(0));
	TRECV(c, q, 32, &ts_past, W_RET(32), M(0, 2));
	SEND(c, w, 7, 1, 3, W_RET(0));
	RECV(c, q, TEXT_MAX, W_RET(7), M(1, 3));
	/*
	 * Text copied out last: a bad buffer or msg_prio is EFAULT and the
	 * message, already taken, is lost; msg_prio is written first.
	 */
	SEND(c, w, 4, 6, 4, W_RET(0));
	SEND(c, w, 4, 5, 5, W_RET(0));
	SEND(c, w, 0, 4, 0, W_RET(0));
	RECV_BUF(c, q, NULL, 32, PRIO_PTR, W_ERR(EFAULT), M(6, ANY));
	ATTR(c, q, 0, 3, 32, 2);
	RECV_BUF(c, q, rbuf, 32, PRIO_FAULT, W_ERR(EFAULT), M(NOPRIO, ANY));
	ATTR(c, q, 0, 3, 32, 1);
	/* A zero-length message needs no buffer. */
	RECV_BUF(c, q, NULL, 32, PRIO_PTR, W_RET(0), M(4, ANY));
	ATTR(c, q, 0, 3, 32, 0);
	mqd_t t[] = { q, w, x };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CLOSE(c, t[i], W_RET(0));
}

/* ---- Message order (B9) -------------------------------------------------- */

PDIFF_CASE(priority_order)
{
	static const struct { unsigned prio; int len, tag; } s[] = {
		{ 5, 10, 1 }, { 1, 0, 2 }, { 5, 64, 3 }, { 32767, 1, 4 },
		{ 0, 2, 5 }, { 1, 3, 6 }, { 32767, 0, 7 }, { 0, 4, 8 },
		{ 2, 5, 9 }, { 5, 6, 10 }, { 31, 7, 11 }, { 32, 8, 12 },
		{ 1000, 9, 13 }, { 32766, 10, 14 }, { 2, 11, 15 },
	};
	/* Highest priority first, FIFO within a priority. */
	static const int order[] = { 4, 7, 14, 13, 12, 11, 1, 3, 10, 9, 15,
				     2, 6, 5, 8 };
	LIMIT(c, "msg_max", 15, W_RET(0));
	mqd_t q = OPEN(c, "/p", O_CREAT | O_RDWR, 0600, AT(15, 64), W_SUCCESS);

	for (size_t i = 0; i < 15; i++)
		SEND(c, q, s[i].len, s[i].prio, s[i].tag, W_RET(0));
	ATTR(c, q, 0, 15, 64, 15);
	for (size_t i = 0; i < 15; i++) {
		int k = order[i] - 1;
		long tag = s[k].len ? s[k].tag : TAG_NONE;

		if (i % 3 == 1)
			RECV_NP(c, q, 64, W_RET(s[k].len), tag);
		else if (i % 3 == 2)
			TRECV(c, q, 100, &ts_past, W_RET(s[k].len),
			      M(s[k].prio, tag));
		else
			RECV_GOT(c, q, 64, s[k].len, s[k].prio, tag);
	}
	ATTR(c, q, 0, 15, 64, 0);
	CLOSE(c, q, W_RET(0));
}

/* The queue as the spec has it: priority order, FIFO within. */
struct model {
	struct { long prio, seq, len, tag; } m[64];
	int n;
	long seq, qsize;
};

static int model_top(const struct model *m)
{
	int best = 0;

	for (int i = 1; i < m->n; i++)
		if (m->m[i].prio > m->m[best].prio ||
		    (m->m[i].prio == m->m[best].prio &&
		     m->m[i].seq < m->m[best].seq))
			best = i;
	return best;
}

static void rq_send(struct ctx *c, mqd_t q, struct model *m, uint64_t *s)
{
	size_t len = RND(s, 10) ? (size_t)RND(s, 257) : 257;
	unsigned prio = RND(s, 4) ? RND(s, 8) :
			RND(s, 20) ? RND(s, 32768) : 32768 + RND(s, 5);
	int tag = RND(s, 256);
	struct want w = prio >= 32768 ? W_ERR(EINVAL) :
			len > 256 ? W_ERR(EMSGSIZE) :
			m->n == 8 ? W_ERR(EAGAIN) : W_RET(0);

	if (RND(s, 2))
		SEND(c, q, len, prio, tag, w);
	else
		TSEND(c, q, len, prio, tag, &ts_epoch, w);
	if (w.how != WANT_VALUE)
		return;
	m->m[m->n].prio = prio;
	m->m[m->n].seq = m->seq++;
	m->m[m->n].len = len;
	m->m[m->n].tag = len ? tag : TAG_NONE;
	m->n++;
	m->qsize += len;
}

static void rq_recv(struct ctx *c, mqd_t q, struct model *m, uint64_t *s)
{
	size_t len = RND(s, 10) ? 256 : RND(s, 2) ? 255 : 4096;
	int np = !RND(s, 4), k = model_top(m);
	struct want w = len < 256 ? W_ERR(EMSGSIZE) :
			!m->n ? W_ERR(EAGAIN) : W_RET(m->m[k].len);
	long tag = w.how == WANT_VALUE ? m->m[k].tag : ANY;

	if (np)
		RECV_NP(c, q, len, w, tag);
	else
		RECV(c, q, len, w, M(w.how == WANT_VALUE ? m->m[k].prio : ANY,
				     tag));
	if (w.how != WANT_VALUE)
		return;
	m->qsize -= m->m[k].len;
	m->m[k] = m->m[--m->n];
}

/* Random sends and receives on one queue, each result predicted. */
static void sc_random_queue(struct ctx *c, void *arg)
{
	uint64_t s = *(uint64_t *)arg;
	struct model m = { .n = 0 };
	mqd_t q = OPEN(c, "/rq", O_CREAT | O_RDWR | NB, 0600, AT(8, 256),
		       W_SUCCESS);

	for (int i = 0; i < 1500; i++) {
		long op = RND(&s, 100);

		if (op < 50)
			rq_send(c, q, &m, &s);
		else if (op < 90)
			rq_recv(c, q, &m, &s);
		else if (op < 95)
			ATTR(c, q, NB, 8, 256, m.n);
		else
			STATUS(c, q, m.qsize, 0, 0, 0);
	}
	CLOSE(c, q, W_RET(0));
}

static void seed_case(scenario_fn fn, uint64_t seed)
{
	t_note("seed %#llx (UMQ_SEED=%#llx reruns it)",
	       (unsigned long long)seed, (unsigned long long)seed);
	pdiff_run(fn, &seed);
}

static int env_seed(uint64_t *seed)
{
	const char *s = getenv("UMQ_SEED");

	if (!s)
		return 0;
	*seed = strtoull(s, NULL, 0);
	return 1;
}

T_CASE(random_queue_fixed_seed)
{
	seed_case(sc_random_queue, 0x706d71);
}

T_CASE(random_queue_env_seed)
{
	uint64_t seed;

	if (!env_seed(&seed))
		t_skip("UMQ_SEED not set");
	seed_case(sc_random_queue, seed);
}

/* ---- mq_getattr, mq_setattr, O_NONBLOCK (B6, B12, C20, C30) -------------- */

#define NB_OF(c, d) \
	d_chk(c, __LINE__, "F_GETFL of " #d " has O_NONBLOCK", \
	      (fcntl(d, F_GETFL) & O_NONBLOCK) != 0, 1)
#define BLOCKING(c, d) \
	d_chk(c, __LINE__, "F_GETFL of " #d " has O_NONBLOCK", \
	      (fcntl(d, F_GETFL) & O_NONBLOCK) != 0, 0)
#define SETFL(c, d, fl) \
	d_chk(c, __LINE__, "fcntl(" #d ", F_SETFL, " #fl ")", \
	      fcntl(d, F_SETFL, fl), 0)

static void setattr_child(struct ctx *c, void *arg)
{
	mqd_t q = *(mqd_t *)arg;

	/* An inherited descriptor shares the open description. */
	ATTR(c, q, NB, 4, 100, 1);
	SETATTR(c, q, 0, W_RET(0), A(NB, 4, 100, 1));
	RECV_GOT(c, q, 100, 3, 1, 1);
}

PDIFF_CASE(getattr_setattr)
{
	static const long bad_flags[] = { NB | 1, 1, -1, O_RDWR, O_APPEND,
					  NB | O_CREAT, LONG_MIN, 010000000 };
	struct others o;
	mqd_t q = OPEN(c, "/g", O_CREAT | O_RDWR, 0600, AT(4, 100), W_SUCCESS);
	mqd_t w = OPEN2(c, "/g", O_WRONLY, W_SUCCESS);
	mqd_t x = OPEN2(c, "/g", O_RDONLY | NB, W_SUCCESS);

	others_open(&o);
	ATTR(c, q, 0, 4, 100, 0);
	/* Any flag but O_NONBLOCK is EINVAL, before the descriptor. */
	for (size_t i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++) {
		SETATTR(c, q, bad_flags[i], W_ERR(EINVAL), A_ANY);
		SETATTR(c, BADFD, bad_flags[i], W_ERR(EINVAL), A_ANY);
		SETATTR(c, o.rd, bad_flags[i], W_ERR(EINVAL), A_ANY);
	}
	ATTR(c, q, 0, 4, 100, 0);
	SETATTR(c, BADFD, NB, W_ERR(EBADF), A_ANY);
	SETATTR(c, INT_MAX, 0, W_ERR(EBADF), A_ANY);
	SETATTR(c, o.rd, NB, W_ERR(EBADF), A_ANY);
	SETATTR(c, o.null, 0, W_ERR(EBADF), A_ANY);
	SETATTR(c, o.wr, NEW_NULL, W_ERR(EBADF), A_ANY);
	GETATTR(c, BADFD, W_ERR(EBADF));
	GETATTR(c, o.rd, W_ERR(EBADF));
	GETATTR(c, o.wr, W_ERR(EBADF));
	GETATTR(c, o.null, W_ERR(EBADF));
	/* oldattr is the state before; only O_NONBLOCK changes. */
	SETATTR(c, q, NB, W_RET(0), A(0, 4, 100, 0));
	ATTR(c, q, NB, 4, 100, 0);
	NB_OF(c, q);
	SETATTR(c, q, NB, W_RET(0), A(NB, 4, 100, 0));
	SETATTR_NOOLD(c, q, 0, W_RET(0));
	ATTR(c, q, 0, 4, 100, 0);
	BLOCKING(c, q);
	/* No newattr: a plain read. */
	SETATTR(c, q, NEW_NULL, W_RET(0), A(0, 4, 100, 0));
	SETATTR_NOOLD(c, q, NEW_NULL, W_RET(0));
	ATTR(c, q, 0, 4, 100, 0);
	/* Any descriptor of the queue, whatever its access mode. */
	SEND(c, w, 3, 1, 1, W_RET(0));
	ATTR(c, w, 0, 4, 100, 1);
	ATTR(c, x, NB, 4, 100, 1);
	SETATTR(c, w, NB, W_RET(0), A(0, 4, 100, 1));
	ATTR(c, w, NB, 4, 100, 1);
	/* The flag belongs to the open description. */
	ATTR(c, q, 0, 4, 100, 1);
	mqd_t d = dup(q);
	CHK(c, d >= 0, 1);
	SETATTR(c, d, NB, W_RET(0), A(0, 4, 100, 1));
	ATTR(c, q, NB, 4, 100, 1);
	NB_OF(c, q);
	CHILD(c, SAME_USER, setattr_child, &q);
	ATTR(c, d, 0, 4, 100, 0);
	ATTR(c, x, NB, 4, 100, 0);
	/* fcntl(F_SETFL) sets the same flag as mq_setattr. */
	SETFL(c, q, O_NONBLOCK);
	ATTR(c, d, NB, 4, 100, 0);
	RECV(c, q, 100, W_ERR(EAGAIN), M_ANY);
	SETFL(c, q, 0);
	ATTR(c, q, 0, 4, 100, 0);
	TRECV(c, q, 100, &ts_past, W_ERR(ETIMEDOUT), M_ANY);
	SETATTR(c, q, NB, W_RET(0), A(0, 4, 100, 0));
	NB_OF(c, d);
	for (int i = 0; i < 4; i++)
		SEND(c, q, i, i, i, W_RET(0));
	SEND(c, q, 1, 0, 9, W_ERR(EAGAIN));
	ATTR(c, q, NB, 4, 100, 4);
	CLOSE(c, d, W_RET(0));
	mqd_t t[] = { q, w, x };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CLOSE(c, t[i], W_RET(0));
}

/* ---- Descriptors (B6, C30) ----------------------------------------------- */

PDIFF_CASE(descriptors)
{
	struct others o;
	mqd_t q = OPEN(c, "/d", O_CREAT | O_RDWR, 0600, AT(2, 8), W_SUCCESS);

	others_open(&o);
	CLOEXEC(c, q);
	/* A dup is the same description, and closes on its own. */
	mqd_t d = dup(q);
	CHK(c, d >= 0, 1);
	SEND(c, d, 1, 2, 3, W_RET(0));
	ATTR(c, q, 0, 2, 8, 1);
	CLOSE(c, d, W_RET(0));
	SEND(c, d, 1, 2, 3, W_ERR(EBADF));
	ATTR(c, q, 0, 2, 8, 1);
	RECV_GOT(c, q, 8, 1, 2, 3);
	/* mq_close is close(): any descriptor, once. */
	CLOSE(c, o.rd, W_RET(0));
	CLOSE(c, o.rd, W_ERR(EBADF));
	CLOSE(c, o.null, W_RET(0));
	CLOSE(c, q, W_RET(0));
	CLOSE(c, q, W_ERR(EBADF));
	GETATTR(c, q, W_ERR(EBADF));
	CLOSE(c, INT_MAX, W_ERR(EBADF));
	close(o.wr);
}

/* No free descriptor: EMFILE before the name is looked up (C32). */
PDIFF_CASE(emfile_first)
{
	struct rlimit old, rl;
	mqd_t q = OPEN(c, "/e", O_CREAT | O_RDWR, 0600, AT(2, 8), W_SUCCESS);
	static char n256[300], path[PATH_MAX + 2];

	long_name(n256, 256, 'n');
	int lowest = dup(0);
	close(lowest);
	getrlimit(RLIMIT_NOFILE, &old);
	rl = old;
	rl.rlim_cur = lowest;
	CHK(c, setrlimit(RLIMIT_NOFILE, &rl), 0);
	OPEN2(c, "/e", O_RDWR, W_ERR(EMFILE));
	OPEN2(c, "/missing", O_RDWR, W_ERR(EMFILE));
	OPEN(c, "/new", O_CREAT | O_RDWR, 0600, AT(2, 8), W_ERR(EMFILE));
	OPEN2(c, "/a/b", O_RDWR, W_ERR(EMFILE));
	OPEN2(c, n256, O_RDWR, W_ERR(EMFILE));
	OPEN(c, "/e", O_CREAT | O_EXCL | O_RDWR, 0600, NULL, W_ERR(EMFILE));
	/*
	 * Only glibc's check and the copy of the name come first: the copy
	 * fails if the name is empty, or has no NUL in its first PATH_MAX
	 * bytes (the kernel gets the name without its '/').
	 */
	OPEN2(c, "e", O_RDWR, W_ERR(EINVAL));
	OPEN2(c, "/", O_RDWR, W_ERR(ENOENT));
	OPEN2(c, long_name(path, PATH_MAX, 'p'), O_RDWR, W_ERR(ENAMETOOLONG));
	OPEN2(c, long_name(path, PATH_MAX - 1, 'p'), O_RDWR, W_ERR(EMFILE));
	/* The other calls need no descriptor. */
	SEND(c, q, 1, 0, 1, W_RET(0));
	ATTR(c, q, 0, 2, 8, 1);
	UNLINK(c, "/missing", W_ERR(ENOENT));
	CHK(c, setrlimit(RLIMIT_NOFILE, &old), 0);
	mqd_t r = OPEN2(c, "/e", O_RDWR, W_SUCCESS);
	RECV_GOT(c, r, 8, 1, 0, 1);
	CLOSE(c, r, W_RET(0));
	CLOSE(c, q, W_RET(0));
}

/* ---- mq_notify (B10, B11, C24, C25) -------------------------------------- */

static void notify_child(struct ctx *c, void *arg)
{
	mqd_t q = *(mqd_t *)arg;

	/* Not the owner: NULL does nothing, registering is EBUSY. */
	NOTIFY_NULL(c, q, W_RET(0));
	NOTIFY(c, q, SIGEV_NONE, 0, W_ERR(EBUSY));
	STATUS(c, q, 0, SIGEV_NONE, 0, SELF);
	/* Closing its inherited copy leaves the owner's registration. */
	CLOSE(c, q, W_RET(0));
}

static void notify_user(struct ctx *c, void *arg)
{
	mqd_t u = OPEN2(c, "/n", O_RDONLY, W_SUCCESS);

	NOTIFY_NULL(c, u, W_RET(0));
	NOTIFY(c, u, SIGEV_SIGNAL, SIGUSR1, W_ERR(EBUSY));
	STATUS(c, u, 0, SIGEV_NONE, 0, SELF);
	CLOSE(c, u, W_RET(0));
}

PDIFF_CASE(notify_validation)
{
	static const int bad_how[] = { 3, 4, -1, 100, INT_MIN };
	static const int bad_signo[] = { 65, -1, 128, INT_MAX, INT_MIN };
	struct others o;
	mqd_t q = OPEN(c, "/n", O_CREAT | O_RDWR, 0666, AT(4, 16), W_SUCCESS);

	need_uid_switch();
	others_open(&o);
	/* sigev_notify and the signal number first, then the descriptor. */
	for (size_t i = 0; i < sizeof(bad_how) / sizeof(bad_how[0]); i++) {
		NOTIFY(c, q, bad_how[i], SIGUSR1, W_ERR(EINVAL));
		NOTIFY(c, BADFD, bad_how[i], SIGUSR1, W_ERR(EINVAL));
		NOTIFY(c, o.rd, bad_how[i], 0, W_ERR(EINVAL));
	}
	for (size_t i = 0; i < sizeof(bad_signo) / sizeof(bad_signo[0]); i++) {
		NOTIFY(c, q, SIGEV_SIGNAL, bad_signo[i], W_ERR(EINVAL));
		NOTIFY(c, BADFD, SIGEV_SIGNAL, bad_signo[i], W_ERR(EINVAL));
	}
	/* The signal number matters only for SIGEV_SIGNAL. */
	NOTIFY(c, BADFD, SIGEV_NONE, 65, W_ERR(EBADF));
	NOTIFY(c, BADFD, SIGEV_NONE, 0, W_ERR(EBADF));
	NOTIFY(c, INT_MAX, SIGEV_SIGNAL, SIGUSR1, W_ERR(EBADF));
	NOTIFY(c, o.rd, SIGEV_NONE, 0, W_ERR(EBADF));
	NOTIFY(c, o.null, SIGEV_SIGNAL, SIGUSR1, W_ERR(EBADF));
	NOTIFY_NULL(c, BADFD, W_ERR(EBADF));
	NOTIFY_NULL(c, o.wr, W_ERR(EBADF));
	STATUS(c, q, 0, 0, 0, 0);
	/* Nobody registered: NULL is a no-op. */
	NOTIFY_NULL(c, q, W_RET(0));
	NOTIFY(c, q, SIGEV_NONE, 65, W_RET(0));
	STATUS(c, q, 0, SIGEV_NONE, 0, SELF);
	/* Registered: EBUSY, for the owner too, after validation. */
	NOTIFY(c, q, SIGEV_NONE, 0, W_ERR(EBUSY));
	NOTIFY(c, q, SIGEV_SIGNAL, SIGUSR1, W_ERR(EBUSY));
	NOTIFY(c, q, 3, 0, W_ERR(EINVAL));
	NOTIFY(c, q, SIGEV_SIGNAL, 65, W_ERR(EINVAL));
	CHILD(c, SAME_USER, notify_child, &q);
	CHILD(c, USER(1000), notify_user, NULL);
	STATUS(c, q, 0, SIGEV_NONE, 0, SELF);
	/* The owner's NULL unregisters. */
	NOTIFY_NULL(c, q, W_RET(0));
	STATUS(c, q, 0, 0, 0, 0);
	NOTIFY_NULL(c, q, W_RET(0));
	/* SIGNO shows for SIGEV_SIGNAL; 0 and 64 are valid numbers. */
	static const int signos[] = { SIGUSR1, 0, 64, 1, 33 };
	for (size_t i = 0; i < sizeof(signos) / sizeof(signos[0]); i++) {
		NOTIFY(c, q, SIGEV_SIGNAL, signos[i], W_RET(0));
		STATUS(c, q, 0, SIGEV_SIGNAL, signos[i], SELF);
		NOTIFY_NULL(c, q, W_RET(0));
		STATUS(c, q, 0, 0, 0, 0);
	}
	/* Any descriptor of the queue will do, whatever its access. */
	mqd_t w = OPEN2(c, "/n", O_WRONLY, W_SUCCESS);
	mqd_t x = OPEN(c, "/n3", O_CREAT | O_ACCMODE, 0600, AT(1, 1),
		       W_SUCCESS);
	NOTIFY(c, w, SIGEV_NONE, 0, W_RET(0));
	STATUS(c, q, 0, SIGEV_NONE, 0, SELF);
	NOTIFY(c, q, SIGEV_NONE, 0, W_ERR(EBUSY));
	NOTIFY_NULL(c, q, W_RET(0));	/* the same process: unregisters */
	STATUS(c, q, 0, 0, 0, 0);
	NOTIFY(c, x, SIGEV_NONE, 0, W_RET(0));
	NOTIFY(c, x, SIGEV_NONE, 0, W_ERR(EBUSY));
	NOTIFY_NULL(c, x, W_RET(0));
	NOTIFY(c, x, SIGEV_SIGNAL, SIGUSR2, W_RET(0));
	mqd_t t[] = { q, w, x };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CLOSE(c, t[i], W_RET(0));
}

/* When a registration ends: delivery, NULL, or the owner's close. */
PDIFF_CASE(notify_lifetime)
{
	mqd_t q = OPEN(c, "/l", O_CREAT | O_RDWR, 0600, AT(4, 16), W_SUCCESS);
	mqd_t other = OPEN(c, "/other", O_CREAT | O_RDWR, 0600, AT(1, 1),
			   W_SUCCESS);

	/* SIGEV_NONE is consumed by the empty to non-empty send. */
	NOTIFY(c, q, SIGEV_NONE, 0, W_RET(0));
	SEND(c, q, 3, 0, 1, W_RET(0));
	STATUS(c, q, 3, 0, 0, 0);
	/* Registering on a non-empty queue: only the next transition. */
	NOTIFY(c, q, SIGEV_NONE, 0, W_RET(0));
	SEND(c, q, 4, 0, 2, W_RET(0));
	STATUS(c, q, 7, SIGEV_NONE, 0, SELF);
	RECV_GOT(c, q, 16, 3, 0, 1);
	RECV_GOT(c, q, 16, 4, 0, 2);
	STATUS(c, q, 0, SIGEV_NONE, 0, SELF);
	SEND(c, q, 0, 1, 3, W_RET(0));
	STATUS(c, q, 0, 0, 0, 0);
	NOTIFY(c, q, SIGEV_NONE, 0, W_RET(0));
	RECV_GOT(c, q, 16, 0, 1, TAG_NONE);
	/* Failed sends do not fire. */
	SEND(c, q, 17, 0, 1, W_ERR(EMSGSIZE));
	SEND(c, q, 1, 32768, 1, W_ERR(EINVAL));
	STATUS(c, q, 0, SIGEV_NONE, 0, SELF);
	/* Closing a dup, or another descriptor of the queue, unregisters. */
	mqd_t d = dup(q);
	CHK(c, d >= 0, 1);
	CLOSE(c, d, W_RET(0));
	STATUS(c, q, 0, 0, 0, 0);
	NOTIFY(c, q, SIGEV_SIGNAL, SIGUSR1, W_RET(0));
	mqd_t q2 = OPEN2(c, "/l", O_WRONLY, W_SUCCESS);
	CLOSE(c, q2, W_RET(0));
	STATUS(c, q, 0, 0, 0, 0);
	/* Not a descriptor of another queue, nor mq_unlink. */
	NOTIFY(c, q, SIGEV_NONE, 0, W_RET(0));
	CLOSE(c, other, W_RET(0));
	STATUS(c, q, 0, SIGEV_NONE, 0, SELF);
	UNLINK(c, "/l", W_RET(0));
	STATUS(c, q, 0, SIGEV_NONE, 0, SELF);
	NOTIFY(c, q, SIGEV_NONE, 0, W_ERR(EBUSY));
	SEND(c, q, 2, 0, 4, W_RET(0));
	STATUS(c, q, 2, 0, 0, 0);
	CLOSE(c, q, W_RET(0));
}

static void send_child(struct ctx *c, void *arg)
{
	mqd_t q = *(mqd_t *)arg;

	SEND(c, q, 5, 2, 6, W_RET(0));
}

static void nonowner_child(struct ctx *c, void *arg)
{
	mqd_t q = *(mqd_t *)arg;

	NOTIFY_NULL(c, q, W_RET(0));
}

/* SIGEV_SIGNAL: who gets what (C26), and signo 0. */
PDIFF_CASE(notify_signal)
{
	mqd_t q = OPEN(c, "/ns", O_CREAT | O_RDWR, 0600, AT(4, 16), W_SUCCESS);
	int rt = SIGRTMIN + 2;

	NO_SIGNAL(c, 0);
	NOTIFY(c, q, SIGEV_SIGNAL, SIGUSR1, W_RET(0));
	SEND(c, q, 1, 0, 1, W_RET(0));
	SIGWAIT(c, 2000, SIGUSR1, SI_MESGQ, SELF, 0, 42);
	STATUS(c, q, 1, 0, 0, 0);
	/* Non-empty: no signal until it is emptied and filled again. */
	NOTIFY(c, q, SIGEV_SIGNAL, rt, W_RET(0));
	SEND(c, q, 2, 0, 2, W_RET(0));
	NO_SIGNAL(c, 100);
	RECV_GOT(c, q, 16, 1, 0, 1);
	RECV_GOT(c, q, 16, 2, 0, 2);
	NO_SIGNAL(c, 100);
	/* si_pid is the sender. */
	int sender = CHILD(c, SAME_USER, send_child, &q);
	SIGWAIT(c, 2000, rt, SI_MESGQ, sender, 0, 42);
	NO_SIGNAL(c, 100);
	RECV_GOT(c, q, 16, 5, 2, 6);
	/* signo 0: registered, consumed, nothing sent. */
	NOTIFY(c, q, SIGEV_SIGNAL, 0, W_RET(0));
	STATUS(c, q, 0, SIGEV_SIGNAL, 0, SELF);
	SEND(c, q, 3, 0, 3, W_RET(0));
	NO_SIGNAL(c, 100);
	STATUS(c, q, 3, 0, 0, 0);
	RECV_GOT(c, q, 16, 3, 0, 3);
	/* A non-owner's NULL leaves the registration. */
	NOTIFY(c, q, SIGEV_SIGNAL, SIGUSR2, W_RET(0));
	CHILD(c, SAME_USER, nonowner_child, &q);
	STATUS(c, q, 0, SIGEV_SIGNAL, SIGUSR2, SELF);
	SEND(c, q, 4, 9, 4, W_RET(0));
	SIGWAIT(c, 2000, SIGUSR2, SI_MESGQ, SELF, 0, 42);
	NO_SIGNAL(c, 100);
	CLOSE(c, q, W_RET(0));
}

/* Messages that never enter the queue, or enter it by a receive. */
PDIFF_CASE(notify_handoff)
{
	mqd_t q = OPEN(c, "/h", O_CREAT | O_RDWR, 0600, AT(1, 16), W_SUCCESS);

	NOTIFY(c, q, SIGEV_SIGNAL, SIGUSR1, W_RET(0));
	/* Handed to a blocked receiver: no notification, still registered. */
	pid_t r = BG_RECV(c, q, 16, W_RET(3), M(7, 5));
	SEND(c, q, 3, 7, 5, W_RET(0));
	bg_wait(r);
	NO_SIGNAL(c, 200);
	STATUS(c, q, 0, SIGEV_SIGNAL, SIGUSR1, SELF);
	ATTR(c, q, 0, 1, 16, 0);
	/* A blocked sender's message put in by a receive does not notify. */
	NOTIFY_NULL(c, q, W_RET(0));
	SEND(c, q, 2, 1, 8, W_RET(0));
	NOTIFY(c, q, SIGEV_SIGNAL, SIGUSR1, W_RET(0));
	pid_t s = BG_SEND(c, q, 4, 2, 9, W_RET(0));
	RECV_GOT(c, q, 16, 2, 1, 8);
	bg_wait(s);
	ATTR(c, q, 0, 1, 16, 1);
	NO_SIGNAL(c, 200);
	STATUS(c, q, 4, SIGEV_SIGNAL, SIGUSR1, SELF);
	RECV_GOT(c, q, 16, 4, 2, 9);
	SEND(c, q, 1, 0, 1, W_RET(0));
	SIGWAIT(c, 2000, SIGUSR1, SI_MESGQ, SELF, 0, 42);
	CLOSE(c, q, W_RET(0));
}

/* SIGEV_THREAD: glibc's, or umq's own (B10). */
PDIFF_CASE(notify_thread)
{
	mqd_t q = OPEN(c, "/t", O_CREAT | O_RDWR, 0600, AT(4, 16), W_SUCCESS);

	NOTIFY_THREAD(c, q, 7, W_RET(0));
	STATUS(c, q, 0, SIGEV_THREAD, 0, SELF);
	NOTIFY(c, q, SIGEV_NONE, 0, W_ERR(EBUSY));
	NOTIFY_THREAD(c, q, 8, W_ERR(EBUSY));
	SEND(c, q, 2, 0, 1, W_RET(0));
	THREAD_RAN(c, 2000, 7);
	STATUS(c, q, 2, 0, 0, 0);
	/* Registered on a non-empty queue: the next transition only. */
	NOTIFY_THREAD(c, q, 9, W_RET(0));
	SEND(c, q, 3, 0, 2, W_RET(0));
	NO_THREAD(c, 100);
	RECV_GOT(c, q, 16, 2, 0, 1);
	RECV_GOT(c, q, 16, 3, 0, 2);
	SEND(c, q, 0, 0, 3, W_RET(0));
	THREAD_RAN(c, 2000, 9);
	NO_THREAD(c, 100);
	RECV_GOT(c, q, 16, 0, 0, TAG_NONE);
	/* Unregistered by NULL, or by closing a dup: nothing runs. */
	NOTIFY_THREAD(c, q, 10, W_RET(0));
	NOTIFY_NULL(c, q, W_RET(0));
	STATUS(c, q, 0, 0, 0, 0);
	NOTIFY_THREAD(c, q, 11, W_RET(0));
	mqd_t d = dup(q);
	CHK(c, d >= 0, 1);
	CLOSE(c, d, W_RET(0));
	STATUS(c, q, 0, 0, 0, 0);
	SEND(c, q, 1, 0, 4, W_RET(0));
	NO_THREAD(c, 100);
	/* Each notification its own call. */
	RECV_GOT(c, q, 16, 1, 0, 4);
	NOTIFY_THREAD(c, q, 12, W_RET(0));
	SEND(c, q, 1, 0, 5, W_RET(0));
	THREAD_RAN(c, 2000, 12);
	RECV_GOT(c, q, 16, 1, 0, 5);
	NOTIFY_THREAD(c, q, 13, W_RET(0));
	SEND(c, q, 1, 0, 6, W_RET(0));
	THREAD_RAN(c, 2000, 13);
	CLOSE(c, q, W_RET(0));
}

/* ---- mq_unlink (B7) ------------------------------------------------------ */

static void unlink_user(struct ctx *c, void *arg)
{
	/* The directory is sticky: only the owner removes a queue. */
	UNLINK(c, "/u", W_ERR(EACCES));
	UNLINK(c, "/u777", W_ERR(EACCES));
	UNLINK(c, "/nothere", W_ERR(ENOENT));
	mqd_t m = OPEN(c, "/mine", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	CLOSE(c, m, W_RET(0));
	UNLINK(c, "/mine", W_RET(0));
	m = OPEN(c, "/mine2", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	CLOSE(c, m, W_RET(0));
}

PDIFF_CASE(unlink)
{
	need_uid_switch();
	umask(0);
	mqd_t q = OPEN(c, "/u", O_CREAT | O_RDWR, 0666, AT(4, 16), W_SUCCESS);
	mqd_t a = OPEN(c, "/u777", O_CREAT | O_RDWR, 0777, AT(1, 1), W_SUCCESS);
	SEND(c, q, 3, 0, 1, W_RET(0));
	UNLINK(c, "/missing", W_ERR(ENOENT));
	CHILD(c, USER(1000), unlink_user, NULL);
	UNLINK(c, "/mine2", W_RET(0));	/* the directory's owner may */
	/* The name goes at once; the queue stays for its descriptors. */
	UNLINK(c, "/u", W_RET(0));
	UNLINK(c, "/u", W_ERR(ENOENT));
	OPEN2(c, "/u", O_RDWR, W_ERR(ENOENT));
	mqd_t n = OPEN(c, "/u", O_CREAT | O_EXCL | O_RDWR, 0600, AT(2, 8),
		       W_SUCCESS);
	ATTR(c, n, 0, 2, 8, 0);
	ATTR(c, q, 0, 4, 16, 1);
	STATUS(c, q, 3, 0, 0, 0);
	RECV_GOT(c, q, 16, 3, 0, 1);
	SEND(c, q, 5, 1, 2, W_RET(0));
	STATUS(c, q, 5, 0, 0, 0);
	STATUS(c, n, 0, 0, 0, 0);
	mqd_t n2 = OPEN2(c, "/u", O_WRONLY, W_SUCCESS);
	SEND(c, n2, 8, 0, 3, W_RET(0));
	ATTR(c, n, 0, 2, 8, 1);
	ATTR(c, q, 0, 4, 16, 1);
	UNLINK(c, "/u", W_RET(0));
	RECV_GOT(c, q, 16, 5, 1, 2);
	RECV_GOT(c, n, 8, 8, 0, 3);
	UNLINK(c, "/u777", W_RET(0));
	mqd_t t[] = { q, a, n, n2 };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CLOSE(c, t[i], W_RET(0));
}

/* ---- Permissions (B4.7, C29) --------------------------------------------- */

static const mode_t perm_modes[] = { 0600, 0640, 0604, 0644, 0666, 0622,
				     0000, 0606, 0660, 0602 };
#define NPERM (sizeof(perm_modes) / sizeof(perm_modes[0]))
static const int accs[] = { O_RDONLY, O_WRONLY, O_RDWR };

/* What class bits (rwx in the low 3) grant for an access mode. */
static struct want perm_want(int bits, int acc)
{
	int need = acc == O_RDONLY ? 4 : acc == O_WRONLY ? 2 : 6;

	return (bits & need) == need ? W_SUCCESS : W_ERR(EACCES);
}

static void perm_name(char *s, size_t n, const char *pfx, mode_t m)
{
	snprintf(s, n, "/%s%04o", pfx, (unsigned)m);
}

/* Open each queue of pfx with each access; the class is shift. */
static void perm_try(struct ctx *c, const char *pfx, int shift)
{
	char name[32];

	for (size_t i = 0; i < NPERM; i++) {
		perm_name(name, sizeof(name), pfx, perm_modes[i]);
		for (size_t j = 0; j < 3; j++) {
			struct want w = perm_want(perm_modes[i] >> shift,
						  accs[j]);
			int fl = accs[j] | NB | (j == 2 ? O_CREAT : 0);
			mqd_t d = OPEN(c, name, fl, 0666, NULL, w);

			if (d == -1)
				continue;
			/* The descriptor has the access asked for. */
			if (accs[j] == O_RDONLY)
				SEND(c, d, 1, 0, i, W_ERR(EBADF));
			if (accs[j] == O_WRONLY)
				RECV(c, d, 8, W_ERR(EBADF), M_ANY);
			if (accs[j] == O_RDWR) {
				SEND(c, d, 1, 0, i, W_RET(0));
				RECV(c, d, 8, W_RET(1), M(0, i));
			}
			CLOSE(c, d, W_RET(0));
		}
		/* Access mode 3 and EEXIST come before permissions. */
		OPEN2(c, name, O_ACCMODE, W_ERR(EINVAL));
		OPEN(c, name, O_CREAT | O_EXCL | O_RDWR, 0666, NULL,
		     W_ERR(EEXIST));
	}
}

static void perm_other(struct ctx *c, void *arg)
{
	perm_try(c, "p", 0);	/* uid 1000 is "other" for root's queues */
	perm_try(c, "g", 0);	/* and for uid 2000's */
}

static void perm_group(struct ctx *c, void *arg)
{
	perm_try(c, "g", 3);
}

static void perm_owner(struct ctx *c, void *arg)
{
	char name[32];

	perm_try(c, "g", 6);
	/* The creator gets what it asks for, even with mode 0. */
	for (size_t j = 0; j < 3; j++) {
		perm_name(name, sizeof(name), "z", j);
		mqd_t d = OPEN(c, name, O_CREAT | O_EXCL | NB | accs[j], 0,
			       AT(1, 8), W_SUCCESS);
		if (accs[j] != O_RDONLY)
			SEND(c, d, 2, 3, 4, W_RET(0));
		else
			RECV(c, d, 8, W_ERR(EAGAIN), M_ANY);
		if (accs[j] == O_RDWR)
			RECV_GOT(c, d, 8, 2, 3, 4);
		CLOSE(c, d, W_RET(0));
		OPEN2(c, name, accs[j], W_ERR(EACCES));
	}
}

/* Create a queue of pfx for each mode, as it is (no umask). */
static void perm_make(struct ctx *c, const char *pfx)
{
	char name[32];

	umask(0);
	for (size_t i = 0; i < NPERM; i++) {
		perm_name(name, sizeof(name), pfx, perm_modes[i]);
		mqd_t d = OPEN(c, name, O_CREAT | O_EXCL | O_RDWR | NB,
			       perm_modes[i], AT(1, 8), W_SUCCESS);
		CLOSE(c, d, W_RET(0));
	}
}

static void perm_create(struct ctx *c, void *arg)
{
	perm_make(c, "g");
}

PDIFF_CASE(permissions)
{
	static const struct who group = { 2001, 2001, 1, { 2000 } };
	static const struct who owner = { 2000, 2000, 0, { 0 } };
	static const struct who group2 = { 2002, 2000, 0, { 0 } };
	char name[32];

	need_uid_switch();
	perm_make(c, "p");
	CHILD(c, owner, perm_create, NULL);
	CHILD(c, USER(1000), perm_other, NULL);
	CHILD(c, group, perm_group, NULL);	/* supplementary group */
	CHILD(c, group2, perm_group, NULL);	/* primary group */
	CHILD(c, owner, perm_owner, NULL);
	/* Root overrides the modes with CAP_DAC_OVERRIDE. */
	perm_name(name, sizeof(name), "z", 2);
	mqd_t d = OPEN2(c, name, O_RDWR,
			if_cap(CAP_DAC_OVERRIDE, W_SUCCESS, W_ERR(EACCES)));
	if (d != -1)
		CLOSE(c, d, W_RET(0));
}

/* ---- The status line (B11) ----------------------------------------------- */

PDIFF_CASE(status_line)
{
	mqd_t q = OPEN(c, "/st", O_CREAT | O_RDWR, 0600, AT(DEF_MAX, DEF_SIZE),
		       W_SUCCESS);
	mqd_t r = OPEN2(c, "/st", O_RDONLY, W_SUCCESS);

	STATUS(c, q, 0, 0, 0, 0);
	STATUS(c, r, 0, 0, 0, 0);
	SEND(c, q, 10, 1, 1, W_RET(0));
	STATUS(c, q, 10, 0, 0, 0);
	SEND(c, q, 0, 2, 2, W_RET(0));
	STATUS(c, r, 10, 0, 0, 0);
	SEND(c, q, DEF_SIZE, 0, 3, W_RET(0));
	STATUS(c, q, 10 + DEF_SIZE, 0, 0, 0);
	RECV_GOT(c, r, DEF_SIZE, 0, 2, TAG_NONE);
	STATUS(c, q, 10 + DEF_SIZE, 0, 0, 0);
	RECV_GOT(c, r, DEF_SIZE, 10, 1, 1);
	STATUS(c, q, DEF_SIZE, 0, 0, 0);
	/* Wide values fill their columns. */
	for (int i = 0; i < DEF_MAX - 1; i++)
		SEND(c, q, DEF_SIZE, i, i, W_RET(0));
	STATUS(c, q, DEF_MAX * DEF_SIZE, 0, 0, 0);
	NOTIFY(c, r, SIGEV_SIGNAL, SIGRTMAX, W_RET(0));
	STATUS(c, q, DEF_MAX * DEF_SIZE, 0, SIGRTMAX, SELF);
	/* Reading it again gives it again. */
	STATUS(c, q, DEF_MAX * DEF_SIZE, 0, SIGRTMAX, SELF);
	for (int i = 0; i < DEF_MAX; i++)
		RECV(c, r, DEF_SIZE, W_RET(DEF_SIZE), M_ANY);
	STATUS(c, r, 0, 0, SIGRTMAX, SELF);
	CLOSE(c, r, W_RET(0));
	STATUS(c, q, 0, 0, 0, 0);
	CLOSE(c, q, W_RET(0));
}

/* ---- Blocking calls (B8, B9, C27, C28) ----------------------------------- */

/* A handled signal: EINTR without SA_RESTART, a restart with it. */
PDIFF_CASE(signals_restart)
{
	mqd_t q = OPEN(c, "/i", O_CREAT | O_RDWR, 0600, AT(1, 16), W_SUCCESS);
	pid_t p;

	c->bg_handler = 1;
	p = BG_RECV(c, q, 16, W_ERR(EINTR), M_ANY);
	kill(p, SIGUSR1);
	bg_wait(p);
	struct timespec later = in_ms(5000);
	p = BG_TRECV(c, q, 16, &later, W_ERR(EINTR), M_ANY);
	kill(p, SIGUSR1);
	bg_wait(p);
	c->bg_handler = 2;
	p = BG_RECV(c, q, 16, W_RET(3), M(1, 2));
	bg_interrupt(p);
	SEND(c, q, 3, 1, 2, W_RET(0));
	bg_wait(p);
	/* A restarted timed call keeps its deadline. */
	struct timespec soon = in_ms(300);
	p = BG_TRECV(c, q, 16, &soon, W_ERR(ETIMEDOUT), M_ANY);
	bg_interrupt(p);
	bg_wait(p);
	/* A stop and continue without a handler does not end the call. */
	c->bg_handler = 0;
	p = BG_RECV(c, q, 16, W_RET(4), M(2, 3));
	bg_stop_cont(p);
	SEND(c, q, 4, 2, 3, W_RET(0));
	bg_wait(p);
	/* The same for a sender on a full queue; EINTR discards the text. */
	SEND(c, q, 1, 0, 1, W_RET(0));
	c->bg_handler = 1;
	p = BG_SEND(c, q, 2, 0, 3, W_ERR(EINTR));
	kill(p, SIGUSR1);
	bg_wait(p);
	ATTR(c, q, 0, 1, 16, 1);
	STATUS(c, q, 1, 0, 0, 0);
	c->bg_handler = 2;
	p = BG_SEND(c, q, 2, 5, 4, W_RET(0));
	bg_interrupt(p);
	RECV_GOT(c, q, 16, 1, 0, 1);
	bg_wait(p);
	RECV_GOT(c, q, 16, 2, 5, 4);
	SEND(c, q, 1, 0, 1, W_RET(0));
	soon = in_ms(300);
	p = BG_TSEND(c, q, 2, 0, 5, &soon, W_ERR(ETIMEDOUT));
	bg_interrupt(p);
	bg_wait(p);
	c->bg_handler = 0;
	p = BG_SEND(c, q, 2, 6, 6, W_RET(0));
	bg_stop_cont(p);
	RECV_GOT(c, q, 16, 1, 0, 1);
	bg_wait(p);
	RECV_GOT(c, q, 16, 2, 6, 6);
	ATTR(c, q, 0, 1, 16, 0);
	CLOSE(c, q, W_RET(0));
}

/* Waiters by scheduling priority (nice), FIFO among equals. */
PDIFF_CASE(waiter_order)
{
	mqd_t q = OPEN(c, "/w", O_CREAT | O_RDWR, 0600, AT(1, 16), W_SUCCESS);
	pid_t p1, p2, p3;

	c->nice0 = t_nice_base(10);
	c->bg_nice = 10;
	p1 = BG_RECV(c, q, 16, W_RET(2), M(0, 2));
	c->bg_nice = 0;
	p2 = BG_RECV(c, q, 16, W_RET(1), M(0, 1));
	p3 = BG_RECV(c, q, 16, W_RET(3), M(0, 3));
	SEND(c, q, 1, 0, 1, W_RET(0));	/* to p2: nice 0, before p3 */
	bg_wait(p2);
	SEND(c, q, 3, 0, 3, W_RET(0));	/* to p3: nice 0 */
	bg_wait(p3);
	SEND(c, q, 2, 0, 2, W_RET(0));
	bg_wait(p1);
	ATTR(c, q, 0, 1, 16, 0);
	/* Senders: the queue takes the message of the first chosen. */
	SEND(c, q, 4, 0, 4, W_RET(0));
	c->bg_nice = 10;
	p1 = BG_SEND(c, q, 5, 0, 5, W_RET(0));
	c->bg_nice = 0;
	p2 = BG_SEND(c, q, 6, 0, 6, W_RET(0));
	p3 = BG_SEND(c, q, 7, 9, 7, W_RET(0));
	RECV_GOT(c, q, 16, 4, 0, 4);
	bg_wait(p2);
	RECV_GOT(c, q, 16, 6, 0, 6);
	bg_wait(p3);
	RECV_GOT(c, q, 16, 7, 9, 7);
	bg_wait(p1);
	RECV_GOT(c, q, 16, 5, 0, 5);
	ATTR(c, q, 0, 1, 16, 0);
	CLOSE(c, q, W_RET(0));
}

#define POLLIN_IS(c, d, v) \
	d_chk(c, __LINE__, "poll(" #d ") revents but POLLOUT", poll_in(d, 0), v)
#define READABLE (POLLIN | POLLRDNORM)

/* Readable iff the queue holds a message (B6). */
PDIFF_CASE(poll_readable)
{
	mqd_t q = OPEN(c, "/pl", O_CREAT | O_RDWR, 0600, AT(2, 16), W_SUCCESS);
	mqd_t r = OPEN2(c, "/pl", O_RDONLY, W_SUCCESS);

	POLLIN_IS(c, q, 0);
	POLLIN_IS(c, r, 0);
	SEND(c, q, 0, 0, 0, W_RET(0));
	POLLIN_IS(c, q, READABLE);
	POLLIN_IS(c, r, READABLE);
	SEND(c, q, 1, 1, 1, W_RET(0));
	RECV_GOT(c, r, 16, 1, 1, 1);
	POLLIN_IS(c, q, READABLE);
	RECV_GOT(c, q, 16, 0, 0, TAG_NONE);
	POLLIN_IS(c, q, 0);
	POLLIN_IS(c, r, 0);
	/* A poller is woken by the send that makes the queue non-empty. */
	pid_t p = BG_POLL(c, r, READABLE);
	SEND(c, q, 2, 0, 2, W_RET(0));
	bg_wait(p);
	RECV_GOT(c, q, 16, 2, 0, 2);
	CLOSE(c, q, W_RET(0));
	CLOSE(c, r, W_RET(0));
}

/*
 * The kernel's poll does not look at the access mode: an access-mode-3
 * descriptor is readable too while the queue holds a message.  (A
 * write-only one is as well on the kernel; umq's is not - DESIGN.md
 * lists it among the differences - so it is not polled here.)
 */
PDIFF_CASE(poll_readable_any_access)
{
	mqd_t q = OPEN(c, "/pl", O_CREAT | O_RDWR, 0600, AT(2, 16), W_SUCCESS);
	mqd_t w = OPEN2(c, "/pl", O_WRONLY, W_SUCCESS);
	mqd_t x = OPEN(c, "/pl3", O_CREAT | O_ACCMODE, 0600, AT(1, 1),
		       W_SUCCESS);
	mqd_t x2 = OPEN2(c, "/pl3", O_WRONLY, W_SUCCESS);

	POLLIN_IS(c, x, 0);
	SEND(c, w, 0, 0, 0, W_RET(0));
	SEND(c, x2, 1, 0, 1, W_RET(0));
	POLLIN_IS(c, x, READABLE);
	RECV_GOT(c, q, 16, 0, 0, TAG_NONE);
	mqd_t t[] = { q, w, x, x2 };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CLOSE(c, t[i], W_RET(0));
}

/*
 * A descriptor created with access mode 3 holds its queue like any
 * other: after mq_unlink the queue, its messages and its queues_max
 * count live until that descriptor is closed (B7, B13).  (umq's
 * DESIGN.md lists this as a difference.)
 */
PDIFF_CASE(accmode3_lifetime)
{
	LIMIT(c, "queues_max", 2, W_RET(0));
	mqd_t x = OPEN(c, "/x", O_CREAT | O_ACCMODE, 0600, AT(2, 16),
		       W_SUCCESS);
	mqd_t w = OPEN2(c, "/x", O_WRONLY, W_SUCCESS);
	SEND(c, w, 5, 1, 5, W_RET(0));
	CLOSE(c, w, W_RET(0));
	UNLINK(c, "/x", W_RET(0));
	ATTR(c, x, 0, 2, 16, 1);
	NOTIFY(c, x, SIGEV_NONE, 0, W_RET(0));
	mqd_t y = OPEN(c, "/y", O_CREAT | O_RDWR, 0600, AT(1, 1), W_SUCCESS);
	ATTR(c, x, 0, 2, 16, 1);
	STATUS(c, y, 0, 0, 0, 0);
	OPEN(c, "/z", O_CREAT | O_RDWR, 0600, AT(1, 1), W_ERR(ENOSPC));
	OPEN(c, "/x", O_CREAT | O_EXCL | O_ACCMODE, 0600, AT(1, 1),
	     W_ERR(ENOSPC));
	CLOSE(c, x, W_RET(0));
	mqd_t x2 = OPEN(c, "/x", O_CREAT | O_EXCL | O_RDWR, 0600, AT(1, 1),
			W_SUCCESS);
	ATTR(c, x2, 0, 1, 1, 0);
	CLOSE(c, x2, W_RET(0));
	CLOSE(c, y, W_RET(0));
}

/* ---- Random operations --------------------------------------------------- */

#define RSLOTS 8
static const char *const rnames[] = { "/r0", "/r1", "/r2", "/r3" };

struct rstate {
	uint64_t s;
	mqd_t fd[RSLOTS];	/* -1: empty slot, used as a bad descriptor */
	int acc[RSLOTS];	/* access mode it was opened with */
	int nb[RSLOTS];		/* O_NONBLOCK as the scenario set it */
	char dn[RSLOTS][8];	/* label of the slot */
};

static void rnd_open(struct ctx *c, struct rstate *r, int i)
{
	static const int raccs[] = { O_RDONLY, O_WRONLY, O_RDWR, O_RDWR };
	static const long attrs[][2] = { { 1, 1 }, { 2, 16 }, { 4, 64 },
					 { 8, 100 }, { 3, 8 }, { 0, 16 },
					 { DEF_MAX + 1, 16 } };
	static const mode_t modes[] = { 0600, 0, 0644 };
	struct mq_attr a, *ap = NULL;
	int fl = RND(&r->s, 16) ? raccs[RND(&r->s, 4)] : O_ACCMODE;

	/* Always O_NONBLOCK: nothing may block. */
	fl |= NB | (RND(&r->s, 3) ? O_CREAT : 0) | (RND(&r->s, 4) ? 0 : O_EXCL);
	if (RND(&r->s, 5)) {
		long k = RND(&r->s, 7);

		a = (struct mq_attr){ .mq_maxmsg = attrs[k][0],
				      .mq_msgsize = attrs[k][1] };
		ap = &a;
	}
	if (r->fd[i] != -1)
		d_close(c, __LINE__, r->dn[i], r->fd[i], W_RET(0));
	r->fd[i] = d_open(c, __LINE__, rnames[RND(&r->s, 4)], fl,
			  modes[RND(&r->s, 3)], ap, W_ANY);
	r->acc[i] = fl & O_ACCMODE;
	r->nb[i] = 1;
}

static void rnd_send(struct ctx *c, struct rstate *r, int i)
{
	static const size_t lens[] = { 0, 1, 8, 9, 15, 16, 17, 63, 64, 65,
				       100, 101 };
	size_t len = lens[RND(&r->s, 12)];
	unsigned prio = RND(&r->s, 16) ? RND(&r->s, 4) :
			RND(&r->s, 2) ? 32767 : 32768;
	int tag = RND(&r->s, 256);

	/* A blocking description may only be given a past deadline. */
	if (r->nb[i] && RND(&r->s, 2))
		d_send(c, __LINE__, r->dn[i], r->fd[i], sbuf, len, prio, tag,
		       TS_NONE, W_ANY);
	else
		d_send(c, __LINE__, r->dn[i], r->fd[i], sbuf, len, prio, tag,
		       &ts_epoch, W_ANY);
}

static void rnd_recv(struct ctx *c, struct rstate *r, int i)
{
	static const size_t lens[] = { 1, 16, 64, 100, 128, 8192, 8192,
				       8192 };
	size_t len = lens[RND(&r->s, 8)];
	unsigned *pp = RND(&r->s, 4) ? PRIO_PTR : NULL;

	if (r->nb[i] && RND(&r->s, 2))
		d_recv(c, __LINE__, r->dn[i], r->fd[i], rbuf, len, pp,
		       TS_NONE, W_ANY, M_ANY);
	else
		d_recv(c, __LINE__, r->dn[i], r->fd[i], rbuf, len, pp,
		       &ts_epoch, W_ANY, M_ANY);
}

static void rnd_ctl(struct ctx *c, struct rstate *r, int i)
{
	static const long flags[] = { NB, 0, NB, NB | 1 };
	static const int hows[] = { SIGEV_NONE, SEV_NULL, SIGEV_SIGNAL, 3 };
	long f;

	switch (RND(&r->s, 5)) {
	case 0:
		d_getattr(c, __LINE__, r->dn[i], r->fd[i], W_ANY, A_ANY);
		break;
	case 1:
		f = flags[RND(&r->s, 4)];
		d_setattr(c, __LINE__, r->dn[i], r->fd[i], f,
			  RND(&r->s, 4) == 0, W_ANY, A_ANY);
		if (r->fd[i] != -1 && !(f & ~NB))
			r->nb[i] = !!f;
		break;
	case 2:
		/* Signal number 0: registered, never sent. */
		d_notify(c, __LINE__, r->dn[i], r->fd[i],
			 hows[RND(&r->s, 4)], 0, W_ANY);
		break;
	case 3:
		d_unlink(c, __LINE__, rnames[RND(&r->s, 4)], W_ANY);
		break;
	default:
		d_close(c, __LINE__, r->dn[i], r->fd[i], W_ANY);
		r->fd[i] = -1;
	}
}

/* What a slot's queue looks like after an operation. */
static void rnd_look(struct ctx *c, struct rstate *r, int i)
{
	if (r->fd[i] == -1)
		return;
	d_getattr(c, __LINE__, r->dn[i], r->fd[i], W_ANY, A_ANY);
	/* The kernel's file is readable only with read access. */
	if (r->acc[i] == O_RDONLY || r->acc[i] == O_RDWR)
		d_status(c, __LINE__, r->dn[i], r->fd[i], ANY, ANY, ANY, ANY);
}

/* ~2000 random non-blocking calls over 4 names and 8 descriptors. */
static void sc_random(struct ctx *c, void *arg)
{
	struct rstate r = { .s = *(uint64_t *)arg };

	/* Small default queues: the kernel charges root system-wide. */
	LIMIT(c, "msg_default", 4, W_RET(0));
	LIMIT(c, "msgsize_default", 128, W_RET(0));
	LIMIT(c, "queues_max", 6, W_RET(0));
	for (int i = 0; i < RSLOTS; i++) {
		r.fd[i] = -1;
		snprintf(r.dn[i], sizeof(r.dn[i]), "slot %d", i);
	}
	for (int n = 0; n < 2000; n++) {
		long op = RND(&r.s, 100);
		int i = RND(&r.s, RSLOTS);

		/* Mostly on open descriptors, with a few bad ones. */
		if (op < 8 || (r.fd[i] == -1 && RND(&r.s, 8)))
			rnd_open(c, &r, i);
		else if (op < 50)
			rnd_send(c, &r, i);
		else if (op < 85)
			rnd_recv(c, &r, i);
		else
			rnd_ctl(c, &r, i);
		rnd_look(c, &r, i);
	}
	for (int i = 0; i < RSLOTS; i++)
		if (r.fd[i] != -1)
			d_close(c, __LINE__, r.dn[i], r.fd[i], W_RET(0));
}

T_CASE(random_fixed_seed)
{
	seed_case(sc_random, 0x756d71);
}

T_CASE(random_env_seed)
{
	uint64_t seed;

	if (!env_seed(&seed))
		t_skip("UMQ_SEED not set");
	seed_case(sc_random, seed);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
