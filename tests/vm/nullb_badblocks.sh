# A real driver's media errors: main is a memory-backed null_blk disk whose
# bad sectors (its configfs `badblocks`) fail every read and write with
# BLK_STS_IOERR, one 512-byte sector in each bad 4 KiB block. Data written
# before the sectors went bad reads back or fails, never wrong; fio then
# writes and verifies every block, and the 1,000 bad blocks move to spare.
# (null_blk keeps at most 512 bad ranges: most ranges here span two
# blocks.)
. /tests/lib.sh
load
configfs
nb=/sys/kernel/config/nullb/rmain
mkdir $nb
echo 32 >$nb/size
echo 1 >$nb/memory_backed
echo 1 >$nb/power
[ -b /dev/rmain ] || fail "null_blk made no /dev/rmain"
fresh_spare /dev/ram1
dd if=/dev/urandom of=/tmp/orig bs=1M count=32 status=none
dd if=/tmp/orig of=/dev/rmain bs=1M oflag=direct status=none

# Sector $2 of each block in $1 goes bad.
bad() { for b in $1; do echo "+$((b * 8 + $2))-$((b * 8 + $2))" >$nb/badblocks; done; }
old=$(i=0; while [ $i -lt 20 ]; do echo $((i * 397 % 8192)); i=$((i + 1)); done)
echo "$old" >/tmp/old
bad "$old" 3
T="0 $(sectors /dev/rmain) remap /dev/rmain /dev/ram1 2 read_retries 1"
dmsetup create r --table "$T"

# Blocks with a bad sector: every read of the block fails, but its other
# sectors still read, so it stays on main (not pending); their neighbours
# read back what was written.
for b in $old; do
	dd if=/dev/mapper/r of=/dev/null bs=4096 skip=$b count=1 iflag=direct status=none 2>/dev/null &&
		fail "read of block $b (a bad sector) succeeded"
	dd if=/dev/mapper/r of=/tmp/.got bs=512 skip=$((b * 8)) count=1 iflag=direct status=none ||
		fail "block $b: sector 0 (readable) does not read"
	dd if=/tmp/orig of=/tmp/.want bs=512 skip=$((b * 8)) count=1 status=none
	cmp -s /tmp/.got /tmp/.want || fail "block $b sector 0 read back wrong data"
	n=$((b + 1))
	dd if=/dev/mapper/r of=/tmp/.got bs=4096 skip=$n count=1 iflag=direct status=none ||
		fail "block $n (no bad sector) unreadable"
	dd if=/tmp/orig of=/tmp/.want bs=4096 skip=$n count=1 status=none
	cmp -s /tmp/.got /tmp/.want || fail "block $n read back wrong data"
done
s=$(dmsetup status r)
[ "$(status_field r 3)" = 0 ] || fail "pending blocks: $s"
[ "$(status_field r 8)" = 0 ] || fail "read-error relocations: $s"

# 980 more blocks go bad: the last two sectors of block 16i + 3 and the
# first two of the next, for i < 490. fio writes every block once and
# verifies it.
i=0
while [ $i -lt 490 ]; do
	b=$((i * 16 + 3))
	echo "+$((b * 8 + 6))-$((b * 8 + 9))" >$nb/badblocks
	echo $b
	echo $((b + 1))
	i=$((i + 1))
done >/tmp/new
fio --name=nullb --filename=/dev/mapper/r --size=32M --rw=randwrite --bs=4k --ioengine=libaio --iodepth=32 \
	--direct=1 --verify=crc32c --verify_fatal=1 --minimal >/tmp/fio.out 2>&1 || { cat /tmp/fio.out; fail "fio"; }
s=$(dmsetup status r)
say "after fio: $s"
[ "$(status_field r 3)" = 0 ] || fail "pending blocks left after every block was written: $s"
# Every block with a bad sector, old or new, failed its write and moved.
moved=$(sort -u /tmp/old /tmp/new | wc -l)
[ "$(status_field r 7)" = "$moved" ] || fail "write-error relocations: expected $moved: $s"
[ "$(status_field r 1)" = "$moved" ] || fail "remaps: $s"
dmsetup remove r
dmsetup create r --table "$T"
fio --name=nullb --filename=/dev/mapper/r --size=32M --rw=randwrite --bs=4k --ioengine=libaio --iodepth=32 \
	--direct=1 --verify=crc32c --verify_only --minimal >/tmp/fio.out 2>&1 ||
	{ cat /tmp/fio.out; fail "fio verify after re-creation"; }
dmsetup remove r
echo 0 >$nb/power
rmdir $nb
say "null_blk: 1,000 bad blocks, $moved moved by write errors, fio verify clean twice"
