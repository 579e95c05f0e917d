/* SPDX-License-Identifier: MIT */
/* t.c - see t.h. */
#include "t.h"

#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <time.h>

#include "umq.h"

#define T_MAX 512

static struct { const char *name; t_fn fn; int flags; } cases[T_MAX];
static int ncases;
static int in_kernel_ns;
static char umq_dir[256];

void t_register(const char *name, t_fn fn, int flags)
{
	if (ncases == T_MAX)
		abort();
	cases[ncases].name = name;
	cases[ncases].fn = fn;
	cases[ncases].flags = flags;
	ncases++;
}

void t_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(NULL);
	_exit(T_EXIT_FAIL);
}

void t_skip(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "#   skipped: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(NULL);
	_exit(T_EXIT_SKIP);
}

void t_note(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "#   ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int t_kernel_ns(void) { return in_kernel_ns; }
const char *t_umq_dir(void) { return umq_dir; }

int t_sysctl_write(const char *path, long value)
{
	char buf[32];
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	int n = snprintf(buf, sizeof(buf), "%ld\n", value);
	int r = write(fd, buf, n) == n ? 0 : -1;
	close(fd);
	return r;
}

long t_sysctl_read(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atol(buf) : -1;
}

int t_have_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d))
		return 0;
	return !!(d[cap / 32].effective & (1u << (cap % 32)));
}

int t_as_user(uid_t uid, gid_t gid, void (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	if (pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
		    setresuid(uid, uid, uid)) {
			fprintf(stderr, "#   cannot become %d:%d: %s\n",
				(int)uid, (int)gid, strerror(errno));
			_exit(T_EXIT_SKIP);
		}
		fn(arg);
		_exit(T_EXIT_PASS);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	fprintf(stderr, "#   child killed by signal %d\n", WTERMSIG(st));
	return T_EXIT_FAIL;
}

int t_wait_sleeping(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 5000; i++) {
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			return -1;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			char *p = strrchr(buf, ')');
			if (p && p[1] == ' ' && p[2] == 'S')
				return 0;
		}
		t_msleep(1);
	}
	return -1;
}

int t_k_msgget(key_t key, int flg)
{
	return (int)syscall(SYS_msgget, key, flg);
}

int t_k_msgsnd(int id, const void *p, size_t n, int flg)
{
	return (int)syscall(SYS_msgsnd, id, p, n, flg);
}

ssize_t t_k_msgrcv(int id, void *p, size_t n, long type, int flg)
{
	return syscall(SYS_msgrcv, id, p, n, type, flg);
}

int t_k_msgctl(int id, int cmd, struct msqid_ds *buf)
{
	return (int)syscall(SYS_msgctl, id, cmd, buf);
}

void t_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void t_both(size_t n, const char *(*name)(size_t i), bool (*kernel)(size_t i),
	    void (*run)(size_t i))
{
	int failed = 0, passed = 0;

	for (size_t i = 0; i < n; i++) {
		int st;

		if (kernel(i) && !t_kernel_ns()) {
			t_note("%s half skipped: no private IPC namespace",
			       name(i));
			continue;
		}
		fflush(NULL);
		pid_t pid = fork();
		if (pid < 0)
			T_FAIL("fork: %s", strerror(errno));
		if (pid == 0) {
			if (t_kernel_ns() && unshare(CLONE_NEWIPC))
				T_FAIL("unshare: %s", strerror(errno));
			run(i);
			fflush(NULL);
			_exit(T_EXIT_PASS);
		}
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR)
				T_FAIL("waitpid: %s", strerror(errno));
		if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_PASS) {
			passed++;
		} else if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_SKIP) {
			t_note("%s half skipped", name(i));
		} else {
			if (WIFSIGNALED(st))
				t_note("killed by signal %d", WTERMSIG(st));
			t_note("^ %s half failed", name(i));
			failed++;
		}
	}
	if (failed)
		T_FAIL("%d backend(s) failed", failed);
	if (!passed)
		t_skip("no backend ran the scenario");
}

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

static int run_case(int i)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return T_EXIT_FAIL;
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (!(cases[i].flags & T_NO_KERNEL_NS))
			in_kernel_ns = unshare(CLONE_NEWIPC) == 0;
		snprintf(umq_dir, sizeof(umq_dir), "/dev/shm/umq-t.%d.XXXXXX",
			 (int)getpid());
		if (!mkdtemp(umq_dir) || chmod(umq_dir, 01777)) {
			perror("# mkdtemp");
			_exit(T_EXIT_FAIL);
		}
		if (umq_ns_use(umq_dir)) {
			perror("# umq_ns_use");
			_exit(T_EXIT_FAIL);
		}
		alarm(60);
		cases[i].fn();
		fflush(NULL);
		_exit(T_EXIT_PASS);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL);	/* helpers the case left behind */
	/* The case's namespace directory, whatever state it is in. */
	char dir[64];
	snprintf(dir, sizeof(dir), "/dev/shm/umq-t.%d.", (int)pid);
	DIR *d = opendir("/dev/shm");
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strncmp(e->d_name, dir + 9, strlen(dir + 9))) {
				char p[300];
				snprintf(p, sizeof(p), "/dev/shm/%s", e->d_name);
				nftw(p, rm_one, 8, FTW_DEPTH | FTW_PHYS);
			}
		}
		closedir(d);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	fprintf(stderr, "#   killed by signal %d%s\n", WTERMSIG(st),
		WTERMSIG(st) == SIGALRM ? " (timeout)" : "");
	return T_EXIT_FAIL;
}

int t_main(int argc, char **argv)
{
	int failed = 0;
	for (int i = 0; i < ncases; i++) {
		if (argc > 1) {	/* run only the named cases */
			int want = 0;
			for (int a = 1; a < argc; a++)
				want |= !strcmp(argv[a], cases[i].name);
			if (!want)
				continue;
		}
		int r = run_case(i);
		if (r == T_EXIT_PASS)
			printf("ok - %s\n", cases[i].name);
		else if (r == T_EXIT_SKIP)
			printf("skip - %s\n", cases[i].name);
		else {
			printf("not ok - %s\n", cases[i].name);
			failed++;
		}
		fflush(stdout);
	}
	return failed ? T_EXIT_FAIL : T_EXIT_PASS;
}
