/* SPDX-License-Identifier: MIT */
/*
 * notify.c - mq_notify (spec B10) and the status line of the mqueue
 * filesystem (B11).
 *
 * A registration is a waiter record owned by a helper thread of the
 * registering process, named in the queue's control block with the
 * owner's pid and pid namespace, the kind and the signal.  The helper
 * holds the record's robust "alive" mutex (L5), so the registration dies
 * exactly when the owner does - at exit, or at exec, which ends every
 * other thread - as the kernel drops it when the owner's descriptors
 * close.
 *
 * It fires only when a send inserts a message into an empty queue, once.
 * SIGEV_SIGNAL is queued by the sender itself, before mq_send returns, as
 * the kernel does, with the kernel's siginfo (si_code SI_MESGQ, the
 * sender's pid and real uid, sigev_value): to its own process once it
 * has dropped the queue lock (a handler may use the queue), to another
 * through a pidfd.  Whom to signal, and with what, cannot come from
 * shared memory, which every user of the queue may write, so the owner
 * states it to the kernel: it holds a POSIX record lock on the file
 * posix/<gen>.n whose offset and length encode the signal and the value.
 * F_GETLK names the lock's owner (its pid in the asker's pid namespace),
 * and the lock goes with the owner's death or exec.  The sender opens a
 * pidfd of the registered pid first and asks after: a lock that pid still
 * holds proves that the pidfd is the owner's, not a reuse of its pid.
 * Where that proof is missing (the owner is in another pid namespace, or
 * could not lock) or the OS refuses the signal (a sender that may not
 * kill() the owner: the kernel does not ask), the sender posts the record
 * instead, and the helper queues the signal to its own process, a moment
 * later.  SIGEV_THREAD: the helper starts a thread with the caller's
 * attributes that calls the function, as glibc's netlink helper does;
 * SIGEV_NONE: nothing.
 */
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

struct helper {
	struct pview *pv;
	struct sigevent sev;		/* function, value, signal */
	pthread_attr_t attr;
	bool has_attr;
	sem_t ready;			/* the record is ours: rec is set */
	uint32_t rec;
	int err;
};

/* This process's side of a queue's notification (pv->note), under
 * note_mu: a helper ending its registration takes only this, never the
 * queue lock, which a fork at that instant would leave held forever in
 * the child.  Held across fork, for the same reason. */
struct pnote {
	int fd;				/* posix/<gen>.n, -1: unusable */
	struct helper *h;		/* our registration's helper */
};

static pthread_mutex_t note_mu = PTHREAD_MUTEX_INITIALIZER;

static void note_mu_lock(void)
{
	atfork_install();
	pthread_mutex_lock(&note_mu);
}

static void note_mu_unlock(void)
{
	pthread_mutex_unlock(&note_mu);
}

/* Across fork (atfork.c). */
void notify_fork_lock(bool take)
{
	if (take)
		pthread_mutex_lock(&note_mu);
	else
		pthread_mutex_unlock(&note_mu);
}

/* Under note_mu. */
static struct pnote *note_get(struct pview *pv)
{
	char path[48];
	int fd;

	if (pv->note)
		return pv->note;
	pv->note = malloc(sizeof(*pv->note));
	if (!pv->note)
		return NULL;
	/* Readable by all: any sender asks it who registered. */
	pq_path(path, sizeof(path), pv->gen, PQ_NOTE);
	fd = fd_open(pv->ns->dirfd, path, O_RDONLY | O_CREAT | O_NOFOLLOW |
		     O_CLOEXEC, 0444);
	if (fd >= 0)
		(void)fchmod(fd, 0444);	/* ours: whatever the umask */
	fd_keep(fd, &pv->note->fd);	/* for the process's life */
	pv->note->h = NULL;
	return pv->note;
}

/* The lock that states a registration: the signal and the value. */
static void note_range(int signo, union sigval value, struct flock *fl)
{
	uint64_t v = 0;

	memcpy(&v, &value, sizeof(value) < sizeof(v) ? sizeof(value) :
	       sizeof(v));
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)((uint64_t)signo << 32 | v >> 32);
	fl->l_len = (off_t)(v & 0xffffffffu) + 1;
}

