/* SPDX-License-Identifier: MIT */
/*
 * util.h - what the subcommands share: the namespace to work on, the
 * value formats of util-linux (sizes, times, modes, names) and its way of
 * parsing numbers and reporting errors (err(3) with the command's name).
 */
#ifndef UMQ_UTIL_H
#define UMQ_UTIL_H

#include <err.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "umq.h"

/* Long option shared by every subcommand. */
#define OPT_DIR 0x100

/*
 * Every subcommand starts with this: it goes by "umq <name>" (argv[0]
 * is its name) in messages, uses the locale, and checks at exit, as
 * util-linux does, that stdout was written.
 */
void tool_start(char **argv);

/* -V, --version: "umq 0.4", the same for umq and its commands. */
__attribute__((noreturn)) void print_version(void);

/* What tool_start() does for stdout, for umq itself (-h, -V). */
void close_stdout_atexit(void);

/* "Try 'umq ipcs --help' for more information." and exit(rc). */
__attribute__((noreturn)) void try_help(int rc);

/* The operands after the options: none when max is 0, else a queue and
 * at most max in all.  Anything else is a usage error, worded as
 * util-linux words it. */
void check_operands(int argc, char **argv, int max);

/*
 * Select the namespace: dir (--dir), else $UMQ_DIR, else the default
 * one.  Unless create, a directory named explicitly must exist and be a
 * namespace already: nothing is created by looking.  Exits with a
 * one-line message on failure.
 */
void tool_ns(const char *dir, bool create);

/* util-linux's strtos32_or_err / strtou32: exit 1 with "msg: 'str'". */
int32_t parse_s32(const char *str, const char *msg);

/* User and group names, NULL when there is no entry. */
const char *user_name(uid_t uid);
const char *group_name(gid_t gid);

/* size_to_human_string(SIZE_SUFFIX_1LETTER): "0B", "1.5K", "16K". */
char *human_size(uint64_t bytes, char *buf, size_t n);

/* "rw-r--r--" of the permission bits. */
char *str_mode(unsigned mode, char *buf);

/* ctime(3) without its newline ("Wed Dec  2 08:46:37 2026"). */
char *str_ctime(int64_t t, char *buf, size_t n);
/* lsipc's short time: "08:46" today, "Dec02" this year, "2025-Dec02". */
char *str_short_time(int64_t t, char *buf, size_t n);
/* ISO 8601 with 'T' and the zone: "2026-12-02T08:48:26+00:00". */
char *str_iso_time(int64_t t, char *buf, size_t n);

/*
 * The length (1 to 4) of the well-formed UTF-8 character (RFC 3629) that
 * starts the n bytes at s, 0 if they do not start one: no overlong form,
 * surrogate or code point above U+10FFFF, whatever the locale.
 */
size_t utf8_len(const void *s, size_t n);

/* asprintf that exits on failure. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xstrdup(const char *s);

#endif
