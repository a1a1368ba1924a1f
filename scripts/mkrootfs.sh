#!/usr/bin/env bash
# Build the root image of the real-boot tests: Debian 12 with systemd as
# PID 1, udev with Debian's and LVM's rules, lvm2 and e2fsprogs, from
# Debian's packages (debootstrap, cached under ~/.cache/dm-remap), with
# dm-remap installed as a user installs it (the module under /lib/modules
# and depmod; `make install-tools`: the tool, the udev rule, the generator,
# the monitor unit) and the tests of tests/boot, run by dmr-boot.service
# once the system is up.
# Usage: mkrootfs.sh <kernel build dir> <module .ko> <output image>
source "$(dirname "$0")/common.sh"

KDIR=$1 KO=$2 OUT=$3
KREL=$(cat "$KDIR/include/config/kernel.release")
# (initramfs-tools, busybox and zstd: an initramfs made in the guest, as
# Debian makes it, for the root on a remap device.)
PKGS=systemd,systemd-sysv,udev,lvm2,e2fsprogs,kmod,util-linux,dmsetup,initramfs-tools,busybox,zstd
MIRROR=${DMR_DEBIAN_MIRROR:-http://deb.debian.org/debian}
base=$CACHE_ROOT/rootfs-bookworm-$(echo "$PKGS" | sha256sum | cut -c1-12).tar
if [ ! -s "$base" ]; then
	log "debootstrap: Debian 12 with $PKGS (about a minute)"
	tmp=$(mktemp -d)
	debootstrap --variant=minbase --include="$PKGS" bookworm "$tmp" "$MIRROR" >"$tmp.log" 2>&1 ||
		{ tail -20 "$tmp.log" >&2; die "debootstrap failed (log: $tmp.log)"; }
	tar -C "$tmp" -cf "$base.tmp" . && mv "$base.tmp" "$base"
	rm -rf "$tmp" "$tmp.log"
fi
ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
tar -C "$ROOT" -xf "$base"

# The module, as `make install` puts it, and the tools.
install -D -m 644 "$KO" "$ROOT/lib/modules/$KREL/extra/dm-remap.ko"
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ -f "$KDIR/$f" ] && cp "$KDIR/$f" "$ROOT/lib/modules/$KREL/"
done
depmod -b "$ROOT" "$KREL"
install -D -m 644 "$KDIR/.config" "$ROOT/boot/config-$KREL"
make -s -C "$TOP" install-tools DESTDIR="$ROOT" >/dev/null || die "make install-tools failed"

# The machine: a hostname, root from the kernel's command line, no
# logins on the console (the runner owns it), no timers that would
# start work of their own during a test.
echo dmr-test >"$ROOT/etc/hostname"
echo "/dev/vda / ext4 rw 0 1" >"$ROOT/etc/fstab"
for u in serial-getty@ttyS0.service getty@tty1.service apt-daily.timer apt-daily-upgrade.timer \
	dpkg-db-backup.timer e2scrub_all.timer fstrim.timer systemd-tmpfiles-clean.timer; do
	ln -sf /dev/null "$ROOT/etc/systemd/system/$u"
done
cp -r "$TOP/tests/boot" "$ROOT/tests"
install -m 644 "$TOP/tests/boot/dmr-boot.service" "$ROOT/etc/systemd/system/"
ln -sf ../dmr-boot.service "$ROOT/etc/systemd/system/multi-user.target.wants/dmr-boot.service"

rm -f "$OUT"
truncate -s 2G "$OUT"
mkfs.ext4 -q -F -L dmr-root -d "$ROOT" "$OUT" || die "mkfs.ext4 -d failed"
