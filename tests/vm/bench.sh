# Benchmark (not a test): fio 4 KiB random reads and writes on dm-linear and
# on remap over the same ram disk, in the same boot; prints IOPS and the
# ratio remap/linear with no remaps and with 4096 remaps.
. /tests/lib.sh
load
fresh_spare /dev/ram1
LEN=131072
iops() { # device, rw
	fio --name=b --filename="$1" --rw="$2" --bs=4k --ioengine=libaio --iodepth=16 --direct=1 \
		--size=32M --runtime=${BENCH_SECONDS:-10} --time_based --numjobs=1 --output-format=terse \
		--terse-version=3 | awk -F';' -v rw="$2" '{print (rw == "randread") ? $8 : $49}'
}
dmsetup create lin --table "0 $LEN linear /dev/ram0 0"
dmsetup create rem --table "0 $LEN remap /dev/ram0 /dev/ram1"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b > 0) ? a / b : 0}'; }
for rw in randread randwrite; do
	l=$(iops /dev/mapper/lin $rw) r=$(iops /dev/mapper/rem $rw)
	echo "BENCH $rw linear=$l remap(no remaps)=$r ratio=$(ratio "$r" "$l")"
done
dmsetup suspend rem
dmsetup message rem 0 remap 0 4096 >/dev/null   # half the blocks fio touches
dmsetup resume rem
for rw in randread randwrite; do
	l=$(iops /dev/mapper/lin $rw) r=$(iops /dev/mapper/rem $rw)
	echo "BENCH $rw linear=$l remap(4096 remaps)=$r ratio=$(ratio "$r" "$l")"
done
dmsetup remove rem
dmsetup remove lin
fresh_spare /dev/ram1
