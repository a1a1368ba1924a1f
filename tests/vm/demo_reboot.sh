# The README's demo, second boot: the disk still has its bad blocks; the
# remaps come back with the table, and the files read back intact.
. /tests/lib.sh
dd if=/dev/vdc bs=512 count=1 status=none | tr -d '\0' >/tmp/sums
disk=$(sectors /dev/vda)
bad_table /dev/vda 4096 20 300 | dmsetup create disk
say "(the disk still has its 300 bad blocks)"
show dmsetup create safe --table "0 $disk remap /dev/mapper/disk /dev/vdb"
show dmsetup status safe
# The 300 remaps came back, and the lifetime count of write-error
# relocations with them (the last status field but three).
[ "$(status_field safe 1) $(status_field safe 17)" = "300 300" ] || fail "300 remaps expected: $(dmsetup status safe)"
mkdir -p /mnt
show mount -t ext2 -o ro /dev/mapper/safe /mnt
show sha256sum -c /tmp/sums || fail "files differ after the reboot"
show umount /mnt
show dmsetup remove safe
show /usr/bin/dm-remap-tool check /dev/vdb | tail -2
say "--- the data survived the failing disk and the reboot ---"
