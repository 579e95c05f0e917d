/* SPDX-License-Identifier: MIT */
/*
 * snap.c - a look at the namespace for top and metrics (snap.h).  Queues
 * come from umq_stats_list_*(), which takes no lock; bridges from the
 * status files their `umq bridge` processes keep in <namespace>/bridges/,
 * which are untrusted text: a file that does not parse is left out,
 * whatever it holds.  bridges/ is every user's (sticky), so a file is
 * believed only from those whose word on the namespace counts already:
 * root, the namespace's owner (who may replace any file there), and the
 * caller.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snap.h"

const char *const br_counter_key[BR_NCOUNTERS] = {
	"published_total", "acked_total", "consumed_total", "delivered_total",
	"redelivered_total", "duplicates_total", "reconnects_total",
};

#define BR_FILE_MAX 8192	/* a status file is a few hundred bytes */

static int cmp_bridge(const void *a, const void *b)
{
	return strcmp(((const struct bridge *)a)->name,
		      ((const struct bridge *)b)->name);
}

static bool parse_u64(const char *v, unsigned long long *out)
{
	char *end;

	if (*v < '0' || *v > '9')
		return false;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return !errno && !*end;
}

static bool parse_s64(const char *v, long long *out)
{
	char *end;

	if (!*v || (*v != '-' && (*v < '0' || *v > '9')))
		return false;
	errno = 0;
	*out = strtoll(v, &end, 10);
	return !errno && !*end;
}

static bool set_text(char *dst, size_t n, const char *v)
{
	if (strlen(v) >= n)
		return false;
	strcpy(dst, v);
	return true;
}

/* One "key value" line (value may be empty for text keys). */
static bool parse_line(char *line, struct bridge *b)
{
	char *v = strchr(line, ' ');
	unsigned long long u;

	if (!v || v == line)
		return false;
	*v++ = 0;
	for (int i = 0; i < BR_NCOUNTERS; i++)
		if (!strcmp(line, br_counter_key[i])) {
			if (!parse_u64(v, &b->counter[i]))
				return false;
			b->has[i] = true;
			return true;
		}
	if (!strcmp(line, "direction"))
		return set_text(b->direction, sizeof(b->direction), v);
	if (!strcmp(line, "queue"))
		return set_text(b->queue, sizeof(b->queue), v);
	if (!strcmp(line, "subject"))
		return set_text(b->subject, sizeof(b->subject), v);
	if (!strcmp(line, "stream"))
		return set_text(b->stream, sizeof(b->stream), v);
	if (!strcmp(line, "pid"))
		return parse_s64(v, &b->pid) && b->pid >= 0;
	if (!strcmp(line, "lag"))
		return parse_s64(v, &b->lag);
	if (!strcmp(line, "updated"))
		return parse_s64(v, &b->updated);
	if (!strcmp(line, "connected")) {
		if (!parse_u64(v, &u) || u > 1)
			return false;
		b->connected = (int)u;
		return true;
	}
	return true;	/* a key of a later version: ignored */
}

bool bridge_parse(const char *text, struct bridge *b)
{
	char *copy, *line, *save = NULL, name[sizeof(b->name)];
	bool ok = true;

	memcpy(name, b->name, sizeof(name));
	memset(b, 0, sizeof(*b));
	memcpy(b->name, name, sizeof(name));
	b->connected = -1;
	b->lag = -1;
	if (strlen(text) >= BR_FILE_MAX)
		return false;
	copy = strdup(text);
	if (!copy)
		return false;
	for (line = strtok_r(copy, "\n", &save); line && ok;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[n - 1] = 0;
		for (char *p = line; *p && ok; p++)
			ok = (unsigned char)*p >= 0x20 && *p != 0x7f;
		if (ok && *line && *line != '#')
			ok = parse_line(line, b);
	}
	free(copy);
	/* At least what says which queue it bridges, and which way. */
	return ok && b->direction[0] && b->queue[0];
}

/* root, the namespace's owner, or the caller (whose files they are). */
static bool trusted(uid_t uid, uid_t owner)
{
	return uid == 0 || uid == owner || uid == geteuid();
}

/* The text of bridges/<name>, NUL-terminated: NULL if it is not a small
 * regular file of a trusted user's that no one else may write (one
 * link: not another's file linked here under a name of its own). */
static char *read_small(int dfd, const char *name, uid_t owner)
{
	char *buf = NULL;
	struct stat st;
	ssize_t n = 0, r;
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
			O_NONBLOCK);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size >= BR_FILE_MAX || !trusted(st.st_uid, owner) ||
	    st.st_nlink != 1 || (st.st_mode & 022))
		goto out;
	buf = malloc(BR_FILE_MAX);
	if (!buf)
		goto out;
	while (n < BR_FILE_MAX - 1 &&
	       (r = read(fd, buf + n, (size_t)(BR_FILE_MAX - 1 - n))) > 0)
		n += r;
	buf[n] = 0;
	if (memchr(buf, 0, (size_t)n)) {	/* binary: not a status file */
		free(buf);
		buf = NULL;
	}
