/* SPDX-License-Identifier: MIT */
/*
 * pl_clients.c - programs this project did not build, run under the
 * preload, reach umq: Debian's python3 (the sysv_ipc module, and ctypes
 * calls of libc's mq_* functions), perl's core IPC::SysV and IPC::Msg,
 * util-linux's ipcmk and ipcrm - and plain.c, built against the system's
 * headers alone, whose whole output must match the kernel's.
 *
 * Each case checks that what the program made is in umq (the case's
 * namespace, seen through this program's own copy) and not in the
 * kernel's IPC namespace of the case.  util-linux's ipcs reads
 * /proc/sysvipc, which the preload cannot reach: it shows the kernel's
 * queues, not umq's, and the case checks exactly that.
 */
#include "pt.h"

#include <fcntl.h>
#include <mqueue.h>
#include <sys/msg.h>

#include "umq.h"

#define PY "/usr/bin/python3"
#define PERL "/usr/bin/perl"

/* The kernel's IPC namespace of the case holds no System V queue. */
static void kernel_has_no_queue(void)
{
	struct msginfo info;

	T_ASSERT(K(msgctl)(0, MSG_INFO, (struct msqid_ds *)&info) >= 0);
	T_EQ(info.msgpool, 0);	/* MSG_INFO: queues in use */
}

/* The case needs a private IPC namespace (the kernel's queues must stay
 * empty) and the interpreter prog. */
static void need(const char *prog)
{
	if (!t_kernel_ns())
		t_skip("no private IPC namespace");
	if (!pt_have(prog))
		t_skip("no %s", prog);
}

T_CASE(plain_program_matches_kernel)
{
	char k[8192], u[8192];
	char *argv[] = { PT_PLAIN, NULL };
	int st;

	if (!t_kernel_ns())
		t_skip("no private IPC namespace to compare with");
	if ((st = pt_run(false, argv, k, sizeof(k))))
		T_FAIL("on the kernel: status %d:\n%s", st, k);
	if ((st = pt_run(true, argv, u, sizeof(u))))
		T_FAIL("under the preload: status %d:\n%s", st, u);
	if (strcmp(k, u))
		T_FAIL("outputs differ\n--- kernel:\n%s--- umq:\n%s", k, u);
}

T_CASE(plain_program_reaches_umq)
{
	char out[4096], text[8192];
	char *argv[] = { PT_PLAIN, "keep", NULL };
	struct { long type; char text[4]; } m;
	unsigned prio;
	int id, st;
	mqd_t q;

	if (!t_kernel_ns())
		t_skip("no private IPC namespace");
	if ((st = pt_run(true, argv, out, sizeof(out))))
		T_FAIL("plain keep: status %d: %s", st, out);
	id = T_OK(umq_msgget(0x77, 0));
	T_EQ(umq_msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT), 2);
	T_EQ(m.type, 3);
	q = T_OK(umq_mq_open("/kept", O_RDONLY));
	T_EQ(umq_mq_receive(q, text, sizeof(text), &prio), 4);
	T_ASSERT(!memcmp(text, "kept", 4));
	kernel_has_no_queue();
	T_ERR(K(mq_open)("/kept", O_RDONLY), ENOENT);
}

T_CASE(python_sysv_ipc)
{
	char out[4096];
	char *argv[] = { PY, "-c",
		"import sys\n"
		"try:\n"
		"    import sysv_ipc\n"
		"except ImportError:\n"
		"    sys.exit(77)\n"
		"q = sysv_ipc.MessageQueue(0x99, sysv_ipc.IPC_CREX, 0o600)\n"
		"q.send(b'from python', type=9)\n"
		"q.send(b'second', type=2)\n"
		"print(q.current_messages, q.receive(type=2))\n",
		NULL };
	struct { long type; char text[32]; } m;
	int st, id;

	need(PY);
	st = pt_run(true, argv, out, sizeof(out));
	if (st == 77)
		t_skip("python3-sysv-ipc not installed");
	if (st)
		T_FAIL("python: status %d: %s", st, out);
	T_ASSERT(strstr(out, "2 (b'second', 2)"));
	id = T_OK(umq_msgget(0x99, 0));
	T_EQ(umq_msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT), 11);
	T_EQ(m.type, 9);
	kernel_has_no_queue();
}

