//! The failure model: an I/O error means failing sectors (a media error)
//! only when the device still answers other I/O. A device that answers
//! nothing (a cable pulled, a device set offline, a dead disk: all complete
//! I/O with the same error) is down: its errors pass up, no spare block is
//! used and nothing is recorded.
//!
//! The worker decides before a failed I/O changes any block: it probes the
//! device by reading the failing block's neighbours and blocks spread over
//! the device (its first, middle and last); if none reads, the device is
//! down. While it is, failed I/O passes up at once and the worker probes
//! again with back-off (from 100 ms to 5 s) while errors or successful I/O
//! wake it. When a probe reads, the device is back in
//! service: no reload. Each change is logged and raises a table event.

use super::worker::Work;
use core::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, Ordering::Relaxed};
use kernel::prelude::*;
use kernel::time::Ktime;

/// A device of the pair.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Main = 0,
    Spare = 1,
}

const FIRST_BACKOFF_MS: i64 = 100;
const MAX_BACKOFF_MS: i64 = 5_000;
/// How long after a device went down or came back its errors are taken
/// for its link's (see `unsettled`).
const SETTLE_MS: i64 = 10_000;

/// Which devices are down: read by `end_io` and `status`, changed by the
/// worker only.
pub struct Outages {
    /// Bit `1 << role` set while that device is down (one load for
    /// `end_io` to see that all is well).
    down: AtomicU8,
    /// An I/O succeeded while a device was down (`end_io`): probe it when
    /// due.
    answered: AtomicBool,
    /// When the next probe of a down device is due (ktime, ms), and the
    /// back-off after it.
    due_ms: [AtomicI64; 2],
    backoff_ms: [AtomicI64; 2],
    /// When each device last went down or came back (ktime, ms).
    changed_ms: [AtomicI64; 2],
}

impl Outages {
    pub fn new() -> Self {
        Self {
            down: AtomicU8::new(0),
            answered: AtomicBool::new(false),
            due_ms: [const { AtomicI64::new(0) }; 2],
            backoff_ms: [const { AtomicI64::new(FIRST_BACKOFF_MS) }; 2],
            changed_ms: [const { AtomicI64::new(i64::MIN / 2) }; 2],
        }
    }

    /// Whether device `role` is down.
    pub fn is_down(&self, role: Role) -> bool {
        self.down.load(Relaxed) & (1 << role as u8) != 0
    }

    /// Whether device `role` is down, or went down or came back less than
    /// `SETTLE_MS` ago (at ktime `now_ms`): errors now are more likely its
    /// link's than its media's.
    pub fn unsettled(&self, role: Role, now_ms: i64) -> bool {
        self.is_down(role) || now_ms - self.changed_ms[role as usize].load(Relaxed) < SETTLE_MS
    }

    /// Whether either device is down.
    #[inline]
    pub fn any_down(&self) -> bool {
        self.down.load(Relaxed) != 0
    }

    /// From `end_io`, while a device is down: an I/O succeeded.
    pub fn note_answer(&self) {
        self.answered.store(true, Relaxed);
    }
}

impl Work<'_> {
    /// Whether device `role` answers I/O; `near` is a block of it (main
    /// block, or spare data block) that just failed. A device already down
    /// is probed only when its back-off is over or an I/O succeeded since.
    pub(super) fn answers(&self, role: Role, near: u64) -> bool {
        let o = &self.outages;
        let now = Ktime::ktime_get().to_ms();
        if o.is_down(role) && now < o.due_ms[role as usize].load(Relaxed) {
            return false;
        }
        let up = self.probe(role, near);
        self.set_down(role, !up, now);
        up
    }

    /// After an I/O succeeded during an outage: probes the devices that are
    /// down and due, so that they return to service (the note stays for a
    /// later run while a probe is not due).
    pub(super) fn reprobe(&self) {
        let o = &self.outages;
        if !o.answered.load(Relaxed) {
            return;
        }
        let now = Ktime::ktime_get().to_ms();
        let mut waiting = false;
        for role in [Role::Main, Role::Spare].into_iter().filter(|&r| o.is_down(r)) {
            if now < o.due_ms[role as usize].load(Relaxed) {
                waiting = true;
                continue;
            }
            let up = self.probe(role, 0);
            self.set_down(role, !up, now);
        }
        o.answered.store(waiting, Relaxed);
    }

    /// Whether the device answers: not if the block layer says it is gone;
    /// else reads blocks of it, the neighbours of `near`, then its first,
    /// middle and last blocks, and true when any reads.
    fn probe(&self, role: Role, near: u64) -> bool {
        let (dev, first, blocks) = match role {
            Role::Main => (self.main, 0, self.geometry.main_blocks()),
            Role::Spare => (self.spare, self.geometry.spare_sector(0), self.geometry.spare_blocks),
        };
        if dev.is_gone() {
            return false;
        }
        let bs = self.layout.block_sectors;
        let mut buf = self.probe_buf.lock();
        // Whole blocks only (main's last block may be short).
        let last = blocks.saturating_sub(2);
        let candidates = [near.wrapping_sub(1), near.saturating_add(1), 0, last / 2, last];
        candidates
            .iter()
            .filter(|&&b| b <= last && b != near)
            .any(|&b| self.io.read(dev, first + b * bs, &mut buf).is_ok())
    }

    fn set_down(&self, role: Role, down: bool, now: i64) {
        let i = role as usize;
        let o = &self.outages;
        let name = ["main", "spare"][i];
        if down {
            let backoff = o.backoff_ms[i].load(Relaxed);
            o.due_ms[i].store(now + backoff, Relaxed);
            o.backoff_ms[i].store((backoff * 2).min(MAX_BACKOFF_MS), Relaxed);
            if o.down.fetch_or(1 << i, Relaxed) & (1 << i) == 0 {
                o.changed_ms[i].store(now, Relaxed);
                let dev = [self.main, self.spare][i];
                let why = if dev.is_gone() { "gone, the block layer says" } else { "probes fail" };
                pr_warn!("{name} device does not answer ({why}): errors pass up, nothing is relocated until it does\n");
                self.event();
            }
        } else {
            o.backoff_ms[i].store(FIRST_BACKOFF_MS, Relaxed);
            if o.down.fetch_and(!(1 << i), Relaxed) & (1 << i) != 0 {
                o.changed_ms[i].store(now, Relaxed);
                pr_info!("{} device answers again: back in service\n", name);
                self.event();
            }
        }
    }
}
