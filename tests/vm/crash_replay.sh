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
random=$(arg dmr.crash_random)
seed=$(arg dmr.crash_seed)
d=/tmp/crash
[ -f $d/log.img ] || fail "no log: crash_record must run first in this boot"
PATH=/usr/bin:$PATH /usr/bin/dm-remap-crash run $d/log.img $d/replay --random "${random:-200}" --seed "${seed:-1}" \
	>$d/run.out 2>&1 || { cat $d/run.out; fail "a crash point failed"; }
say "CRASH-REPLAY $(tr '\n' ' ' <$d/run.out)"
