//! Rebuilding metadata: `restore` from `dump --json` output (as
//! thin_restore does), and the salvage step of `repair`. Both write a
//! fresh pair (same uuid) whose newest commit holds the given remaps.

use crate::spare::{Error, Result, Spare};
use dm_remap_core::format::{self, BlockState, Geometry, Record, Superblock, LOG_START, MBLOCK};
use dm_remap_core::journal::{self, CommitError};
use dm_remap_core::remaps;
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;

fn bad(m: String) -> Error {
    Error::Metadata(m)
}

/// Checks that `remaps` can be the remaps of a pair of geometry `g` with
/// `alloc_next` spare blocks handed out: every block in range, each main
/// block once, each spare block once.
pub fn validate(g: &Geometry, remaps: &[Record], alloc_next: u64) -> Result<()> {
    let main_blocks = g.main_blocks();
    if alloc_next > g.spare_blocks {
        return Err(bad(format!("{alloc_next} spare blocks used, but the spare has {}", g.spare_blocks)));
    }
    let mut mains = HashSet::new();
    for r in remaps {
        if r.main >= main_blocks {
            return Err(bad(format!("main block {} is past the end of main ({main_blocks} blocks)", r.main)));
        }
        if u64::from(r.spare) >= alloc_next {
            return Err(bad(format!("spare block {} of main block {} is not allocated", r.spare, r.main)));
        }
        if !mains.insert(r.main) {
            return Err(bad(format!("main block {} is remapped twice", r.main)));
        }
    }
    match spare_owned_twice(remaps) {
        Some(why) => Err(bad(why)),
        None => Ok(()),
    }
}

/// Why `remaps` cannot load, if two of them share a spare block (in the
/// kernel's words, then which).
pub fn spare_owned_twice(remaps: &[Record]) -> Option<String> {
    let (spare, mains) = shared_spare(remaps)?;
    Some(format!(
        "Metadata gives one spare block to two main blocks: spare block {spare} is used by main blocks {mains:?}"
    ))
}

/// The first spare block that two of `remaps` share, if any, with the main
/// blocks that claim it.
pub fn shared_spare(remaps: &[Record]) -> Option<(u32, Vec<u64>)> {
    let end = remaps.iter().map(|r| u64::from(r.spare) + 1).max().unwrap_or(0);
    let mut seen = vec![0; end.div_ceil(64) as usize];
    let spare = remaps::shared_spare(remaps.iter().copied(), &mut seen)?;
    Some((spare, remaps.iter().filter(|r| r.spare == spare).map(|r| r.main).collect()))
}

