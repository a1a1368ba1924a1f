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

/// Milliseconds between two chunks of `chunk_bytes` at `rate` MiB/s (at
/// least 1), `BUSY_SLOWDOWN` times longer if user I/O came meanwhile.
pub fn step_delay_ms(chunk_bytes: u64, rate: u32, busy: bool) -> u64 {
    let ms = (chunk_bytes * 1000).div_ceil(u64::from(rate.max(1)) << 20).max(1);
    if busy {
        ms * BUSY_SLOWDOWN
    } else {
        ms
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
        // 256 KiB at 16 MiB/s: 16 ms; at the maximum rate, 1 ms at least.
        assert_eq!(step_delay_ms(CHUNK_BYTES, 16, false), 16);
        assert_eq!(step_delay_ms(CHUNK_BYTES, 16, true), 160);
        assert_eq!(step_delay_ms(CHUNK_BYTES, MAX_RATE, false), 1);
        assert_eq!(step_delay_ms(1 << 20, 0, false), 1000, "a zero rate is read as 1 MiB/s");
    }
}
