//! Bios that DM hands to a target: a view for the duration of `map`
//! ([`Bio`]) or `end_io` ([`DoneBio`]), and bios the target keeps to finish
//! later ([`HeldBio`], [`BioList`]).
//!
//! Every bio of a target carries a value of the target's per-bio type `P`
//! in DM's per-bio data (`ti->per_io_data_size`), written by `map` before
//! anything reads it.

use super::ffi;
use super::DmDev;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

const REQ_OP_MASK: u32 = (1 << ffi::REQ_OP_BITS) - 1;
const REQ_PREFLUSH: u32 = 1 << ffi::req_flag_bits___REQ_PREFLUSH;

/// Per-bio data: a value that DM stores in front of each clone; `map`
/// starts from `INIT`. DM aligns that area to 8 bytes and frees it without
/// running any drop code, so the type must need none (checked at build
/// time); it need not be `Copy` (a value that must be used once, such as an
/// SRCU section, can live there).
pub trait PerBio: Sized + Send + 'static {
    /// The value every bio starts with.
    const INIT: Self;
    /// Checked at build time: DM's per-bio area is 8-byte aligned, and is
    /// never dropped.
    const LAYOUT_OK: () = assert!(core::mem::align_of::<Self>() <= 8 && !core::mem::needs_drop::<Self>());
}

/// DM's per-bio area of a target with per-bio data `P`: the layer's part,
/// then the target's.
struct Slot<P> {
    /// Where the bio stood when it was last pointed at a device (by
    /// `remap` or `submit`): [`HeldBio::rewind`] goes back there. Only the
    /// layer writes it, so it always describes this bio.
    mark: Bookmark,
    /// The target ended this bio itself (it held it from `end_io`, or from
    /// `map` and failed it): DM runs `end_io` once more, which completes it
    /// without asking the target.
    ended: bool,
    user: P,
}

/// The `per_io_data_size` of a target with per-bio data `P`.
pub(super) const fn per_io_size<P: PerBio>() -> usize {
    core::mem::size_of::<Slot<P>>()
}

/// The per-bio area of `bio`.
///
/// # Safety
///
/// `bio` must be a clone made by DM for a target whose
/// `per_io_data_size` is `per_io_size::<P>()`.
unsafe fn per_bio_ptr<P: PerBio>(bio: NonNull<ffi::bio>) -> NonNull<Slot<P>> {
    #[allow(clippy::let_unit_value)]
    let () = P::LAYOUT_OK;
    // SAFETY: caller's contract; DM reserves that many bytes before the
    // clone, aligned to 8, so the pointer is not NULL.
    unsafe { NonNull::new_unchecked(ffi::dm_per_bio_data(bio.as_ptr(), per_io_size::<P>()).cast()) }
}

/// What every view of a target's bio offers, borrowed ([`Bio`]) or held
/// ([`HeldBio`]).
///
/// Invariant: `ptr` points to a live clone that DM made for a target with
/// per-bio data of type `P`, and nobody else touches it while this exists.
///
/// `slot` is `ptr`'s per-bio area (found once: DM's lookup is a call).
pub struct BioData<P: PerBio> {
    ptr: NonNull<ffi::bio>,
    slot: NonNull<Slot<P>>,
}

impl<P: PerBio> BioData<P> {
    /// # Safety
    ///
    /// `ptr` must be a clone DM made for a target with per-bio data of
    /// type `P`, whose per-bio data was written, used by no one else while
    /// the view exists.
    unsafe fn new(ptr: NonNull<ffi::bio>) -> Self {
        // SAFETY: caller's contract.
        Self { ptr, slot: unsafe { per_bio_ptr(ptr) } }
    }

    fn raw(&self) -> &ffi::bio {
        // SAFETY: the type invariant says `ptr` is valid and ours.
        unsafe { self.ptr.as_ref() }
    }

    fn raw_mut(&mut self) -> &mut ffi::bio {
        // SAFETY: as in `raw`; `&mut self` makes the access exclusive.
        unsafe { self.ptr.as_mut() }
    }

    /// First sector the bio addresses.
    pub fn sector(&self) -> u64 {
        self.raw().bi_iter.bi_sector
    }

    /// Length of the bio in sectors.
    pub fn sectors(&self) -> u64 {
        u64::from(self.raw().bi_iter.bi_size >> 9)
    }

