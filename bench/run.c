/* SPDX-License-Identifier: MIT */
/*
 * run.c - the processes of a run and their queues: forked, pinned,
 * supervised with a deadline, and every kernel queue removed on the way
 * out, even on a signal.
 */
#include "bench.h"

/* The kernel's queues still in use (system calls only: signal-safe). */
void remove_kernel_queues(void)
{
	int i;

	for (i = 0; i < 8; i++)
		if (kqueues[i] >= 0)
			msgctl(kqueues[i], IPC_RMID, NULL);
	for (i = 0; i < MQ_NAMES; i++) {
		if (!kmq_used[i])
			continue;
		/* Boost's queues are files, kept by their path */
		if (!strncmp(kmq_names[i], BOOST_DIR, sizeof(BOOST_DIR) - 1))
			unlink(kmq_names[i]);
		else
			mq_unlink(kmq_names[i]);
	}
}

void on_signal(int sig)
{
	int i;

	for (i = 0; i < MAX_KIDS; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
	remove_kernel_queues();
	interrupted = sig;
}

void on_chld(int sig)
{
}

/* Cross-core placement, every run alike: else it is up to the scheduler. */
void pin(int role)
{
	cpu_set_t set;

	if (role > 1 || pin_cpu[role] < 0 || no_pin)
		return;
	CPU_ZERO(&set);
	CPU_SET(pin_cpu[role], &set);
	sched_setaffinity(0, sizeof(set), &set);
}

void child_start(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigprocmask(SIG_SETMASK, &orig_mask, NULL);
}

static void describe_exit(struct backend *be, int st, const struct result *r,
			  char *why, size_t len)
{
	if (WIFEXITED(st)) {
		snprintf(why, len, "%s", r->err[0] ? r->err : "child failed");
		return;
	}
	be->broken = be != &be_kernel;
	snprintf(why, len, "child killed by signal %d", WTERMSIG(st));
}

void kill_all(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (kids[i] <= 0)
			continue;
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
		kids[i] = 0;
	}
}

/* Wait for the children; on the first failure or at the deadline kill all. */
static int supervise(struct backend *be, int n, char *why, size_t len)
{
	double deadline = now() + RUN_TIMEOUT * (n > 2 ? 4 : 1), left;
	struct timespec ts;
	int i, st, live = n, bad = 0;

	while (live && !bad) {
		for (i = 0; i < n; i++) {
			if (kids[i] <= 0 || waitpid(kids[i], &st, WNOHANG) <= 0)
				continue;
			kids[i] = 0;
			live--;
			if (!WIFEXITED(st) || WEXITSTATUS(st)) {
				describe_exit(be, st, &res[i], why, len);
				bad = 1;
			}
		}
		left = deadline - now();
		if (!live || bad)
			break;
		if (interrupted) {
			snprintf(why, len, "interrupted");
			bad = 1;
		} else if (left <= 0) {
			snprintf(why, len, "no progress in %.0f s (deadlock?)",
				 RUN_TIMEOUT);
			be->broken = be != &be_kernel;
			bad = 1;
		} else {
			ts.tv_sec = (time_t)left;
			ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
			sigtimedwait(&chld_set, NULL, &ts);
		}
	}
	kill_all(n);
	return bad ? -1 : 0;
}

/* Nonzero: the roles' processes never spin before they sleep. */
int roles_asleep;
/* Nonzero: umq's POSIX queues are opened to be polled (no UMQ_O_NOPOLL). */
int roles_polled;

int run_roles(const struct job *j, const role_fn *fn, int n,
		     char *why, size_t len)
{
	int i;

	memset(res, 0, MAX_KIDS * sizeof(*res));
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			snprintf(why, len, "fork: %s", strerror(errno));
			kill_all(i);
			return -1;
		}
		if (pid == 0) {
			child_start();
			/* Read at umq's first blocking call, which this
			 * process has not made yet. */
			if (roles_asleep)
				setenv("UMQ_SPIN_US", "0", 1);
			pin(i);
			_exit(fn[i](j, &res[i]));
		}
		kids[i] = pid;
	}
	return supervise(j->be, n, why, len);
}

static void track(int id, int on)
{
	int i;

	for (i = 0; i < 8; i++) {
		if (on && kqueues[i] < 0) {
			kqueues[i] = id;
			return;
		}
		if (!on && kqueues[i] == id)
			kqueues[i] = -1;
	}
}

int queue_new(struct backend *be, char *why, size_t len)
{
	int id = be->get(IPC_PRIVATE, IPC_CREAT | 0600);

	if (id < 0)
		snprintf(why, len, "msgget: %s", strerror(errno));
	else if (be == &be_kernel)
		track(id, 1);
	return id;
}

int queue_del(struct backend *be, int id, char *why, size_t len)
{
	int rc = 0;

	/* a killed child may have held a umq lock: the namespace goes whole */
	if (be->broken)
		return 0;
	if (be->ctl(id, IPC_RMID, NULL) < 0) {
		snprintf(why, len, "IPC_RMID: %s", strerror(errno));
		rc = -1;
	}
	if (be == &be_kernel)
		track(id, 0);
	return rc;
}

/* Noted before mq_open: a signal right after it still finds the name. */
void track_mq(const char *name, int on)
{
	int i;

	for (i = 0; i < MQ_NAMES; i++) {
		if (on && !kmq_used[i]) {
			snprintf(kmq_names[i], sizeof(kmq_names[i]), "%s",
				 name);
			kmq_used[i] = 1;
			return;
		}
		if (!on && kmq_used[i] && !strcmp(kmq_names[i], name))
			kmq_used[i] = 0;
	}
}

