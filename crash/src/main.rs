//! dm-remap-crash: crash points from a dm-log-writes log of a dm-remap
//! workload. tests/vm/crash_record.sh records the log;
//! tests/vm/crash_replay.sh runs `dm-remap-crash run`, which replays it to
//! each point and checks what the real module loads and reads there.

mod fio;
mod logwrites;
mod manifest;
mod points;
mod replay;
mod run;

use clap::{Parser, Subcommand};
use logwrites::Log;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "dm-remap-crash", about = "Crash points of a dm-remap workload recorded by dm-log-writes")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the points a run checks, one `<point> <kind>` per line (a
    /// point is a count of entries replayed).
    Points {
        log: PathBuf,
        /// Points between flushes and FUA writes, picked at random.
        #[arg(long, default_value_t = 200)]
        random: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Check every point: replay onto images in `<dir>`, check the
    /// spare's copy with dm-remap-tool, load dm-remap over loop devices on
    /// the copies, read back and list.
    Run {
        log: PathBuf,
        dir: PathBuf,
        #[arg(long, default_value_t = 200)]
        random: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn open_log(path: &Path) -> Result<Log, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Log::open(file).map_err(|e| format!("{}: {e}", path.display()))
}

fn plan(log: &Log, random: usize, seed: u64) -> Result<points::Plan, String> {
    let plan = points::plan(log, random, seed)?;
    let count = |k| plan.points.values().filter(|&&v| v == k).count();
    println!(
        "{} entries, {} writes; {} flushes and FUA writes after the table was loaded; {} points: {} states they reached, {} random between (seed {seed})",
        log.entries.len(),
        plan.writes,
        plan.barriers,
        plan.points.len(),
        plan.points.len() - count(points::Kind::Random),
        count(points::Kind::Random)
    );
    Ok(plan)
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Points { log, random, seed } => {
            let log = open_log(&log)?;
            for (p, kind) in plan(&log, random, seed)?.points {
                println!("{p} {}", kind.name());
            }
        }
        Command::Run { log, dir, random, seed } => {
            let log = open_log(&log)?;
            let plan = plan(&log, random, seed)?;
            println!("{}", run::run(&log, &dir, &plan.points)?);
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dm-remap-crash: {e}");
            ExitCode::FAILURE
        }
    }
}
