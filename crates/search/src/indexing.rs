//! Building the index from the case.
//!
//! A refresh threads the whole dump (threading is global: one new message
//! can join two threads), then indexes every message whose catalog facts
//! changed since the index last saw it: new messages after an ingest, new
//! verdicts after `verify`, new findings after `examine`. Messages go
//! through in chunks of hashes, parsed in parallel, so memory stays flat
//! in the size of the dump. The catalog records what the index holds only
//! after each commit, so an interrupted refresh redoes exactly what was not
//! committed.

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use tamis_case::{Case, IndexRecord, SearchText, address_of};
use tantivy::schema::Term;
use tantivy::{IndexWriter, TantivyDocument};

use crate::{Result, SearchIndex, threads};

/// Messages read, parsed and handed to the writer at a time.
const CHUNK: usize = 2048;
/// The writer's memory budget, shared by its threads: flushed to a new
/// segment when full, whatever the dump's size.
const WRITER_HEAP: usize = 96 << 20;
/// Chunks between commits (each commit is durable and recorded in the
/// catalog, so an interrupted refresh keeps what it committed).
const COMMIT_CHUNKS: usize = 16;

#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct RefreshReport {
    pub threads: u64,
    pub indexed: u64,
    pub total: u64,
}

impl SearchIndex {
    /// Bring the index up to date with the case.
    pub fn refresh(
        &self,
        case: &mut Case,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<RefreshReport> {
        let headers = case.thread_headers()?;
        let total = headers.len() as u64;
        let placed = threads::thread(&headers);
        drop(headers);
        let threads = placed
            .iter()
            .map(|(_, t, _)| t.as_str())
            .collect::<std::collections::HashSet<_>>()
            .len() as u64;
        case.write_threads(&placed)?;
        drop(placed);
        case.limit_page_cache(32)?;
        let stale = case.stale_for_index()?;
        let mut writer: IndexWriter<TantivyDocument> = self.index.writer(WRITER_HEAP)?;
        let mut marked = Vec::new();
        let mut indexed = 0;
        for (n, chunk) in stale.chunks(CHUNK).enumerate() {
            let shas: Vec<String> = chunk.iter().map(|(s, _)| s.clone()).collect();
            let records = case.index_records(&shas)?;
            let reader = case.record_reader();
            let docs = records
                .par_iter()
                .map(|r| Ok((r, self.document(r, &reader.text(r)?))))
                .collect::<Result<Vec<_>>>()?;
            // Only messages the index held before have an old version to
            // delete (none on a rebuild: deletes are queued until commit).
            let had: std::collections::HashSet<&str> = chunk
                .iter()
                .filter(|(_, had)| *had)
                .map(|(s, _)| s.as_str())
                .collect();
            for (r, doc) in docs {
                if had.contains(r.sha256.as_str()) {
                    writer.delete_term(Term::from_field_text(self.fields.key, &r.sha256));
                }
                writer.add_document(doc)?;
                marked.push((r.sha256.clone(), r.state.clone()));
            }
            // Commit now and then, so what is pending stays bounded.
            if (n + 1) % COMMIT_CHUNKS == 0 {
                writer.commit()?;
                indexed += marked.len() as u64;
                case.mark_indexed(&std::mem::take(&mut marked))?;
            }
            progress(
                ((n + 1) * CHUNK).min(stale.len()) as u64,
                stale.len() as u64,
            );
        }
        writer.commit()?;
        writer.wait_merging_threads()?;
        indexed += marked.len() as u64;
        case.mark_indexed(&marked)?;
        self.reader.reload()?;
        Ok(RefreshReport {
            threads,
            indexed,
            total,
        })
    }

    fn document(&self, r: &IndexRecord, text: &SearchText) -> TantivyDocument {
        let f = &self.fields;
        let mut d = TantivyDocument::new();
        d.add_text(f.key, &r.sha256);
        if let Some(id) = &r.message_id {
            d.add_text(f.id, threads::normalise_id(id));
            d.add_text(f.message_id, id);
        }
        if let Some(t) = &r.thread {
            d.add_text(f.thread, t);
        }
        let body = &text.body;
        let subject = r.subject.clone().unwrap_or_default();
        d.add_text(f.subject, &subject);
        d.add_text(f.body, body);
        d.add_text(f.exact, &subject);
        d.add_text(f.exact, body);
        // Exact duplicates: the same subject and text under other bytes
        // (whitespace aside: archivers re-wrap).
        let mut h = Sha256::new();
        for w in subject
            .split_whitespace()
            .chain(["\u{0}"])
            .chain(body.split_whitespace())
        {
            h.update(w.as_bytes());
            h.update(b" ");
        }
        let digest = h.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        d.add_u64(f.body_hash, u64::from_le_bytes(first));
        if let Some(from) = &r.from {
            d.add_text(f.from, from);
            if let Some((_, domain)) = address_of(from).rsplit_once('@') {
                d.add_text(f.from_domain, domain.to_lowercase());
            }
        }
        for a in &r.to {
            d.add_text(f.to, a);
        }
        for a in &r.cc {
            d.add_text(f.cc, a);
        }
        for (_, v) in &text.headers {
            d.add_text(f.header, v);
        }
        if let Some(ts) = r.date_ts {
            d.add_i64(f.date, ts);
        }
        d.add_text(f.verdict, r.verdict.as_deref().unwrap_or("pending"));
        for s in &r.signers {
            d.add_text(f.signer, s);
        }
        if !r.signers.is_empty() {
            d.add_text(f.has, "signature");
        }
        for k in &r.findings {
            d.add_text(f.finding, k);
        }
        if !r.findings.is_empty() {
            d.add_text(f.has, "finding");
        }
        let mut prefixes = std::collections::BTreeSet::new();
        for (root, relative) in &r.sources {
            d.add_text(f.path, relative);
            d.add_text(f.root, root);
            let full = format!("{root}/{relative}");
            for p in [&full, relative] {
                prefixes.insert(p.clone());
                for (i, c) in p.char_indices() {
                    if c == '/' || c == '!' {
                        prefixes.insert(p[..=i].to_string());
                    }
                }
            }
        }
        for p in prefixes {
            d.add_text(f.source, p);
        }
        if !r.attachments.is_empty() {
            d.add_text(f.has, "attachment");
        }
        for a in &r.attachments {
            if let Some(n) = &a.name {
                d.add_text(f.filename, n);
                if let Some((_, ext)) = n.rsplit_once('.') {
                    d.add_text(f.kind, ext.to_lowercase());
                }
            }
            d.add_text(f.kind, &a.content_type);
            if let Some((_, sub)) = a.content_type.split_once('/') {
                d.add_text(f.kind, sub);
            }
            if let Some(k) = &a.kind {
                d.add_text(f.kind, k);
            }
            for n in &a.names {
                d.add_text(f.author, n);
            }
            if let Some(t) = &a.title {
                d.add_text(f.doc_text, t);
            }
            if let Some(t) = &a.text {
                d.add_text(f.doc_text, t);
            }
        }
        d
    }
}
