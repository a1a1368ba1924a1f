# Workload of scripts/vm-kill.sh, killed at a random moment (QEMU gets
# SIGKILL: a power cut for the guest). Main (vda) has grown defects (every
# 64th block from block 5 fails reads and writes); the spare is vdb. Each
# 4 KiB write carries its sequence number and block; the console gets
# "WRITE <seq> <block>" before it and "ACK <seq> <block>" once it is
# acknowledged. Every 8th write is followed by a `remap` message ("REMAP
# <block>" once it returns: committed). Writes to defective blocks are
# relocated (write-error commits).
. /tests/lib.sh
load
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p"; }
seq=$(arg dmr.kill_seq)
bad_table /dev/vda 5 64 256 | dmsetup create disk
dmsetup create r --table "0 131072 remap /dev/mapper/disk /dev/vdb"
blocks=16384
x=$seq
say "KILL-READY"
while :; do
	x=$(((x * 1103515245 + 12345) % 2147483648))
	b=$((x % blocks))
	printf 'DMRK %s %s\n' "$seq" "$b" | dd of=/tmp/blk bs=4096 conv=sync status=none
	echo "WRITE $seq $b"
	dd if=/tmp/blk of=/dev/mapper/r bs=4096 seek=$b oflag=direct status=none || fail "write $seq to block $b failed"
	echo "ACK $seq $b"
	if [ $((seq % 8)) = 0 ]; then
		m=$(((x / 7) % blocks))
		dmsetup message r 0 remap $((m * 8)) >/dev/null || fail "remap of block $m failed"
		echo "REMAP $m"
	fi
	seq=$((seq + 1))
done
