/* SPDX-License-Identifier: MIT */
/*
 * lsipc.c - `umq lsipc`: util-linux's lsipc for the queues of a umq
 * namespace.  System V queues (-q) exactly as lsipc 2.38 shows the
 * kernel's, its quirks included (the CGID column shows the creator's
 * uid, -P leaves PERMS empty, -q -g mixes both column sets); POSIX
 * queues (-Q, -N) as lsipc 2.41 shows /dev/mqueue, which reads only the
 * queues the caller may read and refuses -o USEDBYTES and MSGS though
 * they are default columns.  The global view (-g) adds the POSIX rows of
 * 2.41 to the System V rows of 2.38.
 */
#include "cmd.h"
#include "table.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/msg.h>

enum {
	COL_KEY, COL_ID, COL_OWNER, COL_PERMS, COL_CUID, COL_CUSER, COL_CGID,
	COL_CGROUP, COL_UID, COL_USER, COL_GID, COL_GROUP, COL_CTIME,
	COL_NAME, COL_MTIME,				/* POSIX */
	COL_USEDBYTES, COL_MSGS, COL_SEND, COL_RECV, COL_LSPID, COL_LRPID,
	COL_RESOURCE, COL_DESC, COL_LIMIT, COL_USED, COL_USEPERC, /* -g */
	NCOLDESCS
};

/* The ranges of columns a resource accepts beyond the generic ones. */
#define MSG_FIRST	COL_USEDBYTES
#define MSG_LAST	COL_LRPID
#define POSIX_FIRST	COL_NAME
#define POSIX_LAST	COL_MTIME
#define SUM_FIRST	COL_RESOURCE
#define SUM_LAST	COL_USEPERC

static const struct coldesc {
	const char *name, *help, *pretty;
	int flags;
} coldescs[NCOLDESCS] = {
	[COL_KEY] = { "KEY", "Resource key", "Key", 0 },
	[COL_ID] = { "ID", "Resource ID", "ID", 0 },
	[COL_OWNER] = { "OWNER", "Owner's username or UID", "Owner", TB_RIGHT },
	[COL_PERMS] = { "PERMS", "Permissions", "Permissions", TB_RIGHT },
	[COL_CUID] = { "CUID", "Creator UID", "Creator UID", TB_RIGHT },
	[COL_CUSER] = { "CUSER", "Creator user", "Creator user", 0 },
	[COL_CGID] = { "CGID", "Creator GID", "Creator GID", TB_RIGHT },
	[COL_CGROUP] = { "CGROUP", "Creator group", "Creator group", 0 },
	[COL_UID] = { "UID", "User ID", "UID", TB_RIGHT },
	[COL_USER] = { "USER", "User name", "User name", 0 },
	[COL_GID] = { "GID", "Group ID", "GID", TB_RIGHT },
	[COL_GROUP] = { "GROUP", "Group name", "Group name", 0 },
	[COL_CTIME] = { "CTIME", "Time of the last change", "Last change",
			TB_RIGHT },
	[COL_NAME] = { "NAME", "Resource name", "Name", 0 },
	[COL_MTIME] = { "MTIME", "Time of last action", "Last action",
			TB_RIGHT },
	[COL_USEDBYTES] = { "USEDBYTES", "Bytes used", "Bytes used", TB_RIGHT },
	[COL_MSGS] = { "MSGS", "Number of messages", "Messages", 0 },
	[COL_SEND] = { "SEND", "Time of last msg sent", "Msg sent", TB_RIGHT },
	[COL_RECV] = { "RECV", "Time of last msg received", "Msg received",
		       TB_RIGHT },
	[COL_LSPID] = { "LSPID", "PID of the last msg sender", "Msg sender",
			TB_RIGHT },
	[COL_LRPID] = { "LRPID", "PID of the last msg receiver",
			"Msg receiver", TB_RIGHT },
	[COL_RESOURCE] = { "RESOURCE", "Resource name", "Resource", 0 },
	[COL_DESC] = { "DESCRIPTION", "Resource description", "Description",
		       0 },
	[COL_LIMIT] = { "LIMIT", "System-wide limit", "Limit", TB_RIGHT },
	[COL_USED] = { "USED", "Currently used", "Used", TB_RIGHT },
	[COL_USEPERC] = { "USE%", "Currently use percentage", "Use",
			  TB_RIGHT },
};

