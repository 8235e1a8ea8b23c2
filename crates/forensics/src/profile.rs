//! What one message looks like, in the few traits the dump-wide checks
//! compare: who sent it with which client, from which time zone, through
//! which first relay, what domains it names, and the time its Message-ID
//! encodes.
//!
//! Profiles are small and kept per message, so the dump-wide checks (see
//! [`crate::patterns`]) are recomputed from them without reading any
//! message again.

use base64::Engine;
use mail_parser::{HeaderValue, Message, MessageParser};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The From address, lower case.
    pub from: Option<String>,
    /// The Date header, and its zone offset in minutes.
    pub date: Option<i64>,
    pub zone: Option<i32>,
    /// X-Mailer or User-Agent, without version numbers (`Microsoft
    /// Outlook`, `Mozilla Thunderbird`).
    pub client: Option<String>,
    /// The time the Message-ID encodes, by the scheme that encodes it.
    pub id_time: Option<(String, i64)>,
    /// The first relay (`by` of the bottom Received header).
    pub first_relay: Option<String>,
    /// Every domain the message names: in From, Reply-To, Sender,
    /// Return-Path, and in the links of its body.
    pub domains: Vec<String>,
    /// An HTML form with a password field (credential harvesting).
    pub password_form: bool,
    /// SimHash of the message's own text ([`crate::text::simhash`]).
    pub simhash: Option<u64>,
    /// Does it quote another message (`>` lines)?
    pub quotes: bool,
    /// The word runs of its text, as a Bloom filter (base64), and the runs
    /// it quotes ([`crate::text::digest`]).
    pub text_bloom: String,
    pub quoted_runs: Vec<u64>,
}

/// The profile of `raw` (empty where the parser finds nothing).
pub fn profile(raw: &[u8]) -> Profile {
    MessageParser::new()
        .parse(raw)
        .map(|m| profile_of(&m, &crate::text::message_text(&m)))
        .unwrap_or_default()
}

/// The profile of a parsed message and its body text ([`crate::text::message_text`]);
/// ingest parses each message once, for its catalog fields, its documents,
/// its search text and this.
pub fn profile_of(msg: &Message<'_>, text: &str) -> Profile {
    let mut p = Profile {
        from: msg
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(str::to_ascii_lowercase),
        ..Profile::default()
    };
    if let Some(d) = msg.date().filter(|d| d.is_valid()) {
        p.date = Some(d.to_timestamp());
        let sign = if d.tz_before_gmt { -1 } else { 1 };
        p.zone = Some(sign * (i32::from(d.tz_hour) * 60 + i32::from(d.tz_minute)));
    }
    p.client = msg
        .header_raw("X-Mailer")
        .or_else(|| msg.header_raw("User-Agent"))
        .map(client_family)
        .filter(|c| !c.is_empty());
    p.id_time = msg.message_id().and_then(id_time);
    p.first_relay = msg
        .headers()
        .iter()
        .filter_map(|h| match &h.value {
            HeaderValue::Received(r) => r.by.as_ref().map(|b| b.to_string().to_ascii_lowercase()),
            _ => None,
        })
        .next_back();
    let mut domains: Vec<String> = Vec::new();
    for name in ["From", "Reply-To", "Sender", "Return-Path"] {
        if let Some(v) = msg.header_raw(name) {
            domains.extend(address_domains(v));
        }
    }
    for i in 0..msg.html_body.len().max(msg.text_body.len()) {
        let text = msg
            .body_html(i)
            .map(|h| h.into_owned())
            .or_else(|| msg.body_text(i).map(|t| t.into_owned()))
            .unwrap_or_default();
        domains.extend(link_hosts(&text));
        p.password_form |= has_password_form(&text);
    }
    domains.sort();
    domains.dedup();
    p.domains = domains;
    p.simhash = crate::text::simhash(text);
    p.quotes = crate::text::quotes(text);
    let (bloom, quoted) = crate::text::digest(text);
    p.text_bloom = base64::engine::general_purpose::STANDARD.encode(bloom);
    if p.quotes {
        p.quoted_runs = quoted;
    }
    p
}

