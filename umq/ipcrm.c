/* SPDX-License-Identifier: MIT */
/*
 * ipcrm.c - `umq ipcrm`: util-linux's ipcrm for umq queues, with its
 * messages and its exit status (0 only if every removal succeeded):
 * -q ID, -Q KEY, the historical `ipcrm msg ID...`, -a[=msg|pmsg], and
 * util-linux 2.41's --posix-mqueue NAME.  Removals happen in the order
 * of the options, as ipcrm does them, -a last.
 */
#include "cmd.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>

enum type { MSG, PMSG, ALL };
enum { OPT_PMSG = 0x101 };

static int verbose;

__attribute__((noreturn)) static void usage(void)
{
	printf("\nUsage:\n"
	       " %1$s [--dir DIR] [options]\n"
	       " %1$s [--dir DIR] msg <id>...\n\n"
	       "Remove message queues of a umq namespace, as ipcrm does on the\n"
	       "kernel.\n\n"
	       "Options:\n"
	       " -q, --queue-id <id>          remove message queue by id\n"
	       " -Q, --queue-key <key>        remove message queue by key\n"
	       "     --posix-mqueue <name>    remove POSIX message queue by name\n"
	       " -a, --all[=msg|pmsg]         remove all (in the specified category)\n"
	       " -v, --verbose                explain what is being done\n"
	       "     --dir <dir>              the namespace (default $UMQ_DIR, else\n"
	       "                              /dev/shm/umq)\n\n"
	       " -h, --help                   display this help\n"
	       " -V, --version                display version\n",
	       program_invocation_short_name);
	exit(EXIT_SUCCESS);
}

/* 0, or 1 after a message. */
static int remove_id(bool iskey, int id)
{
	const char *msg;

	if (verbose)
		printf("removing message queue id `%d'\n", id);
	if (!umq_msgctl(id, IPC_RMID, NULL))
		return 0;
	switch (errno) {
	case EACCES:
	case EPERM:
		msg = iskey ? "permission denied for key" :
			      "permission denied for id";
		break;
	case EINVAL:
		msg = iskey ? "invalid key" : "invalid id";
		break;
	case EIDRM:
		msg = iskey ? "already removed key" : "already removed id";
		break;
	default:
		err(EXIT_FAILURE, "%s", iskey ? "key failed" : "id failed");
	}
	warnx("%s (%d)", msg, id);
	return 1;
}

static int remove_name(const char *name)
{
	if (verbose)
		printf("removing POSIX message queue `%s'\n", name);
	if (!umq_mq_unlink(name))
		return 0;
	switch (errno) {
	case EACCES:
	case EPERM:
		warnx("permission denied for name `%s'", name);
		break;
	case ENOENT:
		warnx("name `%s' not found", name);
		break;
	case ENAMETOOLONG:
		warnx("name `%s' too long", name);
		break;
	default:
		err(EXIT_FAILURE, "name failed");
	}
	return 1;
}

/* The id of key s, or -1 after a message. */
static int key_to_id(const char *s)
{
	unsigned long num;
	char *end = NULL;
	const char *msg;
	key_t key;
	int id;

	errno = 0;
	num = *s ? strtoul(s, &end, 0) : 0;
	if (!*s || errno || end == s || *end) {
		if (errno)
			err(EXIT_FAILURE, "failed to parse argument: '%s'", s);
		errx(EXIT_FAILURE, "failed to parse argument: '%s'", s);
	}
	key = (key_t)num;
	if (key == IPC_PRIVATE) {
		warnx("illegal key (%s)", s);
		return -1;
	}
	id = umq_msgget(key, 0);
	if (id >= 0)
		return id;
	switch (errno) {
	case EACCES: msg = "permission denied for key"; break;
	case EIDRM: msg = "already removed key"; break;
	case ENOENT: msg = "invalid key"; break;
	default: err(EXIT_FAILURE, "key failed");
	}
	warnx("%s (%s)", msg, s);
	return -1;
}

