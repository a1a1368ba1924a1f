# dmsetup table recreates the same table; status prints the documented
# INFO fields; messages are checked; I/O errors are counted.
. /tests/lib.sh
load
main=$(cat /sys/block/ram0/dev) spare=$(cat /sys/block/ram1/dev)
fresh_spare /dev/ram1
dmsetup create r --table "0 2048 remap /dev/ram0 /dev/ram1 0"
t=$(dmsetup table r)
[ "$t" = "0 2048 remap $main $spare 2 block_size 4096" ] || fail "table is '$t'"
# The printed table line creates an identical device (the spare serves
# one device at a time: r goes first).
dmsetup remove r
dmsetup create r2 --table "$t"
[ "$(dmsetup table r2)" = "$t" ] || fail "recreated table differs"
dmsetup remove r2
dmsetup create r --table "$t"
# 64 MiB spare, 4 KiB blocks: 136 metadata blocks, then 16248 spare blocks.
s=$(dmsetup status r)
[ "$s" = "0 2048 remap 0 0/16248 0 0 0 ok 0 0 0 0 0 healthy AA off 0/256 0 0 0 0 0" ] || fail "status is '$s'"
dmsetup message r 0 clear_stats || fail "clear_stats refused"
dmsetup message r 0 bogus 2>/dev/null && fail "unknown message accepted"
dmesg | grep -q 'message rejected: unknown message' || fail "no reason logged"
dmsetup message r 0 clear_stats x 2>/dev/null && fail "clear_stats with an argument accepted"
dmsetup remove r

# I/O errors are counted by kind: blocks 0 and 1 of main fail (dm-error
# segments; the rest answers). The read fails (block 0 becomes pending);
# the write of block 1 is relocated and succeeds, but its error on main is
# counted.
fresh_spare /dev/ram1
bad_table /dev/ram0 0 1 2 | dmsetup create bad
dmsetup create r --table "0 4096 remap /dev/mapper/bad /dev/ram1"
dd if=/dev/mapper/r of=/dev/null bs=4096 count=1 iflag=direct status=none 2>/dev/null && fail "read did not fail"
dd if=/dev/zero of=/dev/mapper/r bs=4096 seek=1 count=1 oflag=direct status=none || fail "write was not relocated"
s=$(dmsetup status r)
[ "$(echo "$s" | cut -d' ' -f4-)" = "2 2/16248 1 1 1 ok 1 1 0 0 0 degraded AA off 0/256 0 1 1 0 0" ] || fail "status after errors is '$s'"
dmsetup message r 0 clear_stats
[ "$(echo "$(dmsetup status r)" | cut -d' ' -f7,8,10-14)" = "0 0 0 0 0 0 0" ] || fail "clear_stats did not clear"
# (The lifetime relocation counters stay.)
[ "$(echo "$(dmsetup status r)" | cut -d' ' -f20-)" = "1 1 0 0" ] || fail "clear_stats cleared the lifetime: $(dmsetup status r)"
dmsetup remove r
dmsetup remove bad
fresh_spare /dev/ram1
# A block_size feature argument comes back in the table line.
dmsetup create r --table "0 2048 remap /dev/ram0 /dev/ram1 2 block_size 65536"
[ "$(dmsetup table r)" = "0 2048 remap $main $spare 2 block_size 65536" ] || fail "table is '$(dmsetup table r)'"
dmsetup remove r
fresh_spare /dev/ram1
say "table and status ok"
