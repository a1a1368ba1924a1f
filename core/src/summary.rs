//! A coarse map of where remaps are: one bit per region of main blocks, set
//! once any block of the region is remapped (remaps are never removed).
//! Routing skips unmarked regions whole, 64 regions per word, so a bio that
//! touches no remapped block routes in time that does not grow with its
//! length (a 4 GiB discard tests at most a few words).

use core::ops::DerefMut;

/// Regions are at least this many blocks (a power of two)...
const MIN_REGION_SHIFT: u32 = 10;
/// ...and there are at most this many (8 KiB of bits).
const MAX_REGIONS: u64 = 1 << 16;

/// The region size (as a shift) and the number of `u64` words of the
/// summary of a main device of `main_blocks` blocks.
pub fn summary_shape(main_blocks: u64) -> (u32, usize) {
    let mut shift = MIN_REGION_SHIFT;
    while main_blocks.div_ceil(1 << shift) > MAX_REGIONS {
        shift += 1;
    }
    let regions = main_blocks.div_ceil(1 << shift).max(1);
    (shift, regions.div_ceil(64) as usize)
}

/// Which regions hold remaps, over storage of `summary_shape` words.
pub struct Summary<B> {
    words: B,
    shift: u32,
}

impl<B: DerefMut<Target = [u64]>> Summary<B> {
    /// An empty summary over `words`, for regions of `1 << shift` blocks.
    pub fn new(mut words: B, shift: u32) -> Self {
        words.fill(0);
        Self { words, shift }
    }

    /// Marks the region of `block`.
    pub fn mark(&mut self, block: u64) {
        let region = block >> self.shift;
        if let Some(w) = self.words.get_mut((region / 64) as usize) {
            *w |= 1 << (region % 64);
        }
    }

    /// Whether the region of `block` is marked (a block past the summary
    /// counts as marked).
    #[inline]
    pub fn is_marked(&self, block: u64) -> bool {
        let region = block >> self.shift;
        match self.words.get((region / 64) as usize) {
            Some(w) => w >> (region % 64) & 1 != 0,
            None => true,
        }
    }

    /// Copies `other`'s marks (same shape) into this summary.
    pub fn copy_from<C: DerefMut<Target = [u64]>>(&mut self, other: &Summary<C>) {
        debug_assert_eq!(self.shift, other.shift);
        self.words.iter_mut().zip(other.words.iter()).for_each(|(d, s)| *d = *s);
    }

    /// The first block from `from` to `last` (inclusive) whose region is
    /// marked; blocks past the summary count as marked.
    pub fn next_marked(&self, from: u64, last: u64) -> Option<u64> {
        if from > last {
            return None;
        }
        let (first_region, last_region) = (from >> self.shift, last >> self.shift);
        let mut region = first_region;
        while region <= last_region {
            let Some(&word) = self.words.get((region / 64) as usize) else {
                return Some(from.max(region << self.shift));
            };
            let bits = word >> (region % 64);
            if bits != 0 {
                let hit = region + u64::from(bits.trailing_zeros());
                return (hit <= last_region).then(|| from.max(hit << self.shift));
            }
            region = (region / 64 + 1) * 64;
        }
        None
    }

    /// Bytes of the summary's storage.
    pub fn bytes(&self) -> usize {
        core::mem::size_of_val(&*self.words)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;

    #[test]
    fn shape() {
        assert_eq!(summary_shape(1), (10, 1));
        assert_eq!(summary_shape(1 << 26), (10, 1024));
        // 16 TiB of 4 KiB blocks: regions of 256 MiB, 8 KiB of bits.
        assert_eq!(summary_shape(1 << 32), (16, 1024));
    }

    #[test]
    fn finds_marked_regions_only() {
        let (shift, words) = summary_shape(1 << 20);
        let mut s = Summary::new(vec![0; words], shift);
        assert_eq!(s.next_marked(0, (1 << 20) - 1), None);
        s.mark(5000); // region 4: blocks 4096..=5119
        s.mark(900_000);
        assert_eq!(s.next_marked(0, 4095), None);
        assert_eq!(s.next_marked(0, 4096), Some(4096));
        assert_eq!(s.next_marked(4500, 4600), Some(4500));
        assert_eq!(s.next_marked(5120, 899_000), None);
        assert_eq!(s.next_marked(5120, (1 << 20) - 1), Some(900_000 & !1023));
        assert_eq!(s.next_marked(7, 3), None);
        // Blocks past the summary are conservatively marked.
        assert_eq!(s.next_marked(2 << 20, 3 << 20), Some(2 << 20));
        let mut t = Summary::new(vec![0; words], shift);
        t.copy_from(&s);
        assert_eq!(t.next_marked(0, 4096), Some(4096));
    }

    #[test]
    fn agrees_with_a_model() {
        let (shift, words) = summary_shape(100_000);
        let mut s = Summary::new(vec![0; words], shift);
        let marked = [3u64, 2048, 2049, 77_777, 99_999];
        for b in marked {
            s.mark(b);
        }
        for (from, last) in [(0, 99_999), (4, 2047), (2050, 77_000), (80_000, 99_998), (0, 0)] {
            let model = (from..=last).find(|b| marked.iter().any(|m| m >> shift == b >> shift));
            assert_eq!(s.next_marked(from, last), model, "{from}..={last}");
        }
        for b in (0..100_000).step_by(97).chain([2047, 2048, 1 << 40]) {
            let model = b >= 100_000 || marked.iter().any(|m| m >> shift == b >> shift);
            assert_eq!(s.is_marked(b), model, "{b}");
        }
    }
}
