# A read-only table follows the committed remaps but adds none, and never
# formats a blank spare.
. /tests/lib.sh
load
fresh_spare /dev/ram1
T="0 16384 remap /dev/ram0 /dev/ram1"
dmesg -c >/dev/null
dmsetup create --readonly r --table "$T" 2>/dev/null && fail "a read-only table formatted a blank spare"
dmesg | grep -q "remap: Spare has no metadata and a read-only table cannot format it" || fail "no reason logged"
dmsetup create r --table "$T"
dd if=/dev/urandom of=/tmp/model bs=1M count=8 status=none
dd if=/tmp/model of=/dev/mapper/r bs=1M oflag=direct status=none
dmsetup suspend r
dmsetup message r 0 remap 0 2 >/dev/null
dmsetup resume r
dmsetup remove r
dmsetup create --readonly r --table "$T"
[ "$(status_field r 6)" = read-only ] || fail "status: $(dmsetup status r)"
[ "$(status_field r 1)" = 2 ] || fail "status: $(dmsetup status r)"
expect /dev/mapper/r 0 16384 /tmp/model
dmsetup suspend r
dmsetup message r 0 remap 80 2>/dev/null && fail "remap on a read-only table accepted"
dmsetup resume r
dmsetup message r 0 commit 2>/dev/null && fail "commit on a read-only table accepted"
dmsetup remove r
fresh_spare /dev/ram1
say "read-only table ok"
