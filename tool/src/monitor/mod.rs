//! `monitor`: watches every remap device, as `mdadm --monitor` watches md
//! arrays and smartd watches disks. It sleeps on device-mapper's global
//! event (`dm_events`) and rescans at least every `interval` seconds; each
//! scan reads every remap device's status with its device-mapper event
//! number (`scan`), and the events to report follow from what the last
//! scan saw (`watch`, `events`): every change, a change undone between two
//! scans (the event number moved), a reload, a degraded device at start
//! and, while it stays so, every `--reminder` hours. Each event goes to
//! stdout, syslog, `--program` and, for bad news, `--mail` (`notify`).
//!
//! The pure decisions (events.rs, watch.rs, scan.rs's parsing and
//! failure policy) have host tests; this file is the loop.

pub mod events;
pub mod notify;
pub mod scan;
pub mod watch;

use crate::dm_events::Events;
use crate::report;
use crate::spare::{Error, Result};
use dm_remap_core::status::Status;
use notify::{Mail, Notify};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use watch::Watch;

/// The environment variable that gives `--mail` when the option is absent
/// (for the systemd unit's EnvironmentFile).
pub const MAIL_ENV: &str = "DM_REMAP_MAIL";

/// What `monitor` was asked to do.
pub struct Options {
    pub program: Option<PathBuf>,
    /// Seconds before a program or sendmail still running is killed.
    pub program_timeout_s: u32,
    /// Seconds between scans when no event comes.
    pub interval_s: u32,
    pub mail: Option<String>,
    pub sendmail: PathBuf,
    /// Hours between reminders for a device that stays degraded (0: none).
    pub reminder_h: f64,
    /// Scan once, report as at start, and exit.
    pub oneshot: bool,
    /// Send a `TestMessage` for every device at start.
    pub test: bool,
}

/// The mail destination: `--mail`, else `$DM_REMAP_MAIL` if set and not
/// empty.
pub fn mail_address(option: Option<String>) -> Option<String> {
    option.or_else(|| std::env::var(MAIL_ENV).ok().filter(|a| !a.trim().is_empty()))
}

/// Reminder hours as seconds, or why they are not a duration.
fn reminder_seconds(hours: f64) -> Result<u64> {
    if !(0.0..=100_000.0).contains(&hours) {
        return Err(Error::Usage(format!("--reminder {hours}: hours from 0 (no reminders) to 100000")));
    }
    Ok((hours * 3600.0).round() as u64)
}

/// Milliseconds to wait for an event: the interval, or less when something
/// running in the background is due to be killed sooner.
fn wait_ms(interval_s: u32, until_deadline: Option<Duration>) -> i32 {
    let interval = u64::from(interval_s) * 1000;
    let deadline = until_deadline.map_or(u64::MAX, |d| d.as_millis() as u64 + 1);
    interval.min(deadline).min(i32::MAX as u64) as i32
}

/// Runs until killed (or, with `oneshot`, scans once).
pub fn monitor(o: &Options) -> Result<()> {
    let reminder_s = reminder_seconds(o.reminder_h)?;
    let mail = match &o.mail {
        Some(to) if !notify::valid_address(to) => return Err(Error::Usage(format!("--mail {to:?}: not an address"))),
        Some(to) => Some(Mail { to: to.clone(), sendmail: o.sendmail.clone() }),
        None => None,
    };
    let timeout = Duration::from_secs(o.program_timeout_s.into());
    let mut notify = Notify::new(o.program.clone(), mail, timeout);
    let events = if o.oneshot { None } else { Some(Events::open()?) };
    let (clock, mut watch, mut failures) = (Instant::now(), Watch::new(reminder_s), scan::Failures::default());
    let mut first = true;
    loop {
        // Armed before the scan: an event during it wakes the next wait.
        events.as_ref().map(Events::arm).transpose()?;
        scan_once(&mut watch, &mut failures, &mut notify, clock.elapsed().as_secs())?;
        if first && o.test {
            let tests = watch.test_messages();
            if tests.is_empty() {
                notify::log(false, "--test: no remap devices to send a TestMessage for");
            }
            tests.iter().for_each(|(d, e)| notify.report(d, e, status_report(&watch, d).as_deref()));
        }
        first = false;
        let Some(events) = &events else {
            notify.finish();
            return Ok(());
        };
        notify.reap(Instant::now());
        let until = notify.next_deadline().map(|d| d.saturating_duration_since(Instant::now()));
        events.wait(wait_ms(o.interval_s, until))?;
    }
}

/// One scan and its events; an error when the monitor gives up.
fn scan_once(watch: &mut Watch, failures: &mut scan::Failures, notify: &mut Notify, now: u64) -> Result<()> {
    let (scan, partial) = match scan::run() {
        Ok(s) => s,
        Err(why) => {
            let verdict = failures.failed(&why, now);
            verdict.log.iter().for_each(|l| notify::log(true, l));
            return if verdict.give_up { Err(Error::Io(why)) } else { Ok(()) };
        }
    };
    if let Some(l) = failures.ok() {
        notify::log(false, &l);
    }
    if let Some(why) = partial.filter(|w| failures.should_log(w, now)) {
        notify::log(true, &format!("some devices could not be read: {why}"));
    }
    for (device, e) in watch.update(scan, now) {
        notify.report(&device, &e, status_report(watch, &device).as_deref());
    }
    Ok(())
}

/// Device `name`'s status report as `dm-remap-tool status` prints it: its
/// counters as the last scan saw them, what is said of the pair read now
/// (for mail).
fn status_report(watch: &Watch, name: &str) -> Option<String> {
    let status = Status::parse(watch.fields(name)?).ok()?;
    let pair = report::Pair::read(name, &status);
    Some(report::text(&report::Report { name, status, pair }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        assert_eq!(wait_ms(10, None), 10_000);
        assert_eq!(wait_ms(10, Some(Duration::from_millis(2500))), 2501, "a program is due to be killed");
        assert_eq!(wait_ms(3600, Some(Duration::from_secs(7200))), 3_600_000);
        assert_eq!(reminder_seconds(24.0).ok(), Some(86_400));
        assert_eq!(reminder_seconds(0.001).ok(), Some(4));
        assert_eq!(reminder_seconds(0.0).ok(), Some(0));
        assert!(reminder_seconds(-1.0).is_err() && reminder_seconds(f64::NAN).is_err());
        assert_eq!(mail_address(Some("root".into())).as_deref(), Some("root"));
    }
}