enum { OUT_DEFAULT, OUT_EXPORT, OUT_NEWLINE, OUT_RAW, OUT_JSON, OUT_PRETTY,
       OUT_LIST };
enum { TIME_SHORT = 1, TIME_FULL, TIME_ISO };
enum { OPT_NOTRUNC = 0x101, OPT_NOHEAD, OPT_TIME_FMT };

/* lsipc's count of its columns, each of which -o takes twice (-o
 * ID,ID,... of 68 works): 2.38's 34 count those of shared memory and
 * semaphores; 2.41's 37, whose -Q umq follows, POSIX's NAME, MTIME and
 * SVAL too. */
#define UL238_NCOLS 34
#define UL241_NCOLS 37
#define MAX_COLUMNS (2 * UL241_NCOLS)

struct ctl {
	int outmode, time_mode;
	bool noheadings, bytes, numperms;
	int columns[MAX_COLUMNS];
	size_t ncolumns;
	size_t ncols;			/* UL238_NCOLS, or UL241_NCOLS for -Q */
	size_t hidden;			/* lsipc's columns umq has not, in -i's */
	size_t lower, upper;		/* the resource's own columns */
};

__attribute__((noreturn)) static void usage(void)
{
	printf("\nUsage:\n %s [--dir DIR] [options]\n\n"
	       "Show the message queues of a umq namespace, as lsipc shows\n"
	       "the kernel's.\n\n"
	       "Resource options:\n"
	       " -q, --queues             System V message queues\n"
	       " -Q, --posix-mqueues      POSIX message queues\n"
	       " -g, --global             limits and usage (the default)\n"
	       " -i, --id <id>            details on the System V queue <id>\n"
	       " -N, --name <name>        details on the POSIX queue <name>\n"
	       "     --dir <dir>          the namespace (default $UMQ_DIR, else\n"
	       "                          /dev/shm/umq)\n\n"
	       "Options:\n"
	       "     --noheadings         don't print headings\n"
	       "     --notruncate         don't truncate output (never done)\n"
	       "     --time-format=<type> display dates in short, full or iso format\n"
	       " -b, --bytes              print SIZE in bytes rather than in human readable format\n"
	       " -c, --creator            show creator and owner\n"
	       " -e, --export             display in an export-able output format\n"
	       " -J, --json               use the JSON output format\n"
	       " -n, --newline            display each piece of information on a new line\n"
	       " -l, --list               force list output format (for example with --id)\n"
	       " -o, --output[=<list>]    define the columns to output\n"
	       " -P, --numeric-perms      print numeric permissions (PERMS column;\n"
	       "                          left empty, as util-linux does)\n"
	       " -r, --raw                display in raw mode\n"
	       " -t, --time               show send, receive and change times\n\n"
	       " -h, --help               display this help\n"
	       " -V, --version            display version\n",
	       program_invocation_short_name);
	printf("\nGeneric System V columns:\n");
	for (int i = COL_KEY; i <= COL_CTIME; i++)
		printf(" %14s  %s\n", coldescs[i].name, coldescs[i].help);
	printf("\nGeneric POSIX columns:\n");
	printf(" %14s  %s\n", coldescs[COL_NAME].name, coldescs[COL_NAME].help);
	for (int i = COL_OWNER; i <= COL_CGROUP; i++)
		printf(" %14s  %s\n", coldescs[i].name, coldescs[i].help);
	printf(" %14s  %s\n", coldescs[COL_MTIME].name,
	       coldescs[COL_MTIME].help);
	printf("\nSystem V Message-queue columns (--queues):\n");
	for (int i = MSG_FIRST; i <= MSG_LAST; i++)
		printf(" %14s  %s\n", coldescs[i].name, coldescs[i].help);
	printf("\nSummary columns (--global):\n");
	for (int i = SUM_FIRST; i <= SUM_LAST; i++)
		printf(" %14s  %s\n", coldescs[i].name, coldescs[i].help);
	exit(EXIT_SUCCESS);
}

/* parse_columns() keeps -o within lsipc's room; this only guards the
 * array. */
