//! Import formats: JSON lines, zone-file TXT records and `dig` output.

use tamis_time::parse_time;

use crate::KeyRecord;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ImportError {
    pub line: usize,
    pub reason: String,
}

/// The formats a key file may be in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFileFormat {
    JsonLines,
    Zone,
    Dig,
}

impl KeyFileFormat {
    /// Which format `text` is in, from its first non-empty line (JSON lines
    /// open with `{`) and `dig`'s own banner or section names; anything
    /// else is read as a zone file.
    pub fn detect(text: &str) -> KeyFileFormat {
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        if first.trim_start().starts_with('{') {
            KeyFileFormat::JsonLines
        } else if text.contains("<<>> DiG") || text.contains(";; ANSWER SECTION") {
            KeyFileFormat::Dig
        } else {
            KeyFileFormat::Zone
        }
    }
}

/// The key records in `text`, in whichever format it is in.
pub fn parse_any(text: &str) -> Vec<Result<KeyRecord, ImportError>> {
    match KeyFileFormat::detect(text) {
        KeyFileFormat::JsonLines => parse_jsonl(text),
        KeyFileFormat::Zone => parse_zone(text),
        KeyFileFormat::Dig => parse_dig(text),
    }
}

/// `{"domain","selector","record","first_seen","last_seen","revealed_at","source"}`
/// per line; all but the first three optional, unknown fields ignored.
/// Lines with `"error"` instead of a record (a lookup that failed) are
/// skipped, not reported: they say no key was found.
pub fn parse_jsonl(text: &str) -> Vec<Result<KeyRecord, ImportError>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let err = |reason: String| ImportError {
            line: line_no,
            reason,
        };
        let v: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                out.push(Err(err(format!("not JSON: {e}"))));
                continue;
            }
        };
        let s = |k: &str| v.get(k).and_then(|x| x.as_str());
        let (Some(domain), Some(selector)) = (s("domain"), s("selector")) else {
            out.push(Err(err("needs \"domain\" and \"selector\"".into())));
            continue;
        };
        let Some(record) = s("record") else {
            if v.get("error").is_none() {
                out.push(Err(err("needs \"record\"".into())));
            }
            continue;
        };
        let mut r = KeyRecord::new(domain, selector, record);
        let time = |k: &str| -> Result<Option<i64>, ImportError> {
            match v.get(k) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::Number(n)) => Ok(n.as_i64()),
                Some(serde_json::Value::String(t)) => parse_time(t)
                    .map(Some)
                    .ok_or_else(|| err(format!("{k}: cannot read the time {t:?}"))),
                Some(other) => Err(err(format!("{k}: cannot read the time {other}"))),
            }
        };
        match (time("first_seen"), time("last_seen"), time("revealed_at")) {
            (Ok(f), Ok(l), Ok(rv)) => {
                r.first_seen = f;
                r.last_seen = l;
                r.revealed_at = rv;
            }
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                out.push(Err(e));
                continue;
            }
        }
        r.source = s("source").map(str::to_string);
        out.push(Ok(r));
    }
    out
}

/// Zone-file TXT records: `sel._domainkey.example.org. 3600 IN TXT ( "a" "b" )`,
/// multi-string and parenthesised over several lines. A comment after the
/// record may carry `first_seen=`, `last_seen=`, `revealed_at=`.
pub fn parse_zone(text: &str) -> Vec<Result<KeyRecord, ImportError>> {
    let mut out = Vec::new();
    let mut origin: Option<String> = None;
    let mut pending: Option<(usize, String)> = None;
    let mut depth = 0i32;
    for (i, line) in text.lines().enumerate() {
        let (code, comment) = split_comment(line);
        if pending.is_none() {
            let t = code.trim();
            if let Some(o) = t.strip_prefix("$ORIGIN") {
                origin = Some(o.trim().trim_end_matches('.').to_string());
                continue;
            }
            if t.is_empty() || t.starts_with('$') {
                continue;
            }
            pending = Some((i + 1, String::new()));
        }
        let Some((start, buf)) = pending.as_mut() else {
            continue;
        };
        buf.push_str(code);
        buf.push(' ');
        depth += count_parens(code);
        if depth <= 0 {
            let start = *start;
            let record = std::mem::take(buf);
            pending = None;
            depth = 0;
            if let Some(r) = zone_record(&record, origin.as_deref(), comment, start) {
                out.push(r);
            }
        }
    }
    if let Some((start, _)) = pending {
        out.push(Err(ImportError {
            line: start,
            reason: "record never closes its parenthesis".into(),
        }));
    }
    out
}

