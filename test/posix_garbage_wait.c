/* SPDX-License-Identifier: MIT */
/*
 * posix_garbage_wait.c - garbage in what a POSIX queue's waiters share
 * (garbage_mq.h): the waiter pool with nobody waiting, the records of
 * processes blocked on the queue, and a live registration's fields.
 * Garbage in a registration signals nobody but the registrant.
 */
#include "t.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "garbage_mq.h"

/* ---- the waiter pool ----------------------------------------------------- */

/* Noise in the pool with nobody waiting: the bitmap, records, and the
 * wait lists pointed at them.  Then calls that block (timed) allocate
 * records from it. */
static void round_wpool(uint32_t seed)
{
	bool lossless = true;
	struct qmap q;
	uint64_t gen = round_queue(seed, 0x77, 1 + (int)below(MAXMSG),
				   (int)below(2));

	qmap_of(gen, &q);
	for (int k = 1 + (int)below(3); k--;) {
		switch (below(5)) {
		case 0: {
			uint32_t w = below(Q_WAITERS / 64);

			q.bitmap[w] = below(2) ? ~0ull : rnd64();
			did("bitmap word %u = %#llx", w,
			    (unsigned long long)q.bitmap[w]);
			break;
		}
		case 1:
			for (uint32_t w = 0; w < Q_WAITERS / 64; w++)
				q.bitmap[w] = ~0ull;
			did("every record taken");
			break;
		case 2: {
			uint32_t i = below(8);
			struct waiter *w = &q.rec[i];
			size_t off = below(sizeof(*w)),
			       len = 1 + below((uint32_t)(sizeof(*w) - off));

			fill_random((uint8_t *)w + off, len);
			did("record %u bytes [%zu, +%zu) random", i, off, len);
			/* A garbage "alive" word counts as a live owner
			 * (L5): a message handed to it is lost. */
			lossless &= off >= sizeof(w->alive);
			break;
		}
		case 3: {
			uint32_t i = below(8);
			struct waiter *w = &q.rec[i];

			fill_random(w, sizeof(*w));
			w->inited = below(2) ? 2 : w->inited;
			w->linked = 1;
			w->futex = below(2) ? W_WAITING : w->futex;
			w->kind = 1 + below(3);
			w->gen = gen;
			w->msg = plausible32(&q.sv);
			did("record %u random, inited %u kind %u msg %u", i,
			    w->inited, w->kind, w->msg);
			lossless = false;
			break;
		}
		default: {
			uint32_t i = below(8);

			if (below(2)) {
				q.c->wl.rhead = i;
				q.c->wl.rtail = below(8);
			} else {
				q.c->wl.shead = i;
				q.c->wl.stail = below(8);
			}
			q.rec[i].next = plausible_rec();
			q.rec[i].prev = plausible_rec();
			did("a wait list at record %u, next %u prev %u", i,
			    q.rec[i].next, q.rec[i].prev);
		}
		}
	}
	qmap_unmap(&q);
	SENT->lossless = lossless;
	if (!use())
		R_FAIL("a queue whose waiter pool is damaged cannot be opened");
	repaired();
	finish();
}

T_CASE(garbage_wpool)
{
	rounds("waiter pool", 100, round_wpool);
}

/* A process blocked in a timed call on the queue (recv: a receive, else
 * a send), its result in *res: 0, or an errno. */
static pid_t blocked(bool recv, int *res)
{
	pid_t pid = r_fork();

	if (pid == 0) {
		static char buf[RBUF + GUARD];
		struct timespec ts = soon(1500);
		mqd_t d = umq_mq_open(QNAME, O_RDWR);

		alarm(ROUND_S);
		if (d == (mqd_t)-1)
			R_FAIL("a waiter's mq_open: %s",
			       strerrorname_np(errno));
		*res = -1;
		if (recv) {
			ssize_t r = recv_one(d, buf, RBUF, "a blocked "
					     "receiver's mq_timedreceive", &ts);
			*res = r < 0 ? errno : 0;
		} else {
			uint32_t len = 4 + below((uint32_t)SU.msgsize - 3);
			int id = mk(buf, 1, len);
			*res = umq_mq_timedsend(d, buf, len, 1, &ts) ? errno :
								       0;
			SENT->queued[id] = !*res;
		}
		_exit(T_EXIT_PASS);
	}
	if (t_wait_sleeping(pid))
		R_FAIL("a waiter did not block");
	return pid;
}

/* A blocked process is its process's only thread: its tid is its pid. */
static int record_of(struct qmap *q, pid_t pid)
{
	for (uint32_t i = 0; i < Q_WAITERS; i++)
		if (q->rec[i].linked && q->rec[i].tid == pid)
			return (int)i;
	return -1;
}

