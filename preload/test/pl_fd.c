/* SPDX-License-Identifier: MIT */
/*
 * pl_fd.c - queue descriptors under the preload behave as the kernel's
 * do when a program handles them as descriptors: close, dup, dup2, dup3,
 * fcntl(F_DUPFD), close_range and closefrom.  Each scenario runs once on
 * the kernel's queues (through libc's own functions) and once on umq's
 * (through libc's names, that is, the preload), in the same process: the
 * descriptor calls are the program's in both, and pass through the
 * preload untouched for the kernel's descriptors.
 *
 * What is checked: the notification registration goes when the process
 * closes any descriptor of the queue (mqueue_flush_file), however it is
 * closed; no record of a closed descriptor outlives it (a number reused
 * by a regular file is EBADF); duplicates work and share the open
 * description; a descriptor inherited through exec is a queue descriptor
 * in the new program.
 */
#include "pt.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "umq.h"

struct be {
	const char *name;
	mqd_t (*open)(const char *, int, ...);
	int (*unlink)(const char *);
	int (*send)(mqd_t, const char *, size_t, unsigned);
	ssize_t (*recv)(mqd_t, char *, size_t, unsigned *);
	int (*getattr)(mqd_t, struct mq_attr *);
	int (*setattr)(mqd_t, const struct mq_attr *, struct mq_attr *);
	int (*notify)(mqd_t, const struct sigevent *);
	int (*close)(mqd_t);
};

static struct be kernel, umq = {
	"umq", mq_open, mq_unlink, mq_send, mq_receive, mq_getattr,
	mq_setattr, mq_notify, mq_close,
};

static const struct be *backend(int i)
{
	if (!i) {
		kernel = (struct be){
			"kernel", K(mq_open), K(mq_unlink), K(mq_send),
			K(mq_receive), K(mq_getattr), K(mq_setattr),
			K(mq_notify), K(mq_close),
		};
		return &kernel;
	}
	return &umq;
}

/* Run scenario fn on both backends; the kernel's needs a private IPC
 * namespace (each case has one) to leave nothing behind. */
#define BOTH(fn)                                                        \
	do {                                                            \
		if (!t_kernel_ns())                                     \
			t_skip("no private IPC namespace");             \
		for (int i_ = 0; i_ < 2; i_++)                          \
			fn(backend(i_));                                \
	} while (0)

#define CHECK(b, c)                                                     \
	do {                                                            \
		if (!(c))                                               \
			T_FAIL("%s: %s", (b)->name, #c);                \
	} while (0)
#define CHECK_ERR(b, expr, e)                                           \
	do {                                                            \
		errno = 0;                                              \
		long long r_ = (long long)(expr);                       \
		if (r_ != -1 || errno != (e))                           \
			T_FAIL("%s: %s gave %lld %s, expected %s",      \
			       (b)->name, #expr, r_,                    \
			       strerrorname_np(errno) ?: "0",           \
			       strerrorname_np(e));                     \
	} while (0)
#define CHECK_OK(b, expr)                                               \
	({                                                              \
		errno = 0;                                              \
		long long r_ = (long long)(expr);                       \
		if (r_ == -1)                                           \
			T_FAIL("%s: %s failed: %s", (b)->name, #expr,   \
			       strerrorname_np(errno) ?: "?");          \
		r_;                                                     \
	})

static mqd_t qopen(const struct be *b, const char *name, int flags)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 16 };

	return (mqd_t)CHECK_OK(b, b->open(name, flags | O_CREAT, 0600, &a));
}

/* NOTIFY_PID of the queue's status line, read at offset 0. */
static long notify_pid(const struct be *b, mqd_t q)
{
	char line[128] = "";
	char *p;

	if (pread(q, line, sizeof(line) - 1, 0) <= 0)
		T_FAIL("%s: pread of the status line: %s", b->name,
		       strerror(errno));
	p = strstr(line, "NOTIFY_PID:");
	if (!p)
		T_FAIL("%s: no NOTIFY_PID in %s", b->name, line);
	return atol(p + 11);
}

