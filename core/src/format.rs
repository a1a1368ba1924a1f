//! On-disk format v1: the metadata area at the start of the spare device.
//!
//! All integers are little-endian. The area is made of 4 KiB metadata
//! blocks (`MBLOCK`):
//!
//! - block 0: commit slot A, block 1: commit slot B. Commits alternate
//!   between them (odd sequence numbers in A, even in B), so the slot of the
//!   last good commit is never the one being written.
//! - blocks 2..2+log_blocks: the record log. Log block `i` holds records
//!   `i * RECORDS_PER_BLOCK ..`; it is written once, when it fills up, and
//!   never again. The records of the last, partial log block live in the
//!   slot itself (the "tail"), so a commit never rewrites committed data.
//!   A tail holds fewer than `RECORDS_PER_BLOCK` records: the slot's last
//!   16 bytes hold the lifetime relocation counters (`COMPAT_LIFETIME`).
//!
//! Every block carries a CRC-32C seeded with a per-type salt. The byte
//! layout is documented in docs/remap.rst.

use super::crc32c;
use super::scrub;
use core::ffi::CStr;

/// Size of a metadata block.
pub const MBLOCK: usize = 4096;
/// Sectors per metadata block.
pub const MBLOCK_SECTORS: u64 = (MBLOCK / 512) as u64;
/// Bytes of header at the start of both block kinds.
pub const HEADER: usize = 128;
/// Bytes per remap record.
pub const RECORD: usize = 16;
/// Records in a log block; a slot's tail holds fewer.
pub const RECORDS_PER_BLOCK: usize = (MBLOCK - HEADER) / RECORD;
/// The format version this code writes and reads.
pub const VERSION: u32 = 1;
/// Incompatible features this code understands (none yet).
pub const INCOMPAT_SUPPORTED: u64 = 0;
/// Compatible feature (a reader that does not know it ignores it): the
/// slot's last 16 bytes hold `Superblock::relocated`. Every commit of this
/// code sets it; a slot without it counts from 0.
pub const COMPAT_LIFETIME: u64 = 1;
/// Where a slot keeps `Superblock::relocated` (four u32).
const LIFETIME_OFFSET: usize = MBLOCK - 16;
/// Metadata block index of the first log block.
pub const LOG_START: u64 = 2;

const SLOT_MAGIC: u64 = u64::from_le_bytes(*b"DMRMSLOT");
const LOG_MAGIC: u64 = u64::from_le_bytes(*b"DMRMLOG1");
const SALT_SLOT: u32 = 0x534c_4f54;
const SALT_LOG: u32 = 0x4c4f_4721;
/// The two halves of main's identity hash.
const SALT_ID: [u32; 2] = [0x4944_4849, 0x4944_4c4f];
const CRC_OFFSET: usize = 8;

/// A metadata failure, with a message fit for `ti->error` or the tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatError(pub &'static CStr);

/// State of a remapped block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockState {
    /// The spare block holds the data.
    Remapped,
    /// The data could not be read where it lived (a spare block, or main
    /// when this table did not know): reads fail until the block is
    /// written again.
    Lost,
    /// Main holds the data but failed to read it (a pending sector, as
    /// drives call it): reads fail until the block is written again, or
    /// until main reads it on a retest (it then moves with its data).
    Pending,
}

impl BlockState {
    /// Whether reads of the block fail (`Lost` or `Pending`).
    pub fn is_unreadable(self) -> bool {
        self != BlockState::Remapped
    }
}

/// One remap: main block `main` lives in spare data block `spare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub main: u64,
    pub spare: u32,
    pub state: BlockState,
}

impl Record {
    fn encode(&self, b: &mut [u8]) {
        b[..8].copy_from_slice(&self.main.to_le_bytes());
        b[8..12].copy_from_slice(&self.spare.to_le_bytes());
        b[12] = match self.state {
            BlockState::Remapped => 0,
            BlockState::Lost => 1,
            BlockState::Pending => 2,
        };
        b[13..16].fill(0);
    }

