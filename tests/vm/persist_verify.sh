# Second boot of the reboot test: the same table line restores every remap
# and every block reads back as written before the reboot (fio verifies its
# 32 MiB again); the pending block still fails reads until a whole write
# relocates it.
. /tests/lib.sh
load
read sum n <<EOF2
$(dd if=/dev/vdc bs=512 count=1 status=none | tr -d '\0')
EOF2
[ -n "$sum" ] || fail "no checksum from the first boot"
bad_table /dev/vda 3 8 1100 | dmsetup create disk
dmsetup create r --table "0 131072 remap /dev/mapper/disk /dev/vdb"
[ "$(status_field r 1)" = "$n" ] || fail "expected $n remaps: $(dmsetup status r)"
got=$(checksum /dev/mapper/r)
[ "$got" = "$sum" ] || fail "contents differ after the reboot"
fio --name=persist --filename=/dev/mapper/r --size=32M --rw=randwrite --bs=4k --ioengine=libaio --iodepth=32 \
	--direct=1 --verify=crc32c --verify_fatal=1 --verify_only=1 --minimal >/tmp/fio.out 2>&1 ||
	{ cat /tmp/fio.out; fail "fio verify after the reboot"; }
[ "$(status_field r 3)" = 1 ] || fail "the pending block was forgotten: $(dmsetup status r)"
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=8299 count=1 iflag=direct status=none 2>/dev/null &&
	fail "the pending block reads after the reboot"
put /dev/mapper/r $((8299 * 8)) 8 /tmp/b || fail "whole write of the pending block failed"
expect /dev/mapper/r $((8299 * 8)) 8 /tmp/b
[ "$(status_field r 3)" = 0 ] || fail "still pending after a whole write: $(dmsetup status r)"
dmsetup remove r
tool check /dev/vdb >/tmp/check || fail "tool check: $(cat /tmp/check)"
say "$n remaps, the data and the pending block survived the reboot"
