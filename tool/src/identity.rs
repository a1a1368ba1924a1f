//! Who main is. The metadata records, at format, a hash of main's stable
//! identifiers (`format::identity_hash`): what sysfs shows of the disk
//! (its WWID, its serial, a device-mapper device's UUID) and, for a
//! partition, its number and start on that disk. Where sysfs shows none
//! (disks behind many USB bridges), udev's identifiers are used: the WWN
//! and serial its helpers read from the device (`/run/udev/data`). Device
//! names are not identifiers: they change with the order in which disks
//! appear. A device with none of these (a ram disk, an image file) has no
//! identity, and is known by its size only.

use crate::spare::{Error, Result};
use dm_remap_core::format::{identity_hash, Superblock};
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// A device's stable identifiers as one line (`wwid=… serial=…`); empty
/// when it has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity(pub String);

impl Identity {
    /// The identity of the block device at `path` (symlinks followed); an
    /// image file has none.
    pub fn of(path: &Path) -> Result<Self> {
        let meta = fs::metadata(path).map_err(|e| Error::Io(format!("cannot stat {}: {e}", path.display())))?;
        if !meta.file_type().is_block_device() {
            return Ok(Identity(String::new()));
        }
        let (major, minor) = split_dev(meta.rdev());
        Ok(Self::in_sysfs(&PathBuf::from(format!("/sys/dev/block/{major}:{minor}"))))
    }

    /// The identity of the block device whose sysfs directory is `dir`.
    pub fn in_sysfs(dir: &Path) -> Self {
        let mut words = Vec::new();
        let part = read(&dir.join("partition"));
        let disk = if part.is_empty() { dir.to_path_buf() } else { dir.join("..") };
        for (key, files) in [("wwid", ["wwid", "device/wwid"]), ("serial", ["serial", "device/serial"])] {
            if let Some(v) = files.iter().map(|f| read(&disk.join(f))).find(|v| !v.is_empty()) {
                words.push(format!("{key}={v}"));
            }
        }
        let dm = read(&disk.join("dm/uuid"));
        if !dm.is_empty() {
            words.push(format!("dm-uuid={dm}"));
        }
        if words.is_empty() {
            let db = fs::read_to_string(Path::new(UDEV_DB).join(format!("b{}", read(&dir.join("dev")))));
            words = udev_words(&db.unwrap_or_default());
        }
        if !words.is_empty() && !part.is_empty() {
            words.push(format!("partition={part}@{}", read(&dir.join("start"))));
        }
        Identity(words.join(" "))
    }

    /// What the metadata records for it: 0 when it has no identity.
    pub fn hash(&self) -> u64 {
        if self.0.is_empty() {
            0
        } else {
            identity_hash(self.0.as_bytes())
        }
    }

    /// For messages: the identifiers, or that there are none.
    pub fn describe(&self) -> &str {
        if self.0.is_empty() {
            "no stable identifiers"
        } else {
            &self.0
        }
    }
}

/// Where udev keeps what it learnt of each device.
const UDEV_DB: &str = "/run/udev/data";

/// The identifiers in a udev database entry (`E:KEY=value` lines): the
/// WWN (with its extension when there is one), else the serial.
fn udev_words(db: &str) -> Vec<String> {
    let value = |key: &str| {
        let line = db.lines().find_map(|l| l.strip_prefix("E:")?.strip_prefix(key)?.strip_prefix('='));
        line.map(|v| v.split_whitespace().collect::<Vec<_>>().join("_")).filter(|v| !v.is_empty())
    };
    let wwn = value("ID_WWN_WITH_EXTENSION").or_else(|| value("ID_WWN"));
    let serial = value("ID_SERIAL");
    [wwn.map(|w| format!("udev-wwn={w}")), serial.map(|s| format!("udev-serial={s}"))].into_iter().flatten().collect()
}

/// A sysfs attribute, trimmed, with inner whitespace as `_` (one word); ""
/// when absent.
fn read(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.split_whitespace().collect::<Vec<_>>().join("_")
}

