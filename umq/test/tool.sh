#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tool.sh - the `umq` command against util-linux on the kernel.
#
# Each scenario builds the same queues twice - on the kernel, in a
# private IPC namespace, and on umq, in a fresh namespace directory -
# with the same keys, modes, owners (some as uid 1000), messages and
# sizes, then runs util-linux's ipcs/lsipc/ipcmk/ipcrm (and cat of the
# kernel's files) on one side and `umq ...` on the other, and compares
# stdout, stderr and the exit status of every step byte for byte.
#
# Both sides run in a fresh pid namespace, under the same shell doing the
# same forks, so the pids the queues record (lspid, lrpid, NOTIFY_PID)
# are the same numbers; only times are masked (the two runs are seconds
# apart), and /proc/sysvipc/msg's times are then compared with a
# tolerance.  What umq does beyond util-linux 2.38 (POSIX listings of
# 2.41, namespaces, limits) is checked against expected text.
#
# Output: ok - / not ok - / skip - lines, for test/run.sh.
set -u

. "$(dirname "$0")/lib.sh"
AS1000="setpriv --reuid 1000 --regid 1000 --clear-groups"

# ---- one side of a scenario (run in its own namespaces) -----------------

# run NAME CMD...: record stdout, stderr and exit status of CMD.  No
# subshell: the pids of both sides must advance alike.
run() {
	local n=$1
	shift
	"$@" >"$OUT/$n.out" 2>"$OUT/$n.err" </dev/null
	echo $? >"$OUT/$n.rc"
}

side_sysv() {
	$Q get 0x1234 0644 get 0x7fffffff 0600 get -5 0666 \
		snd 0 1 100 snd 0 2 1500 snd 2 3 0 rcv 0 1
	$AS1000 $Q get 0 0640 snd 3 1 5000
	setpriv --reuid 1000 --regid 0 --clear-groups $Q get 0x4444 0604
	$Q set 1 4242 4343 0660 16000
	local i=0 o
	for o in "" -t -p -c -l -u --human -b "-l --human" "-l -b" \
		"-u --human" "-u -b" "-i 0" "-i 1 --human" "-i 3 -b" "-i 99" \
		"-i -5" "-t --human"; do
		i=$((i + 1))
		run "ipcs.$i" $IPCS -q $o
	done
	i=0
	for o in "" -b -P "-o KEY,MSGS" "-o +CUSER" -e -n -l "-i 99" \
		"-i 0 -o KEY,ID" "-i 0 -c" "-i 0 --json" \
		"--time-format=iso -t" "--time-format=full -t" \
		"--noheadings -r" "-i 0" "-i 1" "-i 4" "-t -r" "-c" "-c -t" \
		"-o KEY,ID,OWNER,PERMS,CUID,CUSER,CGID,CGROUP,UID,USER,GID,GROUP,CTIME,USEDBYTES,MSGS,SEND,RECV,LSPID,LRPID" \
		--json "-g" "-g -b" "--json -o ID,SEND,CUSER" "-i -5" "-e -t" \
		"-n -c" "-q" "-o key" "-i 2 -l" "-i 2 -r" "-i 2 -e" \
		"--noheadings" "-o ID,PERMS,MSGS --noheadings" "-o KEY,PERMS -P" \
		"-o PERMS,KEY -P" "-i 0 -o +KEY" "-i 1 -o +CUSER,KEY -b" \
		"-o $(printf 'ID,%.0s' {1..67})MSGS" \
		"-o $(printf 'ID,%.0s' {1..68})MSGS" \
		"-o +$(printf 'ID,%.0s' {1..59})ID" \
		"-o +$(printf 'ID,%.0s' {1..60})ID" \
		"-i 0 -o +$(printf 'KEY,%.0s' {1..33})KEY" \
		"-i 0 -o +$(printf 'KEY,%.0s' {1..34})KEY" \
		"-i 0 -o +$(printf 'KEY,%.0s' {1..34})KEY," \
		"-i 0 -o +$(printf 'KEY,%.0s' {1..35})KEY," \
		"-i 0 -l -o +$(printf 'KEY,%.0s' {1..51})KEY" \
		"-i 0 -l -o +$(printf 'KEY,%.0s' {1..52})KEY" \
		"-o KEY,FOO,ID" "-o KEY,SIZE,ID" "-o NAME" "-o KEY,mtime" \
		"-o SVAL,KEY" "-g -o NAME"; do
		i=$((i + 1))
		run "lsipc.$i" $LSIPC -q $o
	done
	run sysvipc $CATSYSV
	run as1000.ipcs $AS1000 $IPCS -q
	run as1000.ipcs-i $AS1000 $IPCS -q -i 1
	run as1000.lsipc $AS1000 $LSIPC -q -i 1

	# Sizes shown for people, on msg_qbytes of every magnitude.
	if [ "$SIDE" = k ]; then
		echo 2147483647 >/proc/sys/kernel/msgmnb
	else
		$UMQ limits --set msgmnb=2147483647 >/dev/null
	fi
	for o in 0 1 1023 1024 1025 1075 1076 1536 10239 10240 1048575 \
		1048576 1572864 104857599 1073741824 1610612736 2147483647; do
		$Q set 2 -1 -1 -1 $o
		run "human.$o" $IPCS -q -i 2 --human
	done

	# The namespace's limits.
	if [ "$SIDE" = k ]; then
		echo 100 >/proc/sys/kernel/msgmni
		echo 4096 >/proc/sys/kernel/msgmax
		echo 2000 >/proc/sys/kernel/msgmnb
	else
		$UMQ limits --set msgmni=100 --set msgmax=4096 \
			--set msgmnb=2000 >/dev/null
	fi
	run limits.1 $IPCS -q -l
	run limits.2 $IPCS -q -l --human
	run limits.3 $IPCS -q -l -b
	run limits.4 $LSIPC -q -g
	run limits.5 $LSIPC -q -g -b
	run limits.6 $LSIPC -q -g --json -o RESOURCE,LIMIT,USED,USE%
	run limits.7 $LSIPC -q -g -r
	# -o +LIST to lsipc's 68 columns; past them it fails (umq says why)
	run limits.8 $LSIPC -q -g -o +$(printf 'LIMIT,%.0s' {1..54})LIMIT
	run limits.9 $LSIPC -q -g -o +$(printf 'LIMIT,%.0s' {1..55})LIMIT
}

