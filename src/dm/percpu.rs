//! Per-CPU counters of writes in flight, and RCU read-side sections, for
//! tracking I/O in `map` and `end_io` without shared cache lines or locks.

use super::ffi;
use core::ptr::NonNull;
use kernel::error::code;
use kernel::prelude::*;

/// Writes in flight, counted per CPU in two epochs. A write may start on
/// one CPU and end on another: only the sum over CPUs means anything.
///
/// Invariant: `p` came from `dmr_inflight_alloc` and is freed once, on
/// drop.
pub struct InflightCounters {
    p: NonNull<ffi::dmr_inflight>,
}

// SAFETY: per-CPU counters are updated with this_cpu operations, which are
// safe from any context and CPU; the allocation is shared read-only.
unsafe impl Send for InflightCounters {}
// SAFETY: see `Send`.
unsafe impl Sync for InflightCounters {}

impl InflightCounters {
    /// Zeroed counters (process context).
    pub fn new() -> Result<Self> {
        // SAFETY: no preconditions; returns zeroed per-CPU memory or NULL.
        let p = unsafe { ffi::dmr_inflight_alloc() };
        NonNull::new(p).map(|p| Self { p }).ok_or(code::ENOMEM)
    }

    /// Counts a write starting in `epoch` on this CPU. Any context.
    pub fn inc(&self, epoch: u8) {
        // SAFETY: `p` is live (invariant).
        unsafe { ffi::dmr_inflight_inc(self.p.as_ptr(), epoch.into()) }
    }

    /// Counts a write of `epoch` done. Any context, including hard IRQ.
    pub fn dec(&self, epoch: u8) {
        // SAFETY: `p` is live (invariant).
        unsafe { ffi::dmr_inflight_dec(self.p.as_ptr(), epoch.into()) }
    }

    /// Writes of `epoch` in flight, summed over all CPUs. Exact once no new
    /// write can enter `epoch`: it can only fall while it is read.
    pub fn sum(&self, epoch: u8) -> isize {
        // SAFETY: `p` is live (invariant).
        unsafe { ffi::dmr_inflight_sum(self.p.as_ptr(), epoch.into()) }
    }
}

impl Drop for InflightCounters {
    fn drop(&mut self) {
        // SAFETY: allocated by `dmr_inflight_alloc`, freed once (invariant).
        unsafe { ffi::dmr_inflight_free(self.p.as_ptr()) }
    }
}

/// Runs `f` in an RCU read-side critical section: `f` must not sleep.
/// [`synchronize_rcu`] waits for every section that began before it.
pub fn rcu_read<R>(f: impl FnOnce() -> R) -> R {
    // SAFETY: lock and unlock are paired around `f`, on this thread.
    unsafe { ffi::dmr_rcu_read_lock() };
    let r = f();
    // SAFETY: as above.
    unsafe { ffi::dmr_rcu_read_unlock() };
    r
}

/// Waits until every RCU read-side section that began before the call has
/// ended (process context: it sleeps). Implies a full memory barrier.
pub fn synchronize_rcu() {
    // SAFETY: called from process context (the callers are workers).
    unsafe { ffi::synchronize_rcu() }
}
