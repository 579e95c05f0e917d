/* SPDX-License-Identifier: MIT */
/*
 * so_lane.c - the lane (DESIGN §2, L14) as programs load umq
 * (libumq.so): plain sends and msgtyp-0 receives on a new queue, made by
 * key or IPC_PRIVATE, go through it - the lane's count in the control
 * file says so - and give back what the kernel would, in order, with
 * msg_qnum and msg_cbytes counting them; reading its stats leaves it
 * open.  The layout is read from the
 * file, as an outside observer would (the offsets of src/layout.h).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>
#include <unistd.h>

#include "t.h"
#include "umq.h"

/* struct qfile: the lane at 320; in it, put at 128 and the gate at 256. */
#define LANE_AT		320
#define PUT_AT		(LANE_AT + 128)
#define GATE_AT		(LANE_AT + 256)
#define GATE_OPEN	0x6e65706fu	/* "open" */

struct lane_seen {
	uint32_t gate;
	uint32_t msgs;		/* what senders put in, modulo 2^20 */
};

static struct lane_seen lane_of(int qid)
{
	struct lane_seen l;
	char path[4096];
	uint64_t put;
	int fd;

	snprintf(path, sizeof(path), "%s/sysv/q.%016llx", t_umq_dir(),
		 (unsigned long long)t_umq_gen(qid));
	fd = (int)T_OK(open(path, O_RDONLY | O_CLOEXEC));
	T_EQ(pread(fd, &l.gate, sizeof(l.gate), GATE_AT),
	     (ssize_t)sizeof(l.gate));
	T_EQ(pread(fd, &put, sizeof(put), PUT_AT), (ssize_t)sizeof(put));
	close(fd);
	l.msgs = (uint32_t)(put >> 44) & 0xfffff;
	return l;
}

struct m {
	long mtype;
	char text[64];
};

static void lane_carries(key_t key)
{
	int qid = (int)T_OK(umq_msgget(key, IPC_CREAT | 0600));
	struct umq_qstats st;
	struct msqid_ds ds;
	struct lane_seen l;
	struct m m;

	for (int i = 0; i < 3; i++) {
		m.mtype = 3 - i;
		snprintf(m.text, sizeof(m.text), "lane %d", i);
		T_OK(umq_msgsnd(qid, &m, strlen(m.text) + 1, IPC_NOWAIT));
	}
	l = lane_of(qid);
	if (l.gate != GATE_OPEN || l.msgs != 3)
		T_FAIL("after 3 sends the lane's gate is %#x and it took %u "
		       "messages: the sends did not use it", l.gate, l.msgs);
	/* What `umq top` and `umq metrics` read takes no lock: the lane
	 * stays open, its messages counted. */
	T_OK(umq_msg_stats(qid, &st));
	T_EQ(st.messages, 3);
	T_EQ(lane_of(qid).gate, GATE_OPEN);
	T_EQ(umq_msgrcv(qid, &m, sizeof(m.text), 0, IPC_NOWAIT), 7);
	T_EQ(m.mtype, 3);
	T_ASSERT(!strcmp(m.text, "lane 0"));
	/* IPC_STAT closes the lane: what is left moves to the store. */
	T_OK(umq_msgctl(qid, IPC_STAT, &ds));
	T_EQ(ds.msg_qnum, 2);
	T_EQ(ds.__msg_cbytes, 14);
	T_EQ(umq_msgrcv(qid, &m, sizeof(m.text), 1, IPC_NOWAIT), 7);
	T_ASSERT(!strcmp(m.text, "lane 2"));
	T_EQ(umq_msgrcv(qid, &m, sizeof(m.text), 0, IPC_NOWAIT), 7);
	T_ASSERT(!strcmp(m.text, "lane 1"));
	/* Empty again after a plain receive: open for the next send. */
	T_EQ(lane_of(qid).gate, GATE_OPEN);
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

T_CASE(keyed_queue_uses_the_lane) { lane_carries(0x1a4e); }
T_CASE(private_queue_uses_the_lane) { lane_carries(IPC_PRIVATE); }

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
