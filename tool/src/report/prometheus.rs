//! `status --prometheus`: the Prometheus text exposition format, for
//! node_exporter's textfile collector. Named by Prometheus's rules
//! (https://prometheus.io/docs/practices/naming/): one quantity per
//! metric, `_total` on counters only (those count since the table was
//! loaded, or `clear_stats`: a reload is a counter reset), states as one
//! 0/1 series per possible state, the pair's identity in `dm_remap_info`.

use super::Report;
use std::fmt::Write;

/// A sample's labels after `device`.
type Labels = Vec<(&'static str, String)>;

/// One metric: its name after `dm_remap_`, type, help, and samples for a
/// device.
struct Metric {
    name: &'static str,
    kind: &'static str,
    help: &'static str,
    sample: fn(&Report) -> Vec<(Labels, u64)>,
}

const HEALTH: [&str; 4] = ["healthy", "degraded", "critical", "failed"];
const METADATA: [&str; 4] = ["ok", "full", "failed", "read-only"];
const SCRUB: [&str; 3] = ["off", "running", "paused"];
const CAUSES: [&str; 4] = ["write_error", "read_error", "read_on_retry", "message"];

/// One sample per cause.
fn by_cause(counts: [u64; 4]) -> Vec<(Labels, u64)> {
    CAUSES.iter().zip(counts).map(|(c, n)| (vec![("cause", c.to_string())], n)).collect()
}

/// Every metric, in the order printed.
const METRICS: [Metric; 16] = [
    Metric {
        name: "info",
        kind: "gauge",
        help: "The pair's UUID, devices and block size (labels); always 1.",
        sample: info,
    },
    Metric {
        name: "reallocated_blocks",
        kind: "gauge",
        help: "Blocks of main relocated to the spare, over the pair's lifetime (the metadata's remaps).",
        sample: |r| one(r.status.remaps),
    },
    Metric {
        name: "pending_blocks",
        kind: "gauge",
        help: "Blocks whose reads fail until they are rewritten whole (from the metadata).",
        sample: |r| one(r.status.lost),
    },
    Metric {
        name: "spare_blocks_used",
        kind: "gauge",
        help: "Spare blocks handed out over the pair's lifetime.",
        sample: |r| one(r.status.spare_used),
    },
    Metric {
        name: "spare_blocks",
        kind: "gauge",
        help: "Spare data blocks in all.",
        sample: |r| one(r.status.spare_total),
    },
    Metric {
        name: "relocations_total",
        kind: "counter",
        help: "Blocks relocated since the table was loaded (or clear_stats), by cause.",
        sample: |r| by_cause(r.status.relocated),
    },
    Metric {
        name: "lifetime_relocations_total",
        kind: "counter",
        help: "Blocks relocated over the pair's life (the metadata's counters, kept across loads), by cause.",
        sample: |r| r.status.lifetime.map_or_else(Vec::new, by_cause),
    },
    Metric {
        name: "io_errors_total",
        kind: "counter",
        help: "Reads and writes that failed since the table was loaded (or clear_stats), by op.",
        sample: |r| {
            vec![
                (vec![("op", "read".into())], r.status.read_errors),
                (vec![("op", "write".into())], r.status.write_errors),
            ]
        },
    },
    Metric {
        name: "ignored_errors_total",
        kind: "counter",
        help:
            "Failed I/O that was no media error (passed up, no spare used) since the table was loaded (or clear_stats).",
        sample: |r| one(r.status.ignored_errors),
    },
    Metric {
        name: "health",
        kind: "gauge",
        help: "1 for the device's health word, 0 for the others.",
        sample: |r| states("health", &HEALTH, r.status.health),
    },
    Metric {
        name: "metadata_state",
        kind: "gauge",
        help: "1 for the metadata's state, 0 for the others.",
        sample: |r| states("state", &METADATA, r.status.metadata),
    },
    Metric {
        name: "device_up",
        kind: "gauge",
        help: "1 while the device answers I/O, by role.",
        sample: |r| {
            let [main, spare] = r.status.alive.map(u64::from);
            vec![(vec![("role", "main".into())], main), (vec![("role", "spare".into())], spare)]
        },
    },
    Metric {
        name: "scrub_state",
        kind: "gauge",
        help: "1 for the scrub's state, 0 for the others.",
        sample: |r| states("state", &SCRUB, r.status.scrub.state),
    },
    Metric {
        name: "scrub_chunk",
        kind: "gauge",
        help: "The next chunk of main the scrub reads (of dm_remap_scrub_chunks).",
        sample: |r| one(r.status.scrub.pos),
    },
    Metric {
        name: "scrub_chunks",
        kind: "gauge",
        help: "The chunks of main a scrub pass reads.",
        sample: |r| one(r.status.scrub.chunks),
    },
    Metric {
        name: "scrub_found_blocks_total",
        kind: "counter",
        help: "Unreadable blocks the scrub found since the table was loaded.",
        sample: |r| one(r.status.scrub.found),
    },
];

fn one(v: u64) -> Vec<(Labels, u64)> {
    vec![(Vec::new(), v)]
}

/// A state as one series per state it can take under `label`, 1 for
/// `now` and 0 for the others (a state this version does not know gets a
/// series of its own).
fn states(label: &'static str, known: &[&str], now: &str) -> Vec<(Labels, u64)> {
    let mut out: Vec<(Labels, u64)> =
        known.iter().map(|k| (vec![(label, k.to_string())], u64::from(*k == now))).collect();
    if !known.contains(&now) {
        out.push((vec![(label, now.to_string())], 1));
    }
    out
}

/// `dm_remap_info`'s labels: what is unknown is empty.
fn info(r: &Report) -> Vec<(Labels, u64)> {
    let p = &r.pair;
    let uuid = p.meta.as_ref().map_or(String::new(), |m| m.uuid.clone());
    let [main, spare] = match &p.devices {
        Ok(d) => d.clone().map(|d| d.path.unwrap_or(d.dev)),
        Err(_) => [String::new(), String::new()],
    };
    let block_size = p.block_size.map_or(String::new(), |b| b.to_string());
    vec![(vec![("uuid", uuid), ("main", main), ("spare", spare), ("block_size_bytes", block_size)], 1)]
}

/// A label value as the text format writes it: backslash, double quote
/// and line feed escaped.
pub fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out += "\\\\",
            '"' => out += "\\\"",
            '\n' => out += "\\n",
            c => out.push(c),
        }
    }
    out
}

