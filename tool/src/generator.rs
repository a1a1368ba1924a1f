//! `generate`: the systemd generator (installed as
//! `/usr/lib/systemd/system-generators/dm-remap-generator`, which runs
//! `dm-remap-tool generate "$@"`). For every remaptab line without
//! `noauto` it writes `dm-remap-<name>.service`, which waits for both
//! devices, runs `dm-remap-tool assemble <name>`, and is ordered before
//! `local-fs-pre.target`, so that fstab and crypttab can use the device;
//! as systemd-cryptsetup-generator does for crypttab.

use crate::assemble::read_tab;
use crate::remaptab::{Dev, Entry};
use crate::spare::{Error, Result};
use std::fs;
use std::path::{Path, PathBuf};

/// Writes the units for `tab` into the generator directory `dir`;
/// returns how many. `tool` and `dmsetup` are the programs they run.
pub fn generate(tab: &Path, dir: &Path, tool: &Path, dmsetup: &Path) -> Result<usize> {
    if !tab.exists() {
        return Ok(0);
    }
    let entries = read_tab(tab)?;
    let io = |what: &Path, e: std::io::Error| Error::Io(format!("{}: {e}", what.display()));
    let mut n = 0;
    for e in entries.iter().filter(|e| !e.noauto) {
        let unit = format!("dm-remap-{}.service", e.name);
        let path = dir.join(&unit);
        fs::write(&path, unit_text(e, tab, tool, dmsetup)).map_err(|err| io(&path, err))?;
        let wants = dir.join(if e.nofail { "local-fs-pre.target.wants" } else { "local-fs-pre.target.requires" });
        fs::create_dir_all(&wants).map_err(|err| io(&wants, err))?;
        let link = wants.join(&unit);
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(&path, &link).map_err(|err| io(&link, err))?;
        n += 1;
    }
    Ok(n)
}

/// The unit for one line.
fn unit_text(e: &Entry, tab: &Path, tool: &Path, dmsetup: &Path) -> String {
    let spare = match &e.spare {
        Dev::Path(p) => p.clone(),
        Dev::Uuid(u) => PathBuf::from("/dev/disk/by-remap-uuid").join(u),
    };
    let devices = format!("{}.device {}.device", escape_path(&e.main), escape_path(&spare));
    format!(
        "# Written by dm-remap-tool generate from {tab}\n\
         [Unit]\n\
         Description=dm-remap device {name}\n\
         DefaultDependencies=no\n\
         BindsTo={devices}\n\
         After={devices}\n\
         Before=local-fs-pre.target umount.target\n\
         Conflicts=umount.target\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         RemainAfterExit=yes\n\
         ExecStart={tool} assemble --remaptab {tab} {name}\n\
         ExecStop={dmsetup} remove {name}\n",
        tab = tab.display(),
        name = e.name,
        tool = tool.display(),
        dmsetup = dmsetup.display(),
    )
}

/// A path as systemd names its unit (`systemd-escape --path`).
pub fn escape_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let parts: Vec<&str> = text.split('/').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return "-".into();
    }
    let mut out = String::new();
    for (i, c) in parts.join("/").bytes().enumerate() {
        match c {
            b'/' => out.push('-'),
            b'.' if i == 0 => out.push_str("\\x2e"),
            c if c.is_ascii_alphanumeric() || b":_.".contains(&c) => out.push(c as char),
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_path;
    use std::path::Path;

    #[test]
    fn escapes_as_systemd_does() {
        for (path, unit) in [
            ("/dev/disk/by-id/virtio-main", "dev-disk-by\\x2did-virtio\\x2dmain"),
            ("/dev//sda/", "dev-sda"),
            ("/dev/disk/by-remap-uuid/6f1c2d3e-4a5b", "dev-disk-by\\x2dremap\\x2duuid-6f1c2d3e\\x2d4a5b"),
            ("/.hidden/a b", "\\x2ehidden-a\\x20b"),
            ("/", "-"),
        ] {
            assert_eq!(escape_path(Path::new(path)), unit, "{path}");
        }
    }
}