out:
	close(fd);
	return buf;
}

/* bridges/, opened without following a link, if a trusted user owns it
 * and, writable by others, it is sticky (its owner may rename any file
 * in it: another user's would pass one bridge's file for another's);
 * else NULL, as if it were not there.  *owner: the namespace's. */
static DIR *open_bridges(uid_t *owner)
{
	struct stat ns, st;
	int nfd, fd;
	DIR *d;

	nfd = open(umq_ns_path(), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (nfd < 0)
		return NULL;
	fd = openat(nfd, "bridges", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fstat(nfd, &ns) || fd < 0 || fstat(fd, &st) ||
	    !trusted(st.st_uid, ns.st_uid) ||
	    ((st.st_mode & 022) && !(st.st_mode & S_ISVTX)) ||
	    !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		close(nfd);
		return NULL;
	}
	close(nfd);
	*owner = ns.st_uid;
	return d;
}

static void take_bridges(struct snap *s)
{
	struct dirent *e;
	size_t cap = 0;
	uid_t owner;
	DIR *d;

	d = open_bridges(&owner);
	if (!d)
		return;
	s->bridges_dir = true;
	while ((e = readdir(d))) {
		struct bridge *b;
		char *text;

		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(b->name))
			continue;
		text = read_small(dirfd(d), e->d_name, owner);
		if (!text)
			continue;
		if (s->nb == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			void *p = realloc(s->b, ncap * sizeof(*s->b));
			if (!p) {
				free(text);
				break;
			}
			s->b = p;
			cap = ncap;
		}
		b = &s->b[s->nb];
		strcpy(b->name, e->d_name);
		if (bridge_parse(text, b))
			s->nb++;
		free(text);
	}
	closedir(d);
	if (s->nb)
		qsort(s->b, s->nb, sizeof(*s->b), cmp_bridge);
}

int snap_take(struct snap *s)
{
	struct umq_stats_list *l;
	size_t cap = 0;
	int r;

	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &s->at);
	s->now = time(NULL);
	l = umq_stats_list_open();
	if (!l)
		return -1;
	for (;;) {
		if (s->nq == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			void *p = realloc(s->q, ncap * sizeof(*s->q));
			if (!p) {
				errno = ENOMEM;
				r = -1;
				break;
			}
			s->q = p;
			cap = ncap;
		}
		r = umq_stats_list_next(l, &s->q[s->nq]);
		if (r <= 0)
			break;
		s->nq++;
	}
	umq_stats_list_close(l);
	if (r < 0) {
		snap_free(s);
		return -1;
	}
	take_bridges(s);
	return 0;
}

void snap_free(struct snap *s)
{
	free(s->q);
	free(s->b);
	s->q = NULL;
	s->b = NULL;
	s->nq = s->nb = 0;
}

const struct umq_qstats *snap_find(const struct snap *prev,
				   const struct umq_qstats *cur)
{
	if (!prev)
		return NULL;
	for (size_t i = 0; i < prev->nq; i++) {
		const struct umq_qstats *p = &prev->q[i];
		if (p->kind != cur->kind)
			continue;
		if (cur->kind == UMQ_KIND_SYSV ? p->id == cur->id :
		    !strcmp(p->name, cur->name))
			/* a POSIX name may be a new queue: its counters
			 * went back, and rate() shows 0 */
			return p;
	}
	return NULL;
}

const struct bridge *snap_find_bridge(const struct snap *prev,
				      const struct bridge *cur)
{
	if (!prev)
		return NULL;
	for (size_t i = 0; i < prev->nb; i++)
		if (!strcmp(prev->b[i].name, cur->name))
			return &prev->b[i];
	return NULL;
}

double snap_dt(const struct snap *prev, const struct snap *cur)
{
	double dt;

	if (!prev)
		return 0;
	dt = (double)(cur->at.tv_sec - prev->at.tv_sec) +
	     (double)(cur->at.tv_nsec - prev->at.tv_nsec) / 1e9;
	return dt > 0 ? dt : 0;
}

double rate(unsigned long long now, unsigned long long then, double dt)
{
	if (dt <= 0 || now < then)
		return 0;
	return (double)(now - then) / dt;
}

const char *key_str(key_t key, char *buf, size_t n)
{
	snprintf(buf, n, "0x%08x", (unsigned)key);
	return buf;
}
