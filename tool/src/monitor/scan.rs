//! One scan: `dmsetup status -v --noflush --target remap` prints, for
//! every device with a remap target, its info (with `Event number:`) and
//! its status lines, both from one `DM_TABLE_STATUS` ioctl, so that an
//! event number always goes with the status it was read with. A device
//! removed during the scan makes dmsetup fail for that device only.
//! `Failures` decides what to log of failed scans and when to give up.

use super::watch::{Scan, Seen};
use std::collections::BTreeMap;
use std::process::Command;

/// Runs dmsetup: the scan (incomplete if dmsetup failed for some device),
/// or why it failed altogether.
pub fn run() -> Result<(Scan, Option<String>), String> {
    let args = ["status", "-v", "--noflush", "--target", "remap"];
    let out = Command::new("dmsetup").args(args).output().map_err(|e| format!("cannot run dmsetup: {e}"))?;
    let devices = parse(&String::from_utf8_lossy(&out.stdout));
    if out.status.success() {
        return Ok((Scan { devices, complete: true }, None));
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let why = match err.trim() {
        "" => format!("dmsetup {}: {}", args.join(" "), out.status),
        err => format!("dmsetup {}: {err} ({})", args.join(" "), out.status),
    };
    match devices.is_empty() {
        true => Err(why),
        false => Ok((Scan { devices, complete: false }, Some(why))),
    }
}

/// The devices in dmsetup's verbose status output: `Name:` starts a
/// device, `Event number:` gives its event number, and its first line
/// `<start> <length> remap <fields>` its status.
pub fn parse(out: &str) -> BTreeMap<String, Seen> {
    let mut devices = BTreeMap::new();
    let (mut name, mut event_nr) = (None, None);
    for line in out.lines() {
        if let Some(n) = line.strip_prefix("Name:") {
            (name, event_nr) = (Some(n.trim_start()), None);
        } else if let Some(e) = line.strip_prefix("Event number:") {
            event_nr = e.trim().parse::<u32>().ok();
        } else if let (Some(n), Some(nr), Some(fields)) = (name, event_nr, remap_fields(line)) {
            devices.entry(n.to_string()).or_insert(Seen { fields: fields.to_string(), event_nr: nr });
        }
    }
    devices
}

/// The fields of a status line `<start> <length> remap <fields>`.
fn remap_fields(line: &str) -> Option<&str> {
    let mut w = line.splitn(4, ' ');
    let (start, len, target, rest) = (w.next()?, w.next()?, w.next()?, w.next()?);
    let numbers = start.parse::<u64>().is_ok() && len.parse::<u64>().is_ok();
    (numbers && target == "remap").then_some(rest)
}

/// How long every scan may fail before the monitor gives up (seconds).
pub const GIVE_UP_S: u64 = 3600;
/// How long before the same message is logged again (seconds).
pub const RELOG_S: u64 = 600;

/// Failed scans: a run of them is logged when it starts (and again every
/// `RELOG_S` while the reason stays the same) and when it ends. The
/// monitor gives up when the first scan fails (nothing to watch with) or
/// when every scan has failed for `GIVE_UP_S`.
#[derive(Default)]
pub struct Failures {
    /// When the current run of failures started, and its length.
    since: Option<(u64, u64)>,
    ever_ok: bool,
    last_log: Option<(String, u64)>,
}

/// What to do about a failed scan.
#[derive(Debug, PartialEq, Eq)]
pub struct Verdict {
    /// A message to log, if any.
    pub log: Option<String>,
    pub give_up: bool,
}

impl Failures {
    /// A scan worked: what to log (that failures ended), if anything.
    pub fn ok(&mut self) -> Option<String> {
        self.ever_ok = true;
        let (_, n) = self.since.take()?;
        self.last_log = None;
        Some(format!("scans work again after {n} failed"))
    }

    /// A scan failed at `now` (seconds) for `why`.
    pub fn failed(&mut self, why: &str, now: u64) -> Verdict {
        let (start, n) = self.since.unwrap_or((now, 0));
        self.since = Some((start, n + 1));
        let give_up = !self.ever_ok || now.saturating_sub(start) >= GIVE_UP_S;
        let log = if !self.ever_ok {
            Some(format!("giving up: {why} (the first scan failed)"))
        } else if give_up {
            Some(format!("giving up: {why} (every scan failed for {} s)", now - start))
        } else {
            self.should_log(why, now).then(|| format!("scan failed, trying again: {why}"))
        };
        Verdict { log, give_up }
    }

    /// Whether message `msg` is news at `now`: not the last one logged,
    /// or that was `RELOG_S` ago.
    pub fn should_log(&mut self, msg: &str, now: u64) -> bool {
        let news = !matches!(&self.last_log, Some((m, t)) if m == msg && now.saturating_sub(*t) < RELOG_S);
        if news {
            self.last_log = Some((msg.to_string(), now));
        }
        news
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_verbose_status() {
        let out = "Name:              data\nState:             ACTIVE\nRead Ahead:        256\n\
                   Tables present:    LIVE\nOpen count:        0\nEvent number:      7\n\
                   Major, minor:      253, 2\nNumber of targets: 1\n\n\
                   0 8192 remap 1 1/100 1 3 0 ok 0 1 0 0 0 degraded AA off 0/4 0\n\n\
                   Name:              two words\nEvent number:      0\n\
                   UUID: 0 1 remap x\n\
                   0 10 linear 7:0 0\n10 20 remap 0 0/9 0 0 0 ok 0 0 0 0 0 healthy AA\n\
                   30 20 remap 9 9/9 0 0 0 ok 0 0 0 0 0 healthy AA\n\n\
                   Name:              noevent\n0 1 remap 0 0/9 0 0 0 ok 0 0 0 0 0 healthy AA\n";
        let d = parse(out);
        assert_eq!(d.keys().collect::<Vec<_>>(), ["data", "two words"], "a device without an event number is left out");
        assert_eq!(d["data"], Seen { fields: "1 1/100 1 3 0 ok 0 1 0 0 0 degraded AA off 0/4 0".into(), event_nr: 7 });
        assert_eq!(d["two words"], Seen { fields: "0 0/9 0 0 0 ok 0 0 0 0 0 healthy AA".into(), event_nr: 0 });
        assert!(parse("No devices found\n").is_empty());
    }

    #[test]
    fn failures() {
        let mut f = Failures::default();
        assert_eq!(
            f.failed("x", 0),
            Verdict { log: Some("giving up: x (the first scan failed)".into()), give_up: true }
        );
        let mut f = Failures::default();
        assert_eq!(f.ok(), None);
        assert_eq!(f.failed("x", 10).log.as_deref(), Some("scan failed, trying again: x"));
        assert_eq!(f.failed("x", 20), Verdict { log: None, give_up: false });
        assert!(f.failed("y", 30).log.is_some(), "another reason");
        assert_eq!(f.failed("y", 30 + RELOG_S).log.as_deref(), Some("scan failed, trying again: y"));
        assert_eq!(f.ok().as_deref(), Some("scans work again after 4 failed"));
        assert!(f.failed("y", 50 + RELOG_S).log.is_some(), "a new run is logged");
        assert!(!f.failed("y", 49 + RELOG_S + GIVE_UP_S).give_up);
        let v = f.failed("y", 50 + RELOG_S + GIVE_UP_S);
        assert!(v.give_up && v.log.unwrap().ends_with("(every scan failed for 3600 s)"));
        // A device that fails in every scan while others are read.
        let mut f = Failures::default();
        assert!(f.should_log("partial", 0) && f.ok().is_none() && !f.should_log("partial", 1), "said once");
    }
}
