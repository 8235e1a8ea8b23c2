//! The verification report a newsroom can publish beside its story: totals
//! per verdict, per signing domain and selector, the keys still missing,
//! and every flagged message with its evidence. One self-contained HTML
//! file (no script, no remote load), or JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::verification::Signer;
use crate::{Case, Reason, Result, Severity, Verdict};

#[derive(Debug, Serialize)]
pub struct Report {
    pub roots: Vec<String>,
    pub messages: u64,
    pub copies: u64,
    /// Copies per verdict (what each file in the dump is), by the
    /// verdict's name; `not_verified` counts copies not verified yet.
    pub verdicts: BTreeMap<String, u64>,
    /// Per signing domain and selector: signatures by result.
    pub signers: BTreeMap<String, BTreeMap<String, u64>>,
    pub missing_keys: Vec<(String, String, u64)>,
    /// Every copy judged tampered or forged, with why.
    pub flagged: Vec<Flagged>,
    /// Forensic findings per kind and severity.
    pub findings: BTreeMap<String, BTreeMap<String, u64>>,
    /// Findings about the dump as a whole (document clusters).
    pub case_findings: Vec<crate::FindingRow>,
}

#[derive(Debug, Serialize)]
pub struct Flagged {
    pub source: String,
    pub verdict: Verdict,
    pub from: Option<String>,
    pub subject: Option<String>,
    pub date: Option<String>,
    pub message_id: Option<String>,
    pub sha256: String,
    #[serde(serialize_with = "crate::as_words")]
    pub reasons: Vec<Reason>,
    /// Forensic findings beside the verdict (notices and stronger).
    pub findings: Vec<String>,
}

impl Case {
    pub fn report(&self) -> Result<Report> {
        let mut verdicts: BTreeMap<String, u64> = BTreeMap::new();
        let mut flagged = Vec::new();
        let mut copies = 0;
        self.for_each_occurrence(|row| {
            copies += 1;
            let name = row.verdict.map_or(NOT_VERIFIED, Verdict::name);
            *verdicts.entry(name.to_string()).or_default() += 1;
            if let Some(v) = row.verdict.filter(|v| v.accuses()) {
                flagged.push(Flagged {
                    source: row.source,
                    verdict: v,
                    from: row.from,
                    subject: row.subject,
                    date: row.date_raw,
                    message_id: row.message_id,
                    sha256: row.sha256,
                    reasons: row.reasons,
                    findings: row
                        .findings
                        .into_iter()
                        .filter(|f| f.severity > Severity::Info)
                        .map(|f| format!("{} ({}): {}", f.kind, f.severity, f.explanation))
                        .collect(),
                });
            }
            Ok(())
        })?;
        let mut signers: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        let mut st = self.conn.prepare("SELECT signers FROM verdicts")?;
        for row in st.query_map([], |r| r.get::<_, Option<String>>(0))? {
            let list: Vec<Signer> = row?
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default();
            for s in list {
                let result = if s.key == "found" {
                    s.result
                } else {
                    format!("key {}", s.key)
                };
                *signers
                    .entry(format!("{} (s={})", s.domain, s.selector))
                    .or_default()
                    .entry(result)
                    .or_default() += 1;
            }
        }
        let messages = self
            .conn
            .query_row("SELECT COUNT(*) FROM messages", [], |r| r.get::<_, i64>(0))?
            as u64;
        let mut findings: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        let mut st = self
            .conn
            .prepare("SELECT kind, severity, COUNT(*) FROM findings GROUP BY kind, severity")?;
        for row in st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })? {
            let (kind, severity, n) = row?;
            findings.entry(kind).or_default().insert(severity, n as u64);
        }
        let case_findings = self
            .findings(None)?
            .into_iter()
            .filter(|f| f.message.is_none())
            .collect();
        Ok(Report {
            findings,
            case_findings,
            roots: self.roots()?,
            messages,
            copies,
            verdicts,
            signers,
            missing_keys: self.missing_keys()?,
            flagged,
        })
    }
}

/// Escape text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The name under which copies not verified yet are counted.
const NOT_VERIFIED: &str = "not_verified";

