#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# peek.sh - `umq peek`, `send`, `recv`, `purge` (and umq_msgpeek /
# umq_mq_peek_name under them) on a fresh umq namespace.
#
# peek must show exactly what a following series of receives returns, in
# order, for every selector: each message's text names its type, so the
# received texts say which message came when.  The expected orders are
# also written out, so that peek and receive cannot agree on a wrong one.
#
# Output: ok - / not ok - / skip - lines, for test/run.sh.
set -u

. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "skip - peek: needs root and setpriv (permission as uid 65534)"
	exit 0
fi

fresh_ns peek


# peek's "TYPE TEXT" pairs, one a line.
peeked() {
	"$UMQ" peek "$@" | awk 'NR > 1 { print $2, $4 }'
}

# Receive until empty; "TYPE TEXT" per message (the type from the text).
received() {
	local q=$1 t
	shift
	while t=$("$UMQ" recv "$q" --timeout 0 "$@" 2>/dev/null); do
		echo "${t#t} $t" | sed 's/^\([0-9]*\)-[^ ]* /\1 /'
	done
}

# Receive until empty: the texts, on one line.
received_texts() {
	local t out=
	while t=$("$UMQ" recv "$1" --timeout 0 2>/dev/null); do
		out+="$t "
	done
	echo "${out% }"
}

# A System V queue with the same six messages: its id.
fill() {
	local id m
	id=$("$UMQ" ipcmk -Q | awk '{ print $4 }')
	for m in 1:a 2:b 1:c 3:d 2:e 5:f; do
		"$UMQ" send "$id" --type "${m%%:*}" "t${m%%:*}-${m#*:}"
	done
	echo "$id"
}

# ---- order: peek == the receives that follow, for every selector ------
sel_case() {
	local name=$1 expect=$2 id p r
	shift 2
	id=$(fill)
	p=$(peeked "$id" "$@" | tr '\n' ' ')
	r=$(received "$id" "$@" | tr '\n' ' ')
	check "peek $name: the order receives take" "$r" "$p"
	check "peek $name: expected order" "$expect" "$p"
	"$UMQ" ipcrm -q "$id"
}
sel_case "FIFO" "1 t1-a 2 t2-b 1 t1-c 3 t3-d 2 t2-e 5 t5-f "
sel_case "type 2" "2 t2-b 2 t2-e " --type 2
sel_case "type -2" "1 t1-a 1 t1-c 2 t2-b 2 t2-e " --type -2
sel_case "type -4" "1 t1-a 1 t1-c 2 t2-b 2 t2-e 3 t3-d " --type -4
sel_case "type 1 MSG_EXCEPT" "2 t2-b 3 t3-d 2 t2-e 5 t5-f " \
	--type 1 --except
sel_case "type 9 (none)" "" --type 9

id=$(fill)
check "peek -n 2: the first two" "1 t1-a 2 t2-b " \
	"$(peeked "$id" -n 2 | tr '\n' ' ')"
check "peek --format json" \
	'{"index":0,"type":1,"size":4,"text":"t1-a"}' \
	"$("$UMQ" peek "$id" -n 1 --format json)"
check "peek --format hex" \
	"index 0, type 1, 4 bytes
  00000000  74 31 2d 61                                      |t1-a|" \
	"$("$UMQ" peek "$id" -n 1 --format hex)"

# ---- peek changes nothing ---------------------------------------------
"$UMQ" recv "$id" >/dev/null	# rtime and lrpid set
sleep 1.2			# a new stamp would show, to the second
before=$("$UMQ" cat sysvipc)
"$UMQ" peek "$id" >/dev/null
"$UMQ" peek "$id" --type -3 -f json >/dev/null
after=$("$UMQ" cat sysvipc)
check "peek: IPC_STAT unchanged (rtime, lrpid, qnum, cbytes)" \
	"$before" "$after"
"$UMQ" ipcrm -q "$id"

# ---- POSIX: priorities, then FIFO; nothing changed ---------------------
"$UMQ" ipcmk -q -n /pq >/dev/null
for m in 3:a 9:b 3:c 0:d 9:e; do
	"$UMQ" send /pq --prio "${m%%:*}" "t${m%%:*}-${m#*:}"