    fn decode(b: &[u8]) -> Result<Self, FormatError> {
        let state = match b[12] {
            0 => BlockState::Remapped,
            1 => BlockState::Lost,
            2 => BlockState::Pending,
            _ => return Err(FormatError(c"Metadata record with an unknown state")),
        };
        if b[13..16] != [0, 0, 0] {
            return Err(FormatError(c"Metadata record with non-zero padding"));
        }
        Ok(Self { main: le64(b, 0), spare: le32(b, 8), state })
    }
}

const TOO_LARGE: FormatError = FormatError(c"Spare device too large: at most 2^32 - 1 spare blocks");

/// Where everything lives on the spare device, fixed at format time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Bytes per remap block (a power of two, at least 512).
    pub block_size: u32,
    /// Size of main, in sectors, when the pair was formatted.
    pub main_sectors: u64,
    /// Size of spare, in sectors, when the pair was formatted.
    pub spare_sectors: u64,
    /// Metadata blocks in the record log.
    pub log_blocks: u64,
    /// First sector of the spare data area (block aligned).
    pub data_start: u64,
    /// Spare data blocks.
    pub spare_blocks: u64,
}

impl Geometry {
    /// The layout for a pair of devices. The log holds two records per
    /// spare block (a remap, and one change of state) plus one block.
    pub fn new(block_size: u32, main_sectors: u64, spare_sectors: u64) -> Result<Self, FormatError> {
        if !block_size.is_power_of_two() || !(512..=1 << 20).contains(&block_size) {
            return Err(FormatError(c"block_size must be a power of two from 512 to 1048576"));
        }
        let bs = u64::from(block_size / 512);
        let approx = spare_sectors / bs;
        // More than twice the spare blocks a pair can have is refused
        // before any arithmetic on it (sizes read from a disk are input).
        if approx > 2 * u64::from(u32::MAX) {
            return Err(TOO_LARGE);
        }
        let log_blocks = (2 * approx).div_ceil(RECORDS_PER_BLOCK as u64) + 1;
        let meta = (LOG_START + log_blocks) * MBLOCK_SECTORS;
        let data_start = meta.div_ceil(bs) * bs;
        let spare_blocks = spare_sectors.saturating_sub(data_start) / bs;
        if spare_blocks == 0 {
            return Err(FormatError(c"Spare device too small for its metadata and one block"));
        }
        if spare_blocks > u64::from(u32::MAX) {
            return Err(TOO_LARGE);
        }
        if main_sectors / bs == 0 {
            return Err(FormatError(c"Main device smaller than one block"));
        }
        Ok(Self { block_size, main_sectors, spare_sectors, log_blocks, data_start, spare_blocks })
    }

    /// Sectors per remap block.
    pub fn block_sectors(&self) -> u64 {
        u64::from(self.block_size / 512)
    }

    /// Blocks of main (a last, partial block counts).
    pub fn main_blocks(&self) -> u64 {
        self.main_sectors.div_ceil(self.block_sectors())
    }

    /// Most records the log and a tail can hold.
    pub fn record_capacity(&self) -> u64 {
        self.log_blocks * RECORDS_PER_BLOCK as u64 + RECORDS_PER_BLOCK as u64 - 1
    }

    /// First spare sector of spare data block `block`.
    pub fn spare_sector(&self, block: u32) -> u64 {
        self.data_start + u64::from(block) * self.block_sectors()
    }
}

