/* SPDX-License-Identifier: MIT */
/*
 * main.c - umq-agent: `umq agent [--dir DIR] [-v]`.
 *
 * A root process that does for a namespace's users what the OS does not
 * let them do themselves: keep a System V queue's files matching its
 * permissions when the caller of an IPC_SET may not change them (an
 * owner handed over is not the files' owner, the creator: without an
 * agent such a queue's files must stay open to every user, DESIGN §6;
 * sync.c), and open a POSIX queue's file for a process holding one of
 * its descriptors, passed by another user (reopen.c).  It listens on <namespace>/agent; the OS tells
 * it who asks (SO_PEERCRED), the files tell it who owns the queue
 * (sync.c).  Each connection is served by a child process of its own
 * (serve()), its request given AGENT_RECV_MS to arrive.
 * At start it brings every queue in step (changes made while none ran).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "internal.h"
#include "umq.h"

#define AGENT_RECV_MS 200

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
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

/* Descriptors a request may carry; any it should not are closed. */
#define MAX_PASSED 4

/*
 * Close a descriptor a user passed: ours may be its last reference, and
 * the last close of a socket with SO_LINGER and data its peer does not
 * take waits for the linger time (a TCP socket: up to hours), holding
 * this request's answer until its child is killed.  Aborted instead: the
 * data was the sender's.
 */
static void drop_passed(int fd)
{
	struct linger lg = { 1, 0 };

	/* ENOTSOCK for the rest. */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* Answer the request that comes on c (the OS said uc.uid sent it), in
 * a child of its own. */
static void serve_one(int dirfd, int c, const struct ucred *ucp)
{
	struct timeval tv = { 0, AGENT_RECV_MS * 1000 };
	struct ucred uc = *ucp;
	struct agent_rep rep = { .magic = AGENT_MAGIC, .err = -EINVAL };
	struct agent_req req;
	union {
		char buf[CMSG_SPACE(MAX_PASSED * sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { &req, sizeof(req) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cm.buf,
			     .msg_controllen = sizeof(cm.buf) };
	int fds[MAX_PASSED], nfd = 0, out = -1;
	ssize_t n;

	if (setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return;
	n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)	/* msg_controllen is left as it was: the buffer is
			 * stale, its numbers perhaps our descriptors now */
		mh.msg_controllen = 0;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h;
	     h = CMSG_NXTHDR(&mh, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (h->cmsg_len - CMSG_LEN(0)) /
		     sizeof(int) && nfd < MAX_PASSED; i++)
			memcpy(&fds[nfd++], CMSG_DATA(h) + i * sizeof(int),
			       sizeof(int));
	}
	if (n == sizeof(req) && req.magic == AGENT_MAGIC && req.gen) {
		if (req.op == AGENT_SYNC_SYSV && !nfd)
			rep.err = agent_sync_queue(dirfd, req.gen, uc.uid,
				&(struct env_perm){ .uid = req.uid,
						    .gid = req.gid,
						    .mode = req.mode });
		else if (req.op == AGENT_OPEN_POSIX && nfd == 1)
			rep.err = (out = agent_reopen_posix(dirfd, req.gen,
							    fds[0])) < 0 ?
				  out : 0;
	}
	for (int i = 0; i < nfd; i++)
		drop_passed(fds[i]);
	iov = (struct iovec){ &rep, sizeof(rep) };
	mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };
	if (out >= 0) {
		struct cmsghdr *h;

		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int));
		h = CMSG_FIRSTHDR(&mh);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &out, sizeof(int));
	}
	sendmsg(c, &mh, MSG_NOSIGNAL);
	if (out >= 0)
		close(out);
	if (agent_verbose && req.op == AGENT_OPEN_POSIX && n == sizeof(req))
		fprintf(stderr, "umq agent: POSIX queue %016llx opened for "
			"uid %u: %s\n", (unsigned long long)req.gen, uc.uid,
			rep.err ? strerror(-rep.err) : "done");
}

/*
 * Each connection is served by a child process of its own, which exits
 * when it has answered: the last reference to whatever a user passed
 * (descriptors in its request, or in messages queued after it, or inside
 * a passed socket) is dropped there, and a close that waits (a TCP
 * socket's SO_LINGER, a FUSE file's flush) holds that child only, killed
 * at its deadline.  The agent itself never receives anything.  At most
 * MAX_CHILDREN at once (more connections wait in the backlog),
 * MAX_PER_UID serving one user's: that user's next connections are
 * closed at once, if nothing is queued on them, else by a child that
 * serves nothing.
 */
