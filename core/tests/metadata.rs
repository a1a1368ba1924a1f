//! Host tests of the on-disk format and the commit protocol, over an
//! in-memory spare device.

use dm_remap_core::format::{self, BlockState, Geometry, Record, Superblock, LOG_START, MBLOCK, RECORDS_PER_BLOCK};
use dm_remap_core::journal::{self, CommitError, LoadError};
use std::collections::HashMap;

type Block = [u8; MBLOCK];

/// Metadata blocks of a spare device.
struct Disk(Vec<Block>);

impl Disk {
    fn new(g: &Geometry) -> Self {
        Disk(vec![[0; MBLOCK]; (LOG_START + g.log_blocks) as usize])
    }

    fn format(g: Geometry) -> (Self, Superblock) {
        let mut d = Disk::new(&g);
        let (a, b) = d.0.split_at_mut(1);
        let sb = format::format_slots([7; 16], 0, g, &mut a[0], &mut b[0]);
        (d, sb)
    }

    /// Prepares the commit after `sb` with `new`, writing its log blocks;
    /// returns it and its slot block, not yet written.
    fn prepare(&mut self, sb: &Superblock, new: &[Record], alloc: u64) -> (Superblock, Block) {
        let prev = self.0[Superblock::slot_of(sb.seq) as usize];
        let (mut slot, mut log) = ([0; MBLOCK], [0; MBLOCK]);
        let next = journal::prepare_commit::<()>(sb, &prev, new, alloc, &mut slot, &mut log, |i, b| {
            self.0[(LOG_START + i) as usize] = *b;
            Ok(())
        })
        .unwrap();
        (next, slot)
    }

    fn commit(&mut self, sb: &Superblock, new: &[Record]) -> Superblock {
        let (next, slot) = self.prepare(sb, new, sb.alloc_next + new.len() as u64);
        self.0[Superblock::slot_of(next.seq) as usize] = slot;
        next
    }

    fn load(&self) -> Result<(Superblock, HashMap<u64, Record>), format::FormatError> {
        let pick = format::pick_slot(&self.0[0], &self.0[1])?;
        let mut map = HashMap::new();
        let mut buf = [0; MBLOCK];
        journal::replay::<()>(
            &pick.sb,
            &self.0[pick.slot],
            &mut buf,
            |i, b| {
                *b = self.0[(LOG_START + i) as usize];
                Ok(())
            },
            |r| {
                map.insert(r.main, r);
                Ok(())
            },
        )
        .map_err(|e| match e {
            LoadError::Format(f) => f,
            LoadError::Io(()) => unreachable!(),
        })?;
        Ok((pick.sb, map))
    }
}

fn geometry() -> Geometry {
    // 64 MiB main, 16 MiB spare, 4 KiB blocks.
    Geometry::new(4096, 131072, 32768).unwrap()
}

fn records(from: u64, n: usize) -> Vec<Record> {
    (0..n as u64)
        .map(|i| Record { main: (from + i) * 3, spare: (from + i) as u32, state: BlockState::Remapped })
        .collect()
}

/// A small deterministic generator, so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn geometry_layout() {
    let g = geometry();
    assert_eq!(g.spare_blocks, (32768 - g.data_start) / 8);
    assert_eq!(g.data_start % 8, 0);
    assert!((LOG_START + g.log_blocks) * 8 <= g.data_start);
    assert!(g.record_capacity() >= 2 * g.spare_blocks);
    assert!(Geometry::new(4096, 131072, 16).is_err());
    assert!(Geometry::new(3000, 131072, 32768).is_err());
    assert!(Geometry::new(256, 131072, 32768).is_err());
}

#[test]
fn any_sizes_are_refused_or_give_a_bounded_geometry() {
    // Sizes come from a disk: none may overflow anything derived from them.
    let sizes = [0, 1, 7, 8, 2048, 1 << 32, 1 << 40, 1 << 62, 1 << 63, (1 << 63) + (1 << 62), u64::MAX - 1, u64::MAX];
    let mut valid = 0;
    for shift in 0..=21 {
        for &main in &sizes {
            for &spare in &sizes {
                let Ok(g) = Geometry::new(1 << shift, main, spare) else { continue };
                valid += 1;
                assert!(g.spare_blocks <= u64::from(u32::MAX) && g.data_start < spare);
                assert!(g.record_capacity() >= 2 * g.spare_blocks);
                assert!(g.spare_sector(g.spare_blocks as u32 - 1) + g.block_sectors() <= spare);
                assert_eq!(g.main_blocks(), main.div_ceil(g.block_sectors()));
            }
        }
    }
    assert!(valid > 0);
}

#[test]
fn format_round_trip() {
    let (d, sb) = Disk::format(geometry());
    let (loaded, map) = d.load().unwrap();
    assert_eq!(loaded, sb);
    assert!(map.is_empty());
}

