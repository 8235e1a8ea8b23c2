//! `tamis findings`: forensic findings, most severe first.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;

use tamis_case::FindingKind;

use crate::cli::FindingsArgs;
use crate::common::open_case;

pub fn run(a: FindingsArgs) -> Result<ExitCode> {
    if a.kinds {
        for k in FindingKind::ALL {
            println!("{:34} {}", k.name(), k.meaning());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let kind = match a.kind.as_deref().map(FindingKind::parse) {
        Some(None) => {
            eprintln!(
                "tamis: no finding kind {:?} (see `tamis findings --kinds`)",
                a.kind.unwrap_or_default()
            );
            return Ok(ExitCode::from(2));
        }
        Some(Some(k)) => Some(k),
        None => None,
    };
    let c = open_case(&a.case.case)?;
    let rows = c.findings(kind)?;
    let mut out = io::stdout().lock();
    for f in &rows {
        if a.json {
            serde_json::to_writer(&mut out, f)?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "{:7} {:32} {}\n        {}",
                f.severity.name(),
                f.kind.name(),
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
