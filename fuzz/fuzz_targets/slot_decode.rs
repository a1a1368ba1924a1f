//! A commit slot from arbitrary bytes: decoding never panics, and a slot
//! that decodes encodes back to the same header (decode(encode(x)) = x).
//! An odd first byte seals the block first, so that the checks past the
//! checksum are reached.
#![no_main]

use dm_remap_core::format::{self, Superblock, MBLOCK};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else { return };
    let mut b = [0u8; MBLOCK];
    let n = data.len().min(MBLOCK);
    b[..n].copy_from_slice(&data[..n]);
    if mode & 1 != 0 {
        format::reseal_slot(&mut b);
    }
    if let Ok(sb) = Superblock::decode(&b) {
        let mut again = b;
        sb.encode(&mut again);
        assert_eq!(Superblock::decode(&again), Ok(sb));
    }
});
