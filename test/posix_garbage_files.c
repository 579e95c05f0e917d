/* SPDX-License-Identifier: MIT */
/*
 * posix_garbage_files.c - a POSIX queue's files replaced (garbage_mq.h):
 * its FIFO written into, read out or replaced, its name pointing
 * elsewhere or of another kind, its data file truncated, extended or of
 * another kind.  Clean errors, and no harm to another queue.
 */
#include "t.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "garbage_mq.h"

/* ---- the FIFO ------------------------------------------------------------ */

static void round_fifo(uint32_t seed)
{
	static uint8_t junk[70000];
	char path[512], other[512];
	int fd = -1, kind = (int)(seed % 8);
	uint64_t gen = round_queue(seed, 0xf1, (int)below(MAXMSG + 1), 0);
	pid_t h = -1;

	data_path(path, sizeof(path), gen, ".p");
	if (kind <= 2 && below(2))
		h = holder();
	switch (kind) {
	case 0:
	case 1: {	/* bytes written into it, held by us */
		size_t n = kind ? sizeof(junk) : 1 + below(5);

		fd = open(path, O_RDWR | O_NONBLOCK);
		if (fd < 0)
			R_FAIL("open %.200s: %s", path, strerror(errno));
		fill_random(junk, n);
		ssize_t w = write(fd, junk, n);
		did("%zd bytes written into the FIFO%s", w,
		    h > 0 ? ", held by a descriptor" : "");
		break;
	}
	case 2:		/* its bytes read out */
		fd = open(path, O_RDWR | O_NONBLOCK);
		if (fd < 0)
			R_FAIL("open %.200s: %s", path, strerror(errno));
		ssize_t r = read(fd, junk, sizeof(junk));
		did("the FIFO read (%zd bytes)%s", r,
		    h > 0 ? ", held by a descriptor" : "");
		break;
	case 3:		/* a regular file in its place */
		unlink(path);
		fd = open(path, O_CREAT | O_RDWR, 0600);
		fill_random(junk, 100);
		if (fd < 0 || write(fd, junk, 100) != 100)
			R_FAIL("write %.200s: %s", path, strerror(errno));
		close(fd);
		fd = -1;
		did("a regular file for the FIFO");
		break;
	case 4:
		unlink(path);
		if (mkdir(path, 0700))
			R_FAIL("mkdir %.200s: %s", path, strerror(errno));
		did("a directory for the FIFO");
		break;
	case 5:
		unlink(path);
		did("the FIFO removed");
		break;
	case 6:		/* a symlink to itself */
		unlink(path);
		if (symlink(path, path))
			R_FAIL("symlink %.200s: %s", path, strerror(errno));
		did("a symlink loop for the FIFO");
		break;
	default:	/* a symlink to a FIFO nobody reads */
		unlink(path);
		ns_path(other, sizeof(other), "stray.p");
		unlink(other);
		if (mkfifo(other, 0600) || symlink(other, path))
			R_FAIL("mkfifo/symlink: %s", strerror(errno));
		did("a symlink to a stray FIFO for the FIFO");
	}
	use();
	if (h > 0) {
		kill(h, SIGKILL);
		waitpid(h, NULL, 0);
	}
	if (fd >= 0)
		close(fd);
	finish();
}

T_CASE(garbage_fifo)
{
	rounds("FIFO", 48, round_fifo);
}

/* ---- the name ------------------------------------------------------------ */

struct lie {
	int kind;
	const char *what;
};

static void name_scene(const void *arg)
{
	const struct lie *l = arg;
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	char path[512], target[300], buf[RBUF];
	uint64_t gen = round_queue(4, 0x4e, 3, 0), hgen;
	unsigned prio;
	ssize_t r;
	int fd, id;
	mqd_t h;

	/* Another queue, which must come to no harm. */
	op("the other queue");
	h = umq_mq_open("/h", O_CREAT | O_EXCL | O_RDWR | O_NONBLOCK, 0600,
			&a);
	if (h == (mqd_t)-1)
		R_FAIL("mq_open /h: %s", strerrorname_np(errno));
	id = mk(buf, 3, 30);
	if (umq_mq_send(h, buf, 30, 3))
		R_FAIL("mq_send /h: %s", strerrorname_np(errno));
	hgen = gen_of("h");

	snprintf(path, sizeof(path), "%s/names/g", t_umq_dir());
	unlink(path);
	switch (l->kind) {
	case 0:
		snprintf(target, sizeof(target), "%016llx",
			 (unsigned long long)hgen);
		break;
	case 1:
		snprintf(target, sizeof(target), "%016llx",
			 (unsigned long long)gen ^ 1);
		break;
	case 2:
		strcpy(target, "zz:y");
		break;
	case 3:
		strcpy(target, "0");
		break;
	case 4:
		strcpy(target, "ffffffffffffffff");
		break;
	case 5:
		memset(target, '7', 280);
		target[280] = 0;
		break;
	case 6:
		snprintf(target, sizeof(target), "../posix/%016llx",
			 (unsigned long long)gen);
		break;
	case 7:
		snprintf(target, sizeof(target), "%016llx.p",
			 (unsigned long long)gen);
		break;
	case 8:
		fd = open(path, O_CREAT | O_RDWR, 0600);
		if (fd < 0)
			R_FAIL("open %.200s: %s", path, strerror(errno));
		close(fd);
		break;
	case 9:
		if (mkfifo(path, 0600))
			R_FAIL("mkfifo %.200s: %s", path, strerror(errno));
		break;
	case 10:
		if (mkdir(path, 0700))
			R_FAIL("mkdir %.200s: %s", path, strerror(errno));
		break;
	}
	if (l->kind <= 7 && symlink(target, path))
		R_FAIL("symlink %.200s: %s", path, strerror(errno));
	did("names/g %s", l->what);

	use();
	op("the other queue, after");
	prio = 0;
	r = umq_mq_receive(h, buf, RBUF, &prio);
	if (r != 30 || which(buf, r, prio) != id)
		R_FAIL("the other queue's message: %zd %s", r,
		       r < 0 ? strerrorname_np(errno) : "(torn)");
	umq_mq_close(h);
	if (gen_of("h") != hgen)
		R_FAIL("the other queue's name changed");
	op("mq_unlink of the lying name");
	judge(umq_mq_unlink(QNAME), LOG->op);
	if (l->kind == 10)
		rmdir(path);
	else
		unlink(path);
	op("mq_unlink /h");
	if (umq_mq_unlink("/h"))
		R_FAIL("mq_unlink /h: %s", strerrorname_np(errno));
	finish();
}

