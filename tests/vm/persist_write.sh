# First boot of the reboot test: remaps and data on virtio disks (vda main,
# vdb spare); the expected contents' checksum goes to vdc. Main has grown
# defects (every 8th block from block 3, 1,100 blocks, that fail every read
# and write): fio writes and verifies 32 MiB over 1,024 of them, which are
# relocated; one never written (block 8299) becomes pending on a read.
. /tests/lib.sh
load
bad_table /dev/vda 3 8 1100 | dmsetup create disk
T="0 131072 remap /dev/mapper/disk /dev/vdb"
dmsetup create r --table "$T"
fio --name=persist --filename=/dev/mapper/r --size=32M --rw=randwrite --bs=4k --ioengine=libaio --iodepth=32 \
	--direct=1 --verify=crc32c --verify_fatal=1 --minimal >/tmp/fio.out 2>&1 || { cat /tmp/fio.out; fail "fio saw an error"; }
[ "$(status_field r 7)" = 1024 ] || fail "expected 1024 write-error relocations: $(dmsetup status r)"
dmsetup suspend r
dmsetup message r 0 remap 70000 16          # blocks 8750-8765, past fio's data
dmsetup message r 0 remap 60000             # block 7500, copied with fio's data
dmsetup resume r
# New data over remapped, failing and normal blocks, after the remaps.
dd if=/dev/urandom of=/dev/mapper/r bs=4096 count=64 seek=8740 oflag=direct status=none
# Block 8299 (a bad one past the data) is never written: a read makes it
# pending.
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=8299 count=1 iflag=direct status=none 2>/dev/null &&
	fail "a read of an unreadable block succeeded"
[ "$(status_field r 3)" = 1 ] || fail "no pending block: $(dmsetup status r)"
sum=$(checksum /dev/mapper/r)
# The lifetime relocation counters (fields 17 to 20) of a new pair are
# those since the load (7 to 10).
life=$(dmsetup status r | awk '{print $20, $21, $22, $23}')
[ "$life" = "$(dmsetup status r | awk '{print $10, $11, $12, $13}')" ] || fail "lifetime counters: $(dmsetup status r)"
echo "$sum $(status_field r 1) $life" | dd of=/dev/vdc bs=512 conv=sync oflag=direct status=none
say "wrote $sum with $(status_field r 1) remaps ($(status_field r 7) on write errors, 1 pending; lifetime $life)"
# The device stays up: the VM reboots without removing it.
