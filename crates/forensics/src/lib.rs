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

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
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
    pub kind: FindingKind,
    pub severity: Severity,
    /// What it means, in plain words.
    pub explanation: String,
    /// The facts it rests on.
    pub data: serde_json::Value,
}

impl Finding {
    pub fn new(
        kind: FindingKind,
        severity: Severity,
        explanation: String,
        data: serde_json::Value,
    ) -> Finding {
        Finding {
            kind,
            severity,
            explanation,
            data,
        }
    }
}

/// What a finding is about. The stable name (`name`) is what the catalog,
/// `tamis findings --kind`, `finding:` searches and exports use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    ReceivedTimeReversed,
    ReceivedBeforeDate,
    ReceivedDelay,
    SignedBeforeDate,
    SignedLongAfterDate,
    DocumentModifiedAfterMessage,
    DocumentCreatedAfterMessage,
    DocumentAuthorUnknown,
    DocumentForeignScript,
    DocumentLanguage,
    PdfIncrementalUpdates,
    DocumentContainerWarning,
    MessageIdReused,
    TimeZoneUnusual,
    MessageIdTime,
    RelayUnusual,
    LookalikeDomain,
    CredentialForm,
    QuoteMismatch,
    NearDuplicate,
    DocumentCluster,
}

impl FindingKind {
    pub const ALL: [FindingKind; 21] = [
        FindingKind::ReceivedTimeReversed,
        FindingKind::ReceivedBeforeDate,
        FindingKind::ReceivedDelay,
        FindingKind::SignedBeforeDate,
        FindingKind::SignedLongAfterDate,
        FindingKind::DocumentModifiedAfterMessage,
        FindingKind::DocumentCreatedAfterMessage,
        FindingKind::DocumentAuthorUnknown,
        FindingKind::DocumentForeignScript,
        FindingKind::DocumentLanguage,
        FindingKind::PdfIncrementalUpdates,
        FindingKind::DocumentContainerWarning,
        FindingKind::MessageIdReused,
        FindingKind::TimeZoneUnusual,
        FindingKind::MessageIdTime,
        FindingKind::RelayUnusual,
        FindingKind::LookalikeDomain,
        FindingKind::CredentialForm,
        FindingKind::QuoteMismatch,
        FindingKind::NearDuplicate,
        FindingKind::DocumentCluster,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FindingKind::ReceivedTimeReversed => "received_time_reversed",
            FindingKind::ReceivedBeforeDate => "received_before_date",
            FindingKind::ReceivedDelay => "received_delay",
            FindingKind::SignedBeforeDate => "signed_before_date",
            FindingKind::SignedLongAfterDate => "signed_long_after_date",
            FindingKind::DocumentModifiedAfterMessage => "document_modified_after_message",
            FindingKind::DocumentCreatedAfterMessage => "document_created_after_message",
            FindingKind::DocumentAuthorUnknown => "document_author_unknown",
            FindingKind::DocumentForeignScript => "document_foreign_script",
            FindingKind::DocumentLanguage => "document_language",
            FindingKind::PdfIncrementalUpdates => "pdf_incremental_updates",
            FindingKind::DocumentContainerWarning => "document_container_warning",
            FindingKind::MessageIdReused => "message_id_reused",
            FindingKind::TimeZoneUnusual => "time_zone_unusual",
            FindingKind::MessageIdTime => "message_id_time",
            FindingKind::RelayUnusual => "relay_unusual",
            FindingKind::LookalikeDomain => "lookalike_domain",
            FindingKind::CredentialForm => "credential_form",
            FindingKind::QuoteMismatch => "quote_mismatch",
            FindingKind::NearDuplicate => "near_duplicate",
            FindingKind::DocumentCluster => "document_cluster",
        }
    }

    pub fn parse(s: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// What it means, in one sentence (`tamis findings --kinds`).
    pub fn meaning(self) -> &'static str {
        match self {
            FindingKind::ReceivedTimeReversed => {
                "a relay stamped the message earlier than the relay before it"
            }
            FindingKind::ReceivedBeforeDate => {
                "the first relay received the message before its Date header says it was written"
            }
            FindingKind::ReceivedDelay => "days passed between the Date header and the first relay",
            FindingKind::SignedBeforeDate => {
                "the DKIM signature time (t=) is before the Date header"
            }
            FindingKind::SignedLongAfterDate => {
                "the DKIM signature time (t=) is days after the Date header"
            }
            FindingKind::DocumentModifiedAfterMessage => {
                "an attachment was last saved after the message carrying it was sent"
            }
            FindingKind::DocumentCreatedAfterMessage => {
                "an attachment was created after the message carrying it was sent"
            }
            FindingKind::DocumentAuthorUnknown => {
                "an attachment's author or last editor never appears among the people in the dump"
            }
            FindingKind::DocumentForeignScript => {
                "an attachment's author is written in a script the organisation's people do not use"
            }
            FindingKind::DocumentLanguage => {
                "an attachment declares a language no other document of the dump uses"
            }
            FindingKind::PdfIncrementalUpdates => {
                "a PDF was saved again after its first save (incremental updates)"
            }
            FindingKind::DocumentContainerWarning => {
                "an attachment's container holds something suspicious (a bomb, contradictory metadata)"
            }
            FindingKind::MessageIdReused => "several different messages share one Message-ID",
            FindingKind::TimeZoneUnusual => {
                "a sender who always writes from one or two time zones dated this message from another"
            }
            FindingKind::MessageIdTime => {
                "the time encoded in the Message-ID disagrees with the Date, where the dump's other such Message-IDs agree"
            }
            FindingKind::RelayUnusual => {
                "mail from this domain always entered by the same relays; this message by another"
            }
            FindingKind::LookalikeDomain => {
                "the message names a domain imitating the organisation's own (phishing)"
            }
            FindingKind::CredentialForm => {
                "the message holds an HTML form asking for a password (credential harvesting)"
            }
            FindingKind::QuoteMismatch => {
                "a reply quotes text that the message it answers does not hold"
            }
            FindingKind::NearDuplicate => {
                "the message's text is nearly that of a proven message under another Message-ID"
            }
            FindingKind::DocumentCluster => {
                "documents share an editor, application and a tight window of modification times"
            }
        }
    }
}

impl std::fmt::Display for FindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

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
