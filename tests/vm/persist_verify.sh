# Second boot of the reboot test: the same table line restores every remap
# and every block reads back as written before the reboot.
. /tests/lib.sh
load
read sum n <<EOF2
$(dd if=/dev/vdc bs=512 count=1 status=none | tr -d '\0')
EOF2
[ -n "$sum" ] || fail "no checksum from the first boot"
dmsetup create r --table "0 65536 remap /dev/vda /dev/vdb"
[ "$(status_field r 1)" = "$n" ] || fail "expected $n remaps: $(dmsetup status r)"
got=$(dd if=/dev/mapper/r bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1)
[ "$got" = "$sum" ] || fail "contents differ after the reboot"
dmsetup remove r
tool check /dev/vdb >/tmp/check || fail "tool check: $(cat /tmp/check)"
say "$n remaps and the data survived the reboot"
