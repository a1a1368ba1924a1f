//! The table line: `<main_dev> <spare_dev> [<#feature args> <arg>...]`.

use super::args::{ArgError, ArgSet};
use core::ffi::CStr;

/// The most feature arguments a table line may carry.
pub const MAX_FEATURE_ARGS: usize = 16;

/// A parsed table line. Device paths are resolved by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableArgs<'a> {
    pub main: &'a CStr,
    pub spare: &'a CStr,
}

/// Parses the arguments of a table line (everything after the target name).
pub fn parse<'a>(mut args: ArgSet<'a>) -> Result<TableArgs<'a>, ArgError> {
    const COUNT: ArgError = ArgError(
        c"Invalid argument count: expected <main_dev> <spare_dev> [<#feature args> <arg>...]",
    );
    let (main, spare) = match (args.next_arg(), args.next_arg()) {
        (Some(m), Some(s)) => (m, s),
        _ => return Err(COUNT),
    };
    let mut features = args.read_group(
        MAX_FEATURE_ARGS,
        ArgError(c"Invalid number of feature arguments"),
    )?;
    if args.remaining() != 0 {
        return Err(COUNT);
    }
    if features.next_arg().is_some() {
        return Err(ArgError(c"Unknown feature argument"));
    }
    Ok(TableArgs { main, spare })
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
        assert!(p(&[c"/dev/a", c"/dev/b", c"0"]).is_ok());
    }

    #[test]
    fn bad_lines() {
        assert!(p(&[]).unwrap_err().starts_with("Invalid argument count"));
        assert!(p(&[c"/dev/a"])
            .unwrap_err()
            .starts_with("Invalid argument count"));
        assert_eq!(
            p(&[c"a", c"b", c"x"]).unwrap_err(),
            "Invalid number of feature arguments"
        );
        assert_eq!(
            p(&[c"a", c"b", c"2", c"x"]).unwrap_err(),
            "Invalid number of feature arguments"
        );
        assert_eq!(
            p(&[c"a", c"b", c"17"]).unwrap_err(),
            "Invalid number of feature arguments"
        );
        assert_eq!(
            p(&[c"a", c"b", c"1", c"foo"]).unwrap_err(),
            "Unknown feature argument"
        );
        assert!(p(&[c"a", c"b", c"0", c"extra"])
            .unwrap_err()
            .starts_with("Invalid argument count"));
    }
}
