# Second boot of the reboot test: the same table line restores every remap
# and every block reads back as written before the reboot (fio verifies its
# 32 MiB again); the pending block still fails reads until a whole write
# relocates it.
. /tests/lib.sh
load
read sum n life <<EOF2
$(dd if=/dev/vdc bs=512 count=1 status=none | tr -d '\0')
EOF2
[ -n "$sum" ] || fail "no checksum from the first boot"
bad_table /dev/vda 3 8 1100 | dmsetup create disk
dmsetup create r --table "0 131072 remap /dev/mapper/disk /dev/vdb"
[ "$(status_field r 1)" = "$n" ] || fail "expected $n remaps: $(dmsetup status r)"
# The lifetime relocation counters came back from the metadata; those
# since the load start at 0.
[ "$(dmsetup status r | awk '{print $20, $21, $22, $23}')" = "$life" ] ||
	fail "lifetime counters $life expected: $(dmsetup status r)"
[ "$(dmsetup status r | awk '{print $10, $11, $12, $13}')" = "0 0 0 0" ] || fail "since the load: $(dmsetup status r)"
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
# Since this load the lifetime counters grew by what counts since it;
# clear_stats clears the latter only; a remap message counts in both, and
# the lifetime counters are committed with it (dump reads them from the
# spare).
grown=$(dmsetup status r | awk -v l="$life" '{split(l, c, " "); print c[1] + $10, c[2] + $11, c[3] + $12, c[4] + $13}')
[ "$(dmsetup status r | awk '{print $20, $21, $22, $23}')" = "$grown" ] ||
	fail "lifetime $life and since the load do not add up: $(dmsetup status r)"
dmsetup message r 0 clear_stats
dmsetup message r 0 remap 100 3
read w rd rec msg <<EOF2
$grown
EOF2
want="$w $rd $rec $((msg + 3))"
[ "$(dmsetup status r | awk '{print $10, $11, $12, $13, "/", $20, $21, $22, $23}')" = "0 0 0 3 / $want" ] ||
	fail "after clear_stats and a remap of 3 blocks, lifetime $want expected: $(dmsetup status r)"
dmsetup remove r
tool check /dev/vdb >/tmp/check || fail "tool check: $(cat /tmp/check)"
tool dump /dev/vdb | grep -qx "relocated: *write errors $w, read errors $rd, read on retry $rec, requested $((msg + 3)) (lifetime)" ||
	fail "dump: $(tool dump /dev/vdb | grep relocated)"
say "$n remaps, the data and the pending block survived the reboot; lifetime relocations $want"
