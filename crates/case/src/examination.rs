//! Forensics over a case: the metadata of every document (ingest stores
//! each attachment content-addressed, like messages) read by isolated
//! workers, findings computed, and strong findings folded into the
//! verdicts of messages nothing else proves.
//!
//! Two kinds of findings, stored apart by `scope`:
//! - `message`: a function of one message and its documents (Received
//!   hops, Date against `t=`, a document saved after its message). Written
//!   once, in the transaction that marks the message examined, so a killed
//!   run resumes where it stopped.
//! - `case`: rests on the whole dump (who the organisation's people are,
//!   clusters of documents, copies sharing a Message-ID). Recomputed from
//!   the catalog by every examination; cheap, since it reads no message
//!   bytes except those of copies that share a Message-ID.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use tamis_forensics::document::{self, Meta};
use tamis_forensics::isolate::Pool;
use tamis_forensics::patterns;
use tamis_forensics::people::{Doc, Population};
use tamis_forensics::profile::Profile;
use tamis_forensics::{Finding, FindingKind, Severity, diff, message};

use crate::blobs::{self, BlobRef};
use crate::{Case, MessageRef, Reason, Result, Verdict, check_hash, json_list};

#[derive(Debug, Default, Serialize)]
pub struct ExamineReport {
    pub messages: u64,
    pub documents: u64,
    pub unreadable_documents: u64,
    pub findings: u64,
    /// Messages made `forged` by strong findings.
    pub forged: u64,
}

/// A finding as stored and listed.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRow {
    pub kind: FindingKind,
    pub severity: Severity,
    /// The message it is about; `None` for case-wide ones.
    #[serde(flatten)]
    pub message: Option<MessageRef>,
    /// The attachment it is about, by name within the message.
    pub attachment: Option<String>,
    pub explanation: String,
    pub data: serde_json::Value,
}

/// What examining one message gives, ready to write.
struct Examined {
    message: String,
    findings: Vec<(Option<String>, Finding)>,
}

/// What reading one document's metadata gave.
struct DocumentRead {
    sha256: String,
    meta: Option<String>,
    text: Option<String>,
    error: Option<String>,
}

const CHUNK: usize = 256;

/// A finding with the message and attachment it is about.
type Placed = (Option<String>, Option<String>, Finding);

