//! What the layer keeps for one constructed target: the target value, the
//! devices of its table and its worker; and the contexts that lend the
//! devices and the worker to the target's hooks.
//!
//! The layer, not the target, owns the devices and the work item: a target
//! keeps [`DevId`]s, and each hook gets a context that lends the devices
//! for the call. So nothing a target owns can reach a device, queue work or
//! raise an event after `dtr`, whatever it does with its values.

use super::device::{DevId, DmDev};
use super::ffi;
use super::sync::NoIo;
use super::target::Target;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::error::code;
use kernel::prelude::*;
use kernel::types::Opaque;

/// The target-independent part of an [`Instance`].
///
/// Invariants: `ti` is the target this belongs to, alive until the instance
/// is dropped in `dtr`; `wq` is a live workqueue; `work` was initialised
/// with `run_fn` of the instance's target type and `later` with
/// `later_fn`, both at their final address; once `dying` is set, `later`
/// is never queued again.
pub(super) struct Shared {
    ti: NonNull<ffi::dm_target>,
    devices: KVec<DmDev>,
    work: Opaque<ffi::work_struct>,
    /// Queues `work` when its timer fires (`Ctx::kick_after`).
    later: Opaque<ffi::delayed_work>,
    dying: AtomicBool,
    wq: NonNull<ffi::workqueue_struct>,
}

/// A constructed target: what `ti->private` points to between `ctr` and
/// `dtr`. Pinned in its box: the work item's address is stable.
///
/// Drop order: the work is cancelled and its queue destroyed (in `drop`),
/// then the target value is dropped, then the devices are put.
pub(super) struct Instance<T: Target> {
    target: T,
    shared: Shared,
}

impl<T: Target> Instance<T> {
    /// Builds the instance of `target`, with the devices `ctr` opened for
    /// it and a workqueue named `T::WORKQUEUE`.
    pub(super) fn new(ti: NonNull<ffi::dm_target>, target: T, devices: KVec<DmDev>) -> Result<NonNull<Self>> {
        // Allocate first: on failure nothing else exists yet, and an
        // instance is never dropped with an uninitialised work item.
        let slot = KBox::<Self>::new_uninit(GFP_KERNEL)?;
        // SAFETY: `WORKQUEUE` is a valid C string; the queue copies it.
        let wq = unsafe { ffi::dmr_alloc_workqueue(T::WORKQUEUE.as_ptr().cast()) };
        let wq = NonNull::new(wq).ok_or(code::ENOMEM)?;
        let shared =
            Shared { ti, devices, work: Opaque::uninit(), later: Opaque::uninit(), dying: AtomicBool::new(false), wq };
        let inst = KBox::write(slot, Self { target, shared });
        // SAFETY: `work` and `later` are at their final (boxed, never
        // moved) addresses and not queued.
        unsafe {
            ffi::dmr_init_work(inst.shared.work.get(), Some(run_fn::<T>));
            ffi::dmr_init_delayed_work(inst.shared.later.get(), Some(later_fn));
        }
        // SAFETY: the box is only reached through this pointer from now on,
        // and freed by `from_raw` in dtr.
        Ok(unsafe { NonNull::new_unchecked(KBox::into_raw(inst)) })
    }

    pub(super) fn target(&self) -> &T {
        &self.target
    }

    /// The context for a hook that must not sleep.
    pub(super) fn ctx(&self) -> Ctx<'_> {
        Ctx { shared: &self.shared }
    }

    /// The context for a hook that runs in process context.
    pub(super) fn task_ctx(&self) -> TaskCtx<'_> {
        TaskCtx { ctx: self.ctx() }
    }
}

