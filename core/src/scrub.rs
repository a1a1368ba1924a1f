//! The scrub (patrol read): the worker reads main in chunks at a bounded
//! rate, from a position the metadata keeps, and treats what fails to
//! read as a user read's failure would be treated. This file holds its
//! arithmetic; src/remap/scrub.rs runs it.

/// Bytes read at a time (or one block, for blocks larger than this).
pub const CHUNK_BYTES: u64 = 256 << 10;

/// Rate when `scrub start` names none, in MiB/s.
pub const DEFAULT_RATE: u32 = 16;

/// Most MiB/s a table line or message may ask for.
pub const MAX_RATE: u32 = 10_000;

/// While user I/O keeps coming, the scrub runs this many times slower.
pub const BUSY_SLOWDOWN: u64 = 10;

/// Blocks per chunk for `block_size` (a power of two, 512 to 1 MiB).
pub fn chunk_blocks(block_size: u32) -> u64 {
    (CHUNK_BYTES / u64::from(block_size)).max(1)
}

/// Chunks in a main device of `main_blocks` blocks (the last one may be
/// short): the range of the scrub's position.
pub fn chunks(main_blocks: u64, block_size: u32) -> u64 {
    main_blocks.div_ceil(chunk_blocks(block_size))
}

/// Nanoseconds a chunk of `chunk_bytes` takes at `rate` MiB/s (0 is read
/// as 1), `BUSY_SLOWDOWN` times longer if user I/O came meanwhile.
pub fn chunk_time_ns(chunk_bytes: u64, rate: u32, busy: bool) -> u64 {
    let ns = (chunk_bytes * 1_000_000_000).div_ceil(u64::from(rate.max(1)) << 20);
    if busy {
        ns * BUSY_SLOWDOWN
    } else {
        ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic() {
        assert_eq!((chunk_blocks(4096), chunk_blocks(512), chunk_blocks(1 << 20)), (64, 512, 1));
        assert_eq!((chunks(0, 4096), chunks(64, 4096), chunks(65, 4096)), (0, 1, 2));
        assert_eq!(chunks(u64::MAX, 512), u64::MAX / 512 + 1);
        // 256 KiB at 16 MiB/s: 15.625 ms; at the maximum rate, 25 us.
        assert_eq!(chunk_time_ns(CHUNK_BYTES, 16, false), 15_625_000);
        assert_eq!(chunk_time_ns(CHUNK_BYTES, 16, true), 156_250_000);
        assert_eq!(chunk_time_ns(CHUNK_BYTES, MAX_RATE, false), 25_000);
        assert_eq!(chunk_time_ns(1 << 20, 0, false), 1_000_000_000, "a zero rate is read as 1 MiB/s");
        assert_eq!(chunk_time_ns(1 << 20, MAX_RATE, true), 1_000_000, "1 MiB blocks, busy");
    }
}
