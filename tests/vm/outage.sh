# A device outage is not bad media. Main behind dm-linear is swapped for an
# `error` table for a while and back: reads and writes during the outage
# fail, no spare block is used, nothing becomes pending, status shows main
# down (D) and an event fires; afterwards, without a reload, every block
# reads its data (writes made during it fail or read back what they wrote)
# and status shows main alive again. Then a null_blk main powered off
# (configfs): the same, while its disk is gone; powered on, it is a new
# disk (the live table keeps the old one, as DM shares a device between
# tables), and the same line, created again, serves it. Then a scsi_debug disk set
# offline and running again: the disk stays, the SCSI layer rejects its I/O;
# the same as the dm-error outage.
. /tests/lib.sh
load
fresh_spare /dev/ram1
n=$(sectors /dev/ram0)
dd if=/dev/urandom of=/dev/ram0 bs=1M count=4 oflag=direct status=none
dd if=/dev/ram0 of=/tmp/before bs=1M count=4 iflag=direct status=none
dmsetup create dmain --table "0 $n linear /dev/ram0 0"
dmsetup create r --table "0 $n remap /dev/mapper/dmain /dev/ram1"
ev0=$(events r)
[ "$(status_field r 13)" = AA ] || fail "devices field: $(dmsetup status r)"
swap() { dmsetup suspend dmain && dmsetup load dmain --table "$1" && dmsetup resume dmain; }

reads_fail() { # count: reads of blocks 0, 8, 16, ... of r, each alone, must fail
	i=0
	while [ $i -lt "$1" ]; do
		dd if=/dev/mapper/r of=/dev/null bs=4096 skip=$((i * 8)) count=1 iflag=direct status=none 2>/dev/null &&
			fail "read of block $((i * 8)) succeeded during the outage"
		i=$((i + 1))
	done
}

# 20 writes of fresh data (kept in /tmp/during) to blocks 4, 12, 20, ...,
# each alone; sets wfail to the number that failed.
outage_writes() {
	dd if=/dev/urandom of=/tmp/during bs=4096 count=20 status=none
	i=0 wfail=0
	while [ $i -lt 20 ]; do
		dd if=/tmp/during of=/dev/mapper/r bs=4096 skip=$i seek=$((i * 8 + 4)) count=1 oflag=direct \
			conv=notrunc status=none 2>/dev/null || wfail=$((wfail + 1))
		i=$((i + 1))
	done
}

# After an outage, without a reload: main returns to service by itself (the
# next reads succeed, and a probe, whose back-off is at most 5 s, shows it
# alive); every block reads what was there or what a write during the outage
# wrote; then the first 4 MiB read back as before, with nothing relocated.
after_outage() {
	t=0
	until [ "$(status_field r 13)" = AA ]; do
		dd if=/dev/mapper/r of=/dev/null bs=4096 count=1 iflag=direct status=none ||
			fail "$1: read after the outage failed"
		t=$((t + 1))
		[ $t -le 20 ] || fail "$1: main still shown down 10 s after the outage: $(dmsetup status r)"
		sleep 0.5
	done
	i=0
	while [ $i -lt 20 ]; do
		b=$((i * 8 + 4))
		dd if=/dev/mapper/r of=/tmp/got bs=4096 skip=$b count=1 iflag=direct status=none ||
			fail "$1: block $b unreadable"
		dd if=/tmp/before of=/tmp/old bs=4096 skip=$b count=1 status=none
		dd if=/tmp/during of=/tmp/new bs=4096 skip=$i count=1 status=none
		cmp -s /tmp/got /tmp/old || cmp -s /tmp/got /tmp/new ||
			fail "$1: block $b holds neither its old data nor the write"
		dd if=/tmp/old of=/dev/mapper/r bs=4096 seek=$b count=1 oflag=direct conv=notrunc status=none
		i=$((i + 1))
	done
	dd if=/dev/mapper/r of=/tmp/after bs=1M count=4 iflag=direct status=none || fail "$1: reads after the outage failed"
	cmp -s /tmp/before /tmp/after || fail "$1: data differs after the outage"
	s=$(dmsetup status r)
	[ "$(status_field r 1)" = 0 ] && [ "$(status_field r 3)" = 0 ] || fail "$1: status after the outage: $s"
}

# While main is out: nothing relocated, no spare used, nothing pending,
# main shown down, an event since $ev0.
during_outage() {
	s=$(dmsetup status r)
	say "$1, during the outage: $s ($wfail of 20 writes failed)"
	[ "$(status_field r 1)" = 0 ] || fail "$1: remaps made during an outage: $s"
	[ "$(status_field r 2)" = 0/$(status_field r 2 | cut -d/ -f2) ] || fail "$1: spare used during an outage: $s"
	[ "$(status_field r 3)" = 0 ] || fail "$1: blocks pending after an outage: $s"
	[ "$(status_field r 13)" = DA ] || fail "$1: main not shown down: $s"
	[ "$(events r)" -gt "$ev0" ] || fail "$1: no event for the outage"
}

