//! Admin messages (`dmsetup message <dev> 0 ...`):
//! `remap <sector> [<count>]`, `list`, `memory`, `commit` and
//! `clear_stats`.

use super::{MetaState, RemapTarget};
use crate::dm::{IoBuf, MessageCtx, MessageError, Write as IoWrite};
use crate::remap_core::alloc::Allocator;
use crate::remap_core::args::{ArgError, ArgSet};
use crate::remap_core::emit::Emitter;
use crate::remap_core::format::{BlockState, Record};
use crate::remap_core::journal::CommitError;
use core::fmt::Write;
use core::sync::atomic::Ordering;
use kernel::alloc::KVVec;
use kernel::prelude::*;

/// Most blocks one `remap` message may relocate.
const MAX_REMAP_COUNT: u64 = 1 << 20;

pub fn handle(
    t: &RemapTarget,
    ctx: &MessageCtx,
    mut args: ArgSet<'_>,
    out: &mut Emitter<'_>,
) -> Result<bool, MessageError> {
    let cmd = args.next_arg().ok_or(MessageError("empty message"))?;
    let no_args = |args: &ArgSet<'_>, err| {
        if args.remaining() == 0 {
            Ok(())
        } else {
            Err(MessageError(err))
        }
    };
    match cmd.to_bytes() {
        b"remap" => remap(t, ctx, args, out),
        b"list" => {
            no_args(&args, "list takes no arguments")?;
            list(t, out);
            Ok(true)
        }
        b"memory" => {
            no_args(&args, "memory takes no arguments")?;
            let (n, bytes) = (t.remaps.len(), t.remaps.bytes());
            let _ = write!(out, "remap table: {n} remaps in {bytes} bytes");
            Ok(true)
        }
        b"commit" => {
            no_args(&args, "commit takes no arguments")?;
            commit(t)
        }
        b"clear_stats" => {
            no_args(&args, "clear_stats takes no arguments")?;
            t.stats.clear();
            Ok(false)
        }
        _ => Err(MessageError("unknown message")),
    }
}

/// `remap <sector> [<count>]`: relocates `count` blocks (default 1) from
/// the one holding main sector `sector`: copies them to spare (a block
/// that cannot be read is recorded as lost), commits, then routes their
/// I/O to spare. The device must be suspended, so no I/O is in flight
/// while blocks are copied.
fn remap(t: &RemapTarget, ctx: &MessageCtx, mut args: ArgSet<'_>, out: &mut Emitter<'_>) -> Result<bool, MessageError> {
    const USAGE: &str = "usage: remap <sector> [<count>]";
    let sector = args.next_u64(u64::MAX, ArgError(c"")).map_err(|_| MessageError(USAGE))?;
    let count = match args.remaining() {
        0 => 1,
        _ => args
            .next_u64(MAX_REMAP_COUNT, ArgError(c""))
            .map_err(|_| MessageError("remap: count must be 1 to 1048576"))?,
    };
    if count == 0 || args.remaining() != 0 {
        return Err(MessageError(USAGE));
    }
    let bs = t.layout.block_sectors;
    let first = sector / bs;
    if sector >= t.len || first + count - 1 > (t.len - 1) / bs {
        return Err(MessageError("remap: blocks beyond the end of the target"));
    }
    if !ctx.is_suspended() {
        return Err(MessageError("remap: suspend the device first (blocks are copied while no I/O is in flight)"));
    }
    let mut meta = t.meta.lock();
    if t.state_is(MetaState::Failed) {
        return Err(MessageError("remap: metadata failed earlier; reload the table"));
    }
    if t.state_is(MetaState::ReadOnly) {
        return Err(MessageError("remap: the table is read-only"));
    }
    let fresh = (first..first + count).filter(|&b| t.remaps.get(b).is_none()).count();
    if fresh == 0 {
        let _ = write!(out, "remapped 0 blocks: all {count} were remapped already");
        return Ok(true);
    }
    let mut alloc = Allocator::new(meta.sb().alloc_next, t.geometry.spare_blocks);
    if alloc.free() < fresh as u64 {
        if alloc.free() == 0 {
            t.set_state(MetaState::Full);
        }
        return Err(MessageError("remap: not enough free spare blocks"));
    }
    t.remaps.reserve(fresh).map_err(|_| MessageError("remap: out of memory"))?;
    let mut records = KVVec::with_capacity(fresh, GFP_KERNEL).map_err(|_| MessageError("remap: out of memory"))?;
    let main_sectors = t.main.sectors();
    let mut copier = Copier::new(t, main_sectors);
    let mut lost = 0;
    // Runs of consecutive fresh blocks get consecutive spare blocks and are
    // copied in chunks of up to COPY_CHUNK bytes.
    let mut block = first;
    while block < first + count {
        if t.remaps.get(block).is_some() {
            block += 1;
            continue;
        }
        let run = (block..first + count)
            .take(copier.chunk_blocks)
            .take_while(|&b| b == block || t.remaps.get(b).is_none())
            .count() as u64;
        // Checked above: there are enough free blocks for every fresh one.
        let spare = alloc.take(run).ok_or(MessageError("remap: not enough free spare blocks"))?;
        for (i, state) in copier.copy(block, run, spare)?.iter().enumerate() {
            lost += u64::from(*state == BlockState::Lost);
            let r = Record { main: block + i as u64, spare: (spare + i as u64) as u32, state: *state };
            records.push(r, GFP_KERNEL).map_err(|_| MessageError("remap: out of memory"))?;
        }
        block += run;
    }
    meta.commit(&t.io, &t.spare, &records, alloc.next()).map_err(|e| match e {
        CommitError::LogFull => {
            t.set_state(MetaState::Full);
            MessageError("remap: the metadata log is full")
        }
        CommitError::Io(_) => {
            t.set_state(MetaState::Failed);
            MessageError("remap: metadata commit failed")
        }
    })?;
    // Room was reserved above: this cannot fail.
    t.remaps.insert(&records).map_err(|_| MessageError("remap: out of memory"))?;
    t.spare_used.store(alloc.next(), Ordering::Relaxed);
    if alloc.free() == 0 {
        t.set_state(MetaState::Full);
    }
    let _ = write!(out, "remapped {} blocks ({lost} with lost data) in commit {}", records.len(), meta.sb().seq);
    Ok(true)
}

