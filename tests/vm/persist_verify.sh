# Second boot of the reboot test: the same table line restores every remap
# and every block reads back as written before the reboot; the pending
# block still fails reads until a whole write relocates it.
. /tests/lib.sh
load
read sum n <<EOF2
$(dd if=/dev/vdc bs=512 count=1 status=none | tr -d '\0')
EOF2
[ -n "$sum" ] || fail "no checksum from the first boot"
bad_table /dev/vda 1000 100 74 | dmsetup create disk
dmsetup create r --table "0 65536 remap /dev/mapper/disk /dev/vdb"
[ "$(status_field r 1)" = "$n" ] || fail "expected $n remaps: $(dmsetup status r)"
got=$(dd if=/dev/mapper/r bs=1M count=32 iflag=direct status=none | sha256sum | cut -d' ' -f1)
[ "$got" = "$sum" ] || fail "contents differ after the reboot"
[ "$(status_field r 3)" = 1 ] || fail "the pending block was forgotten: $(dmsetup status r)"
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=8300 count=1 iflag=direct status=none 2>/dev/null &&
	fail "the pending block reads after the reboot"
put /dev/mapper/r $((8300 * 8)) 8 /tmp/b || fail "whole write of the pending block failed"
expect /dev/mapper/r $((8300 * 8)) 8 /tmp/b
[ "$(status_field r 3)" = 0 ] || fail "still pending after a whole write: $(dmsetup status r)"
dmsetup remove r
tool check /dev/vdb >/tmp/check || fail "tool check: $(cat /tmp/check)"
say "$n remaps, the data and the pending block survived the reboot"
