//! The `remap` target: safe Rust on top of the `dm` layer.

mod copy;
mod inflight;
#[cfg(CONFIG_KUNIT)]
mod kunit_tests;
mod messages;
mod metadata;
mod outage;
mod recover;
mod remaps;
mod scrub;
mod stats;
mod worker;

use crate::dm::{
    new_irq_spinlock, Bio, BioList, Ctr, CtrError, Ctx, DevId, DeviceVisitor, DmDev, DmIo, DoneBio, EndIo, FromEndIo,
    IoBuf, IrqSpinLock, MapResult, MessageError, Op, PerBio, QueueLimits, SrcuIdx, StatusType, Target, TaskCtx,
};
use crate::remap_core::args::ArgSet;
use crate::remap_core::emit::Emitter;
use crate::remap_core::format::Geometry;
use crate::remap_core::policy::{self, ErrorClass, HealthInputs};
use crate::remap_core::route::{Dest, Layout};
use crate::remap_core::scrub as scrub_math;
use crate::remap_core::status::{self, Status};
use crate::remap_core::{geometry, table};
use core::ffi::{c_int, CStr};
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, Ordering};
use inflight::{Admit, Fence, Gate, WriteTracker};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;
use kernel::time::Ktime;
use metadata::Metadata;
use outage::{Outages, Role};
use recover::RedoBufs;
use remaps::{Remaps, ReplaceError};
use scrub::Scrub;
use stats::IoStats;
use worker::Request;

/// Metadata state in `status`.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum MetaState {
    /// Remaps can be added.
    Ok = 0,
    /// Every spare block is used.
    Full = 1,
    /// A metadata write failed: no more remaps until the table is reloaded.
    Failed = 2,
    /// The table is read-only: remaps are followed but none is added.
    ReadOnly = 3,
}

impl MetaState {
    /// A table's state at load: read-only, full with every spare block
    /// used, else ok.
    fn at_load(writable: bool, full: bool) -> Self {
        match (writable, full) {
            (false, _) => Self::ReadOnly,
            (true, true) => Self::Full,
            (true, false) => Self::Ok,
        }
    }
}

/// What a bio of the target is doing, in DM's per-bio data. Not `Copy`:
/// a write's SRCU section ends once.
pub enum IoState {
    /// Nothing to do when it completes.
    Plain,
    /// A write counted in flight (its write-tracker section).
    Write { write: SrcuIdx },
    /// A write of a whole lost main block to its spare block: when it
    /// succeeds, the block is committed as good again before the write
    /// completes.
    Revive { write: SrcuIdx, block: u64 },
    /// A `Revive` write handed to the worker, to commit.
    Revived { block: u64 },
    /// A read of a pending block sent to main (a retest): if it reads,
    /// the worker moves the block with its data before it completes.
    Retest { block: u64 },
}

/// Least time between two retests of pending blocks.
const RETEST_INTERVAL_MS: i64 = 1_000;

/// No redo (see `PerIo::redo_at`).
const NO_REDO: u64 = u64::MAX;

/// DM's per-bio data of the target.
pub struct PerIo {
    pub state: IoState,
    /// For a bio sent to main or to the spare block of a remap: its target
    /// sector, so that the worker can redo it after a media error (the
    /// `dm` layer rewinds the bio to where it was sent). `NO_REDO` for
    /// anything else.
    pub redo_at: u64,
    /// Batches whose redo of it could not allocate (see `recover`).
    pub nomem_tries: u8,
}

impl PerBio for PerIo {
    const INIT: Self = PerIo { state: IoState::Plain, redo_at: NO_REDO, nomem_tries: 0 };
}

/// Where a piece of a bio goes.
enum Place {
    Main(u64),
    Spare(u64),
    /// A whole lost block, rewritten at this spare sector.
    Revive(u64, u64),
    /// A read of pending block (the `u64`) retested on main.
    Retest(u64),
    Fail,
}

