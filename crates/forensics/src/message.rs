//! What one message's own headers show: the Received chain hop by hop, and
//! the Date header against the relays' clocks and the DKIM signing time.
//!
//! Relays stamp their own clock; a client stamps Date. Clocks drift and
//! mail queues, so every threshold leaves room (minutes for clock skew,
//! days for queues) and these findings are notices, never proof.

use mail_parser::{HeaderValue, MessageParser};
use serde::Serialize;
use serde_json::json;

use crate::document::Meta;
use crate::{DAY, Finding, FindingKind, HOUR, Severity, span, when};

/// One Received hop, as parsed.
#[derive(Clone, Debug, Serialize)]
pub struct Hop {
    pub from: Option<String>,
    pub by: Option<String>,
    pub with: Option<String>,
    pub id: Option<String>,
    pub time: Option<i64>,
}

/// The Received hops, from the first relay (bottom) to the last (top).
pub fn hops(raw: &[u8]) -> Vec<Hop> {
    let Some(msg) = MessageParser::new().parse_headers(raw) else {
        return Vec::new();
    };
    let mut out: Vec<Hop> = msg
        .headers()
        .iter()
        .filter_map(|h| match &h.value {
            HeaderValue::Received(r) => Some(Hop {
                from: r.from.as_ref().map(|h| h.to_string()),
                by: r.by.as_ref().map(|h| h.to_string()),
                with: r.with.as_ref().map(|p| p.to_string()),
                id: r.id.as_ref().map(|s| s.to_string()),
                time: r
                    .date
                    .as_ref()
                    .filter(|d| d.is_valid())
                    .map(|d| d.to_timestamp()),
            }),
            _ => None,
        })
        .collect();
    out.reverse();
    out
}

/// Clock skew allowed between two machines.
const SKEW: i64 = 15 * 60;

/// Findings on the headers of one message. `date`: the Date header (Unix
/// seconds); `signed_at`: the `t=` of its DKIM signatures.
pub fn header_findings(hops: &[Hop], date: Option<i64>, signed_at: &[i64]) -> Vec<Finding> {
    let mut out = Vec::new();
    let timed: Vec<(usize, &Hop, i64)> = hops
        .iter()
        .enumerate()
        .filter_map(|(i, h)| Some((i, h, h.time?)))
        .collect();
    for w in timed.windows(2) {
        let ((i, a, ta), (j, b, tb)) = (w[0], w[1]);
        if tb + SKEW < ta {
            out.push(Finding::new(
                FindingKind::ReceivedTimeReversed,
                Severity::Notice,
                format!(
                    "relay {} stamped the message at {}, {} before the relay before it ({}, {})",
                    b.by.as_deref().unwrap_or("(unnamed)"),
                    when(tb),
                    span(ta - tb),
                    a.by.as_deref().unwrap_or("(unnamed)"),
                    when(ta)
                ),
                json!({ "hops": [i, j], "times": [ta, tb] }),
            ));
        }
    }
    if let (Some(date), Some(&(_, first, t))) = (date, timed.first()) {
        if t + SKEW < date {
            out.push(Finding::new(
                FindingKind::ReceivedBeforeDate,
                Severity::Notice,
                format!(
                    "the first relay ({}) received the message at {}, {} before the time its Date header gives ({})",
                    first.by.as_deref().unwrap_or("(unnamed)"),
                    when(t),
                    span(date - t),
                    when(date)
                ),
                json!({ "date": date, "first_hop": t }),
            ));
        } else if t - date > 3 * DAY {
            out.push(Finding::new(
                FindingKind::ReceivedDelay,
                Severity::Info,
                format!(
                    "the first relay received the message {} after its Date header ({} then {})",
                    span(t - date),
                    when(date),
                    when(t)
                ),
                json!({ "date": date, "first_hop": t }),
            ));
        }
    }
    if let Some(date) = date {
        for &t in signed_at {
            if t + SKEW < date {
                out.push(Finding::new(
                    FindingKind::SignedBeforeDate,
                    Severity::Notice,
                    format!(
                        "the DKIM signature was made at {}, {} before the Date header ({})",
                        when(t),
                        span(date - t),
                        when(date)
                    ),
                    json!({ "date": date, "t": t }),
                ));
            } else if t - date > 3 * DAY {
                out.push(Finding::new(
                    FindingKind::SignedLongAfterDate,
                    Severity::Notice,
                    format!(
                        "the DKIM signature was made at {}, {} after the Date header ({}): the Date may be back-dated",
                        when(t),
                        span(t - date),
                        when(date)
                    ),
                    json!({ "date": date, "t": t }),
                ));
            }
        }
    }
    out
}

