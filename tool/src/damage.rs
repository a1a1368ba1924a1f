//! The damage generator: named ways to break a metadata area, each with
//! what a loader must then do, for tests that check the kernel and the
//! tool refuse or fall back cleanly (in the style of thin-provisioning-
//! tools' damage generators).
//!
//! A case starts from metadata with two valid commits, the newest of
//! which has at least one full log block. `torn` cases change bytes and
//! leave the checksum wrong; `sealed` cases set a wrong value and seal the
//! block again, so that the checks past the checksum are reached.

use crate::spare::{Error, Result, Spare};
use dm_remap_core::format::{self, Geometry, Superblock, HEADER, LOG_START, MBLOCK};
use dm_remap_core::scrub;

/// What loading the damaged metadata must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Load the newest commit.
    LoadNewest,
    /// Fall back to the older commit.
    LoadOlder,
    /// Refuse.
    Refuse,
}

impl Expect {
    pub fn name(self) -> &'static str {
        match self {
            Expect::LoadNewest => "load-newest",
            Expect::LoadOlder => "load-older",
            Expect::Refuse => "refuse",
        }
    }
}

/// Header fields of a commit slot: name, offset, length.
const SLOT_FIELDS: [(&str, usize, usize); 17] = [
    ("magic", 0, 8),
    ("checksum", 8, 4),
    ("version", 12, 4),
    ("compat", 16, 8),
    ("incompat", 24, 8),
    ("seq", 32, 8),
    ("uuid", 40, 16),
    ("block_size", 56, 4),
    ("scrub_pos", 60, 4),
    ("main_sectors", 64, 8),
    ("spare_sectors", 72, 8),
    ("log_blocks", 80, 8),
    ("data_start", 88, 8),
    ("spare_blocks", 96, 8),
    ("records", 104, 8),
    ("alloc_next", 112, 8),
    ("tail_record", HEADER, 16),
];

/// Where slot header field `name` lies: (offset, length).
fn field_at(name: &str) -> (usize, usize) {
    SLOT_FIELDS.iter().find(|f| f.0 == name).map(|f| (f.1, f.2)).expect("a field of SLOT_FIELDS")
}

/// Header fields of a log block, and its first record.
const LOG_FIELDS: [(&str, usize, usize); 7] = [
    ("magic", 0, 8),
    ("checksum", 8, 4),
    ("version", 12, 4),
    ("seq", 16, 8),
    ("index", 24, 8),
    ("uuid", 32, 16),
    ("record", HEADER, 16),
];

/// A damage case: its name, what a loader must do, and, where the case
/// names one, the reason the loader must give (for `Refuse`, the refusal;
/// for `LoadOlder`, why the newest slot was passed over).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub name: String,
    pub expect: Expect,
    pub reason: Option<&'static str>,
}

/// Every case: the damage cases, then the extreme-geometry ones.
pub fn cases() -> Vec<Case> {
    let plain = damage_cases().into_iter().map(|(name, expect)| {
        let reason = reason_of(&name);
        Case { name, expect, reason }
    });
    plain.chain(extreme_cases()).collect()
}

const CORRUPT_LOG: &str = "Metadata log block is corrupt";
const FOREIGN_LOG: &str = "Metadata log block does not belong to this commit";
const OUTSIDE: &str = "Metadata record points outside the devices";
const BAD_STATE: &str = "Metadata record with an unknown state";