/* A waiter's end: within its deadline and a margin, cleanly. */
static void waiter_end(pid_t pid, const int *res, bool damaged,
		       const char *who)
{
	int st = t_wait_child(pid, 0, damaged ? 500 : 3000);

	if (st == -1) {
		if (!damaged)
			R_FAIL("%s still blocked 3 s after its 1.5 s "
			       "deadline", who);
		kill(pid, SIGKILL);	/* its own record: it may sleep on */
		waitpid(pid, &st, 0);
		return;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == R_FAILED)
		_exit(R_FAILED);	/* LOG->why says */
	if (damaged && WIFSIGNALED(st) && WTERMSIG(st) != SIGALRM)
		R_FAIL("%s, whose record was damaged, crashed: signal %d",
		       who, WTERMSIG(st));
	if (!damaged && (!WIFEXITED(st) || WEXITSTATUS(st) != T_EXIT_PASS))
		R_FAIL("%s ended with status %#x", who, st);
	if (!damaged && *res && *res != ETIMEDOUT && *res != EUCLEAN)
		R_FAIL("%s ended with %s", who, strerrorname_np(*res) ?: "?");
}

/*
 * Two processes blocked on the queue, receivers on an empty queue or
 * senders on a full one (their messages parked in the store); noise over
 * the first one's record, or over a free record, or the list.  Then the
 * calls: the other waiter must end cleanly (with a message that was sent,
 * or its timeout), the damaged one must not crash, and every message
 * that comes out is one that was sent.
 */
static void round_waiters(uint32_t seed)
{
	bool recv = seed % 2;
	int *res = t_shared(2 * sizeof(int));
	struct qmap q;
	pid_t b1, b2;
	int idx;
	uint64_t gen = round_queue(seed, 0x78, recv ? 0 : MAXMSG, 0);

	b1 = blocked(recv, &res[0]);
	b2 = blocked(recv, &res[1]);
	qmap_of(gen, &q);
	idx = record_of(&q, b1);
	if (idx < 0)
		R_FAIL("no waiter record for the blocked %s",
		       recv ? "receiver" : "sender");
	if (seed % 6 == 0)		/* a free record instead */
		idx = (int)((uint32_t)(idx + 2 + below(100)) % Q_WAITERS);
	struct waiter *w = &q.rec[idx];
	bool lossless = recv, derived = true;
	if (seed % 5 == 4) {	/* the control block instead */
		derived = damage_field(q.c);
		lossless &= derived;
		idx = -1;
	} else if (recv && seed % 7 == 3) {
		/* A forged hand-off: a chunk that is no message in flight
		 * to it, and the record woken as if posted. */
		w->msg = plausible32(&q.sv);
		w->len = 4;
		w->result = 0;
		__atomic_store_n(&w->futex, W_READY, __ATOMIC_RELEASE);
		syscall(SYS_futex, &w->futex, FUTEX_WAKE, 1, NULL, NULL, 0);
		did("record %d handed chunk %u", idx, w->msg);
	} else switch (seed % 3) {
	case 0: {
		size_t off = below(sizeof(*w));
		size_t len = 1 + below((uint32_t)(sizeof(*w) - off));

		fill_random((uint8_t *)w + off, len);
		did("record %d bytes [%zu, +%zu) random", idx, off, len);
		break;
	}
	case 1:
		w->msg = plausible32(&q.sv);
		w->len = plausible64(w->len);
		w->mtype = -(int64_t)below(40000);
		w->next = plausible_rec();
		did("record %d msg %u len %llu next %u", idx, w->msg,
		    (unsigned long long)w->len, w->next);
		break;
	default:
		w->futex = below(2) ? W_READY : (uint32_t)rnd64();
		w->result = (int32_t)rnd64();
		w->prio = (int32_t)rnd64();
		w->order = rnd64();
		did("record %d futex %#x result %d prio %d", idx, w->futex,
		    w->result, w->prio);
	}
	qmap_unmap(&q);
	/* A damaged sender's own message may be lost: its call may even
	 * say it was sent. */
	SENT->lossless = lossless;

	if (!use() && derived)
		R_FAIL("a queue whose waiter record is damaged cannot be "
		       "opened");
	op("the waiters' ends");
	waiter_end(b2, &res[1], false, "the healthy waiter");
	waiter_end(b1, &res[0], seed % 6 != 0 && idx >= 0,
		   "the damaged waiter");
	if (derived)
		repaired();
	finish();
}

T_CASE(garbage_waiters)
{
	rounds("waiter records of blocked processes", 40, round_waiters);
}

/* ---- a live registration's fields ---------------------------------------- */

/*
 * Whom a notification signals, and with what, must not come from shared
 * memory (notify.c): garbage in the registration's fields - the pid of
 * a bystander, of the caller, of the test itself; SIGKILL for the
 * signal; another kind, record or pid namespace - signals nobody but the
 * registrant, and it only with the signal it asked for, once.
 */
struct nlog {
	int ready;		/* the registrant registered */
	int got;		/* SIGUSR1s the registrant got */
	int code;		/* the si_code of the last */
	int stray;		/* SIGUSR1s anyone else got */
};

static struct nlog *NL;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	__atomic_add_fetch(&NL->got, 1, __ATOMIC_RELAXED);
	NL->code = si->si_code;
}

