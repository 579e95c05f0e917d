# SPDX-License-Identifier: MIT
#
# nats.sh - sourced by cluster.sh and bench.sh: nats-server nodes with
# JetStream on loopback ports of their own, in temporary directories,
# routed into one cluster; every process started through here is killed
# at exit, also on failure.
#
# Needs: $tmp (a temporary directory, removed at exit).
#   nats_ports          pick 6 free ports (3 client, 3 route)
#   start_node I [K]    node I (0-2) of a K-node cluster (default 3)
#   kill_node I         SIGKILL it
#   nats_urls K         nats://... of the first K nodes, comma-separated
#   wait_for SECS CMD   poll CMD until it succeeds, or fail after SECS
#   up I                node I accepts connections
#   track PID           kill PID at exit

declare -A srv=()		# node -> pid
pids=()				# everything else we started

nats_cleanup() {
	local p
	[ -f "$tmp/bridge.pids" ] &&
		mapfile -t -O ${#pids[@]} pids <"$tmp/bridge.pids"
	for p in "${pids[@]}" "${srv[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	# UMQ_T_KEEP=DIR: keep the logs and the bridges' files for a post-mortem
	[ -n "${UMQ_T_KEEP:-}" ] && mkdir -p "$UMQ_T_KEEP" &&
		cp -a "$tmp"/. "$UMQ_T_KEEP"/
	rm -rf "$tmp"
}
trap nats_cleanup EXIT
trap 'exit 1' INT TERM

track() { pids+=("$1"); }

port_free() { ! (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
nats_ports() {
	local all k
	base=$((20000 + ($$ % 4000) * 10))
	for _ in $(seq 50); do
		all=1
		for k in 0 1 2 3 4 5; do port_free $((base + k)) || all=0; done
		[ $all = 1 ] && return 0
		base=$((base + 60))
	done
	return 1
}
cport() { echo $((base + $1)); }
rport() { echo $((base + 3 + $1)); }
nats_urls() {
	local k u=""
	for ((k = 0; k < $1; k++)); do
		u+="${u:+,}nats://127.0.0.1:$(cport $k)"
	done
	echo "$u"
}

start_node() {
	local i=$1 nodes=${2:-3} routes="" k
	local cl=()
	for ((k = 0; k < nodes; k++)); do
		[ "$k" = "$i" ] && continue
		routes+="${routes:+,}nats://127.0.0.1:$(rport "$k")"
	done
	if [ "$nodes" -gt 1 ]; then
		cl=(--cluster_name umqtest
		    -cluster "nats://127.0.0.1:$(rport "$i")" -routes "$routes")
	fi
	mkdir -p "$tmp/n$i"
	nats-server -js -n "n$i" -a 127.0.0.1 -p "$(cport "$i")" "${cl[@]}" \
		-sd "$tmp/n$i" >>"$tmp/n$i.log" 2>&1 &
	srv[$i]=$!
}
kill_node() {
	kill -9 "${srv[$1]}" 2>/dev/null
	wait "${srv[$1]}" 2>/dev/null
	unset "srv[$1]"
}

wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}
up() { ! port_free "$(cport "$1")"; }
