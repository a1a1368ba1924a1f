#!/usr/bin/env bash
# The one command that runs every test: from a bare Debian 12 machine it
# installs what is missing, builds (or reuses) the test kernel, builds the
# module, runs the host tests, boots the kernel under QEMU to run the VM
# scenarios and the KUnit suite, and prints TAP ending in `N passed, N failed`.
# Console logs of every boot are kept in out/logs/.
source "$(dirname "$0")/common.sh"
cd "$TOP"
start=$(date +%s)

"$TOP/scripts/install-deps.sh"
KDIR=$("$TOP/scripts/build-kernel.sh")
# A clean build under clippy, which also produces the dm-remap.ko under test.
make -s KDIR="$KDIR" clean >/dev/null 2>&1 || true
clippy_out=$(make KDIR="$KDIR" clippy 2>&1) || { echo "$clippy_out" | tail -40 >&2; die "module build failed"; }
rm -rf out/logs && mkdir -p out/logs

results=$(mktemp)
trap 'rm -f "$results"' EXIT
# run EXPECTED CMD...: the command's TAP lines go to the results (and
# failures to the terminal); a non-zero exit, or fewer than EXPECTED
# results (a log parser that threw, a script that died early), is a
# failure of its own.
run() {
	local expect=$1 out rc=0 n
	shift
	out=$("$@") || rc=$?
	grep -E '^(not )?ok |^#' <<<"$out" | tee -a "$results" | grep -v '^ok ' || true
	n=$(grep -cE '^(not )?ok ' <<<"$out" || true)
	[ "$rc" = 0 ] || echo "not ok - ${1##*/} ${*:2}: exit status $rc" | tee -a "$results"
	[ "$n" -ge "$expect" ] || echo "not ok - ${1##*/} ${*:2}: $n of $expect results reported" | tee -a "$results"
}

# The module: rustfmt and clippy clean.
if rustfmt --edition 2021 --check src/dm_remap.rs >/dev/null 2>&1; then echo "ok - module: rustfmt" >>"$results"
else echo "not ok - module: rustfmt (run rustfmt --edition 2021 src/dm_remap.rs)" | tee -a "$results"; fi
# (objtool's warnings too: code it cannot follow, such as an unknown
# panic path.)
warned='^(warning|error)|: warning: objtool'
if ! grep -qE "$warned" <<<"$clippy_out"; then echo "ok - module: clippy and objtool" >>"$results"
else { echo "not ok - module: clippy and objtool"; grep -E "$warned" -A6 <<<"$clippy_out" | sed 's/^/#   /'; } | tee -a "$results"; fi

# Host: formatting, lints and unit tests of the pure core.
log "host tests"
if cargo fmt --all -- --check >/dev/null 2>&1; then echo "ok - host: cargo fmt" >>"$results"
else echo "not ok - host: cargo fmt (run cargo fmt --all)" | tee -a "$results"; fi
if out=$(cargo clippy -q --all-targets -- -D warnings 2>&1); then echo "ok - host: cargo clippy" >>"$results"
else { echo "not ok - host: cargo clippy"; echo "$out" | sed 's/^/#   /'; } | tee -a "$results"; fi
if out=$(cargo test --workspace 2>&1); then rc=0; else rc=$?; fi
echo "$out" | sed -n 's/^test \(.*\) \.\.\. ok$/ok - host: \1/p; s/^test \(.*\) \.\.\. FAILED$/not ok - host: \1/p' |
	tee -a "$results" | grep -v '^ok ' || true
[ $rc = 0 ] || { echo "not ok - host: cargo test --workspace"; echo "$out" | tail -30 | sed 's/^/#   /'; } | tee -a "$results"
# Every #[test] of the workspace passed: none left out unnoticed.
declared=$(grep -rho '#\[test\]' core tool crash --include=*.rs | wc -l)
passed=$(grep -c '^test .* \.\.\. ok$' <<<"$out" || true)
if [ "$passed" = "$declared" ]; then echo "ok - host: all $declared declared tests passed" >>"$results"
else echo "not ok - host: $passed of $declared declared tests passed" | tee -a "$results"; fi

# Installing as a system component: `make install-tools` into a scratch
# root (files, modes, paths, man pages, completions).
log "make install-tools"
run 19 "$TOP/tests/install.sh"

# Fuzzing, short form: scripts/fuzz.sh with more seconds is the long run.
log "fuzzing, ${DMR_FUZZ_SECONDS:-15} s per target"
if out=$("$TOP/scripts/fuzz.sh" "${DMR_FUZZ_SECONDS:-15}" 2>&1); then
	sed -n 's/^fuzz \([a-z_]*\): \(.*\)/ok - fuzz: \1 (\2)/p' <<<"$out" >>"$results"
	n=$(grep -c '^fuzz [a-z_]*: [1-9][0-9]* executions' <<<"$out" || true)
	[ "$n" = 7 ] || echo "not ok - fuzz: $n of 7 targets ran" | tee -a "$results"
