//! `status --json`: a list of objects, one per device. The keys of
//! earlier versions keep their meaning (monitoring scripts read them);
//! the counters are also grouped as `lifetime` (from the metadata's
//! remaps) and `since_load` (since the table was loaded or `clear_stats`),
//! and the pair is described (`uuid`, `main`, `spare`, `block_size`,
//! `main_id`, `main_id_present`, `pending_list`, `errors`).

use super::pair::{Dev, Pair};
use super::{advice, Report};
use dm_remap_core::status::Status;
use serde_json::{json, Value};

/// Relocations by cause.
fn causes([w, r, rec, msg]: [u64; 4]) -> Value {
    json!({"write_error": w, "read_error": r, "read_on_retry": rec, "message": msg})
}

/// The keys of earlier versions.
fn counters(name: &str, s: &Status) -> Value {
    json!({
        "device": name, "health": s.health, "reallocated": s.remaps, "pending": s.lost,
        "relocated": causes(s.relocated),
        "spare_used": s.spare_used, "spare_total": s.spare_total,
        "read_errors": s.read_errors, "write_errors": s.write_errors, "ignored_errors": s.ignored_errors,
        "metadata": s.metadata, "main_alive": s.alive[0], "spare_alive": s.alive[1], "advice": advice(s),
        "scrub": {"state": s.scrub.state, "chunk": s.scrub.pos, "chunks": s.scrub.chunks, "found": s.scrub.found},
    })
}

/// The same counters by what they count.
fn grouped(s: &Status) -> Value {
    json!({
        "lifetime": {
            "reallocated": s.remaps, "pending": s.lost, "spare_used": s.spare_used, "spare_total": s.spare_total,
            "relocated": s.lifetime.map(causes),
        },
        "since_load": {
            "relocated": causes(s.relocated),
            "read_errors": s.read_errors, "write_errors": s.write_errors, "ignored_errors": s.ignored_errors,
            "scrub_found": s.scrub.found,
        },
    })
}

fn dev(d: &Dev) -> Value {
    json!({"path": d.path, "dev": d.dev})
}

/// What could not be read of the pair, each as `<what>: <why>`.
pub fn errors(p: &Pair) -> Vec<String> {
    let devices = p.devices.as_ref().err().map(|e| format!("devices: {e}"));
    let meta = p.meta.as_ref().err().map(|e| format!("spare metadata: {e}"));
    let pending = p.pending.as_ref().err().map(|e| format!("pending list: {e}"));
    [devices, meta, pending].into_iter().flatten().collect()
}

/// The pair (null for what is unknown). `main_id` is a hex string: a
/// 64-bit hash does not fit JSON's exact integers.
fn pair(p: &Pair) -> Value {
    let meta = p.meta.as_ref().ok();
    let [main, spare] = match &p.devices {
        Ok([m, s]) => [dev(m), dev(s)],
        Err(_) => [Value::Null, Value::Null],
    };
    let main_id = meta.filter(|m| m.main_id != 0).map(|m| format!("{:#018x}", m.main_id));
    let pending = p.pending.as_ref().ok().map(|l| {
        l.iter().map(|e| json!({"main_block": e.main, "spare_block": e.spare, "state": e.state})).collect::<Vec<_>>()
    });
    json!({
        "uuid": meta.map(|m| &m.uuid), "main": main, "spare": spare, "block_size": p.block_size,
        "main_id": main_id, "main_id_present": p.main_present, "pending_list": pending, "errors": errors(p),
    })
}

/// One device's object.
pub fn to_json(r: &Report) -> Value {
    let mut v = counters(r.name, &r.status);
    let obj = v.as_object_mut().expect("an object");
    for extra in [grouped(&r.status), pair(&r.pair)] {
        if let Value::Object(m) = extra {
            obj.extend(m);
        }
    }
    v
}

/// All devices.
pub fn list(reports: &[Report]) -> Value {
    Value::Array(reports.iter().map(to_json).collect())
}

#[cfg(test)]
mod tests {
    use super::super::pair::tests::fixture;
    use super::*;

    #[test]
    fn keys() {
        let status = Status::parse("24 3100/4000 1 3 2 ok 0 1 0 23 5 degraded DA running 7/16 2 4 2 1 40").unwrap();
        let j = to_json(&Report { name: "data", status, pair: fixture() });
        println!("{j}");
        assert_eq!(
            (j["device"].as_str(), j["pending"].as_u64(), j["main_alive"].as_bool()),
            (Some("data"), Some(1), Some(false))
        );
        assert_eq!(
            (j["reallocated"].as_u64(), j["relocated"]["message"].as_u64(), j["scrub"]["found"].as_u64()),
            (Some(24), Some(23), Some(2))
        );
        let relocated = json!({"write_error": 4, "read_error": 2, "read_on_retry": 1, "message": 40});
        let lifetime =
            json!({"reallocated": 24, "pending": 1, "spare_used": 3100, "spare_total": 4000, "relocated": relocated});
        assert_eq!(j["lifetime"], lifetime);
        assert_eq!(j["since_load"]["relocated"]["read_error"], 1);
        assert_eq!(
            (j["since_load"]["ignored_errors"].as_u64(), j["since_load"]["scrub_found"].as_u64()),
            (Some(5), Some(2))
        );
        assert_eq!(j["uuid"], "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9");
        assert_eq!(j["main"], json!({"path": "/dev/sdb", "dev": "8:16"}));
        assert_eq!(j["spare"]["path"], "/dev/mapper/sp");
        assert_eq!((j["block_size"].as_u64(), j["main_id"].as_str()), (Some(4096), Some("0x1f2e3d4c5b6a7988")));
        assert_eq!(j["main_id_present"], true);
        assert_eq!(j["pending_list"], json!([{"main_block": 100, "spare_block": 3, "state": "lost"}]));
        assert_eq!(j["errors"], json!([]));
        let flat = j.to_string();
        assert!(flat.contains("\"device\":\"data\"") && flat.contains("\"pending\":1"), "the VM test's grep: {flat}");
    }

    #[test]
    fn unknowns_are_null() {
        let status = Status::parse("0 0/4000 0 0 0 ok 0 0 0 0 0 healthy AD").unwrap();
        let unknown = Pair {
            devices: Err("no table".into()),
            meta: Err("not read: the spare does not answer I/O".into()),
            main_present: None,
            block_size: None,
            ..fixture()
        };
        let j = to_json(&Report { name: "x", status, pair: unknown });
        for key in ["uuid", "main", "spare", "block_size", "main_id", "main_id_present"] {
            assert!(j[key].is_null(), "{key}: {j}");
        }
        assert_eq!(
            j["errors"],
            json!(["devices: no table", "spare metadata: not read: the spare does not answer I/O"])
        );
        let none = Pair { meta: Ok(super::super::pair::Meta { main_id: 0, ..fixture().meta.unwrap() }), ..fixture() };
        assert!(pair(&none)["main_id"].is_null());
    }
}
