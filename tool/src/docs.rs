//! `generate-docs` (a hidden command): the shell completions and the
//! manual page dm-remap-tool(8), made from the command line's definition
//! so that they cannot drift from it. `make install` runs it to write
//! them; remaptab(5) and dm-remap-generator(8) are written by hand
//! (`docs/man/`).

use crate::spare::{Error, Result};
use clap::{Arg, Command, ValueEnum};
use clap_complete::Shell;
use clap_mangen::roff::{bold, italic, roman, Inline, Roff};
use std::io::Write;

/// What `generate-docs` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Doc {
    /// The completion script for a shell.
    Completions,
    /// dm-remap-tool(8), in roff.
    Manpage,
}

/// Prints `doc` for the command line `cmd` (the tool's own, from
/// `CommandFactory::command`) to `out`.
pub fn generate(cmd: Command, doc: Doc, shell: Option<Shell>, out: &mut dyn Write) -> Result<()> {
    let text = match (doc, shell) {
        (Doc::Completions, Some(shell)) => {
            let mut buf = Vec::new();
            let name = cmd.get_name().to_string();
            clap_complete::generate(shell, &mut without_hidden(&cmd), name, &mut buf);
            buf
        }
        (Doc::Completions, None) => return Err(Error::Usage("completions for which shell?".into())),
        (Doc::Manpage, _) => manpage(cmd).into_bytes(),
    };
    out.write_all(&text).and_then(|()| out.flush()).map_err(|e| Error::Io(format!("cannot write: {e}")))
}

/// `cmd` (not built yet) without its hidden commands, which clap_complete
/// would offer: the same name, version, description and arguments.
fn without_hidden(cmd: &Command) -> Command {
    // (clap wants a static name; this runs once per process.)
    let name: &'static str = Box::leak(cmd.get_name().to_owned().into_boxed_str());
    let mut out = Command::new(name)
        .args(cmd.get_arguments().cloned())
        .subcommands(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned())
        .disable_help_subcommand(cmd.is_disable_help_subcommand_set());
    if let Some(about) = cmd.get_about() {
        out = out.about(about.clone());
    }
    if cmd.get_version().is_some() {
        // (Only the presence of --version matters to a completion.)
        out = out.version(env!("CARGO_PKG_VERSION"));
    }
    out
}

/// The exit statuses, as `main` maps errors to them (each command's
/// description says more).
const EXIT_STATUS: [(&str, &str); 4] = [
    ("0", "Success."),
    (
        "1",
        "The metadata is damaged, or the command was refused or did only part of its work (a main that is \
         not the pair's main, blocks that could not be read): the command's description says which.",
    ),
    ("2", "Bad usage: a bad command line or remaptab, or arguments the command refuses."),
    ("3", "A device could not be used (missing, unreadable, an I/O error), or dmsetup failed."),
];

/// dm-remap-tool(8): the command's description and options, then every
/// command (not the hidden ones) with its synopsis, description and
/// arguments, then what clap does not know.
pub fn manpage(cmd: Command) -> String {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let name = cmd.get_name().to_string();
    let version = cmd.get_version().unwrap_or_default().to_string();
    let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
    let mut r = Roff::new();
    head(&mut r, &name, &version, &about);
    options_and_commands(&mut r, &cmd, &name);
    tail(&mut r);
    r.render()
}

/// The title, NAME, SYNOPSIS and DESCRIPTION.
fn head(r: &mut Roff, name: &str, version: &str, about: &str) {
    let source = format!("{name} {version}");
    r.control("TH", [name.to_uppercase().as_str(), "8", "\"\"", &source, "System Administration"]);
    // No hyphenation of option names, ragged right.
    r.control("nh", []);
    r.control("ad", ["l"]);
    r.control("SH", ["NAME"]);
    r.text([roman(format!("{name} - {about}"))]);

    r.control("SH", ["SYNOPSIS"]);
    r.text([bold(name), roman(" "), italic("command"), roman(" ["), italic("options"), roman("]")]);
    r.control("br", []);
    r.text([bold(name), roman(" {"), bold("--help"), roman(" | "), bold("--version"), roman("}")]);

    r.control("SH", ["DESCRIPTION"]);
    r.text([
        bold(name),
        roman(
            " works on the metadata that the dm-remap device-mapper target keeps on its spare device \
             (on a block device or an image file): it formats, checks, dumps, restores and repairs it; \
             it assembles the remap devices that ",
        ),
        bold("/etc/remaptab"),
        roman(
            " names, after checking that each main is its pair's main; it reports the health of the \
             remap devices and watches them; and it serves the udev rule (probe) and the systemd \
             generator (generate).",
        ),
    ]);
}

