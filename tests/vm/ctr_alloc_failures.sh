# Construction under allocation failure. failslab's stack filter limits
# fault injection to allocations made from the module's code (module space
# from dm_remap's base up), and fail-nth makes the nth of them fail in the
# task that runs `dmsetup create`: its table load (ctr) and resume
# (preresume). For n = 1, 2, ... until a create sees no injected failure,
# the create must fail with an error or succeed despite it, and leave
# nothing behind: no device, no splat; the boot's kmemleak scan catches
# anything left allocated. A last create must then work and keep data.
. /tests/lib.sh
load
# Only fail-nth injects (probability 0).
failslab_module 0
fresh_spare /dev/ram1
put /dev/ram0 4096 64 /tmp/data
T="0 $(sectors /dev/ram0) remap /dev/ram0 /dev/ram1"
create() { sh -c "echo $1 >/proc/self/fail-nth && exec /usr/bin/dmsetup --noudevsync create r --table '$T'"; }

n=1 failed=0 survived=0
while :; do
	before=$(cat $fi/times)
	if create $n 2>/tmp/err; then ok=1; else ok=0; fi
	injected=$((before - $(cat $fi/times)))
	if [ $ok = 1 ]; then
		dmsetup status r >/dev/null || fail "n=$n: created, but no status"
		dmsetup remove r
		[ $injected = 0 ] && break
		survived=$((survived + 1))
	else
		# (A device left behind by a failed create would fail the next
		# create without an injected failure.)
		[ $injected = 1 ] || fail "n=$n: create failed with no injected failure: $(cat /tmp/err)"
		failed=$((failed + 1))
	fi
	n=$((n + 1))
	[ $n -le 500 ] || fail "more than 500 allocations in one create"
done
failslab_off
[ $failed -ge 10 ] || fail "only $failed creates failed: is the filter on the module?"
dmsetup create r --table "$T"
expect /dev/mapper/r 4096 64 /tmp/data
dmsetup remove r
say "$((n - 1)) allocations from the module in a create: $failed failed it cleanly, $survived were survived"
