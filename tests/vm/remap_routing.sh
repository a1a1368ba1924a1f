# Remaps made by message, on a live and on a suspended device, route I/O
# to spare: data is copied, bios that span remapped and normal blocks are
# split and land right (checked against a model of the device), and remaps
# survive reload and re-creation.
. /tests/lib.sh
load
fresh_spare /dev/ram1
wipe /dev/ram0 8
T="0 16384 remap /dev/ram0 /dev/ram1"   # 8 MiB: blocks 0..2047 of 4 KiB
dmsetup create r --table "$T"
dd if=/dev/urandom of=/tmp/model bs=1M count=8 status=none
dd if=/tmp/model of=/dev/mapper/r bs=1M oflag=direct status=none
cp /tmp/model /tmp/old

out=$(dmsetup message r 0 remap 8)            # block 1, live
echo "$out" | grep -q "remapped 1 blocks (0 with lost data, 0 remapped already) in commit 3" ||
	fail "message said '$out'"
dmsetup message r 0 remap 800 3               # blocks 100..102
dmsetup suspend r
dmsetup message r 0 remap 16383               # block 2047, the last, suspended
dmsetup resume r
out=$(dmsetup message r 0 remap 8 2)          # block 1 remapped already
echo "$out" | grep -q "remapped 1 blocks (0 with lost data, 1 remapped already) in commit 6" ||
	fail "message said '$out'"
out=$(dmsetup message r 0 remap 8)            # nothing to do: no commit
echo "$out" | grep -q "remapped 0 blocks (0 with lost data, 1 remapped already) in commit 6" ||
	fail "message said '$out'"
dmsetup message r 0 remap 16384 2>/dev/null && fail "remap beyond the target accepted"
dmsetup message r 0 remap 0 0 2>/dev/null && fail "remap of 0 blocks accepted"
dmsetup message r 0 remap x 2>/dev/null && fail "remap of a bad sector accepted"
[ "$(status_field r 1)" = 6 ] || fail "status: $(dmsetup status r)"
[ "$(status_field r 2)" = 6/16248 ] || fail "status: $(dmsetup status r)"
[ "$(dmsetup message r 0 list | wc -l)" = 6 ] || fail "list: $(dmsetup message r 0 list)"
dmsetup message r 0 list | grep -qx "100 1 ok" || fail "list: $(dmsetup message r 0 list)"

expect /dev/mapper/r 0 16384 /tmp/model    # copies are right

# One 40-sector write over blocks 98..103 (100..102 remapped), one bio.
dd if=/dev/urandom of=/tmp/new bs=20480 count=1 status=none
dd if=/tmp/new of=/dev/mapper/r bs=20480 count=1 seek=$((790 * 512)) oflag=direct,seek_bytes status=none
dd if=/tmp/new of=/tmp/model bs=512 seek=790 conv=notrunc status=none
# Writes across the last block.
put /dev/mapper/r 16376 8 /tmp/tail
dd if=/tmp/tail of=/tmp/model bs=512 seek=16376 conv=notrunc status=none
expect /dev/mapper/r 0 16384 /tmp/model

# Main keeps the old data of remapped blocks; spare holds the new (data
# area at sector 1088; spare blocks 1..3 hold main blocks 100..102).
dd if=/tmp/old of=/tmp/old_main bs=512 skip=800 count=24 status=none
expect /dev/ram0 800 24 /tmp/old_main
dd if=/tmp/model of=/tmp/new_spare bs=512 skip=800 count=24 status=none
expect /dev/ram1 $((1088 + 8)) 24 /tmp/new_spare
# ... and the normal blocks around them went to main.
dd if=/tmp/model of=/tmp/edge bs=512 skip=790 count=10 status=none
expect /dev/ram0 790 10 /tmp/edge

# Reload, suspend/resume, and re-creation keep every remap.
dmsetup reload r --table "$T"
dmsetup resume r
expect /dev/mapper/r 0 16384 /tmp/model
dmsetup remove r
dmsetup create r --table "$T"
[ "$(status_field r 1)" = 6 ] || fail "after re-creation: $(dmsetup status r)"
expect /dev/mapper/r 0 16384 /tmp/model
dmsetup remove r
tool check /dev/ram1 | grep -q "6 remaps" || fail "tool check: $(tool check /dev/ram1)"
say "routing ok"
