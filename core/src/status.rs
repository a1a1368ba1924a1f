//! The INFO status line (`dmsetup status`): written by the module, read
//! by `dm-remap-tool status` and `monitor`. Fields keep their places and
//! new ones are appended (docs/remap.rst, *Status*), so a reader takes the
//! fields it knows and ignores any that follow.

use core::fmt;

/// One status line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status<'a> {
    pub remaps: u64,
    pub spare_used: u64,
    pub spare_total: u64,
    /// Blocks whose data is lost or unreadable (pending) until rewritten.
    pub lost: u64,
    pub read_errors: u64,
    pub write_errors: u64,
    /// `ok`, `full`, `failed` or `read-only`.
    pub metadata: &'a str,
    /// Blocks relocated by cause: a write error, a read error, a read that
    /// succeeded on a retry, a `remap` message.
    pub relocated: [u64; 4],
    pub ignored_errors: u64,
    /// `healthy`, `degraded`, `critical` or `failed` (`policy::health`).
    pub health: &'a str,
    /// Whether main and the spare answer I/O (`A`) or are down (`D`).
    pub alive: [bool; 2],
    pub scrub: Scrub<'a>,
    /// Blocks relocated over the pair's life by cause, as `relocated`
    /// (appended in 0.10.0, from the metadata's counters: `None` in an
    /// earlier version's line).
    pub lifetime: Option<[u64; 4]>,
}

/// The scrub's fields (appended in 0.8.0; a line without them reads as
/// `off`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scrub<'a> {
    /// `off`, `running`, or `paused` (main down, or the device suspended).
    pub state: &'a str,
    /// The next chunk it reads, of `chunks` (`scrub::chunks`).
    pub pos: u64,
    pub chunks: u64,
    /// Blocks it found unreadable since the table was loaded.
    pub found: u64,
}

impl fmt::Display for Status<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [w, r, rec, msg] = self.relocated;
        let [main, spare] = self.alive.map(|a| if a { 'A' } else { 'D' });
        let sc = &self.scrub;
        write!(
            f,
            "{} {}/{} {} {} {} {} {w} {r} {rec} {msg} {} {} {main}{spare} {} {}/{} {}",
            self.remaps,
            self.spare_used,
            self.spare_total,
            self.lost,
            self.read_errors,
            self.write_errors,
            self.metadata,
            self.ignored_errors,
            self.health,
            sc.state,
            sc.pos,
            sc.chunks,
            sc.found
        )?;
        match self.lifetime {
            Some([w, r, rec, msg]) => write!(f, " {w} {r} {rec} {msg}"),
            None => Ok(()),
        }
    }
}

/// Why a line is not a status line.
#[derive(Debug, PartialEq, Eq)]
pub struct ParseError(pub &'static str);

impl<'a> Status<'a> {
    /// Parses the fields of a status line (after `<start> <len> remap`).
    pub fn parse(line: &'a str) -> Result<Self, ParseError> {
        let mut f = line.split_ascii_whitespace();
        let mut next = || f.next().ok_or(ParseError("too few fields"));
        let num = |w: &str| w.parse::<u64>().map_err(|_| ParseError("a count is not a number"));
        let remaps = num(next()?)?;
        let (used, total) = next()?.split_once('/').ok_or(ParseError("spare usage is not <used>/<total>"))?;
        let (lost, read_errors, write_errors) = (num(next()?)?, num(next()?)?, num(next()?)?);
        let metadata = next()?;
        let relocated = [num(next()?)?, num(next()?)?, num(next()?)?, num(next()?)?];
        let ignored_errors = num(next()?)?;
        let health = next()?;
        let alive = match next()?.as_bytes() {
            &[m, s] if [m, s].iter().all(|c| b"AD".contains(c)) => [m == b'A', s == b'A'],
            _ => return Err(ParseError("the devices field is not two of A and D")),
        };
        let scrub = match next() {
            Err(_) => Scrub { state: "off", ..Scrub::default() },
            Ok(state) => {
                let (pos, chunks) =
                    next()?.split_once('/').ok_or(ParseError("scrub position is not <pos>/<chunks>"))?;
                Scrub { state, pos: num(pos)?, chunks: num(chunks)?, found: num(next()?)? }
            }
        };
        let lifetime = match next() {
            Err(_) => None,
            Ok(w) => Some([num(w)?, num(next()?)?, num(next()?)?, num(next()?)?]),
        };
        Ok(Status {
            remaps,
            spare_used: num(used)?,
            spare_total: num(total)?,
            lost,
            read_errors,
            write_errors,
            metadata,
            relocated,
            ignored_errors,
            health,
            alive,
            scrub,
            lifetime,
        })
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn round_trip_and_appended_fields() {
        let line = "24 24/4059 1 3 2 ok 0 1 0 24 5 degraded DA running 7/16 2";
        let s = Status::parse(line).unwrap();
        assert_eq!((s.remaps, s.spare_used, s.spare_total, s.lost), (24, 24, 4059, 1));
        assert_eq!((s.relocated, s.ignored_errors, s.health, s.alive), ([0, 1, 0, 24], 5, "degraded", [false, true]));
        assert_eq!(s.scrub, Scrub { state: "running", pos: 7, chunks: 16, found: 2 });
        assert_eq!(s.to_string(), line);
        assert_eq!(s.lifetime, None, "0.9.0's line");
        let old = Status::parse("24 24/4059 1 3 2 ok 0 1 0 24 5 degraded DA").unwrap();
        assert_eq!(old.scrub, Scrub { state: "off", ..Scrub::default() }, "0.7.0's line");
        assert_eq!(old.lifetime, None, "0.9.0's line and before");
        let line = "24 24/4059 1 3 2 ok 0 1 0 24 5 degraded DA running 7/16 2 3 1 0 30";
        let s = Status::parse(line).unwrap();
        assert_eq!((s.relocated, s.lifetime), ([0, 1, 0, 24], Some([3, 1, 0, 30])));
        assert_eq!(s.to_string(), line);
        assert_eq!(Status::parse(&(line.to_string() + " 77 x")), Ok(s), "a later version's fields");
    }

    #[test]
    fn refusals() {
        for (line, why) in [
            ("24 24/4059 1 3 2 ok 0 1 0 24 5 degraded", "too few fields"),
            ("24 24-4059 1 3 2 ok 0 1 0 24 5 degraded AA", "spare usage"),
            ("24 24/x 1 3 2 ok 0 1 0 24 5 degraded AA", "not a number"),
            ("24 24/4059 1 3 2 ok 0 1 0 24 5 degraded AX", "devices field"),
            ("", "too few fields"),
            ("24 24/4059 1 3 2 ok 0 1 0 24 5 degraded AA off 7", "scrub position"),
            ("24 24/4059 1 3 2 ok 0 1 0 24 5 degraded AA off 7/8", "too few fields"),
            ("24 24/4059 1 3 2 ok 0 1 0 24 5 degraded AA off 7/8 0 1 2", "too few fields"),
            ("24 24/4059 1 3 2 ok 0 1 0 24 5 degraded AA off 7/8 0 1 2 x", "not a number"),
        ] {
            assert!(Status::parse(line).unwrap_err().0.contains(why), "{line}");
        }
    }
}