static void add_column(struct ctl *ctl, int id)
{
	if (ctl->ncolumns >= MAX_COLUMNS)
		errx(EXIT_FAILURE, "too many columns specified");
	ctl->columns[ctl->ncolumns++] = id;
}

/*
 * The column of the len bytes at name.  Its warnings show name to the end
 * of -o's list, as lsipc's do ("unknown column: FOO,ID").  2.38 has no
 * POSIX columns: NAME, MTIME and SVAL are unknown to -q and -g.
 */
static int column_id(const struct ctl *ctl, const char *name, size_t len)
{
	bool posix = ctl->ncols == UL241_NCOLS;

	for (size_t i = 0; i < NCOLDESCS; i++) {
		const char *cn = coldescs[i].name;

		if (strncasecmp(name, cn, len) || cn[len])
			continue;
		if (!posix && (i == COL_NAME || i == COL_MTIME))
			break;
		if (i > COL_CTIME && (i < ctl->lower || i > ctl->upper)) {
			warnx("column %s does not apply to the specified IPC",
			      name);
			return -1;
		}
		return (int)i;
	}
	/* util-linux's columns of shared memory and semaphores (SVAL, of
	 * POSIX semaphores, last: 2.41's). */
	static const char *const other[] = {
		"SIZE", "NATTCH", "STATUS", "ATTACH", "DETACH", "COMMAND",
		"CPID", "LPID", "NSEMS", "OTIME", "SVAL",
	};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]) - !posix;
	     i++) {
		if (!strncasecmp(name, other[i], len) && !other[i][len]) {
			warnx("column %s does not apply to the specified IPC",
			      name);
			return -1;
		}
	}
	warnx("unknown column: %s", name);
	return -1;
}

/*
 * -o LIST replaces the columns, -o +LIST appends to them; util-linux's
 * parser, with its handling of a trailing comma, and its limit: past
 * lsipc's room for columns it fails (exit 1).  0 or -1.
 */
static int parse_columns(struct ctl *ctl, const char *list)
{
	const char *begin = NULL;
	size_t room, n = 0;

	if (!list || !*list)
		return -1;
	if (*list == '+') {
		list++;
	} else {
		ctl->ncolumns = 0;
		ctl->hidden = 0;
	}
	if (!*list)
		return -1;
	room = 2 * ctl->ncols - ctl->hidden - ctl->ncolumns;
	for (const char *p = list; *p; p++) {
		const char *end = NULL;
		int id;

		if (n >= room) {	/* looked at before each byte */
			/* lsipc fails here without a word; umq says why
			 * (DESIGN §10). */
			warnx("too many columns specified, room for %zu",
			      room);
			return -1;
		}
		if (!begin)
			begin = p;
		if (*p == ',')
			end = p;
		if (!p[1])
			end = p + 1;
		if (!end)
			continue;
		if (end <= begin)
			return -1;
		id = column_id(ctl, begin, (size_t)(end - begin));
		if (id < 0)
			return -1;
		ctl->columns[ctl->ncolumns++] = id;
		n++;
		begin = NULL;
		if (!*end)
			break;
	}
	return 0;
}

/* util-linux's err_exclusive_options, over the groups that lsipc 2.38
 * really checks (its table's order hides the others) and the POSIX
 * options. */
static void exclusive(int c, int *seen)
{
	static const struct {
		const char *opts;
		const char *names;
	} rows[] = {
		{ "Jelnr", "--json --export --list --newline --raw" },
		{ "gi", "--global --id" },
		{ "Ngi", "--name --global --id" },
		{ "ot", "--creator --output --time" },
		{ "Qq", "--posix-mqueues --queues" },
	};

	if (c <= 0 || c > 127)
		return;
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		if (!strchr(rows[r].opts, c))
			continue;
		if (!seen[r])
			seen[r] = c;
		else if (seen[r] != c)
			errx(EXIT_FAILURE, "mutually exclusive arguments: %s",
			     rows[r].names);
	}
}

static char *make_time(const struct ctl *ctl, int64_t t)
{
	char buf[64];

	switch (ctl->time_mode) {
	case TIME_FULL:
		return xstrdup(str_ctime(t, buf, sizeof(buf)));
	case TIME_ISO:
		return xstrdup(str_iso_time(t, buf, sizeof(buf)));
	default:
		return xstrdup(str_short_time(t, buf, sizeof(buf)));
	}
}

