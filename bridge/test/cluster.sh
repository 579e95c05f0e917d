#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# cluster.sh - `umq bridge` against a real three-node NATS JetStream
# cluster (nats-server on loopback ports, temporary store directories,
# routes between the three), R3 streams:
#
#   1. msgsnd on namespace A -> out bridge -> stream -> in bridge ->
#      msgrcv on namespace B: every message once, in order per type; the
#      stream created as asked; status files; a full local queue holds the
#      rest in the stream (flow control); a clean stop removes the status.
#   2. the same while a JetStream node is SIGKILLed mid-stream (and
#      restarted) and both bridges are SIGKILLed at random instants and
#      restarted: nothing lost, nothing corrupt, first arrivals in order
#      per type, and every duplicate flagged by a bridge.
#   3. the whole cluster down: the out bridge stops draining (the local
#      queue keeps the messages, status "connected 0"), then resumes when
#      the three nodes restart; bridges started during the outage wait
#      for it; a cluster back without its store gets its stream and
#      consumer made again by the bridges.
#   4. a POSIX queue both ways, priorities kept.
#   5. a delivery the in bridge never sees (taken by another client) comes
#      again at once, in order, not after AckWait to be dropped.
#   6. an origin's sequences out of order: a lower one never delivered is
#      delivered late, a repeat is dropped.
#   7. a state file another user owns, or others may write, is refused.
#   8. what another user puts in bridges/ is not believed: bridges/
#      itself, if theirs (nor is it made by another user's bridge); a journal of a held message (the out bridge
#      published it as if from the queue); a symlink where the status
#      file's temporary goes (the bridge wrote through it).  A journal of
#      the bridge's own user, left by a bridge before December 5, is
#      published and removed.
#
# Every wait has a deadline; every server and bridge is killed at the end,
# also on failure.  Output: ok - / not ok - / skip - lines.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
B=$(cd "$top/${UMQ_BUILD:-build}" && pwd)
UMQ=$B/umq
TQ=$B/bridge/test/tq

if [ ! -x "$B/umq-bridge" ]; then
	echo "skip - bridge: umq-bridge not built (libnats-dev missing)"
	exit 0
fi
if ! command -v nats-server >/dev/null; then
	echo "skip - bridge: nats-server not installed"
	exit 0
fi

tmp=$(mktemp -d /tmp/umq-bridge.XXXXXX)
. "$here/nats.sh"

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; return 1; fi; }

nats_ports || { notok "bridge: six free loopback ports"; exit 1; }
URLS=$(nats_urls 3)

# bridge LOG ARGS...: a bridge in the background (pid in $bpid; umq
# executes umq-bridge, so that is the bridge's pid, for kill).
bridge() {
	local log=$1
	shift
	"$UMQ" bridge -s "$URLS" --replicas 3 "$@" >>"$log" 2>&1 &
	bpid=$!
	pids+=("$bpid")
}
# pair NAME OUTKEY INKEY SUBJECT STREAM: an out bridge of System V key
# OUTKEY in $A and an in bridge of key INKEY in $B2, over STREAM; their
# pids in out<NAME> and in<NAME>, their logs $tmp/{out,in}<NAME>.log
pair() {
	UMQ_DIR=$A bridge "$tmp/out$1.log" out --key "$2" --create \
		--subject "$4" --stream "$5"
	printf -v "out$1" %s "$bpid"
	UMQ_DIR=$B2 bridge "$tmp/in$1.log" in --key "$3" --create \
		--subject "$4" --stream "$5"
	printf -v "in$1" %s "$bpid"
}
# both_up OUTKEY INKEY: both bridges of a pair have written their status
both_up() {
	wait_for 60 test -f "$A/bridges/out-key$1" &&
		wait_for 60 test -f "$B2/bridges/in-key$2"
}
stop() { kill -TERM "$1" 2>/dev/null; timeout 15 tail --pid="$1" -f /dev/null; }
field() { awk -v k="$2" '$1 == k { print $2 }' "$1" 2>/dev/null; }
# is FILE KEY VALUE: the status says so now (for wait_for, which runs it
# again and again: a "$(field ...)" argument would be read only once)
is() { [ "$(field "$1" "$2")" = "$3" ]; }

for i in 0 1 2; do start_node $i; done
if ! wait_for 30 up 0 || ! wait_for 30 up 1 || ! wait_for 30 up 2; then
	notok "bridge: three nats-server nodes start"
	sed 's/^/#   /' "$tmp"/n*.log | tail -20
	exit 1
