//! Verification: what each signature on a message proves.
//!
//! For every DKIM-Signature this crate computes two facts separately, even
//! when one fails: does the header signature verify, and does the body hash
//! match? A valid header signature with a failing body hash proves From,
//! Date, Subject and To and shows the body was altered, the single most
//! useful fact in a leak. When an RSA header signature fails, the signature
//! is opened with the key to tell altered headers from another key (see
//! [`crypto`]). Every fact is kept as evidence, with the key it rests on.
//!
//! Time is always the message's own: `t=` and `x=` are judged against when
//! the message claims to have been sent, never against today.

pub mod arc;
pub mod canon;
pub mod crypto;
pub mod message;
pub mod repair;
pub mod signature;
pub mod verdict;
pub mod vocabulary;

use base64::Engine;
pub(crate) use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use tamis_keys::{DkimKey, KeyRecord, parse_key_record};

pub use arc::{ArcReport, ChainValidation, verify_arc};
pub use crypto::HeaderCheck;
pub use message::{Field, Message};
pub use repair::Repair;
pub use signature::{Algorithm, Signature, SignatureError};
pub use verdict::{AssessOptions, Assessment, assess};
pub use vocabulary::{NotProof, Reason, SignatureFact, Verdict, body_hash_words};

/// Where keys come from: the case's key archive, a test's key file, DNS.
pub trait KeyLookup {
    fn lookup(&self, domain: &str, selector: &str) -> Lookup<'_>;
}

impl KeyLookup for tamis_keys::Archive {
    fn lookup(&self, domain: &str, selector: &str) -> Lookup<'_> {
        match self.find(domain, selector) {
            [] => Lookup::NotFound,
            found => Lookup::Found(found.into()),
        }
    }
}

#[derive(Clone, Debug)]
pub enum Lookup<'a> {
    /// Every record known for the name (one selector may have held several
    /// keys over time), lent by an archive that holds them.
    Found(std::borrow::Cow<'a, [KeyRecord]>),
    /// No record: NXDOMAIN, or no archive holds one.
    NotFound,
    /// The lookup failed for now (DNS timeout, SERVFAIL).
    TempFail(String),
}

/// The RFC 8601 result words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    Neutral,
    Permerror,
    Temperror,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Neutral => "neutral",
            Outcome::Permerror => "permerror",
            Outcome::Temperror => "temperror",
        }
    }
}

/// What the key archive gave for a signature.
#[derive(Clone, Debug, Hash, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum KeyStatus {
    Found {
        record: KeyText,
        bits: Option<usize>,
        source: Option<String>,
        first_seen: Option<i64>,
        last_seen: Option<i64>,
        revealed_at: Option<i64>,
        /// Was the record published when the message was sent? `None`: the
        /// archive does not say.
        published_then: Option<bool>,
        testing: bool,
    },
    NotFound,
    TempFail {
        reason: String,
    },
    Revoked,
    Unusable {
        reason: String,
    },
}

/// A key record's text as evidence. Shared: a handful of records stand
/// behind thousands of signatures. Hashed as its SHA-256, taken once per
/// record and thread: the digest that tells whether a verdict written
/// before still holds need not read 400 bytes of key per signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyText {
    text: std::sync::Arc<str>,
    sha256: [u8; 32],
}

impl KeyText {
    pub fn new(text: &str) -> KeyText {
        use sha2::Digest;
        KeyText {
            text: text.into(),
            sha256: sha2::Sha256::digest(text).into(),
        }
    }
}

impl std::hash::Hash for KeyText {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.sha256.hash(state);
    }
}

impl Serialize for KeyText {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<KeyText, D::Error> {
        Ok(KeyText::new(&String::deserialize(d)?))
    }
}