/// The major and minor numbers of a `dev_t` (glibc's encoding).
pub(crate) fn split_dev(dev: u64) -> (u64, u64) {
    (((dev >> 8) & 0xfff) | ((dev >> 32) & 0xffff_f000), (dev & 0xff) | ((dev >> 12) & 0xffff_ff00))
}

/// Whether `main` is the main device of the pair `sb` describes: its size
/// must be the one recorded, and its identity the one recorded (when one
/// was). Returns a note for the user: the identity checked, or that only
/// the size could be.
pub fn check_main(sb: &Superblock, main: &Path, sectors: u64) -> Result<String> {
    let want = sb.geometry.main_sectors;
    if sectors != want {
        return Err(Error::Metadata(format!(
            "{} has {sectors} sectors, but this pair's main has {want}: it is not this pair's main",
            main.display()
        )));
    }
    let id = Identity::of(main)?;
    if sb.main_id == 0 {
        return Ok(format!("main {}: size matches (no identity recorded at format)", main.display()));
    }
    if sb.main_id != id.hash() {
        return Err(Error::Metadata(format!(
            "{} ({}) is not this pair's main: its identity hash is {:#018x}, the pair's is {:#018x}",
            main.display(),
            id.describe(),
            id.hash(),
            sb.main_id
        )));
    }
    let twins: Vec<_> =
        of_size(sb, Path::new(SYS_BLOCK))?.into_iter().filter(|(_, i)| i.hash() == sb.main_id).collect();
    let mut note = format!("main {}: size and identity match ({})", main.display(), id.describe());
    if twins.len() > 1 {
        let names: Vec<String> = twins.iter().map(|(p, _)| p.display().to_string()).collect();
        note += &format!(
            " [warning: {} devices have this identity ({}): it cannot tell them apart]",
            twins.len(),
            names.join(", ")
        );
    }
    Ok(note)
}

/// Where the kernel lists block devices.
const SYS_BLOCK: &str = "/sys/class/block";

/// The block devices under `sysfs` of the size of the pair's main, with
/// their identities, by name.
fn of_size(sb: &Superblock, sysfs: &Path) -> Result<Vec<(PathBuf, Identity)>> {
    let dir = fs::read_dir(sysfs).map_err(|e| Error::Io(format!("{}: {e}", sysfs.display())))?;
    let mut sized = Vec::new();
    for entry in dir.flatten() {
        let path = entry.path();
        if read(&path.join("size")).parse() == Ok(sb.geometry.main_sectors) {
            sized.push((Path::new("/dev").join(entry.file_name()), Identity::in_sysfs(&path)));
        }
    }
    sized.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(sized)
}

