//! `tamis index`: bring the search index up to date, or rebuild it.

use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::IndexArgs;
use crate::common::open_case;

pub fn run(a: IndexArgs) -> Result<ExitCode> {
    let mut c = open_case(&a.case.case)?;
    let started = std::time::Instant::now();
    let r = tamis_triage::refresh_index(&mut c, a.rebuild).context("updating the search index")?;
    println!(
        "indexed {} of {} messages ({} threads) in {:.2} s",
        r.indexed,
        r.total,
        r.threads,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
