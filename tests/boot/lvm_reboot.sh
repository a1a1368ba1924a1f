# Later boots of the LVM scenario (after lvm_setup): systemd, udev and LVM
# bring everything up by themselves. The remap device is assembled by the
# generator's unit, the VG is autoactivated on it, fstab mounts the LV by
# UUID; the raw main is a member of its pair for udev (no by-uuid link, no
# LVM on it), and data and remaps are as the first boot left them. Then
# the line and the mount become nofail, with a 10 min device timeout, for
# lvm_hotplug's boot without main.
. /tests/lib.sh
boot_ok 300
sort /root/list >/root/list.sorted
main=$(by_serial main)
[ -n "$main" ] || fail "no main disk"
systemctl is-active -q dm-remap-data.service || fail "unit: $(systemctl status --no-pager dm-remap-data 2>&1)"
[ "$(findmnt -n -o SOURCE /mnt/data)" = /dev/mapper/vgdata-lv ] || fail "/mnt/data: $(findmnt /mnt/data)"
pvs=$(pvs --noheadings -o pv_name 2>&1 | tr -d ' ')
[ "$pvs" = /dev/mapper/data ] || fail "LVM's PVs: $pvs"
[ "$(dmsetup deps -o devname vgdata-lv)" = "1 dependencies	: (data)" ] ||
	fail "the LV is not on the remap device: $(dmsetup deps -o devname vgdata-lv)"
[ "$(prop $main ID_FS_TYPE) $(prop $main DM_REMAP_MEMBER_OF)" = "dm_remap_member data" ] ||
	fail "main is not marked: $(udevadm info --query=property $main)"
ls -l /dev/disk/by-uuid | grep -q "/${main##*/}\$" && fail "main has a by-uuid link: $(ls -l /dev/disk/by-uuid)"
fsuuid=$(cat /root/fsuuid)
[ "$(readlink -f /dev/disk/by-uuid/$fsuuid)" = "$(readlink -f /dev/mapper/vgdata-lv)" ] ||
	fail "by-uuid/$fsuuid: $(ls -l /dev/disk/by-uuid)"
(cd /mnt/data && sha256sum -c /root/sums) || fail "the data differs"
# (Every remap lvm_setup made; main_fails's blocks may have moved already,
# if a probe at the boot read them.)
missing=$(dmsetup message data 0 list | sort | comm -13 - /root/list.sorted)
[ -z "$missing" ] || fail "remaps missing: $missing"
sed -i 's|^data .*|& nofail,x-systemd.device-timeout=10min|' /etc/remaptab
sed -i 's|/mnt/data ext4 defaults|/mnt/data ext4 defaults,nofail,x-systemd.device-timeout=10min|' /etc/fstab
say "main $main hidden; VG on /dev/mapper/data, LV mounted from fstab by UUID; data and 64 remaps intact"
