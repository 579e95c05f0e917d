/* SPDX-License-Identifier: MIT */
/*
 * charge.c - RLIMIT_MSGQUEUE counts every POSIX queue of the real uid,
 * also one whose file the real uid may not read (DESIGN §6, §8).
 *
 * A process of real uid R and effective (so fs) uid F makes a queue: the
 * kernel charges it to R, and umq's file is F's, mode 0600.  A later
 * process of R alone then makes a second queue of the same size, which
 * its limit leaves no room for: the kernel refuses it (EMFILE).  umq
 * counts charges from the files, and R cannot read F's: only with the
 * namespace's agent, which reads it for R, does umq refuse it too.
 */
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "at.h"
#include "internal.h"
#include "t.h"
#include "umq.h"

#define R	2006		/* the real uid charged */
#define F	2007		/* the fs uid that owns the file */

struct step {
	const struct at_api *api;
	const char *name;
	rlim_t limit;
	int expect;		/* 0, or the errno of the creation */
};

static struct mq_attr attr = { .mq_maxmsg = 8, .mq_msgsize = 1024 };

static void create(void *arg)
{
	const struct step *st = arg;
	struct rlimit rl = { st->limit, st->limit };
	mqd_t q;

	T_OK(setrlimit(RLIMIT_MSGQUEUE, &rl));
	if (!strcmp(st->name, "/first")) {
		/* real uid R, effective and fs uid F */
		if (setresgid(R, F, F) || setresuid(R, F, F))
			_exit(T_EXIT_SKIP);
	} else if (setresgid(R, R, R) || setresuid(R, R, R)) {
		_exit(T_EXIT_SKIP);
	}
	errno = 0;
	q = st->api->open(st->name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
	if (st->expect) {
		T_EQ(q, -1);
		T_EQ(errno, st->expect);
		return;
	}
	T_ASSERT(q != (mqd_t)-1);
	st->api->close(q);
}

static void run(struct step *st, const char *what)
{
	pid_t pid = t_spawn_alarm(create, st, 30);

	t_exited_ok(pid, t_reap(pid, 30000), what);
}

/*
 * Both creations on api, under a limit that holds one queue of this size
 * but not two.  The limit comes from the kernel's own charge of one
 * queue, measured first on the kernel: the second queue must not fit.
 */
static void both(const struct at_api *api, int expect)
{
	/* One queue charges some 8 x (1024 + overhead) bytes: between one
	 * and two of them. */
	struct step st = { api, "/first", 12 * 1024, 0 };

	run(&st, "first creation (real uid R, fs uid F)");
	st.name = "/second";
	st.expect = expect;
	run(&st, "second creation (uid R)");
	api->unlink("/first");
	if (!expect)
		api->unlink("/second");
}

T_CASE(charge_of_unreadable_queue_kernel)
{
	both(&at_kernel, EMFILE);
}

/* The difference DESIGN §8 lists when no agent serves the namespace. */
T_CASE(charge_of_unreadable_queue_without_agent)
{
	both(&at_umq, 0);
}

T_CASE(charge_of_unreadable_queue_with_agent)
{
	pid_t agent = at_start();

	both(&at_umq, EMFILE);
	at_stop(agent);
}

/* The agent tells a process only its own real uid's charge. */
static void ask_as_f(void *arg)
{
	uint64_t *gen = arg, v = 1;

	if (setresgid(F, F, F) || setresuid(F, F, F))
		_exit(T_EXIT_SKIP);
	T_EQ(at_ask(AGENT_CHARGE_POSIX, *gen, -1, NULL, &v), 0);
	T_EQ(v, 0);
}

static void ask_as_r(void *arg)
{
	uint64_t *gen = arg, v = 0;

	if (setresgid(R, R, R) || setresuid(R, R, R))
		_exit(T_EXIT_SKIP);
	T_EQ(at_ask(AGENT_CHARGE_POSIX, *gen, -1, NULL, &v), 0);
	T_ASSERT(v > 8 * 1024 && v < 12 * 1024);
}

T_CASE(agent_tells_only_the_askers_charge)
{
	struct step st = { &at_umq, "/first", 12 * 1024, 0 };
	uint64_t *gen = t_shared(sizeof(*gen)), v = 0;
	pid_t agent, pid;

	run(&st, "creation (real uid R, fs uid F)");
	*gen = at_gen_of("first");
	agent = at_start();
	/* Root is not R: nothing. */
	T_EQ(at_ask(AGENT_CHARGE_POSIX, *gen, -1, NULL, &v), 0);
	T_EQ(v, 0);
	/* F owns the file but is not the real uid charged: nothing. */
	pid = t_spawn_alarm(ask_as_f, gen, 30);
	t_exited_ok(pid, t_reap(pid, 30000), "asking as F");
	pid = t_spawn_alarm(ask_as_r, gen, 30);
	t_exited_ok(pid, t_reap(pid, 30000), "asking as R");
	T_EQ(at_ask(AGENT_CHARGE_POSIX, *gen + 1, -1, NULL, &v), -ENOENT);
	at_stop(agent);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
