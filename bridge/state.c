/* SPDX-License-Identifier: MIT */
/*
 * state.c - what a bridge must remember across a crash, in
 * <namespace>/bridges/.<name>.state, beside its queue (the same
 * filesystem: a namespace on tmpfs loses both at a reboot, or neither).
 *
 * Two slots, written in turn, every record with a generation and a
 * checksum: a bridge killed in the middle of a write leaves the other
 * slot whole, and the newer valid slot is the state.  The file is mapped
 * shared: a record is a copy into the page cache, as a pwrite would make
 * it (a killed process loses neither; neither survives a power cut),
 * without a system call, and the bridge records up to three times a
 * message.  The file is flock()ed while the bridge runs, so that two
 * bridges of one name never share a sequence, and must be the bridge
 * user's own, with one link, and writable by nobody else: another user
 * who could truncate it would kill the bridge with SIGBUS.  The message
 * the out bridge holds between a receive and its publish is kept in the
 * same file, past the slots: in a file of its own, any user could make
 * that name first (bridges/ is every user's) and feed the bridge a
 * message of theirs, or make the bridge's next save fail.
 *
 * bridges/ itself is believed only if root, the namespace's owner or
 * this user owns it: its owner may remove or rename anything in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge.h"

#define STATE_MAGIC 0x33474442514d55ULL		/* "UMQBDG3" */
#define STATE_MAGIC_V2 0x32474442514d55ULL	/* the same, summed by bytes */
#define SLOT 2048
#define HELD_OFF (2 * SLOT)		/* the held message's header */
#define HELD_MAGIC 0x444c4548514d55ULL	/* "UMQHELD" */

_Static_assert(sizeof(struct state) + 32 <= SLOT, "state slot");

struct slot {
	uint64_t magic, gen;
	struct state st;
	uint64_t sum;
};

_Static_assert(offsetof(struct slot, sum) % 8 == 0, "summed by words");

/* Written after the text it describes: a bridge killed in between
 * leaves no header, so no message held (as one killed before). */
struct held_hdr {
	uint64_t magic, seq, type, len, sum;
};

struct state bstate;
static char *slots;			/* the file, mapped: slot i at i * SLOT */
static int state_fd = -1;		/* kept open: its flock, the held one */
static char old_held[4400];		/* a journal of before December 5 */
static uint64_t state_gen;

/* FNV-1a over 64-bit words (a byte at a time cost a microsecond a
 * record), each product's high half folded down: a multiply carries a
 * bit only upwards, so without the fold two flips of bit 63 would
 * cancel. */
static uint64_t sum_words(const uint64_t *w, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h = (h ^ w[i]) * 0x100000001b3ULL;
		h ^= h >> 32;
	}
	return h;
}

static uint64_t sum(const struct slot *s)
{
	return sum_words((const uint64_t *)s, offsetof(struct slot, sum) / 8);
}

/* The sum of STATE_MAGIC_V2 slots, read so that an upgraded bridge
 * goes on where the old one stopped. */
static uint64_t sum_v2(const struct slot *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < offsetof(struct slot, sum); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static bool slot_valid(const struct slot *s)
{
	return (s->magic == STATE_MAGIC && s->sum == sum(s)) ||
	       (s->magic == STATE_MAGIC_V2 && s->sum == sum_v2(s));
}

int bridges_dir(char *buf, size_t n)
{
	struct stat sb, ns;

	if ((size_t)snprintf(buf, n, "%s/bridges", umq_ns_path()) >= n)
		return -ENAMETOOLONG;
	if (stat(umq_ns_path(), &ns))
		return -errno;
	/* Made with the namespace; in one older than that, by its owner or
	 * root only: made by another user, it would be theirs, and no
	 * bridge of anyone else's could use it. */
	if (lstat(buf, &sb) && errno == ENOENT) {
		if (geteuid() != 0 && geteuid() != ns.st_uid) {
			logmsg("%s: missing; the namespace's owner (uid %u) or "
			       "root must make it: run a bridge once, or "
			       "mkdir -m 1777 %s", buf, (unsigned)ns.st_uid,
			       buf);
			return -EPERM;
		}
		if (mkdir(buf, 01777) == 0) {
			/* the umask took bits away: every user's bridge may
			 * add its files, none may remove another's (sticky) */
			if (chmod(buf, 01777))
				return -errno;
		} else if (errno != EEXIST) {
			return -errno;
		}
	}
	if (lstat(buf, &sb) || !S_ISDIR(sb.st_mode))
		return -ENOTDIR;
	if ((sb.st_uid != 0 && sb.st_uid != ns.st_uid &&
	     sb.st_uid != geteuid()) ||
	    ((sb.st_mode & 022) && !(sb.st_mode & S_ISVTX))) {
		logmsg("%s: uid %u's, not root's, the namespace owner's or "
		       "yours (or writable and not sticky): not used", buf,
		       (unsigned)sb.st_uid);
		return -EPERM;
	}
	return 0;
}

/* Open a file of ours in bridges/ (never through a link another user
 * made): -EPERM if it is not ours alone. */
static int open_own(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW, 0600);
	struct stat sb;

	if (fd < 0)
		return -errno;
	/* One link: not another file of ours linked here by someone else. */
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) ||
	    sb.st_uid != geteuid() || (sb.st_mode & 022) ||
	    sb.st_nlink != 1) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* Open, lock, check and map the state file (kept open and mapped for the
 * bridge's life: the lock is the descriptor's). */
