/* SPDX-License-Identifier: MIT */
/*
 * sysv_garbage_entries.c - the registry's entries in sysv/ are anyone's to
 * make (garbage_sysv.h): an entry that lies (to no queue, to another
 * queue, a file or a FIFO in its place, a control block forged by another
 * user) gives the kernel's errno for "no such queue", never a crash, a
 * hang, or another queue.
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

/* ---- the registry's entries in sysv/ ----------------------------------- */

/*
 * Any user may make entries in sysv/ (a sticky directory, like /tmp): an
 * entry made by someone else, for a queue that is not there or that is
 * another, must mean nothing.  The scene: a live queue `real` (key
 * REAL_KEY, one message); a planted entry at index BAD_IDX or key
 * BAD_KEY; the cursor hint just before BAD_IDX, so that creations come
 * its way.
 */
#define BAD_IDX 100
#define REAL_KEY 0x5150
#define BAD_KEY 0x5151

struct scene {
	int real;
	uint64_t gen;
	int planted_id;		/* the id the planted index entry would give */
};

static struct scene *scene_make(void)
{
	struct scene *sc = t_shared(sizeof(*sc));
	struct tmsg m;

	LOG = t_shared(sizeof(*LOG));
	sc->real = (int)T_OK(umq_msgget(REAL_KEY, IPC_CREAT | 0666));
	mk(&m, 5, 100);
	T_OK(umq_msgsnd(sc->real, &m, 100, IPC_NOWAIT));
	sc->gen = t_umq_gen(sc->real);
	sc->planted_id = BAD_IDX;
	return sc;
}

static void entry_path(char *path, size_t n, const char *name)
{
	snprintf(path, n, "%s/sysv/%s", t_umq_dir(), name);
}

static void plant_link(const char *name, const char *target)
{
	char path[512];

	entry_path(path, sizeof(path), name);
	unlink(path);
	if (symlink(target, path))
		T_FAIL("symlink %s: %s", path, strerror(errno));
}

static void plant_gen(const char *name, uint64_t gen, int idx)
{
	char target[64];

	if (idx < 0)
		snprintf(target, sizeof(target), "%016llx",
			 (unsigned long long)gen);
	else
		snprintf(target, sizeof(target), "%016llx:%d",
			 (unsigned long long)gen, idx);
	plant_link(name, target);
}

/* Expect -1 and err from a call (the name, for the report). */
static void expect_err(long r, int err, const char *call)
{
	int e = errno;

	if (r != -1 || e != err)
		R_FAIL("%s returned %ld %s, expected -1 %s", call, r,
		       r == -1 ? strerrorname_np(e) ?: "?" : "",
		       strerrorname_np(err));
}

/*
 * In a child, through a fresh view: the planted index names no queue
 * (every call on its id is EINVAL, IPC_RMID too, which must not remove
 * anything); the real queue is whole; a listing sees it; new queues are
 * created (beside the planted index) and work; the planted key is not
 * found, and can be created.
 */
