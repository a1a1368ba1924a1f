//! The `remap` target: safe Rust on top of the `dm` layer.

#[cfg(CONFIG_KUNIT)]
mod kunit_tests;
mod stats;

use crate::dm::{
    Bio, Ctr, CtrError, DeviceVisitor, DmDev, MapResult, MessageError, QueueLimits, StatusType,
    Target,
};
use crate::remap_core::args::ArgSet;
use crate::remap_core::emit::Emitter;
use crate::remap_core::{geometry, table};
use core::ffi::{c_int, CStr};
use core::fmt::Write;
use stats::IoStats;

/// One `remap` target: a main device whose blocks can be relocated onto a
/// spare device. Today every block maps to main, as with dm-linear.
pub struct RemapTarget {
    begin: u64,
    len: u64,
    main: DmDev,
    spare: DmDev,
    stats: IoStats,
}

impl Target for RemapTarget {
    const NAME: &'static CStr = c"remap";
    const VERSION: [u32; 3] = [0, 1, 0];

    fn new(ctr: &mut Ctr<'_>, args: ArgSet<'_>) -> Result<Self, CtrError> {
        let t = table::parse(args).map_err(|e| CtrError::invalid(e.0))?;
        let main = ctr.get_device(t.main, c"Main device lookup failed")?;
        let spare = ctr.get_device(t.spare, c"Spare device lookup failed")?;
        if main.is_same_device(&spare) {
            return Err(CtrError::invalid(c"Main and spare are the same device"));
        }
        geometry::check(ctr.len(), main.sectors(), spare.sectors())
            .map_err(|e| CtrError::invalid(e.0))?;
        // Empty flushes go to both devices: bio 0 to main, 1 to spare.
        ctr.set_num_flush_bios(2);
        if main.max_discard_sectors() > 0 {
            ctr.enable_discards();
        }
        ctr.enable_write_zeroes();
        Ok(Self {
            begin: ctr.begin(),
            len: ctr.len(),
            main,
            spare,
            stats: IoStats::new(),
        })
    }

    fn map(&self, bio: &mut Bio<'_>) -> MapResult {
        // An empty flush's sector is meaningless (it can lie before
        // `begin`): handle it before any offset arithmetic.
        if bio.is_empty_flush() {
            let dev = if bio.target_bio_nr() == 0 {
                &self.main
            } else {
                &self.spare
            };
            bio.set_dev(dev);
            return MapResult::Remapped;
        }
        match geometry::target_offset(self.begin, bio.sector()) {
            Some(sector) => {
                bio.remap(&self.main, sector);
                MapResult::Remapped
            }
            None => MapResult::Kill,
        }
    }

    fn end_io(&self, bio: &Bio<'_>, status: u8) {
        if status != 0 {
            self.stats.count_error(bio.is_read());
        }
    }

    fn status(&self, kind: StatusType, out: &mut Emitter<'_>) {
        // A write that does not fit leaves the buffer full, which DM reports
        // to userspace as "buffer full" (see Emitter): nothing to do here.
        let _ = match kind {
            StatusType::Info => {
                let (reads, writes) = self.stats.errors();
                write!(out, "{reads} {writes}")
            }
            StatusType::Table => write!(out, "{} {}", DevName(&self.main), DevName(&self.spare)),
            StatusType::Ima => {
                let [a, b, c] = Self::VERSION;
                write!(
                    out,
                    "target_name=remap,target_version={a}.{b}.{c},main_device={},spare_device={};",
                    DevName(&self.main),
                    DevName(&self.spare)
                )
            }
        };
    }

    fn message(&self, mut args: ArgSet<'_>, _out: &mut Emitter<'_>) -> Result<bool, MessageError> {
        let cmd = args.next_arg().ok_or(MessageError("empty message"))?;
        match cmd.to_bytes() {
            b"clear_stats" if args.remaining() == 0 => {
                self.stats.clear();
                Ok(false)
            }
            b"clear_stats" => Err(MessageError("clear_stats takes no arguments")),
            _ => Err(MessageError("unknown message")),
        }
    }

    fn iterate_devices(&self, visitor: &mut DeviceVisitor<'_>) -> c_int {
        match visitor.visit(&self.main, 0, self.len) {
            0 => visitor.visit(&self.spare, 0, self.spare.sectors()),
            r => r,
        }
    }

    fn io_hints(&self, limits: &mut QueueLimits<'_>) {
        // Blocks are remapped in units of BLOCK_SIZE: smaller writes would
        // become read-modify-write on a remapped block.
        limits.raise_io_min(geometry::BLOCK_SIZE);
    }
}

/// Formats a device by its `major:minor` name.
struct DevName<'a>(&'a DmDev);

impl core::fmt::Display for DevName<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // DM names are "major:minor", always ASCII.
        f.write_str(self.0.name().to_str().unwrap_or("?"))
    }
}
