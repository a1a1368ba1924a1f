# dm-remap-tool monitor and status. The monitor (with --program, --mail)
# watches while a device is created, a block fails reads (pending), a
# `remap` message relocates blocks, main goes down and comes back, main
# goes down and comes back while the monitor is stopped (one scan sees no
# change, only the event number), the table is reloaded, and the device is
# removed: each is reported on stdout and to the program, bad news by mail
# (to a sendmail stub). The program sleeps 100 s after recording each
# event: events still arrive at once, and each program is killed at
# --program-timeout. The monitor holds no reference to a device, so
# `dmsetup remove` does not wait for it. Then `status` as text, JSON and
# Prometheus; `monitor --oneshot` on the degraded device, `--test` with
# mail, and reminders every 4 s (--reminder 0.001).
. /tests/lib.sh
load
# Main: block 100 fails every I/O.
failing_main 100 1 1
printf '#!/bin/sh\necho "$1 $2 $3" >>/tmp/events\nexec sleep 100\n' >/tmp/hook
printf '#!/bin/sh\n{ echo "sendmail $*"; cat; echo "--"; } >>/tmp/mail\n' >/tmp/sendmail
chmod +x /tmp/hook /tmp/sendmail
PATH=/usr/bin:$PATH /usr/bin/dm-remap-tool monitor --program /tmp/hook --program-timeout 5 --interval 1 \
	--mail root@test --sendmail /tmp/sendmail >/tmp/mon.out 2>&1 &
mon=$!
wait_line() { # until file $1 has a line matching $2 (10 s), else fails saying $3
	t=0
	until grep -q "$2" "$1" 2>/dev/null; do
		t=$((t + 1))
		[ $t -le 100 ] || fail "$3: no '$2' in $1: $(cat "$1"); monitor: $(cat /tmp/mon.out)"
		sleep 0.1
	done
}
wait_event() { wait_line /tmp/events "$1" "the program got no such event"; }
# Runs "$@" with its output in /tmp/out: it must end within 15 s, status 0.
soon() {
	rm -f /tmp/rc
	{ "$@" >/tmp/out 2>&1 && echo 0 >/tmp/rc || echo $? >/tmp/rc; } &
	t=0
	until [ -s /tmp/rc ]; do
		t=$((t + 1))
		[ $t -le 150 ] || fail "$* did not end within 15 s: $(cat /tmp/out)"
		sleep 0.1
	done
	[ "$(cat /tmp/rc)" = 0 ] || fail "$*: exit status $(cat /tmp/rc): $(cat /tmp/out)"
}
dmsetup create r --table "0 $n remap /dev/mapper/dmain /dev/ram1"
wait_event "^NewDevice r healthy: "
# From here on, the program of each event before is still asleep: each
# wait_event below (10 s) also checks that it does not hold the monitor up.
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=100 count=1 iflag=direct status=none 2>/dev/null &&
	fail "a read of a failing block succeeded"
wait_event "^BlocksPending r 1 blocks pending (+1)$"
wait_event "^HealthChanged r healthy -> degraded$"
# Bad news is mailed, with the status report; info events are not.
wait_line /tmp/mail "^Subject: dm-remap BlocksPending on r (" "no mail"
wait_line /tmp/mail "^  pending blocks:     1$" "no status report in the mail"
grep -q "^sendmail -t$" /tmp/mail && grep -q "^To: root@test$" /tmp/mail && grep -q "^  1 blocks pending (+1)$" /tmp/mail &&
	grep -q "^  pending blocks:     1$" /tmp/mail || fail "the mail: $(cat /tmp/mail)"
