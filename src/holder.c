/* SPDX-License-Identifier: MIT */
/*
 * holder.c - who holds a lock, as far as a waiter can check (LOCKING L11).
 *
 * A lock word names a thread id.  Anyone who can write the registry can
 * write any value there, so a waiter does not believe the word alone: the
 * taker also publishes, atomically with the word, a check value that
 * binds its thread id to its namespace and to its thread's start time,
 * and, beside the lock, that namespace.  A waiter in the same namespace
 * recomputes the check from /proc/<tid>/stat: a stray value, a recycled
 * id, an unrelated process or a thread that no longer exists fails it.
 * A holder in another namespace, or one /proc does not show, cannot be
 * checked at all; the caller decides what to do with "unsure" (lock.c).
 *
 * A live thread's identity is public, though: a user of the queue can
 * write one that checks out.  So a holder must also be able to hold the
 * lock: a lock in a queue's file is taken through a mapping of that
 * file, and a thread whose process maps no such file holds it by a
 * forged word.  /proc/<tid>/maps shows that to the holder's own user
 * (procmaps.c); for another user's holder the namespace's agent looks
 * (agent.c).
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* The "starttime" field of a stat line, and the state letter. */
static int parse_stat(const char *path, uint64_t *start, char *state)
{
	char buf[1024], *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	/* The name may hold spaces and parentheses: start after the last
	 * ')'.  Then state is field 3 and starttime field 22. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EIO;
	p += 2;
	*state = *p;
	for (int f = 3; f < 22; f++) {
		p = strchr(p, ' ');
		if (!p)
			return -EIO;
		p++;
	}
	*start = strtoull(p, NULL, 10);
	return 0;
}

/*
 * Our namespace identity: the pid namespace's inode, mixed with the time
 * namespace's (start times are shown in the reader's time namespace), or
 * 0 when /proc is missing or belongs to another pid namespace - then no
 * thread id can be checked.  Cached while the pid namespace stays.
 */
static uint64_t ident_cache;	/* pid namespace << 32 | identity */

uint32_t holder_ident(void)
{
	uint32_t pidns = proc_pidns();
	uint64_t c = __atomic_load_n(&ident_cache, __ATOMIC_RELAXED);
	char self[32], want[32];
	struct stat st;
	ssize_t n;
	uint32_t id = 0;

	if (likely(c >> 32 == pidns && pidns))
		return (uint32_t)c;
	n = readlink("/proc/self", self, sizeof(self) - 1);
	snprintf(want, sizeof(want), "%d", (int)proc_pid());
	if (pidns && n > 0 && (self[n] = 0, !strcmp(self, want))) {
		id = pidns;
		if (!stat("/proc/self/ns/time", &st))
			id ^= (uint32_t)st.st_ino * 0x9e3779b1u;
		id += !id;
	}
	__atomic_store_n(&ident_cache, (uint64_t)pidns << 32 | id,
			 __ATOMIC_RELAXED);
	return id;
}

static uint32_t mix(uint32_t ident, uint32_t tid, uint64_t start)
{
	uint64_t x = ((uint64_t)ident << 32 | tid) ^
		     (start * 0x9e3779b97f4a7c15ull);

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	x *= 0x94d049bb133111ebull;
	return (uint32_t)(x >> 32);
}

void holder_self(uint32_t tid, uint32_t *tag, uint32_t *check)
{
	uint32_t ident = holder_ident();
	uint64_t start;
	char state;

	/* A holder that cannot name its own start time publishes "unsure"
	 * (tag 0) rather than a check that would fail. */
	if (!ident || parse_stat("/proc/thread-self/stat", &start, &state))
		ident = 0, start = 0;
	*tag = ident;
	*check = mix(ident, tid, start);
}

/* The check a thread tid of our namespace would publish: 0, or -errno
 * (-ESRCH: it does not exist or exited; -EAGAIN: hidden from us). */
int holder_check(uint32_t tid, uint32_t *check)
{
	uint32_t ident = holder_ident();
	char path[32], state;
	uint64_t start;

	if (!ident)
		return -EAGAIN;
	snprintf(path, sizeof(path), "/proc/%u/stat", tid);
	if (parse_stat(path, &start, &state)) {
		/* Gone, or hidden from us (hidepid): kill() tells which. */
		if (kill((pid_t)tid, 0) < 0 && errno == ESRCH)
			return -ESRCH;
		return -EAGAIN;
	}
	/* A thread that exited had its robust list processed: a lock it
	 * held says "owner died", not its id. */
	if (state == 'Z' || state == 'X' || state == 'x')
		return -ESRCH;
	*check = mix(ident, tid, start);
	return 0;
}

/*
 * A queue's file at path (sysv/q.<gen> or posix/<gen> of a namespace
 * directory): ask that namespace's agent whether tid's process maps it.
 * 1 or 0, or -errno when no agent can tell.
 */
static int agent_says(char *path, uint32_t tid)
{
	char *base = strrchr(path, '/'), *end;
	unsigned long long gen;
	bool posix;

	if (!base || base == path)
		return -EINVAL;
	*base++ = 0;
	posix = base[0] != 'q';
	gen = strtoull(base + !posix * 2, &end, 16);
	if (*end || !gen || (!posix && base[1] != '.'))
		return -EINVAL;		/* " (deleted)", or not a queue's */
	end = strrchr(path, '/');
	if (!end || strcmp(end + 1, posix ? "posix" : "sysv"))
		return -EINVAL;
	*end = 0;
	return agent_holder(path, gen, posix, tid);
}

/*
 * May thread tid hold the lock at addr (ours, in a mapping of a file)?
 * HOLDER_BAD only when its process is shown not to map that file;
 * HOLDER_UNSURE when another user's could but the file was removed.
 */
#define DELETED	" (deleted)"

static int may_hold(uint32_t tid, const void *addr)
{
	char link[64], path[PATH_MAX];
	struct maps_file f;
	uintptr_t lo, hi;
	ssize_t n;
	int r;

	if (maps_file_at(addr, &f, &lo, &hi))
		return HOLDER_OK;	/* not in a file: nothing to look at */
	r = maps_shares(tid, &f);
	if (r != -EACCES && r != -EPERM)
		return r == 0 ? HOLDER_BAD : HOLDER_OK;
	/* Another user's process: ask the agent of the file's directory,
	 * named as is (a maps line shows a newline in it as "\012"). */
	snprintf(link, sizeof(link), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)lo, (unsigned long)hi);
	n = readlink(link, path, sizeof(path));
	if (n <= 0 || (size_t)n == sizeof(path))	/* or cut short */
		return HOLDER_OK;
	path[n] = 0;
	/* A removed queue's file has no name the agent could open: its
	 * holder cannot be checked, and gets what any such holder does. */
	if ((size_t)n > sizeof(DELETED) &&
	    !strcmp(path + n - (sizeof(DELETED) - 1), DELETED))
		return HOLDER_UNSURE;
	return agent_says(path, tid) == 0 ? HOLDER_BAD : HOLDER_OK;
}

