#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# top.sh - `umq top`: batch frames (-b -n 2) while a queue streams and
# another fills, checked line by line; the bridges section from status
# files; the interactive view driven in a terminal (tmux): the screen
# shows the queues, `q` quits, and the terminal is restored, also when
# top is killed with SIGTERM.
#
# Output: ok - / not ok - / skip - lines, for test/run.sh.
set -u

. "$(dirname "$0")/lib.sh"

sock=umq-top-$$
cleanup_more() {
	kill_bg
	command -v tmux >/dev/null && tmux -L "$sock" kill-server 2>/dev/null
}
fresh_ns top

cond() {	# cond DESC TEST...
	local d=$1
	shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}

# A streaming System V queue, a POSIX queue holding 3 messages with a
# receiver blocked on another, and an idle queue.
hot=$("$UMQ" ipcmk -Q | awk '{ print $4 }')
idle=$("$UMQ" ipcmk -Q | awk '{ print $4 }')
"$QOPS" -u mq /full 0644 4 16 mqsnd /full 0 5 mqsnd /full 0 5 mqsnd /full 0 5
"$QOPS" -u mq /wait 0644 4 16
"$UMQ" recv /wait --timeout 60 >/dev/null &
rpid=$!
bg+=("$rpid")
( end=$((SECONDS + 30)); while [ $SECONDS -lt $end ]; do
	"$QOPS" -u snd "$hot" 1 64 snd "$hot" 1 64 rcv "$hot" 0 rcv "$hot" 0
done ) &
bg+=("$!")
sleep 0.5

out=$(timeout 30 "$UMQ" top -b -n 2 -d 1)
rc=$?
cond "top -b -n 2: exit 0" [ "$rc" = 0 ]
cond "top -b -n 2: two frames" [ "$(grep -c '^umq top - ' <<<"$out")" = 2 ]
f2=$(awk '/^umq top - /{ n++ } n == 2' <<<"$out")
row() { awk -v k="$1" -v q="$2" '$1 == k && $2 == q' <<<"$f2"; }
col() {	# col KIND QUEUE HEADER: the cell under HEADER in that row
	local i
	i=$(awk '$1 == "KIND" { for (i = 1; i <= NF; i++) if ($i == h) print i; exit }' \
		h="$3" <<<"$f2")
	# the QUEUE of a System V row is two words: "ID KEY"
	row "$1" "$2" | awk -v i="$i" -v k="$1" '{ print $(k == "sysv" ? i + 1 : i) }'
}
cond "frame 2: header with the namespace" \
	grep -q "^umq top - [0-9:]*  $UMQ_DIR  every 1s\$" <<<"$f2"
cond "frame 2: totals: 2 System V, 2 POSIX, 1 blocked receiver" \
	grep -q '^queues: 2 System V, 2 POSIX; .*blocked: 0 senders, 1 receivers$' \
	<<<"$f2"
s=$(col sysv "$hot" SEND/s)
r=$(col sysv "$hot" RECV/s)
cond "streaming queue: send and receive rates > 0 ($s, $r)" \
	awk -v s="${s:-0}" -v r="${r:-0}" 'BEGIN { exit !(s + 0 > 0 && r + 0 > 0) }'
first=$(awk '$1 == "KIND" { getline; print $1, $2; exit }' <<<"$f2")
cond "busiest first: the streaming queue on top ($first)" [ "$first" = "sysv $hot" ]
cond "POSIX queue: 3 messages, 15 bytes, high-water 3" \
	[ "$(col posix /full MSGS) $(col posix /full BYTES) $(col posix /full HI-MSGS)" = "3 15 3" ]
cond "blocked receiver: counted, with its pid" \
	[ "$(col posix /wait WAIT-R) $(col posix /wait BLOCKED)" = "1 r:$rpid" ]
cond "idle queue: rates 0, idle '-' (never used)" \
	[ "$(col sysv "$idle" SEND/s) $(col sysv "$idle" IDLE)" = "0 -" ]
cond "no bridges directory: no bridges section" \
	eval '! grep -q "^BRIDGE" <<<"$out"'

# ---- bridges ----------------------------------------------------------
mkdir "$UMQ_DIR/bridges"
printf '%s\n' "direction out" "queue /full" "subject jobs.a" "connected 1" \
	"published_total 10" "acked_total 9" "pid 77" "lag 1" \
	"updated $(date +%s)" >"$UMQ_DIR/bridges/b1"
