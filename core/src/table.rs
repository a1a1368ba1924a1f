//! The table line: `<main_dev> <spare_dev> [<#feature args> <arg>...]`.

use super::args::{ArgError, ArgSet};
use super::scrub;
use core::ffi::CStr;

/// The most feature arguments a table line may carry.
pub const MAX_FEATURE_ARGS: usize = 16;

/// Remap block size when the table line names none.
pub const DEFAULT_BLOCK_SIZE: u32 = 4096;

/// Times a block that failed a read is read again before it is declared
/// unreadable, when the table line names none.
pub const DEFAULT_READ_RETRIES: u32 = 3;

/// Most read retries a table line may ask for.
pub const MAX_READ_RETRIES: u32 = 100;

/// A parsed table line. Device paths are resolved by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableArgs<'a> {
    pub main: &'a CStr,
    pub spare: &'a CStr,
    /// Bytes per remap block: a power of two from 512 to 1 MiB.
    pub block_size: u32,
    /// Reads of a failed block after the failed I/O, 0 to 100.
    pub read_retries: u32,
    /// The scrub's rate from load, in MiB/s; 0: no scrub until a message
    /// starts one.
    pub scrub_rate: u32,
}

/// Parses the arguments of a table line (everything after the target name).
pub fn parse<'a>(mut args: ArgSet<'a>) -> Result<TableArgs<'a>, ArgError> {
    const COUNT: ArgError =
        ArgError(c"Invalid argument count: expected <main_dev> <spare_dev> [<#feature args> <arg>...]");
    let (main, spare) = match (args.next_arg(), args.next_arg()) {
        (Some(m), Some(s)) => (m, s),
        _ => return Err(COUNT),
    };
    let mut features = args.read_group(MAX_FEATURE_ARGS, ArgError(c"Invalid number of feature arguments"))?;
    if args.remaining() != 0 {
        return Err(COUNT);
    }
    let mut block_size = None;
    let mut read_retries = None;
    let mut scrub_rate = None;
    while let Some(name) = features.next_arg() {
        match name.to_bytes() {
            b"scrub" if scrub_rate.is_some() => return Err(ArgError(c"scrub given twice")),
            b"scrub" => {
                const BAD: ArgError = ArgError(c"Invalid scrub rate: MiB/s from 1 to 10000");
                let v = features.next_u64(u64::from(scrub::MAX_RATE), BAD)? as u32;
                if v == 0 {
                    return Err(BAD);
                }
                scrub_rate = Some(v);
            }
            b"read_retries" if read_retries.is_some() => return Err(ArgError(c"read_retries given twice")),
            b"read_retries" => {
                const BAD: ArgError = ArgError(c"Invalid read_retries: a number from 0 to 100");
                read_retries = Some(features.next_u64(u64::from(MAX_READ_RETRIES), BAD)? as u32);
            }
            b"block_size" if block_size.is_some() => return Err(ArgError(c"block_size given twice")),
            b"block_size" => {
                const BAD: ArgError = ArgError(c"Invalid block_size: a power of two from 512 to 1048576 bytes");
                let v = features.next_u64(1 << 20, BAD)? as u32;
                if v < 512 || !v.is_power_of_two() {
                    return Err(BAD);
                }
                block_size = Some(v);
            }
            _ => return Err(ArgError(c"Unknown feature argument")),
        }
    }
    Ok(TableArgs {
        main,
        spare,
        block_size: block_size.unwrap_or(DEFAULT_BLOCK_SIZE),
        read_retries: read_retries.unwrap_or(DEFAULT_READ_RETRIES),
        scrub_rate: scrub_rate.unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p<'a>(v: &'a [&'a CStr]) -> Result<TableArgs<'a>, &'a str> {
        parse(ArgSet::new(v)).map_err(|e| e.0.to_str().unwrap())
    }

    #[test]
    fn good_lines() {
        let t = p(&[c"/dev/a", c"/dev/b"]).unwrap();
        assert_eq!((t.main, t.spare), (c"/dev/a", c"/dev/b"));
        assert_eq!(p(&[c"/dev/a", c"/dev/b", c"0"]).unwrap().block_size, DEFAULT_BLOCK_SIZE);
        assert_eq!(p(&[c"a", c"b", c"2", c"block_size", c"512"]).unwrap().block_size, 512);
        assert_eq!(p(&[c"a", c"b", c"2", c"block_size", c"1048576"]).unwrap().block_size, 1 << 20);
        assert_eq!(p(&[c"a", c"b"]).unwrap().read_retries, DEFAULT_READ_RETRIES);
        let t = p(&[c"a", c"b", c"4", c"read_retries", c"0", c"block_size", c"512"]).unwrap();
        assert_eq!((t.read_retries, t.block_size), (0, 512));
        assert_eq!(p(&[c"a", c"b", c"2", c"read_retries", c"100"]).unwrap().read_retries, 100);
    }

    #[test]
    fn bad_read_retries() {
        let bad = "Invalid read_retries: a number from 0 to 100";
        assert_eq!(p(&[c"a", c"b", c"2", c"read_retries", c"101"]).unwrap_err(), bad);
        assert_eq!(p(&[c"a", c"b", c"2", c"read_retries", c"-1"]).unwrap_err(), bad);
        assert_eq!(p(&[c"a", c"b", c"2", c"read_retries", c"x"]).unwrap_err(), bad);
        assert_eq!(p(&[c"a", c"b", c"1", c"read_retries"]).unwrap_err(), bad);
        let twice = [c"a", c"b", c"4", c"read_retries", c"1", c"read_retries", c"2"];
        assert_eq!(p(&twice).unwrap_err(), "read_retries given twice");
    }

    #[test]
    fn scrub_rate() {
        assert_eq!(p(&[c"a", c"b"]).unwrap().scrub_rate, 0);
        assert_eq!(p(&[c"a", c"b", c"2", c"scrub", c"10000"]).unwrap().scrub_rate, 10000);
        let bad = "Invalid scrub rate: MiB/s from 1 to 10000";
        for v in [c"0", c"10001", c"x"] {
            assert_eq!(p(&[c"a", c"b", c"2", c"scrub", v]).unwrap_err(), bad);
        }
        assert_eq!(p(&[c"a", c"b", c"4", c"scrub", c"1", c"scrub", c"2"]).unwrap_err(), "scrub given twice");
    }

    #[test]
    fn bad_lines() {
        assert!(p(&[]).unwrap_err().starts_with("Invalid argument count"));
        assert!(p(&[c"/dev/a"]).unwrap_err().starts_with("Invalid argument count"));
        assert_eq!(p(&[c"a", c"b", c"x"]).unwrap_err(), "Invalid number of feature arguments");
        assert_eq!(p(&[c"a", c"b", c"2", c"x"]).unwrap_err(), "Invalid number of feature arguments");
        assert_eq!(p(&[c"a", c"b", c"17"]).unwrap_err(), "Invalid number of feature arguments");
        assert_eq!(p(&[c"a", c"b", c"1", c"foo"]).unwrap_err(), "Unknown feature argument");
        assert!(p(&[c"a", c"b", c"0", c"extra"]).unwrap_err().starts_with("Invalid argument count"));
    }
}
