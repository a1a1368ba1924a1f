//! What a report says of the pair beyond the status line: its devices
//! (`dmsetup table`, as `major:minor`, named from sysfs), what the spare's
//! metadata records (the pair's UUID, main's identity, the block size) and
//! the blocks the module's `list` message names. A read that fails is
//! kept as the reason, for the report to say: it never fails the report.

use crate::commands::uuid_str;
use crate::dmsetup;
use crate::identity::Identity;
use crate::spare::{Error, Spare};
use dm_remap_core::status::Status;
use std::fs;
use std::path::Path;

/// A device of the table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dev {
    /// `major:minor`, as the table gives it.
    pub dev: String,
    /// Its name for people: `/dev/mapper/<name>` for a device-mapper
    /// device, else `/dev/<DEVNAME>`; None when sysfs does not know it.
    pub path: Option<String>,
    /// The node to open (`/dev/<DEVNAME>`, which devtmpfs always makes).
    pub node: Option<String>,
}

/// The first remap line of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Its first sector (where messages to the target go).
    pub start: u64,
    pub main: String,
    pub spare: String,
    pub block_size: Option<u64>,
}

/// What the spare's newest commit records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    pub uuid: String,
    /// Main's identity hash at format (`identity.rs`), 0 when none.
    pub main_id: u64,
    pub block_size: u32,
}

/// One line of `list`: `<main block> <spare block> <state>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub main: u64,
    pub spare: u64,
    /// `ok`, `lost` (the module's words today) or `pending`.
    pub state: String,
}

/// All of it, or why each part is unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    /// Main and spare.
    pub devices: Result<[Dev; 2], String>,
    /// The first sector of the (first) remap segment; 0 when unknown.
    pub start: u64,
    /// The table's block size, else the metadata's.
    pub block_size: Option<u64>,
    pub meta: Result<Meta, String>,
    /// Whether the table's main has the recorded identity; None when none
    /// was recorded, or main or the metadata is unknown.
    pub main_present: Option<bool>,
    /// The blocks `list` names other than `ok` (not asked when the status
    /// counts no pending block).
    pub pending: Result<Vec<Entry>, String>,
}

/// A `major:minor` pair of numbers.
pub fn parse_dev(word: &str) -> Option<(u32, u32)> {
    let (major, minor) = word.split_once(':')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The first `remap` line of `dmsetup table` output: `<start> <len> remap
/// <main> <spare> <#args> <arg>...`.
pub fn parse_table(text: &str) -> Option<Table> {
    text.lines().find_map(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        if w.len() < 5 || w[2] != "remap" || parse_dev(w[3]).is_none() || parse_dev(w[4]).is_none() {
            return None;
        }
        let block_size = w.windows(2).find(|p| p[0] == "block_size").and_then(|p| p[1].parse().ok());
        Some(Table { start: w[0].parse().ok()?, main: w[3].into(), spare: w[4].into(), block_size })
    })
}

/// The lines of `list` output; an error names the first line that is not
/// `<main block> <spare block> <state>`.
pub fn parse_list(text: &str) -> Result<Vec<Entry>, String> {
    let entry = |l: &str| {
        let w: Vec<&str> = l.split_whitespace().collect();
        match w[..] {
            [m, s, state] => Some(Entry { main: m.parse().ok()?, spare: s.parse().ok()?, state: state.into() }),
            _ => None,
        }
    };
    let lines = text.lines().filter(|l| !l.trim().is_empty());
    lines.map(|l| entry(l).ok_or_else(|| format!("unexpected line {l:?}"))).collect()
}

/// A device's `(path, node)` from its sysfs `uevent` (`DEVNAME=`) and
/// `dm/name` (empty when it is no device-mapper device).
pub fn dev_paths(uevent: &str, dm_name: &str) -> Option<(String, String)> {
    let devname = uevent.lines().find_map(|l| l.strip_prefix("DEVNAME="))?.trim();
    if devname.is_empty() || devname.contains("..") {
        return None;
    }
    let node = format!("/dev/{devname}");
    let dm_name = dm_name.trim();
    let path = if dm_name.is_empty() { node.clone() } else { format!("/dev/mapper/{dm_name}") };
    Some((path, node))
}

/// Device `dev` (`major:minor`) named from `sysfs` (/sys/dev/block).
pub fn dev_in(sysfs: &Path, dev: &str) -> Dev {
    let dir = sysfs.join(dev);
    let read = |f: &str| fs::read_to_string(dir.join(f)).unwrap_or_default();
    let paths = parse_dev(dev).and_then(|_| dev_paths(&read("uevent"), &read("dm/name")));
    let (path, node) = paths.map_or((None, None), |(p, n)| (Some(p), Some(n)));
    Dev { dev: dev.into(), path, node }
}

/// Where the kernel lists block devices by number.
pub const SYS_DEV_BLOCK: &str = "/sys/dev/block";

/// What an error says.
fn why(e: Error) -> String {
    match e {
        Error::Io(m) | Error::Metadata(m) | Error::Usage(m) => m,
    }
}

/// The spare's metadata (read with O_DIRECT, as the module writes it).
fn read_meta(spare: &Dev) -> Result<Meta, String> {
    let node = spare.node.as_ref().ok_or_else(|| format!("no device node for {}", spare.dev))?;
    let sb = Spare::open(Path::new(node), false).and_then(|s| s.pick()).map_err(why)?.sb;
    Ok(Meta { uuid: uuid_str(&sb.uuid), main_id: sb.main_id, block_size: sb.geometry.block_size })
}

