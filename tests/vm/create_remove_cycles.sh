# 100 create/remove cycles, each with a little I/O, leave nothing behind.
. /tests/lib.sh
load
i=0
while [ $i -lt 100 ]; do
	dmsetup create r --table "0 8192 remap /dev/ram0 /dev/ram1"
	dd if=/dev/mapper/r of=/dev/null bs=4096 count=1 skip=$((i % 256)) iflag=direct status=none
	dmsetup remove r
	i=$((i + 1))
done
[ -z "$(dmsetup ls | grep -v 'No devices found')" ] || fail "devices left: $(dmsetup ls)"
rmmod dm_remap || fail "module busy after the cycles"
say "100 cycles ok"
