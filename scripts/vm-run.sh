#!/usr/bin/env bash
# Boot the test kernel under QEMU once, run the named VM tests (files of
# tests/vm/) inside, keep the serial console in out/logs/<boot>.log, and
# print one result line per test plus the boot's own checks.
# Usage: vm-run.sh <boot name> <initramfs> <test>...
# DMR_DISKS="a.img b.img ..." attaches raw images as /dev/vda, /dev/vdb, ...
# (they persist across boots, for tests of a real reboot); the image's name
# is the disk's serial. A word "scsi:<image>" attaches a SCSI disk (QEMU's
# scsi-hd on a virtio-scsi controller) instead, and "hot:<image>" one that
# is plugged in only when the console prints "DMR-ATTACH <serial>"; any
# SCSI disk is pulled out on "DMR-DETACH <serial>" (and can come back):
# scripts/vm_hotplug.py, over QMP.
# DMR_BLKDEBUG="<serial>=<config> ..." puts QEMU's blkdebug between that
# SCSI disk and its image: the config's errors, e.g. a sector whose reads fail
# (errno 61, ENODATA, reaches the guest as a SCSI medium error, the sense a
# disk reports for an unreadable sector). DMR_ROOT=<qcow2>
# boots that root image (scripts/mkrootfs.sh, under an overlay) with
# systemd as PID 1 instead of the initramfs (pass - as <initramfs>): it is
# /dev/vda, and the DMR_DISKS follow. DMR_ROOT_DEV=<device> boots systemd
# from that root device through <initramfs> (one the guest made, such as
# Debian's initramfs-tools'). DMR_KERNEL
# picks the kernel (see common.sh). DMR_VM_KILL="<marker> <seconds>" kills
# QEMU (SIGKILL, like a power cut) that many seconds after the console
# prints the marker, and prints nothing else (scripts/vm-kill.sh).
source "$(dirname "$0")/common.sh"

BOOT=$1 INITRD=$2
shift 2
KDIR=$(kernel_cache_dir)
[ -f "$INITRD" ] || { [ "$INITRD" = - ] && [ -n "${DMR_ROOT:-}" ]; } || die "no initramfs at $INITRD"
PER_TEST=${DMR_TEST_TIMEOUT:-300}
LOGDIR=$TOP/out/logs
mkdir -p "$LOGDIR"
LOG=$LOGDIR/$BOOT.log

# /dev/kvm on these machines can be a PVM-style KVM (kvm_pvm) that cannot
# boot a stock kernel: use TCG there, KVM only where it is a plain one.
accel=(-accel tcg -cpu max,la57=off)
if [ -w /dev/kvm ] && ! grep -q '^kvm_pvm' /proc/modules 2>/dev/null &&
	grep -qE '^kvm_(intel|amd) ' /proc/modules 2>/dev/null; then
	accel=(-accel kvm -cpu host)
fi
# DMR_VM_ICOUNT=<shift>: QEMU's instruction counting on one TCG thread,
# guest time advancing 2^shift ns per instruction (and skipping idle
# time): timings inside the guest then count instructions, whatever the
# host's load (the benchmark).
if [ -n "${DMR_VM_ICOUNT:-}" ]; then
	accel=(-accel tcg,thread=single -icount "shift=$DMR_VM_ICOUNT,sleep=off" -cpu max,la57=off)
fi

disks=() scsi=()
initrd=(-initrd "$INITRD") root=
if [ -n "${DMR_ROOT:-}" ]; then
	disks+=(-drive "file=$DMR_ROOT,format=qcow2,if=none,id=root,cache=unsafe" -device virtio-blk-pci,drive=root)
	root="root=/dev/vda rw rootfstype=ext4 init=/lib/systemd/systemd"