side_errors() {
	$Q get 0x1234 0644 get 0x5678 0600
	local i=0 c
	while IFS= read -r c; do
		i=$((i + 1))
		eval "run err.$i $c"
		run "state.$i" $IPCS -q -c
	done <<'EOF'
$IPCMK -Q -p abc
$IPCMK -Q -p 999
$IPCMK -Q -p 0600x
$IPCMK -Q -p ''
$IPCMK
$IPCMK -x
$IPCMK -Q -p
$IPCRM -q 99
$IPCRM -q abc
$IPCRM -q -1
$IPCRM -q 99999999999
$IPCRM -Q 0x99
$IPCRM -Q 0
$IPCRM -Q zz
$IPCRM -Q 0x1ffffffff
$IPCRM -Q 99999999999999999999999
$IPCRM msg 99 abc
$IPCRM msg
$IPCRM extra
$IPCRM -a bogus
$IPCRM -abogus
$IPCRM
$IPCRM -x
$AS1000 $IPCRM -q 1
$AS1000 $IPCRM -Q 0x5678
$AS1000 $IPCRM -Q 0x1234
$AS1000 $IPCRM -a
$AS1000 $IPCRM -amsg
$AS1000 $IPCRM msg 0 1
$AS1000 $IPCS -q -i 1
$IPCS -q -i abc
$IPCS -q -i 99999999999
$IPCS -q -x
$LSIPC -q -o FOO
$LSIPC -q -o SIZE
$LSIPC -q -o KEY,
$LSIPC -q -o ,KEY
$LSIPC -q -o ''
$LSIPC -q -i abc
$LSIPC -q -e -J
$LSIPC -q -i 0 -g
$LSIPC -q -t -o KEY
$LSIPC -i 0
$LSIPC -q --time-format=xx
$LSIPC -q -x
$IPCRM -v -q 0 -Q 0x5678
$IPCRM -q 0
$IPCRM -v -Q 0x5678
$IPCMK -Q -p 0
$IPCMK -Q -p 077777
$IPCMK -Q -p -1
$AS1000 $IPCMK -Q -p 0600
$IPCRM msg 0
$IPCRM -v -a
EOF
}

