# `dmsetup create` loads dm-remap through its "dm-remap" module alias, and
# rmmod unloads it cleanly once the device is gone.
. /tests/lib.sh
rmmod dm_remap 2>/dev/null || true
grep -q '^dm_remap ' /proc/modules && fail "module still loaded"
modinfo dm_remap | grep -q '^alias: *dm-remap$' || fail "no dm-remap alias in modinfo"
dmsetup create r --table "0 $(sectors /dev/ram0) remap /dev/ram0 /dev/ram1"
grep -q '^dm_remap ' /proc/modules || fail "module was not autoloaded"
dmsetup targets | grep -q '^remap ' || fail "remap target not listed"
rmmod dm_remap 2>/dev/null && fail "rmmod succeeded while a table uses the module"
dmsetup remove r
rmmod dm_remap
grep -q '^dm_remap ' /proc/modules && fail "module still loaded after rmmod"
say "autoload and rmmod ok"
