/* SPDX-License-Identifier: MIT */
/*
 * table.h - tables printed the way util-linux's libsmartcols prints them
 * when its output is not a terminal: columns as wide as their widest
 * cell or heading (printed or not), one space between them, left or
 * right aligned, the last column unpadded; or raw, export
 * (NAME="value"), one value per line, or JSON (every value a string,
 * null when empty).  For lsipc and the tools that come after it (peek,
 * top, metrics).
 */
#ifndef UMQ_TABLE_H
#define UMQ_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TB_RIGHT 1		/* column flag: right-aligned */

enum tb_mode {
	TB_NORMAL,
	TB_RAW,			/* space-separated, unsafe bytes as \xNN */
	TB_EXPORT,		/* NAME="value" ... */
	TB_NEWLINE,		/* NAME="value", one per line */
	TB_JSON,
};

struct table;

struct table *tb_new(void);
void tb_free(struct table *tb);
/* The name of the JSON array ("" when unset, as libsmartcols). */
void tb_set_name(struct table *tb, const char *name);
size_t tb_add_column(struct table *tb, const char *name, int flags);
/* Start a row; its cells are empty until set. */
void tb_add_row(struct table *tb);
/* Set a cell of the last row: the table takes value (malloc'd, or NULL
 * for empty). */
void tb_set(struct table *tb, size_t col, char *value);
void tb_setf(struct table *tb, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
size_t tb_rows(const struct table *tb);
size_t tb_cols(const struct table *tb);
const char *tb_cell(const struct table *tb, size_t row, size_t col);
const char *tb_col_name(const struct table *tb, size_t col);
void tb_print(const struct table *tb, FILE *out, enum tb_mode mode,
	      bool noheadings);

/* JSON string escaping, as libsmartcols (also for other JSON output). */
void json_string(FILE *out, const char *s);

#endif
