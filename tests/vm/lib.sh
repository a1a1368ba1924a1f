# Helpers shared by the VM tests (busybox sh). Source it.
set -e
export DM_DISABLE_UDEV=1

# libdevmapper creates /dev/mapper nodes itself: most tests run no udev
# (see start_udev).
dmsetup() { /usr/bin/dmsetup --noudevsync "$@"; }
# The real tools, not busybox's applets of the same names (busybox sh
# prefers its applets to anything on PATH).
for t in dd cmp losetup blockdev blkdiscard fio modprobe insmod rmmod lsmod modinfo; do
	eval "$t() { /usr/bin/$t \"\$@\"; }"
done

fail() { echo "FAIL: $*"; exit 1; }
say() { echo "$*"; }
# Prints a command (for the demo's transcript), then runs it.
show() { echo "\$ $*" >&2; "$@"; }

# Sectors of a block device.
sectors() { blockdev --getsz "$1"; }

# A loop device over a tmpfs file of $1 KiB; prints its path.
mkloop() {
	f=$(mktemp /tmp/loop.XXXXXX)
	truncate -s "${1}K" "$f"
	losetup --find --show "$f"
}

# Writes $3 sectors of fresh random data to $1 at sector $2 (direct I/O),
# keeping a copy in $4.
put() {
	dd if=/dev/urandom of="$4" bs=512 count="$3" status=none
	dd if="$4" of="$1" bs=1M seek=$(($2 * 512)) oflag=direct,seek_bytes conv=notrunc status=none
}

# Checks that $1 holds the contents of file $4 at sector $2 for $3 sectors.
expect() {
	dd if="$1" of=/tmp/.got bs=1M skip=$(($2 * 512)) count=$(($3 * 512)) \
		iflag=direct,skip_bytes,count_bytes status=none
	cmp -s /tmp/.got "$4" || fail "$1 at sector $2 ($3 sectors) differs from $4"
}

# Value of option $1 on the kernel command line (empty if absent).
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p"; }

# Mounts configfs (where null_blk disks are made) unless it is mounted.
configfs() { grep -q ' /sys/kernel/config ' /proc/mounts || mount -t configfs configfs /sys/kernel/config; }

# Loads dm-remap unless it is loaded.
load() { grep -q '^dm_remap ' /proc/modules || modprobe dm_remap; }

# Zeroes the first $2 MiB of $1.
wipe() { dd if=/dev/zero of="$1" bs=1M count="$2" oflag=direct status=none; }

# Zeroes the metadata area of spare $1 (the first 8 MiB cover it for every
# spare used in the tests), so the next table formats it afresh.
fresh_spare() { wipe "$1" 8; }

# Field $2 (1-based, after "<start> <len> remap") of the status of $1.
status_field() { dmsetup status "$1" | awk -v f="$2" '{print $(3 + f)}'; }

# The tool (it reads block devices with O_DIRECT, as the kernel writes a
# live spare; it runs the real dmsetup, from /usr/bin here).
tool() { PATH=/usr/bin:$PATH /usr/bin/dm-remap-tool "$@"; }

# A blank spare /dev/ram1 under `sp`, a dm-linear device whose table
# swap_spare swaps for $1 (faults injected at a chosen moment); sets n to
# the spare's size.
linear_spare() {
	fresh_spare /dev/ram1
	n=$(sectors /dev/ram1)
	dmsetup create sp --table "0 $n linear /dev/ram1 0"
}
swap_spare() { dmsetup suspend sp; dmsetup reload sp --table "$1"; dmsetup resume sp; }

