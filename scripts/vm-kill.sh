#!/usr/bin/env bash
# Process kills at random moments: boots the VM with kill_workload (writes
# that each carry a sequence number, remap messages, write errors that
# relocate, reads that fail and writes that revive, fio), kills QEMU with
# SIGKILL a random 3 to 22 s into the workload, builds the manifest of what
# was acknowledged from the workload's journal disk, and boots again: kill_verify
# checks the metadata is clean, loads, and every acknowledged write,
# pending block and remap survived, then the workload goes on in the same
# boot until the next kill. The disks carry over from one kill to the next.
# A process kill loses nothing QEMU wrote (cache=none): this checks what
# the guest was told, not flushes (tests/vm/power_cuts.sh cuts power).
#   scripts/vm-kill.sh [KILLS]      (default 50; the test command runs 3)
# DMR_KILL_SEED picks the random moments (printed). Needs the test kernel,
# the module and out/initramfs.cpio (scripts/test-all.sh builds them).
# Prints TAP lines: one per kill, once its verify ran.
source "$(dirname "$0")/common.sh"
cd "$TOP"
kills=${1:-50}
seed=${DMR_KILL_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
RANDOM=$seed
log "vm-kill: $kills kills, seed $seed (DMR_KILL_SEED=$seed repeats the moments)"
# kill_verify reads every block written so far, one at a time.
export DMR_TEST_TIMEOUT=900
initrd=out/initramfs.cpio
[ -f "$initrd" ] || die "no $initrd: run scripts/test-all.sh (or build the module and scripts/mkinitramfs.sh) first"
dir=out/kill-disks
rm -rf "$dir" && mkdir -p "$dir"
truncate -s 64M "$dir/main.img" "$dir/spare.img"
truncate -s 4M "$dir/manifest.img"
export DMR_DISKS="$dir/main.img $dir/spare.img $dir/manifest.img $dir/journal.img"
# "<block> <last acknowledged seq, or L when pending> <seq of a write in
# flight at a kill, which may have landed, or 0>" lines
state=$dir/state
remaps=$dir/remaps
: >"$state"
: >"$remaps"
seq=1 failed=0 prev=
# Boot k verifies kill k - 1, then runs the workload until it is killed;
# boot kills + 1 only verifies.
for ((k = 1; k <= kills + 1; k++)); do
	klog=out/logs/kill-$k.log
	if ((k <= kills)); then
		rm -f "$dir/journal.img" && truncate -s 4M "$dir/journal.img"
		after=$((RANDOM % 20 + 3))
		tests=kill_workload
		((k == 1)) || tests="kill_verify kill_workload"
		DMR_VM_KILL="KILL-READY $after" DMR_VM_APPEND="dmr.kill_seq=$seq" \
			"$TOP/scripts/vm-run.sh" "kill-$k" "$initrd" $tests || { echo "not ok - kill $k: the boot failed (see $klog)"; failed=1; break; }
	elif ! out=$("$TOP/scripts/vm-run.sh" "kill-$k" "$initrd" kill_verify) || grep -q '^not ok' <<<"$out"; then
		echo "$out"
		echo "not ok - $prev: verify failed (see $klog)"
		failed=1
		break
	fi
	# (The kernel's complaints as every boot's are found: scripts/vm_log.py.)
	if grep -q 'FAIL:' "$klog" || ! splat=$(python3 "$TOP/scripts/vm_log.py" splats "$klog"); then
		echo "not ok - boot $k: a test failed or the kernel complained (see $klog)"
		sed 's/^/#   /' <<<"${splat:-}"
		failed=1
		break
	fi
	if ((k > 1)); then
		v=$(tr -d '\r' <"$klog" | grep -o 'KILL-VERIFY.*' | head -1 || true)
		grep -q 'DMR-END kill_verify rc=0' "$klog" && [ -n "$v" ] ||
			{ echo "not ok - $prev: verify failed (see $klog)"; failed=1; break; }
		echo "ok - $prev: ${v#KILL-VERIFY }"
	fi
	((k <= kills)) || break
	# What the workload's journal holds: acknowledged writes, the write in
	# flight, blocks that became pending, remaps that returned.
	tr -d '\000' <"$dir/journal.img" | awk -v state="$state" -v remaps="$remaps" -v out="$dir/manifest" '
		BEGIN { while ((getline l < state) > 0) { split(l, f, " "); acked[f[1]] = f[2]; alt[f[1]] = f[3] }
		        while ((getline l < remaps) > 0) rem[l] = 1 }
		$NF != "." || $2 !~ /^[0-9]+$/ { next }
		$1 == "WRITE" && NF == 4 { inflight = $2; fb = $3; last = $2 }
		$1 == "ACK" && NF == 4 { acked[$3] = $2; alt[$3] = 0; inflight = 0 }
		$1 == "PENDING" && NF == 3 { acked[$2] = "L"; alt[$2] = 0 }
		$1 == "REMAP" && NF == 3 { rem[$2] = 1 }
		END {
			# The write in flight may have landed: its stamp stays an
			# alternative until the block is written again.
			if (inflight) alt[fb] = inflight
			printf "" > state; printf "" > remaps; printf "" > out
			for (b in acked) { print b, acked[b], alt[b] + 0 > state; print b, acked[b], alt[b] + 0 > out }
			for (r in rem) { print r > remaps; print "R", r > out }
			print "END" > out
			print last + 1 > (state ".next")
		}'
	next=$(cat "$state.next")
	[ "$next" -gt "$seq" ] || { echo "not ok - kill $k: the workload wrote nothing before the kill"; failed=1; break; }
	prev="kill $k after ${after}s ($((next - seq)) writes issued)"
	seq=$next
	dd if="$dir/manifest" of="$dir/manifest.img" conv=notrunc status=none
done
[ $failed = 0 ] || die "vm-kill: a kill lost data or metadata (seed $seed)"
log "vm-kill: $kills kills, no loss (seed $seed)"