grep -q "^Subject: dm-remap NewDevice " /tmp/mail && fail "a mail for NewDevice: $(cat /tmp/mail)"
dmsetup message r 0 remap 8000 4
wait_event "^BlocksRelocated r 5 blocks relocated (+[45]), spare " # (+5 if one scan saw the pending block too)
dmsetup suspend dmain && dmsetup load dmain --table "0 $n error" && dmsetup resume dmain
dd if=/dev/mapper/r of=/dev/null bs=4096 count=1 iflag=direct status=none 2>/dev/null && fail "a read during the outage succeeded"
wait_event "^DeviceDown r main does not answer I/O$"
echo "$good" | dmsetup load dmain && dmsetup suspend dmain && dmsetup resume dmain
# Reads until main is back (the target retests it after a backoff).
back_up() {
	t=0
	until [ "$(status_field r 13)" = AA ]; do
		dd if=/dev/mapper/r of=/dev/null bs=4096 count=1 iflag=direct status=none || fail "a read after the outage failed"
		t=$((t + 1))
		[ $t -le 40 ] || fail "main did not come back: $(dmsetup status r); events: $(cat /tmp/events)"
		sleep 0.5
	done
}
back_up
wait_event "^DeviceUp r main answers again$"
grep -q "^r: BlocksPending: 1 blocks pending (+1)$" /tmp/mon.out || fail "stdout lacks the events: $(cat /tmp/mon.out)"
# Each program was killed at --program-timeout (5 s).
wait_line /tmp/mon.out "^/tmp/hook NewDevice r: killed after 5 s$" "the program was not killed"

grep -q "^TransientEvent " /tmp/events && fail "a TransientEvent for lasting changes: $(cat /tmp/events)"

# Down and back between two scans: the monitor is stopped meanwhile, so it
# sees the same status, but two more device-mapper events.
kill -STOP $mon
sleep 0.5 # (a dmsetup it started meanwhile is done)
dmsetup suspend dmain && dmsetup load dmain --table "0 $n error" && dmsetup resume dmain
dd if=/dev/mapper/r of=/dev/null bs=4096 count=1 iflag=direct status=none 2>/dev/null && fail "a read during the outage succeeded"
wait_field r 13 DA 10 "main did not go down"
echo "$good" | dmsetup load dmain && dmsetup suspend dmain && dmsetup resume dmain
back_up
kill -CONT $mon
wait_event "^TransientEvent r [0-9]* device-mapper events since the last scan with no lasting change (a device may have gone down and come back)$"
grep -c "^DeviceDown r " /tmp/events | grep -qx 1 || fail "the outage seen as a lasting change: $(cat /tmp/events)"
wait_line /tmp/mail "^Subject: dm-remap TransientEvent on r (" "no mail"

tool status r >/tmp/st || fail "status: $(cat /tmp/st)"
grep -q "^r: degraded$" /tmp/st && grep -q "^  pending blocks:     1$" /tmp/st &&
	grep -q "^  advice: .*rewritten whole" /tmp/st || fail "status text: $(cat /tmp/st)"
# The pair: its UUID (the spare's metadata), devices, identity (the module
# formatted the spare: none recorded), block size, pending blocks.
uuid=$(tool dump /dev/ram1 | sed -n 's/^uuid: *//p')
[ -n "$uuid" ] || fail "dump: no uuid: $(tool dump /dev/ram1)"
for l in "  uuid:               $uuid" "  block size:         4096 bytes" "  pending list:       main block 100 (lost)" \
	"  main identity:      none recorded (dm-remap-tool set-main records one)"; do
	grep -qxF "$l" /tmp/st || fail "status text: no '$l' in: $(cat /tmp/st)"
done
grep -q "^  main:               /dev/mapper/dmain ([0-9]*:[0-9]*)$" /tmp/st &&
	grep -q "^  spare:              /dev/ram1 ([0-9]*:[0-9]*)$" /tmp/st || fail "status devices: $(cat /tmp/st)"
# Since-load counters under their own heading, after the lifetime ones.
sed -n '/^  lifetime /,/^  since the table was loaded (or clear_stats):$/p' /tmp/st >/tmp/st.life
grep -q "^  reallocated blocks: 5$" /tmp/st.life || fail "status lifetime: $(cat /tmp/st)"
# (A new pair: its lifetime relocations are those since the load.)
grep -q "^  relocations:        write errors [0-9]*, .*, requested 4$" /tmp/st.life || fail "status lifetime: $(cat /tmp/st)"
sed -n '/^  since the table was loaded (or clear_stats):$/,/^  now:$/p' /tmp/st |
	grep -q "^  relocations:        write errors [0-9]*, .*, requested 4$" || fail "status since load: $(cat /tmp/st)"