static void entry_calls(void *arg)
{
	struct scene *sc = arg;
	struct msqid_ds ds;
	struct tmsg m;
	ssize_t r;
	int id, seen = 0;

	op("umq_ns_use");
	if (umq_ns_use(t_umq_dir()))
		R_FAIL("umq_ns_use: %s", strerrorname_np(errno));
	op("calls on the planted index's id");
	expect_err(umq_msgctl(sc->planted_id, IPC_STAT, &ds), EINVAL,
		   "IPC_STAT");
	mk(&m, 1, 10);
	expect_err(umq_msgsnd(sc->planted_id, &m, 10, IPC_NOWAIT), EINVAL,
		   "msgsnd");
	expect_err(umq_msgrcv(sc->planted_id, &m, TXT_MAX, 0, IPC_NOWAIT),
		   EINVAL, "msgrcv");
	expect_err(umq_msgctl(BAD_IDX, MSG_STAT, &ds), EINVAL, "MSG_STAT");
	expect_err(umq_msgctl(BAD_IDX, MSG_STAT_ANY, &ds), EINVAL,
		   "MSG_STAT_ANY");
	expect_err(umq_msgctl(sc->planted_id, IPC_RMID, NULL), EINVAL,
		   "IPC_RMID");

	op("the real queue");
	if (umq_msgget(REAL_KEY, 0) != sc->real)
		R_FAIL("msgget(REAL_KEY): %s", strerrorname_np(errno));
	if (umq_msgctl(sc->real, IPC_STAT, &ds) || ds.msg_qnum != 1)
		R_FAIL("IPC_STAT of the real queue: %s, qnum %lu",
		       strerrorname_np(errno), (unsigned long)ds.msg_qnum);
	op("a listing by MSG_STAT_ANY");
	for (int i = 0; i < 200; i++) {
		id = umq_msgctl(i, MSG_STAT_ANY, &ds);
		if (id == sc->real)
			seen++;
		else if (id < 0 && errno != EINVAL)
			R_FAIL("MSG_STAT_ANY %d: %s", i,
			       strerrorname_np(errno));
	}
	if (seen != 1)
		R_FAIL("the listing shows the real queue %d times", seen);
	op("MSG_INFO");
	judge(umq_msgctl(0, MSG_INFO, &ds), LOG->op);

	op("new queues beside the planted entry");
	for (int i = 0; i < 3; i++) {
		id = umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		if (id < 0)
			R_FAIL("msgget(IPC_PRIVATE): %s",
			       strerrorname_np(errno));
		if (id == sc->real || (id & (IPCMNI - 1)) == BAD_IDX)
			R_FAIL("a new queue got the id %d", id);
		mk(&m, 2, 40);
		if (umq_msgsnd(id, &m, 40, IPC_NOWAIT) ||
		    !intact(&m, umq_msgrcv(id, &m, TXT_MAX, 2, IPC_NOWAIT),
			    2, 40) ||
		    umq_msgctl(id, IPC_RMID, NULL))
			R_FAIL("a new queue: %s", strerrorname_np(errno));
	}
	op("the planted key");
	expect_err(umq_msgget(BAD_KEY, 0), ENOENT, "msgget(BAD_KEY)");
	errno = 0;
	id = umq_msgget(BAD_KEY, IPC_CREAT | 0600);
	/* An entry we cannot remove holds the key, as another user's
	 * queue would: EACCES. */
	if (id < 0 && errno != EACCES)
		R_FAIL("msgget(BAD_KEY, IPC_CREAT): %s",
		       strerrorname_np(errno));
	if (id >= 0 && (id == sc->real || umq_msgget(BAD_KEY, 0) != id))
		R_FAIL("msgget(BAD_KEY, IPC_CREAT) gave %d, found as %d", id,
		       umq_msgget(BAD_KEY, 0));
	op("the real queue, last");
	memset(&m, 0, sizeof(m));
	r = umq_msgrcv(sc->real, &m, TXT_MAX, 0, IPC_NOWAIT);
	if (!intact(&m, r, 5, 100))
		R_FAIL("the real queue's message: %zd %s", r,
		       r < 0 ? strerrorname_np(errno) : "(torn)");
	if (umq_msgsnd(sc->real, &m, 100, IPC_NOWAIT))	/* for the next */
		R_FAIL("msgsnd to the real queue: %s", strerrorname_np(errno));
}

/* entry_calls, bounded, in a child. */
static void entries_ok(struct scene *sc, const char *what)
{
	int st;

	hint_put(H_LAST_IDX, BAD_IDX - 1);
	memset(LOG, 0, sizeof(*LOG));
	st = bounded_child(entry_calls, sc);
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_PASS)
		return;
	if (WIFEXITED(st) && WEXITSTATUS(st) == R_FAILED)
		T_FAIL("%s: during [%s]: %s", what, LOG->op, LOG->why);
	T_FAIL("%s: status %#x during [%s]", what, st, LOG->op);
}

