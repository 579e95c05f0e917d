/* SPDX-License-Identifier: MIT */
/* garbage_mq.c - a round's POSIX queue, its messages and files: see
 * garbage_mq.h. */
#include "t.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "garbage_mq.h"

struct sent *SENT;
uint8_t *OUT;
struct setup SU;
unsigned scene_s = ROUND_S;

/*
 * Remove every POSIX queue's files, between rounds: a damaged queue may
 * be beyond mq_unlink, and its count would refuse creations at last.
 */
static void wipe_dir(const char *sub)
{
	char path[512];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", t_umq_dir(), sub);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) &&
		    (errno == EISDIR || errno == EPERM))
			unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

static void wipe(void)
{
	wipe_dir("names");
	wipe_dir("posix");
}

void rounds(const char *name, uint32_t n, void (*fn)(uint32_t))
{
	garbage_rounds(name, n, fn, wipe, ROUND_S);
}

void scene(const char *what, void (*fn)(const void *), const void *arg)
{
	garbage_scene(what, fn, arg, wipe, scene_s);
}

/* ---- messages ------------------------------------------------------------ */

static uint8_t pat(uint32_t id, uint32_t i)
{
	return (uint8_t)(id * 131 + i * 7 + (i >> 8));
}

/* A new message of len >= 4 bytes at priority prio, in buf: its id. */
int mk(char *buf, uint32_t prio, uint32_t len)
{
	int id = SENT->n;

	if (id >= SENT_MAX)
		R_FAIL("test bug: more than %d messages", SENT_MAX);
	SENT->m[id].prio = prio;
	SENT->m[id].len = len;
	SENT->n++;
	buf[0] = (char)MSG_MARK;
	buf[1] = (char)id;
	buf[2] = (char)prio;
	buf[3] = (char)(len & 0xff);
	for (uint32_t i = 4; i < len; i++)
		buf[i] = (char)pat((uint32_t)id, i);
	return id;
}

/* A message that came out (n bytes, priority prio) is one that was sent,
 * intact: its id, or -1. */
int which(const char *buf, ssize_t n, unsigned prio)
{
	const uint8_t *b = (const uint8_t *)buf;
	int id;

	if (n < 4 || b[0] != MSG_MARK || b[1] >= SENT->n)
		return -1;
	id = b[1];
	if (SENT->m[id].len != (uint32_t)n || SENT->m[id].prio != prio ||
	    b[2] != (uint8_t)prio || b[3] != (uint8_t)(n & 0xff))
		return -1;
	for (uint32_t i = 4; i < (uint32_t)n; i++)
		if (b[i] != pat((uint32_t)id, i))
			return -1;
	return id;
}

/* A message received: intact, unless its text may have been damaged. */
void check_msg(const char *buf, ssize_t n, unsigned prio,
		      const char *call)
{
	if (SENT->text_damaged || which(buf, n, prio) >= 0)
		return;
	R_FAIL("%s returned %zd bytes at priority %u that were never sent "
	       "(first bytes %02x %02x %02x %02x)", call, n, prio,
	       n > 0 ? (uint8_t)buf[0] : 0, n > 1 ? (uint8_t)buf[1] : 0,
	       n > 2 ? (uint8_t)buf[2] : 0, n > 3 ? (uint8_t)buf[3] : 0);
}

/* The errnos a call on a damaged queue may give. */
static const int CLEAN[] = {
	EUCLEAN, EPROTO,	/* damage, another layout */
	EAGAIN, ETIMEDOUT, EMSGSIZE, EBUSY, ENOENT, EACCES, EINVAL, EEXIST,
	ENOMEM, ENOSPC, EMFILE,
	0
};

int judge(long r, const char *call)
{
	return judge_in(r, call, CLEAN);
}

/* ---- the files ----------------------------------------------------------- */

void ns_path(char *path, size_t n, const char *name)
{
	snprintf(path, n, "%s/%s", t_umq_dir(), name);
}

/* The generation names/<name> points to (name without '/'), 0 if none. */
uint64_t gen_of(const char *name)
{
	char path[512], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/names/%s", t_umq_dir(), name);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = 0;
	return strtoull(target, NULL, 16);
}

void data_path(char *path, size_t n, uint64_t gen, const char *sfx)
{
	snprintf(path, n, "%s/posix/%016llx%s", t_umq_dir(),
		 (unsigned long long)gen, sfx);
}

