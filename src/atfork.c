/* SPDX-License-Identifier: MIT */
/*
 * atfork.c - the library's own mutexes across fork() (LOCKING L15).
 *
 * A fork while another thread holds one of them leaves it held for ever
 * in the child, whose first call that needs it hangs (found by a hunt:
 * 1-3 children of 200 forked beside a thread looping on mq_open and
 * mq_close).  So fork() takes them all first, outermost first, in the
 * one order they nest, and both sides let them go.  Until December 6
 * only two of them did, each registered at its first use, so in
 * whichever order those came.
 */
#include <pthread.h>

#include "internal.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void prepare(void)
{
	ns_fork_lock(true);
	pdesc_fork_lock(true);
	notify_fork_lock(true);
	fds_fork_lock(true);
}

static void release(void)
{
	fds_fork_lock(false);
	notify_fork_lock(false);
	pdesc_fork_lock(false);
	ns_fork_lock(false);
}

static void install(void)
{
	pthread_atfork(prepare, release, release);
}

void atfork_install(void)
{
	pthread_once(&once, install);
}
