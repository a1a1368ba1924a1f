# Faults of the spare during automatic remapping: a spare block that fails
# its write is retired and the next one used; I/O to a remapped block that
# fails on the spare moves it or makes it pending; a failed metadata write
# leaves the target in service in the "failed" state, with an event; a
# full spare fails writes with EIO without hanging; every spare usage
# level raises one event (dmsetup wait returns).
. /tests/lib.sh
load
fresh_spare /dev/ram1
wipe /dev/ram0 8
ram1=$(sectors /dev/ram1)
linear_spare() { echo "0 $ram1 linear /dev/ram1 0"; }
dmsetup create sp --table "$(linear_spare)"
dmsetup create dust --table "0 $(sectors /dev/ram0) dust /dev/ram0 0 4096"
dmsetup message dust 0 quiet
for b in 50 60 61; do dmsetup message dust 0 addbadblock $b 255; done
dmsetup message dust 0 enable
T="0 $(sectors /dev/ram0) remap /dev/mapper/dust /dev/mapper/sp"
dmsetup create r --table "$T"

# A: spare data blocks 0-3 (sectors 1088.. of a 64 MiB spare) fail writes.
swap_spare "0 1088 linear /dev/ram1 0
1088 32 error
1120 $((ram1 - 1120)) linear /dev/ram1 1120"
put /dev/mapper/r 400 8 /tmp/b50 || fail "write of a failing block failed"
dmsetup message r 0 list | grep -qx "50 4 ok" || fail "not moved past retired blocks: $(dmsetup message r 0 list)"
[ "$(status_field r 2)" = 5/16248 ] || fail "retired blocks not counted as used: $(dmsetup status r)"
swap_spare "$(linear_spare)"
dmsetup remove r
dmsetup create r --table "$T"
expect /dev/mapper/r 400 8 /tmp/b50
[ "$(status_field r 2)" = 5/16248 ] || fail "retired blocks handed out again: $(dmsetup status r)"

# B: the commit slots fail: state and health say failed, an event fires,
# the write that needed the commit fails, other I/O goes on.
ev=$(events r)
swap_spare "0 16 error
16 $((ram1 - 16)) linear /dev/ram1 16"
put /dev/mapper/r 480 8 /tmp/b60 2>/dev/null && fail "a write whose relocation was not committed succeeded"
s=$(dmsetup status r)
[ "$(status_field r 6) $(status_field r 12)" = "failed failed" ] || fail "state after a failed commit: $s"
[ "$(events r)" -gt "$ev" ] || fail "no event for the metadata failure"
put /dev/mapper/r 800 8 /tmp/b100 || fail "I/O to main stopped"
expect /dev/mapper/r 400 8 /tmp/b50
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=60 count=1 iflag=direct status=none 2>/dev/null &&
	fail "a block of an unknown commit is readable"
put /dev/mapper/r 488 8 /tmp/b61 2>/dev/null && fail "a relocation was made with failed metadata"
# A reload with working metadata starts afresh from what was committed.
swap_spare "$(linear_spare)"
dmsetup reload r --table "$T"
dmsetup resume r
[ "$(status_field r 6)" = ok ] || fail "state after reload: $(dmsetup status r)"
[ "$(status_field r 1)" = 1 ] || fail "remaps after reload: $(dmsetup status r)"
dmsetup remove r
dmsetup remove sp
dmsetup remove dust
fresh_spare /dev/ram1

# D: I/O to remapped blocks that fails on the spare. A failing write moves
# the block to another spare block; a read that keeps failing makes the
# block pending (lost) until a whole write, which goes to a new block.
dmsetup create sp --table "$(linear_spare)"
dmsetup create r --table "0 $(sectors /dev/ram0) remap /dev/ram0 /dev/mapper/sp"
dmsetup message r 0 remap 160 >/dev/null   # block 20 -> spare block 0
dmsetup message r 0 remap 240 >/dev/null   # block 30 -> spare block 1
put /dev/mapper/r 240 8 /tmp/b30
swap_spare "0 1088 linear /dev/ram1 0
1088 8 error
1096 $((ram1 - 1096)) linear /dev/ram1 1096"
put /dev/mapper/r 160 8 /tmp/b20 || fail "a write to a failing spare block failed"
dmsetup message r 0 list | grep -qx "20 2 ok" || fail "block 20 did not move: $(dmsetup message r 0 list)"
expect /dev/mapper/r 160 8 /tmp/b20
swap_spare "0 1088 linear /dev/ram1 0
1088 16 error
1104 $((ram1 - 1104)) linear /dev/ram1 1104"
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=30 count=1 iflag=direct status=none 2>/dev/null &&
	fail "a read of an unreadable spare block succeeded"
