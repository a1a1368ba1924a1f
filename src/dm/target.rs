//! The target trait and its registration as a DM `target_type`.

use super::bio::{Bio, DoneBio, Held, PerBio};
use super::device::{DevId, DeviceVisitor, DmDev};
use super::ffi;
use super::instance::{Ctx, Instance, TaskCtx};
use super::sync::NoIo;
use crate::remap_core::args::ArgSet;
use crate::remap_core::emit::Emitter;
use core::ffi::CStr;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::error::{code, to_result};
use kernel::ffi::{c_char, c_int, c_uint, c_void};
use kernel::prelude::*;
use kernel::types::Opaque;
use kernel::ThisModule;

/// What `map` did with a bio.
pub enum MapResult<'a, P: PerBio> {
    /// The bio was pointed at an underlying device: DM submits it.
    Remapped(Bio<'a, P>),
    /// The bio is invalid for this target: DM fails it with an I/O error.
    Kill(Bio<'a, P>),
    /// The target holds the bio and submits or fails it later.
    Held(Held<'a>),
}

/// What `end_io` did with a completed bio.
pub enum EndIo<'a, P: PerBio> {
    /// DM completes the bio.
    Done(DoneBio<'a, P>),
    /// The target holds the bio and completes it later.
    Held(Held<'a>),
}

/// Which status `dmsetup` asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum StatusType {
    /// `dmsetup status`: runtime state.
    Info,
    /// `dmsetup table`: the table line that recreates the target.
    Table,
    /// IMA measurement: `key=value,` pairs ending in `;`.
    Ima,
}

/// A constructor failure: the message DM shows as `ti->error`, and an errno.
pub struct CtrError {
    msg: &'static CStr,
    err: Error,
}

impl CtrError {
    /// An invalid table line, explained by `msg`.
    pub fn invalid(msg: &'static CStr) -> Self {
        Self { msg, err: code::EINVAL }
    }

    /// A failure `err`, explained by `msg`.
    pub fn new(msg: &'static CStr, err: Error) -> Self {
        Self { msg, err }
    }
}

/// A rejected message; the reason goes to the kernel log, -EINVAL to the
/// caller.
pub struct MessageError(pub &'static str);

/// The queue limits a target may adjust in `io_hints`.
pub struct QueueLimits<'a>(&'a mut ffi::queue_limits);

impl QueueLimits<'_> {
    /// Raises the minimum I/O size hint to at least `bytes`.
    pub fn raise_io_min(&mut self, bytes: u32) {
        self.0.io_min = self.0.io_min.max(bytes);
    }
}

/// A device-mapper target type.
///
/// `map`, `end_io` and `status` may run concurrently on many CPUs and must
/// not sleep; `end_io` may run in hard-IRQ context. They get a [`Ctx`];
/// hooks that run in process context get a [`TaskCtx`], which can also
/// wait and raise events. Each target has a work item on a workqueue of
/// its own, which runs [`Target::work`].
pub trait Target: Sized + Send + Sync + 'static {
    /// The name in table lines.
    const NAME: &'static CStr;
    /// Version reported by `dmsetup targets`.
    const VERSION: [u32; 3];
    /// The name of each target's workqueue.
    const WORKQUEUE: &'static CStr;
    /// Data DM keeps with every bio of the target.
    type PerBio: PerBio;

    /// Builds the target from its table arguments (process context).
    fn new(ctr: &mut Ctr<'_>, args: ArgSet<'_>) -> Result<Self, CtrError>;
    /// Routes one bio; its per-bio data starts as `Default`.
    fn map<'a>(&self, ctx: Ctx<'_>, bio: Bio<'a, Self::PerBio>) -> MapResult<'a, Self::PerBio>;
    /// Sees a bio complete with `status` (a `blk_status_t`, 0: success).
    fn end_io<'a>(&self, _ctx: Ctx<'_>, bio: DoneBio<'a, Self::PerBio>, _status: u8) -> EndIo<'a, Self::PerBio> {
        EndIo::Done(bio)
    }
    /// Runs in process context on the target's workqueue after
    /// [`Ctx::kick`], never concurrently with itself; it may sleep. Its
    /// allocations never start I/O (it runs in a [`NoIo`] scope): it may
    /// hold bios, or run while the device is suspended.
    fn work(&self, ctx: &TaskCtx<'_>);
    /// A suspend begins: I/O may still be in flight, and the suspend then
    /// waits for it and for `postsuspend` (long work of the target's own
    /// should stop).
    fn presuspend(&self, _ctx: &TaskCtx<'_>) {}
    /// The suspend that `presuspend` announced did not happen.
    fn presuspend_undo(&self, _ctx: &TaskCtx<'_>) {}
    /// The device is suspended: no I/O is in flight.
    fn postsuspend(&self, _ctx: &TaskCtx<'_>) {}
    /// The device is about to resume with this table; an error keeps it
    /// suspended. Runs in a [`NoIo`] scope: the device is suspended, so
    /// reclaim must not wait for its I/O.
    fn preresume(&self, _ctx: &TaskCtx<'_>) -> Result {
        Ok(())
    }
    /// The device resumed.
    fn resume(&self, _ctx: &TaskCtx<'_>) {}
    /// Writes status of kind `kind`.
    fn status(&self, ctx: Ctx<'_>, kind: StatusType, out: &mut Emitter<'_>);
    /// Handles `dmsetup message`; `Ok(true)` when it wrote output to `out`.
    fn message(&self, ctx: &TaskCtx<'_>, args: ArgSet<'_>, out: &mut Emitter<'_>) -> Result<bool, MessageError>;
    /// Reports every device area the target uses.
    fn iterate_devices(&self, ctx: Ctx<'_>, visitor: &mut DeviceVisitor<'_>) -> c_int;
    /// Adjusts the stacked queue limits.
    fn io_hints(&self, _limits: &mut QueueLimits<'_>) {}
}

/// The target under construction, as `ctr` sees it. It owns the devices
/// opened so far: they pass to the constructed target, or are put if
/// construction fails.
pub struct Ctr<'a> {
    ti: NonNull<ffi::dm_target>,
    devices: KVec<DmDev>,
    _ti: PhantomData<&'a mut ffi::dm_target>,
}

impl Ctr<'_> {
    fn ti(&self) -> &ffi::dm_target {
        // SAFETY: DM passes a valid target to ctr and we hold it only
        // during ctr.
        unsafe { self.ti.as_ref() }
    }

    fn ti_mut(&mut self) -> &mut ffi::dm_target {
        // SAFETY: as in `ti`; ctr runs single-threaded on this target.
        unsafe { self.ti.as_mut() }
    }

    /// First sector of the target in the mapped device.
    pub fn begin(&self) -> u64 {
        self.ti().begin
    }

    /// Length of the target in sectors.
    pub fn len(&self) -> u64 {
        self.ti().len
    }

    /// Opens `path` with the table's mode; `msg` explains a failure.
    pub fn get_device(&mut self, path: &CStr, msg: &'static CStr) -> Result<DevId, CtrError> {
        let nomem = |_| CtrError::new(c"Cannot allocate the device list", code::ENOMEM);
        self.devices.reserve(1, GFP_KERNEL).map_err(nomem)?;
        let ti = self.ti.as_ptr();
        let mut dev: *mut ffi::dm_dev = core::ptr::null_mut();
        // SAFETY: `ti` is the target under construction, `path` a valid C
        // string, `dev` a valid out-pointer.
        let r = unsafe {
            let mode = ffi::dm_table_get_mode((*ti).table);
            ffi::dm_get_device(ti, path.as_ptr().cast(), mode, &mut dev)
        };
        to_result(r).map_err(|e| CtrError::new(msg, e))?;
        let dev = NonNull::new(dev).ok_or(CtrError::new(msg, code::ENODEV))?;
        // SAFETY: `dev` came from dm_get_device(ti); the DmDev stays in
        // this list, which goes to the target's instance, dropped in dtr
        // (or is dropped when ctr fails), before DM frees `ti`.
        let dev = unsafe { DmDev::from_raw(dev, self.ti) };
        self.devices.push(dev, GFP_KERNEL).map_err(nomem)?;
        Ok(DevId(self.devices.len() - 1))
    }

    /// The device `id` names (opened by this `Ctr`).
    pub fn dev(&self, id: DevId) -> &DmDev {
        &self.devices[id.0]
    }

    /// Claims device `id` for this mapped device alone: no other mapped
    /// device, and no other target of this table, may claim the same
    /// block device through this module until the target is destroyed (a
    /// table reloaded into the same mapped device may). `busy` explains a
    /// device that another one claimed.
    pub fn claim(&mut self, id: DevId, busy: &'static CStr) -> Result<(), CtrError> {
        self.devices[id.0].claim().map_err(|e| CtrError::new(busy, e))
    }

    /// Whether the table was loaded read-write (not `dmsetup --readonly`).
    pub fn is_writable(&self) -> bool {
        // SAFETY: `ti` is the target under construction, in its table.
        unsafe { ffi::dmr_table_writable(self.ti.as_ptr()) }
    }

    /// Asks DM to send each empty flush `n` times (see `Bio::target_bio_nr`).
    pub fn set_num_flush_bios(&mut self, n: u32) {
        self.ti_mut().num_flush_bios = n;
    }

    /// Lets discards through, sent once to `map`.
    pub fn enable_discards(&mut self) {
        let ti = self.ti_mut();
        ti.num_discard_bios = 1;
        ti.set_discards_supported(true);
    }

    /// Lets WRITE ZEROES through, sent once to `map`.
    pub fn enable_write_zeroes(&mut self) {
        self.ti_mut().num_write_zeroes_bios = 1;
    }
}

/// A registered target type; unregistered on drop.
pub struct Registration<T: Target> {
    tt: Pin<KBox<Opaque<ffi::target_type>>>,
    _target: PhantomData<T>,
}

// SAFETY: after registration DM only reads the target_type, and the
// Registration itself only calls dm_unregister_target, from any thread.
unsafe impl<T: Target> Send for Registration<T> {}
// SAFETY: see `Send`: `&Registration` gives no access at all.
unsafe impl<T: Target> Sync for Registration<T> {}

impl<T: Target> Registration<T> {
    /// Registers target type `T` for `module`.
    pub fn new(module: &'static ThisModule) -> Result<Self> {
        let tt = KBox::pin(Opaque::<ffi::target_type>::uninit(), GFP_KERNEL)?;
        let value = ffi::target_type {
            name: T::NAME.as_ptr().cast(),
            module: module.as_ptr(),
            version: T::VERSION,
            ctr: Some(ctr_fn::<T>),
            dtr: Some(dtr_fn::<T>),
            map: Some(map_fn::<T>),
            end_io: Some(end_io_fn::<T>),
            presuspend: Some(presuspend_fn::<T>),
            presuspend_undo: Some(presuspend_undo_fn::<T>),
            postsuspend: Some(postsuspend_fn::<T>),
            preresume: Some(preresume_fn::<T>),
            resume: Some(resume_fn::<T>),
            status: Some(status_fn::<T>),
            message: Some(message_fn::<T>),
            iterate_devices: Some(iterate_devices_fn::<T>),
            io_hints: Some(io_hints_fn::<T>),
            ..Default::default()
        };
        // SAFETY: `tt` is a fresh, pinned allocation that nothing else sees.
        unsafe { tt.get().write(value) };
        // SAFETY: `tt` is fully initialised and pinned until drop, where it
        // is unregistered before being freed.
        to_result(unsafe { ffi::dm_register_target(tt.get()) })?;
        Ok(Self { tt, _target: PhantomData })
    }
}

impl<T: Target> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: registered in `new`; DM refuses to unload a module whose
        // targets are in use, so no table refers to it any more.
        unsafe { ffi::dm_unregister_target(self.tt.get()) };
    }
}

/// # Safety
///
/// `ti` must be a target of type `T` between a successful ctr and dtr.
unsafe fn instance<'a, T: Target>(ti: *mut ffi::dm_target) -> &'a Instance<T> {
    // SAFETY: ctr stored an `Instance<T>` in `private`; it lives until dtr.
    unsafe { &*((*ti).private as *const Instance<T>) }
}

/// Collects `argc` C strings into a vector of `&CStr`.
///
/// # Safety
///
/// `argv` must hold `argc` valid C strings that outlive `'a`.
unsafe fn collect_args<'a>(argc: c_uint, argv: *mut *mut c_char) -> Result<KVec<&'a CStr>> {
    let mut v = KVec::with_capacity(argc as usize, GFP_KERNEL)?;
    for i in 0..argc as usize {
        // SAFETY: `i < argc`, and each entry is a valid C string.
        v.push(unsafe { CStr::from_ptr((*argv.add(i)).cast()) }, GFP_KERNEL)?;
    }
    Ok(v)
}

/// A writer over the `result` buffer of `status` or `message`.
///
/// # Safety
///
/// `result` must be valid for `maxlen` bytes and not otherwise used while
/// the emitter lives.
unsafe fn emitter<'a>(result: *mut c_char, maxlen: c_uint) -> Emitter<'a> {
    // SAFETY: caller's contract.
    Emitter::new(unsafe { core::slice::from_raw_parts_mut(result.cast::<u8>(), maxlen as usize) })
}

/// DM's `ctr` hook for targets of type `T`.
///
/// # Safety
///
/// Called only by device-mapper, with the arguments its `ctr` contract
/// guarantees (for every hook but `ctr`, a target that `ctr` constructed).
unsafe extern "C" fn ctr_fn<T: Target>(ti: *mut ffi::dm_target, argc: c_uint, argv: *mut *mut c_char) -> c_int {
    // DM reserves this much per-bio data in front of every clone.
    // SAFETY: `ti` is the valid target under construction.
    unsafe { (*ti).per_io_data_size = super::bio::per_io_size::<T::PerBio>() as c_uint };
    let build = || -> Result<NonNull<Instance<T>>, CtrError> {
        // SAFETY: DM passes `argc` valid strings that live through ctr.
        let args =
            unsafe { collect_args(argc, argv) }.map_err(|e| CtrError::new(c"Cannot allocate argument array", e))?;
        let mut ctr = Ctr {
            // SAFETY: DM never passes a NULL target.
            ti: unsafe { NonNull::new_unchecked(ti) },
            devices: KVec::new(),
            _ti: PhantomData,
        };
        let target = T::new(&mut ctr, ArgSet::new(&args))?;
        Instance::new(ctr.ti, target, ctr.devices).map_err(|e| CtrError::new(c"Cannot allocate the target", e))
    };
    match build() {
        Ok(inst) => {
            // SAFETY: `ti` is valid; DM owns `private` for the target.
            unsafe { (*ti).private = inst.as_ptr().cast::<c_void>() };
            0
        }
        Err(e) => {
            // SAFETY: `ti` is valid; DM only reads `error` (a static string).
            unsafe { (*ti).error = e.msg.as_ptr().cast_mut().cast() };
            e.err.to_errno()
        }
    }
}

/// DM's `dtr` hook for targets of type `T`.
///
/// # Safety
///
/// Called only by device-mapper, with the arguments its `dtr` contract
/// guarantees (for every hook but `ctr`, a target that `ctr` constructed).
unsafe extern "C" fn dtr_fn<T: Target>(ti: *mut ffi::dm_target) {
    // SAFETY: `private` holds the boxed `Instance<T>` made by ctr; DM calls
    // dtr once, after all I/O and other callbacks of this target have
    // finished.
    drop(unsafe { KBox::from_raw((*ti).private.cast::<Instance<T>>()) });
}

/// DM's `map` hook for targets of type `T`.
///
/// # Safety
///
/// Called only by device-mapper, with the arguments its `map` contract
/// guarantees (for every hook but `ctr`, a target that `ctr` constructed).
unsafe extern "C" fn map_fn<T: Target>(ti: *mut ffi::dm_target, bio: *mut ffi::bio) -> c_int {
    // SAFETY: DM maps only on a constructed target, whose ctr set
    // `per_io_data_size` for `T::PerBio`, and gives us its clone of the bio
    // for the duration of the call.
    let (inst, bio) = unsafe { (instance::<T>(ti), Bio::from_raw(bio)) };
    let raw = bio.as_ptr();
    // A target returns the bio it was given (the types make sure it did
    // not hold it too).
    (match inst.target().map(inst.ctx(), bio) {
        MapResult::Remapped(b) => {
            debug_assert!(b.as_ptr() == raw);
            ffi::DM_MAPIO_REMAPPED
        }
        MapResult::Kill(b) => {
            debug_assert!(b.as_ptr() == raw);
            ffi::DM_MAPIO_KILL
        }
        MapResult::Held(_) => ffi::DM_MAPIO_SUBMITTED,
    }) as c_int
}

/// DM's `end_io` hook for targets of type `T`.
///
/// # Safety
///
/// Called only by device-mapper, with the arguments its `end_io` contract
/// guarantees (for every hook but `ctr`, a target that `ctr` constructed).
unsafe extern "C" fn end_io_fn<T: Target>(ti: *mut ffi::dm_target, bio: *mut ffi::bio, error: *mut u8) -> c_int {
    // SAFETY: as in map (`map` initialised the per-bio data); `error`
    // points to the bio's status.
    let (inst, bio, status) = unsafe { (instance::<T>(ti), DoneBio::from_raw(bio), *error) };
    // A bio the target ended itself: done, without asking it again.
    if bio.ended() {
        return ffi::DM_ENDIO_DONE as c_int;
    }
    let raw = bio.as_ptr();
    (match inst.target().end_io(inst.ctx(), bio, status) {
        EndIo::Done(b) => {
            debug_assert!(b.as_ptr() == raw);
            ffi::DM_ENDIO_DONE
        }
        EndIo::Held(_) => ffi::DM_ENDIO_INCOMPLETE,
    }) as c_int
}

/// DM's `presuspend` hook for targets of type `T`.
///
/// # Safety
///
/// Called only by device-mapper, with the arguments its `presuspend` contract
/// guarantees (for every hook but `ctr`, a target that `ctr` constructed).
unsafe extern "C" fn presuspend_fn<T: Target>(ti: *mut ffi::dm_target) {
    // SAFETY: called on a constructed target.
    let inst = unsafe { instance::<T>(ti) };
    inst.target().presuspend(&inst.task_ctx());
}

/// DM's `presuspend_undo` hook for targets of type `T`.
///
/// # Safety
///
/// Called only by device-mapper, with the arguments its `presuspend_undo`
/// contract guarantees (for every hook but `ctr`, a target that `ctr`
/// constructed).
unsafe extern "C" fn presuspend_undo_fn<T: Target>(ti: *mut ffi::dm_target) {
    // SAFETY: called on a constructed target.
    let inst = unsafe { instance::<T>(ti) };
    inst.target().presuspend_undo(&inst.task_ctx());
}

/// DM's `postsuspend` hook for targets of type `T`.
///
/// # Safety
///
/// Called only by device-mapper, with the arguments its `postsuspend` contract
/// guarantees (for every hook but `ctr`, a target that `ctr` constructed).
unsafe extern "C" fn postsuspend_fn<T: Target>(ti: *mut ffi::dm_target) {
    // SAFETY: called on a constructed target.
    let inst = unsafe { instance::<T>(ti) };
    inst.target().postsuspend(&inst.task_ctx());
}

/// DM's `preresume` hook for targets of type `T`.
///
/// # Safety
///
/// Called only by device-mapper, with the arguments its `preresume` contract
/// guarantees (for every hook but `ctr`, a target that `ctr` constructed).
unsafe extern "C" fn preresume_fn<T: Target>(ti: *mut ffi::dm_target) -> c_int {
    let _noio = NoIo::enter();
    // SAFETY: called on a constructed target.
    let inst = unsafe { instance::<T>(ti) };
    match inst.target().preresume(&inst.task_ctx()) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// DM's `resume` hook for targets of type `T`.
///
/// # Safety
///
/// Called only by device-mapper, with the arguments its `resume` contract
/// guarantees (for every hook but `ctr`, a target that `ctr` constructed).
unsafe extern "C" fn resume_fn<T: Target>(ti: *mut ffi::dm_target) {
    // SAFETY: called on a constructed target.
    let inst = unsafe { instance::<T>(ti) };
    inst.target().resume(&inst.task_ctx());
}

/// DM's `status` hook for targets of type `T`.
///
/// # Safety
///
/// Called only by device-mapper, with the arguments its `status` contract
/// guarantees (for every hook but `ctr`, a target that `ctr` constructed).
unsafe extern "C" fn status_fn<T: Target>(
    ti: *mut ffi::dm_target,
    kind: ffi::status_type_t,
    _flags: c_uint,
    result: *mut c_char,
    maxlen: c_uint,
) {
    let kind = match kind {
        ffi::status_type_t_STATUSTYPE_INFO => StatusType::Info,
        ffi::status_type_t_STATUSTYPE_TABLE => StatusType::Table,
        _ => StatusType::Ima,
    };
    // SAFETY: DM passes a result buffer of `maxlen` bytes, ours for the call.
    let mut out = unsafe { emitter(result, maxlen) };
    // SAFETY: called on a constructed target.
    let inst = unsafe { instance::<T>(ti) };
    inst.target().status(inst.ctx(), kind, &mut out);
}

/// DM's `message` hook for targets of type `T`.
///
/// # Safety
///
/// Called only by device-mapper, with the arguments its `message` contract
/// guarantees (for every hook but `ctr`, a target that `ctr` constructed).
unsafe extern "C" fn message_fn<T: Target>(
    ti: *mut ffi::dm_target,
    argc: c_uint,
    argv: *mut *mut c_char,
    result: *mut c_char,
    maxlen: c_uint,
) -> c_int {
    // SAFETY: DM passes `argc` valid strings that live through the call.
    let Ok(args) = (unsafe { collect_args(argc, argv) }) else {
        return code::ENOMEM.to_errno();
    };
    // SAFETY: DM passes a result buffer of `maxlen` bytes, ours for the call.
    let mut out = unsafe { emitter(result, maxlen) };
    // SAFETY: called on a constructed target.
    let inst = unsafe { instance::<T>(ti) };
    match inst.target().message(&inst.task_ctx(), ArgSet::new(&args), &mut out) {
        Ok(wrote) => c_int::from(wrote),
        Err(MessageError(reason)) => {
            pr_warn!("message rejected: {}\n", reason);
            code::EINVAL.to_errno()
        }
    }
}

/// DM's `iterate_devices` hook for targets of type `T`.
///
/// # Safety
///
/// Called only by device-mapper, with the arguments its `iterate_devices` contract
/// guarantees (for every hook but `ctr`, a target that `ctr` constructed).
unsafe extern "C" fn iterate_devices_fn<T: Target>(
    ti: *mut ffi::dm_target,
    callout: ffi::iterate_devices_callout_fn,
    data: *mut c_void,
) -> c_int {
    let mut visitor = DeviceVisitor { ti, callout, data, _call: PhantomData };
    // SAFETY: called on a constructed target.
    let inst = unsafe { instance::<T>(ti) };
    inst.target().iterate_devices(inst.ctx(), &mut visitor)
}

/// DM's `io_hints` hook for targets of type `T`.
///
/// # Safety
///
/// Called only by device-mapper, with the arguments its `io_hints` contract
/// guarantees (for every hook but `ctr`, a target that `ctr` constructed).
unsafe extern "C" fn io_hints_fn<T: Target>(ti: *mut ffi::dm_target, limits: *mut ffi::queue_limits) {
    // SAFETY: DM passes the limits it is computing, ours for the call.
    let mut limits = QueueLimits(unsafe { &mut *limits });
    // SAFETY: called on a constructed target.
    unsafe { instance::<T>(ti) }.target().io_hints(&mut limits);
}
