# Root on a remap device, second boot (after root_setup): the kernel starts
# the initramfs that update-initramfs made, whose dm-remap scripts
# assemble the pair from /etc/remaptab before initramfs-tools mounts
# root=/dev/mapper/root; systemd then runs from it. The raw main is a
# member for udev, the unit of the line is active (it found the device
# up), and the remapped file reads as it was written.
. /tests/lib.sh
boot_ok 300
[ "$(findmnt -n -o SOURCE /)" = /dev/mapper/root ] || fail "the root is $(findmnt -n -o SOURCE /)"
main=$(by_serial rmain)
[ -n "$main" ] || fail "no main disk: $(ls /dev/disk/by-id)"
[ "$(prop $main ID_FS_TYPE) $(prop $main DM_REMAP_MEMBER_OF)" = "dm_remap_member root" ] ||
	fail "main is not marked: $(udevadm info --query=property $main)"
ls -l /dev/disk/by-uuid | grep -q "/${main##*/}\$" && fail "main has a by-uuid link: $(ls -l /dev/disk/by-uuid)"
systemctl is-active -q dm-remap-root.service || fail "unit: $(systemctl status --no-pager dm-remap-root 2>&1)"
[ "$(dmsetup status root | awk '{print $4}')" = 16 ] || fail "16 remaps expected: $(dmsetup status root)"
[ "$(dmsetup message root 0 list)" = "$(cat /root/list)" ] || fail "the remaps differ: $(dmsetup message root 0 list)"
echo 3 >/proc/sys/vm/drop_caches
(cd /root && sha256sum -c --quiet big.sum) || fail "big differs"
say "root on /dev/mapper/root from the initramfs; main hidden; 16 remaps and the file intact"
