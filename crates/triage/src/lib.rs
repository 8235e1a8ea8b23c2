//! The whole triage of a dump as one call, and opening a case with its
//! derived data brought up to date.
//!
//! A dump goes through ingest (every message, stored as found), the key
//! archive, verification, the forensic examination and the search index,
//! in that order: each stage reads what the one before wrote. The command
//! line, the web workbench and the tests all need that sequence; it is
//! written here once, with progress reported per stage, so that none of
//! them can run the stages in another order or forget one.
//!
//! Opening a case is the other place where order matters: a case written
//! by an earlier tamis has its catalog migrated (evidence is never read
//! again from the dump) and its derived data made again where its form
//! changed — verdicts judged again from the stored messages, an index of
//! another version rebuilt — and the reader is told so ([`Notice`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use tamis_case::{
    Case, CaseError, ExamineReport, IngestOptions, IngestReport, Progress, Upgrade, VerifyReport,
};
use tamis_forensics::isolate::Pool;
use tamis_keys::{ImportError, KeyRecord};
use tamis_search::{Opened, RefreshReport, SearchError, SearchIndex};

#[derive(Debug, thiserror::Error)]
pub enum TriageError {
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("reading {path}: {source}")]
    KeyFile {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub type Result<T, E = TriageError> = std::result::Result<T, E>;

/// Something opening or updating a case did that the reader should know.
#[derive(Clone, Debug, Serialize)]
pub enum Notice {
    /// The case was written by an older tamis; its catalog was upgraded.
    CatalogUpgraded(Upgrade),
    /// The search index was of another version (or damaged) and was built
    /// again from the case.
    IndexRebuilt { found: Option<u32>, indexed: u64 },
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::CatalogUpgraded(u) => {
                write!(
                    f,
                    "the case was written by an older tamis: catalog schema {} upgraded to {}",
                    u.from, u.to
                )?;
                if u.rejudged > 0 {
                    write!(
                        f,
                        "; {} verdicts judged again from the stored messages",
                        u.rejudged
                    )?;
                }
                Ok(())
            }
            Notice::IndexRebuilt { found, indexed } => write!(
                f,
                "the search index was {}: rebuilt from the case ({indexed} messages)",
                match found {
                    Some(v) => format!("of another tamis (version {v})"),
                    None => "unreadable".to_string(),
                }
            ),
        }
    }
}

/// Open an existing case, upgraded if an older tamis wrote it.
pub fn open(dir: &Path) -> Result<(Case, Vec<Notice>)> {
    let case = Case::open(dir)?;
    bring_up_to_date(case)
}

/// Open a case, creating it if it does not exist.
pub fn create(dir: &Path) -> Result<(Case, Vec<Notice>)> {
    let case = Case::create(dir)?;
    bring_up_to_date(case)
}

fn bring_up_to_date(mut case: Case) -> Result<(Case, Vec<Notice>)> {
    let mut notices = Vec::new();
    let upgraded = case.upgrade().cloned();
    if let Some(u) = upgraded {
        notices.push(Notice::CatalogUpgraded(u));
    }
    // An index of another version cannot answer: rebuilt now, so that a
    // search right after needs no manual step. An upgraded catalog may
    // have changed what the index reflects: refreshed (incremental).
    if SearchIndex::exists(case.dir()) {
        let (index, opened) = SearchIndex::open_current(&mut case)?;
        if opened != Opened::Current || case.upgrade().is_some() {
            let r = index.refresh(&mut case, &mut |_, _| {})?;
            if let Opened::Dropped { found } = opened {
                notices.push(Notice::IndexRebuilt {
                    found,
                    indexed: r.indexed,
                });
            }
        }
    }
    Ok((case, notices))
}

/// What one triage stage is doing, for a progress display.
#[derive(Clone, Copy, Debug)]
pub enum Stage {
    Reading(Progress),
    Verifying { done: u64, total: u64 },
    Examining { done: u64, total: u64 },
    Indexing { done: u64, total: u64 },
}

/// What a whole triage did, stage by stage.
#[derive(Debug, Serialize)]
pub struct TriageReport {
    pub ingest: IngestReport,
    pub keys: KeysImported,
    pub verify: VerifyReport,
    pub examine: ExamineReport,
    pub index: RefreshReport,
    /// Wall time of reading, verification, forensics and indexing.
    pub timings: [Duration; 4],
}

