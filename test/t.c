/* SPDX-License-Identifier: MIT */
/* t.c - see t.h. */
#include "t.h"

#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <grp.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <time.h>

#include "umq.h"

#define T_MAX 512

static struct { const char *name; t_fn fn; int flags; } cases[T_MAX];
static int ncases;
static int in_kernel_ns;
static char umq_dir[256];

void t_register(const char *name, t_fn fn, int flags)
{
	if (ncases == T_MAX)
		abort();
	cases[ncases].name = name;
	cases[ncases].fn = fn;
	cases[ncases].flags = flags;
	ncases++;
}

/* A "#   " line on stderr: what, then fmt. */
static void vnote(const char *what, const char *fmt, va_list ap)
{
	fprintf(stderr, "#   %s", what);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* The case ends here with code, after that line. */
__attribute__((noreturn))
static void vexit(int code, const char *what, const char *fmt, va_list ap)
{
	vnote(what, fmt, ap);
	fflush(NULL);
	_exit(code);
}

void t_fail_at(const char *file, int line, const char *fmt, ...)
{
	char where[300];
	va_list ap;

	snprintf(where, sizeof(where), "%s:%d: ", file, line);
	va_start(ap, fmt);
	vexit(T_EXIT_FAIL, where, fmt, ap);
}

void t_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vexit(T_EXIT_SKIP, "skipped: ", fmt, ap);
}

int t_nice_base(int room)
{
	int base;

	errno = 0;
	base = getpriority(PRIO_PROCESS, 0);
	if (errno)
		t_skip("getpriority: %s", strerror(errno));
	if (base + room > 19)
		t_skip("running at nice %d: no room for +%d", base, room);
	return base;
}

void t_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote("", fmt, ap);
	va_end(ap);
}

int t_kernel_ns(void) { return in_kernel_ns; }
const char *t_umq_dir(void) { return umq_dir; }

/* The small filesystem of t_small_ns(), and its ballast. */
static char small_fs[sizeof(umq_dir) + 16];

const char *t_small_ns(void)
{
	char ns[sizeof(small_fs) + 8];

	if (unshare(CLONE_NEWNS) ||
	    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL))
		t_skip("needs a mount namespace of its own (root)");
	snprintf(small_fs, sizeof(small_fs), "%s/small", umq_dir);
	T_OK(mkdir(small_fs, 0755));
	T_OK(mount("tmpfs", small_fs, "tmpfs", 0, "size=512k"));
	snprintf(ns, sizeof(ns), "%s/ns", small_fs);
	T_OK(umq_ns_use(ns));
	return small_fs;
}

void t_fill_up(void)
{
	char path[sizeof(small_fs) + 16], block[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/ballast", small_fs);
	fd = (int)T_OK(open(path, O_WRONLY | O_CREAT | O_APPEND, 0600));
	memset(block, 'b', sizeof(block));
	while (write(fd, block, sizeof(block)) > 0)
		;
	while (write(fd, block, 1) > 0)
		;
	close(fd);
}

void t_room(void)
{
	char path[sizeof(small_fs) + 16];

	snprintf(path, sizeof(path), "%s/ballast", small_fs);
	T_OK(unlink(path));
}

int t_umq_files(const char *sub, bool (*keep)(const char *name))
{
	char path[sizeof(umq_dir) + 64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", umq_dir, sub);
	d = opendir(path);
	if (!d)
		T_FAIL("opendir %s: %s", path, strerror(errno));
	while ((e = readdir(d)))
		n += keep ? keep(e->d_name) : e->d_name[0] != '.';
	closedir(d);
	return n;
}

int t_umq_subdir(const char *name)
{
	char dir[sizeof(umq_dir)];

	if (snprintf(dir, sizeof(dir), "%s/%s", umq_dir, name) >=
	    (int)sizeof(dir) || mkdir(dir, 0700) || chmod(dir, 01777) ||
	    umq_ns_use(dir))
		return -1;
	memcpy(umq_dir, dir, sizeof(dir));
	return 0;
}

int t_gen_name(const char *dir, int qid, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/sysv/i.%u", dir,
		 (unsigned)qid & 32767);
	n = readlink(path, buf, size - 1);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return 0;
}

uint64_t t_umq_gen(int qid)
{
	char gen[64];

	if (t_gen_name(umq_dir, qid, gen, sizeof(gen)))
		T_FAIL("no sysv/i.<idx> link of queue %d in %s: %s", qid,
		       umq_dir, strerror(errno));
	return strtoull(gen, NULL, 16);
}

int t_sysctl_write(const char *path, long value)
{
	char buf[32];
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	int n = snprintf(buf, sizeof(buf), "%ld\n", value);
	int r = write(fd, buf, n) == n ? 0 : -1;
	close(fd);
	return r;
}

long t_sysctl_read(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atol(buf) : -1;
}

int t_have_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d))
		return 0;
	return !!(d[cap / 32].effective & (1u << (cap % 32)));
}

