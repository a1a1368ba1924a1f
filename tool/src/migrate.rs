//! `migrate`: copies a remap device onto a new disk, to move off a failing
//! main, as ddrescue copies a failing disk. It reads the remap device
//! itself, so relocated blocks come from the spare.
//!
//! Before writing anything it refuses a destination that is the remap
//! device, its main or its spare, one the kernel will not open
//! exclusively (mounted, held by device-mapper, LVM, md...), one smaller
//! than the device, and (without `--force`) one that carries a signature:
//! dm-remap metadata, or anything util-linux's `blkid -p` recognises.
//!
//! It lists the blocks whose data is lost (pending: their reads fail),
//! then copies in two passes. The first reads 1 MiB chunks and skips a
//! chunk whose read fails; the second reads those chunks block by block,
//! retrying a failing block, and writes zeros for a block that never
//! reads. Progress goes to stderr. With `--map`, a map file
//! (`rescue_map`) records after every chunk what is copied, to retry or
//! unreadable; a later run with the same map resumes. Exit 1 if any block
//! is unreadable, naming them.

use crate::dmsetup;
use crate::identity::split_dev;
use crate::rescue_map::{Header, Map, Status};
use crate::spare::{Error, Result, Spare};
use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The first pass's unit of reading, and the second pass's unit of
/// writing and of saving the map.
const CHUNK: usize = 1 << 20;

/// How much of the destination must be zeros when blkid is not there to
/// tell what it holds.
const PROBE: usize = 64 << 10;

/// `migrate`'s options.
pub struct Options {
    /// Write over a destination that carries a signature.
    pub force: bool,
    /// Save the copy's progress in this map file, and resume from it when
    /// it exists.
    pub map: Option<PathBuf>,
    /// Further reads of a block whose first read fails in the second pass.
    pub retries: u32,
}

/// What `migrate` needs of the remap device's table line.
#[derive(Debug, PartialEq, Eq)]
struct Table {
    main: (u64, u64),
    spare: (u64, u64),
    block_size: usize,
}

/// Parses `0 <len> remap <main maj:min> <spare maj:min> <n> block_size
/// <bytes> ...`; None for any other line.
fn parse_table(line: &str) -> Option<Table> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let devno = |w: &&str| -> Option<(u64, u64)> {
        let (major, minor) = w.split_once(':')?;
        Some((major.parse().ok()?, minor.parse().ok()?))
    };
    let block_size = words.iter().position(|&w| w == "block_size").and_then(|i| words.get(i + 1)?.parse().ok());
    match words.get(2) {
        Some(&"remap") => {
            Some(Table { main: devno(words.get(3)?)?, spare: devno(words.get(4)?)?, block_size: block_size? })
        }
        _ => None,
    }
}

fn read_table(dev: &Path) -> Result<Table> {
    let table = dmsetup::run(&["table", &dev.to_string_lossy()])?;
    let line = match table.lines().collect::<Vec<_>>()[..] {
        [one] => one,
        _ => "",
    };
    parse_table(line)
        .ok_or_else(|| Error::Usage(format!("{} is not a remap device (its table: {})", dev.display(), table.trim())))
}

/// Which of the pair's devices the device numbered `to` is, if it is one:
/// the remap device (numbered `dev`) itself, its main or its spare.
fn pair_device(to: (u64, u64), dev: (u64, u64), table: &Table) -> Option<&'static str> {
    [
        (dev, "the remap device itself"),
        (table.main, "this remap device's main"),
        (table.spare, "this remap device's spare"),
    ]
    .into_iter()
    .find(|&(d, _)| d == to)
    .map(|(_, what)| what)
}

/// The (major, minor) of block device `path`; None for anything else.
fn devno(path: &Path) -> Result<Option<(u64, u64)>> {
    let meta = fs::metadata(path).map_err(|e| Error::Io(format!("cannot stat {}: {e}", path.display())))?;
    Ok(meta.file_type().is_block_device().then(|| split_dev(meta.rdev())))
}

/// Refuses a destination that is the remap device, its main or its spare.
fn refuse_pair_device(dev: &Path, to: &Path, table: &Table) -> Result<()> {
    let (Some(dev_no), Some(to_no)) = (devno(dev)?, devno(to)?) else { return Ok(()) };
    match pair_device(to_no, dev_no, table) {
        Some(what) => Err(Error::Usage(format!(
            "{} ({}:{}) is {what}: refusing to copy onto it (migrate copies onto a new disk)",
            to.display(),
            to_no.0,
            to_no.1
        ))),
        None => Ok(()),
    }
}

