# First boot of the reboot test: remaps and data on virtio disks (vda main,
# vdb spare); the expected contents' checksum goes to vdc.
. /tests/lib.sh
load
T="0 65536 remap /dev/vda /dev/vdb"
dmsetup create r --table "$T"
dd if=/dev/urandom of=/dev/mapper/r bs=1M count=32 oflag=direct status=none
dmsetup suspend r
dmsetup message r 0 remap 4096 16
dmsetup message r 0 remap 60000
dmsetup resume r
# New data over remapped and normal blocks, after the remaps.
dd if=/dev/urandom of=/dev/mapper/r bs=4096 count=64 seek=500 oflag=direct status=none
sum=$(dd if=/dev/mapper/r bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1)
echo "$sum $(status_field r 1)" | dd of=/dev/vdc bs=512 conv=sync oflag=direct status=none
say "wrote $sum with $(status_field r 1) remaps"
# The device stays up: the VM reboots without removing it.
