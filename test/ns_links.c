/* SPDX-License-Identifier: MIT */
/*
 * ns_links.c - a namespace's owner may put anything under any name in it,
 * at any time: root, or another user, working in that namespace writes
 * and removes only the namespace's own files (DESIGN §6).
 *
 * Until December 6 root's umq_ns_set_limits() (and umq_ns_remove()'s
 * "removed" mark) reopened limits by name, following a link the owner
 * put there, and wrote its record into any file root could write; and
 * umq_ns_remove() opened the subdirectories it empties by name, so an
 * owner who swapped one for a link to another directory had root empty
 * that directory.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"
#include "umq.h"

#define OWNER	65534
#define VICTIM	"ROOT'S FILE: never written by umq, 0123456789abcdefghijklmnop\n"
#define NFILES	20

struct links {
	char dir[200];		/* the owner's namespace */
	char victim[200];	/* root's file, or directory */
};

static struct links *L;

static void need_root(void)
{
	if (!t_have_cap(7 /* CAP_SETUID */))
		t_skip("needs root to be root and another user");
}

/* The namespace, its directory the owner's, made by the owner. */
static void owner_makes(void *arg)
{
	alarm(30);
	if (umq_ns_use(L->dir) || umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600) < 0)
		exit(T_EXIT_FAIL);
	exit(T_EXIT_PASS);
}

static void owner_ns(const char *name)
{
	snprintf(L->dir, sizeof(L->dir), "%s/%s", t_umq_dir(), name);
	T_OK(chmod(t_umq_dir(), 0755));
	T_OK(mkdir(L->dir, 01777));
	T_OK(chown(L->dir, OWNER, OWNER));
	T_EQ(t_as_user(OWNER, OWNER, owner_makes, NULL), T_EXIT_PASS);
}

static void victim_file(void)
{
	int fd;

	snprintf(L->victim, sizeof(L->victim), "%s/victim", t_umq_dir());
	fd = (int)T_OK(open(L->victim, O_WRONLY | O_CREAT | O_TRUNC, 0600));
	T_EQ(write(fd, VICTIM, strlen(VICTIM)), (ssize_t)strlen(VICTIM));
	close(fd);
}

static void victim_intact(void)
{
	char buf[256] = "";
	int fd = (int)T_OK(open(L->victim, O_RDONLY));
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	close(fd);
	if (n != (ssize_t)strlen(VICTIM) || memcmp(buf, VICTIM, n))
		T_FAIL("root's file was written: %.*s", (int)(n > 0 ? n : 0),
		       buf);
}

/* What the owner could do: a link of its own, renamed over the name. */
static void owner_link(const char *name, const char *target)
{
	char tmp[300], path[300];

	snprintf(tmp, sizeof(tmp), "%s/.swap", L->dir);
	snprintf(path, sizeof(path), "%s/%s", L->dir, name);
	T_OK(symlink(target, tmp));
	T_OK(lchown(tmp, OWNER, OWNER));
	T_OK(rename(tmp, path));
}

T_CASE_F(root_sets_no_limits_through_the_owners_link, T_NO_KERNEL_NS)
{
	struct umq_limits lim;

	need_root();
	L = t_shared(sizeof(*L));
	owner_ns("setlim");
	victim_file();
	/* Root uses the namespace: its limits are read, then the name
	 * leads elsewhere. */
	T_OK(umq_ns_use(L->dir));
	T_OK(umq_ns_get_limits(&lim));
	owner_link("limits", L->victim);
	lim.msgmax = 4242;
	T_ERR(umq_ns_set_limits(&lim), EPERM);
	victim_intact();
}

static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The owner, as fast as it can: names/ and a link to root's directory
 * trade places. */
static void owner_swaps(void *arg)
{
	char lnk[300], names[300];

	if (setgroups(0, NULL) || setresgid(OWNER, OWNER, OWNER) ||
	    setresuid(OWNER, OWNER, OWNER))
		exit(T_EXIT_FAIL);
	snprintf(lnk, sizeof(lnk), "%s/lnk", L->dir);
	snprintf(names, sizeof(names), "%s/names", L->dir);
	if (symlink(L->victim, lnk))
		exit(T_EXIT_FAIL);
	for (;;)
		renameat2(AT_FDCWD, lnk, AT_FDCWD, names, RENAME_EXCHANGE);
}

/* Racy by nature: before the fix, root emptied the directory within
 * the first three tries of every run the hunt made. */
T_CASE_F(root_removes_nothing_through_the_owners_links, T_NO_KERNEL_NS)
{
	char path[300];
	long end;
	int tries = 0;

	need_root();
	L = t_shared(sizeof(*L));
	snprintf(L->victim, sizeof(L->victim), "%s/victim.d", t_umq_dir());
	T_OK(mkdir(L->victim, 0700));
	for (int i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/f%d", L->victim, i);
		int fd = (int)T_OK(open(path, O_WRONLY | O_CREAT, 0600));

		close(fd);
	}
	end = t_now_ms() + 3000;
	do {
		char name[32];
		pid_t pid;

		snprintf(name, sizeof(name), "rm%d", tries);
		owner_ns(name);
		pid = t_spawn_alarm(owner_swaps, NULL, 30);
		t_msleep(5);
		umq_ns_remove(L->dir);	/* an error is fine; a write is not */
		kill(pid, SIGKILL);
		t_waitpid(pid);
		if (count_files(L->victim) != NFILES)
			T_FAIL("try %d: root's directory holds %d of its %d "
			       "files", tries, count_files(L->victim), NFILES);
	} while (++tries < 40 && t_now_ms() < end);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
