#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# install.sh - `make install` as a user of the library meets it: install
# into a DESTDIR, build a program with `pkg-config --cflags --libs umq`
# and run it, run the installed umq (and `umq run` on the installed
# preload, from an install whose prefix is a temporary directory, as umq
# looks for the preload in the libdir it was built for), render every man
# page with groff warnings as errors, then `make uninstall` and check
# nothing is left.  Built in a build tree of its own, never sanitized.
# Output: ok/not ok/skip lines (test/run.sh).
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd) || exit 1
T=$(mktemp -d /tmp/umq-install-test.XXXXXX) || exit 1
MQNAME=/umq-install-test-$$
trap 'rm -rf "$T"; rm -f "/dev/mqueue$MQNAME"' EXIT
D=$T/dest
P=$T/pfx

ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; [ -s "$T/log" ] && sed 's/^/# /' "$T/log" | tail -20; }
check() {	# check NAME CMD...: ok when CMD succeeds
	local name=$1
	shift
	if "$@" >"$T/log" 2>&1; then ok "$name"; else nok "$name"; fi
}

# The make of `make check` passes its own variables (SAN=1, -j) down in
# MAKEFLAGS: this make must see none of them.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SAN \
		make -C "$SRC" -s -j2 BUILD="$T/build" "$@"
}

if ! mk install DESTDIR="$D" prefix=/usr >"$T/log" 2>&1; then
	nok "make install DESTDIR=... prefix=/usr"
	exit 1
fi
ok "make install DESTDIR=... prefix=/usr"

# ---- the installed files
L=$D/usr/lib
major=$(sed -n 's/^#define UMQ_VERSION_MAJOR \([0-9]*\)$/\1/p' "$SRC/include/umq.h")
minor=$(sed -n 's/^#define UMQ_VERSION_MINOR \([0-9]*\)$/\1/p' "$SRC/include/umq.h")
files_ok() {
	[ -f "$L/libumq.so.$major.$minor.0" ] && [ ! -L "$L/libumq.so.$major.$minor.0" ] &&
	[ "$(readlink "$L/libumq.so.0")" = "libumq.so.$major.$minor.0" ] &&
	[ "$(readlink "$L/libumq.so")" = libumq.so.0 ] &&
	[ -f "$L/libumq.a" ] && [ -f "$L/libumq-preload.so" ] &&
	[ -x "$D/usr/bin/umq" ] && [ -x "$D/usr/bin/umq-agent" ] &&
	grep -qx 'ExecStart=/usr/bin/umq-agent --dir %f' \
		"$D/usr/lib/systemd/system/umq-agent@.service" &&
	[ -f "$D/usr/include/umq.h" ] &&
	[ -f "$L/pkgconfig/umq.pc" ] &&
	[ -f "$D/usr/share/man/man1/umq.1" ] &&
	[ -f "$D/usr/share/man/man7/umq.7" ] &&
	[ -f "$D/usr/share/man/man3/umq_msgget.3" ] &&
	# The SONAME is the name of the link the dynamic linker looks for.
	LC_ALL=C readelf -d "$L/libumq.so.0" |
		grep -q 'SONAME.*\[libumq\.so\.0\]'
}
check "libumq.so.$major.$minor.0 with its libumq.so.0 and libumq.so links, libumq.a, the preload, umq, umq-agent and its systemd unit, umq.h, umq.pc, man pages" files_ok

# ---- a program built with pkg-config, run on the installed library
cat >"$T/prog.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <umq.h>

int main(void)
{
	struct { long mtype; char text[64]; } m = { 1, "hello" }, r;
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	char buf[64];
	unsigned prio;
	int id = umq_msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	mqd_t q;

	if (id < 0 || umq_msgsnd(id, &m, sizeof(m.text), 0) ||
	    umq_msgrcv(id, &r, sizeof(r.text), 0, 0) != sizeof(r.text) ||
	    umq_msgctl(id, IPC_RMID, NULL))
		return perror("System V"), 1;
	q = umq_mq_open("/jobs", O_CREAT | O_RDWR, 0600, &attr);
	if (q == (mqd_t)-1 || umq_mq_send(q, "urgent", 6, 9) ||
	    umq_mq_receive(q, buf, sizeof(buf), &prio) != 6 ||
	    umq_mq_close(q) || umq_mq_unlink("/jobs"))
		return perror("POSIX"), 1;
	printf("%s %.6s %u %d.%d\n", r.text, buf, prio, UMQ_VERSION_MAJOR,
	       UMQ_VERSION_MINOR);
	return 0;
}
EOF
if ! command -v pkg-config >/dev/null; then
	echo "skip - pkg-config: not installed"