/* A POSIX queue for messages of size bytes, named in j->mq_name[k]. */
static int mq_new(struct job *j, int k, char *why, size_t len)
{
	static unsigned int seq;
	struct backend *be = j->be;
	struct mq_attr a = { .mq_maxmsg = MQ_MAXMSG };
	char *name = j->mq_name[k];

	a.mq_msgsize = j->size;
	snprintf(name, sizeof(j->mq_name[k]), "/umq-bench.%d.%u",
		 (int)getpid(), seq++);
	if (be == &be_kernel)
		track_mq(name, 1);
	j->mq[k] = be->mopen(name, O_CREAT | O_EXCL | O_RDWR |
			     (be == &be_umq && !roles_polled ? UMQ_O_NOPOLL : 0),
			     0600, &a);
	if (j->mq[k] != (mqd_t)-1)
		return 0;
	snprintf(why, len, "mq_open(%s): %s", name, strerror(errno));
	if (be == &be_kernel)
		track_mq(name, 0);
	name[0] = 0;
	return -1;
}

static int mq_del(struct job *j, int k, char *why, size_t len)
{
	struct backend *be = j->be;
	char *name = j->mq_name[k];
	int rc = 0;

	if (!name[0])
		return 0;
	/* a killed child may have held a umq lock: the namespace goes whole */
	if (be->broken)
		return 0;
	if (be->mclose(j->mq[k]) < 0) {
		snprintf(why, len, "mq_close: %s", strerror(errno));
		rc = -1;
	}
	if (be->munlink(name) < 0) {
		snprintf(why, len, "mq_unlink(%s): %s", name, strerror(errno));
		rc = -1;
	}
	if (be == &be_kernel)
		track_mq(name, 0);
	name[0] = 0;
	return rc;
}

/*
 * Fresh queues for a job: one System V queue, or nmq POSIX ones; those
 * of a backend of its own kind (Boost, the floors) nmq, or one for
 * System V's one queue.
 */
static int job_queues(struct job *j, int nmq, char *why, size_t len)
{
	int k;

	if (j->be->qnew) {
		for (k = 0; k < (nmq ? nmq : 1); k++)
			if (j->be->qnew(j, k, why, len) < 0)
				return -1;
		return 0;
	}
	if (!nmq) {
		struct msqid_ds ds;
		unsigned long want = (unsigned long)j->depth * j->size;

		j->qid = queue_new(j->be, why, len);
		if (j->qid < 0)
			return -1;
		/* At most depth messages, as Boost's and POSIX queues. */
		if (j->depth > 0 && !j->be->ctl(j->qid, IPC_STAT, &ds) &&
		    ds.msg_qbytes > want) {
			ds.msg_qbytes = want;
			if (j->be->ctl(j->qid, IPC_SET, &ds) < 0) {
				snprintf(why, len, "IPC_SET msg_qbytes %lu: %s",
					 want, strerror(errno));
				return -1;
			}
		}
		return 0;
	}
	for (k = 0; k < nmq; k++)
		if (mq_new(j, k, why, len) < 0)
			return -1;
	return 0;
}

/* Removes whatever job_queues made, even after a failure there. */
static int job_queues_del(struct job *j, char *why, size_t len)
{
	int k, rc = 0;

	if (j->be->qnew) {
		for (k = 0; k < 2; k++)
			if (j->bq[k])
				j->be->qdel(j, k);
		return 0;
	}
	if (j->qid >= 0 && queue_del(j->be, j->qid, why, len) < 0)
		rc = -1;
	for (k = 0; k < 2; k++)
		if (mq_del(j, k, why, len) < 0)
			rc = -1;
	return rc;
}

/*
 * One run of an n-process job on fresh queues: nmq POSIX queues, or one
 * System V queue; Boost's queues hold depth messages (0: the job's).
 */
int run_job_depth(struct backend *be, size_t size, long depth, int nmq,
		  const role_fn *fn, int n, char *why, size_t len)
{
	struct job j = { .be = be, .qid = -1, .size = size, .depth = depth };
	char del_why[128];
	int rc;

	j.api = be->api ? be->api : nmq ? &posix_api : &sysv_api;
	if (be->qnew && nmq == 0 && fn[0] == ponger)
		nmq = 2;	/* pings and pongs: two queues */

	rc = job_queues(&j, nmq, why, len);
	if (!rc)
		rc = run_roles(&j, fn, n, why, len);
	if (job_queues_del(&j, del_why, sizeof(del_why)) < 0) {
		if (!rc)
			snprintf(why, len, "%s", del_why);
		rc = -1;
	}
	return rc;
}


int run_job(struct backend *be, size_t size, int nmq, const role_fn *fn,
	    int n, char *why, size_t len)
{
	return run_job_depth(be, size, 0, nmq, fn, n, why, len);
}

/* msg_qbytes of a new queue of be. */
long qbytes_of(struct backend *be)
{
	struct msqid_ds ds;
	char why[256];
	long qb = -1;
	int id = queue_new(be, why, sizeof(why));

	if (id < 0)
		return -1;
	if (be->ctl(id, IPC_STAT, &ds) == 0)
		qb = ds.msg_qbytes;
	queue_del(be, id, why, sizeof(why));
	return qb;
}