/// OPTIONS, and COMMANDS: each visible command with its synopsis,
/// description and documented arguments.
fn options_and_commands(r: &mut Roff, cmd: &Command, name: &str) {
    r.control("SH", ["OPTIONS"]);
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        argument(r, arg);
    }

    r.control("SH", ["COMMANDS"]);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        r.control("SS", [sub.get_name().replace('-', "\\-").as_str()]);
        r.text(synopsis(name, sub));
        r.control("PP", []);
        paragraphs(r, &sub.get_long_about().or(sub.get_about()).map(|a| a.to_string()).unwrap_or_default());
        let args: Vec<&Arg> = sub
            .get_arguments()
            .filter(|a| !a.is_hide_set() && !["help", "version"].contains(&a.get_id().as_str()))
            .filter(|a| a.get_long_help().or(a.get_help()).is_some())
            .collect();
        for arg in args {
            argument(r, arg);
        }
    }
}

/// EXIT STATUS, FILES and SEE ALSO.
fn tail(r: &mut Roff) {
    r.control("SH", ["EXIT STATUS"]);
    for (code, what) in EXIT_STATUS {
        r.control("TP", []);
        r.text([bold(code)]);
        r.text([roman(what)]);
    }

    r.control("SH", ["FILES"]);
    for (file, what) in [
        ("/etc/remaptab", "The remap devices to assemble at boot; see remaptab(5)."),
        ("/dev/disk/by-remap-uuid/", "The spares by pair UUID, linked by the udev rule 61-dm-remap.rules."),
        ("/run/dm-remap/main-ids/", "Where probe notes the identity of each spare's main, for the probe of main."),
    ] {
        r.control("TP", []);
        r.text([bold(file)]);
        r.text([roman(what)]);
    }

    r.control("SH", ["SEE ALSO"]);
    let pages = ["remaptab(5)", "dm-remap-generator(8)", "dmsetup(8)", "udev(7)", "systemd.generator(7)"];
    let mut refs = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let (name, section) = page.split_once('(').unwrap_or((page, ""));
        let sep = if i + 1 < pages.len() { ", " } else { "" };
        refs.extend([bold(name), roman(format!("({section}{sep}"))]);
    }
    r.text(refs);
}

/// `dm-remap-tool <command> <options> <positionals>`, as one line.
fn synopsis(name: &str, sub: &Command) -> Vec<Inline> {
    let mut line = vec![bold(format!("{name} {}", sub.get_name()))];
    let args: Vec<&Arg> = sub
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !["help", "version"].contains(&a.get_id().as_str()))
        .collect();
    for arg in args.iter().filter(|a| !a.is_positional()).chain(args.iter().filter(|a| a.is_positional())) {
        let (open, close) = if arg.is_required_set() { ("", "") } else { ("[", "]") };
        line.push(roman(format!(" {open}")));
        line.extend(header(arg));
        line.push(roman(close));
    }
    line
}

