#!/usr/bin/env bash
# The demo from a bare machine: install what is missing, build the test
# kernel and the module, boot the VM, and show a remap device at work.
source "$(dirname "$0")/common.sh"
cd "$TOP"
"$TOP/scripts/install-deps.sh"
KDIR=$("$TOP/scripts/build-kernel.sh")
make -s KDIR="$KDIR" modules >&2
mkdir -p out
"$TOP/scripts/mkinitramfs.sh" "$KDIR" dm-remap.ko out/initramfs.cpio
# Two boots over the same virtio disks: main (vda), spare (vdb), notes (vdc).
DMR_DISKS=$(vm_disks out/demo-disks 2)
export DMR_DISKS
for boot in demo demo_reboot; do
	log "booting the VM for '$boot' (about a minute under TCG)"
	"$TOP/scripts/vm-run.sh" "$boot" out/initramfs.cpio "$boot" >out/$boot.tap
	sed -n "/DMR-BEGIN $boot/,/DMR-END $boot/{/^# /s/^# //p}" "out/logs/$boot.log"
	grep -q '^not ok' "out/$boot.tap" && { cat "out/$boot.tap"; die "the demo failed; console log: out/logs/$boot.log"; }
done
log "demo done; the VM's console logs are out/logs/demo.log and out/logs/demo_reboot.log"
