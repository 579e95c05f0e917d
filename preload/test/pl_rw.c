/* SPDX-License-Identifier: MIT */
/*
 * pl_rw.c - read, write and lseek on a queue descriptor under the
 * preload, against the kernel's (B6, B11): the status line and its
 * fields, reads from the file position (short reads, a second read at
 * the end returns 0, lseek back), pread, readv, lseek's every whence,
 * write's EINVAL, and EBADF where the access mode forbids.
 *
 * Each scenario runs on a kernel descriptor (opened through libc's own
 * mq_open) and on a umq one (through the preload), in the same process,
 * with the same queue state, so even NOTIFY_PID agrees; every step's
 * result, errno and bytes go into a trace, and the traces must be equal.
 */
#include "pt.h"

#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "umq.h"

/* Bad arguments on purpose: the kernel's answer to them is the point. */
#pragma GCC diagnostic ignored "-Wnonnull"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#pragma GCC diagnostic ignored "-Wstringop-overread"

struct be {
	const char *name;
	mqd_t (*open)(const char *, int, ...);
	int (*unlink)(const char *);
	int (*send)(mqd_t, const char *, size_t, unsigned);
	int (*notify)(mqd_t, const struct sigevent *);
	int (*close)(mqd_t);
	long (*sys)(long, ...);
};

#define STEP PT_STEP
#define READ PT_READ
#define note pt_note

static void run_both(void (*fn)(const struct be *))
{
	struct be b[2] = {
		{ "kernel", K(mq_open), K(mq_unlink), K(mq_send),
		  K(mq_notify), K(mq_close), K(syscall) },
		{ "umq", mq_open, mq_unlink, mq_send, mq_notify, mq_close,
		  syscall },
	};

	if (!t_kernel_ns())
		t_skip("no private IPC namespace");
	for (int i = 0; i < 2; i++) {
		pt_side(i);
		fn(&b[i]);
	}
	pt_compare();
}

static mqd_t qopen(const struct be *b, const char *name, int flags)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 16 };
	mqd_t q = b->open(name, flags | O_CREAT, 0600, &a);

	if (q < 0)
		T_FAIL("%s: mq_open %s: %s", b->name, name, strerror(errno));
	return q;
}

static void s_status(const struct be *b)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
				.sigev_signo = SIGUSR1 };
	mqd_t q = qopen(b, "/s", O_RDWR), r = qopen(b, "/s", O_RDONLY);
	char buf[128];

	signal(SIGUSR1, SIG_IGN);
	READ(read(q, buf, sizeof(buf)), buf);
	READ(read(q, buf, sizeof(buf)), buf);	/* at the end: 0 */
	STEP(b->send(q, "abc", 3, 1));
	STEP(b->send(q, "defgh", 5, 7));
	READ(read(r, buf, sizeof(buf)), buf);	/* its own position */
	STEP(b->notify(q, &sev));
	READ(pread(q, buf, sizeof(buf), 0), buf);
	STEP(b->notify(q, NULL));
	sev.sigev_notify = SIGEV_NONE;
	STEP(b->notify(q, &sev));
	READ(pread(q, buf, sizeof(buf), 0), buf);
	STEP(close(r));
	STEP(close(q));
	STEP(b->unlink("/s"));
}

T_CASE(status_line) { run_both(s_status); }

static void s_positions(const struct be *b)
{
	mqd_t q = qopen(b, "/p", O_RDWR), d;
	char buf[128];

	STEP(b->send(q, "xyz", 3, 0));
	READ(read(q, buf, 7), buf);
	READ(read(q, buf, 10), buf);
	STEP(lseek(q, 0, SEEK_CUR));
	/* A dup shares the open description, and its position. */
	d = dup(q);
	STEP(d >= 0);
	READ(read(d, buf, 5), buf);
	STEP(lseek(q, 0, SEEK_CUR));
	READ(read(q, buf, sizeof(buf)), buf);
	READ(read(q, buf, sizeof(buf)), buf);
	READ(read(d, buf, sizeof(buf)), buf);
	STEP(lseek(q, 0, SEEK_SET));
	READ(read(q, buf, sizeof(buf)), buf);
	STEP(lseek(q, 55, SEEK_SET));
	READ(read(q, buf, sizeof(buf)), buf);
	STEP(lseek(q, -10, SEEK_END));
	READ(read(q, buf, sizeof(buf)), buf);
	STEP(lseek(q, 1000, SEEK_SET));
	READ(read(q, buf, sizeof(buf)), buf);
	/* Every whence, and the overflows and negatives. */
	STEP(lseek(q, 0, SEEK_END));
	STEP(lseek(q, -81, SEEK_END));
	STEP(lseek(q, 5, SEEK_CUR));
	STEP(lseek(q, -86, SEEK_CUR));
	STEP(lseek(q, 0, SEEK_DATA));
	STEP(lseek(q, 79, SEEK_DATA));
	STEP(lseek(q, 80, SEEK_DATA));
	STEP(lseek(q, -100, SEEK_DATA));
	STEP(lseek(q, -5, SEEK_HOLE));
	STEP(lseek(q, 10, SEEK_HOLE));
	STEP(lseek(q, 80, SEEK_HOLE));
	STEP(lseek(q, 0, SEEK_HOLE + 1));
	STEP(lseek(q, -1, 99));
	STEP(lseek(q, LLONG_MAX, SEEK_SET));
	STEP(lseek(q, 1, SEEK_CUR));
	STEP(lseek(q, LLONG_MAX, SEEK_END));
	STEP(lseek(q, -1, SEEK_SET));
	STEP(lseek(q, 0, SEEK_CUR));
	/* pread leaves the position alone. */
	STEP(lseek(q, 3, SEEK_SET));
	READ(pread(q, buf, 10, 20), buf);
	READ(pread(q, buf, 100, 59), buf);
	READ(pread(q, buf, 10, 60), buf);
	READ(pread(q, buf, 10, 1 << 30), buf);
	STEP(pread(q, buf, 10, -1));
	STEP(pread(q, buf, 0, -1));
	STEP(lseek(q, 0, SEEK_CUR));
	READ(read(q, buf, 0), buf);
	STEP(lseek(q, 0, SEEK_SET));
	STEP(read(q, NULL, 10));
	STEP(lseek(q, 0, SEEK_END));
	STEP(read(q, NULL, 10));
	STEP(close(d));
	STEP(close(q));
	STEP(b->unlink("/p"));
}

