//! A table line from arbitrary bytes, split at whitespace as DM splits
//! it: parsing never panics, and what it accepts is in range.
#![no_main]

use dm_remap_core::args::ArgSet;
use dm_remap_core::table::{self, MAX_READ_RETRIES};
use libfuzzer_sys::fuzz_target;
use std::ffi::CString;

fuzz_target!(|data: &[u8]| {
    let words: Vec<CString> = data
        .split(|c| c.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .filter_map(|w| CString::new(w).ok())
        .collect();
    let refs: Vec<&std::ffi::CStr> = words.iter().map(|w| w.as_c_str()).collect();
    if let Ok(t) = table::parse(ArgSet::new(&refs)) {
        assert!(t.block_size.is_power_of_two() && (512..=1 << 20).contains(&t.block_size));
        assert!(t.read_retries <= MAX_READ_RETRIES);
    }
});
