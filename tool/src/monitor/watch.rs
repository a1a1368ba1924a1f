//! The monitor's memory between scans: each device's last status line and
//! event number, and when it was last warned about. `update` turns a scan
//! into the events to report (no I/O: tested on the host).

use super::events::{self, event, Event, EventCount, TEST_MESSAGE};
use dm_remap_core::status::Status;
use std::collections::BTreeMap;

/// One device as a scan saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// Its remap status fields (after `<start> <len> remap`).
    pub fields: String,
    /// Its device-mapper event number, read by the same ioctl.
    pub event_nr: u32,
}

/// What one scan saw.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scan {
    pub devices: BTreeMap<String, Seen>,
    /// Whether every device could be read: a device missing from an
    /// incomplete scan is not taken for removed.
    pub complete: bool,
}

struct Tracked {
    seen: Seen,
    /// Events its last changes may still raise (`EventCount::credit`).
    credit: u64,
    /// When (seconds, the monitor's clock) it was last reported at warning
    /// level; `None` while it needs no attention.
    warned_at: Option<u64>,
}

/// The devices the monitor knows.
pub struct Watch {
    devices: BTreeMap<String, Tracked>,
    /// Seconds between reminders for a device that still needs attention
    /// (0: none).
    reminder_s: u64,
}

impl Watch {
    pub fn new(reminder_s: u64) -> Self {
        Watch { devices: BTreeMap::new(), reminder_s }
    }

    /// Takes in `scan`, made at `now` (seconds): the events to report, by
    /// device, in order. A device whose status does not parse is left out.
    pub fn update(&mut self, scan: Scan, now: u64) -> Vec<(String, Event)> {
        let mut out = Vec::new();
        if scan.complete {
            let gone: Vec<String> = self.devices.keys().filter(|n| !scan.devices.contains_key(*n)).cloned().collect();
            for name in gone {
                self.devices.remove(&name);
                out.push((name, event("DeviceDisappeared", false, "removed".into())));
            }
        }
        for (name, seen) in scan.devices {
            let Ok(new) = Status::parse(&seen.fields) else { continue };
            let (found, credit, warned_at) = match self.devices.get(&name) {
                None => (events::first_seen(&new, &seen.fields), 0, None),
                Some(t) => {
                    let last = EventCount { nr: t.seen.event_nr, credit: t.credit };
                    let old = Status::parse(&t.seen.fields).unwrap_or(new);
                    let (found, count) = events::device_events(&old, &new, last, seen.event_nr);
                    (found, count.credit, t.warned_at)
                }
            };
            let (found, warned_at) = self.remind(found, warned_at, &new, now);
            out.extend(found.into_iter().map(|e| (name.clone(), e)));
            self.devices.insert(name, Tracked { seen, credit, warned_at });
        }
        out
    }

    /// Adds the reminder to a device's `found` events when one is due, and
    /// says when it was last warned about after them.
    fn remind(&self, mut found: Vec<Event>, warned_at: Option<u64>, s: &Status, now: u64) -> (Vec<Event>, Option<u64>) {
        let needs = events::needs_attention(s);
        let mut warned_at = if found.iter().any(|e| e.bad) { Some(now) } else { warned_at };
        if events::reminder_due(needs, warned_at, now, self.reminder_s) {
            found.push(events::reminder(s, self.reminder_s));
            warned_at = Some(now);
        }
        (found, warned_at.filter(|_| needs))
    }

    /// `--test`: a `TestMessage` for every device.
    pub fn test_messages(&self) -> Vec<(String, Event)> {
        let summary = |t: &Tracked| Status::parse(&t.seen.fields).map(|s| events::summary(&s)).unwrap_or_default();
        let detail = |t| format!("a test message from dm-remap-tool monitor --test; the device is {}", summary(t));
        self.devices.iter().map(|(n, t)| (n.clone(), event(TEST_MESSAGE, false, detail(t)))).collect()
    }

