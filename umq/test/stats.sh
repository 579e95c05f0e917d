#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# stats.sh - the counters of a queue (umq_msg_stats, umq_mq_stats), read
# from another process after known sequences of operations, each made by
# a process of its own: sends, receives, hand-offs to a blocked receiver,
# refusals of a full and of an empty queue, high-water marks, blocked
# senders and receivers with their pids, a POSIX sender completed by a
# receive; the errors of the calls; nothing in reserved.
#
# Output: ok - / not ok - / skip - lines, for test/run.sh.
set -u

. "$(dirname "$0")/lib.sh"

cleanup_more() { kill_bg; }
fresh_ns stats


# The chosen fields of qops' stats line, in the order asked.
st() {
	local q=$1 line f out=()
	shift
	line=$("$QOPS" -u stats "$q") || return 1
	for f in "$@"; do
		out+=("$f=$(tr ' ' '\n' <<<"$line" | sed -n "s/^$f=//p")")
	done
	echo "${out[*]}"
}

# wait_for DESC CMD...: until CMD succeeds, for at most 20 s.
wait_for() {
	local desc=$1 i
	shift
	for ((i = 0; i < 200; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	echo "# timed out waiting for $desc"
	return 1
}
blocked() {	# blocked Q FIELD N
	[ "$(st "$1" "$2")" == "$2=$3" ]
}
# blocked_pids DESC Q FIELD N KEY PIDS: once Q counts N blocked callers
# in FIELD, its KEY lists PIDS (one test either way).
blocked_pids() {
	if wait_for "$1" blocked "$2" "$3" "$4"; then
		check "$1: pids" "$5=$6" "$(st "$2" "$5")"
	else
		notok "$1: counted"
	fi
}

C="sent received handoffs full empty messages bytes hw_messages hw_bytes"

# ---- System V ---------------------------------------------------------
id=$("$UMQ" ipcmk -Q | awk '{ print $4 }')
check "new queue: every counter 0" \
	"sent=0 received=0 handoffs=0 full=0 empty=0 messages=0 bytes=0 hw_messages=0 hw_bytes=0" \
	"$(st "$id" $C)"
"$QOPS" -u snd "$id" 1 10 snd "$id" 2 20 snd "$id" 1 30
"$QOPS" -u rcv "$id" 0
"$QOPS" -u snd "$id" 3 5
"$QOPS" -u rcv "$id" 2 rcv "$id" 0
check "3 sends, 1 receive, 1 send, 2 receives: counts and high-water" \
	"sent=4 received=3 handoffs=0 full=0 empty=0 messages=1 bytes=5 hw_messages=3 hw_bytes=60" \
	"$(st "$id" $C)"
check "last sender and receiver: pids and times set" \
	"stime=1 rtime=1" "$(st "$id" stime rtime)"

# refusals: an empty queue (ENOMSG), no message of a type, a full queue
"$QOPS" -u rcv "$id" 0
"$QOPS" -u rcv "$id" 0 2>/dev/null
"$QOPS" -u rcv "$id" 7 2>/dev/null
"$QOPS" -u set "$id" -1 -1 -1 64
"$QOPS" -u snd "$id" 1 60
"$QOPS" -u snd "$id" 1 8 2>/dev/null
"$QOPS" -u snd "$id" 1 8 2>/dev/null
check "2 ENOMSG refusals, 2 EAGAIN refusals (qbytes 64)" \
	"sent=5 received=4 full=2 empty=2 messages=1 hw_messages=3 hw_bytes=60" \
	"$(st "$id" sent received full empty messages hw_messages hw_bytes)"

# a blocked sender: counted, with its pid; it completes after a receive
"$UMQ" send "$id" --timeout 20 "waiting" &
spid=$!
bg+=("$spid")
blocked_pids "a blocked sender" "$id" blocked_senders 1 s "$spid"
"$QOPS" -u rcv "$id" 0
wait "$spid"
check "the blocked sender completed after a receive" \
	"sent=6 received=5 messages=1 blocked_senders=0" \
	"$(st "$id" sent received messages blocked_senders)"
"$QOPS" -u rcv "$id" 0

# hand-offs: two receivers blocked, two sends go straight to them
"$UMQ" recv "$id" --timeout 20 >/dev/null &
r1=$!
bg+=("$r1")
wait_for "a blocked receiver" blocked "$id" blocked_receivers 1
"$UMQ" recv "$id" --timeout 20 >/dev/null &
r2=$!
bg+=("$r2")
# their pids in line order
blocked_pids "two blocked receivers" "$id" blocked_receivers 2 r "$r1,$r2"
"$QOPS" -u snd "$id" 1 4 snd "$id" 1 4
wait "$r1" "$r2"
check "2 sends to 2 blocked receivers: 2 hand-offs, nothing queued" \
	"sent=8 received=8 handoffs=2 messages=0 blocked_receivers=0" \
	"$(st "$id" sent received handoffs messages blocked_receivers)"

# a removed queue, an id never made: EINVAL; anyone may look (MSG_STAT_ANY)
id2=$("$UMQ" ipcmk -Q -p 0600 | awk '{ print $4 }')
"$QOPS" -u snd "$id2" 1 1
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	check "uid 65534 reads the counters of a 0600 queue (as MSG_STAT_ANY)" \
		"sent=1" "$(setpriv --reuid 65534 --regid 65534 --clear-groups \
			"$QOPS" -u stats "$id2" | tr ' ' '\n' | grep '^sent=')"
else
	echo "skip - stats as another user: needs root and setpriv"
fi
"$UMQ" ipcrm -q "$id2"
check "a removed queue: EINVAL" "qops: stats $id2: Invalid argument" \
	"$("$QOPS" -u stats "$id2" 2>&1)"
check "a new queue in a reused slot starts at 0" "sent=0 hw_bytes=0" \
	"$(st "$("$UMQ" ipcmk -Q | awk '{ print $4 }')" sent hw_bytes)"

# ---- POSIX ------------------------------------------------------------
"$QOPS" -u mq /pq 0644 2 16
check "new POSIX queue: every counter 0" \
	"sent=0 received=0 handoffs=0 full=0 empty=0 messages=0 bytes=0 hw_messages=0 hw_bytes=0" \
	"$(st /pq $C)"
"$QOPS" -u mqsnd /pq 1 10 mqsnd /pq 5 3
"$QOPS" -u mqsnd /pq 0 1 2>/dev/null
"$QOPS" -u mqrcv /pq mqrcv /pq
"$QOPS" -u mqrcv /pq 2>/dev/null
check "2 sends, 1 refused (full), 2 receives, 1 refused (empty)" \
	"sent=2 received=2 handoffs=0 full=1 empty=1 messages=0 bytes=0 hw_messages=2 hw_bytes=13" \
	"$(st /pq $C)"
"$UMQ" recv /pq --timeout 20 >/dev/null &
r1=$!
bg+=("$r1")
blocked_pids "a blocked POSIX receiver" /pq blocked_receivers 1 r "$r1"
"$QOPS" -u mqsnd /pq 0 7
wait "$r1"
check "a send to a blocked receiver: a hand-off" \
	"sent=3 received=3 handoffs=1 messages=0" \
	"$(st /pq sent received handoffs messages)"
# a sender blocked on a full queue: the receive that makes room inserts
# its message, and its send is counted then
"$QOPS" -u mqsnd /pq 1 1 mqsnd /pq 1 1
"$UMQ" send /pq --timeout 20 "sixteen bytes.." &
spid=$!
bg+=("$spid")
blocked_pids "a blocked POSIX sender" /pq blocked_senders 1 s "$spid"
"$QOPS" -u mqrcv /pq
wait "$spid"
check "a receive completes the blocked sender: counted as sent, high-water" \
	"sent=6 received=4 messages=2 hw_messages=2 hw_bytes=16 blocked_senders=0" \
	"$(st /pq sent received messages hw_messages hw_bytes blocked_senders)"
check "POSIX: last sender and receiver pids and times set" \
	"lspid=$spid stime=1 rtime=1" "$(st /pq lspid stime rtime)"
# MTIME: stamped by a send or receive that leaves the queue partial (its
# FIFO, the only witness before the stamps, does not change then)
"$QOPS" -u mq /mt 0644 4 16 mqsnd /mt 0 1 mqsnd /mt 0 1
mtime() {
	"$UMQ" lsipc -Q -o NAME,MTIME --time-format iso --noheadings |
		awk '$1 == "/mt" { print $2 }'
}
sleep 1.1
mt1=$(mtime)
sleep 1.1
"$QOPS" -u mqrcv /mt
mt2=$(mtime)
if [[ "$mt2" > "$mt1" ]]; then
	ok "POSIX MTIME follows a receive that leaves the queue partial"
else
	notok "POSIX MTIME follows a receive: $mt1 -> $mt2"
fi

# errors: as mq_open(O_RDONLY)
check "POSIX: no such name: ENOENT" \
	"qops: stats /nope: No such file or directory" \
	"$("$QOPS" -u stats /nope 2>&1)"
"$QOPS" -u mq /priv 0600 2 16
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	NOBODY="setpriv --reuid 65534 --regid 65534 --clear-groups"
	check "POSIX: uid 65534 on a 0600 queue: EACCES" \
		"qops: stats /priv: Permission denied" \
		"$($NOBODY "$QOPS" -u stats /priv 2>&1)"
	check "POSIX: uid 65534 on a 0644 queue: allowed" "sent=6" \
		"$($NOBODY "$QOPS" -u stats /pq | tr ' ' '\n' | grep '^sent=')"
else
	echo "skip - POSIX stats permission: needs root and setpriv"
fi