/// `dig` answers: the ANSWER SECTION lines (`name. TTL IN TXT "..." "..."`).
pub fn parse_dig(text: &str) -> Vec<Result<KeyRecord, ImportError>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with(';') {
            continue;
        }
        if let Some(r) = zone_record(t, None, "", i + 1) {
            out.push(r);
        }
    }
    out
}

/// Code and comment of a zone line; `;` inside quotes is text.
fn split_comment(line: &str) -> (&str, &str) {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if quoted && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => quoted = !quoted,
            ';' if !quoted => return (&line[..i], &line[i + 1..]),
            _ => {}
        }
        escaped = false;
    }
    (line, "")
}

fn count_parens(code: &str) -> i32 {
    let mut quoted = false;
    let mut n = 0;
    for c in code.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => n += 1,
            ')' if !quoted => n -= 1,
            _ => {}
        }
    }
    n
}

fn zone_record(
    record: &str,
    origin: Option<&str>,
    comment: &str,
    line: usize,
) -> Option<Result<KeyRecord, ImportError>> {
    let err = |reason: &str| {
        Some(Err(ImportError {
            line,
            reason: reason.into(),
        }))
    };
    let first_quote = record.find('"');
    let head = &record[..first_quote.unwrap_or(record.len())];
    let fields: Vec<&str> = head
        .split_whitespace()
        .filter(|f| *f != "(" && *f != ")")
        .collect();
    let txt = fields.iter().position(|f| f.eq_ignore_ascii_case("TXT"))?;
    let name = fields.first()?;
    if txt == 0 {
        return err("TXT record without a name");
    }
    let fqdn = if name.ends_with('.') || origin.is_none() {
        name.trim_end_matches('.').to_string()
    } else {
        format!("{name}.{}", origin.unwrap_or_default())
    };
    let lower = fqdn.to_ascii_lowercase();
    let Some((selector, domain)) = lower.split_once("._domainkey.") else {
        // Not a DKIM key (SPF, DMARC...): not ours to import.
        return None;
    };
    let Some(q) = first_quote else {
        return err("TXT record without a quoted string");
    };
    let Some(value) = quoted_strings(&record[q..]) else {
        return err("unterminated quoted string");
    };
    let mut r = KeyRecord::new(domain, selector, &value);
    for word in comment.split_whitespace() {
        if let Some((k, v)) = word.split_once('=') {
            let t = parse_time(v);
            match k {
                "first_seen" => r.first_seen = t,
                "last_seen" => r.last_seen = t,
                "revealed_at" => r.revealed_at = t,
                _ => {}
            }
        }
    }
    Some(Ok(r))
}

