//! Checks every point of a plan against the real module: replay, then
//! `dm-remap-tool check`, `dmsetup create` (a load with no repair) over
//! loop devices on the check copies, `dmsetup message ... list`, a read of
//! every stamped block and of fio's area, `dmsetup remove`.

use crate::fio;
use crate::logwrites::Log;
use crate::manifest::Manifest;
use crate::points::Kind;
use crate::replay::{Devices, Replay};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The workload's block size (its stamps fill one block each).
const BLOCK: usize = 4096;
/// Blocks read at once.
const CHUNK: usize = 64;
/// The device each point is loaded as.
const NAME: &str = "crash-point";
/// Main as the workload saw it: its check copy, with its defects.
const DISK: &str = "crash-disk";

/// The loop devices over the check copies.
struct Loops {
    main: String,
    spare: String,
}

impl Loops {
    fn attach(dir: &Path) -> Result<Self, String> {
        let attach = |name: &str| {
            let out = cmd("losetup", &["--find", "--show", &dir.join(name).to_string_lossy()])?;
            Ok::<_, String>(out.trim().to_string())
        };
        Ok(Loops { main: attach("check-main.img")?, spare: attach("check-spare.img")? })
    }
}

impl Drop for Loops {
    fn drop(&mut self) {
        // Best effort: the VM's init detaches every loop device after each
        // test anyway.
        let _ = cmd("losetup", &["-d", &self.main, &self.spare]);
    }
}

/// Main's check copy behind a table that fails every I/O to the
/// workload's defects (blocks that fail after a power cut as before it: a
/// pending block must not read just because the copy has no defects).
struct Disk;

impl Disk {
    fn create(m: &Manifest, main: &str) -> Result<Self, String> {
        let (sectors, bs) = (m.devices.0 / 512, BLOCK as u64 / 512);
        let mut lines = Vec::new();
        let mut at = 0;
        for s in m.defects.iter().map(|b| b * bs).filter(|&s| s + bs <= sectors) {
            if s > at {
                lines.push(format!("{at} {} linear {main} {at}", s - at));
            }
            lines.push(format!("{s} {bs} error"));
            at = s + bs;
        }
        if at < sectors {
            lines.push(format!("{at} {} linear {main} {at}", sectors - at));
        }
        let mut child = Command::new("dmsetup")
            .args(["--noudevsync", "create", DISK])
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|e| format!("dmsetup: {e}"))?;
        let table = lines.join("\n") + "\n";
        let written = child.stdin.take().map(|mut i| i.write_all(table.as_bytes()));
        match (written, child.wait()) {
            (Some(Ok(())), Ok(s)) if s.success() => Ok(Disk),
            _ => Err(format!("dmsetup create {DISK} failed with the table:\n{table}")),
        }
    }
}

impl Drop for Disk {
    fn drop(&mut self) {
        let _ = dmsetup(&["remove", DISK]);
    }
}

/// What a block holds: "STAMP <seq> <block>" when each of its sectors
/// says that and its own number (a whole stamp: `stamp` in
/// tests/vm/lib.sh), "" for zeros, else what its first sector says.
fn stamp_of(block: &[u8]) -> String {
    if block.iter().all(|&c| c == 0) {
        return String::new();
    }
    let sectors: Vec<_> = block.chunks(512).map(|s| String::from_utf8_lossy(s).trim_end().to_string()).collect();
    let head = sectors[0].rsplit_once(' ').map_or("", |(h, _)| h);
    let whole = sectors.iter().enumerate().all(|(i, s)| *s == format!("{head} {i}"));
    match whole && head.starts_with("STAMP ") {
        true => head.to_string(),
        false => format!("a torn block, whose first sector says '{:.40}'", sectors[0]),
    }
}

fn cmd(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program).args(args).output().map_err(|e| format!("{program}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("{program} {} failed ({}):\n{text}", args.join(" "), out.status))
    }
}

fn dmsetup(args: &[&str]) -> Result<String, String> {
    cmd("dmsetup", &[&["--noudevsync"], args].concat())
}

