//! I/O error counters, updated from `end_io` (possibly in hard-IRQ
//! context): lock-free atomics, touched only when a bio fails.

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Counts of failed reads and writes since creation or `clear_stats`.
pub struct IoStats {
    read_errors: AtomicU64,
    write_errors: AtomicU64,
}

impl IoStats {
    pub fn new() -> Self {
        Self { read_errors: AtomicU64::new(0), write_errors: AtomicU64::new(0) }
    }

    pub fn count_error(&self, is_read: bool) {
        let c = if is_read { &self.read_errors } else { &self.write_errors };
        c.fetch_add(1, Relaxed);
    }

    /// (read errors, write errors)
    pub fn errors(&self) -> (u64, u64) {
        (self.read_errors.load(Relaxed), self.write_errors.load(Relaxed))
    }

    pub fn clear(&self) {
        self.read_errors.store(0, Relaxed);
        self.write_errors.store(0, Relaxed);
    }
}
