# First boot of the assembly test: disks in the order main, spare, notes,
# other (vda to vdd; other is as large as main). The spare is formatted
# for main by its by-id name, so the metadata records main's identity; a
# remaptab names main by id and the spare by the pair's UUID, and a second
# line (noauto) names main as /dev/vda, which it is in this boot only.
# `assemble --all` creates the device, and again leaves it alone; remaps
# and data are made, and the remaptab, the data's checksum and the remap
# list go to the notes disk for assemble_swapped.
. /tests/lib.sh
load
start_udev
export DM_DISABLE_UDEV=1 # (dmsetup as the tool runs it: no dm rules in udev here)
main=/dev/disk/by-id/virtio-main spare=/dev/disk/by-id/virtio-spare
out=$(tool format $spare --main $main) || fail "format: $out"
echo "$out" | grep -q "main: serial=main$" || fail "format did not name main's identity: $out"
uuid=$(tool dump $spare | awk '/^uuid:/{print $2}')
# udev saw the format (the write's close is a change event) and ran the
# rule: the spare, and only it, is named by the pair's UUID.
/usr/bin/udevadm settle --timeout=60
[ "$(ls /dev/disk/by-remap-uuid)" = "$uuid" ] || fail "udev's by-remap-uuid names: $(ls /dev/disk/by-remap-uuid)"
[ "$(readlink -f /dev/disk/by-remap-uuid/$uuid)" = /dev/vdb ] || fail "by-remap-uuid: $(ls -l /dev/disk/by-remap-uuid)"
printf '# name main spare options\ndata %s UUID=%s\nbyname /dev/vda UUID=%s noauto\n' $main "$uuid" "$uuid" >/etc/remaptab
tool assemble --all >/tmp/out 2>&1 || fail "assemble --all: $(cat /tmp/out)"
grep -q "^data: assembled: main $main: size and identity match (serial=main); spare /dev/disk/by-remap-uuid/$uuid (pair $uuid)$" /tmp/out ||
	fail "assemble --all said: $(cat /tmp/out)"
tool assemble --all >/tmp/out 2>&1 || fail "assemble --all again: $(cat /tmp/out)"
[ "$(cat /tmp/out)" = "data: already assembled" ] || fail "assemble --all again said: $(cat /tmp/out)"
# udev's view of the spare (the udev rule imports it) and of main.
id=$(tool dump $spare | sed -n 's/^main: .*, identity 0x\([0-9a-f]\{16\}\)$/\1/p')
[ -n "$id" ] || fail "dump shows no identity: $(tool dump $spare)"
[ "$(tool probe $spare)" = "$(printf 'DM_REMAP_ROLE=spare\nDM_REMAP_PAIR_UUID=%s\nDM_REMAP_MAIN_ID=%s' "$uuid" "$id")" ] ||
	fail "probe of the spare: $(tool probe $spare)"
out=$(tool probe $main 2>/dev/null) && fail "probe of main succeeded: $out"
[ -z "$out" ] || fail "probe of main printed: $out"
dd if=/dev/urandom of=/dev/mapper/data bs=1M count=32 oflag=direct status=none
dd if=/dev/urandom of=/dev/mapper/data bs=4096 seek=8740 count=64 oflag=direct status=none
dmsetup message data 0 remap 800 16
dmsetup message data 0 remap 70000 8
list=$(dmsetup message data 0 list | md5sum | cut -d' ' -f1)
n=$(status_field data 1)
[ "$n" = 24 ] || fail "expected 24 remaps: $(dmsetup status data)"
{
	cat /etc/remaptab
	echo "#sums $(checksum /dev/mapper/data) $list"
} >/tmp/notes
dd if=/tmp/notes of=/dev/vdc bs=4096 conv=sync oflag=direct status=none
stop_udev
say "assembled pair $uuid from /etc/remaptab (spare by udev's link); $n remaps"