done
before="$($QOPS -u mqattr /pq) $("$UMQ" cat mqueue /pq)"
p=$(peeked /pq | tr '\n' ' ')
after="$($QOPS -u mqattr /pq) $("$UMQ" cat mqueue /pq)"
check "posix peek: mq_getattr and status unchanged" "$before" "$after"
check "posix peek: expected order" "9 t9-b 9 t9-e 3 t3-a 3 t3-c 0 t0-d " "$p"
check "posix peek: the order receives take" \
	"$(received /pq | tr '\n' ' ')" "$p"

# ---- permission: read needed, as msgrcv and mq_open(O_RDONLY) ----------
id=$("$UMQ" ipcmk -Q -p 0600 | awk '{ print $4 }')
"$UMQ" send "$id" secret
"$UMQ" ipcmk -q -n /priv -p 0600 >/dev/null
"$UMQ" send /priv secret
NOBODY="setpriv --reuid 65534 --regid 65534 --clear-groups"
out=$($NOBODY "$UMQ" peek "$id" 2>&1)
check "peek as uid 65534 on a 0600 queue: refused" \
	"umq peek: permission denied for id $id
rc=1" "$out
rc=$?"
out=$($NOBODY "$UMQ" peek /priv 2>&1)
check "posix peek as uid 65534 on a 0600 queue: refused" \
	"umq peek: permission denied for name \`/priv'
rc=1" "$out
rc=$?"
check "refused peeks changed nothing" "1 secret 0 secret " \
	"$(peeked "$id" | tr '\n' ' ')$(peeked /priv | tr '\n' ' ')"

# ---- send / recv: every byte value, both kinds --------------------------
all=$tmp/all
for i in $(seq 0 255); do printf "\\x$(printf %02x "$i")"; done >"$all"
"$UMQ" send "$id" --type 7 <"$all"
"$UMQ" recv "$id" --type 7 >"$tmp/got"
if cmp -s "$all" "$tmp/got" && [ "$(stat -c %s "$all")" = 256 ]; then
	ok "send/recv: 256 byte values round trip (System V)"
else
	notok "send/recv: 256 byte values round trip (System V)"
fi
"$UMQ" ipcmk -q -n /bin >/dev/null
"$UMQ" send /bin --prio 4 <"$all"
"$UMQ" recv /bin >"$tmp/got"
if cmp -s "$all" "$tmp/got"; then
	ok "send/recv: 256 byte values round trip (POSIX)"
else
	notok "send/recv: 256 byte values round trip (POSIX)"
fi
"$UMQ" send /bin --prio 4 <"$all"
check "peek --format json: binary text as hex" \
	"$(od -An -tx1 -v "$all" | tr -d ' \n')" \
	"$("$UMQ" peek /bin -f json | sed 's/.*"hex":"\([0-9a-f]*\)".*/\1/')"
# RFC 3629's edges: the first and last well-formed characters around
# overlong forms (3 and 4 bytes), surrogates and U+10FFFF are text, the
# others are hex (ten messages: the default mq_maxmsg)
"$UMQ" ipcmk -q -n /utf >/dev/null
for m in '\xe0\xa0\x80' '\xe0\x80\x80' '\xf0\x90\x80\x80' '\xf0\x80\x80\x80' \
	'\xed\x9f\xbf' '\xed\xa0\x80' '\xf4\x8f\xbf\xbf' '\xf4\x90\x80\x80' \
	'\xc3\xa9' '\xe2\x82'; do
	printf "$m" | "$UMQ" send /utf
done
check "peek --format json: text only if well-formed UTF-8" \
	"text hex text hex text hex text hex text hex" \
	"$("$UMQ" peek /utf -f json | LC_ALL=C sed 's/.*"\(text\|hex\)":.*/\1/' |
		tr '\n' ' ' | sed 's/ $//')"

# ---- timeouts -----------------------------------------------------------
id2=$("$UMQ" ipcmk -Q | awk '{ print $4 }')
for q in "$id2" /bin2; do
	[ "$q" = /bin2 ] && "$UMQ" ipcmk -q -n /bin2 >/dev/null
	t0=$(date +%s%N)
	out=$("$UMQ" recv "$q" --timeout 1 2>&1)
	rc=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	if [ $rc = 124 ] && [ $ms -ge 950 ] && [ $ms -lt 60000 ] &&
		[ "$(echo "$out" | wc -l)" = 1 ]; then
		ok "recv --timeout 1 on empty $q: exit 124 after ${ms}ms"
	else
		notok "recv --timeout 1 on empty $q: rc $rc after ${ms}ms: $out"
	fi
	out=$("$UMQ" recv "$q" --timeout 0 2>&1)
	check "recv --timeout 0 on empty $q: exit 124" \
		"umq recv: no message in queue $q
