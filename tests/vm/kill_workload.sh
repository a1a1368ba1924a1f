# Workload of scripts/vm-kill.sh, killed at a random moment (QEMU gets
# SIGKILL: a power cut for the guest). Main (vda) has grown defects (every
# 64th block from block 5 fails reads and writes); the spare is vdb.
# - 4 KiB writes to random blocks of the first half, whole-block stamps of
#   their sequence number and block (lib.sh); the journal gets "WRITE <seq> <block> ."
#   before it and "ACK <seq> <block> ." once it is acknowledged. Writes to
#   defective blocks are relocated (write-error commits).
# The journal is vdd, one 512-byte line per record written with O_DIRECT
# and O_DSYNC before the workload goes on: the host reads it after the
# kill (the console can lose its last lines).
# - Every 10th step, a read of a defective block: one never written fails
#   and becomes pending ("PENDING <block>"); the write two steps later goes
#   to it (a revive), and the one two steps after that to another
#   defective block (a write-error relocation).
# - After every 8th write, a `remap` message ("REMAP <block>" once it
#   returns: committed).
# - fio writing and verifying the second half all along (fio_busy).
. /tests/lib.sh
load
seq=$(arg dmr.kill_seq)
bad_table /dev/vda 5 64 256 | dmsetup create disk
dmsetup create r --table "0 131072 remap /dev/mapper/disk /dev/vdb"
blocks=8192
x=$seq
n=0
# Appends line "$* ." to the journal.
note() {
	printf '%-509s .\n' "$*" | dd of=/dev/vdd bs=512 seek=$n oflag=direct,dsync conv=notrunc status=none
	n=$((n + 1))
}
# (Straight to the console: the test's output passes through a pipe that
# can hold it back, and the host starts its clock at this line.)
echo KILL-READY >/dev/console
while :; do
	fio_busy $((blocks * 4096)) $((blocks * 4096))
	x=$(((x * 1103515245 + 12345) % 2147483648))
	b=$((x % blocks))
	if [ $((seq % 10)) = 5 ]; then
		d=$((5 + (x / 3) % (blocks / 64) * 64))
		dd if=/dev/mapper/r of=/dev/null bs=4096 skip=$d count=1 iflag=direct status=none 2>/dev/null ||
			note PENDING $d
	fi
	# Two steps after a read of a failing block, a write to it (a revive
	# if the read made it pending); four steps after, a write to another
	# failing block (a write-error relocation if it was never used).
	[ $((seq % 10)) = 7 ] && [ -n "${d:-}" ] && b=$d
	[ $((seq % 10)) = 9 ] && b=$((5 + (x / 11) % (blocks / 64) * 64))
	stamp $seq $b /tmp/blk
	note WRITE $seq $b
	dd if=/tmp/blk of=/dev/mapper/r bs=4096 seek=$b oflag=direct status=none || fail "write $seq to block $b failed"
	note ACK $seq $b
	if [ $((seq % 8)) = 0 ]; then
		# Not a defective block of the first half: its data could not be
		# copied, so it would be lost without a PENDING line.
		m=$(((x / 7) % (2 * blocks)))
		[ $((m % 64)) = 5 ] && [ $m -lt $blocks ] && m=$((m + 1))
		dmsetup message r 0 remap $((m * 8)) >/dev/null || fail "remap of block $m failed"
		note REMAP $m
	fi
	seq=$((seq + 1))
done
