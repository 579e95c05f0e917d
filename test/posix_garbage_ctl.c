/* SPDX-License-Identifier: MIT */
/*
 * posix_garbage_ctl.c - garbage in a POSIX queue's control block (struct
 * pqctl, garbage_mq.h): fields and noise give clean errors or a repaired
 * queue; a wrong identity refuses the queue; a block that claims another
 * owner lets nobody in (the files' modes decide); a lock held by a thread
 * that is gone is taken over.
 */
#include "t.h"

#include <fcntl.h>
#include <stddef.h>
#include <sys/wait.h>

#include "garbage_mq.h"

/* ---- the control block --------------------------------------------------- */

static void round_ctl_fields(uint32_t seed)
{
	struct qmap q;
	bool derived = true;
	uint64_t gen = round_queue(seed, 0xc1, 2 + (int)below(MAXMSG - 1),
				   (int)below(2));

	qmap_of(gen, &q);
	for (int k = 1 + (int)below(3); k--;)
		derived &= damage_field(q.c);
	qmap_unmap(&q);
	SENT->lossless = derived;
	if (use() && derived)
		repaired();
	finish();
}

T_CASE(garbage_pqctl_fields)
{
	rounds("control block fields", 200, round_ctl_fields);
}

/* Noise over the control block: identity kept (magic, version, hdr_size,
 * gen, name), so that the calls reach the noise; the lock included in
 * half the rounds. */
static void round_ctl_noise(uint32_t seed)
{
	struct pqctl save, *c;
	struct qmap q;
	size_t from = seed % 2 ? 0 : sizeof(pthread_mutex_t);
	uint64_t gen = round_queue(seed, 0xc2, 2 + (int)below(MAXMSG - 1),
				   (int)below(2));

	qmap_of(gen, &q);
	c = q.c;
	save = *c;
	size_t off = from + below((uint32_t)(PQ_CTL_SIZE - from));
	size_t len = below(3) ? 1 + below(64) : PQ_CTL_SIZE - off;
	if (off + len > PQ_CTL_SIZE)
		len = PQ_CTL_SIZE - off;
	fill_random((uint8_t *)c + off, len);
	if (below(4)) {
		c->magic = save.magic;
		c->version = save.version;
		c->hdr_size = save.hdr_size;
		c->gen = save.gen;
		memcpy(c->name, save.name, sizeof(c->name));
		did("control block bytes [%zu, +%zu) random, identity kept",
		    off, len);
	} else {
		did("control block bytes [%zu, +%zu) random", off, len);
	}
	qmap_unmap(&q);
	use();
	finish();
}

T_CASE(garbage_pqctl_noise)
{
	rounds("control block noise", 100, round_ctl_noise);
}

/*
 * The identity of the control block: a fresh process refuses the queue
 * with the errno given (EUCLEAN for damage, EPROTO for another layout,
 * ENOENT when the queue is of another name), and mq_unlink still
 * removes the name.
 */

static void ident_round(const struct ident *id)
{
	struct qmap q;
	mqd_t d;
	uint64_t gen = round_queue(1, 0xc3, 3, 0);

	qmap_of(gen, &q);
	memcpy((uint8_t *)q.c + id->off, id->bytes, id->n);
	did("%s", id->what);
	qmap_unmap(&q);
	expect_open(id->what, id->err, 0);
	refused();
	op("mq_unlink of a queue whose %s", id->what);
	if (umq_mq_unlink(QNAME))
		R_FAIL("mq_unlink of a queue whose %s: %s", id->what,
		       strerrorname_np(errno));
	op("mq_open after the mq_unlink");
	errno = 0;
	d = umq_mq_open(QNAME, O_RDWR);
	if (d != (mqd_t)-1 || errno != ENOENT)
		R_FAIL("mq_open after mq_unlink of a queue whose %s: %d %s",
		       id->what, d, strerrorname_np(errno) ?: "");
	op("a new queue");
	{
		struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
		d = umq_mq_open(QNAME, O_CREAT | O_EXCL | O_RDWR, 0600, &a);
		if (d == (mqd_t)-1)
			R_FAIL("a new queue of the name: %s",
			       strerrorname_np(errno));
		umq_mq_close(d);
	}
	finish();
}

static void ident_scene(const void *arg)
{
	ident_round(arg);
}

