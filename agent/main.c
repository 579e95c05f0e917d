/* SPDX-License-Identifier: MIT */
/*
 * main.c - umq-agent: `umq agent [--dir DIR] [-v]`.
 *
 * A root process that does for a namespace's users what the OS does not
 * let them do themselves: keep a System V queue's files matching its
 * permissions when the caller of an IPC_SET may not change them (an
 * owner handed over is not the files' owner, the creator: without an
 * agent such a queue's files must stay open to every user, DESIGN §6;
 * sync.c), open a POSIX queue's file for a process holding one of its
 * descriptors, passed by another user (reopen.c), and tell what a POSIX
 * queue the asker may not read charges to its real uid (charge.c).  It
 * listens on <namespace>/agent (serve.c).  At start it brings every
 * queue in step (changes made while none ran).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "internal.h"
#include "umq.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_child(int sig)
{
	(void)sig;	/* wakes agent_serve's ppoll; reaped there */
}

static void usage(FILE *f)
{
	fputs("Usage: umq agent [--dir DIR] [-v]\n"
	      "Serve the namespace DIR (default: $UMQ_DIR, else /dev/shm/umq)\n"
	      "as root: an IPC_SET by a queue's owner who did not create it\n"
	      "then sets exactly the file permissions the kernel's rules give,\n"
	      "and a POSIX queue descriptor passed to a user who may not open\n"
	      "the queue works there (DESIGN.md §6). Runs until SIGTERM or\n"
	      "SIGINT.\n"
	      "  -d, --dir DIR   the namespace directory\n"
	      "  -v, --verbose   one line per request\n", f);
}

static int listen_at(int dirfd, const char *dir, struct stat *st)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
			0), r;
	mode_t um;

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s",
		 dirfd, AGENT_SOCK);
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		struct ucred uc;
		socklen_t len = sizeof(uc);

		if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) &&
		    uc.uid == 0) {
			fprintf(stderr, "umq agent: %s is served already (pid "
				"%d)\n", dir, (int)uc.pid);
			close(fd);
			return -1;
		}
		close(fd);
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
			    SOCK_NONBLOCK, 0);
		if (fd < 0)
			return -1;
	}
	/* Whatever else has the name (a crashed agent's socket, another
	 * user's file or directory): root may remove it from the sticky
	 * directory, or move a directory aside. */
	if (unlinkat(dirfd, AGENT_SOCK, 0) && (errno == EISDIR ||
					       errno == EPERM)) {
		char aside[64];

		snprintf(aside, sizeof(aside), ".%s.%d.aside", AGENT_SOCK,
			 (int)getpid());
		if (!renameat(dirfd, AGENT_SOCK, dirfd, aside))
			fprintf(stderr, "umq agent: %s/%s was a directory: "
				"moved to %s\n", dir, AGENT_SOCK, aside);
	}
	/* Made 0666 by bind itself: the name is not ours a moment later
	 * (the namespace's owner may put a symlink there, which a chmod
	 * by name would follow to any file). */
	um = umask(0111);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(um);
	if (r || fstatat(dirfd, AGENT_SOCK, st, AT_SYMLINK_NOFOLLOW) ||
	    listen(fd, 64)) {
		fprintf(stderr, "umq agent: cannot listen on %s/%s: %s\n",
			dir, AGENT_SOCK, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	const char *dir = NULL;
	sigset_t stops, unblocked;
	struct stat st, now;
	int c, dirfd, lfd;

	while ((c = getopt_long(argc, argv, "d:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'v': agent_verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (geteuid()) {
		fputs("umq agent: must run as root: it sets the permissions "
		      "of other users' files\n", stderr);
		return 1;
	}
	if ((dir && umq_ns_use(dir)) || !(dir = umq_ns_path())) {
		fprintf(stderr, "umq agent: %s: %s\n", dir ? dir : "namespace",
			strerror(errno));
		return 1;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		fprintf(stderr, "umq agent: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGHUP);
	sigaddset(&stops, SIGCHLD);
	sigprocmask(SIG_BLOCK, &stops, &unblocked);
	signal(SIGCHLD, on_child);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_at(dirfd, dir, &st);
	if (lfd < 0)
		return 1;
	agent_sync_all(dirfd);
	fprintf(stderr, "umq agent: serving %s (pid %d)\n", dir, (int)getpid());
	agent_serve(dirfd, lfd, &stop, &unblocked);
	/* Our socket only: another agent may have taken the name since. */
	if (!fstatat(dirfd, AGENT_SOCK, &now, AT_SYMLINK_NOFOLLOW) &&
	    now.st_ino == st.st_ino && now.st_dev == st.st_dev)
		unlinkat(dirfd, AGENT_SOCK, 0);
	fprintf(stderr, "umq agent: stopped\n");
	return 0;
}
