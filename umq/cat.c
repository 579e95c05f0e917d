/* SPDX-License-Identifier: MIT */
/*
 * cat.c - `umq cat`: the files through which the kernel shows its
 * queues, for a umq namespace.
 *
 *   umq cat sysvipc        /proc/sysvipc/msg, in the kernel's format
 *                          (sysvipc_msg_proc_show), every queue
 *   umq cat mqueue /NAME   /dev/mqueue/NAME: the queue's status line
 *   umq cat mqueue         every queue as `grep -H '' /dev/mqueue/\*`
 *                          shows them: "/NAME:QSIZE:...", by name
 *
 * Like cat, a queue that cannot be read is a message on stderr and exit
 * status 1, after the others.
 */
#include "cmd.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>

__attribute__((noreturn)) static void usage(void)
{
	printf("\nUsage:\n"
	       " %1$s [--dir DIR] sysvipc\n"
	       " %1$s [--dir DIR] mqueue [/NAME...]\n\n"
	       "Print what the kernel's files would show of a umq namespace's\n"
	       "queues: /proc/sysvipc/msg, or the mqueue filesystem (the\n"
	       "status line of each queue).\n\n"
	       "Options:\n"
	       "     --dir <dir>   the namespace (default $UMQ_DIR, else /dev/shm/umq)\n"
	       " -h, --help        display this help\n",
	       program_invocation_short_name);
	exit(EXIT_SUCCESS);
}

static int cat_sysvipc(void)
{
	struct msqid_ds ds;
	struct msginfo mi;
	int max = umq_msgctl(0, MSG_INFO, (struct msqid_ds *)(void *)&mi);

	if (max < 0)
		err(EXIT_FAILURE, "msgctl failed");
	printf("       key      msqid perms      cbytes       qnum lspid "
	       "lrpid   uid   gid  cuid  cgid      stime      rtime      "
	       "ctime\n");
	for (int i = 0; i <= max; i++) {
		int id = umq_msgctl(i, MSG_STAT_ANY, &ds);

		if (id < 0)
			continue;
		printf("%10d %10d  %4o  %10lu %10lu %5u %5u %5u %5u %5u %5u "
		       "%10llu %10llu %10llu\n",
		       ds.msg_perm.__key, id, ds.msg_perm.mode,
		       (unsigned long)ds.__msg_cbytes,
		       (unsigned long)ds.msg_qnum, (unsigned)ds.msg_lspid,
		       (unsigned)ds.msg_lrpid, ds.msg_perm.uid,
		       ds.msg_perm.gid, ds.msg_perm.cuid, ds.msg_perm.cgid,
		       (unsigned long long)ds.msg_stime,
		       (unsigned long long)ds.msg_rtime,
		       (unsigned long long)ds.msg_ctime);
	}
	return EXIT_SUCCESS;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct umq_mq_info *)a)->name,
		      ((const struct umq_mq_info *)b)->name);
}

static int cat_mqueue(int n, char **names)
{
	struct umq_mq_info q, *all = NULL;
	size_t count = 0, cap = 0;
	int ret = EXIT_SUCCESS;

	for (int i = 0; i < n; i++) {
		/* A file name of /dev/mqueue, or a queue name. */
		char *name = names[i][0] == '/' ? xstrdup(names[i]) :
			     xasprintf("/%s", names[i]);

		if (umq_mq_stat(name, &q)) {
			warn("%s", name);
			ret = EXIT_FAILURE;
		} else {
			fputs(q.status, stdout);
		}
		free(name);
	}
	if (n)
		return ret;

	struct umq_mq_list *l = umq_mq_list_open();
	if (!l)
		err(EXIT_FAILURE, "cannot list POSIX message queues");
	for (;;) {
		int r = umq_mq_list_next(l, &q);

		if (r < 0)
			err(EXIT_FAILURE, "cannot list POSIX message queues");
		if (!r)
			break;
		if (count == cap) {
			cap = cap ? 2 * cap : 16;
			all = realloc(all, cap * sizeof(*all));
			if (!all)
				err(EXIT_FAILURE, "cannot allocate memory");
		}
		all[count++] = q;
	}
	umq_mq_list_close(l);
	qsort(all, count, sizeof(*all), by_name);
	for (size_t i = 0; i < count; i++) {
		if (all[i].err) {
			errno = all[i].err;
			warn("%s", all[i].name);
			ret = EXIT_FAILURE;
			continue;
		}
		printf("%s:%s", all[i].name, all[i].status);
	}
	free(all);
	return ret;
}

int umq_cmd_cat(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL, *what;
	int opt;

	tool_start(argv);

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_DIR: dir = optarg; break;
		case 'h': usage();
		default: try_help(EXIT_FAILURE);
		}
	}
	if (optind >= argc) {
		warnx("what to show: sysvipc or mqueue");
		try_help(EXIT_FAILURE);
	}
	what = argv[optind++];
	if (!strcmp(what, "sysvipc") || !strcmp(what, "sysvipc/msg") ||
	    !strcmp(what, "/proc/sysvipc/msg")) {
		if (optind < argc) {
			warnx("unknown argument: %s", argv[optind]);
			try_help(EXIT_FAILURE);
		}
		tool_ns(dir, false);
		return cat_sysvipc();
	}
	if (!strcmp(what, "mqueue") || !strcmp(what, "/dev/mqueue")) {
		tool_ns(dir, false);
		return cat_mqueue(argc - optind, argv + optind);
	}
	warnx("%s: unknown file (sysvipc or mqueue)", what);
	try_help(EXIT_FAILURE);
}
