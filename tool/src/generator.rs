//! `generate`: the systemd generator (installed as
//! `/usr/lib/systemd/system-generators/dm-remap-generator`, which runs
//! `dm-remap-tool generate "$@"`), as systemd-cryptsetup-generator is for
//! crypttab. For every good remaptab line it writes
//! `dm-remap-<name>.service`, which waits for both devices and runs
//! `dm-remap-tool assemble <name>`:
//!
//! - pulled in by `dev-mapper-<name>.device` (always: a mount of
//!   `/dev/mapper/<name>` or `systemctl start` of that device starts it on
//!   demand) and by `local-fs.target` (unless `noauto`);
//! - without `nofail`, ordered before `local-fs-pre.target` (which it pulls
//!   in, and which requires it), so that fstab and crypttab can use the
//!   device; with `nofail` not ordered, so the boot does not wait for it;
//! - startable at any time, also after boot, when the udev rule's
//!   `SYSTEMD_WANTS` starts it for a disk that appears late.
//!
//! A bad line is left out and reported; the others still get their units.

use crate::remaptab::{self, Dev, Entry};
use crate::spare::{Error, Result};
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// `TimeoutSec=` of the units, for `assemble` and `dmsetup remove` (the
/// wait for the devices is the device units' job timeout, not this).
/// Bounded, so that a hung disk does not hold the boot for ever; long
/// enough for one read from a failing disk (what dm-remap is for), which
/// the kernel may retry 5 times at a 30 s SCSI command timeout each,
/// while a healthy pair assembles in well under a second.
const TIMEOUT_SEC: u32 = 300;

/// The drop-in that `x-systemd.device-timeout=` writes for each device
/// unit of its line. Not systemd's own `40-device-timeout.conf`: all
/// generators write into one directory at the same time, and
/// systemd-cryptsetup-generator writes that name for a `/dev/mapper`
/// device, which may be a remap device's main.
pub const DEVICE_TIMEOUT_DROP_IN: &str = "40-dm-remap-device-timeout.conf";

/// Writes the units for `tab` into the generator directory `dir` (no
/// remaptab: none); returns the lines left out, each `line <n>: <what is
/// wrong>`. `tool` and `dmsetup` are the programs the units run. Fails
/// only when `tab` cannot be read or a file cannot be written.
pub fn generate(tab: &Path, dir: &Path, tool: &Path, dmsetup: &Path) -> Result<Vec<String>> {
    let text = match fs::read_to_string(tab) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::Io(format!("cannot read {}: {e}", tab.display()))),
    };
    let (entries, skipped) = remaptab::parse_lines(&text);
    for e in &entries {
        write_line(e, tab, dir, tool, dmsetup)?;
    }
    Ok(skipped)
}

/// Writes the unit of one line, the links that pull it in, and the
/// drop-ins of its device timeout.
fn write_line(e: &Entry, tab: &Path, dir: &Path, tool: &Path, dmsetup: &Path) -> Result<()> {
    let unit = format!("dm-remap-{}.service", e.name);
    write(&dir.join(&unit), &unit_text(e, tab, tool, dmsetup))?;
    for from in pulled_in_by(e) {
        write_dir(&dir.join(&from))?;
        let link = dir.join(from).join(&unit);
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(Path::new("..").join(&unit), &link).map_err(|err| io(&link, err))?;
    }
    if let Some(time) = &e.device_timeout {
        let text = format!(
            "# Written by dm-remap-tool generate from {}: x-systemd.device-timeout of '{}'\n\
             [Unit]\n\
             JobRunningTimeoutSec={time}\n",
            tab.display(),
            e.name
        );
        for device in device_units(e) {
            let drop_in = dir.join(format!("{device}.d"));
            write_dir(&drop_in)?;
            write(&drop_in.join(DEVICE_TIMEOUT_DROP_IN), &text)?;
        }
    }
    Ok(())
}

