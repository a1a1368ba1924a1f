//! The subcommands.

use crate::identity::{self, Identity};
use crate::restore::{self, shared_spare};
use crate::spare::{Error, Result, Spare};
use dm_remap_core::format::{self, BlockState, Geometry, Record, Superblock, LOG_START, MBLOCK};
use dm_remap_core::scrub;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

fn new_uuid() -> Result<[u8; 16]> {
    let mut u = [0u8; 16];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut u))
        .map_err(|e| Error::Io(format!("cannot read /dev/urandom: {e}")))?;
    u[6] = (u[6] & 0x0f) | 0x40; // RFC 4122 version 4
    u[8] = (u[8] & 0x3f) | 0x80;
    Ok(u)
}

pub fn uuid_str(u: &[u8; 16]) -> String {
    let h: Vec<String> = u.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", h[..4].concat(), h[4..6].concat(), h[6..8].concat(), h[8..10].concat(), h[10..].concat())
}

pub fn format(
    spare: &Path,
    main: Option<&Path>,
    main_sectors: Option<u64>,
    block_size: u32,
    force: bool,
) -> Result<()> {
    let (main_sectors, id) = match (main, main_sectors) {
        (Some(m), _) => (Spare::open(m, false)?.sectors()?, Identity::of(m)?),
        (None, Some(n)) => (n, Identity(String::new())),
        (None, None) => unreachable!("clap requires --main or --main-sectors"),
    };
    let mut dev = Spare::open(spare, true)?;
    let g = Geometry::new(block_size, main_sectors, dev.sectors()?)?;
    let mut buf = [0; MBLOCK];
    if !force {
        for i in 0..LOG_START + g.log_blocks {
            dev.read(i, &mut buf)?;
            if !format::is_zero(&buf) {
                return Err(Error::Metadata(format!(
                    "{}: metadata area is not all zeros (block {i}); refusing to format without --force",
                    spare.display()
                )));
            }
        }
    }
    let mut other = [0; MBLOCK];
    let sb = format::format_slots(new_uuid()?, id.hash(), g, &mut buf, &mut other);
    dev.write(0, &buf)?;
    dev.write(1, &other)?;
    dev.sync()?;
    println!(
        "formatted {}: uuid {}, block size {}, {} spare blocks, data from sector {}; main: {}",
        spare.display(),
        uuid_str(&sb.uuid),
        g.block_size,
        g.spare_blocks,
        g.data_start,
        id.describe()
    );
    Ok(())
}

/// Final remap per main block, in block order.
fn remaps(records: &[Record]) -> BTreeMap<u64, Record> {
    records.iter().map(|r| (r.main, *r)).collect()
}

/// `check`: the metadata of `spare`, and with `main`, that it is this
/// pair's main (size and identity).
pub fn check(spare: &Path, main: Option<&Path>) -> Result<()> {
    let dev = Spare::open(spare, false)?;
    let pick = dev.pick()?;
    let sb = &pick.sb;
    if let Some(m) = main {
        println!("{}", identity::check_main(sb, m, Spare::open(m, false)?.sectors()?)?);
    }
    let slots = dev.slots()?;
    let mut damage = Vec::new();
    for (i, err) in pick.errors.iter().enumerate() {
        let name = ["A", "B"][i];
        match err {
            None => {
                println!("slot {name}: valid, commit {}", Superblock::decode(&slots[i]).map(|s| s.seq).unwrap_or(0))
            }
            Some(_) if sb.seq == 1 && format::is_zero(&slots[i]) => {
                println!("slot {name}: unused (no commit yet)")
            }
            Some(e) => {
                println!("slot {name}: DAMAGED: {}", e.0.to_string_lossy());
                damage.push(format!("slot {name} is damaged (dm-remap-tool repair rewrites it)"));
            }
        }
    }
    println!("using commit {} (slot {})", sb.seq, ["A", "B"][Superblock::slot_of(sb.seq) as usize]);
    let records = dev.records(&pick)?;
    let map = remaps(&records);
    damage.extend(spare_owned_twice(&map));
    let lost = map.values().filter(|r| r.state.is_unreadable()).count();
    println!(
        "{} records, {} remaps ({lost} with lost data), {} of {} spare blocks used",
        records.len(),
        map.len(),
        sb.alloc_next,
        sb.geometry.spare_blocks
    );
    if damage.is_empty() {
        println!("metadata is clean");
        Ok(())
    } else {
        Err(Error::Metadata(damage.join("; ")))
    }
}

