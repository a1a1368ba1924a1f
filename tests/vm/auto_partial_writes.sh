# A write of part of a block that fails on main: the rest of the block is
# read from main and the whole block moves to spare (the write succeeds);
# if the rest cannot be read either, the write fails and the block is
# recorded as lost, never as holding data it does not.
. /tests/lib.sh
load
fresh_spare /dev/ram1
dd if=/dev/urandom of=/dev/ram0 bs=1M count=4 oflag=direct status=none
# Every write to main fails; reads work (dm-flakey, always "down").
dmsetup create fl --table "0 $(sectors /dev/ram0) flakey /dev/ram0 0 0 100000 1 error_writes"
dmsetup create r --table "0 $(sectors /dev/ram0) remap /dev/mapper/fl /dev/ram1"
dd if=/dev/ram0 of=/tmp/want bs=512 skip=400 count=8 iflag=direct status=none
dd if=/dev/urandom of=/tmp/part bs=512 count=1 status=none
dd if=/tmp/part of=/tmp/want bs=512 seek=3 conv=notrunc status=none
dd if=/tmp/part of=/dev/mapper/r bs=512 seek=403 oflag=direct status=none || fail "partial write failed"
expect /dev/mapper/r 400 8 /tmp/want
dmsetup message r 0 list | grep -qx "50 0 ok" || fail "block 50 not moved: $(dmsetup message r 0 list)"
dmsetup remove r
dmsetup remove fl
fresh_spare /dev/ram1

# Block 70 fails reads and writes: a partial write of it fails.
bad_table /dev/ram0 70 1 1 | dmsetup create bad
dmsetup create r --table "0 $(sectors /dev/ram0) remap /dev/mapper/bad /dev/ram1"
dd if=/tmp/part of=/dev/mapper/r bs=512 seek=563 oflag=direct status=none 2>/dev/null &&
	fail "a partial write of an unreadable block succeeded"
dmsetup message r 0 list | grep -qx "70 0 lost" || fail "block 70 not lost: $(dmsetup message r 0 list)"
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=70 count=1 iflag=direct status=none 2>/dev/null &&
	fail "a read of block 70 succeeded"
dmsetup remove r
dmsetup remove bad
fresh_spare /dev/ram1
say "partial writes ok"
