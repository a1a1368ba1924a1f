//! `assemble`: creates the remap devices a remaptab names, as `mdadm
//! --assemble` does for md: finds the spare (by path or by the pair's
//! UUID), checks that main is this pair's main (size and identity), and
//! loads the table with `dmsetup create`. A device that already exists
//! with the same devices is left alone, so it can run again at any time.
//! A blank spare is formatted first, recording main's identity.

use crate::commands::{self, uuid_str};
use crate::dmsetup;
use crate::identity;
use crate::remaptab::{self, Dev, Entry};
use crate::spare::{Error, Result, Spare};
use dm_remap_core::format;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Where the udev rule (69-dm-remap.rules) names spares by pair UUID.
const BY_UUID: &str = "/dev/disk/by-remap-uuid";

/// Reads and parses a remaptab.
pub fn read_tab(tab: &Path) -> Result<Vec<Entry>> {
    let text = fs::read_to_string(tab).map_err(|e| Error::Io(format!("cannot read {}: {e}", tab.display())))?;
    remaptab::parse(&text).map_err(|why| Error::Usage(format!("{}: {why}", tab.display())))
}

/// `assemble`: the lines of `tab` named in `names`, or with `all` every
/// line without `noauto`. Says what it did for each; fails with the worst
/// error (a refusal before a missing device).
pub fn assemble(tab: &Path, names: &[String], all: bool) -> Result<()> {
    let entries = read_tab(tab)?;
    if let Some(n) = names.iter().find(|n| !entries.iter().any(|e| &e.name == *n)) {
        return Err(Error::Usage(format!("{}: no line for '{n}'", tab.display())));
    }
    let chosen = entries.iter().filter(|e| if all { !e.noauto } else { names.contains(&e.name) });
    let mut worst: Option<Error> = None;
    for e in chosen {
        match one(e) {
            Ok(what) => println!("{}: {what}", e.name),
            Err(err) => {
                let (Error::Io(m) | Error::Metadata(m) | Error::Usage(m)) = &err;
                eprintln!("{}: not assembled: {m}", e.name);
                if !matches!(worst, Some(Error::Metadata(_))) {
                    worst = Some(err);
                }
            }
        }
    }
    match worst {
        None => Ok(()),
        Some(Error::Metadata(_)) => Err(Error::Metadata("some devices were refused (see above)".into())),
        Some(_) => Err(Error::Io("some devices could not be assembled (see above)".into())),
    }
}

fn one(e: &Entry) -> Result<String> {
    let spare = match &e.spare {
        Dev::Path(p) => p.clone(),
        Dev::Uuid(u) => find_spare(u)?,
    };
    let main_sectors = Spare::open(&e.main, false)?.sectors()?;
    if let Ok(table) = dmsetup::run(&["table", &e.name]) {
        return same_devices(&table, &e.main, &spare).map(|()| "already assembled".to_string());
    }
    let mut note = String::new();
    let dev = Spare::open(&spare, false)?;
    if dev.slots()?.iter().all(|s| format::is_zero(s)) {
        let block_size = e.features.iter().position(|f| f == "block_size").map(|i| &e.features[i + 1]);
        let block_size =
            block_size.map_or(Ok(4096), |b| b.parse()).map_err(|_| Error::Usage("bad block_size".into()))?;
        commands::format(&spare, Some(&e.main), None, block_size, false)?;
        note = ", formatted its blank spare".into();
    }
    let sb = Spare::open(&spare, false)?.pick()?.sb;
    let checked = identity::check_main(&sb, &e.main, main_sectors)?;
    let mut table = format!("0 {main_sectors} remap {} {}", e.main.display(), spare.display());
    if !e.features.is_empty() {
        table += &format!(" {} {}", e.features.len(), e.features.join(" "));
    }
    dmsetup::run(&["create", &e.name, "--table", &table])?;
    Ok(format!("assembled{note}: {checked}; spare {} (pair {})", spare.display(), uuid_str(&sb.uuid)))
}

/// The device that holds the pair `uuid`: the udev rule's link, else a
/// scan of every block device's commit slots (as blkid scans).
fn find_spare(uuid: &str) -> Result<PathBuf> {
    let link = Path::new(BY_UUID).join(uuid);
    if link.exists() {
        return Ok(link);
    }
    let dir = fs::read_dir("/sys/class/block").map_err(|e| Error::Io(format!("/sys/class/block: {e}")))?;
    let mut found = Vec::new();
    for name in dir.flatten().map(|d| d.file_name()) {
        let path = Path::new("/dev").join(&name);
        let pick = Spare::open(&path, false).and_then(|s| s.pick());
        if pick.is_ok_and(|p| uuid_str(&p.sb.uuid) == uuid) {
            found.push(path);
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Error::Io(format!("no device holds the metadata of pair UUID={uuid}"))),
        _ => Err(Error::Metadata(format!(
            "UUID={uuid} is on several devices ({}): name the spare by path",
            found.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Whether an existing device's table (`0 <len> remap <main> <spare> …`,
/// devices as major:minor) uses `main` and `spare`.
fn same_devices(table: &str, main: &Path, spare: &Path) -> Result<()> {
    let words: Vec<&str> = table.split_whitespace().collect();
    let number = |p: &Path| {
        let rdev = fs::metadata(p).map_err(|e| Error::Io(format!("cannot stat {}: {e}", p.display())))?.rdev();
        let (major, minor) = identity::split_dev(rdev);
        Ok::<_, Error>(format!("{major}:{minor}"))
    };
    match words.as_slice() {
        [_, _, "remap", m, s, ..] if *m == number(main)? && *s == number(spare)? => Ok(()),
        _ => Err(Error::Metadata(format!("a device of this name exists with another table: {}", table.trim()))),
    }
}

/// `probe`: for udev's IMPORT{program}. For a device that holds valid
/// metadata, prints its role and pair as udev properties; otherwise fails
/// (exit 1) and prints nothing on stdout.
pub fn probe(dev: &Path) -> Result<()> {
    let sb = Spare::open(dev, false)?.pick()?.sb;
    println!("DM_REMAP_ROLE=spare");
    println!("DM_REMAP_PAIR_UUID={}", uuid_str(&sb.uuid));
    println!("DM_REMAP_MAIN_ID={:016x}", sb.main_id);
    Ok(())
}
