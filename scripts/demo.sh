#!/usr/bin/env bash
# The demo from a bare machine: install what is missing, build the test
# kernel and the module, boot the VM, and show a remap device at work.
source "$(dirname "$0")/common.sh"
cd "$TOP"
"$TOP/scripts/install-deps.sh"
KDIR=$("$TOP/scripts/build-kernel.sh")
make -s KDIR="$KDIR" modules >&2
mkdir -p out
cargo build --release -q -p dm-remap-tool
"$TOP/scripts/mkinitramfs.sh" "$KDIR" dm-remap.ko out/initramfs.cpio
log "booting the VM (about 30 s under TCG)"
"$TOP/scripts/vm-run.sh" demo out/initramfs.cpio demo >out/demo.tap
sed -n '/DMR-BEGIN demo/,/DMR-END demo/{/^# /s/^# //p}' out/logs/demo.log
grep -q '^not ok' out/demo.tap && { cat out/demo.tap; die "the demo failed; console log: out/logs/demo.log"; }
log "demo done; the VM's console log is out/logs/demo.log"
