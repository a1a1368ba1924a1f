# The benchmark (not a test; scripts/bench.sh runs it on the benchmark
# kernel under QEMU's instruction counting and reads its output). fio runs
# (64 MiB from the case's offset), interleaved and repeated, on:
#   raw        null_blk (memory_backed=0, irqmode=0, completion_nsec=0)
#   linear     dm-linear over it
#   remap0     remap over it, no remaps
#   remap100k  remap over it with 100,000 remaps, one block in each
#              summary region (4 MiB) of fio's area among them: every I/O
#              looks its block up in the table
#   remap1m    the same with 1,000,000 remaps
#   hit        the remap100k device where every I/O hits a remapped block
#   spare      dm-linear over the spare blocks `hit` reaches: the baseline
#              of `hit`, whose I/O goes through the spare's own dm-linear
#   linear-timer, remap0-timer
#              dm-linear and remap (no remaps) over a null_blk that
#              completes from a timer 20 us later (irqmode=2), where queue
#              depth matters
# Spares are dm-linear concatenations: the metadata area on a ram disk
# (it is read back), the data area on null_blk (no data copy, like main).
# Then (the extras): the scrub's throughput and its cost to user reads; a
# 4 KiB read's latency while 4 GiB discards route through a device with
# 100,000 remaps (memory-backed null_blk: discard needs it).
# Prints fio's JSON between BENCH-FIO and BENCH-END lines; BENCH-KMEM, the
# kernel memory (slab and vmalloc) that 1,000,000 remaps took; BENCH-MEM,
# the table's own count. A fio run that fails fails the benchmark.
. /tests/lib.sh
load
RUNTIME=$(arg dmr.bench_runtime)
REPS=$(arg dmr.bench_reps)
JOBS=$(arg dmr.bench_jobs | tr , ' ')
CASES=$(arg dmr.bench_cases | tr , ' ')
EXTRAS=$(arg dmr.bench_extras)
RUNTIME=${RUNTIME:-2} REPS=${REPS:-3}
configfs
# null_blk disk $1 of $2 MiB; $3: memory backed (with discard); $4 and $5:
# irqmode and completion_nsec (default 0: completion inline).
mknull() {
	d=/sys/kernel/config/nullb/$1
	mkdir "$d"
	echo "$2" >"$d/size"
	echo "${4:-0}" >"$d/irqmode"
	echo "${5:-0}" >"$d/completion_nsec"
	echo 2 >"$d/submit_queues"
	echo "$3" >"$d/memory_backed"
	echo "$3" >"$d/discard"
	echo 1 >"$d/power"
}
# Spare $1: 64 MiB of ram disk $2 for metadata, then null_blk $3 ($4 MiB).
mkspare() {
	mknull "$3" "$4" 0
	wipe "$2" 64
	dmsetup create "$1" --table "0 131072 linear $2 0
131072 $(($4 * 2048 - 131072)) linear /dev/$3 131072"
}
GiB=2097152 # sectors
# Each remap device claims its main: one null_blk each, all alike.
for n in fast fast0 fast1 fast2; do mknull $n 16384 0; done
for n in slow slow0; do mknull $n 1024 0 2 20000; done
mkspare spare0 /dev/ram0 sp0 1024
mkspare spare1 /dev/ram1 sp1 2048
mkspare spare2 /dev/ram2 sp2 5120
mkspare spare3 /dev/ram3 sp3 256
dmsetup create linear --table "0 $(sectors /dev/fast) linear /dev/fast 0"
dmsetup create remap0 --table "0 $(sectors /dev/fast0) remap /dev/fast0 /dev/mapper/spare0"
dmsetup create remap1 --table "0 $(sectors /dev/fast1) remap /dev/fast1 /dev/mapper/spare1"
dmsetup create remap2 --table "0 $(sectors /dev/fast2) remap /dev/fast2 /dev/mapper/spare2"
dmsetup create tlinear --table "0 $(sectors /dev/slow) linear /dev/slow 0"
dmsetup create tremap0 --table "0 $(sectors /dev/slow0) remap /dev/slow0 /dev/mapper/spare3"
# One remap in each 4 MiB summary region of fio's 64 MiB of device $1.
mark_fio_area() {
	r=0
	while [ $r -lt 16 ]; do
		dmsetup message "$1" 0 remap $((r * 8192 + 4096)) >/dev/null
		r=$((r + 1))
	done
}
# 100,000 remaps from 8 GiB; the 64 MiB `hit` region at 1 GiB, whose spare
# blocks lie in the null_blk part; fio's area marked.
dmsetup message remap1 0 remap $((8 * GiB)) 100000 >/dev/null
dmsetup message remap1 0 remap $GiB 16384 >/dev/null
mark_fio_area remap1
# Spare blocks are handed out in order: the hit region's are 100,000 on.
case "$(status_field remap1 2)" in 116400/*) ;; *) fail "remap1: $(dmsetup status remap1)" ;; esac
# 1,000,000 remaps from 8 GiB (when remap1m runs, or the extras), with the
# kernel memory they take: slab and vmalloc (where a large table lives)
# before and after.
cases=${CASES:-raw linear remap0 remap100k remap1m hit spare linear-timer remap0-timer}
big=$EXTRAS
case " $cases " in *" remap1m "*) big=1 ;; esac
if [ "$big" != 0 ]; then
	kmem() { awk '/^(Slab|VmallocUsed):/ { s += $2 } END { print s * 1024 }' /proc/meminfo; }
	before=$(kmem)
	dmsetup message remap2 0 remap $((8 * GiB)) 1000000 >/dev/null
	# (A `remap` message is answered before its batch frees the records it
	# committed, 16 bytes each; the worker runs the next batch only after.)
	dmsetup message remap2 0 commit >/dev/null
	echo "BENCH-KMEM 1000000 $(($(kmem) - before))"
	echo "BENCH-MEM $(dmsetup message remap2 0 memory)"
	mark_fio_area remap2
	[ "$(status_field remap2 1)" = 1000016 ] || fail "remap2: $(dmsetup status remap2)"
fi
data=$(tool dump /dev/mapper/spare1 | awk '/^spare:/ {print $NF}')
[ -n "$data" ] || fail "no data_start in the spare's metadata"
dmsetup create spare --table "0 131072 linear /dev/mapper/spare1 $((data + 100000 * 8))"

# Device and offset of each case; fio uses 64 MiB from there.
where() {
	case $1 in
	raw) echo /dev/fast 0 ;;
	linear) echo /dev/mapper/linear 0 ;;
	remap0) echo /dev/mapper/remap0 0 ;;
	remap100k) echo /dev/mapper/remap1 0 ;;
	remap1m) echo /dev/mapper/remap2 0 ;;
	linear-timer) echo /dev/mapper/tlinear 0 ;;
	remap0-timer) echo /dev/mapper/tremap0 0 ;;
	hit) echo /dev/mapper/remap1 $((GiB * 512)) ;;
	spare) echo /dev/mapper/spare 0 ;;
	esac
}
# fio job $1 on case $2, repetition $3.
run() {
	set -- "$1" "$2" "$3" $(where "$2")
	case $1 in
	randread-qd1) a="--rw=randread --bs=4k --iodepth=1 --numjobs=2" ;;
	randread-qd32) a="--rw=randread --bs=4k --iodepth=32 --numjobs=2" ;;
	randwrite-qd1) a="--rw=randwrite --bs=4k --iodepth=1 --numjobs=2" ;;
	randwrite-qd32) a="--rw=randwrite --bs=4k --iodepth=32 --numjobs=2" ;;
	seqwrite-1m) a="--rw=write --bs=1M --iodepth=8 --numjobs=1" ;;
	esac
	echo "BENCH-FIO $2 $1 $3"
	# shellcheck disable=SC2086
	# (No buffer scrambling: fio would spend time in proportion to the
	# block size writing the buffer, not in the I/O stack.)
	fio --name=bench --filename="$4" --offset="$5" --size=64M $a --ioengine=libaio --direct=1 --scramble_buffers=0 \
		--time_based --runtime="$RUNTIME" --ramp_time=200ms --group_reporting --output-format=json >/tmp/fio.json ||
		{ cat /tmp/fio.json; fail "fio failed: $1 on $2"; }
	tr -d '\n' </tmp/fio.json
	echo
	echo "BENCH-END"
}
jobs=${JOBS:-randread-qd1 randread-qd32 randwrite-qd1 randwrite-qd32 seqwrite-1m}
rep=1
while [ $rep -le "$REPS" ]; do
	for j in $jobs; do
		for c in $cases; do run "$j" "$c" $rep; done
		# The next job starts with the next case: no case always runs first.
		cases="${cases#* } ${cases%% *}"
	done
	rep=$((rep + 1))
done
for c in linear remap0 remap1 remap2 spare tlinear tremap0; do dmsetup remove $c; done
[ "$EXTRAS" = 0 ] && exit 0

# The scrub over main fast0 (16 GiB): its throughput on an idle device
# (BENCH-SCRUB <chunk> <chunk later> <chunks> <seconds>, 256 KiB chunks)
# against a plain sequential read of main in the scrub's reads (256 KiB,
# one at a time); 4 KiB random reads while it runs at its default rate
# against without.
dmsetup create scrubbed --table "0 $(sectors /dev/fast0) remap /dev/fast0 /dev/mapper/spare0"
fiojob() { # case, job, device, fio arguments
	echo "BENCH-FIO $1 $2 1"
	c=$3
	shift 3
	# shellcheck disable=SC2068
	fio --name=bench --filename="$c" --size=64M $@ --ioengine=libaio --direct=1 --scramble_buffers=0 \
		--time_based --runtime="$RUNTIME" --ramp_time=200ms --output-format=json >/tmp/fio.json ||
		{ cat /tmp/fio.json; fail "fio failed: $2 on $1"; }
	tr -d '\n' </tmp/fio.json
	echo
	echo "BENCH-END"
}
fiojob main seqread-256k /dev/fast0 --rw=read --bs=256k --iodepth=1
dmsetup message scrubbed 0 scrub start 10000 >/dev/null
sleep 0.5
p0=$(status_field scrubbed 15) t0=$(cut -d' ' -f1 /proc/uptime)
sleep "$RUNTIME"
p1=$(status_field scrubbed 15) t1=$(cut -d' ' -f1 /proc/uptime)
echo "BENCH-SCRUB ${p0%/*} ${p1%/*} ${p1#*/} $(echo "$t0 $t1" | awk '{print $2 - $1}')"
dmsetup message scrubbed 0 scrub stop
fiojob scrub-off randread-qd1 /dev/mapper/scrubbed --rw=randread --bs=4k --iodepth=1 --numjobs=2 --group_reporting
dmsetup message scrubbed 0 scrub start >/dev/null
fiojob scrub-on randread-qd1 /dev/mapper/scrubbed --rw=randread --bs=4k --iodepth=1 --numjobs=2 --group_reporting
[ "$(status_field scrubbed 14)" = running ] || fail "the scrub stopped: $(dmsetup status scrubbed)"
dmsetup message scrubbed 0 scrub stop
dmsetup remove scrubbed

