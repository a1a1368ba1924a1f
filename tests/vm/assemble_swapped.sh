# Second boot of the assembly test: the same disks in the other order
# (other, notes, spare, main: vda to vdd), so /dev/vda is now another disk
# of main's size. The remaptab from the first boot: `assemble byname`
# (main as /dev/vda) is refused for main's identity and creates nothing;
# `assemble --all` finds main by id and the spare by UUID, and every remap
# and every block is as the first boot left them. The remaptab is in place
# before udev starts, as at a real boot: udev marks main (which holds the
# ext2 filesystem made on the remap device) as a member of its pair, with
# no by-uuid link, on its first event.
. /tests/lib.sh
load
export DM_DISABLE_UDEV=1
[ "$(cat /sys/block/vda/serial)" = other ] || fail "the disks are not in the swapped order"
[ "$(cat /sys/block/vdb/serial)" = notes ] || fail "the notes disk is not vdb"
dd if=/dev/vdb bs=4096 count=1 status=none | tr -d '\0' >/tmp/notes
grep -v '^#sums' /tmp/notes >/etc/remaptab
start_udev
prop() { /usr/bin/udevadm info --query=property "$1" | sed -n "s/^$2=//p"; }
[ "$(prop /dev/vdd DM_REMAP_MEMBER_OF) $(prop /dev/vdd ID_FS_TYPE)" = "data dm_remap_member" ] ||
	fail "udev did not mark main as a member: $(/usr/bin/udevadm info --query=property /dev/vdd)"
[ "$(prop /dev/vdd SYSTEMD_WANTS)" = dm-remap-data.service ] || fail "main does not want its unit (hotplug)"
ls -l /dev/disk/by-uuid 2>/dev/null | grep -q vdd && fail "main's filesystem has a by-uuid link: $(ls -l /dev/disk/by-uuid)"
[ "$(readlink -f /dev/disk/by-remap-main/data)" = /dev/vdd ] || fail "no by-remap-main link: $(ls -l /dev/disk/*)"
[ "$(readlink -f /dev/disk/by-id/virtio-main)" = /dev/vdd ] || fail "main lost its by-id link: $(/usr/bin/udevadm info /dev/vdd; ls -lR /dev/disk)"
read -r _ sum list <<EOF2
$(grep '^#sums' /tmp/notes)
EOF2
[ -n "$list" ] || fail "no notes from the first boot: $(cat /tmp/notes)"
spare=$(by_serial spare)
link=$(ls -d /dev/disk/by-remap-uuid/*)
[ "$(readlink -f "$link")" = "$spare" ] || fail "udev's by-remap-uuid link: $(ls -l /dev/disk/by-remap-uuid)"
rc=0
tool assemble byname >/tmp/out 2>&1 || rc=$?
[ $rc = 1 ] || fail "assemble of a wrong main: exit $rc: $(cat /tmp/out)"
grep -q "^byname: not assembled: /dev/vda (serial=other) is not this pair's main" /tmp/out ||
	fail "assemble of a wrong main said: $(cat /tmp/out)"
dmsetup info byname >/dev/null 2>&1 && fail "a device was created over the wrong main"
tool check "$spare" --main /dev/vda >/tmp/out 2>&1 && fail "check --main of a wrong main passed: $(cat /tmp/out)"
tool check "$spare" --main /dev/disk/by-id/virtio-main >/tmp/out 2>&1 || fail "check --main: $(cat /tmp/out)"
# Which disk is main now: the one of main's size and identity, not vda.
[ "$(tool find-main "$spare")" = "/dev/vdd (serial=main)" ] || fail "find-main: $(tool find-main "$spare" 2>&1)"
tool assemble --all >/tmp/out 2>&1 || fail "assemble --all: $(cat /tmp/out)"
grep -q "^data: assembled: main /dev/disk/by-id/virtio-main: size and identity match (serial=main); spare $link " \
	/tmp/out || fail "assemble --all said: $(cat /tmp/out)"
[ "$(dmsetup message data 0 list | md5sum | cut -d' ' -f1)" = "$list" ] || fail "the remaps differ after the reboot"
[ "$(checksum /dev/mapper/data)" = "$sum" ] || fail "the data differs after the reboot"
tool assemble data >/tmp/out 2>&1 || fail "assemble data again: $(cat /tmp/out)"
dmsetup remove data
# Without a remaptab, main is known by the identity its spare recorded
# (the spare's probe noted it); another disk of its size is not a member.
mv /etc/remaptab /tmp/remaptab
uuid=${link##*/}
/usr/bin/udevadm trigger --action=change /dev/vdd /dev/vda
/usr/bin/udevadm settle --timeout=60
[ "$(prop /dev/vdd DM_REMAP_MEMBER_OF) $(prop /dev/vdd ID_FS_TYPE)" = "$uuid dm_remap_member" ] ||
	fail "without a remaptab, main is not a member: $(/usr/bin/udevadm info --query=property /dev/vdd)"
[ -z "$(prop /dev/vda DM_REMAP_ROLE)" ] || fail "another disk is marked: $(/usr/bin/udevadm info --query=property /dev/vda)"
stop_udev
say "after the disks swapped places: main hidden as a member, a wrong main refused, the pair assembled by identity, remaps and data intact"
