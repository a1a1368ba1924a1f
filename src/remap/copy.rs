//! Copying main blocks to spare blocks (worker only: it sleeps).

use super::worker::Work;
use crate::dm::{DmDev, IoBuf, Write};
use crate::remap_core::format::BlockState;
use kernel::prelude::*;

/// What copying a main block found.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Copied {
    /// Read and written to its spare block.
    Moved,
    /// No sector of it reads: pending (main holds it still, and a later
    /// read retests it).
    Unreadable,
    /// Some sectors read and some do not: it stays on main, where the
    /// readable ones keep reading (moving it would make them pending).
    Partly,
}

/// Why a copy failed.
pub enum CopyError {
    NoMem,
    /// A write to spare failed.
    Spare,
    /// A suspend began before the copy was done.
    Cut,
}

/// Largest copy done with one read and one write.
const COPY_CHUNK: usize = 1 << 20;

/// Copies runs of main blocks to consecutive spare blocks.
pub struct Copier<'a> {
    t: &'a Work<'a>,
    main_sectors: u64,
    pub chunk_blocks: usize,
}

impl<'a> Copier<'a> {
    pub fn new(t: &'a Work<'a>) -> Self {
        // block_size is a power of two.
        let chunk_blocks = (COPY_CHUNK >> t.geometry.block_size.trailing_zeros()).max(1);
        // (Main's size when the table was loaded: a device that went away
        // has size 0 now.)
        Self { t, main_sectors: t.geometry.main_sectors, chunk_blocks }
    }

    /// Copies `n` main blocks from `block` to spare blocks from `spare`;
    /// returns what each block's copy found.
    pub fn copy(&mut self, block: u64, n: u64, spare: u64) -> Result<KVec<Copied>, CopyError> {
        const NOMEM: CopyError = CopyError::NoMem;
        let bs = self.t.layout.block_sectors;
        let mut states = KVec::with_capacity(n as usize, GFP_KERNEL).map_err(|_| NOMEM)?;
        // The last block of a main device that is not a whole number of
        // blocks is shorter: copy what exists.
        let sectors = (n * bs).min(self.main_sectors - block * bs);
        let mut buf = IoBuf::new((sectors * 512) as usize).map_err(|_| NOMEM)?;
        if self.t.io.read(self.t.main, block * bs, &mut buf).is_ok() {
            self.write(spare, &mut buf)?;
            for _ in 0..n {
                states.push(Copied::Moved, GFP_KERNEL).map_err(|_| NOMEM)?;
            }
            return Ok(states);
        }
        // Some block of the run is unreadable: find which, one by one (a
        // run of one block was just read).
        for i in 0..n {
            if self.t.suspending() {
                return Err(CopyError::Cut);
            }
            let len = bs.min(self.main_sectors - (block + i) * bs);
            let mut one = IoBuf::new((len * 512) as usize).map_err(|_| NOMEM)?;
            let read = if n == 1 { Err(EIO) } else { self.t.io.read(self.t.main, (block + i) * bs, &mut one) };
            let state = match read {
                Ok(()) => {
                    self.write(spare + i, &mut one)?;
                    Copied::Moved
                }
                Err(_) if self.t.any_unit_reads(self.t.main, (block + i) * bs, len, &mut one) => Copied::Partly,
                Err(_) => Copied::Unreadable,
            };
            states.push(state, GFP_KERNEL).map_err(|_| NOMEM)?;
        }
        Ok(states)
    }

    /// Copies main block `block` from spare block `old`, which failed a
    /// read once, to spare block `new`, retrying the read as a user read's
    /// redo does (`read_retrying`); returns the block's state: lost when
    /// `old` never reads.
    pub fn rescue(&mut self, block: u64, old: u32, new: u64) -> Result<BlockState, CopyError> {
        let bs = self.t.layout.block_sectors;
        let len = bs.min(self.main_sectors - block * bs);
        let mut buf = IoBuf::new((len * 512) as usize).map_err(|_| CopyError::NoMem)?;
        if self.t.read_retrying(self.t.spare, self.t.geometry.spare_sector(old), &mut buf, 1).is_none() {
            return Ok(BlockState::Lost);
        }
        self.write(new, &mut buf)?;
        Ok(BlockState::Remapped)
    }

    fn write(&self, spare: u64, buf: &mut IoBuf) -> Result<(), CopyError> {
        self.t
            .io
            .write(self.t.spare, self.t.geometry.spare_sector(spare as u32), buf, Write::Cached)
            .map_err(|_| CopyError::Spare)
    }
}

impl Work<'_> {
    /// Whether some logical block of `dev`'s `sectors` from `sector` reads
    /// (into `buf`, whose length it changes). True too when a suspend
    /// stops it: the block is then left as it is, and nothing recorded.
    pub(super) fn any_unit_reads(&self, dev: &DmDev, sector: u64, sectors: u64, buf: &mut IoBuf) -> bool {
        let unit = u64::from(dev.logical_block_size() / 512).max(1);
        if buf.set_len((unit * 512) as usize).is_err() {
            return false;
        }
        (0..sectors.div_ceil(unit)).any(|i| self.suspending() || self.io.read(dev, sector + i * unit, buf).is_ok())
    }
}
