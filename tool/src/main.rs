//! dm-remap-tool: format, check, dump and repair the metadata that the
//! dm-remap target keeps on its spare device. Works on a block device or
//! an image file; shares the on-disk format code with the kernel module.

use dm_remap_tool::{
    assemble, commands, damage, generator, identity, migrate, monitor, probe, remaptab, report, restore, spare,
};

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit codes, in the style of thin_check: 0 clean, 1 metadata damaged or
/// refused, 2 bad usage (clap's own), 3 the device could not be used.
const EXIT_METADATA: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_IO: u8 = 3;

#[derive(Parser)]
#[command(name = "dm-remap-tool", version, about = "Inspect and maintain dm-remap metadata on a spare device")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write fresh metadata (no remaps) to an all-zero spare device.
    Format {
        /// The spare device or image.
        spare: PathBuf,
        /// The main device or image, whose size the metadata records.
        #[arg(long, conflicts_with = "main_sectors", required_unless_present = "main_sectors")]
        main: Option<PathBuf>,
        /// The main device's size in 512-byte sectors, instead of --main.
        #[arg(long)]
        main_sectors: Option<u64>,
        /// Remap block size in bytes (a power of two, 512 to 1048576).
        #[arg(long, default_value_t = 4096)]
        block_size: u32,
        /// Format even if the metadata area is not all zeros.
        #[arg(long)]
        force: bool,
    },
    /// Verify the metadata: both slots, every log block, every record.
    /// Exit 0 when clean, 1 when anything is damaged (or --main is not
    /// this pair's main).
    Check {
        spare: PathBuf,
        /// Also check that this device is the pair's main: its size, and
        /// its identity when one was recorded at format.
        #[arg(long)]
        main: Option<PathBuf>,
    },
    /// Print the metadata: geometry, commit state and every remap.
    Dump {
        spare: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Rewrite a damaged or stale commit slot from the newest valid one;
    /// with --salvage, rebuild damaged metadata from the records that
    /// survive, and say what could not be recovered.
    Repair {
        spare: PathBuf,
        #[arg(long)]
        salvage: bool,
    },
    /// Rebuild the metadata from `dump --json` output.
    Restore {
        spare: PathBuf,
        /// The dump to restore.
        #[arg(long, short)]
        input: PathBuf,
    },
    /// Create the remap devices a remaptab names (checking that each main
    /// is its pair's main); those that exist with the same devices are
    /// left alone. Exit 1 if any was refused, 3 if a device is missing.
    Assemble {
        /// The lines to assemble, by name.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        names: Vec<String>,
        /// Every line without `noauto`.
        #[arg(long)]
        all: bool,
        #[arg(long, default_value = remaptab::PATH)]
        remaptab: PathBuf,
    },
    /// Find the pair's main among this machine's block devices: the one of
    /// the recorded size and identity (exit 3 if none is, 1 if several
    /// are or no identity was recorded).
    FindMain { spare: PathBuf },
    /// Record main's identity in the pair's metadata (a new commit), for a
    /// pair that has none; with --force, replace the one recorded. The
    /// spare must not be in use.
    SetMain {
        spare: PathBuf,
        /// The pair's main device.
        #[arg(long)]
        main: PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// For udev: print the role of a spare (its pair UUID) or of a main
    /// (the pair it belongs to, the links it keeps) as udev properties
    /// (exit 1, printing nothing, for any other device).
    Probe { device: PathBuf },
    /// The systemd generator: a unit per remaptab line, in the first
    /// directory systemd passes.
    Generate {
        #[arg(num_args = 1..=3, required = true)]
        dirs: Vec<PathBuf>,
        #[arg(long, default_value = remaptab::PATH)]
        remaptab: PathBuf,
    },
    /// One report per remap device (or those named): the pair (UUID, main
    /// and spare, main's identity, block size), its lifetime counters
    /// (reallocated and pending blocks, which blocks are pending, spare
    /// left), those since the table was loaded (relocations by cause, I/O
    /// errors), health and what to do.
    Status {
        names: Vec<String>,
        #[arg(long, conflicts_with = "prometheus")]
        json: bool,
        /// The Prometheus text format (for node_exporter's textfile
        /// collector).
        #[arg(long)]
        prometheus: bool,
    },
    /// Watch every remap device, as mdadm --monitor does md arrays: report
    /// each event (changes, changes undone between two scans, reloads,
    /// degraded devices at start and every --reminder hours) on stdout and
    /// syslog, to --program and, for bad news, by --mail; runs until killed
    /// (or, with --oneshot, scans once).
    Monitor {
        /// Run as `<program> <event> <device> <detail>` for each event, in
        /// the background.
        #[arg(long)]
        program: Option<PathBuf>,
        /// Seconds before a program (or sendmail) still running is killed.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=86400))]
        program_timeout: u32,
        /// Seconds between scans when no device-mapper event comes.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=3600))]
        interval: u32,
        /// Mail bad news (and --test's messages) to this address, through
        /// --sendmail (default: $DM_REMAP_MAIL, if set).
        #[arg(long)]
        mail: Option<String>,
        /// The sendmail-compatible program --mail runs, as `<sendmail> -t`.
        #[arg(long, default_value = "/usr/sbin/sendmail")]
        sendmail: PathBuf,
        /// Hours between reminders while a device stays degraded (0: none).
        #[arg(long, default_value_t = 24.0)]
        reminder: f64,
        /// Scan once, report what a start reports (degraded devices), exit.
        #[arg(long)]
        oneshot: bool,
        /// Send a TestMessage event for every device at start.
        #[arg(long)]
        test: bool,
    },
    /// Copy a remap device onto a new disk (to move off a failing main),
    /// as ddrescue would: lists the blocks whose data is lost first; a
    /// first pass copies 1 MiB chunks and skips those that fail, a second
    /// reads them block by block; blocks that never read are zeros on the
    /// new disk (exit 1, naming them). Refuses (exit 2) the pair's own
    /// devices, a disk in use, and one that carries a signature.
    Migrate {
        /// The remap device (/dev/mapper/<name>).
        device: PathBuf,
        /// The new disk, at least as large; opened exclusively.
        to: PathBuf,
        /// Write over a new disk that carries a signature (dm-remap
        /// metadata, or anything `blkid -p` recognises).
        #[arg(long)]
        force: bool,
        /// Record the copy's progress in this map file after every chunk
        /// (copied, to retry, unreadable); when it exists, resume from it.
        #[arg(long)]
        map: Option<PathBuf>,
        /// Further reads of a block that fails in the second pass.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=100))]
        retries: u32,
    },
    /// For tests: damage the metadata in a named way (`--list` names every
    /// case, what loading must then do, and the reason it must give, or -).
    Damage {
        spare: Option<PathBuf>,
        case: Option<String>,
        #[arg(long, conflicts_with_all = ["spare", "case"])]
        list: bool,
    },
    /// For packaging: print shell completions or the manual page, made
    /// from this command line (`make install` writes them).
    #[command(hide = true)]
    GenerateDocs {
        doc: dm_remap_tool::docs::Doc,
        #[arg(required_if_eq("doc", "completions"))]
        shell: Option<clap_complete::Shell>,
    },
}

/// `generate`: the units run this very program, and dmsetup from where the
/// system keeps it. Each bad remaptab line is reported on stderr (which
/// systemd sends to the journal) and left out; that is no failure.
fn generate(tab: &std::path::Path, dir: &std::path::Path) -> spare::Result<()> {
    let tool = std::env::current_exe().map_err(|e| spare::Error::Io(format!("cannot find myself: {e}")))?;
    let dmsetup = ["/usr/sbin/dmsetup", "/sbin/dmsetup"].map(PathBuf::from).into_iter().find(|p| p.exists());
    let skipped = generator::generate(tab, dir, &tool, &dmsetup.unwrap_or_else(|| "dmsetup".into()))?;
    for why in skipped {
        eprintln!("dm-remap-generator: {}: {why} (line left out)", tab.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let command = Cli::parse().command;
    if !matches!(command, Command::Monitor { .. }) {
        // A reader that stops early (`dump | head`) ends a command as it
        // ends any filter, by SIGPIPE, not by a panic on the failed write.
        // (The monitor keeps ignoring it: a mailer or program that exits
        // early must not end it.)
        // SAFETY: sets a signal's disposition to its default; no other
        // thread exists yet.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    }
    let (code, m) = match run(command) {
        Ok(()) => return ExitCode::SUCCESS,
        Err(spare::Error::Metadata(m)) => (EXIT_METADATA, m),
        Err(spare::Error::Usage(m)) => (EXIT_USAGE, m),
        Err(spare::Error::Io(m)) => (EXIT_IO, m),
    };
    eprintln!("dm-remap-tool: {m}");
    ExitCode::from(code)
}

/// Runs one command.
fn run(command: Command) -> spare::Result<()> {
    match command {
        Command::Format { spare, main, main_sectors, block_size, force } => {
            commands::format(&spare, main.as_deref(), main_sectors, block_size, force)
        }
        Command::Check { spare, main } => commands::check(&spare, main.as_deref()),
        Command::Dump { spare, json } => commands::dump(&spare, json),
        Command::Repair { spare, salvage } => commands::repair(&spare, salvage),
        Command::Restore { spare, input } => restore::restore(&spare, &input),
        Command::Assemble { names, all, remaptab } => assemble::assemble(&remaptab, &names, all),
        Command::SetMain { spare, main, force } => commands::set_main(&spare, &main, force),
        Command::Probe { device } => {
            probe::probe(&device, remaptab::PATH.as_ref(), probe::RUN_DIR.as_ref(), &probe::UdevEnv::from_env())
        }
        Command::FindMain { spare } => spare::Spare::open(&spare, false)
            .and_then(|s| s.pick())
            .and_then(|p| identity::find_main(&p.sb, std::path::Path::new("/sys/class/block")))
            .map(|found| println!("{found}")),
        Command::Status { names, json, prometheus } => {
            let format = match (json, prometheus) {
                (true, _) => report::Format::Json,
                (_, true) => report::Format::Prometheus,
                _ => report::Format::Text,
            };
            report::status(&names, format)
        }
        Command::Migrate { device, to, force, map, retries } => {
            migrate::migrate(&device, &to, &migrate::Options { force, map, retries })
        }
        Command::Monitor { program, program_timeout, interval, mail, sendmail, reminder, oneshot, test } => {
            let mail = monitor::mail_address(mail);
            let (program_timeout_s, interval_s, reminder_h) = (program_timeout, interval, reminder);
            let o =
                monitor::Options { program, program_timeout_s, interval_s, mail, sendmail, reminder_h, oneshot, test };
            monitor::monitor(&o)
        }
        Command::Generate { dirs, remaptab } => generate(&remaptab, &dirs[0]),
        Command::Damage { spare, case, list } => damage_command(spare, case, list),
        Command::GenerateDocs { doc, shell } => {
            dm_remap_tool::docs::generate(<Cli as clap::CommandFactory>::command(), doc, shell, &mut std::io::stdout())
        }
    }
}

/// `damage`: `--list`, or one case applied to a spare.
fn damage_command(spare: Option<PathBuf>, case: Option<String>, list: bool) -> spare::Result<()> {
    match (spare, case) {
        _ if list => {
            for c in damage::cases() {
                println!("{} {} {}", c.name, c.expect.name(), c.reason.unwrap_or("-"));
            }
            Ok(())
        }
        (Some(spare), Some(case)) => spare::Spare::open(&spare, true).and_then(|dev| damage::apply(&dev, &case)),
        _ => Err(spare::Error::Usage("damage needs <spare> <case>, or --list".into())),
    }
}
