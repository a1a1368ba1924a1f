//! The in-memory remap table: an open-addressing hash keyed by main block,
//! over storage the caller allocates (a `Vec` on the host, a kernel vector
//! in the module). Lookups cost the same at any size (linear probing, load
//! at most 3/4). A slot is 12 bytes and a table grows by doubling when it
//! would pass 3/4 full, so it is always at least 3/8 full: a remap costs at
//! most 32 bytes.

use super::format::{BlockState, Record};
use super::route::Lookup;
use super::summary::Summary;
use core::ops::DerefMut;

/// A spare block that two of `remaps` share, if any (damaged metadata:
/// writes to one main block would land in the other's data). `seen` is
/// scratch: zeroed, one bit per spare block up to the largest used; a spare
/// block past it is reported too.
pub fn shared_spare(remaps: impl IntoIterator<Item = Record>, seen: &mut [u64]) -> Option<u32> {
    for r in remaps {
        let Some(word) = seen.get_mut((r.spare / 64) as usize) else {
            return Some(r.spare);
        };
        let bit = 1 << (r.spare % 64);
        if *word & bit != 0 {
            return Some(r.spare);
        }
        *word |= bit;
    }
    None
}

/// One slot of the table: main block (48 bits), a used bit, the state bit
/// and the spare block, packed in 12 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot([u32; 3]);

const USED: u32 = 1 << 31;
const LOST: u32 = 1 << 30;
const PENDING: u32 = 1 << 29;

/// An unused slot.
pub const EMPTY: Slot = Slot([0; 3]);

/// Largest main block number a table can hold.
pub const MAX_MAIN_BLOCK: u64 = (1 << 48) - 1;

impl Slot {
    fn pack(r: &Record) -> Self {
        let state = match r.state {
            BlockState::Remapped => 0,
            BlockState::Lost => LOST,
            BlockState::Pending => LOST | PENDING,
        };
        Slot([r.main as u32, USED | state | (r.main >> 32) as u32, r.spare])
    }

    fn used(&self) -> bool {
        self.0[1] & USED != 0
    }

    fn main(&self) -> u64 {
        u64::from(self.0[0]) | u64::from(self.0[1] & 0xffff) << 32
    }

    fn record(&self) -> Record {
        let state = match (self.0[1] & LOST != 0, self.0[1] & PENDING != 0) {
            (false, _) => BlockState::Remapped,
            (true, false) => BlockState::Lost,
            (true, true) => BlockState::Pending,
        };
        Record { main: self.main(), spare: self.0[2], state }
    }
}

/// The table is full: grow it (see `RemapTable::grow_into`) first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeedsGrowth;

/// Number of slots for a table that holds `n` remaps.
pub fn slots_for(n: usize) -> usize {
    n.saturating_mul(4).div_ceil(3).max(16).next_power_of_two()
}

/// Remaps by main block.
pub struct RemapTable<S> {
    slots: S,
    len: usize,
}

impl<S: DerefMut<Target = [Slot]>> RemapTable<S> {
    /// A table over `slots`, which must be a power of two of `EMPTY` slots.
    pub fn new(mut slots: S) -> Self {
        debug_assert!(slots.len().is_power_of_two());
        slots.fill(EMPTY);
        Self { slots, len: 0 }
    }

    /// Number of remaps.
    pub fn count(&self) -> usize {
        self.len
    }

    /// Number of slots.
    pub fn slots(&self) -> usize {
        self.slots.len()
    }

    /// Bytes of the table's storage.
    pub fn bytes(&self) -> usize {
        core::mem::size_of_val(&*self.slots)
    }

    /// Most remaps the table holds before it must grow (3/4 of its slots).
    pub fn capacity(&self) -> usize {
        self.slots.len() / 4 * 3
    }

    /// Whether one more insert of a new block needs a bigger table.
    pub fn is_full(&self) -> bool {
        self.len >= self.capacity()
    }

    fn index(&self, main: u64) -> usize {
        let h = main.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (h >> (64 - self.slots.len().trailing_zeros())) as usize
    }

