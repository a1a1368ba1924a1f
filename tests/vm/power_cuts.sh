# Real power cuts: main and spare are memory-backed null_blk disks with a
# volatile write cache (configfs cache_size, FUA supported); powering one
# off drops what its cache held, as a power cut does. A workload writes
# whole-block stamps (every sector: "STAMP <seq> <block> <sector>"): durable
# writes (O_DSYNC), plain O_DIRECT writes made durable by a later fsync,
# writes to main's bad sectors (relocated on the worker), reads of bad
# blocks never written (pending), `remap` messages. Both disks lose power
# at a random moment (odd cuts) or right after a `remap` message or a
# pending read returned (even cuts); the table is removed, power returns,
# and:
# - the metadata checks clean and the table loads;
# - every block holds its last durable write or a later one it was sent,
#   whole (never older, never zeros once durable, never torn or another
#   block's), or fails to read only if it was pending and never durably
#   written since;
# - every `remap` that returned and every pending block is in the
#   metadata's list (pending as lost).
# Then the workload goes on over the same disks until the next cut.
# What null_blk's cache can lose: a write to a page it has never written
# through (flush or FUA) stays in the cache; a later write to such a page
# goes to the medium at once. So this cuts user data and the spare's fresh
# copies (a `remap` whose copy was not flushed before its commit reads
# zeros here), not the metadata slots, which are rewritten in place: crash
# points (scripts/crash-points.sh) replay those to every flush.
# dmr.cuts=N on the kernel command line (default 3; scripts/power-cuts.sh
# runs more), dmr.cut_seed=S repeats the moments.
. /tests/lib.sh
load
cuts=$(arg dmr.cuts)
cuts=${cuts:-3}
x=$(arg dmr.cut_seed)
x=${x:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
say "power cuts: $cuts, seed $x (dmr.cut_seed=$x repeats them)"
configfs
cfg=/sys/kernel/config/nullb
for d in pmain pspare; do
	mkdir $cfg/$d
	echo 64 >$cfg/$d/size && echo 1 >$cfg/$d/memory_backed && echo 4 >$cfg/$d/cache_size
	echo 1 >$cfg/$d/power
done
power() { echo "$1" >$cfg/pspare/power && echo "$1" >$cfg/pmain/power; }
# Main blocks 3, 35, 67, ... (64 of them) fail every read and write.
i=0
while [ $i -lt 64 ]; do
	s=$(((3 + 32 * i) * 8))
	echo "+$s-$((s + 7))" >$cfg/pmain/badblocks
	i=$((i + 1))
done
T="0 $(sectors /dev/pmain) remap /dev/pmain /dev/pspare"
blocks=2048
rand() { x=$(((x * 1103515245 + 12345) % 2147483648)); }

# The workload: appends "W <seq> <block>" before each write, then
# "D <seq> <block>" (durable) or "N <seq> <block>" (not yet) once it
# returns; "F <seq>" once an fsync returned; "P <seq> <block>" once a read
# failed; "R <seq> <block>" once a remap returned. It stops at the first
# failure (the cut).
workload() {
	last=0
	while :; do
		rand
		b=$((x % blocks))
		case $((seq % 10)) in
		[0-3] | 5 | 6) mode=D ;;
		4) mode=D b=$((3 + 32 * (x / 7 % 64))) ;;
		7) mode=N ;;
		8) mode=F ;;
		# (The block last written: moving it copies data.)
		9) mode=R b=$last ;;
		esac
		[ $mode = R ] && [ $((seq / 10 % 2)) = 1 ] && mode=P b=$((3 + 32 * (x / 11 % 64)))
		case $mode in
		D | N)
			stamp $seq $b /tmp/pc.blk
			echo "W $seq $b" >>/tmp/pc.log
			f=direct
			[ $mode = D ] && f=direct,dsync
			dd if=/tmp/pc.blk of=/dev/mapper/r bs=4096 seek=$b oflag=$f conv=notrunc status=none 2>/tmp/pc.err || break
			echo "$mode $seq $b" >>/tmp/pc.log
			is_bad $b || last=$b
			;;
		F) dd if=/dev/null of=/dev/mapper/r conv=fsync,notrunc status=none 2>/tmp/pc.err && echo "F $seq" >>/tmp/pc.log || break ;;
		P)
			dd if=/dev/mapper/r of=/dev/null bs=4096 skip=$b count=1 iflag=direct status=none 2>/dev/null ||
				echo "P $seq $b" >>/tmp/pc.log
			;;
		R) dmsetup message r 0 remap $((b * 8)) >/dev/null 2>/tmp/pc.err && echo "R $seq $b" >>/tmp/pc.log || break ;;
		esac
		# Armed: the power goes right after a remap returned (its copy is
		# durable only by the target's own flush).
		[ -e /tmp/pc.armed ] && [ $mode = R ] && touch /tmp/pc.off && power 0 && break
		seq=$((seq + 1))
	done
	echo "$seq" >/tmp/pc.next
	# Stopped by a failure: the power must have gone first.
	[ -e /tmp/pc.off ] || echo "$mode $b failed with the power on: $(cat /tmp/pc.err) $(dmesg | tail -5)" >/tmp/pc.early
}

