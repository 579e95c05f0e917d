#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# clients.sh - real programs that use message queues, each run on the
# kernel and on umq with its output compared (compare.sh): Python's
# sysv_ipc, Perl's IPC::Msg, util-linux's ipcmk and ipcrm, and Python
# calling the POSIX functions through ctypes with each library handle
# programs use.  A client that is not installed is a skip, named.
. "$(dirname "$0")/compare.sh"

PY=/usr/bin/python3	# Debian's: the one that sees python3-sysv-ipc
reason=$(why_not)

# client NAME MISSING CMD...: compare, unless MISSING names what is not here.
client() {
	local name=$1 missing=$2
	shift 2
	if [ -n "$reason" ]; then
		echo "skip - $name ($reason)"
	elif [ -n "$missing" ]; then
		echo "skip - $name ($missing)"
	else
		compare "$name" "$@"
	fi
}

have_py() { [ -x "$PY" ] && "$PY" -c "${1:-pass}" 2>/dev/null; }

miss=
have_py || miss="$PY not installed (Debian package python3)"
[ -z "$miss" ] && ! have_py 'import sysv_ipc' &&
	miss="Python module sysv_ipc not installed (Debian package python3-sysv-ipc)"
client sysv_ipc "$miss" "$PY" "$TESTDIR/client_sysv_ipc.py"
client sysv_ipc_stopped_sender "$miss" "$PY" \
	"$TESTDIR/client_stopped_sender.py"

miss=
perl -MIPC::Msg -e 1 2>/dev/null || miss="perl with IPC::Msg not installed"
client perl_ipc_msg "$miss" perl "$TESTDIR/client_ipc_msg.pl"

miss=
command -v ipcmk >/dev/null && command -v ipcrm >/dev/null ||
	miss="ipcmk/ipcrm not installed (Debian package util-linux)"
client ipcmk_ipcrm "$miss" sh "$TESTDIR/client_ipcmk.sh" \
	"$B/clients/progtool_msgctl"

miss=
have_py 'import ctypes' || miss="$PY with ctypes not installed"
client ctypes_mq_global "$miss" "$PY" "$TESTDIR/client_ctypes.py" global
# Documented (README): dlsym() on a handle of libc finds libc's own
# functions, not the preload's.  Run all the same: ok the day it works.
for handle in libc librt; do
	KNOWN="dlsym on a $handle handle bypasses LD_PRELOAD" \
		client "ctypes_mq_$handle" "$miss" "$PY" \
		"$TESTDIR/client_ctypes.py" "$handle"
done
[ "$fails" -eq 0 ]
