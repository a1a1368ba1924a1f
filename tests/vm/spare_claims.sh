# A spare serves one remap device: a second device, or a second segment
# of the same table, naming a spare in use is refused; so is one naming
# a main in use, as main or as spare; reloading the device that uses it
# is fine, and removing it frees the spare.
. /tests/lib.sh
load
fresh_spare /dev/ram2
n=$(sectors /dev/ram0)
dmsetup create r1 --table "0 $n remap /dev/ram0 /dev/ram2"
# (Each refusal's reason is looked for in what it logged, not before.)
dmesg -c >/dev/null
dmsetup create r2 --table "0 $n remap /dev/ram1 /dev/ram2" 2>/dev/null && fail "a second device took the spare"
dmesg | grep -q "Spare device is in use by another remap device or segment" || fail "no reason logged"
dmsetup remove r2 2>/dev/null || true
# Main is claimed too: another device naming it as its spare (which it
# would format) or as its main is refused, and main is left as it was.
before=$(dd if=/dev/ram0 bs=1M count=8 status=none | md5sum)
dmesg -c >/dev/null
dmsetup create r4 --table "0 $n remap /dev/ram1 /dev/ram0" 2>/dev/null && fail "another device took main as its spare"
dmesg | grep -q "Spare device is in use by another remap device or segment" || fail "no reason logged (main as spare)"
dmsetup remove r4 2>/dev/null || true
[ "$(dd if=/dev/ram0 bs=1M count=8 status=none | md5sum)" = "$before" ] || fail "main was written by a refused table"
dmesg -c >/dev/null
dmsetup create r5 --table "0 $n remap /dev/ram0 /dev/ram3" 2>/dev/null && fail "a second device took main"
dmesg | grep -q "Main device is in use by another remap device or segment" || fail "no reason logged (main twice)"
dmsetup remove r5 2>/dev/null || true
# Two segments of one table over one spare (distinct mains).
l=$(mkloop 65536)
dmesg -c >/dev/null
dmsetup create r3 --table "0 $n remap /dev/ram1 /dev/ram3
$n $n remap $l /dev/ram3" 2>/dev/null && fail "two segments shared a spare"
dmesg | grep -q "Spare device is in use by another remap device or segment" || fail "no reason logged (two segments)"
dmsetup remove r3 2>/dev/null || true
losetup -d $l
# A reload of the same device keeps using it.
dmsetup reload r1 --table "0 $n remap /dev/ram0 /dev/ram2"
dmsetup resume r1
dmsetup remove r1
fresh_spare /dev/ram2
dmsetup create r2 --table "0 $n remap /dev/ram1 /dev/ram2" || fail "the spare was not freed"
dmsetup remove r2
fresh_spare /dev/ram2
fresh_spare /dev/ram3
say "spare claims ok"
