/* SPDX-License-Identifier: MIT */
/*
 * msg.c - System V message queues: libc's msgget, msgsnd, msgrcv and
 * msgctl (GLIBC_2.2.5, their only version on x86_64) go to umq.
 */
#include <sys/msg.h>

#include "preload.h"

UMQ_EXPORT int msgget(key_t key, int msgflg)
{
	return umq_msgget(key, msgflg);
}

UMQ_EXPORT int msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg)
{
	return umq_msgsnd(msqid, msgp, msgsz, msgflg);
}

UMQ_EXPORT ssize_t msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp,
			  int msgflg)
{
	return umq_msgrcv(msqid, msgp, msgsz, msgtyp,
				     msgflg);
}

UMQ_EXPORT int msgctl(int msqid, int cmd, struct msqid_ds *buf)
{
	return umq_msgctl(msqid, cmd, buf);
}
