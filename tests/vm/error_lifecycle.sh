# Suspend (with and without noflush), resume and table reload, 100 times,
# while fio writes and verifies over a main with 2,048 blocks that fail
# every write, so error recovery is in flight: no error, no verify failure,
# no hang; the module cannot be unloaded while a device exists.
. /tests/lib.sh
load
fresh_spare /dev/ram1
wipe /dev/ram0 64
bad_table /dev/ram0 5 8 2048 | dmsetup create bad
T="0 $(sectors /dev/ram0) remap /dev/mapper/bad /dev/ram1"
dmsetup create r --table "$T"
rmmod dm_remap 2>/dev/null && fail "the module unloaded under a live device"
# fio passes of 4 MiB of random writes anywhere in the 64 MiB, each
# verified, until the cycles are done.
rm -f /tmp/stop /tmp/fio.fail
(
	p=0
	while [ ! -f /tmp/stop ]; do
		fio --name=pass$p --filename=/dev/mapper/r --size=64M --io_size=4M --rw=randwrite --bs=4k \
			--ioengine=libaio --iodepth=16 --direct=1 --verify=crc32c --verify_fatal=1 --rate=2m \
			--randseed=$p --minimal >/tmp/fio.out 2>&1 || { cp /tmp/fio.out /tmp/fio.fail; break; }
		p=$((p + 1))
	done
	echo $p >/tmp/passes
) &
pid=$!
n=0
while [ $n -lt 100 ] && [ ! -f /tmp/fio.fail ]; do
	if [ $((n % 2)) = 0 ]; then dmsetup suspend r; else dmsetup suspend --noflush r; fi
	dmsetup resume r
	dmsetup reload r --table "$T"
	dmsetup resume r
	n=$((n + 1))
done
touch /tmp/stop
wait $pid
[ -f /tmp/fio.fail ] && { cat /tmp/fio.fail; fail "fio saw an error after $n cycles"; }
say "$n cycles during $(cat /tmp/passes) verified fio passes; $(status_field r 1) blocks remapped"
[ "$(status_field r 1)" -gt 0 ] || fail "no write error was relocated"
dmsetup remove r
dmsetup remove bad
rmmod dm_remap || fail "the module did not unload after remove"
fresh_spare /dev/ram1
say "100 suspend/reload cycles under error recovery ok"
