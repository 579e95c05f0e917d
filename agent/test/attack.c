/* SPDX-License-Identifier: MIT */
/*
 * attack.c - what users of a namespace must not get from its agent, a
 * root process (DESIGN §6, the threat model): each case is one way in,
 * tried as the users the table names, with the OS checking the outcome
 * (a file opened by hand, a mode, an answer in time).
 */
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "at.h"
#include "internal.h"
#include "t.h"
#include "umq.h"

#define CREATOR	2001	/* and its group */
#define MEMBER	2003	/* in the creator's group; the namespace owner */
#define OTHER	2005
#define KEY	0x6e760002

/* ---- The namespace owner: renames, and the agent's socket --------------- */

/* The namespace as MEMBER would own it, had it made it: the directory,
 * its sticky subdirectories and its files. */
static void give_namespace(uid_t uid)
{
	static const char *const sub[] = { "", "/sysv", "/posix", "/names",
					   "/ns", "/limits" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", t_umq_dir(), sub[i]);
		if (lchown(path, uid, uid) && errno != ENOENT)
			T_FAIL("chown %s: %s", path, strerror(errno));
	}
}

static void swap_in_symlink(const char *target)
{
	char tmp[PATH_MAX], sock[PATH_MAX];
	char ev[4096] __attribute__((aligned(8)));
	int in = inotify_init1(IN_CLOEXEC);

	snprintf(tmp, sizeof(tmp), "%s/agent.tmp", t_umq_dir());
	snprintf(sock, sizeof(sock), "%s/agent", t_umq_dir());
	if (in < 0 || inotify_add_watch(in, t_umq_dir(), IN_CREATE) < 0)
		_exit(T_EXIT_FAIL);
	for (;;) {
		if (symlink(target, tmp) && errno != EEXIST)
			_exit(T_EXIT_FAIL);
		/* The agent's bind made its socket: in its place at once. */
		ssize_t n = read(in, ev, sizeof(ev));
		for (ssize_t o = 0; o < n;) {
			const struct inotify_event *e = (void *)(ev + o);

			if (e->len && !strcmp(e->name, "agent"))
				rename(tmp, sock);
			o += (ssize_t)(sizeof(*e) + e->len);
		}
	}
}

/* One start of the agent, stopped after ms. */
static void agent_flash(int ms)
{
	pid_t pid = at_spawn_quiet();

	t_msleep(ms);
	kill(pid, SIGTERM);
	t_reap(pid, 5000);
}

#define FLASHES 300

T_CASE(agent_start_chmods_nothing_of_the_namespace_owners)
{
	char target[PATH_MAX];
	struct stat st;
	pid_t swapper;
	int i;

	snprintf(target, sizeof(target), "%s/roots", t_umq_dir());
	close(T_OK(open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)));
	give_namespace(MEMBER);
	swapper = fork();
	if (swapper == 0) {
		alarm(60);
		if (setgid(MEMBER) || setuid(MEMBER))
			_exit(T_EXIT_SKIP);
		swap_in_symlink(target);
	}
	T_ASSERT(swapper > 0);
	for (i = 0; i < FLASHES; i++) {
		agent_flash(3);
		T_OK(stat(target, &st));
		if ((st.st_mode & 0777) != 0600)
			break;
	}
	kill(swapper, SIGKILL);
	t_reap(swapper, 5000);
	if (i < FLASHES)
		T_FAIL("root's file made %04o at the agent's start %d",
		       st.st_mode & 0777, i + 1);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
