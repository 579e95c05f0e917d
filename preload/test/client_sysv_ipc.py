# SPDX-License-Identifier: MIT
# client_sysv_ipc.py - a Python program using sysv_ipc (Debian's
# python3-sysv-ipc), as users write them: it prints what it sees, and
# preload/test/clients.sh compares that on the kernel and on umq.
# Pids and times are masked; the key of IPC_PRIVATE-like queues is random.
import os
import sys
import time

import sysv_ipc as S

T0 = int(time.time())
PIDS = {os.getpid(): "self", 0: "0"}


def when(t):
    return "0" if t == 0 else "recent" if T0 - 1 <= t <= time.time() + 1 else "odd"


def show(tag, q):
    print(f"{tag}: id={q.id} mode={q.mode:#o} messages={q.current_messages} "
          f"max_size={q.max_size} uid={q.uid} gid={q.gid} cuid={q.cuid} "
          f"cgid={q.cgid} send_pid={PIDS.get(q.last_send_pid, '?')} "
          f"receive_pid={PIDS.get(q.last_receive_pid, '?')} "
          f"times={when(q.last_send_time)},{when(q.last_receive_time)},"
          f"{when(q.last_change_time)}")


def attempt(what, fn):
    try:
        print(f"{what}: {fn()!r}")
    except (S.Error, OSError) as e:
        print(f"{what}: {type(e).__name__}: {e}")


def main():
    sys.stdout.reconfigure(line_buffering=True)
    q = S.MessageQueue(0x5959, S.IPC_CREX, mode=0o600)
    print(f"key={q.key:#x}")
    show("new", q)
    q.send(b"one", type=3)
    q.send("two", type=1)
    q.send(b"", type=2)
    q.send(b"x" * 100, type=5)
    show("four sent", q)
    attempt("receive type 1", lambda: q.receive(type=1))
    attempt("receive any", lambda: q.receive())
    attempt("receive type <= 2", lambda: q.receive(type=-2))
    attempt("receive type 4", lambda: q.receive(block=False, type=4))
    attempt("receive any", lambda: q.receive())
    attempt("receive, empty", lambda: q.receive(block=False))
    show("drained", q)

    q.max_size = 10
    q.send(b"0123456789")
    attempt("send to a full queue", lambda: q.send(b"x", block=False))
    attempt("receive", lambda: q.receive())
    attempt("send too much", lambda: q.send(b"y" * 11, block=False))
    q.mode = 0o640
    show("set", q)
    attempt("IPC_CREX again", lambda: S.MessageQueue(0x5959, S.IPC_CREX))
    attempt("open by key", lambda: S.MessageQueue(0x5959).id)
    attempt("open a missing key", lambda: S.MessageQueue(0x595a).id)

    # A blocked receive, woken by another process.
    pid = os.fork()
    if pid == 0:
        time.sleep(0.2)
        q.send(b"wake", type=7)
        os._exit(0)
    PIDS[pid] = "child"
    attempt("blocking receive", lambda: q.receive())
    os.waitpid(pid, 0)
    show("after the child", q)

    # A privilege drop: nobody has no access to a 0640 root queue.
    os.seteuid(65534)
    attempt("send as nobody", lambda: q.send(b"n", block=False))
    attempt("receive as nobody", lambda: q.receive(block=False))
    attempt("remove as nobody", lambda: q.remove())
    os.seteuid(0)

    p = S.MessageQueue(None, S.IPC_CREX)
    print(f"random key in range: {S.KEY_MIN <= p.key <= S.KEY_MAX}")
    S.remove_message_queue(p.id)
    attempt("remove it again", lambda: S.remove_message_queue(p.id))
    q.remove()
    attempt("send after removal", lambda: q.send(b"z"))
    attempt("open after removal", lambda: S.MessageQueue(0x5959).id)


main()
