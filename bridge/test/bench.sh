#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench.sh - `make bench-bridge`: the bridge's throughput and end-to-end
# latency through a 1-node and a 3-node JetStream cluster on loopback,
# beside the same payloads sent with libnats directly (jsbench: the same
# synchronous publish with a message id, the same pull consumer and acks).
#
#   throughput: N messages sent as fast as the sender can, messages/s at
#               the receiver (umq: msgsnd on A -> out bridge -> stream ->
#               in bridge -> msgrcv on B; direct: js_PublishMsg -> fetch)
#   latency:    L messages paced at RATE/s, send-to-receive p50 and p99,
#               REPS runs of each path in turn: medians, and the p50s' range
#
# The ratio is direct / bridge for throughput, bridge / direct for latency:
# the bridge's cost (1.0 = none).  The two run one after the other on the
# same cluster; on a shared machine, run it several times (BRIDGE_BENCH_NODES
# picks the cluster sizes, "1 3" by default).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
B=$(cd "$top/${UMQ_BUILD:-build}" && pwd)
UMQ=$B/umq
TQ=$B/bridge/test/tq

if [ ! -x "$B/umq-bridge" ] || [ ! -x "$B/bridge/test/jsbench" ]; then
	echo "bench-bridge: skipped (umq-bridge not built: libnats-dev missing)"
	exit 0
fi
if ! command -v nats-server >/dev/null; then
	echo "bench-bridge: skipped (nats-server not installed)"
	exit 0
fi

N=${BRIDGE_BENCH_N:-5000}
L=${BRIDGE_BENCH_L:-1000}
RATE=${BRIDGE_BENCH_RATE:-200}
REPS=${BRIDGE_BENCH_REPS:-3}	# latency runs of each path
SIZE=${BRIDGE_BENCH_SIZE:-128}

tmp=$(mktemp -d /tmp/umq-bbench.XXXXXX)
. "$here/nats.sh"
nats_ports || { echo "bench-bridge: no free ports"; exit 1; }

val() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
# The median of the numbers given, and "(min-max)".
med() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
	print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
range() { printf '%s\n' "$@" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 }
	END { printf "(p50 %s-%s)", lo, hi }'; }

# One local hand-off at the same pace: msgsnd on a queue, msgrcv by a
# process asleep on it.  The bridge adds two to the direct path (the
# producer's msgsnd wakes the out bridge, the in bridge's wakes the
# consumer), so direct + 2 hops is the least its latency can be here.
hp=()
for ((k = 0; k < REPS; k++)); do
	UMQ_DIR=$tmp/hop timeout 300 "$TQ" recv 0x4003 "$L" -w 280 -g 0 -l \
		>"$tmp/hop.$k" &
	r=$!
	sleep 0.2
	UMQ_DIR=$tmp/hop timeout 300 "$TQ" send 0x4003 "$L" -s "$SIZE" \
		-r "$RATE"
	wait $r
	hp+=("$(val p50_us <"$tmp/hop.$k")")
done
hop=$(med "${hp[@]}")