int holder_judge(uint32_t tid, uint32_t check, uint32_t tag,
		 const void *addr)
{
	uint32_t want;
	int r;

	if (!holder_ident() || tag != holder_ident())
		return HOLDER_UNSURE;	/* another namespace, or no /proc */
	r = holder_check(tid, &want);
	if (r)
		return r == -ESRCH ? HOLDER_BAD : HOLDER_UNSURE;
	if (want != check)
		return HOLDER_BAD;
	return addr ? may_hold(tid, addr) : HOLDER_OK;
}

/*
 * A freezer leaves its tasks asleep ('S' or 'D'), not stopped: their
 * cgroup says so, v2's "frozen 1" in cgroup.events, v1's "FROZEN" in
 * freezer.state, under the hierarchy's mount.  Plain reads into buffers
 * on the stack (a signal handler's call may get here), a line at a time.
 */
struct lines {
	int fd;
	size_t have;
	char buf[1024];
};

/* The next line of l, NUL-terminated; NULL at the end.  A line longer
 * than the buffer is cut (its rest read as the next lines). */
static char *next_line(struct lines *l, size_t *used)
{
	char *nl;
	ssize_t n;

	if (*used) {
		memmove(l->buf, l->buf + *used, l->have - *used);
		l->have -= *used;
		*used = 0;
	}
	for (;;) {
		nl = memchr(l->buf, '\n', l->have);
		if (nl || l->have == sizeof(l->buf) - 1)
			break;
		n = read(l->fd, l->buf + l->have, sizeof(l->buf) - 1 - l->have);
		if (n <= 0)
			break;
		l->have += (size_t)n;
	}
	if (!l->have)
		return NULL;
	if (!nl)
		nl = l->buf + (l->have < sizeof(l->buf) - 1 ? l->have :
			       sizeof(l->buf) - 1);
	*nl = 0;
	*used = (size_t)(nl - l->buf) + (nl < l->buf + l->have);
	return l->buf;
}

