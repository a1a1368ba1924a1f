//! The pure logic of dm-remap: no allocation, no I/O, no kernel types.
//!
//! The kernel module compiles these same files as its `core` module (see
//! `src/dm_remap.rs`), the host builds them as this crate for `cargo test`
//! and the userspace tool. Files refer to each other through `super::` so
//! that both ways of building them resolve the same paths.
#![no_std]

pub mod alloc;
pub mod args;
pub mod crc32c;
pub mod emit;
pub mod format;
pub mod geometry;
pub mod held;
pub mod journal;
pub mod message;
pub mod policy;
pub mod remaps;
pub mod route;
pub mod scrub;
pub mod status;
pub mod summary;
pub mod table;