/// One `remap` target: a main device whose blocks can be relocated onto a
/// spare device. Its work (see `worker`) relocates blocks and commits; this
/// is the state that `map`, `end_io`, messages and the work share.
pub struct RemapTarget {
    begin: u64,
    len: u64,
    /// Claimed, as the spare: no other remap device uses either.
    main: DevId,
    spare: DevId,
    geometry: Geometry,
    layout: Layout,
    io: DmIo,
    meta: Pin<KBox<Mutex<Metadata>>>,
    remaps: Remaps,
    /// Spare blocks handed out (lock-free copy for `status`).
    spare_used: AtomicU64,
    state: AtomicU8,
    stats: IoStats,
    /// Reads of a failed block after the failed I/O.
    read_retries: u32,
    /// The spare usage level last reported by an event (worker only).
    spare_level: AtomicU8,
    /// Whether blocks with lost data were reported by an event; re-armed
    /// when none is left.
    pending_reported: AtomicBool,
    /// Whether a metadata failure was reported by an event.
    failure_reported: AtomicBool,
    /// Devices that do not answer (see `outage`).
    outages: Outages,
    /// Whether the table has resumed once (it is, or was, the live one).
    resumed: AtomicBool,
    /// From presuspend to postsuspend: the worker's long work (a `remap`
    /// of many blocks, the scrub's findings) stops early, so that the
    /// suspend does not wait for it.
    suspending: AtomicBool,
    tracker: WriteTracker,
    gate: Gate,
    fence: Fence,
    /// Work for the worker from messages.
    requests: Pin<KBox<Mutex<KVec<Request>>>>,
    /// `Revive` writes that completed, from `end_io`.
    revived: Pin<KBox<IrqSpinLock<BioList<PerIo, FromEndIo>>>>,
    /// Bios that failed on main with a media error, from `end_io`.
    failed: Pin<KBox<IrqSpinLock<BioList<PerIo, FromEndIo>>>>,
    /// `Retest` reads that read, from `end_io`.
    retested: Pin<KBox<IrqSpinLock<BioList<PerIo, FromEndIo>>>>,
    /// When the next retest of a pending block is due (ktime, ms).
    retest_due_ms: AtomicI64,
    /// The error path's buffers (worker only): the redo's, and a block
    /// for probes.
    redo_bufs: Pin<KBox<Mutex<RedoBufs>>>,
    probe_buf: Pin<KBox<Mutex<IoBuf>>>,
    /// The patrol read (see `scrub`), and its rate from the table line.
    scrub: Scrub,
    scrub_arg: u32,
}

impl Target for RemapTarget {
    const NAME: &'static CStr = c"remap";
    const VERSION: [u32; 3] = [0, 10, 0];
    const WORKQUEUE: &'static CStr = c"dm_remap";
    type PerBio = PerIo;