/// " (held by dm-3 (hold))": the holders sysfs names for `path`, or "".
fn held_by(path: &Path) -> String {
    let Ok(Some((major, minor))) = devno(path) else { return String::new() };
    let holders = fs::read_dir(format!("/sys/dev/block/{major}:{minor}/holders"));
    let mut names: Vec<String> = holders
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            match fs::read_to_string(e.path().join("dm/name")) {
                Ok(dm) => format!("{name} ({})", dm.trim()),
                Err(_) => name,
            }
        })
        .collect();
    names.sort();
    if names.is_empty() {
        String::new()
    } else {
        format!(" (held by {})", names.join(", "))
    }
}

/// Opens the destination for direct I/O, exclusively: the kernel refuses
/// (EBUSY) a device that is mounted or held by device-mapper, LVM or md.
fn open_destination(to: &Path) -> Result<File> {
    let flags = libc::O_DIRECT | libc::O_EXCL;
    OpenOptions::new().read(true).write(true).custom_flags(flags).open(to).map_err(|e| match e.raw_os_error() {
        Some(libc::EBUSY) => Error::Usage(format!(
            "{} is in use{}: the kernel refuses to open it exclusively (it is mounted, held by \
             device-mapper, LVM or md, or another program has it open exclusively); refusing to write to it",
            to.display(),
            held_by(to)
        )),
        _ => Error::Io(format!("cannot open {}: {e}", to.display())),
    })
}

fn open_source(dev: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECT)
        .open(dev)
        .map_err(|e| Error::Io(format!("cannot open {}: {e}", dev.display())))
}

fn size(mut file: &File, path: &Path) -> Result<u64> {
    file.seek(SeekFrom::End(0)).map_err(|e| Error::Io(format!("{}: cannot get size: {e}", path.display())))
}

/// A buffer aligned for O_DIRECT.
struct Aligned {
    mem: Vec<u8>,
    at: usize,
    len: usize,
}

impl Aligned {
    fn new(len: usize) -> Self {
        let mem = vec![0; len + 4096];
        let at = mem.as_ptr().align_offset(4096);
        Self { mem, at, len }
    }

    fn bytes(&mut self, n: usize) -> &mut [u8] {
        &mut self.mem[self.at..self.at + n.min(self.len)]
    }

    fn filled(&self, n: usize) -> &[u8] {
        &self.mem[self.at..self.at + n.min(self.len)]
    }
}

/// What `blkid -p -o export` found, from its exit status and output:
/// Some(a description) for a signature, None for none (exit 2, or only a
/// partition's place in its table); Err for an exit status that says
/// neither.
fn blkid_verdict(code: Option<i32>, export: &str) -> std::result::Result<Option<String>, String> {
    let get = |key: &str| export.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('='));
    let mut found = Vec::new();
    if let Some(t) = get("TYPE") {
        found.push(match get("USAGE") {
            Some("filesystem") if t.starts_with(['a', 'e', 'i', 'o', 'u']) => format!("an {t} filesystem (TYPE={t})"),
            Some("filesystem") => format!("a {t} filesystem (TYPE={t})"),
            Some("raid") => format!("a RAID or volume group member (TYPE={t})"),
            Some("crypto") => format!("an encrypted volume (TYPE={t})"),
            _ => format!("a {t} signature (TYPE={t})"),
        });
    }
    if let Some(p) = get("PTTYPE") {
        found.push(format!("a {p} partition table (PTTYPE={p})"));
    }
    match code {
        Some(0) => Ok((!found.is_empty()).then(|| found.join(" and "))),
        Some(2) => Ok(None),
        Some(8) => Ok(Some("signatures that contradict each other (blkid -p: ambivalent result)".into())),
        Some(c) => Err(format!("exit status {c}")),
        None => Err("killed by a signal".into()),
    }
}

/// util-linux's blkid where Debian installs it (not busybox's applet).
fn blkid_program() -> Option<PathBuf> {
    ["/usr/sbin/blkid", "/sbin/blkid", "/usr/bin/blkid", "/bin/blkid"]
        .into_iter()
        .find(|p| fs::canonicalize(p).is_ok_and(|real| real.file_name().is_some_and(|n| n == "blkid")))
        .map(PathBuf::from)
}

