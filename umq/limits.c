/* SPDX-License-Identifier: MIT */
/*
 * limits.c - `umq limits`: the namespace's limits beside the host
 * kernel's sysctls of the same meaning, and `--set NAME=VALUE` to change
 * them (the namespace's owner only, within the kernel's sysctl ranges).
 * All the changes of one call are made at once, or none.
 */
#include "cmd.h"
#include "table.h"
#include "util.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { OPT_SET = 0x101, OPT_NOHEAD, OPT_JSON };

static const struct limit {
	const char *name;
	const char *sysctl;		/* under /proc/sys/ */
	size_t off;
	long min, max;			/* the kernel's sysctl range */
} limits[] = {
	{ "msgmax", "kernel/msgmax", offsetof(struct umq_limits, msgmax),
	  0, INT_MAX },
	{ "msgmnb", "kernel/msgmnb", offsetof(struct umq_limits, msgmnb),
	  0, INT_MAX },
	{ "msgmni", "kernel/msgmni", offsetof(struct umq_limits, msgmni),
	  0, 32768 },
	{ "msg_max", "fs/mqueue/msg_max", offsetof(struct umq_limits, msg_max),
	  1, 65536 },
	{ "msgsize_max", "fs/mqueue/msgsize_max",
	  offsetof(struct umq_limits, msgsize_max), 128, 16777216 },
	{ "msg_default", "fs/mqueue/msg_default",
	  offsetof(struct umq_limits, msg_default), 1, 65536 },
	{ "msgsize_default", "fs/mqueue/msgsize_default",
	  offsetof(struct umq_limits, msgsize_default), 128, 16777216 },
	{ "queues_max", "fs/mqueue/queues_max",
	  offsetof(struct umq_limits, queues_max), INT_MIN, INT_MAX },
};
#define NLIMITS (sizeof(limits) / sizeof(limits[0]))

static long *field(struct umq_limits *l, size_t i)
{
	return (long *)((char *)l + limits[i].off);
}

__attribute__((noreturn)) static void usage(void)
{
	printf("\nUsage:\n %s [--dir DIR] [--set NAME=VALUE]... [options]\n\n"
	       "Show the limits of a umq namespace beside the host kernel's,\n"
	       "or change them (the namespace's owner only).\n\n"
	       "Options:\n"
	       "     --set NAME=VALUE   change a limit (NAME as shown, or the\n"
	       "                        sysctl's: kernel.msgmax, fs.mqueue.msg_max)\n"
	       " -J, --json             use the JSON output format\n"
	       " -r, --raw              display in raw mode\n"
	       "     --noheadings       don't print headings\n"
	       "     --dir <dir>        the namespace (default $UMQ_DIR, else\n"
	       "                        /dev/shm/umq)\n"
	       " -h, --help             display this help\n",
	       program_invocation_short_name);
	exit(EXIT_SUCCESS);
}

/* The index of a limit by its name or its sysctl's, or -1. */
static int find(const char *name, size_t len)
{
	for (size_t i = 0; i < NLIMITS; i++) {
		const char *s = limits[i].sysctl;
		char dotted[64];
		size_t n;

		if (strlen(limits[i].name) == len &&
		    !strncmp(name, limits[i].name, len))
			return (int)i;
		n = strlen(s);
		for (size_t k = 0; k <= n && k < sizeof(dotted); k++)
			dotted[k] = s[k] == '/' ? '.' : s[k];
		if (n == len && (!strncmp(name, s, len) ||
				 !strncmp(name, dotted, len)))
			return (int)i;
	}
	return -1;
}

static int host_value(size_t i, long *v)
{
	char path[128], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/%s", limits[i].sysctl);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	*v = strtol(buf, NULL, 10);
	return 0;
}

