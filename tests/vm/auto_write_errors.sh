# Writes that fail on main are relocated and succeed: fio writes and
# verifies (crc32c) 32 MiB at random over a main with 1,024 blocks that
# fail every write, with no error and no verify failure; the relocations
# are durable (remove + create, then fio verifies again) and counted by
# cause in status; 1,024 writes that fail at once share few commits.
. /tests/lib.sh
load
fresh_spare /dev/ram1
wipe /dev/ram0 64
# Every 8th block fails: 1,024 in the first 32 MiB, 1,024 more in the
# next 32 MiB for the storm.
bad_table /dev/ram0 3 8 2048 | dmsetup create bad
T="0 $(sectors /dev/ram0) remap /dev/mapper/bad /dev/ram1"
dmsetup create r --table "$T"
job="--filename=/dev/mapper/r --bs=4k --ioengine=libaio --direct=1 --verify=crc32c --verify_fatal=1 --minimal"
fio --name=random $job --size=32M --rw=randwrite --iodepth=32 >/tmp/fio.out 2>&1 ||
	{ cat /tmp/fio.out; fail "fio saw an error"; }
s=$(dmsetup status r)
say "after fio: $s"
[ "$(status_field r 1)" = 1024 ] || fail "expected 1024 remaps: $s"
[ "$(status_field r 7)" = 1024 ] || fail "expected 1024 write-error relocations: $s"
[ "$(status_field r 3)" = 0 ] || fail "no block may be lost: $s"
[ "$(status_field r 6) $(status_field r 12)" = "ok healthy" ] || fail "state: $s"
dmsetup message r 0 list | grep -q "^3 [0-9]* ok$" || fail "block 3 is not remapped"

# The storm: 1,024 writes, each to a failing block (blocks 8195, 8203,
# ...: a 4 KiB write, then a 28 KiB hole), 256 at a time.
seq0=$(commit_seq /dev/ram1)
fio --name=storm $job --offset=$((32 * 1048576 + 12288)) --size=$((32 * 1048576 - 12288)) --rw=write:28k \
	--iodepth=256 >/tmp/fio.out 2>&1 || { cat /tmp/fio.out; fail "fio (storm) saw an error"; }
n=$(($(commit_seq /dev/ram1) - seq0))
[ "$(status_field r 7)" = 2048 ] || fail "expected 2048 write-error relocations: $(dmsetup status r)"
say "1024 simultaneous write errors took $n commits"
[ $n -le 64 ] || fail "$n commits for 1024 simultaneous errors: not batched"

# Durable: a new table over the same pair verifies the same data.
dmsetup remove r
dmsetup create r --table "$T"
[ "$(status_field r 1)" = 2048 ] || fail "remaps after re-creation: $(dmsetup status r)"
fio --name=random $job --size=32M --rw=randwrite --verify_only=1 >/tmp/fio.out 2>&1 ||
	{ cat /tmp/fio.out; fail "verify after re-creation"; }
dmsetup remove r
tool check /dev/ram1 >/tmp/check || fail "tool check: $(cat /tmp/check)"
dmsetup remove bad
fresh_spare /dev/ram1
say "1024 failing blocks under fio: every write succeeded, zero verify failures"
