#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# metrics.sh - `umq metrics`: its output parsed by a real Prometheus
# parser (prometheus_client's, Debian's python3-prometheus-client), the
# values checked against the operations made; the same served by
# --listen and scraped over HTTP, with a 404 for another path and a
# silent client that must not hold up a scrape; bridges' status files,
# good and malformed, exported or left out.
#
# Output: ok - / not ok - / skip - lines, for test/run.sh.
set -u

. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

if ! [ -x "$PY" ] || ! "$PY" -c 'import prometheus_client.parser' 2>/dev/null
then
	echo "skip - metrics: no /usr/bin/python3 with prometheus_client (python3-prometheus-client)"
	exit 0
fi

srv=
cleanup_more() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
}
fresh_ns metrics


# The checker: reads the exposition on stdin, parses it with
# prometheus_client, prints one "ok - "/"not ok - " line per check.
cat >"$tmp/check.py" <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families

text = sys.stdin.read()
what = sys.argv[1]
try:
    fams = {f.name: f for f in text_string_to_metric_families(text)}
except Exception as e:
    print("not ok - %s: the parser refused it: %s" % (what, e))
    sys.exit(0)
print("ok - %s: parsed by prometheus_client" % what)

def sample(metric, **labels):
    for f in fams.values():
        for s in f.samples:
            if s.name == metric and all(s.labels.get(k) == v
                                      for k, v in labels.items()):
                return s.value
    return None

def check(desc, got, want):
    if got == want:
        print("ok - %s: %s" % (what, desc))
    else:
        print("not ok - %s: %s: got %r, want %r" % (what, desc, got, want))

# Every family has its HELP and TYPE, and the expected type.
types = {"umq_queue_messages": "gauge", "umq_queue_bytes": "gauge",
         "umq_queue_max_bytes": "gauge", "umq_sent_messages": "counter",
         "umq_received_messages": "counter", "umq_handoffs": "counter",
         "umq_refused": "counter", "umq_queue_messages_high_water": "gauge",
         "umq_blocked_senders": "gauge", "umq_blocked_receivers": "gauge",
         "umq_limit_msgmnb": "gauge", "umq_limit_queues_max": "gauge"}
bad = [n for n, t in types.items()
       if n not in fams or fams[n].type != t or not fams[n].documentation]
check("families with HELP and TYPE", bad, [])
lines = text.splitlines()
helps = [l.split()[2] for l in lines if l.startswith("# HELP ")]
check("one HELP per family", len(helps), len(set(helps)))

sv = dict(kind="sysv", key=sys.argv[2], id=sys.argv[3])
px = dict(kind="posix", name="/pm")
check("sysv messages", sample("umq_queue_messages", **sv), 2.0)
check("sysv bytes", sample("umq_queue_bytes", **sv), 30.0)
check("sysv max bytes (msg_qbytes)", sample("umq_queue_max_bytes", **sv), 4096.0)
check("sysv sent", sample("umq_sent_messages_total", **sv), 3.0)
check("sysv received", sample("umq_received_messages_total", **sv), 1.0)
check("sysv hand-offs", sample("umq_handoffs_total", **sv), 0.0)
check("sysv refused empty", sample("umq_refused_total", reason="empty", **sv), 0.0)
check("sysv refused full", sample("umq_refused_total", reason="full", **sv), 1.0)
check("sysv high water", sample("umq_queue_messages_high_water", **sv), 3.0)
check("sysv blocked", (sample("umq_blocked_senders", **sv),
                       sample("umq_blocked_receivers", **sv)), (0.0, 0.0))
check("posix messages", sample("umq_queue_messages", **px), 1.0)
check("posix max bytes", sample("umq_queue_max_bytes", **px), 3.0 * 32)
check("posix sent, received", (sample("umq_sent_messages_total", **px),
      sample("umq_received_messages_total", **px)), (2.0, 1.0))
check("posix refused empty", sample("umq_refused_total", reason="empty", **px), 0.0)
check("queues by kind", (sample("umq_queues", kind="sysv"),
      sample("umq_queues", kind="posix")), (1.0, 1.0))
check("limit msgmnb", sample("umq_limit_msgmnb"), float(sys.argv[4]))
if len(sys.argv) > 5:
    b = dict(bridge="good", direction="out")
    check("bridge published", sample("umq_bridge_published_total", **b), 120.0)
    check("bridge connected", sample("umq_bridge_connected", **b), 1.0)
    check("bridge lag", sample("umq_bridge_lag", **b), 3.0)
    check("bridge info: queue and subject",
          sample("umq_bridge_info", bridge="good", queue="/pm",
                 subject="jobs.new"), 1.0)
    check("bridge with a quote in its name",
          sample("umq_bridge_acked_total", bridge='we"ird\\x'), 7.0)
    names = sorted({s.labels.get("bridge") for f in fams.values()
                    for s in f.samples if "bridge" in s.labels})
    check("malformed bridge files left out", names, sorted(["good", 'we"ird\\x']))
