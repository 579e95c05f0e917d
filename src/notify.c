/* SPDX-License-Identifier: MIT */
/*
 * notify.c - mq_notify (spec B10) and the status line of the mqueue
 * filesystem (B11).
 *
 * A registration is a waiter record owned by a helper thread of the
 * registering process, named in the queue's control block with the
 * owner's pid, the kind and the signal.  The helper holds the record's
 * robust "alive" mutex (L5), so the registration dies exactly when the
 * owner does - at exit, or at exec, which ends every other thread - as the
 * kernel drops it when the owner's descriptors close.
 *
 * It fires only when a send inserts a message into an empty queue, once:
 * the sender posts to the record its pid and real uid.  The helper, in
 * the owner's process, then does what the kernel would: SIGEV_SIGNAL
 * queues the signal to its own process (si_code SI_MESGQ, the sender's
 * pid and uid, sigev_value) - always permitted, whoever the sender is;
 * SIGEV_THREAD starts a thread with the caller's attributes that calls
 * the function, as glibc's netlink helper does; SIGEV_NONE does nothing.
 */
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* The registration's record, if its helper lives; else clear it. */
static struct waiter *reg_record(struct pview *pv)
{
	struct pqctl *c = pv->ctl;
	struct waiter *w;

	if (!c->notify_pid)
		return NULL;
	if (c->notify_rec < NS_WAITERS) {
		w = ns_waiter(pv->ns, c->notify_rec);
		if (w->kind == WK_NOTIFY && w->gen == pv->gen &&
		    __atomic_load_n(&w->futex, __ATOMIC_ACQUIRE) == W_WAITING &&
		    waiter_alive(pv->ns, c->notify_rec))
			return w;
	}
	c->notify_pid = 0;	/* its owner is gone */
	return NULL;
}

static void end_registration(struct pview *pv, struct waiter *w, int how)
{
	pv->ctl->notify_pid = 0;
	pv->ctl->notify_rec = NIL;
	post(w, how);
}

void notify_drop_own(struct pview *pv)
{
	struct waiter *w = reg_record(pv);

	if (w && pv->ctl->notify_pid == proc_pid())
		end_registration(pv, w, W_WOKEN);
}

int notify_status(struct pview *pv, char *buf, size_t n)
{
	struct pqctl *c = pv->ctl;
	pid_t pid = reg_record(pv) ? c->notify_pid : 0;
	int kind = pid ? c->notify_kind : 0;

	return snprintf(buf, n, "QSIZE:%-10llu NOTIFY:%-5d SIGNO:%-5d "
			"NOTIFY_PID:%-6d\n", (unsigned long long)c->qsize, kind,
			pid && kind == SIGEV_SIGNAL ? c->notify_signo : 0,
			(int)pid);
}

void notify_fire(struct pview *pv)
{
	struct waiter *w = reg_record(pv);

	if (!w)
		return;
	w->spid = proc_pid();
	w->suid = getuid();
	end_registration(pv, w, W_READY);
}

/* ---- the owner's helper --------------------------------------------- */

struct helper {
	struct pview *pv;
	struct sigevent sev;		/* function, value, signal */
	pthread_attr_t attr;
	bool has_attr;
	sem_t ready;			/* the record is ours: rec is set */
	uint32_t rec;
	int err;
};

struct call {
	void (*fn)(union sigval);
	union sigval value;
};

static void *call_fn(void *arg)
{
	struct call c = *(struct call *)arg;
	sigset_t none;

	free(arg);
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	c.fn(c.value);
	return NULL;
}

static void deliver(struct helper *h, struct waiter *w)
{
	struct call *c;
	siginfo_t si;
	pthread_t t;

	switch (h->sev.sigev_notify) {
	case SIGEV_SIGNAL:
		if (!h->sev.sigev_signo)
			break;	/* signo 0: registered, never sent (B10) */
		memset(&si, 0, sizeof(si));
		si.si_signo = h->sev.sigev_signo;
		si.si_code = SI_MESGQ;
		si.si_pid = w->spid;
		si.si_uid = w->suid;
		si.si_value = h->sev.sigev_value;
		syscall(SYS_rt_sigqueueinfo, proc_pid(), si.si_signo, &si);
		break;
	case SIGEV_THREAD:
		c = malloc(sizeof(*c));
		if (!c)
			break;
		c->fn = h->sev.sigev_notify_function;
		c->value = h->sev.sigev_value;
		if (pthread_create(&t, h->has_attr ? &h->attr : NULL, call_fn,
				   c))
			free(c);
		else
			pthread_detach(t);	/* nobody joins it, as in glibc */
		break;
	}
}