static bool note_decode(const struct flock *fl, int *signo,
			union sigval *value)
{
	uint64_t s = (uint64_t)fl->l_start, v;

	if (fl->l_start < 0 || fl->l_len < 1 || fl->l_len > (1ll << 32) ||
	    (s >> 32) < 1 || (s >> 32) > 64)
		return false;
	*signo = (int)(s >> 32);
	v = (s & 0xffffffffu) << 32 | (uint64_t)(fl->l_len - 1);
	memset(value, 0, sizeof(*value));
	memcpy(value, &v, sizeof(*value) < sizeof(v) ? sizeof(*value) :
	       sizeof(v));
	return true;
}

static void note_unlock_all(struct pnote *n)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };

	if (n->fd >= 0)
		fcntl(n->fd, F_SETLK, &fl);
}

/* Registering h: state its signal and value to the kernel (best effort:
 * without it, the helper delivers). */
static void note_lock(struct pview *pv, struct helper *h)
{
	struct flock fl = { .l_type = F_RDLCK };
	struct pnote *n;

	note_mu_lock();
	n = note_get(pv);
	if (n) {
		note_unlock_all(n);
		n->h = h;
		if (n->fd >= 0 && h->sev.sigev_notify == SIGEV_SIGNAL &&
		    h->sev.sigev_signo) {
			note_range(h->sev.sigev_signo, h->sev.sigev_value,
				   &fl);
			fcntl(n->fd, F_SETLK, &fl);
		}
	}
	note_mu_unlock();
}

/* h's registration is over: take its statement back, unless a newer
 * registration of ours replaced it. */
static void note_unlock(struct pview *pv, struct helper *h)
{
	note_mu_lock();
	if (pv->note && pv->note->h == h) {
		note_unlock_all(pv->note);
		pv->note->h = NULL;
	}
	note_mu_unlock();
}

/* The registration's record, if its helper lives; else clear it. */
static struct waiter *reg_record(struct pview *pv)
{
	struct pqctl *c = pv->ctl;
	struct waiter *w;

