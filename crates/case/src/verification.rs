//! Verification of a case's messages against its key archive.
//!
//! Verdicts are per message (a pure function of its bytes and the keys);
//! what a copy's container did to it (mbox un-quoting, Outlook conversion)
//! is applied per occurrence when the case is read
//! ([`tamis_verify::verdict::occurrence_verdict`]).

use std::collections::{BTreeMap, HashMap};

use rusqlite::params;
use serde::Serialize;
use sha2::Digest as _;
use tamis_keys::KeyRecord;
use tamis_verify::{AssessOptions, Assessment, KeyStatus, assess};

use crate::blobs::{self, BlobRef};
use crate::{Case, CaseError, Result, check_hash};

#[derive(Debug, Default, Serialize)]
pub struct VerifyReport {
    pub verified: u64,
    /// Verdicts new or different from the ones the case held.
    pub changed: u64,
    pub counts: Vec<(String, u64)>,
}

/// A signature as listed per message: who signed, with which selector,
/// and what the archive gave for the key.
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct Signer {
    pub domain: String,
    pub selector: String,
    pub result: String,
    pub key: String,
}

/// A verdict as stored, serialised on the worker that judged it so the one
/// writer thread only writes.
struct VerdictRow {
    message: String,
    /// The first 128 bits of the assessment's [`digest`].
    digest: String,
    verdict: &'static str,
    reasons: String,
    evidence: String,
    signers: String,
}

/// Collects what `Hash` writes, to be hashed with SHA-256 at once (it
/// writes field by field: a few bytes at a time).
struct Collect<'a>(&'a mut Vec<u8>);

impl std::hash::Hasher for Collect<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
    fn finish(&self) -> u64 {
        u64::from_le_bytes(sha256_prefix(self.0))
    }
}

thread_local! {
    /// What the last assessment judged on this thread wrote for its digest.
    static WRITTEN: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The first `N` bytes of the SHA-256 of `bytes`.
fn sha256_prefix<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut prefix = [0; N];
    prefix.copy_from_slice(&sha2::Sha256::digest(bytes)[..N]);
    prefix
}

/// What a verdict's evidence says, in 128 bits: the SHA-256 of the
/// assessment (its evidence is drawn from it) as its `Hash` writes it,
/// which leaves out the bytes kept only for checking (`Unreported`) and
/// writes a key record as its own SHA-256 (`KeyText`). Strings end in a
/// byte UTF-8 never uses, sequences start with their length and variants
/// with their index: different assessments write different bytes. Most messages judged again are unchanged, and this
/// tells so without writing their JSON; how `Hash` writes may change with
/// the compiler, which only makes a verdict written again.
fn digest(a: &Assessment) -> Digest {
    use std::hash::Hash;
    WRITTEN.with_borrow_mut(|written| {
        written.clear();
        a.hash(&mut Collect(written));
        let digest: Digest = sha256_prefix(written);
        // A hostile message's assessment may be huge: not kept allocated.
        if written.capacity() > 16 << 20 {
            *written = Vec::new();
        }
        digest
    })
}

impl VerdictRow {
    /// The row for `a`, or `None` when `held` (the digest of what the case
    /// holds) shows it is unchanged.
    fn if_changed(sha256: &Sha, a: &Assessment, held: Option<&Digest>) -> Option<VerdictRow> {
        let digest = digest(a);
        (held != Some(&digest))
            .then(|| VerdictRow::new(&hex::encode(sha256), a, hex::encode(digest)))
    }

    fn new(sha256: &str, a: &Assessment, digest: String) -> VerdictRow {
        let signers: Vec<Signer> = a
            .signatures
            .iter()
            .filter_map(|r| {
                let s = r.signature.as_ref()?;
                Some(Signer {
                    domain: s.domain.clone(),
                    selector: s.selector.clone(),
                    result: r.result.name().to_string(),
                    key: r.key.as_ref().map_or("none", KeyStatus::name).to_string(),
                })
            })
            .collect();
        VerdictRow {
            message: sha256.to_string(),
            digest,
            verdict: a.verdict.name(),
            reasons: serde_json::to_string(&a.reasons).unwrap_or_default(),
            evidence: serde_json::to_string(a).unwrap_or_default(),
            signers: serde_json::to_string(&signers).unwrap_or_default(),
        }
    }
}