dmsetup message r 0 list | grep -qx "30 3 lost" || fail "block 30 is not pending: $(dmsetup message r 0 list)"
put /dev/mapper/r 240 8 /tmp/b30 || fail "whole write of a pending block failed"
expect /dev/mapper/r 240 8 /tmp/b30
dmsetup message r 0 list | grep -qx "30 3 ok" || fail "block 30 not back: $(dmsetup message r 0 list)"
dmsetup remove r
dmsetup remove sp
fresh_spare /dev/ram1

# C: a 1.5 MiB spare (377 blocks): events at 50, 75, 90 and 100 %, then
# failing writes fail with EIO and nothing hangs.
loop=$(mkloop 1536)
bad_table /dev/ram0 1000 1 1 | dmsetup create bad
dmsetup create r --table "0 16384 remap /dev/mapper/bad $loop"
[ "$(status_field r 2)" = 0/377 ] || fail "small spare: $(dmsetup status r)"
ev=$(events r)
dmsetup message r 0 remap 0 180 >/dev/null
[ "$(events r)" = "$ev" ] || fail "event below 50 %"
for step in "1440 10:50" "1520 100:75" "2400 60:90" "3200 27:100"; do
	range=${step%:*} level=${step#*:}
	rm -f /tmp/woke
	(dmsetup wait r "$ev" && echo woke >/tmp/woke) &
	w=$!
	sleep 0.2
	[ -f /tmp/woke ] && fail "dmsetup wait returned before $level %"
	dmsetup message r 0 remap $range >/dev/null || fail "remap $range"
	wait $w
	[ -f /tmp/woke ] || fail "dmsetup wait did not return at $level %"
	n=$(events r)
	[ "$n" = $((ev + 1)) ] || fail "expected one event at $level %, counter $ev -> $n"
	ev=$n
done
s=$(dmsetup status r)
[ "$(status_field r 6) $(status_field r 12)" = "full critical" ] || fail "status when full: $s"
dd if=/dev/urandom of=/dev/mapper/r bs=4096 seek=1000 count=1 oflag=direct status=none 2>/dev/null &&
	fail "a failing write succeeded with the spare full"
[ "$(events r)" = "$ev" ] || fail "an event without a new level"
dmsetup remove r
dmsetup remove bad

# E: the spare runs out under fio: 500 failing blocks, 377 spare blocks.
# fio (random writes, going on after errors) ends, the writes beyond the
# spare fail with EIO, status says full; nothing hangs.
wipe "$loop" 1
bad_table /dev/ram0 0 2 500 | dmsetup create bad
dmsetup create r --table "0 16384 remap /dev/mapper/bad $loop"
# (A hang would end in the test's timeout.)
rc=0
fio --name=exhaust --filename=/dev/mapper/r --size=4M --rw=randwrite --bs=4k --ioengine=libaio \
	--iodepth=16 --direct=1 --continue_on_error=all --minimal >/tmp/fio.out 2>&1 || rc=$?
err=$(awk -F';' '{print $5}' /tmp/fio.out | tail -1)
s=$(dmsetup status r)
say "spare exhausted under fio: fio exit $rc, first error $err; status: $s"
[ "$(status_field r 7) $(status_field r 6)" = "377 full" ] || fail "status when the spare ran out: $s"
[ "${err:-0}" = 5 ] || fail "no write failed with EIO once the spare was full (fio error: $err)"
dmsetup remove r
dmsetup remove bad
say "retired spare blocks, failed metadata, full spare and events ok"