EOF

# ---- queues with known counters ---------------------------------------
id=$("$UMQ" ipcmk -Q | awk '{ print $4 }')
key=$("$UMQ" lsipc -q -o KEY,ID --noheadings | awk -v id="$id" '$2 == id { print $1 }')
"$QOPS" -u set "$id" -1 -1 -1 4096
"$QOPS" -u snd "$id" 1 10 snd "$id" 1 20 snd "$id" 1 10 rcv "$id" 0
"$QOPS" -u snd "$id" 1 5000 2>/dev/null
"$QOPS" -u mq /pm 0644 3 32 mqsnd /pm 1 4 mqsnd /pm 1 4 mqrcv /pm
msgmnb=$("$UMQ" limits --raw --noheadings | awk '$1 == "msgmnb" { print $2 }')

out=$("$UMQ" metrics)
rc=$?
[ "$rc" = 0 ] && ok "umq metrics: exit 0" || notok "umq metrics: exit $rc"
"$PY" "$tmp/check.py" stdout "$key" "$id" "$msgmnb" <<<"$out"

# ---- bridges: one good file, a quoted name, and malformed ones --------
mkdir -p "$UMQ_DIR/bridges"
printf '%s\n' "direction out" "queue /pm" "subject jobs.new" \
	"stream JOBS" "pid 4242" "connected 1" "published_total 120" \
	"acked_total 118" "reconnects_total 2" "lag 3" \
	"updated $(date +%s)" "future_key whatever" >"$UMQ_DIR/bridges/good"
printf 'direction in\nqueue 0\nacked_total 7\n' >"$UMQ_DIR/bridges/we\"ird\\x"
printf 'direction in\nqueue 0\nacked_total 12x\n' >"$UMQ_DIR/bridges/badnum"
printf 'direction in\nacked_total 1\n' >"$UMQ_DIR/bridges/noqueue"
printf 'direction in\nqueue 0\nconnected 2\n' >"$UMQ_DIR/bridges/badconn"
printf 'direction in\0queue 0\n' >"$UMQ_DIR/bridges/binary"
head -c 100000 /dev/zero | tr '\0' 'a' >"$UMQ_DIR/bridges/huge"
printf 'novalue\n' >"$UMQ_DIR/bridges/novalue"
: >"$UMQ_DIR/bridges/empty"
mkdir "$UMQ_DIR/bridges/adir"
mkfifo "$UMQ_DIR/bridges/afifo"
ln -s /etc/passwd "$UMQ_DIR/bridges/alink"
out=$(timeout 20 "$UMQ" metrics)
rc=$?
[ "$rc" = 0 ] && ok "umq metrics with malformed bridge files: exit 0" ||
	notok "umq metrics with malformed bridge files: exit $rc"
"$PY" "$tmp/check.py" "stdout with bridges" "$key" "$id" "$msgmnb" bridges \
	<<<"$out"

# ---- queues_max -1: no limit to the kernel, which compares it unsigned;
# a gauge of -1 would make any usage ratio negative
old=$("$UMQ" limits --raw --noheadings | awk '$1 == "queues_max" { print $2 }')
"$UMQ" limits --set queues_max=-1 >/dev/null
got=$("$UMQ" metrics | awk '$1 == "umq_limit_queues_max" { print $2 }')
[ "$got" = 4294967295 ] && ok "metrics: queues_max -1 is 4294967295" ||
	notok "metrics: queues_max -1 is $got"
got=$("$UMQ" lsipc -g -r --noheadings -o RESOURCE,LIMIT |
	awk '$1 == "MQUMNI" { print $2 }')
[ "$got" = 4294967295 ] && ok "lsipc -g: queues_max -1 is 4294967295" ||
	notok "lsipc -g: queues_max -1 is $got"
"$UMQ" limits --set queues_max="$old" >/dev/null

# ---- another user: every System V queue (MSG_STAT_ANY's rule), only the
# POSIX queues it may read
"$QOPS" -u mq /secret 0600 2 16
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	out=$(setpriv --reuid 65534 --regid 65534 --clear-groups \
		"$UMQ" metrics | grep '^umq_queue_messages{')
	want="umq_queue_messages{kind=\"sysv\",key=\"$key\",id=\"$id\"} 2
