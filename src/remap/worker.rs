//! The target's worker, on its own `WQ_MEM_RECLAIM` queue: it relocates
//! the blocks that messages ask for, brings rewritten lost blocks back,
//! moves pending blocks that main read again (retests), and commits.
//! Everything queued when it runs goes into one commit.

use super::copy::{Copied, Copier, CopyError};
use super::outage::Role;
use super::scrub::Step;
use super::stats::Cause;
use super::{IoState, MetaState, PerIo, Place, RemapTarget};
use crate::dm::{BioList, DmDev, FromEndIo, FromMap, HeldBio, TaskCtx};
use crate::remap_core::alloc::Allocator;
use crate::remap_core::format::{BlockState, Record};
use crate::remap_core::geometry;
use crate::remap_core::journal::CommitError;
use crate::remap_core::policy::{self, LevelTrigger};
use core::ops::Deref;
use core::sync::atomic::Ordering;
use kernel::alloc::KVVec;
use kernel::prelude::*;
use kernel::sync::{Arc, CondVar, Mutex};
use kernel::{new_condvar, new_mutex};

/// What a message asks the worker to do.
pub enum Kind {
    /// Relocate `count` blocks from main block `first`.
    Remap { first: u64, count: u64 },
    /// Write a commit even if nothing changed.
    Commit,
    /// Relocate a block the scrub could not read (see `scrub`): on main,
    /// or (`spare`) in the spare block it lives in.
    Scrub { block: u64, spare: Option<u32> },
    /// Move a pending block that main read again for the scrub with its
    /// data, as a retested read does.
    Retest { block: u64 },
}

/// What the worker did for a request.
#[derive(Default)]
pub struct Outcome {
    /// Blocks newly relocated, `lost` of which could not be read.
    pub remapped: u64,
    pub lost: u64,
    /// Blocks left on main because only some of their sectors read.
    pub partly: u64,
    /// Blocks at the end not reached: a suspend began (see `presuspend`).
    pub left: u64,
    /// Sequence number of the commit that holds them.
    pub seq: u64,
}

/// The worker's answer: an outcome or why the request was refused.
pub type Answer = Result<Outcome, &'static str>;

/// Where the worker delivers a request's answer.
#[pin_data]
pub struct Reply {
    #[pin]
    answer: Mutex<Option<Answer>>,
    #[pin]
    cv: CondVar,
}

impl Reply {
    pub fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self { answer <- new_mutex!(None, "dm_remap_reply"), cv <- new_condvar!("dm_remap_reply") }),
            GFP_KERNEL,
        )
    }

    fn send(&self, a: Answer) {
        *self.answer.lock() = Some(a);
        self.cv.notify_all();
    }

    /// Waits for the answer (process context).
    pub fn wait(&self) -> Answer {
        let mut g = self.answer.lock();
        loop {
            if let Some(a) = g.take() {
                return a;
            }
            self.cv.wait(&mut g);
        }
    }
}

/// A message's request to the worker.
pub struct Request {
    pub kind: Kind,
    pub reply: Arc<Reply>,
}

/// A `remap` (or scrub) request accepted into a batch.
struct Planned {
    reply: Arc<Reply>,
    /// The scrub's: its blocks count as read errors, not as requested.
    scrub: bool,
    /// The spare block the scrub could not read: the block moves from
    /// there, not from main.
    from_spare: Option<u32>,
    /// Main blocks `[first, end)`.
    first: u64,
    end: u64,
    outcome: Outcome,
    error: Option<&'static str>,
}

/// What a batch took from its requests (see `Work::accept`).
struct Accepted {
    plan: KVec<Planned>,
    /// Main blocks the plan relocates, to hold writes to.
    ranges: KVec<(u64, u64)>,
    /// Pending blocks to retest (held too).
    retests: KVec<u64>,
    commit_replies: KVec<Arc<Reply>>,
}

pub(super) const NOMEM: &str = "out of memory";
const MAIN_DOWN: &str = "the main device does not answer";
const SPARE_DOWN: &str = "the spare device does not answer";