/// One sample line.
fn sample(metric: &str, device: &str, labels: &Labels, v: u64) -> String {
    let mut l = format!("dm_remap_{metric}{{device=\"{}\"", escape(device));
    for (k, val) in labels {
        let _ = write!(l, ",{k}=\"{}\"", escape(val));
    }
    format!("{l}}} {v}\n")
}

/// All devices: each metric's HELP and TYPE once, then its samples.
pub fn exposition(reports: &[Report]) -> String {
    let mut out = String::new();
    for m in &METRICS {
        let _ = writeln!(out, "# HELP dm_remap_{} {}\n# TYPE dm_remap_{} {}", m.name, m.help, m.name, m.kind);
        for r in reports {
            for (labels, v) in (m.sample)(r) {
                out += &sample(m.name, r.name, &labels, v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::pair::tests::fixture;
    use super::*;
    use dm_remap_core::status::Status;

    #[test]
    fn metrics() {
        let status = Status::parse("24 3100/4000 1 3 2 ok 0 1 0 23 5 degraded DA running 7/16 2 4 2 1 40").unwrap();
        let p = exposition(&[Report { name: "data", status, pair: fixture() }]);
        println!("{p}");
        for want in [
            "dm_remap_info{device=\"data\",uuid=\"0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9\",main=\"/dev/sdb\",spare=\"/dev/mapper/sp\",block_size_bytes=\"4096\"} 1",
            "dm_remap_pending_blocks{device=\"data\"} 1",
            "dm_remap_relocations_total{device=\"data\",cause=\"message\"} 23",
            "dm_remap_lifetime_relocations_total{device=\"data\",cause=\"write_error\"} 4",
            "dm_remap_ignored_errors_total{device=\"data\"} 5",
            "dm_remap_health{device=\"data\",health=\"degraded\"} 1",
            "dm_remap_health{device=\"data\",health=\"healthy\"} 0",
            "dm_remap_metadata_state{device=\"data\",state=\"ok\"} 1",
            "dm_remap_metadata_state{device=\"data\",state=\"read-only\"} 0",
            "dm_remap_device_up{device=\"data\",role=\"main\"} 0",
            "dm_remap_scrub_state{device=\"data\",state=\"running\"} 1",
            "dm_remap_scrub_chunk{device=\"data\"} 7",
            "dm_remap_scrub_chunks{device=\"data\"} 16",
            "dm_remap_scrub_found_blocks_total{device=\"data\"} 2",
        ] {
            assert!(p.lines().any(|l| l == want), "no {want} in\n{p}");
        }
        assert_eq!((p.matches("# TYPE").count(), p.matches("# HELP").count()), (16, 16));
        for l in p.lines().filter(|l| l.starts_with("# TYPE")) {
            let w: Vec<&str> = l.split(' ').collect();
            assert_eq!(w[2].ends_with("_total"), w[3] == "counter", "_total on counters only: {l}");
        }
        let samples = p.lines().filter(|l| !l.starts_with('#')).count();
        assert_eq!(samples, 1 + 4 + 4 + 4 + 2 + 1 + 4 + 4 + 2 + 3 + 3, "{p}");
    }

    #[test]
    fn states_and_escapes() {
        assert_eq!(escape(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape("line\nnext"), "line\\nnext");
        assert_eq!(escape("plain-name_1"), "plain-name_1");
        let odd = vec![("uuid", "x\"y".to_string())];
        assert_eq!(sample("info", "we\\ird\n", &odd, 1), "dm_remap_info{device=\"we\\\\ird\\n\",uuid=\"x\\\"y\"} 1\n");
        let s = states("state", &SCRUB, "stalled");
        assert_eq!(s.len(), 4, "an unknown state gets a series");
        assert_eq!(s.iter().map(|(_, v)| v).sum::<u64>(), 1);
        assert_eq!(s[3], (vec![("state", "stalled".to_string())], 1));
        let status = Status::parse("0 0/4000 0 0 0 ok 0 0 0 0 0 healthy AD").unwrap();
        let pair =
            super::super::Pair { devices: Err("x".into()), meta: Err("y".into()), block_size: None, ..fixture() };
        let i = info(&Report { name: "x", status, pair });
        assert!(i[0].0.iter().all(|(_, v)| v.is_empty()), "{:?}", i);
    }
}
