//! The scrub (patrol read), run by the worker: it reads main a chunk at a
//! time, and the spare blocks that hold the chunk's remapped blocks, at a
//! bounded rate (`scrub start [<MiB/s>]`, or the `scrub`
//! feature argument from load), ten times slower while user I/O comes in.
//! A chunk that fails is read again block by block once main is known to
//! answer (see `outage`; while a device is down the scrub pauses). Each block
//! that still fails, none of its sectors readable (a block of which some
//! read stays on main, as for a user read), goes to the relocation path as a `remap` message's
//! block would: it moves with its data if it reads on that retry, and
//! becomes pending if not, as a user read's failure would. A spare block
//! that fails moves the same way to a new spare block (read again up to
//! `read_retries` times; lost if it never reads). A pending block that
//! main reads again moves with its data, as a user read's retest moves it.
//! The position
//! is part of every commit, and a commit is asked for every
//! `COMMIT_CHUNKS` chunks, so a reload or a reboot resumes it; at the end
//! of main a new pass starts.

use super::outage::Role;
use super::worker::{Kind, Reply, Request, Work};
use crate::dm::IoBuf;
use crate::remap_core::format::BlockState;
use crate::remap_core::scrub::{self, chunk_blocks, chunks};
use core::ops::Range;
use core::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering::Relaxed};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;
use kernel::time::Ktime;

/// Chunks between commits of the position (64 MiB at 256 KiB chunks).
const COMMIT_CHUNKS: u64 = 256;
/// While a device is down, how often the scrub asks again.
const PAUSE_NS: i64 = 1_000_000_000;
/// Chunks one turn reads at most before other work goes first.
const RUN_CHUNKS: u32 = 64;
/// Time the scrub may make up after it could not run (at its rate).
const MAX_CREDIT_NS: i64 = 100_000_000;

/// Milliseconds (at least 1) until `ns` have passed.
fn ms_until(ns: i64) -> u32 {
    (ns.max(0) as u64).div_ceil(1_000_000).clamp(1, u64::from(u32::MAX)) as u32
}

/// The scrub's state, shared by the worker (which runs it), messages,
/// `map` (which counts user I/O while it runs) and `status`.
pub struct Scrub {
    /// MiB/s; 0 while stopped.
    rate: AtomicU32,
    /// The next chunk to read.
    pos: AtomicU64,
    /// The position last committed (worker only).
    committed: AtomicU64,
    /// Blocks found unreadable since the table was loaded.
    found: AtomicU64,
    /// From postsuspend to resume: no scrub I/O.
    suspended: AtomicBool,
    /// User bios mapped while the scrub runs, and the count at the last
    /// step (worker only).
    user_ios: AtomicU64,
    seen_ios: AtomicU64,
    /// When the next chunk is due (ktime, ns).
    due_ns: AtomicI64,
    /// The chunk buffer (worker only), made at construction.
    buf: Pin<KBox<Mutex<IoBuf>>>,
}

/// What the scrub's turn left.
pub(super) enum Step {
    /// The scrub is off, or the device suspended.
    Off,
    /// Requests it queued for the worker (found blocks, or a commit).
    Queued,
    /// More chunks are due: the worker runs again (after other work
    /// items: a turn never holds the CPU for long).
    More,
    /// The next chunk is due in this many milliseconds.
    Later(u32),
}

impl Scrub {
    /// A scrub at `rate` MiB/s (0: stopped) from chunk `pos`, reading
    /// chunks of blocks of `block_size` (`chunk_blocks`).
    pub fn new(rate: u32, pos: u64, block_size: u32) -> Result<Self> {
        let chunk_bytes = (chunk_blocks(block_size) * u64::from(block_size)) as usize;
        let buf = KBox::pin_init(new_mutex!(IoBuf::new(chunk_bytes)?, "dm_remap_scrub_buf"), GFP_KERNEL)?;
        Ok(Self {
            rate: AtomicU32::new(rate),
            pos: AtomicU64::new(pos),
            committed: AtomicU64::new(pos),
            found: AtomicU64::new(0),
            suspended: AtomicBool::new(true),
            user_ios: AtomicU64::new(0),
            seen_ios: AtomicU64::new(0),
            due_ns: AtomicI64::new(0),
            buf,
        })
    }

