# The log crash_record made, replayed to every flush and FUA write after
# the table was loaded and to random points between them (dmr.crash_random,
# default 200; dmr.crash_seed), by dm-remap-crash (crash/src/run.rs). At
# each, as after a power cut there:
# - dm-remap-tool check is clean;
# - the table loads, with no repair;
# - every stamped block reads what was last acknowledged (or the write in
#   flight), and a lost block fails to read;
# - every block remapped before the point (a `remap` message that
#   returned, a write or read error on a failing block) is remapped, and no
#   spare block is used twice.
. /tests/lib.sh
load
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p"; }
random=$(arg dmr.crash_random)
seed=$(arg dmr.crash_seed)
d=/tmp/crash
[ -f $d/log.img ] || fail "no log: crash_record must run first in this boot"
# The images the module loads at each point, as crash_record's devices.
mkdir -p $d/replay
truncate -s $((16384 * 512)) $d/replay/check-main.img
truncate -s $((4096 * 512)) $d/replay/check-spare.img
lm=$(losetup --find --show $d/replay/check-main.img)
ls=$(losetup --find --show $d/replay/check-spare.img)
PATH=/usr/bin:$PATH /usr/bin/dm-remap-crash run $d/log.img $d/replay --main-dev "$lm" --spare-dev "$ls" \
	--random "${random:-200}" --seed "${seed:-1}" >$d/run.out 2>&1 || { cat $d/run.out; fail "a crash point failed"; }
writes=$(arg dmr.crash_writes)
grep -q "at the last, ${writes:-120} writes acknowledged" $d/run.out ||
	{ cat $d/run.out; fail "the log does not hold all ${writes:-120} writes of the workload"; }
say "CRASH-REPLAY $(cat $d/run.out | tr '\n' ' ')"
