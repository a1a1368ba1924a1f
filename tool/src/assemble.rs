//! `assemble`: creates the remap devices a remaptab names, as `mdadm
//! --assemble` does for md: finds the spare (by path, or by the pair's
//! UUID among every block device), checks that main is this pair's main
//! (size and identity), and loads the table with `dmsetup create`. A
//! device that already exists with the same devices is left alone, so it
//! can run again at any time. It never writes metadata: a spare with
//! none is refused (a blank disk behind the spare's name may be a new
//! disk, or names that moved), unless the line has the `format` option;
//! two devices that hold the same pair (a `dd` clone) are refused.

use crate::commands::{self, uuid_str};
use crate::dmsetup;
use crate::identity;
use crate::remaptab::{self, Dev, Entry};
use crate::report::pair::{dev_in, SYS_DEV_BLOCK};
use crate::spare::{Error, Result, Spare};
use dm_remap_core::format;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Where the udev rule (61-dm-remap.rules) names spares by pair UUID.
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
    if let Ok(table) = dmsetup::run(&["table", &e.name]) {
        return same_devices(&table, e).map(|()| "already assembled".to_string());
    }
    let spare = match &e.spare {
        Dev::Path(p) => p.clone(),
        Dev::Uuid(u) => find_spare(u, Path::new(SYS_BLOCK))?,
    };
    let main_sectors = Spare::open(&e.main, false)?.sectors()?;
    let note = format_if_asked(e, &spare)?;
    let sb = Spare::open(&spare, false)?.pick()?.sb;
    let checked = identity::check_main(&sb, &e.main, main_sectors)?;
    if sb.main_id == 0 {
        eprintln!("{}: warning: no identity of main was recorded: only its size shows it is the pair's main", e.name);
    }
    let mut table = format!("0 {main_sectors} remap {} {}", e.main.display(), spare.display());
    if !e.features.is_empty() {
        table += &format!(" {} {}", e.features.len(), e.features.join(" "));
    }
    dmsetup::run(&["create", &e.name, "--table", &table])?;
    Ok(format!("assembled{note}: {checked}; spare {} (pair {})", spare.display(), uuid_str(&sb.uuid)))
}

/// Formats a spare that holds no metadata, when the line says `format`;
/// refuses it otherwise. Returns a note for the user.
fn format_if_asked(e: &Entry, spare: &Path) -> Result<String> {
    if !Spare::open(spare, false)?.slots()?.iter().all(|s| format::is_zero(s)) {
        return Ok(String::new());
    }
    if !e.format {
        return Err(Error::Metadata(format!(
            "{} holds no dm-remap metadata: not formatting it (a new or wrong disk behind that name?); \
             format it with `dm-remap-tool format`, or add the `format` option to the line",
            spare.display()
        )));
    }
    let block_size = e.features.iter().position(|f| f == "block_size").map(|i| &e.features[i + 1]);
    let block_size = block_size.map_or(Ok(4096), |b| b.parse()).map_err(|_| Error::Usage("bad block_size".into()))?;
    commands::format(spare, Some(&e.main), None, block_size, false)?;
    Ok(", formatted its blank spare (option format)".into())
}

/// Where the kernel lists block devices.
const SYS_BLOCK: &str = "/sys/class/block";

/// The device that holds the pair `uuid`, found by reading every block
/// device's commit slots (as blkid scans), not by trusting a link: two
/// devices with the pair (a clone) are refused, naming each with its
/// commit. A device stacked on another that holds it (a dm-linear over
/// the spare) stands for the one below. Named by the udev rule's link
/// when that points at it.
fn find_spare(uuid: &str, sys: &Path) -> Result<PathBuf> {
    let dir = fs::read_dir(sys).map_err(|e| Error::Io(format!("{}: {e}", sys.display())))?;
    let mut found = Vec::new();
    for name in dir.flatten().map(|d| d.file_name()) {
        let pick = Spare::open(&Path::new("/dev").join(&name), false).and_then(|s| s.pick());
        if let Ok(sb) = pick.map(|p| p.sb) {
            if uuid_str(&sb.uuid) == uuid {
                found.push((name.to_string_lossy().into_owned(), sb.seq));
            }
        }
    }
    found.sort();
    let dev = Path::new("/dev").join(only_top(uuid, found, |n| slaves(&sys.join(n)))?);
    let link = Path::new(BY_UUID).join(uuid);
    Ok(if fs::canonicalize(&link).is_ok_and(|l| l == dev) { link } else { dev })
}

