//! Automatic remapping: the worker redoes reads and writes that failed
//! with a media error (see `policy::classify`), block by block, where each
//! block lives: on main, or in its spare block (a spare block that fails
//! is replaced by another one like a main block that fails).
//!
//! For each batch of failed bios, the worker
//! 1. holds new writes to their blocks (the gate) and waits for writes in
//!    flight, as a relocation by message does;
//! 2. redoes each bio a block at a time:
//!    - a write is written to main again; a block whose write fails moves
//!      to a new spare block with the bio's data (a write of part of a
//!      block completes it with the rest read from main; if that cannot be
//!      read, the block is recorded as lost and the bio fails);
//!    - a read is read again, up to `read_retries` times; a block that
//!      reads on a retry moves to spare with the data read (a recovered
//!      error), one that never does is recorded as lost ("pending"): the
//!      bio fails, and so do later reads, until a write of the whole block;
//! 3. commits every move of the batch in one commit, and only then
//!    completes the bios: a write succeeds once its data is durable in its
//!    new home;
//! 4. opens the gate: held writes follow the new table.
//!
//! A spare block whose write fails is retired (the allocator never hands
//! it out again, and the commit records its position) and the next one is
//! tried.
//!
//! None of this happens while a device does not answer at all (see
//! `outage`): the errors pass up, and a batch during which a device went
//! down keeps nothing. If the commit fails, its blocks are fenced: the in-memory table
//! records them as lost, so no I/O reaches them until a reload finds out
//! from the metadata which way the commit went.

use super::outage::Role;
use super::stats::Cause;
use super::worker::{Work, NOMEM};
use super::{MetaState, PerIo, RemapTarget};
use crate::dm::{sleep_ms, BioList, DmDev, FromEndIo, HeldBio, IoBuf, Op, Write};
use crate::remap_core::alloc::Allocator;
use crate::remap_core::format::{BlockState, Record};
use crate::remap_core::route::block_pieces;
use kernel::alloc::KVVec;
use kernel::prelude::*;
use kernel::rbtree::RBTree;
use kernel::time::Ktime;

/// Spare blocks tried for one block before giving up on the spare.
const SPARE_ATTEMPTS: u32 = 8;

/// Pause before each retry of a failed read: a device that is recovering
/// (resetting a link, re-reading with other parameters) gets a moment.
const RETRY_DELAY_MS: u32 = 20;

/// Where a main block lives during a batch.
#[derive(Clone, Copy)]
enum Home {
    /// On main, from this sector.
    Main(u64),
    /// In a spare block, from this spare sector.
    Spare(u64),
    /// Lost, with this spare block reserved for its next whole write.
    Lost(u32),
}

impl Home {
    /// The state of a block found unreadable here: pending while main
    /// holds its data (a later read retests it), else lost.
    fn unreadable(self) -> BlockState {
        match self {
            Home::Main(_) => BlockState::Pending,
            Home::Spare(_) | Home::Lost(_) => BlockState::Lost,
        }
    }
}

/// The buffers of the redo, made at construction so that the error path
/// allocates no data buffer (each is a block long; see `IoBuf::set_len`).
pub struct RedoBufs {
    /// A whole block.
    full: IoBuf,
    /// The part of a block a bio covers.
    piece: IoBuf,
    /// One logical block of a device.
    unit: IoBuf,
}

impl RedoBufs {
    pub fn new(block_size: u32) -> Result<Self> {
        let len = block_size as usize;
        Ok(Self { full: IoBuf::new(len)?, piece: IoBuf::new(len)?, unit: IoBuf::new(len)? })
    }
}

/// How a failed bio ended up.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Redo {
    /// Redone: succeeds once the batch is committed.
    Done,
    /// Fails with an I/O error.
    Failed,
    /// Its redo could not allocate: tried again in a later batch (see
    /// `NOMEM_TRIES`).
    NoMem,
}

/// Batches a bio whose redo could not allocate goes through before it
/// fails, `NOMEM_DELAY_MS` apart: memory that reclaim frees meanwhile lets
/// it relocate instead of failing.
const NOMEM_TRIES: u8 = 8;

/// Failed bios in one batch from which a read that fails and then reads
/// moves nothing (see `Moves::many`).
const LINK_BIOS: usize = 8;
const NOMEM_DELAY_MS: u32 = 20;

/// A failed bio of a batch, and how its redo ended up.
type Failed = (HeldBio<PerIo, FromEndIo>, Redo);