/// The target as its work sees it, with the devices and the context that
/// the `dm` layer lends it for one run.
pub(super) struct Work<'a> {
    t: &'a RemapTarget,
    ctx: &'a TaskCtx<'a>,
    pub(super) main: &'a DmDev,
    pub(super) spare: &'a DmDev,
}

impl Deref for Work<'_> {
    type Target = RemapTarget;
    fn deref(&self) -> &RemapTarget {
        self.t
    }
}

impl<'a> Work<'a> {
    pub(super) fn new(t: &'a RemapTarget, ctx: &'a TaskCtx<'a>) -> Self {
        Self { t, ctx, main: ctx.dev(t.main), spare: ctx.dev(t.spare) }
    }

    /// Runs until nothing is queued: failed bios, then messages' requests
    /// and revived blocks.
    pub(super) fn run(&self) {
        loop {
            self.reprobe();
            // Failed I/O first: its bios wait, and users with them.
            let failed = self.failed.lock().take();
            let idle = failed.is_empty();
            if !idle {
                self.recover(failed);
            }
            let requests = core::mem::take(&mut *self.requests.lock());
            let revived = self.revived.lock().take();
            let retested = self.retested.lock().take();
            if requests.is_empty() && revived.is_empty() && retested.is_empty() {
                if !idle {
                    continue;
                }
                // Nothing else to do: the scrub's turn.
                match self.scrub_step() {
                    Step::Queued => continue,
                    Step::More => self.ctx.kick(),
                    Step::Later(ms) => self.ctx.kick_after(ms),
                    Step::Off => {}
                }
                return;
            }
            self.batch(requests, revived, retested);
        }
    }

    /// Handles one batch: relocations, revived blocks, retested blocks and
    /// commit requests, in one commit.
    fn batch(
        &self,
        requests: KVec<Request>,
        mut revived: BioList<PerIo, FromEndIo>,
        mut retested: BioList<PerIo, FromEndIo>,
    ) {
        let mut meta = self.meta.lock();
        let mut alloc = Allocator::new(meta.sb().alloc_next, self.geometry.spare_blocks);
        let Accepted { mut plan, mut ranges, retests, commit_replies } = self.accept(requests, &alloc);
        let retests = retest_blocks(&mut retested, &mut ranges, retests);

        // Relocate: hold writes to the blocks, wait for those in flight,
        // copy.
        let mut records = KVVec::new();
        let gated = !ranges.is_empty();
        if gated {
            self.hold(ranges);
            // Writes that revived a block meanwhile belong to this batch.
            let mut late = self.revived.lock().take();
            while let Some(bio) = late.pop() {
                revived.push(bio);
            }
            records = self.relocate_all(&mut plan, &mut alloc);
        }
        let mut revive = self.revive(revived, &mut records);
        let recovered = self.retest(&retests, &mut records);

        let causes = causes(&plan, recovered);
        let committed = self.commit(&mut meta, &mut records, &alloc, !commit_replies.is_empty(), &causes);
        drop(meta);
        self.raise_events();

        if gated {
            self.release();
        }
        while let Some(bio) = revive.pop() {
            match committed {
                Ok(_) => bio.complete(),
                Err(_) => bio.fail(),
            }
        }
        // Their data came from main, moved or not.
        while let Some(bio) = retested.pop() {
            bio.complete();
        }
        for p in plan {
            let answer = match (p.error, committed) {
                (Some(e), _) | (None, Err(e)) => Err(e),
                (None, Ok(seq)) => Ok(Outcome { seq, ..p.outcome }),
            };
            p.reply.send(answer);
        }
        for r in commit_replies {
            r.send(committed.map(|seq| Outcome { seq, ..Outcome::default() }));
        }
    }

