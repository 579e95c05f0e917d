/* SPDX-License-Identifier: MIT */
/*
 * demo_posix.c - a walkthrough of POSIX message queues, on umq or on the
 * kernel.
 *
 * Create /umq-demo (8 messages of up to 64 bytes), send four messages
 * with priorities 1, 9, 5, 9 and receive them in priority order, ask
 * mq_notify for a signal and let a child process trigger it, switch the
 * descriptor to O_NONBLOCK, and remove the queue, showing the queue's
 * attributes and its mqueue-filesystem status line on the way.
 *
 * One source, two programs: built as is it calls umq_*; demo_posix_kernel.c
 * defines DEMO_KERNEL to make the same calls on the kernel, so demo.sh can
 * show the two side by side.  Lines stay under 78 columns for that.
 *
 * Usage: demo_posix
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "umq.h"

#ifdef DEMO_KERNEL
#define IMPL		"the Linux kernel"
#define q_open		mq_open
#define q_close		mq_close
#define q_unlink	mq_unlink
#define q_send		mq_send
#define q_receive	mq_receive
#define q_getattr	mq_getattr
#define q_setattr	mq_setattr
#define q_notify	mq_notify

/* An mqd_t is a file of the mqueue filesystem: reading it gives the line. */
static ssize_t q_status(mqd_t d, char *buf, size_t len)
{
	return pread(d, buf, len, 0);
}
#else
#define IMPL		"umq"
#define q_open		umq_mq_open
#define q_close		umq_mq_close
#define q_unlink	umq_mq_unlink
#define q_send		umq_mq_send
#define q_receive	umq_mq_receive
#define q_getattr	umq_mq_getattr
#define q_setattr	umq_mq_setattr
#define q_notify	umq_mq_notify
#define q_status	umq_mq_status
#endif

#define NAME		"/umq-demo"
#define MAXMSG		8
#define MSGSIZE		64
#define COOKIE		42		/* the sigev_value the signal carries */
#define SIG_WAIT	5		/* s; the signal comes at once if at all */

static const struct {
	const char *text;
	unsigned int prio;
} sent[] = {
	{ "first, priority 1", 1 },
	{ "second, priority 9", 9 },
	{ "third, priority 5", 5 },
	{ "fourth, priority 9", 9 },
};
#define NSENT	(sizeof(sent) / sizeof(sent[0]))

/* Highest priority first, FIFO within a priority: indexes into sent[]. */
static const int expected[NSENT] = { 1, 3, 2, 0 };

#define CHILD_TEXT	"from the child, priority 0"

static const char *errname(int e)
{
	switch (e) {
	case EAGAIN:	return "EAGAIN";
	case EBADF:	return "EBADF";
	case EBUSY:	return "EBUSY";
	case EEXIST:	return "EEXIST";
	case EINVAL:	return "EINVAL";
	case ENOENT:	return "ENOENT";
	case EACCES:	return "EACCES";
	case EMSGSIZE:	return "EMSGSIZE";
	default:	return strerror(e);
	}
}

static int show_attr(mqd_t q, const char *after)
{
	struct mq_attr a;

	if (q_getattr(q, &a) < 0) {
		printf("mq_getattr: %s\n", errname(errno));
		return -1;
	}
	printf("-- mq_getattr after %s\n", after);
	printf("   flags %s  maxmsg %ld  msgsize %ld  curmsgs %ld\n",
	       a.mq_flags & O_NONBLOCK ? "O_NONBLOCK" : "0", a.mq_maxmsg,
	       a.mq_msgsize, a.mq_curmsgs);
	return 0;
}

