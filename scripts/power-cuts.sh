#!/usr/bin/env bash
# Power cuts: one VM boot runs tests/vm/power_cuts.sh with CUTS cuts of
# both disks' power (memory-backed null_blk with a volatile write cache)
# at random moments of a workload, checking after each what survived.
#   scripts/power-cuts.sh [CUTS]      (default 50; the test command runs 3)
# DMR_CUT_SEED picks the moments (printed). Needs the test kernel, the
# module and out/initramfs.cpio (scripts/test-all.sh builds them).
# Prints TAP lines (the test and the boot's checks) and one line per cut.
source "$(dirname "$0")/common.sh"
cd "$TOP"
cuts=${1:-50}
seed=${DMR_CUT_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
initrd=out/initramfs.cpio
[ -f "$initrd" ] || die "no $initrd: run scripts/test-all.sh (or build the module and scripts/mkinitramfs.sh) first"
log "power cuts: $cuts, seed $seed (DMR_CUT_SEED=$seed repeats them)"
# About 40 s of VM time per cut, more as the blocks to check grow.
export DMR_TEST_TIMEOUT=$((120 + 60 * cuts))
DMR_VM_APPEND="dmr.cuts=$cuts dmr.cut_seed=$seed" "$TOP/scripts/vm-run.sh" power-cuts "$initrd" power_cuts
tr -d '\r' <out/logs/power-cuts.log | grep -o '^# cut [0-9]*:.*' || true