fi
ok "bridge: three nats-server nodes with JetStream, clustered on loopback"

A=$tmp/a B2=$tmp/b

# ---- 1: end to end, flow control, status ---------------------------------
N=3000
pair 1 0x101 0x201 umq.e2e E2E
both_up 0x101 0x201
check "bridge 1: both bridges up, status files in <namespace>/bridges" \
	'[ -f "$A/bridges/out-key0x101" ] && [ -f "$B2/bridges/in-key0x201" ]'
check "bridge 1: the stream created work-queue, file storage, 3 replicas" \
	'grep -hq "stream E2E created: subjects umq.e2e.>, work-queue, file storage, 3 replica" "$tmp/out1.log" "$tmp/in1.log"'
UMQ_DIR=$A timeout 120 "$TQ" send 0x101 $N -t 5 -s 160 >"$tmp/send1" 2>&1
check "bridge 1: $N messages sent on namespace A" '[ $? = 0 ]'
# Nobody receives on B yet: its queue fills, the rest waits in the stream.
full() { [ "$(field "$B2/bridges/in-key0x201" lag)" -gt 0 ] 2>/dev/null &&
	 [ "$(field "$A/bridges/out-key0x101" lag)" = 0 ]; }
wait_for 60 full
check "bridge 1: a full local queue holds the rest in the stream (lag > 0)" full
qn=$(UMQ_DIR=$B2 "$UMQ" ipcs -q | awk '$1 ~ /^0x/ { print $6 }')
check "bridge 1: the full queue holds what fits ($qn), not everything" \
	'[ "${qn:-0}" -gt 0 ] && [ "${qn:-0}" -lt $N ]'
keys="direction queue subject stream pid connected published_total acked_total consumed_total delivered_total redelivered_total duplicates_total reconnects_total lag updated"
miss=""
for k in $keys; do
	[ -n "$(field "$A/bridges/out-key0x101" "$k")" ] || miss+=" out:$k"
	[ -n "$(field "$B2/bridges/in-key0x201" "$k")" ] || miss+=" in:$k"
done
check "bridge 1: status files have every key${miss:+ (missing$miss)}" '[ -z "$miss" ]'
# lag 0 says out took everything from its queue; the last acks, and the
# status write that counts them, may come a moment later.
out_acked() { [ "$(field "$A/bridges/out-key0x101" acked_total)" = $N ] &&
	      [ "$(field "$A/bridges/out-key0x101" connected)" = 1 ] &&
	      [ "$(field "$A/bridges/out-key0x101" direction)" = out ]; }
wait_for 30 out_acked
check "bridge 1: status of out: published and acked $N, connected" out_acked
r=$(UMQ_DIR=$B2 timeout 200 "$TQ" recv 0x201 $N -w 180 -g 2)
check "bridge 1: msgrcv on B: all once, checksums, order per type ($r)" \
	'[[ "$r" == "received $N distinct $N duplicates 0 corrupt 0 disorder 0 missing 0" ]]'
wait_for 10 is "$B2/bridges/in-key0x201" delivered_total $N
check "bridge 1: status of in: delivered $N" \
	'[ "$(field "$B2/bridges/in-key0x201" delivered_total)" = $N ]'
stop "$out1"
stop "$in1"
check "bridge 1: a clean stop removes the status files" \
	'[ ! -e "$A/bridges/out-key0x101" ] && [ ! -e "$B2/bridges/in-key0x201" ]'

# ---- 2: a node killed, bridges killed at random instants -----------------
# keep DIR LOG ARGS...: run a bridge, SIGKILL it after 0.5-3 s, again,
# until the file $tmp/calm appears (or a minute passed); then leave one
# running.
keep() {
	local dir=$1 log=$2 p
	shift 2
	while [ ! -e "$tmp/calm" ] && [ $SECONDS -lt $chaos_end ]; do
		UMQ_DIR=$dir "$UMQ" bridge -s "$URLS" --replicas 3 "$@" \
			>>"$log" 2>&1 &
		p=$!
		echo "$p" >>"$tmp/bridge.pids"
		sleep "$((RANDOM % 26 + 5))e-1"
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		echo kill >>"$log.kills"
	done
	UMQ_DIR=$dir "$UMQ" bridge -s "$URLS" --replicas 3 "$@" >>"$log" 2>&1 &
	p=$!
	echo "$p" >>"$tmp/bridge.pids"
	wait "$p"
}