rc=124" "$out
rc=$?"
done

# ---- peek --wait: shows the queue once a message is there ---------------
for q in "$id2" /bin2; do
	out=$("$UMQ" peek "$q" --wait --timeout 0.3 2>&1)
	check "peek --wait --timeout on empty $q: exit 124" \
		"umq peek: timed out after 0.3s waiting for a message in $q
rc=124" "$out
rc=$?"
	# The sender comes half a second after the peek has begun waiting.
	(sleep 0.5; "$UMQ" send "$q" late) &
	bg+=($!)
	t0=$(date +%s%N)
	out=$("$UMQ" peek "$q" --wait --timeout 30 2>&1 | awk 'NR > 1 { print $4 }')
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ "$out" = late ] && [ $ms -ge 400 ] && [ $ms -lt 30000 ]; then
		ok "peek --wait on $q: the message sent while it waited, after ${ms}ms"
	else
		notok "peek --wait on $q: '$out' after ${ms}ms"
	fi
	check "peek --wait took nothing from $q" late "$("$UMQ" recv "$q" --timeout 0)"
done
sel=$("$UMQ" ipcmk -Q | awk '{ print $4 }')
"$UMQ" send "$sel" --type 1 one
(sleep 0.5; "$UMQ" send "$sel" --type 2 two) &
bg+=($!)
check "peek --wait --type 2 waits past a type 1 message" "2 two" \
	"$("$UMQ" peek "$sel" --wait --type 2 --timeout 30 | awk 'NR > 1 { print $2, $4 }')"
"$UMQ" ipcrm -q "$sel"
kill_bg
bg=()

# ---- purge --------------------------------------------------------------
for i in 1 2 3 4 5; do "$UMQ" send "$id2" "m$i"; "$UMQ" send /bin2 "m$i"; done
check "purge (System V): the count" 5 "$("$UMQ" purge "$id2")"
check "purge (POSIX): the count" 5 "$("$UMQ" purge /bin2)"
check "purge: nothing left" "" "$(peeked "$id2")$(peeked /bin2)"
check "purge of an empty queue: 0" 0 "$("$UMQ" purge "$id2")"

# ---- recv loses nothing: a failed write sends the message back, a ------
# signal after the take waits for the write (until December 6 both lost
# the message)
for q in "$id2" /bin2; do
	# Longer than a System V type: what goes back is the whole text.
	"$UMQ" send "$q" first-of-two-messages
	"$UMQ" send "$q" second-of-two-messages
	out=$("$UMQ" recv "$q" --timeout 0 2>&1 >/dev/full)
	check "recv >/dev/full on $q: one line, exit 1" \
		"umq recv: write error; the message went back to the end of $q: No space left on device
rc=1" "$out
rc=$?"
	# Closed, or a reader gone: nothing taken.
	"$UMQ" recv "$q" --timeout 0 >&- 2>/dev/null
	check "recv >&- on $q: exit 1" 1 $?
	(sleep 0.3; exec "$UMQ" recv "$q" -n 2 --timeout 0) | true
	check "recv | true on $q: the messages, in order" \
		"second-of-two-messages first-of-two-messages" \
		"$(received_texts "$q")"
done
for q in "$id2" /bin2; do
	for i in 1 2 3; do "$UMQ" send "$q" "m$i"; done
	# Output to a file (fully buffered until December 6): SIGTERM while
	# it waits for a fourth message.
	"$UMQ" recv "$q" -n 5 --timeout 30 >"$tmp/got.n" 2>/dev/null &
	pid=$!
	for _ in $(seq 100); do
		[ "$(wc -l <"$tmp/got.n")" = 3 ] && break
		sleep 0.05
	done
	kill -TERM "$pid"
	wait "$pid"
	check "recv -n 5 SIGTERMed after 3 on $q: ends by the signal" 143 $?
	check "recv -n 5 SIGTERMed after 3 on $q: 3 written, none left" \
		"m1 m2 m3 |" "$(tr '\n' ' ' <"$tmp/got.n")|$(received_texts "$q")"
