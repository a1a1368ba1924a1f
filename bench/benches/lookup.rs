//! Cost of the remap table's lookup and of routing a bio (4 KiB, 1 MiB and
//! 4 GiB), at 10 to 1,000,000 remaps: what `map()` pays per bio.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use dm_remap_core::format::{BlockState, Record};
use dm_remap_core::remaps::{slots_for, Indexed, RemapTable, Slot, EMPTY};
use dm_remap_core::route::{route, Layout, Lookup};
use dm_remap_core::summary::{summary_shape, Summary};

const SIZES: [u64; 4] = [10, 1_000, 100_000, 1_000_000];
/// Main blocks of the device the remaps are spread over (16 GiB of 4 KiB).
const MAIN_BLOCKS: u64 = 4 << 20;

/// The kernel's lookup structure (table and summary) holding `n` remaps
/// spread over main, like grown defects.
fn table(n: u64) -> Table {
    let (shift, words) = summary_shape(MAIN_BLOCKS);
    let map = RemapTable::new(vec![EMPTY; slots_for(n as usize)]);
    let mut t = Indexed::new(map, Summary::new(vec![0; words], shift));
    let stride = MAIN_BLOCKS / n;
    for i in 0..n {
        let main = i * stride + (i * 7919) % stride;
        t.insert(Record { main, spare: i as u32, state: BlockState::Remapped }).unwrap();
    }
    t
}

/// Blocks to look up: a pseudo-random walk over main (mostly misses, as
/// on a disk with few bad blocks).
fn probes() -> Vec<u64> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % MAIN_BLOCKS
        })
        .collect()
}

type Table = Indexed<Vec<Slot>, Vec<u64>>;

/// Benchmark group `name`: `f(table, block)` on each size's table, with
/// `block` cycling through `probes`.
fn over_sizes<R>(c: &mut Criterion, name: &str, tables: &[(u64, Table)], probes: &[u64], f: impl Fn(&Table, u64) -> R) {
    let mut g = c.benchmark_group(name);
    for (n, t) in tables {
        g.bench_with_input(BenchmarkId::from_parameter(n), t, |b, t| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % probes.len();
                black_box(f(t, black_box(probes[i])))
            })
        });
    }
    g.finish();
}

/// Lookups of blocks spread over main (`lookup`: at 1,000,000 remaps the
/// table is larger than the CPU's caches, so this counts memory latency
/// too) and of 64 blocks over and over (`lookup_hot`: the table's own cost,
/// cache resident); routing a 4 KiB, 1 MiB and 4 GiB bio from such blocks.
fn all(c: &mut Criterion) {
    let tables: Vec<_> = SIZES.iter().map(|&n| (n, table(n))).collect();
    let probes = probes();
    over_sizes(c, "lookup", &tables, &probes, |t, b| t.get(b));
    over_sizes(c, "lookup_hot", &tables, &probes[..64], |t, b| t.get(b));
    let layout = Layout { block_sectors: 8, data_start: 2048 };
    for (name, sectors) in [("route_4k", 8u64), ("route_1m", 2048), ("route_4g", 8 << 20)] {
        over_sizes(c, name, &tables, &probes, |t, b| {
            route(&layout, (b * 8).min(MAIN_BLOCKS * 8 - sectors), sectors, t)
        });
    }
}

criterion_group!(benches, all);
criterion_main!(benches);
