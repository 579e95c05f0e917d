/* SPDX-License-Identifier: MIT */
/*
 * ipcmk.c - `umq ipcmk`: util-linux's ipcmk for umq queues.  -Q makes a
 * System V queue with a random key (ipcmk has no option for the key) and
 * prints its id; -q -n NAME makes a POSIX queue (util-linux 2.41), with
 * the kernel's default attributes unless --maxmsg/--msgsize say
 * otherwise.  -p is parsed as ipcmk 2.38 parses it (octal; what strtoul
 * accepts, so "-1" is 0777 and a bad string "failed to parse mode").
 */
#include "cmd.h"
#include "util.h"

#include <fcntl.h>
#include <getopt.h>
#include <mqueue.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/random.h>

enum { OPT_MAXMSG = 0x101, OPT_MSGSIZE };

__attribute__((noreturn)) static void usage(void)
{
	printf("\nUsage:\n %s [--dir DIR] [options]\n\n"
	       "Create message queues in a umq namespace, as ipcmk does on the\n"
	       "kernel.\n\n"
	       "Options:\n"
	       " -Q, --queue              create a System V message queue\n"
	       " -q, --posix-mqueue       create a POSIX message queue\n"
	       " -n, --name <name>        name of the POSIX queue (\"/name\")\n"
	       " -p, --mode <mode>        permission for the resource (default is 0644)\n"
	       "     --maxmsg <n>         POSIX: most messages (default: the namespace's)\n"
	       "     --msgsize <n>        POSIX: largest message (default: the namespace's)\n"
	       "     --dir <dir>          the namespace (default $UMQ_DIR, else /dev/shm/umq)\n\n"
	       " -h, --help               display this help\n"
	       " -V, --version            display version\n\n"
	       " -n, --name <name> option is required for POSIX IPC\n",
	       program_invocation_short_name);
	exit(EXIT_SUCCESS);
}

static int create_msg(int mode)
{
	key_t key;

	if (getrandom(&key, sizeof(key), 0) != sizeof(key))
		key = (key_t)random();
	return umq_msgget(key, mode | IPC_CREAT);
}

static int create_pmsg(const char *name, int mode, long maxmsg, long msgsize)
{
	struct umq_limits lim;
	struct mq_attr attr = { 0 };
	mqd_t q;

	if (maxmsg || msgsize) {
		/* The other one as the kernel would choose it. */
		if (umq_ns_get_limits(&lim))
			return -1;
		attr.mq_maxmsg = maxmsg ? maxmsg :
				 lim.msg_default < lim.msg_max ?
				 lim.msg_default : lim.msg_max;
		attr.mq_msgsize = msgsize ? msgsize :
				  lim.msgsize_default < lim.msgsize_max ?
				  lim.msgsize_default : lim.msgsize_max;
	}
	q = umq_mq_open(name, O_RDWR | O_CREAT | UMQ_O_NOPOLL, (mode_t)mode,
			maxmsg || msgsize ? &attr : NULL);
	if (q == (mqd_t)-1)
		return -1;
	umq_mq_close(q);
	return 0;
}

int umq_cmd_ipcmk(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "queue", no_argument, NULL, 'Q' },
		{ "posix-mqueue", no_argument, NULL, 'q' },
		{ "name", required_argument, NULL, 'n' },
		{ "mode", required_argument, NULL, 'p' },
		{ "maxmsg", required_argument, NULL, OPT_MAXMSG },
		{ "msgsize", required_argument, NULL, OPT_MSGSIZE },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = NULL, *dir = NULL;
	int opt, mode = 0644, ask_msg = 0, ask_pmsg = 0;
	long maxmsg = 0, msgsize = 0;

	tool_start(argv);

	while ((opt = getopt_long(argc, argv, "Qqn:p:hV", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'Q': ask_msg = 1; break;
		case 'q': ask_pmsg = 1; break;
		case 'n': name = optarg; break;
		case 'p': {
			char *end = NULL;

			errno = 0;
			mode = (int)strtoul(optarg, &end, 8);
			if (!end || *end || end == optarg)
				err(EXIT_FAILURE, "failed to parse mode");
			break;
		}
		case OPT_MAXMSG:
			maxmsg = parse_s32(optarg, "failed to parse maxmsg");
			if (maxmsg <= 0)
				errx(EXIT_FAILURE, "failed to parse maxmsg: '%s'",
				     optarg);
			break;
		case OPT_MSGSIZE:
			msgsize = parse_s32(optarg, "failed to parse msgsize");
			if (msgsize <= 0)
				errx(EXIT_FAILURE,
				     "failed to parse msgsize: '%s'", optarg);
			break;
		case OPT_DIR: dir = optarg; break;
		case 'h': usage();
		case 'V': print_version();
		default: try_help(EXIT_FAILURE);
		}
	}
	if (!ask_msg && !ask_pmsg) {
		warnx("bad usage");
		try_help(EXIT_FAILURE);
	}
	if (ask_pmsg && !name) {
		warnx("name is required for POSIX IPC");
		try_help(EXIT_FAILURE);
	}
	tool_ns(dir, true);
	if (ask_msg) {
		int id = create_msg(mode);

		if (id < 0)
			err(EXIT_FAILURE, "create message queue failed");
		printf("Message queue id: %d\n", id);
	}
	if (ask_pmsg) {
		if (create_pmsg(name, mode, maxmsg, msgsize))
			err(EXIT_FAILURE, "create POSIX message queue failed");
		printf("POSIX message queue name: %s\n", name);
	}
	return EXIT_SUCCESS;
}
