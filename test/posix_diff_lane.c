/* SPDX-License-Identifier: MIT */
/*
 * posix_diff_lane.c - posix_diff.c's cases again, with every umq
 * descriptor opened UMQ_O_NOPOLL, so that the queues' sends and receives
 * go through the lane (lane.c, LOCKING L14) whenever it is open, and a
 * descriptor is watched only once it is polled, as through the preload.
 * Each step must still give the kernel's results.
 *
 *   build/test/posix_diff_lane [case ...]
 */
#define PDIFF_OFLAGS UMQ_O_NOPOLL
#include "posix_diff.c"
