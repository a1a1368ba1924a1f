# The scrub (patrol read). Main (dm-linear over a ram disk) fails blocks
# 300 and 1500, which nobody reads. A table with `scrub 200` finds both
# from load: they become pending (a read error, as a user read's would
# be), an event fires, every other block stays on main; once main reads
# them again, the scrub moves them with their data. While main is
# down the scrub pauses (nothing found or recorded), and while the device
# is suspended; then it runs again. `scrub stop` keeps its position in
# the metadata: a reload and a re-creation resume from it. A read-only
# table refuses `scrub start`; bad rates are refused. The spare blocks of
# remapped blocks are read too (see below).
. /tests/lib.sh
load
failing_main 300 1200 2
dmsetup create r --table "0 $n remap /dev/mapper/dmain /dev/ram1 2 scrub 200"
dmsetup table r | grep -q " 4 block_size 4096 scrub 200$" || fail "table: $(dmsetup table r)"
wait_field r 16 2 30 "the scrub did not find both failing blocks"
s=$(dmsetup status r)
say "after the scrub found both: $s"
[ "$(status_field r 14)" = running ] || fail "scrub not running: $s"
[ "$(status_field r 3)" = 2 ] && [ "$(status_field r 8)" = 2 ] || fail "not 2 pending read errors: $s"
[ "$(dmsetup message r 0 list | sort -n | cut -d' ' -f1,3)" = "300 lost
1500 lost" ] || fail "list: $(dmsetup message r 0 list)"
# One event for each chunk with findings, one for the first pending block.
[ "$(events r)" -ge 3 ] || fail "$(events r) events, not 3: one per finding and one for the first pending block"
dmesg | grep -q "scrub: 1 unreadable blocks from block 256: relocating" || fail "not logged: $(dmesg | tail -3)"

# Main down: paused, nothing more found.
dmsetup suspend dmain && dmsetup load dmain --table "0 $n error" && dmsetup resume dmain
wait_field r 14 paused 20 "the scrub did not pause while main was down"
sleep 2
s=$(dmsetup status r)
[ "$(status_field r 16)" = 2 ] && [ "$(status_field r 3)" = 2 ] || fail "the scrub recorded blocks of a down main: $s"
echo "$good" | dmsetup load dmain && dmsetup suspend dmain && dmsetup resume dmain
wait_field r 14 running 20 "the scrub did not resume after main came back"
dmsetup suspend r
[ "$(status_field r 14)" = paused ] || fail "scrub not paused while suspended: $(dmsetup status r)"
dmsetup resume r
[ "$(status_field r 14)" = running ] || fail "scrub not running after resume: $(dmsetup status r)"

# The disk reassigns its two bad sectors (main without the error
# segments): the scrub reads the pending blocks on main again, and they
# move with their data, as a user read's retest would move them.
dd if=/dev/ram0 of=/tmp/b300 bs=4096 skip=300 count=1 iflag=direct status=none
dmsetup suspend dmain && dmsetup load dmain --table "0 $n linear /dev/ram0 0" && dmsetup resume dmain
wait_field r 3 0 30 "the scrub did not move the pending blocks that main reads again"
[ "$(dmsetup message r 0 list | sort -n | cut -d' ' -f1,3)" = "300 ok
1500 ok" ] || fail "list after the retest: $(dmsetup message r 0 list)"
[ "$(status_field r 9) $(status_field r 16)" = "2 2" ] || fail "not 2 recovered, 2 found: $(dmsetup status r)"
expect /dev/mapper/r 2400 8 /tmp/b300
echo "$good" | dmsetup load dmain && dmsetup suspend dmain && dmsetup resume dmain

# The position survives a stop, a reload and a re-creation.
dmsetup message r 0 scrub stop
st=$(dmsetup message r 0 scrub status)
pos=$(echo "$st" | cut -d' ' -f2)
echo "$st" | grep -q "^off [0-9]*/256 found 2 rate 0$" || fail "scrub status: $st"
dmsetup reload r --table "0 $n remap /dev/mapper/dmain /dev/ram1" && dmsetup resume r
[ "$(dmsetup message r 0 scrub status)" = "off $pos found 0 rate 0" ] ||
	fail "after a reload: $(dmsetup message r 0 scrub status), not at $pos"
dmsetup remove r
dmsetup create r --table "0 $n remap /dev/mapper/dmain /dev/ram1"
[ "$(status_field r 15)" = "$pos" ] || fail "after re-creation: $(dmsetup status r), not at $pos"
tool dump /dev/ram1 | grep -q "^scrub: *next chunk ${pos%/*} of 256$" || fail "dump: $(tool dump /dev/ram1 | grep scrub)"
out=$(dmsetup message r 0 scrub start 0 2>&1) && fail "scrub start 0 accepted"
dmsetup message r 0 scrub start 50 | grep -q "^scrub running at 50 MiB/s from chunk ${pos%/*}$" || fail "scrub start"
dmsetup remove r
dmsetup create --readonly r --table "0 $n remap /dev/mapper/dmain /dev/ram1 2 scrub 100"
[ "$(status_field r 14)" = off ] || fail "a read-only table scrubs: $(dmsetup status r)"
dmsetup message r 0 scrub start 2>/dev/null && fail "scrub start on a read-only table"
dmesg | tail -3 | grep -q "scrub: the table is read-only" || fail "read-only refusal: $(dmesg | tail -3)"
dmsetup remove r
dmsetup remove dmain

# The spare's live blocks are read too. Blocks 8 and 9 are remapped by a
# message (spare blocks 0 and 1, at sectors 1088 and 1096 of a 64 MiB
# spare). Spare block 0 fails for good: block 8 becomes lost (reads fail
# until a whole write) on a new spare block. Spare block 1 fails one
# second in two (dm-flakey): a retry reads it, and block 9 moves with its
# data to a new spare block. While the spare answers nothing, the scrub
# pauses where it is (a chunk of main only: nothing there needs the spare)
# and records nothing.
linear_spare
sn=$n
n=$(sectors /dev/ram0)
dmsetup create r --table "0 $n remap /dev/ram0 /dev/mapper/sp 2 read_retries 100"
dmsetup message r 0 remap 64 2 >/dev/null
put /dev/mapper/r 64 8 /tmp/b8
put /dev/mapper/r 72 8 /tmp/b9
# Stopped in mid-pass, past chunk 0 (blocks 8 and 9).
dmsetup message r 0 scrub start 50
sleep 1
dmsetup message r 0 scrub stop
pos=$(status_field r 15)
[ "$pos" != 0/256 ] || fail "the scrub did not move: $(dmsetup status r)"
swap_spare "0 $sn error"
# A read of block 8 finds the spare down (it answers nothing).
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=8 count=1 iflag=direct status=none 2>/dev/null &&
	fail "a read of block 8 succeeded with the spare down"
wait_field r 13 AD 20 "the spare is not shown down"
dmsetup message r 0 scrub start 1000
wait_field r 14 paused 20 "the scrub did not pause while the spare answered nothing"
sleep 2
s=$(dmsetup status r)
[ "$(status_field r 16) $(status_field r 1) $(status_field r 3)" = "0 2 0" ] ||
	fail "the scrub recorded blocks while the spare was down: $s"
[ "$(status_field r 6) $(status_field r 13) $(status_field r 15)" = "ok AD $pos" ] ||
	fail "not paused at chunk $pos with the spare down and the metadata ok: $s"
# A commit of the position alone that fails during an outage (scrub stop
# asks for one) is not failed metadata.
dmsetup message r 0 scrub stop
[ "$(status_field r 6)" = ok ] || fail "the metadata failed on a commit during the outage: $(dmsetup status r)"
dmsetup message r 0 scrub start 1000
swap_spare "0 1088 linear /dev/ram1 0
1088 8 error
1096 8 flakey /dev/ram1 1096 1 1
1104 $((sn - 1104)) linear /dev/ram1 1104"
wait_field r 16 2 30 "the scrub did not find both failing spare blocks"
dmsetup message r 0 scrub stop
list=$(dmsetup message r 0 list | sort -n)
say "spare blocks 0 and 1 failing: $(dmsetup status r); list: $(echo $list)"
echo "$list" | grep -q "^8 [2-9] lost$" || fail "block 8 is not lost on a new spare block: $list"
echo "$list" | grep -q "^9 [2-9] ok$" || fail "block 9 did not move with its data: $list"
[ "$(status_field r 3) $(status_field r 8) $(status_field r 9)" = "1 1 1" ] ||
	fail "not one lost block (relocated_read) and one recovered: $(dmsetup status r)"
expect /dev/mapper/r 72 8 /tmp/b9
dd if=/dev/mapper/r of=/dev/null bs=4096 skip=8 count=1 iflag=direct status=none 2>/dev/null &&
	fail "a read of block 8, whose spare block failed, succeeded"
dmesg | grep -qE "scrub: [12] unreadable blocks from block 0: relocating" || fail "not logged: $(dmesg | tail -3)"
dmsetup remove r
dmsetup remove sp
say "scrub: found blocks 300 and 1500 (pending, event), paused while main was down and while suspended, position $pos kept; spare blocks: one lost, one moved with its data"
