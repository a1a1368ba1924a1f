//! Table-argument cursor in the style of the kernel's `struct dm_arg_set`
//! and `dm_read_arg_group()`.

use core::ffi::CStr;

/// Why an argument could not be read; the message is a valid `ti->error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgError(pub &'static CStr);

/// A cursor over table or message arguments.
#[derive(Debug, Clone, Copy)]
pub struct ArgSet<'a> {
    args: &'a [&'a CStr],
}

impl<'a> ArgSet<'a> {
    /// A cursor at the first of `args`.
    pub fn new(args: &'a [&'a CStr]) -> Self {
        Self { args }
    }

    /// Number of arguments not read yet.
    pub fn remaining(&self) -> usize {
        self.args.len()
    }

    /// Reads the next argument, if any.
    pub fn next_arg(&mut self) -> Option<&'a CStr> {
        let (first, rest) = self.args.split_first()?;
        self.args = rest;
        Some(first)
    }

    /// Reads the next argument as an unsigned decimal number no larger than
    /// `max`.
    pub fn next_u64(&mut self, max: u64, err: ArgError) -> Result<u64, ArgError> {
        self.next_arg().and_then(|a| parse_u64(a.to_bytes())).filter(|v| *v <= max).ok_or(err)
    }

    /// Reads a group: a count `n` (at most `max`) followed by `n`
    /// arguments, as `dm_read_arg_group()` does. An absent group is empty.
    pub fn read_group(&mut self, max: usize, err: ArgError) -> Result<ArgSet<'a>, ArgError> {
        if self.args.is_empty() {
            return Ok(ArgSet { args: &[] });
        }
        let n = self.next_u64(max as u64, err)? as usize;
        if n > self.args.len() {
            return Err(err);
        }
        let (group, rest) = self.args.split_at(n);
        self.args = rest;
        Ok(ArgSet { args: group })
    }
}

/// Parses a plain unsigned decimal number: digits only, no sign, no
/// whitespace, no overflow.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &c| {
        if !c.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u64::from(c - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const E: ArgError = ArgError(c"bad");

    #[test]
    fn numbers() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        for bad in [&b""[..], b"-1", b"+1", b" 1", b"1 ", b"0x10", b"1k"] {
            assert_eq!(parse_u64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn groups() {
        let v = [c"2", c"a", c"b", c"c"];
        let mut set = ArgSet::new(&v);
        let mut g = set.read_group(4, E).unwrap();
        assert_eq!(g.remaining(), 2);
        assert_eq!(g.next_arg(), Some(c"a"));
        assert_eq!(set.remaining(), 1);
        assert_eq!(set.next_arg(), Some(c"c"));
        assert_eq!(set.read_group(4, E).unwrap().remaining(), 0);
    }

    #[test]
    fn bad_groups() {
        for v in [&[c"3", c"a"][..], &[c"x"], &[c"5", c"a", c"b", c"c", c"d", c"e"]] {
            assert_eq!(ArgSet::new(v).read_group(4, E).unwrap_err(), E);
        }
    }
}