/// Why the remaps `map` cannot load, if two of them share a spare block.
fn spare_owned_twice(map: &BTreeMap<u64, Record>) -> Option<String> {
    restore::spare_owned_twice(&map.values().copied().collect::<Vec<_>>())
}

fn state_name(r: &Record) -> &'static str {
    match r.state {
        BlockState::Remapped => "ok",
        BlockState::Lost => "lost",
        BlockState::Pending => "pending",
    }
}

/// The metadata of `spare` as JSON (what `dump --json` prints and
/// `restore` reads).
pub fn dump_json(spare: &Path) -> Result<String> {
    let dev = Spare::open(spare, false)?;
    let pick = dev.pick()?;
    let sb = &pick.sb;
    let g = &sb.geometry;
    let map = remaps(&dev.records(&pick)?);
    let list: Vec<String> = map
        .values()
        .map(|r| format!("{{\"main_block\":{},\"spare_block\":{},\"state\":\"{}\"}}", r.main, r.spare, state_name(r)))
        .collect();
    Ok(format!(
        "{{\"uuid\":\"{}\",\"version\":{},\"commit\":{},\"block_size\":{},\"main_sectors\":{},\"spare_sectors\":{},\"log_blocks\":{},\"data_start\":{},\"spare_blocks\":{},\"spare_blocks_used\":{},\"records\":{},\"main_id\":{},\"scrub_pos\":{},\"relocated\":{:?},\"remaps\":[{}]}}",
        uuid_str(&sb.uuid), format::VERSION, sb.seq, g.block_size, g.main_sectors, g.spare_sectors, g.log_blocks, g.data_start, g.spare_blocks, sb.alloc_next, sb.records, sb.main_id, sb.scrub_pos, sb.relocated, list.join(",")
    ))
}

pub fn dump(spare: &Path, json: bool) -> Result<()> {
    if json {
        println!("{}", dump_json(spare)?);
        return Ok(());
    }
    let dev = Spare::open(spare, false)?;
    let pick = dev.pick()?;
    let sb = &pick.sb;
    let g = &sb.geometry;
    let map = remaps(&dev.records(&pick)?);
    println!("uuid:          {}", uuid_str(&sb.uuid));
    println!("format:        v{}, commit {}", format::VERSION, sb.seq);
    println!("block size:    {}", g.block_size);
    println!(
        "main:          {} sectors, identity {}",
        g.main_sectors,
        match sb.main_id {
            0 => "not recorded".to_string(),
            id => format!("{id:#018x}"),
        }
    );
    println!("spare:         {} sectors, data from sector {}", g.spare_sectors, g.data_start);
    println!("spare blocks:  {} used of {}", sb.alloc_next, g.spare_blocks);
    println!("records:       {} in {} log blocks", sb.records, g.log_blocks);
    println!("scrub:         next chunk {} of {}", sb.scrub_pos, scrub::chunks(g.main_blocks(), g.block_size));
    let [w, rd, rec, msg] = sb.relocated;
    println!("relocated:     write errors {w}, read errors {rd}, read on retry {rec}, requested {msg} (lifetime)");
    println!("remaps:        {}", map.len());
    for r in map.values() {
        println!("  main block {} -> spare block {} ({})", r.main, r.spare, state_name(r));
    }
    Ok(())
}

pub fn repair(spare: &Path, salvage: bool) -> Result<()> {
    let dev = Spare::open(spare, true)?;
    let pick = dev.pick()?;
    let sb = pick.sb;
    let damage = match dev.records(&pick) {
        Ok(records) => spare_owned_twice(&remaps(&records)),
        Err(Error::Metadata(why)) => Some(why),
        Err(e) => return Err(e),
    };
    match damage {
        None => {}
        Some(why) if salvage => return salvage_records(&dev, &pick, &why),
        Some(why) => {
            return Err(Error::Metadata(format!(
                "{why}; `repair --salvage` rebuilds the metadata from the records that survive"
            )))
        }
    }
    // The records are sound: a damaged or stale slot can be rebuilt.
    let other = Superblock::slot_of(sb.seq + 1) as usize;
    if pick.errors[other].is_none() {
        println!("both slots are valid: nothing to repair");
        return Ok(());
    }
    let next = next_commit(&dev, &pick, sb)?;
    println!("rewrote slot {} from commit {} (now commit {})", ["A", "B"][other], sb.seq, next.seq);
    Ok(())
}