/// Writes a fresh pair for `uuid`, main identity `main_id` and `g` whose
/// newest commit holds `remaps` with `alloc_next` spare blocks used and
/// the lifetime counters `relocated`; returns its commit number.
pub fn write_pair(
    dev: &Spare,
    (uuid, main_id, relocated): Pair,
    g: Geometry,
    remaps: &[Record],
    alloc_next: u64,
) -> Result<u64> {
    validate(&g, remaps, alloc_next)?;
    let (mut a, mut b) = ([0; MBLOCK], [0; MBLOCK]);
    let first = format::format_slots(uuid, main_id, g, &mut a, &mut b);
    let mut next = [0; MBLOCK];
    let mut log = [0; MBLOCK];
    let prev = Superblock { relocated, ..first };
    let sb = journal::prepare_commit(&prev, &b, remaps, alloc_next, &mut next, &mut log, |i, blk| {
        dev.write(LOG_START + i, blk)
    })
    .map_err(|e| match e {
        CommitError::LogFull => bad(format!("{} remaps do not fit the metadata log", remaps.len())),
        CommitError::Io(e) => e,
    })?;
    // The older commit and the log first; the newest slot last.
    dev.write(Superblock::slot_of(first.seq), &b)?;
    dev.sync()?;
    dev.write(Superblock::slot_of(sb.seq), &next)?;
    dev.sync()?;
    Ok(sb.seq)
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value> {
    v.get(name).ok_or_else(|| bad(format!("dump has no \"{name}\"")))
}

fn number(v: &Value, name: &str) -> Result<u64> {
    field(v, name)?.as_u64().ok_or_else(|| bad(format!("\"{name}\" is not a number")))
}

fn parse_uuid(s: &str) -> Result<[u8; 16]> {
    let hex: Vec<u8> = s.bytes().filter(|&c| c != b'-').collect();
    let mut u = [0u8; 16];
    if hex.len() != 32 || s.len() != 36 {
        return Err(bad(format!("bad uuid {s:?}")));
    }
    for (i, pair) in hex.chunks(2).enumerate() {
        let text = std::str::from_utf8(pair).map_err(|_| bad(format!("bad uuid {s:?}")))?;
        u[i] = u8::from_str_radix(text, 16).map_err(|_| bad(format!("bad uuid {s:?}")))?;
    }
    Ok(u)
}

/// A pair's UUID, main's identity and lifetime relocation counters
/// (`Superblock`'s).
pub type Pair = ([u8; 16], u64, [u32; 4]);

/// What `dump --json` says.
pub struct Dump {
    /// The pair (main's identity 0 in dumps made before 0.7.0, the
    /// counters 0 in those before 0.10.0).
    pub pair: Pair,
    pub geometry: Geometry,
    pub remaps: Vec<Record>,
    pub alloc_next: u64,
}

/// Parses `dump --json` output.
pub fn parse_dump(text: &str, spare_sectors: u64) -> Result<Dump> {
    let v: Value = serde_json::from_str(text).map_err(|e| bad(format!("not a dump: {e}")))?;
    let uuid = parse_uuid(field(&v, "uuid")?.as_str().ok_or_else(|| bad("\"uuid\" is not a string".into()))?)?;
    let main_id = match v.get("main_id") {
        None => 0,
        Some(_) => number(&v, "main_id")?,
    };
    let block_size = u32::try_from(number(&v, "block_size")?).map_err(|_| bad("bad block_size".into()))?;
    let g = Geometry::new(block_size, number(&v, "main_sectors")?, spare_sectors)?;
    if number(&v, "spare_sectors")? != spare_sectors {
        return Err(bad(format!(
            "the dump is of a spare of {} sectors, this one has {spare_sectors}",
            number(&v, "spare_sectors")?
        )));
    }
    let alloc_next = number(&v, "spare_blocks_used")?;
    let mut relocated = [0; 4];
    if let Some(list) = v.get("relocated") {
        let list =
            list.as_array().filter(|l| l.len() == 4).ok_or_else(|| bad("\"relocated\" is not 4 numbers".into()))?;
        for (n, x) in relocated.iter_mut().zip(list) {
            *n = x.as_u64().and_then(|x| u32::try_from(x).ok()).ok_or_else(|| bad("bad \"relocated\" count".into()))?;
        }
    }
    let list = field(&v, "remaps")?.as_array().ok_or_else(|| bad("\"remaps\" is not a list".into()))?;
    let mut remaps = Vec::with_capacity(list.len());
    for r in list {
        let spare = u32::try_from(number(r, "spare_block")?).map_err(|_| bad("spare_block out of range".into()))?;
        let state = match field(r, "state")?.as_str() {
            Some("ok") => BlockState::Remapped,
            Some("lost") => BlockState::Lost,
            Some("pending") => BlockState::Pending,
            _ => return Err(bad("a remap's \"state\" is not \"ok\", \"lost\" or \"pending\"".into())),
        };
        remaps.push(Record { main: number(r, "main_block")?, spare, state });
    }
    Ok(Dump { pair: (uuid, main_id, relocated), geometry: g, remaps, alloc_next })
}

/// `restore`: rebuilds the metadata of `spare` from the dump in `input`.
pub fn restore(spare: &Path, input: &Path) -> Result<()> {
    let text =
        std::fs::read_to_string(input).map_err(|e| Error::Io(format!("cannot read {}: {e}", input.display())))?;
    let mut dev = Spare::open(spare, true)?;
    let d = parse_dump(&text, dev.sectors()?)?;
    let seq = write_pair(&dev, d.pair, d.geometry, &d.remaps, d.alloc_next)?;
    println!("restored {} remaps to {} as commit {seq}", d.remaps.len(), spare.display());
    Ok(())
}