static void *helper_main(void *arg)
{
	struct helper *h = arg;
	struct ns *ns = h->pv->ns;
	struct waiter *w;
	uint32_t rec;

	h->err = waiter_alloc(ns, &rec);
	if (h->err) {
		sem_post(&h->ready);
		return NULL;	/* the registering thread frees h */
	}
	w = ns_waiter(ns, rec);
	w->kind = WK_NOTIFY;
	w->slot = NIL;
	w->gen = h->pv->gen;
	w->linked = 0;
	__atomic_store_n(&w->futex, W_WAITING, __ATOMIC_RELEASE);
	h->rec = rec;
	sem_post(&h->ready);
	while (__atomic_load_n(&w->futex, __ATOMIC_ACQUIRE) == W_WAITING)
		futex_sleep(&w->futex, W_WAITING, SLEEP_POSIX, NULL);
	if (__atomic_load_n(&w->futex, __ATOMIC_ACQUIRE) == W_READY)
		deliver(h, w);
	waiter_free(ns, rec);
	if (h->has_attr)
		pthread_attr_destroy(&h->attr);
	pview_unref(h->pv);
	sem_destroy(&h->ready);
	free(h);
	return NULL;
}

/* A copy of the caller's thread attributes, taken now, as glibc does. */
static void copy_attr(pthread_attr_t *to, const pthread_attr_t *u)
{
	struct sched_param sp;
	cpu_set_t cpus;
	size_t stack;
	int v;

	pthread_attr_init(to);
	if (!pthread_attr_getdetachstate(u, &v))
		pthread_attr_setdetachstate(to, v);
	if (!pthread_attr_getstacksize(u, &stack))
		pthread_attr_setstacksize(to, stack);
	if (!pthread_attr_getschedpolicy(u, &v))
		pthread_attr_setschedpolicy(to, v);
	if (!pthread_attr_getschedparam(u, &sp))
		pthread_attr_setschedparam(to, &sp);
	if (!pthread_attr_getinheritsched(u, &v))
		pthread_attr_setinheritsched(to, v);
	if (!pthread_attr_getaffinity_np(u, sizeof(cpus), &cpus))
		pthread_attr_setaffinity_np(to, sizeof(cpus), &cpus);
}

/* Start the helper and wait until it owns its record: *rec. */
static int start_helper(struct pview *pv, const struct sigevent *sev,
			uint32_t *rec)
{
	struct helper *h = calloc(1, sizeof(*h));
	sigset_t all, old;
	pthread_attr_t a;
	pthread_t t;
	int r;

	if (!h)
		return -ENOMEM;
	h->pv = pv;
	h->sev = *sev;
	if (sev->sigev_notify == SIGEV_THREAD &&
	    sev->sigev_notify_attributes) {
		copy_attr(&h->attr, sev->sigev_notify_attributes);
		h->has_attr = true;
	}
	sem_init(&h->ready, 0, 0);
	pview_ref(pv);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	/* All signals blocked, as glibc's helper: they are the process's
	 * other threads' to take. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t, &a, helper_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
	if (!r) {
		while (sem_wait(&h->ready) && errno == EINTR)
			;
		r = -h->err;
		*rec = h->rec;
		if (!r)
			return 0;	/* the helper owns h from here */
	}
	pview_unref(pv);
	if (h->has_attr)
		pthread_attr_destroy(&h->attr);
	sem_destroy(&h->ready);
	free(h);
	return r > 0 ? -r : r ? r : -ENOMEM;
}

static int do_notify(mqd_t fd, const struct sigevent *sev)
{
	struct pdesc *d;
	struct pqctl *c;
	uint32_t rec;
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
	} else if (reg_record(d->pv)) {
		r = -EBUSY;	/* the owner's own second one too */
	} else {
		r = start_helper(d->pv, sev, &rec);
		if (!r) {
			c->notify_kind = sev->sigev_notify;
			c->notify_signo = sev->sigev_notify == SIGEV_SIGNAL ?
					  sev->sigev_signo : 0;
			c->notify_rec = rec;
			__atomic_store_n(&c->notify_pid, proc_pid(),
					 __ATOMIC_RELEASE);
		}
	}
	pq_unlock(d->pv);
	return r;
}

UMQ_EXPORT int umq_mq_notify(mqd_t mqdes, const struct sigevent *sevp)
{
	return (int)ret_errno(do_notify(mqdes, sevp));
}