swap "0 $n error"
# 40 blocks read, 20 written (fresh data, kept to compare), each alone.
reads_fail 40
outage_writes
[ $wfail = 20 ] || fail "dm-error: $((20 - wfail)) of 20 writes succeeded during the outage"
during_outage dm-error
dmesg | grep -q "main device does not answer (probes fail)" || fail "outage not logged: $(dmesg | tail -5)"

swap "0 $n linear /dev/ram0 0"
after_outage dm-error
dmesg | grep -q "main device answers again" || fail "return not logged"
dmsetup remove r
dmsetup remove dmain
say "outage via dm-error: 40 reads and $wfail writes failed up, nothing relocated or pending, data intact, back in service"

# null_blk powered off: its disk goes away under the table.
fresh_spare /dev/ram1
configfs
cfg=/sys/kernel/config/nullb/outage
mkdir $cfg
echo 64 >$cfg/size && echo 1 >$cfg/memory_backed && echo 1 >$cfg/power
nb=/dev/outage
[ -b $nb ] || fail "null_blk made no $nb"
dd if=/tmp/before of=$nb bs=1M oflag=direct status=none
m=$(sectors $nb)
dmsetup create r --table "0 $m remap $nb /dev/ram1"
echo 0 >$cfg/power
reads_fail 10
# (The block layer says the disk is gone: no probe is needed.)
dmesg | grep -q "main device does not answer (gone, the block layer says)" ||
	fail "null_blk off: not taken as gone: $(dmesg | tail -5)"
# A remap asked while main is gone (its size reads 0 now) fails cleanly.
dmsetup message r 0 remap 800 2>/dev/null && fail "null_blk off: a remap message succeeded"
dmesg | tail -3 | grep -q "message rejected: the main device does not answer" ||
	fail "null_blk off: the remap message failed for another reason: $(dmesg | tail -3)"
s=$(dmsetup status r)
[ "$(status_field r 1)" = 0 ] && [ "$(status_field r 3)" = 0 ] || fail "null_blk off: remaps or pending: $s"
[ "$(status_field r 13)" = DA ] || fail "null_blk off: main not shown down: $s"
# Power back: the same data on a new disk, which the same line uses.
dmsetup remove r
echo 1 >$cfg/power
[ -b $nb ] || fail "null_blk on: no $nb"
dmsetup create r --table "0 $m remap $nb /dev/ram1" || fail "null_blk on: the line does not load"
[ "$(status_field r 13)" = AA ] || fail "null_blk on: devices field: $(dmsetup status r)"
dd if=/dev/mapper/r of=/tmp/after bs=1M count=4 iflag=direct status=none || fail "null_blk on: reads failed"
cmp -s /tmp/before /tmp/after || fail "null_blk on: data differs"
[ "$(status_field r 1)" = 0 ] && [ "$(status_field r 3)" = 0 ] || fail "null_blk on: remaps or pending: $(dmsetup status r)"
dmsetup remove r
rmdir $cfg
say "outage via null_blk power: 10 reads and a remap message failed up, nothing relocated or pending; powered on, data intact"

# scsi_debug set offline: the disk stays, the SCSI layer fails its I/O.
fresh_spare /dev/ram1
echo 1 >/sys/bus/pseudo/drivers/scsi_debug/add_host
t=0
until [ -b /dev/sda ]; do
	t=$((t + 1))
	[ $t -le 50 ] || fail "scsi_debug made no /dev/sda"
	sleep 0.1
done
dd if=/tmp/before of=/dev/sda bs=1M oflag=direct status=none
dmsetup create r --table "0 $(sectors /dev/sda) remap /dev/sda /dev/ram1"
ev0=$(events r)
downs=$(dmesg | grep -c "main device does not answer (probes fail)" || true)
ups=$(dmesg | grep -c "main device answers again" || true)
echo offline >/sys/block/sda/device/state
reads_fail 10
outage_writes
[ $wfail = 20 ] || fail "scsi_debug offline: $((20 - wfail)) of 20 writes succeeded"
during_outage scsi_debug
[ "$(dmesg | grep -c "main device does not answer (probes fail)")" -gt "$downs" ] ||
	fail "scsi_debug offline: outage not logged: $(dmesg | tail -5)"
echo running >/sys/block/sda/device/state
after_outage scsi_debug
[ "$(dmesg | grep -c "main device answers again")" -gt "$ups" ] || fail "scsi_debug: return not logged"
dmsetup remove r
say "outage via scsi_debug offline: 10 reads and 20 writes failed up, nothing relocated or pending, data intact, back in service"
