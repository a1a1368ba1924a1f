# A commit number is never used for two contents, and a resume never
# moves back past the live table's commit. (1) A `commit` whose slot
# landed but whose read-back failed (the spare, behind dm-flakey, fails
# reads) burns its number: a table loaded after it, then a `remap` on the
# live table, then the resume: the new table takes the remap (with the
# number reused, it kept the older commit and lost the remap). (2) A table
# loaded, a `remap` on the live table, new data to that block, that
# commit's slot damaged: the resume is refused (it would load the commit
# before), and stays refused.
. /tests/lib.sh
load
linear_spare
m=$(sectors /dev/ram0)
dd if=/dev/urandom of=/dev/ram0 bs=1M count=8 oflag=direct status=none
T="0 $m remap /dev/ram0 /dev/mapper/sp"
dmsetup create r --table "$T"
seq0=$(commit_seq /dev/ram1)
swap_spare "0 $n flakey /dev/ram1 0 0 3600 1 error_reads"
dmsetup message r 0 commit >/dev/null 2>&1 && fail "a commit whose read-back failed succeeded"
swap_spare "0 $n linear /dev/ram1 0"
[ "$(status_field r 6)" = ok ] || fail "a commit during a spare outage failed the metadata: $(dmsetup status r)"
[ "$(commit_seq /dev/ram1)" = $((seq0 + 1)) ] || fail "the failed commit's slot did not land: $(commit_seq /dev/ram1)"
dmsetup load r --table "$T"
out=$(dmsetup message r 0 remap 800 1) || fail "remap after the spare returned failed"
say "remap on the live table: $out"
dmsetup resume r
[ "$(status_field r 1)" = 1 ] || fail "the new table lost the remap committed after it loaded: $(dmsetup status r)"
dmsetup message r 0 list | grep -q "^100 " || fail "list: $(dmsetup message r 0 list)"

dmsetup load r --table "$T"
dmsetup message r 0 remap 1600 1 >/dev/null
dd if=/dev/urandom of=/tmp/a bs=4096 count=1 status=none
dd if=/tmp/a of=/dev/mapper/r bs=4096 seek=200 count=1 oflag=direct conv=notrunc status=none
seq=$(commit_seq /dev/ram1)
flip /dev/ram1 $(((seq % 2 == 1 ? 0 : 1) * 4096 + 100))
dmesg -c >/dev/null
dmsetup resume r 2>/dev/null && {
	[ "$(status_field r 1)" = 2 ] || fail "the resume moved back past the live table's commit: $(dmsetup status r)"
	expect /dev/mapper/r 1600 8 /tmp/a
	fail "the resume over a damaged newest slot was accepted"
}
dmesg | grep -q "older than the live table's" || fail "the refusal gave no reason: $(dmesg | tail -3)"
dmsetup resume r 2>/dev/null && fail "a second resume was accepted"
dmsetup remove r
dmsetup remove sp
say "a burnt commit number was not reused; a resume that would move back was refused"
