/* SPDX-License-Identifier: MIT */
/*
 * table.c - see table.h.  The rules are those libsmartcols 2.38 applies
 * to a table that is not sent to a terminal (no width limit, so nothing
 * is truncated or wrapped); the escaping of unsafe bytes follows its
 * mbs_safe_encode / fputs_nonblank / fputs_quoted.
 */
#include "table.h"
#include "util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

struct column {
	char *name;
	int flags;
};

struct table {
	char *name;
	struct column *cols;
	size_t ncols;
	char **cells;			/* nrows x ncols */
	size_t nrows, cap;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		err(EXIT_FAILURE, "cannot allocate memory");
	return p;
}

struct table *tb_new(void)
{
	struct table *tb = calloc(1, sizeof(*tb));

	if (!tb)
		err(EXIT_FAILURE, "cannot allocate memory");
	return tb;
}

void tb_free(struct table *tb)
{
	if (!tb)
		return;
	for (size_t i = 0; i < tb->nrows * tb->ncols; i++)
		free(tb->cells[i]);
	for (size_t i = 0; i < tb->ncols; i++)
		free(tb->cols[i].name);
	free(tb->cells);
	free(tb->cols);
	free(tb->name);
	free(tb);
}

void tb_set_name(struct table *tb, const char *name)
{
	free(tb->name);
	tb->name = name ? xstrdup(name) : NULL;
}

size_t tb_add_column(struct table *tb, const char *name, int flags)
{
	/* Columns come before rows. */
	tb->cols = xrealloc(tb->cols, (tb->ncols + 1) * sizeof(*tb->cols));
	tb->cols[tb->ncols].name = xstrdup(name);
	tb->cols[tb->ncols].flags = flags;
	return tb->ncols++;
}

void tb_add_row(struct table *tb)
{
	if (tb->nrows == tb->cap) {
		tb->cap = tb->cap ? tb->cap * 2 : 16;
		tb->cells = xrealloc(tb->cells,
				     tb->cap * tb->ncols * sizeof(char *));
	}
	memset(tb->cells + tb->nrows * tb->ncols, 0,
	       tb->ncols * sizeof(char *));
	tb->nrows++;
}

void tb_set(struct table *tb, size_t col, char *value)
{
	char **c = &tb->cells[(tb->nrows - 1) * tb->ncols + col];

	free(*c);
	*c = value;
}

void tb_setf(struct table *tb, size_t col, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		err(EXIT_FAILURE, "cannot allocate memory");
	va_end(ap);
	tb_set(tb, col, s);
}

size_t tb_rows(const struct table *tb) { return tb->nrows; }
size_t tb_cols(const struct table *tb) { return tb->ncols; }

const char *tb_cell(const struct table *tb, size_t row, size_t col)
{
	return tb->cells[row * tb->ncols + col];
}

const char *tb_col_name(const struct table *tb, size_t col)
{
	return tb->cols[col].name;
}

/* ---- encodings ---------------------------------------------------- */

/*
 * Write s with unsafe bytes as \xNN; blanks too when nonblank (raw
 * mode).  Returns the display width written.  Printable multibyte
 * characters of the locale pass through.
 */
static size_t put_safe(FILE *out, const char *s, bool nonblank)
{
	mbstate_t st;
	size_t width = 0, len = s ? strlen(s) : 0;

	memset(&st, 0, sizeof(st));
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		wchar_t wc;
		size_t n;
		int w;

		if (c < 0x80) {
			if ((nonblank && (isblank(c) || c == '\\')) ||
			    (!nonblank && c == '\\' && s[i + 1] == 'x') ||
			    !isprint(c)) {
				if (out)
					fprintf(out, "\\x%02x", c);
				width += 4;
			} else {
				if (out)
					fputc(c, out);
				width++;
			}
			i++;
			continue;
		}
		n = mbrtowc(&wc, s + i, len - i, &st);
		if (n == (size_t)-1 || n == (size_t)-2 || !n ||
		    (w = wcwidth(wc)) < 0 || !iswprint((wint_t)wc)) {
			memset(&st, 0, sizeof(st));
			if (out)
				fprintf(out, "\\x%02x", c);
			width += 4;
			i++;
			continue;
		}
		if (out)
			fwrite(s + i, 1, n, out);
		width += (size_t)w;
		i += n;
	}
	return width;
}

