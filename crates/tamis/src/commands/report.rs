//! `tamis report`: the verification report to publish (HTML or JSON).

use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::ReportArgs;
use crate::common::open_case;

pub fn run(a: ReportArgs) -> Result<ExitCode> {
    let c = open_case(&a.case.case)?;
    let report = c.report()?;
    let text = if a.json {
        serde_json::to_string_pretty(&report)?
    } else {
        tamis_case::report::html(&report)
    };
    std::fs::write(&a.out, text).with_context(|| format!("writing {}", a.out.display()))?;
    println!(
        "wrote {} ({} flagged messages)",
        a.out.display(),
        report.flagged.len()
    );
    Ok(ExitCode::SUCCESS)
}
