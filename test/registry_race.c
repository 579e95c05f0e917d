/* SPDX-License-Identifier: MIT */
/*
 * registry_race.c - the System V registry (sysv/, LOCKING L1) under
 * processes racing on one key or one id.  What the kernel guarantees, and
 * umq must too:
 *
 *  - stale_key_one_excl_winner: of creators racing with IPC_CREAT |
 *    IPC_EXCL on a key whose entry is stale (it names no live queue),
 *    exactly one succeeds, and the key then names its queue.  A creator
 *    that removed the stale entry by name after another had already
 *    replaced it took that one's live entry away: two queues had the key.
 *  - rmid_vs_excl_create: one process removes the key's queue while
 *    others create with the key: at most one creation succeeds, and
 *    never two live queues have the key.
 *  - rmid_rmid_einval: of processes racing IPC_RMID on one id, one
 *    succeeds and the others get EINVAL (the kernel serializes them),
 *    never EIDRM.
 *
 * Processes are really forked, start together on a shared flag, and are
 * waited for under a deadline.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "umq.h"

#define NPROC	4

struct arena {
	volatile int go;
	volatile int ready;
	int ret[NPROC];
	int err[NPROC];
};

static struct arena *a;

/* Wait for every child, each under the deadline; fail on a hang. */
static void reap_all(const pid_t *pid, int n)
{
	for (int i = 0; i < n; i++) {
		int st = t_wait_child(pid[i], 0, 20000);

		if (st == -1) {
			for (int j = i; j < n; j++)
				kill(pid[j], SIGKILL);
			for (int j = i; j < n; j++)
				t_waitpid(pid[j]);
			T_FAIL("child %d still runs after 20 s", i);
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			T_FAIL("child %d ended with status %#x", i, st);
	}
}

static void start(void)
{
	__atomic_add_fetch(&a->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&a->go, __ATOMIC_ACQUIRE))
		;
}

/* Run fn(i) in n children started at once; their results in a. */
static void race(int n, int (*fn)(int i, void *arg), void *arg)
{
	pid_t pid[NPROC];

	memset(a, 0, sizeof(*a));
	for (int i = 0; i < n; i++) {
		fflush(NULL);
		pid[i] = fork();
		if (pid[i] == 0) {
			alarm(20);
			start();
			errno = 0;
			a->ret[i] = fn(i, arg);
			a->err[i] = errno;
			_exit(0);
		}
	}
	while (__atomic_load_n(&a->ready, __ATOMIC_ACQUIRE) < n)
		usleep(100);
	__atomic_store_n(&a->go, 1, __ATOMIC_RELEASE);
	reap_all(pid, n);
}

/* The live queues with key, by MSG_STAT_ANY over every index. */
static int with_key(key_t key, int *ids, int max)
{
	struct msqid_ds ds;
	struct msginfo mi;
	int top = (int)T_OK(umq_msgctl(0, MSG_INFO, (struct msqid_ds *)&mi));
	int n = 0;

	for (int i = 0; i <= top; i++) {
		int id = umq_msgctl(i, MSG_STAT_ANY, &ds);
		if (id >= 0 && ds.msg_perm.__key == key && n < max)
			ids[n++] = id;
	}
	return n;
}

static int excl_create(int i, void *arg)
{
	return umq_msgget(*(key_t *)arg, IPC_CREAT | IPC_EXCL | 0600);
}

/*
 * How many of the round's creators, children from on, succeeded (the
 * others must have met EEXIST); *live: how many live queues have key,
 * every one removed now.
 */
static int creators_won(int round, int from, key_t key, int *live)
{
	int ids[8], won = 0;

	for (int i = from; i < NPROC; i++) {
		if (a->ret[i] >= 0)
			won++;
		else if (a->err[i] != EEXIST)
			T_FAIL("round %d: msgget: %s", round,
			       strerrorname_np(a->err[i]) ?: "?");
	}
	*live = with_key(key, ids, 8);
	for (int i = 0; i < *live; i++)
		umq_msgctl(ids[i], IPC_RMID, NULL);
	return won;
}

/* A key entry that names nothing: what a crashed creator or a remover
 * who may not delete it leaves (DESIGN §1). */
static void stale_key_entry(key_t key, int round)
{
	char path[512], target[64];

	snprintf(path, sizeof(path), "%s/sysv/k.%08x", t_umq_dir(),
		 (unsigned)key);
	snprintf(target, sizeof(target), "%016llx:%d",
		 0x1000000000000ull + (unsigned long long)round, 30000);
	if (symlink(target, path))
		T_FAIL("symlink %s: %s", path, strerror(errno));
}

T_CASE(stale_key_one_excl_winner)
{
	a = t_shared(sizeof(*a));
	for (int round = 0; round < 300; round++) {
		key_t key = 0x5100 + round;
		int won, n;

		stale_key_entry(key, round);
		race(NPROC, excl_create, &key);
		won = creators_won(round, 0, key, &n);
		if (won != 1 || n != 1)
			T_FAIL("round %d: %d creators succeeded, %d live queues "
			       "have the key", round, won, n);
	}
}

static int rmid_or_create(int i, void *arg)
{
	int *ctx = arg;

	if (i == 0)
		return umq_msgctl(ctx[1], IPC_RMID, NULL);
	return umq_msgget(ctx[0], IPC_CREAT | IPC_EXCL | 0600);
}

T_CASE(rmid_vs_excl_create)
{
	a = t_shared(sizeof(*a));
	for (int round = 0; round < 300; round++) {
		int ctx[2], won, n;

		ctx[0] = 0x5200 + round;
		ctx[1] = (int)T_OK(umq_msgget(ctx[0], IPC_CREAT | 0600));
		race(NPROC, rmid_or_create, ctx);
		if (a->ret[0])
			T_FAIL("round %d: IPC_RMID: %s", round,
			       strerrorname_np(a->err[0]) ?: "?");
		won = creators_won(round, 1, ctx[0], &n);
		if (won > 1 || n != won)
			T_FAIL("round %d: %d creators succeeded, %d live queues "
			       "have the key", round, won, n);
	}
}

static int rmid(int i, void *arg)
{
	return umq_msgctl(*(int *)arg, IPC_RMID, NULL);
}

T_CASE(rmid_rmid_einval)
{
	a = t_shared(sizeof(*a));
	for (int round = 0; round < 300; round++) {
		int id = (int)T_OK(umq_msgget(IPC_PRIVATE, 0600)), ok = 0;

		race(NPROC, rmid, &id);
		for (int i = 0; i < NPROC; i++) {
			if (a->ret[i] == 0)
				ok++;
			else if (a->err[i] != EINVAL)
				T_FAIL("round %d: IPC_RMID of a removed id: %s "
				       "(the kernel's EINVAL)", round,
				       strerrorname_np(a->err[i]) ?: "?");
		}
		if (ok != 1)
			T_FAIL("round %d: %d removals succeeded", round, ok);
	}
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
