//! What a reader is shown of one message: the one view model behind
//! `tamis show` and the workbench's message page, so the two cannot tell
//! a message differently. Read from the case: the verdict and its typed
//! evidence, every copy, the findings, the thread, and the text ingest
//! stored (no MIME parse on the way to the screen).

use serde::Serialize;
use tamis_verify::{Assessment, ChainValidation, KeyStatus, body_hash_words};

use crate::{Case, ExportRow, MessageRef, Reason, Result, SearchText, Verdict};

#[derive(Debug, Serialize)]
pub struct MessageView {
    #[serde(flatten)]
    pub message: MessageRef,
    /// The first copy's verdict (a copy's own can differ: a converted copy
    /// proves nothing); `None` until verified.
    pub verdict: Option<Verdict>,
    #[serde(serialize_with = "crate::as_words")]
    pub reasons: Vec<Reason>,
    /// What the signatures showed, as verification stored it.
    pub evidence: Option<Assessment>,
    /// Every copy, in provenance order, as `export` writes it.
    pub copies: Vec<ExportRow>,
    pub thread: Option<String>,
    /// The body as read: plain text, or HTML (`html`; shown only
    /// sanitised, and as text beside it).
    pub text: String,
    pub html: bool,
}

/// One signature's facts as a reader is shown them, in words from the
/// verdict's vocabulary; the CLI and the workbench lay them out.
#[derive(Debug, Serialize)]
pub struct SignatureFacts {
    /// From 1, top to bottom.
    pub number: usize,
    /// `d=`, `s=` and `a=`, when the signature could be read.
    pub signer: Option<(String, String, &'static str)>,
    pub result: &'static str,
    pub header: String,
    pub body_hash: &'static str,
    pub key: &'static str,
    pub key_source: Option<String>,
    pub key_bits: Option<usize>,
    pub signed_headers: Vec<String>,
    /// Why it could not be evaluated, if it could not.
    pub error: Option<String>,
}

impl MessageView {
    /// The first copy: headers, attachments and findings are the
    /// message's, the same in every copy.
    pub fn first(&self) -> &ExportRow {
        &self.copies[0]
    }

    /// Each signature as stored, in words.
    pub fn signatures(&self) -> Vec<SignatureFacts> {
        let Some(a) = &self.evidence else {
            return Vec::new();
        };
        a.signatures
            .iter()
            .map(|r| {
                let (key_source, key_bits) = match &r.key {
                    Some(KeyStatus::Found { source, bits, .. }) => (source.clone(), *bits),
                    _ => (None, None),
                };
                SignatureFacts {
                    number: r.index + 1,
                    signer: r
                        .signature
                        .as_ref()
                        .map(|s| (s.domain.clone(), s.selector.clone(), s.algorithm.name())),
                    result: r.result.name(),
                    header: r
                        .header
                        .as_ref()
                        .map_or("not checked".to_string(), ToString::to_string),
                    body_hash: body_hash_words(r.body_hash_matches),
                    key: r.key.as_ref().map_or("none", KeyStatus::name),
                    key_source,
                    key_bits,
                    signed_headers: r
                        .signature
                        .as_ref()
                        .map(|s| s.headers.clone())
                        .unwrap_or_default(),
                    error: r.error.clone(),
                }
            })
            .collect()
    }

    /// The ARC chain's verdict in words, when the message carries one.
    pub fn arc(&self) -> Option<&str> {
        let arc = &self.evidence.as_ref()?.arc;
        (arc.cv != ChainValidation::None).then_some(arc.detail.as_str())
    }
}

impl Case {
    /// The view of `message`, or `None` if the case has no copy of it.
    pub fn message_view(&self, message: &str) -> Result<Option<MessageView>> {
        let mut copies: Vec<ExportRow> = Vec::new();
        self.occurrences_of(Some(message), |r| {
            copies.push(r);
            Ok(())
        })?;
        let Some(first) = copies.first() else {
            return Ok(None);
        };
        let SearchText {
            body: text, html, ..
        } = self.search_text(message)?.unwrap_or_default();
        Ok(Some(MessageView {
            message: MessageRef {
                sha256: first.sha256.clone(),
                message_id: first.message_id.clone(),
                root: Some(first.root.clone()),
                source: Some(first.source.clone()),
            },
            verdict: first.verdict,
            reasons: first.reasons.clone(),
            evidence: first.evidence.clone(),
            thread: self.thread_of(message)?,
            text,
            html,
            copies,
        }))
    }
}
