//! The tool on an arbitrary metadata image (a 1 MiB spare whose first
//! bytes are the input): `check`, `dump` and `repair --salvage` never
//! panic, whatever the image. Run with -close_fd_mask=1 (their output).
#![no_main]

use dm_remap_tool::commands;
use libfuzzer_sys::fuzz_target;
use std::io::Write;
use std::path::PathBuf;

fuzz_target!(|data: &[u8]| {
    let path = PathBuf::from(format!("/dev/shm/dmr-fuzz-{}", std::process::id()));
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(&data[..data.len().min(1 << 20)]).unwrap();
    f.set_len(1 << 20).unwrap();
    let _ = commands::check(&path);
    let _ = commands::dump(&path, true);
    let _ = commands::repair(&path, true);
    let _ = commands::check(&path);
});