/// The reason a loader gives for damage case `name` (see `Case`): none
/// where the damaged slot is still valid (a compatible feature, a commit
/// number).
fn reason_of(name: &str) -> Option<&'static str> {
    if let Some(rest) = name.strip_prefix("slot-") {
        let (field, how) = rest.split_once('-')?.1.rsplit_once('-')?;
        return Some(match (field, how) {
            ("magic", _) => "Metadata slot has a bad magic number",
            (_, "torn") => "Metadata slot has a bad checksum",
            ("version", _) => "Metadata has an unsupported format version",
            ("compat" | "seq", _) => return None,
            ("incompat", _) => "Metadata uses an unknown incompatible feature",
            ("uuid" | "block_size" | "main_sectors" | "spare_sectors", _) => {
                "Metadata slots belong to different devices"
            }
            ("log_blocks" | "data_start" | "spare_blocks", _) => INCONSISTENT,
            ("records" | "alloc_next", _) => OUT_OF_RANGE,
            ("scrub_pos", _) => SCRUB_PAST_END,
            _ => BAD_STATE,
        });
    }
    if let Some((field, how)) = name.strip_prefix("log-").and_then(|r| r.rsplit_once('-')) {
        match (field, how) {
            ("magic", _) | (_, "torn") => return Some(CORRUPT_LOG),
            ("record", "sealed") => return Some(BAD_STATE),
            (_, "sealed") => return Some(FOREIGN_LOG),
            _ => {}
        }
    }
    Some(match name {
        "log-zeroed" | "log-past-end" => CORRUPT_LOG,
        "log-spare-owned-twice" | "tail-spare-owned-twice" => "Metadata gives one spare block to two main blocks",
        "equal-seq" => "Metadata slots hold the same commit number",
        "both-slots-torn" => "Both metadata slots are corrupt",
        "both-slots-zeroed" => "Spare holds data but no valid metadata",
        _ => OUTSIDE,
    })
}

/// Values of an 8-byte size or count field that reach every overflow.
const EXTREME_U64: [(&str, u64); 5] = [("0", 0), ("1", 1), ("2^32", 1 << 32), ("2^63", 1 << 63), ("max", u64::MAX)];
/// The same for the 4-byte block_size.
const EXTREME_U32: [(&str, u64); 4] = [("0", 0), ("1", 1), ("2^31", 1 << 31), ("max", u32::MAX as u64)];

const INCONSISTENT: &str = "Metadata geometry is inconsistent";
const OUT_OF_RANGE: &str = "Metadata counters are out of range";
const SCRUB_PAST_END: &str = "Metadata scrub position is past the end of main";

/// Every size and count field of the newest slot set to an extreme value,
/// sealed (`slot-newest-<field>=<value>`; spare_sectors with a block_size
/// of 512, where arithmetic on it overflows first): loading passes the slot over
/// for its reason and loads the older commit, or refuses. A value a valid
/// commit can hold (0 or 1 records) is no damage and is left out.
fn extreme_cases() -> Vec<Case> {
    let mut v = Vec::new();
    let mut add = |field: &str, value: &str, expect, reason| {
        v.push(Case { name: format!("slot-newest-{field}={value}"), expect, reason: Some(reason) });
    };
    for (value, x) in EXTREME_U32 {
        add("block_size", value, Expect::LoadOlder, "block_size must be a power of two from 512 to 1048576");
        // (0 and 1 are positions a valid commit can hold.)
        if x > 1 {
            add("scrub_pos", value, Expect::LoadOlder, SCRUB_PAST_END);
        }
    }
    for (value, x) in EXTREME_U64 {
        let (expect, reason) = match x {
            0 | 1 => (Expect::LoadOlder, "Main device smaller than one block"),
            // Valid alone: a slot of a bigger main, so of another pair.
            _ => (Expect::Refuse, "Metadata slots belong to different devices"),
        };
        add("main_sectors", value, expect, reason);
        let reason = match x {
            0 | 1 => "Spare device too small for its metadata and one block",
            x if x < 1 << 40 => INCONSISTENT,
            _ => "Spare device too large: at most 2^32 - 1 spare blocks",
        };
        add("spare_sectors", value, Expect::LoadOlder, reason);
        for field in ["log_blocks", "data_start", "spare_blocks"] {
            add(field, value, Expect::LoadOlder, INCONSISTENT);
        }
        if x > 1 {
            add("records", value, Expect::LoadOlder, OUT_OF_RANGE);
        }
        let (expect, reason) = match x {
            // The slot is sound; its records lie past its allocator.
            0 | 1 => (Expect::Refuse, "Metadata record points outside the devices"),
            _ => (Expect::LoadOlder, OUT_OF_RANGE),
        };
        add("alloc_next", value, expect, reason);
    }
    add("seq", "max", Expect::LoadOlder, "Metadata commit number is at its limit");
    v
}

