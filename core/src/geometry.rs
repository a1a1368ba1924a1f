//! Sizes and sector arithmetic. Every computation is checked: a sector
//! number can come from any bio, and Rust in the kernel panics on overflow.

use core::ffi::CStr;

/// Bytes per sector, the unit of every device-mapper size.
pub const SECTOR_SIZE: u64 = 512;

/// The smallest spare device accepted: 1 MiB, enough for the metadata area
/// that the spare will carry at its start plus spare data blocks.
pub const MIN_SPARE_SECTORS: u64 = (1 << 20) / SECTOR_SIZE;

/// Why a table's sizes are refused; the message is a valid `ti->error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeometryError(pub &'static CStr);

/// Checks the sizes of a table line: the target must fit on main (it maps
/// target sector `s` to main sector `s - begin`), and the spare must be big
/// enough for its metadata area.
pub fn check(target_len: u64, main_sectors: u64, spare_sectors: u64) -> Result<(), GeometryError> {
    if target_len == 0 {
        return Err(GeometryError(c"Target length must not be zero"));
    }
    if main_sectors < target_len {
        return Err(GeometryError(c"Main device is smaller than the target length"));
    }
    if spare_sectors < MIN_SPARE_SECTORS {
        return Err(GeometryError(c"Spare device too small: it must be at least 1 MiB"));
    }
    Ok(())
}

/// The main-device sector for target sector `sector` of a target that starts
/// at `begin` (the kernel's `dm_target_offset`), or `None` if `sector` lies
/// before the target.
pub fn target_offset(begin: u64, sector: u64) -> Option<u64> {
    sector.checked_sub(begin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(check(8, 8, MIN_SPARE_SECTORS), Ok(()));
        assert!(check(0, 8, MIN_SPARE_SECTORS).is_err());
        assert!(check(9, 8, MIN_SPARE_SECTORS).is_err());
        assert!(check(8, 8, MIN_SPARE_SECTORS - 1).is_err());
    }

    #[test]
    fn offsets() {
        assert_eq!(target_offset(100, 150), Some(50));
        assert_eq!(target_offset(100, 100), Some(0));
        assert_eq!(target_offset(100, 0), None);
        assert_eq!(target_offset(0, u64::MAX), Some(u64::MAX));
    }
}