pub fn html(r: &Report) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
<title>Verification report</title><style>\
body{{font:15px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}}\
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}}\
.tampered{{color:#a40}}.forged{{color:#b00}}.authentic,.authentic_transformed{{color:#060}}code{{font-size:90%;word-break:break-all}}\
</style></head><body><h1>Verification report</h1>"
    );
    let _ = write!(
        h,
        "<p>{} distinct messages in {} copies, read from {}.</p>",
        r.messages,
        r.copies,
        r.roots
            .iter()
            .map(|s| escape(s))
            .collect::<Vec<_>>()
            .join(", ")
    );
    h.push_str("<h2>Verdicts</h2><table><tr><th>verdict</th><th>copies</th><th>meaning</th></tr>");
    // Proof first, accusations last, as everywhere.
    let rows = Verdict::ALL
        .iter()
        .map(|v| (v.name(), v.meaning()))
        .chain([(NOT_VERIFIED, "not verified yet (`tamis verify`)")]);
    for (v, meaning) in rows {
        let Some(n) = r.verdicts.get(v) else {
            continue;
        };
        let _ = write!(
            h,
            "<tr><td class=\"{0}\">{0}</td><td>{n}</td><td>{1}</td></tr>",
            escape(v),
            escape(meaning)
        );
    }
    h.push_str("</table><h2>Signing domains and selectors</h2><table><tr><th>signer</th><th>results</th></tr>");
    for (s, results) in &r.signers {
        let list: Vec<String> = results
            .iter()
            .map(|(k, n)| format!("{n} {}", escape(k)))
            .collect();
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(s),
            list.join(", ")
        );
    }
    h.push_str("</table><h2>Keys missing</h2>");
    if r.missing_keys.is_empty() {
        h.push_str("<p>None: every signature's key is in the archive.</p>");
    } else {
        h.push_str("<p>No archive holds these keys; finding them would settle these messages.</p><table><tr><th>record</th><th>messages</th></tr>");
        for (d, s, n) in &r.missing_keys {
            let _ = write!(
                h,
                "<tr><td><code>{}._domainkey.{}</code></td><td>{n}</td></tr>",
                escape(s),
                escape(d)
            );
        }
        h.push_str("</table>");
    }
    h.push_str("<h2>Forensic findings</h2><table><tr><th>finding</th>");
    for s in Severity::ALL.iter().rev() {
        let _ = write!(h, "<th>{s}</th>");
    }
    h.push_str("</tr>");
    for (kind, by) in &r.findings {
        let _ = write!(h, "<tr><td>{}</td>", escape(kind));
        for s in Severity::ALL.iter().rev() {
            let _ = write!(h, "<td>{}</td>", by.get(s.name()).copied().unwrap_or(0));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    for f in &r.case_findings {
        let members = f.data["members"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|x| x.as_str())
                    .map(|x| format!("<li><code>{}</code></li>", escape(x)))
                    .collect::<String>()
            })
            .unwrap_or_default();
        let _ = write!(
            h,
            "<h3>{}: {}</h3><ul>{members}</ul>",
            escape(f.kind.name()),
            escape(&f.explanation)
        );
    }
    let _ = write!(h, "<h2>Flagged messages ({})</h2>", r.flagged.len());
    for f in &r.flagged {
        let _ = write!(
            h,
            "<h3 class=\"{v}\">{v}: {subject}</h3><table>\
<tr><th>found at</th><td><code>{src}</code></td></tr><tr><th>From</th><td>{from}</td></tr>\
<tr><th>Date</th><td>{date}</td></tr><tr><th>Message-ID</th><td><code>{mid}</code></td></tr>\
<tr><th>SHA-256</th><td><code>{sha}</code></td></tr><tr><th>why</th><td><ul>{why}</ul></td></tr>\
<tr><th>findings</th><td><ul>{found}</ul></td></tr></table>",
            v = f.verdict,
            subject = escape(f.subject.as_deref().unwrap_or("(no subject)")),
            src = escape(&f.source),
            from = escape(f.from.as_deref().unwrap_or("")),
            date = escape(f.date.as_deref().unwrap_or("")),
            mid = escape(f.message_id.as_deref().unwrap_or("")),
            sha = escape(&f.sha256),
            why = f
                .reasons
                .iter()
                .map(|r| format!("<li>{}</li>", escape(&r.to_string())))
                .collect::<String>(),
            found = f
                .findings
                .iter()
                .map(|r| format!("<li>{}</li>", escape(r)))
                .collect::<String>(),
        );
    }
    h.push_str("<h2>Method</h2><p>Each message was read byte for byte from the dump; every DKIM signature was checked offline against an archive of the keys the domains published at the time. For each signature the header signature and the body hash are checked separately; a failing RSA signature is opened with the key to tell altered headers from a signature made with another key. Changes made by archiving tools are undone only by a short, named list of repairs, none of which can make a forged signature verify. Every message can be re-checked with <code>tamis check</code>. Forensic findings (Received chains, the authoring metadata of attachments, the people of the dump, copies sharing a Message-ID) are shown beside the verdicts; only a strong one (an attachment saved more than a day after the message carrying it) makes a message no signature proves <em>forged</em>, and none overrules a signature.</p></body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_hostile_text() {
        assert_eq!(
            escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        let r = Report {
            roots: vec!["d".into()],
            messages: 1,
            copies: 1,
            verdicts: BTreeMap::from([("forged".into(), 1)]),
            signers: BTreeMap::new(),
            missing_keys: Vec::new(),
            flagged: vec![Flagged {
                source: "a.eml".into(),
                verdict: Verdict::Forged,
                from: Some("<img src=x onerror=alert(1)>".into()),
                subject: Some("<b>hi</b>".into()),
                date: None,
                message_id: None,
                sha256: "00".into(),
                reasons: vec![Reason::Finding {
                    kind: "document_author_unknown".into(),
                    explanation: "<iframe>".into(),
                }],
                findings: vec!["document_author_unknown (notice): \"<script>\"".into()],
            }],
            findings: BTreeMap::from([("<svg onload=alert(1)>".into(), BTreeMap::new())]),
            case_findings: vec![crate::FindingRow {
                kind: crate::FindingKind::DocumentCluster,
                severity: Severity::Notice,
                message: None,
                attachment: None,
                explanation: "<object data=x>".into(),
                data: serde_json::json!({ "members": ["<embed src=y>"] }),
            }],
        };
        let page = html(&r);
        for hostile in [
            "<img", "<iframe", "<b>hi", "<script", "<svg", "<object", "<embed",
        ] {
            assert!(!page.contains(hostile), "{hostile}");
        }
        assert!(page.contains("default-src 'none'"));
    }
}