# post_mortem LOG QOUT QIN STREAM CONSUMER: where the missing messages
# are - still queued on A, in the stream, queued on B - and what the
# bridges said of them.  The out bridge numbers the messages of a
# scenario 1, 2, ... in queue order, so index i is sequence i + 1 unless
# one went again under a new sequence ("restart" lines).
post_mortem() {
	local log=$1 i
	{
		cat "$log.missing"
		echo "the queues on A and on B (ipcs -q, lsipc -Q):"
		UMQ_DIR=$A "$UMQ" ipcs -q | grep "^0x0*${2#0x} "
		UMQ_DIR=$B2 "$UMQ" ipcs -q | grep "^0x0*${3#0x} "
		UMQ_DIR=$A "$UMQ" lsipc -Q | grep -- " $2 "
		UMQ_DIR=$B2 "$UMQ" lsipc -Q | grep -- " $3 "
		"$B/bridge/test/jsbench" -s "$URLS" -I "$4/$5"
		grep -h 'restart\|possible\|held\|vanished\|stopped\|never came' \
			"$log.out" "$log.in"
		for i in $(grep -o '[0-9][0-9 ]*$' "$log.missing" | head -1); do
			grep -h -- "-$((i + 1))[ :]" "$log.out" "$log.in"
		done
	} 2>&1 | tail -n 60 | sed 's/^/#   /'
}

# chaos NAME N RATE TYPES NODE QOUT QIN ARGS...: N messages at RATE/s
# from QOUT on A to QIN on B through bridges killed at random; node NODE
# (none: -) SIGKILLed 4 s in and restarted 6 s later.
chaos() {
	local name=$1 n=$2 rate=$3 types=$4 node=$5 qo=$6 qi=$7 send recv
	local a prev= stream=
	shift 7
	for a; do [ "$prev" = --stream ] && stream=$a; prev=$a; done
	local log=$tmp/$name
	rm -f "$tmp/calm" "$tmp/bridge.pids"
	chaos_end=$((SECONDS + 60))
	keep "$A" "$log.out" out "$qo" --create --name "out-$name" -v "$@" &
	pids+=($!)
	keep "$B2" "$log.in" in "$qi" --create --name "in-$name" --batch 16 \
		-v "$@" &
	pids+=($!)
	UMQ_DIR=$B2 timeout 300 "$TQ" recv "$qi" "$n" -w 280 -g 5 \
		>"$log.recv" 2>"$log.missing" &
	recv=$!
	pids+=("$recv")
	UMQ_DIR=$A timeout 200 "$TQ" send "$qo" "$n" -t "$types" -s 200 \
		-r "$rate" &
	send=$!
	pids+=("$send")
	if [ "$node" != - ]; then
		sleep 4
		kill_node "$node"
		echo "# node n$node killed (SIGKILL) mid-stream"
		sleep 6
		start_node "$node"
		echo "# node n$node restarted"
	fi
	wait "$send"
	check "bridge $name: $n messages sent at $rate/s while bridges die" \
		'[ $? = 0 ]'
	sleep 3
	touch "$tmp/calm"
	wait "$recv"
	r=$(cat "$log.recv")
	while read -r p; do pids+=("$p"); done <"$tmp/bridge.pids"
	kills=$(( $(cat "$log.out.kills" 2>/dev/null | wc -l) + \
		  $(cat "$log.in.kills" 2>/dev/null | wc -l) ))
	flagged=$(grep -c "possible duplicate" "$log.in")
	dups=$(awk '{ print $6 }' <<<"$r")
	echo "# $kills bridges SIGKILLed; resumed:" \
		"$(grep -ho 'restart: .*' "$log.out" | sed 's/[0-9]\+/N/g' |
		   sort | uniq -c | tr -s ' \n' ' ;')" \
		"$flagged flagged as possible duplicates"
	check "bridge $name: nothing lost, corrupt or out of order ($r)" \
		'[[ "$r" == "received "*" distinct $n duplicates "*" corrupt 0 disorder 0 missing 0" ]]' ||
		post_mortem "$log" "$qo" "$qi" "$stream" "in-$name"
	check "bridge $name: every duplicate flagged ($dups <= $flagged)" \
		'[ -n "$dups" ] && [ "$dups" -le "$flagged" ]'
	check "bridge $name: the bridges were killed at least 4 times ($kills)" \
		'[ "$kills" -ge 4 ]'
	check "bridge $name: a killed in bridge took its consumer back" \
		'grep -q "consumer in-$name replaced" "$log.in"'
	while read -r p; do stop "$p"; done <"$tmp/bridge.pids"
}
chaos 2 4000 300 7 1 0x102 0x202 --key --subject umq.chaos --stream CHAOS
# POSIX: priorities overtake heads being published
chaos 2p 1500 300 5 - /chaos /chaos --subject umq.pchaos --stream PCHAOS

