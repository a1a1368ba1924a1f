# Migration off a failing main: `dm-remap-tool migrate` copies the remap
# device onto a new disk. Blocks 200-203 are remapped by a message, then
# main fails them and block 100, which a read makes pending. migrate names
# block 100 first, copies every other block (200-203 from the spare),
# writes zeros for block 100 and exits 1 naming it.
. /tests/lib.sh
load
fresh_spare /dev/ram1
n=$(sectors /dev/ram0)
dd if=/dev/urandom of=/dev/ram0 bs=1M count=8 oflag=direct status=none
dmsetup create dmain --table "0 $n linear /dev/ram0 0"
dmsetup create r --table "0 $n remap /dev/mapper/dmain /dev/ram1"
dmsetup message r 0 remap 1600 4
printf '0 800 linear /dev/ram0 0\n800 8 error\n808 792 linear /dev/ram0 808\n1600 32 error\n1632 %s linear /dev/ram0 1632\n' \
	$((n - 1632)) | dmsetup load dmain
dmsetup suspend dmain && dmsetup resume dmain
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=100 count=1 iflag=direct status=none 2>/dev/null &&
	fail "a read of a failing block succeeded"
# What the new disk must hold: main's data, block 100 as zeros.
dd if=/dev/ram0 of=/tmp/expect bs=1M iflag=direct status=none
dd if=/dev/zero of=/tmp/expect bs=4096 seek=100 count=1 conv=notrunc status=none
dd if=/dev/urandom of=/dev/ram2 bs=1M count=8 oflag=direct status=none
rc=0
tool migrate /dev/mapper/r /dev/ram2 >/tmp/out 2>&1 || rc=$?
[ $rc = 1 ] || fail "migrate: exit $rc: $(cat /tmp/out)"
[ "$(head -2 /tmp/out)" = "1 blocks with lost data (they will read as zeros on /dev/ram2):
  block 100 (bytes 409600 to 413695)" ] || fail "migrate did not list the lost block first: $(cat /tmp/out)"
grep -q "1 blocks could not be read and are zeros on /dev/ram2: \[100\]$" /tmp/out || fail "migrate said: $(cat /tmp/out)"
cmp /dev/ram2 /tmp/expect || fail "the new disk differs from main's data"
dmsetup remove r
dmsetup remove dmain
say "migrated $((n / 2048)) MiB: 4 remapped blocks from the spare, 1 lost block listed and zeroed"
