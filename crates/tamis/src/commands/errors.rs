//! `tamis errors`: every source or member that could not be read.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Result;

use crate::cli::ErrorsArgs;
use crate::common::open_case;

pub fn run(a: ErrorsArgs) -> Result<ExitCode> {
    let (case, json, all) = (a.case, a.json, a.all);
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
