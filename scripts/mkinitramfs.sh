#!/usr/bin/env bash
# Build the test VM's initramfs: busybox, the real dmsetup, dd, cmp, fio, blkid,
# losetup, blkdiscard, kmod and udev from this machine's Debian packages (with the
# shared libraries ldd names), dm-remap-tool and dm-remap-crash (built here,
# so every caller gets them from a fresh clone), dm-remap.ko installed under /lib/modules with depmod so
# `dmsetup create` can autoload it, and the tests of tests/vm.
# Usage: mkinitramfs.sh <kernel build dir> <module .ko> <output .cpio>
source "$(dirname "$0")/common.sh"

KDIR=$1 KO=$2 OUT=$3
KREL=$(cat "$KDIR/include/config/kernel.release")
cargo build --release -q --manifest-path "$TOP/Cargo.toml" -p dm-remap-tool -p dm-remap-crash || die "building dm-remap-tool and dm-remap-crash failed"
ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT

mkdir -p "$ROOT"/{bin,sbin,usr/bin,dev,proc,sys,tmp,run,etc,lib/modules/"$KREL"/extra}
cp /bin/busybox "$ROOT/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$ROOT/bin/$applet"
done

# Real tools go to /usr/bin. Debian's busybox sh runs its own applets
# before anything on PATH, so tests/vm/lib.sh calls these by full path.
add_prog() { # path
	local p=$1 lib
	[ -x "$p" ] || die "$p missing (run scripts/install-deps.sh)"
	cp -L "$p" "$ROOT/usr/bin/"
	for lib in $(ldd "$p" | grep -o '/[^ ]*'); do
		mkdir -p "$ROOT$(dirname "$lib")"
		cp -Ln "$lib" "$ROOT$lib" 2>/dev/null || true
	done
}
for p in /usr/sbin/dmsetup /usr/bin/fio /usr/bin/dd /usr/bin/cmp /usr/sbin/losetup \
	/usr/sbin/blkdiscard /usr/sbin/blockdev /usr/sbin/blkid /usr/bin/kmod "$TOP/target/release/dm-remap-tool" \
	"$TOP/target/release/dm-remap-crash"; do
	add_prog "$p"
done
# udev, for the tests that run the udev rule (tests/vm/lib.sh, start_udev):
# the daemon is udevadm under another name; Debian's rules for block
# devices' by-id names and change events, and ours, which runs the tool
# from where it is installed.
add_prog /usr/bin/udevadm
mkdir -p "$ROOT/lib/systemd" "$ROOT/usr/lib/udev/rules.d" "$ROOT/etc/udev/rules.d" "$ROOT/usr/sbin"
ln -sf ../../usr/bin/udevadm "$ROOT/lib/systemd/systemd-udevd"
cp /usr/lib/udev/rules.d/{60-block,60-persistent-storage}.rules "$ROOT/usr/lib/udev/rules.d/"
cp "$TOP/tool/dist/61-dm-remap.rules" "$ROOT/etc/udev/rules.d/"
ln -sf ../bin/dm-remap-tool "$ROOT/usr/sbin/dm-remap-tool"
for m in modprobe insmod rmmod lsmod depmod modinfo; do
	ln -sf kmod "$ROOT/usr/bin/$m"
done
ln -sf ../usr/bin/modprobe "$ROOT/sbin/modprobe"
mkdir -p "$ROOT/lib64" && cp -Ln /lib64/ld-linux-x86-64.so.2 "$ROOT/lib64/"

cp "$KO" "$ROOT/lib/modules/$KREL/extra/"
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ -f "$KDIR/$f" ] && cp "$KDIR/$f" "$ROOT/lib/modules/$KREL/"
done
depmod -b "$ROOT" "$KREL"

mknod -m 600 "$ROOT/dev/console" c 5 1
mknod -m 666 "$ROOT/dev/null" c 1 3
cp -r "$TOP/tests/vm" "$ROOT/tests"
cp "$TOP/tests/vm/init" "$ROOT/init"
chmod +x "$ROOT/init"

mkdir -p "$(dirname "$OUT")"
(cd "$ROOT" && find . | cpio -o -H newc --quiet) >"$OUT"