# From the log: "<block> <last durable seq or 0> <highest seq sent> <last
# pending seq or 0>" per block touched, and "R <block>" per remap.
expected() {
	awk '$1 == "W" { sent[$3] = $2 }
		$1 == "D" { dur[$3] = $2; delete nd[$3] }
		$1 == "N" { nd[$3] = $2 }
		$1 == "F" { for (b in nd) dur[b] = nd[b]; split("", nd) }
		$1 == "P" { pend[$3] = $2; sent[$3] += 0 }
		$1 == "R" { print "R", $3; sent[$3] += 0 }
		END { for (b in sent) print b, dur[b] + 0, sent[b], pend[b] + 0 }' /tmp/pc.log
}

# Whether block $1 is one of main's bad blocks.
is_bad() { [ $(($1 % 32)) = 3 ]; }

verify() {
	tool check /dev/pspare >/tmp/pc.check 2>&1 || { cat /tmp/pc.check; fail "cut $1: dm-remap-tool check is not clean"; }
	dmsetup create r --table "$T" || fail "cut $1: the table does not load"
	dmsetup message r 0 list >/tmp/pc.list
	expected >/tmp/pc.expect
	n=0 older=0
	while read -r b dur sent pend; do
		if [ "$b" = R ]; then
			grep -q "^$dur " /tmp/pc.list || fail "cut $1: block $dur was remapped (the message returned), and is not now"
			continue
		fi
		got=$(read_stamp /dev/mapper/r "$b")
		case $got in
		EIO)
			# Lost: pending, or a bad block never durably written.
			[ "$pend" -gt "$dur" ] || { [ "$dur" = 0 ] && is_bad "$b"; } ||
				fail "cut $1: block $b fails to read; last durable write $dur"
			;;
		zero)
			[ "$dur" = 0 ] || fail "cut $1: block $b reads zeros; last durable write $dur"
			[ "$sent" = 0 ] || older=$((older + 1))
			;;
		torn) fail "cut $1: block $b is torn or not a stamp: $(head -c 80 /tmp/.stamp)" ;;
		*)
			s=${got% *}
			[ "${got#* }" = "$b" ] && [ "$s" -ge "$dur" ] && [ "$s" -le "$sent" ] ||
				fail "cut $1: block $b holds '$got'; last durable write $dur, last sent $sent"
			[ "$s" = "$sent" ] || older=$((older + 1))
			;;
		esac
		n=$((n + 1))
	done </tmp/pc.expect
	# A pending block with no write sent since: lost in the metadata.
	awk '$1 == "P" { p[$3] = 1 } $1 == "W" { delete p[$3] } END { for (b in p) print b }' /tmp/pc.log >/tmp/pc.pend
	while read -r b; do
		grep -q "^$b [0-9]* lost\$" /tmp/pc.list || fail "cut $1: block $b is pending and the metadata does not say so"
	done </tmp/pc.pend
	[ $older -le $lost_writes ] || lost_writes=$older
	say "cut $1: $n blocks as written or newer ($older of them older than the last write sent), $(grep -c . /tmp/pc.list) remaps ($(grep -c lost /tmp/pc.list) lost)"
}

: >/tmp/pc.log
seq=1 k=1 lost_writes=0
dmsetup create r --table "$T"
while [ $k -le "$cuts" ]; do
	before=$(grep -c '^[DN] ' /tmp/pc.log || true)
	workload &
	pid=$!
	rand
	sleep $((2 + x % 7))
	if [ $((k % 2)) = 0 ]; then
		touch /tmp/pc.armed
	else
		# (A read that fails after this line may fail because of the
		# cut.)
		echo CUT >>/tmp/pc.log
		touch /tmp/pc.off
		power 0
	fi
	wait $pid
	[ ! -e /tmp/pc.early ] || fail "cut $k: $(cat /tmp/pc.early)"
	rm -f /tmp/pc.armed /tmp/pc.off
	sed -i -e '/^CUT$/,${/^P /d}' -e '/^CUT$/d' /tmp/pc.log
	seq=$(cat /tmp/pc.next)
	[ "$(grep -c '^[DN] ' /tmp/pc.log)" -gt "$before" ] || fail "cut $k: nothing was written before it"
	dmsetup remove r
	power 1
	verify $k
	k=$((k + 1))
done
s=$(dmsetup status r)
dmsetup remove r
# The cuts put writes at risk: over a long run (scripts/power-cuts.sh)
# some block loses a write that was not durable. (Three cuts may lose none: a page
# that null_blk once wrote through takes later writes directly.)
[ "$cuts" -lt 10 ] || [ $lost_writes -gt 0 ] || fail "$cuts cuts and no write lost: nothing was at risk"
say "power cuts: $cuts, $((seq - 1)) operations, $(grep -c '^D ' /tmp/pc.log) durable writes, at most $lost_writes blocks older than their last write at a cut; last status: $s"
