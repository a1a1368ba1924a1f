//! A work item on its own workqueue, for a target's background work.
//!
//! The 6.12 kernel crate cannot create a workqueue, and its work items
//! are reference counted. A target's worker is simpler: it is owned by the
//! target, and dropping it cancels the work and destroys the queue, so the
//! work never outlives what it works on.

use super::ffi;
use super::sync::NoIo;
use core::ffi::CStr;
use core::ops::Deref;
use core::ptr::NonNull;
use kernel::error::code;
use kernel::prelude::*;
use kernel::types::Opaque;

/// What a [`Worker`] runs.
pub trait Job: Send + Sync + 'static {
    /// Runs in process context on the worker's queue, never concurrently
    /// with itself; it may sleep. Its allocations never start I/O (it runs
    /// in a [`NoIo`] scope).
    fn run(&self);
}

/// `data` with a work item that runs `data.run()` on a `WQ_MEM_RECLAIM`
/// workqueue of its own.
///
/// Invariants: `wq` is a live workqueue and `work` was initialised with
/// `run_fn::<T>`; the value is pinned, so `work`'s address is stable while
/// it may be queued; drop cancels the work before anything is freed.
pub struct Worker<T: Job> {
    work: Opaque<ffi::work_struct>,
    wq: NonNull<ffi::workqueue_struct>,
    data: T,
}

// SAFETY: the work item and queue are used through the workqueue API,
// which is thread-safe; `T` is `Send + Sync`.
unsafe impl<T: Job> Send for Worker<T> {}
// SAFETY: see `Send`.
unsafe impl<T: Job> Sync for Worker<T> {}

impl<T: Job> Worker<T> {
    /// Creates the workqueue `name` and a worker around `data`.
    pub fn new(name: &'static CStr, data: T) -> Result<Pin<KBox<Self>>> {
        // SAFETY: `name` is a valid C string; the queue copies it.
        let wq = NonNull::new(unsafe { ffi::dmr_alloc_workqueue(name.as_ptr().cast()) }).ok_or(code::ENOMEM)?;
        // Allocate before building the value: a `Worker` must never be
        // dropped with an uninitialised work item (its drop cancels the
        // work and destroys the queue).
        let slot = match KBox::<Self>::new_uninit(GFP_KERNEL) {
            Ok(slot) => slot,
            Err(e) => {
                // SAFETY: the queue was just created and nothing used it.
                unsafe { ffi::destroy_workqueue(wq.as_ptr()) };
                return Err(e.into());
            }
        };
        let w = KBox::write(slot, Self { work: Opaque::uninit(), wq, data });
        // SAFETY: `work` is at its final (boxed) address and not queued.
        unsafe { ffi::dmr_init_work(w.work.get(), Some(run_fn::<T>)) };
        Ok(Pin::from(w))
    }

    /// Queues the work; if it is running, it runs again afterwards. Any
    /// context, including hard IRQ.
    pub fn kick(&self) {
        // SAFETY: `wq` and `work` are live and initialised (invariants).
        unsafe { ffi::dmr_queue_work(self.wq.as_ptr(), self.work.get()) };
    }

    /// Waits until the work queued so far has run (process context).
    pub fn flush(&self) {
        // SAFETY: `work` is initialised (invariant).
        unsafe { ffi::flush_work(self.work.get()) };
    }
}

impl<T: Job> Deref for Worker<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T: Job> Drop for Worker<T> {
    fn drop(&mut self) {
        // SAFETY: `work` and `wq` are live (invariants). After
        // cancel_work_sync the work neither runs nor is queued, and
        // destroy_workqueue drains anything else before freeing the queue.
        unsafe {
            ffi::cancel_work_sync(self.work.get());
            ffi::destroy_workqueue(self.wq.as_ptr());
        }
    }
}

/// The C callback of a [`Worker<T>`]'s work item.
///
/// # Safety
///
/// `work` must be the `work` field of a live, pinned `Worker<T>`.
unsafe extern "C" fn run_fn<T: Job>(work: *mut ffi::work_struct) {
    let offset = core::mem::offset_of!(Worker<T>, work);
    // SAFETY: `work` is the `work` field of a `Worker<T>` (the only work
    // item initialised with this function), which outlives its work: drop
    // cancels it first.
    let w = unsafe { &*work.cast::<u8>().sub(offset).cast::<Worker<T>>() };
    // The work may hold bios or run while the device is suspended.
    let _noio = NoIo::enter();
    w.data.run();
}
