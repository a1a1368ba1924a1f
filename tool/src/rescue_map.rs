//! The map of a `migrate` copy, in the manner of ddrescue's mapfile: for
//! every byte range of the remap device, whether it is copied, failed in
//! the first pass (to be retried block by block), unreadable (zeros were
//! written) or not tried yet. Pure code: `migrate` reads and writes the
//! file. Its text, ranges contiguous from 0 to the size, neighbours of the
//! same status merged:
//!
//! ```text
//! # dm-remap-tool migrate map: from /dev/mapper/r to /dev/sdc size 67108864 block_size 4096
//! 0 409600 +
//! 409600 4096 -
//! 413696 66695168 +
//! ```
//!
//! Status characters (ddrescue's, where it has the same meaning): `?` not
//! tried, `*` failed in the first pass, `-` unreadable, `+` copied. A
//! path's whitespace and backslashes are written as fstab writes them
//! (`\040` for a space).

/// What is known of a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not read yet (`?`).
    Untried,
    /// Its first-pass read failed: the second pass reads it block by
    /// block (`*`).
    Failed,
    /// No read of it succeeded: zeros were written in its place (`-`).
    Unreadable,
    /// Read and written (`+`).
    Copied,
}

impl Status {
    /// The character of the map's text.
    pub fn char(self) -> char {
        match self {
            Status::Untried => '?',
            Status::Failed => '*',
            Status::Unreadable => '-',
            Status::Copied => '+',
        }
    }

    fn from_word(word: &str) -> Option<Self> {
        [Status::Untried, Status::Failed, Status::Unreadable, Status::Copied]
            .into_iter()
            .find(|s| word.len() == 1 && word.starts_with(s.char()))
    }
}

/// What a map is a map of: the copy from `from` to `to`, of `size` bytes
/// in blocks of `block_size` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The remap device, as named on the command line.
    pub from: String,
    /// The new disk, as named on the command line.
    pub to: String,
    /// The remap device's size in bytes.
    pub size: u64,
    /// The remap device's block size: the second pass's unit of reading.
    pub block_size: u64,
}

const MAGIC: &str = "# dm-remap-tool migrate map:";

impl Header {
    fn check(&self) -> Result<(), String> {
        if self.size == 0 {
            return Err("the size is 0".into());
        }
        if !self.block_size.is_power_of_two() || !(512..=1 << 20).contains(&self.block_size) {
            return Err(format!("block size {} is not a power of two from 512 to 1048576", self.block_size));
        }
        Ok(())
    }

    fn render(&self) -> String {
        let (from, to) = (escape(&self.from), escape(&self.to));
        format!("{MAGIC} from {from} to {to} size {} block_size {}", self.size, self.block_size)
    }

    fn parse(line: &str) -> Result<Self, String> {
        let rest = line.strip_prefix(MAGIC).ok_or_else(|| format!("the first line is not '{MAGIC} ...'"))?;
        let words: Vec<&str> = rest.split_ascii_whitespace().collect();
        let ["from", from, "to", to, "size", size, "block_size", bs] = words[..] else {
            return Err("the first line is not '... from <device> to <disk> size <bytes> block_size <bytes>'".into());
        };
        let number = |w: &str| w.parse::<u64>().map_err(|_| format!("'{w}' in the first line is not a number"));
        let header = Header { from: unescape(from)?, to: unescape(to)?, size: number(size)?, block_size: number(bs)? };
        header.check()?;
        Ok(header)
    }

    /// Why a map with this header is not one of the copy `want`, if it
    /// is not: every field that differs.
    pub fn mismatch(&self, want: &Header) -> Option<String> {
        let mut why = Vec::new();
        for (what, have, need) in [("from", &self.from, &want.from), ("to", &self.to, &want.to)] {
            if have != need {
                why.push(format!("it copies {what} {have}, not {need}"));
            }
        }
        for (what, have, need) in [("size", self.size, want.size), ("block size", self.block_size, want.block_size)] {
            if have != need {
                why.push(format!("its {what} is {have} bytes, the device's is {need}"));
            }
        }
        (!why.is_empty()).then(|| why.join("; "))
    }
}

/// A path as one word of the first line: ASCII whitespace and `\\` as
/// `\\` and three octal digits, as fstab writes them (`\\040` a space).
fn escape(path: &str) -> String {
    let special = |c: char| c.is_ascii_whitespace() || c == '\\';
    path.chars().map(|c| if special(c) { format!("\\{:03o}", c as u32) } else { c.to_string() }).collect()
}

