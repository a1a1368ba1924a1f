//! The tool on an arbitrary metadata image (a 1 MiB spare whose first
//! bytes are the input): `check`, `dump` and `repair --salvage` never
//! panic, whatever the image. An odd first byte seals the slots and log
//! blocks first, so that the checks past the checksums are reached. Run
//! with -close_fd_mask=1 (their output).
#![no_main]

use dm_remap_core::format::{self, LOG_START, MBLOCK};
use dm_remap_tool::commands;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else { return };
    let mut image = vec![0u8; 1 << 20];
    let n = data.len().min(image.len());
    image[..n].copy_from_slice(&data[..n]);
    if mode & 1 != 0 {
        for (i, b) in image[..n.next_multiple_of(MBLOCK)].chunks_exact_mut(MBLOCK).enumerate() {
            let b: &mut [u8; MBLOCK] = b.try_into().unwrap();
            if (i as u64) < LOG_START {
                format::reseal_slot(b);
            } else {
                format::reseal_log(b);
            }
        }
    }
    let path = PathBuf::from(format!("/dev/shm/dmr-fuzz-{}", std::process::id()));
    std::fs::write(&path, &image).unwrap();
    // (The image as its own main: the size and identity checks.)
    let _ = commands::check(&path, Some(&path));
    let _ = commands::dump(&path, true);
    let _ = commands::repair(&path, true);
    let _ = commands::check(&path, None);
});