static int show(enum tb_mode mode, bool noheadings)
{
	struct umq_limits lim;
	struct table *tb = tb_new();
	long host;

	if (umq_ns_get_limits(&lim))
		err(EXIT_FAILURE, "cannot read the limits");
	tb_set_name(tb, "limits");
	tb_add_column(tb, "NAME", 0);
	tb_add_column(tb, "NAMESPACE", TB_RIGHT);
	tb_add_column(tb, "HOST", TB_RIGHT);
	tb_add_column(tb, "SYSCTL", 0);
	for (size_t i = 0; i < NLIMITS; i++) {
		tb_add_row(tb);
		tb_set(tb, 0, xstrdup(limits[i].name));
		tb_setf(tb, 1, "%ld", *field(&lim, i));
		if (!host_value(i, &host))
			tb_setf(tb, 2, "%ld", host);
		tb_setf(tb, 3, "/proc/sys/%s", limits[i].sysctl);
	}
	tb_print(tb, stdout, mode, noheadings);
	tb_free(tb);
	return EXIT_SUCCESS;
}

static int set(char **sets, int n)
{
	struct umq_limits lim;
	struct stat st;
	const char *dir;

	if (umq_ns_get_limits(&lim))
		err(EXIT_FAILURE, "cannot read the limits");
	/* Every value is checked before anything changes. */
	for (int k = 0; k < n; k++) {
		char *eq = strchr(sets[k], '='), *end = NULL;
		int i = eq ? find(sets[k], (size_t)(eq - sets[k])) : -1;
		long v;

		if (!eq)
			errx(EXIT_FAILURE, "%s: expected NAME=VALUE", sets[k]);
		if (i < 0)
			errx(EXIT_FAILURE, "unknown limit: %.*s",
			     (int)(eq - sets[k]), sets[k]);
		errno = 0;
		v = strtol(eq + 1, &end, 10);
		if (errno || end == eq + 1 || *end)
			errx(EXIT_FAILURE, "failed to parse %s: '%s'",
			     limits[i].name, eq + 1);
		if (v < limits[i].min || v > limits[i].max)
			errx(EXIT_FAILURE, "%s: %ld is out of range (%ld..%ld)",
			     limits[i].name, v, limits[i].min, limits[i].max);
		*field(&lim, (size_t)i) = v;
	}
	if (umq_ns_set_limits(&lim)) {
		dir = umq_ns_path();
		if (errno == EPERM && dir && !stat(dir, &st))
			errx(EXIT_FAILURE, "cannot change the limits of %s: "
			     "only its owner (uid %u) may", dir, st.st_uid);
		err(EXIT_FAILURE, "cannot change the limits of %s",
		    dir ? dir : "the namespace");
	}
	for (int k = 0; k < n; k++) {
		char *eq = strchr(sets[k], '=');
		int i = find(sets[k], (size_t)(eq - sets[k]));

		printf("%s = %ld\n", limits[i].name, *field(&lim, (size_t)i));
	}
	return EXIT_SUCCESS;
}

int umq_cmd_limits(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "set", required_argument, NULL, OPT_SET },
		{ "json", no_argument, NULL, 'J' },
		{ "raw", no_argument, NULL, 'r' },
		{ "noheadings", no_argument, NULL, OPT_NOHEAD },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL;
	char **sets = calloc((size_t)argc + 1, sizeof(char *));
	enum tb_mode mode = TB_NORMAL;
	bool noheadings = false;
	int opt, nsets = 0, r;

	tool_start(argv);

	if (!sets)
		err(EXIT_FAILURE, "cannot allocate memory");
	while ((opt = getopt_long(argc, argv, "Jrh", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_SET: sets[nsets++] = optarg; break;
		case 'J': mode = TB_JSON; break;
		case 'r': mode = TB_RAW; break;
		case OPT_NOHEAD: noheadings = true; break;
		case OPT_DIR: dir = optarg; break;
		case 'h': usage();
		default: try_help(EXIT_FAILURE);
		}
	}
	if (optind < argc) {
		warnx("unknown argument: %s", argv[optind]);
		try_help(EXIT_FAILURE);
	}
	tool_ns(dir, nsets > 0);
	r = nsets ? set(sets, nsets) : show(mode, noheadings);
	free(sets);
	return r;
}