/// The `.wants`/`.requires` directories that link to a line's unit: the
/// mapped device's unit always, `local-fs.target` unless `noauto` (the
/// target that every boot reaches, also in an initramfs), and
/// `local-fs-pre.target` (a passive target) without `nofail`.
fn pulled_in_by(e: &Entry) -> Vec<String> {
    let mut dirs = vec![format!("{}.device.requires", mapper(e))];
    if !e.noauto {
        dirs.push("local-fs.target.wants".into());
        if !e.nofail {
            dirs.push("local-fs-pre.target.requires".into());
        }
    }
    dirs
}

/// The unit for one line.
fn unit_text(e: &Entry, tab: &Path, tool: &Path, dmsetup: &Path) -> String {
    let devices = device_units(e).join(" ");
    let boot = if e.nofail {
        "# nofail: not ordered before local-fs-pre.target, the boot does not wait.\n"
    } else {
        "Wants=local-fs-pre.target\nBefore=local-fs-pre.target\n"
    };
    format!(
        "# Written by dm-remap-tool generate from {tab}.\n\
         # Pulled in at boot (unless noauto), on demand by {mapper}.device\n\
         # (a mount of /dev/mapper/{name}), and after boot by the udev rule's\n\
         # SYSTEMD_WANTS when a disk of the pair appears late.\n\
         [Unit]\n\
         Description=dm-remap device {name}\n\
         SourcePath={tab}\n\
         DefaultDependencies=no\n\
         # Not stopped by an isolate, e.g. the initramfs's switch to root.\n\
         IgnoreOnIsolate=yes\n\
         # Requires=, not BindsTo=: a device unit that goes away (the spare's\n\
         # link during an outage) must not stop this unit and remove the device.\n\
         Requires={devices}\n\
         After={devices}\n\
         After=systemd-udevd-kernel.socket\n\
         Wants=blockdev@{mapper}.target\n\
         Before=blockdev@{mapper}.target\n\
         {boot}\
         Conflicts=umount.target\n\
         Before=umount.target\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         RemainAfterExit=yes\n\
         TimeoutSec={TIMEOUT_SEC}\n\
         ExecStart={tool} assemble --remaptab {tab} {name}\n\
         ExecStop={dmsetup} remove {name}\n",
        tab = tab.display(),
        name = e.name,
        mapper = mapper(e),
        tool = tool.display(),
        dmsetup = dmsetup.display(),
    )
}

/// The units of a line's two devices (the spare by its udev link when
/// the line names it by UUID).
fn device_units(e: &Entry) -> [String; 2] {
    let spare = match &e.spare {
        Dev::Path(p) => p.clone(),
        Dev::Uuid(u) => PathBuf::from("/dev/disk/by-remap-uuid").join(u),
    };
    [&e.main, &spare].map(|p| format!("{}.device", escape_path(p)))
}

/// `dev-mapper-<name>`: the escaped path of the remap device.
fn mapper(e: &Entry) -> String {
    escape_path(&Path::new("/dev/mapper").join(&e.name))
}

/// Writes `text` to `path`.
fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).map_err(|err| io(path, err))
}

/// Creates the directory `path` if it is not there.
fn write_dir(path: &Path) -> Result<()> {
    fs::create_dir_all(path).map_err(|err| io(path, err))
}