fn blkid(program: &Path, to: &Path) -> Result<Option<String>> {
    let out = Command::new(program)
        .args(["-p", "-o", "export"])
        .arg(to)
        .output()
        .map_err(|e| Error::Io(format!("{}: {e}", program.display())))?;
    blkid_verdict(out.status.code(), &String::from_utf8_lossy(&out.stdout)).map_err(|why| {
        let said = String::from_utf8_lossy(&out.stderr);
        Error::Io(format!("{} -p {}: {why}: {}", program.display(), to.display(), said.trim()))
    })
}

/// Whether `to` holds dm-remap metadata: a valid commit, or data in the
/// log behind zeroed commit slots (a damaged spare, as the kernel sees it).
fn dm_remap_signature(to: &Path) -> Result<Option<String>> {
    Ok(match Spare::open(to, false)?.pick() {
        Ok(_) => Some(format!("dm-remap metadata (a spare: `dm-remap-tool dump {}` shows it)", to.display())),
        Err(Error::Metadata(m)) if m.contains("holds data") => {
            Some(format!("what may be damaged dm-remap metadata ({m})"))
        }
        Err(_) => None,
    })
}

/// Without blkid: whether the first 64 KiB of `to` hold anything but zeros.
fn nonzero_start(dst: &File, to: &Path, bytes: u64) -> Result<Option<String>> {
    let mut buf = Aligned::new(PROBE);
    let n = PROBE.min(bytes as usize) & !511;
    let probe = buf.bytes(n);
    dst.read_exact_at(probe, 0).map_err(|e| Error::Io(format!("cannot read {}: {e}", to.display())))?;
    Ok(probe.iter().any(|&b| b != 0).then(|| "data in its first 64 KiB (blkid is not installed to tell what)".into()))
}

/// What signature `to` carries, if any; and a note when only its first
/// 64 KiB could be checked.
fn signature(to: &Path, dst: &File, bytes: u64) -> Result<(Option<String>, Option<String>)> {
    if let Some(what) = dm_remap_signature(to)? {
        return Ok((Some(what), None));
    }
    match blkid_program() {
        Some(program) => Ok((blkid(&program, to)?, None)),
        None => Ok((
            nonzero_start(dst, to, bytes)?,
            Some(format!(
                "blkid (util-linux) is not installed: only checked that the first 64 KiB of {} are zeros",
                to.display()
            )),
        )),
    }
}

/// Refuses, without `force`, a destination that carries a signature.
/// Returns a note for stderr: what --force overwrites, or how little
/// could be checked.
fn check_signature(to: &Path, dst: &File, bytes: u64, force: bool, resuming: bool) -> Result<Option<String>> {
    match signature(to, dst, bytes)? {
        (Some(what), _) if !force => Err(Error::Usage(format!(
            "{} holds {what}; use --force to overwrite it{}",
            to.display(),
            if resuming { " (or to resume onto it, if it is the copy the map records)" } else { "" }
        ))),
        (Some(what), _) => Ok(Some(format!("overwriting {what} on {} (--force)", to.display()))),
        (None, note) => Ok(note),
    }
}

/// Main blocks the target lists as lost (pending or lost).
fn lost_blocks(dev: &str) -> Result<Vec<u64>> {
    let list = dmsetup::run(&["message", dev, "0", "list"])?;
    Ok(list
        .lines()
        .filter_map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
            [main, _, "lost"] => main.parse().ok(),
            _ => None,
        })
        .collect())
}

fn list_lost(dev: &Path, to: &Path, bs: u64) -> Result<()> {
    let lost = lost_blocks(&dev.to_string_lossy())?;
    println!("{} blocks with lost data (they will read as zeros on {}):", lost.len(), to.display());
    lost.iter().for_each(|b| println!("  block {b} (bytes {} to {})", b * bs, (b + 1) * bs - 1));
    Ok(())
}

/// The map to copy by: the one in `path` when it exists (refused, exit 2,
/// when it does not parse or is another copy's), else a fresh one; and
/// whether it was read.
fn start_map(header: Header, path: Option<&Path>) -> Result<(Map, bool)> {
    if let Some(path) = path {
        match fs::read_to_string(path) {
            Ok(text) => {
                let bad = |why| Error::Usage(format!("{} is not a map of this copy: {why}", path.display()));
                let map = Map::parse(&text).map_err(bad)?;
                return match map.header().mismatch(&header) {
                    Some(why) => Err(bad(why + "; refusing to resume from it")),
                    None => Ok((map, true)),
                };
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::Io(format!("cannot read {}: {e}", path.display()))),
        }
    }
    Ok((Map::new(header).map_err(Error::Usage)?, false))
}

