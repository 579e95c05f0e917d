/* SPDX-License-Identifier: MIT */
/*
 * status.c - the status file <namespace>/bridges/<name> that `umq top`
 * and `umq metrics` read: "key value" lines, rewritten about once a
 * second by a thread of its own (the bridge's main loop may be blocked
 * on a full queue or a fetch) through a temporary file and rename(), so
 * that a reader sees a whole file; removed at a clean exit.  Names that
 * begin with '.' in that directory are not status files.  A name another
 * user made first is theirs (the directory is sticky): not written.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"

static pthread_t status_thread;
static bool status_running;
static char path[4400], tmp[4400];
static const struct opts *so;
static const char *squeue;

static void status_write(void)
{
	FILE *f;
	int fd;

	/* Made new, never opened through a name another user put there
	 * (bridges/ is every user's): theirs, it stays, and we skip. */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return;
	}
	fprintf(f, "direction %s\n", so->dir == DIR_OUT ? "out" : "in");
	fprintf(f, "queue %s\n", squeue);
	fprintf(f, "subject %s.>\n", so->subject);
	fprintf(f, "stream %s\n", so->stream);
	fprintf(f, "pid %d\n", (int)getpid());
	fprintf(f, "connected %d\n", atomic_load(&ctr.connected));
	fprintf(f, "published_total %llu\n", atomic_load(&ctr.published));
	fprintf(f, "acked_total %llu\n", atomic_load(&ctr.acked));
	fprintf(f, "consumed_total %llu\n", atomic_load(&ctr.consumed));
	fprintf(f, "delivered_total %llu\n", atomic_load(&ctr.delivered));
	fprintf(f, "redelivered_total %llu\n", atomic_load(&ctr.redelivered));
	fprintf(f, "duplicates_total %llu\n", atomic_load(&ctr.duplicates));
	fprintf(f, "reconnects_total %llu\n", atomic_load(&ctr.reconnects));
	fprintf(f, "lag %lld\n", atomic_load(&ctr.lag));
	fprintf(f, "updated %lld\n", (long long)time(NULL));
	if (fclose(f) == 0 && rename(tmp, path) == 0)
		return;
	unlink(tmp);
}

static void *status_loop(void *arg)
{
	struct timespec t = { 1, 0 };

	while (!bridge_stop) {
		status_write();
		nanosleep(&t, NULL);
	}
	return NULL;
}

int status_start(const struct opts *o, const char *queue_label)
{
	char dir[4096];
	int r = bridges_dir(dir, sizeof(dir));

	if (r)
		return r;
	so = o;
	squeue = queue_label;
	snprintf(path, sizeof(path), "%s/%s", dir, o->name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, o->name);
	status_write();
	r = pthread_create(&status_thread, NULL, status_loop, NULL);
	if (r)
		return -r;
	status_running = true;
	return 0;
}

void status_stop(void)
{
	if (status_running)
		pthread_join(status_thread, NULL);
	status_running = false;
	unlink(path);
	unlink(tmp);
}