# ---- 3: the cluster down: out stops draining, then resumes ---------------
# 3:  both bridges run through the outage (the store kept);
# 3s: two more start while the cluster is down, and wait for it;
# 3w: the whole cluster again, restarted with its store wiped: the bridges
#     make their stream and consumer again.
pair 3 0x103 0x203 umq.down DOWN
st3=$A/bridges/out-key0x103
both_up 0x103 0x203
for i in 0 1 2; do kill_node $i; done
wait_for 30 is "$st3" connected 0
check "bridge 3: the cluster down: status says connected 0" \
	'is "$st3" connected 0'
pair 3s 0x113 0x213 umq.down2 DOWN2
UMQ_DIR=$A timeout 60 "$TQ" send 0x103 50 -t 2 -s 100
UMQ_DIR=$A timeout 60 "$TQ" send 0x113 20 -t 2 -s 100
sleep 2
qn=$(UMQ_DIR=$A "$UMQ" ipcs -q | awk '$1 == "0x00000103" { print $6 }')
check "bridge 3: disconnected, out leaves the local queue alone ($qn of 50)" \
	'[ "$qn" = 50 ]'
t3=$SECONDS
for i in 0 1 2; do start_node $i; done
r=$(UMQ_DIR=$B2 timeout 200 "$TQ" recv 0x203 50 -w 150 -g 1)
check "bridge 3: the cluster restarted, all 50 arrive once, $((SECONDS - t3)) s ($r)" \
	'[[ "$r" == "received 50 distinct 50 duplicates 0 corrupt 0 disorder 0 missing 0" ]]' ||
	tail -n 5 "$tmp/out3.log" "$tmp/in3.log" | sed 's/^/#   /'
check "bridge 3: status counts the reconnect" \
	'[ "$(field "$st3" reconnects_total)" -ge 1 ] 2>/dev/null'
r=$(UMQ_DIR=$B2 timeout 100 "$TQ" recv 0x213 20 -w 60 -g 1)
check "bridge 3s: bridges started during the outage waited for it ($r)" \
	'[[ "$r" == "received 20 distinct 20 duplicates 0 corrupt 0 disorder 0 missing 0" ]]' ||
	tail -n 5 "$tmp/out3s.log" "$tmp/in3s.log" | sed 's/^/#   /'
stop "$out3s"
stop "$in3s"
for i in 0 1 2; do kill_node $i; done
rm -rf "$tmp/n0" "$tmp/n1" "$tmp/n2"
wait_for 30 is "$st3" connected 0
t3=$SECONDS
for i in 0 1 2; do start_node $i; done
UMQ_DIR=$A timeout 60 "$TQ" send 0x103 30 -t 2 -s 100
r=$(UMQ_DIR=$B2 timeout 100 "$TQ" recv 0x203 30 -w 60 -g 1)
check "bridge 3w: the cluster back without its store: the stream made again, all 30 arrive, $((SECONDS - t3)) s ($r)" \
	'[[ "$r" == "received 30 distinct 30 duplicates 0 corrupt 0 disorder 0 missing 0" ]]' ||
	tail -n 5 "$tmp/out3.log" "$tmp/in3.log" | sed 's/^/#   /'
stop "$out3"
stop "$in3"

# ---- 4: POSIX queues, priorities -----------------------------------------
UMQ_DIR=$A bridge "$tmp/out4.log" out /jobs --create --stream JOBS
out4=$bpid
UMQ_DIR=$B2 bridge "$tmp/in4.log" in /jobs --create --stream JOBS
in4=$bpid
UMQ_DIR=$A timeout 60 "$TQ" send /jobs 400 -t 6 -s 120
r=$(UMQ_DIR=$B2 timeout 100 "$TQ" recv /jobs 400 -w 90 -g 1)
check "bridge 4: POSIX /jobs to /jobs, priorities kept, order per priority ($r)" \
	'[[ "$r" == "received 400 distinct 400 duplicates 0 corrupt 0 disorder 0 missing 0" ]]'
