#!/usr/bin/env bash
# Build the test kernel (Rust + KASAN + lockdep + kmemleak) from Debian's
# linux-source-6.12, configured from scripts/kernel.config; with
# DMR_KERNEL=bench, the benchmark kernel (scripts/kernel-bench.config on
# top: no debug options). The build lives
# in a cache outside the work tree, keyed by kernel version, config fragment
# and rustc version; a cache hit returns in a second.
# Prints the build directory on stdout.
source "$(dirname "$0")/common.sh"

mkdir -p "$CACHE_ROOT"
KVER=$(kernel_version)
[ -n "$KVER" ] || die "cannot read the kernel version from /usr/src/linux-source-6.12.tar.xz"
OUT=$(kernel_cache_dir)
SRC=$CACHE_ROOT/src/linux-$KVER

if [ -f "$OUT/.dm-remap-built" ]; then
	log "kernel cache hit: $OUT"
	echo "$OUT"
	exit 0
fi

if [ ! -f "$SRC/.unpacked" ]; then
	log "unpacking linux-source $KVER"
	rm -rf "$SRC" "$CACHE_ROOT/src/linux-source-6.12"
	mkdir -p "$CACHE_ROOT/src"
	tar -C "$CACHE_ROOT/src" -xf /usr/src/linux-source-6.12.tar.xz
	mv "$CACHE_ROOT/src/linux-source-6.12" "$SRC"
	touch "$SRC/.unpacked"
fi

mk() { make -s -C "$SRC" O="$OUT" ARCH=x86_64 "${KRUST_FLAGS[@]}" "$@"; }
mkdir -p "$OUT"
mk rustavailable >/dev/null || die "the kernel says Rust is not available (run scripts/install-deps.sh)"
log "configuring $OUT"
mk tinyconfig >/dev/null
mapfile -t fragments < <(kernel_fragments)
"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OUT" "$OUT/.config" \
	"$SRC/kernel/configs/kvm_guest.config" "${fragments[@]}" >/dev/null
mk olddefconfig >/dev/null
# Every option of the fragments (the last value of each) must have survived
# olddefconfig.
declare -A want=()
while IFS= read -r line; do
	case "$line" in ''|'#'*) continue ;; esac
	want[${line%%=*}]=${line#*=}
done < <(cat "${fragments[@]}")
bad=0
for opt in "${!want[@]}"; do
	val=${want[$opt]}
	if [ "$val" = n ]; then
		grep -q "^$opt=" "$OUT/.config" && { log "config: $opt should be off"; bad=1; }
	else
		grep -qx "$opt=$val" "$OUT/.config" || { log "config: $opt=$val did not stick"; bad=1; }
	fi
done
[ $bad = 0 ] || die "kernel config is missing required options (see above)"

log "building kernel $KVER (about 8 minutes on 2 cores)"
start=$(date +%s)
mk -j"$(nproc)" all >"$OUT/build.log" 2>&1 ||
	{ tail -40 "$OUT/build.log" >&2; die "kernel build failed, log: $OUT/build.log"; }
log "kernel built in $(($(date +%s) - start)) s"
touch "$OUT/.dm-remap-built"
echo "$OUT"