/// Writes the map to `<path>.tmp`, flushes it, and renames it to `path`.
fn save_map(map: &Map, path: &Path) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let io = |what: &str, e: std::io::Error| Error::Io(format!("cannot {what} {}: {e}", tmp.display()));
    let mut file = File::create(&tmp).map_err(|e| io("create", e))?;
    file.write_all(map.render().as_bytes()).map_err(|e| io("write", e))?;
    file.sync_all().map_err(|e| io("flush", e))?;
    fs::rename(&tmp, path).map_err(|e| Error::Io(format!("cannot rename {} to {}: {e}", tmp.display(), path.display())))
}

/// The progress line of pass `pass`, `tried` bytes in `secs` seconds.
fn progress_line(pass: u8, map: &Map, tried: u64, secs: f64) -> String {
    let unreadable = map.unreadable_blocks().len();
    format!(
        "pass {pass}: {} MiB of {} MiB copied, {} areas to retry{}, {:.1} MiB/s",
        map.bytes(Status::Copied) >> 20,
        map.header().size >> 20,
        map.with(Status::Failed).len(),
        if unreadable > 0 { format!(", {unreadable} blocks unreadable") } else { String::new() },
        tried as f64 / f64::from(1 << 20) / secs.max(0.001)
    )
}

/// A pass's progress on stderr: at most once a second, and at its end.
struct Progress {
    pass: u8,
    started: Instant,
    shown: Instant,
    tried: u64,
}

impl Progress {
    fn new(pass: u8) -> Self {
        Self { pass, started: Instant::now(), shown: Instant::now(), tried: 0 }
    }

    fn step(&mut self, n: usize, map: &Map) {
        self.tried += n as u64;
        if self.shown.elapsed() >= Duration::from_secs(1) {
            self.show(map);
        }
    }

    fn show(&mut self, map: &Map) {
        eprintln!("{}", progress_line(self.pass, map, self.tried, self.started.elapsed().as_secs_f64()));
        self.shown = Instant::now();
    }
}

/// Where the copy reads: the remap device (a fake one in tests).
trait Source {
    /// Fills `buf` from byte `pos`; any error is a failed read.
    fn read_at(&self, buf: &mut [u8], pos: u64) -> std::io::Result<()>;
}

impl Source for File {
    fn read_at(&self, buf: &mut [u8], pos: u64) -> std::io::Result<()> {
        self.read_exact_at(buf, pos)
    }
}

/// A copy in progress: the map says what is done.
struct Rescue<'a, S: Source> {
    src: S,
    dst: File,
    to: &'a Path,
    map: Map,
    map_file: Option<&'a Path>,
    retries: u32,
    buf: Aligned,
    /// Bytes read and written by this run.
    copied_now: u64,
}

impl<'a, S: Source> Rescue<'a, S> {
    fn new(src: S, dst: File, to: &'a Path, map: Map, map_file: Option<&'a Path>, retries: u32) -> Self {
        Self { src, dst, to, map, map_file, retries, buf: Aligned::new(CHUNK), copied_now: 0 }
    }

    fn write(&self, pos: u64, n: usize) -> Result<()> {
        let to = self.to.display();
        self.dst
            .write_all_at(self.buf.filled(n), pos)
            .map_err(|e| Error::Io(format!("cannot write {to} at byte {pos}: {e}")))
    }

    /// With a map file: flushes the destination (what the map calls
    /// copied is on it), then saves the map.
    fn save(&self) -> Result<()> {
        let Some(path) = self.map_file else { return Ok(()) };
        self.dst.sync_data().map_err(|e| Error::Io(format!("cannot flush {}: {e}", self.to.display())))?;
        save_map(&self.map, path)
    }

    /// Both passes, the map saved first (so a map file that cannot be
    /// written stops the copy before it starts).
    fn run(&mut self) -> Result<()> {
        self.save()?;
        self.first_pass()?;
        self.second_pass()
    }

    /// The untried ranges in chunks: a chunk that reads is written; one
    /// that fails is marked for the second pass, not retried now.
    fn first_pass(&mut self) -> Result<()> {
        let mut progress = Progress::new(1);
        for (start, len) in self.map.with(Status::Untried) {
            for pos in (start..start + len).step_by(CHUNK) {
                let n = CHUNK.min((start + len - pos) as usize);
                let status = match self.src.read_at(self.buf.bytes(n), pos) {
                    Ok(()) => {
                        self.write(pos, n)?;
                        self.copied_now += n as u64;
                        Status::Copied
                    }
                    Err(_) => Status::Failed,
                };
                self.map.set(pos, n as u64, status);
                self.save()?;
                progress.step(n, &self.map);
            }
        }
        progress.show(&self.map);
        Ok(())
    }

