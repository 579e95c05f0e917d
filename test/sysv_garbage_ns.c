/* SPDX-License-Identifier: MIT */
/*
 * sysv_garbage_ns.c - garbage in a namespace's own files (garbage_sysv.h).
 * The limits file is refused when damaged (EUCLEAN) or of another layout
 * (EPROTO); the hints file "ns", anyone's to write, is never believed: no
 * value in it, no size, no kind of file in its place refuses the
 * namespace or a call.
 */
#include "t.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "garbage_sysv.h"

/* ---- the limits file --------------------------------------------------- */

static void ns_use_call(void *arg)
{
	int *e = arg;

	*e = umq_ns_use(t_umq_dir()) ? errno : 0;
}

/* umq_ns_use on the case's directory, in a child: its errno, 0 if it
 * worked. */
static int ns_use_errno(void)
{
	int *e = t_shared(sizeof(*e));
	int st = bounded_child(ns_use_call, e);

	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		T_FAIL("umq_ns_use on a damaged namespace hung");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		T_FAIL("umq_ns_use on a damaged namespace: status %#x", st);
	return *e;
}

static void expect_ns_refused(const char *file, size_t off, const void *bytes,
			      size_t n, int err, const char *what)
{
	uint8_t save[64];
	size_t size;
	uint8_t *p = map_file(file, &size);
	int e;

	if (n > sizeof(save) || off + n > size)
		T_FAIL("test bug: %s", what);
	memcpy(save, p + off, n);
	memcpy(p + off, bytes, n);
	e = ns_use_errno();
	memcpy(p + off, save, n);
	munmap(p, size);
	if (e != err)
		T_FAIL("%s: umq_ns_use returned %s, expected -1 %s", what,
		       e ? strerrorname_np(e) : "0", strerrorname_np(err));
	if (ns_use_errno())
		T_FAIL("%s: the namespace is refused after the repair", what);
}

T_CASE(garbage_limits_header)
{
	uint64_t magic = 0x6b6e756a6b6e756aull;
	uint32_t version = UMQ_LAYOUT_VERSION + 1, size = 64;

	T_EQ(ns_use_errno(), 0);
	expect_ns_refused("limits", offsetof(struct lim_file, magic), &magic,
			  sizeof(magic), EUCLEAN, "limits magic");
	expect_ns_refused("limits", offsetof(struct lim_file, version),
			  &version, sizeof(version), EPROTO, "limits version");
	expect_ns_refused("limits", offsetof(struct lim_file, size), &size,
			  sizeof(size), EPROTO, "limits size");
}

/* Rewrite the limits file whole (n bytes of p), as it was made. */
static void limits_write(const void *p, size_t n)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/limits", t_umq_dir());
	fd = open(path, O_RDWR);
	if (fd < 0 || ftruncate(fd, 0) ||
	    pwrite(fd, p, n, 0) != (ssize_t)n)
		T_FAIL("rewrite %s: %s", path, strerror(errno));
	close(fd);
}

/*
 * The limits file of an older layout (version 2, 80 bytes: smaller than
 * this one's): EPROTO, the answer for another version (layout.h), not
 * EUCLEAN.
 */
T_CASE(garbage_limits_older_layout)
{
	struct lim_file cur;
	uint8_t old[80] = { 0 };
	uint32_t version = 2, size = sizeof(old);
	uint64_t magic = UMQ_LIM_MAGIC;
	size_t n;
	void *p;

	T_EQ(ns_use_errno(), 0);
	p = map_file("limits", &n);
	T_EQ(n, sizeof(cur));
	memcpy(&cur, p, sizeof(cur));
	munmap(p, n);
	memcpy(old, &magic, sizeof(magic));
	memcpy(old + 8, &version, sizeof(version));
	memcpy(old + 12, &size, sizeof(size));
	limits_write(old, sizeof(old));
	int e = ns_use_errno();
	limits_write(&cur, sizeof(cur));
	if (e != EPROTO)
		T_FAIL("limits of layout 2: umq_ns_use returned %s, expected "
		       "-1 EPROTO", e ? strerrorname_np(e) : "0");
	T_EQ(ns_use_errno(), 0);
}

/* A limits file cut short, or empty: EUCLEAN, not a fault. */
T_CASE(garbage_limits_truncated)
{
	char path[512];
	size_t sizes[] = { 0, 8 };

	snprintf(path, sizeof(path), "%s/limits", t_umq_dir());
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (truncate(path, (off_t)sizes[i]))
			T_FAIL("truncate: %s", strerror(errno));
		int e = ns_use_errno();
		if (e != EUCLEAN)
			T_FAIL("limits cut to %zu bytes: umq_ns_use returned "
			       "%s, expected EUCLEAN", sizes[i],
			       e ? strerrorname_np(e) : "0");
	}
}

/* ---- the hints file "ns": only hints, never a refusal ------------------ */

/*
 * In a child with a fresh view: the namespace is used, a System V queue
 * and a POSIX queue are created, used and removed, each call strict.  In
 * a round, R_FAIL; the same checks serve the directed cases.
 */
