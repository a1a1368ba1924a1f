#!/usr/bin/env bash
# Speed check: boots the test VM once and runs fio against dm-linear and
# remap over the same device, printing IOPS and remap/linear ratios. Under
# TCG with KASAN and lockdep the absolute numbers mean little; the ratios,
# measured in the same boot, are what to compare.
source "$(dirname "$0")/common.sh"
cd "$TOP"
"$TOP/scripts/install-deps.sh"
KDIR=$("$TOP/scripts/build-kernel.sh")
make -s KDIR="$KDIR" modules >&2
cargo build --release -q -p dm-remap-tool
mkdir -p out
"$TOP/scripts/mkinitramfs.sh" "$KDIR" dm-remap.ko out/initramfs.cpio
"$TOP/scripts/vm-run.sh" bench out/initramfs.cpio bench >out/bench.tap
grep -o 'BENCH .*' out/logs/bench.log
grep -q '^not ok' out/bench.tap && { cat out/bench.tap; die "the benchmark run failed; see out/logs/bench.log"; }
exit 0