static char *name_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static char *size_cell(const struct ctl *ctl, uint64_t v)
{
	char buf[32];

	return ctl->bytes ? xasprintf("%ju", (uintmax_t)v) :
			    xstrdup(human_size(v, buf, sizeof(buf)));
}

/* ---- System V --------------------------------------------------------- */

static void msg_row(const struct ctl *ctl, struct table *tb, int id,
		    const struct msqid_ds *ds)
{
	const struct ipc_perm *p = &ds->msg_perm;
	char buf[16];

	tb_add_row(tb);
	for (size_t n = 0; n < ctl->ncolumns; n++) {
		char *v = NULL;

		switch (ctl->columns[n]) {
		case COL_KEY: v = xasprintf("0x%08x", (unsigned)p->__key); break;
		case COL_ID: v = xasprintf("%d", id); break;
		case COL_OWNER:
			v = name_or_null(user_name(p->uid));
			if (!v)
				v = xasprintf("%u", p->uid);
			break;
		case COL_PERMS:
			/* With -P, util-linux formats the number but never
			 * sets it: the column stays empty. */
			if (!ctl->numperms)
				v = xstrdup(str_mode(p->mode & 0777, buf));
			break;
		case COL_CUID: v = xasprintf("%u", p->cuid); break;
		case COL_CUSER: v = name_or_null(user_name(p->cuid)); break;
		/* util-linux shows the creator's uid here. */
		case COL_CGID: v = xasprintf("%u", p->cuid); break;
		case COL_CGROUP: v = name_or_null(group_name(p->cgid)); break;
		case COL_UID: v = xasprintf("%u", p->uid); break;
		case COL_USER: v = name_or_null(user_name(p->uid)); break;
		case COL_GID: v = xasprintf("%u", p->gid); break;
		case COL_GROUP: v = name_or_null(group_name(p->gid)); break;
		case COL_CTIME:
			if (ds->msg_ctime)
				v = make_time(ctl, ds->msg_ctime);
			break;
		case COL_USEDBYTES: v = size_cell(ctl, ds->__msg_cbytes); break;
		case COL_MSGS: v = xasprintf("%ju", (uintmax_t)ds->msg_qnum); break;
		case COL_SEND:
			if (ds->msg_stime)
				v = make_time(ctl, ds->msg_stime);
			break;
		case COL_RECV:
			if (ds->msg_rtime)
				v = make_time(ctl, ds->msg_rtime);
			break;
		case COL_LSPID: v = xasprintf("%u", ds->msg_lspid); break;
		case COL_LRPID: v = xasprintf("%u", ds->msg_lrpid); break;
		}
		tb_set(tb, n, v);
	}
}

/* Every queue (id -1 or below -1: lsipc's "no id"), or the one. */
static void do_msg(const struct ctl *ctl, struct table *tb, int id)
{
	struct msginfo mi;
	struct msqid_ds ds;
	int max, found = 0;

	max = umq_msgctl(0, MSG_INFO, (struct msqid_ds *)(void *)&mi);
	for (int i = 0; i <= max; i++) {
		int qid = umq_msgctl(i, MSG_STAT_ANY, &ds);

		if (qid < 0 || (id > -1 && qid != id))
			continue;
		if (!found++)
			tb_set_name(tb, "messages");
		msg_row(ctl, tb, qid, &ds);
		if (id > -1)
			break;
	}
	if (!found && id > -1)
		warnx("id %d not found", id);
}

static int count_msg(void)
{
	struct msginfo mi;
	struct msqid_ds ds;
	int max = umq_msgctl(0, MSG_INFO, (struct msqid_ds *)(void *)&mi), n = 0;

	for (int i = 0; i <= max; i++)
		n += umq_msgctl(i, MSG_STAT_ANY, &ds) >= 0;
	return n;
}

/* ---- POSIX ------------------------------------------------------------ */

