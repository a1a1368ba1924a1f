//! Policies of automatic remapping: which I/O errors count as media
//! failures, when spare usage is worth an event, and the one-word health
//! verdict of `dmsetup status`.

/// Values of the kernel's `blk_status_t` (include/linux/blk_types.h;
/// bindings/helpers.c checks them at build time).
pub mod blk_status {
    pub const NOTSUPP: u8 = 1;
    pub const TIMEOUT: u8 = 2;
    pub const NOSPC: u8 = 3;
    pub const TRANSPORT: u8 = 4;
    pub const TARGET: u8 = 5;
    pub const MEDIUM: u8 = 7;
    pub const PROTECTION: u8 = 8;
    pub const RESOURCE: u8 = 9;
    pub const IOERR: u8 = 10;
    pub const DM_REQUEUE: u8 = 11;
    pub const AGAIN: u8 = 12;
    pub const DEV_RESOURCE: u8 = 13;
    pub const OFFLINE: u8 = 16;
    pub const INVAL: u8 = 19;
}

/// What a failed I/O to main says about the blocks it addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The medium (or the device, for a reason tied to those sectors)
    /// failed: the blocks are candidates for relocation.
    Media,
    /// The I/O failed for a reason that says nothing about the blocks
    /// (path, queue, resources, unsupported operation, reservation, ...):
    /// the error passes up unchanged and no spare is used.
    Other,
}

/// Classifies a `blk_status_t` of a failed I/O to main.
///
/// Media errors are `IOERR` (what drivers report for an unrecovered read or
/// write error, and what dm-dust and dm-flakey inject), `MEDIUM` (SCSI
/// medium error, NVMe unrecovered read) and `PROTECTION` (an integrity
/// check failed: the stored data is bad). Everything else is transient or
/// says nothing about the sectors: `TIMEOUT`, `TRANSPORT`, `OFFLINE`
/// (path or device gone: relocating would copy onto a spare the whole disk
/// as it disappears), `AGAIN`, `RESOURCE`, `DEV_RESOURCE`, `DM_REQUEUE`
/// (retry later), `NOTSUPP`, `NOSPC`, `TARGET`, `INVAL`, `RESV_CONFLICT`,
/// `DURATION_LIMIT` (a request the device refuses by design).
pub fn classify(status: u8) -> ErrorClass {
    use blk_status::*;
    match status {
        IOERR | MEDIUM | PROTECTION => ErrorClass::Media,
        _ => ErrorClass::Other,
    }
}

/// Spare usage levels, in percent, that raise a table event when crossed
/// upwards.
pub const SPARE_LEVELS: [u8; 4] = [50, 75, 90, 100];

/// The highest level of `SPARE_LEVELS` that `used` of `total` spare blocks
/// reaches, or 0.
pub fn spare_level(used: u64, total: u64) -> u8 {
    if total == 0 {
        return 0;
    }
    // No 128-bit division in the kernel; spare block counts fit in 32 bits.
    let pct = if used >= total { 100 } else { used.saturating_mul(100) / total };
    SPARE_LEVELS.iter().rev().copied().find(|&l| pct >= u64::from(l)).unwrap_or(0)
}

/// Edge-triggered event levels: remembers the last level reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LevelTrigger {
    reported: u8,
}

impl LevelTrigger {
    /// A trigger that has already reported `level` (for a table loaded
    /// with the spare already that full: no event for old news).
    pub fn at(level: u8) -> Self {
        Self { reported: level }
    }

    /// Whether moving to `level` crosses a level not reported yet.
    /// Falling back (never, with a spare allocator that only grows) re-arms.
    pub fn update(&mut self, level: u8) -> bool {
        let fire = level > self.reported;
        self.reported = level;
        fire
    }
}

/// What the health verdict is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthInputs {
    /// Metadata writes failed: no more remaps until reload.
    pub metadata_failed: bool,
    /// Spare blocks used and in total.
    pub spare_used: u64,
    pub spare_total: u64,
    /// Blocks whose data is lost until rewritten.
    pub pending: u64,
}

/// The one-word verdict of `dmsetup status`, worst first:
/// `failed` (metadata cannot be written), `critical` (spare 90 % used or
/// more), `degraded` (blocks with lost data, or spare 75 % used or more),
/// `healthy`.
pub fn health(h: &HealthInputs) -> &'static str {
    let level = spare_level(h.spare_used, h.spare_total);
    if h.metadata_failed {
        "failed"
    } else if level >= 90 {
        "critical"
    } else if h.pending > 0 || level >= 75 {
        "degraded"
    } else {
        "healthy"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_media_errors_count() {
        for s in [blk_status::IOERR, blk_status::MEDIUM, blk_status::PROTECTION] {
            assert_eq!(classify(s), ErrorClass::Media, "status {s}");
        }
        for s in (0..=255u8).filter(|s| ![7, 8, 10].contains(s)) {
            assert_eq!(classify(s), ErrorClass::Other, "status {s}");
        }
    }

    #[test]
    fn spare_levels() {
        assert_eq!(spare_level(0, 100), 0);
        assert_eq!(spare_level(49, 100), 0);
        assert_eq!(spare_level(50, 100), 50);
        assert_eq!(spare_level(89, 100), 75);
        assert_eq!(spare_level(90, 100), 90);
        assert_eq!(spare_level(99, 100), 90);
        assert_eq!(spare_level(100, 100), 100);
        assert_eq!(spare_level(3, 0), 0);
        assert_eq!(spare_level(u64::MAX, u64::MAX), 100);
    }

    #[test]
    fn events_fire_once_per_level_crossed() {
        let mut t = LevelTrigger::default();
        assert!(!t.update(0));
        assert!(t.update(50));
        assert!(!t.update(50));
        assert!(t.update(90), "skipping 75 still fires once");
        assert!(!t.update(90));
        assert!(t.update(100));
        let mut loaded = LevelTrigger::at(75);
        assert!(!loaded.update(75));
        assert!(loaded.update(90));
    }

    #[test]
    fn health_verdicts() {
        let h = |metadata_failed, spare_used, pending| {
            health(&HealthInputs { metadata_failed, spare_used, spare_total: 100, pending })
        };
        assert_eq!(h(false, 0, 0), "healthy");
        assert_eq!(h(false, 74, 0), "healthy");
        assert_eq!(h(false, 10, 1), "degraded");
        assert_eq!(h(false, 75, 0), "degraded");
        assert_eq!(h(false, 90, 0), "critical");
        assert_eq!(h(false, 100, 3), "critical");
        assert_eq!(h(true, 0, 0), "failed");
    }
}
