/* SPDX-License-Identifier: MIT */
/*
 * report.c - how figures are printed: a median with the spread of the
 * runs, and ratios that read "how many times better".
 */
#include "bench.h"

int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median, min and max of the n values of v (sorted in place); NAN if any
 * run failed. */
struct spread spread_of(double *v, int n)
{
	struct spread s = { NAN, NAN, NAN };
	int i;

	for (i = 0; i < n; i++)
		if (isnan(v[i]))
			return s;
	if (!n)
		return s;
	qsort(v, n, sizeof(double), cmp_double);
	s.med = v[n / 2];
	s.min = v[0];
	s.max = v[n - 1];
	return s;
}

/* "1.74 M", "353 k", "26.5": three significant digits or so. */
static void fmt_num(char *buf, size_t len, double v)
{
	if (v >= 1e6)
		snprintf(buf, len, "%.3g M", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, len, "%.3g k", v / 1e3);
	else if (v >= 100)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.3g", v);
}

void fmt_value(char *buf, size_t len, double v, const char *unit)
{
	char n[24];

	if (isnan(v)) {
		snprintf(buf, len, "-");
		return;
	}
	fmt_num(n, sizeof(n), v);
	snprintf(buf, len, "%s%s%s", n, unit ? " " : "", unit ? unit : "");
}

/* "1.74 M (1.61-1.80)": the median and the range of the runs. */
void fmt_spread(char *buf, size_t len, struct spread s)
{
	char m[24], lo[24], hi[24];

	if (isnan(s.med)) {
		snprintf(buf, len, "-");
		return;
	}
	fmt_num(m, sizeof(m), s.med);
	fmt_num(lo, sizeof(lo), s.min);
	fmt_num(hi, sizeof(hi), s.max);
	if (runs == 1 || s.min == s.max)
		snprintf(buf, len, "%s", m);
	else
		snprintf(buf, len, "%s (%s-%s)", m, lo, hi);
}

/* How many times better x (umq) is than y: x/y, or y/x for times. */
void fmt_ratio(char *buf, size_t len, double x, double y, int lower_better)
{
	double r = lower_better ? y / x : x / y;

	if (isnan(r) || isinf(r))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, r >= 10 ? "%.0fx" : r >= 0.1 ? "%.2fx" :
			 "%.2gx", r);
}
