# First boot of the reboot test: remaps and data on virtio disks (vda main,
# vdb spare); the expected contents' checksum goes to vdc. Main has grown
# defects (74 blocks, every 100th from block 1000, that fail every read and write): writes to them are
# relocated, and one that is never written becomes pending on a read.
. /tests/lib.sh
load
bad_table /dev/vda 1000 100 74 | dmsetup create disk
T="0 65536 remap /dev/mapper/disk /dev/vdb"
dmsetup create r --table "$T"
dd if=/dev/urandom of=/dev/mapper/r bs=1M count=32 oflag=direct status=none
dmsetup suspend r
dmsetup message r 0 remap 4096 16
dmsetup message r 0 remap 60000
dmsetup resume r
# New data over remapped and normal blocks, after the remaps.
dd if=/dev/urandom of=/dev/mapper/r bs=4096 count=64 seek=500 oflag=direct status=none
# Block 8300 (a bad one past the data) is never written: a read makes it
# pending.
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=8300 count=1 iflag=direct status=none 2>/dev/null &&
	fail "a read of an unreadable block succeeded"
[ "$(status_field r 3)" = 1 ] || fail "no pending block: $(dmsetup status r)"
sum=$(dd if=/dev/mapper/r bs=1M count=32 iflag=direct status=none | sha256sum | cut -d' ' -f1)
echo "$sum $(status_field r 1)" | dd of=/dev/vdc bs=512 conv=sync oflag=direct status=none
say "wrote $sum with $(status_field r 1) remaps ($(status_field r 7) on write errors, 1 pending)"
# The device stays up: the VM reboots without removing it.