#define MAX_CHILDREN	128
#define MAX_PER_UID	8
#define CHILD_MS	(3 * AGENT_RECV_MS)	/* receive, work, answer */

struct child {
	pid_t pid;
	uid_t uid;
	long until;		/* ms, CLOCK_MONOTONIC */
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void on_child(int sig)
{
	(void)sig;	/* wakes ppoll; reaped there */
}

/*
 * Close a connection here, unserved, if nothing is queued on it: what a
 * queued message carries would be released here, in the agent (above).
 * Read-shut first, so that nothing can be queued after the look.
 */
static bool drop_empty(int fd)
{
	int queued = 1;

	if (shutdown(fd, SHUT_RD) || ioctl(fd, FIONREAD, &queued) || queued)
		return false;
	close(fd);
	return true;
}

static void take_new(int dirfd, int lfd, struct child *cs, int *n,
		     const sigset_t *unblocked)
{
	/* A bounded round: reaping and deadlines come between. */
	for (int round = 0; round < MAX_CHILDREN && *n < MAX_CHILDREN;
	     round++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), same = 0;
		struct ucred uc;
		socklen_t len = sizeof(uc);
		bool serve = true;
		pid_t pid;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				usleep(10000);
			if (errno != ECONNABORTED)
				return;
			continue;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len))
			serve = false;
		for (int i = 0; serve && i < *n; i++)
			same += cs[i].uid == uc.uid;
		if (same >= MAX_PER_UID)
			serve = false;
		/* Not served: closed here if it is empty, else by a child
		 * all the same (the cap on children still holds). */
		if (!serve && drop_empty(fd))
			continue;
		pid = fork();
		if (pid == 0) {
			close(lfd);
			sigprocmask(SIG_SETMASK, unblocked, NULL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			if (serve)
				serve_one(dirfd, fd, &uc);
			_exit(0);
		}
		close(fd);	/* the child's is the last */
		if (pid > 0)
			cs[(*n)++] = (struct child){ pid, uc.uid,
						     now_ms() + CHILD_MS };
	}
}

/* Until stop: the signals that set it, and SIGCHLD, are blocked but
 * while waiting (unblocked is the mask during ppoll), so none comes
 * unseen. */
static void serve(int dirfd, int lfd, const sigset_t *unblocked)
{
	static struct child cs[MAX_CHILDREN];
	int n = 0;

	for (;;) {
		struct pollfd pf = { .fd = stop || n == MAX_CHILDREN ? -1 : lfd,
				     .events = POLLIN };
		long now = now_ms(), wait = -1;

		for (int i = n - 1; i >= 0; i--) {
			int st;

			if (waitpid(cs[i].pid, &st, WNOHANG) == cs[i].pid) {
				cs[i] = cs[--n];
				continue;
			}
			if (stop || cs[i].until <= now)
				kill(cs[i].pid, SIGKILL);	/* too late */
			else if (wait < 0 || cs[i].until - now < wait)
				wait = cs[i].until - now;
		}
		if (stop && !n)
			break;
		if (stop)
			wait = 10;	/* killed: reaped next time round */
		struct timespec ts = { wait / 1000, wait % 1000 * 1000000 };

		if (ppoll(&pf, 1, wait < 0 ? NULL : &ts, unblocked) < 0)
			continue;	/* EINTR: stop or a child */
		/* At MAX_CHILDREN, new connections wait in the backlog: any
		 * may carry descriptors, so none is closed here unread. */
		if (pf.revents && !stop)
			take_new(dirfd, lfd, cs, &n, unblocked);
	}
}

static int listen_at(int dirfd, const char *dir, struct stat *st)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
			SOCK_CLOEXEC, 0);
	mode_t um;
	int r;

	if (fd < 0)
		return -1;
	/* Whatever has the name (a crashed agent's socket, or another
	 * user's file: root may remove it from the sticky directory). */
	unlinkat(dirfd, AGENT_SOCK, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s",
		 dirfd, AGENT_SOCK);
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
	serve(dirfd, lfd, &unblocked);
	/* Our socket only: another agent may have taken the name since. */
	if (!fstatat(dirfd, AGENT_SOCK, &now, AT_SYMLINK_NOFOLLOW) &&
	    now.st_ino == st.st_ino && now.st_dev == st.st_dev)
		unlinkat(dirfd, AGENT_SOCK, 0);
	fprintf(stderr, "umq agent: stopped\n");
	return 0;
}