/* Every kind of lie, at the index and at the key, one at a time. */
T_CASE(garbage_entries)
{
	struct scene *sc = scene_make();
	char name[32], kname[32], path[512], real_idx[16];
	struct { const char *what; int kind; } lies[] = {
		{ "to a generation that does not exist", 0 },
		{ "to the real queue's generation", 1 },
		{ "to generation 0", 2 },
		{ "to a generation above INT64_MAX", 3 },
		{ "to text that is no number", 4 },
		{ "to a long target", 5 },
		{ "a regular file", 6 },
		{ "a FIFO", 7 },
		{ "a directory", 8 },
	};
	char long_target[200];

	snprintf(name, sizeof(name), "i.%d", BAD_IDX);
	snprintf(kname, sizeof(kname), "k.%08x", BAD_KEY);
	snprintf(real_idx, sizeof(real_idx), "%d", sc->real & (IPCMNI - 1));
	memset(long_target, '7', sizeof(long_target) - 1);
	long_target[sizeof(long_target) - 1] = 0;
	for (size_t l = 0; l < sizeof(lies) / sizeof(lies[0]); l++) {
		for (int at_key = 0; at_key < 2; at_key++) {
			const char *n = at_key ? kname : name;
			char what[120];
			int kind = lies[l].kind;

			entry_path(path, sizeof(path), n);
			switch (kind) {
			case 0: plant_gen(n, 0x0123456789abcdefull,
					  at_key ? BAD_IDX : -1); break;
			case 1: plant_gen(n, sc->gen, at_key ?
					  sc->real & (IPCMNI - 1) : -1); break;
			case 2: plant_link(n, "0"); break;
			case 3: plant_link(n, "ffffffffffffffff"); break;
			case 4: plant_link(n, "zz:y"); break;
			case 5: plant_link(n, long_target); break;
			case 6: {
				int fd = open(path, O_CREAT | O_RDWR, 0666);
				T_OK(fd);
				T_OK(close(fd));
				break;
			}
			case 7: T_OK(mkfifo(path, 0666)); break;
			case 8: T_OK(mkdir(path, 0777)); break;
			}
			snprintf(what, sizeof(what), "%s %s", n, lies[l].what);
			entries_ok(sc, what);
			if (kind == 8)
				rmdir(path);
			else
				unlink(path);
			/* A creation of BAD_KEY that worked: gone again. */
			int id = umq_msgget(BAD_KEY, 0);
			if (id >= 0)
				T_OK(umq_msgctl(id, IPC_RMID, NULL));
		}
	}
	/* The real queue's own index, entry and key entry are untouched. */
	T_EQ(umq_msgget(REAL_KEY, 0), sc->real);
}

/* Copy file `from` of the namespace to `to` (O_EXCL). */
static void copy_file(const char *from, const char *to)
{
	char a[512], b[512], buf[65536];
	ssize_t n;
	off_t off = 0;
	int in, out;

	snprintf(a, sizeof(a), "%s/%s", t_umq_dir(), from);
	snprintf(b, sizeof(b), "%s/%s", t_umq_dir(), to);
	in = open(a, O_RDONLY);
	out = open(b, O_WRONLY | O_CREAT | O_EXCL, 0666);
	if (in < 0 || out < 0)
		T_FAIL("copy %s to %s: %s", a, b, strerror(errno));
	while ((n = pread(in, buf, sizeof(buf), off)) > 0) {
		if (pwrite(out, buf, (size_t)n, off) != n)
			T_FAIL("write %s: %s", b, strerror(errno));
		off += n;
	}
	close(in);
	close(out);
}

/* In a child, a fresh view: what IPC_STAT on id says (0 or errno), and
 * what msgget(key) finds. */
struct forged {
	int id;
	key_t key;
	int stat_err, found;
};

