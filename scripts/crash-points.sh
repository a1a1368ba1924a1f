#!/usr/bin/env bash
# Crash points: one VM boot records a dm-remap workload through
# dm-log-writes (tests/vm/crash_record.sh), then replays the log to every
# flush and FUA write and to RANDOM points between them, checking at each
# what a power cut there would leave (tests/vm/crash_replay.sh).
#   scripts/crash-points.sh [WRITES] [RANDOM]
# Defaults: 400 stamped writes and 1000 random points (the long run); the
# test command runs 50 and 200. DMR_CRASH_SEED picks the workload's
# random blocks and the random points (printed). Needs the test kernel,
# the module and out/initramfs.cpio (scripts/test-all.sh builds them).
# Prints TAP lines (one per test of the boot) and the figures.
source "$(dirname "$0")/common.sh"
cd "$TOP"
writes=${1:-400} random=${2:-1000}
seed=${DMR_CRASH_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
initrd=out/initramfs.cpio
[ -f "$initrd" ] || die "no $initrd: run scripts/test-all.sh (or build the module and scripts/mkinitramfs.sh) first"
log "crash points: $writes writes, $random random points, seed $seed (DMR_CRASH_SEED=$seed repeats them)"
# About 1.2 s of VM time per point, 3 points per write.
export DMR_TEST_TIMEOUT=$((300 + 5 * writes + 2 * random))
DMR_VM_APPEND="dmr.crash_writes=$writes dmr.crash_random=$random dmr.crash_seed=$seed" \
	"$TOP/scripts/vm-run.sh" crash "$initrd" crash_record crash_replay
tr -d '\r' <out/logs/crash.log | grep -o 'CRASH-[A-Z]* .*' | sed 's/^/# /'
