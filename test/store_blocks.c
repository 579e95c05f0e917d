/* SPDX-License-Identifier: MIT */
/*
 * store_blocks.c - a message is one block of chunks (layout.h): its text
 * lies where other chunks' states would be, and freed blocks keep it.
 *
 *  - blocks_forged_*: every chunk boundary inside every text holds a
 *    forged queued message; a process dies at a fault point, and the
 *    repair (a walk of the tiling) must bring back exactly the messages
 *    sent, none of the forged ones, with IPC_STAT agreeing.
 *  - blocks_coalesce: free space left in small blocks serves large
 *    messages without the store growing, and the other way round.
 *  - blocks_mixed_sizes: a long run of mixed sizes and selectors against
 *    a model, the store staying within a bound.
 */
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "t.h"
#include "internal.h"

#define CHUNK	128		/* registry.c's STORE_CHUNK */
#define BIG	8000
#define FORGED	7		/* the mtype of forged messages */

struct tmsg {
	long mtype;
	uint8_t text[BIG];
};

/* A text of len bytes: its number, then a forged struct msg at every
 * place a chunk boundary may fall (the text starts 48 bytes into a
 * chunk), the rest a pattern of n. */
static size_t mk(struct tmsg *m, uint32_t n, size_t len)
{
	m->mtype = 1;
	for (size_t i = 0; i < len; i++)
		m->text[i] = (uint8_t)(n * 31 + i);
	for (size_t off = CHUNK - sizeof(struct msg);
	     off + sizeof(struct msg) <= len; off += CHUNK) {
		struct msg f = {
			.state = CH_QUEUED, .next_chunk = NIL,
			.seq = 1 + off / CHUNK, .key = FORGED,
			.len = (off / CHUNK) % 3 ? 0 : 200, .bnext = NIL,
			.owner = NIL,
		};
		memcpy(m->text + off, &f, sizeof(f));
	}
	if (len >= 4)
		memcpy(m->text, &n, 4);
	return len;
}

static size_t len_of(uint32_t n)
{
	static const size_t lens[] = { 4, 100, 300, 2000, BIG, 1000, 64 };

	return lens[n % (sizeof(lens) / sizeof(lens[0]))];
}

struct model {
	uint32_t head, tail;		/* messages head..tail-1 queued */
};

static void send_n(int qid, struct model *q, uint32_t n)
{
	static struct tmsg m;

	while (n--) {
		size_t len = mk(&m, q->tail, len_of(q->tail));
		T_OK(umq_msgsnd(qid, &m, len, IPC_NOWAIT));
		q->tail++;
	}
}

static void recv_n(int qid, struct model *q, uint32_t n, const char *when)
{
	static struct tmsg m, want;

	while (n--) {
		ssize_t r = umq_msgrcv(qid, &m, BIG, 0, IPC_NOWAIT);
		size_t len;

		if (r < 0 && errno == ENOMSG && q->head == q->tail)
			return;
		if (r < 0)
			T_FAIL("%s: msgrcv of message %u: %s", when, q->head,
			       strerrorname_np(errno));
		len = mk(&want, q->head, len_of(q->head));
		if (m.mtype != 1 || (size_t)r != len ||
		    memcmp(m.text, want.text, len))
			T_FAIL("%s: message %u came out as mtype %ld, %zd "
			       "bytes (expected 1, %zu, its text)", when,
			       q->head, m.mtype, r, len);
		q->head++;
	}
}

static void check_all(int qid, struct model *q, const char *when)
{
	struct msqid_ds ds;
	uint64_t bytes = 0;

	T_OK(umq_msgctl(qid, IPC_STAT, &ds));
	for (uint32_t i = q->head; i < q->tail; i++)
		bytes += len_of(i);
	if (ds.msg_qnum != q->tail - q->head || ds.__msg_cbytes != bytes)
		T_FAIL("%s: IPC_STAT says qnum %lu cbytes %lu, expected %u, "
		       "%llu", when, (unsigned long)ds.msg_qnum,
		       (unsigned long)ds.__msg_cbytes, q->tail - q->head,
		       (unsigned long long)bytes);
	recv_n(qid, q, q->tail - q->head + 1, when);
	T_ERR(umq_msgrcv(qid, &(long){ 0 }, 0, FORGED, IPC_NOWAIT), ENOMSG);
	T_OK(umq_msgctl(qid, IPC_STAT, &ds));
	T_EQ(ds.msg_qnum, 0);
}

/* A queue of msg_qbytes 1 MiB: the namespace's default for new ones. */
static int new_q(void)
{
	struct umq_limits lim;

	T_OK(umq_ns_get_limits(&lim));
	lim.msgmnb = 1 << 20;
	T_OK(umq_ns_set_limits(&lim));
	return (int)T_OK(umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600));
}

/* ---- dying at a fault point --------------------------------------------- */

static int fp_point, fp_left;

static void fp_die(int point)
{
	if (point == fp_point && --fp_left == 0)
		raise(SIGKILL);
}

struct job {
	int qid, point, nth, recv;
	struct model q;
};

