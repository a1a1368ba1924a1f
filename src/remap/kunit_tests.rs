//! KUnit cases run inside the kernel when the module loads: the core's
//! parsing, geometry and output code as compiled for the kernel (overflow
//! checks on, no std), which the host tests cover as a userspace build.

use crate::kunit::{check, kunit_suite, Test};
use crate::remap_core::args::{parse_u64, ArgError, ArgSet};
use crate::remap_core::emit::Emitter;
use crate::remap_core::{geometry, table};
use core::ffi::CStr;
use core::fmt::Write;

fn parse<'a>(args: &'a [&'a CStr]) -> Result<table::TableArgs<'a>, &'static [u8]> {
    table::parse(ArgSet::new(args)).map_err(|e: ArgError| e.0.to_bytes())
}

fn table_line_good(t: &Test) {
    let line = parse(&[c"/dev/a", c"/dev/b"]);
    check!(
        t,
        line.map(|l| (l.main.to_bytes(), l.spare.to_bytes())) == Ok((b"/dev/a", b"/dev/b"))
    );
    check!(t, parse(&[c"/dev/a", c"/dev/b", c"0"]).is_ok());
}

fn table_line_bad(t: &Test) {
    check!(
        t,
        parse(&[c"/dev/a"])
            .unwrap_err()
            .starts_with(b"Invalid argument count")
    );
    check!(
        t,
        parse(&[c"a", c"b", c"0", c"x"])
            .unwrap_err()
            .starts_with(b"Invalid argument count")
    );
    check!(
        t,
        parse(&[c"a", c"b", c"1"]) == Err(b"Invalid number of feature arguments")
    );
    check!(
        t,
        parse(&[c"a", c"b", c"-1"]) == Err(b"Invalid number of feature arguments")
    );
    check!(
        t,
        parse(&[c"a", c"b", c"99999999999999999999"])
            == Err(b"Invalid number of feature arguments")
    );
    check!(
        t,
        parse(&[c"a", c"b", c"1", c"nope"]) == Err(b"Unknown feature argument")
    );
}

fn numbers(t: &Test) {
    check!(t, parse_u64(b"18446744073709551615") == Some(u64::MAX));
    check!(t, parse_u64(b"18446744073709551616").is_none());
    check!(t, parse_u64(b"").is_none());
    check!(t, parse_u64(b"12a").is_none());
}

fn geometry_checks(t: &Test) {
    let min = geometry::MIN_SPARE_SECTORS;
    check!(t, geometry::check(100, 100, min).is_ok());
    check!(t, geometry::check(101, 100, min).is_err());
    check!(t, geometry::check(0, 100, min).is_err());
    check!(t, geometry::check(100, 100, min - 1).is_err());
}

fn target_offsets(t: &Test) {
    check!(t, geometry::target_offset(2048, 4096) == Some(2048));
    // An empty flush can carry a sector below the target's start.
    check!(t, geometry::target_offset(2048, 0).is_none());
}

fn emitter_never_truncates_silently(t: &Test) {
    let mut buf = [0xffu8; 6];
    let mut e = Emitter::new(&mut buf);
    check!(t, write!(e, "{} {}", 1, 2).is_ok());
    check!(t, write!(e, "{}", 12345).is_err());
    check!(t, e.overflowed());
    // Full buffer: strlen + 1 == maxlen, DM's "retry with more room" signal.
    check!(t, buf == *b"1 212\0");
}

kunit_suite!(
    "dm_remap",
    [
        table_line_good,
        table_line_bad,
        numbers,
        geometry_checks,
        target_offsets,
        emitter_never_truncates_silently,
    ]
);
