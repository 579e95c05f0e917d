#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cmd_run.sh - tests of the umq tool's dispatcher and of `umq run`: its
# environment, exit statuses and messages.  A copy of umq beside a stub
# library (which interposes nothing) stands for the build tree, so these
# test the launcher, not the preload library (preload/test/ does).
# Output: ok/not ok/skip lines (test/run.sh).  Build tree: $UMQ_BUILD.
set -u
B=${UMQ_BUILD:-build}
B=$(cd "$B" && pwd) || exit 1
UMQ=$B/umq
STUB=$B/clients/libstub.so
fails=0

for f in "$UMQ" "$STUB"; do
	if [ ! -x "$f" ] && [ ! -r "$f" ]; then
		echo "not ok - setup ($f is not built)"
		exit 1
	fi
done

T=$(mktemp -d /tmp/umq-run-test.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
mkdir "$T/tree"
cp "$UMQ" "$T/tree/umq"
cp "$STUB" "$T/tree/libumq-preload.so"
U=$T/tree/umq
# A sanitized umq (make SAN=1) puts its ASan runtime first (umq/run.c).
ASAN=$(ldd "$UMQ" | awk '$1 ~ /^libasan\.so/ { print $3 ":" }')
LIB=$ASAN$T/tree/libumq-preload.so

# expect NAME RC STDOUT STDERR CMD...: run CMD (no stdin), compare all three.
expect() {
	local name=$1 rc=$2 out=$3 err=$4
	shift 4
	local got_out got_err got_rc
	got_out=$("$@" 2>"$T/err" </dev/null)
	got_rc=$?
	got_err=$(cat "$T/err")
	if [ "$got_rc" = "$rc" ] && [ "$got_out" = "$out" ] &&
	   [ "$got_err" = "$err" ]; then
		echo "ok - $name"
		return
	fi
	echo "not ok - $name"
	fails=$((fails + 1))
	echo "#   command: $*"
	echo "#   status $got_rc, expected $rc"
	[ "$got_out" = "$out" ] ||
		diff <(echo "$out") <(echo "$got_out") | sed 's/^/#   stdout: /'
	[ "$got_err" = "$err" ] ||
		diff <(echo "$err") <(echo "$got_err") | sed 's/^/#   stderr: /'
}

# The environment a program sees: its LD_PRELOAD and UMQ_DIR.
SHOW='printf "%s|%s\n" "${LD_PRELOAD-unset}" "${UMQ_DIR-unset}"'
clean_env() { env -u LD_PRELOAD -u UMQ_DIR "$@"; }

hint_run="Try 'umq run --help' for more information."
hint="Try 'umq --help' for more information."

# ---- the dispatcher ----------------------------------------------------
out=$("$U" --help); rc=$?
if [ $rc = 0 ] && grep -q '^Usage:' <<<"$out" &&
   grep -q '^ run ' <<<"$out"; then
	echo "ok - umq --help lists the commands"
else
	echo "not ok - umq --help lists the commands (status $rc)"
	fails=$((fails + 1))
fi
out=$("$U" run --help); rc=$?
if [ $rc = 0 ] && grep -q '^ umq run \[options\]' <<<"$out"; then
	echo "ok - umq run --help"
else
	echo "not ok - umq run --help (status $rc)"
	fails=$((fails + 1))
fi
H=$(dirname "$0")/../../include/umq.h
V=$(sed -n 's/^#define UMQ_VERSION_MAJOR //p' "$H").$(sed -n 's/^#define UMQ_VERSION_MINOR //p' "$H")
expect "umq --version" 0 "umq $V" "" "$U" --version
# util-linux's ipcs, lsipc, ipcmk and ipcrm take -V: so do umq's, which
# print umq's version (no namespace needed)
for c in ipcs lsipc ipcmk ipcrm; do
	for o in -V --version; do
		expect "umq $c $o" 0 "umq $V" "" "$U" "$c" "$o" --dir "$T/none"
	done
done
# As util-linux's tools and umq's commands: a failed write is status 1.
for o in --help --version; do
	expect "umq $o to a full device" 1 "" \
		"umq: write error: No space left on device" \
		sh -c '"$@" >/dev/full' - "$U" "$o"
done
expect "umq without a command" 1 "" \
	"umq: no command specified"$'\n'"$hint" "$U"
expect "unknown command" 1 "" \
	"umq: unknown command 'frob'"$'\n'"$hint" "$U" frob
expect "unknown option of umq" 1 "" \
	"umq: unrecognized option '--frob'"$'\n'"$hint" "$U" --frob
expect "run without a program" 1 "" \
	"umq run: no program specified"$'\n'"$hint_run" "$U" run
expect "run with an unknown long option" 1 "" \
	"umq run: unrecognized option '--frob'"$'\n'"$hint_run" "$U" run --frob ls
expect "run with an unknown short option" 1 "" \
	"umq run: invalid option -- 'x'"$'\n'"$hint_run" "$U" run -x ls
expect "run --dir without its argument" 1 "" \
	"umq run: option '--dir' requires an argument"$'\n'"$hint_run" \
	"$U" run --dir
expect "run -d without its argument" 1 "" \
	"umq run: option requires an argument -- 'd'"$'\n'"$hint_run" "$U" run -d
expect "run with an empty --dir" 1 "" \
	"umq run: empty namespace directory"$'\n'"$hint_run" \
	"$U" run --dir= -- true

# ---- the environment ---------------------------------------------------
expect "LD_PRELOAD and the default UMQ_DIR" 0 "$LIB|/dev/shm/umq" "" \
	clean_env "$U" run -- sh -c "$SHOW"
expect "an empty UMQ_DIR is the default" 0 "$LIB|/dev/shm/umq" "" \
	clean_env UMQ_DIR= "$U" run -- sh -c "$SHOW"
# (A sanitized umq must not refuse to start for the LD_PRELOAD it is given.)
expect "prepended to an existing LD_PRELOAD" 0 "$LIB:$STUB|/dev/shm/umq" "" \
	clean_env LD_PRELOAD="$STUB" ASAN_OPTIONS=verify_asan_link_order=0 \
	"$U" run -- sh -c "$SHOW"
expect "UMQ_DIR from the environment" 0 "$LIB|/srv/q" "" \
	clean_env UMQ_DIR=/srv/q "$U" run -- sh -c "$SHOW"
expect "--dir wins over UMQ_DIR" 0 "$LIB|/srv/other" "" \
	clean_env UMQ_DIR=/srv/q "$U" run --dir /srv/other -- sh -c "$SHOW"
expect "-d DIR" 0 "$LIB|/srv/other" "" \
	clean_env "$U" run -d /srv/other sh -c "$SHOW"
expect "--dir=DIR relative to the current directory" 0 "$LIB|$T/ns" "" \
	clean_env sh -c 'cd "$1" && shift && exec "$@"' - "$T" \
	"$U" run --dir=ns -- sh -c "$SHOW"
expect "a relative UMQ_DIR made absolute" 0 "$LIB|$T/a/b" "" \
	clean_env UMQ_DIR=a/b sh -c 'cd "$1" && shift && exec "$@"' - "$T" \
	"$U" run -- sh -c "$SHOW"
expect "without --, the program's options are its own" 0 "x -d y --help" "" \
	"$U" run sh -c 'echo "$@"' sh x -d y --help
expect "after --, arguments reach the program verbatim" 0 "-- --dir -h" "" \
	"$U" run -- sh -c 'echo "$@"' sh -- --dir -h
expect "the program replaces umq (same process)" 0 "same" "" \
	sh -c 'p=$$; exec "$0" run -- sh -c "[ \$\$ = $p ] && echo same"' "$U"
mkdir "$T/link"
ln -s "$U" "$T/link/umq"
expect "found beside the real executable, not a symlink to it" 0 \
	"$LIB|/dev/shm/umq" "" clean_env "$T/link/umq" run -- sh -c "$SHOW"

# ---- exit statuses -----------------------------------------------------
expect "the program's exit status" 42 "" "" "$U" run -- sh -c 'exit 42'
expect "the program's death by a signal" 0 "143" "" \
	sh -c 'exec 2>/dev/null; "$0" run -- sh -c "kill -TERM \$\$"
	       echo $?' "$U"
expect "a program not found is 127" 127 "" \
	"umq run: failed to execute $T/none: No such file or directory" \
	"$U" run -- "$T/none"
expect "a program not found in PATH is 127" 127 "" \
	"umq run: failed to execute umq-no-such-program: No such file or directory" \
	env PATH=/usr/bin:/bin "$U" run umq-no-such-program
printf '#!/bin/sh\necho hi\n' >"$T/noexec"
chmod 644 "$T/noexec"
expect "a program that is not executable is 126" 126 "" \
	"umq run: failed to execute $T/noexec: Permission denied" \
	"$U" run -- "$T/noexec"
expect "a directory is 126" 126 "" \
	"umq run: failed to execute $T: Permission denied" "$U" run -- "$T"

# ---- finding the library -------------------------------------------------
mkdir "$T/alone"
cp "$UMQ" "$T/alone/umq"
err=$("$T/alone/umq" run -- sh -c 'echo "$LD_PRELOAD"' 2>&1 >"$T/out")
rc=$?
if [ $rc = 0 ]; then
	echo "skip - a missing library is one line and status 1" \
	     "(installed: $(cat "$T/out"))"
elif [ $rc = 1 ] && [ "$(wc -l <<<"$err")" = 1 ] &&
     [[ $err == "umq run: cannot find libumq-preload.so (looked in $T/alone and /"*")" ]]; then
	echo "ok - a missing library is one line and status 1"
else
	echo "not ok - a missing library is one line and status 1"
	echo "#   status $rc: $err"
	fails=$((fails + 1))
fi
# Without /proc, where umq is is unknown: said so, not "looked in ?".
# (Under the sanitizers, LeakSanitizer cannot run without /proc, and
# ASan says so: its lines, "==PID==...", are not umq's.)
err=$(ASAN_OPTIONS=detect_leaks=0 unshare --mount sh -c \
	'umount -l /proc && exec "$@"' - "$T/alone/umq" run -- true 2>&1)
rc=$?
err=$(grep -v '^==[0-9]*==' <<<"$err")
if [ $rc = 0 ]; then
	echo "skip - without /proc, the message says where it looked (installed)"
elif [[ $err == "umount: "* || $err == "unshare: "* ]]; then
	echo "skip - without /proc, the message says where it looked (needs root)"
elif [[ $err == "umq run: cannot find libumq-preload.so in /"*" (nor beside umq: /proc/self/exe: No such file or directory)" ]]; then
	echo "ok - without /proc, the message says where it looked"
else
	echo "not ok - without /proc, the message says where it looked"
	echo "#   $err"
	fails=$((fails + 1))
fi
mkdir "$T/a:b"
cp "$UMQ" "$STUB" "$T/a:b/"
mv "$T/a:b/libstub.so" "$T/a:b/libumq-preload.so"
expect "a library path with a colon is refused" 1 "" \
	"umq run: cannot preload $T/a:b/libumq-preload.so: its path has a space or a colon" \
	"$T/a:b/umq" run -- true
if [ -e "$B/libumq-preload.so" ]; then
	expect "the build tree's umq uses the build tree's library" 0 \
		"$ASAN$B/libumq-preload.so|/dev/shm/umq" "" \
		clean_env "$UMQ" run -- sh -c "$SHOW"
else
	echo "skip - the build tree's umq uses the build tree's library" \
	     "($B/libumq-preload.so is not built)"
fi

[ "$fails" -eq 0 ]
