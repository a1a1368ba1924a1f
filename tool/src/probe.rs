//! `probe`: what the udev rule (61-dm-remap.rules) learns about a block
//! device, printed as udev properties for its `IMPORT{program}`.
//!
//! - A *spare* holds valid metadata: its pair's UUID and main's identity,
//!   so the rule names it `/dev/disk/by-remap-uuid/<uuid>`.
//! - A *main* is a member of a pair, as a multipath path is: it holds the
//!   user's data at the same offsets as the remap device, so the rule
//!   hides its filesystem (`ID_FS_TYPE=dm_remap_member`, no by-uuid or
//!   by-label link, no LVM autoactivation, `UDISKS_IGNORE`). A device is
//!   known to be a main when a remaptab line names it (by any of its
//!   names: the rule runs after Debian's by-id links are made, on the very
//!   first event), when its identity is the one a spare seen this boot
//!   recorded, or when it is a partition of a main.
//! - Either, when a remaptab line names it: the line's unit, so that a disk
//!   that appears after boot is assembled then (`SYSTEMD_WANTS`).

use crate::commands::uuid_str;
use crate::identity::{split_dev, Identity};
use crate::remaptab::{self, Dev, Entry};
use crate::spare::{Error, Result, Spare};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Where the probe of a spare notes its main's identity, for the probe of
/// a main that appears later in the same boot.
pub const RUN_DIR: &str = "/run/dm-remap/main-ids";

/// The links of a main that would show the user's data by content.
const HIDDEN_LINKS: [&str; 4] =
    ["/dev/disk/by-uuid/", "/dev/disk/by-label/", "/dev/disk/by-partuuid/", "/dev/disk/by-partlabel/"];

/// What udev tells the program about the device (its environment).
pub struct UdevEnv {
    /// `DEVLINKS`: the links earlier rules made, space-separated.
    pub links: String,
    /// `DM_REMAP_MEMBER_OF` imported from the parent of a partition.
    pub parent_member_of: String,
}

impl UdevEnv {
    pub fn from_env() -> Self {
        let var = |k| std::env::var(k).unwrap_or_default();
        UdevEnv { links: var("DEVLINKS"), parent_member_of: var("DM_REMAP_MEMBER_OF") }
    }
}

/// `probe <device>`: prints the properties of a spare or a main; fails
/// (exit 1, nothing on stdout) for any other device.
pub fn probe(dev: &Path, tab: &Path, run_dir: &Path, env: &UdevEnv) -> Result<()> {
    let entries = fs::read_to_string(tab).map(|t| remaptab::parse_lines(&t).0).unwrap_or_default();
    let mut names: Vec<PathBuf> = env.links.split_whitespace().map(PathBuf::from).collect();
    names.push(dev.to_path_buf());
    let props = match Spare::open(dev, false).and_then(|s| s.pick()) {
        Ok(pick) => {
            let (uuid, main_id) = (uuid_str(&pick.sb.uuid), pick.sb.main_id);
            if main_id != 0 {
                // (Best effort: without it, only a remaptab line marks main.)
                let _ = fs::create_dir_all(run_dir).and_then(|()| fs::write(run_dir.join(hex(main_id)), &uuid));
            }
            let line = entries.iter().find(|e| names_spare(e, &uuid, &names));
            spare_props(&uuid, main_id, line)
        }
        Err(_) => {
            let member_of = member_of(dev, &entries, &names, run_dir, env)
                .ok_or_else(|| Error::Metadata(format!("{}: neither a spare nor a main", dev.display())))?;
            let line = entries.iter().find(|e| e.name == member_of);
            main_props(&member_of, &env.links, line)
        }
    };
    props.iter().for_each(|(k, v)| println!("{k}={v}"));
    Ok(())
}

fn hex(id: u64) -> String {
    format!("{id:016x}")
}

/// Which pair a device that holds no metadata is main of: a remaptab
/// line's name, or a pair's UUID; None when it is no main.
fn member_of(dev: &Path, entries: &[Entry], names: &[PathBuf], run_dir: &Path, env: &UdevEnv) -> Option<String> {
    if !env.parent_member_of.is_empty() {
        return Some(env.parent_member_of.clone());
    }
    let rdev = fs::metadata(dev).ok().map(|m| m.rdev());
    if let Some(e) = entries.iter().find(|e| is_one_of(&e.main, names, rdev)) {
        return Some(e.name.clone());
    }
    let id = Identity::of(dev).ok()?.hash();
    let uuid = fs::read_to_string(run_dir.join(hex(id))).ok().filter(|_| id != 0)?;
    let named = entries.iter().find(|e| e.spare == Dev::Uuid(uuid.clone()));
    Some(named.map_or(uuid, |e| e.name.clone()))
}

