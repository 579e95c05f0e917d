/* SPDX-License-Identifier: MIT */
/* syscount.c - see syscount.h. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscount.h"

static void *count_thread(void *arg)
{
	struct counter *c = arg;
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	int fd;

	while ((fd = atomic_load(&c->fd)) < 0)
		sched_yield();
	for (;;) {
		memset(&req, 0, sizeof(req));
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		atomic_fetch_add(&c->n, 1);
		if (req.data.nr >= 0 && req.data.nr < NR_SEEN)
			atomic_fetch_add(&c->seen[req.data.nr], 1);
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

int syscount_start(struct counter *c, const char **what)
{
	struct sock_filter all = BPF_STMT(BPF_RET | BPF_K,
					  SECCOMP_RET_USER_NOTIF);
	struct sock_fprog prog = { .len = 1, .filter = &all };
	pthread_t t;
	int fd;

	memset(c, 0, sizeof(*c));
	atomic_init(&c->fd, -1);
	if ((errno = pthread_create(&t, NULL, count_thread, c))) {
		*what = "pthread_create";
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		*what = "prctl(NO_NEW_PRIVS)";
		return -1;
	}
	fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd < 0) {
		*what = "seccomp user notification";
		return -1;
	}
	atomic_store(&c->fd, fd);
	return 0;
}