/// Triage `paths` into `case`: read every message, import `keys`, verify
/// (everything again if the keys were new), examine with `pool`'s
/// document workers, and bring the search index up to date (creating it).
pub fn triage(
    case: &mut Case,
    paths: &[PathBuf],
    opts: &IngestOptions,
    keys: &[PathBuf],
    pool: &Pool,
    progress: &mut dyn FnMut(Stage),
) -> Result<TriageReport> {
    let mut timings = [Duration::ZERO; 4];
    let mut clock = Instant::now();
    let mut lap = |i: usize| {
        timings[i] = clock.elapsed();
        clock = Instant::now();
    };
    let ingest = case.ingest(paths, opts, &mut |p| progress(Stage::Reading(p)))?;
    lap(0);
    let keys = import_keys(case, keys)?;
    // New keys can settle messages verified before: all again.
    let verify = case.verify(keys.added > 0, &mut |done, total| {
        progress(Stage::Verifying { done, total })
    })?;
    lap(1);
    let examine = case.examine(pool, &mut |done, total| {
        progress(Stage::Examining { done, total })
    })?;
    lap(2);
    let (index, _) = SearchIndex::open_current(case)?;
    let index = index.refresh(case, &mut |done, total| {
        progress(Stage::Indexing { done, total })
    })?;
    lap(3);
    Ok(TriageReport {
        ingest,
        keys,
        verify,
        examine,
        index,
        timings,
    })
}

/// Records a key file held that could not be read: `(file, what was wrong)`.
pub type Rejected = Vec<(PathBuf, ImportError)>;

/// Key records read from files, and what could not be read in them.
#[derive(Debug, Default, Serialize)]
pub struct KeysImported {
    /// Records new to the case's archive.
    pub added: usize,
    #[serde(skip)]
    pub rejected: Rejected,
}

/// Read key files, each in whichever format it is in
/// ([`tamis_keys::KeyFileFormat`]).
pub fn read_key_files(files: &[PathBuf]) -> Result<(Vec<KeyRecord>, Rejected)> {
    let mut records = Vec::new();
    let mut rejected = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|source| TriageError::KeyFile {
            path: f.clone(),
            source,
        })?;
        for r in tamis_keys::parse_any(&text) {
            match r {
                Ok(r) => records.push(r),
                Err(e) => rejected.push((f.clone(), e)),
            }
        }
    }
    Ok((records, rejected))
}

/// Import key files into the case's archive (without re-verifying).
pub fn import_keys(case: &mut Case, files: &[PathBuf]) -> Result<KeysImported> {
    if files.is_empty() {
        return Ok(KeysImported::default());
    }
    let (records, rejected) = read_key_files(files)?;
    Ok(KeysImported {
        added: case.import_keys(&records)?,
        rejected,
    })
}

/// Verify (every message, or those without a verdict) and bring an
/// existing search index in step with the verdicts that changed.
pub fn verify(case: &mut Case, all: bool) -> Result<VerifyReport> {
    let report = case.verify(all, &mut |_, _| {})?;
    if report.changed > 0 {
        refresh_index_if_present(case)?;
    }
    Ok(report)
}

/// Import records into the case and re-verify what they may settle.
pub fn add_keys(case: &mut Case, records: &[KeyRecord]) -> Result<(usize, Option<VerifyReport>)> {
    let added = case.import_keys(records)?;
    let report = if added > 0 {
        Some(verify(case, true)?)
    } else {
        None
    };
    Ok((added, report))
}

/// Examine what was not examined yet and refresh an existing index.
pub fn examine(case: &mut Case, pool: &Pool) -> Result<ExamineReport> {
    let report = case.examine(pool, &mut |_, _| {})?;
    refresh_index_if_present(case)?;
    Ok(report)
}

/// Bring the index up to date, creating it if needed; `rebuild` drops it
/// first and indexes every message again.
pub fn refresh_index(case: &mut Case, rebuild: bool) -> Result<RefreshReport> {
    let index = if rebuild {
        SearchIndex::rebuild(case)?
    } else {
        SearchIndex::open_current(case)?.0
    };
    Ok(index.refresh(case, &mut |_, _| {})?)
}

/// Refresh the index only if the case has one: verify and examine keep it
/// in step without creating it.
pub fn refresh_index_if_present(case: &mut Case) -> Result<()> {
    if SearchIndex::exists(case.dir()) {
        refresh_index(case, false)?;
    }
    Ok(())
}
