//! The case: everything tamis knows about one dump, in one directory.
//!
//! ```text
//! leak.case/
//!   catalog.sqlite   sources, custody, messages, occurrences, documents,
//!                    verdicts, findings, problems (WAL)
//!   blobs/           raw message and attachment bytes, content-addressed,
//!                    in LZ4 packs (and each message's search text)
//!   index/           the search index (tamis-search; derived, rebuildable)
//!   notes.sqlite     the user's tags and notes (never evidence)
//! ```
//!
//! The case is the evidence locker. Its rules: sources are read, never
//! written; a message's bytes are stored once under the SHA-256 of those
//! bytes and never change; the Message-ID header is data, never identity
//! (it is forgeable); every row is keyed by what identifies it in the
//! evidence, so an ingest that is killed and run again ends with exactly
//! the catalog of an ingest that was not.

pub mod annotations;
mod blobs;
mod correspondents;
mod examination;
pub mod headers;
mod index_feed;
mod ingest;
pub mod report;
mod resolve;
mod schema;
mod threads;
mod verification;
mod view;

#[cfg(test)]
mod testing;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::Serialize;

pub use annotations::Annotations;
pub use correspondents::{Correspondence, address_of};
pub use examination::{ExamineReport, FindingRow};
pub use headers::{Attachment, Headers};
pub use index_feed::{IndexAttachment, IndexRecord, RecordReader, SearchText};
pub use ingest::{IngestOptions, IngestReport, Progress};
pub use tamis_forensics::{FindingKind, Severity};
pub use tamis_verify::verdict::occurrence_verdict;
pub use tamis_verify::{Assessment, Reason, Verdict};
pub use threads::{ThreadHeader, ThreadLine, ThreadRow, thread_lines};
pub use verification::{Signer, VerifyReport};
pub use view::MessageView;

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("catalog: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("case files: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "this case was written by a newer tamis (schema {found}, this one reads up to {supported})"
    )]
    NewerSchema { found: i64, supported: i64 },
    #[error("no case at {0} (run `tamis ingest` first)")]
    NotACase(PathBuf),
    #[error("the case is damaged: {0}")]
    Corrupt(String),
}

pub type Result<T, E = CaseError> = std::result::Result<T, E>;

/// An open case.
pub struct Case {
    dir: PathBuf,
    conn: Connection,
    upgrade: Option<Upgrade>,
}

/// What opening a case written by an older tamis did to it: evidence
/// migrated in place, derived data made again from the evidence.
#[derive(Clone, Debug, Serialize)]
pub struct Upgrade {
    /// The catalog schema the case had, and has now.
    pub from: i64,
    pub to: i64,
    /// Verdicts judged again from the stored messages (their form changed).
    pub rejudged: u64,
}

const CATALOG: &str = "catalog.sqlite";

impl Case {
    /// Open the case at `dir`, creating it if it does not exist.
    pub fn create(dir: &Path) -> Result<Case> {
        std::fs::create_dir_all(dir)?;
        Self::open_catalog(
            dir,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )
    }

    /// Open an existing case.
    pub fn open(dir: &Path) -> Result<Case> {
        if !dir.join(CATALOG).exists() {
            return Err(CaseError::NotACase(dir.to_path_buf()));
        }
        Self::open_catalog(dir, OpenFlags::SQLITE_OPEN_READ_WRITE)
    }

    fn open_catalog(dir: &Path, flags: OpenFlags) -> Result<Case> {
        blobs::forget_open_packs();
        // A connection is used by one thread at a time (rusqlite's is not
        // Sync): SQLite's own per-call locking would only cost.
        let flags = flags | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(dir.join(CATALOG), flags)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Catalog inserts land at random places in the hash-keyed tables; a
        // page cache that holds them saves re-reading and spilling pages.
        conn.pragma_update(None, "cache_size", -(256 << 10))?;
        // Checkpoint every ~64 MB of WAL rather than every 4 MB: each
        // checkpoint is an fsync the single writer waits for.
        conn.pragma_update(None, "wal_autocheckpoint", 16_384)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        let from = schema::migrate(&mut conn)?;
        let mut case = Case {
            dir: dir.to_path_buf(),
            conn,
            upgrade: None,
        };
        if from > 0 && from < schema::VERSION {
            let mut upgrade = Upgrade {
                from,
                to: schema::VERSION,
                rejudged: 0,
            };
            if from < schema::REJUDGE_BEFORE {
                upgrade.rejudged = case.verify(true, &mut |_, _| {})?.changed;
            }
            case.upgrade = Some(upgrade);
        }
        Ok(case)
    }

