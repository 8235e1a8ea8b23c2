//! The few parsed fields the catalog keeps per message.
//!
//! Parsing is mail-parser's job; this module only picks fields and makes
//! them flat text. A message the parser cannot make sense of is still
//! stored (its bytes are the evidence); its fields are simply empty and a
//! warning says why.

use std::panic::{AssertUnwindSafe, catch_unwind};

use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders};
use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Headers {
    pub message_id: Option<String>,
    /// The Date header as written.
    pub date_raw: Option<String>,
    /// The Date header in UTC, RFC 3339, when it parses.
    pub date: Option<String>,
    pub date_ts: Option<i64>,
    pub from: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub attachments: Vec<Attachment>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Attachment {
    pub name: Option<String>,
    pub content_type: String,
    pub size: u64,
}

/// What one parse of a message gives the case.
pub struct Parsed {
    pub headers: Headers,
    /// The decoded contents of each attachment, in the order of
    /// [`Headers::attachments`].
    pub parts: Vec<Vec<u8>>,
    /// The traits the forensics compare across the dump.
    pub profile: tamis_forensics::profile::Profile,
    /// What the search index reads of it.
    pub text: crate::SearchText,
}

/// Parse `bytes` once; `Err` carries the reason the fields are empty.
pub fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    match catch_unwind(AssertUnwindSafe(|| parse_inner(bytes))) {
        Ok(Some(h)) => Ok(h),
        Ok(None) => Err("the message parser found no header in it".to_string()),
        Err(_) => Err("the message parser failed on it (caught)".to_string()),
    }
}

fn parse_inner(bytes: &[u8]) -> Option<Parsed> {
    let m = MessageParser::default().parse(bytes)?;
    let date = m.date();
    let contents = m.attachments().map(|p| p.contents().to_vec()).collect();
    let headers = Headers {
        message_id: m.message_id().map(|s| format!("<{s}>")),
        date_raw: m.header_raw("Date").map(|s| s.trim().to_string()),
        date: date
            .filter(|d| d.is_valid())
            .map(|d| tamis_time::rfc3339(d.to_timestamp())),
        date_ts: date.filter(|d| d.is_valid()).map(|d| d.to_timestamp()),
        from: m.from().and_then(|a| addresses(a).into_iter().next()),
        to: m.to().map(addresses).unwrap_or_default(),
        cc: m.cc().map(addresses).unwrap_or_default(),
        subject: m.subject().map(str::to_string),
        in_reply_to: ids(m.in_reply_to()),
        references: ids(m.references()),
        attachments: m
            .attachments()
            .map(|p| Attachment {
                name: p.attachment_name().map(str::to_string),
                content_type: p
                    .content_type()
                    .map(|ct| match ct.subtype() {
                        Some(sub) => format!("{}/{}", ct.ctype(), sub),
                        None => ct.ctype().to_string(),
                    })
                    .unwrap_or_else(|| "application/octet-stream".to_string())
                    .to_ascii_lowercase(),
                size: p.len() as u64,
            })
            .collect(),
    };
    let text = crate::SearchText::of(&m);
    Some(Parsed {
        headers,
        parts: contents,
        profile: tamis_forensics::profile::profile_of(&m, &text.body),
        text,
    })
}

fn addresses(a: &Address<'_>) -> Vec<String> {
    a.iter()
        .map(|addr| match (addr.name(), addr.address()) {
            (Some(n), Some(e)) if !n.is_empty() => format!("{n} <{e}>"),
            (_, Some(e)) => e.to_string(),
            (Some(n), None) => n.to_string(),
            (None, None) => String::new(),
        })
        .filter(|s| !s.is_empty())
        .collect()
}

fn ids(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![format!("<{t}>")],
        HeaderValue::TextList(l) => l.iter().map(|t| format!("<{t}>")).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_catalog_fields() {
        let msg = b"From: =?utf-8?q?Ren=C3=A9e?= <renee@example.org>\r\n\
To: a@example.org, Bob <b@example.org>\r\n\
Subject: Re: budget\r\n\
Date: Thu, 4 Feb 2016 16:06:51 +0100\r\n\
Message-ID: <abc@example.org>\r\n\
In-Reply-To: <parent@example.org>\r\n\
References: <root@example.org> <parent@example.org>\r\n\
\r\nbody\r\n";
        let Parsed {
            headers: h, parts, ..
        } = parse(msg).unwrap();
        assert!(parts.is_empty());
        assert_eq!(h.message_id.as_deref(), Some("<abc@example.org>"));
        assert_eq!(h.from.as_deref(), Some("Renée <renee@example.org>"));
        assert_eq!(h.to, ["a@example.org", "Bob <b@example.org>"]);
        assert_eq!(h.date.as_deref(), Some("2016-02-04T15:06:51Z"));
        assert_eq!(
            h.date_raw.as_deref(),
            Some("Thu, 4 Feb 2016 16:06:51 +0100")
        );
        assert_eq!(h.references, ["<root@example.org>", "<parent@example.org>"]);
        assert_eq!(h.in_reply_to, ["<parent@example.org>"]);
    }

    #[test]
    fn garbage_gives_empty_fields_not_a_panic() {
        for input in [
            &b""[..],
            b"\xff\xfe\x00",
            b"Subject: =?x?q?\r\n\r\n",
            b":::\n\n",
        ] {
            let _ = parse(input);
        }
    }
}
