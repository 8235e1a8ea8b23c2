//! The command line's shape: every command and its arguments (clap). What
//! each command does is in `commands/`, one file per command.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tamis_read::Limits;

#[derive(Parser)]
#[command(
    name = "tamis",
    version,
    about = "Sift a leaked email dump: read every message, keep the evidence intact"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args)]
pub struct CaseArg {
    /// The case directory (created by ingest).
    #[arg(long, default_value = "tamis.case")]
    pub case: PathBuf,
}

#[derive(Subcommand)]
pub enum Command {
    /// Read every message out of folders, files and archives into the case.
    Ingest(IngestArgs),
    /// Verify every message not verified yet (or all, with --all) against
    /// the case's key archive.
    Verify(VerifyArgs),
    /// Check one message file (or every message in a mailbox or archive) and
    /// explain what its signatures prove.
    Check(CheckArgs),
    /// The verification report: a self-contained HTML file to publish, or JSON.
    Report(ReportArgs),
    /// The DKIM key archive.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Counts: sources, containers, messages, duplicates, problems.
    Status(StatusArgs),
    /// Every source or member that could not be read, and why.
    Errors(ErrorsArgs),
    /// Forensic findings: header chains, attachment metadata, people,
    /// document clusters, copies that share a Message-ID.
    Findings(FindingsArgs),
    /// Examine the messages not examined yet (ingest does this): extract
    /// attachments, read their metadata, recompute the findings.
    Examine(CaseOnly),
    /// Build or update the search index (ingest, verify and examine keep
    /// it up to date; --rebuild starts it again from the case).
    Index(IndexArgs),
    /// Search the case: words, "phrases", AND/OR/NOT/-word, (groups), and
    /// from: to: cc: subject: body: exact: date: has: filename: type:
    /// author: header: verdict: signer: finding: thread: id: source:
    /// (see the README).
    Search(SearchArgs),
    /// One message: headers, verdict and reasons, copies, attachments,
    /// findings, thread and text. ID: a hash (or its first 6+ digits), a
    /// source path or a Message-ID.
    Show(ShowArgs),
    /// The thread of a message (ID as for show), or a thread by its name.
    Thread(ThreadArgs),
    /// Open the case in the browser: dashboard, search, messages with
    /// their evidence, threads, keys. Any address but loopback needs a
    /// password in TAMIS_PASSWORD (every page then asks for it).
    Serve(ServeArgs),
    /// Internal: a document-metadata worker process (see forensics::isolate).
    #[command(name = "__doc-worker", hide = true)]
    DocWorker,
    /// One line per message occurrence.
    Export(ExportArgs),
}

#[derive(Args)]
pub struct IngestArgs {
    /// Folders, files or archives, in any mix.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub case: CaseArg,
    /// Threads for reading and for processing (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub jobs: usize,
    /// How many containers deep to open.
    #[arg(long, default_value_t = Limits::default().max_depth)]
    pub max_depth: usize,
    /// Largest message read, in MiB.
    #[arg(long, default_value_t = Limits::default().max_message >> 20)]
    pub max_message_mib: u64,
    /// Decompressed bytes allowed per byte of a file on disk.
    #[arg(long, default_value_t = Limits::default().max_expansion_ratio)]
    pub max_expansion_ratio: u64,
    /// Decompressed bytes always allowed per file, in MiB, whatever its size.
    #[arg(long, default_value_t = Limits::default().min_expansion_budget >> 20)]
    pub expansion_floor_mib: u64,
    /// Key records to import before verifying (JSON lines, zone, dig).
    #[arg(long)]
    pub keys: Vec<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Then open the case in the browser workbench on this loopback
    /// address (`tamis serve`).
    #[arg(long, num_args = 0..=1, default_missing_value = "127.0.0.1:8080")]
    pub serve: Option<SocketAddr>,
}

#[derive(Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub case: CaseArg,
    /// Recompute every verdict (after importing keys, say).
    #[arg(long)]
    pub all: bool,
    /// When the dump was first seen in public (YYYY-MM-DD): keys whose
    /// private half was published later still prove what they signed.
    #[arg(long)]
    pub dump_seen: Option<String>,
}

#[derive(Args)]
pub struct CheckArgs {
    pub file: PathBuf,
    /// Key records (JSON lines, zone file or dig output).
    #[arg(long)]
    pub keys: Vec<PathBuf>,
    /// Also use this case's key archive.
    #[arg(long)]
    pub case: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub case: CaseArg,
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub case: CaseArg,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ErrorsArgs {
    #[command(flatten)]
    pub case: CaseArg,
    #[arg(long)]
    pub json: bool,
    /// Include warnings (path traversal names, links not followed, ...).
    #[arg(long)]
    pub all: bool,
}

#[derive(Args)]
pub struct FindingsArgs {
    #[command(flatten)]
    pub case: CaseArg,
    /// Only this kind (see `tamis findings --kinds`).
    #[arg(long)]
    pub kind: Option<String>,
    /// List the finding kinds and what they mean.
    #[arg(long)]
    pub kinds: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct CaseOnly {
    #[command(flatten)]
    pub case: CaseArg,
}

#[derive(Args)]
pub struct IndexArgs {
    #[command(flatten)]
    pub case: CaseArg,
    #[arg(long)]
    pub rebuild: bool,
}

#[derive(Args)]
pub struct SearchArgs {
    #[command(flatten)]
    pub case: CaseArg,
    /// The query (several arguments are joined; put `--` before a
    /// query that starts with `-`).
    #[arg(required = true)]
    pub query: Vec<String>,
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    #[arg(long, value_enum, default_value_t = SortArg::Date)]
    pub sort: SortArg,
    /// Also count verdicts, sender domains, signers and months.
    #[arg(long)]
    pub facets: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub case: CaseArg,
    pub id: String,
    #[arg(long)]
    pub json: bool,
    /// The stored bytes, exactly as found.
    #[arg(long, conflicts_with = "json")]
    pub raw: bool,
}

#[derive(Args)]
pub struct ThreadArgs {
    #[command(flatten)]
    pub case: CaseArg,
    pub id: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub case: CaseArg,
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub case: CaseArg,
    #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
    pub format: ExportFormat,
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SortArg {
    /// Newest first.
    Date,
    Relevance,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

#[derive(Subcommand)]
pub enum KeysCommand {
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
