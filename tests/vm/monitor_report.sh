# dm-remap-tool monitor and status. The monitor (with --program) watches
# while a device is created, a block fails reads (pending), a `remap`
# message relocates blocks, main goes down and comes back, and the device
# is removed: each is reported on stdout and to the program. The monitor
# holds no reference to a device, so `dmsetup remove` does not wait for
# it. Then `status` as text, JSON and Prometheus.
. /tests/lib.sh
load
# Main: block 100 fails every I/O.
failing_main 100 1 1
printf '#!/bin/sh\necho "$1 $2 $3" >>/tmp/events\n' >/tmp/hook
chmod +x /tmp/hook
PATH=/usr/bin:$PATH /usr/bin/dm-remap-tool monitor --program /tmp/hook --interval 1 >/tmp/mon.out 2>&1 &
mon=$!
wait_event() { # until the program got an event matching $1 (10 s)
	t=0
	until grep -q "$1" /tmp/events 2>/dev/null; do
		t=$((t + 1))
		[ $t -le 100 ] || fail "no event '$1'; events: $(cat /tmp/events); monitor: $(cat /tmp/mon.out)"
		sleep 0.1
	done
}
dmsetup create r --table "0 $n remap /dev/mapper/dmain /dev/ram1"
wait_event "^NewDevice r healthy: "
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=100 count=1 iflag=direct status=none 2>/dev/null &&
	fail "a read of a failing block succeeded"
wait_event "^BlocksPending r 1 blocks pending (+1)$"
wait_event "^HealthChanged r healthy -> degraded$"
dmsetup message r 0 remap 8000 4
wait_event "^BlocksRelocated r 5 blocks relocated (+[45]), spare " # (+5 if one scan saw the pending block too)
dmsetup suspend dmain && dmsetup load dmain --table "0 $n error" && dmsetup resume dmain
dd if=/dev/mapper/r of=/dev/null bs=4096 count=1 iflag=direct status=none 2>/dev/null && fail "a read during the outage succeeded"
wait_event "^DeviceDown r main does not answer I/O$"
echo "$good" | dmsetup load dmain && dmsetup suspend dmain && dmsetup resume dmain
t=0
until grep -q "^DeviceUp r main answers again$" /tmp/events; do
	dd if=/dev/mapper/r of=/dev/null bs=4096 count=1 iflag=direct status=none || fail "a read after the outage failed"
	t=$((t + 1))
	[ $t -le 40 ] || fail "no DeviceUp event; events: $(cat /tmp/events)"
	sleep 0.5
done
grep -q "^r: BlocksPending: 1 blocks pending (+1)$" /tmp/mon.out || fail "stdout lacks the events: $(cat /tmp/mon.out)"

tool status r >/tmp/st || fail "status: $(cat /tmp/st)"
grep -q "^r: degraded$" /tmp/st && grep -q "^  pending blocks:     1$" /tmp/st &&
	grep -q "^  advice: .*rewritten whole" /tmp/st || fail "status text: $(cat /tmp/st)"
tool status --json | grep -q '"device":"r".*"pending":1' || fail "status --json: $(tool status --json)"
tool status --prometheus | grep -q '^dm_remap_pending_blocks{device="r"} 1$' ||
	fail "status --prometheus: $(tool status --prometheus)"
tool status --prometheus | grep -q '^dm_remap_relocations_total{device="r",cause="message"} 4$' ||
	fail "status --prometheus: $(tool status --prometheus)"

# Removal while the monitor sleeps on device-mapper's events.
start=$(cut -d. -f1 /proc/uptime)
dmsetup remove r
[ $(($(cut -d. -f1 /proc/uptime) - start)) -le 2 ] || fail "dmsetup remove took over 2 s with the monitor running"
wait_event "^DeviceDisappeared r removed$"
kill $mon
dmsetup remove dmain
say "monitor: $(wc -l </tmp/events) events reported: $(cut -d' ' -f1 /tmp/events | tr '\n' ' ')"