static void forged_calls(void *arg)
{
	struct forged *f = arg;
	struct msqid_ds ds;

	if (umq_ns_use(t_umq_dir()))
		_exit(T_EXIT_FAIL);
	f->stat_err = umq_msgctl(f->id, IPC_STAT, &ds) ? errno : 0;
	f->found = umq_msgget(f->key, 0);
}

static void forged_check(struct forged *f)
{
	int st = bounded_child(forged_calls, f);

	if (!WIFEXITED(st) || WEXITSTATUS(st) != T_EXIT_PASS)
		T_FAIL("calls on a forged queue: status %#x", st);
}

/*
 * A control block not owned by the creator it claims: another user's
 * copy of a root queue's files, at an index and a key of its own, with
 * cuid 0 and mode 0666 inside.  Owned by root (the control: the copy is
 * otherwise sound), the id and key work; owned by the forger, neither
 * names a queue.
 */
T_CASE(garbage_forged_control_block)
{
	struct forged *f = t_shared(sizeof(*f));
	char from[64], to[64], name[32];
	uint64_t gen, fgen;
	struct qfile *q;
	size_t size;
	uint32_t seq;
	int real;

	LOG = t_shared(sizeof(*LOG));
	if (geteuid() != 0)
		t_skip("needs root to give a file to another user");
	real = (int)T_OK(umq_msgget(REAL_KEY, IPC_CREAT | 0666));
	gen = t_umq_gen(real);
	fgen = gen ^ 0x5a5a5a5a5a5aull;
	snprintf(from, sizeof(from), "sysv/q.%016llx",
		 (unsigned long long)gen);
	snprintf(to, sizeof(to), "sysv/q.%016llx", (unsigned long long)fgen);
	copy_file(from, to);
	q = map_file(to, &size);
	q->q.gen = fgen;
	q->q.key = BAD_KEY;
	q->idx = BAD_IDX;
	seq = q->q.seq;
	munmap(q, size);
	snprintf(from, sizeof(from), "sysv/m.%016llx",
		 (unsigned long long)gen);
	snprintf(to, sizeof(to), "sysv/m.%016llx", (unsigned long long)fgen);
	copy_file(from, to);
	uint8_t *m = map_file(to, &size);
	memcpy(m + M_STORE_OFF + offsetof(struct store_hdr, gen), &fgen,
	       sizeof(fgen));
	munmap(m, size);
	snprintf(name, sizeof(name), "i.%d", BAD_IDX);
	plant_gen(name, fgen, -1);
	snprintf(name, sizeof(name), "k.%08x", BAD_KEY);
	plant_gen(name, fgen, BAD_IDX);

	f->id = (int)(seq << IPCMNI_SHIFT | BAD_IDX);
	f->key = BAD_KEY;
	forged_check(f);
	if (f->stat_err || f->found != f->id)
		T_FAIL("the control: a sound copy owned by its creator is not "
		       "a queue (IPC_STAT %s, msgget %d)",
		       f->stat_err ? strerrorname_np(f->stat_err) : "ok",
		       f->found);

	snprintf(to, sizeof(to), "%s/sysv/q.%016llx", t_umq_dir(),
		 (unsigned long long)fgen);
	T_OK(chown(to, 1000, 1000));
	forged_check(f);
	if (f->stat_err != EINVAL)
		T_FAIL("a control block owned by uid 1000 claiming cuid 0: "
		       "IPC_STAT %s, expected EINVAL",
		       f->stat_err ? strerrorname_np(f->stat_err) : "ok");
	if (f->found != -1)
		T_FAIL("a control block owned by uid 1000 claiming cuid 0: "
		       "msgget(key) found %d", f->found);
	/* The real queue is untouched. */
	T_EQ(umq_msgget(REAL_KEY, 0), real);
	T_OK(umq_msgctl(real, IPC_RMID, NULL));
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
