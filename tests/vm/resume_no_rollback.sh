# Resume never moves backwards: the newest commit slot damaged after the
# commit (the older slot still valid) leaves a suspend/resume with every
# remap, and data written to the remapped blocks since reads back; a
# reload, which would load the older commit, is refused with the remedy
# (the `commit` message rewrites the slot from the live table), and works
# after it.
. /tests/lib.sh
load
fresh_spare /dev/ram1
T="0 65536 remap /dev/ram0 /dev/ram1"
dmsetup create r --table "$T"
dmsetup message r 0 remap 0 8 >/dev/null
put /dev/mapper/r 0 64 /tmp/a                   # blocks 0-7, now on the spare
kept() { # after what: the 8 remaps and their data are still there
	[ "$(status_field r 1)" = 8 ] || fail "$1 lost remaps: $(dmsetup status r)"
	expect /dev/mapper/r 0 64 /tmp/a
}
seq=$(commit_seq /dev/ram1)
slot=$((seq % 2 == 1 ? 0 : 1))                  # odd commits in slot A
flip /dev/ram1 $((slot * 4096 + 100))
dmsetup suspend r
dmsetup resume r
kept "suspend/resume"
# A reload would load the older commit: it is refused, with the remedy.
dmesg -c >/dev/null
dmsetup reload r --table "$T" 2>/dev/null && fail "a reload that moves backwards was accepted"
dmesg | grep -q "metadata slot [AB] is invalid" || fail "the reload did not report the damaged slot: $(dmesg)"
dmesg | grep -q "send it the commit message" || fail "the reload was not refused for its reason: $(dmesg)"
dmsetup message r 0 commit >/dev/null
dmsetup reload r --table "$T" || fail "the reload after a commit was refused"
dmsetup resume r
kept "the reload"
dmsetup remove r
dmsetup create r --table "$T"
kept "re-creation"
dmsetup remove r
say "a damaged newest slot: suspend/resume kept commit $seq's remaps; a reload was refused until a commit rewrote it"
