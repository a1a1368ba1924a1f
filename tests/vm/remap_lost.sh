# A block that cannot be read from main when it is remapped is recorded as
# lost: reads of it fail (never stale spare contents), the rest is intact.
. /tests/lib.sh
load
fresh_spare /dev/ram1
wipe /dev/ram2 8
dmsetup create dust --table "0 16384 dust /dev/ram2 0 4096"
dmsetup message dust 0 addbadblock 10
dmsetup message dust 0 enable
dmsetup create r --table "0 16384 remap /dev/mapper/dust /dev/ram1"
dmsetup suspend r
out=$(dmsetup message r 0 remap 80 2)          # blocks 10 (bad) and 11
echo "$out" | grep -q "remapped 2 blocks (1 with lost data)" || fail "message said '$out'"
dmsetup resume r
[ "$(status_field r 3)" = 1 ] || fail "lost count: $(dmsetup status r)"
dmsetup message r 0 list | grep -qx "10 0 lost" || fail "list: $(dmsetup message r 0 list)"
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=10 count=1 iflag=direct status=none 2>/dev/null &&
	fail "read of a lost block succeeded"
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=11 count=1 iflag=direct status=none || fail "block 11 unreadable"
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=12 count=4 iflag=direct status=none || fail "blocks 12.. unreadable"
dmsetup remove r
dmsetup remove dust
fresh_spare /dev/ram1
say "lost block ok"