/// The damage cases, with what a loader must do.
fn damage_cases() -> Vec<(String, Expect)> {
    let mut v = Vec::new();
    for (which, fallback) in [("newest", Expect::LoadOlder), ("older", Expect::LoadNewest)] {
        for (field, _, _) in SLOT_FIELDS {
            v.push((format!("slot-{which}-{field}-torn"), fallback));
            if field == "checksum" {
                continue;
            }
            let expect = match (which, field) {
                // Unknown compatible features are fine.
                (_, "compat") => Expect::LoadNewest,
                // Two valid slots of different pairs.
                (_, "uuid" | "block_size" | "main_sectors" | "spare_sectors") => Expect::Refuse,
                // The newest becomes the oldest, or the older the newest.
                ("newest", "seq") => Expect::LoadOlder,
                ("older", "seq") => Expect::LoadOlder,
                _ => fallback,
            };
            v.push((format!("slot-{which}-{field}-sealed"), expect));
        }
    }
    for (field, _, _) in LOG_FIELDS {
        v.push((format!("log-{field}-torn"), Expect::Refuse));
        if field != "checksum" {
            v.push((format!("log-{field}-sealed"), Expect::Refuse));
        }
    }
    for (name, expect) in [
        ("log-zeroed", Expect::Refuse),
        ("log-record-main-out-of-range", Expect::Refuse),
        ("log-record-spare-past-alloc", Expect::Refuse),
        ("log-spare-owned-twice", Expect::Refuse),
        ("tail-spare-owned-twice", Expect::Refuse),
        ("log-past-end", Expect::Refuse),
        ("tail-record-main-out-of-range", Expect::Refuse),
        ("equal-seq", Expect::Refuse),
        ("both-slots-torn", Expect::Refuse),
        ("both-slots-zeroed", Expect::Refuse),
    ] {
        v.push((name.into(), expect));
    }
    v
}

/// A value that field `field` must not hold, for a `sealed` case.
fn bad_value(field: &str, which: &str, sb: &Superblock, other: &Superblock) -> Vec<u8> {
    let g = &sb.geometry;
    let v: u64 = match field {
        "magic" => 0x4b4f_4f42_4b4f_4f42,
        "version" => 2,
        "compat" | "incompat" => 1,
        "seq" if which == "newest" => 0,
        "seq" => other.seq + 1,
        "log_blocks" => g.log_blocks + 1,
        "data_start" => g.data_start + 8,
        "spare_blocks" => g.spare_blocks + 1,
        "records" => g.record_capacity() + 1,
        "alloc_next" => g.spare_blocks + 1,
        "scrub_pos" => scrub::chunks(g.main_blocks(), g.block_size) + 1,
        _ => 0,
    };
    v.to_le_bytes().to_vec()
}

fn unknown() -> Error {
    Error::Usage("unknown damage case".into())
}

fn metadata(m: &str) -> Error {
    Error::Metadata(m.to_string())
}

/// The pair's metadata as a damage case finds it.
struct Found {
    slots: [[u8; MBLOCK]; 2],
    log: [u8; MBLOCK],
    /// The newest slot and its commit, the older slot and its commit.
    newest: usize,
    sb: Superblock,
    older: usize,
    older_sb: Superblock,
}

fn put(b: &mut [u8; MBLOCK], at: usize, bytes: &[u8]) {
    b[at..at + bytes.len()].copy_from_slice(bytes);
}