printf 'direction in\nqueue\n' >"$UMQ_DIR/bridges/bad"
out=$(timeout 30 "$UMQ" top -b -n 1 -d 0.5)
cond "bridges: section with the good file only" \
	[ "$(awk '$1 == "BRIDGE" { b = 1; next } b { print $1, $2, $3, $4, $5, $13, $14 }' <<<"$out")" \
	  = "b1 out /full jobs.a yes 1 77" ]
# names with terminal escapes (a POSIX name or a file may hold any byte)
"$QOPS" -u mq $'/esc\033[2Jq' 0644 1 16
printf 'direction in\nqueue /x\n' >"$UMQ_DIR/bridges/"$'b\033[2J'
out=$(timeout 30 "$UMQ" top -b -n 1 -d 0.5)
cond "escape characters in names never reach the output" \
	eval '! grep -q $'"'"'\033'"'"' <<<"$out" && grep -q "^posix /esc?\[2Jq " <<<"$out" && grep -q "^b?\[2J  *in  */x " <<<"$out"'
"$UMQ" ipcrm --posix-mqueue $'/esc\033[2Jq'
rm -f "$UMQ_DIR/bridges/"$'b\033[2J'
: >"$UMQ_DIR/bridges/bad"
rm "$UMQ_DIR/bridges/b1"
out=$(timeout 30 "$UMQ" top -b -n 1 -d 0.5)
cond "bridges: an empty directory says so" grep -q '^(no bridges)$' <<<"$out"

# ---- bad input --------------------------------------------------------
out=$("$UMQ" top -b -d 0 2>&1)
cond "top -d 0: refused, exit 1" [ "$? $out" = "1 umq top: invalid delay: '0'" ]
out=$("$UMQ" top -b -n x 2>&1)
cond "top -n x: refused, exit 1" [ "$? $out" = "1 umq top: invalid iterations: 'x'" ]

# ---- interactive, in a terminal ---------------------------------------
if ! command -v tmux >/dev/null; then
	echo "skip - top in a terminal: tmux not installed"
	exit 0
fi
# run_top NAME: top in a fresh tmux window; after it, the terminal's
# settings (stty -a) go to $tmp/NAME.stty.
run_top() {
	tmux -L "$sock" new-session -d -s "$1" -x 150 -y 40 \
		"UMQ_DIR='$UMQ_DIR' '$UMQ' top -d 0.5; echo \"rc=\$?\" >'$tmp/$1.rc'; stty -a >'$tmp/$1.stty'; sleep 60"
}
screen() { tmux -L "$sock" capture-pane -p -t "$1"; }
wait_for() {	# wait_for DESC CMD...: for at most 20 s
	local i
	shift
	for ((i = 0; i < 200; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
restored() {	# canonical mode and echo back on
	grep -qw icanon "$tmp/$1.stty" && grep -qw echo "$tmp/$1.stty" &&
		! grep -qw -- -icanon "$tmp/$1.stty" &&
		! grep -qw -- -echo "$tmp/$1.stty"
}

run_top keyq
if wait_for "the first screen" eval 'screen keyq | grep -q "^umq top - "'; then
	sc=$(screen keyq)
	cond "terminal: the screen shows the queues" \
		eval 'grep -q "^posix /full" <<<"$sc" && grep -q "^sysv  $hot " <<<"$sc"'
	tmux -L "$sock" send-keys -t keyq q
	if wait_for "top to quit" test -s "$tmp/keyq.stty"; then
		cond "terminal: q quits, exit 0" grep -qx 'rc=0' "$tmp/keyq.rc"
		cond "terminal: restored after q (icanon, echo)" restored keyq
	else
		notok "terminal: q did not quit top"
	fi
else
	notok "terminal: top showed nothing ($(screen keyq | head -3))"
fi

run_top term
if wait_for "the first screen" eval 'screen term | grep -q "^umq top - "'; then
	shell=$(tmux -L "$sock" list-panes -t term -F '#{pane_pid}')
	tpid=$(pgrep -P "$shell" -x umq)
	if [ -n "$tpid" ]; then
		kill -TERM "$tpid"
		if wait_for "top to die" test -s "$tmp/term.stty"; then
			cond "terminal: SIGTERM ends top with the signal's status" \
				grep -qx 'rc=143' "$tmp/term.rc"
			cond "terminal: restored after SIGTERM (icanon, echo)" \
				restored term
		else
			notok "terminal: top survived SIGTERM"
		fi
	else
		notok "terminal: no top process under the pane's shell"
	fi
else
	notok "terminal: top showed nothing"
fi
