//! `migrate`: copies a remap device onto a new disk, to move off a failing
//! main. It reads the remap device itself, so relocated blocks come from
//! the spare. It first lists the blocks whose data is lost (pending:
//! their reads fail), then copies in 1 MiB chunks; a chunk that fails is
//! copied block by block, and a block that cannot be read is written as
//! zeros on the new disk and named at the end. Exit 1 if any was.

use crate::dmsetup;
use crate::spare::{Error, Result, Spare};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;

const CHUNK: usize = 1 << 20;

/// The remap device's block size, from its table line
/// (`0 <len> remap <main> <spare> <n> block_size <bytes> ...`).
fn block_size(dev: &str) -> Result<usize> {
    let table = dmsetup::run(&["table", dev])?;
    let words: Vec<&str> = table.split_whitespace().collect();
    match words.iter().position(|&w| w == "block_size").and_then(|i| words.get(i + 1)?.parse().ok()) {
        Some(bs) if words.get(2) == Some(&"remap") => Ok(bs),
        _ => Err(Error::Usage(format!("{dev} is not a remap device (its table: {})", table.trim()))),
    }
}

/// Main blocks the target lists as lost (pending or lost).
fn lost_blocks(dev: &str) -> Result<Vec<u64>> {
    let list = dmsetup::run(&["message", dev, "0", "list"])?;
    Ok(list
        .lines()
        .filter_map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
            [main, _, "lost"] => main.parse().ok(),
            _ => None,
        })
        .collect())
}

fn open(path: &Path, write: bool) -> Result<File> {
    OpenOptions::new()
        .read(!write)
        .write(write)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .map_err(|e| Error::Io(format!("cannot open {}: {e}", path.display())))
}

/// `migrate <remap device> <new disk>`.
pub fn migrate(dev: &Path, to: &Path) -> Result<()> {
    let name = dev.to_string_lossy();
    let bs = block_size(&name)?;
    let lost = lost_blocks(&name)?;
    println!("{} blocks with lost data (they will read as zeros on {}):", lost.len(), to.display());
    lost.iter().for_each(|b| println!("  block {b} (bytes {} to {})", *b * bs as u64, (*b + 1) * bs as u64 - 1));
    let (src, dst) = (open(dev, false)?, open(to, true)?);
    let bytes = Spare::open(dev, false)?.sectors()? * 512;
    if Spare::open(to, false)?.sectors()? * 512 < bytes {
        return Err(Error::Usage(format!("{} is smaller than {}", to.display(), dev.display())));
    }
    let mut buf = vec![0u8; CHUNK + 4096];
    let at = buf.as_ptr().align_offset(4096);
    let buf = &mut buf[at..at + CHUNK];
    let mut unreadable = Vec::new();
    let io = |what: &str, e: std::io::Error| Error::Io(format!("{what}: {e}"));
    let mut pos = 0u64;
    while pos < bytes {
        let n = CHUNK.min((bytes - pos) as usize);
        if src.read_exact_at(&mut buf[..n], pos).is_err() {
            for (i, block) in buf[..n].chunks_mut(bs).enumerate() {
                let off = pos + (i * bs) as u64;
                if src.read_exact_at(block, off).is_err() {
                    block.fill(0);
                    unreadable.push(off / bs as u64);
                }
            }
        }
        dst.write_all_at(&buf[..n], pos).map_err(|e| io(&format!("writing {} at byte {pos}", to.display()), e))?;
        pos += n as u64;
    }
    dst.sync_all().map_err(|e| io(&format!("flushing {}", to.display()), e))?;
    println!("copied {} MiB from {} to {}", bytes >> 20, dev.display(), to.display());
    if unreadable.is_empty() {
        return Ok(());
    }
    Err(Error::Metadata(format!(
        "{} blocks could not be read and are zeros on {}: {unreadable:?}",
        unreadable.len(),
        to.display()
    )))
}
