/* SPDX-License-Identifier: MIT */
/*
 * notify.c - mq_notify (spec B10) and the status line of the mqueue
 * filesystem (B11).
 *
 * One registration per queue, in its control block: the owner's pid and
 * start time (a dead owner, or a recycled pid, is no owner), the kind,
 * the signal and sigev_value.  It fires only when a send inserts a
 * message into an empty queue, and is then gone.
 *
 * SIGEV_SIGNAL is queued with rt_sigqueueinfo() as the kernel would send
 * it: si_code SI_MESGQ, the sender's pid and real uid, sigev_value.  (The
 * kernel skips the permission check; we cannot, so a sender that may not
 * signal the owner sends nothing, as kernels before 5.7 did.)
 * SIGEV_THREAD: the registering process runs a helper thread that sleeps
 * on the registration's futex word and, when the registration fires,
 * starts a thread with the caller's attributes that calls the function,
 * as glibc does with its netlink helper.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* notify_word: (registration number << 2) | state */
enum { NW_ARMED = 0, NW_FIRED = 1, NW_GONE = 2 };

/* Start time of a process, from /proc: tells a pid from its reuse. */
static uint64_t start_time(pid_t pid)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	/* Field 22; the fields after the command start at 3. */
	for (int f = 2; p && f < 22; f++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

static void clear(struct pqctl *c)
{
	if (c->notify_kind == SIGEV_THREAD)
		__atomic_store_n(&c->notify_word,
				 (c->notify_word & ~3u) | NW_GONE,
				 __ATOMIC_RELEASE);
	futex_wake(&c->notify_word, 1);
	c->notify_pid = 0;
}

/* The registered owner, if it still exists; else the registration is
 * dropped, as the kernel drops it when the owner dies. */
static pid_t owner(struct pqctl *c)
{
	pid_t pid = c->notify_pid;

	if (!pid || pid == proc_pid())
		return pid;
	if ((kill(pid, 0) && errno == ESRCH) ||
	    start_time(pid) != c->notify_start) {
		clear(c);
		return 0;
	}
	return pid;
}

void notify_drop_own(struct pview *pv)
{
	struct pqctl *c = pv->ctl;

	if (c->notify_pid && c->notify_pid == proc_pid())
		clear(c);
}

int notify_status(struct pview *pv, char *buf, size_t n)
{
	struct pqctl *c = pv->ctl;
	pid_t pid = owner(c);
	int kind = pid ? c->notify_kind : 0;

	return snprintf(buf, n, "QSIZE:%-10llu NOTIFY:%-5d SIGNO:%-5d "
			"NOTIFY_PID:%-6d\n", (unsigned long long)c->qsize, kind,
			pid && kind == SIGEV_SIGNAL ? c->notify_signo : 0,
			(int)pid);
}

void notify_fire(struct pview *pv, struct notice *n)
{
	struct pqctl *c = pv->ctl;

	if (!owner(c))
		return;
	if (c->notify_kind == SIGEV_SIGNAL && c->notify_signo) {
		n->pid = c->notify_pid;
		n->signo = c->notify_signo;
		n->value = c->notify_value;
	}
	if (c->notify_kind == SIGEV_THREAD) {
		__atomic_store_n(&c->notify_word,
				 (c->notify_word & ~3u) | NW_FIRED,
				 __ATOMIC_RELEASE);
		futex_wake(&c->notify_word, 1);
	}
	c->notify_pid = 0;	/* one-shot */
}

void notify_deliver(const struct notice *n)
{
	siginfo_t si;

	if (!n->pid)
		return;
	memset(&si, 0, sizeof(si));
	si.si_signo = n->signo;
	si.si_code = SI_MESGQ;
	si.si_pid = proc_pid();
	si.si_uid = getuid();
	si.si_value.sival_ptr = (void *)(uintptr_t)n->value;
	syscall(SYS_rt_sigqueueinfo, n->pid, n->signo, &si);
}

/* ---- SIGEV_THREAD --------------------------------------------------- */

struct helper {
	struct pview *pv;
	uint32_t word;			/* the armed value to wait on */
	void (*fn)(union sigval);
	union sigval value;
	pthread_attr_t attr;
	bool has_attr;
};

struct call {
	void (*fn)(union sigval);
	union sigval value;
};

static void *call_fn(void *arg)
{
	struct call c = *(struct call *)arg;
	sigset_t all;

	free(arg);
	sigemptyset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	c.fn(c.value);
	return NULL;
}

static void *helper_main(void *arg)
{
	struct helper *h = arg;
	uint32_t *word = &h->pv->ctl->notify_word;

	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == h->word)
		futex_sleep(word, h->word, SLEEP_POSIX, NULL, NULL);
	if (__atomic_load_n(word, __ATOMIC_ACQUIRE) ==
	    ((h->word & ~3u) | NW_FIRED)) {
		struct call *c = malloc(sizeof(*c));
		pthread_t t;
		if (c) {
			c->fn = h->fn;
			c->value = h->value;
			if (pthread_create(&t, h->has_attr ? &h->attr : NULL,
					   call_fn, c))
				free(c);
			else
				pthread_detach(t);
		}
	}
	if (h->has_attr)
		pthread_attr_destroy(&h->attr);
	pview_unref(h->pv);
	free(h);
	return NULL;
}

