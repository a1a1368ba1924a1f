//! What a change of one device's status means: the events to report.
//! Pure functions of two status lines and their device-mapper event
//! numbers (no I/O), so every rule has a host test.

use dm_remap_core::policy::{spare_level, SPARE_LEVELS};
use dm_remap_core::status::Status;

/// An event: its name (as `--program` gets it), whether it is bad news
/// (syslog warning rather than info, and mailed), and what happened.
#[derive(Debug, PartialEq, Eq)]
pub struct Event {
    pub name: &'static str,
    pub bad: bool,
    pub detail: String,
}

/// The event that `--test` sends for every device.
pub const TEST_MESSAGE: &str = "TestMessage";

impl Event {
    /// Whether `--mail` sends it: bad news, and `--test`'s message.
    pub fn mailed(&self) -> bool {
        self.bad || self.name == TEST_MESSAGE
    }
}

pub fn event(name: &'static str, bad: bool, detail: String) -> Event {
    Event { name, bad, detail }
}

/// What changed from status `old` to `new`.
pub fn changes(old: &Status, new: &Status) -> Vec<Event> {
    let mut out = Vec::new();
    for (i, role) in ["main", "spare"].iter().enumerate() {
        match (old.alive[i], new.alive[i]) {
            (true, false) => out.push(event("DeviceDown", true, format!("{role} does not answer I/O"))),
            (false, true) => out.push(event("DeviceUp", false, format!("{role} answers again"))),
            _ => {}
        }
    }
    if new.remaps > old.remaps {
        let d = format!(
            "{} blocks relocated (+{}), spare {}/{}",
            new.remaps,
            new.remaps - old.remaps,
            new.spare_used,
            new.spare_total
        );
        out.push(event("BlocksRelocated", false, d));
    }
    if new.lost > old.lost {
        out.push(event("BlocksPending", true, format!("{} blocks pending (+{})", new.lost, new.lost - old.lost)));
    }
    if new.scrub.found > old.scrub.found {
        let (n, d) = (new.scrub.found, new.scrub.found - old.scrub.found);
        out.push(event("ScrubFound", true, format!("the scrub found {n} unreadable blocks (+{d})")));
    }
    if new.scrub.state != old.scrub.state {
        out.push(event("ScrubState", false, format!("{} -> {}", old.scrub.state, new.scrub.state)));
    }
    if new.metadata != old.metadata {
        out.push(event("MetadataState", new.metadata == "failed", format!("{} -> {}", old.metadata, new.metadata)));
    }
    if new.health != old.health {
        let worse = rank(new.health) > rank(old.health);
        out.push(event("HealthChanged", worse, format!("{} -> {}", old.health, new.health)));
    }
    out
}

fn rank(health: &str) -> u8 {
    ["healthy", "degraded", "critical", "failed"].iter().position(|&h| h == health).unwrap_or(4) as u8
}

/// Whether the device wants the admin: its health is not `healthy`, or
/// main or the spare does not answer I/O.
pub fn needs_attention(s: &Status) -> bool {
    s.health != "healthy" || !s.alive[0] || !s.alive[1]
}

/// The health word and what makes it so: `degraded: 1 blocks pending`.
pub fn summary(s: &Status) -> String {
    let mut why = Vec::new();
    if s.lost > 0 {
        why.push(format!("{} blocks pending", s.lost));
    }
    if spare_level(s.spare_used, s.spare_total) >= 75 {
        why.push(format!("spare {}/{} used", s.spare_used, s.spare_total));
    }
    for (i, role) in ["main", "spare"].iter().enumerate() {
        if !s.alive[i] {
            why.push(format!("{role} does not answer I/O"));
        }
    }
    if s.metadata != "ok" {
        why.push(format!("metadata {}", s.metadata));
    }
    match why.is_empty() {
        true => s.health.to_string(),
        false => format!("{}: {}", s.health, why.join(", ")),
    }
}

/// The events of a device seen for the first time (at start, or created
/// since): `NewDevice`, and `DegradedDevice` if it wants the admin (as
/// mdadm reports `DegradedArray` at start).
pub fn first_seen(s: &Status, fields: &str) -> Vec<Event> {
    let mut out = vec![event("NewDevice", false, format!("{}: {fields}", s.health))];
    if needs_attention(s) {
        out.push(event("DegradedDevice", true, summary(s)));
    }
    out
}

