# SPDX-License-Identifier: MIT
# client_ipc_msg.pl - a Perl program using IPC::Msg (core Perl): it prints
# what it sees, and preload/test/clients.sh compares that on the kernel
# and on umq.  Pids and times are masked.
use strict;
use warnings;
use IPC::SysV qw(IPC_PRIVATE IPC_CREAT IPC_EXCL IPC_NOWAIT MSG_NOERROR);
use IPC::Msg;
use POSIX qw(_exit);

$| = 1;
my $t0 = time;
my %pids = ($$ => 'self', 0 => '0');

sub when { my $t = shift; $t == 0 ? '0' : $t >= $t0 - 1 && $t <= time + 1 ? 'recent' : 'odd' }

sub show {
	my ($tag, $q) = @_;
	my $ds = $q->stat;
	unless ($ds) { print "$tag: stat failed: $!\n"; return; }
	printf "%s: mode=%#o qnum=%d qbytes=%d uid=%d gid=%d cuid=%d cgid=%d " .
	       "lspid=%s lrpid=%s times=%s,%s,%s\n", $tag, $ds->mode,
	       $ds->qnum, $ds->qbytes, $ds->uid, $ds->gid, $ds->cuid,
	       $ds->cgid, $pids{$ds->lspid} // '?', $pids{$ds->lrpid} // '?',
	       when($ds->stime), when($ds->rtime), when($ds->ctime);
}

sub rcv {
	my ($q, $size, $type, $flags) = @_;
	my $buf;
	my $r = $q->rcv($buf, $size, $type, $flags);
	if (defined $r) { print "rcv($size, $type): type $r \"$buf\"\n" }
	else { print "rcv($size, $type): failed: $!\n" }
}

my $q = IPC::Msg->new(0x5050, IPC_CREAT | IPC_EXCL | 0600)
	or die "create: $!";
print "id ", $q->id, "\n";
show('new', $q);
for ([3, 'three'], [1, 'one'], [2, ''], [1, 'uno']) {
	my $ok = $q->snd($_->[0], $_->[1], IPC_NOWAIT);
	print "snd($_->[0], \"$_->[1]\"): ", ($ok ? 'ok' : "failed: $!"), "\n";
}
show('sent', $q);
rcv($q, 100, 1, IPC_NOWAIT);
rcv($q, 100, -2, IPC_NOWAIT);
rcv($q, 2, 0, IPC_NOWAIT);			# E2BIG
rcv($q, 2, 0, IPC_NOWAIT | MSG_NOERROR);	# truncated
rcv($q, 100, 9, IPC_NOWAIT);			# ENOMSG
show('received', $q);

print "set: ", ($q->set(qbytes => 5, mode => 0640) ? 'ok' : "failed: $!"), "\n";
show('set', $q);
print "snd too much: ", ($q->snd(1, 'abcdef', IPC_NOWAIT) ? 'ok' : "failed: $!"), "\n";
my $again = IPC::Msg->new(0x5050, IPC_CREAT | IPC_EXCL | 0600);
print "create again: ", (defined $again ? 'ok' : "failed: $!"), "\n";
my $same = IPC::Msg->new(0x5050, 0);
print "open: id ", (defined $same ? $same->id : "failed: $!"), "\n";

# A blocked receive, woken by another process.
rcv($q, 100, 0, IPC_NOWAIT);
my $pid = fork // die "fork: $!";
if ($pid == 0) {
	select(undef, undef, undef, 0.2);
	$q->snd(4, 'wake');
	_exit(0);
}
$pids{$pid} = 'child';
rcv($q, 100, 0, 0);
waitpid($pid, 0);
show('after the child', $q);

my $p = IPC::Msg->new(IPC_PRIVATE, 0600) or die "private: $!";
print "private id ", $p->id, "\n";
print "remove private: ", ($p->remove ? 'ok' : "failed: $!"), "\n";
print "remove: ", ($q->remove ? 'ok' : "failed: $!"), "\n";
print "snd after removal: ", ($q->snd(1, 'x', IPC_NOWAIT) ? 'ok' : "failed: $!"), "\n";
print "stat after removal: ", ($q->stat ? 'ok' : "failed: $!"), "\n";
