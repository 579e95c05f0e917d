/* SPDX-License-Identifier: MIT */
/*
 * peeked.c - umq_msgrcv_peeked and umq_mq_receive_peeked: take exactly
 * the message a peek saw, whatever was sent meanwhile (what the bridge
 * needs to forward a message and then remove that very one).
 */
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <string.h>
#include <sys/msg.h>

#include "t.h"
#include "umq.h"

struct m {
	long type;
	char text[8];
};

static void snd(int id, long type, const char *text)
{
	struct m m = { type, "" };

	strcpy(m.text, text);
	T_OK(umq_msgsnd(id, &m, strlen(text) + 1, IPC_NOWAIT));
}

static struct umq_peek_msg peek_sysv(int id, long type, int flg)
{
	struct umq_peek_msg pm = { 0 };

	T_EQ(umq_msgpeek(id, type, flg, 0, &pm, 1), 1);
	return pm;
}

T_CASE(sysv_takes_the_message_seen)
{
	int id = (int)T_OK(umq_msgget(IPC_PRIVATE, 0600));
	struct umq_peek_msg a, b;
	struct m m;

	snd(id, 2, "a");
	snd(id, 3, "b");
	a = peek_sysv(id, 0, 0);
	T_EQ(a.type, 2);
	snd(id, 1, "c");		/* sent meanwhile, of another type */
	snd(id, 2, "d");		/* and of the same type, behind it */
	T_EQ(umq_msgrcv_peeked(id, &m, sizeof(m.text), 0, &a), 2);
	T_ASSERT(!strcmp(m.text, "a"));
	T_EQ(m.type, 2);
	/* Taken: the same description now names nothing. */
	T_ERR(umq_msgrcv_peeked(id, &m, sizeof(m.text), 0, &a), ENOMSG);
	/* Someone else took the one seen: ENOMSG, nothing else taken. */
	b = peek_sysv(id, 3, 0);
	T_EQ(umq_msgrcv(id, &m, sizeof(m.text), 3, IPC_NOWAIT), 2);
	T_ERR(umq_msgrcv_peeked(id, &m, sizeof(m.text), 0, &b), ENOMSG);
	struct msqid_ds ds;
	T_OK(umq_msgctl(id, IPC_STAT, &ds));
	T_EQ(ds.msg_qnum, 2);
	/* Too small a buffer: E2BIG and it stays, unless MSG_NOERROR. */
	a = peek_sysv(id, 2, 0);
	T_ERR(umq_msgrcv_peeked(id, &m, 1, 0, &a), E2BIG);
	T_EQ(umq_msgrcv_peeked(id, &m, 1, MSG_NOERROR, &a), 1);
	T_EQ(m.text[0], 'd');
	/* Bad input. */
	T_ERR(umq_msgrcv_peeked(id, &m, 8, MSG_EXCEPT, &a), EINVAL);
	T_ERR(umq_msgrcv_peeked(id, &m, 8, 0, NULL), EFAULT);
	a.type = 0;
	T_ERR(umq_msgrcv_peeked(id, &m, 8, 0, &a), EINVAL);
	T_OK(umq_msgctl(id, IPC_RMID, NULL));
	T_ERR(umq_msgrcv_peeked(id, &m, 8, 0, &b), EINVAL);
}

T_CASE(posix_takes_the_message_seen)
{
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 8 };
	struct umq_peek_msg x = { 0 };
	char buf[8];
	unsigned prio;
	mqd_t q = (mqd_t)T_OK(umq_mq_open("/peeked", O_CREAT | O_RDWR, 0600,
					  &attr));

	T_ERR(umq_mq_receive_peeked(q, buf, sizeof(buf), &prio, &x), ENOMSG);
	T_OK(umq_mq_send(q, "x", 2, 1));
	T_EQ(umq_mq_peek(q, 0, &x, 1), 1);
	T_EQ(x.type, 1);
	/* A higher priority overtakes it: a receive would take that one;
	 * the peeked receive takes the one seen. */
	T_OK(umq_mq_send(q, "y", 2, 5));
	T_EQ(umq_mq_receive_peeked(q, buf, sizeof(buf), &prio, &x), 2);
	T_ASSERT(!strcmp(buf, "x"));
	T_EQ(prio, 1);
	T_ERR(umq_mq_receive_peeked(q, buf, sizeof(buf), &prio, &x), ENOMSG);
	T_EQ(umq_mq_receive(q, buf, sizeof(buf), &prio), 2);
	T_EQ(prio, 5);
	/* As mq_receive: a buffer smaller than mq_msgsize. */
	T_OK(umq_mq_send(q, "z", 2, 0));
	T_EQ(umq_mq_peek(q, 0, &x, 1), 1);
	T_ERR(umq_mq_receive_peeked(q, buf, 4, &prio, &x), EMSGSIZE);
	x.type = MQ_PRIO_MAX;
	T_ERR(umq_mq_receive_peeked(q, buf, sizeof(buf), &prio, &x), EINVAL);
	T_ERR(umq_mq_receive_peeked(q, buf, sizeof(buf), &prio, NULL),
	      EFAULT);
	umq_mq_close(q);
	T_OK(umq_mq_unlink("/peeked"));
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
