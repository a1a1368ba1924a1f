# Metadata writes that a layer below the spare corrupts or drops silently
# (dm-flakey's corrupt_bio_byte and drop_writes) at commit time: each
# commit reads its blocks back, so the commit fails before anything that
# depends on it is acknowledged, and its blocks are fenced (writes fail,
# reads go on to main). The device
# reports "failed" and stays in service for I/O; the next load falls back to the last good commit, and
# every acknowledged write reads back.
. /tests/lib.sh
load
wipe /dev/ram0 8
linear_spare
T="0 131072 remap /dev/ram0 /dev/mapper/sp"
for how in "corrupt_bio_byte 1 w 0 0" "drop_writes"; do
	set -- $how
	dmsetup create r --table "$T"
	put /dev/mapper/r 0 64 /tmp/a
	dmsetup message r 0 remap 0 8 >/dev/null || fail "a good commit failed"
	good=$(status_field r 1)
	# From now on the spare's writes are damaged: a remap of 300 blocks
	# fills a log block and writes a slot; both read back wrong.
	swap_spare "0 $n flakey /dev/ram1 0 0 3600 $# $how"
	dmesg -c >/dev/null
	dmsetup message r 0 remap 4096 300 >/dev/null 2>&1 && fail "$1: a commit of damaged metadata succeeded"
	dmesg | grep -q "reads back different from what was written" || fail "$1: the read-back did not catch it"
	[ "$(status_field r 6)" = failed ] || fail "$1: state after a damaged commit: $(dmsetup status r)"
	# Its blocks are fenced until the reload reads which way it went:
	# writes fail; reads go on to main, which holds their data.
	[ "$(status_field r 1) $(status_field r 3)" = "$good 0" ] ||
		fail "$1: blocks of the failed commit in the table: $(dmsetup status r)"
	dd if=/dev/ram0 of=/tmp/main bs=4096 skip=512 count=300 iflag=direct status=none
	expect /dev/mapper/r 4096 2400 /tmp/main
	dd if=/dev/urandom of=/dev/mapper/r bs=4096 seek=600 count=1 oflag=direct conv=notrunc status=none 2>/dev/null &&
		fail "$1: a write to a block of the failed commit was acknowledged (not fenced)"
	# In service for I/O that needs no commit.
	put /dev/mapper/r 2048 64 /tmp/b || fail "$1: I/O stopped after the failed commit"
	expect /dev/mapper/r 0 64 /tmp/a
	swap_spare "0 $n linear /dev/ram1 0"
	dmsetup remove r
	dmsetup create r --table "$T"
	[ "$(status_field r 1)" = "$good" ] || fail "$1: reload found $(status_field r 1) remaps, not $good"
	[ "$(status_field r 6)" = ok ] || fail "$1: reload state: $(dmsetup status r)"
	expect /dev/mapper/r 0 64 /tmp/a
	expect /dev/mapper/r 2048 64 /tmp/b
	dmsetup remove r
	fresh_spare /dev/mapper/sp
	say "$1: the damaged commit failed, the device stayed in service, the reload fell back to commit with $good remaps"
done
dmsetup remove sp