tool status --json >/tmp/sj || fail "status --json: $(cat /tmp/sj)"
grep -q '"device":"r".*"pending":1' /tmp/sj && grep -q "\"uuid\":\"$uuid\"" /tmp/sj &&
	grep -q '"pending_list":\[{"main_block":100,"spare_block":[0-9]*,"state":"lost"}\]' /tmp/sj &&
	grep -q '"since_load":{' /tmp/sj && grep -q '"errors":\[\]' /tmp/sj || fail "status --json: $(cat /tmp/sj)"
tool status --prometheus >/tmp/sp || fail "status --prometheus: $(cat /tmp/sp)"
grep -q '^dm_remap_pending_blocks{device="r"} 1$' /tmp/sp &&
	grep -q '^dm_remap_relocations_total{device="r",cause="message"} 4$' /tmp/sp &&
	grep -q '^dm_remap_lifetime_relocations_total{device="r",cause="message"} 4$' /tmp/sp &&
	grep -q "^dm_remap_info{device=\"r\",uuid=\"$uuid\",main=\"/dev/mapper/dmain\",spare=\"/dev/ram1\",block_size_bytes=\"4096\"} 1$" /tmp/sp &&
	grep -q '^dm_remap_metadata_state{device="r",state="ok"} 1$' /tmp/sp &&
	grep -q '^dm_remap_ignored_errors_total{device="r"} [0-9]*$' /tmp/sp &&
	[ "$(grep -c '^# TYPE ' /tmp/sp)" = 16 ] && [ "$(grep -c '^# HELP ' /tmp/sp)" = 16 ] ||
	fail "status --prometheus: $(cat /tmp/sp)"

# --oneshot reports the degraded device (as mdadm's DegradedArray) and
# exits.
soon tool monitor --oneshot
grep -q "^r: DegradedDevice: degraded: 1 blocks pending$" /tmp/out || fail "--oneshot: $(cat /tmp/out)"
# --test: a TestMessage for every device, on stdout, to the program and by
# mail.
printf '#!/bin/sh\necho "$1 $2" >>/tmp/tests\n' >/tmp/hook2
chmod +x /tmp/hook2
soon tool monitor --oneshot --test --mail admin@test --sendmail /tmp/sendmail --program /tmp/hook2
grep -q "^r: TestMessage: " /tmp/out || fail "--test: $(cat /tmp/out)"
grep -qx "TestMessage r" /tmp/tests || fail "--test: the program did not get it: $(cat /tmp/tests)"
grep -q "^To: admin@test$" /tmp/mail && grep -q "^Subject: dm-remap TestMessage on r (" /tmp/mail ||
	fail "--test: no mail: $(cat /tmp/mail)"
# Reminders while the device stays degraded: at start, then every 4 s.
PATH=/usr/bin:$PATH /usr/bin/dm-remap-tool monitor --interval 1 --reminder 0.001 >/tmp/remind.out 2>&1 &
rem=$!
t=0
until [ "$(cat /tmp/remind.out 2>/dev/null | grep -c '^r: DegradedDevice: ')" -ge 3 ]; do
	t=$((t + 1))
	[ $t -le 150 ] || fail "no reminders: $(cat /tmp/remind.out)"
	sleep 0.1
done
kill $rem
grep -q "^r: DegradedDevice: still degraded: 1 blocks pending (a reminder every 4 s)$" /tmp/remind.out ||
	fail "reminder: $(cat /tmp/remind.out)"

# A reload restarts the counters: reported, not silent.
dmsetup reload r --table "$(dmsetup table r)" && dmsetup resume r
wait_event "^Reloaded r "

# Removal while the monitor sleeps on device-mapper's events.
start=$(cut -d. -f1 /proc/uptime)
dmsetup remove r
[ $(($(cut -d. -f1 /proc/uptime) - start)) -le 2 ] || fail "dmsetup remove took over 2 s with the monitor running"
wait_event "^DeviceDisappeared r removed$"
# (Its program killed, the monitor leaves nothing behind.)
wait_line /tmp/mon.out "^/tmp/hook DeviceDisappeared r: killed after 5 s$" "the program was not killed"
kill $mon
dmsetup remove dmain
say "monitor: $(wc -l </tmp/events) events reported: $(cut -d' ' -f1 /tmp/events | tr '\n' ' ')"
