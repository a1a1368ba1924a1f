//! A value published with RCU: readers in any context borrow it without a
//! lock or an atomic write; a writer replaces it whole and frees the old
//! one after a grace period.

use super::ffi;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;

/// A `T` that readers borrow under RCU and writers replace.
///
/// Invariant: `ptr` came from `KBox::into_raw` and is owned by this value;
/// a pointer that was replaced is freed only after a grace period, so a
/// reader that loaded it inside an RCU read-side section can use it until
/// the section ends.
pub struct RcuBox<T: Send + Sync> {
    ptr: AtomicPtr<T>,
}

impl<T: Send + Sync> RcuBox<T> {
    /// Publishes `value`.
    pub fn new(value: KBox<T>) -> Self {
        Self { ptr: AtomicPtr::new(KBox::into_raw(value)) }
    }

    /// Runs `f` on the current value, in an RCU read-side section: any
    /// context, and `f` must not sleep. The borrow cannot leave `f`.
    pub fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        rcu_read(|| {
            // SAFETY: the pointer is live (invariant) and, once replaced,
            // freed only after this section ends.
            f(unsafe { &*self.ptr.load(Ordering::Acquire) })
        })
    }

    /// Publishes `value`, then waits for a grace period and drops the old
    /// value (process context: it sleeps; never inside `read`).
    pub fn replace(&self, value: KBox<T>) {
        let old = self.ptr.swap(KBox::into_raw(value), Ordering::AcqRel);
        // Every reader that could have loaded `old` has finished after this.
        synchronize_rcu();
        // SAFETY: `old` came from `KBox::into_raw` (invariant), is no
        // longer published and no reader holds it.
        drop(unsafe { KBox::from_raw(old) });
    }
}

impl<T: Send + Sync> Drop for RcuBox<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: nothing else reaches the value; it came from
        // `KBox::into_raw` (invariant).
        drop(unsafe { KBox::from_raw(*self.ptr.get_mut()) });
    }
}

/// Runs `f` in an RCU read-side critical section: `f` must not sleep.
/// [`synchronize_rcu`] waits for every section that began before it.
fn rcu_read<R>(f: impl FnOnce() -> R) -> R {
    // SAFETY: lock and unlock are paired around `f`, on this thread.
    unsafe { ffi::dmr_rcu_read_lock() };
    let r = f();
    // SAFETY: as above.
    unsafe { ffi::dmr_rcu_read_unlock() };
    r
}

/// Waits until every RCU read-side section that began before the call has
/// ended (process context: it sleeps). Implies a full memory barrier.
fn synchronize_rcu() {
    // SAFETY: called from process context (the callers are workers).
    unsafe { ffi::synchronize_rcu() }
}
