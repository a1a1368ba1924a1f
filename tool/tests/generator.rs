//! The systemd generator's units, checked by systemd's own tools:
//! `systemd-escape --path` for the device unit names, `systemd-analyze
//! verify` for the units (as systemd loads them from the generator
//! directory, links and drop-ins included).

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
    run_env(program, args, &[])
}

/// `run` with more environment variables.
fn run_env(program: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = Command::new(program).args(args).envs(env.iter().copied()).output();
    let out = out.unwrap_or_else(|e| panic!("{program}: {e}"));
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
            "data /dev/disk/by-id/virtio-main UUID={UUID} nofail,x-systemd.device-timeout=5min\n\
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
    let main = "dev-disk-by\\x2did-virtio\\x2dmain.device";
    let devices = format!("{main} dev-disk-by\\x2dremap\\x2duuid-{}.device", UUID.replace('-', "\\x2d"));
    assert!(data.contains(&format!("\nRequires={devices}\n")), "{data}");
    assert!(data.contains(&format!("\nAfter={devices}\n")), "{data}");
    assert!(!data.contains("\nBindsTo="), "{data}");
    assert!(!data.contains("\nBefore=local-fs-pre.target"), "{data}");
    assert!(data.contains(&format!("ExecStart={tool} assemble --remaptab {} data\n", tab.display())), "{data}");
    let plain = fs::read_to_string(out.join("dm-remap-plain.service")).unwrap();
    assert!(plain.contains("\nRequires=dev-vda.device dev-vdb.device\n"), "{plain}");
    assert!(plain.contains("\nBefore=local-fs-pre.target\n"), "{plain}");
    // Every line is startable on demand through its mapped device; only
    // lines without noauto at boot.
    for (link, unit) in [
        ("local-fs.target.wants", "data"),
        ("dev-mapper-data.device.requires", "data"),
        ("local-fs.target.wants", "plain"),
        ("local-fs-pre.target.requires", "plain"),
        ("dev-mapper-plain.device.requires", "plain"),
        ("dev-mapper-manual.device.requires", "manual"),
    ] {
        let unit = format!("dm-remap-{unit}.service");
        assert_eq!(fs::read_link(out.join(link).join(&unit)).unwrap(), Path::new("..").join(&unit), "{link}");
    }
    assert!(!out.join("local-fs-pre.target.requires/dm-remap-data.service").exists());
    assert!(!out.join("local-fs.target.wants/dm-remap-manual.service").exists());
    // Checked as systemd loads them: from the generator directory as a unit
    // path, with the links and the device drop-ins.
    let path = format!("{}:", out.display());
    for unit in ["dm-remap-data.service", "dm-remap-plain.service", "dm-remap-manual.service", main] {
        let text = run_env("systemd-analyze", &["verify", "--man=no", unit], &[("SYSTEMD_UNIT_PATH", &path)]);
        assert!(text.is_empty(), "systemd-analyze verify on {unit}: {text}");
    }
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn leaves_out_a_bad_line() {
    let d = dir("bad");
    let tab = d.join("remaptab");
    fs::write(&tab, "data /dev/vda\nother /dev/vdb /dev/vdc\n").unwrap();
    let tool = env!("CARGO_BIN_EXE_dm-remap-tool");
    let out = Command::new(tool).args(["generate", "--remaptab", tab.to_str().unwrap(), d.to_str().unwrap()]).output();
    let out = out.unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with(&format!("dm-remap-generator: {}: line 1: 2 fields", tab.display())), "{err}");
    assert!(d.join("dm-remap-other.service").exists() && !d.join("dm-remap-data.service").exists());
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