/// The moves of one batch, not yet committed.
struct Moves {
    alloc: Allocator,
    records: KVVec<Record>,
    /// The index in `records` of each main block's latest move (an error
    /// storm's lookups stay logarithmic).
    latest: RBTree<u64, usize>,
    /// Spare blocks whose write failed, skipped for good.
    retired: u64,
    /// Moves by cause (see `Cause`), counted once committed.
    causes: [u64; 4],
    /// The batch holds `LINK_BIOS` failed bios or more: errors on that
    /// many places at once are a link's, not a scratch's.
    many: bool,
}

impl Moves {
    /// The current home of main block `block`: a move of this batch, or
    /// the remap table.
    fn lookup(&self, e: &RemapTarget, block: u64) -> Option<Record> {
        self.latest.get(&block).map(|&i| self.records[i]).or_else(|| e.remaps.get(block))
    }

    /// Records a move of main block `main` to spare block `spare`.
    fn push(&mut self, main: u64, spare: u32, state: BlockState, cause: Option<Cause>) -> Result {
        self.latest.try_create_and_insert(main, self.records.len(), GFP_KERNEL)?;
        self.records.push(Record { main, spare, state }, GFP_KERNEL)?;
        if let Some(c) = cause {
            self.causes[c as usize] += 1;
        }
        Ok(())
    }
}

/// What reading part of a block a sector at a time found.
#[derive(Clone, Copy)]
struct Units {
    /// Every sector read.
    all: bool,
    /// Some sector read.
    any: bool,
}

impl Units {
    /// The same for two parts together.
    fn and(self, other: Units) -> Units {
        Units { all: self.all && other.all, any: self.any || other.any }
    }
}

/// Sectors `[start, end)` of main (target sectors) in one block.
#[derive(Clone, Copy)]
struct Piece {
    start: u64,
    end: u64,
}

impl Piece {
    /// Bytes of data in the piece.
    fn len(&self) -> usize {
        ((self.end - self.start) * 512) as usize
    }
}

