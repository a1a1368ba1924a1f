# Blocks are remapped on a live device while fio writes them: writes in
# flight are waited for, writes to blocks being copied are held and then
# land on spare. The spare's writes are delayed (dm-delay, 200 ms), so each
# relocation leaves a long window in which a write that was not held would
# reach main after the copy and be lost. fio verifies every block
# afterwards, through the same table and through a new one.
. /tests/lib.sh
load
fresh_spare /dev/ram1
dmsetup create slow --table "0 $(sectors /dev/ram1) delay /dev/ram1 0 0 /dev/ram1 0 200"
t="0 65536 remap /dev/ram0 /dev/mapper/slow"
dmsetup create r --table "$t"
job="--name=live --filename=/dev/mapper/r --size=2M --rw=randwrite --bs=4k --ioengine=libaio --iodepth=8
	--direct=1 --rate_iops=60 --verify=crc32c --verify_fatal=1 --randseed=7 --minimal"
fio $job >/tmp/fio.out 2>&1 &
pid=$!
n=0 blocks=0
# Remap 32 blocks at a time where fio writes (2 MiB = 512 blocks).
while kill -0 $pid 2>/dev/null && [ $n -lt 32 ]; do
	out=$(dmsetup message r 0 remap $(((n * 613 % 480) * 8)) 32) || fail "remap $n failed"
	blocks=$((blocks + $(echo "$out" | awk '{print $2}')))
	n=$((n + 1))
done
wait $pid || { cat /tmp/fio.out; fail "fio saw an error"; }
[ $n -ge 5 ] || fail "only $n remaps ran during fio"
[ "$(status_field r 1)" = $blocks ] || fail "status: $(dmsetup status r), expected $blocks remaps"
# Messages sent together share commits: the worker batches what is queued.
for i in 0 1 2 3 4 5 6 7; do
	dmsetup message r 0 remap $(((600 + i * 2) * 8)) >/tmp/batch.$i &
done
wait
commits=$(cat /tmp/batch.* | sed -n 's/.* in commit \([0-9]*\)$/\1/p' | sort -u | wc -l)
say "8 concurrent remap messages went into $commits commits"
[ "$commits" -ge 1 ] && [ "$commits" -lt 8 ] || fail "no two concurrent messages shared a commit: $(cat /tmp/batch.*)"
[ "$(status_field r 1)" = $((blocks + 8)) ] || fail "status: $(dmsetup status r), expected $((blocks + 8)) remaps"
# A suspend during a relocation waits for it (presuspend flushes the
# worker); the relocation completes and is kept.
dmsetup message r 0 remap $((1000 * 8)) 64 >/tmp/sus.out &
sleep 0.2
dmsetup suspend r
dmsetup resume r
wait
grep -q "remapped 64 blocks" /tmp/sus.out || fail "remap during a suspend said '$(cat /tmp/sus.out)'"
[ "$(status_field r 1)" = $((blocks + 72)) ] || fail "status: $(dmsetup status r), expected $((blocks + 72)) remaps"
dmsetup remove r
dmsetup create r --table "$t"
fio $job --verify_only >/tmp/fio2.out 2>&1 || { cat /tmp/fio2.out; fail "verify through a new table failed"; }
dmsetup remove r
dmsetup remove slow
fresh_spare /dev/ram1
say "$n live remap messages ($blocks blocks) while fio wrote ok"
