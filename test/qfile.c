/* SPDX-License-Identifier: MIT */
/* qfile.c - see qfile.h. */
#include "t.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "qfile.h"
#include "umq.h"

void *map_file_at(const char *name, size_t len, size_t *size)
{
	char path[512];
	struct stat st;
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t_umq_dir(), name);
	fd = open(path, O_RDWR);
	if (fd < 0)
		T_FAIL("open %s: %s", path, strerror(errno));
	if (!len && fstat(fd, &st))
		T_FAIL("fstat %s: %s", path, strerror(errno));
	if (!len)
		len = (size_t)st.st_size;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		T_FAIL("mmap %s: %s", path, strerror(errno));
	*size = len;
	return p;
}

void *map_file(const char *name, size_t *size)
{
	return map_file_at(name, 0, size);
}

static void *qfile_map_at(int qid, const char *prefix, size_t len,
			  size_t *size)
{
	char name[64];

	snprintf(name, sizeof(name), "sysv/%s%016llx", prefix,
		 (unsigned long long)t_umq_gen(qid));
	return map_file_at(name, len, size);
}

void *qfile_map(int qid, const char *prefix, size_t *size)
{
	return qfile_map_at(qid, prefix, 0, size);
}

struct qfile *ctl_of(int qid)
{
	size_t size;
	struct qfile *f = qfile_map(qid, "q.", &size);

	if (size != sizeof(*f))
		T_FAIL("test bug: q.<gen> is %zu bytes", size);
	return f;
}

void *pool_of(int qid)
{
	size_t size;

	return qfile_map_at(qid, "m.", WPOOL_SIZE, &size);
}

struct waiter *waiter_at(void *pool, uint32_t i)
{
	return (struct waiter *)((char *)pool + WPOOL_REC_OFF) + i;
}

int record_of(void *pool, pid_t tid)
{
	for (uint32_t i = 0; i < Q_WAITERS; i++) {
		struct waiter *w = waiter_at(pool, i);

		if (w->linked && w->tid == tid)
			return (int)i;
	}
	return -1;
}

struct rcv {
	struct blocked *b;
	int qid;
	long type;
};

static void receive(void *arg)
{
	const struct rcv *r = arg;
	struct { long mtype; char text[8192]; } m;

	r->b->ret = umq_msgrcv(r->qid, &m, sizeof(m.text), r->type, 0);
	r->b->err = r->b->ret < 0 ? errno : 0;
	if (r->b->ret > 0)
		snprintf(r->b->text, sizeof(r->b->text), "%.*s",
			 (int)r->b->ret, m.text);
}

struct blocked *blocked_msgrcv(int qid, long type, unsigned secs)
{
	struct blocked *b = t_shared(sizeof(*b));
	struct rcv r = { b, qid, type };

	b->ret = -1;
	b->pid = t_spawn_alarm(receive, &r, secs);
	return t_wait_sleeping(b->pid) ? NULL : b;
}
