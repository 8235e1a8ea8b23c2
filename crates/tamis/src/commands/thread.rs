//! `tamis thread`: a conversation, with placeholders for missing parents.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;

use super::resolve::resolve_one;
use crate::cli::ThreadArgs;
use crate::common::{clip, minute, open_case};

pub fn run(a: ThreadArgs) -> Result<ExitCode> {
    let case = open_case(&a.case.case)?;
    let (case, id, json) = (&case, a.id.as_str(), a.json);
    // A thread name, or anything that names a message in it.
    let mut rows = case.thread_rows(&id.to_ascii_lowercase())?;
    if rows.is_empty() {
        let Some(sha) = resolve_one(case, id)? else {
            return Ok(ExitCode::from(2));
        };
        let Some(t) = case.thread_of(&sha)? else {
            eprintln!("tamis: the case has no threads yet: run `tamis index`");
            return Ok(ExitCode::from(2));
        };
        rows = case.thread_rows(&t)?;
    }
    let mut out = io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let lines = tamis_case::thread_lines(&rows);
    let missing = lines
        .iter()
        .filter(|(_, l)| matches!(l, tamis_case::ThreadLine::Missing(_)))
        .count();
    writeln!(
        out,
        "{} messages, {missing} missing from the dump",
        rows.len()
    )?;
    for (depth, line) in lines {
        let pad = "  ".repeat(depth.min(40));
        match line {
            tamis_case::ThreadLine::Missing(m) => writeln!(out, "{pad}(not in the dump: {m})")?,
            tamis_case::ThreadLine::Message(r) => {
                writeln!(
                    out,
                    "{pad}{}  {:22} {}  {}",
                    minute(r.date_ts),
                    r.verdict.map_or("pending", tamis_case::Verdict::name),
                    clip(r.from.as_deref().unwrap_or("(no sender)"), 30),
                    r.subject.as_deref().unwrap_or("(no subject)")
                )?;
                writeln!(
                    out,
                    "{pad}  {}  id {}",
                    r.message.source.as_deref().unwrap_or("?"),
                    r.message.short()
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