echo "bridge: $N messages of $SIZE bytes as fast as possible; $L at $RATE/s for latency, $REPS times (medians)"
echo "one local hand-off (msgsnd -> a sleeping msgrcv) at that pace: p50 $hop us $(range "${hp[@]}")"
printf "%-8s %-8s %10s %10s %10s\n" cluster path msgs/s p50_us p99_us
for nodes in ${BRIDGE_BENCH_NODES:-1 3}; do
	for ((i = 0; i < nodes; i++)); do start_node $i $nodes; done
	for ((i = 0; i < nodes; i++)); do wait_for 30 up $i; done
	urls=$(nats_urls $nodes)
	sleep 2		# a meta leader

	d1=$(timeout 300 "$B/bridge/test/jsbench" -s "$urls" -R $nodes \
		-n "$N" -z "$SIZE")

	A=$tmp/a$nodes Z=$tmp/z$nodes
	UMQ_DIR=$A "$UMQ" bridge -s "$urls" --replicas $nodes --stream BB \
		--subject umq.bench out --key 0x4001 --create \
		>>"$tmp/bench.log" 2>&1 &
	track $!
	bo=$!
	UMQ_DIR=$Z "$UMQ" bridge -s "$urls" --replicas $nodes --stream BB \
		--subject umq.bench in --key 0x4002 --create \
		>>"$tmp/bench.log" 2>&1 &
	track $!
	bi=$!
	wait_for 60 test -f "$A/bridges/out-key0x4001"
	wait_for 60 test -f "$Z/bridges/in-key0x4002"

	UMQ_DIR=$Z timeout 300 "$TQ" recv 0x4002 "$N" -w 280 -g 0 -l \
		>"$tmp/r1" &
	r=$!
	UMQ_DIR=$A timeout 300 "$TQ" send 0x4001 "$N" -s "$SIZE"
	wait $r
	# Latency REPS times, the two paths in turn, so that the machine's
	# drift hits both alike; medians, and the range of the p50s.
	dp50=() dp99=() bp50=() bp99=()
	for ((k = 0; k < REPS; k++)); do
		d2=$(timeout 300 "$B/bridge/test/jsbench" -s "$urls" \
			-R $nodes -n "$L" -z "$SIZE" -r "$RATE")
		dp50+=("$(val p50_us <<<"$d2")") dp99+=("$(val p99_us <<<"$d2")")
		UMQ_DIR=$Z timeout 300 "$TQ" recv 0x4002 "$L" -w 280 -g 0 -l \
			>"$tmp/r2.$k" &
		r=$!
		UMQ_DIR=$A timeout 300 "$TQ" send 0x4001 "$L" -s "$SIZE" \
			-r "$RATE"
		wait $r
		bp50+=("$(val p50_us <"$tmp/r2.$k")")
		bp99+=("$(val p99_us <"$tmp/r2.$k")")
	done
	kill -TERM $bo $bi 2>/dev/null
	wait $bo $bi 2>/dev/null

	dr=$(val rate_per_s <<<"$d1") br=$(val rate_per_s <"$tmp/r1")
	printf "%-8s %-8s %10s %10s %10s %s\n" "$nodes-node" direct "$dr" \
		"$(med "${dp50[@]}")" "$(med "${dp99[@]}")" \
		"$(range "${dp50[@]}")"
	printf "%-8s %-8s %10s %10s %10s %s\n" "$nodes-node" bridge "$br" \
		"$(med "${bp50[@]}")" "$(med "${bp99[@]}")" \
		"$(range "${bp50[@]}")"
	awk -v dr="$dr" -v br="$br" -v d5="$(med "${dp50[@]}")" \
	    -v b5="$(med "${bp50[@]}")" -v d9="$(med "${dp99[@]}")" \
	    -v b9="$(med "${bp99[@]}")" -v n="$nodes" 'BEGIN {
		printf "%-8s %-8s %9.2fx %9.2fx %9.2fx\n", n "-node", "cost",
		       (br > 0 ? dr / br : 0), (d5 > 0 ? b5 / d5 : 0),
		       (d9 > 0 ? b9 / d9 : 0) }'
	awk -v d5="$(med "${dp50[@]}")" -v b5="$(med "${bp50[@]}")" \
	    -v h="$hop" -v n="$nodes" 'BEGIN { if (d5 > 0)
		printf "%-8s p50 floor (direct + 2 hand-offs) %.0f us = %.2fx; the bridge %.0f us above it\n",
		       n "-node", d5 + 2 * h, (d5 + 2 * h) / d5,
		       b5 - d5 - 2 * h }'
	grep -v -e 'missing 0' "$tmp/r1" "$tmp/r2".* | sed 's/^/  lost: /'
	for ((i = 0; i < nodes; i++)); do kill_node $i; done
	# The next cluster starts on empty stores: a node restarted into a
	# cluster on the store it had alone keeps its old single-node streams
	# beside the cluster's (a consumer led there sees none of the
	# cluster's messages).
	rm -rf "$tmp/n0" "$tmp/n1" "$tmp/n2"
done