fi
[ "$INITRD" != - ] || initrd=()
[ -z "${DMR_ROOT_DEV:-}" ] || root="root=$DMR_ROOT_DEV rw init=/lib/systemd/systemd"
# The block node (-blockdev, which outlives its device when a disk is
# pulled out) of image $1 for the SCSI disk whose serial is $2: the raw
# image, under blkdebug when DMR_BLKDEBUG names the serial.
blockdev() {
	local conf file="driver=file,filename=$1,cache.direct=on"
	conf=$(tr ' ' '\n' <<<"${DMR_BLKDEBUG:-}" | sed -n "s/^$2=//p")
	[ -z "$conf" ] || file="driver=blkdebug,config=$conf,image.${file//,/,image.}"
	echo "driver=raw,node-name=disk-$2,file.${file//,/,file.}"
}
[[ " ${DMR_DISKS:-}" != *" scsi:"* && " ${DMR_DISKS:-}" != *" hot:"* ]] ||
	disks+=(-device virtio-scsi-pci,id=scsi0)
for d in ${DMR_DISKS:-}; do
	kind=virtio img=$d
	[[ $d != *:* ]] || kind=${d%%:*} img=${d#*:}
	serial=$(basename "$img" .img)
	case $kind in
	virtio) disks+=(-drive "file=$img,format=raw,if=none,id=disk-$serial,cache=none"
		-device "virtio-blk-pci,drive=disk-$serial,serial=$serial") ;;
	scsi) disks+=(-blockdev "$(blockdev "$img" "$serial")"
		-device "scsi-hd,bus=scsi0.0,drive=disk-$serial,serial=$serial,id=dev-$serial") ;;
	hot) disks+=(-blockdev "$(blockdev "$img" "$serial")") ;;
	*) die "DMR_DISKS: '$d': not virtio:, scsi: or hot:" ;;
	esac
	[ "$kind" = virtio ] || scsi+=("$serial")
done
tests=$(IFS=,; echo "$*")
# scsi_debug (built in) adds no disk at boot: a test adds its host.
limit=$((60 + PER_TEST * $#))
qemu=(qemu-system-x86_64 "${accel[@]}" -m 2G -smp 2
	-nographic -no-reboot -kernel "$KDIR/arch/x86/boot/bzImage" "${initrd[@]}" "${disks[@]}"
	-append "$root console=ttyS0 panic=-1 brd.rd_nr=4 brd.rd_size=65536 scsi_debug.add_host=0 dmr.tests=$tests dmr.timeout=$PER_TEST ${DMR_VM_APPEND:-}")
if [ -n "${DMR_VM_KILL:-}" ]; then
	read -r marker after <<<"$DMR_VM_KILL"
	: >"$LOG" # before the first grep, which can come before QEMU's redirection
	"${qemu[@]}" </dev/null >"$LOG" 2>&1 &
	pid=$!
	for ((i = 0; i < limit; i++)); do
		grep -q "$marker" "$LOG" && break
		kill -0 $pid 2>/dev/null || break
		sleep 1
	done
	grep -q "$marker" "$LOG" || { kill -9 $pid 2>/dev/null; die "$BOOT: no '$marker' on the console (see $LOG)"; }
	sleep "$after"
	kill -0 $pid 2>/dev/null || die "$BOOT: the VM ended before it was killed (see $LOG)"
	kill -9 $pid
	wait $pid 2>/dev/null || true
	exit 0
fi
if [ ${#scsi[@]} -gt 0 ]; then
	qmp=$LOGDIR/$BOOT.qmp
	rm -f "$qmp"
	qemu+=(-qmp "unix:$qmp,server=on,wait=off")
	: >"$LOG"
	python3 "$TOP/scripts/vm_hotplug.py" "$LOG" "$qmp" "${scsi[@]}" >"$LOGDIR/$BOOT.hotplug.log" 2>&1 &
fi
timeout --foreground -s KILL "$limit" "${qemu[@]}" </dev/null >"$LOG" 2>&1 || true
wait
python3 "$TOP/scripts/vm_log.py" tests "$LOG" "$@"