    /// Takes the batch's requests: `remap` requests that can be done (the
    /// rest are answered now), with room reserved for them, and the
    /// replies of commit requests.
    fn accept(&self, requests: KVec<Request>, alloc: &Allocator) -> Accepted {
        let mut a =
            Accepted { plan: KVec::new(), ranges: KVec::new(), retests: KVec::new(), commit_replies: KVec::new() };
        let mut fresh_total = 0;
        for r in requests {
            let (first, end, from_spare) = match r.kind {
                Kind::Commit => {
                    if a.commit_replies.push(r.reply.clone(), GFP_KERNEL).is_err() {
                        r.reply.send(Err(NOMEM));
                    }
                    continue;
                }
                // (Nobody waits for the scrub's reply; a block without
                // room is retested by a later pass.)
                Kind::Retest { block } => {
                    if a.ranges.push((block, block + 1), GFP_KERNEL).is_ok() {
                        let _ = a.retests.push(block, GFP_KERNEL);
                    }
                    continue;
                }
                Kind::Remap { first, count } => (first, first + count, None),
                Kind::Scrub { block, spare } => (block, block + 1, spare),
            };
            let scrub = matches!(r.kind, Kind::Scrub { .. });
            let planned = self.plan(first, end, from_spare, &a.plan, alloc.free() - fresh_total).and_then(|fresh| {
                self.remaps.reserve((fresh_total + fresh) as usize).map_err(|_| NOMEM)?;
                a.ranges.push((first, end), GFP_KERNEL).map_err(|_| NOMEM)?;
                a.plan.reserve(1, GFP_KERNEL).map_err(|_| NOMEM)?;
                Ok(fresh)
            });
            match planned {
                Ok(fresh) => {
                    fresh_total += fresh;
                    let outcome = Outcome::default();
                    let p = Planned { reply: r.reply, scrub, from_spare, first, end, outcome, error: None };
                    // Room was reserved above.
                    let _ = a.plan.push(p, GFP_KERNEL);
                }
                Err(e) => r.reply.send(Err(e)),
            }
        }
        a
    }

    /// Queues the records that make rewritten lost blocks good again;
    /// returns their writes, to complete once committed.
    fn revive(&self, mut revived: BioList<PerIo, FromEndIo>, records: &mut KVVec<Record>) -> BioList<PerIo, FromEndIo> {
        let mut revive = BioList::new();
        while let Some(mut bio) = revived.pop() {
            let IoState::Revived { block } = bio.per_bio().state else {
                bio.fail();
                continue;
            };
            if let Some(r) = self.remaps.get(block) {
                let queued = records.iter().any(|q: &Record| q.main == block);
                if r.state.is_unreadable() && !queued {
                    let good = Record { state: BlockState::Remapped, ..r };
                    if records.push(good, GFP_KERNEL).is_err() {
                        bio.fail();
                        continue;
                    }
                }
            }
            revive.push(bio);
        }
        revive
    }

