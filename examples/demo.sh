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

if [ "$failed" -ne 0 ]; then
	echo "demo.sh: some demo FAILED (see '!!' above)"
	exit 1
fi
echo "demo.sh: all demos ran"
