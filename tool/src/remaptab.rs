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
//! --all` and at boot), `nofail` (the boot goes on without it). `#`
//! starts a comment.

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
}

/// Parses a remaptab; an error names the line and what is wrong with it.
pub fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let mut entries: Vec<Entry> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default();
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        let e = entry(&words).map_err(|why| format!("line {}: {why}", i + 1))?;
        if entries.iter().any(|o| o.name == e.name) {
            return Err(format!("line {}: a second line for '{}'", i + 1, e.name));
        }
        entries.push(e);
    }
    Ok(entries)
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
    let mut e =
        Entry { name: name.into(), main: main.into(), spare, features: Vec::new(), noauto: false, nofail: false };
    for opt in options.split(',').filter(|&o| o != "-") {
        match opt.split_once('=') {
            None if opt == "noauto" => e.noauto = true,
            None if opt == "nofail" => e.nofail = true,
            Some((key @ ("block_size" | "read_retries" | "scrub"), value)) if value.parse::<u32>().is_ok() => {
                e.features.extend([key.to_string(), value.to_string()])
            }
            _ => {
                let known = "block_size=<n>, read_retries=<n>, scrub=<MiB/s>, noauto, nofail";
                return Err(format!("unknown option '{opt}' ({known})"));
            }
        }
    }
    Ok(e)
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
             old /dev/vda /dev/vdb\nspare2 /dev/vdc /dev/vdd noauto,read_retries=0,scrub=8\n",
            UUID.to_uppercase()
        );
        let t = parse(&text).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].name, "data");
        assert_eq!(t[0].spare, Dev::Uuid(UUID.into()));
        assert_eq!(t[0].features, ["block_size", "65536"]);
        assert!(t[0].nofail && !t[0].noauto);
        assert_eq!((t[1].main.to_str(), &t[1].spare), (Some("/dev/vda"), &Dev::Path("/dev/vdb".into())));
        assert!(t[1].features.is_empty());
        assert!(t[2].noauto && t[2].features == ["read_retries", "0", "scrub", "8"]);
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
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(why), "{text:?}: {err}");
        }
    }
}