#[test]
fn main_identity_is_kept_by_every_commit() {
    // The value docs/metadata.rst's definition gives (and KUnit's
    // slot_codec checks in the kernel).
    assert_eq!(format::identity_hash(b"serial=main"), 0x4974_b745_1709_6957);
    let g = geometry();
    let (mut a, mut b) = ([0; MBLOCK], [0; MBLOCK]);
    let sb = format::format_slots([7; 16], 0x4974_b745_1709_6957, g, &mut a, &mut b);
    assert_eq!(Superblock::decode(&a).unwrap().main_id, sb.main_id);
    let mut next = [0; MBLOCK];
    let mut log = [0; MBLOCK];
    let new = records(0, 300);
    let c = journal::prepare_commit(&sb, &b, &new, 300, &mut next, &mut log, |_, _| Ok::<(), ()>(())).unwrap();
    assert_eq!((c.main_id, Superblock::decode(&next).unwrap().main_id), (sb.main_id, sb.main_id));
}

#[test]
fn lifetime_counters_are_kept_through_full_tails() {
    let (mut d, sb) = Disk::format(geometry());
    let sb = Superblock { relocated: sb.count_relocated(&[1, 2, 3, 4]), ..sb };
    // 247 records fill a tail but for the counters' place, one more
    // moves it to a log block: the counters stay either way.
    let mut c = d.commit(&sb, &records(0, RECORDS_PER_BLOCK - 1));
    assert_eq!(c.tail_len(), RECORDS_PER_BLOCK - 1);
    assert_eq!(d.load().unwrap().0.relocated, [1, 2, 3, 4]);
    c = d.commit(
        &Superblock { relocated: c.count_relocated(&[0, 0, 0, 1]), ..c },
        &records(RECORDS_PER_BLOCK as u64 - 1, 1),
    );
    let (loaded, map) = d.load().unwrap();
    assert_eq!((loaded.relocated, c.tail_len(), map.len()), ([1, 2, 3, 5], 0, RECORDS_PER_BLOCK));
    assert_eq!(loaded.count_relocated(&[u64::MAX, 0, 0, 0])[0], u32::MAX, "saturates");
    // A slot written before the counters (no COMPAT_LIFETIME): counted
    // from 0, whatever its last bytes hold.
    let slot = &mut d.0[Superblock::slot_of(c.seq) as usize];
    slot[16] = 0;
    slot[MBLOCK - 16..].fill(0xff);
    format::reseal_slot(slot);
    assert_eq!(d.load().unwrap().0.relocated, [0; 4]);
    // It decodes to the header that this code then writes (the fuzz target
    // slot_decode's round trip).
    let mut again = d.0[Superblock::slot_of(c.seq) as usize];
    let old = Superblock::decode(&again).unwrap();
    old.encode(&mut again);
    assert_eq!(Superblock::decode(&again), Ok(old));
}

#[test]
fn a_fresh_format_survives_either_slot_damaged() {
    for damaged in 0..2 {
        let (mut d, sb) = Disk::format(geometry());
        d.0[damaged][200] ^= 0x10;
        let (loaded, map) = d.load().unwrap();
        assert!(map.is_empty());
        assert_eq!(loaded.seq, if damaged == 0 { sb.seq } else { sb.seq - 1 });
        assert_eq!(Superblock { seq: sb.seq, ..loaded }, sb);
    }
}

#[test]
fn commits_round_trip_against_a_model() {
    let (mut d, mut sb) = Disk::format(geometry());
    let mut model = HashMap::new();
    let mut rng = Rng(42);
    let mut next_spare = 0u32;
    for _ in 0..200 {
        let n = (rng.next() % 40) as usize;
        let batch: Vec<Record> = (0..n)
            .map(|_| {
                let main = rng.next() % 16384;
                let r = match model.get(&main) {
                    Some(&Record { spare, .. }) => {
                        let state = [BlockState::Lost, BlockState::Pending][(main % 2) as usize];
                        Record { main, spare, state }
                    }
                    None => {
                        next_spare += 1;
                        Record { main, spare: next_spare - 1, state: BlockState::Remapped }
                    }
                };
                model.insert(main, r);
                r
            })
            .collect();
        let (next, slot) = d.prepare(&sb, &batch, u64::from(next_spare));
        d.0[Superblock::slot_of(next.seq) as usize] = slot;
        sb = next;
        let (loaded, map) = d.load().unwrap();
        assert_eq!(loaded, sb);
        assert_eq!(map, model);
    }
    assert!(sb.full_log_blocks() > 5, "the test should fill several log blocks");
}