    fn new(ctr: &mut Ctr<'_>, args: ArgSet<'_>) -> Result<Self, CtrError> {
        let t = table::parse(args).map_err(|e| CtrError::invalid(e.0))?;
        let (main_id, spare_id, g) = open_devices(ctr, &t)?;
        let io = DmIo::new().map_err(|e| CtrError::new(c"Cannot create a dm-io client", e))?;
        let writable = ctr.is_writable();
        let (meta, remaps) = load_metadata(&io, ctr.dev(spare_id), g, writable)?;
        let sb = *meta.sb();
        let nomem = |e| CtrError::new(c"Cannot allocate", e);
        // Levels and lost blocks the table starts with are old news.
        let pending = remaps.unreadable() > 0;
        let meta = KBox::pin_init(new_mutex!(meta, "dm_remap_metadata"), GFP_KERNEL).map_err(nomem)?;
        let requests = KBox::pin_init(new_mutex!(KVec::new(), "dm_remap_requests"), GFP_KERNEL).map_err(nomem)?;
        let revived =
            KBox::pin_init(new_irq_spinlock!(BioList::new(), "dm_remap_revived"), GFP_KERNEL).map_err(nomem)?;
        let failed = KBox::pin_init(new_irq_spinlock!(BioList::new(), "dm_remap_failed"), GFP_KERNEL).map_err(nomem)?;
        let retested =
            KBox::pin_init(new_irq_spinlock!(BioList::new(), "dm_remap_retested"), GFP_KERNEL).map_err(nomem)?;
        let bufs = RedoBufs::new(g.block_size).map_err(nomem)?;
        let redo_bufs = KBox::pin_init(new_mutex!(bufs, "dm_remap_redo_bufs"), GFP_KERNEL).map_err(nomem)?;
        let probe = IoBuf::new(g.block_size as usize).map_err(nomem)?;
        let probe_buf = KBox::pin_init(new_mutex!(probe, "dm_remap_probe_buf"), GFP_KERNEL).map_err(nomem)?;
        // A read-only table relocates nothing: it does not scrub.
        let scrub =
            Scrub::new(if writable { t.scrub_rate } else { 0 }, sb.scrub_pos.into(), g.block_size).map_err(nomem)?;
        enable_io_kinds(ctr, main_id, spare_id);
        Ok(Self {
            begin: ctr.begin(),
            len: ctr.len(),
            layout: Layout { block_sectors: g.block_sectors(), data_start: g.data_start },
            geometry: g,
            main: main_id,
            spare: spare_id,
            io,
            meta,
            remaps,
            spare_used: AtomicU64::new(sb.alloc_next),
            state: AtomicU8::new(MetaState::at_load(writable, sb.alloc_next == g.spare_blocks) as u8),
            stats: IoStats::new(&sb.relocated),
            read_retries: t.read_retries,
            spare_level: AtomicU8::new(policy::spare_level(sb.alloc_next, g.spare_blocks)),
            pending_reported: AtomicBool::new(pending),
            failure_reported: AtomicBool::new(false),
            outages: Outages::new(),
            resumed: AtomicBool::new(false),
            suspending: AtomicBool::new(false),
            tracker: WriteTracker::new().map_err(nomem)?,
            gate: Gate::new().map_err(nomem)?,
            fence: Fence::new().map_err(nomem)?,
            requests,
            revived,
            failed,
            retested,
            retest_due_ms: AtomicI64::new(0),
            redo_bufs,
            probe_buf,
            scrub,
            scrub_arg: t.scrub_rate,
        })
    }

    #[inline]
    fn map<'a>(&self, ctx: Ctx<'_>, mut bio: Bio<'a, PerIo>) -> MapResult<'a, PerIo> {
        // An empty flush's sector is meaningless (it can lie before
        // `begin`): handle it before any offset arithmetic.
        if bio.is_empty_flush() {
            let dev = if bio.target_bio_nr() == 0 { self.main } else { self.spare };
            bio.set_dev(ctx.dev(dev));
            return MapResult::Remapped(bio);
        }
        let Some(sector) = geometry::target_offset(self.begin, bio.sector()) else {
            return MapResult::Kill(bio);
        };
        self.scrub.note_user_io();
        let op = bio.op();
        let write = op != Op::Read;
        let mut limit = bio.sectors();
        if write {
            bio.per_bio().state = IoState::Write { write: self.tracker.enter() };
            if self.gate.is_closed() {
                match self.gate.admit(bio, sector, self.layout.block_sectors, &self.tracker) {
                    Admit::Pass(b, l) => (bio, limit) = (b, l),
                    Admit::Held(mark) => return MapResult::Held(mark),
                }
            }
        }
        // Fast path: no remaps, no lock, dm-linear's work (and a note of
        // where the bio starts, to redo it if main fails it).
        if self.remaps.len() == 0 && limit == bio.sectors() && !self.fence.any() {
            bio.remap(ctx.dev(self.main), sector);
            bio.per_bio().redo_at = sector;
            return MapResult::Remapped(bio);
        }
        self.map_placed(ctx, bio, sector, limit)
    }

