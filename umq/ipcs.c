/* SPDX-License-Identifier: MIT */
/*
 * ipcs.c - `umq ipcs`: util-linux's `ipcs -q` (2.38) for the queues of a
 * umq namespace, byte for byte: the same sections, headers, widths,
 * quirks (the -p columns that do not line up) and messages.
 *
 * ipcs reads /proc/sysvipc/msg, which lists every queue without a
 * permission check; MSG_STAT_ANY is the same view.  Like ipcs, -i takes
 * msg_qbytes from IPC_STAT, so a caller who may not read the queue sees
 * qbytes=0.
 */
#include "cmd.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>

enum fmt { F_DEFAULT, F_LIMITS, F_STATUS, F_CREATOR, F_TIME, F_PID };
enum unit { U_DEFAULT, U_BYTES, U_HUMAN };
enum { OPT_HUMAN = 0x101 };

struct q {
	int id;
	struct msqid_ds ds;
};

__attribute__((noreturn)) static void usage(void)
{
	printf("\nUsage:\n"
	       " %1$s [--dir DIR] [-q] [output-option]\n"
	       " %1$s [--dir DIR] [-q] -i <id>\n\n"
	       "Show the System V message queues of a umq namespace, as\n"
	       "ipcs -q shows the kernel's.\n\n"
	       "Options:\n"
	       " -i, --id <id>     print details on the queue identified by <id>\n"
	       " -q, --queues      message queues (the default; -a is the same)\n"
	       "     --dir <dir>   the namespace (default $UMQ_DIR, else /dev/shm/umq)\n"
	       " -h, --help        display this help\n"
	       " -V, --version     display version\n\n"
	       "Output options:\n"
	       " -t, --time        show send, receive and change times\n"
	       " -p, --pid         show PIDs of the last sender and receiver\n"
	       " -c, --creator     show creator and owner\n"
	       " -l, --limits      show the namespace's limits\n"
	       " -u, --summary     show status summary\n"
	       "     --human       show sizes in human-readable format\n"
	       " -b, --bytes       show sizes in bytes\n",
	       program_invocation_short_name);
	exit(EXIT_SUCCESS);
}

/* Every queue of the namespace, by index, as /proc/sysvipc/msg. */
static size_t collect(struct q **out)
{
	struct msginfo mi;
	struct q *qs;
	size_t n = 0;
	int max;

	max = umq_msgctl(0, MSG_INFO, (struct msqid_ds *)(void *)&mi);
	if (max < 0)
		err(EXIT_FAILURE, "msgctl failed");
	qs = calloc((size_t)max + 1, sizeof(*qs));
	if (!qs)
		err(EXIT_FAILURE, "cannot allocate memory");
	for (int i = 0; i <= max; i++) {
		int id = umq_msgctl(i, MSG_STAT_ANY, &qs[n].ds);
		if (id < 0)
			continue;
		qs[n++].id = id;
	}
	*out = qs;
	return n;
}

/* ipcutils.c's ipc_print_size(). */
static void print_size(enum unit unit, const char *msg, uint64_t size,
		       const char *end, int width)
{
	char h[32];

	if (!msg)
		;
	else if (msg[strlen(msg) - 1] == '=')
		printf("%s", msg);
	else if (unit == U_BYTES)
		printf("%s (bytes) = ", msg);
	else
		printf("%s = ", msg);
	if (unit == U_HUMAN)
		printf("%*s", width, human_size(size, h, sizeof(h)));
	else
		printf("%*ju", width, (uintmax_t)size);
	if (end)
		printf("%s", end);
}

/* "%-Nd %-10.10s": the id, then the owner's name or uid. */
static void id_owner(int width, const struct q *q)
{
	const char *name = user_name(q->ds.msg_perm.uid);

	if (name)
		printf("%-*d %-10.10s", width, q->id, name);
	else
		printf("%-*d %-10u", width, q->id, q->ds.msg_perm.uid);
}

