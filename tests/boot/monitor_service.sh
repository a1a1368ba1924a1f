# The monitor as a service under systemd (dm-remap-monitor.service as
# `make install-tools` installs it), with DM_REMAP_MAIL in
# /etc/default/dm-remap-monitor and a sendmail stub that keeps each mail.
# A second pair is made over the other disk (behind a dm-linear that then
# fails a block) and a loop device: a read of the failing block makes it
# pending, and the monitor service mails it and logs it to the journal.
. /tests/lib.sh
printf '#!/bin/sh\n{ cat; echo "--- $*"; } >>/root/mail\n' >/usr/sbin/sendmail
chmod +x /usr/sbin/sendmail
echo "DM_REMAP_MAIL=root@localhost" >/etc/default/dm-remap-monitor
systemctl start dm-remap-monitor.service || fail "the monitor did not start"
other=$(by_serial other)
n=$(blockdev --getsz "$other")
dmsetup create m2 --table "0 $n linear $other 0" || fail "dm-linear over the other disk"
truncate -s 16M /root/spare2.img
loop=$(losetup -f --show /root/spare2.img)
dm-remap-tool format "$loop" --main /dev/mapper/m2 >/dev/null || fail "format of the second spare"
dmsetup create r2 --table "0 $n remap /dev/mapper/m2 $loop" || fail "the second pair"
printf '0 80 linear %s 0\n80 8 error\n88 %s linear %s 88\n' "$other" $((n - 88)) "$other" | dmsetup load m2
dmsetup suspend m2 && dmsetup resume m2
dd if=/dev/mapper/r2 of=/dev/null bs=4096 skip=10 count=1 iflag=direct status=none 2>/dev/null &&
	fail "a read of a failing block succeeded"
for _ in $(seq 60); do
	grep -q "^Subject: dm-remap BlocksPending on r2 " /root/mail 2>/dev/null && break
	sleep 1
done
grep -q "^Subject: dm-remap BlocksPending on r2 (dmr-test)$" /root/mail ||
	fail "no mail: $(cat /root/mail 2>&1) $(journalctl -u dm-remap-monitor --no-pager | tail -20)"
grep -q "^To: root@localhost$" /root/mail || fail "mail: $(cat /root/mail)"
# In the journal once, as a warning (stdout is the journal's stream: no
# syslog copy).
n=$(journalctl -u dm-remap-monitor --no-pager | grep -c "r2: BlocksPending: 1 blocks pending")
w=$(journalctl -u dm-remap-monitor -p warning --no-pager | grep -c "r2: BlocksPending: 1 blocks pending")
[ "$n $w" = "1 1" ] || fail "$n entries, $w warnings in the journal: $(journalctl -u dm-remap-monitor --no-pager | tail -20)"
systemctl stop dm-remap-monitor.service
dmsetup remove r2 && dmsetup remove m2 && losetup -d "$loop"
say "the monitor service mailed and logged the second pair's pending block"
