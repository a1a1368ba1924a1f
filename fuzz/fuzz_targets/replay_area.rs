//! A whole metadata area from arbitrary bytes (two slots, then log
//! blocks): picking a slot and replaying its records never panics, and
//! every replayed record lies within the devices. The first byte's bits
//! choose which blocks are sealed first (slot A, slot B, log blocks), so
//! that the checks past the checksums are reached.
#![no_main]

use dm_remap_core::format::{self, LOG_START, MBLOCK};
use dm_remap_core::journal;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else { return };
    let block = |i: u64, out: &mut [u8; MBLOCK]| {
        out.fill(0);
        let start = (i as usize).saturating_mul(MBLOCK);
        if start < data.len() {
            let end = data.len().min(start + MBLOCK);
            out[..end - start].copy_from_slice(&data[start..end]);
        }
        match i {
            0 if mode & 1 != 0 => format::reseal_slot(out),
            1 if mode & 2 != 0 => format::reseal_slot(out),
            i if i >= LOG_START && mode & 4 != 0 => format::reseal_log(out),
            _ => {}
        }
    };
    let (mut a, mut b) = ([0u8; MBLOCK], [0u8; MBLOCK]);
    block(0, &mut a);
    block(1, &mut b);
    let Ok(pick) = format::pick_slot(&a, &b) else { return };
    let slot = if pick.slot == 0 { a } else { b };
    let g = pick.sb.geometry;
    let main_blocks = g.main_blocks();
    let mut log = [0u8; MBLOCK];
    let read = |i: u64, out: &mut [u8; MBLOCK]| -> Result<(), ()> {
        block(LOG_START + i, out);
        Ok(())
    };
    let _ = journal::replay(&pick.sb, &slot, &mut log, read, |r| {
        assert!(r.main < main_blocks && u64::from(r.spare) < pick.sb.alloc_next);
        Ok(())
    });
});