    fn slot(&mut self) -> &mut Slot<P> {
        // SAFETY: the area belongs to the clone, which is exclusively ours
        // (type invariant), and was written in `map` before any read.
        unsafe { self.slot.as_mut() }
    }

    fn slot_ref(&self) -> &Slot<P> {
        // SAFETY: as in `slot`.
        unsafe { self.slot.as_ref() }
    }

    /// This bio's per-bio data.
    pub fn per_bio(&mut self) -> &mut P {
        &mut self.slot().user
    }

    /// This bio's per-bio data, to read.
    pub fn per_bio_ref(&self) -> &P {
        &self.slot_ref().user
    }

    /// Points the bio at `sector` of `dev` (dm-linear's remapping) and
    /// marks where it stands, for `rewind`.
    fn point_at(&mut self, dev: &DmDev, sector: u64) {
        set_dev(self.ptr, dev);
        let it = &mut self.raw_mut().bi_iter;
        it.bi_sector = sector;
        let mark = Bookmark { sector, size: it.bi_size, idx: it.bi_idx, done: it.bi_bvec_done };
        self.slot().mark = mark;
    }

    /// What the bio does.
    pub fn op(&self) -> Op {
        match self.raw().bi_opf & REQ_OP_MASK {
            ffi::req_op_REQ_OP_READ => Op::Read,
            ffi::req_op_REQ_OP_WRITE => Op::Write,
            ffi::req_op_REQ_OP_DISCARD => Op::Discard,
            ffi::req_op_REQ_OP_WRITE_ZEROES => Op::WriteZeroes,
            _ => Op::Other,
        }
    }

    /// Whether the bio reads data (as opposed to writing or discarding).
    pub fn is_read(&self) -> bool {
        self.op() == Op::Read
    }

    /// Whether this is an empty flush: no data, only a cache-flush request.
    /// Its sector carries no meaning and may lie outside the target.
    pub fn is_empty_flush(&self) -> bool {
        self.raw().bi_opf & REQ_PREFLUSH != 0 && self.raw().bi_iter.bi_size == 0
    }

    /// Whether the target ended this bio itself (see `Slot::ended`).
    pub(super) fn ended(&self) -> bool {
        self.slot_ref().ended
    }
}

/// What a bio does (`bio_op`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    Read,
    Write,
    Discard,
    WriteZeroes,
    /// Anything else (flushes without data reach `map` as writes).
    Other,
}

/// A bio's position (its `bi_iter`) when it was pointed at a device.
#[derive(Clone, Copy)]
struct Bookmark {
    sector: u64,
    size: u32,
    idx: u32,
    done: u32,
}

impl Bookmark {
    /// No position: sector 0, no bytes.
    const ZERO: Self = Bookmark { sector: 0, size: 0, idx: 0, done: 0 };
}

/// A bio borrowed from DM for the duration of one callback.
///
/// Invariant: as for [`BioData`]: DM gives the target exclusive use of
/// its clone in `map` and `end_io`.
pub struct Bio<'a, P: PerBio> {
    data: BioData<P>,
    _owner: PhantomData<&'a mut ffi::bio>,
}

impl<P: PerBio> Deref for Bio<'_, P> {
    type Target = BioData<P>;
    fn deref(&self) -> &BioData<P> {
        &self.data
    }
}

impl<P: PerBio> DerefMut for Bio<'_, P> {
    fn deref_mut(&mut self) -> &mut BioData<P> {
        &mut self.data
    }
}

impl<'a, P: PerBio> Bio<'a, P> {
    /// A bio given to `map`; its per-bio data starts as `P::INIT`.
    ///
    /// # Safety
    ///
    /// `ptr` must be a clone DM made for a target with per-bio data of
    /// type `P` (not yet written), used by no one else for the lifetime of
    /// the view.
    pub(super) unsafe fn from_raw(ptr: *mut ffi::bio) -> Self {
        // SAFETY: DM never passes a NULL bio (caller's contract).
        let ptr = unsafe { NonNull::new_unchecked(ptr) };
        // SAFETY: caller's contract.
        let per = unsafe { per_bio_ptr::<P>(ptr) };
        // SAFETY: the clone's per-bio area is ours to write (uninitialised:
        // `write`). Written, it meets `BioData`'s invariant.
        unsafe { per.as_ptr().write(Slot { mark: Bookmark::ZERO, ended: false, user: P::INIT }) };
        Self { data: BioData { ptr, slot: per }, _owner: PhantomData }
    }