impl Case {
    /// Add key records; returns how many were new.
    pub fn import_keys(&mut self, records: &[KeyRecord]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let mut added = 0;
        {
            let mut st = tx.prepare(
                "INSERT OR IGNORE INTO keys (domain, selector, record, first_seen, last_seen, revealed_at, source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for r in records {
                added += st.execute(params![
                    r.domain,
                    r.selector,
                    r.record,
                    r.first_seen,
                    r.last_seen,
                    r.revealed_at,
                    r.source
                ])?;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    pub fn keys(&self) -> Result<Vec<KeyRecord>> {
        let mut st = self.conn.prepare(
            "SELECT domain, selector, record, first_seen, last_seen, revealed_at, source FROM keys ORDER BY domain, selector, first_seen",
        )?;
        let rows = st
            .query_map([], |r| {
                Ok(KeyRecord {
                    domain: r.get(0)?,
                    selector: r.get(1)?,
                    record: r.get(2)?,
                    first_seen: r.get(3)?,
                    last_seen: r.get(4)?,
                    revealed_at: r.get(5)?,
                    source: r.get(6)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// When the dump was first seen in public (Unix seconds), if the user
    /// said: signatures by keys revealed after that still prove.
    pub fn dump_seen(&self) -> Result<Option<i64>> {
        let v: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'dump_seen'", [], |r| {
                r.get(0)
            })
            .ok();
        Ok(v.and_then(|s| s.parse().ok()))
    }

    pub fn set_dump_seen(&mut self, t: i64) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('dump_seen', ?1)",
            [t.to_string()],
        )?;
        Ok(())
    }

    /// Verify messages: all of them, or only those without a verdict yet.
    pub fn verify(
        &mut self,
        all: bool,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<VerifyReport> {
        let archive = tamis_keys::Archive::new(self.keys()?);
        let opts = AssessOptions {
            dump_seen: self.dump_seen()?,
        };
        // Each message with the digest of the verdict it has, if any: two
        // scans and a map (a join would look every message up in the
        // verdicts, five times slower than the work it saves here), the
        // scans side by side, the verdicts' on a connection of its own.
        // Hashes are kept as bytes (decoded with SIMD): tens of thousands
        // of small strings made this serial start a tenth of the whole.
        let (held, located) = std::thread::scope(|s| {
            let catalog = self.catalog_path();
            let verdicts = s.spawn(move || held_verdicts(&catalog));
            // This scan first: a tuple's parts are evaluated in order, and
            // the join would wait for the other before this one began.
            let located = self.located_messages();
            (verdicts.join(), located)
        });
        let Held {
            digests,
            counts: held_counts,
        } = held.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        let mut todo = located?;
        if !all {
            todo.retain(|(sha, _)| !digests.contains_key(sha));
        }
        let blob_dir = self.blob_dir();
        let total = todo.len() as u64;
        let mut report = VerifyReport::default();
        crate::pipeline(
            &todo,
            1024,
            |(sha, blob)| {
                blobs::read_with(&blob_dir, *blob, |bytes| {
                    let a = assess(bytes, &archive, opts);
                    // Judged again the same: nothing to write.
                    let had = digests.get(sha).copied().flatten();
                    let row = VerdictRow::if_changed(sha, &a, had.as_ref());
                    // Every verdict written rests on bytes whose hash was
                    // checked: a damaged pack could make a genuine message
                    // fail, a catalog pointing at the wrong bytes could
                    // lend it another message's proof. A verdict judged
                    // again the same was checked when it was written.
                    if let Some(row) = &row {
                        check_hash(&row.message, bytes)?;
                    }
                    Ok(row)
                })?
            },
            |judged| {
                report.verified += judged.len() as u64;
                let mut verdicts: Vec<VerdictRow> = judged.into_iter().flatten().collect();
                // Messages are judged in pack order (sequential reads) but
                // keyed by hash: sorted, the inserts walk the b-tree once.
                verdicts.sort_unstable_by(|a, b| a.message.cmp(&b.message));
                if !verdicts.is_empty() {
                    report.changed += self.write_verdicts(&verdicts)?;
                }
                progress(report.verified, total);
                Ok(())
            },
        )?;
        // Findings stand beside the new signature verdicts as before.
        // (With no verdict changed, they already do: examine applied them
        // to these very rows.)
        if report.changed == 0 {
            report.counts = held_counts.into_iter().collect();
            return Ok(report);
        }
        self.apply_findings()?;
        let mut st = self
            .conn
            .prepare("SELECT verdict, COUNT(*) FROM verdicts GROUP BY verdict ORDER BY verdict")?;
        report.counts = st
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<Result<_, _>>()?;
        Ok(report)
    }

    /// Writes verdicts; returns how many were new or changed.
    fn write_verdicts(&mut self, rows: &[VerdictRow]) -> Result<u64> {
        let tx = self.conn.transaction()?;
        let mut changed = 0;
        {
            let mut st = tx.prepare_cached(
                // Rows come here only when new or changed: re-verifying
                // after a key import rewrites only the messages it settles.
                // (What findings made of `verdict` is redone by
                // apply_findings.)
                "INSERT INTO verdicts (message, verdict, signature_verdict, reasons, evidence, signers, digest)
                 VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (message) DO UPDATE SET verdict = excluded.verdict, signature_verdict = excluded.signature_verdict,
                     reasons = excluded.reasons, evidence = excluded.evidence, signers = excluded.signers,
                     digest = excluded.digest",
            )?;
            for r in rows {
                changed += st.execute(params![
                    r.message, r.verdict, r.reasons, r.evidence, r.signers, r.digest
                ])? as u64;
            }
        }
        tx.commit()?;
        Ok(changed)
    }

    /// The (domain, selector) pairs signatures use with no key in the
    /// archive, with how many messages each would settle.
    pub fn missing_keys(&self) -> Result<Vec<(String, String, u64)>> {
        let mut st = self
            .conn
            .prepare("SELECT signers FROM verdicts WHERE signers LIKE '%\"missing\"%'")?;
        let mut counts: HashMap<(String, String), u64> = HashMap::new();
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        for row in rows {
            let signers: Vec<Signer> = serde_json::from_str(&row?).unwrap_or_default();
            for s in signers.into_iter().filter(|s| s.key == "missing") {
                *counts.entry((s.domain, s.selector)).or_default() += 1;
            }
        }
        let mut out: Vec<(String, String, u64)> =
            counts.into_iter().map(|((d, s), n)| (d, s, n)).collect();
        out.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
        Ok(out)
    }
}

/// A message's SHA-256 (the catalog writes it in hex).
type Sha = [u8; 32];
/// What [`digest`] says of an assessment: 128 bits.
type Digest = [u8; 16];

/// The bytes a hex column holds, if it holds `N` of them.
fn hex_column<const N: usize>(
    r: &rusqlite::Row<'_>,
    i: usize,
) -> rusqlite::Result<Option<[u8; N]>> {
    let mut out = [0; N];
    Ok(match r.get_ref(i)?.as_str_or_null()? {
        Some(text) if hex::decode_to_slice(text, &mut out).is_ok() => Some(out),
        _ => None,
    })
}

/// The verdicts a case holds: the digest of each, by message, and how
/// many of each name.
struct Held {
    /// Keyed by hashes, so a fast hash (seeded per map) is enough.
    digests: HashMap<Sha, Option<Digest>, foldhash::fast::RandomState>,
    counts: BTreeMap<String, u64>,
}

/// Read on a connection of its own (what is committed), so that it can
/// run beside a scan on the case's.
fn held_verdicts(catalog: &std::path::Path) -> Result<Held> {
    let conn = rusqlite::Connection::open_with_flags(
        catalog,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let mut st =
        conn.prepare("SELECT message, digest, verdict FROM verdicts INDEXED BY verdicts_facts")?;
    let mut rows = st.query([])?;
    let mut held = Held {
        digests: HashMap::default(),
        counts: BTreeMap::new(),
    };
    while let Some(r) = rows.next()? {
        let verdict = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
        match held.counts.get_mut(verdict) {
            Some(n) => *n += 1,
            None => drop(held.counts.insert(verdict.to_string(), 1)),
        }
        // A verdict of a message not named by its hash holds nothing to
        // compare with.
        if let Some(sha) = hex_column(r, 0)? {
            held.digests.insert(sha, hex_column(r, 1)?);
        }
    }
    Ok(held)
}

impl Case {
    /// Every message's hash and where it is stored, in pack order.
    fn located_messages(&self) -> Result<Vec<(Sha, BlobRef)>> {
        let mut st = self.conn.prepare(
            "SELECT sha256, pack, pack_offset, stored_len FROM messages ORDER BY pack, pack_offset",
        )?;
        let mut rows = st.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let sha = hex_column(r, 0)?.ok_or_else(|| {
                CaseError::Corrupt("a message in the catalog is not named by its hash".into())
            })?;
            out.push((sha, crate::blob_at(r, 1)?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digest that tells verification a written verdict still holds
    /// follows what the evidence shows: the same judgement twice gives the
    /// same digest, and the same key published in another form gives
    /// another (the record's text is evidence, hashed as a fingerprint).
    #[test]
    fn a_verdicts_digest_follows_its_evidence() {
        let records = crate::testing::test_keys();
        let respaced: Vec<KeyRecord> = records
            .iter()
            .map(|r| KeyRecord {
                record: r.record.replace("; ", ";  "),
                ..r.clone()
            })
            .collect();
        let raw = tamis_gen::sign_as_org(
            b"From: Ana <ana@horizon.example>\r\nTo: bo@horizon.example\r\n\
              Subject: budget\r\nDate: Tue, 16 Aug 2016 10:00:00 +0200\r\n\r\nSee you.\r\n",
        )
        .unwrap();
        let judged = |records: &[KeyRecord]| {
            let a = assess(
                &raw,
                &tamis_keys::Archive::new(records.to_vec()),
                AssessOptions::default(),
            );
            (a.verdict, digest(&a), serde_json::to_string(&a).unwrap())
        };
        let (verdict, once, evidence) = judged(&records);
        assert_eq!(verdict, tamis_verify::Verdict::Authentic);
        assert_eq!(judged(&records).1, once, "judged again the same");
        let (verdict, other, other_evidence) = judged(&respaced);
        assert_eq!(verdict, tamis_verify::Verdict::Authentic);
        assert_ne!(evidence, other_evidence);
        assert_ne!(
            other, once,
            "the evidence changed: the verdict is written again"
        );
        // The stored evidence reads back as the same assessment: what the
        // workbench and `show` render is what verification found.
        let read: Assessment = serde_json::from_str(&evidence).unwrap();
        assert_eq!(serde_json::to_string(&read).unwrap(), evidence);
        assert_eq!(digest(&read), once);
    }
}