static void job_run(void *arg)
{
	struct job *j = arg;

	fp_point = j->point;
	fp_left = j->nth;
	umq_fault_hook = fp_die;
	if (j->recv)
		recv_n(j->qid, &j->q, 1000, "the armed receiver");
	else
		send_n(j->qid, &j->q, 1000);
	_exit(T_EXIT_FAIL);	/* never reached the fault point */
}

/*
 * Sent messages, half of them received (their texts stay in free blocks),
 * more sent; then a process dies at point.  A receiver dying after the
 * copy (FP_RECV_COPY) leaves its message queued; after the take it is
 * gone, as on the kernel.
 */
static void forged(int point, int nth, int recv)
{
	struct job *j = t_shared(sizeof(*j));
	struct model q = { 0, 0 };
	int qid = new_q(), st;
	pid_t pid;

	alarm(60);
	send_n(qid, &q, 40);
	recv_n(qid, &q, 20, "before the crash");
	send_n(qid, &q, 30);
	j->qid = qid;
	j->point = point;
	j->nth = nth;
	j->recv = recv;
	j->q = q;
	pid = t_spawn_alarm(job_run, j, 20);
	st = t_waitpid(pid);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		T_FAIL("the armed process did not die at its point: %#x", st);
	/* What the dying call had done is done. */
	q = j->q;
	q.head += point == FP_RECV_TAKE;
	q.tail += point == FP_SEND_LINK;
	check_all(qid, &q, "after the crash");
	/* The store works on: every size again. */
	send_n(qid, &q, 50);
	recv_n(qid, &q, 25, "after the repair");
	check_all(qid, &q, "after the repair");
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

T_CASE(blocks_forged_send_put) { forged(FP_SEND_PUT, 1, 0); }
T_CASE(blocks_forged_send_put_big) { forged(FP_SEND_PUT, 5, 0); }
T_CASE(blocks_forged_send_link) { forged(FP_SEND_LINK, 4, 0); }
T_CASE(blocks_forged_recv_copy) { forged(FP_RECV_COPY, 4, 1); }
T_CASE(blocks_forged_recv_take) { forged(FP_RECV_TAKE, 5, 1); }
T_CASE(blocks_forged_grow) { forged(FP_GROW, 1, 0); }

/* ---- the free space is not lost to its shape ---------------------------- */

/* The size of the case's one store file, sysv/m.<gen>. */
static off_t store_bytes(void)
{
	char cmd[PATH_MAX + 64], name[PATH_MAX];
	struct stat s;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls %s/sysv | grep '^m\\.[0-9a-f]*$'",
		 t_umq_dir());
	p = popen(cmd, "r");
	T_ASSERT(p);
	T_ASSERT(fgets(name, sizeof(name), p));
	pclose(p);
	name[strcspn(name, "\n")] = 0;
	snprintf(cmd, sizeof(cmd), "%s/sysv/%s", t_umq_dir(), name);
	T_OK(stat(cmd, &s));
	return s.st_size;
}

T_CASE(blocks_coalesce)
{
	static struct tmsg m;
	int qid = new_q();
	off_t size0;

	alarm(60);
	m.mtype = 1;
	/* The first store: 448 chunks.  Nearly all in single chunks... */
	for (int i = 0; i < 440; i++)
		T_OK(umq_msgsnd(qid, &m, 8, IPC_NOWAIT));
	size0 = store_bytes();
	for (int i = 0; i < 440; i++)
		T_EQ(umq_msgrcv(qid, &m, BIG, 0, IPC_NOWAIT), 8);
	/* ... then in blocks of 64 (8000 B), three at a time ... */
	for (int r = 0; r < 100; r++) {
		for (int i = 0; i < 3; i++)
			T_OK(umq_msgsnd(qid, &m, BIG, IPC_NOWAIT));
		for (int i = 0; i < 3; i++)
			T_EQ(umq_msgrcv(qid, &m, BIG, 0, IPC_NOWAIT), BIG);
	}
	/* ... and in single chunks again. */
	for (int i = 0; i < 440; i++)
		T_OK(umq_msgsnd(qid, &m, 8, IPC_NOWAIT));
	if (store_bytes() != size0)
		T_FAIL("the store grew from %lld to %lld bytes with room "
		       "enough", (long long)size0,
		       (long long)store_bytes());
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

T_CASE(blocks_mixed_sizes)
{
	struct model q = { 0, 0 };
	int qid = new_q();
	uint32_t x = 12345;

	alarm(120);
	for (int r = 0; r < 3000; r++) {
		x = x * 1103515245u + 12345u;
		uint32_t k = 1 + (x >> 16) % 6;
		if ((x >> 8) & 1 || q.tail - q.head > 100)
			recv_n(qid, &q, k, "mixed sizes");
		else
			send_n(qid, &q, k);
	}
	check_all(qid, &q, "mixed sizes");
	/* At most 100 + 6 messages of at most 64 chunks were queued: 6784
	 * chunks.  With no merging in the way, the store stays within a few
	 * doublings of that. */
	if (store_bytes() > (off_t)M_STORE_OFF + 4 * 8192 * CHUNK)
		T_FAIL("the store grew to %lld bytes",
		       (long long)store_bytes());
	T_OK(umq_msgctl(qid, IPC_RMID, NULL));
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