static int remove_all(enum type type)
{
	int ret = 0;

	if (type == MSG || type == ALL) {
		struct msqid_ds ds;
		struct msginfo mi;
		int max = umq_msgctl(0, MSG_INFO,
				     (struct msqid_ds *)(void *)&mi);

		if (max < 0)
			errx(EXIT_FAILURE,
			     "kernel not configured for message queues");
		/* MSG_STAT: the queues the caller may read, as ipcrm. */
		for (int i = 0; i <= max; i++) {
			int id = umq_msgctl(i, MSG_STAT, &ds);
			if (id >= 0)
				ret |= remove_id(false, id);
		}
	}
	if (type == PMSG || type == ALL) {
		struct umq_mq_list *l = umq_mq_list_open();
		struct umq_mq_info q;

		if (!l)
			err(EXIT_FAILURE, "cannot list POSIX message queues");
		while (umq_mq_list_next(l, &q) > 0)
			if (!q.err)
				ret |= remove_name(q.name);
		umq_mq_list_close(l);
	}
	return ret;
}

/* `ipcrm msg ID...`: 1 when argv was that form (then it is done). */
static int deprecated_main(int argc, char **argv)
{
	int errors = 0;

	if (strcmp(argv[1], "msg"))
		return 0;
	if (argc < 3) {
		warnx("not enough arguments");
		try_help(EXIT_FAILURE);
	}
	for (int i = 2; i < argc; i++) {
		char *end = NULL;
		unsigned long id;

		errno = 0;
		id = strtoul(argv[i], &end, 10);
		if (errno || !end || *end) {
			warnx("invalid id: %s", argv[i]);
			errors++;
		} else if (remove_id(false, (int)id)) {
			errors++;
		}
	}
	if (errors)
		exit(EXIT_FAILURE);
	printf("resource(s) deleted\n");
	return 1;
}

/*
 * Take --dir out of argv first: the namespace must be known before the
 * first removal, which happens while the options are read.
 */
static const char *take_dir(int *argc, char **argv)
{
	const char *dir = NULL;
	int i, j;

	for (i = j = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--dir") && i + 1 < *argc) {
			dir = argv[++i];
			continue;
		}
		if (!strncmp(argv[i], "--dir=", 6)) {
			dir = argv[i] + 6;
			continue;
		}
		argv[j++] = argv[i];
	}
	*argc = j;
	argv[j] = NULL;
	return dir;
}

int umq_cmd_ipcrm(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "queue-id", required_argument, NULL, 'q' },
		{ "queue-key", required_argument, NULL, 'Q' },
		{ "posix-mqueue", required_argument, NULL, OPT_PMSG },
		{ "all", optional_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	enum type what_all = ALL;
	int c, ret = 0, id, rm_all = 0;
	const char *dir = take_dir(&argc, argv);

	tool_start(argv);

	/* Without arguments, ipcrm does nothing. */
	if (argc == 1)
		return EXIT_SUCCESS;
	if (strcmp(argv[1], "-h") && strcmp(argv[1], "--help") &&
	    strcmp(argv[1], "-V") && strcmp(argv[1], "--version"))
		tool_ns(dir, false);
	if (deprecated_main(argc, argv))
		return EXIT_SUCCESS;

	while ((c = getopt_long(argc, argv, "q:Q:a::vhV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'Q':
			id = key_to_id(optarg);
			if (id < 0 || remove_id(true, id))
				ret++;
			break;
		case 'q':
			id = parse_s32(optarg, "failed to parse argument");
			if (remove_id(false, id))
				ret++;
			break;
		case OPT_PMSG:
			if (remove_name(optarg))
				ret++;
			break;
		case 'a':
			rm_all = 1;
			if (!optarg)
				what_all = ALL;
			else if (!strcmp(optarg, "msg"))
				what_all = MSG;
			else if (!strcmp(optarg, "pmsg"))
				what_all = PMSG;
			else
				errx(EXIT_FAILURE, "unknown argument: %s",
				     optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			try_help(EXIT_FAILURE);
		}
	}
	if (rm_all && remove_all(what_all))
		ret++;
	if (optind < argc) {
		warnx("unknown argument: %s", argv[optind]);
		try_help(EXIT_FAILURE);
	}
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}