    /// The status fields of device `name` as the last scan saw them.
    pub fn fields(&self, name: &str) -> Option<&str> {
        self.devices.get(name).map(|t| t.seen.fields.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FINE: &str = "0 0/100 0 0 0 ok 0 0 0 0 0 healthy AA";
    const PENDING: &str = "1 1/100 1 3 0 ok 0 1 0 0 0 degraded AA";

    fn scan(devices: &[(&str, &str, u32)], complete: bool) -> Scan {
        let devices =
            devices.iter().map(|&(n, f, e)| (n.to_string(), Seen { fields: f.into(), event_nr: e })).collect();
        Scan { devices, complete }
    }

    fn names(events: &[(String, Event)]) -> Vec<String> {
        events.iter().map(|(d, e)| format!("{d} {}", e.name)).collect()
    }

    #[test]
    fn start_flap_and_removal() {
        let mut w = Watch::new(0);
        let e = w.update(scan(&[("a", FINE, 0), ("b", PENDING, 3)], true), 0);
        assert_eq!(names(&e), ["a NewDevice", "b NewDevice", "b DegradedDevice"]);
        assert!(w.update(scan(&[("a", FINE, 0), ("b", PENDING, 3)], true), 1).is_empty());
        // a: down and back between two scans.
        let e = w.update(scan(&[("a", FINE, 2), ("b", PENDING, 3)], true), 2);
        assert_eq!(names(&e), ["a TransientEvent"]);
        // b missing from an incomplete scan is kept, then removed.
        assert!(w.update(scan(&[("a", FINE, 2)], false), 3).is_empty());
        assert_eq!(w.fields("b"), Some(PENDING));
        assert_eq!(names(&w.update(scan(&[("a", FINE, 2)], true), 4)), ["b DeviceDisappeared"]);
        assert_eq!(names(&w.test_messages()), ["a TestMessage"]);
        assert!(w.test_messages()[0].1.detail.ends_with("the device is healthy"));
    }

    #[test]
    fn a_degraded_device_is_reminded_of() {
        let mut w = Watch::new(100);
        let mut at = |t, fields| names(&w.update(scan(&[("a", fields, 0)], true), t));
        assert_eq!(at(0, PENDING), ["a NewDevice", "a DegradedDevice"]);
        assert!(at(99, PENDING).is_empty());
        assert_eq!(at(100, PENDING), ["a DegradedDevice"]);
        assert!(at(150, PENDING).is_empty());
        assert_eq!(at(200, PENDING), ["a DegradedDevice"]);
        // Healthy again (pending blocks rewritten): no more reminders.
        assert_eq!(at(250, "1 1/100 0 3 0 ok 0 1 0 0 0 healthy AA"), ["a HealthChanged"]);
        assert!(at(1000, "1 1/100 0 3 0 ok 0 1 0 0 0 healthy AA").is_empty());
        // A new warning puts the next reminder off.
        assert_eq!(at(1001, "1 1/100 0 3 0 ok 0 1 0 0 0 healthy DA"), ["a DeviceDown"]);
        assert!(at(1100, "1 1/100 0 3 0 ok 0 1 0 0 0 healthy DA").is_empty());
        assert_eq!(at(1101, "1 1/100 0 3 0 ok 0 1 0 0 0 healthy DA"), ["a DegradedDevice"]);
    }

    #[test]
    fn a_late_event_is_no_flap() {
        let mut w = Watch::new(0);
        w.update(scan(&[("a", FINE, 2)], true), 0);
        // The pending block, then (next scan) its event.
        assert_eq!(
            names(&w.update(scan(&[("a", PENDING, 2)], true), 1)),
            ["a BlocksRelocated", "a BlocksPending", "a HealthChanged"]
        );
        assert!(w.update(scan(&[("a", PENDING, 3)], true), 2).is_empty());
        assert_eq!(names(&w.update(scan(&[("a", PENDING, 4)], true), 3)), ["a TransientEvent"]);
    }

    #[test]
    fn a_reload_is_reported() {
        let mut w = Watch::new(0);
        w.update(scan(&[("a", PENDING, 5)], true), 0);
        let e = w.update(scan(&[("a", "1 1/100 1 0 0 ok 0 0 0 0 0 degraded AA", 5)], true), 1);
        assert_eq!(names(&e), ["a Reloaded"]);
        let e = w.update(scan(&[("a", "2 2/100 1 0 0 ok 0 0 0 1 0 degraded AA", 5)], true), 2);
        assert_eq!(names(&e), ["a BlocksRelocated"]);
        assert!(names(&w.update(scan(&[("a", "x", 7)], true), 3)).is_empty(), "a status that does not parse");
    }
}