static void put_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (const char *p = s; p && *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\' || c == '`' || c == '$' ||
		    (c < 0x80 && (!isprint(c) || iscntrl(c))))
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const char *p = s; p && *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
		} else if (c >= 0x20) {
			fputc(c, out);
		} else {
			switch (c) {
			case '\n': fputs("\\n", out); break;
			case '\t': fputs("\\t", out); break;
			case '\b': fputs("\\b", out); break;
			case '\f': fputs("\\f", out); break;
			case '\r': fputs("\\r", out); break;
			default: fprintf(out, "\\u%04x", c);
			}
		}
	}
	fputc('"', out);
}

/* ---- printing ----------------------------------------------------- */

static void pad(FILE *out, size_t n)
{
	while (n--)
		fputc(' ', out);
}

static void print_line(const struct table *tb, FILE *out, char *const *cell,
		       const size_t *width)
{
	for (size_t c = 0; c < tb->ncols; c++) {
		const char *s = cell[c];
		size_t w = put_safe(NULL, s, false);
		bool last = c + 1 == tb->ncols;

		if (c)
			fputc(' ', out);
		/* libsmartcols pads no empty last cell, even right-aligned
		 * (lsipc -o KEY,PERMS -P). */
		if (last && (!s || !*s))
			break;
		if (tb->cols[c].flags & TB_RIGHT)
			pad(out, width[c] - w);
		put_safe(out, s, false);
		if (!(tb->cols[c].flags & TB_RIGHT) && !last)
			pad(out, width[c] - w);
	}
	fputc('\n', out);
}

static void print_normal(const struct table *tb, FILE *out, bool noheadings)
{
	size_t *width = calloc(tb->ncols ? tb->ncols : 1, sizeof(*width));
	char **head = calloc(tb->ncols ? tb->ncols : 1, sizeof(*head));

	if (!width || !head)
		err(EXIT_FAILURE, "cannot allocate memory");
	/* The headings count even when they are not printed, as in
	 * libsmartcols (it takes them as each column's least width). */
	for (size_t c = 0; c < tb->ncols; c++) {
		head[c] = tb->cols[c].name;
		width[c] = put_safe(NULL, head[c], false);
		for (size_t r = 0; r < tb->nrows; r++) {
			size_t w = put_safe(NULL, tb_cell(tb, r, c), false);
			if (w > width[c])
				width[c] = w;
		}
	}
	if (!noheadings)
		print_line(tb, out, head, width);
	for (size_t r = 0; r < tb->nrows; r++)
		print_line(tb, out, tb->cells + r * tb->ncols, width);
	free(head);
	free(width);
}

static void print_json(const struct table *tb, FILE *out)
{
	fputs("{\n   ", out);
	json_string(out, tb->name ? tb->name : "");
	fputs(": [\n", out);
	if (!tb->nrows)
		fputc('\n', out);
	for (size_t r = 0; r < tb->nrows; r++) {
		fputs(r ? "},{\n" : "      {\n", out);
		for (size_t c = 0; c < tb->ncols; c++) {
			const char *s = tb_cell(tb, r, c);
			char *key = xstrdup(tb->cols[c].name);

			for (char *k = key; *k; k++)
				*k = (char)tolower((unsigned char)*k);
			fputs("         ", out);
			json_string(out, key);
			fputs(": ", out);
			if (s && *s)
				json_string(out, s);
			else
				fputs("null", out);
			fputs(c + 1 < tb->ncols ? ",\n" : "\n", out);
			free(key);
		}
		fputs("      ", out);
	}
	if (tb->nrows)
		fputs("}\n", out);
	fputs("   ]\n}\n", out);
}

void tb_print(const struct table *tb, FILE *out, enum tb_mode mode,
	      bool noheadings)
{
	/* libsmartcols prints nothing at all for a table without lines
	 * (but JSON's frame). */
	if (mode == TB_JSON) {
		print_json(tb, out);
		return;
	}
	if (!tb->nrows)
		return;
	if (mode == TB_NORMAL) {
		print_normal(tb, out, noheadings);
		return;
	}
	if (mode == TB_RAW && !noheadings) {
		for (size_t c = 0; c < tb->ncols; c++) {
			if (c)
				fputc(' ', out);
			put_safe(out, tb->cols[c].name, true);
		}
		fputc('\n', out);
	}
	for (size_t r = 0; r < tb->nrows; r++) {
		for (size_t c = 0; c < tb->ncols; c++) {
			const char *s = tb_cell(tb, r, c);

			if (c)
				fputc(mode == TB_NEWLINE ? '\n' : ' ', out);
			if (mode == TB_RAW) {
				put_safe(out, s, true);
				continue;
			}
			fputs(tb->cols[c].name, out);
			fputc('=', out);
			put_quoted(out, s);
		}
		fputc('\n', out);
	}
}
