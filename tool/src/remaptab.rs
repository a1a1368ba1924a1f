//! `/etc/remaptab`: the remap devices to assemble at boot, one per line,
//! as crypttab names dm-crypt devices:
//!
//! ```text
//! # <name>  <main>                                 <spare>       [<options>]
//! data      /dev/disk/by-id/wwn-0x5000c500a1b2c3d4  UUID=6f1c…    nofail
//! ```
//!
//! `main` is a path (a by-id name is stable; a /dev/sdX name is not, and
//! the identity check refuses the wrong disk behind it). `spare` is a path
//! or `UUID=<the pair's UUID>` (`dm-remap-tool dump` prints it). Options,
//! comma-separated, or `-`: `block_size=<bytes>`, `read_retries=<n>` and
//! `scrub=<MiB/s>` (the target's feature arguments), `noauto` (left out by `assemble
//! --all` and at boot), `nofail` (the boot goes on without it),
//! `format` (`assemble` may format a spare that holds no metadata: without
//! it, such a spare is refused, since a blank disk behind the spare's name
//! may be a new disk or names that moved), `x-systemd.device-timeout=<time>` (how long the generator's unit waits
//! for each of the two devices, as in fstab: `90s`, `5min`, `infinity`;
//! `assemble` ignores it). `#` starts a comment.

use std::path::PathBuf;

/// The default remaptab.
pub const PATH: &str = "/etc/remaptab";

/// How a line names a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dev {
    Path(PathBuf),
    /// The pair's UUID, as `dump` prints it (lower case).
    Uuid(String),
}

/// One line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub main: PathBuf,
    pub spare: Dev,
    /// Feature arguments for the table line.
    pub features: Vec<String>,
    pub noauto: bool,
    pub nofail: bool,
    /// `format`: assembly may format a spare that holds no metadata.
    pub format: bool,
    /// `x-systemd.device-timeout=`: a systemd time span, for the
    /// generator only.
    pub device_timeout: Option<String>,
}

/// Parses a remaptab, refusing it whole: the error names the first bad
/// line and what is wrong with it.
pub fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let (entries, mut errors) = parse_lines(text);
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors.swap_remove(0))
    }
}

/// Parses a remaptab line by line: the good lines, and for each bad line
/// (in order) `line <n>: <what is wrong>`. Of two lines with one name the
/// first is kept and the second is reported.
pub fn parse_lines(text: &str) -> (Vec<Entry>, Vec<String>) {
    let mut entries: Vec<Entry> = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default();
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        match entry(&words) {
            Ok(e) if entries.iter().any(|o| o.name == e.name) => {
                errors.push(format!("line {}: a second line for '{}'", i + 1, e.name))
            }
            Ok(e) => entries.push(e),
            Err(why) => errors.push(format!("line {}: {why}", i + 1)),
        }
    }
    (entries, errors)
}

fn entry(words: &[&str]) -> Result<Entry, String> {
    let (name, main, spare, options) = match words {
        [n, m, s] => (*n, *m, *s, "-"),
        [n, m, s, o] => (*n, *m, *s, *o),
        _ => return Err(format!("{} fields, expected <name> <main> <spare> [<options>]", words.len())),
    };
    let name_ok = name.bytes().all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(&c));
    if !name_ok || name.starts_with(['-', '.']) || name.len() > 127 {
        return Err(format!("name '{name}': use letters, digits, '_', '.' and '-' (not first), at most 127"));
    }
    if !main.starts_with('/') {
        return Err(format!("main '{main}' is not an absolute path (UUID= names only a spare)"));
    }
    let spare = match spare.strip_prefix("UUID=") {
        Some(u) if is_uuid(u) => Dev::Uuid(u.to_ascii_lowercase()),
        Some(u) => return Err(format!("'{u}' is not a UUID")),
        None if spare.starts_with('/') => Dev::Path(spare.into()),
        None => return Err(format!("spare '{spare}' is neither an absolute path nor UUID=<uuid>")),
    };
    let mut e = Entry {
        name: name.into(),
        main: main.into(),
        spare,
        features: Vec::new(),
        noauto: false,
        nofail: false,
        format: false,
        device_timeout: None,
    };
    for opt in options.split(',').filter(|&o| o != "-") {
        option(&mut e, opt)?;
    }
    Ok(e)
}

