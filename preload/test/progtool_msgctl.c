/* SPDX-License-Identifier: MIT */
/*
 * progtool_msgctl.c - `progtool_msgctl ID`: IPC_STAT of a System V queue by
 * id, as the trace of prog.h shows it; for the tests of clients (ipcmk)
 * that print an id and no more.
 */
#include "prog.h"

int main(int argc, char **argv)
{
	struct msqid_ds ds;
	int id;

	if (argc != 2) {
		fputs("usage: progtool_msgctl id\n", stderr);
		return 2;
	}
	prog_init(30);
	pid_name(getpid(), "progtool_msgctl");
	id = atoi(argv[1]);
	if (CALL(msgctl(id, IPC_STAT, &ds)) == 0)
		show_msqid("queue", &ds);
	return 0;
}
