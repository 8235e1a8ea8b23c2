//! `tamis verify`: judge messages against the case's key archive.

use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::VerifyArgs;
use crate::common::{counts, open_case};

pub fn run(a: VerifyArgs) -> Result<ExitCode> {
    let mut c = open_case(&a.case.case)?;
    if let Some(d) = a.dump_seen {
        let t = tamis_time::parse_time(&d)
            .with_context(|| format!("--dump-seen: cannot read the date {d:?}"))?;
        c.set_dump_seen(t)?;
    }
    let report = tamis_triage::verify(&mut c, a.all).context("verifying")?;
    println!(
        "verified {} messages ({} verdicts changed): {}",
        report.verified,
        report.changed,
        counts(&report.counts)
    );
    Ok(ExitCode::SUCCESS)
}