static void hints_calls(void *arg)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	struct msqid_ds ds;
	struct tmsg m;
	char b[64];
	ssize_t r;
	int qid;
	mqd_t mq;

	(void)arg;
	op("umq_ns_use with garbage hints");
	if (umq_ns_use(t_umq_dir()))
		R_FAIL("umq_ns_use refused hints: %s", strerrorname_np(errno));
	op("msgget(IPC_CREAT) with garbage hints");
	qid = umq_msgget(0x4242, IPC_CREAT | 0600);
	if (qid < 0)
		R_FAIL("msgget: %s", strerrorname_np(errno));
	op("the new id");
	if (umq_msgctl(qid, IPC_STAT, &ds))
		R_FAIL("msgget returned id %d, which names no queue: %s", qid,
		       strerrorname_np(errno));
	if (umq_msgget(0x4242, 0) != qid)
		R_FAIL("msgget(key) does not find the new queue: %s",
		       strerrorname_np(errno));
	mk(&m, 3, 200);
	if (umq_msgsnd(qid, &m, 200, IPC_NOWAIT))
		R_FAIL("msgsnd: %s", strerrorname_np(errno));
	memset(&m, 0, sizeof(m));
	r = umq_msgrcv(qid, &m, TXT_MAX, 0, IPC_NOWAIT);
	if (!intact(&m, r, 3, 200))
		R_FAIL("msgrcv: %zd %s", r, r < 0 ? strerrorname_np(errno) :
		       "(torn)");
	op("MSG_INFO with garbage hints");
	judge(umq_msgctl(0, MSG_INFO, &ds), LOG->op);
	if (umq_msgctl(qid, IPC_RMID, NULL))
		R_FAIL("IPC_RMID: %s", strerrorname_np(errno));
	op("mq_open(O_CREAT) with garbage hints");
	mq = umq_mq_open("/hints", O_CREAT | O_EXCL | O_RDWR, 0600, &a);
	if (mq == (mqd_t)-1)
		R_FAIL("mq_open: %s", strerrorname_np(errno));
	if (umq_mq_send(mq, "hint", 5, 1) ||
	    umq_mq_receive(mq, b, sizeof(b), NULL) != 5 ||
	    umq_mq_close(mq) || umq_mq_unlink("/hints"))
		R_FAIL("POSIX calls: %s", strerrorname_np(errno));
}

/* hints_calls, bounded, in a child: a failed check fails the case. */
static void hints_ok(const char *what)
{
	int st;

	LOG = t_shared(sizeof(*LOG));
	st = bounded_child(hints_calls, NULL);
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_PASS)
		return;
	if (WIFEXITED(st) && WEXITSTATUS(st) == R_FAILED)
		T_FAIL("%s: %s", what, LOG->why);
	T_FAIL("%s: status %#x during [%s]", what, st, LOG->op);
}

/* Each word at values a lying user might write. */
T_CASE(garbage_hints_words)
{
	static const int32_t bad[] = { -1, INT32_MIN, INT32_MAX, IPCMNI,
				       IPCMNI - 1, SEQ_MAX, 0x10000,
				       0x20000 };
	static const char *word[H_WORDS] = { "last index", "seq", "in use",
					     "POSIX count" };
	char what[80];

	for (int w = 0; w < H_WORDS; w++)
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			hint_put(w, bad[i]);
			snprintf(what, sizeof(what), "hint %s = %d", word[w],
				 (int)bad[i]);
			hints_ok(what);
		}
}

/* The file cut short, or not a file at all: no hints, no harm. */
T_CASE(garbage_hints_not_there)
{
	static const size_t sizes[] = { 0, 3, 100 };
	char path[512];

	hints_path(path, sizeof(path));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char what[64];
		if (truncate(path, (off_t)sizes[i]))
			T_FAIL("truncate: %s", strerror(errno));
		snprintf(what, sizeof(what), "ns cut to %zu bytes", sizes[i]);
		hints_ok(what);
	}
	T_OK(unlink(path));
	T_OK(mkfifo(path, 0666));
	hints_ok("ns a FIFO");
	T_OK(unlink(path));
	T_OK(mkdir(path, 0777));
	hints_ok("ns a directory");
	T_OK(rmdir(path));
	T_OK(symlink("/nonexistent/umq-hints", path));
	hints_ok("ns a dangling symlink");
	T_OK(unlink(path));
	hints_ok("ns missing");
}

/* Noise over the whole file: accepted, every call as if it were right. */
static void round_hints_noise(uint32_t seed)
{
	char path[512];
	uint8_t buf[NS_HINTS_SIZE];
	size_t off, len;
	int fd;

	seed_rng(seed, 0x5);
	op("setup");
	hints_path(path, sizeof(path));
	off = seed % 2 ? 0 : below(NS_HINTS_SIZE);
	len = 1 + below((uint32_t)(NS_HINTS_SIZE - off));
	fill_random(buf, len);
	fd = open(path, O_RDWR);
	if (fd < 0 || pwrite(fd, buf, len, (off_t)off) != (ssize_t)len)
		R_FAIL("pwrite ns: %s", strerror(errno));
	close(fd);
	did("random bytes [%zu, +%zu) of the hints", off, len);
	hints_calls(NULL);
}

T_CASE(garbage_hints_noise)
{
	rounds("hints noise", 100, round_hints_noise);
}

/*
 * The sequence hint out of the kernel's range (< SEQ_MAX): msgget must
 * not return an id that names no queue, nor fail with an errno that is
 * no errno.
 */
static void ns_seq(uint32_t seq)
{
	struct msqid_ds ds;
	int qid;

	hint_put(H_SEQ, (int32_t)seq);
	errno = 0;
	qid = umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (qid < 0)
		T_FAIL("hint seq %#x: msgget failed with errno %d (%s)", seq,
		       errno, strerrorname_np(errno) ?: "not an errno");
	if (umq_msgctl(qid, IPC_STAT, &ds))
		T_FAIL("hint seq %#x: msgget returned id %d, which names "
		       "no queue: IPC_STAT %s", seq, qid,
		       strerrorname_np(errno));
}

T_CASE(garbage_ns_seq_wraps_id) { ns_seq(0x20000); }
T_CASE(garbage_ns_seq_sign) { ns_seq(0x10000); }

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