/// The header of a commit slot. The slot's tail records stay in the slot's
/// block (see `record_at`), so this is small enough to pass by value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Superblock {
    pub seq: u64,
    pub uuid: [u8; 16],
    pub compat: u64,
    pub incompat: u64,
    pub geometry: Geometry,
    /// Records committed, log and tail together.
    pub records: u64,
    /// Next spare data block to hand out; blocks below it are used.
    pub alloc_next: u64,
    /// Main's identity at format (`identity_hash`), 0 when not known.
    pub main_id: u64,
    /// Where the scrub goes on: the next chunk of main it reads (see
    /// `scrub::chunks`).
    pub scrub_pos: u32,
    /// Blocks relocated over the pair's life (from the first commit that
    /// kept them, see `COMPAT_LIFETIME`) by cause, in the status line's
    /// order: write error, read error, read on a retry, `remap` message.
    /// Saturating.
    pub relocated: [u32; 4],
}

impl Superblock {
    /// A freshly formatted pair: commit 1, no remaps.
    pub fn new(uuid: [u8; 16], geometry: Geometry) -> Self {
        let (records, alloc_next, main_id, scrub_pos, relocated) = (0, 0, 0, 0, [0; 4]);
        let compat = COMPAT_LIFETIME;
        Self { seq: 1, uuid, compat, incompat: 0, geometry, records, alloc_next, main_id, scrub_pos, relocated }
    }

    /// `relocated` with `by_cause` more blocks (in its order) counted.
    pub fn count_relocated(&self, by_cause: &[u64; 4]) -> [u32; 4] {
        let mut sum = self.relocated;
        for (s, n) in sum.iter_mut().zip(by_cause) {
            *s = u32::try_from(u64::from(*s).saturating_add(*n)).unwrap_or(u32::MAX);
        }
        sum
    }

    /// Records in the tail.
    pub fn tail_len(&self) -> usize {
        (self.records % RECORDS_PER_BLOCK as u64) as usize
    }

    /// Full log blocks.
    pub fn full_log_blocks(&self) -> u64 {
        self.records / RECORDS_PER_BLOCK as u64
    }

    /// The metadata block (0 for A, 1 for B) that holds commit `seq`.
    pub fn slot_of(seq: u64) -> u64 {
        if seq % 2 == 1 {
            0
        } else {
            1
        }
    }

    /// Encodes this header into slot block `b`, whose first `tail_len()`
    /// records already hold the tail; the rest of the record area is zeroed.
    pub fn encode(&self, b: &mut [u8; MBLOCK]) {
        b[..HEADER].fill(0);
        b[HEADER + self.tail_len() * RECORD..].fill(0);
        let g = &self.geometry;
        put64(b, 0, SLOT_MAGIC);
        put32(b, 12, VERSION);
        put64(b, 16, self.compat | COMPAT_LIFETIME);
        put64(b, 24, self.incompat);
        put64(b, 32, self.seq);
        b[40..56].copy_from_slice(&self.uuid);
        put32(b, 56, g.block_size);
        put32(b, 60, self.scrub_pos);
        put64(b, 64, g.main_sectors);
        put64(b, 72, g.spare_sectors);
        put64(b, 80, g.log_blocks);
        put64(b, 88, g.data_start);
        put64(b, 96, g.spare_blocks);
        put64(b, 104, self.records);
        put64(b, 112, self.alloc_next);
        put64(b, 120, self.main_id);
        for (i, n) in self.relocated.iter().enumerate() {
            put32(b, LIFETIME_OFFSET + 4 * i, *n);
        }
        seal(b, SALT_SLOT);
    }

