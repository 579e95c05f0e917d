/* SPDX-License-Identifier: MIT */
/*
 * main.c - umq against the kernel's message queues, System V and POSIX,
 * and against Boost.Interprocess's message_queue: the sections, in order.
 *
 * Every timed figure comes from processes doing blocking sends and
 * receives, as real programs do.  The parent only creates and removes
 * queues and supervises the children with a deadline (run.c): a side
 * that fails, crashes or hangs gets its peer killed and is reported,
 * instead of leaving the benchmark blocked, and every queue is removed on
 * the way out.  Run as root, the timed sections run in a child dropped to
 * uid 65534, as an ordinary user's program; the sections that raise the
 * kernel's limits do it in a private IPC namespace first (ipcns.c).
 *
 * Usage: bench [-quv] [-r RUNS] [-t SECONDS_PER_RUN] [-s SECTION,...]
 */
#include <ftw.h>
#include <grp.h>
#include <sys/mman.h>

#include "bench.h"

struct result *res;
double run_secs = 0.3;
int runs = 5;
int verbose, quick, no_pin, count_roles;
const char *only_be, *only_test;
int pin_cpu[2] = { -1, -1 };
sigset_t chld_set, orig_mask;
volatile pid_t kids[MAX_KIDS];
volatile int kqueues[8];
/* the kernel's POSIX queues to unlink if we are interrupted */
char kmq_names[MQ_NAMES][48];
volatile sig_atomic_t kmq_used[MQ_NAMES];
volatile sig_atomic_t interrupted;
char ns_parent[64], ns_dir[96];
static char notes[16][256];
static int nnotes;
void note(const char *fmt, ...)
{
	va_list ap;

	if (nnotes == 16)
		return;
	va_start(ap, fmt);
	vsnprintf(notes[nnotes++], sizeof(notes[0]), fmt, ap);
	va_end(ap);
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* For good: no way back to root. */
int drop_to_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534)) {
		fprintf(stderr, "bench: dropping to uid 65534: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Run fn as an ordinary user, in a child that drops root for good: a
 * process that may change its ids pays for reading its credentials at
 * each permission check (cred.c; the credential table below shows what),
 * which is not what a program of an ordinary user pays.  The kernel's
 * side runs in the same child, so both are measured as that user.  Not
 * root: fn runs here.
 */
void as_user(void (*fn)(void))
{
	pid_t pid;
	int st;

	if (geteuid() != 0) {
		fn();
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (drop_to_nobody())
			_exit(1);
		fn();
		remove_kernel_queues();
		fflush(NULL);
		_exit(be_kernel.failed || be_umq.failed || be_umq.broken ||
		      be_kernel.broken || interrupted ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		be_umq.failed = 1;
}

/* ---- setup and cleanup -------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *f)
{
	return remove(path) < 0 ? -1 : 0;
}

static void cleanup(void)
{
	remove_kernel_queues();
	if (!ns_parent[0])
		return;
	if (!be_umq.broken && umq_ns_remove(ns_dir) < 0 && errno != ENOENT)
		fprintf(stderr, "bench: umq_ns_remove: %s\n", strerror(errno));
	/* whatever the library left (or could not remove) goes too */
	if (nftw(ns_parent, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 &&
	    errno != ENOENT)
		fprintf(stderr, "bench: removing %s: %s\n", ns_parent,
			strerror(errno));
	ns_parent[0] = 0;
}

static void setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;	/* a second ^C ends it for good */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* a handler, so SIGCHLD is pending for sigtimedwait, not discarded */
	sa.sa_handler = on_chld;
	sa.sa_flags = 0;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&chld_set);
	sigaddset(&chld_set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld_set, &orig_mask);
}

static int setup_umq(void)
{
	strcpy(ns_parent, "/dev/shm/umq-bench.XXXXXX");
	if (!mkdtemp(ns_parent)) {
		ns_parent[0] = 0;
		return -1;
	}
	snprintf(ns_dir, sizeof(ns_dir), "%s/ns", ns_parent);
	return umq_ns_use(ns_dir);
}

static void choose_cpus(int unpinned)
{
	cpu_set_t cpus;
	int cpu, n = 0;

	CPU_ZERO(&cpus);
	if (unpinned || sched_getaffinity(0, sizeof(cpus), &cpus) < 0 ||
	    CPU_COUNT(&cpus) < 2)
		return;
	for (cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++)
		if (CPU_ISSET(cpu, &cpus))
			pin_cpu[n++] = cpu;
}

static void header(void)
{
	cpu_set_t cpus;
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&cpus);
	sched_getaffinity(0, sizeof(cpus), &cpus);
	printf("umq bench: System V and POSIX message queues, umq against "
	       "the kernel\n");
	printf("cores: %ld online, %d usable by this process; median of %d "
	       "runs of %.2f s each\n", online, CPU_COUNT(&cpus), runs,
	       run_secs);
	if (pin_cpu[0] >= 0)
		printf("the two processes of a run are pinned to CPUs %d and "
		       "%d (-u: leave it to the scheduler)\n", pin_cpu[0],
		       pin_cpu[1]);
	else
		printf("processes not pinned to CPUs\n");
	printf("queue capacity (msg_qbytes of a new queue): kernel %ld B, "
	       "umq %ld B\n", qbytes_of(&be_kernel), qbytes_of(&be_umq));
	printf("umq namespace: %s\n", ns_dir);
	if (geteuid() == 0)
		printf("timed runs and system-call counts as uid 65534, as an "
		       "ordinary user's program\n(root's own permission "
		       "checks: see the credential table)\n");
	printf("\n");
}

/* The sections, in the order they run; -s picks some. */
static const struct section {
	const char *name;
	void (*fn)(void);
	int as_user;	/* else it drops root itself, where it must */
} sections[] = {
	{ "timed", timed_tests, 1 },
	{ "scaling", scaling_section, 1 },
	{ "syscalls", syscall_counts, 1 },
	{ "typed", typed_section, 0 },
	{ "memory", memory_section, 0 },
	{ "lookup", lookup_section, 0 },
	{ "cred", cred_costs, 0 },
	{ "preload", NULL, 0 },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static void usage(void)
{
	unsigned int i;

	fprintf(stderr, "usage: bench [-cquv] [--quick] [-r RUNS (1..%d)] "
		"[-t SECONDS] [-s SECTION,...]\n             [-b BACKEND] "
		"[-T TEST]\n"
		"  -q, --quick  fewer runs, smaller sizes (under 30 s)\n"
		"  -u           processes not pinned to CPUs\n"
		"  -v           every run's figure, and which system calls\n"
		"  -c           count the system calls of the timed runs' "
		"processes (slows them)\n"
		"  -b, -T       the main table: only the backend named (kernel, "
		"umq, Boost,\n               ring, futex), the tests whose "
		"\"group label\" contains TEST\n  sections:", MAX_RUNS);
	for (i = 0; i < NSECTIONS; i++)
		fprintf(stderr, " %s", sections[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

/* Whether section name is in the comma-separated list (NULL: all). */
static int wanted(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	if (!list)
		return 1;
	for (p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ',') && (!p[n] || p[n] == ','))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	int i, c, unpinned = 0, under_preload = 0, r = 0;
	double t = 0, t0 = now();
	unsigned int s;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--quick"))
			argv[i] = "-q";
	while ((c = getopt(argc, argv, "quvcr:t:s:b:T:P")) != -1) {
		if (c == 'P')
			under_preload = 1;
		else if (c == 'q')
			quick = 1;
		else if (c == 'u')
			unpinned = 1;
		else if (c == 'v')
			verbose = 1;
		else if (c == 'r')
			r = atoi(optarg);
		else if (c == 't')
			t = atof(optarg);
		else if (c == 's')
			only = optarg;
		else if (c == 'b')
			only_be = optarg;
		else if (c == 'T')
			only_test = optarg;
		else if (c == 'c')
			count_roles = 1;
		else
			usage();
	}
	if (quick) {
		runs = 3;
		run_secs = 0.1;
	}
	if (r)
		runs = r;
	if (t)
		run_secs = t;
	if (runs < 1 || runs > MAX_RUNS || !(run_secs > 0 && run_secs < 10) ||
	    optind != argc)
		usage();
	for (s = 0; only && s < NSECTIONS; s++)
		if (wanted(only, sections[s].name))
			break;
	if (s == NSECTIONS)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	choose_cpus(unpinned);
	for (i = 0; i < 8; i++)
		kqueues[i] = -1;
	res = mmap(NULL, MAX_KIDS * sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		perror("bench: mmap");
		return 1;
	}
	setup_signals();
	if (under_preload)
		return preload_child();
	atexit(cleanup);
	if (setup_umq() < 0) {
		fprintf(stderr, "bench: umq namespace in /dev/shm: %s\n",
			strerror(errno));
		return 1;
	}
	header();
	for (s = 0; s < NSECTIONS && !interrupted; s++) {
		if (!wanted(only, sections[s].name))
			continue;
		if (!sections[s].fn)
			preload_section(argv[0]);
		else if (sections[s].as_user)
			as_user(sections[s].fn);
		else
			sections[s].fn();
	}
	for (i = 0; i < nnotes; i++)
		printf("%s%s\n", i ? "" : "\nnotes:\n", notes[i]);
	if (interrupted) {
		fprintf(stderr, "bench: interrupted\n");
		return 128 + interrupted;
	}
	printf("\nbench: %.1f s%s\n", now() - t0, quick ? " (quick)" : "");
	return be_kernel.failed || be_umq.failed || be_umq.broken ||
	       be_kernel.broken || be_boost.failed;
}
