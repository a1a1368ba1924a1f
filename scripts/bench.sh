#!/usr/bin/env bash
# The benchmark: boots the benchmark kernel (the test kernel's sources and
# options without KASAN, lockdep, kmemleak and fault injection) under QEMU's
# instruction counting, runs tests/vm/bench.sh inside, and prints a table
# of IOPS, p50/p99 latency and ratios to dm-linear with the goals as
# pass/miss lines; writes out/bench/bench.json and out/bench/bench.png.
# Host micro-benchmarks of the core (criterion, in bench/) run first.
# Options (environment): BENCH_ICOUNT (icount shift, default 1),
# BENCH_RUNTIME (guest seconds per fio run, default 2), BENCH_REPS
# (repetitions, default 3), BENCH_MICRO=0 (skip the host micro-benchmarks);
# for a quick comparison: BENCH_JOBS and BENCH_CASES (comma-separated
# subsets of the jobs and cases of tests/vm/bench.sh), BENCH_EXTRAS=0 (no
# discard latency and memory figures).
source "$(dirname "$0")/common.sh"
cd "$TOP"
"$TOP/scripts/install-deps.sh" --bench
export DMR_KERNEL=bench
KDIR=$("$TOP/scripts/build-kernel.sh")
out=$TOP/out/bench
mkdir -p "$out"

# No figure from an earlier run: what this run does not measure is a MISS.
crit=$TOP/bench/target/criterion
rm -rf "$crit"
if [ "${BENCH_MICRO:-1}" != 0 ]; then
	log "host micro-benchmarks (criterion)"
	cargo bench -q --manifest-path bench/Cargo.toml >"$out/criterion.txt" 2>&1 ||
		{ tail -30 "$out/criterion.txt" >&2; die "cargo bench failed"; }
fi

# The module for the benchmark kernel is built in a copy of the sources, so
# the test kernel's build in the work tree stays as it is.
build=$out/module
rm -rf "$build" && mkdir -p "$build"
cp -r Kbuild Makefile src core bindings "$build/"
rm -rf "$build/bindings/generated"
make -s -C "$build" KDIR="$KDIR" modules >&2
"$TOP/scripts/mkinitramfs.sh" "$KDIR" "$build/dm-remap.ko" "$out/initramfs.cpio"
# tsc=reliable: guest time under icount is exact, but a long stretch of
# work can make the clocksource watchdog distrust the TSC and fall back to
# jiffies, which would spoil the latency figures.
log "benchmark boot (icount shift ${BENCH_ICOUNT:-1}); about 10 minutes"
DMR_VM_ICOUNT=${BENCH_ICOUNT:-1} DMR_TEST_TIMEOUT=3000 \
	DMR_VM_APPEND="tsc=reliable dmr.bench_runtime=${BENCH_RUNTIME:-2} dmr.bench_reps=${BENCH_REPS:-3} dmr.bench_jobs=${BENCH_JOBS:-} dmr.bench_cases=${BENCH_CASES:-} dmr.bench_extras=${BENCH_EXTRAS:-1}" \
	"$TOP/scripts/vm-run.sh" bench "$out/initramfs.cpio" bench >"$out/bench.tap"
if grep -q '^not ok' "$out/bench.tap"; then
	cat "$out/bench.tap"
	die "the benchmark boot failed; see out/logs/bench.log"
fi
# Debian's python3, which has the python3-matplotlib that install-deps.sh
# installs (another python3 may come first on PATH).
/usr/bin/python3 "$TOP/scripts/bench_report.py" "$TOP/out/logs/bench.log" "$out" "$crit"
