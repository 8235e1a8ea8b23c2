//! DKIM key records (RFC 6376 3.6.1, RFC 8463): the tag list at
//! `<selector>._domainkey.<domain>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyType {
    Rsa,
    Ed25519,
    Other(String),
}

/// A parsed key record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DkimKey {
    pub key_type: KeyType,
    /// The decoded `p=`: SubjectPublicKeyInfo or bare PKCS#1 for RSA, the
    /// 32 raw bytes for Ed25519. Empty when the key is revoked.
    pub public: Vec<u8>,
    /// `p=` was empty: the key was withdrawn.
    pub revoked: bool,
    /// `h=`: hash algorithms the key may be used with (absent: any).
    pub hashes: Option<Vec<String>>,
    /// `s=`: service types (absent: any).
    pub services: Option<Vec<String>>,
    /// `t=y`: the domain was testing DKIM.
    pub testing: bool,
    /// `t=s`: the `i=` domain must equal `d=` exactly.
    pub strict: bool,
    /// `g=` (RFC 4871 granularity, dropped by RFC 6376), as written.
    pub granularity: Option<String>,
    /// Size of the RSA modulus in bits.
    pub rsa_bits: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key record syntax: {0}")]
    Syntax(String),
    #[error("key record version {0:?} is not DKIM1")]
    Version(String),
    #[error("p= is not valid base64")]
    Base64,
    #[error("p= is not an RSA public key")]
    BadRsa,
    #[error("an Ed25519 key is 32 bytes, p= holds {0}")]
    BadEd25519(usize),
}

/// Split a DKIM tag-value list: `a=b; c = d;`. Duplicate tags are an
/// error (RFC 6376 3.2); values keep inner spaces. Key records are read
/// leniently (an empty tag between two `;` is skipped: published records
/// have them, and the archive must still serve them).
pub fn tag_list(text: &str) -> Result<Vec<(&str, &str)>, KeyError> {
    parse_tags(text, false)
}

/// The same, to the letter of RFC 6376 3.2, as signatures and seals are
/// read: every tag name starts with a letter, and only the last `;` may be
/// followed by nothing.
pub fn tag_list_strict(text: &str) -> Result<Vec<(&str, &str)>, KeyError> {
    parse_tags(text, true)
}

fn parse_tags(text: &str, strict: bool) -> Result<Vec<(&str, &str)>, KeyError> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    let mut parts = text.split(';').peekable();
    while let Some(part) = parts.next() {
        let part = part.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r' || c == '\n');
        if part.is_empty() {
            if strict && parts.peek().is_some() {
                return Err(KeyError::Syntax("an empty tag between two ';'".into()));
            }
            continue;
        }
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| KeyError::Syntax(format!("{part:?} has no '='")))?;
        let name = name.trim();
        let starts_ok = !strict || name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
        if name.is_empty()
            || !starts_ok
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(KeyError::Syntax(format!("bad tag name {name:?}")));
        }
        if out.iter().any(|(n, _)| *n == name) {
            return Err(KeyError::Syntax(format!("tag {name} appears twice")));
        }
        out.push((name, value.trim()));
    }
    Ok(out)
}