static void reg(const struct be *b, mqd_t q)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };

	CHECK_OK(b, b->notify(q, &sev));
	CHECK(b, notify_pid(b, q) == getpid());
}

static int devnull(void)
{
	return (int)T_OK(open("/dev/null", O_RDWR | O_CLOEXEC));
}

/* ---- the registration goes with any descriptor of the queue --------- */

/* closed, another descriptor of "/q", was closed: the registration went
 * with it, and q still sends; then q is closed and "/q" removed. */
static void last_close(const struct be *b, mqd_t q, mqd_t closed)
{
	CHECK(b, notify_pid(b, q) == 0);
	CHECK_ERR(b, b->send(closed, "x", 1, 0), EBADF);
	CHECK_OK(b, b->send(q, "x", 1, 0));
	CHECK_OK(b, close(q));
	CHECK_OK(b, b->unlink("/q"));
}

static void s_close_dup(const struct be *b)
{
	mqd_t q = qopen(b, "/q", O_RDWR), d;

	reg(b, q);
	d = (mqd_t)CHECK_OK(b, dup(q));
	CHECK_OK(b, close(d));
	last_close(b, q, d);
}

T_CASE(close_of_a_dup_drops_registration) { BOTH(s_close_dup); }

static void s_close_other(const struct be *b)
{
	mqd_t q = qopen(b, "/q", O_RDWR), r = qopen(b, "/q", O_RDONLY);
	mqd_t o = qopen(b, "/other", O_RDWR);

	reg(b, q);
	CHECK_OK(b, close(o));		/* another queue: no effect */
	CHECK(b, notify_pid(b, q) == getpid());
	CHECK_OK(b, close(r));		/* another description: drops */
	CHECK(b, notify_pid(b, q) == 0);
	CHECK_OK(b, close(q));
	CHECK_OK(b, b->unlink("/q"));
	CHECK_OK(b, b->unlink("/other"));
}

T_CASE(close_of_another_description_drops_registration)
{
	BOTH(s_close_other);
}

static void s_dup2_over(const struct be *b)
{
	mqd_t q = qopen(b, "/q", O_RDWR), d, e;
	int n = devnull();

	reg(b, q);
	d = (mqd_t)CHECK_OK(b, dup(q));
	CHECK(b, dup2(n, d) == d);	/* d is /dev/null now */
	CHECK(b, notify_pid(b, q) == 0);
	CHECK_ERR(b, b->send(d, "x", 1, 0), EBADF);
	CHECK_ERR(b, b->getattr(d, &(struct mq_attr){ 0 }), EBADF);
	/* And dup3 over one, and onto itself (nothing closes). */
	reg(b, q);
	CHECK(b, dup2(q, q) == q);
	CHECK(b, notify_pid(b, q) == getpid());
	CHECK_ERR(b, dup3(q, q, 0), EINVAL);
	CHECK(b, notify_pid(b, q) == getpid());
	e = (mqd_t)CHECK_OK(b, dup(q));
	CHECK(b, dup3(n, e, O_CLOEXEC) == e);
	CHECK(b, notify_pid(b, q) == 0);
	CHECK_ERR(b, b->send(e, "x", 1, 0), EBADF);
	/* A failed dup2 closes nothing. */
	reg(b, q);
	e = (mqd_t)CHECK_OK(b, dup(q));
	CHECK_ERR(b, dup2(-1, e), EBADF);
	CHECK(b, notify_pid(b, q) == getpid());
	CHECK_OK(b, b->send(e, "x", 1, 0));
	/* dup2 of a queue onto a regular file's number: now a queue. */
	CHECK(b, dup2(q, n) == n);
	CHECK_OK(b, b->send(n, "y", 1, 0));
	CHECK_OK(b, close(e));
	CHECK_OK(b, close(d));
	CHECK_OK(b, close(n));
	CHECK_OK(b, close(q));
	CHECK_OK(b, b->unlink("/q"));
}