    /// Decodes and validates a slot block, tail records included.
    pub fn decode(b: &[u8; MBLOCK]) -> Result<Self, FormatError> {
        if le64(b, 0) != SLOT_MAGIC {
            return Err(FormatError(c"Metadata slot has a bad magic number"));
        }
        if !sealed(b, SALT_SLOT) {
            return Err(FormatError(c"Metadata slot has a bad checksum"));
        }
        if le32(b, 12) != VERSION {
            return Err(FormatError(c"Metadata has an unsupported format version"));
        }
        let incompat = le64(b, 24);
        if incompat & !INCOMPAT_SUPPORTED != 0 {
            return Err(FormatError(c"Metadata uses an unknown incompatible feature"));
        }
        let geometry = Geometry::new(le32(b, 56), le64(b, 64), le64(b, 72))?;
        let stored =
            Geometry { log_blocks: le64(b, 80), data_start: le64(b, 88), spare_blocks: le64(b, 96), ..geometry };
        if stored != geometry {
            return Err(FormatError(c"Metadata geometry is inconsistent"));
        }
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(&b[40..56]);
        // (A slot without the counters holds 0 of them: this code's next
        // commit of it writes them, and says so.)
        let compat = le64(b, 16) | COMPAT_LIFETIME;
        let mut relocated = [0; 4];
        if le64(b, 16) & COMPAT_LIFETIME != 0 {
            relocated = core::array::from_fn(|i| le32(b, LIFETIME_OFFSET + 4 * i));
        }
        let sb = Self {
            seq: le64(b, 32),
            uuid,
            compat,
            incompat,
            geometry,
            records: le64(b, 104),
            alloc_next: le64(b, 112),
            main_id: le64(b, 120),
            scrub_pos: le32(b, 60),
            relocated,
        };
        if sb.seq == u64::MAX {
            // The next commit would have no number.
            return Err(FormatError(c"Metadata commit number is at its limit"));
        }
        if sb.records > geometry.record_capacity() || sb.alloc_next > geometry.spare_blocks {
            return Err(FormatError(c"Metadata counters are out of range"));
        }
        if u64::from(sb.scrub_pos) > scrub::chunks(geometry.main_blocks(), geometry.block_size) {
            return Err(FormatError(c"Metadata scrub position is past the end of main"));
        }
        (0..sb.tail_len()).try_for_each(|i| record_at(b, i).map(|_| ()))?;
        Ok(sb)
    }
}

/// Main's identity as the metadata records it: a 64-bit hash of the text
/// that names main's stable identifiers (`dm-remap-tool` makes it, see
/// docs/metadata.rst). Never 0, which says "not known".
pub fn identity_hash(text: &[u8]) -> u64 {
    let [hi, lo] = SALT_ID.map(|salt| u64::from(crc32c::checksum(salt, text)));
    (hi << 32 | lo).max(1)
}

/// Encodes the two commit slots of a freshly formatted pair: commit 1 in
/// slot A and commit 2, of the same empty state, in slot B, so that either
/// slot alone loads (one damaged block never makes a new pair unusable).
/// `main_id` is main's identity (`identity_hash`), or 0 when not known.
/// Returns the newest header (commit 2).
pub fn format_slots(
    uuid: [u8; 16],
    main_id: u64,
    g: Geometry,
    a: &mut [u8; MBLOCK],
    b: &mut [u8; MBLOCK],
) -> Superblock {
    let first = Superblock { main_id, ..Superblock::new(uuid, g) };
    let second = Superblock { seq: first.seq + 1, ..first };
    a.fill(0);
    first.encode(a);
    b.fill(0);
    second.encode(b);
    second
}

/// Record `i` of the record area of a slot or log block.
pub fn record_at(b: &[u8; MBLOCK], i: usize) -> Result<Record, FormatError> {
    Record::decode(&b[HEADER + i * RECORD..HEADER + (i + 1) * RECORD])
}

/// Stores `r` as record `i` of the record area of a slot or log block.
pub fn set_record(b: &mut [u8; MBLOCK], i: usize, r: &Record) {
    r.encode(&mut b[HEADER + i * RECORD..HEADER + (i + 1) * RECORD]);
}

/// Seals log block `index` of commit `seq`, whose record area holds its
/// `RECORDS_PER_BLOCK` records.
pub fn seal_log_block(b: &mut [u8; MBLOCK], uuid: &[u8; 16], seq: u64, index: u64) {
    b[..HEADER].fill(0);
    put64(b, 0, LOG_MAGIC);
    put32(b, 12, VERSION);
    put64(b, 16, seq);
    put64(b, 24, index);
    b[32..48].copy_from_slice(uuid);
    seal(b, SALT_LOG);
}

