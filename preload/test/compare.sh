# SPDX-License-Identifier: MIT
# compare.sh - sourced by progs.sh and clients.sh: run a command once on
# the kernel and once on umq, and compare what it printed.
#
#   kernel: unshare -i CMD                  (a fresh IPC namespace)
#   umq:    unshare -i progtool_noipc umq run --dir FRESH -- CMD
#
# The umq side also gets a fresh IPC namespace, so that the limits umq
# copies from the kernel when it creates a namespace are the defaults the
# kernel side sees; and its message-queue system calls fail with ENOSYS
# (progtool_noipc), so a call the preload library missed shows, instead of
# giving the kernel's answer - the very answer it is compared with.
#
# Under SAN=1 the preload library is the sanitized one (umq run puts the
# ASan runtime before it); the programs themselves are never sanitized,
# and leak detection is off for them: their leaks are not ours.
#
# Output: ok/not ok/skip lines for test/run.sh; a difference is shown as a
# diff of the kernel's output (-) and umq's (+).

set -u
B=${UMQ_BUILD:-build}
B=$(cd "$B" && pwd) || exit 1
TESTDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
UMQ=$B/umq
PRELOAD=$B/libumq-preload.so
NOIPC=$B/clients/progtool_noipc
WORK=$(mktemp -d /tmp/umq-compare.XXXXXX) || exit 1
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"			# the programs run as nobody at times
fails=0

# Why nothing can be compared here ("" when it can).
why_not() {
	if [ ! -e "$PRELOAD" ]; then
		echo "$PRELOAD is not built"
	elif ! unshare -i true 2>/dev/null; then
		echo "no private IPC namespace for the kernel side: needs root"
	elif ! "$NOIPC" true 2>/dev/null; then
		echo "progtool_noipc cannot install its seccomp filter"
	fi
}

if ldd "$PRELOAD" 2>/dev/null | grep -q libasan; then
	export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
	echo "# umq side: umq run -- CMD, the sanitized $PRELOAD" \
	     "(ASan runtime first, leak detection off), under progtool_noipc"
else
	echo "# umq side: umq run -- CMD ($PRELOAD), under progtool_noipc"
fi

# compare NAME CMD...: ok if stdout, stderr and exit status agree.  With
# KNOWN set (a documented difference), a difference is a skip naming it.
compare() {
	local name=$1 k=$WORK/$1.kernel u=$WORK/$1.umq ns=$WORK/$1.ns
	shift
	timeout -k 5 120 unshare -i "$@" >"$k" 2>"$k.err" </dev/null
	echo "exit status $?" >>"$k"
	timeout -k 5 120 unshare -i "$NOIPC" "$UMQ" run --dir "$ns" -- "$@" \
		>"$u" 2>"$u.err" </dev/null
	echo "exit status $?" >>"$u"
	rm -rf "$ns"
	if cmp -s "$k" "$u" && cmp -s "$k.err" "$u.err"; then
		echo "ok - $name"
		return
	fi
	if [ -n "${KNOWN:-}" ]; then
		echo "skip - $name (known difference: $KNOWN)"
	else
		echo "not ok - $name"
		fails=$((fails + 1))
	fi
	diff -u --label kernel --label umq "$k" "$u" | head -60 |
		sed 's/^/#   /'
	cmp -s "$k.err" "$u.err" ||
		diff -u --label "kernel stderr" --label "umq stderr" \
			"$k.err" "$u.err" | head -30 | sed 's/^/#   /'
}
