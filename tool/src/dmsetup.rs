//! Running the real `dmsetup` (found on PATH), as every command that
//! talks to device-mapper does.

use crate::spare::{Error, Result};
use std::process::Command;

/// Runs `dmsetup <args>`: its standard output, or an I/O error with what
/// it said.
pub fn run(args: &[&str]) -> Result<String> {
    let out = Command::new("dmsetup").args(args).output().map_err(|e| Error::Io(format!("dmsetup: {e}")))?;
    if !out.status.success() {
        return Err(Error::Io(format!("dmsetup {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim())));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
