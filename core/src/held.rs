//! The blocks a relocation holds writes to, as `[first, end)` ranges of
//! main blocks: sorted and merged once when the gate closes, so that each
//! write `map` checks against them costs a binary search, however many
//! ranges an error storm holds.

/// Sorts `ranges` and merges those that overlap or touch, in place; the
/// first `n` (returned) are then sorted and disjoint.
pub fn merge(ranges: &mut [(u64, u64)]) -> usize {
    ranges.sort_unstable();
    let mut n = 0usize;
    for i in 0..ranges.len() {
        let (a, b) = ranges[i];
        match n.checked_sub(1) {
            Some(last) if a <= ranges[last].1 => ranges[last].1 = ranges[last].1.max(b),
            _ => {
                ranges[n] = (a, b);
                n += 1;
            }
        }
    }
    n
}

/// The first block from `first` to `last` (inclusive) that `merged`
/// (sorted and disjoint ranges, see `merge`) holds.
pub fn first_held(merged: &[(u64, u64)], first: u64, last: u64) -> Option<u64> {
    let i = merged.partition_point(|&(_, end)| end <= first);
    merged.get(i).filter(|&&(start, _)| start <= last).map(|&(start, _)| start.max(first))
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    #[test]
    fn agrees_with_a_scan_of_the_raw_ranges() {
        let mut seed = 7u64;
        let mut next = |m: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        for _ in 0..200 {
            let raw: Vec<(u64, u64)> = (0..next(12))
                .map(|_| {
                    let a = next(100);
                    (a, a + 1 + next(8))
                })
                .collect();
            let mut merged = raw.clone();
            let n = merge(&mut merged);
            let merged = &merged[..n];
            assert!(merged.windows(2).all(|w| w[0].1 < w[1].0), "{merged:?}");
            for first in 0..110 {
                let last = first + next(10);
                let scan = raw.iter().filter(|&&(a, b)| a <= last && first < b).map(|&(a, _)| a.max(first)).min();
                assert_eq!(first_held(merged, first, last), scan, "{raw:?} {first}..={last}");
            }
        }
    }
}