    fn ptr(&self) -> NonNull<ffi::bio> {
        self.data.ptr
    }

    /// The C bio, for the hook wrappers' checks.
    pub(super) fn as_ptr(&self) -> *mut ffi::bio {
        self.ptr().as_ptr()
    }

    /// Keeps only the first `sectors` sectors in this bio; DM sends the
    /// rest to `map` again as a new bio. Fails, changing nothing, unless
    /// `sectors` is at least one and less than `self.sectors()`, or for an
    /// empty flush (DM duplicates those: they cannot be split).
    pub fn accept_partial(&mut self, sectors: u64) -> Result<(), OutOfBounds> {
        if sectors == 0 || sectors >= self.sectors() || self.is_empty_flush() {
            return Err(OutOfBounds);
        }
        // SAFETY: `ptr` is the clone DM passed to map, not a duplicate bio
        // (not an empty flush, the only duplicated bios), and the new
        // length is within the bio (checked above; it fits in u32 since
        // the bio's size does).
        unsafe { ffi::dm_accept_partial_bio(self.as_ptr(), sectors as u32) };
        Ok(())
    }

    /// Which of a target's duplicated bios this is (0 for the first), for
    /// flushes sent `num_flush_bios` times.
    pub fn target_bio_nr(&self) -> u32 {
        // SAFETY: `ptr` is a valid bio cloned by DM (type invariant).
        unsafe { ffi::dmr_bio_get_target_bio_nr(self.as_ptr()) }
    }

    /// Points the bio at `dev` without changing its sector.
    pub fn set_dev(&mut self, dev: &DmDev) {
        set_dev(self.ptr(), dev);
    }

    /// Points the bio at `sector` of `dev` (dm-linear's remapping).
    pub fn remap(&mut self, dev: &DmDev, sector: u64) {
        self.data.point_at(dev, sector);
    }

    /// Takes the bio over: the target will submit it later. The returned
    /// mark is what `map` returns.
    pub fn hold(self) -> (HeldBio<P, FromMap>, Held<'a>) {
        (HeldBio { data: self.data, _from: PhantomData }, Held(PhantomData))
    }
}

/// A completed bio, borrowed from DM for the duration of `end_io`. Unlike
/// [`Bio`] it cannot be split or redirected: `dm_accept_partial_bio` and
/// remapping are only valid in `map`.
///
/// Invariant: as for [`BioData`].
pub struct DoneBio<'a, P: PerBio> {
    data: BioData<P>,
    _owner: PhantomData<&'a mut ffi::bio>,
}

impl<P: PerBio> Deref for DoneBio<'_, P> {
    type Target = BioData<P>;
    fn deref(&self) -> &BioData<P> {
        &self.data
    }
}

impl<P: PerBio> DerefMut for DoneBio<'_, P> {
    fn deref_mut(&mut self) -> &mut BioData<P> {
        &mut self.data
    }
}

impl<'a, P: PerBio> DoneBio<'a, P> {
    /// # Safety
    ///
    /// As for [`Bio::from_raw`], for a clone that completed (so `map`
    /// wrote its per-bio data).
    pub(super) unsafe fn from_raw(ptr: *mut ffi::bio) -> Self {
        // SAFETY: DM never passes a NULL bio; the rest is the caller's
        // contract.
        let data = unsafe { BioData::new(NonNull::new_unchecked(ptr)) };
        Self { data, _owner: PhantomData }
    }

    /// The C bio, for the hook wrappers' checks.
    pub(super) fn as_ptr(&self) -> *mut ffi::bio {
        self.data.ptr.as_ptr()
    }

    /// Takes the bio over: the target will complete it later. The returned
    /// mark is what `end_io` returns.
    pub fn hold(self) -> (HeldBio<P, FromEndIo>, Held<'a>) {
        (HeldBio { data: self.data, _from: PhantomData }, Held(PhantomData))
    }
}

fn set_dev(bio: NonNull<ffi::bio>, dev: &DmDev) {
    // SAFETY: callers own `bio` (a `Bio` or `HeldBio`); `dev.bdev()` is an
    // open block device that outlives the bio (held by the target).
    unsafe { ffi::dmr_bio_set_dev(bio.as_ptr(), dev.bdev()) };
}

