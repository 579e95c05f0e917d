/* SPDX-License-Identifier: MIT */
/*
 * main.c - the umq tool: `umq <command> [options]`, one file per command
 * (cmd.h).  A command gets argv[0] = its name.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "umq.h"
#include "cmd.h"
#include "util.h"

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} cmds[] = {
	{ "ipcs", umq_cmd_ipcs, "show System V queues, as ipcs -q" },
	{ "lsipc", umq_cmd_lsipc, "list queues, as lsipc -q / -Q" },
	{ "ipcmk", umq_cmd_ipcmk, "create a queue, as ipcmk" },
	{ "ipcrm", umq_cmd_ipcrm, "remove queues, as ipcrm" },
	{ "cat", umq_cmd_cat, "the kernel's files: sysvipc, mqueue [/NAME]" },
	{ "limits", umq_cmd_limits, "show or set the namespace's limits" },
	{ "peek", umq_cmd_peek, "show queued messages without removing them" },
	{ "send", umq_cmd_send, "send a message (standard input or argument)" },
	{ "recv", umq_cmd_recv, "receive messages to standard output" },
	{ "purge", umq_cmd_purge, "remove every queued message" },
	{ "top", umq_cmd_top, "every queue, live: depth, rates, waiters" },
	{ "metrics", umq_cmd_metrics, "counters for Prometheus (or --listen)" },
	{ "run", umq_cmd_run, "run a program with its message queues on umq" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/* `umq bridge` is umq-bridge (it needs libnats, umq does not), `umq
 * agent` umq-agent (it runs as root, umq need not): the one beside this
 * executable, else the first in PATH. */
static int helper(char **argv, const char *prog, const char *missing)
{
	char path[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", path, PATH_MAX);
	char *slash;

	argv[0] = (char *)prog;
	if (n > 0) {
		path[n] = '\0';
		if ((slash = strrchr(path, '/'))) {
			strcpy(slash + 1, prog);
			execv(path, argv);
		}
	}
	execvp(prog, argv);
	fprintf(stderr, "umq: %s not found%s\n", prog, missing);
	return 127;
}

static int usage(FILE *out)
{
	fputs("Usage:\n"
	      " umq <command> [--dir DIR] [options] [arguments]\n"
	      "\n"
	      "Linux message queues (System V and POSIX) in user space: the\n"
	      "queues of namespace DIR, else $UMQ_DIR, else /dev/shm/umq.\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(out, " %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(out, " %-10s %s\n", "bridge",
		"relay a queue to or from NATS JetStream (umq-bridge)");
	fprintf(out, " %-10s %s\n", "agent",
		"as root, keep queue files exact after IPC_SET (umq-agent)");
	fputs("\n"
	      "Options:\n"
	      " -h, --help     display this help\n"
	      " -V, --version  display version\n"
	      "\n"
	      "Run 'umq <command> --help' for the options of a command.\n",
	      out);
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;

	if (!name) {
		fputs("umq: no command specified\n"
		      "Try 'umq --help' for more information.\n", stderr);
		return 1;
	}
	if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
		close_stdout_atexit();	/* a write error is status 1 */
		return usage(stdout);
	}
	if (!strcmp(name, "-V") || !strcmp(name, "--version")) {
		close_stdout_atexit();
		print_version();
	}
	if (!strcmp(name, "bridge"))
		return helper(argv + 1, "umq-bridge", " (built only with "
			      "libnats-dev installed)");
	if (!strcmp(name, "agent"))
		return helper(argv + 1, "umq-agent", "");
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(name, cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "umq: %s '%s'\nTry 'umq --help' for more information.\n",
		name[0] == '-' ? "unrecognized option" : "unknown command",
		name);
	return 1;
}
