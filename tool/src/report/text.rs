//! The text report (`status` without `--json`; `monitor`'s mail): the
//! pair, then its counters under headings that say what they count: the
//! device's lifetime state (from the metadata's remaps), what happened
//! since the table was loaded (or `clear_stats`), and its state now.

use super::pair::{Dev, Entry, Pair};
use super::{advice, Report};
use std::fmt::Write;

/// Pending blocks the text names; `list` names them all.
const LISTED: usize = 10;

/// One `  <label>: <value>` line, values aligned.
fn line(t: &mut String, label: &str, value: impl std::fmt::Display) {
    let _ = writeln!(t, "  {:<19} {value}", format!("{label}:"));
}

fn dev(d: &Dev) -> String {
    match &d.path {
        Some(p) => format!("{p} ({})", d.dev),
        None => format!("{} (not in /sys/dev/block)", d.dev),
    }
}

/// Main's recorded identity, and whether the table's main has it.
fn identity(p: &Pair) -> String {
    let id = match &p.meta {
        Err(_) => return "unknown (the spare's metadata was not read)".into(),
        Ok(m) if m.main_id == 0 => return "none recorded (dm-remap-tool set-main records one)".into(),
        Ok(m) => m.main_id,
    };
    match p.main_present {
        Some(true) => format!("{id:#018x} recorded; present (the table's main has it)"),
        Some(false) => format!("{id:#018x} recorded; NOT present: the table's main is not the pair's (see find-main)"),
        None => format!("{id:#018x} recorded; whether the table's main has it is unknown"),
    }
}

/// The pending blocks as one value: the first `LISTED`, then how many
/// more `list` names.
pub fn pending_list(blocks: &[Entry], name: &str, start: u64) -> String {
    let shown: Vec<String> = blocks.iter().take(LISTED).map(|e| format!("{} ({})", e.main, e.state)).collect();
    let mut v = format!("main block{} {}", if blocks.len() == 1 { "" } else { "s" }, shown.join(", "));
    if blocks.len() > LISTED {
        let _ = write!(v, " and {} more (dmsetup message {name} {start} list)", blocks.len() - LISTED);
    }
    v
}

/// The lines about the pair: UUID, devices, identity, block size.
fn pair_lines(t: &mut String, p: &Pair) {
    line(t, "uuid", p.meta.as_ref().map_or_else(|e| format!("unknown: {e}"), |m| m.uuid.clone()));
    let [main, spare] = match &p.devices {
        Ok([m, s]) => [dev(m), dev(s)],
        Err(e) => [format!("unknown: {e}"), "unknown".into()],
    };
    line(t, "main", main);
    line(t, "main identity", identity(p));
    line(t, "spare", spare);
    line(t, "block size", p.block_size.map_or("unknown".into(), |b| format!("{b} bytes")));
}

/// Relocations by cause.
fn causes([w, rd, rec, msg]: [u64; 4]) -> String {
    format!("write errors {w}, read errors {rd}, read on retry {rec}, requested {msg}")
}

/// The text report of one device.
pub fn text(r: &Report) -> String {
    let s = &r.status;
    let up = |a: bool| if a { "answers" } else { "DOWN" };
    let mut t = format!("{}: {}\n", r.name, s.health);
    pair_lines(&mut t, &r.pair);
    t += "  lifetime (the metadata's remaps, kept across loads and reboots):\n";
    line(&mut t, "reallocated blocks", s.remaps);
    line(&mut t, "relocations", s.lifetime.map_or("unknown (a module before 0.10.0)".into(), causes));
    line(&mut t, "pending blocks", s.lost);
    match &r.pair.pending {
        Ok(b) if b.is_empty() => {}
        Ok(b) => line(&mut t, "pending list", pending_list(b, r.name, r.pair.start)),
        Err(e) => line(&mut t, "pending list", format!("unknown: {e}")),
    }
    let left = s.spare_total - s.spare_used.min(s.spare_total);
    line(&mut t, "spare blocks left", format!("{left} of {} ({} used)", s.spare_total, s.spare_used));
    t += "  since the table was loaded (or clear_stats):\n";
    line(&mut t, "relocations", causes(s.relocated));
    let (re, we, ig) = (s.read_errors, s.write_errors, s.ignored_errors);
    line(&mut t, "I/O errors", format!("{re} reads, {we} writes; {ig} not media errors"));
    let found = s.scrub.found;
    line(&mut t, "scrub found", format!("{found} unreadable blocks (since the load: clear_stats keeps it)"));
    t += "  now:\n";
    line(&mut t, "metadata", format!("{}; main {}, spare {}", s.metadata, up(s.alive[0]), up(s.alive[1])));
    line(&mut t, "scrub", format!("{}, chunk {} of {}", s.scrub.state, s.scrub.pos, s.scrub.chunks));
    let advice = advice(s);
    if advice.is_empty() {
        line(&mut t, "advice", "none");
    }
    advice.iter().for_each(|a| line(&mut t, "advice", a));
    t
}