/// The counters that restart at a table load (or `clear_stats`), and
/// those that never go down while a table stays loaded.
fn monotonic(s: &Status) -> [u64; 10] {
    let [w, r, rec, msg] = s.relocated;
    [s.read_errors, s.write_errors, s.ignored_errors, w, r, rec, msg, s.scrub.found, s.remaps, s.spare_used]
}

/// Whether the table was reloaded (or the device re-created, or its
/// counters cleared) since the last scan: the event number or a counter
/// that only grows went down, or the spare's size changed.
pub fn reloaded(old: &Status, new: &Status, old_nr: u32, new_nr: u32) -> bool {
    new_nr < old_nr
        || monotonic(old).iter().zip(monotonic(new)).any(|(&o, n)| n < o)
        || old.spare_total != new.spare_total
}

/// How many table events the changes from `old` to `new` can explain at
/// most. The module raises one when main or the spare goes down or comes
/// back, when spare use crosses a level of `SPARE_LEVELS`, when the first
/// pending block appears, when metadata fails, and when a scrub chunk
/// finds unreadable blocks (at most one per block found).
pub fn explained(old: &Status, new: &Status) -> u64 {
    let alive = (0..2).filter(|&i| old.alive[i] != new.alive[i]).count() as u64;
    let (from, to) = (spare_level(old.spare_used, old.spare_total), spare_level(new.spare_used, new.spare_total));
    let levels = SPARE_LEVELS.iter().filter(|&&l| from < l && l <= to).count() as u64;
    let pending = u64::from(old.lost == 0 && new.lost > 0);
    let failed = u64::from(old.metadata != "failed" && new.metadata == "failed");
    alive + levels + pending + failed + new.scrub.found.saturating_sub(old.scrub.found)
}

/// A device's event number as a scan saw it, and how many events the
/// changes that scan saw may still raise (`credit`): the module raises an
/// event after the change it reports (after a metadata commit, for pending
/// blocks), so a scan can see a change before its event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventCount {
    pub nr: u32,
    pub credit: u64,
}

/// The events since the last scan (`last`) to event number `nr` that no
/// change explains, and the count for the next scan. Late events of the
/// changes the last scan saw come first (its credit, good for one scan),
/// then those of the changes from `old` to `new`.
pub fn unexplained(old: &Status, new: &Status, last: EventCount, nr: u32) -> (u64, EventCount) {
    let delta = u64::from(nr.saturating_sub(last.nr));
    let rest = delta - delta.min(last.credit);
    let now = explained(old, new);
    (rest.saturating_sub(now), EventCount { nr, credit: now.saturating_sub(rest) })
}

/// `TransientEvent` for `extra` events that no change explains: something
/// happened and undid itself between two scans (a device went down and
/// came back, pending blocks came and went).
pub fn transient(extra: u64) -> Option<Event> {
    let detail = format!(
        "{extra} device-mapper events since the last scan with no lasting change \
         (a device may have gone down and come back)"
    );
    (extra > 0).then(|| event("TransientEvent", true, detail))
}

/// The events of a device seen by the last scan (`old`, `last`) and by
/// this one (`new`, event number `nr`), and its event count. After a
/// reload the event number says nothing (the module re-arms its events):
/// `Reloaded`, then what changed.
pub fn device_events(old: &Status, new: &Status, last: EventCount, nr: u32) -> (Vec<Event>, EventCount) {
    let mut out = Vec::new();
    let count = if reloaded(old, new, last.nr, nr) {
        let d = format!(
            "the table was reloaded, the device re-created or its counters cleared: counters restart ({})",
            summary(new)
        );
        out.push(event("Reloaded", false, d));
        EventCount { nr, credit: 0 }
    } else {
        let (extra, count) = unexplained(old, new, last, nr);
        out.extend(transient(extra));
        count
    };
    out.extend(changes(old, new));
    (out, count)
}

/// A reminder is due: the device still wants the admin, reminders are on
/// (`every_s` > 0), and the last warning about it is `every_s` old (or
/// there was none).
pub fn reminder_due(needs: bool, warned_at: Option<u64>, now: u64, every_s: u64) -> bool {
    needs && every_s > 0 && warned_at.is_none_or(|t| now.saturating_sub(t) >= every_s)
}