/// Proof that a callback handed its bio to a [`HeldBio`]: only
/// [`Bio::hold`] and [`DoneBio::hold`] make one, with the lifetime of the
/// callback's bio, so it cannot outlive that callback.
pub struct Held<'a>(PhantomData<&'a mut ffi::bio>);

/// A length that does not fit in the bio (see [`Bio::accept_partial`]).
#[derive(Debug)]
pub struct OutOfBounds;

/// Where a [`HeldBio`] was taken: in `map`, before any I/O (it can only
/// be submitted or failed).
pub struct FromMap;
/// Where a [`HeldBio`] was taken: in `end_io`, after its I/O (it can be
/// rewound, its data read or filled, and completed or failed).
pub struct FromEndIo;

/// A bio the target took over from `map` (`S` = [`FromMap`]: to submit)
/// or `end_io` ([`FromEndIo`]: to complete). Dropping it fails the bio with
/// an I/O error, so a held bio is never forgotten; a bio the target ends
/// itself does not come back to its `end_io`.
///
/// Invariant: as for [`BioData`]; DM does not touch the bio until the
/// target submits or ends it, which consumes the `HeldBio`.
pub struct HeldBio<P: PerBio, S> {
    data: BioData<P>,
    _from: PhantomData<S>,
}

impl<P: PerBio, S> Deref for HeldBio<P, S> {
    type Target = BioData<P>;
    fn deref(&self) -> &BioData<P> {
        &self.data
    }
}

impl<P: PerBio, S> DerefMut for HeldBio<P, S> {
    fn deref_mut(&mut self) -> &mut BioData<P> {
        &mut self.data
    }
}

// SAFETY: a held bio is owned by whoever holds the `HeldBio`; bios may be
// submitted or ended from any thread.
unsafe impl<P: PerBio, S> Send for HeldBio<P, S> {}

impl<P: PerBio, S> HeldBio<P, S> {
    /// Gives up ownership without ending the bio.
    fn into_ptr(self) -> NonNull<ffi::bio> {
        core::mem::ManuallyDrop::new(self).data.ptr
    }

    /// Ends the bio with an I/O error.
    pub fn fail(mut self) {
        self.data.slot().ended = true;
        // SAFETY: we own the bio; ending it hands it back to DM.
        unsafe { ffi::dmr_bio_io_error(self.into_ptr().as_ptr()) };
    }
}

impl<P: PerBio> HeldBio<P, FromMap> {
    /// Points the bio at `sector` of `dev` and submits it; `end_io` sees
    /// it complete.
    pub fn submit(mut self, dev: &DmDev, sector: u64) {
        self.data.point_at(dev, sector);
        let bio = self.into_ptr();
        // SAFETY: the bio is a DM clone that `map` returned as submitted
        // and that we own; DM accounts it and submits it.
        unsafe { ffi::dm_submit_bio_remap(bio.as_ptr(), core::ptr::null_mut()) };
    }
}

impl<P: PerBio> HeldBio<P, FromEndIo> {
    /// Completes the bio with the status it completed with.
    pub fn complete(mut self) {
        self.data.slot().ended = true;
        // SAFETY: we own the bio; ending it hands it back to DM.
        unsafe { ffi::bio_endio(self.into_ptr().as_ptr()) };
    }

    /// Completes the bio successfully, whatever error it completed with
    /// (its I/O was redone).
    pub fn complete_ok(mut self) {
        self.data.slot().ended = true;
        let bio = self.into_ptr().as_ptr();
        // SAFETY: we own the bio; DM's endio reads `bi_status` afresh.
        unsafe {
            (*bio).bi_status = 0;
            ffi::bio_endio(bio);
        }
    }

    /// Puts the bio back where it stood when it was last pointed at a
    /// device (its completion advanced it): its sector, its data and size
    /// as they were then. A bio never pointed at a device has no data.
    pub fn rewind(&mut self) {
        let mark = self.data.slot_ref().mark;
        let it = &mut self.raw_mut().bi_iter;
        it.bi_sector = mark.sector;
        it.bi_size = mark.size;
        it.bi_idx = mark.idx;
        it.bi_bvec_done = mark.done;
    }

