//! `tamis ingest`: the whole triage of a dump, then (optionally) the
//! workbench.

use std::process::ExitCode;

use anyhow::{Context, Result};
use tamis_case::IngestOptions;
use tamis_read::Limits;
use tamis_triage::Stage;

use crate::cli::IngestArgs;
use crate::common::{
    counts, create_case, document_pool, print_examined, progress_bar, say_rejected,
};

pub fn run(a: IngestArgs) -> Result<ExitCode> {
    for p in &a.paths {
        if !p.exists() {
            eprintln!("tamis: {} does not exist", p.display());
            return Ok(ExitCode::from(2));
        }
    }
    let mut c = create_case(&a.case.case)?;
    let opts = IngestOptions {
        jobs: a.jobs,
        limits: Limits {
            max_depth: a.max_depth,
            max_message: a.max_message_mib << 20,
            max_expansion_ratio: a.max_expansion_ratio,
            min_expansion_budget: a.expansion_floor_mib << 20,
            ..Limits::default()
        },
    };
    let bar = progress_bar(a.quiet);
    let report = tamis_triage::triage(
        &mut c,
        &a.paths,
        &opts,
        &a.keys,
        &document_pool()?,
        &mut |stage| {
            if let Stage::Reading(p) = stage {
                bar.set_length(p.bytes_total.max(1));
                bar.set_position(p.bytes.min(p.bytes_total));
                bar.set_message(format!(
                    "{}/{} files, {} messages",
                    p.units_done, p.units_total, p.messages
                ));
            } else {
                bar.finish_and_clear();
            }
        },
    )
    .context("ingest")?;
    bar.finish_and_clear();
    say_rejected(&report.keys.rejected);
    let status = c.status()?;
    let r = &report.ingest;
    eprintln!(
        "read {} files ({} already done), {} message copies, {} new messages; case holds {} messages in {} copies",
        r.units,
        r.units_skipped,
        r.occurrences,
        r.new_messages,
        status.messages,
        status.occurrences
    );
    eprintln!("verdicts: {}", counts(&status.verdicts));
    print_examined(&report.examine);
    eprintln!(
        "search index: {} messages indexed, {} threads",
        report.index.indexed, report.index.threads
    );
    let [read, verified, examined, indexed] = report.timings.map(|t| t.as_secs_f64());
    eprintln!(
        "time: reading {read:.2} s, verification {verified:.2} s, forensics {examined:.2} s, indexing {indexed:.2} s"
    );
    if status.errors > 0 || status.warnings > 0 {
        eprintln!("{} errors, {} warnings:", status.errors, status.warnings);
        let problems = c.problems()?;
        for p in problems.iter().filter(|p| p.severity == "error").take(20) {
            eprintln!("  {}: {} {}: {}", p.source, p.severity, p.kind, p.detail);
        }
        if status.errors > 20 {
            eprintln!("  ... see `tamis errors --case {}`", a.case.case.display());
        }
    }
    if let Some(addr) = a.serve {
        drop(c);
        super::serve::serve(&a.case.case, addr)?;
    }
    Ok(if status.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