/// Reads every stamped block of `device` and fio's area and checks them;
/// checks the module's list of remaps (`<main> <spare> <state>` lines).
/// Returns how many remaps it listed and how many of fio's blocks hold
/// fio's data.
fn verify(m: &Manifest, device: &Path, list: &str) -> Result<(usize, usize), String> {
    let mut dev = Reader::open(device)?;
    let mut failures = verify_region(m, &mut dev)?;
    let (fio_failures, fio_blocks) = verify_fio(m, &mut dev)?;
    failures.extend(fio_failures);
    let mut owner: HashMap<&str, &str> = HashMap::new();
    let mut listed = BTreeSet::new();
    for line in list.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (&[main, spare, _], Ok(block)) = (&f[..], f[0].parse::<u64>()) else {
            return Err(format!("list line '{line}' is not '<main> <spare> <state>'"));
        };
        if let Some(other) = owner.insert(spare, main) {
            failures.push(format!("spare block {spare} is owned by main blocks {other} and {main}"));
        }
        listed.insert(block);
    }
    for b in m.remapped.difference(&listed) {
        failures.push(format!("block {b} was remapped before this point and is not now"));
    }
    if failures.is_empty() {
        Ok((listed.len(), fio_blocks))
    } else {
        Err(failures.join("\n"))
    }
}

/// Reads blocks of the loaded point, with O_DIRECT, up to CHUNK at a time.
struct Reader {
    dev: std::fs::File,
    name: String,
    buf: Vec<u8>,
    at: usize,
}

impl Reader {
    fn open(device: &Path) -> Result<Self, String> {
        let name = device.display().to_string();
        let dev = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECT)
            .open(device)
            .map_err(|e| format!("{name}: {e}"))?;
        let buf = vec![0u8; (CHUNK + 1) * BLOCK];
        let at = buf.as_ptr().align_offset(BLOCK);
        Ok(Reader { dev, name, buf, at })
    }

    /// Reads `n` blocks from block `first`: true if they read, false on
    /// an I/O error. The data is in `chunk()`.
    fn read(&mut self, first: u64, n: usize) -> Result<bool, String> {
        match self.dev.read_exact_at(&mut self.buf[self.at..self.at + n * BLOCK], first * BLOCK as u64) {
            Ok(()) => Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::EIO) => Ok(false),
            Err(e) => Err(format!("{}: block {first}: {e}", self.name)),
        }
    }

    fn chunk(&self, n: usize) -> &[u8] {
        &self.buf[self.at..self.at + n * BLOCK]
    }
}

/// The stamped region: reads up to CHUNK blocks at a time, around the
/// defects that were never written (each read would be a slow error); a
/// chunk that fails (it holds a lost block) is read again block by block.
fn verify_region(m: &Manifest, dev: &mut Reader) -> Result<Vec<String>, String> {
    let mut failures = Vec::new();
    let mut first = 0;
    while first < m.region {
        if m.unwritten_defect(first) {
            first += 1;
            continue;
        }
        let end = (first..m.region)
            .take(CHUNK)
            .find(|&b| m.unwritten_defect(b))
            .unwrap_or(m.region.min(first + CHUNK as u64));
        let n = (end - first) as usize;
        let reads: Vec<Option<String>> = if dev.read(first, n)? {
            dev.chunk(n).chunks(BLOCK).map(|b| Some(stamp_of(b))).collect()
        } else {
            let mut one = Vec::new();
            for b in first..end {
                one.push(dev.read(b, 1)?.then(|| stamp_of(dev.chunk(1))));
            }
            one
        };
        for (b, read) in (first..).zip(&reads) {
            if let Err(e) = m.check_block(b, read.as_deref()) {
                failures.push(e);
            }
        }
        first = end;
    }
    Ok(failures)
}
/// fio's area: every block reads, and holds zeros or a whole fio block of
/// its own offset (see fio.rs). Returns the failures and how many blocks
/// hold fio's data.
fn verify_fio(m: &Manifest, dev: &mut Reader) -> Result<(Vec<String>, usize), String> {
    let Some((start, blocks)) = m.fio else { return Ok((Vec::new(), 0)) };
    let (mut failures, mut written) = (Vec::new(), 0);
    for first in (start..start + blocks).step_by(CHUNK) {
        let n = CHUNK.min((start + blocks - first) as usize);
        if !dev.read(first, n)? {
            failures.push(format!("fio's blocks {first} to {} fail to read", first + n as u64 - 1));
            continue;
        }
        for (b, block) in (first..).zip(dev.chunk(n).chunks(BLOCK)) {
            match fio::check_block(block, b * BLOCK as u64) {
                Err(e) => failures.push(format!("block {b} in fio's area: {e}")),
                Ok(()) => written += usize::from(block.iter().any(|&c| c != 0)),
            }
        }
    }
    Ok((failures, written))
}

