//! The subcommands.

use crate::spare::{Error, Result, Spare};
use dm_remap_core::format::{self, BlockState, Geometry, Record, Superblock, LOG_START, MBLOCK};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::path::Path;

fn meta(e: format::FormatError) -> Error {
    Error::Metadata(e.0.to_string_lossy().into_owned())
}

fn new_uuid() -> Result<[u8; 16]> {
    let mut u = [0u8; 16];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut u))
        .map_err(|e| Error::Io(format!("cannot read /dev/urandom: {e}")))?;
    u[6] = (u[6] & 0x0f) | 0x40; // RFC 4122 version 4
    u[8] = (u[8] & 0x3f) | 0x80;
    Ok(u)
}

fn uuid_str(u: &[u8; 16]) -> String {
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
    let main_sectors = match (main, main_sectors) {
        (Some(m), _) => Spare::open(m, false)?.sectors()?,
        (None, Some(n)) => n,
        (None, None) => unreachable!("clap requires --main or --main-sectors"),
    };
    let mut dev = Spare::open(spare, true)?;
    let g = Geometry::new(block_size, main_sectors, dev.sectors()?).map_err(meta)?;
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
    let sb = format::format_slots(new_uuid()?, g, &mut buf, &mut other);
    dev.write(0, &buf)?;
    dev.write(1, &other)?;
    dev.sync()?;
    println!(
        "formatted {}: uuid {}, block size {}, {} spare blocks, data from sector {}",
        spare.display(),
        uuid_str(&sb.uuid),
        g.block_size,
        g.spare_blocks,
        g.data_start
    );
    Ok(())
}

/// Final remap per main block, in block order.
fn remaps(records: &[Record]) -> BTreeMap<u64, Record> {
    records.iter().map(|r| (r.main, *r)).collect()
}

pub fn check(spare: &Path) -> Result<()> {
    let dev = Spare::open(spare, false)?;
    let pick = dev.pick()?;
    let sb = &pick.sb;
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
    let mut owner: HashMap<u32, u64> = HashMap::new();
    for r in map.values() {
        if let Some(other) = owner.insert(r.spare, r.main) {
            damage.push(format!("spare block {} is used by main blocks {other} and {}", r.spare, r.main));
        }
    }
    let lost = map.values().filter(|r| r.state == BlockState::Lost).count();
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

pub fn dump(spare: &Path, json: bool) -> Result<()> {
    let dev = Spare::open(spare, false)?;
    let pick = dev.pick()?;
    let sb = &pick.sb;
    let g = &sb.geometry;
    let map = remaps(&dev.records(&pick)?);
    let state = |r: &Record| {
        if r.state == BlockState::Lost {
            "lost"
        } else {
            "ok"
        }
    };
    if json {
        let list: Vec<String> = map
            .values()
            .map(|r| format!("{{\"main_block\":{},\"spare_block\":{},\"state\":\"{}\"}}", r.main, r.spare, state(r)))
            .collect();
        println!(
            "{{\"uuid\":\"{}\",\"version\":{},\"commit\":{},\"block_size\":{},\"main_sectors\":{},\"spare_sectors\":{},\"log_blocks\":{},\"data_start\":{},\"spare_blocks\":{},\"spare_blocks_used\":{},\"records\":{},\"remaps\":[{}]}}",
            uuid_str(&sb.uuid), format::VERSION, sb.seq, g.block_size, g.main_sectors, g.spare_sectors, g.log_blocks, g.data_start, g.spare_blocks, sb.alloc_next, sb.records, list.join(",")
        );
    } else {
        println!("uuid:          {}", uuid_str(&sb.uuid));
        println!("format:        v{}, commit {}", format::VERSION, sb.seq);
        println!("block size:    {}", g.block_size);
        println!("main:          {} sectors", g.main_sectors);
        println!("spare:         {} sectors, data from sector {}", g.spare_sectors, g.data_start);
        println!("spare blocks:  {} used of {}", sb.alloc_next, g.spare_blocks);
        println!("records:       {} in {} log blocks", sb.records, g.log_blocks);
        println!("remaps:        {}", map.len());
        for r in map.values() {
            println!("  main block {} -> spare block {} ({})", r.main, r.spare, state(r));
        }
    }
    Ok(())
}

pub fn repair(spare: &Path) -> Result<()> {
    let dev = Spare::open(spare, true)?;
    let pick = dev.pick()?;
    let sb = pick.sb;
    // The records must be sound: a slot can be rebuilt, lost records cannot.
    dev.records(&pick)?;
    let other = Superblock::slot_of(sb.seq + 1) as usize;
    if pick.errors[other].is_none() {
        println!("both slots are valid: nothing to repair");
        return Ok(());
    }
    let next = Superblock { seq: sb.seq + 1, ..sb };
    let mut buf = dev.slots()?[pick.slot];
    next.encode(&mut buf);
    dev.write(other as u64, &buf)?;
    dev.sync()?;
    println!("rewrote slot {} from commit {} (now commit {})", ["A", "B"][other], sb.seq, next.seq);
    Ok(())
}
