. /tests/lib.sh
echo "DMR-ATTACH hot"
sleep 5; udevadm settle
ls -l /dev/disk/by-id/
udevadm info /dev/sdb
ls -d /dev/disk/by-id/virtio-hot /dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_hot
echo "by_serial: $(by_serial hot)"
dd if=$(by_serial main) of=/dev/null bs=4k skip=10500 count=1 iflag=direct; echo rc=$?
dd if=$(by_serial main) of=/dev/null bs=4k skip=10500 count=1 iflag=direct; echo rc=$?
dd if=$(by_serial main) of=/dev/null bs=4k skip=10504 count=1 iflag=direct; echo rc=$?
dd if=$(by_serial main) of=/dev/null bs=4k skip=10504 count=1 iflag=direct; echo rc=$?
unplug hot
ls -l /dev/disk/by-id/
plug hot
ls -l /dev/disk/by-id/
