# Work the target starts itself checks the devices as user I/O does: a
# `remap` message sent while the spare (dm-linear swapped for `error`) or
# main does not answer fails with that reason, takes no spare block,
# records nothing and leaves the metadata `ok`; once both answer again,
# without a reload, `remap` works and a write error on main is relocated.
. /tests/lib.sh
load
linear_spare
m=$(sectors /dev/ram0)
dd if=/dev/urandom of=/dev/ram0 bs=1M count=16 oflag=direct status=none
dmsetup create dmain --table "0 $m linear /dev/ram0 0"
dmsetup create r --table "0 $m remap /dev/mapper/dmain /dev/mapper/sp"
used=$(status_field r 2)
unchanged() { # what: nothing recorded, nothing taken, metadata ok
	s=$(dmsetup status r)
	[ "$(status_field r 1) $(status_field r 2) $(status_field r 3) $(status_field r 6)" = "0 $used 0 ok" ] ||
		fail "$1: something was recorded or taken, or the metadata failed: $s"
}
refused() { # sector, reason
	dmesg -c >/dev/null
	dmsetup message r 0 remap "$1" 4 2>/dev/null && fail "remap $1 succeeded while a device was down"
	dmesg | grep -q "message rejected: $2" || fail "no '$2' for remap $1: $(dmesg | tail -5)"
	return 0
}

swap_spare "0 $n error"
refused 800 "the spare device does not answer"
unchanged "remap while the spare was down"
swap_spare "0 $n linear /dev/ram1 0"

dmsetup suspend dmain && dmsetup load dmain --table "0 $m error" && dmsetup resume dmain
refused 1600 "the main device does not answer"
unchanged "remap while main was down"
dmsetup suspend dmain && dmsetup load dmain --table "0 $m linear /dev/ram0 0" && dmsetup resume dmain

# Back in service without a reload: both probes clear within their
# back-off (at most 5 s).
t=0
until out=$(dmsetup message r 0 remap 800 4 2>/dev/null); do
	t=$((t + 1)) && [ $t -le 20 ] || fail "remap still refused after both devices returned: $(dmesg | tail -3)"
	sleep 0.5
done
echo "$out" | grep -q "^remapped 4 blocks (0 with lost data, 0 remapped already)" || fail "remap said '$out'"
dd if=/dev/ram0 of=/tmp/want bs=4096 skip=100 count=4 iflag=direct status=none
expect /dev/mapper/r 800 32 /tmp/want
good="0 $m linear /dev/ram0 0"
bad_table /dev/ram0 3000 1 1 | { dmsetup suspend dmain && dmsetup load dmain && dmsetup resume dmain; }
dd if=/dev/urandom of=/tmp/w bs=4096 count=1 status=none
dd if=/tmp/w of=/dev/mapper/r bs=4096 seek=3000 count=1 oflag=direct conv=notrunc status=none ||
	fail "a write error on main was not relocated after the outages"
expect /dev/mapper/r $((3000 * 8)) 8 /tmp/w
[ "$(status_field r 7) $(status_field r 6)" = "1 ok" ] || fail "no write relocation: $(dmsetup status r)"
say "outage batches: $(dmsetup status r)"
dmsetup remove r && dmsetup remove dmain && dmsetup remove sp
say "remap refused with its reason while a device was down; nothing taken; both back, remap and relocation work"