stop "$out4"
stop "$in4"

# ---- 5: a delivery the in bridge never sees ------------------------------
# As one lost with a dying connection: another client takes it from the
# bridge's consumer and never acks it (jsbench -T), while the bridge is
# stopped and its pull request has expired.  It would come again only
# after AckWait, behind newer ones, and be dropped as a repeat: the gap in
# the consumer's delivery sequence must make the bridge take it again now.
pair 5 0x105 0x205 umq.gap GAP
both_up 0x105 0x205
kill -STOP "$in5"
sleep 2
timeout 30 "$B/bridge/test/jsbench" -s "$URLS" -T GAP/in-key0x205 \
	>"$tmp/stolen" 2>&1 &
thief=$!
track "$thief"
sleep 0.5
UMQ_DIR=$B2 timeout 100 "$TQ" recv 0x205 20 -w 25 -g 1 >"$tmp/r5" &
r5=$!
track "$r5"
UMQ_DIR=$A timeout 60 "$TQ" send 0x105 20 -t 2 -s 100 -r 10
wait "$thief"
kill -CONT "$in5"
wait "$r5"
r=$(cat "$tmp/r5")
check "bridge 5: a delivery another client took ($(cut -c1-14 "$tmp/stolen")) comes again, in order ($r)" \
	'[[ "$r" == "received 20 distinct 20 duplicates 0 corrupt 0 disorder 0 missing 0" ]] && grep -q "never came" "$tmp/in5.log"' ||
	tail -n 5 "$tmp/in5.log" | sed 's/^/#   /'
stop "$out5"
stop "$in5"

# ---- 6: an origin's sequences out of order -------------------------------
# However the stream came to hold them so (a lost delivery, a server
# that reorders), the in bridge gets 1 2 4 3 2 5 of one origin: 3, never
# delivered when 4 came, is delivered late; the second 2 is a repeat.
UMQ_DIR=$B2 bridge "$tmp/in6.log" in --key 0x206 --create --subject umq.ooo \
	--stream OOO
in6=$bpid
wait_for 60 test -f "$B2/bridges/in-key0x206"
"$B/bridge/test/jsbench" -s "$URLS" -P umq.ooo.1 -O 00000000c0ffee06 \
	1 2 4 3 2 5
id6=$(UMQ_DIR=$B2 "$UMQ" ipcs -q | awk '$1 == "0x00000206" { print $2 }')
got=$(UMQ_DIR=$B2 timeout 30 "$UMQ" recv -n 5 -T 20 "$id6" | tr '\n' ' ')
extra=$(UMQ_DIR=$B2 timeout 10 "$UMQ" recv -T 2 "$id6")
check "bridge 6: a lower sequence that comes late is delivered, a repeat is not ($got${extra:+then $extra})" \
	'[ "$got" = "seq=1 seq=2 seq=4 seq=3 seq=5 " ] && [ -z "$extra" ] &&
	 grep -q "00000000c0ffee06-3 comes after 4, never delivered: delivered late" "$tmp/in6.log"' ||
	tail -n 5 "$tmp/in6.log" | sed 's/^/#   /'
stop "$in6"

# ---- 7: a state file others could write is not used ---------------------
# The bridge maps its state file: whoever could truncate it could kill the
# bridge with SIGBUS, and whoever could write it could steer its dedup.
C=$tmp/c
mkdir -p "$C/bridges" && chmod 1777 "$C/bridges"
sf=$C/bridges/.in-key0x207.state
install -m 0666 /dev/null "$sf"
st7() {
	UMQ_DIR=$C timeout 30 "$UMQ" bridge -s "$URLS" in --key 0x207 \
		--create --subject umq.st --stream ST >"$tmp/st$1.log" 2>&1
	echo $?
}
r1=$(st7 1)
r2=2
if [ "$(id -u)" = 0 ]; then
	chmod 0600 "$sf" && chown 65534 "$sf"
	r2=$(st7 2)
	grep -q "another user's" "$tmp/st2.log" || r2="$r2, no message"