    fn find(&self, main: u64) -> Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let mut i = self.index(main);
        loop {
            match self.slots[i] {
                s if !s.used() => return Err(i),
                s if s.main() == main => return Ok(i),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// The remap of main block `main`, if any.
    pub fn get(&self, main: u64) -> Option<Record> {
        Some(self.slots[self.find(main).ok()?].record())
    }

    /// Adds or replaces the remap of `r.main` (at most `MAX_MAIN_BLOCK`).
    pub fn insert(&mut self, r: Record) -> Result<(), NeedsGrowth> {
        debug_assert!(r.main <= MAX_MAIN_BLOCK);
        let slot = Slot::pack(&r);
        match self.find(r.main) {
            Ok(i) => self.slots[i] = slot,
            Err(_) if self.is_full() => return Err(NeedsGrowth),
            Err(i) => {
                self.slots[i] = slot;
                self.len += 1;
            }
        }
        Ok(())
    }

    /// A spare block that two remaps share, if any: [`shared_spare`] over
    /// this table.
    pub fn shared_spare(&self, seen: &mut [u64]) -> Option<u32> {
        shared_spare(self.iter(), seen)
    }

    /// Every remap, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = Record> + '_ {
        self.slots.iter().filter(|s| s.used()).map(Slot::record)
    }

    /// Moves every remap into `bigger`, which must have room for them.
    fn grow_into<T: DerefMut<Target = [Slot]>>(&self, bigger: &mut RemapTable<T>) -> Result<(), NeedsGrowth> {
        self.iter().try_for_each(|r| bigger.insert(r))
    }

    /// Makes `dst` hold exactly this table's remaps: slot for slot when
    /// both have as many slots, else by inserting each (`dst` must have
    /// room for them).
    pub fn copy_into<T: DerefMut<Target = [Slot]>>(&self, dst: &mut RemapTable<T>) -> Result<(), NeedsGrowth> {
        if dst.slots.len() == self.slots.len() {
            // (A zip, not `copy_from_slice`: no panic path for the kernel.)
            dst.slots.iter_mut().zip(self.slots.iter()).for_each(|(d, s)| *d = *s);
            dst.len = self.len;
            return Ok(());
        }
        dst.slots.fill(EMPTY);
        dst.len = 0;
        self.grow_into(dst)
    }
}

/// A remap table with a summary of where its remaps are: what routing
/// looks blocks up in (unmarked regions are skipped whole).
///
/// Invariant: the region of every remap in `map` is marked in `summary`.
pub struct Indexed<S, B> {
    map: RemapTable<S>,
    summary: Summary<B>,
}

impl<S: DerefMut<Target = [Slot]>, B: DerefMut<Target = [u64]>> Indexed<S, B> {
    /// An index of `map`'s remaps: marks their regions in `summary`.
    pub fn new(map: RemapTable<S>, mut summary: Summary<B>) -> Self {
        map.iter().for_each(|r| summary.mark(r.main));
        Self { map, summary }
    }

    /// The table, to read.
    pub fn map(&self) -> &RemapTable<S> {
        &self.map
    }

    /// The summary, to read.
    pub fn summary(&self) -> &Summary<B> {
        &self.summary
    }

    /// Adds or replaces the remap of `r.main`, and marks its region.
    pub fn insert(&mut self, r: Record) -> Result<(), NeedsGrowth> {
        self.map.insert(r)?;
        self.summary.mark(r.main);
        Ok(())
    }

    /// Makes this hold exactly `other`'s remaps (see `copy_into`); the
    /// summaries must have the same shape.
    pub fn copy_from<T: DerefMut<Target = [Slot]>, C: DerefMut<Target = [u64]>>(
        &mut self,
        other: &Indexed<T, C>,
    ) -> Result<(), NeedsGrowth> {
        other.map.copy_into(&mut self.map)?;
        self.summary.copy_from(&other.summary);
        Ok(())
    }
}

impl<S: DerefMut<Target = [Slot]>, B: DerefMut<Target = [u64]>> Lookup for Indexed<S, B> {
    #[inline]
    fn get(&self, block: u64) -> Option<Record> {
        // Most blocks lie in regions without remaps: one bit test.
        if !self.summary.is_marked(block) {
            return None;
        }
        self.map.get(block)
    }

