//! Replays a prefix of a dm-log-writes log onto two image files, main and
//! spare: the logged device is main followed by spare (two dm-linear
//! slices of one log, so the order of writes across both is kept).
//!
//! The images live in a directory with a `pos` file (how many entries they
//! hold), so points taken in order replay only what lies between them. Each
//! step also refreshes `check-main.img` and `check-spare.img`, the copies
//! the kernel loads (a load may write to them; the replay state stays as
//! the log made it).

use crate::logwrites::{Entry, Log, DISCARD, MARK};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Sizes of the two devices, in bytes.
#[derive(Clone, Copy)]
pub struct Devices {
    pub main: u64,
    pub spare: u64,
}

fn image(dir: &Path, name: &str, size: u64, reset: bool) -> io::Result<File> {
    let f = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(dir.join(name))?;
    if reset {
        f.set_len(0)?;
    }
    f.set_len(size)?;
    Ok(f)
}

fn apply(log: &Log, e: &Entry, dev: Devices, main: &File, spare: &File, index: usize) -> io::Result<()> {
    if e.flags & MARK != 0 || e.len == 0 {
        return Ok(());
    }
    let end = e.byte.checked_add(e.len);
    let (file, at) = match end {
        Some(end) if end <= dev.main => (main, e.byte),
        Some(end) if e.byte >= dev.main && end <= dev.main + dev.spare => (spare, e.byte - dev.main),
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("entry {index} writes {} bytes at byte {}, across or past the devices", e.len, e.byte),
            ))
        }
    };
    let mut data = vec![0u8; e.len as usize];
    if e.flags & DISCARD == 0 {
        log.file.read_exact_at(&mut data, e.data_offset(log.sectorsize))?;
    }
    file.write_all_at(&data, at)
}

/// Brings the images in `dir` to the state after the first `point`
/// entries of `log`, and refreshes the check copies.
pub fn step(log: &Log, dir: &Path, point: usize, dev: Devices) -> io::Result<()> {
    if point > log.entries.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("point {point} is past the log's {} entries", log.entries.len()),
        ));
    }
    let pos_file = dir.join("pos");
    let pos: usize = fs::read_to_string(&pos_file).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    let reset = point < pos || pos == 0;
    let (main, spare) = (image(dir, "main.img", dev.main, reset)?, image(dir, "spare.img", dev.spare, reset)?);
    let from = if reset { 0 } else { pos };
    for (i, e) in log.entries.iter().enumerate().take(point).skip(from) {
        apply(log, e, dev, &main, &spare, i)?;
    }
    fs::write(&pos_file, format!("{point}\n"))?;
    fs::copy(dir.join("main.img"), dir.join("check-main.img"))?;
    fs::copy(dir.join("spare.img"), dir.join("check-spare.img"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logwrites::tests::{build, file_of};
    use crate::logwrites::{FLUSH, FUA};

    #[test]
    fn replays_prefixes_in_either_order() {
        let dir = std::env::temp_dir().join(format!("dmr-replay-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let dev = Devices { main: 4096, spare: 4096 };
        // Main sector 1, then spare sector 0 (logged sector 8), then main
        // sector 1 again.
        let log = build(&[
            (1, vec![1; 512], 0, ""),
            (0, vec![], FLUSH, ""),
            (8, vec![2; 512], FUA, ""),
            (1, vec![3; 512], FUA, ""),
        ]);
        let log = Log::open(file_of(&log)).unwrap();
        let at = |name: &str, off: usize| fs::read(dir.join(name)).unwrap()[off];
        step(&log, &dir, 3, dev).unwrap();
        assert_eq!((at("check-main.img", 512), at("check-spare.img", 0)), (1, 2));
        step(&log, &dir, 4, dev).unwrap();
        assert_eq!(at("check-main.img", 512), 3);
        step(&log, &dir, 1, dev).unwrap();
        assert_eq!((at("check-main.img", 512), at("check-spare.img", 0)), (1, 0));
        fs::remove_file(dir.join("pos")).unwrap();
        let past = Log::open(file_of(&build(&[(16, vec![1; 512], 0, "")]))).unwrap();
        assert!(step(&past, &dir, 1, dev).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