    /// The failed and unreadable ranges, a chunk at a time, block by block.
    fn second_pass(&mut self) -> Result<()> {
        let mut progress = Progress::new(2);
        for (start, len) in self.map.to_retry() {
            for pos in (start..start + len).step_by(CHUNK) {
                let n = CHUNK.min((start + len - pos) as usize);
                self.rescue(pos, n)?;
                self.save()?;
                progress.step(n, &self.map);
            }
        }
        progress.show(&self.map);
        Ok(())
    }

    /// Reads `n` bytes from `pos` block by block, a failing block up to
    /// `retries` more times, and writes them: zeros for a block that never
    /// read, which the map records as unreadable.
    fn rescue(&mut self, pos: u64, n: usize) -> Result<()> {
        let bs = self.map.header().block_size as usize;
        let mut bad = Vec::new();
        for (i, block) in self.buf.bytes(n).chunks_mut(bs).enumerate() {
            let at = pos + (i * bs) as u64;
            if (0..=self.retries).any(|_| self.src.read_at(block, at).is_ok()) {
                self.copied_now += block.len() as u64;
            } else {
                block.fill(0);
                bad.push(at);
            }
        }
        self.write(pos, n)?;
        self.map.set(pos, n as u64, Status::Copied);
        bad.into_iter().for_each(|at| self.map.set(at, bs as u64, Status::Unreadable));
        Ok(())
    }

    /// Flushes the destination, saves the map a last time and says what
    /// was copied; Metadata (exit 1) naming the unreadable blocks, if any.
    fn finish(self, from: &Path, resumed: bool) -> Result<()> {
        self.dst.sync_all().map_err(|e| Error::Io(format!("cannot flush {}: {e}", self.to.display())))?;
        self.save()?;
        let to = self.to.display();
        println!("copied {} MiB from {} to {to}", self.map.header().size >> 20, from.display());
        if let (true, Some(map)) = (resumed, self.map_file) {
            println!(
                "this run copied {} bytes; the rest was copied before, as {} records",
                self.copied_now,
                map.display()
            );
        }
        let unreadable = self.map.unreadable_blocks();
        if unreadable.is_empty() {
            return Ok(());
        }
        Err(Error::Metadata(format!(
            "{} blocks could not be read and are zeros on {to}: {unreadable:?}",
            unreadable.len()
        )))
    }
}

