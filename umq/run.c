/* SPDX-License-Identifier: MIT */
/*
 * run.c - `umq run [--dir DIR] [--] PROGRAM ARGS...`: execute PROGRAM with
 * libumq-preload.so first in LD_PRELOAD and UMQ_DIR naming the namespace,
 * so that an unmodified program's message queues are umq's.
 *
 * The library is the one next to this executable (the build tree: build/umq
 * beside build/libumq-preload.so), else the installed one in UMQ_LIBDIR:
 * a build tree's tool uses its own library, an installed tool the
 * installed one.
 */
#include <errno.h>
#include <getopt.h>
#include <link.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "umq.h"
#include "cmd.h"

#ifndef UMQ_LIBDIR
#define UMQ_LIBDIR "/usr/local/lib"
#endif
#define PRELOAD_NAME "libumq-preload.so"

/* env(1)'s statuses for a program that cannot be run. */
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

/* "umq run: <message>", and the --help hint for a usage error. */
__attribute__((format(printf, 2, 3)))
static int fail(bool usage_error, const char *fmt, ...)
{
	va_list ap;

	fputs("umq run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (usage_error)
		fputs("Try 'umq run --help' for more information.\n", stderr);
	return 1;
}

static int usage(void)
{
	fputs("Usage:\n"
	      " umq run [options] [--] <program> [<argument>...]\n"
	      "\n"
	      "Run a program with its System V and POSIX message queues on umq:\n"
	      "put " PRELOAD_NAME " first in LD_PRELOAD and set UMQ_DIR.\n"
	      "\n"
	      "Options:\n"
	      " -d, --dir <dir>  the namespace directory (default: $UMQ_DIR,\n"
	      "                  else " UMQ_DEFAULT_DIR ")\n"
	      " -h, --help       display this help\n"
	      "\n"
	      "The library is looked for next to the umq executable, then in\n"
	      UMQ_LIBDIR ".  Statically linked programs and set-user-ID\n"
	      "programs are not affected.\n"
	      "\n"
	      "Exit status: the program's; 126 if it cannot be executed, 127\n"
	      "if it is not found, 1 if umq itself fails.\n", stdout);
	return 0;
}

/* Into buf: dir/name if that file is readable. */
static int look_in(char *buf, size_t len, const char *dir)
{
	if ((size_t)snprintf(buf, len, "%s/%s", dir, PRELOAD_NAME) >= len)
		return -1;
	return access(buf, R_OK);
}

static int find_preload(char *buf, size_t len)
{
	char self[PATH_MAX], *slash = NULL;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int e = errno;

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
	}
	if (slash) {
		*slash = '\0';
		if (!look_in(buf, len, self))
			return 0;
	}
	if (!look_in(buf, len, UMQ_LIBDIR))
		return 0;
	if (slash)
		return fail(false, "cannot find " PRELOAD_NAME " (looked in "
			    "%s and " UMQ_LIBDIR ")", self);
	/* Without /proc, where umq is is not known: say so. */
	return fail(false, "cannot find " PRELOAD_NAME " in " UMQ_LIBDIR
		    " (nor beside umq: /proc/self/exe: %s)",
		    n < 0 ? strerror(e) : "not a path");
}

/*
 * A sanitized build (make SAN=1) has a sanitized preload library beside
 * it, which loads only after the ASan runtime: put the runtime this
 * process was linked with first.  Nothing of this in other builds.
 */
#ifdef __SANITIZE_ADDRESS__
static int find_asan(struct dl_phdr_info *info, size_t size, void *out)
{
	(void)size;
	if (!strstr(info->dlpi_name, "/libasan.so"))
		return 0;
	*(const char **)out = info->dlpi_name;
	return 1;
}

static const char *asan_runtime(void)
{
	const char *path = NULL;

	dl_iterate_phdr(find_asan, &path);
	return path;
}
#else
static const char *asan_runtime(void)
{
	return NULL;
}
#endif

/* dir made absolute, so that a program that changes directory keeps it. */
static char *absolute(const char *dir)
{
	char cwd[PATH_MAX], *out;

	if (dir[0] == '/')
		return strdup(dir);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&out, "%s/%s", cwd, dir) < 0)
		return NULL;
	return out;
}

int umq_cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char lib[PATH_MAX], *dir, *preload;
	const char *d = NULL, *old, *asan;
	int c;

	argv[0] = "umq run";		/* for getopt's messages */
	while ((c = getopt_long(argc, argv, "+d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			d = optarg;
			break;
		case 'h':
			return usage();
		default:
			fputs("Try 'umq run --help' for more information.\n",
			      stderr);
			return 1;
		}
	}
	if (optind >= argc)
		return fail(true, "no program specified");
	if (d && !*d)
		return fail(true, "empty namespace directory");
	if (!d) {
		d = getenv("UMQ_DIR");
		if (!d || !*d)
			d = UMQ_DEFAULT_DIR;
	}

	if (find_preload(lib, sizeof(lib)))
		return 1;
	/* ld.so splits LD_PRELOAD at spaces and colons. */
	if (strpbrk(lib, " :"))
		return fail(false, "cannot preload %s: its path has a space or "
			    "a colon", lib);
	old = getenv("LD_PRELOAD");
	asan = asan_runtime();
	dir = absolute(d);
	if (!dir || asprintf(&preload, "%s%s%s%s%s", asan ? asan : "",
			     asan ? ":" : "", lib, old && *old ? ":" : "",
			     old && *old ? old : "") < 0)
		return fail(false, "%s", strerror(errno));
	c = setenv("UMQ_DIR", dir, 1) || setenv("LD_PRELOAD", preload, 1);
	free(dir);
	free(preload);
	if (c)
		return fail(false, "%s", strerror(errno));

	execvp(argv[optind], &argv[optind]);
	c = errno;
	fail(false, "failed to execute %s: %s", argv[optind], strerror(c));
	return c == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
}