T_CASE(garbage_pqctl_identity)
{
	static struct ident ids[] = {
		{ offsetof(struct pqctl, magic), "junkjunk", 8, EUCLEAN,
		  "magic is wrong" },
		{ offsetof(struct pqctl, version), { UMQ_LAYOUT_VERSION + 1 },
		  4, EPROTO, "version is the next layout's" },
		{ offsetof(struct pqctl, version), { 2 }, 4, EPROTO,
		  "version is layout 2's" },
		{ offsetof(struct pqctl, hdr_size), { 64 }, 4, EUCLEAN,
		  "hdr_size is 64" },
		{ offsetof(struct pqctl, gen), { 1, 2, 3 }, 8, EUCLEAN,
		  "gen is another queue's" },
		{ offsetof(struct pqctl, name), "other", 6, ENOENT,
		  "name is another" },
		{ offsetof(struct pqctl, name) + 1, "xxxxxxxxxxxxxxxx", 16,
		  ENOENT, "name has no end where it should" },
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		scene(ids[i].what, ident_scene, &ids[i]);
}

/*
 * Another user is let in by the files' modes, which the OS keeps, never
 * by the control block's: a root queue of mode 0600 whose block claims
 * mode 0666 and owner uid 1000 still refuses uid 1000 (EACCES).
 */
static void intruder(void *arg)
{
	struct umq_peek_msg pm = { 0 };
	struct umq_mq_info info;
	mqd_t d;
	int r;

	(void)arg;
	for (int acc = O_RDONLY; acc <= O_RDWR; acc++) {
		op("uid 1000: mq_open(%d) of a block that claims it", acc);
		errno = 0;
		d = umq_mq_open(QNAME, acc | O_NONBLOCK);
		if (d != (mqd_t)-1 || errno != EACCES)
			R_FAIL("%s returned %d %s, expected -1 EACCES", LOG->op,
			       d, d == (mqd_t)-1 ? strerrorname_np(errno) : "");
	}
	op("uid 1000: umq_mq_peek_name");
	errno = 0;
	if (umq_mq_peek_name(QNAME, 0, &pm, 1) != -1 || errno != EACCES)
		R_FAIL("%s: %s, expected EACCES", LOG->op,
		       strerrorname_np(errno) ?: "success");
	op("uid 1000: umq_mq_stat");
	r = umq_mq_stat(QNAME, &info);
	if (!(r == -1 && errno == EACCES) && !(r == 0 && info.err == EACCES))
		R_FAIL("%s: %d %s, err %d: expected EACCES", LOG->op, r,
		       strerrorname_np(errno) ?: "", info.err);
	op("uid 1000: mq_unlink");
	errno = 0;
	if (umq_mq_unlink(QNAME) != -1 || errno != EACCES)
		R_FAIL("%s: %s, expected EACCES", LOG->op,
		       strerrorname_np(errno) ?: "success");
}

static void owner_scene(const void *arg)
{
	struct qmap q;
	int st;
	uint64_t gen = round_queue(6, 0x0e, 3, 0);

	(void)arg;
	qmap_of(gen, &q);
	q.c->mode = 0666;
	q.c->uid = 1000;
	q.c->gid = 1000;
	did("mode 0666 uid 1000 gid 1000 in a root queue's block");
	qmap_unmap(&q);
	st = t_as_user(1000, 1000, intruder, NULL);
	if (st == T_EXIT_SKIP)
		_exit(T_EXIT_SKIP);
	if (st == R_FAILED)
		_exit(R_FAILED);
	if (st != T_EXIT_PASS)
		R_FAIL("uid 1000's calls ended with %d", st);
	if (!use())
		R_FAIL("root cannot open its queue after the damage");
	finish();
}

T_CASE(garbage_pqctl_owner)
{
	if (geteuid() != 0)
		t_skip("needs root to be two users");
	scene("a block that claims another owner", owner_scene, NULL);
}

/*
 * The queue lock's word names a thread that does not exist (no robust
 * list ever marked it): the next taker resets it (L11) - after two looks
 * in /proc when the holder's namespace tag is ours, after 10 s when the
 * tag is garbage too - and goes on.  Not a hang.
 */
struct lockcase {
	bool tag;		/* garbage in the tag as well */
	int within_ms;
	const char *what;
};

static void lock_scene(const void *arg)
{
	const struct lockcase *lc = arg;
	struct qmap q;
	pid_t dead;
	long t0;
	uint64_t gen = round_queue(7, 0x10c, 3, 0);

	dead = r_fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	qmap_of(gen, &q);
	q.c->lock.__data.__lock = dead;
	q.c->lock.__data.__count = 0x12345678;
	if (lc->tag)
		q.c->lock_ns = 0xdeadbeef;
	did("lock word: thread %d, gone%s", (int)dead,
	    lc->tag ? ", tag garbage" : "");
	qmap_unmap(&q);
	t0 = t_now_ms();
	if (!use())
		R_FAIL("the queue cannot be opened");
	if (t_now_ms() - t0 > lc->within_ms)
		R_FAIL("the calls took %ld ms", t_now_ms() - t0);
	repaired();
	finish();
}

T_CASE(garbage_pqctl_lock_dead_owner)
{
	static const struct lockcase cases[] = {
		{ false, 4000, "a lock held by a thread that is gone" },
		{ true, 16000, "the same, with a garbage namespace tag" },
	};

	scene_s = 20;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		scene(cases[i].what, lock_scene, &cases[i]);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