T_CASE(garbage_names)
{
	static const struct lie lies[] = {
		{ 0, "points to another queue" },
		{ 1, "points to a generation that does not exist" },
		{ 2, "points to text that is no number" },
		{ 3, "points to generation 0" },
		{ 4, "points to generation 2^64 - 1" },
		{ 5, "points to a long target" },
		{ 6, "points to a path" },
		{ 7, "points to the FIFO's name" },
		{ 8, "is a regular file" },
		{ 9, "is a FIFO" },
		{ 10, "is a directory" },
	};

	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++)
		scene(lies[i].what, name_scene, &lies[i]);
}

/* ---- the file's size and kind -------------------------------------------- */

struct size_case {
	int64_t size;		/* < 0: from the end */
	int kind;		/* 0: truncate, 1: FIFO, 2: directory,
				 * 3: extend by size bytes */
	int err;		/* mq_open's errno, 0: it opens */
	const char *what;
	int alt;		/* another errno as good */
};

static void size_scene(const void *arg)
{
	const struct size_case *sc = arg;
	char path[512], what[96];
	struct stat st;
	uint64_t gen = round_queue(5, 0x51, 5, 1);

	data_path(path, sizeof(path), gen, "");
	if (stat(path, &st))
		R_FAIL("stat %.200s: %s", path, strerror(errno));
	if (sc->kind == 1 || sc->kind == 2) {
		unlink(path);
		if (sc->kind == 1 ? mkfifo(path, 0600) : mkdir(path, 0700))
			R_FAIL("mkfifo/mkdir %.200s: %s", path, strerror(errno));
	} else {
		off_t size = sc->size < 0 || sc->kind == 3 ?
			     st.st_size + sc->size : sc->size;
		if (truncate(path, size))
			R_FAIL("truncate %.200s: %s", path, strerror(errno));
	}
	did("the data file %s", sc->what);
	snprintf(what, sizeof(what), "file %s", sc->what);
	expect_open(what, sc->err, sc->alt);
	if (use() && sc->kind == 3)
		repaired();
	if (sc->kind == 2)
		rmdir(path);
	finish();
}

T_CASE(garbage_file_size)
{
	static const struct size_case cases[] = {
		{ 0, 0, EUCLEAN, "is empty", 0 },
		{ 100, 0, EUCLEAN, "is cut to 100 bytes", 0 },
		{ PQ_CTL_SIZE, 0, EUCLEAN, "is cut to the control block", 0 },
		{ PQ_STORE_OFF, 0, EUCLEAN, "is cut before the store", 0 },
		{ PQ_STORE_OFF + STORE_HDR_SIZE - 1, 0, EUCLEAN,
		  "is cut inside the store header", 0 },
		{ PQ_STORE_OFF + STORE_HDR_SIZE, 0, EUCLEAN,
		  "is cut after the store header", 0 },
		{ PQ_STORE_OFF + STORE_HDR_SIZE + 1000, 0, EUCLEAN,
		  "is cut inside the chunks", 0 },
		{ -1, 0, EUCLEAN, "lost its last byte", 0 },
		{ 1, 3, 0, "has a byte more", 0 },
		{ 1 << 20, 3, 0, "is 1 MiB longer", 0 },
		{ 1ll << 32, 3, 0, "is 4 GiB longer (sparse)", 0 },
		{ 0, 1, EUCLEAN, "is a FIFO", 0 },
		/* open(O_RDWR) says EISDIR: no queue file there */
		{ 0, 2, EUCLEAN, "is a directory", ENOENT },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		scene(cases[i].what, size_scene, &cases[i]);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
