//! What several commands share: opening a case (and saying what opening
//! it upgraded), progress bars, the document workers, short formats.

use std::io::{self, IsTerminal};
use std::path::Path;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tamis_case::Case;

/// Open an existing case, upgraded if an older tamis wrote it (said on
/// standard error, as every note to the user is).
pub fn open_case(dir: &Path) -> Result<Case> {
    let (case, notices) =
        tamis_triage::open(dir).with_context(|| format!("opening case {}", dir.display()))?;
    say(dir, &notices);
    Ok(case)
}

/// Open a case, creating it if it does not exist.
pub fn create_case(dir: &Path) -> Result<Case> {
    let (case, notices) =
        tamis_triage::create(dir).with_context(|| format!("opening case {}", dir.display()))?;
    say(dir, &notices);
    Ok(case)
}

fn say(dir: &Path, notices: &[tamis_triage::Notice]) {
    for n in notices {
        eprintln!("tamis: {}: {n}", dir.display());
    }
}

pub fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(1), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// `3 authentic, 1 forged`, or `none`.
pub fn counts<N: std::fmt::Display>(c: &[(String, N)]) -> String {
    if c.is_empty() {
        return "none".into();
    }
    c.iter()
        .map(|(v, n)| format!("{n} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Document metadata is read by this binary run as worker processes.
pub fn document_pool() -> Result<tamis_forensics::isolate::Pool> {
    let exe = std::env::current_exe().context("finding this program to run document workers")?;
    Ok(tamis_forensics::isolate::Pool::new(
        move || {
            let mut c = std::process::Command::new(&exe);
            c.arg("__doc-worker");
            c
        },
        std::time::Duration::from_secs(30),
    ))
}

pub fn print_examined(e: &tamis_case::ExamineReport) {
    eprintln!(
        "forensics: {} messages examined, {} documents read ({} unreadable), {} findings; {} unsigned messages forged by findings (`tamis findings`)",
        e.messages, e.documents, e.unreadable_documents, e.findings, e.forged
    );
}

/// Key records a file held that could not be read, said and skipped.
pub fn say_rejected(rejected: &[(std::path::PathBuf, tamis_keys::ImportError)]) {
    for (f, e) in rejected {
        eprintln!("tamis: {}: {e}", f.display());
    }
}

/// Shorten `s` to `n` characters, marking the cut.
pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(n - 1).collect();
        c.push('…');
        c
    }
}

/// The day of `t` (`2016-02-15`), or `?`.
pub fn day(t: Option<i64>) -> String {
    t.map_or_else(|| "?".into(), tamis_time::day)
}

/// The minute of `t` (`2016-02-15 18:02`), padded when there is none.
pub fn minute(ts: Option<i64>) -> String {
    ts.map_or_else(|| "(no date)       ".into(), tamis_time::minute)
}
