/* SPDX-License-Identifier: MIT */
/*
 * snap.h - one look at a namespace for `umq top` and `umq metrics`: every
 * queue's counters (umq_stats_list_*) and every bridge's status file
 * (<namespace>/bridges/<name>), with the time it was taken, and the
 * rates between two looks.
 */
#ifndef UMQ_SNAP_H
#define UMQ_SNAP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "umq.h"

/* The counters of a bridge's file, in the order of its keys. */
enum {
	BR_PUBLISHED, BR_ACKED, BR_CONSUMED, BR_DELIVERED, BR_REDELIVERED,
	BR_DUPLICATES, BR_RECONNECTS, BR_NCOUNTERS
};
extern const char *const br_counter_key[BR_NCOUNTERS];	/* "published_total" */

struct bridge {
	char name[256];			/* the file's name */
	char direction[32], queue[264], subject[256], stream[256];
	long long pid;
	int connected;			/* 0, 1; -1: not said */
	unsigned long long counter[BR_NCOUNTERS];
	bool has[BR_NCOUNTERS];
	long long lag;			/* -1: not said */
	long long updated;		/* epoch seconds; 0: not said */
};

struct snap {
	struct timespec at;		/* CLOCK_MONOTONIC */
	time_t now;			/* wall clock, for idle times */
	struct umq_qstats *q;
	size_t nq;
	struct bridge *b;
	size_t nb;
	bool bridges_dir;		/* <ns>/bridges exists, trusted */
};

/* 0, or -1 with errno (the namespace cannot be listed). */
int snap_take(struct snap *s);
void snap_free(struct snap *s);

/* The queue of prev that is cur (same kind and id or name), or NULL. */
const struct umq_qstats *snap_find(const struct snap *prev,
				   const struct umq_qstats *cur);
const struct bridge *snap_find_bridge(const struct snap *prev,
				      const struct bridge *cur);
/* Seconds from prev to cur (> 0), or 0 without prev. */
double snap_dt(const struct snap *prev, const struct snap *cur);
/* (now - then) / dt, 0 when dt is 0 or the counter went back. */
double rate(unsigned long long now, unsigned long long then, double dt);

/* Parse one bridge file's text; false when malformed. */
bool bridge_parse(const char *text, struct bridge *b);

/* "0x0000abcd" of a key, as ipcs prints it. */
const char *key_str(key_t key, char *buf, size_t n);

#endif
