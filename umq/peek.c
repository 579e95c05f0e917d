/* SPDX-License-Identifier: MIT */
/*
 * peek.c - `umq peek`: the messages of a queue, without removing them, in
 * the order receives would take them (umq_msgpeek, umq_mq_peek_name), as
 * escaped text, a hex dump or JSON lines; with --wait, once the first of
 * them is there (umq_msgclockpeek, umq_mq_clockpeek).
 */
#include "cmd.h"
#include "msgio.h"
#include "table.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum format { F_TEXT, F_HEX, F_JSON };

static void put_escaped(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (c == '\\')
			fputs("\\\\", stdout);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

static void put_hexdump(const unsigned char *p, size_t n)
{
	for (size_t off = 0; off < n; off += 16) {
		printf("  %08zx ", off);
		for (size_t i = off; i < off + 16; i++) {
			if (i < n)
				printf(" %02x", p[i]);
			else
				fputs("   ", stdout);
		}
		fputs("  |", stdout);
		for (size_t i = off; i < off + 16 && i < n; i++)
			putchar(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.');
		puts("|");
	}
}

/* Well-formed UTF-8 without NUL: JSON can carry it as a string. */
static bool json_text(const unsigned char *p, size_t n)
{
	for (size_t i = 0, k; i < n; i += k)
		if (!p[i] || !(k = utf8_len(p + i, n - i)))
			return false;
	return true;
}

static void show(const struct umq_peek_msg *m, bool posix, enum format f)
{
	const unsigned char *p = m->text;

	switch (f) {
	case F_TEXT:
		printf("%5lu %10ld %8zu  ", m->index, m->type, m->len);
		put_escaped(p, m->copied);
		putchar('\n');
		break;
	case F_HEX:
		printf("index %lu, %s %ld, %zu bytes\n", m->index,
		       posix ? "priority" : "type", m->type, m->len);
		put_hexdump(p, m->copied);
		break;
	case F_JSON:
		printf("{\"index\":%lu,\"%s\":%ld,\"size\":%zu,", m->index,
		       posix ? "priority" : "type", m->type, m->len);
		if (json_text(p, m->copied)) {
			char *s = malloc(m->copied + 1);
			if (!s)
				err(EXIT_FAILURE, "cannot allocate");
			memcpy(s, p, m->copied);
			s[m->copied] = 0;
			fputs("\"text\":", stdout);
			json_string(stdout, s);
			free(s);
		} else {
			fputs("\"hex\":\"", stdout);
			for (size_t i = 0; i < m->copied; i++)
				printf("%02x", p[i]);
			putchar('"');
		}
		puts("}");
		break;
	}
}

static ssize_t peek_at(const struct target *t, long type, int flg,
		       size_t index, struct umq_peek_msg *m, size_t n)
{
	ssize_t r = t->name ? umq_mq_peek_name(t->name, index, m, n) :
			      umq_msgpeek(t->id, type, flg, index, m, n);
	if (r < 0)
		fail(t, "peek at");
	return r;
}

/*
 * --wait: until a message the selector takes is queued, or the deadline
 * (at, NULL: none) passes (exit 124, as timeout(1)).  A message handed
 * straight to a blocked receiver is never queued: it is not waited for.
 */
static void wait_first(const struct target *t, long type, int flg,
		       const struct timespec *at, double secs)
{
	struct umq_peek_msg m = { 0 };	/* its length only */
	ssize_t r;
	mqd_t d;
	int e;

	if (t->name) {
		d = umq_mq_open(t->name, O_RDONLY | UMQ_O_NOPOLL);
		if (d == (mqd_t)-1)
			fail(t, "open");
		r = umq_mq_clockpeek(d, 0, &m, 1, CLOCK_MONOTONIC, at);
		e = errno;
		umq_mq_close(d);
		errno = e;
	} else {
		r = umq_msgclockpeek(t->id, type, flg, 0, &m, 1,
				     CLOCK_MONOTONIC, at);
	}
	if (r < 0 && errno == ETIMEDOUT)
		errx(EXIT_TIMEOUT, "timed out after %gs waiting for a message "
		     "in %s", secs, t->arg);
	if (r < 0)
		fail(t, "wait on");
}

#define BATCH 32
#define SLOT 8192

static void do_peek(const struct target *t, long type, int flg,
		    unsigned long max, enum format f)
{
	static struct umq_peek_msg m[BATCH];
	static char buf[BATCH][SLOT];
	unsigned long done = 0;
	bool head = f == F_TEXT;

	while (done < max) {
		size_t want = max - done < BATCH ? max - done : BATCH;
		for (size_t i = 0; i < want; i++)
			m[i] = (struct umq_peek_msg){ .text = buf[i],
						      .size = SLOT };
		ssize_t got = peek_at(t, type, flg, done, m, want);
		if (head)	/* after the first call: not above an error */
			printf("%5s %10s %8s  %s\n", "INDEX",
			       t->name ? "PRIO" : "TYPE", "SIZE", "TEXT");
		head = false;
		for (ssize_t i = 0; i < got; i++) {
			/* Longer than a slot: that one again, whole. */
			while (m[i].copied < m[i].len) {
				struct umq_peek_msg big = { .size = m[i].len };
				big.text = malloc(big.size);
				if (!big.text)
					err(EXIT_FAILURE, "cannot allocate");
				if (peek_at(t, type, flg, m[i].index, &big,
					    1) != 1) {
					free(big.text);
					return;	/* received meanwhile */
				}
				if (big.copied == big.len) {
					show(&big, t->name, f);
					m[i].len = m[i].copied = 0;
				} else {
					m[i].len = big.len;
				}
				free(big.text);
				if (!m[i].len)
					goto next;
			}
			show(&m[i], t->name, f);
next:;
		}
		done += (unsigned long)got;
		if ((size_t)got < want)
			break;
	}
}

__attribute__((noreturn)) static void usage_peek(void)
{
	printf("\nUsage:\n"
	       " %s [--dir DIR] [options] <id>|/<name>\n\n"
	       "Show the messages of a queue without removing them, in the\n"
	       "order receives would take them.\n\n"
	       "Options:\n"
	       " -n, --count <n>          show at most n messages (default all)\n"
	       " -t, --type <type>        System V: msgrcv's selector (0 any,\n"
	       "                          >0 that type, <0 lowest type <= -type)\n"
	       "     --except             with --type >0: any other type\n"
	       " -w, --wait               wait until the queue holds a message\n"
	       "                          (one --type takes), then show\n"
	       " -T, --timeout <secs>     with --wait: give up after secs\n"
	       "                          (exit status 124)\n"
	       " -f, --format <fmt>       text (escaped), hex or json (one\n"
	       "                          object a line; binary text as \"hex\")\n"
	       "     --dir <dir>          the namespace (default $UMQ_DIR, else\n"
	       "                          /dev/shm/umq)\n\n"
	       " -h, --help               display this help\n",
	       program_invocation_short_name);
	exit(EXIT_SUCCESS);
}

int umq_cmd_peek(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "type", required_argument, NULL, 't' },
		{ "except", no_argument, NULL, OPT_EXCEPT },
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "format", required_argument, NULL, 'f' },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL;
	unsigned long max = ULONG_MAX;
	enum format f = F_TEXT;
	bool typed = false, wait = false;
	struct timespec at, *deadline = NULL;
	double secs = -1;
	long type = 0;
	int c, flg = 0;
	struct target t;

	tool_start(argv);
	while ((c = getopt_long(argc, argv, "n:t:wT:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			max = (unsigned long)parse_long(optarg,
							"invalid count");
			if ((long)max < 0)
				errx(EXIT_FAILURE, "invalid count: '%s'",
				     optarg);
			break;
		case 't':
			type = parse_long(optarg, "invalid type");
			typed = true;
			break;
		case OPT_EXCEPT:
			flg |= MSG_EXCEPT;
			break;
		case 'w':
			wait = true;
			break;
		case 'T':
			secs = parse_timeout(optarg, &at);
			deadline = &at;
			break;
		case 'f':
			if (!strcmp(optarg, "text"))
				f = F_TEXT;
			else if (!strcmp(optarg, "hex"))
				f = F_HEX;
			else if (!strcmp(optarg, "json"))
				f = F_JSON;
			else
				errx(EXIT_FAILURE, "unknown format: '%s'",
				     optarg);
			break;
		case OPT_DIR:
			dir = optarg;
			break;
		case 'h':
			usage_peek();
		default:
			try_help(EXIT_FAILURE);
		}
	}
	check_operands(argc, argv, 1);
	parse_target(argv[optind], &t, typed || flg);
	if (deadline && !wait)
		errx(EXIT_FAILURE, "--timeout is for --wait");
	tool_ns(dir, false);
	if (wait)
		wait_first(&t, type, flg, deadline, secs);
	do_peek(&t, type, flg, max, f);
	return EXIT_SUCCESS;
}