side_posix() {
	umask 022
	mkdir -p "$OUT/mq"
	if [ "$SIDE" = k ]; then
		mount -t mqueue none "$OUT/mq" || exit 1
		VIEW="cd $OUT/mq && grep -H '' * | sed 's,^,/,'"
		VIEWB="cat $OUT/mq/b"
	else
		# As many processes as the kernel's side: the pids must
		# advance alike.
		VIEW="$UMQ cat mqueue | cat"
		VIEWB="$UMQ cat mqueue /b"
		env true		# mount's pid
	fi
	$Q mq /a 0644 0 0 mq /b 0600 5 100 mqsnd /b 3 50 mqsnd /b 1 20 \
		mq /d 0666 2 16 mqsnd /d 0 16 mqsnd /d 0 16
	$AS1000 $Q mq /c 0640 3 64 mqsnd /c 0 10
	# First, while the pids still agree (umq's registrations start
	# helper threads, which take pids): one process registered for
	# three queues, with each kind of notification.
	$Q notify /a 0 10 notify /c 1 0 notify /d 2 0 run "{ $VIEW; } \
		>$OUT/view.2.out 2>$OUT/view.2.err; echo \$? >$OUT/view.2.rc"
	run view.1 sh -c "$VIEW"
	run view.b sh -c "$VIEWB"
	$Q mqrcv /b mqrcv /d
	run view.4 sh -c "$VIEW"
	run view.as1000 $AS1000 sh -c "$VIEW"
	if [ "$SIDE" = k ]; then
		run view.b1000 $AS1000 cat "$OUT/mq/b"
	else
		run view.b1000 $AS1000 $UMQ cat mqueue /b
	fi
	run attr.b $Q mqattr /b

	[ "$SIDE" = u ] || return 0
	# What only umq has: lsipc 2.41's POSIX view, ipcmk/ipcrm -q.
	$UMQ limits --set msgmni=32000 --set msgmax=8192 --set msgmnb=16384 \
		--set msg_max=10 --set msgsize_max=8192 --set queues_max=256 \
		>/dev/null
	run u.lsipc.1 $LSIPC -Q
	run u.lsipc.2 $LSIPC -Q --json -o NAME,CUID,CGID,CGROUP
	run u.lsipc.3 $LSIPC -Q -N /b
	run u.lsipc.4 $LSIPC -Q -N b
	run u.lsipc.5 $LSIPC -Q -N /zz
	run u.lsipc.6 $LSIPC -Q -o USEDBYTES
	run u.lsipc.7 $LSIPC -Q -g
	run u.lsipc.8 $AS1000 $LSIPC -Q -b
	run u.lsipc.9 $LSIPC -Q -c -r
	run u.lsipc.10 $LSIPC -g
	run u.lsipc.11 $LSIPC -Q -q
	run u.lsipc.12 $LSIPC -N /b
	# 2.41's 37 columns, each twice, less -N's 37 for +LIST
	run u.lsipc.13 $LSIPC -Q -o $(printf 'NAME,%.0s' {1..73})NAME
	run u.lsipc.14 $LSIPC -Q -o $(printf 'NAME,%.0s' {1..74})NAME
	run u.lsipc.15 $LSIPC -Q -N /b -o +$(printf 'NAME,%.0s' {1..36})NAME
	run u.lsipc.16 $LSIPC -Q -N /b -o +$(printf 'NAME,%.0s' {1..37})NAME
	run u.lsipc.17 $LSIPC -Q -o NAME,SVAL,x
	run u.ipcmk.1 $IPCMK -q -n /x -p 0600 --maxmsg 5 --msgsize 100
	run u.ipcmk.2 $Q mqattr /x
	run u.ipcmk.3 $IPCMK -q
	run u.ipcmk.4 $IPCMK -q -n noslash
	run u.ipcmk.5 $IPCMK -Q -q -n /y
	run u.ipcmk.6 $IPCMK -q -n /x
	run u.ipcrm.1 $AS1000 $IPCRM --posix-mqueue /a
	run u.ipcrm.2 $IPCRM -v --posix-mqueue /x
	run u.ipcrm.3 $IPCRM --posix-mqueue /x
	run u.ipcrm.4 $AS1000 $IPCRM -a
	run u.ipcrm.5 $IPCRM -apmsg
	run u.ipcrm.6 sh -c "$VIEW"
	run u.ipcrm.7 $IPCS -q
}

