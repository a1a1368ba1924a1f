# A spare serves one remap device: a second device, or a second segment
# of the same table, naming a spare in use is refused; reloading the
# device that uses it is fine, and removing it frees the spare.
. /tests/lib.sh
load
fresh_spare /dev/ram2
n=$(sectors /dev/ram0)
dmsetup create r1 --table "0 $n remap /dev/ram0 /dev/ram2"
dmsetup create r2 --table "0 $n remap /dev/ram1 /dev/ram2" 2>/dev/null && fail "a second device took the spare"
dmesg | grep -q "Spare device is in use by another remap device or segment" || fail "no reason logged"
dmsetup remove r2 2>/dev/null || true
# Two segments of one table over one spare.
dmsetup create r3 --table "0 $n remap /dev/ram1 /dev/ram3
$n $n remap /dev/ram0 /dev/ram3" 2>/dev/null && fail "two segments shared a spare"
dmsetup remove r3 2>/dev/null || true
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
