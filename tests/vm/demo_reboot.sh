# The README's demo, second boot: the disk still has its bad blocks; the
# remaps come back with the table, and the files read back intact.
. /tests/lib.sh
dd if=/dev/vdc bs=512 count=1 status=none | tr -d '\0' >/tmp/sums
bad_table /dev/vda 4096 20 300 | dmsetup create disk
set -x
dmsetup create safe --table "0 $(sectors /dev/vda) remap /dev/mapper/disk /dev/vdb"
dmsetup status safe
mkdir -p /mnt && mount -t ext2 -o ro /dev/mapper/safe /mnt
sha256sum -c /tmp/sums
{ set +x; } 2>/dev/null
sha256sum -c /tmp/sums >/dev/null || fail "files differ after the reboot"
umount /mnt
dmsetup remove safe
tool check /dev/vdb | tail -2
say "--- the data survived the failing disk and the reboot ---"
