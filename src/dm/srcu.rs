//! Sleepable RCU whose read-side sections may begin in one context and end
//! in another (`srcu_down_read`/`srcu_up_read`): a bio's section begins in
//! `map` and ends in `end_io`, possibly in hard IRQ on another CPU.

use super::ffi;
use core::ptr::NonNull;
use kernel::error::code;
use kernel::prelude::*;

/// An SRCU domain.
///
/// Invariant: `p` came from `dmr_srcu_alloc` (an initialised
/// `srcu_struct`) and is freed once, on drop.
pub struct Srcu {
    p: NonNull<ffi::srcu_struct>,
}

// SAFETY: SRCU's read side and `synchronize` may be used from any CPU;
// the structure is only changed through the kernel's SRCU calls.
unsafe impl Send for Srcu {}
// SAFETY: see `Send`.
unsafe impl Sync for Srcu {}

/// The index of a read-side section, to hand back to [`Srcu::up_read`].
/// Not `Copy` nor `Clone`: a section ends once.
#[derive(PartialEq, Eq, Debug)]
pub struct SrcuIdx(u8);

impl Srcu {
    /// A new domain (process context).
    pub fn new() -> Result<Self> {
        // SAFETY: no preconditions; returns an initialised domain or NULL.
        let p = unsafe { ffi::dmr_srcu_alloc() };
        NonNull::new(p).map(|p| Self { p }).ok_or(code::ENOMEM)
    }

    /// Begins a read-side section (any context but hard IRQ and NMI); end
    /// it with `up_read`, from any context but NMI.
    pub fn down_read(&self) -> SrcuIdx {
        // SAFETY: `p` is live (invariant).
        SrcuIdx(unsafe { ffi::dmr_srcu_down_read(self.p.as_ptr()) } as u8)
    }

    /// Ends the section that `down_read` began and returned `idx` for.
    pub fn up_read(&self, idx: SrcuIdx) {
        // SAFETY: `p` is live; `idx` came from `down_read` (0 or 1).
        unsafe { ffi::dmr_srcu_up_read(self.p.as_ptr(), idx.0.into()) }
    }

    /// Waits until every read-side section that began before the call
    /// has ended (expedited; process context: it sleeps). Implies a full
    /// memory barrier.
    pub fn synchronize(&self) {
        // SAFETY: `p` is live; callers are in process context.
        unsafe { ffi::dmr_synchronize_srcu(self.p.as_ptr()) }
    }
}

impl Drop for Srcu {
    fn drop(&mut self) {
        // SAFETY: allocated by `dmr_srcu_alloc`, freed once (invariant);
        // the owner ended every section it began before dropping.
        unsafe { ffi::dmr_srcu_free(self.p.as_ptr()) }
    }
}
