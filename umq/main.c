/* SPDX-License-Identifier: MIT */
/*
 * main.c - the umq tool: `umq <command> [options]`, one file per command.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "umq.h"
#include "cmd.h"

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} cmds[] = {
	{ "run", umq_cmd_run, "run a program with its message queues on umq" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static int usage(FILE *out)
{
	fputs("Usage:\n"
	      " umq <command> [options] [arguments]\n"
	      "\n"
	      "Linux message queues (System V and POSIX) in user space.\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(out, " %-10s %s\n", cmds[i].name, cmds[i].summary);
	fputs("\n"
	      "Options:\n"
	      " -h, --help     display this help\n"
	      " -V, --version  display version\n"
	      "\n"
	      "Run 'umq <command> --help' for the options of a command.\n",
	      out);
	return 0;
}

int umq_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("umq: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "\nTry 'umq %s --help' for more information.\n",
			cmd);
	else
		fputs("\nTry 'umq --help' for more information.\n", stderr);
	return UMQ_EXIT_USAGE;
}

int umq_bad_option(const char *cmd, char **argv, int opt)
{
	extern int optind, optopt;
	const char *arg = argv[optind - 1];

	if (opt == ':') {
		if (!strncmp(arg, "--", 2))
			return umq_usage_error(cmd, "option '%s' requires an "
					       "argument", arg);
		return umq_usage_error(cmd, "option requires an argument "
				       "-- '%c'", optopt);
	}
	if (optopt)
		return umq_usage_error(cmd, "invalid option -- '%c'", optopt);
	return umq_usage_error(cmd, "unrecognized option '%s'", arg);
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;

	if (!name)
		return umq_usage_error(NULL, "no command specified");
	if (!strcmp(name, "-h") || !strcmp(name, "--help"))
		return usage(stdout);
	if (!strcmp(name, "-V") || !strcmp(name, "--version")) {
		printf("umq %d.%d\n", UMQ_VERSION_MAJOR, UMQ_VERSION_MINOR);
		return 0;
	}
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(name, cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	if (name[0] == '-')
		return umq_usage_error(NULL, "unrecognized option '%s'", name);
	return umq_usage_error(NULL, "unknown command '%s'", name);
}