/// The path that `escape` wrote as `word`.
fn unescape(word: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = word;
    while let Some(at) = rest.find('\\') {
        out += &rest[..at];
        let octal = rest.get(at + 1..at + 4).filter(|o| o.bytes().all(|b| (b'0'..=b'7').contains(&b)));
        let code = octal.and_then(|o| u8::from_str_radix(o, 8).ok());
        out.push(char::from(code.ok_or_else(|| format!("'{word}' in the first line has a bad \\ escape"))?));
        rest = &rest[at + 4..];
    }
    Ok(out + rest)
}

/// A range of bytes and its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The first byte.
    pub start: u64,
    /// Its length in bytes (never 0).
    pub len: u64,
    pub status: Status,
}

/// The map: ranges that cover the device from byte 0, in order, no two
/// neighbours of the same status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Map {
    header: Header,
    ranges: Vec<Range>,
}

/// Appends a range to `ranges`, merged with the last one when it has the
/// same status; an empty range is dropped.
fn push(ranges: &mut Vec<Range>, start: u64, len: u64, status: Status) {
    match ranges.last_mut() {
        _ if len == 0 => {}
        Some(last) if last.status == status && last.start + last.len == start => last.len += len,
        _ => ranges.push(Range { start, len, status }),
    }
}

impl Map {
    /// A map of a copy not started: the whole device untried. Refuses a
    /// size of 0 and a block size that is not a power of two from 512 to
    /// 1 MiB.
    pub fn new(header: Header) -> Result<Self, String> {
        header.check()?;
        let ranges = vec![Range { start: 0, len: header.size, status: Status::Untried }];
        Ok(Self { header, ranges })
    }

    /// What this is a map of.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The ranges, in order from byte 0.
    pub fn ranges(&self) -> &[Range] {
        &self.ranges
    }

    /// Gives `len` bytes from `start` (cut at the end of the device) the
    /// status `status`.
    pub fn set(&mut self, start: u64, len: u64, status: Status) {
        let end = start.saturating_add(len).min(self.header.size);
        if start >= end {
            return;
        }
        let mut out = Vec::with_capacity(self.ranges.len() + 2);
        let mut placed = false;
        for r in std::mem::take(&mut self.ranges) {
            let r_end = r.start + r.len;
            push(&mut out, r.start, r_end.min(start).saturating_sub(r.start), r.status);
            if !placed && r.start < end && r_end > start {
                push(&mut out, start, end - start, status);
                placed = true;
            }
            let after = r.start.max(end);
            push(&mut out, after, r_end.saturating_sub(after), r.status);
        }
        self.ranges = out;
    }

    /// The ranges (start, length) of status `status`, in order.
    pub fn with(&self, status: Status) -> Vec<(u64, u64)> {
        self.ranges.iter().filter(|r| r.status == status).map(|r| (r.start, r.len)).collect()
    }

    /// What a resumed copy reads in its second pass: the ranges that
    /// failed in the first pass and those found unreadable, in order.
    pub fn to_retry(&self) -> Vec<(u64, u64)> {
        let retry = |s| matches!(s, Status::Failed | Status::Unreadable);
        self.ranges.iter().filter(|r| retry(r.status)).map(|r| (r.start, r.len)).collect()
    }

    /// Bytes of status `status`.
    pub fn bytes(&self, status: Status) -> u64 {
        self.ranges.iter().filter(|r| r.status == status).map(|r| r.len).sum()
    }

    /// The numbers of the blocks in unreadable ranges.
    pub fn unreadable_blocks(&self) -> Vec<u64> {
        let bs = self.header.block_size;
        self.with(Status::Unreadable)
            .into_iter()
            .flat_map(|(start, len)| start / bs..(start + len).div_ceil(bs))
            .collect()
    }

    /// The map's text (ends with a newline).
    pub fn render(&self) -> String {
        let mut text = self.header.render() + "\n";
        for r in &self.ranges {
            text += &format!("{} {} {}\n", r.start, r.len, r.status.char());
        }
        text
    }

