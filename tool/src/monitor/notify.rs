//! Where events go: stdout, syslog (`/dev/log`, so the journal), the
//! `--program` and `--mail`. Programs and sendmail run in the background:
//! the loop reaps them and kills (their process group) any that outlives
//! `--program-timeout`, so a slow one never delays a scan.

use super::events::Event;
use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// At most this many programs and mails at once; more are not started
/// (and logged).
const MAX_RUNNING: usize = 32;

/// Logs a line of the monitor's own on stdout and to syslog (daemon.warning
/// if `bad`, else daemon.info); no syslog socket is not an error. Under
/// systemd, when stdout is the journal, the line goes there once, with its
/// priority as the journal's `<n>` prefix, and not to syslog as well.
pub fn log(bad: bool, line: &str) {
    if stdout_is_journal() {
        println!("<{}>{line}", if bad { 4 } else { 6 });
        return;
    }
    println!("{line}");
    let prio = if bad { 28 } else { 30 };
    if let Ok(sock) = UnixDatagram::unbound() {
        let _ = sock.send_to(format!("<{prio}>dm-remap-monitor: {line}").as_bytes(), "/dev/log");
    }
}

/// Whether stdout is the journal's stream: systemd names it in
/// `JOURNAL_STREAM` as `<device>:<inode>`.
fn stdout_is_journal() -> bool {
    use std::os::unix::fs::MetadataExt;
    let stream = std::env::var("JOURNAL_STREAM").unwrap_or_default();
    let stdout = std::fs::metadata("/proc/self/fd/1");
    stdout.is_ok_and(|m| is_stream(&stream, m.dev(), m.ino()))
}

/// Whether `JOURNAL_STREAM`'s value `stream` names the file `dev`:`ino`.
fn is_stream(stream: &str, dev: u64, ino: u64) -> bool {
    stream.split_once(':').is_some_and(|(d, i)| d.parse() == Ok(dev) && i.parse() == Ok(ino))
}

/// Where `--mail` goes.
pub struct Mail {
    pub to: String,
    pub sendmail: PathBuf,
}

/// Whether `to` can go in a To: header: not empty, no control characters
/// (no header injection), not an option.
pub fn valid_address(to: &str) -> bool {
    !to.trim().is_empty() && !to.chars().any(char::is_control) && !to.starts_with('-')
}

/// The message piped to `sendmail -t`: headers, the event, and the
/// device's status report (`report`, as `dm-remap-tool status` prints it).
pub fn mail_message(to: &str, host: &str, device: &str, e: &Event, report: Option<&str>) -> String {
    let clean = |s: &str| s.chars().map(|c| if c.is_control() { '?' } else { c }).collect::<String>();
    let (device, host) = (clean(device), clean(host));
    let report = report.unwrap_or("(no status: the device is gone)\n");
    format!(
        "To: {to}\nSubject: dm-remap {name} on {device} ({host})\nAuto-Submitted: auto-generated\n\
         MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\n\
         This is an automatically generated mail message from dm-remap-tool monitor on {host}.\n\n\
         A {name} event was detected on remap device {device}:\n\n  {detail}\n\n{report}",
        name = e.name,
        detail = e.detail,
    )
}

/// This machine's name, for the mail's subject.
pub fn host_name() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    Some(name.trim()).filter(|n| !n.is_empty()).unwrap_or("localhost").to_string()
}

/// A program or sendmail running in the background.
struct Running {
    child: Child,
    what: String,
    deadline: Instant,
}

/// The sinks beyond stdout and syslog, and what runs in the background.
pub struct Notify {
    pub program: Option<PathBuf>,
    pub mail: Option<Mail>,
    pub timeout: Duration,
    pub host: String,
    running: Vec<Running>,
}

impl Notify {
    pub fn new(program: Option<PathBuf>, mail: Option<Mail>, timeout: Duration) -> Self {
        Notify { program, mail, timeout, host: host_name(), running: Vec::new() }
    }

    /// Reports one event everywhere: stdout and syslog, then starts the
    /// program and, for bad news and test messages, the mail.
    pub fn report(&mut self, device: &str, e: &Event, report: Option<&str>) {
        log(e.bad, &format!("{device}: {}: {}", e.name, e.detail));
        if let Some(p) = &self.program {
            let mut cmd = Command::new(p);
            cmd.args([e.name, device, &e.detail]).stdin(Stdio::null());
            self.start(cmd, format!("{} {} {device}", p.display(), e.name), None);
        }
        if let Some(m) = self.mail.as_ref().filter(|_| e.mailed()) {
            let text = mail_message(&m.to, &self.host, device, e, report);
            let mut cmd = Command::new(&m.sendmail);
            cmd.arg("-t").stdin(Stdio::piped());
            self.start(cmd, format!("{} -t ({} {device})", m.sendmail.display(), e.name), Some(text));
        }
    }

