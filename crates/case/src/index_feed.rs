//! What the search index is built from, and what it holds.
//!
//! The index (tamis-search) is derived data: every fact in it comes from
//! the catalog or the stored bytes. The catalog remembers, per message, the
//! *state* the index was given (verdict, signers, findings, thread, copies),
//! so a refresh after `verify`, `examine` or a second ingest indexes again
//! exactly the messages whose facts changed — and a new message, which has
//! no state yet.
//!
//! Records are read in ranges of message hashes so memory stays flat
//! whatever the size of the dump.

use std::collections::HashMap;

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::{Case, Result, blobs, json_list};

/// Headers worth searching beyond the addresses and subject: what the
/// client, the list and the organisation call themselves.
const SEARCH_HEADERS: &[&str] = &[
    "X-Mailer",
    "User-Agent",
    "Organization",
    "List-Id",
    "Reply-To",
    "X-Originating-IP",
    "Sender",
];

/// What the index reads of a message's bytes: selected headers and the
/// body as a reader sees it (every text part, HTML converted). Ingest
/// stores it from its one parse; the index never parses MIME again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchText {
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Is the body HTML (shown sanitised) rather than plain text?
    #[serde(default)]
    pub html: bool,
}

impl SearchText {
    pub fn of(m: &mail_parser::Message<'_>) -> SearchText {
        SearchText {
            headers: SEARCH_HEADERS
                .iter()
                .filter_map(|h| Some((h.to_string(), m.header_raw(*h)?.trim().to_string())))
                .collect(),
            body: tamis_forensics::text::message_text(m),
            html: m.html_body.iter().any(|&i| {
                m.parts
                    .get(i as usize)
                    .is_some_and(|p| matches!(p.body, mail_parser::PartType::Html(_)))
            }),
        }
    }

    /// From the message's bytes (for messages stored without one).
    pub fn parse(raw: &[u8]) -> SearchText {
        mail_parser::MessageParser::default()
            .parse(raw)
            .map(|m| SearchText::of(&m))
            .unwrap_or_default()
    }
}

/// One message as the index sees it.
#[derive(Clone, Debug)]
pub struct IndexRecord {
    pub sha256: String,
    blob: blobs::BlobRef,
    text: Option<blobs::BlobRef>,
    pub message_id: Option<String>,
    pub date_ts: Option<i64>,
    pub from: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: Option<String>,
    pub verdict: Option<String>,
    /// `d=` of every DKIM signature (verified or not).
    pub signers: Vec<String>,
    /// Kinds of the findings on the message or its documents.
    pub findings: Vec<String>,
    /// Every copy: the root it was found under, and its path within it.
    pub sources: Vec<(String, String)>,
    pub thread: Option<String>,
    pub attachments: Vec<IndexAttachment>,
    /// What [`Case::mark_indexed`] records once the index holds it.
    pub state: String,
}

#[derive(Clone, Debug)]
pub struct IndexAttachment {
    pub name: Option<String>,
    pub content_type: String,
    /// Type by content (`pdf`, `docx`, ...), once examined.
    pub kind: Option<String>,
    /// Author-like names in the document's metadata.
    pub names: Vec<String>,
    pub title: Option<String>,
    pub text: Option<String>,
}

#[derive(Deserialize)]
struct SignerDomain {
    domain: String,
}

#[derive(Deserialize, Default)]
struct MetaNames {
    #[serde(default)]
    names: Vec<String>,
    title: Option<String>,
}