/// Whether `path` is one of the device's `names`, or (when it exists
/// already) a name of device number `rdev`.
fn is_one_of(path: &Path, names: &[PathBuf], rdev: Option<u64>) -> bool {
    names.iter().any(|n| n == path)
        || fs::metadata(path).is_ok_and(|m| Some(m.rdev()) == rdev && split_dev(m.rdev()) != (0, 0))
}

/// Whether remaptab line `e` names the spare of pair `uuid` known by `names`.
fn names_spare(e: &Entry, uuid: &str, names: &[PathBuf]) -> bool {
    match &e.spare {
        Dev::Uuid(u) => u == uuid,
        Dev::Path(p) => names.iter().any(|n| n == p) || fs::canonicalize(p).is_ok_and(|p| names.contains(&p)),
    }
}

/// The unit that assembles line `e`, for a line assembled automatically.
fn wants(e: Option<&Entry>) -> Option<(&'static str, String)> {
    e.filter(|e| !e.noauto).map(|e| ("DM_REMAP_WANTS", format!("dm-remap-{}.service", e.name)))
}

fn spare_props(uuid: &str, main_id: u64, line: Option<&Entry>) -> Vec<(&'static str, String)> {
    let mut p = vec![("DM_REMAP_ROLE", "spare".into()), ("DM_REMAP_PAIR_UUID", uuid.into())];
    p.push(("DM_REMAP_MAIN_ID", hex(main_id)));
    p.extend(wants(line));
    p
}

/// A main's properties: the pair it belongs to, and the links it keeps
/// (all but those that name it by content), relative to /dev as the
/// rule's `SYMLINK=` takes them.
fn main_props(member_of: &str, links: &str, line: Option<&Entry>) -> Vec<(&'static str, String)> {
    let kept: Vec<&str> = links
        .split_whitespace()
        .filter(|l| !HIDDEN_LINKS.iter().any(|h| l.starts_with(h)))
        .filter_map(|l| l.strip_prefix("/dev/"))
        .collect();
    let mut p = vec![("DM_REMAP_ROLE", "main".into()), ("DM_REMAP_MEMBER_OF", member_of.into())];
    p.push(("DM_REMAP_LINKS", kept.join(" ")));
    p.extend(wants(line));
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab";

    fn tab() -> Vec<Entry> {
        remaptab::parse(&format!(
            "data /dev/disk/by-id/virtio-main UUID={UUID}\nold /dev/disk/by-id/virtio-old /dev/vdq noauto\n"
        ))
        .unwrap()
    }

    #[test]
    fn a_main_is_known_by_any_of_its_names() {
        let run = std::env::temp_dir().join(format!("dmr-probe-{}", std::process::id()));
        let env = |links: &str| UdevEnv { links: links.into(), parent_member_of: String::new() };
        let dev = Path::new("/nonexistent/vdz");
        let names = |links: &str| links.split_whitespace().map(PathBuf::from).collect::<Vec<_>>();
        let links = "/dev/disk/by-path/pci-0:4 /dev/disk/by-id/virtio-main /dev/disk/by-uuid/1234";
        assert_eq!(member_of(dev, &tab(), &names(links), &run, &env(links)).as_deref(), Some("data"));
        let other = "/dev/disk/by-id/virtio-other /dev/disk/by-uuid/1234";
        assert_eq!(member_of(dev, &tab(), &names(other), &run, &env(other)), None);
        let part = UdevEnv { links: String::new(), parent_member_of: "data".into() };
        assert_eq!(member_of(dev, &tab(), &[], &run, &part).as_deref(), Some("data"));
    }

    #[test]
    fn a_main_keeps_only_links_that_do_not_show_its_data() {
        let links = "/dev/disk/by-id/virtio-main /dev/disk/by-uuid/1234 /dev/disk/by-label/home \
                     /dev/disk/by-path/pci-0:4 /dev/disk/by-partuuid/ab /dev/disk/by-partlabel/x";
        let props = main_props("data", links, tab().first());
        assert_eq!(
            props,
            [
                ("DM_REMAP_ROLE", "main".to_string()),
                ("DM_REMAP_MEMBER_OF", "data".into()),
                ("DM_REMAP_LINKS", "disk/by-id/virtio-main disk/by-path/pci-0:4".into()),
                ("DM_REMAP_WANTS", "dm-remap-data.service".into()),
            ]
        );
    }

    #[test]
    fn a_spare_wants_its_line_unless_noauto() {
        let t = tab();
        assert!(names_spare(&t[0], UUID, &[]));
        assert!(names_spare(&t[1], "other", &[PathBuf::from("/dev/vdq")]));
        assert_eq!(spare_props(UUID, 7, Some(&t[0])).last().unwrap().1, "dm-remap-data.service");
        assert_eq!(spare_props(UUID, 7, Some(&t[1])).last().unwrap(), &("DM_REMAP_MAIN_ID", hex(7)));
    }
}