/* ctypes on the process's own symbols (CDLL(None)): the preload's. */
T_CASE(python_ctypes_mq)
{
	char out[4096], text[8192];
	char *argv[] = { PY, "-c",
		"import ctypes, os\n"
		"libc = ctypes.CDLL(None, use_errno=True)\n"
		"libc.mq_open.restype = ctypes.c_int\n"
		"q = libc.mq_open(b'/py', os.O_CREAT | os.O_RDWR, 0o600, None)\n"
		"assert q >= 0, ctypes.get_errno()\n"
		"assert libc.mq_send(q, b'ctypes', 6, 4) == 0\n"
		"print(os.read(q, 200).decode(), end='')\n"
		"print(repr(os.read(q, 200)))\n"
		"e = libc.mq_open(b'nope', os.O_RDWR)\n"
		"print(e, os.strerror(ctypes.get_errno()))\n"
		"os.close(q)\n",
		NULL };
	unsigned prio;
	int st;
	mqd_t q;

	need(PY);
	if ((st = pt_run(true, argv, out, sizeof(out))))
		T_FAIL("python: status %d: %s", st, out);
	if (strcmp(out, "QSIZE:6          NOTIFY:0     SIGNO:0     "
			"NOTIFY_PID:0     \nb''\n-1 Invalid argument\n"))
		T_FAIL("python printed: %s", out);
	q = T_OK(umq_mq_open("/py", O_RDONLY));
	T_EQ(umq_mq_receive(q, text, sizeof(text), &prio), 6);
	T_EQ(prio, 4);
	T_ERR(K(mq_open)("/py", O_RDONLY), ENOENT);
}

T_CASE(perl_ipc_msg)
{
	char out[4096];
	char *argv[] = { PERL, "-e",
		"use IPC::SysV qw(IPC_CREAT IPC_NOWAIT S_IRUSR S_IWUSR);\n"
		"use IPC::Msg;\n"
		"my $q = IPC::Msg->new(0x66, IPC_CREAT | S_IRUSR | S_IWUSR)\n"
		"    or die \"new: $!\";\n"
		"$q->snd(4, 'from perl') or die \"snd: $!\";\n"
		"$q->snd(5, 'again') or die \"snd: $!\";\n"
		"my $buf; $q->rcv($buf, 64, 5, IPC_NOWAIT) or die \"rcv: $!\";\n"
		"my $ds = $q->stat;\n"
		"print \"$buf \", $ds->qnum, \"\\n\";\n"
		"my $id = msgget(0x65, 0); print defined $id ? \"?\" : \"none: $!\", \"\\n\";\n",
		NULL };
	struct { long type; char text[32]; } m;
	int st, id;

	need(PERL);
	if ((st = pt_run(true, argv, out, sizeof(out))))
		T_FAIL("perl: status %d: %s", st, out);
	if (strcmp(out, "again 1\nnone: No such file or directory\n"))
		T_FAIL("perl printed: %s", out);
	id = T_OK(umq_msgget(0x66, 0));
	T_EQ(umq_msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT), 9);
	T_EQ(m.type, 4);
	kernel_has_no_queue();
}

/* ipcmk and ipcrm reach umq; ipcs reads /proc, the kernel's. */
T_CASE(util_linux)
{
	char out[4096];
	char *mk[] = { "/usr/bin/ipcmk", "-Q", "-p", "0640", NULL };
	char *rm[] = { "/usr/bin/ipcrm", "-q", NULL, NULL };
	char *ls[] = { "/usr/bin/ipcs", "-q", NULL };
	char num[16];
	struct msqid_ds ds;
	int st, id;

	if (!t_kernel_ns())
		t_skip("no private IPC namespace");
	if (!pt_have(mk[0]) || !pt_have(rm[0]) || !pt_have(ls[0]))
		t_skip("util-linux's ipcmk, ipcrm or ipcs missing");
	if ((st = pt_run(true, mk, out, sizeof(out))))
		T_FAIL("ipcmk: status %d: %s", st, out);
	if (sscanf(out, "Message queue id: %d", &id) != 1)
		T_FAIL("ipcmk printed: %s", out);
	T_OK(umq_msgctl(id, IPC_STAT, &ds));
	T_EQ(ds.msg_perm.mode & 0777, 0640);
	kernel_has_no_queue();
	/* ipcs shows the kernel's (empty) list, even under the preload. */
	if ((st = pt_run(true, ls, out, sizeof(out))))
		T_FAIL("ipcs: status %d: %s", st, out);
	T_ASSERT(strstr(out, "Message Queues"));
	T_ASSERT(!strstr(out, "640"));
	snprintf(num, sizeof(num), "%d", id);
	rm[2] = num;
	if ((st = pt_run(true, rm, out, sizeof(out))))
		T_FAIL("ipcrm: status %d: %s", st, out);
	T_ERR(umq_msgctl(id, IPC_STAT, &ds), EINVAL);
	if (!pt_run(true, rm, out, sizeof(out)))
		T_FAIL("ipcrm of a removed queue succeeded: %s", out);
	T_ASSERT(strstr(out, "invalid id"));
}

int main(int argc, char **argv)
{
	pt_reexec(argc, argv);
	return t_main(argc, argv);
}