/// A client name without versions: `Microsoft Outlook 16.0` → `Microsoft
/// Outlook`; `iPhone Mail (14B100)` → `iPhone Mail`.
fn client_family(v: &str) -> String {
    v.split(['(', '/', ';'])
        .next()
        .unwrap_or("")
        .split_whitespace()
        .take_while(|w| !w.starts_with(|c: char| c.is_ascii_digit()) && !w.starts_with('v'))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Times some clients write into Message-IDs: Outlook's FILETIME
/// (`<0099 01d10302$0ba2bb05$f2ccb1d7@…>`), Mozilla's hex Unix time
/// (`<56D7F9D5.5123555@…>`).
fn id_time(id: &str) -> Option<(String, i64)> {
    let local = id.split('@').next()?;
    let parts: Vec<&str> = local.split('$').collect();
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    if parts.len() == 3 && hex(parts[0], 12) && hex(parts[1], 8) && hex(parts[2], 8) {
        let ft = u64::from_str_radix(&format!("{}{}", &parts[0][4..], parts[1]), 16).ok()?;
        return Some(("outlook".into(), (ft / 10_000_000) as i64 - 11_644_473_600));
    }
    let (a, b) = local.split_once('.')?;
    if hex(a, 8) && !b.is_empty() && b.bytes().all(|c| c.is_ascii_digit()) {
        return Some(("mozilla".into(), i64::from_str_radix(a, 16).ok()?));
    }
    None
}

fn address_domains(v: &str) -> Vec<String> {
    v.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | ',' | '"'))
        .filter_map(|w| w.rsplit_once('@'))
        .map(|(_, d)| d.trim_end_matches(['.', ';']).to_ascii_lowercase())
        .filter(|d| d.contains('.'))
        .collect()
}

/// Hosts of `http(s)://` links in a body.
fn link_hosts(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    for scheme in ["http://", "https://"] {
        for (i, _) in lower.match_indices(scheme) {
            let rest = &text[i + scheme.len()..];
            let host: String = rest
                .chars()
                .take_while(|c| {
                    !matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | ':')
                        && !c.is_whitespace()
                })
                .collect();
            let host = host.rsplit('@').next().unwrap_or("").to_lowercase();
            if host.contains('.') {
                out.push(host);
            }
        }
    }
    out
}

fn has_password_form(html: &str) -> bool {
    let l = html.to_ascii_lowercase();
    l.contains("<form")
        && (l.contains("type=\"password\"")
            || l.contains("type='password'")
            || l.contains("type=password"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_traits() {
        let raw = b"Received: from a by relay.example.org; Thu, 4 Feb 2016 15:06:55 +0000\r\n\
From: Claire <Claire@Campaign.example.org>\r\n\
Reply-To: x@campaign-secure.example.com\r\n\
Date: Thu, 4 Feb 2016 16:06:51 +0100\r\n\
Message-ID: <56B368EB.5123555@campaign.example.org>\r\n\
User-Agent: Mozilla/5.0 (Windows NT 6.1) Thunderbird/38.5.1\r\n\
Content-Type: text/html\r\n\r\n\
<a href=\"https://login.campaign-secure.example.com/x\">x</a><form><input type=password></form>\r\n";
        let p = profile(raw);
        assert_eq!(p.from.as_deref(), Some("claire@campaign.example.org"));
        assert_eq!(p.zone, Some(60));
        assert_eq!(p.client.as_deref(), Some("Mozilla"));
        assert_eq!(p.id_time, Some(("mozilla".into(), 0x56B368EB)));
        assert_eq!(p.first_relay.as_deref(), Some("relay.example.org"));
        assert_eq!(
            p.domains,
            [
                "campaign-secure.example.com",
                "campaign.example.org",
                "login.campaign-secure.example.com"
            ]
        );
        assert!(p.password_form);
        assert_eq!(client_family("Microsoft Outlook 16.0"), "Microsoft Outlook");
        assert_eq!(client_family("iPhone Mail (14B100)"), "iPhone Mail");
        let t = id_time("009901d10302$0ba2bb05$f2ccb1d7@campaign.example.org").unwrap();
        assert_eq!(t.0, "outlook");
    }
}
