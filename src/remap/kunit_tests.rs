//! KUnit cases run inside the kernel when the module loads: the core's
//! parsing, geometry and output code as compiled for the kernel (overflow
//! checks on, no std), which the host tests cover as a userspace build.

use super::inflight::WriteTracker;
use super::remaps::Remaps;
use crate::dm::{sleep_ms, NoIo, SrcuIdx};
use crate::kunit::{check, kunit_suite, Test};
use crate::remap_core::alloc::Allocator;
use crate::remap_core::args::{parse_u64, ArgError, ArgSet};
use crate::remap_core::emit::Emitter;
use crate::remap_core::format::{self, BlockState, Geometry, Record, Superblock, MBLOCK};
use crate::remap_core::remaps::{slots_for, RemapTable, EMPTY};
use crate::remap_core::route::{route, Dest, Layout};
use crate::remap_core::status::{self, Status};
use crate::remap_core::{crc32c, geometry, table};
use core::ffi::CStr;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::alloc::KVVec;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::workqueue;

fn parse<'a>(args: &'a [&'a CStr]) -> Result<table::TableArgs<'a>, &'static [u8]> {
    table::parse(ArgSet::new(args)).map_err(|e: ArgError| e.0.to_bytes())
}

fn table_line_good(t: &Test) {
    let line = parse(&[c"/dev/a", c"/dev/b"]);
    check!(t, line.map(|l| (l.main.to_bytes(), l.spare.to_bytes())) == Ok((b"/dev/a", b"/dev/b")));
    check!(t, parse(&[c"/dev/a", c"/dev/b", c"0"]).is_ok());
}

fn table_line_bad(t: &Test) {
    check!(t, parse(&[c"/dev/a"]).unwrap_err().starts_with(b"Invalid argument count"));
    check!(t, parse(&[c"a", c"b", c"0", c"x"]).unwrap_err().starts_with(b"Invalid argument count"));
    check!(t, parse(&[c"a", c"b", c"1"]) == Err(b"Invalid number of feature arguments"));
    check!(t, parse(&[c"a", c"b", c"-1"]) == Err(b"Invalid number of feature arguments"));
    check!(t, parse(&[c"a", c"b", c"99999999999999999999"]) == Err(b"Invalid number of feature arguments"));
    check!(t, parse(&[c"a", c"b", c"1", c"nope"]) == Err(b"Unknown feature argument"));
}

fn numbers(t: &Test) {
    check!(t, parse_u64(b"18446744073709551615") == Some(u64::MAX));
    check!(t, parse_u64(b"18446744073709551616").is_none());
    check!(t, parse_u64(b"").is_none());
    check!(t, parse_u64(b"12a").is_none());
}

fn geometry_checks(t: &Test) {
    let min = geometry::MIN_SPARE_SECTORS;
    check!(t, geometry::check(100, 100, min).is_ok());
    check!(t, geometry::check(101, 100, min).is_err());
    check!(t, geometry::check(0, 100, min).is_err());
    check!(t, geometry::check(100, 100, min - 1).is_err());
}

fn target_offsets(t: &Test) {
    check!(t, geometry::target_offset(2048, 4096) == Some(2048));
    // An empty flush can carry a sector below the target's start.
    check!(t, geometry::target_offset(2048, 0).is_none());
}

fn emitter_never_truncates_silently(t: &Test) {
    let mut buf = [0xffu8; 6];
    let mut e = Emitter::new(&mut buf);
    check!(t, write!(e, "{} {}", 1, 2).is_ok());
    check!(t, write!(e, "{}", 12345).is_err());
    check!(t, e.overflowed());
    // Full buffer: strlen + 1 == maxlen, DM's "retry with more room" signal.
    check!(t, buf == *b"1 212\0");
}

