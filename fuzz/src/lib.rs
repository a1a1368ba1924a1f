//! What the fuzz targets share.

use std::ffi::CString;

/// `data` split at whitespace into C strings, as DM splits a table line
/// or a message (words with a NUL byte, which DM never passes, are left
/// out).
pub fn words(data: &[u8]) -> Vec<CString> {
    data.split(|c| c.is_ascii_whitespace()).filter(|w| !w.is_empty()).filter_map(|w| CString::new(w).ok()).collect()
}
