//! dm-remap-tool on image files, healthy and damaged.

use dm_remap_core::format::{BlockState, Record, Superblock, LOG_START, MBLOCK};
use dm_remap_core::journal;
use std::fs::{self, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let d = std::env::temp_dir().join(format!("dm-remap-tool-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        Dir(d)
    }

    fn image(&self, name: &str, bytes: u64) -> PathBuf {
        let p = self.0.join(name);
        fs::File::create(&p).unwrap().set_len(bytes).unwrap();
        p
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn tool(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dm-remap-tool")).args(args).output().unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("killed by a signal")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A formatted 16 MiB spare for a 64 MiB main.
fn formatted(d: &Dir) -> PathBuf {
    let spare = d.image("spare", 16 << 20);
    let o = tool(&["format", s(&spare), "--main-sectors", "131072"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    spare
}

/// Commits `n` remaps to the image the way the kernel does.
fn commit_remaps(spare: &Path, n: u64) {
    let f = OpenOptions::new().read(true).write(true).open(spare).unwrap();
    let mut a = [0; MBLOCK];
    let mut b = [0; MBLOCK];
    f.read_exact_at(&mut a, 0).unwrap();
    f.read_exact_at(&mut b, MBLOCK as u64).unwrap();
    let pick = dm_remap_core::format::pick_slot(&a, &b).unwrap();
    let sb = pick.sb;
    let recs: Vec<Record> = (0..n)
        .map(|i| Record {
            main: 10 + i * 2,
            spare: (sb.alloc_next + i) as u32,
            state: if i == 0 { BlockState::Lost } else { BlockState::Remapped },
        })
        .collect();
    let prev = if pick.slot == 0 { a } else { b };
    let (mut slot, mut log) = ([0; MBLOCK], [0; MBLOCK]);
    let next = journal::prepare_commit::<()>(&sb, &prev, &recs, sb.alloc_next + n, &mut slot, &mut log, |i, blk| {
        f.write_all_at(blk, (LOG_START + i) * MBLOCK as u64).unwrap();
        Ok(())
    })
    .unwrap();
    f.write_all_at(&slot, Superblock::slot_of(next.seq) * MBLOCK as u64).unwrap();
}

fn flip(spare: &Path, byte: u64) {
    let f = OpenOptions::new().read(true).write(true).open(spare).unwrap();
    let mut x = [0u8; 1];
    f.read_exact_at(&mut x, byte).unwrap();
    f.write_all_at(&[x[0] ^ 0x10], byte).unwrap();
}

#[test]
fn format_check_dump() {
    let d = Dir::new("fcd");
    let spare = formatted(&d);
    let o = tool(&["check", s(&spare)]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("slot A: valid, commit 1"), "{}", text(&o));
    assert!(text(&o).contains("slot B: valid, commit 2"), "either slot alone loads: {}", text(&o));
    commit_remaps(&spare, 300);
    let o = tool(&["check", s(&spare)]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("300 remaps (1 with lost data)"), "{}", text(&o));
    let o = tool(&["dump", s(&spare)]);
    assert!(text(&o).contains("main block 10 -> spare block 0 (lost)"), "{}", text(&o));
    let o = tool(&["dump", "--json", s(&spare)]);
    let j = text(&o);
    assert!(j.starts_with("{\"uuid\":\"") && j.trim_end().ends_with("]}"), "{j}");
    assert_eq!(j.matches("\"main_block\"").count(), 300);
    assert!(j.contains("\"spare_blocks_used\":300"));
}

#[test]
fn a_reader_that_stops_early_ends_the_tool_by_sigpipe() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let d = Dir::new("pipe");
    let spare = formatted(&d);
    commit_remaps(&spare, 3000);
    // `dump | head -1`: more output than a pipe holds, its reader gone.
    let mut child = Command::new(env!("CARGO_BIN_EXE_dm-remap-tool"))
        .args(["dump", s(&spare)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.signal(), Some(libc::SIGPIPE), "{}", text(&o));
    assert!(o.stderr.is_empty(), "{}", text(&o));
}

#[test]
fn format_refuses_non_zero_metadata_area() {
    let d = Dir::new("nz");
    let spare = d.image("spare", 16 << 20);
    fs::OpenOptions::new().write(true).open(&spare).unwrap().write_all_at(b"data", 3 * MBLOCK as u64).unwrap();
    let o = tool(&["format", s(&spare), "--main-sectors", "131072"]);
    assert_eq!(code(&o), 1);
    assert!(text(&o).contains("not all zeros"), "{}", text(&o));
    let o = tool(&["format", "--force", s(&spare), "--main-sectors", "131072"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
}

#[test]
fn damaged_slot_is_reported_and_repaired() {
    let d = Dir::new("slot");
    let spare = formatted(&d);
    commit_remaps(&spare, 5); // commit 3, in slot A
    flip(&spare, MBLOCK as u64 + 40); // slot B (commit 2): damaged
    let o = tool(&["check", s(&spare)]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("slot B: DAMAGED"), "{}", text(&o));
    assert!(text(&o).contains("5 remaps"), "the good slot is still used: {}", text(&o));
    let o = tool(&["repair", s(&spare)]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = tool(&["check", s(&spare)]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("using commit 4"), "{}", text(&o));
}

#[test]
fn a_fresh_format_loads_from_either_slot() {
    for byte in [40, MBLOCK as u64 + 40] {
        let d = Dir::new("fresh");
        let spare = formatted(&d);
        flip(&spare, byte);
        let o = tool(&["check", s(&spare)]);
        assert_eq!(code(&o), 1, "{}", text(&o));
        assert!(text(&o).contains("DAMAGED") && text(&o).contains("0 remaps"), "{}", text(&o));
    }
}

#[test]
fn both_slots_damaged_is_unusable() {
    let d = Dir::new("both");
    let spare = formatted(&d);
    commit_remaps(&spare, 5);
    flip(&spare, 40);
    flip(&spare, MBLOCK as u64 + 40);
    for cmd in ["check", "dump", "repair"] {
        let o = tool(&[cmd, s(&spare)]);
        assert_eq!(code(&o), 1, "{cmd}: {}", text(&o));
        assert!(text(&o).contains("Both metadata slots are corrupt"), "{cmd}: {}", text(&o));
    }
}

#[test]
fn damaged_log_block_is_reported() {
    let d = Dir::new("log");
    let spare = formatted(&d);
    commit_remaps(&spare, 600); // two full log blocks
    flip(&spare, LOG_START * MBLOCK as u64 + 500);
    let o = tool(&["check", s(&spare)]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("log block is corrupt"), "{}", text(&o));
    assert_eq!(code(&tool(&["repair", s(&spare)])), 1);
}

#[test]
fn bad_input_gives_clear_errors_not_panics() {
    let d = Dir::new("bad");
    let o = tool(&["check", "/nonexistent/spare"]);
    assert_eq!(code(&o), 3);
    assert!(text(&o).contains("cannot open /nonexistent/spare"));
    let zero = d.image("zero", 1 << 20);
    let o = tool(&["check", s(&zero)]);
    assert_eq!(code(&o), 1);
    assert!(text(&o).contains("not formatted"));
    let short = d.image("short", 5000);
    let o = tool(&["dump", s(&short)]);
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(text(&o).contains("cannot read metadata block 1"), "{}", text(&o));
    let o = tool(&["format", s(&short), "--main-sectors", "100"]);
    assert_eq!(code(&o), 1);
    assert!(text(&o).contains("too small"), "{}", text(&o));
    let o = tool(&["format", s(&zero), "--main-sectors", "100", "--block-size", "1000"]);
    assert_eq!(code(&o), 1);
    assert!(text(&o).contains("power of two"), "{}", text(&o));
    assert_eq!(code(&tool(&["format", s(&zero)])), 2, "--main or --main-sectors is required");
    assert_eq!(code(&tool(&["frobnicate"])), 2);
    for o in [tool(&[]), tool(&["check"])] {
        assert_eq!(code(&o), 2);
        assert!(!text(&o).contains("panicked"));
    }
}
