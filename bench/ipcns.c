/* SPDX-License-Identifier: MIT */
/*
 * ipcns.c - a section that needs the kernel's limits raised runs in a
 * child in a private IPC namespace (and, for POSIX, a private mount
 * namespace with its own mqueue mount), where the sysctls are written:
 * they are the namespace's own, so they vanish with it and the machine's
 * are never touched.  The child then drops to uid 65534, as the timed
 * sections do (or leaves that to fn, when drop is 0).  Without root the kernel's side is skipped, with the
 * reason.
 */
#include <sys/mount.h>
#include <sys/resource.h>

#include "bench.h"

static int write_sysctl(const char *path, long v, char *why, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f && fprintf(f, "%ld\n", v) > 0 && fclose(f) == 0)
		return 0;
	snprintf(why, len, "writing %ld to %s: %s", v, path, strerror(errno));
	if (f)
		fclose(f);
	return -1;
}

/* In the child: the namespace, its limits, then uid 65534. */
static int enter(int mq, const struct sysctl_set *set, char *why, size_t len)
{
	struct rlimit unl = { RLIM_INFINITY, RLIM_INFINITY };

	if (geteuid() != 0) {
		snprintf(why, len, "needs root (a private IPC namespace)");
		return -1;
	}
	if (unshare(CLONE_NEWIPC | (mq ? CLONE_NEWNS : 0))) {
		snprintf(why, len, "unshare: %s", strerror(errno));
		return -1;
	}
	/* only to see the queues: mq_open needs no mount */
	if (mq && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
		mount("mqueue", "/dev/mqueue", "mqueue", 0, NULL);
	for (; set && set->path; set++)
		if (write_sysctl(set->path, set->value, why, len))
			return -1;
	/* without CAP_SYS_RESOURCE this stays: the caller copes */
	if (mq)
		setrlimit(RLIMIT_MSGQUEUE, &unl);
	return 0;
}

void in_private_ipc(int mq, int drop, const struct sysctl_set *set,
		    void (*fn)(const char *kernel_why))
{
	char why[256] = "";
	int st, ok;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		child_start();
		ok = enter(mq, set, why, sizeof(why)) == 0;
		if (drop && geteuid() == 0 && drop_to_nobody())
			_exit(1);
		fn(ok ? NULL : why);
		remove_kernel_queues();
		fflush(NULL);
		_exit(be_kernel.failed || be_umq.failed || be_umq.broken ||
		      interrupted ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		be_umq.failed = 1;
}
