//! A spinlock that disables interrupts while held, for state shared with
//! `end_io`, which can run in hard-IRQ context. (The kernel crate of 6.12
//! has only the plain `spin_lock` flavour.)

use super::ffi;
use kernel::ffi::c_ulong;
use kernel::sync::lock::{Backend, Lock};

/// A spinlock taken with `spin_lock_irqsave`.
pub type IrqSpinLock<T> = Lock<T, IrqSpinLockBackend>;

/// Creates an [`IrqSpinLock`] initialiser with its own lockdep class.
macro_rules! new_irq_spinlock {
    ($inner:expr, $name:literal) => {
        $crate::dm::IrqSpinLock::new($inner, kernel::c_str!($name), kernel::static_lock_class!())
    };
}
pub(crate) use new_irq_spinlock;

/// The backend of [`IrqSpinLock`]; the guard keeps the saved IRQ flags.
pub struct IrqSpinLockBackend;

// SAFETY: `spinlock_t` provides mutual exclusion; `lock` saves the IRQ
// state that `unlock` restores, and `relock` (the default) takes the lock
// the same way again.
unsafe impl Backend for IrqSpinLockBackend {
    type State = ffi::spinlock_t;
    type GuardState = c_ulong;

    unsafe fn init(ptr: *mut Self::State, name: *const kernel::ffi::c_char, key: *mut ffi::lock_class_key) {
        // SAFETY: the caller guarantees `ptr` is valid for writes and that
        // `name` and `key` live forever.
        unsafe { ffi::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: the caller guarantees `ptr` was initialised by `init`.
        unsafe { ffi::dmr_spin_lock_irqsave(ptr) }
    }

    unsafe fn unlock(ptr: *mut Self::State, flags: &Self::GuardState) {
        // SAFETY: the caller owns the lock, taken by `lock`, which returned
        // `flags`.
        unsafe { ffi::dmr_spin_unlock_irqrestore(ptr, *flags) }
    }
}

/// Sleeps for about `ms` milliseconds (process context), for polling waits.
pub fn sleep_ms(ms: u32) {
    // SAFETY: msleep has no preconditions beyond process context, which
    // the callers (a workqueue) provide.
    unsafe { ffi::msleep(ms) }
}

/// A scope in which no allocation of this task starts I/O to reclaim
/// memory (`memalloc_noio_save`): for work that runs while bios are held
/// or the device is suspended, when reclaim could wait on the very I/O
/// being held. Restored on drop; scopes nest.
pub struct NoIo {
    flags: kernel::ffi::c_uint,
    /// Not `Send`: the scope belongs to the task that entered it.
    _task: core::marker::PhantomData<*mut ()>,
}

impl NoIo {
    /// Enters the scope (process context).
    pub fn enter() -> Self {
        // SAFETY: no preconditions; the flags are restored on drop by this
        // task (the guard is neither Send nor Sync).
        Self { flags: unsafe { ffi::dmr_noio_save() }, _task: core::marker::PhantomData }
    }

    /// Whether a `GFP_KERNEL` allocation by this task may start I/O now
    /// (false inside a scope).
    #[cfg(CONFIG_KUNIT)]
    pub fn gfp_kernel_may_do_io() -> bool {
        // SAFETY: reads the current task's flags; no preconditions.
        unsafe { ffi::dmr_gfp_kernel_may_do_io() }
    }
}

impl Drop for NoIo {
    fn drop(&mut self) {
        // SAFETY: `flags` came from the matching save on this task.
        unsafe { ffi::dmr_noio_restore(self.flags) }
    }
}
