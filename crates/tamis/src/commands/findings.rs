//! `tamis findings`: forensic findings, most severe first.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;

use crate::cli::FindingsArgs;
use crate::common::open_case;

pub fn run(a: FindingsArgs) -> Result<ExitCode> {
    if a.kinds {
        for (k, what) in tamis_forensics::KINDS {
            println!("{k:34} {what}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(k) = &a.kind
        && !tamis_forensics::KINDS.iter().any(|(n, _)| n == k)
    {
        eprintln!("tamis: no finding kind {k:?} (see `tamis findings --kinds`)");
        return Ok(ExitCode::from(2));
    }
    let c = open_case(&a.case.case)?;
    let rows = c.findings(a.kind.as_deref())?;
    let mut out = io::stdout().lock();
    for f in &rows {
        if a.json {
            serde_json::to_writer(&mut out, f)?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "{:7} {:32} {}\n        {}",
                f.severity,
                f.kind,
                match (&f.message, &f.attachment) {
                    (Some(m), Some(a)) => format!("{}!{a}", m.source.as_deref().unwrap_or("?")),
                    (Some(m), None) => m.source.clone().unwrap_or_default(),
                    (None, _) => "(the whole case)".to_string(),
                },
                f.explanation
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