    /// Starts `cmd` in a process group of its own (killed whole at the
    /// timeout), writing `input` to its stdin; does not wait for it.
    fn start(&mut self, mut cmd: Command, what: String, input: Option<String>) {
        self.reap(Instant::now());
        if self.running.len() >= MAX_RUNNING {
            return log(true, &format!("not run: {what}: {MAX_RUNNING} programs still running"));
        }
        let mut child = match cmd.process_group(0).spawn() {
            Ok(c) => c,
            Err(err) => return log(true, &format!("cannot run {what}: {err}")),
        };
        // A message of a few KiB fits in the pipe: this does not block.
        if let (Some(mut stdin), Some(text)) = (child.stdin.take(), input) {
            if let Err(err) = stdin.write_all(text.as_bytes()) {
                log(true, &format!("{what}: writing the message: {err}"));
            }
        }
        self.running.push(Running { child, what, deadline: Instant::now() + self.timeout });
    }

    /// Collects what has ended (logging failures) and kills what is past
    /// its deadline at `now`.
    pub fn reap(&mut self, now: Instant) {
        let timeout = self.timeout.as_secs();
        self.running.retain_mut(|r| match r.child.try_wait() {
            Ok(Some(s)) if s.success() => false,
            Ok(Some(s)) => {
                log(true, &format!("{} failed ({s})", r.what));
                false
            }
            Ok(None) if now < r.deadline => true,
            Ok(None) | Err(_) => {
                // SAFETY: kill(2) on the child's process group (its pid:
                // `process_group(0)`), which it has not been reaped from.
                unsafe { libc::kill(-(r.child.id() as libc::pid_t), libc::SIGKILL) };
                let _ = r.child.wait();
                log(true, &format!("{}: killed after {timeout} s", r.what));
                false
            }
        });
    }

    /// The earliest deadline of what runs, if anything does.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.running.iter().map(|r| r.deadline).min()
    }

    /// Waits for everything started to end (or be killed at its deadline).
    pub fn finish(&mut self) {
        while let Some(deadline) = self.next_deadline() {
            let now = Instant::now();
            std::thread::sleep(deadline.saturating_duration_since(now).min(Duration::from_millis(50)));
            self.reap(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::events::event;

    #[test]
    fn the_mail() {
        let e = event("DeviceDown", true, "main does not answer I/O".into());
        let m = mail_message("root@example.org", "box", "da\nta", &e, Some("data: degraded\n"));
        assert!(m.starts_with("To: root@example.org\nSubject: dm-remap DeviceDown on da?ta (box)\n"), "{m}");
        let (head, body) = m.split_once("\n\n").unwrap();
        assert!(head.contains("\nAuto-Submitted: auto-generated\n"), "{head}");
        assert!(body.contains("DeviceDown event was detected on remap device da?ta:\n\n  main does not answer I/O\n\n"));
        assert!(body.ends_with("\n\ndata: degraded\n"), "{body}");
        assert!(mail_message("root", "b", "d", &e, None).ends_with("(no status: the device is gone)\n"));
        assert!(valid_address("root") && valid_address("a@b.c, d@e.f"));
        assert!(!valid_address("") && !valid_address("a@b\nBcc: x@y") && !valid_address("-oQ/tmp"));
    }

    /// Whether process `pid` has ended (gone, or a zombie).
    fn ended(pid: &str) -> bool {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        stat.rsplit_once(") ").is_none_or(|(_, rest)| rest.starts_with('Z'))
    }

    #[test]
    fn a_slow_program_is_killed_and_never_waited_for() {
        let pid_file = std::env::temp_dir().join(format!("dm-remap-monitor-test.{}", std::process::id()));
        let mut n = Notify::new(None, None, Duration::from_millis(300));
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", "sleep 100 & echo $! >\"$0\"; wait", pid_file.to_str().unwrap()]);
        let started = Instant::now();
        n.start(cmd, "sleeper".into(), None);
        n.start(Command::new("/bin/true"), "quick".into(), None);
        // (Bounds far below the program's 100 s, for a loaded machine.)
        assert!(started.elapsed() < Duration::from_secs(50), "start waits for nothing");
        n.finish();
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(300) && took < Duration::from_secs(50), "{took:?}");
        assert!(n.next_deadline().is_none());
        // The program's own children went with it (its process group).
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        let _ = std::fs::remove_file(&pid_file);
        let t = Instant::now();
        while !ended(pid.trim()) && t.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(ended(pid.trim()), "the program's child {pid} outlived it");
    }

    #[test]
    fn the_journal_is_known_by_its_stream() {
        assert!(is_stream("22:4719", 22, 4719));
        assert!(!is_stream("22:4719", 22, 4718));
        assert!(!is_stream("", 22, 4719));
        assert!(!is_stream("22", 22, 4719));
    }
}
