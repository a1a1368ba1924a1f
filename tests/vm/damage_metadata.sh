# The damage matrix, part 2: metadata damaged by the tool's damage
# generator, and cut short. Every case is refused with its reason, leaving
# both disks as they were (checksums before and after), or loads the
# commit the generator names; no oops or splat (the boot's log checks).
# Where the generator names a reason, the kernel and `dm-remap-tool check`
# must give it. This script runs the commit-slot cases; damage_log.sh the
# log, record and whole-area cases and the truncations (PART=log), and
# damage_extreme.sh the extreme-geometry ones (PART=extreme), so that each
# stays well within the per-test time limit.
. /tests/lib.sh
PART=${PART:-slots}
load
len=4096 # 2 MiB of main (300 remapped blocks fit); the metadata area is the spare's first 544 KiB
dmsetup create dmain --table "0 $len linear /dev/ram0 0"
main=/dev/mapper/dmain spare=/dev/ram1
sums() { { dd if=$main bs=1M iflag=direct status=none; dd if=$spare bs=1M count=1 iflag=direct status=none; } | md5sum; }
n=0

# Metadata: the tool's damage generator, over a pair with two non-empty
# commits (commit 3: 100 remaps in its tail; commit 4: 300, a full log
# block and a tail). Refused: the reason, disks unchanged; loaded: the
# commit the case names, with exactly its remaps.
fresh_spare $spare
dmsetup create m --table "0 $len remap $main $spare"
dmsetup message m 0 remap 0 100 >/dev/null
dmsetup message m 0 list | sort >/tmp/list-older
dmsetup message m 0 remap $((100 * 8)) 200 >/dev/null
dmsetup message m 0 list | sort >/tmp/list-newest
dmsetup remove m
[ "$(wc -l </tmp/list-older) $(wc -l </tmp/list-newest)" = "100 300" ] || fail "golden lists"
dd if=$spare of=/tmp/golden bs=1M count=1 iflag=direct status=none
cases=0
case $PART in
slots) tool damage --list | grep -v '=' | grep '^slot-' >/tmp/cases ;;
log) tool damage --list | grep -v '=' | grep -v '^slot-' >/tmp/cases ;;
extreme) tool damage --list | grep '=' >/tmp/cases ;;
esac
while read -r name expect reason; do
	dd if=/tmp/golden of=$spare bs=1M oflag=direct status=none
	tool damage $spare "$name" || fail "damage $name"
	[ "$expect" = refuse ] && before=$(sums)
	if [ "$reason" != - ]; then
		tool check $spare >/tmp/check 2>&1 && fail "damage $name: check found nothing"
		grep -qF "$reason" /tmp/check || fail "damage $name: check did not say '$reason': $(cat /tmp/check)"
	fi
	dmesg -c >/dev/null
	if dmsetup create m --table "0 $len remap $main $spare" 2>/dev/null; then
		dmsetup message m 0 list | sort >/tmp/list
		dmsetup remove m
		case "$expect" in
		load-newest) cmp -s /tmp/list /tmp/list-newest ;;
		load-older) cmp -s /tmp/list /tmp/list-older ;;
		*) false ;;
		esac || fail "damage $name: expected $expect, loaded $(wc -l </tmp/list) remaps"
		case "$expect:$name" in
		load-older:*-seq*) ;;
		load-older:*) dmesg | grep -q "using commit 3$" || fail "damage $name: did not load commit 3: $(dmesg)" ;;
		esac
		[ "$reason" = - ] || dmesg | grep -qF "is invalid ($reason); using commit" ||
			fail "damage $name: no warning '$reason': $(dmesg)"
	else
		[ "$expect" = refuse ] || { dmesg; fail "damage $name: expected $expect, refused"; }
		dmesg | grep -q "remap: " || fail "damage $name: refused without a reason"
		[ "$reason" = - ] || dmesg | grep -qF "remap: $reason" || fail "damage $name: not refused for '$reason': $(dmesg)"
		dmsetup info m >/dev/null 2>&1 && fail "damage $name: a refused device was left behind"
		[ "$(sums)" = "$before" ] || fail "damage $name: disks changed by a refused load"
	fi
	cases=$((cases + 1)) n=$((n + 1))
done </tmp/cases
# Exactly the generator's cases of this part (a case added or lost is
# seen here and in tool/tests/damage_matrix.rs).
want=$(case $PART in slots) echo 66 ;; log) echo 23 ;; extreme) echo 40 ;; esac)
[ $cases = "$want" ] || fail "$cases $PART cases run, $want expected"
if [ "$PART" != log ]; then
	dmsetup remove dmain
	say "damage matrix, $PART: $cases cases, each loaded as expected or refused with its reason"
	exit 0
fi
# Truncated metadata: the spare cut short within its slots or its log.
dd if=/tmp/golden of=$spare bs=1M oflag=direct status=none
for cut in 8 16 24 2048; do
	dmsetup create cut --table "0 $cut linear $spare 0"
	before=$(sums)
	dmesg -c >/dev/null
	dmsetup create m --table "0 $len remap $main /dev/mapper/cut" 2>/dev/null && fail "spare cut to $cut sectors loaded"
	dmesg | grep -q "remap: " || fail "spare cut to $cut sectors: refused without a reason"
	[ "$(sums)" = "$before" ] || fail "spare cut to $cut sectors: disks changed"
	dmsetup remove cut
	cases=$((cases + 1)) n=$((n + 1))
done
[ $cases = 27 ] || fail "$cases log, area and truncation cases, 27 expected"
say "$cases damaged metadata images: each refused with its reason or loaded as expected"
dmsetup remove dmain
say "damage matrix, metadata: $n cases, all clean"