else { echo "not ok - fuzz"; echo "$out" | tail -40 | sed 's/^/#   /'; } | tee -a "$results"; fi

# VM: each line is one boot; its tests run in order inside it.
initrd=out/initramfs.cpio
"$TOP/scripts/mkinitramfs.sh" "$KDIR" dm-remap.ko "$initrd"
boots=(
	"pass-through load_autoload load_insmod table_status linear_equivalence flush_both"
	"stress fio_verify suspend_reload_fio create_remove_cycles remap_live_fio"
	"remapping remap_routing remap_lost metadata_slots read_only spare_full remap_under_fio many_remaps migrate"
	"errors auto_write_errors auto_read_errors pending_retest scrub auto_partial_writes auto_spare_faults commit_corruption spare_claims refresh_retry ignored_errors error_lifecycle"
	"faults nullb_badblocks damage_args damage_metadata damage_log damage_extreme ctr_alloc_failures storm_alloc_failures"
	"outages outage outage_batches flaky_link monitor_report suspend_under_errors commit_fence subblock_faults scrub_subblock suspend_slow_failures resume_no_rollback commit_numbers power_cuts"
)
for b in "${boots[@]}"; do
	set -- $b
	log "VM boot '$1': ${*:2}"
	# (each test, and the boot's three checks)
	run $(($# - 1 + 3)) "$TOP/scripts/vm-run.sh" "$1" "$initrd" "${@:2}"
done
# Reassembly after a real reboot: two boots over the same virtio disks.
DMR_DISKS=$(vm_disks out/disks 64)
export DMR_DISKS
log "VM boots 'reboot-1' and 'reboot-2': persistence across a reboot"
run 4 "$TOP/scripts/vm-run.sh" reboot-1 "$initrd" persist_write
run 4 "$TOP/scripts/vm-run.sh" reboot-2 "$initrd" persist_verify
unset DMR_DISKS
# Assembly from /etc/remaptab across a reboot in which the disks appear in
# the other order, with another disk of main's size.
d=out/assemble-disks
rm -rf $d && mkdir -p $d && truncate -s 64M $d/main.img $d/other.img && truncate -s 16M $d/spare.img &&
	truncate -s 1M $d/notes.img
log "VM boots 'assemble-1' and 'assemble-2': assembly by identity after the disks swap places"
export DMR_DISKS="$d/main.img $d/spare.img $d/notes.img $d/other.img"
run 4 "$TOP/scripts/vm-run.sh" assemble-1 "$initrd" assemble_first
export DMR_DISKS="$d/other.img $d/notes.img $d/spare.img $d/main.img"
run 4 "$TOP/scripts/vm-run.sh" assemble-2 "$initrd" assemble_swapped
unset DMR_DISKS
# The real boot: systemd as PID 1 over a root image of Debian's packages
# (scripts/mkrootfs.sh) with dm-remap installed by `make install-tools`;
# the root disk is an overlay that the scenario's boots share, main and
# the spare are SCSI disks. LVM and ext4 from fstab by UUID on a remap
# device; the second boot has the disks in another order, and everything
# comes up by itself; then main fails under the running system (QEMU's
# blkdebug: medium errors on all of one block, one read of another) and
# the monitor service reports it. In the third boot, whose line and mount
# are then nofail, main is missing: the boot does not wait for it, and
# main plugged in later is assembled and mounted, the relocations kept;
# then the disks are pulled out and plugged in again, main first.
"$TOP/scripts/mkrootfs.sh" "$KDIR" dm-remap.ko out/root.img
d=out/boot-disks
rm -rf $d && mkdir -p $d && truncate -s 64M $d/main.img $d/other.img && truncate -s 16M $d/spare.img
qemu-img create -q -f qcow2 -b "$TOP/out/root.img" -F raw $d/root.qcow2
# Main's failures from the second boot on: every sector of LV "pattern"'s
# block 512 (main's sectors 88064 to 88071) fails reads, its block 520
# fails one (tests/boot/main_fails.sh).
for s in $(seq 88064 88071) 88128; do
	once=off
	[ "$s" != 88128 ] || once=on
	printf '[inject-error]\nevent = "read_aio"\niotype = "read"\nerrno = "61"\nsector = "%s"\nonce = "%s"\n\n' $s $once
done >$d/main.blkdebug
export DMR_ROOT=$d/root.qcow2
log "VM boots 'systemd-1' and 'systemd-2': systemd, udev, LVM and fstab over a remap device; main fails"
DMR_DISKS="scsi:$d/main.img scsi:$d/spare.img $d/other.img" run 4 "$TOP/scripts/vm-run.sh" systemd-1 - lvm_setup
export DMR_BLKDEBUG=main=$d/main.blkdebug
DMR_DISKS="$d/other.img scsi:$d/spare.img scsi:$d/main.img" run 5 "$TOP/scripts/vm-run.sh" systemd-2 - lvm_reboot main_fails
log "VM boot 'systemd-3': the nofail line's main is missing, then plugged in"
DMR_DISKS="$d/other.img scsi:$d/spare.img hot:$d/main.img" run 4 "$TOP/scripts/vm-run.sh" systemd-3 - lvm_hotplug
unset DMR_BLKDEBUG
# Root on a remap device: in a fresh overlay, the first boot copies the
# root onto a pair and makes Debian's initramfs with dm-remap's hook,
# writing it to the disk "initrd"; the second boots that initramfs with
# root=/dev/mapper/root, the disks in the other order.
d=out/root-disks
rm -rf $d && mkdir -p $d && truncate -s 1G $d/rmain.img && truncate -s 32M $d/rspare.img $d/initrd.img
qemu-img create -q -f qcow2 -b "$TOP/out/root.img" -F raw $d/root.qcow2
log "VM boots 'root-1' and 'root-2': root on a remap device through the initramfs-tools hook"
DMR_ROOT=$d/root.qcow2 DMR_DISKS="scsi:$d/rmain.img scsi:$d/rspare.img $d/initrd.img" DMR_TEST_TIMEOUT=900 \
	run 4 "$TOP/scripts/vm-run.sh" root-1 - root_setup
size=$(head -c 512 $d/initrd.img | tr -dc 0-9)
dd if=$d/initrd.img of=$d/initrd bs=512 skip=1 status=none && truncate -s "${size:-0}" $d/initrd
unset DMR_ROOT
DMR_ROOT_DEV=/dev/mapper/root DMR_DISKS="scsi:$d/rspare.img scsi:$d/rmain.img" \
	run 4 "$TOP/scripts/vm-run.sh" root-2 $d/initrd root_check
# The README's demo command itself, in a clean copy of this tree (tracked
# and new files, no build output), so a step the demo leaves out fails here.
log "the README's demo command, scripts/demo.sh, in a clean copy of the tree"
clean=out/clean-tree
rm -rf "$clean" && mkdir -p "$clean"
git ls-files -z -co --exclude-standard | rsync -a --from0 --ignore-missing-args --files-from=- . "$clean"
if (cd "$clean" && scripts/demo.sh) >out/demo.out 2>&1; then
	echo "ok - demo: scripts/demo.sh in a clean tree ($(cat "$clean"/out/demo*.tap | grep -c '^ok ') boot checks)" >>"$results"
else { echo "not ok - demo: scripts/demo.sh in a clean tree"; tail -30 out/demo.out | sed 's/^/#   /'; } | tee -a "$results"; fi
cp "$clean"/out/logs/demo*.log out/logs/ 2>/dev/null || true
# Power cuts at every write boundary of a recorded workload
# (`scripts/crash-points.sh` with its defaults is the long run).
log "VM crash points: 50 writes recorded, every flush and FUA write and 200 random points replayed"
run 5 "$TOP/scripts/crash-points.sh" 50 200
# Power cuts at random moments (`scripts/vm-kill.sh 50` is the long run).
log "VM power cuts: ${DMR_KILLS:-3} kills of a VM at work"
run "${DMR_KILLS:-3}" "$TOP/scripts/vm-kill.sh" "${DMR_KILLS:-3}"
# Every case the suite declares, in every boot's run of it.
run 1 python3 "$TOP/scripts/vm_log.py" kunit src/remap/kunit_tests.rs out/logs/*.log

n=0
while IFS= read -r line; do
	case "$line" in
	"ok - "* | "not ok - "*) n=$((n + 1)); echo "${line%% - *} $n - ${line#* - }" ;;
	*) echo "$line" ;;
	esac
done <"$results" >out/results.tap
{ echo "TAP version 13"; echo "1..$n"; cat out/results.tap; } >out/results.tap.new && mv out/results.tap.new out/results.tap
cat out/results.tap
skipped=$(grep -c '^ok .*# SKIP' out/results.tap || true)
pass=$(($(grep -c '^ok ' out/results.tap || true) - skipped))
failed=$(grep -c '^not ok ' out/results.tap || true)
log "took $(($(date +%s) - start)) s; TAP in out/results.tap, console logs in out/logs/"
echo "$pass passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$pass" -gt 0 ]
