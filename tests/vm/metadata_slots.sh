# Damaged and foreign metadata: slot A corrupt -> slot B is used and the
# tool reports it; both corrupt -> refused; another pair's metadata or
# non-metadata data on the spare -> refused, never formatted over.
. /tests/lib.sh
load
fresh_spare /dev/ram1
T="0 16384 remap /dev/ram0 /dev/ram1"
dmsetup create r --table "$T"        # format: commit 1 in slot A, 2 in B
dmsetup suspend r
dmsetup message r 0 remap 0 4        # commit 3 in slot A
dmsetup message r 0 commit           # commit 4 in slot B
dmsetup resume r
dmsetup remove r
tool check /dev/ram1 >/tmp/check || fail "check of healthy metadata: $(cat /tmp/check)"

flip /dev/ram1 100                   # slot A
if tool check /dev/ram1 >/tmp/check; then fail "check missed a damaged slot A"; else rc=$?; fi
[ $rc = 1 ] || fail "check exit code $rc"
grep -q "slot A: DAMAGED" /tmp/check || fail "check: $(cat /tmp/check)"
dmesg -c >/dev/null
dmsetup create r --table "$T"
[ "$(status_field r 1)" = 4 ] || fail "slot B not used: $(dmsetup status r)"
dmesg | grep -q "metadata slot A is invalid" || fail "no warning about slot A"
dmsetup remove r
tool repair /dev/ram1 >/dev/null || fail "repair failed"
tool check /dev/ram1 >/tmp/check || fail "check after repair: $(cat /tmp/check)"

flip /dev/ram1 100                   # slot A (now commit 5)
flip /dev/ram1 $((4096 + 100))       # slot B
dmesg -c >/dev/null
dmsetup create r --table "$T" 2>/dev/null && fail "both slots corrupt accepted"
dmesg | grep -q "remap: Both metadata slots are corrupt" || fail "no reason for two corrupt slots"

# Another pair's metadata: formatted for a main of another size.
fresh_spare /dev/ram1
tool format /dev/ram1 --main-sectors 4096 >/dev/null
dmesg -c >/dev/null
dmsetup create r --table "$T" 2>/dev/null && fail "another pair's metadata accepted"
dmesg | grep -q "remap: Spare metadata belongs to another device pair" || fail "no reason for foreign metadata"

# Data that is not metadata is never formatted over.
fresh_spare /dev/ram1
echo "precious" | dd of=/dev/ram1 bs=512 seek=100 conv=notrunc status=none
dmesg -c >/dev/null
dmsetup create r --table "$T" 2>/dev/null && fail "non-zero spare formatted"
dmesg | grep -q "remap: Spare holds data but no valid metadata" || fail "no reason for a non-zero spare"
dd if=/dev/ram1 bs=512 skip=100 count=1 status=none | grep -q precious || fail "spare data was overwritten"
fresh_spare /dev/ram1
say "metadata slots ok"