impl Case {
    /// Read the metadata of documents not read yet, examine the messages
    /// not examined yet, then recompute the case-wide findings and fold
    /// strong findings into verdicts.
    pub fn examine(
        &mut self,
        pool: &Pool,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<ExamineReport> {
        let mut report = ExamineReport::default();
        let blob_dir = self.blob_dir();
        let documents = self.blobs_where(
            "SELECT sha256, pack, pack_offset, stored_len FROM documents WHERE examined = 0 ORDER BY pack, pack_offset",
        )?;
        let messages = self.blobs_where(
            "SELECT sha256, pack, pack_offset, stored_len FROM messages
             WHERE sha256 NOT IN (SELECT message FROM examined) ORDER BY pack, pack_offset",
        )?;
        let total = (documents.len() + messages.len()) as u64;
        let mut done = 0;
        // 1. Documents: metadata read by the isolated workers.
        crate::pipeline(
            &documents,
            CHUNK,
            |(sha, blob)| {
                let bytes = blobs::read(&blob_dir, *blob)?;
                // Strong findings rest on what documents say: read only
                // what the hash vouches for.
                check_hash(sha, &bytes)?;
                let kind = document::identify(&bytes);
                let (meta, text, error) = if kind.has_metadata()
                    || matches!(kind, document::Kind::Zip | document::Kind::Text)
                {
                    match pool.read(&bytes) {
                        Ok(r) => (serde_json::to_string(&r.meta).ok(), r.text, None),
                        Err(e) => (None, None, Some(e.to_string())),
                    }
                } else {
                    (None, None, None)
                };
                Ok(DocumentRead {
                    sha256: sha.clone(),
                    meta,
                    text,
                    error,
                })
            },
            |chunk| {
                let tx = self.conn.transaction()?;
                for d in &chunk {
                    tx.prepare_cached(
                        "UPDATE documents SET examined = 1, meta = ?2, error = ?3, text = ?4 WHERE sha256 = ?1",
                    )?
                    .execute(params![d.sha256, d.meta, d.error, d.text])?;
                    report.documents += 1;
                    report.unreadable_documents += u64::from(d.error.is_some());
                }
                tx.commit()?;
                done += chunk.len() as u64;
                progress(done, total);
                Ok(())
            },
        )?;
        // 2. Messages: their own headers, and their documents against them.
        let metas: HashMap<String, Meta> = {
            let mut st = self
                .conn
                .prepare("SELECT sha256, meta FROM documents WHERE meta IS NOT NULL")?;
            let rows: Vec<(String, String)> = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            rows.into_iter()
                .filter_map(|(sha, m)| Some((sha, serde_json::from_str(&m).ok()?)))
                .collect()
        };
        let mut carried: HashMap<String, Vec<(String, String)>> = HashMap::new();
        {
            let mut st = self.conn.prepare(
                "SELECT message, COALESCE(name, '(unnamed)'), document FROM attachments
                 WHERE document IS NOT NULL ORDER BY message, idx",
            )?;
            let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))?;
            for row in rows {
                let (m, name, doc) = row?;
                carried.entry(m).or_default().push((name, doc));
            }
        }
        crate::pipeline(
            &messages,
            CHUNK,
            |(sha, blob)| {
                // Header findings are notices at most, so they need no hash
                // check: a damaged byte could not make a message forged.
                let bytes = blobs::read(&blob_dir, *blob)?;
                let parsed = tamis_verify::Message::parse(&bytes);
                let date = parsed
                    .first_text("Date")
                    .and_then(|d| tamis_verify::verdict::parse_rfc2822(&d));
                let signed_at: Vec<i64> = parsed
                    .fields
                    .iter()
                    .filter(|f| f.is("DKIM-Signature"))
                    .filter_map(|f| tamis_verify::signature::parse(f.value()).ok()?.timestamp)
                    .collect();
                let mut findings: Vec<(Option<String>, Finding)> =
                    message::header_findings(&message::hops(&bytes), date, &signed_at)
                        .into_iter()
                        .map(|f| (None, f))
                        .collect();
                for (name, doc) in carried.get(sha).into_iter().flatten() {
                    if let Some(meta) = metas.get(doc) {
                        for f in message::document_findings(name, meta, date) {
                            findings.push((Some(name.clone()), f));
                        }
                    }
                }
                Ok(Examined {
                    message: sha.clone(),
                    findings,
                })
            },
            |chunk| {
                let tx = self.conn.transaction()?;
                for e in &chunk {
                    for (attachment, f) in &e.findings {
                        insert_finding(&tx, "message", Some(&e.message), attachment.as_deref(), f)?;
                    }
                    tx.prepare_cached("INSERT OR IGNORE INTO examined (message) VALUES (?1)")?
                        .execute([&e.message])?;
                }
                tx.commit()?;
                report.messages += chunk.len() as u64;
                done += chunk.len() as u64;
                progress(done, total);
                Ok(())
            },
        )?;
        self.case_findings()?;
        report.forged = self.apply_findings()?;
        report.findings = self
            .conn
            .query_row("SELECT COUNT(*) FROM findings", [], |r| r.get::<_, i64>(0))?
            as u64;
        Ok(report)
    }

    /// Recompute the findings that rest on the whole dump.
    fn case_findings(&mut self) -> Result<()> {
        let mut population = Population::default();
        let mut domains: HashMap<String, usize> = HashMap::new();
        {
            let mut st = self
                .conn
                .prepare("SELECT from_addr, to_addrs, cc_addrs FROM messages")?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let from: Option<String> = r.get(0)?;
                for mailbox in from
                    .into_iter()
                    .chain(json_list(r.get(1)?))
                    .chain(json_list(r.get(2)?))
                {
                    let (name, address) = split_mailbox(&mailbox);
                    population.add(name, address);
                    if let Some((_, d)) = address.and_then(|a| a.rsplit_once('@')) {
                        *domains.entry(d.to_ascii_lowercase()).or_default() += 1;
                    }
                }
            }
        }
        // Every (message, attachment) with readable metadata, in a fixed order.
        let carried: Vec<(String, String, String, Meta)> = {
            let mut st = self.conn.prepare(
                "SELECT a.message, COALESCE(a.name, '(unnamed)'), d.sha256, d.meta
                 FROM attachments a JOIN documents d ON d.sha256 = a.document
                 WHERE d.meta IS NOT NULL ORDER BY a.message, a.idx",
            )?;
            st.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?))
            })?
            .filter_map(|r| match r {
                Ok((m, n, d, meta)) => serde_json::from_str(&meta)
                    .ok()
                    .map(|meta| Ok((m, n, d, meta))),
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<_, _>>()?
        };
        let mut found: Vec<Placed> = Vec::new();
        for (message, name, _, meta) in &carried {
            for f in population.findings(name, meta) {
                found.push((Some(message.clone()), Some(name.clone()), f));
            }
        }
        let languages: Vec<(usize, &str)> = carried
            .iter()
            .enumerate()
            .filter_map(|(i, (_, _, _, m))| Some((i, m.language.as_deref()?)))
            .collect();
        for (i, f) in patterns::document_languages(&languages) {
            let (message, name, _, _) = &carried[i];
            found.push((Some(message.clone()), Some(name.clone()), f));
        }
        // What is usual in this dump, and what breaks it.
        let (examined, profiles): (Vec<String>, Vec<Profile>) = {
            let mut st = self
                .conn
                .prepare("SELECT message, profile FROM profiles ORDER BY message")?;
            let rows: Vec<(String, String)> = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            rows.into_iter()
                .map(|(m, p)| (m, serde_json::from_str(&p).unwrap_or_default()))
                .unzip()
        };
        for (i, f) in patterns::findings(&profiles, &patterns::org_domains(&domains)) {
            found.push((Some(examined[i].clone()), None, f));
        }
        // Clusters over distinct documents, named by where one was found.
        let mut first_seen: HashMap<&str, (&str, &str, &Meta)> = HashMap::new();
        for (message, name, doc, meta) in &carried {
            first_seen.entry(doc).or_insert((message, name, meta));
        }
        let mut docs: Vec<Doc<'_>> = Vec::new();
        let mut ordered: Vec<_> = first_seen.into_iter().collect();
        ordered.sort_by_key(|(doc, _)| *doc);
        for (_, (message, name, meta)) in ordered {
            let path = self
                .first_path(message)?
                .unwrap_or_else(|| message.to_string());
            docs.push(Doc {
                label: format!("{path}!{name}"),
                meta,
            });
        }
        for f in tamis_forensics::people::clusters(&docs) {
            found.push((None, None, f));
        }
        found.extend(self.message_id_reuse()?);
        found.extend(self.text_comparisons(&examined, &profiles)?);
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM findings WHERE scope = 'case'", [])?;
        // An unreadable document is reported once, at the first place it
        // was found (which worker stored it first is a matter of timing).
        tx.execute(
            "DELETE FROM problems WHERE kind = 'document_unreadable'",
            [],
        )?;
        tx.execute(
            "INSERT OR REPLACE INTO problems (root, path, kind, severity, detail)
             SELECT o.root, MIN(o.path || '!' || COALESCE(a.name, '(unnamed)')), 'document_unreadable', 'warning', d.error
             FROM documents d JOIN attachments a ON a.document = d.sha256 JOIN occurrences o ON o.message = a.message
             WHERE d.error IS NOT NULL AND o.root = (SELECT MIN(root) FROM occurrences WHERE message = a.message)
             GROUP BY d.sha256",
            [],
        )?;
        for (message, attachment, f) in &found {
            insert_finding(&tx, "case", message.as_deref(), attachment.as_deref(), f)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Replies against the messages they answer, and unproven messages
    /// against proven ones with nearly the same text.
    fn text_comparisons(&self, examined: &[String], profiles: &[Profile]) -> Result<Vec<Placed>> {
        use rayon::prelude::*;
        struct Info {
            blob: BlobRef,
            message_id: Option<String>,
            in_reply_to: Option<String>,
            proven: bool,
        }
        let mut info: HashMap<String, Info> = HashMap::new();
        let mut by_id: HashMap<String, Vec<String>> = HashMap::new();
        {
            let mut st = self.conn.prepare(
                "SELECT m.sha256, m.pack, m.pack_offset, m.stored_len, m.message_id, m.in_reply_to,
                        v.signature_verdict
                 FROM messages m LEFT JOIN verdicts v ON v.message = m.sha256 ORDER BY m.sha256",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let sha: String = r.get(0)?;
                let message_id: Option<String> = r.get(4)?;
                if let Some(id) = &message_id {
                    by_id.entry(id.clone()).or_default().push(sha.clone());
                }
                info.insert(
                    sha,
                    Info {
                        blob: BlobRef {
                            pack: r.get(1)?,
                            offset: r.get::<_, i64>(2)? as u64,
                            len: r.get::<_, i64>(3)? as u64,
                        },
                        message_id,
                        in_reply_to: json_list(r.get(5)?).into_iter().next(),
                        proven: r
                            .get::<_, Option<String>>(6)?
                            .as_deref()
                            .and_then(Verdict::parse)
                            .is_some_and(Verdict::proves),
                    },
                );
            }
        }
        let blob_dir = self.blob_dir();
        let text = |sha: &str| -> Result<Option<(String, Vec<u8>)>> {
            let Some(i) = info.get(sha) else {
                return Ok(None);
            };
            let bytes = blobs::read(&blob_dir, i.blob)?;
            check_hash(sha, &bytes)?;
            Ok(Some((tamis_forensics::text::body_text(&bytes), bytes)))
        };
        // Each quoting reply, with the copy of its parent to compare with
        // (a proven one if there is one).
        // The profiles' digests settle most replies without reading them.
        let at: HashMap<&str, usize> = examined
            .iter()
            .enumerate()
            .map(|(i, m)| (m.as_str(), i))
            .collect();
        let bloom = |sha: &str| -> Vec<u8> {
            use base64::Engine;
            at.get(sha)
                .and_then(|i| {
                    base64::engine::general_purpose::STANDARD
                        .decode(&profiles[*i].text_bloom)
                        .ok()
                })
                .unwrap_or_default()
        };
        let replies: Vec<(&str, &str)> = examined
            .iter()
            .zip(profiles)
            .filter(|(_, p)| p.quotes)
            .filter_map(|(sha, p)| {
                let parent_id = info.get(sha)?.in_reply_to.as_ref()?;
                let copies = by_id.get(parent_id)?;
                let parent = copies
                    .iter()
                    .find(|c| info.get(*c).is_some_and(|i| i.proven))
                    .or(copies.first())?;
                tamis_forensics::text::may_misquote(&p.quoted_runs, &bloom(parent))
                    .then_some((sha.as_str(), parent.as_str()))
            })
            .collect();
        let mut out: Vec<Placed> = replies
            .par_iter()
            .map(|(reply, parent)| -> Result<Option<Placed>> {
                let (Some((r, _)), Some((p, _))) = (text(reply)?, text(parent)?) else {
                    return Ok(None);
                };
                Ok(tamis_forensics::text::quote_check(&r, &p).map(|mut f| {
                    f.data["parent"] = serde_json::json!(parent);
                    (Some(reply.to_string()), None, f)
                }))
            })
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        // Near-duplicates: unproven messages nearly matching a proven one
        // under another Message-ID.
        let hashes: Vec<Option<u64>> = profiles.iter().map(|p| p.simhash).collect();
        let proven_at = |i: &usize| info.get(&examined[*i]).is_some_and(|x| x.proven);
        let all: Vec<usize> = (0..examined.len()).collect();
        let (proven, unproven): (Vec<usize>, Vec<usize>) = all.into_iter().partition(proven_at);
        let mut nearest: HashMap<usize, (u32, usize)> = HashMap::new();
        for (i, j) in tamis_forensics::text::near_pairs(&hashes, &unproven, &proven) {
            let (a, b) = (&info[&examined[i]], &info[&examined[j]]);
            if a.message_id.is_some() && a.message_id == b.message_id {
                continue;
            }
            let bits = hashes[i]
                .zip(hashes[j])
                .map_or(64, |(x, y)| (x ^ y).count_ones());
            let e = nearest.entry(i).or_insert((bits, j));
            if (bits, j) < *e {
                *e = (bits, j);
            }
        }
        let mut pairs: Vec<(usize, (u32, usize))> = nearest.into_iter().collect();
        pairs.sort();
        for (i, (bits, j)) in pairs {
            let (Some((_, copy)), Some((_, proven))) = (text(&examined[i])?, text(&examined[j])?)
            else {
                continue;
            };
            let d = diff::diff(&proven, &copy);
            let other_id = info[&examined[j]].message_id.clone().unwrap_or_default();
            out.push((
                Some(examined[i].clone()),
                None,
                Finding::new(
                    FindingKind::NearDuplicate,
                    Severity::Notice,
                    format!(
                        "the text is nearly that of a proven message ({other_id}, {bits} of 64 SimHash bits apart) under another Message-ID: {}",
                        d.summary()
                    ),
                    serde_json::json!({ "proven": examined[j], "message_id": other_id, "bits": bits, "diff": d }),
                ),
            ));
        }
        Ok(out)
    }

    /// Different messages under one Message-ID: each copy is flagged, and
    /// where one is proven, the others carry their diff against it.
    fn message_id_reuse(&self) -> Result<Vec<Placed>> {
        let mut st = self.conn.prepare(
            "SELECT m.message_id, m.sha256, v.signature_verdict FROM messages m
             LEFT JOIN verdicts v ON v.message = m.sha256
             WHERE m.message_id IN (SELECT message_id FROM messages WHERE message_id IS NOT NULL
                                    GROUP BY message_id HAVING COUNT(*) > 1)
             ORDER BY m.message_id, m.sha256",
        )?;
        let rows: Vec<(String, String, Option<String>)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        // (Message-ID, [(message, signature verdict)])
        type Group = (String, Vec<(String, Option<String>)>);
        let mut groups: Vec<Group> = Vec::new();
        for (id, sha, verdict) in rows {
            match groups.last_mut() {
                Some((gid, members)) if *gid == id => members.push((sha, verdict)),
                _ => groups.push((id, vec![(sha, verdict)])),
            }
        }
        let mut out = Vec::new();
        for (id, members) in groups {
            // The best-proven copy is the reference.
            let proven = members
                .iter()
                .filter_map(|m| Some((m, Verdict::parse(m.1.as_deref()?)?)))
                .filter(|(_, v)| v.proves())
                .min_by_key(|(_, v)| v.rank())
                .map(|(m, _)| m);
            let reference = match proven {
                Some((sha, _)) => self.message_bytes(sha)?.map(|b| (sha.clone(), b)),
                None => None,
            };
            for (sha, _) in &members {
                let others = members.len() - 1;
                let finding = match &reference {
                    Some((rsha, _)) if rsha == sha => Finding::new(
                        FindingKind::MessageIdReused,
                        Severity::Info,
                        format!(
                            "{others} other message(s) carry this one's Message-ID {id}; this copy is the proven one they are compared with"
                        ),
                        serde_json::json!({ "message_id": id, "copies": members.len() }),
                    ),
                    Some((rsha, rbytes)) => {
                        let Some(bytes) = self.message_bytes(sha)? else {
                            continue;
                        };
                        let d = diff::diff(rbytes, &bytes);
                        let visible = !d.headers.is_empty()
                            || d.body.is_some()
                            || !d.attachments_added.is_empty()
                            || !d.attachments_removed.is_empty();
                        Finding::new(
                            FindingKind::MessageIdReused,
                            if visible {
                                Severity::Notice
                            } else {
                                Severity::Info
                            },
                            format!(
                                "this copy shares Message-ID {id} with a proven copy ({}) and differs from it: {}",
                                &rsha[..12],
                                d.summary()
                            ),
                            serde_json::json!({ "message_id": id, "proven": rsha, "diff": d }),
                        )
                    }
                    None => Finding::new(
                        FindingKind::MessageIdReused,
                        Severity::Info,
                        format!(
                            "{} different messages carry Message-ID {id}; none of them is proven",
                            members.len()
                        ),
                        serde_json::json!({ "message_id": id, "copies": members.len() }),
                    ),
                };
                out.push((Some(sha.clone()), None, finding));
            }
        }
        Ok(out)
    }

    /// Make `verdict` what the signatures say, then `forged` where a strong
    /// finding stands against a message no signature proves. A finding
    /// never overturns a message a signature proves or disproves: it is
    /// shown beside it. Returns how many messages are forged by findings.
    pub fn apply_findings(&mut self) -> Result<u64> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE verdicts SET verdict = signature_verdict, reasons = json_extract(evidence, '$.reasons')
             WHERE verdict IS NOT signature_verdict",
            [],
        )?;
        // Every finding on a verified message, with what its signatures
        // said; the policy (`forges`) picks the ones that make it forged.
        let mut by_message: Vec<(String, Vec<Reason>)> = Vec::new();
        {
            let mut st = tx.prepare(
                "SELECT f.message, f.kind, f.severity, f.explanation, v.signature_verdict
                 FROM findings f JOIN verdicts v ON v.message = f.message
                 ORDER BY f.message, f.id",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let severity = Severity::parse(&r.get::<_, String>(2)?);
                let signature = r.get::<_, Option<String>>(4)?;
                let signature = signature.as_deref().and_then(Verdict::parse);
                let (Some(severity), Some(signature)) = (severity, signature) else {
                    continue;
                };
                if !tamis_forensics::forges(severity, signature) {
                    continue;
                }
                let m: String = r.get(0)?;
                let reason = Reason::Finding {
                    kind: r.get(1)?,
                    explanation: r.get(3)?,
                };
                match by_message.last_mut() {
                    Some((last, v)) if *last == m => v.push(reason),
                    _ => by_message.push((m, vec![Reason::Fabrication, reason])),
                }
            }
        }
        for (m, mut reasons) in by_message.iter().cloned() {
            let signature: String = tx.query_row(
                "SELECT reasons FROM verdicts WHERE message = ?1",
                [&m],
                |r| r.get(0),
            )?;
            let signature: Vec<Reason> = serde_json::from_str(&signature).unwrap_or_default();
            reasons.extend(signature);
            tx.execute(
                "UPDATE verdicts SET verdict = ?2, reasons = ?3 WHERE message = ?1",
                params![
                    m,
                    Verdict::Forged.name(),
                    serde_json::to_string(&reasons).unwrap_or_default()
                ],
            )?;
        }
        tx.commit()?;
        Ok(by_message.len() as u64)
    }

    /// Findings, optionally of one kind, most severe first.
    pub fn findings(&self, kind: Option<FindingKind>) -> Result<Vec<FindingRow>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT f.kind, f.severity, f.message, f.attachment, f.explanation, f.data FROM findings f
             WHERE ?1 IS NULL OR f.kind = ?1
             ORDER BY {}, f.kind, f.message, f.id",
            gravest_first("f.severity")
        ))?;
        let rows: Vec<(FindingRow, Option<String>)> = st
            .query_map([kind.map(FindingKind::name)], |r| {
                Ok((
                    FindingRow {
                        kind: typed(r, 0, FindingKind::parse)?,
                        severity: typed(r, 1, Severity::parse)?,
                        message: None,
                        attachment: r.get(3)?,
                        explanation: r.get(4)?,
                        data: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or_default(),
                    },
                    r.get(2)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(mut row, message)| {
                row.message = message.map(|m| self.message_ref(&m)).transpose()?;
                Ok(row)
            })
            .collect()
    }

    /// The first provenance path of a message (roots in order).
    pub(crate) fn first_path(&self, message: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT r.path || '/' || o.path FROM occurrences o JOIN roots r ON r.id = o.root
                 WHERE o.message = ?1 ORDER BY o.root, o.path LIMIT 1",
            )?
            .query_row([message], |r| r.get(0))
            .optional()?)
    }
}

