/* SPDX-License-Identifier: MIT */
/*
 * sysv_perm.c - System V permission checks (spec A5) by callers of each
 * class (owner, group, other) and by privileged callers, on queues of other
 * owners and modes.  Every scenario runs on the kernel and on umq and must
 * give the same result on both; the kernel is the oracle.
 */
#include "backend.h"

#include <grp.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#define B (&sysv_backends[half])	/* the backend of the running half */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Callers ------------------------------------------------------------- */

#define USER 1000	/* the ordinary user under test */
#define USER2 2000	/* another one, creator of "foreign" queues */
#define USER3 3000	/* a third one, related to nothing */

/* A queue as one caller should see it. */
struct cell {
	key_t key;
	int qid;
	int mode;
	int granted;		/* rwx bits the caller gets */
	int owner;		/* the caller may IPC_SET and IPC_RMID */
	int rmid;		/* end with IPC_RMID */
	struct msqid_ds ds;	/* what IPC_SET writes back */
};

struct msg {
	long mtype;
	char text[8];
};

static const char *result(long long r, int err)
{
	static char s[64];

	if (r == -1)
		snprintf(s, sizeof(s), "-1 %s", strerrorname_np(err) ?: "0");
	else
		snprintf(s, sizeof(s), "%lld", r);
	return s;
}

/* expr must succeed when ok, else fail with err; evaluates to its result. */
#define CHECK(c, ok, err, expr)						\
	({								\
		errno = 0;						\
		long long r_ = (long long)(expr);			\
		int e_ = errno;						\
		if ((ok) ? r_ == -1 : r_ != -1 || e_ != (err))		\
			T_FAIL("%s on mode %04o as %d:%d returned %s, "	\
			       "expected %s", #expr, (c)->mode,		\
			       (int)geteuid(), (int)getegid(),		\
			       result(r_, e_),				\
			       (ok) ? "success" : strerrorname_np(err));\
		r_;							\
	})

/*
 * A child forked to act as another user starts as that user's program
 * would: in umq's half, with nothing mapped by its parent (root), so the
 * OS checks the files' modes as it would for that program.
 */
static void fresh(void)
{
	if (!B->kernel)
		T_OK(umq_ns_use(t_umq_dir()));
}

/* The 9 mode bits of a msgget flag all count, folded into one rwx request. */
static void check_get(const struct cell *c, int flg)
{
	int want = (flg >> 6 | flg >> 3 | flg) & 7;
	int ok = !(want & ~c->granted);

	errno = 0;
	int r = B->get(c->key, flg), e = errno;
	if (ok ? r != c->qid : r != -1 || e != EACCES)
		T_FAIL("msgget(key, %#o) on mode %04o as %d:%d returned %s, "
		       "expected %s", flg, c->mode, (int)geteuid(),
		       (int)getegid(), result(r, e),
		       ok ? "the id" : "EACCES");
}

/*
 * Every call, as the calling process is now.  The queue must hold a
 * message when the caller may read it.
 */
static void check_access(void *arg)
{
	static const int get_flags[] = {
		0, 0400, 0200, 0600, 0040, 0020, 0004, 0002, 0100, 0666,
		IPC_CREAT | 0600,
	};
	const struct cell *c = arg;
	int r = !!(c->granted & 4), w = !!(c->granted & 2);
	struct msqid_ds ds = c->ds;
	struct msg m = { 1, "x" };

	fresh();
	for (size_t i = 0; i < ARRAY_SIZE(get_flags); i++)
		check_get(c, get_flags[i]);
	CHECK(c, 0, EEXIST, B->get(c->key, IPC_CREAT | IPC_EXCL | 0600));
	if (CHECK(c, r, EACCES, B->ctl(c->qid, IPC_STAT, &ds)) == 0)
		T_EQ(ds.msg_perm.mode, c->mode);
	long id = CHECK(c, r, EACCES, B->ctl(c->qid & 0x7fff, MSG_STAT, &ds));
	if (r)
		T_EQ(id, c->qid);
	id = CHECK(c, 1, 0, B->ctl(c->qid & 0x7fff, MSG_STAT_ANY, &ds));
	T_EQ(id, c->qid);
	T_EQ(ds.msg_perm.mode, c->mode);
	CHECK(c, w, EACCES, B->snd(c->qid, &m, 1, IPC_NOWAIT));
	long n = CHECK(c, r, EACCES, B->rcv(c->qid, &m, sizeof(m.text), 0,
					    IPC_NOWAIT));
	if (r)
		T_EQ(n, 1);
	ds = c->ds;
	CHECK(c, c->owner, EPERM, B->ctl(c->qid, IPC_SET, &ds));
	if (c->rmid)
		CHECK(c, c->owner, EPERM, B->ctl(c->qid, IPC_RMID, NULL));
}

