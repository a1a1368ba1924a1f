//! dm-remap-tool's commands as a library: the binary (`main.rs`) and the
//! fuzz targets (`fuzz/`) call the same code.

pub mod assemble;
pub mod commands;
pub mod damage;
pub mod dm_events;
pub mod dmsetup;
pub mod docs;
pub mod generator;
pub mod identity;
pub mod migrate;
pub mod monitor;
pub mod probe;
pub mod remaptab;
pub mod report;
pub mod rescue_map;
pub mod restore;
pub mod spare;
