//! Where a bio goes: the routing decision of `map`, as pure arithmetic.

use super::format::{BlockState, Record};

/// Destination of the first part of a bio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dest {
    /// This sector of main.
    Main(u64),
    /// This sector of spare.
    Spare(u64),
    /// A block whose data was lost, at this sector of spare: reads fail;
    /// a write of the whole block brings it back.
    Lost(u64),
    /// A block that main holds but failed to read, at this sector of
    /// spare (where it moves if main reads it again): as `Lost`, and a
    /// read may retest main.
    Pending(u64),
}

/// Block geometry needed to route.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// Sectors per remap block.
    pub block_sectors: u64,
    /// First sector of the spare data area.
    pub data_start: u64,
}

/// The remaps as `route` sees them.
pub trait Lookup {
    /// The remap of main block `block`, if any.
    fn get(&self, block: u64) -> Option<Record>;
    /// The first block from `from` to `last` (inclusive) that may be
    /// remapped: no block before it is. By default every block may be.
    fn next_candidate(&self, from: u64, last: u64) -> Option<u64> {
        (from <= last).then_some(from)
    }
}

impl<F: Fn(u64) -> Option<Record>> Lookup for F {
    fn get(&self, block: u64) -> Option<Record> {
        self(block)
    }
}

/// Routes `sectors` sectors from main sector `sector`; a bio without data
/// goes to main.
/// Returns how many sectors from the start go to the returned destination:
/// the bio is split there (`dm_accept_partial_bio`) and the rest comes back
/// to `map` as a new bio. `remaps` gives the remap of a main block; a piece
/// that goes to main costs one `next_candidate` and one `get` per
/// candidate it returns.
pub fn route(l: &Layout, sector: u64, sectors: u64, remaps: &impl Lookup) -> (u64, Dest) {
    if sectors == 0 {
        return (0, Dest::Main(sector));
    }
    let lookup = |b| remaps.get(b);
    let bs = l.block_sectors;
    let first = sector / bs;
    let in_block = sector % bs;
    if let Some(r) = lookup(first) {
        let start = l.data_start + u64::from(r.spare) * bs + in_block;
        let one = sectors.min(bs - in_block);
        match r.state {
            BlockState::Lost => return (one, Dest::Lost(start)),
            BlockState::Pending => return (one, Dest::Pending(start)),
            BlockState::Remapped => {}
        }
        // Following blocks remapped to the following spare blocks (a range
        // remapped together) go in the same piece.
        let mut len = bs - in_block;
        let mut prev = r.spare;
        while len < sectors {
            match lookup(first + len.div_ceil(bs)) {
                Some(n) if n.state == BlockState::Remapped && Some(n.spare) == prev.checked_add(1) => {
                    len += bs;
                    prev = n.spare;
                }
                _ => break,
            }
        }
        return (len.min(sectors), Dest::Spare(start));
    }
    if sectors <= bs - in_block {
        // Within one block (most bios): that was the only lookup.
        return (sectors, Dest::Main(sector));
    }
    let last = (sector + sectors - 1) / bs;
    let mut from = first + 1;
    while let Some(b) = remaps.next_candidate(from, last) {
        if lookup(b).is_some() {
            return (b * bs - sector, Dest::Main(sector));
        }
        from = b + 1;
    }
    (sectors, Dest::Main(sector))
}

/// Splits sectors `[start, start + sectors)` at block edges (blocks of
/// `block_sectors`): the pieces in which a failed bio is redone, one block
/// at a time, so that only blocks that fail on their own are relocated.
pub fn block_pieces(start: u64, sectors: u64, block_sectors: u64) -> impl Iterator<Item = (u64, u64)> {
    let end = start + sectors;
    let mut at = start;
    core::iter::from_fn(move || {
        if at >= end {
            return None;
        }
        let piece = (at, ((at / block_sectors + 1) * block_sectors).min(end));
        at = piece.1;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Layout = Layout { block_sectors: 8, data_start: 1000 };

    fn remapped(b: u64) -> Option<Record> {
        match b {
            2 => Some(Record { main: 2, spare: 5, state: BlockState::Remapped }),
            4 => Some(Record { main: 4, spare: 6, state: BlockState::Lost }),
            10..=12 => Some(Record { main: b, spare: b as u32 + 10, state: BlockState::Remapped }),
            13 => Some(Record { main: 13, spare: 7, state: BlockState::Remapped }),
            14 => Some(Record { main: 14, spare: 8, state: BlockState::Pending }),
            _ => None,
        }
    }

    #[test]
    fn a_range_remapped_together_is_one_piece() {
        // Blocks 10..12 live in spare blocks 20..22; block 13 elsewhere.
        assert_eq!(route(&L, 83, 100, &remapped), (21, Dest::Spare(1163)));
        assert_eq!(route(&L, 80, 12, &remapped), (12, Dest::Spare(1160)));
        assert_eq!(route(&L, 104, 8, &remapped), (8, Dest::Spare(1056)));
    }

    #[test]
    fn empty_bio_goes_to_main() {
        assert_eq!(route(&L, 16, 0, &remapped), (0, Dest::Main(16)));
        assert_eq!(route(&L, 0, 0, &remapped), (0, Dest::Main(0)));
    }

    #[test]
    fn plain_main() {
        assert_eq!(route(&L, 0, 16, &remapped), (16, Dest::Main(0)));
        assert_eq!(route(&L, 120, 100, &remapped), (100, Dest::Main(120)));
    }

    #[test]
    fn split_before_a_remapped_block() {
        assert_eq!(route(&L, 3, 40, &remapped), (13, Dest::Main(3)));
        assert_eq!(route(&L, 24, 16, &remapped), (8, Dest::Main(24)));
    }

    #[test]
    fn inside_a_remapped_block() {
        assert_eq!(route(&L, 16, 8, &remapped), (8, Dest::Spare(1040)));
        assert_eq!(route(&L, 19, 100, &remapped), (5, Dest::Spare(1043)));
        assert_eq!(route(&L, 17, 2, &remapped), (2, Dest::Spare(1041)));
        assert_eq!(route(&L, 33, 100, &remapped), (7, Dest::Lost(1049)));
        assert_eq!(route(&L, 112, 100, &remapped), (8, Dest::Pending(1064)));
    }

    #[test]
    fn pieces_follow_block_edges() {
        let p = |a, n| block_pieces(a, n, 8);
        assert!(p(0, 8).eq([(0, 8)]));
        assert!(p(3, 2).eq([(3, 5)]));
        assert!(p(6, 12).eq([(6, 8), (8, 16), (16, 18)]));
        assert!(p(16, 24).eq([(16, 24), (24, 32), (32, 40)]));
        assert_eq!(p(5, 0).count(), 0);
        assert_eq!(block_pieces(7, 2049, 8).map(|(a, b)| b - a).sum::<u64>(), 2049);
    }

    /// Remaps of the test whose `next_candidate` skips straight to the
    /// next remapped block, as a summary with one block per region would.
    struct Skipping;

    impl Lookup for Skipping {
        fn get(&self, block: u64) -> Option<Record> {
            remapped(block)
        }
        fn next_candidate(&self, from: u64, last: u64) -> Option<u64> {
            (from..=last).find(|&b| remapped(b).is_some())
        }
    }

    #[test]
    fn skipping_candidates_routes_the_same() {
        for sector in 0..130 {
            for sectors in [1, 7, 8, 9, 16, 40, 100, 1000] {
                assert_eq!(
                    route(&L, sector, sectors, &Skipping),
                    route(&L, sector, sectors, &remapped),
                    "{sector}+{sectors}"
                );
            }
        }
    }
}
