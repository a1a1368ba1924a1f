# The README's demo, first boot: a filesystem on a remap device whose main
# disk starts failing. Writes keep succeeding while failing blocks move to
# the spare; status and events show it. The VM then reboots (demo_reboot).
. /tests/lib.sh
# ext2 starts a new file at an offset chosen by the writing process's pid
# (pid % 16 sixteenths of a block group): the next process gets a pid of 0
# modulo 16, so the files land at the start of the disk, before the blocks
# that go bad (the VM is quiet: pids are handed out in order).
colour0() {
	until sh -c 'echo $$ >/tmp/pid' && read -r pid </tmp/pid && [ $((pid % 16)) = 15 ]; do :; done
}
disk=$(sectors /dev/vda)
show dmsetup create disk --table "0 $disk linear /dev/vda 0"
show dmsetup create safe --table "0 $disk remap /dev/mapper/disk /dev/vdb"
show mke2fs -q -b 4096 /dev/mapper/safe
mkdir -p /mnt
show mount -t ext2 /dev/mapper/safe /mnt
colour0
show dd if=/dev/urandom of=/mnt/before bs=1M count=4 status=none
show sync
show dmsetup status safe
say "--- the disk grows 300 bad blocks (every 20th from 16 MiB): I/O to them fails ---"
dmsetup suspend disk
bad_table /dev/vda 4096 20 300 | dmsetup reload disk
dmsetup resume disk
show dmsetup info -c -o name,events safe
colour0
show dd if=/dev/urandom of=/mnt/after bs=1M count=40 conv=fsync status=none
show sha256sum /mnt/before /mnt/after | tee /tmp/sums
show dmsetup status safe
say "(fields: remaps, spare used/total, pending, read and write errors, state,"
say " relocations on write errors, read errors, recovered reads, messages, ignored errors, health,"
say " devices: A alive or D down, main then spare; the scrub; relocations over the pair's life)"
show dmsetup info -c -o name,events safe
show dmsetup message safe 0 list | head -3
show umount /mnt
dd if=/tmp/sums of=/dev/vdc bs=512 conv=sync oflag=direct status=none
# What the README shows: all 300 bad blocks moved, on write errors, and
# one event (the spare passing 50 %).
[ "$(status_field safe 1) $(status_field safe 2) $(status_field safe 7)" = "300 300/504 300" ] ||
	fail "300 blocks relocated on write errors expected: $(dmsetup status safe)"
[ "$(events safe)" = 1 ] || fail "one event (50 % spare usage) expected, not $(events safe)"
say "--- rebooting ---"