fn tear(b: &mut [u8; MBLOCK], at: usize, len: usize) {
    b[at..at + len].iter_mut().for_each(|x| *x ^= 0xa5);
}

/// Applies case `name` to the metadata of `dev`.
pub fn apply(dev: &Spare, name: &str) -> Result<()> {
    let pick = dev.pick()?;
    let slots = dev.slots()?;
    let (newest, sb) = (pick.slot, pick.sb);
    let older = 1 - newest;
    let older_sb = Superblock::decode(&slots[older]).map_err(|_| metadata("the older slot must be valid"))?;
    if sb.full_log_blocks() == 0 {
        return Err(metadata("the newest commit must have a full log block"));
    }
    let mut log = [0u8; MBLOCK];
    dev.read(LOG_START, &mut log)?;
    let mut f = Found { slots, log, newest, sb, older, older_sb };
    if let Some((field, value)) = name.strip_prefix("slot-newest-").and_then(|r| r.split_once('=')) {
        extreme_value(&mut f, field, value)?;
        dev.write(newest as u64, &f.slots[newest])?;
    } else if let Some(rest) = name.strip_prefix("slot-") {
        let i = slot_field(&mut f, rest)?;
        dev.write(i as u64, &f.slots[i])?;
    } else if log_field(&mut f, name).transpose()?.is_some() {
        dev.write(LOG_START, &f.log)?;
    } else {
        named_case(&mut f, name)?;
        dev.write(0, &f.slots[0])?;
        dev.write(1, &f.slots[1])?;
        dev.write(LOG_START, &f.log)?;
    }
    dev.sync()
}

/// `slot-newest-<field>=<value>`: an extreme value, sealed.
fn extreme_value(f: &mut Found, field: &str, value: &str) -> Result<()> {
    let (at, len) = SLOT_FIELDS.iter().find(|x| x.0 == field).map(|x| (x.1, x.2)).ok_or_else(unknown)?;
    let values: &[(&str, u64)] = if len == 4 { &EXTREME_U32 } else { &EXTREME_U64 };
    let x = values.iter().find(|v| v.0 == value).ok_or_else(unknown)?.1;
    let b = &mut f.slots[f.newest];
    put(b, at, &x.to_le_bytes()[..len]);
    if field == "spare_sectors" {
        // The smallest block size, where arithmetic on it overflows first.
        let (at, len) = field_at("block_size");
        put(b, at, &512u64.to_le_bytes()[..len]);
    }
    format::reseal_slot(b);
    Ok(())
}

/// `slot-<newest|older>-<field>-<torn|sealed>`; returns the slot changed.
fn slot_field(f: &mut Found, rest: &str) -> Result<usize> {
    let (which, rest) = rest.split_once('-').ok_or_else(unknown)?;
    let (field, how) = rest.rsplit_once('-').ok_or_else(unknown)?;
    let (i, mine, other) = match which {
        "newest" => (f.newest, f.sb, f.older_sb),
        "older" => (f.older, f.older_sb, f.sb),
        _ => return Err(unknown()),
    };
    let &(_, at, len) = SLOT_FIELDS.iter().find(|x| x.0 == field).ok_or_else(unknown)?;
    let b = &mut f.slots[i];
    match how {
        "torn" => {
            tear(b, at, len);
            return Ok(i);
        }
        "sealed" if field == "tail_record" => b[at + 12] = 7,
        "sealed" if matches!(field, "block_size" | "main_sectors" | "spare_sectors") => {
            // A valid slot of another pair: the geometry differs, and
            // its derived fields agree with it.
            let g = mine.geometry;
            let (bs, main, spare) = match field {
                "block_size" => (g.block_size / 2, g.main_sectors, g.spare_sectors),
                "main_sectors" => (g.block_size, g.main_sectors + g.block_sectors(), g.spare_sectors),
                _ => (g.block_size, g.main_sectors, g.spare_sectors + 8 * g.block_sectors()),
            };
            let geometry = Geometry::new(bs, main, spare)?;
            Superblock { geometry, ..mine }.encode(b);
            return Ok(i);
        }
        "sealed" if field == "uuid" => b[at] ^= 1,
        "sealed" => put(b, at, &bad_value(field, which, &mine, &other)[..len]),
        _ => return Err(unknown()),
    }
    format::reseal_slot(b);
    Ok(i)
}

