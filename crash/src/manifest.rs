//! What the workload did, from the marks it left in the log, and so what
//! must hold at a given point.
//!
//! Marks (written with `dmsetup message <log dev> 0 mark <text>`; a mark
//! is one word, so its fields are joined by `:`):
//! - `devices:<main>:<spare>`: the sizes of main and spare, in sectors;
//! - `region:<blocks>`: stamped blocks are 0 to `blocks` - 1;
//! - `defects:<first>:<step>:<count>`: main blocks that fail every I/O;
//! - `fio:<first>:<blocks>`: fio's area (see fio.rs);
//! - `ready`: the table is loaded (points start after it);
//! - `w:<block>:<stamp>`: a write of the stamp was acknowledged (it used
//!   FUA);
//! - `p:<block>`: a read of the block failed (it is now pending);
//! - `r:<block>`: a `remap` message for the block returned.
//!
//! The workload does one thing at a time and marks it when it returns. A
//! mark is logged when it is sent, and a FUA write when it completes, so
//! what lies between two marks is the work of the second one: at a point,
//! the operation of the next mark is the one in flight, which may or may
//! not have landed.

use crate::logwrites::{Log, END_MARK};
use std::collections::{BTreeSet, HashMap};

/// What the workload knew of a stamped block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Block {
    /// Never written: zeros.
    #[default]
    Zero,
    /// Last acknowledged write.
    Stamp(u64),
    /// A read failed and nothing was written since: reads must fail.
    Lost,
}

/// One operation of the workload, as its mark tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Write { block: u64, stamp: u64 },
    FailedRead { block: u64 },
    Remap { block: u64 },
}

/// The workload's record up to a point.
#[derive(Debug, Default)]
pub struct Manifest {
    /// Main's and the spare's sizes in bytes.
    pub devices: (u64, u64),
    pub region: u64,
    /// Main blocks that fail every I/O.
    pub defects: BTreeSet<u64>,
    /// fio's area: its first block and how many.
    pub fio: Option<(u64, u64)>,
    pub ready: Option<usize>,
    pub blocks: HashMap<u64, Block>,
    /// Blocks that must be remapped.
    pub remapped: BTreeSet<u64>,
    pub acked_writes: u64,
    /// The operation in flight at the point.
    pub inflight: Option<Op>,
}

fn nums(words: &[&str]) -> Result<Vec<u64>, String> {
    words.iter().map(|w| w.parse::<u64>().map_err(|_| format!("'{w}' is not a number"))).collect()
}

impl Manifest {
    /// Reads the marks of the first `point` entries, and the first mark
    /// after them (the operation in flight).
    pub fn at(log: &Log, point: usize) -> Result<Self, String> {
        let mut m = Manifest::default();
        for (i, e) in log.entries.iter().enumerate() {
            let Some(text) = &e.mark else { continue };
            let words: Vec<&str> = text.split(':').collect();
            let n = nums(&words[1..]).map_err(|err| format!("mark {i} '{text}': {err}"))?;
            let op = match (words[0], n.as_slice()) {
                ("devices", &[main, spare]) => {
                    m.devices = (main * 512, spare * 512);
                    continue;
                }
                ("region", &[blocks]) => {
                    m.region = blocks;
                    continue;
                }
                ("defects", &[first, step, count]) => {
                    m.defects.extend((0..count).map(|k| first + k * step));
                    continue;
                }
                ("fio", &[first, blocks]) => {
                    m.fio = Some((first, blocks));
                    continue;
                }
                ("ready", &[]) => {
                    m.ready = Some(i + 1);
                    continue;
                }
                (END_MARK, &[]) => continue,
                ("w", &[block, stamp]) => Op::Write { block, stamp },
                ("p", &[block]) => Op::FailedRead { block },
                ("r", &[block]) => Op::Remap { block },
                _ => return Err(format!("mark {i}: '{text}' is not a mark of the workload")),
            };
            if i >= point {
                m.inflight = Some(op);
                break;
            }
            match op {
                Op::Write { block, stamp } => {
                    m.blocks.insert(block, Block::Stamp(stamp));
                    m.acked_writes += 1;
                    if m.defects.contains(&block) {
                        m.remapped.insert(block);
                    }
                }
                Op::FailedRead { block } => {
                    m.blocks.insert(block, Block::Lost);
                    m.remapped.insert(block);
                }
                Op::Remap { block } => {
                    m.remapped.insert(block);
                }
            }
        }
        if m.region == 0 || m.devices.0 == 0 {
            return Err("the log has no 'devices' or 'region' mark".into());
        }
        Ok(m)
    }

    /// Whether `block` is a defect that nothing wrote or read (it reads
    /// zeros or fails, which says nothing).
    pub fn unwritten_defect(&self, block: u64) -> bool {
        let touched = match self.inflight {
            Some(Op::Write { block: b, .. } | Op::FailedRead { block: b } | Op::Remap { block: b }) => b == block,
            None => false,
        };
        self.defects.contains(&block) && !self.blocks.contains_key(&block) && !touched
    }