/// The one device of `found` (names and commits of the devices that hold
/// pair `uuid`) that no other of them is stacked on (`slaves_of`).
fn only_top(uuid: &str, mut found: Vec<(String, u64)>, slaves_of: impl Fn(&str) -> Vec<String>) -> Result<String> {
    let below: Vec<String> = found.iter().flat_map(|(n, _)| slaves_of(n)).collect();
    found.retain(|(n, _)| !below.contains(n));
    match found.as_slice() {
        [(name, _)] => Ok(name.clone()),
        [] => Err(Error::Io(format!("no device holds the metadata of pair UUID={uuid}"))),
        several => {
            let list: Vec<String> = several.iter().map(|(n, seq)| format!("/dev/{n} (commit {seq})")).collect();
            Err(Error::Metadata(format!(
                "UUID={uuid} is on several devices ({}): a copy of the spare? Name the spare by path, \
                 or remove the stale copy",
                list.join(", ")
            )))
        }
    }
}

/// The devices a device is stacked on (its sysfs `slaves`).
fn slaves(dir: &Path) -> Vec<String> {
    let list = fs::read_dir(dir.join("slaves")).into_iter().flatten().flatten();
    list.map(|d| d.file_name().to_string_lossy().into_owned()).collect()
}

/// Whether an existing device's table (`0 <len> remap <main> <spare> …`,
/// devices as major:minor) is line `e`'s: main is the line's, and so is
/// the spare (its path, or the device the table names holds the line's
/// pair: no scan of every disk for a device that is up).
fn same_devices(table: &str, e: &Entry) -> Result<()> {
    let words: Vec<&str> = table.split_whitespace().collect();
    let number = |p: &Path| {
        let rdev = fs::metadata(p).map_err(|e| Error::Io(format!("cannot stat {}: {e}", p.display())))?.rdev();
        let (major, minor) = identity::split_dev(rdev);
        Ok::<_, Error>(format!("{major}:{minor}"))
    };
    let holds = |dev: &str, uuid: &str| {
        let node = dev_in(Path::new(SYS_DEV_BLOCK), dev).node.map(PathBuf::from);
        let pick = node.map(|n| Spare::open(&n, false).and_then(|s| s.pick()));
        pick.is_some_and(|p| p.is_ok_and(|p| uuid_str(&p.sb.uuid) == uuid))
    };
    let same = match (words.as_slice(), &e.spare) {
        ([_, _, "remap", m, s, ..], Dev::Path(p)) => *m == number(&e.main)? && *s == number(p)?,
        ([_, _, "remap", m, s, ..], Dev::Uuid(u)) => *m == number(&e.main)? && holds(s, u),
        _ => false,
    };
    if same {
        return Ok(());
    }
    Err(Error::Metadata(format!("a device of this name exists with another table: {}", table.trim())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_on_two_devices_is_refused_unless_one_is_stacked_on_the_other() {
        let found = |names: &[&str]| names.iter().map(|n| (n.to_string(), 3)).collect::<Vec<_>>();
        let stack = |n: &str| if n == "dm-0" { vec!["vdb".to_string()] } else { vec![] };
        assert_eq!(only_top("u", found(&["vdb"]), stack).unwrap(), "vdb");
        assert_eq!(only_top("u", found(&["vdb", "dm-0"]), stack).unwrap(), "dm-0");
        let Err(Error::Metadata(m)) = only_top("u", found(&["vdb", "vdd"]), stack) else { panic!("a clone passed") };
        assert!(m.starts_with("UUID=u is on several devices (/dev/vdb (commit 3), /dev/vdd (commit 3))"), "{m}");
        assert!(matches!(only_top("u", vec![], stack), Err(Error::Io(_))));
    }
}
