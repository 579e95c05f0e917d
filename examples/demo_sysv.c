/* SPDX-License-Identifier: MIT */
/*
 * demo_sysv.c - the classic msqid_ds walkthrough, on umq or on the kernel.
 *
 * Create a queue with ftok and IPC_CREAT|IPC_EXCL, send one message,
 * receive it truncated, change the owner and msg_qbytes with IPC_SET, and
 * remove it, showing the queue's msqid_ds after every step.
 *
 * One source, two programs: built as is it calls umq_*; demo_sysv_kernel.c
 * defines DEMO_KERNEL to make the same calls on the kernel, so demo.sh can
 * show the two side by side.  Lines stay under 78 columns for that.
 *
 * Usage: demo_sysv [PATH]	(the ftok path; default: this program)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "umq.h"

#ifdef DEMO_KERNEL
#define IMPL		"the Linux kernel"
#define q_ftok		ftok
#define q_msgget	msgget
#define q_msgsnd	msgsnd
#define q_msgrcv	msgrcv
#define q_msgctl	msgctl
#else
#define IMPL		"umq"
#define q_ftok		umq_ftok
#define q_msgget	umq_msgget
#define q_msgsnd	umq_msgsnd
#define q_msgrcv	umq_msgrcv
#define q_msgctl	umq_msgctl
#endif

#define TEXT		"hello, queue"	/* 12 bytes, read into 4 */
#define RBUF		4
#define NEW_ID		8
#define RAISED		16388	/* the seed's: above msgmnb 16384 */

struct smsg {
	long mtype;	/* the seed had int: msgsnd reads a long */
	char mtext[sizeof(TEXT) - 1];
};

struct rmsg {
	long mtype;
	char mtext[RBUF];
};

static const char *when(time_t t, char *buf, size_t len)
{
	if (!t)
		return "never";
	strftime(buf, len, "%H:%M:%S", localtime(&t));
	return buf;
}

/* Print what IPC_STAT says, the fields the seed's Msg_stat shows. */
static int msg_stat(int id, const char *after)
{
	struct msqid_ds ds;
	char s[16], r[16], c[16];

	printf("-- msqid_ds after %s\n", after);
	if (q_msgctl(id, IPC_STAT, &ds) < 0) {
		printf("   IPC_STAT: %s\n", strerror(errno));
		return -1;
	}
	printf("   cbytes %lu  qnum %lu  qbytes %lu\n",
	       (unsigned long)ds.msg_cbytes, (unsigned long)ds.msg_qnum,
	       (unsigned long)ds.msg_qbytes);
	printf("   lspid %d  lrpid %d\n", (int)ds.msg_lspid,
	       (int)ds.msg_lrpid);
	printf("   stime %s  rtime %s  ctime %s\n",
	       when(ds.msg_stime, s, sizeof(s)),
	       when(ds.msg_rtime, r, sizeof(r)),
	       when(ds.msg_ctime, c, sizeof(c)));
	printf("   uid %u  gid %u  (cuid %u  cgid %u  mode %03o)\n",
	       (unsigned)ds.msg_perm.uid, (unsigned)ds.msg_perm.gid,
	       (unsigned)ds.msg_perm.cuid, (unsigned)ds.msg_perm.cgid,
	       (unsigned)ds.msg_perm.mode & 0777);
	return 0;
}

/*
 * A queue left under our key by an earlier run that died would make
 * IPC_EXCL fail.  Remove it if it looks like ours; never someone else's.
 */
static int remove_stale(key_t key)
{
	struct msqid_ds ds;
	int id = q_msgget(key, 0);

	if (id < 0 || q_msgctl(id, IPC_STAT, &ds) < 0) {
		printf("key 0x%08x exists but cannot be inspected: %s\n",
		       (unsigned)key, strerror(errno));
		return -1;
	}
	if (ds.msg_perm.cuid != geteuid() ||
	    (ds.msg_perm.mode & 0777) != 0666) {
		printf("key 0x%08x is taken by another queue (id %d, cuid %u);"
		       "\nnot touching it: pass another path\n",
		       (unsigned)key, id, (unsigned)ds.msg_perm.cuid);
		return -1;
	}
	printf("removing queue %d left under this key by an earlier run\n",
	       id);
	return q_msgctl(id, IPC_RMID, NULL);
}

static int create(const char *path)
{
	key_t key = q_ftok(path, 'a');
	int id;

	if (key == (key_t)-1) {
		printf("ftok(%s): %s\n", path, strerror(errno));
		return -1;
	}
	printf("ftok(\"%s\", 'a') = 0x%08x\n", path, (unsigned)key);
	id = q_msgget(key, IPC_CREAT | IPC_EXCL | 0666);
	if (id < 0 && errno == EEXIST && remove_stale(key) == 0)
		id = q_msgget(key, IPC_CREAT | IPC_EXCL | 0666);
	if (id < 0)
		printf("msgget(IPC_CREAT|IPC_EXCL|0666): %s\n",
		       strerror(errno));
	else
		printf("msgget(IPC_CREAT|IPC_EXCL|0666) = %d\n", id);
	return id;
}