__attribute__((format(printf, 5, 6)))
static void as(uid_t uid, gid_t gid, void (*fn)(void *), void *arg,
	       const char *fmt, ...)
{
	int rc = t_as_user(uid, gid, fn, arg);
	char what[128];
	va_list ap;

	if (rc == T_EXIT_PASS)
		return;
	if (rc == T_EXIT_SKIP)
		t_skip("cannot become %d:%d", (int)uid, (int)gid);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	T_FAIL("as %d:%d: %s", (int)uid, (int)gid, what);
}

/* t_as_user drops every supplementary group; this keeps one. */
static void as_with_group(uid_t uid, gid_t gid, gid_t sup,
			  void (*fn)(void *), void *arg)
{
	int rc = t_as_user_groups(uid, gid, 1, &sup, fn, arg);

	if (rc == T_EXIT_SKIP)
		t_skip("cannot become %d:%d with group %d", (int)uid, (int)gid,
		       (int)sup);
	if (rc != T_EXIT_PASS)
		T_FAIL("as %d:%d with supplementary group %d failed", (int)uid,
		       (int)gid, (int)sup);
}

static void put(int q, int n)
{
	struct msg m = { 1, "x" };

	for (int i = 0; i < n; i++)
		T_OK(B->snd(q, &m, 1, IPC_NOWAIT));
}

/* ds of the queue, which no permission guards. */
static void stat_any(struct cell *c)
{
	T_EQ(T_OK(B->ctl(c->qid & 0x7fff, MSG_STAT_ANY, &c->ds)), c->qid);
}

/*
 * As the calling user: create c->key with 4 messages, then set c->mode and
 * the owner/group in c->ds.msg_perm (-1: unchanged).
 */
static void create(void *arg)
{
	struct cell *c = arg;
	uid_t uid = c->ds.msg_perm.uid;
	gid_t gid = c->ds.msg_perm.gid;

	if (geteuid())
		fresh();
	c->qid = T_OK(B->get(c->key, IPC_CREAT | IPC_EXCL | 0600));
	put(c->qid, 4);
	T_OK(B->ctl(c->qid, IPC_STAT, &c->ds));
	c->ds.msg_perm.mode = c->mode;
	if (uid != (uid_t)-1)
		c->ds.msg_perm.uid = uid;
	if (gid != (gid_t)-1)
		c->ds.msg_perm.gid = gid;
	T_OK(B->ctl(c->qid, IPC_SET, &c->ds));
}

/* create() run by creator (root: this process); c->qid and c->ds are
 * read back by root. */
static void create_as(struct cell *c, uid_t creator, uid_t uid, gid_t gid)
{
	c->ds.msg_perm.uid = uid;
	c->ds.msg_perm.gid = gid;
	if (creator)
		as(creator, creator, create, c, "creating key %#x", c->key);
	else
		create(c);
	c->qid = T_OK(B->get(c->key, 0));
	stat_any(c);
}

/* An owner, uid, checks every call and removes the queue: it is gone. */
static void owner_removes(struct cell *c, uid_t uid, int granted,
			  const char *who)
{
	c->granted = granted;
	c->owner = 1;
	c->rmid = 1;
	as(uid, uid, check_access, c, "%s removing", who);
	T_ERR(B->get(c->key, 0), ENOENT);
}

static void expect_qnum(int q, unsigned long n)
{
	struct msqid_ds ds;

	T_OK(B->ctl(q, IPC_STAT, &ds));
	T_EQ(ds.msg_qnum, n);
}

/* ---- Class by class ------------------------------------------------------ */

static const int modes[] = {
	0600, 0640, 0604, 0660, 0606, 0644, 0000, 0222, 0444, 0066,
};

enum { OWNER, GROUP, OTHER };
static const char *const class_name[] = { "owner", "group", "other" };

/*
 * Root creates each queue and puts uid 1000 in the class under test by
 * IPC_SET: owner (uid 1000), group (gid 1000) or neither.  Only that
 * class's bits count, whatever the others grant.
 */
static void matrix(int cls)
{
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		struct cell c = { .key = 0x7000 + i, .mode = modes[i],
				  .owner = cls == OWNER, .rmid = 1 };

		c.ds.msg_perm.uid = cls == OWNER ? USER : (uid_t)-1;
		c.ds.msg_perm.gid = cls == GROUP ? USER : (gid_t)-1;
		create(&c);
		c.granted = c.mode >> (6 - 3 * cls) & 7;
		as(USER, USER, check_access, &c, "%s class, mode %04o",
		   class_name[cls], c.mode);
		if (c.owner) {
			T_ERR(B->get(c.key, 0), ENOENT);
			continue;
		}
		expect_qnum(c.qid, 4 - !!(c.granted & 4) + !!(c.granted & 2));
		T_OK(B->ctl(c.qid, IPC_RMID, NULL));
	}
}

