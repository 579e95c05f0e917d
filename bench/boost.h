/* SPDX-License-Identifier: MIT */
/*
 * boost.h - Boost.Interprocess message_queue, for the bench's C files
 * (bench/boost.cc).  Weak in C: a bench linked without it (no C++
 * compiler) finds boost_version NULL and skips that column.
 */
#ifndef BENCH_BOOST_H
#define BENCH_BOOST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#define BOOST_WEAK
#else
#define BOOST_WEAK __attribute__((weak))
#endif

/* "1.74", or NULL (with why) when Boost's headers were missing. */
BOOST_WEAK const char *boost_version(char *why, size_t len);
/* A new queue of depth messages of size bytes; NULL and why on failure. */
BOOST_WEAK void *boost_mq_create(const char *name, long depth, size_t size,
				 char *why, size_t len);
BOOST_WEAK void boost_mq_destroy(void *q, const char *name);
/* Blocking, priority 0: 0, or -1 with errno. */
BOOST_WEAK int boost_mq_send(void *q, const void *buf, size_t size);
/* Blocking: the message's size, or -1 with errno. */
BOOST_WEAK long boost_mq_recv(void *q, void *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