/// `log-<field>-<torn|sealed>` of the first log block; None if `name` is
/// no such case.
fn log_field(f: &mut Found, name: &str) -> Option<Result<()>> {
    let (field, how) = name.strip_prefix("log-")?.rsplit_once('-').filter(|(_, h)| *h == "torn" || *h == "sealed")?;
    let &(_, at, len) = LOG_FIELDS.iter().find(|x| x.0 == field)?;
    let log = &mut f.log;
    if how == "torn" {
        tear(log, at, len);
        return Some(Ok(()));
    }
    match field {
        "magic" => put(log, at, b"NOTALOG!"),
        "version" => put(log, at, &2u32.to_le_bytes()),
        "seq" => put(log, at, &(f.sb.seq + 100).to_le_bytes()),
        "index" => put(log, at, &7u64.to_le_bytes()),
        "uuid" => log[at] ^= 1,
        _ => log[at + 12] = 7,
    }
    format::reseal_log(log);
    Some(Ok(()))
}

/// The cases named outright: records out of range or owned twice, a log
/// past its end, equal commit numbers, both slots gone.
fn named_case(f: &mut Found, name: &str) -> Result<()> {
    let (sb, newest) = (f.sb, f.newest);
    let main_blocks = sb.geometry.main_blocks();
    let set_sealed_log = |log: &mut [u8; MBLOCK], i: usize, r: &format::Record| {
        format::set_record(log, i, r);
        format::reseal_log(log);
    };
    let r0 = format::record_at(&f.log, 0)?;
    match name {
        "log-zeroed" => f.log.fill(0),
        "log-record-main-out-of-range" => set_sealed_log(&mut f.log, 0, &format::Record { main: main_blocks, ..r0 }),
        "log-record-spare-past-alloc" => {
            let spare = f.older_sb.alloc_next.max(sb.alloc_next) as u32;
            set_sealed_log(&mut f.log, 0, &format::Record { spare, ..r0 })
        }
        "log-spare-owned-twice" => {
            let r1 = format::record_at(&f.log, 1)?;
            set_sealed_log(&mut f.log, 1, &format::Record { spare: r0.spare, ..r1 })
        }
        "tail-spare-owned-twice" | "tail-record-main-out-of-range" => {
            if sb.tail_len() == 0 {
                return Err(metadata("the newest commit must have a tail"));
            }
            let b = &mut f.slots[newest];
            let r = format::record_at(b, 0)?;
            let bad = match name {
                "tail-spare-owned-twice" => format::Record { spare: r0.spare, ..r },
                _ => format::Record { main: main_blocks, ..r },
            };
            format::set_record(b, 0, &bad);
            format::reseal_slot(b);
        }
        "log-past-end" => {
            let (at, len) = field_at("records");
            put(&mut f.slots[newest], at, &sb.geometry.record_capacity().to_le_bytes()[..len]);
            format::reseal_slot(&mut f.slots[newest]);
        }
        "equal-seq" => {
            let (at, len) = field_at("seq");
            put(&mut f.slots[f.older], at, &sb.seq.to_le_bytes()[..len]);
            format::reseal_slot(&mut f.slots[f.older]);
        }
        "both-slots-torn" => f.slots.iter_mut().for_each(|s| tear(s, 0, 8)),
        "both-slots-zeroed" => f.slots = [[0; MBLOCK]; 2],
        _ => return Err(unknown()),
    }
    Ok(())
}
