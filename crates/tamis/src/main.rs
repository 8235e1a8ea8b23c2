//! `tamis`: the command line. Argument parsing, progress and output formats
//! only; every capability lives in a library crate.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tamis_case::{Case, IngestOptions};
use tamis_read::Limits;

// Ingest allocates per message on several threads; glibc's allocator makes
// them queue on its arena locks (seen in profiles as the writer's main wait).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "tamis",
    version,
    about = "Sift a leaked email dump: read every message, keep the evidence intact"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct CaseArg {
    /// The case directory (created by ingest).
    #[arg(long, default_value = "tamis.case")]
    case: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Read every message out of folders, files and archives into the case.
    Ingest {
        /// Folders, files or archives, in any mix.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        case: CaseArg,
        /// Threads for reading and for processing (0: one per core).
        #[arg(long, default_value_t = 0)]
        jobs: usize,
        /// How many containers deep to open.
        #[arg(long, default_value_t = Limits::default().max_depth)]
        max_depth: usize,
        /// Largest message read, in MiB.
        #[arg(long, default_value_t = Limits::default().max_message >> 20)]
        max_message_mib: u64,
        /// Decompressed bytes allowed per byte of a file on disk.
        #[arg(long, default_value_t = Limits::default().max_expansion_ratio)]
        max_expansion_ratio: u64,
        /// Decompressed bytes always allowed per file, in MiB, whatever its size.
        #[arg(long, default_value_t = Limits::default().min_expansion_budget >> 20)]
        expansion_floor_mib: u64,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Counts: sources, containers, messages, duplicates, problems.
    Status {
        #[command(flatten)]
        case: CaseArg,
        #[arg(long)]
        json: bool,
    },
    /// Every source or member that could not be read, and why.
    Errors {
        #[command(flatten)]
        case: CaseArg,
        #[arg(long)]
        json: bool,
        /// Include warnings (path traversal names, links not followed, ...).
        #[arg(long)]
        all: bool,
    },
    /// One line per message occurrence.
    Export {
        #[command(flatten)]
        case: CaseArg,
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Jsonl,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // `tamis export | head` is normal use, not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<io::Error>()
                    .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tamis: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Ingest {
            paths,
            case,
            jobs,
            max_depth,
            max_message_mib,
            max_expansion_ratio,
            expansion_floor_mib,
            quiet,
        } => {
            for p in &paths {
                if !p.exists() {
                    eprintln!("tamis: {} does not exist", p.display());
                    return Ok(ExitCode::from(2));
                }
            }
            let mut c = Case::create(&case.case)
                .with_context(|| format!("opening case {}", case.case.display()))?;
            let opts = IngestOptions {
                jobs,
                limits: Limits {
                    max_depth,
                    max_message: max_message_mib << 20,
                    max_expansion_ratio,
                    min_expansion_budget: expansion_floor_mib << 20,
                    ..Limits::default()
                },
            };
            let bar = progress_bar(quiet);
            let report = c
                .ingest(&paths, &opts, &mut |p| {
                    bar.set_length(p.bytes_total.max(1));
                    bar.set_position(p.bytes.min(p.bytes_total));
                    bar.set_message(format!(
                        "{}/{} files, {} messages",
                        p.units_done, p.units_total, p.messages
                    ));
                })
                .context("ingest")?;
            bar.finish_and_clear();
            let status = c.status()?;
            eprintln!(
                "read {} files ({} already done), {} message copies, {} new messages; case holds {} messages in {} copies",
                report.units,
                report.units_skipped,
                report.occurrences,
                report.new_messages,
                status.messages,
                status.occurrences
            );
            if status.errors > 0 || status.warnings > 0 {
                eprintln!("{} errors, {} warnings:", status.errors, status.warnings);
                let problems = c.problems()?;
                for p in problems.iter().filter(|p| p.severity == "error").take(20) {
                    eprintln!("  {}: {} {}: {}", p.source, p.severity, p.kind, p.detail);
                }
                if status.errors > 20 {
                    eprintln!("  ... see `tamis errors --case {}`", case.case.display());
                }
            }
            Ok(if status.errors > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Status { case, json } => {
            let c = Case::open(&case.case)?;
            let s = c.status()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
                return Ok(ExitCode::SUCCESS);
            }
            let mut out = io::stdout().lock();
            writeln!(out, "case        {}", case.case.display())?;
            writeln!(out, "roots       {}", s.roots.join(", "))?;
            writeln!(
                out,
                "files       {} on disk, {} files and members recorded for custody",
                s.source_files, s.custody_records
            )?;
            for (kind, n) in &s.custody_by_kind {
                writeln!(out, "  {kind:<10}{n}")?;
            }
            writeln!(
                out,
                "messages    {} distinct, {} copies ({} messages found more than once)",
                s.messages, s.occurrences, s.duplicated_messages
            )?;
            for (format, n) in &s.occurrences_by_format {
                writeln!(out, "  {format:<10}{n}")?;
            }
            writeln!(
                out,
                "converted   {} (Outlook; no signature can hold on these)",
                s.converted
            )?;
            writeln!(
                out,
                "stored      {} bytes of mail in {} bytes",
                s.message_bytes, s.stored_bytes
            )?;
            writeln!(
                out,
                "problems    {} errors, {} warnings",
                s.errors, s.warnings
            )?;
            for (kind, n) in &s.problems_by_kind {
                writeln!(out, "  {kind:<28}{n}")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Errors { case, json, all } => {
            let c = Case::open(&case.case)?;
            let problems: Vec<_> = c
                .problems()?
                .into_iter()
                .filter(|p| all || p.severity == "error")
                .collect();
            let mut out = BufWriter::new(io::stdout().lock());
            for p in &problems {
                if json {
                    writeln!(out, "{}", serde_json::to_string(p)?)?;
                } else {
                    writeln!(out, "{}: {} {}: {}", p.source, p.severity, p.kind, p.detail)?;
                }
            }
            out.flush()?;
            let errors = problems.iter().any(|p| p.severity == "error");
            Ok(if errors {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Export { case, format, out } => {
            let c = Case::open(&case.case)?;
            let sink: Box<dyn Write> = match &out {
                Some(path) => Box::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("creating {}", path.display()))?,
                ),
                None => Box::new(io::stdout().lock()),
            };
            let mut w = BufWriter::new(sink);
            match format {
                ExportFormat::Jsonl => c.for_each_occurrence(|row| {
                    serde_json::to_writer(&mut w, &row).map_err(io::Error::from)?;
                    w.write_all(b"\n")?;
                    Ok(())
                })?,
            }
            w.flush()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(1), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}
