//! Ingest: read units in parallel, hash-parse-compress in parallel, write
//! from one thread.
//!
//! ```text
//! plan ─► reader threads ─(events)─► worker threads ─(rows)─► writer (this thread)
//!          tamis-read                 headers, LZ4              SQLite + packs
//! ```
//!
//! Only the writer touches the catalog, in batched transactions. A unit is
//! marked done in the transaction that commits the last row read from it,
//! and the blob packs are synced before each commit: after a kill at any
//! moment, re-running skips the done units and re-reads the others, whose
//! rows are keyed so that writing them twice changes nothing.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, bounded};
use rusqlite::params;
use tamis_read::{Event, Limits, Occurrence, Problem, ProblemKind, Reader, Unit, plan};

use crate::blobs::{self, Packs};
use crate::headers::{self, Headers};
use crate::{Case, Result};

#[derive(Clone, Debug, Default)]
pub struct IngestOptions {
    /// Reader threads and worker threads (each); 0 means one per core.
    pub jobs: usize,
    pub limits: Limits,
}

/// What an ingest did, for the user and the exit code.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct IngestReport {
    pub units: usize,
    pub units_skipped: usize,
    pub occurrences: u64,
    pub new_messages: u64,
    pub bytes_read: u64,
    pub errors: u64,
    pub warnings: u64,
}

/// Progress as the writer sees it; called often, keep it cheap.
#[derive(Debug, Default, Clone, Copy)]
pub struct Progress {
    pub units_done: usize,
    pub units_total: usize,
    /// Bytes of the units done, plus message bytes of units in flight.
    pub bytes: u64,
    pub bytes_total: u64,
    pub messages: u64,
}

/// Events travel in batches: one channel operation per message costs more
/// than reading a small message.
struct Batch<T> {
    unit: usize,
    items: Vec<T>,
    /// Set on a unit's last batch: how many messages its reader sent.
    done: Option<u64>,
}

const BATCH_ITEMS: usize = 64;
const BATCH_BYTES: usize = 4 << 20;

enum Row {
    Message(Box<Prepared>),
    Other(Event),
}

struct Prepared {
    occ: Occurrence,
    headers: Result<Headers, String>,
    /// The bytes as a pack frame (compressed).
    frame: Vec<u8>,
    /// Its attachments, ready to store.
    documents: Vec<Document>,
    /// Its forensic profile (JSON).
    profile: Option<String>,
    /// Its search text, as a pack frame.
    text: Option<Vec<u8>>,
}

/// An attachment as stored: content-addressed like a message.
struct Document {
    sha256: [u8; 32],
    kind: &'static str,
    size: u64,
    frame: Vec<u8>,
}