# Inverts the byte at offset $2 of device $1 (written through, so that it
# lands even while a target holds the device open).
flip() {
	b=$(dd if="$1" bs=1 skip="$2" count=1 status=none | od -An -tu1 | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" count=1 conv=notrunc,fsync status=none
}

# The sequence number of the last commit on spare $1.
commit_seq() { tool dump "$1" | awk '/^format:/{print $4}'; }

# A table for a disk over $1 whose 4 KiB blocks $2, $2 + $3, ... ($4 of
# them) fail every read and write (dm-error segments between dm-linear
# ones): grown defects, made in one table load (a dm-dust message per block
# costs a process each).
bad_table() {
	dev=$1 at=0 end=$(sectors "$1") i=0
	while [ $i -lt "$4" ]; do
		bad=$((($2 + i * $3) * 8))
		[ $bad -gt $at ] && echo "$at $((bad - at)) linear $dev $at"
		echo "$bad 8 error"
		at=$((bad + 8)) i=$((i + 1))
	done
	[ $end -gt $at ] && echo "$at $((end - at)) linear $dev $at"
	return 0
}

# Checksum of what the reboot test writes on $1: the first 32 MiB and
# blocks 8740-8803 (all written, so no failing block is read).
checksum() {
	{
		dd if="$1" bs=1M count=32 iflag=direct status=none
		dd if="$1" bs=4096 skip=8740 count=64 iflag=direct status=none
	} | sha256sum | cut -d' ' -f1
}

# Main for a test: `dmain`, over /dev/ram0, whose blocks $1, $1 + $2, ...
# ($3 of them) fail every I/O (bad_table); sets n (its sectors) and good
# (its table, to load again after an outage), and blanks /dev/ram1 for a
# spare.
failing_main() {
	fresh_spare /dev/ram1
	n=$(sectors /dev/ram0)
	good=$(bad_table /dev/ram0 "$@")
	echo "$good" | dmsetup create dmain
}

# Waits until status field $2 of device $1 reads $3, for at most $4
# seconds; else fails, saying $5 and the status.
wait_field() {
	t=0
	until [ "$(status_field "$1" "$2")" = "$3" ]; do
		t=$((t + 1))
		[ $t -le $(($4 * 2)) ] || fail "$5: $(dmsetup status "$1")"
		sleep 0.5
	done
}

# The event counter of mapped device $1.
events() { dmsetup info -c --noheadings -o events "$1" | tr -d ' '; }

# While fio writes 24 MiB of /dev/mapper/r at random (4 MiB/s) and
# verifies it, runs rounds of: suspend, `$2 <round>` (while suspended),
# resume, reload with table $1, resume. Fails if fio sees an error or fewer
# than 3 rounds ran; sets $rounds.
rounds_under_fio() {
	fio --name=busy --filename=/dev/mapper/r --size=24M --rw=randwrite --bs=4k --ioengine=libaio \
		--iodepth=8 --direct=1 --verify=crc32c --verify_fatal=1 --rate=4m --minimal >/tmp/fio.out 2>&1 &
	pid=$!
	rounds=0
	while kill -0 $pid 2>/dev/null && [ $rounds -lt 30 ]; do
		sleep 0.3
		dmsetup suspend r
		$2 $rounds
		dmsetup resume r
		dmsetup reload r --table "$1"
		dmsetup resume r
		rounds=$((rounds + 1))
	done
	wait $pid || { cat /tmp/fio.out; fail "fio saw an error"; }
	[ $rounds -ge 3 ] || fail "only $rounds rounds ran during fio"
}

# Keeps fio busy in the background over $2 bytes of /dev/mapper/r from
# byte $1: 4 KiB writes at random (a flush every 64), each verified soon
# after (crc32c). Call it again and again while other work goes on: it
# fails the test if the last run saw an error, and starts a new run when
# the last one ended. fio_busy_end waits for the run in progress.
fio_busy() {
	if [ -n "${fio_pid:-}" ]; then
		kill -0 "$fio_pid" 2>/dev/null && return 0
		fio_busy_end
	fi
	fio --name=busy --filename=/dev/mapper/r --offset="$1" --size="$2" --rw=randwrite --bs=4k \
		--ioengine=libaio --iodepth=4 --direct=1 --fsync=64 --verify=crc32c --verify_fatal=1 \
		--verify_backlog=64 --rate=256k --minimal >/tmp/fio_busy.out 2>&1 &
	fio_pid=$!
}
fio_busy_end() {
	wait "$fio_pid" || { cat /tmp/fio_busy.out; fail "fio saw an error"; }
	fio_pid= fio_runs=$((${fio_runs:-0} + 1))
}

# Whole-block stamps: writes to file $3 a 4 KiB block whose every 512-byte
# sector says "STAMP <seq $1> <block $2> <sector>".
stamp() {
	i=0
	while [ $i -lt 8 ]; do printf '%-511s\n' "STAMP $1 $2 $i"; i=$((i + 1)); done >"$3"
}

# What 4 KiB block $2 of device $1 holds: "<seq> <block>" (a whole stamp),
# "zero", "torn" (anything else; it is left in /tmp/.stamp) or "EIO".
read_stamp() {
	dd if="$1" of=/tmp/.stamp bs=4096 skip="$2" count=1 iflag=direct status=none 2>/dev/null || {
		echo EIO
		return
	}
	if cmp -s -n 4096 /tmp/.stamp /dev/zero; then
		echo zero
		return
	fi
	tr '\000' Z </tmp/.stamp | awk '$1 != "STAMP" || $4 != NR - 1 || (NR > 1 && ($2 != s || $3 != b)) || length($0) != 511 { bad = 1 }
		{ s = $2; b = $3 } END { print (bad || NR != 8) ? "torn" : s " " b }'
}

# failslab on allocations made from the module's code only (its stack
# filter from dm_remap's base up), sleeping ones included, with
# probability $1 percent (0: only fail-nth injects); `times` ($fi/times)
# counts the injections down from 1,000,000. The kernel prints the stacks
# of failed allocations: expected (scripts/vm_log.py).
failslab_module() {
	echo "DMR-EXPECT allocation-failures"
	fi=/sys/kernel/debug/failslab
	base=$(awk '$1 == "dm_remap" {print $6}' /proc/modules)
	case "$base" in 0x*[1-9a-f]*) ;; *) fail "no address for dm_remap in /proc/modules: $base" ;; esac
	echo "$base" >$fi/require-start
	echo 0xffffffffff000000 >$fi/require-end
	echo N >$fi/ignore-gfp-wait
	echo 0 >$fi/verbose
	echo 1000000 >$fi/times
	echo 1 >$fi/interval
	echo "$1" >$fi/probability
}

