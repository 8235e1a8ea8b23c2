//! `tamis status`: what the case holds, in counts.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;

use crate::cli::StatusArgs;
use crate::common::{counts, open_case};

pub fn run(a: StatusArgs) -> Result<ExitCode> {
    let (case, json) = (a.case, a.json);
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
