#!/usr/bin/env bash
# Fuzzing: the cargo-fuzz (libFuzzer) targets in fuzz/, over the shared
# core (slot and log decoding, replay of a metadata area, commit/replay
# against a model, the table-line and message parsers) and the tool
# (check, dump and repair on any image).
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# runs each target SECONDS (default 600) from its corpus in out/fuzz/corpus,
# built with overflow checks and debug assertions as in the kernel,
# seeded from fuzz/seeds (text) and from images the tool makes (binary);
# prints executions, coverage and corpus size per target; fails on a crash
# (the input is kept in fuzz/artifacts/<target>/).
source "$(dirname "$0")/common.sh"
cd "$TOP"
secs=${1:-600}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(slot_decode log_block replay_area commit_replay table_line message tool_image)

command -v cargo >/dev/null || die "cargo not found (rustup or Debian's cargo)"
if ! cargo fuzz --version >/dev/null 2>&1; then
	log "installing cargo-fuzz 0.13.2"
	cargo install --quiet --locked cargo-fuzz --version 0.13.2 || die "cargo install cargo-fuzz failed"
fi
command -v c++ >/dev/null || die "a C++ compiler is needed to build libFuzzer (package g++)"
# cargo-fuzz passes -Z flags: allow them on a stable toolchain.
export RUSTC_BOOTSTRAP=1
# AddressSanitizer where the toolchain ships its runtime (the targets are
# safe Rust; it checks libFuzzer's side and any unsafe below).
san=address
ls "$(rustc --print sysroot)"/lib/rustlib/*/lib/librustc-*_rt.asan.a >/dev/null 2>&1 || san=none
log "building the fuzz targets (sanitizer: $san)"
(cd fuzz && cargo fuzz build -O -a -s "$san" >/dev/null 2>&1) || (cd fuzz && cargo fuzz build -O -a -s "$san") ||
	die "building the fuzz targets failed"

# Binary seeds, made by the tool: a formatted pair, and one with 300
# remaps (a full log block and a tail).
work=out/fuzz
mkdir -p "$work/images"
tool=target/release/dm-remap-tool
cargo build --release -q -p dm-remap-tool
img=$work/images/spare
rm -f "$img" && truncate -s 64M "$img"
$tool format "$img" --main-sectors 2097152 >/dev/null
head -c 8192 "$img" >"$work/images/fresh-area"
python3 - "$work/images/dump.json" <<'PY'
import json, sys
remaps = [{"main_block": i * 3, "spare_block": i, "state": "lost" if i % 50 == 0 else "ok"} for i in range(300)]
json.dump({"uuid": "01234567-89ab-4cde-8f01-23456789abcd", "block_size": 4096, "main_sectors": 2097152,
           "spare_sectors": 131072, "spare_blocks_used": 300, "remaps": remaps}, open(sys.argv[1], "w"))
PY
$tool restore "$img" -i "$work/images/dump.json" >/dev/null
head -c 12288 "$img" >"$work/images/area"
seed() { # target, files...
	local t=$1; shift
	mkdir -p "$work/corpus/$t"
	cp "$@" "$work/corpus/$t/"
}
# (slot_decode, log_block and replay_area read a mode byte first; 0: take
# the blocks as they are.)
{ printf '\0'; head -c 4096 "$work/images/area"; } >"$work/images/slot-a"
{ printf '\0'; tail -c +4097 "$work/images/area" | head -c 4096; } >"$work/images/slot-b"
seed slot_decode "$work/images/slot-a" "$work/images/slot-b"
{ printf '\0'; tail -c +8193 "$work/images/area"; } >"$work/images/log0"
seed log_block "$work/images/log0"
{ printf '\0'; cat "$work/images/area"; } >"$work/images/area-0"
{ printf '\0'; cat "$work/images/fresh-area"; } >"$work/images/fresh-area-0"
seed replay_area "$work/images/area-0" "$work/images/fresh-area-0"
seed tool_image "$work/images/area-0"
# Every case of the damage generator (its extreme geometry among them),
# as metadata areas taken as they are.
mkdir -p "$work/images/damaged"
$tool damage --list | while read -r name _; do
	cp "$img" "$work/images/damaged/img"
	$tool damage "$work/images/damaged/img" "$name" || die "damage $name failed"
	{ printf '\0'; head -c 12288 "$work/images/damaged/img"; } >"$work/images/damaged/$name"
done
rm "$work/images/damaged/img"
seed tool_image "$work/images/damaged/"*
seed replay_area "$work/images/damaged/"*
head -c 2100 /dev/urandom >"$work/images/random-records"
seed commit_replay "$work/images/random-records"
seed table_line fuzz/seeds/table_line/*
seed message fuzz/seeds/message/*

failed=()
for t in "${targets[@]}"; do
	log "fuzzing $t for ${secs}s"
	out=$work/$t.log
	if (cd fuzz && cargo fuzz run -O -a -s "$san" "$t" "../$work/corpus/$t" -- \
		-max_total_time="$secs" -close_fd_mask=1 -print_final_stats=1 -rss_limit_mb=4096) >"$out" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
		cov=$(grep -o 'cov: [0-9]*' "$out" | tail -1 | cut -d' ' -f2)
		corp=$(grep -o 'corp: [0-9]*' "$out" | tail -1 | cut -d' ' -f2)
		if [ "${execs:-0}" = 0 ]; then
			tail -20 "$out"
			echo "fuzz $t: FAILED (no executions reported)"
			failed+=("$t")
			continue
		fi
		echo "fuzz $t: $execs executions, coverage ${cov:-?} edges, corpus ${corp:-?} inputs, 0 crashes"
	else
		tail -40 "$out"
		echo "fuzz $t: CRASH (input in fuzz/artifacts/$t/)"
		failed+=("$t")
	fi
done
((${#failed[@]} == 0)) || die "fuzz targets failed: ${failed[*]}"