    /// What opening this case upgraded, if it was written by an older tamis.
    pub fn upgrade(&self) -> Option<&Upgrade> {
        self.upgrade.as_ref()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn catalog_path(&self) -> PathBuf {
        self.dir.join(CATALOG)
    }

    fn blob_dir(&self) -> PathBuf {
        self.dir.join("blobs")
    }

    /// The stored bytes of a message, checked against their hash.
    pub fn message_bytes(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let r: Option<(i64, i64, i64)> = self
            .conn
            .query_row(
                "SELECT pack, pack_offset, stored_len FROM messages WHERE sha256 = ?1",
                [sha256],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((pack, offset, len)) = r else {
            return Ok(None);
        };
        let blob = blobs::BlobRef {
            pack,
            offset: offset as u64,
            len: len as u64,
        };
        let bytes = blobs::read(&self.blob_dir(), blob)?;
        check_hash(sha256, &bytes)?;
        Ok(Some(bytes))
    }

    /// Counts for `tamis status`.
    pub fn status(&self) -> Result<Status> {
        let one = |sql: &str| -> Result<i64> { Ok(self.conn.query_row(sql, [], |r| r.get(0))?) };
        let mut kinds = self
            .conn
            .prepare("SELECT kind, COUNT(*) FROM custody GROUP BY kind ORDER BY kind")?;
        let custody_by_kind = kinds
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut formats = self
            .conn
            .prepare("SELECT format, COUNT(*) FROM occurrences GROUP BY format ORDER BY format")?;
        let occurrences_by_format = formats
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut problems = self.conn.prepare(
            "SELECT severity || ' ' || kind, COUNT(*) FROM problems GROUP BY severity, kind ORDER BY severity, kind",
        )?;
        let problems_by_kind = problems
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(Status {
            roots: self.roots()?,
            source_files: one("SELECT COUNT(*) FROM units")?,
            custody_records: one("SELECT COUNT(*) FROM custody")?,
            custody_by_kind,
            messages: one("SELECT COUNT(*) FROM messages")?,
            occurrences: one("SELECT COUNT(*) FROM occurrences")?,
            occurrences_by_format,
            duplicated_messages: one(
                "SELECT COUNT(*) FROM (SELECT message FROM occurrences GROUP BY message HAVING COUNT(*) > 1)",
            )?,
            converted: one("SELECT COUNT(*) FROM occurrences WHERE converted")?,
            message_bytes: one("SELECT COALESCE(SUM(size), 0) FROM messages")?,
            stored_bytes: one("SELECT COALESCE(SUM(stored_len), 0) FROM messages")?,
            errors: one("SELECT COUNT(*) FROM problems WHERE severity = 'error'")?,
            warnings: one("SELECT COUNT(*) FROM problems WHERE severity = 'warning'")?,
            problems_by_kind,
            verdicts: {
                let mut st = self.conn.prepare(
                    "SELECT verdict, COUNT(*) FROM verdicts GROUP BY verdict ORDER BY verdict",
                )?;
                st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?
            },
            keys: one("SELECT COUNT(*) FROM keys")?,
            documents: one("SELECT COUNT(*) FROM documents")?,
            findings: {
                let mut st = self.conn.prepare(&format!(
                    "SELECT severity, COUNT(*) FROM findings GROUP BY severity ORDER BY {}",
                    examination::gravest_first("severity")
                ))?;
                st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?
            },
        })
    }

    pub fn roots(&self) -> Result<Vec<String>> {
        let mut st = self.conn.prepare("SELECT path FROM roots ORDER BY id")?;
        let rows = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Every problem, in provenance order.
    pub fn problems(&self) -> Result<Vec<ProblemRow>> {
        let mut st = self.conn.prepare(
            "SELECT r.path, p.path, p.severity, p.kind, p.detail FROM problems p JOIN roots r ON r.id = p.root
             ORDER BY p.root, p.path, p.kind",
        )?;
        let rows = st
            .query_map([], |r| {
                Ok(ProblemRow {
                    root: r.get(0)?,
                    source: r.get(1)?,
                    severity: r.get(2)?,
                    kind: r.get(3)?,
                    detail: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Every occurrence with its message's fields, in provenance order,
    /// passed to `f` one at a time (a case may hold millions).
    pub fn for_each_occurrence(&self, f: impl FnMut(ExportRow) -> Result<()>) -> Result<()> {
        self.occurrences_of(None, f)
    }

    /// Every copy of one message (or of all, with `None`), as export rows.
    pub fn occurrences_of(
        &self,
        message: Option<&str>,
        mut f: impl FnMut(ExportRow) -> Result<()>,
    ) -> Result<()> {
        // Two statements, not `?1 IS NULL OR …`: SQLite would scan every
        // copy for the one message.
        let filter = if message.is_some() {
            "WHERE o.message = ?1"
        } else {
            "WHERE ?1 IS NULL"
        };
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT r.path, o.path, o.message, o.format, o.converted, o.range_offset, o.range_len,
                    o.mtime, o.folder, o.flags, o.reader_note,
                    m.message_id, m.date, m.date_raw, m.from_addr, m.to_addrs, m.cc_addrs, m.subject,
                    m.in_reply_to, m.refs, m.size, m.parse_error,
                    (SELECT COUNT(*) FROM occurrences o2 WHERE o2.message = o.message),
                    v.verdict, v.reasons, v.evidence
             FROM occurrences o JOIN messages m ON m.sha256 = o.message JOIN roots r ON r.id = o.root
             LEFT JOIN verdicts v ON v.message = o.message
             {filter}
             ORDER BY o.root, o.path"
        ))?;
        let mut att = self.conn.prepare(
            "SELECT name, content_type, size FROM attachments WHERE message = ?1 ORDER BY idx",
        )?;
        let mut found = self.conn.prepare(&format!(
            "SELECT kind, severity, attachment, explanation, data FROM findings WHERE message = ?1
             ORDER BY {}, kind, id",
            examination::gravest_first("severity")
        ))?;
        let mut rows = st.query([message])?;
        while let Some(r) = rows.next()? {
            let sha: String = r.get(2)?;
            let findings = found
                .query_map([&sha], |f| {
                    Ok(MessageFinding {
                        kind: examination::typed(f, 0, FindingKind::parse)?,
                        severity: examination::typed(f, 1, Severity::parse)?,
                        attachment: f.get(2)?,
                        explanation: f.get(3)?,
                        data: serde_json::from_str(&f.get::<_, String>(4)?).unwrap_or_default(),
                    })
                })?
                .collect::<Result<_, _>>()?;
            let attachments = att
                .query_map([&sha], |a| {
                    Ok(Attachment {
                        name: a.get(0)?,
                        content_type: a.get(1)?,
                        size: a.get::<_, i64>(2)? as u64,
                    })
                })?
                .collect::<Result<_, _>>()?;
            let list = |i: usize| -> rusqlite::Result<Vec<String>> { Ok(json_list(r.get(i)?)) };
            let converted: bool = r.get(4)?;
            let reader_note: Option<String> = r.get(10)?;
            let (verdict, reasons, evidence) = match r
                .get::<_, Option<String>>(23)?
                .as_deref()
                .map(Verdict::parse)
            {
                Some(Some(v)) => {
                    let mut reasons: Vec<Reason> =
                        serde_json::from_str(&r.get::<_, String>(24)?).unwrap_or_default();
                    let (v, why) = occurrence_verdict(v, converted, reader_note.as_deref());
                    reasons.splice(0..0, why);
                    // Evidence a tamis stored is what this one reads (an
                    // older form is judged again when the case is opened):
                    // anything else is damage, said rather than hidden.
                    let evidence: Assessment = serde_json::from_str(&r.get::<_, String>(25)?)
                        .map_err(|e| {
                            CaseError::Corrupt(format!(
                                "the evidence of message {sha} cannot be read: {e}"
                            ))
                        })?;
                    (Some(v), reasons, Some(evidence))
                }
                Some(None) => {
                    return Err(CaseError::Corrupt(format!(
                        "message {sha} has a verdict this tamis does not know"
                    )));
                }
                None => (None, Vec::new(), None),
            };
            f(ExportRow {
                verdict,
                reasons,
                evidence,
                root: r.get(0)?,
                source: r.get(1)?,
                sha256: sha,
                format: r.get(3)?,
                converted,
                range: match (r.get::<_, Option<i64>>(5)?, r.get::<_, Option<i64>>(6)?) {
                    (Some(o), Some(l)) => Some((o as u64, l as u64)),
                    _ => None,
                },
                mtime: r.get(7)?,
                folder: r.get(8)?,
                flags: r.get(9)?,
                reader_note,
                message_id: r.get(11)?,
                date: r.get(12)?,
                date_raw: r.get(13)?,
                from: r.get(14)?,
                to: list(15)?,
                cc: list(16)?,
                subject: r.get(17)?,
                in_reply_to: list(18)?,
                references: list(19)?,
                size: r.get::<_, i64>(20)? as u64,
                parse_error: r.get(21)?,
                copies: r.get::<_, i64>(22)? as u64,
                attachments,
                findings,
            })?;
        }
        Ok(())
    }

    /// How outputs name `message`: its Message-ID and first copy.
    pub fn message_ref(&self, message: &str) -> Result<MessageRef> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT m.message_id, r.path, o.path FROM messages m
                 LEFT JOIN occurrences o ON o.message = m.sha256
                 LEFT JOIN roots r ON r.id = o.root
                 WHERE m.sha256 = ?1 ORDER BY o.root, o.path LIMIT 1",
            )?
            .query_row([message], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let (message_id, root, source) = row.unwrap_or((None, None, None));
        Ok(MessageRef {
            sha256: message.to_string(),
            message_id,
            root,
            source,
        })
    }

    /// The whole catalog as sorted text lines, without the run log: two
    /// cases built from the same dump give the same dump (the resume test
    /// compares these).
    pub fn canonical_dump(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for table in [
            "roots",
            "units",
            "custody",
            "messages",
            "attachments",
            "occurrences",
            "problems",
            "documents",
            "examined",
            "profiles",
            "findings",
            "verdicts",
            "texts",
        ] {
            let mut st = self.conn.prepare(&format!("SELECT * FROM {table}"))?;
            let n = st.column_count();
            let names: Vec<String> = st.column_names().map(|s| s.to_string()).collect();
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let mut line = format!("{table}:");
                for (i, name) in names.iter().enumerate().take(n) {
                    // Where a message landed in a pack depends on timing.
                    if matches!(table, "messages" | "documents" | "texts")
                        && matches!(name.as_str(), "pack" | "pack_offset")
                    {
                        continue;
                    }
                    // Finding and verdict ids follow the order work
                    // finished in (storage only: neither is a key).
                    if matches!(table, "findings" | "verdicts") && name == "id" {
                        continue;
                    }
                    let v: rusqlite::types::Value = r.get(i)?;
                    line.push_str(&format!(" {name}={v:?}"));
                }
                out.push(line);
            }
        }
        out.sort();
        Ok(out)
    }
}

impl Case {
    /// `(sha256, where stored)` rows of a query.
    pub(crate) fn blobs_where(&self, sql: &str) -> Result<Vec<(String, blobs::BlobRef)>> {
        let mut st = self.conn.prepare(sql)?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, blob_at(r, 1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}

/// The blob reference in columns `i..i + 3` (pack, offset, length).
pub(crate) fn blob_at(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<blobs::BlobRef> {
    Ok(blobs::BlobRef {
        pack: r.get(i)?,
        offset: r.get::<_, i64>(i + 1)? as u64,
        len: r.get::<_, i64>(i + 2)? as u64,
    })
}

/// A JSON list of strings as the catalog stores it (addresses, references);
/// empty when absent or unreadable.
pub(crate) fn json_list(s: Option<String>) -> Vec<String> {
    s.and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

/// Check a stored message still is what its hash says: every verdict rests
/// on these bytes.
fn check_hash(sha256: &str, bytes: &[u8]) -> Result<()> {
    use sha2::Digest;
    if hex::encode(sha2::Sha256::digest(bytes)) != sha256 {
        return Err(CaseError::Corrupt(format!(
            "stored message {sha256} does not match its hash"
        )));
    }
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct Status {
    pub roots: Vec<String>,
    pub source_files: i64,
    pub custody_records: i64,
    pub custody_by_kind: Vec<(String, i64)>,
    pub messages: i64,
    pub occurrences: i64,
    pub occurrences_by_format: Vec<(String, i64)>,
    pub duplicated_messages: i64,
    pub converted: i64,
    pub message_bytes: i64,
    pub stored_bytes: i64,
    pub errors: i64,
    pub warnings: i64,
    pub problems_by_kind: Vec<(String, i64)>,
    /// Distinct messages per verdict (per-copy verdicts are in export).
    pub verdicts: Vec<(String, i64)>,
    pub keys: i64,
    /// Distinct attachments stored.
    pub documents: i64,
    /// Forensic findings per severity, strongest first.
    pub findings: Vec<(String, i64)>,
}

#[derive(Debug, Serialize)]
pub struct ProblemRow {
    pub root: String,
    pub source: String,
    pub severity: String,
    pub kind: String,
    pub detail: String,
}

/// One occurrence as `tamis export` writes it.
#[derive(Debug, Serialize)]
pub struct ExportRow {
    pub source: String,
    /// `None` until the message is verified.
    pub verdict: Option<Verdict>,
    /// Written as words (the typed reasons are in `evidence`).
    #[serde(serialize_with = "as_words")]
    pub reasons: Vec<Reason>,
    pub evidence: Option<Assessment>,
    pub root: String,
    pub message_id: Option<String>,
    pub sha256: String,
    pub date: Option<String>,
    pub date_raw: Option<String>,
    pub from: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: Option<String>,
    pub converted: bool,
    pub format: String,
    pub size: u64,
    /// How many occurrences the same message has in the case.
    pub copies: u64,
    pub range: Option<(u64, u64)>,
    pub mtime: Option<String>,
    pub folder: Option<String>,
    pub flags: Option<String>,
    pub reader_note: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub attachments: Vec<Attachment>,
    pub parse_error: Option<String>,
    /// Forensic findings about the message and its attachments.
    pub findings: Vec<MessageFinding>,
}

/// Reasons as the sentences a reader is shown.
pub(crate) fn as_words<S: serde::Serializer>(reasons: &[Reason], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(reasons.iter().map(ToString::to_string))
}

/// How every message-level output names a message (search hits, `show`,
/// threads, findings; `export` writes the same four fields): its identity
/// (the SHA-256 of its bytes), its Message-ID as written, and where its
/// first copy was found — `source` within `root`, the path given to
/// ingest, in the provenance form (`dir/a.zip!x.eml`, `box.mbox#3`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct MessageRef {
    pub sha256: String,
    pub message_id: Option<String>,
    pub root: Option<String>,
    pub source: Option<String>,
}

impl MessageRef {
    /// The first 12 hex digits of the hash: enough to name it (`show`).
    pub fn short(&self) -> &str {
        self.sha256.get(..12).unwrap_or(&self.sha256)
    }

    /// `root/source`, as a path to show or to search by (`source:`).
    pub fn full_path(&self) -> Option<String> {
        Some(format!(
            "{}/{}",
            self.root.as_deref()?,
            self.source.as_deref()?
        ))
    }
}

/// A finding as listed with its message.
#[derive(Debug, Serialize)]
pub struct MessageFinding {
    pub kind: FindingKind,
    pub severity: Severity,
    pub attachment: Option<String>,
    pub explanation: String,
    pub data: serde_json::Value,
}

/// Work on the thread pool in chunks while the calling thread writes the
/// previous chunk's results: SQLite has one writer, and the work should
/// not wait for it.
fn pipeline<T: Sync, R: Send>(
    items: &[T],
    chunk: usize,
    work: impl Fn(&T) -> Result<R> + Sync,
    mut write: impl FnMut(Vec<R>) -> Result<()>,
) -> Result<()> {
    use rayon::prelude::*;
    let (tx, rx) = crossbeam_channel::bounded::<Result<Vec<R>>>(2);
    std::thread::scope(|scope| -> Result<()> {
        let work = &work;
        scope.spawn(move || {
            for part in items.chunks(chunk) {
                let out = part.par_iter().map(work).collect::<Result<Vec<_>>>();
                let failed = out.is_err();
                if tx.send(out).is_err() || failed {
                    return;
                }
            }
        });
        for part in rx {
            write(part?)?;
        }
        Ok(())
    })
}
