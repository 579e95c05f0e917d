# SPDX-License-Identifier: MIT
# client_stopped_sender.py - a busy Python sender stopped (SIGSTOP) at
# random instants while other processes keep calling with block=False:
# none of their calls may wait for the stopped one (DESIGN §3, "A call's
# bound").  preload/test/clients.sh compares what it prints on the kernel
# and on umq: "stalled 0 of 40" on both.
import os
import signal
import time

import sysv_ipc as S

ROUNDS = 40
q = S.MessageQueue(None, S.IPC_CREX, 0o600)


def pair(mtype):
    try:
        q.send(b"m", block=False, type=mtype)
    except S.BusyError:
        pass
    try:
        q.receive(block=False, type=mtype)
    except S.BusyError:
        pass


busy = os.fork()
if busy == 0:
    signal.alarm(120)
    while True:
        pair(1)
stalled = 0
try:
    for r in range(ROUNDS):
        time.sleep(0.005 + (r % 7) / 1000)
        os.kill(busy, signal.SIGSTOP)
        while open(f"/proc/{busy}/stat").read().rsplit(")", 1)[1][1] != "T":
            time.sleep(0.001)
        fresh = os.fork()
        if fresh == 0:
            signal.alarm(2)	# a call that waited on: killed, counted
            for _ in range(100):
                pair(2)
            os._exit(0)
        if os.waitpid(fresh, 0)[1]:
            stalled += 1
        os.kill(busy, signal.SIGCONT)
finally:
    os.kill(busy, signal.SIGKILL)
    os.waitpid(busy, 0)
    q.remove()
print(f"stalled {stalled} of {ROUNDS}")
