//! The DKIM-Signature header field (RFC 6376 3.5), parsed and checked.

use serde::{Deserialize, Serialize};
use tamis_keys::tag_list_strict as tag_list;

use crate::canon::Canon;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    #[serde(rename = "rsa-sha256")]
    RsaSha256,
    #[serde(rename = "rsa-sha1")]
    RsaSha1,
    #[serde(rename = "ed25519-sha256")]
    Ed25519Sha256,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::RsaSha256 => "rsa-sha256",
            Algorithm::RsaSha1 => "rsa-sha1",
            Algorithm::Ed25519Sha256 => "ed25519-sha256",
        }
    }

    pub fn hash_name(self) -> &'static str {
        match self {
            Algorithm::RsaSha1 => "sha1",
            _ => "sha256",
        }
    }
}

#[derive(Clone, Debug, Hash, Serialize, Deserialize)]
pub struct Signature {
    pub algorithm: Algorithm,
    pub domain: String,
    pub selector: String,
    pub header_canon: Canon,
    pub body_canon: Canon,
    /// `h=`, as listed (case kept).
    pub headers: Vec<String>,
    /// `i=`, as written.
    pub identity: Option<String>,
    pub body_length: Option<u64>,
    pub timestamp: Option<i64>,
    pub expiration: Option<i64>,
    #[serde(skip)]
    pub signature: Unreported,
    #[serde(skip)]
    pub body_hash: Unreported,
}

/// Bytes a check needs that the evidence does not show (the decoded `b=`
/// and `bh=`): out of its JSON, and so out of the digest that tells whether
/// a verdict written before still holds (`Hash`; the digest covers what is
/// written, and these were a third of it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Unreported(pub Vec<u8>);

impl std::hash::Hash for Unreported {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl std::ops::Deref for Unreported {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// Why a signature cannot be evaluated at all (RFC 6376 `permerror`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("{0}")]
    Syntax(String),
    #[error("missing required tag {0}=")]
    Missing(&'static str),
    #[error("unsupported version v={0}")]
    Version(String),
    #[error("unsupported algorithm a={0}")]
    Algorithm(String),
    #[error("unsupported canonicalisation c={0}")]
    Canon(String),
    #[error("h= does not include From")]
    FromNotSigned,
    #[error("i= {0} is not within d= {1}")]
    Identity(String, String),
    #[error("x= is before t=")]
    ExpiresBeforeSigned,
    #[error("q= {0} is not a supported key query method")]
    Query(String),
}

fn b64(v: &str) -> Result<Vec<u8>, SignatureError> {
    crate::decode_b64(v)
        .ok_or_else(|| SignatureError::Syntax("b= or bh= is not valid base64".into()))
}

fn number(v: &str, tag: &str) -> Result<u64, SignatureError> {
    let v = v.trim();
    // RFC 6376 limits these to 12 digits; longer is a syntax error.
    if v.is_empty() || v.len() > 12 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::Syntax(format!("{tag}= is not a number")));
    }
    v.parse()
        .map_err(|_| SignatureError::Syntax(format!("{tag}= is not a number")))
}

/// Parse the value of a DKIM-Signature field (unfolded or not).
pub fn parse(value: &[u8]) -> Result<Signature, SignatureError> {
    let text = crate::message::lossy(value);
    let tags = tag_list(&text).map_err(|e| SignatureError::Syntax(e.to_string()))?;
    let get = |n: &str| tags.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
    let need = |n: &'static str| get(n).ok_or(SignatureError::Missing(n));
    match get("v") {
        Some("1") => {}
        Some(v) => return Err(SignatureError::Version(v.to_string())),
        None => return Err(SignatureError::Missing("v")),
    }
    let a = need("a")?;
    let algorithm = [
        Algorithm::RsaSha256,
        Algorithm::RsaSha1,
        Algorithm::Ed25519Sha256,
    ]
    .into_iter()
    .find(|alg| alg.name().eq_ignore_ascii_case(a))
    .ok_or_else(|| SignatureError::Algorithm(a.to_ascii_lowercase()))?;
    let (header_canon, body_canon) = {
        let c = get("c").unwrap_or("simple/simple");
        let (h, b) = c.split_once('/').unwrap_or((c, "simple"));
        let one = |s: &str| match s.trim() {
            s if s.eq_ignore_ascii_case("simple") => Ok(Canon::Simple),
            s if s.eq_ignore_ascii_case("relaxed") => Ok(Canon::Relaxed),
            _ => Err(SignatureError::Canon(c.to_ascii_lowercase())),
        };
        (one(h)?, one(b)?)
    };
    let domain = need("d")?.trim().trim_end_matches('.').to_ascii_lowercase();
    if domain.is_empty()
        || !domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
    {
        return Err(SignatureError::Syntax(format!(
            "d={domain:?} is not a domain name"
        )));
    }
    let selector = need("s")?.trim().to_ascii_lowercase();
    if selector.is_empty()
        || !selector
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
    {
        return Err(SignatureError::Syntax(format!(
            "s={selector:?} is not a selector"
        )));
    }
    let headers: Vec<String> = need("h")?
        .split(':')
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .collect();
    if !headers.iter().any(|h| h.eq_ignore_ascii_case("from")) {
        return Err(SignatureError::FromNotSigned);
    }
    // i= is dkim-quoted-printable (RFC 6376 2.11): `=40` is `@`.
    let identity = get("i").map(qp_decode);
    if let Some(i) = &identity {
        let idom = i.rsplit('@').next().unwrap_or("").to_ascii_lowercase();
        let within = idom
            .strip_suffix(domain.as_str())
            .is_some_and(|sub| sub.is_empty() || sub.ends_with('.'));
        if !within {
            return Err(SignatureError::Identity(i.clone(), domain));
        }
    }
    if let Some(q) = get("q")
        && !q
            .split(':')
            .any(|m| m.trim().eq_ignore_ascii_case("dns/txt"))
    {
        return Err(SignatureError::Query(q.to_string()));
    }
    let timestamp = get("t")
        .map(|v| number(v, "t"))
        .transpose()?
        .map(|n| n as i64);
    let expiration = get("x")
        .map(|v| number(v, "x"))
        .transpose()?
        .map(|n| n as i64);
    if let (Some(t), Some(x)) = (timestamp, expiration)
        && x < t
    {
        return Err(SignatureError::ExpiresBeforeSigned);
    }
    Ok(Signature {
        algorithm,
        domain,
        selector,
        header_canon,
        body_canon,
        headers,
        identity,
        body_length: get("l").map(|v| number(v, "l")).transpose()?,
        timestamp,
        expiration,
        signature: Unreported(b64(need("b")?)?),
        body_hash: Unreported(b64(need("bh")?)?),
    })
}

