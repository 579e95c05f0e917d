/* SPDX-License-Identifier: MIT */
/* pt.c - see pt.h. */
#include "pt.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UNDER "PT_UNDER_PRELOAD"

bool pt_in_preload(const void *addr)
{
	Dl_info i;

	return addr && dladdr(addr, &i) && i.dli_fname &&
	       strstr(i.dli_fname, "libumq-preload.so");
}

bool pt_bound(const void *addr)
{
	Dl_info i;

	if (pt_in_preload(addr))
		return true;
	return strstr(PT_LD_PRELOAD, "libasan") && dladdr(addr, &i) &&
	       i.dli_fname && strstr(i.dli_fname, "libasan");
}

void pt_reexec(int argc, char **argv)
{
	(void)argc;
	if (!getenv(UNDER)) {
		setenv(UNDER, "1", 1);
		setenv("LD_PRELOAD", PT_LD_PRELOAD, 1);
		execv("/proc/self/exe", argv);
		printf("not ok - exec under the preload: %s\n", strerror(errno));
		exit(T_EXIT_FAIL);
	}
	if (!pt_in_preload(dlsym(RTLD_DEFAULT, "msgget"))) {
		printf("not ok - %s is not loaded\n", PT_PRELOAD);
		exit(T_EXIT_FAIL);
	}
	/* What this program runs, pt_run() decides. */
	unsetenv(UNDER);
	unsetenv("LD_PRELOAD");
}

void *pt_libc(const char *name)
{
	static void *libc;
	void *f;

	if (!libc)
		libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	f = libc ? dlsym(libc, name) : NULL;
	if (!f)
		T_FAIL("no %s in libc", name);
	return f;
}

static char trace[2][32768];
static size_t tlen[2];
static int side;

void pt_side(int s)
{
	side = s;
	tlen[side] = 0;
	trace[side][0] = 0;
}

void pt_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tlen[side] += (size_t)vsnprintf(trace[side] + tlen[side],
					sizeof(trace[0]) - tlen[side], fmt, ap);
	va_end(ap);
	if (tlen[side] >= sizeof(trace[0]))
		T_FAIL("trace too long");
}

void pt_compare(void)
{
	if (strcmp(trace[0], trace[1]))
		T_FAIL("traces differ\n--- kernel:\n%s--- umq:\n%s",
		       trace[0], trace[1]);
}

bool pt_have(const char *file)
{
	return access(file, X_OK) == 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int pt_run(bool preload, char *const argv[], char *out, size_t n)
{
	int p[2], st;
	size_t got = 0;
	double deadline = now() + 60;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		T_FAIL("pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (!pid) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		setenv("UMQ_DIR", t_umq_dir(), 1);
		if (preload) {
			setenv("LD_PRELOAD", PT_LD_PRELOAD, 1);
			/* An interpreter's exit leaks are not ours to judge. */
			setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		} else {
			unsetenv("LD_PRELOAD");
		}
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		double left = deadline - now();
		ssize_t r;

		if (left <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(p[0]);
			T_FAIL("%s: no end in 60 s; output: %.*s", argv[0],
			       (int)got, out);
		}
		if (poll(&pf, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		char buf[4096];
		r = read(p[0], buf, sizeof(buf));
		if (r <= 0)
			break;
		if (got + 1 < n) {
			size_t k = (size_t)r < n - 1 - got ? (size_t)r :
							      n - 1 - got;
			memcpy(out + got, buf, k);
			got += k;
		}
	}
	out[got] = 0;
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			T_FAIL("waitpid: %s", strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
