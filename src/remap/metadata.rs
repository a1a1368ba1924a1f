//! The metadata area on spare, in the kernel: format, load and commit over
//! dm-io, with the on-disk format and commit protocol of the core. All of
//! it sleeps: process context only, serialised by the target's mutex.
//! Blocks live in heap buffers, never on the (small) kernel stack.

use crate::dm::{random_bytes, CtrError, DmDev, DmIo, IoBuf, Write};
use crate::remap_core::format::{self, Geometry, Record, Superblock, LOG_START, MBLOCK, MBLOCK_SECTORS};
use crate::remap_core::journal::{self, CommitError, LoadError};
use kernel::alloc::KVVec;
use kernel::error::code;
use kernel::prelude::*;

type Block = KBox<[u8; MBLOCK]>;

/// The committed state and the buffers to change it.
pub struct Metadata {
    sb: Superblock,
    /// The committed slot block (it holds the tail records).
    slot: Block,
    /// The next slot block, while a commit is prepared.
    next: Block,
    log: Block,
    /// The same, in memory dm-io can address.
    io_buf: IoBuf,
    /// Commit numbers the next commit skips: those of slot writes that
    /// failed but may have landed (a number is never used for two
    /// contents). Even, so that the next commit goes to the same slot,
    /// never over the last commit known to be on disk.
    skip: u64,
    /// The commit a resume must reach (see `must_reach`).
    floor: u64,
}

fn nomem() -> CtrError {
    CtrError::new(c"Cannot allocate metadata buffers", code::ENOMEM)
}

fn block() -> Result<Block> {
    Ok(KBox::new([0; MBLOCK], GFP_KERNEL)?)
}

impl Metadata {
    /// Loads the pair's metadata, or formats an all-zero metadata area.
    /// Returns the records to replay, in commit order.
    pub fn open(io: &DmIo, spare: &DmDev, g: Geometry, writable: bool) -> Result<(Self, KVVec<Record>), CtrError> {
        let mut meta = Self {
            sb: Superblock::new([0; 16], g),
            slot: block().map_err(|_| nomem())?,
            next: block().map_err(|_| nomem())?,
            log: block().map_err(|_| nomem())?,
            io_buf: IoBuf::new(MBLOCK).map_err(|_| nomem())?,
            skip: 0,
            floor: 0,
        };
        let eio = |e| CtrError::new(c"Cannot read the spare's metadata area", e);
        let mut slots = IoBuf::new(2 * MBLOCK).map_err(|_| nomem())?;
        io.read(spare, 0, &mut slots).map_err(eio)?;
        if format::is_zero(&slots) {
            if !writable {
                return Err(CtrError::invalid(c"Spare has no metadata and a read-only table cannot format it"));
            }
            meta.format(io, spare, g)?;
            return Ok((meta, KVVec::new()));
        }
        let records = meta.load(io, spare, &slots, g)?;
        Ok((meta, records))
    }

    fn format(&mut self, io: &DmIo, spare: &DmDev, g: Geometry) -> Result<(), CtrError> {
        // Never format over anything but zeros: check the whole area.
        let eio = |e| CtrError::new(c"Cannot read the spare's metadata area", e);
        let area = (LOG_START + g.log_blocks) * MBLOCK_SECTORS;
        let mut at = 0;
        while at < area {
            let sectors = (area - at).min(64 * MBLOCK_SECTORS);
            let mut chunk = IoBuf::new((sectors * 512) as usize).map_err(|_| nomem())?;
            io.read(spare, at, &mut chunk).map_err(eio)?;
            if !format::is_zero(&chunk) {
                return Err(CtrError::invalid(
                    c"Spare holds data but no valid metadata: refusing to format it (zero its metadata area first)",
                ));
            }
            at += sectors;
        }
        let mut uuid = [0u8; 16];
        random_bytes(&mut uuid);
        // Both slots hold a commit, so either alone loads. Main's identity
        // is not known here (dm-remap-tool format records it).
        self.sb = format::format_slots(uuid, 0, g, &mut self.next, &mut self.slot);
        let mut slots = IoBuf::new(2 * MBLOCK).map_err(|_| nomem())?;
        slots[..MBLOCK].copy_from_slice(&*self.next);
        slots[MBLOCK..].copy_from_slice(&*self.slot);
        io.write(spare, 0, &mut slots, Write::Fua)
            .map_err(|e| CtrError::new(c"Cannot write the spare's metadata", e))?;
        pr_info!("formatted the metadata of spare {}\n", spare.name().to_str().unwrap_or("?"));
        Ok(())
    }