/// Everything known about one DKIM-Signature.
#[derive(Clone, Debug, Hash, Serialize, Deserialize)]
pub struct SignatureReport {
    /// Position among the message's DKIM-Signature fields, from the top.
    pub index: usize,
    pub signature: Option<Signature>,
    /// Why the signature could not be evaluated, if it could not.
    pub error: Option<String>,
    pub key: Option<KeyStatus>,
    pub body_hash_matches: Option<bool>,
    pub header: Option<HeaderCheck>,
    /// Bytes of canonical body after what `l=` signs.
    pub unsigned_body_bytes: Option<u64>,
    /// Displayed header fields (From, Subject, To, Cc, Date, Reply-To,
    /// Sender) the reader sees that this signature does not cover: absent
    /// from `h=`, or a copy above the one it signs.
    pub unsigned_displayed: Vec<String>,
    pub result: Outcome,
}

/// Verification options.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// The time to judge `t=` and `x=` against (Unix seconds): the
    /// message's own. `None`: do not judge them.
    pub at: Option<i64>,
}

/// Verify every DKIM-Signature of `raw`, top to bottom.
pub fn verify_dkim(raw: &[u8], keys: &dyn KeyLookup, opts: Options) -> Vec<SignatureReport> {
    verify_dkim_parsed(&Message::parse(raw), keys, opts)
}

/// The same, on a message already parsed.
pub fn verify_dkim_parsed(
    msg: &Message<'_>,
    keys: &dyn KeyLookup,
    opts: Options,
) -> Vec<SignatureReport> {
    let mut bodies = BodyHashes::default();
    msg.fields
        .iter()
        .filter(|f| f.is("DKIM-Signature"))
        .enumerate()
        .map(|(index, field)| verify_one(msg, field, index, keys, opts, &mut bodies))
        .collect()
}

