# The README's demo, first boot: a filesystem on a remap device whose main
# disk starts failing. Writes keep succeeding while failing blocks move to
# the spare; status and events show it. The VM then reboots (demo_reboot).
. /tests/lib.sh
set -x
dmsetup create disk --table "0 $(sectors /dev/vda) linear /dev/vda 0"
dmsetup create safe --table "0 $(sectors /dev/vda) remap /dev/mapper/disk /dev/vdb"
mke2fs -q -b 4096 /dev/mapper/safe
mkdir -p /mnt && mount -t ext2 /dev/mapper/safe /mnt
dd if=/dev/urandom of=/mnt/before bs=1M count=4 status=none
sync
dmsetup status safe
{ set +x; } 2>/dev/null
say "--- the disk grows 300 bad blocks (every 20th from 16 MiB): I/O to them fails ---"
dmsetup suspend disk
bad_table /dev/vda 4096 20 300 | dmsetup reload disk
dmsetup resume disk
set -x
dmsetup info -c -o name,events safe
dd if=/dev/urandom of=/mnt/after bs=1M count=40 conv=fsync status=none
sha256sum /mnt/before /mnt/after | tee /tmp/sums
dmsetup status safe
dmsetup info -c -o name,events safe
dmsetup message safe 0 list | head -3
umount /mnt
{ set +x; } 2>/dev/null
dd if=/tmp/sums of=/dev/vdc bs=512 conv=sync oflag=direct status=none
[ "$(status_field safe 7)" -gt 0 ] || fail "no block was relocated"
say "--- rebooting ---"
