#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# progs.sh - the differential programs (prog_*.c, built into
# $UMQ_BUILD/clients/), each run on the kernel and on umq with its trace
# compared (compare.sh).  One ok/not ok/skip line per program.
. "$(dirname "$0")/compare.sh"

progs=("$B"/clients/prog_*)
if [ ! -x "${progs[0]}" ]; then
	echo "not ok - no differential programs in $B/clients"
	exit 1
fi
reason=$(why_not)
for p in "${progs[@]}"; do
	name=$(basename "$p")
	if [ -n "$reason" ]; then
		echo "skip - $name ($reason)"
	else
		compare "$name" "$p"
	fi
done
[ "$fails" -eq 0 ]