fn insert_finding(
    tx: &rusqlite::Transaction<'_>,
    scope: &str,
    message: Option<&str>,
    attachment: Option<&str>,
    f: &Finding,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO findings (scope, message, attachment, kind, severity, explanation, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        scope,
        message,
        attachment,
        f.kind.name(),
        f.severity.name(),
        f.explanation,
        f.data.to_string()
    ])?;
    Ok(())
}

/// `Name <addr>` (as the catalog stores mailboxes) into its parts.
fn split_mailbox(s: &str) -> (Option<&str>, Option<&str>) {
    match s.rsplit_once(" <") {
        Some((name, addr)) => (
            Some(name.trim_matches('"')),
            Some(addr.trim_end_matches('>')),
        ),
        None if s.contains('@') => (None, Some(s)),
        None => (Some(s), None),
    }
}

/// SQL ordering `column` (severity names) gravest first, from the
/// vocabulary's own order.
pub(crate) fn gravest_first(column: &str) -> String {
    let whens: String = Severity::ALL
        .iter()
        .rev()
        .enumerate()
        .map(|(i, s)| format!(" WHEN '{}' THEN {i}", s.name()))
        .collect();
    format!("CASE {column}{whens} ELSE {} END", Severity::ALL.len())
}

/// A stable name in column `i` as its typed value; a name this tamis does
/// not know is an error naming it, never a silent default.
pub(crate) fn typed<T>(
    r: &rusqlite::Row<'_>,
    i: usize,
    parse: fn(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let name: String = r.get(i)?;
    parse(&name).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("unknown name {name:?}").into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::testing::small_case;
    use crate::{Reason, Verdict};

    fn add_finding(t: &crate::testing::Small, message: &str, severity: &str) {
        t.case
            .conn
            .execute(
                "INSERT INTO findings (scope, message, attachment, kind, severity, explanation, data)
                 VALUES ('message', ?1, NULL, 'document_modified_after_message', ?2, 'saved later', '{}')",
                [message, severity],
            )
            .unwrap();
    }

    /// A strong finding makes forged only a message no signature settles;
    /// a notice changes nothing; a signature's verdict is never overruled;
    /// and the shown verdict follows the findings back when they go.
    #[test]
    fn findings_forge_only_what_no_signature_settles() {
        let mut t = small_case();
        for m in [&t.signed, &t.unsigned, &t.tampered] {
            add_finding(&t, m, "strong");
        }
        add_finding(&t, &t.unsigned.clone(), "notice");
        assert_eq!(t.case.apply_findings().unwrap(), 1);
        assert_eq!(t.verdict(&t.signed), "authentic");
        assert_eq!(t.verdict(&t.tampered), "tampered");
        assert_eq!(t.verdict(&t.unsigned), "forged");
        let mut rows = Vec::new();
        let unsigned = t.unsigned.clone();
        t.case
            .occurrences_of(Some(&unsigned), |r| {
                rows.push(r);
                Ok(())
            })
            .unwrap();
        assert_eq!(rows[0].verdict, Some(Verdict::Forged));
        assert_eq!(
            rows[0].reasons,
            [
                Reason::Fabrication,
                Reason::Finding {
                    kind: "document_modified_after_message".into(),
                    explanation: "saved later".into()
                },
                Reason::NoSignature
            ]
        );

        t.case.conn.execute("DELETE FROM findings", []).unwrap();
        assert_eq!(t.case.apply_findings().unwrap(), 0);
        assert_eq!(t.verdict(&t.unsigned), "unverifiable");
    }
}
