//! `tamis export`: one line per message copy, with its verdict and evidence.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::{ExportArgs, ExportFormat};
use crate::common::open_case;

pub fn run(a: ExportArgs) -> Result<ExitCode> {
    let (case, format, out) = (a.case, a.format, a.out);
    let c = open_case(&case.case)?;
    let sink: Box<dyn Write> = match &out {
        Some(path) => Box::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
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

/// A CSV write error as the I/O error it usually is (so a closed pipe
/// stays a closed pipe, which `tamis export | head` is not an error).
fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}
