# Pending blocks are retested, as drives treat their pending sectors: a
# read of a pending block retries main (at most one retest a second); when
# main reads it again, the read returns the data and the block moves to
# its spare block with it (a recovered read), out of the pending count. The
# same for a block a `remap` message found unreadable, after a reload.
. /tests/lib.sh
load
fresh_spare /dev/ram1
dd if=/dev/urandom of=/dev/ram2 bs=1M count=8 oflag=direct status=none
dmsetup create dust --table "0 16384 dust /dev/ram2 0 4096"
dmsetup message dust 0 quiet
dmsetup message dust 0 enable
T="0 16384 remap /dev/mapper/dust /dev/ram1"
dmsetup create r --table "$T"
rd() { dd if=/dev/mapper/r of=/tmp/.rd bs=4096 skip="$1" count=1 iflag=direct status=none 2>/dev/null; }
orig() { dd if=/dev/ram2 of=/tmp/orig bs=4096 skip="$1" count=1 iflag=direct status=none; }
listed() { dmsetup message r 0 list | grep -qx "$1 [0-9]* $2" || fail "block $1 not $2: $(dmsetup message r 0 list)"; }
# Main heals pending block $1: the next read (a retest) returns its data
# and moves it, out of the pending count; then main fails it again and it
# still reads, from its spare block.
heals() {
	dmsetup message dust 0 removebadblock "$1"
	sleep 1.1
	orig "$1"
	rd "$1" || fail "read of healed pending block $1 failed"
	cmp -s /tmp/.rd /tmp/orig || fail "healed pending block $1 read other data"
	[ "$(status_field r 3)" = 0 ] || fail "pending count after the retest of block $1: $(dmsetup status r)"
	dmsetup message dust 0 addbadblock "$1"
	rd "$1" || fail "block $1 unreadable after its retest moved it"
	cmp -s /tmp/.rd /tmp/orig || fail "block $1 read back other data after its move"
	listed "$1" ok
}

# A read error: block 100 is pending; reads keep failing while main does.
dmsetup message dust 0 addbadblock 100
rd 100 && fail "read of an unreadable block succeeded"
listed 100 lost
sleep 1.1
rd 100 && fail "a retest of a block main still fails succeeded"
[ "$(status_field r 3)" = 1 ] || fail "pending count: $(dmsetup status r)"

heals 100
[ "$(status_field r 9)" = 1 ] || fail "recovered-read relocations: $(dmsetup status r)"

# A `remap` message that finds block 200 unreadable; reloaded, then healed.
dmsetup message dust 0 addbadblock 200
out=$(dmsetup message r 0 remap 1600)
echo "$out" | grep -q "1 with lost data" || fail "message said '$out'"
dmsetup remove r
dmsetup create r --table "$T"
listed 200 lost
heals 200

# One retest a second: of two healed pending blocks read at once, the
# second fails until its turn.
for b in 300 400; do
	dmsetup message dust 0 addbadblock $b
	rd $b && fail "read of block $b succeeded"
done
dmsetup message dust 0 removebadblock 300
dmsetup message dust 0 removebadblock 400
sleep 1.1
cs() { awk '{ printf "%d", $1 * 100 }' /proc/uptime; }
t0=$(cs)
rd 300 || fail "retest of block 300 failed"
# (On a slow machine a second may have gone by: then it may retest.)
rd 400 && [ $(($(cs) - t0)) -lt 100 ] && fail "a second retest within a second"
sleep 1.1
rd 400 || fail "retest of block 400 failed"
[ "$(status_field r 3)" = 0 ] || fail "pending count at the end: $(dmsetup status r)"
dmsetup remove r
tool check /dev/ram1 >/tmp/check || fail "tool check: $(cat /tmp/check)"
grep -q "0 with lost data" /tmp/check || fail "tool check: $(cat /tmp/check)"
dmsetup remove dust
fresh_spare /dev/ram1
say "pending blocks retested: 4 healed blocks read back and moved, the rate limit held"