#[cfg(test)]
mod tests {
    use super::super::pair::tests::fixture;
    use super::*;
    use dm_remap_core::status::Status;

    #[test]
    fn report() {
        let status = Status::parse("24 3100/4000 1 3 2 ok 0 1 0 23 5 degraded DA running 7/16 2 4 2 1 40").unwrap();
        let t = text(&Report { name: "data", status, pair: fixture() });
        println!("{t}");
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "data: degraded");
        for want in [
            "  uuid:               0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
            "  main:               /dev/sdb (8:16)",
            "  main identity:      0x1f2e3d4c5b6a7988 recorded; present (the table's main has it)",
            "  spare:              /dev/mapper/sp (253:4)",
            "  block size:         4096 bytes",
            "  pending blocks:     1",
            "  pending list:       main block 100 (lost)",
            "  spare blocks left:  900 of 4000 (3100 used)",
            "  relocations:        write errors 0, read errors 1, read on retry 0, requested 23",
            "  scrub found:        2 unreadable blocks (since the load: clear_stats keeps it)",
            "  metadata:           ok; main DOWN, spare answers",
            "  scrub:              running, chunk 7 of 16",
        ] {
            assert!(lines.contains(&want), "no {want:?} in\n{t}");
        }
        let at = |l: &str| lines.iter().position(|x| x.starts_with(l)).unwrap();
        assert!(at("  lifetime") < at("  reallocated blocks: 24") && at("  spare blocks left") < at("  since"));
        let lifetime = "  relocations:        write errors 4, read errors 2, read on retry 1, requested 40";
        assert!(at("  reallocated blocks") < at(lifetime) && at(lifetime) < at("  since the table"));
        assert!(
            at("  since the table") < at("  relocations:        write errors 0") && at("  scrub found") < at("  now:")
        );
        assert_eq!(lines.iter().filter(|l| l.starts_with("  advice:")).count(), 3);
        let fine = Status::parse("0 0/4000 0 0 0 ok 0 0 0 0 0 healthy AA").unwrap();
        let pair = Pair { pending: Ok(Vec::new()), ..fixture() };
        let t = text(&Report { name: "x", status: fine, pair });
        assert!(t.contains("\n  advice:             none\n") && !t.contains("pending list"), "{t}");
        assert!(t.contains("\n  relocations:        unknown (a module before 0.10.0)\n"), "{t}");
    }

    #[test]
    fn unknowns() {
        let status = Status::parse("1 1/4000 1 0 0 ok 0 0 0 1 0 degraded AD").unwrap();
        let pair = Pair {
            devices: Err("dmsetup table x: No such device".into()),
            start: 0,
            block_size: None,
            meta: Err("not read: the spare does not answer I/O".into()),
            main_present: None,
            pending: Err("unexpected line \"?\"".into()),
        };
        let t = text(&Report { name: "x", status, pair });
        assert!(t.contains("  uuid:               unknown: not read: the spare does not answer I/O\n"), "{t}");
        assert!(t.contains("  main:               unknown: dmsetup table x: No such device\n"), "{t}");
        assert!(t.contains("  main identity:      unknown (the spare's metadata was not read)\n"), "{t}");
        assert!(t.contains("  block size:         unknown\n") && t.contains("  pending list:       unknown: "), "{t}");
        let none = Pair { meta: Ok(super::super::pair::Meta { main_id: 0, ..fixture().meta.unwrap() }), ..fixture() };
        assert!(identity(&none).starts_with("none recorded"));
        let other = Pair { main_present: Some(false), ..fixture() };
        assert!(identity(&other).contains("; NOT present:"), "{}", identity(&other));
    }

    #[test]
    fn long_pending_lists() {
        let blocks: Vec<Entry> = (0..12).map(|i| Entry { main: i * 10, spare: i, state: "lost".into() }).collect();
        let v = pending_list(&blocks, "data", 0);
        assert!(v.starts_with("main blocks 0 (lost), 10 (lost), "), "{v}");
        assert!(v.ends_with("90 (lost) and 2 more (dmsetup message data 0 list)"), "{v}");
        assert_eq!(pending_list(&blocks[..2], "data", 0), "main blocks 0 (lost), 10 (lost)");
        assert!(pending_list(&blocks, "d", 2048).ends_with("(dmsetup message d 2048 list)"));
    }
}
