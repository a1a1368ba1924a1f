//! dm-remap-tool's commands as a library: the binary (`main.rs`) and the
//! fuzz targets (`fuzz/`) call the same code.

pub mod commands;
pub mod damage;
pub mod restore;
pub mod spare;