	if (!c->notify_pid)
		return NULL;
	if (c->notify_rec < Q_WAITERS) {
		w = wp_rec(&pv->wp, c->notify_rec);
		if (w->kind == WK_NOTIFY && w->gen == pv->gen &&
		    __atomic_load_n(&w->futex, __ATOMIC_ACQUIRE) == W_WAITING &&
		    waiter_alive(&pv->wp, c->notify_rec))
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

/* Ours: our pid in our pid namespace (another one's pid 1 is not us;
 * until December 6 it dropped our registration). */
void notify_drop_own(struct pview *pv)
{
	struct waiter *w = reg_record(pv);

	if (w && pv->ctl->notify_pid == proc_pid() &&
	    pv->ctl->notify_ns == proc_pidns())
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

static void fill_info(siginfo_t *si, int signo, union sigval value)
{
	memset(si, 0, sizeof(*si));
	si->si_signo = signo;
	si->si_code = SI_MESGQ;
	si->si_pid = proc_pid();
	si->si_uid = getuid();
	si->si_value = value;
}

/* The signal our own registration asked for, from our own memory. */
static bool fire_self(struct pview *pv, struct notice *nt)
{
	struct helper *h;
	bool ours;

	note_mu_lock();
	h = pv->note ? pv->note->h : NULL;
	ours = h && h->rec == pv->ctl->notify_rec;
	if (ours) {
		nt->signo = h->sev.sigev_signo;	/* 0: nothing to send */
		nt->value = h->sev.sigev_value;
	}
	note_mu_unlock();
	return ours;
}

/* Queue the signal to another process whose lock proves it asked. */
static bool fire_other(struct pview *pv)
{
	struct pqctl *c = pv->ctl;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	pid_t pid = c->notify_pid;
	union sigval value;
	bool sent = false;
	siginfo_t si;
	int pfd, signo, fd;

	note_mu_lock();
	fd = note_get(pv) ? pv->note->fd : -1;	/* never closed */
	note_mu_unlock();
	/* Another pid namespace: its pid and ours would not match. */
	if (fd < 0 || pid <= 0 || !proc_pidns() ||
	    c->notify_ns != proc_pidns())
		return false;
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return false;
	if (!fcntl(fd, F_GETLK, &fl) && fl.l_type != F_UNLCK &&
	    fl.l_pid == pid && note_decode(&fl, &signo, &value)) {
		fill_info(&si, signo, value);
		/* EPERM: the helper does it.  EAGAIN (its queue of real-time
		 * signals is full): lost, as the kernel loses it. */
		sent = !syscall(SYS_pidfd_send_signal, pfd, signo, &si, 0) ||
		       errno == EAGAIN;
	}
	close(pfd);
	return sent;
}

void notify_fire(struct pview *pv, struct notice *nt)
{
	struct waiter *w = reg_record(pv);
	struct pqctl *c = pv->ctl;
	bool done = false;

	nt->signo = 0;
	if (!w)
		return;
	if (c->notify_kind == SIGEV_SIGNAL)
		done = c->notify_pid == proc_pid() ? fire_self(pv, nt) :
		       fire_other(pv);
	/* Else the helper delivers, as the sender who it was. */
	w->spid = proc_pid();
	w->suid = getuid();
	end_registration(pv, w, done ? W_WOKEN : W_READY);
}

void notify_send(const struct notice *nt)
{
	siginfo_t si;

	fill_info(&si, nt->signo, nt->value);
	syscall(SYS_rt_sigqueueinfo, proc_pid(), nt->signo, &si);
}

/* ---- the owner's helper --------------------------------------------- */

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
	struct wpool *wp = &h->pv->wp;
	struct waiter *w;
	uint32_t rec;

	h->err = waiter_alloc(wp, &rec);
	if (h->err) {
		sem_post(&h->ready);
		return NULL;	/* the registering thread frees h */
	}
	w = wp_rec(wp, rec);
	w->kind = WK_NOTIFY;
	w->gen = h->pv->gen;
	w->linked = 0;
	__atomic_store_n(&w->futex, W_WAITING, __ATOMIC_RELEASE);
	h->rec = rec;
	sem_post(&h->ready);
	while (__atomic_load_n(&w->futex, __ATOMIC_ACQUIRE) == W_WAITING)
		futex_sleep(&w->futex, W_WAITING, SLEEP_POSIX, NULL);
	if (__atomic_load_n(&w->futex, __ATOMIC_ACQUIRE) == W_READY)
		deliver(h, w);
	note_unlock(h->pv, h);
	waiter_free(wp, rec);
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

/* Start the helper and wait until it owns its record: *out. */
static int start_helper(struct pview *pv, const struct sigevent *sev,
			struct helper **out)
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
	 * other threads' to take.  But SIGBUS, which its record's page
	 * gone (a shrunk file, map.c) raises in it: blocked, it kills. */
	sigfillset(&all);
	sigdelset(&all, SIGBUS);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t, &a, helper_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
	if (!r) {
		while (sem_wait(&h->ready) && errno == EINTR)
			;
		r = -h->err;
		*out = h;
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
	struct sigevent ev;
	struct helper *h;
	struct pdesc *d;
	struct pqctl *c;
	int r;

	if (sev) {
		/* The kernel copies the event in first. */
		if (bad_uptr(sev) || ucopy(&ev, sev, sizeof(ev)))
			return -EFAULT;
		sev = &ev;
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
	if ((r = pq_lock_call(d->pv)))
		return r;
	if (!sev) {
		/* A non-owner's NULL is a silent no-op (B10). */
		notify_drop_own(d->pv);
	} else if (reg_record(d->pv)) {
		r = -EBUSY;	/* the owner's own second one too */
	} else {
		r = start_helper(d->pv, sev, &h);
		if (!r) {
			note_lock(d->pv, h);
			c->notify_kind = sev->sigev_notify;
			c->notify_signo = sev->sigev_notify == SIGEV_SIGNAL ?
					  sev->sigev_signo : 0;
			c->notify_rec = h->rec;
			c->notify_ns = proc_pidns();
			__atomic_store_n(&c->notify_pid, proc_pid(),
					 __ATOMIC_RELEASE);
		}
	}
	pq_unlock(d->pv);
	return r;
}

UMQ_EXPORT int umq_mq_notify(mqd_t mqdes, const struct sigevent *sevp)
{
	return (int)ret_errno(UNBOUNDED(do_notify(mqdes, sevp)));
}
