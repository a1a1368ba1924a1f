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
# A pair formatted without main's identity gets it recorded afterwards.
tool format $spare --main-sectors "$(sectors $main)" >/dev/null || fail "format without main"
seq=$(commit_seq $spare)
out=$(tool set-main $spare --main $main) || fail "set-main: $out"
[ "$out" = "recorded main $main (serial=main) as commit $((seq + 1))" ] || fail "set-main said: $out"
out=$(tool check $spare --main $main)
echo "$out" | grep -q "size and identity match (serial=main)" || fail "set-main recorded no identity: $out"
rc=0
tool set-main $spare --main /dev/vdd >/tmp/out 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "the pair records another main" /tmp/out || fail "set-main over another main: $rc $(cat /tmp/out)"
wipe $spare 1
# (udev does not watch a disk while it handles its event: a write closed
# then would go unseen.)
/usr/bin/udevadm settle --timeout=60
out=$(tool format $spare --main $main) || fail "format: $out"
echo "$out" | grep -q "main: serial=main$" || fail "format did not name main's identity: $out"
uuid=$(tool dump $spare | awk '/^uuid:/{print $2}')
# udev saw the format (the write's close is a change event) and ran the
# rule: the spare, and only it, is named by the pair's UUID.
/usr/bin/udevadm settle --timeout=60
[ "$(ls /dev/disk/by-remap-uuid)" = "$uuid" ] || fail "udev's by-remap-uuid names: $(ls /dev/disk/by-remap-uuid)"
[ "$(readlink -f /dev/disk/by-remap-uuid/$uuid)" = /dev/vdb ] || fail "by-remap-uuid: $(ls -l /dev/disk/by-remap-uuid)"
# A line whose spare holds no metadata (a new disk, or names that moved)
# is refused, and the disk is left as it was: assembly never formats
# without the line's `format` option.
printf 'fresh /dev/vda /dev/vdc\n' >/etc/remaptab
rc=0
tool assemble fresh >/tmp/out 2>&1 || rc=$?
[ $rc = 1 ] || fail "assemble over a blank spare: exit $rc: $(cat /tmp/out)"
grep -q "^fresh: not assembled: /dev/vdc holds no dm-remap metadata: not formatting it" /tmp/out ||
	fail "assemble over a blank spare said: $(cat /tmp/out)"
cmp -n 1048576 /dev/vdc /dev/zero || fail "assemble wrote to a blank spare"
dmsetup info fresh >/dev/null 2>&1 && fail "a device was created over a blank spare"
# A copy of the spare (dd) on another disk: the pair's UUID is on two
# devices, and assembly refuses to guess.
printf '# name main spare options\ndata %s UUID=%s\nbyname /dev/vda UUID=%s noauto\n' $main "$uuid" "$uuid" >/etc/remaptab
dd if=$spare of=/dev/vdd bs=1M count=1 iflag=direct oflag=direct status=none
rc=0
tool assemble data >/tmp/out 2>&1 || rc=$?
[ $rc = 1 ] || fail "assemble with a cloned spare: exit $rc: $(cat /tmp/out)"
grep -qE "UUID=$uuid is on several devices \(/dev/vdb \(commit ([0-9]+)\), /dev/vdd \(commit \1\)\)" /tmp/out ||
	fail "assemble with a cloned spare said: $(cat /tmp/out)"
wipe /dev/vdd 1
/usr/bin/udevadm trigger --action=change /dev/vdd
/usr/bin/udevadm settle --timeout=60
tool assemble --all >/tmp/out 2>&1 || fail "assemble --all: $(cat /tmp/out)"
grep -q "^data: assembled: main $main: size and identity match (serial=main); spare /dev/disk/by-remap-uuid/$uuid (pair $uuid)$" /tmp/out ||
	fail "assemble --all said: $(cat /tmp/out)"
tool assemble --all >/tmp/out 2>&1 || fail "assemble --all again: $(cat /tmp/out)"
[ "$(cat /tmp/out)" = "data: already assembled" ] || fail "assemble --all again said: $(cat /tmp/out)"
# udev's view of the spare (the udev rule imports it) and of main.
id=$(tool dump $spare | sed -n 's/^main: .*, identity 0x\([0-9a-f]\{16\}\)$/\1/p')
[ -n "$id" ] || fail "dump shows no identity: $(tool dump $spare)"
[ "$(tool probe $spare)" = "$(printf 'DM_REMAP_ROLE=spare\nDM_REMAP_PAIR_UUID=%s\nDM_REMAP_MAIN_ID=%s\nDM_REMAP_WANTS=dm-remap-data.service' "$uuid" "$id")" ] ||
	fail "probe of the spare: $(tool probe $spare)"
# main, as the remaptab names it (udev passes its links in DEVLINKS).
out=$(DEVLINKS="$main /dev/disk/by-uuid/x" tool probe /dev/vda)
[ "$out" = "$(printf 'DM_REMAP_ROLE=main\nDM_REMAP_MEMBER_OF=data\nDM_REMAP_LINKS=%s\nDM_REMAP_WANTS=dm-remap-data.service' "${main#/dev/}")" ] ||
	fail "probe of main: $out"
out=$(tool probe /dev/vdd 2>/dev/null) && fail "probe of another disk succeeded: $out"
[ -z "$out" ] || fail "probe of another disk printed: $out"
dd if=/dev/urandom of=/dev/mapper/data bs=1M count=32 oflag=direct status=none
dd if=/dev/urandom of=/dev/mapper/data bs=4096 seek=8740 count=64 oflag=direct status=none
dmsetup message data 0 remap 800 16
dmsetup message data 0 remap 70000 8
list=$(dmsetup message data 0 list | md5sum | cut -d' ' -f1)
n=$(status_field data 1)
[ "$n" = 24 ] || fail "expected 24 remaps: $(dmsetup status data)"
# The tool reads the live spare as the kernel wrote it (O_DIRECT, no
# stale page cache: no drop_caches here), and refuses to write under it.
out=$(PATH=/usr/bin:$PATH /usr/bin/dm-remap-tool dump $spare)
echo "$out" | grep -q "^remaps: *24$" || fail "dump of the live spare: $out"
for cmd in "repair $spare" "format --force $spare --main $main"; do
	rc=0
	tool $cmd >/tmp/out 2>&1 || rc=$?
	[ $rc = 3 ] && grep -q "is in use" /tmp/out || fail "$cmd on the live spare: exit $rc: $(cat /tmp/out)"
done
tool check $spare >/tmp/out 2>&1 || fail "check after the refused writes: $(cat /tmp/out)"
# A filesystem on the remap device: its signature is on main too (the
# next boot checks that udev hides it there).
/bin/mke2fs -q -b 4096 /dev/mapper/data 4096 || fail "mke2fs"
{
	cat /etc/remaptab
	echo "#sums $(checksum /dev/mapper/data) $list"
} >/tmp/notes
dd if=/tmp/notes of=/dev/vdc bs=4096 conv=sync oflag=direct status=none
stop_udev
say "assembled pair $uuid from /etc/remaptab (spare by udev's link); $n remaps"
