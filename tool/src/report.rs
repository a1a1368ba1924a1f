//! `status`: one report per remap device from its `dmsetup status` line:
//! SMART-like counters (reallocated and pending blocks, relocations by
//! cause), spare left, health and what to do; as text, JSON or the
//! Prometheus text format.

use crate::dmsetup;
use crate::spare::{Error, Result};
use dm_remap_core::status::Status;
use serde_json::json;
use std::fmt::Write;

/// The output formats.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Prometheus,
}

/// Every device with a `remap` target, by name, with the fields of its
/// (first) remap status line.
pub fn remap_devices() -> Result<Vec<(String, String)>> {
    let list = dmsetup::run(&["ls", "--target", "remap"])?;
    let mut out = Vec::new();
    for name in list.lines().filter_map(|l| l.split_whitespace().next()).filter(|&n| n != "No") {
        // (A device removed since the listing is left out.)
        if let Ok(fields) = status_fields(name) {
            out.push((name.to_string(), fields));
        }
    }
    Ok(out)
}

/// The fields of device `name`'s first remap status line.
pub fn status_fields(name: &str) -> Result<String> {
    let text = dmsetup::run(&["status", name])?;
    let line = text.lines().find_map(|l| {
        let mut w = l.splitn(4, ' ');
        let (_, _, target, rest) = (w.next()?, w.next()?, w.next()?, w.next()?);
        (target == "remap").then(|| rest.to_string())
    });
    line.ok_or_else(|| Error::Usage(format!("{name} has no remap target")))
}

/// What the admin should do, worst first.
pub fn advice(s: &Status) -> Vec<&'static str> {
    let mut a = Vec::new();
    if !s.alive[0] || !s.alive[1] {
        a.push("a device does not answer I/O: check its cable, power and kernel log; service resumes by itself");
    }
    match s.health {
        "failed" => a.push("metadata cannot be written: check the spare, then reload the table"),
        "critical" => a.push("the spare is nearly full: copy this device to a new disk (docs/operations.rst)"),
        _ => {}
    }
    if s.lost > 0 {
        a.push("blocks are pending: reads of them fail until they are rewritten whole (restore them from backup)");
    }
    if s.spare_total > 0 && s.spare_used * 4 >= s.spare_total * 3 && s.health != "critical" {
        a.push("the spare is 75 % used or more: plan to replace main");
    }
    a
}

/// The text report of one device (`status` without `--json`; `monitor`'s mail).
pub fn text(name: &str, s: &Status) -> String {
    let [w, r, rec, msg] = s.relocated;
    let left = s.spare_total - s.spare_used.min(s.spare_total);
    let up = |a: bool| if a { "answers" } else { "DOWN" };
    let mut t = format!("{name}: {}\n", s.health);
    let _ = writeln!(
        t,
        "  reallocated blocks: {} (write errors {w}, read errors {r}, read on retry {rec}, requested {msg})",
        s.remaps
    );
    let _ = writeln!(t, "  pending blocks:     {}", s.lost);
    let _ = writeln!(t, "  spare blocks left:  {left} of {}", s.spare_total);
    let _ = writeln!(
        t,
        "  I/O errors:         {} reads, {} writes; {} not media errors",
        s.read_errors, s.write_errors, s.ignored_errors
    );
    let _ = writeln!(t, "  metadata:           {}; main {}, spare {}", s.metadata, up(s.alive[0]), up(s.alive[1]));
    let sc = &s.scrub;
    let _ = writeln!(
        t,
        "  scrub:              {}, chunk {} of {}, {} unreadable blocks found",
        sc.state, sc.pos, sc.chunks, sc.found
    );
    let advice = advice(s);
    if advice.is_empty() {
        t += "  advice:             none\n";
    }
    for a in advice {
        let _ = writeln!(t, "  advice:             {a}");
    }
    t
}

fn to_json(name: &str, s: &Status) -> serde_json::Value {
    let [w, r, rec, msg] = s.relocated;
    json!({
        "device": name, "health": s.health, "reallocated": s.remaps, "pending": s.lost,
        "relocated": {"write_error": w, "read_error": r, "read_on_retry": rec, "message": msg},
        "spare_used": s.spare_used, "spare_total": s.spare_total,
        "read_errors": s.read_errors, "write_errors": s.write_errors, "ignored_errors": s.ignored_errors,
        "metadata": s.metadata, "main_alive": s.alive[0], "spare_alive": s.alive[1], "advice": advice(s),
        "scrub": {"state": s.scrub.state, "chunk": s.scrub.pos, "chunks": s.scrub.chunks, "found": s.scrub.found},
    })
}

