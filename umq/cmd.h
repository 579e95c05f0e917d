/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - the subcommands of the umq tool, one file each.
 *
 * A subcommand is `int umq_cmd_<name>(int argc, char **argv)`, called with
 * argv[0] = its name; it returns the tool's exit status.  Conventions, as
 * in util-linux: messages are "umq: ...", 0 is success, 1 a failure or a
 * usage error (with the "Try 'umq <name> --help'" hint); `--help` prints
 * to stdout and exits 0.
 */
#ifndef UMQ_CMD_H
#define UMQ_CMD_H

#include <stdio.h>

#define UMQ_EXIT_USAGE 1

int umq_cmd_run(int argc, char **argv);

/* "umq: <message>" and the --help hint for cmd; returns UMQ_EXIT_USAGE. */
__attribute__((format(printf, 2, 3)))
int umq_usage_error(const char *cmd, const char *fmt, ...);

/* The message getopt would print for argv[optind - 1] (with opterr = 0). */
int umq_bad_option(const char *cmd, char **argv, int opt);

#endif