static void print_perms(const struct q *q)
{
	const struct ipc_perm *p = &q->ds.msg_perm;
	const char *s;

	printf("%-10d %-10o", q->id, p->mode & 0777);
	if ((s = user_name(p->cuid)))
		printf(" %-10s", s);
	else
		printf(" %-10u", p->cuid);
	if ((s = group_name(p->cgid)))
		printf(" %-10s", s);
	else
		printf(" %-10u", p->cgid);
	if ((s = user_name(p->uid)))
		printf(" %-10s", s);
	else
		printf(" %-10u", p->uid);
	if ((s = group_name(p->gid)))
		printf(" %-10s\n", s);
	else
		printf(" %-10u\n", p->gid);
}

/* " %-20.16s": ctime() less its weekday, or "Not set". */
static void short_time(int64_t t, const char *end)
{
	char buf[64];

	printf(" %-20.16s%s", t ? str_ctime(t, buf, sizeof(buf)) + 4 :
		"Not set", end);
}

static void do_msg(enum fmt fmt, enum unit unit)
{
	struct umq_limits lim;
	struct msginfo mi;
	struct q *qs;
	size_t n;

	switch (fmt) {
	case F_LIMITS:
		if (umq_ns_get_limits(&lim)) {
			printf("unable to fetch message limits\n");
			return;
		}
		printf("------ Messages Limits --------\n");
		printf("max queues system wide = %d\n", (int)lim.msgmni);
		print_size(unit == U_DEFAULT ? U_BYTES : unit,
			   "max size of message", (uint64_t)lim.msgmax, "\n", 0);
		print_size(unit == U_DEFAULT ? U_BYTES : unit,
			   "default max size of queue", (uint64_t)lim.msgmnb,
			   "\n", 0);
		return;
	case F_STATUS:
		if (umq_msgctl(0, MSG_INFO, (struct msqid_ds *)(void *)&mi) < 0) {
			printf("kernel not configured for message queues\n");
			return;
		}
		printf("------ Messages Status --------\n");
		printf("allocated queues = %d\n", mi.msgpool);
		printf("used headers = %d\n", mi.msgmap);
		print_size(unit, "used space", (uint64_t)mi.msgtql,
			   unit == U_DEFAULT ? " bytes\n" : "\n", 0);
		return;
	case F_CREATOR:
		printf("------ Message Queues Creators/Owners --------\n");
		printf("%-10s %-10s %-10s %-10s %-10s %-10s\n", "msqid",
		       "perms", "cuid", "cgid", "uid", "gid");
		break;
	case F_TIME:
		printf("------ Message Queues Send/Recv/Change Times --------\n");
		printf("%-8s %-10s %-20s %-20s %-20s\n", "msqid", "owner",
		       "send", "recv", "change");
		break;
	case F_PID:
		printf("------ Message Queues PIDs --------\n");
		printf("%-10s %-10s %-10s %-10s\n", "msqid", "owner", "lspid",
		       "lrpid");
		break;
	default:
		printf("------ Message Queues --------\n");
		printf("%-10s %-10s %-10s %-10s %-12s %-12s\n", "key", "msqid",
		       "owner", "perms",
		       unit == U_HUMAN ? "size" : "used-bytes", "messages");
		break;
	}

	n = collect(&qs);
	for (size_t i = 0; i < n; i++) {
		const struct q *q = &qs[i];
		const struct msqid_ds *ds = &q->ds;

		switch (fmt) {
		case F_CREATOR:
			print_perms(q);
			break;
		case F_TIME:
			id_owner(8, q);
			short_time(ds->msg_stime, "");
			short_time(ds->msg_rtime, "");
			short_time(ds->msg_ctime, "\n");
			break;
		case F_PID:
			id_owner(8, q);
			printf("  %5d     %5d\n", ds->msg_lspid, ds->msg_lrpid);
			break;
		default:
			printf("0x%08x ", (unsigned)ds->msg_perm.__key);
			id_owner(10, q);
			printf(" %-10o ", ds->msg_perm.mode & 0777);
			if (unit == U_HUMAN)
				print_size(unit, NULL, ds->__msg_cbytes,
					   "      ", 6);
			else
				print_size(unit, NULL, ds->__msg_cbytes, NULL,
					   -12);
			printf(" %-12ju\n", (uintmax_t)ds->msg_qnum);
			break;
		}
	}
	free(qs);
}

