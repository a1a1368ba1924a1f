# insmod of the .ko file registers the target; rmmod unregisters it.
. /tests/lib.sh
rmmod dm_remap 2>/dev/null || true
# (The log of an earlier load in this boot must not count.)
dmesg -c >/dev/null
insmod /lib/modules/$(uname -r)/extra/dm-remap.ko
dmsetup targets | grep -q '^remap ' || fail "remap target not listed after insmod"
dmesg | grep -q 'registered target "remap"' || fail "no registration message"
dmsetup create r --table "0 1024 remap /dev/ram0 /dev/ram1"
dmsetup remove r
rmmod dm_remap
dmsetup targets | grep -q '^remap ' && fail "remap target still listed after rmmod"
grep -q '^dm_remap ' /proc/modules && fail "dm_remap still loaded after rmmod"
say "insmod and rmmod ok"
