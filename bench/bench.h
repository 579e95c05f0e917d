/* SPDX-License-Identifier: MIT */
/*
 * bench.h - what the bench's files share: the backends (the kernel, umq,
 * Boost.Interprocess), the roles two processes play, the supervision of
 * the processes that play them, and the report's helpers.
 */
#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "umq.h"
#include "boost.h"
#include "syscount.h"

#define BOOST_DIR	"/dev/shm/"	/* where Boost keeps its queues */

#define MAX_RUNS	15
#define RUN_TIMEOUT	5.0	/* s; a healthy run takes run_secs */
#define SMALL		64
#define TINY		8	/* round trips */
#define BIG		8000
#define MEM_MSGS	10000
#define COUNT_MSGS	200	/* * 64 B: fits in a default queue */
#define MQ_MAXMSG	10	/* the kernel's msg_max: no CAP_SYS_RESOURCE */
#define MQ_NAMES	4
#define STOP		1	/* POSIX: first byte of the last message */
#define MAX_KIDS	64	/* processes of one run */
#define MAX_LAT		(1 << 20)	/* round trips timed one by one */

#define SYSV	"System V"
#define POSIX	"POSIX"

struct job;
struct api;

struct backend {
	const char *name;
	int (*get)(key_t, int);
	int (*snd)(int, const void *, size_t, int);
	ssize_t (*rcv)(int, void *, size_t, long, int);
	int (*ctl)(int, int, struct msqid_ds *);
	mqd_t (*mopen)(const char *, int, ...);
	int (*mclose)(mqd_t);
	int (*munlink)(const char *);
	int (*msend)(mqd_t, const char *, size_t, unsigned int);
	ssize_t (*mrecv)(mqd_t, char *, size_t, unsigned int *);
	int (*msetattr)(mqd_t, const struct mq_attr *, struct mq_attr *);
	/* A backend of its own kind (Boost, the floors): its queue k of the
	 * job, and what the roles send and receive with. */
	int (*qnew)(struct job *j, int k, char *why, size_t len);
	void (*qdel)(struct job *j, int k);
	const struct api *api;
	int broken;	/* a umq child died: it may have held a lock */
	int failed;	/* some operation failed: exit status 1 */
};

extern struct backend be_kernel, be_umq, be_boost, be_ring, be_futex,
	be_exact, be_twolock;
extern struct backend *backends[2];

struct qmsg {
	long mtype;
	char mtext[8192];
};

/* What a child reports; lives in memory shared with the parent. */
struct result {
	double secs;
	double t0, t1;		/* CLOCK_MONOTONIC: first and last message */
	long count;
	long extra[2];
	double p50, p99;	/* round trips timed one by one, us */
	char err[200];
	char detail[200];
};

struct job {
	struct backend *be;
	const struct api *api;	/* what the roles send and receive with */
	int qid;
	/* POSIX and Boost: [0] carries the data (or the pings), [1] the pongs */
	mqd_t mq[2];
	char mq_name[2][48];
	void *bq[2];		/* Boost, the floors: the queues */
	size_t size;
	long depth;		/* Boost, the floors: messages a queue holds */
};

typedef int (*role_fn)(const struct job *, struct result *);

/* The roles, on any API: one-way data that an end message closes, or
 * pings each answered by a pong, until a quit. */
enum { M_DATA, M_END, M_PING, M_PONG, M_QUIT };

struct api {
	const char *snd, *rcv;	/* the calls, for errors */
	/* Send j->size bytes of m as a message of kind k. */
	int (*send)(const struct job *j, struct qmsg *m, int k);
	/* Receive a message of kind k (M_DATA: data or the end) into m. */
	ssize_t (*recv)(const struct job *j, struct qmsg *m, int k);
	/* Whether m, received as kind k, is the end (or the quit). */
	int (*ends)(const struct qmsg *m, int k);
};

extern const struct api sysv_api, posix_api, boost_api;

/* main.c */
extern struct result *res;
extern double run_secs;
extern int runs, verbose, quick, count_roles;
extern const char *only_be, *only_test;
extern int pin_cpu[2];
extern sigset_t chld_set, orig_mask;
extern volatile pid_t kids[MAX_KIDS];
extern volatile int kqueues[8];
extern char kmq_names[MQ_NAMES][48];
extern volatile sig_atomic_t kmq_used[MQ_NAMES];
extern volatile sig_atomic_t interrupted;
extern char ns_parent[64], ns_dir[96];
__attribute__((format(printf, 1, 2))) void note(const char *fmt, ...);
double now(void);
void as_user(void (*fn)(void));
int drop_to_nobody(void);

/* roles.c */
int fail(struct result *r, const char *what);
int sender(const struct job *j, struct result *r);
int receiver(const struct job *j, struct result *r);
int pinger(const struct job *j, struct result *r);
int ponger(const struct job *j, struct result *r);

/* run.c */
void remove_kernel_queues(void);
void on_signal(int sig);
void on_chld(int sig);
void pin(int role);
void child_start(void);
extern int roles_asleep, roles_polled;
void kill_all(int n);
int run_roles(const struct job *j, const role_fn *fn, int n,
	      char *why, size_t len);
int queue_new(struct backend *be, char *why, size_t len);
int queue_del(struct backend *be, int id, char *why, size_t len);
void track_mq(const char *name, int on);
long qbytes_of(struct backend *be);
int run_job(struct backend *be, size_t size, int nmq, const role_fn *fn,
	    int n, char *why, size_t len);
int run_job_depth(struct backend *be, size_t size, long depth, int nmq,
		  const role_fn *fn, int n, char *why, size_t len);
extern int no_pin;	/* runs of more than two processes */

/* count.c, over test/syscount.c */
int count_start(struct counter *c, struct result *r);
void describe_seen(struct counter *c, struct result *r);
int counted_nowait(const struct job *j, struct result *r);
int counted_mq(const struct job *j, struct result *r);
void count_calls(int nmq, role_fn fn, const char *snd, const char *rcv);
void syscall_counts(void);

/* report.c */
int cmp_double(const void *a, const void *b);
struct spread {
	double med, min, max;
};
struct spread spread_of(double *v, int n);
void fmt_value(char *buf, size_t len, double v, const char *unit);
void fmt_spread(char *buf, size_t len, struct spread s);
void fmt_ratio(char *buf, size_t len, double x, double y, int lower_better);

/* ipcns.c: fn(NULL), or fn(why the kernel's side cannot run) */
struct sysctl_set {
	const char *path;
	long value;
};
void in_private_ipc(int mq, int drop, const struct sysctl_set *set,
		    void (*fn)(const char *kernel_why));

/* floor.c */
double floor_memcpy_ns(size_t size);
double floor_syscall_ns(void);

/* the sections */
void timed_tests(void);
void cred_costs(void);
int preload_child(void);
void preload_section(char *argv0);
void memory_section(void);
void scaling_section(void);
void typed_section(void);
void lookup_section(void);

#endif
