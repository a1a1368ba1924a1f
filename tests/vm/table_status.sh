# dmsetup table recreates the same table; status prints the documented
# INFO fields; messages are checked; I/O errors are counted.
. /tests/lib.sh
load
main=$(cat /sys/block/ram0/dev) spare=$(cat /sys/block/ram1/dev)
fresh_spare /dev/ram1
dmsetup create r --table "0 2048 remap /dev/ram0 /dev/ram1 0"
t=$(dmsetup table r)
[ "$t" = "0 2048 remap $main $spare 2 block_size 4096" ] || fail "table is '$t'"
# The printed table line creates an identical device.
dmsetup create r2 --table "$t"
[ "$(dmsetup table r2)" = "$t" ] || fail "recreated table differs"
dmsetup remove r2
# 64 MiB spare, 4 KiB blocks: 136 metadata blocks, then 16248 spare blocks.
s=$(dmsetup status r)
[ "$s" = "0 2048 remap 0 0/16248 0 0 0 ok" ] || fail "status is '$s'"
dmsetup message r 0 clear_stats || fail "clear_stats refused"
dmsetup message r 0 bogus 2>/dev/null && fail "unknown message accepted"
dmesg | grep -q 'message rejected: unknown message' || fail "no reason logged"
dmsetup message r 0 clear_stats x 2>/dev/null && fail "clear_stats with an argument accepted"
dmsetup remove r

# I/O errors are counted by kind: main is a dm-error device.
fresh_spare /dev/ram1
dmsetup create bad --table "0 4096 error"
dmsetup create r --table "0 4096 remap /dev/mapper/bad /dev/ram1"
dd if=/dev/mapper/r of=/dev/null bs=4096 count=1 iflag=direct status=none 2>/dev/null && fail "read did not fail"
dd if=/dev/zero of=/dev/mapper/r bs=4096 count=1 oflag=direct status=none 2>/dev/null && fail "write did not fail"
s=$(dmsetup status r)
[ "$(status_field r 4) $(status_field r 5)" = "1 1" ] || fail "status after errors is '$s'"
dmsetup message r 0 clear_stats
[ "$(status_field r 4) $(status_field r 5)" = "0 0" ] || fail "clear_stats did not clear"
dmsetup remove r
dmsetup remove bad
fresh_spare /dev/ram1
# A block_size feature argument comes back in the table line.
dmsetup create r --table "0 2048 remap /dev/ram0 /dev/ram1 2 block_size 65536"
[ "$(dmsetup table r)" = "0 2048 remap $main $spare 2 block_size 65536" ] || fail "table is '$(dmsetup table r)'"
dmsetup remove r
fresh_spare /dev/ram1
say "table and status ok"