fn colon_list(v: &str) -> Vec<String> {
    v.split(':')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

pub fn parse_key_record(record: &str) -> Result<DkimKey, KeyError> {
    let tags = tag_list(record)?;
    let get = |n: &str| tags.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
    if let Some((first, v)) = tags.first()
        && *first == "v"
        && *v != "DKIM1"
    {
        return Err(KeyError::Version(v.to_string()));
    }
    if tags.iter().skip(1).any(|(k, _)| *k == "v") {
        return Err(KeyError::Syntax("v= must come first".into()));
    }
    let key_type = match get("k").map(str::to_ascii_lowercase).as_deref() {
        None | Some("rsa") => KeyType::Rsa,
        Some("ed25519") => KeyType::Ed25519,
        Some(other) => KeyType::Other(other.to_string()),
    };
    let p = get("p").ok_or_else(|| KeyError::Syntax("no p= tag".into()))?;
    let compact: String = p.chars().filter(|c| !c.is_whitespace()).collect();
    let public = if compact.is_empty() {
        Vec::new()
    } else {
        B64.decode(compact.as_bytes())
            .map_err(|_| KeyError::Base64)?
    };
    let flags = get("t").map(colon_list).unwrap_or_default();
    let rsa_bits = match (&key_type, public.is_empty()) {
        (KeyType::Rsa, false) => Some(rsa_modulus(&public).ok_or(KeyError::BadRsa)?.len() * 8),
        _ => None,
    };
    if key_type == KeyType::Ed25519 && !public.is_empty() && public.len() != 32 {
        return Err(KeyError::BadEd25519(public.len()));
    }
    Ok(DkimKey {
        revoked: public.is_empty(),
        public,
        key_type,
        hashes: get("h").map(colon_list),
        services: get("s").map(colon_list),
        testing: flags.iter().any(|f| f == "y"),
        strict: flags.iter().any(|f| f == "s"),
        granularity: get("g").map(str::to_string),
        rsa_bits,
    })
}

/// The RSA modulus (big-endian, without leading zeros) of a
/// SubjectPublicKeyInfo or a bare PKCS#1 RSAPublicKey.
pub fn rsa_modulus(der: &[u8]) -> Option<&[u8]> {
    rsa_components(der).map(|(n, _)| n)
}

/// Modulus and public exponent, big-endian, leading zeros stripped.
pub fn rsa_components(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (tag, body, _) = der_item(der)?;
    if tag != 0x30 {
        return None;
    }
    let (first_tag, _, rest) = der_item(body)?;
    let rsa_key = match first_tag {
        // SubjectPublicKeyInfo: SEQUENCE { AlgorithmIdentifier, BIT STRING }
        0x30 => {
            let (bit_tag, bits, _) = der_item(rest)?;
            if bit_tag != 0x03 || bits.first() != Some(&0) {
                return None;
            }
            &bits[1..]
        }
        // Bare RSAPublicKey: SEQUENCE { INTEGER n, INTEGER e }
        0x02 => der,
        _ => return None,
    };
    let (seq, inner, _) = der_item(rsa_key)?;
    if seq != 0x30 {
        return None;
    }
    let (nt, n, rest) = der_item(inner)?;
    let (et, e, _) = der_item(rest)?;
    if nt != 0x02 || et != 0x02 {
        return None;
    }
    let n = trim_zeros(n);
    let e = trim_zeros(e);
    (!n.is_empty() && !e.is_empty()).then_some((n, e))
}

fn trim_zeros(x: &[u8]) -> &[u8] {
    let i = x.iter().position(|b| *b != 0).unwrap_or(x.len());
    &x[i..]
}

/// One DER item: (tag, contents, rest).
fn der_item(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    Some((tag, b.get(header..end)?, &b[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Signatures follow RFC 6376 3.2 to the letter: only the last `;` may
    /// be followed by nothing. Published key records are read leniently.
    #[test]
    fn empty_tags_are_refused_in_signatures_and_skipped_in_records() {
        // The tag names read, joined; `None`: refused.
        let names = |tags: Result<Vec<(&str, &str)>, KeyError>| {
            tags.ok()
                .map(|t| t.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(","))
        };
        for (text, strict) in [
            ("a=1; b=2", Some("a,b")),
            ("a=1; b=2;", Some("a,b")),
            ("a=1; b=2; \r\n", Some("a,b")),
            ("a=1; ; b=2", None),
            ("a=1;;", None),
        ] {
            assert_eq!(names(tag_list_strict(text)).as_deref(), strict, "{text:?}");
        }
        assert_eq!(names(tag_list("a=1;; b=2;;")).as_deref(), Some("a,b"));
    }

    const RSA1024: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC848PMQXuR6V4Tbj3Wb2TN/4Qon0v8ch1WoS0v5wC4/2FXHaH5g7xNwtIwgfE7kxkSqv1LnS4tUrpHjWcXJhtCkT9wkI0FOVFzKHRc7Gy7vYSFMUCnojiVVQjxY6bnyPLIIP2l/D++0awe+XCWQsjFZ+CHW5Lo/lQ/bdrUcYEU/QIDAQAB";

    #[test]
    fn parses_records_as_published() {
        let k = parse_key_record(&format!("v=DKIM1; k=rsa; p={RSA1024}")).unwrap();
        assert_eq!(
            (k.key_type.clone(), k.rsa_bits, k.revoked),
            (KeyType::Rsa, Some(1024), false)
        );
        // Folding spaces inside p= are allowed.
        let folded = format!(
            "k=rsa; t=y:s; h=sha256; p={} {}",
            &RSA1024[..40],
            &RSA1024[40..]
        );
        let k = parse_key_record(&folded).unwrap();
        assert!(k.testing && k.strict);
        assert_eq!(k.hashes, Some(vec!["sha256".to_string()]));
        assert_eq!(k.rsa_bits, Some(1024));
        let ed =
            parse_key_record("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
                .unwrap();
        assert_eq!((ed.key_type, ed.public.len()), (KeyType::Ed25519, 32));
        assert!(parse_key_record("v=DKIM1; p=").unwrap().revoked);
    }

    #[test]
    fn rejects_what_rfc_6376_rejects() {
        let table = [
            ("v=DKIM2; p=", "version"),
            ("k=rsa; v=DKIM1; p=", "v= not first"),
            ("p=abc; p=def", "duplicate"),
            ("k=rsa", "no p="),
            ("p=!!!", "base64"),
            ("k=rsa; p=AAAA", "not RSA"),
            ("k=ed25519; p=AAAA", "ed25519 length"),
        ];
        for (record, what) in table {
            assert!(parse_key_record(record).is_err(), "{what}: {record}");
        }
    }
}