/// Seconds spent in each step, over all points.
#[derive(Default)]
struct Times([f64; 6]);

impl Times {
    const STEPS: [&'static str; 6] = ["replay", "check", "create", "list", "read", "remove"];

    fn time<T>(&mut self, step: usize, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.0[step] += start.elapsed().as_secs_f64();
        out
    }
}

/// One point: replay, check, load, read, unload.
fn point(
    log: &Log,
    dir: &Path,
    loops: &Loops,
    replay: &mut Replay,
    p: usize,
    t: &mut Times,
) -> Result<(u64, usize, usize), String> {
    let m = Manifest::at(log, p)?;
    t.time(0, || replay.to(p)).map_err(|e| format!("replay: {e}"))?;
    let spare_img = dir.join("check-spare.img");
    t.time(1, || cmd("dm-remap-tool", &["check", &spare_img.to_string_lossy()]))
        .map_err(|e| format!("dm-remap-tool check is not clean: {e}"))?;
    let table = format!("0 {} remap /dev/mapper/{DISK} {}", m.devices.0 / 512, loops.spare);
    t.time(2, || dmsetup(&["create", NAME, "--table", &table])).map_err(|e| format!("the table does not load: {e}"))?;
    let checked = t
        .time(3, || dmsetup(&["message", NAME, "0", "list"]))
        .and_then(|list| t.time(4, || verify(&m, &Path::new("/dev/mapper").join(NAME), &list)));
    t.time(5, || dmsetup(&["remove", NAME]))?;
    let (remaps, fio_blocks) = checked?;
    Ok((m.acked_writes, remaps, fio_blocks))
}

/// Checks each point in order, with the images in `dir`; stops at the
/// first that fails.
pub fn run(log: &Log, dir: &Path, points: &BTreeMap<usize, Kind>) -> Result<String, String> {
    let start = Manifest::at(log, 0)?;
    let (main, spare) = start.devices;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut replay =
        Replay::new(log, dir.to_path_buf(), Devices { main, spare }).map_err(|e| format!("{}: {e}", dir.display()))?;
    replay.to(0).map_err(|e| format!("{}: {e}", dir.display()))?;
    let loops = Loops::attach(dir)?;
    let _disk = Disk::create(&start, &loops.main)?;
    let (mut acked, mut remaps, mut fio_blocks, mut t) = (0, 0, 0, Times::default());
    for (&p, kind) in points {
        (acked, remaps, fio_blocks) =
            point(log, dir, &loops, &mut replay, p, &mut t).map_err(|e| format!("point {p} ({}): {e}", kind.name()))?;
    }
    if start.fio.is_some() && fio_blocks == 0 {
        return Err("fio's area holds none of fio's data at the last point: nothing there was checked".into());
    }
    let times: Vec<String> = Times::STEPS.iter().zip(t.0).map(|(name, secs)| format!("{name} {secs:.0} s")).collect();
    Ok(format!(
        "{} points clean; at the last, {acked} writes acknowledged, {remaps} remaps and {fio_blocks} blocks of fio's data; time: {}",
        points.len(),
        times.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::stamp_of;

    fn stamp(seq: u64, block: u64) -> Vec<u8> {
        (0..8).flat_map(|i| format!("{:<511}\n", format!("STAMP {seq} {block} {i}")).into_bytes()).collect()
    }

    #[test]
    fn whole_blocks_only() {
        assert_eq!(stamp_of(&stamp(7, 3)), "STAMP 7 3");
        assert_eq!(stamp_of(&[0; 4096]), "");
        let mut torn = stamp(7, 3);
        torn[1536..2048].copy_from_slice(&stamp(6, 3)[1536..2048]);
        assert!(stamp_of(&torn).starts_with("a torn block"));
        torn[1536..2048].fill(0);
        assert!(stamp_of(&torn).starts_with("a torn block"));
        let mut moved = stamp(7, 3);
        moved[512..1024].copy_from_slice(&stamp(7, 3)[1024..1536]);
        assert!(stamp_of(&moved).starts_with("a torn block"), "a sector in the wrong place");
    }
}
