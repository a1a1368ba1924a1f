//! Replays a prefix of a dm-log-writes log onto two image files, main and
//! spare: the logged device is main followed by spare (two dm-linear
//! slices of one log, so the order of writes across both is kept).
//!
//! `main.img` and `spare.img` in the replay's directory hold the state the
//! log made; points taken in order replay only what lies between them. Each
//! step also refreshes `check-main.img` and `check-spare.img`, the copies
//! the kernel loads (a load may write to them).

use crate::logwrites::{Log, DISCARD, MARK};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

/// Sizes of the two devices, in bytes.
#[derive(Clone, Copy)]
pub struct Devices {
    pub main: u64,
    pub spare: u64,
}

/// The images of a log replayed up to `pos` entries.
pub struct Replay<'a> {
    log: &'a Log,
    dir: PathBuf,
    dev: Devices,
    main: File,
    spare: File,
    pos: usize,
}

fn zeroed(file: &File, size: u64) -> io::Result<()> {
    file.set_len(0)?;
    file.set_len(size)
}

impl<'a> Replay<'a> {
    /// Zeroed images of the sizes of `dev` in `dir`: the state before the
    /// log's first entry.
    pub fn new(log: &'a Log, dir: PathBuf, dev: Devices) -> io::Result<Self> {
        let open = |name| OpenOptions::new().read(true).write(true).create(true).truncate(true).open(dir.join(name));
        let (main, spare) = (open("main.img")?, open("spare.img")?);
        zeroed(&main, dev.main)?;
        zeroed(&spare, dev.spare)?;
        Ok(Replay { log, dir, dev, main, spare, pos: 0 })
    }

    fn apply(&self, index: usize) -> io::Result<()> {
        let e = &self.log.entries[index];
        if e.flags & MARK != 0 || e.len == 0 {
            return Ok(());
        }
        let dev = self.dev;
        let (file, at) = match e.byte.checked_add(e.len) {
            Some(end) if end <= dev.main => (&self.main, e.byte),
            Some(end) if e.byte >= dev.main && end <= dev.main + dev.spare => (&self.spare, e.byte - dev.main),
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("entry {index} writes {} bytes at byte {}, across or past the devices", e.len, e.byte),
                ))
            }
        };
        let mut data = vec![0u8; e.len as usize];
        if e.flags & DISCARD == 0 {
            self.log.file.read_exact_at(&mut data, e.data_offset(self.log.sectorsize))?;
        }
        file.write_all_at(&data, at)
    }

    /// Brings the images to the state after the first `point` entries,
    /// and refreshes the check copies.
    pub fn to(&mut self, point: usize) -> io::Result<()> {
        if point > self.log.entries.len() {
            let n = self.log.entries.len();
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("point {point} is past the log's {n} entries"),
            ));
        }
        if point < self.pos {
            zeroed(&self.main, self.dev.main)?;
            zeroed(&self.spare, self.dev.spare)?;
            self.pos = 0;
        }
        for i in self.pos..point {
            self.apply(i)?;
        }
        self.pos = point;
        fs::copy(self.dir.join("main.img"), self.dir.join("check-main.img"))?;
        fs::copy(self.dir.join("spare.img"), self.dir.join("check-spare.img"))?;
        Ok(())
    }
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
        let mut r = Replay::new(&log, dir.clone(), dev).unwrap();
        r.to(3).unwrap();
        assert_eq!((at("check-main.img", 512), at("check-spare.img", 0)), (1, 2));
        r.to(4).unwrap();
        assert_eq!(at("check-main.img", 512), 3);
        r.to(1).unwrap();
        assert_eq!((at("check-main.img", 512), at("check-spare.img", 0)), (1, 0));
        assert!(r.to(5).is_err());
        let past = Log::open(file_of(&build(&[(16, vec![1; 512], 0, "")]))).unwrap();
        assert!(Replay::new(&past, dir.clone(), dev).unwrap().to(1).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