static void pmsg_row(const struct ctl *ctl, struct table *tb,
		     const struct umq_mq_info *q)
{
	char buf[16];

	tb_add_row(tb);
	for (size_t n = 0; n < ctl->ncolumns; n++) {
		char *v = NULL;

		switch (ctl->columns[n]) {
		case COL_NAME: v = xstrdup(q->name); break;
		case COL_OWNER:
			v = name_or_null(user_name(q->uid));
			if (!v)
				v = xasprintf("%u", q->uid);
			break;
		case COL_PERMS:
			if (!ctl->numperms)	/* as System V */
				v = xstrdup(str_mode(q->mode & 0777, buf));
			break;
		case COL_CUID: v = xasprintf("%u", q->uid); break;
		case COL_CUSER: v = name_or_null(user_name(q->uid)); break;
		case COL_CGID: v = xasprintf("%u", q->gid); break;
		case COL_CGROUP: v = name_or_null(group_name(q->gid)); break;
		case COL_MTIME:
			if (q->mtime.tv_sec)
				v = make_time(ctl, q->mtime.tv_sec);
			break;
		case COL_USEDBYTES: v = size_cell(ctl, q->qsize); break;
		case COL_MSGS: v = xasprintf("%ju", (uintmax_t)q->curmsgs); break;
		}
		tb_set(tb, n, v);
	}
}

/*
 * The queues the caller may read (lsipc reads each /dev/mqueue file and
 * skips those it cannot), or the one named.
 */
static void do_pmsg(const struct ctl *ctl, struct table *tb,
		    const char *name, int *count)
{
	struct umq_mq_info q;
	int found = 0;

	if (name) {
		if (name[0] != '/') {
			warnx("mqueue name must start with '/': %s", name);
		} else if (!umq_mq_stat(name, &q)) {
			tb_set_name(tb, "posix-messages");
			pmsg_row(ctl, tb, &q);
			return;
		}
		warnx("mqueue %s not found", name);
		return;
	}
	struct umq_mq_list *l = umq_mq_list_open();
	if (!l)
		err(EXIT_FAILURE, "cannot open %s", umq_ns_path() ?: "namespace");
	while (umq_mq_list_next(l, &q) > 0) {
		if (q.err)
			continue;
		if (count) {
			found++;
			continue;
		}
		if (!found++)
			tb_set_name(tb, "posix-messages");
		pmsg_row(ctl, tb, &q);
	}
	umq_mq_list_close(l);
	if (count)
		*count = found;
}

/* ---- -g --------------------------------------------------------------- */

static void global_row(const struct ctl *ctl, struct table *tb,
		       const char *res, const char *desc, uintmax_t used,
		       uintmax_t limit, bool usage, bool bytes)
{
	char buf[32];

	tb_add_row(tb);
	for (size_t n = 0; n < ctl->ncolumns; n++) {
		char *v = NULL;

		switch (ctl->columns[n]) {
		case COL_RESOURCE: v = xstrdup(res); break;
		case COL_DESC: v = xstrdup(desc); break;
		case COL_USED:
			v = usage ? xasprintf("%ju", used) : xstrdup("-");
			break;
		case COL_USEPERC:
			v = usage ? xasprintf("%2.2f%%",
					      (double)used / (double)limit * 100) :
				    xstrdup("-");
			break;
		case COL_LIMIT:
			v = bytes && !ctl->bytes ?
				    xstrdup(human_size(limit, buf, sizeof(buf))) :
				    xasprintf("%ju", limit);
			break;
		}
		tb_set(tb, n, v);
	}
}

static void do_global(const struct ctl *ctl, struct table *tb, bool msg,
		      bool pmsg)
{
	struct umq_limits lim;
	int n = 0;

	if (umq_ns_get_limits(&lim))
		err(EXIT_FAILURE, "cannot read the limits");
	if (msg) {
		global_row(ctl, tb, "MSGMNI", "Number of message queues",
			   (uintmax_t)count_msg(), (uintmax_t)lim.msgmni, true,
			   false);
		global_row(ctl, tb, "MSGMAX", "Max size of message (bytes)", 0,
			   (uintmax_t)lim.msgmax, false, true);
		global_row(ctl, tb, "MSGMNB",
			   "Default max size of queue (bytes)", 0,
			   (uintmax_t)lim.msgmnb, false, true);
	}
	if (pmsg) {
		do_pmsg(ctl, NULL, NULL, &n);
		/* compared unsigned by the kernel: -1 is 4294967295 */
		global_row(ctl, tb, "MQUMNI", "Number of POSIX message queues",
			   (uintmax_t)n, (unsigned int)lim.queues_max, true,
			   false);
		global_row(ctl, tb, "MQUMAX",
			   "Max size of POSIX message (bytes)", 0,
			   (uintmax_t)lim.msgsize_max, false, true);
		global_row(ctl, tb, "MQUMNB",
			   "Number of messages in POSIX message queue", 0,
			   (uintmax_t)lim.msg_max, false, false);
	}
}