struct as_user {
	uid_t uid;
	gid_t gid;
	int ngroups;
	const gid_t *groups;
	void (*fn)(void *);
	void *arg;
};

static void as_user_child(void *p)
{
	const struct as_user *a = p;

	if (setgroups(a->ngroups, a->groups) ||
	    setresgid(a->gid, a->gid, a->gid) ||
	    setresuid(a->uid, a->uid, a->uid)) {
		fprintf(stderr, "#   cannot become %d:%d: %s\n", (int)a->uid,
			(int)a->gid, strerror(errno));
		_exit(T_EXIT_SKIP);
	}
	a->fn(a->arg);
}

int t_as_user_groups(uid_t uid, gid_t gid, int ngroups, const gid_t *groups,
		     void (*fn)(void *), void *arg)
{
	struct as_user a = { uid, gid, ngroups, groups, fn, arg };
	int st = t_waitpid(t_spawn(as_user_child, &a));

	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	fprintf(stderr, "#   child killed by signal %d\n", WTERMSIG(st));
	return T_EXIT_FAIL;
}

int t_as_user(uid_t uid, gid_t gid, void (*fn)(void *), void *arg)
{
	return t_as_user_groups(uid, gid, 0, NULL, fn, arg);
}

char t_proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

int t_wait_sleeping(pid_t pid)
{
	for (int i = 0; i < 5000; i++) {
		char s = t_proc_state(pid);
		if (!s)
			return -1;
		if (s == 'S')
			return 0;
		t_msleep(1);
	}
	return -1;
}

int t_k_msgget(key_t key, int flg)
{
	return (int)syscall(SYS_msgget, key, flg);
}

int t_k_msgsnd(int id, const void *p, size_t n, int flg)
{
	return (int)syscall(SYS_msgsnd, id, p, n, flg);
}

ssize_t t_k_msgrcv(int id, void *p, size_t n, long type, int flg)
{
	return syscall(SYS_msgrcv, id, p, n, type, flg);
}

int t_k_msgctl(int id, int cmd, struct msqid_ds *buf)
{
	return (int)syscall(SYS_msgctl, id, cmd, buf);
}

/*
 * The kernel's POSIX queue calls with glibc's conventions (the name
 * without its '/', mode and attr only with O_CREAT, EACCES for the
 * unlink's EPERM), made directly; a NULL-like name or sigevent goes to
 * the kernel as it is, for the EFAULT cases.
 */
