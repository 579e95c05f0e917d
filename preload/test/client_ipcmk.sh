#!/bin/sh
# SPDX-License-Identifier: MIT
# client_ipcmk.sh PROGTOOL_MSGCTL - util-linux's ipcmk and ipcrm, as an
# administrator uses them; ipcs reads /proc/sysvipc, which shows the
# kernel's queues only, so the queue ipcmk made is looked at by id with
# progtool_msgctl.  preload/test/clients.sh compares the output on the
# kernel and on umq.  Keys are random (masked).
stat=$1

mk() {
	out=$(ipcmk "$@" 2>&1)
	echo "ipcmk $*: status $? \"$out\""
	id=${out##*: }
}
st() {
	"$stat" "$1" | sed 's/key=0x[0-9a-f]*/key=KEY/'
}
rm_() {
	out=$(ipcrm "$@" 2>&1)
	echo "ipcrm $*: status $? \"$out\""
}

mk -Q
first=$id
st "$first"
mk -Q -p 0640
second=$id
st "$second"
key=$("$stat" "$second" | sed -n 's/.*key=\(0x[0-9a-f]*\).*/\1/p')
rm_ -q "$first"
st "$first"
rm_ -q "$first"
rm_ -Q "$key" | sed "s/$key/KEY/g"
st "$second"
rm_ -Q 0x7fff1234
rm_ -q 12345
mk -Q -p 0600
rm_ -q "$id" -q "$id"
