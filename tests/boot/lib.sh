# Shared helpers of the real-boot tests (source it). Unlike tests/vm, the
# system is a booted Debian: dmsetup, udev and LVM work as on a user's
# machine (udev syncs dmsetup; nothing is created by hand).
fail() { echo "FAIL: $*"; exit 1; }
say() { echo "$*"; }
# The virtio disk whose serial is $1 (vm-run.sh names each disk after its
# image).
by_serial() { readlink -f "/dev/disk/by-id/virtio-$1"; }
prop() { udevadm info --query=property "$1" | sed -n "s/^$2=//p"; }
# The boot's own checks: no unit failed, and the boot took less than $1 s
# (guest time, as systemd-analyze measures it).
boot_ok() {
	failed=$(systemctl --failed --no-legend --plain)
	[ -z "$failed" ] || fail "units failed: $failed $(systemctl status --no-pager $(echo "$failed" | awk '{print $1}') 2>&1 | tail -40)"
	t=$(systemd-analyze time | head -1 | sed 's/ *$//')
	case "$t" in
	*"= "*min*) t=$(echo "${t##*= }" | sed 's/min / /; s/s$//' | awk '{print $1 * 60 + $2}') ;;
	*"= "*) t=$(echo "${t##*= }" | sed 's/s$//') ;;
	*) fail "systemd-analyze time: $t" ;;
	esac
	awk -v t="$t" -v max="$1" 'BEGIN { exit !(t < max) }' || fail "the boot took $t s (limit $1 s)"
	say "boot: $t s, no unit failed"
}
