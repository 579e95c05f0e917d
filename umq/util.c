/* SPDX-License-Identifier: MIT */
/*
 * util.c - see util.h.  The formats are util-linux's (lib/strutils.c,
 * lib/timeutils.c), rewritten: the point is the same bytes on output.
 */
#include "util.h"

#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void close_stdout(void)
{
	/* As util-linux's closestream: a failed write is an error. */
	if (fflush(stdout) || ferror(stdout)) {
		if (errno == EPIPE)
			_exit(1);
		warn("write error");
		_exit(1);
	}
}

/*
 * A standard descriptor closed at start (`>&-`) would be the number the
 * next open gets - a queue's descriptor, say, which output would then be
 * written into.  Hold each with /dev/null opened the wrong way round, so
 * that using it still fails (EBADF) as on the closed descriptor.
 */
static void hold_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int h = open("/dev/null", fd ? O_RDONLY : O_WRONLY);
		if (h >= 0 && h != fd) {
			dup2(h, fd);
			close(h);
		}
	}
}

void close_stdout_atexit(void)
{
	atexit(close_stdout);
}

void print_version(void)
{
	printf("umq %d.%d\n", UMQ_VERSION_MAJOR, UMQ_VERSION_MINOR);
	exit(EXIT_SUCCESS);
}

void tool_start(char **argv)
{
	static char name[64];
	const char *n = argv[0];

	if (!strncmp(n, "umq ", 4))
		n += 4;
	snprintf(name, sizeof(name), "umq %s", n);
	/* For err(3) and getopt's messages: "umq ipcs: ...". */
	argv[0] = program_invocation_short_name = program_invocation_name =
		name;
	setlocale(LC_ALL, "");
	hold_std_fds();
	close_stdout_atexit();
}

void try_help(int rc)
{
	fprintf(stderr, "Try '%s --help' for more information.\n",
		program_invocation_short_name);
	exit(rc);
}

void check_operands(int argc, char **argv, int max)
{
	int n = argc - optind;

	if (max == 0 && n > 0)
		warnx("unexpected argument '%s'", argv[optind]);
	else if (max > 0 && n < 1)
		warnx("no queue specified");
	else if (n > max)
		warnx("too many arguments");
	else
		return;
	try_help(EXIT_FAILURE);
}

void tool_ns(const char *dir, bool create)
{
	struct stat st;
	char ns[PATH_MAX];

	if (!dir) {
		dir = getenv("UMQ_DIR");
		if (dir && !*dir)
			dir = NULL;
	}
	if (dir && !(create && stat(dir, &st) && errno == ENOENT)) {
		if (stat(dir, &st))
			err(EXIT_FAILURE, "cannot open namespace %s", dir);
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			err(EXIT_FAILURE, "cannot open namespace %s", dir);
		}
		snprintf(ns, sizeof(ns), "%s/ns", dir);
		if (!create && access(ns, F_OK)) {
			if (errno != ENOENT)
				err(EXIT_FAILURE, "cannot open namespace %s",
				    dir);
			errx(EXIT_FAILURE, "%s: not a umq namespace", dir);
		}
	}
	if (umq_ns_use(dir))
		err(EXIT_FAILURE, "cannot open namespace %s",
		    dir ? dir : "/dev/shm/umq");
}

int32_t parse_s32(const char *str, const char *msg)
{
	char *end = NULL;
	intmax_t v;

	errno = 0;
	if (!str || !*str)
		goto fail;
	v = strtoimax(str, &end, 10);
	if (errno || end == str || *end)
		goto fail;
	if (v < INT32_MIN || v > INT32_MAX) {
		errno = ERANGE;
		goto fail;
	}
	return (int32_t)v;
fail:
	if (errno == ERANGE)
		err(EXIT_FAILURE, "%s: '%s'", msg, str);
	errx(EXIT_FAILURE, "%s: '%s'", msg, str);
}

const char *user_name(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);
	return pw ? pw->pw_name : NULL;
}

const char *group_name(gid_t gid)
{
	struct group *gr = getgrgid(gid);
	return gr ? gr->gr_name : NULL;
}

char *human_size(uint64_t bytes, char *buf, size_t n)
{
	static const char letters[] = "BKMGTPE";
	int exp = 0, dec;
	uint64_t frac = 0;

	/* The exponent: 2^exp <= bytes < 2^(exp+10), in KiB..EiB. */
	while (exp < 60 && bytes >= (1ULL << (exp + 10)))
		exp += 10;
	dec = (int)(exp ? bytes >> exp : bytes);
	if (exp)
		frac = bytes & ((1ULL << exp) - 1);
	if (frac) {
		/* Three decimals, then rounded to one. */
		if (frac >= UINT64_MAX / 1000)
			frac = ((frac / 1024) * 1000) / (1ULL << (exp - 10));
		else
			frac = (frac * 1000) / (1ULL << exp);
		frac = ((frac + 50) / 100) * 10;
		if (frac == 100) {
			dec++;
			frac = 0;
		}
	}
	if (frac) {
		const char *dp = localeconv()->decimal_point;
		/* "%d.%02d" less its trailing zero: one decimal. */
		snprintf(buf, n, "%d%s%" PRIu64 "%c", dec,
			 dp && *dp ? dp : ".", frac / 10, letters[exp / 10]);
	} else {
		snprintf(buf, n, "%d%c", dec, letters[exp / 10]);
	}
	return buf;
}

char *str_mode(unsigned mode, char *buf)
{
	static const char rwx[] = "rwxrwxrwx";

	for (int i = 0; i < 9; i++)
		buf[i] = mode & (0400u >> i) ? rwx[i] : '-';
	buf[9] = 0;
	return buf;
}

char *str_ctime(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	char tmp[64];

	if (!ctime_r(&tt, tmp))
		snprintf(tmp, sizeof(tmp), "%" PRId64 "\n", t);
	tmp[strcspn(tmp, "\n")] = 0;
	snprintf(buf, n, "%s", tmp);
	return buf;
}

char *str_short_time(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t, now = time(NULL);
	struct tm tm, tmnow;

	localtime_r(&tt, &tm);
	localtime_r(&now, &tmnow);
	if (tm.tm_year == tmnow.tm_year && tm.tm_yday == tmnow.tm_yday)
		snprintf(buf, n, "%02d:%02d", tm.tm_hour, tm.tm_min);
	else if (tm.tm_year == tmnow.tm_year)
		strftime(buf, n, "%b%d", &tm);
	else
		strftime(buf, n, "%Y-%b%d", &tm);
	return buf;
}

char *str_iso_time(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	long off;

	localtime_r(&tt, &tm);
	off = tm.tm_gmtoff / 60;
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 60,
		 labs(off) % 60);
	return buf;
}

size_t utf8_len(const void *s, size_t n)
{
	const unsigned char *p = s;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t k;

	if (!n)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	k = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	/* The second byte's range is what rules out overlong forms (E0,
	 * F0), surrogates (ED) and code points above U+10FFFF (F4). */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < k || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return k;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		err(EXIT_FAILURE, "cannot allocate memory");
	return s;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		err(EXIT_FAILURE, "cannot allocate memory");
	return d;
}