    /// Checks that `len` bytes from byte `offset` lie within the bio's
    /// data (`sectors() * 512` bytes), in every build.
    fn check_range(&self, offset: usize, len: usize) -> Result<(u32, u32), OutOfBounds> {
        let end = offset.checked_add(len).ok_or(OutOfBounds)?;
        if end as u64 > self.sectors() * 512 {
            return Err(OutOfBounds);
        }
        // `bi_size` is a `u32`, and so are both.
        Ok((offset as u32, len as u32))
    }

    /// Copies `buf.len()` bytes of the bio's data, from byte `offset`,
    /// into `buf`.
    pub fn copy_out_at(&self, offset: usize, buf: &mut [u8]) -> Result<(), OutOfBounds> {
        let (offset, len) = self.check_range(offset, buf.len())?;
        // SAFETY: we own the bio; the range lies within its data, which its
        // `bi_iter` describes (the layer's own mark, or its position after
        // completion), and `buf` holds `len` bytes; the helper walks a copy
        // of `bi_iter`.
        unsafe { ffi::dmr_bio_copy_range(self.ptr.as_ptr(), offset, buf.as_mut_ptr().cast(), len, false) };
        Ok(())
    }

    /// Copies `buf` into the bio's data from byte `offset`.
    pub fn copy_in_at(&mut self, offset: usize, buf: &[u8]) -> Result<(), OutOfBounds> {
        let (offset, len) = self.check_range(offset, buf.len())?;
        // SAFETY: as in `copy_out_at`; the bio's pages are ours to fill (a
        // read we hold has not completed), and the helper only reads `buf`.
        unsafe { ffi::dmr_bio_copy_range(self.ptr.as_ptr(), offset, buf.as_ptr().cast_mut().cast(), len, true) };
        Ok(())
    }
}

impl<P: PerBio, S> Drop for HeldBio<P, S> {
    fn drop(&mut self) {
        self.data.slot().ended = true;
        // SAFETY: we own the bio and nothing uses it after drop.
        unsafe { ffi::dmr_bio_io_error(self.data.ptr.as_ptr()) };
    }
}

/// A FIFO of held bios, linked through `bi_next` (no allocation, so it
/// can grow under a spinlock or in IRQ context). Dropping it fails what
/// is left.
///
/// Invariant: every bio on the list is a held bio owned by the list, and
/// `tail` is the last one (NULL when empty).
pub struct BioList<P: PerBio, S> {
    head: *mut ffi::bio,
    tail: *mut ffi::bio,
    _p: PhantomData<HeldBio<P, S>>,
}

// SAFETY: the list owns its bios (see `HeldBio`'s `Send`).
unsafe impl<P: PerBio, S> Send for BioList<P, S> {}

impl<P: PerBio, S> BioList<P, S> {
    /// An empty list.
    pub const fn new() -> Self {
        Self { head: core::ptr::null_mut(), tail: core::ptr::null_mut(), _p: PhantomData }
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    /// Appends `bio`.
    pub fn push(&mut self, bio: HeldBio<P, S>) {
        let bio = bio.into_ptr().as_ptr();
        // SAFETY: we own `bio` (now the list's) and the bios on the list;
        // a held bio's `bi_next` is unused by the block layer.
        unsafe {
            (*bio).bi_next = core::ptr::null_mut();
            if self.tail.is_null() {
                self.head = bio;
            } else {
                (*self.tail).bi_next = bio;
            }
        }
        self.tail = bio;
    }

    /// Removes and returns the first bio.
    pub fn pop(&mut self) -> Option<HeldBio<P, S>> {
        let ptr = NonNull::new(self.head)?;
        // SAFETY: `head` is a bio the list owns.
        unsafe {
            self.head = (*ptr.as_ptr()).bi_next;
            (*ptr.as_ptr()).bi_next = core::ptr::null_mut();
        }
        if self.head.is_null() {
            self.tail = core::ptr::null_mut();
        }
        // SAFETY: a held bio's per-bio data was written in `map`, and the
        // list hands its ownership over.
        Some(HeldBio { data: unsafe { BioData::new(ptr) }, _from: PhantomData })
    }

    /// Moves every bio out, leaving the list empty.
    pub fn take(&mut self) -> Self {
        core::mem::replace(self, Self::new())
    }
}

impl<P: PerBio, S> Drop for BioList<P, S> {
    fn drop(&mut self) {
        while let Some(bio) = self.pop() {
            bio.fail();
        }
    }
}