/* ---- output ----------------------------------------------------------- */

/* One line per column of the first row: "Pretty name:" then the value
 * at column 36, both padded. */
static void print_pretty(const struct ctl *ctl, const struct table *tb)
{
	if (!tb_rows(tb))
		return;
	for (size_t n = 0; n < ctl->ncolumns; n++) {
		const char *h = coldescs[ctl->columns[n]].pretty;
		const char *v = tb_cell(tb, 0, n);

		if (v)
			printf("%s:%*c%-36s\n", h, 35 - (int)strlen(h), ' ', v);
	}
}

int umq_cmd_lsipc(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bytes", no_argument, NULL, 'b' },
		{ "creator", no_argument, NULL, 'c' },
		{ "export", no_argument, NULL, 'e' },
		{ "global", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ "id", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'J' },
		{ "list", no_argument, NULL, 'l' },
		{ "name", required_argument, NULL, 'N' },
		{ "newline", no_argument, NULL, 'n' },
		{ "noheadings", no_argument, NULL, OPT_NOHEAD },
		{ "notruncate", no_argument, NULL, OPT_NOTRUNC },
		{ "numeric-perms", no_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'o' },
		{ "posix-mqueues", no_argument, NULL, 'Q' },
		{ "queues", no_argument, NULL, 'q' },
		{ "raw", no_argument, NULL, 'r' },
		{ "time", no_argument, NULL, 't' },
		{ "time-format", required_argument, NULL, OPT_TIME_FMT },
		{ "version", no_argument, NULL, 'V' },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl ctl = { .ncols = UL238_NCOLS };
	int seen[8] = { 0 };
	int opt, msg = 0, pmsg = 0, global = 0, show_time = 0, show_creat = 0;
	int id = -1;
	const char *outarg = NULL, *name = NULL, *dir = NULL;
	struct table *tb;
	enum tb_mode mode;

	tool_start(argv);

	while ((opt = getopt_long(argc, argv, "bceghi:JlN:no:PQqrtV", longopts,
				  NULL)) != -1) {
		exclusive(opt, seen);
		switch (opt) {
		case 'b': ctl.bytes = true; break;
		case 'i':
			id = parse_s32(optarg, "failed to parse IPC identifier");
			break;
		case 'N': name = optarg; break;
		case 'e': ctl.outmode = OUT_EXPORT; break;
		case 'r': ctl.outmode = OUT_RAW; break;
		case 'o': outarg = optarg; break;
		case 'g': global = 1; break;
		case 'q':
			msg = 1;
			add_column(&ctl, COL_KEY);
			add_column(&ctl, COL_ID);
			add_column(&ctl, COL_PERMS);
			add_column(&ctl, COL_OWNER);
			add_column(&ctl, COL_USEDBYTES);
			add_column(&ctl, COL_MSGS);
			add_column(&ctl, COL_LSPID);
			add_column(&ctl, COL_LRPID);
			ctl.lower = MSG_FIRST;
			ctl.upper = MSG_LAST;
			break;
		case 'Q':
			pmsg = 1;
			ctl.ncols = UL241_NCOLS;
			add_column(&ctl, COL_NAME);
			add_column(&ctl, COL_PERMS);
			add_column(&ctl, COL_OWNER);
			add_column(&ctl, COL_MTIME);
			add_column(&ctl, COL_USEDBYTES);
			add_column(&ctl, COL_MSGS);
			ctl.lower = POSIX_FIRST;
			ctl.upper = POSIX_LAST;
			break;
		case 'l': ctl.outmode = OUT_LIST; break;
		case 'n': ctl.outmode = OUT_NEWLINE; break;
		case 'P': ctl.numperms = true; break;
		case OPT_NOTRUNC: break;
		case OPT_NOHEAD: ctl.noheadings = true; break;
		case OPT_TIME_FMT:
			if (!strcmp(optarg, "short"))
				ctl.time_mode = TIME_SHORT;
			else if (!strcmp(optarg, "full"))
				ctl.time_mode = TIME_FULL;
			else if (!strcmp(optarg, "iso"))
				ctl.time_mode = TIME_ISO;
			else
				errx(EXIT_FAILURE, "unknown time format: %s",
				     optarg);
			break;
		case 'J': ctl.outmode = OUT_JSON; break;
		case 't': show_time = 1; break;
		case 'c': show_creat = 1; break;
		case OPT_DIR: dir = optarg; break;
		case 'h': usage();
		case 'V': print_version();
		default: try_help(EXIT_FAILURE);
		}
	}

	if (msg + pmsg == 0) {
		msg = pmsg = global = 1;
		if (show_time || show_creat || id != -1 || name)
			errx(EXIT_FAILURE, name ?
			     "--global is mutually exclusive with --creator, "
			     "--id, --name and --time" :
			     "--global is mutually exclusive with --creator, "
			     "--id and --time");
	}
	if (global) {
		add_column(&ctl, COL_RESOURCE);
		add_column(&ctl, COL_DESC);
		add_column(&ctl, COL_LIMIT);
		add_column(&ctl, COL_USED);
		add_column(&ctl, COL_USEPERC);
		ctl.lower = SUM_FIRST;
		ctl.upper = SUM_LAST;
	}
	if ((id != -1 || name) && !ctl.outmode)
		ctl.outmode = OUT_PRETTY;
	if (!ctl.time_mode)
		ctl.time_mode = ctl.outmode == OUT_PRETTY ? TIME_FULL :
							    TIME_SHORT;
	/*
	 * Every column that has a value, then -o's: lsipc 2.38 means to
	 * skip this for -o but tests getopt's optarg, NULL by now, so that
	 * -o +LIST adds to all columns (-o LIST replaces them anyway).
	 * All of lsipc's, which leave that much less room for +LIST.
	 */
	if (ctl.outmode == OUT_PRETTY && !(show_creat || show_time)) {
		ctl.ncolumns = 0;
		for (int i = 0; i < NCOLDESCS; i++)
			add_column(&ctl, i);
		ctl.hidden = ctl.ncols - NCOLDESCS;
	} else {
		if (show_creat) {
			add_column(&ctl, COL_CUID);
			add_column(&ctl, COL_CGID);
			if (!pmsg) {
				add_column(&ctl, COL_UID);
				add_column(&ctl, COL_GID);
			}
		}
		if (msg && show_time) {
			add_column(&ctl, COL_SEND);
			add_column(&ctl, COL_RECV);
			add_column(&ctl, COL_CTIME);
		}
	}
	if (outarg && parse_columns(&ctl, outarg) < 0)
		return EXIT_FAILURE;

	tool_ns(dir, false);
	tb = tb_new();
	for (size_t n = 0; n < ctl.ncolumns; n++)
		tb_add_column(tb, coldescs[ctl.columns[n]].name,
			      coldescs[ctl.columns[n]].flags);
	if (global) {
		tb_set_name(tb, "ipclimits");
		do_global(&ctl, tb, msg, pmsg);
	} else if (msg) {
		do_msg(&ctl, tb, id);
	} else {
		do_pmsg(&ctl, tb, name, NULL);
	}

	switch (ctl.outmode) {
	case OUT_PRETTY:
		print_pretty(&ctl, tb);
		tb_free(tb);
		return EXIT_SUCCESS;
	case OUT_EXPORT: mode = TB_EXPORT; break;
	case OUT_NEWLINE: mode = TB_NEWLINE; break;
	case OUT_RAW: mode = TB_RAW; break;
	case OUT_JSON: mode = TB_JSON; break;
	default: mode = TB_NORMAL; break;
	}
	tb_print(tb, stdout, mode, ctl.noheadings);
	tb_free(tb);
	return EXIT_SUCCESS;
}
