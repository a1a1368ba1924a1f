//! Differential: commits of arbitrary records (from the input, in up to 8
//! commits) written into an in-memory metadata area, then replayed, give
//! back exactly the records committed, in order (replay equals the model).
#![no_main]

use dm_remap_core::format::{self, BlockState, Geometry, Record, Superblock, LOG_START, MBLOCK};
use dm_remap_core::journal::{self, CommitError};
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;

fuzz_target!(|data: &[u8]| {
    let g = Geometry::new(4096, 1 << 24, 1 << 15).unwrap();
    let main_blocks = g.main_blocks();
    let (mut a, mut b) = ([0u8; MBLOCK], [0u8; MBLOCK]);
    let mut sb = format::format_slots([1; 16], 0, g, &mut a, &mut b);
    let mut slots = [a, b];
    let mut area: HashMap<u64, [u8; MBLOCK]> = HashMap::new();
    let mut model: Vec<Record> = Vec::new();
    let mut alloc = 0u64;
    // Each 7 bytes: main (4), spare offset (2), flags (1; bit 0 lost, bit 1
    // ends the commit, bit 2 pending rather than lost).
    let mut pending = Vec::new();
    for c in data.chunks_exact(7) {
        let main = u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]])) % main_blocks;
        let spare = (u64::from(u16::from_le_bytes([c[4], c[5]])) % g.spare_blocks) as u32;
        let state = match (c[6] & 1 != 0, c[6] & 4 != 0) {
            (false, _) => BlockState::Remapped,
            (true, false) => BlockState::Lost,
            (true, true) => BlockState::Pending,
        };
        pending.push(Record { main, spare, state });
        alloc = alloc.max(u64::from(spare) + 1);
        if c[6] & 2 != 0 || pending.len() >= 300 {
            let prev = slots[Superblock::slot_of(sb.seq) as usize];
            let (mut next, mut log) = ([0u8; MBLOCK], [0u8; MBLOCK]);
            match journal::prepare_commit(&sb, &prev, &pending, alloc, &mut next, &mut log, |i, blk| {
                area.insert(LOG_START + i, *blk);
                Ok::<(), ()>(())
            }) {
                Ok(n) => {
                    sb = n;
                    slots[Superblock::slot_of(sb.seq) as usize] = next;
                    model.append(&mut pending);
                }
                Err(CommitError::LogFull) => break,
                Err(CommitError::Io(())) => unreachable!(),
            }
        }
    }
    let pick = format::pick_slot(&slots[0], &slots[1]).unwrap();
    assert_eq!(pick.sb, sb);
    let mut got = Vec::new();
    let mut log = [0u8; MBLOCK];
    journal::replay(
        &pick.sb,
        &slots[pick.slot],
        &mut log,
        |i, out| {
            *out = area[&(LOG_START + i)];
            Ok::<(), ()>(())
        },
        |r| {
            got.push(r);
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(got, model);
});