impl Case {
    /// Read `roots` into the case. Units already done (same size and
    /// modification time) are skipped, so running it again adds nothing and
    /// running it after an interruption finishes the job.
    pub fn ingest(
        &mut self,
        roots: &[PathBuf],
        opts: &IngestOptions,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<IngestReport> {
        let jobs = if opts.jobs == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            opts.jobs
        };
        let mut root_ids = Vec::with_capacity(roots.len());
        for root in roots {
            let shown = root.to_string_lossy().into_owned();
            self.conn
                .execute("INSERT OR IGNORE INTO roots (path) VALUES (?1)", [&shown])?;
            root_ids.push(self.conn.query_row(
                "SELECT id FROM roots WHERE path = ?1",
                [&shown],
                |r| r.get::<_, i64>(0),
            )?);
        }
        let run: i64 = {
            self.conn.execute(
                "INSERT INTO runs (started, command, version) VALUES (?1, ?2, ?3)",
                params![
                    now(),
                    format!(
                        "ingest {}",
                        roots
                            .iter()
                            .map(|r| r.to_string_lossy())
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                    env!("CARGO_PKG_VERSION")
                ],
            )?;
            self.conn.last_insert_rowid()
        };

        let (units, plan_problems) = plan(roots);
        let done: HashSet<(i64, String, i64, i64)> = {
            let mut st = self
                .conn
                .prepare("SELECT root, path, size, mtime FROM units")?;
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<Result<_, _>>()?
        };
        let todo: Vec<Unit> = units
            .iter()
            .filter(|u| {
                !done.contains(&(
                    root_ids[u.root],
                    u.provenance.to_string(),
                    u.size as i64,
                    u.mtime,
                ))
            })
            .cloned()
            .collect();
        let mut report = IngestReport {
            units: units.len(),
            units_skipped: units.len() - todo.len(),
            ..Default::default()
        };
        let mut prog = Progress {
            units_total: todo.len(),
            bytes_total: todo.iter().map(|u| u.size).sum(),
            ..Default::default()
        };

        let mut writer = Writer::new(self, &root_ids)?;
        for (root, p) in &plan_problems {
            writer.problem(root_ids[*root], p, &mut report)?;
        }
        writer.commit()?;
        progress(prog);

        let (raw_tx, raw_rx) = bounded::<Batch<Event>>(16);
        let (row_tx, row_rx) = bounded::<Batch<Row>>(16);
        let next = AtomicUsize::new(0);
        let reader = Reader::new(opts.limits.clone());
        std::thread::scope(|s| -> Result<()> {
            for _ in 0..jobs {
                let raw_tx = raw_tx.clone();
                let (todo, next, reader) = (&todo, &next, &reader);
                std::thread::Builder::new()
                    .name("tamis-read".into())
                    .spawn_scoped(s, move || read_units(todo, next, reader, raw_tx))?;
            }
            drop(raw_tx);
            for _ in 0..jobs {
                let (raw_rx, row_tx) = (raw_rx.clone(), row_tx.clone());
                std::thread::Builder::new()
                    .name("tamis-prepare".into())
                    .spawn_scoped(s, move || prepare(raw_rx, row_tx))?;
            }
            drop(row_tx);
            drop(raw_rx);
            let result = writer.run(&todo, &row_rx, &mut report, &mut prog, progress);
            // On a write error, stop the pipeline: drain so senders finish.
            if result.is_err() {
                next.store(usize::MAX / 2, Ordering::SeqCst);
                for _ in row_rx.iter() {}
            }
            result
        })?;
        writer.commit()?;
        drop(writer);
        self.conn.execute(
            "UPDATE runs SET finished = ?2 WHERE id = ?1",
            params![run, now()],
        )?;
        Ok(report)
    }
}

fn read_units(todo: &[Unit], next: &AtomicUsize, reader: &Reader, tx: Sender<Batch<Event>>) {
    loop {
        let i = next.fetch_add(1, Ordering::SeqCst);
        let Some(unit) = todo.get(i) else { return };
        let mut messages = 0u64;
        let mut items = Vec::with_capacity(BATCH_ITEMS);
        let mut bytes = 0usize;
        let mut send_failed = false;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            reader.read_unit(unit, &mut |e| {
                if let Event::Message(m) = &e {
                    messages += 1;
                    bytes += m.bytes.len();
                }
                items.push(e);
                if items.len() >= BATCH_ITEMS || bytes >= BATCH_BYTES {
                    let full = std::mem::replace(&mut items, Vec::with_capacity(BATCH_ITEMS));
                    bytes = 0;
                    send_failed |= tx
                        .send(Batch {
                            unit: i,
                            items: full,
                            done: None,
                        })
                        .is_err();
                }
            })
        }));
        if outcome.is_err() {
            items.push(Event::Problem(Problem::new(
                &unit.provenance,
                ProblemKind::ParserPanic,
                "reading this file failed unexpectedly; what was read before is kept",
            )));
        }
        let last = Batch {
            unit: i,
            items,
            done: Some(messages),
        };
        if send_failed || tx.send(last).is_err() {
            return;
        }
    }
}

fn document(bytes: &[u8]) -> Document {
    Document {
        sha256: <sha2::Sha256 as sha2::Digest>::digest(bytes).into(),
        // Telling OOXML from ODF opens the zip directory in this process:
        // a panic there costs the type, not the run.
        kind: std::panic::catch_unwind(|| tamis_forensics::document::identify(bytes))
            .map_or("other", |k| k.name()),
        size: bytes.len() as u64,
        frame: blobs::frame(bytes),
    }
}

fn prepare(rx: Receiver<Batch<Event>>, tx: Sender<Batch<Row>>) {
    for batch in rx {
        let items = batch
            .items
            .into_iter()
            .map(|e| match e {
                Event::Message(occ) => {
                    let (headers, documents, profile, text) = match headers::parse(&occ.bytes) {
                        Ok(p) => (
                            Ok(p.headers),
                            p.parts.iter().map(|b| document(b)).collect(),
                            serde_json::to_string(&p.profile).ok(),
                            serde_json::to_vec(&p.text).ok().map(|t| blobs::frame(&t)),
                        ),
                        Err(e) => (Err(e), Vec::new(), None, None),
                    };
                    let frame = blobs::frame(&occ.bytes);
                    Row::Message(Box::new(Prepared {
                        occ,
                        headers,
                        frame,
                        documents,
                        profile,
                        text,
                    }))
                }
                e => Row::Other(e),
            })
            .collect();
        let out = Batch {
            unit: batch.unit,
            items,
            done: batch.done,
        };
        if tx.send(out).is_err() {
            return;
        }
    }
}

