# Data written through remap lands on main at the table's offset, and data
# written on main reads back through remap: like dm-linear, for both
# segments of a two-segment table whose second one starts at sector S.
. /tests/lib.sh
load
S=65536   # sectors of each segment: 32 MiB
for d in 0 1 2 3; do wipe /dev/ram$d 8; done
printf '0 %d remap /dev/ram0 /dev/ram1\n%d %d remap /dev/ram2 /dev/ram3\n' $S $S $S |
	dmsetup create r
[ "$(sectors /dev/mapper/r)" = $((2 * S)) ] || fail "size is not $((2 * S)) sectors"
# Through remap, then from main at the offset (first and second segment,
# including the last sectors of each).
for at in 0 777 $((S - 8)); do
	put /dev/mapper/r $at 8 /tmp/a; expect /dev/ram0 $at 8 /tmp/a
	put /dev/mapper/r $((S + at)) 8 /tmp/b; expect /dev/ram2 $at 8 /tmp/b
done
# The reverse: write main, read through remap.
put /dev/ram0 1234 16 /tmp/c; expect /dev/mapper/r 1234 16 /tmp/c
put /dev/ram2 4321 16 /tmp/d; expect /dev/mapper/r $((S + 4321)) 16 /tmp/d
# A bio across the segment boundary is split by DM and lands on both.
put /dev/mapper/r $((S - 4)) 8 /tmp/e
dd if=/tmp/e of=/tmp/e1 bs=512 count=4 status=none
dd if=/tmp/e of=/tmp/e2 bs=512 skip=4 count=4 status=none
expect /dev/ram0 $((S - 4)) 4 /tmp/e1
expect /dev/ram2 0 4 /tmp/e2
# Nothing was written to the spares' data areas (they start before 1 MiB).
cmp -s -n 1048576 -i 1048576:0 /dev/ram1 /dev/zero || fail "spare of segment 1 was written"
cmp -s -n 1048576 -i 1048576:0 /dev/ram3 /dev/zero || fail "spare of segment 2 was written"
dmsetup remove r
say "linear equivalence ok"
