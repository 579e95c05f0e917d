/* SPDX-License-Identifier: MIT */
/* prog.c - see prog.h. */
#include "prog.h"

#include <stdarg.h>
#include <sys/wait.h>

static time_t t0;
static struct { pid_t pid; char name[24]; } names[64];
static int nnames;

void prog_init(unsigned secs)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	t0 = time(NULL);
	alarm(secs);
}

const char *ename(int e)
{
	static char buf[16];
	const char *n = e ? strerrorname_np(e) : "0";

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void prog_call(const char *expr, long long r, int e, int how)
{
	if (r == -1)
		say("%s = -1 %s", expr, ename(e));
	else if (how == P_OK && r >= 0)
		say("%s = ok%s%s", expr, e != SENTINEL ? " ERRNO CHANGED TO " : "",
		    e != SENTINEL ? ename(e) : "");
	else
		say("%s = %lld%s%s", expr, r,
		    e != SENTINEL ? " ERRNO CHANGED TO " : "",
		    e != SENTINEL ? ename(e) : "");
}

sigset_t block_signal(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return set;
}

void pid_name(pid_t pid, const char *name)
{
	for (int i = 0; i < nnames; i++)
		if (names[i].pid == pid) {
			snprintf(names[i].name, sizeof(names[i].name), "%s",
				 name);
			return;
		}
	if (nnames == (int)(sizeof(names) / sizeof(names[0])))
		abort();
	names[nnames].pid = pid;
	snprintf(names[nnames].name, sizeof(names[nnames].name), "%s", name);
	nnames++;
}

const char *pidstr(pid_t pid)
{
	if (pid == 0)
		return "0";
	for (int i = 0; i < nnames; i++)
		if (names[i].pid == pid)
			return names[i].name;
	return "unknown";
}

const char *timestr(time_t t)
{
	if (t == 0)
		return "0";
	if (t >= t0 - 1 && t <= time(NULL) + 1)
		return "recent";
	return "odd";
}

void show_msqid(const char *tag, const struct msqid_ds *ds)
{
	say("%s: key=%#x uid=%u gid=%u cuid=%u cgid=%u mode=%#o seq=%u "
	    "qbytes=%lu qnum=%lu cbytes=%lu lspid=%s lrpid=%s", tag,
	    (unsigned)ds->msg_perm.__key, ds->msg_perm.uid, ds->msg_perm.gid,
	    ds->msg_perm.cuid, ds->msg_perm.cgid, ds->msg_perm.mode,
	    ds->msg_perm.__seq, (unsigned long)ds->msg_qbytes,
	    (unsigned long)ds->msg_qnum, (unsigned long)ds->__msg_cbytes,
	    pidstr(ds->msg_lspid), pidstr(ds->msg_lrpid));
	say("%s: stime=%s rtime=%s ctime=%s", tag, timestr(ds->msg_stime),
	    timestr(ds->msg_rtime), timestr(ds->msg_ctime));
}

void show_attr(const char *tag, const struct mq_attr *a)
{
	say("%s: flags=%#lx maxmsg=%ld msgsize=%ld curmsgs=%ld", tag,
	    a->mq_flags, a->mq_maxmsg, a->mq_msgsize, a->mq_curmsgs);
}

void show_siginfo(const char *tag, const siginfo_t *si)
{
	say("%s: signo=%d code=%d errno=%d value=%d pid=%s uid=%u", tag,
	    si->si_signo, si->si_code, si->si_errno, si->si_value.sival_int,
	    pidstr(si->si_pid), si->si_uid);
}

/* Children's output, shown when they are reaped: a trace in a fixed order
 * whatever order they ran in. */
static struct { pid_t pid; FILE *out; } kids[64];

pid_t spawn(const char *name, void (*fn)(void *), void *arg)
{
	FILE *out = tmpfile();
	int slot = -1;
	pid_t pid;

	for (int i = 0; i < 64 && slot < 0; i++)
		if (!kids[i].pid)
			slot = i;
	if (!out || slot < 0) {
		say("spawn: %s", out ? "too many children" : ename(errno));
		exit(1);
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		say("fork: %s", ename(errno));
		exit(1);
	}
	if (pid == 0) {
		alarm(60);
		for (int i = 0; i < 64; i++)	/* the parent's, not ours */
			if (kids[i].pid) {
				fclose(kids[i].out);
				kids[i].pid = 0;
			}
		pid_name(getpid(), name);
		dup2(fileno(out), STDOUT_FILENO);
		fclose(out);
		fn(arg);
		fflush(stdout);
		_exit(0);
	}
	kids[slot].pid = pid;
	kids[slot].out = out;
	pid_name(pid, name);
	return pid;
}

static void show_output(pid_t pid, int st)
{
	char buf[4096];
	size_t n;

	for (int i = 0; i < 64; i++) {
		if (kids[i].pid != pid)
			continue;
		rewind(kids[i].out);
		while ((n = fread(buf, 1, sizeof(buf), kids[i].out)) > 0)
			fwrite(buf, 1, n, stdout);
		fclose(kids[i].out);
		kids[i].pid = 0;
	}
	if (WIFSIGNALED(st))
		say("%s killed by signal %d", pidstr(pid), WTERMSIG(st));
	else if (WIFEXITED(st) && WEXITSTATUS(st))
		say("%s exited with %d", pidstr(pid), WEXITSTATUS(st));
}

int reap(pid_t pid)
{
	return reap_within(pid, 30);
}

int reap_within(pid_t pid, int secs)
{
	int st = 0;

	for (int i = 0; i < secs * 1000; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			show_output(pid, st);
			return st;
		}
		if (r < 0) {
			say("waitpid(%s): %s", pidstr(pid), ename(errno));
			return -1;
		}
		msleep(1);
	}
	say("%s did not finish in %d s: killed", pidstr(pid), secs);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	show_output(pid, st);
	return st;
}

int wait_state(pid_t pid, const char *states)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 20000; i++) {
		FILE *f = fopen(path, "r");
		size_t n;

		if (!f)
			return 'X';
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2]) {
			if (strchr(states, p[2]) || p[2] == 'Z' || p[2] == 'X')
				return p[2];
		}
		msleep(1);
	}
	return 0;
}

void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}
