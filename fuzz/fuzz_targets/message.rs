//! A message from arbitrary bytes, split at whitespace: parsing never
//! panics, and a `remap` it accepts has a count from 1 to the maximum.
#![no_main]

use dm_remap_core::args::ArgSet;
use dm_remap_core::message::{self, Message, MAX_REMAP_COUNT};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let words = dm_remap_fuzz::words(data);
    let refs: Vec<&std::ffi::CStr> = words.iter().map(|w| w.as_c_str()).collect();
    if let Ok(Message::Remap { count, .. }) = message::parse(ArgSet::new(&refs)) {
        assert!((1..=MAX_REMAP_COUNT).contains(&count));
    }
});
