//! Committing records and loading them back, independent of how blocks
//! are read or written (the module uses dm-io, the tool files).
//!
//! A commit is crash-safe in this order: (1) write the log blocks that
//! fill up, (2) flush, (3) write the new slot with FUA. Until (3) is on
//! disk the other slot describes the previous commit, and nothing it
//! refers to was overwritten: filled log blocks go to positions past the
//! previous commit's, and its tail lives in its own slot.

use super::format::{self, FormatError, Record, Superblock, MBLOCK};

/// Why a commit could not be prepared.
#[derive(Debug, PartialEq, Eq)]
pub enum CommitError<E> {
    /// The record log is full.
    LogFull,
    /// Writing a log block failed.
    Io(E),
}

/// Builds the commit that follows `sb` with `new` records appended and the
/// allocator at `alloc_next`. Log blocks that fill up are handed to
/// `write_log(index, block)`; the caller then flushes and writes the
/// returned superblock to slot `Superblock::slot_of(seq)` with FUA.
pub fn prepare_commit<E>(
    sb: &Superblock,
    new: &[Record],
    alloc_next: u64,
    buf: &mut [u8; MBLOCK],
    mut write_log: impl FnMut(u64, &[u8; MBLOCK]) -> Result<(), E>,
) -> Result<Superblock, CommitError<E>> {
    if sb.records + new.len() as u64 > sb.geometry.record_capacity() {
        return Err(CommitError::LogFull);
    }
    let mut next = sb.clone();
    next.seq += 1;
    next.alloc_next = alloc_next;
    for r in new {
        next.tail[next.tail_len()] = *r;
        next.records += 1;
        if next.tail_len() == 0 {
            let index = next.full_log_blocks() - 1;
            format::encode_log_block(buf, &next.uuid, next.seq, index, &next.tail);
            write_log(index, buf).map_err(CommitError::Io)?;
        }
    }
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

/// Replays the records of `sb` in commit order: every full log block (read
/// with `read_log(index, buf)`), then the tail. A later record of a main
/// block supersedes an earlier one. Records are checked against the
/// geometry and the allocator.
pub fn replay<E>(
    sb: &Superblock,
    buf: &mut [u8; MBLOCK],
    mut read_log: impl FnMut(u64, &mut [u8; MBLOCK]) -> Result<(), E>,
    mut apply: impl FnMut(Record) -> Result<(), FormatError>,
) -> Result<(), LoadError<E>> {
    let main_blocks = sb.geometry.main_sectors / sb.geometry.block_sectors();
    let mut check = |r: Record| {
        if r.main >= main_blocks || u64::from(r.spare) >= sb.alloc_next {
            return Err(FormatError(c"Metadata record points outside the devices"));
        }
        apply(r)
    };
    for index in 0..sb.full_log_blocks() {
        read_log(index, buf).map_err(LoadError::Io)?;
        let records = format::decode_log_block(buf, sb, index).map_err(LoadError::Format)?;
        records
            .iter()
            .try_for_each(|r| check(*r))
            .map_err(LoadError::Format)?;
    }
    sb.tail[..sb.tail_len()]
        .iter()
        .try_for_each(|r| check(*r))
        .map_err(LoadError::Format)
}
