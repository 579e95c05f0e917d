/* SPDX-License-Identifier: MIT */
/*
 * qops.c - a test helper: run the same queue operations on the kernel or
 * on umq, so that a test script can build identical queues on both and
 * compare what the tools show of them.
 *
 *   qops [-u] OP ARGS... [OP ARGS...]...
 *
 * -u selects umq (the namespace of $UMQ_DIR); without it, the kernel's
 * system calls (made directly, as test/t.c does).  Ops:
 *   get KEY MODE            msgget(KEY, IPC_CREAT | MODE)
 *   snd ID TYPE SIZE        msgsnd of SIZE bytes, IPC_NOWAIT
 *   rcv ID TYPE             msgrcv, IPC_NOWAIT | MSG_NOERROR
 *   set ID UID GID MODE QBYTES   IPC_SET (-1 keeps a field)
 *   rm ID                   IPC_RMID
 *   mq NAME MODE MAXMSG MSGSIZE  mq_open(O_CREAT), 0 0: default attributes
 *   mqsnd NAME PRIO SIZE    mq_send, O_NONBLOCK
 *   mqrcv NAME              mq_receive, O_NONBLOCK
 *   mqattr NAME             print "maxmsg msgsize curmsgs"
 *   notify NAME SIGEV SIGNO mq_notify (held while this process lives)
 *   run CMD                 system(CMD), with the registrations held
 *   umask MODE
 *   stats ID|/NAME          umq only: print umq_msg_stats/umq_mq_stats
 *                           as "field=value ..." (pids: "s=P,P r=P")
 * Any failure: a message on stderr and exit status 1.
 */

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "umq.h"

static int use_umq;

static int x_msgget(key_t k, int f)
{
	return use_umq ? umq_msgget(k, f) : (int)syscall(SYS_msgget, k, f);
}

static int x_msgsnd(int id, const void *p, size_t n, int f)
{
	return use_umq ? umq_msgsnd(id, p, n, f) :
			 (int)syscall(SYS_msgsnd, id, p, n, f);
}

static long x_msgrcv(int id, void *p, size_t n, long t, int f)
{
	return use_umq ? umq_msgrcv(id, p, n, t, f) :
			 syscall(SYS_msgrcv, id, p, n, t, f);
}

static int x_msgctl(int id, int cmd, struct msqid_ds *b)
{
	return use_umq ? umq_msgctl(id, cmd, b) :
			 (int)syscall(SYS_msgctl, id, cmd, b);
}

static mqd_t x_mq_open(const char *n, int fl, mode_t m, struct mq_attr *a)
{
	return use_umq ? umq_mq_open(n, fl, m, a) : mq_open(n, fl, m, a);
}

static int x_mq_close(mqd_t q)
{
	return use_umq ? umq_mq_close(q) : mq_close(q);
}

static void die(const char *op, const char *arg)
{
	fprintf(stderr, "qops: %s %s: %s\n", op, arg, strerror(errno));
	exit(1);
}

static long num(const char *s)
{
	return strtol(s, NULL, 0);
}

static void need(int argc, int i, int n, const char *op)
{
	if (i + n >= argc) {
		fprintf(stderr, "qops: %s needs %d arguments\n", op, n);
		exit(2);
	}
}

