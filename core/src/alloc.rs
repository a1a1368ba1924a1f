//! The spare-block allocator: hands out spare data blocks in order and
//! never hands one out twice. Its position is persisted in every commit.

/// Spare data blocks `0..next` are in use, `next..total` are free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocator {
    next: u64,
    total: u64,
}

impl Allocator {
    /// An allocator at `next` of `total` blocks.
    pub fn new(next: u64, total: u64) -> Self {
        Self { next: next.min(total), total }
    }

    /// Blocks still free.
    pub fn free(&self) -> u64 {
        self.total - self.next
    }

    /// The next block to hand out (the persisted position).
    pub fn next(&self) -> u64 {
        self.next
    }

    /// Takes `n` consecutive blocks; returns the first.
    pub fn take(&mut self, n: u64) -> Option<u64> {
        if n > self.free() {
            return None;
        }
        let first = self.next;
        self.next += n;
        Some(first)
    }

    /// Gives back the last `n` blocks taken, which were not used (no more
    /// than were taken since the allocator was made at `start`).
    pub fn give_back(&mut self, n: u64, start: u64) {
        self.next = self.next.saturating_sub(n).max(start.min(self.next));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_twice_never_beyond() {
        let mut a = Allocator::new(0, 10);
        assert_eq!(a.take(3), Some(0));
        assert_eq!(a.take(7), Some(3));
        assert_eq!(a.take(1), None);
        assert_eq!(a.free(), 0);
        assert_eq!(Allocator::new(12, 10).free(), 0);
    }

    #[test]
    fn give_back_stops_at_start() {
        let mut a = Allocator::new(4, 10);
        assert_eq!(a.take(3), Some(4));
        a.give_back(1, 4);
        assert_eq!(a.take(1), Some(6));
        a.give_back(9, 4);
        assert_eq!(a.next(), 4);
    }
}