side() {
	SIDE=$1 OUT=$3
	mkdir -p "$OUT"
	cd "$OUT" || exit 1
	if [ "$SIDE" = k ]; then
		Q=$QOPS IPCS=ipcs LSIPC=lsipc IPCMK=ipcmk IPCRM=ipcrm
		CATSYSV="cat /proc/sysvipc/msg"
	else
		Q="$QOPS -u" IPCS="$UMQ ipcs" LSIPC="$UMQ lsipc"
		IPCMK="$UMQ ipcmk" IPCRM="$UMQ ipcrm"
		CATSYSV="$UMQ cat sysvipc"
	fi
	"side_$2"
}

if [ "${1:-}" = --side ]; then
	shift
	side "$@"
	exit 0
fi

# ---- the comparison ------------------------------------------------------

pass=0

if [ "$(id -u)" != 0 ] ||
	! unshare -ipmf --mount-proc true 2>/dev/null; then
	echo "skip - tool: needs root and unshare -ipmf (kernel side)"
	exit 0
fi
for t in ipcs lsipc ipcmk ipcrm setpriv; do
	if ! command -v $t >/dev/null; then
		echo "skip - tool: util-linux's $t is missing"
		exit 0
	fi
done

tmp=$(mktemp -d /tmp/umq-tool.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

# The name of a util-linux tool for ours, masked times (the two runs
# are seconds apart).
norm() {
	sed -E \
		-e 's/^umq (ipcs|lsipc|ipcmk|ipcrm): /\1: /' \
		-e "s/^Try 'umq (ipcs|lsipc|ipcmk|ipcrm) --help'/Try '\\1 --help'/" \
		-e 's/[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}/Www Mmm dd hh:mm:ss yyyy/g' \
		-e 's/[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}/Mmm dd hh:mm:ss/g' \
		-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}/YYYY-MM-DDThh:mm:ss+zz:zz/g' \
		-e 's/\b([0-9]{2}:[0-9]{2}|[A-Z][a-z]{2}[0-9]{2})\b/tt:tt/g' \
		"$@"
}

