# After scripts/vm-kill.sh killed a kill_workload boot: the metadata is
# clean and loads with no repair, every acknowledged write reads back (or
# the one write in flight at the kill, which may or may not have landed),
# a pending block fails to read and the metadata lists it as lost (unless
# a write to it was in flight), and every block remapped before the kill is
# still remapped. The host's
# manifest (vdc): "<block> <last acknowledged seq, or L when pending> <seq
# of a write in flight at a kill, which may have landed, or 0>" lines, then "R <block>" for each remap, then "END".
. /tests/lib.sh
load
tool check /dev/vdb >/tmp/check.out 2>&1 || { cat /tmp/check.out; fail "dm-remap-tool check is not clean"; }
bad_table /dev/vda 5 64 256 | dmsetup create disk
dmsetup create r --table "0 131072 remap /dev/mapper/disk /dev/vdb"
dd if=/dev/vdc of=/tmp/manifest bs=1M count=4 iflag=direct status=none
sed -i '/^END$/,$d' /tmp/manifest
dmsetup message r 0 list >/tmp/list
awk '{print $1}' /tmp/list | sort -n >/tmp/remapped
blocks=0 remaps=0
while read -r b acked inflight; do
	if [ "$b" = R ]; then
		grep -qx "$acked" /tmp/remapped || fail "block $acked was remapped before the kill, and is not now"
		remaps=$((remaps + 1))
		continue
	fi
	got=$(read_stamp /dev/mapper/r "$b")
	case "$acked:$got" in
	"L:EIO") grep -qx "$b [0-9]* lost" /tmp/list || fail "block $b was pending at the kill, and the metadata does not say so" ;;
	*":$inflight $b") ;;
	L:*) fail "block $b is pending (its data was lost) and reads '$got' (in flight: $inflight)" ;;
	*":$acked $b") ;;
	*) fail "block $b holds '$got'; acknowledged: seq $acked (in flight: $inflight)" ;;
	esac
	blocks=$((blocks + 1))
done </tmp/manifest
dmsetup remove r
dmsetup remove disk
say "KILL-VERIFY $blocks blocks read back, $remaps remaps kept, $(wc -l </tmp/remapped) remaps in all"