struct Writer<'c> {
    case: &'c mut Case,
    packs: Packs,
    /// Hashes of the messages already stored (32 bytes each: a million
    /// messages cost ~50 MB here, the price of not asking SQLite per copy).
    known: HashSet<[u8; 32]>,
    /// The same for attachments (stored once, whatever carries them).
    known_documents: HashSet<[u8; 32]>,
    roots: Vec<i64>,
    in_tx: usize,
    last_commit: Instant,
}

impl<'c> Writer<'c> {
    fn new(case: &'c mut Case, roots: &[i64]) -> Result<Self> {
        let packs = Packs::open(&case.blob_dir(), &case.conn)?;
        let hashes = |table: &str| -> Result<HashSet<[u8; 32]>> {
            let mut st = case.conn.prepare(&format!("SELECT sha256 FROM {table}"))?;
            let hexes: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            Ok(hexes
                .iter()
                .filter_map(|h| hex::decode(h).ok()?.try_into().ok())
                .collect())
        };
        let known = hashes("messages")?;
        let known_documents = hashes("documents")?;
        case.conn.execute_batch("BEGIN")?;
        Ok(Writer {
            case,
            packs,
            known,
            known_documents,
            roots: roots.to_vec(),
            in_tx: 0,
            last_commit: Instant::now(),
        })
    }

    fn tx(&self) -> &rusqlite::Connection {
        &self.case.conn
    }

    fn commit(&mut self) -> Result<()> {
        self.packs.sync(&self.case.conn)?;
        self.case.conn.execute_batch("COMMIT; BEGIN")?;
        self.in_tx = 0;
        self.last_commit = Instant::now();
        Ok(())
    }

    fn maybe_commit(&mut self) -> Result<()> {
        if self.in_tx >= 20_000 || self.last_commit.elapsed() > Duration::from_millis(500) {
            self.commit()?;
        }
        Ok(())
    }