T_CASE(dup2_and_dup3_over_a_queue) { BOTH(s_dup2_over); }

static void s_fcntl_dup(const struct be *b)
{
	mqd_t q = qopen(b, "/q", O_RDWR), d, e;
	struct mq_attr a;
	char buf[16];

	d = (mqd_t)CHECK_OK(b, fcntl(q, F_DUPFD, 50));
	e = (mqd_t)CHECK_OK(b, fcntl(q, F_DUPFD_CLOEXEC, 60));
	CHECK(b, d >= 50 && e >= 60);
	CHECK(b, fcntl(e, F_GETFD) == FD_CLOEXEC);
	/* One open description: the send by one is there for the others,
	 * and O_NONBLOCK is shared. */
	CHECK_OK(b, b->send(d, "abc", 3, 1));
	CHECK(b, b->recv(e, buf, sizeof(buf), NULL) == 3);
	CHECK_OK(b, b->setattr(d, &(struct mq_attr){ .mq_flags = O_NONBLOCK },
			       NULL));
	CHECK_OK(b, b->getattr(q, &a));
	CHECK(b, a.mq_flags == O_NONBLOCK);
	CHECK_ERR(b, b->recv(q, buf, sizeof(buf), NULL), EAGAIN);
	/* The registration, made through a dup, goes with the original. */
	reg(b, e);
	CHECK_OK(b, close(q));
	CHECK(b, notify_pid(b, d) == 0);
	CHECK_OK(b, b->send(e, "x", 1, 0));
	CHECK(b, b->recv(d, buf, sizeof(buf), NULL) == 1);
	CHECK_OK(b, close(d));
	CHECK_OK(b, b->close(e));
	CHECK_OK(b, b->unlink("/q"));
}

T_CASE(fcntl_dupfd) { BOTH(s_fcntl_dup); }

static void s_close_range(const struct be *b)
{
	mqd_t q = qopen(b, "/q", O_RDWR);
	int lo = 100, hi = 103;

	for (int fd = lo; fd <= hi; fd++)
		CHECK(b, fcntl(q, F_DUPFD, fd) == fd);
	reg(b, q);
	/* CLOEXEC marks, closes nothing. */
	CHECK_OK(b, close_range(lo, hi, CLOSE_RANGE_CLOEXEC));
	CHECK(b, notify_pid(b, q) == getpid());
	CHECK(b, fcntl(hi, F_GETFD) == FD_CLOEXEC);
	CHECK_OK(b, b->getattr(hi, &(struct mq_attr){ 0 }));
	CHECK_ERR(b, close_range(hi, lo, 0), EINVAL);
	CHECK(b, notify_pid(b, q) == getpid());
	CHECK_OK(b, close_range(lo + 1, hi, 0));
	CHECK(b, notify_pid(b, q) == 0);
	for (int fd = lo + 1; fd <= hi; fd++) {
		CHECK_ERR(b, b->send(fd, "x", 1, 0), EBADF);
		/* Reused by a regular file: still no queue. */
		CHECK(b, dup2(devnull(), fd) == fd);
		CHECK_ERR(b, b->send(fd, "x", 1, 0), EBADF);
	}
	reg(b, q);
	closefrom(lo + 1);
	CHECK(b, notify_pid(b, q) == getpid());
	closefrom(lo);
	last_close(b, q, lo);
}

T_CASE(close_range_and_closefrom) { BOTH(s_close_range); }

/* ---- no stale record ------------------------------------------------ */

