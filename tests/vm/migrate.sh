# Migration off a failing main: `dm-remap-tool migrate` copies the remap
# device onto a new disk. Blocks 200-203 are remapped by a message, then
# main fails them and block 100, which a read makes pending.
# First the destinations migrate must refuse (exit 2, nothing written): the
# remap device, its spare, its main (and the disk under main, held by it),
# a disk with dm-remap metadata, one held by a dm-linear table, one with a
# swap signature (blkid's). Then the copy, with a map file: migrate names
# block 100 first, copies every other block (200-203 from the spare; the
# first pass skips the 1 MiB chunk that fails, the second reads it block by
# block), writes zeros for block 100 and exits 1 naming it; the map records
# block 100 alone as unreadable. Run again with the map, it resumes: it
# reads block 100 again (still unreadable) and nothing else.
. /tests/lib.sh
load
fresh_spare /dev/ram1
n=$(sectors /dev/ram0)
# Random data all over main: no signature that blkid could find in its copy.
dd if=/dev/urandom of=/dev/ram0 bs=1M count=$((n / 2048)) oflag=direct status=none
dmsetup create dmain --table "0 $n linear /dev/ram0 0"
dmsetup create r --table "0 $n remap /dev/mapper/dmain /dev/ram1"
dmsetup message r 0 remap 1600 4
printf '0 800 linear /dev/ram0 0\n800 8 error\n808 792 linear /dev/ram0 808\n1600 32 error\n1632 %s linear /dev/ram0 1632\n' \
	$((n - 1632)) | dmsetup load dmain
dmsetup suspend dmain && dmsetup resume dmain
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=100 count=1 iflag=direct status=none 2>/dev/null &&
	fail "a read of a failing block succeeded"

# migrate onto $1 (options $3...) must exit 2 saying $2 (a grep pattern).
refused() {
	d=$1 want=$2
	shift 2
	rc=0
	tool migrate /dev/mapper/r "$d" "$@" >/tmp/out 2>&1 || rc=$?
	[ $rc = 2 ] || fail "migrate onto $d $*: exit $rc, not 2: $(cat /tmp/out)"
	grep -q "$want" /tmp/out || fail "migrate onto $d $* did not say '$want': $(cat /tmp/out)"
}
refused /dev/mapper/r "is the remap device itself: refusing" --force
refused /dev/ram1 "is this remap device's spare: refusing"
refused /dev/ram1 "is this remap device's spare: refusing" --force
refused /dev/mapper/dmain "is this remap device's main: refusing" --force
refused /dev/ram0 "is in use (held by dm-[0-9]* (dmain)): the kernel refuses to open it exclusively" --force
tool check /dev/ram1 >/tmp/out 2>&1 || fail "the spare's metadata does not check after the refusals: $(cat /tmp/out)"
wipe /dev/ram3 8
tool format /dev/ram3 --main-sectors 2048 >/dev/null
refused /dev/ram3 "/dev/ram3 holds dm-remap metadata .*; use --force to overwrite it$"
tool check /dev/ram3 >/tmp/out 2>&1 || fail "the refused disk's metadata does not check: $(cat /tmp/out)"
dmsetup create hold --table "0 $n linear /dev/ram3 0"
refused /dev/ram3 "/dev/ram3 is in use (held by dm-[0-9]* (hold))" --force
dmsetup remove hold
# A swap signature (what blkid checks: version 1 and a last page at byte
# 1024, the magic at 4086).
wipe /dev/ram3 8
printf '\001\000\000\000\377\000\000\000' | dd of=/dev/ram3 bs=1 seek=1024 conv=notrunc,fsync status=none
printf 'SWAPSPACE2' | dd of=/dev/ram3 bs=1 seek=4086 conv=notrunc,fsync status=none
refused /dev/ram3 "/dev/ram3 holds a swap signature (TYPE=swap); use --force to overwrite it$"