fi
check "bridge 7: a state file others may write (exit $r1), or another user's (exit $r2), is refused" \
	'[ "$r1" = 1 ] && grep -q "others may write it: not used" "$tmp/st1.log" &&
	 { [ "$r2" = 1 ] || [ "$(id -u)" != 0 ]; }' ||
	cat "$tmp"/st*.log | sed 's/^/#   /'

# ---- 8: what other users put in bridges/ ---------------------------------
if [ "$(id -u)" = 0 ]; then
	# bridges/ of a user who is neither root nor the namespace's owner
	F=$tmp/f
	mkdir -p "$F/bridges" && chmod 1777 "$F/bridges" && chown 65534 "$F/bridges"
	UMQ_DIR=$F timeout 30 "$UMQ" bridge -s "$URLS" in --key 0x208 \
		--create --subject umq.b8 --stream B8 >"$tmp/b8.log" 2>&1
	r=$?
	check "bridge 8: bridges/ of another user is not used (exit $r)" \
		'[ $r = 1 ] && grep -q "uid 65534.s, not root.s, the namespace owner.s or yours" "$tmp/b8.log"' ||
		sed 's/^/#   /' "$tmp/b8.log"
	# bridges/ missing (a namespace older than December 5): made by the
	# namespace's owner or root only, not by another user's bridge
	H=$(mktemp -d /tmp/umq-bridge-ns.XXXXXX) && chmod 1777 "$H"
	UMQ_DIR=$H/ns setpriv --reuid 1000 --regid 1000 --clear-groups \
		"$UMQ" ipcmk -Q >/dev/null 2>&1
	rmdir "$H/ns/bridges"
	UMQ_DIR=$H/ns timeout 30 setpriv --reuid 65534 --regid 65534 \
		--clear-groups "$UMQ" bridge -s "$URLS" in --key 0x20b \
		--create --subject umq.m8 --stream M8 >"$tmp/m8.log" 2>&1
	r=$?
	check "bridge 8: bridges/ missing is not made by another user's bridge (exit $r)" \
		'[ $r = 1 ] && [ ! -e "$H/ns/bridges" ] &&
		 grep -q "missing; the namespace.s owner (uid 1000) or root must make it" "$tmp/m8.log"' ||
		sed 's/^/#   /' "$tmp/m8.log"
	rm -rf "$H"
	# a journal (the format before December 5: sequence, type, length,
	# text) of another user, then of the bridge's own
	G=$tmp/g
	mkdir -p "$G/bridges" && chmod 1777 "$G/bridges"
	held=$G/bridges/.out-key0x209.held
	printf '\x07\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\x0b\0\0\0\0\0\0\0FORGED-BY-B' >"$held"
	chown 65534 "$held"
	h8() {
		UMQ_DIR=$G timeout 6 "$UMQ" bridge -s "$URLS" out --key 0x209 \
			--create --subject umq.h8 --stream H8 >"$tmp/h8$1.log" 2>&1
	}
	h8 a
	check "bridge 8: another user's journal of a held message is not published" \
		'grep -q "held: another user.s, linked, or others may write it: not read" "$tmp/h8a.log" &&
		 ! grep -q "publishing the held message" "$tmp/h8a.log" && [ -f "$held" ]' ||
		sed 's/^/#   /' "$tmp/h8a.log"
	chown 0 "$held" && chmod 0600 "$held"
	h8 b
	check "bridge 8: the user's own journal of before is published, then removed" \
		'grep -q "restart: publishing the held message 7" "$tmp/h8b.log" && [ ! -e "$held" ]' ||
		sed 's/^/#   /' "$tmp/h8b.log"
	# a symlink where the status file's temporary goes
	echo precious >"$tmp/victim8"
	ln -s "$tmp/victim8" "$G/bridges/.in-key0x20a.tmp"
	chown -h 65534 "$G/bridges/.in-key0x20a.tmp"
	UMQ_DIR=$G timeout 4 "$UMQ" bridge -s "$URLS" in --key 0x20a \
		--create --subject umq.s8 --stream S8 >"$tmp/s8.log" 2>&1
	check "bridge 8: a symlink at the status file's temporary is not written through" \
		'[ "$(cat "$tmp/victim8")" = precious ]' ||
		sed 's/^/#   /' "$tmp/s8.log"
else
	echo "skip - bridge 8: files of other users (needs root)"
fi

if [ -n "${V:-}" ]; then
	tail -n 5 "$tmp"/*.log | sed 's/^/#   /'
fi
exit 0
