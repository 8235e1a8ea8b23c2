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

mod search;

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
        /// Key records to import before verifying (JSON lines, zone, dig).
        #[arg(long)]
        keys: Vec<PathBuf>,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
        /// Then open the case in the browser workbench on this loopback
        /// address (`tamis serve`).
        #[arg(long, num_args = 0..=1, default_missing_value = "127.0.0.1:8080")]
        serve: Option<std::net::SocketAddr>,
    },
    /// Verify every message not verified yet (or all, with --all) against
    /// the case's key archive.
    Verify {
        #[command(flatten)]
        case: CaseArg,
        /// Recompute every verdict (after importing keys, say).
        #[arg(long)]
        all: bool,
        /// When the dump was first seen in public (YYYY-MM-DD): keys whose
        /// private half was published later still prove what they signed.
        #[arg(long)]
        dump_seen: Option<String>,
    },
    /// Check one message file (or every message in a mailbox or archive) and
    /// explain what its signatures prove.
    Check {
        file: PathBuf,
        /// Key records (JSON lines, zone file or dig output).
        #[arg(long)]
        keys: Vec<PathBuf>,
        /// Also use this case's key archive.
        #[arg(long)]
        case: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The verification report: a self-contained HTML file to publish, or JSON.
    Report {
        #[command(flatten)]
        case: CaseArg,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The DKIM key archive.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
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
    /// Forensic findings: header chains, attachment metadata, people,
    /// document clusters, copies that share a Message-ID.
    Findings {
        #[command(flatten)]
        case: CaseArg,
        /// Only this kind (see `tamis findings --kinds`).
        #[arg(long)]
        kind: Option<String>,
        /// List the finding kinds and what they mean.
        #[arg(long)]
        kinds: bool,
        #[arg(long)]
        json: bool,
    },
    /// Examine the messages not examined yet (ingest does this): extract
    /// attachments, read their metadata, recompute the findings.
    Examine {
        #[command(flatten)]
        case: CaseArg,
    },
    /// Build or update the search index (ingest, verify and examine keep
    /// it up to date; --rebuild starts it again from the case).
    Index {
        #[command(flatten)]
        case: CaseArg,
        #[arg(long)]
        rebuild: bool,
    },
    /// Search the case: words, "phrases", AND/OR/NOT/-word, (groups), and
    /// from: to: cc: subject: body: exact: date: has: filename: type:
    /// author: header: verdict: signer: finding: thread: id: source:
    /// (see the README).
    Search {
        #[command(flatten)]
        case: CaseArg,
        /// The query (several arguments are joined; put `--` before a
        /// query that starts with `-`).
        #[arg(required = true)]
        query: Vec<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long, default_value_t = 0)]
        offset: usize,
        #[arg(long, value_enum, default_value_t = SortArg::Date)]
        sort: SortArg,
        /// Also count verdicts, sender domains, signers and months.
        #[arg(long)]
        facets: bool,
        #[arg(long)]
        json: bool,
    },
    /// One message: headers, verdict and reasons, copies, attachments,
    /// findings, thread and text. ID: a hash (or its first 6+ digits), a
    /// source path or a Message-ID.
    Show {
        #[command(flatten)]
        case: CaseArg,
        id: String,
        #[arg(long)]
        json: bool,
        /// The stored bytes, exactly as found.
        #[arg(long, conflicts_with = "json")]
        raw: bool,
    },
    /// The thread of a message (ID as for show), or a thread by its name.
    Thread {
        #[command(flatten)]
        case: CaseArg,
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Open the case in the browser: dashboard, search, messages with
    /// their evidence, threads, keys. Any address but loopback needs a
    /// password in TAMIS_PASSWORD (every page then asks for it).
    Serve {
        #[command(flatten)]
        case: CaseArg,
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
    },
    /// Internal: a document-metadata worker process (see forensics::isolate).
    #[command(name = "__doc-worker", hide = true)]
    DocWorker,
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
enum SortArg {
    /// Newest first.
    Date,
    Relevance,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Jsonl,
    Csv,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Import key records: JSON lines, zone-file TXT records or dig output.
    Import {
        files: Vec<PathBuf>,
        #[command(flatten)]
        case: CaseArg,
    },
    /// List the archive.
    List {
        #[command(flatten)]
        case: CaseArg,
        #[arg(long)]
        json: bool,
    },
    /// Selectors used in the case with no key: what to go and find.
    Missing {
        #[command(flatten)]
        case: CaseArg,
    },
    /// Look the missing selectors up in live DNS (opt-in: this is the only
    /// command that uses the network). Finds today's keys, recorded with
    /// today's date; old mail may have been signed with rotated ones.
    Fetch {
        #[command(flatten)]
        case: CaseArg,
        /// Ask this server (IP or IP:PORT) instead of the system's resolvers.
        #[arg(long)]
        nameserver: Option<String>,
    },
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
            keys,
            quiet,
            serve,
        } => {
            for p in &paths {
                if !p.exists() {
                    eprintln!("tamis: {} does not exist", p.display());
                    return Ok(ExitCode::from(2));
                }
            }
            let mut c = create_case(&case.case)
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
            let started = std::time::Instant::now();
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
            let read = started.elapsed();
            // New keys can settle messages verified before: all again.
            let added = import_keys(&mut c, &keys)?;
            c.verify(added > 0, &mut |_, _| {}).context("verifying")?;
            let verified = started.elapsed();
            let examined = c
                .examine(&document_pool()?, &mut |_, _| {})
                .context("examining")?;
            let examined_at = started.elapsed();
            let indexed = search::refresh(&mut c)?;
            let indexed_at = started.elapsed();
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
            eprintln!("verdicts: {}", counts(&status.verdicts));
            print_examined(&examined);
            eprintln!(
                "search index: {} messages indexed, {} threads",
                indexed.indexed, indexed.threads
            );
            eprintln!(
                "time: reading {:.2} s, verification {:.2} s, forensics {:.2} s, indexing {:.2} s",
                read.as_secs_f64(),
                (verified - read).as_secs_f64(),
                (examined_at - verified).as_secs_f64(),
                (indexed_at - examined_at).as_secs_f64()
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
            if let Some(addr) = serve {
                drop(c);
                serve_case(&case.case, addr)?;
            }
            Ok(if status.errors > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Index { case, rebuild } => search::index(&mut open_case(&case.case)?, rebuild),
        Command::Search {
            case,
            query,
            limit,
            offset,
            sort,
            facets,
            json,
        } => search::search(
            &open_case(&case.case)?,
            &search::SearchArgs {
                query: query.join(" "),
                limit,
                offset,
                sort: match sort {
                    SortArg::Date => tamis_search::Sort::Date,
                    SortArg::Relevance => tamis_search::Sort::Relevance,
                },
                facets,
                json,
            },
        ),
        Command::Show {
            case,
            id,
            json,
            raw,
        } => search::show(&open_case(&case.case)?, &id, json, raw),
        Command::Thread { case, id, json } => search::thread(&open_case(&case.case)?, &id, json),
        Command::Serve { case, bind } => {
            serve_case(&case.case, bind)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::DocWorker => {
            tamis_forensics::isolate::serve()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Examine { case } => {
            let mut c = open_case(&case.case)?;
            let examined = c.examine(&document_pool()?, &mut |_, _| {})?;
            print_examined(&examined);
            search::refresh_if_indexed(&mut c)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Findings {
            case,
            kind,
            kinds,
            json,
        } => {
            if kinds {
                for (k, what) in tamis_forensics::KINDS {
                    println!("{k:34} {what}");
                }
                return Ok(ExitCode::SUCCESS);
            }
            if let Some(k) = &kind
                && !tamis_forensics::KINDS.iter().any(|(n, _)| n == k)
            {
                eprintln!("tamis: no finding kind {k:?} (see `tamis findings --kinds`)");
                return Ok(ExitCode::from(2));
            }
            let c = open_case(&case.case)?;
            let rows = c.findings(kind.as_deref())?;
            let mut out = io::stdout().lock();
            for f in &rows {
                if json {
                    serde_json::to_writer(&mut out, f)?;
                    writeln!(out)?;
                } else {
                    writeln!(
                        out,
                        "{:7} {:32} {}\n        {}",
                        f.severity,
                        f.kind,
                        f.source.as_deref().unwrap_or("(the whole case)"),
                        f.explanation
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            case,
            all,
            dump_seen,
        } => {
            let mut c = open_case(&case.case)?;
            if let Some(d) = dump_seen {
                let t = tamis_keys::parse_time(&d)
                    .with_context(|| format!("--dump-seen: cannot read the date {d:?}"))?;
                c.set_dump_seen(t)?;
            }
            let report = verify(&mut c, all)?;
            println!(
                "verified {} messages ({} verdicts changed): {}",
                report.verified,
                report.changed,
                counts(&report.counts)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            file,
            keys,
            case,
            json,
        } => check(&file, &keys, case.as_deref(), json),
        Command::Report { case, out, json } => {
            let c = open_case(&case.case)?;
            let report = c.report()?;
            let text = if json {
                serde_json::to_string_pretty(&report)?
            } else {
                tamis_case::report::html(&report)
            };
            std::fs::write(&out, text).with_context(|| format!("writing {}", out.display()))?;
            println!(
                "wrote {} ({} flagged messages)",
                out.display(),
                report.flagged.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys { command } => match command {
            KeysCommand::Import { files, case } => {
                let mut c = create_case(&case.case)?;
                let added = import_keys(&mut c, &files)?;
                let mut said = String::new();
                if added > 0 {
                    let report = verify(&mut c, true)?;
                    said = format!("; {} verdicts changed", report.changed);
                }
                println!("{added} new key records{said}");
                Ok(ExitCode::SUCCESS)
            }
            KeysCommand::List { case, json } => {
                let c = open_case(&case.case)?;
                let mut out = io::stdout().lock();
                for k in c.keys()? {
                    if json {
                        writeln!(out, "{}", serde_json::to_string(&k)?)?;
                    } else {
                        let bits = tamis_keys::parse_key_record(&k.record)
                            .map(|p| match p.rsa_bits {
                                Some(b) => format!("rsa-{b}"),
                                None => format!("{:?}", p.key_type).to_lowercase(),
                            })
                            .unwrap_or_else(|e| format!("unusable: {e}"));
                        writeln!(
                            out,
                            "{}._domainkey.{}  {bits}  seen {} .. {}{}",
                            k.selector,
                            k.domain,
                            day(k.first_seen),
                            day(k.last_seen),
                            k.revealed_at
                                .map(|r| format!("  REVEALED {}", day(Some(r))))
                                .unwrap_or_default()
                        )?;
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            KeysCommand::Fetch { case, nameserver } => {
                let mut c = open_case(&case.case)?;
                let ns = nameserver
                    .map(|n| {
                        n.parse::<std::net::SocketAddr>()
                            .or_else(|_| {
                                n.parse::<std::net::IpAddr>()
                                    .map(|ip| std::net::SocketAddr::new(ip, 53))
                            })
                            .with_context(|| format!("--nameserver {n:?} is not an address"))
                    })
                    .transpose()?;
                let pairs: Vec<(String, String)> = c
                    .missing_keys()?
                    .into_iter()
                    .map(|(d, s, _)| (d, s))
                    .collect();
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                let source = format!(
                    "DNS lookup on {}{}",
                    day(Some(now)),
                    ns.map(|n| format!(" via {n}")).unwrap_or_default()
                );
                let found =
                    tamis_keys::dns::fetch(&pairs, ns, now, &source).map_err(anyhow::Error::msg)?;
                let mut records = Vec::new();
                for ((d, s), f) in pairs.iter().zip(found) {
                    match f {
                        tamis_keys::dns::Fetched::Found(r) => {
                            println!("{s}._domainkey.{d}: found");
                            records.extend(r);
                        }
                        tamis_keys::dns::Fetched::NotFound => {
                            println!("{s}._domainkey.{d}: not published")
                        }
                        tamis_keys::dns::Fetched::Failed(e) => {
                            println!("{s}._domainkey.{d}: lookup failed: {e}")
                        }
                    }
                }
                let added = c.import_keys(&records)?;
                if added > 0 {
                    verify(&mut c, true)?;
                }
                println!("{added} new key records");
                Ok(ExitCode::SUCCESS)
            }
            KeysCommand::Missing { case } => {
                let c = open_case(&case.case)?;
                let mut out = io::stdout().lock();
                for (d, s, n) in c.missing_keys()? {
                    writeln!(out, "{s}._domainkey.{d}\t{n} messages")?;
                }
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Status { case, json } => {
            let c = open_case(&case.case)?;
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
                "verdicts    {} messages verified, {} keys in the archive",
                s.verdicts.iter().map(|(_, n)| n).sum::<i64>(),
                s.keys
            )?;
            for (v, n) in &s.verdicts {
                writeln!(out, "  {v:<22}{n}")?;
            }
            writeln!(
                out,
                "forensics   {} documents, findings: {} (`tamis findings`)",
                s.documents,
                counts(&s.findings)
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
            let c = open_case(&case.case)?;
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
            let c = open_case(&case.case)?;
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
                ExportFormat::Csv => {
                    let mut csv = csv::Writer::from_writer(&mut w);
                    csv.write_record([
                        "source",
                        "verdict",
                        "reasons",
                        "message_id",
                        "sha256",
                        "date",
                        "from",
                        "to",
                        "subject",
                        "converted",
                        "format",
                        "copies",
                        "findings",
                    ])?;
                    c.for_each_occurrence(|row| {
                        csv.write_record([
                            row.source.as_str(),
                            row.verdict.map_or("", tamis_case::Verdict::name),
                            &row.reasons
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(" | "),
                            row.message_id.as_deref().unwrap_or(""),
                            &row.sha256,
                            row.date.as_deref().unwrap_or(""),
                            row.from.as_deref().unwrap_or(""),
                            &row.to.join(", "),
                            row.subject.as_deref().unwrap_or(""),
                            if row.converted { "true" } else { "false" },
                            &row.format,
                            &row.copies.to_string(),
                            &row.findings
                                .iter()
                                .map(|f| format!("{} ({})", f.kind, f.severity))
                                .collect::<Vec<_>>()
                                .join("; "),
                        ])
                        .map_err(csv_io)?;
                        Ok(())
                    })?;
                    csv.flush()?;
                }
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

fn counts<N: std::fmt::Display>(c: &[(String, N)]) -> String {
    if c.is_empty() {
        return "none".into();
    }
    c.iter()
        .map(|(v, n)| format!("{n} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn day(t: Option<i64>) -> String {
    t.map(|t| tamis_case::headers::utc(t)[..10].to_string())
        .unwrap_or_else(|| "?".into())
}

/// Read key files in whichever format they are in.
fn read_key_files(files: &[PathBuf]) -> Result<Vec<tamis_keys::KeyRecord>> {
    let mut out = Vec::new();
    for f in files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let parsed = if first.trim_start().starts_with('{') {
            tamis_keys::parse_jsonl(&text)
        } else if text.contains("<<>> DiG") || text.contains(";; ANSWER SECTION") {
            tamis_keys::parse_dig(&text)
        } else {
            tamis_keys::parse_zone(&text)
        };
        for r in parsed {
            match r {
                Ok(r) => out.push(r),
                Err(e) => eprintln!("tamis: {}: {e}", f.display()),
            }
        }
    }
    Ok(out)
}

fn import_keys(c: &mut Case, files: &[PathBuf]) -> Result<usize> {
    if files.is_empty() {
        return Ok(0);
    }
    let records = read_key_files(files)?;
    Ok(c.import_keys(&records)?)
}

/// Verify (all messages, or those without a verdict) and bring a search
/// index up to date with the verdicts that changed.
fn verify(c: &mut Case, all: bool) -> Result<tamis_case::VerifyReport> {
    let report = c.verify(all, &mut |_, _| {}).context("verifying")?;
    if report.changed > 0 {
        search::refresh_if_indexed(c)?;
    }
    Ok(report)
}

fn serve_case(case: &std::path::Path, addr: std::net::SocketAddr) -> Result<()> {
    // From the environment, not the command line (where `ps` shows it).
    let password = std::env::var("TAMIS_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    tamis_web::serve(case, addr, password.as_deref(), |addr| {
        println!(
            "tamis: the workbench of {} is at http://{addr}/ (Ctrl-C to stop)",
            case.display()
        );
    })
    .with_context(|| format!("serving {}", case.display()))?;
    Ok(())
}

fn check(
    file: &std::path::Path,
    keys: &[PathBuf],
    case: Option<&std::path::Path>,
    json: bool,
) -> Result<ExitCode> {
    let mut records = read_key_files(keys)?;
    let mut dump_seen = None;
    if let Some(dir) = case {
        let c = open_case(dir)?;
        records.extend(c.keys()?);
        dump_seen = c.dump_seen()?;
    }
    let archive = tamis_keys::Archive::new(records);
    let reader = tamis_read::Reader::default();
    let mut out = io::stdout().lock();
    let mut any = false;
    let mut failed = None;
    reader.read_path(file.to_path_buf(), &mut |e| match e {
        tamis_read::Event::Message(m) => {
            any = true;
            let a = tamis_verify::assess(
                &m.bytes,
                &archive,
                tamis_verify::AssessOptions { dump_seen },
            );
            let (verdict, why) = tamis_case::occurrence_verdict(
                a.verdict,
                m.format.is_converted(),
                m.reader_note.as_deref(),
            );
            let reasons: Vec<String> = why
                .iter()
                .chain(&a.reasons)
                .map(ToString::to_string)
                .collect();
            let source = m.provenance.to_string();
            let result = if json {
                // As `export` writes a copy: words, then the typed evidence.
                let v = serde_json::json!({
                    "source": source,
                    "verdict": verdict,
                    "reasons": reasons,
                    "evidence": a,
                });
                writeln!(out, "{v}")
            } else {
                explain(&mut out, &source, verdict, &reasons, &a)
            };
            if let Err(e) = result {
                failed = Some(e);
            }
        }
        tamis_read::Event::Problem(p) => eprintln!("tamis: {p}"),
        tamis_read::Event::Custody(_) => {}
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    if !any {
        eprintln!("tamis: no message found in {}", file.display());
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// What `dkimverify` prints, and what it does not: every fact, in words.
fn explain(
    out: &mut impl Write,
    source: &str,
    verdict: tamis_case::Verdict,
    reasons: &[String],
    a: &tamis_verify::Assessment,
) -> io::Result<()> {
    use tamis_verify::{HeaderCheck, KeyStatus};
    writeln!(out, "{source}: {}", verdict.name().to_uppercase())?;
    for r in reasons {
        writeln!(out, "  {r}")?;
    }
    if a.arc.cv != tamis_verify::ChainValidation::None {
        writeln!(out, "  ARC chain: {} ({})", a.arc.cv.name(), a.arc.detail)?;
    }
    let sigs = a.repaired.as_ref().unwrap_or(&a.signatures);
    for r in sigs {
        let Some(s) = &r.signature else {
            writeln!(
                out,
                "  signature {}: unreadable: {}",
                r.index + 1,
                r.error.clone().unwrap_or_default()
            )?;
            continue;
        };
        writeln!(
            out,
            "  signature {}: d={} s={} a={} c={}/{} -> {}",
            r.index + 1,
            s.domain,
            s.selector,
            s.algorithm.name(),
            s.header_canon.name(),
            s.body_canon.name(),
            r.result.name()
        )?;
        writeln!(out, "    signed fields (h=): {}", s.headers.join(":"))?;
        if !r.unsigned_displayed.is_empty() {
            writeln!(
                out,
                "    shown but NOT signed: {}",
                r.unsigned_displayed.join(", ")
            )?;
        }
        match &r.key {
            Some(KeyStatus::Found {
                bits,
                source,
                first_seen,
                last_seen,
                revealed_at,
                published_then,
                ..
            }) => writeln!(
                out,
                "    key: {} from {}, seen {} .. {}{}{}",
                bits.map(|b| format!("{b}-bit RSA"))
                    .unwrap_or_else(|| "Ed25519".into()),
                source.as_deref().unwrap_or("the key archive"),
                day(*first_seen),
                day(*last_seen),
                match published_then {
                    Some(true) => " (published when the message was sent)",
                    Some(false) => " (NOT published when the message was sent)",
                    None => "",
                },
                revealed_at
                    .map(|t| format!("; private key published {}", day(Some(t))))
                    .unwrap_or_default()
            )?,
            Some(other) => writeln!(out, "    key: {other:?}")?,
            None => {}
        }
        let header = match &r.header {
            Some(HeaderCheck::Valid) => "valid".to_string(),
            Some(HeaderCheck::SignedOtherHeaders { digest }) => {
                format!("made with this key over other header content ({digest}): headers altered")
            }
            Some(HeaderCheck::NotThisKey) => "not made with this key".to_string(),
            Some(HeaderCheck::Invalid) => "does not verify".to_string(),
            Some(HeaderCheck::Unusable { reason }) => reason.clone(),
            None => "not checked".to_string(),
        };
        writeln!(out, "    header signature: {header}")?;
        let body = match r.body_hash_matches {
            Some(true) => "matches",
            Some(false) => "DIFFERS: the body was changed after signing",
            None => "not checked",
        };
        writeln!(out, "    body hash: {body}")?;
        if let Some(n) = r.unsigned_body_bytes.filter(|n| *n > 0) {
            writeln!(
                out,
                "    l=: {n} bytes of the body are after what the signature covers"
            )?;
        }
        if let (Some(t), Some(at)) = (s.timestamp, a.message_time) {
            writeln!(
                out,
                "    t= {} against Date {}",
                tamis_case::headers::utc(t),
                tamis_case::headers::utc(at)
            )?;
        }
    }
    Ok(())
}

/// Document metadata is read by this binary run as worker processes.
fn document_pool() -> Result<tamis_forensics::isolate::Pool> {
    let exe = std::env::current_exe().context("finding this program to run document workers")?;
    Ok(tamis_forensics::isolate::Pool::new(
        move || {
            let mut c = std::process::Command::new(&exe);
            c.arg("__doc-worker");
            c
        },
        std::time::Duration::from_secs(30),
    ))
}

fn print_examined(e: &tamis_case::ExamineReport) {
    eprintln!(
        "forensics: {} messages examined, {} documents read ({} unreadable), {} findings; {} unsigned messages forged by findings (`tamis findings`)",
        e.messages, e.documents, e.unreadable_documents, e.findings, e.forged
    );
}

/// A CSV write error as the I/O error it usually is (so a closed pipe
/// stays a closed pipe, which `tamis export | head` is not an error).
fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Open a case, saying what was upgraded if an older tamis wrote it.
fn open_case(dir: &std::path::Path) -> Result<Case> {
    let c = Case::open(dir).with_context(|| format!("opening case {}", dir.display()))?;
    say_upgrade(&c);
    Ok(c)
}

/// Open a case, creating it if it does not exist.
fn create_case(dir: &std::path::Path) -> Result<Case> {
    let c = Case::create(dir).with_context(|| format!("opening case {}", dir.display()))?;
    say_upgrade(&c);
    Ok(c)
}

fn say_upgrade(c: &Case) {
    if let Some(u) = c.upgrade() {
        eprintln!(
            "tamis: {} was written by an older tamis: catalog schema {} upgraded to {}{}",
            c.dir().display(),
            u.from,
            u.to,
            if u.rejudged > 0 {
                format!(
                    "; {} verdicts judged again from the stored messages",
                    u.rejudged
                )
            } else {
                String::new()
            }
        );
    }
}
