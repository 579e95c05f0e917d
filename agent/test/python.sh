#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# python.sh - the agent with programs as users run them: Python's
# sysv_ipc under the preload (umq run), as real users.  The
# creator hands its queue to another user, who then opens it to its
# group; after each step the files admit exactly the users the mode
# does (other users are refused by the OS), with the agent running.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
B=$(cd "$top/${UMQ_BUILD:-build}" && pwd)
PY=/usr/bin/python3
CREATOR=2001 OWNER=2002 MEMBER=2004 GROUP=3000 OTHER=2005

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "skip - python_handover (needs root and setpriv to act as users)"
	exit 0
fi
if ! "$PY" -c 'import sysv_ipc' 2>/dev/null; then
	echo "skip - python_handover (Python module sysv_ipc not installed: Debian python3-sysv-ipc)"
	exit 0
fi

dir=$(mktemp -d /dev/shm/umq-agent-py.XXXXXX)
agent=
cleanup() {
	[ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
chmod 1777 "$dir"
"$B/umq" --dir "$dir" ipcs >/dev/null 2>&1	# the owner's first visit (root)
timeout 60 "$B/umq-agent" --dir "$dir" 2>/dev/null &
agent=$!
for _ in $(seq 100); do [ -S "$dir/agent" ] && break; sleep 0.05; done

# as UID GID CODE: Python code, with sysv_ipc imported, under the preload
# (umq run sets it, after the ASan runtime in a sanitized build).
export ASAN_OPTIONS=detect_leaks=0
as() {
	local uid=$1 gid=$2
	shift 2
	timeout 30 setpriv --reuid "$uid" --regid "$gid" --clear-groups \
		"$B/umq" run --dir "$dir" -- "$PY" -c "import sysv_ipc; $*"
}

# opens UID GID: 1 if that user can open the queue's store by hand.
opens() {
	setpriv --reuid "$1" --regid "$2" --clear-groups \
		sh -c 'exec 3<>"$1"' sh "$dir"/sysv/m.*[0-9a-f] 2>/dev/null &&
		echo 1 || echo 0
}

check() {	# check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then echo "ok - $1"; else
		echo "not ok - $1"; echo "#   expected $2, got $3"; fi
}

as $CREATOR $CREATOR 'q = sysv_ipc.MessageQueue(0x5151, sysv_ipc.IPC_CREX, 0o600); q.send(b"hi"); q.uid = '$OWNER
check "handed over: the new owner opens the files" 1 "$(opens $OWNER $OWNER)"
check "handed over, mode 0600: another user does not" 0 "$(opens $OTHER $OTHER)"
check "handed over, mode 0600: a member of group $GROUP does not" 0 "$(opens $MEMBER $GROUP)"
as $OWNER $OWNER 'q = sysv_ipc.MessageQueue(0x5151); q.gid = '$GROUP'; q.mode = 0o660'
check "the new owner gives group $GROUP read-write: a member opens the files" 1 "$(opens $MEMBER $GROUP)"
check "... and another user still does not" 0 "$(opens $OTHER $OTHER)"
got=$(as $MEMBER $GROUP 'q = sysv_ipc.MessageQueue(0x5151); print(q.receive()[0].decode())')
check "the member receives the creator's message" hi "$got"