BOTH_ROOT(perm_owner_class) { matrix(OWNER); }
BOTH_ROOT(perm_group_class) { matrix(GROUP); }
BOTH_ROOT(perm_other_class) { matrix(OTHER); }

/* Group class through the creator's gid, the queue's gid, or a supplementary group. */
BOTH_ROOT(perm_group_sources)
{
	struct cell c = { .key = 0x7100, .mode = 0060 };

	create_as(&c, USER2, -1, USER3);
	T_EQ(c.ds.msg_perm.cgid, USER2);
	T_EQ(c.ds.msg_perm.gid, USER3);
	c.granted = 6;
	as(USER, USER2, check_access, &c, "egid == cgid");
	as(USER, USER3, check_access, &c, "egid == gid");
	as_with_group(USER, USER, USER3, check_access, &c);
	c.granted = 0;
	as(USER, USER, check_access, &c, "in neither group");
	/* The creator is owner class: mode 0060 gives it nothing. */
	owner_removes(&c, USER2, 0, "creator");
}

/* ---- Ownership ----------------------------------------------------------- */

/*
 * The creator hands the queue to uid 1000: both are owners from then on
 * (rwx by owner bits, IPC_SET, IPC_RMID); anybody else is not.
 */
BOTH_ROOT(perm_owner_handoff)
{
	struct cell c = { .key = 0x7200, .mode = 0600 };

	create_as(&c, USER2, USER, -1);
	T_EQ(c.ds.msg_perm.uid, USER);
	T_EQ(c.ds.msg_perm.cuid, USER2);
	T_EQ(c.ds.msg_perm.gid, USER2);
	T_EQ(c.ds.msg_perm.cgid, USER2);
	c.granted = 6;
	c.owner = 1;
	as(USER, USER, check_access, &c, "new owner");
	as(USER2, USER2, check_access, &c, "creator, no longer owner");
	c.granted = 0;
	c.owner = 0;
	c.rmid = 1;
	as(USER3, USER3, check_access, &c, "unrelated user");
	owner_removes(&c, USER2, 6, "creator");
}

/*
 * The new owner may be in the creator's group (the group of umq's files):
 * the owner bits still decide.  Then, as owner, it changes the mode - it
 * cannot chmod the creator's files - and exactly the users that mode
 * admits get in, whether or not they are in the creator's group.
 */
static void set_mode(void *arg)
{
	struct cell *c = arg;
	struct msqid_ds ds;

	fresh();
	T_OK(B->ctl(c->qid & 0x7fff, MSG_STAT_ANY, &ds));
	ds.msg_perm.mode = c->mode;
	T_OK(B->ctl(c->qid, IPC_SET, &ds));
}

BOTH_ROOT(perm_owner_handoff_mode_by_new_owner)
{
	struct cell c = { .key = 0x7280, .mode = 0000 };

	create_as(&c, USER2, USER, -1);
	c.owner = 1;
	as_with_group(USER, USER, USER2, check_access, &c);
	c.mode = 0606;
	c.granted = 6;
	as(USER, USER, set_mode, &c, "new owner setting %04o", c.mode);
	c.owner = 0;
	as(USER3, USER3, check_access, &c, "other, mode 0606");
	c.granted = 0;
	as_with_group(USER3, USER3, USER2, check_access, &c);
	c.mode = 0066;
	as(USER, USER, set_mode, &c, "new owner setting %04o", c.mode);
	c.granted = 6;
	as(USER3, USER3, check_access, &c, "other, mode 0066");
	as_with_group(USER3, USER3, USER2, check_access, &c);
	owner_removes(&c, USER, 0, "new owner");
}

/* uid 1000 in the creator's group (USER2), in the queue's (USER3), in
 * neither. */
static void by_group(struct cell *c)
{
	c->granted = c->mode >> 3 & 7;
	as_with_group(USER, USER, USER2, check_access, c);
	as_with_group(USER, USER, USER3, check_access, c);
	c->granted = c->mode & 7;
	as(USER, USER, check_access, c, "in neither group");
}

/*
 * The group handed over: members of the creator's group and of the new
 * group are both "group" (ipcperms checks cgid and gid), anybody else
 * "other" - while the OS sees only the creator's group in the files.
 */
BOTH_ROOT(perm_group_handoff)
{
	struct cell c = { .key = 0x72c0, .mode = 0606 };

	create_as(&c, USER2, -1, USER3);
	by_group(&c);
	c.mode = 0060;
	as(USER2, USER2, set_mode, &c, "creator setting %04o", c.mode);
	by_group(&c);
	owner_removes(&c, USER2, 0, "creator");
}

