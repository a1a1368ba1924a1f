//! Admin messages (`dmsetup message <dev> 0 ...`), parsed by the core's
//! `message` module and carried out here.

use super::worker::{Answer, Kind, Reply, Request, NOMEM};
use super::{MetaState, RemapTarget};
use crate::dm::{Ctx, MessageError};
use crate::remap_core::args::ArgSet;
use crate::remap_core::emit::Emitter;
use crate::remap_core::message::{self, Message};
use crate::remap_core::scrub;
use core::fmt::Write;
use kernel::prelude::*;

pub fn handle(t: &RemapTarget, ctx: &Ctx<'_>, args: ArgSet<'_>, out: &mut Emitter<'_>) -> Result<bool, MessageError> {
    match message::parse(args).map_err(MessageError)? {
        Message::Remap { sector, count } => remap(t, ctx, sector, count, out),
        Message::List => {
            list(t, out);
            Ok(true)
        }
        Message::Memory => {
            let (n, bytes) = (t.remaps.len(), t.remaps.bytes());
            let _ = write!(out, "remap table: {n} remaps in {bytes} bytes");
            Ok(true)
        }
        Message::Commit => commit(t, ctx),
        Message::ClearStats => {
            t.stats.clear();
            Ok(false)
        }
        Message::ScrubStart { rate } => {
            if t.state_is(MetaState::ReadOnly) {
                return Err(MessageError("scrub: the table is read-only"));
            }
            t.scrub.start(rate);
            ctx.kick();
            let _ = write!(out, "scrub running at {rate} MiB/s from chunk {}", t.scrub.pos());
            Ok(true)
        }
        Message::ScrubStop => {
            t.scrub.stop();
            // The position, for the next start (after a reload too).
            let _ = ask(t, ctx, Kind::Commit);
            Ok(false)
        }
        Message::ScrubStatus => {
            let g = &t.geometry;
            let chunks = scrub::chunks(g.main_blocks(), g.block_size);
            let state = t.scrub.state(t.outages.any_down());
            let (pos, found, rate) = (t.scrub.pos(), t.scrub.found(), t.scrub.rate());
            let _ = write!(out, "{state} {pos}/{chunks} found {found} rate {rate}");
            Ok(true)
        }
    }
}

/// `remap <sector> [<count>]`: relocates `count` blocks from the one
/// holding target sector `sector`, on a live or suspended device. The
/// worker copies them to spare (a block that cannot be read is recorded
/// as lost) and commits, then I/O to them goes to spare.
fn remap(t: &RemapTarget, ctx: &Ctx<'_>, sector: u64, count: u64, out: &mut Emitter<'_>) -> Result<bool, MessageError> {
    let bs = t.layout.block_sectors;
    let first = sector / bs;
    if sector >= t.len || first + count - 1 > (t.len - 1) / bs {
        return Err(MessageError("remap: blocks beyond the end of the target"));
    }
    let o = ask(t, ctx, Kind::Remap { first, count }).map_err(MessageError)?;
    let already = count - o.remapped - o.partly - o.left;
    let _ = write!(
        out,
        "remapped {} blocks ({} with lost data, {already} remapped already) in commit {}",
        o.remapped, o.lost, o.seq
    );
    if o.partly > 0 {
        let _ = write!(out, "; {} partly readable, left on main", o.partly);
    }
    if o.left > 0 {
        let _ = write!(out, "; stopped by a suspend: {} blocks from block {} not done", o.left, first + count - o.left);
    }
    Ok(true)
}

/// Queues a request for the worker and waits for its answer.
fn ask(t: &RemapTarget, ctx: &Ctx<'_>, kind: Kind) -> Answer {
    let reply = Reply::new().map_err(|_| NOMEM)?;
    t.requests.lock().push(Request { kind, reply: reply.clone() }, GFP_KERNEL).map_err(|_| NOMEM)?;
    ctx.kick();
    reply.wait()
}

/// `list`: one line per remap, `<main block> <spare block> ok|lost`.
fn list(t: &RemapTarget, out: &mut Emitter<'_>) {
    t.remaps.for_each(|r| {
        let state = if r.state.is_unreadable() { "lost" } else { "ok" };
        writeln!(out, "{} {} {state}", r.main, r.spare).is_ok()
    });
}

/// `commit`: writes the current state as a new commit (on the worker),
/// so both slots hold a valid commit.
fn commit(t: &RemapTarget, ctx: &Ctx<'_>) -> Result<bool, MessageError> {
    ask(t, ctx, Kind::Commit).map_err(|e| {
        pr_warn!("commit: {}\n", e);
        MessageError("commit failed")
    })?;
    Ok(false)
}