# What the new disk must hold: main's data, block 100 as zeros.
dd if=/dev/ram0 of=/tmp/expect bs=1M iflag=direct status=none
dd if=/dev/zero of=/tmp/expect bs=4096 seek=100 count=1 conv=notrunc status=none
dd if=/dev/urandom of=/dev/ram2 bs=1M count=$((n / 2048)) oflag=direct status=none
rc=0
/usr/bin/blkid -p -o export /dev/ram2 >/tmp/out 2>&1 || rc=$?
[ $rc = 2 ] || fail "blkid finds a signature in random data (exit $rc): $(cat /tmp/out)"
rm -f /tmp/map
rc=0
tool migrate /dev/mapper/r /dev/ram2 --map /tmp/map --force >/tmp/out 2>&1 || rc=$?
[ $rc = 1 ] || fail "migrate: exit $rc: $(cat /tmp/out)"
[ "$(head -2 /tmp/out)" = "1 blocks with lost data (they will read as zeros on /dev/ram2):
  block 100 (bytes 409600 to 413695)" ] || fail "migrate did not list the lost block first: $(cat /tmp/out)"
grep -q "1 blocks could not be read and are zeros on /dev/ram2: \[100\]$" /tmp/out || fail "migrate said: $(cat /tmp/out)"
grep -q overwriting /tmp/out && fail "migrate found a signature in random data: $(cat /tmp/out)"
mib=$((n / 2048))
grep -q "^pass 1: $((mib - 1)) MiB of $mib MiB copied, 1 areas to retry, " /tmp/out ||
	fail "no progress line at the end of pass 1: $(cat /tmp/out)"
grep -q "^pass 2: $((mib - 1)) MiB of $mib MiB copied, 0 areas to retry, 1 blocks unreadable, " /tmp/out ||
	fail "no progress line at the end of pass 2: $(cat /tmp/out)"
cmp /dev/ram2 /tmp/expect || fail "the new disk differs from main's data"
[ "$(cat /tmp/map)" = "# dm-remap-tool migrate map: from /dev/mapper/r to /dev/ram2 size $((n * 512)) block_size 4096
0 409600 +
409600 4096 -
413696 $((n * 512 - 413696)) +" ] || fail "the map does not record block 100 alone as unreadable: $(cat /tmp/map)"
cp /tmp/map /tmp/map.first

# Resumed (no --force: the copy of random data has no signature): the
# copied ranges are not read again (the remap device's sector count grows
# by block 100's two reads at most), block 100 stays zeros.
stat=/sys/block/$(dmsetup info -c --noheadings -o blkdevname r | tr -d ' ')/stat
before=$(awk '{print $3}' "$stat")
rc=0
tool migrate /dev/mapper/r /dev/ram2 --map /tmp/map >/tmp/out 2>&1 || rc=$?
[ $rc = 1 ] || fail "migrate resumed: exit $rc: $(cat /tmp/out)"
grep -q "^resuming from /tmp/map: $((n * 512 - 4096)) bytes copied before, 0 to copy, 4096 to retry$" /tmp/out ||
	fail "migrate did not say it resumes: $(cat /tmp/out)"
grep -q "^this run copied 0 bytes; the rest was copied before, as /tmp/map records$" /tmp/out ||
	fail "migrate resumed copied something: $(cat /tmp/out)"
grep -q "1 blocks could not be read and are zeros on /dev/ram2: \[100\]$" /tmp/out || fail "migrate said: $(cat /tmp/out)"
read=$(($(awk '{print $3}' "$stat") - before))
[ $read -le 16 ] || fail "the resumed copy read $read sectors of the remap device, not block 100 alone"
cmp -s /tmp/map /tmp/map.first || fail "the resumed copy changed the map: $(cat /tmp/map)"
cmp /dev/ram2 /tmp/expect || fail "after the resume the new disk differs from main's data"
# A map of another copy is refused.
refused /dev/ram3 "/tmp/map is not a map of this copy: it copies to /dev/ram2, not /dev/ram3" --map /tmp/map --force
dmsetup remove r
dmsetup remove dmain
say "migrated $mib MiB: 4 remapped blocks from the spare, 1 lost block listed and zeroed, the map resumed; 9 destinations refused"