/// Body hashes computed for one message, by what determines them: two
/// signatures that canonicalise and hash the body alike (an author's RSA
/// and Ed25519 signatures, say) hash it once.
#[derive(Default)]
#[allow(clippy::type_complexity)]
struct BodyHashes(Vec<((canon::Canon, &'static str, Option<u64>), (u64, Vec<u8>))>);

impl BodyHashes {
    /// The canonical body's length and its hash, as `sig` asks for them.
    fn of(&mut self, body: &[u8], sig: &Signature) -> &(u64, Vec<u8>) {
        let key = (sig.body_canon, sig.algorithm.hash_name(), sig.body_length);
        let i = match self.0.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                let mut hasher = crypto::body_hasher(sig.algorithm);
                let total = canon::body(sig.body_canon, body, sig.body_length, &mut |b| {
                    hasher.update(b)
                });
                self.0.push((key, (total, hasher.finish())));
                self.0.len() - 1
            }
        };
        &self.0[i].1
    }
}

fn verify_one(
    msg: &Message<'_>,
    field: &Field<'_>,
    index: usize,
    keys: &dyn KeyLookup,
    opts: Options,
    bodies: &mut BodyHashes,
) -> SignatureReport {
    let mut report = SignatureReport {
        index,
        signature: None,
        error: None,
        key: None,
        body_hash_matches: None,
        header: None,
        unsigned_body_bytes: None,
        unsigned_displayed: Vec::new(),
        result: Outcome::Permerror,
    };
    let sig = match signature::parse(field.value()) {
        Ok(s) => s,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    // The body hash is a fact about the message alone: computed first,
    // whatever the key says.
    let (total, hash) = bodies.of(msg.body, &sig);
    let total = *total;
    report.body_hash_matches = Some(hash[..] == sig.body_hash[..]);
    if let Some(l) = sig.body_length {
        report.unsigned_body_bytes = Some(total.saturating_sub(l));
        if l > total {
            report.body_hash_matches = Some(false);
        }
    }
    for (name, &present) in message::DISPLAYED.iter().zip(&msg.displayed) {
        let signed = sig
            .headers
            .iter()
            .filter(|h| h.eq_ignore_ascii_case(name))
            .count();
        if present > signed {
            report.unsigned_displayed.push(if signed == 0 {
                format!("{name} (not in h=)")
            } else {
                format!("{name} ({present} present, {signed} signed)")
            });
        }
    }
    let data = signed_data(msg, field, &sig);
    let expired = match (opts.at, sig.expiration) {
        (Some(at), Some(x)) => at > x,
        _ => false,
    };
    if expired {
        report.error = Some("the signature had expired (x=) when the message was sent".into());
    }
    judge_with_key(&mut report, &sig, &data, expired, keys, opts);
    // Moved in last: the checks above borrow it.
    report.signature = Some(sig);
    report
}

/// The key facts of `report`: what the archive holds for the signature,
/// and what checking the header signature with it says.
fn judge_with_key(
    report: &mut SignatureReport,
    sig: &Signature,
    data: &[u8],
    expired: bool,
    keys: &dyn KeyLookup,
    opts: Options,
) {
    let records = match keys.lookup(&sig.domain, &sig.selector) {
        Lookup::Found(r) if !r.is_empty() => r,
        Lookup::Found(_) | Lookup::NotFound => {
            report.key = Some(KeyStatus::NotFound);
            return;
        }
        Lookup::TempFail(reason) => {
            report.key = Some(KeyStatus::TempFail { reason });
            report.result = Outcome::Temperror;
            return;
        }
    };
    // Try the records published when the message was sent first; the first
    // one that verifies is the key. Otherwise report against the best guess.
    let mut ordered: Vec<&KeyRecord> = records.iter().collect();
    ordered.sort_by_key(|r| match opts.at.and_then(|t| r.published_at(t)) {
        Some(true) => 0,
        None => 1,
        Some(false) => 2,
    });
    let mut best: Option<(KeyStatus, Option<HeaderCheck>)> = None;
    for record in ordered {
        let (status, check) = check_with(record, sig, data, opts);
        let valid = check == Some(HeaderCheck::Valid);
        if best.is_none() || valid {
            best = Some((status, check));
        }
        if valid {
            break;
        }
    }
    let Some((status, check)) = best else {
        return;
    };
    let usable = matches!(status, KeyStatus::Found { .. });
    report.key = Some(status);
    report.header = check;
    if !usable {
        return;
    }
    report.result = if expired {
        Outcome::Permerror
    } else if report.header == Some(HeaderCheck::Valid) && report.body_hash_matches == Some(true) {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
}

thread_local! {
    /// Key records read, per thread: a case's thousands of signatures use
    /// a handful of keys.
    #[allow(clippy::type_complexity)]
    // (foldhash: the records are hundreds of bytes, hashed per signature.)
    static KEYS: std::cell::RefCell<foldhash::HashMap<String, Result<(std::rc::Rc<DkimKey>, KeyText), String>>> =
        std::cell::RefCell::new(foldhash::HashMap::default());
}

/// The key a record holds (or why it holds none), and the record as
/// evidence, read once per thread.
fn parsed_key(record: &str) -> Result<(std::rc::Rc<DkimKey>, KeyText), String> {
    KEYS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(k) = cache.get(record) {
            return k.clone();
        }
        // Records come from the archive, but `check` can be fed anything:
        // keep the cache bounded.
        if cache.len() >= 1024 {
            cache.clear();
        }
        let k = parse_key_record(record)
            .map(|key| (std::rc::Rc::new(key), KeyText::new(record)))
            .map_err(|e| e.to_string());
        cache.insert(record.to_string(), k.clone());
        k
    })
}

fn check_with(
    record: &KeyRecord,
    sig: &Signature,
    data: &[u8],
    opts: Options,
) -> (KeyStatus, Option<HeaderCheck>) {
    let (key, text) = match parsed_key(&record.record) {
        Ok(k) => k,
        Err(reason) => return (KeyStatus::Unusable { reason }, None),
    };
    if key.revoked {
        return (KeyStatus::Revoked, None);
    }
    if let Some(h) = &key.hashes
        && !h.iter().any(|x| x == sig.algorithm.hash_name())
    {
        let reason = format!("the key allows only h={}", h.join(":"));
        return (KeyStatus::Unusable { reason }, None);
    }
    if let Some(s) = &key.services
        && !s.iter().any(|x| x == "*" || x == "email")
    {
        return (
            KeyStatus::Unusable {
                reason: format!("the key is for s={}", s.join(":")),
            },
            None,
        );
    }
    if key.strict
        && let Some(i) = &sig.identity
        && !i
            .rsplit('@')
            .next()
            .unwrap_or("")
            .eq_ignore_ascii_case(&sig.domain)
    {
        let reason = "the key's t=s requires i= to be exactly d=".to_string();
        return (KeyStatus::Unusable { reason }, None);
    }
    let check = crypto::check(sig.algorithm, &key, data, &sig.signature);
    let status = KeyStatus::Found {
        record: text,
        bits: key.rsa_bits,
        source: record.source.clone(),
        first_seen: record.first_seen,
        last_seen: record.last_seen,
        revealed_at: record.revealed_at,
        published_then: opts.at.and_then(|t| record.published_at(t)),
        testing: key.testing,
    };
    if let HeaderCheck::Unusable { reason } = &check {
        return (
            KeyStatus::Unusable {
                reason: reason.clone(),
            },
            None,
        );
    }
    (status, Some(check))
}

/// The bytes the header signature covers: the `h=` fields, each taken from
/// the bottom up (RFC 6376 5.4.2), then the signature field itself with its
/// `b=` value removed and no final line end.
pub fn signed_data(msg: &Message<'_>, field: &Field<'_>, sig: &Signature) -> Vec<u8> {
    signed_fields(msg, field, &sig.headers, sig.header_canon)
}

/// [`signed_data`] for any signature field (DKIM or ARC-Message-Signature).
pub fn signed_fields<S: AsRef<str>>(
    msg: &Message<'_>,
    field: &Field<'_>,
    names: &[S],
    c: canon::Canon,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    let mut used: Vec<usize> = Vec::new();
    for name in names {
        let pick =
            msg.fields.iter().enumerate().rev().find(|(i, f)| {
                f.is(name.as_ref()) && !used.contains(i) && !std::ptr::eq(*f, field)
            });
        if let Some((i, f)) = pick {
            used.push(i);
            canon::header(c, f.raw, &mut out);
        }
    }
    let own = signature::without_b_value(field.raw);
    canon::header(c, &own, &mut out);
    // The signature field is hashed without its trailing CRLF.
    while matches!(out.last(), Some(b'\n') | Some(b'\r')) {
        out.pop();
    }
    out
}

/// Decode base64 the way signatures and keys write it (whitespace allowed:
/// `b=` is folded over lines). An ASCII value (nearly every one) is copied
/// a run at a time between its whitespace, not byte by byte.
pub fn decode_b64(v: &str) -> Option<Vec<u8>> {
    let mut compact = Vec::with_capacity(v.len());
    if v.is_ascii() {
        // The ASCII characters `char::is_whitespace` names: tab to CR, space.
        for run in v.as_bytes().split(|b| matches!(b, b'\t'..=b'\r' | b' ')) {
            compact.extend_from_slice(run);
        }
    } else {
        let mut utf8 = [0; 4];
        for c in v.chars().filter(|c| !c.is_whitespace()) {
            compact.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
    }
    B64.decode(compact).ok()
}

#[cfg(test)]
mod tests {
    /// `b=` as signers fold it decodes whatever whitespace it is folded
    /// with; anything else in it is not base64.
    #[test]
    fn base64_values_decode_across_their_folding() {
        let cases: [(&str, Option<&[u8]>); 6] = [
            ("aGVsbG8=", Some(b"hello")),
            ("aGVs\r\n\tbG8=", Some(b"hello")),
            (" aG Vs\x0bbG\x0c8= ", Some(b"hello")),
            // No-break space: whitespace to `char::is_whitespace`.
            ("aGVs\u{a0}bG8=", Some(b"hello")),
            ("aGVs;bG8=", None),
            ("aGVsé", None),
        ];
        for (value, expected) in cases {
            assert_eq!(super::decode_b64(value).as_deref(), expected, "{value:?}");
        }
    }
}
