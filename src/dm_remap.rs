//! dm-remap: a device-mapper target that keeps a disk with grown bad
//! sectors in service by relocating failed blocks of a main device onto a
//! spare device.
//!
//! Layout: `dm/` is the safe layer over the device-mapper and bio C API
//! (all FFI calls live there and in `kunit/`), `remap/` is the target's
//! logic in safe Rust, and `remap_core` is the pure `no_std` core in
//! `core/src/`, shared with the host tests and the userspace tool.
// The crate is a module, not a library: `pub` items are public to the crate.
#![allow(unreachable_pub)]

mod dm;
#[cfg(CONFIG_KUNIT)]
mod kunit;
// The target's logic is safe Rust by construction: every `unsafe` lives in
// `dm` (and `kunit`).
#[deny(unsafe_code)]
mod remap;

// The core is shared with the tool and the host tests; without KUnit the
// module uses only part of it.
#[cfg_attr(not(CONFIG_KUNIT), allow(dead_code))]
#[deny(unsafe_code)]
#[path = "../core/src"]
mod remap_core {
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
}

use kernel::prelude::*;

module! {
    type: DmRemapModule,
    name: "dm_remap",
    author: "dm-remap developers",
    description: "device-mapper target remapping bad blocks of a main device to a spare device",
    license: "GPL",
    alias: ["dm-remap"],
}

struct DmRemapModule {
    _target: dm::Registration<remap::RemapTarget>,
}

impl kernel::Module for DmRemapModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let target = dm::Registration::new(module)?;
        pr_info!("registered target \"remap\"\n");
        Ok(Self { _target: target })
    }
}