    /// Checks one block's read result: its stamp (`STAMP <seq> <block>`,
    /// see `stamp_of` in run.rs, or empty for zeros), or `None` when the
    /// read failed.
    pub fn check_block(&self, block: u64, read: Option<&str>) -> Result<(), String> {
        let want = self.blocks.get(&block).copied().unwrap_or_default();
        let stamp = |s: u64| format!("STAMP {s} {block}");
        let landed = match (self.inflight, read) {
            (Some(Op::Write { block: b, stamp: s }), Some(got)) => b == block && stamp(s) == got,
            (Some(Op::FailedRead { block: b }), None) => b == block,
            _ => false,
        };
        let ok = landed
            || match (want, read) {
                (Block::Zero, Some(got)) => got.is_empty(),
                // Main cannot read a defect that was never written.
                (Block::Zero, None) => self.defects.contains(&block),
                (Block::Stamp(s), Some(got)) => stamp(s) == got,
                (Block::Lost, None) => true,
                _ => false,
            };
        if ok {
            return Ok(());
        }
        let got = read.map_or("an I/O error".to_string(), |g| format!("'{g}'"));
        let want = match want {
            Block::Zero => "zeros (never written)".to_string(),
            Block::Stamp(s) => format!("stamp {s}"),
            Block::Lost => "an I/O error (its data was lost)".to_string(),
        };
        Err(format!("block {block} reads {got}; acknowledged: {want}; in flight: {:?}", self.inflight))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logwrites::tests::{build, file_of};
    use crate::logwrites::{FLUSH, MARK};

    fn log_of(marks: &[&str]) -> Log {
        let entries: Vec<_> =
            marks.iter().map(|m| if m.is_empty() { (0, vec![], FLUSH, "") } else { (0, vec![], MARK, *m) }).collect();
        Log::open(file_of(&build(&entries))).unwrap()
    }

    #[test]
    fn follows_the_workload_to_a_point() {
        // Entries: 0 devices, 1 region, 2 defects, 3 ready, 4 a flush, 5 w,
        // 6 w, 7 p, 8 r.
        let log = log_of(&["devices:16:8", "region:64", "defects:5:64:1", "ready", "", "w:3:1", "w:5:2", "p:7", "r:9"]);
        let m = Manifest::at(&log, 5).unwrap();
        assert_eq!((m.ready, m.fio), (Some(4), None));
        assert_eq!(m.inflight, Some(Op::Write { block: 3, stamp: 1 }));
        assert!(m.check_block(3, Some("STAMP 1 3")).is_ok() && m.check_block(3, Some("")).is_ok());
        assert!(m.check_block(4, Some("STAMP 1 3")).is_err(), "a stamp of another block");
        assert!(m.check_block(5, None).is_ok() && m.check_block(4, None).is_err(), "only a defect fails unwritten");
        let m = Manifest::at(&log, 6).unwrap();
        assert!(m.check_block(3, Some("STAMP 1 3")).is_ok());
        assert!(m.check_block(3, Some("")).is_err(), "an acknowledged write is gone");
        assert!(m.check_block(3, None).is_err());
        let m = Manifest::at(&log, 7).unwrap();
        assert!(m.check_block(7, Some("")).is_ok() && m.check_block(7, None).is_ok(), "a read in flight");
        let m = Manifest::at(&log, 9).unwrap();
        assert_eq!(m.remapped.iter().copied().collect::<Vec<_>>(), vec![5, 7, 9]);
        assert!(m.check_block(7, None).is_ok());
        assert!(m.check_block(7, Some("")).is_err(), "a lost block read as zeros");
        assert!(m.check_block(5, Some("STAMP 2 5")).is_ok() && m.check_block(5, Some("STAMP 2 6")).is_err());
        assert_eq!((m.acked_writes, m.inflight), (2, None));
    }

    #[test]
    fn refuses_unknown_marks() {
        assert!(Manifest::at(&log_of(&["devices:8:8", "region:8", "x:1"]), 3).is_err());
        assert!(Manifest::at(&log_of(&["devices:8:8", "region:8", "w:1"]), 3).is_err());
        assert!(Manifest::at(&log_of(&["devices:8:8", "region:8", "w:1:x"]), 3).is_err());
        assert!(Manifest::at(&log_of(&["region:8"]), 1).is_err(), "no devices mark");
        assert!(Manifest::at(&log_of(&["ready"]), 1).is_err());
        let m = Manifest::at(&log_of(&["devices:8:8", "region:8", "fio:16:4"]), 3).unwrap();
        assert_eq!(m.fio, Some((16, 4)));
        assert!(Manifest::at(&log_of(&["devices:8:8", "region:8", "fio:16"]), 3).is_err());
    }
}
