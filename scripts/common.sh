# Shared settings for the dm-remap scripts. Source it; do not run it.
# shellcheck shell=bash
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_ROOT=${DM_REMAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dm-remap}
BINDGEN_VERSION=0.69.5
export LIBCLANG_PATH=/usr/lib/llvm-19/lib
export PATH="$HOME/.cargo/bin:$PATH"
BINDGEN_BIN=${BINDGEN_BIN:-$HOME/.cargo/bin/bindgen}
# rustup's rustc comes first on PATH and has no rust-src: the kernel and the
# module are always built with Debian's rustc-web.
KRUST_FLAGS=(LLVM=-19 RUSTC=/usr/bin/rustc HOSTRUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
	BINDGEN="$BINDGEN_BIN" CLIPPY_DRIVER=/usr/bin/clippy-driver)

log() { printf '[dm-remap] %s\n' "$*" >&2; }
die() { printf '[dm-remap] error: %s\n' "$*" >&2; exit 1; }

# Kernel source version offered by linux-source-6.12 (e.g. 6.12.117),
# remembered next to the cache until the package changes.
kernel_version() {
	local tarball=/usr/src/linux-source-6.12.tar.xz memo=$CACHE_ROOT/kver
	if [ ! -s "$memo" ] || [ "$tarball" -nt "$memo" ]; then
		mkdir -p "$CACHE_ROOT"
		tar -xOf "$tarball" linux-source-6.12/Makefile 2>/dev/null |
			awk '/^VERSION/{v=$3}/^PATCHLEVEL/{p=$3}/^SUBLEVEL/{s=$3}END{print v"."p"."s}' >"$memo"
	fi
	cat "$memo"
}

rustc_version() { /usr/bin/rustc --version | awk '{print $2}'; }

# Which kernel: DMR_KERNEL=test (the default: KASAN, lockdep, kmemleak) or
# bench (the same sources and options without the debug ones, which distort
# what the benchmark measures).
DMR_KERNEL=${DMR_KERNEL:-test}
case "$DMR_KERNEL" in test | bench) ;; *) die "DMR_KERNEL must be test or bench, not $DMR_KERNEL" ;; esac

# The config fragments of that kernel, in merge order (later ones win).
kernel_fragments() {
	echo "$TOP/scripts/kernel.config"
	[ "$DMR_KERNEL" = test ] || echo "$TOP/scripts/kernel-bench.config"
}

# The kernel build directory for this kernel version, config fragments and
# rustc.
kernel_cache_dir() {
	local kver key
	kver=$(kernel_version)
	# shellcheck disable=SC2046
	key=$(cat $(kernel_fragments) | sha256sum | cut -c1-12)
	echo "$CACHE_ROOT/linux-$kver-cfg$key-rustc$(rustc_version)"
}

# Fresh raw images for a pair of boots over the same disks (the reboot
# test, the demo): main (64 MiB), spare ($2 MiB) and a 1 MiB notes disk,
# in directory $1. Prints the DMR_DISKS value for scripts/vm-run.sh.
vm_disks() {
	rm -rf "$1" && mkdir -p "$1"
	truncate -s 64M "$1/main.img"
	truncate -s "${2}M" "$1/spare.img"
	truncate -s 1M "$1/notes.img"
	echo "$1/main.img $1/spare.img $1/notes.img"
}
