//! Committing records and loading them back, independent of how blocks
//! are read or written (the module uses dm-io, the tool files). Everything
//! works on caller-provided 4 KiB buffers, so nothing large lives on the
//! stack (kernel stacks are small).
//!
//! A commit is crash-safe in this order: (1) write the log blocks that
//! fill up, (2) flush, (3) write the new slot with FUA. Until (3) is on
//! disk the other slot describes the previous commit, and nothing it
//! refers to was overwritten: filled log blocks go to positions past the
//! previous commit's, and its tail lives in its own slot.

use super::format::{self, FormatError, Record, Superblock, HEADER, MBLOCK, RECORDS_PER_BLOCK};

/// Why a commit could not be prepared.
#[derive(Debug, PartialEq, Eq)]
pub enum CommitError<E> {
    /// The record log is full.
    LogFull,
    /// Writing a log block failed.
    Io(E),
}

/// Builds the commit that follows `prev` (whose slot block is `prev_slot`)
/// with `new` records appended and the allocator at `alloc_next`. Log
/// blocks that fill up are built in `log` and handed to
/// `write_log(index, log)`. Returns the new header, with its slot block
/// encoded in `next_slot`: the caller flushes, then writes `next_slot` to
/// slot `Superblock::slot_of(seq)` with FUA.
pub fn prepare_commit<E>(
    prev: &Superblock,
    prev_slot: &[u8; MBLOCK],
    new: &[Record],
    alloc_next: u64,
    next_slot: &mut [u8; MBLOCK],
    log: &mut [u8; MBLOCK],
    mut write_log: impl FnMut(u64, &[u8; MBLOCK]) -> Result<(), E>,
) -> Result<Superblock, CommitError<E>> {
    if prev.records + new.len() as u64 > prev.geometry.record_capacity() {
        return Err(CommitError::LogFull);
    }
    let mut next = Superblock { seq: prev.seq + 1, alloc_next, ..*prev };
    // The tail so far, then the new records, accumulate in `next_slot`.
    next_slot.copy_from_slice(prev_slot);
    for r in new {
        format::set_record(next_slot, next.tail_len(), r);
        next.records += 1;
        if next.tail_len() == 0 {
            let index = next.full_log_blocks() - 1;
            log[HEADER..].copy_from_slice(&next_slot[HEADER..]);
            format::seal_log_block(log, &next.uuid, next.seq, index);
            write_log(index, log).map_err(CommitError::Io)?;
        }
    }
    next.encode(next_slot);
    Ok(next)
}

/// Why metadata could not be loaded.
#[derive(Debug, PartialEq, Eq)]
pub enum LoadError<E> {
    /// The metadata is invalid.
    Format(FormatError),
    /// Reading a log block failed.
    Io(E),
}

/// Replays the records of commit `sb` (slot block `slot`) in commit order:
/// every full log block (read into `log` by `read_log(index, log)`), then
/// the tail. A later record of a main block supersedes an earlier one.
/// Records are checked against the geometry and the allocator.
pub fn replay<E>(
    sb: &Superblock,
    slot: &[u8; MBLOCK],
    log: &mut [u8; MBLOCK],
    mut read_log: impl FnMut(u64, &mut [u8; MBLOCK]) -> Result<(), E>,
    mut apply: impl FnMut(Record) -> Result<(), FormatError>,
) -> Result<(), LoadError<E>> {
    let main_blocks = sb.geometry.main_blocks();
    let mut check = |b: &[u8; MBLOCK], n: usize| {
        (0..n).try_for_each(|i| {
            let r = format::record_at(b, i)?;
            if r.main >= main_blocks || u64::from(r.spare) >= sb.alloc_next {
                return Err(FormatError(c"Metadata record points outside the devices"));
            }
            apply(r)
        })
    };
    for index in 0..sb.full_log_blocks() {
        read_log(index, log).map_err(LoadError::Io)?;
        format::check_log_block(log, sb, index).map_err(LoadError::Format)?;
        check(log, RECORDS_PER_BLOCK).map_err(LoadError::Format)?;
    }
    check(slot, sb.tail_len()).map_err(LoadError::Format)
}