/// The status line as the module writes it reads back as the tool parses
/// it (dm-remap-tool status and monitor).
fn status_line(t: &Test) {
    let status = Status {
        remaps: 24,
        spare_used: 25,
        spare_total: 4059,
        lost: 1,
        metadata: "ok",
        relocated: [0, 1, 0, 24],
        health: "degraded",
        alive: [false, true],
        scrub: status::Scrub { state: "running", pos: 3, chunks: 16, found: 1 },
        ..Status::default()
    };
    let mut buf = [0u8; 128];
    check!(t, write!(Emitter::new(&mut buf), "{status}").is_ok());
    let len = buf.iter().position(|&c| c == 0).unwrap_or(0);
    let line = core::str::from_utf8(&buf[..len]).unwrap_or("");
    check!(t, line.as_bytes() == b"24 25/4059 1 0 0 ok 0 1 0 24 0 degraded DA running 3/16 1");
    check!(t, Status::parse(line) == Ok(status));
}

fn crc32c_vectors(t: &Test) {
    check!(t, crc32c::checksum(0, b"123456789") == 0xe306_9283);
    check!(t, crc32c::checksum(0, &[0u8; 32]) == 0x8a91_36aa);
}

fn slot_codec(t: &Test) {
    let Ok(mut b) = KBox::new([0u8; MBLOCK], GFP_KERNEL) else {
        return check!(t, false);
    };
    let Ok(g) = Geometry::new(4096, 131072, 32768) else {
        return check!(t, false);
    };
    let mut sb = Superblock::new([3; 16], g);
    sb.records = 2;
    sb.alloc_next = 2;
    sb.relocated = [1, 2, 3, u32::MAX];
    // The host computes the same identity (core/tests/metadata.rs).
    sb.main_id = format::identity_hash(b"serial=main");
    check!(t, sb.main_id == 0x4974_b745_1709_6957);
    format::set_record(&mut b, 0, &Record { main: 7, spare: 0, state: BlockState::Remapped });
    format::set_record(&mut b, 1, &Record { main: 9, spare: 1, state: BlockState::Lost });
    sb.encode(&mut b);
    check!(t, Superblock::decode(&b) == Ok(sb));
    check!(t, format::record_at(&b, 1).map(|r| r.state) == Ok(BlockState::Lost));
    // A flipped bit anywhere is caught (a sample of positions).
    for byte in [0, 9, 40, 100, 130, 2000, MBLOCK - 1] {
        b[byte] ^= 4;
        check!(t, Superblock::decode(&b).is_err());
        b[byte] ^= 4;
    }
    // Fields changed and sealed again reach the checks past the checksum.
    b[12] = 2;
    format::reseal_slot(&mut b);
    check!(t, Superblock::decode(&b).map_err(|e| e.0) == Err(c"Metadata has an unsupported format version"));
    b[12] = 1;
    b[128 + 12] = 7;
    format::reseal_slot(&mut b);
    check!(t, Superblock::decode(&b).map_err(|e| e.0) == Err(c"Metadata record with an unknown state"));
    // A log block sealed as a slot, or a slot as a log block, is refused.
    b[128 + 12] = 0;
    format::reseal_log(&mut b);
    check!(t, Superblock::decode(&b).is_err());
    check!(t, format::check_log_block(&b, &sb, 0).is_err());
}

fn remap_table_in_kernel_memory(t: &Test) {
    let Ok(slots) = KVVec::from_elem(EMPTY, slots_for(1000), GFP_KERNEL) else {
        return check!(t, false);
    };
    let mut table = RemapTable::new(slots);
    for i in 0..1000u32 {
        let r = Record { main: u64::from(i) * 7919, spare: i, state: BlockState::Remapped };
        check!(t, table.insert(r).is_ok());
    }
    check!(t, table.count() == 1000);
    check!(t, table.get(7919 * 500).map(|r| r.spare) == Some(500));
    check!(t, table.get(1).is_none());
    let Ok(slots) = KVVec::from_elem(EMPTY, slots_for(4000), GFP_KERNEL) else {
        return check!(t, false);
    };
    let mut bigger = RemapTable::new(slots);
    check!(t, table.copy_into(&mut bigger).is_ok());
    check!(t, bigger.count() == 1000 && bigger.get(7919 * 999).map(|r| r.spare) == Some(999));
}