/* Field i (from 0) of a line of /proc/self/mounts, cut in place. */
static char *field(char *line, int i)
{
	char *p = line, *e;

	while (i-- > 0 && (p = strchr(p, ' ')))
		p++;
	if (!p)
		return NULL;
	e = strchr(p, ' ');
	if (e)
		*e = 0;
	return p;
}

/* Where the hierarchy is mounted: v2's, or v1's with the freezer. */
static bool cgroup_mount(bool v2, char *dir, size_t size)
{
	struct lines l = { .fd = open("/proc/self/mounts",
				      O_RDONLY | O_CLOEXEC) };
	size_t used = 0;
	bool found = false;
	char *line;

	if (l.fd < 0)
		return false;
	while (!found && (line = next_line(&l, &used))) {
		char *type = strchr(line, ' ') ? strchr(strchr(line, ' ') + 1,
						       ' ') : NULL;
		if (!type)
			continue;
		type++;
		if (v2 ? strncmp(type, "cgroup2 ", 8) :
			 strncmp(type, "cgroup ", 7) ||
			 !strstr(type, ",freezer"))
			continue;
		char *mnt = field(line, 1);
		found = mnt && strlen(mnt) < size && !strchr(mnt, '\\');
		if (found)
			strcpy(dir, mnt);
	}
	close(l.fd);
	return found;
}

static bool file_says(const char *path, const char *what)
{
	char buf[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	for (char *p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, what, strlen(what)))
			return true;
	return false;
}

static bool cgroup_frozen(uint32_t tid)
{
	char path[PATH_MAX], dir[PATH_MAX / 2], *line, *c, *ctl;
	struct lines l;
	size_t used = 0;
	bool frozen = false;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", tid);
	l = (struct lines){ .fd = open(path, O_RDONLY | O_CLOEXEC) };
	if (l.fd < 0)
		return false;
	/* "id:controllers:path": v2's is "0::path". */
	while (!frozen && (line = next_line(&l, &used))) {
		ctl = strchr(line, ':');
		c = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!c)
			continue;
		*ctl++ = 0;
		*c++ = 0;
		bool v2 = !*ctl && !strcmp(line, "0");
		if (!v2 && !strstr(ctl, "freezer"))
			continue;
		if (!cgroup_mount(v2, dir, sizeof(dir)) ||
		    snprintf(path, sizeof(path), "%s%s/%s", dir, c,
			     v2 ? "cgroup.events" : "freezer.state") >=
		    (int)sizeof(path))
			continue;
		frozen = file_says(path, v2 ? "frozen 1" : "FROZEN");
	}
	close(l.fd);
	return frozen;
}

bool holder_stopped(uint32_t tid, uint32_t check, uint32_t tag)
{
	char path[32], state;
	uint64_t start;

	if (!holder_ident() || tag != holder_ident())
		return false;	/* another namespace's tid, or no /proc */
	snprintf(path, sizeof(path), "/proc/%u/stat", tid);
	/* Only the holder the word names: a forged word is judged (L11). */
	if (parse_stat(path, &start, &state) ||
	    mix(tag, tid, start) != check)
		return false;
	if (state == 'T' || state == 't')
		return true;
	return (state == 'S' || state == 'D') && cgroup_frozen(tid);
}
