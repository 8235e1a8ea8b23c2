//! What differs between two copies of one message: tamper localisation.
//!
//! When one copy is proven authentic, every other copy under its
//! Message-ID is compared with it: the displayed headers field by field,
//! the text of the body line by line, the attachments by content. Trace
//! headers (Received, Delivered-To, Status…) differ between any two
//! mailboxes' copies and are left out, and so are the changes archives
//! make to text (line ends, trailing whitespace, mbox `>From ` quoting).

use mail_parser::{MessageParser, MimeHeaders};
use serde::Serialize;
use similar::TextDiff;

/// Displayed header fields compared between copies.
const DISPLAYED: &[&str] = &["From", "To", "Cc", "Subject", "Date", "Reply-To"];

/// Longest body diff kept, in lines.
const MAX_DIFF_LINES: usize = 200;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CopyDiff {
    /// `(field, reference value, this copy's value)`.
    pub headers: Vec<(String, String, String)>,
    /// Unified diff of the body text (reference first), capped.
    pub body: Option<String>,
    /// Attachments only in the reference, and only in this copy, as
    /// `name (size bytes)`.
    pub attachments_removed: Vec<String>,
    pub attachments_added: Vec<String>,
}

impl CopyDiff {
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
            && self.body.is_none()
            && self.attachments_removed.is_empty()
            && self.attachments_added.is_empty()
    }

    /// What changed, in a few words.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.headers.is_empty() {
            let names: Vec<&str> = self.headers.iter().map(|h| h.0.as_str()).collect();
            parts.push(format!("header {} changed", names.join(", ")));
        }
        if self.body.is_some() {
            parts.push("body text changed".to_string());
        }
        if !self.attachments_removed.is_empty() || !self.attachments_added.is_empty() {
            parts.push(format!(
                "attachments differ (only in the proven copy: {}; only in this one: {})",
                list(&self.attachments_removed),
                list(&self.attachments_added)
            ));
        }
        if parts.is_empty() {
            "only trace headers differ".to_string()
        } else {
            parts.join("; ")
        }
    }
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}

/// Compare `copy` with `reference`.
pub fn diff(reference: &[u8], copy: &[u8]) -> CopyDiff {
    let parser = MessageParser::new();
    let (Some(a), Some(b)) = (parser.parse(reference), parser.parse(copy)) else {
        return CopyDiff::default();
    };
    let mut out = CopyDiff::default();
    for name in DISPLAYED {
        let va = a
            .header_raw(*name)
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "));
        let vb = b
            .header_raw(*name)
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "));
        if va != vb {
            out.headers.push((
                name.to_string(),
                va.unwrap_or_default(),
                vb.unwrap_or_default(),
            ));
        }
    }
    // Archives change text in known, meaningless ways: line ends, trailing
    // whitespace, mbox's `>From ` quoting. Those are not differences.
    let text = |m: &mail_parser::Message<'_>| -> String {
        crate::text::message_text(m)
            .lines()
            .map(|l| {
                let l = l.trim_end();
                let unquoted = l.trim_start_matches('>');
                if unquoted.starts_with("From ") && l.len() > unquoted.len() {
                    &l[1..]
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (ta, tb) = (text(&a), text(&b));
    if ta.trim_end() != tb.trim_end() {
        let d = TextDiff::from_lines(&ta, &tb)
            .unified_diff()
            .context_radius(2)
            .header("proven copy", "this copy")
            .to_string();
        let mut lines: Vec<&str> = d.lines().take(MAX_DIFF_LINES + 1).collect();
        if lines.len() > MAX_DIFF_LINES {
            lines.truncate(MAX_DIFF_LINES);
            lines.push("[… diff cut]");
        }
        out.body = Some(lines.join("\n"));
    }
    let parts = |m: &mail_parser::Message<'_>| -> Vec<(String, Vec<u8>)> {
        m.attachments()
            .map(|p| {
                (
                    p.attachment_name().unwrap_or("(unnamed)").to_string(),
                    p.contents().to_vec(),
                )
            })
            .collect()
    };
    let (pa, pb) = (parts(&a), parts(&b));
    let label = |(n, c): &(String, Vec<u8>)| format!("{n} ({} bytes)", c.len());
    out.attachments_removed = pa.iter().filter(|x| !pb.contains(x)).map(label).collect();
    out.attachments_added = pb.iter().filter(|x| !pa.contains(x)).map(label).collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localises_a_changed_line_and_ignores_trace_headers() {
        let a = b"Received: by a\r\nFrom: x@example.org\r\nSubject: Budget\r\n\r\nline one\r\nline two\r\n";
        let b = b"Received: by b\r\nFrom: x@example.org\r\nSubject: Budget!\r\n\r\nline one\r\nline 2\r\n";
        let d = diff(a, b);
        assert_eq!(
            d.headers,
            [("Subject".into(), "Budget".into(), "Budget!".into())]
        );
        let body = d.body.as_deref().unwrap();
        assert!(
            body.contains("-line two") && body.contains("+line 2"),
            "{body}"
        );
        assert_eq!(d.summary(), "header Subject changed; body text changed");
        assert!(diff(a, a).is_empty());
        let quoted =
            b"From: x@example.org\r\nSubject: Budget\r\n\r\n>From the top  \r\nline two\r\n";
        let plain = b"From: x@example.org\r\nSubject: Budget\r\n\r\nFrom the top\nline two\n";
        assert!(diff(plain, quoted).is_empty(), "{:?}", diff(plain, quoted));
    }
}
