# The README's demo: create a remap device, write and read it, show its
# table and status.
. /tests/lib.sh
set -x
dmsetup create demo --table "0 $(sectors /dev/ram0) remap /dev/ram0 /dev/ram1"
echo "hello from dm-remap" | dd of=/dev/mapper/demo bs=4096 conv=sync oflag=direct status=none
dd if=/dev/mapper/demo bs=4096 count=1 iflag=direct status=none | head -c 20; echo
dmsetup table demo
dmsetup status demo
dmsetup remove demo
