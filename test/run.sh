#!/usr/bin/env bash
# Run test programs, show their output, and close with the summary line
# "N passed, N failed, N skipped".  A program that dies or times out
# without reporting counts as one failed case.
set -u
timeout_s=${T_TIMEOUT:-600}
pass=0 fail=0 skip=0 failed_names=()
for t in "$@"; do
	name=$(basename "$t")
	start=$(date +%s%N)
	out=$(timeout -k 5 "$timeout_s" "$t" 2>&1)
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	secs=$((ms / 1000)).$((ms % 1000 / 100))
	p=$(grep -c '^ok - ' <<<"$out")
	f=$(grep -c '^not ok - ' <<<"$out")
	s=$(grep -c '^skip - ' <<<"$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		out+=$'\n'"not ok - $name exited with status $rc"
	fi
	echo "== $name (${secs}s): $p passed, $f failed, $s skipped"
	if [ "$f" -gt 0 ] || [ -n "${V:-}" ]; then
		sed 's/^/   /' <<<"$out"
	fi
	[ "$f" -gt 0 ] && failed_names+=("$name")
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
done
[ ${#failed_names[@]} -gt 0 ] && echo "failed programs: ${failed_names[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
