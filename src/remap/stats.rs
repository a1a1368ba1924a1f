//! I/O error and relocation counters, updated from `end_io` (possibly in
//! hard-IRQ context) and the worker: lock-free atomics, touched only when
//! a bio fails or a block moves.

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Why a block was relocated (its index in the counters, the status
/// line's order).
#[derive(Clone, Copy)]
pub enum Cause {
    /// A write to main failed: the block moved with the write's data.
    WriteError = 0,
    /// A read from main kept failing: the block moved with its data lost
    /// (reads fail until a write of the whole block).
    ReadError = 1,
    /// A read from main failed, then succeeded on a retry: the block moved
    /// with the data read.
    RecoveredRead = 2,
    /// The `remap` message.
    Message = 3,
}

/// Counters since creation or `clear_stats`, and the lifetime relocation
/// counters of the last commit.
pub struct IoStats {
    read_errors: AtomicU64,
    write_errors: AtomicU64,
    /// Failed I/O whose error says nothing about the blocks (not counted
    /// towards relocation).
    ignored: AtomicU64,
    relocated: [AtomicU64; 4],
    /// `Superblock::relocated` of the last commit (`clear` keeps them).
    lifetime: [AtomicU64; 4],
}

impl IoStats {
    /// Counters at 0, and the lifetime ones of the commit loaded.
    pub fn new(lifetime: &[u32; 4]) -> Self {
        let stats = Self {
            read_errors: AtomicU64::new(0),
            write_errors: AtomicU64::new(0),
            ignored: AtomicU64::new(0),
            relocated: [const { AtomicU64::new(0) }; 4],
            lifetime: [const { AtomicU64::new(0) }; 4],
        };
        stats.set_lifetime(lifetime);
        stats
    }

    pub fn count_error(&self, is_read: bool) {
        let c = if is_read { &self.read_errors } else { &self.write_errors };
        c.fetch_add(1, Relaxed);
    }

    pub fn count_ignored(&self) {
        self.ignored.fetch_add(1, Relaxed);
    }

    /// Counts a commit's relocations by cause (indexed by `Cause`), and
    /// takes the lifetime counters it committed.
    pub fn count_committed(&self, by_cause: &[u64; 4], lifetime: &[u32; 4]) {
        for (c, n) in self.relocated.iter().zip(by_cause) {
            c.fetch_add(*n, Relaxed);
        }
        self.set_lifetime(lifetime);
    }

    /// Takes the lifetime counters of a commit loaded from the spare.
    pub fn set_lifetime(&self, lifetime: &[u32; 4]) {
        for (c, n) in self.lifetime.iter().zip(lifetime) {
            c.store(u64::from(*n), Relaxed);
        }
    }

    /// (read errors, write errors)
    pub fn errors(&self) -> (u64, u64) {
        (self.read_errors.load(Relaxed), self.write_errors.load(Relaxed))
    }

    pub fn ignored(&self) -> u64 {
        self.ignored.load(Relaxed)
    }

    /// Relocations since the load by cause, and over the pair's life.
    pub fn relocated(&self) -> ([u64; 4], [u64; 4]) {
        let load = |c: &[AtomicU64; 4]| core::array::from_fn(|i| c[i].load(Relaxed));
        (load(&self.relocated), load(&self.lifetime))
    }

    pub fn clear(&self) {
        for c in [&self.read_errors, &self.write_errors, &self.ignored].into_iter().chain(&self.relocated) {
            c.store(0, Relaxed);
        }
    }
}
