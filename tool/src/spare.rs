//! Metadata block I/O on a spare device or an image file.
//!
//! A block device is read and written with O_DIRECT: the kernel writes a
//! live spare's metadata with bios that bypass the page cache, so a
//! cached read could show an old commit (and a repair would write that
//! old state back). A block device opened for writing is opened with
//! O_EXCL: the kernel refuses it while a remap table (or a mount, or any
//! other holder) has claimed it, so no command that writes can change the
//! metadata under a live target.

use dm_remap_core::format::{self, Record, SlotPick, LOG_START, MBLOCK};
use dm_remap_core::journal::{self, LoadError};
use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// What went wrong, and which exit code it maps to.
#[derive(Debug)]
pub enum Error {
    /// The device could not be opened, read or written (exit 3).
    Io(String),
    /// The metadata is damaged or refused (exit 1).
    Metadata(String),
    /// The command line is wrong (exit 2).
    Usage(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl From<format::FormatError> for Error {
    fn from(e: format::FormatError) -> Self {
        Error::Metadata(e.0.to_string_lossy().into_owned())
    }
}

/// An open spare device or image.
pub struct Spare {
    file: File,
    path: String,
}

/// One metadata block in memory aligned for O_DIRECT.
#[repr(C, align(4096))]
struct Aligned([u8; MBLOCK]);

impl Spare {
    /// Opens a spare device or image: for `write`, exclusively (a device
    /// a table holds is refused with EBUSY).
    pub fn open(path: &Path, write: bool) -> Result<Self> {
        let device = std::fs::metadata(path).is_ok_and(|m| m.file_type().is_block_device());
        let mut flags = if device { libc::O_DIRECT } else { 0 };
        if device && write {
            flags |= libc::O_EXCL;
        }
        let file = OpenOptions::new().read(true).write(write).custom_flags(flags).open(path).map_err(|e| {
            match e.raw_os_error() {
                Some(libc::EBUSY) if write => Error::Io(format!(
                    "{} is in use (a remap table, a mount or another holder has it): \
                     refusing to write metadata under it; remove its table first",
                    path.display()
                )),
                _ => Error::Io(format!("cannot open {}: {e}", path.display())),
            }
        })?;
        Ok(Self { file, path: path.display().to_string() })
    }

    fn io(&self, what: &str, e: io::Error) -> Error {
        Error::Io(format!("{}: {what}: {e}", self.path))
    }

    /// Size in 512-byte sectors.
    pub fn sectors(&mut self) -> Result<u64> {
        let bytes = self.file.seek(SeekFrom::End(0)).map_err(|e| self.io("cannot get size", e))?;
        Ok(bytes / 512)
    }

    /// Reads metadata block `index`; a block cut short by the end of the
    /// device is an error.
    pub fn read(&self, index: u64, buf: &mut [u8; MBLOCK]) -> Result<()> {
        let mut block = Box::new(Aligned([0; MBLOCK]));
        self.file
            .read_exact_at(&mut block.0, index * MBLOCK as u64)
            .map_err(|e| self.io(&format!("cannot read metadata block {index}"), e))?;
        *buf = block.0;
        Ok(())
    }

    pub fn write(&self, index: u64, buf: &[u8; MBLOCK]) -> Result<()> {
        let block = Box::new(Aligned(*buf));
        self.file
            .write_all_at(&block.0, index * MBLOCK as u64)
            .map_err(|e| self.io(&format!("cannot write metadata block {index}"), e))
    }

    pub fn sync(&self) -> Result<()> {
        self.file.sync_all().map_err(|e| self.io("cannot flush", e))
    }

    /// Both commit slots.
    pub fn slots(&self) -> Result<[[u8; MBLOCK]; 2]> {
        let mut s = [[0; MBLOCK]; 2];
        self.read(0, &mut s[0])?;
        self.read(1, &mut s[1])?;
        Ok(s)
    }

    /// The newest valid commit.
    pub fn pick(&self) -> Result<SlotPick> {
        let [a, b] = self.slots()?;
        if format::is_zero(&a) && format::is_zero(&b) {
            let mut log = [0; MBLOCK];
            if self.read(LOG_START, &mut log).is_ok() && !format::is_zero(&log) {
                // (The kernel's words: it would not format it either.)
                return Err(Error::Metadata(format!(
                    "{}: Spare holds data but no valid metadata (both commit slots are zero)",
                    self.path
                )));
            }
            return Err(Error::Metadata(format!("{}: not formatted (metadata area is all zeros)", self.path)));
        }
        format::pick_slot(&a, &b).map_err(|e| Error::Metadata(format!("{}: {}", self.path, e.0.to_string_lossy())))
    }

    /// The records of commit `pick`, in commit order.
    pub fn records(&self, pick: &SlotPick) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        let mut buf = [0; MBLOCK];
        let slot = self.slots()?[pick.slot];
        let read = |i, b: &mut [u8; MBLOCK]| self.read(LOG_START + i, b);
        journal::replay(&pick.sb, &slot, &mut buf, read, |r| {
            out.push(r);
            Ok(())
        })
        .map_err(|e| match e {
            LoadError::Io(e) => e,
            LoadError::Format(f) => Error::Metadata(format!("{}: {}", self.path, f.0.to_string_lossy())),
        })?;
        Ok(out)
    }
}
