# fio random writes with crc32c verification over remap, at a non-zero
# table offset, with several jobs in flight.
. /tests/lib.sh
load
printf '0 8192 linear /dev/ram2 0\n8192 65536 remap /dev/ram0 /dev/ram1\n' | dmsetup create r
fio --name=verify --filename=/dev/mapper/r --offset=4M --size=32M --rw=randwrite --bs=4k \
	--ioengine=libaio --iodepth=16 --direct=1 --verify=crc32c --verify_fatal=1 \
	--numjobs=1 --output-format=terse --minimal >/tmp/fio.out || { cat /tmp/fio.out; fail "fio failed"; }
dmsetup remove r
say "fio verify ok"
