//! Admin messages (`dmsetup message <dev> 0 ...`):
//! `remap <sector> [<count>]`, `list`, `memory`, `commit` and
//! `clear_stats`.

use super::worker::{Answer, Kind, Reply, Request, NOMEM};
use super::RemapTarget;
use crate::dm::{Ctx, MessageError};
use crate::remap_core::args::{ArgError, ArgSet};
use crate::remap_core::emit::Emitter;
use crate::remap_core::format::BlockState;
use core::fmt::Write;
use kernel::prelude::*;

/// Most blocks one `remap` message may relocate.
const MAX_REMAP_COUNT: u64 = 1 << 20;

pub fn handle(
    t: &RemapTarget,
    ctx: &Ctx<'_>,
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
            commit(t, ctx)
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
/// the one holding target sector `sector`, on a live or suspended device.
/// The worker copies them to spare (a block that cannot be read is
/// recorded as lost) and commits, then I/O to them goes to spare.
fn remap(t: &RemapTarget, ctx: &Ctx<'_>, mut args: ArgSet<'_>, out: &mut Emitter<'_>) -> Result<bool, MessageError> {
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
    let o = ask(t, ctx, Kind::Remap { first, count }).map_err(|e| {
        pr_warn!("remap: {}\n", e);
        MessageError("remap refused")
    })?;
    let already = count - o.remapped;
    let _ = write!(
        out,
        "remapped {} blocks ({} with lost data, {already} remapped already) in commit {}",
        o.remapped, o.lost, o.seq
    );
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
        let state = if r.state == BlockState::Lost { "lost" } else { "ok" };
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
