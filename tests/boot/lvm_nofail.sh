# Third boot of the LVM scenario: main is missing, and the remaptab line
# and the fstab mount are nofail (lvm_reboot made them so) with a 10 min
# device timeout. The boot reaches multi-user.target without waiting for
# main (within the boot's limit, far below the timeout), with no failed
# unit; the generator's unit still waits for main, and nothing was
# assembled or mounted.
. /tests/lib.sh
boot_ok 300
[ -e /dev/disk/by-id/virtio-main ] && fail "main is attached"
[ -e /dev/disk/by-id/virtio-spare ] || fail "no spare"
grep -q '^data .* nofail,x-systemd.device-timeout=10min$' /etc/remaptab || fail "remaptab: $(cat /etc/remaptab)"
jobs=$(systemctl list-jobs --no-legend --plain)
echo "$jobs" | grep -q '^[0-9]* *dm-remap-data.service *start *waiting' || fail "the unit does not wait for main: $jobs"
[ -e /dev/mapper/data ] && fail "the device exists without main"
mountpoint -q /mnt/data && fail "/mnt/data is mounted"
say "without main: multi-user.target reached, dm-remap-data.service waits for main"