static int map_file(const char *path)
{
	int fd = open_own(path, O_RDWR | O_CREAT);
	void *p;
	int e;

	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		e = errno == EWOULDBLOCK ? EBUSY : errno;
		goto fail_e;
	}
	/* Allocated now: a store into a hole of a full filesystem would be
	 * SIGBUS, where this is ENOSPC. */
	if ((e = posix_fallocate(fd, 0, 2 * SLOT)))
		goto fail_e;
	p = mmap(NULL, 2 * SLOT, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	slots = p;
	state_fd = fd;
	return 0;
fail:
	e = errno;
fail_e:
	close(fd);
	return -e;
}

int state_open(const char *name, struct state *st)
{
	char dir[4096], path[4400];
	struct slot s[2];
	int r, best = -1;

	r = bridges_dir(dir, sizeof(dir));
	if (r)
		return r;
	snprintf(path, sizeof(path), "%s/.%s.state", dir, name);
	snprintf(old_held, sizeof(old_held), "%s/.%s.held", dir, name);
	if ((r = map_file(path))) {
		if (r == -EPERM)
			logmsg("state file %s: another user's, linked, or "
			       "others may write it: not used", path);
		return r;
	}
	for (int i = 0; i < 2; i++) {
		memcpy(&s[i], slots + i * SLOT, sizeof(s[i]));
		if (!slot_valid(&s[i]))
			continue;
		if (best < 0 || s[i].gen > s[best].gen)
			best = i;
	}
	if (best >= 0) {
		*st = s[best].st;
		/* a publish may have been under way for any of them */
		for (uint32_t i = 0; i < st->nasg && i < NASG; i++)
			st->asg[i].tried = 1;
		state_gen = s[best].gen;
		return 0;
	}
	/* A new sequence: a new epoch, so that its message ids cannot be
	 * taken for an older sequence's within the duplicate window. */
	memset(st, 0, sizeof(*st));
	if (getrandom(&st->epoch, sizeof(st->epoch), 0) != sizeof(st->epoch))
		return -EIO;
	st->seq = 1;
	return state_save(st);
}

int state_save(const struct state *st)
{
	struct slot s;

	memset(&s, 0, sizeof(s));
	s.magic = STATE_MAGIC;
	s.gen = ++state_gen;
	s.st = *st;
	s.sum = sum(&s);
	/* a copy killed halfway leaves a slot whose sum fails: the other
	 * slot, whole, is the state */
	memcpy(slots + (s.gen & 1) * SLOT, &s, sizeof(s));
	return 0;
}

static uint64_t held_sum(const struct held_hdr *h)
{
	return sum_words((const uint64_t *)h,
			 offsetof(struct held_hdr, sum) / 8);
}

/*
 * out: a message the bridge received but has not published (it overtook
 * the head between the check and the receive), kept in the state file
 * past the slots until the stream has it: the text, then a header that
 * says whose sequence, type and length.  Written, not mapped: a write
 * into a full filesystem is ENOSPC, a store SIGBUS.
 */
int held_save(const struct lmsg *m, uint64_t seq)
{
	struct held_hdr h = {
		.magic = HELD_MAGIC, .seq = seq, .type = (uint64_t)m->type,
		.len = m->len,
	};

	h.sum = held_sum(&h);
	/* Any header there goes first: it must never describe this text. */
	if (pwrite(state_fd, &(struct held_hdr){ 0 }, sizeof(h), HELD_OFF) !=
	    (ssize_t)sizeof(h) ||
	    pwrite(state_fd, m->text, m->len, HELD_OFF + sizeof(h)) !=
	    (ssize_t)m->len ||
	    pwrite(state_fd, &h, sizeof(h), HELD_OFF) != (ssize_t)sizeof(h))
		return -EIO;
	return 0;
}

/* A journal file a bridge before December 5 left: ours alone, whole. */
static int held_load_old(struct lmsg *m, struct held_hdr *h)
{
	uint64_t hdr[3];
	int fd = open_own(old_held, O_RDONLY);
	bool ok;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0) {
		logmsg("%s: another user's, linked, or others may write it: "
		       "not read", old_held);
		return 0;
	}
	ok = read(fd, hdr, sizeof(hdr)) == sizeof(hdr) && hdr[2] <= MSG_MAX &&
	     read(fd, m->text, hdr[2]) == (ssize_t)hdr[2];
	close(fd);
	if (!ok)
		return -EIO;
	h->seq = hdr[0];
	h->type = hdr[1];
	h->len = hdr[2];
	return 1;
}

/* 1 and the message, or 0 when none is held. */
int held_load(struct lmsg *m, uint64_t *seq)
{
	struct held_hdr h;
	ssize_t n = pread(state_fd, &h, sizeof(h), HELD_OFF);
	int r;

	if (n == (ssize_t)sizeof(h) && h.magic == HELD_MAGIC &&
	    h.sum == held_sum(&h) && h.len <= MSG_MAX) {
		if (pread(state_fd, m->text, h.len, HELD_OFF + sizeof(h)) !=
		    (ssize_t)h.len)
			return -EIO;
	} else if ((r = held_load_old(m, &h)) <= 0) {
		return r;
	}
	*seq = h.seq;
	m->type = (long)h.type;
	m->len = h.len;
	return 1;
}

/* The stream has it: the header goes, and the text's pages. */
void held_drop(void)
{
	if (ftruncate(state_fd, HELD_OFF))
		pwrite(state_fd, &(struct held_hdr){ 0 },
		       sizeof(struct held_hdr), HELD_OFF);
	unlink(old_held);
}