    fn run(
        &mut self,
        todo: &[Unit],
        rx: &Receiver<Batch<Row>>,
        report: &mut IngestReport,
        prog: &mut Progress,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<()> {
        // unit -> (messages written, messages announced by its reader)
        let mut pending: HashMap<usize, (u64, Option<u64>)> = HashMap::new();
        let mut last_report = Instant::now();
        for batch in rx {
            let unit = batch.unit;
            let root = self.roots[todo[unit].root];
            for row in batch.items {
                match row {
                    Row::Message(p) => {
                        report.bytes_read += p.occ.bytes.len() as u64;
                        prog.bytes += p.occ.bytes.len() as u64;
                        prog.messages += 1;
                        self.message(root, *p, report)?;
                        pending.entry(unit).or_default().0 += 1;
                    }
                    Row::Other(Event::Custody(c)) => {
                        self.tx()
                            .prepare_cached(
                                "INSERT OR REPLACE INTO custody (root, path, layer, kind, size, mtime, sha256)
                                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                            )?
                            .execute(params![
                                root,
                                c.provenance.as_str(),
                                c.layer,
                                c.kind,
                                c.size as i64,
                                c.mtime,
                                hex::encode(c.sha256)
                            ])?;
                    }
                    Row::Other(Event::Problem(p)) => self.problem(root, &p, report)?,
                    Row::Other(Event::Message(_)) => {}
                }
                self.in_tx += 1;
            }
            if let Some(n) = batch.done {
                pending.entry(unit).or_default().1 = Some(n);
            }
            if let Some(&(got, Some(want))) = pending.get(&unit)
                && got == want
            {
                pending.remove(&unit);
                let un = &todo[unit];
                self.tx()
                    .prepare_cached("INSERT OR REPLACE INTO units (root, path, size, mtime) VALUES (?1, ?2, ?3, ?4)")?
                    .execute(params![root, un.provenance.as_str(), un.size as i64, un.mtime])?;
                prog.units_done += 1;
            }
            self.maybe_commit()?;
            if last_report.elapsed() > Duration::from_millis(100) {
                progress(*prog);
                last_report = Instant::now();
            }
        }
        self.commit()?;
        progress(*prog);
        Ok(())
    }

    fn message(&mut self, root: i64, p: Prepared, report: &mut IngestReport) -> Result<()> {
        let occ = p.occ;
        let sha = hex::encode(occ.sha256);
        report.occurrences += 1;
        if !self.known.contains(&occ.sha256) {
            let blob = self.packs.append(&self.case.conn, &p.frame)?;
            let (h, parse_error) = match p.headers {
                Ok(h) => (h, None),
                Err(e) => (Headers::default(), Some(e)),
            };
            let json = |v: &Vec<String>| {
                (!v.is_empty()).then(|| serde_json::to_string(v).unwrap_or_default())
            };
            self.case.conn.prepare_cached("INSERT OR IGNORE INTO messages (sha256, size, pack, pack_offset, stored_len, message_id,
                    date_raw, date, date_ts, from_addr, to_addrs, cc_addrs, subject, in_reply_to, refs, parse_error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)")?
                .execute(
                params![
                    sha,
                    occ.bytes.len() as i64,
                    blob.pack,
                    blob.offset as i64,
                    blob.len as i64,
                    h.message_id,
                    h.date_raw,
                    h.date,
                    h.date_ts,
                    h.from,
                    json(&h.to),
                    json(&h.cc),
                    h.subject,
                    json(&h.in_reply_to),
                    json(&h.references),
                    parse_error,
                ],
            )?;
            for (i, a) in h.attachments.iter().enumerate() {
                let doc = p.documents.get(i);
                if let Some(d) = doc
                    && self.known_documents.insert(d.sha256)
                {
                    let blob = self.packs.append(&self.case.conn, &d.frame)?;
                    self.case.conn.prepare_cached("INSERT OR IGNORE INTO documents (sha256, size, kind, pack, pack_offset, stored_len) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
                        .execute(params![hex::encode(d.sha256), d.size as i64, d.kind, blob.pack, blob.offset as i64, blob.len as i64])?;
                }
                self.case.conn.prepare_cached("INSERT OR IGNORE INTO attachments (message, idx, name, content_type, size, document) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
                .execute(
                    params![sha, i as i64, a.name, a.content_type, a.size as i64, doc.map(|d| hex::encode(d.sha256))],
                )?;
            }
            if let Some(profile) = &p.profile {
                self.case
                    .conn
                    .prepare_cached(
                        "INSERT OR IGNORE INTO profiles (message, profile) VALUES (?1, ?2)",
                    )?
                    .execute(params![sha, profile])?;
            }
            if let Some(text) = &p.text {
                let blob = self.packs.append(&self.case.conn, text)?;
                self.case
                    .conn
                    .prepare_cached(
                        "INSERT OR IGNORE INTO texts (message, pack, pack_offset, stored_len) VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![sha, blob.pack, blob.offset as i64, blob.len as i64])?;
            }
            self.known.insert(occ.sha256);
            report.new_messages += 1;
        }
        self.case.conn.prepare_cached("INSERT OR REPLACE INTO occurrences (root, path, message, format, converted, range_offset, range_len,
                mtime, folder, flags, reader_note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")?
                .execute(
            params![
                root,
                occ.provenance.as_str(),
                sha,
                occ.format.name(),
                occ.format.is_converted(),
                occ.range.map(|r| r.0 as i64),
                occ.range.map(|r| r.1 as i64),
                occ.mtime,
                occ.folder,
                occ.flags,
                occ.reader_note,
            ],
        )?;
        Ok(())
    }

    fn problem(&mut self, root: i64, p: &Problem, report: &mut IngestReport) -> Result<()> {
        match p.severity() {
            tamis_read::Severity::Error => report.errors += 1,
            tamis_read::Severity::Warning => report.warnings += 1,
        }
        self.case.conn.prepare_cached("INSERT OR REPLACE INTO problems (root, path, kind, severity, detail) VALUES (?1, ?2, ?3, ?4, ?5)")?
                .execute(
            params![root, p.provenance.as_str(), p.kind.to_string(), p.severity().name(), p.detail],
        )?;
        Ok(())
    }
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        // Anything not committed by `commit` is an error path: let SQLite
        // roll it back; the packs' tails are cut off on the next open.
        let _ = self.case.conn.execute_batch("ROLLBACK");
    }
}

fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    tamis_time::rfc3339(secs)
}
