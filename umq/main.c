/* SPDX-License-Identifier: MIT */
/*
 * main.c - `umq SUBCOMMAND [ARGS]`: find the subcommand in the table and
 * run it, under the name "umq SUBCOMMAND" (in its messages, as util-linux
 * tools use their own name).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "util.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "ipcs", umq_cmd_ipcs, "show System V queues, as util-linux ipcs -q" },
	{ "lsipc", umq_cmd_lsipc, "list queues, as util-linux lsipc -q / -Q" },
	{ "ipcmk", umq_cmd_ipcmk, "create a queue, as util-linux ipcmk" },
	{ "ipcrm", umq_cmd_ipcrm, "remove queues, as util-linux ipcrm" },
	{ "cat", umq_cmd_cat, "the kernel's files: sysvipc, mqueue [/NAME]" },
	{ "limits", umq_cmd_limits, "show or set the namespace's limits" },
};

static void usage(FILE *out)
{
	fputs("Usage:\n umq <command> [--dir DIR] [options]\n\n"
	      "Operate the message queues of a umq namespace: DIR, else\n"
	      "$UMQ_DIR, else /dev/shm/umq.\n\nCommands:\n", out);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(out, " %-8s %s\n", cmds[i].name, cmds[i].help);
	fputs("\nRun 'umq <command> --help' for its options.\n", out);
}

int main(int argc, char **argv)
{
	static char name[64];

	tool_init();
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("umq %d.%d\n", UMQ_VERSION_MAJOR, UMQ_VERSION_MINOR);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		snprintf(name, sizeof(name), "umq %s", cmds[i].name);
		program_invocation_short_name = name;
		program_invocation_name = name;
		argv[1] = name;
		return cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "umq: unknown command '%s'\n"
		"Try 'umq --help' for more information.\n", argv[1]);
	return 1;
}