#[test]
fn every_bit_flip_of_a_slot_is_detected() {
    let (mut d, sb) = Disk::format(geometry());
    let sb = d.commit(&sb, &records(0, 17));
    let b = d.0[Superblock::slot_of(sb.seq) as usize];
    assert!(Superblock::decode(&b).is_ok());
    for bit in 0..MBLOCK * 8 {
        let mut c = b;
        c[bit / 8] ^= 1 << (bit % 8);
        assert!(Superblock::decode(&c).is_err(), "flip of bit {bit} not detected");
    }
}

#[test]
fn every_bit_flip_of_a_log_block_is_detected() {
    let (mut d, sb) = Disk::format(geometry());
    let sb = d.commit(&sb, &records(0, RECORDS_PER_BLOCK + 3));
    let good = d.0[LOG_START as usize];
    assert!(format::check_log_block(&good, &sb, 0).is_ok());
    for bit in 0..MBLOCK * 8 {
        let mut c = good;
        c[bit / 8] ^= 1 << (bit % 8);
        assert!(format::check_log_block(&c, &sb, 0).is_err(), "flip of bit {bit} not detected");
    }
    // A log block does not validate at another position or as a slot.
    assert!(format::check_log_block(&good, &sb, 1).is_err());
    assert!(Superblock::decode(&good).is_err());
}

#[test]
fn every_truncation_is_detected() {
    let (mut d, sb) = Disk::format(geometry());
    let sb = d.commit(&sb, &records(0, RECORDS_PER_BLOCK + 3));
    let slot = d.0[Superblock::slot_of(sb.seq) as usize];
    let log = d.0[LOG_START as usize];
    // A block cut short reads back with zeros (or stale bytes) after the cut.
    for len in 0..MBLOCK {
        let mut s = slot;
        s[len..].fill(0);
        if s != slot {
            assert!(Superblock::decode(&s).is_err(), "slot cut at {len} not detected");
        }
        let mut l = log;
        l[len..].fill(0);
        if l != log {
            assert!(format::check_log_block(&l, &sb, 0).is_err(), "log block cut at {len} not detected");
        }
    }
}

#[test]
fn torn_commit_falls_back_to_the_previous_slot() {
    let (mut d, sb) = Disk::format(geometry());
    let sb1 = d.commit(&sb, &records(0, 10));
    // Commit 3 writes its log block, then its slot is torn: only the first
    // half reaches the disk (its tail reaches into the second half).
    let n = RECORDS_PER_BLOCK + 200;
    let (sb2, new_slot) = d.prepare(&sb1, &records(10, n), 10 + n as u64);
    let target = Superblock::slot_of(sb2.seq) as usize;
    assert_ne!(target, Superblock::slot_of(sb1.seq) as usize);
    d.0[target][..MBLOCK / 2].copy_from_slice(&new_slot[..MBLOCK / 2]);
    assert_ne!(d.0[target], new_slot);
    let (loaded, map) = d.load().unwrap();
    assert_eq!(loaded, sb1);
    assert_eq!(map.len(), 10);
}

#[test]
fn both_slots_corrupt_or_foreign_are_refused() {
    let (mut d, sb) = Disk::format(geometry());
    d.commit(&sb, &records(0, 3));
    d.0[0][100] ^= 1;
    assert!(d.load().is_ok(), "one good slot is enough");
    d.0[1][100] ^= 1;
    assert_eq!(d.load().unwrap_err().0.to_str().unwrap(), "Both metadata slots are corrupt");
    // Slots of two different pairs.
    let (mut d, sb) = Disk::format(geometry());
    d.commit(&sb, &records(0, 3));
    let mut other = Superblock::new([9; 16], geometry());
    other.seq = 1;
    other.encode(&mut d.0[0]);
    assert!(d.load().is_err());
}

#[test]
fn unknown_incompatible_feature_is_refused() {
    let mut sb = Superblock::new([1; 16], geometry());
    sb.incompat = 1 << 5;
    let mut b = [0; MBLOCK];
    sb.encode(&mut b);
    let e = format::pick_slot(&b, &[0; MBLOCK]).unwrap_err();
    assert_eq!(e.0.to_str().unwrap(), "Metadata uses an unknown incompatible feature");
}

#[test]
fn log_full_is_reported() {
    let g = Geometry::new(4096, 131072, 2048).unwrap();
    let sb = Superblock::new([1; 16], g);
    let (prev, mut slot, mut log) = ([0; MBLOCK], [0; MBLOCK], [0; MBLOCK]);
    let too_many = records(0, g.record_capacity() as usize + 1);
    let r = journal::prepare_commit::<()>(&sb, &prev, &too_many, 0, &mut slot, &mut log, |_, _| Ok(()));
    assert_eq!(r.unwrap_err(), CommitError::LogFull);
}