/// Writes commit `sb.seq + 1`, with `sb`'s fields and commit `pick`'s
/// records, to the slot that does not hold `pick`; returns it.
fn next_commit(dev: &Spare, pick: &format::SlotPick, sb: Superblock) -> Result<Superblock> {
    let next = Superblock { seq: sb.seq + 1, ..sb };
    let mut buf = dev.slots()?[pick.slot];
    next.encode(&mut buf);
    dev.write(Superblock::slot_of(next.seq), &buf)?;
    dev.sync()?;
    Ok(next)
}

/// `set-main`: records `main`'s identity in the pair's metadata, as a new
/// commit: for a pair formatted without one (or before udev's identifiers
/// were used), or, with `force`, after main was replaced by a copy. The
/// spare must not be in use (its table removed), its metadata sound, and
/// `main` of the recorded size with an identity.
pub fn set_main(spare: &Path, main: &Path, force: bool) -> Result<()> {
    let dev = Spare::open(spare, true)?;
    let pick = dev.pick()?;
    dev.records(&pick)?;
    let sb = pick.sb;
    let sectors = Spare::open(main, false)?.sectors()?;
    if sectors != sb.geometry.main_sectors {
        let want = sb.geometry.main_sectors;
        return Err(Error::Metadata(format!("{} has {sectors} sectors; this pair's main has {want}", main.display())));
    }
    let id = Identity::of(main)?;
    if id.hash() == 0 {
        return Err(Error::Metadata(format!("{} has no stable identifiers to record", main.display())));
    }
    if sb.main_id != 0 && sb.main_id != id.hash() && !force {
        return Err(Error::Metadata(format!(
            "the pair records another main ({:#018x}); --force records {} instead",
            sb.main_id,
            main.display()
        )));
    }
    let next = next_commit(&dev, &pick, Superblock { main_id: id.hash(), ..sb })?;
    println!("recorded main {} ({}) as commit {}", main.display(), id.describe(), next.seq);
    Ok(())
}

/// Rebuilds the metadata of commit `pick` from the records that survive
/// (log blocks that check, the tail, records in range, spare blocks used
/// once), and says what was lost.
fn salvage_records(dev: &Spare, pick: &format::SlotPick, why: &str) -> Result<()> {
    let sb = &pick.sb;
    let g = sb.geometry;
    let main_blocks = g.main_blocks();
    println!("commit {}: {why}", sb.seq);
    let slot = dev.slots()?[pick.slot];
    let mut found = Vec::new();
    let mut lost = Vec::new();
    let mut log = [0; MBLOCK];
    for index in 0..sb.full_log_blocks() {
        let ok = dev.read(LOG_START + index, &mut log).is_ok() && format::check_log_block(&log, sb, index).is_ok();
        if ok {
            found.extend((0..format::RECORDS_PER_BLOCK).filter_map(|i| format::record_at(&log, i).ok()));
        } else {
            lost.push(format!("log block {index} is unreadable or corrupt: its records are lost"));
        }
    }
    found.extend((0..sb.tail_len()).filter_map(|i| format::record_at(&slot, i).ok()));
    let mut last: BTreeMap<u64, Record> = BTreeMap::new();
    for r in found {
        if r.main >= main_blocks || u64::from(r.spare) >= sb.alloc_next {
            lost.push(format!("record of main block {} -> spare block {} is out of range", r.main, r.spare));
        } else {
            last.insert(r.main, r);
        }
    }
    let mut remaps: Vec<Record> = last.into_values().collect();
    while let Some((spare, mains)) = shared_spare(&remaps) {
        lost.push(format!("spare block {spare} is claimed by main blocks {mains:?}: all of them dropped"));
        remaps.retain(|r| r.spare != spare);
    }
    let seq = crate::restore::write_pair(dev, (sb.uuid, sb.main_id, sb.relocated), g, &remaps, sb.alloc_next)?;
    println!("rebuilt the metadata with {} remaps as commit {seq}", remaps.len());
    for l in &lost {
        println!("could not recover: {l}");
    }
    if !lost.is_empty() {
        println!("main blocks whose remap was lost read from main again; their data on spare is not reachable");
    }
    Ok(())
}
