//! The on-disk log of the kernel's dm-log-writes target
//! (drivers/md/dm-log-writes.c): a superblock in the first sector, then one
//! entry after another, each a sector holding its header (and a mark's
//! text) followed by the data written, `nr_sectors` sectors of it. Sectors
//! are of the log's own size (`sectorsize`), and an entry's `sector` counts
//! them too.
//!
//! The target logs a write when it completes, but one without FUA waits on
//! a list until the next flush, which logs it just before itself. So a
//! prefix of the log is a state the disk could be in after a power cut:
//! everything flushed (or written with FUA) before it is there, in the
//! order it completed.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

pub const FLUSH: u64 = 1 << 0;
pub const FUA: u64 = 1 << 1;
pub const DISCARD: u64 = 1 << 2;
pub const MARK: u64 = 1 << 3;

const MAGIC: u64 = 0x006a_7366_7773_6872;
const VERSION: u64 = 1;
const HEADER: usize = 32;
/// The last mark of a log whose target was removed.
pub const END_MARK: &str = "dm-log-writes-end";

/// One logged write, flush, discard or mark.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Where the entry's header sector starts in the log, in bytes.
    pub offset: u64,
    /// First byte written on the logged device.
    pub byte: u64,
    /// Bytes written (or discarded).
    pub len: u64,
    pub flags: u64,
    /// A mark's text (`dmsetup message <dev> 0 mark <text>`).
    pub mark: Option<String>,
}

impl Entry {
    /// Where the data of a write lies in the log.
    pub fn data_offset(&self, sectorsize: u64) -> u64 {
        self.offset + sectorsize
    }

    /// A flush or a FUA write: a point where the device promised
    /// durability.
    pub fn is_barrier(&self) -> bool {
        self.flags & (FLUSH | FUA) != 0
    }
}

/// A whole log, its entries read and checked.
pub struct Log {
    pub file: File,
    pub sectorsize: u64,
    pub entries: Vec<Entry>,
}

fn bad(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

impl Log {
    pub fn open(file: File) -> io::Result<Self> {
        let mut sb = [0u8; HEADER + 4];
        file.read_exact_at(&mut sb, 0)?;
        if le64(&sb, 0) != MAGIC {
            return Err(bad("not a dm-log-writes log (bad magic)".into()));
        }
        if le64(&sb, 8) != VERSION {
            return Err(bad(format!("dm-log-writes log version {} is not 1", le64(&sb, 8))));
        }
        let count = le64(&sb, 16);
        let sectorsize = u64::from(u32::from_le_bytes(sb[24..28].try_into().expect("4 bytes")));
        if !(512..=65536).contains(&sectorsize) || !sectorsize.is_power_of_two() {
            return Err(bad(format!("dm-log-writes sector size {sectorsize} is not a power of two from 512")));
        }
        let size = file.metadata()?.len();
        let mut entries = Vec::new();
        let mut offset = sectorsize;
        let mut sector = vec![0u8; sectorsize as usize];
        for _ in 0..count {
            if offset + sectorsize > size {
                return Err(bad(format!("entry {} lies past the end of the log", entries.len())));
            }
            file.read_exact_at(&mut sector, offset)?;
            let (start, sectors, flags, data_len) =
                (le64(&sector, 0), le64(&sector, 8), le64(&sector, 16), le64(&sector, 24));
            let mark = if flags & MARK != 0 {
                let len = usize::try_from(data_len).ok().filter(|&l| l <= sector.len() - HEADER);
                let len = len.ok_or_else(|| bad(format!("entry {}: mark of {data_len} bytes", entries.len())))?;
                Some(String::from_utf8_lossy(&sector[HEADER..HEADER + len]).into_owned())
            } else if data_len != 0 {
                return Err(bad(format!("entry {}: inline data, which this reader does not know", entries.len())));
            } else {
                None
            };
            let index = entries.len();
            let overflow = || bad(format!("entry {index}: sector {start} + {sectors} overflows"));
            let byte = start.checked_mul(sectorsize).ok_or_else(overflow)?;
            let len = sectors.checked_mul(sectorsize).ok_or_else(overflow)?;
            entries.push(Entry { offset, byte, len, flags, mark });
            offset += sectorsize;
            if flags & DISCARD == 0 {
                offset = offset.checked_add(len).ok_or_else(overflow)?;
            }
        }
        Ok(Log { file, sectorsize, entries })
    }

    /// Whether the log ends with the mark dm-log-writes adds when it is
    /// removed. It is missing when logging stopped early (the log device
    /// filled up, or an allocation failed) or the target was never
    /// removed; the log then lacks writes.
    pub fn complete(&self) -> bool {
        self.entries.last().and_then(|e| e.mark.as_deref()) == Some(END_MARK)
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Builds a log in memory: (sector, data, flags, mark) per entry.
    pub fn build(entries: &[(u64, Vec<u8>, u64, &str)]) -> Vec<u8> {
        let mut out = vec![0u8; 512];
        out[..8].copy_from_slice(&MAGIC.to_le_bytes());
        out[8..16].copy_from_slice(&VERSION.to_le_bytes());
        out[16..24].copy_from_slice(&(entries.len() as u64).to_le_bytes());
        out[24..28].copy_from_slice(&512u32.to_le_bytes());
        for (sector, data, flags, mark) in entries {
            let mut head = vec![0u8; 512];
            head[..8].copy_from_slice(&sector.to_le_bytes());
            head[8..16].copy_from_slice(&(data.len() as u64 / 512).to_le_bytes());
            head[16..24].copy_from_slice(&flags.to_le_bytes());
            head[24..32].copy_from_slice(&(mark.len() as u64).to_le_bytes());
            head[32..32 + mark.len()].copy_from_slice(mark.as_bytes());
            out.extend_from_slice(&head);
            out.extend_from_slice(data);
        }
        out
    }

    pub fn file_of(bytes: &[u8]) -> File {
        let path =
            std::env::temp_dir().join(format!("dmr-log-{}-{:?}", std::process::id(), std::thread::current().id()));
        std::fs::write(&path, bytes).unwrap();
        let f = File::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        f
    }

    #[test]
    fn reads_writes_flushes_and_marks() {
        let log = build(&[
            (8, vec![7; 1024], 0, ""),
            (0, vec![], FLUSH, ""),
            (0, vec![], MARK, "w:1:2"),
            (16, vec![1; 512], FUA, ""),
        ]);
        let log = Log::open(file_of(&log)).unwrap();
        assert_eq!(log.entries.len(), 4);
        assert_eq!((log.entries[0].byte, log.entries[0].len), (4096, 1024));
        assert!(log.entries[1].is_barrier() && !log.entries[0].is_barrier());
        assert_eq!(log.entries[2].mark.as_deref(), Some("w:1:2"));
        assert_eq!(log.entries[3].offset, 512 + 512 + 1024 + 512 + 512);
        assert_eq!(log.entries[3].byte, 8192);
    }

    #[test]
    fn refuses_what_is_not_a_log() {
        let mut log = build(&[(0, vec![], FLUSH, "")]);
        log[0] ^= 1;
        assert!(Log::open(file_of(&log)).is_err());
        let mut log = build(&[(0, vec![0; 512], 0, "")]);
        log[16] = 2; // two entries claimed, one there
        assert!(Log::open(file_of(&log)).is_err());
    }
}
