#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# versions.sh - libumq-preload.so exports the umq API under the very
# version nodes libumq.so does (umq_msgfd@@UMQ_0.2, setuid@UMQ_0.1 ...):
# a program linked with libumq.so that runs under the preload binds each
# of them to the preload's copy only if name and version agree.
set -u
B=${UMQ_BUILD:-build}

# "name@version" or "name@@version" (default), one a line, of the
# symbols a library defines under a UMQ_ version node.
umq_syms() {
	readelf --dyn-syms -W "$1" |
		awk '$7 != "UND" && $8 ~ /@@?UMQ_/ { print $8 }' | sort -u
}

lib=$B/libumq.so pre=$B/libumq-preload.so
for f in "$lib" "$pre"; do
	if [ ! -f "$f" ]; then
		echo "not ok - versions: no $f"
		exit 1
	fi
done
a=$(umq_syms "$lib") b=$(umq_syms "$pre")
n=$(grep -c . <<<"$a")
nodes=$(sed 's/.*@//' <<<"$a" | sort -u | tr '\n' ' ')
if [ "$n" -lt 40 ] || [ "$(wc -w <<<"$nodes")" -lt 4 ]; then
	echo "not ok - versions: libumq.so has only $n symbols under" \
	     "UMQ_ nodes ($nodes)"
	exit 1
fi
if [ "$a" = "$b" ]; then
	echo "ok - versions: the preload exports libumq.so's $n versioned" \
	     "symbols (nodes $nodes) alike"
	exit 0
fi
echo "not ok - versions: libumq.so and libumq-preload.so disagree" \
     "(< libumq.so only, > preload only):"
diff <(echo "$a") <(echo "$b") | grep '^[<>]' | head -40 | sed 's/^/#   /'
exit 1
