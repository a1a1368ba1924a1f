# Suspend, resume and table reloads while fio writes and verifies: no I/O
# error, and the data verifies.
. /tests/lib.sh
load
t="0 65536 remap /dev/ram0 /dev/ram1"
dmsetup create r --table "$t"
fio --name=busy --filename=/dev/mapper/r --size=24M --rw=randwrite --bs=4k --ioengine=libaio \
	--iodepth=8 --direct=1 --verify=crc32c --verify_fatal=1 --rate=4m --minimal >/tmp/fio.out 2>&1 &
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