    #[inline]
    fn end_io<'a>(&self, ctx: Ctx<'_>, mut bio: DoneBio<'a, PerIo>, status: u8) -> EndIo<'a, PerIo> {
        // (Bios the worker ends do not come back here: see `HeldBio`.)
        match core::mem::replace(&mut bio.per_bio().state, IoState::Plain) {
            IoState::Plain | IoState::Revived { .. } => {}
            IoState::Write { write } => self.tracker.exit(write),
            IoState::Revive { write, block } => {
                if status == 0 {
                    // Complete it once the block is committed as good.
                    // Queued before it leaves the write tracker: a batch
                    // that waits for the writes in flight to this block
                    // then finds it queued, and moves nothing over it.
                    bio.per_bio().state = IoState::Revived { block };
                    let (bio, mark) = bio.hold();
                    self.revived.lock().push(bio);
                    self.tracker.exit(write);
                    ctx.kick();
                    return EndIo::Held(mark);
                }
                self.tracker.exit(write);
            }
            IoState::Retest { block } if status == 0 => {
                // Main read it: complete it once the block has moved.
                bio.per_bio().state = IoState::Retest { block };
                let (bio, mark) = bio.hold();
                self.retested.lock().push(bio);
                ctx.kick();
                return EndIo::Held(mark);
            }
            // Still unreadable: the error passes up (no redo).
            IoState::Retest { .. } => {}
        }
        if status == 0 {
            if self.outages.any_down() {
                // A device may be back: the worker probes it.
                self.outages.note_answer();
                ctx.kick();
            }
            return EndIo::Done(bio);
        }
        self.stats.count_error(bio.is_read());
        // A media error of a read or write on main: the worker finds the
        // failing blocks and relocates them, then completes the bio. Only
        // while remaps can be made; otherwise the error passes up.
        let redo = bio.per_bio_ref().redo_at != NO_REDO && matches!(bio.op(), Op::Read | Op::Write);
        match policy::classify(status) {
            ErrorClass::Media if redo && self.state_is(MetaState::Ok) => {
                let (bio, mark) = bio.hold();
                self.failed.lock().push(bio);
                ctx.kick();
                EndIo::Held(mark)
            }
            ErrorClass::Media => EndIo::Done(bio),
            ErrorClass::Other => {
                self.stats.count_ignored();
                EndIo::Done(bio)
            }
        }
    }

    fn work(&self, ctx: &TaskCtx<'_>) {
        worker::Work::new(self, ctx).run();
    }

    // No presuspend: DM waits for the bios the worker holds, and the worker
    // completes them; waiting for the worker itself could last as long as
    // failures keep arriving.

    fn presuspend(&self, _ctx: &TaskCtx<'_>) {
        // The scrub reads nothing more until resume, and the batch the
        // worker holds stops early: the suspend waits for it.
        self.scrub.set_suspended(true);
        self.suspending.store(true, Ordering::Relaxed);
    }

    fn presuspend_undo(&self, ctx: &TaskCtx<'_>) {
        self.suspending.store(false, Ordering::Relaxed);
        self.scrub.set_suspended(false);
        ctx.kick();
    }

    fn postsuspend(&self, ctx: &TaskCtx<'_>) {
        // No I/O is in flight now: commit what completed writes queued.
        // (Messages to the suspended device run whole again.)
        ctx.flush_work();
        self.suspending.store(false, Ordering::Relaxed);
    }

    fn resume(&self, ctx: &TaskCtx<'_>) {
        self.scrub.set_suspended(false);
        ctx.kick();
    }