    fn next_candidate(&self, from: u64, last: u64) -> Option<u64> {
        self.summary.next_marked(from, last)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::collections::HashMap;
    use std::vec;

    fn rec(main: u64, spare: u32) -> Record {
        Record { main, spare, state: BlockState::Remapped }
    }

    #[test]
    fn matches_a_model() {
        let mut t = RemapTable::new(vec![EMPTY; slots_for(1000)]);
        let mut model = HashMap::new();
        let mut x = 12345u64;
        for i in 0..1000u32 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let main = x >> 16;
            t.insert(rec(main, i)).unwrap();
            model.insert(main, i);
        }
        assert_eq!(t.count(), model.len());
        for (&m, &s) in &model {
            assert_eq!(t.get(m), Some(rec(m, s)));
        }
        assert_eq!(t.get(7), None);
        assert_eq!(t.iter().count(), model.len());
    }

    #[test]
    fn indexed_lookups_match_the_table() {
        use crate::summary::{summary_shape, Summary};
        let (shift, words) = summary_shape(1 << 20);
        let mut map = RemapTable::new(vec![EMPTY; slots_for(100)]);
        map.insert(rec(300_000, 0)).unwrap();
        // `new` marks what the table already holds.
        let mut t = Indexed::new(map, Summary::new(vec![0; words], shift));
        for i in 1..100u32 {
            t.insert(rec(u64::from(i) * 7_919, i)).unwrap();
        }
        for b in (0..1 << 20).step_by(13).chain([300_000, 7_919, 99 * 7_919]) {
            assert_eq!(t.get(b), t.map().get(b), "{b}");
        }
        assert_eq!(t.get(300_000), Some(rec(300_000, 0)));
    }

    #[test]
    fn finds_a_shared_spare_block() {
        let mut t = RemapTable::new(vec![EMPTY; slots_for(10)]);
        t.insert(rec(1, 0)).unwrap();
        t.insert(rec(2, 70)).unwrap();
        assert_eq!(t.shared_spare(&mut [0; 2]), None);
        t.insert(rec(3, 70)).unwrap();
        assert_eq!(t.shared_spare(&mut [0; 2]), Some(70));
        // Main block 3 moves on: no longer shared.
        t.insert(rec(3, 71)).unwrap();
        assert_eq!(t.shared_spare(&mut [0; 2]), None);
        // Scratch too small: reported, never a panic.
        assert_eq!(t.shared_spare(&mut [0; 1]).map(|s| s >= 64), Some(true));
    }

    #[test]
    fn grows() {
        let mut t = RemapTable::new(vec![EMPTY; 16]);
        for i in 0..12 {
            t.insert(rec(i, i as u32)).unwrap();
        }
        assert_eq!(t.insert(rec(100, 1)), Err(NeedsGrowth));
        t.insert(Record { state: BlockState::Lost, ..rec(3, 3) }).unwrap();
        t.insert(Record { state: BlockState::Pending, ..rec(4, 4) }).unwrap();
        let mut big = RemapTable::new(vec![EMPTY; 32]);
        t.grow_into(&mut big).unwrap();
        big.insert(rec(100, 1)).unwrap();
        assert_eq!(big.count(), 13);
        assert_eq!(big.get(3).unwrap().state, BlockState::Lost);
        assert_eq!(big.get(4).unwrap().state, BlockState::Pending);
        // A copy, same size or bigger, holds the same remaps and only them.
        let mut same = RemapTable::new(vec![EMPTY; 32]);
        same.insert(rec(555, 5)).unwrap();
        big.copy_into(&mut same).unwrap();
        let mut bigger = RemapTable::new(vec![EMPTY; 64]);
        big.copy_into(&mut bigger).unwrap();
        for t in [&same, &bigger] {
            assert_eq!(t.count(), 13);
            assert_eq!(t.get(555), None);
            assert_eq!(t.get(100), Some(rec(100, 1)));
        }
    }

    #[test]
    fn memory_per_remap() {
        assert_eq!(core::mem::size_of::<Slot>(), 12);
        // Worst case: just after doubling, 3/8 full.
        for n in [1000, 98_305, 100_000, 1_000_000] {
            assert!(slots_for(n) * 12 <= 32 * n, "{n}");
        }
        let t = RemapTable::new(vec![EMPTY; 16]);
        assert!(!t.is_full());
        assert_eq!(t.bytes(), 16 * 12);
    }
}
