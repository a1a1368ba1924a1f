# Second boot of the assembly test: the same disks in the other order
# (other, notes, spare, main: vda to vdd), so /dev/vda is now another disk
# of main's size. The remaptab from the first boot: `assemble byname`
# (main as /dev/vda) is refused for main's identity and creates nothing;
# `assemble --all` finds main by id and the spare by UUID, and every remap
# and every block is as the first boot left them.
. /tests/lib.sh
load
start_udev
export DM_DISABLE_UDEV=1
[ "$(cat /sys/block/vda/serial)" = other ] || fail "the disks are not in the swapped order"
dd if="$(by_serial notes)" bs=4096 count=1 status=none | tr -d '\0' >/tmp/notes
grep -v '^#sums' /tmp/notes >/etc/remaptab
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
stop_udev
say "after the disks swapped places: a wrong main refused, the pair assembled by identity, remaps and data intact"
