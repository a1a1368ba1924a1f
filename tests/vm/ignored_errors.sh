# An error that is not a media error passes up unchanged and uses no
# spare: a WRITE ZEROES that main (a loop device over tmpfs, which cannot
# zero a range) fails with BLK_STS_NOTSUPP is counted in ignored_errors,
# and nothing is remapped.
. /tests/lib.sh
load
main=$(mkloop 8192)
spare=$(mkloop 8192)
dmsetup create r --table "0 16384 remap $main $spare"
# The kernel falls back to writing zeroes itself after the NOTSUPP.
blkdiscard -z -o 0 -l 65536 /dev/mapper/r || fail "zeroout failed"
s=$(dmsetup status r)
say "status: $s"
[ "$(status_field r 11)" -ge 1 ] || fail "the NOTSUPP error was not counted as ignored: $s"
[ "$(status_field r 1)" = 0 ] || fail "a non-media error remapped blocks: $s"
dd if=/dev/mapper/r bs=4096 count=16 iflag=direct status=none | cmp -s -n 65536 - /dev/zero ||
	fail "the range does not read back as zeroes"
dmsetup remove r
say "non-media errors ignored"