/// `migrate <remap device> <new disk>`.
pub fn migrate(dev: &Path, to: &Path, opts: &Options) -> Result<()> {
    let table = read_table(dev)?;
    refuse_pair_device(dev, to, &table)?;
    let dst = open_destination(to)?;
    let src = open_source(dev)?;
    let bytes = size(&src, dev)?;
    let room = size(&dst, to)?;
    if room < bytes {
        return Err(Error::Usage(format!(
            "{} ({room} bytes) is smaller than {} ({bytes} bytes)",
            to.display(),
            dev.display()
        )));
    }
    let header = Header {
        from: dev.display().to_string(),
        to: to.display().to_string(),
        size: bytes,
        block_size: table.block_size as u64,
    };
    let (map, resumed) = start_map(header, opts.map.as_deref())?;
    let note = check_signature(to, &dst, room, opts.force, resumed)?;
    list_lost(dev, to, map.header().block_size)?;
    if let Some(note) = note {
        eprintln!("{note}");
    }
    if let (true, Some(path)) = (resumed, &opts.map) {
        let (copied, untried) = (map.bytes(Status::Copied), map.bytes(Status::Untried));
        let retry: u64 = map.to_retry().iter().map(|r| r.1).sum();
        println!("resuming from {}: {copied} bytes copied before, {untried} to copy, {retry} to retry", path.display());
    }
    let mut copy = Rescue::new(src, dst, to, map, opts.map.as_deref(), opts.retries);
    copy.run()?;
    copy.finish(dev, resumed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn table_words() {
        let line = "0 131072 remap 253:0 1:1 2 block_size 4096\n";
        assert_eq!(parse_table(line), Some(Table { main: (253, 0), spare: (1, 1), block_size: 4096 }));
        let features = "0 8 remap 8:16 259:3 6 block_size 512 read_retries 3 scrub 10";
        assert_eq!(parse_table(features), Some(Table { main: (8, 16), spare: (259, 3), block_size: 512 }));
        for other in [
            "0 131072 linear 1:0 0",
            "0 8 remap /dev/sdb 1:1 2 block_size 4096",
            "0 8 remap 8:16 1:x 2 block_size 4096",
            "0 8 remap 8:16 1:1 0",
            "0 8 remap 8:16",
            "0 8 other 8:16 8:32 2 block_size 4096",
            "",
        ] {
            assert_eq!(parse_table(other), None, "{other}");
        }
    }

    #[test]
    fn pair_devices_refused() {
        let table = Table { main: (253, 0), spare: (1, 1), block_size: 4096 };
        let dev = (253, 1);
        assert_eq!(pair_device((253, 1), dev, &table), Some("the remap device itself"));
        assert_eq!(pair_device((253, 0), dev, &table), Some("this remap device's main"));
        assert_eq!(pair_device((1, 1), dev, &table), Some("this remap device's spare"));
        for other in [(1, 0), (1, 2), (253, 2), (0, 0), (8, 0)] {
            assert_eq!(pair_device(other, dev, &table), None, "{other:?}");
        }
    }

    #[test]
    fn blkid_signatures_named() {
        let ext4 = "DEVNAME=/dev/sdc\nUUID=75cf\nBLOCK_SIZE=1024\nTYPE=ext4\nUSAGE=filesystem\n";
        assert_eq!(blkid_verdict(Some(0), ext4), Ok(Some("an ext4 filesystem (TYPE=ext4)".into())));
        let xfs = "TYPE=xfs\nUSAGE=filesystem\n";
        assert_eq!(blkid_verdict(Some(0), xfs), Ok(Some("a xfs filesystem (TYPE=xfs)".into())));
        let lvm = "UUID=x\nVERSION=LVM2 001\nTYPE=LVM2_member\nUSAGE=raid\n";
        assert_eq!(blkid_verdict(Some(0), lvm), Ok(Some("a RAID or volume group member (TYPE=LVM2_member)".into())));
        let luks = "TYPE=crypto_LUKS\nUSAGE=crypto\n";
        assert_eq!(blkid_verdict(Some(0), luks), Ok(Some("an encrypted volume (TYPE=crypto_LUKS)".into())));
        let swap = "TYPE=swap\nUSAGE=other\n";
        assert_eq!(blkid_verdict(Some(0), swap), Ok(Some("a swap signature (TYPE=swap)".into())));
        let gpt = "DEVNAME=/dev/sdc\nPTUUID=1234\nPTTYPE=gpt\n";
        assert_eq!(blkid_verdict(Some(0), gpt), Ok(Some("a gpt partition table (PTTYPE=gpt)".into())));
        let both = "TYPE=vfat\nUSAGE=filesystem\nPTTYPE=dos\n";
        assert_eq!(
            blkid_verdict(Some(0), both),
            Ok(Some("a vfat filesystem (TYPE=vfat) and a dos partition table (PTTYPE=dos)".into()))
        );
        // A partition's place in its table is no signature of its own.
        let part = "DEVNAME=/dev/sdc1\nPART_ENTRY_SCHEME=gpt\nPART_ENTRY_TYPE=0fc6\nPART_ENTRY_NUMBER=1\n";
        assert_eq!(blkid_verdict(Some(0), part), Ok(None));
        assert_eq!(blkid_verdict(Some(2), ""), Ok(None));
        assert!(blkid_verdict(Some(8), "").is_ok_and(|f| f.is_some_and(|f| f.contains("contradict"))));
        assert_eq!(blkid_verdict(Some(4), ""), Err("exit status 4".into()));
        assert_eq!(blkid_verdict(None, ext4), Err("killed by a signal".into()));
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dmr-migrate-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn dm_remap_metadata_is_a_signature() {
        use dm_remap_core::format::{LOG_START, MBLOCK};
        let dir = scratch("signature");
        let image = dir.join("spare");
        fs::write(&image, vec![0; 8 << 20]).unwrap();
        assert_eq!(dm_remap_signature(&image).unwrap(), None);
        // Data in the log behind zeroed commit slots: a damaged spare.
        let file = OpenOptions::new().write(true).open(&image).unwrap();
        file.write_all_at(b"log", LOG_START * MBLOCK as u64).unwrap();
        let damaged = dm_remap_signature(&image).unwrap().unwrap_or_default();
        assert!(damaged.starts_with("what may be damaged dm-remap metadata"), "{damaged}");
        crate::commands::format(&image, None, Some(2048), 4096, true).unwrap();
        let spare = dm_remap_signature(&image).unwrap().unwrap_or_default();
        assert!(spare.starts_with("dm-remap metadata (a spare"), "{spare}");
        // Random data is not ours.
        let noise: Vec<u8> = (0..8u32 << 20).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        fs::write(&image, noise).unwrap();
        assert_eq!(dm_remap_signature(&image).unwrap(), None);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn first_64_kib_without_blkid() {
        let dir = scratch("probe");
        let path = dir.join("disk");
        fs::write(&path, vec![0; 1 << 20]).unwrap();
        let disk = OpenOptions::new().read(true).write(true).open(&path).unwrap();
        assert_eq!(nonzero_start(&disk, &path, 1 << 20).unwrap(), None);
        disk.write_all_at(&[1], PROBE as u64).unwrap();
        assert_eq!(nonzero_start(&disk, &path, 1 << 20).unwrap(), None);
        disk.write_all_at(&[1], PROBE as u64 - 1).unwrap();
        let found = nonzero_start(&disk, &path, 1 << 20).unwrap().unwrap_or_default();
        assert!(found.starts_with("data in its first 64 KiB"), "{found}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn progress_lines() {
        let header = Header { from: "/dev/mapper/r".into(), to: "/dev/sdc".into(), size: 256 << 20, block_size: 4096 };
        let mut map = Map::new(header).unwrap();
        map.set(0, 37 << 20, Status::Copied);
        map.set(37 << 20, 1 << 20, Status::Failed);
        map.set(40 << 20, 1 << 20, Status::Failed);
        let line = progress_line(1, &map, 51 << 20, 10.0);
        assert_eq!(line, "pass 1: 37 MiB of 256 MiB copied, 2 areas to retry, 5.1 MiB/s");
        map.set(37 << 20, 8192, Status::Unreadable);
        let line = progress_line(2, &map, 1 << 19, 5.0);
        assert_eq!(line, "pass 2: 37 MiB of 256 MiB copied, 2 areas to retry, 2 blocks unreadable, 0.1 MiB/s");
    }

    /// A device of `data` whose blocks in `bad` fail every read; it
    /// records each read as (byte, length, ok).
    struct Fake {
        data: Vec<u8>,
        bad: Vec<u64>,
        bs: u64,
        reads: RefCell<Vec<(u64, usize, bool)>>,
    }

    impl Source for Fake {
        fn read_at(&self, buf: &mut [u8], pos: u64) -> std::io::Result<()> {
            let end = pos + buf.len() as u64;
            let ok = !self.bad.iter().any(|&b| b * self.bs < end && (b + 1) * self.bs > pos);
            self.reads.borrow_mut().push((pos, buf.len(), ok));
            if !ok {
                return Err(std::io::Error::from_raw_os_error(libc::EIO));
            }
            buf.copy_from_slice(&self.data[pos as usize..end as usize]);
            Ok(())
        }
    }

    /// Copies `data` (blocks `bad` failing) onto a file by `map`, saved
    /// in `map_file`; the reads made, the result and what the file holds.
    fn copy(data: &[u8], bad: &[u64], map: Map, map_file: &Path, retries: u32) -> (Vec<(u64, usize, bool)>, Vec<u8>) {
        let dst_path = map_file.with_extension("dst");
        let dst = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&dst_path).unwrap();
        let bs = map.header().block_size;
        let src = Fake { data: data.to_vec(), bad: bad.to_vec(), bs, reads: RefCell::new(Vec::new()) };
        let mut copy = Rescue::new(src, dst, &dst_path, map, Some(map_file), retries);
        copy.run().unwrap();
        let reads = copy.src.reads.take();
        (reads, fs::read(&dst_path).unwrap())
    }

    #[test]
    fn two_passes_then_resume() {
        let dir = scratch("passes");
        let map_file = dir.join("map");
        let size = (3 << 20) + 8192;
        let data: Vec<u8> = (0..size as u32).map(|i| (i.wrapping_mul(2654435761) >> 11) as u8).collect();
        let header = Header { from: "/dev/mapper/r".into(), to: "/dev/sdc".into(), size, block_size: 4096 };
        let (map, resumed) = start_map(header.clone(), Some(&map_file)).unwrap();
        assert!(!resumed);
        // Blocks 100 and 101 fail (chunk 0), and 300 (chunk 1).
        let (reads, got) = copy(&data, &[100, 101, 300], map, &map_file, 2);
        let failed: Vec<_> = reads.iter().filter(|r| !r.2).map(|r| (r.0, r.1)).collect();
        let mut want = vec![(0, CHUNK), (1 << 20, CHUNK)];
        // The second pass: three reads of each bad block (2 retries).
        for b in [100u64, 101, 300] {
            want.extend([(b * 4096, 4096); 3]);
        }
        assert_eq!(failed, want);
        let mut expect = data.clone();
        for b in [100usize, 101, 300] {
            expect[b * 4096..(b + 1) * 4096].fill(0);
        }
        assert!(got == expect, "the copy differs from the data with the bad blocks zeroed");
        let text = fs::read_to_string(&map_file).unwrap();
        let ranges: Vec<_> = text.lines().skip(1).collect();
        assert_eq!(ranges, ["0 409600 +", "409600 8192 -", "417792 811008 +", "1228800 4096 -", "1232896 1921024 +"]);
        assert!(!dir.join("map.tmp").exists());
        // Resumed: only the unreadable blocks are read again; block 101
        // reads now.
        let (map, resumed) = start_map(header, Some(&map_file)).unwrap();
        assert!(resumed);
        let (reads, got) = copy(&data, &[100, 300], map, &map_file, 0);
        let tried: Vec<_> = reads.iter().map(|r| (r.0 / 4096, r.2)).collect();
        assert_eq!(tried, [(100, false), (101, true), (300, false)]);
        expect[101 * 4096..102 * 4096].copy_from_slice(&data[101 * 4096..102 * 4096]);
        assert!(got == expect, "the resumed copy differs");
        let text = fs::read_to_string(&map_file).unwrap();
        assert_eq!(text.lines().nth(2), Some("409600 4096 -"));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unwritable_map_stops_before_copying() {
        let dir = scratch("unwritable");
        let map_file = dir.join("gone/map");
        let header = Header { from: "/dev/mapper/r".into(), to: "/dev/sdc".into(), size: 1 << 20, block_size: 4096 };
        let (map, _) = start_map(header, Some(&map_file)).unwrap();
        let dst = File::create(dir.join("dst")).unwrap();
        let src = Fake { data: vec![7; 1 << 20], bad: vec![], bs: 4096, reads: RefCell::new(Vec::new()) };
        let mut copy = Rescue::new(src, dst, &map_file, map, Some(&map_file), 1);
        assert!(matches!(copy.run(), Err(Error::Io(m)) if m.starts_with("cannot create")));
        assert_eq!(copy.src.reads.take(), []);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn resume_reads_only_what_is_left() {
        let dir = scratch("resume");
        let map_file = dir.join("map");
        let data: Vec<u8> = (0..4u32 << 20).map(|i| (i >> 9) as u8).collect();
        let header = Header { from: "/dev/mapper/r".into(), to: "/dev/sdc".into(), size: 4 << 20, block_size: 4096 };
        // As a run killed after its first chunks left it.
        let mut map = Map::new(header.clone()).unwrap();
        map.set(0, 1 << 20, Status::Copied);
        map.set(1 << 20, 1 << 20, Status::Failed);
        fs::write(&map_file, map.render()).unwrap();
        let (map, _) = start_map(header.clone(), Some(&map_file)).unwrap();
        let (reads, got) = copy(&data, &[], map, &map_file, 1);
        let chunks: Vec<_> = reads.iter().filter(|r| r.1 == CHUNK).map(|r| r.0 >> 20).collect();
        assert_eq!(chunks, [2, 3]);
        assert_eq!(reads.iter().filter(|r| r.1 == 4096).count(), 256);
        assert_eq!(reads.iter().filter(|r| r.1 == 4096).map(|r| r.0 >> 20).max(), Some(1));
        assert!(got[1 << 20..] == data[1 << 20..], "what was left is not copied");
        // Another copy's map is refused (exit 2), and so is a damaged one.
        let other = Header { size: 8 << 20, ..header.clone() };
        let err = start_map(other, Some(&map_file)).err();
        assert!(matches!(&err, Some(Error::Usage(m)) if m.contains("its size is 4194304 bytes")), "{err:?}");
        fs::write(&map_file, "0 4194304 +\n").unwrap();
        assert!(matches!(start_map(header, Some(&map_file)), Err(Error::Usage(_))));
        fs::remove_dir_all(&dir).unwrap();
    }
}