    /// Checks a request to relocate main blocks `[first, end)` (from main,
    /// or from spare block `from_spare`); returns how many of them need a
    /// spare block (see `movable`).
    fn plan(
        &self,
        first: u64,
        end: u64,
        from_spare: Option<u32>,
        earlier: &[Planned],
        free: u64,
    ) -> Result<u64, &'static str> {
        self.may_commit()?;
        let fresh = (first..end).filter(|&b| self.movable(b, from_spare, earlier)).count() as u64;
        if fresh > free {
            if free == 0 {
                self.set_state(MetaState::Full);
            }
            return Err("not enough free spare blocks");
        }
        Ok(fresh)
    }

    /// Whether `block` still needs the move asked for: from main, if it is
    /// not remapped; from spare block `from_spare`, if it still lives
    /// there, readable as far as the table knows. Either way not if an
    /// earlier request of the batch moves it.
    fn movable(&self, block: u64, from_spare: Option<u32>, earlier: &[Planned]) -> bool {
        let now = self.remaps.get(block);
        let here = match from_spare {
            None => now.is_none(),
            Some(s) => now.is_some_and(|r| r.spare == s && r.state == BlockState::Remapped),
        };
        here && !earlier.iter().any(|p| (p.first..p.end).contains(&block))
    }

    /// Relocates the blocks of `plan` with spare blocks from `alloc`;
    /// returns their records. If a device turned out to be down, the
    /// batch consumes and records nothing, and every request fails with
    /// that reason (the metadata stays as it was).
    fn relocate_all(&self, plan: &mut [Planned], alloc: &mut Allocator) -> KVVec<Record> {
        let start = *alloc;
        let mut records = KVVec::new();
        for i in 0..plan.len() {
            let (done, rest) = plan.split_at_mut(i);
            self.relocate(&mut rest[0], done, alloc, &mut records);
        }
        let Some(down) = plan.iter().find_map(|p| p.error.filter(|&e| e == MAIN_DOWN || e == SPARE_DOWN)) else {
            return records;
        };
        *alloc = start;
        for p in plan.iter_mut() {
            p.error.get_or_insert(down);
            p.outcome = Outcome::default();
        }
        KVVec::new()
    }

    /// Copies the fresh blocks of `p` to newly allocated spare blocks and
    /// queues their records. Runs of consecutive fresh blocks get
    /// consecutive spare blocks; a block of which only some sectors read
    /// stays on main (see `Copied::Partly`).
    fn relocate(&self, p: &mut Planned, earlier: &[Planned], alloc: &mut Allocator, records: &mut KVVec<Record>) {
        if self.suspending() {
            p.outcome.left = p.end - p.first;
            return;
        }
        if let Some(old) = p.from_spare {
            return self.rescue(p, old, earlier, alloc, records);
        }
        let mut mine = KVVec::new();
        let mut copier = Copier::new(self);
        let mut block = p.first;
        while block < p.end {
            if !self.movable(block, None, earlier) {
                block += 1;
                continue;
            }
            let run =
                (block..p.end).take(copier.chunk_blocks).take_while(|&b| self.movable(b, None, earlier)).count() as u64;
            let spare = alloc.next();
            let result = match alloc.take(run).map(|spare| copier.copy(block, run, spare)) {
                // Checked while planning: there are enough free blocks.
                None => Err("not enough free spare blocks"),
                // A suspend began: the rest is left (what was copied is
                // committed).
                Some(Err(CopyError::Cut)) => {
                    alloc.give_back(run, spare);
                    p.outcome.left = p.end - block;
                    break;
                }
                Some(r) => r.map_err(|e| match e {
                    CopyError::Spare if !self.answers(Role::Spare, spare) => SPARE_DOWN,
                    CopyError::Spare => "cannot write to the spare device",
                    _ => NOMEM,
                }),
            };
            // Unreadable blocks are lost only if main answers other I/O.
            let result = result.and_then(|found| match found.contains(&Copied::Unreadable) {
                true if !self.answers(Role::Main, block) => Err(MAIN_DOWN),
                _ => Ok(found),
            });
            if let Err(e) = result.and_then(|found| self.record_run(p, (block, spare), &found, alloc, &mut mine)) {
                // Nothing of this request is committed (the batch gives its
                // spare blocks back if a device is down).
                p.error = Some(e);
                p.outcome = Outcome::default();
                return;
            }
            block += run;
        }
        if records.extend_from_slice(&mine, GFP_KERNEL).is_err() {
            p.error = Some(NOMEM);
            p.outcome = Outcome::default();
            return;
        }
        p.outcome.remapped = mine.len() as u64;
    }

    /// Adds to `mine` the records of a run of main blocks from `block`
    /// copied to spare blocks from `spare`, as `found`; the spare blocks
    /// of partly readable blocks at its end go back to `alloc`.
    fn record_run(
        &self,
        p: &mut Planned,
        (block, spare): (u64, u64),
        found: &[Copied],
        alloc: &mut Allocator,
        mine: &mut KVVec<Record>,
    ) -> Result<(), &'static str> {
        let unused = found.iter().rev().take_while(|&&c| c == Copied::Partly).count();
        alloc.give_back(unused as u64, spare);
        for (i, c) in found.iter().enumerate() {
            let state = match c {
                Copied::Moved => BlockState::Remapped,
                Copied::Unreadable => BlockState::Pending,
                Copied::Partly => {
                    p.outcome.partly += 1;
                    continue;
                }
            };
            let r = Record { main: block + i as u64, spare: (spare + i as u64) as u32, state };
            mine.push(r, GFP_KERNEL).map_err(|_| NOMEM)?;
            p.outcome.lost += u64::from(state.is_unreadable());
        }
        Ok(())
    }

    /// Moves the block of `p` out of spare block `old`, which the scrub
    /// could not read, to a new spare block: with its data if `old` reads
    /// on a retry, else as lost (reads fail until a
    /// write of the whole block), as a user read's failure would.
    fn rescue(
        &self,
        p: &mut Planned,
        old: u32,
        earlier: &[Planned],
        alloc: &mut Allocator,
        records: &mut KVVec<Record>,
    ) {
        let block = p.first;
        if !self.movable(block, Some(old), earlier) {
            return;
        }
        let moved = match alloc.take(1) {
            // Checked while planning: there is a free block.
            None => Err("not enough free spare blocks"),
            Some(new) => match Copier::new(self).rescue(block, old, new) {
                Err(CopyError::NoMem | CopyError::Cut) => Err(NOMEM),
                Err(CopyError::Spare) if !self.answers(Role::Spare, new) => Err(SPARE_DOWN),
                Err(CopyError::Spare) => Err("cannot write to the spare device"),
                Ok(state) if state.is_unreadable() && !self.answers(Role::Spare, old.into()) => Err(SPARE_DOWN),
                Ok(state) => Ok(Record { main: block, spare: new as u32, state }),
            },
        };
        match moved.and_then(|r| records.push(r, GFP_KERNEL).map(|()| r).map_err(|_| NOMEM)) {
            Ok(r) => {
                p.outcome = Outcome { remapped: 1, lost: u64::from(r.state.is_unreadable()), ..Outcome::default() }
            }
            Err(e) => p.error = Some(e),
        }
    }

    /// Moves the pending `blocks` that main read again to their spare
    /// blocks, with their data, unless this batch already changed them (a
    /// write revived them); returns how many moved. Writes to the blocks
    /// are held.
    fn retest(&self, blocks: &[u64], records: &mut KVVec<Record>) -> u64 {
        if self.may_commit().is_err() {
            return 0;
        }
        let mut copier = Copier::new(self);
        let mut moved = 0;
        for &block in blocks {
            let Some(r) = self.remaps.get(block).filter(|r| r.state == BlockState::Pending) else {
                continue;
            };
            if records.iter().any(|q| q.main == block) {
                continue;
            }
            let read = copier.copy(block, 1, r.spare.into()).is_ok_and(|s| s.first() == Some(&Copied::Moved));
            if read && records.push(Record { state: BlockState::Remapped, ..r }, GFP_KERNEL).is_ok() {
                moved += 1;
            }
        }
        moved
    }

    /// Whether the metadata may be written at all.
    pub(super) fn may_commit(&self) -> Result<(), &'static str> {
        if self.state_is(MetaState::ReadOnly) {
            return Err("the table is read-only");
        }
        if self.state_is(MetaState::Failed) {
            return Err("metadata failed earlier; reload the table");
        }
        Ok(())
    }

    /// Every path that changes blocks (messages, revived and retested
    /// blocks, recovery) goes through these stages: `hold` the blocks,
    /// change them, `commit`, raise events, `release`, then complete the
    /// bios that depended on the commit.
    ///
    /// Holds writes to main blocks in `ranges` and waits for those in
    /// flight.
    pub(super) fn hold(&self, ranges: KVec<(u64, u64)>) {
        self.gate.close(ranges);
        self.tracker.drain();
    }

    /// Sends the held writes where the table says now (the old place, if
    /// the commit failed: nothing moved then).
    pub(super) fn release(&self) {
        let mut held = self.gate.open();
        while let Some(bio) = held.pop() {
            self.resubmit(bio);
        }
    }

    /// Commits `records` with the allocator at `alloc` and puts them in the
    /// remap table, counting `causes` (relocations by `Cause`); returns the
    /// commit's sequence number. With nothing to
    /// commit (no record, the allocator where it was), writes nothing
    /// unless `always`. If a write of the commit failed (and the spare
    /// answers other I/O, or there was something to record), the slot may or
    /// may not be on disk: the blocks are fenced (recorded as lost in the
    /// table, so that no I/O reaches them) until a reload reads which way
    /// it went.
    pub(super) fn commit(
        &self,
        meta: &mut super::Metadata,
        records: &mut [Record],
        alloc: &Allocator,
        always: bool,
        causes: &[u64; 4],
    ) -> Result<u64, &'static str> {
        let unchanged = records.is_empty() && alloc.next() == meta.sb().alloc_next;
        if unchanged && !always {
            return Ok(meta.sb().seq);
        }
        self.may_commit()?;
        // The table's next version exists before anything is committed
        // (none is needed for no record: a copy of the table is large).
        if !records.is_empty() {
            self.remaps.reserve(records.len()).map_err(|_| NOMEM)?;
        }
        let scrub_pos = u32::try_from(self.scrub.pos()).unwrap_or(u32::MAX);
        match meta.commit(&self.io, self.spare, records, alloc.next(), scrub_pos, causes) {
            Ok(()) => {
                self.stats.count_committed(causes, &meta.sb().relocated);
                // For a reload of this device to check it loads this.
                self.spare.set_claim_note(meta.sb().seq);
                // Room was reserved above: this cannot fail.
                if self.remaps.insert(records).is_err() {
                    pr_err!("remap table insert failed after commit\n");
                }
                self.spare_used.store(alloc.next(), Ordering::Relaxed);
                if alloc.free() == 0 {
                    self.set_state(MetaState::Full);
                }
                Ok(meta.sb().seq)
            }
            Err(CommitError::LogFull) => {
                self.set_state(MetaState::Full);
                Err("the metadata log is full")
            }
            // Nothing to record but the scrub's position, and the spare
            // answers no I/O: an outage, not failed metadata. The slot
            // written is not the last commit's; the next commit writes it
            // again.
            Err(CommitError::Io(_)) if unchanged && !self.answers(Role::Spare, 0) => Err(SPARE_DOWN),
            Err(CommitError::Io(_)) => {
                pr_err!("metadata commit failed: no more remaps until the table is reloaded\n");
                self.set_state(MetaState::Failed);
                self.fence(records);
                Err("metadata commit failed")
            }
        }
    }

    /// Fences the blocks of a failed commit (which may or may not be on
    /// disk) until a reload reads which way it went: writes to them fail.
    /// A block the commit moved off main keeps reading there (see
    /// `Fence`); one that lived in a spare block, or was pending, is
    /// recorded as lost (no I/O reaches it). Without memory for the fence,
    /// every block is recorded as lost.
    fn fence(&self, records: &mut [Record]) {
        // Blocks off main first.
        records.sort_unstable_by_key(|r| self.remaps.get(r.main).is_some());
        let off_main = records.iter().take_while(|r| self.remaps.get(r.main).is_none()).count();
        let mut blocks = KVec::new();
        let fenced = blocks.reserve(off_main, GFP_KERNEL).is_ok()
            && records[..off_main].iter().all(|r| blocks.push(r.main, GFP_KERNEL).is_ok())
            && self.fence.add(&blocks).is_ok();
        let lost = if fenced { &mut records[off_main..] } else { records };
        lost.iter_mut().for_each(|r| r.state = BlockState::Lost);
        // Room was reserved (see `commit`).
        let _ = self.remaps.insert(lost);
    }

    /// Raises one table event if a condition newly holds: spare usage
    /// crossed a level of `SPARE_LEVELS`, the first block with lost data
    /// appeared, or metadata failed. Edge-triggered: a condition that
    /// still holds raises nothing more (worker only, after a batch).
    pub(super) fn raise_events(&self) {
        let level = policy::spare_level(self.spare_used.load(Ordering::Relaxed), self.geometry.spare_blocks);
        let mut trigger = LevelTrigger::at(self.spare_level.load(Ordering::Relaxed));
        let mut fire = trigger.update(level);
        self.spare_level.store(level, Ordering::Relaxed);
        let pending = self.remaps.unreadable() > 0;
        fire |= pending && !self.pending_reported.swap(pending, Ordering::Relaxed);
        if !pending {
            self.pending_reported.store(false, Ordering::Relaxed);
        }
        fire |= self.state_is(MetaState::Failed) && !self.failure_reported.swap(true, Ordering::Relaxed);
        if fire {
            self.ctx.raise_event();
        }
    }

    /// Raises a table event.
    pub(super) fn event(&self) {
        self.ctx.raise_event();
    }

    /// Sends a write that the gate held (it lies within one block) where
    /// the remap table says now.
    pub(super) fn resubmit(&self, mut bio: HeldBio<PerIo, FromMap>) {
        let Some(sector) = geometry::target_offset(self.begin, bio.sector()) else {
            bio.fail();
            return;
        };
        let sectors = bio.sectors();
        let (len, place) = self.place(sector, sectors, bio.op());
        if len != sectors {
            bio.fail();
            return;
        }
        bio.per_bio().state = IoState::Write { write: self.tracker.enter() };
        match place {
            Place::Main(s) => {
                bio.per_bio().redo_at = sector;
                bio.submit(self.main, s);
            }
            Place::Spare(s) => {
                bio.per_bio().redo_at = sector;
                bio.submit(self.spare, s);
            }
            Place::Revive(block, s) => {
                let state = &mut bio.per_bio().state;
                if let IoState::Write { write } = core::mem::replace(state, IoState::Plain) {
                    *state = IoState::Revive { write, block };
                }
                bio.submit(self.spare, s);
            }
            // (A write is never a retest.)
            Place::Retest(_) | Place::Fail => {
                self.untrack(bio.per_bio());
                bio.fail();
            }
        }
    }
}