    /// From `map`: a user bio, counted only while the scrub runs.
    #[inline]
    pub fn note_user_io(&self) {
        if self.rate.load(Relaxed) != 0 {
            self.user_ios.fetch_add(1, Relaxed);
        }
    }

    pub fn start(&self, rate: u32) {
        self.rate.store(rate, Relaxed);
        self.due_ns.store(0, Relaxed);
    }

    pub fn stop(&self) {
        self.rate.store(0, Relaxed);
    }

    pub fn set_suspended(&self, suspended: bool) {
        self.suspended.store(suspended, Relaxed);
    }

    pub fn rate(&self) -> u32 {
        self.rate.load(Relaxed)
    }

    pub fn pos(&self) -> u64 {
        self.pos.load(Relaxed)
    }

    pub fn found(&self) -> u64 {
        self.found.load(Relaxed)
    }

    /// The status word: `off`, `paused` (suspended, or a device down) or
    /// `running`.
    pub fn state(&self, device_down: bool) -> &'static str {
        match (self.rate(), self.suspended.load(Relaxed) || device_down) {
            (0, _) => "off",
            (_, true) => "paused",
            _ => "running",
        }
    }
}

impl Work<'_> {
    /// The scrub's turn on the worker: reads the chunks that are due, up
    /// to `RUN_CHUNKS`, and says when to come back.
    pub(super) fn scrub_step(&self) -> Step {
        for _ in 0..RUN_CHUNKS {
            if let Some(step) = self.scrub_once() {
                return step;
            }
        }
        Step::More
    }

    /// Reads the next chunk if it is due, and queues what it found. None
    /// when it read one and has nothing else to say.
    fn scrub_once(&self) -> Option<Step> {
        let s = &self.scrub;
        let rate = s.rate();
        if rate == 0 || s.suspended.load(Relaxed) {
            return Some(Step::Off);
        }
        let now = Ktime::ktime_get().to_ns();
        let due = s.due_ns.load(Relaxed);
        if now < due {
            return Some(Step::Later(ms_until(due - now)));
        }
        let g = &self.geometry;
        let (cb, total) = (chunk_blocks(g.block_size), chunks(g.main_blocks(), g.block_size));
        let pos = if s.pos() >= total { 0 } else { s.pos() };
        let first = pos * cb;
        let bs = self.layout.block_sectors;
        let sectors = (cb * bs).min(g.main_sectors - first * bs);
        // While main or the spare is down, the same chunk again later: what
        // it finds could not be moved.
        let down = (self.outages.is_down(Role::Main) && !self.answers(Role::Main, first))
            || (self.outages.is_down(Role::Spare) && !self.answers(Role::Spare, 0));
        let Some(mut queued) = (!down).then(|| self.scrub_chunk(first, sectors)).flatten() else {
            s.due_ns.store(now + PAUSE_NS, Relaxed);
            return Some(Step::Later(ms_until(PAUSE_NS)));
        };
        let next = pos + 1;
        s.pos.store(if next >= total { 0 } else { next }, Relaxed);
        if next - s.committed.load(Relaxed).min(next) >= COMMIT_CHUNKS || next >= total {
            s.committed.store(next % total, Relaxed);
            queued |= self.ask_worker(Kind::Commit);
        }
        let ios = s.user_ios.load(Relaxed);
        let busy = s.seen_ios.swap(ios, Relaxed) != ios;
        // Time lost while the worker did other things is made up, a little.
        let took = scrub::chunk_time_ns(sectors * 512, rate, busy) as i64;
        s.due_ns.store(due.max(now - MAX_CREDIT_NS) + took, Relaxed);
        queued.then_some(Step::Queued)
    }

    /// Reads `sectors` of main from block `first` (block by block, without
    /// the remapped ones, if any is, or if the whole read fails), and where
    /// its remapped blocks live (see `scrub_remapped`); queues the blocks
    /// that fail for relocation, and pending blocks that read for a retest.
    /// None if a device that failed does not answer; else whether it
    /// queued anything.
    fn scrub_chunk(&self, first: u64, sectors: u64) -> Option<bool> {
        let blocks = first..first + sectors.div_ceil(self.layout.block_sectors);
        let remapped = blocks.clone().any(|b| self.remaps.get(b).is_some());
        let mut failing = KVec::new();
        // (A suspend that began stops the chunk: it is read again later.)
        if !self.scrub_main(blocks.clone(), remapped, &mut failing) {
            return None;
        }
        let on_main = failing.len();
        let mut healed = KVec::new();
        if remapped {
            self.scrub_remapped(blocks, &mut failing, &mut healed);
        }
        let down = |&(b, spare): &(u64, Option<u32>)| match spare {
            None => !self.answers(Role::Main, b),
            Some(s) => !self.answers(Role::Spare, s.into()),
        };
        // The first failure on each device tells whether it answers.
        if failing[..on_main].first().is_some_and(down) || failing.get(on_main).is_some_and(down) {
            return None;
        }
        // Pending blocks that main reads again move with their data, as
        // when a user read retests them.
        let mut queued = false;
        for &block in healed.iter() {
            queued |= self.ask_worker(Kind::Retest { block });
        }
        for &(block, spare) in failing.iter() {
            if self.ask_worker(Kind::Scrub { block, spare }) {
                queued = true;
                self.scrub.found.fetch_add(1, Relaxed);
            }
        }
        if !failing.is_empty() && queued {
            pr_warn!("scrub: {} unreadable blocks from block {}: relocating\n", failing.len(), first);
            self.event();
        }
        Some(queued)
    }

    /// Reads main's `blocks` (at once if none is `remapped`, else, or if
    /// that fails, block by block without the remapped ones) and adds
    /// those that fail to `failing`; false if a suspend stopped it.
    fn scrub_main(&self, blocks: Range<u64>, remapped: bool, failing: &mut KVec<(u64, Option<u32>)>) -> bool {
        let bs = self.layout.block_sectors;
        let end = (blocks.end * bs).min(self.geometry.main_sectors);
        // Blocks already remapped are not read: main's copy of them is not
        // used, and a failing disk can take seconds per error, every pass.
        let fresh = |b: &u64| self.remaps.get(*b).is_none();
        let mut buf = self.scrub.buf.lock();
        if !remapped
            && buf.set_len(((end - blocks.start * bs) * 512) as usize).is_ok()
            && self.io.read(self.main, blocks.start * bs, &mut buf).is_ok()
        {
            return true;
        }
        for b in blocks.filter(fresh) {
            if self.suspending() {
                return false;
            }
            let len = bs.min(end - b * bs);
            let _ = buf.set_len((len * 512) as usize);
            if self.io.read(self.main, b * bs, &mut buf).is_ok() {
                continue;
            }
            // A block of which some sectors read stays on main, where they
            // keep reading (as for a user read).
            if self.any_unit_reads(self.main, b * bs, len, &mut buf) {
                continue;
            }
            // (Allocation failure: the block is found by a later pass.)
            let _ = failing.push((b, None), GFP_KERNEL);
        }
        !self.suspending()
    }

    /// Reads where the remapped ones of `blocks` live: the spare blocks of
    /// those readable as far as the table knows (adding those that fail
    /// to `failing`), and main for pending ones (adding those that read
    /// now to `healed`).
    fn scrub_remapped(&self, blocks: Range<u64>, failing: &mut KVec<(u64, Option<u32>)>, healed: &mut KVec<u64>) {
        let bs = self.layout.block_sectors;
        let mut buf = self.scrub.buf.lock();
        for b in blocks {
            let Some(r) = self.remaps.get(b).filter(|_| !self.suspending()) else { continue };
            let _ = buf.set_len((bs.min(self.geometry.main_sectors - b * bs) * 512) as usize);
            // (Allocation failures: the block is read again by a later pass.)
            match r.state {
                BlockState::Remapped => {
                    if self.io.read(self.spare, self.geometry.spare_sector(r.spare), &mut buf).is_err() {
                        let _ = failing.push((b, Some(r.spare)), GFP_KERNEL);
                    }
                }
                BlockState::Pending => {
                    if self.io.read(self.main, b * bs, &mut buf).is_ok() {
                        let _ = healed.push(b, GFP_KERNEL);
                    }
                }
                BlockState::Lost => {}
            }
        }
    }

    /// Queues a request of the worker's own (nobody waits for its reply);
    /// false if there was no memory for it.
    fn ask_worker(&self, kind: Kind) -> bool {
        let Ok(reply) = Reply::new() else { return false };
        self.requests.lock().push(Request { kind, reply }, GFP_KERNEL).is_ok()
    }
}
