# A table loaded while the live table of the same pair keeps committing
# re-reads the metadata when it resumes. If that re-read fails (here: a
# damaged log block), the resume fails and changes nothing, so a retried
# resume, once the damage is gone, picks up every remap.
. /tests/lib.sh
load
fresh_spare /dev/ram1
T="0 65536 remap /dev/ram0 /dev/ram1"
dmsetup create r --table "$T"
dmsetup message r 0 remap 0 300 >/dev/null      # commit 3: log block 0 + tail
dmsetup reload r --table "$T"                   # loads commit 3, inactive
dmsetup message r 0 remap 8000 300 >/dev/null   # live table: commit 4, log block 1
flip /dev/ram1 $((3 * 4096 + 200))              # log block 1 (metadata block 3)
dmsetup resume r 2>/dev/null && fail "resume with a damaged log block succeeded"
flip /dev/ram1 $((3 * 4096 + 200))
dmsetup resume r || fail "retried resume failed"
[ "$(status_field r 1)" = 600 ] || fail "stale remap table after a retried resume: $(dmsetup status r)"
dmsetup remove r
fresh_spare /dev/ram1
say "a failed refresh changed nothing; the retry picked up every remap"