/* " %-26.24s": the whole ctime(), or "Not set". */
static void long_time(const char *what, int64_t t)
{
	char buf[64];

	printf("%s=%-26.24s\n", what, t ? str_ctime(t, buf, sizeof(buf)) :
	       "Not set");
}

static void print_msg(int id, enum unit unit)
{
	struct msqid_ds st;
	struct q *qs, *q = NULL;
	size_t n = collect(&qs);

	/* As ipcs: a negative id selects no queue in particular, so the
	 * first one is shown. */
	for (size_t i = 0; i < n && !q; i++)
		if (id < 0 || qs[i].id == id)
			q = &qs[i];
	if (!q) {
		warnx("id %d not found", id);
		free(qs);
		return;
	}
	printf("\nMessage Queue msqid=%d\n", id);
	printf("uid=%u\tgid=%u\tcuid=%u\tcgid=%u\tmode=%#o\n",
	       q->ds.msg_perm.uid, q->ds.msg_perm.gid, q->ds.msg_perm.cuid,
	       q->ds.msg_perm.cgid, q->ds.msg_perm.mode);
	print_size(unit, unit == U_HUMAN ? "csize=" : "cbytes=",
		   q->ds.__msg_cbytes, "\t", 0);
	print_size(unit, unit == U_HUMAN ? "qsize=" : "qbytes=",
		   id >= 0 && !umq_msgctl(id, IPC_STAT, &st) ? st.msg_qbytes :
		   0, "\t", 0);
	printf("qnum=%jd\tlspid=%d\tlrpid=%d\n", (intmax_t)q->ds.msg_qnum,
	       q->ds.msg_lspid, q->ds.msg_lrpid);
	long_time("send_time", q->ds.msg_stime);
	long_time("rcv_time", q->ds.msg_rtime);
	long_time("change_time", q->ds.msg_ctime);
	printf("\n");
	free(qs);
}

int umq_cmd_ipcs(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "queues", no_argument, NULL, 'q' },
		{ "all", no_argument, NULL, 'a' },
		{ "time", no_argument, NULL, 't' },
		{ "pid", no_argument, NULL, 'p' },
		{ "creator", no_argument, NULL, 'c' },
		{ "limits", no_argument, NULL, 'l' },
		{ "summary", no_argument, NULL, 'u' },
		{ "human", no_argument, NULL, OPT_HUMAN },
		{ "bytes", no_argument, NULL, 'b' },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	enum fmt fmt = F_DEFAULT;
	enum unit unit = U_DEFAULT;
	const char *dir = NULL;
	int opt, id = 0, specific = 0;

	tool_start(argv);

	while ((opt = getopt_long(argc, argv, "i:qatpclubhV", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'i':
			id = parse_s32(optarg, "failed to parse id argument");
			specific = 1;
			break;
		case 'q':
		case 'a':
			break;
		case 't': fmt = F_TIME; break;
		case 'p': fmt = F_PID; break;
		case 'c': fmt = F_CREATOR; break;
		case 'l': fmt = F_LIMITS; break;
		case 'u': fmt = F_STATUS; break;
		case OPT_HUMAN: unit = U_HUMAN; break;
		case 'b': unit = U_BYTES; break;
		case OPT_DIR: dir = optarg; break;
		case 'h': usage();
		case 'V': print_version();
		default: try_help(EXIT_FAILURE);
		}
	}
	tool_ns(dir, false);
	if (specific) {
		print_msg(id, unit);
	} else {
		printf("\n");
		do_msg(fmt, unit);
		printf("\n");
	}
	return EXIT_SUCCESS;
}
