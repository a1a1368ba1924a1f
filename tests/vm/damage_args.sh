# The damage matrix, part 1: bad table lines and bad messages (every table
# line the target refuses, with its reason, is here). Every case
# gets a clean refusal with its reason, no oops or splat (the boot's log
# checks), and the refusals leave both disks as they were (checksums
# before and after). Part 2 is damage_metadata.
. /tests/lib.sh
load
len=16384 # 8 MiB of main; the metadata area is the spare's first 544 KiB
dmsetup create dmain --table "0 $len linear /dev/ram0 0"
main=/dev/mapper/dmain spare=/dev/ram1
sums() { { dd if=$main bs=1M iflag=direct status=none; dd if=$spare bs=1M count=1 iflag=direct status=none; } | md5sum; }
n=0

# Table lines: every argument malformed, out of range or duplicated,
# devices missing, too small, too large or the same.
table_refused() { # reason, table arguments after "remap"
	reason=$1; shift
	dmesg -c >/dev/null
	if dmsetup create bad --table "0 $len remap $*" 2>/dev/null; then
		dmsetup remove bad; fail "accepted: remap $*"
	fi
	dmesg | grep -q "remap: $reason" || { dmesg; fail "no '$reason' for: remap $*"; }
	dmsetup info bad >/dev/null 2>&1 && fail "a refused device was left behind: remap $*"
	n=$((n + 1))
}
fresh_spare $spare
before=$(sums)
small=$(mkloop 512)
for args in "" "$main" "$main $spare 0 x" "$main $spare 0 0"; do
	table_refused "Invalid argument count" $args
done
table_refused "Main device lookup failed" /dev/nonexistent $spare
table_refused "Main device lookup failed" notadevice $spare
table_refused "Main device lookup failed" 999:999 $spare
table_refused "Spare device lookup failed" $main /dev/nonexistent
table_refused "Main and spare are the same device" $main $main
table_refused "Spare device too small" $main "$small"
for count in 1 2 x -1 17 99999999999999999999; do
	table_refused "Invalid number of feature arguments" $main $spare "$count"
done
table_refused "Unknown feature argument" $main $spare 1 frobnicate
table_refused "Unknown feature argument" $main $spare 2 BLOCK_SIZE 4096
for v in 3000 0 256 2097152 -4096 4096x 18446744073709551616; do
	table_refused "Invalid block_size" $main $spare 2 block_size "$v"
done
table_refused "Invalid block_size" $main $spare 1 block_size
table_refused "block_size given twice" $main $spare 4 block_size 4096 block_size 8192
table_refused "block_size is smaller than a device's logical or physical block size" $main $spare 2 block_size 512
for v in 101 -1 x 1e3 18446744073709551617; do
	table_refused "Invalid read_retries" $main $spare 2 read_retries "$v"
done
table_refused "read_retries given twice" $main $spare 4 read_retries 1 read_retries 1
for v in 0 10001 -1 x 18446744073709551617; do
	table_refused "Invalid scrub rate" $main $spare 2 scrub "$v"
done
table_refused "Invalid scrub rate" $main $spare 1 scrub
table_refused "scrub given twice" $main $spare 4 scrub 1 scrub 2
dmesg -c >/dev/null
dmsetup create bad --table "0 $((len + 1)) remap $main $spare" 2>/dev/null && fail "target longer than main accepted"
dmesg | grep -q "remap: Main device is smaller than the target length" || fail "no reason for a too-long target"
n=$((n + 1))
losetup -d "$small"
[ "$(sums)" = "$before" ] || fail "disks changed by refused tables"
tables=$n
say "$tables bad table lines refused with their reasons, disks unchanged"

# Messages: every verb with bad, missing, extra, huge and negative
# arguments; -EINVAL (dmsetup fails) and the reason in the kernel log.
fresh_spare $spare
dmsetup create m --table "0 $len remap $main $spare"
msg_refused() { # reason, message words
	reason=$1; shift
	dmesg -c >/dev/null
	dmsetup message -- m 0 "$@" >/dev/null 2>&1 && fail "message accepted: $*"
	dmesg | grep -qF "message rejected: $reason" || { dmesg; fail "no '$reason' for message: $*"; }
	n=$((n + 1))
}
msg_refused "unknown message" frobnicate
msg_refused "unknown message" REMAP 0
msg_refused "unknown message" remap_all
for a in x -1 -0 1.5 0x10 +1 18446744073709551616 99999999999999999999999; do
	msg_refused "usage: remap <sector> [<count>]" remap $a
done
for c in 1048577 -1 x 18446744073709551616 1e6; do
	msg_refused "remap: count must be 1 to 1048576" remap 0 "$c"
done
msg_refused "usage: remap <sector> [<count>]" remap
msg_refused "usage: remap <sector> [<count>]" remap 0 0
msg_refused "usage: remap <sector> [<count>]" remap 0 1 1
msg_refused "remap: blocks beyond the end of the target" remap $len
msg_refused "remap: blocks beyond the end of the target" remap $((len - 1)) 2
msg_refused "remap: blocks beyond the end of the target" remap 18446744073709551615
msg_refused "remap: blocks beyond the end of the target" remap 0 1048576
for a in "" go START "stop 1" "status x" "start 1 2"; do
	msg_refused "usage: scrub start [<MiB/s>] | stop | status" scrub $a
done
for r in 0 10001 -1 x 18446744073709551616; do
	msg_refused "scrub: the rate is MiB/s from 1 to 10000" scrub start "$r"
done
for verb in list memory commit clear_stats; do
	msg_refused "$verb takes no arguments" $verb x
	msg_refused "$verb takes no arguments" $verb 0 0
done
[ "$(status_field m 1)" = 0 ] || fail "a refused message made remaps: $(dmsetup status m)"
messages=$((n - tables))
say "$messages bad messages refused with their reasons, no remap made"
dmsetup remove m
dmsetup remove dmain
say "damage matrix, arguments: $n cases, all clean"