mqd_t t_k_mq_open(const char *name, int oflag, mode_t mode,
		    struct mq_attr *attr)
{
	if ((uintptr_t)name >= 4096 && name[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	return syscall(SYS_mq_open, (uintptr_t)name >= 4096 ? name + 1 : name,
		       oflag, mode, oflag & O_CREAT ? attr : NULL);
}

int t_k_mq_close(mqd_t d)
{
	return syscall(SYS_close, d);
}

int t_k_mq_unlink(const char *name)
{
	int r;

	if ((uintptr_t)name >= 4096 && name[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	r = syscall(SYS_mq_unlink, (uintptr_t)name >= 4096 ? name + 1 : name);
	if (r == -1 && errno == EPERM)
		errno = EACCES;
	return r;
}

int t_k_mq_timedsend(mqd_t d, const char *p, size_t n, unsigned prio,
		       const struct timespec *ts)
{
	return syscall(SYS_mq_timedsend, d, p, n, prio, ts);
}

int t_k_mq_send(mqd_t d, const char *p, size_t n, unsigned prio)
{
	return t_k_mq_timedsend(d, p, n, prio, NULL);
}

ssize_t t_k_mq_timedreceive(mqd_t d, char *p, size_t n, unsigned *prio,
			      const struct timespec *ts)
{
	return syscall(SYS_mq_timedreceive, d, p, n, prio, ts);
}

ssize_t t_k_mq_receive(mqd_t d, char *p, size_t n, unsigned *prio)
{
	return t_k_mq_timedreceive(d, p, n, prio, NULL);
}

int t_k_mq_setattr(mqd_t d, const struct mq_attr *na, struct mq_attr *oa)
{
	return syscall(SYS_mq_getsetattr, d, na, oa);
}

int t_k_mq_getattr(mqd_t d, struct mq_attr *a)
{
	return t_k_mq_setattr(d, NULL, a);
}

/* SIGEV_THREAD is glibc's own (a netlink socket and a helper thread):
 * that part goes through libc's mq_notify. */
int t_k_mq_notify(mqd_t d, const struct sigevent *sev)
{
	if ((uintptr_t)sev >= 4096 && sev->sigev_notify == SIGEV_THREAD)
		return mq_notify(d, sev);
	return syscall(SYS_mq_notify, d, sev);
}

void t_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void *t_shared(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		T_FAIL("mmap: %s", strerror(errno));
	return p;
}

long t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct timespec t_deadline(clockid_t clk, long ms)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	} else if (ts.tv_nsec < 0) {
		ts.tv_sec--;
		ts.tv_nsec += 1000000000L;
	}
	return ts;
}

pid_t t_spawn(void (*fn)(void *), void *arg)
{
	fflush(NULL);
	pid_t pid = fork();

	if (pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		fn(arg);
		fflush(NULL);
		_exit(T_EXIT_PASS);
	}
	return pid;
}

struct timed {
	void (*fn)(void *);
	void *arg;
	unsigned secs;
};

static void timed_child(void *p)
{
	const struct timed *t = p;

	alarm(t->secs);
	t->fn(t->arg);
}

pid_t t_spawn_alarm(void (*fn)(void *), void *arg, unsigned secs)
{
	struct timed t = { fn, arg, secs };

	return t_spawn(timed_child, &t);
}

pid_t t_dead_pid(void)
{
	pid_t pid = fork();

	if (pid < 0)
		T_FAIL("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

int t_waitpid(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			T_FAIL("waitpid: %s", strerror(errno));
	return st;
}

/* Counted in sleeps of 1 ms, so that a loaded machine gets longer. */
int t_wait_child(pid_t pid, int flags, int ms)
{
	int st;

	for (int i = 0; i < ms; i++) {
		pid_t r = waitpid(pid, &st, flags | WNOHANG);

		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			T_FAIL("waitpid(%d): %s", (int)pid, strerror(errno));
		t_msleep(1);
	}
	return -1;
}

int t_reap(pid_t pid, int ms)
{
	int st = t_wait_child(pid, 0, ms);

	if (st == -1) {
		kill(pid, SIGKILL);
		t_waitpid(pid);
	}
	return st;
}

/* sigtimedwait starts its timeout again after EINTR: at most ms per
 * interruption, and a test's signals are few. */
siginfo_t t_take_sig(int sig, int ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };
	siginfo_t si;
	sigset_t set;

	memset(&si, 0, sizeof(si));
	sigemptyset(&set);
	sigaddset(&set, sig);
	while (sigtimedwait(&set, &si, &ts) < 0) {
		if (errno != EINTR) {
			si.si_signo = 0;
			break;
		}
	}
	return si;
}

void t_exited_ok(pid_t pid, int st, const char *what)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_SKIP)
		t_skip("%s: could not switch user", what);
	if (WIFSIGNALED(st))
		T_FAIL("%s: pid %d killed by signal %d", what, (int)pid,
		       WTERMSIG(st));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != T_EXIT_PASS)
		T_FAIL("%s: pid %d ended with status %#x", what, (int)pid, st);
}

struct half {
	size_t i;
	void (*run)(size_t i);
};

/* One half of t_both, in its own process. */
static void both_half(void *p)
{
	const struct half *h = p;

	if (t_kernel_ns() && unshare(CLONE_NEWIPC))
		T_FAIL("unshare: %s", strerror(errno));
	h->run(h->i);
}