/// `blocks` (the scrub's) and those of `Retest` reads, each once, with the
/// reads' ranges added to `ranges` (a block that finds no room is not
/// moved; its read still completes).
fn retest_blocks(
    reads: &mut BioList<PerIo, FromEndIo>,
    ranges: &mut KVec<(u64, u64)>,
    mut blocks: KVec<u64>,
) -> KVec<u64> {
    let mut all = BioList::new();
    while let Some(mut bio) = reads.pop() {
        if let IoState::Retest { block } = bio.per_bio().state {
            if !blocks.contains(&block)
                && ranges.reserve(1, GFP_KERNEL).is_ok()
                && blocks.push(block, GFP_KERNEL).is_ok()
            {
                // Room was reserved.
                let _ = ranges.push((block, block + 1), GFP_KERNEL);
            }
        }
        all.push(bio);
    }
    *reads = all;
    blocks
}

/// A batch's relocations by `Cause`: the scrub's blocks as a user read's
/// failure (pending, or moved with the data read on the retry), the
/// `remap` message's as requested, and the retests' recovered reads.
fn causes(plan: &[Planned], recovered: u64) -> [u64; 4] {
    let mut by = [0; 4];
    for p in plan.iter().filter(|p| p.error.is_none()) {
        let o = &p.outcome;
        if p.scrub {
            by[Cause::ReadError as usize] += o.lost;
            by[Cause::RecoveredRead as usize] += o.remapped - o.lost;
        } else {
            by[Cause::Message as usize] += o.remapped;
        }
    }
    by[Cause::RecoveredRead as usize] += recovered;
    by
}
