# Reads that fail on main: a block that never reads fails every time, is
# recorded as pending (lost) durably, and is relocated by a write of the
# whole block; a block that reads on a retry is relocated with its data;
# a discard never brings a lost block back.
. /tests/lib.sh
load
fresh_spare /dev/ram1
dd if=/dev/urandom of=/dev/ram0 bs=1M count=8 oflag=direct status=none
dmsetup create dust --table "0 $(sectors /dev/ram0) dust /dev/ram0 0 4096"
dmsetup message dust 0 quiet
dmsetup message dust 0 addbadblock 100
dmsetup message dust 0 addbadblock 200
dmsetup message dust 0 enable
T="0 $(sectors /dev/ram0) remap /dev/mapper/dust /dev/ram1"
dmsetup create r --table "$T"
ev0=$(events r)
rd() { dd if=/dev/mapper/r of=/tmp/.rd bs=4096 skip="$1" count="${2:-1}" iflag=direct status=none 2>/dev/null; }

# Block 100 never reads: every read fails, and it becomes pending.
rd 100 && fail "read of an unreadable block succeeded"
rd 100 && fail "second read of an unreadable block succeeded"
rd 99 3 && fail "a read covering an unreadable block succeeded"
rd 101 || fail "block 101 unreadable"
s=$(dmsetup status r)
[ "$(status_field r 3)" = 1 ] || fail "pending count: $s"
[ "$(status_field r 8)" = 1 ] || fail "read-error relocations: $s"
[ "$(status_field r 12)" = degraded ] || fail "health: $s"
dmsetup message r 0 list | grep -qx "100 0 lost" || fail "list: $(dmsetup message r 0 list)"
[ "$(events r)" -gt "$ev0" ] || fail "no event for the first pending block"
# ... durably.
dmsetup remove r
dmsetup create r --table "$T"
[ "$(status_field r 3)" = 1 ] || fail "pending lost on re-creation: $(dmsetup status r)"
rd 100 && fail "pending block readable after re-creation"

# A partial write of it fails; a whole-block write relocates it.
dd if=/dev/urandom of=/tmp/half bs=2048 count=1 status=none
dd if=/tmp/half of=/dev/mapper/r bs=2048 seek=200 oflag=direct status=none 2>/dev/null &&
	fail "partial write of a pending block succeeded"
put /dev/mapper/r 800 8 /tmp/whole
expect /dev/mapper/r 800 8 /tmp/whole
[ "$(status_field r 3)" = 0 ] || fail "pending after a whole write: $(dmsetup status r)"
[ "$(status_field r 12)" = healthy ] || fail "health after the write: $(dmsetup status r)"

# Block 200 reads again while the worker retries: a recovered error, so
# it moves to spare with the data read. (100 retries, 20 ms apart.)
dmsetup remove r
dmsetup create r --table "0 $(sectors /dev/ram0) remap /dev/mapper/dust /dev/ram1 2 read_retries 100"
dmsetup table r | grep -q "4 block_size 4096 read_retries 100$" || fail "table: $(dmsetup table r)"
dd if=/dev/ram0 of=/tmp/b200 bs=4096 skip=200 count=1 iflag=direct status=none
rd 200 &
pid=$!
sleep 0.3
dmsetup message dust 0 removebadblock 200
wait $pid || fail "read of a block that recovered failed"
cmp -s /tmp/.rd /tmp/b200 || fail "recovered block read back wrong data"
s=$(dmsetup status r)
[ "$(status_field r 9)" = 1 ] || fail "recovered-read relocations: $s"
dmsetup message r 0 list | grep -q "^200 [0-9]* ok$" || fail "block 200 not relocated: $(dmsetup message r 0 list)"
expect /dev/mapper/r 1600 8 /tmp/b200

# A discard of a whole lost block leaves it lost (main is now linear with
# an error target at block 300, which take discards; the metadata
# identifies the pair by size).
dmsetup message dust 0 addbadblock 300
rd 300 && fail "read of block 300 succeeded"
dmsetup remove r
dmsetup suspend dust
printf '0 2400 linear /dev/ram0 0\n2400 8 error\n2408 %s linear /dev/ram0 2408\n' $(($(sectors /dev/ram0) - 2408)) |
	dmsetup reload dust
dmsetup resume dust
dmsetup create r --table "$T"
dmsetup message r 0 list | grep -qx "300 [0-9]* lost" || fail "block 300 is not lost"
blkdiscard -o $((300 * 4096)) -l 4096 /dev/mapper/r || fail "discard failed"
rd 300 && fail "a discard brought a lost block back"
[ "$(status_field r 3)" = 1 ] || fail "lost count after the discard: $(dmsetup status r)"
dmsetup remove r
dmsetup remove dust
fresh_spare /dev/ram1
say "pending, recovered and discarded blocks ok"