/* The status line without its newline and the padding at its end. */
static int show_status(mqd_t q, const char *after)
{
	char buf[128];
	ssize_t n = q_status(q, buf, sizeof(buf) - 1);

	if (n < 0) {
		printf("status line: %s\n", errname(errno));
		return -1;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = 0;
	printf("-- status line after %s\n   %s\n", after, buf);
	return 0;
}

/*
 * A queue left under our name by an earlier run that died would make
 * O_EXCL fail.  Remove it if it looks like ours; never someone else's.
 */
static int remove_stale(void)
{
	struct mq_attr a;
	mqd_t q = q_open(NAME, O_RDONLY);
	int rc;

	if (q == (mqd_t)-1) {
		printf("%s exists but cannot be opened: %s\n", NAME,
		       errname(errno));
		return -1;
	}
	rc = q_getattr(q, &a);
	q_close(q);
	if (rc < 0 || a.mq_maxmsg != MAXMSG || a.mq_msgsize != MSGSIZE) {
		printf("%s is taken by another queue;\nnot touching it\n",
		       NAME);
		return -1;
	}
	printf("removing %s left by an earlier run\n", NAME);
	return q_unlink(NAME);
}

static mqd_t create(void)
{
	struct mq_attr a = { .mq_maxmsg = MAXMSG, .mq_msgsize = MSGSIZE };
	int oflag = O_CREAT | O_EXCL | O_RDWR;
	mqd_t q;

	q = q_open(NAME, oflag, 0600, &a);
	if (q == (mqd_t)-1 && errno == EEXIST && remove_stale() == 0)
		q = q_open(NAME, oflag, 0600, &a);
	if (q == (mqd_t)-1)
		printf("mq_open(\"%s\", O_CREAT|O_EXCL|O_RDWR, 0600,\n"
		       "        maxmsg %d msgsize %d): %s\n", NAME, MAXMSG,
		       MSGSIZE, errname(errno));
	else
		printf("mq_open(\"%s\", O_CREAT|O_EXCL|O_RDWR, 0600,\n"
		       "        maxmsg %d msgsize %d) = %d\n", NAME, MAXMSG,
		       MSGSIZE, (int)q);
	return q;
}

static int send_all(mqd_t q)
{
	unsigned int i;

	for (i = 0; i < NSENT; i++) {
		if (q_send(q, sent[i].text, strlen(sent[i].text),
			   sent[i].prio) < 0) {
			printf("mq_send(\"%s\"): %s\n", sent[i].text,
			       errname(errno));
			return -1;
		}
		printf("mq_send(\"%s\", %zu bytes, prio %u) = 0\n",
		       sent[i].text, strlen(sent[i].text), sent[i].prio);
	}
	return 0;
}

/* The buffer must hold mq_msgsize bytes, or mq_receive says EMSGSIZE. */
static int receive_one(mqd_t q, char *buf, unsigned int *prio)
{
	ssize_t n = q_receive(q, buf, MSGSIZE, prio);

	if (n < 0) {
		printf("mq_receive: %s\n", errname(errno));
		return -1;
	}
	buf[n] = 0;
	printf("mq_receive = %zd: \"%s\", prio %u\n", n, buf, *prio);
	return 0;
}

static int receive_all(mqd_t q)
{
	char buf[MSGSIZE + 1];
	unsigned int i, prio;
	int rc = 0;

	for (i = 0; i < NSENT; i++) {
		if (receive_one(q, buf, &prio) < 0)
			return -1;
		if (strcmp(buf, sent[expected[i]].text) ||
		    prio != sent[expected[i]].prio) {
			printf("   expected \"%s\", prio %u\n",
			       sent[expected[i]].text, sent[expected[i]].prio);
			rc = -1;
		}
	}
	if (!rc)
		printf("   (highest priority first, FIFO within a "
		       "priority)\n");
	return rc;
}

static int register_signal(mqd_t q)
{
	struct sigevent ev;

	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGUSR1;
	ev.sigev_value.sival_int = COOKIE;
	if (q_notify(q, &ev) < 0) {
		printf("mq_notify(SIGEV_SIGNAL, SIGUSR1): %s\n",
		       errname(errno));
		return -1;
	}
	printf("mq_notify(SIGEV_SIGNAL, SIGUSR1 = %d, value %d) = 0\n",
	       SIGUSR1, COOKIE);
	return 0;
}

/* The child sends on the descriptor it inherited, and that is all. */
static pid_t spawn_sender(mqd_t q)
{
	pid_t pid = fork();

	if (pid < 0) {
		printf("fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0)
		_exit(q_send(q, CHILD_TEXT, strlen(CHILD_TEXT), 0) < 0);
	printf("child %d: mq_send(\"%s\")\n", (int)pid, CHILD_TEXT);
	return pid;
}

static int check_siginfo(const siginfo_t *si, pid_t child)
{
	int ok = si->si_code == SI_MESGQ && si->si_pid == child &&
		 si->si_value.sival_int == COOKIE;

	printf("sigtimedwait = %s: si_code %s, si_pid %d (%s),\n"
	       "   si_uid %u, si_value %d\n",
	       si->si_signo == SIGUSR1 ? "SIGUSR1" : strsignal(si->si_signo),
	       si->si_code == SI_MESGQ ? "SI_MESGQ" : "not SI_MESGQ",
	       (int)si->si_pid, si->si_pid == child ? "the child" :
	       "not the child", (unsigned)si->si_uid,
	       si->si_value.sival_int);
	return ok ? 0 : -1;
}

/*
 * SIGUSR1 is blocked from before the registration, so the signal stays
 * pending until it is collected.  A timeout instead of sigwaitinfo only
 * so that a signal that never comes is reported rather than a hang.
 */
static int collect_signal(pid_t child)
{
	struct timespec limit = { SIG_WAIT, 0 };
	sigset_t set;
	siginfo_t si;
	int rc, st;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	rc = sigtimedwait(&set, &si, &limit);
	if (rc < 0 && errno == EAGAIN)
		printf("sigtimedwait: no signal within %d s\n", SIG_WAIT);
	else if (rc < 0)
		printf("sigtimedwait: %s\n", strerror(errno));
	else
		rc = check_siginfo(&si, child);
	if (waitpid(child, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st)) {
		printf("child %d failed to send\n", (int)child);
		rc = -1;
	}
	return rc;
}

static int notify(mqd_t q)
{
	char buf[MSGSIZE + 1];
	unsigned int prio;
	pid_t child;
	int rc;

	if (register_signal(q) < 0)
		return -1;
	show_status(q, "mq_notify");
	child = spawn_sender(q);
	if (child < 0)
		return -1;
	rc = collect_signal(child);
	show_status(q, "the notification (registration gone)");
	if (receive_one(q, buf, &prio) < 0)
		return -1;
	return rc;
}

static int nonblock(mqd_t q)
{
	struct mq_attr a = { .mq_flags = O_NONBLOCK }, old;
	char buf[MSGSIZE];
	unsigned int prio;

	if (q_setattr(q, &a, &old) < 0) {
		printf("mq_setattr(O_NONBLOCK): %s\n", errname(errno));
		return -1;
	}
	printf("mq_setattr(flags O_NONBLOCK) = 0, old flags %s\n",
	       old.mq_flags & O_NONBLOCK ? "O_NONBLOCK" : "0");
	show_attr(q, "mq_setattr");
	if (q_receive(q, buf, sizeof(buf), &prio) >= 0) {
		printf("mq_receive on the empty queue: expected EAGAIN, got "
		       "a message\n");
		return -1;
	}
	printf("mq_receive on the empty queue = -1 %s\n", errname(errno));
	return errno == EAGAIN ? 0 : -1;
}

static int destroy(mqd_t q)
{
	int rc = 0;

	if (q_unlink(NAME) < 0) {
		printf("mq_unlink(\"%s\"): %s\n", NAME, errname(errno));
		rc = -1;
	} else {
		printf("mq_unlink(\"%s\") = 0\n", NAME);
	}
	if (q_open(NAME, O_RDWR) != (mqd_t)-1 || errno != ENOENT) {
		printf("mq_open(\"%s\") after mq_unlink: expected ENOENT\n",
		       NAME);
		rc = -1;
	} else {
		printf("mq_open(\"%s\", O_RDWR) now = -1 ENOENT\n", NAME);
	}
	if (q_close(q) < 0) {
		printf("mq_close: %s\n", errname(errno));
		return -1;
	}
	printf("mq_close = 0\n");
	return rc;
}

static int header(void)
{
	sigset_t set;

	/* before anything: a stray notification must not kill us */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
#ifdef DEMO_KERNEL
	printf("== POSIX demo on %s\n   the host's IPC namespace\n", IMPL);
#else
	if (umq_ns_use(NULL) < 0) {
		printf("umq_ns_use: %s\n", strerror(errno));
		return -1;
	}
	printf("== POSIX demo on %s\n   namespace %s\n", IMPL,
	       umq_ns_path());
#endif
	printf("   pid %d, euid %u\n", (int)getpid(), (unsigned)geteuid());
	return 0;
}

int main(void)
{
	mqd_t q;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (header() < 0)
		return 1;
	q = create();
	if (q == (mqd_t)-1)
		return 1;
	rc = show_attr(q, "mq_open");
	if (!rc)
		rc = send_all(q);
	if (!rc)
		rc = show_attr(q, "mq_send");
	if (!rc)
		rc = show_status(q, "mq_send");
	if (!rc)
		rc = receive_all(q);
	if (!rc)
		rc = notify(q);
	if (!rc)
		rc = nonblock(q);
	/* remove the queue whatever failed before */
	if (destroy(q) < 0)
		rc = -1;
	printf("== %s\n", rc ? "FAILED" : "done");
	return rc ? 1 : 0;
}