static void s_reuse(const struct be *b)
{
	mqd_t q = qopen(b, "/q", O_RDWR);
	struct mq_attr a;
	int n;

	CHECK_OK(b, close(q));
	n = devnull();			/* the lowest free number: q's */
	CHECK(b, n == q);
	CHECK_ERR(b, b->send(n, "x", 1, 0), EBADF);
	CHECK_ERR(b, b->recv(n, (char[16]){ 0 }, 16, NULL), EBADF);
	CHECK_ERR(b, b->getattr(n, &a), EBADF);
	CHECK_ERR(b, b->notify(n, NULL), EBADF);
	CHECK(b, write(n, "x", 1) == 1);	/* /dev/null's own */
	CHECK_OK(b, b->close(n));	/* mq_close = close */
	CHECK_ERR(b, fcntl(n, F_GETFD), EBADF);
	CHECK_OK(b, b->unlink("/q"));
}

T_CASE(closed_number_reused_by_a_file) { BOTH(s_reuse); }

/* Not a queue descriptor: EBADF from every call, as on the kernel. */
static void s_not_a_queue(const struct be *b)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	struct timespec ts = { 0, 0 };
	struct mq_attr a = { 0 };
	int p[2], s[2], fds[8], n = 0;
	char buf[16];

	T_OK(pipe(p));
	T_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
	fds[n++] = -1;
	fds[n++] = 1 << 20;
	fds[n++] = devnull();
	fds[n++] = p[0];
	fds[n++] = p[1];
	fds[n++] = s[0];
	fds[n++] = (int)T_OK(open("/", O_RDONLY | O_DIRECTORY));
	fds[n] = devnull();
	close(fds[n]);			/* a closed number */
	n++;
	for (int i = 0; i < n; i++) {
		int fd = fds[i];
		CHECK_ERR(b, b->send(fd, "x", 1, 0), EBADF);
		CHECK_ERR(b, b->recv(fd, buf, sizeof(buf), NULL), EBADF);
		CHECK_ERR(b, b->getattr(fd, &a), EBADF);
		CHECK_ERR(b, b->setattr(fd, &a, NULL), EBADF);
		CHECK_ERR(b, b->notify(fd, &sev), EBADF);
		CHECK_ERR(b, b->notify(fd, NULL), EBADF);
		if (b == &umq) {
			CHECK_ERR(b, mq_timedsend(fd, "x", 1, 0, &ts), EBADF);
			CHECK_ERR(b, mq_timedreceive(fd, buf, 16, NULL, &ts),
				  EBADF);
		}
	}
}

T_CASE(not_a_queue_is_ebadf) { BOTH(s_not_a_queue); }

/* A kernel's queue descriptor is no umq queue. */
T_CASE(kernel_descriptor_is_ebadf_for_umq)
{
	mqd_t k;

	if (!t_kernel_ns())
		t_skip("no private IPC namespace");
	k = (mqd_t)T_OK(K(mq_open)("/k", O_CREAT | O_RDWR, 0600, NULL));
	T_ERR(mq_send(k, "x", 1, 0), EBADF);
	T_ERR(mq_getattr(k, &(struct mq_attr){ 0 }), EBADF);
	T_OK(K(mq_unlink)("/k"));
	T_OK(close(k));
}

/* The descriptor of the namespace's directory the library keeps, or -1. */
static int ns_dirfd(void)
{
	char want[PATH_MAX], link[64], path[PATH_MAX];
	int found = -1;
	ssize_t n;

	if (!realpath(t_umq_dir(), want))
		T_FAIL("realpath %s: %s", t_umq_dir(), strerror(errno));
	for (int fd = 0; fd < 4096 && found < 0; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, path, sizeof(path) - 1);
		if (n > 0 && (path[n] = 0, !strcmp(path, want)))
			found = fd;
	}
	return found;
}

/*
 * The library's own descriptors are not the program's: out of its
 * numbers, and as on the kernel, where they do not exist, close and
 * fcntl say EBADF, close_range passes them by, and a dup2 onto one gives
 * the program the number while the library keeps its directory.
 */