else
	export PKG_CONFIG_LIBDIR=$L/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
	unset PKG_CONFIG_PATH
	flags=$(pkg-config --cflags --libs umq 2>"$T/log")
	flags=${flags% }
	check "pkg-config --modversion umq is $major.$minor" \
		test "$(pkg-config --modversion umq)" = "$major.$minor"
	check "pkg-config --cflags --libs umq points into the DESTDIR" \
		test "$flags" = "-I$D/usr/include -L$L -lumq"
	check "pkg-config --static --libs umq adds -pthread" \
		grep -q -- '-pthread' <<<"$(pkg-config --static --libs umq)"
	# shellcheck disable=SC2086 # word splitting of the flags is wanted
	check "a program builds with pkg-config --cflags --libs umq" \
		cc -o "$T/prog" "$T/prog.c" $flags
	run_prog() {
		out=$(LD_LIBRARY_PATH=$L UMQ_DIR=$T/ns "$T/prog") &&
		[ "$out" = "hello urgent 9 $major.$minor" ] &&
		LD_LIBRARY_PATH=$L ldd "$T/prog" |
			grep -q "libumq\.so\.0 => $L/libumq\.so\.0 "
	}
	check "it runs on the installed libumq.so.0" run_prog
	unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
fi

# ---- the installed command
check "installed umq --help" "$D/usr/bin/umq" --help
check "installed umq --version says $major.$minor" \
	test "$("$D/usr/bin/umq" --version)" = "umq $major.$minor"
check "installed umq run --help names the libdir /usr/lib" \
	grep -q '/usr/lib\.' <<<"$("$D/usr/bin/umq" run --help)"

# `umq run` from an install whose libdir exists: a plain program's
# mq_open reaches umq (the kernel's /dev/mqueue stays without it).
cat >"$T/plain.c" <<'EOF'
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (mq_open(argv[1], O_CREAT | O_RDWR, 0600, NULL) == (mqd_t)-1)
		return perror("mq_open"), 1;
	return 0;
}
EOF
if ! mk install prefix="$P" >"$T/log" 2>&1; then
	nok "make install prefix=TMP"
else
	ok "make install prefix=TMP"
	run_installed() {
		cc -o "$T/plain" "$T/plain.c" -lrt &&
		[ "$("$P/bin/umq" run -- sh -c 'echo "$LD_PRELOAD"')" = \
		  "$P/lib/libumq-preload.so" ] &&
		"$P/bin/umq" run --dir "$T/ns2" -- "$T/plain" "$MQNAME" &&
		[ ! -e "/dev/mqueue$MQNAME" ] &&
		"$P/bin/umq" cat --dir "$T/ns2" mqueue | grep -q "^$MQNAME:QSIZE:0 "
	}
	check "installed umq run finds the installed preload" run_installed
fi

# ---- the man pages, from the installed tree (.so links resolve there)
if ! command -v groff >/dev/null; then
	echo "skip - man pages render: groff not installed"
else
	render() {
		local f n=0 bad=0
		cd "$D/usr/share/man" || return 1
		for f in man*/*; do
			n=$((n + 1))
			out=$(groff -s -man -ww -Tutf8 "$f" 2>&1 >/dev/null)
			if [ -n "$out" ] ||
			   [ "$(groff -s -man -Tutf8 "$f" 2>/dev/null | wc -l)" -lt 10 ]; then
				echo "$f: ${out:-empty}"
				bad=1
			fi
			if command -v man >/dev/null; then
				out=$(MANWIDTH=80 man -l --warnings "$f" 2>&1 >/dev/null)
				[ -z "$out" ] || { echo "$f: man: $out"; bad=1; }
			fi
		done
		echo "$n pages"
		[ "$n" -ge 30 ] && [ "$bad" = 0 ]
	}
	check "every man page renders without a warning" render
	# Every public function of the library has its page.
	pages() {
		local s bad=0
		for s in $(grep -o 'umq_[a-z_]*;' "$SRC/src/libumq.map" | tr -d ';'); do
			[ -f "$D/usr/share/man/man3/$s.3" ] || { echo "no page: $s"; bad=1; }
		done
		[ "$bad" = 0 ]
	}
	check "every exported function has a section 3 page" pages
fi

# ---- uninstall removes exactly what install put
mk uninstall DESTDIR="$D" prefix=/usr >"$T/log" 2>&1 &&
	mk uninstall prefix="$P" >>"$T/log" 2>&1
left() {
	find "$D" "$P" ! -type d
	[ -z "$(find "$D" "$P" ! -type d)" ]
}
check "make uninstall leaves no file behind" left
