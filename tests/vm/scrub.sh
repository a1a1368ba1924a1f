# The scrub (patrol read). Main (dm-linear over a ram disk) fails blocks
# 300 and 1500, which nobody reads. A table with `scrub 200` finds both
# from load: they become pending (a read error, as a user read's would
# be), an event fires, every other block stays on main. While main is
# down the scrub pauses (nothing found or recorded), and while the device
# is suspended; then it runs again. `scrub stop` keeps its position in
# the metadata: a reload and a re-creation resume from it. A read-only
# table refuses `scrub start`; bad rates are refused.
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
say "scrub: found blocks 300 and 1500 (pending, event), paused while main was down and while suspended, position $pos kept"