T_CASE(library_descriptors_are_not_the_programs)
{
	struct rlimit rl;
	mqd_t q = qopen(&umq, "/own", O_RDWR), q2;
	int ours = ns_dirfd(), nul = devnull(), other;

	T_ASSERT(q >= 0 && ours >= 0);
	T_OK(getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur >= 128)
		T_ASSERT(ours >= (int)(rl.rlim_cur < 1024 ? rl.rlim_cur : 1024)
			 - 64);
	T_ERR(close(ours), EBADF);
	T_ERR(fcntl(ours, F_GETFD), EBADF);
	T_ERR(dup(ours), EBADF);
	T_ERR(dup2(ours, 100), EBADF);
	T_OK(close_range((unsigned)ours, (unsigned)ours, 0));
	T_EQ(ns_dirfd(), ours);
	/* The program takes the number: the library moves. */
	T_EQ(dup2(nul, ours), ours);
	other = ns_dirfd();
	T_ASSERT(other >= 0 && other != ours);
	T_OK(fcntl(ours, F_GETFD));
	T_OK(close(ours));
	T_ERR(close(other), EBADF);
	q2 = qopen(&umq, "/own2", O_RDWR);	/* through the moved one */
	T_ASSERT(q2 >= 0);
	T_OK(mq_send(q2, "x", 1, 0));
	T_OK(mq_close(q2));
	T_OK(mq_unlink("/own2"));
	T_OK(mq_close(q));
	T_OK(mq_unlink("/own"));
	close(nul);
}

/* ---- lifetimes ------------------------------------------------------ */

/* close() of the last descriptor of an unlinked queue destroys it. */
T_CASE(last_close_destroys_unlinked)
{
	mqd_t q = qopen(&umq, "/gone", O_RDWR), d;

	d = (mqd_t)T_OK(dup(q));
	T_EQ(t_umq_files("posix", NULL), 2);	/* the queue and its FIFO */
	T_OK(mq_unlink("/gone"));
	T_OK(close(q));
	T_EQ(t_umq_files("posix", NULL), 2);	/* d holds it */
	T_OK(mq_send(d, "x", 1, 0));
	T_OK(close(d));
	T_EQ(t_umq_files("posix", NULL), 0);
}

/* A child closing its inherited copies leaves the parent's registration. */
static void s_child_close(const struct be *b)
{
	mqd_t q = qopen(b, "/q", O_RDWR);
	int st;
	pid_t pid;

	reg(b, q);
	pid = fork();
	if (!pid) {
		close(q);
		_exit(0);
	}
	T_OK(waitpid(pid, &st, 0));
	CHECK(b, notify_pid(b, q) == getpid());
	CHECK_OK(b, close(q));
	CHECK_OK(b, b->unlink("/q"));
}

T_CASE(child_close_keeps_parent_registration) { BOTH(s_child_close); }

/*
 * Inherited through exec: what plain reads, writes, sends and receives on
 * the descriptor, with the preload (umq's queue) and without (the
 * kernel's), line for line.
 */
T_CASE(inherited_through_exec)
{
	char out[2][4096], num[16];
	char *argv[] = { PT_PLAIN, "fd", num, NULL };

	if (!t_kernel_ns())
		t_skip("no private IPC namespace");
	for (int i = 0; i < 2; i++) {
		const struct be *b = backend(i);
		mqd_t q = qopen(b, "/inh", O_RDWR);
		int st;

		CHECK_OK(b, b->send(q, "abcde", 5, 3));
		/* At a number the new program has not seen before. */
		CHECK(b, dup2(q, 77) == 77);
		CHECK_OK(b, close(q));
		snprintf(num, sizeof(num), "%d", 77);
		st = pt_run(i == 1, argv, out[i], sizeof(out[i]));
		if (st)
			T_FAIL("%s: plain fd: status %d: %s", b->name, st,
			       out[i]);
		CHECK_OK(b, close(77));
		CHECK_OK(b, b->unlink("/inh"));
	}
	if (strcmp(out[0], out[1]))
		T_FAIL("kernel:\n%s\numq:\n%s", out[0], out[1]);
}

int main(int argc, char **argv)
{
	pt_reexec(argc, argv);
	return t_main(argc, argv);
}