# Both sides of a scenario; every recorded step compared.
compare() {
	local s=$1 k=$tmp/$1.k u=$tmp/$1.u f n
	unshare -ipmf --mount-proc bash "$0" --side k "$s" "$k"
	UMQ_DIR=$tmp/ns.$s unshare -pmf --mount-proc \
		bash "$0" --side u "$s" "$u"
	for f in "$k"/*.rc; do
		n=$(basename "$f" .rc)
		if [ ! -e "$u/$n.rc" ]; then
			notok "$s: $n: not run on umq"
			continue
		fi
		if [ "$n" = sysvipc ]; then
			sysvipc_times "$k/$n.out" "$u/$n.out"
			sed -i -E 's/ [0-9]{10}/ EEEEEEEEEE/g' \
				"$k/$n.out" "$u/$n.out"
		fi
		local bad= what="out err rc"
		case $n in
		view.as1000|view.b1000)
			# grep and cat word their errors otherwise.
			what=out
			grep -q "Permission denied" "$u/$n.err" ||
				bad=" err"
			;;
		esac
		for x in $what; do
			if ! cmp -s <(norm "$k/$n.$x") <(norm "$u/$n.$x"); then
				bad="$bad $x"
			fi
		done
		# Where lsipc fails past its columns without a word, umq
		# says why, in one line.
		if [ "$bad" = " err" ] && [ ! -s "$k/$n.err" ] &&
		    [ "$(cat "$k/$n.rc")" = 1 ] &&
		    [ "$(wc -l <"$u/$n.err")" = 1 ] &&
		    grep -q "^umq lsipc: too many columns specified, room for [0-9]*$" \
		    "$u/$n.err"; then
			bad=
		fi
		if [ -z "$bad" ]; then
			ok "$s: $n"
		else
			notok "$s: $n: differs in$bad"
			for x in $bad; do
				diff <(norm "$k/$n.$x") <(norm "$u/$n.$x") |
					head -20 | sed 's/^/#   /'
			done
		fi
	done
}

# /proc/sysvipc/msg's times: set on the same side, and close.
sysvipc_times() {
	if paste -d' ' "$1" "$2" | awk 'NR > 1 {
		for (i = 12; i <= 14; i++) {
			k = $i; u = $(i + 14)
			if ((k == 0) != (u == 0) || k - u > 60 || u - k > 60)
				exit 1
		}
	}'; then
		ok "sysv: sysvipc times agree"
	else
		notok "sysv: sysvipc times disagree"
		paste "$1" "$2" | sed 's/^/#   /'
	fi
}

# expect NAME FILE TEXT: FILE (masked) is TEXT.
expect() {
	if [ "$(norm "$2")" = "$3" ]; then
		ok "$1"
	else
		notok "$1"
		diff <(echo "$3") <(norm "$2") | sed 's/^/#   /'
	fi
}

compare sysv
compare errors
compare posix

# ---- POSIX: what util-linux 2.38 cannot show ----------------------------

u=$tmp/posix.u
head -1 "$u/u.lsipc.1.out" >"$tmp/l1"
tail -n +2 "$u/u.lsipc.1.out" | sort >>"$tmp/l1"
expect "posix: lsipc -Q" "$tmp/l1" \
"NAME     PERMS    OWNER MTIME USEDBYTES MSGS
/a   rw-r--r--     root tt:tt        0B 0
/b   rw-------     root tt:tt       20B 1
/c   rw-r----- cloudsdk tt:tt       10B 1
/d   rw-r--r--     root tt:tt       16B 1"
/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))["posix-messages"]
for q in sorted(d, key=lambda q: q["name"]):
    print(q["name"], q["cuid"], q["cgid"], q["cgroup"], len(q))' \
	"$u/u.lsipc.2.out" >"$tmp/l2" 2>&1
expect "posix: lsipc -Q --json" "$tmp/l2" \
"/a 0 0 root 4
/b 0 0 root 4
/c 1000 1000 cloudsdk 4
/d 0 0 root 4"
expect "posix: lsipc -Q -N /b" "$u/u.lsipc.3.out" \
"Owner:                              root                                
Permissions:                        rw-------                           
Creator UID:                        0                                   
Creator user:                       root                                
Creator GID:                        0                                   
Creator group:                      root                                
Name:                               /b                                  
Last action:                        Www Mmm dd hh:mm:ss yyyy            
Bytes used:                         20B                                 
Messages:                           1                                   "
expect "posix: lsipc -Q -N b" "$u/u.lsipc.4.err" \
"lsipc: mqueue name must start with '/': b
lsipc: mqueue b not found"
expect "posix: lsipc -Q -N /zz" "$u/u.lsipc.5.err" \
"lsipc: mqueue /zz not found"
expect "posix: lsipc -Q -o USEDBYTES" "$u/u.lsipc.6.err" \
"lsipc: column USEDBYTES does not apply to the specified IPC"
expect "posix: lsipc -Q -o USEDBYTES status" "$u/u.lsipc.6.rc" 1
expect "posix: lsipc -Q -g" "$u/u.lsipc.7.out" \
"NAME PERMS OWNER MTIME USEDBYTES MSGS RESOURCE DESCRIPTION                               LIMIT USED  USE%
                                      MQUMNI   Number of POSIX message queues              256    4 1.56%
                                      MQUMAX   Max size of POSIX message (bytes)            8K    -     -
                                      MQUMNB   Number of messages in POSIX message queue    10    -     -"
tail -n +2 "$u/u.lsipc.8.out" | sort >"$tmp/l8"
expect "posix: lsipc -Q as uid 1000 skips what it cannot read" "$tmp/l8" \
"/a   rw-r--r--     root tt:tt         0 0
/c   rw-r----- cloudsdk tt:tt        10 1
/d   rw-r--r--     root tt:tt        16 1"
sort "$u/u.lsipc.9.out" >"$tmp/l9"
expect "posix: lsipc -Q -c -r" "$tmp/l9" \
"/a rw-r--r-- root tt:tt 0B 0 0 0
/b rw------- root tt:tt 20B 1 0 0
/c rw-r----- cloudsdk tt:tt 10B 1 1000 1000
/d rw-r--r-- root tt:tt 16B 1 0 0
NAME PERMS OWNER MTIME USEDBYTES MSGS CUID CGID"
expect "posix: lsipc -g" "$u/u.lsipc.10.out" \
"RESOURCE DESCRIPTION                               LIMIT USED  USE%
MSGMNI   Number of message queues                  32000    0 0.00%
MSGMAX   Max size of message (bytes)                  8K    -     -
MSGMNB   Default max size of queue (bytes)           16K    -     -
MQUMNI   Number of POSIX message queues              256    4 1.56%
MQUMAX   Max size of POSIX message (bytes)            8K    -     -
MQUMNB   Number of messages in POSIX message queue    10    -     -"
expect "posix: lsipc -Q -q" "$u/u.lsipc.11.err" \
"lsipc: mutually exclusive arguments: --posix-mqueues --queues"
expect "posix: lsipc -N without -Q" "$u/u.lsipc.12.err" \
"lsipc: --global is mutually exclusive with --creator, --id, --name and --time"
expect "posix: lsipc -Q -o of 74 columns" <(head -1 "$u/u.lsipc.13.out" | wc -w) 74
expect "posix: lsipc -Q -o of 75 columns: why" <(cat "$u/u.lsipc.14.out" "$u/u.lsipc.14.err") \
	"lsipc: too many columns specified, room for 74"
expect "posix: lsipc -Q -o of 75 columns: status" "$u/u.lsipc.14.rc" 1
expect "posix: lsipc -Q -N -o +LIST of 37" <(grep -c '^Name:' "$u/u.lsipc.15.out") 38
expect "posix: lsipc -Q -N -o +LIST of 38: why" <(cat "$u/u.lsipc.16.out" "$u/u.lsipc.16.err") \
	"lsipc: too many columns specified, room for 37"
expect "posix: lsipc -Q -N -o +LIST of 38: status" "$u/u.lsipc.16.rc" 1
expect "posix: lsipc -Q -o SVAL, 2.41's, and the rest of the list" \
	"$u/u.lsipc.17.err" \
	"lsipc: column SVAL,x does not apply to the specified IPC"
expect "posix: ipcmk -q" "$u/u.ipcmk.1.out" "POSIX message queue name: /x"
expect "posix: ipcmk -q attributes" "$u/u.ipcmk.2.out" "5 100 0"
expect "posix: ipcmk -q without a name" "$u/u.ipcmk.3.err" \
"ipcmk: name is required for POSIX IPC
Try 'ipcmk --help' for more information."
expect "posix: ipcmk -q, bad name" "$u/u.ipcmk.4.err" \
"ipcmk: create POSIX message queue failed: Invalid argument"
expect "posix: ipcmk -Q -q" "$u/u.ipcmk.5.out" \
"Message queue id: 0
POSIX message queue name: /y"
expect "posix: ipcmk -q of an existing queue" "$u/u.ipcmk.6.rc" 0
expect "posix: ipcrm --posix-mqueue, no permission" "$u/u.ipcrm.1.err" \
"ipcrm: permission denied for name \`/a'"
expect "posix: ipcrm --posix-mqueue, no permission, status" \
	"$u/u.ipcrm.1.rc" 1
expect "posix: ipcrm -v --posix-mqueue" "$u/u.ipcrm.2.out" \
"removing POSIX message queue \`/x'"
expect "posix: ipcrm --posix-mqueue, gone" "$u/u.ipcrm.3.err" \
"ipcrm: name \`/x' not found"
sort "$u/u.ipcrm.4.err" >"$tmp/r4"
expect "posix: ipcrm -a as uid 1000" "$tmp/r4" \
"ipcrm: permission denied for id (0)
ipcrm: permission denied for name \`/a'
ipcrm: permission denied for name \`/d'
ipcrm: permission denied for name \`/y'"
expect "posix: ipcrm -a as uid 1000 removed its own" "$u/u.ipcrm.5.rc" 0
expect "posix: ipcrm -apmsg left no queue" "$u/u.ipcrm.6.out" ""
expect "posix: ipcrm -apmsg left the System V queue" \
	<(grep -c '^0x' "$u/u.ipcrm.7.out") 1

# ---- namespaces: missing, not one, not ours -----------------------------

ns=$tmp/ns.limits
mkdir "$tmp/empty"
for c in "ipcs" "lsipc -q" "ipcrm -q 0" "cat sysvipc" "limits"; do
	$UMQ $c --dir "$tmp/nonexistent" >"$tmp/o" 2>"$tmp/e"
	rc=$?
	[ "$rc" = 1 ] && [ ! -s "$tmp/o" ] &&
	[ "$(cat "$tmp/e")" = "umq ${c%% *}: cannot open namespace $tmp/nonexistent: No such file or directory" ] &&
	[ ! -e "$tmp/nonexistent" ] &&
		ok "namespace: umq $c, no namespace" ||
		{ notok "namespace: umq $c, no namespace (rc $rc)"; sed 's/^/#   /' "$tmp/e"; }
done
for c in "ipcs" "lsipc -q" "ipcrm -q 0" "cat mqueue" "limits"; do
	$UMQ $c --dir "$tmp/empty" >"$tmp/o" 2>"$tmp/e"
	rc=$?
	[ "$rc" = 1 ] && [ ! -s "$tmp/o" ] &&
	[ "$(cat "$tmp/e")" = "umq ${c%% *}: $tmp/empty: not a umq namespace" ] &&
	[ -z "$(ls -A "$tmp/empty")" ] &&
		ok "namespace: umq $c, not a namespace, nothing created" ||
		{ notok "namespace: umq $c, not a namespace (rc $rc)"; sed 's/^/#   /' "$tmp/e"; }
done
UMQ_DIR=$ns $UMQ ipcmk -Q -p 0600 >"$tmp/o" 2>&1
expect "namespace: ipcmk makes one" "$tmp/o" "Message queue id: 0"
[ -k "$ns" ] && [ -e "$ns/ns" ] && ok "namespace: made like /dev/shm" ||
	notok "namespace: made like /dev/shm"
chmod 700 "$ns"
$AS1000 $UMQ ipcs --dir "$ns" >"$tmp/o" 2>"$tmp/e"
rc=$?
[ "$rc" = 1 ] && [ ! -s "$tmp/o" ] &&
[ "$(cat "$tmp/e")" = "umq ipcs: cannot open namespace $ns: Permission denied" ] &&
	ok "namespace: umq ipcs, no permission" ||
	{ notok "namespace: umq ipcs, no permission (rc $rc)"; sed 's/^/#   /' "$tmp/e"; }
chmod 1777 "$ns"

# ---- limits ------------------------------------------------------------

export UMQ_DIR=$ns
$UMQ limits >"$tmp/o" 2>&1
if head -1 "$tmp/o" | grep -qx 'NAME *NAMESPACE *HOST SYSCTL' &&
	[ "$(wc -l <"$tmp/o")" = 9 ] &&
	tail -n +2 "$tmp/o" | while read -r name nsv host file; do
		[ "$nsv" = "$host" ] && [ "$host" = "$(cat "$file")" ] || exit 1
	done; then
	ok "limits: a new namespace has the host's"
else
	notok "limits: a new namespace has the host's"
	sed 's/^/#   /' "$tmp/o"
fi
$UMQ limits --set msgmax=4096 --set msgmni=1000 --set kernel.msgmnb=20000 \
	--set fs.mqueue.msg_max=20 >"$tmp/o" 2>&1
expect "limits: --set" "$tmp/o" "msgmax = 4096
msgmni = 1000
msgmnb = 20000
msg_max = 20"
$UMQ ipcs -l >"$tmp/o"
expect "limits: ipcs -l shows them" "$tmp/o" "
------ Messages Limits --------
max queues system wide = 1000
max size of message (bytes) = 4096
default max size of queue (bytes) = 20000"
$UMQ limits -r --noheadings >"$tmp/before"
$AS1000 $UMQ limits --set msgmax=100 >"$tmp/o" 2>"$tmp/e"
expect "limits: --set as another user, status" <(echo $?) 1
expect "limits: --set as another user" "$tmp/e" \
"umq limits: cannot change the limits of $ns: only its owner (uid 0) may"
$UMQ limits --set msgmni=40000 --set msgmax=1 >"$tmp/o" 2>"$tmp/e"
expect "limits: out of range, status" <(echo $?) 1
expect "limits: out of range" "$tmp/e" \
"umq limits: msgmni: 40000 is out of range (0..32768)"
$UMQ limits --set foo=1 >"$tmp/o" 2>"$tmp/e"
expect "limits: unknown" "$tmp/e" "umq limits: unknown limit: foo"
$UMQ limits --set msgmax=abc >"$tmp/o" 2>"$tmp/e"
expect "limits: not a number" "$tmp/e" "umq limits: failed to parse msgmax: 'abc'"
$UMQ limits -r --noheadings >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after" && ok "limits: refused changes changed nothing" ||
	notok "limits: refused changes changed something"
$UMQ limits --json >"$tmp/o"
if /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["limits"]) == 8 and d["limits"][0]["namespace"] == "4096"' "$tmp/o" 2>/dev/null; then
	ok "limits: --json parses"
else
	notok "limits: --json parses"
fi
exit 0