/* A thread that waits for this registration; its signals all blocked,
 * as glibc's helper. */
static int start_helper(struct pview *pv, const struct sigevent *sev,
			uint32_t word)
{
	struct helper *h = calloc(1, sizeof(*h));
	sigset_t all, old;
	pthread_attr_t a;
	pthread_t t;
	int r;

	if (!h)
		return -ENOMEM;
	h->pv = pv;
	h->word = word;
	h->fn = sev->sigev_notify_function;
	h->value = sev->sigev_value;
	if (sev->sigev_notify_attributes) {
		/* A copy taken now, as glibc takes it (B10). */
		cpu_set_t cpus;
		size_t stack;
		int v;
		struct sched_param sp;
		const pthread_attr_t *u = sev->sigev_notify_attributes;
		pthread_attr_init(&h->attr);
		if (!pthread_attr_getdetachstate(u, &v))
			pthread_attr_setdetachstate(&h->attr, v);
		if (!pthread_attr_getstacksize(u, &stack))
			pthread_attr_setstacksize(&h->attr, stack);
		if (!pthread_attr_getschedpolicy(u, &v))
			pthread_attr_setschedpolicy(&h->attr, v);
		if (!pthread_attr_getschedparam(u, &sp))
			pthread_attr_setschedparam(&h->attr, &sp);
		if (!pthread_attr_getinheritsched(u, &v))
			pthread_attr_setinheritsched(&h->attr, v);
		if (!pthread_attr_getaffinity_np(u, sizeof(cpus), &cpus))
			pthread_attr_setaffinity_np(&h->attr, sizeof(cpus),
						    &cpus);
		h->has_attr = true;
	}
	pview_ref(pv);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t, &a, helper_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
	if (r) {
		pview_unref(pv);
		if (h->has_attr)
			pthread_attr_destroy(&h->attr);
		free(h);
		return -r;
	}
	return 0;
}

static int do_notify(mqd_t fd, const struct sigevent *sev)
{
	struct pdesc *d;
	struct pqctl *c;
	uint32_t word;
	int r;

	if (sev) {
		if (bad_uptr(sev))
			return -EFAULT;
		/* Checked before the descriptor (B10). */
		if (sev->sigev_notify != SIGEV_SIGNAL &&
		    sev->sigev_notify != SIGEV_NONE &&
		    sev->sigev_notify != SIGEV_THREAD)
			return -EINVAL;
		if (sev->sigev_notify == SIGEV_SIGNAL &&
		    (sev->sigev_signo < 0 || sev->sigev_signo > 64))
			return -EINVAL;
	}
	r = pdesc_get(fd, &d);
	if (r)
		return r;
	c = d->pv->ctl;
	pq_lock(d->pv);
	if (!sev) {
		/* A non-owner's NULL is a silent no-op (B10). */
		notify_drop_own(d->pv);
	} else if (owner(c)) {
		r = -EBUSY;
	} else {
		word = ((c->notify_word >> 2) + 1) << 2 | NW_ARMED;
		if (sev->sigev_notify == SIGEV_THREAD)
			r = start_helper(d->pv, sev, word);
		if (!r) {
			__atomic_store_n(&c->notify_word, word,
					 __ATOMIC_RELEASE);
			c->notify_kind = sev->sigev_notify;
			c->notify_signo = sev->sigev_signo;
			c->notify_value =
				(uint64_t)(uintptr_t)sev->sigev_value.sival_ptr;
			c->notify_start = start_time(proc_pid());
			c->notify_pid = proc_pid();
		}
	}
	pq_unlock(d->pv);
	return r;
}

UMQ_EXPORT int umq_mq_notify(mqd_t mqdes, const struct sigevent *sevp)
{
	return (int)ret_errno(do_notify(mqdes, sevp));
}