    fn preresume(&self, ctx: &TaskCtx<'_>) -> Result {
        // Only the live table commits: once this one has run, its state is
        // the newest, and a resume reads nothing (a spare that fails reads
        // cannot fail it).
        if self.resumed.load(Ordering::Relaxed) {
            return Ok(());
        }
        // A table loaded while another table of the same pair was still
        // committing remaps: pick up what it committed.
        // State changes only once every step succeeded: a failed refresh
        // leaves the device suspended with its table intact, and a retried
        // resume starts again.
        let mut meta = self.meta.lock();
        // The live table's last commit (noted once durable): a resume to
        // an older one would move backwards (its slot was damaged since
        // this table loaded), now or at a retried resume.
        meta.must_reach(ctx.dev(self.spare).sibling_note());
        if let Some((sb, records)) = meta.refresh(&self.io, ctx.dev(self.spare))? {
            self.remaps.replace(&records, sb.alloc_next).map_err(|e| match e {
                ReplaceError::NoMem => ENOMEM,
                ReplaceError::SharedSpare => {
                    pr_err!("metadata gives one spare block to two main blocks\n");
                    EINVAL
                }
            })?;
            meta.adopt(sb);
            self.stats.set_lifetime(&sb.relocated);
            ctx.dev(self.spare).set_claim_note(sb.seq);
            self.spare_used.store(meta.sb().alloc_next, Ordering::Relaxed);
        }
        self.resumed.store(true, Ordering::Relaxed);
        Ok(())
    }

    fn status(&self, ctx: Ctx<'_>, kind: StatusType, out: &mut Emitter<'_>) {
        // A write that does not fit leaves the buffer full, which DM reports
        // to userspace as "buffer full" (see Emitter): nothing to do here.
        let _ = match kind {
            StatusType::Info => write!(out, "{}", self.info()),
            StatusType::Table => {
                let (main, spare) = (DevName(ctx.dev(self.main)), DevName(ctx.dev(self.spare)));
                let (bs, retries, rate) = (self.geometry.block_size, self.read_retries, self.scrub_arg);
                let n = 2 + 2 * usize::from(retries != table::DEFAULT_READ_RETRIES) + 2 * usize::from(rate != 0);
                let _ = write!(out, "{main} {spare} {n} block_size {bs}");
                if retries != table::DEFAULT_READ_RETRIES {
                    let _ = write!(out, " read_retries {retries}");
                }
                match rate {
                    0 => Ok(()),
                    r => write!(out, " scrub {r}"),
                }
            }
            StatusType::Ima => {
                let [a, b, c] = Self::VERSION;
                write!(
                    out,
                    "target_name=remap,target_version={a}.{b}.{c},main_device={},spare_device={},block_size={},\
                     read_retries={};",
                    DevName(ctx.dev(self.main)),
                    DevName(ctx.dev(self.spare)),
                    self.geometry.block_size,
                    self.read_retries
                )
            }
        };
    }

    fn message(&self, ctx: &TaskCtx<'_>, args: ArgSet<'_>, out: &mut Emitter<'_>) -> Result<bool, MessageError> {
        messages::handle(self, ctx, args, out)
    }

    fn iterate_devices(&self, ctx: Ctx<'_>, visitor: &mut DeviceVisitor<'_>) -> c_int {
        let spare = ctx.dev(self.spare);
        match visitor.visit(ctx.dev(self.main), 0, self.len) {
            0 => visitor.visit(spare, 0, spare.sectors()),
            r => r,
        }
    }

    fn io_hints(&self, limits: &mut QueueLimits<'_>) {
        // Blocks are remapped whole: smaller writes to a remapped block
        // would be read-modify-write on the spare.
        limits.raise_io_min(self.geometry.block_size);
    }
}

impl RemapTarget {
    /// The slow path of `map`: sends the first `limit` sectors (at most) of
    /// `bio`, at target sector `sector`, where the table says.
    fn map_placed<'a>(&self, ctx: Ctx<'_>, mut bio: Bio<'a, PerIo>, sector: u64, limit: u64) -> MapResult<'a, PerIo> {
        let (len, place) = self.place(sector, limit, bio.op());
        if len < bio.sectors() && bio.accept_partial(len).is_err() {
            self.untrack(bio.per_bio());
            return MapResult::Kill(bio);
        }
        match place {
            Place::Main(s) => {
                bio.remap(ctx.dev(self.main), s);
                bio.per_bio().redo_at = sector;
            }
            Place::Spare(s) => {
                // The worker finds the spare block from the target sector.
                bio.remap(ctx.dev(self.spare), s);
                bio.per_bio().redo_at = sector;
            }
            Place::Revive(block, s) => {
                let state = &mut bio.per_bio().state;
                if let IoState::Write { write } = core::mem::replace(state, IoState::Plain) {
                    *state = IoState::Revive { write, block };
                }
                bio.remap(ctx.dev(self.spare), s);
            }
            Place::Retest(block) => {
                bio.remap(ctx.dev(self.main), sector);
                bio.per_bio().state = IoState::Retest { block };
            }
            Place::Fail => {
                self.untrack(bio.per_bio());
                return MapResult::Kill(bio);
            }
        }
        MapResult::Remapped(bio)
    }
    /// Whether a suspend began: long work of the worker's own stops.
    fn suspending(&self) -> bool {
        self.suspending.load(Ordering::Relaxed)
    }

