//! Every case of the damage generator, on an image: loading it with the
//! tool's reader does what the case says the kernel must do (the VM test
//! `damage_matrix` checks the kernel against the same expectations).

use dm_remap_core::format::{BlockState, Geometry, Record};
use dm_remap_tool::damage::{self, Case, Expect};
use dm_remap_tool::spare::Spare;
use dm_remap_tool::{commands, restore};
use std::path::{Path, PathBuf};

const MAIN_SECTORS: u64 = 1 << 21; // 1 GiB
const SPARE_SECTORS: u64 = 1 << 17; // 64 MiB
const REMAPS: u64 = 300; // a full log block and a tail

fn image(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("dmr-damage-{}-{name}", std::process::id()));
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(SPARE_SECTORS * 512).unwrap();
    let dev = Spare::open(&path, true).unwrap();
    let g = Geometry::new(4096, MAIN_SECTORS, SPARE_SECTORS).unwrap();
    let remaps: Vec<Record> = (0..REMAPS)
        .map(|i| Record {
            main: i * 3,
            spare: i as u32,
            state: if i % 50 == 0 { BlockState::Lost } else { BlockState::Remapped },
        })
        .collect();
    restore::write_pair(&dev, [7; 16], g, &remaps, REMAPS).unwrap();
    path
}

/// What the tool loads: the commit number and remap count, or why not.
fn load(path: &Path) -> Result<(u64, usize), String> {
    load_why(path).map(|(loaded, _)| loaded)
}

/// `load`, with why a slot was passed over (the first slot error).
fn load_why(path: &Path) -> Result<((u64, usize), Option<String>), String> {
    let dev = Spare::open(path, false).map_err(|e| format!("{e:?}"))?;
    let pick = dev.pick().map_err(|e| format!("{e:?}"))?;
    let passed_over = pick.errors.iter().flatten().next().map(|e| e.0.to_string_lossy().into_owned());
    let records = dev.records(&pick).map_err(|e| format!("{e:?}"))?;
    let mut last = std::collections::BTreeMap::new();
    for r in records {
        last.insert(r.main, r);
    }
    let remaps: Vec<Record> = last.into_values().collect();
    restore::validate(&pick.sb.geometry, &remaps, pick.sb.alloc_next).map_err(|e| format!("{e:?}"))?;
    Ok(((pick.sb.seq, remaps.len()), passed_over))
}

#[test]
fn every_case_loads_as_expected() {
    let cases = damage::cases();
    assert!(cases.len() >= 85, "{} cases", cases.len());
    let fresh = image("fresh");
    assert_eq!(load(&fresh), Ok((3, REMAPS as usize)));
    let mut wrong = Vec::new();
    for Case { name, expect, reason } in &cases {
        let path = image(name);
        damage::apply(&Spare::open(&path, true).unwrap(), name).unwrap();
        let got = load_why(&path);
        let ok = match (expect, &got) {
            (Expect::LoadNewest, Ok((loaded, _))) => *loaded == (3, REMAPS as usize),
            (Expect::LoadOlder, Ok(((_, 0), why))) => reason.is_none_or(|r| why.as_deref() == Some(r)),
            (Expect::Refuse, Err(why)) => reason.is_none_or(|r| why.contains(r)),
            _ => false,
        };
        if !ok {
            wrong.push(format!("{name}: expected {} ({reason:?}), got {got:?}", expect.name()));
        }
        std::fs::remove_file(&path).unwrap();
    }
    std::fs::remove_file(&fresh).unwrap();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn salvage_leaves_metadata_that_loads() {
    // Whatever the damage, `repair --salvage` either says why it cannot
    // (no commit to start from) or leaves metadata that loads.
    let mut wrong = Vec::new();
    let mut salvaged = Vec::new();
    for Case { name, expect, .. } in damage::cases() {
        let path = image(&name);
        damage::apply(&Spare::open(&path, true).unwrap(), &name).unwrap();
        if commands::repair(&path, true).is_ok() {
            match load(&path) {
                Ok(_) if expect == Expect::Refuse => salvaged.push(name),
                Ok(_) => {}
                Err(e) => wrong.push(format!("{name}: repaired, then {e}")),
            }
        }
        std::fs::remove_file(&path).unwrap();
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for name in ["log-spare-owned-twice", "tail-spare-owned-twice", "log-zeroed"] {
        assert!(salvaged.iter().any(|s| s == name), "{name} not salvaged: {salvaged:?}");
    }
}

#[test]
fn restore_round_trips_and_salvage_keeps_what_survives() {
    let path = image("roundtrip");
    let before = load(&path).unwrap();
    // dump --json, then restore onto a damaged copy: the same remaps again.
    let json = commands::dump_json(&path).unwrap();
    let dumped = std::env::temp_dir().join(format!("dmr-dump-{}.json", std::process::id()));
    std::fs::write(&dumped, &json).unwrap();
    let copy = image("roundtrip-copy");
    damage::apply(&Spare::open(&copy, true).unwrap(), "both-slots-torn").unwrap();
    assert!(load(&copy).is_err());
    restore::restore(&copy, &dumped).unwrap();
    let again = commands::dump_json(&copy).unwrap();
    let strip = |j: &str| j.split("\"remaps\"").nth(1).unwrap().to_string();
    assert_eq!(strip(&again), strip(&json), "the remaps survive a dump and a restore");
    assert_eq!(load(&copy).unwrap().1, before.1);
    // A dump whose remaps share a spare block is refused, nothing written.
    let bad = json.replacen("\"spare_block\":1,", "\"spare_block\":0,", 1);
    std::fs::write(&dumped, bad).unwrap();
    assert!(restore::restore(&copy, &dumped).is_err());
    assert_eq!(commands::dump_json(&copy).unwrap(), again);
    std::fs::remove_file(&copy).unwrap();
    std::fs::remove_file(&dumped).unwrap();
    // Damage the log, then salvage: the tail's records survive.
    damage::apply(&Spare::open(&path, true).unwrap(), "log-zeroed").unwrap();
    assert!(load(&path).is_err());
    dm_remap_tool::commands::repair(&path, false).unwrap_err();
    dm_remap_tool::commands::repair(&path, true).unwrap();
    let (_, n) = load(&path).unwrap();
    assert_eq!(n as u64, REMAPS - 248, "the tail's records survive");
    assert_eq!(before.1 as u64, REMAPS);
    std::fs::remove_file(&path).unwrap();
}
