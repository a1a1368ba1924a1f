//! Every case of the damage generator, on an image: loading it with the
//! tool's reader does what the case says the kernel must do (the VM test
//! `damage_matrix` checks the kernel against the same expectations).

use dm_remap_core::format::{BlockState, Geometry, Record, Superblock, LOG_START, MBLOCK};
use dm_remap_core::journal;
use dm_remap_tool::damage::{self, Case, Expect};
use dm_remap_tool::spare::Spare;
use dm_remap_tool::{commands, restore};
use std::path::{Path, PathBuf};

const MAIN_SECTORS: u64 = 1 << 21; // 1 GiB
const SPARE_SECTORS: u64 = 1 << 17; // 64 MiB
/// Remaps of the older commit (its tail) and of the newest (a full log
/// block and a tail): a fallback must load exactly the older's.
const OLDER: u64 = 100;
const REMAPS: u64 = 300;
const OLDER_SEQ: u64 = 3;
const NEWEST_SEQ: u64 = 4;

fn remap(i: u64) -> Record {
    Record {
        main: i * 3,
        spare: i as u32,
        state: if i.is_multiple_of(50) { BlockState::Lost } else { BlockState::Remapped },
    }
}

/// A pair with two non-empty commits: 100 remaps, then 200 more.
fn image(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("dmr-damage-{}-{name}", std::process::id()));
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(SPARE_SECTORS * 512).unwrap();
    let dev = Spare::open(&path, true).unwrap();
    let g = Geometry::new(4096, MAIN_SECTORS, SPARE_SECTORS).unwrap();
    let older: Vec<Record> = (0..OLDER).map(remap).collect();
    assert_eq!(restore::write_pair(&dev, ([7; 16], 0, [1, 2, 3, 4]), g, &older, OLDER).unwrap(), OLDER_SEQ);
    let pick = dev.pick().unwrap();
    let more: Vec<Record> = (OLDER..REMAPS).map(remap).collect();
    let (mut next, mut log) = ([0u8; MBLOCK], [0u8; MBLOCK]);
    let prev = dev.slots().unwrap()[pick.slot];
    let sb = journal::prepare_commit(&pick.sb, &prev, &more, REMAPS, &mut next, &mut log, |i, b| {
        dev.write(LOG_START + i, b)
    })
    .unwrap();
    dev.sync().unwrap();
    dev.write(Superblock::slot_of(sb.seq), &next).unwrap();
    dev.sync().unwrap();
    assert_eq!(sb.seq, NEWEST_SEQ);
    path
}

/// What the tool loads: the commit number and remap count, or why not.
fn load(path: &Path) -> Result<(u64, usize), String> {
    load_why(path).map(|((seq, remaps), _)| (seq, remaps.len()))
}

/// The commit number and the remaps (by main block) the tool loads, with
/// why a slot was passed over (the first slot error); or why not.
type Loaded = ((u64, Vec<Record>), Option<String>);
fn load_why(path: &Path) -> Result<Loaded, String> {
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
    Ok(((pick.sb.seq, remaps), passed_over))
}

#[test]
fn every_case_loads_as_expected() {
    let cases = damage::cases();
    assert_eq!(cases.len(), 129, "the generator's cases (tests/vm/damage_metadata.sh counts them too)");
    let fresh = image("fresh");
    let list = |n: u64| {
        let mut v: Vec<Record> = (0..n).map(remap).collect();
        v.sort_by_key(|r| r.main);
        v
    };
    let (newest, older) = (list(REMAPS), list(OLDER));
    assert_eq!(load_why(&fresh), Ok(((NEWEST_SEQ, newest.clone()), None)));
    let mut wrong = Vec::new();
    let mut fell_back = 0;
    for Case { name, expect, reason } in &cases {
        let path = image(name);
        damage::apply(&Spare::open(&path, true).unwrap(), name).unwrap();
        let got = load_why(&path);
        // A case that changes a commit number loads that number.
        let seq_ok = |seq: u64, want: u64| seq == want || name.contains("-seq");
        let ok = match (expect, &got) {
            (Expect::LoadNewest, Ok(((seq, remaps), why))) => {
                seq_ok(*seq, NEWEST_SEQ) && *remaps == newest && reason.is_none_or(|r| why.as_deref() == Some(r))
            }
            (Expect::LoadOlder, Ok(((seq, remaps), why))) => {
                fell_back += 1;
                seq_ok(*seq, OLDER_SEQ) && *remaps == older && reason.is_none_or(|r| why.as_deref() == Some(r))
            }
            (Expect::Refuse, Err(why)) => reason.is_none_or(|r| why.contains(r)),
            _ => false,
        };
        if !ok {
            let got = got.map(|((seq, remaps), why)| (seq, remaps.len(), why));
            wrong.push(format!("{name}: expected {} ({reason:?}), got {got:?}", expect.name()));
        }
        std::fs::remove_file(&path).unwrap();
    }
    std::fs::remove_file(&fresh).unwrap();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(fell_back >= 50, "only {fell_back} fallbacks");
    let unexplained: Vec<_> = cases.iter().filter(|c| c.reason.is_none()).map(|c| c.name.as_str()).collect();
    assert_eq!(
        unexplained,
        ["slot-newest-compat-sealed", "slot-newest-seq-sealed", "slot-older-compat-sealed", "slot-older-seq-sealed"]
    );
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
    let lifetime = "\"relocated\":[1, 2, 3, 4],";
    assert!(json.contains(lifetime) && again.contains(lifetime), "the lifetime counters too: {again}");
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