fn allocator(t: &Test) {
    let mut a = Allocator::new(5, 8);
    check!(t, a.take(2) == Some(5));
    check!(t, a.take(2).is_none());
    check!(t, a.take(1) == Some(7) && a.free() == 0 && a.next() == 8);
}

fn routing(t: &Test) {
    let l = Layout { block_sectors: 8, data_start: 100 };
    let lookup = |b| (b == 3).then_some(Record { main: 3, spare: 2, state: BlockState::Remapped });
    check!(t, route(&l, 0, 64, &lookup) == (24, Dest::Main(0)));
    check!(t, route(&l, 26, 64, &lookup) == (6, Dest::Spare(118)));
    check!(t, route(&l, 32, 8, &lookup) == (8, Dest::Main(32)));
    let lost = |b| (b == 5).then_some(Record { main: 5, spare: 4, state: BlockState::Lost });
    check!(t, route(&l, 40, 16, &lost) == (8, Dest::Lost(132)));
}

/// Only media errors of main make the worker relocate blocks.
fn error_classification(t: &Test) {
    use crate::remap_core::policy::{blk_status, classify, ErrorClass};
    check!(t, classify(blk_status::IOERR) == ErrorClass::Media);
    check!(t, classify(blk_status::MEDIUM) == ErrorClass::Media);
    check!(t, classify(blk_status::PROTECTION) == ErrorClass::Media);
    for s in [
        blk_status::NOTSUPP,
        blk_status::TIMEOUT,
        blk_status::NOSPC,
        blk_status::TRANSPORT,
        blk_status::TARGET,
        blk_status::RESOURCE,
        blk_status::DM_REQUEUE,
        blk_status::AGAIN,
        blk_status::DEV_RESOURCE,
        blk_status::OFFLINE,
        blk_status::INVAL,
    ] {
        check!(t, classify(s) == ErrorClass::Other);
    }
}

/// A failed bio is redone block by block, and spare usage levels and
/// health follow the documented thresholds.
fn narrowing_and_health(t: &Test) {
    use crate::remap_core::policy::{health, spare_level, HealthInputs, LevelTrigger};
    use crate::remap_core::route::block_pieces;
    let mut p = block_pieces(6, 12, 8);
    check!(t, p.next() == Some((6, 8)) && p.next() == Some((8, 16)) && p.next() == Some((16, 18)));
    check!(t, p.next().is_none());
    check!(t, spare_level(377, 377) == 100 && spare_level(190, 377) == 50 && spare_level(188, 377) == 0);
    let mut trig = LevelTrigger::default();
    check!(t, trig.update(50) && !trig.update(50) && trig.update(100));
    let h = HealthInputs { metadata_failed: false, spare_used: 1, spare_total: 10, pending: 1 };
    check!(t, health(&h) == "degraded");
    check!(t, health(&HealthInputs { metadata_failed: true, ..h }) == "failed");
}

