# A block that cannot be read from main when it is remapped is recorded as
# lost: reads of it fail (never stale spare contents), the rest is intact.
# A write of the whole block brings it back, durably; a partial one fails.
. /tests/lib.sh
load
fresh_spare /dev/ram1
wipe /dev/ram2 8
dmsetup create dust --table "0 16384 dust /dev/ram2 0 4096"
dmsetup message dust 0 addbadblock 10
dmsetup message dust 0 enable
dmsetup create r --table "0 16384 remap /dev/mapper/dust /dev/ram1"
out=$(dmsetup message r 0 remap 80 2)          # blocks 10 (bad) and 11
echo "$out" | grep -q "remapped 2 blocks (1 with lost data, 0 remapped already)" || fail "message said '$out'"
[ "$(status_field r 3)" = 1 ] || fail "lost count: $(dmsetup status r)"
dmsetup message r 0 list | grep -qx "10 0 lost" || fail "list: $(dmsetup message r 0 list)"
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=10 count=1 iflag=direct status=none 2>/dev/null &&
	fail "read of a lost block succeeded"
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=11 count=1 iflag=direct status=none || fail "block 11 unreadable"
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=12 count=4 iflag=direct status=none || fail "blocks 12.. unreadable"

# Rewriting part of the block fails and leaves it lost.
dd if=/dev/urandom of=/tmp/half bs=2048 count=1 status=none
dd if=/tmp/half of=/dev/mapper/r bs=2048 seek=20 oflag=direct status=none 2>/dev/null &&
	fail "partial write of a lost block succeeded"
[ "$(status_field r 3)" = 1 ] || fail "lost count after a partial write: $(dmsetup status r)"
# Rewriting all of it (in a write that also covers block 11) revives it.
put /dev/mapper/r 80 16 /tmp/whole
expect /dev/mapper/r 80 16 /tmp/whole
[ "$(status_field r 3)" = 0 ] || fail "lost count after a rewrite: $(dmsetup status r)"
dmsetup message r 0 list | grep -qx "10 0 ok" || fail "list after rewrite: $(dmsetup message r 0 list)"
# ... durably: a new table reads it back.
dmsetup remove r
dmsetup create r --table "0 16384 remap /dev/mapper/dust /dev/ram1"
[ "$(status_field r 3)" = 0 ] || fail "lost count after re-creation: $(dmsetup status r)"
expect /dev/mapper/r 80 16 /tmp/whole
dmsetup remove r
dmsetup remove dust
fresh_spare /dev/ram1
say "lost block ok"
