# 100,000 remaps in one message (one commit): kernel memory per remap is
# measured, and I/O is still routed right.
. /tests/lib.sh
load
main=$(mkloop 65536) spare=$(mkloop 65536)   # 64 MiB each, 512-byte blocks
T="0 131072 remap $main $spare 2 block_size 512"
dd if=/dev/urandom of=$main bs=1M count=64 status=none
# Fill the spare's backing file first, so the copies allocate no tmpfs pages.
dd if=/dev/zero of=$spare bs=1M count=64 oflag=direct status=none
dmsetup create r --table "$T"
dd if=$main of=/tmp/model bs=1M count=64 iflag=direct status=none
mem() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }
sync; echo 3 >/proc/sys/vm/drop_caches
before=$(mem VmallocUsed) slab0=$(mem SUnreclaim)
dmsetup suspend r
start=$(date +%s)
out=$(dmsetup message r 0 remap 1000 100000)
echo "$out"
echo "$out" | grep -q "remapped 100000 blocks (0 with lost data, 0 remapped already) in commit 3" || fail "message said '$out'"
dmsetup resume r
sync; echo 3 >/proc/sys/vm/drop_caches
after=$(mem VmallocUsed) slab1=$(mem SUnreclaim)
say "100000 remaps in one commit took $(($(date +%s) - start)) s"
# The table's own size is exact; /proc/meminfo is shown for reference only
# (KASAN's quarantine keeps freed objects, so its deltas overstate).
mem=$(dmsetup message r 0 memory)
say "$mem; /proc/meminfo grew by vmalloc $(( (after - before) * 1024 )) + unreclaimable slab $(( (slab1 - slab0) * 1024 )) bytes"
table=$(echo "$mem" | sed -n 's/remap table: 100000 remaps in \([0-9]*\) bytes/\1/p')
[ -n "$table" ] || fail "memory message said '$mem'"
say "$((table / 100000)) bytes of kernel memory per remap"
[ "$table" -le $((32 * 100000)) ] || fail "more than 32 bytes per remap"
[ "$(status_field r 1)" = 100000 ] || fail "status: $(dmsetup status r)"
# Through remap the device still reads as main did, and writes land on
# spare for remapped blocks, on main for the others.
expect /dev/mapper/r 0 131072 /tmp/model
put /dev/mapper/r 990 20 /tmp/w    # blocks 990..1009: 10 on main, 10 remapped
dd if=/tmp/w of=/tmp/model bs=512 seek=990 conv=notrunc status=none
expect /dev/mapper/r 0 131072 /tmp/model
dd if=/tmp/w of=/tmp/w_main bs=512 count=10 status=none
expect $main 990 10 /tmp/w_main
dmsetup remove r
# Re-creation replays the 100000 records.
dmsetup create r --table "$T"
[ "$(status_field r 1)" = 100000 ] || fail "after re-creation: $(dmsetup status r)"
expect /dev/mapper/r 0 131072 /tmp/model
dmsetup remove r
losetup -d $main; losetup -d $spare