void t_both(size_t n, const char *(*name)(size_t i), bool (*kernel)(size_t i),
	    void (*run)(size_t i))
{
	int failed = 0, passed = 0;

	for (size_t i = 0; i < n; i++) {
		struct half h = { i, run };

		if (kernel(i) && !t_kernel_ns()) {
			t_note("%s half skipped: no private IPC namespace",
			       name(i));
			continue;
		}
		int st = t_waitpid(t_spawn(both_half, &h));
		if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_PASS) {
			passed++;
		} else if (WIFEXITED(st) && WEXITSTATUS(st) == T_EXIT_SKIP) {
			t_note("%s half skipped", name(i));
		} else {
			if (WIFSIGNALED(st))
				t_note("killed by signal %d", WTERMSIG(st));
			t_note("^ %s half failed", name(i));
			failed++;
		}
	}
	if (failed)
		T_FAIL("%d backend(s) failed", failed);
	if (!passed)
		t_skip("no backend ran the scenario");
}

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

static int run_case(int i)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return T_EXIT_FAIL;
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (!(cases[i].flags & T_NO_KERNEL_NS))
			in_kernel_ns = unshare(CLONE_NEWIPC) == 0;
		snprintf(umq_dir, sizeof(umq_dir), "/dev/shm/umq-t.%d.XXXXXX",
			 (int)getpid());
		if (!mkdtemp(umq_dir) || chmod(umq_dir, 01777)) {
			perror("# mkdtemp");
			_exit(T_EXIT_FAIL);
		}
		if (umq_ns_use(umq_dir)) {
			perror("# umq_ns_use");
			_exit(T_EXIT_FAIL);
		}
		alarm(60);
		cases[i].fn();
		fflush(NULL);
		_exit(T_EXIT_PASS);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL);	/* helpers the case left behind */
	/* The case's namespace directory, whatever state it is in. */
	char dir[64];
	snprintf(dir, sizeof(dir), "/dev/shm/umq-t.%d.", (int)pid);
	DIR *d = opendir("/dev/shm");
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strncmp(e->d_name, dir + 9, strlen(dir + 9))) {
				char p[300];
				snprintf(p, sizeof(p), "/dev/shm/%s", e->d_name);
				nftw(p, rm_one, 8, FTW_DEPTH | FTW_PHYS);
			}
		}
		closedir(d);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	fprintf(stderr, "#   killed by signal %d%s\n", WTERMSIG(st),
		WTERMSIG(st) == SIGALRM ? " (timeout)" : "");
	return T_EXIT_FAIL;
}

int t_main(int argc, char **argv)
{
	int failed = 0;
	for (int i = 0; i < ncases; i++) {
		if (argc > 1) {	/* run only the named cases */
			int want = 0;
			for (int a = 1; a < argc; a++)
				want |= !strcmp(argv[a], cases[i].name);
			if (!want)
				continue;
		}
		int r = run_case(i);
		if (r == T_EXIT_PASS)
			printf("ok - %s\n", cases[i].name);
		else if (r == T_EXIT_SKIP)
			printf("skip - %s\n", cases[i].name);
		else {
			printf("not ok - %s\n", cases[i].name);
			failed++;
		}
		fflush(stdout);
	}
	return failed ? T_EXIT_FAIL : T_EXIT_PASS;
}

size_t t_half;
static void (*t_scenario)(void);

static const char *t_half_name(size_t i)
{
	return i ? "umq" : "kernel";
}

static bool t_half_kernel(size_t i)
{
	return i == 0;
}

static void t_half_run(size_t i)
{
	t_half = i;
	t_scenario();
}

void t_both_run(void (*fn)(void))
{
	t_scenario = fn;
	t_both(2, t_half_name, t_half_kernel, t_half_run);
}

ssize_t t_send_fd(int sock, const void *buf, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm = { { 0 } };
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *h;

	if (fd >= 0) {
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		h = CMSG_FIRSTHDR(&mh);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL);
}

ssize_t t_recv_fd(int sock, void *buf, size_t len, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cm.buf,
			     .msg_controllen = sizeof(cm.buf) };
	struct cmsghdr *h;
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);

	*fd = -1;
	h = n < 0 ? NULL : CMSG_FIRSTHDR(&mh);
	if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(h), sizeof(int));
	return n;
}
