//! Devices opened through `dm_get_device`.

use super::ffi;
use core::ffi::CStr;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::ffi::{c_int, c_void};

/// Names one device of a target's table: what a target keeps, in place of
/// the device itself. It gives no access on its own; [`Ctr::dev`] and
/// [`Ctx::dev`] lend the device it names for one call, so no reference to
/// a device can outlive the target (the layer owns the devices and puts
/// them after the target value is dropped).
///
/// [`Ctr::dev`]: super::Ctr::dev
/// [`Ctx::dev`]: super::Ctx::dev
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DevId(pub(super) usize);

/// A device of the target's table, released with `dm_put_device` on drop
/// (after its claim, if it holds one). Only the layer owns these: targets
/// borrow them for the length of a hook.
///
/// Invariant: `dev` came from `dm_get_device(ti, ...)` and is put exactly
/// once, on drop, while `ti` is still alive (the layer drops its devices
/// in `dtr`, or at the end of a failed `ctr`). If `claimed`, it holds a
/// claim made by `dmr_claim_device(ti, dev)`.
pub struct DmDev {
    dev: NonNull<ffi::dm_dev>,
    ti: NonNull<ffi::dm_target>,
    claimed: bool,
}

// SAFETY: a `dm_dev` does not change after `dm_get_device` returns and its
// block device may be used from any CPU; it is released only on drop.
unsafe impl Send for DmDev {}
// SAFETY: see `Send`: shared access only reads immutable fields.
unsafe impl Sync for DmDev {}

impl DmDev {
    /// # Safety
    ///
    /// `dev` must come from a successful `dm_get_device(ti, ...)`, and the
    /// value must be dropped before DM frees `ti`.
    pub(super) unsafe fn from_raw(dev: NonNull<ffi::dm_dev>, ti: NonNull<ffi::dm_target>) -> Self {
        Self { dev, ti, claimed: false }
    }

    /// Claims the device for this target's mapped device alone; fails
    /// with `EBUSY` if another mapped device, or another target of this
    /// table, holds a claim on the same block device. A table reloaded
    /// into the same mapped device may claim it.
    pub(super) fn claim(&mut self) -> Result<(), kernel::error::Error> {
        if self.claimed {
            return Ok(());
        }
        // SAFETY: `ti` is the target under construction and `dev` one of
        // its devices (type invariant); the helper takes its own lock.
        let r = unsafe { ffi::dmr_claim_device(self.ti.as_ptr(), self.as_ptr()) };
        kernel::error::to_result(r)?;
        self.claimed = true;
        Ok(())
    }

    /// Notes `note` on this target's claim of the device, for a table
    /// reloaded into the same mapped device to read (`sibling_note`).
    /// Nothing if the device is not claimed. Process context (a mutex).
    pub fn set_claim_note(&self, note: u64) {
        if self.claimed {
            // SAFETY: `ti` and `dev` as in `claim`; the helper takes its
            // own lock and only finds this target's own claim.
            unsafe { ffi::dmr_claim_set_note(self.ti.as_ptr(), self.as_ptr(), note) };
        }
    }

    /// The largest note that another table of the same mapped device (the
    /// live one, during a reload) left on its claim of this device; 0 if
    /// none. Process context (a mutex).
    pub fn sibling_note(&self) -> u64 {
        // SAFETY: as in `set_claim_note`; the helper only reads the list.
        unsafe { ffi::dmr_claim_sibling_note(self.ti.as_ptr(), self.as_ptr()) }
    }

    fn raw(&self) -> &ffi::dm_dev {
        // SAFETY: valid until drop (type invariant).
        unsafe { self.dev.as_ref() }
    }

    pub(super) fn bdev(&self) -> *mut ffi::block_device {
        self.raw().bdev
    }

    pub(super) fn as_ptr(&self) -> *mut ffi::dm_dev {
        self.dev.as_ptr()
    }

    /// Size of the device in 512-byte sectors.
    pub fn sectors(&self) -> u64 {
        // SAFETY: the block device is open while we hold the dm_dev.
        unsafe { ffi::dmr_bdev_nr_sectors(self.bdev()) }
    }

    /// Whether the block layer says the disk is gone: removed, or marked
    /// dead (a surprise removal).
    pub fn is_gone(&self) -> bool {
        // SAFETY: as in `sectors`; the gendisk lives as long as the open
        // block device.
        unsafe { ffi::dmr_bdev_gone(self.bdev()) }
    }

    /// Largest discard the device accepts, in sectors (0: no discard).
    pub fn max_discard_sectors(&self) -> u32 {
        // SAFETY: as in `sectors`.
        unsafe { ffi::dmr_bdev_max_discard_sectors(self.bdev()) }
    }

    /// The smallest I/O the device can do without read-modify-write: the
    /// larger of its logical and physical block sizes, in bytes.
    pub fn io_granularity(&self) -> u32 {
        // SAFETY: the block device is open while we hold the dm_dev.
        unsafe { ffi::dmr_bdev_logical_block_size(self.bdev()).max(ffi::dmr_bdev_physical_block_size(self.bdev())) }
    }

    /// The smallest I/O the device accepts: its logical block size, in
    /// bytes.
    pub fn logical_block_size(&self) -> u32 {
        // SAFETY: the block device is open while we hold the dm_dev.
        unsafe { ffi::dmr_bdev_logical_block_size(self.bdev()) }
    }

    /// The device's `major:minor` name, as DM prints it in tables.
    pub fn name(&self) -> &CStr {
        // SAFETY: DM fills `name` with a NUL-terminated string at open time.
        unsafe { CStr::from_ptr(self.raw().name.as_ptr().cast()) }
    }

    /// Whether both refer to the same block device.
    pub fn is_same_device(&self, other: &DmDev) -> bool {
        self.bdev() == other.bdev()
    }
}

impl Drop for DmDev {
    fn drop(&mut self) {
        // SAFETY: the type invariant: got from `dm_get_device(ti)`, `ti`
        // alive, claimed by this target if `claimed`; released, then put,
        // once.
        unsafe {
            if self.claimed {
                ffi::dmr_release_device(self.ti.as_ptr(), self.dev.as_ptr());
            }
            ffi::dm_put_device(self.ti.as_ptr(), self.dev.as_ptr());
        }
    }
}

/// The callout DM passes to `iterate_devices`, bound to its arguments.
pub struct DeviceVisitor<'a> {
    pub(super) ti: *mut ffi::dm_target,
    pub(super) callout: ffi::iterate_devices_callout_fn,
    pub(super) data: *mut c_void,
    pub(super) _call: PhantomData<&'a mut c_void>,
}

impl DeviceVisitor<'_> {
    /// Reports `len` sectors of `dev` from `start` as used by the target.
    /// A non-zero result must be returned from `iterate_devices` at once.
    pub fn visit(&mut self, dev: &DmDev, start: u64, len: u64) -> c_int {
        match self.callout {
            // SAFETY: DM gave us the callout with `ti` and `data` for this
            // call of `iterate_devices`; `dev` is a device of this target.
            Some(f) => unsafe { f(self.ti, dev.as_ptr(), start, len, self.data) },
            None => 0,
        }
    }
}