    fn load(&mut self, io: &DmIo, spare: &DmDev, slots: &IoBuf, g: Geometry) -> Result<KVVec<Record>, CtrError> {
        let (a, b) = slots.split_at(MBLOCK);
        let (a, b) = (a.first_chunk().ok_or_else(nomem)?, b.first_chunk().ok_or_else(nomem)?);
        let pick = format::pick_slot(a, b).map_err(|e| CtrError::invalid(e.0))?;
        for (i, e) in pick.errors.iter().enumerate() {
            if let (Some(e), false) = (e, pick.sb.seq == 1) {
                let why = e.0.to_str().unwrap_or("?");
                pr_warn!("metadata slot {} is invalid ({}); using commit {}\n", ["A", "B"][i], why, pick.sb.seq);
            }
        }
        if pick.sb.geometry != g {
            return Err(CtrError::invalid(
                c"Spare metadata belongs to another device pair (main size, spare size or block_size differ)",
            ));
        }
        self.sb = pick.sb;
        self.slot.copy_from_slice(if pick.slot == 0 { a } else { b });
        self.replay(io, spare).map_err(|e| match e {
            LoadError::Format(f) => CtrError::invalid(f.0),
            LoadError::Io(e) => CtrError::new(c"Cannot read the spare's metadata log", e),
        })
    }

    fn replay(&mut self, io: &DmIo, spare: &DmDev) -> Result<KVVec<Record>, LoadError<Error>> {
        let sb = self.sb;
        self.replay_commit(io, spare, &sb, false)
    }

    /// Replays commit `sb`, whose slot block is in `next` if `in_next`,
    /// else in `slot`.
    fn replay_commit(
        &mut self,
        io: &DmIo,
        spare: &DmDev,
        sb: &Superblock,
        in_next: bool,
    ) -> Result<KVVec<Record>, LoadError<Error>> {
        let mut records = KVVec::with_capacity(sb.records as usize, GFP_KERNEL).map_err(|_| LoadError::Io(ENOMEM))?;
        let slot = if in_next { &self.next } else { &self.slot };
        let io_buf = &mut self.io_buf;
        let read = |i, out: &mut [u8; MBLOCK]| {
            io.read(spare, (LOG_START + i) * MBLOCK_SECTORS, io_buf)?;
            out.copy_from_slice(io_buf);
            Ok(())
        };
        // Capacity for every record was reserved above: push cannot fail.
        let apply = |r| records.push(r, GFP_KERNEL).map_err(|_| format::FormatError(c"Too many records"));
        journal::replay(sb, slot, &mut self.log, read, apply)?;
        Ok(records)
    }