static int send_one(int id)
{
	struct smsg m = { .mtype = 10 };

	memcpy(m.mtext, TEXT, sizeof(m.mtext));
	if (q_msgsnd(id, &m, sizeof(m.mtext), IPC_NOWAIT) < 0) {
		printf("msgsnd(type 10, %zu bytes): %s\n", sizeof(m.mtext),
		       strerror(errno));
		return -1;
	}
	printf("msgsnd(type 10, \"%s\", %zu bytes, IPC_NOWAIT) = 0\n", TEXT,
	       sizeof(m.mtext));
	return 0;
}

/* First without MSG_NOERROR (E2BIG, the message stays), then with it. */
static int receive_truncated(int id)
{
	struct rmsg m;
	ssize_t n;

	n = q_msgrcv(id, &m, RBUF, 10, IPC_NOWAIT);
	if (n >= 0 || errno != E2BIG) {
		printf("msgrcv(%d bytes, IPC_NOWAIT): expected E2BIG, got %s\n",
		       RBUF, n >= 0 ? "a message" : strerror(errno));
		return -1;
	}
	printf("msgrcv(%d bytes, IPC_NOWAIT) = -1 E2BIG (message kept)\n",
	       RBUF);
	n = q_msgrcv(id, &m, RBUF, 10, IPC_NOWAIT | MSG_NOERROR);
	if (n < 0) {
		printf("msgrcv(%d bytes, IPC_NOWAIT|MSG_NOERROR): %s\n", RBUF,
		       strerror(errno));
		return -1;
	}
	printf("msgrcv(%d bytes, IPC_NOWAIT|MSG_NOERROR) = %zd: \"%.*s\"\n",
	       RBUF, n, (int)n, m.mtext);
	return 0;
}

/* IPC_SET from what IPC_STAT returned: the seed passed garbage. */
static int set_owner_qbytes(int id, unsigned long qbytes)
{
	struct msqid_ds ds;

	if (q_msgctl(id, IPC_STAT, &ds) < 0) {
		printf("IPC_STAT: %s\n", strerror(errno));
		return -1;
	}
	printf("IPC_SET uid %d gid %d qbytes %lu (was %lu): ", NEW_ID, NEW_ID,
	       qbytes, (unsigned long)ds.msg_qbytes);
	ds.msg_perm.uid = NEW_ID;
	ds.msg_perm.gid = NEW_ID;
	ds.msg_qbytes = qbytes;
	if (q_msgctl(id, IPC_SET, &ds) == 0) {
		printf("ok\n");
		return 0;
	}
	printf("%s\n", strerror(errno));
	return errno == EPERM ? 1 : -1;
}

static int old_qbytes(int id)
{
	struct msqid_ds ds;

	if (q_msgctl(id, IPC_STAT, &ds) < 0)
		return -1;
	return (int)ds.msg_qbytes;
}

static int change(int id)
{
	int qb = old_qbytes(id);
	int rc;

	if (qb < 0)
		return -1;
	rc = set_owner_qbytes(id, RAISED);
	if (rc < 0 || (rc > 0 && qb >= RAISED))
		return -1;
	if (rc > 0)
		printf("   (refused, changing nothing: raising msg_qbytes above"
		       "\n    msgmnb needs CAP_SYS_RESOURCE)\n");
	msg_stat(id, "IPC_SET raising qbytes");
	if (set_owner_qbytes(id, qb / 2))
		return -1;
	return msg_stat(id, "IPC_SET lowering qbytes");
}

static int destroy(int id)
{
	struct msqid_ds ds;

	if (q_msgctl(id, IPC_RMID, NULL) < 0) {
		printf("IPC_RMID: %s\n", strerror(errno));
		return -1;
	}
	printf("msgctl(IPC_RMID) = 0\n");
	if (q_msgctl(id, IPC_STAT, &ds) == 0) {
		printf("IPC_STAT after IPC_RMID: expected EINVAL, got 0\n");
		return -1;
	}
	printf("msgctl(IPC_STAT) now = -1 %s\n",
	       errno == EINVAL ? "EINVAL" : strerror(errno));
	return errno == EINVAL ? 0 : -1;
}

static int header(void)
{
#ifdef DEMO_KERNEL
	printf("== System V demo on %s\n   the host's IPC namespace\n",
	       IMPL);
#else
	if (umq_ns_use(NULL) < 0) {
		printf("umq_ns_use: %s\n", strerror(errno));
		return -1;
	}
	printf("== System V demo on %s\n   namespace %s\n", IMPL,
	       umq_ns_path());
#endif
	printf("   pid %d, euid %u\n", (int)getpid(), (unsigned)geteuid());
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : argv[0];
	int id, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (header() < 0)
		return 1;
	id = create(path);
	if (id < 0)
		return 1;
	msg_stat(id, "msgget");
	rc = send_one(id);
	if (!rc)
		msg_stat(id, "msgsnd");
	if (!rc)
		rc = receive_truncated(id);
	if (!rc)
		msg_stat(id, "msgrcv");
	if (!rc)
		rc = change(id);
	/* remove the queue whatever failed before */
	if (destroy(id) < 0)
		rc = -1;
	printf("== %s\n", rc ? "FAILED" : "done");
	return rc ? 1 : 0;
}
