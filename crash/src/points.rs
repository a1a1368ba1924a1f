//! Which points of a log to check.
//!
//! A point is a count of entries replayed. Points with no write between
//! them leave the disks the same, so each state is checked once, at its
//! last point: the one after the most marks, whose manifest asks the most
//! (see manifest.rs). Every state a flush or a FUA write reached is
//! checked; random points add states reached only between them, inside a
//! batch of writes that a flush had not yet made durable.

use crate::logwrites::{Log, FUA, MARK};
use crate::manifest::Manifest;
use std::collections::BTreeMap;

/// Why a point is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Flush,
    Fua,
    Random,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Flush => "flush",
            Kind::Fua => "fua",
            Kind::Random => "random",
        }
    }
}

/// The points to check, and what the log held.
pub struct Plan {
    pub points: BTreeMap<usize, Kind>,
    /// Flush and FUA entries after `ready` (before merging equal states).
    pub barriers: usize,
    pub writes: usize,
}

/// xorshift64*: points that a seed repeats.
fn next(x: &mut u64) -> u64 {
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    x.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

pub fn plan(log: &Log, random: usize, seed: u64) -> Result<Plan, String> {
    if !log.complete() {
        return Err("the log lacks dm-log-writes' end mark: logging stopped early (a full log device?)".into());
    }
    let ready = Manifest::at(log, 0)?.ready.ok_or("the log has no 'ready' mark")?;
    let n = log.entries.len();
    // last[p]: the last point whose disks equal those at point p.
    let is_write = |i: usize| log.entries[i].flags & MARK == 0 && log.entries[i].len > 0;
    let mut last = vec![n; n + 1];
    for p in (0..n).rev() {
        last[p] = if is_write(p) { p } else { last[p + 1] };
    }
    let mut points = BTreeMap::new();
    let mut barriers = 0;
    for (i, e) in log.entries.iter().enumerate().skip(ready) {
        if e.is_barrier() {
            barriers += 1;
            points.entry(last[i + 1]).or_insert(if e.flags & FUA != 0 { Kind::Fua } else { Kind::Flush });
        }
    }
    let between: Vec<usize> = (ready..=n).filter(|&p| last[p] == p && !points.contains_key(&p)).collect();
    let mut x = seed.max(1);
    let want = points.len() + random.min(between.len());
    while points.len() < want {
        points.entry(between[(next(&mut x) % between.len() as u64) as usize]).or_insert(Kind::Random);
    }
    Ok(Plan { points, barriers, writes: (0..n).filter(|&i| is_write(i)).count() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logwrites::tests::{build, file_of};
    use crate::logwrites::{END_MARK, FLUSH};

    #[test]
    fn one_point_per_state() {
        let w = |s| (s, vec![0; 512], 0, "");
        let log = build(&[
            (0, vec![], MARK, "devices:8:8"),
            (0, vec![], MARK, "region:8"),
            (0, vec![], MARK, "ready"),
            w(1),
            w(2),
            (0, vec![], FLUSH, ""),
            (0, vec![], FLUSH, ""),
            (0, vec![], MARK, "w:1:1"),
            w(3),
            (3, vec![0; 512], FUA, ""),
            w(4),
            (0, vec![], MARK, END_MARK),
        ]);
        let log = Log::open(file_of(&log)).unwrap();
        let p = plan(&log, 0, 1).unwrap();
        // The two flushes and the mark after them: one state, checked
        // after the mark; the FUA write's state, before the next write.
        assert_eq!(p.points.into_iter().collect::<Vec<_>>(), vec![(8, Kind::Flush), (10, Kind::Fua)]);
        assert_eq!((p.barriers, p.writes), (3, 5));
        let p = plan(&log, 10, 1).unwrap();
        // Random points: the other states (before each write, and the
        // last).
        let random: Vec<usize> = p.points.iter().filter(|(_, &k)| k == Kind::Random).map(|(&p, _)| p).collect();
        assert_eq!(random, vec![3, 4, 9, 12]);
    }

    #[test]
    fn refuses_a_log_cut_short() {
        let log = build(&[(0, vec![], MARK, "devices:8:8"), (0, vec![], MARK, "region:8"), (0, vec![], MARK, "ready")]);
        assert!(plan(&Log::open(file_of(&log)).unwrap(), 0, 1).is_err());
    }
}