    /// If another table of the pair committed since we loaded, that
    /// commit's header and the records to replay. Only a newer commit is
    /// taken: a newest slot damaged since leaves the state as it is, with a
    /// warning (the next commit rewrites that slot). Nothing changes until
    /// the caller, having used the records, `adopt`s the header.
    pub fn refresh(&mut self, io: &DmIo, spare: &DmDev) -> Result<Option<(Superblock, KVVec<Record>)>> {
        let mut slots = IoBuf::new(2 * MBLOCK)?;
        io.read(spare, 0, &mut slots)?;
        let (a, b) = slots.split_at(MBLOCK);
        let (a, b) = (a.first_chunk().ok_or(EIO)?, b.first_chunk().ok_or(EIO)?);
        let pick = format::pick_slot(a, b).map_err(|_| code::EIO)?;
        if pick.sb.seq < self.sb.seq {
            pr_warn!(
                "the spare's newest valid commit is {}, older than the {} in use: keeping {} (a damaged slot)\n",
                pick.sb.seq,
                self.sb.seq,
                self.sb.seq
            );
        }
        if pick.sb.seq.max(self.sb.seq) < self.floor {
            pr_err!(
                "resume refused: the spare's newest valid commit is {}, older than the live table's {} (its slot was damaged)\n",
                pick.sb.seq.max(self.sb.seq),
                self.floor
            );
            return Err(code::EIO);
        }
        if pick.sb.seq <= self.sb.seq {
            return Ok(None);
        }
        if pick.sb.geometry != self.sb.geometry || pick.sb.uuid != self.sb.uuid {
            return Err(code::EINVAL);
        }
        // The new slot block waits in `next` for `adopt`.
        self.next.copy_from_slice(if pick.slot == 0 { a } else { b });
        let records = self.replay_commit(io, spare, &pick.sb, true).map_err(|e| match e {
            LoadError::Format(_) => code::EIO,
            LoadError::Io(e) => e,
        })?;
        Ok(Some((pick.sb, records)))
    }

    /// Makes `refresh` refuse a state older than commit `seq` (the live
    /// table's), from now on.
    pub fn must_reach(&mut self, seq: u64) {
        self.floor = self.floor.max(seq);
    }

    /// Makes the commit `refresh` returned the committed state.
    pub fn adopt(&mut self, sb: Superblock) {
        self.sb = sb;
        core::mem::swap(&mut self.slot, &mut self.next);
    }

    /// The committed header.
    pub fn sb(&self) -> &Superblock {
        &self.sb
    }

    /// Commits `new` records with the allocator at `alloc_next`, the
    /// scrub at `scrub_pos` and `relocated` more blocks by cause in the
    /// lifetime counters: log blocks that fill up, a flush, then the other
    /// slot with FUA.
    pub fn commit(
        &mut self,
        io: &DmIo,
        spare: &DmDev,
        new: &[Record],
        alloc_next: u64,
        scrub_pos: u32,
        relocated: &[u64; 4],
    ) -> Result<(), CommitError<Error>> {
        let io_buf = &mut self.io_buf;
        let write_log = |i, block: &[u8; MBLOCK]| {
            io_buf.copy_from_slice(block);
            let at = (LOG_START + i) * MBLOCK_SECTORS;
            io.write(spare, at, io_buf, Write::Cached)?;
            read_back(io, spare, at, io_buf, block)
        };
        let seq = self.sb.seq + self.skip;
        let prev = Superblock { seq, scrub_pos, relocated: self.sb.count_relocated(relocated), ..self.sb };
        let next =
            journal::prepare_commit(&prev, &self.slot, new, alloc_next, &mut self.next, &mut self.log, write_log)?;
        io.flush(spare).map_err(CommitError::Io)?;
        self.io_buf.copy_from_slice(&*self.next);
        let at = Superblock::slot_of(next.seq) * MBLOCK_SECTORS;
        let written = io.write(spare, at, &mut self.io_buf, Write::Fua);
        if let Err(e) = written.and_then(|()| read_back(io, spare, at, &mut self.io_buf, &self.next)) {
            // The slot may be on disk: its number is not used again.
            self.skip += 2;
            return Err(CommitError::Io(e));
        }
        self.skip = 0;
        self.sb = next;
        core::mem::swap(&mut self.slot, &mut self.next);
        Ok(())
    }
}

/// Reads back the metadata block just written at `at` (into `buf`) and
/// checks it is `expected`: a layer below that corrupts writes silently
/// fails the commit here, before anything that depends on it is
/// acknowledged, instead of at the next load.
fn read_back(io: &DmIo, spare: &DmDev, at: u64, buf: &mut IoBuf, expected: &[u8; MBLOCK]) -> Result {
    io.read(spare, at, buf)?;
    if buf[..] != expected[..] {
        pr_err!("metadata block at sector {} reads back different from what was written\n", at);
        return Err(EIO);
    }
    Ok(())
}
