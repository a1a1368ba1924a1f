//! The systemd generator's units, checked by systemd's own tools:
//! `systemd-escape --path` for the device unit names, `systemd-analyze
//! verify` for the units.

use dm_remap_tool::generator::escape_path;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const UUID: &str = "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab";

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dm-remap-generator-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{program} {args:?}: {text}");
    text
}

#[test]
fn device_names_as_systemd_escape() {
    for path in ["/dev/disk/by-id/wwn-0x5000c500a1b2c3d4-part1", "/dev/disk/by-remap-uuid/x-y", "/dev/sd b", "/dev/x.y"]
    {
        assert_eq!(escape_path(Path::new(path)), run("systemd-escape", &["--path", path]).trim(), "{path}");
    }
}

#[test]
fn units_per_line() {
    let d = dir("units");
    let tab = d.join("remaptab");
    fs::write(
        &tab,
        format!(
            "data /dev/disk/by-id/virtio-main UUID={UUID} nofail\n\
             plain /dev/vda /dev/vdb block_size=65536\n\
             manual /dev/vdc /dev/vdd noauto\n"
        ),
    )
    .unwrap();
    let out = d.join("out");
    fs::create_dir_all(&out).unwrap();
    let tool = env!("CARGO_BIN_EXE_dm-remap-tool");
    run(tool, &["generate", "--remaptab", tab.to_str().unwrap(), out.to_str().unwrap(), "/tmp", "/tmp"]);
    let data = fs::read_to_string(out.join("dm-remap-data.service")).unwrap();
    let devices = format!("dev-disk-by\\x2did-virtio\\x2dmain.device dev-disk-by\\x2dremap\\x2duuid-{}.device", {
        UUID.replace('-', "\\x2d")
    });
    assert!(data.contains(&format!("BindsTo={devices}\n")), "{data}");
    assert!(data.contains(&format!("After={devices}\n")), "{data}");
    assert!(data.contains("Before=local-fs-pre.target umount.target\n"), "{data}");
    assert!(data.contains(&format!("ExecStart={tool} assemble --remaptab {} data\n", tab.display())), "{data}");
    let plain = fs::read_to_string(out.join("dm-remap-plain.service")).unwrap();
    assert!(plain.contains("BindsTo=dev-vda.device dev-vdb.device\n"), "{plain}");
    assert!(!out.join("dm-remap-manual.service").exists(), "a noauto line has a unit");
    // nofail: wanted; otherwise required by local-fs-pre.target.
    let wanted = out.join("local-fs-pre.target.wants/dm-remap-data.service");
    let required = out.join("local-fs-pre.target.requires/dm-remap-plain.service");
    assert_eq!(fs::read_link(wanted).unwrap(), out.join("dm-remap-data.service"));
    assert_eq!(fs::read_link(required).unwrap(), out.join("dm-remap-plain.service"));
    for unit in ["dm-remap-data.service", "dm-remap-plain.service"] {
        let text = run("systemd-analyze", &["verify", "--man=no", out.join(unit).to_str().unwrap()]);
        assert!(!text.contains(unit), "systemd-analyze verify on {unit}: {text}");
    }
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn refuses_a_bad_remaptab() {
    let d = dir("bad");
    let tab = d.join("remaptab");
    fs::write(&tab, "data /dev/vda\n").unwrap();
    let tool = env!("CARGO_BIN_EXE_dm-remap-tool");
    let out = Command::new(tool).args(["generate", "--remaptab", tab.to_str().unwrap(), "/tmp"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1: 2 fields"));
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn monitor_unit_verifies() {
    let d = dir("monitor");
    let unit = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/dist/dm-remap-monitor.service")).unwrap();
    assert!(unit.contains("ExecStart=/usr/sbin/dm-remap-tool monitor\n"), "{unit}");
    // Checked with this build in the installed tool's place.
    let here = unit.replace("/usr/sbin/dm-remap-tool", env!("CARGO_BIN_EXE_dm-remap-tool"));
    let path = d.join("dm-remap-monitor.service");
    fs::write(&path, here).unwrap();
    let text = run("systemd-analyze", &["verify", "--man=no", path.to_str().unwrap()]);
    assert!(!text.contains("dm-remap-monitor.service"), "systemd-analyze verify: {text}");
    fs::remove_dir_all(&d).unwrap();
}