/* The same hand-off by root, which keeps IPC_SET and IPC_RMID. */
BOTH_ROOT(perm_owner_handoff_by_root)
{
	struct cell c = { .key = 0x7300, .mode = 0640 };

	create_as(&c, 0, USER, -1);
	c.granted = 6;
	c.owner = 1;
	as(USER, USER, check_access, &c, "new owner");
	c.ds.msg_perm.mode = 0600;
	T_OK(B->ctl(c.qid, IPC_SET, &c.ds));
	stat_any(&c);
	T_EQ(c.ds.msg_perm.mode, 0600);
	T_EQ(c.ds.msg_perm.uid, USER);
	T_OK(B->ctl(c.qid, IPC_RMID, NULL));
	T_ERR(B->get(c.key, 0), ENOENT);
}

/* ---- Privileges ---------------------------------------------------------- */

/*
 * A uid-2000 queue, seen by uid 1000 (other class) and by root, whose
 * CAP_IPC_OWNER skips the rwx check (the execute request included) and
 * CAP_SYS_ADMIN the ownership check.
 */
BOTH_ROOT(perm_privileged)
{
	static const int pmodes[] = { 0000, 0600, 0604 };

	for (size_t i = 0; i < ARRAY_SIZE(pmodes); i++) {
		struct cell c = { .key = 0x7400 + i, .mode = pmodes[i] };

		create_as(&c, USER2, -1, -1);
		c.granted = c.mode & 7;
		as(USER, USER, check_access, &c, "other class, mode %04o",
		   c.mode);
		c.granted = t_have_cap(CAP_IPC_OWNER) ? 7 : c.mode & 7;
		c.owner = t_have_cap(CAP_SYS_ADMIN);
		c.rmid = 1;
		check_access(&c);
		if (c.owner)
			T_ERR(B->get(c.key, 0), ENOENT);
		else
			owner_removes(&c, USER2, 6, "creator");
	}
}

static void raise_qbytes(void *arg)
{
	const struct cell *c = arg;
	struct msqid_ds ds = c->ds;
	unsigned long mnb = c->ds.msg_qbytes;	/* a new queue's: msgmnb */

	ds.msg_qbytes = mnb + 1;
	T_ERR(B->ctl(c->qid, IPC_SET, &ds), EPERM);
	ds.msg_qbytes = mnb - 1;
	T_OK(B->ctl(c->qid, IPC_SET, &ds));
	/* The ceiling is msgmnb, not the current value. */
	ds.msg_qbytes = mnb;
	T_OK(B->ctl(c->qid, IPC_SET, &ds));
}

/* Above msgmnb only with CAP_SYS_RESOURCE, which root here may lack. */
BOTH_ROOT(perm_qbytes_ceiling)
{
	struct cell c = { .key = 0x7500, .mode = 0600 };

	create_as(&c, 0, USER, -1);
	as(USER, USER, raise_qbytes, &c, "owner raising msg_qbytes");
	struct msqid_ds ds = c.ds;
	ds.msg_qbytes++;
	if (t_have_cap(CAP_SYS_RESOURCE)) {
		T_OK(B->ctl(c.qid, IPC_SET, &ds));
		stat_any(&c);
		T_EQ(c.ds.msg_qbytes, ds.msg_qbytes);
	} else {
		T_ERR(B->ctl(c.qid, IPC_SET, &ds), EPERM);
	}
}

static int libc_seteuid(uid_t uid)
{
	return seteuid(uid);
}

/* The effective uid is read at each call, in both directions. */
static void euid_each_call(int (*set_euid)(uid_t))
{
	int q = T_OK(B->get(IPC_PRIVATE, 0600));
	struct msg m = { 1, "x" };
	struct msqid_ds ds;

	T_OK(B->ctl(q, IPC_STAT, &ds));
	for (int round = 0; round < 2; round++) {
		T_OK(set_euid(USER));
		T_ERR(B->snd(q, &m, 1, IPC_NOWAIT), EACCES);
		T_ERR(B->rcv(q, &m, sizeof(m.text), 0, IPC_NOWAIT), EACCES);
		T_ERR(B->ctl(q, IPC_STAT, &ds), EACCES);
		T_ERR(B->ctl(q, IPC_SET, &ds), EPERM);
		T_OK(set_euid(0));
		T_OK(B->snd(q, &m, 1, IPC_NOWAIT));
		T_EQ(T_OK(B->rcv(q, &m, sizeof(m.text), 0, IPC_NOWAIT)), 1);
		T_OK(B->ctl(q, IPC_STAT, &ds));
		T_OK(B->ctl(q, IPC_SET, &ds));
	}
}

BOTH_ROOT(perm_seteuid_each_call) { euid_each_call(libc_seteuid); }

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
