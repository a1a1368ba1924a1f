# A suspend does not wait for a disk that fails slowly. Main's blocks
# 64-79 fail every I/O after 5 s (dm-delay over an `error` device), as a
# disk that retries internally does. While the scrub re-reads that chunk
# block by block (and sector by sector), `dmsetup suspend` returns within
# 30 s (the scrub stops at presuspend and reads the chunk again later);
# then while a `remap` of those 16 blocks copies them, a suspend returns
# within 30 s too, and the message says which blocks it left.
. /tests/lib.sh
load
fresh_spare /dev/ram1
n=$(sectors /dev/ram0)
dmsetup create derr --table "0 $n error"
dmsetup create dmain <<EOT
0 512 linear /dev/ram0 0
512 128 delay /dev/mapper/derr 512 5000
640 $((n - 640)) linear /dev/ram0 640
EOT
dmsetup create r --table "0 $n remap /dev/mapper/dmain /dev/ram1 2 scrub 200"
timed_suspend() { # what: suspend r, in less than 30 s
	t0=$(date +%s)
	timeout 60 /usr/bin/dmsetup --noudevsync suspend r || fail "$1: suspend did not return in 60 s"
	took=$(($(date +%s) - t0))
	say "$1: suspend took $took s"
	[ $took -lt 30 ] || fail "$1: suspend took $took s"
}
# Chunk 1's read fails after 5 s; then its blocks are read one by one.
sleep 12
timed_suspend "during the scrub"
[ "$(status_field r 14)" = paused ] || fail "scrub not paused: $(dmsetup status r)"
dmsetup message r 0 scrub stop
dmsetup resume r
[ "$(status_field r 1)" = 0 ] || fail "a suspend cut the scrub, and something was recorded: $(dmsetup status r)"

dmsetup message r 0 remap 512 16 >/tmp/out 2>&1 &
msg=$!
sleep 12
timed_suspend "during a remap of 16 slow blocks"
wait $msg || fail "the remap message failed: $(cat /tmp/out)"
say "remap said: $(cat /tmp/out)"
grep -q "stopped by a suspend: [0-9]* blocks from block [0-9]* not done$" /tmp/out || fail "remap said '$(cat /tmp/out)'"
dmsetup resume r
[ "$(status_field r 6)" = ok ] || fail "metadata: $(dmsetup status r)"
t0=$(date +%s)
dmsetup remove r
say "remove took $(($(date +%s) - t0)) s"
dmsetup remove dmain && dmsetup remove derr
say "suspends during slow failures returned in time"