umq_queue_messages{kind=\"posix\",name=\"/pm\"} 1"
	[ "$(sort <<<"$out")" = "$(sort <<<"$want")" ] &&
		ok "uid 65534: the System V queue and the readable POSIX queue, not /secret" ||
		notok "uid 65534 sees: $out"
else
	echo "skip - metrics as another user: needs root and setpriv"
fi
"$UMQ" ipcrm --posix-mqueue /secret

# ---- whose bridge files count: bridges/ is every user's (sticky), so a
# file is believed only from root, the namespace's owner or the caller,
# and bridges/ only if one of them owns it (its owner may rename any file
# in it); each user a real one
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	as() { local u=$1; shift; setpriv --reuid "$u" --regid "$u" --clear-groups "$@"; }
	# bridges UID [DIR]: the bridge names uid's `umq metrics` shows
	# (but the one with a quote)
	bridges() {
		UMQ_DIR=${2:-$UMQ_DIR} as "$1" "$UMQ" metrics |
			sed -n 's/^umq_bridge_info{bridge="\([^"\\]*\)".*/\1/p' |
			sort | tr '\n' ' '
	}
	put() {	# put UID FILE: a well-formed status file, made by uid
		as "$1" sh -c 'printf "direction out\nqueue /pm\nlag 99999\n" >"$1"' sh "$2"
	}
	put 65534 "$UMQ_DIR/bridges/forged"
	printf 'direction out\nqueue /pm\n' >"$UMQ_DIR/bridges/gw"
	chmod 666 "$UMQ_DIR/bridges/gw"
	check "bridges: another user's file, or one others may write, left out" \
		"good " "$(bridges 0)"
	check "bridges: the caller's own file shown, with root's" \
		"forged good " "$(bridges 65534)"
	rm "$UMQ_DIR/bridges/forged" "$UMQ_DIR/bridges/gw"
	# a namespace of uid 1000's
	mkdir "$tmp/o" && chown 1000:1000 "$tmp/o"
	o=$tmp/o/ns
	UMQ_DIR=$o as 1000 "$UMQ" ipcmk -Q >/dev/null
	put 1000 "$o/bridges/own"
	put 65534 "$o/bridges/other"
	check "bridges: the namespace owner's file shown, not another user's" \
		"own " "$(bridges 0 "$o")"
	check "bridges: uid 65534 sees its own and the namespace owner's" \
		"other own " "$(bridges 65534 "$o")"
	# bridges/ made by another user (a namespace older than December 5)
	rm -r "$o/bridges"
	as 65534 mkdir -m 1777 "$o/bridges"
	put 1000 "$o/bridges/own"
	check "bridges: nothing from a bridges/ of another user's" \
		"" "$(bridges 0 "$o")"
	check "bridges: ... which its owner believes" "own " "$(bridges 65534 "$o")"
	rm -r "$o/bridges"
	ln -s "$UMQ_DIR/bridges" "$o/bridges"
	check "bridges: nothing through a bridges/ that is a link" \
		"" "$(bridges 0 "$o")"
else
	echo "skip - bridge files of other users: needs root and setpriv"
fi

# ---- names that are not UTF-8 (any byte but NUL and '/' makes a POSIX
# name; a bridge file is any user's): each byte of a character that is not
# well formed (0xff, a surrogate) as U+FFFD, since the format is UTF-8
"$QOPS" -u mq $'/u\xff\xed\xa0\x80\xc3\xa9' 0644 2 16
printf 'direction out\nqueue /u\377\n' >"$UMQ_DIR/bridges/b"$'\xfe'
"$UMQ" metrics >"$tmp/utf8.out"
got=$("$PY" -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
try:
    text = open(sys.argv[1], "rb").read().decode("utf-8")
except UnicodeDecodeError as e:
    print("not UTF-8:", e); sys.exit(0)
for f in text_string_to_metric_families(text):
    for s in f.samples:
        l = s.labels
        if s.name == "umq_queue_messages" and l["name" if "name" in l else "id"].startswith("/u"):
            print(ascii(l["name"]))
        if s.name == "umq_bridge_info" and l["bridge"].startswith("b"):
            print(ascii(l["bridge"]), ascii(l["queue"]))' "$tmp/utf8.out" 2>&1)
check "metrics: each byte of a label not UTF-8 as U+FFFD" \
	"'/u\ufffd\ufffd\ufffd\ufffd\xe9'
'b\ufffd' '/u\ufffd'" "$got"
"$UMQ" ipcrm --posix-mqueue $'/u\xff\xed\xa0\x80\xc3\xa9'
rm "$UMQ_DIR/bridges/b"$'\xfe'

# ---- served over HTTP -------------------------------------------------
"$UMQ" metrics --listen 127.0.0.1:0 >"$tmp/srv.out" 2>"$tmp/srv.err" &
srv=$!
url=
for ((i = 0; i < 100; i++)); do
	url=$(sed -n 's/^listening on //p' "$tmp/srv.out")
	[ -n "$url" ] && break
	sleep 0.1
done
if [ -z "$url" ]; then
	notok "metrics --listen: no address printed ($(cat "$tmp/srv.err"))"
	exit 0
fi
ok "metrics --listen 127.0.0.1:0: serving at $url"
cat >"$tmp/scrape.py" <<'EOF'
import socket, sys, urllib.request, urllib.error
url, what = sys.argv[1], sys.argv[2]
base = url.rsplit("/", 1)[0]
host, port = base.split("//")[1].rsplit(":", 1)
if what == "metrics":
    r = urllib.request.urlopen(url, timeout=10)
    ct = r.headers.get("Content-Type")
    body = r.read().decode()
    sys.stderr.write("status %d %s\n" % (r.status, ct))
    print(body, end="")
elif what == "404":
    try:
        urllib.request.urlopen(base + "/other", timeout=10)
        print("200")
    except urllib.error.HTTPError as e:
        print(e.code)
elif what == "silent":
    # Three clients that connect and say nothing, or half a request;
    # a scrape beside them is answered all the same.
    held = []
    for i in range(3):
        s = socket.create_connection((host, int(port)), timeout=10)
        if i == 1:
            s.sendall(b"GET /metr")
        held.append(s)
    r = urllib.request.urlopen(url, timeout=10)
    print(r.status, len(r.read()) > 0)
elif what == "garbage":
    s = socket.create_connection((host, int(port)), timeout=10)
    s.sendall(b"\x00\xff garbage\r\n\r\n")
    print(s.recv(100).split(b"\r\n")[0].decode())
EOF
body=$(timeout 30 "$PY" "$tmp/scrape.py" "$url" metrics 2>"$tmp/hdr")
if grep -q '^status 200 text/plain; version=0.0.4' "$tmp/hdr"; then
	ok "GET /metrics: 200, text/plain; version=0.0.4"
else
	notok "GET /metrics: $(cat "$tmp/hdr")"
fi
"$PY" "$tmp/check.py" "scraped over HTTP" "$key" "$id" "$msgmnb" bridges \
	<<<"$body"
got=$(timeout 30 "$PY" "$tmp/scrape.py" "$url" 404 2>&1)
[ "$got" = 404 ] && ok "GET /other: 404" || notok "GET /other: $got"
got=$(timeout 30 "$PY" "$tmp/scrape.py" "$url" silent 2>&1)
[ "$got" = "200 True" ] && ok "a scrape beside silent clients: answered" ||
	notok "a scrape beside silent clients: $got"
got=$(timeout 30 "$PY" "$tmp/scrape.py" "$url" garbage 2>&1)
[ "$got" = "HTTP/1.1 400 Bad Request" ] && ok "a garbage request: 400" ||
	notok "a garbage request: $got"
if kill -0 "$srv" 2>/dev/null; then
	ok "the server still runs after bad clients"
else
	notok "the server died"
fi
kill -TERM "$srv"
timeout 20 tail --pid="$srv" -f /dev/null
wait "$srv"
rc=$?
srv=
[ "$rc" = 0 ] && ok "SIGTERM: the server exits 0" ||
	notok "SIGTERM: the server exits $rc"

# ---- bad input --------------------------------------------------------
out=$("$UMQ" metrics --listen nonsense 2>&1)
rc=$?
[ "$rc" = 1 ] && [[ "$out" == "umq metrics: invalid address: 'nonsense'"* ]] &&
	ok "--listen without a port: one line, exit 1" ||
	notok "--listen nonsense: rc=$rc $out"
for a in 127.0.0.1:65536 127.0.0.1:74465 127.0.0.1:-1 127.0.0.1:0x50; do
	out=$(timeout 5 "$UMQ" metrics --listen "$a" 2>&1)
	rc=$?
	[ "$rc" = 1 ] && [[ "$out" == "umq metrics: invalid address: '$a'"* ]] &&
		[ "$(wc -l <<<"$out")" = 1 ] &&
		ok "--listen $a: one line, exit 1" ||
		notok "--listen $a: rc=$rc $out"
done
out=$("$UMQ" metrics --dir "$tmp/none" 2>&1)
rc=$?
[ "$rc" = 1 ] && [ "$(wc -l <<<"$out")" = 1 ] &&
	ok "no namespace: one line, exit 1" ||
	notok "no namespace: rc=$rc $out"
