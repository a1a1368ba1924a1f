# Suspend, resume and table reloads while fio writes and verifies: no I/O
# error, and the data verifies.
. /tests/lib.sh
load
fresh_spare /dev/ram1
t="0 65536 remap /dev/ram0 /dev/ram1"
dmsetup create r --table "$t"
rounds_under_fio "$t" true
dmsetup remove r
say "$rounds suspend/resume/reload rounds under fio ok"
