//! Forensics beyond signatures.
//!
//! Only a quarter to a half of a real leak carries a signature that can
//! still be checked; for the rest, and for every attachment, the evidence
//! is circumstantial: a Received chain whose clocks run backwards, a
//! document last saved days after the message that carried it, by someone
//! nobody in the organisation wrote to. This crate turns such facts into
//! [`Finding`]s: a stable kind, a severity, a sentence an editor can read,
//! and the data it rests on.
//!
//! Findings are evidence beside the signature verdict, never above it: a
//! finding never turns a cryptographically authentic message into anything
//! else. Only [`Severity::Strong`] findings on a message nothing proves can
//! make it `forged` (see [`forges`]).
//!
//! - [`message`]: what one message's own headers show (Received hops, Date
//!   against the relays and the DKIM `t=`).
//! - [`document`]: attachment type and authoring metadata, under caps.
//! - [`isolate`]: document parsers in worker processes, so a hang or a
//!   crash costs one attachment.
//! - [`people`]: who the organisation is, learnt from the dump, and the
//!   findings on documents that rest on it.
//! - [`profile`] and [`patterns`]: the few traits of each message the
//!   dump-wide checks compare (time zone, client, first relay, Message-ID
//!   time, domains named), what is usual in this dump, and what breaks it;
//!   look-alike domains and password forms (intrusion evidence).
//! - [`text`]: a reply's quotation against its parent, near-duplicate
//!   texts (SimHash).
//! - [`diff`]: what differs between two copies of one message.

pub mod diff;
pub mod document;
pub mod isolate;
pub mod message;
pub mod patterns;
pub mod people;
pub mod profile;
pub mod text;

use serde::{Deserialize, Serialize};

/// How much a finding weighs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; explains nothing alone.
    Info,
    /// Unusual; look at it.
    Notice,
    /// Hard to explain unless the copy was fabricated or altered.
    Strong,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Info, Severity::Notice, Severity::Strong];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Notice => "notice",
            Severity::Strong => "strong",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.name() == s)
    }
}

/// One forensic finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable name (`document_modified_after_message`, …).
    pub kind: String,
    pub severity: Severity,
    /// What it means, in plain words.
    pub explanation: String,
    /// The facts it rests on.
    pub data: serde_json::Value,
}

impl Finding {
    pub fn new(
        kind: &str,
        severity: Severity,
        explanation: String,
        data: serde_json::Value,
    ) -> Finding {
        Finding {
            kind: kind.to_string(),
            severity,
            explanation,
            data,
        }
    }
}

/// Every finding kind, with what it means: `tamis findings --kind` takes
/// these names.
pub const KINDS: &[(&str, &str)] = &[
    (
        "received_time_reversed",
        "a relay stamped the message earlier than the relay before it",
    ),
    (
        "received_before_date",
        "the first relay received the message before its Date header says it was written",
    ),
    (
        "received_delay",
        "days passed between the Date header and the first relay",
    ),
    (
        "signed_before_date",
        "the DKIM signature time (t=) is before the Date header",
    ),
    (
        "signed_long_after_date",
        "the DKIM signature time (t=) is days after the Date header",
    ),
    (
        "document_modified_after_message",
        "an attachment was last saved after the message carrying it was sent",
    ),
    (
        "document_created_after_message",
        "an attachment was created after the message carrying it was sent",
    ),
    (
        "document_author_unknown",
        "an attachment's author or last editor never appears among the people in the dump",
    ),
    (
        "document_foreign_script",
        "an attachment's author is written in a script the organisation's people do not use",
    ),
    (
        "document_language",
        "an attachment declares a language no other document of the dump uses",
    ),
    (
        "pdf_incremental_updates",
        "a PDF was saved again after its first save (incremental updates)",
    ),
    (
        "document_container_warning",
        "an attachment's container holds something suspicious (a bomb, contradictory metadata)",
    ),
    (
        "message_id_reused",
        "several different messages share one Message-ID",
    ),
    (
        "time_zone_unusual",
        "a sender who always writes from one or two time zones dated this message from another",
    ),
    (
        "message_id_time",
        "the time encoded in the Message-ID disagrees with the Date, where the dump's other such Message-IDs agree",
    ),
    (
        "relay_unusual",
        "mail from this domain always entered by the same relays; this message by another",
    ),
    (
        "lookalike_domain",
        "the message names a domain imitating the organisation's own (phishing)",
    ),
    (
        "credential_form",
        "the message holds an HTML form asking for a password (credential harvesting)",
    ),
    (
        "quote_mismatch",
        "a reply quotes text that the message it answers does not hold",
    ),
    (
        "near_duplicate",
        "the message's text is nearly that of a proven message under another Message-ID",
    ),
    (
        "document_cluster",
        "documents share an editor, application and a tight window of modification times",
    ),
];

/// Does a finding of this severity make `forged` a message whose
/// signatures gave `signature_verdict`? The one rule by which findings
/// change a verdict: only a strong finding, and only against a message no
/// signature proves or disproves. A finding never overrules a signature.
pub fn forges(severity: Severity, signature_verdict: tamis_verify::Verdict) -> bool {
    severity == Severity::Strong && signature_verdict == tamis_verify::Verdict::Unverifiable
}

/// An hour and a day in seconds, for thresholds that must allow for
/// clocks and time zones.
pub(crate) const HOUR: i64 = 3600;
pub(crate) const DAY: i64 = 86_400;

pub(crate) use tamis_time::rfc3339 as when;

pub(crate) fn span(seconds: i64) -> String {
    let s = seconds.abs();
    if s >= 2 * DAY {
        format!("{} days", s / DAY)
    } else if s >= 2 * HOUR {
        format!("{} hours", s / HOUR)
    } else {
        format!("{} minutes", s / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tamis_verify::Verdict;

    #[test]
    fn only_a_strong_finding_forges_and_only_what_no_signature_settles() {
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.name()), Some(s));
            for v in Verdict::ALL {
                let want = s == Severity::Strong && v == Verdict::Unverifiable;
                assert_eq!(forges(s, v), want, "{} on {v}", s.name());
            }
        }
    }
}
