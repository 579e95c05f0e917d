/* SPDX-License-Identifier: MIT */
/*
 * qview.h - a queue as the library of this process sees it, through its
 * own mapping: who sleeps on its lists, and a send that dies holding its
 * lock.  Shared by the tests of blocking peeks and of repairs
 * (peekwait.c, review3.c).  Fails the case where the queue is not there.
 */
#ifndef T_QVIEW_H
#define T_QVIEW_H

#include <mqueue.h>
#include <stdint.h>

#include "internal.h"

/* System V queue id, mapped (sq_put it). */
struct sq *sv_q(int id);
/* The references on System V queue id's mapping, read from the table
 * without taking one (which would lend the queue to this thread). */
int64_t sv_refs(int id);
/* The view of POSIX descriptor d. */
struct pview *pq_of(mqd_t d);
/* Records of kind asleep (W_WAITING) on the queue's list of their kind:
 * the senders' for WK_SEND, else the receivers' (where peekers sleep). */
int sv_asleep(int id, uint32_t kind);
int mq_asleep(mqd_t d, uint32_t kind);
/* Until want records of kind sleep on the queue (up to 5 s). */
void sv_until(int id, uint32_t kind, int want);
void mq_until(mqd_t d, uint32_t kind, int want);

/* A send of one message (type 9, 6 bytes) to System V queue id, made by
 * a child that is killed holding the queue's lock, after linking it;
 * fails the case unless the child died so. */
void send_and_die(int id);

#endif
