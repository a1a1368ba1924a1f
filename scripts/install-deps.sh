#!/usr/bin/env bash
# Take a bare Debian 12 machine to one that can build the test kernel, the
# module and the VM image. Idempotent: installs only what is missing, then
# checks every tool's version and names whatever is still wrong.
source "$(dirname "$0")/common.sh"

APT_PKGS=(
	rustc-web cargo-web rust-web-src libstd-rust-web-dev rust-web-clippy rustfmt-web
	clang-19 lld-19 llvm-19 libclang-19-dev
	linux-source-6.12
	build-essential bc bison flex libelf-dev libssl-dev cpio kmod xz-utils zstd python3 rsync
	qemu-system-x86 busybox-static dmsetup fio
	systemd # systemd-escape and systemd-analyze check the generator's units (tool/tests/generator.rs)
	udev    # the VM's assembly tests run the udev rule under the real systemd-udevd
	debootstrap qemu-utils e2fsprogs # the real-boot tests' root image (scripts/mkrootfs.sh)
	groff-base man-db zsh fish shellcheck # tests/install.sh: man pages, completions, the shell scripts
)
# `install-deps.sh --bench`: also what the benchmark's chart needs.
[ "${1:-}" = --bench ] && APT_PKGS+=(python3-matplotlib)

missing=()
for p in "${APT_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	[ "$(id -u)" = 0 ] || die "need root to install: ${missing[*]}"
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install failed for: ${missing[*]}"
fi

if ! "$BINDGEN_BIN" --version 2>/dev/null | grep -q "bindgen $BINDGEN_VERSION"; then
	command -v cargo >/dev/null || die "cargo not found: it is needed to install bindgen-cli $BINDGEN_VERSION"
	log "installing bindgen-cli $BINDGEN_VERSION"
	cargo install --quiet --locked bindgen-cli --version "$BINDGEN_VERSION" ||
		die "cargo install bindgen-cli $BINDGEN_VERSION failed"
fi

# Version checks: the kernel's minimums (scripts/min-tool-version.sh in 6.12).
ver_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }
check() { # name, found-version, minimum
	[ -n "$2" ] || die "$1: not found"
	ver_ge "$2" "$3" || die "$1 $2 is older than the required $3"
	log "ok: $1 $2"
}
check rustc "$(/usr/bin/rustc --version 2>/dev/null | awk '{print $2}')" 1.78.0
[ -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library/core" ] ||
	die "rust-src for /usr/bin/rustc missing (package rust-web-src)"
check bindgen "$("$BINDGEN_BIN" --version 2>/dev/null | awk '{print $2}')" 0.65.1
check clang-19 "$(clang-19 --version 2>/dev/null | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1)" 19
check ld.lld-19 "$(ld.lld-19 --version 2>/dev/null | grep -o 'LLD [0-9.]*' | cut -d' ' -f2)" 19
check qemu-system-x86_64 "$(qemu-system-x86_64 --version 2>/dev/null | awk 'NR==1{print $4}')" 7.0
check dmsetup "$(dmsetup --version 2>/dev/null | awk '/Library/{print $3}' | cut -d- -f1)" 1.02
check fio "$(fio --version 2>/dev/null | sed 's/fio-//')" 3.0
[ -f /usr/src/linux-source-6.12.tar.xz ] || die "/usr/src/linux-source-6.12.tar.xz missing (package linux-source-6.12)"
[ -x /bin/busybox ] || die "busybox-static missing"
log "all build and test dependencies present"