# A 4 KiB read's latency, alone and while 4 GiB discards route through a
# device with 100,000 remaps (100 runs of 1,000 blocks, one every 8,000).
mknull dmain 16384 1
mknull dspare 1024 1
dmsetup create remd --table "0 $(sectors /dev/dmain) remap /dev/dmain /dev/dspare"
i=0
while [ $i -lt 100 ]; do
	dmsetup message remd 0 remap $((i * 64000)) 1000 >/dev/null
	i=$((i + 1))
done
[ "$(status_field remd 1)" = 100000 ] || fail "remd: $(dmsetup status remd)"
lat() {
	echo "BENCH-FIO $1 randread-lat 1"
	fio --name=lat --filename=/dev/mapper/remd --offset=$((10 * GiB * 512)) --size=64M --rw=randread --bs=4k \
		--iodepth=1 --ioengine=libaio --direct=1 --time_based --runtime="$RUNTIME" --output-format=json >/tmp/fio.json ||
		{ cat /tmp/fio.json; fail "fio failed: latency $1"; }
	tr -d '\n' </tmp/fio.json
	echo
	echo "BENCH-END"
}
lat idle
rm -f /tmp/stop
(while [ ! -e /tmp/stop ]; do blkdiscard -o 0 -l 4G /dev/mapper/remd; done) &
pid=$!
lat discard
touch /tmp/stop
wait $pid
dmsetup remove remd
dmsetup remove_all
