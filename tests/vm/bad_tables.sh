# Every bad table line is refused with its reason in the kernel log.
. /tests/lib.sh
load
small=$(mkloop 512)  # 512 KiB: below the 1 MiB minimum spare
n=0
refuse() { # reason, table arguments after "remap"
	reason=$1; shift
	dmesg -c >/dev/null
	if dmsetup create bad --table "0 2048 remap $*" 2>/dev/null; then
		dmsetup remove bad; fail "accepted: remap $*"
	fi
	dmesg | grep -q "remap: $reason" || { dmesg; fail "no '$reason' for: remap $*"; }
	n=$((n + 1))
}
refuse "Invalid argument count" /dev/ram0
refuse "Invalid argument count" ""
refuse "Invalid argument count" /dev/ram0 /dev/ram1 0 extra
refuse "Main device lookup failed" /dev/nonexistent /dev/ram1
refuse "Spare device lookup failed" /dev/ram0 /dev/nonexistent
refuse "Main and spare are the same device" /dev/ram0 /dev/ram0
refuse "Spare device too small" /dev/ram0 $small
refuse "Invalid number of feature arguments" /dev/ram0 /dev/ram1 1
refuse "Invalid number of feature arguments" /dev/ram0 /dev/ram1 x
refuse "Invalid number of feature arguments" /dev/ram0 /dev/ram1 -1
refuse "Invalid number of feature arguments" /dev/ram0 /dev/ram1 17
refuse "Unknown feature argument" /dev/ram0 /dev/ram1 1 frobnicate
refuse "Invalid block_size" /dev/ram0 /dev/ram1 2 block_size 3000
refuse "Invalid block_size" /dev/ram0 /dev/ram1 2 block_size 2097152
refuse "Invalid block_size" /dev/ram0 /dev/ram1 1 block_size
refuse "block_size given twice" /dev/ram0 /dev/ram1 4 block_size 4096 block_size 4096
# brd devices have 4 KiB physical blocks.
refuse "block_size is smaller than a device's logical or physical block size" /dev/ram0 /dev/ram1 2 block_size 512
# Length beyond main (ram0 is 64 MiB = 131072 sectors).
dmesg -c >/dev/null
dmsetup create bad --table "0 131073 remap /dev/ram0 /dev/ram1" 2>/dev/null && fail "target longer than main accepted"
dmesg | grep -q "remap: Main device is smaller than the target length" || fail "no reason for a too-long target"
dmsetup info bad >/dev/null 2>&1 && fail "a refused device was left behind"
losetup -d $small
say "$((n + 1)) bad tables refused with their reasons"
