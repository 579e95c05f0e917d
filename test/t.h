/* SPDX-License-Identifier: MIT */
/*
 * t.h - the test harness shared by every test program.
 *
 * A test program is a list of cases declared with T_CASE(name).  Each case
 * runs in a child process of its own (so a crash, a hang or a leaked queue
 * stays inside it) with a fresh umq namespace directory and, where the
 * caller may, a fresh kernel IPC namespace, so that ids start at 0 on both
 * sides and kernel queues vanish with the child whatever happens.
 *
 * Output, one line per case, counted by test/run.sh:
 *   ok - name | not ok - name | skip - name (reason)
 * Exit status of the program: 0 if no case failed, else 1.
 */
#ifndef T_H
#define T_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <time.h>
#include <sys/msg.h>
#include <mqueue.h>

#define T_EXIT_PASS 0
#define T_EXIT_FAIL 1
#define T_EXIT_SKIP 77

typedef void (*t_fn)(void);
void t_register(const char *name, t_fn fn, int flags);

/* Case flags. */
#define T_NO_KERNEL_NS 1	/* do not unshare the IPC namespace */

#define T_CASE_F(name, flags)                                           \
	static void t_case_##name(void);                                \
	__attribute__((constructor)) static void t_reg_##name(void)     \
	{ t_register(#name, t_case_##name, flags); }                    \
	static void t_case_##name(void)
#define T_CASE(name) T_CASE_F(name, 0)

/* Fail the running case (it stops here). */
__attribute__((noreturn, format(printf, 3, 4)))
void t_fail_at(const char *file, int line, const char *fmt, ...);
/* Skip the running case. */
__attribute__((noreturn, format(printf, 1, 2)))
void t_skip(const char *fmt, ...);
/* The nice value the case runs at, after skipping it if there is no
 * room for +room above it (19 is the kernel's end): cases that order
 * waiters by nice add theirs to it, as only a privileged process could
 * go below it. */
int t_nice_base(int room);
/* Free-form note shown with the case's result. */
__attribute__((format(printf, 1, 2))) void t_note(const char *fmt, ...);

#define T_FAIL(...) t_fail_at(__FILE__, __LINE__, __VA_ARGS__)
#define T_ASSERT(c)                                                     \
	do { if (!(c)) T_FAIL("assertion failed: %s", #c); } while (0)
#define T_EQ(a, b)                                                      \
	do {                                                            \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b); \
		if (t_a_ != t_b_)                                       \
			T_FAIL("%s == %lld, expected %s == %lld",       \
			       #a, t_a_, #b, t_b_);                     \
	} while (0)
/* expr must fail with -1 and errno e. */
#define T_ERR(expr, e)                                                  \
	do {                                                            \
		errno = 0;                                              \
		long long t_r_ = (long long)(expr);                     \
		int t_e_ = errno;                                       \
		if (t_r_ != -1 || t_e_ != (e))                          \
			T_FAIL("%s returned %lld errno %s, expected -1 %s", \
			       #expr, t_r_, strerrorname_np(t_e_) ?: "0", \
			       strerrorname_np(e));                     \
	} while (0)
/* expr must not fail (returns its value). */
#define T_OK(expr)                                                      \
	({                                                              \
		errno = 0;                                              \
		long long t_r_ = (long long)(expr);                     \
		if (t_r_ == -1)                                         \
			T_FAIL("%s failed: %s", #expr,                  \
			       strerrorname_np(errno) ?: "?");          \
		t_r_;                                                   \
	})

/* The System V calls of a test's table of backends (cred.h, signals.c). */
#define T_MSG_CALLS                                                     \
	int (*msgget)(key_t, int);                                      \
	int (*msgsnd)(int, const void *, size_t, int);                  \
	ssize_t (*msgrcv)(int, void *, size_t, long, int);              \
	int (*msgctl)(int, int, struct msqid_ds *);

/* The POSIX calls of a test's table of backends, after its open (one
 * list for backend.h, pdiff.h and errno_diff.c, whose tables initialize
 * them in this order). */
#define T_MQ_CALLS                                                      \
	int (*close)(mqd_t);                                            \
	int (*unlink)(const char *);                                    \
	int (*send)(mqd_t, const char *, size_t, unsigned);             \
	int (*timedsend)(mqd_t, const char *, size_t, unsigned,         \
			 const struct timespec *);                      \
	ssize_t (*receive)(mqd_t, char *, size_t, unsigned *);          \
	ssize_t (*timedreceive)(mqd_t, char *, size_t, unsigned *,      \
				const struct timespec *);               \
	int (*getattr)(mqd_t, struct mq_attr *);                        \
	int (*setattr)(mqd_t, const struct mq_attr *, struct mq_attr *); \
	int (*notify)(mqd_t, const struct sigevent *);

/* True when the case runs in a private kernel IPC namespace. */
int t_kernel_ns(void);
/* Directory of the case's private umq namespace. */
const char *t_umq_dir(void);
/* Use a namespace on a 512 KiB tmpfs of the case's own (in a mount
 * namespace of its own; skips without root): the tmpfs's directory.
 * t_fill_up() takes what is left of it (a file, "ballast", written until
 * ENOSPC), t_room() gives it back. */
const char *t_small_ns(void);
void t_fill_up(void);
void t_room(void);
/* How many entries of its directory sub (posix, sysv ...) keep takes
 * (NULL: every one but the dot files); fails the case if it cannot read
 * the directory. */
int t_umq_files(const char *sub, bool (*keep)(const char *name));
/* Use a new namespace directory, name, inside the case's, from now on
 * (and for t_umq_dir()): 0 or -1. */
int t_umq_subdir(const char *name);
/* The generation of System V queue qid in that namespace (layout.h:
 * sysv/i.<idx> names it); fails the case if there is none. */
uint64_t t_umq_gen(int qid);
/* The same in namespace dir, as sysv/i.<idx> spells it (hex, the
 * <gen> of the queue's files): 0, or -1 with errno (no harness needed). */
int t_gen_name(const char *dir, int qid, char *buf, size_t size);
/* Write a value to a sysctl of the case's kernel IPC namespace (0 / -1). */
int t_sysctl_write(const char *path, long value);
long t_sysctl_read(const char *path);
/* Have a capability in the effective set. */
int t_have_cap(int cap);
/* Run fn in a child as uid/gid (no capabilities); returns its exit code. */
int t_as_user(uid_t uid, gid_t gid, void (*fn)(void *), void *arg);
/* A process's state letter in /proc (R, S, T ...), 0 if it is gone. */
char t_proc_state(pid_t pid);
/* Wait until pid is blocked in a sleep (state S), up to ~5 s. */
int t_wait_sleeping(pid_t pid);
/* Milliseconds sleep. */
void t_msleep(int ms);

/* ---- Child processes ----------------------------------------------------- */

/* Memory that the case and its children share (MAP_SHARED, zeroed). */
void *t_shared(size_t n);
/* CLOCK_MONOTONIC in milliseconds. */
long t_now_ms(void);
/* An absolute deadline ms from now on clk (in the past if ms < 0). */
struct timespec t_deadline(clockid_t clk, long ms);
/* Fork a child that runs fn(arg), then exits T_EXIT_PASS; returns its pid. */
pid_t t_spawn(void (*fn)(void *), void *arg);
/* The same, with an alarm(secs) in the child: it never outlives a hang. */
pid_t t_spawn_alarm(void (*fn)(void *), void *arg, unsigned secs);
/* The pid of a child that has ended and been reaped: a process that is
 * no more (until the kernel hands the pid out again). */
pid_t t_dead_pid(void);
/* Wait for pid to end; returns its wait status. */
int t_waitpid(pid_t pid);
/*
 * Wait at least ms milliseconds for a state change of pid (waitpid
 * flags); returns its wait status, or -1 if there was none.
 */
int t_wait_child(pid_t pid, int flags, int ms);
/* The same for its end: its wait status, or -1 when it had not ended
 * (it is then killed and reaped). */
int t_reap(pid_t pid, int ms);
/* The blocked signal sig, waited for at most ms (0: only one already
 * pending); si_signo 0 if none came. */
siginfo_t t_take_sig(int sig, int ms);
/*
 * Fail the case unless wait status st says that pid (the child doing
 * what) passed; skip it if the child could not switch users.
 */
void t_exited_ok(pid_t pid, int st, const char *what);
/* t_as_user with supplementary groups. */
int t_as_user_groups(uid_t uid, gid_t gid, int ngroups, const gid_t *groups,
		     void (*fn)(void *), void *arg);

/*
 * A message of len bytes on a Unix socket with descriptor fd attached
 * (none when fd < 0): sendmsg's result.  Its receipt: the bytes read,
 * and the descriptor that came with them in *fd (-1 if none).
 */
ssize_t t_send_fd(int sock, const void *buf, size_t len, int fd);
ssize_t t_recv_fd(int sock, void *buf, size_t len, int *fd);

/*
 * The kernel's calls, made directly: the sanitizers intercept libc's
 * msgsnd/msgrcv/msgctl and check the buffers themselves (msgsnd of a
 * huge size would be their crash, not the kernel's EINVAL).
 */
int t_k_msgget(key_t key, int flg);
int t_k_msgsnd(int id, const void *p, size_t n, int flg);
ssize_t t_k_msgrcv(int id, void *p, size_t n, long type, int flg);
int t_k_msgctl(int id, int cmd, struct msqid_ds *buf);
/* The same for POSIX queues, with glibc's conventions (t.c). */
mqd_t t_k_mq_open(const char *name, int oflag, mode_t mode,
		  struct mq_attr *attr);
int t_k_mq_close(mqd_t d);
int t_k_mq_unlink(const char *name);
int t_k_mq_send(mqd_t d, const char *p, size_t n, unsigned prio);
int t_k_mq_timedsend(mqd_t d, const char *p, size_t n, unsigned prio,
		     const struct timespec *ts);
ssize_t t_k_mq_receive(mqd_t d, char *p, size_t n, unsigned *prio);
ssize_t t_k_mq_timedreceive(mqd_t d, char *p, size_t n, unsigned *prio,
			    const struct timespec *ts);
int t_k_mq_getattr(mqd_t d, struct mq_attr *a);
int t_k_mq_setattr(mqd_t d, const struct mq_attr *na, struct mq_attr *oa);
int t_k_mq_notify(mqd_t d, const struct sigevent *sev);

/*
 * Run a scenario once per backend, each half in a process of its own, so
 * that a failure on one side still lets the other run and the report
 * names the side.  run(i) runs half i; kernel(i) says whether it needs a
 * private IPC namespace (each half then gets a fresh one).  Fails the
 * case if a half failed; skips it if none ran.
 */
void t_both(size_t n, const char *(*name)(size_t i), bool (*kernel)(size_t i),
	    void (*run)(size_t i));

/*
 * The common case of t_both: two halves, the kernel's (t_half 0, in a
 * private IPC namespace) and umq's (t_half 1).  T_BOTH(name) { body }
 * declares a case that runs body in each; a test keeps its table of the
 * two backends' calls and picks its entry with t_half.
 */
extern size_t t_half;
void t_both_run(void (*fn)(void));
#define T_BOTH(name)							\
	static void t_s_##name(void);					\
	T_CASE(name) { t_both_run(t_s_##name); }			\
	static void t_s_##name(void)

int t_main(int argc, char **argv);

#endif
