//! Synchronous block I/O through a private dm-io client, for metadata and
//! block copies. It sleeps: only for process context (ctr, messages,
//! preresume), never for map, end_io or status.

use super::ffi;
use super::DmDev;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;
use kernel::alloc::VVec;
use kernel::error::{code, to_result};
use kernel::prelude::*;

const REQ_FUA: u32 = 1 << ffi::req_flag_bits___REQ_FUA;
const REQ_PREFLUSH: u32 = 1 << ffi::req_flag_bits___REQ_PREFLUSH;
const REQ_SYNC: u32 = 1 << ffi::req_flag_bits___REQ_SYNC;

/// An I/O buffer in vmalloc memory, which dm-io addresses as `DM_IO_VMA`:
/// its first `len` bytes of the `mem` it was made with.
///
/// # Invariants
///
/// `len <= mem.len()`.
pub struct IoBuf {
    mem: VVec<u8>,
    len: usize,
}

impl IoBuf {
    /// A zeroed buffer of `len` bytes (a multiple of 512).
    pub fn new(len: usize) -> Result<Self> {
        Ok(Self { mem: VVec::from_elem(0u8, len, GFP_KERNEL)?, len })
    }

    /// Uses the first `len` bytes of the memory the buffer was made with
    /// (no allocation: a reserve made once serves buffers of any size up
    /// to it).
    pub fn set_len(&mut self, len: usize) -> Result {
        if len > self.mem.len() {
            return Err(code::EINVAL);
        }
        self.len = len;
        Ok(())
    }
}

impl Deref for IoBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.mem[..self.len]
    }
}

impl DerefMut for IoBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.mem[..self.len]
    }
}

/// How a write reaches the disk.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Into the device's cache.
    Cached,
    /// Durable on completion (FUA).
    Fua,
}

/// A dm-io client: its own bio set and memory pools.
///
/// Invariant: `client` came from `dm_io_client_create` and is destroyed
/// once, on drop.
pub struct DmIo {
    client: NonNull<ffi::dm_io_client>,
}

// SAFETY: a dm-io client may be used from any thread; dm-io serialises
// what it must internally.
unsafe impl Send for DmIo {}
// SAFETY: see `Send`; all methods take `&self` and dm-io allows concurrent
// requests on one client.
unsafe impl Sync for DmIo {}

impl DmIo {
    /// Creates a client (process context).
    pub fn new() -> Result<Self> {
        // SAFETY: no preconditions; returns a client or an ERR_PTR.
        let p = unsafe { ffi::dm_io_client_create() };
        let v = p as isize;
        if (-4095..0).contains(&v) {
            return Err(Error::from_errno(v as i32));
        }
        NonNull::new(p).map(|client| Self { client }).ok_or(code::ENOMEM)
    }

    fn run(&self, dev: &DmDev, sector: u64, sectors: u64, opf: u32, buf: Option<&mut IoBuf>) -> Result {
        let mut region = ffi::dm_io_region { bdev: dev.bdev(), sector, count: sectors };
        let mut req = ffi::dm_io_request { bi_opf: opf, client: self.client.as_ptr(), ..Default::default() };
        req.mem.type_ = ffi::dm_io_mem_type_DM_IO_VMA;
        if let Some(b) = buf {
            req.mem.ptr.vma = b.mem.as_mut_ptr().cast();
        }
        let mut errors: kernel::ffi::c_ulong = 0;
        // SAFETY: synchronous request (no notify callback): `region`,
        // `req` and the vmalloc buffer of at least `sectors` * 512 bytes
        // outlive the call; `dev` is open.
        to_result(unsafe { ffi::dm_io(&mut req, 1, &mut region, &mut errors, 0) })?;
        if errors != 0 {
            return Err(code::EIO);
        }
        Ok(())
    }

    /// Reads `buf.len()` bytes from `sector` of `dev`.
    pub fn read(&self, dev: &DmDev, sector: u64, buf: &mut IoBuf) -> Result {
        let sectors = (buf.len() / 512) as u64;
        self.run(dev, sector, sectors, ffi::req_op_REQ_OP_READ | REQ_SYNC, Some(buf))
    }

    /// Writes `buf` at `sector` of `dev`.
    pub fn write(&self, dev: &DmDev, sector: u64, buf: &mut IoBuf, how: Write) -> Result {
        let sectors = (buf.len() / 512) as u64;
        let fua = if how == Write::Fua { REQ_FUA } else { 0 };
        self.run(dev, sector, sectors, ffi::req_op_REQ_OP_WRITE | REQ_SYNC | fua, Some(buf))
    }

    /// Makes every completed write to `dev` durable.
    pub fn flush(&self, dev: &DmDev) -> Result {
        self.run(dev, 0, 0, ffi::req_op_REQ_OP_WRITE | REQ_PREFLUSH | REQ_SYNC, None)
    }
}

impl Drop for DmIo {
    fn drop(&mut self) {
        // SAFETY: created in `new`, destroyed once; requests are synchronous
        // so none is in flight.
        unsafe { ffi::dm_io_client_destroy(self.client.as_ptr()) };
    }
}

/// Fills `buf` with random bytes.
pub fn random_bytes(buf: &mut [u8]) {
    // SAFETY: `buf` is valid for `buf.len()` bytes.
    unsafe { ffi::get_random_bytes(buf.as_mut_ptr().cast(), buf.len()) };
}