/// Validates log block `index` of the pair `sb` describes, records
/// included.
pub fn check_log_block(b: &[u8; MBLOCK], sb: &Superblock, index: u64) -> Result<(), FormatError> {
    if le64(b, 0) != LOG_MAGIC || !sealed(b, SALT_LOG) {
        return Err(FormatError(c"Metadata log block is corrupt"));
    }
    if le32(b, 12) != VERSION || le64(b, 24) != index || b[32..48] != sb.uuid || le64(b, 16) > sb.seq {
        return Err(FormatError(c"Metadata log block does not belong to this commit"));
    }
    (0..RECORDS_PER_BLOCK).try_for_each(|i| record_at(b, i).map(|_| ()))
}

/// Whether a block is all zeros (never formatted).
pub fn is_zero(b: &[u8]) -> bool {
    b.iter().all(|&x| x == 0)
}

/// Which commit slot to trust, given both slots' contents.
#[derive(Debug)]
pub struct SlotPick {
    /// The newest valid commit.
    pub sb: Superblock,
    /// Its slot (0 for A, 1 for B).
    pub slot: usize,
    /// The decoding result of slot A and slot B (`Ok` when valid).
    pub errors: [Option<FormatError>; 2],
}

/// Picks the newest valid slot. Both slots valid but of different pairs, or
/// none valid, is an error.
pub fn pick_slot(a: &[u8; MBLOCK], b: &[u8; MBLOCK]) -> Result<SlotPick, FormatError> {
    let (ra, rb) = (Superblock::decode(a), Superblock::decode(b));
    let errors = [ra.as_ref().err().copied(), rb.as_ref().err().copied()];
    let (sb, slot) = match (ra, rb) {
        (Ok(x), Ok(y)) => {
            if x.uuid != y.uuid || x.geometry != y.geometry {
                return Err(FormatError(c"Metadata slots belong to different devices"));
            }
            if x.seq == y.seq {
                // Only damage makes two commits of one number: which is
                // right cannot be told.
                return Err(FormatError(c"Metadata slots hold the same commit number"));
            }
            if x.seq > y.seq {
                (x, 0)
            } else {
                (y, 1)
            }
        }
        (Ok(x), Err(_)) => (x, 0),
        (Err(_), Ok(y)) => (y, 1),
        (Err(e), Err(_)) => {
            return Err(match e {
                FormatError(m) if m == c"Metadata uses an unknown incompatible feature" => e,
                _ => FormatError(c"Both metadata slots are corrupt"),
            })
        }
    };
    Ok(SlotPick { sb, slot, errors })
}

/// Recomputes the checksum of a commit slot (for damage generators: a
/// slot changed on purpose, then sealed, reaches the checks beyond the
/// checksum).
pub fn reseal_slot(b: &mut [u8; MBLOCK]) {
    seal(b, SALT_SLOT);
}

/// Recomputes the checksum of a log block (see `reseal_slot`).
pub fn reseal_log(b: &mut [u8; MBLOCK]) {
    seal(b, SALT_LOG);
}

fn seal(b: &mut [u8; MBLOCK], salt: u32) {
    put32(b, CRC_OFFSET, 0);
    let crc = crc32c::checksum(salt, b);
    put32(b, CRC_OFFSET, crc);
}

fn sealed(b: &[u8; MBLOCK], salt: u32) -> bool {
    let stored = le32(b, CRC_OFFSET);
    let crc = crc32c::update(!salt, &b[..CRC_OFFSET]);
    let crc = crc32c::update(crc, &[0; 4]);
    !crc32c::update(crc, &b[CRC_OFFSET + 4..]) == stored
}

fn le64(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

fn le32(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x)
}

fn put64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
