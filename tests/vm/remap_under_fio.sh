# fio writes and verifies while the device is repeatedly suspended, blocks
# are remapped, and the table is reloaded: no I/O error, data verifies.
. /tests/lib.sh
load
fresh_spare /dev/ram1
T="0 65536 remap /dev/ram0 /dev/ram1"
dmsetup create r --table "$T"
fio_busy /dev/mapper/r
pid=$!
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 30 ]; do
	sleep 0.3
	dmsetup suspend r
	dmsetup message r 0 remap $((i * 1608)) 3 >/dev/null
	dmsetup resume r
	dmsetup reload r --table "$T"
	dmsetup resume r
	i=$((i + 1))
done
wait $pid || { cat /tmp/fio.out; fail "fio saw an error"; }
[ $i -ge 3 ] || fail "only $i rounds ran during fio"
[ "$(status_field r 1)" = $((i * 3)) ] || fail "status: $(dmsetup status r)"
dmsetup remove r
fresh_spare /dev/ram1
say "$i remap/suspend/reload rounds under fio ok"
