# Root on a remap device, first boot: the admin moves the running system
# onto a pair, as the admin guide says. Format the spare for main, a
# remaptab line "root", the device up through its unit, ext4 on it, the
# root file system copied, fstab naming /dev/mapper/root; some of a file's
# blocks moved to the spare; then update-initramfs (initramfs-tools, with
# dm-remap's hook) makes the initramfs that the next boot (root_check)
# starts from. It is written to the disk "initrd" (its size in the first
# sector, the image from byte 512), which test-all.sh passes to QEMU.
. /tests/lib.sh
boot_ok 300
main=$(id_link rmain) spare=$(id_link rspare) disk=$(by_serial initrd)
[ -n "$main" ] && [ -n "$spare" ] && [ -n "$disk" ] || fail "a disk is missing: $(ls /dev/disk/by-id)"
out=$(dm-remap-tool format $spare --main $main) || fail "format: $out"
uuid=$(dm-remap-tool dump $spare | awk '/^uuid:/{print $2}')
printf '# name main spare options\nroot %s UUID=%s\n' $main "$uuid" >/etc/remaptab
systemctl daemon-reload
udevadm trigger --action=change "$(readlink -f $main)"
udevadm settle
systemctl start dm-remap-root.service || fail "the unit did not start: $(systemctl status --no-pager dm-remap-root 2>&1)"
mkfs.ext4 -q -L remap-root /dev/mapper/root || fail "mkfs.ext4"
mkdir -p /mnt/root
mount /dev/mapper/root /mnt/root || fail "mount"
cp -ax /. /mnt/root/ || fail "copying the root"
mkdir -p /mnt/root/proc /mnt/root/sys /mnt/root/dev /mnt/root/run /mnt/root/tmp
echo "/dev/mapper/root / ext4 rw 0 1" >/mnt/root/etc/fstab
# A file whose first 16 blocks then move to the spare (ext4's blocks are
# the pair's 4 KiB blocks, the file system starting at the device's start).
dd if=/dev/urandom of=/mnt/root/root/big bs=1M count=4 status=none && sync
(cd /mnt/root/root && sha256sum big >big.sum)
first=$(filefrag -v -b4096 /mnt/root/root/big | awk '$1 == "0:" { sub(/\.\..*/, "", $4); print $4 }')
[ -n "$first" ] || fail "no extent: $(filefrag -v /mnt/root/root/big)"
dmsetup message root 0 remap "$first" 16 >/dev/null || fail "remap message"
echo 3 >/proc/sys/vm/drop_caches
(cd /mnt/root/root && sha256sum -c --quiet big.sum) || fail "big differs after the remap"
dmsetup message root 0 list >/mnt/root/root/list
[ "$(grep -c . /mnt/root/root/list)" = 16 ] || fail "16 remaps expected: $(cat /mnt/root/root/list)"
umount /mnt/root || fail "umount"
# The initramfs, as Debian makes it: the hook puts in the tool, the
# module, the remaptab and the udev rule.
krel=$(uname -r)
update-initramfs -c -k "$krel" -b /tmp >/tmp/u.log 2>&1 || fail "update-initramfs: $(tail -20 /tmp/u.log)"
img=/tmp/initrd.img-$krel
files=$(lsinitramfs "$img")
for f in sbin/dm-remap-tool sbin/dmsetup etc/remaptab lib/udev/rules.d/61-dm-remap.rules \
	lib/modules/$krel/extra/dm-remap.ko scripts/local-top/dm-remap scripts/local-block/dm-remap; do
	echo "$files" | grep -qxE "(usr/)?$f" || fail "the initramfs has no $f"
done
size=$(stat -c %s "$img")
{ printf '%-511s\n' "$size"; cat "$img"; } | dd of="$disk" bs=512 oflag=direct status=none || fail "writing the initramfs"
say "root copied onto remap device root (pair $uuid), 16 blocks of /root/big remapped; initramfs of $size bytes"
