# Faults smaller than a block: main is null_blk with 512-byte sectors,
# some of which fail every read and write (configfs badblocks), under the
# target's 4 KiB blocks. A 512-byte write onto a failing sector succeeds:
# the rest of its block is read a sector at a time and the block moves
# with old + new data. Readable sectors of a block with a bad sector keep
# reading (the block stays on main, nothing is pending). A block with no
# readable sector fails a partial write (pending), and a whole-block write
# brings it back.
. /tests/lib.sh
load
sub_main sub 10 30 40 41
dmsetup create r --table "0 $(sectors /dev/sub) remap /dev/sub /dev/ram1 2 read_retries 1"

# 512-byte writes onto the failing sector 3 of blocks 10-19.
dd if=/dev/urandom of=/tmp/new bs=512 count=10 status=none
b=10
while [ $b -lt 20 ]; do
	dd if=/tmp/new of=/dev/mapper/r bs=512 skip=$((b - 10)) seek=$((b * 8 + 3)) count=1 oflag=direct conv=notrunc \
		status=none || fail "512-byte write onto the failing sector of block $b failed"
	for s in 0 1 2 3 4 5 6 7; do
		sec $b $s || fail "block $b sector $s unreadable after the write"
		if [ $s = 3 ]; then dd if=/tmp/new of=/tmp/w bs=512 skip=$((b - 10)) count=1 status=none; else want $b $s; fi
		cmp -s /tmp/s /tmp/w || fail "block $b sector $s: wrong data after the write"
	done
	b=$((b + 1))
done
s=$(dmsetup status r)
[ "$(status_field r 7)" = 10 ] || fail "write-error relocations: $s"

# Blocks 20-29: the block read fails, its other sectors keep reading.
b=20
while [ $b -lt 30 ]; do
	dd if=/dev/mapper/r of=/dev/null bs=4096 skip=$b count=1 iflag=direct status=none 2>/dev/null &&
		fail "read of block $b (a bad sector) succeeded"
	for s in 0 2 4 5 7; do
		sec $b $s || fail "block $b sector $s unreadable after a failed block read"
		want $b $s
		cmp -s /tmp/s /tmp/w || fail "block $b sector $s: wrong data"
	done
	sec $b 3 && fail "block $b: its bad sector read"
	b=$((b + 1))
done
s=$(dmsetup status r)
[ "$(status_field r 3)" = 0 ] || fail "blocks made pending though most of their sectors read: $s"

# Block 40 has no readable sector: a partial write fails, honestly, and
# the block is pending; a whole-block write brings it back.
dd if=/tmp/new of=/dev/mapper/r bs=512 seek=$((40 * 8)) count=1 oflag=direct conv=notrunc status=none 2>/dev/null &&
	fail "a partial write onto a wholly unreadable block succeeded"
[ "$(status_field r 3)" = 1 ] || fail "block 40 not pending: $(dmsetup status r)"
dd if=/dev/urandom of=/tmp/whole bs=4096 count=1 status=none
dd if=/tmp/whole of=/dev/mapper/r bs=4096 seek=40 count=1 oflag=direct conv=notrunc status=none ||
	fail "whole-block write of block 40 failed"
dd if=/dev/mapper/r of=/tmp/got bs=4096 skip=40 count=1 iflag=direct status=none || fail "block 40 unreadable"
cmp -s /tmp/got /tmp/whole || fail "block 40 did not read back its write"
[ "$(status_field r 3)" = 0 ] || fail "block 40 still pending: $(dmsetup status r)"
say "sub-block faults: $(dmsetup status r)"
dmsetup remove r
sub_main_remove
say "10 writes onto failing sectors moved their blocks with old + new data; readable sectors stayed readable"
