# A flush of the remap device reaches both main and spare (loop devices
# count completed flushes in field 16 of their stat file).
. /tests/lib.sh
load
main=$(mkloop 16384) spare=$(mkloop 4096)
flushes() { awk '{print $16}' /sys/block/$(basename $1)/stat; }
dmsetup create r --table "0 $(sectors $main) remap $main $spare"
m0=$(flushes $main) s0=$(flushes $spare)
dd if=/dev/urandom of=/dev/mapper/r bs=4k count=4 conv=fsync status=none
m1=$(flushes $main) s1=$(flushes $spare)
[ "$m1" -gt "$m0" ] || fail "main saw no flush ($m0 -> $m1)"
[ "$s1" -gt "$s0" ] || fail "spare saw no flush ($s0 -> $s1)"
# Discards pass to main, which supports them.
dm=$(dmsetup info -c --noheadings -o blkdevname r)
[ "$(cat /sys/block/$dm/queue/discard_max_bytes)" -gt 0 ] ||
	fail "discard not supported through remap"
blkdiscard -o 0 -l 65536 /dev/mapper/r || fail "blkdiscard failed"
dmsetup remove r
losetup -d $main; losetup -d $spare
say "flushes reached main ($m0 -> $m1) and spare ($s0 -> $s1)"
