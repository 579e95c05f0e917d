/* SPDX-License-Identifier: MIT */
/* garbage_mq_damage.c - plausible garbage for a POSIX queue's files: see
 * garbage_mq.h. */
#include "t.h"

#include "garbage_mq.h"

uint32_t plausible_rec(void)
{
	switch (below(4)) {
	case 0:
		return NIL;
	case 1:
		return below(8);
	case 2:
		return below(Q_WAITERS + 2);
	}
	return (uint32_t)rnd64();
}

static int64_t plausible_size(void)
{
	static const int64_t v[] = { 0, -1, 1, 2, 3, 64, MAXMSG + 1, 8192,
				     65536, 1 << 24, INT32_MAX, INT64_MAX,
				     INT64_MIN };

	return below(3) ? v[below(sizeof(v) / sizeof(v[0]))] :
			  (int64_t)rnd64();
}

bool damage_field(struct pqctl *c)
{
	switch (below(16)) {
	case 0:
		c->curmsgs = plausible64(c->curmsgs);
		did("curmsgs = %llu", (unsigned long long)c->curmsgs);
		break;
	case 1:
		c->qsize = plausible64(c->qsize);
		did("qsize = %llu", (unsigned long long)c->qsize);
		break;
	case 2:
		c->wl.rhead = plausible_rec();
		c->wl.rtail = plausible_rec();
		did("receivers' list %u..%u", c->wl.rhead, c->wl.rtail);
		break;
	case 3:
		c->wl.shead = plausible_rec();
		c->wl.stail = plausible_rec();
		did("senders' list %u..%u", c->wl.shead, c->wl.stail);
		break;
	case 4:
		c->wl.order = rnd64();
		c->events = (uint32_t)rnd64();
		c->lock_ns = (uint32_t)rnd64();
		did("order, events, lock_ns random");
		break;
	case 5:
		c->rstate = below(2) ? below(6) : (uint32_t)rnd64();
		did("rstate = %u", c->rstate);
		break;
	case 6:
		c->notify_pid = below(2) ? (int32_t)getpid() :
			below(2) ? 1 : (int32_t)rnd64();
		c->notify_rec = plausible_rec();
		did("notify_pid = %d, notify_rec = %u", c->notify_pid,
		    c->notify_rec);
		break;
	case 7:
		c->notify_pid = below(2) ? (int32_t)getpid() : (int32_t)rnd64();
		c->notify_kind = below(2) ? (int32_t)below(4) : (int32_t)rnd64();
		c->notify_signo = below(2) ? (int32_t)below(70) :
					     (int32_t)rnd64();
		c->notify_ns = (uint32_t)rnd64();
		c->notify_rec = plausible_rec();
		did("notification {pid %d kind %d signo %d rec %u}",
		    c->notify_pid, c->notify_kind, c->notify_signo,
		    c->notify_rec);
		break;
	case 8:
		c->pad1 = (uint32_t)rnd64();
		c->pad2 = (uint32_t)rnd64();
		did("padding bytes");
		break;
	case 14:
		c->watch = below(2) ? below(2) : (uint32_t)rnd64();
		did("watch = %u", c->watch);
		break;
	case 15:
		c->lane.put = below(2) ? c->lane.taken + below(4) : rnd64();
		c->lane.taken = below(2) ? c->lane.taken : rnd64();
		c->lane.taken_seen = rnd64();
		c->lane.last_prio = (uint32_t)rnd64();
		c->lane.gate = below(2) ? LANE_OPEN : below(2) ?
			       LANE_CLOSING : (uint32_t)rnd64();
		did("lane words, gate %#x", c->lane.gate);
		break;
	case 9:
		c->maxmsg = plausible_size();
		did("maxmsg = %lld", (long long)c->maxmsg);
		return false;
	case 10:
		c->msgsize = plausible_size();
		did("msgsize = %lld", (long long)c->msgsize);
		return false;
	case 11:
		c->mode = below(2) ? below(01000) : (uint32_t)rnd64();
		c->uid = below(2) ? 1000 : (uint32_t)rnd64();
		c->gid = below(2) ? 1000 : (uint32_t)rnd64();
		did("mode %#o uid %u gid %u", c->mode, c->uid, c->gid);
		return false;
	case 12:
		c->charge_uid = (uint32_t)rnd64();
		c->charge = plausible64(c->charge);
		did("charge_uid %u charge %llu", c->charge_uid,
		    (unsigned long long)c->charge);
		return false;
	default:
		c->lock.__data.__lock = below(2) ? (int)rnd64() :
					(int)(below(1u << 22) | 0x80000000u);
		c->lock.__data.__count = (unsigned)rnd64();
		did("lock word %#x, check %#x", (unsigned)c->lock.__data.__lock,
		    c->lock.__data.__count);
	}
	return true;
}
