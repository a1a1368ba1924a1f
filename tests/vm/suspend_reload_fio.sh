# Suspend, resume and table reloads while fio writes and verifies: no I/O
# error, and the data verifies.
. /tests/lib.sh
load
t="0 65536 remap /dev/ram0 /dev/ram1"
dmsetup create r --table "$t"
fio_busy /dev/mapper/r
pid=$!
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 40 ]; do
	sleep 0.3
	dmsetup suspend r
	dmsetup resume r
	dmsetup reload r --table "$t"
	dmsetup resume r
	i=$((i + 1))
done
wait $pid || { cat /tmp/fio.out; fail "fio saw an error"; }
[ $i -ge 3 ] || fail "only $i suspend/reload rounds ran during fio"
dmsetup remove r
say "$i suspend/resume/reload rounds under fio ok"
