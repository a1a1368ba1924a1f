//! `monitor`: watches every remap device, as `mdadm --monitor` watches md
//! arrays. It sleeps on device-mapper's global event (`dm_events`) and
//! rescans every `interval` seconds (devices created or removed); on each
//! wake it compares each device's status with the last one and reports
//! every change: on stdout, to syslog (`/dev/log`, so the journal), and to
//! `--program <program> <event> <device> <detail>`.

use crate::dm_events::Events;
use crate::report::remap_devices;
use crate::spare::Result;
use dm_remap_core::status::Status;
use std::collections::BTreeMap;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;

/// An event: its name (as `--program` gets it), whether it is bad news
/// (syslog warning rather than info), and what happened.
#[derive(Debug, PartialEq, Eq)]
pub struct Event {
    pub name: &'static str,
    pub bad: bool,
    pub detail: String,
}

fn event(name: &'static str, bad: bool, detail: String) -> Event {
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

/// Reports one event everywhere.
fn report(program: Option<&Path>, device: &str, e: &Event) {
    let line = format!("{device}: {}: {}", e.name, e.detail);
    println!("{line}");
    // daemon.warning or daemon.info; no syslog socket is not an error.
    let prio = if e.bad { 28 } else { 30 };
    if let Ok(sock) = UnixDatagram::unbound() {
        let _ = sock.send_to(format!("<{prio}>dm-remap-monitor: {line}").as_bytes(), "/dev/log");
    }
    if let Some(p) = program {
        match Command::new(p).args([e.name, device, &e.detail]).status() {
            Ok(s) if s.success() => {}
            Ok(s) => println!("{device}: {} failed ({s})", p.display()),
            Err(err) => println!("{device}: cannot run {}: {err}", p.display()),
        }
    }
}

/// Runs until killed.
pub fn monitor(program: Option<&Path>, interval_s: u32) -> Result<()> {
    let events = Events::open()?;
    let mut known: BTreeMap<String, String> = BTreeMap::new();
    loop {
        // Armed before the scan: an event during it wakes the next wait.
        events.arm()?;
        let now: BTreeMap<String, String> = remap_devices()?.into_iter().collect();
        for (name, fields) in &now {
            let Ok(new) = Status::parse(fields) else { continue };
            match known.get(name).and_then(|f| Status::parse(f).ok()) {
                None => report(program, name, &event("NewDevice", false, format!("{}: {fields}", new.health))),
                Some(old) => changes(&old, &new).iter().for_each(|e| report(program, name, e)),
            }
        }
        for name in known.keys().filter(|n| !now.contains_key(*n)) {
            report(program, name, &event("DeviceDisappeared", false, "removed".into()));
        }
        known = now;
        events.wait(interval_s.saturating_mul(1000).min(i32::MAX as u32) as i32)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_is_an_event() {
        let old = Status::parse("2 2/100 0 0 0 ok 0 0 0 2 0 healthy AA off 0/64 0").unwrap();
        let new = Status::parse("5 5/100 1 4 0 ok 0 3 0 2 0 degraded DA running 9/64 2").unwrap();
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
        let failed = Status::parse("2 2/100 0 0 0 failed 0 0 0 2 0 failed AA").unwrap();
        assert_eq!(changes(&old, &failed)[0], event("MetadataState", true, "ok -> failed".into()));
    }
}