    /// The INFO status line's fields (`dmsetup status`).
    fn info(&self) -> Status<'static> {
        let (read_errors, write_errors) = self.stats.errors();
        let metadata = match self.state.load(Ordering::Relaxed) {
            0 => "ok",
            1 => "full",
            2 => "failed",
            _ => "read-only",
        };
        let (spare_used, lost) = (self.spare_used.load(Ordering::Relaxed), self.remaps.unreadable());
        let spare_total = self.geometry.spare_blocks;
        let health = policy::health(&HealthInputs {
            metadata_failed: self.state_is(MetaState::Failed),
            spare_used,
            spare_total,
            pending: lost,
        });
        let s = &self.stats;
        let (relocated, lifetime) = s.relocated();
        Status {
            remaps: self.remaps.len(),
            spare_used,
            spare_total,
            lost,
            read_errors,
            write_errors,
            metadata,
            relocated,
            ignored_errors: s.ignored(),
            health,
            alive: [Role::Main, Role::Spare].map(|r| !self.outages.is_down(r)),
            scrub: status::Scrub {
                state: self.scrub.state(self.outages.any_down()),
                pos: self.scrub.pos(),
                chunks: scrub_math::chunks(self.geometry.main_blocks(), self.geometry.block_size),
                found: self.scrub.found(),
            },
            lifetime: Some(lifetime),
        }
    }

    /// Routes `sectors` sectors of a bio doing `op` from target sector
    /// `sector`: how many go where.
    fn place(&self, sector: u64, mut sectors: u64, op: Op) -> (u64, Place) {
        let bs = self.layout.block_sectors;
        if op != Op::Read && self.fence.any() {
            match self.fence.clear_for(sector, sectors, bs) {
                // (Up to the end of the fenced block.)
                Some(0) => return (((sector / bs + 1) * bs - sector).min(sectors), Place::Fail),
                Some(clear) => sectors = clear,
                None => {}
            }
        }
        let (len, dest) = self.remaps.route(&self.layout, sector, sectors);
        let place = match dest {
            Dest::Main(s) => Place::Main(s),
            Dest::Spare(s) => Place::Spare(s),
            // A lost block stays lost until a write defines all of its
            // content: data or zeroes, not a discard (after which a read
            // could return the spare block's old contents). A read of a
            // pending block retests main now and then.
            Dest::Lost(s) | Dest::Pending(s) => {
                let whole = sector % bs == 0 && (len == bs || sector + len == self.len);
                match op {
                    Op::Write | Op::WriteZeroes if whole => Place::Revive(sector / bs, s),
                    Op::Discard => Place::Spare(s),
                    Op::Read if matches!(dest, Dest::Pending(_)) && self.retest_due() => Place::Retest(sector / bs),
                    _ => Place::Fail,
                }
            }
        };
        (len, place)
    }

    /// Whether a read of a pending block may retest main now: one retest
    /// per `RETEST_INTERVAL_MS` (a failing disk can take seconds per
    /// read).
    fn retest_due(&self) -> bool {
        let now = Ktime::ktime_get().to_ms();
        let due = self.retest_due_ms.load(Ordering::Relaxed);
        now >= due
            && self
                .retest_due_ms
                .compare_exchange(due, now + RETEST_INTERVAL_MS, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// Forgets that a bio is a write in flight (it fails without I/O).
    fn untrack(&self, io: &mut PerIo) {
        if let IoState::Write { write } | IoState::Revive { write, .. } =
            core::mem::replace(&mut io.state, IoState::Plain)
        {
            self.tracker.exit(write);
        }
    }

    fn set_state(&self, s: MetaState) {
        self.state.store(s as u8, Ordering::Relaxed);
    }

    fn state_is(&self, s: MetaState) -> bool {
        self.state.load(Ordering::Relaxed) == s as u8
    }
}

/// Formats a device by its `major:minor` name.
struct DevName<'a>(&'a DmDev);

