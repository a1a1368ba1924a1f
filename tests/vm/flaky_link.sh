# A flaky link is not bad media. Main behind dm-flakey (up 1 s, down 1 s:
# a cable or controller that drops out every few seconds, no sector bad)
# under random 4 KiB reads for 40 s: reads during the drop-outs fail, and
# none of it uses a spare block or records anything; afterwards every
# block reads its data.
. /tests/lib.sh
load
fresh_spare /dev/ram1
n=$(sectors /dev/ram0)
dd if=/dev/urandom of=/tmp/orig bs=1M count=16 status=none
dd if=/tmp/orig of=/dev/ram0 bs=1M oflag=direct status=none
dmsetup create dmain --table "0 $n flakey /dev/ram0 0 1 1"
dmsetup create r --table "0 $n remap /dev/mapper/dmain /dev/ram1"
fio --name=flaky --filename=/dev/mapper/r --rw=randread --bs=4k --size=16M --direct=1 --ioengine=psync \
	--numjobs=4 --time_based --runtime=40 --continue_on_error=all >/tmp/fio.out 2>&1 || true
errs=$(grep -o "err= *[0-9]*" /tmp/fio.out | head -1)
s=$(dmsetup status r)
say "after 40 s of a flaky link ($(status_field r 4) read errors): $s"
[ "$(status_field r 4)" -gt 0 ] || fail "no read failed: the link never dropped out ($errs)"
[ "$(status_field r 1) $(status_field r 2 | cut -d/ -f1) $(status_field r 3)" = "0 0 0" ] ||
	fail "a flaky link relocated blocks or recorded them: $s"
dmsetup suspend dmain && dmsetup load dmain --table "0 $n linear /dev/ram0 0" && dmsetup resume dmain
expect /dev/mapper/r 0 32768 /tmp/orig
dmsetup remove r && dmsetup remove dmain
say "a flaky link used no spare block and recorded nothing"
