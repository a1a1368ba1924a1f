//! `status`: one report per remap device. The counters come from its
//! `dmsetup status` line; the rest of what is said of the pair (its UUID,
//! devices, main's identity, the block size, the pending blocks) from its
//! table, the spare's metadata and the module's `list` message (`pair`).
//! Some counters are the device's lifetime state (they come from the
//! metadata's remaps), others count since the table was loaded (or
//! `clear_stats`): every format keeps the two apart. As text (`text`),
//! JSON (`json`) or the Prometheus text format (`prometheus`).

mod json;
pub mod pair;
mod prometheus;
mod text;

pub use pair::Pair;
pub use text::text;

use crate::dmsetup;
use crate::spare::{Error, Result};
use dm_remap_core::status::Status;

/// The output formats.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Prometheus,
}

/// What one report is made from.
pub struct Report<'a> {
    pub name: &'a str,
    pub status: Status<'a>,
    pub pair: Pair,
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

/// `status`: the named devices, or every remap device. What cannot be
/// read of a pair is said in its report (and, for `--prometheus`, on
/// stderr); only a status line that cannot be read fails.
pub fn status(names: &[String], format: Format) -> Result<()> {
    let lines = if names.is_empty() {
        remap_devices()?
    } else {
        names.iter().map(|n| Ok((n.clone(), status_fields(n)?))).collect::<Result<_>>()?
    };
    let mut reports = Vec::new();
    for (name, fields) in &lines {
        let status =
            Status::parse(fields).map_err(|e| Error::Metadata(format!("{name}: status '{fields}': {}", e.0)))?;
        let pair = Pair::read(name, &status);
        reports.push(Report { name, status, pair });
    }
    match format {
        Format::Text if reports.is_empty() => println!("no remap devices"),
        Format::Text => print!("{}", reports.iter().map(text).collect::<Vec<_>>().join("\n")),
        Format::Json => println!("{}", json::list(&reports)),
        Format::Prometheus => {
            for r in &reports {
                json::errors(&r.pair).iter().for_each(|e| eprintln!("dm-remap-tool: {}: {e}", r.name));
            }
            print!("{}", prometheus::exposition(&reports))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_worst_first() {
        let s = Status::parse("24 3100/4000 1 3 2 ok 0 1 0 24 5 degraded DA").unwrap();
        let a = advice(&s);
        assert_eq!(a.len(), 3, "down, pending, 75 %");
        assert!(a[0].starts_with("a device does not answer") && a[2].contains("75 %"), "{a:?}");
        let fine = Status::parse("0 0/4000 0 0 0 ok 0 0 0 0 0 healthy AA").unwrap();
        assert!(advice(&fine).is_empty());
        let full = Status::parse("3900 3900/4000 0 0 0 full 0 0 0 0 0 critical AA").unwrap();
        assert_eq!(advice(&full), ["the spare is nearly full: copy this device to a new disk (docs/operations.rst)"]);
    }
}