done
# SIGTERM while a write blocks on a full pipe: that message is written
# whole, then the tool ends by the signal; the rest stay queued.
"$UMQ" ipcmk -q -n /big --maxmsg 10 --msgsize 8000 >/dev/null
big=$(head -c 7999 /dev/zero | tr '\0' b)
for i in 0 1 2 3 4 5 6 7 8 9; do "$UMQ" send /big "$i$big"; done
{ "$UMQ" recv /big -n 10 --timeout 5 2>/dev/null & echo $! >"$tmp/pid"
  wait $!; echo $? >"$tmp/rc"; } | { sleep 2; wc -c >"$tmp/bytes"; } &
sleep 1
kill -TERM "$(cat "$tmp/pid")"
wait $!
left=$(peeked /big | wc -l)
bytes=$(cat "$tmp/bytes")
if [ "$(cat "$tmp/rc")" = 143 ] && [ $((bytes % 8001)) = 0 ] &&
	[ $((bytes / 8001 + left)) = 10 ]; then
	ok "recv SIGTERMed in a blocked write: $((bytes / 8001)) whole, $left queued"
else
	notok "recv SIGTERMed in a blocked write: rc $(cat "$tmp/rc"), $bytes bytes, $left queued"
fi
"$UMQ" ipcrm --posix-mqueue /big

# A message larger than msgmax now (lowered since it was sent).
big=$(head -c 1000 /dev/zero | tr '\0' x)
"$UMQ" send "$id2" "$big"
"$UMQ" limits --set msgmax=100 >/dev/null
check "recv of a message longer than msgmax is now" "$big" \
	"$("$UMQ" recv "$id2" --timeout 0 2>&1)"
"$UMQ" limits --set msgmax=8192 >/dev/null

# ---- bad input: one line, exit 1 ----------------------------------------
bad() {
	local name=$1 expect=$2 out rc
	shift 2
	out=$("$@" 2>&1 </dev/null)
	rc=$?
	check "bad input: $name" "$expect
rc=1" "$out
rc=$rc"
}
bad "peek of an unknown id" "umq peek: id 4242 not found" \
	"$UMQ" peek 4242
bad "recv of an unknown id" "umq recv: id 4242 not found" \
	"$UMQ" recv 4242 --timeout 0
bad "purge of an unknown name" "umq purge: queue \`/nope' not found" \
	"$UMQ" purge /nope
bad "a bad name" "umq peek: invalid queue name '/a/b'" "$UMQ" peek /a/b
bad "neither id nor name" "umq send: invalid id or name: 'x1'" \
	"$UMQ" send x1 text
bad "a bad type" "umq peek: invalid type: 'two'" \
	"$UMQ" peek "$id2" --type two
bad "send of type 0" "umq send: invalid type: '0' (must be > 0)" \
	"$UMQ" send "$id2" --type 0 text
bad "a bad format" "umq peek: unknown format: 'xml'" \
	"$UMQ" peek "$id2" -f xml
bad "a bad timeout" "umq recv: invalid timeout: '-1'" \
	"$UMQ" recv "$id2" --timeout -1
bad "peek --timeout without --wait" "umq peek: --timeout is for --wait" \
	"$UMQ" peek "$id2" --timeout 1
for c in "peek /bin2 --type 1" "peek /bin2 --except" "recv /bin2 -t 1" \
	"recv /bin2 --except" "send /bin2 -t 2 text"; do
	bad "$c: a selector of System V's" \
		"umq ${c%% *}: --type and --except are for System V queues" \
		"$UMQ" $c
done
bad "send --prio to System V" "umq send: --prio is for POSIX queues" \
	"$UMQ" send "$id2" --prio 1 text
bad "no namespace" \
	"umq peek: cannot open namespace $tmp/none: No such file or directory" \
	"$UMQ" peek --dir "$tmp/none" 0
mkdir "$tmp/empty"
bad "a directory that is no namespace" \
	"umq send: $tmp/empty: not a umq namespace" \
	"$UMQ" send --dir "$tmp/empty" 0 text
check "bad input changed nothing" "" "$(peeked "$id2")"
