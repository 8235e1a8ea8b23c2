//! ARC chain validation (RFC 8617 5.2).
//!
//! ARC records what each intermediary (a mailing list, a forwarder) saw.
//! A valid chain proves who handled the message and what they said they
//! found; it does not prove the author, so it is evidence beside the
//! verdict, never the verdict itself.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tamis_keys::{parse_key_record, tag_list_strict as tag_list};

use crate::canon::{self, Canon};
use crate::crypto::{self, HeaderCheck};
use crate::message::{Field, Message};
use crate::signature::{Algorithm, without_b_value};
use crate::{KeyLookup, Lookup, decode_b64};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChainValidation {
    None,
    Pass,
    Fail,
}

impl ChainValidation {
    pub fn name(self) -> &'static str {
        match self {
            ChainValidation::None => "none",
            ChainValidation::Pass => "pass",
            ChainValidation::Fail => "fail",
        }
    }
}

#[derive(Clone, Debug, Hash, Serialize, Deserialize)]
pub struct ArcReport {
    pub cv: ChainValidation,
    /// How many ARC sets the message carries.
    pub sets: usize,
    /// Why the chain fails, or who sealed it when it passes.
    pub detail: String,
}

struct Set<'a> {
    aar: Vec<&'a Field<'a>>,
    ams: Vec<(&'a Field<'a>, Vec<(String, String)>)>,
    seal: Vec<(&'a Field<'a>, Vec<(String, String)>)>,
}

fn fail(sets: usize, detail: impl Into<String>) -> ArcReport {
    ArcReport {
        cv: ChainValidation::Fail,
        sets,
        detail: detail.into(),
    }
}

fn instance(tags: &[(String, String)]) -> Option<u32> {
    tags.iter()
        .find(|(k, _)| k == "i")
        .and_then(|(_, v)| v.trim().parse().ok())
}

fn get<'t>(tags: &'t [(String, String)], name: &str) -> Option<&'t str> {
    tags.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub fn verify_arc(raw: &[u8], keys: &dyn KeyLookup) -> ArcReport {
    verify_arc_parsed(&Message::parse(raw), keys)
}

/// The same, on a message already parsed.
pub fn verify_arc_parsed(msg: &Message<'_>, keys: &dyn KeyLookup) -> ArcReport {
    let mut sets: BTreeMap<u32, Set<'_>> = BTreeMap::new();
    let mut seen = 0;
    for f in &msg.fields {
        let kind = if f.is("ARC-Authentication-Results") {
            0
        } else if f.is("ARC-Message-Signature") {
            1
        } else if f.is("ARC-Seal") {
            2
        } else {
            continue;
        };
        seen += 1;
        let text = crate::message::lossy(f.value());
        let i = if kind == 0 {
            // `i=N; authserv-id; results`: only the first tag is a tag.
            text.split(';')
                .next()
                .and_then(|t| t.trim().strip_prefix("i="))
                .and_then(|n| n.trim().parse().ok())
        } else {
            match tag_list(&text) {
                Ok(tags) => {
                    // Kept beyond this field's text, with the set.
                    let tags: Vec<(String, String)> = tags
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect();
                    let i = instance(&tags);
                    if let Some(i) = i {
                        let set = sets.entry(i).or_insert_with(|| Set {
                            aar: vec![],
                            ams: vec![],
                            seal: vec![],
                        });
                        if kind == 1 {
                            set.ams.push((f, tags))
                        } else {
                            set.seal.push((f, tags))
                        }
                    }
                    i
                }
                Err(e) => return fail(sets.len(), format!("an ARC field is malformed: {e}")),
            }
        };
        let Some(i) = i else {
            return fail(sets.len(), "an ARC field has no valid instance i=");
        };
        if kind == 0 {
            sets.entry(i)
                .or_insert_with(|| Set {
                    aar: vec![],
                    ams: vec![],
                    seal: vec![],
                })
                .aar
                .push(f);
        }
    }
    if seen == 0 {
        return ArcReport {
            cv: ChainValidation::None,
            sets: 0,
            detail: "no ARC sets".into(),
        };
    }
    let n = sets.keys().max().copied().unwrap_or(0);
    let count = sets.len();
    if n as usize != count || n == 0 || n > 50 || sets.keys().min() != Some(&1) {
        return fail(count, "ARC instances are not 1..N without gaps");
    }
    for (i, s) in &sets {
        if s.aar.len() != 1 || s.ams.len() != 1 || s.seal.len() != 1 {
            return fail(
                count,
                format!("ARC set {i} does not have exactly one of each field"),
            );
        }
    }
    // The most recent seal's own verdict on the chain.
    let latest = &sets[&n].seal[0].1;
    let cv_of = |tags: &[(String, String)]| get(tags, "cv").map(|v| v.trim().to_ascii_lowercase());
    if cv_of(latest).as_deref() == Some("fail") {
        return fail(
            count,
            format!("the last sealer (i={n}) recorded the chain as failed"),
        );
    }
    for (i, s) in &sets {
        let want = if *i == 1 { "none" } else { "pass" };
        if cv_of(&s.seal[0].1).as_deref() != Some(want) {
            return fail(count, format!("ARC-Seal i={i} has cv other than {want}"));
        }
        if get(&s.seal[0].1, "h").is_some() {
            return fail(
                count,
                format!("ARC-Seal i={i} has an h= tag, which seals must not have"),
            );
        }
    }
    // The most recent message signature.
    let (ams_field, ams) = &sets[&n].ams[0];
    if let Err(why) = check_ams(msg, ams_field, ams, keys) {
        return fail(count, format!("ARC-Message-Signature i={n}: {why}"));
    }
    // Every seal, newest first.
    for i in (1..=n).rev() {
        let (seal_field, seal) = &sets[&i].seal[0];
        let mut data = Vec::new();
        for j in 1..=i {
            let s = &sets[&j];
            canon::header(Canon::Relaxed, s.aar[0].raw, &mut data);
            canon::header(Canon::Relaxed, s.ams[0].0.raw, &mut data);
            if j == i {
                let own = without_b_value(seal_field.raw);
                canon::header(Canon::Relaxed, &own, &mut data);
            } else {
                canon::header(Canon::Relaxed, s.seal[0].0.raw, &mut data);
            }
        }
        while matches!(data.last(), Some(b'\r') | Some(b'\n')) {
            data.pop();
        }
        if let Err(why) = check_signature(seal, &data, keys) {
            return fail(count, format!("ARC-Seal i={i}: {why}"));
        }
    }
    let sealer = get(&sets[&n].seal[0].1, "d")
        .unwrap_or("?")
        .trim()
        .to_string();
    ArcReport {
        cv: ChainValidation::Pass,
        sets: count,
        detail: format!("{count} ARC set(s), last sealed by {sealer}"),
    }
}

