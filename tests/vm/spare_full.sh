# A spare with few blocks fills up: the remap that does not fit is refused
# with a clear reason, status says "full", I/O stays right.
. /tests/lib.sh
load
spare=$(mkloop 1024)    # 1 MiB: 2 metadata blocks + log, then a few spare blocks
dmsetup create r --table "0 16384 remap /dev/ram0 $spare"
total=$(status_field r 2 | cut -d/ -f2)
[ "$total" -gt 0 ] || fail "no spare blocks: $(dmsetup status r)"
dd if=/dev/urandom of=/tmp/model bs=1M count=8 status=none
dd if=/tmp/model of=/dev/mapper/r bs=1M oflag=direct status=none
dmsetup suspend r
dmsetup message r 0 remap 0 $((total + 1)) 2>/dev/null && fail "more remaps than spare blocks accepted"
dmesg | grep -q "not enough free spare blocks" || fail "no reason logged"
dmsetup message r 0 remap 0 "$total"
dmsetup message r 0 remap $((total * 8)) 2>/dev/null && fail "remap on a full spare accepted"
dmsetup resume r
[ "$(status_field r 2)" = "$total/$total" ] || fail "status: $(dmsetup status r)"
[ "$(status_field r 6)" = full ] || fail "status: $(dmsetup status r)"
expect /dev/mapper/r 0 16384 /tmp/model
dmsetup remove r
losetup -d $spare
say "spare of $total blocks filled; full reported"