/// The Prometheus text format for all devices (each metric's HELP and
/// TYPE once, then a sample per device).
fn prometheus(devices: &[(String, Status)]) -> String {
    type Sample = fn(&Status) -> Vec<(String, u64)>;
    let metrics: [(&str, &str, &str, Sample); 10] = [
        ("reallocated_blocks", "gauge", "Blocks of main relocated to the spare.", |s| vec![(String::new(), s.remaps)]),
        ("pending_blocks", "gauge", "Blocks whose reads fail until rewritten.", |s| vec![(String::new(), s.lost)]),
        ("spare_blocks_used", "gauge", "Spare blocks handed out.", |s| vec![(String::new(), s.spare_used)]),
        ("spare_blocks", "gauge", "Spare blocks in all.", |s| vec![(String::new(), s.spare_total)]),
        ("relocations_total", "counter", "Blocks relocated since load, by cause.", |s| {
            let causes = ["write_error", "read_error", "read_on_retry", "message"];
            causes.iter().zip(s.relocated).map(|(c, n)| (format!(",cause=\"{c}\""), n)).collect()
        }),
        ("io_errors_total", "counter", "Failed I/O since load, by direction.", |s| {
            vec![(",op=\"read\"".into(), s.read_errors), (",op=\"write\"".into(), s.write_errors)]
        }),
        ("health", "gauge", "1 for the device's health word.", |s| {
            ["healthy", "degraded", "critical", "failed"]
                .iter()
                .map(|h| (format!(",health=\"{h}\""), u64::from(s.health == *h)))
                .collect()
        }),
        ("device_up", "gauge", "1 while the device answers I/O.", |s| {
            vec![(",role=\"main\"".into(), u64::from(s.alive[0])), (",role=\"spare\"".into(), u64::from(s.alive[1]))]
        }),
        ("scrub_chunk", "gauge", "The next chunk the scrub reads (of scrub_chunks).", |s| {
            vec![(String::new(), s.scrub.pos), (",of=\"chunks\"".into(), s.scrub.chunks)]
        }),
        ("scrub_found_blocks_total", "counter", "Unreadable blocks the scrub found since load.", |s| {
            vec![(String::new(), s.scrub.found)]
        }),
    ];
    let mut out = String::new();
    for (metric, kind, help, sample) in metrics {
        let _ = writeln!(out, "# HELP dm_remap_{metric} {help}\n# TYPE dm_remap_{metric} {kind}");
        for (name, s) in devices {
            for (labels, v) in sample(s) {
                let _ = writeln!(out, "dm_remap_{metric}{{device=\"{name}\"{labels}}} {v}");
            }
        }
    }
    out
}

/// `status`: the named devices, or every remap device.
pub fn status(names: &[String], format: Format) -> Result<()> {
    let lines = if names.is_empty() {
        remap_devices()?
    } else {
        names.iter().map(|n| Ok((n.clone(), status_fields(n)?))).collect::<Result<_>>()?
    };
    let mut parsed = Vec::new();
    for (name, fields) in &lines {
        let s = Status::parse(fields).map_err(|e| Error::Metadata(format!("{name}: status '{fields}': {}", e.0)))?;
        parsed.push((name.clone(), s));
    }
    match format {
        Format::Text if parsed.is_empty() => println!("no remap devices"),
        Format::Text => parsed.iter().for_each(|(n, s)| print!("{}", text(n, s))),
        Format::Json => println!("{}", json!(parsed.iter().map(|(n, s)| to_json(n, s)).collect::<Vec<_>>())),
        Format::Prometheus => print!("{}", prometheus(&parsed)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports() {
        let s = Status::parse("24 3100/4000 1 3 2 ok 0 1 0 24 5 degraded DA").unwrap();
        let t = text("data", &s);
        assert!(t.starts_with("data: degraded\n"), "{t}");
        assert!(t.contains("reallocated blocks: 24 (write errors 0, read errors 1, read on retry 0, requested 24)"));
        assert!(t.contains("spare blocks left:  900 of 4000") && t.contains("main DOWN, spare answers"), "{t}");
        assert_eq!(advice(&s).len(), 3, "down, pending, 75 %");
        let j = to_json("data", &s);
        assert_eq!((j["pending"].as_u64(), j["main_alive"].as_bool()), (Some(1), Some(false)));
        let p = prometheus(&[("data".into(), s)]);
        assert!(p.contains("dm_remap_relocations_total{device=\"data\",cause=\"message\"} 24\n"), "{p}");
        assert!(p.contains("dm_remap_health{device=\"data\",health=\"degraded\"} 1\n"));
        assert!(p.contains("dm_remap_device_up{device=\"data\",role=\"main\"} 0\n"));
        assert_eq!(p.matches("# TYPE").count(), 10);
        assert!(p.contains("dm_remap_scrub_found_blocks_total{device=\"data\"} 0\n"), "{p}");
        let fine = Status::parse("0 0/4000 0 0 0 ok 0 0 0 0 0 healthy AA").unwrap();
        assert!(advice(&fine).is_empty() && text("x", &fine).contains("advice:             none"));
    }
}
