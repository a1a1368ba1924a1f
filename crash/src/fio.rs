//! fio's area at a point. fio writes it in 4 KiB blocks with
//! `--verify=crc32c`: each block starts with fio's verify header, which
//! names the block's own offset and carries CRC-32Cs of the header and of
//! the data (fio's verify.h). A block there must read, and hold zeros
//! (never written) or one whole fio block written for that very offset:
//! never torn, never another block's data. Which of fio's writes it holds
//! is not checked (fio's I/O numbers restart with each run and wrap).

use dm_remap_core::crc32c;

const MAGIC: u16 = 0xacca;
/// fio's VERIFY_CRC32C.
const CRC32C: u16 = 5;
/// The header's checksum covers the bytes before it.
const HEADER_CRC_AT: usize = 36;
/// The data checksum, then the data.
const DATA_CRC_AT: usize = 40;
const DATA_AT: usize = 44;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// fio's CRC-32C: seeded with all ones, not inverted at the end.
fn fio_crc(data: &[u8]) -> u32 {
    crc32c::update(!0, data)
}

/// Checks a block read at byte `offset` of the device.
pub fn check_block(block: &[u8], offset: u64) -> Result<(), String> {
    if block.iter().all(|&c| c == 0) {
        return Ok(());
    }
    let (magic, kind, len) = (u16_at(block, 0), u16_at(block, 2), u32_at(block, 4) as usize);
    if (magic, kind, len) != (MAGIC, CRC32C, block.len()) {
        return Err(format!("not a fio block (magic {magic:#x}, type {kind}, length {len})"));
    }
    if fio_crc(&block[..HEADER_CRC_AT]) != u32_at(block, HEADER_CRC_AT) {
        return Err("a fio block whose header fails its checksum".into());
    }
    let own = u64::from_le_bytes(block[16..24].try_into().unwrap());
    if own != offset {
        return Err(format!("fio's block for byte {own} (another block's data)"));
    }
    if fio_crc(&block[DATA_AT..]) != u32_at(block, DATA_CRC_AT) {
        return Err("a torn fio block (its data fails its checksum)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_block;

    /// A block fio 3.33 wrote at byte 4444160 (`--verify=crc32c --bs=4k`).
    const BLOCK: &[u8; 4096] = include_bytes!("../testdata/fio_crc32c_block.bin");

    #[test]
    fn whole_blocks_at_their_offset() {
        assert_eq!(check_block(BLOCK, 4444160), Ok(()));
        assert_eq!(check_block(&[0; 4096], 8192), Ok(()));
        assert!(check_block(BLOCK, 4444160 + 4096).unwrap_err().contains("another block's data"));
        let mut torn = *BLOCK;
        torn[2048..2560].fill(0);
        assert!(check_block(&torn, 4444160).unwrap_err().contains("torn"));
        let mut header = *BLOCK;
        header[24] ^= 1;
        assert!(check_block(&header, 4444160).unwrap_err().contains("header"));
        assert!(check_block(&[7; 4096], 0).unwrap_err().contains("not a fio block"));
    }
}
