# fio writes and verifies while the device is repeatedly suspended, blocks
# are remapped, and the table is reloaded: no I/O error, data verifies.
. /tests/lib.sh
load
fresh_spare /dev/ram1
t="0 65536 remap /dev/ram0 /dev/ram1"
dmsetup create r --table "$t"
remap3() { dmsetup message r 0 remap $(($1 * 1608)) 3 >/dev/null; }
rounds_under_fio "$t" remap3
[ "$(status_field r 1)" = $((rounds * 3)) ] || fail "status: $(dmsetup status r)"
dmsetup remove r
fresh_spare /dev/ram1
say "$rounds remap/suspend/reload rounds under fio ok"
