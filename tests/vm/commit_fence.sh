# A commit whose slot reached the disk but that failed anyway (here: the
# spare fails reads, so the read-back of the slot fails) fences its blocks
# on every path: after a failed `remap` message and after a failed revive
# (a whole-block write of a lost block), writes to those blocks fail until
# a reload, so that none is acknowledged and then lost to the commit the
# reload finds on disk. Reads of the blocks the message moved off main go
# on (main holds their data), before and after suspend/resume; the revived
# block, whose data was nowhere, stays unreadable. Every acknowledged
# write reads back after suspend/resume and after a reload.
. /tests/lib.sh
load
wipe /dev/ram0 8
linear_spare
T="0 131072 remap /dev/ram0 /dev/mapper/sp"
dmsetup create r --table "$T"
put /dev/mapper/r 32768 64 /tmp/a                 # blocks 4096-4103
# Message path: the spare fails reads from now on; copies and the slot
# write land, the slot's read-back fails.
swap_spare "0 $n flakey /dev/ram1 0 0 3600 1 error_reads"
dmsetup message r 0 remap 32768 8 >/dev/null 2>&1 && fail "a commit with a failed read-back succeeded"
[ "$(status_field r 6)" = failed ] || fail "state after the failed commit: $(dmsetup status r)"
# Reads go on: main holds the blocks' data (no write since the copy).
expect /dev/mapper/r 32768 64 /tmp/a
[ "$(status_field r 3)" = 0 ] || fail "fenced blocks counted as lost: $(dmsetup status r)"
acked=0
dd if=/dev/urandom of=/tmp/b bs=4096 count=8 status=none
if dd if=/tmp/b of=/dev/mapper/r bs=4096 seek=4096 count=8 oflag=direct conv=notrunc status=none 2>/dev/null; then
	acked=1
fi
swap_spare "0 $n linear /dev/ram1 0"
[ $acked = 0 ] || fail "a write to a block of the failed commit was acknowledged (not fenced)"
# Each block holds the data before, or that of the failed write (which
# may land); never anything else.
blocks_ok() {
	i=0
	while [ $i -lt 8 ]; do
		dd if=/dev/mapper/r of=/tmp/got bs=4096 skip=$((4096 + i)) count=1 iflag=direct status=none 2>/dev/null ||
			return 1
		dd if=/tmp/a of=/tmp/old bs=4096 skip=$i count=1 status=none
		dd if=/tmp/b of=/tmp/new bs=4096 skip=$i count=1 status=none
		cmp -s /tmp/got /tmp/old || cmp -s /tmp/got /tmp/new || fail "block $((4096 + i)) holds neither version"
		i=$((i + 1))
	done
}
expect /dev/mapper/r 32768 64 /tmp/a
dmsetup suspend r && dmsetup resume r
expect /dev/mapper/r 32768 64 /tmp/a
dd if=/tmp/b of=/dev/mapper/r bs=4096 seek=4099 count=1 oflag=direct conv=notrunc status=none 2>/dev/null &&
	fail "a write to a fenced block was acknowledged after suspend/resume"
dmsetup remove r
dmsetup create r --table "$T"
[ "$(status_field r 1)" = 8 ] || fail "the slot that reached the disk did not load: $(dmsetup status r)"
blocks_ok || fail "blocks unreadable after the reload"
say "message path: the failed commit fenced its blocks; the reload found the commit and the data before it"

# Revive path: block 4300 is lost (remapped while unreadable), then a
# whole-block write revives it while the spare's read-back fails.
dmsetup create dmain --table "0 131072 linear /dev/ram0 0"
dmsetup remove r
dmsetup create r --table "0 131072 remap /dev/mapper/dmain /dev/mapper/sp"
dmsetup suspend dmain
dmsetup reload dmain --table "0 $((4300 * 8)) linear /dev/ram0 0
$((4300 * 8)) 8 error
$((4301 * 8)) $((131072 - 4301 * 8)) linear /dev/ram0 $((4301 * 8))"
dmsetup resume dmain
dmsetup message r 0 remap $((4300 * 8)) 1 >/dev/null
dmsetup message r 0 list | grep -q "^4300 .* lost" || fail "block 4300 not lost: $(dmsetup message r 0 list)"
swap_spare "0 $n flakey /dev/ram1 0 0 3600 1 error_reads"
dd if=/tmp/b of=/dev/mapper/r bs=4096 seek=4300 count=1 oflag=direct conv=notrunc status=none 2>/dev/null &&
	fail "a revive whose commit failed was acknowledged"
dd if=/tmp/b of=/dev/mapper/r bs=4096 seek=4300 count=1 oflag=direct conv=notrunc status=none 2>/dev/null &&
	fail "a second write to the fenced block was acknowledged"
swap_spare "0 $n linear /dev/ram1 0"
dmsetup suspend r && dmsetup resume r
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=4300 count=1 iflag=direct status=none 2>/dev/null &&
	fail "the fenced block read after suspend/resume"
dmsetup remove r
dmsetup remove dmain
dmsetup remove sp
say "revive path: the failed commit fenced the block; no write to it was acknowledged"
