/* SPDX-License-Identifier: MIT */
/* qview.c - see qview.h. */
#include "t.h"

#include <signal.h>
#include <sys/wait.h>

#include "qview.h"
#include "umq.h"

struct sq *sv_q(int id)
{
	struct ns *ns;
	struct sq *s;

	if (ns_get(&ns) || sq_get(ns, (uint32_t)id & (IPCMNI - 1), &s) ||
	    sq_data(s))
		T_FAIL("the queue's mapping");
	return s;
}

int64_t sv_refs(int id)
{
	struct ns *ns;
	uint64_t e;
	struct sq *s;

	T_OK(ns_get(&ns));
	e = __atomic_load_n(&ns->sq[id & (IPCMNI - 1)], __ATOMIC_ACQUIRE);
	s = (struct sq *)(uintptr_t)(e & ((1ull << 48) - 1));
	if (!s)
		T_FAIL("queue %d is not in the table", id);
	return __atomic_load_n(&s->refs, __ATOMIC_ACQUIRE) +
	       (int64_t)(e >> 48);
}

struct pview *pq_of(mqd_t d)
{
	struct pdesc *pd;

	if (pdesc_get(d, &pd))
		T_FAIL("not a queue descriptor");
	return pd->pv;
}

/* Records of kind asleep (W_WAITING) on the list of their kind in wl:
 * the senders' for WK_SEND, else the receivers' (peekers' too). */
static int count_list(struct wpool *wp, const struct wlists *wl,
		      uint32_t kind)
{
	uint32_t head = kind == WK_SEND ? wl->shead : wl->rhead;
	int n = 0;

	for (uint32_t i = head, k = 0; i < Q_WAITERS && k < Q_WAITERS;
	     i = wp_rec(wp, i)->next, k++)
		n += wp_rec(wp, i)->kind == kind &&
		     __atomic_load_n(&wp_rec(wp, i)->futex, __ATOMIC_ACQUIRE) ==
		     W_WAITING;
	return n;
}

int sv_asleep(int id, uint32_t kind)
{
	struct sq *s = sv_q(id);
	int n;

	q_lock(s);
	n = count_list(&s->wp, &s->q->wl, kind);
	q_unlock(s);
	sq_put(s);
	return n;
}

int mq_asleep(mqd_t d, uint32_t kind)
{
	struct pview *pv = pq_of(d);
	int n;

	pq_lock(pv);
	n = count_list(&pv->wp, &pv->ctl->wl, kind);
	pq_unlock(pv);
	return n;
}

/* One loop for both kinds of queue: a descriptor is an int too. */
static void until(int (*asleep)(int, uint32_t), int q, uint32_t kind,
		  int want)
{
	for (int i = 0; asleep(q, kind) != want; i++) {
		if (i == 5000)
			T_FAIL("%d waiters of kind %u never slept", want, kind);
		t_msleep(1);
	}
}

void sv_until(int id, uint32_t kind, int want)
{
	until(sv_asleep, id, kind, want);
}

void mq_until(mqd_t d, uint32_t kind, int want)
{
	until(mq_asleep, d, kind, want);
}

static void die_at_link(int point)
{
	if (point == FP_SEND_LINK)
		raise(SIGKILL);
}

static void dying_send(void *arg)
{
	struct { long type; char text[16]; } m = { 9, "dying" };

	umq_fault_hook = die_at_link;
	umq_msgsnd(*(int *)arg, &m, 6, 0);
}

void send_and_die(int id)
{
	int st = t_waitpid(t_spawn_alarm(dying_send, &id, 20));

	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		T_FAIL("the dying send was not killed at its link "
		       "(wait status %#x)", st);
}
