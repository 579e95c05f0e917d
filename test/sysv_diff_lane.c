/* SPDX-License-Identifier: MIT */
/*
 * sysv_diff_lane.c - the System V lane (lane.c, LOCKING L14) against the
 * kernel: sequences that open the lane, fill it, then leave it by the
 * receives that do not use it (typed, MSG_EXCEPT, MSG_COPY) and by E2BIG
 * and MSG_NOERROR ones that do, round after round; and the ring filled
 * to its end, where a record needs a skip.  The other cases of
 * sysv_diff.c mostly meet the lane closed, as an IPC_STAT closes it and
 * only a plain call that empties the queue opens it again.
 *
 * Same machinery as sysv_diff.c (diff.h): every step is compared with
 * the kernel's.  On umq the lane is checked open (its gate, layout.h)
 * before each round's sends, else the case would prove nothing about it.
 *
 *   build/test/sysv_diff_lane [case ...]
 *   UMQ_TRACE=1 build/test/sysv_diff_lane case	both traces in full
 *
 * The kernel against itself (the lane's gate is not looked at):
 *   gcc -D_GNU_SOURCE -DKERNEL_ONLY -Iinclude -std=gnu11 -pthread \
 *	-o /tmp/sysv_diff_lane test/sysv_diff_lane.c test/t.c test/trace.c
 */
/* diff.h's helpers are static, for each program: some are unused here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "diff.h"

#include <sys/mman.h>

#ifndef KERNEL_ONLY
#include "qfile.h"
#endif

#define MSGMAX 8192	/* the default of a fresh namespace */
#define NW IPC_NOWAIT

/*
 * Open the lane of q: a plain send and receive that leave the queue
 * empty (lane_reopen).  On umq the gate must then say so.
 */
static void lane_open(struct ctx *c, int q)
{
	SND(c, q, 1, 0, 1, NW, W_RET(0));
	RCV_GOT(c, q, 1, 0, NW, 1, 1, 0);
#ifndef KERNEL_ONLY
	if (c->b == &backends[1]) {
		struct qfile *f = ctl_of(q);
		uint32_t g = __atomic_load_n(&f->lane.gate, __ATOMIC_ACQUIRE);

		munmap(f, sizeof(*f));
		if (g != LANE_OPEN)
			T_FAIL("umq: the lane of queue %d is not open (gate "
			       "%#x)", q, g);
	}
#endif
}

/*
 * 30 rounds: drain, open the lane, six sends of up to msgmax bytes into
 * it, then a receive too small (E2BIG: the message stays in the lane),
 * the same truncated by MSG_NOERROR (the lane must count the message's
 * bytes as taken, not the ones copied), and the selectors that close it.
 */
DIFF_CASE(lane_mixed_receives)
{
	int q;

	LIMIT(c, "msgmnb", 100000, W_RET(0));	/* six of msgmax fit */
	q = GET(c, IPC_PRIVATE, 0600, W_RET(0));
	for (int r = 0; r < 30; r++) {
		for (int i = 0; i < 10; i++)
			RCV(c, q, MSGMAX, 0, NW, W_ANY);
		lane_open(c, q);
		for (int i = 0; i < 6; i++)
			SND(c, q, 1 + (r + i) % 4, r * 6 + i,
			    (size_t)(r * 7 + i * 1000) % (MSGMAX + 1), NW,
			    W_RET(0));
		RCV(c, q, 10, 0, NW, W_ANY);
		RCV(c, q, 10, 0, NW | MSG_NOERROR, W_ANY);
		RCV(c, q, MSGMAX, 3, NW, W_ANY);
		RCV(c, q, MSGMAX, 2, NW | MSG_EXCEPT, W_ANY);
		RCV(c, q, MSGMAX, 0, NW | MSG_EXCEPT, W_ANY);
		RCV(c, q, MSGMAX, -2, NW, W_ANY);
		RCV(c, q, MSGMAX, r % 3, NW | MSG_COPY, W_ANY);
		STAT(c, q, W_RET(0));
		RCV(c, q, MSGMAX, 0, NW, W_ANY);
	}
	for (int i = 0; i < 200; i++)
		RCV(c, q, MSGMAX, 0, NW, W_ANY);
	STAT(c, q, W_RET(0));
	CHK(c, c->ds.msg_qnum, 0);
	CHK(c, c->ds.__msg_cbytes, 0);
}

/*
 * The ring (LANE_UNITS units of LANE_UNIT bytes) nearly full up to its
 * end, its oldest record at unit 1: a send of 25 units needs a skip of
 * the 24 left at the end, and so 1048 units, more than the ring holds -
 * the store must take it.  Counting the record without its skip, the
 * lane would write it over the oldest one.  Every message is received
 * as sent, in order.
 */
DIFF_CASE(lane_wrap_full_ring)
{
	static const size_t len[] = { 8192, 8192, 8192, 8192, 8192, 8192,
				      8192, 6100, 1550 };	/* 129 units... */
	int q;

	LIMIT(c, "msgmnb", 100000, W_RET(0));	/* the ring fills first */
	q = GET(c, IPC_PRIVATE, 0600, W_RET(0));
	lane_open(c, q);			/* 1 unit taken: at unit 1 */
	for (int i = 0; i < 8; i++)		/* ...96: up to unit 1000 */
		SND(c, q, 1 + i, 10 + i, len[i], NW, W_RET(0));
#ifndef KERNEL_ONLY
	if (c->b == &backends[1]) {
		struct qfile *f = ctl_of(q);
		uint32_t put = (uint32_t)f->lane.put % LANE_UNITS;
		uint32_t taken = (uint32_t)f->lane.taken % LANE_UNITS;

		munmap(f, sizeof(*f));
		if (put != 1000 || taken != 1)
			T_FAIL("umq: the lane's ring is at units %u..%u, not "
			       "1..1000: this case misses its edge", taken, put);
	}
#endif
	SND(c, q, 9, 18, len[8], NW, W_RET(0));
	for (int i = 0; i < 9; i++)
		RCV_GOT(c, q, MSGMAX, 0, NW, len[i], 1 + i, 10 + i);
	RCV(c, q, MSGMAX, 0, NW, W_ERR(ENOMSG));
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