/// Findings on one attachment against the message that carries it.
///
/// A document cannot have been saved after the message carrying it was
/// sent. Saved more than a day later (beyond any clock or zone confusion)
/// means the attachment, or the Date, was put there afterwards: strong.
pub fn document_findings(name: &str, meta: &Meta, date: Option<i64>) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(date) = date {
        for (kind, stamp, what) in [
            (
                FindingKind::DocumentModifiedAfterMessage,
                &meta.modified,
                "last saved",
            ),
            (
                FindingKind::DocumentCreatedAfterMessage,
                &meta.created,
                "created",
            ),
        ] {
            let Some(s) = stamp else { continue };
            // A stamp without a zone can be 14 hours off.
            let slack = if s.zoned { HOUR } else { 14 * HOUR };
            let late = s.unix - date;
            if late <= slack {
                continue;
            }
            let severity = if late > DAY + slack {
                Severity::Strong
            } else {
                Severity::Notice
            };
            out.push(Finding::new(
                kind,
                severity,
                format!(
                    "{name:?} was {what} {} ({}), {} after the message carrying it was sent ({}){}",
                    s.raw,
                    when(s.unix),
                    span(late),
                    when(date),
                    match &meta.last_editor.as_ref().or(meta.author.as_ref()) {
                        Some(who) => format!(", by {who:?}"),
                        None => String::new(),
                    }
                ),
                json!({ "attachment": name, "stamp": s, "date": date, "by": meta.last_editor.as_ref().or(meta.author.as_ref()) }),
            ));
            // One late stamp says it; the created one adds nothing after.
            break;
        }
    }
    if let Some(n) = meta.revisions.filter(|n| *n > 1)
        && meta.kind == Some(crate::document::Kind::Pdf)
    {
        out.push(Finding::new(
            FindingKind::PdfIncrementalUpdates,
            Severity::Info,
            format!("{name:?} holds {n} saved revisions: earlier versions of its content may be recoverable"),
            json!({ "attachment": name, "revisions": n }),
        ));
    }
    for w in &meta.warnings {
        out.push(Finding::new(
            FindingKind::DocumentContainerWarning,
            Severity::Info,
            format!("{name:?}: {w}"),
            json!({ "attachment": name, "warning": w }),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hops_bottom_up_with_times() {
        let raw = b"Received: from b.example (b.example [192.0.2.2]) by c.example with ESMTP id X2; Thu, 4 Feb 2016 10:00:00 +0000\r\n\
Received: from a.example by b.example with SMTP id X1; Thu, 4 Feb 2016 11:00:00 +0000\r\n\
Date: Thu, 4 Feb 2016 10:30:00 +0000\r\n\r\nbody\r\n";
        let h = hops(raw);
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].by.as_deref(), Some("b.example"));
        assert_eq!(h[1].by.as_deref(), Some("c.example"));
        let f = header_findings(&h, Some(1454581800), &[]);
        let kinds: Vec<&str> = f.iter().map(|f| f.kind.name()).collect();
        assert_eq!(kinds, ["received_time_reversed"]);
        assert!(
            f[0].explanation.contains("c.example"),
            "{}",
            f[0].explanation
        );
    }
}