T_CASE(read_positions_and_lseek) { run_both(s_positions); }

/* A new open description at a number an old one had: position 0. */
static void s_reopen(const struct be *b)
{
	char buf[128];
	mqd_t q = qopen(b, "/r", O_RDWR), r;

	READ(read(q, buf, 20), buf);
	STEP(b->close(q));
	r = qopen(b, "/r", O_RDONLY);
	STEP(r == q);
	READ(read(r, buf, 10), buf);
	STEP(close(r));
	r = (mqd_t)b->sys(SYS_mq_open, "r", O_RDONLY, 0, NULL);
	STEP(r == q);
	READ(read(r, buf, 10), buf);
	STEP(b->sys(SYS_close, r));
	STEP(b->unlink("/r"));
}

T_CASE(read_position_of_a_new_description) { run_both(s_reopen); }

static void s_vectors(const struct be *b)
{
	mqd_t q = qopen(b, "/v", O_RDWR);
	char x[8], y[100], z[4];
	struct iovec iov[3] = { { x, sizeof(x) }, { NULL, 0 },
				{ y, sizeof(y) } };
	struct iovec bad[2] = { { x, (size_t)-1 }, { y, 1 } };
	struct iovec hole[2] = { { z, sizeof(z) }, { NULL, 10 } };

	memset(y, 0, sizeof(y));
	STEP(readv(q, iov, 3));
	note("  \"%.*s\" \"%s\"\n", (int)sizeof(x), x, y);
	STEP(readv(q, iov, 3));
	STEP(lseek(q, 0, SEEK_SET));
	STEP(readv(q, iov, 0));
	STEP(readv(q, iov, -1));
	STEP(readv(q, iov, 1025));
	STEP(readv(q, NULL, 1));
	STEP(readv(q, bad, 2));
	STEP(readv(q, hole, 2));	/* the fault after 4 bytes */
	note("  \"%.*s\"\n", (int)sizeof(z), z);
	STEP(lseek(q, 0, SEEK_CUR));
	STEP(writev(q, iov, 1));
	STEP(writev(q, NULL, 5000));
	STEP(close(q));
	STEP(b->unlink("/v"));
}

T_CASE(readv_and_writev) { run_both(s_vectors); }

/* EBADF where the access mode forbids, EINVAL where it allows. */
static void s_access(const struct be *b)
{
	mqd_t rw = qopen(b, "/a", O_RDWR), ro = qopen(b, "/a", O_RDONLY);
	mqd_t wo = qopen(b, "/a", O_WRONLY);
	mqd_t none = qopen(b, "/n", O_WRONLY | O_RDWR);
	struct iovec iov = { (char[8]){ 0 }, 8 };
	char buf[128];

	STEP(none >= 0);
	READ(read(ro, buf, sizeof(buf)), buf);
	STEP(read(wo, buf, sizeof(buf)));
	STEP(read(none, buf, sizeof(buf)));
	STEP(pread(wo, buf, 1, 0));
	STEP(pread(wo, buf, 1, -1));
	STEP(readv(wo, &iov, 1));
	STEP(readv(wo, NULL, 5000));
	STEP(write(rw, "x", 1));
	STEP(write(rw, NULL, 0));
	STEP(write(wo, "x", 1));
	STEP(write(ro, "x", 1));
	STEP(write(none, "x", 1));
	STEP(pwrite(rw, "x", 1, 0));
	STEP(pwrite(ro, "x", 1, 0));
	STEP(pwrite(ro, "x", 1, -1));
	STEP(writev(ro, &iov, 1));
	STEP(writev(wo, &iov, 1));
	STEP(lseek(wo, 7, SEEK_SET));
	STEP(lseek(none, 7, SEEK_SET));
	/* The system call's own road reaches the same. */
	READ(syscall(SYS_read, ro, buf, sizeof(buf)), buf);
	STEP(syscall(SYS_read, wo, buf, sizeof(buf)));
	STEP(syscall(SYS_write, rw, "x", 1));
	STEP(syscall(SYS_lseek, ro, 0, SEEK_SET));
	READ(syscall(SYS_pread64, ro, buf, 6, 0), buf);
	STEP(close(rw));
	STEP(close(ro));
	STEP(close(wo));
	STEP(close(none));
	STEP(b->unlink("/a"));
	STEP(b->unlink("/n"));
}

T_CASE(access_modes) { run_both(s_access); }

int main(int argc, char **argv)
{
	pt_reexec(argc, argv);
	return t_main(argc, argv);
}