/// Applies one option to `e`.
fn option(e: &mut Entry, opt: &str) -> Result<(), String> {
    match opt.split_once('=') {
        None if opt == "noauto" => e.noauto = true,
        None if opt == "nofail" => e.nofail = true,
        None if opt == "format" => e.format = true,
        Some((key @ ("block_size" | "read_retries" | "scrub"), value)) if value.parse::<u32>().is_ok() => {
            e.features.extend([key.to_string(), value.to_string()])
        }
        Some(("x-systemd.device-timeout", value)) if is_timespan(value) => e.device_timeout = Some(value.into()),
        Some(("x-systemd.device-timeout", value)) => {
            return Err(format!("x-systemd.device-timeout '{value}': not a time (90s, 5min, 1h, 500ms, infinity)"))
        }
        _ => {
            let known = "block_size=<n>, read_retries=<n>, scrub=<MiB/s>, noauto, nofail, \
                         format, x-systemd.device-timeout=<time>";
            return Err(format!("unknown option '{opt}' ({known})"));
        }
    }
    Ok(())
}

/// A time span as systemd reads it for a device timeout: digits with an
/// optional unit (`ms`, `s`, `min`, `h`), or `infinity`.
fn is_timespan(value: &str) -> bool {
    let unit = value.trim_start_matches(|c: char| c.is_ascii_digit());
    value == "infinity" || (unit.len() < value.len() && ["", "ms", "s", "min", "h"].contains(&unit))
}

fn is_uuid(u: &str) -> bool {
    u.len() == 36
        && u.char_indices().all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab";

    #[test]
    fn lines() {
        let text = format!(
            "# comment\n\n data /dev/disk/by-id/virtio-main UUID={} block_size=65536,nofail # note\n\
             old /dev/vda /dev/vdb\nspare2 /dev/vdc /dev/vdd noauto,read_retries=0,scrub=8,format\n",
            UUID.to_uppercase()
        );
        let t = parse(&text).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].name, "data");
        assert_eq!(t[0].spare, Dev::Uuid(UUID.into()));
        assert_eq!(t[0].features, ["block_size", "65536"]);
        assert!(t[0].nofail && !t[0].noauto && !t[0].format);
        assert_eq!((t[1].main.to_str(), &t[1].spare), (Some("/dev/vda"), &Dev::Path("/dev/vdb".into())));
        assert!(t[1].features.is_empty());
        assert!(t[2].noauto && t[2].format && t[2].features == ["read_retries", "0", "scrub", "8"]);
    }

    #[test]
    fn refusals_name_the_line() {
        for (text, why) in [
            ("a /dev/x", "line 1: 2 fields"),
            ("a /dev/x /dev/y z w", "line 1: 5 fields"),
            ("-a /dev/x /dev/y", "name '-a'"),
            ("a/b /dev/x /dev/y", "name 'a/b'"),
            ("a UUID=6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab /dev/y", "not an absolute path"),
            ("a /dev/x UUID=6f1c", "'6f1c' is not a UUID"),
            ("a /dev/x vdb", "neither an absolute path"),
            ("a /dev/x /dev/y ro", "unknown option 'ro'"),
            ("a /dev/x /dev/y block_size=4k", "unknown option 'block_size=4k'"),
            ("a /dev/x /dev/y\n#\na /dev/z /dev/w", "line 3: a second line for 'a'"),
            ("a /dev/x /dev/y x-systemd.device-timeout=5 min", "line 1: 5 fields"),
            ("a /dev/x /dev/y x-systemd.device-timeout=5m", "x-systemd.device-timeout '5m': not a time"),
            ("a /dev/x /dev/y x-systemd.device-timeout=", "x-systemd.device-timeout '': not a time"),
            ("a /dev/x /dev/y x-systemd.device-timeout=s", "x-systemd.device-timeout 's': not a time"),
            ("a /dev/x /dev/y\nb /dev/x\nc /dev/z /dev/w ro", "line 2: 2 fields"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(why), "{text:?}: {err}");
        }
    }

    #[test]
    fn device_timeouts() {
        for value in ["90", "90s", "5min", "1h", "500ms", "infinity", "0"] {
            let t = parse(&format!("a /dev/x /dev/y nofail,x-systemd.device-timeout={value}")).unwrap();
            assert_eq!(t[0].device_timeout.as_deref(), Some(value));
            assert!(t[0].nofail);
        }
        assert_eq!(parse("a /dev/x /dev/y").unwrap()[0].device_timeout, None);
    }

    #[test]
    fn bad_lines_are_reported_and_the_others_kept() {
        let text = "a /dev/x /dev/y\nb /dev/z\nc /dev/v /dev/w nofail,bogus\n# c\na /dev/p /dev/q\nd /dev/r /dev/s\n";
        let (entries, errors) = parse_lines(text);
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a", "d"]);
        assert_eq!(entries[0].main.to_str(), Some("/dev/x"), "the first line of a name wins");
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("line 2: 2 fields"), "{errors:?}");
        assert!(errors[1].starts_with("line 3: unknown option 'bogus'"), "{errors:?}");
        assert_eq!(errors[2], "line 5: a second line for 'a'");
        assert_eq!(parse(text).unwrap_err(), errors[0], "parse refuses for the first bad line");
    }
}
