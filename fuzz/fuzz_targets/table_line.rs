//! A table line from arbitrary bytes, split at whitespace as DM splits
//! it: parsing never panics, and what it accepts is in range.
#![no_main]

use dm_remap_core::args::ArgSet;
use dm_remap_core::table::{self, MAX_READ_RETRIES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let words = dm_remap_fuzz::words(data);
    let refs: Vec<&std::ffi::CStr> = words.iter().map(|w| w.as_c_str()).collect();
    if let Ok(t) = table::parse(ArgSet::new(&refs)) {
        assert!(t.block_size.is_power_of_two() && (512..=1 << 20).contains(&t.block_size));
        assert!(t.read_retries <= MAX_READ_RETRIES);
    }
});