impl Work<'_> {
    /// Redoes bios that failed on main with a media error, in one commit.
    pub(super) fn recover(&self, failed: BioList<PerIo, FromEndIo>) {
        let (mut bios, ranges) = self.take_failed(failed);
        let mut meta = self.meta.lock();
        // A device that does not answer at all is down, not failing
        // sectors: its errors pass up and nothing is recorded.
        let near = bios.first().map_or(0, |(bio, _)| self.blocks_of(bio).0);
        if self.may_commit().is_err() || self.state_is(MetaState::Full) || !self.both_answer(near) {
            drop(meta);
            for (bio, _) in bios {
                self.finish(bio, Redo::Failed);
            }
            return;
        }
        // No write may reach these blocks while they move.
        self.hold(ranges);
        let many = bios.len() >= LINK_BIOS;
        let fresh = || Moves {
            alloc: Allocator::new(meta.sb().alloc_next, self.geometry.spare_blocks),
            records: KVVec::new(),
            latest: RBTree::new(),
            retired: 0,
            causes: [0; 4],
            many,
        };
        let mut moves = fresh();
        self.redo_all(&mut bios, &mut moves);
        // A block found unreadable, or a spare block that failed a write,
        // counts only if the devices still answer (an outage may have
        // begun during the batch): else nothing of the batch is kept.
        let suspect = moves.retired > 0 || moves.records.iter().any(|r| r.state.is_unreadable());
        if suspect && !self.both_answer(near) {
            moves = fresh();
            bios.iter_mut().for_each(|(_, redo)| *redo = Redo::Failed);
        }
        if moves.alloc.free() == 0 {
            self.set_state(MetaState::Full);
        }
        // Commit the moves (and retired spare blocks) before any bio that
        // depends on them completes (a failed write fences the blocks).
        let committed = self.commit(&mut meta, &mut moves.records, &moves.alloc, false, &moves.causes).map(|_| ());
        drop(meta);
        if moves.retired > 0 {
            pr_warn!("retired {} spare blocks that failed a write\n", moves.retired);
        }
        self.raise_events();
        self.release();
        self.complete_redone(bios, committed);
    }

    /// Takes the failed bios, rewound to where they were sent, with the
    /// main blocks each covers; a bio without room fails its batch (for
    /// want of memory: it comes back, see `finish`).
    fn take_failed(&self, mut failed: BioList<PerIo, FromEndIo>) -> (KVec<Failed>, KVec<(u64, u64)>) {
        let mut bios = KVec::new();
        let mut ranges = KVec::new();
        while let Some(mut bio) = failed.pop() {
            // Back to where it was sent: its completion advanced it.
            bio.rewind();
            let (first, end) = self.blocks_of(&bio);
            if bios.reserve(1, GFP_KERNEL).is_err() || ranges.push((first, end), GFP_KERNEL).is_err() {
                self.finish(bio, Redo::NoMem);
                continue;
            }
            // Room was reserved above.
            let _ = bios.push((bio, Redo::Failed), GFP_KERNEL);
        }
        (bios, ranges)
    }

    /// Redoes each failed bio, noting how it ended up.
    fn redo_all(&self, bios: &mut [Failed], moves: &mut Moves) {
        for (bio, redo) in bios.iter_mut() {
            let r = match bio.op() {
                Op::Read => self.redo_read(bio, moves),
                _ => self.redo_write(bio, moves),
            };
            *redo = match r {
                Ok(r) => r,
                Err(e) if e == ENOMEM => Redo::NoMem,
                Err(_) => Redo::Failed,
            };
        }
    }

    /// Completes the redone bios once their batch's commit ended as
    /// `committed` (not committed for want of memory: the batch is redone).
    fn complete_redone(&self, bios: KVec<Failed>, committed: Result<(), &'static str>) {
        let nomem = committed == Err(NOMEM);
        let mut again = false;
        for (bio, redo) in bios {
            let redo = match (redo, committed, bio.op()) {
                // A read's data is right whether or not its moves were
                // committed.
                (Redo::Done, _, Op::Read) | (Redo::Done, Ok(()), _) => Redo::Done,
                (Redo::Done, _, _) if nomem => Redo::NoMem,
                (redo, ..) if redo != Redo::Done => redo,
                _ => Redo::Failed,
            };
            again |= self.finish(bio, redo);
        }
        if again {
            sleep_ms(NOMEM_DELAY_MS);
        }
    }

    /// After a read of main block `block` at `home` that failed `failures`
    /// times before it read (into `full`): a recovered error moves the
    /// block while its data can still be read, unless the link is the
    /// likelier culprit (then nothing moves; counted as an ignored error).
    fn recovered(&self, home: Home, block: u64, failures: u32, moves: &mut Moves, full: &mut IoBuf) -> Result {
        if failures == 0 {
            return Ok(());
        }
        if self.link_suspect(home, moves) {
            self.stats.count_ignored();
        } else if let Some(spare) = self.store_on_spare(moves, full) {
            moves.push(block, spare, BlockState::Remapped, Some(Cause::RecoveredRead))?;
        }
        Ok(())
    }

    /// For a block at `home` that does not read whole: reads it a sector
    /// at a time into `full`; `all` when the sectors of piece `p` all
    /// read, `any` when any sector of the block does.
    fn sectors_read(&self, home: Home, p: Piece, full: &mut IoBuf, unit: &mut IoBuf) -> Result<Units> {
        let bs = self.layout.block_sectors;
        let block = p.start / bs;
        let (from, to) = (p.start - block * bs, p.end - block * bs);
        let asked = self.read_units(home, full, unit, from, to)?;
        if asked.all {
            return Ok(asked);
        }
        let blen = self.block_len(block);
        let rest = self.read_units(home, full, unit, 0, from)?.and(self.read_units(home, full, unit, to, blen)?);
        Ok(Units { all: false, any: asked.any || rest.any })
    }

    /// Whether a read of the block at `home` that failed and then read
    /// is more likely its device's link's error than its media's: the
    /// batch holds errors from many places, or the device went down or
    /// came back a moment ago (see `Outages::unsettled`).
    fn link_suspect(&self, home: Home, moves: &Moves) -> bool {
        let role = if let Home::Main(_) = home { Role::Main } else { Role::Spare };
        moves.many || self.outages.unsettled(role, Ktime::ktime_get().to_ms())
    }

    /// Whether main (probed near main block `near`) and the spare answer.
    fn both_answer(&self, near: u64) -> bool {
        self.answers(Role::Main, near) && self.answers(Role::Spare, 0)
    }

    /// Main blocks `[first, end)` that a failed bio covered.
    fn blocks_of(&self, bio: &HeldBio<PerIo, FromEndIo>) -> (u64, u64) {
        let start = bio.per_bio_ref().redo_at;
        let bs = self.layout.block_sectors;
        let sectors = bio.sectors().max(1);
        (start / bs, (start + sectors - 1) / bs + 1)
    }

    /// The pieces of a bio at main sector `start` of `sectors` sectors, one
    /// per block.
    fn pieces(&self, start: u64, sectors: u64) -> impl Iterator<Item = Piece> {
        block_pieces(start, sectors, self.layout.block_sectors).map(|(start, end)| Piece { start, end })
    }

    /// Sectors of main block `block` (the last block of main may be short).
    fn block_len(&self, block: u64) -> u64 {
        let bs = self.layout.block_sectors;
        bs.min(self.geometry.main_sectors - block * bs)
    }

    /// Where main block `block` lives now, and the first sector of that
    /// place.
    fn home(&self, moves: &Moves, block: u64) -> Home {
        match moves.lookup(self, block) {
            None => Home::Main(block * self.layout.block_sectors),
            Some(r) if r.state.is_unreadable() => Home::Lost(r.spare),
            Some(r) => Home::Spare(self.geometry.spare_sector(r.spare)),
        }
    }

    /// The device and sector of the block at `home`, `off` sectors in.
    fn at(&self, home: Home, off: u64) -> (&DmDev, u64) {
        match home {
            Home::Main(s) => (self.main, s + off),
            Home::Spare(s) => (self.spare, s + off),
            Home::Lost(b) => (self.spare, self.geometry.spare_sector(b) + off),
        }
    }

    /// Redoes a write, block by block: each block's part is written again
    /// where the block lives (main, or its spare block); a block that still
    /// fails moves to a new spare block.
    fn redo_write(&self, bio: &mut HeldBio<PerIo, FromEndIo>, moves: &mut Moves) -> Result<Redo> {
        // (DM sends a flush with data as an empty flush, then the data
        // without the flush: a target sees no write that asks for both.)
        let start = bio.per_bio_ref().redo_at;
        let mut bufs = self.redo_bufs.lock();
        let RedoBufs { full, piece, unit } = &mut *bufs;
        let bs = self.layout.block_sectors;
        for p in self.pieces(start, bio.sectors()) {
            let block = p.start / bs;
            piece.set_len(p.len())?;
            bio.copy_out_at(((p.start - start) * 512) as usize, piece).map_err(|_| EINVAL)?;
            let whole = p.start == block * bs && p.end - p.start == self.block_len(block);
            let home = self.home(moves, block);
            // A lost block takes only a write of all of it.
            if let (Home::Lost(_), false) = (home, whole) {
                return Ok(Redo::Failed);
            }
            let (dev, sector) = self.at(home, p.start - block * bs);
            if self.io.write(dev, sector, piece, Write::Fua).is_ok() {
                if let Home::Lost(spare) = home {
                    // A whole write brings a lost block back.
                    moves.push(block, spare, BlockState::Remapped, None)?;
                }
                continue;
            }
            // The block fails where it lives: move it, with the rest of its
            // data from there (a sector at a time if the block does not
            // read whole).
            full.set_len((self.block_len(block) * 512) as usize)?;
            let (dev, sector) = self.at(home, 0);
            let (from, to) = (p.start - block * bs, p.end - block * bs);
            if !whole && self.io.read(dev, sector, full).is_err() {
                let len = self.block_len(block);
                let rest = self.read_units(home, full, unit, 0, from)?.and(self.read_units(home, full, unit, to, len)?);
                if !rest.all {
                    // (What the write covers is read only if nothing else is.)
                    if !rest.any && !self.read_units(home, full, unit, from, to)?.any {
                        // Neither written nor readable: its content is lost.
                        let spare = moves.alloc.take(1).ok_or(ENOSPC)? as u32;
                        moves.push(block, spare, home.unreadable(), Some(Cause::WriteError))?;
                    }
                    // (Else it stays on main, where its readable sectors
                    // still read: the write fails, nothing is recorded.)
                    return Ok(Redo::Failed);
                }
            }
            let at = ((p.start - block * bs) * 512) as usize;
            full[at..at + piece.len()].copy_from_slice(piece);
            let spare = self.store_on_spare(moves, full).ok_or(ENOSPC)?;
            moves.push(block, spare, BlockState::Remapped, Some(Cause::WriteError))?;
        }
        Ok(Redo::Done)
    }

    /// Redoes a read, block by block, with retries, where each block lives
    /// (main, or its spare block).
    fn redo_read(&self, bio: &mut HeldBio<PerIo, FromEndIo>, moves: &mut Moves) -> Result<Redo> {
        let start = bio.per_bio_ref().redo_at;
        let mut bufs = self.redo_bufs.lock();
        let RedoBufs { full, unit, .. } = &mut *bufs;
        let bs = self.layout.block_sectors;
        let single = start / bs == (start + bio.sectors() - 1) / bs;
        let mut redo = Redo::Done;
        for p in self.pieces(start, bio.sectors()) {
            let block = p.start / bs;
            let off = ((p.start - start) * 512) as usize;
            let at = ((p.start - block * bs) * 512) as usize;
            let len = p.len();
            let home = self.home(moves, block);
            if let Home::Lost(_) = home {
                redo = Redo::Failed;
                continue;
            }
            // The failed bio was this block's first failure when it covered
            // only this block; a bio of several blocks says nothing about
            // which one failed, so each gets a first read here.
            full.set_len((self.block_len(block) * 512) as usize)?;
            let (dev, sector) = self.at(home, 0);
            let read = self.read_retrying(dev, sector, full, u32::from(single));
            match read {
                Some(failures) => {
                    bio.copy_in_at(off, &full[at..at + len]).map_err(|_| EINVAL)?;
                    self.recovered(home, block, failures, moves, full)?;
                    continue;
                }
                None => match self.sectors_read(home, p, full, unit)? {
                    // The block does not read whole, but the sectors asked
                    // for do: it stays on main, its readable sectors
                    // readable.
                    Units { all: true, .. } => {
                        bio.copy_in_at(off, &full[at..at + len]).map_err(|_| EINVAL)?;
                        continue;
                    }
                    // Some of it reads: not pending (see above); this read
                    // fails.
                    Units { any: true, .. } => {
                        redo = Redo::Failed;
                        continue;
                    }
                    Units { .. } => {}
                },
            }
            // Unreadable: pending until a write of the whole block.
            let spare = moves.alloc.take(1).ok_or(ENOSPC)? as u32;
            moves.push(block, spare, home.unreadable(), Some(Cause::ReadError))?;
            redo = Redo::Failed;
        }
        // (The data is in the bio; if the redo failed, the bio fails.)
        Ok(redo)
    }

    /// Reads `buf` from `sector` of `dev`, a block that already failed
    /// `failed` times, until it has failed `read_retries` times in all
    /// (a pause before each retry); returns the failures before the read
    /// that succeeded, or None.
    pub(super) fn read_retrying(&self, dev: &DmDev, sector: u64, buf: &mut IoBuf, failed: u32) -> Option<u32> {
        let mut failures = failed;
        while failures <= self.read_retries {
            if failures > 0 {
                sleep_ms(RETRY_DELAY_MS);
            }
            if self.io.read(dev, sector, buf).is_ok() {
                return Some(failures);
            }
            failures += 1;
        }
        None
    }

    /// Reads sectors `[from, to)` of the block at `home` into the same
    /// place of `full` (the block's buffer), a logical block of its device
    /// at a time (into `one`); what does not read is left as it is.
    fn read_units(&self, home: Home, full: &mut IoBuf, one: &mut IoBuf, from: u64, to: u64) -> Result<Units> {
        let (dev, start) = self.at(home, 0);
        let unit = u64::from(dev.logical_block_size() / 512).max(1);
        one.set_len((unit * 512) as usize)?;
        let mut found = Units { all: true, any: false };
        let mut s = from - from % unit;
        while s < to {
            if self.io.read(dev, start + s, one).is_ok() {
                let at = (s * 512) as usize;
                full[at..at + one.len()].copy_from_slice(one);
                found.any = true;
            } else {
                found.all = false;
            }
            s += unit;
        }
        Ok(found)
    }

    /// Writes a block's data to a new spare block; a spare block whose
    /// write fails is retired and the next one tried. None when the spare
    /// is full or keeps failing.
    fn store_on_spare(&self, moves: &mut Moves, data: &mut IoBuf) -> Option<u32> {
        for _ in 0..SPARE_ATTEMPTS {
            let spare = moves.alloc.take(1)? as u32;
            if self.io.write(self.spare, self.geometry.spare_sector(spare), data, Write::Cached).is_ok() {
                return Some(spare);
            }
            moves.retired += 1;
        }
        None
    }

    /// Completes a failed bio held from `end_io`, or queues it again when
    /// its redo could not allocate (true then).
    fn finish(&self, mut bio: HeldBio<PerIo, FromEndIo>, redo: Redo) -> bool {
        match redo {
            Redo::Done => bio.complete_ok(),
            Redo::NoMem if bio.per_bio_ref().nomem_tries < NOMEM_TRIES => {
                bio.per_bio().nomem_tries += 1;
                self.failed.lock().push(bio);
                return true;
            }
            Redo::NoMem | Redo::Failed => bio.fail(),
        }
        false
    }
}
