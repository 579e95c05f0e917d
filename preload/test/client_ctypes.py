# SPDX-License-Identifier: MIT
# client_ctypes.py HANDLE - a Python program calling mq_open, mq_send,
# mq_receive... from C through ctypes, with the library handle such
# programs use: "global" (ctypes.CDLL(None): the process's symbols, as a
# C program's own calls resolve), "libc" (ctypes.CDLL("libc.so.6")) or
# "librt" (ctypes.util.find_library("rt")).  preload/test/clients.sh
# compares the output on the kernel and on umq.
import ctypes
import ctypes.util
import errno
import os
import sys

from ctypes import POINTER, byref, c_char_p, c_int, c_long, c_size_t, c_uint


class MqAttr(ctypes.Structure):
    _fields_ = [("mq_flags", c_long), ("mq_maxmsg", c_long),
                ("mq_msgsize", c_long), ("mq_curmsgs", c_long),
                ("reserved", c_long * 4)]


def load(which):
    if which == "global":
        return ctypes.CDLL(None, use_errno=True)
    if which == "libc":
        return ctypes.CDLL("libc.so.6", use_errno=True)
    if which == "librt":
        return ctypes.CDLL(ctypes.util.find_library("rt"), use_errno=True)
    raise SystemExit(f"unknown handle {which}")


def main():
    sys.stdout.reconfigure(line_buffering=True)
    lib = load(sys.argv[1])
    mq_open = lib.mq_open
    mq_open.restype = c_int
    mq_open.argtypes = [c_char_p, c_int, c_uint, POINTER(MqAttr)]
    mq_send = lib.mq_send
    mq_send.restype = c_int
    mq_send.argtypes = [c_int, c_char_p, c_size_t, c_uint]
    mq_receive = lib.mq_receive
    mq_receive.restype = ctypes.c_ssize_t
    mq_receive.argtypes = [c_int, c_char_p, c_size_t, POINTER(c_uint)]
    mq_getattr = lib.mq_getattr
    mq_getattr.argtypes = [c_int, POINTER(MqAttr)]
    mq_close = lib.mq_close
    mq_close.argtypes = [c_int]
    mq_unlink = lib.mq_unlink
    mq_unlink.argtypes = [c_char_p]

    def call(what, r):
        e = ctypes.get_errno()
        if r == -1:
            print(f"{what} = -1 {errno.errorcode.get(e, e)}")
        else:
            print(f"{what} = {'ok' if what.startswith('mq_open') else r}")
        ctypes.set_errno(0)
        return r

    attr = MqAttr(0, 4, 64, 0)
    q = call("mq_open create", mq_open(b"/ctypes", os.O_RDWR | os.O_CREAT |
                                       os.O_EXCL | os.O_NONBLOCK, 0o600,
                                       byref(attr)))
    call("mq_open exclusive again", mq_open(b"/ctypes", os.O_RDWR |
                                            os.O_CREAT | os.O_EXCL, 0o600,
                                            None))
    call("mq_open missing", mq_open(b"/ctypes-none", os.O_RDONLY, 0, None))
    for text, prio in ((b"low", 1), (b"high", 9), (b"mid", 5), (b"high2", 9)):
        call(f"mq_send {text.decode()} {prio}", mq_send(q, text, len(text),
                                                        prio))
    call("mq_send too long", mq_send(q, b"x" * 65, 65, 0))
    a = MqAttr()
    call("mq_getattr", mq_getattr(q, byref(a)))
    print(f"  flags={a.mq_flags:#x} maxmsg={a.mq_maxmsg} "
          f"msgsize={a.mq_msgsize} curmsgs={a.mq_curmsgs}")
    call("mq_send to a full queue", mq_send(q, b"x", 1, 0))
    buf = ctypes.create_string_buffer(64)
    prio = c_uint()
    for _ in range(5):
        n = call("mq_receive", mq_receive(q, buf, 64, byref(prio)))
        if n >= 0:
            print(f"  {buf.raw[:n]!r} prio {prio.value}")
    call("mq_receive, small buffer", mq_receive(q, buf, 10, None))
    call("mq_close", mq_close(q))
    call("mq_close again", mq_close(q))
    call("mq_unlink", mq_unlink(b"/ctypes"))
    call("mq_unlink again", mq_unlink(b"/ctypes"))


main()
