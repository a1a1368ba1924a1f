# Third boot of the LVM scenario: main is missing (it is plugged in
# later, vm-run.sh's hot: disks), and the remaptab line and the fstab
# mount are nofail (lvm_reboot made them so) with a 10 min device timeout.
# The boot reaches multi-user.target without waiting for main, with no
# failed unit; the generator's unit waits for main, and nothing is
# assembled or mounted. Main plugged in: the boot's waiting jobs assemble
# the pair, LVM activates the VG and fstab mounts the LV; data and the
# relocations main_fails made are intact (the LV "pattern" reads whole
# though main still fails there). Then both disks are pulled out and
# plugged in again the other way round, main first: main is a member at
# once, nothing is assembled until the spare comes, and then the pair is
# assembled by udev's request (SYSTEMD_WANTS) and the VG autoactivated.
. /tests/lib.sh
boot_ok 300
[ -z "$(by_serial main)" ] || fail "main is attached"
[ -n "$(by_serial spare)" ] || fail "no spare"
grep -q '^data .* nofail,x-systemd.device-timeout=10min$' /etc/remaptab || fail "remaptab: $(cat /etc/remaptab)"
jobs=$(systemctl list-jobs --no-legend --plain)
echo "$jobs" | grep -q '^[0-9]* *dm-remap-data.service *start *waiting' || fail "the unit does not wait for main: $jobs"
[ -e /dev/mapper/data ] && fail "the device exists without main"
mountpoint -q /mnt/data && fail "/mnt/data is mounted"
say "without main: multi-user.target reached, dm-remap-data.service waits for main"

# Every check of an assembled pair: mounted from fstab on the LV over the
# remap device, data, relocations.
assembled() {
	for _ in $(seq 120); do mountpoint -q /mnt/data && break; sleep 1; done
	[ "$(findmnt -n -o SOURCE /mnt/data)" = /dev/mapper/vgdata-lv ] ||
		fail "/mnt/data not mounted ($1): $(systemctl status --no-pager dm-remap-data mnt-data.mount 2>&1 | tail -30)"
	[ "$(dmsetup deps -o devname vgdata-lv)" = "1 dependencies	: (data)" ] ||
		fail "the LV is not on the remap device: $(dmsetup deps -o devname vgdata-lv)"
	(cd /mnt/data && sha256sum -c --quiet /root/sums) || fail "the data differs ($1)"
	cmp /root/pattern /dev/vgdata/pattern || fail "the LV pattern differs ($1)"
	[ "$(dmsetup message data 0 list | md5sum)" = "$(cat /root/list.md5)" ] || fail "the remaps differ ($1)"
	say "$1: assembled, VG active, LV mounted from fstab; data and remaps intact"
}
plug main
assembled "main plugged in after the boot"

umount /mnt/data && vgchange -q -an vgdata >/dev/null && systemctl stop dm-remap-data || fail "taking the pair down"
unplug main
unplug spare
plug main
main=$(by_serial main)
[ "$(prop $main ID_FS_TYPE) $(prop $main DM_REMAP_MEMBER_OF)" = "dm_remap_member data" ] ||
	fail "main without its spare is not marked: $(udevadm info --query=property $main)"
ls -l /dev/disk/by-uuid | grep -q "/${main##*/}\$" && fail "main has a by-uuid link: $(ls -l /dev/disk/by-uuid)"
[ -z "$(pvs --noheadings -o pv_name 2>/dev/null)" ] || fail "LVM sees PVs: $(pvs)"
sleep 5
[ -e /dev/mapper/data ] && fail "assembled without the spare"
say "main plugged in alone: a member, no by-uuid link, not LVM's, not assembled"
plug spare
for _ in $(seq 60); do [ -e /dev/vgdata/lv ] && break; sleep 1; done
[ -e /dev/vgdata/lv ] || fail "the VG was not activated: $(systemctl status --no-pager dm-remap-data 2>&1 | tail -20) $(pvs 2>&1)"
mount /mnt/data || fail "mount /mnt/data"
assembled "spare plugged in after main"
