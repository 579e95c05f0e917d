# SPDX-License-Identifier: MIT
# lib.sh - sourced by the suites of umq/test/ (not a suite: the Makefile
# leaves it out): where the build is, ok/not ok lines, and a fresh umq
# namespace in a directory of its own that goes when the suite exits.

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
B=$(cd "$top/${UMQ_BUILD:-build}" && pwd)
UMQ=$B/umq
QOPS=$B/umq-test/qops

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
# check NAME EXPECTED ACTUAL
check() {
	if [ "$2" == "$3" ]; then
		ok "$1"
	else
		notok "$1"
		echo "#   expected: $(printf %q "$2")"
		echo "#   got:      $(printf %q "$3")"
	fi
}

# fresh_ns NAME: $tmp, /tmp/umq-NAME.XXXXXX of mode 755, and
# UMQ_DIR=$tmp/ns.  At exit the suite's cleanup_more runs, if it has
# one, then $tmp goes.
fresh_ns() {
	tmp=$(mktemp -d "/tmp/umq-$1.XXXXXX")
	trap 'declare -F cleanup_more >/dev/null && cleanup_more; rm -rf "$tmp"' EXIT
	chmod 755 "$tmp"
	export UMQ_DIR=$tmp/ns
}

# The suite's background processes, in bg: killed and waited for.
bg=()
kill_bg() {
	local p
	for p in "${bg[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