static void on_stray(int sig)
{
	(void)sig;
	__atomic_add_fetch(&NL->stray, 1, __ATOMIC_RELAXED);
}

static void catch_stray(void)
{
	struct sigaction sa = { .sa_handler = on_stray };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

/* A process that sleeps until killed, counting stray SIGUSR1s. */
static pid_t bystander(void)
{
	pid_t pid = r_fork();

	if (pid == 0) {
		catch_stray();
		alarm(ROUND_S);
		for (;;)
			pause();
	}
	return pid;
}

/* A process registered for SIGUSR1 on the queue, counting them. */
static pid_t registrant(void)
{
	pid_t pid = r_fork();

	if (pid == 0) {
		struct sigaction sa = { .sa_sigaction = on_usr1,
					.sa_flags = SA_SIGINFO };
		struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
					.sigev_signo = SIGUSR1 };
		mqd_t d;

		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
		alarm(ROUND_S);
		d = umq_mq_open(QNAME, O_RDONLY);
		if (d == (mqd_t)-1 || umq_mq_notify(d, &sev))
			R_FAIL("the registrant's mq_open/mq_notify: %s",
			       strerrorname_np(errno));
		__atomic_store_n(&NL->ready, 1, __ATOMIC_RELEASE);
		for (;;)
			pause();
	}
	for (int i = 0; i < 400 && !__atomic_load_n(&NL->ready,
						     __ATOMIC_ACQUIRE); i++)
		t_msleep(5);
	if (!NL->ready)
		R_FAIL("the registrant did not register");
	return pid;
}

static bool alive(pid_t pid, const char *who)
{
	int st;
	pid_t r = waitpid(pid, &st, WNOHANG);

	if (r == 0)
		return true;
	if (r == pid && WIFSIGNALED(st))
		R_FAIL("%s was killed by signal %d", who, WTERMSIG(st));
	if (r == pid && WIFEXITED(st) && WEXITSTATUS(st) == R_FAILED)
		_exit(R_FAILED);
	R_FAIL("%s ended: status %#x", who, st);
}

static void round_notify(uint32_t seed)
{
	struct qmap q;
	pid_t reg, by;
	uint64_t gen = round_queue(seed, 0x90, (int)below(3), 0);

	NL = t_shared(sizeof(*NL));
	catch_stray();
	if (SU.nsend) {		/* empty it: the next send fires */
		char buf[RBUF];
		unsigned prio;
		mqd_t d = umq_mq_open(QNAME, O_RDONLY | O_NONBLOCK);
		ssize_t r;
		while (d != (mqd_t)-1 &&
		       (r = umq_mq_receive(d, buf, RBUF, &prio)) >= 0)
			count_out(buf, r, prio, "emptying");
		if (d != (mqd_t)-1)
			umq_mq_close(d);
	}
	by = bystander();
	reg = registrant();
	qmap_of(gen, &q);
	for (int k = 1 + (int)below(3); k--;) {
		struct pqctl *c = q.c;
		static const int sigs[] = { SIGKILL, SIGSEGV, SIGUSR2, 0,
					    SIGUSR1, 65, -1 };

		switch (below(5)) {
		case 0: {
			pid_t pids[] = { by, getpid(), getppid(), 1, reg,
					 (pid_t)rnd64() };
			c->notify_pid = pids[below(6)];
			did("notify_pid = %d (registrant %d, bystander %d, "
			    "caller %d, test %d)", c->notify_pid, reg, by,
			    getpid(), getppid());
			break;
		}
		case 1:
			c->notify_signo = sigs[below(7)];
			did("notify_signo = %d", c->notify_signo);
			break;
		case 2:
			c->notify_kind = below(2) ? (int)below(4) : (int)rnd64();
			did("notify_kind = %d", c->notify_kind);
			break;
		case 3:
			c->notify_rec = plausible_rec();
			did("notify_rec = %u", c->notify_rec);
			break;
		default:
			c->notify_ns = below(2) ? 0 : (uint32_t)rnd64();
			did("notify_ns = %u", c->notify_ns);
		}
	}
	qmap_unmap(&q);

	use();
	op("the processes after the notification");
	t_msleep(100);
	alive(by, "the bystander");
	alive(reg, "the registrant");
	if (verbose)
		t_note("the registrant got %d, strays %d", NL->got, NL->stray);
	if (NL->stray)
		R_FAIL("%d SIGUSR1 went to a process that never asked",
		       NL->stray);
	if (NL->got > 1)
		R_FAIL("the registrant got %d notifications for one "
		       "registration", NL->got);
	if (NL->got && NL->code != SI_MESGQ)
		R_FAIL("the registrant's signal has si_code %d", NL->code);
	kill(reg, SIGKILL);
	kill(by, SIGKILL);
	waitpid(reg, NULL, 0);
	waitpid(by, NULL, 0);
	finish();
}

T_CASE(garbage_notify)
{
	rounds("registration fields", 60, round_notify);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