/// `find-main`: the block devices of this machine that are the pair's
/// main (the recorded size and identity), under /sys/class/block (or
/// `sysfs`, for tests). One: printed, Ok. None: Io (exit 3). Several, or
/// no identity recorded (those of main's size are named): Metadata.
pub fn find_main(sb: &Superblock, sysfs: &Path) -> Result<String> {
    let sized = of_size(sb, sysfs)?;
    let names = |list: &[&(PathBuf, Identity)]| {
        list.iter().map(|(p, id)| format!("{} ({})", p.display(), id.describe())).collect::<Vec<_>>().join(", ")
    };
    if sb.main_id == 0 {
        let all: Vec<_> = sized.iter().collect();
        return Err(Error::Metadata(format!(
            "no identity was recorded at format; devices of main's size ({} sectors): {}",
            sb.geometry.main_sectors,
            if all.is_empty() { "none".into() } else { names(&all) }
        )));
    }
    let found: Vec<_> = sized.iter().filter(|(_, id)| id.hash() == sb.main_id).collect();
    match found.as_slice() {
        [one] => Ok(names(&[one])),
        [] => Err(Error::Io(format!("no device here is this pair's main (identity hash {:#018x})", sb.main_id))),
        several => Err(Error::Metadata(format!("several devices match: {}", names(several)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(dir: &Path, name: &str, text: &str) {
        let p = dir.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    #[test]
    fn identifiers_from_sysfs() {
        let root = std::env::temp_dir().join(format!("dmr-identity-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let disk = root.join("sda");
        put(&disk, "device/wwid", "naa.5000c500a1b2c3d4\n");
        put(&disk, "device/serial", "  Z1X 2\n");
        put(&disk, "sda1/partition", "1\n");
        put(&disk, "sda1/start", "2048\n");
        let whole = Identity::in_sysfs(&disk);
        assert_eq!(whole.0, "wwid=naa.5000c500a1b2c3d4 serial=Z1X_2");
        let part = Identity::in_sysfs(&disk.join("sda1"));
        assert_eq!(part.0, "wwid=naa.5000c500a1b2c3d4 serial=Z1X_2 partition=1@2048");
        assert_ne!(whole.hash(), part.hash());
        let virtio = root.join("vda");
        put(&virtio, "serial", "main\n");
        assert_eq!(Identity::in_sysfs(&virtio).0, "serial=main");
        let ram = root.join("ram0");
        fs::create_dir_all(&ram).unwrap();
        assert_eq!((Identity::in_sysfs(&ram).0.as_str(), Identity::in_sysfs(&ram).hash()), ("", 0));
        let dm = root.join("dm-3");
        put(&dm, "dm/uuid", "LVM-abc\n");
        assert_eq!(Identity::in_sysfs(&dm).0, "dm-uuid=LVM-abc");
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn main_found_by_identity() {
        use dm_remap_core::format::Geometry;
        let root = std::env::temp_dir().join(format!("dmr-find-main-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        for (name, size, serial) in [("vda", "2048", "other"), ("vdb", "2048", "main"), ("vdc", "4096", "main")] {
            put(&root.join(name), "size", size);
            put(&root.join(name), "serial", serial);
        }
        put(&root.join("ram0"), "size", "2048");
        let geometry = Geometry::new(4096, 2048, 1 << 16).unwrap();
        let mut sb =
            Superblock { main_id: Identity("serial=main".into()).hash(), ..Superblock::new([7; 16], geometry) };
        assert_eq!(find_main(&sb, &root).unwrap(), "/dev/vdb (serial=main)");
        sb.main_id = Identity("serial=gone".into()).hash();
        assert!(matches!(find_main(&sb, &root), Err(Error::Io(m)) if m.starts_with("no device here")));
        sb.main_id = 0;
        let Err(Error::Metadata(m)) = find_main(&sb, &root) else { panic!("no identity: not refused") };
        assert!(
            m.ends_with("/dev/ram0 (no stable identifiers), /dev/vda (serial=other), /dev/vdb (serial=main)"),
            "{m}"
        );
        put(&root.join("vdd"), "size", "2048");
        put(&root.join("vdd"), "serial", "main");
        sb.main_id = Identity("serial=main".into()).hash();
        assert!(matches!(find_main(&sb, &root), Err(Error::Metadata(m)) if m.starts_with("several devices match")));
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn udev_identifiers_when_sysfs_has_none() {
        let db = "S:disk/by-id/usb-JMicron_X\nE:ID_SERIAL=JMicron_Generic 0123\nE:ID_WWN=0x5000\nE:ID_WWN_WITH_EXTENSION=0x5000ab\n";
        assert_eq!(udev_words(db), ["udev-wwn=0x5000ab", "udev-serial=JMicron_Generic_0123"]);
        assert_eq!(udev_words("E:ID_WWN=0x5000\nE:ID_SERIALX=1\n"), ["udev-wwn=0x5000"]);
        assert!(udev_words("E:ID_SERIAL=\nE:ID_PATH=pci-0\n").is_empty());
    }

    #[test]
    fn dev_numbers() {
        assert_eq!(split_dev(0x0810), (8, 16));
        assert_eq!(split_dev((259 << 8) | 3), (259, 3));
        assert_eq!(split_dev((0x12345u64 << 44) | (0xabc << 8) | (0x678 << 12 << 8) | 0x9a), (0x12345abc, 0x6789a));
    }
}
