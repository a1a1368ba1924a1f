//! A log block from arbitrary bytes, checked against a fixed commit:
//! never panics, and a block that checks has only valid records. An odd
//! index byte seals the block first (the checks past the checksum).
#![no_main]

use dm_remap_core::format::{self, Geometry, Superblock, MBLOCK, RECORDS_PER_BLOCK};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&index, rest)) = data.split_first() else { return };
    let mut b = [0u8; MBLOCK];
    let n = rest.len().min(MBLOCK);
    b[..n].copy_from_slice(&rest[..n]);
    if index & 1 != 0 {
        format::reseal_log(&mut b);
    }
    let g = Geometry::new(4096, 1 << 21, 1 << 17).unwrap();
    let sb = Superblock { seq: 9, records: 2000, alloc_next: 2000, ..Superblock::new([7; 16], g) };
    if format::check_log_block(&b, &sb, u64::from(index)).is_ok() {
        assert!((0..RECORDS_PER_BLOCK).all(|i| format::record_at(&b, i).is_ok()));
    }
});