/// The reminder, every `every_s`: `DegradedDevice` again.
pub fn reminder(s: &Status, every_s: u64) -> Event {
    let every = if every_s.is_multiple_of(3600) { format!("{} h", every_s / 3600) } else { format!("{every_s} s") };
    event("DegradedDevice", true, format!("still {} (a reminder every {every})", summary(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(line: &str) -> Status<'_> {
        Status::parse(line).unwrap()
    }

    #[test]
    fn every_change_is_an_event() {
        let old = st("2 2/100 0 0 0 ok 0 0 0 2 0 healthy AA off 0/64 0");
        let new = st("5 5/100 1 4 0 ok 0 3 0 2 0 degraded DA running 9/64 2");
        let names: Vec<_> = changes(&old, &new).iter().map(|e| (e.name, e.bad)).collect();
        assert_eq!(
            names,
            [
                ("DeviceDown", true),
                ("BlocksRelocated", false),
                ("BlocksPending", true),
                ("ScrubFound", true),
                ("ScrubState", false),
                ("HealthChanged", true)
            ]
        );
        let back: Vec<_> = changes(&new, &old).iter().map(|e| (e.name, e.bad)).collect();
        assert_eq!(back, [("DeviceUp", false), ("ScrubState", false), ("HealthChanged", false)]);
        assert!(changes(&old, &old).is_empty());
        let failed = st("2 2/100 0 0 0 failed 0 0 0 2 0 failed AA");
        assert_eq!(changes(&old, &failed)[0], event("MetadataState", true, "ok -> failed".into()));
    }

    /// `device_events` from event count `last` (no credit) to `nr`.
    fn between(old: &Status, new: &Status, last: u32, nr: u32) -> Vec<Event> {
        device_events(old, new, EventCount { nr: last, credit: 0 }, nr).0
    }

    #[test]
    fn a_flap_between_two_scans_is_reported() {
        let s = st("2 2/100 1 7 0 ok 0 1 0 1 0 degraded AA");
        // Main went down and came back: two events, the same status.
        let e = between(&s, &s, 4, 6);
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].name, e[0].bad), ("TransientEvent", true));
        assert!(e[0].detail.starts_with("2 device-mapper events since the last scan with no lasting change"));
        assert!(between(&s, &s, 6, 6).is_empty(), "no event, nothing to say");
        // Down, up, down again: the last change explains one of three.
        let down = st("2 2/100 1 9 0 ok 0 1 0 1 0 degraded DA");
        let e = between(&s, &down, 6, 9);
        assert_eq!(e.iter().map(|e| e.name).collect::<Vec<_>>(), ["TransientEvent", "DeviceDown"]);
        assert!(e[0].detail.starts_with("2 device-mapper"), "{}", e[0].detail);
    }

    #[test]
    fn changes_that_raise_events_explain_them() {
        let old = st("10 40/100 0 0 0 ok 0 0 0 10 0 healthy AA running 1/64 0");
        // Spare 40 % -> 80 % (levels 50 and 75), first pending block,
        // metadata failed, the scrub found 3 blocks, main down: 8 at most.
        let new = st("80 80/100 1 1 0 failed 0 1 0 79 0 failed DA running 9/64 3");
        assert_eq!(explained(&old, &new), 2 + 1 + 1 + 3 + 1);
        assert_eq!(unexplained(&old, &new, EventCount::default(), 8).0, 0);
        assert_eq!(unexplained(&old, &new, EventCount::default(), 9).0, 1);
        // Relocations below a level, or more pending blocks, raise none.
        let more = st("12 42/100 2 1 0 ok 0 1 0 11 0 degraded AA running 1/64 0");
        let pending = st("12 42/100 1 1 0 ok 0 1 0 11 0 degraded AA running 1/64 0");
        assert_eq!(explained(&pending, &more), 0);
        assert_eq!(between(&pending, &more, 3, 4)[0].name, "TransientEvent");
    }

    #[test]
    fn an_event_after_its_change_is_no_flap() {
        let (fine, pending) =
            (st("0 0/100 0 1 0 ok 0 0 0 0 0 healthy AA"), st("1 1/100 1 1 0 ok 0 1 0 0 0 degraded AA"));
        // The scan saw the first pending block before its event...
        let (e, count) = device_events(&fine, &pending, EventCount { nr: 3, credit: 0 }, 3);
        assert_eq!(e.iter().map(|e| e.name).collect::<Vec<_>>(), ["BlocksRelocated", "BlocksPending", "HealthChanged"]);
        assert_eq!(count, EventCount { nr: 3, credit: 1 });
        // ...which the next one sees, with nothing new: explained.
        let (e, count) = device_events(&pending, &pending, count, 4);
        assert!(e.is_empty() && count == EventCount { nr: 4, credit: 0 }, "{e:?}");
        // The late event, then a flap: the flap is reported.
        assert_eq!(unexplained(&pending, &pending, EventCount { nr: 3, credit: 1 }, 6).0, 2);
        // A change whose event came with it leaves no credit.
        assert_eq!(
            unexplained(&fine, &pending, EventCount { nr: 3, credit: 0 }, 4),
            (0, EventCount { nr: 4, credit: 0 })
        );
        // The credit lasts one scan.
        let (_, count) = unexplained(&pending, &pending, EventCount { nr: 3, credit: 1 }, 3);
        assert_eq!(unexplained(&pending, &pending, count, 4).0, 1);
    }

    #[test]
    fn a_reload_resets_the_baseline() {
        let old = st("5 5/100 1 7 2 ok 1 1 0 3 0 degraded AA running 9/64 4");
        // The since-load counters restart; the event number does not.
        let new = st("5 5/100 1 0 0 ok 0 0 0 0 0 degraded AA running 9/64 0");
        assert!(reloaded(&old, &new, 3, 4));
        let (e, count) = device_events(&old, &new, EventCount { nr: 3, credit: 2 }, 4);
        assert_eq!(e.iter().map(|e| (e.name, e.bad)).collect::<Vec<_>>(), [("Reloaded", false)]);
        assert!(e[0].detail.ends_with("(degraded: 1 blocks pending)"), "{}", e[0].detail);
        assert_eq!(count, EventCount { nr: 4, credit: 0 });
        // Re-created: the event number restarts.
        assert!(reloaded(&old, &old, 3, 0));
        // A new spare, even with counters as high as before.
        let other = st("5 5/200 1 7 2 ok 1 1 0 3 0 degraded AA running 9/64 4");
        assert!(reloaded(&old, &other, 3, 3));
        assert!(!reloaded(&old, &old, 3, 9), "more events is no reload");
        // After the reload, the next scrub finding is reported at once.
        let found = st("5 5/100 1 0 0 ok 0 0 0 0 0 degraded AA running 10/64 1");
        let e = between(&new, &found, 4, 5);
        assert_eq!(e.iter().map(|e| e.name).collect::<Vec<_>>(), ["ScrubFound"]);
    }

    #[test]
    fn a_degraded_device_is_reported_at_start() {
        let fine = st("0 0/100 0 0 0 ok 0 0 0 0 0 healthy AA");
        let first = first_seen(&fine, "f");
        assert_eq!(first, [event("NewDevice", false, "healthy: f".into())]);
        let bad = st("80 80/100 1 0 0 ok 0 0 0 80 0 degraded AD");
        let e = first_seen(&bad, "f");
        assert_eq!(
            e.iter().map(|e| (e.name, e.bad)).collect::<Vec<_>>(),
            [("NewDevice", false), ("DegradedDevice", true)]
        );
        assert_eq!(e[1].detail, "degraded: 1 blocks pending, spare 80/100 used, spare does not answer I/O");
        // Healthy, but main down.
        assert!(needs_attention(&st("0 0/100 0 0 0 ok 0 0 0 0 0 healthy DA")));
        assert_eq!(summary(&st("0 0/100 0 0 0 failed 0 0 0 0 0 failed AA")), "failed: metadata failed");
    }

    #[test]
    fn reminders() {
        let day = 24 * 3600;
        assert!(!reminder_due(true, Some(100), 100 + day - 1, day));
        assert!(reminder_due(true, Some(100), 100 + day, day));
        assert!(reminder_due(true, None, 0, day), "never warned");
        assert!(!reminder_due(false, Some(0), 10 * day, day), "healthy again");
        assert!(!reminder_due(true, Some(0), 10 * day, 0), "off");
        let s = st("1 1/100 1 0 0 ok 0 0 0 1 0 degraded AA");
        assert_eq!(reminder(&s, day).detail, "still degraded: 1 blocks pending (a reminder every 24 h)");
        assert_eq!(reminder(&s, 4).detail, "still degraded: 1 blocks pending (a reminder every 4 s)");
        assert!(event(TEST_MESSAGE, false, String::new()).mailed() && !event("DeviceUp", false, "".into()).mailed());
    }
}
