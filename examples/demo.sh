#!/bin/sh
# SPDX-License-Identifier: MIT
#
# demo.sh - run each demo on umq and on the kernel and show the two
# outputs side by side, umq on the left.  Exit status 1 if any run failed.
#
# Usage: examples/demo.sh [DIR]	(DIR holds the built demos; default
# build/examples).  A demo NAME is the pair DIR/NAME (umq) and
# DIR/NAME_kernel; each umq run gets a fresh namespace under /dev/shm.

set -u
bin=${1:-build/examples}
col=${DEMO_COLUMN:-78}
failed=0

tmp=$(mktemp -d /dev/shm/umq-demo.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

# run_one LABEL OUTFILE CMD...: run CMD, output to OUTFILE, note a failure.
run_one() {
	label=$1 out=$2
	shift 2
	"$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "!! $label exited with status $rc" >>"$out"
		failed=1
	fi
}

# side_by_side LEFT RIGHT: two files in two columns of $col characters.
side_by_side() {
	awk -v w="$col" '
		NR == FNR { l[FNR] = $0; nl = FNR; next }
		{ r[FNR] = $0; nr = FNR }
		END {
			n = nl > nr ? nl : nr
			for (i = 1; i <= n; i++)
				printf "%-" w "s | %s\n", l[i], r[i]
		}' "$1" "$2"
}

# pair NAME: NAME on umq and NAME_kernel on the kernel, side by side.
pair() {
	name=$1
	for b in "$bin/$name" "$bin/${name}_kernel"; do
		if [ ! -x "$b" ]; then
			echo "demo.sh: $b is missing (make demo builds it)" >&2
			failed=1
			return
		fi
	done
	UMQ_DIR=$tmp/ns-$name run_one "$name (umq)" "$tmp/$name.umq" \
		"$bin/$name"
	run_one "$name (kernel)" "$tmp/$name.kernel" "$bin/${name}_kernel"
	echo "==== $name: umq (left) and the kernel (right)"
	side_by_side "$tmp/$name.umq" "$tmp/$name.kernel"
	echo
}

pair demo_sysv
pair demo_posix

# operator: the umq command on a namespace with queues in use - made,
# filled and drained a little, a receiver blocked - as an operator sees
# it: ipcs, peek, a top snapshot, the metrics, then ipcrm.
operator() {
	umq=$bin/../umq
	if [ ! -x "$umq" ]; then
		echo "demo.sh: $umq is missing (make demo builds it)" >&2
		failed=1
		return
	fi
	UMQ_DIR=$tmp/ns-operator
	export UMQ_DIR
	echo "==== operator: the umq command (UMQ_DIR=\$tmp/ns-operator)"
	show() {
		echo "\$ umq $*"
		"$umq" "$@" || { echo "!! umq $* failed"; failed=1; }
	}
	show ipcmk -Q -p 0640
	show ipcmk -q -n /jobs --maxmsg 8 --msgsize 64
	for t in "1 hello" "2 world" "1 again"; do
		"$umq" send 0 --type "${t%% *}" "${t#* }"
	done
	"$umq" send /jobs --prio 5 "urgent job"
	"$umq" send /jobs "routine job"
	"$umq" recv 0 >/dev/null
	"$umq" ipcmk -q -n /idle >/dev/null
	"$umq" recv /idle --timeout 0 >/dev/null 2>&1	# refused: EMPTY
	"$umq" recv /idle --timeout 10 >/dev/null &
	waiter=$!
	sleep 0.3
	show ipcs -q
	show peek 0
	show peek /jobs
	# traffic through the System V queue while top looks
	( i=0; while [ $i -lt 150 ]; do
		"$umq" send 0 --type 3 tick && "$umq" recv 0 --type 3 >/dev/null
		i=$((i + 1))
	done ) &
	stream=$!
	show top -b -n 1
	wait "$stream"
	echo "\$ umq metrics | grep -v '^#' | grep -E 'umq_(queue_messages|sent|received|blocked_receivers)'"
	"$umq" metrics | grep -v '^#' |
		grep -E 'umq_(queue_messages|sent|received|blocked_receivers)'
	"$umq" send /idle "wake up"
	wait "$waiter"
	show ipcrm -q 0
	show ipcrm --posix-mqueue /jobs
	show ipcrm --posix-mqueue /idle
	show ipcs -q
	echo
}
operator

if [ "$failed" -ne 0 ]; then
	echo "demo.sh: some demo FAILED (see '!!' above)"
	exit 1
fi
echo "demo.sh: all demos ran"
