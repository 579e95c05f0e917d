/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - the subcommands of `umq`.  Each is `umq_cmd_<name>(argc, argv)`
 * in a file of its own, called by main.c with argv[0] = its name; it
 * returns the process's exit status.  As in util-linux, a command's
 * messages are "umq <name>: ...", an error is status 1, and a usage error
 * adds "Try 'umq <name> --help' for more information."
 */
#ifndef UMQ_CMD_H
#define UMQ_CMD_H

int umq_cmd_ipcs(int argc, char **argv);
int umq_cmd_lsipc(int argc, char **argv);
int umq_cmd_ipcmk(int argc, char **argv);
int umq_cmd_ipcrm(int argc, char **argv);
int umq_cmd_cat(int argc, char **argv);
int umq_cmd_limits(int argc, char **argv);
int umq_cmd_run(int argc, char **argv);
int umq_cmd_top(int argc, char **argv);
int umq_cmd_metrics(int argc, char **argv);
/* msgio.c */
int umq_cmd_peek(int argc, char **argv);
int umq_cmd_send(int argc, char **argv);
int umq_cmd_recv(int argc, char **argv);
int umq_cmd_purge(int argc, char **argv);

#endif