impl core::fmt::Display for DevName<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // DM names are "major:minor", always ASCII.
        f.write_str(self.0.name().to_str().unwrap_or("?"))
    }
}

/// The I/O the target takes besides reads and writes: empty flushes go to
/// both devices (bio 0 to main, 1 to the spare), discards when both
/// devices take them, and write-zeroes.
fn enable_io_kinds(ctr: &mut Ctr<'_>, main: DevId, spare: DevId) {
    let discards = ctr.dev(main).max_discard_sectors() > 0 && ctr.dev(spare).max_discard_sectors() > 0;
    ctr.set_num_flush_bios(2);
    if discards {
        ctr.enable_discards();
    }
    ctr.enable_write_zeroes();
}

/// Gets and claims the table line's devices, and the pair's geometry for
/// them: main and the spare, both claimed (another remap table naming
/// either, as its main or as its spare, which it would format, is
/// refused).
fn open_devices(ctr: &mut Ctr<'_>, t: &table::TableArgs<'_>) -> Result<(DevId, DevId, Geometry), CtrError> {
    let main_id = ctr.get_device(t.main, c"Main device lookup failed")?;
    let spare_id = ctr.get_device(t.spare, c"Spare device lookup failed")?;
    if ctr.dev(main_id).is_same_device(ctr.dev(spare_id)) {
        return Err(CtrError::invalid(c"Main and spare are the same device"));
    }
    ctr.claim(main_id, c"Main device is in use by another remap device or segment")?;
    ctr.claim(spare_id, c"Spare device is in use by another remap device or segment")?;
    let (main, spare) = (ctr.dev(main_id), ctr.dev(spare_id));
    geometry::check(ctr.len(), main.sectors(), spare.sectors()).map_err(|e| CtrError::invalid(e.0))?;
    if t.block_size < main.io_granularity().max(spare.io_granularity()) {
        return Err(CtrError::invalid(c"block_size is smaller than a device's logical or physical block size"));
    }
    let g = Geometry::new(t.block_size, main.sectors(), spare.sectors()).map_err(|e| CtrError::invalid(e.0))?;
    Ok((main_id, spare_id, g))
}

/// Loads the spare's metadata and the remap table it gives. A reload while
/// the live table runs: the commit on disk must be the live table's (noted
/// once durable, so read before the disk) or newer; an older one means its
/// newest slot was damaged since, and loading would move backwards.
fn load_metadata(io: &DmIo, spare: &DmDev, g: Geometry, writable: bool) -> Result<(Metadata, Remaps), CtrError> {
    let live = spare.sibling_note();
    let (meta, records) = Metadata::open(io, spare, g, writable)?;
    if live > meta.sb().seq {
        return Err(CtrError::invalid(
            c"The spare's newest commit slot is damaged and the live table holds that commit: send it the commit message (it rewrites the slot), then reload",
        ));
    }
    spare.set_claim_note(meta.sb().seq);
    let remaps = Remaps::new(g.main_blocks()).map_err(|e| CtrError::new(c"Cannot allocate the remap table", e))?;
    remaps.replace(&records, meta.sb().alloc_next).map_err(|e| match e {
        ReplaceError::NoMem => CtrError::new(c"Cannot allocate the remap table", ENOMEM),
        ReplaceError::SharedSpare => CtrError::invalid(c"Metadata gives one spare block to two main blocks"),
    })?;
    Ok((meta, remaps))
}