/// Largest copy done with one read and one write.
const COPY_CHUNK: usize = 1 << 20;

/// Copies runs of main blocks to consecutive spare blocks.
struct Copier<'a> {
    t: &'a RemapTarget,
    main_sectors: u64,
    chunk_blocks: usize,
}

impl<'a> Copier<'a> {
    fn new(t: &'a RemapTarget, main_sectors: u64) -> Self {
        // block_size is a power of two.
        let chunk_blocks = (COPY_CHUNK >> t.geometry.block_size.trailing_zeros()).max(1);
        Self { t, main_sectors, chunk_blocks }
    }

    /// Copies `n` main blocks from `block` to spare blocks from `spare`;
    /// returns each block's state: lost when it cannot be read.
    fn copy(&mut self, block: u64, n: u64, spare: u64) -> Result<KVec<BlockState>, MessageError> {
        const NOMEM: MessageError = MessageError("remap: out of memory");
        let bs = self.t.layout.block_sectors;
        let mut states = KVec::with_capacity(n as usize, GFP_KERNEL).map_err(|_| NOMEM)?;
        // The last block of a main device that is not a whole number of
        // blocks is shorter: copy what exists.
        let sectors = (n * bs).min(self.main_sectors - block * bs);
        let mut buf = IoBuf::new((sectors * 512) as usize).map_err(|_| NOMEM)?;
        if self.t.io.read(&self.t.main, block * bs, &mut buf).is_ok() {
            self.write(spare, &mut buf)?;
            for _ in 0..n {
                states.push(BlockState::Remapped, GFP_KERNEL).map_err(|_| NOMEM)?;
            }
            return Ok(states);
        }
        // Some block of the run is unreadable: find which, one by one.
        for i in 0..n {
            let len = bs.min(self.main_sectors - (block + i) * bs);
            let mut one = IoBuf::new((len * 512) as usize).map_err(|_| NOMEM)?;
            let state = match self.t.io.read(&self.t.main, (block + i) * bs, &mut one) {
                Ok(()) => {
                    self.write(spare + i, &mut one)?;
                    BlockState::Remapped
                }
                Err(_) => BlockState::Lost,
            };
            states.push(state, GFP_KERNEL).map_err(|_| NOMEM)?;
        }
        Ok(states)
    }

    fn write(&self, spare: u64, buf: &mut IoBuf) -> Result<(), MessageError> {
        self.t
            .io
            .write(&self.t.spare, self.t.geometry.spare_sector(spare as u32), buf, IoWrite::Cached)
            .map_err(|_| MessageError("remap: cannot write to the spare device"))
    }
}

/// `list`: one line per remap, `<main block> <spare block> ok|lost`.
fn list(t: &RemapTarget, out: &mut Emitter<'_>) {
    t.remaps.for_each(|r| {
        let state = if r.state == BlockState::Lost { "lost" } else { "ok" };
        writeln!(out, "{} {} {state}", r.main, r.spare).is_ok()
    });
}

/// `commit`: writes the current state as a new commit, so both slots hold
/// a valid commit.
fn commit(t: &RemapTarget) -> Result<bool, MessageError> {
    if t.state_is(MetaState::ReadOnly) {
        return Err(MessageError("commit: the table is read-only"));
    }
    let mut meta = t.meta.lock();
    let alloc = meta.sb().alloc_next;
    meta.commit(&t.io, &t.spare, &[], alloc).map_err(|_| {
        t.set_state(MetaState::Failed);
        MessageError("commit: metadata write failed")
    })?;
    Ok(false)
}