/// An argument as its synopsis shows it: `--name <VALUE>`, `-i, --input
/// <INPUT>`, `<SPARE>...`.
fn header(arg: &Arg) -> Vec<Inline> {
    let mut h = Vec::new();
    if let Some(short) = arg.get_short() {
        h.push(bold(format!("-{short}")));
        if arg.get_long().is_some() {
            h.push(roman(", "));
        }
    }
    if let Some(long) = arg.get_long() {
        h.push(bold(format!("--{long}")));
    }
    let range = arg.get_num_args().unwrap_or_default();
    if arg.is_positional() || range.takes_values() {
        let value = match arg.get_value_names() {
            Some(names) => names.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" "),
            None => arg.get_id().as_str().to_uppercase(),
        };
        let many = if range.max_values() > 1 { "..." } else { "" };
        if !arg.is_positional() {
            h.push(roman(" "));
        }
        h.push(italic(format!("<{value}>{many}")));
    }
    h
}

/// One argument, as a tagged paragraph: its header, its help, its default
/// and its possible values.
fn argument(r: &mut Roff, arg: &Arg) {
    r.control("TP", []);
    r.text(header(arg));
    let mut help = arg.get_long_help().or(arg.get_help()).map(|h| h.to_string()).unwrap_or_default();
    let defaults: Vec<String> = arg.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
    if !defaults.is_empty() && arg.get_num_args().unwrap_or_default().takes_values() {
        help += &format!(" [default: {}]", defaults.join(", "));
    }
    let values: Vec<String> = arg.get_possible_values().iter().map(|v| v.get_name().to_string()).collect();
    if !values.is_empty() {
        help += &format!(" [possible values: {}]", values.join(", "));
    }
    paragraphs(r, help.trim());
}

/// Text whose blank lines separate paragraphs; what is between backticks
/// is a command or a literal, in bold.
fn paragraphs(r: &mut Roff, text: &str) {
    for (i, para) in text.split("\n\n").filter(|p| !p.trim().is_empty()).enumerate() {
        if i > 0 {
            r.control("PP", []);
        }
        let para = para.split_whitespace().collect::<Vec<_>>().join(" ");
        let parts = para.split('`').enumerate().filter(|(_, t)| !t.is_empty());
        r.text(parts.map(|(i, t)| if i % 2 == 1 { bold(t) } else { roman(t) }).collect::<Vec<_>>());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{ArgAction, Command};

    fn cli() -> Command {
        Command::new("dm-remap-tool")
            .version("9.9")
            .about("Inspect things")
            .subcommand(
                Command::new("format")
                    .about("Write fresh metadata.")
                    .long_about("Write fresh metadata.\n\nTo an all-zero spare (see `dump`).")
                    .arg(Arg::new("spare").required(true))
                    .arg(Arg::new("block_size").long("block-size").default_value("4096").help("Block size."))
                    .arg(Arg::new("force").long("force").action(ArgAction::SetTrue).help("Even if not zero.")),
            )
            .subcommand(Command::new("secret").hide(true).about("Not shown."))
    }

    #[test]
    fn manpage_lists_visible_commands_and_their_arguments() {
        let page = manpage(cli());
        assert!(
            page.contains("\n.TH DM-REMAP-TOOL 8 \"\" \"dm-remap-tool 9.9\" \"System Administration\"\n"),
            "{page}"
        );
        assert!(page.contains("\n.SS format\n\\fBdm\\-remap\\-tool format\\fR "), "{page}");
        assert!(
            page.contains("\\fBdm\\-remap\\-tool format\\fR [\\fB\\-\\-block\\-size\\fR \\fI<BLOCK_SIZE>\\fR]"),
            "{page}"
        );
        assert!(page.contains("\\fI<SPARE>\\fR"), "{page}");
        assert!(page.contains("Block size. [default: 4096]"), "{page}");
        assert!(page.contains("Write fresh metadata.\n.PP\nTo an all\\-zero spare (see \\fBdump\\fR)."), "{page}");
        assert!(!page.contains("secret") && !page.contains("Not shown"), "{page}");
        assert!(!page.contains("[default: false]"), "a flag has no default to show: {page}");
    }

    #[test]
    fn completions_need_a_shell() {
        let mut out = Vec::new();
        generate(cli(), Doc::Completions, Some(Shell::Bash), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("format") && !text.contains("secret"), "{text}");
        assert!(matches!(generate(cli(), Doc::Completions, None, &mut Vec::new()), Err(Error::Usage(_))));
    }
}
