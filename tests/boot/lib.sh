# Shared helpers of the real-boot tests (source it). Unlike tests/vm, the
# system is a booted Debian: dmsetup, udev and LVM work as on a user's
# machine (udev syncs dmsetup; nothing is created by hand).
fail() { echo "FAIL: $*"; exit 1; }
say() { echo "$*"; }
# The disk whose serial is $1 (vm-run.sh names each disk after its image):
# its by-id link as udev names a virtio or a QEMU SCSI disk, and its node.
id_link() { ls -d /dev/disk/by-id/virtio-$1 /dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_$1 2>/dev/null; }
by_serial() { [ -z "$(id_link $1)" ] || readlink -f "$(id_link $1)"; }
# Plug the disk whose serial is $1 in (vm-run.sh's hot: disks, asked on
# the console), or pull it out, and wait until udev has handled it.
plug() { hotplug ATTACH $1 -n; }
unplug() { hotplug DETACH $1 -z; }
hotplug() {
	for i in $(seq 60); do
		[ $((i % 20)) = 1 ] && echo "DMR-$1 $2"
		sleep 1
		udevadm settle
		[ $3 "$(by_serial $2)" ] && return
	done
	fail "disk $2: DMR-$1 not done"
}
prop() { udevadm info --query=property "$1" | sed -n "s/^$2=//p"; }
# The boot's own checks: no unit failed, and multi-user.target was
# reached within $1 s of the kernel's start (guest time).
boot_ok() {
	failed=$(systemctl --failed --no-legend --plain)
	[ -z "$failed" ] || fail "units failed: $failed $(systemctl status --no-pager $(echo "$failed" | awk '{print $1}') 2>&1 | tail -40)"
	us=$(systemctl show -P ActiveEnterTimestampMonotonic multi-user.target)
	t=$((us / 1000000))
	[ "$us" -gt 0 ] && [ "$t" -lt "$1" ] || fail "multi-user.target reached at $t s (limit $1 s)"
	say "boot: multi-user.target at $t s, no unit failed"
}