/// Concatenate `"a" "b"` (with `\"`, `\\` and `\DDD` escapes) as DNS joins
/// the strings of one TXT record: with nothing between them.
fn quoted_strings(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c != '"') {
            chars.next();
        }
        if chars.next().is_none() {
            return Some(out);
        }
        loop {
            match chars.next()? {
                '"' => break,
                '\\' => {
                    let c = chars.next()?;
                    if c.is_ascii_digit() {
                        let d2 = chars.next()?;
                        let d3 = chars.next()?;
                        let code: u32 = format!("{c}{d2}{d3}").parse().ok()?;
                        out.push(char::from_u32(code)?);
                    } else {
                        out.push(c);
                    }
                }
                c => out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_lines_with_windows() {
        let text = r#"{"domain": "Campaign.Example.org", "selector": "s2016a", "record": "v=DKIM1; p=", "first_seen": "2015-12-10T00:00:00Z", "last_seen": 1471305600, "source": "archive"}
{"domain": "x.org", "selector": "gone", "error": "nxdomain"}
not json
{"domain": "x.org", "selector": "s", "record": "p=", "revealed_at": "someday"}
"#;
        let got = parse_jsonl(text);
        assert_eq!(got.len(), 3);
        let r = got[0].as_ref().unwrap();
        assert_eq!(
            (r.domain.as_str(), r.first_seen, r.last_seen),
            (
                "campaign.example.org",
                Some(1_449_705_600),
                Some(1_471_305_600)
            )
        );
        assert_eq!(got[1].as_ref().unwrap_err().line, 3);
        assert_eq!(got[2].as_ref().unwrap_err().line, 4);
    }

    #[test]
    fn reads_zone_files_multi_string_and_parenthesised() {
        let text = r#"$TTL 3600
$ORIGIN example.org.
; a comment line
s1._domainkey IN TXT ( "v=DKIM1; k=rsa; "
    "p=AB" "CD" ) ; first_seen=2016-01-01 last_seen=2016-12-31
s2._domainkey.other.example. 300 IN TXT "v=DKIM1; p=" ; revealed_at=2017-01-01
@ IN TXT "v=spf1 -all"
esc._domainkey IN TXT "a\"b\059c;d"
"#;
        let got: Vec<KeyRecord> = parse_zone(text).into_iter().map(Result::unwrap).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(
            (got[0].domain.as_str(), got[0].selector.as_str()),
            ("example.org", "s1")
        );
        assert_eq!(got[0].record, "v=DKIM1; k=rsa; p=ABCD");
        assert_eq!(
            (got[0].first_seen, got[0].last_seen),
            (Some(1_451_606_400), Some(1_483_142_400))
        );
        assert_eq!(got[1].domain, "other.example");
        assert_eq!(got[1].revealed_at, Some(1_483_228_800));
        assert_eq!(got[2].record, "a\"b;c;d");
    }

    #[test]
    fn reads_dig_answers() {
        let text = r#"; <<>> DiG 9.18 <<>> TXT 20161025._domainkey.gmail.com
;; ANSWER SECTION:
20161025._domainkey.gmail.com. 300 IN TXT "k=rsa; p=MIIB" "IjAN"
"#;
        let got: Vec<KeyRecord> = parse_dig(text).into_iter().map(Result::unwrap).collect();
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].selector.as_str(), got[0].record.as_str()),
            ("20161025", "k=rsa; p=MIIBIjAN")
        );
    }

    #[test]
    fn reads_the_sample_leak_key_files_alike() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/sample-leak/keys");
        let json = std::fs::read_to_string(dir.join("dkim-keys.jsonl")).unwrap();
        let zone = std::fs::read_to_string(dir.join("dkim-keys.zone")).unwrap();
        let a: Vec<KeyRecord> = parse_jsonl(&json).into_iter().map(Result::unwrap).collect();
        let b: Vec<KeyRecord> = parse_zone(&zone).into_iter().map(Result::unwrap).collect();
        assert_eq!(a.len(), 18);
        assert_eq!(a, b);
        for r in &a {
            crate::parse_key_record(&r.record).unwrap();
        }
    }
}

#[cfg(test)]
mod detect_tests {
    use super::*;

    #[test]
    fn formats_are_told_by_content() {
        for (text, want) in [
            ("\n{\"domain\":\"a\"}\n", KeyFileFormat::JsonLines),
            (
                "; <<>> DiG 9.18 <<>> TXT s._domainkey.a\n",
                KeyFileFormat::Dig,
            ),
            (
                ";; ANSWER SECTION:\ns._domainkey.a. 300 IN TXT \"v=DKIM1\"\n",
                KeyFileFormat::Dig,
            ),
            (
                "s._domainkey.a. IN TXT \"v=DKIM1; p=\"\n",
                KeyFileFormat::Zone,
            ),
            ("", KeyFileFormat::Zone),
        ] {
            assert_eq!(KeyFileFormat::detect(text), want, "{text:?}");
        }
    }
}