static void stats(const char *q)
{
	struct umq_qstats st;

	memset(&st, 0xa5, sizeof(st));
	if (q[0] == '/' ? umq_mq_stats(q, &st) : umq_msg_stats((int)num(q), &st))
		die("stats", q);
	for (size_t i = 0; i < sizeof(st.reserved) / sizeof(st.reserved[0]); i++)
		if (st.reserved[i]) {
			fprintf(stderr, "qops: stats: reserved not zeroed\n");
			exit(1);
		}
	printf("kind=%d messages=%llu bytes=%llu sent=%llu received=%llu "
	       "handoffs=%llu full=%llu empty=%llu hw_messages=%llu "
	       "hw_bytes=%llu max_messages=%llu max_bytes=%llu "
	       "blocked_senders=%u blocked_receivers=%u lspid=%d lrpid=%d "
	       "stime=%d rtime=%d",
	       st.kind, st.messages, st.bytes, st.sent, st.received,
	       st.handoffs, st.refused_full, st.refused_empty,
	       st.messages_high_water, st.bytes_high_water, st.max_messages,
	       st.max_bytes, st.blocked_senders, st.blocked_receivers,
	       (int)st.lspid, (int)st.lrpid, st.stime > 0, st.rtime > 0);
	printf(" s=");
	for (unsigned i = 0; i < st.blocked_senders && i < UMQ_STATS_PIDS; i++)
		printf("%s%d", i ? "," : "", (int)st.sender_pids[i]);
	printf(" r=");
	for (unsigned i = 0; i < st.blocked_receivers && i < UMQ_STATS_PIDS;
	     i++)
		printf("%s%d", i ? "," : "", (int)st.receiver_pids[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	static char buf[65536 + sizeof(long)];
	int i = 1;

	if (argc > 1 && !strcmp(argv[1], "-u")) {
		use_umq = 1;
		i++;
	}
	if (use_umq && umq_ns_use(NULL))
		die("umq_ns_use", "");
	for (; i < argc; i++) {
		const char *op = argv[i];
		struct msqid_ds ds;
		struct mq_attr at;
		mqd_t q;

		if (!strcmp(op, "get")) {
			need(argc, i, 2, op);
			if (x_msgget((key_t)num(argv[i + 1]),
				     IPC_CREAT | (int)num(argv[i + 2])) < 0)
				die(op, argv[i + 1]);
			i += 2;
		} else if (!strcmp(op, "snd")) {
			need(argc, i, 3, op);
			long n = num(argv[i + 3]);
			*(long *)buf = num(argv[i + 2]);
			memset(buf + sizeof(long), 'x', (size_t)n);
			if (x_msgsnd((int)num(argv[i + 1]), buf, (size_t)n,
				     IPC_NOWAIT))
				die(op, argv[i + 1]);
			i += 3;
		} else if (!strcmp(op, "rcv")) {
			need(argc, i, 2, op);
			if (x_msgrcv((int)num(argv[i + 1]), buf, 65536,
				     num(argv[i + 2]),
				     IPC_NOWAIT | MSG_NOERROR) < 0)
				die(op, argv[i + 1]);
			i += 2;
		} else if (!strcmp(op, "set")) {
			need(argc, i, 5, op);
			int id = (int)num(argv[i + 1]);
			if (x_msgctl(id, IPC_STAT, &ds))
				die(op, argv[i + 1]);
			if (num(argv[i + 2]) >= 0)
				ds.msg_perm.uid = (uid_t)num(argv[i + 2]);
			if (num(argv[i + 3]) >= 0)
				ds.msg_perm.gid = (gid_t)num(argv[i + 3]);
			if (num(argv[i + 4]) >= 0)
				ds.msg_perm.mode = (unsigned short)num(argv[i + 4]);
			if (num(argv[i + 5]) >= 0)
				ds.msg_qbytes = (msglen_t)num(argv[i + 5]);
			if (x_msgctl(id, IPC_SET, &ds))
				die(op, argv[i + 1]);
			i += 5;
		} else if (!strcmp(op, "rm")) {
			need(argc, i, 1, op);
			if (x_msgctl((int)num(argv[i + 1]), IPC_RMID, NULL))
				die(op, argv[i + 1]);
			i += 1;
		} else if (!strcmp(op, "mq")) {
			need(argc, i, 4, op);
			at = (struct mq_attr){ .mq_maxmsg = num(argv[i + 3]),
					       .mq_msgsize = num(argv[i + 4]) };
			q = x_mq_open(argv[i + 1], O_RDWR | O_CREAT,
				      (mode_t)num(argv[i + 2]),
				      at.mq_maxmsg ? &at : NULL);
			if (q < 0)
				die(op, argv[i + 1]);
			x_mq_close(q);
			i += 4;
		} else if (!strcmp(op, "mqsnd") || !strcmp(op, "mqrcv")) {
			int snd = op[2] == 's';
			need(argc, i, snd ? 3 : 1, op);
			q = x_mq_open(argv[i + 1], O_RDWR | O_NONBLOCK, 0, NULL);
			if (q < 0)
				die(op, argv[i + 1]);
			if (snd) {
				long n = num(argv[i + 3]);
				memset(buf, 'x', (size_t)n);
				if ((use_umq ? umq_mq_send(q, buf, (size_t)n,
						(unsigned)num(argv[i + 2])) :
				     mq_send(q, buf, (size_t)n,
					     (unsigned)num(argv[i + 2]))))
					die(op, argv[i + 1]);
			} else if ((use_umq ? umq_mq_receive(q, buf,
							     sizeof(buf), NULL) :
				    mq_receive(q, buf, sizeof(buf), NULL)) < 0) {
				die(op, argv[i + 1]);
			}
			x_mq_close(q);
			i += snd ? 3 : 1;
		} else if (!strcmp(op, "mqattr")) {
			need(argc, i, 1, op);
			q = x_mq_open(argv[i + 1], O_RDONLY, 0, NULL);
			if (q < 0 || (use_umq ? umq_mq_getattr(q, &at) :
				      mq_getattr(q, &at)))
				die(op, argv[i + 1]);
			printf("%ld %ld %ld\n", at.mq_maxmsg, at.mq_msgsize,
			       at.mq_curmsgs);
			x_mq_close(q);
			i += 1;
		} else if (!strcmp(op, "notify")) {
			need(argc, i, 3, op);
			struct sigevent sev = {
				.sigev_notify = (int)num(argv[i + 2]),
				.sigev_signo = (int)num(argv[i + 3]),
			};
			q = x_mq_open(argv[i + 1], O_RDONLY, 0, NULL);
			if (q < 0 || (use_umq ? umq_mq_notify(q, &sev) :
				      mq_notify(q, &sev)))
				die(op, argv[i + 1]);
			i += 3;		/* q stays open: the registration too */
		} else if (!strcmp(op, "run")) {
			need(argc, i, 1, op);
			fflush(NULL);
			if (system(argv[i + 1]) == -1)
				die(op, argv[i + 1]);
			i += 1;
		} else if (!strcmp(op, "stats")) {
			need(argc, i, 1, op);
			stats(argv[i + 1]);
			i += 1;
		} else if (!strcmp(op, "umask")) {
			need(argc, i, 1, op);
			umask((mode_t)num(argv[i + 1]));
			i += 1;
		} else {
			fprintf(stderr, "qops: unknown op %s\n", op);
			return 2;
		}
	}
	return 0;
}