/// The write tracker: `enter` reports the check, `drain` waits for a
/// write in flight (ended 50 ms later by a work item) and returns at once
/// when none is.
fn write_tracker(t: &Test) {
    let Ok(w) = WriteTracker::new() else {
        check!(t, false);
        return;
    };
    let (Ok(w), Ok(done)) = (Arc::new(w, GFP_KERNEL), Arc::new(AtomicBool::new(false), GFP_KERNEL)) else {
        check!(t, false);
        return;
    };
    /// A write in flight, ended when dropped (also if the work that owns
    /// it cannot be spawned).
    struct InFlight(Arc<WriteTracker>, Option<SrcuIdx>);
    impl Drop for InFlight {
        fn drop(&mut self) {
            if let Some(idx) = self.1.take() {
                self.0.exit(idx);
            }
        }
    }
    let a = InFlight(w.clone(), Some(w.enter()));
    let b = w.enter();
    w.exit(b);
    let done2 = done.clone();
    let spawned = workqueue::system().try_spawn(GFP_KERNEL, move || {
        sleep_ms(50);
        done2.store(true, Ordering::SeqCst);
        drop(a);
    });
    if spawned.is_err() {
        check!(t, false);
        return;
    }
    w.drain();
    check!(t, done.load(Ordering::SeqCst));
    w.drain();
}

/// The kernel's remap table: versions published with RCU, routing that
/// skips regions without remaps, room made before an insert.
fn remaps_versions(t: &Test) {
    let Ok(r) = Remaps::new(1 << 20) else {
        check!(t, false);
        return;
    };
    let l = Layout { block_sectors: 8, data_start: 1000 };
    let rec = |main, spare, state| Record { main, spare, state };
    check!(t, r.route(&l, 0, 8 << 20) == (8 << 20, Dest::Main(0)));
    // An insert needs the room a reserve made.
    check!(t, r.insert(&[rec(1, 1, BlockState::Remapped)]).is_err());
    check!(t, r.reserve(2).is_ok());
    let two = [rec(100_000, 0, BlockState::Remapped), rec(100_001, 1, BlockState::Lost)];
    check!(t, r.insert(&two).is_ok());
    check!(t, r.len() == 2 && r.unreadable() == 1);
    // A 4 GiB bio from sector 0 goes to main up to block 100,000.
    check!(t, r.route(&l, 0, 8 << 20) == (800_000, Dest::Main(0)));
    check!(t, r.route(&l, 800_000, 16) == (8, Dest::Spare(1000)));
    check!(t, r.route(&l, 800_008, 8) == (8, Dest::Lost(1008)));
    check!(t, r.route(&l, 800_016, 8 << 20) == (8 << 20, Dest::Main(800_016)));
    // Growth: many inserts, each after its reserve.
    for i in 0..200u32 {
        let ok = r.reserve(1).is_ok() && r.insert(&[rec(u64::from(i) * 1000 + 7, i + 2, BlockState::Remapped)]).is_ok();
        check!(t, ok);
    }
    check!(t, r.len() == 202 && r.get(199_007).map(|x| x.spare) == Some(201));
    check!(t, r.get(100_001).map(|x| x.state) == Some(BlockState::Lost));
    // A replay replaces everything.
    check!(t, r.replace(&[rec(5, 9, BlockState::Remapped)], 10).is_ok());
    check!(t, r.len() == 1 && r.unreadable() == 0 && r.get(100_000).is_none() && r.get(5).is_some());
}

/// A `NoIo` scope takes I/O out of the task's `GFP_KERNEL` allocations
/// until it ends; scopes nest.
fn noio_scope(t: &Test) {
    check!(t, NoIo::gfp_kernel_may_do_io());
    {
        let _outer = NoIo::enter();
        check!(t, !NoIo::gfp_kernel_may_do_io());
        {
            let _inner = NoIo::enter();
            check!(t, !NoIo::gfp_kernel_may_do_io());
        }
        check!(t, !NoIo::gfp_kernel_may_do_io());
    }
    check!(t, NoIo::gfp_kernel_may_do_io());
}

kunit_suite!(
    "dm_remap",
    [
        table_line_good,
        table_line_bad,
        numbers,
        geometry_checks,
        target_offsets,
        emitter_never_truncates_silently,
        status_line,
        crc32c_vectors,
        slot_codec,
        remap_table_in_kernel_memory,
        allocator,
        routing,
        write_tracker,
        error_classification,
        narrowing_and_health,
        noio_scope,
        remaps_versions,
    ]
);