impl<T: Target> Drop for Instance<T> {
    fn drop(&mut self) {
        // Nothing queues `later` from now on: the work may still run, and
        // `later` may still fire once.
        self.shared.dying.store(true, Ordering::Release);
        // SAFETY: `work`, `later` and `wq` are live (invariants). The first
        // cancel stops the timer (which queues the work); then the work
        // neither runs nor is queued; a run of it before `dying` was seen
        // may have queued `later` again, which the second cancel stops; so
        // nothing is left to run when destroy_workqueue frees the queue.
        unsafe {
            ffi::cancel_delayed_work_sync(self.shared.later.get());
            ffi::cancel_work_sync(self.shared.work.get());
            ffi::cancel_delayed_work_sync(self.shared.later.get());
            ffi::destroy_workqueue(self.shared.wq.as_ptr());
        }
    }
}

/// What every hook may use: the devices, and the worker's kick. Nothing
/// here sleeps.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    shared: &'a Shared,
}

impl<'a> Ctx<'a> {
    /// The device `id` names, for the length of the hook.
    pub fn dev(&self, id: DevId) -> &'a DmDev {
        &self.shared.devices[id.0]
    }

    /// Queues the target's work; if it is running, it runs again
    /// afterwards. Any context, including hard IRQ.
    pub fn kick(&self) {
        // SAFETY: `wq` and `work` are live and initialised (invariants).
        unsafe { ffi::dmr_queue_work(self.shared.wq.as_ptr(), self.shared.work.get()) };
    }

    /// Queues the target's work in `ms` milliseconds, unless a timer is
    /// already set (then it runs when that one fires). Any context.
    pub fn kick_after(&self, ms: u32) {
        if self.shared.dying.load(Ordering::Acquire) {
            return;
        }
        // SAFETY: `wq` and `later` are live and initialised, and `later`
        // may be queued while `dying` is not set (invariants).
        unsafe { ffi::dmr_queue_delayed_work(self.shared.wq.as_ptr(), self.shared.later.get(), ms) };
    }
}

/// What a hook in process context may use besides [`Ctx`]: waiting for the
/// work and raising table events.
pub struct TaskCtx<'a> {
    ctx: Ctx<'a>,
}

impl<'a> core::ops::Deref for TaskCtx<'a> {
    type Target = Ctx<'a>;
    fn deref(&self) -> &Ctx<'a> {
        &self.ctx
    }
}

impl TaskCtx<'_> {
    /// Waits until the work queued so far has run.
    pub fn flush_work(&self) {
        // SAFETY: `work` is initialised (invariant).
        unsafe { ffi::flush_work(self.ctx.shared.work.get()) };
    }

    /// Signals a table event (`dm_table_event`), which wakes `dmsetup
    /// wait` and dmeventd. It takes a mutex.
    pub fn raise_event(&self) {
        // SAFETY: `ti` is live (invariant) and in its table.
        unsafe { ffi::dmr_table_event(self.ctx.shared.ti.as_ptr()) }
    }
}

/// The C callback of an instance's timer (`later`): queues its work.
///
/// # Safety
///
/// `work` must be the work item inside the `later` of a live [`Shared`].
unsafe extern "C" fn later_fn(work: *mut ffi::work_struct) {
    let offset = core::mem::offset_of!(Shared, later);
    // SAFETY: `work` is the first field of `later` (a `delayed_work`), a
    // field of a live `Shared` (the only delayed work initialised with
    // this function), which `Drop` cancels before it goes.
    let shared = unsafe { &*work.cast::<u8>().sub(offset).cast::<Shared>() };
    // SAFETY: `wq` and `work` are live and initialised (invariants).
    unsafe { ffi::dmr_queue_work(shared.wq.as_ptr(), shared.work.get()) };
}

/// The C callback of an [`Instance<T>`]'s work item.
///
/// # Safety
///
/// `work` must be the work item of a live `Instance<T>`.
unsafe extern "C" fn run_fn<T: Target>(work: *mut ffi::work_struct) {
    let offset = core::mem::offset_of!(Instance<T>, shared.work);
    // SAFETY: `work` is the work item of an `Instance<T>` (the only work
    // initialised with this function), which outlives its work: drop
    // cancels it first.
    let inst = unsafe { &*work.cast::<u8>().sub(offset).cast::<Instance<T>>() };
    // The work may hold bios or run while the device is suspended.
    let _noio = NoIo::enter();
    inst.target.work(&inst.task_ctx());
}
