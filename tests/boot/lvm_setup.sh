# First boot of the LVM scenario, as an admin sets a pair up on a running
# system: format the spare for main, a remaptab line (main by id, the
# spare by the pair's UUID), the generator's unit started by systemctl,
# then LVM on the remap device (PV, VG, LV), ext4 on the LV, mounted from
# /etc/fstab by UUID; data and remaps are written, their sums kept on the
# root disk for the next boots (lvm_reboot). A second LV, "pattern", holds a
# known pattern at a known place on main (main_fails reads it while main
# fails there).
. /tests/lib.sh
boot_ok 300
main=$(id_link main) spare=$(id_link spare)
[ -n "$main" ] && [ -n "$spare" ] || fail "main or the spare missing: $(ls /dev/disk/by-id)"
out=$(dm-remap-tool format $spare --main $main) || fail "format: $out"
uuid=$(dm-remap-tool dump $spare | awk '/^uuid:/{print $2}')
printf '# name main spare options\ndata %s UUID=%s\n' $main "$uuid" >/etc/remaptab
systemctl daemon-reload
# LVM must not read the raw main, which holds the same PV header as the
# remap device: reject it by the link udev gives every main (as the admin
# guide says).
printf 'devices {\n\tglobal_filter = [ "r|^/dev/disk/by-remap-main/|" ]\n}\n' >>/etc/lvm/lvmlocal.conf
lvmconfig devices/global_filter | grep -qF 'r|^/dev/disk/by-remap-main/|' ||
	fail "lvmlocal.conf's filter: $(lvmconfig devices/global_filter 2>&1)"
udevadm trigger --action=change "$(readlink -f $main)"
udevadm settle
[ -e /dev/disk/by-remap-main/data ] || fail "main is not marked: $(udevadm info --query=property $main)"
systemctl start dm-remap-data.service || fail "the unit did not start: $(systemctl status --no-pager dm-remap-data 2>&1)"
[ -b /dev/mapper/data ] || fail "no /dev/mapper/data"
pvcreate -q /dev/mapper/data && vgcreate -q vgdata /dev/mapper/data && lvcreate -q -y -L 40M -n lv vgdata ||
	fail "LVM on the remap device"
# "pattern" follows lv's 10 extents of 4 MiB after the PV's first MiB: main's
# sectors 83968 on, where the next boots' main fails (test-all.sh).
lvcreate -q -y -L 4M -n pattern vgdata || fail "lvcreate pattern"
[ "$(dmsetup table vgdata-pattern | cut -d' ' -f1,2,5)" = "0 8192 83968" ] ||
	fail "pattern is not at main's sector 83968: $(dmsetup table vgdata-pattern)"
# (Each 4 KiB block names itself: random data can look like a signature
# that leads blkid's probes at the boot to read any block of the LV.)
awk 'BEGIN { for (b = 0; b < 1024; b++) { s = ""; for (i = 0; i < 315; i++) s = s sprintf("block %06d ", b); print s } }' >/root/pattern
[ "$(stat -c %s /root/pattern)" = 4194304 ] || fail "the pattern is $(stat -c %s /root/pattern) bytes"
dd if=/root/pattern of=/dev/vgdata/pattern bs=64k oflag=direct status=none || fail "writing the pattern"
mkfs.ext4 -q /dev/vgdata/lv || fail "mkfs.ext4"
udevadm settle
fsuuid=$(blkid -s UUID -o value /dev/vgdata/lv)
mkdir -p /mnt/data
echo "UUID=$fsuuid /mnt/data ext4 defaults 0 2" >>/etc/fstab
systemctl daemon-reload
mount /mnt/data || fail "mount from fstab"
dd if=/dev/urandom of=/mnt/data/file bs=1M count=8 status=none && sync
# Some of the LV's blocks move to the spare.
dmsetup message data 0 remap 8192 64 >/dev/null || fail "remap message"
(cd /mnt/data && sha256sum file) >/root/sums
dmsetup message data 0 list >/root/list
echo "$fsuuid" >/root/fsuuid
[ "$(dmsetup status data | awk '{print $4}')" = 64 ] || fail "64 remaps expected: $(dmsetup status data)"
# Monitoring, as the admin guide sets it up: the monitor service enabled,
# mail to root (a sendmail stub keeps each mail) and a program (set in a
# drop-in, as the unit's comment says) that keeps each event.
printf '#!/bin/sh\n{ cat; echo "--- $*"; } >>/root/mail\n' >/usr/sbin/sendmail
printf '#!/bin/sh\necho "$*" >>/root/events\n' >/usr/local/sbin/dmr-event
chmod +x /usr/sbin/sendmail /usr/local/sbin/dmr-event
echo "DM_REMAP_MAIL=root@localhost" >/etc/default/dm-remap-monitor
mkdir -p /etc/systemd/system/dm-remap-monitor.service.d
printf '[Service]\nExecStart=\nExecStart=/usr/sbin/dm-remap-tool monitor --program /usr/local/sbin/dmr-event\n' \
	>/etc/systemd/system/dm-remap-monitor.service.d/program.conf
systemctl enable -q dm-remap-monitor.service || fail "enabling the monitor"
say "pair $uuid, LVM and ext4 (UUID=$fsuuid) on it, mounted from fstab; 64 blocks remapped"
