//! Admin messages (`dmsetup message <dev> 0 <verb> [<arg>...]`), parsed:
//! `remap <sector> [<count>]`, `list`, `memory`, `commit`,
//! `clear_stats` and `scrub start [<MiB/s>]|stop|status`. Checks that need the device (a sector past its end) are
//! the target's.

use super::args::{ArgError, ArgSet};
use super::scrub;

/// Most blocks one `remap` message may relocate.
pub const MAX_REMAP_COUNT: u64 = 1 << 20;

/// A parsed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// Relocate `count` blocks from the one holding target sector `sector`.
    Remap {
        sector: u64,
        count: u64,
    },
    /// One line per remap.
    List,
    /// Memory the remap table uses.
    Memory,
    /// Write the current state as a new commit.
    Commit,
    /// Zero the error counters.
    ClearStats,
    /// Start (or change the rate of) the scrub, in MiB/s.
    ScrubStart {
        rate: u32,
    },
    ScrubStop,
    ScrubStatus,
}

/// Parses a message; the error is the reason given to the admin.
pub fn parse(mut args: ArgSet<'_>) -> Result<Message, &'static str> {
    let verb = args.next_arg().ok_or("empty message")?;
    let (msg, extra) = match verb.to_bytes() {
        b"remap" => return remap(args),
        b"scrub" => return scrub(args),
        b"list" => (Message::List, "list takes no arguments"),
        b"memory" => (Message::Memory, "memory takes no arguments"),
        b"commit" => (Message::Commit, "commit takes no arguments"),
        b"clear_stats" => (Message::ClearStats, "clear_stats takes no arguments"),
        _ => return Err("unknown message"),
    };
    if args.remaining() != 0 {
        return Err(extra);
    }
    Ok(msg)
}

fn scrub(mut args: ArgSet<'_>) -> Result<Message, &'static str> {
    const USAGE: &str = "usage: scrub start [<MiB/s>] | stop | status";
    let msg = match args.next_arg().map(|a| a.to_bytes()) {
        Some(b"start") if args.remaining() == 0 => Message::ScrubStart { rate: scrub::DEFAULT_RATE },
        Some(b"start") => {
            let rate = args.next_u64(u64::from(scrub::MAX_RATE), ArgError(c"")).unwrap_or(0) as u32;
            if rate == 0 {
                return Err("scrub: the rate is MiB/s from 1 to 10000");
            }
            Message::ScrubStart { rate }
        }
        Some(b"stop") => Message::ScrubStop,
        Some(b"status") => Message::ScrubStatus,
        _ => return Err(USAGE),
    };
    if args.remaining() != 0 {
        return Err(USAGE);
    }
    Ok(msg)
}

fn remap(mut args: ArgSet<'_>) -> Result<Message, &'static str> {
    const USAGE: &str = "usage: remap <sector> [<count>]";
    let sector = args.next_u64(u64::MAX, ArgError(c"")).map_err(|_| USAGE)?;
    let count = match args.remaining() {
        0 => 1,
        _ => args.next_u64(MAX_REMAP_COUNT, ArgError(c"")).map_err(|_| "remap: count must be 1 to 1048576")?,
    };
    if count == 0 || args.remaining() != 0 {
        return Err(USAGE);
    }
    Ok(Message::Remap { sector, count })
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ffi::CStr;

    fn msg(words: &[&CStr]) -> Result<Message, &'static str> {
        parse(ArgSet::new(words))
    }

    #[test]
    fn verbs() {
        assert_eq!(msg(&[c"remap", c"8"]), Ok(Message::Remap { sector: 8, count: 1 }));
        assert_eq!(msg(&[c"remap", c"8", c"1048576"]), Ok(Message::Remap { sector: 8, count: 1 << 20 }));
        assert_eq!(msg(&[c"list"]), Ok(Message::List));
        assert_eq!(msg(&[c"memory"]), Ok(Message::Memory));
        assert_eq!(msg(&[c"commit"]), Ok(Message::Commit));
        assert_eq!(msg(&[c"clear_stats"]), Ok(Message::ClearStats));
        assert_eq!(msg(&[c"scrub", c"start"]), Ok(Message::ScrubStart { rate: scrub::DEFAULT_RATE }));
        assert_eq!(msg(&[c"scrub", c"start", c"200"]), Ok(Message::ScrubStart { rate: 200 }));
        assert_eq!(msg(&[c"scrub", c"stop"]), Ok(Message::ScrubStop));
        assert_eq!(msg(&[c"scrub", c"status"]), Ok(Message::ScrubStatus));
        for bad in [&[c"scrub"][..], &[c"scrub", c"go"], &[c"scrub", c"stop", c"1"], &[c"scrub", c"start", c"1", c"2"]]
        {
            assert_eq!(msg(bad), Err("usage: scrub start [<MiB/s>] | stop | status"), "{bad:?}");
        }
        for bad in [c"0", c"10001", c"x"] {
            assert_eq!(msg(&[c"scrub", c"start", bad]), Err("scrub: the rate is MiB/s from 1 to 10000"));
        }
    }

    #[test]
    fn refusals() {
        assert_eq!(msg(&[]), Err("empty message"));
        assert_eq!(msg(&[c"Remap", c"1"]), Err("unknown message"));
        assert_eq!(msg(&[c"remap"]), Err("usage: remap <sector> [<count>]"));
        assert_eq!(msg(&[c"remap", c"-1"]), Err("usage: remap <sector> [<count>]"));
        assert_eq!(msg(&[c"remap", c"1", c"0"]), Err("usage: remap <sector> [<count>]"));
        assert_eq!(msg(&[c"remap", c"1", c"1048577"]), Err("remap: count must be 1 to 1048576"));
        assert_eq!(msg(&[c"remap", c"1", c"2", c"3"]), Err("usage: remap <sector> [<count>]"));
        assert_eq!(msg(&[c"list", c"x"]), Err("list takes no arguments"));
        assert_eq!(msg(&[c"commit", c"0"]), Err("commit takes no arguments"));
    }
}