void qmap_of(uint64_t gen, struct qmap *q)
{
	char path[512];
	struct stat st;
	int fd;

	data_path(path, sizeof(path), gen, "");
	fd = open(path, O_RDWR);
	if (fd < 0 || fstat(fd, &st))
		R_FAIL("open %.200s: %s", path, strerror(errno));
	if ((size_t)st.st_size < PQ_STORE_OFF + STORE_HDR_SIZE)
		R_FAIL("test bug: %.200s is %lld bytes", path,
		       (long long)st.st_size);
	q->size = (size_t)st.st_size;
	q->base = mmap(NULL, q->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       0);
	close(fd);
	if (q->base == MAP_FAILED)
		R_FAIL("mmap %.200s: %s", path, strerror(errno));
	q->c = (struct pqctl *)q->base;
	q->bitmap = (uint64_t *)(q->base + PQ_WPOOL_OFF);
	q->rec = (struct waiter *)(q->base + PQ_WPOOL_OFF + WPOOL_REC_OFF);
	if (!store_view_of(&q->sv, q->base + PQ_STORE_OFF,
			   q->size - PQ_STORE_OFF))
		R_FAIL("test bug: the store's layout is not what layout.h "
		       "says");
}

void qmap_unmap(struct qmap *q)
{
	munmap(q->base, q->size);
}

/* ---- a round's queue ----------------------------------------------------- */

void count_out(const char *buf, ssize_t n, unsigned prio,
		      const char *call)
{
	int id;

	check_msg(buf, n, prio, call);
	id = which(buf, n, prio);
	if (id < 0 || SENT->text_damaged)
		return;
	if (++OUT[id] > 1)
		R_FAIL("%s: message %d came out twice", call, id);
}

/* Fork fn(arg) and wait for it (bounded by the round's alarm): a failed
 * check there fails the round. */
void in_child(void (*fn)(void *), void *arg)
{
	pid_t pid = r_fork();
	int st;

	if (pid == 0) {
		fn(arg);
		_exit(T_EXIT_PASS);
	}
	if (waitpid(pid, &st, 0) != pid)
		R_FAIL("waitpid: %s", strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_PASS)
		return;
	if (WIFEXITED(st) && (WEXITSTATUS(st) == R_FAILED ||
			      WEXITSTATUS(st) == R_HUNG))
		_exit(WEXITSTATUS(st));
	R_FAIL("a helper process ended with status %#x", st);
}

uint32_t some_prio(void)
{
	return below(4) ? below(6) : below(32768);
}

/* Make the queue and its messages, then exit: nobody maps it after. */
static void setup_queue(void *arg)
{
	struct mq_attr a = { .mq_maxmsg = MAXMSG, .mq_msgsize = SU.msgsize };
	char buf[RBUF];
	unsigned prio;
	mqd_t d;

	(void)arg;
	op("setup: mq_open(O_CREAT)");
	d = umq_mq_open(QNAME, O_CREAT | O_EXCL | O_RDWR | O_NONBLOCK, 0600,
			&a);
	if (d == (mqd_t)-1)
		R_FAIL("setup mq_open: %s", strerrorname_np(errno));
	for (int i = 0; i < SU.nsend; i++) {
		uint32_t p = some_prio(),
			 len = 4 + below((uint32_t)SU.msgsize - 3);
		int id = mk(buf, p, len);
		op("setup: mq_send #%d", i);
		if (umq_mq_send(d, buf, len, p))
			R_FAIL("setup mq_send: %s", strerrorname_np(errno));
		SENT->queued[id] = 1;
	}
	for (int i = 0; i < SU.ntake; i++) {
		op("setup: mq_receive #%d", i);
		ssize_t r = umq_mq_receive(d, buf, RBUF, &prio);
		if (r < 0)
			R_FAIL("setup mq_receive: %s", strerrorname_np(errno));
		count_out(buf, r, prio, "setup mq_receive");
	}
	if (umq_mq_close(d))
		R_FAIL("setup mq_close: %s", strerrorname_np(errno));
}

/* A round's queue, made by a process that is gone: its generation. */
uint64_t round_queue(uint32_t seed, uint32_t salt, int nsend,
			    int ntake)
{
	uint64_t gen;

	seed_rng(seed, salt);
	SENT = t_shared(sizeof(*SENT));
	OUT = t_shared(SENT_MAX);
	SU.msgsize = below(2) ? 100 : 1000;
	SU.nsend = nsend;
	SU.ntake = ntake;
	in_child(setup_queue, NULL);
	rnd64();		/* the child drew from a copy of the generator */
	seed_rng(seed, salt ^ 0x5a5a);
	gen = gen_of(QNAME + 1);
	if (!gen)
		R_FAIL("setup: no names/%s", QNAME + 1);
	return gen;
}

pid_t holder(void)
{
	pid_t pid = r_fork();

	if (pid == 0) {
		if (umq_mq_open(QNAME, O_RDONLY) == (mqd_t)-1)
			_exit(T_EXIT_FAIL);
		alarm(ROUND_S);
		pause();
		_exit(T_EXIT_PASS);
	}
	return pid;
}
