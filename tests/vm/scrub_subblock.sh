# The scrub and the `remap` message over faults smaller than a block, with
# the rule user I/O follows: a block of which some sectors read stays on
# main, those sectors readable. Main is null_blk with 512-byte sectors
# under 4 KiB blocks: blocks 10-21 have one bad sector (3) each, blocks 40
# and 41 have no readable sector. One scrub pass finds 40 and 41 only
# (pending); blocks 10-21 stay on main: their other sectors read their
# data, and a 512-byte write onto each bad sector of 10-19 succeeds (the
# block moves with old + new data). `remap` of blocks 20-21 leaves them on
# main too, says so, and takes no spare block.
. /tests/lib.sh
load
sub_main ssub 10 22 40 42
dmsetup create r --table "0 $(sectors /dev/ssub) remap /dev/ssub /dev/ram1 4 read_retries 1 scrub 200"
t=0
until [ "$(status_field r 16)" -ge 2 ]; do
	t=$((t + 1)) && [ $t -le 60 ] || fail "the scrub found nothing: $(dmsetup status r)"
	sleep 0.5
done
# (Past chunk 0 now: what it found there is all it will find.)
sleep 2
s=$(dmsetup status r)
say "after the scrub: $s"
[ "$(status_field r 16) $(status_field r 3) $(status_field r 2)" = "2 2 2/$(status_field r 2 | cut -d/ -f2)" ] ||
	fail "the scrub did not find exactly the 2 wholly bad blocks (found, pending, spare used): $s"
[ "$(dmsetup message r 0 list | sort -n | cut -d' ' -f1,3 | tr '\n' ' ')" = "40 lost 41 lost " ] ||
	fail "list: $(dmsetup message r 0 list)"

readable() { # block: its 7 good sectors read their data, sector 3 fails
	for s in 0 1 2 4 5 6 7; do
		sec $1 $s || fail "block $1 sector $s unreadable after the scrub"
		want $1 $s
		cmp -s /tmp/s /tmp/w || fail "block $1 sector $s: wrong data"
	done
	sec $1 3 && fail "block $1: its bad sector read"
	return 0
}
b=10
while [ $b -lt 22 ]; do readable $b && b=$((b + 1)); done
dd if=/dev/urandom of=/tmp/new bs=512 count=10 status=none
b=10
while [ $b -lt 20 ]; do
	dd if=/tmp/new of=/dev/mapper/r bs=512 skip=$((b - 10)) seek=$((b * 8 + 3)) count=1 oflag=direct conv=notrunc \
		status=none || fail "512-byte write onto the bad sector of block $b failed"
	sec $b 3 || fail "block $b: sector 3 unreadable after its write"
	dd if=/tmp/new of=/tmp/w bs=512 skip=$((b - 10)) count=1 status=none
	cmp -s /tmp/s /tmp/w || fail "block $b: sector 3 does not read its write"
	b=$((b + 1))
done
[ "$(status_field r 7) $(status_field r 3)" = "10 2" ] || fail "not 10 write relocations, 2 pending: $(dmsetup status r)"

dmsetup message r 0 scrub stop
used=$(status_field r 2)
out=$(dmsetup message r 0 remap $((20 * 8)) 2) || fail "remap of blocks 20-21 failed"
echo "$out" | grep -q "^remapped 0 blocks (0 with lost data, 0 remapped already) in commit [0-9]*; 2 partly readable, left on main$" ||
	fail "remap of partly readable blocks said '$out'"
[ "$(status_field r 2)" = "$used" ] || fail "remap of partly readable blocks took spare blocks: $(dmsetup status r)"
readable 20 && readable 21
say "scrub and remap over sub-block faults: $(dmsetup status r)"
dmsetup remove r
sub_main_remove
say "12 blocks with one bad sector stayed on main, readable; 2 wholly bad blocks pending; 10 writes onto bad sectors moved"
