# Records a workload with dm-log-writes for crash_replay. Main and spare
# are two dm-linear slices of one logged device, so the log keeps the order
# of writes across both. The workload:
# - FUA writes of 4 KiB blocks that each carry a whole stamp (every
#   sector says `STAMP <seq> <block> <sector>`: `stamp` in lib.sh), to
#   random blocks of a 512-block region whose blocks 5, 69, ... (8 of
#   them) fail every I/O: writes there relocate (write-error commits);
# - every 10th step, a read of one of those failing blocks: one never
#   written becomes pending (lost); the write two steps later goes to it (a
#   revive), the one two steps after that to another failing block;
# - a `remap` message after every 8th write (blocks of the region and of
#   fio's area);
# - fio writing 4 MiB at random (with flushes) and verifying it, all along
#   (fio_busy), over blocks 1024 to 2047.
# Each step leaves a mark in the log (see crash/src/manifest.rs), so the
# replay knows what was acknowledged at every point. Kernel command line:
# dmr.crash_writes (default 120), dmr.crash_seed.
. /tests/lib.sh
load
writes=$(arg dmr.crash_writes)
writes=${writes:-120}
x=$(arg dmr.crash_seed)
x=${x:-1}
main=16384 spare=4096 region=512
mkdir -p /tmp/crash
# Loop devices over tmpfs files: unlike a ram disk, loop has a write cache,
# so flushes and FUA reach dm-log-writes instead of being dropped above it.
disks=$(mkloop $(((main + spare) / 2)))
# The log: fio's data (256 KiB/s) fills most of it, about 0.3 MiB per
# write of the workload.
logdev=$(mkloop $((65536 + 1024 * writes)))
dmsetup create lw --table "0 $((main + spare)) log-writes $disks $logdev"
# A mark is one word: its fields joined by ':' (crash/src/manifest.rs).
mark() { dmsetup message lw 0 mark "$(IFS=:; echo "$*")"; }
dmsetup create lmain --table "0 $main linear /dev/mapper/lw 0"
dmsetup create lspare --table "0 $spare linear /dev/mapper/lw $main"
mark devices $main $spare
mark region $region
mark defects 5 64 8
mark fio 1024 1024
bad_table /dev/mapper/lmain 5 64 8 | dmsetup create disk
dmsetup create r --table "0 $main remap /dev/mapper/disk /dev/mapper/lspare"
mark ready
seq=1 pending=0
while [ $seq -le "$writes" ]; do
	fio_busy $((4 << 20)) $((4 << 20))
	x=$(((x * 1103515245 + 12345) % 2147483648))
	b=$((x % region))
	if [ $((seq % 10)) = 5 ]; then
		d=$((5 + (x / 3) % 8 * 64))
		if ! dd if=/dev/mapper/r of=/dev/null bs=4096 skip=$d count=1 iflag=direct status=none 2>/dev/null; then
			mark p $d
			pending=$((pending + 1))
		fi
	fi
	# Two steps after a read of a failing block, a write to it (a revive
	# if the read made it pending); four steps after, a write to another
	# failing block (a write-error relocation if it was never used).
	[ $((seq % 10)) = 7 ] && [ -n "${d:-}" ] && b=$d
	[ $((seq % 10)) = 9 ] && b=$((5 + (x / 11) % 8 * 64))
	stamp "$seq" "$b" /tmp/crash/blk
	dd if=/tmp/crash/blk of=/dev/mapper/r bs=4096 seek=$b oflag=direct,dsync conv=notrunc status=none ||
		fail "write $seq to block $b failed"
	mark w $b $seq
	if [ $((seq % 8)) = 0 ]; then
		# Not a failing block: its data could not be copied (it would
		# be lost, which the marks do not say).
		m=$(((x / 7) % 1536))
		[ $((m % 64)) = 5 ] && m=$((m + 1))
		[ $m -ge $region ] && m=$((m + 512))
		dmsetup message r 0 remap $((m * 8)) >/dev/null || fail "remap of block $m failed"
		mark r $m
	fi
	seq=$((seq + 1))
done
fio_busy_end
st=$(dmsetup status r)
dmsetup remove r
dmsetup remove disk lmain lspare
# Removing dm-log-writes logs what was never flushed, and a last mark.
dmsetup remove lw
cp "$(losetup -nO BACK-FILE "$logdev")" /tmp/crash/log.img
say "CRASH-RECORD $writes writes, $pending reads failed, $fio_runs fio runs verified; status: $st"
