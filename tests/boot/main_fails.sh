# Main fails under the running system (QEMU's blkdebug, test-all.sh): all
# of LV "pattern"'s block 512 fails to read (a medium error), and its
# block 520 fails one read. The first read of either may be the test's or
# a probe's at the boot (blkid's, through the page cache). The monitor
# service that lvm_setup enabled runs since the boot. A read of block 520
# returns its data (it moved on a retry, with its data); a read of block
# 512 fails: it is pending, which the monitor mailed, logged to the
# journal and gave to the program (as BlocksPending, or as DegradedDevice
# if it was pending before the monitor first saw the device). The admin
# writes the LV back from its backup, which moves block 512 too; the LV
# then reads whole. The next boot (lvm_hotplug) checks that the
# relocations survive.
. /tests/lib.sh
systemctl is-active -q dm-remap-monitor.service || fail "the monitor is not running"
block() { dd if=/dev/vgdata/pattern bs=4096 skip=$1 count=1 iflag=direct status=none; }
[ "$(block 520 | md5sum)" = "$(dd if=/root/pattern bs=4096 skip=520 count=1 status=none | md5sum)" ] ||
	fail "block 520 did not read its data"
block 512 >/dev/null 2>&1 && fail "a read of block 512, which main cannot read, succeeded"
[ "$(dmsetup status data | awk '{print $4, $6}')" = "66 1" ] ||
	fail "block 520 moved and block 512 pending expected: $(dmsetup status data)"
bad="(BlocksPending|DegradedDevice)"
for _ in $(seq 60); do
	grep -qE "^$bad data " /root/events 2>/dev/null && grep -qE "^Subject: dm-remap $bad on data " /root/mail && break
	sleep 1
done
grep -qE "^Subject: dm-remap $bad on data \(dmr-test\)$" /root/mail ||
	fail "no mail: $(cat /root/mail 2>&1) $(journalctl -u dm-remap-monitor --no-pager | tail -20)"
grep -q "^To: root@localhost$" /root/mail || fail "mail: $(cat /root/mail)"
grep -qE "^$bad data .*pending" /root/events || fail "the program's events: $(cat /root/events)"
# In the journal once, as a warning (stdout is the journal's stream: no
# syslog copy).
n=$(journalctl -u dm-remap-monitor --no-pager | grep -cE "data: $bad: .*pending")
w=$(journalctl -u dm-remap-monitor -p warning --no-pager | grep -cE "data: $bad: .*pending")
[ "$n $w" = "1 1" ] || fail "$n entries, $w warnings in the journal: $(journalctl -u dm-remap-monitor --no-pager | tail -20)"
# The admin restores the LV from backup: block 512 moves with the new data.
dd if=/root/pattern of=/dev/vgdata/pattern bs=64k oflag=direct status=none || fail "restoring the LV"
cmp /root/pattern /dev/vgdata/pattern || fail "the LV does not read back whole"
set -- $(dmsetup status data)
[ "$4 $6" = "66 0" ] || fail "2 more remaps and none lost expected: $*"
list=$(dmsetup message data 0 list)
for b in 11008 11016; do echo "$list" | grep -q "^$b [0-9]* ok$" || fail "block $b not in the list: $list"; done
echo "$list" | md5sum >/root/list.md5
say "main failed two blocks: one moved with its data, one pending (mailed, journal, program) until rewritten"