/// An I/O error on `path`.
fn io(path: &Path, err: std::io::Error) -> Error {
    Error::Io(format!("{}: {err}", path.display()))
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
    use super::{escape_path, generate, DEVICE_TIMEOUT_DROP_IN};
    use std::fs;
    use std::path::{Path, PathBuf};

    const UUID: &str = "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab";

    /// Runs the generator on `tab` (None: no remaptab) into a fresh
    /// directory; returns the directory and the lines left out.
    fn run(test: &str, tab: Option<&str>) -> (PathBuf, Vec<String>) {
        let root = std::env::temp_dir().join(format!("dmr-generator-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let out = root.join("out");
        fs::create_dir_all(&out).unwrap();
        let path = root.join("remaptab");
        if let Some(text) = tab {
            fs::write(&path, text).unwrap();
        }
        let skipped = generate(&path, &out, Path::new("/usr/sbin/dm-remap-tool"), Path::new("/sbin/dmsetup")).unwrap();
        (out, skipped)
    }

    /// Removes what `run` made.
    fn clean(out: &Path) {
        fs::remove_dir_all(out.parent().unwrap()).unwrap();
    }

    /// The units written.
    fn units(out: &Path) -> Vec<String> {
        let mut found: Vec<String> =
            fs::read_dir(out).unwrap().map(|f| f.unwrap().file_name().into_string().unwrap()).collect();
        found.retain(|f| f.ends_with(".service"));
        found.sort();
        found
    }

    /// The lines of a unit, without its comments.
    fn unit(out: &Path, name: &str) -> Vec<String> {
        let text = fs::read_to_string(out.join(format!("dm-remap-{name}.service"))).unwrap();
        text.lines().filter(|l| !l.starts_with('#')).map(String::from).collect()
    }

    /// Every symbolic link under `out`, as `<dir>/<name> -> <target>`.
    fn links(out: &Path) -> Vec<String> {
        let mut found = Vec::new();
        for dir in fs::read_dir(out).unwrap().map(|d| d.unwrap().path()).filter(|d| d.is_dir()) {
            for link in fs::read_dir(&dir).unwrap().map(|l| l.unwrap().path()) {
                if let Ok(target) = fs::read_link(&link) {
                    let name = link.strip_prefix(out).unwrap().display().to_string();
                    found.push(format!("{name} -> {}", target.display()));
                }
            }
        }
        found.sort();
        found
    }

    fn has(lines: &[String], line: &str) -> bool {
        lines.iter().any(|l| l == line)
    }

    #[test]
    fn plain_line() {
        let (out, skipped) = run("plain", Some("plain /dev/vda /dev/vdb block_size=65536\n"));
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(units(&out), ["dm-remap-plain.service"]);
        let u = unit(&out, "plain");
        let exec_start = format!("ExecStart=/usr/sbin/dm-remap-tool assemble --remaptab {} plain", {
            out.with_file_name("remaptab").display()
        });
        for line in [
            "DefaultDependencies=no",
            "IgnoreOnIsolate=yes",
            "Requires=dev-vda.device dev-vdb.device",
            "After=dev-vda.device dev-vdb.device",
            "Wants=local-fs-pre.target",
            "Before=local-fs-pre.target",
            "Wants=blockdev@dev-mapper-plain.target",
            "Before=blockdev@dev-mapper-plain.target",
            "Conflicts=umount.target",
            "Before=umount.target",
            "TimeoutSec=300",
            &exec_start,
            "ExecStop=/sbin/dmsetup remove plain",
        ] {
            assert!(has(&u, line), "no {line:?} in {u:#?}");
        }
        assert!(!u.iter().any(|l| l.starts_with("BindsTo=")), "{u:#?}");
        let unit = "dm-remap-plain.service -> ../dm-remap-plain.service";
        assert_eq!(
            links(&out),
            [
                format!("dev-mapper-plain.device.requires/{unit}"),
                format!("local-fs-pre.target.requires/{unit}"),
                format!("local-fs.target.wants/{unit}"),
            ]
        );
        assert!(!fs::read_dir(&out).unwrap().any(|d| d.unwrap().path().extension().is_some_and(|x| x == "d")));
        clean(&out);
    }

    #[test]
    fn nofail_line() {
        let (out, _) = run("nofail", Some(&format!("data /dev/disk/by-id/virtio-main UUID={UUID} nofail\n")));
        let u = unit(&out, "data");
        let devices = format!(
            "dev-disk-by\\x2did-virtio\\x2dmain.device dev-disk-by\\x2dremap\\x2duuid-{}.device",
            UUID.replace('-', "\\x2d")
        );
        assert!(has(&u, &format!("Requires={devices}")), "{u:#?}");
        assert!(has(&u, &format!("After={devices}")), "{u:#?}");
        assert!(has(&u, "IgnoreOnIsolate=yes") && has(&u, "TimeoutSec=300"), "{u:#?}");
        assert!(!u.iter().any(|l| l.contains("local-fs-pre") || l.starts_with("BindsTo=")), "{u:#?}");
        let unit = "dm-remap-data.service -> ../dm-remap-data.service";
        assert_eq!(
            links(&out),
            [format!("dev-mapper-data.device.requires/{unit}"), format!("local-fs.target.wants/{unit}")]
        );
        clean(&out);
    }

    #[test]
    fn noauto_line() {
        let (out, _) = run("noauto", Some("manual /dev/vdc /dev/vdd noauto\n"));
        assert_eq!(units(&out), ["dm-remap-manual.service"]);
        let u = unit(&out, "manual");
        assert!(has(&u, "Requires=dev-vdc.device dev-vdd.device") && has(&u, "Before=local-fs-pre.target"), "{u:#?}");
        assert!(has(&u, "IgnoreOnIsolate=yes") && !u.iter().any(|l| l.starts_with("BindsTo=")), "{u:#?}");
        let unit = "dm-remap-manual.service -> ../dm-remap-manual.service";
        assert_eq!(links(&out), [format!("dev-mapper-manual.device.requires/{unit}")]);
        clean(&out);
    }

    #[test]
    fn device_timeout_drop_ins() {
        let tab = format!("data /dev/vda UUID={UUID} x-systemd.device-timeout=5min\nother /dev/vdc /dev/vdd\n");
        let (out, _) = run("timeout", Some(&tab));
        let spare = format!("dev-disk-by\\x2dremap\\x2duuid-{}.device", UUID.replace('-', "\\x2d"));
        for device in ["dev-vda.device", spare.as_str()] {
            let text = fs::read_to_string(out.join(format!("{device}.d")).join(DEVICE_TIMEOUT_DROP_IN)).unwrap();
            assert!(text.ends_with("\n[Unit]\nJobRunningTimeoutSec=5min\n"), "{device}: {text}");
        }
        for device in ["dev-vdc.device", "dev-vdd.device"] {
            assert!(!out.join(format!("{device}.d")).exists(), "{device} has a drop-in");
        }
        clean(&out);
    }

    #[test]
    fn a_bad_line_leaves_out_only_itself() {
        let tab = "a /dev/vda /dev/vdb\nb /dev/vdc\nc /dev/vdd /dev/vde nofail,bogus\na /dev/vdf /dev/vdg\nd /dev/vdh /dev/vdi nofail\n";
        let (out, skipped) = run("bad", Some(tab));
        assert_eq!(units(&out), ["dm-remap-a.service", "dm-remap-d.service"]);
        assert_eq!(skipped.len(), 3, "{skipped:?}");
        assert!(skipped[0].starts_with("line 2: 2 fields"), "{skipped:?}");
        assert!(skipped[1].starts_with("line 3: unknown option 'bogus'"), "{skipped:?}");
        assert_eq!(skipped[2], "line 4: a second line for 'a'");
        assert!(has(&unit(&out, "a"), "Requires=dev-vda.device dev-vdb.device"), "the first line of a name wins");
        assert!(has(&unit(&out, "d"), "Requires=dev-vdh.device dev-vdi.device"));
        assert_eq!(links(&out).len(), 5, "{:#?}", links(&out));
        clean(&out);
    }

    #[test]
    fn no_remaptab_no_units() {
        let (out, skipped) = run("none", None);
        assert!(skipped.is_empty());
        assert_eq!(fs::read_dir(&out).unwrap().count(), 0);
        clean(&out);
    }

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
