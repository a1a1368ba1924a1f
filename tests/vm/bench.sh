# Benchmark (not a test): fio 4 KiB random reads and writes on dm-linear and
# on remap over the same ram disk, in the same boot; prints the median IOPS
# of three runs each (in alternating order, so drift hits both alike) and
# the ratio remap/linear, with no remaps and with 4096 remaps.
. /tests/lib.sh
load
fresh_spare /dev/ram1
LEN=131072
iops() { # device, rw
	fio --name=b --filename="$1" --rw="$2" --bs=4k --ioengine=libaio --iodepth=16 --direct=1 \
		--size=32M --runtime=${BENCH_SECONDS:-5} --time_based --numjobs=1 --output-format=terse \
		--terse-version=3 | awk -F';' -v rw="$2" '{print (rw == "randread") ? $8 : $49}'
}
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b > 0) ? a / b : 0}'; }
# Prints one BENCH line for each of randread and randwrite; $1 names the case.
compare() {
	for rw in randread randwrite; do
		l1=$(iops /dev/mapper/lin $rw) r1=$(iops /dev/mapper/rem $rw)
		r2=$(iops /dev/mapper/rem $rw) l2=$(iops /dev/mapper/lin $rw)
		l3=$(iops /dev/mapper/lin $rw) r3=$(iops /dev/mapper/rem $rw)
		l=$(median $l1 $l2 $l3) r=$(median $r1 $r2 $r3)
		echo "BENCH $rw linear=$l remap($1)=$r ratio=$(ratio "$r" "$l")"
	done
}
dmsetup create lin --table "0 $LEN linear /dev/ram0 0"
dmsetup create rem --table "0 $LEN remap /dev/ram0 /dev/ram1"
compare "no remaps"
dmsetup message rem 0 remap 0 4096 >/dev/null   # half the blocks fio touches
compare "4096 remaps"
dmsetup remove rem
dmsetup remove lin
fresh_spare /dev/ram1