impl Case {
    /// Messages whose facts differ from what the index holds (all of them
    /// after [`Case::forget_indexed`]), in hash order, each with whether
    /// the index holds an older version of it.
    pub fn stale_for_index(&self) -> Result<Vec<(String, bool)>> {
        let mut st = self.conn.prepare(&format!(
            "WITH s AS ({STATE}) SELECT s.sha256, i.state IS NOT NULL FROM s
             LEFT JOIN indexed i ON i.message = s.sha256
             WHERE i.state IS NULL OR i.state != s.state ORDER BY s.sha256"
        ))?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Cap the catalog's page cache: a pass that reads the catalog once
    /// (the index refresh) gains nothing from the large cache ingest
    /// writes with, and would hold it all.
    pub fn limit_page_cache(&self, mib: u32) -> Result<()> {
        self.conn
            .pragma_update(None, "cache_size", -(i64::from(mib) << 10))?;
        Ok(())
    }

    /// The index was emptied: every message is stale.
    pub fn forget_indexed(&mut self) -> Result<()> {
        self.conn.execute("DELETE FROM indexed", [])?;
        Ok(())
    }

    /// The index now holds these records.
    pub fn mark_indexed(&mut self, records: &[(String, String)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut st =
                tx.prepare("INSERT OR REPLACE INTO indexed (message, state) VALUES (?1, ?2)")?;
            for (m, s) in records {
                st.execute(params![m, s])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The records of `messages` (hashes, sorted), with their documents' text.
    pub fn index_records(&self, messages: &[String]) -> Result<Vec<IndexRecord>> {
        let (Some(lo), Some(hi)) = (messages.first(), messages.last()) else {
            return Ok(Vec::new());
        };
        // One range query per table rather than one query per message.
        let mut out: Vec<IndexRecord> = Vec::with_capacity(messages.len());
        let mut st = self.conn.prepare_cached(&format!(
            "WITH s AS ({STATE} WHERE m.sha256 BETWEEN ?1 AND ?2)
             SELECT m.sha256, m.pack, m.pack_offset, m.stored_len, m.message_id, m.date_ts,
                    m.from_addr, m.to_addrs, m.cc_addrs, m.subject, v.verdict, v.signers, t.thread, s.state,
                    x.pack, x.pack_offset, x.stored_len
             FROM messages m JOIN s ON s.sha256 = m.sha256
             LEFT JOIN verdicts v INDEXED BY verdicts_facts ON v.message = m.sha256
             LEFT JOIN threads t ON t.message = m.sha256
             LEFT JOIN texts x ON x.message = m.sha256
             WHERE m.sha256 BETWEEN ?1 AND ?2 ORDER BY m.sha256"
        ))?;
        let wanted: std::collections::HashSet<&str> = messages.iter().map(String::as_str).collect();
        let rows = st.query_map([lo, hi], |r| {
            let signers: Option<String> = r.get(11)?;
            Ok(IndexRecord {
                sha256: r.get(0)?,
                blob: blobs::BlobRef {
                    pack: r.get(1)?,
                    offset: r.get::<_, i64>(2)? as u64,
                    len: r.get::<_, i64>(3)? as u64,
                },
                text: match (
                    r.get::<_, Option<i64>>(14)?,
                    r.get::<_, Option<i64>>(15)?,
                    r.get::<_, Option<i64>>(16)?,
                ) {
                    (Some(pack), Some(offset), Some(len)) => Some(blobs::BlobRef {
                        pack,
                        offset: offset as u64,
                        len: len as u64,
                    }),
                    _ => None,
                },
                message_id: r.get(4)?,
                date_ts: r.get(5)?,
                from: r.get(6)?,
                to: json_list(r.get(7)?),
                cc: json_list(r.get(8)?),
                subject: r.get(9)?,
                verdict: r.get(10)?,
                signers: signers
                    .and_then(|s| serde_json::from_str::<Vec<SignerDomain>>(&s).ok())
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| s.domain.to_ascii_lowercase())
                    .collect(),
                findings: Vec::new(),
                sources: Vec::new(),
                thread: r.get(12)?,
                attachments: Vec::new(),
                state: r.get(13)?,
            })
        })?;
        for r in rows {
            let r = r?;
            if wanted.contains(r.sha256.as_str()) {
                out.push(r);
            }
        }
        let at: HashMap<String, usize> = out
            .iter()
            .enumerate()
            .map(|(i, r)| (r.sha256.clone(), i))
            .collect();
        let mut each =
            |sql: &str,
             f: &mut dyn FnMut(&mut IndexRecord, &rusqlite::Row<'_>) -> rusqlite::Result<()>|
             -> Result<()> {
                let mut st = self.conn.prepare_cached(sql)?;
                let mut rows = st.query([lo, hi])?;
                while let Some(row) = rows.next()? {
                    let m: String = row.get(0)?;
                    if let Some(&i) = at.get(&m) {
                        f(&mut out[i], row)?;
                    }
                }
                Ok(())
            };
        each(
            "SELECT DISTINCT message, kind FROM findings WHERE message BETWEEN ?1 AND ?2 ORDER BY message, kind",
            &mut |rec, row| {
                rec.findings.push(row.get(1)?);
                Ok(())
            },
        )?;
        each(
            "SELECT o.message, r.path, o.path FROM occurrences o JOIN roots r ON r.id = o.root
             WHERE o.message BETWEEN ?1 AND ?2 ORDER BY o.message, o.root, o.path",
            &mut |rec, row| {
                rec.sources.push((row.get(1)?, row.get(2)?));
                Ok(())
            },
        )?;
        each(
            "SELECT a.message, a.name, a.content_type, d.kind, d.meta, d.text
             FROM attachments a LEFT JOIN documents d ON d.sha256 = a.document
             WHERE a.message BETWEEN ?1 AND ?2 ORDER BY a.message, a.idx",
            &mut |rec, row| {
                let meta: MetaNames = row
                    .get::<_, Option<String>>(4)?
                    .and_then(|m| serde_json::from_str(&m).ok())
                    .unwrap_or_default();
                rec.attachments.push(IndexAttachment {
                    name: row.get(1)?,
                    content_type: row.get(2)?,
                    kind: row.get(3)?,
                    names: meta.names,
                    title: meta.title,
                    text: row.get(5)?,
                });
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// The search text of one message (for snippets): as stored by ingest,
    /// or parsed from its checked bytes.
    pub fn search_text(&self, message: &str) -> Result<Option<SearchText>> {
        use rusqlite::OptionalExtension;
        let stored: Option<(i64, i64, i64)> = self
            .conn
            .prepare_cached("SELECT pack, pack_offset, stored_len FROM texts WHERE message = ?1")?
            .query_row([message], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        if let Some((pack, offset, len)) = stored {
            let blob = blobs::BlobRef {
                pack,
                offset: offset as u64,
                len: len as u64,
            };
            if let Ok(t) = serde_json::from_slice(&blobs::read(&self.blob_dir(), blob)?) {
                return Ok(Some(t));
            }
        }
        Ok(self.message_bytes(message)?.map(|b| SearchText::parse(&b)))
    }

    /// Reads records' bytes from any thread.
    pub fn record_reader(&self) -> RecordReader {
        RecordReader {
            dir: self.blob_dir(),
        }
    }
}

/// Reads the stored bytes of records, on any thread.
pub struct RecordReader {
    dir: std::path::PathBuf,
}

impl RecordReader {
    /// The search text of `r`: stored by ingest, or parsed from its bytes
    /// (not re-hashed: the index is for finding; whatever shows evidence
    /// reads it through [`Case::message_bytes`], which checks).
    pub fn text(&self, r: &IndexRecord) -> Result<SearchText> {
        if let Some(t) = r.text
            && let Ok(text) = serde_json::from_slice(&blobs::read(&self.dir, t)?)
        {
            return Ok(text);
        }
        Ok(SearchText::parse(&blobs::read(&self.dir, r.blob)?))
    }
}

/// The facts of each message the index holds, as one string per message:
/// verdict, signers, finding kinds, thread and copies. (Documents' text is
/// fixed once examined; examination changes findings, which are here.)
const STATE: &str = "SELECT m.sha256 AS sha256,
        COALESCE(v.verdict, '') || '|' || COALESCE(v.signers, '') || '|' ||
        COALESCE((SELECT group_concat(kind) FROM (SELECT DISTINCT kind FROM findings f WHERE f.message = m.sha256 ORDER BY kind)), '') || '|' ||
        COALESCE(t.thread, '') || '|' ||
        (SELECT count(*) FROM occurrences o WHERE o.message = m.sha256) || '|' ||
        (SELECT count(*) FROM attachments a JOIN documents d ON d.sha256 = a.document WHERE a.message = m.sha256 AND d.examined = 1)
        AS state
    FROM messages m LEFT JOIN verdicts v INDEXED BY verdicts_facts ON v.message = m.sha256
    LEFT JOIN threads t ON t.message = m.sha256";
