# Suspend is bounded while main keeps failing reads: with fio reading
# fresh failing blocks all along (each one redone by the worker, with
# retries), `dmsetup suspend` and `dmsetup suspend --noflush` each finish
# within 30 s, and the device resumes and serves I/O. On a hang, the
# blocked tasks' stacks go to the console (sysrq w).
. /tests/lib.sh
load
fresh_spare /dev/ram1
n=$(sectors /dev/ram0)
bad_table /dev/ram0 1000 4 3000 | dmsetup create bad
dmsetup create r --table "0 $n remap /dev/mapper/bad /dev/ram1"
# fio keeps 16 reads of fresh failing blocks in flight all along (by its
# path: the lib.sh wrapper would put a shell between $! and fio).
/usr/bin/fio --name=fail --filename=/dev/mapper/r --offset=4000k --size=48M --rw=randread --bs=4k --direct=1 \
	--ioengine=libaio --iodepth=16 --time_based --runtime=600 --continue_on_error=read --thread >/dev/null 2>&1 &
pid=$!
for how in "" --noflush; do
	sleep 2
	before=$(status_field r 3)
	start=$(date +%s)
	/usr/bin/dmsetup --noudevsync suspend $how r &
	sp=$!
	t=0
	while kill -0 $sp 2>/dev/null; do
		t=$((t + 1))
		if [ $t -gt 30 ]; then
			echo w >/proc/sysrq-trigger
			fail "dmsetup suspend $how did not finish within 30 s"
		fi
		sleep 1
	done
	wait $sp || fail "dmsetup suspend $how failed"
	took=$(($(date +%s) - start))
	dmsetup resume r
	say "suspend $how under read failures: ${took} s (pending blocks before: $before)"
done
kill $pid
wait $pid 2>/dev/null || true
t=0
while [ "$(dmsetup info -c --noheadings -o open r | tr -d ' ')" != 0 ]; do
	t=$((t + 1))
	[ $t -le 60 ] || fail "still open 30 s after fio was stopped: $(ps)"
	sleep 0.5
done
s=$(dmsetup status r)
[ "$(status_field r 3)" -gt 0 ] || fail "no read failure reached the worker: $s"
dd if=/dev/mapper/r of=/dev/null bs=4096 count=100 iflag=direct status=none || fail "I/O after the suspends failed"
dmsetup remove r
dmsetup remove bad
say "suspend and suspend --noflush finished under continuous read failures"