    /// Reads a map's text. Refuses (saying which line, and why) one that
    /// does not cover the size it records exactly, in order, in ranges
    /// that start on a block boundary. Blank lines and comments after the
    /// first line are skipped.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut lines = text.lines().enumerate();
        let header = Header::parse(lines.next().map_or("", |(_, l)| l))?;
        let mut ranges = Vec::new();
        let mut at = 0;
        for (i, line) in lines {
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.first().is_none_or(|w| w.starts_with('#')) {
                continue;
            }
            let r = range(&words, at, &header).map_err(|why| format!("line {}: {why}", i + 1))?;
            push(&mut ranges, r.start, r.len, r.status);
            at += r.len;
        }
        if at != header.size {
            return Err(format!("the ranges cover {at} bytes, not the {} the first line records", header.size));
        }
        Ok(Self { header, ranges })
    }
}

/// One range line, which must start at `at`.
fn range(words: &[&str], at: u64, header: &Header) -> Result<Range, String> {
    let [start, len, status] = words else {
        return Err("not '<start byte> <length> <status>'".into());
    };
    let number = |w: &str| w.parse::<u64>().map_err(|_| format!("'{w}' is not a number"));
    let (start, len) = (number(start)?, number(len)?);
    let status = Status::from_word(status).ok_or_else(|| format!("'{status}' is not one of ? * - +"))?;
    if start != at {
        return Err(format!("the range starts at {start}, but the one before ends at {at}"));
    }
    if len == 0 || start % header.block_size != 0 {
        return Err(format!("the range {start} {len} is empty or not on a {}-byte block boundary", header.block_size));
    }
    if len > header.size - start {
        return Err(format!("the range {start} {len} goes past the size, {}", header.size));
    }
    Ok(Range { start, len, status })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header { from: "/dev/mapper/r".into(), to: "/dev/sdc".into(), size: 64 << 20, block_size: 4096 }
    }

    fn statuses(map: &Map) -> Vec<(u64, u64, char)> {
        map.ranges().iter().map(|r| (r.start, r.len, r.status.char())).collect()
    }

    #[test]
    fn ranges_split_and_merge() {
        let mut map = Map::new(header()).unwrap();
        map.set(0, 1 << 20, Status::Copied);
        map.set(2 << 20, 1 << 20, Status::Failed);
        map.set(1 << 20, 1 << 20, Status::Copied);
        assert_eq!(statuses(&map), [(0, 2 << 20, '+'), (2 << 20, 1 << 20, '*'), (3 << 20, 61 << 20, '?')]);
        // Block by block inside the failed chunk: it merges with its
        // copied neighbours, but for one block.
        map.set(2 << 20, 4096, Status::Copied);
        map.set((2 << 20) + 8192, (1 << 20) - 8192, Status::Copied);
        map.set((2 << 20) + 4096, 4096, Status::Unreadable);
        let bad = (2 << 20) + 4096;
        assert_eq!(
            statuses(&map),
            [(0, bad, '+'), (bad, 4096, '-'), (bad + 4096, (1 << 20) - 8192, '+'), (3 << 20, 61 << 20, '?')]
        );
        // Over several ranges at once, and cut at the end of the device.
        map.set(4096, 100 << 20, Status::Copied);
        assert_eq!(statuses(&map), [(0, 64 << 20, '+')]);
        map.set(64 << 20, 4096, Status::Failed);
        assert_eq!(statuses(&map), [(0, 64 << 20, '+')]);
        assert_eq!(map.unreadable_blocks(), [] as [u64; 0]);
    }

    #[test]
    fn text_round_trip() {
        let mut map = Map::new(header()).unwrap();
        map.set(0, 409600, Status::Copied);
        map.set(409600, 4096, Status::Unreadable);
        map.set(413696, 1 << 20, Status::Copied);
        map.set(8 << 20, 1 << 20, Status::Failed);
        let text = map.render();
        assert_eq!(
            text,
            "# dm-remap-tool migrate map: from /dev/mapper/r to /dev/sdc size 67108864 block_size 4096\n\
             0 409600 +\n409600 4096 -\n413696 1048576 +\n1462272 6926336 ?\n8388608 1048576 *\n9437184 57671680 ?\n"
        );
        assert_eq!(Map::parse(&text), Ok(map.clone()));
        // Neighbours of one status written apart are merged; comments and
        // blank lines are skipped.
        let split = text.replace("413696 1048576 +\n", "413696 4096 +\n# note\n\n417792 1044480 +\n");
        assert_eq!(Map::parse(&split), Ok(map));
    }

    #[test]
    fn bad_maps_refused() {
        let head = "# dm-remap-tool migrate map: from /dev/mapper/r to /dev/sdc size 8192 block_size 4096\n";
        for (body, why) in [
            ("0 8192 +\n", ""),
            ("0 4096 +\n4096 4096 x\n", "line 3: 'x' is not one of ? * - +"),
            ("0 4096 +\n", "the ranges cover 4096 bytes, not the 8192 the first line records"),
            ("0 4096 +\n0 4096 +\n", "line 3: the range starts at 0, but the one before ends at 4096"),
            ("0 4096 +\n4096 8192 +\n", "line 3: the range 4096 8192 goes past the size, 8192"),
            ("0 512 +\n512 7680 +\n", "line 3: the range 512 7680 is empty or not on a 4096-byte block boundary"),
            ("0 0 +\n0 8192 +\n", "line 2: the range 0 0 is empty or not on a 4096-byte block boundary"),
            ("0 8192\n", "line 2: not '<start byte> <length> <status>'"),
            ("0 8k +\n", "line 2: '8k' is not a number"),
        ] {
            assert_eq!(Map::parse(&format!("{head}{body}")).err().unwrap_or_default(), why, "{body}");
        }
        for (first, why) in [
            ("# ddrescue map", "the first line is not '# dm-remap-tool migrate map: ...'"),
            ("# dm-remap-tool migrate map: from a to b size 8192", "the first line is not '... from"),
            ("# dm-remap-tool migrate map: from a to b size 8192 block_size 1000", "block size 1000 is not"),
            ("# dm-remap-tool migrate map: from a to b size 0 block_size 4096", "the size is 0"),
            ("# dm-remap-tool migrate map: from a to b size -1 block_size 4096", "'-1' in the first line"),
        ] {
            let err = Map::parse(&format!("{first}\n0 8192 +\n")).unwrap_err();
            assert!(err.starts_with(why), "{first}: {err}");
        }
        assert!(Map::parse("").is_err());
        let bad_escape = "# dm-remap-tool migrate map: from /dev/a\\04 to b size 8192 block_size 4096\n0 8192 +\n";
        assert_eq!(Map::parse(bad_escape).unwrap_err(), "'/dev/a\\04' in the first line has a bad \\ escape");
    }

    #[test]
    fn paths_with_spaces_kept() {
        let odd = Header { from: "/dev/mapper/my data".into(), to: "/mnt/new\\disk\t.img".into(), ..header() };
        let map = Map::new(odd.clone()).unwrap();
        let first = map.render().lines().next().unwrap_or_default().to_string();
        assert_eq!(
            first,
            format!("{MAGIC} from /dev/mapper/my\\040data to /mnt/new\\134disk\\011.img size 67108864 block_size 4096")
        );
        assert_eq!(Map::parse(&map.render()).map(|m| m.header().clone()), Ok(odd));
    }

    #[test]
    fn mismatched_header_named() {
        let map = Map::new(header()).unwrap();
        assert_eq!(map.header().mismatch(&header()), None);
        let other = Header { to: "/dev/sdd".into(), size: 32 << 20, ..header() };
        assert_eq!(
            map.header().mismatch(&other).as_deref(),
            Some("it copies to /dev/sdc, not /dev/sdd; its size is 67108864 bytes, the device's is 33554432")
        );
        let blocks = Header { from: "/dev/mapper/s".into(), block_size: 512, ..header() };
        assert_eq!(
            map.header().mismatch(&blocks).as_deref(),
            Some("it copies from /dev/mapper/r, not /dev/mapper/s; its block size is 4096 bytes, the device's is 512")
        );
    }

    #[test]
    fn resume_picks_the_right_ranges() {
        let text = "# dm-remap-tool migrate map: from /dev/mapper/r to /dev/sdc size 16384 block_size 512\n\
                    0 2048 +\n2048 1024 *\n3072 512 -\n3584 4608 ?\n8192 512 *\n8704 7680 +\n";
        let map = Map::parse(text).unwrap();
        assert_eq!(map.with(Status::Untried), [(3584, 4608)]);
        assert_eq!(map.to_retry(), [(2048, 1024), (3072, 512), (8192, 512)]);
        assert_eq!(map.bytes(Status::Copied), 2048 + 7680);
        assert_eq!(map.unreadable_blocks(), [6]);
        // A last block cut short by the end of the device.
        let short = "# dm-remap-tool migrate map: from /dev/mapper/r to /dev/sdc size 12800 block_size 4096\n\
                     0 12288 +\n12288 512 -\n";
        assert_eq!(Map::parse(short).map(|m| m.unreadable_blocks()), Ok(vec![3]));
    }
}