fn qp_decode(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && let Some(h) = b.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(&String::from_utf8_lossy(h), 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        if !b[i].is_ascii_whitespace() {
            out.push(b[i]);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The field as it is hashed: with the value of `b=` removed (RFC 6376
/// 3.7), everything else byte for byte.
pub fn without_b_value(raw: &[u8]) -> Vec<u8> {
    let colon = memchr::memchr(b':', raw).unwrap_or(0);
    let mut out = raw[..=colon.min(raw.len().saturating_sub(1))].to_vec();
    let value = &raw[(colon + 1).min(raw.len())..];
    // Walk the tags: each runs to the next ';' (tag values cannot hold ';').
    let mut start = 0;
    while start <= value.len() {
        let end = memchr::memchr(b';', &value[start..]).map_or(value.len(), |i| start + i);
        let tag = &value[start..end];
        let name_end = tag.iter().position(|b| *b == b'=').unwrap_or(tag.len());
        let mut name = tag[..name_end].iter().filter(|b| !b.is_ascii_whitespace());
        if name.next() == Some(&b'b') && name.next().is_none() {
            out.extend_from_slice(&tag[..=name_end.min(tag.len().saturating_sub(1))]);
            // Keep the field's final line end, if the value ran to it.
            if end == value.len() {
                let trail = tag.len()
                    - tag
                        .iter()
                        .rev()
                        .take_while(|b| **b == b'\r' || **b == b'\n')
                        .count();
                out.extend_from_slice(&tag[trail.max(name_end + 1).min(tag.len())..]);
            }
        } else {
            out.extend_from_slice(tag);
        }
        if end < value.len() {
            out.push(b';');
        }
        start = end + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_only_the_b_value() {
        let raw = b"DKIM-Signature: v=1; a=rsa-sha256; bh=abc=;\r\n\tb=dGVz\r\n dA==; h=from\r\n";
        assert_eq!(
            without_b_value(raw),
            b"DKIM-Signature: v=1; a=rsa-sha256; bh=abc=;\r\n\tb=; h=from\r\n".to_vec()
        );
        let last = b"DKIM-Signature: v=1; b=xyz\r\n";
        assert_eq!(
            without_b_value(last),
            b"DKIM-Signature: v=1; b=\r\n".to_vec()
        );
    }

    #[test]
    fn parses_and_checks_tags() {
        let ok = b" v=1; a=rsa-sha256; c=relaxed; d=Example.org; s=sel; h=From:To; bh=YWJj; b=ZGVm; l=10; t=5; x=9; i=@mail.example.org";
        let s = parse(ok).unwrap();
        assert_eq!(
            (s.domain.as_str(), s.header_canon, s.body_canon),
            ("example.org", Canon::Relaxed, Canon::Simple)
        );
        assert_eq!(
            (s.body_length, s.timestamp, s.expiration),
            (Some(10), Some(5), Some(9))
        );
        let bad: &[(&[u8], &str)] = &[
            (b"a=rsa-sha256; d=x; s=y; h=from; bh=; b=", "no v="),
            (b"v=1; a=rsa-md5; d=x; s=y; h=from; bh=; b=", "algorithm"),
            (
                b"v=1; a=rsa-sha256; d=x; s=y; h=to; bh=; b=",
                "From unsigned",
            ),
            (
                b"v=1; a=rsa-sha256; d=x.org; s=y; h=from; bh=; b=; i=@other.org",
                "identity",
            ),
            (
                b"v=1; a=rsa-sha256; d=x; s=y; h=from; bh=; b=; t=9; x=5",
                "expires before",
            ),
            (
                b"v=1; a=rsa-sha256; d=legitimate.com(.attacker.com; s=y; h=from; bh=; b=",
                "bad domain",
            ),
            (
                b"v=1; v=1; a=rsa-sha256; d=x; s=y; h=from; bh=; b=",
                "duplicate",
            ),
        ];
        for (raw, what) in bad {
            assert!(parse(raw).is_err(), "{what}");
        }
    }
}