# failslab back to injecting nothing.
failslab_off() {
	echo 0 >$fi/probability
	echo Y >$fi/ignore-gfp-wait
	echo 1 >$fi/times
	echo 0 >$fi/require-start
	echo 0xffffffffffffffff >$fi/require-end
}

# Starts the real systemd-udevd with Debian's rules for block devices and
# dm-remap's rule (see mkinitramfs.sh), replays the block devices' add
# events and waits for them: /dev/disk/by-id and by-remap-uuid as a booted
# system has them. stop_udev stops it.
start_udev() {
	/lib/systemd/systemd-udevd --daemon --resolve-names=never
	/usr/bin/udevadm trigger --action=add --subsystem-match=block
	/usr/bin/udevadm settle --timeout=60 || fail "udev did not settle"
}
stop_udev() { /usr/bin/udevadm control --exit; }

# The virtio disk whose serial is $1 (vm-run.sh gives each disk its
# image's name as serial; udev's by-id link names it).
by_serial() { readlink -f "/dev/disk/by-id/virtio-$1"; }

# A main with faults smaller than a block: null_blk /dev/$1, 64 MiB of
# 512-byte sectors, memory-backed, its first MiB random (kept in
# /tmp/orig); sector 3 of blocks $2 to $3 - 1 and every sector of blocks
# $4 to $5 - 1 fail every read and write (configfs badblocks). Sets nb to
# its configfs directory (`sub_main_remove` removes it); blanks /dev/ram1
# for a spare.
sub_main() {
	configfs
	nb=/sys/kernel/config/nullb/$1
	mkdir $nb
	echo 64 >$nb/size && echo 1 >$nb/memory_backed && echo 512 >$nb/blocksize && echo 1 >$nb/power
	[ -b /dev/$1 ] || fail "null_blk made no /dev/$1"
	fresh_spare /dev/ram1
	dd if=/dev/urandom of=/tmp/orig bs=1M count=1 status=none
	dd if=/tmp/orig of=/dev/$1 bs=1M oflag=direct status=none
	b=$2
	while [ $b -lt $3 ]; do echo "+$((b * 8 + 3))-$((b * 8 + 3))" >$nb/badblocks; b=$((b + 1)); done
	echo "+$(($4 * 8))-$(($5 * 8 - 1))" >$nb/badblocks
}
sub_main_remove() { echo 0 >$nb/power && rmdir $nb; }

# Sector $2 of block $1 of /dev/mapper/r, one 512-byte direct read, into
# /tmp/s (`sec`); that sector as `sub_main` wrote it, into /tmp/w (`want`).
sec() { dd if=/dev/mapper/r of=/tmp/s bs=512 skip=$(($1 * 8 + $2)) count=1 iflag=direct status=none 2>/dev/null; }
want() { dd if=/tmp/orig of=/tmp/w bs=512 skip=$(($1 * 8 + $2)) count=1 status=none; }