fn algorithm(tags: &[(String, String)]) -> Result<Algorithm, String> {
    match get(tags, "a")
        .map(|a| a.trim().to_ascii_lowercase())
        .as_deref()
    {
        Some("rsa-sha256") => Ok(Algorithm::RsaSha256),
        Some("rsa-sha1") => Ok(Algorithm::RsaSha1),
        Some("ed25519-sha256") => Ok(Algorithm::Ed25519Sha256),
        Some(other) => Err(format!("unsupported algorithm {other}")),
        None => Err("no a= tag".into()),
    }
}

fn check_signature(
    tags: &[(String, String)],
    data: &[u8],
    keys: &dyn KeyLookup,
) -> Result<(), String> {
    let alg = algorithm(tags)?;
    let d = get(tags, "d")
        .ok_or("no d= tag")?
        .trim()
        .to_ascii_lowercase();
    let s = get(tags, "s")
        .ok_or("no s= tag")?
        .trim()
        .to_ascii_lowercase();
    let b = decode_b64(get(tags, "b").ok_or("no b= tag")?).ok_or("b= is not base64")?;
    let records = match keys.lookup(&d, &s) {
        Lookup::Found(r) => r,
        Lookup::NotFound => return Err(format!("no key for s={s} d={d}")),
        Lookup::TempFail(e) => return Err(format!("key lookup failed: {e}")),
    };
    for r in records.iter() {
        let Ok(key) = parse_key_record(&r.record) else {
            continue;
        };
        if key.revoked {
            continue;
        }
        // RFC 8301: keys under 1024 bits are not acceptable; a chain that
        // rests on one is not a chain.
        if key.rsa_bits.is_some_and(|b| b < 1024) {
            return Err(format!(
                "the key of s={s} d={d} is only {} bits",
                key.rsa_bits.unwrap_or(0)
            ));
        }
        if crypto::check(alg, &key, data, &b) == HeaderCheck::Valid {
            return Ok(());
        }
    }
    Err(format!(
        "the signature does not verify with the key of s={s} d={d}"
    ))
}

fn check_ams(
    msg: &Message<'_>,
    field: &Field<'_>,
    tags: &[(String, String)],
    keys: &dyn KeyLookup,
) -> Result<(), String> {
    let alg = algorithm(tags)?;
    let (hc, bc) = {
        let c = get(tags, "c")
            .unwrap_or("simple/simple")
            .trim()
            .to_ascii_lowercase();
        let (h, b) = c.split_once('/').unwrap_or((&c, "simple"));
        let one = |x: &str| match x.trim() {
            "simple" => Ok(Canon::Simple),
            "relaxed" => Ok(Canon::Relaxed),
            other => Err(format!("unknown canonicalisation {other}")),
        };
        (one(h)?, one(b)?)
    };
    let h: Vec<&str> = get(tags, "h")
        .ok_or("no h= tag")?
        .split(':')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .collect();
    if h.iter().any(|x| x.eq_ignore_ascii_case("arc-seal")) {
        return Err("h= signs ARC-Seal, which it must not".into());
    }
    let bh = decode_b64(get(tags, "bh").ok_or("no bh= tag")?).ok_or("bh= is not base64")?;
    let limit = get(tags, "l").and_then(|l| l.trim().parse().ok());
    let mut hasher = crypto::body_hasher(alg);
    canon::body(bc, msg.body, limit, &mut |x| hasher.update(x));
    if hasher.finish() != bh {
        return Err(
            "the body hash does not match: the body changed after this intermediary signed".into(),
        );
    }
    let data = crate::signed_fields(msg, field, &h, hc);
    check_signature(tags, &data, keys)
}