impl Pair {
    /// Reads what it can of device `name`, whose status is `s`. The spare
    /// is not read while it answers no I/O (the read could hang).
    pub fn read(name: &str, s: &Status) -> Pair {
        let table = dmsetup::run(&["table", name])
            .map_err(why)
            .and_then(|t| parse_table(&t).ok_or_else(|| format!("{name} has no remap table line")));
        let sysfs = Path::new(SYS_DEV_BLOCK);
        let devices = table.as_ref().map(|t| [dev_in(sysfs, &t.main), dev_in(sysfs, &t.spare)]).map_err(String::clone);
        let meta = match &devices {
            _ if !s.alive[1] => Err("not read: the spare does not answer I/O".to_string()),
            Ok([_, spare]) => read_meta(spare),
            Err(e) => Err(format!("not read: the spare is unknown ({e})")),
        };
        let main_present = match (&devices, &meta) {
            (Ok([main, _]), Ok(m)) if m.main_id != 0 => {
                Some(Identity::in_sysfs(&sysfs.join(&main.dev)).hash() == m.main_id)
            }
            _ => None,
        };
        let start = table.as_ref().map_or(0, |t| t.start);
        let pending = if s.lost == 0 {
            Ok(Vec::new())
        } else {
            dmsetup::run(&["message", name, &start.to_string(), "list"])
                .map_err(why)
                .and_then(|t| parse_list(&t))
                .map(|l| l.into_iter().filter(|e| e.state != "ok").collect())
        };
        let block_size = table.ok().and_then(|t| t.block_size).or(meta.as_ref().ok().map(|m| m.block_size.into()));
        Pair { devices, start, block_size, meta, main_present, pending }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A pair as a test report shows it: main `/dev/sdb`, spare the
    /// device-mapper device `sp`, one lost block.
    pub(crate) fn fixture() -> Pair {
        let dev = |dev: &str, path: &str, node: &str| Dev {
            dev: dev.into(),
            path: Some(path.into()),
            node: Some(node.into()),
        };
        Pair {
            devices: Ok([dev("8:16", "/dev/sdb", "/dev/sdb"), dev("253:4", "/dev/mapper/sp", "/dev/dm-4")]),
            start: 0,
            block_size: Some(4096),
            meta: Ok(Meta {
                uuid: "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9".into(),
                main_id: 0x1f2e_3d4c_5b6a_7988,
                block_size: 4096,
            }),
            main_present: Some(true),
            pending: Ok(vec![Entry { main: 100, spare: 3, state: "lost".into() }]),
        }
    }

    #[test]
    fn table_line() {
        let t = "0 2048 linear 8:0 0\n2048 1000 remap 253:0 1:1 4 block_size 4096 read_retries 3\n";
        let want = Table { start: 2048, main: "253:0".into(), spare: "1:1".into(), block_size: Some(4096) };
        assert_eq!(parse_table(t), Some(want));
        let plain = parse_table("0 8 remap 8:16 8:32 0").unwrap();
        assert_eq!((plain.start, plain.block_size), (0, None));
        assert_eq!(parse_table("0 8 remap /dev/sdb 8:32 2 block_size 512"), None, "not major:minor");
        assert_eq!(parse_table("0 8 remap 8:16"), None);
        assert_eq!(parse_table(""), None);
        assert_eq!(parse_dev("259:12"), Some((259, 12)));
        assert!(parse_dev("8").is_none() && parse_dev("8:x").is_none() && parse_dev("../8:1").is_none());
    }

    #[test]
    fn list_lines() {
        let l = parse_list("100 0 lost\n1000 1 ok\n\n7 2 pending\n").unwrap();
        assert_eq!(l.len(), 3);
        assert_eq!(l[0], Entry { main: 100, spare: 0, state: "lost".into() });
        assert_eq!(l[2].state, "pending");
        assert_eq!(parse_list(""), Ok(Vec::new()));
        assert_eq!(parse_list("100 0\n").unwrap_err(), "unexpected line \"100 0\"");
        assert!(parse_list("x 0 ok\n").is_err() && parse_list("1 2 ok extra\n").is_err());
    }

    #[test]
    fn device_names() {
        let ue = "MAJOR=8\nMINOR=16\nDEVNAME=sdb\nDEVTYPE=disk\n";
        assert_eq!(dev_paths(ue, ""), Some(("/dev/sdb".into(), "/dev/sdb".into())));
        assert_eq!(dev_paths("DEVNAME=dm-4\n", "sp\n"), Some(("/dev/mapper/sp".into(), "/dev/dm-4".into())));
        assert_eq!(dev_paths("MAJOR=8\n", ""), None);
        assert_eq!(dev_paths("DEVNAME=../etc\n", ""), None);
        let root = std::env::temp_dir().join(format!("dmr-report-sysfs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("1:1")).unwrap();
        fs::write(root.join("1:1/uevent"), "DEVNAME=ram1\n").unwrap();
        assert_eq!(dev_in(&root, "1:1").path.as_deref(), Some("/dev/ram1"));
        assert_eq!(dev_in(&root, "9:9"), Dev { dev: "9:9".into(), path: None, node: None });
        fs::remove_dir_all(&root).unwrap();
    }
}
