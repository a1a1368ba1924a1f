//! A view of a bio that DM hands to a target.

use super::ffi;
use super::DmDev;
use core::marker::PhantomData;
use core::ptr::NonNull;

const REQ_OP_MASK: u32 = (1 << ffi::REQ_OP_BITS) - 1;
const REQ_PREFLUSH: u32 = 1 << ffi::req_flag_bits___REQ_PREFLUSH;

/// A bio borrowed from DM for the duration of one callback.
///
/// Invariant: `ptr` points to a live bio that nobody else touches while
/// this view exists (DM gives the target exclusive use of its clone in
/// `map` and `end_io`).
pub struct Bio<'a> {
    ptr: NonNull<ffi::bio>,
    _owner: PhantomData<&'a mut ffi::bio>,
}

impl Bio<'_> {
    /// # Safety
    ///
    /// `ptr` must be a valid bio, used by no one else for the lifetime of
    /// the returned view.
    pub(super) unsafe fn from_raw(ptr: *mut ffi::bio) -> Self {
        Self {
            // SAFETY: DM never passes a NULL bio (caller's contract).
            ptr: unsafe { NonNull::new_unchecked(ptr) },
            _owner: PhantomData,
        }
    }

    fn raw(&self) -> &ffi::bio {
        // SAFETY: the type invariant says `ptr` is valid and ours.
        unsafe { self.ptr.as_ref() }
    }

    /// First sector the bio addresses.
    pub fn sector(&self) -> u64 {
        self.raw().bi_iter.bi_sector
    }

    /// Length of the bio in sectors.
    pub fn sectors(&self) -> u64 {
        u64::from(self.raw().bi_iter.bi_size >> 9)
    }

    /// Keeps only the first `sectors` sectors in this bio; DM sends the
    /// rest to `map` again as a new bio. `sectors` must be at least one and
    /// less than `self.sectors()`.
    pub fn accept_partial(&mut self, sectors: u64) {
        debug_assert!(sectors > 0 && sectors < self.sectors());
        // SAFETY: `ptr` is the clone DM passed to map, not a duplicate bio
        // (callers never split empty flushes, the only duplicated bios), and the new
        // length is within the bio.
        unsafe { ffi::dm_accept_partial_bio(self.ptr.as_ptr(), sectors as u32) };
    }

    /// Whether the bio reads data (as opposed to writing or discarding).
    pub fn is_read(&self) -> bool {
        self.raw().bi_opf & REQ_OP_MASK == ffi::req_op_REQ_OP_READ
    }

    /// Whether this is an empty flush: no data, only a cache-flush request.
    /// Its sector carries no meaning and may lie outside the target.
    pub fn is_empty_flush(&self) -> bool {
        self.raw().bi_opf & REQ_PREFLUSH != 0 && self.raw().bi_iter.bi_size == 0
    }

    /// Which of a target's duplicated bios this is (0 for the first), for
    /// flushes sent `num_flush_bios` times.
    pub fn target_bio_nr(&self) -> u32 {
        // SAFETY: `ptr` is a valid bio cloned by DM (type invariant).
        unsafe { ffi::dmr_bio_get_target_bio_nr(self.ptr.as_ptr()) }
    }

    /// Points the bio at `dev` without changing its sector.
    pub fn set_dev(&mut self, dev: &DmDev) {
        // SAFETY: `ptr` is valid and exclusively ours; `dev.bdev()` is an
        // open block device that outlives the bio (held by the target).
        unsafe { ffi::dmr_bio_set_dev(self.ptr.as_ptr(), dev.bdev()) };
    }

    /// Points the bio at `sector` of `dev` (dm-linear's remapping).
    pub fn remap(&mut self, dev: &DmDev, sector: u64) {
        self.set_dev(dev);
        // SAFETY: as above; the bio is ours to modify until we return it.
        unsafe { (*self.ptr.as_ptr()).bi_iter.bi_sector = sector };
    }
}
